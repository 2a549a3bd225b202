/* test-sweep.c — pl_sweep_run on the default model at {0, 0.5, 0.9}: cost counted by hand
 * from the architecture, identity at sparsity 0, accuracy against pl_evaluate_classifier,
 * CSV / JSON export parsed back, and the errors. */
#include <check.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "analysis/pl-metrics.h"
#include "analysis/pl-sweep.h"
#include "exec/pl-executor.h"
#include "onnx/pl-onnx.h"
#include "prune/pl-prune.h"
#include "pl-error.h"
#include "../test-scale.h"

static PlGraph *model;
static PlDataset *test_set;
static PlPruneConfig *unprotected;   /* every layer pruned (the sweep before session 4) */
static PlSweep *sweep;   /* shared by the tests of one run: {0, 0.5, 0.9}, n_eval 500 */
static gint64 n_eval;    /* 500 (PL_TEST_SCALE=small: 200) */
static const double sparsities[3] = { 0.0, 0.5, 0.9 };
static const gint64 indices[5] = { 0, 1, 2, 3, 4 };

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
  PlSweepOptions o;
  pl_sweep_options_init (&o);
  n_eval = pl_test_scale_n (500, 200);
  o.n_eval = n_eval;
  o.indices = indices;
  o.n_indices = 5;
  o.film_index = 3;
  o.n_bootstrap = 500;
  ck_assert (o.faithfulness);
  ck_assert_int_eq (o.randomisation_inputs, 0);
  o.faithfulness_options.pixels_per_step = 49;   /* 17 points per curve: a short test */
  o.randomisation_inputs = 3;
  /* These tests count every prunable weight as prunable: protect none. */
  unprotected = pl_prune_config_new ();
  pl_prune_config_set_protected (unprotected, (const char *const[]) { NULL });
  o.prune = unprotected;
  sweep = pl_sweep_run (model, test_set, sparsities, 3, &o, NULL, &error);
  ck_assert_msg (sweep != NULL, "%s", error ? error->message : "");
}

static void
free_fixtures (void)
{
  g_clear_pointer (&sweep, pl_sweep_free);
  g_clear_pointer (&unprotected, pl_prune_config_free);
  g_clear_pointer (&model, pl_graph_unref);
  g_clear_pointer (&test_set, pl_dataset_unref);
}

START_TEST (test_cost)
{
  /* Conv(1→16, 3×3) on 28×28 (padded), Conv(16→32, 3×3) on 14×14, Gemm 1568→128,
   * Gemm 128→10. */
  gint64 weights = 16 * 9 + 32 * 16 * 9 + 1568 * 128 + 128 * 10;
  gint64 macs = 16 * 9 * 28 * 28 + 32 * 16 * 9 * 14 * 14 + 1568 * 128 + 128 * 10;
  ck_assert_int_eq (sweep->n_points, 3);
  for (gint k = 0; k < 3; k++)
    {
      const PlSweepPoint *p = &sweep->points[k];
      ck_assert_int_eq (p->prunable_weights, weights);
      ck_assert_int_eq (p->parameters, weights + 16 + 32 + 128 + 10);
      ck_assert_int_eq (p->macs_dense, macs);
      ck_assert_double_eq (p->sparsity_requested, sparsities[k]);
      gint64 pruned = pl_prune_count (weights, sparsities[k]);
      ck_assert_int_eq (p->nonzero_weights, weights - pruned);
      ck_assert_int_eq (p->nonzero_parameters, p->parameters - pruned);
      ck_assert_double_eq_tol (p->sparsity, (double) pruned / weights, 1e-12);
      ck_assert (p->macs_nonzero <= p->macs_dense);
    }
  ck_assert_int_eq (sweep->points[0].macs_nonzero, macs);
  ck_assert (sweep->points[2].macs_nonzero < sweep->points[1].macs_nonzero);
}
END_TEST

