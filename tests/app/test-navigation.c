/* The workbench at 1280 × 800: the Metrics view as one scroll, keyboard navigation of the
 * sample grid and the pruning panel, the guided tour, and the main loop's longest gap while
 * the default session drives every tab. Needs a display (xvfb-run); skipped (77) without. */
#include "config.h"

#include <adwaita.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "pl-window-private.h"
#include "pl-tour.h"

static void
wait_until_idle (PlWindow *w, double seconds)
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

static void
spin_for (double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

static PlWindow *
open_default (void)
{
  const char *src = g_getenv ("PL_SOURCE_DIR");
  ck_assert_ptr_nonnull (src);
  g_autofree char *model = g_build_filename (src, "data", "models", "fashion-cnn.onnx", NULL);
  PlWindowOptions options = { .model_path = model, .dataset_dir = PL_DEFAULT_DATASET_DIR };
  PlWindow *w = pl_window_new (NULL, &options);
  gtk_window_set_default_size (GTK_WINDOW (w), 1280, 800);
  gtk_window_present (GTK_WINDOW (w));
  wait_until_idle (w, 120);
  return w;
}

static void
dump (GtkWidget *w, int depth)
{
  int mh = 0;
  gtk_widget_measure (w, GTK_ORIENTATION_VERTICAL, -1, &mh, NULL, NULL, NULL);
  if (mh >= 250 && depth < 30)
    g_print ("%*s%s %s min-h %d\n", depth, "", G_OBJECT_TYPE_NAME (w),
             gtk_buildable_get_buildable_id (GTK_BUILDABLE (w)) ? gtk_buildable_get_buildable_id (GTK_BUILDABLE (w)) : "", mh);
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    dump (c, depth + 1);
}

static void
check_fits_1280x800 (PlWindow *w)
{
  int min_h = 0, nat_h = 0, min_w = 0;
  gtk_widget_measure (GTK_WIDGET (w), GTK_ORIENTATION_VERTICAL, 1280, &min_h, &nat_h, NULL, NULL);
  gtk_widget_measure (GTK_WIDGET (w), GTK_ORIENTATION_HORIZONTAL, -1, &min_w, NULL, NULL, NULL);
  g_print ("window minimum %d × %d\n", min_w, min_h);
  if (g_getenv ("PL_DUMP")) dump (GTK_WIDGET (w), 0);
  ck_assert_int_le (min_w, 1280);
  ck_assert_int_le (min_h, 800);
}

/* Emits a key press on the sample grid's key controller, as a keyboard would. */
static gboolean
press (PlWindow *w, guint keyval)
{
  GtkWidget *grid = pl_window_get_widget (w, "sample-grid");
  GListModel *controllers = gtk_widget_observe_controllers (grid);
  GtkEventController *keys = NULL;
  for (guint i = 0; i < g_list_model_get_n_items (controllers) && keys == NULL; i++)
    {
      GtkEventController *c = g_list_model_get_item (controllers, i);
      if (g_strcmp0 (gtk_event_controller_get_name (c), "pl-sample-keys") == 0)
        keys = c;
      g_object_unref (c);
    }
  g_object_unref (controllers);
  ck_assert_ptr_nonnull (keys);
  gboolean handled = FALSE;
  g_signal_emit_by_name (keys, "key-pressed", keyval, 0, (GdkModifierType) 0, &handled);
  return handled;
}

static gint64
selected_index (PlWindow *w)
{
  const PlComparison *c = pl_window_get_comparison (w);
  return c ? c->index : -1;
}

static void
check_keyboard (PlWindow *w)
{
  spin_for (0.5);
  ck_assert_int_eq (selected_index (w), 0);
  GtkWidget *grid = pl_window_get_widget (w, "sample-grid");
  GtkSelectionModel *model = gtk_grid_view_get_model (GTK_GRID_VIEW (grid));
  /* The columns as laid out: the first row's items. */
  ck_assert (press (w, GDK_KEY_Right));
  wait_until_idle (w, 60);
  ck_assert_int_eq (selected_index (w), 1);
  ck_assert (gtk_selection_model_is_selected (model, 1));
  ck_assert (press (w, GDK_KEY_Down));
  wait_until_idle (w, 60);
  gint64 below = selected_index (w);
  ck_assert_msg (below > 2 && below <= 9, "Down went to %d", (int) below);
  guint cols = (guint) (below - 1);
  ck_assert (gtk_selection_model_is_selected (model, (guint) below));
  ck_assert (press (w, GDK_KEY_Left));
  wait_until_idle (w, 60);
  ck_assert_int_eq (selected_index (w), below - 1);
  ck_assert (press (w, GDK_KEY_Up));
  wait_until_idle (w, 60);
  ck_assert_int_eq (selected_index (w), below - 1 - cols);
  ck_assert (press (w, GDK_KEY_Home));
  wait_until_idle (w, 60);
  ck_assert_int_eq (selected_index (w), 0);
  ck_assert (press (w, GDK_KEY_Up));   /* stays at the first */
  wait_until_idle (w, 60);
  ck_assert_int_eq (selected_index (w), 0);
  ck_assert (press (w, GDK_KEY_End));
  wait_until_idle (w, 60);
  ck_assert_int_eq (selected_index (w), 9999);
  /* Enter on another view shows the explanation. */
  pl_window_show_view (w, "model");
  ck_assert (press (w, GDK_KEY_Return));
  wait_until_idle (w, 60);
  GtkWidget *stack = pl_window_get_widget (w, "view-stack");
  ck_assert_str_eq (adw_view_stack_get_visible_child_name (ADW_VIEW_STACK (stack)), "saliency");
  /* Other keys are left to the grid. */
  ck_assert (!press (w, GDK_KEY_a));

  /* Tab goes through the pruning panel in reading order. */
  const char *order[] = { "sparsity-scale", "criterion", "granularity", "scope", "protect",
                          "schedule", "schedule-steps", "finetune-epochs", "history" };
  pl_window_set_schedule (w, 1, 3, 0);   /* the steps are editable for a schedule */
  gtk_widget_grab_focus (pl_window_get_widget (w, "sparsity-scale"));
  guint next = 1;
  for (int i = 0; i < 60 && next < G_N_ELEMENTS (order); i++)
    {
      gtk_widget_child_focus (GTK_WIDGET (w), GTK_DIR_TAB_FORWARD);
      GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (w));
      ck_assert_ptr_nonnull (focus);
      for (guint k = 0; k < G_N_ELEMENTS (order); k++)
        {
          GtkWidget *target = pl_window_get_widget (w, order[k]);
          if (focus == target || gtk_widget_is_ancestor (focus, target))
            {
              ck_assert_msg (k >= next - 1, "Tab reached %s after %s", order[k], order[next - 1]);
              if (k == next)
                next++;
            }
        }
    }
  ck_assert_msg (next == G_N_ELEMENTS (order), "Tab never reached %s", order[next]);
  pl_window_set_schedule (w, 0, 3, 0);
}

