/* test-compare.c — stratified sampling, the cascading randomisation sanity check on the
 * default model, pl_compare_sample end to end (identity and 90 % pruning) and its CSV /
 * JSON export. */
#include <check.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "analysis/pl-compare.h"
#include "onnx/pl-onnx.h"
#include "prune/pl-prune.h"
#include "pl-error.h"
#include "../test-scale.h"

static PlGraph *model;
static PlDataset *test_set;

static void
load_fixtures (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("PL_SOURCE_DIR"), "data", "models",
                                            "fashion-cnn.onnx", NULL);
  GError *error = NULL;
  model = pl_onnx_load_file (path, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  test_set = pl_dataset_load_fashion_mnist ("/usr/share/datasets/fashion-mnist", "test",
                                            &error);
  ck_assert_msg (test_set != NULL, "%s", error ? error->message : "");
}

static void
free_fixtures (void)
{
  g_clear_pointer (&model, pl_graph_unref);
  g_clear_pointer (&test_set, pl_dataset_unref);
}

START_TEST (test_stratified_hand)
{
  /* 10 samples: 6 of class 0, 3 of class 1, 1 of class 2. n = 5: exact shares 3, 1.5, 0.5;
   * floors 3 1 0; the one left goes to the largest remainder, tie 1 vs 2 -> class 1:
   * 3, 2, 0. */
  guint8 labels[10] = { 0, 1, 0, 0, 2, 1, 0, 0, 1, 0 };
  guint8 pixels[10] = { 0 };
  PlDataset ds = { .ref_count = 1, .name = (char *) "hand", .n = 10, .channels = 1,
                   .height = 1, .width = 1, .pixels = pixels, .labels = labels,
                   .n_classes = 3 };
  gint64 n = 0;
  g_autofree gint64 *s = pl_stratified_sample (&ds, 5, 42, &n);
  ck_assert_int_eq (n, 5);
  gint count[3] = { 0 };
  for (gint64 i = 0; i < n; i++)
    {
      ck_assert (s[i] >= 0 && s[i] < 10);
      if (i > 0)
        ck_assert (s[i] > s[i - 1]);    /* ascending, no repeats */
      count[labels[s[i]]]++;
    }
  ck_assert_int_eq (count[0], 3);
  ck_assert_int_eq (count[1], 2);
  ck_assert_int_eq (count[2], 0);
  /* Same seed, same sample; the whole dataset when n is too large. */
  gint64 n2 = 0;
  g_autofree gint64 *s2 = pl_stratified_sample (&ds, 5, 42, &n2);
  ck_assert (memcmp (s, s2, sizeof (gint64) * 5) == 0);
  g_autofree gint64 *all = pl_stratified_sample (&ds, 50, 1, &n2);
  ck_assert_int_eq (n2, 10);
  for (gint64 i = 0; i < 10; i++)
    ck_assert_int_eq (all[i], i);
  /* Different seeds eventually choose differently (6 choose 3 = 20 subsets of class 0). */
  gboolean differs = FALSE;
  for (guint64 seed = 1; seed < 20 && !differs; seed++)
    {
      g_autofree gint64 *o = pl_stratified_sample (&ds, 5, seed, &n2);
      differs = memcmp (s, o, sizeof (gint64) * 5) != 0;
    }
  ck_assert (differs);
}
END_TEST

