/* pl-attribution.c — the result type, shared helpers, and the gradient methods:
 * saliency, Gradient × Input, SmoothGrad (and SmoothGrad², VarGrad), Integrated Gradients.
 */
#include "explain/pl-explain-private.h"
#include "ops/pl-ops.h"
#include "pl-error.h"

#include <math.h>
#include <string.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (gsl_rng, gsl_rng_free)

/* ------------------------------------------------------------------ result and helpers */

void
pl_attribution_free (PlAttribution *attribution)
{
  if (attribution == NULL)
    return;
  g_free (attribution->method);
  g_free (attribution->parameters);
  g_clear_pointer (&attribution->attribution, pl_tensor_unref);
  g_clear_pointer (&attribution->sd, pl_tensor_unref);
  g_free (attribution);
}

PlAttribution *
pl_attr_new (const char *method, gint target, guint64 seed)
{
  PlAttribution *a = g_new0 (PlAttribution, 1);
  a->method = g_strdup (method);
  a->target = target;
  a->seed = seed;
  a->fx = a->f_baseline = a->residual = a->r2 = a->intercept = NAN;
  return a;
}

void
pl_attr_param_double (GString *s, const char *key, double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append_printf (s, "%s%s=%s", s->len > 0 ? " " : "", key,
                          g_ascii_formatd (buf, sizeof buf, "%.6g", value));
}

static gboolean
check_logits (const PlTensor *logits, gint64 n, gint target, GError **error)
{
  if (logits == NULL || logits->ndim != 2 || logits->shape[0] != n || logits->shape[1] < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The model's first output should be logits of shape [%" G_GINT64_FORMAT
                   ", classes]", n);
      return FALSE;
    }
  if (target >= logits->shape[1])
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Class %d does not exist: the model has %" G_GINT64_FORMAT " classes "
                   "(0–%" G_GINT64_FORMAT ")", target, logits->shape[1],
                   logits->shape[1] - 1);
      return FALSE;
    }
  return TRUE;
}

gboolean
pl_attr_resolve_target (PlExecutor *executor, const PlTensor *input, gint *target,
                        double *fx_out, GError **error)
{
  if (input->ndim < 2 || input->shape[0] != 1)
    {
      g_autofree char *shape = pl_tensor_shape_string (input->ndim, input->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "An attribution needs one input of shape [1, C, H, W] or [1, F]; got %s",
                   shape);
      return FALSE;
    }
  for (gint64 i = 0; i < input->numel; i++)
    if (!isfinite (input->data[i]))
      {
        g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                     "The input has a non-finite value (%g) at element %" G_GINT64_FORMAT,
                     input->data[i], i);
        return FALSE;
      }
  if (!pl_executor_forward (executor, input, error))
    return FALSE;
  const PlTensor *logits = pl_executor_output (executor, 0);
  if (!check_logits (logits, 1, MAX (*target, 0), error))
    return FALSE;
  if (*target < 0)
    *target = (gint) pl_tensor_argmax (logits->data, logits->shape[1]);
  if (fx_out)
    *fx_out = logits->data[*target];
  return TRUE;
}

gboolean
pl_attr_logits (PlExecutor *executor, const PlTensor *batch, gint target, double *values,
                GError **error)
{
  if (!pl_executor_forward (executor, batch, error))
    return FALSE;
  const PlTensor *logits = pl_executor_output (executor, 0);
  if (!check_logits (logits, batch->shape[0], target, error))
    return FALSE;
  gint64 K = logits->shape[1];
  for (gint64 r = 0; r < batch->shape[0]; r++)
    values[r] = logits->data[r * K + target];
  return TRUE;
}

PlTensor *
pl_attr_gradients (PlExecutor *executor, const PlTensor *batch, gint target, double *values,
                   GError **error)
{
  gint64 n = batch->shape[0];
  g_autofree gint *targets = g_new (gint, n);
  for (gint64 r = 0; r < n; r++)
    targets[r] = target;
  g_autoptr (PlTensor) logits = NULL;
  g_autoptr (PlTensor) grad = pl_executor_class_gradient (executor, batch, targets,
                                                           values ? &logits : NULL, error);
  if (grad == NULL)
    return NULL;
  if (grad->numel != batch->numel)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_FAILED,
                   "The input gradient has %" G_GINT64_FORMAT " values; the input has %"
                   G_GINT64_FORMAT, grad->numel, batch->numel);
      return NULL;
    }
  if (values)
    {
      gint64 K = logits->shape[1];
      for (gint64 r = 0; r < n; r++)
        values[r] = logits->data[r * K + target];
    }
  return g_steal_pointer (&grad);
}

