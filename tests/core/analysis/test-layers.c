/* test-layers.c — per-layer sparsity and per-layer pruning sensitivity (pl-layers.h): a
 * hand-made network for the ranking and ties, the default model for the counts, the
 * known accuracy when the last layer is all zero, and the export. */
#include <check.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "analysis/pl-layers.h"
#include "analysis/pl-metrics.h"
#include "onnx/pl-onnx.h"
#include "prune/pl-prune.h"
#include "pl-error.h"
#include "../test-scale.h"

static PlGraph *model;
static PlDataset *test_set;

static void
load_fixtures (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("PL_SOURCE_DIR"), "data", "models",
                                            "fashion-cnn.onnx", NULL);
  GError *error = NULL;
  model = pl_onnx_load_file (path, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  test_set = pl_dataset_load_fashion_mnist ("/usr/share/datasets/fashion-mnist", "test",
                                            &error);
  ck_assert_msg (test_set != NULL, "%s", error ? error->message : "");
}

static void
free_fixtures (void)
{
  g_clear_pointer (&model, pl_graph_unref);
  g_clear_pointer (&test_set, pl_dataset_unref);
}

/* X [N, 3] -> Gemm "first" (W1 [2, 3], transB) -> Gemm "second" (W2 [2, 2], transB). */
static PlGraph *
build_toy (void)
{
  PlGraph *g = pl_graph_new ();
  pl_graph_add_input (g, "X", 2, (gint64[]) { -1, 3 });
  g_autoptr (PlTensor) w1 = pl_tensor_new_2d (2, 3);
  const float v1[6] = { 3.0f, -1.0f, 2.0f, 0.5f, -4.0f, 1.0f };
  memcpy (w1->data, v1, sizeof v1);
  g_autoptr (PlTensor) w2 = pl_tensor_new_2d (2, 2);
  const float v2[4] = { 1.0f, 2.0f, 3.0f, 0.0f };
  memcpy (w2->data, v2, sizeof v2);
  pl_graph_add_initializer (g, "W1", w1);
  pl_graph_add_initializer (g, "W2", w2);
  PlNode *a = pl_graph_add_node (g, "Gemm", "first", 2, (const char *[]) { "X", "W1" }, 1,
                                 (const char *[]) { "H" });
  pl_node_set_int (a, "transB", 1);
  PlNode *b = pl_graph_add_node (g, "Gemm", "", 2, (const char *[]) { "H", "W2" }, 1,
                                 (const char *[]) { "Y" });
  pl_node_set_int (b, "transB", 1);
  pl_graph_add_output (g, "Y");
  return g;
}

