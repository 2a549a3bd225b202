/* pl-stats.c — Kendall τ-b, SSIM, entropy and Gini of attributions, trapezoid AUC,
 * bootstrap summaries, paired t-test and Wilcoxon signed-rank test. Sources in pl-stats.h.
 */
#include "analysis/pl-stats.h"
#include "analysis/pl-analysis-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

/* ---- Kendall ------------------------------------------------------------------- */

static gboolean
all_finite (const double *v, gint64 n)
{
  for (gint64 i = 0; i < n; i++)
    if (!isfinite (v[i]))
      return FALSE;
  return TRUE;
}

double
pl_kendall_tau (const double *a, const double *b, gint64 n)
{
  if (n < 2 || a == NULL || b == NULL || !all_finite (a, n) || !all_finite (b, n))
    return NAN;
  double s = 0.0, ties_a = 0.0, ties_b = 0.0;
  for (gint64 i = 0; i < n; i++)
    {
      double ai = a[i], bi = b[i];
      gint64 sum = 0, ta = 0, tb = 0;
      for (gint64 j = i + 1; j < n; j++)
        {
          int da = (ai > a[j]) - (ai < a[j]);
          int db = (bi > b[j]) - (bi < b[j]);
          sum += da * db;
          ta += da == 0;
          tb += db == 0;
        }
      s += (double) sum;
      ties_a += (double) ta;
      ties_b += (double) tb;
    }
  double n0 = (double) n * (double) (n - 1) / 2.0;
  double den = (n0 - ties_a) * (n0 - ties_b);
  if (!(den > 0.0))
    return NAN;
  return CLAMP (s / sqrt (den), -1.0, 1.0);
}

/* ---- SSIM ---------------------------------------------------------------------- */

void
pl_ssim_options_init (PlSsimOptions *options)
{
  g_return_if_fail (options != NULL);
  options->window = 11;
  options->sigma = 1.5;
  options->k1 = 0.01;
  options->k2 = 0.03;
  options->data_range = 1.0;
}

double
pl_ssim (const float *a, const float *b, gint height, gint width,
         const PlSsimOptions *options)
{
  PlSsimOptions defaults;
  pl_ssim_options_init (&defaults);
  if (options == NULL)
    options = &defaults;
  if (a == NULL || b == NULL || height <= 0 || width <= 0)
    return NAN;
  gint64 n = (gint64) height * width;
  double lo = INFINITY, hi = -INFINITY;
  for (gint64 i = 0; i < n; i++)
    {
      if (!isfinite (a[i]) || !isfinite (b[i]))
        return NAN;
      lo = MIN (lo, MIN (a[i], b[i]));
      hi = MAX (hi, MAX (a[i], b[i]));
    }
  double L = options->data_range;
  if (!(L > 0.0) || !isfinite (L))
    L = hi > lo ? hi - lo : 1.0;
  gint win = options->window > 0 ? options->window : 11;
  win = MIN (win, MIN (height, width));
  if (win % 2 == 0)
    win--;
  double sigma = options->sigma > 0.0 ? options->sigma : 1.5;

  /* Normalised circular Gaussian window (fspecial('gaussian', win, sigma)). */
  g_autofree double *w = g_new (double, (gsize) win * win);
  double wsum = 0.0;
  gint r = win / 2;
  for (gint y = 0; y < win; y++)
    for (gint x = 0; x < win; x++)
      {
        double dy = y - r, dx = x - r;
        w[y * win + x] = exp (-(dx * dx + dy * dy) / (2.0 * sigma * sigma));
        wsum += w[y * win + x];
      }
  for (gint i = 0; i < win * win; i++)
    w[i] /= wsum;

  double c1 = (options->k1 * L) * (options->k1 * L);
  double c2 = (options->k2 * L) * (options->k2 * L);
  double total = 0.0;
  gint64 count = 0;
  for (gint y0 = 0; y0 + win <= height; y0++)
    for (gint x0 = 0; x0 + win <= width; x0++)
      {
        double ma = 0, mb = 0, saa = 0, sbb = 0, sab = 0;
        for (gint y = 0; y < win; y++)
          for (gint x = 0; x < win; x++)
            {
              double wi = w[y * win + x];
              double va = a[(gint64) (y0 + y) * width + x0 + x];
              double vb = b[(gint64) (y0 + y) * width + x0 + x];
              ma += wi * va;
              mb += wi * vb;
              saa += wi * va * va;
              sbb += wi * vb * vb;
              sab += wi * va * vb;
            }
        double va = saa - ma * ma, vb = sbb - mb * mb, cov = sab - ma * mb;
        double num = (2.0 * ma * mb + c1) * (2.0 * cov + c2);
        double den = (ma * ma + mb * mb + c1) * (va + vb + c2);
        total += num / den;
        count++;
      }
  return count > 0 ? total / (double) count : NAN;
}

