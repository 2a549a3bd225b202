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
#include "session/pl-recipe.h"

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
  /* Default (issue 5): the recommended layers — the first Conv (none here) and the final
   * classifier, the last Gemm (32·3 = 96 weights) — are checked before any edit. */
  g_auto (GStrv) defaults = pl_protect_popover_get_protected (popover);
  ck_assert_uint_eq (g_strv_length (defaults), 1);

  /* The other 256 + 2048 = 2304 weights are ranked: 1152 of 2400 pruned. */
  pl_window_set_sparsity (w, 0.5);
  iterate_while_busy (w, 60);
  ck_assert_double_eq_tol (pl_window_get_achieved_sparsity (w), 1152.0 / 2400.0, 1e-9);
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

  /* None: one global ranking over all 2400 weights. */
  const char *none[] = { NULL };
  pl_window_set_protected (w, none);
  iterate_while_busy (w, 60);
  ck_assert (pl_protect_popover_is_edited (popover));
  g_auto (GStrv) cleared = pl_protect_popover_get_protected (popover);
  ck_assert_uint_eq (g_strv_length (cleared), 0);
  ck_assert_double_eq_tol (pl_window_get_achieved_sparsity (w), 1200.0 / 2400.0, 1e-9);

  /* Recommended = pl_prune_default_protected = the default's checks. */
  g_auto (GStrv) rec = pl_prune_default_protected (g);
  ck_assert_uint_eq (g_strv_length (rec), 1);
  ck_assert (g_strv_equal ((const char *const *) rec, (const char *const *) defaults));

  /* Back to the default. */
  pl_window_set_protected (w, NULL);
  iterate_while_busy (w, 60);
  ck_assert (!pl_protect_popover_is_edited (popover));
  ck_assert_double_eq_tol (pl_window_get_achieved_sparsity (w), 1152.0 / 2400.0, 1e-9);
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
  /* Masked weights stay zero through fine-tuning: the final step prunes 80 % of the
   * 2304 weights outside the protected classifier (default protection): 1843 of 2400. */
  ck_assert_double_eq_tol (pl_window_get_achieved_sparsity (w), 1843.0 / 2400.0, 0.51 / 2400.0);
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

static gboolean
tensors_equal (const PlTensor *a, const PlTensor *b)
{
  return a != NULL && b != NULL && a->numel == b->numel &&
         memcmp (a->data, b->data, (gsize) a->numel * sizeof (float)) == 0;
}

/* Sessions: the label column, the panel (drop-downs, protected layers, schedule) and each
 * step's schedule survive a save → open round trip into a fresh window. */
