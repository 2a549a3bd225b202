/* test-prune-config.c — pl_prune_apply: criteria, scope, protection, overrides, N:M, Taylor. */
#include "prune-test-util.h"

/* As in tests/core/explain/test-prune.c: Conv W1 [2,1,2,2] and an independent Gemm
 * W2 [2,3] (transB). Position order W1 (0–7), W2 (8–13).
 *   W1 = 0.1 −0.2 0.3 0.0 | 0.2 −0.3 0.1 0.4
 *   W2 = 0.5 −0.1 0.0 | 0.3 −0.5 0.2 */
static const float w1[8] = { 0.1f, -0.2f, 0.3f, 0.0f, 0.2f, -0.3f, 0.1f, 0.4f };
static const float w2[6] = { 0.5f, -0.1f, 0.0f, 0.3f, -0.5f, 0.2f };

static PlGraph *
build_graph (void)
{
  PlGraph *g = pl_graph_new ();
  gint64 xs[4] = { -1, 1, 3, 3 }, ys[2] = { -1, 3 };
  pl_graph_add_input (g, "X", 4, xs);
  pl_graph_add_input (g, "Y", 2, ys);
  gint64 s1[4] = { 2, 1, 2, 2 }, s2[2] = { 2, 3 }, sb[1] = { 2 };
  const float b[2] = { 0.01f, -0.02f };
  tu_init (g, "W1", 4, s1, w1);
  tu_init (g, "B1", 1, sb, b);
  tu_init (g, "W2", 2, s2, w2);
  tu_node (g, "Conv", "conv", "X", "W1", "B1", "C");
  pl_node_set_int (tu_node (g, "Gemm", "gemm", "Y", "W2", NULL, "G"), "transB", 1);
  pl_graph_add_output (g, "C");
  pl_graph_add_output (g, "G");
  return g;
}

/* Asserts that the mask of name is 0 exactly at the listed positions (and the weights too). */
static void
assert_pruned_at (const PlGraph *g, const char *name, gint n, const gint *pos)
{
  const PlValue *v = tu_value (g, name);
  ck_assert_ptr_nonnull (v->mask);
  for (gint64 i = 0; i < v->mask->numel; i++)
    {
      gboolean expect = FALSE;
      for (gint j = 0; j < n; j++)
        expect = expect || pos[j] == i;
      ck_assert_msg ((v->mask->data[i] == 0.0f) == expect, "%s[%" G_GINT64_FORMAT "]: mask %g",
                     name, i, v->mask->data[i]);
      if (expect)
        ck_assert_float_eq (v->init->data[i], 0.0f);
    }
}

START_TEST (test_unstructured)
{
  g_autoptr (PlGraph) g = build_graph ();
  g_autoptr (PlPruneConfig) cfg = pl_prune_config_new ();
  GError *error = NULL;

  /* Default protection: first Conv and last Gemm, i.e. everything here. */
  g_auto (GStrv) def = pl_prune_default_protected (g);
  ck_assert_int_eq (g_strv_length (def), 2);
  ck_assert_str_eq (def[0], "conv");
  ck_assert_str_eq (def[1], "gemm");
  PlGraph *none = pl_prune_apply (g, cfg, 0.5, NULL, &error);
  ck_assert_ptr_null (none);
  ck_assert_ptr_nonnull (strstr (error->message, "protected"));
  g_clear_error (&error);

  /* No protection, global: 7 of 14 by (|w|, position): 3, 10, 0, 6, 9, 1, 4. */
  const char *nothing[1] = { NULL };
  pl_prune_config_set_protected (cfg, nothing);
  g_autoptr (PlGraph) p1 = pl_prune_apply (g, cfg, 0.5, NULL, &error);
  ck_assert_ptr_nonnull (p1);
  const gint e1a[5] = { 3, 0, 6, 1, 4 }, e1b[2] = { 2, 1 };
  assert_pruned_at (p1, "W1", 5, e1a);
  assert_pruned_at (p1, "W2", 2, e1b);
  ck_assert_float_eq (tu_value (p1, "B1")->init->data[0], 0.01f);   /* biases untouched */

  /* Layer-wise: 4 of 8 in W1 (3, 0, 6, 1), 3 of 6 in W2 (2, 1, 5). */
  cfg->scope = PL_PRUNE_SCOPE_LAYERWISE;
  g_autoptr (PlGraph) p2 = pl_prune_apply (g, cfg, 0.5, NULL, &error);
  const gint e2a[4] = { 3, 0, 6, 1 }, e2b[3] = { 2, 1, 5 };
  assert_pruned_at (p2, "W1", 4, e2a);
  assert_pruned_at (p2, "W2", 3, e2b);

  /* Conv protected by name, an override on it by weight name (0.25: positions 3, 0), the
   * Gemm alone at 0.5 (2, 1, 5). */
  cfg->scope = PL_PRUNE_SCOPE_GLOBAL;
  const char *prot[2] = { "conv", NULL };
  pl_prune_config_set_protected (cfg, prot);
  g_autoptr (PlGraph) p3 = pl_prune_apply (g, cfg, 0.5, NULL, &error);
  ck_assert_ptr_null (tu_value (p3, "W1")->mask);
  assert_pruned_at (p3, "W2", 3, e2b);
  pl_prune_config_set_override (cfg, "W1", 0.25);
  g_autoptr (PlGraph) p4 = pl_prune_apply (g, cfg, 0.5, NULL, &error);
  const gint e4[2] = { 3, 0 };
  assert_pruned_at (p4, "W1", 2, e4);
  assert_pruned_at (p4, "W2", 3, e2b);

  /* Iterating: pruning p4 again at a lower sparsity keeps what was pruned. */
  pl_prune_config_set_override (cfg, "W1", -1);
  g_autoptr (PlGraph) p5 = pl_prune_apply (p4, cfg, 0.2, NULL, &error);
  assert_pruned_at (p5, "W2", 3, e2b);   /* round (1.2) = 1, but the 3 old zeros stay first */

  /* Errors: unknown override, bad sparsity. */
  pl_prune_config_set_override (cfg, "nope", 0.5);
  ck_assert_ptr_null (pl_prune_apply (g, cfg, 0.5, NULL, &error));
  ck_assert_ptr_nonnull (strstr (error->message, "“nope”"));
  g_clear_error (&error);
  pl_prune_config_set_override (cfg, "nope", -1);
  ck_assert_ptr_null (pl_prune_apply (g, cfg, 1.5, NULL, &error));
  ck_assert_int_eq (error->code, PL_ERROR_INVALID);
  g_clear_error (&error);
}
END_TEST