/* ---- complexity ---------------------------------------------------------------- */

static double
abs_sum (const float *phi, gint64 n)
{
  double s = 0.0;
  for (gint64 i = 0; i < n; i++)
    {
      if (!isfinite (phi[i]))
        return NAN;
      s += fabs ((double) phi[i]);
    }
  return s;
}

double
pl_attribution_entropy (const float *phi, gint64 n)
{
  if (phi == NULL || n <= 0)
    return NAN;
  double s = abs_sum (phi, n);
  if (!(s > 0.0))
    return NAN;
  double h = 0.0;
  for (gint64 i = 0; i < n; i++)
    {
      double p = fabs ((double) phi[i]) / s;
      if (p > 0.0)
        h -= p * log (p);
    }
  return MAX (h, 0.0);
}

double
pl_attribution_gini (const float *phi, gint64 n)
{
  if (phi == NULL || n <= 0)
    return NAN;
  double s = abs_sum (phi, n);
  if (!(s > 0.0))
    return NAN;
  g_autofree double *p = g_new (double, n);
  for (gint64 i = 0; i < n; i++)
    p[i] = fabs ((double) phi[i]) / s;
  gsl_sort (p, 1, n);
  double g = 0.0;
  for (gint64 i = 0; i < n; i++)
    g += (double) (2 * (i + 1) - n - 1) * p[i];
  return CLAMP (g / (double) n, 0.0, 1.0);
}

/* ---- full similarity ----------------------------------------------------------- */

void
pl_attribution_similarity_full (const float *a, const float *b, gint height, gint width,
                                double topk_fraction, PlSimilarityFull *out)
{
  g_return_if_fail (out != NULL);
  out->spearman_abs = out->kendall = out->kendall_abs = out->ssim = NAN;
  gint64 n = (gint64) MAX (height, 0) * MAX (width, 0);
  pl_attribution_similarity (a, b, n, topk_fraction, &out->basic);
  if (n <= 0 || a == NULL || b == NULL)
    return;

  g_autofree double *da = g_new (double, n);
  g_autofree double *db = g_new (double, n);
  g_autofree float *fa = g_new (float, n);
  g_autofree float *fb = g_new (float, n);
  double max_a = 0.0, max_b = 0.0;
  gboolean nonneg = TRUE, finite = TRUE;
  for (gint64 i = 0; i < n; i++)
    {
      if (!isfinite (a[i]) || !isfinite (b[i]))
        finite = FALSE;
      da[i] = a[i];
      db[i] = b[i];
      max_a = MAX (max_a, fabs (da[i]));
      max_b = MAX (max_b, fabs (db[i]));
      if (a[i] < 0 || b[i] < 0)
        nonneg = FALSE;
    }
  out->kendall = pl_kendall_tau (da, db, n);
  if (!finite)
    return;
  if (max_a > 0.0 && max_b > 0.0)
    {
      for (gint64 i = 0; i < n; i++)
        {
          fa[i] = (float) (da[i] / max_a);
          fb[i] = (float) (db[i] / max_b);
        }
      PlSsimOptions so;
      pl_ssim_options_init (&so);
      so.data_range = nonneg ? 1.0 : 2.0;
      out->ssim = pl_ssim (fa, fb, height, width, &so);
    }
  for (gint64 i = 0; i < n; i++)
    {
      da[i] = fabs (da[i]);
      db[i] = fabs (db[i]);
      fa[i] = (float) da[i];
      fb[i] = (float) db[i];
    }
  out->kendall_abs = pl_kendall_tau (da, db, n);
  PlSimilarity abs_sim;
  pl_attribution_similarity (fa, fb, n, NAN, &abs_sim);
  out->spearman_abs = abs_sim.spearman;
}

