/* test-lime.c — weighted ridge, superpixels, LIME (tables and images), permutation
 * importance, mean |SHAP| and table KernelSHAP against known answers. */
#include "attribution-models.inc"

START_TEST (test_weighted_ridge)
{
  /* y = 1 + 2 x1 − 3 x2 exactly: α = 0 recovers it with R² = 1 whatever the weights. */
  double X[12] = { 0, 0, 1, 0, 0, 1, 1, 1, 2, -1, -1, 3 };
  double y[6], w[6] = { 1, 2, 0.5, 1, 3, 0.1 };
  for (gint i = 0; i < 6; i++)
    y[i] = 1 + 2 * X[2 * i] - 3 * X[2 * i + 1];
  double beta[2], b0, r2;
  g_autoptr (GError) error = NULL;
  ck_assert (pl_weighted_ridge (X, y, w, 6, 2, 0.0, beta, &b0, &r2, &error));
  ck_assert_double_eq_tol (beta[0], 2, 1e-10);
  ck_assert_double_eq_tol (beta[1], -3, 1e-10);
  ck_assert_double_eq_tol (b0, 1, 1e-10);
  ck_assert_double_eq_tol (r2, 1, 1e-12);
  /* One feature, x = (−1, 1), y = (−1, 1), unit weights: β = Σxy / (Σx² + α) = 2 / 3 at
   * α = 1, intercept 0; ŷ = ∓⅔, R² = 1 − 2 (⅓)² / 2 = 8/9. */
  double x1[2] = { -1, 1 }, y1[2] = { -1, 1 }, w1[2] = { 1, 1 };
  ck_assert (pl_weighted_ridge (x1, y1, w1, 2, 1, 1.0, beta, &b0, &r2, &error));
  ck_assert_double_eq_tol (beta[0], 2.0 / 3.0, 1e-12);
  ck_assert_double_eq_tol (b0, 0, 1e-12);
  ck_assert_double_eq_tol (r2, 8.0 / 9.0, 1e-12);
  /* Weights shift the intercept: x = (0, 0, 1), y = (0, 2, 5), w = (1, 3, 1), α = 0:
   * weighted mean of y at x = 0 is 1.5, so b0 = 1.5 and β = 3.5. */
  double x3[3] = { 0, 0, 1 }, y3[3] = { 0, 2, 5 }, w3[3] = { 1, 3, 1 };
  ck_assert (pl_weighted_ridge (x3, y3, w3, 3, 1, 0.0, beta, &b0, NULL, &error));
  ck_assert_double_eq_tol (b0, 1.5, 1e-12);
  ck_assert_double_eq_tol (beta[0], 3.5, 1e-12);
  /* A constant feature without ridge is singular: an error, not a wrong answer. */
  double xc[3] = { 1, 1, 1 };
  ck_assert (!pl_weighted_ridge (xc, y3, w3, 3, 1, 0.0, beta, &b0, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
  double wneg[3] = { 1, -1, 1 };
  ck_assert (!pl_weighted_ridge (x3, y3, wneg, 3, 1, 1.0, beta, &b0, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
}
END_TEST

START_TEST (test_lime_table_linear)
{
  /* f0 = c · x. Training data with column means 1 and population sd 1 (rows 0 and 2):
   * standardised coefficients are c, so LIME must rank features by |c|. */
  enum { F = 6 };
  float c[2 * F] = { 3, -1, 0.5f, 0, 2, -4, 0, 0, 0, 0, 0, 0 };
  g_autoptr (PlGraph) g = build_linear_table (F, 2, c, (float[]) { 0.25f, 0 });
  PlExecutor *ex = executor_for (g);
  g_autoptr (PlTensor) train = pl_tensor_new_2d (2, F);
  for (gint j = 0; j < F; j++)
    train->data[F + j] = 2;
  g_autoptr (PlTensor) row = tensor_from (2, (gint64[]) { 1, F },
                                          (float[]) { 0.5f, 1.5f, -0.2f, 2, 1, 0.3f });
  g_autoptr (GError) error = NULL;
  PlLimeOptions o;
  pl_lime_options_init (&o);
  g_autoptr (PlAttribution) a = pl_attribution_lime_table (ex, row, 0, train, &o, NULL, &error);
  ck_assert_msg (a != NULL, "%s", error ? error->message : "");
  ck_assert_str_eq (a->method, "lime");
  ck_assert_int_eq (a->attribution->numel, F);
  ck_assert (a->r2 > 0.999);
  for (gint j = 0; j < F; j++)
    ck_assert_double_eq_tol (a->attribution->data[j], c[j], 0.02 * fabs (c[j]) + 0.01);
  gint order[F] = { 5, 0, 4, 1, 2, 3 };   /* by |c|: 4, 3, 2, 1, 0.5, 0 */
  for (gint k = 0; k + 1 < F; k++)
    ck_assert (fabs (a->attribution->data[order[k]]) > fabs (a->attribution->data[order[k + 1]]));
  ck_assert_ptr_nonnull (strstr (a->parameters, "kernel-width=1.83712"));  /* 0.75 √6 */
  ck_assert_ptr_nonnull (strstr (a->parameters, "seed=1"));
  /* Seeds: same seed, same result; another seed, another sample. */
  g_autoptr (PlAttribution) b = pl_attribution_lime_table (ex, row, 0, train, &o, NULL, &error);
  ck_assert (memcmp (a->attribution->data, b->attribution->data, F * sizeof (float)) == 0);
  o.seed = 2;
  g_autoptr (PlAttribution) d = pl_attribution_lime_table (ex, row, 0, train, &o, NULL, &error);
  ck_assert (memcmp (a->attribution->data, d->attribution->data, F * sizeof (float)) != 0);
  /* A wrong training width is refused. */
  g_autoptr (PlTensor) bad = pl_tensor_new_2d (3, F - 1);
  g_clear_error (&error);
  ck_assert_ptr_null (pl_attribution_lime_table (ex, row, 0, bad, &o, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  pl_executor_free (ex);
}
END_TEST

/* An 8×8 image model summing region R = rows 0–3, columns 0–5 of channel 0 with weight
 * 1 and of channel 1 with weight 2. */
static void
region_weights (float *w)
{
  memset (w, 0, sizeof (float) * 2 * 128);
  for (gint y = 0; y < 4; y++)
    for (gint x = 0; x < 6; x++)
      {
        w[y * 8 + x] = 1;
        w[64 + y * 8 + x] = 2;
      }
}

START_TEST (test_lime_image_linear)
{
  /* Hidden segments are set to 0, so f(z) = Σ_j z_j s_j with s_j the weighted sum of x over
   * segment j ∩ R: a linear game that LIME's surrogate must recover (up to the ridge
   * shrinkage) with R² ≈ 1, ranking segments like s_j. */
  float w[2 * 128];
  region_weights (w);
  float b[2] = { 0.5f, 0 };
  g_autoptr (PlGraph) g = build_linear_image (2, 8, 8, 2, w, b);
  PlExecutor *ex = executor_for (g);
  GRand *rng = g_rand_new_with_seed (17);
  g_autoptr (PlTensor) x = random_tensor (rng, 4, (gint64[]) { 1, 2, 8, 8 }, 0.2, 1);
  g_rand_free (rng);
  g_autoptr (PlSegmentation) seg = pl_segmentation_grid (8, 8, 4, 4);
  double s[16] = { 0 };
  for (gint c = 0; c < 2; c++)
    for (gint p = 0; p < 64; p++)
      s[seg->labels[p]] += w[c * 64 + p] * x->data[c * 64 + p];
  g_autoptr (GError) error = NULL;
  PlLimeOptions o;
  pl_lime_options_init (&o);
  o.fill = PL_LIME_FILL_VALUE;
  o.fill_value = 0;
  o.n_samples = 2000;
  g_autoptr (PlAttribution) a = pl_attribution_lime_image (ex, x, 0, seg, "grid=4x4", &o, NULL,
                                                           &error);
  ck_assert_msg (a != NULL, "%s", error ? error->message : "");
  ck_assert (a->r2 > 0.999);
  ck_assert_double_eq_tol (a->fx, logit_of (ex, x, 0), 1e-5);
  double smax = 0;
  for (gint j = 0; j < 16; j++)
    smax = fmax (smax, fabs (s[j]));
  /* Ridge (α = 1) shrinks a little and lets sampling noise leak into empty segments. */
  for (gint j = 0; j < 16; j++)
    ck_assert_double_eq_tol (a->attribution->data[j], s[j], 0.02 * fabs (s[j]) + 0.005 * smax);
  for (gint j = 0; j < 16; j++)
    for (gint k = 0; k < 16; k++)
      if (s[j] > s[k] + 0.1)
        ck_assert (a->attribution->data[j] > a->attribution->data[k]);
  ck_assert_ptr_nonnull (strstr (a->parameters, "grid=4x4 distance=cosine kernel-width=0.25"));
  ck_assert_ptr_nonnull (strstr (a->parameters, "fill=0"));
  /* Without the ridge penalty the surrogate of a linear game is the game itself. */
  o.ridge_alpha = 0;
  g_autoptr (PlAttribution) exact = pl_attribution_lime_image (ex, x, 0, seg, NULL, &o, NULL,
                                                               &error);
  for (gint j = 0; j < 16; j++)
    ck_assert_double_eq_tol (exact->attribution->data[j], s[j], 1e-4);
  ck_assert_double_eq_tol (exact->intercept, 0.5, 1e-4);
  ck_assert_double_eq_tol (exact->r2, 1.0, 1e-9);
  o.ridge_alpha = 1;

  /* Mean fill: a hidden segment takes its own per-channel mean, so the game is linear
   * with s_j = Σ_{p ∈ j} w_p (x_p − mean_j(x)). */
  double sm[16] = { 0 };
  for (gint c = 0; c < 2; c++)
    {
      double mean[16] = { 0 };
      for (gint p = 0; p < 64; p++)
        mean[seg->labels[p]] += x->data[c * 64 + p] / 4.0;
      for (gint p = 0; p < 64; p++)
        sm[seg->labels[p]] += w[c * 64 + p] * (x->data[c * 64 + p] - mean[seg->labels[p]]);
    }
  o.fill = PL_LIME_FILL_MEAN;
  g_autoptr (PlAttribution) m = pl_attribution_lime_image (ex, x, 0, seg, NULL, &o, NULL,
                                                           &error);
  for (gint j = 0; j < 16; j++)
    ck_assert_double_eq_tol (m->attribution->data[j], sm[j], 0.02 * fabs (sm[j]) + 0.005 * smax);
  ck_assert_ptr_nonnull (strstr (m->parameters, "fill=mean"));

  /* Seeded: the same seed gives the same coefficients, another seed others. */
  g_autoptr (PlAttribution) m2 = pl_attribution_lime_image (ex, x, 0, seg, NULL, &o, NULL,
                                                            &error);
  ck_assert (memcmp (m->attribution->data, m2->attribution->data, 16 * sizeof (float)) == 0);
  o.seed = 99;
  g_autoptr (PlAttribution) m3 = pl_attribution_lime_image (ex, x, 0, seg, NULL, &o, NULL,
                                                            &error);
  ck_assert (memcmp (m->attribution->data, m3->attribution->data, 16 * sizeof (float)) != 0);
  ck_assert_int_eq (m3->seed, 99);
  /* Cancellation. */
  TestProgress tp;
  test_progress_init (&tp, TRUE);
  g_clear_error (&error);
  ck_assert_ptr_null (pl_attribution_lime_image (ex, x, 0, seg, NULL, &o, &tp.progress, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  test_progress_clear (&tp);
  /* A segmentation of another size is refused. */
  g_autoptr (PlSegmentation) other = pl_segmentation_grid (7, 8, 2, 2);
  g_clear_error (&error);
  ck_assert_ptr_null (pl_attribution_lime_image (ex, x, 0, other, NULL, &o, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  pl_executor_free (ex);
}
END_TEST

START_TEST (test_superpixels)
{
  /* Two flat halves (left 0.1, right 0.9) of a 16×16 image: no superpixel may cross the
   * edge, and labels are 0..M−1 in first-pixel order. */
  g_autoptr (PlTensor) img = pl_tensor_new_4d (1, 1, 16, 16);
  for (gint y = 0; y < 16; y++)
    for (gint x = 0; x < 16; x++)
      img->data[y * 16 + x] = x < 8 ? 0.1f : 0.9f;
  g_autoptr (GError) error = NULL;
  PlSuperpixelOptions o;
  pl_superpixel_options_init (&o);
  for (gint method = 0; method < 2; method++)
    {
      o.method = method;
      g_autoptr (PlSegmentation) s = pl_superpixels (img, &o, &error);
      ck_assert_msg (s != NULL, "%s", error ? error->message : "");
      ck_assert_int_gt (s->n_segments, 1);
      ck_assert_int_le (s->n_segments, 128);
      gint next = 0;
      g_autofree gint *side = g_new (gint, s->n_segments);
      for (gint i = 0; i < s->n_segments; i++)
        side[i] = -1;
      for (gint p = 0; p < 256; p++)
        {
          gint l = s->labels[p];
          ck_assert_int_ge (l, 0);
          ck_assert_int_le (l, next);
          if (l == next)
            next++;
          gint h = (p % 16) < 8;
          if (side[l] < 0)
            side[l] = h;
          ck_assert_msg (side[l] == h, "method %d: segment %d crosses the edge", method, l);
        }
      ck_assert_int_eq (next, s->n_segments);
      ck_assert_str_eq (s->names[0], "s0");
    }
  /* A SLIC region size of 4 on a 16×16 flat image gives about (16/4)² regions. */
  g_autoptr (PlTensor) flat = pl_tensor_new_4d (1, 1, 16, 16);
  o.method = PL_SUPERPIXELS_SLIC;
  g_autoptr (PlSegmentation) f = pl_superpixels (flat, &o, &error);
  ck_assert_int_ge (f->n_segments, 8);
  ck_assert_int_le (f->n_segments, 24);
  g_autofree char *desc = pl_superpixel_options_describe (&o);
  ck_assert_str_eq (desc, "superpixels=slic region-size=4 regularization=0.01 min-region-size=4");
  o.region_size = 0;
  ck_assert_ptr_null (pl_superpixels (flat, &o, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
}
END_TEST

START_TEST (test_kernel_shap_table_exact)
{
  /* KernelSHAP with all 2^6 − 2 coalitions equals the exact Shapley values of the same
   * game, computed here independently from the Shapley formula with forward passes. */
  enum { F = 6 };
  g_autoptr (PlGraph) g = build_mlp_table (F, 10, 3, 41);
  PlExecutor *ex = executor_for (g);
  g_autoptr (PlTensor) x = tensor_from (2, (gint64[]) { 1, F },
                                        (float[]) { 0.9f, -1.2f, 0.4f, 1.5f, -0.3f, 0.8f });
  g_autoptr (PlTensor) r = tensor_from (1, (gint64[]) { F },
                                        (float[]) { 0.1f, 0.2f, -0.1f, 0, 0.3f, -0.2f });
  double v[1 << F];
  g_autoptr (PlTensor) probe = pl_tensor_new_2d (1, F);
  for (gint mask = 0; mask < (1 << F); mask++)
    {
      for (gint j = 0; j < F; j++)
        probe->data[j] = (mask >> j) & 1 ? x->data[j] : r->data[j];
      v[mask] = logit_of (ex, probe, 2);
    }
  double phi[F] = { 0 };
  double fact[F + 1] = { 1 };
  for (gint k = 1; k <= F; k++)
    fact[k] = fact[k - 1] * k;
  for (gint i = 0; i < F; i++)
    for (gint mask = 0; mask < (1 << F); mask++)
      if (!((mask >> i) & 1))
        {
          gint s = __builtin_popcount (mask);
          phi[i] += fact[s] * fact[F - s - 1] / fact[F] * (v[mask | (1 << i)] - v[mask]);
        }
  PlKernelShapOptions ko = { .budget = 100, .seed = 3, .batch = 16 };
  g_autoptr (GError) error = NULL;
  g_autoptr (PlAttribution) a = pl_attribution_kernel_shap_table (ex, x, 2, r, &ko, NULL,
                                                                  &error);
  ck_assert_msg (a != NULL, "%s", error ? error->message : "");
  for (gint i = 0; i < F; i++)
    ck_assert_double_eq_tol (a->attribution->data[i], phi[i], 1e-5);
  ck_assert_double_eq_tol (a->f_baseline, v[0], 1e-6);
  ck_assert_double_eq_tol (a->fx, v[(1 << F) - 1], 1e-6);
  ck_assert_ptr_nonnull (strstr (a->parameters, "enumerated=yes"));
  pl_executor_free (ex);
}
END_TEST

START_TEST (test_permutation_table)
{
  /* logits = (x0, −x0), label = [x0 < 0]: accuracy 1; shuffling x1 or x2 cannot change a
   * prediction (importance exactly 0 ± 0); shuffling x0 breaks about half of them. */
  enum { N = 200, F = 3 };
  float W[2 * F] = { 1, 0, 0, -1, 0, 0 };
  g_autoptr (PlGraph) g = build_linear_table (F, 2, W, (float[]) { 0, 0 });
  PlExecutor *ex = executor_for (g);
  GRand *rng = g_rand_new_with_seed (9);
  g_autoptr (PlTensor) data = random_tensor (rng, 2, (gint64[]) { N, F }, -1, 1);
  g_rand_free (rng);
  gint labels[N];
  for (gint i = 0; i < N; i++)
    labels[i] = data->data[i * F] < 0;
  PlPermutationOptions o;
  pl_permutation_options_init (&o);
  o.batch = 64;
  g_autoptr (GError) error = NULL;
  g_autoptr (PlAttribution) a = pl_permutation_importance_table (ex, data, labels, &o, NULL,
                                                                 &error);
  ck_assert_msg (a != NULL, "%s", error ? error->message : "");
  ck_assert_str_eq (a->method, "permutation-importance");
  ck_assert_double_eq (a->intercept, 1.0);
  ck_assert (a->attribution->data[0] > 0.3 && a->attribution->data[0] < 0.7);
  ck_assert (a->sd->data[0] > 0);
  for (gint j = 1; j < F; j++)
    {
      ck_assert_float_eq (a->attribution->data[j], 0.0f);
      ck_assert_float_eq (a->sd->data[j], 0.0f);
    }
  ck_assert_ptr_nonnull (strstr (a->parameters, "metric=accuracy repeats=5"));
  /* Class score: the true-class logit is |x0|; after shuffling x0 it is s_i x0_π(i) with
   * s_i = ±1 the sign of x0_i. One repeat: the drop must equal mean |x0| − mean s_i x0_π(i)
   * for the permutation used — check its bounds: 0 < drop ≤ 2 mean |x0|. */
  o.metric = PL_PERMUTATION_CLASS_SCORE;
  o.repeats = 1;
  g_autoptr (PlAttribution) cs = pl_permutation_importance_table (ex, data, labels, &o, NULL,
                                                                  &error);
  double mabs = 0;
  for (gint i = 0; i < N; i++)
    mabs += fabs (data->data[i * F]) / N;
  ck_assert_double_eq_tol (cs->intercept, mabs, 1e-5);
  ck_assert (cs->attribution->data[0] > 0 && cs->attribution->data[0] <= 2 * mabs);
  ck_assert_float_eq (cs->attribution->data[1], 0.0f);
  /* Seeds reproduce. */
  g_autoptr (PlAttribution) cs2 = pl_permutation_importance_table (ex, data, labels, &o, NULL,
                                                                   &error);
  ck_assert_float_eq (cs->attribution->data[0], cs2->attribution->data[0]);
  /* Cancellation. */
  TestProgress tp;
  test_progress_init (&tp, TRUE);
  g_clear_error (&error);
  ck_assert_ptr_null (pl_permutation_importance_table (ex, data, labels, &o, &tp.progress,
                                                       &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  test_progress_clear (&tp);
  pl_executor_free (ex);
}
END_TEST

START_TEST (test_global_shap_table)
{
  /* f0 = c · x + b with reference r: φ_j = c_j (x_j − r_j) for every row, so the global
   * importance is mean_i |c_j (x_ij − r_j)|. */
  enum { N = 12, F = 4 };
  float c[2 * F] = { 1.5f, -2, 0, 0.5f, 0, 0, 0, 0 };
  g_autoptr (PlGraph) g = build_linear_table (F, 2, c, (float[]) { 0.3f, 0 });
  PlExecutor *ex = executor_for (g);
  GRand *rng = g_rand_new_with_seed (14);
  g_autoptr (PlTensor) data = random_tensor (rng, 2, (gint64[]) { N, F }, -1, 1);
  g_rand_free (rng);
  g_autoptr (PlTensor) r = tensor_from (1, (gint64[]) { F }, (float[]) { 0.1f, -0.1f, 0, 0.2f });
  g_autoptr (GError) error = NULL;
  g_autoptr (PlAttribution) a = pl_global_shap_table (ex, data, 0, r, NULL, NULL, &error);
  ck_assert_msg (a != NULL, "%s", error ? error->message : "");
  for (gint j = 0; j < F; j++)
    {
      double m = 0;
      for (gint i = 0; i < N; i++)
        m += fabs (c[j] * (data->data[i * F + j] - r->data[j])) / N;
      ck_assert_double_eq_tol (a->attribution->data[j], m, 1e-5);
    }
  ck_assert_ptr_nonnull (strstr (a->parameters, "rows=12 features=4 class=0"));
  pl_executor_free (ex);
}
END_TEST

static PlDataset *
memory_dataset (gint n, guint32 seed)
{
  PlDataset *ds = g_new0 (PlDataset, 1);
  ds->ref_count = 1;
  ds->name = g_strdup ("memory");
  ds->n = n;
  ds->channels = 2;
  ds->height = ds->width = 8;
  ds->pixels = g_new (guint8, (gsize) n * 128);
  ds->labels = g_new0 (guint8, n);
  ds->n_classes = 2;
  GRand *rng = g_rand_new_with_seed (seed);
  for (gint64 i = 0; i < (gint64) n * 128; i++)
    ds->pixels[i] = (guint8) g_rand_int_range (rng, 0, 256);
  g_rand_free (rng);
  return ds;
}

START_TEST (test_permutation_image_and_global_shap)
{
  float w[2 * 128];
  region_weights (w);
  /* Class 1 has a constant logit (bias) at the median of class 0's logit. */
  memset (w + 128, 0, sizeof (float) * 128);
  enum { N = 60 };
  g_autoptr (PlDataset) ds = memory_dataset (N, 23);
  g_autoptr (PlSegmentation) seg = pl_segmentation_grid (8, 8, 2, 2);
  /* f0 of each sample, and labels = the prediction of the model, so accuracy is 1. */
  double f0[N], sorted[N];
  for (gint i = 0; i < N; i++)
    {
      f0[i] = 0;
      for (gint k = 0; k < 128; k++)
        f0[i] += w[k] * ds->pixels[i * 128 + k] / 255.0;
      sorted[i] = f0[i];
    }
  for (gint i = 0; i < N; i++)
    for (gint j = i + 1; j < N; j++)
      if (sorted[j] < sorted[i])
        {
          double t = sorted[i];
          sorted[i] = sorted[j];
          sorted[j] = t;
        }
  double thr = 0.5 * (sorted[N / 2 - 1] + sorted[N / 2]);
  for (gint i = 0; i < N; i++)
    ds->labels[i] = f0[i] > thr ? 0 : 1;
  g_autoptr (PlGraph) g = build_linear_image (2, 8, 8, 2, w, (float[]) { 0, (float) thr });
  PlExecutor *ex = executor_for (g);
  PlPermutationOptions o;
  pl_permutation_options_init (&o);
  o.repeats = 3;
  g_autoptr (GError) error = NULL;
  g_autoptr (PlAttribution) a = pl_permutation_importance_image (ex, ds, 0, N, seg, &o, NULL,
                                                                 &error);
  ck_assert_msg (a != NULL, "%s", error ? error->message : "");
  ck_assert_double_eq_tol (a->intercept, 1.0, 1e-12);
  /* Segments: 0 = top-left (in R), 1 = top-right (columns 4–5 in R), 2, 3 = bottom (not in
   * R): the bottom ones cannot matter. */
  ck_assert_float_eq (a->attribution->data[2], 0.0f);
  ck_assert_float_eq (a->attribution->data[3], 0.0f);
  ck_assert (a->attribution->data[0] > 0.05);
  ck_assert (a->attribution->data[0] > a->attribution->data[1]);

  /* Global mean |SHAP| with baseline 0 on this linear model: φ_j = Σ_{p ∈ j} w_p x_p of
   * class 0 exactly (all 2^4 − 2 coalitions are enumerated by the default budget). */
  g_autoptr (PlAttribution) gs = pl_global_shap_image (ex, ds, 10, 20, 0, seg, 0.0f, NULL,
                                                       NULL, &error);
  ck_assert_msg (gs != NULL, "%s", error ? error->message : "");
  ck_assert_str_eq (gs->method, "mean-abs-shap");
  for (gint j = 0; j < 4; j++)
    {
      double m = 0, m2 = 0;
      for (gint i = 10; i < 30; i++)
        {
          double phi = 0;
          for (gint c = 0; c < 2; c++)
            for (gint p = 0; p < 64; p++)
              if (seg->labels[p] == j)
                phi += w[c * 64 + p] * ds->pixels[i * 128 + c * 64 + p] / 255.0;
          m += fabs (phi) / 20;
          m2 += phi * phi / 20;
        }
      ck_assert_double_eq_tol (gs->attribution->data[j], m, 1e-4);
      ck_assert_double_eq_tol (gs->sd->data[j], sqrt (fmax (0, m2 - m * m)), 1e-3);
    }
  /* Cancellation. */
  TestProgress tp;
  test_progress_init (&tp, TRUE);
  g_clear_error (&error);
  ck_assert_ptr_null (pl_global_shap_image (ex, ds, 0, 5, -1, seg, 0.0f, NULL, &tp.progress,
                                            &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&error);
  ck_assert_ptr_null (pl_permutation_importance_image (ex, ds, 0, N, seg, &o, &tp.progress,
                                                       &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  test_progress_clear (&tp);
  g_clear_error (&error);
  ck_assert_ptr_null (pl_permutation_importance_image (ex, ds, 50, 20, seg, &o, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  pl_executor_free (ex);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("lime");
  TCase *tc = tcase_create ("lime");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_weighted_ridge);
  tcase_add_test (tc, test_lime_table_linear);
  tcase_add_test (tc, test_lime_image_linear);
  tcase_add_test (tc, test_superpixels);
  tcase_add_test (tc, test_kernel_shap_table_exact);
  tcase_add_test (tc, test_permutation_table);
  tcase_add_test (tc, test_global_shap_table);
  tcase_add_test (tc, test_permutation_image_and_global_shap);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
