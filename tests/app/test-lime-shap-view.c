/* GUI test of the LIME / SHAP view (pl-lime-shap-view.h) on the default model: one job runs
 * LIME and KernelSHAP for the original and a 90 % pruned network; the figure has four
 * cells with values, LIME's R² in [0, 1], KernelSHAP's completeness residual ≈ 0 (the
 * efficiency constraint is enforced exactly) and both shown as text; the maps and bars
 * are drawn where the layout says; cancelling leaves no job and keeps the figure; a table
 * row (iris with a table MLP) gets bars per feature. Needs a display (xvfb-run); skipped
 * (77) without one. */
#include "config.h"

#include <adwaita.h>
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "pl-lime-shap-view.h"
#include "pl-render-private.h"
#include "exec/pl-executor.h"
#include "onnx/pl-onnx.h"
#include "prune/pl-prune.h"
#include "train/pl-train.h"

static void
spin (int n)
{
  for (int i = 0; i < n; i++)
    g_main_context_iteration (NULL, FALSE);
}

static void
wait_idle (PlLimeShapView *view, double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  while (pl_lime_shap_view_is_busy (view))
    {
      ck_assert_msg (g_get_monotonic_time () < end, "the view stayed busy for %.0f s", seconds);
      g_main_context_iteration (NULL, TRUE);
    }
  ck_assert_msg (pl_lime_shap_view_get_error (view) == NULL, "error: %s",
                 pl_lime_shap_view_get_error (view));
}

static gboolean
has_text (GArray *boxes, const char *prefix)
{
  for (guint i = 0; i < boxes->len; i++)
    if (g_str_has_prefix (g_array_index (boxes, PlTextBox, i).text, prefix))
      return TRUE;
  return FALSE;
}

/* Distinct colours inside rect of an image surface. */
static guint
distinct (cairo_surface_t *s, const double r[4])
{
  const guint8 *d = cairo_image_surface_get_data (s);
  int stride = cairo_image_surface_get_stride (s);
  GHashTable *set = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (int y = (int) r[1] + 1; y < (int) (r[1] + r[3]) - 1; y++)
    for (int x = (int) r[0] + 1; x < (int) (r[0] + r[2]) - 1; x++)
      g_hash_table_add (set, GUINT_TO_POINTER (((const guint32 *) (d + y * stride))[x]));
  guint n = g_hash_table_size (set);
  g_hash_table_unref (set);
  return n;
}

static void
check_cells (const PlLimeShapFigure *f)
{
  ck_assert_int_eq (f->n_methods, 2);
  for (int n = 0; n < 2; n++)
    {
      const PlLimeShapCell *lime = &f->cells[0][n], *shap = &f->cells[1][n];
      ck_assert_ptr_nonnull (lime->values);
      ck_assert_ptr_nonnull (shap->values);
      ck_assert_msg (lime->r2 >= 0.0 && lime->r2 <= 1.0, "R² %g", lime->r2);
      ck_assert (isfinite (lime->fx));
      ck_assert (isfinite (shap->fx) && isfinite (shap->f0));
      /* both methods explain the same class with the same network: the same f(x) */
      ck_assert_double_eq_tol (lime->fx, shap->fx, 1e-3 * MAX (1.0, fabs (shap->fx)));
      double gap = fabs (shap->fx - shap->f0);
      ck_assert_msg (fabs (shap->residual) <= 1e-4 * MAX (gap, 1e-3),
                     "completeness residual %g for f(x) − φ₀ = %g", shap->residual, gap);
      /* recompute Σφ − (f(x) − φ₀) by hand */
      double sum = 0;
      for (int i = 0; i < f->n_items; i++)
        sum += shap->values[i];
      ck_assert_double_eq_tol (sum - (shap->fx - shap->f0), shap->residual, 1e-4 * MAX (gap, 1e-3));
      ck_assert (isnan (lime->residual));
      ck_assert (isnan (shap->r2));
    }
}

