/* test-prune-struct.c — structured (channel) pruning: masks, dependency groups, physical
 * removal; the masked and the physically pruned graphs must give the same outputs. */
#include "prune-test-util.h"
#include "onnx/pl-onnx.h"

/* X [N,2,4,4] -> conv1 (4 ch, 3x3 pad 1) -> BN -> Relu -> depthwise dw (group 4, 3x3
 * pad 1) -> Relu -> MaxPool 2x2 -> Flatten -> fc1 (Gemm 16 -> 5, transB) -> Relu
 * -> fc2 (Gemm 5 -> 3, transB) -> Y. */
static PlGraph *
build_bn_graph (void)
{
  GRand *rand = g_rand_new_with_seed (7);
  PlGraph *g = pl_graph_new ();
  gint64 xs[4] = { -1, 2, 4, 4 };
  pl_graph_add_input (g, "X", 4, xs);
  gint64 w1[4] = { 4, 2, 3, 3 }, c4[1] = { 4 }, wd[4] = { 4, 1, 3, 3 };
  gint64 f1[2] = { 5, 16 }, c5[1] = { 5 }, f2[2] = { 3, 5 }, c3[1] = { 3 };
  tu_init_random (g, rand, "W1", 4, w1, -1, 1);
  tu_init_random (g, rand, "B1", 1, c4, -0.5, 0.5);
  tu_init_random (g, rand, "bn_scale", 1, c4, 0.5, 1.5);
  tu_init_random (g, rand, "bn_b", 1, c4, -0.5, 0.5);
  tu_init_random (g, rand, "bn_mean", 1, c4, -0.5, 0.5);
  tu_init_random (g, rand, "bn_var", 1, c4, 0.5, 2.0);
  tu_init_random (g, rand, "Wd", 4, wd, -1, 1);
  tu_init_random (g, rand, "Bd", 1, c4, -0.5, 0.5);
  tu_init_random (g, rand, "F1", 2, f1, -1, 1);
  tu_init_random (g, rand, "G1", 1, c5, -0.5, 0.5);
  tu_init_random (g, rand, "F2", 2, f2, -1, 1);
  tu_init_random (g, rand, "G2", 1, c3, -0.5, 0.5);
  gint64 pads[4] = { 1, 1, 1, 1 }, k2[2] = { 2, 2 };
  pl_node_set_ints (tu_node (g, "Conv", "conv1", "X", "W1", "B1", "c1"), "pads", 4, pads);
  const char *bn_in[5] = { "c1", "bn_scale", "bn_b", "bn_mean", "bn_var" }, *bn_out[1] = { "b1" };
  pl_graph_add_node (g, "BatchNormalization", "bn1", 5, bn_in, 1, bn_out);
  tu_node (g, "Relu", "relu1", "b1", NULL, NULL, "r1");
  PlNode *dw = tu_node (g, "Conv", "dw", "r1", "Wd", "Bd", "d1");
  pl_node_set_ints (dw, "pads", 4, pads);
  pl_node_set_int (dw, "group", 4);
  tu_node (g, "Relu", "relu2", "d1", NULL, NULL, "r2");
  PlNode *mp = tu_node (g, "MaxPool", "pool", "r2", NULL, NULL, "p");
  pl_node_set_ints (mp, "kernel_shape", 2, k2);
  pl_node_set_ints (mp, "strides", 2, k2);
  tu_node (g, "Flatten", "flatten", "p", NULL, NULL, "f");
  pl_node_set_int (tu_node (g, "Gemm", "fc1", "f", "F1", "G1", "h"), "transB", 1);
  tu_node (g, "Relu", "relu3", "h", NULL, NULL, "hr");
  pl_node_set_int (tu_node (g, "Gemm", "fc2", "hr", "F2", "G2", "Y"), "transB", 1);
  pl_graph_add_output (g, "Y");
  g_rand_free (rand);
  return g;
}