PlTensor *
pl_attr_batch_new (const PlTensor *like, gint64 n, GError **error)
{
  gint64 shape[PL_TENSOR_MAX_DIMS];
  memcpy (shape, like->shape, sizeof shape);
  shape[0] = n;
  return pl_tensor_new (like->ndim, shape, error);
}

gboolean
pl_attr_check_like (const PlTensor *t, const PlTensor *input, const char *what,
                    GError **error)
{
  if (t == NULL || t->numel != input->numel)
    {
      g_autofree char *want = pl_tensor_shape_string (input->ndim, input->shape);
      g_autofree char *got = t ? pl_tensor_shape_string (t->ndim, t->shape)
                               : g_strdup ("nothing");
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The %s should have the input's shape %s; got %s", what, want, got);
      return FALSE;
    }
  for (gint64 i = 0; i < t->numel; i++)
    if (!isfinite (t->data[i]))
      {
        g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                     "The %s has a non-finite value at element %" G_GINT64_FORMAT, what, i);
        return FALSE;
      }
  return TRUE;
}

const char *
pl_attr_reduce_name (PlChannelReduce reduce)
{
  switch (reduce)
    {
    case PL_CHANNEL_MAX: return "max";
    case PL_CHANNEL_SUM: return "sum";
    case PL_CHANNEL_MEAN: return "mean";
    case PL_CHANNEL_NONE: return "none";
    }
  return "?";
}

PlTensor *
pl_attr_reduce (const PlTensor *map, gboolean absolute, PlChannelReduce reduce,
                GError **error)
{
  if (map->ndim != 4 || reduce == PL_CHANNEL_NONE)
    {
      PlTensor *out = pl_tensor_dup (map);
      if (absolute)
        for (gint64 i = 0; i < out->numel; i++)
          out->data[i] = fabsf (out->data[i]);
      return out;
    }
  gint64 C = map->shape[1], H = map->shape[2], W = map->shape[3], HW = H * W;
  PlTensor *out = pl_tensor_new (4, (gint64[]) { 1, 1, H, W }, error);
  if (out == NULL)
    return NULL;
  for (gint64 p = 0; p < HW; p++)
    {
      double acc = reduce == PL_CHANNEL_MAX ? -INFINITY : 0.0;
      for (gint64 c = 0; c < C; c++)
        {
          double v = map->data[c * HW + p];
          if (absolute)
            v = fabs (v);
          acc = reduce == PL_CHANNEL_MAX ? fmax (acc, v) : acc + v;
        }
      if (reduce == PL_CHANNEL_MEAN)
        acc /= (double) C;
      out->data[p] = (float) acc;
    }
  return out;
}

static gboolean
check_reduce (PlChannelReduce reduce, GError **error)
{
  if ((guint) reduce > PL_CHANNEL_NONE)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Unknown channel reduction %d (expected max, sum, mean or none)", reduce);
      return FALSE;
    }
  return TRUE;
}

static gint
batch_or_default (gint batch, gint fallback)
{
  return batch > 0 ? batch : fallback;
}

/* The same number of chunks of at most batch rows as before, of equal sizes (50 samples
 * at batch 32: 25 + 25 rather than 32 + 18), so that one executor plan serves them all
 * and the plan for the single image (N = 1) is not evicted: no buffers to reallocate. */
static gint
balanced_batch (gint64 n, gint batch)
{
  if (n <= 0 || batch <= 0)
    return MAX (batch, 1);
  gint64 chunks = (n + batch - 1) / batch;
  return (gint) ((n + chunks - 1) / chunks);
}

/* ------------------------------------------------------------------ saliency, G × I */

void
pl_saliency_options_init (PlSaliencyOptions *options)
{
  g_return_if_fail (options != NULL);
  options->absolute = TRUE;
  options->reduce = PL_CHANNEL_MAX;
}

