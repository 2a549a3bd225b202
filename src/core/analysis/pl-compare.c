/* pl-compare.c — the "compare original vs pruned over N inputs" job and its export.
 * See pl-compare.h.
 */
#include "analysis/pl-compare.h"
#include "analysis/pl-analysis-private.h"
#include "explain/pl-explain.h"
#include "pl-error.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const metric_names[PL_N_METRICS] = {
  "spearman", "spearman_abs", "kendall", "pearson", "cosine", "topk", "ssim",
  "bars_spearman", "bars_kendall", "bars_topk",
  "deletion_auc_orig", "deletion_auc_pruned", "insertion_auc_orig", "insertion_auc_pruned",
  "entropy_orig", "entropy_pruned", "gini_orig", "gini_pruned",
};

const char *
pl_compare_metric_name (PlCompareMetric metric)
{
  g_return_val_if_fail (metric >= 0 && metric < PL_N_METRICS, NULL);
  return metric_names[metric];
}

void
pl_compare_options_init (PlCompareOptions *options)
{
  g_return_if_fail (options != NULL);
  memset (options, 0, sizeof *options);
  options->n_samples = 100;
  options->seed = 1;
  options->topk_fraction = 0.1;
  options->grid_rows = 4;
  options->grid_cols = 4;
  pl_faithfulness_options_init (&options->faithfulness);
  options->n_bootstrap = 2000;
  options->confidence = 0.95;
  options->randomisation = TRUE;
  options->randomisation_inputs = 10;
  options->method_name = "saliency";
}

void
pl_compare_report_free (PlCompareReport *report)
{
  if (report == NULL)
    return;
  g_free ((char *) report->options.method_name);
  g_free (report->dataset_name);
  g_free (report->inputs);
  g_free (report->curve_fraction);
  g_free (report->mean_curves);
  g_strfreev (report->class_names);
  g_free (report->class_count);
  g_free (report->class_mean);
  g_free (report->ranked);
  pl_randomisation_curve_free (report->randomisation);
  g_free (report);
}

/* ---- sampling ------------------------------------------------------------------ */

static int
compare_gint64 (const void *pa, const void *pb)
{
  gint64 a = *(const gint64 *) pa, b = *(const gint64 *) pb;
  return (a > b) - (a < b);
}

gint64 *
pl_stratified_sample (const PlDataset *dataset, gint64 n, guint64 seed, gint64 *n_out)
{
  g_return_val_if_fail (dataset != NULL, NULL);
  g_return_val_if_fail (n_out != NULL, NULL);
  gint64 total = dataset->n;
  if (n <= 0 || n > total)
    n = total;
  *n_out = n;
  gint64 *result = g_new (gint64, MAX (n, 1));
  if (n == 0)
    return result;

  gint n_classes = 1;
  for (gint64 i = 0; i < total; i++)
    n_classes = MAX (n_classes, dataset->labels[i] + 1);
  g_autofree gint64 *count = g_new0 (gint64, n_classes);
  for (gint64 i = 0; i < total; i++)
    count[dataset->labels[i]]++;

  /* Proportional allocation, largest remainder (ties to the lower class). */
  g_autofree gint64 *alloc = g_new0 (gint64, n_classes);
  g_autofree double *rem = g_new0 (double, n_classes);
  gint64 given = 0;
  for (gint c = 0; c < n_classes; c++)
    {
      double exact = (double) n * (double) count[c] / (double) total;
      alloc[c] = MIN ((gint64) floor (exact), count[c]);
      rem[c] = exact - (double) alloc[c];
      given += alloc[c];
    }
  while (given < n)
    {
      gint best = -1;
      for (gint c = 0; c < n_classes; c++)
        if (alloc[c] < count[c] && (best < 0 || rem[c] > rem[best]))
          best = c;
      if (best < 0)
        break;
      alloc[best]++;
      rem[best] = -1.0;   /* at most one extra per class first; then any class with room */
      given++;
    }

  /* Per class: partial Fisher–Yates over its indices. */
  guint64 rng = seed;
  gint64 out = 0;
  g_autofree gint64 *members = g_new (gint64, total);
  for (gint c = 0; c < n_classes; c++)
    {
      gint64 m = 0;
      for (gint64 i = 0; i < total; i++)
        if (dataset->labels[i] == c)
          members[m++] = i;
      for (gint64 j = 0; j < alloc[c]; j++)
        {
          gint64 r = j + (gint64) pl_analysis_below (&rng, (guint64) (m - j));
          gint64 t = members[j];
          members[j] = members[r];
          members[r] = t;
          result[out++] = members[j];
        }
    }
  g_assert (out == n);
  qsort (result, n, sizeof (gint64), compare_gint64);
  return result;
}

/* ---- the job ------------------------------------------------------------------- */

static PlTensor *
attribute (PlExecutor *ex, const PlTensor *image, gint target, const PlCompareOptions *o,
           gint64 H, gint64 W, GError **error)
{
  PlTensor *map = o->method != NULL ? o->method (ex, image, target, o->method_data, error)
                 : image->ndim == 2 ? pl_table_saliency (ex, image, target, NULL, error)
                                    : pl_saliency (ex, image, target, error);
  if (map != NULL && map->numel != H * W)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The attribution method “%s” returned %" G_GINT64_FORMAT " values; "
                   "expected %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT, o->method_name,
                   map->numel, H, W);
      g_clear_pointer (&map, pl_tensor_unref);
    }
  return map;
}

