/* test-prune-deps.c — structured dependencies beyond test-prune-struct.c: a broadcast Mul
 * by a scalar constant does not couple the layers it multiplies; a pruned conv as the
 * second Concat input (offsets mapped); a Mul of two activations and a Softmax over the
 * channels are refused with a reason; a residual net with BatchNorm after both branches:
 * masked and physically pruned outputs agree within 1e-5. */
#include "prune-test-util.h"

static void
free_groups (GPtrArray *groups)
{
  for (guint i = 0; i < groups->len; i++)
    {
      PlPruneGroupInfo *info = g_ptr_array_index (groups, i);
      g_free (info->layers);
      g_free (info->refusal);
      g_free (info);
    }
  g_ptr_array_unref (groups);
}

static const PlPruneGroupInfo *
find_group (GPtrArray *groups, const char *layers)
{
  for (guint i = 0; i < groups->len; i++)
    {
      PlPruneGroupInfo *info = g_ptr_array_index (groups, i);
      if (g_str_equal (info->layers, layers))
        return info;
    }
  ck_abort_msg ("no group %s", layers);
  return NULL;
}

static void
bn (PlGraph *g, GRand *rand, const char *name, const char *in, const char *out, gint64 c)
{
  gint64 s[1] = { c };
  g_autofree char *sc = g_strconcat (name, "_s", NULL), *b = g_strconcat (name, "_b", NULL),
                  *m = g_strconcat (name, "_m", NULL), *v = g_strconcat (name, "_v", NULL);
  tu_init_random (g, rand, sc, 1, s, 0.5, 1.5);
  tu_init_random (g, rand, b, 1, s, -0.5, 0.5);
  tu_init_random (g, rand, m, 1, s, -0.5, 0.5);
  tu_init_random (g, rand, v, 1, s, 0.5, 2.0);
  const char *ins[5] = { in, sc, b, m, v }, *outs[1] = { out };
  pl_graph_add_node (g, "BatchNormalization", name, 5, ins, 1, outs);
}

/* X [N,2,4,4] -> stem (4 ch) -> BN -> Relu = r;
 * r -> b1 (4 ch, pad 1) -> BN -> Relu -> b2 (4 ch, pad 1) -> BN = t; s = Add (t, r)
 *   [stem, b2: one group]; u = Relu (s) * K (scalar constant K: no coupling);
 * X -> side (3 ch, 1x1) -> v = v * K (the same scalar); cat = Concat (u, v) [N,7,4,4];
 * head (5 ch, 1x1) -> GlobalAveragePool -> Flatten -> out (Gemm 5 -> 3) -> Y. */
static PlGraph *
residual_bn_net (void)
{
  GRand *rand = g_rand_new_with_seed (21);
  PlGraph *g = pl_graph_new ();
  gint64 xs[4] = { -1, 2, 4, 4 };
  pl_graph_add_input (g, "X", 4, xs);
  gint64 ws[4] = { 4, 2, 3, 3 }, w1[4] = { 4, 4, 3, 3 }, wsd[4] = { 3, 2, 1, 1 },
         wh[4] = { 5, 7, 1, 1 }, wo[2] = { 3, 5 }, c4[1] = { 4 }, c3[1] = { 3 }, c5[1] = { 5 },
         one[1] = { 1 };
  tu_init_random (g, rand, "Ws", 4, ws, -1, 1);
  tu_init_random (g, rand, "Bs", 1, c4, -0.5, 0.5);
  tu_init_random (g, rand, "W1", 4, w1, -1, 1);
  tu_init_random (g, rand, "W2", 4, w1, -1, 1);
  tu_init_random (g, rand, "Wsd", 4, wsd, -1, 1);
  tu_init_random (g, rand, "Bsd", 1, c3, -0.5, 0.5);
  tu_init_random (g, rand, "Wh", 4, wh, -1, 1);
  tu_init_random (g, rand, "Bh", 1, c5, -0.5, 0.5);
  tu_init_random (g, rand, "Wo", 2, wo, -1, 1);
  tu_init_random (g, rand, "K", 1, one, 0.5, 1.5);
  gint64 pads[4] = { 1, 1, 1, 1 };
  pl_node_set_ints (tu_node (g, "Conv", "stem", "X", "Ws", "Bs", "c0"), "pads", 4, pads);
  bn (g, rand, "bn0", "c0", "n0", 4);
  tu_node (g, "Relu", "r0", "n0", NULL, NULL, "r");
  pl_node_set_ints (tu_node (g, "Conv", "b1", "r", "W1", NULL, "c1"), "pads", 4, pads);
  bn (g, rand, "bn1", "c1", "n1", 4);
  tu_node (g, "Relu", "r1", "n1", NULL, NULL, "q");
  pl_node_set_ints (tu_node (g, "Conv", "b2", "q", "W2", NULL, "c2"), "pads", 4, pads);
  bn (g, rand, "bn2", "c2", "t", 4);
  tu_node (g, "Add", "add", "t", "r", NULL, "s");
  tu_node (g, "Relu", "r2", "s", NULL, NULL, "sr");
  tu_node (g, "Mul", "mul_u", "sr", "K", NULL, "u");
  tu_node (g, "Conv", "side", "X", "Wsd", "Bsd", "sd");
  tu_node (g, "Mul", "mul_v", "sd", "K", NULL, "v");
  pl_node_set_int (tu_node (g, "Concat", "cat", "u", "v", NULL, "cat"), "axis", 1);
  tu_node (g, "Conv", "head", "cat", "Wh", "Bh", "h");
  tu_node (g, "GlobalAveragePool", "gap", "h", NULL, NULL, "gp");
  tu_node (g, "Flatten", "flat", "gp", NULL, NULL, "fl");
  pl_node_set_int (tu_node (g, "Gemm", "out", "fl", "Wo", NULL, "Y"), "transB", 1);
  pl_graph_add_output (g, "Y");
  g_rand_free (rand);
  return g;
}

