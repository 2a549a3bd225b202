/* Test of the sample browser's filters (pl-sample-filter.h) on the default model: the
 * original and a 90 % pruned network classify the first 1000 Fashion-MNIST test images;
 * the filtered list and the bar's "n of N shown" match a hand count for every class, for
 * "prediction changed", "misclassified" and their combinations; samples without known
 * predictions never pass a prediction toggle; Clear shows everything again. In the
 * workbench window (90 % sparsity): the bar above the grid counts the pruned network's
 * mistakes as its accuracy says, the grid selects the right sample through a filter, going
 * to a hidden index clears the filters, and the LIME / SHAP tab explains the sample.
 * The filter part needs no display; the bar and the window are skipped without one. */
#include "config.h"

#include <adwaita.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "pl-sample-filter.h"
#include "pl-lime-shap-view.h"
#include "pl-window-private.h"
#include <glib/gstdio.h>
#include <math.h>
#include "exec/pl-executor.h"
#include "onnx/pl-onnx.h"
#include "prune/pl-prune.h"

#define N_EVAL 1000
#define N_LIST 1200   /* the last 200 have no predictions */

static PlDataset *ds;
static gint pred[2][N_EVAL];

static gboolean
predictions (gint64 index, gint *original, gint *pruned, gpointer user_data)
{
  gint *calls = user_data;
  (*calls)++;
  if (index < 0 || index >= N_EVAL)
    return FALSE;
  *original = pred[0][index];
  *pruned = pred[1][index];
  return TRUE;
}

