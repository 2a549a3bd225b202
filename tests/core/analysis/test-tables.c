/* test-tables.c — the table paths of the comparison, sweep and faithfulness code, on a
 * linear model whose attributions are known by hand.
 *
 * The model: logits = X · W with W [3, 2] = [[1, -1], [-2, 2], [3, -3]] (no bias), so
 * logit_0 = x0 − 2 x1 + 3 x2 and logit_1 = −logit_0. For class t the gradient is W[:, t];
 * KernelSHAP, IG (from the reference r), occlusion (by r) all give W[j, t] (x_j − r_j).
 * The dataset: 8 rows whose columns sum to 0, so the feature means (the reference) are 0.
 */
#include <check.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "analysis/pl-compare.h"
#include "analysis/pl-faithfulness.h"
#include "analysis/pl-sweep.h"
#include "explain/pl-attribution.h"
#include "session/pl-session.h"
#include "pl-table-figure.h"
#include "pl-error.h"

static const float W[3][2] = { { 1, -1 }, { -2, 2 }, { 3, -3 } };

static const char csv_text[] =
  "a,b,c,label\n"
  "1,1,1,0\n"       /* logit_0 =  2 -> 0, right */
  "-1,-1,-1,1\n"    /* -2 -> 1, right */
  "2,0,1,0\n"       /*  5 -> 0, right */
  "-2,0,-1,1\n"     /* -5 -> 1, right */
  "0,1,0,0\n"       /* -2 -> 1, WRONG */
  "0,-1,0,1\n"      /*  2 -> 0, WRONG */
  "3,2,1,0\n"       /*  2 -> 0, right */
  "-3,-2,-1,1\n";   /* -2 -> 1, right: accuracy 6 / 8 */