START_TEST (test_random)
{
  g_autoptr (PlGraph) g = build_graph ();
  g_autoptr (PlPruneConfig) cfg = pl_prune_config_new ();
  const char *nothing[1] = { NULL };
  pl_prune_config_set_protected (cfg, nothing);
  cfg->criterion = PL_PRUNE_CRITERION_RANDOM;
  cfg->seed = 42;
  GError *error = NULL;
  g_autoptr (PlGraph) a = pl_prune_apply (g, cfg, 0.5, NULL, &error);
  g_autoptr (PlGraph) b = pl_prune_apply (g, cfg, 0.5, NULL, &error);
  const PlTensor *ma = tu_value (a, "W1")->mask, *mb = tu_value (b, "W1")->mask;
  gint zeros = 0;
  for (gint i = 0; i < 8; i++)
    {
      ck_assert_float_eq (ma->data[i], mb->data[i]);
      zeros += ma->data[i] == 0.0f;
    }
  for (gint i = 0; i < 6; i++)
    zeros += tu_value (a, "W2")->mask->data[i] == 0.0f;
  ck_assert_int_eq (zeros, 7);
  /* Another seed gives another mask (for these seeds). */
  gboolean differ = FALSE;
  for (guint64 seed = 1; seed < 6 && !differ; seed++)
    {
      cfg->seed = seed;
      g_autoptr (PlGraph) c = pl_prune_apply (g, cfg, 0.5, NULL, &error);
      for (gint i = 0; i < 8; i++)
        differ = differ || tu_value (c, "W1")->mask->data[i] != ma->data[i];
    }
  ck_assert (differ);
}
END_TEST