PlAttribution *
pl_attribution_saliency (PlExecutor *executor, const PlTensor *input, gint target,
                         const PlSaliencyOptions *options, const PlProgress *progress,
                         GError **error)
{
  g_return_val_if_fail (executor != NULL, NULL);
  g_return_val_if_fail (input != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  PlSaliencyOptions opt;
  pl_saliency_options_init (&opt);
  if (options)
    opt = *options;
  if (!check_reduce (opt.reduce, error))
    return NULL;
  if (pl_progress_cancelled (progress, error))
    return NULL;
  double fx;
  /* one forward pass: the gradient is taken from the pass that resolved the target */
  gboolean keep = pl_executor_set_keep_values (executor, TRUE);
  gboolean ok = pl_attr_resolve_target (executor, input, &target, &fx, error);
  pl_executor_set_keep_values (executor, keep);
  if (!ok)
    return NULL;
  g_autoptr (PlTensor) grad = pl_executor_class_gradient_last (executor, &target, NULL, error);
  if (grad == NULL)
    return NULL;
  g_autoptr (PlAttribution) a = pl_attr_new ("saliency", target, 0);
  a->attribution = pl_attr_reduce (grad, opt.absolute, opt.reduce, error);
  if (a->attribution == NULL)
    return NULL;
  a->fx = fx;
  a->parameters = g_strdup_printf ("target=%d absolute=%s reduce=%s", target,
                                   opt.absolute ? "yes" : "no",
                                   input->ndim == 4 ? pl_attr_reduce_name (opt.reduce)
                                                    : "none");
  pl_progress_report (progress, 1.0, NULL);
  return g_steal_pointer (&a);
}

PlAttribution *
pl_attribution_gradient_x_input (PlExecutor *executor, const PlTensor *input, gint target,
                                 const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (executor != NULL, NULL);
  g_return_val_if_fail (input != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (pl_progress_cancelled (progress, error))
    return NULL;
  double fx;
  /* one forward pass: the gradient is taken from the pass that resolved the target */
  gboolean keep = pl_executor_set_keep_values (executor, TRUE);
  gboolean ok = pl_attr_resolve_target (executor, input, &target, &fx, error);
  pl_executor_set_keep_values (executor, keep);
  if (!ok)
    return NULL;
  g_autoptr (PlTensor) grad = pl_executor_class_gradient_last (executor, &target, NULL, error);
  if (grad == NULL)
    return NULL;
  for (gint64 i = 0; i < grad->numel; i++)
    grad->data[i] *= input->data[i];
  g_autoptr (PlAttribution) a = pl_attr_new ("gradient-x-input", target, 0);
  a->attribution = g_steal_pointer (&grad);
  a->fx = fx;
  a->parameters = g_strdup_printf ("target=%d", target);
  pl_progress_report (progress, 1.0, NULL);
  return g_steal_pointer (&a);
}

/* ------------------------------------------------------------------ SmoothGrad */

void
pl_smoothgrad_options_init (PlSmoothGradOptions *options)
{
  g_return_if_fail (options != NULL);
  options->variant = PL_SMOOTHGRAD;
  options->n_samples = 50;
  options->noise_level = 0.15;
  options->input_range = 0.0;
  options->absolute = TRUE;
  options->reduce = PL_CHANNEL_MAX;
  options->seed = 1;
  options->batch = 32;
}

static void
min_max (const PlTensor *t, float *lo, float *hi)
{
  *lo = INFINITY;
  *hi = -INFINITY;
  for (gint64 i = 0; i < t->numel; i++)
    {
      *lo = fminf (*lo, t->data[i]);
      *hi = fmaxf (*hi, t->data[i]);
    }
}

static gsl_rng *
seeded_rng (guint64 seed)
{
  gsl_rng *rng = gsl_rng_alloc (gsl_rng_mt19937);
  /* mt19937 takes an unsigned long; fold a 64-bit seed so distinct seeds stay distinct
   * on 32-bit longs too. */
  gsl_rng_set (rng, (unsigned long) (seed ^ (seed >> 32)));
  return rng;
}

PlAttribution *
pl_attribution_smoothgrad (PlExecutor *executor, const PlTensor *input, gint target,
                           const PlSmoothGradOptions *options, const PlProgress *progress,
                           GError **error)
{
  g_return_val_if_fail (executor != NULL, NULL);
  g_return_val_if_fail (input != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  PlSmoothGradOptions opt;
  pl_smoothgrad_options_init (&opt);
  if (options)
    opt = *options;
  if (opt.n_samples < 1 || opt.n_samples > 100000)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "SmoothGrad needs 1–100000 samples; got %d", opt.n_samples);
      return NULL;
    }
  if (!(opt.noise_level >= 0.0 && opt.noise_level <= 10.0) || !isfinite (opt.input_range))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "SmoothGrad noise level should be in [0, 10] (a fraction of the input "
                   "range); got %g", opt.noise_level);
      return NULL;
    }
  if ((guint) opt.variant > PL_VARGRAD)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "Unknown SmoothGrad variant %d",
                   opt.variant);
      return NULL;
    }
  if (!check_reduce (opt.reduce, error))
    return NULL;
  double fx;
  if (!pl_attr_resolve_target (executor, input, &target, &fx, error))
    return NULL;

  double range = opt.input_range;
  if (range <= 0.0)
    {
      float lo, hi;
      min_max (input, &lo, &hi);
      range = hi > lo ? (double) hi - lo : 1.0;
    }
  double sigma = opt.noise_level * range;
  gint batch = batch_or_default (opt.batch, 32);
  gint chunk = balanced_batch (opt.n_samples, batch);
  gint64 D = input->numel;
  g_autofree double *sum = g_new0 (double, D);
  g_autofree double *sum2 = g_new0 (double, D);
  g_autoptr (gsl_rng) rng = seeded_rng (opt.seed);
  gboolean fast = opt.variant == PL_SMOOTHGRAD && pl_fast_available (executor);
  g_autofree double *head_sum = NULL;
  g_autoptr (PlTensor) head_like = NULL;

  for (gint start = 0; start < opt.n_samples; start += chunk)
    {
      if (pl_progress_cancelled (progress, error))
        return NULL;
      gint cnt = MIN (chunk, opt.n_samples - start);
      g_autoptr (PlTensor) b = pl_attr_batch_new (input, cnt, error);
      if (b == NULL)
        return NULL;
      for (gint r = 0; r < cnt; r++)
        for (gint64 i = 0; i < D; i++)
          b->data[r * D + i] = (float) (input->data[i]
                                        + (sigma > 0 ? gsl_ran_gaussian (rng, sigma) : 0.0));
      if (fast)
        {
          /* the mean needs Σ_r ∇f (x_r) = Lᵀ Σ_r g_r only (g_r: gradient at the head) */
          if (!pl_executor_forward (executor, b, error))
            return NULL;
          const PlTensor *logits = pl_executor_output (executor, 0);
          if (!check_logits (logits, cnt, target, error))
            return NULL;
          g_autoptr (PlTensor) go = pl_tensor_new_like (logits);
          for (gint r = 0; r < cnt; r++)
            go->data[(gint64) r * logits->shape[1] + target] = 1.f;
          if (!pl_executor_backward_to_head (executor, go, error))
            return NULL;
          const PlTensor *g = pl_executor_value_grad (executor,
                                                      pl_executor_head_value (executor));
          gint64 H = g->numel / cnt;
          if (head_sum == NULL)
            head_sum = g_new0 (double, H);
          for (gint r = 0; r < cnt; r++)
            {
              const float *restrict gr = g->data + (gint64) r * H;
              double *restrict dst = head_sum;
              for (gint64 j = 0; j < H; j++)
                dst[j] += gr[j];
            }
          if (head_like == NULL)
            {
              gint64 shape[PL_TENSOR_MAX_DIMS];
              memcpy (shape, g->shape, sizeof shape);
              shape[0] = 1;
              head_like = pl_tensor_new (g->ndim, shape, error);
              if (head_like == NULL)
                return NULL;
            }
          pl_progress_report (progress, (double) (start + cnt) / opt.n_samples, NULL);
          continue;
        }
      g_autoptr (PlTensor) g = pl_attr_gradients (executor, b, target, NULL, error);
      if (g == NULL)
        return NULL;
      for (gint r = 0; r < cnt; r++)
        for (gint64 i = 0; i < D; i++)
          {
            double v = g->data[r * D + i];
            sum[i] += v;
            sum2[i] += v * v;
          }
      pl_progress_report (progress, (double) (start + cnt) / opt.n_samples, NULL);
    }
  if (fast)
    {
      for (gint64 j = 0; j < head_like->numel; j++)
        head_like->data[j] = (float) head_sum[j];
      g_autoptr (PlTensor) gsum = pl_executor_head_transpose (executor, head_like, input, error);
      if (gsum == NULL)
        return NULL;
      for (gint64 i = 0; i < D; i++)
        sum[i] = gsum->data[i];
      pl_fast_note ();
    }

  g_autoptr (PlTensor) map = pl_tensor_new_like (input);
  for (gint64 i = 0; i < D; i++)
    {
      double mean = sum[i] / opt.n_samples, mean2 = sum2[i] / opt.n_samples;
      double v = opt.variant == PL_SMOOTHGRAD ? mean
               : opt.variant == PL_SMOOTHGRAD_SQUARED ? mean2
               : fmax (0.0, mean2 - mean * mean);
      map->data[i] = (float) v;
    }
  static const char *const names[] = { "smoothgrad", "smoothgrad-squared", "vargrad" };
  g_autoptr (PlAttribution) a = pl_attr_new (names[opt.variant], target, opt.seed);
  a->attribution = pl_attr_reduce (map, opt.absolute, opt.reduce, error);
  if (a->attribution == NULL)
    return NULL;
  a->fx = fx;
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "target=%d samples=%d", target, opt.n_samples);
  pl_attr_param_double (s, "noise", opt.noise_level);
  pl_attr_param_double (s, "range", range);
  pl_attr_param_double (s, "sigma", sigma);
  g_string_append_printf (s, " absolute=%s reduce=%s seed=%" G_GUINT64_FORMAT " batch=%d",
                          opt.absolute ? "yes" : "no",
                          input->ndim == 4 ? pl_attr_reduce_name (opt.reduce) : "none",
                          opt.seed, batch);
  a->parameters = g_string_free (s, FALSE);
  return g_steal_pointer (&a);
}

