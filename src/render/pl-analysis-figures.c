/* pl-analysis-figures.c — ready-made figures of analysis results: the per-class breakdown
 * of a comparison (bars with bootstrap CIs), a confusion matrix, and the weight histograms
 * of the original and the pruned network. */
#include "config.h"
#include <glib/gi18n-lib.h>
#include "pl-figure-util.h"

#include <math.h>
#include <string.h>

static gpointer
own (GPtrArray *owned, gpointer p)
{
  g_ptr_array_add (owned, p);
  return p;
}

void
pl_owned_bar_figure_free (PlOwnedBarFigure *figure)
{
  if (figure == NULL)
    return;
  g_clear_pointer (&figure->owned, g_ptr_array_unref);
  g_free (figure);
}

void
pl_owned_matrix_figure_free (PlOwnedMatrixFigure *figure)
{
  if (figure == NULL)
    return;
  g_clear_pointer (&figure->owned, g_ptr_array_unref);
  g_free (figure);
}

void
pl_owned_histogram_figure_free (PlOwnedHistogramFigure *figure)
{
  if (figure == NULL)
    return;
  g_clear_pointer (&figure->owned, g_ptr_array_unref);
  g_free (figure);
}

/* The "_orig" metric of a per-network pair and its "_pruned" partner, or -1. */
static gint
pruned_partner (PlCompareMetric m)
{
  switch (m) {
  case PL_METRIC_DELETION_ORIG:
  case PL_METRIC_INSERTION_ORIG:
  case PL_METRIC_ENTROPY_ORIG:
  case PL_METRIC_GINI_ORIG:
    return m + 1;
  default:
    return -1;
  }
}

PlOwnedBarFigure *
pl_compare_class_figure_new (const PlCompareReport *report, PlCompareMetric metric)
{
  g_return_val_if_fail (report != NULL, NULL);
  g_return_val_if_fail (metric >= 0 && metric < PL_N_METRICS, NULL);
  /* a "_pruned" metric shows with its original */
  if (metric == PL_METRIC_DELETION_PRUNED || metric == PL_METRIC_INSERTION_PRUNED ||
      metric == PL_METRIC_ENTROPY_PRUNED || metric == PL_METRIC_GINI_PRUNED)
    metric--;
  PlOwnedBarFigure *of = g_new0 (PlOwnedBarFigure, 1);
  of->owned = g_ptr_array_new_with_free_func (g_free);
  gint K = MAX (report->n_classes, 0);
  gint partner = pruned_partner (metric);
  gint groups = partner >= 0 ? 2 : 1;
  double *values = own (of->owned, g_new (double, (gsize) groups * MAX (K, 1)));
  double *lo = own (of->owned, g_new (double, (gsize) groups * MAX (K, 1)));
  double *hi = own (of->owned, g_new (double, (gsize) groups * MAX (K, 1)));
  char **labels = own (of->owned, g_new0 (char *, K + 1));
  double *column = own (of->owned, g_new (double, MAX (report->n, 1)));
  for (gint c = 0; c < K; c++) {
    for (gint g = 0; g < groups; g++) {
      gint m = g == 0 ? (gint) metric : partner;
      gint64 n = 0;
      for (gint64 i = 0; i < report->n; i++)
        if (report->inputs[i].label == c)
          column[n++] = report->inputs[i].metrics[m];
      PlSummary su;
      pl_summarise (column, n, report->options.n_bootstrap, report->options.confidence,
                    report->options.seed + 1, &su);
      values[g * K + c] = su.mean;
      lo[g * K + c] = su.ci_low;
      hi[g * K + c] = su.ci_high;
    }
    const char *name = report->class_names != NULL && report->class_names[c] != NULL
                           ? report->class_names[c] : NULL;
    labels[c] = own (of->owned, name != NULL
                         ? g_strdup_printf ("%s (%" G_GINT64_FORMAT ")", name,
                                            report->class_count[c])
                         : g_strdup_printf (_("class %d (%lld)"), c,
                                            (long long) report->class_count[c]));
  }
  const char *mname = pl_compare_metric_name (metric);
  PlBarFigure *b = &of->figure;
  b->title = own (of->owned, partner >= 0
                      ? g_strdup_printf (_("%s per class, original and pruned"), mname)
                      : g_strdup_printf (_("%s per class, original vs pruned"), mname));
  b->caption = own (of->owned, g_strdup_printf (
      _("mean over each class's inputs with its %g %% percentile bootstrap CI (%d resamples, "
        "seed %llu) · %lld inputs of %s, %s"),
      100.0 * report->options.confidence, report->options.n_bootstrap,
      (unsigned long long) (report->options.seed + 1), (long long) report->n,
      report->dataset_name ? report->dataset_name : "",
      report->options.method_name ? report->options.method_name : "saliency"));
  b->value_label = (char *) mname;
  b->n_groups = groups;
  b->group_names[0] = groups == 2 ? _("original") : "";
  b->group_names[1] = _("pruned");
  b->n_bars = K;
  b->bar_labels = labels;
  b->values = values;
  b->err_lo = lo;
  b->err_hi = hi;
  b->sort = FALSE;
  return of;
}

