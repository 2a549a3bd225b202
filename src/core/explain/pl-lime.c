/* pl-lime.c — superpixels (VLFeat SLIC / quickshift), weighted ridge regression and LIME
 * (Ribeiro, Singh & Guestrin, KDD 2016) for images and table rows. */
#include "config.h"
#include "explain/pl-explain-private.h"
#include "pl-error.h"

#include <math.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#if PL_HAVE_VLFEAT
#include <vl/quickshift.h>
#include <vl/slic.h>
#endif

G_DEFINE_AUTOPTR_CLEANUP_FUNC (gsl_rng, gsl_rng_free)

/* ------------------------------------------------------------------ superpixels */

void
pl_superpixel_options_init (PlSuperpixelOptions *options)
{
  g_return_if_fail (options != NULL);
  options->method = PL_SUPERPIXELS_SLIC;
  options->region_size = 4;
  options->regularization = 0.01;
  options->min_region_size = 4;
  options->kernel_size = 1.0;
  options->max_dist = 3.0;
  options->ratio = 20.0;
}

char *
pl_superpixel_options_describe (const PlSuperpixelOptions *options)
{
  PlSuperpixelOptions opt;
  pl_superpixel_options_init (&opt);
  if (options)
    opt = *options;
  GString *s = g_string_new (NULL);
  if (opt.method == PL_SUPERPIXELS_QUICKSHIFT)
    {
      g_string_append (s, "superpixels=quickshift");
      pl_attr_param_double (s, "kernel-size", opt.kernel_size);
      pl_attr_param_double (s, "max-dist", opt.max_dist);
      pl_attr_param_double (s, "ratio", opt.ratio);
    }
  else
    {
      g_string_append_printf (s, "superpixels=slic region-size=%d", opt.region_size);
      pl_attr_param_double (s, "regularization", opt.regularization);
      g_string_append_printf (s, " min-region-size=%d", opt.min_region_size);
    }
  return g_string_free (s, FALSE);
}

/* Renumber arbitrary non-negative labels to 0..M−1 in first-pixel order. */
static PlSegmentation *
segmentation_from_labels (const gint64 *raw, gint height, gint width)
{
  gint64 HW = (gint64) height * width;
  g_autoptr (GHashTable) map = g_hash_table_new (g_int64_hash, g_int64_equal);
  PlSegmentation *s = g_new0 (PlSegmentation, 1);
  s->height = height;
  s->width = width;
  s->labels = g_new (gint, HW);
  for (gint64 p = 0; p < HW; p++)
    {
      gpointer v;
      if (!g_hash_table_lookup_extended (map, &raw[p], NULL, &v))
        {
          v = GINT_TO_POINTER (s->n_segments++);
          g_hash_table_insert (map, (gpointer) &raw[p], v);
        }
      s->labels[p] = GPOINTER_TO_INT (v);
    }
  s->names = g_new0 (char *, s->n_segments + 1);
  for (gint i = 0; i < s->n_segments; i++)
    s->names[i] = g_strdup_printf ("s%d", i);
  return s;
}

