/* pl-importance.c — dataset-level importance: permutation feature importance (Breiman
 * 2001; Fisher, Rudin & Dominici 2019), global mean |SHAP| (Lundberg et al. 2020), and
 * KernelSHAP for a table row with a reference row. */
#include "explain/pl-explain-private.h"
#include "pl-error.h"

#include <math.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (gsl_rng, gsl_rng_free)

/* ------------------------------------------------------------------ permutation */

void
pl_permutation_options_init (PlPermutationOptions *options)
{
  g_return_if_fail (options != NULL);
  options->metric = PL_PERMUTATION_ACCURACY;
  options->repeats = 5;
  options->seed = 1;
  options->batch = 256;
}

typedef struct {
  PlExecutor *executor;
  const PlTensor *data;     /* [n, ...] */
  const gint *labels;       /* [n] */
  PlPermutationMetric metric;
  gint batch;
} PermData;

/* The metric on data with the elements `idx` of row i taken from row perm[i] (perm NULL:
 * unshuffled). */
static gboolean
perm_metric (const PermData *pd, const gint64 *idx, gint64 n_idx, const gsize *perm,
             double *metric_out, const PlProgress *progress, GError **error)
{
  const PlTensor *X = pd->data;
  gint64 n = X->shape[0], D = X->numel / n;
  double total = 0;
  for (gint64 start = 0; start < n; start += pd->batch)
    {
      if (pl_progress_cancelled (progress, error))
        return FALSE;
      gint64 cnt = MIN ((gint64) pd->batch, n - start);
      g_autoptr (PlTensor) b = pl_attr_batch_new (X, cnt, error);
      if (b == NULL)
        return FALSE;
      memcpy (b->data, X->data + start * D, sizeof (float) * (gsize) (cnt * D));
      if (perm != NULL)
        for (gint64 r = 0; r < cnt; r++)
          {
            const float *src = X->data + (gint64) perm[start + r] * D;
            float *dst = b->data + r * D;
            for (gint64 k = 0; k < n_idx; k++)
              dst[idx[k]] = src[idx[k]];
          }
      if (!pl_executor_forward (pd->executor, b, error))
        return FALSE;
      const PlTensor *logits = pl_executor_output (pd->executor, 0);
      if (logits == NULL || logits->ndim != 2 || logits->shape[0] != cnt)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "The model's first output should be logits of shape [N, classes]");
          return FALSE;
        }
      gint64 K = logits->shape[1];
      for (gint64 r = 0; r < cnt; r++)
        {
          gint y = pd->labels[start + r];
          if (y < 0 || y >= K)
            {
              g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                           "Label %d of sample %" G_GINT64_FORMAT " is not a class of the "
                           "model (0–%" G_GINT64_FORMAT ")", y, start + r, K - 1);
              return FALSE;
            }
          const float *l = logits->data + r * K;
          if (pd->metric == PL_PERMUTATION_ACCURACY)
            total += pl_tensor_argmax (l, K) == y ? 1.0 : 0.0;
          else
            total += l[y];
        }
    }
  *metric_out = total / n;
  return TRUE;
}

