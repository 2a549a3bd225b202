/* pl-step-metrics.h — every number of one pruning step: classification quality, agreement
 * with the original network, and cost (parameters, MACs, file size, latency).
 *
 * Classification (on the first n samples of a labelled dataset, or all of them):
 *   top-1 accuracy; top-5 accuracy when the model has more than 5 classes (NaN otherwise):
 *   the label is among the 5 largest logits, ties broken towards the lower class index as
 *   argmax does; macro precision, recall and F1: per-class values from the confusion
 *   matrix (precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2PR / (P + R),
 *   0 when the denominator is 0), averaged over the classes that occur as a label or as a
 *   prediction (scikit-learn's precision_recall_fscore_support (average="macro",
 *   zero_division=0) with its default labels); the confusion matrix [K, K], row = true
 *   class, column = predicted class.
 * Agreement with a reference (the original network on the same samples): share of samples
 *   whose top-1 prediction is the same, the indices whose prediction changed, and the mean
 *   over samples of KL(p_ref ‖ p) = Σ_c p_ref,c (log p_ref,c − log p_c) in nats, p = softmax
 *   of the logits (computed with log-softmax, so it is finite for finite logits).
 * Cost:
 *   parameters: elements of every initializer a node reads (as pl_graph_n_parameters),
 *   non-zero: those that are not 0 and not masked;
 *   per-layer sparsity of the prunable weights (pl_graph_prunable_weights order);
 *   MACs per sample (batch 1): one MAC is one multiply-add. Only Conv, Gemm and MatMul
 *   layers with a weight initializer count (element-wise operators, pooling, BatchNorm
 *   and activations are not counted). Conv: Cout·Hout·Wout·(Cin/groups)·Kh·Kw, i.e. the
 *   weight's element count times the output's spatial size; Gemm / MatMul: M·N·K with
 *   M = 1 per sample, i.e. the weight's element count times the output rows per sample.
 *   Effective MACs count only non-zero, unmasked weights (what a sparse kernel would do);
 *   output shapes come from one batch-1 forward pass;
 *   file size: bytes of the ONNX serialization (pl_onnx_save_data);
 *   latency: median wall time in milliseconds of latency_runs batch-1 forward passes (after
 *   one warm-up) on the engine's threads — measured, so not reproducible exactly.
 */
#pragma once

#include <glib.h>
#include "graph/pl-graph.h"
#include "data/pl-dataset.h"
#include "prune/pl-prune.h"
#include "pl-progress.h"

G_BEGIN_DECLS

typedef struct {
  char *name;             /* node name, or the weight's name for an unnamed node */
  char *op_type;          /* "Conv", "Gemm", "MatMul" */
  gint64 weights;         /* elements of the weight */
  gint64 nonzero;         /* non-zero, unmasked */
  double sparsity;        /* 1 − nonzero / weights */
  gint64 macs_dense;      /* per sample */
  gint64 macs_effective;
} PlLayerCost;

typedef struct {
  gint64 params_total;
  gint64 params_nonzero;
  gint64 prunable_weights;     /* elements of the prunable weights */
  double weight_sparsity;      /* pl_graph_weight_sparsity */
  gint n_layers;
  PlLayerCost *layers;         /* [n_layers], prunable weights in graph order */
  gint64 macs_dense;           /* per sample, sum over layers */
  gint64 macs_effective;
  gint64 file_size;            /* bytes of the ONNX file; -1 when not measured */
  double latency_ms;           /* median batch-1 forward; NaN when not measured */
} PlCost;

/* Cost of graph (see above). latency_runs ≤ 0: latency not measured (NaN); measure_size
 * FALSE: file_size −1. Errors: executor errors (the graph cannot run on a batch of 1 of its
 * sample shape), PL_ERROR_INVALID when graph input 0 has no known sample shape. */
PlCost *pl_cost_compute (PlGraph *graph, gboolean measure_size, gint latency_runs,
                         GError **error);
void pl_cost_free (PlCost *cost);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlCost, pl_cost_free)

