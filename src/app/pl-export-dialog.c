/* pl-export-dialog.c — export size, resolution and captions. */
#include "config.h"
#include "pl-export-dialog.h"

#include <adwaita.h>
#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include "analysis/pl-layers.h"
#include "pl-error.h"
#include "pl-figures.h"
#include "pl-table-figure.h"

#define MM_PER_INCH 25.4

void
pl_export_options_load (PlExportOptions *options, GSettings *settings)
{
  g_return_if_fail (options != NULL);
  options->width = 165.0;
  options->height = 90.0;
  options->inches = FALSE;
  options->dpi = 150.0;
  options->captions = TRUE;
  if (settings == NULL)
    return;
  options->width = g_settings_get_double (settings, "export-width");
  options->height = g_settings_get_double (settings, "export-height");
  g_autofree char *unit = g_settings_get_string (settings, "export-unit");
  options->inches = g_strcmp0 (unit, "in") == 0;
  options->dpi = g_settings_get_double (settings, "export-dpi");
  options->captions = g_settings_get_boolean (settings, "captions");
}

void
pl_export_options_save (const PlExportOptions *options, GSettings *settings)
{
  g_return_if_fail (options != NULL);
  if (settings == NULL)
    return;
  g_settings_set_double (settings, "export-width", options->width);
  g_settings_set_double (settings, "export-height", options->height);
  g_settings_set_string (settings, "export-unit", options->inches ? "in" : "mm");
  g_settings_set_double (settings, "export-dpi", options->dpi);
  g_settings_set_boolean (settings, "captions", options->captions);
}

void
pl_export_options_size_in (const PlExportOptions *options, double *width_in, double *height_in)
{
  g_return_if_fail (options != NULL);
  double k = options->inches ? 1.0 : 1.0 / MM_PER_INCH;
  if (width_in)
    *width_in = options->width * k;
  if (height_in)
    *height_in = options->height * k;
}

gboolean
pl_export_draw_file (PlDrawFunc draw, gconstpointer figure, const PlExportOptions *options,
                     const char *path, const char *title, const char *description,
                     GError **error)
{
  g_return_val_if_fail (draw != NULL && options != NULL && path != NULL, FALSE);
  double w, h;
  pl_export_options_size_in (options, &w, &h);
  g_autofree char *lower = g_ascii_strdown (path, -1);
  if (g_str_has_suffix (lower, ".png"))
    return pl_render_png (draw, figure, w, h, options->dpi, path, title, description, error);
  if (g_str_has_suffix (lower, ".svg"))
    return pl_render_svg (draw, figure, w, h, path, title, description, error);
  if (g_str_has_suffix (lower, ".pdf"))
    return pl_render_pdf (draw, figure, w, h, path, title, description, error);
  g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
               _("%s: unknown figure format; use a name ending in .png, .svg or .pdf"), path);
  return FALSE;
}

typedef struct {
  GSettings *settings;
  GtkSpinButton *width, *height, *dpi;
  GtkDropDown *unit;
  GtkSwitch *captions;
  GtkSwitch *keep;          /* keep the aspect ratio */
  double aspect;            /* width / height, 0: none */
  gboolean syncing;
  gboolean inches;
  PlExportOptionsFunc callback;
  gpointer user_data;
} ExportDialog;

static void
export_dialog_free (ExportDialog *d)
{
  g_clear_object (&d->settings);
  g_free (d);
}

/* Converts the shown size when the unit changes. */
static void
on_unit_changed (GtkDropDown *unit, GParamSpec *pspec, ExportDialog *d)
{
  gboolean inches = gtk_drop_down_get_selected (unit) == 1;
  if (inches == d->inches)
    return;
  double k = inches ? 1.0 / MM_PER_INCH : MM_PER_INCH;
  double w = gtk_spin_button_get_value (d->width) * k;
  double h = gtk_spin_button_get_value (d->height) * k;
  gtk_spin_button_set_range (d->width, inches ? 0.4 : 10, inches ? 80 : 2000);
  gtk_spin_button_set_range (d->height, inches ? 0.4 : 10, inches ? 80 : 2000);
  guint digits = inches ? 2 : 0;
  gtk_spin_button_set_digits (d->width, digits);
  gtk_spin_button_set_digits (d->height, digits);
  gtk_spin_button_set_increments (d->width, inches ? 0.1 : 1.0, inches ? 1.0 : 10.0);
  gtk_spin_button_set_increments (d->height, inches ? 0.1 : 1.0, inches ? 1.0 : 10.0);
  gtk_spin_button_set_value (d->width, w);
  gtk_spin_button_set_value (d->height, h);
  d->inches = inches;
}