START_TEST (test_session_round_trip)
{
  const char *src = g_getenv ("PL_SOURCE_DIR");
  g_autofree char *iris = g_build_filename (src, "data", "datasets", "iris.csv", NULL);
  PlWindow *w = open_iris ();
  pl_window_open_dataset (w, iris, "species");
  iterate_while_busy (w, 60);
  ck_assert (pl_window_is_table (w));
  /* A row's header gives the comparison's probabilities and rank correlations, as for
   * images (it said "Explanations need an image dataset" beside per-feature figures). */
  {
    const char *p0 = gtk_label_get_label (GTK_LABEL (pl_window_get_widget (w, "pred-original")));
    const char *rho = gtk_label_get_label (GTK_LABEL (pl_window_get_widget (w, "rank-correlation")));
    ck_assert_msg (strstr (p0, "%") != NULL, "no probability in “%s”", p0);
    ck_assert_msg (strstr (rho, "map") != NULL && strstr (rho, "SHAP") != NULL, "“%s”", rho);
  }
  g_autoptr (GError) error = NULL;
  PlGraph *g = pl_onnx_load_file (model_path, &error);
  ck_assert_ptr_nonnull (g);
  g_autoptr (PlLayerSparsity) layers = pl_layer_sparsity (g);
  const char *middle[] = { layers->names[1], NULL };

  /* Step 1: random, layer-wise, middle layer protected, one-shot 50 %. */
  pl_window_set_pruning (w, 1, 0, 1);
  pl_window_set_protected (w, middle);
  pl_window_set_sparsity (w, 0.5);
  iterate_while_busy (w, 60);
  ck_assert (pl_window_activate (w, "win.apply-step"));
  iterate_while_busy (w, 60);
  /* Step 2: iterative, 2 steps, 1 epoch of fine-tuning, 70 %. */
  pl_window_set_sparsity (w, 0.7);
  iterate_while_busy (w, 60);
  pl_window_set_schedule (w, 1, 2, 1);
  ck_assert (pl_window_activate (w, "win.apply-step"));
  iterate_while_busy (w, 60);
  ck_assert_uint_eq (pl_window_history_n_steps (w), 3);
  double sparsity = pl_window_get_achieved_sparsity (w);
  double accuracy = pl_window_get_accuracy (w, TRUE);
  g_autofree char *schedule = g_strdup (pl_window_history_schedule (w, 2));
  ck_assert_ptr_nonnull (schedule);
  /* The panel as left: polynomial, 4 steps, 2 epochs. */
  pl_window_set_schedule (w, 2, 4, 2);
  g_autofree char *path = g_build_filename (tmp, "round-trip.prunelens", NULL);
  ck_assert_msg (pl_window_save_session (w, path, &error), "%s", error ? error->message : "");
  close_window (w);

  /* The file holds it all. */
  g_autoptr (PlRecipe) r = pl_recipe_load_file (path, &error);
  ck_assert_msg (r != NULL, "%s", error ? error->message : "");
  ck_assert_str_eq (r->label_column, "species");
  ck_assert_uint_eq (r->steps->len, 2);
  const PlRecipeStep *s1 = g_ptr_array_index (r->steps, 0);
  const PlRecipeStep *s2 = g_ptr_array_index (r->steps, 1);
  ck_assert (s1->schedule == NULL || g_str_equal (s1->schedule, "one-shot"));
  ck_assert_str_eq (s2->schedule, "iterative");
  ck_assert_int_eq (s2->schedule_steps, 2);
  ck_assert_int_eq (s2->finetune_epochs, 1);
  ck_assert (g_strv_equal ((const char *const *) s1->config->protected_layers, middle));
  ck_assert (r->panel_set);
  ck_assert (g_strv_equal ((const char *const *) r->panel_protected, middle));
  ck_assert_str_eq (r->panel_schedule, "polynomial");

  /* A fresh window, other settings, then open the session. */
  w = open_iris ();
  pl_window_set_schedule (w, 0, 3, 0);
  iterate_while_busy (w, 60);
  ck_assert_msg (pl_window_open_session (w, path, &error), "%s", error ? error->message : "");
  iterate_while_busy (w, 120);
  ck_assert_str_eq (pl_window_get_label_column (w), "species");
  ck_assert (pl_window_is_table (w));
  guint crit = 9, gran = 9, scope = 9, kind = 9;
  gint steps = 0, epochs = 0;
  pl_window_get_pruning (w, &crit, &gran, &scope);
  ck_assert_uint_eq (crit, 1);
  ck_assert_uint_eq (gran, 0);
  ck_assert_uint_eq (scope, 1);
  GtkPopover *popover = GTK_POPOVER (pl_window_get_protect_popover (w));
  ck_assert (pl_protect_popover_is_edited (popover));
  g_auto (GStrv) got = pl_protect_popover_get_protected (popover);
  ck_assert (g_strv_equal ((const char *const *) got, middle));
  pl_window_get_schedule (w, &kind, &steps, &epochs);
  ck_assert_uint_eq (kind, 2);
  ck_assert_int_eq (steps, 4);
  ck_assert_int_eq (epochs, 2);
  ck_assert_uint_eq (pl_window_history_n_steps (w), 3);
  ck_assert_uint_eq (pl_window_history_current (w), 2);
  ck_assert_ptr_null (pl_window_history_schedule (w, 1));
  ck_assert_str_eq (pl_window_history_schedule (w, 2), schedule);
  /* The schedule was re-run: the same network (same seeds). */
  ck_assert_double_eq_tol (pl_window_get_achieved_sparsity (w), sparsity, 1e-12);
  ck_assert_double_eq_tol (pl_window_get_accuracy (w, TRUE), accuracy, 1e-12);
  close_window (w);
  pl_graph_unref (g);
  g_unlink (path);
}
END_TEST