static gint *
predict_classes (PlExecutor *ex, const PlTensor *images, const char *which, GError **error)
{
  g_autoptr (PlTensor) logits = pl_executor_predict (ex, images, 0, NULL, error);
  if (logits == NULL)
    return NULL;
  if (logits->ndim != 2 || logits->shape[0] != images->shape[0] || logits->shape[1] < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The %s network's first output should be logits of shape [N, classes]",
                   which);
      return NULL;
    }
  gint64 N = logits->shape[0], K = logits->shape[1];
  gint *pred = g_new (gint, N);
  for (gint64 i = 0; i < N; i++)
    pred[i] = (gint) pl_tensor_argmax (logits->data + i * K, K);
  return pred;
}

typedef struct {
  double key;
  gint64 index;
  gint64 position;
} ChangeItem;

static int
change_compare (const void *pa, const void *pb)
{
  const ChangeItem *a = pa, *b = pb;
  gboolean na = isnan (a->key), nb = isnan (b->key);
  if (na != nb)
    return na ? 1 : -1;
  if (!na && a->key != b->key)
    return a->key < b->key ? -1 : 1;
  return (a->index > b->index) - (a->index < b->index);
}

/* Compares one input; fills in->metrics and adds its curves to curve_sum. */
static gboolean
compare_one (PlExecutor *ex_o, PlExecutor *ex_p, const PlTensor *image, PlCompareInput *in,
             const PlCompareOptions *o, const PlSegmentation *grid, const float *reference,
             double *curve_sum, gint n_points, const PlProgress *progress, GError **error)
{
  /* reference != NULL: a table row [1, F] (H = 1, W = F), see PlCompareReport.table. */
  gboolean table = reference != NULL;
  gint64 H = table ? 1 : image->shape[2], W = table ? image->shape[1] : image->shape[3];
  g_autoptr (PlTensor) map_o = attribute (ex_o, image, in->target, o, H, W, error);
  if (map_o == NULL)
    return FALSE;
  g_autoptr (PlTensor) map_p = attribute (ex_p, image, in->target, o, H, W, error);
  if (map_p == NULL)
    return FALSE;

  double *m = in->metrics;
  PlSimilarityFull sim;
  pl_attribution_similarity_full (map_o->data, map_p->data, (gint) H, (gint) W,
                                  o->topk_fraction, &sim);
  m[PL_METRIC_SPEARMAN] = sim.basic.spearman;
  m[PL_METRIC_SPEARMAN_ABS] = sim.spearman_abs;
  m[PL_METRIC_KENDALL] = sim.kendall;
  m[PL_METRIC_PEARSON] = sim.basic.pearson;
  m[PL_METRIC_COSINE] = sim.basic.cosine;
  m[PL_METRIC_TOPK] = sim.basic.topk_intersection;
  m[PL_METRIC_SSIM] = table ? NAN : sim.ssim;

  /* Tables: the bars are the features. */
  g_autoptr (PlTensor) bars_o = table ? pl_tensor_ref (map_o) : pl_segment_sum (map_o, grid);
  g_autoptr (PlTensor) bars_p = table ? pl_tensor_ref (map_p) : pl_segment_sum (map_p, grid);
  PlSimilarityFull bsim;
  pl_attribution_similarity_full (bars_o->data, bars_p->data, 1, (gint) bars_o->numel,
                                  o->topk_fraction, &bsim);
  m[PL_METRIC_BARS_SPEARMAN] = bsim.basic.spearman;
  m[PL_METRIC_BARS_KENDALL] = bsim.kendall;
  m[PL_METRIC_BARS_TOPK] = bsim.basic.topk_intersection;

  m[PL_METRIC_ENTROPY_ORIG] = pl_attribution_entropy (map_o->data, map_o->numel);
  m[PL_METRIC_ENTROPY_PRUNED] = pl_attribution_entropy (map_p->data, map_p->numel);
  m[PL_METRIC_GINI_ORIG] = pl_attribution_gini (map_o->data, map_o->numel);
  m[PL_METRIC_GINI_PRUNED] = pl_attribution_gini (map_p->data, map_p->numel);

  static const PlCompareMetric curve_metric[4] = {
    PL_METRIC_DELETION_ORIG, PL_METRIC_DELETION_PRUNED,
    PL_METRIC_INSERTION_ORIG, PL_METRIC_INSERTION_PRUNED,
  };
  for (gint c = 0; c < 4; c++)
    {
      PlExecutor *ex = (c % 2 == 0) ? ex_o : ex_p;
      const PlTensor *map = (c % 2 == 0) ? map_o : map_p;
      PlCurveKind kind = c < 2 ? PL_CURVE_DELETION : PL_CURVE_INSERTION;
      PlProgress part = pl_progress_sub (progress, 0.2 * (c + 1), 0.2 * (c + 2));
      g_autoptr (PlCurve) curve = table
          ? pl_faithfulness_curve_table (ex, image, in->target, map, reference, kind,
                                         &o->faithfulness, &part, error)
          : pl_faithfulness_curve (ex, image, in->target, map, kind, &o->faithfulness, &part,
                                   error);
      if (curve == NULL)
        return FALSE;
      g_assert (curve->n_points == n_points);
      m[curve_metric[c]] = curve->auc;
      for (gint i = 0; i < n_points; i++)
        curve_sum[c * n_points + i] += curve->score[i];
    }
  return TRUE;
}

