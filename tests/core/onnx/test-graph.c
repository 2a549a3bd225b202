/* test-graph.c — PlTensor and PlGraph API: builder, attributes, copy, validation,
 * parameter counts. Expected values are computed by hand in the comments. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "pl-error.h"
#include "graph/pl-graph.h"
#include "tensor/pl-tensor.h"

/* ---------------------------------------------------------------- tensors */

START_TEST (test_shape_numel)
{
  gint64 s3[3] = { 2, 3, 4 };
  ck_assert_int_eq (pl_shape_numel (3, s3), 24);
  ck_assert_int_eq (pl_shape_numel (0, NULL), 1);
  gint64 neg[2] = { 2, -1 };
  ck_assert_int_eq (pl_shape_numel (2, neg), -1);
  gint64 zero[2] = { 0, 5 };
  ck_assert_int_eq (pl_shape_numel (2, zero), 0);
  gint64 zneg[2] = { 0, -5 };
  ck_assert_int_eq (pl_shape_numel (2, zneg), -1);
  /* 2^31 is the limit: allowed; 2^31 + 2^16 is not. */
  gint64 lim[2] = { 1 << 16, 1 << 15 };
  ck_assert_int_eq (pl_shape_numel (2, lim), PL_TENSOR_MAX_ELEMENTS);
  gint64 over[2] = { (1 << 16) + 1, 1 << 15 };
  ck_assert_int_eq (pl_shape_numel (2, over), -1);
  /* Product overflowing int64 must not wrap around to a small positive number. */
  gint64 wrap[3] = { G_GINT64_CONSTANT (1) << 32, G_GINT64_CONSTANT (1) << 32, 4 };
  ck_assert_int_eq (pl_shape_numel (3, wrap), -1);
  ck_assert_int_eq (pl_shape_numel (9, s3), -1);
}
END_TEST

START_TEST (test_tensor_basics)
{
  g_autoptr (PlTensor) t = pl_tensor_new_4d (1, 2, 3, 4);
  ck_assert_int_eq (t->numel, 24);
  ck_assert_int_eq (t->ndim, 4);
  ck_assert_int_eq ((uintptr_t) t->data % 64, 0);
  for (gint64 i = 0; i < t->numel; i++)
    ck_assert (t->data[i] == 0.0f);

  t->data[5] = -7.0f;
  t->data[9] = 3.0f;
  t->data[11] = 3.0f;
  ck_assert (pl_tensor_max_abs (t) == 7.0f);
  ck_assert_int_eq (pl_tensor_argmax (t->data, t->numel), 9);   /* first maximum */

  g_autoptr (PlTensor) d = pl_tensor_dup (t);
  ck_assert (d->data != t->data);
  ck_assert (pl_tensor_same_shape (d, t));
  ck_assert_int_eq (memcmp (d->data, t->data, 24 * sizeof (float)), 0);
  d->data[5] = 1.0f;
  ck_assert (t->data[5] == -7.0f);

  gint64 s2[2] = { 6, 4 };
  ck_assert (pl_tensor_reshape (d, 2, s2));
  ck_assert_int_eq (d->ndim, 2);
  ck_assert_int_eq (d->shape[0], 6);
  ck_assert (!pl_tensor_same_shape (d, t));
  gint64 bad[2] = { 5, 5 };
  ck_assert (!pl_tensor_reshape (d, 2, bad));
  ck_assert_int_eq (d->shape[0], 6);

  g_autoptr (PlTensor) like = pl_tensor_new_like (t);
  ck_assert (pl_tensor_same_shape (like, t));
  ck_assert (like->data[5] == 0.0f);

  PlTensor *r = pl_tensor_ref (t);
  ck_assert_int_eq (t->ref_count, 2);
  pl_tensor_unref (r);
  ck_assert_int_eq (t->ref_count, 1);

  gint64 s[3] = { 1, 28, 28 };
  g_autofree char *str = pl_tensor_shape_string (3, s);
  ck_assert_str_eq (str, "[1, 28, 28]");
  gint64 sym[2] = { -1, 10 };
  g_autofree char *str2 = pl_tensor_shape_string (2, sym);
  ck_assert_str_eq (str2, "[?, 10]");

  ck_assert_int_eq (pl_tensor_argmax (NULL, 0), -1);
  g_autoptr (PlTensor) scalar = pl_tensor_new (0, NULL, NULL);
  ck_assert_int_eq (scalar->numel, 1);
}
END_TEST