/* ------------------------------------------------------------------ Integrated Gradients */

void
pl_integrated_gradients_options_init (PlIntegratedGradientsOptions *options)
{
  g_return_if_fail (options != NULL);
  memset (options, 0, sizeof *options);
  options->steps = 50;
  options->rule = PL_RULE_GAUSS_LEGENDRE;
  options->baseline = PL_BASELINE_ZERO;
  options->baseline_tensor = NULL;
  options->baseline_name = NULL;
  options->blur_sigma = 5.0;
  options->seed = 1;
  options->batch = 32;
}

/* Separable Gaussian blur of every channel plane of [1, C, H, W]; edges replicated. */
static PlTensor *
gaussian_blur (const PlTensor *x, double sigma, GError **error)
{
  gint64 C = x->shape[1], H = x->shape[2], W = x->shape[3];
  gint radius = (gint) ceil (3.0 * sigma);
  radius = MIN (radius, 1000);
  g_autofree double *k = g_new (double, 2 * radius + 1);
  double ksum = 0;
  for (gint i = -radius; i <= radius; i++)
    ksum += k[i + radius] = exp (-0.5 * i * i / (sigma * sigma));
  for (gint i = 0; i <= 2 * radius; i++)
    k[i] /= ksum;
  g_autoptr (PlTensor) out = pl_tensor_new_like (x);
  g_autofree double *tmp = g_new (double, H * W);
  for (gint64 c = 0; c < C; c++)
    {
      const float *src = x->data + c * H * W;
      float *dst = out->data + c * H * W;
      for (gint64 h = 0; h < H; h++)
        for (gint64 w = 0; w < W; w++)
          {
            double acc = 0;
            for (gint i = -radius; i <= radius; i++)
              acc += k[i + radius] * src[h * W + CLAMP (w + i, 0, W - 1)];
            tmp[h * W + w] = acc;
          }
      for (gint64 h = 0; h < H; h++)
        for (gint64 w = 0; w < W; w++)
          {
            double acc = 0;
            for (gint i = -radius; i <= radius; i++)
              acc += k[i + radius] * tmp[CLAMP (h + i, 0, H - 1) * W + w];
            dst[h * W + w] = (float) acc;
          }
    }
  (void) error;
  return g_steal_pointer (&out);
}

