/* pl-sweep.h — a sparsity sweep: accuracy, cost and explanation similarity against
 * sparsity for one pruning configuration.
 *
 * For every requested sparsity the original network is pruned by pl_prune_apply with
 * options.prune — by default global unstructured magnitude pruning (Han et al., NeurIPS
 * 2015) with the default protection of `prune` (the first Conv and the last Gemm / MatMul
 * are not pruned, pl_prune_default_protected) — then measured:
 *   - achieved sparsity of the prunable weights (pl_graph_weight_sparsity), non-zero
 *     prunable weights and parameters, and the multiply-accumulates of one input that use
 *     a non-zero weight (Conv / Gemm / MatMul; each weight is used once per output
 *     position of its node, measured by one forward pass);
 *   - top-1 accuracy on the first n_eval samples (pl_evaluate_classifier);
 *   - for every given input: the vanilla-gradient saliency (pl_saliency) of the class the
 *     ORIGINAL network predicts, from the original and the pruned network, and their
 *     similarity (pl_attribution_similarity_full: Spearman and Kendall τ-b of |φ|, top-k
 *     intersection of |φ|, Pearson, cosine, SSIM), summarised over the inputs as mean, sd,
 *     median and a percentile bootstrap CI of the mean (pl_summarise);
 *   - per input, the faithfulness of the pruned network's own saliency (deletion and
 *     insertion AUC, pl_faithfulness_curve) and its complexity (entropy, Gini), with the
 *     same summaries, and once the original network's;
 *   - the pruned network's saliency of one chosen input (for a filmstrip);
 *   - optionally, as a reference, the cascading randomisation curve of the original.
 * Everything, with every parameter and seed, exports to CSV and JSON.
 */
#pragma once

#include <glib.h>
#include "analysis/pl-faithfulness.h"
#include "analysis/pl-stats.h"
#include "data/pl-dataset.h"
#include "prune/pl-prune.h"
#include "graph/pl-graph.h"
#include "pl-progress.h"
#include "tensor/pl-tensor.h"

G_BEGIN_DECLS

/* Explanation metrics of a sweep point (original vs pruned saliency of the same input). */
typedef enum {
  PL_SWEEP_SPEARMAN_ABS,   /* Spearman rank correlation of |φ| */
  PL_SWEEP_TOPK,           /* top-k intersection of |φ|, k = topk_fraction × H·W */
  PL_SWEEP_KENDALL_ABS,    /* Kendall τ-b of |φ| */
  PL_SWEEP_PEARSON,        /* of the signed maps */
  PL_SWEEP_COSINE,
  PL_SWEEP_SSIM,           /* as PlSimilarityFull.ssim */
  /* Additions: measured on the PRUNED network's own saliency of the same class (NaN when
   * options.faithfulness is off). The original network's values are PlSweep.original. */
  PL_SWEEP_DELETION,       /* deletion AUC (Petsiuk et al. 2018), lower = more faithful */
  PL_SWEEP_INSERTION,      /* insertion AUC, higher = more faithful */
  PL_SWEEP_ENTROPY,        /* entropy of normalised |φ| in nats (pl_attribution_entropy) */
  PL_SWEEP_GINI,           /* Gini coefficient of normalised |φ| */
  PL_SWEEP_N_METRICS
} PlSweepMetric;

/* Stable snake_case names ("spearman_abs", "topk_intersection", ..., "deletion_auc",
 * "insertion_auc", "entropy", "gini"): CSV columns and JSON keys. */
const char *pl_sweep_metric_name (PlSweepMetric metric);
/* Display names for axes and legends ("Spearman of |φ|", "top-10 % overlap" style). */
const char *pl_sweep_metric_label (PlSweepMetric metric);

