/* test-attribution.c — saliency, Gradient × Input, SmoothGrad, Integrated Gradients,
 * occlusion and Grad-CAM against hand-computed values and finite differences. */
#include "attribution-models.inc"
#include "onnx/pl-onnx.h"

/* X [N, 2, 5, 5] -> Conv (3 filters 3×3, pad 1) -> Relu -> Flatten -> Gemm (4 classes). */
static PlGraph *
build_cnn (guint32 seed)
{
  GRand *rng = g_rand_new_with_seed (seed);
  PlGraph *g = pl_graph_new ();
  pl_graph_add_input (g, "X", 4, (gint64[]) { -1, 2, 5, 5 });
  g_autoptr (PlTensor) w1 = random_tensor (rng, 4, (gint64[]) { 3, 2, 3, 3 }, -0.5, 0.5);
  g_autoptr (PlTensor) b1 = random_tensor (rng, 1, (gint64[]) { 3 }, -0.1, 0.1);
  g_autoptr (PlTensor) w2 = random_tensor (rng, 2, (gint64[]) { 4, 75 }, -0.3, 0.3);
  g_autoptr (PlTensor) b2 = random_tensor (rng, 1, (gint64[]) { 4 }, -0.1, 0.1);
  g_rand_free (rng);
  pl_graph_add_initializer (g, "W1", w1);
  pl_graph_add_initializer (g, "B1", b1);
  PlNode *conv = pl_graph_add_node (g, "Conv", "conv", 3,
                                    (const char *[]) { "X", "W1", "B1" }, 1,
                                    (const char *[]) { "C" });
  pl_node_set_ints (conv, "kernel_shape", 2, (gint64[]) { 3, 3 });
  pl_node_set_ints (conv, "pads", 4, (gint64[]) { 1, 1, 1, 1 });
  pl_graph_add_node (g, "Relu", "relu", 1, (const char *[]) { "C" }, 1,
                     (const char *[]) { "R" });
  PlNode *flat = pl_graph_add_node (g, "Flatten", "flatten", 1, (const char *[]) { "R" }, 1,
                                    (const char *[]) { "F" });
  pl_node_set_int (flat, "axis", 1);
  add_gemm (g, "F", "logits", "W2", w2, "B2", b2);
  pl_graph_add_output (g, "logits");
  return g;
}

/* Central finite difference of f_t at element i. */
static double
fd_grad (PlExecutor *ex, const PlTensor *x, gint t, gint64 i, double h)
{
  g_autoptr (PlTensor) xp = pl_tensor_dup (x);
  xp->data[i] = (float) (x->data[i] + h);
  double fp = logit_of (ex, xp, t);
  xp->data[i] = (float) (x->data[i] - h);
  double fm = logit_of (ex, xp, t);
  return (fp - fm) / (2 * h);
}

