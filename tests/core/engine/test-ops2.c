/* test-ops2.c — the added ONNX operators through the executor: hand-computed forwards and
 * central finite-difference checks of the gradients w.r.t. every data input and every
 * parameter (initializer in a differentiable slot).
 *
 * Gradient checks use the loss L = sum_i r_i y_i (output 0) with a random r, so
 * dL/dy = r; the reference is (L(v + h) - L(v - h)) / 2h with L summed in double, h = 1e-2,
 * compared with |analytic - numeric| <= 5e-3 (1 + |numeric|) (float forward passes; the
 * O(h^2) truncation error of the smooth ops is below 1e-4 here). Inputs of ops with kinks
 * (LeakyRelu, Clip, MaxPool) are kept at least 0.05 away from the kinks and ties.
 */
#include <check.h>
#include <math.h>
#include <string.h>
#include "exec/pl-executor.h"
#include "pl-error.h"

#include "grad-check.h"

/* ------------------------------------------------------------------ elementwise */

START_TEST (test_binary_broadcast)
{
  static const char *const ops[] = { "Add", "Sub", "Mul", "Div" };
  static const float want[4][6] = {
    { 2, 4, 7, 5, 7, 10 }, { 0, 0, -1, 3, 3, 2 }, { 1, 4, 12, 4, 10, 24 },
    { 1, 1, 0.75f, 4, 2.5f, 1.5f },
  };
  for (gint k = 0; k < 4; k++)
    {
      g_autoptr (PlGraph) g = graph (13);
      pl_graph_add_input (g, "a", 2, S (-1, 3));
      pl_graph_add_input (g, "b", 1, S (3));
      node (g, ops[k], "a,b");
      PlTensor *in[2] = { tensor (2, S (2, 3), F (1, 2, 3, 4, 5, 6)),
                          tensor (1, S (3), F (1, 2, 4)) };
      g_autoptr (PlTensor) y = run (g, 2, in);
      expect (y, 2, S (2, 3), want[k], 1e-6);
      pl_tensor_unref (in[0]);
      pl_tensor_unref (in[1]);

      /* gradients, broadcast both ways: a [2, 1, 3] (op) b [2, 1] -> [2, 2, 3], and a
       * parameter c [3] broadcast over everything */
      g_autoptr (PlGraph) g2 = graph (13);
      pl_graph_add_input (g2, "a", 3, S (2, 1, 3));
      pl_graph_add_input (g2, "b", 2, S (2, 1));
      init (g2, "c", rand_tensor (1, S (3), 0.5, 1.5));
      const char *i1[] = { "a", "b" }, *o1[] = { "t" };
      pl_graph_add_node (g2, ops[k], "n0", 2, i1, 1, o1);
      node (g2, ops[k], "t,c");
      PlTensor *in2[2] = { rand_tensor (3, S (2, 1, 3), -1, 1),
                           rand_tensor (2, S (2, 1), 0.5, 1.5) };
      ck_assert_int_eq (check_grads (g2, 2, in2), 3);
      pl_tensor_unref (in2[0]);
      pl_tensor_unref (in2[1]);
    }
}
END_TEST

START_TEST (test_unary)
{
  const float ln3 = logf (3.f), ln2 = logf (2.f);
  struct { const char *op; float x[3]; float y[3]; } cases[] = {
    { "Sigmoid", { 0, ln3, -ln3 }, { 0.5f, 0.75f, 0.25f } },
    { "Tanh", { 0, ln2, -ln2 }, { 0, 0.6f, -0.6f } },
    { "LeakyRelu", { -2, -0.5f, 2 }, { -0.2f, -0.05f, 2 } },
    { "Relu", { -2, -0.5f, 2 }, { 0, 0, 2 } },
  };
  for (gsize k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      g_autoptr (PlGraph) g = graph (13);
      pl_graph_add_input (g, "x", -1, NULL);
      PlNode *n = node (g, cases[k].op, "x");
      if (g_str_equal (cases[k].op, "LeakyRelu"))
        pl_node_set_float (n, "alpha", 0.1f);
      PlTensor *x = tensor (1, S (3), cases[k].x);
      g_autoptr (PlTensor) y = run (g, 1, &x);
      expect (y, 1, S (3), cases[k].y, 1e-6);
      pl_tensor_unref (x);
      PlTensor *xr = rand_tensor (2, S (3, 4), -2, 2);
      check_grads (g, 1, &xr);
      pl_tensor_unref (xr);
    }
}
END_TEST