PlOwnedMatrixFigure *
pl_confusion_figure_new (const gint *labels, const gint *predictions, gint64 n, gint n_classes,
                         const char *const *class_names, const char *title)
{
  g_return_val_if_fail (labels != NULL || n <= 0, NULL);
  g_return_val_if_fail (predictions != NULL || n <= 0, NULL);
  PlOwnedMatrixFigure *of = g_new0 (PlOwnedMatrixFigure, 1);
  of->owned = g_ptr_array_new_with_free_func (g_free);
  gint K = MAX (n_classes, 0);
  double *counts = own (of->owned, g_new0 (double, (gsize) MAX (K, 1) * MAX (K, 1)));
  gint64 used = 0, correct = 0;
  for (gint64 i = 0; i < n; i++) {
    gint t = labels[i], p = predictions[i];
    if (t < 0 || t >= K || p < 0 || p >= K)
      continue;
    counts[(gint64) t * K + p] += 1.0;
    used++;
    correct += t == p;
  }
  char **names = own (of->owned, g_new0 (char *, K + 1));
  for (gint c = 0; c < K; c++)
    names[c] = own (of->owned, class_names != NULL && class_names[c] != NULL
                                   ? g_strdup (class_names[c]) : g_strdup_printf ("%d", c));
  PlMatrixFigure *m = &of->figure;
  m->title = own (of->owned, g_strdup (title != NULL ? title : _("Confusion matrix")));
  m->caption = own (of->owned, g_strdup_printf (
      _("%lld images, top-1 accuracy %.2f %% · rows: true class, columns: predicted class"),
      (long long) used, used > 0 ? 100.0 * correct / used : 0.0));
  m->row_label = (char *) _("true class");
  m->col_label = (char *) _("predicted class");
  m->n_rows = m->n_cols = K;
  m->row_names = (const char *const *) names;
  m->col_names = (const char *const *) names;
  m->values = counts;
  m->scale = (PlColorScale) { PL_COLORMAP_VIRIDIS, 0.0, 0.0, (char *) _("images") };
  m->show_values = TRUE;
  m->decimals = 0;
  return of;
}

/* The prunable weights of graph, pruned ones (masked) as exact zeros. */
static float *
collect_weights (const PlGraph *graph, gint64 *n_out)
{
  g_autoptr (GArray) ids = pl_graph_prunable_weights (graph);
  gint64 n = 0;
  for (guint i = 0; i < ids->len; i++) {
    const PlValue *v = pl_graph_value (graph, g_array_index (ids, gint, i));
    if (v != NULL && v->init != NULL)
      n += v->init->numel;
  }
  float *w = g_new (float, MAX (n, 1));
  gint64 k = 0;
  for (guint i = 0; i < ids->len; i++) {
    const PlValue *v = pl_graph_value (graph, g_array_index (ids, gint, i));
    if (v == NULL || v->init == NULL)
      continue;
    for (gint64 j = 0; j < v->init->numel; j++)
      w[k++] = v->mask != NULL && v->mask->data[j] == 0.0f ? 0.0f : v->init->data[j];
  }
  *n_out = n;
  return w;
}

PlOwnedHistogramFigure *
pl_weight_histogram_figure_new (const PlGraph *original, const PlGraph *pruned)
{
  g_return_val_if_fail (original != NULL, NULL);
  PlOwnedHistogramFigure *of = g_new0 (PlOwnedHistogramFigure, 1);
  of->owned = g_ptr_array_new_with_free_func (g_free);
  PlHistogramFigure *h = &of->figure;
  const PlGraph *graphs[2] = { original, pruned };
  const char *names[2] = { _("original"), _("pruned") };
  for (gint k = 0; k < 2; k++) {
    if (graphs[k] == NULL)
      continue;
    gint64 n = 0;
    float *w = own (of->owned, collect_weights (graphs[k], &n));
    h->names[h->n_sets] = names[k];
    h->data[h->n_sets] = w;
    h->n[h->n_sets] = n;
    h->n_sets++;
  }
  h->title = (char *) _("Weights of the original and the pruned network");
  if (pruned == NULL)
    h->title = (char *) _("Weights of the network");
  h->caption = (char *) _("all Conv, Gemm and MatMul weights (biases not included); pruned "
                          "weights (zero or masked) left out");
  h->x_label = (char *) _("weight value");
  h->n_bins = 60;
  h->exclude_zeros = TRUE;
  return of;
}
