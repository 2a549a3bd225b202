/* GUI test: opens the workbench on the default model and Fashion-MNIST, moves the
 * sparsity slider to 90 %, waits for the job and checks what the window shows.
 * Needs a display (run under xvfb-run); skipped (77) without one. */
#include "config.h"

#include <adwaita.h>
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include "gui-pixels.h"
#include "pl-window-private.h"
#include "analysis/pl-layers.h"
#include "onnx/pl-onnx.h"

static PlWindow *window;

static void
wait_until_idle (PlWindow *w, double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  /* Let jobs get scheduled first. */
  for (int i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE);
  while (pl_window_is_busy (w))
    {
      ck_assert_msg (g_get_monotonic_time () < end, "the window stayed busy for %.0f s", seconds);
      g_main_context_iteration (NULL, TRUE);
    }
  ck_assert_msg (pl_window_get_last_error (w) == NULL, "error shown: %s",
                 pl_window_get_last_error (w));
}

static PlTensor *
copy (const PlTensor *t)
{
  return pl_tensor_dup (t);
}

/* Renders a widget as the screen shows it and returns how many distinct colours the
 * middle band of it has (a blank area has one or two). */
static guint
distinct_colours (GtkWidget *widget)
{
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  ck_assert_int_gt (w, 100);
  ck_assert_int_gt (h, 100);
  int tw, th;
  guint32 *pixels = gui_widget_pixels (widget, &tw, &th);
  guint n = gui_distinct_colours (pixels, tw, th / 4, 3 * th / 4);
  g_free (pixels);
  return n;
}

static gboolean
tensors_equal (const PlTensor *a, const PlTensor *b)
{
  return a->numel == b->numel && memcmp (a->data, b->data, sizeof (float) * a->numel) == 0;
}

/* The whole network's weight sparsity when a fraction target of the weights outside the
 * default protected layers (issue 5: the first Conv and the final classifier) is pruned. */
static double
protected_sparsity (const char *model, double target)
{
  g_autoptr (GError) error = NULL;
  PlGraph *g = pl_onnx_load_file (model, &error);
  ck_assert_msg (g != NULL, "%s", error ? error->message : "");
  PlLayerSparsity *layers = pl_layer_sparsity (g);
  char **prot = pl_prune_default_protected (g);
  ck_assert_uint_ge (g_strv_length (prot), 1);
  double total = 0, free_ = 0;
  for (gint i = 0; i < layers->n_layers; i++)
    {
      total += layers->sizes[i];
      if (!g_strv_contains ((const char *const *) prot, layers->names[i]))
        free_ += layers->sizes[i];
    }
  ck_assert_double_lt (free_, total);
  g_strfreev (prot);
  pl_layer_sparsity_free (layers);
  pl_graph_unref (g);
  return floor (target * free_ + 0.5) / total;
}