/* With "Keep aspect ratio" on, the other side follows. */
static void
on_size_changed (GtkSpinButton *spin, ExportDialog *d)
{
  if (d->syncing || d->aspect <= 0 || d->keep == NULL || !gtk_switch_get_active (d->keep))
    return;
  d->syncing = TRUE;
  if (spin == d->width)
    gtk_spin_button_set_value (d->height, gtk_spin_button_get_value (d->width) / d->aspect);
  else
    gtk_spin_button_set_value (d->width, gtk_spin_button_get_value (d->height) * d->aspect);
  d->syncing = FALSE;
}

static void
on_keep_changed (GtkSwitch *keep, GParamSpec *pspec, ExportDialog *d)
{
  on_size_changed (d->width, d);
}

static void
on_export_dialog_response (AdwMessageDialog *dialog, const char *response, ExportDialog *d)
{
  if (g_strcmp0 (response, "choose") != 0)
    return;
  PlExportOptions o = {
    .width = gtk_spin_button_get_value (d->width),
    .height = gtk_spin_button_get_value (d->height),
    .inches = d->inches,
    .dpi = gtk_spin_button_get_value (d->dpi),
    .captions = gtk_switch_get_active (d->captions),
  };
  pl_export_options_save (&o, d->settings);
  d->callback (&o, d->user_data);
}

static GtkWidget *
row_label (const char *text, GtkWidget *target)
{
  GtkWidget *l = gtk_label_new_with_mnemonic (text);
  gtk_label_set_xalign (GTK_LABEL (l), 1.0f);
  gtk_label_set_mnemonic_widget (GTK_LABEL (l), target);
  return l;
}

void
pl_export_dialog_run (GtkWindow *parent, GSettings *settings, PlExportOptionsFunc callback,
                      gpointer user_data)
{
  pl_export_dialog_run_with_aspect (parent, settings, 0.0, callback, user_data);
}