START_TEST (test_clip_opsets)
{
  const float xs[6] = { -1.7f, -0.6f, 0.3f, 0.8f, 1.4f, -1.2f };
  const float want[6] = { -1, -0.6f, 0.3f, 0.8f, 1, -1 };
  /* opset 6: attributes */
  g_autoptr (PlGraph) g = graph (6);
  pl_graph_add_input (g, "x", 1, S (6));
  PlNode *n = node (g, "Clip", "x");
  pl_node_set_float (n, "min", -1);
  pl_node_set_float (n, "max", 1);
  PlTensor *x = tensor (1, S (6), xs);
  g_autoptr (PlTensor) y = run (g, 1, &x);
  expect (y, 1, S (6), want, 0);
  check_grads (g, 1, &x);
  /* opset 13: inputs (min given, max omitted here -> only the lower bound) */
  g_autoptr (PlGraph) g2 = graph (13);
  pl_graph_add_input (g2, "x", 1, S (6));
  init (g2, "lo", tensor (0, NULL, F (-1)));
  node (g2, "Clip", "x,lo");
  g_autoptr (PlTensor) y2 = run (g2, 1, &x);
  const float want2[6] = { -1, -0.6f, 0.3f, 0.8f, 1.4f, -1 };
  expect (y2, 1, S (6), want2, 0);
  check_grads (g2, 1, &x);
  pl_tensor_unref (x);
}
END_TEST

START_TEST (test_softmax_axis_semantics)
{
  const float ln3 = logf (3.f);
  const float xs[4] = { 0, ln3, 0, 0 };
  const float want13[4] = { 0.5f, 0.75f, 0.5f, 0.25f };          /* over axis 1 only */
  const float want11[4] = { 1 / 6.f, 0.5f, 1 / 6.f, 1 / 6.f };  /* over [1, 4] */
  for (gint log = 0; log < 2; log++)
    for (gint v = 0; v < 2; v++)
      {
        g_autoptr (PlGraph) g = graph (v == 0 ? 13 : 11);
        pl_graph_add_input (g, "x", -1, NULL);
        PlNode *n = node (g, log ? "LogSoftmax" : "Softmax", "x");
        pl_node_set_int (n, "axis", 1);
        PlTensor *x = tensor (3, S (1, 2, 2), xs);
        g_autoptr (PlTensor) y = run (g, 1, &x);
        float w[4];
        for (gint i = 0; i < 4; i++)
          w[i] = log ? logf ((v == 0 ? want13 : want11)[i]) : (v == 0 ? want13 : want11)[i];
        expect (y, 3, S (1, 2, 2), w, 1e-6);
        pl_tensor_unref (x);
        PlTensor *xr = rand_tensor (3, S (2, 3, 4), -2, 2);
        check_grads (g, 1, &xr);
        pl_tensor_unref (xr);
      }
}
END_TEST

/* ------------------------------------------------------------------ pools */

