/* test-explain-fast.c — the exact fast paths through the model's linear head
 * (pl_executor_head_*; pl_explain_set_fast): on the shipped CNN and on small random models
 * (Conv first, Gemm first, something else first → plain path), Integrated Gradients,
 * SmoothGrad, KernelSHAP and LIME on images give the plain path's values within 1e-5
 * (relative to the largest value), and the fast path is taken exactly when it applies. */
#include <check.h>
#include <math.h>
#include <string.h>
#include "exec/pl-executor.h"
#include "explain/pl-explain.h"
#include "explain/pl-attribution.h"
#include "onnx/pl-onnx.h"
#include "data/pl-dataset.h"
#include "pl-error.h"

static guint64 rng_state;

static double
urand (void)
{
  guint64 z = (rng_state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  z ^= z >> 31;
  return (double) (z >> 11) / 9007199254740992.0;
}

static PlTensor *
rand_tensor (gint ndim, const gint64 *shape, double lo, double hi)
{
  PlTensor *t = pl_tensor_new (ndim, shape, NULL);
  for (gint64 i = 0; i < t->numel; i++)
    t->data[i] = (float) (lo + (hi - lo) * urand ());
  return t;
}

static void
add_init (PlGraph *g, const char *name, gint ndim, const gint64 *shape, double scale)
{
  g_autoptr (PlTensor) t = rand_tensor (ndim, shape, -scale, scale);
  pl_graph_add_initializer (g, name, t);
}

/* x [N, 2, 8, 8] → Conv (3 filters 3×3, pad 1, bias) → Relu → MaxPool 2×2 → Flatten
 * → Gemm (48 → 5) → logits. With relu_first, a Relu reads x first (no head). */
static PlGraph *
conv_model (gboolean relu_first)
{
  PlGraph *g = pl_graph_new ();
  g->opset = 13;
  pl_graph_add_input (g, "x", 4, (gint64[]) { -1, 2, 8, 8 });
  add_init (g, "W1", 4, (gint64[]) { 3, 2, 3, 3 }, 0.6);
  add_init (g, "B1", 1, (gint64[]) { 3 }, 0.3);
  add_init (g, "W2", 2, (gint64[]) { 5, 48 }, 0.4);
  add_init (g, "B2", 1, (gint64[]) { 5 }, 0.2);
  const char *conv_in = "x";
  if (relu_first)
    {
      pl_graph_add_node (g, "Relu", "r0", 1, (const char *[]) { "x" }, 1,
                         (const char *[]) { "x0" });
      conv_in = "x0";
    }
  PlNode *c = pl_graph_add_node (g, "Conv", "conv", 3, (const char *[]) { conv_in, "W1", "B1" },
                                 1, (const char *[]) { "c" });
  pl_node_set_ints (c, "pads", 4, (gint64[]) { 1, 1, 1, 1 });
  pl_node_set_ints (c, "kernel_shape", 2, (gint64[]) { 3, 3 });
  pl_graph_add_node (g, "Relu", "r", 1, (const char *[]) { "c" }, 1, (const char *[]) { "r" });
  PlNode *p = pl_graph_add_node (g, "MaxPool", "pool", 1, (const char *[]) { "r" }, 1,
                                 (const char *[]) { "p" });
  pl_node_set_ints (p, "kernel_shape", 2, (gint64[]) { 2, 2 });
  pl_node_set_ints (p, "strides", 2, (gint64[]) { 2, 2 });
  pl_graph_add_node (g, "Flatten", "flat", 1, (const char *[]) { "p" }, 1,
                     (const char *[]) { "f" });
  PlNode *gm = pl_graph_add_node (g, "Gemm", "fc", 3, (const char *[]) { "f", "W2", "B2" }, 1,
                                  (const char *[]) { "y" });
  pl_node_set_int (gm, "transB", 1);
  pl_graph_add_output (g, "y");
  ck_assert (pl_graph_validate (g, NULL));
  return g;
}

/* x [N, 6] → Gemm (6 → 7, alpha 0.5, beta 2, C [7]) → Tanh → Gemm (7 → 3) → logits */
static PlGraph *
gemm_model (void)
{
  PlGraph *g = pl_graph_new ();
  g->opset = 13;
  pl_graph_add_input (g, "x", 2, (gint64[]) { -1, 6 });
  add_init (g, "W1", 2, (gint64[]) { 6, 7 }, 0.8);
  add_init (g, "C1", 1, (gint64[]) { 7 }, 0.5);
  add_init (g, "W2", 2, (gint64[]) { 3, 7 }, 0.8);
  PlNode *a = pl_graph_add_node (g, "Gemm", "fc1", 3, (const char *[]) { "x", "W1", "C1" }, 1,
                                 (const char *[]) { "h" });
  pl_node_set_float (a, "alpha", 0.5f);
  pl_node_set_float (a, "beta", 2.0f);
  pl_graph_add_node (g, "Tanh", "t", 1, (const char *[]) { "h" }, 1, (const char *[]) { "t" });
  PlNode *b = pl_graph_add_node (g, "Gemm", "fc2", 2, (const char *[]) { "t", "W2" }, 1,
                                 (const char *[]) { "y" });
  pl_node_set_int (b, "transB", 1);
  pl_graph_add_output (g, "y");
  ck_assert (pl_graph_validate (g, NULL));
  return g;
}

static void
assert_close (const char *what, const float *a, const float *b, gint64 n, double rel)
{
  double scale = 0.0;
  for (gint64 i = 0; i < n; i++)
    scale = fmax (scale, fmax (fabs (a[i]), fabs (b[i])));
  ck_assert_msg (scale > 0.0, "%s: all zero", what);
  for (gint64 i = 0; i < n; i++)
    ck_assert_msg (fabs ((double) a[i] - b[i]) <= rel * scale,
                   "%s[%" G_GINT64_FORMAT "]: fast %.9g, plain %.9g (scale %.3g)", what, i,
                   a[i], b[i], scale);
}

/* Runs IG (two rules, zero and tensor baselines), SmoothGrad (mean and VarGrad), and on
 * images KernelSHAP and LIME over a grid, fast and plain; compares; checks the fast path
 * count rose by `expect_fast` per method that can use it. */
static void
compare_methods (PlExecutor *ex, const PlTensor *x, gboolean expect_fast, double rel)
{
  g_autoptr (GError) error = NULL;
  gint64 shape1[PL_TENSOR_MAX_DIMS];
  memcpy (shape1, x->shape, sizeof shape1);
  g_autoptr (PlTensor) base = rand_tensor (x->ndim, shape1, -0.2, 0.2);
  for (gint variant = 0; variant < 2; variant++)
    {
      PlIntegratedGradientsOptions o;
      pl_integrated_gradients_options_init (&o);
      o.steps = 20;
      o.batch = 8;            /* several chunks, the last one shorter */
      if (variant == 1)
        {
          o.rule = PL_RULE_TRAPEZOID;
          o.baseline = PL_BASELINE_TENSOR;
          o.baseline_tensor = base;
        }
      pl_explain_set_fast (FALSE);
      guint before = pl_explain_fast_uses ();
      g_autoptr (PlAttribution) plain = pl_attribution_integrated_gradients (ex, x, -1, &o,
                                                                             NULL, &error);
      ck_assert_msg (plain != NULL, "%s", error ? error->message : "");
      ck_assert_uint_eq (pl_explain_fast_uses (), before);
      pl_explain_set_fast (TRUE);
      g_autoptr (PlAttribution) fast = pl_attribution_integrated_gradients (ex, x, -1, &o,
                                                                            NULL, &error);
      ck_assert_msg (fast != NULL, "%s", error ? error->message : "");
      ck_assert_uint_eq (pl_explain_fast_uses (), before + (expect_fast ? 1 : 0));
      ck_assert_int_eq (fast->target, plain->target);
      assert_close ("IG", fast->attribution->data, plain->attribution->data, x->numel, rel);
      ck_assert (fabs (fast->residual - plain->residual) <= 1e-4 * (1.0 + fabs (plain->fx)));
    }
  for (gint variant = 0; variant < 2; variant++)
    {
      PlSmoothGradOptions o;
      pl_smoothgrad_options_init (&o);
      o.n_samples = 12;
      o.batch = 5;
      o.variant = variant == 0 ? PL_SMOOTHGRAD : PL_VARGRAD;
      o.absolute = FALSE;
      o.reduce = PL_CHANNEL_NONE;
      pl_explain_set_fast (FALSE);
      guint before = pl_explain_fast_uses ();
      g_autoptr (PlAttribution) plain = pl_attribution_smoothgrad (ex, x, -1, &o, NULL, &error);
      ck_assert_msg (plain != NULL, "%s", error ? error->message : "");
      pl_explain_set_fast (TRUE);
      g_autoptr (PlAttribution) fast = pl_attribution_smoothgrad (ex, x, -1, &o, NULL, &error);
      ck_assert_msg (fast != NULL, "%s", error ? error->message : "");
      /* only the mean variant has a fast path (SmoothGrad² and VarGrad need each
       * sample's input gradient) */
      ck_assert_uint_eq (pl_explain_fast_uses (),
                         before + (expect_fast && variant == 0 ? 1 : 0));
      assert_close ("SmoothGrad", fast->attribution->data, plain->attribution->data,
                    fast->attribution->numel, rel);
    }
  if (x->ndim != 4)
    return;
  g_autoptr (PlSegmentation) seg = pl_segmentation_grid ((gint) x->shape[2],
                                                          (gint) x->shape[3], 3, 3);
  {
    PlKernelShapOptions o = { .budget = 200, .seed = 3, .batch = 48 };
    pl_explain_set_fast (FALSE);
    guint before = pl_explain_fast_uses ();
    double p0 = 0, f0 = 0, p1 = 0, f1 = 0;
    g_autoptr (PlTensor) plain = pl_kernel_shap_image (ex, x, -1, seg, 0.1f, &o, &p0, &f0,
                                                       NULL, &error);
    ck_assert_msg (plain != NULL, "%s", error ? error->message : "");
    pl_explain_set_fast (TRUE);
    g_autoptr (PlTensor) fast = pl_kernel_shap_image (ex, x, -1, seg, 0.1f, &o, &p1, &f1,
                                                      NULL, &error);
    ck_assert_msg (fast != NULL, "%s", error ? error->message : "");
    ck_assert_uint_eq (pl_explain_fast_uses (), before + (expect_fast ? 1 : 0));
    assert_close ("KernelSHAP", fast->data, plain->data, fast->numel, rel);
    ck_assert (fabs (p0 - p1) <= rel * (1.0 + fabs (p0)));
    ck_assert (fabs (f0 - f1) <= rel * (1.0 + fabs (f0)));
  }
  for (gint fill = 0; fill < 2; fill++)
    {
      PlLimeOptions o;
      pl_lime_options_init (&o);
      o.n_samples = 150;
      o.batch = 40;
      o.fill = fill == 0 ? PL_LIME_FILL_MEAN : PL_LIME_FILL_VALUE;
      o.fill_value = -0.3f;
      pl_explain_set_fast (FALSE);
      guint before = pl_explain_fast_uses ();
      g_autoptr (PlAttribution) plain = pl_attribution_lime_image (ex, x, -1, seg, "grid", &o,
                                                                   NULL, &error);
      ck_assert_msg (plain != NULL, "%s", error ? error->message : "");
      pl_explain_set_fast (TRUE);
      g_autoptr (PlAttribution) fast = pl_attribution_lime_image (ex, x, -1, seg, "grid", &o,
                                                                  NULL, &error);
      ck_assert_msg (fast != NULL, "%s", error ? error->message : "");
      ck_assert_uint_eq (pl_explain_fast_uses (), before + (expect_fast ? 1 : 0));
      assert_close ("LIME", fast->attribution->data, plain->attribution->data,
                    fast->attribution->numel, 1e-4);
      ck_assert (fabs (fast->r2 - plain->r2) <= 1e-4);
    }
}

START_TEST (test_head_api)
{
  /* The executor's head: detection, head_linear = the forward value, forward_head with it
   * = the plain forward, backward_to_head + transpose = the input gradient. */
  rng_state = 11;
  g_autoptr (GError) error = NULL;
  for (gint model = 0; model < 3; model++)
    {
      g_autoptr (PlGraph) g = model == 0 ? conv_model (FALSE) : model == 1 ? gemm_model ()
                                                                             : conv_model (TRUE);
      PlExecutor *ex = pl_executor_new (g, &error);
      ck_assert_msg (ex != NULL, "%s", error ? error->message : "");
      gint head = pl_executor_head_value (ex);
      if (model == 2)
        {
          ck_assert_int_eq (head, -1);
          g_autoptr (PlTensor) x = rand_tensor (4, (gint64[]) { 1, 2, 8, 8 }, -1, 1);
          g_autoptr (PlTensor) h = pl_executor_head_linear (ex, x, TRUE, &error);
          ck_assert (h == NULL);
          ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_UNSUPPORTED));
          g_clear_error (&error);
          pl_executor_free (ex);
          continue;
        }
      ck_assert_int_eq (head, pl_graph_find_value (g, model == 0 ? "c" : "h"));
      gint64 n = 6;
      g_autoptr (PlTensor) x = model == 0
        ? rand_tensor (4, (gint64[]) { n, 2, 8, 8 }, -1, 1)
        : rand_tensor (2, (gint64[]) { n, 6 }, -1, 1);
      g_autofree gint *targets = g_new0 (gint, n);
      for (gint64 r = 0; r < n; r++)
        targets[r] = (gint) (r % 3);
      g_autoptr (PlTensor) logits = NULL;
      g_autoptr (PlTensor) grad = pl_executor_class_gradient (ex, x, targets, &logits, &error);
      ck_assert_msg (grad != NULL, "%s", error ? error->message : "");
      ck_assert (pl_executor_forward (ex, x, &error));
      g_autoptr (PlTensor) hv = pl_tensor_dup (pl_executor_value (ex, head));

      g_autoptr (PlTensor) h = pl_executor_head_linear (ex, x, TRUE, &error);
      ck_assert_msg (h != NULL, "%s", error ? error->message : "");
      assert_close ("head", h->data, hv->data, h->numel, 1e-6);
      /* without the bias: linear (L (2x) = 2 L (x)) */
      g_autoptr (PlTensor) x2 = pl_tensor_dup (x);
      for (gint64 i = 0; i < x2->numel; i++)
        x2->data[i] *= 2.f;
      g_autoptr (PlTensor) l1 = pl_executor_head_linear (ex, x, FALSE, &error);
      g_autoptr (PlTensor) l2 = pl_executor_head_linear (ex, x2, FALSE, &error);
      for (gint64 i = 0; i < l1->numel; i++)
        l1->data[i] *= 2.f;
      assert_close ("linear", l2->data, l1->data, l1->numel, 1e-6);

      ck_assert (pl_executor_forward_head (ex, x, h, &error));
      const PlTensor *y = pl_executor_output (ex, 0);
      assert_close ("logits", y->data, logits->data, y->numel, 1e-6);
      g_autoptr (PlTensor) go = pl_tensor_new_like (y);
      for (gint64 r = 0; r < n; r++)
        go->data[r * y->shape[1] + targets[r]] = 1.f;
      ck_assert (pl_executor_backward (ex, go, FALSE, &error));
      ck_assert (pl_executor_input_grad (ex) == NULL);   /* stopped at the head */
      g_autoptr (PlTensor) gh = pl_tensor_dup (pl_executor_value_grad (ex, head));
      g_autoptr (PlTensor) gx = pl_executor_head_transpose (ex, gh, x, &error);
      ck_assert_msg (gx != NULL, "%s", error ? error->message : "");
      assert_close ("input gradient", gx->data, grad->data, grad->numel, 1e-5);

      /* the same after a plain forward, with backward_to_head */
      ck_assert (pl_executor_forward (ex, x, &error));
      ck_assert (pl_executor_backward_to_head (ex, go, &error));
      assert_close ("head gradient", pl_executor_value_grad (ex, head)->data, gh->data,
                    gh->numel, 1e-6);
      /* a wrong head shape is an error, not a crash */
      g_autoptr (PlTensor) bad = pl_tensor_new_1d (3);
      ck_assert (!pl_executor_forward_head (ex, x, bad, &error));
      ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
      g_clear_error (&error);
      g_autoptr (PlTensor) none = pl_executor_head_transpose (ex, bad, x, &error);
      ck_assert (none == NULL && error != NULL);
      g_clear_error (&error);
      pl_executor_free (ex);
    }
}
END_TEST