double
pl_auc_trapezoid (const double *x, const double *y, gint n)
{
  if (x == NULL || y == NULL || n < 2)
    return 0.0;
  double s = 0.0;
  for (gint i = 0; i + 1 < n; i++)
    s += (x[i + 1] - x[i]) * (y[i] + y[i + 1]) / 2.0;
  return s;
}

/* ---- summaries ----------------------------------------------------------------- */

void
pl_summarise (const double *values, gint64 n, gint n_bootstrap, double level, guint64 seed,
              PlSummary *out)
{
  g_return_if_fail (out != NULL);
  out->n = 0;
  out->mean = out->sd = out->median = out->ci_low = out->ci_high = NAN;
  if (values == NULL || n <= 0)
    return;
  g_autofree double *v = g_new (double, n);
  gint64 m = 0;
  for (gint64 i = 0; i < n; i++)
    if (isfinite (values[i]))
      v[m++] = values[i];
  out->n = m;
  if (m == 0)
    return;
  out->mean = gsl_stats_mean (v, 1, m);
  if (m >= 2)
    out->sd = gsl_stats_sd_m (v, 1, m, out->mean);
  gsl_sort (v, 1, m);
  out->median = gsl_stats_median_from_sorted_data (v, 1, m);

  if (!(level > 0.0 && level < 1.0))
    level = 0.95;
  gint B = n_bootstrap > 0 ? n_bootstrap : 2000;
  g_autofree double *means = g_new (double, B);
  guint64 state = seed;
  for (gint b = 0; b < B; b++)
    {
      double s = 0.0;
      for (gint64 i = 0; i < m; i++)
        s += v[pl_analysis_below (&state, (guint64) m)];
      means[b] = s / (double) m;
    }
  gsl_sort (means, 1, B);
  out->ci_low = gsl_stats_quantile_from_sorted_data (means, 1, B, (1.0 - level) / 2.0);
  out->ci_high = gsl_stats_quantile_from_sorted_data (means, 1, B, (1.0 + level) / 2.0);
}

/* Finite differences y − x; returns their count. */
static gint64
paired_differences (const double *x, const double *y, gint64 n, double *d)
{
  gint64 m = 0;
  for (gint64 i = 0; i < n; i++)
    if (isfinite (x[i]) && isfinite (y[i]))
      d[m++] = y[i] - x[i];
  return m;
}

void
pl_paired_t_test (const double *x, const double *y, gint64 n, PlPairedTTest *out)
{
  g_return_if_fail (out != NULL);
  out->n = 0;
  out->mean_diff = out->sd_diff = out->t = out->df = out->p_value = out->cohen_dz = NAN;
  if (x == NULL || y == NULL || n <= 0)
    return;
  g_autofree double *d = g_new (double, n);
  gint64 m = paired_differences (x, y, n, d);
  out->n = m;
  if (m == 0)
    return;
  out->mean_diff = gsl_stats_mean (d, 1, m);
  if (m < 2)
    return;
  out->sd_diff = gsl_stats_sd_m (d, 1, m, out->mean_diff);
  out->df = (double) (m - 1);
  if (!(out->sd_diff > 0.0))
    return;
  out->t = out->mean_diff / (out->sd_diff / sqrt ((double) m));
  out->cohen_dz = out->mean_diff / out->sd_diff;
  double lower = gsl_cdf_tdist_P (out->t, out->df);
  double upper = gsl_cdf_tdist_Q (out->t, out->df);
  out->p_value = MIN (1.0, 2.0 * MIN (lower, upper));
}

