/* pl-model.c — the architectures PruneLens builds from scratch (pl_model_build). */
#include <string.h>
#include <math.h>
#include "train/pl-train.h"
#include "pl-error.h"

/* splitmix64 (Steele, Lea & Flood 2014): a small, well-mixed deterministic generator. */
static guint64
splitmix64 (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* U(-b, b), b = sqrt (6 / fan_in): He et al. 2015, "Delving Deep into Rectifiers". */
static PlTensor *
he_uniform (gint ndim, const gint64 *shape, gint64 fan_in, guint64 *rng)
{
  PlTensor *t = pl_tensor_new (ndim, shape, NULL);
  double b = sqrt (6.0 / (double) fan_in);
  for (gint64 i = 0; i < t->numel; i++)
    {
      double u = (double) (splitmix64 (rng) >> 11) * (1.0 / 9007199254740992.0);
      t->data[i] = (float) ((2.0 * u - 1.0) * b);
    }
  return t;
}

static void
add_param (PlGraph *g, const char *name, gint ndim, const gint64 *shape, gint64 fan_in,
           guint64 *rng)
{
  g_autoptr (PlTensor) t = fan_in > 0 ? he_uniform (ndim, shape, fan_in, rng)
                                      : pl_tensor_new (ndim, shape, NULL);
  pl_graph_add_initializer (g, name, t);
}

static void
add_conv (PlGraph *g, const char *name, const char *in, const char *out, gint cin, gint cout,
          guint64 *rng)
{
  g_autofree char *w = g_strdup_printf ("%s.weight", name);
  g_autofree char *b = g_strdup_printf ("%s.bias", name);
  gint64 ws[4] = { cout, cin, 3, 3 }, bs[1] = { cout };
  add_param (g, w, 4, ws, (gint64) cin * 9, rng);
  add_param (g, b, 1, bs, 0, rng);
  const char *ins[] = { in, w, b }, *outs[] = { out };
  PlNode *n = pl_graph_add_node (g, "Conv", name, 3, ins, 1, outs);
  gint64 k[2] = { 3, 3 }, s[2] = { 1, 1 }, p[4] = { 1, 1, 1, 1 }, d[2] = { 1, 1 };
  pl_node_set_ints (n, "kernel_shape", 2, k);
  pl_node_set_ints (n, "strides", 2, s);
  pl_node_set_ints (n, "pads", 4, p);
  pl_node_set_ints (n, "dilations", 2, d);
  pl_node_set_int (n, "group", 1);
}

static void
add_gemm (PlGraph *g, const char *name, const char *in, const char *out, gint64 fin,
          gint64 fout, guint64 *rng)
{
  g_autofree char *w = g_strdup_printf ("%s.weight", name);
  g_autofree char *b = g_strdup_printf ("%s.bias", name);
  gint64 ws[2] = { fout, fin }, bs[1] = { fout };
  add_param (g, w, 2, ws, fin, rng);
  add_param (g, b, 1, bs, 0, rng);
  const char *ins[] = { in, w, b }, *outs[] = { out };
  PlNode *n = pl_graph_add_node (g, "Gemm", name, 3, ins, 1, outs);
  pl_node_set_float (n, "alpha", 1.f);
  pl_node_set_float (n, "beta", 1.f);
  pl_node_set_int (n, "transB", 1);
}

static void
add_unary (PlGraph *g, const char *op, const char *name, const char *in, const char *out)
{
  const char *ins[] = { in }, *outs[] = { out };
  pl_graph_add_node (g, op, name, 1, ins, 1, outs);
}

static void
add_pool (PlGraph *g, const char *name, const char *in, const char *out)
{
  const char *ins[] = { in }, *outs[] = { out };
  PlNode *n = pl_graph_add_node (g, "MaxPool", name, 1, ins, 1, outs);
  gint64 k[2] = { 2, 2 }, p[4] = { 0, 0, 0, 0 };
  pl_node_set_ints (n, "kernel_shape", 2, k);
  pl_node_set_ints (n, "strides", 2, k);
  pl_node_set_ints (n, "pads", 4, p);
}

PlGraph *
pl_model_build (const char *arch, gint channels, gint height, gint width, gint n_classes,
                guint64 seed, GError **error)
{
  g_return_val_if_fail (arch != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  gboolean cnn = g_str_equal (arch, "cnn"), mlp = g_str_equal (arch, "mlp");
  if (!cnn && !mlp)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "unknown architecture '%s' (expected \"cnn\" or \"mlp\")", arch);
      return NULL;
    }
  if (channels < 1 || height < 1 || width < 1 || n_classes < 2 || channels > 4096
      || height > 16384 || width > 16384 || n_classes > 1000000)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "invalid model size: %d channels, %d×%d pixels, %d classes (need at least "
                   "1 channel, 1×1 pixels and 2 classes)", channels, height, width, n_classes);
      return NULL;
    }
  if (cnn && (height < 4 || width < 4))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "the \"cnn\" architecture needs images of at least 4×4 pixels, got %d×%d",
                   height, width);
      return NULL;
    }

  g_autoptr (PlGraph) g = pl_graph_new ();
  guint64 rng = seed;
  g_free (g->name);
  g->name = g_strdup_printf ("prunelens-%s", arch);
  g_free (g->producer_name);
  g->producer_name = g_strdup ("PruneLens");
  g->opset = 13;
  g->ir_version = 8;

  gint64 in_shape[4] = { -1, channels, height, width };
  gint in_id = pl_graph_add_input (g, "input", 4, in_shape);
  PlValue *iv = pl_graph_value (g, in_id);
  g_free (iv->dim_param0);
  iv->dim_param0 = g_strdup ("N");

  if (cnn)
    {
      add_conv (g, "conv1", "input", "conv1_out", channels, 16, &rng);
      add_unary (g, "Relu", "relu1", "conv1_out", "relu1_out");
      add_pool (g, "pool1", "relu1_out", "pool1_out");
      add_conv (g, "conv2", "pool1_out", "conv2_out", 16, 32, &rng);
      add_unary (g, "Relu", "relu2", "conv2_out", "relu2_out");
      add_pool (g, "pool2", "relu2_out", "pool2_out");
      const char *ins[] = { "pool2_out" }, *outs[] = { "flat" };
      PlNode *f = pl_graph_add_node (g, "Flatten", "flatten", 1, ins, 1, outs);
      pl_node_set_int (f, "axis", 1);
      gint64 feat = 32 * (gint64) (height / 4) * (width / 4);
      add_gemm (g, "fc1", "flat", "fc1_out", feat, 128, &rng);
      add_unary (g, "Relu", "relu3", "fc1_out", "relu3_out");
      add_gemm (g, "fc2", "relu3_out", "logits", 128, n_classes, &rng);
    }
  else
    {
      const char *ins[] = { "input" }, *outs[] = { "flat" };
      PlNode *f = pl_graph_add_node (g, "Flatten", "flatten", 1, ins, 1, outs);
      pl_node_set_int (f, "axis", 1);
      add_gemm (g, "fc1", "flat", "fc1_out", (gint64) channels * height * width, 256, &rng);
      add_unary (g, "Relu", "relu1", "fc1_out", "relu1_out");
      add_gemm (g, "fc2", "relu1_out", "fc2_out", 256, 128, &rng);
      add_unary (g, "Relu", "relu2", "fc2_out", "relu2_out");
      add_gemm (g, "fc3", "relu2_out", "logits", 128, n_classes, &rng);
    }
  pl_graph_add_output (g, "logits");
  PlValue *ov = pl_graph_value (g, pl_graph_find_value (g, "logits"));
  ov->ndim = 2;
  ov->shape[0] = -1;
  ov->shape[1] = n_classes;
  ov->dim_param0 = g_strdup ("N");
  return g_steal_pointer (&g);
}

