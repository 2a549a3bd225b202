/* pl-faithfulness.c — deletion / insertion curves (Petsiuk et al., BMVC 2018) and cascading
 * randomisation (Adebayo et al., NeurIPS 2018). See pl-faithfulness.h.
 */
#include "analysis/pl-faithfulness.h"
#include "analysis/pl-analysis-private.h"
#include "explain/pl-explain.h"
#include "explain/pl-attribution.h"
#include "pl-error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void
pl_faithfulness_options_init (PlFaithfulnessOptions *options)
{
  g_return_if_fail (options != NULL);
  options->pixels_per_step = 16;
  options->baseline = 0.0f;
  options->blur_sigma = 2.0;
  options->score = PL_CURVE_SCORE_PROBABILITY;
  options->batch_size = 128;
}

void
pl_curve_free (PlCurve *curve)
{
  if (curve == NULL)
    return;
  g_free (curve->fraction);
  g_free (curve->score);
  g_free (curve);
}

PlTensor *
pl_gaussian_blur (const PlTensor *image, double sigma, GError **error)
{
  g_return_val_if_fail (image != NULL, NULL);
  if (image->ndim != 4)
    {
      g_autofree char *s = pl_tensor_shape_string (image->ndim, image->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Blurring needs images of shape [N, C, H, W]; got %s", s);
      return NULL;
    }
  PlTensor *out = pl_tensor_dup (image);
  if (!(sigma > 0.0) || !isfinite (sigma))
    return out;
  gint radius = (gint) ceil (3.0 * sigma);
  gint taps = 2 * radius + 1;
  g_autofree double *k = g_new (double, taps);
  double ksum = 0.0;
  for (gint i = 0; i < taps; i++)
    {
      double d = i - radius;
      k[i] = exp (-d * d / (2.0 * sigma * sigma));
      ksum += k[i];
    }
  for (gint i = 0; i < taps; i++)
    k[i] /= ksum;
  gint64 planes = image->shape[0] * image->shape[1];
  gint64 H = image->shape[2], W = image->shape[3];
  g_autofree double *tmp = g_new (double, MAX (H * W, 1));
  for (gint64 p = 0; p < planes; p++)
    {
      const float *src = image->data + p * H * W;
      float *dst = out->data + p * H * W;
      for (gint64 y = 0; y < H; y++)
        for (gint64 x = 0; x < W; x++)
          {
            double s = 0.0;
            for (gint i = 0; i < taps; i++)
              s += k[i] * src[y * W + CLAMP (x + i - radius, 0, W - 1)];
            tmp[y * W + x] = s;
          }
      for (gint64 y = 0; y < H; y++)
        for (gint64 x = 0; x < W; x++)
          {
            double s = 0.0;
            for (gint i = 0; i < taps; i++)
              s += k[i] * tmp[CLAMP (y + i - radius, 0, H - 1) * W + x];
            dst[y * W + x] = (float) s;
          }
    }
  return out;
}

typedef struct {
  float key;
  gint64 index;
} PixelRank;

static int
pixel_rank_compare (const void *pa, const void *pb)
{
  const PixelRank *a = pa, *b = pb;
  if (a->key > b->key)
    return -1;
  if (a->key < b->key)
    return 1;
  return (a->index > b->index) - (a->index < b->index);
}

PlCurve *
pl_faithfulness_curve (PlExecutor *executor, const PlTensor *image, gint target,
                       const PlTensor *attribution, PlCurveKind kind,
                       const PlFaithfulnessOptions *options, const PlProgress *progress,
                       GError **error)
{
  g_return_val_if_fail (executor != NULL, NULL);
  g_return_val_if_fail (image != NULL, NULL);
  g_return_val_if_fail (attribution != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  PlFaithfulnessOptions defaults;
  pl_faithfulness_options_init (&defaults);
  if (options == NULL)
    options = &defaults;
  if (image->ndim != 4 || image->shape[0] != 1)
    {
      g_autofree char *s = pl_tensor_shape_string (image->ndim, image->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "A deletion or insertion curve needs one image of shape [1, C, H, W]; "
                   "got %s", s);
      return NULL;
    }
  gint64 C = image->shape[1], H = image->shape[2], W = image->shape[3], HW = H * W;
  if (attribution->numel != HW || HW <= 0)
    {
      g_autofree char *s = pl_tensor_shape_string (attribution->ndim, attribution->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The attribution map has shape %s; the image needs %" G_GINT64_FORMAT
                   " × %" G_GINT64_FORMAT " values", s, H, W);
      return NULL;
    }
  if (target < 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "A deletion or insertion curve needs a target class ≥ 0; got %d", target);
      return NULL;
    }
  gint64 step = options->pixels_per_step > 0 ? options->pixels_per_step : 16;
  gint64 n_steps = (HW + step - 1) / step;
  gint64 n_points = n_steps + 1;

  g_autofree PixelRank *order = g_new (PixelRank, HW);
  for (gint64 i = 0; i < HW; i++)
    {
      float v = attribution->data[i];
      order[i].key = isnan (v) ? -INFINITY : v;
      order[i].index = i;
    }
  qsort (order, HW, sizeof (PixelRank), pixel_rank_compare);

  /* start: the image the curve starts from; finish: the values pixels change to. */
  g_autoptr (PlTensor) other = NULL;
  const PlTensor *start, *finish;
  if (kind == PL_CURVE_DELETION)
    {
      other = pl_tensor_new_like (image);
      for (gint64 i = 0; i < other->numel; i++)
        other->data[i] = options->baseline;
      start = image;
      finish = other;
    }
  else
    {
      if (options->blur_sigma > 0.0)
        other = pl_gaussian_blur (image, options->blur_sigma, error);
      else
        {
          other = pl_tensor_new_like (image);
          for (gint64 i = 0; i < other->numel; i++)
            other->data[i] = options->baseline;
        }
      if (other == NULL)
        return NULL;
      start = other;
      finish = image;
    }

  g_autoptr (PlCurve) curve = g_new0 (PlCurve, 1);
  curve->kind = kind;
  curve->n_points = (gint) n_points;
  curve->fraction = g_new (double, n_points);
  curve->score = g_new (double, n_points);

  gint64 bs = options->batch_size > 0 ? options->batch_size : 128;
  g_autoptr (PlTensor) current = pl_tensor_dup (start);
  gint64 changed = 0;   /* pixels of `current` already switched */
  for (gint64 first = 0; first < n_points; first += bs)
    {
      if (pl_progress_cancelled (progress, error))
        return NULL;
      gint64 count = MIN (bs, n_points - first);
      g_autoptr (PlTensor) batch = pl_tensor_new (4, (gint64[]) { count, C, H, W }, error);
      if (batch == NULL)
        return NULL;
      for (gint64 b = 0; b < count; b++)
        {
          gint64 m = MIN ((first + b) * step, HW);
          for (; changed < m; changed++)
            {
              gint64 p = order[changed].index;
              for (gint64 c = 0; c < C; c++)
                current->data[c * HW + p] = finish->data[c * HW + p];
            }
          memcpy (batch->data + b * C * HW, current->data, sizeof (float) * C * HW);
          curve->fraction[first + b] = (double) m / (double) HW;
        }
      if (!pl_executor_forward (executor, batch, error))
        return NULL;
      const PlTensor *logits = pl_executor_output (executor, 0);
      if (logits == NULL || logits->ndim != 2 || logits->shape[0] != count)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "The model's first output should be logits of shape [N, classes]");
          return NULL;
        }
      gint64 K = logits->shape[1];
      if (target >= K)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "Class %d does not exist: the model has %" G_GINT64_FORMAT " classes",
                       target, K);
          return NULL;
        }
      for (gint64 b = 0; b < count; b++)
        {
          const float *row = logits->data + b * K;
          double s;
          if (options->score == PL_CURVE_SCORE_LOGIT)
            s = row[target];
          else
            {
              double mx = row[0];
              for (gint64 j = 1; j < K; j++)
                mx = MAX (mx, (double) row[j]);
              double z = 0.0;
              for (gint64 j = 0; j < K; j++)
                z += exp ((double) row[j] - mx);
              s = exp ((double) row[target] - mx) / z;
            }
          curve->score[first + b] = s;
        }
      pl_progress_report (progress, (double) (first + count) / (double) n_points, NULL);
    }
  curve->auc = pl_auc_trapezoid (curve->fraction, curve->score, curve->n_points);
  return g_steal_pointer (&curve);
}