/* Per-input part of pl_compare_sample. */
static gboolean
compare_inputs (PlCompareReport *report, PlExecutor *ex_o, PlExecutor *ex_p,
                const PlTensor *images, const gint64 *indices, const PlDataset *dataset,
                const PlSegmentation *grid, const float *reference, double share,
                const PlProgress *progress, GError **error)
{
  const PlCompareOptions *opts = &report->options;
  gint64 n = report->n;
  gint n_points = report->n_curve_points;
  g_autofree gint *pred_o = predict_classes (ex_o, images, "original", error);
  if (pred_o == NULL)
    return FALSE;
  g_autofree gint *pred_p = predict_classes (ex_p, images, "pruned", error);
  if (pred_p == NULL)
    return FALSE;
  for (gint64 i = 0; i < n; i++)
    {
      if (pl_progress_cancelled (progress, error))
        return FALSE;
      PlCompareInput *in = &report->inputs[i];
      in->index = indices[i];
      in->label = dataset->labels[indices[i]];
      in->target = pred_o[i];
      in->pred_original = pred_o[i];
      in->pred_pruned = pred_p[i];
      g_autoptr (PlTensor) image = images->ndim == 2
          ? pl_tensor_new_2d (1, images->shape[1])
          : pl_tensor_new_4d (1, images->shape[1], images->shape[2], images->shape[3]);
      memcpy (image->data, images->data + i * image->numel, sizeof (float) * image->numel);
      PlProgress sub = pl_progress_sub (progress, share * i / n, share * (i + 1) / n);
      if (!compare_one (ex_o, ex_p, image, in, opts, grid, reference, report->mean_curves,
                        n_points, &sub, error))
        return FALSE;
      g_autofree char *msg = g_strdup_printf ("Compared input %" G_GINT64_FORMAT " of %"
                                              G_GINT64_FORMAT, i + 1, n);
      pl_progress_report (&sub, 1.0, msg);
    }
  for (gint i = 0; i < 4 * n_points; i++)
    report->mean_curves[i] /= (double) n;
  return TRUE;
}

/* Summaries, tests, per-class means and ranking from report->inputs. */
static void
finish_report (PlCompareReport *report, const PlDataset *dataset)
{
  const PlCompareOptions o = report->options;
  gint64 n = report->n;
  /* Summaries (bootstrap seed + 1). */
  g_autofree double *column = g_new (double, n);
  for (gint m = 0; m < PL_N_METRICS; m++)
    {
      for (gint64 i = 0; i < n; i++)
        column[i] = report->inputs[i].metrics[m];
      pl_summarise (column, n, o.n_bootstrap, o.confidence, o.seed + 1, &report->summary[m]);
    }

  /* Tests: pruned − original. */
  g_autofree double *xo = g_new (double, n);
  g_autofree double *xp = g_new (double, n);
  for (gint pass = 0; pass < 2; pass++)
    {
      PlCompareMetric mo = pass == 0 ? PL_METRIC_DELETION_ORIG : PL_METRIC_INSERTION_ORIG;
      PlCompareMetric mp = pass == 0 ? PL_METRIC_DELETION_PRUNED : PL_METRIC_INSERTION_PRUNED;
      for (gint64 i = 0; i < n; i++)
        {
          xo[i] = report->inputs[i].metrics[mo];
          xp[i] = report->inputs[i].metrics[mp];
        }
      pl_paired_t_test (xo, xp, n, pass == 0 ? &report->deletion_t : &report->insertion_t);
      pl_wilcoxon_signed_rank (xo, xp, n, pass == 0 ? &report->deletion_wilcoxon
                                                    : &report->insertion_wilcoxon);
    }

  /* Per class (by true label). */
  gint n_classes = MAX (dataset->n_classes, 1);
  for (gint64 i = 0; i < n; i++)
    n_classes = MAX (n_classes, report->inputs[i].label + 1);
  report->n_classes = n_classes;
  report->class_names = g_new0 (char *, n_classes + 1);
  for (gint c = 0; c < n_classes; c++)
    report->class_names[c] = (c < dataset->n_classes && dataset->class_names
                              && dataset->class_names[c])
                             ? g_strdup (dataset->class_names[c]) : g_strdup_printf ("%d", c);
  report->class_count = g_new0 (gint64, n_classes);
  report->class_mean = g_new (double, (gsize) n_classes * PL_N_METRICS);
  g_autofree gint64 *finite = g_new0 (gint64, (gsize) n_classes * PL_N_METRICS);
  for (gint i = 0; i < n_classes * PL_N_METRICS; i++)
    report->class_mean[i] = 0.0;
  for (gint64 i = 0; i < n; i++)
    {
      gint c = report->inputs[i].label;
      report->class_count[c]++;
      for (gint m = 0; m < PL_N_METRICS; m++)
        if (isfinite (report->inputs[i].metrics[m]))
          {
            report->class_mean[c * PL_N_METRICS + m] += report->inputs[i].metrics[m];
            finite[c * PL_N_METRICS + m]++;
          }
    }
  for (gint i = 0; i < n_classes * PL_N_METRICS; i++)
    report->class_mean[i] = finite[i] > 0 ? report->class_mean[i] / (double) finite[i] : NAN;

  /* Most changed first. */
  g_autofree ChangeItem *items = g_new (ChangeItem, MAX (n, 1));
  for (gint64 i = 0; i < n; i++)
    {
      items[i].key = report->inputs[i].metrics[PL_METRIC_SPEARMAN_ABS];
      items[i].index = report->inputs[i].index;
      items[i].position = i;
    }
  qsort (items, n, sizeof (ChangeItem), change_compare);
  report->ranked = g_new (gint64, MAX (n, 1));
  for (gint64 i = 0; i < n; i++)
    report->ranked[i] = items[i].position;

}