START_TEST (test_view_image)
{
  const char *src = g_getenv ("PL_SOURCE_DIR");
  ck_assert_ptr_nonnull (src);
  g_autofree char *model = g_build_filename (src, "data", "models", "fashion-cnn.onnx", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) original = pl_onnx_load_file (model, &error);
  ck_assert_msg (original != NULL, "%s", error ? error->message : "");
  g_autoptr (PlGraph) pruned = pl_prune_magnitude (original, 0.9, PL_PRUNE_SCOPE_GLOBAL, &error);
  ck_assert_msg (pruned != NULL, "%s", error ? error->message : "");
  PlDataset *ds = pl_dataset_load_fashion_mnist (PL_DEFAULT_DATASET_DIR, "test", &error);
  ck_assert_msg (ds != NULL, "%s (Debian package dataset-fashion-mnist)",
                 error ? error->message : "");
  gint64 index = 12;
  g_autoptr (PlTensor) input = pl_dataset_batch (ds, &index, 1, &error);
  ck_assert_ptr_nonnull (input);

  GtkWidget *window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  GtkWidget *view = pl_lime_shap_view_new ();
  g_object_add_weak_pointer (G_OBJECT (view), (gpointer *) &view);
  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));
  PlLimeShapView *v = PL_LIME_SHAP_VIEW (view);
  ck_assert (!pl_lime_shap_view_is_busy (v));
  ck_assert_ptr_null (pl_lime_shap_view_get_figure (v));

  /* fewer LIME samples keep the test short; the defaults are tested by the core tests */
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (pl_lime_shap_view_get_widget (v, "samples")), 300);
  ck_assert (!pl_lime_shap_view_is_busy (v));   /* no input yet: nothing to run */
  pl_lime_shap_view_set_input (v, original, pruned, input, -1, ds, "fashion-cnn.onnx · #12");
  ck_assert (pl_lime_shap_view_is_busy (v));
  ck_assert (gtk_widget_get_sensitive (pl_lime_shap_view_get_widget (v, "cancel")));
  wait_idle (v, 120);
  ck_assert (!gtk_widget_get_sensitive (pl_lime_shap_view_get_widget (v, "cancel")));
  const PlLimeShapFigure *f = pl_lime_shap_view_get_figure (v);
  const PlLimeShapFigure *first = f;
  ck_assert_ptr_nonnull (f);
  ck_assert_int_gt (f->n_items, 10);   /* SLIC region size 4 on 28 × 28: about 49 */
  ck_assert_int_eq (f->height, 28);
  ck_assert_int_eq (f->width, 28);
  check_cells (f);
  ck_assert_ptr_nonnull (strstr (f->method_details[0], "samples=300"));
  ck_assert_ptr_nonnull (strstr (f->method_details[0], "seed=1"));
  ck_assert_ptr_nonnull (strstr (f->caption, "fashion-cnn.onnx · #12"));
  /* by default both methods hide a superpixel with the same value (0), and say so */
  ck_assert_uint_eq (gtk_drop_down_get_selected (
                         GTK_DROP_DOWN (pl_lime_shap_view_get_widget (v, "fill"))), 1);
  ck_assert_ptr_nonnull (strstr (f->method_details[0], "fill = 0 (both)"));
  ck_assert_ptr_nonnull (strstr (f->method_details[1], "fill = 0 (both)"));
  ck_assert_ptr_nonnull (strstr (f->caption, "value 0 in both methods"));
  ck_assert_ptr_nonnull (strstr (f->caption, "local linear model"));
  /* the same question again keeps the answer; another context asks again */
  pl_lime_shap_view_set_input (v, original, pruned, input, -1, ds, "fashion-cnn.onnx · #12");
  ck_assert (!pl_lime_shap_view_is_busy (v));
  ck_assert_ptr_eq (pl_lime_shap_view_get_figure (v), f);
  /* every segment id of the map is a segment */
  for (int p = 0; p < 28 * 28; p++)
    ck_assert (f->segments[p] >= 0 && f->segments[p] < f->n_items);
  /* the original network's prediction is explained: test image #12 */
  {
    PlExecutor *ex = pl_executor_new (original, &error);
    ck_assert_ptr_nonnull (ex);
    g_autoptr (PlTensor) logits = pl_executor_predict (ex, input, 1, NULL, &error);
    ck_assert_ptr_nonnull (logits);
    gint k = (gint) pl_tensor_argmax (logits->data, logits->numel);
    ck_assert_double_eq_tol (f->cells[1][0].fx, logits->data[k], 1e-3);
    pl_executor_free (ex);
  }

  /* drawn: content in the maps and the bars, R² and the residual shown */
  int W = 1200, H = 720;
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
  cairo_t *cr = cairo_create (s);
  pl_text_record_begin ();
  pl_lime_shap_figure_draw (cr, W, H, f);
  GArray *boxes = pl_text_record_end ();
  cairo_surface_flush (s);
  if (g_getenv ("PL_KEEP_PNG") != NULL)   /* for looking at it */
    cairo_surface_write_to_png (s, g_getenv ("PL_KEEP_PNG"));
  ck_assert (has_text (boxes, "surrogate R²"));
  ck_assert (has_text (boxes, "Σφ − (f(x) − φ₀)"));
  ck_assert (has_text (boxes, "LIME"));
  ck_assert (has_text (boxes, "KernelSHAP"));
  g_array_unref (boxes);
  for (int m = 0; m < 2; m++)
    for (int n = 0; n < 2; n++)
      {
        double r[4];
        ck_assert (pl_lime_shap_figure_panel_rect (cr, W, H, f, m, n, FALSE, r));
        ck_assert_uint_gt (distinct (s, r), 8);
        ck_assert (pl_lime_shap_figure_panel_rect (cr, W, H, f, m, n, TRUE, r));
        ck_assert_uint_gt (distinct (s, r), 8);
      }
  cairo_destroy (cr);
  cairo_surface_destroy (s);

  /* a parameter change re-runs after a pause; cancelling leaves no job and the figure */
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (pl_lime_shap_view_get_widget (v, "seed")), 2);
  ck_assert (pl_lime_shap_view_is_busy (v));
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!gtk_widget_get_visible (pl_lime_shap_view_get_widget (v, "progress")) &&
         g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);   /* the job started */
  ck_assert (gtk_widget_get_visible (pl_lime_shap_view_get_widget (v, "progress")));
  g_signal_emit_by_name (pl_lime_shap_view_get_widget (v, "cancel"), "clicked");
  ck_assert (!pl_lime_shap_view_is_busy (v));
  ck_assert_ptr_eq (pl_lime_shap_view_get_figure (v), f);
  ck_assert_str_eq (gtk_label_get_label (GTK_LABEL (pl_lime_shap_view_get_widget (v, "status"))),
                    "Cancelled");
  g_usleep (300000);
  spin (50);
  ck_assert (!pl_lime_shap_view_is_busy (v));
  ck_assert_ptr_eq (pl_lime_shap_view_get_figure (v), f);   /* the cancelled job did not land */
  ck_assert_ptr_null (pl_lime_shap_view_get_error (v));

  /* quickshift: the same pipeline with other segments and seed 2 */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (pl_lime_shap_view_get_widget (v, "superpixels")), 1);
  ck_assert (gtk_widget_get_visible (pl_lime_shap_view_get_widget (v, "ratio")));
  ck_assert (!gtk_widget_get_visible (pl_lime_shap_view_get_widget (v, "region-size")));
  wait_idle (v, 120);
  f = pl_lime_shap_view_get_figure (v);
  ck_assert_ptr_nonnull (f);
  ck_assert_ptr_nonnull (strstr (f->method_details[0], "quickshift"));
  ck_assert_ptr_nonnull (strstr (f->method_details[1], "seed=2"));
  check_cells (f);

  /* back to SLIC and seed 1: the first answer again, from the cache, without a job */
  guint hits0, misses0, entries;
  pl_lime_shap_view_cache_stats (v, &hits0, &misses0, &entries);
  ck_assert_uint_eq (entries, 2);   /* the cancelled job left nothing */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (pl_lime_shap_view_get_widget (v, "superpixels")), 0);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (pl_lime_shap_view_get_widget (v, "seed")), 1);
  wait_idle (v, 10);
  guint hits1, misses1;
  pl_lime_shap_view_cache_stats (v, &hits1, &misses1, &entries);
  ck_assert_uint_eq (hits1, hits0 + 1);
  ck_assert_uint_eq (misses1, misses0);
  ck_assert_ptr_eq (pl_lime_shap_view_get_figure (v), first);

  gtk_window_destroy (GTK_WINDOW (window));
  gint64 end2 = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (view != NULL && g_get_monotonic_time () < end2)
    g_main_context_iteration (NULL, FALSE);
  ck_assert_ptr_null (view);
  pl_dataset_unref (ds);
}
END_TEST