/* ---- tables --------------------------------------------------------------------- */

PlTensor *
pl_table_saliency (PlExecutor *executor, const PlTensor *row, gint target,
                   gpointer user_data G_GNUC_UNUSED, GError **error)
{
  g_return_val_if_fail (executor != NULL, NULL);
  g_return_val_if_fail (row != NULL, NULL);
  PlSaliencyOptions so;
  pl_saliency_options_init (&so);
  so.absolute = FALSE;
  g_autoptr (PlAttribution) a = pl_attribution_saliency (executor, row, target, &so, NULL,
                                                         error);
  if (a == NULL)
    return NULL;
  PlTensor *out = pl_tensor_new_2d (1, a->attribution->numel);
  memcpy (out->data, a->attribution->data, sizeof (float) * out->numel);
  return out;
}

PlCurve *
pl_faithfulness_curve_table (PlExecutor *executor, const PlTensor *row, gint target,
                             const PlTensor *attribution, const float *reference,
                             PlCurveKind kind, const PlFaithfulnessOptions *options,
                             const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (executor != NULL, NULL);
  g_return_val_if_fail (row != NULL, NULL);
  g_return_val_if_fail (attribution != NULL, NULL);
  g_return_val_if_fail (reference != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  PlFaithfulnessOptions defaults;
  pl_faithfulness_options_init (&defaults);
  if (options == NULL)
    options = &defaults;
  if (row->ndim != 2 || row->shape[0] != 1 || row->shape[1] < 1)
    {
      g_autofree char *s = pl_tensor_shape_string (row->ndim, row->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "A deletion or insertion curve of a table needs one row of shape [1, F]; "
                   "got %s", s);
      return NULL;
    }
  gint64 F = row->shape[1];
  if (attribution->numel != F)
    {
      g_autofree char *s = pl_tensor_shape_string (attribution->ndim, attribution->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The attribution has shape %s; the row needs %" G_GINT64_FORMAT
                   " values, one per feature", s, F);
      return NULL;
    }
  if (target < 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "A deletion or insertion curve needs a target class ≥ 0; got %d", target);
      return NULL;
    }
  gint64 n_points = F + 1;
  g_autofree PixelRank *order = g_new (PixelRank, F);
  for (gint64 i = 0; i < F; i++)
    {
      float v = attribution->data[i];
      order[i].key = isnan (v) ? -INFINITY : v;
      order[i].index = i;
    }
  qsort (order, F, sizeof (PixelRank), pixel_rank_compare);

  g_autoptr (PlTensor) ref = pl_tensor_new_2d (1, F);
  memcpy (ref->data, reference, sizeof (float) * F);
  const PlTensor *start = kind == PL_CURVE_DELETION ? row : ref;
  const PlTensor *finish = kind == PL_CURVE_DELETION ? ref : row;

  g_autoptr (PlCurve) curve = g_new0 (PlCurve, 1);
  curve->kind = kind;
  curve->n_points = (gint) n_points;
  curve->fraction = g_new (double, n_points);
  curve->score = g_new (double, n_points);

  gint64 bs = options->batch_size > 0 ? options->batch_size : 128;
  g_autoptr (PlTensor) current = pl_tensor_dup (start);
  gint64 changed = 0;
  for (gint64 first = 0; first < n_points; first += bs)
    {
      if (pl_progress_cancelled (progress, error))
        return NULL;
      gint64 count = MIN (bs, n_points - first);
      g_autoptr (PlTensor) batch = pl_tensor_new (2, (gint64[]) { count, F }, error);
      if (batch == NULL)
        return NULL;
      for (gint64 b = 0; b < count; b++)
        {
          gint64 m = first + b;
          for (; changed < m; changed++)
            {
              gint64 p = order[changed].index;
              current->data[p] = finish->data[p];
            }
          memcpy (batch->data + b * F, current->data, sizeof (float) * F);
          curve->fraction[first + b] = (double) m / (double) F;
        }
      if (!pl_executor_forward (executor, batch, error))
        return NULL;
      const PlTensor *logits = pl_executor_output (executor, 0);
      if (logits == NULL || logits->ndim != 2 || logits->shape[0] != count)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "The model's first output should be logits of shape [N, classes]");
          return NULL;
        }
      gint64 K = logits->shape[1];
      if (target >= K)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "Class %d does not exist: the model has %" G_GINT64_FORMAT " classes",
                       target, K);
          return NULL;
        }
      for (gint64 b = 0; b < count; b++)
        {
          const float *lr = logits->data + b * K;
          double s;
          if (options->score == PL_CURVE_SCORE_LOGIT)
            s = lr[target];
          else
            {
              double mx = lr[0];
              for (gint64 j = 1; j < K; j++)
                mx = MAX (mx, (double) lr[j]);
              double z = 0.0;
              for (gint64 j = 0; j < K; j++)
                z += exp ((double) lr[j] - mx);
              s = exp ((double) lr[target] - mx) / z;
            }
          curve->score[first + b] = s;
        }
      pl_progress_report (progress, (double) (first + count) / (double) n_points, NULL);
    }
  curve->auc = pl_auc_trapezoid (curve->fraction, curve->score, curve->n_points);
  return g_steal_pointer (&curve);
}

