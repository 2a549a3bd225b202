/* The Metrics view's figures: confusion counts by hand, and the cards built for a table
 * (two confusion matrices and the per-layer sparsity; no per-class bars without a
 * report). The widget part needs a display (xvfb-run). */
#include "config.h"

#include <adwaita.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "pl-metrics-figures.h"
#include "train/pl-train.h"

static PlDataset *
small_table (void)
{
  /* Labels a, b, a, c, b → classes (first appearance order is not assumed: looked up). */
  const char *text = "x,y\n1,a\n2,b\n3,a\n4,c\n5,b\n";
  g_autoptr (GError) error = NULL;
  PlDataset *ds = pl_dataset_load_csv_data (text, strlen (text), "small.csv", NULL, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (ds->n_classes, 3);
  return ds;
}

START_TEST (test_confusion_counts)
{
  PlDataset *ds = small_table ();
  gint preds[5];
  /* Predict each row's true class, except row 1 (predicted as row 0's class) and row 4
   * (as row 3's class). */
  for (gint i = 0; i < 5; i++)
    preds[i] = ds->labels[i];
  preds[1] = ds->labels[0];
  preds[4] = ds->labels[3];
  PlEvaluation e = { .n = 5, .correct = 3, .accuracy = 0.6, .predictions = preds };
  g_autofree double *c = pl_metrics_confusion_counts (ds, &e);
  ck_assert_ptr_nonnull (c);
  gint K = 3;
  gint a = ds->labels[0], b = ds->labels[1], cc = ds->labels[3];
  ck_assert_double_eq (c[a * K + a], 2);     /* rows 0, 2 */
  ck_assert_double_eq (c[b * K + a], 1);     /* row 1 */
  ck_assert_double_eq (c[b * K + cc], 1);    /* row 4 */
  ck_assert_double_eq (c[cc * K + cc], 1);   /* row 3 */
  double total = 0;
  for (gint i = 0; i < K * K; i++)
    total += c[i];
  ck_assert_double_eq (total, 5);

  if (g_getenv ("DISPLAY") != NULL || g_getenv ("WAYLAND_DISPLAY") != NULL)
    {
      g_autoptr (GError) error = NULL;
      PlGraph *g = pl_model_build_table (1, 3, NULL, NULL, 3, &error);
      ck_assert_ptr_nonnull (g);
      GtkWidget *w = pl_metrics_figures_new (ds, &e, &e, g, g, NULL);
      g_object_ref_sink (w);
      ck_assert_int_eq (GPOINTER_TO_INT (g_object_get_data (G_OBJECT (w), "n-figures")), 3);
      g_object_unref (w);
      GtkWidget *none = pl_metrics_figures_new (ds, NULL, NULL, NULL, NULL, NULL);
      g_object_ref_sink (none);
      ck_assert_int_eq (GPOINTER_TO_INT (g_object_get_data (G_OBJECT (none), "n-figures")), 0);
      g_object_unref (none);
      pl_graph_unref (g);
    }
  pl_dataset_unref (ds);
}
END_TEST

int
main (void)
{
  if (g_getenv ("DISPLAY") != NULL || g_getenv ("WAYLAND_DISPLAY") != NULL)
    {
      gtk_init ();
      adw_init ();
    }
  Suite *suite = suite_create ("metrics-figures");
  TCase *tc = tcase_create ("main");
  tcase_add_test (tc, test_confusion_counts);
  suite_add_tcase (suite, tc);
  SRunner *runner = srunner_create (suite);
  srunner_set_fork_status (runner, CK_NOFORK);
  srunner_run_all (runner, CK_NORMAL);
  int failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
