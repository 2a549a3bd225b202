/* test-executor.c — the executor on small hand-made graphs and on pl_model_build ("cnn"):
 * forward values, whole-model gradients against central finite differences, class
 * gradients, chunked prediction, and errors. */
#include <check.h>
#include <math.h>
#include <string.h>
#include "exec/pl-executor.h"
#include "train/pl-train.h"
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

static void
fill (PlTensor *t, double lo, double hi)
{
  for (gint64 i = 0; i < t->numel; i++)
    t->data[i] = (float) (lo + (hi - lo) * urand ());
}

static PlTensor *
tensor_from (gint ndim, const gint64 *shape, const float *data)
{
  PlTensor *t = pl_tensor_new (ndim, shape, NULL);
  memcpy (t->data, data, sizeof (float) * t->numel);
  return t;
}

/* x [N, 2, 2] -> Reshape [0, -1] -> Identity -> MatMul W[4, 2] -> Add b[2] -> Dropout
 * -> Softmax -> "probs" */
static PlGraph *
small_graph (void)
{
  PlGraph *g = pl_graph_new ();
  g->opset = 13;
  const gint64 in_shape[3] = { -1, 2, 2 };
  pl_graph_add_input (g, "x", 3, in_shape);
  const gint64 s1[1] = { 2 }, s2[2] = { 4, 2 };
  const float shape_data[2] = { 0, -1 };
  const float w[8] = { 1, 0, 0, 1, 1, 0, 0, 1 };
  const float b[2] = { 0, -2 };
  g_autoptr (PlTensor) ts = tensor_from (1, s1, shape_data);
  g_autoptr (PlTensor) tw = tensor_from (2, s2, w);
  g_autoptr (PlTensor) tb = tensor_from (1, s1, b);
  pl_graph_add_initializer (g, "shape", ts);
  pl_graph_add_initializer (g, "W", tw);
  pl_graph_add_initializer (g, "b", tb);
  const char *i1[] = { "x", "shape" }, *o1[] = { "flat" };
  pl_graph_add_node (g, "Reshape", "reshape", 2, i1, 1, o1);
  const char *i2[] = { "flat" }, *o2[] = { "flat2" };
  pl_graph_add_node (g, "Identity", "id", 1, i2, 1, o2);
  const char *i3[] = { "flat2", "W" }, *o3[] = { "mm" };
  pl_graph_add_node (g, "MatMul", "matmul", 2, i3, 1, o3);
  const char *i4[] = { "mm", "b" }, *o4[] = { "z" };
  pl_graph_add_node (g, "Add", "add", 2, i4, 1, o4);
  const char *i5[] = { "z" }, *o5[] = { "zd" };
  pl_graph_add_node (g, "Dropout", "drop", 1, i5, 1, o5);
  const char *i6[] = { "zd" }, *o6[] = { "probs" };
  pl_graph_add_node (g, "Softmax", "softmax", 1, i6, 1, o6);
  pl_graph_add_output (g, "probs");
  return g;
}

/* A symbolic batch dimension is unknown to the static checks: models valid only for one
 * batch size (Gemm transA = 1 on [N, K]; Concat with a fixed-shape initializer) load, run
 * with that batch, and fail with a clear error at run time for another one. */
