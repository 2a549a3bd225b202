/* pl-compare.h — original vs pruned explanations over a sample of N inputs.
 *
 * pl_compare_sample runs the whole job: a seeded, class-stratified sample of the dataset;
 * per input, the attribution of the class the ORIGINAL network predicts (the same class for
 * both networks, as the workbench shows it) from each network; their similarity
 * (pl-stats.h), the similarity of the per-patch bars (sums over a rows × cols grid), the
 * faithfulness of each network's own map (deletion / insertion AUC, pl-faithfulness.h) and
 * its complexity (entropy, Gini); then the mean, median and bootstrap CI of every metric, a
 * paired t-test and Wilcoxon signed-rank test of original vs pruned faithfulness, a
 * per-class breakdown, the inputs whose explanation changed most, and optionally the
 * cascading-randomisation reference curve of the original network. Everything, with every
 * parameter and seed, exports to CSV and JSON.
 */
#pragma once

#include <glib.h>
#include "analysis/pl-faithfulness.h"
#include "analysis/pl-stats.h"
#include "data/pl-dataset.h"
#include "graph/pl-graph.h"
#include "pl-progress.h"

G_BEGIN_DECLS

/* Per-input metrics, in this order in every table. "_orig" / "_pruned" are measured on the
 * original / pruned network's own attribution; the rest compare the two. */
typedef enum {
  PL_METRIC_SPEARMAN,          /* Spearman of the signed maps */
  PL_METRIC_SPEARMAN_ABS,      /* Spearman of |φ| */
  PL_METRIC_KENDALL,           /* Kendall τ-b of the signed maps */
  PL_METRIC_PEARSON,
  PL_METRIC_COSINE,
  PL_METRIC_TOPK,              /* top-k intersection of |φ|, k = topk_fraction of H·W */
  PL_METRIC_SSIM,              /* as PlSimilarityFull.ssim */
  PL_METRIC_BARS_SPEARMAN,     /* the same rank measures for the grid bars */
  PL_METRIC_BARS_KENDALL,
  PL_METRIC_BARS_TOPK,         /* k = topk_fraction of the number of bars (at least 1) */
  PL_METRIC_DELETION_ORIG,     /* deletion AUC (lower = more faithful) */
  PL_METRIC_DELETION_PRUNED,
  PL_METRIC_INSERTION_ORIG,    /* insertion AUC (higher = more faithful) */
  PL_METRIC_INSERTION_PRUNED,
  PL_METRIC_ENTROPY_ORIG,      /* nats */
  PL_METRIC_ENTROPY_PRUNED,
  PL_METRIC_GINI_ORIG,
  PL_METRIC_GINI_PRUNED,
  PL_N_METRICS
} PlCompareMetric;

/* Stable snake_case names ("spearman", "deletion_auc_orig", ...) used as CSV columns and
 * JSON keys. */
const char *pl_compare_metric_name (PlCompareMetric metric);

typedef struct {
  gint64 n_samples;          /* inputs to compare, default 100 (capped at the dataset size) */
  guint64 seed;              /* sample selection; bootstrap uses seed + 1, randomisation
                              * seed + 2; default 1 */
  double topk_fraction;      /* default 0.1 */
  gint grid_rows, grid_cols; /* bars, default 4 × 4; cut to the image size when larger */
  PlFaithfulnessOptions faithfulness;
  gint n_bootstrap;          /* default 2000 */
  double confidence;         /* default 0.95 */
  gboolean randomisation;    /* run the cascading randomisation on the original (default TRUE) */
  gint64 randomisation_inputs; /* how many of the sample it uses, default 10 */
  const char *method_name;   /* for the export, default "saliency" (copied) */
  PlAttributionFunc method;  /* NULL: saliency */
  gpointer method_data;
} PlCompareOptions;

void pl_compare_options_init (PlCompareOptions *options);

typedef struct {
  gint64 index;              /* dataset index */
  gint label;
  gint target;               /* class explained: the original network's prediction */
  gint pred_original, pred_pruned;
  double metrics[PL_N_METRICS];
} PlCompareInput;