START_TEST (test_tensor_errors)
{
  g_autoptr (GError) error = NULL;
  gint64 huge[2] = { G_GINT64_CONSTANT (1) << 20, G_GINT64_CONSTANT (1) << 20 };
  PlTensor *t = pl_tensor_new (2, huge, &error);
  ck_assert_ptr_null (t);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_TOO_LARGE));
  ck_assert_ptr_nonnull (strstr (error->message, "[1048576, 1048576]"));
  g_clear_error (&error);

  gint64 neg[1] = { -3 };
  t = pl_tensor_new (1, neg, &error);
  ck_assert_ptr_null (t);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);

  gint64 nine[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 };
  t = pl_tensor_new (9, nine, &error);
  ck_assert_ptr_null (t);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
}
END_TEST

/* ---------------------------------------------------------------- a tiny CNN */

/* X [N,1,4,4] -> Conv(W [2,1,3,3], B [2]) -> [N,2,2,2] -> Relu -> Flatten -> [N,8]
 *   -> Gemm(W2 [3,8], B2 [3], transB=1) -> Y [N,3]
 * Parameters: 18 + 2 + 24 + 3 = 47. */
static PlGraph *
build_tiny_cnn (void)
{
  PlGraph *g = pl_graph_new ();
  g->opset = 13;
  gint64 xs[4] = { -1, 1, 4, 4 };
  pl_graph_add_input (g, "X", 4, xs);

  g_autoptr (PlTensor) w = pl_tensor_new_4d (2, 1, 3, 3);
  for (gint i = 0; i < 18; i++)
    w->data[i] = (float) (i + 1);
  g_autoptr (PlTensor) b = pl_tensor_new_1d (2);
  b->data[0] = 0.5f;
  b->data[1] = -0.5f;
  g_autoptr (PlTensor) w2 = pl_tensor_new_2d (3, 8);
  for (gint i = 0; i < 24; i++)
    w2->data[i] = 0.25f * (float) (i + 1);
  g_autoptr (PlTensor) b2 = pl_tensor_new_1d (3);
  b2->data[2] = 1.0f;
  pl_graph_add_initializer (g, "W", w);
  pl_graph_add_initializer (g, "B", b);
  pl_graph_add_initializer (g, "W2", w2);
  pl_graph_add_initializer (g, "B2", b2);

  const char *conv_in[] = { "X", "W", "B" };
  const char *conv_out[] = { "c" };
  PlNode *conv = pl_graph_add_node (g, "Conv", "conv1", 3, conv_in, 1, conv_out);
  gint64 ks[2] = { 3, 3 };
  gint64 pads[4] = { 0, 0, 0, 0 };
  pl_node_set_ints (conv, "kernel_shape", 2, ks);
  pl_node_set_ints (conv, "pads", 4, pads);
  pl_node_set_int (conv, "group", 1);

  const char *relu_in[] = { "c" };
  const char *relu_out[] = { "r" };
  pl_graph_add_node (g, "Relu", "relu1", 1, relu_in, 1, relu_out);
  const char *fl_in[] = { "r" };
  const char *fl_out[] = { "f" };
  PlNode *fl = pl_graph_add_node (g, "Flatten", "flat", 1, fl_in, 1, fl_out);
  pl_node_set_int (fl, "axis", 1);
  const char *gemm_in[] = { "f", "W2", "B2" };
  const char *gemm_out[] = { "Y" };
  PlNode *gemm = pl_graph_add_node (g, "Gemm", "fc", 3, gemm_in, 1, gemm_out);
  pl_node_set_int (gemm, "transB", 1);
  pl_node_set_float (gemm, "alpha", 1.0f);
  pl_graph_add_output (g, "Y");
  return g;
}