START_TEST (test_identity_at_zero)
{
  const PlSweepPoint *p = &sweep->points[0];
  ck_assert_int_eq (p->summary[PL_SWEEP_SPEARMAN_ABS].n, 5);
  for (gint i = 0; i < 5; i++)
    {
      ck_assert_double_eq (p->values[PL_SWEEP_SPEARMAN_ABS * 5 + i], 1.0);
      ck_assert_double_eq (p->values[PL_SWEEP_TOPK * 5 + i], 1.0);
      ck_assert_double_eq (p->values[PL_SWEEP_KENDALL_ABS * 5 + i], 1.0);
      ck_assert_double_eq_tol (p->values[PL_SWEEP_PEARSON * 5 + i], 1.0, 1e-9);
      ck_assert_double_eq_tol (p->values[PL_SWEEP_COSINE * 5 + i], 1.0, 1e-9);
      ck_assert_double_eq_tol (p->values[PL_SWEEP_SSIM * 5 + i], 1.0, 1e-9);
      ck_assert_int_eq (p->pred[i], sweep->targets[i]);
    }
  ck_assert_double_eq (p->summary[PL_SWEEP_SPEARMAN_ABS].mean, 1.0);
  ck_assert_double_eq (p->summary[PL_SWEEP_SPEARMAN_ABS].ci_low, 1.0);
  ck_assert_double_eq (p->summary[PL_SWEEP_SPEARMAN_ABS].ci_high, 1.0);
  /* the film map at sparsity 0 is the original's */
  ck_assert_int_eq (sweep->film_index, 3);
  ck_assert_int_eq (sweep->film_label, test_set->labels[3]);
  ck_assert (memcmp (p->film_map->data, sweep->film_original->data,
                     sizeof (float) * 28 * 28) == 0);
  ck_assert_int_eq (p->film_map->ndim, 2);
  ck_assert_int_eq (p->film_map->shape[0], 28);
  /* the film image is dataset pixels / 255 */
  ck_assert_float_eq_tol (sweep->film_image->data[400],
                          test_set->pixels[3 * 784 + 400] / 255.0f, 1e-6);
}
END_TEST