void
pl_export_dialog_run_with_aspect (GtkWindow *parent, GSettings *settings, double aspect,
                                  PlExportOptionsFunc callback, gpointer user_data)
{
  g_return_if_fail (callback != NULL);
  PlExportOptions o;
  pl_export_options_load (&o, settings);
  ExportDialog *d = g_new0 (ExportDialog, 1);
  d->settings = settings ? g_object_ref (settings) : NULL;
  d->callback = callback;
  d->user_data = user_data;
  d->inches = o.inches;
  d->aspect = isfinite (aspect) && aspect > 0.05 && aspect < 20 ? aspect : 0.0;

  GtkWidget *grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_widget_set_halign (grid, GTK_ALIGN_CENTER);
  d->width = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (10, 2000, 1));
  d->height = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (10, 2000, 1));
  if (o.inches)
    {
      gtk_spin_button_set_range (d->width, 0.4, 80);
      gtk_spin_button_set_range (d->height, 0.4, 80);
    }
  gtk_spin_button_set_digits (d->width, o.inches ? 2 : 0);
  gtk_spin_button_set_digits (d->height, o.inches ? 2 : 0);
  gtk_spin_button_set_value (d->width, o.width);
  gtk_spin_button_set_value (d->height, o.height);
  const char *units[] = { _("mm"), _("inches"), NULL };
  d->unit = GTK_DROP_DOWN (gtk_drop_down_new_from_strings (units));
  gtk_drop_down_set_selected (d->unit, o.inches ? 1 : 0);
  gtk_accessible_update_property (GTK_ACCESSIBLE (d->unit), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Unit"), -1);
  d->dpi = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (36, 1200, 1));
  gtk_spin_button_set_value (d->dpi, o.dpi);
  gtk_widget_set_tooltip_text (GTK_WIDGET (d->dpi), _("Dots per inch of PNG files; SVG and "
                                                      "PDF are vector drawings"));
  d->captions = GTK_SWITCH (gtk_switch_new ());
  gtk_switch_set_active (d->captions, o.captions);
  gtk_widget_set_halign (GTK_WIDGET (d->captions), GTK_ALIGN_START);

  gtk_grid_attach (GTK_GRID (grid), row_label (_("_Width"), GTK_WIDGET (d->width)), 0, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (d->width), 1, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (d->unit), 2, 0, 1, 2);
  gtk_widget_set_valign (GTK_WIDGET (d->unit), GTK_ALIGN_CENTER);
  gtk_grid_attach (GTK_GRID (grid), row_label (_("_Height"), GTK_WIDGET (d->height)), 0, 1, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (d->height), 1, 1, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), row_label (_("_Resolution (PNG, dpi)"), GTK_WIDGET (d->dpi)),
                   0, 2, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (d->dpi), 1, 2, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), row_label (_("_Captions"), GTK_WIDGET (d->captions)),
                   0, 3, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (d->captions), 1, 3, 1, 1);
  g_signal_connect (d->unit, "notify::selected", G_CALLBACK (on_unit_changed), d);
  if (d->aspect > 0)
    {
      d->keep = GTK_SWITCH (gtk_switch_new ());
      gtk_switch_set_active (d->keep, TRUE);
      gtk_widget_set_halign (GTK_WIDGET (d->keep), GTK_ALIGN_START);
      gtk_widget_set_tooltip_text (GTK_WIDGET (d->keep),
                                   _("The height follows the width in the figure's own "
                                     "proportions, so that the file has no empty band"));
      gtk_grid_attach (GTK_GRID (grid), row_label (_("_Keep aspect ratio"), GTK_WIDGET (d->keep)),
                       0, 4, 1, 1);
      gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (d->keep), 1, 4, 1, 1);
      on_size_changed (d->width, d);   /* the height that fits the figure */
      g_signal_connect (d->keep, "notify::active", G_CALLBACK (on_keep_changed), d);
    }
  g_signal_connect (d->width, "value-changed", G_CALLBACK (on_size_changed), d);
  g_signal_connect (d->height, "value-changed", G_CALLBACK (on_size_changed), d);

  GtkWidget *dialog = adw_message_dialog_new (parent, _("Export Figure"),
                                              _("Size of the figure and resolution of PNG "
                                                "files; then choose the file (PNG, SVG or PDF)."));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), grid);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "choose", _("C_hoose File…"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "choose",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "choose");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_export_dialog_response), d,
                         (GClosureNotify) (void (*) (void)) export_dialog_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---------------------------------------------------------- export all figures ---- */

typedef struct {
  const char *folder, *format;
  const PlExportOptions *options;
  GPtrArray *written;
  gint count;
  const PlProgress *progress;     /* may be NULL */
} ExportAll;

/* Before each file: stops when cancelled (files written so far stay, each whole), and
 * reports progress (about 20 files in all). */
static gboolean
export_next (ExportAll *x, const char *path, GError **error)
{
  if (x->progress == NULL)
    return TRUE;
  if (pl_progress_cancelled (x->progress, error))
    return FALSE;
  g_autofree char *name = g_path_get_basename (path);
  g_autofree char *msg = g_strdup_printf (_("Writing %s"), name);
  pl_progress_report (x->progress, MIN (0.05 + x->count / 20.0, 0.95), msg);
  return TRUE;
}

static char *
export_path (ExportAll *x, const char *stem, const char *extension)
{
  g_autofree char *name = g_strconcat (stem, ".", extension, NULL);
  return g_build_filename (x->folder, name, NULL);
}

static void
note_written (ExportAll *x, const char *path)
{
  x->count++;
  if (x->written != NULL)
    g_ptr_array_add (x->written, g_path_get_basename (path));
}