typedef struct {
  gint64 n_eval;           /* accuracy on the first n_eval samples; ≤ 0: all; default 2000 */
  const gint64 *indices;   /* inputs compared (borrowed, copied into the result); NULL: the
                            * first n_indices samples of the dataset */
  gint64 n_indices;        /* default 20 */
  gint64 film_index;       /* dataset index of the filmstrip input; < 0: indices[0] */
  double topk_fraction;    /* default 0.1 */
  gint n_bootstrap;        /* default 2000 */
  double confidence;       /* default 0.95 */
  guint64 seed;            /* bootstrap seed, default 1 (pruning itself is deterministic) */
  /* Additions. */
  /* Deletion / insertion curves of every input's saliency on the pruned network (and once
   * on the original): 2 × (⌈HW / step⌉ + 1) forward passes per input and sparsity.
   * Default TRUE. Entropy and Gini are always measured. */
  gboolean faithfulness;
  PlFaithfulnessOptions faithfulness_options;   /* default pl_faithfulness_options_init */
  /* The cascading randomisation sanity check (Adebayo et al. 2018) of the original
   * network on the first randomisation_inputs of the inputs (default 0: off; seed: seed + 2),
   * the reference curve beside the pruning curve. */
  gint64 randomisation_inputs;
  /* Added (session 4): the pruning of every point (borrowed; copied into the result).
   * NULL: pl_prune_config_new ()'s defaults — magnitude, unstructured, global, default
   * protection (first Conv, last Gemm / MatMul), as `prune`. Set protected layers with
   * pl_prune_config_set_protected (an empty list prunes every layer, the behaviour before
   * session 4). The sparsities are pl_prune_apply's target (a share of the unprotected
   * weights for global unstructured pruning); PlSweepPoint.sparsity is the achieved share
   * of all prunable weights. */
  const PlPruneConfig *prune;
} PlSweepOptions;

void pl_sweep_options_init (PlSweepOptions *options);

typedef struct {
  double sparsity_requested;  /* in [0, 1] */
  double sparsity;            /* achieved share of zero prunable weights */
  gint64 prunable_weights;
  gint64 nonzero_weights;     /* non-zero prunable weights */
  gint64 parameters;          /* pl_graph_n_parameters */
  gint64 nonzero_parameters;  /* parameters minus the zero prunable weights */
  gint64 macs_dense;          /* MACs of one input of Conv/Gemm/MatMul weights; -1 unknown */
  gint64 macs_nonzero;        /* of those, the ones whose weight is non-zero; -1 unknown */
  gint64 n_eval;              /* samples evaluated */
  gint64 correct;
  double accuracy;            /* correct / n_eval */
  double *values;             /* [PL_SWEEP_N_METRICS × n_indices] metric-major; NaN undefined */
  PlSummary summary[PL_SWEEP_N_METRICS];
  gint *pred;                 /* [n_indices] the pruned network's prediction per input */
  PlTensor *film_map;         /* [H, W] pruned-network saliency of film_index */
  gint film_pred;             /* the pruned network's prediction of film_index */
} PlSweepPoint;

