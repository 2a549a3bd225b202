/* Opening a session is all or nothing (issue 11, break-testing): a session that fails to
 * open leaves the window's model, dataset, hash, label column and history as they were;
 * sessions longer than the history's default cap keep every step; a regression model is
 * refused with a message saying so; the "workbench" key is as strict as "steps". On
 * iris.csv (4 features, 3 classes) with table MLPs built here. Needs a display
 * (xvfb-run); skipped (77) without one. */
#include "config.h"

#include <adwaita.h>
#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include "pl-window-private.h"
#include "onnx/pl-onnx.h"
#include "train/pl-train.h"
#include "session/pl-recipe.h"

static char *tmp;
static char *iris;
static char *model4;      /* 4 inputs, 3 classes: fits iris */
static char *model6;      /* 6 inputs: does not fit iris */
static char *model_reg;   /* 4 inputs, 1 output: a regression model */

/* Runs the main loop until no job runs; returns the window's last error (or NULL). */
static const char *
wait_idle (PlWindow *w, double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  for (int i = 0; i < 10; i++)
    g_main_context_iteration (NULL, FALSE);
  while (pl_window_is_busy (w))
    {
      ck_assert_msg (g_get_monotonic_time () < end, "busy for %.0f s", seconds);
      g_main_context_iteration (NULL, TRUE);
    }
  return pl_window_get_last_error (w);
}

static void
close_window (PlWindow *w)
{
  gtk_window_destroy (GTK_WINDOW (w));
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
}

/* SHA-256 of a file, computed here with GChecksum (independently of pl_file_sha256). */
static char *
sha256_of (const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  ck_assert (g_file_get_contents (path, &data, &len, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);
}

static char *
write_file (const char *name, const char *text)
{
  char *path = g_build_filename (tmp, name, NULL);
  ck_assert (g_file_set_contents (path, text, -1, NULL));
  return path;
}

/* A session: model, dataset, n_steps steps of sparsity 0.01·k, extra keys (or ""). */
static char *
write_session (const char *name, const char *model, const char *dataset, guint n_steps,
               const char *extra)
{
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "{ \"format\": \"prunelens-recipe\", \"version\": 2,\n"
                          "  \"model\": { \"path\": \"%s\" },\n"
                          "  \"dataset\": { \"path\": \"%s\", \"kind\": \"csv\" },\n"
                          "  \"n_eval\": 150,\n  \"steps\": [", model, dataset);
  for (guint k = 1; k <= n_steps; k++)
    g_string_append_printf (s, "%s{ \"sparsity\": %.2f }", k > 1 ? ", " : "", 0.01 * k);
  g_string_append_printf (s, "],\n  \"current_step\": %u%s }\n", n_steps, extra);
  g_autofree char *text = g_string_free (s, FALSE);
  return write_file (name, text);
}

static PlWindow *
open_window (const char *model)
{
  PlWindowOptions options = { .model_path = model, .dataset_dir = iris };
  PlWindow *w = pl_window_new (NULL, &options);
  gtk_window_set_default_size (GTK_WINDOW (w), 1280, 800);
  gtk_window_present (GTK_WINDOW (w));
  return w;
}

static PlRecipe *
save_and_read (PlWindow *w, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (tmp, name, NULL);
  ck_assert_msg (pl_window_save_session (w, path, &error), "%s", error ? error->message : "");
  PlRecipe *r = pl_recipe_load_file (path, &error);
  ck_assert_msg (r != NULL, "%s", error ? error->message : "");
  return r;
}

/* The saved session names the good model with its hash, iris, and the two steps. */
static void
assert_good_state (PlWindow *w, const char *name)
{
  ck_assert_uint_eq (pl_window_history_n_steps (w), 3);
  ck_assert_uint_eq (pl_window_history_current (w), 2);
  g_autoptr (PlRecipe) r = save_and_read (w, name);
  g_autofree char *want_model = g_canonicalize_filename (model4, NULL);
  g_autofree char *want_data = g_canonicalize_filename (iris, NULL);
  g_autofree char *want_sha = sha256_of (model4);
  ck_assert_str_eq (r->model_path, want_model);
  ck_assert_str_eq (r->model_sha256, want_sha);
  ck_assert_str_eq (r->dataset_path, want_data);
  ck_assert_str_eq (r->label_column, "species");
  ck_assert_uint_eq (r->steps->len, 2);
  ck_assert_double_eq_tol (((PlRecipeStep *) g_ptr_array_index (r->steps, 1))->sparsity,
                           0.02, 1e-12);
}

