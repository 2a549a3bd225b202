/* test-lime-shap.c — pl_lime_shap_compute (src/core/explain/pl-lime-shap.h), the numbers
 * behind the LIME / SHAP figure of the workbench and of explain --figure:
 * - its values are those of the sequence both callers ran before (segments once, LIME with
 *   the fill, KernelSHAP against the fill value, both networks, the original's predicted
 *   class), compared value by value, on images (grid and superpixels, fill value and mean
 *   colour) and on a table row;
 * - on a linear model with every coalition enumerated, KernelSHAP gives the exact Shapley
 *   values φ_i = Σ_{p ∈ i} w_t,p (x_p − fill) and a zero efficiency residual, on both
 *   networks;
 * - rows, quickshift, the small-image grid, progress, cancellation and errors. */
#include "config.h"
#include "attribution-models.inc"
#include "explain/pl-lime-shap.h"

#define K 3

/* Two linear image models 1 × H × W -> K with seeded weights: "original" and "pruned". */
static PlGraph *
linear_image (gint H, gint W, guint32 seed, float **weights)
{
  GRand *rng = g_rand_new_with_seed (seed);
  gint n = K * H * W;
  float *w = g_new (float, n);
  for (gint i = 0; i < n; i++)
    w[i] = (float) g_rand_double_range (rng, -1, 1);
  float b[K] = { 0.1f, -0.2f, 0.3f };
  g_rand_free (rng);
  PlGraph *g = build_linear_image (1, H, W, K, w, b);
  if (weights != NULL)
    *weights = w;
  else
    g_free (w);
  return g;
}

/* A smooth image with structure (for superpixels): a bright disc on a ramp. */
static PlTensor *
test_image (gint H, gint W)
{
  PlTensor *x = pl_tensor_new (4, (gint64[]) { 1, 1, H, W }, NULL);
  for (gint r = 0; r < H; r++)
    for (gint c = 0; c < W; c++)
      x->data[r * W + c] = (float) (hypot (r - H / 2.0, c - W / 3.0) < H / 4.0
                                    ? 0.9 : 0.1 + 0.3 * c / W);
  return x;
}

typedef struct {
  PlLimeShapCell cells[2][2];
  gint target;
} Reference;

static void
reference_clear (Reference *ref)
{
  for (gint m = 0; m < 2; m++)
    for (gint n = 0; n < 2; n++)
      g_free (ref->cells[m][n].values);
}

static float *
copy_values (const PlTensor *t)
{
  return g_memdup2 (t->data, sizeof (float) * (gsize) t->numel);
}

/* What src/cli/cli-explain.c (lime_shap_work) and src/app/pl-lime-shap-view.c (compute)
 * did before they shared pl_lime_shap_compute, on images: executors for both networks, the
 * original's predicted class, then per network LIME (pl_attribution_lime_image) and
 * KernelSHAP (pl_kernel_shap_image against lime.fill_value). */
static void
old_image (PlGraph *g[2], const PlTensor *x, const PlSegmentation *seg, const char *seg_desc,
           const PlLimeOptions *lo, const PlKernelShapOptions *ko, Reference *ref)
{
  PlExecutor *ex[2] = { executor_for (g[0]), executor_for (g[1]) };
  g_autoptr (PlTensor) logits = pl_executor_predict (ex[0], x, 1, NULL, NULL);
  ck_assert_ptr_nonnull (logits);
  ref->target = (gint) pl_tensor_argmax (logits->data, logits->numel);
  for (gint n = 0; n < 2; n++) {
    g_autoptr (PlAttribution) lime = pl_attribution_lime_image (ex[n], x, ref->target, seg,
                                                                seg_desc, lo, NULL, NULL);
    ck_assert_ptr_nonnull (lime);
    PlLimeShapCell *lc = &ref->cells[0][n];
    lc->values = copy_values (lime->attribution);
    lc->r2 = lime->r2;
    lc->fx = lime->fx;
    lc->f0 = lime->intercept;
    double phi0 = NAN, fx = NAN;
    g_autoptr (PlTensor) phi = pl_kernel_shap_image (ex[n], x, ref->target, seg, lo->fill_value,
                                                     ko, &phi0, &fx, NULL, NULL);
    ck_assert_ptr_nonnull (phi);
    PlLimeShapCell *sc = &ref->cells[1][n];
    sc->values = copy_values (phi);
    sc->fx = fx;
    sc->f0 = phi0;
    double sum = 0;
    for (gint64 i = 0; i < phi->numel; i++)
      sum += phi->data[i];
    sc->residual = sum - (fx - phi0);
    sc->r2 = NAN;
    lc->residual = NAN;
  }
  pl_executor_free (ex[0]);
  pl_executor_free (ex[1]);
}

