/* test-step-metrics.c — per-step metrics: macro precision / recall / F1 of a hand-made
 * confusion matrix, KL of softmax outputs, MACs of the default model by hand, agreement
 * with the original, cost of a structured removal, comparing two history steps. */
#include "prune-test-util.h"
#include "analysis/pl-step-metrics.h"
#include "analysis/pl-metrics.h"
#include "onnx/pl-onnx.h"
#include "data/pl-dataset.h"
#include "../test-scale.h"

START_TEST (test_macro_prf)
{
  /* rows = true class, columns = predicted */
  const gint64 cm[9] = { 5, 1, 0,
                         2, 3, 1,
                         0, 0, 4 };
  double p, r, f;
  pl_macro_prf (cm, 3, &p, &r, &f);
  /* class 0: P 5/7 R 5/6 F1 10/13; class 1: P 3/4 R 1/2 F1 3/5; class 2: P 4/5 R 1 F1 8/9 */
  ck_assert_double_eq_tol (p, (5.0 / 7 + 3.0 / 4 + 4.0 / 5) / 3, 1e-12);
  ck_assert_double_eq_tol (r, (5.0 / 6 + 1.0 / 2 + 1.0) / 3, 1e-12);
  ck_assert_double_eq_tol (f, (10.0 / 13 + 3.0 / 5 + 8.0 / 9) / 3, 1e-12);
  /* A fourth class that never occurs is left out; one predicted but never true counts
   * with precision 0, recall 0. */
  const gint64 cm4[16] = { 5, 1, 0, 0,
                           2, 3, 1, 0,
                           0, 0, 4, 0,
                           0, 0, 0, 0 };
  double p4, r4, f4;
  pl_macro_prf (cm4, 4, &p4, &r4, &f4);
  ck_assert_double_eq_tol (p4, p, 1e-12);
  ck_assert_double_eq_tol (f4, f, 1e-12);
  const gint64 cm2[4] = { 2, 2,
                          0, 0 };   /* class 1 predicted twice, never true */
  pl_macro_prf (cm2, 2, &p, &r, &f);
  ck_assert_double_eq_tol (p, (1.0 + 0.0) / 2, 1e-12);
  ck_assert_double_eq_tol (r, (0.5 + 0.0) / 2, 1e-12);
  ck_assert_double_eq_tol (f, (2 * 0.5 / 1.5) / 2, 1e-12);
  const gint64 empty[4] = { 0 };
  pl_macro_prf (empty, 2, &p, &r, &f);
  ck_assert (isnan (p) && isnan (r) && isnan (f));
}
END_TEST

START_TEST (test_kl)
{
  const float a[4] = { 1.5f, -2.0f, 0.25f, 3.0f };
  ck_assert_double_eq (pl_softmax_kl (a, a, 4), 0.0);
  /* p = (1/2, 1/2), q = (3/4, 1/4): KL = ½ ln (2/3) + ½ ln 2 = ½ ln (4/3) */
  const float p[2] = { 0.0f, 0.0f }, q[2] = { (float) log (3.0), 0.0f };
  ck_assert_double_eq_tol (pl_softmax_kl (p, q, 2), 0.5 * log (4.0 / 3.0), 1e-6);
  /* Shifting logits does not change the distribution. */
  const float b[4] = { 101.5f, 98.0f, 100.25f, 103.0f };
  ck_assert_double_eq_tol (pl_softmax_kl (a, b, 4), 0.0, 1e-6);
}
END_TEST

static PlGraph *
default_model (void)
{
  const char *src = g_getenv ("PL_SOURCE_DIR");
  g_autofree char *path = g_build_filename (src ? src : ".", "data", "models",
                                            "fashion-cnn.onnx", NULL);
  GError *error = NULL;
  PlGraph *g = pl_onnx_load_file (path, &error);
  ck_assert_msg (g != NULL, "%s", error ? error->message : "");
  return g;
}