/* X [N,3,5,5] -> convA (4 ch, pad 1) -> Relu = a; a -> convB (4 ch, pad 1) -> BN = b;
 * s = Add (b, a)  [convA and convB: one group]; m = s * K (K [1,4,1,1]);
 * X -> convC (2 ch, 1x1) = c; cat = Concat (m, c) [N,6,5,5] -> Relu -> convD (3 ch) ->
 * GlobalAveragePool -> Flatten -> out (Gemm 3 -> 2, transB = 0: W [3, 2]) -> Y. */
static PlGraph *
build_residual_graph (void)
{
  GRand *rand = g_rand_new_with_seed (11);
  PlGraph *g = pl_graph_new ();
  gint64 xs[4] = { -1, 3, 5, 5 };
  pl_graph_add_input (g, "X", 4, xs);
  gint64 wa[4] = { 4, 3, 3, 3 }, wb[4] = { 4, 4, 3, 3 }, wc[4] = { 2, 3, 1, 1 };
  gint64 wdd[4] = { 3, 6, 3, 3 }, c4[1] = { 4 }, c2[1] = { 2 }, c3[1] = { 3 };
  gint64 ks[4] = { 1, 4, 1, 1 }, wo[2] = { 3, 2 };
  tu_init_random (g, rand, "WA", 4, wa, -1, 1);
  tu_init_random (g, rand, "BA", 1, c4, -0.5, 0.5);
  tu_init_random (g, rand, "WB", 4, wb, -1, 1);
  tu_init_random (g, rand, "BB", 1, c4, -0.5, 0.5);
  tu_init_random (g, rand, "s", 1, c4, 0.5, 1.5);
  tu_init_random (g, rand, "bb", 1, c4, -0.5, 0.5);
  tu_init_random (g, rand, "mu", 1, c4, -0.5, 0.5);
  tu_init_random (g, rand, "var", 1, c4, 0.5, 2.0);
  tu_init_random (g, rand, "K", 4, ks, 0.5, 2.0);
  tu_init_random (g, rand, "WC", 4, wc, -1, 1);
  tu_init_random (g, rand, "BC", 1, c2, -0.5, 0.5);
  tu_init_random (g, rand, "WD", 4, wdd, -1, 1);
  tu_init_random (g, rand, "BD", 1, c3, -0.5, 0.5);
  tu_init_random (g, rand, "WO", 2, wo, -1, 1);
  gint64 pads[4] = { 1, 1, 1, 1 };
  pl_node_set_ints (tu_node (g, "Conv", "convA", "X", "WA", "BA", "ca"), "pads", 4, pads);
  tu_node (g, "Relu", "reluA", "ca", NULL, NULL, "a");
  pl_node_set_ints (tu_node (g, "Conv", "convB", "a", "WB", "BB", "cb"), "pads", 4, pads);
  const char *bn_in[5] = { "cb", "s", "bb", "mu", "var" }, *bn_out[1] = { "b" };
  pl_graph_add_node (g, "BatchNormalization", "bnB", 5, bn_in, 1, bn_out);
  tu_node (g, "Add", "add", "b", "a", NULL, "sum");
  tu_node (g, "Mul", "scale", "sum", "K", NULL, "m");
  tu_node (g, "Conv", "convC", "X", "WC", "BC", "c");
  pl_node_set_int (tu_node (g, "Concat", "cat", "m", "c", NULL, "cat"), "axis", 1);
  tu_node (g, "Relu", "reluD", "cat", NULL, NULL, "rd");
  pl_node_set_ints (tu_node (g, "Conv", "convD", "rd", "WD", "BD", "d"), "pads", 4, pads);
  tu_node (g, "GlobalAveragePool", "gap", "d", NULL, NULL, "gp");
  tu_node (g, "Flatten", "flat", "gp", NULL, NULL, "fl");
  tu_node (g, "Gemm", "out", "fl", "WO", NULL, "Y");
  pl_graph_add_output (g, "Y");
  g_rand_free (rand);
  return g;
}