static void
setup (void)
{
  const char *src = g_getenv ("PL_SOURCE_DIR");
  ck_assert_ptr_nonnull (src);
  g_autofree char *model = g_build_filename (src, "data", "models", "fashion-cnn.onnx", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = pl_onnx_load_file (model, &error);
  ck_assert_msg (g != NULL, "%s", error ? error->message : "");
  g_autoptr (PlGraph) pruned = pl_prune_magnitude (g, 0.9, PL_PRUNE_SCOPE_GLOBAL, &error);
  ck_assert_ptr_nonnull (pruned);
  ds = pl_dataset_load_fashion_mnist (PL_DEFAULT_DATASET_DIR, "test", &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  g_autoptr (PlTensor) x = pl_dataset_range (ds, 0, N_EVAL, &error);
  ck_assert_ptr_nonnull (x);
  PlGraph *graphs[2] = { g, pruned };
  for (int n = 0; n < 2; n++)
    {
      PlExecutor *ex = pl_executor_new (graphs[n], &error);
      ck_assert_ptr_nonnull (ex);
      g_autoptr (PlTensor) logits = pl_executor_predict (ex, x, 256, NULL, &error);
      ck_assert_ptr_nonnull (logits);
      gint64 K = logits->shape[1];
      for (int i = 0; i < N_EVAL; i++)
        pred[n][i] = (gint) pl_tensor_argmax (logits->data + i * K, K);
      pl_executor_free (ex);
    }
}

static void
teardown (void)
{
  g_clear_pointer (&ds, pl_dataset_unref);
}

/* The hand count: samples 0 … N_LIST − 1 passing (class k or −1, changed, wrong). */
static guint
hand_count (gint k, gboolean changed, gboolean wrong)
{
  guint n = 0;
  for (int i = 0; i < N_LIST; i++)
    {
      if (k >= 0 && ds->labels[i] != k)
        continue;
      if (changed || wrong)
        {
          if (i >= N_EVAL)
            continue;
          if (changed && pred[0][i] == pred[1][i])
            continue;
          if (wrong && pred[1][i] == ds->labels[i])
            continue;
        }
      n++;
    }
  return n;
}

static GtkStringList *
sample_list (void)
{
  GtkStringList *list = gtk_string_list_new (NULL);
  for (int i = 0; i < N_LIST; i++)
    {
      char buf[16];
      g_snprintf (buf, sizeof buf, "%d", i);
      gtk_string_list_append (list, buf);
    }
  return list;
}

START_TEST (test_filter_counts)
{
  gint calls = 0;
  PlSampleFilter *filter = pl_sample_filter_new ();
  pl_sample_filter_set_data (filter, ds, predictions, &calls, NULL);
  GtkFilterListModel *model = gtk_filter_list_model_new (G_LIST_MODEL (sample_list ()),
                                                         GTK_FILTER (g_object_ref (filter)));
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (model)), N_LIST);
  ck_assert (!pl_sample_filter_is_active (filter));

  /* the hand counts are not trivial: some changed, some wrong, not all */
  guint changed = hand_count (-1, TRUE, FALSE), wrong = hand_count (-1, FALSE, TRUE);
  ck_assert_uint_gt (changed, 0);
  ck_assert_uint_lt (changed, N_EVAL);
  ck_assert_uint_gt (wrong, 0);
  ck_assert_uint_lt (wrong, N_EVAL);

  for (gint k = -1; k < ds->n_classes; k++)
    for (int c = 0; c < 2; c++)
      for (int w = 0; w < 2; w++)
        {
          pl_sample_filter_set_class (filter, k);
          pl_sample_filter_set_changed_only (filter, c);
          pl_sample_filter_set_misclassified_only (filter, w);
          ck_assert (pl_sample_filter_is_active (filter) == (k >= 0 || c || w));
          guint expect = hand_count (k, c, w);
          ck_assert_msg (g_list_model_get_n_items (G_LIST_MODEL (model)) == expect,
                         "class %d changed %d wrong %d: %u shown, hand count %u", k, c, w,
                         g_list_model_get_n_items (G_LIST_MODEL (model)), expect);
          /* and the right ones */
          guint n = g_list_model_get_n_items (G_LIST_MODEL (model));
          for (guint j = 0; j < n; j++)
            {
              g_autoptr (GObject) item = g_list_model_get_item (G_LIST_MODEL (model), j);
              gint64 i = pl_sample_filter_item_index (item);
              ck_assert (i >= 0 && i < N_LIST);
              if (k >= 0)
                ck_assert_int_eq (ds->labels[i], k);
              if (c || w)
                ck_assert_int_lt (i, N_EVAL);
              if (c)
                ck_assert_int_ne (pred[0][i], pred[1][i]);
              if (w)
                ck_assert_int_ne (pred[1][i], ds->labels[i]);
            }
        }
  ck_assert_int_gt (calls, 0);
  /* a class filter alone never asks for predictions */
  pl_sample_filter_set_changed_only (filter, FALSE);
  pl_sample_filter_set_misclassified_only (filter, FALSE);
  pl_sample_filter_set_class (filter, 3);
  calls = 0;
  pl_sample_filter_set_class (filter, 4);
  ck_assert_int_eq (calls, 0);
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (model)), hand_count (4, FALSE, FALSE));

  /* other predictions: re-filtered on request */
  pl_sample_filter_set_class (filter, -1);
  pl_sample_filter_set_changed_only (filter, TRUE);
  for (int i = 0; i < N_EVAL; i++)
    pred[1][i] = pred[0][i];
  pred[1][7] = (pred[0][7] + 1) % 10;
  pl_sample_filter_predictions_changed (filter);
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (model)), 1);
  g_autoptr (GObject) only = g_list_model_get_item (G_LIST_MODEL (model), 0);
  ck_assert_int_eq (pl_sample_filter_item_index (only), 7);

  /* odd items never crash */
  ck_assert_int_eq (pl_sample_filter_item_index (NULL), -1);
  g_autoptr (GtkStringObject) bad = gtk_string_object_new ("12x");
  ck_assert_int_eq (pl_sample_filter_item_index (bad), -1);
  ck_assert (!pl_sample_filter_matches_index (filter, -1));
  ck_assert (!pl_sample_filter_matches_index (filter, ds->n));
  /* no dataset: nothing passes an active filter, everything an inactive one */
  pl_sample_filter_set_data (filter, NULL, NULL, NULL, NULL);
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (model)), N_LIST);
  pl_sample_filter_set_class (filter, 0);
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (model)), 0);
  g_object_unref (model);
  g_object_unref (filter);
}
END_TEST