/* A 2 × 2 image (smaller than any superpixel): the view falls back to a 2 × 2 patch grid
 * (one pixel each) and says so. The network is linear (Flatten, Gemm W [3, 4], no bias):
 * with the fill 0 (the default for both methods), the exact Shapley value of pixel j for
 * class t is W[t, j] · x_j, and a linear LIME surrogate on the binary features finds the
 * same weights. */
START_TEST (test_view_tiny_image)
{
  PlGraph *g = pl_graph_new ();
  g->opset = 13;
  gint64 in_shape[] = { -1, 1, 2, 2 };
  pl_graph_add_input (g, "x", 4, in_shape);
  PlTensor *w = pl_tensor_new_2d (3, 4);
  for (int i = 0; i < 12; i++)
    w->data[i] = (float) (i + 1);
  pl_graph_add_initializer (g, "W", w);
  pl_tensor_unref (w);
  PlTensor *b = pl_tensor_new_1d (3);
  pl_graph_add_initializer (g, "B", b);
  pl_tensor_unref (b);
  const char *fin[] = { "x" }, *fout[] = { "f" };
  pl_graph_add_node (g, "Flatten", "flatten", 1, fin, 1, fout);
  const char *gin[] = { "f", "W", "B" }, *gout[] = { "y" };
  PlNode *node = pl_graph_add_node (g, "Gemm", "fc1", 3, gin, 1, gout);
  pl_node_set_int (node, "transB", 1);
  pl_graph_add_output (g, "y");

  /* two 2 × 2 images in IDX bytes (pixels / 255) */
  const guint8 images[] = { 0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2,
                            255, 51, 102, 204,   10, 20, 30, 40 };
  const guint8 labels[] = { 0, 0, 8, 1, 0, 0, 0, 2, 2, 0 };
  g_autoptr (GError) error = NULL;
  PlDataset *ds = pl_dataset_load_idx_data (images, sizeof images, labels, sizeof labels,
                                            &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  gint64 index = 0;
  g_autoptr (PlTensor) input = pl_dataset_batch (ds, &index, 1, &error);
  ck_assert_ptr_nonnull (input);

  GtkWidget *window = gtk_window_new ();
  GtkWidget *view = pl_lime_shap_view_new ();
  gtk_window_set_child (GTK_WINDOW (window), view);
  PlLimeShapView *v = PL_LIME_SHAP_VIEW (view);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (pl_lime_shap_view_get_widget (v, "samples")), 500);
  pl_lime_shap_view_set_input (v, g, g, input, -1, ds, "tiny");
  wait_idle (v, 60);
  const PlLimeShapFigure *f = pl_lime_shap_view_get_figure (v);
  ck_assert_ptr_nonnull (f);
  ck_assert_int_eq (f->n_items, 4);
  ck_assert_int_eq (f->height, 2);
  ck_assert_int_eq (f->width, 2);
  ck_assert_ptr_nonnull (strstr (f->caption, "too small for superpixels"));
  check_cells (f);
  /* class 2 (W row 9..12) has the largest logit for a positive image */
  const float x[4] = { 1.0f, 0.2f, 0.4f, 0.8f };
  for (int j = 0; j < 4; j++)
    {
      /* the segment of pixel j (grid ids may be in any order) */
      gint seg = f->segments[j];
      double expect = (9 + j) * (double) x[j];
      ck_assert_double_eq_tol (f->cells[1][0].values[seg], expect, 1e-3);
      ck_assert_double_eq_tol (f->cells[0][0].values[seg], expect, 0.05 * expect + 0.02);
    }
  ck_assert_double_eq_tol (f->cells[1][0].f0, 0.0, 1e-6);   /* all hidden: 0 */
  gtk_window_destroy (GTK_WINDOW (window));
  spin (20);
  pl_dataset_unref (ds);
  pl_graph_unref (g);
}
END_TEST