START_TEST (test_nm)
{
  PlGraph *g = pl_graph_new ();
  gint64 as[2] = { -1, 8 }, bs[2] = { -1, 4 }, cs[4] = { -1, 4, 1, 2 };
  pl_graph_add_input (g, "A", 2, as);
  pl_graph_add_input (g, "B", 2, bs);
  pl_graph_add_input (g, "X", 4, cs);
  const float g1[16] = { 0.1f, -0.5f, 0.3f, 0.2f, 0.4f, 0.4f, -0.1f, 0.0f,
                         0.2f, 0.2f, 0.2f, 0.1f, 1, 2, 3, 4 };
  const float g2[8] = { 1, -4, 2, 3, 3, -2, 4, 1 };          /* [K = 4, N = 2] */
  const float c[8] = { 0.1f, 0.3f, 0.9f, 0.2f, 0.5f, 0.1f, -0.7f, 0.0f };   /* [1,4,1,2] */
  gint64 s1[2] = { 2, 8 }, s2[2] = { 4, 2 }, s3[4] = { 1, 4, 1, 2 };
  tu_init (g, "G1", 2, s1, g1);
  tu_init (g, "G2", 2, s2, g2);
  tu_init (g, "WC", 4, s3, c);
  pl_node_set_int (tu_node (g, "Gemm", "g1", "A", "G1", NULL, "o1"), "transB", 1);
  tu_node (g, "Gemm", "g2", "B", "G2", NULL, "o2");
  tu_node (g, "Conv", "c", "X", "WC", NULL, "o3");
  pl_graph_add_output (g, "o1");
  pl_graph_add_output (g, "o2");
  pl_graph_add_output (g, "o3");

  g_autoptr (PlPruneConfig) cfg = pl_prune_config_new ();
  const char *nothing[1] = { NULL };
  pl_prune_config_set_protected (cfg, nothing);
  cfg->granularity = PL_PRUNE_GRANULARITY_NM;
  GError *error = NULL;
  g_autoptr (PlGraph) p = pl_prune_apply (g, cfg, 0.0, NULL, &error);
  ck_assert_msg (p != NULL, "%s", error ? error->message : "");
  /* 2:4 along columns of G1 (ties: the earlier weight survives). */
  const gint e1[8] = { 0, 3, 6, 7, 10, 11, 12, 13 };
  assert_pruned_at (p, "G1", 8, e1);
  /* Along the K rows of G2 per column: col 0 keeps rows 2, 3; col 1 keeps rows 0, 1. */
  const gint e2[4] = { 0, 2, 5, 7 };
  assert_pruned_at (p, "G2", 4, e2);
  /* Along input channels of WC at each kernel position. */
  const gint e3[4] = { 0, 4, 5, 7 };
  assert_pruned_at (p, "WC", 4, e3);

  /* 1:3 with a remainder group of 2 (G1 rows: groups 0–2, 3–5, 6–7). */
  cfg->nm_n = 1;
  cfg->nm_m = 3;
  g_autoptr (PlGraph) q = pl_prune_apply (g, cfg, 0.0, NULL, &error);
  const PlTensor *m = tu_value (q, "G1")->mask;
  const float keep_row0[8] = { 0, 1, 0, 0, 1, 0, 1, 0 };
  const float keep_row1[8] = { 1, 0, 0, 0, 0, 1, 0, 1 };
  for (gint i = 0; i < 8; i++)
    {
      ck_assert_float_eq (m->data[i], keep_row0[i]);
      ck_assert_float_eq (m->data[8 + i], keep_row1[i]);
    }
  cfg->nm_n = 5;
  ck_assert_ptr_null (pl_prune_apply (g, cfg, 0.0, NULL, &error));
  ck_assert_ptr_nonnull (strstr (error->message, "5:3"));
  g_clear_error (&error);
  pl_graph_unref (g);
}
END_TEST

