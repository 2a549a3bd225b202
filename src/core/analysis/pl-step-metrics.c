/* pl-step-metrics.c — metrics of a pruning step (see pl-step-metrics.h). */
#include "analysis/pl-step-metrics.h"
#include "analysis/pl-metrics.h"
#include "exec/pl-executor.h"
#include "onnx/pl-onnx.h"
#include "pl-error.h"

#include <math.h>
#include <string.h>

/* ---- cost ---- */

static gboolean
is_weight_layer (const PlNode *n)
{
  return g_str_equal (n->op_type, "Conv") || g_str_equal (n->op_type, "Gemm")
         || g_str_equal (n->op_type, "MatMul");
}

static gint64
count_nonzero (const PlValue *v)
{
  gint64 nz = 0;
  const PlTensor *t = v->init;
  const PlTensor *m = (v->mask != NULL && v->mask->numel == t->numel) ? v->mask : NULL;
  for (gint64 i = 0; i < t->numel; i++)
    nz += t->data[i] != 0.0f && (m == NULL || m->data[i] != 0.0f);
  return nz;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

PlCost *
pl_cost_compute (PlGraph *graph, gboolean measure_size, gint latency_runs, GError **error)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  gint64 shape[PL_TENSOR_MAX_DIMS];
  gint nd = pl_graph_sample_shape (graph, shape + 1);
  if (nd < 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The model's first input has no known shape, so its MACs and latency "
                   "cannot be measured");
      return NULL;
    }
  shape[0] = 1;
  g_autoptr (PlTensor) x = pl_tensor_new (nd + 1, shape, error);
  if (x == NULL)
    return NULL;
  PlExecutor *ex = pl_executor_new (graph, error);
  if (ex == NULL)
    return NULL;
  if (!pl_executor_forward (ex, x, error))
    {
      pl_executor_free (ex);
      return NULL;
    }

  PlCost *c = g_new0 (PlCost, 1);
  c->file_size = -1;
  c->latency_ms = NAN;

  /* Parameters: every initializer read by a node, once. */
  guint n_values = graph->values->len;
  g_autofree gboolean *seen = g_new0 (gboolean, MAX (n_values, 1));
  for (guint k = 0; k < graph->nodes->len; k++)
    {
      const PlNode *n = g_ptr_array_index (graph->nodes, k);
      for (gint i = 0; i < n->n_inputs; i++)
        {
          gint id = n->inputs[i];
          if (id < 0 || (guint) id >= n_values || seen[id])
            continue;
          const PlValue *v = pl_graph_value (graph, id);
          if (v->init == NULL)
            continue;
          seen[id] = TRUE;
          c->params_total += v->init->numel;
          c->params_nonzero += count_nonzero (v);
        }
    }

  g_autoptr (GArray) ids = pl_graph_prunable_weights (graph);
  c->n_layers = (gint) ids->len;
  c->layers = g_new0 (PlLayerCost, MAX (c->n_layers, 1));
  for (guint l = 0; l < ids->len; l++)
    {
      gint wid = g_array_index (ids, gint, l);
      const PlValue *w = pl_graph_value (graph, wid);
      PlLayerCost *lc = &c->layers[l];
      lc->weights = w->init->numel;
      lc->nonzero = count_nonzero (w);
      lc->sparsity = lc->weights > 0 ? 1.0 - (double) lc->nonzero / (double) lc->weights : 0.0;
      for (guint k = 0; k < graph->nodes->len; k++)
        {
          const PlNode *n = g_ptr_array_index (graph->nodes, k);
          if (!is_weight_layer (n) || n->n_inputs < 2 || n->inputs[1] != wid
              || n->n_outputs < 1)
            continue;
          if (lc->name == NULL)
            {
              lc->name = g_strdup (n->name && *n->name ? n->name : w->name);
              lc->op_type = g_strdup (n->op_type);
            }
          const PlTensor *out = pl_executor_value (ex, n->outputs[0]);
          if (out == NULL || out->ndim < 1)
            continue;
          gint64 per = 1;   /* Conv: Hout·Wout; Gemm / MatMul: output rows */
          if (g_str_equal (n->op_type, "Conv"))
            {
              for (gint d = 2; d < out->ndim; d++)
                per *= out->shape[d];
            }
          else
            {
              gint64 last = out->shape[out->ndim - 1];
              per = last > 0 ? out->numel / last : 0;
            }
          lc->macs_dense += lc->weights * per;
          lc->macs_effective += lc->nonzero * per;
        }
      if (lc->name == NULL)
        {
          lc->name = g_strdup (w->name);
          lc->op_type = g_strdup ("");
        }
      c->prunable_weights += lc->weights;
      c->macs_dense += lc->macs_dense;
      c->macs_effective += lc->macs_effective;
    }
  c->weight_sparsity = pl_graph_weight_sparsity (graph);

  if (measure_size)
    {
      gsize length = 0;
      g_autofree guint8 *bytes = pl_onnx_save_data (graph, &length, error);
      if (bytes == NULL)
        {
          pl_executor_free (ex);
          pl_cost_free (c);
          return NULL;
        }
      c->file_size = (gint64) length;
    }

  if (latency_runs > 0)
    {
      g_autofree double *t = g_new (double, latency_runs);
      for (gint r = 0; r < latency_runs; r++)
        {
          gint64 t0 = g_get_monotonic_time ();
          if (!pl_executor_forward (ex, x, error))
            {
              pl_executor_free (ex);
              pl_cost_free (c);
              return NULL;
            }
          t[r] = (double) (g_get_monotonic_time () - t0) / 1000.0;
        }
      qsort (t, (size_t) latency_runs, sizeof (double), cmp_double);
      c->latency_ms = latency_runs % 2 ? t[latency_runs / 2]
                                       : 0.5 * (t[latency_runs / 2 - 1] + t[latency_runs / 2]);
    }
  pl_executor_free (ex);
  return c;
}