START_TEST (test_failed_sessions_change_nothing)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *good = NULL;
  {
    g_autofree char *sha = sha256_of (model4);
    g_autofree char *text = g_strdup_printf (
        "{ \"format\": \"prunelens-recipe\", \"version\": 2,\n"
        "  \"model\": { \"path\": \"%s\", \"sha256\": \"%s\" },\n"
        "  \"dataset\": { \"path\": \"%s\", \"kind\": \"csv\", \"label_column\": \"species\" },\n"
        "  \"steps\": [ { \"sparsity\": 0.01 }, { \"sparsity\": 0.02 } ], \"current_step\": 2 }\n",
        model4, sha, iris);
    good = write_file ("good.prunelens", text);
  }
  PlWindow *w = open_window (model4);
  ck_assert_ptr_null (wait_idle (w, 60));
  ck_assert_msg (pl_window_open_session (w, good, &error), "%s", error ? error->message : "");
  ck_assert_ptr_null (wait_idle (w, 60));
  assert_good_state (w, "saved0.prunelens");

  /* 1. The session's model takes 6 inputs, the table has 4 columns: the load fails. */
  g_autofree char *bad_model = write_session ("bad-model.prunelens", model6, iris, 1, "");
  ck_assert_msg (pl_window_open_session (w, bad_model, &error), "%s",
                 error ? error->message : "");
  /* While it loads, a save still describes what the window shows. */
  assert_good_state (w, "saved-loading.prunelens");
  const char *msg = wait_idle (w, 60);
  ck_assert_ptr_nonnull (msg);
  ck_assert_msg (strstr (msg, "4 feature") != NULL, "%s", msg);
  assert_good_state (w, "saved1.prunelens");

  /* 2. The session's dataset no longer exists. */
  g_autofree char *gone = g_build_filename (tmp, "gone.csv", NULL);
  g_autofree char *bad_data = write_session ("bad-data.prunelens", model4, gone, 1, "");
  ck_assert_msg (pl_window_open_session (w, bad_data, &error), "%s",
                 error ? error->message : "");
  msg = wait_idle (w, 60);
  ck_assert_ptr_nonnull (msg);
  ck_assert_msg (strstr (msg, "gone.csv") != NULL, "%s", msg);
  assert_good_state (w, "saved2.prunelens");

  /* 3. The workbench key protects a layer the model does not have. */
  g_autofree char *ghost = write_session (
      "ghost.prunelens", model4, iris, 1,
      ", \"workbench\": { \"protected\": [\"ghost\"] }");
  ck_assert_msg (pl_window_open_session (w, ghost, &error), "%s", error ? error->message : "");
  msg = wait_idle (w, 60);
  ck_assert_ptr_nonnull (msg);
  ck_assert_msg (strstr (msg, "ghost.prunelens: workbench.protected") != NULL
                 && strstr (msg, "“ghost”") != NULL, "%s", msg);
  assert_good_state (w, "saved3.prunelens");

  /* 4. A step protects a layer the model does not have. */
  g_autofree char *text4 = g_strdup_printf (
      "{ \"format\": \"prunelens-recipe\", \"version\": 2, \"model\": { \"path\": \"%s\" },"
      " \"dataset\": { \"path\": \"%s\" }, \"steps\": [ { \"sparsity\": 0.5 },"
      " { \"sparsity\": 0.5, \"protected\": [\"fc9\"] } ] }\n", model4, iris);
  g_autofree char *ghost2 = write_file ("ghost2.prunelens", text4);
  ck_assert_msg (pl_window_open_session (w, ghost2, &error), "%s", error ? error->message : "");
  msg = wait_idle (w, 60);
  ck_assert_ptr_nonnull (msg);
  ck_assert_msg (strstr (msg, "ghost2.prunelens: steps[1].protected") != NULL
                 && strstr (msg, "“fc9”") != NULL, "%s", msg);
  assert_good_state (w, "saved4.prunelens");

  /* 5. A session naming another method and view whose model does not fit: the method
   * drop-down and the view stay as they were (session 4). */
  pl_window_show_view (w, "features");
  pl_window_set_method (w, PL_MAP_INTEGRATED_GRADIENTS);
  wait_idle (w, 60);
  g_autofree char *styled = g_build_filename (tmp, "styled.prunelens", NULL);
  ck_assert (pl_window_save_session (w, styled, NULL));
  pl_window_show_view (w, "saliency");
  pl_window_set_method (w, PL_MAP_SALIENCY);
  wait_idle (w, 60);
  {
    g_autofree char *text = NULL;
    ck_assert (g_file_get_contents (styled, &text, NULL, NULL));
    g_autofree char *canon4 = g_canonicalize_filename (model4, NULL);
    ck_assert_ptr_nonnull (strstr (text, canon4));
    ck_assert_ptr_nonnull (strstr (text, "integrated"));
    g_auto (GStrv) parts = g_strsplit (text, canon4, -1);
    g_autofree char *bad_text = g_strjoinv (model6, parts);
    g_autofree char *bad_styled = write_file ("bad-styled.prunelens", bad_text);
    ck_assert (pl_window_open_session (w, bad_styled, &error));
    /* nothing changes while it loads, nor after it failed */
    GtkWidget *stack = pl_window_get_widget (w, "view-stack");
    GtkWidget *method = pl_window_get_widget (w, "method");
    ck_assert_str_eq (adw_view_stack_get_visible_child_name (ADW_VIEW_STACK (stack)), "saliency");
    ck_assert_uint_eq (gtk_drop_down_get_selected (GTK_DROP_DOWN (method)), PL_MAP_SALIENCY);
    ck_assert_ptr_nonnull (wait_idle (w, 60));
    ck_assert_str_eq (adw_view_stack_get_visible_child_name (ADW_VIEW_STACK (stack)), "saliency");
    ck_assert_uint_eq (gtk_drop_down_get_selected (GTK_DROP_DOWN (method)), PL_MAP_SALIENCY);
    assert_good_state (w, "saved5.prunelens");
    /* the good one opens with its method and view */
    g_autofree char *before = g_strdup (pl_window_get_last_error (w));
    ck_assert (pl_window_open_session (w, styled, &error));
    ck_assert_str_eq (wait_idle (w, 60), before);   /* no new error */
    ck_assert_str_eq (adw_view_stack_get_visible_child_name (ADW_VIEW_STACK (stack)), "features");
    ck_assert_uint_eq (gtk_drop_down_get_selected (GTK_DROP_DOWN (method)),
                       PL_MAP_INTEGRATED_GRADIENTS);
    assert_good_state (w, "saved6.prunelens");
  }
  close_window (w);
}
END_TEST

