/* Session computations on the default model and Fashion-MNIST: a prune step and the
 * original-vs-pruned comparison behind the workbench, and a figure written from it. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "exec/pl-executor.h"
#include "onnx/pl-onnx.h"
#include "pl-error.h"
#include "session/pl-session.h"
#include "train/pl-train.h"
#include "../test-scale.h"

static PlGraph *model;
static PlDataset *dataset;

static void
setup (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (g_getenv ("PL_SOURCE_DIR"), "data", "models",
                                            "fashion-cnn.onnx", NULL);
  model = pl_onnx_load_file (path, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  dataset = pl_dataset_load_fashion_mnist (PL_DEFAULT_DATASET_DIR, "test", &error);
  ck_assert_msg (dataset != NULL, "%s", error ? error->message : "");
}

static void
teardown (void)
{
  g_clear_pointer (&model, pl_graph_unref);
  g_clear_pointer (&dataset, pl_dataset_unref);
}

START_TEST (test_default_model_accuracy)
{
  /* The README promises at least 88 % top-1 on the 10 000 test images
   * (PL_TEST_SCALE=small: on the first 1000). */
  g_autoptr (GError) error = NULL;
  const gint64 n = pl_test_scale_n (10000, 1000);
  g_autoptr (PlEvaluation) e = pl_evaluate_classifier (model, dataset, n == 10000 ? 0 : n,
                                                       NULL, &error);
  ck_assert_ptr_nonnull (e);
  ck_assert_int_eq (e->n, n);
  ck_assert_msg (e->accuracy >= 0.88, "accuracy %.4f", e->accuracy);
}
END_TEST

START_TEST (test_prune_step)
{
  g_autoptr (GError) error = NULL;
  /* evaluated on 1000 images (PL_TEST_SCALE=small: 300) */
  const gint64 n = pl_test_scale_n (1000, 300);
  g_autoptr (PlPruneStep) step = pl_prune_step_run (model, dataset, 0.9, n, NULL, &error);
  ck_assert_msg (step != NULL, "%s", error ? error->message : "");
  /* Exactly round(0.9 n) weights are zero (the trained weights have no exact zeros). */
  gint64 expected = pl_prune_count (step->n_weights, 0.9);
  ck_assert_double_eq_tol (step->achieved_sparsity, (double) expected / step->n_weights, 1e-12);
  ck_assert_int_eq (step->evaluation->n, n);
  /* The original is untouched. */
  ck_assert_double_lt (pl_graph_weight_sparsity (model), 0.001);
  g_autoptr (PlEvaluation) e0 = pl_evaluate_classifier (model, dataset, n, NULL, &error);
  ck_assert_double_lt (step->evaluation->accuracy, e0->accuracy);
}
END_TEST

/* The comparison's options: the defaults, with KernelSHAP's budget of 2M + 2048 network
 * evaluations cut to 256 under PL_TEST_SCALE=small (the efficiency constraint and the
 * identical-network checks hold for any budget). */
static const PlComparisonOptions *
scaled_options (PlComparisonOptions *options)
{
  pl_comparison_options_init (options);
  if (pl_test_scale_small ())
    options->shap_budget = 256;
  return options;
}

static double
sum (const PlTensor *t)
{
  double s = 0.0;
  for (gint64 i = 0; i < t->numel; i++)
    s += t->data[i];
  return s;
}