START_TEST (test_filter_bar)
{
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    return;
  gtk_init ();
  adw_init ();
  gint calls = 0;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *bar = pl_sample_filter_bar_new ();
  PlSampleFilterBar *b = PL_SAMPLE_FILTER_BAR (bar);
  g_object_add_weak_pointer (G_OBJECT (bar), (gpointer *) &bar);
  gtk_window_set_child (GTK_WINDOW (window), bar);
  gtk_window_present (GTK_WINDOW (window));
  pl_sample_filter_bar_set_data (b, ds, predictions, &calls, NULL);
  GtkFilterListModel *model =
      gtk_filter_list_model_new (G_LIST_MODEL (sample_list ()),
                                 GTK_FILTER (g_object_ref (pl_sample_filter_bar_get_filter (b))));
  pl_sample_filter_bar_set_model (b, model);
  GtkWidget *count = pl_sample_filter_bar_get_widget (b, "count");
  GtkWidget *dropdown = pl_sample_filter_bar_get_widget (b, "class");
  ck_assert_str_eq (gtk_label_get_label (GTK_LABEL (count)), "1200 of 1200 shown");
  ck_assert (!gtk_widget_get_sensitive (pl_sample_filter_bar_get_widget (b, "clear")));
  /* "All classes" and the ten classes */
  GListModel *classes = gtk_drop_down_get_model (GTK_DROP_DOWN (dropdown));
  ck_assert_uint_eq (g_list_model_get_n_items (classes), 11);
  ck_assert_str_eq (gtk_string_list_get_string (GTK_STRING_LIST (classes), 0), "All classes");
  ck_assert_str_eq (gtk_string_list_get_string (GTK_STRING_LIST (classes), 10), "Ankle boot");

  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), 10);   /* Ankle boot = 9 */
  ck_assert_int_eq (pl_sample_filter_get_class (pl_sample_filter_bar_get_filter (b)), 9);
  g_autofree char *t1 = g_strdup_printf ("%u of 1200 shown", hand_count (9, FALSE, FALSE));
  ck_assert_str_eq (gtk_label_get_label (GTK_LABEL (count)), t1);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (pl_sample_filter_bar_get_widget (b, "misclassified")),
                               TRUE);
  g_autofree char *t2 = g_strdup_printf ("%u of 1200 shown", hand_count (9, FALSE, TRUE));
  ck_assert_str_eq (gtk_label_get_label (GTK_LABEL (count)), t2);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), 0);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (pl_sample_filter_bar_get_widget (b, "changed")),
                               TRUE);
  g_autofree char *t3 = g_strdup_printf ("%u of 1200 shown", hand_count (-1, TRUE, TRUE));
  ck_assert_str_eq (gtk_label_get_label (GTK_LABEL (count)), t3);
  ck_assert (gtk_widget_get_sensitive (pl_sample_filter_bar_get_widget (b, "clear")));

  g_signal_emit_by_name (pl_sample_filter_bar_get_widget (b, "clear"), "clicked");
  ck_assert_str_eq (gtk_label_get_label (GTK_LABEL (count)), "1200 of 1200 shown");
  ck_assert (!gtk_check_button_get_active (GTK_CHECK_BUTTON (pl_sample_filter_bar_get_widget (b, "changed"))));
  ck_assert (!gtk_check_button_get_active (GTK_CHECK_BUTTON (pl_sample_filter_bar_get_widget (b, "misclassified"))));
  ck_assert_uint_eq (gtk_drop_down_get_selected (GTK_DROP_DOWN (dropdown)), 0);
  ck_assert (!pl_sample_filter_is_active (pl_sample_filter_bar_get_filter (b)));

  /* a dataset without classes hides the drop-down */
  pl_sample_filter_bar_set_data (b, NULL, NULL, NULL, NULL);
  ck_assert (!gtk_widget_is_visible (dropdown));
  pl_sample_filter_bar_set_model (b, NULL);
  g_object_unref (model);
  gtk_window_destroy (GTK_WINDOW (window));
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  ck_assert_ptr_null (bar);
}
END_TEST

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

static gint64
selected_index (PlWindow *w)
{
  GtkGridView *grid = GTK_GRID_VIEW (pl_window_get_widget (w, "sample-grid"));
  GtkSingleSelection *sel = GTK_SINGLE_SELECTION (gtk_grid_view_get_model (grid));
  gpointer item = gtk_single_selection_get_selected_item (sel);
  return item != NULL ? pl_sample_filter_item_index (item) : -1;
}

