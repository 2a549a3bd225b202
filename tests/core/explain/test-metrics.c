/* test-metrics.c — attribution similarity and classifier evaluation. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "analysis/pl-metrics.h"
#include "exec/pl-executor.h"
#include "pl-error.h"

/* ---- similarity ----------------------------------------------------------------- */

START_TEST (test_similarity_hand)
{
  PlSimilarity s;
  /* b = 2a: every measure is 1. */
  const float a1[4] = { 1, 2, 3, 4 }, b1[4] = { 2, 4, 6, 8 };
  pl_attribution_similarity (a1, b1, 4, 0.5, &s);
  ck_assert_double_eq_tol (s.spearman, 1.0, 1e-12);
  ck_assert_double_eq_tol (s.pearson, 1.0, 1e-12);
  ck_assert_double_eq_tol (s.cosine, 1.0, 1e-12);
  ck_assert_int_eq (s.k, 2);
  ck_assert_double_eq (s.topk_intersection, 1.0);

  /* a = 1 2 3 4 5, b = 5 6 7 8 7.
   * Pearson: a − 3 = −2 −1 0 1 2; b − 6.6 = −1.6 −0.6 0.4 1.4 0.4; Σ = 3.2 + 0.6 + 0 + 1.4
   *   + 0.8 = 6; Σ(a − ā)² = 10; Σ(b − b̄)² = 2.56 + 0.36 + 0.16 + 1.96 + 0.16 = 5.2;
   *   r = 6 / √52 = 0.8320502943.
   * Spearman: ranks of b = 1 2 3.5 5 3.5 (tie averaged); centred −2 −1 0.5 2 0.5;
   *   Σ = 4 + 1 + 0 + 2 + 1 = 8; Σ² = 9.5; ρ = 8 / √95 = 0.8207826817.
   * Cosine: a·b = 5 + 12 + 21 + 32 + 35 = 105; |a|² = 55; |b|² = 223;
   *   105 / √12265 = 0.9481084. (exact: 0.948108...)
   * Top-k, fraction 0.4 -> k = 2: top |a| = {4, 3}; top |b| = {3 (8), 2 (7, tie with 4 ->
   *   lower index)}; intersection {3} -> 0.5. */
  const float a2[5] = { 1, 2, 3, 4, 5 }, b2[5] = { 5, 6, 7, 8, 7 };
  pl_attribution_similarity (a2, b2, 5, 0.4, &s);
  ck_assert_double_eq_tol (s.pearson, 6.0 / sqrt (52.0), 1e-12);
  ck_assert_double_eq_tol (s.spearman, 8.0 / sqrt (95.0), 1e-12);
  ck_assert_double_eq_tol (s.cosine, 105.0 / sqrt (12265.0), 1e-12);
  ck_assert_int_eq (s.k, 2);
  ck_assert_double_eq (s.topk_intersection, 0.5);

  /* Top-k ties on |·| with signs: a = −5 1 5 0 -> top 2 = {0, 2}; b = 5 5 −5 0 -> {0, 1}.
   * Intersection {0} -> 0.5. Anti-correlated ranks: Spearman of a vs −a = −1. */
  const float a3[4] = { -5, 1, 5, 0 }, b3[4] = { 5, 5, -5, 0 };
  pl_attribution_similarity (a3, b3, 4, 0.5, &s);
  ck_assert_int_eq (s.k, 2);
  ck_assert_double_eq (s.topk_intersection, 0.5);
  const float a4[4] = { 3, 1, 2, 4 }, b4[4] = { -3, -1, -2, -4 };
  pl_attribution_similarity (a4, b4, 4, 0.25, &s);
  ck_assert_double_eq_tol (s.spearman, -1.0, 1e-12);
  ck_assert_double_eq_tol (s.pearson, -1.0, 1e-12);
  ck_assert_double_eq_tol (s.cosine, -1.0, 1e-12);
  ck_assert_int_eq (s.k, 1);
  ck_assert_double_eq (s.topk_intersection, 1.0);   /* both top-1 is index 3 */
}
END_TEST

