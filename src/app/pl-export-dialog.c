/* pl-export-dialog.c — export size, resolution and captions. */
#include "config.h"
#include "pl-export-dialog.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include "pl-error.h"

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
  g_return_if_fail (callback != NULL);
  PlExportOptions o;
  pl_export_options_load (&o, settings);
  ExportDialog *d = g_new0 (ExportDialog, 1);
  d->settings = settings ? g_object_ref (settings) : NULL;
  d->callback = callback;
  d->user_data = user_data;
  d->inches = o.inches;

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