START_TEST (test_comparison_unpruned_is_identical)
{
  g_autoptr (GError) error = NULL;
  PlComparisonOptions options;
  g_autoptr (PlComparison) c = pl_comparison_compute (model, model, dataset, 3,
                                                      scaled_options (&options), NULL, &error);
  ck_assert_msg (c != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (c->label, dataset->labels[3]);
  ck_assert_int_eq (c->pred[0], c->pred[1]);
  ck_assert_int_eq (c->target, c->pred[0]);
  ck_assert_mem_eq (c->saliency[0]->data, c->saliency[1]->data, sizeof (float) * 28 * 28);
  ck_assert_double_eq_tol (c->saliency_similarity.spearman, 1.0, 1e-9);
  ck_assert_double_eq_tol (c->shap_similarity.topk_intersection, 1.0, 1e-12);
  ck_assert_float_eq (pl_tensor_max_abs (c->saliency_diff), 0.0f);
  ck_assert_int_eq (c->grid->n_segments, 16);
}
END_TEST

START_TEST (test_comparison_pruned)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) pruned = pl_prune_magnitude (model, 0.9, PL_PRUNE_SCOPE_GLOBAL, &error);
  PlComparisonOptions options;
  g_autoptr (PlComparison) c = pl_comparison_compute (model, pruned, dataset, 0,
                                                      scaled_options (&options), NULL, &error);
  ck_assert_msg (c != NULL, "%s", error ? error->message : "");
  for (int g = 0; g < 2; g++)
    {
      /* KernelSHAP's efficiency constraint: Σφ = f(x) − φ0, for each network. */
      double lhs = sum (c->shap[g]);
      double rhs = c->target_logit[g] - c->shap_phi0[g];
      ck_assert_msg (fabs (lhs - rhs) < 1e-3 * MAX (1.0, fabs (rhs)),
                     "network %d: sum phi %.6f vs f(x) - phi0 %.6f", g, lhs, rhs);
      /* The patch bars are the saliency map summed over the 4 × 4 grid. */
      ck_assert_double_eq_tol (sum (c->patch[g]), sum (c->saliency[g]), 1e-3 * sum (c->saliency[g]));
      ck_assert (c->prob[g] > 0.0 && c->prob[g] <= 1.0);
    }
  /* Pruning 90 % changes the pruned network's saliency, not the original's. */
  ck_assert_float_gt (pl_tensor_max_abs (c->saliency_diff), 0.0f);
  ck_assert (c->saliency_similarity.spearman < 1.0);
  /* The difference map is pruned − original. */
  ck_assert_float_eq_tol (c->saliency_diff->data[100],
                          c->saliency[1]->data[100] - c->saliency[0]->data[100], 1e-6f);
}
END_TEST

START_TEST (test_comparison_bad_index)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlComparison) c = pl_comparison_compute (model, model, dataset, 10000, NULL, NULL, &error);
  ck_assert_ptr_null (c);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
}
END_TEST


