/* Issue 9, what a newcomer found: the label column the Open Table dialog proposes, the
 * guided tour at 0 % sparsity (Apply insensitive) stepping through every page with its
 * buttons live and Escape closing it, and the Protected Layers popover showing every row
 * with a lock button that tells default / none / custom apart. The GUI part needs a display
 * (xvfb-run); without one only the table part runs. */
#include "config.h"

#include <adwaita.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "pl-error.h"
#include "pl-dataset-io.h"
#include "pl-protect-popover.h"
#include "pl-window-private.h"
#include "pl-tour.h"

static char *tmp_dir;

static char *
write_file (const char *name, const char *text)
{
  char *path = g_build_filename (tmp_dir, name, NULL);
  ck_assert (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static gint
guess (const char *name, const char *text)
{
  g_autofree char *path = write_file (name, text);
  g_autoptr (GError) error = NULL;
  gint k = pl_dataset_io_guess_label_column (path, &error);
  ck_assert_msg (error == NULL, "%s", error ? error->message : "");
  return k;
}

START_TEST (test_label_column)
{
  /* A column named like a label wins, case-insensitively, wherever it is, even when it is
   * numeric and others are text; "label" before "y". */
  ck_assert_int_eq (guess ("a.csv", "a,b,species,c\n1,2,setosa,3\n"), 2);
  ck_assert_int_eq (guess ("b.csv", "Class,f1,f2,name\n0,1.5,2,x\n1,2.5,3,y\n"), 0);
  ck_assert_int_eq (guess ("c.csv", "y,f,LABEL,g\n1,2,3,4\n"), 2);
  ck_assert_int_eq (guess ("d.csv", "x1,target,x2\n1,0,2\n"), 1);
  /* Otherwise the last column holding text, not the numeric last one with many values. */
  ck_assert_int_eq (guess ("e.csv", "f1,kind,f2,size\n1,a,2,3.25\n4,b,5,6e-3\n7,c,8,-9\n"
                                    "1,d,2,10\n"), 1);
  /* Quoted, semicolon-separated, CRLF. */
  ck_assert_int_eq (guess ("f.csv", "\"w\";\"animal\";\"h\"\r\n1;\"cat\";2\r\n3;\"dog\";4\r\n"),
                    1);
  ck_assert_int_eq (guess ("g.tsv", "p\tq\tr\tnote\n1\tx\t2\t3\n4\t5\t6\t7\n"), 1);
  /* All numeric: the last column. */
  ck_assert_int_eq (guess ("h.csv", "f1,f2,f3\n1,2,3\n4,5,6\n7,8,9\n"), 2);
  ck_assert_int_eq (guess ("i.csv", "f1,f2\n"), 1);
  /* Errors as pl_dataset_io_csv_columns. */
  g_autoptr (GError) error = NULL;
  g_autofree char *one = write_file ("one.csv", "only\n1\n");
  ck_assert_int_eq (pl_dataset_io_guess_label_column (one, &error), -1);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_PARSE));
  g_clear_error (&error);
  ck_assert_int_eq (pl_dataset_io_guess_label_column ("/no/such/table.csv", &error), -1);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_IO));
}
END_TEST

static void
spin_for (double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

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

/* The first button under widget whose label is text (mnemonic included). */
static GtkWidget *
find_button (GtkWidget *widget, const char *text)
{
  if (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), text) == 0)
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_button (c, text);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
press_escape (PlWindow *w)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (w));
  gboolean handled = FALSE;
  for (guint i = 0; i < g_list_model_get_n_items (controllers) && !handled; i++)
    {
      g_autoptr (GtkEventController) c = g_list_model_get_item (controllers, i);
      if (GTK_IS_EVENT_CONTROLLER_KEY (c))
        g_signal_emit_by_name (c, "key-pressed", GDK_KEY_Escape, 9, (GdkModifierType) 0,
                               &handled);
    }
  return handled;
}

