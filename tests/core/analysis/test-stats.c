/* test-stats.c — known answers for pl-stats.h: similarity, SSIM, complexity, summaries,
 * paired t-test and Wilcoxon signed-rank test. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "analysis/pl-stats.h"

/* A signed 28 × 28 map without ties (deterministic). */
static void
make_map (float *m, gint n)
{
  guint32 s = 12345;
  for (gint i = 0; i < n; i++)
    {
      s = s * 1664525u + 1013904223u;
      m[i] = (float) ((double) (s >> 8) / 16777216.0 - 0.5) + 1e-6f * i;
    }
}

START_TEST (test_self_and_negative)
{
  float a[784], neg[784];
  make_map (a, 784);
  for (gint i = 0; i < 784; i++)
    neg[i] = -a[i];
  PlSimilarityFull s;
  pl_attribution_similarity_full (a, a, 28, 28, 0.1, &s);
  ck_assert_double_eq (s.ssim, 1.0);
  ck_assert_double_eq_tol (s.basic.cosine, 1.0, 1e-12);
  ck_assert_double_eq_tol (s.basic.spearman, 1.0, 1e-12);
  ck_assert_double_eq_tol (s.basic.pearson, 1.0, 1e-12);
  ck_assert_double_eq (s.kendall, 1.0);
  ck_assert_double_eq (s.kendall_abs, 1.0);
  ck_assert_double_eq_tol (s.spearman_abs, 1.0, 1e-12);
  ck_assert_double_eq (s.basic.topk_intersection, 1.0);

  /* With its negative: −1 for the signed correlations and cosine; |φ| unchanged. */
  pl_attribution_similarity_full (a, neg, 28, 28, 0.1, &s);
  ck_assert_double_eq_tol (s.basic.cosine, -1.0, 1e-12);
  ck_assert_double_eq_tol (s.basic.spearman, -1.0, 1e-12);
  ck_assert_double_eq_tol (s.basic.pearson, -1.0, 1e-12);
  ck_assert_double_eq (s.kendall, -1.0);
  ck_assert_double_eq_tol (s.spearman_abs, 1.0, 1e-12);
  ck_assert_double_eq (s.kendall_abs, 1.0);
  ck_assert_double_eq (s.basic.topk_intersection, 1.0);
  /* SSIM has no −1 for a negative: its luminance term (2μaμb + C1)/(μa² + μb² + C1) and
   * its contrast-structure term are both ≈ −1 where the local mean is far from 0, and their
   * product is then ≈ +1. It is −1 only where the local means vanish; here it is well
   * below the self-similarity of 1. */
  ck_assert (s.ssim < 0.9);

  /* An all-zero map: SSIM and the rank measures are undefined, not a number. */
  float z[784] = { 0 };
  pl_attribution_similarity_full (a, z, 28, 28, 0.1, &s);
  ck_assert (isnan (s.ssim));
  ck_assert (isnan (s.kendall));
  ck_assert (isnan (s.basic.spearman));
}
END_TEST

START_TEST (test_kendall_hand)
{
  /* b = 3 1 2 5 4 against a = 1..5: concordant pairs 7, discordant 3 -> 0.4. */
  const double a[5] = { 1, 2, 3, 4, 5 }, b[5] = { 3, 1, 2, 5, 4 };
  ck_assert_double_eq_tol (pl_kendall_tau (a, b, 5), 0.4, 1e-15);
  /* Ties (τ-b): a = 1 2 2 3, b = 1 2 3 3. Pairs: (1,2) C, (1,3) C, (1,4) C, (2,3) tied in
   * a, (2,4) C, (3,4) tied in b. S = 4, n0 = 6, n1 = n2 = 1: 4 / √(5 · 5) = 0.8
   * (SciPy kendalltau gives 0.8 too). */
  const double c[4] = { 1, 2, 2, 3 }, d[4] = { 1, 2, 3, 3 };
  ck_assert_double_eq_tol (pl_kendall_tau (c, d, 4), 0.8, 1e-15);
  const double k[3] = { 2, 2, 2 };
  ck_assert (isnan (pl_kendall_tau (a, k, 3)));
  ck_assert (isnan (pl_kendall_tau (a, b, 1)));
}
END_TEST

