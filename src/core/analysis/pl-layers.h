/* pl-layers.h — per-layer views of a network: how sparse each layer is, and how sensitive
 * the accuracy is to pruning each layer alone.
 *
 * Layers are the weights pl_graph_prunable_weights returns (Conv / Gemm / MatMul weight
 * initializers), in that order, named by the node that uses the weight (the initializer's
 * name if that node has no name).
 *
 * Sensitivity analysis as in Li et al., "Pruning Filters for Efficient ConvNets" (ICLR
 * 2017, §4.1 "sensitivity of each layer to pruning") and Han et al. (NeurIPS 2015, Fig. 5),
 * here with unstructured magnitude pruning: for every layer and every sparsity s the layer
 * alone is pruned to s (the round(s · n) weights of smallest |w|, ties by lower index,
 * already masked or zero weights first) while every other layer is left as it is, and the
 * top-1 accuracy is measured.
 */
#pragma once

#include <glib.h>
#include "data/pl-dataset.h"
#include "graph/pl-graph.h"
#include "pl-progress.h"

G_BEGIN_DECLS

typedef struct {
  gint n_layers;
  char **names;          /* [n_layers + 1], NULL-terminated */
  gint64 *sizes;         /* [n_layers] weights per layer */
  gint64 *zeros;         /* [n_layers] weights that are zero or masked */
  double *sparsity;      /* [n_layers] zeros / sizes */
} PlLayerSparsity;

/* Per-layer sparsity of graph's prunable weights (a weight counts as pruned when it is 0
 * or its mask is 0). A graph without prunable weights gives n_layers = 0. */
PlLayerSparsity *pl_layer_sparsity (const PlGraph *graph);
void pl_layer_sparsity_free (PlLayerSparsity *layers);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlLayerSparsity, pl_layer_sparsity_free)

typedef struct {
  gint n_layers;
  char **names;          /* [n_layers + 1], NULL-terminated */
  gint64 *sizes;         /* [n_layers] */
  gint n_sparsities;
  double *sparsities;    /* [n_sparsities] as requested */
  gint64 n_eval;         /* samples evaluated (the first n_eval of the dataset) */
  double baseline_accuracy;   /* graph itself, unpruned further */
  /* [n_layers × n_sparsities] row-major: top-1 accuracy with layer l alone pruned to
   * sparsities[j], and the drop baseline − accuracy (positive: worse). */
  double *accuracy;
  double *drop;
  double seconds;
} PlLayerSensitivity;

/* graph: takes the dataset's images and gives logits; not modified. sparsities in [0, 1]
 * (finite). n_eval ≤ 0 or > size: the whole dataset. Cost: 1 + n_layers × n_sparsities
 * evaluations of n_eval samples. Progress: one equal share per evaluation; cancellation
 * checked before each. Errors: PL_ERROR_INVALID (no sparsities, a sparsity outside [0, 1],
 * no prunable weights, an empty dataset), executor errors, G_IO_ERROR_CANCELLED. */
PlLayerSensitivity *pl_layer_sensitivity (PlGraph *graph, const PlDataset *dataset,
                                          const double *sparsities, gint n_sparsities,
                                          gint64 n_eval, const PlProgress *progress,
                                          GError **error);
void pl_layer_sensitivity_free (PlLayerSensitivity *sensitivity);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlLayerSensitivity, pl_layer_sensitivity_free)

/* A copy of graph with only the prunable weight layer (index into pl_graph_prunable_weights)
 * pruned to sparsity by magnitude as described above (mask set beside the weight). Errors:
 * PL_ERROR_INVALID (layer out of range, sparsity outside [0, 1]). */
PlGraph *pl_layer_prune_alone (const PlGraph *graph, gint layer, double sparsity,
                               GError **error);

/* CSV: "# key,value" parameter lines, then layer,weights,sparsity,accuracy,drop rows (one
 * per layer and sparsity; a first row "(none)" with the baseline). JSON: one object with
 * "parameters", "baseline_accuracy" and "layers" (name, weights, accuracy[], drop[]).
 * Atomic. Errors: PL_ERROR_IO naming path. */
gboolean pl_layer_sensitivity_save_csv (const PlLayerSensitivity *sensitivity,
                                        const char *path, GError **error);
char *pl_layer_sensitivity_to_json (const PlLayerSensitivity *sensitivity, gsize *length);
gboolean pl_layer_sensitivity_save_json (const PlLayerSensitivity *sensitivity,
                                         const char *path, GError **error);

/* Added (session 4): checks that every initializer of graph (weights, biases,
 * normalisation parameters, constants) holds finite numbers. A NaN or ±inf parameter makes
 * the outputs, the pruning scores and every explanation NaN, so the callers (explain,
 * compare, prune, sweep) refuse such a model instead of writing NaN results. model_name
 * (may be NULL) names the model file in the message. Returns TRUE when all are finite;
 * else FALSE with PL_ERROR_INVALID naming the model, the first initializer holding a
 * non-finite value, the element's flat (row-major) index and value, and how many
 * initializers and values are affected in all. */
gboolean pl_graph_check_finite_weights (const PlGraph *graph, const char *model_name,
                                        GError **error);

G_END_DECLS