static void
check_tour_at_zero (PlWindow *w)
{
  /* The demo starts at 0 % sparsity. */
  spin_for (0.2);
  GtkWidget *apply = pl_window_get_widget (w, "apply");
  /* The case the newcomer hit: Apply is insensitive at 0 %. */
  ck_assert (!gtk_widget_is_sensitive (apply));
  pl_tour_start (w);
  guint n = pl_tour_n_pages ();
  for (guint i = 0; i < n; i++)
    {
      spin_for (0.15);
      ck_assert_uint_eq (pl_tour_get_page (w), i);
      GtkWidget *popover = pl_tour_get_popover (w);
      ck_assert (gtk_widget_get_visible (popover));
      ck_assert_msg (gtk_widget_is_sensitive (popover), "page %u: the tour is insensitive", i);
      GtkWidget *close = find_button (popover, "_Close");
      GtkWidget *back = find_button (popover, "_Back");
      GtkWidget *next = find_button (popover, i + 1 < n ? "_Next" : "_Done");
      ck_assert (close && back && next);
      ck_assert (gtk_widget_is_sensitive (close));
      ck_assert (gtk_widget_is_sensitive (next));
      ck_assert (gtk_widget_is_sensitive (back) == (i > 0));
      /* Every button is laid out whole inside the popover. */
      spin_for (0.1);
      GtkWidget *child = gtk_popover_get_child (GTK_POPOVER (popover));
      graphene_rect_t r;
      ck_assert (gtk_widget_compute_bounds (next, child, &r));
      ck_assert_msg (r.size.height > 10 &&
                     r.origin.y + r.size.height <= gtk_widget_get_height (child) + 0.5,
                     "page %u: Next ends at %.0f of %d", i, r.origin.y + r.size.height,
                     gtk_widget_get_height (child));
      /* The target the popover points at is the page's widget, laid out in the window. */
      GtkWidget *target = pl_tour_get_target (w);
      ck_assert (gtk_widget_is_ancestor (target, GTK_WIDGET (w)));
      if (i == 2)
        ck_assert_ptr_eq (target, apply);
      /* Clicking Next (Done on the last page) moves on. */
      g_signal_emit_by_name (next, "clicked");
      if (i + 1 < n)
        ck_assert_uint_eq (pl_tour_get_page (w), i + 1);
    }
  ck_assert (!pl_tour_is_running (w));
  /* Escape closes the tour on the Apply page; it is not taken when no tour runs. */
  pl_tour_start (w);
  pl_tour_next (w);
  pl_tour_next (w);
  spin_for (0.1);
  ck_assert (pl_tour_is_running (w));
  ck_assert (press_escape (w));
  ck_assert (!pl_tour_is_running (w));
  ck_assert (!press_escape (w));

  /* With a computation running, Escape cancels it first (as without a tour) and the tour
   * stays; the next Escape closes the tour (session 4). */
  pl_tour_start (w);
  spin_for (0.1);
  pl_window_set_sparsity (w, 0.6);   /* a prune about to start, then running */
  ck_assert (pl_window_can_cancel (w));
  ck_assert (press_escape (w));
  ck_assert (!pl_window_can_cancel (w));
  ck_assert (pl_tour_is_running (w));
  spin_for (0.4);                    /* the debounce would have started the prune by now */
  ck_assert (!pl_window_can_cancel (w));
  ck_assert (press_escape (w));
  ck_assert (!pl_tour_is_running (w));
  ck_assert (!press_escape (w));
}