typedef struct {
  PlSweepOptions options;     /* as used (defaults filled in; indices points at .indices) */
  char *dataset_name;
  gint64 dataset_size;
  gint64 n_indices;
  gint64 *indices;            /* [n_indices] */
  gint *labels;               /* [n_indices] true labels */
  gint *targets;              /* [n_indices] class explained: original prediction */
  gint64 film_index;
  gint film_label, film_target;
  char **class_names;         /* the dataset's class names, NULL-terminated (may be empty) */
  PlTensor *film_image;       /* [H, W] the film input's first channel in [0, 1] */
  PlTensor *film_original;    /* [H, W] original network's saliency of the film input */
  gint n_points;
  PlSweepPoint *points;       /* [n_points] in the order requested */
  double seconds;             /* wall time of the run */
  /* Additions. */
  /* The original network's own values of the per-network metrics (DELETION, INSERTION,
   * ENTROPY, GINI) over the inputs, with bootstrap CI; the comparison metrics are n = 0. */
  PlSummary original[PL_SWEEP_N_METRICS];
  double *original_values;    /* [PL_SWEEP_N_METRICS × n_indices] metric-major, NaN unused */
  /* NULL unless options.randomisation_inputs > 0. */
  PlRandomisationCurve *randomisation;
  /* [randomisation->n_steps]: Spearman of |φ| over the randomisation inputs per step, mean
   * and bootstrap CI (same bootstrap options as the points). */
  PlSummary *randomisation_spearman_abs;
  /* Added (tables): TRUE for a PL_DATASET_TABLE dataset. The inputs are rows [1, F]
   * (H = 1, W = F in every [H, W] map); the saliency is the SIGNED gradient per feature
   * (pl_table_saliency); SSIM is NaN (it does not apply to vectors); deletion / insertion
   * change one feature per step towards / from the dataset's feature means
   * (pl_faithfulness_curve_table; options.faithfulness_options.pixels_per_step reads 1);
   * film_image is the raw row [1, F]. */
  gboolean table;
  /* Added (session 4): the pruning used (owned; options.prune points at it), its
   * description ("magnitude, unstructured, global; protected: conv1, fc2") and the names of
   * the protected layers (NULL-terminated; may be empty). */
  PlPruneConfig *prune_config;
  char *pruning_description;
  char **protected_layers;
} PlSweep;

/* Runs the sweep. original: takes the dataset's images [N, C, H, W] (pixels / 255) — or,
 * added, a table's rows [N, F] (see PlSweep.table) — and gives logits [N, K]; not modified. sparsities: n_sparsities values in [0, 1] (any order,
 * repeats allowed). options NULL: defaults. Progress: one equal share per sparsity;
 * cancellation is checked before every pruning, evaluation and input.
 * Errors: PL_ERROR_INVALID (no sparsities, a sparsity outside [0, 1] or not finite, an
 * index outside the dataset, an empty dataset, a graph without prunable weights, every
 * prunable layer protected, other errors of pl_prune_apply),
 * executor errors, G_IO_ERROR_CANCELLED. */
PlSweep *pl_sweep_run (PlGraph *original, const PlDataset *dataset, const double *sparsities,
                       gint n_sparsities, const PlSweepOptions *options,
                       const PlProgress *progress, GError **error);
void pl_sweep_free (PlSweep *sweep);
/* The dataset's name of class c ("" if unknown). */
const char *pl_sweep_class_name (const PlSweep *sweep, gint c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlSweep, pl_sweep_free)

/* One row per sparsity (RFC 4180, '.' decimal point, NaN as empty field) after "# key,value"
 * lines with every parameter and seed: requested and achieved sparsity, weights, parameters,
 * MACs, accuracy, and per metric mean, sd, median, ci_low, ci_high, n. Atomic
 * (g_file_set_contents). Errors: PL_ERROR_IO naming path. */
gboolean pl_sweep_save_csv (const PlSweep *sweep, const char *path, GError **error);
/* Everything as one JSON object (NaN as null): "parameters", "points" (with per-input
 * values), "film" (input, maps). Atomic. Errors: PL_ERROR_IO naming path. */
gboolean pl_sweep_save_json (const PlSweep *sweep, const char *path, GError **error);
char *pl_sweep_to_json (const PlSweep *sweep, gsize *length);
/* Addition: the reference curves as CSV after the same "# key,value" lines: rows
 * curve,step,layer,metric,n,mean,ci_low,ci_high — "original" rows with the original
 * network's deletion / insertion AUC, entropy and Gini (the pruning curves' reference),
 * then "randomisation" rows per step (Spearman of |φ| with its CI; top-k, SSIM, Pearson,
 * cosine means). Atomic. Errors: PL_ERROR_IO naming path. */
gboolean pl_sweep_save_reference_csv (const PlSweep *sweep, const char *path, GError **error);

G_END_DECLS