typedef struct {
  PlCompareOptions options;  /* as used (defaults filled in; method_name owned) */
  char *dataset_name;
  gint64 dataset_size;
  double sparsity_original;  /* pl_graph_weight_sparsity */
  double sparsity_pruned;

  gint64 n;                  /* inputs compared */
  PlCompareInput *inputs;    /* [n], in sample order (ascending dataset index) */

  /* Curves: n_curve_points fractions; mean curves over the inputs, [4][n_curve_points]:
   * deletion original, deletion pruned, insertion original, insertion pruned. */
  gint n_curve_points;
  double *curve_fraction;
  double *mean_curves;

  PlSummary summary[PL_N_METRICS];
  /* d = pruned − original of the deletion and insertion AUC. */
  PlPairedTTest deletion_t, insertion_t;
  PlWilcoxon deletion_wilcoxon, insertion_wilcoxon;

  /* Per class c (0..n_classes-1): class_count[c] inputs; class_mean[c * PL_N_METRICS + m]
   * mean of metric m over them (NaN if none). */
  gint n_classes;
  char **class_names;        /* [n_classes + 1], NULL-terminated */
  gint64 *class_count;
  double *class_mean;

  /* Positions in inputs[] sorted by how much the explanation changed: ascending Spearman
   * of |φ| (NaN last), ties by dataset index. [n]. */
  gint64 *ranked;

  PlRandomisationCurve *randomisation;   /* NULL unless options.randomisation */
  /* Added (tables): TRUE for a table dataset (PL_DATASET_TABLE). Then the inputs are rows
   * [1, F] and the "maps" F-vectors of the method (NULL: pl_table_saliency, the signed
   * gradient); SSIM is NaN (it does not apply to vectors); the bars are the features
   * themselves (bars_* = the rank measures of the F-vectors, top-k at least 1 feature);
   * deletion / insertion change one feature per step towards / from the dataset's feature
   * means (pl_faithfulness_curve_table), so curves have F + 1 points; the randomisation
   * explains rows [1, F]. */
  gboolean table;
} PlCompareReport;

/* Seeded class-stratified sample of n of the dataset's indices (proportional allocation by
 * largest remainder, ties to the lower class; within a class a uniform random subset by a
 * partial Fisher–Yates shuffle with splitmix64). Returned ascending; *n_out = min(n, size).
 * n ≤ 0: the whole dataset. */
gint64 *pl_stratified_sample (const PlDataset *dataset, gint64 n, guint64 seed,
                              gint64 *n_out);

/* original and pruned must take the dataset's images ([N, C, H, W], pixels / 255) — or,
 * added, a table's rows ([N, F] raw values; see PlCompareReport.table) — and give
 * logits [N, K]; neither is modified. options NULL: defaults. Progress: the inputs take
 * 85 % of the range (100 % without randomisation), the randomisation the rest; cancellation
 * is checked before every input and every batch of curve images. Cost per input: two
 * attributions and 4 curves of ⌈HW / step⌉ + 1 forward passes each (default: 200 images
 * for 28 × 28). Errors: PL_ERROR_INVALID (empty dataset, a grid larger than the image, an
 * attribution of the wrong size, a class the pruned network lacks), executor errors,
 * G_IO_ERROR_CANCELLED. */
PlCompareReport *pl_compare_sample (PlGraph *original, PlGraph *pruned,
                                    const PlDataset *dataset, const PlCompareOptions *options,
                                    const PlProgress *progress, GError **error);
void pl_compare_report_free (PlCompareReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlCompareReport, pl_compare_report_free)

/* The per-input table as CSV (RFC 4180, '.' decimal point, NaN as empty field):
 * "# key,value" comment lines with every parameter and seed, then one header row and one
 * row per input. Written atomically (g_file_set_contents). Errors: PL_ERROR_IO. */
gboolean pl_compare_report_save_csv (const PlCompareReport *report, const char *path,
                                     GError **error);
/* The summaries, tests, per-class means and the randomisation curve as CSV
 * (section,name,field,value rows after the same parameter lines). */
gboolean pl_compare_report_save_summary_csv (const PlCompareReport *report, const char *path,
                                             GError **error);
/* Everything as one JSON object (NaN as null): "parameters", "summary", "tests",
 * "per_class", "most_changed", "curves", "randomisation", "inputs". */
gboolean pl_compare_report_save_json (const PlCompareReport *report, const char *path,
                                      GError **error);
char *pl_compare_report_to_json (const PlCompareReport *report, gsize *length);

G_END_DECLS
