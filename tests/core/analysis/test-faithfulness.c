/* test-faithfulness.c — deletion / insertion curves of a toy model computed by hand, the
 * Gaussian blur, and error handling. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "analysis/pl-faithfulness.h"
#include "pl-error.h"

/* X [N, 1, 2, 2] -> Flatten -> Gemm: logit0 = 4 x0 + 3 x1 + 2 x2 + 1 x3, logit1 = 0. */
static PlGraph *
build_toy (void)
{
  PlGraph *g = pl_graph_new ();
  gint64 xs[4] = { -1, 1, 2, 2 };
  pl_graph_add_input (g, "X", 4, xs);
  g_autoptr (PlTensor) w = pl_tensor_new_2d (2, 4);
  for (gint i = 0; i < 4; i++)
    w->data[i] = 4.0f - i;
  g_autoptr (PlTensor) b = pl_tensor_new_1d (2);
  pl_graph_add_initializer (g, "W", w);
  pl_graph_add_initializer (g, "B", b);
  PlNode *flat = pl_graph_add_node (g, "Flatten", "flatten", 1, (const char *[]) { "X" }, 1,
                                    (const char *[]) { "F" });
  pl_node_set_int (flat, "axis", 1);
  PlNode *gemm = pl_graph_add_node (g, "Gemm", "gemm", 3,
                                    (const char *[]) { "F", "W", "B" }, 1,
                                    (const char *[]) { "logits" });
  pl_node_set_int (gemm, "transB", 1);
  pl_graph_add_output (g, "logits");
  return g;
}

static double
sigmoid (double s)
{
  return 1.0 / (1.0 + exp (-s));
}

