/* test-onnx-node.c — the executor against ONNX's own operator tests (Debian package
 * libonnx-testdata, onnx/backend/test/data/node/<name>/{model.onnx, test_data_set_0}).
 *
 * For each case the graph inputs after the first are turned into initializers (this
 * exercises constant shapes and parameters; test-conformance.c runs every case with its
 * inputs as data inputs), input 0 is run forward and output 0 is compared with the
 * reference output (ONNX's backend tests use rtol 1e-3, atol 1e-7; we use 1e-4 relative
 * plus 1e-5 absolute). Skipped when the test data is not installed.
 */
#include <check.h>
#include <math.h>
#include <string.h>
#include "exec/pl-executor.h"
#include "onnx/pl-onnx.h"
#include "pl-error.h"

#define NODE_DIR "/usr/share/libonnx-testdata/data/node"

static const char *const cases[] = {
  "test_add", "test_add_bcast",
  "test_basic_conv_with_padding", "test_basic_conv_without_padding",
  "test_conv_with_autopad_same", "test_conv_with_strides_and_asymmetric_padding",
  "test_conv_with_strides_no_padding", "test_conv_with_strides_padding",
  "test_dropout_default", "test_dropout_default_ratio", "test_dropout_default_old",
  "test_flatten_axis0", "test_flatten_axis1", "test_flatten_axis2", "test_flatten_axis3",
  "test_flatten_default_axis", "test_flatten_negative_axis1", "test_flatten_negative_axis2",
  "test_flatten_negative_axis3", "test_flatten_negative_axis4",
  "test_gemm_all_attributes", "test_gemm_alpha", "test_gemm_beta",
  "test_gemm_default_matrix_bias", "test_gemm_default_no_bias",
  "test_gemm_default_scalar_bias", "test_gemm_default_single_elem_vector_bias",
  "test_gemm_default_vector_bias", "test_gemm_default_zero_bias",
  "test_matmul_2d", "test_relu", "test_identity",
  "test_maxpool_2d_ceil", "test_maxpool_2d_default", "test_maxpool_2d_dilations",
  "test_maxpool_2d_pads", "test_maxpool_2d_precomputed_pads",
  "test_maxpool_2d_precomputed_same_upper", "test_maxpool_2d_precomputed_strides",
  "test_maxpool_2d_same_lower", "test_maxpool_2d_same_upper", "test_maxpool_2d_strides",
  "test_reshape_extended_dims", "test_reshape_negative_dim",
  "test_reshape_negative_extended_dims", "test_reshape_one_dim", "test_reshape_reduced_dims",
  "test_reshape_reordered_all_dims", "test_reshape_reordered_last_dims",
  "test_reshape_zero_and_negative_dim", "test_reshape_zero_dim",
  "test_softmax_axis_0", "test_softmax_axis_1", "test_softmax_axis_2",
  "test_softmax_default_axis", "test_softmax_example", "test_softmax_large_number",
  "test_softmax_negative_axis",
};

START_TEST (test_node_case)
{
  const char *name = cases[_i];
  g_autofree char *dir = g_build_filename (NODE_DIR, name, NULL);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_printerr ("%s: not installed, skipped\n", name);
      return;
    }
  g_autoptr (GError) error = NULL;
  g_autofree char *model = g_build_filename (dir, "model.onnx", NULL);
  g_autoptr (PlGraph) g = pl_onnx_load_file (model, &error);
  ck_assert_msg (g != NULL, "%s: %s", name, error ? error->message : "");

  g_autoptr (PlTensor) x = NULL;
  guint n_inputs = g->inputs->len;
  g_autofree gint *ids = g_memdup2 (g->inputs->data, sizeof (gint) * n_inputs);
  for (guint i = 0; i < n_inputs; i++)
    {
      g_autofree char *file = g_strdup_printf ("%s/test_data_set_0/input_%u.pb", dir, i);
      PlTensor *t = pl_onnx_load_tensor_file (file, &error);
      ck_assert_msg (t != NULL, "%s: %s", name, error ? error->message : "");
      if (i == 0)
        x = t;
      else
        {
          pl_graph_add_initializer (g, pl_graph_value (g, ids[i])->name, t);
          pl_tensor_unref (t);
        }
    }
  g_autofree char *ofile = g_strdup_printf ("%s/test_data_set_0/output_0.pb", dir);
  g_autoptr (PlTensor) want = pl_onnx_load_tensor_file (ofile, &error);
  ck_assert_msg (want != NULL, "%s: %s", name, error ? error->message : "");

  PlExecutor *ex = pl_executor_new (g, &error);
  ck_assert_msg (ex != NULL, "%s: %s", name, error ? error->message : "");
  ck_assert_msg (pl_executor_forward (ex, x, &error), "%s: %s", name,
                 error ? error->message : "");
  const PlTensor *got = pl_executor_output (ex, 0);
  g_autofree char *gs = pl_tensor_shape_string (got->ndim, got->shape);
  g_autofree char *ws = pl_tensor_shape_string (want->ndim, want->shape);
  ck_assert_msg (pl_tensor_same_shape (got, want), "%s: shape %s, expected %s", name, gs, ws);
  for (gint64 i = 0; i < got->numel; i++)
    ck_assert_msg (fabsf (got->data[i] - want->data[i]) <= 1e-5f + 1e-4f * fabsf (want->data[i]),
                   "%s: element %" G_GINT64_FORMAT " is %g, expected %g", name, i,
                   (double) got->data[i], (double) want->data[i]);
  pl_executor_free (ex);
}
END_TEST

/* The loader refuses a default-domain opset newer than PL_ONNX_MAX_OPSET (21), naming the
 * file and the opset; 21 itself loads. */
START_TEST (test_newer_opset_refused)
{
  for (gint64 opset = 21; opset <= 22; opset++)
    {
      g_autoptr (PlGraph) g = pl_graph_new ();
      g->opset = opset;
      pl_graph_add_input (g, "x", 2, (const gint64[]) { -1, 3 });
      const char *in[] = { "x" }, *out[] = { "y" };
      pl_graph_add_node (g, "Relu", "relu", 1, in, 1, out);
      pl_graph_add_output (g, "y");
      g_autoptr (GError) error = NULL;
      gsize len = 0;
      g_autofree guint8 *data = pl_onnx_save_data (g, &len, &error);
      ck_assert_ptr_nonnull (data);
      g_autoptr (PlGraph) h = pl_onnx_load_data (data, len, "future.onnx", &error);
      if (opset == 21)
        {
          ck_assert_msg (h != NULL, "%s", error ? error->message : "");
          ck_assert_int_eq (h->opset, 21);
        }
      else
        {
          ck_assert_ptr_null (h);
          ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_UNSUPPORTED));
          ck_assert_ptr_nonnull (strstr (error->message, "future.onnx"));
          ck_assert_ptr_nonnull (strstr (error->message, "opset 22"));
          ck_assert_ptr_nonnull (strstr (error->message, "21"));
        }
    }
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("onnx-node");
  TCase *tc = tcase_create ("onnx-node");
  tcase_add_loop_test (tc, test_node_case, 0, G_N_ELEMENTS (cases));
  tcase_add_test (tc, test_newer_opset_refused);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