static const char *
rule_name (PlIntegrationRule rule)
{
  switch (rule)
    {
    case PL_RULE_LEFT: return "riemann-left";
    case PL_RULE_RIGHT: return "riemann-right";
    case PL_RULE_MIDDLE: return "riemann-middle";
    case PL_RULE_TRAPEZOID: return "trapezoid";
    case PL_RULE_GAUSS_LEGENDRE: return "gauss-legendre";
    }
  return "?";
}

/* Nodes α and weights of the rule on [0, 1]; returns the number of points. */
static gint
rule_points (PlIntegrationRule rule, gint n, double **alpha_out, double **weight_out)
{
  gint m = rule == PL_RULE_TRAPEZOID ? n + 1 : n;
  double *alpha = g_new (double, m), *weight = g_new (double, m);
  switch (rule)
    {
    case PL_RULE_LEFT:
    case PL_RULE_RIGHT:
    case PL_RULE_MIDDLE:
      for (gint k = 0; k < n; k++)
        {
          double off = rule == PL_RULE_LEFT ? 0.0 : rule == PL_RULE_RIGHT ? 1.0 : 0.5;
          alpha[k] = (k + off) / n;
          weight[k] = 1.0 / n;
        }
      break;
    case PL_RULE_TRAPEZOID:
      for (gint k = 0; k <= n; k++)
        {
          alpha[k] = (double) k / n;
          weight[k] = (k == 0 || k == n) ? 0.5 / n : 1.0 / n;
        }
      break;
    case PL_RULE_GAUSS_LEGENDRE:
      {
        gsl_integration_glfixed_table *t = gsl_integration_glfixed_table_alloc ((size_t) n);
        for (gint k = 0; k < n; k++)
          gsl_integration_glfixed_point (0.0, 1.0, (size_t) k, &alpha[k], &weight[k], t);
        gsl_integration_glfixed_table_free (t);
        break;
      }
    }
  *alpha_out = alpha;
  *weight_out = weight;
  return m;
}

