/* pl-session.h — the state of one workbench session and the computations that drive it.
 *
 * A session holds the original network (never modified), the dataset, and the pruned
 * network of the current step with both networks' evaluations. The same functions back
 * the GUI (in worker threads) and prunelens-cli, so both show the same numbers.
 *
 * Thread-safety: a PlSession is owned by the main thread; workers receive references to
 * the immutable graphs and dataset (pl_graph_ref / pl_dataset_ref) and return new objects.
 */
#pragma once

#include <glib.h>
#include "graph/pl-graph.h"
#include "data/pl-dataset.h"
#include "analysis/pl-metrics.h"
#include "explain/pl-explain.h"
#include "prune/pl-prune.h"
#include "prune/pl-prune-schedule.h"
#include "pl-progress.h"

G_BEGIN_DECLS

/* The default model, models/fashion-cnn.onnx, looked up in $PRUNELENS_DATADIR, then the
 * source tree's data/ (uninstalled runs), then the installed data folder. Always returns a
 * path (the installed one when none exists). Free with g_free. */
char *pl_default_model_path (void);

/* Checks that graph can classify dataset before any long work: its input takes the
 * dataset's [C, H, W] images (for a table, [F] rows; a regression table is refused), its first output has one logit per class of the dataset,
 * and the logits of the first sample are finite. model_name and the dataset's name appear
 * in every message. Errors: PL_ERROR_INVALID, or the executor's error prefixed with the
 * model name. */
gboolean pl_model_check_dataset (PlGraph *graph, const char *model_name,
                                 const PlDataset *dataset, GError **error);

/* The result of one pruning step: a pruned copy of the original and its evaluation. */
typedef struct {
  double target_sparsity;      /* requested, in [0, 1] */
  double achieved_sparsity;    /* share of zero prunable weights, in [0, 1] */
  gint64 n_weights;            /* number of prunable weights */
  PlGraph *pruned;
  PlEvaluation *evaluation;    /* of the pruned network on the evaluation samples */
  char *description;           /* e.g. "global magnitude pruning", "taylor, channels, global" */
} PlPruneStep;

/* Global unstructured magnitude pruning of original to target_sparsity, then top-1
 * accuracy on the first n_eval samples of dataset. */
PlPruneStep *pl_prune_step_run (PlGraph *original, const PlDataset *dataset,
                                double target_sparsity, gint64 n_eval,
                                const PlProgress *progress, GError **error);
/* The same with any pruning configuration (prune/pl-prune.h; NULL: global magnitude over
 * every layer, as pl_prune_step_run). The step's description says what was done. */
PlPruneStep *pl_prune_step_run_config (PlGraph *original, const PlDataset *dataset,
                                       const PlPruneConfig *config, double target_sparsity,
                                       gint64 n_eval, const PlProgress *progress,
                                       GError **error);
/* Added (issue 5): the same through a schedule (prune/pl-prune-schedule.h; NULL: one-shot
 * without fine-tuning). When history is given, every step of the schedule is pushed to it
 * (pl_prune_schedule_run). The step holds the schedule's final network and its evaluation;
 * its description names the configuration and the schedule. */
PlPruneStep *pl_prune_step_run_schedule (PlGraph *original, const PlDataset *dataset,
                                         const PlPruneConfig *config,
                                         const PlPruneSchedule *schedule,
                                         double target_sparsity, gint64 n_eval,
                                         PlPruneHistory *history, const PlProgress *progress,
                                         GError **error);
void pl_prune_step_free (PlPruneStep *step);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlPruneStep, pl_prune_step_free)

/* The pixel-attribution method of the comparison's first view (and of its patch bars). */
typedef enum {
  PL_MAP_SALIENCY,              /* vanilla gradient, max_c |∂f/∂x| (Simonyan et al. 2014) */
  PL_MAP_GRADIENT_X_INPUT,      /* x ⊙ ∂f/∂x summed over channels, signed */
  PL_MAP_INTEGRATED_GRADIENTS,  /* IG, zero baseline, 50 Gauss–Legendre steps, signed */
  PL_MAP_SMOOTHGRAD,            /* SmoothGrad, 50 samples, σ = 15 % of the range, |·| */
  PL_MAP_OCCLUSION,             /* 4 × 4 windows, stride 2, occluded with 0, signed */
  PL_MAP_GRAD_CAM,              /* Grad-CAM on the last convolution, bilinear upsampling */
  PL_MAP_N_METHODS
} PlMapMethod;