/* features: GPtrArray of GArray (gint64 element offsets within a sample). */
static PlAttribution *
permutation_importance (PlExecutor *executor, const PlTensor *data, const gint *labels,
                        GPtrArray *features, const PlPermutationOptions *options,
                        const char *what, const PlProgress *progress, GError **error)
{
  PlPermutationOptions opt;
  pl_permutation_options_init (&opt);
  if (options)
    opt = *options;
  if (opt.repeats < 1 || opt.repeats > 10000 || (guint) opt.metric > PL_PERMUTATION_CLASS_SCORE)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Permutation importance needs 1–10000 repeats (got %d) and a metric of "
                   "accuracy or class score", opt.repeats);
      return NULL;
    }
  PermData pd = { executor, data, labels, opt.metric, opt.batch > 0 ? opt.batch : 256 };
  gint64 n = data->shape[0];
  gint M = (gint) features->len;
  double base;
  if (!perm_metric (&pd, NULL, 0, NULL, &base, NULL, error))
    return NULL;
  g_autoptr (gsl_rng) rng = gsl_rng_alloc (gsl_rng_mt19937);
  gsl_rng_set (rng, (unsigned long) (opt.seed ^ (opt.seed >> 32)));
  g_autofree gsize *perm = g_new (gsize, n);
  g_autoptr (PlTensor) mean = pl_tensor_new_1d (M);
  g_autoptr (PlTensor) sd = pl_tensor_new_1d (M);
  g_autofree double *drops = g_new (double, opt.repeats);
  gint64 done = 0, total = (gint64) M * opt.repeats;
  for (gint j = 0; j < M; j++)
    {
      GArray *idx = g_ptr_array_index (features, j);
      for (gint r = 0; r < opt.repeats; r++)
        {
          for (gint64 i = 0; i < n; i++)
            perm[i] = (gsize) i;
          gsl_ran_shuffle (rng, perm, (size_t) n, sizeof (gsize));
          double m;
          PlProgress sub = pl_progress_sub (progress, (double) done / total,
                                            (double) (done + 1) / total);
          if (!perm_metric (&pd, (const gint64 *) idx->data, idx->len, perm, &m,
                            progress ? &sub : NULL, error))
            return NULL;
          drops[r] = base - m;
          done++;
          pl_progress_report (progress, (double) done / total, NULL);
        }
      double s = 0, s2 = 0;
      for (gint r = 0; r < opt.repeats; r++)
        s += drops[r];
      s /= opt.repeats;
      for (gint r = 0; r < opt.repeats; r++)
        s2 += (drops[r] - s) * (drops[r] - s);
      mean->data[j] = (float) s;
      sd->data[j] = opt.repeats > 1 ? (float) sqrt (s2 / (opt.repeats - 1)) : 0.0f;
    }
  g_autoptr (PlAttribution) a = pl_attr_new ("permutation-importance", -1, opt.seed);
  a->attribution = g_steal_pointer (&mean);
  a->sd = g_steal_pointer (&sd);
  a->intercept = base;
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "metric=%s repeats=%d samples=%" G_GINT64_FORMAT
                          " features=%d %s seed=%" G_GUINT64_FORMAT " batch=%d",
                          opt.metric == PL_PERMUTATION_ACCURACY ? "accuracy"
                                                                : "true-class-logit",
                          opt.repeats, n, M, what, opt.seed, pd.batch);
  pl_attr_param_double (s, "baseline-metric", base);
  a->parameters = g_string_free (s, FALSE);
  return g_steal_pointer (&a);
}

static void
free_garray (gpointer p)
{
  g_array_unref (p);
}

PlAttribution *
pl_permutation_importance_image (PlExecutor *executor, const PlDataset *dataset,
                                 gint64 start, gint64 count,
                                 const PlSegmentation *segmentation,
                                 const PlPermutationOptions *options,
                                 const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (executor != NULL, NULL);
  g_return_val_if_fail (dataset != NULL, NULL);
  g_return_val_if_fail (segmentation != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (count <= 0)
    count = dataset->n - start;
  if (start < 0 || count < 2 || start + count > dataset->n)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Permutation importance needs at least 2 samples inside the dataset "
                   "(%" G_GINT64_FORMAT " samples); asked for %" G_GINT64_FORMAT " from %"
                   G_GINT64_FORMAT, dataset->n, count, start);
      return NULL;
    }
  if (segmentation->height != dataset->height || segmentation->width != dataset->width
      || segmentation->n_segments < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The segmentation is %d×%d but the dataset's images are %d×%d",
                   segmentation->height, segmentation->width, dataset->height,
                   dataset->width);
      return NULL;
    }
  gint64 HW = (gint64) dataset->height * dataset->width, C = dataset->channels;
  gint M = segmentation->n_segments;
  g_autoptr (GPtrArray) features = g_ptr_array_new_with_free_func (free_garray);
  for (gint j = 0; j < M; j++)
    g_ptr_array_add (features, g_array_new (FALSE, FALSE, sizeof (gint64)));
  for (gint64 c = 0; c < C; c++)
    for (gint64 p = 0; p < HW; p++)
      {
        gint s = segmentation->labels[p];
        if (s < 0 || s >= M)
          {
            g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                         "Segment label %d at pixel %" G_GINT64_FORMAT " is outside [0, %d)",
                         s, p, M);
            return NULL;
          }
        gint64 off = c * HW + p;
        g_array_append_val (g_ptr_array_index (features, s), off);
      }
  g_autoptr (PlTensor) data = pl_dataset_range (dataset, start, count, error);
  if (data == NULL)
    return NULL;
  g_autofree gint *labels = g_new (gint, count);
  for (gint64 i = 0; i < count; i++)
    labels[i] = dataset->labels[start + i];
  g_autofree char *what = g_strdup_printf ("dataset-start=%" G_GINT64_FORMAT
                                           " feature=segment", start);
  return permutation_importance (executor, data, labels, features, options, what, progress,
                                 error);
}