static gboolean
export_figure (ExportAll *x, const char *stem, PlDrawFunc draw, gconstpointer figure,
               const char *title, const char *description, GError **error)
{
  g_autofree char *path = export_path (x, stem, x->format);
  if (!export_next (x, path, error))
    return FALSE;
  if (!pl_export_draw_file (draw, figure, x->options, path, title, description, error))
    return FALSE;
  note_written (x, path);
  return TRUE;
}

static gboolean
export_text (ExportAll *x, const char *name, const char *text, GError **error)
{
  g_autofree char *path = g_build_filename (x->folder, name, NULL);
  if (!export_next (x, path, error))
    return FALSE;
  g_autoptr (GError) local = NULL;
  if (!g_file_set_contents (path, text, -1, &local))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_IO, _("%s: could not write: %s"), path,
                   local->message);
      return FALSE;
    }
  note_written (x, path);
  return TRUE;
}

/* "%.9g", or an empty field / JSON null for a value that is not finite. */
static void
csv_number (GString *s, double v)
{
  if (isfinite (v))
    g_string_append_printf (s, "%.9g", v);
}

static void
json_number (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
json_tensor (JsonBuilder *b, const char *name, const PlTensor *t)
{
  json_builder_set_member_name (b, name);
  if (t == NULL)
    {
      json_builder_add_null_value (b);
      return;
    }
  json_builder_begin_array (b);
  for (gint64 i = 0; i < t->numel; i++)
    if (isfinite (t->data[i]))
      json_builder_add_double_value (b, t->data[i]);
    else
      json_builder_add_null_value (b);
  json_builder_end_array (b);
}

static void
json_similarity (JsonBuilder *b, const char *name, const PlSimilarity *s)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  json_number (b, "spearman", s->spearman);
  json_number (b, "pearson", s->pearson);
  json_number (b, "cosine", s->cosine);
  json_number (b, "topk_intersection", s->topk_intersection);
  json_builder_set_member_name (b, "k");
  json_builder_add_int_value (b, s->k);
  json_builder_end_object (b);
}

static char *
comparison_json (const PlComparison *c, const PlFigureContext *ctx)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "index");
  json_builder_add_int_value (b, c->index);
  json_builder_set_member_name (b, "label");
  json_builder_add_int_value (b, c->label);
  json_builder_set_member_name (b, "target");
  json_builder_add_int_value (b, c->target);
  if (ctx != NULL)
    {
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, ctx->model_name ? ctx->model_name : "");
      json_builder_set_member_name (b, "dataset");
      json_builder_add_string_value (b, ctx->dataset_name ? ctx->dataset_name : "");
      json_number (b, "sparsity", ctx->sparsity);
    }
  json_builder_set_member_name (b, "method");
  json_builder_add_string_value (b, pl_map_method_id (c->options.method));
  json_builder_set_member_name (b, "map_parameters");
  json_builder_add_string_value (b, c->map_parameters ? c->map_parameters : "");
  json_builder_set_member_name (b, "grid");
  json_builder_add_int_value (b, c->options.grid);
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, (gint64) c->options.seed);
  static const char *const side[2] = { "original", "pruned" };
  for (int g = 0; g < 2; g++)
    {
      json_builder_set_member_name (b, side[g]);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "prediction");
      json_builder_add_int_value (b, c->pred[g]);
      json_number (b, "probability", c->prob[g]);
      json_number (b, "target_logit", c->target_logit[g]);
      json_number (b, "completeness_residual", c->map_residual[g]);
      json_tensor (b, "patch_attribution", c->patch[g]);
      json_tensor (b, "shap", c->shap[g]);
      json_number (b, "shap_phi0", c->shap_phi0[g]);
      json_builder_end_object (b);
    }
  if (c->grid != NULL && c->grid->names != NULL)
    {
      json_builder_set_member_name (b, "patch_names");
      json_builder_begin_array (b);
      for (gint i = 0; i < c->grid->n_segments; i++)
        json_builder_add_string_value (b, c->grid->names[i] ? c->grid->names[i] : "");
      json_builder_end_array (b);
    }
  json_similarity (b, "saliency_similarity", &c->saliency_similarity);
  json_similarity (b, "patch_similarity", &c->patch_similarity);
  json_similarity (b, "shap_similarity", &c->shap_similarity);
  json_builder_set_member_name (b, "shap_evaluations");
  json_builder_add_int_value (b, c->shap_evaluations);
  json_builder_end_object (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  char *text = json_generator_to_data (gen, NULL);
  char *with_newline = g_strconcat (text, "\n", NULL);
  g_free (text);
  return with_newline;
}