START_TEST (test_topk_hand)
{
  /* n = 10, fraction 0.2 -> k = 2. top |a| = {0, 1}; top |b| = {2, 1} -> 1/2. */
  const float a[10] = { 0.9f, -0.8f, 0.1f, 0.2f, 0, 0, 0, 0, 0, 0.05f };
  const float b[10] = { 0.1f, -0.7f, 0.95f, 0, 0, 0, 0, 0, 0, 0 };
  PlSimilarityFull s;
  pl_attribution_similarity_full (a, b, 1, 10, 0.2, &s);
  ck_assert_int_eq (s.basic.k, 2);
  ck_assert_double_eq (s.basic.topk_intersection, 0.5);
  /* fraction 0.3 -> k = 3: top |a| = {0, 1, 3}; top |b| = {2, 1, 0} -> 2/3. */
  pl_attribution_similarity_full (a, b, 1, 10, 0.3, &s);
  ck_assert_int_eq (s.basic.k, 3);
  ck_assert_double_eq_tol (s.basic.topk_intersection, 2.0 / 3.0, 1e-15);
}
END_TEST

START_TEST (test_ssim_hand)
{
  /* Constant maps 0.5 and 0.25, L = 1: σ terms are (0 + C2)/(0 + C2) = 1, luminance
   * (2 · 0.5 · 0.25 + C1) / (0.25 + 0.0625 + C1) with C1 = (0.01 · 1)² = 1e-4. */
  float a[121], b[121];
  for (gint i = 0; i < 121; i++)
    {
      a[i] = 0.5f;
      b[i] = 0.25f;
    }
  PlSsimOptions o;
  pl_ssim_options_init (&o);
  ck_assert_int_eq (o.window, 11);
  ck_assert_double_eq (o.sigma, 1.5);
  ck_assert_double_eq (o.k1, 0.01);
  ck_assert_double_eq (o.k2, 0.03);
  ck_assert_double_eq_tol (pl_ssim (a, b, 11, 11, &o), 0.2501 / 0.3126, 1e-12);
  /* L = 2: C1 = 4e-4. */
  o.data_range = 2.0;
  ck_assert_double_eq_tol (pl_ssim (a, b, 11, 11, &o), 0.2504 / 0.3129, 1e-12);

  /* Same means, b = 2 (a − μ) + μ inside one 11 × 11 window: with σb = 2σa and
   * σab = 2σa², SSIM = (2 · 2σa² + C2) / (σa² + 4σa² + C2). Here a alternates 0.4 / 0.6
   * in columns; its Gaussian-weighted mean and variance are computed by the test. */
  double w[121], ws = 0;
  for (gint y = 0; y < 11; y++)
    for (gint x = 0; x < 11; x++)
      {
        w[y * 11 + x] = exp (-((x - 5) * (x - 5) + (y - 5) * (y - 5)) / 4.5);
        ws += w[y * 11 + x];
      }
  double mu = 0, m2 = 0;
  for (gint i = 0; i < 121; i++)
    {
      a[i] = (i % 11) % 2 ? 0.6f : 0.4f;
      mu += w[i] / ws * a[i];
      m2 += w[i] / ws * (double) a[i] * a[i];
    }
  double var = m2 - mu * mu;
  for (gint i = 0; i < 121; i++)
    b[i] = (float) (2.0 * (a[i] - mu) + mu);
  pl_ssim_options_init (&o);
  double c2 = 0.03 * 0.03;
  double expect = (4 * var + c2) / (5 * var + c2);
  ck_assert_double_eq_tol (pl_ssim (a, b, 11, 11, &o), expect, 1e-6);
  ck_assert (expect < 0.81 && expect > 0.79);

  /* Smaller than the window: reduced window; identical maps still give 1. */
  ck_assert_double_eq (pl_ssim (a, a, 5, 5, &o), 1.0);
  a[3] = NAN;
  ck_assert (isnan (pl_ssim (a, b, 11, 11, &o)));
}
END_TEST

