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
#include "pl-progress.h"
#include "data/pl-dataset.h"

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

/* ---------------------------------------------------------------------------------------
 * Configurable pruning: criteria, granularities, scope, protected layers, overrides.
 *
 * Criteria (score per weight; the smallest scores are pruned):
 *   MAGNITUDE  |w| (Han et al., NeurIPS 2015).
 *   RANDOM     a uniform random score from the config's seed (a baseline).
 *   TAYLOR     first-order Taylor importance Σ_n |w · ∂ℓ_n/∂w| over the calibration
 *              samples n (ℓ_n = softmax cross-entropy of the logits, graph output 0, on the
 *              sample's label; one backward pass per sample) (Molchanov et al., "Pruning
 *              Convolutional Neural Networks for Resource Efficient Inference", ICLR 2017;
 *              "Importance Estimation for Neural Network Pruning", CVPR 2019).
 *   L1_NORM / L2_NORM  for weights: |w| (same as MAGNITUDE); for channels the L1 / L2 norm
 *              of the filter or neuron (Li et al., "Pruning Filters for Efficient
 *              ConvNets", ICLR 2017).
 * For channels, a channel's score is the sum of the per-weight scores of its filter
 * (MAGNITUDE / L1: Σ|w|, L2: sqrt Σw², TAYLOR: Σ over the filter, RANDOM: one draw); with
 * global scope a filter's score is divided by its number of weights (L2: sqrt of mean w²)
 * so that layers of different fan-in compare. Channels coupled by a residual Add (one
 * dependency group) score the sum over the group's layers.
 * Per-layer normalisation (global scope, added in session 4): before the global ranking
 * every group's channel scores are divided by their mean over the group's channels
 * (scores ≤ 0 — channels masked by an earlier step — count as 0 in the mean; a group whose
 * mean is 0 is left as it is), so every layer's channels average 1 whatever the scale of
 * its weights or gradients. This is the layer-wise rescaling of Molchanov et al.
 * ("Pruning Convolutional Neural Networks for Resource Efficient Inference", ICLR 2017,
 * layer-wise ℓ2-normalisation of the criterion before the global ranking) with the mean in
 * place of the ℓ2 norm, so that the normalised scores do not also shrink with the layer's
 * width (an ℓ2-normalised layer of width n averages ≈ 1/√n, which would still favour
 * taking channels from wide layers). Without it, raw scores of layers of different scale
 * were compared, and the default model's fc1 (small weights) lost nearly every channel
 * before conv2 lost any. Layer-wise scope and overrides rank within one group, where the
 * scaling changes nothing.
 *
 * Granularities:
 *   UNSTRUCTURED  single weights; exactly pl_prune_count (n, sparsity) of the n weights in
 *                 the ranking (global over the unprotected layers, or per layer) are pruned;
 *                 ties by position as for pl_prune_magnitude.
 *   NM            N:M semi-structured sparsity (Mishra et al., "Accelerating Sparse Deep
 *                 Neural Networks", 2021; NVIDIA Ampere 2:4): along the input dimension,
 *                 in every group of m consecutive weights at most n survive (the n largest
 *                 scores; ties: the earlier weight survives). The input dimension is the
 *                 input-channel axis of a Conv weight [O, I, kH, kW] (groups of m
 *                 consecutive input channels at a fixed (o, kh, kw)), the K axis of a Gemm /
 *                 MatMul weight ([N, K] with transB = 1, else [K, N]). A last incomplete
 *                 group of r < m weights keeps at most min (n, r). The sparsity argument is
 *                 ignored (the pattern fixes it at 1 − n/m); overrides do not apply.
 *   CHANNELS      structured: whole output channels of Conv (group = 1) and output
 *                 neurons of Gemm / MatMul. pl_prune_apply masks them (weight rows, bias
 *                 entry, dependent BatchNormalization scale and B, depthwise Conv rows and
 *                 biases, and the consumers' input columns); pl_prune_physically_remove
 *                 then makes the graph smaller. Layer-wise (and for a layer with an
 *                 override): pl_prune_count (channels, sparsity) of the channels of each
 *                 dependency group are pruned (a share of CHANNELS, as in Li et al. 2017 and
 *                 Torch-Pruning's per-layer pruning_ratio; chained layers then lose more
 *                 weights: their input columns go too). Global: the target is a share of
 *                 WEIGHTS, the one pl_graph_weight_sparsity reports: T = pl_prune_count (n,
 *                 sparsity) of the n prunable weights of the layers without an override
 *                 (protected layers included: they lose input columns). Channels are taken
 *                 in ascending normalised importance (above), each costing its exact number
 *                 of newly zeroed weights — its rows in the group's layers plus the
 *                 consumers' input columns (H×W per channel after a Flatten), a weight at a
 *                 crossing counted once — as long as taking it brings the zero count closer
 *                 to T (a channel that would overshoot by more than it helps is skipped and
 *                 the ranking goes on). So |zeros − T| is at most half the cost of one
 *                 channel (the channel of the largest cost: conv2 of the default model,
 *                 16·3·3 + 49·128 weights, 1.6 % of its weights), unless T is out of reach.
 *                 Floor: no group loses more than a share 1 − (1 − sparsity)/2 of its
 *                 channels (it keeps ⌈width·(1 − sparsity)/2⌉) unless the target cannot be
 *                 reached otherwise; then, and in every scope, at least one channel of
 *                 every group is kept (a layer is never emptied; the prune command says
 *                 when a layer is down to one channel). (Torch-Pruning counts the global ratio in channels
 *                 with max_pruning_ratio as a cap, NNI's total_sparsity counts weights with
 *                 max_sparsity_per_layer; we follow the weight count, as reported.) Groups
 *                 that cannot be removed safely (see pl_prune_channel_groups) are left
 *                 alone, unless named in an override: then pl_prune_apply fails saying why.
 *
 * Iterative pruning: weights already masked in graph (an earlier step) stay masked for the
 * UNSTRUCTURED and NM granularities and rank first, so they count towards the target.
 *
 * Protected layers are not pruned unless they also have an override. Layers are named by their node name or by their
 * weight initializer's name. protected_layers == NULL means the default: the first Conv
 * and the last Gemm / MatMul (pl_prune_default_protected); an empty vector protects none.
 * Overrides give a layer its own sparsity (that layer is then pruned on its own, outside
 * the global ranking).
 */

