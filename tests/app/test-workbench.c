/* GUI test of the workbench's pruning history and Model view: apply, undo, redo, a click
 * in the history list, "compare with", a structured step in the Model view, and the
 * Model view of a hand-built MLP (per-pixel survival, MACs, removed neurons).
 * Needs a display (run under xvfb-run); skipped (77) without one. */
#include "config.h"

#include <adwaita.h>
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include "pl-model-view.h"
#include "gui-pixels.h"
#include "pl-window-private.h"
#include "pl-session-io.h"
#include "analysis/pl-layers.h"
#include "onnx/pl-onnx.h"

static void
wait_until_idle (PlWindow *w, double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
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

static void
spin (int n)
{
  for (int i = 0; i < n; i++)
    g_main_context_iteration (NULL, FALSE);
}

/* Iterates the main loop until widget has been laid out with a size (at most 10 s). */
static void
wait_allocated (GtkWidget *widget)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while ((gtk_widget_get_width (widget) < 50 || gtk_widget_get_height (widget) < 50) &&
         g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
}

/* Distinct colours of a widget as drawn (a blank area has one or two). */
static guint
distinct_colours (GtkWidget *widget)
{
  wait_allocated (widget);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  ck_assert_int_gt (w, 50);
  ck_assert_int_gt (h, 50);
  int tw, th;
  guint32 *pixels = gui_widget_pixels (widget, &tw, &th);
  guint n = gui_distinct_colours (pixels, tw, 0, th);
  g_free (pixels);
  return n;
}

static guint
n_rows (GtkWidget *list)
{
  guint n = 0;
  for (GtkWidget *c = gtk_widget_get_first_child (list); c; c = gtk_widget_get_next_sibling (c))
    n++;
  return n;
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

/* A model with a NaN weight is refused when it opens, naming the model and the
 * initializer (Relu would otherwise turn the NaN into finite, wrong numbers). */
START_TEST (test_nan_weights_refused)
{
  const char *src = g_getenv ("PL_SOURCE_DIR");
  g_autofree char *model = g_build_filename (src, "data", "models", "fashion-cnn.onnx", NULL);
  g_autoptr (GError) error = NULL;
  PlGraph *g = pl_onnx_load_file (model, &error);
  ck_assert_msg (g != NULL, "%s", error ? error->message : "");
  g_autoptr (GArray) ids = pl_graph_prunable_weights (g);
  ck_assert_uint_gt (ids->len, 0);
  PlValue *w = (PlValue *) pl_graph_value (g, g_array_index (ids, gint, 0));
  w->init->data[3] = NAN;
  g_autofree char *dir = g_dir_make_tmp ("pl-nan-XXXXXX", NULL);
  g_autofree char *bad = g_build_filename (dir, "nan-weights.onnx", NULL);
  ck_assert (pl_onnx_save_file (g, bad, &error));
  g_autofree char *wname = g_strdup (w->name);
  pl_graph_unref (g);

  PlWindowOptions options = { .model_path = bad, .dataset_dir = PL_DEFAULT_DATASET_DIR };
  PlWindow *window = pl_window_new (NULL, &options);
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_present (GTK_WINDOW (window));
  gint64 end = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  spin (10);
  while (pl_window_is_busy (window) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  const char *message = pl_window_get_last_error (window);
  ck_assert_ptr_nonnull (message);
  ck_assert_msg (strstr (message, "nan-weights.onnx") != NULL && strstr (message, wname) != NULL,
                 "%s", message);
  ck_assert (pl_window_get_accuracy (window, FALSE) < 0);
  gtk_window_destroy (GTK_WINDOW (window));
  spin (20);
  ck_assert (window == NULL);
  g_unlink (bad);
  g_rmdir (dir);
}
END_TEST

START_TEST (test_history_and_model_view)
{
  const char *src = g_getenv ("PL_SOURCE_DIR");
  ck_assert_ptr_nonnull (src);
  g_autofree char *model = g_build_filename (src, "data", "models", "fashion-cnn.onnx", NULL);
  ck_assert_msg (g_file_test (PL_DEFAULT_DATASET_DIR, G_FILE_TEST_IS_DIR),
                 "missing %s (Debian package dataset-fashion-mnist)", PL_DEFAULT_DATASET_DIR);
  PlWindowOptions options = { .model_path = model, .dataset_dir = PL_DEFAULT_DATASET_DIR };
  PlWindow *window = pl_window_new (NULL, &options);
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  gtk_window_present (GTK_WINDOW (window));
  wait_until_idle (window, 120);

  ck_assert_uint_eq (pl_window_history_n_steps (window), 1);
  double s50 = protected_sparsity (model, 0.50), s90 = protected_sparsity (model, 0.90);
  double acc0 = pl_window_get_accuracy (window, FALSE);
  /* Nothing previewed: Apply does nothing (a toast says why). */
  pl_window_activate (window, "win.apply-step");
  ck_assert_uint_eq (pl_window_history_n_steps (window), 1);

  /* Preview 50 %, apply; preview 90 % from there, apply. */
  pl_window_set_sparsity (window, 0.50);
  wait_until_idle (window, 120);
  ck_assert_double_eq_tol (pl_window_get_achieved_sparsity (window), s50, 0.001);
  ck_assert (pl_window_activate (window, "win.apply-step"));
  ck_assert_uint_eq (pl_window_history_n_steps (window), 2);
  ck_assert_uint_eq (pl_window_history_current (window), 1);
  double acc50 = pl_window_get_accuracy (window, TRUE);
  pl_window_set_sparsity (window, 0.90);
  wait_until_idle (window, 120);
  ck_assert_double_eq_tol (pl_window_get_achieved_sparsity (window), s90, 0.001);
  pl_window_activate (window, "win.apply-step");
  ck_assert_uint_eq (pl_window_history_n_steps (window), 3);
  ck_assert_uint_eq (pl_window_history_current (window), 2);
  double acc90 = pl_window_get_accuracy (window, TRUE);
  ck_assert_double_lt (acc90, acc0);
  spin (10);
  ck_assert_uint_eq (n_rows (pl_window_get_history_list (window)), 3);

  /* Undo goes back to 50 % with its accuracy, redo to 90 %. */
  pl_window_activate (window, "win.undo");
  wait_until_idle (window, 60);
  ck_assert_uint_eq (pl_window_history_current (window), 1);
  ck_assert_double_eq_tol (pl_window_get_achieved_sparsity (window), s50, 0.001);
  ck_assert_double_eq_tol (pl_window_get_accuracy (window, TRUE), acc50, 1e-12);
  pl_window_activate (window, "win.redo");
  wait_until_idle (window, 60);
  ck_assert_uint_eq (pl_window_history_current (window), 2);
  ck_assert_double_eq_tol (pl_window_get_achieved_sparsity (window), s90, 0.001);

  /* A click on the first row of the history list goes to the original. */
  GtkWidget *row0 = gtk_widget_get_first_child (pl_window_get_history_list (window));
  ck_assert_ptr_nonnull (row0);
  g_signal_emit_by_name (pl_window_get_history_list (window), "row-activated", row0);
  wait_until_idle (window, 60);
  ck_assert_uint_eq (pl_window_history_current (window), 0);
  ck_assert_double_eq_tol (pl_window_get_achieved_sparsity (window), 0.0, 1e-9);
  const PlComparison *c = pl_window_get_comparison (window);
  ck_assert_ptr_nonnull (c);
  ck_assert_int_eq (c->pred[0], c->pred[1]);
  pl_window_history_go_to (window, 2);
  wait_until_idle (window, 60);

  /* Compare with step 1: the "original" side is now the 50 % network. */
  pl_window_set_reference (window, 1);
  wait_until_idle (window, 60);
  ck_assert_double_eq_tol (pl_window_get_accuracy (window, FALSE), acc50, 1e-12);
  pl_window_set_reference (window, 0);
  wait_until_idle (window, 60);
  ck_assert_double_eq_tol (pl_window_get_accuracy (window, FALSE), acc0, 1e-12);

  /* Model view at 90 %: four weight layers, their sparsity and MACs. */
  pl_window_show_view (window, "model");
  spin (20);
  PlModelView *mv = PL_MODEL_VIEW (pl_window_get_model_view (window));
  ck_assert_uint_eq (pl_model_view_get_n_layers (mv), 4);
  const PlModelLayer *conv1 = pl_model_view_get_layer (mv, 0);
  ck_assert_str_eq (conv1->op_type, "Conv");
  ck_assert_int_eq (conv1->weights, 16 * 1 * 3 * 3);
  ck_assert_int_eq (conv1->params, 16 * 9 + 16);
  /* Conv(1→16, 3×3) keeps 28 × 28 outputs (padding 1): 784 uses of each weight. */
  ck_assert_int_eq (conv1->macs_dense, 784 * 144);
  ck_assert_int_eq (conv1->macs_effective, 784 * conv1->nonzero);
  gint64 params, nz, macs, eff, total_w = 0, total_nz = 0;
  pl_model_view_get_cost (mv, &params, &nz, &macs, &eff);
  for (guint i = 0; i < 4; i++)
    {
      total_w += pl_model_view_get_layer (mv, i)->weights;
      total_nz += pl_model_view_get_layer (mv, i)->nonzero;
    }
  ck_assert_double_eq_tol (1.0 - (double) total_nz / total_w, s90, 0.001);
  /* The protected first convolution keeps all its weights (issue 5 default). */
  ck_assert_int_eq (conv1->nonzero, conv1->weights);
  ck_assert_int_lt (eff, macs);
  ck_assert_int_eq (params - nz, total_w - total_nz);
  ck_assert_int_eq (pl_model_view_get_first_layer_kind (mv), 1);
  /* its two panels are alike: the legend says why (session 6) */
  ck_assert_msg (strstr (pl_model_view_get_first_layer_legend (mv), "not pruned") != NULL,
                 "%s", pl_model_view_get_first_layer_legend (mv));
  ck_assert_uint_gt (distinct_colours (pl_model_view_get_histogram_area (mv)), 20);
  ck_assert_uint_gt (distinct_colours (pl_model_view_get_first_layer_area (mv)), 20);

  /* A structured step (L1 norm of channels, global) removes whole channels. */
  pl_window_history_go_to (window, 0);
  wait_until_idle (window, 60);
  pl_window_set_pruning (window, 3, 2, 0);
  pl_window_set_sparsity (window, 0.5);
  wait_until_idle (window, 120);
  pl_window_activate (window, "win.apply-step");
  /* Going to step 0 and applying dropped the redo tail (steps 1, 2). */
  ck_assert_uint_eq (pl_window_history_n_steps (window), 2);
  spin (10);
  gint64 removed = 0;
  for (guint i = 0; i < pl_model_view_get_n_layers (mv); i++)
    {
      const PlModelLayer *l = pl_model_view_get_layer (mv, i);
      removed += l->removed_channels;
      if (l->removed_channels > 0)
        ck_assert_ptr_nonnull (l->removed);
    }
  ck_assert_int_gt (removed, 0);
  /* The table shows the new step's numbers (cells are updated in place when the layers
   * stay the same). */
  for (guint i = 0; i < pl_model_view_get_n_layers (mv); i++)
    {
      const PlModelLayer *l = pl_model_view_get_layer (mv, i);
      g_autofree char *kept = pl_model_view_get_shown_cell (mv, i, 8);
      g_autofree char *want = g_strdup_printf ("%d / %d", (int) (l->channels - l->removed_channels),
                                               (int) l->channels);
      ck_assert_ptr_nonnull (kept);
      ck_assert_str_eq (kept, want);
      g_autofree char *sparsity = pl_model_view_get_shown_cell (mv, i, 7);
      g_autofree char *want_s = g_strdup_printf ("%.1f %%", 100.0 * (1.0 - (double) l->nonzero / l->weights));
      ck_assert_str_eq (sparsity, want_s);
    }
  pl_window_set_pruning (window, 0, 0, 0);
  wait_until_idle (window, 120);

  /* Every step was autosaved; save a session, change things, open it again. */
  g_autofree char *autosave = pl_window_get_autosave_path (window);
  ck_assert_msg (g_file_test (autosave, G_FILE_TEST_IS_REGULAR), "no autosave at %s", autosave);
  pl_window_set_sparsity (window, 0.8);
  wait_until_idle (window, 120);
  pl_window_activate (window, "win.apply-step");
  ck_assert_uint_eq (pl_window_history_n_steps (window), 3);
  pl_window_activate (window, "win.undo");
  wait_until_idle (window, 60);
  ck_assert_uint_eq (pl_window_history_current (window), 1);
  double acc_channels = pl_window_get_accuracy (window, TRUE);
  double sp_channels = pl_window_get_achieved_sparsity (window);
  pl_window_select_sample (window, 3);
  wait_until_idle (window, 60);
  g_autofree char *dir = g_dir_make_tmp ("pl-session-XXXXXX", NULL);
  g_autofree char *session = g_build_filename (dir, "s.prunelens", NULL);
  g_autoptr (GError) error = NULL;
  ck_assert_msg (pl_window_save_session (window, session, &error), "%s",
                 error ? error->message : "");
  pl_window_history_go_to (window, 0);
  pl_window_select_sample (window, 5);
  wait_until_idle (window, 60);
  ck_assert_msg (pl_window_open_session (window, session, &error), "%s",
                 error ? error->message : "");
  wait_until_idle (window, 240);
  ck_assert_uint_eq (pl_window_history_n_steps (window), 3);
  ck_assert_uint_eq (pl_window_history_current (window), 1);
  ck_assert_double_eq_tol (pl_window_get_achieved_sparsity (window), sp_channels, 1e-12);
  ck_assert_double_eq_tol (pl_window_get_accuracy (window, TRUE), acc_channels, 1e-12);
  ck_assert_int_eq (pl_window_get_comparison (window)->index, 3);
  /* A broken session file is refused with a message naming it. */
  g_autofree char *bad = g_build_filename (dir, "bad.prunelens", NULL);
  g_file_set_contents (bad, "{ \"format\": 3", -1, NULL);
  ck_assert (!pl_window_open_session (window, bad, &error));
  ck_assert_ptr_nonnull (strstr (error->message, "bad.prunelens"));
  g_clear_error (&error);

  /* The session just opened is saved: a new step is not. Closing asks first; Cancel keeps
   * the window and its autosave, Discard closes and removes the autosave. */
  ck_assert_ptr_null (pl_window_get_close_dialog (window));
  pl_window_set_sparsity (window, 0.6);
  wait_until_idle (window, 120);
  pl_window_activate (window, "win.apply-step");
  wait_until_idle (window, 120);
  gtk_window_close (GTK_WINDOW (window));
  spin (10);
  ck_assert_msg (window != NULL, "closed with unsaved steps without asking");
  GtkWidget *ask = pl_window_get_close_dialog (window);
  ck_assert_ptr_nonnull (ask);
  ck_assert (g_file_test (autosave, G_FILE_TEST_IS_REGULAR));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (ask), "cancel");
  spin (10);
  ck_assert (window != NULL);
  ck_assert_ptr_null (pl_window_get_close_dialog (window));
  /* Saving makes the close silent again. */
  ck_assert_msg (pl_window_save_session (window, session, &error), "%s",
                 error ? error->message : "");
  gtk_window_close (GTK_WINDOW (window));
  spin (50);
  ck_assert_msg (window == NULL, "the window was not freed when closed after saving");
  ck_assert (!g_file_test (autosave, G_FILE_TEST_EXISTS));

  /* Discard: closes, and nothing is offered back. */
  window = pl_window_new (NULL, &options);
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_present (GTK_WINDOW (window));
  wait_until_idle (window, 120);
  pl_window_set_sparsity (window, 0.5);
  wait_until_idle (window, 120);
  pl_window_activate (window, "win.apply-step");
  wait_until_idle (window, 120);
  gtk_window_close (GTK_WINDOW (window));
  spin (10);
  ck_assert (window != NULL);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (pl_window_get_close_dialog (window)), "discard");
  spin (50);
  ck_assert_msg (window == NULL, "the window was not freed after Discard");
  ck_assert (!g_file_test (autosave, G_FILE_TEST_EXISTS));

  /* An autosave left behind by a workbench that is gone (its lock is free) is offered back;
   * the autosave of a running one (its lock held — here by this test) is not, and an empty
   * one (no steps; here with this morning's pid name) is deleted, not offered. */
  g_autofree char *state = g_build_filename (g_get_user_state_dir (), "prunelens", NULL);
  g_autofree char *live = g_build_filename (state, "autosave-0123456789abcdef.prunelens", NULL);
  g_autofree char *live_lock = g_build_filename (state, "autosave-0123456789abcdef.lock", NULL);
  g_autofree char *dead = g_build_filename (state, "autosave-fedcba9876543210.prunelens", NULL);
  g_autofree char *empty = g_build_filename (state, "autosave-4194305.prunelens", NULL);
  g_autofree char *steps = NULL;
  ck_assert (g_file_get_contents (session, &steps, NULL, NULL));
  ck_assert (g_file_set_contents (live, steps, -1, NULL));
  ck_assert (g_file_set_contents (dead, steps, -1, NULL));
  ck_assert (g_file_set_contents (empty, "{\"format\": \"prunelens-recipe\", \"version\": 1}\n",
                                  -1, NULL));
  int lock_fd = open (live_lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ck_assert_int_ge (lock_fd, 0);
  ck_assert_int_eq (flock (lock_fd, LOCK_EX | LOCK_NB), 0);
  window = pl_window_new (NULL, &options);
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_present (GTK_WINDOW (window));
  ck_assert_ptr_nonnull (pl_window_get_recovered_session (window));
  g_autofree char *recovered = g_strdup (pl_window_get_recovered_session (window));
  ck_assert (g_file_test (recovered, G_FILE_TEST_IS_REGULAR));
  ck_assert (!g_file_test (dead, G_FILE_TEST_EXISTS));
  ck_assert (g_file_test (live, G_FILE_TEST_EXISTS));
  ck_assert (!g_file_test (empty, G_FILE_TEST_EXISTS));
  pl_window_activate (window, "win.restore-autosave");
  wait_until_idle (window, 240);
  ck_assert_uint_gt (pl_window_history_n_steps (window), 1);
  /* restored: not offered again */
  ck_assert (!g_file_test (recovered, G_FILE_TEST_EXISTS));
  gtk_window_destroy (GTK_WINDOW (window));
  spin (50);
  ck_assert_msg (window == NULL, "the window was not freed when closed");

  /* Two windows of one workbench autosave to two files (session 6: they shared one, so the
   * last one to write won); the autosave of a gone workbench's second window is offered. */
  {
    g_autofree char *dead2 = g_build_filename (state, "autosave-fedcba9876543210-2.prunelens",
                                               NULL);
    ck_assert (g_file_set_contents (dead2, steps, -1, NULL));
    PlWindow *a = pl_window_new (NULL, &options), *b = pl_window_new (NULL, &options);
    g_autofree char *path_a = pl_window_get_autosave_path (a);
    g_autofree char *path_b = pl_window_get_autosave_path (b);
    ck_assert_str_ne (path_a, path_b);
    ck_assert_ptr_nonnull (pl_window_get_recovered_session (a));
    ck_assert (!g_file_test (dead2, G_FILE_TEST_EXISTS));   /* taken by a */
    ck_assert_ptr_null (pl_window_get_recovered_session (b));
    g_autofree char *rec_a = g_strdup (pl_window_get_recovered_session (a));
    ck_assert (g_file_test (rec_a, G_FILE_TEST_IS_REGULAR));
    /* Discard Unsaved Session: to the Trash and offered no more; where there is no Trash,
     * the file stays and is still offered (never deleted outright). */
    pl_window_activate (a, "win.discard-autosave");
    gboolean trashed = !g_file_test (rec_a, G_FILE_TEST_EXISTS);
    ck_assert_int_eq (trashed, pl_window_get_recovered_session (a) == NULL);
    if (!trashed)
      g_print ("no Trash here: the recovered session stays offered\n");
    gtk_window_destroy (GTK_WINDOW (a));
    gtk_window_destroy (GTK_WINDOW (b));
    spin (1);
    g_unlink (rec_a);
  }
  close (lock_fd);
  g_unlink (live);
  g_unlink (live_lock);
  g_unlink (autosave);
  g_unlink (session);
  g_unlink (bad);
}
END_TEST

/* The exports (issue 9): Export All Figures, Export Pruned Model, Export Report, their
 * Cancel, and the jobs asked for while an export runs. */
/* The metric info buttons (pl_info_button_new: menu buttons) inside w. */
static guint
count_info_buttons (GtkWidget *w)
{
  guint n = 0;
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    {
      if (GTK_IS_MENU_BUTTON (c) && gtk_widget_has_css_class (c, "circular"))
        n++;
      n += count_info_buttons (c);
    }
  return n;
}

static gint
pdf_pages (const char *path)
{
  g_autofree char *quoted = g_shell_quote (path);
  g_autofree char *cmd = g_strdup_printf ("pdfinfo %s", quoted);
  g_autofree char *out = NULL;
  gint status = 0;
  if (!g_spawn_command_line_sync (cmd, &out, NULL, &status, NULL) || status != 0)
    return -1;
  const char *p = strstr (out, "Pages:");
  return p ? atoi (p + 6) : -1;
}

START_TEST (test_exports)
{
  const char *src = g_getenv ("PL_SOURCE_DIR");
  ck_assert_ptr_nonnull (src);
  g_autofree char *model = g_build_filename (src, "data", "models", "fashion-cnn.onnx", NULL);
  PlWindowOptions options = { .model_path = model, .dataset_dir = PL_DEFAULT_DATASET_DIR };
  PlWindow *window = pl_window_new (NULL, &options);
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  gtk_window_present (GTK_WINDOW (window));
  wait_until_idle (window, 120);
  pl_window_set_sparsity (window, 0.5);
  wait_until_idle (window, 120);
  double achieved = pl_window_get_achieved_sparsity (window);
  ck_assert_double_gt (achieved, 0.3);
  /* The Metrics view's comparison (per-metric info buttons) and the sweep (its cost plot). */
  pl_window_compare (window, 10);
  wait_until_idle (window, 120);
  ck_assert_ptr_nonnull (pl_window_get_report (window));
  pl_window_show_view (window, "metrics");
  spin (20);
  GtkWidget *metrics_box = pl_window_get_widget (window, "metrics-box");
  ck_assert_ptr_nonnull (metrics_box);
  ck_assert_uint_ge (count_info_buttons (metrics_box), 16);
  pl_window_show_view (window, "sweep");
  pl_window_sweep (window);
  wait_until_idle (window, 240);
  const PlSweep *sweep = pl_window_get_sweep (window);
  ck_assert_ptr_nonnull (sweep);
  /* Pruning leaves fewer non-zero parameters and effective MACs than the dense network. */
  const PlSweepPoint *last = &sweep->points[sweep->n_points - 1];
  ck_assert_int_lt (last->nonzero_parameters, last->parameters);
  ck_assert_int_lt (last->macs_nonzero, last->macs_dense);
  spin (20);
  ck_assert_uint_gt (distinct_colours (pl_window_get_cost_area (window)), 4);
  pl_window_show_view (window, "saliency");
  g_autofree char *dir = g_dir_make_tmp ("pl-exports-XXXXXX", NULL);

  /* Export All: the figures with their data. */
  g_autofree char *all = g_build_filename (dir, "all", NULL);
  ck_assert (pl_window_export_all (window, all, "png"));
  ck_assert (pl_window_is_busy (window));
  /* A second export while one runs is refused. */
  ck_assert (!pl_window_export_onnx (window, "/nonexistent/x.onnx"));
  wait_until_idle (window, 120);
  const char *expected[] = { "sweep.png", "sweep.csv", "compare.csv", "saliency.png", "features.png", "shap.png", "comparison.json",
                             "saliency-maps.csv", "confusion-original.png",
                             "confusion-pruned.png", "confusion.csv", "layer-sparsity.png",
                             "layer-sparsity.csv", "weights.png" };
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *f = g_build_filename (all, expected[i], NULL);
      ck_assert_msg (g_file_test (f, G_FILE_TEST_IS_REGULAR), "Export All wrote no %s", f);
    }
  ck_assert_int_ge (pl_window_get_export_count (window), (gint) G_N_ELEMENTS (expected));

  /* The pruned ONNX reloads with the same sparsity. */
  g_autofree char *onnx = g_build_filename (dir, "pruned.onnx", NULL);
  ck_assert (pl_window_export_onnx (window, onnx));
  wait_until_idle (window, 60);
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) reloaded = pl_onnx_load_file (onnx, &error);
  ck_assert_msg (reloaded != NULL, "%s", error ? error->message : "");
  ck_assert_double_eq_tol (pl_graph_weight_sparsity (reloaded), achieved, 1e-9);
  g_autoptr (PlGraph) original = pl_onnx_load_file (model, &error);
  ck_assert_double_lt (pl_graph_weight_sparsity (original), 0.01);

  /* The report: a PDF of at least two pages, with the LIME / SHAP tab's figure once the
   * tab has explained the sample. */
  pl_window_show_view (window, "shap");
  wait_until_idle (window, 120);
  g_autofree char *pdf = g_build_filename (dir, "report.pdf", NULL);
  ck_assert (pl_window_export_report (window, pdf));
  wait_until_idle (window, 120);
  g_autofree char *bytes = NULL;
  gsize len = 0;
  ck_assert (g_file_get_contents (pdf, &bytes, &len, NULL));
  ck_assert_uint_gt (len, 1000);
  ck_assert (memcmp (bytes, "%PDF", 4) == 0);
  gint pages = pdf_pages (pdf);
  ck_assert_int_ge (pages, 2);
  ck_assert_int_eq (pl_window_get_export_count (window), pages);
  /* with the confusion matrices and the weight histogram, as prunelens-cli report */
  {
    g_autofree char *quoted = g_shell_quote (pdf);
    g_autofree char *cmd = g_strdup_printf ("pdftotext %s -", quoted);
    g_autofree char *text = NULL;
    gint status = 0;
    ck_assert (g_spawn_command_line_sync (cmd, &text, NULL, &status, NULL) && status == 0);
    ck_assert_msg (strstr (text, "Confusion matrix") != NULL, "no confusion matrix in the report");
    ck_assert_msg (strstr (text, "Prunable weights") != NULL, "no weight histogram in the report");
    ck_assert_msg (strstr (text, "LIME and KernelSHAP per superpixel") != NULL,
                   "no LIME / SHAP figure in the report");
  }
  /* dated when it was made, not 1970-01-01 */
  {
    g_autofree char *quoted = g_shell_quote (pdf);
    g_autofree char *cmd = g_strdup_printf ("pdfinfo -isodates %s", quoted);
    g_autofree char *info = NULL;
    gint status = 0;
    ck_assert (g_spawn_command_line_sync (cmd, &info, NULL, &status, NULL) && status == 0);
    g_autoptr (GDateTime) today = g_date_time_new_now_utc ();
    g_autofree char *year = g_date_time_format (today, "%Y");
    const char *created = strstr (info, "CreationDate:");
    ck_assert_msg (created != NULL, "%s", info);
    created += strlen ("CreationDate:");
    while (*created == ' ')
      created++;
    ck_assert_msg (g_str_has_prefix (created, year), "%s", info);
  }

  /* Cancel: no report, no partial file, the window keeps working. */
  g_autofree char *cancelled = g_build_filename (dir, "cancelled.pdf", NULL);
  g_autofree char *part = g_strconcat (cancelled, ".part", NULL);
  ck_assert (pl_window_export_report (window, cancelled));
  ck_assert (pl_window_activate (window, "win.cancel"));
  gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (pl_window_is_busy (window) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  ck_assert (!pl_window_is_busy (window));
  ck_assert (!g_file_test (cancelled, G_FILE_TEST_EXISTS));
  ck_assert (!g_file_test (part, G_FILE_TEST_EXISTS));

  /* A pruning asked for during an export runs once it is done. */
  ck_assert (pl_window_export_onnx (window, onnx));
  pl_window_set_sparsity (window, 0.8);
  wait_until_idle (window, 120);
  ck_assert_double_gt (pl_window_get_achieved_sparsity (window), achieved + 0.1);

  gtk_window_close (GTK_WINDOW (window));
  spin (50);
  ck_assert_msg (window == NULL, "the window was not freed when closed");
  g_autoptr (GDir) d = g_dir_open (all, 0, NULL);
  for (const char *n; d && (n = g_dir_read_name (d)) != NULL;)
    {
      g_autofree char *f = g_build_filename (all, n, NULL);
      g_unlink (f);
    }
  g_rmdir (all);
  g_unlink (onnx);
  g_unlink (pdf);
  g_rmdir (dir);
}
END_TEST

/* A hand-built MLP: Flatten of a [1, 2, 2] input, Gemm W [3, 4] (transB = 1), B [3]. */
static PlGraph *
tiny_mlp (void)
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
  PlNode *n = pl_graph_add_node (g, "Gemm", "fc1", 3, gin, 1, gout);
  pl_node_set_int (n, "transB", 1);
  pl_graph_add_output (g, "y");
  return g;
}