static void
check_tour (PlWindow *w)
{
  GtkWidget *win = GTK_WIDGET (w);
  ck_assert (!pl_tour_is_running (w));
  ck_assert (gtk_widget_activate_action (win, "win.tour", NULL));
  ck_assert (pl_tour_is_running (w));
  guint n = pl_tour_n_pages ();
  ck_assert_uint_ge (n, 5);
  GtkWidget *stack = pl_window_get_widget (w, "view-stack");
  gboolean saw_saliency = FALSE, saw_metrics = FALSE, saw_history = FALSE, saw_slider = FALSE;
  for (guint i = 0; i < n; i++)
    {
      spin_for (0.1);
      ck_assert_uint_eq (pl_tour_get_page (w), i);
      GtkWidget *popover = pl_tour_get_popover (w);
      ck_assert (gtk_widget_get_visible (popover));
      GtkWidget *target = pl_tour_get_target (w);
      ck_assert_ptr_nonnull (target);
      ck_assert (gtk_widget_is_ancestor (target, win));
      const char *view = adw_view_stack_get_visible_child_name (ADW_VIEW_STACK (stack));
      if (target == stack && g_strcmp0 (view, "saliency") == 0)
        saw_saliency = TRUE;
      if (target == stack && g_strcmp0 (view, "metrics") == 0)
        saw_metrics = TRUE;
      saw_history |= target == pl_window_get_widget (w, "history");
      saw_slider |= target == pl_window_get_widget (w, "sparsity-scale");
      if (i + 1 < n)
        pl_tour_next (w);
    }
  ck_assert (saw_saliency && saw_metrics && saw_history && saw_slider);
  /* Back and forth. */
  pl_tour_back (w);
  ck_assert_uint_eq (pl_tour_get_page (w), n - 2);
  pl_tour_next (w);
  ck_assert_uint_eq (pl_tour_get_page (w), n - 1);
  /* Next on the last page (Done) closes it; Close closes a restarted tour. */
  pl_tour_next (w);
  ck_assert (!pl_tour_is_running (w));
  ck_assert_ptr_null (pl_tour_get_popover (w));
  pl_tour_start (w);
  pl_tour_next (w);
  ck_assert_uint_eq (pl_tour_get_page (w), 1);
  pl_tour_close (w);
  ck_assert (!pl_tour_is_running (w));
}

