/* test-pytorch-models.c — models exported by PyTorch (tests/models, made by
 * tools/export-pytorch-models.py) open in PruneLens and give the outputs PyTorch and
 * ONNX Runtime gave on the stored input, within 1e-4 absolute; saving and reloading a
 * model gives bit-identical outputs; the x.view (n, -1) shape subgraph is folded at load
 * and the fold is exact at any batch size. Also one tiny model per operator case of
 * issue 3 (tests/models/ops, made by tools/make-op-models.py: Conv auto_pad / groups /
 * dilations, Gemm transA / alpha / beta, Softmax before and after opset 13, pooling with
 * ceil_mode and count_include_pad, ...) against ONNX Runtime's stored output. */
#include <check.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "pl-error.h"
#include "onnx/pl-onnx.h"
#include "exec/pl-executor.h"

/* Absolute tolerance against the references: float32 accumulation order differs
 * between the runtimes; the logits are of order 1. */
#define TOLERANCE 1e-4

static const char *const models[] = { "lenet5", "lenet5-opset11", "mlp", "resnet-small" };
#define N_MODELS G_N_ELEMENTS (models)

static char *
model_file (const char *model, const char *file)
{
  const char *root = g_getenv ("PL_SOURCE_DIR");
  ck_assert_msg (root != NULL, "PL_SOURCE_DIR is not set");
  return g_build_filename (root, "tests", "models", model, file, NULL);
}

static PlTensor *
load_tensor (const char *model, const char *file)
{
  g_autofree char *path = model_file (model, file);
  g_autoptr (GError) error = NULL;
  PlTensor *t = pl_onnx_load_tensor_file (path, &error);
  ck_assert_msg (t != NULL, "%s: %s", path, error ? error->message : "?");
  return t;
}

static PlGraph *
load_model (const char *model)
{
  g_autofree char *path = model_file (model, "model.onnx");
  g_autoptr (GError) error = NULL;
  PlGraph *g = pl_onnx_load_file (path, &error);
  ck_assert_msg (g != NULL, "%s: %s", path, error ? error->message : "?");
  return g;
}

/* Runs g on x; returns a new reference to output 0. */
static PlTensor *
run (PlGraph *g, const PlTensor *x, const char *what)
{
  g_autoptr (GError) error = NULL;
  PlExecutor *ex = pl_executor_new (g, &error);
  ck_assert_msg (ex != NULL, "%s: %s", what, error ? error->message : "?");
  ck_assert_int_eq (pl_executor_n_inputs (ex), 1);
  ck_assert_msg (pl_executor_forward (ex, x, &error), "%s: %s", what,
                 error ? error->message : "?");
  const PlTensor *y = pl_executor_output (ex, 0);
  ck_assert_ptr_nonnull (y);
  PlTensor *copy = pl_tensor_ref ((PlTensor *) y);
  pl_executor_free (ex);
  return copy;
}

static double
max_abs_diff (const PlTensor *a, const PlTensor *b, const char *what)
{
  ck_assert_msg (a->ndim == b->ndim, "%s: rank %d vs %d", what, a->ndim, b->ndim);
  for (gint i = 0; i < a->ndim; i++)
    ck_assert_msg (a->shape[i] == b->shape[i], "%s: dim %d is %" G_GINT64_FORMAT
                   " vs %" G_GINT64_FORMAT, what, i, a->shape[i], b->shape[i]);
  double m = 0.0;
  for (gint64 i = 0; i < a->numel; i++)
    {
      ck_assert_msg (isfinite (a->data[i]), "%s: element %" G_GINT64_FORMAT " not finite", what, i);
      m = fmax (m, fabs ((double) a->data[i] - (double) b->data[i]));
    }
  return m;
}

static gboolean
has_op (const PlGraph *g, const char *op)
{
  for (guint k = 0; k < g->nodes->len; k++)
    if (strcmp (((const PlNode *) g_ptr_array_index (g->nodes, k))->op_type, op) == 0)
      return TRUE;
  return FALSE;
}

/* ------------------------------------------------------------------ tests */