/* ---- cascading randomisation --------------------------------------------------- */

void
pl_randomisation_curve_free (PlRandomisationCurve *curve)
{
  if (curve == NULL)
    return;
  if (curve->layer_names)
    for (gint i = 0; i < curve->n_steps; i++)
      g_free (curve->layer_names[i]);
  g_free (curve->layer_names);
  g_free (curve->spearman);
  g_free (curve->spearman_abs);
  g_free (curve->kendall);
  g_free (curve->pearson);
  g_free (curve->cosine);
  g_free (curve->topk);
  g_free (curve->ssim);
  g_free (curve->spearman_abs_all);
  g_free (curve);
}

static PlTensor *
attribute (PlExecutor *ex, const PlTensor *image, gint target, PlAttributionFunc method,
           gpointer data, GError **error)
{
  if (method != NULL)
    return method (ex, image, target, data, error);
  if (image->ndim == 2)
    return pl_table_saliency (ex, image, target, NULL, error);
  return pl_saliency (ex, image, target, error);
}

/* Row i of images as a new [1, C, H, W] tensor (tables [N, F]: [1, F]). */
static PlTensor *
image_row (const PlTensor *images, gint64 i)
{
  PlTensor *t = images->ndim == 2
      ? pl_tensor_new_2d (1, images->shape[1])
      : pl_tensor_new_4d (1, images->shape[1], images->shape[2], images->shape[3]);
  memcpy (t->data, images->data + i * t->numel, sizeof (float) * t->numel);
  return t;
}