static void
same_double (double a, double b, const char *what)
{
  ck_assert_msg ((isnan (a) && isnan (b)) || a == b, "%s: %.17g, before %.17g", what, a, b);
}

static void
assert_same (const PlLimeShapResult *r, const Reference *ref, gint M)
{
  ck_assert_int_eq (r->target, ref->target);
  ck_assert_int_eq (r->n_items, M);
  for (gint m = 0; m < 2; m++)
    for (gint n = 0; n < 2; n++) {
      const PlLimeShapCell *a = &r->cells[m][n], *b = &ref->cells[m][n];
      ck_assert_ptr_nonnull (a->values);
      for (gint i = 0; i < M; i++)
        ck_assert_msg (a->values[i] == b->values[i], "row %d network %d item %d: %.9g, before "
                       "%.9g", m, n, i, a->values[i], b->values[i]);
      same_double (a->r2, b->r2, "R²");
      same_double (a->fx, b->fx, "f(x)");
      same_double (a->f0, b->f0, "f0");
      same_double (a->residual, b->residual, "residual");
    }
}

START_TEST (test_same_as_before_image)
{
  const gint H = 12, W = 12;
  PlGraph *g[2] = { linear_image (H, W, 7, NULL), linear_image (H, W, 8, NULL) };
  g_autoptr (PlTensor) x = test_image (H, W);
  /* the workbench's and the CLI's defaults (fill value 0 in both methods), then LIME's
   * mean colour with KernelSHAP against 0.25 (the workbench's "Mean colour" fill) */
  for (gint variant = 0; variant < 4; variant++) {
    gboolean grid = variant < 2, mean = variant % 2 == 1;
    if (!grid && !PL_HAVE_VLFEAT)
      continue;
    PlLimeShapOptions o;
    pl_lime_shap_options_init (&o);
    o.lime.n_samples = 200;
    o.lime.seed = o.shap.seed = 5;
    o.shap.budget = 300;
    if (mean) {
      o.lime.fill = PL_LIME_FILL_MEAN;
      o.lime.fill_value = 0.25f;
    }
    g_autoptr (PlSegmentation) seg = NULL;
    g_autofree char *desc = NULL;
    if (grid) {
      o.segmentation = PL_LIME_SHAP_GRID;
      o.grid_rows = 3;
      o.grid_cols = 4;
      seg = pl_segmentation_grid (H, W, 3, 4);
      desc = g_strdup ("grid=3x4");
    } else {
      seg = pl_superpixels (x, &o.superpixels, NULL);
      ck_assert_ptr_nonnull (seg);
      desc = pl_superpixel_options_describe (&o.superpixels);
    }
    g_autoptr (GError) error = NULL;
    g_autoptr (PlLimeShapResult) r = pl_lime_shap_compute (g[0], g[1], x, NULL, &o, NULL,
                                                           &error);
    ck_assert_msg (r != NULL, "%s", error ? error->message : "");
    Reference ref = { 0 };
    old_image (g, x, seg, desc, &o.lime, &o.shap, &ref);
    assert_same (r, &ref, seg->n_segments);
    ck_assert_mem_eq (r->segmentation->labels, seg->labels, sizeof (gint) * H * W);
    ck_assert_str_eq (r->segmentation_description, desc);
    ck_assert (!r->small_image_grid);
    ck_assert_int_eq (r->n_methods, 2);
    ck_assert_int_eq (r->methods[0], PL_LIME_SHAP_LIME);
    ck_assert_int_eq (r->methods[1], PL_LIME_SHAP_KERNEL_SHAP);
    /* the CLI printed these: LIME's own parameters, KernelSHAP's with the baseline */
    ck_assert_ptr_nonnull (strstr (r->parameters[0], desc));
    ck_assert_ptr_nonnull (strstr (r->parameters[0], mean ? "fill=mean" : "fill=0 "));
    g_autofree char *want = g_strdup_printf ("target=%d %s baseline=%g budget=300 seed=5",
                                             ref.target, desc, mean ? 0.25 : 0.0);
    ck_assert_str_eq (r->parameters[1], want);
    reference_clear (&ref);
  }
  pl_graph_unref (g[0]);
  pl_graph_unref (g[1]);
}
END_TEST