START_TEST (test_cost_default_model)
{
  g_autoptr (PlGraph) g = default_model ();
  GError *error = NULL;
  g_autoptr (PlCost) c = pl_cost_compute (g, TRUE, 3, &error);
  ck_assert_msg (c != NULL, "%s", error ? error->message : "");
  /* conv1 16·28·28·1·3·3, conv2 32·14·14·16·3·3, fc1 1568·128, fc2 128·10 */
  const gint64 macs[4] = { 112896, 903168, 200704, 1280 };
  ck_assert_int_eq (c->n_layers, 4);
  for (gint l = 0; l < 4; l++)
    {
      ck_assert_int_eq (c->layers[l].macs_dense, macs[l]);
      ck_assert_int_eq (c->layers[l].macs_effective, macs[l]);
    }
  ck_assert_str_eq (c->layers[0].name, "conv1");
  ck_assert_int_eq (c->macs_dense, 1218048);
  ck_assert_int_eq (c->params_total, 206922);
  ck_assert_int_le (c->params_nonzero, 206922);
  gsize len = 0;
  g_autofree guint8 *bytes = pl_onnx_save_data (g, &len, &error);
  ck_assert_int_eq (c->file_size, (gint64) len);
  ck_assert (c->latency_ms > 0);

  /* Prune fc1 alone to 50 % (override): effective MACs of fc1 = nonzero · 1, conv2 intact. */
  g_autoptr (PlPruneConfig) cfg = pl_prune_config_new ();
  pl_prune_config_set_override (cfg, "fc1", 0.5);
  const char *all[5] = { "conv1", "conv2", "fc2", NULL };
  pl_prune_config_set_protected (cfg, all);
  g_autoptr (PlGraph) p = pl_prune_apply (g, cfg, 0.0, NULL, &error);
  ck_assert_msg (p != NULL, "%s", error ? error->message : "");
  g_autoptr (PlCost) cp = pl_cost_compute (p, FALSE, 0, &error);
  ck_assert_int_eq (cp->file_size, -1);
  ck_assert (isnan (cp->latency_ms));
  ck_assert_int_eq (cp->layers[2].macs_dense, 200704);
  ck_assert_int_eq (cp->layers[2].macs_effective, 100352);
  ck_assert_int_eq (cp->layers[1].macs_effective, 903168);
  ck_assert_double_eq_tol (cp->layers[2].sparsity, 0.5, 1e-12);
  ck_assert_int_eq (cp->params_nonzero, c->params_nonzero - 100352);

  /* Structured: 50 % of conv2's channels, physically removed: smaller file, MACs halve. */
  g_autoptr (PlPruneConfig) sc = pl_prune_config_new ();
  sc->granularity = PL_PRUNE_GRANULARITY_CHANNELS;
  sc->scope = PL_PRUNE_SCOPE_LAYERWISE;
  g_autoptr (PlGraph) masked = pl_prune_apply (g, sc, 0.5, NULL, &error);
  ck_assert_msg (masked != NULL, "%s", error ? error->message : "");
  g_autoptr (PlGraph) small = pl_prune_physically_remove (masked, &error);
  ck_assert_msg (small != NULL, "%s", error ? error->message : "");
  g_autoptr (PlCost) cm = pl_cost_compute (masked, TRUE, 0, &error);
  g_autoptr (PlCost) cs = pl_cost_compute (small, TRUE, 0, &error);
  ck_assert_int_lt (cs->file_size, cm->file_size);
  /* conv2 keeps 16 of 32 channels; fc1 keeps 64 of 128 neurons over 16·49 inputs. */
  ck_assert_int_eq (cs->layers[1].macs_dense, 16 * 14 * 14 * 16 * 9);
  ck_assert_int_eq (cs->layers[2].macs_dense, 16 * 49 * 64);
  ck_assert_int_eq (cs->layers[3].macs_dense, 64 * 10);
  ck_assert_int_eq (cm->macs_effective, cs->macs_effective);
}
END_TEST