START_TEST (test_random_models)
{
  rng_state = 5;
  g_autoptr (GError) error = NULL;
  for (gint model = 0; model < 3; model++)
    {
      g_autoptr (PlGraph) g = model == 0 ? conv_model (FALSE) : model == 1 ? gemm_model ()
                                                                             : conv_model (TRUE);
      PlExecutor *ex = pl_executor_new (g, &error);
      ck_assert_msg (ex != NULL, "%s", error ? error->message : "");
      g_autoptr (PlTensor) x = model == 1 ? rand_tensor (2, (gint64[]) { 1, 6 }, -1, 1)
                                          : rand_tensor (4, (gint64[]) { 1, 2, 8, 8 }, 0, 1);
      compare_methods (ex, x, model != 2, 1e-5);
      pl_executor_free (ex);
    }
  pl_explain_set_fast (TRUE);
}
END_TEST

/* A first layer with an inf, a NaN or a huge (3e38) weight: the fast path would reassociate
 * overflowing sums, so the executor offers no head and explanations take the plain path. */
START_TEST (test_nonfinite_head)
{
  rng_state = 9;
  g_autoptr (GError) error = NULL;
  const float bad[] = { INFINITY, NAN, 3e38f };
  for (guint k = 0; k < G_N_ELEMENTS (bad); k++)
    {
      g_autoptr (PlGraph) g = conv_model (FALSE);
      gint w1 = pl_graph_find_value (g, "W1");
      ck_assert_int_ge (w1, 0);
      pl_graph_value (g, w1)->init->data[4] = bad[k];
      PlExecutor *ex = pl_executor_new (g, &error);
      ck_assert_msg (ex != NULL, "%s", error ? error->message : "");
      ck_assert_int_eq (pl_executor_head_value (ex), -1);
      pl_executor_free (ex);
    }
  g_autoptr (PlGraph) ok = conv_model (FALSE);
  PlExecutor *ex = pl_executor_new (ok, &error);
  ck_assert_int_ge (pl_executor_head_value (ex), 0);
  pl_executor_free (ex);
}
END_TEST