START_TEST (test_builder)
{
  g_autoptr (PlGraph) g = build_tiny_cnn ();
  ck_assert_int_eq (g->nodes->len, 4);
  ck_assert_int_eq (g->inputs->len, 1);
  ck_assert_int_eq (g->outputs->len, 1);
  gint x = pl_graph_find_value (g, "X");
  ck_assert_int_ge (x, 0);
  ck_assert_int_eq (g_array_index (g->inputs, gint, 0), x);
  ck_assert_int_eq (pl_graph_find_value (g, "nope"), -1);
  /* add_value returns the existing id for a known name. */
  ck_assert_int_eq (pl_graph_add_value (g, "X"), x);

  PlNode *conv = g_ptr_array_index (g->nodes, 0);
  ck_assert_str_eq (conv->op_type, "Conv");
  ck_assert_str_eq (conv->domain, "");
  ck_assert_int_eq (conv->n_inputs, 3);
  ck_assert_int_eq (conv->inputs[1], pl_graph_find_value (g, "W"));
  ck_assert_int_eq (conv->outputs[0], pl_graph_find_value (g, "c"));

  gint w = pl_graph_find_value (g, "W");
  PlValue *wv = pl_graph_value (g, w);
  ck_assert_ptr_nonnull (wv->init);
  ck_assert_int_eq (wv->ndim, 4);
  ck_assert_int_eq (wv->shape[0], 2);
  ck_assert_int_eq (wv->init->ref_count, 1);   /* the builder's reference was dropped */

  /* Omitted optional input. */
  const char *in[] = { "Y", "", NULL };
  const char *out[] = { "Z" };
  PlNode *n = pl_graph_add_node (g, "Dropout", NULL, 3, in, 1, out);
  ck_assert_int_eq (n->inputs[1], -1);
  ck_assert_int_eq (n->inputs[2], -1);
  ck_assert_str_eq (n->name, "");

  gint64 shape[PL_TENSOR_MAX_DIMS];
  ck_assert_int_eq (pl_graph_sample_shape (g, shape), 3);
  ck_assert_int_eq (shape[0], 1);
  ck_assert_int_eq (shape[1], 4);
  ck_assert_int_eq (shape[2], 4);

  ck_assert (pl_graph_validate (g, NULL));

  /* An input later given an initializer stops being a graph input. */
  gint64 s1[1] = { 3 };
  pl_graph_add_input (g, "extra", 1, s1);
  ck_assert_int_eq (g->inputs->len, 2);
  g_autoptr (PlTensor) e = pl_tensor_new_1d (3);
  pl_graph_add_initializer (g, "extra", e);
  ck_assert_int_eq (g->inputs->len, 1);
  ck_assert_int_eq (e->ref_count, 2);

  PlGraph *r = pl_graph_ref (g);
  ck_assert_int_eq (g->ref_count, 2);
  pl_graph_unref (r);
}
END_TEST