PlSegmentation *
pl_superpixels (const PlTensor *image, const PlSuperpixelOptions *options, GError **error)
{
  g_return_val_if_fail (image != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  PlSuperpixelOptions opt;
  pl_superpixel_options_init (&opt);
  if (options)
    opt = *options;
  if (image->ndim != 4 || image->shape[0] != 1 || image->shape[2] > 100000
      || image->shape[3] > 100000)
    {
      g_autofree char *shape = pl_tensor_shape_string (image->ndim, image->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Superpixels need one image of shape [1, C, H, W]; got %s", shape);
      return NULL;
    }
#if PL_HAVE_VLFEAT
  gint C = (gint) image->shape[1], H = (gint) image->shape[2], W = (gint) image->shape[3];
  gint64 HW = (gint64) H * W;
  g_autofree gint64 *raw = g_new (gint64, HW);
  if (opt.method == PL_SUPERPIXELS_SLIC)
    {
      if (opt.region_size < 1 || opt.region_size > MIN (H, W) || opt.min_region_size < 0
          || !(opt.regularization >= 0.0 && isfinite (opt.regularization)))
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "SLIC needs 1 ≤ region size ≤ %d (got %d), regularization ≥ 0 (got "
                       "%g) and min region size ≥ 0 (got %d)", MIN (H, W), opt.region_size,
                       opt.regularization, opt.min_region_size);
          return NULL;
        }
      /* vl_slic_segment reads channel planes image[x + y W + c W H]: our layout. */
      g_autofree vl_uint32 *seg = g_new (vl_uint32, HW);
      vl_slic_segment (seg, image->data, (vl_size) W, (vl_size) H, (vl_size) C,
                       (vl_size) opt.region_size, (float) opt.regularization,
                       (vl_size) opt.min_region_size);
      for (gint64 p = 0; p < HW; p++)
        raw[p] = seg[p];
    }
  else if (opt.method == PL_SUPERPIXELS_QUICKSHIFT)
    {
      if (!(opt.kernel_size > 0.0 && opt.kernel_size <= 100.0)
          || !(opt.max_dist > 0.0 && opt.max_dist <= 1000.0)
          || !(opt.ratio >= 0.0 && isfinite (opt.ratio)))
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "Quickshift needs kernel size in (0, 100] (got %g), max distance in "
                       "(0, 1000] (got %g) and ratio ≥ 0 (got %g)", opt.kernel_size,
                       opt.max_dist, opt.ratio);
          return NULL;
        }
      /* VLFeat's quickshift image is column-major [height][width][channels] (MATLAB
       * order); handing it our row-major planes as a W-high, H-wide image makes its
       * linear indices ours. A noise below 1/2550 (fixed seed), as in vl_quickseg, breaks
       * the density ties of flat regions. */
      g_autofree vl_qs_type *feat = g_new (vl_qs_type, HW * C);
      GRand *rng = g_rand_new_with_seed (0);
      for (gint64 i = 0; i < HW * C; i++)
        feat[i] = opt.ratio * (image->data[i] + g_rand_double (rng) / 2550.0);
      g_rand_free (rng);
      VlQS *qs = vl_quickshift_new (feat, W, H, C);
      vl_quickshift_set_kernel_size (qs, opt.kernel_size);
      vl_quickshift_set_max_dist (qs, opt.max_dist);
      vl_quickshift_process (qs);
      const int *parents = vl_quickshift_get_parents (qs);
      for (gint64 p = 0; p < HW; p++)
        {
          gint64 r = p;
          for (gint64 guard = 0; parents[r] != r && guard < HW; guard++)
            r = parents[r];
          raw[p] = r;
        }
      vl_quickshift_delete (qs);
    }
  else
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "Unknown superpixel method %d",
                   opt.method);
      return NULL;
    }
  return segmentation_from_labels (raw, H, W);
#else
  g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
               "Superpixels need VLFeat (libvlfeat-dev); this PruneLens was built without "
               "it — use a grid segmentation instead");
  return NULL;
#endif
}

/* ------------------------------------------------------------------ weighted ridge */

