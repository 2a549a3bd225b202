/* Opening datasets: path kinds, CSV headers, table rows (no display needed), and the
 * window on a table (iris.csv with a table MLP): rows in the sample list, accuracy,
 * the comparison over rows, a model that does not fit the table shown
 * as an error naming it, recent files. The window part needs a display (xvfb-run). */
#include "config.h"

#include <adwaita.h>
#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include "pl-dataset-io.h"
#include "pl-window-private.h"
#include "pl-figure-view.h"
#include "pl-error.h"
#include "onnx/pl-onnx.h"
#include "train/pl-train.h"

static char *tmp;

static char *
write_file (const char *name, const char *text)
{
  char *path = g_build_filename (tmp, name, NULL);
  ck_assert (g_file_set_contents (path, text, -1, NULL));
  return path;
}

START_TEST (test_classify)
{
  g_autofree char *dir = g_build_filename (tmp, "folder", NULL);
  g_mkdir_with_parents (dir, 0700);
  ck_assert_int_eq (pl_dataset_io_classify ("/x/model.ONNX"), PL_PATH_MODEL);
  ck_assert_int_eq (pl_dataset_io_classify ("/x/iris.csv"), PL_PATH_TABLE);
  ck_assert_int_eq (pl_dataset_io_classify ("/x/iris.Tsv"), PL_PATH_TABLE);
  ck_assert_int_eq (pl_dataset_io_classify ("/x/a.prunelens"), PL_PATH_SESSION);
  ck_assert_int_eq (pl_dataset_io_classify (dir), PL_PATH_DATASET);
  ck_assert_int_eq (pl_dataset_io_classify ("/no/such/thing"), PL_PATH_UNKNOWN);
  ck_assert_int_eq (pl_dataset_io_classify ("/x/notes.txt"), PL_PATH_UNKNOWN);
}
END_TEST

START_TEST (test_csv_columns)
{
  g_autofree char *csv = write_file ("a.csv", "\xEF\xBB\xBF" "width, \"height\" ,kind\r\n1,2,x\n");
  g_auto (GStrv) cols = pl_dataset_io_csv_columns (csv, NULL);
  ck_assert_ptr_nonnull (cols);
  ck_assert_uint_eq (g_strv_length (cols), 3);
  ck_assert_str_eq (cols[0], "width");
  ck_assert_str_eq (cols[1], "height");
  ck_assert_str_eq (cols[2], "kind");

  g_autofree char *tsv = write_file ("b.tsv", "p,q\tr\n1\t2\n");
  g_auto (GStrv) tcols = pl_dataset_io_csv_columns (tsv, NULL);
  ck_assert_uint_eq (g_strv_length (tcols), 2);
  ck_assert_str_eq (tcols[0], "p,q");
  ck_assert_str_eq (tcols[1], "r");

  g_autofree char *semi = write_file ("c.csv", "u;v;w\n");
  g_auto (GStrv) scols = pl_dataset_io_csv_columns (semi, NULL);
  ck_assert_uint_eq (g_strv_length (scols), 3);

  g_autoptr (GError) error = NULL;
  g_autofree char *empty = write_file ("empty.csv", "");
  ck_assert_ptr_null (pl_dataset_io_csv_columns (empty, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_PARSE));
  ck_assert_ptr_nonnull (strstr (error->message, "empty.csv"));
  g_clear_error (&error);
  ck_assert_ptr_null (pl_dataset_io_csv_columns ("/no/such/file.csv", &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_IO));
  ck_assert_ptr_nonnull (strstr (error->message, "/no/such/file.csv"));
}
END_TEST

START_TEST (test_row_text)
{
  const char *text = "a,b,c,d,e,label\n5.1,3.5,1.4,0.2,-7,x\n1,2,3,4,5,y\n";
  g_autoptr (GError) error = NULL;
  PlDataset *ds = pl_dataset_load_csv_data (text, strlen (text), "t.csv", NULL, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  g_autofree char *r0 = pl_dataset_io_row_text (ds, 0, 4);
  ck_assert_str_eq (r0, "5.1 3.5 1.4 0.2 …");
  g_autofree char *r1 = pl_dataset_io_row_text (ds, 1, 5);
  ck_assert_str_eq (r1, "1 2 3 4 5");
  ck_assert_ptr_null (pl_dataset_io_row_text (ds, 2, 4));
  ck_assert_ptr_null (pl_dataset_io_row_text (ds, -1, 4));
  g_autofree char *d0 = pl_dataset_io_row_details (ds, 0);
  ck_assert_str_eq (d0, "a = 5.1\nb = 3.5\nc = 1.4\nd = 0.2\ne = -7");
  pl_dataset_unref (ds);
}
END_TEST

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
}

static char *
table_model (gint n_features, gint n_classes, const char *name)
{
  g_autoptr (GError) error = NULL;
  PlGraph *g = pl_model_build_table (n_features, n_classes, NULL, NULL, 7, &error);
  ck_assert_msg (g != NULL, "%s", error ? error->message : "");
  char *path = g_build_filename (tmp, name, NULL);
  ck_assert_msg (pl_onnx_save_file (g, path, &error), "%s", error ? error->message : "");
  pl_graph_unref (g);
  return path;
}

static gboolean
menu_has (GMenuModel *menu, const char *path)
{
  for (gint i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autoptr (GVariant) target = g_menu_model_get_item_attribute_value (
          menu, i, G_MENU_ATTRIBUTE_TARGET, G_VARIANT_TYPE_STRING);
      if (target && g_str_equal (g_variant_get_string (target, NULL), path))
        return TRUE;
    }
  return FALSE;
}