START_TEST (test_faithfulness)
{
  /* At sparsity 0 the pruned network is the original: its own metrics are the original's. */
  const PlSweepPoint *p0 = &sweep->points[0];
  for (gint m = PL_SWEEP_DELETION; m < PL_SWEEP_N_METRICS; m++)
    {
      ck_assert_int_eq (sweep->original[m].n, 5);
      ck_assert_int_eq (p0->summary[m].n, 5);
      for (gint i = 0; i < 5; i++)
        ck_assert_double_eq (p0->values[m * 5 + i], sweep->original_values[m * 5 + i]);
    }
  /* The comparison metrics have no "original" value. */
  ck_assert_int_eq (sweep->original[PL_SWEEP_SPEARMAN_ABS].n, 0);

  /* At 90 %: recomputed independently for input 3 (the film input, whose pruned map the
   * sweep keeps) with the pruned network and the same curve options. */
  const PlSweepPoint *p = &sweep->points[2];
  GError *error = NULL;
  g_autoptr (PlGraph) pruned = pl_prune_magnitude (model, 0.9, PL_PRUNE_SCOPE_GLOBAL, &error);
  ck_assert_msg (pruned != NULL, "%s", error ? error->message : "");
  PlExecutor *ex = pl_executor_new (pruned, &error);
  ck_assert_msg (ex != NULL, "%s", error ? error->message : "");
  gint64 idx = 3;
  g_autoptr (PlTensor) image = pl_dataset_batch (test_set, &idx, 1, &error);
  PlFaithfulnessOptions fo;
  pl_faithfulness_options_init (&fo);
  fo.pixels_per_step = 49;
  g_autoptr (PlCurve) del = pl_faithfulness_curve (ex, image, sweep->targets[3], p->film_map,
                                                   PL_CURVE_DELETION, &fo, NULL, &error);
  g_autoptr (PlCurve) ins = pl_faithfulness_curve (ex, image, sweep->targets[3], p->film_map,
                                                   PL_CURVE_INSERTION, &fo, NULL, &error);
  pl_executor_free (ex);
  ck_assert_msg (del != NULL && ins != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (del->n_points, 17);
  ck_assert_double_eq_tol (p->values[PL_SWEEP_DELETION * 5 + 3], del->auc, 1e-9);
  ck_assert_double_eq_tol (p->values[PL_SWEEP_INSERTION * 5 + 3], ins->auc, 1e-9);
  ck_assert_double_eq_tol (p->values[PL_SWEEP_ENTROPY * 5 + 3],
                           pl_attribution_entropy (p->film_map->data, 784), 1e-12);
  ck_assert_double_eq_tol (p->values[PL_SWEEP_GINI * 5 + 3],
                           pl_attribution_gini (p->film_map->data, 784), 1e-12);
  /* AUCs of a probability lie in [0, 1]; entropy of 784 values in [0, ln 784] */
  for (gint k = 0; k < 3; k++)
    for (gint i = 0; i < 5; i++)
      {
        double d = sweep->points[k].values[PL_SWEEP_DELETION * 5 + i];
        double e = sweep->points[k].values[PL_SWEEP_ENTROPY * 5 + i];
        ck_assert (d >= 0.0 && d <= 1.0);
        ck_assert (e >= 0.0 && e <= log (784.0) + 1e-9);
      }
  /* a bootstrap CI brackets its mean */
  const PlSummary *su = &p->summary[PL_SWEEP_DELETION];
  ck_assert (su->ci_low <= su->mean && su->mean <= su->ci_high);
}
END_TEST

START_TEST (test_randomisation_reference)
{
  const PlRandomisationCurve *rc = sweep->randomisation;
  ck_assert_ptr_nonnull (rc);
  ck_assert_int_eq (rc->n_inputs, 3);
  ck_assert_int_eq (rc->n_steps, 5);
  ck_assert_int_eq (rc->seed, 3);    /* bootstrap seed + 2 */
  ck_assert_double_eq (sweep->randomisation_spearman_abs[0].mean, 1.0);
  ck_assert_int_eq (sweep->randomisation_spearman_abs[0].n, 3);
  /* everything randomised: far from the trained explanation, unlike 50 % pruning */
  const PlSummary *last = &sweep->randomisation_spearman_abs[4];
  ck_assert_msg (last->mean < 0.6, "%g", last->mean);
  ck_assert (last->mean < sweep->points[1].summary[PL_SWEEP_SPEARMAN_ABS].mean);
  ck_assert_double_eq_tol (last->mean, rc->spearman_abs[4], 1e-12);

  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pl-sweep-XXXXXX", &error);
  g_autofree char *csv = g_build_filename (dir, "reference.csv", NULL);
  ck_assert_msg (pl_sweep_save_reference_csv (sweep, csv, &error), "%s",
                 error ? error->message : "");
  g_autofree char *text = NULL;
  ck_assert (g_file_get_contents (csv, &text, NULL, NULL));
  ck_assert (strstr (text, "curve,step,layer,metric,n,mean,ci_low,ci_high\n") != NULL);
  ck_assert (strstr (text, "\noriginal,,,deletion_auc,5,") != NULL);
  ck_assert (strstr (text, "\nrandomisation,0,,spearman_abs,3,1,1,1\n") != NULL);
  ck_assert (strstr (text, "\nrandomisation,4,") != NULL);
  gsize len = 0;
  g_autofree char *json = pl_sweep_to_json (sweep, &len);
  g_autoptr (JsonParser) parser = json_parser_new ();
  ck_assert (json_parser_load_from_data (parser, json, (gssize) len, NULL));
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  JsonArray *ra = json_object_get_array_member (root, "randomisation");
  ck_assert_int_eq (json_array_get_length (ra), 5);
  JsonObject *orig = json_object_get_object_member (root, "original");
  JsonObject *del = json_object_get_object_member (orig, "deletion_auc");
  ck_assert_double_eq_tol (json_object_get_double_member (del, "mean"),
                           sweep->original[PL_SWEEP_DELETION].mean, 1e-12);
  JsonObject *params = json_object_get_object_member (root, "parameters");
  ck_assert_int_eq (json_object_get_int_member (params, "faithfulness_pixels_per_step"), 49);
  g_unlink (csv);
  g_rmdir (dir);
}
END_TEST

START_TEST (test_accuracy)
{
  GError *error = NULL;
  g_autoptr (PlEvaluation) ev = pl_evaluate_classifier (model, test_set, n_eval, NULL, &error);
  ck_assert_msg (ev != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (sweep->points[0].n_eval, n_eval);
  ck_assert_int_eq (sweep->points[0].correct, ev->correct);
  ck_assert_double_eq (sweep->points[0].accuracy, ev->accuracy);
  /* 50 % of the weights cost (almost) nothing — measured 455 → 456 of 500 correct, so not
   * strictly monotonic —, 90 % costs clearly (measured 369 of 500) */
  ck_assert (fabs (sweep->points[1].accuracy - sweep->points[0].accuracy) <= 0.01);
  ck_assert (sweep->points[2].accuracy < sweep->points[1].accuracy - 0.05);
  ck_assert (sweep->points[2].accuracy < sweep->points[0].accuracy - 0.05);
  /* the explanation moves more the more is pruned */
  ck_assert (sweep->points[2].summary[PL_SWEEP_SPEARMAN_ABS].mean <
             sweep->points[1].summary[PL_SWEEP_SPEARMAN_ABS].mean);
  /* the explanation moves at 90 %: Spearman of |φ| below 1 and in range */
  double sp = sweep->points[2].summary[PL_SWEEP_SPEARMAN_ABS].mean;
  ck_assert (sp < 1.0 && sp > -1.0);
  const PlSummary *s = &sweep->points[2].summary[PL_SWEEP_TOPK];
  ck_assert (s->ci_low <= s->mean && s->mean <= s->ci_high);
}
END_TEST

static gchar **
csv_data_rows (const char *text, gint *n_rows)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  GPtrArray *rows = g_ptr_array_new ();
  for (gint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '#' && lines[i][0] != '\0')
      g_ptr_array_add (rows, g_strdup (lines[i]));
  *n_rows = (gint) rows->len;
  g_ptr_array_add (rows, NULL);
  return (gchar **) g_ptr_array_free (rows, FALSE);
}

START_TEST (test_export)
{
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pl-sweep-XXXXXX", &error);
  ck_assert_msg (dir != NULL, "%s", error ? error->message : "");
  g_autofree char *csv = g_build_filename (dir, "sweep.csv", NULL);
  g_autofree char *json = g_build_filename (dir, "sweep.json", NULL);
  ck_assert_msg (pl_sweep_save_csv (sweep, csv, &error), "%s", error ? error->message : "");
  ck_assert_msg (pl_sweep_save_json (sweep, json, &error), "%s",
                 error ? error->message : "");

  g_autofree char *text = NULL;
  ck_assert (g_file_get_contents (csv, &text, NULL, NULL));
  ck_assert (strstr (text, "# bootstrap_seed,1\n") != NULL);
  g_autofree char *n_eval_line = g_strdup_printf ("# n_eval,%" G_GINT64_FORMAT "\n", n_eval);
  ck_assert (strstr (text, n_eval_line) != NULL);
  ck_assert (strstr (text, "# indices,0 1 2 3 4\n") != NULL);
  gint n_rows = 0;
  g_auto (GStrv) rows = csv_data_rows (text, &n_rows);
  ck_assert_int_eq (n_rows, 4);
  g_auto (GStrv) header = g_strsplit (rows[0], ",", -1);
  gint n_cols = (gint) g_strv_length (header);
  ck_assert_int_eq (n_cols, 11 + 6 * PL_SWEEP_N_METRICS);
  ck_assert_str_eq (header[10], "accuracy");
  ck_assert_str_eq (header[11], "spearman_abs_mean");
  for (gint r = 1; r < 4; r++)
    {
      g_auto (GStrv) f = g_strsplit (rows[r], ",", -1);
      ck_assert_int_eq (g_strv_length (f), n_cols);
      ck_assert_double_eq (g_ascii_strtod (f[0], NULL), sparsities[r - 1]);
      ck_assert_double_eq_tol (g_ascii_strtod (f[10], NULL), sweep->points[r - 1].accuracy,
                               1e-12);
    }

  g_autoptr (JsonParser) parser = json_parser_new ();
  ck_assert_msg (json_parser_load_from_file (parser, json, &error), "%s",
                 error ? error->message : "");
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  JsonObject *params = json_object_get_object_member (root, "parameters");
  ck_assert_int_eq (json_object_get_int_member (params, "n_eval"), n_eval);
  ck_assert_int_eq (json_object_get_int_member (params, "bootstrap_seed"), 1);
  JsonArray *points = json_object_get_array_member (root, "points");
  ck_assert_int_eq (json_array_get_length (points), 3);
  JsonObject *p0 = json_array_get_object_element (points, 0);
  JsonObject *m = json_object_get_object_member (p0, "metrics");
  JsonObject *sp = json_object_get_object_member (m, "spearman_abs");
  ck_assert_double_eq (json_object_get_double_member (sp, "mean"), 1.0);
  ck_assert_int_eq (json_array_get_length (json_object_get_array_member (sp, "values")), 5);
  JsonObject *film = json_object_get_object_member (root, "film");
  ck_assert_int_eq (json_object_get_int_member (film, "index"), 3);
  JsonArray *maps = json_object_get_array_member (film, "saliency_pruned");
  ck_assert_int_eq (json_array_get_length (maps), 3);

  /* a path in a missing directory: PL_ERROR_IO naming it, nothing left behind */
  g_autofree char *bad = g_build_filename (dir, "missing", "x.csv", NULL);
  ck_assert (!pl_sweep_save_csv (sweep, bad, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_IO));
  ck_assert (strstr (error->message, "missing") != NULL);
  g_clear_error (&error);

  g_unlink (csv);
  g_unlink (json);
  g_rmdir (dir);
}
END_TEST

START_TEST (test_errors)
{
  GError *error = NULL;
  double bad[2] = { 0.5, 1.5 };
  ck_assert (pl_sweep_run (model, test_set, bad, 2, NULL, NULL, &error) == NULL);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  ck_assert (strstr (error->message, "1.5") != NULL);
  g_clear_error (&error);

  double nan_s[1] = { NAN };
  ck_assert (pl_sweep_run (model, test_set, nan_s, 1, NULL, NULL, &error) == NULL);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);

  ck_assert (pl_sweep_run (model, test_set, bad, 0, NULL, NULL, &error) == NULL);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);

  PlSweepOptions o;
  pl_sweep_options_init (&o);
  gint64 idx[2] = { 0, 10000 };
  o.indices = idx;
  o.n_indices = 2;
  double s[1] = { 0.5 };
  ck_assert (pl_sweep_run (model, test_set, s, 1, &o, NULL, &error) == NULL);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  ck_assert (strstr (error->message, "10000") != NULL);
  g_clear_error (&error);

  /* cancelled before it starts */
  g_autoptr (GCancellable) c = g_cancellable_new ();
  g_cancellable_cancel (c);
  PlProgress progress;
  pl_progress_init (&progress, NULL, NULL, c);
  o.indices = NULL;
  o.n_indices = 2;
  o.n_eval = 100;
  ck_assert (pl_sweep_run (model, test_set, s, 1, &o, &progress, &error) == NULL);
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&error);
}
END_TEST