START_TEST (test_matches_references)
{
  const char *m = models[_i];
  g_autoptr (PlGraph) g = load_model (m);
  g_autoptr (PlTensor) x = load_tensor (m, "input_0.pb");
  g_autoptr (PlTensor) ort = load_tensor (m, "ort-output_0.pb");
  g_autoptr (PlTensor) torch = load_tensor (m, "torch-output_0.pb");
  ck_assert_int_eq (x->ndim, 4);
  ck_assert_int_eq (x->shape[0], 3);
  g_autoptr (PlTensor) y = run (g, x, m);
  ck_assert_int_eq (y->ndim, 2);
  ck_assert_int_eq (y->shape[0], 3);
  ck_assert_int_eq (y->shape[1], 10);
  double d_ort = max_abs_diff (y, ort, m);
  double d_torch = max_abs_diff (y, torch, m);
  ck_assert_msg (d_ort <= TOLERANCE, "%s: max |PruneLens - ONNX Runtime| = %g > %g", m, d_ort, TOLERANCE);
  ck_assert_msg (d_torch <= TOLERANCE, "%s: max |PruneLens - PyTorch| = %g > %g", m, d_torch, TOLERANCE);
  /* The references are not trivially small: a wrong model would be caught. */
  double mag = 0.0;
  for (gint64 i = 0; i < ort->numel; i++)
    mag = fmax (mag, fabs (ort->data[i]));
  ck_assert_msg (mag > 0.5, "%s: reference logits too small (%g) for the test to mean much", m, mag);
}
END_TEST

/* Batch 1 (the first image) gives row 0 of the batch-3 reference: the symbolic batch
 * dimension works, including through the folded view (n, -1). */
START_TEST (test_batch_one)
{
  const char *m = models[_i];
  g_autoptr (PlGraph) g = load_model (m);
  g_autoptr (PlTensor) x = load_tensor (m, "input_0.pb");
  g_autoptr (PlTensor) ort = load_tensor (m, "ort-output_0.pb");
  g_autoptr (PlTensor) x1 = pl_tensor_new_4d (1, x->shape[1], x->shape[2], x->shape[3]);
  memcpy (x1->data, x->data, x1->numel * sizeof (float));
  g_autoptr (PlTensor) y = run (g, x1, m);
  ck_assert_int_eq (y->shape[0], 1);
  ck_assert_int_eq (y->shape[1], 10);
  for (gint j = 0; j < 10; j++)
    ck_assert_msg (fabs (y->data[j] - ort->data[j]) <= TOLERANCE, "%s: batch 1, logit %d: %g vs %g",
                   m, j, y->data[j], ort->data[j]);
}
END_TEST

/* pl_onnx_save_data then pl_onnx_load_data: identical outputs, bit for bit. */
START_TEST (test_save_reload_identical)
{
  const char *m = models[_i];
  g_autoptr (PlGraph) g = load_model (m);
  g_autoptr (PlTensor) x = load_tensor (m, "input_0.pb");
  g_autoptr (PlTensor) y = run (g, x, m);
  g_autoptr (GError) error = NULL;
  gsize len = 0;
  g_autofree guint8 *bytes = pl_onnx_save_data (g, &len, &error);
  ck_assert_msg (bytes != NULL, "%s: %s", m, error ? error->message : "?");
  g_autoptr (PlGraph) g2 = pl_onnx_load_data (bytes, len, m, &error);
  ck_assert_msg (g2 != NULL, "%s reloaded: %s", m, error ? error->message : "?");
  ck_assert_int_eq (g2->nodes->len, g->nodes->len);
  ck_assert_int_eq (pl_graph_n_parameters (g2), pl_graph_n_parameters (g));
  g_autoptr (PlTensor) y2 = run (g2, x, m);
  ck_assert_int_eq (y2->numel, y->numel);
  ck_assert_msg (memcmp (y->data, y2->data, y->numel * sizeof (float)) == 0,
                 "%s: outputs differ after save and reload (max %g)", m, max_abs_diff (y, y2, m));

  /* Also through a file, and a second round trip gives the same bytes. */
  g_autofree char *dir = g_dir_make_tmp ("pl-pytorch-XXXXXX", &error);
  ck_assert_ptr_nonnull (dir);
  g_autofree char *path = g_build_filename (dir, "model.onnx", NULL);
  ck_assert_msg (pl_onnx_save_file (g2, path, &error), "%s", error ? error->message : "?");
  g_autoptr (PlGraph) g3 = pl_onnx_load_file (path, &error);
  ck_assert_msg (g3 != NULL, "%s", error ? error->message : "?");
  g_autoptr (PlTensor) y3 = run (g3, x, m);
  ck_assert (memcmp (y->data, y3->data, y->numel * sizeof (float)) == 0);
  gsize len3 = 0;
  g_autofree guint8 *bytes3 = pl_onnx_save_data (g3, &len3, &error);
  ck_assert_ptr_nonnull (bytes3);
  ck_assert_uint_eq (len3, len);
  ck_assert (memcmp (bytes3, bytes, len) == 0);
  g_unlink (path);
  g_rmdir (dir);
}
END_TEST