START_TEST (test_symbolic_batch_checked_at_run_time)
{
  g_autoptr (GError) error = NULL;
  /* Y = Xᵀ B with X [N, 3], B [2, 4]: valid for N = 2 only; Y [3, 4] */
  {
    g_autoptr (PlGraph) g = pl_graph_new ();
    g->opset = 13;
    pl_graph_add_input (g, "x", 2, (const gint64[]) { -1, 3 });
    const float bd[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    g_autoptr (PlTensor) b = tensor_from (2, (const gint64[]) { 2, 4 }, bd);
    pl_graph_add_initializer (g, "B", b);
    const char *in[] = { "x", "B" }, *out[] = { "y" };
    PlNode *n = pl_graph_add_node (g, "Gemm", "gemm", 2, in, 1, out);
    pl_node_set_int (n, "transA", 1);
    pl_graph_add_output (g, "y");
    PlExecutor *ex = pl_executor_new (g, &error);
    ck_assert_msg (ex != NULL, "%s", error ? error->message : "");
    const float xd[6] = { 1, 0, -1, 2, 1, 0.5f };   /* rows (1, 0, -1), (2, 1, 0.5) */
    g_autoptr (PlTensor) x = tensor_from (2, (const gint64[]) { 2, 3 }, xd);
    ck_assert (pl_executor_forward (ex, x, &error));
    const PlTensor *y = pl_executor_output (ex, 0);
    ck_assert_int_eq (y->ndim, 2);
    ck_assert_int_eq (y->shape[0], 3);
    ck_assert_int_eq (y->shape[1], 4);
    /* Y[i][j] = Σ_n X[n][i] B[n][j] */
    for (gint i = 0; i < 3; i++)
      for (gint j = 0; j < 4; j++)
        ck_assert_float_eq_tol (y->data[i * 4 + j],
                                xd[i] * bd[j] + xd[3 + i] * bd[4 + j], 1e-6);
    g_autoptr (PlTensor) x5 = pl_tensor_new (2, (const gint64[]) { 5, 3 }, NULL);
    ck_assert (!pl_executor_forward (ex, x5, &error));
    ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
    ck_assert_ptr_nonnull (strstr (error->message, "gemm"));
    g_clear_error (&error);
    pl_executor_free (ex);
  }
  /* Concat ([N, 3, 4], C [2, 3, 2], axis 2) -> [2, 3, 6] */
  {
    g_autoptr (PlGraph) g = pl_graph_new ();
    g->opset = 13;
    pl_graph_add_input (g, "x", 3, (const gint64[]) { -1, 3, 4 });
    g_autoptr (PlTensor) c = pl_tensor_new (3, (const gint64[]) { 2, 3, 2 }, NULL);
    for (gint64 i = 0; i < c->numel; i++)
      c->data[i] = 100.f + (float) i;
    pl_graph_add_initializer (g, "C", c);
    const char *in[] = { "x", "C" }, *out[] = { "y" };
    PlNode *n = pl_graph_add_node (g, "Concat", "cat", 2, in, 1, out);
    pl_node_set_int (n, "axis", 2);
    pl_graph_add_output (g, "y");
    PlExecutor *ex = pl_executor_new (g, &error);
    ck_assert_msg (ex != NULL, "%s", error ? error->message : "");
    g_autoptr (PlTensor) x = pl_tensor_new (3, (const gint64[]) { 2, 3, 4 }, NULL);
    for (gint64 i = 0; i < x->numel; i++)
      x->data[i] = (float) i;
    ck_assert (pl_executor_forward (ex, x, &error));
    const PlTensor *y = pl_executor_output (ex, 0);
    ck_assert_int_eq (y->ndim, 3);
    ck_assert_int_eq (y->shape[2], 6);
    for (gint a = 0; a < 2; a++)
      for (gint b = 0; b < 3; b++)
        for (gint k = 0; k < 6; k++)
          ck_assert_float_eq (y->data[(a * 3 + b) * 6 + k],
                              k < 4 ? (float) ((a * 3 + b) * 4 + k)
                                    : 100.f + (float) ((a * 3 + b) * 2 + k - 4));
    g_autoptr (PlTensor) x1 = pl_tensor_new (3, (const gint64[]) { 1, 3, 4 }, NULL);
    ck_assert (!pl_executor_forward (ex, x1, &error));
    ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
    g_clear_error (&error);
    pl_executor_free (ex);
  }
  /* no batch size fits: [N, 3] + [5, 4] is refused when the executor is made */
  {
    g_autoptr (PlGraph) g = pl_graph_new ();
    g->opset = 13;
    pl_graph_add_input (g, "x", 2, (const gint64[]) { -1, 3 });
    g_autoptr (PlTensor) c = pl_tensor_new (2, (const gint64[]) { 5, 4 }, NULL);
    pl_graph_add_initializer (g, "C", c);
    const char *in[] = { "x", "C" }, *out[] = { "y" };
    pl_graph_add_node (g, "Add", "add", 2, in, 1, out);
    pl_graph_add_output (g, "y");
    ck_assert_ptr_null (pl_executor_new (g, &error));
    ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
    ck_assert_ptr_nonnull (strstr (error->message, "add"));
    g_clear_error (&error);
  }
}
END_TEST

START_TEST (test_small_graph_forward)
{
  g_autoptr (PlGraph) g = small_graph ();
  g_autoptr (GError) error = NULL;
  PlExecutor *ex = pl_executor_new (g, &error);
  ck_assert_msg (ex != NULL, "%s", error ? error->message : "");
  const gint64 xs[3] = { 2, 2, 2 };
  /* sample 0: [1,2,3,4] -> mm [4, 6] -> z [4, 4] -> [0.5, 0.5]
   * sample 1: [0,0,0,ln 2 + 2] -> mm [0, ln2 + 2] -> z [0, ln 2] -> [1/3, 2/3] */
  const float xd[8] = { 1, 2, 3, 4, 0, 0, 0, logf (2) + 2 };
  g_autoptr (PlTensor) x = tensor_from (3, xs, xd);
  ck_assert (pl_executor_forward (ex, x, &error));
  const PlTensor *y = pl_executor_output (ex, 0);
  ck_assert_int_eq (y->ndim, 2);
  ck_assert_int_eq (y->shape[0], 2);
  ck_assert_int_eq (y->shape[1], 2);
  ck_assert_float_eq_tol (y->data[0], 0.5, 1e-6);
  ck_assert_float_eq_tol (y->data[1], 0.5, 1e-6);
  ck_assert_float_eq_tol (y->data[2], 1.0 / 3, 1e-6);
  ck_assert_float_eq_tol (y->data[3], 2.0 / 3, 1e-6);
  const PlTensor *z = pl_executor_value (ex, pl_graph_find_value (g, "z"));
  ck_assert_float_eq_tol (z->data[0], 4, 1e-6);

  /* backward of probs[0][1]: the shape constant has no gradient, W and b do */
  g_autoptr (PlTensor) go = pl_tensor_new_like (y);
  go->data[1] = 1;
  ck_assert (pl_executor_backward (ex, go, TRUE, &error));
  ck_assert_ptr_null (pl_executor_param_grad (ex, pl_graph_find_value (g, "shape")));
  const PlTensor *gb = pl_executor_param_grad (ex, pl_graph_find_value (g, "b"));
  ck_assert_ptr_nonnull (gb);
  /* d p1 / d z = p1 (e_1 - p) = [-0.25, 0.25] for sample 0 */
  ck_assert_float_eq_tol (gb->data[0], -0.25, 1e-6);
  ck_assert_float_eq_tol (gb->data[1], 0.25, 1e-6);
  const PlTensor *gx = pl_executor_input_grad (ex);
  ck_assert_int_eq (gx->ndim, 3);
  /* dz/dx: W rows -> x0 feeds z0: -0.25, x1 feeds z1: 0.25, x2: -0.25, x3: 0.25 */
  ck_assert_float_eq_tol (gx->data[0], -0.25, 1e-6);
  ck_assert_float_eq_tol (gx->data[3], 0.25, 1e-6);
  ck_assert_float_eq_tol (gx->data[4], 0, 1e-7);

  /* wrong sample shape */
  const gint64 bad_shape[3] = { 1, 3, 3 };
  g_autoptr (PlTensor) bad = pl_tensor_new (3, bad_shape, NULL);
  ck_assert (!pl_executor_forward (ex, bad, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  ck_assert_ptr_nonnull (strstr (error->message, "[1, 3, 3]"));
  g_clear_error (&error);
  ck_assert_ptr_null (pl_executor_output (ex, 0));
  /* backward without a forward */
  ck_assert (!pl_executor_backward (ex, go, TRUE, &error));
  g_clear_error (&error);
  pl_executor_free (ex);
}
END_TEST

START_TEST (test_unsupported_operator)
{
  g_autoptr (PlGraph) g = pl_graph_new ();
  g->opset = 13;
  const gint64 shape[2] = { -1, 4 };
  pl_graph_add_input (g, "x", 2, shape);
  const char *in[] = { "x" }, *out[] = { "y" };
  pl_graph_add_node (g, "Relu", "ok", 1, in, 1, out);
  const char *in2[] = { "y" }, *out2[] = { "z" };
  pl_graph_add_node (g, "Erf", "mystery", 1, in2, 1, out2);
  pl_graph_add_output (g, "z");
  g_autoptr (GError) error = NULL;
  ck_assert_ptr_null (pl_executor_new (g, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_UNSUPPORTED));
  ck_assert_ptr_nonnull (strstr (error->message, "mystery"));
  ck_assert_ptr_nonnull (strstr (error->message, "Erf"));
  ck_assert_ptr_nonnull (strstr (error->message, "13"));
}
END_TEST

START_TEST (test_conv_group_and_shape_errors)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = pl_model_build ("cnn", 1, 8, 8, 3, 1, &error);
  ck_assert_ptr_nonnull (g);
  PlNode *conv = g_ptr_array_index (g->nodes, 0);
  /* group 2 does not divide the single input channel */
  pl_node_set_int (conv, "group", 2);
  ck_assert_ptr_null (pl_executor_new (g, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  ck_assert_ptr_nonnull (strstr (error->message, "conv1"));
  g_clear_error (&error);
  pl_node_set_int (conv, "group", 1);
  /* weight channels that do not match the input */
  const gint64 ws[4] = { 16, 2, 3, 3 };
  g_autoptr (PlTensor) w = pl_tensor_new (4, ws, NULL);
  pl_graph_add_initializer (g, "conv1.weight", w);
  ck_assert_ptr_null (pl_executor_new (g, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  ck_assert_ptr_nonnull (strstr (error->message, "conv1"));
  g_clear_error (&error);

  ck_assert_ptr_null (pl_model_build ("resnet", 1, 8, 8, 3, 1, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
}
END_TEST

START_TEST (test_model_build_shapes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = pl_model_build ("cnn", 1, 28, 28, 10, 3, &error);
  ck_assert_ptr_nonnull (g);
  ck_assert_int_eq (g->opset, 13);
  gint w1 = pl_graph_find_value (g, "conv1.weight");
  ck_assert_int_ge (w1, 0);
  const PlTensor *t = pl_graph_value (g, w1)->init;
  ck_assert_int_eq (t->shape[0], 16);
  ck_assert_int_eq (t->shape[1], 1);
  /* He uniform bound sqrt(6/9) */
  double bound = sqrt (6.0 / 9.0);
  ck_assert_float_le (pl_tensor_max_abs (t), bound);
  ck_assert_float_gt (pl_tensor_max_abs (t), 0.8 * bound);
  const PlTensor *fc1 = pl_graph_value (g, pl_graph_find_value (g, "fc1.weight"))->init;
  ck_assert_int_eq (fc1->shape[0], 128);
  ck_assert_int_eq (fc1->shape[1], 32 * 7 * 7);
  const PlTensor *b = pl_graph_value (g, pl_graph_find_value (g, "fc1.bias"))->init;
  ck_assert_float_eq (pl_tensor_max_abs (b), 0);
  /* parameters: 160 + 4640 + 200832 + 1290 */
  ck_assert_int_eq (pl_graph_n_parameters (g), 160 + 4640 + 200832 + 1290);

  /* the first forward of a batch of 1 uses the plan checked by pl_executor_new */
  PlExecutor *ex1 = pl_executor_new (g, &error);
  ck_assert_ptr_nonnull (ex1);
  const gint64 one[4] = { 1, 1, 28, 28 };
  g_autoptr (PlTensor) x1 = pl_tensor_new (4, one, NULL);
  ck_assert (pl_executor_forward (ex1, x1, &error));
  ck_assert_int_eq (pl_executor_output (ex1, 0)->shape[1], 10);
  pl_executor_free (ex1);

  g_autoptr (PlGraph) m = pl_model_build ("mlp", 1, 28, 28, 10, 3, &error);
  ck_assert_int_eq (pl_graph_n_parameters (m), 784 * 256 + 256 + 256 * 128 + 128 + 1290);
  PlExecutor *ex = pl_executor_new (m, &error);
  ck_assert_ptr_nonnull (ex);
  const gint64 xs[4] = { 3, 1, 28, 28 };
  g_autoptr (PlTensor) x = pl_tensor_new (4, xs, NULL);
  ck_assert (pl_executor_forward (ex, x, &error));
  ck_assert_int_eq (pl_executor_output (ex, 0)->shape[1], 10);
  pl_executor_free (ex);

  /* same seed -> same weights; another seed -> different */
  g_autoptr (PlGraph) g2 = pl_model_build ("cnn", 1, 28, 28, 10, 3, &error);
  g_autoptr (PlGraph) g3 = pl_model_build ("cnn", 1, 28, 28, 10, 4, &error);
  const PlTensor *t2 = pl_graph_value (g2, w1)->init, *t3 = pl_graph_value (g3, w1)->init;
  ck_assert (memcmp (t->data, t2->data, sizeof (float) * t->numel) == 0);
  ck_assert (memcmp (t->data, t3->data, sizeof (float) * t->numel) != 0);
}
END_TEST

static double
loss_of (PlExecutor *ex, const PlTensor *x, const PlTensor *r)
{
  ck_assert (pl_executor_forward (ex, x, NULL));
  const PlTensor *y = pl_executor_output (ex, 0);
  double s = 0;
  for (gint64 i = 0; i < y->numel; i++)
    s += (double) r->data[i] * y->data[i];
  return s;
}

static void
assert_close (const char *what, gint64 i, double analytic, double num)
{
  ck_assert_msg (fabs (analytic - num) <= 1e-3 + 1.5e-2 * fabs (num),
                 "%s[%" G_GINT64_FORMAT "]: analytic %g, finite difference %g", what, i,
                 analytic, num);
}

START_TEST (test_model_gradient_fd)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = pl_model_build ("cnn", 1, 8, 8, 3, 42, &error);
  ck_assert_ptr_nonnull (g);
  /* non-zero biases so they matter */
  rng_state = 1234;
  const char *biases[] = { "conv1.bias", "conv2.bias", "fc1.bias", "fc2.bias" };
  for (gsize i = 0; i < G_N_ELEMENTS (biases); i++)
    fill (pl_graph_value (g, pl_graph_find_value (g, biases[i]))->init, -0.1, 0.1);
  PlExecutor *ex = pl_executor_new (g, &error);
  ck_assert_ptr_nonnull (ex);
  const gint64 xs[4] = { 2, 1, 8, 8 };
  g_autoptr (PlTensor) x = pl_tensor_new (4, xs, NULL);
  fill (x, 0, 1);
  const gint64 rs[2] = { 2, 3 };
  g_autoptr (PlTensor) r = pl_tensor_new (2, rs, NULL);
  fill (r, -1, 1);

  ck_assert (pl_executor_forward (ex, x, &error));
  ck_assert (pl_executor_backward (ex, r, TRUE, &error));
  g_autoptr (PlTensor) gx = pl_tensor_dup (pl_executor_input_grad (ex));
  const char *params[] = { "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                           "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias" };
  PlTensor *gp[8];
  for (gint k = 0; k < 8; k++)
    {
      const PlTensor *pg = pl_executor_param_grad (ex, pl_graph_find_value (g, params[k]));
      ck_assert_msg (pg != NULL, "no gradient for %s", params[k]);
      gp[k] = pl_tensor_dup (pg);
    }
  ck_assert_float_gt (pl_tensor_max_abs (gx), 0);

  /* ReLU and MaxPool make the loss piecewise linear: a coordinate whose central
   * differences at h and h/2 disagree straddles a kink and is replaced by another one
   * (at most one per two checked). */
  gint skipped = 0, checked = 0;
  for (gint k = -1; k < 8; k++)
    {
      PlTensor *w = k < 0 ? x : pl_graph_value (g, pl_graph_find_value (g, params[k]))->init;
      const PlTensor *an = k < 0 ? gx : gp[k];
      gint want = k < 0 ? 12 : 5;
      for (gint t = 0, ok = 0; ok < want; t++)
        {
          ck_assert_msg (t < 4 * want, "too many kinks for %s", k < 0 ? "input" : params[k]);
          gint64 i = (gint64) (urand () * w->numel);
          double num[2];
          for (gint s = 0; s < 2; s++)
            {
              float h = s == 0 ? 4e-3f : 2e-3f;
              float keep = w->data[i];
              w->data[i] = keep + h;
              double lp = loss_of (ex, x, r);
              w->data[i] = keep - h;
              double lm = loss_of (ex, x, r);
              w->data[i] = keep;
              num[s] = (lp - lm) / (2 * h);
            }
          if (fabs (num[0] - num[1]) > 5e-4 + 5e-3 * fabs (num[1]))
            {
              skipped++;
              continue;
            }
          assert_close (k < 0 ? "input" : params[k], i, an->data[i], num[1]);
          ok++;
          checked++;
        }
    }
  ck_assert_int_le (skipped, checked / 2);
  for (gint k = 0; k < 8; k++)
    pl_tensor_unref (gp[k]);
  pl_executor_free (ex);
}
END_TEST

START_TEST (test_class_gradient_and_predict)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = pl_model_build ("cnn", 1, 8, 8, 3, 5, &error);
  PlExecutor *ex = pl_executor_new (g, &error);
  ck_assert_ptr_nonnull (ex);
  rng_state = 99;
  const gint64 xs[4] = { 3, 1, 8, 8 };
  g_autoptr (PlTensor) x = pl_tensor_new (4, xs, NULL);
  fill (x, 0, 1);
  const gint targets[3] = { 2, 0, 1 };
  PlTensor *logits = NULL;
  g_autoptr (PlTensor) cg = pl_executor_class_gradient (ex, x, targets, &logits, &error);
  ck_assert_ptr_nonnull (cg);
  ck_assert_ptr_nonnull (logits);
  ck_assert_int_eq (logits->shape[1], 3);

  ck_assert (pl_executor_forward (ex, x, &error));
  g_autoptr (PlTensor) onehot = pl_tensor_new_like (pl_executor_output (ex, 0));
  for (gint i = 0; i < 3; i++)
    onehot->data[i * 3 + targets[i]] = 1;
  ck_assert (pl_executor_backward (ex, onehot, FALSE, &error));
  const PlTensor *gx = pl_executor_input_grad (ex);
  ck_assert (pl_tensor_same_shape (gx, cg));
  for (gint64 i = 0; i < gx->numel; i++)
    ck_assert_float_eq (gx->data[i], cg->data[i]);
  ck_assert_float_gt (pl_tensor_max_abs (cg), 0);
  ck_assert_ptr_null (pl_executor_param_grad (ex, pl_graph_find_value (g, "fc2.weight")));

  /* chunked prediction (2 + 1) equals the full forward */
  g_autoptr (PlTensor) pred = pl_executor_predict (ex, x, 2, NULL, &error);
  ck_assert_ptr_nonnull (pred);
  for (gint64 i = 0; i < pred->numel; i++)
    ck_assert_float_eq_tol (pred->data[i], logits->data[i], 1e-5);
  pl_tensor_unref (logits);

  /* target out of range */
  const gint bad[3] = { 0, 3, 0 };
  ck_assert_ptr_null (pl_executor_class_gradient (ex, x, bad, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);

  /* cancelled prediction */
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_cancellable_cancel (cancel);
  PlProgress progress;
  pl_progress_init (&progress, NULL, NULL, cancel);
  ck_assert_ptr_null (pl_executor_predict (ex, x, 2, &progress, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  pl_executor_free (ex);
}
END_TEST

/* The depth-first (micro-batch) forward equals the layer-by-layer one: outputs and every
 * intermediate value (backward reads them), and the input gradient afterwards. */
START_TEST (test_micro_batch_forward_matches_layerwise)
{
  g_autoptr (GError) error = NULL;
  const char *kinds[] = { "cnn", "mlp" };
  for (guint kk = 0; kk < G_N_ELEMENTS (kinds); kk++)
    {
      g_autoptr (PlGraph) g = pl_model_build (kinds[kk], 1, 28, 28, 10, 3, &error);
      ck_assert_ptr_nonnull (g);
      const gint64 sizes[] = { 1, 5, 9, 37 };
      for (guint si = 0; si < G_N_ELEMENTS (sizes); si++)
        {
          const gint64 xs[4] = { sizes[si], 1, 28, 28 };
          g_autoptr (PlTensor) x = pl_tensor_new (4, xs, NULL);
          rng_state = 1234 + si;
          fill (x, 0, 1);
          g_unsetenv ("PL_NO_MICRO_BATCH");
          PlExecutor *micro = pl_executor_new (g, &error);
          g_setenv ("PL_NO_MICRO_BATCH", "1", TRUE);
          PlExecutor *layer = pl_executor_new (g, &error);
          ck_assert (pl_executor_forward (micro, x, &error));
          ck_assert (pl_executor_forward (layer, x, &error));
          g_unsetenv ("PL_NO_MICRO_BATCH");
          for (guint v = 0; v < g->values->len; v++)
            {
              const PlTensor *a = pl_executor_value (micro, (gint) v);
              const PlTensor *b = pl_executor_value (layer, (gint) v);
              ck_assert ((a == NULL) == (b == NULL));
              if (a == NULL)
                continue;
              ck_assert (pl_tensor_same_shape (a, b));
              /* one assertion per value: Check's per-assertion bookkeeping is slow */
              gint64 bad = -1;
              for (gint64 i = 0; i < a->numel && bad < 0; i++)
                if (!(fabs (a->data[i] - b->data[i]) <= 1e-4 * (1 + fabs (b->data[i]))))
                  bad = i;
              ck_assert_msg (bad < 0, "%s batch %" G_GINT64_FORMAT " value %s[%" G_GINT64_FORMAT
                             "]: %g vs %g", kinds[kk], sizes[si],
                             pl_graph_value (g, (gint) v)->name, bad,
                             bad >= 0 ? a->data[bad] : 0.f, bad >= 0 ? b->data[bad] : 0.f);
            }
          /* deterministic */
          g_autoptr (PlTensor) out1 = pl_tensor_dup (pl_executor_output (micro, 0));
          ck_assert (pl_executor_forward (micro, x, &error));
          ck_assert (memcmp (out1->data, pl_executor_output (micro, 0)->data,
                             sizeof (float) * out1->numel) == 0);
          /* backward after a micro-batch forward */
          g_autoptr (PlTensor) go = pl_tensor_new_like (out1);
          for (gint64 i = 0; i < go->numel; i++)
            go->data[i] = (float) (i % 7) - 3.f;
          ck_assert (pl_executor_backward (micro, go, FALSE, &error));
          ck_assert (pl_executor_backward (layer, go, FALSE, &error));
          const PlTensor *ga = pl_executor_input_grad (micro), *gb = pl_executor_input_grad (layer);
          gint64 bad = -1;
          for (gint64 i = 0; i < ga->numel && bad < 0; i++)
            if (!(fabs (ga->data[i] - gb->data[i]) <= 1e-4 * (1 + fabs (gb->data[i]))))
              bad = i;
          ck_assert_msg (bad < 0, "input gradient %" G_GINT64_FORMAT ": %g vs %g", bad,
                         bad >= 0 ? ga->data[bad] : 0.f, bad >= 0 ? gb->data[bad] : 0.f);
          pl_executor_free (micro);
          pl_executor_free (layer);
        }
    }
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("executor");
  TCase *tc = tcase_create ("executor");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_small_graph_forward);
  tcase_add_test (tc, test_symbolic_batch_checked_at_run_time);
  tcase_add_test (tc, test_unsupported_operator);
  tcase_add_test (tc, test_conv_group_and_shape_errors);
  tcase_add_test (tc, test_model_build_shapes);
  tcase_add_test (tc, test_model_gradient_fd);
  tcase_add_test (tc, test_class_gradient_and_predict);
  tcase_add_test (tc, test_micro_batch_forward_matches_layerwise);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