/* Explanations are cached per (steps, input, method and parameters). */
START_TEST (test_explain_cache)
{
  PlWindow *w = open_iris ();
  guint h0, m0, n;
  pl_window_explain_cache_stats (w, &h0, &m0, &n);
  ck_assert_uint_ge (m0, 1);   /* row 0 was explained (maybe twice while loading) */
  ck_assert_uint_eq (n, 1);
  const PlComparison *c0 = pl_window_get_comparison (w);
  ck_assert_ptr_nonnull (c0);
  ck_assert_int_eq (c0->index, 0);

  pl_window_select_sample (w, 5);
  iterate_while_busy (w, 60);
  guint h, m;
  pl_window_explain_cache_stats (w, &h, &m, NULL);
  ck_assert_uint_eq (h, h0);
  ck_assert_uint_eq (m, m0 + 1);
  const PlComparison *c5 = pl_window_get_comparison (w);
  ck_assert_int_eq (c5->index, 5);
  g_autoptr (PlTensor) saved = pl_tensor_dup (c5->saliency[1]);

  /* Back to row 0, then to row 5: two hits, no job, the very same results. */
  pl_window_select_sample (w, 0);
  ck_assert (!pl_window_is_busy (w));
  ck_assert_ptr_eq (pl_window_get_comparison (w), c0);
  pl_window_select_sample (w, 5);
  ck_assert (!pl_window_is_busy (w));
  pl_window_explain_cache_stats (w, &h, &m, NULL);
  ck_assert_uint_eq (h, h0 + 2);
  ck_assert_uint_eq (m, m0 + 1);
  ck_assert_ptr_eq (pl_window_get_comparison (w), c5);
  ck_assert (tensors_equal (pl_window_get_comparison (w)->saliency[1], saved));

  /* Another method is a miss; going back to saliency a hit. */
  pl_window_set_method (w, PL_MAP_GRADIENT_X_INPUT);
  iterate_while_busy (w, 60);
  pl_window_explain_cache_stats (w, &h, &m, NULL);
  ck_assert_uint_eq (m, m0 + 2);
  ck_assert_int_eq (pl_window_get_comparison (w)->options.method, PL_MAP_GRADIENT_X_INPUT);
  pl_window_set_method (w, PL_MAP_SALIENCY);
  iterate_while_busy (w, 60);
  pl_window_explain_cache_stats (w, &h, &m, NULL);
  ck_assert_uint_eq (h, h0 + 3);
  ck_assert_uint_eq (m, m0 + 2);

  /* A pruned network is another key: a miss; undoing the preview shows the cached one. */
  pl_window_set_sparsity (w, 0.5);
  iterate_while_busy (w, 60);
  pl_window_explain_cache_stats (w, &h, &m, NULL);
  ck_assert_uint_eq (m, m0 + 3);
  ck_assert (!tensors_equal (pl_window_get_comparison (w)->saliency[1], saved));
  ck_assert (pl_window_activate (w, "win.undo"));
  iterate_while_busy (w, 60);
  pl_window_explain_cache_stats (w, &h, &m, NULL);
  ck_assert_uint_eq (h, h0 + 4);
  ck_assert_uint_eq (m, m0 + 3);
  ck_assert_ptr_eq (pl_window_get_comparison (w), c5);

  /* Loading the dataset again empties the cache. */
  const char *src = g_getenv ("PL_SOURCE_DIR");
  g_autofree char *iris = g_build_filename (src, "data", "datasets", "iris.csv", NULL);
  pl_window_open_dataset (w, iris, NULL);
  iterate_while_busy (w, 60);
  pl_window_explain_cache_stats (w, &h, &m, &n);
  ck_assert_uint_eq (n, 1);
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
  tcase_add_test (tc, test_session_round_trip);
  tcase_add_test (tc, test_explain_cache);
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
