/* pl-report-figures.c — the report's confusion matrix and weight histogram (moved here from
 * src/cli/cli-report.c in session 4). See pl-report-figures.h. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include "pl-report-figures.h"

static gpointer
own (GPtrArray *owned, gpointer p)
{
  g_ptr_array_add (owned, p);
  return p;
}

PlOwnedMatrixFigure *
pl_report_confusion_figure_new (const PlDataset *ds, const PlEvaluation *ev, const char *what)
{
  g_return_val_if_fail (ds != NULL && ev != NULL && what != NULL, NULL);
  gint k = MAX (ds->n_classes, 1);
  PlOwnedMatrixFigure *of = g_new0 (PlOwnedMatrixFigure, 1);
  of->owned = g_ptr_array_new_with_free_func (g_free);
  double *values = own (of->owned, g_new0 (double, (gsize) k * k));
  for (gint64 i = 0; i < ev->n && i < ds->n; i++)
    {
      gint t = ds->labels[i], p = ev->predictions[i];
      if (t >= 0 && t < k && p >= 0 && p < k)
        values[t * k + p] += 1;
    }
  char **names = own (of->owned, g_new0 (char *, k + 1));
  gint n_names = ds->class_names ? (gint) g_strv_length (ds->class_names) : 0;
  for (gint i = 0; i < k; i++)
    names[i] = own (of->owned, g_strdup (i < n_names ? ds->class_names[i] : "?"));
  PlMatrixFigure *m = &of->figure;
  m->title = own (of->owned, g_strdup_printf (_("Confusion matrix, %s"), what));
  m->caption = own (of->owned, g_strdup_printf (_("%s, first %lld samples; accuracy %.2f %%"),
                                                ds->name, (long long) ev->n,
                                                100.0 * ev->accuracy));
  m->row_label = own (of->owned, g_strdup (_("true class")));
  m->col_label = own (of->owned, g_strdup (_("predicted class")));
  m->n_rows = m->n_cols = k;
  m->row_names = (const char *const *) names;
  m->col_names = (const char *const *) names;
  m->values = values;
  m->scale.colormap = PL_COLORMAP_VIRIDIS;
  m->scale.label = own (of->owned, g_strdup (_("samples")));
  m->show_values = k <= 12;
  m->decimals = 0;
  return of;
}

/* All prunable weights of g (masked entries as 0). */
static float *
prunable_values (const PlGraph *g, gint64 *n)
{
  g_autoptr (GArray) ids = pl_graph_prunable_weights (g);
  gint64 total = 0;
  for (guint i = 0; i < ids->len; i++)
    total += pl_graph_value (g, g_array_index (ids, gint, i))->init->numel;
  float *out = g_new (float, MAX (total, 1));
  gint64 k = 0;
  for (guint i = 0; i < ids->len; i++)
    {
      const PlValue *v = pl_graph_value (g, g_array_index (ids, gint, i));
      for (gint64 j = 0; j < v->init->numel; j++)
        out[k++] = v->mask && v->mask->data[j] == 0.0f ? 0.0f : v->init->data[j];
    }
  *n = total;
  return out;
}

PlOwnedHistogramFigure *
pl_report_weight_histogram_figure_new (const PlGraph *original, const PlGraph *pruned,
                                       const char *what)
{
  g_return_val_if_fail (original != NULL && pruned != NULL && what != NULL, NULL);
  PlOwnedHistogramFigure *of = g_new0 (PlOwnedHistogramFigure, 1);
  of->owned = g_ptr_array_new_with_free_func (g_free);
  PlHistogramFigure *h = &of->figure;
  h->data[0] = own (of->owned, prunable_values (original, &h->n[0]));
  h->data[1] = own (of->owned, prunable_values (pruned, &h->n[1]));
  h->title = own (of->owned, g_strdup_printf (_("Prunable weights, original vs %s"), what));
  h->x_label = own (of->owned, g_strdup (_("weight value")));
  h->names[0] = own (of->owned, g_strdup (_("original")));
  h->names[1] = own (of->owned, g_strdup (what));
  h->n_bins = 80;
  h->log_y = TRUE;
  h->exclude_zeros = TRUE;
  h->n_sets = 2;
  return of;
}