START_TEST (test_window_table)
{
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    return;   /* no display: the window part is skipped */
  const char *src = g_getenv ("PL_SOURCE_DIR");
  ck_assert_ptr_nonnull (src);
  g_autofree char *iris = g_build_filename (src, "data", "datasets", "iris.csv", NULL);
  g_autofree char *model = table_model (4, 3, "iris-mlp.onnx");

  PlWindowOptions options = { .model_path = model, .dataset_dir = iris };
  PlWindow *w = pl_window_new (NULL, &options);
  gtk_window_set_default_size (GTK_WINDOW (w), 1280, 800);
  gtk_window_present (GTK_WINDOW (w));
  iterate_while_busy (w, 60);
  ck_assert_msg (pl_window_get_last_error (w) == NULL, "%s", pl_window_get_last_error (w));
  ck_assert (pl_window_is_table (w));
  double acc = pl_window_get_accuracy (w, FALSE);
  ck_assert_msg (acc >= 0.0 && acc <= 1.0, "accuracy %f", acc);
  /* The views explain the selected row: feature bars, one pair per feature (4). */
  ck_assert_ptr_nonnull (pl_window_get_comparison (w));
  for (gint k = 0; k < PL_FIGURE_N_KINDS; k++)
    {
      PlFigureView *view = PL_FIGURE_VIEW (pl_window_get_figure_view (w, k));
      ck_assert_ptr_null (pl_figure_view_get_figure (view));
      const PlTableFigure *tf = pl_figure_view_get_table_figure (view);
      ck_assert_ptr_nonnull (tf);
      ck_assert_int_eq (pl_table_figure_bars (tf)->n_bars, 4);
      ck_assert_int_eq (pl_table_figure_bars (tf)->n_groups, 2);
    }
  /* Exported at the export options' size: 2 × 1 inches at 100 dpi = 200 × 100 pixels. */
  PlExportOptions eo = { .width = 2.0, .height = 1.0, .inches = TRUE, .dpi = 100.0,
                         .captions = TRUE };
  pl_window_set_export_options (w, &eo);
  pl_window_show_view (w, "features");
  g_autofree char *png = g_build_filename (tmp, "features.png", NULL);
  g_autoptr (GError) export_error = NULL;
  ck_assert_msg (pl_window_export_view (w, png, &export_error), "%s",
                 export_error ? export_error->message : "");
  cairo_surface_t *surface = cairo_image_surface_create_from_png (png);
  ck_assert_int_eq (cairo_image_surface_get_width (surface), 200);
  ck_assert_int_eq (cairo_image_surface_get_height (surface), 100);
  cairo_surface_destroy (surface);
  /* Pruning works on a table. */
  pl_window_set_sparsity (w, 0.5);
  iterate_while_busy (w, 60);
  ck_assert_msg (pl_window_get_last_error (w) == NULL, "%s", pl_window_get_last_error (w));
  double s = pl_window_get_achieved_sparsity (w);
  /* Default protection (issue 5): the final classifier (32·3 weights) keeps all of them;
   * half of the other 4·64 + 64·32 = 2304 go: 1152 of 2400. */
  ck_assert_double_eq_tol (s, 1152.0 / 2400.0, 1e-9);
  /* Comparing works on rows: a report over 10 rows with per-feature similarities (SSIM
   * does not apply to rows). */
  pl_window_compare (w, 10);
  iterate_while_busy (w, 120);
  ck_assert_msg (pl_window_get_last_error (w) == NULL, "%s", pl_window_get_last_error (w));
  const PlCompareReport *report = pl_window_get_report (w);
  ck_assert_ptr_nonnull (report);
  ck_assert (report->table);

  /* Recent files: the model and the table were recorded. */
  GMenuModel *recent = pl_window_get_recent_menu (w);
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!menu_has (recent, iris) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  ck_assert_msg (menu_has (recent, iris), "iris.csv not in Open Recent (%d items)",
                 g_menu_model_get_n_items (recent));
  ck_assert (menu_has (recent, model));

  /* A table whose features do not fit the model: an error naming it; the window keeps
   * the loaded table. */
  g_autofree char *wide = write_file ("wide.csv", "a,b,c,label\n1,2,3,x\n4,5,6,y\n");
  pl_window_open_dataset (w, wide, "label");
  iterate_while_busy (w, 60);
  const char *err = pl_window_get_last_error (w);
  ck_assert_ptr_nonnull (err);
  ck_assert_msg (strstr (err, "wide") != NULL, "error does not name the table: %s", err);
  ck_assert (pl_window_is_table (w));

  gtk_window_destroy (GTK_WINDOW (w));
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
}
END_TEST

int
main (void)
{
  tmp = g_dir_make_tmp ("pl-dataset-io-XXXXXX", NULL);
  g_autofree char *data_home = g_build_filename (tmp, "data-home", NULL);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_setenv ("PL_NO_AUTOSAVE", "1", TRUE);
  g_unsetenv ("PL_NO_RECENT");
  gboolean display = g_getenv ("DISPLAY") != NULL || g_getenv ("WAYLAND_DISPLAY") != NULL;
  if (display)
    {
      gtk_init ();
      adw_init ();
    }
  Suite *suite = suite_create ("dataset-io");
  TCase *tc = tcase_create ("main");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_classify);
  tcase_add_test (tc, test_csv_columns);
  tcase_add_test (tc, test_row_text);
  tcase_add_test (tc, test_window_table);
  suite_add_tcase (suite, tc);
  SRunner *runner = srunner_create (suite);
  srunner_set_fork_status (runner, CK_NOFORK);
  srunner_run_all (runner, CK_NORMAL);
  int failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  if (system (cmd) != 0)
    g_printerr ("could not remove %s\n", tmp);
  g_free (tmp);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