START_TEST (test_attributes)
{
  g_autoptr (PlGraph) g = build_tiny_cnn ();
  PlNode *conv = g_ptr_array_index (g->nodes, 0);
  ck_assert_int_eq (pl_node_get_int (conv, "group", 7), 1);
  ck_assert_int_eq (pl_node_get_int (conv, "missing", 7), 7);
  ck_assert_ptr_null (pl_node_get_attr (conv, "missing"));
  pl_node_set_int (conv, "group", 2);   /* replaces */
  ck_assert_int_eq (pl_node_get_int (conv, "group", 7), 2);
  ck_assert_int_eq (conv->n_attrs, 3);

  const PlAttr *ks = pl_node_get_attr (conv, "kernel_shape");
  ck_assert_int_eq (ks->type, PL_ATTR_INTS);
  ck_assert_int_eq (ks->n, 2);
  ck_assert_int_eq (ks->ints[1], 3);

  pl_node_set_float (conv, "f", 2.5f);
  ck_assert (pl_node_get_float (conv, "f", 0.0f) == 2.5f);
  ck_assert (pl_node_get_float (conv, "nope", -1.0f) == -1.0f);
  pl_node_set_string (conv, "auto_pad", "NOTSET");
  ck_assert_str_eq (pl_node_get_attr (conv, "auto_pad")->s, "NOTSET");
  float fl[3] = { 1.0f, 2.0f, 3.5f };
  pl_node_set_floats (conv, "scales", 3, fl);
  ck_assert (pl_node_get_attr (conv, "scales")->floats[2] == 3.5f);
  /* Replacing an attribute by one of another type. */
  pl_node_set_int (conv, "auto_pad", 4);
  ck_assert_int_eq (pl_node_get_attr (conv, "auto_pad")->type, PL_ATTR_INT);
  ck_assert_ptr_null (pl_node_get_attr (conv, "auto_pad")->s);
  g_autoptr (PlTensor) t = pl_tensor_new_1d (2);
  pl_node_set_tensor (conv, "value", t);
  ck_assert_ptr_eq (pl_node_get_attr (conv, "value")->t, t);
  ck_assert_int_eq (t->ref_count, 2);
  /* Setting the same tensor again keeps it alive. */
  pl_node_set_tensor (conv, "value", t);
  ck_assert_int_eq (t->ref_count, 2);
}
END_TEST

START_TEST (test_copy_is_deep)
{
  g_autoptr (PlGraph) g = build_tiny_cnn ();
  gint w = pl_graph_find_value (g, "W");
  PlValue *wv = pl_graph_value (g, w);
  wv->mask = pl_tensor_new_like (wv->init);
  g_autoptr (PlGraph) c = pl_graph_copy (g);

  ck_assert_int_eq (c->nodes->len, g->nodes->len);
  ck_assert_int_eq (c->values->len, g->values->len);
  ck_assert_int_eq (pl_graph_find_value (c, "W"), w);
  ck_assert_int_eq (c->opset, 13);
  PlValue *cw = pl_graph_value (c, w);
  ck_assert (cw->init != wv->init);
  ck_assert (cw->mask != wv->mask);
  cw->init->data[0] = 100.0f;
  cw->mask->data[0] = 1.0f;
  ck_assert (wv->init->data[0] == 1.0f);
  ck_assert (wv->mask->data[0] == 0.0f);

  PlNode *cn = g_ptr_array_index (c->nodes, 0);
  PlNode *gn = g_ptr_array_index (g->nodes, 0);
  ck_assert (cn != gn);
  ck_assert (cn->attrs != gn->attrs);
  ((PlAttr *) pl_node_get_attr (cn, "kernel_shape"))->ints[0] = 5;
  ck_assert_int_eq (pl_node_get_attr (gn, "kernel_shape")->ints[0], 3);
  pl_node_set_int (cn, "group", 9);
  ck_assert_int_eq (pl_node_get_int (gn, "group", 0), 1);

  /* Adding to the copy leaves the original. */
  pl_graph_add_value (c, "new");
  ck_assert_int_eq (pl_graph_find_value (g, "new"), -1);
  ck_assert (pl_graph_validate (c, NULL));
}
END_TEST