START_TEST (test_residual_bn_concat_scalar_mul)
{
  g_autoptr (PlGraph) g = residual_bn_net ();
  GError *error = NULL;
  GPtrArray *groups = pl_prune_channel_groups (g, &error);
  ck_assert_ptr_nonnull (groups);
  /* The scalar Mul by the shared K does not join "side" to the residual group. */
  ck_assert_ptr_null (find_group (groups, "stem + b2")->refusal);
  ck_assert_int_eq (find_group (groups, "stem + b2")->channels, 4);
  ck_assert_ptr_null (find_group (groups, "b1")->refusal);
  ck_assert_ptr_null (find_group (groups, "side")->refusal);
  ck_assert_int_eq (find_group (groups, "side")->channels, 3);
  ck_assert_ptr_null (find_group (groups, "head")->refusal);
  ck_assert_ptr_nonnull (strstr (find_group (groups, "out")->refusal, "graph output"));
  free_groups (groups);

  g_autoptr (PlPruneConfig) cfg = pl_prune_config_new ();
  cfg->granularity = PL_PRUNE_GRANULARITY_CHANNELS;
  cfg->scope = PL_PRUNE_SCOPE_LAYERWISE;
  const char *none[1] = { NULL };
  pl_prune_config_set_protected (cfg, none);
  g_autoptr (PlGraph) masked = pl_prune_apply (g, cfg, 0.5, NULL, &error);
  ck_assert_msg (masked != NULL, "%s", error ? error->message : "");
  g_autoptr (PlGraph) small = pl_prune_physically_remove (masked, &error);
  ck_assert_msg (small != NULL, "%s", error ? error->message : "");
  /* stem + b2: 2 of 4 kept; b1: 2 of 4; side: round (1.5) = 2 pruned, 1 kept; head:
   * round (2.5) = 3 pruned, 2 kept. head reads Concat (2 residual + 1 side) = 3 columns. */
  ck_assert_int_eq (tu_value (small, "Ws")->init->shape[0], 2);
  ck_assert_int_eq (tu_value (small, "W2")->init->shape[0], 2);
  ck_assert_int_eq (tu_value (small, "W1")->init->shape[0], 2);
  ck_assert_int_eq (tu_value (small, "W1")->init->shape[1], 2);
  ck_assert_int_eq (tu_value (small, "bn0_v")->init->shape[0], 2);
  ck_assert_int_eq (tu_value (small, "bn2_m")->init->shape[0], 2);
  ck_assert_int_eq (tu_value (small, "Wsd")->init->shape[0], 1);
  ck_assert_int_eq (tu_value (small, "Wh")->init->shape[1], 3);
  ck_assert_int_eq (tu_value (small, "Wh")->init->shape[0], 2);
  ck_assert_int_eq (tu_value (small, "Wo")->init->shape[1], 2);
  ck_assert_int_eq (tu_value (small, "K")->init->numel, 1);

  /* The Concat columns of head follow the kept channels: residual ones first, then side. */
  const PlTensor *wm = tu_value (masked, "Wh")->init, *wsm = tu_value (small, "Wh")->init;
  const PlTensor *ms = tu_value (masked, "Ws")->mask, *md = tu_value (masked, "Wsd")->mask;
  gint col[3], nc = 0;
  for (gint c = 0; c < 4; c++)
    if (ms->data[c * 18] != 0.0f)
      col[nc++] = c;
  for (gint c = 0; c < 3; c++)
    if (md->data[c * 2] != 0.0f)
      col[nc++] = 4 + c;
  ck_assert_int_eq (nc, 3);
  const PlTensor *mh = tu_value (masked, "Wh")->mask;
  gint row = 0;
  for (gint o = 0; o < 5; o++)
    {
      if (mh->data[o * 7 + col[0]] == 0.0f)
        continue;
      for (gint j = 0; j < 3; j++)
        ck_assert_float_eq (wsm->data[row * 3 + j], wm->data[o * 7 + col[j]]);
      row++;
    }
  ck_assert_int_eq (row, 2);

  GRand *rand = g_rand_new_with_seed (3);
  gint64 xs[4] = { 3, 2, 4, 4 };
  g_autoptr (PlTensor) x = tu_random_input (rand, 4, xs);
  g_rand_free (rand);
  g_autoptr (PlTensor) y1 = tu_run (masked, x);
  g_autoptr (PlTensor) y2 = tu_run (small, x);
  tu_assert_close (y1, y2, 1e-5);
  g_autoptr (PlTensor) y0 = tu_run (g, x);
  gboolean differs = FALSE;
  for (gint64 i = 0; i < y0->numel; i++)
    differs |= fabsf (y0->data[i] - y1->data[i]) > 1e-4f;
  ck_assert (differs);
}
END_TEST