START_TEST (test_randomisation_default_model)
{
  gint64 idx[6] = { 0, 1, 2, 3, 4, 5 };
  GError *error = NULL;
  g_autoptr (PlTensor) images = pl_dataset_batch (test_set, idx, 6, &error);
  g_autoptr (PlRandomisationCurve) rc = pl_cascading_randomisation (model, images, NULL, NULL,
                                                                    0.1, 7, NULL, &error);
  ck_assert_msg (rc != NULL, "%s", error ? error->message : "");
  /* Conv, Conv, Gemm, Gemm: 4 layers + the trained network. */
  ck_assert_int_eq (rc->n_steps, 5);
  ck_assert_str_eq (rc->layer_names[0], "");
  /* Step 0 compares the trained saliency with itself. */
  ck_assert_double_eq_tol (rc->spearman_abs[0], 1.0, 1e-12);
  ck_assert_double_eq (rc->ssim[0], 1.0);
  ck_assert_double_eq (rc->topk[0], 1.0);
  /* Adebayo et al.: randomising the layers destroys the similarity. With everything
   * randomised the rank correlation of |φ| falls well below that of the trained network
   * and SSIM drops. */
  gint last = rc->n_steps - 1;
  for (gint s = 1; s < rc->n_steps; s++)
    ck_assert_msg (rc->spearman_abs[s] < 0.95, "step %d: %g", s, rc->spearman_abs[s]);
  ck_assert_msg (rc->spearman_abs[last] < 0.6, "%g", rc->spearman_abs[last]);
  ck_assert_msg (rc->ssim[last] < 0.6, "%g", rc->ssim[last]);
  ck_assert_msg (rc->topk[last] < 0.6, "%g", rc->topk[last]);
  /* The input graph is untouched: same seed gives the same curve. */
  g_autoptr (PlRandomisationCurve) again = pl_cascading_randomisation (model, images, NULL,
                                                                       NULL, 0.1, 7, NULL,
                                                                       &error);
  for (gint s = 0; s < rc->n_steps; s++)
    ck_assert_double_eq (again->spearman_abs[s], rc->spearman_abs[s]);

  /* A graph without weights cannot be randomised. */
  g_autoptr (PlGraph) relu = pl_graph_new ();
  pl_graph_add_input (relu, "X", 4, (gint64[]) { -1, 1, 28, 28 });
  pl_graph_add_node (relu, "Relu", "relu", 1, (const char *[]) { "X" }, 1,
                     (const char *[]) { "Y" });
  pl_graph_add_output (relu, "Y");
  ck_assert (pl_cascading_randomisation (relu, images, NULL, NULL, 0.1, 7, NULL, &error)
             == NULL);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
}
END_TEST

/* 20 inputs, 2 per class (PL_TEST_SCALE=small: 10, 1 per class) */
static gint64 n_samples;

static void
small_options (PlCompareOptions *o)
{
  pl_compare_options_init (o);
  ck_assert_int_eq (o->n_samples, 100);
  ck_assert_double_eq (o->topk_fraction, 0.1);
  n_samples = pl_test_scale_n (20, 10);
  o->n_samples = (gint) n_samples;
  o->faithfulness.pixels_per_step = 28;   /* 29 points per curve: keeps the test short */
  o->randomisation_inputs = 3;
  o->n_bootstrap = 500;
}