static void
check_protect (PlWindow *w)
{
  GtkWidget *button = pl_window_get_widget (w, "protect");
  GtkPopover *popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (button));
  guint n = pl_protect_popover_n_layers (popover);
  ck_assert_uint_eq (n, 4);   /* conv1, conv2, fc1, fc2 of the demo network */
  const char *tip = gtk_widget_get_tooltip_text (button);
  ck_assert_msg (strstr (tip, "default") != NULL, "%s", tip);
  gtk_menu_button_popup (GTK_MENU_BUTTON (button));
  spin_for (0.4);
  ck_assert (gtk_widget_get_mapped (GTK_WIDGET (popover)));
  /* Every row lies inside the visible part of the list. */
  GtkWidget *first = NULL;
  GtkWidget *child = gtk_popover_get_child (popover);
  for (GtkWidget *c = child; c != NULL;)
    {
      if (GTK_IS_CHECK_BUTTON (c))
        {
          first = c;
          break;
        }
      GtkWidget *down = gtk_widget_get_first_child (c);
      while (down == NULL && c != NULL && c != child)
        {
          down = gtk_widget_get_next_sibling (c);
          if (down == NULL)
            c = gtk_widget_get_parent (c);
        }
      c = down;
    }
  ck_assert_ptr_nonnull (first);
  GtkWidget *scroll = gtk_widget_get_ancestor (first, GTK_TYPE_SCROLLED_WINDOW);
  ck_assert_ptr_nonnull (scroll);
  guint rows = 0;
  for (GtkWidget *row = first; row; row = gtk_widget_get_next_sibling (row), rows++)
    {
      graphene_rect_t r;
      ck_assert (gtk_widget_compute_bounds (row, scroll, &r));
      ck_assert_msg (r.size.height > 5 && r.origin.y >= -0.5 &&
                     r.origin.y + r.size.height <= gtk_widget_get_height (scroll) + 0.5,
                     "row %u (%.0f..%.0f) is cut off by the list (%d high)", rows, r.origin.y,
                     r.origin.y + r.size.height, gtk_widget_get_height (scroll));
    }
  ck_assert_uint_eq (rows, 4);
  /* PL_GUIFIX_PAUSE=S keeps the popover open S seconds (to take a screenshot). */
  if (g_getenv ("PL_GUIFIX_PAUSE") != NULL)
    spin_for (g_ascii_strtod (g_getenv ("PL_GUIFIX_PAUSE"), NULL));
  /* The lock button tells none / custom / default apart (tooltip and accessible label). */
  const char *none[] = { NULL };
  pl_protect_popover_set_protected (popover, none);
  tip = gtk_widget_get_tooltip_text (button);
  ck_assert_msg (strstr (tip, "none") != NULL, "%s", tip);
  ck_assert_str_eq (gtk_menu_button_get_icon_name (GTK_MENU_BUTTON (button)),
                    "changes-allow-symbolic");
  const char *one[] = { "fc1", NULL };
  pl_protect_popover_set_protected (popover, one);
  tip = gtk_widget_get_tooltip_text (button);
  ck_assert_msg (strstr (tip, "custom (1 layer)") != NULL, "%s", tip);
  pl_protect_popover_set_protected (popover, NULL);
  tip = gtk_widget_get_tooltip_text (button);
  ck_assert_msg (strstr (tip, "default (2 recommended layers)") != NULL, "%s", tip);
  ck_assert_str_eq (gtk_menu_button_get_icon_name (GTK_MENU_BUTTON (button)),
                    "changes-prevent-symbolic");
  gtk_menu_button_popdown (GTK_MENU_BUTTON (button));
  spin_for (0.2);
  wait_until_idle (w, 60);
}

START_TEST (test_window)
{
  const char *src = g_getenv ("PL_SOURCE_DIR");
  ck_assert_ptr_nonnull (src);
  g_autofree char *model = g_build_filename (src, "data", "models", "fashion-cnn.onnx", NULL);
  PlWindowOptions options = { .model_path = model, .dataset_dir = PL_DEFAULT_DATASET_DIR };
  PlWindow *w = pl_window_new (NULL, &options);
  g_object_add_weak_pointer (G_OBJECT (w), (gpointer *) &w);
  gtk_window_set_default_size (GTK_WINDOW (w), 1280, 800);
  gtk_window_present (GTK_WINDOW (w));
  wait_until_idle (w, 120);
  check_tour_at_zero (w);
  check_protect (w);
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
  g_setenv ("PL_NO_AUTOSAVE", "1", TRUE);
  g_setenv ("PL_NO_RECENT", "1", TRUE);
  g_setenv ("LANGUAGE", "C", TRUE);
  tmp_dir = g_dir_make_tmp ("pl-guifix-XXXXXX", NULL);
  gboolean display = g_getenv ("DISPLAY") != NULL || g_getenv ("WAYLAND_DISPLAY") != NULL;
  if (display)
    {
      gtk_init ();
      adw_init ();
    }
  else
    g_print ("no display: only the table checks run (use xvfb-run for the rest)\n");
  Suite *suite = suite_create ("guifix");
  TCase *tc = tcase_create ("main");
  tcase_set_timeout (tc, 240);
  tcase_add_test (tc, test_label_column);
  if (display)
    tcase_add_test (tc, test_window);
  suite_add_tcase (suite, tc);
  SRunner *runner = srunner_create (suite);
  srunner_set_fork_status (runner, CK_NOFORK);
  srunner_run_all (runner, CK_NORMAL);
  int failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp_dir);
  (void) !system (cmd);
  g_free (tmp_dir);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