/* Fast path of Integrated Gradients through the model's head h (pl-explain-fast.c):
 * h (x′ + α (x − x′)) = h (x′) + α L (x − x′) = h (x) − (1 − α) L (x − x′), so the head
 * is evaluated three times instead of once per step, and Σ_k w_k Lᵀ g_k = Lᵀ Σ_k w_k g_k
 * (g_k: the gradient at the head's output) needs one transpose. Returns
 * Σ_k w_k ∇f (x_k) [input shape] or NULL. */
typedef struct {
  const float *h0, *h1, *hd;
  const double *alpha;
  gint64 H;
} IgHeads;

/* The two streaming loops of the fast path, vectorised (the file's -O2 leaves loops of
 * unknown length scalar): dst = h + s · hd, and acc += w · g in double. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic")
#endif
static inline PL_ALWAYS_INLINE void
ig_axpy_body (gint64 n, const float *restrict h, float s, const float *restrict hd,
              float *restrict dst)
{
  for (gint64 j = 0; j < n; j++)
    dst[j] = h[j] + s * hd[j];
}
PL_SIMD_VOID (ig_axpy, (gint64 n, const float *restrict h, float s, const float *restrict hd, float *restrict dst), (n, h, s, hd, dst))

static inline PL_ALWAYS_INLINE void
ig_acc_body (gint64 n, double w, const float *restrict g, double *restrict acc)
{
  for (gint64 j = 0; j < n; j++)
    acc[j] += w * (double) g[j];
}
PL_SIMD_VOID (ig_acc, (gint64 n, double w, const float *restrict g, double *restrict acc), (n, w, g, acc))
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

static void
ig_fill (gint64 first, gint64 count, float *head, gpointer data)
{
  const IgHeads *ig = data;
  for (gint64 r = 0; r < count; r++)
    {
      /* from the nearer end, so that α = 0 and α = 1 give h (x′) and h (x) exactly (ties
       * of a max pool in flat regions then break as on the plain path) */
      const double a = ig->alpha[first + r];
      float *dst = head + r * ig->H;
      if (a <= 0.5)
        ig_axpy (ig->H, ig->h0, (float) a, ig->hd, dst);
      else
        ig_axpy (ig->H, ig->h1, -(float) (1.0 - a), ig->hd, dst);
    }
}

/* acc[part][j] += Σ_r w_r g[r, j] for the rows of one chunk of the head gradient, while
 * they are in cache (pl_executor_backward_to_head_func); the parts' sums are added in part
 * order at the end. */
typedef struct {
  double *acc;          /* [parts, H] */
  const double *w;      /* weight of each row of the batch */
  gint64 H;
} IgAccumulate;

static void
ig_consume (gint part, gint64 first, gint64 count, const float *grad, gpointer data)
{
  const IgAccumulate *job = data;
  double *dst = job->acc + (gsize) part * (gsize) job->H;
  for (gint64 r = 0; r < count; r++)
    ig_acc (job->H, job->w[first + r], grad + r * job->H, dst);
}