typedef enum {
  PL_PRUNE_CRITERION_MAGNITUDE,
  PL_PRUNE_CRITERION_RANDOM,
  PL_PRUNE_CRITERION_TAYLOR,
  PL_PRUNE_CRITERION_L1_NORM,
  PL_PRUNE_CRITERION_L2_NORM,
} PlPruneCriterion;

typedef enum {
  PL_PRUNE_GRANULARITY_UNSTRUCTURED,
  PL_PRUNE_GRANULARITY_NM,
  PL_PRUNE_GRANULARITY_CHANNELS,
} PlPruneGranularity;

typedef struct {
  PlPruneCriterion criterion;
  guint64 seed;                  /* RANDOM */
  PlDataset *calibration;        /* TAYLOR: owned reference (pl_prune_config_set_calibration) */
  gint64 calibration_start;      /* first sample index used (default 0) */
  gint64 calibration_samples;    /* number of samples (default 64) */
  PlPruneGranularity granularity;
  gint nm_n, nm_m;               /* NM: default 2:4 */
  PlPruneScope scope;            /* default GLOBAL */
  char **protected_layers;       /* NULL = default protection; owned */
  GHashTable *overrides;         /* layer name -> double * sparsity; owned */
} PlPruneConfig;

/* Defaults: MAGNITUDE, seed 1, UNSTRUCTURED, 2:4, GLOBAL, default protection, no
 * overrides, no calibration data (64 samples from 0 once one is set). */
