/* The pruning panel: protected layers and schedules with fine-tuning, on iris.csv with a
 * table MLP (Gemm 4→64, 64→32, 32→3: 256 + 2048 + 96 = 2400 weights). Needs a display
 * (xvfb-run); skipped (77) without one. */
#include "config.h"

#include <adwaita.h>
#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include "pl-window-private.h"
#include "pl-protect-popover.h"
#include "analysis/pl-layers.h"
#include "onnx/pl-onnx.h"
#include "train/pl-train.h"

static char *tmp;
static char *model_path;

static void
iterate_while_busy (PlWindow *w, double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  for (int i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE);
  while (pl_window_is_busy (w))
    {
      ck_assert_msg (g_get_monotonic_time () < end, "busy for %.0f s", seconds);
      g_main_context_iteration (NULL, TRUE);
    }
  ck_assert_msg (pl_window_get_last_error (w) == NULL, "%s", pl_window_get_last_error (w));
}

static PlWindow *
open_iris (void)
{
  const char *src = g_getenv ("PL_SOURCE_DIR");
  ck_assert_ptr_nonnull (src);
  g_autofree char *iris = g_build_filename (src, "data", "datasets", "iris.csv", NULL);
  PlWindowOptions options = { .model_path = model_path, .dataset_dir = iris };
  PlWindow *w = pl_window_new (NULL, &options);
  gtk_window_set_default_size (GTK_WINDOW (w), 1280, 800);
  gtk_window_present (GTK_WINDOW (w));
  iterate_while_busy (w, 60);
  return w;
}

static void
close_window (PlWindow *w)
{
  gtk_window_destroy (GTK_WINDOW (w));
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
}

START_TEST (test_protected_layers)
{
  PlWindow *w = open_iris ();
  GtkPopover *popover = GTK_POPOVER (pl_window_get_protect_popover (w));
  ck_assert_uint_eq (pl_protect_popover_n_layers (popover), 3);
  ck_assert (!pl_protect_popover_is_edited (popover));
  g_auto (GStrv) none = pl_protect_popover_get_protected (popover);
  ck_assert_uint_eq (g_strv_length (none), 0);

  /* Default: one global ranking over all 2400 weights. */
  pl_window_set_sparsity (w, 0.5);
  iterate_while_busy (w, 60);
  ck_assert_double_eq_tol (pl_window_get_achieved_sparsity (w), 1200.0 / 2400.0, 1e-9);
  /* The Metrics view: two confusion matrices and the per-layer sparsity. */
  GtkWidget *figs = pl_window_get_metrics_figures (w);
  ck_assert_ptr_nonnull (figs);
  ck_assert_int_eq (GPOINTER_TO_INT (g_object_get_data (G_OBJECT (figs), "n-figures")), 3);

  /* Protect the middle layer (2048 weights): half of the other 352 are pruned. */
  g_autoptr (GError) error = NULL;
  PlGraph *g = pl_onnx_load_file (model_path, &error);
  ck_assert_ptr_nonnull (g);
  g_autoptr (PlLayerSparsity) layers = pl_layer_sparsity (g);
  ck_assert_int_eq (layers->n_layers, 3);
  ck_assert_int_eq (layers->sizes[1], 2048);
  const char *names[] = { layers->names[1], NULL };
  pl_window_set_protected (w, names);
  ck_assert (pl_protect_popover_is_edited (popover));
  iterate_while_busy (w, 60);
  ck_assert_double_eq_tol (pl_window_get_achieved_sparsity (w), 176.0 / 2400.0, 1e-9);

  /* Recommended = pl_prune_default_protected: the first and last Gemm here (no Conv). */
  g_auto (GStrv) rec = pl_prune_default_protected (g);
  pl_window_set_protected (w, (const char *const *) rec);
  iterate_while_busy (w, 60);
  g_auto (GStrv) got = pl_protect_popover_get_protected (popover);
  ck_assert_uint_eq (g_strv_length (got), g_strv_length (rec));
  /* Only the 2048 weights of the middle layer are ranked: 1024 pruned. */
  if (g_strv_length (rec) == 2)
    ck_assert_double_eq_tol (pl_window_get_achieved_sparsity (w), 1024.0 / 2400.0, 1e-9);

  /* Back to the default. */
  pl_window_set_protected (w, NULL);
  iterate_while_busy (w, 60);
  ck_assert (!pl_protect_popover_is_edited (popover));
  ck_assert_double_eq_tol (pl_window_get_achieved_sparsity (w), 0.5, 1e-9);
  pl_graph_unref (g);
  close_window (w);
}
END_TEST

START_TEST (test_schedule_with_finetuning)
{
  PlWindow *w = open_iris ();
  pl_window_set_sparsity (w, 0.8);
  iterate_while_busy (w, 60);
  ck_assert_uint_eq (pl_window_history_n_steps (w), 1);
  /* Iterative, 3 steps, 1 epoch of fine-tuning each: one new history step. */
  pl_window_set_schedule (w, 1, 3, 1);
  ck_assert (pl_window_activate (w, "win.apply-step"));
  ck_assert (pl_window_is_busy (w));
  iterate_while_busy (w, 60);
  ck_assert_uint_eq (pl_window_history_n_steps (w), 2);
  ck_assert_uint_eq (pl_window_history_current (w), 1);
  const char *desc = pl_window_history_schedule (w, 1);
  ck_assert_ptr_nonnull (desc);
  ck_assert_msg (strstr (desc, "iterative") != NULL, "schedule “%s”", desc);
  /* Masked weights stay zero through fine-tuning: the final step prunes exactly 80 %. */
  ck_assert_double_eq_tol (pl_window_get_achieved_sparsity (w), 1920.0 / 2400.0, 1e-9);
  double acc = pl_window_get_accuracy (w, TRUE);
  ck_assert (acc >= 0.0 && acc <= 1.0);

  /* Cancel: a long schedule stops, the history is unchanged, no error. */
  pl_window_set_schedule (w, 3, 20, 50);
  ck_assert (pl_window_activate (w, "win.apply-step"));
  ck_assert (pl_window_activate (w, "win.cancel"));
  iterate_while_busy (w, 60);
  ck_assert_uint_eq (pl_window_history_n_steps (w), 2);
  close_window (w);
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
  tmp = g_dir_make_tmp ("pl-pruning-panel-XXXXXX", NULL);
  g_setenv ("PL_NO_AUTOSAVE", "1", TRUE);
  g_setenv ("PL_NO_RECENT", "1", TRUE);
  gtk_init ();
  adw_init ();
  g_autoptr (GError) error = NULL;
  PlGraph *g = pl_model_build_table (4, 3, NULL, NULL, 11, &error);
  g_assert_no_error (error);
  model_path = g_build_filename (tmp, "iris-mlp.onnx", NULL);
  if (!pl_onnx_save_file (g, model_path, &error))
    g_error ("%s", error->message);
  pl_graph_unref (g);

  Suite *suite = suite_create ("pruning-panel");
  TCase *tc = tcase_create ("main");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_protected_layers);
  tcase_add_test (tc, test_schedule_with_finetuning);
  suite_add_tcase (suite, tc);
  SRunner *runner = srunner_create (suite);
  srunner_set_fork_status (runner, CK_NOFORK);
  srunner_run_all (runner, CK_NORMAL);
  int failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  g_unlink (model_path);
  g_rmdir (tmp);
  g_free (model_path);
  g_free (tmp);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