static gboolean
is_layer (const PlGraph *graph, const PlNode *node)
{
  if (strcmp (node->op_type, "Conv") != 0 && strcmp (node->op_type, "Gemm") != 0
      && strcmp (node->op_type, "MatMul") != 0)
    return FALSE;
  if (node->n_inputs < 2 || node->inputs[1] < 0)
    return FALSE;
  return pl_graph_value (graph, node->inputs[1])->init != NULL;
}

static void
randomise_layer (PlGraph *graph, const PlNode *node, guint64 *rng)
{
  PlValue *wv = pl_graph_value (graph, node->inputs[1]);
  PlTensor *w = wv->init;
  gint64 fan_in = 1;
  if (strcmp (node->op_type, "Conv") == 0)
    fan_in = w->shape[0] > 0 ? w->numel / w->shape[0] : 1;
  else if (w->ndim == 2)
    {
      gboolean trans_b = strcmp (node->op_type, "Gemm") == 0
                         && pl_node_get_int (node, "transB", 0) != 0;
      fan_in = trans_b ? w->shape[1] : w->shape[0];
    }
  else if (w->ndim >= 1)
    fan_in = w->shape[0];
  double bound = sqrt (6.0 / (double) MAX (fan_in, 1));
  for (gint64 i = 0; i < w->numel; i++)
    {
      float v = (float) ((2.0 * pl_analysis_uniform (rng) - 1.0) * bound);
      if (wv->mask != NULL && wv->mask->numel == w->numel && wv->mask->data[i] == 0.0f)
        v = 0.0f;
      w->data[i] = v;
    }
  if (node->n_inputs >= 3 && node->inputs[2] >= 0)
    {
      PlValue *bv = pl_graph_value (graph, node->inputs[2]);
      if (bv->init != NULL)
        memset (bv->init->data, 0, sizeof (float) * bv->init->numel);
    }
}

static double
mean_finite (const double *v, gint64 n)
{
  double s = 0.0;
  gint64 m = 0;
  for (gint64 i = 0; i < n; i++)
    if (isfinite (v[i]))
      {
        s += v[i];
        m++;
      }
  return m > 0 ? s / (double) m : NAN;
}