gboolean
pl_weighted_ridge (const double *X, const double *y, const double *w, gint n, gint p,
                   double alpha, double *beta_out, double *intercept_out, double *r2_out,
                   GError **error)
{
  g_return_val_if_fail (X != NULL && y != NULL && w != NULL && beta_out != NULL, FALSE);
  if (n < 1 || p < 0 || p > 20000 || !(alpha >= 0.0) || !isfinite (alpha))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Ridge regression needs at least one sample, 0–20000 features and "
                   "α ≥ 0 (got %d samples, %d features, α = %g)", n, p, alpha);
      return FALSE;
    }
  double sw = 0;
  for (gint i = 0; i < n; i++)
    {
      if (!(w[i] >= 0.0) || !isfinite (w[i]) || !isfinite (y[i]))
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "Ridge regression sample %d has weight %g and target %g (weights "
                       "must be finite and ≥ 0, targets finite)", i, w[i], y[i]);
          return FALSE;
        }
      sw += w[i];
    }
  if (!(sw > 0))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Ridge regression: all sample weights are zero");
      return FALSE;
    }
  g_autofree double *xm = g_new0 (double, p + 1);
  double ym = 0;
  for (gint i = 0; i < n; i++)
    {
      for (gint j = 0; j < p; j++)
        xm[j] += w[i] * X[(gsize) i * p + j];
      ym += w[i] * y[i];
    }
  for (gint j = 0; j < p; j++)
    xm[j] /= sw;
  ym /= sw;

  /* Normal equations A β = b, A = Xcᵀ W Xc + α I, b = Xcᵀ W yc; Cholesky A = L Lᵀ. */
  g_autofree double *A = g_new0 (double, (gsize) p * p + 1);
  g_autofree double *b = g_new0 (double, p + 1);
  g_autofree double *xc = g_new (double, p + 1);
  for (gint i = 0; i < n; i++)
    {
      if (w[i] == 0)
        continue;
      for (gint j = 0; j < p; j++)
        xc[j] = X[(gsize) i * p + j] - xm[j];
      double yc = y[i] - ym;
      for (gint j = 0; j < p; j++)
        {
          double wx = w[i] * xc[j];
          b[j] += wx * yc;
          for (gint k = 0; k <= j; k++)
            A[(gsize) j * p + k] += wx * xc[k];
        }
    }
  double scale = 0;
  for (gint j = 0; j < p; j++)
    {
      A[(gsize) j * p + j] += alpha;
      scale = fmax (scale, fabs (A[(gsize) j * p + j]));
    }
  for (gint j = 0; j < p; j++)
    {
      for (gint k = 0; k <= j; k++)
        {
          double s = A[(gsize) j * p + k];
          for (gint m = 0; m < k; m++)
            s -= A[(gsize) j * p + m] * A[(gsize) k * p + m];
          if (k == j)
            {
              if (!(s > 1e-12 * fmax (scale, 1e-300)))
                {
                  g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                               "Ridge regression is singular at feature %d (a feature that "
                               "never varies among the weighted samples?); use α > 0", j);
                  return FALSE;
                }
              A[(gsize) j * p + j] = sqrt (s);
            }
          else
            A[(gsize) j * p + k] = s / A[(gsize) k * p + k];
        }
    }
  /* Forward then backward substitution. */
  for (gint j = 0; j < p; j++)
    {
      double s = b[j];
      for (gint k = 0; k < j; k++)
        s -= A[(gsize) j * p + k] * b[k];
      b[j] = s / A[(gsize) j * p + j];
    }
  for (gint j = p - 1; j >= 0; j--)
    {
      double s = b[j];
      for (gint k = j + 1; k < p; k++)
        s -= A[(gsize) k * p + j] * b[k];
      b[j] = s / A[(gsize) j * p + j];
    }
  double intercept = ym;
  for (gint j = 0; j < p; j++)
    {
      beta_out[j] = b[j];
      intercept -= b[j] * xm[j];
    }
  if (intercept_out)
    *intercept_out = intercept;
  if (r2_out)
    {
      double ss_res = 0, ss_tot = 0;
      for (gint i = 0; i < n; i++)
        {
          double pred = intercept;
          for (gint j = 0; j < p; j++)
            pred += b[j] * X[(gsize) i * p + j];
          ss_res += w[i] * (y[i] - pred) * (y[i] - pred);
          ss_tot += w[i] * (y[i] - ym) * (y[i] - ym);
        }
      *r2_out = ss_tot > 0 ? 1.0 - ss_res / ss_tot : NAN;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ LIME */

void
pl_lime_options_init (PlLimeOptions *options)
{
  g_return_if_fail (options != NULL);
  options->n_samples = 1000;
  options->kernel_width = 0.0;
  options->ridge_alpha = 1.0;
  options->fill = PL_LIME_FILL_MEAN;
  options->fill_value = 0.0f;
  options->sample_around_instance = FALSE;
  options->seed = 1;
  options->batch = 64;
}

static gsl_rng *
seeded_rng (guint64 seed)
{
  gsl_rng *rng = gsl_rng_alloc (gsl_rng_mt19937);
  gsl_rng_set (rng, (unsigned long) (seed ^ (seed >> 32)));
  return rng;
}

static gboolean
check_lime_options (const PlLimeOptions *opt, GError **error)
{
  if (opt->n_samples < 2 || opt->n_samples > 1000000)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "LIME needs 2–1000000 samples; got %d", opt->n_samples);
      return FALSE;
    }
  if (!isfinite (opt->kernel_width) || !(opt->ridge_alpha >= 0.0)
      || !isfinite (opt->ridge_alpha) || !isfinite (opt->fill_value))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "LIME kernel width, ridge α (≥ 0) and fill value must be finite numbers");
      return FALSE;
    }
  return TRUE;
}

/* Evaluate f_t on n perturbed inputs made by make(row index, destination) in batches. */
typedef void (*MakeRow) (gint64 r, float *dst, gpointer user_data);