static gint64
count_zero_rows (const PlTensor *t, gint axis)
{
  gint64 outer = 1, inner = 1, len = t->shape[axis], n = 0;
  for (gint d = 0; d < axis; d++)
    outer *= t->shape[d];
  for (gint d = axis + 1; d < t->ndim; d++)
    inner *= t->shape[d];
  for (gint64 k = 0; k < len; k++)
    {
      gboolean zero = TRUE;
      for (gint64 o = 0; o < outer; o++)
        for (gint64 i = 0; i < inner; i++)
          if (t->data[(o * len + k) * inner + i] != 0.0f)
            zero = FALSE;
      n += zero;
    }
  return n;
}

static void
check_same_outputs (PlGraph *masked, PlGraph *small, gint ndim, const gint64 *shape)
{
  GRand *rand = g_rand_new_with_seed (3);
  g_autoptr (PlTensor) x = tu_random_input (rand, ndim, shape);
  g_autoptr (PlTensor) y1 = tu_run (masked, x);
  g_autoptr (PlTensor) y2 = tu_run (small, x);
  tu_assert_close (y1, y2, 1e-5);
  g_rand_free (rand);
}

START_TEST (test_bn_depthwise_flatten)
{
  g_autoptr (PlGraph) g = build_bn_graph ();
  g_autoptr (PlPruneConfig) cfg = pl_prune_config_new ();
  cfg->granularity = PL_PRUNE_GRANULARITY_CHANNELS;
  cfg->criterion = PL_PRUNE_CRITERION_L1_NORM;
  cfg->scope = PL_PRUNE_SCOPE_LAYERWISE;
  const char *none[1] = { NULL };
  pl_prune_config_set_protected (cfg, none);
  GError *error = NULL;
  g_autoptr (PlGraph) masked = pl_prune_apply (g, cfg, 0.5, NULL, &error);
  ck_assert_msg (masked != NULL, "%s", error ? error->message : "");

  /* conv1: 2 of 4 channels (the two smallest L1 norms); fc1: round (2.5) = 3 of 5;
   * fc2 reaches the graph output: untouched. */
  const PlValue *w1 = tu_value (g, "W1");
  double l1[4] = { 0 };
  for (gint k = 0; k < 4; k++)
    for (gint i = 0; i < 18; i++)
      l1[k] += fabs (w1->init->data[k * 18 + i]);
  const PlValue *mw1 = tu_value (masked, "W1");
  for (gint k = 0; k < 4; k++)
    {
      gint smaller = 0;
      for (gint j = 0; j < 4; j++)
        smaller += l1[j] < l1[k];
      gboolean pruned = mw1->mask->data[k * 18] == 0.0f;
      ck_assert_int_eq (pruned, smaller < 2);
      /* Bias entry, BN scale and B, depthwise row and bias follow the channel. */
      ck_assert_int_eq (tu_value (masked, "B1")->init->data[k] == 0.0f, pruned);
      ck_assert_int_eq (tu_value (masked, "bn_scale")->init->data[k] == 0.0f, pruned);
      ck_assert_int_eq (tu_value (masked, "bn_b")->init->data[k] == 0.0f, pruned);
      ck_assert_int_eq (tu_value (masked, "Bd")->init->data[k] == 0.0f, pruned);
    }
  ck_assert_int_eq (count_zero_rows (tu_value (masked, "W1")->init, 0), 2);
  ck_assert_int_eq (count_zero_rows (tu_value (masked, "Wd")->init, 0), 2);
  ck_assert_int_eq (count_zero_rows (tu_value (masked, "F1")->init, 0), 3);
  ck_assert_int_eq (count_zero_rows (tu_value (masked, "F2")->init, 0), 0);
  ck_assert_int_eq (count_zero_rows (tu_value (masked, "F2")->init, 1), 3);

  g_autoptr (PlGraph) small = pl_prune_physically_remove (masked, &error);
  ck_assert_msg (small != NULL, "%s", error ? error->message : "");
  const PlTensor *t = tu_value (small, "W1")->init;
  ck_assert_int_eq (t->shape[0], 2);
  ck_assert_int_eq (t->shape[1], 2);
  ck_assert_int_eq (tu_value (small, "bn_var")->init->shape[0], 2);
  ck_assert_int_eq (tu_value (small, "Wd")->init->shape[0], 2);
  ck_assert_int_eq (tu_value (small, "Bd")->init->shape[0], 2);
  /* fc1 keeps 2 channels × 2×2 columns of the Flatten, and 2 of its 5 neurons. */
  ck_assert_int_eq (tu_value (small, "F1")->init->shape[0], 2);
  ck_assert_int_eq (tu_value (small, "F1")->init->shape[1], 8);
  ck_assert_int_eq (tu_value (small, "F2")->init->shape[0], 3);
  ck_assert_int_eq (tu_value (small, "F2")->init->shape[1], 2);
  for (guint i = 0; i < small->nodes->len; i++)
    {
      const PlNode *n = g_ptr_array_index (small->nodes, i);
      if (g_str_equal (n->name, "dw"))
        ck_assert_int_eq (pl_node_get_int (n, "group", 0), 2);
    }
  gint64 xs[4] = { 3, 2, 4, 4 };
  check_same_outputs (masked, small, 4, xs);
  /* The pruned network really differs from the original (the test can fail). */
  ck_assert_int_lt (pl_graph_n_parameters (small), pl_graph_n_parameters (g));
}
END_TEST