START_TEST (test_check_dataset)
{
  g_autoptr (GError) error = NULL;
  ck_assert (pl_model_check_dataset (model, "fashion-cnn.onnx", dataset, &error));

  /* Five classes for a ten-class dataset: refused, naming the model and both counts. */
  g_autoptr (PlGraph) five = pl_model_build ("cnn", 1, 28, 28, 5, 1, &error);
  ck_assert (!pl_model_check_dataset (five, "five.onnx", dataset, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  ck_assert_msg (strstr (error->message, "five.onnx") && strstr (error->message, "10 classes"),
                 "%s", error->message);
  g_clear_error (&error);

  /* 32 × 32 inputs for 28 × 28 images. */
  g_autoptr (PlGraph) big = pl_model_build ("cnn", 1, 32, 32, 10, 1, &error);
  ck_assert (!pl_model_check_dataset (big, "big.onnx", dataset, &error));
  ck_assert_msg (strstr (error->message, "[1, 32, 32]") && strstr (error->message, "[1, 28, 28]"),
                 "%s", error->message);
  g_clear_error (&error);

  /* A NaN weight makes every logit NaN: refused before any accuracy is reported. */
  g_autoptr (PlGraph) nan = pl_graph_copy (model);
  g_autoptr (GArray) w = pl_graph_prunable_weights (nan);
  pl_graph_value (nan, g_array_index (w, gint, w->len - 1))->init->data[0] = NAN;
  ck_assert (!pl_model_check_dataset (nan, "nan.onnx", dataset, &error));
  ck_assert_msg (strstr (error->message, "not finite"), "%s", error->message);
}
END_TEST

START_TEST (test_training_divergence_is_an_error)
{
  /* A view of the first 128 test images is enough to blow up with lr = 1e30. */
  PlDataset small = *dataset;
  small.n = 128;
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = pl_model_build ("mlp", 1, 28, 28, 10, 1, &error);
  PlTrainConfig config;
  pl_train_config_init (&config);
  config.epochs = 2;
  config.learning_rate = 1e30;
  ck_assert (!pl_train_classifier (g, &small, &config, NULL, NULL, NULL, &error));
  ck_assert_msg (error != NULL && strstr (error->message, "diverged"), "%s",
                 error ? error->message : "no error");
}
END_TEST

START_TEST (test_comparison_methods)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) pruned = pl_prune_magnitude (model, 0.5, PL_PRUNE_SCOPE_GLOBAL, &error);
  PlComparisonOptions options;
  pl_comparison_options_init (&options);
  options.shap_budget = 64;
  g_autoptr (PlComparison) sal = pl_comparison_compute (model, pruned, dataset, 1, &options,
                                                        NULL, &error);
  ck_assert_msg (sal != NULL, "%s", error ? error->message : "");
  for (gint m = 0; m < PL_MAP_N_METHODS; m++)
    {
      options.method = (PlMapMethod) m;
      g_autoptr (PlComparison) c = pl_comparison_compute (model, pruned, dataset, 1, &options,
                                                          NULL, &error);
      ck_assert_msg (c != NULL, "%s: %s", pl_map_method_id (m), error ? error->message : "");
      ck_assert_int_eq (c->saliency[0]->numel, 28 * 28);
      ck_assert_ptr_nonnull (c->map_parameters);
      for (gint g = 0; g < 2; g++)
        {
          ck_assert_float_gt (pl_tensor_max_abs (c->saliency[g]), 0.0f);
          /* The bars are the map summed per patch, whatever the method. */
          ck_assert_double_eq_tol (sum (c->patch[g]), sum (c->saliency[g]),
                                   1e-3 * MAX (1.0, fabs (sum (c->saliency[g]))));
          if (m == PL_MAP_GRADIENT_X_INPUT)
            /* One channel and x ≥ 0: |x ∂f/∂x| = x · max_c |∂f/∂x|, the saliency. */
            for (gint i = 0; i < 28 * 28; i++)
              ck_assert_float_eq_tol (fabsf (c->saliency[g]->data[i]),
                                      c->image->data[i] * sal->saliency[g]->data[i], 1e-5f);
          if (m == PL_MAP_INTEGRATED_GRADIENTS)
            /* Completeness: Σφ = f(x) − f(0) up to the stated residual, which is small. */
            ck_assert_msg (fabs (c->map_residual[g]) < 0.05 * MAX (1.0, fabs (c->target_logit[g])),
                           "IG residual %g", c->map_residual[g]);
          else
            ck_assert (isnan (c->map_residual[g]));
        }
    }
}
END_TEST

/* ---- an independent double-precision forward pass of the default model ---- */

static const float *
init (const char *name, gint64 numel)
{
  gint id = pl_graph_find_value (model, name);
  ck_assert_msg (id >= 0, "no initializer %s", name);
  const PlValue *v = pl_graph_value (model, id);
  ck_assert_ptr_nonnull (v->init);
  ck_assert_int_eq (v->init->numel, numel);
  return v->init->data;
}

/* 3 × 3 convolution, stride 1, zero padding 1, then ReLU: in [C, S, S] -> out [K, S, S]. */
static void
conv3_relu (const double *in, int C, int S, const float *w, const float *b, int K, double *out)
{
  for (int k = 0; k < K; k++)
    for (int y = 0; y < S; y++)
      for (int x = 0; x < S; x++)
        {
          double acc = b[k];
          for (int c = 0; c < C; c++)
            for (int dy = -1; dy <= 1; dy++)
              for (int dx = -1; dx <= 1; dx++)
                {
                  int yy = y + dy, xx = x + dx;
                  if (yy < 0 || yy >= S || xx < 0 || xx >= S)
                    continue;
                  acc += (double) w[((k * C + c) * 3 + (dy + 1)) * 3 + (dx + 1)] *
                         in[(c * S + yy) * S + xx];
                }
          out[(k * S + y) * S + x] = acc > 0 ? acc : 0;
        }
}

/* 2 × 2 max pooling, stride 2: [K, S, S] -> [K, S/2, S/2]. */
static void
maxpool2 (const double *in, int K, int S, double *out)
{
  int T = S / 2;
  for (int k = 0; k < K; k++)
    for (int y = 0; y < T; y++)
      for (int x = 0; x < T; x++)
        {
          double m = in[(k * S + 2 * y) * S + 2 * x];
          for (int d = 1; d < 4; d++)
            m = MAX (m, in[(k * S + 2 * y + d / 2) * S + 2 * x + d % 2]);
          out[(k * T + y) * T + x] = m;
        }
}