/* The maps as long CSV: one line per pixel (image) or feature (table). */
static char *
maps_csv (const PlComparison *c, gboolean table)
{
  GString *s = g_string_new (table ? "feature,original,pruned,difference\n"
                                   : "y,x,original,pruned,difference\n");
  const PlTensor *a = c->saliency[0], *p = c->saliency[1], *d = c->saliency_diff;
  if (a == NULL || p == NULL || a->numel != p->numel)
    return g_string_free (s, FALSE);
  gint64 w = a->ndim >= 2 ? a->shape[a->ndim - 1] : a->numel;
  for (gint64 i = 0; i < a->numel; i++)
    {
      if (table)
        {
          const char *name = c->grid != NULL && c->grid->names != NULL && i < c->grid->n_segments
                                 ? c->grid->names[i] : NULL;
          if (name != NULL)
            {
              g_autofree char *quoted = g_strdup (name);
              g_strdelimit (quoted, ",\"\n", ' ');
              g_string_append (s, quoted);
            }
          else
            g_string_append_printf (s, "%" G_GINT64_FORMAT, i);
        }
      else
        g_string_append_printf (s, "%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT, i / w, i % w);
      g_string_append_c (s, ',');
      csv_number (s, a->data[i]);
      g_string_append_c (s, ',');
      csv_number (s, p->data[i]);
      g_string_append_c (s, ',');
      csv_number (s, d != NULL && d->numel == a->numel ? d->data[i] : p->data[i] - a->data[i]);
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}

static gboolean
export_comparison (ExportAll *x, const PlExportAllInput *in, GError **error)
{
  static const PlFigureKind kinds[] = { PL_FIGURE_SALIENCY, PL_FIGURE_FEATURES, PL_FIGURE_SHAP };
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      const char *stem = pl_figure_kind_name (kinds[k]);
      gboolean ok;
      if (in->table)
        {
          g_autoptr (PlTableFigure) f = pl_table_figure_new (kinds[k], in->comparison, in->context);
          ok = export_figure (x, stem, pl_table_figure_draw, f, pl_table_figure_title (f),
                              pl_table_figure_description (f), error);
        }
      else
        {
          g_autoptr (PlComparisonFigure) f = pl_comparison_figure_new (kinds[k], in->comparison,
                                                                       in->context);
          ok = f != NULL
               && export_figure (x, stem, pl_comparison_figure_draw, f,
                                 pl_comparison_figure_title (f),
                                 pl_comparison_figure_description (f), error);
        }
      if (!ok)
        return FALSE;
    }
  g_autofree char *json = comparison_json (in->comparison, in->context);
  g_autofree char *csv = maps_csv (in->comparison, in->table);
  return export_text (x, "comparison.json", json, error)
         && export_text (x, "saliency-maps.csv", csv, error);
}

static gboolean
export_confusion (ExportAll *x, const PlExportAllInput *in, GError **error)
{
  const PlDataset *ds = in->dataset;
  gint K = ds->n_classes;
  if (K < 2 || K > 64)
    return TRUE;
  const PlEvaluation *ev[2] = { in->e0, in->e1 };
  static const char *const side[2] = { "original", "pruned" };
  const char *names[65] = { 0 };
  for (gint k = 0; k < K; k++)
    names[k] = ds->class_names != NULL && ds->class_names[k] != NULL ? _(ds->class_names[k]) : NULL;
  GString *csv = g_string_new ("network,true,predicted,count\n");
  gboolean ok = TRUE;
  for (int g = 0; g < 2 && ok; g++)
    {
      gint64 n = MIN (ev[g]->n, ds->n);
      g_autofree gint *labels = g_new (gint, MAX (n, 1));
      for (gint64 i = 0; i < n; i++)
        labels[i] = ds->labels[i];
      g_autofree char *title = g_strdup_printf (g == 0 ? _("Confusion matrix, original (%.1f %% correct)")
                                                       : _("Confusion matrix, pruned (%.1f %% correct)"),
                                                100.0 * ev[g]->accuracy);
      g_autoptr (PlOwnedMatrixFigure) m = pl_confusion_figure_new (labels, ev[g]->predictions, n,
                                                                   K, names, title);
      g_autofree char *stem = g_strconcat ("confusion-", side[g], NULL);
      ok = export_figure (x, stem, (PlDrawFunc) pl_matrix_figure_draw, &m->figure, title,
                          m->figure.caption, error);
      const double *counts = m->figure.values;
      for (gint t = 0; t < K && ok; t++)
        for (gint p = 0; p < K; p++)
          g_string_append_printf (csv, "%s,%d,%d,%.0f\n", side[g], t, p, counts[(gsize) t * K + p]);
    }
  ok = ok && export_text (x, "confusion.csv", csv->str, error);
  g_string_free (csv, TRUE);
  return ok;
}

static gboolean
export_layers (ExportAll *x, const PlExportAllInput *in, GError **error)
{
  g_autoptr (PlOwnedHistogramFigure) h = pl_weight_histogram_figure_new (in->g0, in->g1);
  if (!export_figure (x, "weights", (PlDrawFunc) pl_histogram_figure_draw, &h->figure,
                      h->figure.title, h->figure.caption, error))
    return FALSE;
  PlLayerSparsity *l0 = pl_layer_sparsity (in->g0);
  PlLayerSparsity *l1 = in->g1 != NULL ? pl_layer_sparsity (in->g1) : NULL;
  gboolean ok = TRUE;
  if (l0->n_layers > 0)
    {
      g_autoptr (PlLayerBarsFigure) b = pl_layer_sparsity_figure_new (l0, l1);
      ok = export_figure (x, "layer-sparsity", (PlDrawFunc) pl_bar_figure_draw, &b->figure,
                          b->figure.title, b->figure.caption, error);
      GString *csv = g_string_new ("layer,weights,original,pruned\n");
      for (gint i = 0; i < l0->n_layers; i++)
        {
          g_autofree char *name = g_strdup (l0->names[i]);
          g_strdelimit (name, ",\"\n", ' ');
          g_string_append_printf (csv, "%s,%" G_GINT64_FORMAT ",", name, l0->sizes[i]);
          csv_number (csv, l0->sparsity[i]);
          g_string_append_c (csv, ',');
          if (l1 != NULL && i < l1->n_layers)
            csv_number (csv, l1->sparsity[i]);
          g_string_append_c (csv, '\n');
        }
      ok = ok && export_text (x, "layer-sparsity.csv", csv->str, error);
      g_string_free (csv, TRUE);
    }
  pl_layer_sparsity_free (l0);
  if (l1 != NULL)
    pl_layer_sparsity_free (l1);
  return ok;
}

static gboolean
export_core_file (ExportAll *x, const char *name,
                  gboolean (*save) (gconstpointer, const char *, GError **), gconstpointer data,
                  GError **error)
{
  g_autofree char *path = g_build_filename (x->folder, name, NULL);
  if (!export_next (x, path, error))
    return FALSE;
  if (!save (data, path, error))
    return FALSE;
  note_written (x, path);
  return TRUE;
}

static gboolean
save_report_csv (gconstpointer r, const char *path, GError **error)
{
  return pl_compare_report_save_csv (r, path, error);
}

static gboolean
save_report_json (gconstpointer r, const char *path, GError **error)
{
  return pl_compare_report_save_json (r, path, error);
}

static gboolean
save_sweep_csv (gconstpointer s, const char *path, GError **error)
{
  return pl_sweep_save_csv (s, path, error);
}

static gboolean
save_sweep_json (gconstpointer s, const char *path, GError **error)
{
  return pl_sweep_save_json (s, path, error);
}

static gboolean
export_report (ExportAll *x, const PlCompareReport *r, GError **error)
{
  if (r->n > 0)
    {
      g_autoptr (PlOwnedBarFigure) b = pl_compare_class_figure_new (r, PL_METRIC_SPEARMAN_ABS);
      if (b != NULL && !export_figure (x, "compare-classes", (PlDrawFunc) pl_bar_figure_draw,
                                       &b->figure, b->figure.title, b->figure.caption, error))
        return FALSE;
    }
  return export_core_file (x, "compare.csv", save_report_csv, r, error)
         && export_core_file (x, "compare.json", save_report_json, r, error);
}

static gboolean
export_sweep (ExportAll *x, const PlSweep *s, GError **error)
{
  g_autoptr (PlSweepLineFigure) line = pl_sweep_line_figure_new (s, TRUE);
  g_autoptr (PlSweepFilmstrip) film = pl_sweep_filmstrip_new (s, TRUE);
  if (film->figure.scale.colormap != PL_COLORMAP_DIVERGING)
    film->figure.scale.colormap = pl_render_get_sequential_colormap ();
  if (!export_figure (x, "sweep", (PlDrawFunc) pl_line_figure_draw, &line->figure,
                      line->figure.title, line->figure.caption, error)
      || !export_figure (x, "sweep-filmstrip", (PlDrawFunc) pl_filmstrip_figure_draw,
                         &film->figure, film->figure.title, film->figure.caption, error))
    return FALSE;
  if (s->randomisation != NULL)
    {
      g_autoptr (PlOwnedPanelsFigure) sanity = pl_sweep_sanity_figure_new (s, TRUE);
      if (!export_figure (x, "sweep-sanity", (PlDrawFunc) pl_line_panels_figure_draw,
                          &sanity->figure, sanity->figure.title, sanity->figure.caption, error))
        return FALSE;
    }
  return export_core_file (x, "sweep.csv", save_sweep_csv, s, error)
         && export_core_file (x, "sweep.json", save_sweep_json, s, error);
}

gint
pl_export_all (const char *folder, const char *format, const PlExportAllInput *input,
               const PlExportOptions *options, GPtrArray **written, GError **error)
{
  return pl_export_all_full (folder, format, input, options, written, NULL, error);
}

gint
pl_export_all_full (const char *folder, const char *format, const PlExportAllInput *input,
                    const PlExportOptions *options, GPtrArray **written,
                    const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (folder != NULL && format != NULL && input != NULL && options != NULL, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);
  ExportAll x = { folder, format, options, NULL, 0, progress };
  if (written != NULL)
    x.written = *written = g_ptr_array_new_with_free_func (g_free);
  if (g_strcmp0 (format, "png") != 0 && g_strcmp0 (format, "svg") != 0
      && g_strcmp0 (format, "pdf") != 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   _("unknown figure format “%s”: use png, svg or pdf"), format);
      return -1;
    }
  if (g_mkdir_with_parents (folder, 0755) != 0)
    {
      int saved = errno;
      g_set_error (error, PL_ERROR, PL_ERROR_IO, _("%s: could not create the folder: %s"),
                   folder, g_strerror (saved));
      return -1;
    }
  gboolean ok = TRUE;
  if (ok && input->lime_shap != NULL)
    ok = export_figure (&x, "lime-shap", (PlDrawFunc) pl_lime_shap_figure_draw, input->lime_shap,
                        input->lime_shap->title, input->lime_shap->caption, error);
  if (ok && input->comparison != NULL)
    ok = export_comparison (&x, input, error);
  if (ok && input->dataset != NULL && input->e0 != NULL && input->e1 != NULL)
    ok = export_confusion (&x, input, error);
  if (ok && input->g0 != NULL)
    ok = export_layers (&x, input, error);
  if (ok && input->report != NULL)
    ok = export_report (&x, input->report, error);
  if (ok && input->sweep != NULL)
    ok = export_sweep (&x, input->sweep, error);
  return ok ? x.count : -1;
}