START_TEST (test_compare_identity)
{
  /* The original against an exact copy: every similarity is 1, the faithfulness of both
   * is identical, so the paired tests have nothing to test. */
  g_autoptr (PlGraph) copy = pl_graph_copy (model);
  PlCompareOptions o;
  small_options (&o);
  o.randomisation = FALSE;
  GError *error = NULL;
  g_autoptr (PlCompareReport) r = pl_compare_sample (model, copy, test_set, &o, NULL, &error);
  ck_assert_msg (r != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (r->n, n_samples);
  ck_assert (r->randomisation == NULL);
  for (gint c = 0; c < 10; c++)
    ck_assert_int_eq (r->class_count[c], n_samples / 10);   /* 1000 per class in the test set */
  for (gint64 i = 0; i < r->n; i++)
    {
      const PlCompareInput *in = &r->inputs[i];
      ck_assert_int_eq (in->pred_original, in->pred_pruned);
      ck_assert_int_eq (in->label, test_set->labels[in->index]);
      ck_assert_double_eq_tol (in->metrics[PL_METRIC_SPEARMAN], 1.0, 1e-12);
      ck_assert_double_eq (in->metrics[PL_METRIC_SSIM], 1.0);
      ck_assert_double_eq (in->metrics[PL_METRIC_KENDALL], 1.0);
      ck_assert_double_eq (in->metrics[PL_METRIC_TOPK], 1.0);
      ck_assert_double_eq (in->metrics[PL_METRIC_BARS_KENDALL], 1.0);
      ck_assert_double_eq (in->metrics[PL_METRIC_DELETION_ORIG],
                           in->metrics[PL_METRIC_DELETION_PRUNED]);
      ck_assert_double_eq (in->metrics[PL_METRIC_INSERTION_ORIG],
                           in->metrics[PL_METRIC_INSERTION_PRUNED]);
      ck_assert_double_eq (in->metrics[PL_METRIC_GINI_ORIG], in->metrics[PL_METRIC_GINI_PRUNED]);
      /* Curves of softmax probabilities: areas within [0, 1]. */
      ck_assert (in->metrics[PL_METRIC_DELETION_ORIG] >= 0.0
                 && in->metrics[PL_METRIC_DELETION_ORIG] <= 1.0);
      ck_assert (in->metrics[PL_METRIC_INSERTION_ORIG] >= 0.0
                 && in->metrics[PL_METRIC_INSERTION_ORIG] <= 1.0);
    }
  ck_assert_int_eq (r->summary[PL_METRIC_SSIM].n, n_samples);
  ck_assert_double_eq (r->summary[PL_METRIC_SSIM].mean, 1.0);
  ck_assert_double_eq (r->summary[PL_METRIC_SSIM].ci_low, 1.0);
  ck_assert_int_eq (r->deletion_wilcoxon.n_zero, n_samples);
  ck_assert (isnan (r->deletion_wilcoxon.p_value));
  ck_assert (isnan (r->deletion_t.p_value));
  ck_assert_double_eq (r->deletion_t.mean_diff, 0.0);
  /* The mean deletion curve starts at the mean probability of the predicted class and
   * ends with a black image. */
  ck_assert_double_eq (r->curve_fraction[0], 0.0);
  ck_assert_double_eq (r->curve_fraction[r->n_curve_points - 1], 1.0);
  ck_assert (r->mean_curves[0] > 0.5);
}
END_TEST

static gchar *
read_text (const char *path)
{
  gchar *text = NULL;
  ck_assert (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

START_TEST (test_compare_pruned_and_export)
{
  GError *error = NULL;
  g_autoptr (PlGraph) pruned = pl_prune_magnitude (model, 0.9, PL_PRUNE_SCOPE_GLOBAL, &error);
  ck_assert_msg (pruned != NULL, "%s", error ? error->message : "");
  PlCompareOptions o;
  small_options (&o);
  o.seed = 5;
  g_autoptr (PlCompareReport) r = pl_compare_sample (model, pruned, test_set, &o, NULL, &error);
  ck_assert_msg (r != NULL, "%s", error ? error->message : "");
  ck_assert_double_eq_tol (r->sparsity_pruned, 0.9, 1e-4);
  ck_assert (r->randomisation != NULL);
  ck_assert_int_eq (r->randomisation->n_inputs, 3);
  ck_assert_int_eq (r->randomisation->seed, 7);
  for (gint m = 0; m < PL_N_METRICS; m++)
    {
      const PlSummary *s = &r->summary[m];
      ck_assert_msg (s->n == n_samples, "%s: n = %" G_GINT64_FORMAT, pl_compare_metric_name (m),
                     s->n);
      ck_assert (s->ci_low <= s->mean + 1e-12 && s->mean <= s->ci_high + 1e-12);
    }
  /* Pruned explanations move: not all identical, and similarity ≤ 1. */
  ck_assert (r->summary[PL_METRIC_SPEARMAN].mean < 0.999);
  ck_assert (r->summary[PL_METRIC_SPEARMAN].mean > -1.0);
  /* Ranking: ascending Spearman of |φ|. */
  for (gint64 i = 1; i < r->n; i++)
    ck_assert (r->inputs[r->ranked[i - 1]].metrics[PL_METRIC_SPEARMAN_ABS]
               <= r->inputs[r->ranked[i]].metrics[PL_METRIC_SPEARMAN_ABS]);
  /* Per-class means agree with the inputs. */
  double sum = 0.0;
  gint64 cnt = 0;
  for (gint64 i = 0; i < r->n; i++)
    if (r->inputs[i].label == 3)
      {
        sum += r->inputs[i].metrics[PL_METRIC_COSINE];
        cnt++;
      }
  ck_assert_int_eq (cnt, r->class_count[3]);
  ck_assert_double_eq_tol (r->class_mean[3 * PL_N_METRICS + PL_METRIC_COSINE], sum / cnt,
                           1e-12);
  ck_assert_int_eq (r->deletion_t.n, n_samples);
  ck_assert (r->deletion_t.p_value >= 0.0 && r->deletion_t.p_value <= 1.0);
  ck_assert (r->insertion_wilcoxon.p_value >= 0.0 && r->insertion_wilcoxon.p_value <= 1.0);

  /* Deterministic for a seed. */
  o.randomisation = FALSE;
  g_autoptr (PlCompareReport) r2 = pl_compare_sample (model, pruned, test_set, &o, NULL,
                                                      &error);
  ck_assert (r2 != NULL);
  for (gint64 i = 0; i < r->n; i++)
    {
      ck_assert_int_eq (r->inputs[i].index, r2->inputs[i].index);
      ck_assert_double_eq (r->inputs[i].metrics[PL_METRIC_SSIM],
                           r2->inputs[i].metrics[PL_METRIC_SSIM]);
    }
  ck_assert_double_eq (r->summary[PL_METRIC_SSIM].ci_low, r2->summary[PL_METRIC_SSIM].ci_low);

  /* Export. */
  g_autofree char *dir = g_dir_make_tmp ("pl-compare-XXXXXX", NULL);
  g_autofree char *csv = g_build_filename (dir, "inputs.csv", NULL);
  g_autofree char *sum_csv = g_build_filename (dir, "summary.csv", NULL);
  g_autofree char *json = g_build_filename (dir, "report.json", NULL);
  ck_assert (pl_compare_report_save_csv (r, csv, &error));
  ck_assert (pl_compare_report_save_summary_csv (r, sum_csv, &error));
  ck_assert (pl_compare_report_save_json (r, json, &error));

  g_autofree char *text = read_text (csv);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  gint params = 0, rows = 0;
  const char *header = NULL;
  for (gint i = 0; lines[i] && *lines[i]; i++)
    {
      if (g_str_has_prefix (lines[i], "# "))
        params++;
      else if (header == NULL)
        header = lines[i];
      else
        rows++;
    }
  ck_assert_int_eq (rows, n_samples);
  ck_assert (params > 10);
  ck_assert (strstr (text, "# seed,5\n") != NULL);
  ck_assert (strstr (text, "# bootstrap_seed,6\n") != NULL);
  ck_assert (strstr (text, "# curve_pixels_per_step,28\n") != NULL);
  ck_assert (g_str_has_prefix (header, "index,label,class,target,pred_original,pred_pruned,"
                                       "spearman,"));
  g_autofree char *stext = read_text (sum_csv);
  ck_assert (strstr (stext, "\nsummary,ssim,mean,") != NULL);
  ck_assert (strstr (stext, "\nwilcoxon,deletion_auc,p_value,") != NULL);
  ck_assert (strstr (stext, "\nrandomisation,") != NULL);

  g_autoptr (JsonParser) parser = json_parser_new ();
  ck_assert (json_parser_load_from_file (parser, json, &error));
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  JsonObject *params_obj = json_object_get_object_member (root, "parameters");
  ck_assert_int_eq (json_object_get_int_member (params_obj, "seed"), 5);
  ck_assert_int_eq (json_object_get_int_member (params_obj, "n_samples"), n_samples);
  ck_assert_str_eq (json_object_get_string_member (params_obj, "method"), "saliency");
  JsonObject *ssim = json_object_get_object_member (
    json_object_get_object_member (root, "summary"), "ssim");
  ck_assert_double_eq_tol (json_object_get_double_member (ssim, "mean"),
                           r->summary[PL_METRIC_SSIM].mean, 1e-12);
  ck_assert_int_eq (json_array_get_length (json_object_get_array_member (root, "inputs")),
                    n_samples);
  ck_assert_int_eq (json_array_get_length (json_object_get_array_member (root, "per_class")),
                    10);
  JsonObject *rnd = json_object_get_object_member (root, "randomisation");
  ck_assert_int_eq (json_array_get_length (json_object_get_array_member (rnd, "ssim")), 5);

  /* Writing into a missing folder fails with a message naming the path. */
  g_autofree char *bad = g_build_filename (dir, "missing", "x.json", NULL);
  ck_assert (!pl_compare_report_save_json (r, bad, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_IO));
  ck_assert (strstr (error->message, bad) != NULL);
  g_clear_error (&error);
  g_unlink (csv);
  g_unlink (sum_csv);
  g_unlink (json);
  g_rmdir (dir);
}
END_TEST

static gint progress_calls;
static double progress_last;

static void
count_progress (double fraction, const char *message, gpointer data)
{
  (void) message;
  (void) data;
  ck_assert (fraction >= 0.0 && fraction <= 1.0 + 1e-9);
  ck_assert_msg (fraction >= progress_last - 1e-9, "progress went back from %g to %g",
                 progress_last, fraction);
  progress_last = fraction;
  progress_calls++;
}

START_TEST (test_compare_cancel_and_errors)
{
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_cancellable_cancel (cancel);
  PlProgress progress;
  pl_progress_init (&progress, count_progress, NULL, cancel);
  PlCompareOptions o;
  small_options (&o);
  GError *error = NULL;
  ck_assert (pl_compare_sample (model, model, test_set, &o, &progress, &error) == NULL);
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&error);

  /* A grid larger than the image: the grid that fits (one row of patches per pixel row),
   * recorded in the report's options. */
  o.grid_rows = 40;
  o.n_samples = 1;
  o.randomisation = FALSE;
  {
    g_autoptr (PlCompareReport) big = pl_compare_sample (model, model, test_set, &o, NULL,
                                                         &error);
    ck_assert_msg (big != NULL, "%s", error ? error->message : "");
    ck_assert_int_eq (big->options.grid_rows, test_set->height);
    ck_assert_int_eq (big->options.grid_cols, o.grid_cols);
  }

  /* Progress is reported. */
  small_options (&o);
  o.n_samples = 2;
  o.randomisation_inputs = 1;
  progress_calls = 0;
  progress_last = 0.0;
  pl_progress_init (&progress, count_progress, NULL, NULL);
  g_autoptr (PlCompareReport) r = pl_compare_sample (model, model, test_set, &o, &progress,
                                                     &error);
  ck_assert (r != NULL);
  ck_assert (progress_calls > 2);
  ck_assert_double_eq_tol (progress_last, 1.0, 1e-9);
}
END_TEST

/* A "method" that ignores the network: the image itself as the map (size_ok FALSE: a wrong
 * shape). */
static PlTensor *
image_as_map (PlExecutor *executor, const PlTensor *image, gint target, gpointer data,
              GError **error)
{
  (void) executor;
  (void) target;
  (void) error;
  gboolean size_ok = GPOINTER_TO_INT (data);
  PlTensor *t = pl_tensor_new_2d (size_ok ? image->shape[2] : 3, image->shape[3]);
  memcpy (t->data, image->data, sizeof (float) * t->numel);
  return t;
}

START_TEST (test_compare_custom_method)
{
  GError *error = NULL;
  g_autoptr (PlGraph) pruned = pl_prune_magnitude (model, 0.5, PL_PRUNE_SCOPE_GLOBAL, &error);
  PlCompareOptions o;
  small_options (&o);
  o.n_samples = 4;
  o.faithfulness.pixels_per_step = 392;
  o.randomisation_inputs = 1;
  o.method = image_as_map;
  o.method_data = GINT_TO_POINTER (TRUE);
  o.method_name = "image";
  g_autoptr (PlCompareReport) r = pl_compare_sample (model, pruned, test_set, &o, NULL, &error);
  ck_assert_msg (r != NULL, "%s", error ? error->message : "");
  ck_assert_str_eq (r->options.method_name, "image");
  ck_assert_int_eq (r->n_curve_points, 3);
  /* The same map for both networks whatever the pruning, and for every randomised
   * network. */
  ck_assert_double_eq (r->summary[PL_METRIC_SSIM].mean, 1.0);
  ck_assert_double_eq (r->summary[PL_METRIC_KENDALL].mean, 1.0);
  for (gint s = 0; s < r->randomisation->n_steps; s++)
    ck_assert_double_eq (r->randomisation->kendall[s], 1.0);
  /* Entropy of the normalised image: the same for both. */
  for (gint64 i = 0; i < r->n; i++)
    ck_assert_double_eq (r->inputs[i].metrics[PL_METRIC_ENTROPY_ORIG],
                         r->inputs[i].metrics[PL_METRIC_ENTROPY_PRUNED]);

  o.method_data = GINT_TO_POINTER (FALSE);
  ck_assert (pl_compare_sample (model, pruned, test_set, &o, NULL, &error) == NULL);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  ck_assert (strstr (error->message, "image") != NULL);
  g_clear_error (&error);
}
END_TEST

static Suite *
compare_suite (void)
{
  Suite *s = suite_create ("analysis-compare");
  TCase *tc = tcase_create ("core");
  tcase_add_unchecked_fixture (tc, load_fixtures, free_fixtures);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_stratified_hand);
  tcase_add_test (tc, test_randomisation_default_model);
  tcase_add_test (tc, test_compare_identity);
  tcase_add_test (tc, test_compare_pruned_and_export);
  tcase_add_test (tc, test_compare_cancel_and_errors);
  tcase_add_test (tc, test_compare_custom_method);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (compare_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