/* y = W x + b with W [N, M] (Gemm transB = 1, as PyTorch exports Linear). */
static void
linear (const double *x, int M, const float *w, const float *b, int N, gboolean relu, double *y)
{
  for (int n = 0; n < N; n++)
    {
      double acc = b[n];
      for (int m = 0; m < M; m++)
        acc += (double) w[n * M + m] * x[m];
      y[n] = relu && acc < 0 ? 0 : acc;
    }
}

START_TEST (test_default_model_forward_matches_reference)
{
  /* The architecture the reference below implements, node by node. */
  const char *ops[] = { "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten",
                        "Gemm", "Relu", "Gemm" };
  ck_assert_int_eq (model->nodes->len, G_N_ELEMENTS (ops));
  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    ck_assert_str_eq (((PlNode *) g_ptr_array_index (model->nodes, i))->op_type, ops[i]);

  const float *w1 = init ("conv1.weight", 16 * 9), *b1 = init ("conv1.bias", 16);
  const float *w2 = init ("conv2.weight", 32 * 16 * 9), *b2 = init ("conv2.bias", 32);
  const float *w3 = init ("fc1.weight", 128 * 1568), *b3 = init ("fc1.bias", 128);
  const float *w4 = init ("fc2.weight", 10 * 128), *b4 = init ("fc2.bias", 10);

  g_autoptr (GError) error = NULL;
  PlExecutor *ex = pl_executor_new (model, &error);
  ck_assert_ptr_nonnull (ex);
  for (gint64 sample = 0; sample < 3; sample++)
    {
      g_autoptr (PlTensor) x = pl_dataset_range (dataset, sample, 1, &error);
      g_autoptr (PlTensor) logits = pl_executor_predict (ex, x, 1, NULL, &error);
      ck_assert_ptr_nonnull (logits);

      g_autofree double *in = g_new (double, 28 * 28);
      for (int i = 0; i < 28 * 28; i++)
        in[i] = x->data[i];
      g_autofree double *a1 = g_new (double, 16 * 28 * 28), *p1 = g_new (double, 16 * 14 * 14);
      g_autofree double *a2 = g_new (double, 32 * 14 * 14), *p2 = g_new (double, 32 * 7 * 7);
      g_autofree double *h = g_new (double, 128), *y = g_new (double, 10);
      conv3_relu (in, 1, 28, w1, b1, 16, a1);
      maxpool2 (a1, 16, 28, p1);
      conv3_relu (p1, 16, 14, w2, b2, 32, a2);
      maxpool2 (a2, 32, 14, p2);
      linear (p2, 1568, w3, b3, 128, TRUE, h);
      linear (h, 128, w4, b4, 10, FALSE, y);
      for (int k = 0; k < 10; k++)
        ck_assert_msg (fabs (logits->data[k] - y[k]) < 1e-4 * MAX (1.0, fabs (y[k])),
                       "sample %d logit %d: engine %.7f, reference %.7f", (int) sample, k,
                       logits->data[k], y[k]);
    }
  pl_executor_free (ex);
}
END_TEST

int
main (void)
{
  if (!g_file_test (PL_DEFAULT_DATASET_DIR, G_FILE_TEST_IS_DIR))
    {
      g_printerr ("missing %s (package dataset-fashion-mnist)\n", PL_DEFAULT_DATASET_DIR);
      return EXIT_FAILURE;
    }
  Suite *s = suite_create ("session");
  TCase *tc = tcase_create ("default model");
  tcase_add_unchecked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_default_model_accuracy);
  tcase_add_test (tc, test_default_model_forward_matches_reference);
  tcase_add_test (tc, test_prune_step);
  tcase_add_test (tc, test_comparison_unpruned_is_identical);
  tcase_add_test (tc, test_comparison_pruned);
  tcase_add_test (tc, test_comparison_bad_index);
  tcase_add_test (tc, test_check_dataset);
  tcase_add_test (tc, test_comparison_methods);
  tcase_add_test (tc, test_training_divergence_is_an_error);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_set_fork_status (sr, CK_NOFORK);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