START_TEST (test_similarity_undefined)
{
  PlSimilarity s;
  /* Constant a: correlations undefined; cosine 18 / √(27 · 14) = 0.9258200998. */
  const float a[3] = { 3, 3, 3 }, b[3] = { 1, 2, 3 };
  pl_attribution_similarity (a, b, 3, 0.34, &s);
  ck_assert (isnan (s.spearman));
  ck_assert (isnan (s.pearson));
  ck_assert_double_eq_tol (s.cosine, 18.0 / sqrt (378.0), 1e-12);
  /* k = round(1.02) = 1; top |a| = {0} (ties -> lower index); top |b| = {2}. */
  ck_assert_int_eq (s.k, 1);
  ck_assert_double_eq (s.topk_intersection, 0.0);

  /* Zero vector: cosine undefined too. */
  const float z[3] = { 0, 0, 0 };
  pl_attribution_similarity (z, b, 3, 0.5, &s);
  ck_assert (isnan (s.cosine));
  ck_assert (isnan (s.pearson));

  /* Fraction 0 still uses k = 1; n = 1 has no correlation. */
  const float one[1] = { 2 };
  pl_attribution_similarity (one, one, 1, 0.0, &s);
  ck_assert (isnan (s.spearman));
  ck_assert_double_eq_tol (s.cosine, 1.0, 1e-12);
  ck_assert_int_eq (s.k, 1);
  ck_assert_double_eq (s.topk_intersection, 1.0);

  /* Non-finite input: NaN measures, no crash. */
  const float bad[3] = { 1, NAN, 2 };
  pl_attribution_similarity (bad, b, 3, 0.5, &s);
  ck_assert (isnan (s.pearson));
  ck_assert (isnan (s.cosine));
}
END_TEST

/* ---- evaluation ----------------------------------------------------------------- */

/* X [N, 1, 2, 2] -> Flatten -> Gemm (W [3, 4], transB = 1, bias 0): logit c = pixel c. */
static PlGraph *
build_picker (void)
{
  PlGraph *g = pl_graph_new ();
  gint64 xs[4] = { -1, 1, 2, 2 };
  pl_graph_add_input (g, "X", 4, xs);
  g_autoptr (PlTensor) w = pl_tensor_new_2d (3, 4);
  for (gint c = 0; c < 3; c++)
    w->data[c * 4 + c] = 1.0f;
  g_autoptr (PlTensor) b = pl_tensor_new_1d (3);
  pl_graph_add_initializer (g, "W", w);
  pl_graph_add_initializer (g, "B", b);
  const char *fin[1] = { "X" }, *fout[1] = { "F" };
  PlNode *flat = pl_graph_add_node (g, "Flatten", "flatten", 1, fin, 1, fout);
  pl_node_set_int (flat, "axis", 1);
  const char *gin[3] = { "F", "W", "B" }, *gout[1] = { "logits" };
  PlNode *gemm = pl_graph_add_node (g, "Gemm", "gemm", 3, gin, 1, gout);
  pl_node_set_int (gemm, "transB", 1);
  pl_graph_add_output (g, "logits");
  return g;
}