static PlTensor *
ig_fast_gradient_sum (PlExecutor *executor, const PlTensor *input, const PlTensor *base,
                      gint target, const double *alpha, const double *weight, gint m,
                      gint chunk, const PlProgress *progress, GError **error)
{
  g_autoptr (PlTensor) diff = pl_tensor_new_like (input);
  for (gint64 i = 0; i < input->numel; i++)
    diff->data[i] = input->data[i] - base->data[i];
  g_autoptr (PlTensor) h0 = pl_executor_head_linear (executor, base, TRUE, error);
  if (h0 == NULL)
    return NULL;
  g_autoptr (PlTensor) hd = pl_executor_head_linear (executor, diff, FALSE, error);
  if (hd == NULL)
    return NULL;
  g_autoptr (PlTensor) h1 = pl_executor_head_linear (executor, input, TRUE, error);
  if (h1 == NULL)
    return NULL;
  gint64 H = h0->numel, D = input->numel;
  gint parts = pl_parallel_parts ();
  g_autofree double *acc = g_new0 (double, (gsize) parts * (gsize) H);
  g_autofree gint *targets = g_new (gint, MAX (chunk, 1));
  for (gint r = 0; r < chunk; r++)
    targets[r] = target;
  for (gint start = 0; start < m; start += chunk)
    {
      if (pl_progress_cancelled (progress, error))
        return NULL;
      gint cnt = MIN (chunk, m - start);
      g_autoptr (PlTensor) b = pl_attr_batch_new (input, cnt, error);
      if (b == NULL)
        return NULL;
      for (gint r = 0; r < cnt; r++)
        {
          double al = alpha[start + r];
          for (gint64 i = 0; i < D; i++)
            b->data[r * D + i] = (float) (base->data[i]
                                          + al * ((double) input->data[i] - base->data[i]));
        }
      IgHeads ig = { h0->data, h1->data, hd->data, alpha + start, H };
      IgAccumulate job = { acc, weight + start, H };
      if (!pl_executor_forward_backward_head (executor, b, ig_fill, &ig, targets, ig_consume,
                                              &job, error))
        return NULL;
      pl_progress_report (progress, (double) (start + cnt) / m, NULL);
    }
  g_autoptr (PlTensor) gsum = pl_tensor_new_like (h0);
  for (gint64 j = 0; j < H; j++)
    {
      double t = 0.0;
      for (gint q = 0; q < parts; q++)
        t += acc[(gsize) q * (gsize) H + j];
      gsum->data[j] = (float) t;
    }
  return pl_executor_head_transpose (executor, gsum, input, error);
}