typedef struct {
  double last;
  gint calls;
  gboolean monotone;
} ProgressLog;

static void
on_progress (double fraction, const char *message, gpointer user_data)
{
  ProgressLog *log = user_data;
  if (fraction < log->last - 1e-12 || fraction < 0.0 || fraction > 1.0 + 1e-12)
    log->monotone = FALSE;
  log->last = fraction;
  log->calls++;
}

START_TEST (test_progress)
{
  ProgressLog log = { 0.0, 0, TRUE };
  PlProgress progress;
  pl_progress_init (&progress, on_progress, &log, NULL);
  PlSweepOptions o;
  pl_sweep_options_init (&o);
  o.n_eval = 100;
  o.n_indices = 2;
  o.n_bootstrap = 100;
  o.faithfulness = FALSE;
  o.randomisation_inputs = 2;
  double s[2] = { 0.9, 0.0 };   /* any order */
  GError *error = NULL;
  g_autoptr (PlSweep) sw = pl_sweep_run (model, test_set, s, 2, &o, &progress, &error);
  ck_assert_msg (sw != NULL, "%s", error ? error->message : "");
  ck_assert (log.monotone);
  ck_assert_int_gt (log.calls, 4);
  ck_assert_double_eq_tol (log.last, 1.0, 1e-12);
  ck_assert_double_eq (sw->points[0].sparsity_requested, 0.9);
  ck_assert_double_eq (sw->points[1].summary[PL_SWEEP_SPEARMAN_ABS].mean, 1.0);
  ck_assert_int_eq (sw->indices[1], 1);     /* NULL indices: the first n_indices */
  ck_assert_int_eq (sw->film_index, 0);
  /* without faithfulness: NaN, not a number that looks measured; entropy still there */
  ck_assert (isnan (sw->points[0].values[PL_SWEEP_DELETION * 2]));
  ck_assert_int_eq (sw->points[0].summary[PL_SWEEP_DELETION].n, 0);
  ck_assert (isfinite (sw->points[0].values[PL_SWEEP_ENTROPY * 2]));
  ck_assert_int_eq (sw->randomisation->n_inputs, 2);
}
END_TEST

