/* pl-prune.h — pruning a PlGraph's weights.
 *
 * Magnitude pruning (Han et al., "Learning both Weights and Connections for Efficient
 * Neural Networks", NeurIPS 2015): the weights with the smallest |w| are set to zero.
 * Prunable weights are those of pl_graph_prunable_weights (Conv / Gemm / MatMul weight
 * initializers; biases are never pruned). The result keeps a 0/1 mask beside each pruned
 * initializer so that fine-tuning keeps pruned weights at zero.
 *
 * Ties: weights are ranked by (|w|, position) ascending, where position orders the
 * prunable initializers as pl_graph_prunable_weights returns them and then elements in
 * row-major order; so among equal magnitudes earlier layers and earlier elements go first.
 * Exactly round(sparsity × total) weights are pruned (already-zero weights count as
 * pruned when they are among the smallest, which they always are).
 */
#pragma once

#include <glib.h>
#include "graph/pl-graph.h"

G_BEGIN_DECLS

typedef enum {
  PL_PRUNE_SCOPE_GLOBAL,     /* one ranking over all prunable weights */
  PL_PRUNE_SCOPE_LAYERWISE,  /* every layer to the same sparsity */
} PlPruneScope;

/* A pruned copy of graph at sparsity in [0, 1]. Errors: PL_ERROR_INVALID if sparsity is
 * outside [0, 1] or the graph has no prunable weights. */
PlGraph *pl_prune_magnitude (const PlGraph *graph, double sparsity, PlPruneScope scope,
                             GError **error);

/* Number of weights pruned by pl_prune_magnitude at sparsity for total weights. */
gint64 pl_prune_count (gint64 total, double sparsity);

G_END_DECLS