START_TEST (test_window)
{
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    return;
  gtk_init ();
  adw_init ();
  const char *src = g_getenv ("PL_SOURCE_DIR");
  g_autofree char *model = g_build_filename (src, "data", "models", "fashion-cnn.onnx", NULL);
  g_autofree char *state = g_dir_make_tmp ("pl-state-XXXXXX", NULL);
  g_setenv ("XDG_STATE_HOME", state, TRUE);
  PlWindowOptions options = { .model_path = model, .dataset_dir = PL_DEFAULT_DATASET_DIR,
                              .sparsity = 0.9, .index = 0 };
  PlWindow *w = pl_window_new (NULL, &options);
  g_object_add_weak_pointer (G_OBJECT (w), (gpointer *) &w);
  gtk_window_set_default_size (GTK_WINDOW (w), 1400, 900);
  gtk_window_present (GTK_WINDOW (w));
  wait_until_idle (w, 180);
  PlSampleFilterBar *bar = PL_SAMPLE_FILTER_BAR (pl_window_get_widget (w, "sample-filter"));
  ck_assert_ptr_nonnull (bar);
  PlSampleFilter *filter = pl_sample_filter_bar_get_filter (bar);
  GtkWidget *count = pl_sample_filter_bar_get_widget (bar, "count");
  g_autofree char *all = g_strdup_printf ("%d of %d shown", (int) ds->n, (int) ds->n);
  ck_assert_str_eq (gtk_label_get_label (GTK_LABEL (count)), all);

  /* the pruned network's mistakes among the evaluated samples: (1 − accuracy) · n */
  double acc = pl_window_get_accuracy (w, TRUE);
  ck_assert (acc > 0.1 && acc < 1.0);
  g_autoptr (GSettings) settings = g_settings_new ("org.prunelens.PruneLens");
  gint n_eval = MIN (g_settings_get_int (settings, "eval-samples"), (gint) ds->n);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (pl_sample_filter_bar_get_widget (bar, "misclassified")),
                               TRUE);
  g_autofree char *wrong = g_strdup_printf ("%ld of %d shown", lround ((1.0 - acc) * n_eval),
                                            (int) ds->n);
  ck_assert_str_eq (gtk_label_get_label (GTK_LABEL (count)), wrong);

  /* a shown sample is selected through the filter: the grid selects that very sample */
  GtkGridView *grid = GTK_GRID_VIEW (pl_window_get_widget (w, "sample-grid"));
  GListModel *shown = G_LIST_MODEL (gtk_grid_view_get_model (grid));
  ck_assert_uint_gt (g_list_model_get_n_items (shown), 2);
  g_autoptr (GObject) second = g_list_model_get_item (shown, 1);
  gint64 i = pl_sample_filter_item_index (second);
  ck_assert_int_gt (i, 1);   /* not its position */
  pl_window_select_sample (w, i);
  ck_assert_int_eq (selected_index (w), i);
  ck_assert (pl_sample_filter_is_active (filter));
  wait_until_idle (w, 120);

  /* go to a hidden sample: the filters are cleared and the sample is selected */
  gint64 hidden = -1;
  for (gint64 j = 0; j < n_eval && hidden < 0; j++)
    if (!pl_sample_filter_matches_index (filter, j) && j != i)
      hidden = j;
  ck_assert_int_ge (hidden, 0);
  pl_window_select_sample (w, hidden);
  ck_assert (!pl_sample_filter_is_active (filter));
  ck_assert_str_eq (gtk_label_get_label (GTK_LABEL (count)), all);
  ck_assert_int_eq (selected_index (w), hidden);
  wait_until_idle (w, 120);

  /* the LIME / SHAP tab explains it with both networks */
  pl_window_show_view (w, "shap");
  wait_until_idle (w, 180);
  PlLimeShapView *view = PL_LIME_SHAP_VIEW (pl_window_get_widget (w, "lime-shap"));
  const PlLimeShapFigure *f = pl_lime_shap_view_get_figure (view);
  ck_assert_ptr_nonnull (f);
  ck_assert_int_eq (f->n_methods, 2);
  g_autofree char *sample = g_strdup_printf ("#%d", (int) hidden);
  ck_assert_ptr_nonnull (strstr (f->caption, sample));
  /* the achieved sparsity as the other figures give it: "… (89.38 % of all)" */
  g_autofree char *sparsity = g_strdup_printf ("(%.2f %% of all)",
                                               100.0 * pl_window_get_achieved_sparsity (w));
  ck_assert_msg (strstr (f->caption, sparsity) != NULL, "caption “%s”", f->caption);
  for (int n = 0; n < 2; n++)
    {
      ck_assert (f->cells[0][n].r2 >= 0 && f->cells[0][n].r2 <= 1);
      ck_assert (fabs (f->cells[1][n].residual) < 1e-3);
    }
  /* exported as shown */
  g_autofree char *png = g_build_filename (state, "lime-shap.png", NULL);
  g_autoptr (GError) error = NULL;
  ck_assert_msg (pl_window_export_view (w, png, &error), "%s", error ? error->message : "");
  ck_assert (g_file_test (png, G_FILE_TEST_IS_REGULAR));
  g_remove (png);

  gtk_window_destroy (GTK_WINDOW (w));
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (w != NULL && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  ck_assert_ptr_null (w);
}
END_TEST

int
main (void)
{
  Suite *suite = suite_create ("sample-filter");
  TCase *tc = tcase_create ("filter");
  tcase_set_timeout (tc, 300);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_filter_counts);
  tcase_add_test (tc, test_filter_bar);
  tcase_add_test (tc, test_window);
  suite_add_tcase (suite, tc);
  SRunner *runner = srunner_create (suite);
  srunner_set_fork_status (runner, CK_NOFORK);
  srunner_run_all (runner, CK_NORMAL);
  int failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