const char *pl_map_method_id (PlMapMethod method);      /* "saliency", "integrated-gradients"… */
const char *pl_map_method_label (PlMapMethod method);   /* "Saliency", "Integrated Gradients"… */
gboolean pl_map_method_from_id (const char *id, PlMapMethod *method);
/* TRUE for methods whose maps have a sign (drawn on a diverging scale). */
gboolean pl_map_method_is_signed (PlMapMethod method);

typedef struct {
  PlMapMethod method;        /* pixel attribution (default PL_MAP_SALIENCY) */
  gint grid;                 /* patches per side for bars and KernelSHAP (default 4; cut to
                                the image side when larger: cmp->options.grid) */
  gint shap_budget;          /* ≤ 0: 2M + 2048 */
  guint64 seed;              /* KernelSHAP sampling */
  float baseline;            /* value of hidden patches (default 0 = black) */
  double topk_fraction;      /* for the top-k intersection (default 0.1) */
} PlComparisonOptions;

void pl_comparison_options_init (PlComparisonOptions *options);

/* Original vs pruned for one sample. Both networks explain the same class: the original
 * network's prediction (target). */
typedef struct {
  gint64 index;               /* sample index in the dataset */
  gint label;                 /* true class */
  gint target;                /* class explained */
  gint pred[2];               /* predicted class: [0] original, [1] pruned */
  double prob[2];             /* softmax probability of the predicted class */
  double target_logit[2];     /* f_target(x) */
  PlTensor *image;            /* [1, C, H, W] in [0, 1] */
  PlTensor *saliency[2];      /* [H, W] map of options.method (vanilla-gradient saliency by
                               * default); channels reduced by max |·| for saliency, summed
                               * for the others */
  PlTensor *saliency_diff;    /* [H, W] pruned − original */
  char *map_parameters;       /* every parameter of the map method, e.g. "steps=50 …" */
  double map_residual[2];     /* IG completeness residual per network, else NaN */
  PlSegmentation *grid;       /* grid × grid patches */
  PlTensor *patch[2];         /* [M] saliency summed per patch */
  PlTensor *shap[2];          /* [M] KernelSHAP values of the target logit per patch */
  double shap_phi0[2];        /* v(∅): logit with every patch hidden */
  PlTensor *shap_map[2];      /* [H, W] shap values painted on their patches */
  PlTensor *shap_diff;        /* [H, W] pruned − original */
  PlSimilarity saliency_similarity;   /* original vs pruned saliency, over pixels */
  PlSimilarity patch_similarity;      /* over patch sums */
  PlSimilarity shap_similarity;       /* over SHAP values */
  PlComparisonOptions options;
  gint shap_evaluations;      /* coalitions evaluated per network */
} PlComparison;

/* Computes the comparison of sample index. pruned may equal original (sparsity 0).
 * Added (tables): for a PL_DATASET_TABLE dataset, image is the row [1, F] (raw values);
 * saliency[g] and saliency_diff are [1, F] attributions of the method — saliency: the
 * SIGNED gradient ∂f/∂x; gradient-x-input; integrated gradients from the dataset's feature
 * means (50 Gauss–Legendre steps); SmoothGrad with its defaults (|·|, σ = 15 % of the row's
 * range); occlusion of one feature at a time by its mean; Grad-CAM is refused
 * (PL_ERROR_UNSUPPORTED: no convolution) —; grid is 1 × F with one segment per feature,
 * named after the feature (options.grid and options.baseline are ignored); patch[g] = the
 * attribution per feature [F]; shap[g] = table KernelSHAP [F]
 * (pl_attribution_kernel_shap_table) with the feature means as the reference row,
 * shap_phi0 = v(∅); shap_map = shap as [1, F]. */
PlComparison *pl_comparison_compute (PlGraph *original, PlGraph *pruned,
                                     const PlDataset *dataset, gint64 index,
                                     const PlComparisonOptions *options,
                                     const PlProgress *progress, GError **error);
void pl_comparison_free (PlComparison *comparison);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlComparison, pl_comparison_free)

G_END_DECLS