START_TEST (test_default_model)
{
  const char *src = g_getenv ("PL_SOURCE_DIR");
  g_autofree char *path = g_build_filename (src ? src : ".", "data", "models",
                                            "fashion-cnn.onnx", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = pl_onnx_load_file (path, &error);
  ck_assert_msg (g != NULL, "%s", error ? error->message : "");
  PlExecutor *ex = pl_executor_new (g, &error);
  ck_assert_msg (ex != NULL, "%s", error ? error->message : "");
  ck_assert_int_ge (pl_executor_head_value (ex), 0);
  g_autoptr (PlDataset) ds = pl_dataset_load_fashion_mnist ("/usr/share/datasets/fashion-mnist",
                                                            "test", NULL);
  g_autoptr (PlTensor) x = NULL;
  if (ds != NULL)
    x = pl_dataset_range (ds, 0, 1, &error);
  else
    {
      rng_state = 7;
      x = rand_tensor (4, (gint64[]) { 1, 1, 28, 28 }, 0, 1);
    }
  ck_assert (x != NULL);
  compare_methods (ex, x, TRUE, 1e-5);
  pl_explain_set_fast (TRUE);
  pl_executor_free (ex);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("explain-fast");
  TCase *tc = tcase_create ("fast");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_head_api);
  tcase_add_test (tc, test_random_models);
  tcase_add_test (tc, test_nonfinite_head);
  tcase_add_test (tc, test_default_model);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_set_fork_status (sr, CK_NOFORK);
  srunner_run_all (sr, CK_NORMAL);
  gint failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