PlCompareReport *
pl_compare_sample (PlGraph *original, PlGraph *pruned, const PlDataset *dataset,
                   const PlCompareOptions *options, const PlProgress *progress,
                   GError **error)
{
  g_return_val_if_fail (original != NULL, NULL);
  g_return_val_if_fail (pruned != NULL, NULL);
  g_return_val_if_fail (dataset != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  PlCompareOptions o;
  if (options != NULL)
    o = *options;
  else
    pl_compare_options_init (&o);
  if (o.method_name == NULL || *o.method_name == '\0')
    o.method_name = o.method != NULL ? "custom" : "saliency";
  if (!(o.topk_fraction > 0.0 && o.topk_fraction <= 1.0))
    o.topk_fraction = 0.1;
  if (o.grid_rows <= 0)
    o.grid_rows = 4;
  if (o.grid_cols <= 0)
    o.grid_cols = 4;
  if (o.n_bootstrap <= 0)
    o.n_bootstrap = 2000;
  if (!(o.confidence > 0.0 && o.confidence < 1.0))
    o.confidence = 0.95;
  if (o.faithfulness.pixels_per_step <= 0)
    o.faithfulness.pixels_per_step = 16;
  if (o.faithfulness.batch_size <= 0)
    o.faithfulness.batch_size = 128;
  if (o.randomisation_inputs <= 0)
    o.randomisation_inputs = 10;

  if (dataset->n <= 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The dataset “%s” has no samples to compare",
                   dataset->name ? dataset->name : "");
      return NULL;
    }
  gint64 H = dataset->height, W = dataset->width;
  gboolean table = dataset->kind == PL_DATASET_TABLE;
  if (table && dataset->n_features < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The table “%s” has no feature columns to compare",
                   dataset->name ? dataset->name : "");
      return NULL;
    }
  /* Images smaller than the grid (e.g. 2 × 2 pixels): the grid that fits, one patch per
   * pixel along a short side; report->options records the grid used. */
  if (!table && H > 0 && W > 0)
    {
      o.grid_rows = (gint) MIN ((gint64) o.grid_rows, H);
      o.grid_cols = (gint) MIN ((gint64) o.grid_cols, W);
    }

  g_autoptr (PlCompareReport) report = g_new0 (PlCompareReport, 1);
  report->options = o;
  report->options.method_name = g_strdup (o.method_name);
  report->dataset_name = g_strdup (dataset->name ? dataset->name : "");
  report->dataset_size = dataset->n;
  report->sparsity_original = pl_graph_weight_sparsity (original);
  report->sparsity_pruned = pl_graph_weight_sparsity (pruned);
  report->table = table;
  if (table)
    {
      /* as used: the bars are the F features, the curves change one feature per step */
      report->options.grid_rows = 1;
      report->options.grid_cols = dataset->n_features;
      report->options.faithfulness.pixels_per_step = 1;
    }
  g_autofree float *reference = NULL;
  if (table)
    {
      /* deletion / insertion towards / from the feature means */
      reference = g_new (float, dataset->n_features);
      g_autofree float *sd = g_new (float, dataset->n_features);
      if (!pl_dataset_feature_stats (dataset, reference, sd, error))
        return NULL;
      H = 1;
      W = dataset->n_features;
    }

  gint64 n = 0;
  g_autofree gint64 *indices = pl_stratified_sample (dataset, o.n_samples, o.seed, &n);
  report->n = n;
  report->inputs = g_new0 (PlCompareInput, n);

  g_autoptr (PlTensor) images = pl_dataset_batch (dataset, indices, n, error);
  if (images == NULL)
    return NULL;

  PlExecutor *ex_o = pl_executor_new (original, error);
  if (ex_o == NULL)
    return NULL;
  PlExecutor *ex_p = pl_executor_new (pruned, error);
  if (ex_p == NULL)
    {
      pl_executor_free (ex_o);
      return NULL;
    }
  g_autoptr (PlSegmentation) grid = table ? NULL
      : pl_segmentation_grid ((gint) H, (gint) W, o.grid_rows, o.grid_cols);
  gint64 step = table ? 1 : o.faithfulness.pixels_per_step;
  gint n_points = (gint) ((H * W + step - 1) / step + 1);
  report->n_curve_points = n_points;
  report->curve_fraction = g_new (double, n_points);
  for (gint i = 0; i < n_points; i++)
    report->curve_fraction[i] = (double) MIN (i * step, H * W) / (double) (H * W);
  report->mean_curves = g_new0 (double, 4 * n_points);

  double share = o.randomisation ? 0.85 : 1.0;
  gboolean ok = compare_inputs (report, ex_o, ex_p, images, indices, dataset, grid, reference,
                                share, progress, error);
  pl_executor_free (ex_o);
  pl_executor_free (ex_p);
  if (!ok)
    return NULL;
  finish_report (report, dataset);

  if (o.randomisation)
    {
      gint64 r = MIN (o.randomisation_inputs, report->n);
      g_autoptr (PlTensor) sub_images = table ? pl_tensor_new_2d (r, W)
                                              : pl_tensor_new_4d (r, images->shape[1], H, W);
      memcpy (sub_images->data, images->data, sizeof (float) * sub_images->numel);
      PlProgress sub = pl_progress_sub (progress, share, 1.0);
      report->randomisation = pl_cascading_randomisation (original, sub_images, o.method,
                                                          o.method_data, o.topk_fraction,
                                                          o.seed + 2, &sub, error);
      if (report->randomisation == NULL)
        return NULL;
    }
  pl_progress_report (progress, 1.0, NULL);
  return g_steal_pointer (&report);
}