/* A Constant node with a [F] float tensor as its output (not an initializer: not trained). */
static void
add_constant (PlGraph *g, const char *name, const char *out, gint64 n, const float *values)
{
  gint64 shape[1] = { n };
  g_autoptr (PlTensor) t = pl_tensor_new (1, shape, NULL);
  memcpy (t->data, values, sizeof (float) * n);
  const char *outs[] = { out };
  PlNode *c = pl_graph_add_node (g, "Constant", name, 0, NULL, 1, outs);
  pl_node_set_tensor (c, "value", t);
}

PlGraph *
pl_model_build_table (gint n_features, gint n_outputs, const float *mean, const float *sd,
                      guint64 seed, GError **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (n_features < 1 || n_outputs < 1 || n_features > 1000000 || n_outputs > 1000000)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "invalid table model size: %d features, %d outputs (need at least 1 of "
                   "each)", n_features, n_outputs);
      return NULL;
    }
  g_autoptr (PlGraph) g = pl_graph_new ();
  guint64 rng = seed;
  g_free (g->name);
  g->name = g_strdup ("prunelens-table-mlp");
  g_free (g->producer_name);
  g->producer_name = g_strdup ("PruneLens");
  g->opset = 13;
  g->ir_version = 8;

  gint64 in_shape[2] = { -1, n_features };
  gint in_id = pl_graph_add_input (g, "input", 2, in_shape);
  PlValue *iv = pl_graph_value (g, in_id);
  g_free (iv->dim_param0);
  iv->dim_param0 = g_strdup ("N");

  g_autofree float *m = g_new (float, n_features);
  g_autofree float *s = g_new (float, n_features);
  for (gint f = 0; f < n_features; f++)
    {
      m[f] = mean != NULL && isfinite (mean[f]) ? mean[f] : 0.f;
      s[f] = sd != NULL && isfinite (sd[f]) && sd[f] > 0.f ? sd[f] : 1.f;
    }
  add_constant (g, "feature_mean", "feature_mean", n_features, m);
  add_constant (g, "feature_sd", "feature_sd", n_features, s);
  const char *sub_in[] = { "input", "feature_mean" }, *sub_out[] = { "centred" };
  pl_graph_add_node (g, "Sub", "standardise_sub", 2, sub_in, 1, sub_out);
  const char *div_in[] = { "centred", "feature_sd" }, *div_out[] = { "standardised" };
  pl_graph_add_node (g, "Div", "standardise_div", 2, div_in, 1, div_out);

  add_gemm (g, "fc1", "standardised", "fc1_out", n_features, 64, &rng);
  add_unary (g, "Relu", "relu1", "fc1_out", "relu1_out");
  add_gemm (g, "fc2", "relu1_out", "fc2_out", 64, 32, &rng);
  add_unary (g, "Relu", "relu2", "fc2_out", "relu2_out");
  add_gemm (g, "fc3", "relu2_out", "logits", 32, n_outputs, &rng);
  pl_graph_add_output (g, "logits");
  PlValue *ov = pl_graph_value (g, pl_graph_find_value (g, "logits"));
  ov->ndim = 2;
  ov->shape[0] = -1;
  ov->shape[1] = n_outputs;
  ov->dim_param0 = g_strdup ("N");
  return g_steal_pointer (&g);
}
