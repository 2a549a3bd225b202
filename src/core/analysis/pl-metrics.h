/* pl-metrics.h — classification metrics and attribution similarity. */
#pragma once

#include <glib.h>
#include "graph/pl-graph.h"
#include "data/pl-dataset.h"
#include "pl-progress.h"

G_BEGIN_DECLS

typedef struct {
  gint64 n;            /* samples evaluated */
  gint64 correct;      /* top-1 correct */
  double accuracy;     /* correct / n */
  gint *predictions;   /* [n] argmax of the logits (first maximum on ties) */
} PlEvaluation;

/* Top-1 accuracy of graph on the first n samples of dataset (n ≤ 0 or > size: all).
 * Runs equal batches of at most 32 samples through one executor, which spreads each batch
 * over the engine's worker threads. Free the result with pl_evaluation_free. */
PlEvaluation *pl_evaluate_classifier (PlGraph *graph, const PlDataset *dataset, gint64 n,
                                      const PlProgress *progress, GError **error);
/* As pl_evaluate_classifier; n_threads is ignored (kept for compatibility: the executor
 * chooses its threads, PL_NUM_THREADS). (Addition.) */
PlEvaluation *pl_evaluate_classifier_threads (PlGraph *graph, const PlDataset *dataset,
                                              gint64 n, gint n_threads,
                                              const PlProgress *progress, GError **error);
/* As pl_evaluate_classifier_threads, also returning the logits of graph output 0 as a new
 * [n, K] tensor in *logits (which must be NULL on entry). (Addition, issue 5.) */
PlEvaluation *pl_evaluate_classifier_logits (PlGraph *graph, const PlDataset *dataset,
                                             gint64 n, gint n_threads, PlTensor **logits,
                                             const PlProgress *progress, GError **error);
void pl_evaluation_free (PlEvaluation *evaluation);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlEvaluation, pl_evaluation_free)

/* Similarity of two attributions a, b of n values each.
 * Spearman rank correlation (average ranks for ties; GSL gsl_stats_spearman), Pearson
 * correlation, cosine similarity, and top-k intersection: |top_k(|a|) ∩ top_k(|b|)| / k with
 * k = max(1, round(fraction × n)). NaN when undefined (constant input). */
typedef struct {
  double spearman;
  double pearson;
  double cosine;
  double topk_intersection;
  gint k;
} PlSimilarity;

void pl_attribution_similarity (const float *a, const float *b, gint64 n, double topk_fraction,
                                PlSimilarity *out);

G_END_DECLS