/* ---- export -------------------------------------------------------------------- */

static const char *
score_name (PlCurveScore score)
{
  return score == PL_CURVE_SCORE_LOGIT ? "logit" : "softmax_probability";
}

/* Every parameter and seed as (key, value) pairs for the CSV headers. */
static GPtrArray *
parameter_pairs (const PlCompareReport *r)
{
  const PlCompareOptions *o = &r->options;
  GPtrArray *p = g_ptr_array_new_with_free_func (g_free);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
#define PAIR(k, v) do { g_ptr_array_add (p, g_strdup (k)); g_ptr_array_add (p, (v)); } while (0)
#define DBL(v) g_strdup (pl_analysis_format_double (buf, sizeof buf, (v)))
  PAIR ("method", g_strdup (o->method_name));
  PAIR ("target_class", g_strdup ("predicted by the original network"));
  PAIR ("dataset", g_strdup (r->dataset_name));
  PAIR ("dataset_size", g_strdup_printf ("%" G_GINT64_FORMAT, r->dataset_size));
  PAIR ("sparsity_original", DBL (r->sparsity_original));
  PAIR ("sparsity_pruned", DBL (r->sparsity_pruned));
  PAIR ("n_samples_requested", g_strdup_printf ("%" G_GINT64_FORMAT, o->n_samples));
  PAIR ("n_samples", g_strdup_printf ("%" G_GINT64_FORMAT, r->n));
  PAIR ("sampling", g_strdup ("stratified by class, proportional, largest remainder, "
                              "splitmix64"));
  PAIR ("seed", g_strdup_printf ("%" G_GUINT64_FORMAT, o->seed));
  PAIR ("bootstrap_seed", g_strdup_printf ("%" G_GUINT64_FORMAT, o->seed + 1));
  PAIR ("randomisation_seed", g_strdup_printf ("%" G_GUINT64_FORMAT, o->seed + 2));
  PAIR ("topk_fraction", DBL (o->topk_fraction));
  PAIR ("bars_grid", g_strdup_printf ("%dx%d", o->grid_rows, o->grid_cols));
  PAIR ("ssim", g_strdup ("Wang et al. 2004; Gaussian window 11, sigma 1.5, K1 0.01, "
                          "K2 0.03, valid positions; maps divided by their max |phi|; "
                          "data range 1 (non-negative maps) or 2 (signed)"));
  PAIR ("curve_pixels_per_step", g_strdup_printf ("%d", o->faithfulness.pixels_per_step));
  PAIR ("curve_score", g_strdup (score_name (o->faithfulness.score)));
  PAIR ("deletion_baseline", DBL (o->faithfulness.baseline));
  PAIR ("insertion_blur_sigma", DBL (o->faithfulness.blur_sigma));
  PAIR ("auc", g_strdup ("trapezoid over the fraction of pixels changed"));
  PAIR ("entropy_units", g_strdup ("nats"));
  PAIR ("n_bootstrap", g_strdup_printf ("%d", o->n_bootstrap));
  PAIR ("confidence", DBL (o->confidence));
  PAIR ("tests", g_strdup ("d = pruned - original; paired t (two-sided); Wilcoxon "
                           "signed-rank, zeros dropped, exact if n <= 25 without ties, "
                           "else normal with tie and continuity correction"));
  PAIR ("randomisation", g_strdup (o->randomisation ? "cascading, output to input, He "
                                   "uniform weights, zero biases" : "off"));
  PAIR ("randomisation_inputs",
        g_strdup_printf ("%" G_GINT64_FORMAT, r->randomisation ? r->randomisation->n_inputs
                                                                : 0));
  if (r->table)
    PAIR ("table", g_strdup ("rows [1, F]; default method: signed gradient; bars = the "
                             "features; SSIM does not apply (empty); deletion / insertion: "
                             "one feature per step, towards / from the dataset's feature "
                             "means, most important first"));
#undef PAIR
#undef DBL
  return p;
}

static void
append_parameters (GString *s, const PlCompareReport *r)
{
  g_autoptr (GPtrArray) p = parameter_pairs (r);
  for (guint i = 0; i + 1 < p->len; i += 2)
    {
      g_string_append (s, "# ");
      pl_analysis_csv_text (s, g_ptr_array_index (p, i));
      g_string_append_c (s, ',');
      pl_analysis_csv_text (s, g_ptr_array_index (p, i + 1));
      g_string_append_c (s, '\n');
    }
}