START_TEST (test_toy_sparsity_and_ranking)
{
  g_autoptr (PlGraph) g = build_toy ();
  g_autoptr (PlLayerSparsity) ls = pl_layer_sparsity (g);
  ck_assert_int_eq (ls->n_layers, 2);
  ck_assert_str_eq (ls->names[0], "first");
  ck_assert_str_eq (ls->names[1], "W2");   /* unnamed node: the initializer's name */
  ck_assert_ptr_null (ls->names[2]);
  ck_assert_int_eq (ls->sizes[0], 6);
  ck_assert_int_eq (ls->zeros[1], 1);
  ck_assert_double_eq (ls->sparsity[0], 0.0);
  ck_assert_double_eq (ls->sparsity[1], 0.25);

  /* Layer 0 to 50 %: 3 of 6 by |w| = 3 1 2 0.5 4 1, ties by index: 0.5 (3), 1 (1), 1 (5). */
  GError *error = NULL;
  g_autoptr (PlGraph) p = pl_layer_prune_alone (g, 0, 0.5, &error);
  ck_assert_msg (p != NULL, "%s", error ? error->message : "");
  const PlValue *w1 = pl_graph_value (p, pl_graph_find_value (p, "W1"));
  const float want[6] = { 3.0f, 0.0f, 2.0f, 0.0f, -4.0f, 0.0f };
  for (gint i = 0; i < 6; i++)
    {
      ck_assert_float_eq (w1->init->data[i], want[i]);
      ck_assert_float_eq (w1->mask->data[i], want[i] != 0.0f ? 1.0f : 0.0f);
    }
  /* the other layer and the input graph are untouched */
  const PlValue *w2 = pl_graph_value (p, pl_graph_find_value (p, "W2"));
  ck_assert_float_eq (w2->init->data[1], 2.0f);
  ck_assert_ptr_null (w2->mask);
  ck_assert_float_eq (pl_graph_value (g, pl_graph_find_value (g, "W1"))->init->data[1], -1.0f);

  /* Layer 1 to 50 % (2 of 4): the zero first, then |1| */
  g_autoptr (PlGraph) q = pl_layer_prune_alone (g, 1, 0.5, &error);
  const PlValue *v = pl_graph_value (q, pl_graph_find_value (q, "W2"));
  ck_assert_float_eq (v->init->data[0], 0.0f);
  ck_assert_float_eq (v->init->data[1], 2.0f);
  ck_assert_float_eq (v->init->data[2], 3.0f);
  g_autoptr (PlLayerSparsity) qs = pl_layer_sparsity (q);
  ck_assert_double_eq (qs->sparsity[1], 0.5);
  ck_assert_double_eq (qs->sparsity[0], 0.0);

  /* errors */
  ck_assert_ptr_null (pl_layer_prune_alone (g, 2, 0.5, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
  ck_assert_ptr_null (pl_layer_prune_alone (g, 0, 1.5, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
}
END_TEST

START_TEST (test_default_model_sparsity)
{
  g_autoptr (PlLayerSparsity) ls = pl_layer_sparsity (model);
  ck_assert_int_eq (ls->n_layers, 4);
  const gint64 sizes[4] = { 16 * 9, 32 * 16 * 9, 1568 * 128, 128 * 10 };
  for (gint l = 0; l < 4; l++)
    ck_assert_int_eq (ls->sizes[l], sizes[l]);
  GError *error = NULL;
  g_autoptr (PlGraph) pruned = pl_prune_magnitude (model, 0.9, PL_PRUNE_SCOPE_GLOBAL, &error);
  g_autoptr (PlLayerSparsity) ps = pl_layer_sparsity (pruned);
  gint64 zeros = 0, total = 0;
  for (gint l = 0; l < 4; l++)
    {
      zeros += ps->zeros[l];
      total += ps->sizes[l];
      ck_assert_double_eq_tol (ps->sparsity[l], (double) ps->zeros[l] / ps->sizes[l], 1e-15);
    }
  ck_assert_int_eq (zeros, pl_prune_count (total, 0.9));
  /* global magnitude pruning takes far more of the big Gemm than of the first Conv */
  ck_assert (ps->sparsity[2] > ps->sparsity[0]);
}
END_TEST

START_TEST (test_sensitivity)
{
  const double sp[3] = { 0.0, 0.9, 1.0 };
  /* evaluated on 200 images (PL_TEST_SCALE=small: 60) */
  const gint64 n_eval = pl_test_scale_n (200, 60);
  GError *error = NULL;
  g_autoptr (PlLayerSensitivity) s = pl_layer_sensitivity (model, test_set, sp, 3, n_eval, NULL,
                                                           &error);
  ck_assert_msg (s != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (s->n_layers, 4);
  ck_assert_int_eq (s->n_eval, n_eval);
  g_autoptr (PlEvaluation) base = pl_evaluate_classifier (model, test_set, n_eval, NULL, &error);
  ck_assert_double_eq (s->baseline_accuracy, base->accuracy);
  for (gint l = 0; l < 4; l++)
    {
      /* sparsity 0 changes nothing */
      ck_assert_double_eq (s->accuracy[l * 3 + 0], s->baseline_accuracy);
      ck_assert_double_eq (s->drop[l * 3 + 0], 0.0);
      ck_assert_double_eq_tol (s->drop[l * 3 + 1],
                               s->baseline_accuracy - s->accuracy[l * 3 + 1], 1e-15);
    }
  /* The last Gemm all zero: the logits are its bias, the same class for every image; the
   * accuracy is the share of that class among the n_eval labels. */
  const PlNode *last = NULL;
  for (guint k = 0; k < model->nodes->len; k++)
    {
      const PlNode *n = g_ptr_array_index (model->nodes, k);
      if (strcmp (n->op_type, "Gemm") == 0)
        last = n;
    }
  ck_assert_ptr_nonnull (last);
  const PlTensor *bias = pl_graph_value (model, last->inputs[2])->init;
  gint64 c = pl_tensor_argmax (bias->data, bias->numel);
  gint64 count = 0;
  for (gint64 i = 0; i < n_eval; i++)
    count += test_set->labels[i] == c;
  ck_assert_double_eq_tol (s->accuracy[3 * 3 + 2], (double) count / (double) n_eval, 1e-12);
  /* an entry against an independent evaluation */
  g_autoptr (PlGraph) g = pl_layer_prune_alone (model, 1, 0.9, &error);
  g_autoptr (PlEvaluation) ev = pl_evaluate_classifier (g, test_set, n_eval, NULL, &error);
  ck_assert_double_eq (s->accuracy[1 * 3 + 1], ev->accuracy);

  /* export */
  g_autofree char *dir = g_dir_make_tmp ("pl-layers-XXXXXX", &error);
  g_autofree char *csv = g_build_filename (dir, "sensitivity.csv", NULL);
  g_autofree char *json = g_build_filename (dir, "sensitivity.json", NULL);
  ck_assert (pl_layer_sensitivity_save_csv (s, csv, &error));
  ck_assert (pl_layer_sensitivity_save_json (s, json, &error));
  g_autofree char *text = NULL;
  ck_assert (g_file_get_contents (csv, &text, NULL, NULL));
  ck_assert (strstr (text, "\nlayer,weights,sparsity,accuracy,drop\n") != NULL);
  g_autofree char *row = g_strdup_printf ("\n%s,1280,1,", s->names[3]);
  ck_assert (strstr (text, row) != NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  ck_assert (json_parser_load_from_file (parser, json, NULL));
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  JsonArray *layers = json_object_get_array_member (root, "layers");
  ck_assert_int_eq (json_array_get_length (layers), 4);
  JsonArray *acc = json_object_get_array_member (json_array_get_object_element (layers, 3),
                                                 "accuracy");
  ck_assert_double_eq_tol (json_array_get_double_element (acc, 2), (double) count / (double) n_eval, 1e-12);
  g_unlink (csv);
  g_unlink (json);
  g_rmdir (dir);
}
END_TEST

START_TEST (test_sensitivity_errors)
{
  GError *error = NULL;
  const double bad[2] = { 0.5, -0.1 };
  ck_assert_ptr_null (pl_layer_sensitivity (model, test_set, bad, 2, 10, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  ck_assert (strstr (error->message, "-0.1") != NULL);
  g_clear_error (&error);
  ck_assert_ptr_null (pl_layer_sensitivity (model, test_set, bad, 0, 10, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
  g_autoptr (PlGraph) relu = pl_graph_new ();
  pl_graph_add_input (relu, "X", 4, (gint64[]) { -1, 1, 28, 28 });
  pl_graph_add_node (relu, "Relu", "relu", 1, (const char *[]) { "X" }, 1,
                     (const char *[]) { "Y" });
  pl_graph_add_output (relu, "Y");
  const double ok[1] = { 0.5 };
  ck_assert_ptr_null (pl_layer_sensitivity (relu, test_set, ok, 1, 10, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
  /* cancelled */
  g_autoptr (GCancellable) c = g_cancellable_new ();
  g_cancellable_cancel (c);
  PlProgress progress;
  pl_progress_init (&progress, NULL, NULL, c);
  ck_assert_ptr_null (pl_layer_sensitivity (model, test_set, ok, 1, 10, &progress, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&error);
}
END_TEST

/* Session 4: non-finite initializers are found and named (model, initializer, element,
 * value, counts); finite ones pass, whatever their size. */
START_TEST (test_check_finite_weights)
{
  g_autoptr (PlGraph) g = pl_graph_new ();
  gint64 xs[2] = { -1, 3 };
  pl_graph_add_input (g, "X", 2, xs);
  g_autoptr (PlTensor) w = pl_tensor_new_2d (2, 3);
  g_autoptr (PlTensor) b = pl_tensor_new_1d (2);
  for (gint i = 0; i < 6; i++)
    w->data[i] = 3e38f;
  pl_graph_add_initializer (g, "W", w);
  pl_graph_add_initializer (g, "B", b);
  const char *ins[3] = { "X", "W", "B" };
  const char *outs[1] = { "Y" };
  pl_node_set_int (pl_graph_add_node (g, "Gemm", "fc", 3, ins, 1, outs), "transB", 1);
  pl_graph_add_output (g, "Y");
  GError *error = NULL;
  ck_assert (pl_graph_check_finite_weights (g, "m.onnx", &error));
  ck_assert_ptr_null (error);

  PlValue *vb = pl_graph_value (g, pl_graph_find_value (g, "B"));
  vb->init->data[1] = INFINITY;
  PlValue *vw = pl_graph_value (g, pl_graph_find_value (g, "W"));
  vw->init->data[4] = NAN;
  vw->init->data[5] = -INFINITY;
  ck_assert (!pl_graph_check_finite_weights (g, "m.onnx", &error));
  ck_assert_ptr_nonnull (error);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  /* the first initializer in value order holding one: W (added first), element 4, NaN */
  ck_assert_msg (strstr (error->message, "m.onnx: the initializer “W” holds a non-finite "
                         "value (NaN at element 4); 3 value(s) in 2 initializer(s)") != NULL,
                 "%s", error->message);
  g_clear_error (&error);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("layers");
  TCase *tc = tcase_create ("layers");
  tcase_set_timeout (tc, 120);
  tcase_add_unchecked_fixture (tc, load_fixtures, free_fixtures);
  tcase_add_test (tc, test_toy_sparsity_and_ranking);
  tcase_add_test (tc, test_default_model_sparsity);
  tcase_add_test (tc, test_sensitivity);
  tcase_add_test (tc, test_sensitivity_errors);
  tcase_add_test (tc, test_check_finite_weights);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_set_fork_status (sr, CK_NOFORK);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