void
pl_cost_free (PlCost *cost)
{
  if (cost == NULL)
    return;
  for (gint l = 0; l < cost->n_layers; l++)
    {
      g_free (cost->layers[l].name);
      g_free (cost->layers[l].op_type);
    }
  g_free (cost->layers);
  g_free (cost);
}

/* ---- classification ---- */

void
pl_macro_prf (const gint64 *confusion, gint k, double *precision, double *recall, double *f1)
{
  double sp = 0, sr = 0, sf = 0;
  gint used = 0;
  for (gint c = 0; c < k; c++)
    {
      gint64 tp = confusion[(gsize) c * k + c], row = 0, col = 0;
      for (gint j = 0; j < k; j++)
        {
          row += confusion[(gsize) c * k + j];
          col += confusion[(gsize) j * k + c];
        }
      if (row == 0 && col == 0)
        continue;
      double p = col > 0 ? (double) tp / (double) col : 0.0;
      double r = row > 0 ? (double) tp / (double) row : 0.0;
      double f = p + r > 0 ? 2.0 * p * r / (p + r) : 0.0;
      sp += p;
      sr += r;
      sf += f;
      used++;
    }
  if (precision)
    *precision = used ? sp / used : NAN;
  if (recall)
    *recall = used ? sr / used : NAN;
  if (f1)
    *f1 = used ? sf / used : NAN;
}

static void
log_softmax (const float *z, gint k, double *out)
{
  double m = -INFINITY;
  for (gint i = 0; i < k; i++)
    m = MAX (m, (double) z[i]);
  double s = 0;
  for (gint i = 0; i < k; i++)
    s += exp ((double) z[i] - m);
  double ls = m + log (s);
  for (gint i = 0; i < k; i++)
    out[i] = (double) z[i] - ls;
}

double
pl_softmax_kl (const float *ref, const float *q, gint k)
{
  g_return_val_if_fail (k > 0, NAN);
  double stack_a[64], stack_b[64];
  double *a = k <= 64 ? stack_a : g_new (double, k);
  double *b = k <= 64 ? stack_b : g_new (double, k);
  log_softmax (ref, k, a);
  log_softmax (q, k, b);
  double kl = 0;
  for (gint i = 0; i < k; i++)
    kl += exp (a[i]) * (a[i] - b[i]);
  if (k > 64)
    {
      g_free (a);
      g_free (b);
    }
  return MAX (kl, 0.0);
}