START_TEST (test_long_session_keeps_every_step)
{
  g_autoptr (GError) error = NULL;
  /* 40 steps: more than the history's default cap of 32 (31 steps after the original). */
  g_autofree char *many = write_session ("many.prunelens", model4, iris, 40, "");
  PlWindow *w = open_window (model4);
  ck_assert_ptr_null (wait_idle (w, 60));
  ck_assert_msg (pl_window_open_session (w, many, &error), "%s", error ? error->message : "");
  ck_assert_ptr_null (wait_idle (w, 120));
  ck_assert_uint_eq (pl_window_history_n_steps (w), 41);
  ck_assert_uint_eq (pl_window_history_current (w), 40);
  g_autoptr (PlRecipe) r = save_and_read (w, "many-saved.prunelens");
  ck_assert_uint_eq (r->steps->len, 40);
  for (guint k = 0; k < 40; k++)
    ck_assert_double_eq_tol (((PlRecipeStep *) g_ptr_array_index (r->steps, k))->sparsity,
                             0.01 * (k + 1), 1e-9);
  close_window (w);
}
END_TEST

/* Applying steps by hand: 40 of them, more than the old cap of 32, are all kept (the cap
 * is what 1 GiB of pruned copies holds, at least 32). */
START_TEST (test_manual_steps_keep_every_step)
{
  PlWindow *w = open_window (model4);
  ck_assert_ptr_null (wait_idle (w, 60));
  for (guint k = 0; k < 40; k++)
    {
      pl_window_set_sparsity (w, 0.01 * (k + 1));
      ck_assert_ptr_null (wait_idle (w, 60));
      ck_assert (pl_window_activate (w, "win.apply-step"));
      ck_assert_ptr_null (wait_idle (w, 60));
    }
  ck_assert_uint_eq (pl_window_history_n_steps (w), 41);
  g_autoptr (PlRecipe) r = save_and_read (w, "manual-saved.prunelens");
  ck_assert_uint_eq (r->steps->len, 40);
  ck_assert_double_eq_tol (((PlRecipeStep *) g_ptr_array_index (r->steps, 0))->sparsity, 0.01,
                           1e-9);
  close_window (w);
}
END_TEST