START_TEST (test_same_as_before_table)
{
  const gint F = 4;
  PlGraph *g[2] = { build_mlp_table (F, 6, K, 3), build_mlp_table (F, 6, K, 4) };
  GRand *rng = g_rand_new_with_seed (11);
  g_autoptr (PlTensor) train = random_tensor (rng, 2, (gint64[]) { 40, F }, -2, 2);
  g_rand_free (rng);
  g_autoptr (PlTensor) row = pl_tensor_new_2d (1, F);
  memcpy (row->data, train->data + 5 * F, sizeof (float) * F);
  PlLimeShapOptions o;
  pl_lime_shap_options_init (&o);
  o.lime.n_samples = 300;
  g_autoptr (GError) error = NULL;
  g_autoptr (PlLimeShapResult) r = pl_lime_shap_compute (g[0], g[1], row, train, &o, NULL,
                                                         &error);
  ck_assert_msg (r != NULL, "%s", error ? error->message : "");
  ck_assert (r->table);
  ck_assert_ptr_null (r->segmentation);
  /* before: the column means (the workbench's) as KernelSHAP's reference row */
  g_autoptr (PlTensor) reference = pl_tensor_new_2d (1, F);
  for (gint j = 0; j < F; j++) {
    double s = 0;
    for (gint i = 0; i < 40; i++)
      s += train->data[i * F + j];
    reference->data[j] = (float) (s / 40);
  }
  Reference ref = { 0 };
  PlExecutor *ex[2] = { executor_for (g[0]), executor_for (g[1]) };
  g_autoptr (PlTensor) logits = pl_executor_predict (ex[0], row, 1, NULL, NULL);
  ref.target = (gint) pl_tensor_argmax (logits->data, logits->numel);
  for (gint n = 0; n < 2; n++) {
    g_autoptr (PlAttribution) lime = pl_attribution_lime_table (ex[n], row, ref.target, train,
                                                                &o.lime, NULL, NULL);
    g_autoptr (PlAttribution) shap = pl_attribution_kernel_shap_table (ex[n], row, ref.target,
                                                                       reference, &o.shap, NULL,
                                                                       NULL);
    ck_assert (lime != NULL && shap != NULL);
    ref.cells[0][n] = (PlLimeShapCell) { copy_values (lime->attribution), lime->r2, NAN,
                                         lime->fx, lime->intercept };
    double sum = 0;
    for (gint j = 0; j < F; j++)
      sum += shap->attribution->data[j];
    ref.cells[1][n] = (PlLimeShapCell) { copy_values (shap->attribution), NAN,
                                         sum - (shap->fx - shap->f_baseline), shap->fx,
                                         shap->f_baseline };
  }
  pl_executor_free (ex[0]);
  pl_executor_free (ex[1]);
  assert_same (r, &ref, F);
  g_autofree char *want = g_strdup_printf ("target=%d reference=feature-means budget=%d seed=1",
                                           ref.target, 2 * F + 2048);
  ck_assert_str_eq (r->parameters[1], want);
  reference_clear (&ref);
  pl_graph_unref (g[0]);
  pl_graph_unref (g[1]);
}
END_TEST

/* A linear model f_t(x) = Σ_p w_t,p x_p + b_t: the game v(S) = f_t(x with the segments
 * outside S at the fill value) is additive, so φ_i = Σ_{p ∈ segment i} w_t,p (x_p − fill)
 * exactly; with budget ≥ 2^M − 2 KernelSHAP enumerates every coalition and must give
 * them (Lundberg & Lee 2017, Theorem 2), on the pruned network too. */