static gboolean
write_atomically (const char *path, const char *data, gssize length, GError **error)
{
  g_autoptr (GError) local = NULL;
  if (!g_file_set_contents (path, data, length, &local))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_IO, "Could not write %s: %s", path,
                   local->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
pl_compare_report_save_csv (const PlCompareReport *report, const char *path, GError **error)
{
  g_return_val_if_fail (report != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_autoptr (GString) s = g_string_new (NULL);
  append_parameters (s, report);
  g_string_append (s, "index,label,class,target,pred_original,pred_pruned");
  for (gint m = 0; m < PL_N_METRICS; m++)
    g_string_append_printf (s, ",%s", metric_names[m]);
  g_string_append_c (s, '\n');
  for (gint64 i = 0; i < report->n; i++)
    {
      const PlCompareInput *in = &report->inputs[i];
      g_string_append_printf (s, "%" G_GINT64_FORMAT ",%d,", in->index, in->label);
      pl_analysis_csv_text (s, report->class_names[in->label]);
      g_string_append_printf (s, ",%d,%d,%d", in->target, in->pred_original,
                              in->pred_pruned);
      for (gint m = 0; m < PL_N_METRICS; m++)
        {
          g_string_append_c (s, ',');
          pl_analysis_csv_double (s, in->metrics[m]);
        }
      g_string_append_c (s, '\n');
    }
  return write_atomically (path, s->str, (gssize) s->len, error);
}

static void
summary_row (GString *s, const char *section, const char *name, const char *field, double v)
{
  pl_analysis_csv_text (s, section);
  g_string_append_c (s, ',');
  pl_analysis_csv_text (s, name);
  g_string_append_c (s, ',');
  pl_analysis_csv_text (s, field);
  g_string_append_c (s, ',');
  pl_analysis_csv_double (s, v);
  g_string_append_c (s, '\n');
}

static void
test_rows (GString *s, const char *name, const PlPairedTTest *t, const PlWilcoxon *w)
{
  summary_row (s, "paired_t", name, "n", (double) t->n);
  summary_row (s, "paired_t", name, "mean_diff", t->mean_diff);
  summary_row (s, "paired_t", name, "sd_diff", t->sd_diff);
  summary_row (s, "paired_t", name, "t", t->t);
  summary_row (s, "paired_t", name, "df", t->df);
  summary_row (s, "paired_t", name, "p_value", t->p_value);
  summary_row (s, "paired_t", name, "cohen_dz", t->cohen_dz);
  summary_row (s, "wilcoxon", name, "n", (double) w->n);
  summary_row (s, "wilcoxon", name, "n_zero", (double) w->n_zero);
  summary_row (s, "wilcoxon", name, "w_plus", w->w_plus);
  summary_row (s, "wilcoxon", name, "w_minus", w->w_minus);
  summary_row (s, "wilcoxon", name, "z", w->z);
  summary_row (s, "wilcoxon", name, "p_value", w->p_value);
  summary_row (s, "wilcoxon", name, "rank_biserial", w->rank_biserial);
  summary_row (s, "wilcoxon", name, "exact", w->exact ? 1.0 : 0.0);
}

gboolean
pl_compare_report_save_summary_csv (const PlCompareReport *report, const char *path,
                                    GError **error)
{
  g_return_val_if_fail (report != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_autoptr (GString) s = g_string_new (NULL);
  append_parameters (s, report);
  g_string_append (s, "section,name,field,value\n");
  for (gint m = 0; m < PL_N_METRICS; m++)
    {
      const PlSummary *sm = &report->summary[m];
      summary_row (s, "summary", metric_names[m], "n", (double) sm->n);
      summary_row (s, "summary", metric_names[m], "mean", sm->mean);
      summary_row (s, "summary", metric_names[m], "sd", sm->sd);
      summary_row (s, "summary", metric_names[m], "median", sm->median);
      summary_row (s, "summary", metric_names[m], "ci_low", sm->ci_low);
      summary_row (s, "summary", metric_names[m], "ci_high", sm->ci_high);
    }
  test_rows (s, "deletion_auc", &report->deletion_t, &report->deletion_wilcoxon);
  test_rows (s, "insertion_auc", &report->insertion_t, &report->insertion_wilcoxon);
  for (gint c = 0; c < report->n_classes; c++)
    {
      g_autofree char *section = g_strdup_printf ("class %d", c);
      summary_row (s, section, report->class_names[c], "n", (double) report->class_count[c]);
      for (gint m = 0; m < PL_N_METRICS; m++)
        summary_row (s, section, report->class_names[c], metric_names[m],
                     report->class_mean[c * PL_N_METRICS + m]);
    }
  for (gint64 i = 0; i < report->n; i++)
    {
      const PlCompareInput *in = &report->inputs[report->ranked[i]];
      g_autofree char *name = g_strdup_printf ("%" G_GINT64_FORMAT, i + 1);
      summary_row (s, "most_changed", name, "index", (double) in->index);
      summary_row (s, "most_changed", name, "spearman_abs",
                   in->metrics[PL_METRIC_SPEARMAN_ABS]);
    }
  for (gint c = 0; c < 4; c++)
    {
      static const char *const names[4] = { "deletion_orig", "deletion_pruned",
                                             "insertion_orig", "insertion_pruned" };
      for (gint i = 0; i < report->n_curve_points; i++)
        {
          char buf[G_ASCII_DTOSTR_BUF_SIZE];
          summary_row (s, "mean_curve", names[c],
                       pl_analysis_format_double (buf, sizeof buf, report->curve_fraction[i]),
                       report->mean_curves[c * report->n_curve_points + i]);
        }
    }
  const PlRandomisationCurve *rc = report->randomisation;
  for (gint i = 0; rc != NULL && i < rc->n_steps; i++)
    {
      g_autofree char *name = *rc->layer_names[i]
                              ? g_strdup_printf ("%d %s", i, rc->layer_names[i])
                              : g_strdup_printf ("%d trained", i);
      summary_row (s, "randomisation", name, "spearman", rc->spearman[i]);
      summary_row (s, "randomisation", name, "spearman_abs", rc->spearman_abs[i]);
      summary_row (s, "randomisation", name, "kendall", rc->kendall[i]);
      summary_row (s, "randomisation", name, "pearson", rc->pearson[i]);
      summary_row (s, "randomisation", name, "cosine", rc->cosine[i]);
      summary_row (s, "randomisation", name, "topk", rc->topk[i]);
      summary_row (s, "randomisation", name, "ssim", rc->ssim[i]);
    }
  return write_atomically (path, s->str, (gssize) s->len, error);
}




static void
json_double_array (JsonBuilder *b, const char *name, const double *v, gint64 n)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (gint64 i = 0; i < n; i++)
    {
      if (isfinite (v[i]))
        json_builder_add_double_value (b, v[i]);
      else
        json_builder_add_null_value (b);
    }
  json_builder_end_array (b);
}

static void
json_tests (JsonBuilder *b, const char *name, const PlPairedTTest *t, const PlWilcoxon *w)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "paired_t");
  json_builder_begin_object (b);
  pl_analysis_json_int (b, "n", t->n);
  pl_analysis_json_double (b, "mean_diff", t->mean_diff);
  pl_analysis_json_double (b, "sd_diff", t->sd_diff);
  pl_analysis_json_double (b, "t", t->t);
  pl_analysis_json_double (b, "df", t->df);
  pl_analysis_json_double (b, "p_value", t->p_value);
  pl_analysis_json_double (b, "cohen_dz", t->cohen_dz);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "wilcoxon");
  json_builder_begin_object (b);
  pl_analysis_json_int (b, "n", w->n);
  pl_analysis_json_int (b, "n_zero", w->n_zero);
  pl_analysis_json_double (b, "w_plus", w->w_plus);
  pl_analysis_json_double (b, "w_minus", w->w_minus);
  pl_analysis_json_double (b, "z", w->z);
  pl_analysis_json_double (b, "p_value", w->p_value);
  pl_analysis_json_double (b, "rank_biserial", w->rank_biserial);
  json_builder_set_member_name (b, "exact");
  json_builder_add_boolean_value (b, w->exact);
  json_builder_end_object (b);
  json_builder_end_object (b);
}