/* LeNet's x.view (x.size (0), -1): Shape, Gather, Unsqueeze and Concat are folded into a
 * constant Reshape shape [0, -1] at load (both opsets: Unsqueeze axes as an input at 13,
 * as an attribute at 11). */
START_TEST (test_view_folded)
{
  const char *names[] = { "lenet5", "lenet5-opset11" };
  for (guint k = 0; k < G_N_ELEMENTS (names); k++)
    {
      g_autoptr (PlGraph) g = load_model (names[k]);
      ck_assert_msg (!has_op (g, "Shape"), "%s: Shape not folded", names[k]);
      ck_assert_msg (!has_op (g, "Gather"), "%s: Gather not folded", names[k]);
      ck_assert_msg (!has_op (g, "Unsqueeze"), "%s: Unsqueeze not folded", names[k]);
      ck_assert_msg (!has_op (g, "Concat"), "%s: Concat not folded", names[k]);
      gboolean found = FALSE;
      for (guint i = 0; i < g->nodes->len; i++)
        {
          const PlNode *n = g_ptr_array_index (g->nodes, i);
          if (strcmp (n->op_type, "Reshape") != 0)
            continue;
          const PlValue *s = pl_graph_value (g, n->inputs[1]);
          ck_assert_ptr_nonnull (s->init);
          ck_assert_int_eq (s->init->numel, 2);
          ck_assert_float_eq (s->init->data[0], 0.0f);
          ck_assert_float_eq (s->init->data[1], -1.0f);
          ck_assert_int_eq (s->elem_type, 7);
          found = TRUE;
        }
      ck_assert (found);
      /* LeNet-5's parameters, by hand: conv1 6·25 + 6, conv2 16·6·25 + 16,
       * fc 400·120 + 120, 120·84 + 84, 84·10 + 10; the INT64 shape is not one. */
      ck_assert_int_eq (pl_graph_n_parameters (g), 156 + 2416 + 48120 + 10164 + 850);
      /* The initializers only the folded nodes read are gone: 10 weights and biases. */
      gint n_init = 0;
      for (guint v = 0; v < g->values->len; v++)
        n_init += pl_graph_value (g, v)->init != NULL;
      ck_assert_int_eq (n_init, 10 + 1);
    }
}
END_TEST

/* A hand-made Reshape (X, Concat (Unsqueeze (Gather (Shape (Y), 0)), [-1])) where Y is
 * another tensor is not the view pattern and must not be folded; nor a Gather of
 * index 1. */