START_TEST (test_avgpool)
{
  const float xs[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  const float excl[9] = { 1, 1.5f, 2.5f, 2.5f, 3, 4, 5.5f, 6, 7 };
  const float incl[9] = { 0.25f, 0.75f, 1.25f, 1.25f, 3, 4, 2.75f, 6, 7 };
  for (gint c = 0; c < 2; c++)
    {
      g_autoptr (PlGraph) g = graph (11);
      pl_graph_add_input (g, "x", 4, S (1, 1, 3, 3));
      PlNode *n = node (g, "AveragePool", "x");
      pl_node_set_ints (n, "kernel_shape", 2, S (2, 2));
      pl_node_set_ints (n, "pads", 4, S (1, 1, 0, 0));
      pl_node_set_int (n, "count_include_pad", c);
      PlTensor *x = tensor (4, S (1, 1, 3, 3), xs);
      g_autoptr (PlTensor) y = run (g, 1, &x);
      expect (y, 4, S (1, 1, 3, 3), c ? incl : excl, 1e-6);
      pl_tensor_unref (x);
    }
  /* ceil_mode: the overhanging windows average only the cells inside */
  g_autoptr (PlGraph) g = graph (11);
  pl_graph_add_input (g, "x", -1, NULL);
  PlNode *n = node (g, "AveragePool", "x");
  pl_node_set_ints (n, "kernel_shape", 2, S (2, 2));
  pl_node_set_ints (n, "strides", 2, S (2, 2));
  pl_node_set_int (n, "ceil_mode", 1);
  PlTensor *x = tensor (4, S (1, 1, 3, 3), xs);
  g_autoptr (PlTensor) y = run (g, 1, &x);
  expect (y, 4, S (1, 1, 2, 2), F (3, 4.5f, 7.5f, 9), 1e-6);
  pl_tensor_unref (x);
  /* gradient: kernel 3, stride 2, pads 1, count_include_pad 1, ceil_mode */
  pl_node_set_ints (n, "kernel_shape", 2, S (3, 3));
  pl_node_set_ints (n, "pads", 4, S (1, 1, 1, 1));
  pl_node_set_int (n, "count_include_pad", 1);
  PlTensor *xr = rand_tensor (4, S (2, 2, 5, 6), -1, 1);
  check_grads (g, 1, &xr);
  pl_tensor_unref (xr);
}
END_TEST

START_TEST (test_global_avgpool_and_maxpool)
{
  g_autoptr (PlGraph) g = graph (13);
  pl_graph_add_input (g, "x", 4, S (1, 2, 2, 2));
  node (g, "GlobalAveragePool", "x");
  PlTensor *x = tensor (4, S (1, 2, 2, 2), F (1, 2, 3, 4, 5, 6, 7, 8));
  g_autoptr (PlTensor) y = run (g, 1, &x);
  expect (y, 4, S (1, 2, 1, 1), F (2.5f, 6.5f), 1e-6);
  check_grads (g, 1, &x);
  pl_tensor_unref (x);

  /* MaxPool 1-D, and the ties rule: the first maximum gets the gradient */
  g_autoptr (PlGraph) g1 = graph (13);
  pl_graph_add_input (g1, "x", 3, S (1, 1, 4));
  PlNode *n = node (g1, "MaxPool", "x");
  pl_node_set_ints (n, "kernel_shape", 1, S (2));
  pl_node_set_ints (n, "strides", 1, S (2));
  PlTensor *x1 = tensor (3, S (1, 1, 4), F (1, 3, 4, 4));
  g_autoptr (GError) error = NULL;
  PlExecutor *ex = pl_executor_new (g1, &error);
  ck_assert_msg (ex != NULL, "%s", error ? error->message : "");
  ck_assert (pl_executor_forward (ex, x1, &error));
  expect (pl_executor_output (ex, 0), 3, S (1, 1, 2), F (3, 4), 0);
  g_autoptr (PlTensor) dy = tensor (3, S (1, 1, 2), F (1, 1));
  ck_assert (pl_executor_backward (ex, dy, FALSE, &error));
  expect (pl_executor_input_grad (ex), 3, S (1, 1, 4), F (0, 1, 1, 0), 0);
  pl_executor_free (ex);
  pl_tensor_unref (x1);

  /* MaxPool gradient: 2-D, strides, dilations, pads, ceil_mode (distinct inputs: no ties) */
  g_autoptr (PlGraph) g2 = graph (13);
  pl_graph_add_input (g2, "x", 4, S (-1, 2, 5, 6));
  n = node (g2, "MaxPool", "x");
  pl_node_set_ints (n, "kernel_shape", 2, S (2, 3));
  pl_node_set_ints (n, "strides", 2, S (2, 2));
  pl_node_set_ints (n, "dilations", 2, S (1, 2));
  pl_node_set_ints (n, "pads", 4, S (1, 0, 1, 1));
  pl_node_set_int (n, "ceil_mode", 1);
  PlTensor *x2 = pl_tensor_new (4, S (2, 2, 5, 6), NULL);
  for (gint64 i = 0; i < x2->numel; i++)   /* a permutation of 0.1 * k: gaps of 0.1 */
    x2->data[i] = 0.1f * (float) ((i * 37) % x2->numel) - 5.f;
  check_grads (g2, 1, &x2);
  pl_tensor_unref (x2);
}
END_TEST

/* ------------------------------------------------------------------ Conv, MatMul, Gemm */

START_TEST (test_conv_groups_1d_autopad)
{
  /* group 2, 1x1 kernels: channel 0 -> 2 x + 1, channel 1 -> 3 x - 1 */
  g_autoptr (PlGraph) g = graph (13);
  pl_graph_add_input (g, "x", 4, S (1, 2, 2, 2));
  init (g, "w", tensor (4, S (2, 1, 1, 1), F (2, 3)));
  init (g, "b", tensor (1, S (2), F (1, -1)));
  PlNode *n = node (g, "Conv", "x,w,b");
  pl_node_set_int (n, "group", 2);
  PlTensor *x = tensor (4, S (1, 2, 2, 2), F (1, 2, 3, 4, 5, 6, 7, 8));
  g_autoptr (PlTensor) y = run (g, 1, &x);
  expect (y, 4, S (1, 2, 2, 2), F (3, 5, 7, 9, 14, 17, 20, 23), 1e-6);
  pl_tensor_unref (x);

  /* 1-D: x [1, 2, 3, 4], w [1, 2]; explicit pads [1, 0] = SAME_LOWER; SAME_UPPER pads
   * the end instead */
  const char *modes[] = { NULL, "SAME_LOWER", "SAME_UPPER" };
  const float want[3][4] = { { 2, 5, 8, 11 }, { 2, 5, 8, 11 }, { 5, 8, 11, 4 } };
  for (gint m = 0; m < 3; m++)
    {
      g_autoptr (PlGraph) g1 = graph (13);
      pl_graph_add_input (g1, "x", 3, S (1, 1, 4));
      init (g1, "w", tensor (3, S (1, 1, 2), F (1, 2)));
      PlNode *c = node (g1, "Conv", "x,w");
      if (modes[m] == NULL)
        pl_node_set_ints (c, "pads", 2, S (1, 0));
      else
        pl_node_set_string (c, "auto_pad", modes[m]);
      PlTensor *x1 = tensor (3, S (1, 1, 4), F (1, 2, 3, 4));
      g_autoptr (PlTensor) y1 = run (g1, 1, &x1);
      expect (y1, 3, S (1, 1, 4), want[m], 1e-6);
      pl_tensor_unref (x1);
    }

  /* gradients: depthwise with multiplier 2, strides, dilations, asymmetric pads */
  g_autoptr (PlGraph) g2 = graph (13);
  pl_graph_add_input (g2, "x", 4, S (-1, 2, 5, 6));
  init (g2, "w", rand_tensor (4, S (4, 1, 2, 3), -1, 1));
  init (g2, "b", rand_tensor (1, S (4), -1, 1));
  PlNode *c = node (g2, "Conv", "x,w,b");
  pl_node_set_int (c, "group", 2);
  pl_node_set_ints (c, "strides", 2, S (2, 1));
  pl_node_set_ints (c, "dilations", 2, S (1, 2));
  pl_node_set_ints (c, "pads", 4, S (1, 0, 0, 2));
  PlTensor *xr = rand_tensor (4, S (2, 2, 5, 6), -1, 1);
  ck_assert_int_eq (check_grads (g2, 1, &xr), 3);
  pl_tensor_unref (xr);
}
END_TEST

START_TEST (test_matmul_batched)
{
  /* A [2, 1, 2] x B [2, 1] (B broadcast over the batch) */
  g_autoptr (PlGraph) g = graph (13);
  pl_graph_add_input (g, "a", 3, S (2, 1, 2));
  pl_graph_add_input (g, "b", 2, S (2, 1));
  node (g, "MatMul", "a,b");
  PlTensor *in[2] = { tensor (3, S (2, 1, 2), F (1, 2, 3, 4)), tensor (2, S (2, 1), F (1, 2)) };
  g_autoptr (PlTensor) y = run (g, 2, in);
  expect (y, 3, S (2, 1, 1), F (5, 11), 1e-6);
  pl_tensor_unref (in[0]);
  pl_tensor_unref (in[1]);
  /* 1-D A: [2] x [2, 3] -> [3] */
  g_autoptr (PlGraph) g1 = graph (13);
  pl_graph_add_input (g1, "a", 1, S (2));
  pl_graph_add_input (g1, "b", 2, S (2, 3));
  node (g1, "MatMul", "a,b");
  PlTensor *in1[2] = { tensor (1, S (2), F (1, 2)), tensor (2, S (2, 3), F (1, 2, 3, 4, 5, 6)) };
  g_autoptr (PlTensor) y1 = run (g1, 2, in1);
  expect (y1, 1, S (3), F (9, 12, 15), 1e-6);
  check_grads (g1, 2, in1);
  pl_tensor_unref (in1[0]);
  pl_tensor_unref (in1[1]);
  /* gradients: A [2, 1, 3, 4] x W [3, 4, 2] -> [2, 3, 3, 2], reduced over broadcast */
  g_autoptr (PlGraph) g2 = graph (13);
  pl_graph_add_input (g2, "a", 4, S (2, 1, 3, 4));
  init (g2, "w", rand_tensor (3, S (3, 4, 2), -1, 1));
  node (g2, "MatMul", "a,w");
  PlTensor *a = rand_tensor (4, S (2, 1, 3, 4), -1, 1);
  ck_assert_int_eq (check_grads (g2, 1, &a), 2);
  pl_tensor_unref (a);
}
END_TEST

START_TEST (test_gemm_attributes)
{
  /* A stored [3, 2] with transA, B stored [2, 3] with transB, alpha 2, beta 0.5,
   * C [2] broadcast over rows: 2 A^T B^T + 0.5 C */
  g_autoptr (PlGraph) g = graph (13);
  pl_graph_add_input (g, "a", 2, S (3, 2));
  init (g, "b", tensor (2, S (2, 3), F (1, 0, 1, 0, 1, 0)));
  init (g, "c", tensor (1, S (2), F (1, -1)));
  PlNode *n = node (g, "Gemm", "a,b,c");
  pl_node_set_int (n, "transA", 1);
  pl_node_set_int (n, "transB", 1);
  pl_node_set_float (n, "alpha", 2);
  pl_node_set_float (n, "beta", 0.5f);
  PlTensor *a = tensor (2, S (3, 2), F (1, 4, 2, 5, 3, 6));
  g_autoptr (PlTensor) y = run (g, 1, &a);
  expect (y, 2, S (2, 2), F (8.5f, 3.5f, 20.5f, 9.5f), 1e-5);
  ck_assert_int_eq (check_grads (g, 1, &a), 3);
  pl_tensor_unref (a);
}
END_TEST

/* ------------------------------------------------------------------ shape ops */

START_TEST (test_transpose_squeeze_unsqueeze)
{
  g_autoptr (PlGraph) g = graph (13);
  pl_graph_add_input (g, "x", 2, S (2, 3));
  node (g, "Transpose", "x");
  PlTensor *x = tensor (2, S (2, 3), F (1, 2, 3, 4, 5, 6));
  g_autoptr (PlTensor) y = run (g, 1, &x);
  expect (y, 2, S (3, 2), F (1, 4, 2, 5, 3, 6), 0);
  pl_tensor_unref (x);

  g_autoptr (PlGraph) g1 = graph (13);
  pl_graph_add_input (g1, "x", 3, S (2, 3, 4));
  PlNode *n = node (g1, "Transpose", "x");
  pl_node_set_ints (n, "perm", 3, S (1, 2, 0));
  PlTensor *xr = rand_tensor (3, S (2, 3, 4), -1, 1);
  g_autoptr (PlTensor) yr = run (g1, 1, &xr);
  ck_assert_int_eq (yr->shape[0], 3);
  ck_assert_int_eq (yr->shape[2], 2);
  /* y[i, j, k] = x[k, i, j] */
  ck_assert_float_eq (yr->data[(1 * 4 + 2) * 2 + 1], xr->data[(1 * 3 + 1) * 4 + 2]);
  check_grads (g1, 1, &xr);
  pl_tensor_unref (xr);

  /* Squeeze, opset 11 (axes attribute) */
  g_autoptr (PlGraph) g2 = graph (11);
  pl_graph_add_input (g2, "x", 4, S (1, 3, 1, 2));
  n = node (g2, "Squeeze", "x");
  pl_node_set_ints (n, "axes", 2, S (0, -2));
  PlTensor *x2 = rand_tensor (4, S (1, 3, 1, 2), -1, 1);
  g_autoptr (PlTensor) y2 = run (g2, 1, &x2);
  expect (y2, 2, S (3, 2), x2->data, 0);
  check_grads (g2, 1, &x2);
  pl_tensor_unref (x2);

  /* Unsqueeze, opset 13 (axes input) */
  g_autoptr (PlGraph) g3 = graph (13);
  pl_graph_add_input (g3, "x", 2, S (2, 3));
  init (g3, "axes", tensor (1, S (2), F (0, -1)));
  node (g3, "Unsqueeze", "x,axes");
  PlTensor *x3 = rand_tensor (2, S (2, 3), -1, 1);
  g_autoptr (PlTensor) y3 = run (g3, 1, &x3);
  expect (y3, 4, S (1, 2, 3, 1), x3->data, 0);
  check_grads (g3, 1, &x3);
  pl_tensor_unref (x3);

  /* squeezing an axis that is not 1 is an error naming the node */
  g_autoptr (PlGraph) g4 = graph (11);
  pl_graph_add_input (g4, "x", 2, S (2, 3));
  n = node (g4, "Squeeze", "x");
  pl_node_set_ints (n, "axes", 1, S (1));
  g_autoptr (GError) error = NULL;
  ck_assert_ptr_null (pl_executor_new (g4, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  ck_assert_ptr_nonnull (strstr (error->message, "n1"));
}
END_TEST

START_TEST (test_concat)
{
  g_autoptr (PlGraph) g = graph (13);
  pl_graph_add_input (g, "a", 2, S (2, 1));
  pl_graph_add_input (g, "b", 2, S (2, 2));
  init (g, "c", tensor (2, S (2, 1), F (7, 8)));
  PlNode *n = node (g, "Concat", "a,b,c");
  pl_node_set_int (n, "axis", -1);
  PlTensor *in[2] = { tensor (2, S (2, 1), F (1, 2)), tensor (2, S (2, 2), F (3, 4, 5, 6)) };
  g_autoptr (PlTensor) y = run (g, 2, in);
  expect (y, 2, S (2, 4), F (1, 3, 4, 7, 2, 5, 6, 8), 0);
  ck_assert_int_eq (check_grads (g, 2, in), 3);
  pl_tensor_unref (in[0]);
  pl_tensor_unref (in[1]);
}
END_TEST

START_TEST (test_pad)
{
  /* opset 11: pads and value as inputs; [begin0, begin1, end0, end1] = [1, 0, 0, 1] */
  g_autoptr (PlGraph) g = graph (11);
  pl_graph_add_input (g, "x", 2, S (2, 2));
  init (g, "pads", tensor (1, S (4), F (1, 0, 0, 1)));
  init (g, "v", tensor (0, NULL, F (9)));
  node (g, "Pad", "x,pads,v");
  PlTensor *x = tensor (2, S (2, 2), F (1, 2, 3, 4));
  g_autoptr (PlTensor) y = run (g, 1, &x);
  expect (y, 2, S (3, 3), F (9, 9, 9, 1, 2, 9, 3, 4, 9), 0);
  check_grads (g, 1, &x);
  /* opset 2: attributes; a negative pad crops */
  g_autoptr (PlGraph) g2 = graph (2);
  pl_graph_add_input (g2, "x", 2, S (2, 2));
  PlNode *n = node (g2, "Pad", "x");
  pl_node_set_ints (n, "pads", 4, S (0, -1, 0, 1));
  pl_node_set_float (n, "value", -1);
  g_autoptr (PlTensor) y2 = run (g2, 1, &x);
  expect (y2, 2, S (2, 2), F (2, -1, 4, -1), 0);
  check_grads (g2, 1, &x);
  pl_tensor_unref (x);
}
END_TEST

START_TEST (test_batchnorm)
{
  g_autoptr (PlGraph) g = graph (15);
  pl_graph_add_input (g, "x", -1, NULL);
  init (g, "s", tensor (1, S (2), F (2, 1)));
  init (g, "b", tensor (1, S (2), F (0, 1)));
  init (g, "m", tensor (1, S (2), F (1, 3)));
  init (g, "v", tensor (1, S (2), F (4, 0.25f)));
  PlNode *n = node (g, "BatchNormalization", "x,s,b,m,v");
  pl_node_set_float (n, "epsilon", 0);
  PlTensor *x = tensor (4, S (1, 2, 1, 2), F (1, 2, 3, 4));
  g_autoptr (PlTensor) y = run (g, 1, &x);
  /* channel 0: 2 (x - 1) / 2; channel 1: (x - 3) / 0.5 + 1 */
  expect (y, 4, S (1, 2, 1, 2), F (0, 1, 1, 3), 1e-6);
  pl_tensor_unref (x);
  /* gradients: x, scale, B; mean and var as data inputs (as initializers they are
   * running statistics, not parameters) */
  pl_node_set_float (n, "epsilon", 1e-3f);
  PlTensor *xr = rand_tensor (4, S (3, 2, 2, 3), -1, 1);
  ck_assert_int_eq (check_grads (g, 1, &xr), 3);
  g_autoptr (PlGraph) g2 = graph (15);
  pl_graph_add_input (g2, "x", 4, S (-1, 2, 2, 3));
  pl_graph_add_input (g2, "m", 1, S (2));
  pl_graph_add_input (g2, "v", 1, S (2));
  init (g2, "s", rand_tensor (1, S (2), -1, 1));
  init (g2, "b", rand_tensor (1, S (2), -1, 1));
  PlNode *n2 = node (g2, "BatchNormalization", "x,s,b,m,v");
  pl_node_set_float (n2, "epsilon", 1e-3f);
  PlTensor *in[3] = { xr, rand_tensor (1, S (2), -1, 1), rand_tensor (1, S (2), 0.5, 1.5) };
  ck_assert_int_eq (check_grads (g2, 3, in), 5);
  pl_tensor_unref (in[1]);
  pl_tensor_unref (in[2]);
  pl_tensor_unref (xr);

  pl_node_set_int (n, "training_mode", 1);
  g_autoptr (GError) error = NULL;
  ck_assert_ptr_null (pl_executor_new (g, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_UNSUPPORTED));
  ck_assert_ptr_nonnull (strstr (error->message, "training_mode"));
}
END_TEST

START_TEST (test_gather)
{
  g_autoptr (PlGraph) g = graph (13);
  pl_graph_add_input (g, "x", 2, S (3, 2));
  init (g, "i", tensor (1, S (3), F (2, -3, 2)));
  node (g, "Gather", "x,i");
  PlTensor *x = tensor (2, S (3, 2), F (1, 2, 3, 4, 5, 6));
  g_autoptr (PlTensor) y = run (g, 1, &x);
  expect (y, 2, S (3, 2), F (5, 6, 1, 2, 5, 6), 0);
  check_grads (g, 1, &x);   /* index 2 twice: gradients add */

  g_autoptr (PlGraph) g1 = graph (13);
  pl_graph_add_input (g1, "x", 2, S (3, 2));
  init (g1, "i", tensor (2, S (2, 1), F (1, 0)));
  PlNode *n = node (g1, "Gather", "x,i");
  pl_node_set_int (n, "axis", 1);
  g_autoptr (PlTensor) y1 = run (g1, 1, &x);
  expect (y1, 3, S (3, 2, 1), F (2, 1, 4, 3, 6, 5), 0);

  /* an index out of range is an error naming the node, not a crash */
  g_autoptr (PlGraph) g2 = graph (13);
  pl_graph_add_input (g2, "x", 2, S (3, 2));
  pl_graph_add_input (g2, "i", 1, S (1));
  node (g2, "Gather", "x,i");
  PlTensor *in[2] = { x, tensor (1, S (1), F (3)) };
  g_autoptr (GError) error = NULL;
  PlExecutor *ex = pl_executor_new (g2, &error);
  ck_assert_ptr_nonnull (ex);
  ck_assert (!pl_executor_forward_multi (ex, 2, (const PlTensor *const *) in, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  ck_assert_ptr_nonnull (strstr (error->message, "n1"));
  pl_executor_free (ex);
  pl_tensor_unref (in[1]);
  pl_tensor_unref (x);
}
END_TEST

START_TEST (test_reshape_flatten_allowzero)
{
  g_autoptr (PlGraph) g = graph (14);
  pl_graph_add_input (g, "x", 3, S (2, 3, 4));
  init (g, "s", tensor (1, S (3), F (0, -1, 2)));
  node (g, "Reshape", "x,s");
  PlTensor *x = rand_tensor (3, S (2, 3, 4), -1, 1);
  g_autoptr (PlTensor) y = run (g, 1, &x);
  expect (y, 3, S (2, 6, 2), x->data, 0);
  check_grads (g, 1, &x);
  pl_tensor_unref (x);

  /* Flatten at axis 2: [2, 3, 4] -> [6, 4] */
  g_autoptr (PlGraph) gf = graph (13);
  pl_graph_add_input (gf, "x", 3, S (-1, 3, 4));
  PlNode *nf = node (gf, "Flatten", "x");
  pl_node_set_int (nf, "axis", 2);
  PlTensor *xf = rand_tensor (3, S (2, 3, 4), -1, 1);
  g_autoptr (PlTensor) yf = run (gf, 1, &xf);
  expect (yf, 2, S (6, 4), xf->data, 0);
  check_grads (gf, 1, &xf);
  pl_tensor_unref (xf);

  /* a target shape that is not a whole number is an error, not undefined behaviour */
  g_autoptr (PlGraph) gb = graph (13);
  pl_graph_add_input (gb, "x", 1, S (4));
  init (gb, "s", tensor (1, S (2), F (2, 1e30f)));
  node (gb, "Reshape", "x,s");
  g_autoptr (GError) error = NULL;
  ck_assert_ptr_null (pl_executor_new (gb, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));

  g_autoptr (PlGraph) g1 = graph (14);
  pl_graph_add_input (g1, "x", 2, S (0, 3));
  init (g1, "s", tensor (1, S (2), F (3, 0)));
  PlNode *n = node (g1, "Reshape", "x,s");
  pl_node_set_int (n, "allowzero", 1);
  PlTensor *x1 = pl_tensor_new (2, S (0, 3), NULL);
  g_autoptr (PlTensor) y1 = run (g1, 1, &x1);
  ck_assert_int_eq (y1->ndim, 2);
  ck_assert_int_eq (y1->shape[0], 3);
  ck_assert_int_eq (y1->shape[1], 0);
  pl_tensor_unref (x1);
}
END_TEST

/* Shape -> Gather(0) -> Unsqueeze -> Concat([n], [-1]) -> Reshape, as PyTorch writes
 * x.view (x.size (0), -1), with a symbolic batch. */
START_TEST (test_view_pattern_folding)
{
  g_autoptr (PlGraph) g = graph (11);
  pl_graph_add_input (g, "x", 3, S (-1, 2, 3));
  const char *o1[] = { "shp" }, *i1[] = { "x" };
  pl_graph_add_node (g, "Shape", "shape", 1, i1, 1, o1);
  const char *o2[] = { "zero" };
  PlNode *c0 = pl_graph_add_node (g, "Constant", "c0", 0, NULL, 1, o2);
  g_autoptr (PlTensor) zt = tensor (0, NULL, F (0));
  pl_node_set_tensor (c0, "value", zt);
  const char *i3[] = { "shp", "zero" }, *o3[] = { "n" };
  pl_graph_add_node (g, "Gather", "gather", 2, i3, 1, o3);
  const char *i4[] = { "n" }, *o4[] = { "n1" };
  PlNode *u = pl_graph_add_node (g, "Unsqueeze", "unsq", 1, i4, 1, o4);
  pl_node_set_ints (u, "axes", 1, S (0));
  init (g, "minus1", tensor (1, S (1), F (-1)));
  const char *i5[] = { "n1", "minus1" }, *o5[] = { "target" };
  PlNode *cc = pl_graph_add_node (g, "Concat", "concat", 2, i5, 1, o5);
  pl_node_set_int (cc, "axis", 0);
  node (g, "Reshape", "x,target");

  g_autoptr (GError) error = NULL;
  PlExecutor *ex = pl_executor_new (g, &error);
  ck_assert_msg (ex != NULL, "%s", error ? error->message : "");
  for (gint64 N = 2; N <= 3; N++)
    {
      g_autoptr (PlTensor) x = rand_tensor (3, S (N, 2, 3), -1, 1);
      ck_assert_msg (pl_executor_forward (ex, x, &error), "%s", error ? error->message : "");
      expect (pl_executor_output (ex, 0), 2, S (N, 6), x->data, 0);
    }
  pl_executor_free (ex);
  PlTensor *x = rand_tensor (3, S (2, 2, 3), -1, 1);
  check_grads (g, 1, &x);
  pl_tensor_unref (x);
}
END_TEST

START_TEST (test_multi_input_constant_dropout)
{
  /* y = Dropout (Identity ((a + b) * Constant 2)) */
  g_autoptr (PlGraph) g = graph (13);
  pl_graph_add_input (g, "a", 2, S (-1, 2));
  pl_graph_add_input (g, "b", 2, S (-1, 2));
  const char *o1[] = { "two" };
  PlNode *c = pl_graph_add_node (g, "Constant", "c", 0, NULL, 1, o1);
  pl_node_set_float (c, "value_float", 2);
  const char *i2[] = { "a", "b" }, *o2[] = { "s" };
  pl_graph_add_node (g, "Add", "add", 2, i2, 1, o2);
  const char *i3[] = { "s", "two" }, *o3[] = { "m" };
  pl_graph_add_node (g, "Mul", "mul", 2, i3, 1, o3);
  const char *i4[] = { "m" }, *o4[] = { "i" };
  pl_graph_add_node (g, "Identity", "id", 1, i4, 1, o4);
  node (g, "Dropout", "i");
  PlTensor *in[2] = { tensor (2, S (1, 2), F (1, 2)), tensor (2, S (1, 2), F (3, -5)) };
  g_autoptr (PlTensor) y = run (g, 2, in);
  expect (y, 2, S (1, 2), F (8, -6), 0);
  ck_assert_int_eq (check_grads (g, 2, in), 2);

  g_autoptr (GError) error = NULL;
  PlExecutor *ex = pl_executor_new (g, &error);
  ck_assert_int_eq (pl_executor_n_inputs (ex), 2);
  ck_assert (!pl_executor_forward (ex, in[0], &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  pl_executor_free (ex);
  pl_tensor_unref (in[0]);
  pl_tensor_unref (in[1]);
}
END_TEST

START_TEST (test_unsupported_values)
{
  struct { const char *op; gint opset; const char *attr; const char *needle; } cases[] = {
    { "Pad", 11, "mode", "reflect" },
    { "Conv", 13, "kernel_shape", "kernel_shape" },
    { "Softmax", 13, "bogus", "bogus" },
  };
  for (gsize k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      g_autoptr (PlGraph) g = graph (cases[k].opset);
      pl_graph_add_input (g, "x", 5, S (1, 1, 2, 2, 2));
      init (g, "w", tensor (5, S (1, 1, 1, 1, 1), F (1)));
      init (g, "p", tensor (1, S (10), NULL));
      PlNode *n = node (g, cases[k].op, g_str_equal (cases[k].op, "Conv") ? "x,w"
                                        : g_str_equal (cases[k].op, "Pad") ? "x,p" : "x");
      if (g_str_equal (cases[k].attr, "mode"))
        pl_node_set_string (n, "mode", "reflect");
      else if (g_str_equal (cases[k].attr, "kernel_shape"))
        pl_node_set_ints (n, "kernel_shape", 3, S (1, 1, 1));
      else
        pl_node_set_int (n, cases[k].attr, 1);
      g_autoptr (GError) error = NULL;
      ck_assert_ptr_null (pl_executor_new (g, &error));
      ck_assert_msg (g_error_matches (error, PL_ERROR, PL_ERROR_UNSUPPORTED), "%s",
                     error ? error->message : "");
      g_autofree char *opset = g_strdup_printf ("opset %d", cases[k].opset);
      ck_assert_ptr_nonnull (strstr (error->message, "n1"));
      ck_assert_ptr_nonnull (strstr (error->message, cases[k].op));
      ck_assert_ptr_nonnull (strstr (error->message, opset));
      ck_assert_ptr_nonnull (strstr (error->message, cases[k].needle));
    }
}
END_TEST

/* Integer tensors: shape arithmetic is exact (integer Div truncates); a float-only
 * operator refuses an integer input instead of computing something else. */
START_TEST (test_integer_types)
{
  g_autoptr (PlGraph) g = graph (13);
  pl_graph_add_input (g, "x", 2, S (1, 5));
  const char *i1[] = { "x" }, *o1[] = { "s" };
  pl_graph_add_node (g, "Shape", "shape", 1, i1, 1, o1);
  const char *o2[] = { "two" };
  PlNode *c = pl_graph_add_node (g, "Constant", "c", 0, NULL, 1, o2);
  pl_node_set_ints (c, "value_ints", 2, S (1, 2));
  node (g, "Div", "s,two");
  PlTensor *x = rand_tensor (2, S (1, 5), -1, 1);
  g_autoptr (PlTensor) y = run (g, 1, &x);
  expect (y, 1, S (2), F (1, 2), 0);   /* [1, 5] / [1, 2] = [1, 2] (5 / 2 truncated) */
  pl_tensor_unref (x);

  g_autoptr (PlGraph) g1 = graph (13);
  gint id = pl_graph_add_input (g1, "x", 4, S (1, 1, 2, 2));
  pl_graph_value (g1, id)->elem_type = 2;   /* UINT8 */
  PlNode *n = node (g1, "MaxPool", "x");
  pl_node_set_ints (n, "kernel_shape", 2, S (2, 2));
  g_autoptr (GError) error = NULL;
  ck_assert_ptr_null (pl_executor_new (g1, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_UNSUPPORTED));
  ck_assert_ptr_nonnull (strstr (error->message, "integer"));
  ck_assert_ptr_nonnull (strstr (error->message, "MaxPool"));
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("ops2");
  TCase *tc = tcase_create ("ops2");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_binary_broadcast);
  tcase_add_test (tc, test_unary);
  tcase_add_test (tc, test_clip_opsets);
  tcase_add_test (tc, test_softmax_axis_semantics);
  tcase_add_test (tc, test_avgpool);
  tcase_add_test (tc, test_global_avgpool_and_maxpool);
  tcase_add_test (tc, test_conv_groups_1d_autopad);
  tcase_add_test (tc, test_matmul_batched);
  tcase_add_test (tc, test_gemm_attributes);
  tcase_add_test (tc, test_transpose_squeeze_unsqueeze);
  tcase_add_test (tc, test_concat);
  tcase_add_test (tc, test_pad);
  tcase_add_test (tc, test_batchnorm);
  tcase_add_test (tc, test_gather);
  tcase_add_test (tc, test_reshape_flatten_allowzero);
  tcase_add_test (tc, test_view_pattern_folding);
  tcase_add_test (tc, test_multi_input_constant_dropout);
  tcase_add_test (tc, test_unsupported_values);
  tcase_add_test (tc, test_integer_types);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