PlAttribution *
pl_permutation_importance_table (PlExecutor *executor, const PlTensor *data,
                                 const gint *labels, const PlPermutationOptions *options,
                                 const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (executor != NULL, NULL);
  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (labels != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (data->ndim != 2 || data->shape[0] < 2 || data->shape[1] < 1)
    {
      g_autofree char *shape = pl_tensor_shape_string (data->ndim, data->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Permutation importance on a table needs data [N ≥ 2, F ≥ 1]; got %s",
                   shape);
      return NULL;
    }
  gint64 F = data->shape[1];
  g_autoptr (GPtrArray) features = g_ptr_array_new_with_free_func (free_garray);
  for (gint64 j = 0; j < F; j++)
    {
      GArray *a = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_array_append_val (a, j);
      g_ptr_array_add (features, a);
    }
  return permutation_importance (executor, data, labels, features, options, "feature=column",
                                 progress, error);
}

/* ------------------------------------------------------------------ mean |SHAP| */

PlAttribution *
pl_global_shap_image (PlExecutor *executor, const PlDataset *dataset, gint64 start,
                      gint64 count, gint target, const PlSegmentation *segmentation,
                      float baseline, const PlKernelShapOptions *options,
                      const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (executor != NULL, NULL);
  g_return_val_if_fail (dataset != NULL, NULL);
  g_return_val_if_fail (segmentation != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (count <= 0)
    count = dataset->n - start;
  if (start < 0 || count < 1 || start + count > dataset->n)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Samples %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT " are outside the "
                   "dataset (%" G_GINT64_FORMAT " samples)", start, start + count - 1,
                   dataset->n);
      return NULL;
    }
  gint M = segmentation->n_segments;
  if (M < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "The segmentation has no segments");
      return NULL;
    }
  g_autofree double *sum = g_new0 (double, M), *sum2 = g_new0 (double, M);
  for (gint64 i = 0; i < count; i++)
    {
      if (pl_progress_cancelled (progress, error))
        return NULL;
      g_autoptr (PlTensor) x = pl_dataset_range (dataset, start + i, 1, error);
      if (x == NULL)
        return NULL;
      PlProgress sub = pl_progress_sub (progress, (double) i / count, (double) (i + 1) / count);
      g_autoptr (PlTensor) phi = pl_kernel_shap_image (executor, x, target, segmentation,
                                                       baseline, options, NULL, NULL,
                                                       progress ? &sub : NULL, error);
      if (phi == NULL)
        return NULL;
      for (gint j = 0; j < M; j++)
        {
          double v = fabs (phi->data[j]);
          sum[j] += v;
          sum2[j] += v * v;
        }
      pl_progress_report (progress, (double) (i + 1) / count, NULL);
    }
  g_autoptr (PlTensor) mean = pl_tensor_new_1d (M);
  g_autoptr (PlTensor) sd = pl_tensor_new_1d (M);
  for (gint j = 0; j < M; j++)
    {
      double m = sum[j] / count;
      mean->data[j] = (float) m;
      sd->data[j] = (float) sqrt (fmax (0.0, sum2[j] / count - m * m));
    }
  PlKernelShapOptions ko = { 0 };
  if (options)
    ko = *options;
  g_autoptr (PlAttribution) a = pl_attr_new ("mean-abs-shap", target, ko.seed);
  a->attribution = g_steal_pointer (&mean);
  a->sd = g_steal_pointer (&sd);
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "target=%s samples=%" G_GINT64_FORMAT " dataset-start=%"
                          G_GINT64_FORMAT " segments=%d",
                          target < 0 ? "predicted" : "fixed", count, start, M);
  if (target >= 0)
    g_string_append_printf (s, " class=%d", target);
  pl_attr_param_double (s, "baseline", baseline);
  g_string_append_printf (s, " budget=%d seed=%" G_GUINT64_FORMAT " sd=population",
                          ko.budget > 0 ? ko.budget : 2 * M + 2048, ko.seed);
  a->parameters = g_string_free (s, FALSE);
  return g_steal_pointer (&a);
}

/* ------------------------------------------------------------------ table KernelSHAP */

typedef struct {
  PlExecutor *executor;
  const PlTensor *row;
  const float *reference;
  gint target;
  gint batch;
} TableGame;

static gboolean
table_game_func (const guint8 *coalitions, gint n, gint M, double *values, gpointer user_data,
                 GError **error)
{
  TableGame *g = user_data;
  for (gint start = 0; start < n; start += g->batch)
    {
      gint cnt = MIN (g->batch, n - start);
      g_autoptr (PlTensor) b = pl_attr_batch_new (g->row, cnt, error);
      if (b == NULL)
        return FALSE;
      for (gint r = 0; r < cnt; r++)
        {
          const guint8 *z = coalitions + (gsize) (start + r) * M;
          for (gint j = 0; j < M; j++)
            b->data[(gint64) r * M + j] = z[j] ? g->row->data[j] : g->reference[j];
        }
      if (!pl_attr_logits (g->executor, b, g->target, values + start, error))
        return FALSE;
    }
  return TRUE;
}