START_TEST (test_model_view_mlp)
{
  g_autoptr (PlGraph) g = tiny_mlp ();
  g_autoptr (PlGraph) p = pl_graph_copy (g);
  float *w = pl_graph_value (p, pl_graph_find_value (p, "W"))->init->data;
  /* Zero W[0][0], W[1][0], W[0][1] and the whole neuron 2. */
  w[0] = w[4] = w[1] = 0.0f;
  w[8] = w[9] = w[10] = w[11] = 0.0f;

  GtkWidget *win = gtk_window_new ();
  GtkWidget *view = pl_model_view_new ();
  gtk_window_set_child (GTK_WINDOW (win), view);
  gtk_window_set_default_size (GTK_WINDOW (win), 900, 600);
  gtk_window_present (GTK_WINDOW (win));
  PlModelView *mv = PL_MODEL_VIEW (view);
  pl_model_view_set_graphs (mv, g, p);
  ck_assert_uint_eq (pl_model_view_get_n_layers (mv), 1);
  const PlModelLayer *l = pl_model_view_get_layer (mv, 0);
  ck_assert_str_eq (l->name, "fc1");
  ck_assert_int_eq (l->weights, 12);
  ck_assert_int_eq (l->params, 15);
  ck_assert_int_eq (l->nonzero, 5);
  ck_assert_int_eq (l->macs_dense, 12);
  ck_assert_int_eq (l->macs_effective, 5);
  ck_assert_int_eq (l->channels, 3);
  ck_assert_int_eq (l->removed_channels, 1);
  ck_assert_str_eq (l->removed, "2");
  ck_assert_str_eq (l->output_shape, "[1, 3]");
  gint64 params, nz, macs, eff;
  pl_model_view_get_cost (mv, &params, &nz, &macs, &eff);
  ck_assert_int_eq (params, 15);
  ck_assert_int_eq (nz, 8);
  ck_assert_int_eq (macs, 12);
  ck_assert_int_eq (eff, 5);
  ck_assert_int_eq (pl_model_view_get_first_layer_kind (mv), 2);
  gint h, wd;
  const double *s = pl_model_view_get_pixel_survival (mv, &h, &wd);
  ck_assert_ptr_nonnull (s);
  ck_assert_int_eq (h, 2);
  ck_assert_int_eq (wd, 2);
  /* Pixel k keeps the non-zero weights of column k: 0/3, 1/3, 2/3, 2/3. */
  ck_assert_double_eq_tol (s[0], 0.0, 1e-12);
  ck_assert_double_eq_tol (s[1], 1.0 / 3.0, 1e-12);
  ck_assert_double_eq_tol (s[2], 2.0 / 3.0, 1e-12);
  ck_assert_double_eq_tol (s[3], 2.0 / 3.0, 1e-12);
  spin (30);
  ck_assert_uint_gt (distinct_colours (pl_model_view_get_first_layer_area (mv)), 3);

  /* Unpruned: nothing removed, every pixel keeps all its weights. */
  pl_model_view_set_graphs (mv, g, g);
  l = pl_model_view_get_layer (mv, 0);
  ck_assert_int_eq (l->removed_channels, 0);
  ck_assert_ptr_null (l->removed);
  s = pl_model_view_get_pixel_survival (mv, NULL, NULL);
  for (int i = 0; i < 4; i++)
    ck_assert_double_eq_tol (s[i], 1.0, 1e-12);
  pl_model_view_set_graphs (mv, NULL, NULL);
  ck_assert_uint_eq (pl_model_view_get_n_layers (mv), 0);
  gtk_window_destroy (GTK_WINDOW (win));
  spin (10);
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
  /* Autosaves go to a fresh state folder, not the user's. */
  g_autofree char *state = g_dir_make_tmp ("pl-state-XXXXXX", NULL);
  g_setenv ("XDG_STATE_HOME", state, TRUE);
  gtk_init ();
  adw_init ();
  Suite *suite = suite_create ("workbench");
  TCase *tc = tcase_create ("workbench");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_model_view_mlp);
  tcase_add_test (tc, test_history_and_model_view);
  tcase_add_test (tc, test_nan_weights_refused);
  tcase_add_test (tc, test_exports);
  suite_add_tcase (suite, tc);
  SRunner *runner = srunner_create (suite);
  srunner_set_fork_status (runner, CK_NOFORK);
  srunner_run_all (runner, CK_NORMAL);
  int failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