PlPruneConfig *pl_prune_config_new (void);
PlPruneConfig *pl_prune_config_copy (const PlPruneConfig *config);
void pl_prune_config_free (PlPruneConfig *config);
/* Calibration samples for TAYLOR (a reference to dataset is taken; NULL clears). */
void pl_prune_config_set_calibration (PlPruneConfig *config, PlDataset *dataset,
                                      gint64 start, gint64 n_samples);
/* names: NULL-terminated layer names (copied); NULL restores the default protection. */
void pl_prune_config_set_protected (PlPruneConfig *config, const char *const *names);
/* A per-layer sparsity in [0, 1] for layer (node or weight name); a negative value removes
 * the override. */
void pl_prune_config_set_override (PlPruneConfig *config, const char *layer, double sparsity);
/* A short human-readable description, e.g. "magnitude, unstructured, global". */
char *pl_prune_config_describe (const PlPruneConfig *config);
/* Added (session 4): whether config's target sparsity is a share of the unprotected
 * prunable weights — TRUE for unstructured pruning and for global channel pruning (which
 * reaches the target as a share of weights); FALSE for N:M (the target is ignored) and for
 * layer-wise channel pruning (the target is a share of each layer's channels), and for NULL.
 * Captions say "S % of prunable weights (A % of all)" only when this holds. */
gboolean pl_prune_config_target_is_weight_share (const PlPruneConfig *config);

/* The default protected layers of graph: node names (or weight names for unnamed nodes)
 * of the first Conv and of the last Gemm / MatMul with a weight initializer. New
 * NULL-terminated vector (may be empty). */
char **pl_prune_default_protected (const PlGraph *graph);

/* A pruned copy of graph at sparsity in [0, 1] according to config, with a 0/1 mask
 * beside every initializer it changed (pruned entries also set to 0). Errors:
 * PL_ERROR_INVALID (sparsity or an override outside [0, 1], n:m with not 0 < n <= m,
 * an override naming no layer, no prunable layer left after protection, TAYLOR without
 * calibration data or with fewer samples than asked, a layer named in an override whose
 * channels cannot be removed — the message says why); errors of the executor for TAYLOR;
 * G_IO_ERROR_CANCELLED through progress. */
PlGraph *pl_prune_apply (const PlGraph *graph, const PlPruneConfig *config, double sparsity,
                         const PlProgress *progress, GError **error);

/* The per-weight scores of config's criterion (before protection and granularity apply;
 * weights masked by an earlier step score −1), one new tensor per prunable weight in the
 * order of pl_graph_prunable_weights (shared weights once), each of the weight's shape.
 * Returns a NULL-terminated array (free each with pl_tensor_unref, then g_free) and sets
 * *n_layers. Errors as pl_prune_apply. */
PlTensor **pl_prune_scores (const PlGraph *graph, const PlPruneConfig *config, gint *n_layers,
                            const PlProgress *progress, GError **error);

/* Structured dependency groups of graph, for display: one entry per group of output
 * channels that must be removed together — the names of its layers joined by " + ", the
 * number of channels, and NULL or the reason it cannot be removed (e.g. "its output
 * reaches the graph output “logits”", "a residual Add also sums “x”, which no prunable
 * layer produces"). Returns a GPtrArray of PlPruneGroupInfo (free with g_ptr_array_unref). */
typedef struct {
  char *layers;
  gint64 channels;
  char *refusal;
} PlPruneGroupInfo;
GPtrArray *pl_prune_channel_groups (const PlGraph *graph, GError **error);