START_TEST (test_parameters_and_sparsity)
{
  g_autoptr (PlGraph) g = build_tiny_cnn ();
  ck_assert_int_eq (pl_graph_n_parameters (g), 47);

  g_autoptr (GArray) ids = pl_graph_prunable_weights (g);
  ck_assert_int_eq (ids->len, 2);
  ck_assert_int_eq (g_array_index (ids, gint, 0), pl_graph_find_value (g, "W"));
  ck_assert_int_eq (g_array_index (ids, gint, 1), pl_graph_find_value (g, "W2"));

  ck_assert (pl_graph_weight_sparsity (g) == 0.0);
  PlTensor *w = pl_graph_value (g, pl_graph_find_value (g, "W"))->init;
  PlTensor *w2 = pl_graph_value (g, pl_graph_find_value (g, "W2"))->init;
  PlTensor *b = pl_graph_value (g, pl_graph_find_value (g, "B"))->init;
  w->data[0] = w->data[4] = w->data[17] = 0.0f;         /* 3 of 18 */
  for (gint i = 0; i < 5; i++)
    w2->data[2 * i] = 0.0f;                              /* 5 of 24 */
  b->data[0] = 0.0f;                                     /* biases do not count */
  ck_assert_double_eq_tol (pl_graph_weight_sparsity (g), 8.0 / 42.0, 1e-12);

  /* A mask zero at a non-zero weight counts as pruned. */
  PlValue *w2v = pl_graph_value (g, pl_graph_find_value (g, "W2"));
  w2v->mask = pl_tensor_new_like (w2);
  for (gint64 i = 0; i < w2->numel; i++)
    w2v->mask->data[i] = 1.0f;
  w2v->mask->data[1] = 0.0f;
  ck_assert_double_eq_tol (pl_graph_weight_sparsity (g), 9.0 / 42.0, 1e-12);

  /* A weight shared by two MatMuls is listed and counted once; an initializer that no
   * node uses is not a parameter. */
  const char *mm_in[] = { "Y", "W3" };
  const char *mm_out[] = { "Z1" };
  const char *mm2_in[] = { "Z1", "W3" };
  const char *mm2_out[] = { "Z2" };
  g_autoptr (PlTensor) w3 = pl_tensor_new_2d (3, 3);
  g_autoptr (PlTensor) unused = pl_tensor_new_2d (10, 10);
  pl_graph_add_initializer (g, "W3", w3);
  pl_graph_add_initializer (g, "unused", unused);
  pl_graph_add_node (g, "MatMul", "mm1", 2, mm_in, 1, mm_out);
  pl_graph_add_node (g, "MatMul", "mm2", 2, mm2_in, 1, mm2_out);
  g_autoptr (GArray) ids2 = pl_graph_prunable_weights (g);
  ck_assert_int_eq (ids2->len, 3);
  ck_assert_int_eq (pl_graph_n_parameters (g), 47 + 9);
  /* W3 is all zeros: (8 + 1 + 9) / (42 + 9). */
  ck_assert_double_eq_tol (pl_graph_weight_sparsity (g), 18.0 / 51.0, 1e-12);

  /* A graph without weights. */
  g_autoptr (PlGraph) empty = pl_graph_new ();
  ck_assert (pl_graph_weight_sparsity (empty) == 0.0);
  ck_assert_int_eq (pl_graph_n_parameters (empty), 0);
  ck_assert_int_eq (pl_graph_sample_shape (empty, NULL), -1);
}
END_TEST

