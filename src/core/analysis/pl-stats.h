/* pl-stats.h — attribution measures beyond pl-metrics.h and the statistics used to
 * aggregate them over a sample of inputs.
 *
 * Every function here is pure (no global state); randomness comes from an explicit seed
 * through splitmix64 (Steele, Lea & Flood, OOPSLA 2014), so results are reproducible on
 * every platform. Undefined results are NaN, never an abort.
 */
#pragma once

#include <glib.h>
#include "analysis/pl-metrics.h"

G_BEGIN_DECLS

/* ---- per-input measures --------------------------------------------------------- */

/* Kendall's τ-b (Kendall 1945) of two vectors of n values: (n_c − n_d) /
 * √((n₀ − n₁)(n₀ − n₂)) with n₀ = n(n−1)/2 and n₁, n₂ the pairs tied in a, in b.
 * O(n²) pairs (784 values: 0.3 M pairs). NaN if n < 2, either vector is constant or holds
 * a non-finite value. */
double pl_kendall_tau (const double *a, const double *b, gint64 n);

/* SSIM (Wang, Bovik, Sheikh & Simoncelli, "Image Quality Assessment: From Error
 * Visibility to Structural Similarity", IEEE TIP 2004), as in the authors' ssim.m:
 * local statistics under a normalised circular Gaussian window of `window` × `window`
 * taps and standard deviation sigma, evaluated only where the window fits inside the
 * image ("valid"), SSIM = mean over those positions of
 *   (2 μa μb + C1)(2 σab + C2) / ((μa² + μb² + C1)(σa² + σb² + C2)),
 * C1 = (K1 L)², C2 = (K2 L)², L = data_range. */
typedef struct {
  gint window;        /* default 11 (reduced to min(H, W), made odd, for smaller maps) */
  double sigma;       /* default 1.5 pixels */
  double k1;          /* default 0.01 */
  double k2;          /* default 0.03 */
  double data_range;  /* L; default 1 (≤ 0: max − min over both maps, 1 if that is 0) */
} PlSsimOptions;

void pl_ssim_options_init (PlSsimOptions *options);
/* a, b: [height, width] row-major. options NULL: defaults. NaN on non-finite input or an
 * empty image. Identical maps give exactly 1. */
double pl_ssim (const float *a, const float *b, gint height, gint width,
                const PlSsimOptions *options);

/* Complexity of an attribution (Bhatt, Weller & Moura, IJCAI 2020; Chalasani et al.,
 * ICML 2020): p_i = |φ_i| / Σ|φ|.
 * Entropy H = −Σ p_i ln p_i in nats (0 for one non-zero value, ln n when uniform).
 * Gini coefficient (Hurley & Rickard, IEEE Trans. Inf. Theory 2009) of the sorted p:
 * G = Σ_i (2i − n − 1) p_(i) / n, i = 1..n ascending (0 when uniform, (n − 1)/n for one
 * non-zero value). Both NaN when Σ|φ| = 0 or a value is not finite. */
double pl_attribution_entropy (const float *phi, gint64 n);
double pl_attribution_gini (const float *phi, gint64 n);

/* Everything that says how far an attribution moved, for two [height, width] maps
 * (or plain vectors: height = 1). */
typedef struct {
  PlSimilarity basic;     /* pl_attribution_similarity (signed values, top-k of |φ|) */
  double spearman_abs;    /* Spearman of |a| and |b| */
  double kendall;         /* Kendall τ-b of a and b */
  double kendall_abs;     /* Kendall τ-b of |a| and |b| */
  /* SSIM of the maps each divided by its own max |φ| (so each lies in [−1, 1]; in [0, 1]
   * for non-negative maps such as saliency), with the default window and constants and
   * data range L = 1 if both maps are non-negative, else 2. NaN if a map is all zero. */
  double ssim;
} PlSimilarityFull;

void pl_attribution_similarity_full (const float *a, const float *b, gint height, gint width,
                                     double topk_fraction, PlSimilarityFull *out);

/* Area under a curve by the trapezoid rule: Σ (x[i+1] − x[i]) (y[i] + y[i+1]) / 2. n < 2: 0. */
double pl_auc_trapezoid (const double *x, const double *y, gint n);

/* ---- aggregation and tests ---------------------------------------------------- */

/* Summary of the finite values among values[n] (NaN are skipped and not counted). */
typedef struct {
  gint64 n;          /* finite values used */
  double mean;
  double sd;         /* sample standard deviation (n − 1); NaN if n < 2 */
  double median;
  double ci_low;     /* percentile bootstrap CI of the mean (Efron & Tibshirani 1993, §13.3) */
  double ci_high;
} PlSummary;

/* n_bootstrap resamples (≤ 0: 2000) with replacement drawn with splitmix64 from seed; the
 * interval is the (1 − level)/2 and (1 + level)/2 quantiles of the resampled means (GSL
 * quantile interpolation); level in (0, 1), default 0.95 if out of range. n = 0: all NaN. */
void pl_summarise (const double *values, gint64 n, gint n_bootstrap, double level,
                   guint64 seed, PlSummary *out);

/* Paired t-test (Student 1908) of d_i = y_i − x_i over the pairs where both are finite:
 * t = mean(d) / (sd(d) / √n), df = n − 1, two-sided p = 2 min(P(T ≤ t), P(T ≥ t)) with
 * gsl_cdf_tdist_P / _Q. Effect size Cohen's d_z = mean(d) / sd(d) (Cohen 1988; Lakens
 * 2013). t, p and d_z are NaN if n < 2 or sd(d) = 0. */
typedef struct {
  gint64 n;
  double mean_diff;
  double sd_diff;
  double t;
  double df;
  double p_value;
  double cohen_dz;
} PlPairedTTest;

void pl_paired_t_test (const double *x, const double *y, gint64 n, PlPairedTTest *out);

/* Wilcoxon signed-rank test (Wilcoxon 1945) of d_i = y_i − x_i over the finite pairs.
 * Zero differences are dropped (Wilcoxon's method; R's wilcox.test, SciPy
 * zero_method="wilcox"); |d| is ranked with average ranks for ties; W+ = Σ ranks of
 * d > 0. With n' ≤ 25 non-zero differences and no ties among them the exact null
 * distribution of the n' ranks is used (p = min(1, 2 min(P(W ≤ W+), P(W ≥ W+))), as R's
 * wilcox.test for data without zeros; R falls back to the normal approximation when
 * zeros were dropped, this function stays exact on the n' remaining ranks); otherwise the
 * normal approximation with tie correction and continuity correction
 * z = (W+ − n'(n'+1)/4 − ½ sign) / √(n'(n'+1)(2n'+1)/24 − Σ(t³ − t)/48) (R's default).
 * Effect size: matched-pairs rank-biserial correlation r = (W+ − W−) / (W+ + W−)
 * (Kerby 2014). p and r are NaN if there is no non-zero difference. */
typedef struct {
  gint64 n;          /* finite pairs */
  gint64 n_zero;     /* of which zero differences (dropped) */
  double w_plus;
  double w_minus;
  double z;          /* NaN when exact */
  double p_value;
  double rank_biserial;
  gboolean exact;
} PlWilcoxon;

void pl_wilcoxon_signed_rank (const double *x, const double *y, gint64 n, PlWilcoxon *out);

G_END_DECLS