static void
check_metrics_one_scroll (PlWindow *w)
{
  pl_window_show_view (w, "metrics");
  pl_window_compare (w, 10);
  wait_until_idle (w, 180);
  ck_assert_ptr_nonnull (pl_window_get_report (w));
  spin_for (0.5);
  GtkWidget *scroll = pl_window_get_widget (w, "metrics-scroll");
  GtkWidget *box = pl_window_get_widget (w, "metrics-box");
  GtkWidget *stack = pl_window_get_widget (w, "view-stack");
  /* The only scrolled window between the report and the view stack. */
  ck_assert_ptr_eq (gtk_widget_get_ancestor (box, GTK_TYPE_SCROLLED_WINDOW), scroll);
  ck_assert_ptr_null (gtk_widget_get_ancestor (gtk_widget_get_parent (scroll),
                                               GTK_TYPE_SCROLLED_WINDOW));
  ck_assert (gtk_widget_is_ancestor (scroll, stack));
  ck_assert (!gtk_scrolled_window_get_overlay_scrolling (GTK_SCROLLED_WINDOW (scroll)));
  /* Longer than the view at 1280 × 800: it scrolls, and the last row is reachable. */
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroll));
  ck_assert_double_gt (gtk_adjustment_get_upper (adj), gtk_adjustment_get_page_size (adj));
  ck_assert_int_le (gtk_widget_get_height (GTK_WIDGET (w)), 800);
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
  spin_for (0.3);
  GtkWidget *last = gtk_widget_get_last_child (box);
  graphene_rect_t r;
  ck_assert (gtk_widget_compute_bounds (last, scroll, &r));
  ck_assert_msg (r.origin.y + r.size.height <= gtk_widget_get_height (scroll) + 1,
                 "the last item ends at %.0f, below the view (%d)", r.origin.y + r.size.height,
                 gtk_widget_get_height (scroll));
}

/* The default session driving every tab: the longest gap between two frames while busy. */
static void
check_latency (PlWindow *w)
{
  pl_window_measure_latency (w, TRUE);
  pl_window_show_view (w, "saliency");
  pl_window_set_sparsity (w, 0.9);
  wait_until_idle (w, 120);
  ck_assert (pl_window_activate (w, "win.apply-step"));
  pl_window_select_sample (w, 3);
  wait_until_idle (w, 60);
  pl_window_show_view (w, "features");
  pl_window_set_method (w, PL_MAP_INTEGRATED_GRADIENTS);
  wait_until_idle (w, 60);
  pl_window_show_view (w, "shap");
  pl_window_select_sample (w, 4);
  wait_until_idle (w, 60);
  pl_window_show_view (w, "model");
  spin_for (0.5);
  pl_window_activate (w, "win.undo");
  wait_until_idle (w, 60);
  pl_window_activate (w, "win.redo");
  wait_until_idle (w, 60);
  pl_window_show_view (w, "metrics");
  pl_window_compare (w, 10);
  wait_until_idle (w, 120);
  pl_window_show_view (w, "sweep");
  pl_window_sweep (w);
  wait_until_idle (w, 240);
  spin_for (0.5);
  double gap = pl_window_get_max_gap_ms (w);
  g_print ("max-main-loop-gap-ms %.1f\n", gap);
  pl_window_measure_latency (w, FALSE);
  /* A frame is 16.7 ms, but this runs under Xvfb on a shared 2-core machine where the
   * worker threads and other processes take the cores: at load average 9.5 the worst gap
   * measured 340–790 ms, all of it GTK's own layout and software paint of the window, and
   * descheduling. A wall-clock bound tighter than 1 s would flake there, so what is
   * asserted tightly is that the work moved: every job computed in a worker thread
   * (pl-job.h), and applying any result cost the main thread little CPU time (CPU time is
   * not inflated by a loaded machine; applying a loaded dataset cost 240–530 ms wall before
   * session 4, now a few ms). */
  const char *kind = NULL;
  guint applied = 0, on_main = 0;
  double apply_ms = pl_window_get_max_apply_ms (w, &kind, &applied, &on_main);
  g_print ("max-apply-cpu-ms %.1f (%s), jobs %u, on the main thread %u\n", apply_ms, kind,
           applied, on_main);
  ck_assert_uint_gt (applied, 5);
  ck_assert_uint_eq (on_main, 0);
  ck_assert_msg (apply_ms < 100.0, "applying a %s result took %.0f ms of main-thread CPU",
                 kind, apply_ms);
  ck_assert_msg (gap < 1000.0, "the main loop blocked for %.0f ms", gap);
  pl_window_set_method (w, PL_MAP_SALIENCY);
  wait_until_idle (w, 60);
}

/* One window for every check (loading the demo takes seconds). */
START_TEST (test_navigation)
{
  PlWindow *w = open_default ();
  g_object_add_weak_pointer (G_OBJECT (w), (gpointer *) &w);
  check_fits_1280x800 (w);
  check_keyboard (w);
  check_tour (w);
  check_metrics_one_scroll (w);
  if (g_getenv ("PL_SKIP_LATENCY") == NULL)
    check_latency (w);
  /* The window closes cleanly with a tour shown. */
  pl_tour_start (w);
  spin_for (0.1);
  gtk_window_destroy (GTK_WINDOW (w));
  spin_for (0.3);
  ck_assert_ptr_null (w);
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
  g_setenv ("PL_NO_AUTOSAVE", "1", TRUE);
  g_setenv ("PL_NO_RECENT", "1", TRUE);
  gtk_init ();
  adw_init ();
  Suite *suite = suite_create ("navigation");
  TCase *tc = tcase_create ("main");
  tcase_set_timeout (tc, 240);
  tcase_add_test (tc, test_navigation);
  suite_add_tcase (suite, tc);
  SRunner *runner = srunner_create (suite);
  srunner_set_fork_status (runner, CK_NOFORK);
  srunner_run_all (runner, CK_NORMAL);
  int failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