/* Input [N,1,1,2] -> Flatten -> Gemm fc (W [2,2], transB, B = 0) -> logits. */
START_TEST (test_taylor)
{
  PlGraph *g = pl_graph_new ();
  gint64 xs[4] = { -1, 1, 1, 2 }, ws[2] = { 2, 2 }, bs[1] = { 2 };
  pl_graph_add_input (g, "X", 4, xs);
  const float w[4] = { 0.5f, -1.0f, 2.0f, 0.3f }, b[2] = { 0, 0 };
  tu_init (g, "W", 2, ws, w);
  tu_init (g, "B", 1, bs, b);
  tu_node (g, "Flatten", "flat", "X", NULL, NULL, "f");
  pl_node_set_int (tu_node (g, "Gemm", "fc", "f", "W", "B", "Y"), "transB", 1);
  pl_graph_add_output (g, "Y");

  /* Three samples: x = (1, 0) label 0; (0, 1) label 1; (1, 0.2) label 1. */
  PlDataset *ds = g_new0 (PlDataset, 1);
  ds->ref_count = 1;
  ds->name = g_strdup ("tiny");
  ds->n = 3;
  ds->channels = 1;
  ds->height = 1;
  ds->width = 2;
  ds->n_classes = 2;
  ds->pixels = g_new0 (guint8, 6);
  ds->labels = g_new0 (guint8, 3);
  const guint8 px[6] = { 255, 0, 0, 255, 255, 51 }, lb[3] = { 0, 1, 1 };
  memcpy (ds->pixels, px, 6);
  memcpy (ds->labels, lb, 3);

  /* By hand: z = W x, p = softmax (z), ∂ℓ/∂W_ij = (p_i − y_i) x_j. */
  const double x[3][2] = { { 1, 0 }, { 0, 1 }, { 1, 51.0 / 255.0 } };
  double expect[4] = { 0 };
  for (gint n = 0; n < 3; n++)
    {
      double z[2], p[2];
      for (gint i = 0; i < 2; i++)
        z[i] = w[i * 2] * x[n][0] + w[i * 2 + 1] * x[n][1];
      double mx = MAX (z[0], z[1]), s = exp (z[0] - mx) + exp (z[1] - mx);
      for (gint i = 0; i < 2; i++)
        p[i] = exp (z[i] - mx) / s;
      for (gint i = 0; i < 2; i++)
        for (gint j = 0; j < 2; j++)
          expect[i * 2 + j] += fabs (w[i * 2 + j] * (p[i] - (lb[n] == i)) * x[n][j]);
    }

  g_autoptr (PlPruneConfig) cfg = pl_prune_config_new ();
  cfg->criterion = PL_PRUNE_CRITERION_TAYLOR;
  GError *error = NULL;
  gint n_layers = 0;
  ck_assert_ptr_null (pl_prune_scores (g, cfg, &n_layers, NULL, &error));  /* no data */
  ck_assert_ptr_nonnull (strstr (error->message, "calibration"));
  g_clear_error (&error);
  pl_prune_config_set_calibration (cfg, ds, 0, 4);
  ck_assert_ptr_null (pl_prune_scores (g, cfg, &n_layers, NULL, &error));  /* too many */
  ck_assert_ptr_nonnull (strstr (error->message, "tiny"));
  g_clear_error (&error);
  pl_prune_config_set_calibration (cfg, ds, 0, 3);
  pl_dataset_unref (ds);

  PlTensor **scores = pl_prune_scores (g, cfg, &n_layers, NULL, &error);
  ck_assert_msg (scores != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (n_layers, 1);
  for (gint i = 0; i < 4; i++)
    ck_assert_msg (fabs (scores[0]->data[i] - expect[i]) <= 1e-5 * MAX (1.0, expect[i]),
                   "score %d: %g, expected %g", i, scores[0]->data[i], expect[i]);
  pl_tensor_unref (scores[0]);
  g_free (scores);

  /* Prune the 2 of 4 with the smallest expected scores. */
  const char *nothing[1] = { NULL };
  pl_prune_config_set_protected (cfg, nothing);
  g_autoptr (PlGraph) p = pl_prune_apply (g, cfg, 0.5, NULL, &error);
  ck_assert_msg (p != NULL, "%s", error ? error->message : "");
  const PlTensor *m = tu_value (p, "W")->mask;
  for (gint i = 0; i < 4; i++)
    {
      gint smaller = 0;
      for (gint j = 0; j < 4; j++)
        smaller += expect[j] < expect[i];
      ck_assert_int_eq (m->data[i] == 0.0f, smaller < 2);
    }
  pl_graph_unref (g);
}
END_TEST

/* Which targets are a share of the unprotected prunable weights (captions say so). */
START_TEST (test_target_is_weight_share)
{
  g_autoptr (PlPruneConfig) cfg = pl_prune_config_new ();
  ck_assert (pl_prune_config_target_is_weight_share (cfg));          /* unstructured, global */
  cfg->scope = PL_PRUNE_SCOPE_LAYERWISE;
  ck_assert (pl_prune_config_target_is_weight_share (cfg));          /* unstructured, layer-wise */
  cfg->granularity = PL_PRUNE_GRANULARITY_CHANNELS;
  ck_assert (!pl_prune_config_target_is_weight_share (cfg));         /* share of channels */
  cfg->scope = PL_PRUNE_SCOPE_GLOBAL;
  ck_assert (pl_prune_config_target_is_weight_share (cfg));          /* share of weights */
  cfg->granularity = PL_PRUNE_GRANULARITY_NM;
  ck_assert (!pl_prune_config_target_is_weight_share (cfg));         /* target ignored */
  ck_assert (!pl_prune_config_target_is_weight_share (NULL));
}
END_TEST

START_TEST (test_config_copy)
{
  g_autoptr (PlPruneConfig) cfg = pl_prune_config_new ();
  const char *prot[2] = { "a", NULL };
  pl_prune_config_set_protected (cfg, prot);
  pl_prune_config_set_override (cfg, "b", 0.3);
  cfg->granularity = PL_PRUNE_GRANULARITY_NM;
  g_autoptr (PlPruneConfig) c = pl_prune_config_copy (cfg);
  pl_prune_config_set_override (cfg, "b", 0.9);
  ck_assert_str_eq (c->protected_layers[0], "a");
  ck_assert_double_eq (*(double *) g_hash_table_lookup (c->overrides, "b"), 0.3);
  g_autofree char *d = pl_prune_config_describe (c);
  ck_assert_str_eq (d, "magnitude, 2:4, global");
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("prune-config");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_unstructured);
  tcase_add_test (tc, test_random);
  tcase_add_test (tc, test_nm);
  tcase_add_test (tc, test_taylor);
  tcase_add_test (tc, test_config_copy);
  tcase_add_test (tc, test_target_is_weight_share);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