START_TEST (test_saliency_and_gxi_finite_differences)
{
  g_autoptr (PlGraph) g = build_cnn (7);
  PlExecutor *ex = executor_for (g);
  GRand *rng = g_rand_new_with_seed (3);
  g_autoptr (PlTensor) x = random_tensor (rng, 4, (gint64[]) { 1, 2, 5, 5 }, -1, 1);
  g_rand_free (rng);
  g_autoptr (GError) error = NULL;

  PlSaliencyOptions so;
  pl_saliency_options_init (&so);
  so.absolute = FALSE;
  so.reduce = PL_CHANNEL_NONE;
  g_autoptr (PlAttribution) raw = pl_attribution_saliency (ex, x, 2, &so, NULL, &error);
  ck_assert_msg (raw != NULL, "%s", error ? error->message : "");
  ck_assert_str_eq (raw->method, "saliency");
  ck_assert_int_eq (raw->target, 2);
  ck_assert (pl_tensor_same_shape (raw->attribution, x));
  for (gint64 i = 0; i < x->numel; i++)
    ck_assert_double_eq_tol (raw->attribution->data[i], fd_grad (ex, x, 2, i, 1e-3), 2e-3);

  /* Defaults: max over channels of |g|, [1, 1, 5, 5]. */
  g_autoptr (PlAttribution) def = pl_attribution_saliency (ex, x, 2, NULL, NULL, &error);
  ck_assert_int_eq (def->attribution->ndim, 4);
  ck_assert_int_eq (def->attribution->shape[1], 1);
  for (gint p = 0; p < 25; p++)
    ck_assert_float_eq (def->attribution->data[p],
                        fmaxf (fabsf (raw->attribution->data[p]),
                               fabsf (raw->attribution->data[25 + p])));
  ck_assert_ptr_nonnull (strstr (def->parameters, "absolute=yes reduce=max"));
  so.absolute = TRUE;
  so.reduce = PL_CHANNEL_SUM;
  g_autoptr (PlAttribution) sum = pl_attribution_saliency (ex, x, 2, &so, NULL, &error);
  for (gint p = 0; p < 25; p++)
    ck_assert_float_eq_tol (sum->attribution->data[p],
                            fabsf (raw->attribution->data[p])
                            + fabsf (raw->attribution->data[25 + p]), 1e-6);

  g_autoptr (PlAttribution) gxi = pl_attribution_gradient_x_input (ex, x, 2, NULL, &error);
  ck_assert_str_eq (gxi->method, "gradient-x-input");
  for (gint64 i = 0; i < x->numel; i++)
    ck_assert_float_eq_tol (gxi->attribution->data[i], x->data[i] * raw->attribution->data[i],
                            1e-6);

  /* target −1 = the predicted class. */
  ck_assert (pl_executor_forward (ex, x, NULL));
  const PlTensor *out = pl_executor_output (ex, 0);
  gint pred = (gint) pl_tensor_argmax (out->data, 4);
  g_autoptr (PlAttribution) auto_t = pl_attribution_saliency (ex, x, -1, NULL, NULL, &error);
  ck_assert_int_eq (auto_t->target, pred);
  ck_assert_double_eq_tol (auto_t->fx, out->data[pred], 1e-6);

  /* A table row keeps its shape. */
  g_autoptr (PlGraph) mlp = build_mlp_table (5, 8, 3, 9);
  PlExecutor *ex2 = executor_for (mlp);
  g_autoptr (PlTensor) row = tensor_from (2, (gint64[]) { 1, 5 },
                                          (float[]) { 0.3f, -0.2f, 0.9f, 0.1f, -0.7f });
  so.absolute = FALSE;
  g_autoptr (PlAttribution) trow = pl_attribution_saliency (ex2, row, 1, &so, NULL, &error);
  ck_assert (pl_tensor_same_shape (trow->attribution, row));
  for (gint64 i = 0; i < 5; i++)
    ck_assert_double_eq_tol (trow->attribution->data[i], fd_grad (ex2, row, 1, i, 1e-3), 2e-3);

  /* Errors. */
  g_clear_error (&error);
  ck_assert_ptr_null (pl_attribution_saliency (ex, x, 4, NULL, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
  g_autoptr (PlTensor) two = pl_tensor_new_4d (2, 2, 5, 5);
  ck_assert_ptr_null (pl_attribution_saliency (ex, two, 0, NULL, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  pl_executor_free (ex);
  pl_executor_free (ex2);
}
END_TEST

/* The piecewise-linear network of the IG hand computation:
 * h1 = ReLU(x1 − 1), h2 = ReLU(x2), h3 = ReLU(0.6 − x2), f0 = 2 h1 + 3 h2 − h3, f1 = 0. */
static PlGraph *
build_hand_relu (void)
{
  PlGraph *g = pl_graph_new ();
  pl_graph_add_input (g, "x", 2, (gint64[]) { -1, 2 });
  g_autoptr (PlTensor) w1 = tensor_from (2, (gint64[]) { 3, 2 },
                                         (float[]) { 1, 0, 0, 1, 0, -1 });
  g_autoptr (PlTensor) b1 = tensor_from (1, (gint64[]) { 3 }, (float[]) { -1, 0, 0.6f });
  g_autoptr (PlTensor) w2 = tensor_from (2, (gint64[]) { 2, 3 }, (float[]) { 2, 3, -1, 0, 0, 0 });
  g_autoptr (PlTensor) b2 = tensor_from (1, (gint64[]) { 2 }, (float[]) { 0, 0 });
  add_gemm (g, "x", "h", "W1", w1, "B1", b1);
  pl_graph_add_node (g, "Relu", "relu", 1, (const char *[]) { "h" }, 1,
                     (const char *[]) { "r" });
  add_gemm (g, "r", "logits", "W2", w2, "B2", b2);
  pl_graph_add_output (g, "logits");
  return g;
}

START_TEST (test_ig_hand_relu)
{
  /* x = (2, 1), x′ = 0, path (2α, α): h1 active for α > ½, h3 for α < 0.6.
   * ∂f/∂x1 = 2·[α > ½] → φ1 = 2 · 2 · ½ = 2; ∂f/∂x2 = 3 + [α < 0.6] → φ2 = 1 · 3.6 = 3.6.
   * f(x) = 5, f(0) = −0.6, so Σφ = 5.6 = f(x) − f(x′). Midpoint rules with 10 or 20
   * steps integrate these step functions exactly (no node on a kink). */
  g_autoptr (PlGraph) g = build_hand_relu ();
  PlExecutor *ex = executor_for (g);
  g_autoptr (PlTensor) x = tensor_from (2, (gint64[]) { 1, 2 }, (float[]) { 2, 1 });
  g_autoptr (GError) error = NULL;
  PlIntegratedGradientsOptions o;
  pl_integrated_gradients_options_init (&o);
  o.rule = PL_RULE_MIDDLE;
  gint steps[] = { 10, 20 };
  for (gint k = 0; k < 2; k++)
    {
      o.steps = steps[k];
      o.batch = 3;   /* several batches */
      g_autoptr (PlAttribution) a = pl_attribution_integrated_gradients (ex, x, 0, &o, NULL,
                                                                         &error);
      ck_assert_msg (a != NULL, "%s", error ? error->message : "");
      ck_assert_str_eq (a->method, "integrated-gradients");
      ck_assert_double_eq_tol (a->attribution->data[0], 2.0, 1e-5);
      ck_assert_double_eq_tol (a->attribution->data[1], 3.6, 1e-5);
      ck_assert_double_eq_tol (a->fx, 5.0, 1e-6);
      ck_assert_double_eq_tol (a->f_baseline, -0.6, 1e-6);
      ck_assert_double_eq_tol (a->residual, 0.0, 1e-5);
      ck_assert_ptr_nonnull (strstr (a->parameters, "rule=riemann-middle baseline=zero"));
    }
  /* Left Riemann with 4 steps: α = 0, ¼, ½, ¾. ReLU's derivative at 0 is 0 (as in ONNX
   * runtimes and PyTorch), so at α = 0 only h3 passes a gradient: ∂f/∂x2 = 1, 4, 4, 3 and
   * ∂f/∂x1 = 0, 0, 0, 2 → φ1 = 2 · 2/4 = 1, φ2 = 1 · 12/4 = 3; residual 4 − 5.6 = −1.6. */
  o.rule = PL_RULE_LEFT;
  o.steps = 4;
  g_autoptr (PlAttribution) left = pl_attribution_integrated_gradients (ex, x, 0, &o, NULL,
                                                                        &error);
  ck_assert_double_eq_tol (left->attribution->data[0], 1.0, 1e-5);
  ck_assert_double_eq_tol (left->attribution->data[1], 3.0, 1e-5);
  ck_assert_double_eq_tol (left->residual, -1.6, 1e-5);
  /* Right Riemann, 4 steps: α = ¼, ½, ¾, 1: ∂f/∂x1 = 0, 0, 2, 2; ∂f/∂x2 = 4, 4, 3, 3
   * → φ1 = 2, φ2 = 3.5. */
  o.rule = PL_RULE_RIGHT;
  g_autoptr (PlAttribution) right = pl_attribution_integrated_gradients (ex, x, 0, &o, NULL,
                                                                         &error);
  ck_assert_double_eq_tol (right->attribution->data[0], 2.0, 1e-5);
  ck_assert_double_eq_tol (right->attribution->data[1], 3.5, 1e-5);
  /* Trapezoid, 4 steps: the mean of left and right: φ = (1.5, 3.25). */
  o.rule = PL_RULE_TRAPEZOID;
  g_autoptr (PlAttribution) trap = pl_attribution_integrated_gradients (ex, x, 0, &o, NULL,
                                                                        &error);
  ck_assert_double_eq_tol (trap->attribution->data[0], 1.5, 1e-5);
  ck_assert_double_eq_tol (trap->attribution->data[1], 3.25, 1e-5);
  /* A custom baseline x′ = (1, 1): path (1 + α, 1): h1 active for α > 0, h3 never:
   * φ1 = 1 · 2 = 2, φ2 = 0; f(x′) = 3. */
  g_autoptr (PlTensor) base = tensor_from (2, (gint64[]) { 1, 2 }, (float[]) { 1, 1 });
  o.rule = PL_RULE_GAUSS_LEGENDRE;
  o.steps = 7;
  o.baseline = PL_BASELINE_TENSOR;
  o.baseline_tensor = base;
  o.baseline_name = "ones";
  g_autoptr (PlAttribution) cb = pl_attribution_integrated_gradients (ex, x, 0, &o, NULL,
                                                                      &error);
  ck_assert_double_eq_tol (cb->attribution->data[0], 2.0, 1e-5);
  ck_assert_double_eq_tol (cb->attribution->data[1], 0.0, 1e-6);
  ck_assert_double_eq_tol (cb->f_baseline, 3.0, 1e-6);
  ck_assert_ptr_nonnull (strstr (cb->parameters, "baseline=ones"));
  /* Bad options. */
  o.steps = 0;
  g_clear_error (&error);
  ck_assert_ptr_null (pl_attribution_integrated_gradients (ex, x, 0, &o, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  o.steps = 5;
  o.baseline_tensor = NULL;
  g_clear_error (&error);
  ck_assert_ptr_null (pl_attribution_integrated_gradients (ex, x, 0, &o, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  pl_executor_free (ex);
}
END_TEST

/* A smooth model: x [N, 6] -> Gemm(6 -> 5) -> Softmax -> Gemm(5 -> 3). */
static PlGraph *
build_smooth (guint32 seed)
{
  GRand *rng = g_rand_new_with_seed (seed);
  PlGraph *g = pl_graph_new ();
  pl_graph_add_input (g, "x", 2, (gint64[]) { -1, 6 });
  g_autoptr (PlTensor) w1 = random_tensor (rng, 2, (gint64[]) { 5, 6 }, -1.5, 1.5);
  g_autoptr (PlTensor) b1 = random_tensor (rng, 1, (gint64[]) { 5 }, -0.5, 0.5);
  g_autoptr (PlTensor) w2 = random_tensor (rng, 2, (gint64[]) { 3, 5 }, -3, 3);
  g_autoptr (PlTensor) b2 = random_tensor (rng, 1, (gint64[]) { 3 }, -0.5, 0.5);
  g_rand_free (rng);
  add_gemm (g, "x", "h", "W1", w1, "B1", b1);
  PlNode *sm = pl_graph_add_node (g, "Softmax", "softmax", 1, (const char *[]) { "h" }, 1,
                                  (const char *[]) { "p" });
  pl_node_set_int (sm, "axis", -1);
  add_gemm (g, "p", "logits", "W2", w2, "B2", b2);
  pl_graph_add_output (g, "logits");
  return g;
}

START_TEST (test_ig_completeness_smooth)
{
  g_autoptr (PlGraph) g = build_smooth (21);
  PlExecutor *ex = executor_for (g);
  g_autoptr (PlTensor) x = tensor_from (2, (gint64[]) { 1, 6 },
                                        (float[]) { 1.2f, -0.8f, 0.5f, 2.0f, -1.5f, 0.3f });
  g_autoptr (GError) error = NULL;
  PlIntegratedGradientsOptions o;
  pl_integrated_gradients_options_init (&o);
  o.steps = 300;
  /* Explain the class whose logit moves most between x′ = 0 and x. */
  g_autoptr (PlTensor) zero = pl_tensor_new_2d (1, 6);
  gint t = 0;
  for (gint k = 1; k < 3; k++)
    if (fabs (logit_of (ex, x, k) - logit_of (ex, zero, k))
        > fabs (logit_of (ex, x, t) - logit_of (ex, zero, t)))
      t = k;
  double gap = 0;
  for (PlIntegrationRule r = PL_RULE_LEFT; r <= PL_RULE_GAUSS_LEGENDRE; r++)
    {
      o.rule = r;
      g_autoptr (PlAttribution) a = pl_attribution_integrated_gradients (ex, x, t, &o, NULL,
                                                                         &error);
      ck_assert_msg (a != NULL, "%s", error ? error->message : "");
      gap = a->fx - a->f_baseline;
      ck_assert_msg (fabs (gap) > 0.1, "the test model should move the logit (%g)", gap);
      double sum = 0;
      for (gint i = 0; i < 6; i++)
        sum += a->attribution->data[i];
      ck_assert_double_eq_tol (a->residual, sum - gap, 1e-4);
      ck_assert_msg (fabs (a->residual) < 0.01 * fabs (gap), "rule %d: residual %g of %g", r,
                     a->residual, gap);
    }
  /* Few steps leave a visible gap for left Riemann: the residual is not trivially zero. */
  o.rule = PL_RULE_LEFT;
  o.steps = 2;
  g_autoptr (PlAttribution) coarse = pl_attribution_integrated_gradients (ex, x, t, &o, NULL,
                                                                          &error);
  ck_assert (fabs (coarse->residual) > 1e-3);

  /* Uniform baseline: seeded, inside [min x, max x]. */
  o.steps = 20;
  o.baseline = PL_BASELINE_UNIFORM;
  o.seed = 5;
  g_autoptr (PlAttribution) u1 = pl_attribution_integrated_gradients (ex, x, t, &o, NULL, &error);
  g_autoptr (PlAttribution) u2 = pl_attribution_integrated_gradients (ex, x, t, &o, NULL, &error);
  o.seed = 6;
  g_autoptr (PlAttribution) u3 = pl_attribution_integrated_gradients (ex, x, t, &o, NULL, &error);
  ck_assert_int_eq (u1->seed, 5);
  ck_assert (memcmp (u1->attribution->data, u2->attribution->data, 6 * sizeof (float)) == 0);
  ck_assert (memcmp (u1->attribution->data, u3->attribution->data, 6 * sizeof (float)) != 0);
  ck_assert_ptr_nonnull (strstr (u1->parameters, "baseline=uniform low=-1.5 high=2"));
  /* Blur needs an image. */
  o.baseline = PL_BASELINE_BLUR;
  g_clear_error (&error);
  ck_assert_ptr_null (pl_attribution_integrated_gradients (ex, x, t, &o, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  pl_executor_free (ex);
}
END_TEST

START_TEST (test_ig_image_baselines)
{
  /* Linear image model f = Σ w ⊙ x: IG = (x − x′) ⊙ w exactly for any baseline. */
  enum { H = 6, W = 6, D = 36 };
  float wts[2 * D] = { 0 };
  GRand *rng = g_rand_new_with_seed (4);
  for (gint i = 0; i < D; i++)
    wts[i] = (float) g_rand_double_range (rng, -1, 1);
  g_autoptr (PlGraph) g = build_linear_image (1, H, W, 2, wts, (float[]) { 0.5f, 0 });
  PlExecutor *ex = executor_for (g);
  g_autoptr (PlTensor) x = random_tensor (rng, 4, (gint64[]) { 1, 1, H, W }, 0, 1);
  g_rand_free (rng);
  g_autoptr (GError) error = NULL;
  PlIntegratedGradientsOptions o;
  pl_integrated_gradients_options_init (&o);
  o.steps = 3;
  o.baseline = PL_BASELINE_BLUR;
  o.blur_sigma = 1.0;
  g_autoptr (PlAttribution) a = pl_attribution_integrated_gradients (ex, x, 0, &o, NULL, &error);
  ck_assert_msg (a != NULL, "%s", error ? error->message : "");
  /* Reconstruct x′ from φ = (x − x′) w and check it is a blur: the mean is (nearly) kept
   * and the range shrinks. */
  double mx = 0, mb = 0, lo = 1e9, hi = -1e9;
  for (gint i = 0; i < D; i++)
    {
      double xb = x->data[i] - a->attribution->data[i] / wts[i];
      mx += x->data[i];
      mb += xb;
      lo = fmin (lo, xb);
      hi = fmax (hi, xb);
    }
  ck_assert_double_eq_tol (mb / D, mx / D, 0.05);
  ck_assert (hi - lo < 0.5);
  ck_assert_double_eq_tol (a->residual, 0.0, 1e-4);
  ck_assert_ptr_nonnull (strstr (a->parameters, "baseline=blur blur-sigma=1"));

  /* Blur of a constant image is the image: IG is 0. */
  g_autoptr (PlTensor) flat = pl_tensor_new_4d (1, 1, H, W);
  for (gint i = 0; i < D; i++)
    flat->data[i] = 0.4f;
  g_autoptr (PlAttribution) fb = pl_attribution_integrated_gradients (ex, flat, 0, &o, NULL,
                                                                      &error);
  for (gint i = 0; i < D; i++)
    ck_assert_double_eq_tol (fb->attribution->data[i], 0.0, 1e-6);

  /* Dataset-mean baseline via pl_dataset_mean on an in-memory dataset. */
  PlDataset *ds = g_new0 (PlDataset, 1);
  ds->ref_count = 1;
  ds->name = g_strdup ("mem");
  ds->n = 3;
  ds->channels = 1;
  ds->height = H;
  ds->width = W;
  ds->pixels = g_new0 (guint8, 3 * D);
  ds->labels = g_new0 (guint8, 3);
  ds->n_classes = 2;
  for (gint i = 0; i < 3 * D; i++)
    ds->pixels[i] = (guint8) ((i * 37) % 256);
  g_autoptr (PlTensor) mean = pl_dataset_mean (ds, 0, 0, &error);
  ck_assert_int_eq (mean->shape[2], H);
  for (gint i = 0; i < D; i++)
    ck_assert_double_eq_tol (mean->data[i],
                             (((i * 37) % 256) + ((i + D) * 37 % 256) + ((i + 2 * D) * 37 % 256))
                             / 3.0 / 255.0, 1e-6);
  o.baseline = PL_BASELINE_TENSOR;
  o.baseline_tensor = mean;
  o.baseline_name = "dataset-mean";
  g_autoptr (PlAttribution) m = pl_attribution_integrated_gradients (ex, x, 0, &o, NULL, &error);
  for (gint i = 0; i < D; i++)
    ck_assert_double_eq_tol (m->attribution->data[i], (x->data[i] - mean->data[i]) * wts[i],
                             1e-5);
  ck_assert_double_eq_tol (m->f_baseline, logit_of (ex, mean, 0), 1e-5);
  g_clear_error (&error);
  ck_assert_ptr_null (pl_dataset_mean (ds, 2, 5, &error));
  pl_dataset_unref (ds);
  pl_executor_free (ex);
}
END_TEST

START_TEST (test_smoothgrad)
{
  /* On a linear model every gradient is w: SmoothGrad = |w| (max over channels),
   * SmoothGrad² = w², VarGrad = 0, whatever the noise. */
  enum { C = 2, H = 3, W = 4, D = 24 };
  float wts[D * 2];
  GRand *rng = g_rand_new_with_seed (8);
  for (gint i = 0; i < 2 * D; i++)
    wts[i] = (float) g_rand_double_range (rng, -1, 1);
  g_autoptr (PlGraph) g = build_linear_image (C, H, W, 2, wts, (float[]) { 0, 0 });
  PlExecutor *ex = executor_for (g);
  g_autoptr (PlTensor) x = random_tensor (rng, 4, (gint64[]) { 1, C, H, W }, 0, 1);
  g_rand_free (rng);
  g_autoptr (GError) error = NULL;
  PlSmoothGradOptions o;
  pl_smoothgrad_options_init (&o);
  o.n_samples = 10;
  o.batch = 4;
  g_autoptr (PlAttribution) sg = pl_attribution_smoothgrad (ex, x, 1, &o, NULL, &error);
  ck_assert_msg (sg != NULL, "%s", error ? error->message : "");
  ck_assert_str_eq (sg->method, "smoothgrad");
  ck_assert_int_eq (sg->attribution->shape[1], 1);
  for (gint p = 0; p < H * W; p++)
    ck_assert_double_eq_tol (sg->attribution->data[p],
                             fmax (fabs (wts[D + p]), fabs (wts[D + H * W + p])), 1e-5);
  ck_assert_ptr_nonnull (strstr (sg->parameters, "noise=0.15"));
  ck_assert_ptr_nonnull (strstr (sg->parameters, "sigma="));
  o.variant = PL_SMOOTHGRAD_SQUARED;
  o.reduce = PL_CHANNEL_NONE;
  g_autoptr (PlAttribution) sq = pl_attribution_smoothgrad (ex, x, 1, &o, NULL, &error);
  ck_assert_str_eq (sq->method, "smoothgrad-squared");
  for (gint i = 0; i < D; i++)
    ck_assert_double_eq_tol (sq->attribution->data[i], wts[D + i] * wts[D + i], 1e-5);
  o.variant = PL_VARGRAD;
  g_autoptr (PlAttribution) vg = pl_attribution_smoothgrad (ex, x, 1, &o, NULL, &error);
  for (gint i = 0; i < D; i++)
    ck_assert_double_eq_tol (vg->attribution->data[i], 0.0, 1e-6);
  pl_executor_free (ex);

  /* On a ReLU CNN: zero noise gives the saliency; the seed makes results reproducible. */
  g_autoptr (PlGraph) cnn = build_cnn (12);
  ex = executor_for (cnn);
  rng = g_rand_new_with_seed (13);
  g_autoptr (PlTensor) xi = random_tensor (rng, 4, (gint64[]) { 1, 2, 5, 5 }, 0, 1);
  g_rand_free (rng);
  pl_smoothgrad_options_init (&o);
  o.noise_level = 0;
  o.n_samples = 3;
  g_autoptr (PlAttribution) z = pl_attribution_smoothgrad (ex, xi, 0, &o, NULL, &error);
  g_autoptr (PlAttribution) s = pl_attribution_saliency (ex, xi, 0, NULL, NULL, &error);
  for (gint p = 0; p < 25; p++)
    ck_assert_double_eq_tol (z->attribution->data[p], s->attribution->data[p], 1e-6);
  pl_smoothgrad_options_init (&o);
  o.n_samples = 20;
  o.noise_level = 0.3;
  o.seed = 77;
  g_autoptr (PlAttribution) r1 = pl_attribution_smoothgrad (ex, xi, 0, &o, NULL, &error);
  g_autoptr (PlAttribution) r2 = pl_attribution_smoothgrad (ex, xi, 0, &o, NULL, &error);
  o.seed = 78;
  g_autoptr (PlAttribution) r3 = pl_attribution_smoothgrad (ex, xi, 0, &o, NULL, &error);
  ck_assert_int_eq (r1->seed, 77);
  ck_assert (memcmp (r1->attribution->data, r2->attribution->data, 25 * sizeof (float)) == 0);
  ck_assert (memcmp (r1->attribution->data, r3->attribution->data, 25 * sizeof (float)) != 0);
  ck_assert_ptr_nonnull (strstr (r1->parameters, "seed=77"));
  /* VarGrad by hand on the same noise: Var = E[g²] − E[g]², so VarGrad + SG(signed)² =
   * SG² element-wise. */
  o.seed = 77;
  o.reduce = PL_CHANNEL_NONE;
  o.absolute = FALSE;
  g_autoptr (PlAttribution) m1 = pl_attribution_smoothgrad (ex, xi, 0, &o, NULL, &error);
  o.variant = PL_SMOOTHGRAD_SQUARED;
  g_autoptr (PlAttribution) m2 = pl_attribution_smoothgrad (ex, xi, 0, &o, NULL, &error);
  o.variant = PL_VARGRAD;
  g_autoptr (PlAttribution) v = pl_attribution_smoothgrad (ex, xi, 0, &o, NULL, &error);
  for (gint i = 0; i < 50; i++)
    ck_assert_double_eq_tol (v->attribution->data[i] + m1->attribution->data[i]
                             * m1->attribution->data[i], m2->attribution->data[i], 1e-5);
  o.n_samples = 0;
  g_clear_error (&error);
  ck_assert_ptr_null (pl_attribution_smoothgrad (ex, xi, 0, &o, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  pl_executor_free (ex);
}
END_TEST

START_TEST (test_occlusion_region_sum)
{
  /* f0 = Σ of x over the region R = rows 2–3, columns 2–5 of a 6×6 image. */
  enum { H = 6, W = 6, D = 36 };
  float wts[2 * D] = { 0 };
  for (gint y = 2; y < 4; y++)
    for (gint xx = 2; xx < 6; xx++)
      wts[y * W + xx] = 1;
  g_autoptr (PlGraph) g = build_linear_image (1, H, W, 2, wts, (float[]) { 0, 0 });
  PlExecutor *ex = executor_for (g);
  GRand *rng = g_rand_new_with_seed (2);
  g_autoptr (PlTensor) x = random_tensor (rng, 4, (gint64[]) { 1, 1, H, W }, 0.1, 1);
  g_rand_free (rng);
  g_autoptr (GError) error = NULL;
  PlOcclusionOptions o;
  pl_occlusion_options_init (&o);
  o.window_h = o.window_w = 1;
  o.stride_h = o.stride_w = 1;
  o.batch = 7;
  g_autoptr (PlAttribution) a = pl_attribution_occlusion (ex, x, 0, &o, NULL, &error);
  ck_assert_msg (a != NULL, "%s", error ? error->message : "");
  ck_assert_str_eq (a->method, "occlusion");
  /* 1×1 windows: the attribution is the region (x on R, 0 elsewhere). */
  for (gint i = 0; i < D; i++)
    ck_assert_double_eq_tol (a->attribution->data[i], wts[i] * x->data[i], 1e-5);

  /* 2×2 windows, stride 2 (a tiling aligned with R): every pixel gets its window's sum
   * over R. */
  o.window_h = o.window_w = 2;
  o.stride_h = o.stride_w = 2;
  g_autoptr (PlAttribution) t = pl_attribution_occlusion (ex, x, 0, &o, NULL, &error);
  for (gint y = 0; y < H; y++)
    for (gint xx = 0; xx < W; xx++)
      {
        gint y0 = y / 2 * 2, x0 = xx / 2 * 2;
        double s = 0;
        for (gint u = y0; u < y0 + 2; u++)
          for (gint v = x0; v < x0 + 2; v++)
            s += wts[u * W + v] * x->data[u * W + v];
        ck_assert_double_eq_tol (t->attribution->data[y * W + xx], s, 1e-5);
      }

  /* Overlapping 3×3 windows, stride 2 (starts 0, 2, and 3 to reach the edge): each pixel
   * gets the mean of the drops of the windows covering it. Occluding with 1 instead of 0:
   * drop = Σ_{R ∩ window} (x − 1). */
  o.window_h = o.window_w = 3;
  o.baseline = 1.0f;
  g_autoptr (PlAttribution) ov = pl_attribution_occlusion (ex, x, 0, &o, NULL, &error);
  gint starts[] = { 0, 2, 3 };
  for (gint y = 0; y < H; y++)
    for (gint xx = 0; xx < W; xx++)
      {
        double s = 0;
        gint n = 0;
        for (gint a0 = 0; a0 < 3; a0++)
          for (gint b0 = 0; b0 < 3; b0++)
            {
              gint y0 = starts[a0], x0 = starts[b0];
              if (y < y0 || y >= y0 + 3 || xx < x0 || xx >= x0 + 3)
                continue;
              n++;
              for (gint u = y0; u < y0 + 3; u++)
                for (gint v = x0; v < x0 + 3; v++)
                  s += wts[u * W + v] * (x->data[u * W + v] - 1.0);
            }
        ck_assert_int_gt (n, 0);
        ck_assert_double_eq_tol (ov->attribution->data[y * W + xx], s / n, 1e-5);
      }
  ck_assert_ptr_nonnull (strstr (ov->parameters, "window=3x3 stride=2x2 baseline=1"));

  /* Table: f = c · x, windows of 1 feature with per-feature baseline b: c_j (x_j − b_j). */
  float c[4] = { 2, -1, 0.5f, 3 };
  g_autoptr (PlGraph) lin = build_linear_table (4, 1, c, (float[]) { 0.7f });
  PlExecutor *ex2 = executor_for (lin);
  g_autoptr (PlTensor) row = tensor_from (2, (gint64[]) { 1, 4 }, (float[]) { 1, 2, 3, 4 });
  g_autoptr (PlTensor) b = tensor_from (1, (gint64[]) { 4 }, (float[]) { 0.5f, 0.5f, 1, -1 });
  pl_occlusion_options_init (&o);   /* tables default to one feature at a time */
  o.baseline_tensor = b;
  g_autoptr (PlAttribution) tab = pl_attribution_occlusion (ex2, row, 0, &o, NULL, &error);
  ck_assert_msg (tab != NULL, "%s", error ? error->message : "");
  for (gint j = 0; j < 4; j++)
    ck_assert_double_eq_tol (tab->attribution->data[j], c[j] * (row->data[j] - b->data[j]),
                             1e-5);
  ck_assert_ptr_nonnull (strstr (tab->parameters, "window=1 stride=1 baseline=tensor"));
  o.window_w = 9;
  g_clear_error (&error);
  ck_assert_ptr_null (pl_attribution_occlusion (ex2, row, 0, &o, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  pl_executor_free (ex);
  pl_executor_free (ex2);
}
END_TEST

/* X [N, 1, 4, 4] -> Conv(1 -> 2, 1×1) -> Relu -> Flatten -> Gemm(32 -> 2). */
static PlGraph *
build_cam_net (const float *conv_w, const float *conv_b, const float *W2)
{
  PlGraph *g = pl_graph_new ();
  pl_graph_add_input (g, "X", 4, (gint64[]) { -1, 1, 4, 4 });
  g_autoptr (PlTensor) w1 = tensor_from (4, (gint64[]) { 2, 1, 1, 1 }, conv_w);
  g_autoptr (PlTensor) b1 = tensor_from (1, (gint64[]) { 2 }, conv_b);
  pl_graph_add_initializer (g, "W1", w1);
  pl_graph_add_initializer (g, "B1", b1);
  PlNode *conv = pl_graph_add_node (g, "Conv", "conv1", 3,
                                    (const char *[]) { "X", "W1", "B1" }, 1,
                                    (const char *[]) { "A" });
  pl_node_set_ints (conv, "kernel_shape", 2, (gint64[]) { 1, 1 });
  pl_graph_add_node (g, "Relu", "relu1", 1, (const char *[]) { "A" }, 1,
                     (const char *[]) { "R" });
  PlNode *flat = pl_graph_add_node (g, "Flatten", "flatten", 1, (const char *[]) { "R" }, 1,
                                    (const char *[]) { "F" });
  pl_node_set_int (flat, "axis", 1);
  g_autoptr (PlTensor) w2 = tensor_from (2, (gint64[]) { 2, 32 }, W2);
  g_autoptr (PlTensor) b2 = tensor_from (1, (gint64[]) { 2 }, (float[]) { 0, 0 });
  add_gemm (g, "F", "logits", "W2", w2, "B2", b2);
  pl_graph_add_output (g, "logits");
  return g;
}

START_TEST (test_grad_cam_hand)
{
  /* A_k = ReLU(w_k x + b_k); ∂f_t/∂A_k[p] = W2[t, 16 k + p]; α_k = mean_p W2[t, 16 k + p];
   * cam = ReLU(α_0 A_0 + α_1 A_1); the maps are already 4×4 (no resampling). */
  float cw[2] = { 1.0f, -2.0f }, cb[2] = { 0.0f, 0.5f };
  float W2[64];
  GRand *rng = g_rand_new_with_seed (31);
  for (gint i = 0; i < 64; i++)
    W2[i] = (float) g_rand_double_range (rng, -1, 1);
  g_autoptr (PlTensor) x = random_tensor (rng, 4, (gint64[]) { 1, 1, 4, 4 }, -1, 1);
  g_rand_free (rng);
  g_autoptr (PlGraph) g = build_cam_net (cw, cb, W2);
  PlExecutor *ex = executor_for (g);
  g_autoptr (GError) error = NULL;
  for (gint t = 0; t < 2; t++)
    {
      g_autoptr (PlAttribution) a = pl_attribution_grad_cam (ex, x, t, NULL, NULL, &error);
      ck_assert_msg (a != NULL, "%s", error ? error->message : "");
      ck_assert_str_eq (a->method, "grad-cam");
      ck_assert_ptr_nonnull (strstr (a->parameters, "layer=conv1 value=R"));
      double alpha[2] = { 0, 0 };
      for (gint k = 0; k < 2; k++)
        {
          for (gint p = 0; p < 16; p++)
            alpha[k] += W2[t * 32 + 16 * k + p];
          alpha[k] /= 16;
        }
      for (gint p = 0; p < 16; p++)
        {
          double a0 = fmax (0, cw[0] * x->data[p] + cb[0]);
          double a1 = fmax (0, cw[1] * x->data[p] + cb[1]);
          double want = fmax (0, alpha[0] * a0 + alpha[1] * a1);
          ck_assert_double_eq_tol (a->attribution->data[p], want, 1e-5);
        }
      /* Pre-activation maps: α from the gradient through the ReLU. */
      PlGradCamOptions o;
      pl_grad_cam_options_init (&o);
      o.after_relu = FALSE;
      o.layer = "conv1";
      g_autoptr (PlAttribution) pre = pl_attribution_grad_cam (ex, x, t, &o, NULL, &error);
      ck_assert_ptr_nonnull (strstr (pre->parameters, "value=A "));
      ck_assert_ptr_nonnull (strstr (pre->parameters, "after=conv"));
      double beta[2] = { 0, 0 };
      for (gint k = 0; k < 2; k++)
        {
          for (gint p = 0; p < 16; p++)
            if (cw[k] * x->data[p] + cb[k] > 0)
              beta[k] += W2[t * 32 + 16 * k + p];
          beta[k] /= 16;
        }
      for (gint p = 0; p < 16; p++)
        {
          double want = fmax (0, beta[0] * (cw[0] * x->data[p] + cb[0])
                                 + beta[1] * (cw[1] * x->data[p] + cb[1]));
          ck_assert_double_eq_tol (pre->attribution->data[p], want, 1e-5);
        }
    }
  PlGradCamOptions o;
  pl_grad_cam_options_init (&o);
  o.layer = "nope";
  g_clear_error (&error);
  ck_assert_ptr_null (pl_attribution_grad_cam (ex, x, 0, &o, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  pl_executor_free (ex);
}
END_TEST

START_TEST (test_grad_cam_upsampling)
{
  /* Conv 2×2 stride 2 with weights ¼ (average pooling) on 4×4 → A [1, 1, 2, 2];
   * Gemm sums A so α = 1 and cam = A. x is built so that A = [[1, 2], [3, 4]]. The
   * bilinear half-pixel resize 2 → 4 samples source rows/cols 0, ¼, ¾, 1 (clamped). */
  PlGraph *g = pl_graph_new ();
  pl_graph_add_input (g, "X", 4, (gint64[]) { -1, 1, 4, 4 });
  g_autoptr (PlTensor) w1 = tensor_from (4, (gint64[]) { 1, 1, 2, 2 },
                                         (float[]) { 0.25f, 0.25f, 0.25f, 0.25f });
  g_autoptr (PlTensor) b1 = tensor_from (1, (gint64[]) { 1 }, (float[]) { 0 });
  pl_graph_add_initializer (g, "W1", w1);
  pl_graph_add_initializer (g, "B1", b1);
  PlNode *conv = pl_graph_add_node (g, "Conv", "pool", 3, (const char *[]) { "X", "W1", "B1" },
                                    1, (const char *[]) { "A" });
  pl_node_set_ints (conv, "kernel_shape", 2, (gint64[]) { 2, 2 });
  pl_node_set_ints (conv, "strides", 2, (gint64[]) { 2, 2 });
  PlNode *flat = pl_graph_add_node (g, "Flatten", "flatten", 1, (const char *[]) { "A" }, 1,
                                    (const char *[]) { "F" });
  pl_node_set_int (flat, "axis", 1);
  g_autoptr (PlTensor) w2 = tensor_from (2, (gint64[]) { 1, 4 }, (float[]) { 1, 1, 1, 1 });
  g_autoptr (PlTensor) b2 = tensor_from (1, (gint64[]) { 1 }, (float[]) { 0 });
  add_gemm (g, "F", "logits", "W2", w2, "B2", b2);
  pl_graph_add_output (g, "logits");
  g_autoptr (PlGraph) owned = g;
  PlExecutor *ex = executor_for (g);
  g_autoptr (PlTensor) x = pl_tensor_new_4d (1, 1, 4, 4);
  float A[4] = { 1, 2, 3, 4 };
  for (gint y = 0; y < 4; y++)
    for (gint xx = 0; xx < 4; xx++)
      x->data[y * 4 + xx] = A[(y / 2) * 2 + xx / 2];
  g_autoptr (GError) error = NULL;
  g_autoptr (PlAttribution) a = pl_attribution_grad_cam (ex, x, 0, NULL, NULL, &error);
  ck_assert_msg (a != NULL, "%s", error ? error->message : "");
  double s[4][2] = { { 1, 0 }, { 0.75, 0.25 }, { 0.25, 0.75 }, { 0, 1 } }; /* weights of 0, 1 */
  for (gint y = 0; y < 4; y++)
    for (gint xx = 0; xx < 4; xx++)
      {
        double top = s[xx][0] * A[0] + s[xx][1] * A[1];
        double bot = s[xx][0] * A[2] + s[xx][1] * A[3];
        ck_assert_double_eq_tol (a->attribution->data[y * 4 + xx],
                                 s[y][0] * top + s[y][1] * bot, 1e-5);
      }
  /* By hand: 0.75 · (0.75 · 1 + 0.25 · 2) + 0.25 · (0.75 · 3 + 0.25 · 4) = 1.75. */
  ck_assert_double_eq_tol (a->attribution->data[1 * 4 + 1], 1.75, 1e-6);
  ck_assert_ptr_nonnull (strstr (a->parameters, "maps=1x2x2"));
  pl_executor_free (ex);
}
END_TEST

START_TEST (test_cancel_and_progress)
{
  g_autoptr (PlGraph) g = build_cnn (5);
  PlExecutor *ex = executor_for (g);
  GRand *rng = g_rand_new_with_seed (6);
  g_autoptr (PlTensor) x = random_tensor (rng, 4, (gint64[]) { 1, 2, 5, 5 }, 0, 1);
  g_rand_free (rng);
  TestProgress tp;
  test_progress_init (&tp, TRUE);
  g_autoptr (GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
  ck_assert_ptr_null (pl_attribution_integrated_gradients (ex, x, 0, NULL, &tp.progress, &e1));
  ck_assert (g_error_matches (e1, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  ck_assert_ptr_null (pl_attribution_smoothgrad (ex, x, 0, NULL, &tp.progress, &e2));
  ck_assert (g_error_matches (e2, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  ck_assert_ptr_null (pl_attribution_occlusion (ex, x, 0, NULL, &tp.progress, &e3));
  ck_assert (g_error_matches (e3, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  ck_assert_ptr_null (pl_attribution_saliency (ex, x, 0, NULL, &tp.progress, &e4));
  ck_assert (g_error_matches (e4, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  test_progress_clear (&tp);

  test_progress_init (&tp, FALSE);
  PlIntegratedGradientsOptions o;
  pl_integrated_gradients_options_init (&o);
  o.batch = 8;
  g_autoptr (PlAttribution) a = pl_attribution_integrated_gradients (ex, x, 0, &o,
                                                                     &tp.progress, NULL);
  ck_assert_ptr_nonnull (a);
  ck_assert_int_ge (tp.calls, 7);   /* 50 steps in batches of 8 */
  ck_assert_double_eq_tol (tp.last, 1.0, 1e-12);
  test_progress_clear (&tp);
  pl_executor_free (ex);
}
END_TEST

START_TEST (test_default_model)
{
  /* Every image method on the shipped CNN and a Fashion-MNIST test image: shapes, finite
   * values, the predicted class, and IG completeness within 5 % at 128 GL steps. */
  const char *src = g_getenv ("PL_SOURCE_DIR");
  g_autofree char *path = g_build_filename (src ? src : ".", "data", "models",
                                            "fashion-cnn.onnx", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = pl_onnx_load_file (path, &error);
  ck_assert_msg (g != NULL, "%s", error ? error->message : "");
  PlExecutor *ex = executor_for (g);
  g_autoptr (PlDataset) ds = pl_dataset_load_fashion_mnist ("/usr/share/datasets/fashion-mnist",
                                                            "test", &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  g_autoptr (PlTensor) x = pl_dataset_range (ds, 0, 1, &error);

  g_autoptr (PlTensor) logits = pl_executor_predict (ex, x, 1, NULL, &error);
  gint pred = (gint) pl_tensor_argmax (logits->data, 10);
  g_autoptr (PlAttribution) s = pl_attribution_saliency (ex, x, -1, NULL, NULL, &error);
  ck_assert_int_eq (s->target, pred);
  PlIntegratedGradientsOptions io;
  pl_integrated_gradients_options_init (&io);
  io.steps = 128;
  g_autoptr (PlAttribution) ig = pl_attribution_integrated_gradients (ex, x, -1, &io, NULL,
                                                                      &error);
  ck_assert_msg (ig != NULL, "%s", error ? error->message : "");
  ck_assert_msg (fabs (ig->residual) < 0.05 * fabs (ig->fx - ig->f_baseline),
                 "IG residual %g of %g", ig->residual, ig->fx - ig->f_baseline);
  g_autoptr (PlAttribution) cam = pl_attribution_grad_cam (ex, x, -1, NULL, NULL, &error);
  ck_assert_msg (cam != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (cam->attribution->shape[2], 28);
  ck_assert_int_eq (cam->attribution->shape[3], 28);
  ck_assert (pl_tensor_max_abs (cam->attribution) > 0);
  PlOcclusionOptions oo;
  pl_occlusion_options_init (&oo);
  g_autoptr (PlAttribution) occ = pl_attribution_occlusion (ex, x, -1, &oo, NULL, &error);
  ck_assert_ptr_nonnull (strstr (occ->parameters, "windows=169"));   /* 13 × 13 */
  PlSmoothGradOptions so;
  pl_smoothgrad_options_init (&so);
  so.n_samples = 16;
  g_autoptr (PlAttribution) sg = pl_attribution_smoothgrad (ex, x, -1, &so, NULL, &error);
  PlAttribution *all[] = { s, ig, cam, occ, sg };
  for (guint k = 0; k < G_N_ELEMENTS (all); k++)
    {
      ck_assert_int_eq (all[k]->target, pred);
      for (gint64 i = 0; i < all[k]->attribution->numel; i++)
        ck_assert (isfinite (all[k]->attribution->data[i]));
    }
  pl_executor_free (ex);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("attribution");
  TCase *tc = tcase_create ("methods");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_saliency_and_gxi_finite_differences);
  tcase_add_test (tc, test_ig_hand_relu);
  tcase_add_test (tc, test_ig_completeness_smooth);
  tcase_add_test (tc, test_ig_image_baselines);
  tcase_add_test (tc, test_smoothgrad);
  tcase_add_test (tc, test_occlusion_region_sum);
  tcase_add_test (tc, test_grad_cam_hand);
  tcase_add_test (tc, test_grad_cam_upsampling);
  tcase_add_test (tc, test_cancel_and_progress);
  tcase_add_test (tc, test_default_model);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
