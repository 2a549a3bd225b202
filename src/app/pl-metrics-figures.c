/* pl-metrics-figures.c — confusion matrices, per-layer sparsity, per-class bars. */
#include "config.h"
#include "pl-metrics-figures.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include "analysis/pl-layers.h"
#include "pl-figures.h"
#include "pl-info-popover.h"

typedef enum { FIG_MATRIX, FIG_BARS, FIG_LAYER_BARS } FigKind;

typedef struct {
  FigKind kind;
  gpointer figure;   /* PlOwnedMatrixFigure / PlOwnedBarFigure / PlLayerBarsFigure */
} Fig;

static void
fig_free (Fig *f)
{
  switch (f->kind)
    {
    case FIG_MATRIX: pl_owned_matrix_figure_free (f->figure); break;
    case FIG_BARS: pl_owned_bar_figure_free (f->figure); break;
    case FIG_LAYER_BARS:
    default: pl_layer_bars_figure_free (f->figure); break;
    }
  g_free (f);
}

static void
draw_fig (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
  Fig *f = user_data;
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  switch (f->kind)
    {
    case FIG_MATRIX:
      {
        PlOwnedMatrixFigure *m = f->figure;
        m->figure.dark = dark;
        pl_matrix_figure_draw (cr, width, height, &m->figure);
        break;
      }
    case FIG_BARS:
      {
        PlOwnedBarFigure *b = f->figure;
        b->figure.dark = dark;
        pl_bar_figure_draw (cr, width, height, &b->figure);
        break;
      }
    case FIG_LAYER_BARS:
    default:
      {
        PlLayerBarsFigure *b = f->figure;
        b->figure.dark = dark;
        pl_bar_figure_draw (cr, width, height, &b->figure);
        break;
      }
    }
}

/* A card: the figure in a drawing area with an ⓘ button at its top right. */
static GtkWidget *
card (FigKind kind, gpointer figure, int width, int height, PlInfoTopic topic,
      const char *accessible_name)
{
  Fig *f = g_new0 (Fig, 1);
  f->kind = kind;
  f->figure = figure;
  GtkWidget *area = gtk_drawing_area_new ();
  gtk_widget_set_size_request (area, width, height);
  gtk_widget_set_hexpand (area, TRUE);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (area), draw_fig, f, (GDestroyNotify) fig_free);
  gtk_accessible_update_property (GTK_ACCESSIBLE (area), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  accessible_name, -1);

  GtkWidget *overlay = gtk_overlay_new ();
  gtk_overlay_set_child (GTK_OVERLAY (overlay), area);
  GtkWidget *info = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (info), "help-about-symbolic");
  gtk_widget_add_css_class (info, "flat");
  gtk_widget_add_css_class (info, "circular");
  gtk_widget_set_halign (info, GTK_ALIGN_END);
  gtk_widget_set_valign (info, GTK_ALIGN_START);
  gtk_widget_set_tooltip_text (info, _("What this figure shows"));
  GtkWidget *popover = gtk_popover_new ();
  GtkWidget *label = gtk_label_new (NULL);
  g_autofree char *markup = pl_info_topic_markup (topic);
  gtk_label_set_markup (GTK_LABEL (label), markup);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 50);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_popover_set_child (GTK_POPOVER (popover), label);
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (info), popover);
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), info);
  return overlay;
}

double *
pl_metrics_confusion_counts (const PlDataset *dataset, const PlEvaluation *e)
{
  g_return_val_if_fail (dataset != NULL && e != NULL, NULL);
  gint K = dataset->n_classes;
  if (K <= 0)
    return NULL;
  double *counts = g_new0 (double, (gsize) K * K);
  for (gint64 i = 0; i < MIN (e->n, dataset->n); i++)
    {
      gint t = dataset->labels[i], p = e->predictions[i];
      if (t >= 0 && t < K && p >= 0 && p < K)
        counts[(gsize) t * K + p] += 1.0;
    }
  return counts;
}

static GtkWidget *
confusion_card (const PlDataset *dataset, const PlEvaluation *e, const char *title)
{
  gint64 n = MIN (e->n, dataset->n);
  g_autofree gint *labels = g_new (gint, MAX (n, 1));
  for (gint64 i = 0; i < n; i++)
    labels[i] = dataset->labels[i];
  const char *names[65] = { 0 };
  gint K = MIN (dataset->n_classes, 64);
  for (gint k = 0; k < K; k++)
    names[k] = _(dataset->class_names[k]);
  PlOwnedMatrixFigure *m = pl_confusion_figure_new (labels, e->predictions, n,
                                                    dataset->n_classes, names, title);
  int side = 300 + 14 * MIN (dataset->n_classes, 20);
  return card (FIG_MATRIX, m, side, side, PL_INFO_CONFUSION, title);
}

GtkWidget *
pl_metrics_figures_new (const PlDataset *dataset, const PlEvaluation *e0,
                        const PlEvaluation *e1, const PlGraph *g0, const PlGraph *g1,
                        const PlCompareReport *report)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gint n = 0;
  if (dataset != NULL && e0 != NULL && e1 != NULL && dataset->n_classes > 1 &&
      dataset->n_classes <= 64)
    {
      GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
      gtk_box_set_homogeneous (GTK_BOX (row), TRUE);
      g_autofree char *t0 = g_strdup_printf (_("Confusion matrix, original (%.1f %% correct)"),
                                             100.0 * e0->accuracy);
      g_autofree char *t1 = g_strdup_printf (_("Confusion matrix, pruned (%.1f %% correct)"),
                                             100.0 * e1->accuracy);
      gtk_box_append (GTK_BOX (row), confusion_card (dataset, e0, t0));
      gtk_box_append (GTK_BOX (row), confusion_card (dataset, e1, t1));
      gtk_box_append (GTK_BOX (box), row);
      n += 2;
    }
  if (g0 != NULL && g1 != NULL)
    {
      g_autoptr (PlLayerSparsity) l0 = pl_layer_sparsity (g0);
      g_autoptr (PlLayerSparsity) l1 = pl_layer_sparsity (g1);
      if (l0->n_layers > 0)
        {
          PlLayerBarsFigure *b = pl_layer_sparsity_figure_new (l0, l1);
          gtk_box_append (GTK_BOX (box),
                          card (FIG_LAYER_BARS, b, 480, 90 + 44 * MIN (l0->n_layers, 30),
                                PL_INFO_LAYER_SPARSITY, _("Sparsity per layer")));
          n++;
        }
    }
  if (report != NULL && report->n > 0)
    {
      PlOwnedBarFigure *b = pl_compare_class_figure_new (report, PL_METRIC_SPEARMAN_ABS);
      if (b != NULL)
        {
          gtk_box_append (GTK_BOX (box),
                          card (FIG_BARS, b, 480, 90 + 30 * MAX (b->figure.n_bars, 1),
                                PL_INFO_CLASS_BARS, _("Explanation similarity per class")));
          n++;
        }
    }
  g_object_set_data (G_OBJECT (box), "n-figures", GINT_TO_POINTER (n));
  return box;
}