static gboolean
evaluate_rows (PlExecutor *executor, const PlTensor *like, gint target, gint64 n, gint batch,
               MakeRow make, gpointer user_data, PlHeadBlend *blend, const guint8 *z, gint M,
               double *values, const PlProgress *progress, GError **error)
{
  gint64 D = like->numel;
  for (gint64 start = 0; start < n; start += batch)
    {
      if (pl_progress_cancelled (progress, error))
        return FALSE;
      gint64 cnt = MIN ((gint64) batch, n - start);
      g_autoptr (PlTensor) b = pl_attr_batch_new (like, cnt, error);
      if (b == NULL)
        return FALSE;
      for (gint64 r = 0; r < cnt; r++)
        make (start + r, b->data + r * D, user_data);
      if (blend != NULL)
        {
          if (!pl_head_blend_logits (blend, b, z + start * M, target, values + start, error))
            return FALSE;
        }
      else if (!pl_attr_logits (executor, b, target, values + start, error))
        return FALSE;
      pl_progress_report (progress, (double) (start + cnt) / n, NULL);
    }
  return TRUE;
}

typedef struct {
  const PlTensor *image;
  const PlSegmentation *seg;
  const guint8 *z;       /* [n, M] */
  const float *fill;     /* [M, C] */
  gint M;
} ImageRows;

static void
make_image_row (gint64 r, float *dst, gpointer user_data)
{
  const ImageRows *ir = user_data;
  gint64 C = ir->image->shape[1], HW = ir->image->shape[2] * ir->image->shape[3];
  const guint8 *z = ir->z + r * ir->M;
  memcpy (dst, ir->image->data, sizeof (float) * (gsize) (C * HW));
  for (gint64 p = 0; p < HW; p++)
    {
      gint s = ir->seg->labels[p];
      if (!z[s])
        for (gint64 c = 0; c < C; c++)
          dst[c * HW + p] = ir->fill[s * C + c];
    }
}