char *
pl_compare_report_to_json (const PlCompareReport *report, gsize *length)
{
  g_return_val_if_fail (report != NULL, NULL);
  const PlCompareOptions *o = &report->options;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  pl_analysis_json_string (b, "generator", "PruneLens pl_compare_sample");

  json_builder_set_member_name (b, "parameters");
  json_builder_begin_object (b);
  pl_analysis_json_string (b, "method", o->method_name);
  pl_analysis_json_string (b, "target_class", "predicted by the original network");
  pl_analysis_json_string (b, "dataset", report->dataset_name);
  pl_analysis_json_int (b, "dataset_size", report->dataset_size);
  pl_analysis_json_double (b, "sparsity_original", report->sparsity_original);
  pl_analysis_json_double (b, "sparsity_pruned", report->sparsity_pruned);
  pl_analysis_json_int (b, "n_samples_requested", o->n_samples);
  pl_analysis_json_int (b, "n_samples", report->n);
  pl_analysis_json_string (b, "sampling", "stratified by class, proportional, largest remainder, "
                              "splitmix64");
  pl_analysis_json_int (b, "seed", (gint64) o->seed);
  pl_analysis_json_int (b, "bootstrap_seed", (gint64) (o->seed + 1));
  pl_analysis_json_int (b, "randomisation_seed", (gint64) (o->seed + 2));
  pl_analysis_json_double (b, "topk_fraction", o->topk_fraction);
  pl_analysis_json_int (b, "grid_rows", o->grid_rows);
  pl_analysis_json_int (b, "grid_cols", o->grid_cols);
  json_builder_set_member_name (b, "ssim");
  json_builder_begin_object (b);
  pl_analysis_json_string (b, "source", "Wang, Bovik, Sheikh & Simoncelli, IEEE TIP 2004");
  pl_analysis_json_int (b, "window", 11);
  pl_analysis_json_double (b, "sigma", 1.5);
  pl_analysis_json_double (b, "k1", 0.01);
  pl_analysis_json_double (b, "k2", 0.03);
  pl_analysis_json_string (b, "data_range", "maps divided by their max |phi|; 1 for non-negative maps, "
                                "2 for signed");
  json_builder_end_object (b);
  json_builder_set_member_name (b, "faithfulness");
  json_builder_begin_object (b);
  pl_analysis_json_string (b, "source", "Petsiuk, Das & Saenko, RISE, BMVC 2018");
  pl_analysis_json_int (b, "pixels_per_step", o->faithfulness.pixels_per_step);
  pl_analysis_json_string (b, "score", score_name (o->faithfulness.score));
  pl_analysis_json_double (b, "deletion_baseline", o->faithfulness.baseline);
  pl_analysis_json_double (b, "insertion_blur_sigma", o->faithfulness.blur_sigma);
  pl_analysis_json_string (b, "auc", "trapezoid over the fraction of pixels changed");
  json_builder_end_object (b);
  pl_analysis_json_int (b, "n_bootstrap", o->n_bootstrap);
  pl_analysis_json_double (b, "confidence", o->confidence);
  pl_analysis_json_string (b, "entropy_units", "nats");
  json_builder_set_member_name (b, "randomisation");
  json_builder_add_boolean_value (b, o->randomisation);
  if (report->table)
    pl_analysis_json_string (b, "table", "rows [1, F]; default method: signed gradient; bars "
                             "= the features; SSIM does not apply (null); deletion / "
                             "insertion: one feature per step, towards / from the dataset's "
                             "feature means, most important first");
  json_builder_end_object (b);

  json_builder_set_member_name (b, "summary");
  json_builder_begin_object (b);
  for (gint m = 0; m < PL_N_METRICS; m++)
    {
      const PlSummary *sm = &report->summary[m];
      json_builder_set_member_name (b, metric_names[m]);
      json_builder_begin_object (b);
      pl_analysis_json_int (b, "n", sm->n);
      pl_analysis_json_double (b, "mean", sm->mean);
      pl_analysis_json_double (b, "sd", sm->sd);
      pl_analysis_json_double (b, "median", sm->median);
      pl_analysis_json_double (b, "ci_low", sm->ci_low);
      pl_analysis_json_double (b, "ci_high", sm->ci_high);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);

  json_builder_set_member_name (b, "tests");
  json_builder_begin_object (b);
  pl_analysis_json_string (b, "difference", "pruned - original");
  json_tests (b, "deletion_auc", &report->deletion_t, &report->deletion_wilcoxon);
  json_tests (b, "insertion_auc", &report->insertion_t, &report->insertion_wilcoxon);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "per_class");
  json_builder_begin_array (b);
  for (gint c = 0; c < report->n_classes; c++)
    {
      json_builder_begin_object (b);
      pl_analysis_json_int (b, "class", c);
      pl_analysis_json_string (b, "name", report->class_names[c]);
      pl_analysis_json_int (b, "n", report->class_count[c]);
      for (gint m = 0; m < PL_N_METRICS; m++)
        pl_analysis_json_double (b, metric_names[m], report->class_mean[c * PL_N_METRICS + m]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "most_changed");
  json_builder_begin_array (b);
  for (gint64 i = 0; i < report->n; i++)
    json_builder_add_int_value (b, report->inputs[report->ranked[i]].index);
  json_builder_end_array (b);

  json_builder_set_member_name (b, "curves");
  json_builder_begin_object (b);
  gint np = report->n_curve_points;
  json_double_array (b, "fraction", report->curve_fraction, np);
  json_double_array (b, "deletion_orig", report->mean_curves, np);
  json_double_array (b, "deletion_pruned", report->mean_curves + np, np);
  json_double_array (b, "insertion_orig", report->mean_curves + 2 * np, np);
  json_double_array (b, "insertion_pruned", report->mean_curves + 3 * np, np);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "randomisation");
  const PlRandomisationCurve *rc = report->randomisation;
  if (rc == NULL)
    json_builder_add_null_value (b);
  else
    {
      json_builder_begin_object (b);
      pl_analysis_json_string (b, "source", "Adebayo et al., Sanity Checks for Saliency Maps, "
                                "NeurIPS 2018 (cascading, output to input)");
      pl_analysis_json_int (b, "seed", (gint64) rc->seed);
      pl_analysis_json_int (b, "n_inputs", rc->n_inputs);
      json_builder_set_member_name (b, "layers");
      json_builder_begin_array (b);
      for (gint i = 0; i < rc->n_steps; i++)
        json_builder_add_string_value (b, rc->layer_names[i]);
      json_builder_end_array (b);
      json_double_array (b, "spearman", rc->spearman, rc->n_steps);
      json_double_array (b, "spearman_abs", rc->spearman_abs, rc->n_steps);
      json_double_array (b, "kendall", rc->kendall, rc->n_steps);
      json_double_array (b, "pearson", rc->pearson, rc->n_steps);
      json_double_array (b, "cosine", rc->cosine, rc->n_steps);
      json_double_array (b, "topk", rc->topk, rc->n_steps);
      json_double_array (b, "ssim", rc->ssim, rc->n_steps);
      json_builder_end_object (b);
    }

  json_builder_set_member_name (b, "inputs");
  json_builder_begin_array (b);
  for (gint64 i = 0; i < report->n; i++)
    {
      const PlCompareInput *in = &report->inputs[i];
      json_builder_begin_object (b);
      pl_analysis_json_int (b, "index", in->index);
      pl_analysis_json_int (b, "label", in->label);
      pl_analysis_json_int (b, "target", in->target);
      pl_analysis_json_int (b, "pred_original", in->pred_original);
      pl_analysis_json_int (b, "pred_pruned", in->pred_pruned);
      for (gint m = 0; m < PL_N_METRICS; m++)
        pl_analysis_json_double (b, metric_names[m], in->metrics[m]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, length);
}

gboolean
pl_compare_report_save_json (const PlCompareReport *report, const char *path, GError **error)
{
  g_return_val_if_fail (report != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  gsize length = 0;
  g_autofree char *data = pl_compare_report_to_json (report, &length);
  return write_atomically (path, data, (gssize) length, error);
}