static PlDataset *
table (void)
{
  GError *error = NULL;
  PlDataset *ds = pl_dataset_load_csv_data (csv_text, strlen (csv_text), "hand.csv", NULL,
                                            &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (ds->kind, PL_DATASET_TABLE);
  ck_assert_int_eq (ds->n_features, 3);
  ck_assert_int_eq (ds->n_classes, 2);
  return ds;
}

/* Gemm (X [N, 3], W [3, 2]); sign -1 negates the weights. */
static PlGraph *
linear_model (float sign)
{
  PlGraph *g = pl_graph_new ();
  pl_graph_add_input (g, "X", 2, (gint64[]) { -1, 3 });
  g_autoptr (PlTensor) w = pl_tensor_new_2d (3, 2);
  for (gint j = 0; j < 3; j++)
    for (gint c = 0; c < 2; c++)
      w->data[j * 2 + c] = sign * W[j][c];
  g_autoptr (PlTensor) b = pl_tensor_new_1d (2);
  pl_graph_add_initializer (g, "W", w);
  pl_graph_add_initializer (g, "B", b);
  pl_graph_add_node (g, "Gemm", "fc", 3, (const char *[]) { "X", "W", "B" }, 1,
                     (const char *[]) { "Y" });
  pl_graph_add_output (g, "Y");
  return g;
}

static PlTensor *
row (float a, float b, float c)
{
  PlTensor *t = pl_tensor_new_2d (1, 3);
  t->data[0] = a;
  t->data[1] = b;
  t->data[2] = c;
  return t;
}

START_TEST (test_table_saliency_is_the_weights)
{
  g_autoptr (PlGraph) g = linear_model (1.0f);
  GError *error = NULL;
  PlExecutor *ex = pl_executor_new (g, &error);
  ck_assert_msg (ex != NULL, "%s", error ? error->message : "");
  g_autoptr (PlTensor) x = row (0.5f, -4.0f, 2.0f);
  for (gint t = 0; t < 2; t++)
    {
      g_autoptr (PlTensor) s = pl_table_saliency (ex, x, t, NULL, &error);
      ck_assert_msg (s != NULL, "%s", error ? error->message : "");
      ck_assert_int_eq (s->ndim, 2);
      ck_assert_int_eq (s->shape[0], 1);
      ck_assert_int_eq (s->shape[1], 3);
      for (gint j = 0; j < 3; j++)
        ck_assert_float_eq_tol (s->data[j], W[j][t], 1e-6);   /* signed */
    }
  pl_executor_free (ex);
}
END_TEST

START_TEST (test_table_curves_by_hand)
{
  /* x = (1, 1, 1), r = 0, class 0, attribution (1, −2, 3): order c, a, b.
   * Deletion (logit): 2, then c -> 0: −1, then a -> 0: −2, then b -> 0: 0.
   * AUC = 1/3 · ((2 − 1) + (−1 − 2) + (−2 + 0)) / 2 = −2/3.
   * Insertion: 0, +c: 3, +a: 4, +b: 2; AUC = 1/3 · (3 + 7 + 6) / 2 = 8/3. */
  g_autoptr (PlGraph) g = linear_model (1.0f);
  GError *error = NULL;
  PlExecutor *ex = pl_executor_new (g, &error);
  g_autoptr (PlTensor) x = row (1, 1, 1);
  g_autoptr (PlTensor) attr = row (1, -2, 3);
  const float ref[3] = { 0, 0, 0 };
  PlFaithfulnessOptions o;
  pl_faithfulness_options_init (&o);
  o.score = PL_CURVE_SCORE_LOGIT;
  o.batch_size = 2;   /* several batches */
  g_autoptr (PlCurve) del = pl_faithfulness_curve_table (ex, x, 0, attr, ref,
                                                         PL_CURVE_DELETION, &o, NULL, &error);
  ck_assert_msg (del != NULL, "%s", error ? error->message : "");
  const double want_del[4] = { 2, -1, -2, 0 };
  ck_assert_int_eq (del->n_points, 4);
  for (gint i = 0; i < 4; i++)
    {
      ck_assert_double_eq_tol (del->fraction[i], i / 3.0, 1e-12);
      ck_assert_double_eq_tol (del->score[i], want_del[i], 1e-5);
    }
  ck_assert_double_eq_tol (del->auc, -2.0 / 3.0, 1e-5);
  g_autoptr (PlCurve) ins = pl_faithfulness_curve_table (ex, x, 0, attr, ref,
                                                         PL_CURVE_INSERTION, &o, NULL, &error);
  ck_assert_msg (ins != NULL, "%s", error ? error->message : "");
  const double want_ins[4] = { 0, 3, 4, 2 };
  for (gint i = 0; i < 4; i++)
    ck_assert_double_eq_tol (ins->score[i], want_ins[i], 1e-5);
  ck_assert_double_eq_tol (ins->auc, 8.0 / 3.0, 1e-5);

  /* Shapes are checked. */
  g_autoptr (PlTensor) short_attr = pl_tensor_new_2d (1, 2);
  ck_assert (pl_faithfulness_curve_table (ex, x, 0, short_attr, ref, PL_CURVE_DELETION, &o,
                                          NULL, &error) == NULL);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
  ck_assert (pl_faithfulness_curve_table (ex, x, -1, attr, ref, PL_CURVE_DELETION, &o,
                                          NULL, &error) == NULL);
  g_clear_error (&error);
  pl_executor_free (ex);
}
END_TEST

static void
table_options (PlCompareOptions *o)
{
  pl_compare_options_init (o);
  o->n_samples = 8;
  o->n_bootstrap = 200;
  o->randomisation_inputs = 4;
  o->faithfulness.score = PL_CURVE_SCORE_LOGIT;
}

static const PlCompareInput *
input_of (const PlCompareReport *r, gint64 index)
{
  for (gint64 i = 0; i < r->n; i++)
    if (r->inputs[i].index == index)
      return &r->inputs[i];
  ck_abort_msg ("row %d not in the sample", (int) index);
  return NULL;
}

START_TEST (test_compare_table_identity)
{
  g_autoptr (PlDataset) ds = table ();
  g_autoptr (PlGraph) g = linear_model (1.0f);
  g_autoptr (PlGraph) copy = linear_model (1.0f);
  PlCompareOptions o;
  table_options (&o);
  GError *error = NULL;
  g_autoptr (PlCompareReport) r = pl_compare_sample (g, copy, ds, &o, NULL, &error);
  ck_assert_msg (r != NULL, "%s", error ? error->message : "");
  ck_assert (r->table);
  ck_assert_int_eq (r->n, 8);
  ck_assert_int_eq (r->options.grid_rows, 1);
  ck_assert_int_eq (r->options.grid_cols, 3);
  ck_assert_int_eq (r->n_curve_points, 4);
  for (gint i = 0; i < 4; i++)
    ck_assert_double_eq_tol (r->curve_fraction[i], i / 3.0, 1e-12);
  const PlCompareMetric ones[] = {
    PL_METRIC_SPEARMAN, PL_METRIC_SPEARMAN_ABS, PL_METRIC_KENDALL, PL_METRIC_PEARSON,
    PL_METRIC_COSINE, PL_METRIC_TOPK, PL_METRIC_BARS_SPEARMAN, PL_METRIC_BARS_KENDALL,
    PL_METRIC_BARS_TOPK,
  };
  for (gint64 i = 0; i < r->n; i++)
    {
      const PlCompareInput *in = &r->inputs[i];
      for (guint k = 0; k < G_N_ELEMENTS (ones); k++)
        ck_assert_msg (fabs (in->metrics[ones[k]] - 1.0) < 1e-9, "row %d %s = %g",
                       (int) in->index, pl_compare_metric_name (ones[k]),
                       in->metrics[ones[k]]);
      ck_assert (isnan (in->metrics[PL_METRIC_SSIM]));   /* no SSIM for vectors */
      ck_assert_double_eq (in->metrics[PL_METRIC_DELETION_ORIG],
                           in->metrics[PL_METRIC_DELETION_PRUNED]);
      ck_assert_double_eq (in->metrics[PL_METRIC_INSERTION_ORIG],
                           in->metrics[PL_METRIC_INSERTION_PRUNED]);
      ck_assert_int_eq (in->pred_original, in->pred_pruned);
    }
  /* Row 0 = (1, 1, 1), class 0, means 0: the curves of test_table_curves_by_hand. */
  const PlCompareInput *r0 = input_of (r, 0);
  ck_assert_int_eq (r0->target, 0);
  ck_assert_double_eq_tol (r0->metrics[PL_METRIC_DELETION_ORIG], -2.0 / 3.0, 1e-5);
  ck_assert_double_eq_tol (r0->metrics[PL_METRIC_INSERTION_ORIG], 8.0 / 3.0, 1e-5);
  /* Entropy of |φ| / Σ|φ| = (1, 2, 3) / 6, in nats. */
  double want_h = -(1 / 6.0 * log (1 / 6.0) + 2 / 6.0 * log (2 / 6.0) + 3 / 6.0 * log (0.5));
  ck_assert_double_eq_tol (r0->metrics[PL_METRIC_ENTROPY_ORIG], want_h, 1e-6);
  /* Row 4 = (0, 1, 0) is predicted class 1 (label 0). */
  ck_assert_int_eq (input_of (r, 4)->target, 1);
  ck_assert_int_eq (r->summary[PL_METRIC_SPEARMAN].n, 8);
  ck_assert_double_eq_tol (r->summary[PL_METRIC_SPEARMAN].mean, 1.0, 1e-9);
  ck_assert_int_eq (r->summary[PL_METRIC_SSIM].n, 0);
  /* Per class: 4 rows each. */
  ck_assert_int_eq (r->n_classes, 2);
  ck_assert_int_eq (r->class_count[0], 4);
  ck_assert_int_eq (r->class_count[1], 4);
  /* The randomisation ran on rows: step 0 is the trained network itself. */
  ck_assert (r->randomisation != NULL);
  ck_assert_int_eq (r->randomisation->n_steps, 2);
  ck_assert_double_eq_tol (r->randomisation->spearman_abs[0], 1.0, 1e-9);
  ck_assert (isnan (r->randomisation->ssim[0]));
  /* The JSON states the table conventions. */
  gsize len = 0;
  g_autofree char *json = pl_compare_report_to_json (r, &len);
  ck_assert (strstr (json, "\"table\"") != NULL);
}
END_TEST

START_TEST (test_compare_table_negated)
{
  /* The "pruned" network has −W: for the original's class its gradient is −W[:, t]:
   * signed similarities −1, those of |φ| 1. */
  g_autoptr (PlDataset) ds = table ();
  g_autoptr (PlGraph) g = linear_model (1.0f);
  g_autoptr (PlGraph) neg = linear_model (-1.0f);
  PlCompareOptions o;
  table_options (&o);
  o.randomisation = FALSE;
  GError *error = NULL;
  g_autoptr (PlCompareReport) r = pl_compare_sample (g, neg, ds, &o, NULL, &error);
  ck_assert_msg (r != NULL, "%s", error ? error->message : "");
  for (gint64 i = 0; i < r->n; i++)
    {
      const double *m = r->inputs[i].metrics;
      ck_assert_double_eq_tol (m[PL_METRIC_SPEARMAN], -1.0, 1e-9);
      ck_assert_double_eq_tol (m[PL_METRIC_KENDALL], -1.0, 1e-9);
      ck_assert_double_eq_tol (m[PL_METRIC_PEARSON], -1.0, 1e-6);
      ck_assert_double_eq_tol (m[PL_METRIC_COSINE], -1.0, 1e-6);
      ck_assert_double_eq_tol (m[PL_METRIC_SPEARMAN_ABS], 1.0, 1e-9);
      ck_assert_double_eq_tol (m[PL_METRIC_TOPK], 1.0, 1e-9);
      ck_assert_int_ne (r->inputs[i].pred_original, r->inputs[i].pred_pruned);
    }
  ck_assert (r->randomisation == NULL);
}
END_TEST

START_TEST (test_comparison_table_methods)
{
  /* Row 2 = (2, 0, 1): logit_0 = 5, class 0; reference = means = 0.
   * Saliency (signed) = W[:, 0] = (1, −2, 3); KernelSHAP = IG = occlusion =
   * W[j, 0] (x_j − 0) = (2, 0, 3), φ₀ = f(r) = 0; gradient × input = (2, 0, 3). */
  g_autoptr (PlDataset) ds = table ();
  g_autoptr (PlGraph) g = linear_model (1.0f);
  GError *error = NULL;
  const struct {
    PlMapMethod method;
    float want[3];
  } cases[] = {
    { PL_MAP_SALIENCY, { 1, -2, 3 } },
    { PL_MAP_GRADIENT_X_INPUT, { 2, 0, 3 } },
    { PL_MAP_INTEGRATED_GRADIENTS, { 2, 0, 3 } },
    { PL_MAP_OCCLUSION, { 2, 0, 3 } },
  };
  const float shap_want[3] = { 2, 0, 3 };
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      PlComparisonOptions o;
      pl_comparison_options_init (&o);
      o.method = cases[k].method;
      g_autoptr (PlComparison) c = pl_comparison_compute (g, g, ds, 2, &o, NULL, &error);
      ck_assert_msg (c != NULL, "%s", error ? error->message : "");
      ck_assert_int_eq (c->target, 0);
      ck_assert_int_eq (c->pred[1], 0);
      ck_assert_double_eq_tol (c->target_logit[0], 5.0, 1e-5);
      ck_assert_int_eq (c->grid->n_segments, 3);
      ck_assert_str_eq (c->grid->names[0], "a");
      ck_assert_str_eq (c->grid->names[2], "c");
      for (gint j = 0; j < 3; j++)
        {
          ck_assert_msg (fabsf (c->saliency[0]->data[j] - cases[k].want[j]) < 1e-4,
                         "%s feature %d: %g", pl_map_method_id (cases[k].method), j,
                         c->saliency[0]->data[j]);
          ck_assert_float_eq_tol (c->patch[1]->data[j], cases[k].want[j], 1e-4);
          ck_assert_float_eq_tol (c->saliency_diff->data[j], 0.0f, 1e-6);
          ck_assert_float_eq_tol (c->shap[0]->data[j], shap_want[j], 1e-4);
        }
      ck_assert_double_eq_tol (c->shap_phi0[0], 0.0, 1e-5);
      /* 2^3 − 2 = 6 coalitions enumerated, plus the empty and the full one */
      ck_assert_int_eq (c->shap_evaluations, 8);
      ck_assert_double_eq_tol (c->saliency_similarity.spearman, 1.0, 1e-9);
      if (cases[k].method == PL_MAP_INTEGRATED_GRADIENTS)
        ck_assert_double_eq_tol (c->map_residual[0], 0.0, 1e-4);
    }
  /* Grad-CAM needs a convolution. */
  PlComparisonOptions o;
  pl_comparison_options_init (&o);
  o.method = PL_MAP_GRAD_CAM;
  ck_assert (pl_comparison_compute (g, g, ds, 2, &o, NULL, &error) == NULL);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_UNSUPPORTED));
  g_clear_error (&error);
  /* A row outside the table. */
  ck_assert (pl_comparison_compute (g, g, ds, 8, NULL, NULL, &error) == NULL);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
}
END_TEST