PlAttribution *
pl_attribution_lime_image (PlExecutor *executor, const PlTensor *image, gint target,
                           const PlSegmentation *segmentation, const char *segmentation_name,
                           const PlLimeOptions *options, const PlProgress *progress,
                           GError **error)
{
  g_return_val_if_fail (executor != NULL, NULL);
  g_return_val_if_fail (image != NULL, NULL);
  g_return_val_if_fail (segmentation != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  PlLimeOptions opt;
  pl_lime_options_init (&opt);
  if (options)
    opt = *options;
  if (!check_lime_options (&opt, error))
    return NULL;
  if (image->ndim != 4 || image->shape[0] != 1 || image->shape[2] != segmentation->height
      || image->shape[3] != segmentation->width)
    {
      g_autofree char *shape = pl_tensor_shape_string (image->ndim, image->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "LIME needs an image [1, C, %d, %d] matching the segmentation; got %s",
                   segmentation->height, segmentation->width, shape);
      return NULL;
    }
  gint M = segmentation->n_segments;
  gint64 C = image->shape[1], HW = image->shape[2] * image->shape[3];
  if (M < 1 || M > 10000)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "LIME needs 1–10000 segments; the segmentation has %d", M);
      return NULL;
    }
  for (gint64 p = 0; p < HW; p++)
    if (segmentation->labels[p] < 0 || segmentation->labels[p] >= M)
      {
        g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                     "Segment label %d at pixel %" G_GINT64_FORMAT " is outside [0, %d)",
                     segmentation->labels[p], p, M);
        return NULL;
      }
  double fx;
  if (!pl_attr_resolve_target (executor, image, &target, &fx, error))
    return NULL;

  /* Fill colours per segment. */
  g_autofree float *fill = g_new0 (float, (gsize) M * C);
  if (opt.fill == PL_LIME_FILL_MEAN)
    {
      g_autofree double *sum = g_new0 (double, (gsize) M * C);
      g_autofree gint64 *count = g_new0 (gint64, M);
      for (gint64 p = 0; p < HW; p++)
        {
          gint s = segmentation->labels[p];
          count[s]++;
          for (gint64 c = 0; c < C; c++)
            sum[s * C + c] += image->data[c * HW + p];
        }
      for (gint s = 0; s < M; s++)
        for (gint64 c = 0; c < C; c++)
          fill[s * C + c] = count[s] > 0 ? (float) (sum[s * C + c] / count[s]) : 0.0f;
    }
  else
    for (gint64 i = 0; i < (gint64) M * C; i++)
      fill[i] = opt.fill_value;

  gint64 n = opt.n_samples;
  g_autoptr (gsl_rng) rng = seeded_rng (opt.seed);
  g_autofree guint8 *z = g_new (guint8, (gsize) n * M);
  memset (z, 1, M);
  for (gint64 i = M; i < n * M; i++)
    z[i] = (guint8) gsl_rng_uniform_int (rng, 2);

  g_autofree double *values = g_new (double, n);
  ImageRows ir = { image, segmentation, z, fill, M };
  gint batch = opt.batch > 0 ? opt.batch : 64;
  g_autoptr (PlTensor) fill_image = pl_tensor_dup (image);
  for (gint64 p = 0; p < HW; p++)
    for (gint64 c = 0; c < C; c++)
      fill_image->data[c * HW + p] = fill[segmentation->labels[p] * C + c];
  GError *blend_error = NULL;
  g_autoptr (PlHeadBlend) blend = pl_head_blend_new (executor, image, fill_image,
                                                     segmentation->labels, M, &blend_error);
  if (blend_error != NULL)
    {
      g_propagate_error (error, blend_error);
      return NULL;
    }
  if (!evaluate_rows (executor, image, target, n, batch, make_image_row, &ir, blend, z, M,
                      values, progress, error))
    return NULL;
  if (blend != NULL)
    pl_fast_note ();

  double width = opt.kernel_width > 0 ? opt.kernel_width : 0.25;
  g_autofree double *X = g_new (double, (gsize) n * M);
  g_autofree double *w = g_new (double, n);
  for (gint64 r = 0; r < n; r++)
    {
      gint on = 0;
      for (gint j = 0; j < M; j++)
        {
          X[r * M + j] = z[r * M + j];
          on += z[r * M + j];
        }
      double d = on > 0 ? 1.0 - sqrt ((double) on / M) : 1.0;   /* cosine distance to 1 */
      w[r] = sqrt (exp (-d * d / (width * width)));
    }
  g_autoptr (PlTensor) coef = pl_tensor_new_1d (M);
  g_autofree double *beta = g_new (double, M);
  double intercept, r2;
  if (!pl_weighted_ridge (X, values, w, (gint) n, M, opt.ridge_alpha, beta, &intercept, &r2,
                          error))
    return NULL;
  for (gint j = 0; j < M; j++)
    coef->data[j] = (float) beta[j];

  g_autoptr (PlAttribution) a = pl_attr_new ("lime", target, opt.seed);
  a->attribution = g_steal_pointer (&coef);
  a->fx = fx;
  a->intercept = intercept;
  a->r2 = r2;
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "target=%d samples=%d segments=%d", target, opt.n_samples, M);
  if (segmentation_name)
    g_string_append_printf (s, " %s", segmentation_name);
  g_string_append (s, " distance=cosine");
  pl_attr_param_double (s, "kernel-width", width);
  pl_attr_param_double (s, "ridge-alpha", opt.ridge_alpha);
  if (opt.fill == PL_LIME_FILL_MEAN)
    g_string_append (s, " fill=mean");
  else
    pl_attr_param_double (s, "fill", opt.fill_value);
  g_string_append_printf (s, " seed=%" G_GUINT64_FORMAT " batch=%d", opt.seed, batch);
  pl_attr_param_double (s, "r2", r2);
  a->parameters = g_string_free (s, FALSE);
  return g_steal_pointer (&a);
}

typedef struct {
  const float *samples;  /* [n, F] */
  gint64 F;
} TableRows;

static void
make_table_row (gint64 r, float *dst, gpointer user_data)
{
  const TableRows *tr = user_data;
  memcpy (dst, tr->samples + r * tr->F, sizeof (float) * (gsize) tr->F);
}