/* Macro precision, recall and F1 of a k × k confusion matrix (row = true class, column =
 * predicted; see the header comment). Classes with neither labels nor predictions are left
 * out; all three are NaN when the matrix is empty. */
void pl_macro_prf (const gint64 *confusion, gint k, double *precision, double *recall,
                   double *f1);

/* KL(softmax(ref) ‖ softmax(q)) in nats for k logits each; ≥ 0 (0 for identical logits). */
double pl_softmax_kl (const float *ref, const float *q, gint k);

typedef struct {
  gint64 n;                    /* samples evaluated */
  gint n_classes;              /* K: width of the logits */
  double top1;
  double top5;                 /* NaN when K ≤ 5 */
  double macro_precision, macro_recall, macro_f1;
  gint64 *confusion;           /* [K × K], row = true class */
  gint *predictions;           /* [n] */
  PlTensor *logits;            /* [n, K] */
  /* Against the reference (when one was given; else agreement NaN, n_changed 0). */
  gboolean has_reference;
  double agreement;            /* share of equal top-1 predictions */
  gint64 n_changed;
  gint64 *changed;             /* [n_changed] sample indices, ascending */
  double mean_kl;              /* mean KL(reference ‖ this), nats */
  PlCost *cost;                /* NULL when not asked */
  double seconds;              /* wall time of the evaluation */
} PlStepMetrics;

typedef struct {
  gint64 n_eval;        /* first n samples; ≤ 0: all */
  gint n_threads;       /* evaluation threads (≤ 0: 2) */
  gboolean cost;        /* compute PlCost (default TRUE) */
  gboolean file_size;   /* default TRUE */
  gint latency_runs;    /* default 7; 0: no latency */
} PlStepMetricsOptions;

void pl_step_metrics_options_init (PlStepMetricsOptions *options);

/* All metrics of graph on dataset. reference: the original network's metrics on the same
 * samples (same n and K) or NULL. options NULL: defaults. Errors: those of
 * pl_evaluate_classifier_logits and pl_cost_compute; PL_ERROR_INVALID when the reference
 * was computed on a different number of samples or classes, or a label is ≥ K. */
PlStepMetrics *pl_step_metrics_compute (PlGraph *graph, const PlDataset *dataset,
                                        const PlStepMetrics *reference,
                                        const PlStepMetricsOptions *options,
                                        const PlProgress *progress, GError **error);
void pl_step_metrics_free (PlStepMetrics *metrics);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlStepMetrics, pl_step_metrics_free)

/* Comparison of two history steps a and b (b − a for the deltas). The graphs are new
 * references; the metrics are borrowed from the history (NULL when a step has none or
 * when its metrics slot does not hold a PlStepMetrics set by pl_step_metrics_attach). */
typedef struct {
  guint index[2];
  PlGraph *graph[2];
  const PlStepMetrics *metrics[2];
  double sparsity[2];          /* pl_graph_weight_sparsity of each graph */
  double delta_sparsity;
  /* NaN / 0 when either step has no metrics */
  double delta_top1, delta_top5, delta_f1, delta_mean_kl;
  gint64 delta_params_nonzero, delta_macs_effective, delta_file_size;
  double delta_latency_ms;
  double agreement;            /* share of equal predictions of the two steps (NaN if unknown) */
  gint64 n_changed;            /* samples whose prediction differs between a and b */
  gint64 *changed;
} PlStepComparison;

/* Stores metrics in history step index (the history takes ownership). */
void pl_step_metrics_attach (PlPruneHistory *history, guint index, PlStepMetrics *metrics);
/* The PlStepMetrics of step index, or NULL. */
const PlStepMetrics *pl_step_metrics_get (const PlPruneHistory *history, guint index);
/* Errors: PL_ERROR_INVALID when a or b is not a step of history. */
PlStepComparison *pl_step_compare (const PlPruneHistory *history, guint a, guint b,
                                   GError **error);
void pl_step_comparison_free (PlStepComparison *comparison);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlStepComparison, pl_step_comparison_free)

G_END_DECLS