START_TEST (test_view_table)
{
  const char *src = g_getenv ("PL_SOURCE_DIR");
  ck_assert_ptr_nonnull (src);
  g_autofree char *iris = g_build_filename (src, "data", "datasets", "iris.csv", NULL);
  g_autoptr (GError) error = NULL;
  PlDataset *ds = pl_dataset_load_csv (iris, NULL, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  g_autoptr (PlGraph) g = pl_model_build_table (ds->n_features, ds->n_classes, NULL, NULL, 7,
                                                &error);
  ck_assert_msg (g != NULL, "%s", error ? error->message : "");
  gint64 index = 3;
  g_autoptr (PlTensor) row = pl_dataset_batch (ds, &index, 1, &error);
  ck_assert_ptr_nonnull (row);

  GtkWidget *window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  GtkWidget *view = pl_lime_shap_view_new ();
  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));
  PlLimeShapView *v = PL_LIME_SHAP_VIEW (view);
  pl_lime_shap_view_set_input (v, g, g, row, 1, ds, NULL);
  /* superpixel controls are hidden for a table */
  ck_assert (!gtk_widget_get_visible (pl_lime_shap_view_get_widget (v, "superpixels")));
  wait_idle (v, 60);
  const PlLimeShapFigure *f = pl_lime_shap_view_get_figure (v);
  ck_assert_ptr_nonnull (f);
  ck_assert_int_eq (f->n_items, ds->n_features);
  ck_assert_int_eq (f->height, 0);
  ck_assert_str_eq (f->item_names[0], ds->feature_names[0]);
  check_cells (f);
  /* the same network twice: the same values in both columns */
  for (int m = 0; m < 2; m++)
    for (int i = 0; i < f->n_items; i++)
      ck_assert_float_eq_tol (f->cells[m][0].values[i], f->cells[m][1].values[i], 1e-6);
  /* 4 features: 2^4 − 2 = 14 coalitions ≤ budget, KernelSHAP is exact; for a linear
   * model... the MLP is not linear, so check efficiency only (check_cells) */
  pl_lime_shap_view_clear (v, "nothing");
  ck_assert_ptr_null (pl_lime_shap_view_get_figure (v));
  ck_assert (!pl_lime_shap_view_is_busy (v));
  gtk_window_destroy (GTK_WINDOW (window));
  spin (20);
  pl_dataset_unref (ds);
}
END_TEST

int
main (void)
{
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_print ("no display: skipping the GUI test (run it under xvfb-run)\n");
      return 77;
    }
  gtk_init ();
  adw_init ();
  Suite *suite = suite_create ("lime-shap-view");
  TCase *tc = tcase_create ("view");
  tcase_set_timeout (tc, 240);
  tcase_add_test (tc, test_view_image);
  tcase_add_test (tc, test_view_table);
  tcase_add_test (tc, test_view_tiny_image);
  suite_add_tcase (suite, tc);
  SRunner *runner = srunner_create (suite);
  srunner_set_fork_status (runner, CK_NOFORK);
  srunner_run_all (runner, CK_NORMAL);
  int failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