START_TEST (test_slider_prunes_and_updates)
{
  const char *src = g_getenv ("PL_SOURCE_DIR");
  ck_assert_ptr_nonnull (src);
  g_autofree char *model = g_build_filename (src, "data", "models", "fashion-cnn.onnx", NULL);
  ck_assert_msg (g_file_test (model, G_FILE_TEST_EXISTS), "missing %s", model);
  ck_assert_msg (g_file_test (PL_DEFAULT_DATASET_DIR, G_FILE_TEST_IS_DIR),
                 "missing %s (Debian package dataset-fashion-mnist)", PL_DEFAULT_DATASET_DIR);

  PlWindowOptions options = { .model_path = model, .dataset_dir = PL_DEFAULT_DATASET_DIR };
  window = pl_window_new (NULL, &options);
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  gtk_window_present (GTK_WINDOW (window));
  wait_until_idle (window, 120);

  double acc0 = pl_window_get_accuracy (window, FALSE);
  ck_assert_msg (acc0 > 0.85, "original accuracy %.4f", acc0);
  ck_assert_double_eq_tol (pl_window_get_accuracy (window, TRUE), acc0, 1e-12);
  const PlComparison *c = pl_window_get_comparison (window);
  ck_assert_ptr_nonnull (c);
  ck_assert_int_eq (c->index, 0);
  /* Unpruned: both networks are the same, so are their explanations. */
  ck_assert (tensors_equal (c->saliency[0], c->saliency[1]));
  ck_assert_float_gt (pl_tensor_max_abs (c->saliency[0]), 0.0f);
  g_autoptr (PlTensor) original_saliency = copy (c->saliency[0]);

  pl_window_set_sparsity (window, 0.90);
  wait_until_idle (window, 120);

  double s = pl_window_get_achieved_sparsity (window);
  double s90 = protected_sparsity (model, 0.90);
  ck_assert_double_eq_tol (s, s90, 0.001);
  double acc1 = pl_window_get_accuracy (window, TRUE);
  ck_assert_double_eq_tol (pl_window_get_accuracy (window, FALSE), acc0, 1e-12);
  ck_assert_msg (acc1 < acc0, "accuracy did not drop: %.4f -> %.4f", acc0, acc1);
  c = pl_window_get_comparison (window);
  ck_assert_ptr_nonnull (c);
  ck_assert_msg (tensors_equal (c->saliency[0], original_saliency),
                 "the original network's saliency changed after pruning");
  ck_assert_msg (!tensors_equal (c->saliency[1], original_saliency),
                 "the pruned network's saliency did not change");
  ck_assert_float_gt (pl_tensor_max_abs (c->saliency_diff), 0.0f);

  /* What the screen shows: the heatmap area is drawn, not blank. */
  GtkWidget *view = pl_window_get_figure_view (window, PL_FIGURE_SALIENCY);
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  guint colours = distinct_colours (view);
  ck_assert_msg (colours > 50, "saliency view looks blank (%u colours)", colours);

  /* Another attribution method updates the map on a signed scale. */
  pl_window_set_method (window, PL_MAP_INTEGRATED_GRADIENTS);
  wait_until_idle (window, 60);
  c = pl_window_get_comparison (window);
  ck_assert_int_eq (c->options.method, PL_MAP_INTEGRATED_GRADIENTS);
  ck_assert (!isnan (c->map_residual[0]));
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  colours = distinct_colours (view);
  ck_assert_msg (colours > 50, "IG view looks blank (%u colours)", colours);
  pl_window_set_method (window, PL_MAP_SALIENCY);
  wait_until_idle (window, 60);

  /* 2:4 semi-structured pruning: half of every group of four, whatever the slider says. */
  pl_window_set_pruning (window, 0, 1, 0);
  wait_until_idle (window, 120);
  ck_assert_double_eq_tol (pl_window_get_achieved_sparsity (window),
                           protected_sparsity (model, 0.5), 0.01);
  /* Whole channels by L1 norm of the filters. */
  pl_window_set_pruning (window, 3, 2, 0);
  wait_until_idle (window, 120);
  ck_assert_double_gt (pl_window_get_achieved_sparsity (window), 0.3);
  ck_assert_double_lt (pl_window_get_accuracy (window, TRUE), acc0);
  pl_window_set_pruning (window, 0, 0, 0);
  wait_until_idle (window, 120);
  ck_assert_double_eq_tol (pl_window_get_achieved_sparsity (window), s90, 0.001);

  /* Another sample updates the explanation. */
  pl_window_select_sample (window, 7);
  wait_until_idle (window, 60);
  c = pl_window_get_comparison (window);
  ck_assert_int_eq (c->index, 7);

  /* The Metrics view compares both networks over a stratified sample. */
  pl_window_compare (window, 20);
  wait_until_idle (window, 120);
  const PlCompareReport *report = pl_window_get_report (window);
  ck_assert_ptr_nonnull (report);
  ck_assert_int_eq (report->n, 20);
  ck_assert_double_eq_tol (report->sparsity_pruned, s90, 0.001);
  ck_assert (report->summary[PL_METRIC_SPEARMAN_ABS].mean < 1.0);

  /* The Sweep view: sparsity 0 keeps the explanation, 99 % moves it and costs accuracy. */
  pl_window_sweep (window);
  wait_until_idle (window, 240);
  const PlSweep *sweep = pl_window_get_sweep (window);
  ck_assert_ptr_nonnull (sweep);
  ck_assert_int_eq (sweep->n_points, 6);
  ck_assert_double_eq_tol (sweep->points[0].sparsity, 0.0, 1e-12);
  ck_assert_double_lt (sweep->points[5].accuracy, sweep->points[0].accuracy);

  gtk_window_destroy (GTK_WINDOW (window));
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
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
  Suite *suite = suite_create ("window");
  TCase *tc = tcase_create ("main job");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_slider_prunes_and_updates);
  suite_add_tcase (suite, tc);
  SRunner *runner = srunner_create (suite);
  srunner_set_fork_status (runner, CK_NOFORK);
  srunner_run_all (runner, CK_NORMAL);
  int failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