START_TEST (test_step_metrics)
{
  GError *error = NULL;
  g_autoptr (PlDataset) ds = pl_dataset_load_fashion_mnist ("/usr/share/datasets/fashion-mnist", "test", &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  g_clear_error (&error);
  g_autoptr (PlGraph) g = default_model ();
  PlStepMetricsOptions o;
  pl_step_metrics_options_init (&o);
  /* 300 images (PL_TEST_SCALE=small: 150) */
  const gint64 n_eval = pl_test_scale_n (300, 150);
  o.n_eval = n_eval;
  o.latency_runs = 1;
  g_autoptr (PlStepMetrics) m0 = pl_step_metrics_compute (g, ds, NULL, &o, NULL, &error);
  ck_assert_msg (m0 != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (m0->n, n_eval);
  ck_assert_int_eq (m0->n_classes, 10);
  ck_assert (!m0->has_reference && isnan (m0->agreement));
  g_autoptr (PlEvaluation) ev = pl_evaluate_classifier (g, ds, n_eval, NULL, &error);
  ck_assert_double_eq (m0->top1, ev->accuracy);
  gint64 sum = 0, diag = 0;
  for (gint i = 0; i < 10; i++)
    for (gint j = 0; j < 10; j++)
      {
        sum += m0->confusion[i * 10 + j];
        diag += i == j ? m0->confusion[i * 10 + j] : 0;
      }
  ck_assert_int_eq (sum, n_eval);
  ck_assert_int_eq (diag, ev->correct);
  ck_assert (m0->top5 >= m0->top1 && m0->top5 <= 1.0);
  ck_assert (m0->macro_f1 > 0.5);
  ck_assert_ptr_nonnull (m0->cost);

  /* Against itself: full agreement, KL 0. */
  g_autoptr (PlStepMetrics) same = pl_step_metrics_compute (g, ds, m0, &o, NULL, &error);
  ck_assert_double_eq (same->agreement, 1.0);
  ck_assert_int_eq (same->n_changed, 0);
  ck_assert_double_eq (same->mean_kl, 0.0);

  /* A heavily pruned network: the changed list is exactly where the predictions differ. */
  g_autoptr (PlGraph) p = pl_prune_magnitude (g, 0.97, PL_PRUNE_SCOPE_GLOBAL, &error);
  o.cost = FALSE;
  g_autoptr (PlStepMetrics) m1 = pl_step_metrics_compute (p, ds, m0, &o, NULL, &error);
  ck_assert_msg (m1 != NULL, "%s", error ? error->message : "");
  ck_assert_ptr_null (m1->cost);
  gint64 k = 0;
  for (gint64 i = 0; i < n_eval; i++)
    if (m0->predictions[i] != m1->predictions[i])
      {
        ck_assert_int_lt (k, m1->n_changed);
        ck_assert_int_eq (m1->changed[k++], i);
      }
  ck_assert_int_eq (k, m1->n_changed);
  ck_assert_int_gt (k, 0);
  ck_assert_double_eq_tol (m1->agreement, 1.0 - (double) k / (double) n_eval, 1e-12);
  ck_assert (m1->mean_kl > 0);

  /* A reference on other samples is refused. */
  o.n_eval = 100;
  ck_assert_int_ne (o.n_eval, n_eval);
  g_autoptr (PlStepMetrics) bad = pl_step_metrics_compute (p, ds, m0, &o, NULL, &error);
  ck_assert_ptr_null (bad);
  ck_assert_int_eq (error->code, PL_ERROR_INVALID);
  g_clear_error (&error);

  /* Comparing history steps with metrics attached. */
  g_autoptr (PlPruneHistory) h = pl_prune_history_new (g, 0);
  pl_prune_history_push (h, NULL, 0.97, p);
  pl_step_metrics_attach (h, 0, g_steal_pointer (&m0));
  pl_step_metrics_attach (h, 1, g_steal_pointer (&m1));
  g_autoptr (PlStepComparison) c = pl_step_compare (h, 0, 1, &error);
  ck_assert_ptr_nonnull (c);
  const PlStepMetrics *a = pl_step_metrics_get (h, 0), *b = pl_step_metrics_get (h, 1);
  ck_assert_double_eq (c->delta_top1, b->top1 - a->top1);
  ck_assert_int_eq (c->n_changed, b->n_changed);
  ck_assert_double_eq (c->agreement, b->agreement);
  ck_assert_double_eq_tol (c->delta_sparsity, 0.97, 1e-4);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("step-metrics");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_macro_prf);
  tcase_add_test (tc, test_kl);
  tcase_add_test (tc, test_cost_default_model);
  tcase_add_test (tc, test_step_metrics);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