START_TEST (test_exact_shapley)
{
  const gint H = 4, W = 6;
  float *w[2];
  PlGraph *g[2] = { linear_image (H, W, 21, &w[0]), linear_image (H, W, 22, &w[1]) };
  g_autoptr (PlTensor) x = test_image (H, W);
  PlLimeShapOptions o;
  pl_lime_shap_options_init (&o);
  o.segmentation = PL_LIME_SHAP_GRID;
  o.grid_rows = 2;
  o.grid_cols = 3;                  /* M = 6: 62 coalitions */
  o.shap.budget = 62;
  o.lime.fill_value = 0.2f;
  o.lime.n_samples = 500;
  o.target = 2;
  g_autoptr (GError) error = NULL;
  g_autoptr (PlLimeShapResult) r = pl_lime_shap_compute (g[0], g[1], x, NULL, &o, NULL, &error);
  ck_assert_msg (r != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (r->target, 2);
  ck_assert_int_eq (r->n_items, 6);
  for (gint n = 0; n < 2; n++) {
    const PlLimeShapCell *c = &r->cells[1][n];
    double fx = 0.0;
    for (gint i = 0; i < 6; i++) {
      double want = 0.0;
      for (gint p = 0; p < H * W; p++)
        if (r->segmentation->labels[p] == i)
          want += (double) w[n][2 * H * W + p] * (x->data[p] - 0.2);
      ck_assert_msg (fabs (c->values[i] - want) < 1e-5, "network %d φ_%d = %.8g, exact %.8g", n,
                     i, c->values[i], want);
    }
    for (gint p = 0; p < H * W; p++)
      fx += (double) w[n][2 * H * W + p] * x->data[p];
    fx += 0.3;   /* b_2 */
    ck_assert_double_eq_tol (c->fx, fx, 1e-5);
    ck_assert (fabs (c->residual) < 1e-5);
    /* LIME's surrogate on an additive game fits (almost: ridge shrinks a little) */
    ck_assert_double_gt (r->cells[0][n].r2, 0.99);
  }
  g_free (w[0]);
  g_free (w[1]);
  pl_graph_unref (g[0]);
  pl_graph_unref (g[1]);
}
END_TEST

START_TEST (test_rows_and_segmentations)
{
  const gint H = 16, W = 16;
  PlGraph *g = linear_image (H, W, 31, NULL);
  g_autoptr (PlTensor) x = test_image (H, W);
  PlLimeShapOptions o;
  pl_lime_shap_options_init (&o);
  o.lime.n_samples = 100;
  o.shap.budget = 100;
  o.segmentation = PL_LIME_SHAP_GRID;
  /* one row: LIME alone, KernelSHAP alone; the pruned network may be the original */
  o.want_shap = FALSE;
  g_autoptr (PlLimeShapResult) a = pl_lime_shap_compute (g, NULL, x, NULL, &o, NULL, NULL);
  ck_assert_ptr_nonnull (a);
  ck_assert_int_eq (a->n_methods, 1);
  ck_assert_int_eq (a->methods[0], PL_LIME_SHAP_LIME);
  ck_assert_ptr_null (a->cells[1][0].values);
  ck_assert_mem_eq (a->cells[0][0].values, a->cells[0][1].values, sizeof (float) * 16);
  o.want_shap = TRUE;
  o.want_lime = FALSE;
  g_autoptr (PlLimeShapResult) b = pl_lime_shap_compute (g, NULL, x, NULL, &o, NULL, NULL);
  ck_assert_ptr_nonnull (b);
  ck_assert_int_eq (b->n_methods, 1);
  ck_assert_int_eq (b->methods[0], PL_LIME_SHAP_KERNEL_SHAP);
  ck_assert (isfinite (b->cells[0][0].residual));
  o.want_shap = FALSE;
  g_autoptr (GError) error = NULL;
  ck_assert_ptr_null (pl_lime_shap_compute (g, NULL, x, NULL, &o, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
  o.want_lime = o.want_shap = TRUE;
  /* a table row needs its table */
  g_autoptr (PlTensor) row = pl_tensor_new_2d (1, 4);
  ck_assert_ptr_null (pl_lime_shap_compute (g, NULL, row, NULL, &o, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
  if (PL_HAVE_VLFEAT) {
    /* quickshift is what is asked for, not SLIC */
    o.segmentation = PL_LIME_SHAP_SUPERPIXELS;
    o.superpixels.method = PL_SUPERPIXELS_QUICKSHIFT;
    g_autoptr (PlLimeShapResult) q = pl_lime_shap_compute (g, NULL, x, NULL, &o, NULL, &error);
    ck_assert_msg (q != NULL, "%s", error ? error->message : "");
    ck_assert (g_str_has_prefix (q->segmentation_description, "superpixels=quickshift"));
    ck_assert_ptr_nonnull (strstr (q->parameters[0], "superpixels=quickshift"));
    g_autoptr (PlSegmentation) want = pl_superpixels (x, &o.superpixels, NULL);
    ck_assert_int_eq (q->n_items, want->n_segments);
    ck_assert_mem_eq (q->segmentation->labels, want->labels, sizeof (gint) * H * W);
  }
  pl_graph_unref (g);
}
END_TEST

/* An image too small for superpixels gets a min(4, H) × min(4, W) grid, and says so;
 * without the fallback, the superpixels' error. */
START_TEST (test_small_image_grid)
{
  PlGraph *g = linear_image (2, 3, 41, NULL);
  g_autoptr (PlTensor) x = test_image (2, 3);
  PlLimeShapOptions o;
  pl_lime_shap_options_init (&o);
  o.lime.n_samples = 50;
  g_autoptr (GError) error = NULL;
  g_autoptr (PlLimeShapResult) r = pl_lime_shap_compute (g, NULL, x, NULL, &o, NULL, &error);
  ck_assert_msg (r != NULL, "%s", error ? error->message : "");
  ck_assert (r->small_image_grid);
  ck_assert_str_eq (r->segmentation_description, "grid=2x3");
  ck_assert_int_eq (r->n_items, 6);
  o.small_image_grid = FALSE;
  ck_assert_ptr_null (pl_lime_shap_compute (g, NULL, x, NULL, &o, NULL, &error));
  ck_assert_ptr_nonnull (error);
  pl_graph_unref (g);
}
END_TEST

START_TEST (test_progress_cancel)
{
  const gint H = 8, W = 8;
  PlGraph *g[2] = { linear_image (H, W, 51, NULL), linear_image (H, W, 52, NULL) };
  g_autoptr (PlTensor) x = test_image (H, W);
  PlLimeShapOptions o;
  pl_lime_shap_options_init (&o);
  o.segmentation = PL_LIME_SHAP_GRID;
  o.lime.n_samples = 200;
  TestProgress tp;
  test_progress_init (&tp, FALSE);
  g_autoptr (GError) error = NULL;
  g_autoptr (PlLimeShapResult) r = pl_lime_shap_compute (g[0], g[1], x, NULL, &o, &tp.progress,
                                                         &error);
  ck_assert_msg (r != NULL, "%s", error ? error->message : "");
  ck_assert_int_gt (tp.calls, 3);   /* monotone: test_progress_cb asserts it */
  ck_assert_double_gt (tp.last, 0.95);
  test_progress_clear (&tp);
  test_progress_init (&tp, TRUE);
  ck_assert_ptr_null (pl_lime_shap_compute (g[0], g[1], x, NULL, &o, &tp.progress, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  test_progress_clear (&tp);
  pl_graph_unref (g[0]);
  pl_graph_unref (g[1]);
}
END_TEST

int
main (void)
{
  (void) logit_of;             /* shared helpers this test does not need */
  (void) build_linear_table;
  Suite *s = suite_create ("lime-shap");
  TCase *tc = tcase_create ("compute");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_same_as_before_image);
  tcase_add_test (tc, test_same_as_before_table);
  tcase_add_test (tc, test_exact_shapley);
  tcase_add_test (tc, test_rows_and_segmentations);
  tcase_add_test (tc, test_small_image_grid);
  tcase_add_test (tc, test_progress_cancel);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
