/* Export All Figures (pl_export_all): on the default CNN and the first Fashion-MNIST test
 * images, pruned to 80 %, every figure is written in the chosen format at the chosen
 * size with its data, and the data agree with what was computed: comparison.json's
 * predictions, the per-pixel CSV, the confusion counts, the per-layer sparsity. Bad
 * formats and folders are errors naming them. No display needed. */
#include "config.h"

#include <cairo.h>
#include <check.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/pl-layers.h"
#include "onnx/pl-onnx.h"
#include "pl-error.h"
#include "pl-export-dialog.h"
#include "pl-lime-shap-figure.h"
#include "prune/pl-prune.h"

static char *
read_text (const char *folder, const char *name)
{
  g_autofree char *path = g_build_filename (folder, name, NULL);
  char *text = NULL;
  ck_assert_msg (g_file_get_contents (path, &text, NULL, NULL), "missing %s", path);
  return text;
}

static void
png_size (const char *folder, const char *name, int *w, int *h)
{
  g_autofree char *path = g_build_filename (folder, name, NULL);
  cairo_surface_t *s = cairo_image_surface_create_from_png (path);
  ck_assert_msg (cairo_surface_status (s) == CAIRO_STATUS_SUCCESS, "%s is not a PNG", path);
  *w = cairo_image_surface_get_width (s);
  *h = cairo_image_surface_get_height (s);
  cairo_surface_destroy (s);
}

static gboolean
listed (GPtrArray *written, const char *name)
{
  for (guint i = 0; i < written->len; i++)
    if (g_str_equal (g_ptr_array_index (written, i), name))
      return TRUE;
  return FALSE;
}

/* A progress callback cancelling after its second report (the second file). */
typedef struct {
  GCancellable *cancellable;
  gint reports;
} CancelAt;

static void
cancel_at_second (double fraction, const char *message, gpointer user_data)
{
  CancelAt *c = user_data;
  if (++c->reports == 2)
    g_cancellable_cancel (c->cancellable);
}