START_TEST (test_deletion_hand)
{
  g_autoptr (PlGraph) g = build_toy ();
  g_autoptr (GError) error = NULL;
  PlExecutor *ex = pl_executor_new (g, &error);
  ck_assert_msg (ex != NULL, "%s", error ? error->message : "");
  g_autoptr (PlTensor) x = pl_tensor_new_4d (1, 1, 2, 2);
  for (gint i = 0; i < 4; i++)
    x->data[i] = 1.0f;
  g_autoptr (PlTensor) attr = pl_tensor_new_2d (2, 2);
  for (gint i = 0; i < 4; i++)
    attr->data[i] = 4.0f - i;   /* the exact contributions: x0 first */

  PlFaithfulnessOptions o;
  pl_faithfulness_options_init (&o);
  ck_assert_int_eq (o.pixels_per_step, 16);
  o.pixels_per_step = 1;
  o.score = PL_CURVE_SCORE_LOGIT;
  o.batch_size = 2;   /* 5 points in batches of 2, 2, 1 */

  /* Deletion, step 1 pixel: logits 10 6 3 1 0 at fractions 0 ¼ ½ ¾ 1;
   * AUC = ¼ (8 + 4.5 + 2 + 0.5) = 3.75. */
  g_autoptr (PlCurve) c = pl_faithfulness_curve (ex, x, 0, attr, PL_CURVE_DELETION, &o, NULL,
                                                 &error);
  ck_assert_msg (c != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (c->n_points, 5);
  const double want[5] = { 10, 6, 3, 1, 0 };
  for (gint i = 0; i < 5; i++)
    {
      ck_assert_double_eq_tol (c->fraction[i], i / 4.0, 1e-15);
      ck_assert_double_eq_tol (c->score[i], want[i], 1e-5);
    }
  ck_assert_double_eq_tol (c->auc, 3.75, 1e-5);

  /* Reversed ranking deletes the least important first: 10 9 7 4 0 -> AUC 6.25. */
  g_autoptr (PlTensor) rev = pl_tensor_new_2d (2, 2);
  for (gint i = 0; i < 4; i++)
    rev->data[i] = (float) i;
  g_autoptr (PlCurve) r = pl_faithfulness_curve (ex, x, 0, rev, PL_CURVE_DELETION, &o, NULL,
                                                 &error);
  ck_assert_double_eq_tol (r->auc, 6.25, 1e-5);

  /* Step 3 pixels (last step partial): points after 0, 3, 4 pixels: 10 1 0 at 0 ¾ 1;
   * AUC = ¾ · 5.5 + ¼ · 0.5 = 4.25. */
  o.pixels_per_step = 3;
  g_autoptr (PlCurve) c3 = pl_faithfulness_curve (ex, x, 0, attr, PL_CURVE_DELETION, &o,
                                                  NULL, &error);
  ck_assert_int_eq (c3->n_points, 3);
  ck_assert_double_eq_tol (c3->fraction[1], 0.75, 1e-15);
  ck_assert_double_eq_tol (c3->auc, 4.25, 1e-5);

  /* Softmax probability of class 0 against logit1 = 0 is the sigmoid of logit0. */
  o.pixels_per_step = 1;
  o.score = PL_CURVE_SCORE_PROBABILITY;
  g_autoptr (PlCurve) p = pl_faithfulness_curve (ex, x, 0, attr, PL_CURVE_DELETION, &o, NULL,
                                                 &error);
  double auc = 0.0;
  for (gint i = 0; i < 4; i++)
    auc += 0.25 * (sigmoid (want[i]) + sigmoid (want[i + 1])) / 2.0;
  ck_assert_double_eq_tol (p->auc, auc, 1e-6);

  /* Insertion from the baseline (σ = 0): 0 4 7 9 10 -> AUC ¼ (2 + 5.5 + 8 + 9.5) = 6.25.
   * Baseline −1 for deletion: logits 10 2 −4 −8 −10 -> AUC ¼ (6 − 1 − 6 − 9) = −2.5. */
  o.score = PL_CURVE_SCORE_LOGIT;
  o.blur_sigma = 0.0;
  g_autoptr (PlCurve) ins = pl_faithfulness_curve (ex, x, 0, attr, PL_CURVE_INSERTION, &o,
                                                   NULL, &error);
  ck_assert_double_eq_tol (ins->score[0], 0.0, 1e-6);
  ck_assert_double_eq_tol (ins->auc, 6.25, 1e-5);
  o.baseline = -1.0f;
  g_autoptr (PlCurve) neg = pl_faithfulness_curve (ex, x, 0, attr, PL_CURVE_DELETION, &o,
                                                   NULL, &error);
  ck_assert_double_eq_tol (neg->auc, -2.5, 1e-5);

  /* Class 1 (logit 0 whatever the input): a flat curve at 0. */
  g_autoptr (PlCurve) flat = pl_faithfulness_curve (ex, x, 1, attr, PL_CURVE_DELETION, &o,
                                                    NULL, &error);
  ck_assert_double_eq_tol (flat->auc, 0.0, 1e-6);
  pl_executor_free (ex);
}
END_TEST

START_TEST (test_errors)
{
  g_autoptr (PlGraph) g = build_toy ();
  PlExecutor *ex = pl_executor_new (g, NULL);
  g_autoptr (PlTensor) x = pl_tensor_new_4d (1, 1, 2, 2);
  g_autoptr (PlTensor) bad = pl_tensor_new_2d (3, 3);
  g_autoptr (PlTensor) attr = pl_tensor_new_2d (2, 2);
  GError *error = NULL;
  ck_assert (pl_faithfulness_curve (ex, x, 0, bad, PL_CURVE_DELETION, NULL, NULL, &error)
             == NULL);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
  ck_assert (pl_faithfulness_curve (ex, x, 2, attr, PL_CURVE_DELETION, NULL, NULL, &error)
             == NULL);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  ck_assert (strstr (error->message, "2") != NULL);
  g_clear_error (&error);
  g_autoptr (PlTensor) x2 = pl_tensor_new_4d (2, 1, 2, 2);
  ck_assert (pl_faithfulness_curve (ex, x2, 0, attr, PL_CURVE_DELETION, NULL, NULL, &error)
             == NULL);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);

  /* Cancellation. */
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_cancellable_cancel (cancel);
  PlProgress progress;
  pl_progress_init (&progress, NULL, NULL, cancel);
  ck_assert (pl_faithfulness_curve (ex, x, 0, attr, PL_CURVE_DELETION, NULL, &progress,
                                    &error) == NULL);
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&error);
  pl_executor_free (ex);
}
END_TEST