/* conv A and conv B (4 ch each) -> Mul (A, B) -> conv C: the Mul of two activations is
 * refused; conv D -> Softmax (axis 1) -> Y2 is refused too. */
START_TEST (test_refused_readers)
{
  GRand *rand = g_rand_new_with_seed (9);
  g_autoptr (PlGraph) g = pl_graph_new ();
  gint64 xs[4] = { -1, 2, 3, 3 }, w[4] = { 4, 2, 1, 1 }, wc[4] = { 2, 4, 1, 1 };
  pl_graph_add_input (g, "X", 4, xs);
  tu_init_random (g, rand, "WA", 4, w, -1, 1);
  tu_init_random (g, rand, "WB", 4, w, -1, 1);
  tu_init_random (g, rand, "WC", 4, wc, -1, 1);
  tu_init_random (g, rand, "WD", 4, w, -1, 1);
  tu_init_random (g, rand, "WE", 4, wc, -1, 1);
  g_rand_free (rand);
  tu_node (g, "Conv", "A", "X", "WA", NULL, "a");
  tu_node (g, "Conv", "B", "X", "WB", NULL, "b");
  tu_node (g, "Mul", "gate", "a", "b", NULL, "ab");
  tu_node (g, "Conv", "C", "ab", "WC", NULL, "Y");
  tu_node (g, "Conv", "D", "X", "WD", NULL, "d");
  pl_node_set_int (tu_node (g, "Softmax", "sm", "d", NULL, NULL, "p"), "axis", 1);
  tu_node (g, "Conv", "E", "p", "WE", NULL, "Y2");
  pl_graph_add_output (g, "Y");
  pl_graph_add_output (g, "Y2");
  GError *error = NULL;
  GPtrArray *groups = pl_prune_channel_groups (g, &error);
  const PlPruneGroupInfo *ga = find_group (groups, "A");
  ck_assert_msg (ga->refusal && strstr (ga->refusal, "Mul “gate”")
                 && strstr (ga->refusal, "not by a scalar or per-channel constant"),
                 "%s", ga->refusal ? ga->refusal : "(none)");
  ck_assert_ptr_nonnull (find_group (groups, "B")->refusal);
  const PlPruneGroupInfo *gd = find_group (groups, "D");
  ck_assert_msg (gd->refusal && strstr (gd->refusal, "“sm”") && strstr (gd->refusal, "Softmax"),
                 "%s", gd->refusal ? gd->refusal : "(none)");
  free_groups (groups);

  /* Pruning channels leaves the refused groups alone; an override on one says why. */
  g_autoptr (PlPruneConfig) cfg = pl_prune_config_new ();
  cfg->granularity = PL_PRUNE_GRANULARITY_CHANNELS;
  const char *none[1] = { NULL };
  pl_prune_config_set_protected (cfg, none);
  pl_prune_config_set_override (cfg, "D", 0.5);
  g_autoptr (PlGraph) p = pl_prune_apply (g, cfg, 0.5, NULL, &error);
  ck_assert_ptr_null (p);
  ck_assert_msg (strstr (error->message, "D") && strstr (error->message, "Softmax"), "%s",
                 error->message);
  g_clear_error (&error);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("prune-deps");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_residual_bn_concat_scalar_mul);
  tcase_add_test (tc, test_refused_readers);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