typedef struct {
  double key;
  gint64 index;
} AbsItem;

static int
abs_item_compare (const void *pa, const void *pb)
{
  const AbsItem *a = pa, *b = pb;
  if (a->key < b->key)
    return -1;
  if (a->key > b->key)
    return 1;
  return (a->index > b->index) - (a->index < b->index);
}

void
pl_wilcoxon_signed_rank (const double *x, const double *y, gint64 n, PlWilcoxon *out)
{
  g_return_if_fail (out != NULL);
  out->n = out->n_zero = 0;
  out->w_plus = out->w_minus = out->z = out->p_value = out->rank_biserial = NAN;
  out->exact = FALSE;
  if (x == NULL || y == NULL || n <= 0)
    return;
  g_autofree double *d = g_new (double, n);
  gint64 m = paired_differences (x, y, n, d);
  out->n = m;
  g_autofree AbsItem *items = g_new (AbsItem, MAX (m, 1));
  gint64 k = 0;
  for (gint64 i = 0; i < m; i++)
    {
      if (d[i] == 0.0)
        {
          out->n_zero++;
          continue;
        }
      items[k].key = fabs (d[i]);
      items[k].index = i;
      k++;
    }
  out->w_plus = out->w_minus = 0.0;
  if (k == 0)
    return;
  qsort (items, k, sizeof (AbsItem), abs_item_compare);

  /* Average ranks over ties; Σ(t³ − t) for the variance correction. */
  double tie_term = 0.0;
  gboolean ties = FALSE;
  for (gint64 i = 0; i < k;)
    {
      gint64 j = i;
      while (j + 1 < k && items[j + 1].key == items[i].key)
        j++;
      double rank = (double) (i + j + 2) / 2.0;   /* ranks i+1 .. j+1 */
      double t = (double) (j - i + 1);
      if (t > 1)
        {
          ties = TRUE;
          tie_term += t * t * t - t;
        }
      for (gint64 q = i; q <= j; q++)
        {
          if (d[items[q].index] > 0)
            out->w_plus += rank;
          else
            out->w_minus += rank;
        }
      i = j + 1;
    }
  double nn = (double) k;
  double total = nn * (nn + 1.0) / 2.0;
  out->rank_biserial = (out->w_plus - out->w_minus) / total;

  if (k <= 25 && !ties)
    {
      /* Exact null distribution: counts of subsets of {1..k} by rank sum. */
      gint max_sum = (gint) total;
      g_autofree double *count = g_new0 (double, max_sum + 1);
      count[0] = 1.0;
      for (gint r = 1; r <= k; r++)
        for (gint s = max_sum; s >= r; s--)
          count[s] += count[s - r];
      gint w = (gint) llround (out->w_plus);
      double below = 0.0, above = 0.0, all = ldexp (1.0, (int) k);
      for (gint s = 0; s <= max_sum; s++)
        {
          if (s <= w)
            below += count[s];
          if (s >= w)
            above += count[s];
        }
      out->exact = TRUE;
      out->p_value = MIN (1.0, 2.0 * MIN (below, above) / all);
      return;
    }

  double mean = nn * (nn + 1.0) / 4.0;
  double var = nn * (nn + 1.0) * (2.0 * nn + 1.0) / 24.0 - tie_term / 48.0;
  if (!(var > 0.0))
    return;
  double diff = out->w_plus - mean;
  double correction = diff > 0 ? 0.5 : diff < 0 ? -0.5 : 0.0;
  out->z = (diff - correction) / sqrt (var);
  out->p_value = MIN (1.0, 2.0 * MIN (gsl_cdf_ugaussian_P (out->z),
                                       gsl_cdf_ugaussian_Q (out->z)));
}