PlAttribution *
pl_attribution_kernel_shap_table (PlExecutor *executor, const PlTensor *row, gint target,
                                  const PlTensor *reference, const PlKernelShapOptions *options,
                                  const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (executor != NULL, NULL);
  g_return_val_if_fail (row != NULL, NULL);
  g_return_val_if_fail (reference != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (row->ndim != 2 || row->shape[0] != 1 || row->shape[1] < 1)
    {
      g_autofree char *shape = pl_tensor_shape_string (row->ndim, row->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Table KernelSHAP needs a row of shape [1, F]; got %s", shape);
      return NULL;
    }
  if (!pl_attr_check_like (reference, row, "reference row", error))
    return NULL;
  if (!pl_attr_resolve_target (executor, row, &target, NULL, error))
    return NULL;
  gint M = (gint) row->shape[1];
  TableGame game = { executor, row, reference->data, target,
                     options && options->batch > 0 ? options->batch : 256 };
  double ve = 0, vf = 0;
  g_autoptr (PlTensor) phi = pl_kernel_shap (table_game_func, &game, M, options, &ve, &vf,
                                             progress, error);
  if (phi == NULL)
    return NULL;
  PlKernelShapOptions ko = { 0 };
  if (options)
    ko = *options;
  gint budget = ko.budget > 0 ? ko.budget : 2 * M + 2048;
  g_autoptr (PlAttribution) a = pl_attr_new ("kernel-shap", target, ko.seed);
  a->attribution = g_steal_pointer (&phi);
  a->fx = vf;
  a->f_baseline = ve;
  a->parameters = g_strdup_printf ("target=%d features=%d budget=%d %s reference=row "
                                   "seed=%" G_GUINT64_FORMAT, target, M, budget,
                                   M < 31 && (1LL << M) - 2 <= budget ? "enumerated=yes"
                                                                      : "paired-sampling=yes",
                                   ko.seed);
  return g_steal_pointer (&a);
}

PlAttribution *
pl_global_shap_table (PlExecutor *executor, const PlTensor *data, gint target,
                      const PlTensor *reference, const PlKernelShapOptions *options,
                      const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (executor != NULL, NULL);
  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (reference != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (data->ndim != 2 || data->shape[0] < 1 || data->shape[1] < 1)
    {
      g_autofree char *shape = pl_tensor_shape_string (data->ndim, data->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Global SHAP on a table needs data [N ≥ 1, F ≥ 1]; got %s", shape);
      return NULL;
    }
  gint64 N = data->shape[0], F = data->shape[1];
  g_autofree double *sum = g_new0 (double, F), *sum2 = g_new0 (double, F);
  g_autoptr (PlTensor) row = pl_tensor_new_2d (1, F);
  for (gint64 i = 0; i < N; i++)
    {
      if (pl_progress_cancelled (progress, error))
        return NULL;
      memcpy (row->data, data->data + i * F, sizeof (float) * (gsize) F);
      PlProgress sub = pl_progress_sub (progress, (double) i / N, (double) (i + 1) / N);
      g_autoptr (PlAttribution) a = pl_attribution_kernel_shap_table (executor, row, target,
                                                                      reference, options,
                                                                      progress ? &sub : NULL,
                                                                      error);
      if (a == NULL)
        {
          g_prefix_error (error, "Row %" G_GINT64_FORMAT ": ", i);
          return NULL;
        }
      for (gint64 j = 0; j < F; j++)
        {
          double v = fabs (a->attribution->data[j]);
          sum[j] += v;
          sum2[j] += v * v;
        }
      pl_progress_report (progress, (double) (i + 1) / N, NULL);
    }
  g_autoptr (PlTensor) mean = pl_tensor_new_1d (F);
  g_autoptr (PlTensor) sd = pl_tensor_new_1d (F);
  for (gint64 j = 0; j < F; j++)
    {
      double m = sum[j] / N;
      mean->data[j] = (float) m;
      sd->data[j] = (float) sqrt (fmax (0.0, sum2[j] / N - m * m));
    }
  PlKernelShapOptions ko = { 0 };
  if (options)
    ko = *options;
  g_autoptr (PlAttribution) a = pl_attr_new ("mean-abs-shap", target, ko.seed);
  a->attribution = g_steal_pointer (&mean);
  a->sd = g_steal_pointer (&sd);
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "target=%s rows=%" G_GINT64_FORMAT " features=%" G_GINT64_FORMAT,
                          target < 0 ? "predicted" : "fixed", N, F);
  if (target >= 0)
    g_string_append_printf (s, " class=%d", target);
  g_string_append_printf (s, " reference=row budget=%d seed=%" G_GUINT64_FORMAT
                          " sd=population", ko.budget > 0 ? ko.budget : (gint) (2 * F + 2048),
                          ko.seed);
  a->parameters = g_string_free (s, FALSE);
  return g_steal_pointer (&a);
}