/* Session 4: the sweep protects what `prune` protects — by default the first Conv (conv1:
 * 16·1·3·3 = 144 weights) and the last Gemm (fc2: 10·128 = 1280): at 90 % exactly
 * round (0.9 × (4608 + 200704)) = 184781 of the other layers' weights are pruned; with
 * protection "none", round (0.9 × 206736) = 186062 of all. */
START_TEST (test_protection)
{
  const double s90[1] = { 0.9 };
  PlSweepOptions o;
  pl_sweep_options_init (&o);
  o.n_eval = 50;
  o.indices = indices;
  o.n_indices = 1;
  o.film_index = 0;
  o.n_bootstrap = 10;
  o.faithfulness = FALSE;
  GError *error = NULL;
  g_autoptr (PlSweep) def = pl_sweep_run (model, test_set, s90, 1, &o, NULL, &error);
  ck_assert_msg (def != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (def->points[0].prunable_weights, 206736);
  ck_assert_int_eq (def->points[0].nonzero_weights, 206736 - 184781);
  ck_assert_int_eq (g_strv_length (def->protected_layers), 2);
  ck_assert_str_eq (def->protected_layers[0], "conv1");
  ck_assert_str_eq (def->protected_layers[1], "fc2");
  ck_assert_ptr_nonnull (strstr (def->pruning_description, "protected: conv1, fc2"));
  g_autofree char *json = pl_sweep_to_json (def, NULL);
  ck_assert_ptr_nonnull (strstr (json, "\"protected\""));

  o.prune = unprotected;
  g_autoptr (PlSweep) none = pl_sweep_run (model, test_set, s90, 1, &o, NULL, &error);
  ck_assert_msg (none != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (none->points[0].nonzero_weights, 206736 - 186062);
  ck_assert_int_eq (g_strv_length (none->protected_layers), 0);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("sweep");
  TCase *tc = tcase_create ("sweep");
  tcase_set_timeout (tc, 120);
  tcase_add_unchecked_fixture (tc, load_fixtures, free_fixtures);
  tcase_add_test (tc, test_cost);
  tcase_add_test (tc, test_identity_at_zero);
  tcase_add_test (tc, test_faithfulness);
  tcase_add_test (tc, test_randomisation_reference);
  tcase_add_test (tc, test_accuracy);
  tcase_add_test (tc, test_export);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_progress);
  tcase_add_test (tc, test_protection);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_set_fork_status (sr, CK_NOFORK);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