START_TEST (test_complexity_hand)
{
  const float uni[4] = { 1, -1, 1, -1 }, one[4] = { 0, 0, -3, 0 };
  ck_assert_double_eq_tol (pl_attribution_entropy (uni, 4), log (4.0), 1e-15);
  ck_assert_double_eq_tol (pl_attribution_gini (uni, 4), 0.0, 1e-15);
  ck_assert_double_eq (pl_attribution_entropy (one, 4), 0.0);
  ck_assert_double_eq_tol (pl_attribution_gini (one, 4), 0.75, 1e-15);
  /* |φ| = 1 1 2: p = 1/4 1/4 1/2; H = −(2 · ¼ ln ¼ + ½ ln ½) = 1.5 ln 2;
   * Gini = ((−2) ¼ + 0 · ¼ + 2 · ½) / 3 = 1/6. */
  const float v[3] = { -1, 2, 1 };
  ck_assert_double_eq_tol (pl_attribution_entropy (v, 3), 1.5 * log (2.0), 1e-15);
  ck_assert_double_eq_tol (pl_attribution_gini (v, 3), 1.0 / 6.0, 1e-15);
  const float zero[3] = { 0, 0, 0 };
  ck_assert (isnan (pl_attribution_entropy (zero, 3)));
  ck_assert (isnan (pl_attribution_gini (zero, 3)));
}
END_TEST

START_TEST (test_auc_hand)
{
  const double x[4] = { 0, 0.5, 0.75, 1 }, y[4] = { 1, 0.5, 0.5, 0 };
  /* 0.5 · 0.75 + 0.25 · 0.5 + 0.25 · 0.25 = 0.5625 */
  ck_assert_double_eq_tol (pl_auc_trapezoid (x, y, 4), 0.5625, 1e-15);
  ck_assert_double_eq (pl_auc_trapezoid (x, y, 1), 0.0);
}
END_TEST

START_TEST (test_summary)
{
  const double v[5] = { 1, 2, NAN, 3, 10 };
  PlSummary s;
  pl_summarise (v, 5, 500, 0.95, 7, &s);
  ck_assert_int_eq (s.n, 4);
  ck_assert_double_eq_tol (s.mean, 4.0, 1e-15);
  ck_assert_double_eq_tol (s.median, 2.5, 1e-15);
  ck_assert_double_eq_tol (s.sd, sqrt (50.0 / 3.0), 1e-12);
  ck_assert (s.ci_low >= 1.0 && s.ci_low < 4.0);
  ck_assert (s.ci_high > 4.0 && s.ci_high <= 10.0);
  PlSummary again;
  pl_summarise (v, 5, 500, 0.95, 7, &again);
  ck_assert_double_eq (again.ci_low, s.ci_low);
  ck_assert_double_eq (again.ci_high, s.ci_high);

  const double c[3] = { 2, 2, 2 };
  pl_summarise (c, 3, 100, 0.95, 1, &s);
  ck_assert_double_eq (s.ci_low, 2.0);
  ck_assert_double_eq (s.ci_high, 2.0);
  ck_assert_double_eq (s.sd, 0.0);

  /* 200 values 0..199 (mean 99.5, sd 57.88): the bootstrap CI of the mean should be close
   * to the normal one, ±1.96 · 57.88 / √200 = ±8.02. */
  double big[200];
  for (gint i = 0; i < 200; i++)
    big[i] = i;
  pl_summarise (big, 200, 2000, 0.95, 3, &s);
  double half = 1.96 * s.sd / sqrt (200.0);
  ck_assert_double_eq_tol (s.ci_low, 99.5 - half, 0.15 * half);
  ck_assert_double_eq_tol (s.ci_high, 99.5 + half, 0.15 * half);

  pl_summarise (v, 0, 10, 0.95, 1, &s);
  ck_assert_int_eq (s.n, 0);
  ck_assert (isnan (s.mean));
}
END_TEST

