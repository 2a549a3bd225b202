/* pl-metrics-figures.c — confusion matrices, per-layer sparsity, per-class bars. */
#include "config.h"
#include "pl-metrics-figures.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include "analysis/pl-layers.h"
#include "pl-figures.h"
#include "pl-canvas.h"
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

/* Runs in a worker (pl-canvas.h): draws a copy with the window's style, f stays as made. */
static void
draw_fig (cairo_t *cr, int width, int height, gboolean dark, gconstpointer content)
{
  const Fig *f = content;
  switch (f->kind)
    {
    case FIG_MATRIX:
      {
        PlMatrixFigure fig = ((const PlOwnedMatrixFigure *) f->figure)->figure;
        fig.dark = dark;
        pl_matrix_figure_draw (cr, width, height, &fig);
        break;
      }
    case FIG_BARS:
      {
        PlBarFigure fig = ((const PlOwnedBarFigure *) f->figure)->figure;
        fig.dark = dark;
        pl_bar_figure_draw (cr, width, height, &fig);
        break;
      }
    case FIG_LAYER_BARS:
    default:
      {
        PlBarFigure fig = ((const PlLayerBarsFigure *) f->figure)->figure;
        fig.dark = dark;
        pl_bar_figure_draw (cr, width, height, &fig);
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
  GtkWidget *area = pl_canvas_new ();
  gtk_widget_set_size_request (area, width, height);
  gtk_widget_set_hexpand (area, TRUE);
  pl_canvas_set_content (PL_CANVAS (area), draw_fig, f, (GDestroyNotify) fig_free);
  gtk_accessible_update_property (GTK_ACCESSIBLE (area), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  accessible_name, -1);

  GtkWidget *overlay = gtk_overlay_new ();
  gtk_overlay_set_child (GTK_OVERLAY (overlay), area);
  GtkWidget *info = pl_info_button_new (topic);
  gtk_widget_set_halign (info, GTK_ALIGN_END);
  gtk_widget_set_valign (info, GTK_ALIGN_START);
  gtk_widget_set_tooltip_text (info, _("What this figure shows"));
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), info);
  return overlay;
}

/* A card listing every metric, statistic and method of the views with its ⓘ popover
 * (what it computes, the formula, the paper): the teaching glossary of the workbench. */
static GtkWidget *
glossary_card (void)
{
  static const PlInfoTopic topics[] = {
    PL_INFO_ACCURACY, PL_INFO_COST, PL_INFO_SPEARMAN, PL_INFO_KENDALL, PL_INFO_PEARSON,
    PL_INFO_COSINE, PL_INFO_TOPK, PL_INFO_SSIM, PL_INFO_PATCH_BARS, PL_INFO_DELETION,
    PL_INFO_INSERTION, PL_INFO_ENTROPY, PL_INFO_GINI, PL_INFO_BOOTSTRAP, PL_INFO_TESTS,
    PL_INFO_SANITY, PL_INFO_KERNEL_SHAP, PL_INFO_LIME, PL_INFO_PRUNING_CRITERIA,
    PL_INFO_PRUNING_SCHEDULES, PL_INFO_CONFUSION, PL_INFO_LAYER_SPARSITY, PL_INFO_CLASS_BARS,
  };
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *title = gtk_label_new (_("What the numbers mean"));
  gtk_widget_add_css_class (title, "heading");
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_box_append (GTK_BOX (box), title);
  GtkWidget *flow = gtk_flow_box_new ();
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (flow), GTK_SELECTION_NONE);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (flow), 4);
  gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (flow), TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (topics); i++)
    {
      GtkWidget *item = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
      GtkWidget *name = gtk_label_new (pl_info_topic_title (topics[i]));
      gtk_label_set_xalign (GTK_LABEL (name), 0);
      gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
      gtk_widget_set_hexpand (name, TRUE);
      gtk_box_append (GTK_BOX (item), name);
      gtk_box_append (GTK_BOX (item), pl_info_button_new (topics[i]));
      gtk_flow_box_append (GTK_FLOW_BOX (flow), item);
    }
  /* The flow box's children are not activatable: keyboard focus goes to the ⓘ buttons. */
  for (GtkWidget *c = gtk_widget_get_first_child (flow); c; c = gtk_widget_get_next_sibling (c))
    gtk_widget_set_focusable (c, FALSE);
  gtk_box_append (GTK_BOX (box), flow);
  gtk_accessible_update_property (GTK_ACCESSIBLE (box), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("What the numbers mean"), -1);
  return box;
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
  gtk_box_append (GTK_BOX (box), glossary_card ());   /* not a figure: not counted */
  g_object_set_data (G_OBJECT (box), "n-figures", GINT_TO_POINTER (n));
  return box;
}