START_TEST (test_regression_model)
{
  g_autoptr (GError) error = NULL;
  PlWindow *w = open_window (model_reg);
  const char *msg = wait_idle (w, 60);
  ck_assert_ptr_nonnull (msg);
  ck_assert_msg (strstr (msg, "does not support regression models") != NULL
                 && strstr (msg, "prunelens-cli eval") != NULL, "%s", msg);
  g_autofree char *path = g_build_filename (tmp, "nothing.prunelens", NULL);
  ck_assert (!pl_window_save_session (w, path, &error));
  ck_assert_msg (strstr (error->message, "no model is loaded") != NULL, "%s", error->message);
  ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));
  close_window (w);
}
END_TEST

/* The recipe reader: the workbench key's and the steps' schedules have the same limits. */
static void
assert_refused (const char *json, const char *key)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlRecipe) r = pl_recipe_load_data (json, -1, "s.prunelens", NULL, &error);
  ck_assert_ptr_null (r);
  ck_assert_msg (strstr (error->message, "s.prunelens") != NULL
                 && strstr (error->message, key) != NULL, "%s", error->message);
}

START_TEST (test_schedule_limits)
{
#define HEAD "{\"format\": \"prunelens-recipe\", \"version\": 2, "
  assert_refused (HEAD "\"workbench\": {\"schedule_steps\": 10000}}", "workbench.schedule_steps");
  assert_refused (HEAD "\"workbench\": {\"schedule_steps\": 21}}", "workbench.schedule_steps");
  assert_refused (HEAD "\"workbench\": {\"finetune_epochs\": 51}}", "workbench.finetune_epochs");
  assert_refused (HEAD "\"steps\": [{\"sparsity\": 0.5, \"schedule_steps\": 21}]}",
                  "steps[0].schedule_steps");
  assert_refused (HEAD "\"steps\": [{\"sparsity\": 0.5, \"finetune_epochs\": 10000}]}",
                  "steps[0].finetune_epochs");
  g_autoptr (GError) error = NULL;
  g_autoptr (PlRecipe) r = pl_recipe_load_data (
      HEAD "\"workbench\": {\"schedule\": \"iterative\", \"schedule_steps\": 20, "
      "\"finetune_epochs\": 50}, \"steps\": [{\"sparsity\": 0.5, \"schedule_steps\": 20, "
      "\"finetune_epochs\": 50}]}", -1, "s.prunelens", NULL, &error);
  ck_assert_msg (r != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (r->panel_schedule_steps, 20);
  ck_assert_int_eq (r->panel_finetune_epochs, 50);
  ck_assert_int_eq (((PlRecipeStep *) g_ptr_array_index (r->steps, 0))->finetune_epochs, 50);
#undef HEAD
}
END_TEST

START_TEST (test_cancel_scheduled_session)
{
  g_autoptr (GError) error = NULL;
  /* Ten steps, each 20 pruning rounds with 50 fine-tuning epochs (the limits): re-running
   * them takes a while; Cancel stops it within seconds and leaves a consistent window. */
  GString *steps = g_string_new (NULL);
  for (int k = 0; k < 10; k++)
    g_string_append_printf (steps, "%s{ \"sparsity\": 0.%d, \"schedule\": \"iterative\", "
                            "\"schedule_steps\": 20, \"finetune_epochs\": 50 }",
                            k ? ", " : "", k + 1 > 9 ? 9 : k + 1);
  g_autofree char *steps_text = g_string_free (steps, FALSE);
  g_autofree char *text = g_strdup_printf (
      "{ \"format\": \"prunelens-recipe\", \"version\": 2, \"model\": { \"path\": \"%s\" },"
      " \"dataset\": { \"path\": \"%s\" }, \"steps\": [ %s ] }\n", model4, iris, steps_text);
  g_autofree char *path = write_file ("heavy.prunelens", text);
  PlWindow *w = open_window (model4);
  ck_assert_ptr_null (wait_idle (w, 60));
  ck_assert_msg (pl_window_open_session (w, path, &error), "%s", error ? error->message : "");
  gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
  ck_assert (pl_window_is_busy (w));
  ck_assert (pl_window_activate (w, "win.cancel"));
  ck_assert_ptr_null (wait_idle (w, 10));
  /* The model is loaded; no recomputed step was kept half-done. */
  g_autoptr (PlRecipe) r = save_and_read (w, "heavy-saved.prunelens");
  g_autofree char *want_model = g_canonicalize_filename (model4, NULL);
  ck_assert_str_eq (r->model_path, want_model);
  ck_assert_uint_eq (r->steps->len, 0);
  ck_assert_uint_eq (pl_window_history_n_steps (w), 1);
  close_window (w);
}
END_TEST

static char *
save_model (gint n_features, gint n_outputs, const char *name)
{
  g_autoptr (GError) error = NULL;
  PlGraph *g = pl_model_build_table (n_features, n_outputs, NULL, NULL, 11, &error);
  g_assert_no_error (error);
  char *path = g_build_filename (tmp, name, NULL);
  if (!pl_onnx_save_file (g, path, &error))
    g_error ("%s", error->message);
  pl_graph_unref (g);
  return path;
}

int
main (void)
{
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_print ("no display: skipping the GUI test (run it under xvfb-run)\n");
      return 77;
    }
  tmp = g_dir_make_tmp ("pl-session-fail-XXXXXX", NULL);
  g_setenv ("PL_NO_AUTOSAVE", "1", TRUE);
  g_setenv ("PL_NO_RECENT", "1", TRUE);
  gtk_init ();
  adw_init ();
  const char *src = g_getenv ("PL_SOURCE_DIR");
  g_assert (src != NULL);
  iris = g_build_filename (src, "data", "datasets", "iris.csv", NULL);
  model4 = save_model (4, 3, "iris-mlp.onnx");
  model6 = save_model (6, 3, "six-mlp.onnx");
  model_reg = save_model (4, 1, "regression.onnx");

  Suite *suite = suite_create ("session-fail");
  TCase *tc = tcase_create ("main");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_failed_sessions_change_nothing);
  tcase_add_test (tc, test_long_session_keeps_every_step);
  tcase_add_test (tc, test_manual_steps_keep_every_step);
  tcase_add_test (tc, test_regression_model);
  tcase_add_test (tc, test_schedule_limits);
  tcase_add_test (tc, test_cancel_scheduled_session);
  suite_add_tcase (suite, tc);
  SRunner *runner = srunner_create (suite);
  srunner_set_fork_status (runner, CK_NOFORK);
  srunner_run_all (runner, CK_NORMAL);
  int failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  for (const char *const *f = (const char *const[]) { "iris-mlp.onnx", "six-mlp.onnx",
         "regression.onnx", "good.prunelens", "bad-model.prunelens", "bad-data.prunelens",
         "ghost.prunelens", "many.prunelens", "many-saved.prunelens", "saved0.prunelens",
         "saved1.prunelens", "saved2.prunelens", "saved3.prunelens", "heavy.prunelens",
         "ghost2.prunelens", "saved4.prunelens", "saved-loading.prunelens",
         "heavy-saved.prunelens", NULL }; *f; f++)
    {
      g_autofree char *p = g_build_filename (tmp, *f, NULL);
      g_unlink (p);
    }
  g_rmdir (tmp);
  g_free (model4);
  g_free (model6);
  g_free (model_reg);
  g_free (iris);
  g_free (tmp);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