START_TEST (test_evaluate_hand)
{
  g_autoptr (PlGraph) g = build_picker ();
  /* Pixels (c0 c1 c2 unused) -> predicted class; label; correct?
   *   10 200  30 255 -> 1; label 1: yes
   *  90  20  30   0 -> 0; label 2: no
   *   5   5   9   1 -> 2; label 2: yes
   *   7   7   7   7 -> 0 (first maximum); label 0: yes
   *   0 100 100   0 -> 1 (first maximum); label 2: no      => 3 / 5 = 0.6 */
  guint8 pixels[20] = { 10, 200, 30, 255, 90, 20, 30, 0, 5, 5, 9, 1, 7, 7, 7, 7,
                        0, 100, 100, 0 };
  guint8 labels[5] = { 1, 2, 2, 0, 2 };
  PlDataset ds = { .ref_count = 1, .name = (char *) "hand", .n = 5, .channels = 1,
                   .height = 2, .width = 2, .pixels = pixels, .labels = labels,
                   .n_classes = 3 };
  g_autoptr (GError) error = NULL;
  g_autoptr (PlEvaluation) ev = pl_evaluate_classifier (g, &ds, 0, NULL, &error);
  ck_assert_msg (ev != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (ev->n, 5);
  ck_assert_int_eq (ev->correct, 3);
  ck_assert_double_eq_tol (ev->accuracy, 0.6, 1e-15);
  const gint expect[5] = { 1, 0, 2, 0, 1 };
  for (gint i = 0; i < 5; i++)
    ck_assert_int_eq (ev->predictions[i], expect[i]);

  /* First 2 only: 1 / 2. */
  g_autoptr (PlEvaluation) ev2 = pl_evaluate_classifier (g, &ds, 2, NULL, &error);
  ck_assert_int_eq (ev2->n, 2);
  ck_assert_double_eq (ev2->accuracy, 0.5);
}
END_TEST

START_TEST (test_evaluate_threads)
{
  g_autoptr (PlGraph) g = build_picker ();
  const gint64 n = 1000;   /* 4 batches of 256 (the last 232) */
  g_autofree guint8 *pixels = g_new (guint8, n * 4);
  g_autofree guint8 *labels = g_new (guint8, n);
  gint64 expect_correct = 0;
  g_autofree gint *expect = g_new (gint, n);
  for (gint64 i = 0; i < n; i++)
    {
      guint8 *p = pixels + i * 4;
      p[0] = (guint8) ((i * 37) % 256);
      p[1] = (guint8) ((i * 91 + 7) % 256);
      p[2] = (guint8) ((i * 53 + 3) % 256);
      p[3] = 255;
      labels[i] = (guint8) (i % 3);
      gint best = 0;
      for (gint c = 1; c < 3; c++)
        if (p[c] > p[best])
          best = c;
      expect[i] = best;
      expect_correct += best == labels[i];
    }
  PlDataset ds = { .ref_count = 1, .name = (char *) "gen", .n = n, .channels = 1,
                   .height = 2, .width = 2, .pixels = pixels, .labels = labels,
                   .n_classes = 3 };
  g_autoptr (GError) error = NULL;
  g_autoptr (PlEvaluation) e1 = pl_evaluate_classifier_threads (g, &ds, -1, 1, NULL, &error);
  g_autoptr (PlEvaluation) e2 = pl_evaluate_classifier_threads (g, &ds, -1, 2, NULL, &error);
  ck_assert_ptr_nonnull (e1);
  ck_assert_ptr_nonnull (e2);
  ck_assert_int_eq (e1->n, n);
  ck_assert_int_eq (e1->correct, expect_correct);
  ck_assert_int_eq (e2->correct, expect_correct);
  ck_assert (memcmp (e1->predictions, e2->predictions, n * sizeof (gint)) == 0);
  for (gint64 i = 0; i < n; i++)
    ck_assert_int_eq (e1->predictions[i], expect[i]);

  /* Cancellation -> G_IO_ERROR_CANCELLED, no result. */
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_cancellable_cancel (cancellable);
  PlProgress progress;
  pl_progress_init (&progress, NULL, NULL, cancellable);
  PlEvaluation *ec = pl_evaluate_classifier (g, &ds, -1, &progress, &error);
  ck_assert_ptr_null (ec);
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("metrics");
  TCase *tc = tcase_create ("metrics");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_similarity_hand);
  tcase_add_test (tc, test_similarity_undefined);
  tcase_add_test (tc, test_evaluate_hand);
  tcase_add_test (tc, test_evaluate_threads);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