void
pl_step_metrics_options_init (PlStepMetricsOptions *options)
{
  g_return_if_fail (options != NULL);
  memset (options, 0, sizeof *options);
  options->cost = TRUE;
  options->file_size = TRUE;
  options->latency_runs = 7;
}

/* Is label among the 5 largest logits (ties towards the lower index)? */
static gboolean
in_top5 (const float *z, gint k, gint label)
{
  gint better = 0;
  for (gint c = 0; c < k; c++)
    if (z[c] > z[label] || (z[c] == z[label] && c < label))
      better++;
  return better < 5;
}

PlStepMetrics *
pl_step_metrics_compute (PlGraph *graph, const PlDataset *dataset,
                         const PlStepMetrics *reference, const PlStepMetricsOptions *options,
                         const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_return_val_if_fail (dataset != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  PlStepMetricsOptions defaults;
  if (options == NULL)
    {
      pl_step_metrics_options_init (&defaults);
      options = &defaults;
    }
  gint64 t0 = g_get_monotonic_time ();
  PlProgress sub = pl_progress_sub (progress, 0.0, options->cost ? 0.9 : 1.0);
  g_autoptr (PlTensor) logits = NULL;
  g_autoptr (PlEvaluation) ev = pl_evaluate_classifier_logits (graph, dataset, options->n_eval,
                                                               options->n_threads, &logits,
                                                               &sub, error);
  if (ev == NULL)
    return NULL;
  gint64 n = ev->n;
  gint k = (gint) logits->shape[1];
  if (reference != NULL && (reference->n != n || reference->n_classes != k))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The reference metrics were computed on %" G_GINT64_FORMAT " samples and "
                   "%d classes, these on %" G_GINT64_FORMAT " samples and %d classes",
                   reference->n, reference->n_classes, n, k);
      return NULL;
    }
  for (gint64 i = 0; i < n; i++)
    if ((gint) dataset->labels[i] >= k)
      {
        g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                     "Sample %" G_GINT64_FORMAT " of “%s” has label %d but the model gives "
                     "only %d logits", i, dataset->name ? dataset->name : "",
                     (gint) dataset->labels[i], k);
        return NULL;
      }

  g_autoptr (PlStepMetrics) m = g_new0 (PlStepMetrics, 1);
  m->n = n;
  m->n_classes = k;
  m->top1 = ev->accuracy;
  m->predictions = g_steal_pointer (&ev->predictions);
  m->confusion = g_new0 (gint64, (gsize) k * k);
  gint64 top5 = 0;
  for (gint64 i = 0; i < n; i++)
    {
      gint label = dataset->labels[i];
      m->confusion[(gsize) label * k + m->predictions[i]]++;
      top5 += in_top5 (logits->data + i * k, k, label);
    }
  m->top5 = k > 5 ? (double) top5 / (double) n : NAN;
  pl_macro_prf (m->confusion, k, &m->macro_precision, &m->macro_recall, &m->macro_f1);

  m->agreement = NAN;
  m->mean_kl = NAN;
  if (reference != NULL)
    {
      m->has_reference = TRUE;
      GArray *changed = g_array_new (FALSE, FALSE, sizeof (gint64));
      double kl = 0;
      for (gint64 i = 0; i < n; i++)
        {
          if (reference->predictions[i] != m->predictions[i])
            g_array_append_val (changed, i);
          kl += pl_softmax_kl (reference->logits->data + i * k, logits->data + i * k, k);
        }
      m->n_changed = changed->len;
      m->agreement = 1.0 - (double) changed->len / (double) n;
      m->changed = (gint64 *) g_array_free (changed, FALSE);
      m->mean_kl = kl / (double) n;
    }
  m->logits = g_steal_pointer (&logits);

  if (options->cost)
    {
      if (pl_progress_cancelled (progress, error))
        return NULL;
      pl_progress_report (progress, 0.9, "Measuring cost");
      m->cost = pl_cost_compute (graph, options->file_size, options->latency_runs, error);
      if (m->cost == NULL)
        return NULL;
    }
  m->seconds = (double) (g_get_monotonic_time () - t0) / 1e6;
  pl_progress_report (progress, 1.0, NULL);
  return g_steal_pointer (&m);
}