PlRandomisationCurve *
pl_cascading_randomisation (PlGraph *graph, const PlTensor *images, PlAttributionFunc method,
                            gpointer method_data, double topk_fraction, guint64 seed,
                            const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_return_val_if_fail (images != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  gboolean table = images->ndim == 2;
  if ((images->ndim != 4 && !table) || images->shape[0] < 1)
    {
      g_autofree char *s = pl_tensor_shape_string (images->ndim, images->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The randomisation check needs images of shape [N, C, H, W] or table "
                   "rows [N, F]; got %s", s);
      return NULL;
    }
  g_autoptr (GArray) layers = g_array_new (FALSE, FALSE, sizeof (gint));
  for (gint i = (gint) graph->nodes->len - 1; i >= 0; i--)
    if (is_layer (graph, g_ptr_array_index (graph->nodes, i)))
      g_array_append_val (layers, i);
  if (layers->len == 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The randomisation check needs a network with Conv, Gemm or MatMul "
                   "weights; this one has none");
      return NULL;
    }
  gint64 N = images->shape[0];
  gint64 H = table ? 1 : images->shape[2], W = table ? images->shape[1] : images->shape[3];
  gint n_steps = (gint) layers->len + 1;

  g_autoptr (PlRandomisationCurve) curve = g_new0 (PlRandomisationCurve, 1);
  curve->n_steps = n_steps;
  curve->n_inputs = N;
  curve->seed = seed;
  curve->topk_fraction = topk_fraction;
  curve->layer_names = g_new0 (char *, n_steps);
  curve->spearman = g_new (double, n_steps);
  curve->spearman_abs = g_new (double, n_steps);
  curve->kendall = g_new (double, n_steps);
  curve->pearson = g_new (double, n_steps);
  curve->cosine = g_new (double, n_steps);
  curve->topk = g_new (double, n_steps);
  curve->ssim = g_new (double, n_steps);
  curve->spearman_abs_all = g_new (double, (gsize) n_steps * N);
  curve->layer_names[0] = g_strdup ("");

  g_autoptr (PlGraph) work = pl_graph_copy (graph);
  g_autofree gint *targets = g_new (gint, N);
  g_autoptr (GPtrArray) trained = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_tensor_unref);
  g_autofree double *vals = g_new (double, N * 7);
  guint64 rng = seed;

  for (gint s = 0; s < n_steps; s++)
    {
      if (s > 0)
        {
          const PlNode *node = g_ptr_array_index (work->nodes,
                                                  g_array_index (layers, gint, s - 1));
          randomise_layer (work, node, &rng);
          curve->layer_names[s] = g_strdup (node->name && *node->name ? node->name
                                            : node->op_type);
        }
      PlExecutor *ex = pl_executor_new (work, error);
      if (ex == NULL)
        return NULL;
      if (s == 0)
        {
          PlTensor *logits = pl_executor_predict (ex, images, 0, NULL, error);
          if (logits == NULL)
            {
              pl_executor_free (ex);
              return NULL;
            }
          for (gint64 i = 0; i < N; i++)
            targets[i] = (gint) pl_tensor_argmax (logits->data + i * logits->shape[1],
                                                  logits->shape[1]);
          pl_tensor_unref (logits);
        }
      for (gint64 i = 0; i < N; i++)
        {
          if (pl_progress_cancelled (progress, error))
            {
              pl_executor_free (ex);
              return NULL;
            }
          g_autoptr (PlTensor) img = image_row (images, i);
          PlTensor *map = attribute (ex, img, targets[i], method, method_data, error);
          if (map == NULL)
            {
              pl_executor_free (ex);
              return NULL;
            }
          if (map->numel != H * W)
            {
              g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                           "The attribution method returned %" G_GINT64_FORMAT
                           " values; expected %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT,
                           map->numel, H, W);
              pl_tensor_unref (map);
              pl_executor_free (ex);
              return NULL;
            }
          if (s == 0)
            g_ptr_array_add (trained, pl_tensor_ref (map));
          const PlTensor *ref = g_ptr_array_index (trained, i);
          PlSimilarityFull sim;
          pl_attribution_similarity_full (ref->data, map->data, (gint) H, (gint) W,
                                          topk_fraction, &sim);
          pl_tensor_unref (map);
          vals[0 * N + i] = sim.basic.spearman;
          vals[1 * N + i] = sim.spearman_abs;
          vals[2 * N + i] = sim.kendall;
          vals[3 * N + i] = sim.basic.pearson;
          vals[4 * N + i] = sim.basic.cosine;
          vals[5 * N + i] = sim.basic.topk_intersection;
          vals[6 * N + i] = table ? NAN : sim.ssim;
          curve->spearman_abs_all[(gsize) s * N + i] = sim.spearman_abs;
          pl_progress_report (progress, ((double) s * N + i + 1) / ((double) n_steps * N),
                              NULL);
        }
      pl_executor_free (ex);
      curve->spearman[s] = mean_finite (vals + 0 * N, N);
      curve->spearman_abs[s] = mean_finite (vals + 1 * N, N);
      curve->kendall[s] = mean_finite (vals + 2 * N, N);
      curve->pearson[s] = mean_finite (vals + 3 * N, N);
      curve->cosine[s] = mean_finite (vals + 4 * N, N);
      curve->topk[s] = mean_finite (vals + 5 * N, N);
      curve->ssim[s] = mean_finite (vals + 6 * N, N);
    }
  return g_steal_pointer (&curve);
}