START_TEST (test_residual_concat_mul)
{
  g_autoptr (PlGraph) g = build_residual_graph ();
  GError *error = NULL;
  g_autoptr (GPtrArray) groups = pl_prune_channel_groups (g, &error);
  ck_assert_int_eq (groups->len, 4);
  gboolean found_residual = FALSE;
  for (guint i = 0; i < groups->len; i++)
    {
      PlPruneGroupInfo *info = g_ptr_array_index (groups, i);
      if (g_str_equal (info->layers, "convA + convB"))
        {
          found_residual = TRUE;
          ck_assert_int_eq (info->channels, 4);
          ck_assert_ptr_null (info->refusal);
        }
      if (g_str_equal (info->layers, "out"))
        ck_assert_ptr_nonnull (strstr (info->refusal, "graph output"));
      g_free (info->layers);
      g_free (info->refusal);
      g_free (info);
    }
  ck_assert (found_residual);

  g_autoptr (PlPruneConfig) cfg = pl_prune_config_new ();
  cfg->granularity = PL_PRUNE_GRANULARITY_CHANNELS;
  cfg->criterion = PL_PRUNE_CRITERION_L2_NORM;
  const char *none[1] = { NULL };
  pl_prune_config_set_protected (cfg, none);
  cfg->scope = PL_PRUNE_SCOPE_LAYERWISE;
  g_autoptr (PlGraph) masked = pl_prune_apply (g, cfg, 0.5, NULL, &error);
  ck_assert_msg (masked != NULL, "%s", error ? error->message : "");
  /* The residual group is pruned at the same indices in convA and convB. */
  const PlTensor *ma = tu_value (masked, "WA")->mask, *mb = tu_value (masked, "WB")->mask;
  gint n_pruned = 0;
  for (gint k = 0; k < 4; k++)
    {
      ck_assert_float_eq (ma->data[k * 27], mb->data[k * 36]);
      n_pruned += ma->data[k * 27] == 0.0f;
    }
  ck_assert_int_eq (n_pruned, 2);
  /* The group's score is the sum of both layers' L2 norms. */
  const PlTensor *wa = tu_value (g, "WA")->init, *wb = tu_value (g, "WB")->init;
  double sc[4];
  for (gint k = 0; k < 4; k++)
    {
      double sa = 0, sb = 0;
      for (gint i = 0; i < 27; i++)
        sa += (double) wa->data[k * 27 + i] * wa->data[k * 27 + i];
      for (gint i = 0; i < 36; i++)
        sb += (double) wb->data[k * 36 + i] * wb->data[k * 36 + i];
      sc[k] = sqrt (sa) + sqrt (sb);
    }
  for (gint k = 0; k < 4; k++)
    {
      gint smaller = 0;
      for (gint j = 0; j < 4; j++)
        smaller += sc[j] < sc[k];
      ck_assert_int_eq (ma->data[k * 27] == 0.0f, smaller < 2);
    }

  g_autoptr (PlGraph) small = pl_prune_physically_remove (masked, &error);
  ck_assert_msg (small != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (tu_value (small, "WA")->init->shape[0], 2);
  ck_assert_int_eq (tu_value (small, "WB")->init->shape[0], 2);
  ck_assert_int_eq (tu_value (small, "WB")->init->shape[1], 2);
  ck_assert_int_eq (tu_value (small, "K")->init->shape[1], 2);
  ck_assert_int_eq (tu_value (small, "WC")->init->shape[0], 1);
  /* convD reads Concat (2 of 4 residual channels, then 1 of 2 from convC). */
  ck_assert_int_eq (tu_value (small, "WD")->init->shape[1], 3);
  /* convD: round (1.5) = 2 of 3 channels pruned, so the Gemm keeps 1 row of 3. */
  ck_assert_int_eq (tu_value (small, "WD")->init->shape[0], 1);
  ck_assert_int_eq (tu_value (small, "WO")->init->shape[0], 1);
  ck_assert_int_eq (tu_value (small, "WO")->init->shape[1], 2);
  gint64 xs[4] = { 2, 3, 5, 5 };
  check_same_outputs (masked, small, 4, xs);

  /* Channel 0 masked in convA (rows and bias) but not in convB: refused. */
  g_autoptr (PlGraph) half = pl_graph_copy (g);
  PlValue *va = pl_graph_value (half, pl_graph_find_value (half, "WA"));
  PlValue *vb = pl_graph_value (half, pl_graph_find_value (half, "BA"));
  va->mask = pl_tensor_new_like (va->init);
  vb->mask = pl_tensor_new_like (vb->init);
  for (gint64 i = 27; i < va->mask->numel; i++)
    va->mask->data[i] = 1.0f;
  for (gint64 i = 1; i < 4; i++)
    vb->mask->data[i] = 1.0f;
  g_autoptr (PlGraph) bad = pl_prune_physically_remove (half, &error);
  ck_assert_ptr_null (bad);
  ck_assert_msg (strstr (error->message, "pruned together") != NULL, "%s", error->message);
  g_clear_error (&error);

  /* Every channel of convC masked: at least one must remain. */
  g_autoptr (PlGraph) all = pl_graph_copy (g);
  PlValue *wc = pl_graph_value (all, pl_graph_find_value (all, "WC"));
  PlValue *bc = pl_graph_value (all, pl_graph_find_value (all, "BC"));
  wc->mask = pl_tensor_new_like (wc->init);
  bc->mask = pl_tensor_new_like (bc->init);
  g_autoptr (PlGraph) bad2 = pl_prune_physically_remove (all, &error);
  ck_assert_ptr_null (bad2);
  ck_assert_msg (strstr (error->message, "convC") && strstr (error->message, "at least one"),
                 "%s", error->message);
  g_clear_error (&error);
}
END_TEST

START_TEST (test_refusals)
{
  /* X [N,4,3,3] -> conv (4 ch, 1x1) -> Add (conv, X): X comes from no prunable layer. */
  g_autoptr (PlGraph) g = pl_graph_new ();
  gint64 xs[4] = { -1, 4, 3, 3 }, w[4] = { 4, 4, 1, 1 }, w2[4] = { 2, 4, 1, 1 };
  pl_graph_add_input (g, "X", 4, xs);
  GRand *rand = g_rand_new_with_seed (5);
  tu_init_random (g, rand, "W", 4, w, -1, 1);
  tu_init_random (g, rand, "W2", 4, w2, -1, 1);
  g_rand_free (rand);
  tu_node (g, "Conv", "conv", "X", "W", NULL, "c");
  tu_node (g, "Add", "add", "c", "X", NULL, "s");
  tu_node (g, "Conv", "conv2", "s", "W2", NULL, "Y");
  pl_graph_add_output (g, "Y");
  GError *error = NULL;
  g_autoptr (GPtrArray) groups = pl_prune_channel_groups (g, &error);
  ck_assert_int_eq (groups->len, 2);
  PlPruneGroupInfo *info = g_ptr_array_index (groups, 0);
  ck_assert_str_eq (info->layers, "conv");
  ck_assert_ptr_nonnull (strstr (info->refusal, "residual Add “add” also sums “X”"));
  for (guint i = 0; i < groups->len; i++)
    {
      info = g_ptr_array_index (groups, i);
      g_free (info->layers);
      g_free (info->refusal);
      g_free (info);
    }

  /* An override on the refused layer: pl_prune_apply says why. */
  g_autoptr (PlPruneConfig) cfg = pl_prune_config_new ();
  cfg->granularity = PL_PRUNE_GRANULARITY_CHANNELS;
  pl_prune_config_set_override (cfg, "conv", 0.5);
  g_autoptr (PlGraph) none = pl_prune_apply (g, cfg, 0.5, NULL, &error);
  ck_assert_ptr_null (none);
  ck_assert_msg (strstr (error->message, "conv") && strstr (error->message, "residual"), "%s",
                 error->message);
  g_clear_error (&error);

  /* A fully masked channel there (weight row and no bias): physical removal refuses. */
  g_autoptr (PlGraph) m = pl_graph_copy (g);
  PlValue *v = pl_graph_value (m, pl_graph_find_value (m, "W"));
  v->mask = pl_tensor_new_like (v->init);
  for (gint64 i = 4; i < 16; i++)
    v->mask->data[i] = 1.0f;
  g_autoptr (PlGraph) small = pl_prune_physically_remove (m, &error);
  ck_assert_ptr_null (small);
  ck_assert_int_eq (error->code, PL_ERROR_INVALID);
  ck_assert_msg (strstr (error->message, "“conv”") && strstr (error->message, "also sums"), "%s",
                 error->message);
  g_clear_error (&error);

  /* A graph without masked channels: a plain copy. */
  g_autoptr (PlGraph) same = pl_prune_physically_remove (g, &error);
  ck_assert_ptr_nonnull (same);
  ck_assert_int_eq (pl_graph_n_parameters (same), pl_graph_n_parameters (g));
}
END_TEST

START_TEST (test_default_model)
{
  const char *src = g_getenv ("PL_SOURCE_DIR");
  ck_assert_ptr_nonnull (src);
  g_autofree char *path = g_build_filename (src, "data", "models", "fashion-cnn.onnx", NULL);
  GError *error = NULL;
  g_autoptr (PlGraph) g = pl_onnx_load_file (path, &error);
  ck_assert_msg (g != NULL, "%s", error ? error->message : "");
  g_autoptr (PlPruneConfig) cfg = pl_prune_config_new ();
  cfg->granularity = PL_PRUNE_GRANULARITY_CHANNELS;
  cfg->criterion = PL_PRUNE_CRITERION_L1_NORM;
  cfg->scope = PL_PRUNE_SCOPE_LAYERWISE;
  g_autoptr (PlGraph) masked = pl_prune_apply (g, cfg, 0.5, NULL, &error);
  ck_assert_msg (masked != NULL, "%s", error ? error->message : "");
  g_autoptr (PlGraph) small = pl_prune_physically_remove (masked, &error);
  ck_assert_msg (small != NULL, "%s", error ? error->message : "");

  /* conv1 and fc2 are protected by default; conv2 keeps 16 of 32 channels, fc1 64 of
   * 128 neurons. */
  GArray *ids = pl_graph_prunable_weights (small);
  ck_assert_int_eq (ids->len, 4);
  const PlTensor *c1 = pl_graph_value (small, g_array_index (ids, gint, 0))->init;
  const PlTensor *c2 = pl_graph_value (small, g_array_index (ids, gint, 1))->init;
  const PlTensor *f1 = pl_graph_value (small, g_array_index (ids, gint, 2))->init;
  const PlTensor *f2 = pl_graph_value (small, g_array_index (ids, gint, 3))->init;
  ck_assert_int_eq (c1->shape[0], 16);
  ck_assert_int_eq (c2->shape[0], 16);
  ck_assert_int_eq (f1->shape[0], 64);
  ck_assert_int_eq (f1->shape[1], c2->shape[0] * 49);
  ck_assert_int_eq (f2->shape[1], f1->shape[0]);
  ck_assert_int_eq (f2->shape[0], 10);
  g_array_unref (ids);

  GRand *rand = g_rand_new_with_seed (9);
  gint64 xs[4] = { 4, 1, 28, 28 };
  g_autoptr (PlTensor) x = pl_tensor_new (4, xs, NULL);
  for (gint64 i = 0; i < x->numel; i++)
    x->data[i] = (float) g_rand_double (rand);
  g_rand_free (rand);
  g_autoptr (PlTensor) y1 = tu_run (masked, x);
  g_autoptr (PlTensor) y2 = tu_run (small, x);
  g_autoptr (PlTensor) y0 = tu_run (g, x);
  tu_assert_close (y1, y2, 1e-5);
  double diff = 0;
  for (gint64 i = 0; i < y0->numel; i++)
    diff = MAX (diff, fabs (y0->data[i] - y1->data[i]));
  ck_assert (diff > 1e-3);   /* pruning changed the network */

  /* The smaller graph survives an ONNX round trip with the same outputs. */
  gsize len = 0;
  g_autofree guint8 *bytes = pl_onnx_save_data (small, &len, &error);
  ck_assert_msg (bytes != NULL, "%s", error ? error->message : "");
  g_autoptr (PlGraph) back = pl_onnx_load_data (bytes, len, "small.onnx", &error);
  ck_assert_msg (back != NULL, "%s", error ? error->message : "");
  g_autoptr (PlTensor) y3 = tu_run (back, x);
  tu_assert_close (y2, y3, 1e-6);
}
END_TEST

/* Taylor channel importance on Fashion-MNIST test images, global scope; then removal. */
START_TEST (test_default_model_taylor)
{
  const char *src = g_getenv ("PL_SOURCE_DIR");
  g_autofree char *path = g_build_filename (src, "data", "models", "fashion-cnn.onnx", NULL);
  GError *error = NULL;
  g_autoptr (PlGraph) g = pl_onnx_load_file (path, &error);
  ck_assert_msg (g != NULL, "%s", error ? error->message : "");
  g_autoptr (PlDataset) ds = pl_dataset_load_fashion_mnist ("/usr/share/datasets/fashion-mnist",
                                                            "test", &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  g_autoptr (PlPruneConfig) cfg = pl_prune_config_new ();
  cfg->granularity = PL_PRUNE_GRANULARITY_CHANNELS;
  cfg->criterion = PL_PRUNE_CRITERION_TAYLOR;
  pl_prune_config_set_calibration (cfg, ds, 0, 16);
  g_autoptr (PlGraph) masked = pl_prune_apply (g, cfg, 0.3, NULL, &error);
  ck_assert_msg (masked != NULL, "%s", error ? error->message : "");
  g_autoptr (PlGraph) small = pl_prune_physically_remove (masked, &error);
  ck_assert_msg (small != NULL, "%s", error ? error->message : "");
  GArray *ids = pl_graph_prunable_weights (small);
  const PlTensor *c2 = pl_graph_value (small, g_array_index (ids, gint, 1))->init;
  const PlTensor *f1 = pl_graph_value (small, g_array_index (ids, gint, 2))->init;
  /* Global channel pruning counts its target in weights (within half a conv2 channel). */
  ck_assert_int_lt (c2->shape[0] + f1->shape[0], 32 + 128);
  ck_assert_float_eq_tol (pl_graph_weight_sparsity (masked), 0.3, 0.016);
  g_array_unref (ids);
  g_autoptr (PlTensor) x = pl_dataset_range (ds, 0, 8, &error);
  g_autoptr (PlTensor) y1 = tu_run (masked, x);
  g_autoptr (PlTensor) y2 = tu_run (small, x);
  tu_assert_close (y1, y2, 1e-5);
}
END_TEST

/* X [N,2,3,3] -> conv (3 ch, 3x3 pad 1) -> Relu -> Reshape [0, -1] -> Gemm (27 -> 2). */
START_TEST (test_reshape)
{
  GRand *rand = g_rand_new_with_seed (21);
  g_autoptr (PlGraph) g = pl_graph_new ();
  gint64 xs[4] = { -1, 2, 3, 3 }, w[4] = { 3, 2, 3, 3 }, c3[1] = { 3 }, f[2] = { 2, 27 };
  gint64 s2[1] = { 2 };
  const float shape[2] = { 0, -1 };
  pl_graph_add_input (g, "X", 4, xs);
  tu_init_random (g, rand, "W", 4, w, -1, 1);
  tu_init_random (g, rand, "B", 1, c3, -0.5, 0.5);
  tu_init_random (g, rand, "F", 2, f, -1, 1);
  tu_init (g, "shape", 1, s2, shape);
  pl_graph_value (g, pl_graph_find_value (g, "shape"))->elem_type = 7;
  gint64 pads[4] = { 1, 1, 1, 1 };
  pl_node_set_ints (tu_node (g, "Conv", "conv", "X", "W", "B", "c"), "pads", 4, pads);
  tu_node (g, "Relu", "relu", "c", NULL, NULL, "r");
  tu_node (g, "Reshape", "reshape", "r", "shape", NULL, "f");
  pl_node_set_int (tu_node (g, "Gemm", "fc", "f", "F", NULL, "Y"), "transB", 1);
  pl_graph_add_output (g, "Y");
  g_rand_free (rand);

  g_autoptr (PlPruneConfig) cfg = pl_prune_config_new ();
  cfg->granularity = PL_PRUNE_GRANULARITY_CHANNELS;
  const char *none[1] = { NULL };
  pl_prune_config_set_protected (cfg, none);
  GError *error = NULL;
  g_autoptr (PlGraph) masked = pl_prune_apply (g, cfg, 0.34, NULL, &error);
  ck_assert_msg (masked != NULL, "%s", error ? error->message : "");
  g_autoptr (PlGraph) small = pl_prune_physically_remove (masked, &error);
  ck_assert_msg (small != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (tu_value (small, "W")->init->shape[0], 2);
  ck_assert_int_eq (tu_value (small, "F")->init->shape[1], 18);
  gint64 in[4] = { 2, 2, 3, 3 };
  check_same_outputs (masked, small, 4, in);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("prune-struct");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_bn_depthwise_flatten);
  tcase_add_test (tc, test_residual_concat_mul);
  tcase_add_test (tc, test_refusals);
  tcase_add_test (tc, test_default_model);
  tcase_add_test (tc, test_default_model_taylor);
  tcase_add_test (tc, test_reshape);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