START_TEST (test_export_all)
{
  const char *src = g_getenv ("PL_SOURCE_DIR");
  ck_assert_ptr_nonnull (src);
  g_autofree char *model = g_build_filename (src, "data", "models", "fashion-cnn.onnx", NULL);
  if (!g_file_test (PL_DEFAULT_DATASET_DIR, G_FILE_TEST_IS_DIR))
    {
      g_print ("missing %s: skipped\n", PL_DEFAULT_DATASET_DIR);
      return;
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) original = pl_onnx_load_file (model, &error);
  ck_assert_msg (original != NULL, "%s", error ? error->message : "");
  g_autoptr (PlGraph) pruned = pl_prune_magnitude (original, 0.8, PL_PRUNE_SCOPE_GLOBAL, &error);
  ck_assert_msg (pruned != NULL, "%s", error ? error->message : "");
  g_autoptr (PlDataset) ds = pl_dataset_open (PL_DEFAULT_DATASET_DIR, "test", NULL, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");

  const gint64 n = 60;
  PlEvaluation *e0 = pl_evaluate_classifier (original, ds, n, NULL, &error);
  PlEvaluation *e1 = pl_evaluate_classifier (pruned, ds, n, NULL, &error);
  ck_assert (e0 != NULL && e1 != NULL);
  PlComparisonOptions co;
  pl_comparison_options_init (&co);
  co.grid = 2;
  co.shap_budget = 16;
  g_autoptr (PlComparison) cmp = pl_comparison_compute (original, pruned, ds, 3, &co, NULL, &error);
  ck_assert_msg (cmp != NULL, "%s", error ? error->message : "");

  PlFigureContext ctx = { .model_name = "fashion-cnn.onnx", .dataset_name = "Fashion-MNIST test",
                          .sparsity = 0.8, .class_names = (const char *const *) ds->class_names,
                          .n_classes = ds->n_classes, .caption = TRUE };
  PlExportAllInput in = { .comparison = cmp, .context = &ctx, .dataset = ds, .e0 = e0,
                          .e1 = e1, .g0 = original, .g1 = pruned };
  /* 2 × 1 inches at 100 dpi: every PNG is 200 × 100 pixels. */
  PlExportOptions opt = { .width = 2.0, .height = 1.0, .inches = TRUE, .dpi = 100.0,
                          .captions = TRUE };
  g_autofree char *tmp = g_dir_make_tmp ("pl-export-all-XXXXXX", NULL);
  g_autofree char *folder = g_build_filename (tmp, "figures", "new", NULL);   /* created */
  GPtrArray *written = NULL;
  gint count = pl_export_all (folder, "png", &in, &opt, &written, &error);
  ck_assert_msg (count > 0, "%s", error ? error->message : "");
  ck_assert_uint_eq ((guint) count, written->len);
  static const char *const expected[] = {
    "saliency.png", "features.png", "shap.png", "comparison.json", "saliency-maps.csv",
    "confusion-original.png", "confusion-pruned.png", "confusion.csv", "weights.png",
    "layer-sparsity.png", "layer-sparsity.csv",
  };
  ck_assert_int_eq (count, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      ck_assert_msg (listed (written, expected[i]), "%s not written", expected[i]);
      if (g_str_has_suffix (expected[i], ".png"))
        {
          int w, h;
          png_size (folder, expected[i], &w, &h);
          ck_assert_int_eq (w, 200);
          ck_assert_int_eq (h, 100);
        }
    }

  /* The LIME / SHAP tab's figure (session 6): lime-shap.png first, when given. */
  {
    gint64 idx = 3;
    g_autoptr (PlTensor) x = pl_dataset_batch (ds, &idx, 1, &error);
    ck_assert (x != NULL);
    PlLimeShapOptions lo;
    pl_lime_shap_options_init (&lo);
    lo.segmentation = PL_LIME_SHAP_GRID;   /* small and quick: 2 × 2 patches */
    lo.grid_rows = lo.grid_cols = 2;
    lo.lime.n_samples = 40;
    lo.shap.budget = 16;
    g_autoptr (PlLimeShapFigure) ls = pl_lime_shap_figure_compute (original, pruned, x, ds, &lo,
                                                                   NULL, NULL, &error);
    ck_assert_msg (ls != NULL, "%s", error ? error->message : "");
    PlExportAllInput with_ls = in;
    with_ls.lime_shap = ls;
    g_autofree char *ls_folder = g_build_filename (tmp, "with-lime-shap", NULL);
    GPtrArray *ls_written = NULL;
    ck_assert_int_eq (pl_export_all (ls_folder, "png", &with_ls, &opt, &ls_written, &error),
                      G_N_ELEMENTS (expected) + 1);
    ck_assert_str_eq (g_ptr_array_index (ls_written, 0), "lime-shap.png");
    int w, h;
    png_size (ls_folder, "lime-shap.png", &w, &h);
    ck_assert_int_eq (w, 200);
    ck_assert_int_eq (h, 100);
    g_ptr_array_unref (ls_written);
  }

  /* comparison.json: the sample and both predictions as computed. */
  g_autofree char *json = read_text (folder, "comparison.json");
  g_autoptr (JsonParser) parser = json_parser_new ();
  ck_assert (json_parser_load_from_data (parser, json, -1, NULL));
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  ck_assert_int_eq (json_object_get_int_member (root, "index"), 3);
  ck_assert_int_eq (json_object_get_int_member (root, "label"), cmp->label);
  ck_assert_str_eq (json_object_get_string_member (root, "method"), "saliency");
  JsonObject *po = json_object_get_object_member (root, "pruned");
  ck_assert_int_eq (json_object_get_int_member (po, "prediction"), cmp->pred[1]);
  ck_assert_double_eq_tol (json_object_get_double_member (po, "probability"), cmp->prob[1], 1e-6);
  JsonArray *shap = json_object_get_array_member (po, "shap");
  ck_assert_uint_eq (json_array_get_length (shap), 4);   /* 2 × 2 patches */
  ck_assert_double_eq_tol (json_array_get_double_element (shap, 2), cmp->shap[1]->data[2], 1e-6);

  /* saliency-maps.csv: a header and one line per pixel; pixel (y 14, x 9) as computed. */
  g_autofree char *maps = read_text (folder, "saliency-maps.csv");
  g_auto (GStrv) lines = g_strsplit (maps, "\n", -1);
  gint64 hw = cmp->saliency[0]->numel;
  ck_assert_uint_eq (g_strv_length (lines), hw + 2);   /* header, rows, "" after the last \n */
  ck_assert_str_eq (lines[0], "y,x,original,pruned,difference");
  gint64 W = cmp->saliency[0]->shape[cmp->saliency[0]->ndim - 1];
  g_auto (GStrv) f = g_strsplit (lines[1 + 14 * W + 9], ",", -1);
  ck_assert_str_eq (f[0], "14");
  ck_assert_str_eq (f[1], "9");
  ck_assert_double_eq_tol (g_ascii_strtod (f[2], NULL), cmp->saliency[0]->data[14 * W + 9], 1e-6);
  ck_assert_double_eq_tol (g_ascii_strtod (f[3], NULL), cmp->saliency[1]->data[14 * W + 9], 1e-6);

  /* confusion.csv: per network the counts add up to n and the diagonal to the correct. */
  g_autofree char *conf = read_text (folder, "confusion.csv");
  g_auto (GStrv) cl = g_strsplit (conf, "\n", -1);
  ck_assert_str_eq (cl[0], "network,true,predicted,count");
  double total[2] = { 0, 0 }, diag[2] = { 0, 0 };
  for (guint i = 1; cl[i] != NULL && cl[i][0] != '\0'; i++)
    {
      g_auto (GStrv) c = g_strsplit (cl[i], ",", -1);
      int g = g_str_equal (c[0], "pruned") ? 1 : 0;
      double v = g_ascii_strtod (c[3], NULL);
      total[g] += v;
      if (g_str_equal (c[1], c[2]))
        diag[g] += v;
    }
  ck_assert_double_eq (total[0], n);
  ck_assert_double_eq (total[1], n);
  ck_assert_double_eq (diag[0], e0->correct);
  ck_assert_double_eq (diag[1], e1->correct);

  /* layer-sparsity.csv: one line per prunable layer, the pruned column as measured. */
  g_autoptr (PlLayerSparsity) l1 = pl_layer_sparsity (pruned);
  g_autofree char *layers = read_text (folder, "layer-sparsity.csv");
  g_auto (GStrv) ll = g_strsplit (layers, "\n", -1);
  ck_assert_uint_eq (g_strv_length (ll), l1->n_layers + 2);
  g_auto (GStrv) l0f = g_strsplit (ll[1], ",", -1);
  ck_assert_str_eq (l0f[0], l1->names[0]);
  ck_assert_double_eq_tol (g_ascii_strtod (l0f[2], NULL), 0.0, 1e-12);   /* original dense */
  ck_assert_double_eq_tol (g_ascii_strtod (l0f[3], NULL), l1->sparsity[0], 1e-6);
  g_ptr_array_unref (written);

  /* SVG: the same figures as vector files. */
  g_autofree char *svg_folder = g_build_filename (tmp, "svg", NULL);
  PlExportAllInput only_cmp = { .comparison = cmp, .context = &ctx };
  ck_assert_int_eq (pl_export_all (svg_folder, "svg", &only_cmp, &opt, NULL, &error), 5);
  g_autofree char *svg = read_text (svg_folder, "shap.svg");
  ck_assert (strstr (svg, "<svg") != NULL);

  /* Cancel stops before the next file (session 4), not at the end: cancelled while the
   * second file is being written, the export ends with exactly two whole files. */
  {
    g_autofree char *cancel_folder = g_build_filename (tmp, "cancelled", NULL);
    CancelAt c = { g_cancellable_new (), 0 };
    PlProgress progress;
    pl_progress_init (&progress, cancel_at_second, &c, c.cancellable);
    GPtrArray *done = NULL;
    ck_assert_int_eq (pl_export_all_full (cancel_folder, "png", &in, &opt, &done, &progress,
                                          &error), -1);
    ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
    g_clear_error (&error);
    ck_assert_uint_eq (done->len, 2);
    ck_assert_str_eq (g_ptr_array_index (done, 0), "saliency.png");
    int w, h;
    png_size (cancel_folder, "features.png", &w, &h);   /* whole */
    ck_assert_int_eq (w, 200);
    g_autofree char *third = g_build_filename (cancel_folder, "shap.png", NULL);
    ck_assert (!g_file_test (third, G_FILE_TEST_EXISTS));
    g_ptr_array_unref (done);
    g_object_unref (c.cancellable);
  }

  /* Errors: an unknown format; a folder that cannot be created. */
  ck_assert_int_eq (pl_export_all (svg_folder, "gif", &only_cmp, &opt, NULL, &error), -1);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  ck_assert (strstr (error->message, "gif") != NULL);
  g_clear_error (&error);
  g_autofree char *file = g_build_filename (tmp, "plain-file", NULL);
  ck_assert (g_file_set_contents (file, "x", 1, NULL));
  g_autofree char *below = g_build_filename (file, "sub", NULL);
  ck_assert_int_eq (pl_export_all (below, "png", &only_cmp, &opt, NULL, &error), -1);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_IO));
  ck_assert (strstr (error->message, below) != NULL);
  g_clear_error (&error);

  pl_evaluation_free (e0);
  pl_evaluation_free (e1);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  ck_assert_int_eq (system (cmd), 0);
}
END_TEST

int
main (void)
{
  Suite *suite = suite_create ("export-all");
  TCase *tc = tcase_create ("export-all");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_export_all);
  suite_add_tcase (suite, tc);
  SRunner *runner = srunner_create (suite);
  srunner_set_fork_status (runner, CK_NOFORK);
  srunner_run_all (runner, CK_NORMAL);
  int failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