START_TEST (test_table_figure)
{
  /* The figure of a row: one pair of bars per feature, labelled by the feature names,
   * values = the attributions (saliency: W[:, 0]; shap: (2, 0, 3) for row 2). */
  g_autoptr (PlDataset) ds = table ();
  g_autoptr (PlGraph) g = linear_model (1.0f);
  g_autoptr (PlGraph) neg = linear_model (-1.0f);
  GError *error = NULL;
  g_autoptr (PlComparison) c = pl_comparison_compute (g, neg, ds, 2, NULL, NULL, &error);
  ck_assert_msg (c != NULL, "%s", error ? error->message : "");
  PlFigureContext ctx = { .model_name = "linear", .dataset_name = "hand.csv",
                          .sparsity = 0.5, .class_names = (const char *const *) ds->class_names,
                          .n_classes = ds->n_classes, .caption = TRUE };
  const float sal[3] = { 1, -2, 3 }, shap[3] = { 2, 0, 3 };
  for (gint k = 0; k < 2; k++)
    {
      g_autoptr (PlTableFigure) f = pl_table_figure_new (k == 0 ? PL_FIGURE_SALIENCY
                                                                : PL_FIGURE_SHAP, c, &ctx);
      const PlBarFigure *b = pl_table_figure_bars (f);
      ck_assert_int_eq (b->n_groups, 2);
      ck_assert_int_eq (b->n_bars, 3);
      ck_assert_str_eq (b->bar_labels[0], "a");
      ck_assert_str_eq (b->bar_labels[1], "b");
      ck_assert_str_eq (b->bar_labels[2], "c");
      for (gint j = 0; j < 3; j++)
        {
          double want = k == 0 ? sal[j] : shap[j];
          ck_assert_double_eq_tol (b->values[j], want, 1e-4);       /* original */
          ck_assert_double_eq_tol (b->values[3 + j], -want, 1e-4);  /* pruned = −W */
        }
      ck_assert (strstr (pl_table_figure_description (f), "hand.csv") != NULL);
      cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 400, 200);
      cairo_t *cr = cairo_create (surface);
      pl_table_figure_draw (cr, 400, 200, f);
      ck_assert_int_eq (cairo_status (cr), CAIRO_STATUS_SUCCESS);
      cairo_destroy (cr);
      cairo_surface_destroy (surface);
    }
  /* The comparison figure of a table row is this figure. */
  g_autoptr (PlComparisonFigure) cf = pl_comparison_figure_new (PL_FIGURE_SALIENCY, c, &ctx);
  ck_assert (strstr (pl_comparison_figure_title (cf), "per feature") != NULL);
  g_autofree char *dir = g_dir_make_tmp ("pl-tables-XXXXXX", &error);
  g_autofree char *png = g_build_filename (dir, "row.png", NULL);
  ck_assert_msg (pl_comparison_figure_save (cf, png, 72, &error), "%s",
                 error ? error->message : "");
  ck_assert (g_file_test (png, G_FILE_TEST_IS_REGULAR));
  g_unlink (png);
  g_rmdir (dir);
}
END_TEST