START_TEST (test_fold_refuses_other_patterns)
{
  for (gint variant = 0; variant < 2; variant++)
    {
      g_autoptr (PlGraph) g = pl_graph_new ();
      g->opset = 13;
      gint64 xs[3] = { -1, 2, 3 };
      pl_graph_add_input (g, "X", 3, xs);
      pl_graph_add_input (g, "Y", 3, xs);
      g_autoptr (PlTensor) idx = pl_tensor_new (0, NULL, NULL);
      idx->data[0] = variant == 0 ? 0.0f : 1.0f;
      g_autoptr (PlTensor) axes = pl_tensor_new_1d (1);
      g_autoptr (PlTensor) rest = pl_tensor_new_1d (1);
      rest->data[0] = -1.0f;
      pl_graph_value (g, pl_graph_add_initializer (g, "idx", idx))->elem_type = 7;
      pl_graph_value (g, pl_graph_add_initializer (g, "axes", axes))->elem_type = 7;
      pl_graph_value (g, pl_graph_add_initializer (g, "rest", rest))->elem_type = 7;
      const char *shape_in[] = { variant == 0 ? "Y" : "X" }, *shape_out[] = { "s" };
      pl_graph_add_node (g, "Shape", "shape", 1, shape_in, 1, shape_out);
      const char *gather_in[] = { "s", "idx" }, *gather_out[] = { "n" };
      pl_graph_add_node (g, "Gather", "gather", 2, gather_in, 1, gather_out);
      const char *unsq_in[] = { "n", "axes" }, *unsq_out[] = { "n1" };
      pl_graph_add_node (g, "Unsqueeze", "unsq", 2, unsq_in, 1, unsq_out);
      const char *cat_in[] = { "n1", "rest" }, *cat_out[] = { "target" };
      PlNode *cat = pl_graph_add_node (g, "Concat", "cat", 2, cat_in, 1, cat_out);
      pl_node_set_int (cat, "axis", 0);
      const char *r_in[] = { "X", "target" }, *r_out[] = { "Z" };
      pl_graph_add_node (g, "Reshape", "reshape", 2, r_in, 1, r_out);
      pl_graph_add_output (g, "Z");
      g_autoptr (GError) error = NULL;
      ck_assert_msg (pl_graph_validate (g, &error), "%s", error ? error->message : "?");
      ck_assert_int_eq (pl_graph_fold_shape_subgraphs (g), 0);
      ck_assert_int_eq (g->nodes->len, 5);
    }
}
END_TEST

/* Reshape (X, Concat (Constant [3], initializer [-1])) folds to a constant [3, -1]
 * (variant 0); when the Concat's output is also a graph output (variant 1), the Reshape
 * gets its own new constant and the Concat stays. Outputs are the same before and after. */
START_TEST (test_fold_constant_concat)
{
  for (gint variant = 0; variant < 2; variant++)
    {
      g_autoptr (PlGraph) g = pl_graph_new ();
      g->opset = 13;
      gint64 xs[3] = { -1, 3, 4 };
      pl_graph_add_input (g, "X", 3, xs);
      g_autoptr (PlTensor) rest = pl_tensor_new_1d (1);
      rest->data[0] = -1.0f;
      pl_graph_value (g, pl_graph_add_initializer (g, "rest", rest))->elem_type = 7;
      g_autoptr (PlTensor) three = pl_tensor_new_1d (1);
      three->data[0] = 3.0f;
      const char *k_out[] = { "k" };
      PlNode *k = pl_graph_add_node (g, "Constant", "k", 0, NULL, 1, k_out);
      pl_node_set_tensor (k, "value", three);
      const char *cat_in[] = { "k", "rest" }, *cat_out[] = { "target" };
      PlNode *cat = pl_graph_add_node (g, "Concat", "cat", 2, cat_in, 1, cat_out);
      pl_node_set_int (cat, "axis", 0);
      const char *r_in[] = { "X", "target" }, *r_out[] = { "Z" };
      pl_graph_add_node (g, "Reshape", "reshape", 2, r_in, 1, r_out);
      pl_graph_add_output (g, "Z");
      if (variant == 1)
        pl_graph_add_output (g, "target");
      g_autoptr (GError) error = NULL;
      ck_assert_msg (pl_graph_validate (g, &error), "%s", error ? error->message : "?");
      /* X = 0, 1, ..., 23 in [2, 3, 4]: Reshape to [3, -1] gives [3, 8], same data. */
      g_autoptr (PlTensor) x = pl_tensor_new (3, (gint64[]) { 2, 3, 4 }, NULL);
      for (gint i = 0; i < 24; i++)
        x->data[i] = (float) i;
      ck_assert_int_eq (pl_graph_fold_shape_subgraphs (g), 1);
      ck_assert_int_eq (g->nodes->len, variant == 0 ? 1 : 3);
      const PlNode *r = g_ptr_array_index (g->nodes, g->nodes->len - 1);
      ck_assert_str_eq (r->op_type, "Reshape");
      const PlValue *sv = pl_graph_value (g, r->inputs[1]);
      ck_assert_ptr_nonnull (sv->init);
      ck_assert_int_eq (sv->init->numel, 2);
      ck_assert_float_eq (sv->init->data[0], 3.0f);
      ck_assert_float_eq (sv->init->data[1], -1.0f);
      ck_assert_str_eq (sv->name, variant == 0 ? "target" : "target_folded0");
      /* The initializer only the removed Concat read is gone (variant 0). */
      ck_assert ((pl_graph_value (g, pl_graph_find_value (g, "rest"))->init == NULL) == (variant == 0));
      g_autoptr (PlTensor) y = run (g, x, "folded");
      ck_assert_int_eq (y->ndim, 2);
      ck_assert_int_eq (y->shape[0], 3);
      ck_assert_int_eq (y->shape[1], 8);
      for (gint i = 0; i < 24; i++)
        ck_assert_float_eq (y->data[i], (float) i);
      /* Nothing left to fold. */
      ck_assert_int_eq (pl_graph_fold_shape_subgraphs (g), 0);
    }
}
END_TEST