START_TEST (test_t_test)
{
  /* d = 1..5: mean 3, sd √2.5, t = 3 / √0.5 = 4.2426, df 4. The t distribution with
   * 4 df has the closed form F(t) = ½ + (3/8) (t / √(1 + t²/4)) (1 − t² / (12 (1 + t²/4)));
   * two-sided p = 2 (1 − F) = 0.01324 (R: t.test(1:5) gives p-value = 0.01324). */
  const double x[5] = { 0, 0, 0, 0, 0 }, y[5] = { 1, 2, 3, 4, 5 };
  PlPairedTTest t;
  pl_paired_t_test (x, y, 5, &t);
  double tt = 3.0 / sqrt (0.5);
  double u = 1.0 + tt * tt / 4.0;
  double F = 0.5 + 3.0 / 8.0 * (tt / sqrt (u)) * (1.0 - tt * tt / (12.0 * u));
  ck_assert_int_eq (t.n, 5);
  ck_assert_double_eq_tol (t.t, tt, 1e-12);
  ck_assert_double_eq (t.df, 4.0);
  ck_assert_double_eq_tol (t.p_value, 2.0 * (1.0 - F), 1e-10);
  ck_assert_double_eq_tol (t.p_value, 0.01324, 5e-6);
  ck_assert_double_eq_tol (t.cohen_dz, 3.0 / sqrt (2.5), 1e-12);

  /* d = 1 2 4 (x − y sign flipped: y − x = −d): mean 7/3, sd √(7/3), t = √7, df 2.
   * F(t) = ½ + t / (2 √(2 + t²)) = ½ + √7 / 6; p = 1 − √7 / 3 = 0.1180883. */
  const double x2[3] = { 1, 2, 4 }, y2[3] = { 0, 0, 0 };
  pl_paired_t_test (x2, y2, 3, &t);
  ck_assert_double_eq_tol (t.t, -sqrt (7.0), 1e-12);
  ck_assert_double_eq_tol (t.p_value, 1.0 - sqrt (7.0) / 3.0, 1e-10);
  ck_assert (t.cohen_dz < 0);

  /* Constant differences: undefined. */
  const double y3[3] = { 2, 3, 5 };
  pl_paired_t_test (x2, y3, 3, &t);
  ck_assert_double_eq (t.mean_diff, 1.0);
  ck_assert (isnan (t.t) && isnan (t.p_value));
}
END_TEST

START_TEST (test_wilcoxon_exact)
{
  PlWilcoxon w;
  /* d = 1..5: W+ = 15 = the maximum, P(W+ ≥ 15) = 1/32; p = 2/32 = 0.0625
   * (R: wilcox.test(1:5) gives V = 15, p-value = 0.0625). A zero difference is dropped. */
  const double x[6] = { 0, 0, 0, 0, 0, 7 }, y[6] = { 1, 2, 3, 4, 5, 7 };
  pl_wilcoxon_signed_rank (x, y, 6, &w);
  ck_assert (w.exact);
  ck_assert_int_eq (w.n, 6);
  ck_assert_int_eq (w.n_zero, 1);
  ck_assert_double_eq (w.w_plus, 15.0);
  ck_assert_double_eq (w.w_minus, 0.0);
  ck_assert_double_eq_tol (w.p_value, 0.0625, 1e-15);
  ck_assert_double_eq (w.rank_biserial, 1.0);

  /* d = 1 2 3 4 5 −6: W+ = 15, W− = 6. Subsets of {1..6} with rank sum ≤ 6: sums 0..6
   * have 1, 1, 1, 2, 2, 3, 4 subsets = 14 of 64; p = 2 · 14 / 64 = 0.4375
   * (R: V = 15, p-value = 0.4375). r = (15 − 6) / 21. */
  const double x2[6] = { 0, 0, 0, 0, 0, 0 }, y2[6] = { 1, 2, 3, 4, 5, -6 };
  pl_wilcoxon_signed_rank (x2, y2, 6, &w);
  ck_assert (w.exact);
  ck_assert_double_eq (w.w_plus, 15.0);
  ck_assert_double_eq (w.w_minus, 6.0);
  ck_assert_double_eq_tol (w.p_value, 0.4375, 1e-15);
  ck_assert_double_eq_tol (w.rank_biserial, 9.0 / 21.0, 1e-15);

  /* n = 20, all positive: p = 2 / 2^20. */
  double x3[20] = { 0 }, y3[20];
  for (gint i = 0; i < 20; i++)
    y3[i] = i + 1;
  pl_wilcoxon_signed_rank (x3, y3, 20, &w);
  ck_assert (w.exact);
  ck_assert_double_eq_tol (w.p_value, 2.0 / 1048576.0, 1e-18);

  /* n = 25 is still exact: p = 2 / 2^25 (the normal approximation would give 5.6e-6). */
  double x4[25] = { 0 }, y4[25];
  for (gint i = 0; i < 25; i++)
    y4[i] = i + 1;
  pl_wilcoxon_signed_rank (x4, y4, 25, &w);
  ck_assert (w.exact);
  ck_assert_double_eq_tol (w.p_value, 2.0 / 33554432.0, 1e-20);

  /* All zero: nothing to test. */
  pl_wilcoxon_signed_rank (x3, x3, 20, &w);
  ck_assert_int_eq (w.n_zero, 20);
  ck_assert (isnan (w.p_value));
}
END_TEST