void
pl_step_metrics_free (PlStepMetrics *metrics)
{
  if (metrics == NULL)
    return;
  g_free (metrics->confusion);
  g_free (metrics->predictions);
  g_clear_pointer (&metrics->logits, pl_tensor_unref);
  g_free (metrics->changed);
  g_clear_pointer (&metrics->cost, pl_cost_free);
  g_free (metrics);
}

/* ---- history ---- */

void
pl_step_metrics_attach (PlPruneHistory *history, guint index, PlStepMetrics *metrics)
{
  g_return_if_fail (history != NULL);
  pl_prune_history_set_metrics (history, index, metrics,
                                (GDestroyNotify) pl_step_metrics_free);
}

const PlStepMetrics *
pl_step_metrics_get (const PlPruneHistory *history, guint index)
{
  g_return_val_if_fail (history != NULL, NULL);
  const PlPruneHistoryStep *s = pl_prune_history_step (history, index);
  if (s == NULL || s->metrics == NULL
      || s->metrics_free != (GDestroyNotify) pl_step_metrics_free)
    return NULL;
  return s->metrics;
}

PlStepComparison *
pl_step_compare (const PlPruneHistory *history, guint a, guint b, GError **error)
{
  g_return_val_if_fail (history != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  guint n_steps = pl_prune_history_n_steps (history);
  if (a >= n_steps || b >= n_steps)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Cannot compare steps %u and %u: the history has steps 0 to %u", a, b,
                   n_steps - 1);
      return NULL;
    }
  PlStepComparison *c = g_new0 (PlStepComparison, 1);
  guint idx[2] = { a, b };
  for (gint i = 0; i < 2; i++)
    {
      const PlPruneHistoryStep *s = pl_prune_history_step (history, idx[i]);
      c->index[i] = idx[i];
      c->graph[i] = pl_graph_ref (s->graph);
      c->metrics[i] = pl_step_metrics_get (history, idx[i]);
      c->sparsity[i] = pl_graph_weight_sparsity (s->graph);
    }
  c->delta_sparsity = c->sparsity[1] - c->sparsity[0];
  c->delta_top1 = c->delta_top5 = c->delta_f1 = c->delta_mean_kl = NAN;
  c->delta_latency_ms = NAN;
  c->agreement = NAN;
  const PlStepMetrics *ma = c->metrics[0], *mb = c->metrics[1];
  if (ma != NULL && mb != NULL)
    {
      c->delta_top1 = mb->top1 - ma->top1;
      c->delta_top5 = mb->top5 - ma->top5;
      c->delta_f1 = mb->macro_f1 - ma->macro_f1;
      c->delta_mean_kl = mb->mean_kl - ma->mean_kl;
      if (ma->cost != NULL && mb->cost != NULL)
        {
          c->delta_params_nonzero = mb->cost->params_nonzero - ma->cost->params_nonzero;
          c->delta_macs_effective = mb->cost->macs_effective - ma->cost->macs_effective;
          c->delta_file_size = mb->cost->file_size - ma->cost->file_size;
          c->delta_latency_ms = mb->cost->latency_ms - ma->cost->latency_ms;
        }
      if (ma->n == mb->n && ma->n > 0)
        {
          GArray *changed = g_array_new (FALSE, FALSE, sizeof (gint64));
          for (gint64 i = 0; i < ma->n; i++)
            if (ma->predictions[i] != mb->predictions[i])
              g_array_append_val (changed, i);
          c->n_changed = changed->len;
          c->agreement = 1.0 - (double) changed->len / (double) ma->n;
          c->changed = (gint64 *) g_array_free (changed, FALSE);
        }
    }
  return c;
}

void
pl_step_comparison_free (PlStepComparison *comparison)
{
  if (comparison == NULL)
    return;
  for (gint i = 0; i < 2; i++)
    g_clear_pointer (&comparison->graph[i], pl_graph_unref);
  g_free (comparison->changed);
  g_free (comparison);
}
