/* test-regression.c — known answers for pl-regression.h: RMSE, MAE and R² computed by
 * hand, and a model y = 2·x1 − x2 + 1 evaluated on a hand-made regression table. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "analysis/pl-regression.h"
#include "pl-error.h"

START_TEST (test_hand_computed)
{
  /* p = 1 2 3, t = 1 3 5: errors 0 −1 −2; SS_res = 5, Σ|e| = 3; mean t = 3, SS_tot = 8. */
  const float p[] = { 1, 2, 3 }, t[] = { 1, 3, 5 };
  PlRegressionMetrics m;
  g_autoptr (GError) error = NULL;
  ck_assert (pl_regression_metrics (p, 1, t, 3, &m, &error));
  ck_assert_int_eq (m.n, 3);
  ck_assert_double_eq_tol (m.rmse, sqrt (5.0 / 3.0), 1e-12);
  ck_assert_double_eq_tol (m.mae, 1.0, 1e-12);
  ck_assert_double_eq_tol (m.r2, 1.0 - 5.0 / 8.0, 1e-12);

  /* Perfect fit: RMSE = MAE = 0, R² = 1. */
  ck_assert (pl_regression_metrics (t, 1, t, 3, &m, &error));
  ck_assert_double_eq (m.rmse, 0.0);
  ck_assert_double_eq (m.mae, 0.0);
  ck_assert_double_eq (m.r2, 1.0);

  /* Predicting the mean: R² = 0; RMSE = sqrt (8 / 3), MAE = 4 / 3. */
  const float mean[] = { 3, 3, 3 };
  ck_assert (pl_regression_metrics (mean, 1, t, 3, &m, &error));
  ck_assert_double_eq_tol (m.r2, 0.0, 1e-12);
  ck_assert_double_eq_tol (m.rmse, sqrt (8.0 / 3.0), 1e-12);
  ck_assert_double_eq_tol (m.mae, 4.0 / 3.0, 1e-12);

  /* Worse than the mean: p = 5 3 1 → errors 4 0 −4, SS_res 32, R² = 1 − 32/8 = −3. */
  const float rev[] = { 5, 3, 1 };
  ck_assert (pl_regression_metrics (rev, 1, t, 3, &m, &error));
  ck_assert_double_eq_tol (m.r2, -3.0, 1e-12);
  ck_assert_double_eq_tol (m.mae, 8.0 / 3.0, 1e-12);
}
END_TEST

START_TEST (test_stride_constant_empty_nan)
{
  /* Column 0 of [3, 2] rows: 1 2 3 (column 1 is noise). */
  const float p[] = { 1, 100, 2, -100, 3, 7 }, t[] = { 1, 3, 5 };
  PlRegressionMetrics m;
  g_autoptr (GError) error = NULL;
  ck_assert (pl_regression_metrics (p, 2, t, 3, &m, &error));
  ck_assert_double_eq_tol (m.rmse, sqrt (5.0 / 3.0), 1e-12);

  /* Constant targets: R² undefined. */
  const float c[] = { 2, 2, 2 };
  ck_assert (pl_regression_metrics (p, 2, c, 3, &m, &error));
  ck_assert (isnan (m.r2));
  ck_assert_double_eq_tol (m.mae, 2.0 / 3.0, 1e-12);   /* |1−2| + 0 + |3−2| */

  ck_assert (pl_regression_metrics (NULL, 1, NULL, 0, &m, &error));
  ck_assert_int_eq (m.n, 0);
  ck_assert (isnan (m.rmse) && isnan (m.mae) && isnan (m.r2));

  const float bad[] = { 1, NAN, 3 };
  ck_assert (!pl_regression_metrics (bad, 1, t, 3, &m, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  ck_assert (strstr (error->message, "row 1") != NULL);
}
END_TEST

/* y = 2·x1 − x2 + 1 as Gemm: input [N, 2], W [1, 2] (transB), B [1]. */
static PlGraph *
linear_model (void)
{
  PlGraph *g = pl_graph_new ();
  gint64 in_shape[2] = { -1, 2 };
  pl_graph_add_input (g, "x", 2, in_shape);
  PlTensor *w = pl_tensor_new_2d (1, 2);
  w->data[0] = 2.0f;
  w->data[1] = -1.0f;
  pl_graph_add_initializer (g, "W", w);
  pl_tensor_unref (w);
  PlTensor *b = pl_tensor_new_1d (1);
  b->data[0] = 1.0f;
  pl_graph_add_initializer (g, "B", b);
  pl_tensor_unref (b);
  const char *in[] = { "x", "W", "B" }, *out[] = { "y" };
  PlNode *n = pl_graph_add_node (g, "Gemm", "fc", 3, in, 1, out);
  pl_node_set_int (n, "transB", 1);
  pl_graph_add_output (g, "y");
  return g;
}

START_TEST (test_evaluate_model)
{
  /* Rows (x1, x2, target); the model predicts 1, 3, 0, 6 → errors 0, −1, 0, +2. */
  const char *csv = "x1,x2,y\n0,0,1\n1,0,4\n0,1,0\n3,1,4\n";
  PlCsvOptions o = PL_CSV_OPTIONS_INIT;
  o.regression = TRUE;
  g_autoptr (GError) error = NULL;
  g_autoptr (PlDataset) ds = pl_dataset_load_csv_data (csv, strlen (csv), "lin.csv", &o, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  g_autoptr (PlGraph) g = linear_model ();
  PlRegressionMetrics m;
  ck_assert_msg (pl_regression_evaluate (g, ds, 0, NULL, &m, &error), "%s",
                 error ? error->message : "");
  /* SS_res = 5, Σ|e| = 3; targets 1 4 0 4: mean 2.25, SS_tot = 1.5625 + 3.0625 + 5.0625
   * + 3.0625 = 12.75. */
  ck_assert_int_eq (m.n, 4);
  ck_assert_double_eq_tol (m.rmse, sqrt (5.0 / 4.0), 1e-6);
  ck_assert_double_eq_tol (m.mae, 3.0 / 4.0, 1e-6);
  ck_assert_double_eq_tol (m.r2, 1.0 - 5.0 / 12.75, 1e-6);

  /* The first 2 rows only: errors 0, −1; targets 1 4: SS_tot = 4.5. */
  ck_assert (pl_regression_evaluate (g, ds, 2, NULL, &m, &error));
  ck_assert_int_eq (m.n, 2);
  ck_assert_double_eq_tol (m.rmse, sqrt (0.5), 1e-6);
  ck_assert_double_eq_tol (m.r2, 1.0 - 1.0 / 4.5, 1e-6);

  /* A classification table is refused. */
  g_autoptr (PlDataset) cls = pl_dataset_load_csv_data (csv, strlen (csv), "cls.csv", NULL,
                                                        &error);
  ck_assert (cls != NULL);
  ck_assert (!pl_regression_evaluate (g, cls, 0, NULL, &m, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("regression");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_hand_computed);
  tcase_add_test (tc, test_stride_constant_empty_nan);
  tcase_add_test (tc, test_evaluate_model);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