/* Every tests/models/ops/<case>: PruneLens vs ONNX Runtime within 1e-4 (absolute), and
 * bit-identical outputs after pl_onnx_save_data / pl_onnx_load_data. */
START_TEST (test_op_cases)
{
  const char *root = g_getenv ("PL_SOURCE_DIR");
  ck_assert_ptr_nonnull (root);
  g_autofree char *ops = g_build_filename (root, "tests", "models", "ops", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = g_dir_open (ops, 0, &error);
  ck_assert_msg (dir != NULL, "%s", error ? error->message : "?");
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *e;
  while ((e = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (e));
  /* make-op-models.py writes 36 cases: a missing folder is a failure. */
  ck_assert_int_ge (names->len, 36);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *name = g_build_filename ("ops", g_ptr_array_index (names, i), NULL);
      g_autoptr (PlGraph) g = load_model (name);
      g_autoptr (PlTensor) x = load_tensor (name, "input_0.pb");
      g_autoptr (PlTensor) ort = load_tensor (name, "ort-output_0.pb");
      g_autoptr (PlTensor) y = run (g, x, name);
      double d = max_abs_diff (y, ort, name);
      ck_assert_msg (d <= TOLERANCE, "%s: max |PruneLens - ONNX Runtime| = %g > %g", name, d, TOLERANCE);

      gsize len = 0;
      g_autofree guint8 *bytes = pl_onnx_save_data (g, &len, &error);
      ck_assert_msg (bytes != NULL, "%s: %s", name, error ? error->message : "?");
      g_autoptr (PlGraph) g2 = pl_onnx_load_data (bytes, len, name, &error);
      ck_assert_msg (g2 != NULL, "%s reloaded: %s", name, error ? error->message : "?");
      g_autoptr (PlTensor) y2 = run (g2, x, name);
      ck_assert_msg (memcmp (y->data, y2->data, y->numel * sizeof (float)) == 0,
                     "%s: outputs differ after save and reload", name);
    }
}
END_TEST

static Suite *
pytorch_suite (void)
{
  Suite *s = suite_create ("pytorch-models");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 60);
  tcase_add_loop_test (tc, test_matches_references, 0, N_MODELS);
  tcase_add_loop_test (tc, test_batch_one, 0, N_MODELS);
  tcase_add_loop_test (tc, test_save_reload_identical, 0, N_MODELS);
  tcase_add_test (tc, test_view_folded);
  tcase_add_test (tc, test_fold_refuses_other_patterns);
  tcase_add_test (tc, test_fold_constant_concat);
  tcase_add_test (tc, test_op_cases);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (pytorch_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