PlAttribution *
pl_attribution_integrated_gradients (PlExecutor *executor, const PlTensor *input, gint target,
                                     const PlIntegratedGradientsOptions *options,
                                     const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (executor != NULL, NULL);
  g_return_val_if_fail (input != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  PlIntegratedGradientsOptions opt;
  pl_integrated_gradients_options_init (&opt);
  if (options)
    opt = *options;
  if (opt.steps < 1 || opt.steps > 100000)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Integrated Gradients needs 1–100000 steps; got %d", opt.steps);
      return NULL;
    }
  if ((guint) opt.rule > PL_RULE_GAUSS_LEGENDRE)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Unknown integration rule %d (expected left, right, middle, trapezoid "
                   "or Gauss–Legendre)", opt.rule);
      return NULL;
    }
  if ((guint) opt.baseline > PL_BASELINE_UNIFORM)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "Unknown baseline kind %d",
                   opt.baseline);
      return NULL;
    }
  double fx;
  if (!pl_attr_resolve_target (executor, input, &target, &fx, error))
    return NULL;

  /* The baseline x′. */
  g_autoptr (PlTensor) base = NULL;
  g_autofree char *base_desc = NULL;
  switch (opt.baseline)
    {
    case PL_BASELINE_ZERO:
      base = pl_tensor_new_like (input);
      base_desc = g_strdup ("baseline=zero");
      break;
    case PL_BASELINE_TENSOR:
      if (!pl_attr_check_like (opt.baseline_tensor, input, "baseline tensor", error))
        return NULL;
      base = pl_tensor_new_like (input);
      memcpy (base->data, opt.baseline_tensor->data, sizeof (float) * (gsize) input->numel);
      base_desc = g_strdup_printf ("baseline=%s",
                                   opt.baseline_name ? opt.baseline_name : "tensor");
      break;
    case PL_BASELINE_BLUR:
      if (input->ndim != 4)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "A blurred baseline needs an image [1, C, H, W]");
          return NULL;
        }
      if (!(opt.blur_sigma > 0.0 && opt.blur_sigma <= 1000.0))
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "The blur σ should be in (0, 1000] pixels; got %g", opt.blur_sigma);
          return NULL;
        }
      base = gaussian_blur (input, opt.blur_sigma, error);
      {
        GString *s = g_string_new ("baseline=blur");
        pl_attr_param_double (s, "blur-sigma", opt.blur_sigma);
        base_desc = g_string_free (s, FALSE);
      }
      break;
    case PL_BASELINE_UNIFORM:
      {
        float lo, hi;
        min_max (input, &lo, &hi);
        g_autoptr (gsl_rng) rng = seeded_rng (opt.seed);
        base = pl_tensor_new_like (input);
        for (gint64 i = 0; i < base->numel; i++)
          base->data[i] = (float) (lo + (hi - lo) * gsl_rng_uniform (rng));
        GString *s = g_string_new ("baseline=uniform");
        pl_attr_param_double (s, "low", lo);
        pl_attr_param_double (s, "high", hi);
        base_desc = g_string_free (s, FALSE);
        break;
      }
    }
  if (base == NULL)
    return NULL;

  double fb;
  if (!pl_attr_logits (executor, base, target, &fb, error))
    return NULL;

  g_autofree double *alpha = NULL, *weight = NULL;
  gint m = rule_points (opt.rule, opt.steps, &alpha, &weight);
  gint batch = batch_or_default (opt.batch, 32);
  gint chunk = balanced_batch (m, batch);
  gint64 D = input->numel;
  g_autofree double *acc = g_new0 (double, D);
  gboolean fast = pl_fast_available (executor);
  if (fast)
    {
      g_autoptr (PlTensor) gsum = ig_fast_gradient_sum (executor, input, base, target, alpha,
                                                        weight, m, chunk, progress, error);
      if (gsum == NULL)
        return NULL;
      for (gint64 i = 0; i < D; i++)
        acc[i] = gsum->data[i];
      pl_fast_note ();
    }
  for (gint start = 0; start < m && !fast; start += chunk)
    {
      if (pl_progress_cancelled (progress, error))
        return NULL;
      gint cnt = MIN (chunk, m - start);
      g_autoptr (PlTensor) b = pl_attr_batch_new (input, cnt, error);
      if (b == NULL)
        return NULL;
      for (gint r = 0; r < cnt; r++)
        {
          double al = alpha[start + r];
          for (gint64 i = 0; i < D; i++)
            b->data[r * D + i] = (float) (base->data[i]
                                          + al * ((double) input->data[i] - base->data[i]));
        }
      g_autoptr (PlTensor) g = pl_attr_gradients (executor, b, target, NULL, error);
      if (g == NULL)
        return NULL;
      for (gint r = 0; r < cnt; r++)
        {
          double wk = weight[start + r];
          for (gint64 i = 0; i < D; i++)
            acc[i] += wk * g->data[r * D + i];
        }
      pl_progress_report (progress, (double) (start + cnt) / m, NULL);
    }

  g_autoptr (PlTensor) phi = pl_tensor_new_like (input);
  double total = 0;
  for (gint64 i = 0; i < D; i++)
    {
      double v = ((double) input->data[i] - base->data[i]) * acc[i];
      phi->data[i] = (float) v;
      total += v;
    }
  g_autoptr (PlAttribution) a = pl_attr_new ("integrated-gradients", target, opt.seed);
  a->attribution = g_steal_pointer (&phi);
  a->fx = fx;
  a->f_baseline = fb;
  a->residual = total - (fx - fb);
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "target=%d steps=%d rule=%s %s", target, opt.steps,
                          rule_name (opt.rule), base_desc);
  g_string_append_printf (s, " seed=%" G_GUINT64_FORMAT " batch=%d", a->seed, batch);
  pl_attr_param_double (s, "residual", a->residual);
  a->parameters = g_string_free (s, FALSE);
  return g_steal_pointer (&a);
}

/* ------------------------------------------------------------------ dataset mean */

PlTensor *
pl_dataset_mean (const PlDataset *dataset, gint64 start, gint64 count, GError **error)
{
  g_return_val_if_fail (dataset != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (count <= 0)
    count = dataset->n - start;
  if (start < 0 || count < 1 || start + count > dataset->n)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Samples %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT " are outside the "
                   "dataset '%s' (%" G_GINT64_FORMAT " samples)", start, start + count - 1,
                   dataset->name ? dataset->name : "", dataset->n);
      return NULL;
    }
  gint64 D = (gint64) dataset->channels * dataset->height * dataset->width;
  PlTensor *mean = pl_tensor_new (4, (gint64[]) { 1, dataset->channels, dataset->height,
                                                  dataset->width }, error);
  if (mean == NULL)
    return NULL;
  g_autofree guint64 *sum = g_new0 (guint64, D);
  for (gint64 n = start; n < start + count; n++)
    {
      const guint8 *px = dataset->pixels + n * D;
      for (gint64 i = 0; i < D; i++)
        sum[i] += px[i];
    }
  for (gint64 i = 0; i < D; i++)
    mean->data[i] = (float) ((double) sum[i] / (double) count / 255.0);
  return mean;
}