START_TEST (test_sweep_table)
{
  g_autoptr (PlDataset) ds = table ();
  g_autoptr (PlGraph) g = linear_model (1.0f);
  PlSweepOptions o;
  pl_sweep_options_init (&o);
  o.n_indices = 8;
  o.n_bootstrap = 200;
  o.faithfulness_options.score = PL_CURVE_SCORE_LOGIT;
  o.randomisation_inputs = 3;
  /* One Gemm: the default protection (last Gemm) would protect it; prune it. */
  g_autoptr (PlPruneConfig) none = pl_prune_config_new ();
  pl_prune_config_set_protected (none, (const char *const[]) { NULL });
  o.prune = none;
  const double sparsities[2] = { 0.0, 0.5 };
  GError *error = NULL;
  g_autoptr (PlSweep) s = pl_sweep_run (g, ds, sparsities, 2, &o, NULL, &error);
  ck_assert_msg (s != NULL, "%s", error ? error->message : "");
  ck_assert (s->table);
  ck_assert_int_eq (s->options.faithfulness_options.pixels_per_step, 1);
  /* 6 of 8 rows right (see csv_text). */
  ck_assert_int_eq (s->points[0].n_eval, 8);
  ck_assert_double_eq_tol (s->points[0].accuracy, 0.75, 1e-12);
  /* Sparsity 0: the same network, every similarity 1, no SSIM. */
  gint64 n = s->n_indices;
  for (gint64 i = 0; i < n; i++)
    {
      ck_assert_double_eq_tol (s->points[0].values[PL_SWEEP_SPEARMAN_ABS * n + i], 1.0, 1e-9);
      ck_assert_double_eq_tol (s->points[0].values[PL_SWEEP_COSINE * n + i], 1.0, 1e-6);
      ck_assert (isnan (s->points[0].values[PL_SWEEP_SSIM * n + i]));
    }
  /* Row 0's own deletion / insertion AUC by hand (logit score). */
  ck_assert_double_eq_tol (s->original_values[PL_SWEEP_DELETION * n + 0], -2.0 / 3.0, 1e-5);
  ck_assert_double_eq_tol (s->original_values[PL_SWEEP_INSERTION * n + 0], 8.0 / 3.0, 1e-5);
  /* 50 %: of |W| = 1 1 2 2 3 3 the three smallest go (ties by index): 1, −1 and one of
   * the 2s; the achieved sparsity is exactly 0.5. */
  ck_assert_double_eq_tol (s->points[1].sparsity, 0.5, 1e-12);
  ck_assert_int_eq (s->points[1].film_map->numel, 3);
  ck_assert (s->randomisation != NULL);
  ck_assert_int_eq (s->randomisation->n_steps, 2);
  /* Exports work and state the table method. */
  gsize len = 0;
  g_autofree char *json = pl_sweep_to_json (s, &len);
  ck_assert (strstr (json, "signed gradient") != NULL);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("tables");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_table_saliency_is_the_weights);
  tcase_add_test (tc, test_table_curves_by_hand);
  tcase_add_test (tc, test_compare_table_identity);
  tcase_add_test (tc, test_compare_table_negated);
  tcase_add_test (tc, test_comparison_table_methods);
  tcase_add_test (tc, test_table_figure);
  tcase_add_test (tc, test_sweep_table);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