START_TEST (test_blur_hand)
{
  /* An impulse in a 1 × 9 image, σ = 1: radius 3, kernel exp(−d²/2) / Σ over d = −3..3.
   * The vertical pass is the identity for one row (edges clamped). */
  g_autoptr (PlTensor) x = pl_tensor_new_4d (1, 1, 1, 9);
  x->data[4] = 1.0f;
  g_autoptr (PlTensor) y = pl_gaussian_blur (x, 1.0, NULL);
  double z = 1.0 + 2.0 * (exp (-0.5) + exp (-2.0) + exp (-4.5));
  ck_assert_double_eq_tol (y->data[4], 1.0 / z, 1e-6);
  ck_assert_double_eq_tol (y->data[5], exp (-0.5) / z, 1e-6);
  ck_assert_double_eq_tol (y->data[7], exp (-4.5) / z, 1e-6);
  ck_assert_double_eq (y->data[8], 0.0);

  /* A constant image stays constant (edges clamped). */
  g_autoptr (PlTensor) c = pl_tensor_new_4d (2, 3, 5, 6);
  for (gint64 i = 0; i < c->numel; i++)
    c->data[i] = 0.3f;
  g_autoptr (PlTensor) cb = pl_gaussian_blur (c, 2.0, NULL);
  for (gint64 i = 0; i < c->numel; i++)
    ck_assert_float_eq_tol (cb->data[i], 0.3f, 1e-6f);

  /* Insertion starts from the blurred image and ends at x: with the toy model, on a
   * 2 × 2 image and σ = 1, the horizontal pass weighs each pixel's own column by
   * a = Σ_{d ≤ 0} k_d = ½ + k_0 / 2 and the other by 1 − a (edges clamped); so does the
   * vertical pass. x = e_0: blur(x) = (a², a(1 − a), a(1 − a), (1 − a)²). */
  g_autoptr (PlGraph) g = build_toy ();
  PlExecutor *ex = pl_executor_new (g, NULL);
  g_autoptr (PlTensor) img = pl_tensor_new_4d (1, 1, 2, 2);
  img->data[0] = 1.0f;
  g_autoptr (PlTensor) attr = pl_tensor_new_2d (2, 2);
  for (gint i = 0; i < 4; i++)
    attr->data[i] = 4.0f - i;
  PlFaithfulnessOptions o;
  pl_faithfulness_options_init (&o);
  o.blur_sigma = 1.0;
  o.pixels_per_step = 1;
  o.score = PL_CURVE_SCORE_LOGIT;
  g_autoptr (PlCurve) ins = pl_faithfulness_curve (ex, img, 0, attr, PL_CURVE_INSERTION, &o,
                                                   NULL, NULL);
  double a = 0.5 + 0.5 / z;
  double first = 4 * a * a + 3 * a * (1 - a) + 2 * a * (1 - a) + 1 * (1 - a) * (1 - a);
  ck_assert_double_eq_tol (ins->score[0], first, 1e-5);
  /* after inserting pixel 0 (value 1), pixel 1..3 are still blurred */
  double second = 4 + 3 * a * (1 - a) + 2 * a * (1 - a) + (1 - a) * (1 - a);
  ck_assert_double_eq_tol (ins->score[1], second, 1e-5);
  ck_assert_double_eq_tol (ins->score[4], 4.0, 1e-5);
  pl_executor_free (ex);

  GError *error = NULL;
  g_autoptr (PlTensor) bad = pl_tensor_new_2d (2, 2);
  ck_assert (pl_gaussian_blur (bad, 1.0, &error) == NULL);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
}
END_TEST

static Suite *
faith_suite (void)
{
  Suite *s = suite_create ("analysis-faithfulness");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_deletion_hand);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_blur_hand);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (faith_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