/* A smaller copy of graph where every output channel whose weight rows (all layers of its
 * dependency group) and bias entries are fully masked is physically removed, with every
 * dependent tensor updated: the producers' weights and biases, BatchNormalization scale,
 * B, mean and var, depthwise Conv weights, biases and group count, per-channel Mul
 * constants, the next Conv's input channels, the Gemm / MatMul after a Flatten, a
 * Reshape to [N, −1] by a constant shape or a Squeeze of spatial axes (groups of H×W
 * columns), residual Add / Sub groups (all summed tensors at the same indices) and Concat
 * on axis 1 (offsets mapped). Channels pass through Relu, LeakyRelu, Tanh, Clip (with
 * 0 in range), Identity, Dropout, MaxPool, AveragePool, GlobalAverage/MaxPool and Mul by a
 * scalar or per-channel constant; any other reader refuses the group. Masks of the
 * remaining entries are kept. Note: a bias-less layer whose weight row is fully masked by
 * unstructured pruning counts as a masked channel too. On the same input the result
 * gives the outputs of the masked graph. A graph without such channels gives a plain copy.
 * Errors: PL_ERROR_INVALID when a masked channel cannot be removed safely (the message
 * names the layer and why), when a group would lose all its channels, or when the layers
 * of one residual group are masked at different channels. */
PlGraph *pl_prune_physically_remove (const PlGraph *graph, GError **error);

/* ---------------------------------------------------------------------------------------
 * History: every pruning step (config, sparsity, resulting graph with masks / structure,
 * a metrics slot), with undo / redo and jumps. Step 0 is the original graph (config NULL,
 * sparsity 0). Adding a step after an undo drops the redo tail. Memory: each step holds
 * one reference to its graph (a full copy of the parameters plus masks, about twice the
 * model size for a masked step); at most max_steps steps are kept: beyond that the oldest
 * step after step 0 is dropped, so memory is bounded by max_steps graphs.
 */
typedef struct {
  PlPruneConfig *config;   /* NULL for step 0 */
  double sparsity;
  PlGraph *graph;
  gpointer metrics;        /* free slot for the caller's metrics */
  GDestroyNotify metrics_free;
  /* Added (issue 5): the seed of the step (pruning and fine-tuning; config->seed unless
   * set by pl_prune_history_set_info) and a description of the schedule that produced it
   * (e.g. "iterative 3/5, geometric, 1 epoch fine-tuning"; NULL for step 0 or unknown). */
  guint64 seed;
  char *schedule;
} PlPruneHistoryStep;

typedef struct _PlPruneHistory PlPruneHistory;

/* original: a reference is taken. max_steps >= 2 (0: default 32). */
PlPruneHistory *pl_prune_history_new (PlGraph *original, guint max_steps);
void pl_prune_history_free (PlPruneHistory *history);
/* Adds a step after the current one (dropping any redo tail) and makes it current.
 * config is copied (may be NULL), a reference to graph is taken. Returns its index. */
guint pl_prune_history_push (PlPruneHistory *history, const PlPruneConfig *config,
                             double sparsity, PlGraph *graph);
guint pl_prune_history_n_steps (const PlPruneHistory *history);
guint pl_prune_history_current_index (const PlPruneHistory *history);
const PlPruneHistoryStep *pl_prune_history_step (const PlPruneHistory *history, guint index);
const PlPruneHistoryStep *pl_prune_history_current (const PlPruneHistory *history);
gboolean pl_prune_history_can_undo (const PlPruneHistory *history);
gboolean pl_prune_history_can_redo (const PlPruneHistory *history);
/* Move the current step; FALSE (nothing changes) when not possible / out of range. */
gboolean pl_prune_history_undo (PlPruneHistory *history);
gboolean pl_prune_history_redo (PlPruneHistory *history);
gboolean pl_prune_history_go_to (PlPruneHistory *history, guint index);
/* Sets the metrics slot of step index (freeing the previous value). */
void pl_prune_history_set_metrics (PlPruneHistory *history, guint index, gpointer metrics,
                                   GDestroyNotify metrics_free);
/* Added (issue 5): sets the seed and schedule description (copied; may be NULL) of step
 * index. Out of range: nothing happens. */
void pl_prune_history_set_info (PlPruneHistory *history, guint index, guint64 seed,
                                const char *schedule);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlPruneConfig, pl_prune_config_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlPruneHistory, pl_prune_history_free)

G_END_DECLS