PlAttribution *
pl_attribution_lime_table (PlExecutor *executor, const PlTensor *row, gint target,
                           const PlTensor *train, const PlLimeOptions *options,
                           const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (executor != NULL, NULL);
  g_return_val_if_fail (row != NULL, NULL);
  g_return_val_if_fail (train != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  PlLimeOptions opt;
  pl_lime_options_init (&opt);
  if (options)
    opt = *options;
  if (!check_lime_options (&opt, error))
    return NULL;
  if (row->ndim != 2 || row->shape[0] != 1 || row->shape[1] < 1 || row->shape[1] > 10000)
    {
      g_autofree char *shape = pl_tensor_shape_string (row->ndim, row->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Table LIME needs a row of shape [1, F] with 1–10000 features; got %s",
                   shape);
      return NULL;
    }
  gint64 F = row->shape[1];
  if (train->ndim != 2 || train->shape[1] != F || train->shape[0] < 1)
    {
      g_autofree char *shape = pl_tensor_shape_string (train->ndim, train->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The training data should be [N, %" G_GINT64_FORMAT "] (N ≥ 1); got %s",
                   F, shape);
      return NULL;
    }
  for (gint64 i = 0; i < train->numel; i++)
    if (!isfinite (train->data[i]))
      {
        g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                     "The training data has a non-finite value in row %" G_GINT64_FORMAT
                     ", column %" G_GINT64_FORMAT, i / F, i % F);
        return NULL;
      }
  double fx;
  if (!pl_attr_resolve_target (executor, row, &target, &fx, error))
    return NULL;

  /* Training statistics: mean and population standard deviation (0 → 1, as LIME). */
  gint64 N = train->shape[0];
  g_autofree double *mu = g_new0 (double, F), *sd = g_new0 (double, F);
  for (gint64 i = 0; i < N; i++)
    for (gint64 j = 0; j < F; j++)
      mu[j] += train->data[i * F + j];
  for (gint64 j = 0; j < F; j++)
    mu[j] /= N;
  for (gint64 i = 0; i < N; i++)
    for (gint64 j = 0; j < F; j++)
      {
        double d = train->data[i * F + j] - mu[j];
        sd[j] += d * d;
      }
  for (gint64 j = 0; j < F; j++)
    {
      sd[j] = sqrt (sd[j] / N);
      if (!(sd[j] > 0))
        sd[j] = 1.0;
    }

  gint64 n = opt.n_samples;
  g_autoptr (gsl_rng) rng = seeded_rng (opt.seed);
  g_autofree float *samples = g_new (float, (gsize) (n * F));
  g_autofree double *X = g_new (double, (gsize) (n * F));
  memcpy (samples, row->data, sizeof (float) * (gsize) F);
  for (gint64 r = 1; r < n; r++)
    for (gint64 j = 0; j < F; j++)
      {
        double centre = opt.sample_around_instance ? row->data[j] : mu[j];
        samples[r * F + j] = (float) (centre + sd[j] * gsl_ran_gaussian (rng, 1.0));
      }
  for (gint64 i = 0; i < n * F; i++)
    X[i] = (samples[i] - mu[i % F]) / sd[i % F];

  g_autofree double *values = g_new (double, n);
  TableRows tr = { samples, F };
  gint batch = opt.batch > 0 ? opt.batch : 64;
  if (!evaluate_rows (executor, row, target, n, batch, make_table_row, &tr, NULL, NULL, 0,
                      values, progress, error))
    return NULL;

  double width = opt.kernel_width > 0 ? opt.kernel_width : 0.75 * sqrt ((double) F);
  g_autofree double *w = g_new (double, n);
  for (gint64 r = 0; r < n; r++)
    {
      double d2 = 0;
      for (gint64 j = 0; j < F; j++)
        {
          double d = X[r * F + j] - X[j];
          d2 += d * d;
        }
      w[r] = sqrt (exp (-d2 / (width * width)));
    }
  g_autofree double *beta = g_new (double, F);
  double intercept, r2;
  if (!pl_weighted_ridge (X, values, w, (gint) n, (gint) F, opt.ridge_alpha, beta, &intercept,
                          &r2, error))
    return NULL;
  g_autoptr (PlTensor) coef = pl_tensor_new_1d (F);
  for (gint64 j = 0; j < F; j++)
    coef->data[j] = (float) beta[j];

  g_autoptr (PlAttribution) a = pl_attr_new ("lime", target, opt.seed);
  a->attribution = g_steal_pointer (&coef);
  a->fx = fx;
  a->intercept = intercept;
  a->r2 = r2;
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "target=%d samples=%d features=%" G_GINT64_FORMAT
                          " sampling=%s training-rows=%" G_GINT64_FORMAT
                          " features-standardised=yes distance=euclidean",
                          target, opt.n_samples, F,
                          opt.sample_around_instance ? "around-instance" : "training-mean", N);
  pl_attr_param_double (s, "kernel-width", width);
  pl_attr_param_double (s, "ridge-alpha", opt.ridge_alpha);
  g_string_append_printf (s, " seed=%" G_GUINT64_FORMAT " batch=%d", opt.seed, batch);
  pl_attr_param_double (s, "r2", r2);
  a->parameters = g_string_free (s, FALSE);
  return g_steal_pointer (&a);
}