START_TEST (test_validate_sorts)
{
  g_autoptr (PlGraph) g = pl_graph_new ();
  gint64 s[2] = { -1, 4 };
  pl_graph_add_input (g, "x", 2, s);
  /* Added out of order: relu uses "a", which neg produces later. */
  const char *r_in[] = { "a" };
  const char *r_out[] = { "b" };
  const char *n_in[] = { "x" };
  const char *n_out[] = { "a" };
  const char *s_in[] = { "b", "x" };
  const char *s_out[] = { "y" };
  pl_graph_add_node (g, "Add", "sum", 2, s_in, 1, s_out);
  pl_graph_add_node (g, "Relu", "relu", 1, r_in, 1, r_out);
  pl_graph_add_node (g, "Neg", "neg", 1, n_in, 1, n_out);
  pl_graph_add_output (g, "y");

  g_autoptr (GError) error = NULL;
  ck_assert (pl_graph_validate (g, &error));
  ck_assert_ptr_null (error);
  ck_assert_str_eq (((PlNode *) g_ptr_array_index (g->nodes, 0))->name, "neg");
  ck_assert_str_eq (((PlNode *) g_ptr_array_index (g->nodes, 1))->name, "relu");
  ck_assert_str_eq (((PlNode *) g_ptr_array_index (g->nodes, 2))->name, "sum");
  /* Already sorted: unchanged. */
  ck_assert (pl_graph_validate (g, NULL));
  ck_assert_str_eq (((PlNode *) g_ptr_array_index (g->nodes, 0))->name, "neg");
}
END_TEST

START_TEST (test_validate_errors)
{
  g_autoptr (GError) error = NULL;
  gint64 s[2] = { -1, 4 };

  /* Undefined input. */
  g_autoptr (PlGraph) g = pl_graph_new ();
  pl_graph_add_input (g, "x", 2, s);
  const char *in[] = { "x", "ghost" };
  const char *out[] = { "y" };
  pl_graph_add_node (g, "Add", "adder", 2, in, 1, out);
  pl_graph_add_output (g, "y");
  ck_assert (!pl_graph_validate (g, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  ck_assert_ptr_nonnull (strstr (error->message, "ghost"));
  ck_assert_ptr_nonnull (strstr (error->message, "adder"));
  g_clear_error (&error);

  /* Cycle. */
  g_autoptr (PlGraph) c = pl_graph_new ();
  pl_graph_add_input (c, "x", 2, s);
  const char *a_in[] = { "x", "q" };
  const char *a_out[] = { "p" };
  const char *b_in[] = { "p" };
  const char *b_out[] = { "q" };
  pl_graph_add_node (c, "Add", "A", 2, a_in, 1, a_out);
  pl_graph_add_node (c, "Relu", "B", 1, b_in, 1, b_out);
  pl_graph_add_output (c, "q");
  ck_assert (!pl_graph_validate (c, &error));
  ck_assert_ptr_nonnull (strstr (error->message, "cycle"));
  g_clear_error (&error);

  /* Output never produced. */
  g_autoptr (PlGraph) o = pl_graph_new ();
  pl_graph_add_input (o, "x", 2, s);
  pl_graph_add_output (o, "nowhere");
  ck_assert (!pl_graph_validate (o, &error));
  ck_assert_ptr_nonnull (strstr (error->message, "nowhere"));
  g_clear_error (&error);

  /* Two nodes writing one value. */
  g_autoptr (PlGraph) d = pl_graph_new ();
  pl_graph_add_input (d, "x", 2, s);
  const char *x_in[] = { "x" };
  const char *y_out[] = { "y" };
  pl_graph_add_node (d, "Relu", "first", 1, x_in, 1, y_out);
  pl_graph_add_node (d, "Neg", "second", 1, x_in, 1, y_out);
  ck_assert (!pl_graph_validate (d, &error));
  ck_assert_ptr_nonnull (strstr (error->message, "second"));
  ck_assert_ptr_nonnull (strstr (error->message, "'y'"));
}
END_TEST

static Suite *
graph_suite (void)
{
  Suite *s = suite_create ("graph");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_shape_numel);
  tcase_add_test (tc, test_tensor_basics);
  tcase_add_test (tc, test_tensor_errors);
  tcase_add_test (tc, test_builder);
  tcase_add_test (tc, test_attributes);
  tcase_add_test (tc, test_copy_is_deep);
  tcase_add_test (tc, test_parameters_and_sparsity);
  tcase_add_test (tc, test_validate_sorts);
  tcase_add_test (tc, test_validate_errors);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (graph_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