START_TEST (test_wilcoxon_normal)
{
  PlWilcoxon w;
  /* Ties -> normal approximation. d = 1 −1 2 2 3: |d| ranks 1.5 1.5 3.5 3.5 5;
   * W+ = 1.5 + 3.5 + 3.5 + 5 = 13.5, W− = 1.5. Mean 5·6/4 = 7.5; variance
   * 5·6·11/24 − ((2³ − 2) + (2³ − 2)) / 48 = 13.75 − 0.25 = 13.5;
   * z = (13.5 − 7.5 − 0.5) / √13.5 = 1.496908; p = erfc(z / √2) = 0.1344
   * (R: wilcox.test(c(1, -1, 2, 2, 3)) gives V = 13.5, p-value = 0.1344). */
  const double x[5] = { 0, 0, 0, 0, 0 }, y[5] = { 1, -1, 2, 2, 3 };
  pl_wilcoxon_signed_rank (x, y, 5, &w);
  ck_assert (!w.exact);
  ck_assert_double_eq (w.w_plus, 13.5);
  ck_assert_double_eq (w.w_minus, 1.5);
  double z = 5.5 / sqrt (13.5);
  ck_assert_double_eq_tol (w.z, z, 1e-12);
  ck_assert_double_eq_tol (w.p_value, erfc (z / sqrt (2.0)), 1e-12);
  ck_assert_double_eq_tol (w.p_value, 0.1344, 5e-5);

  /* n = 26 without ties -> normal: W+ = 351, mean 175.5, variance 26·27·53/24 = 1550.25,
   * z = 175 / √1550.25. */
  double x2[26] = { 0 }, y2[26];
  for (gint i = 0; i < 26; i++)
    y2[i] = -(i + 1.0);
  pl_wilcoxon_signed_rank (x2, y2, 26, &w);
  ck_assert (!w.exact);
  ck_assert_double_eq (w.w_plus, 0.0);
  z = -175.0 / sqrt (1550.25);
  ck_assert_double_eq_tol (w.z, z, 1e-12);
  ck_assert_double_eq_tol (w.p_value, erfc (-z / sqrt (2.0)), 1e-15);
  ck_assert_double_eq (w.rank_biserial, -1.0);
}
END_TEST

static Suite *
stats_suite (void)
{
  Suite *s = suite_create ("analysis-stats");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_self_and_negative);
  tcase_add_test (tc, test_kendall_hand);
  tcase_add_test (tc, test_topk_hand);
  tcase_add_test (tc, test_ssim_hand);
  tcase_add_test (tc, test_complexity_hand);
  tcase_add_test (tc, test_auc_hand);
  tcase_add_test (tc, test_summary);
  tcase_add_test (tc, test_t_test);
  tcase_add_test (tc, test_wilcoxon_exact);
  tcase_add_test (tc, test_wilcoxon_normal);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (stats_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
