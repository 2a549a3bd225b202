/* pl-train.h — training a classifier on a PlDataset with the executor's gradients.
 *
 * Loss: softmax cross-entropy on logits (mean over the minibatch). Optimiser: Adam
 * (Kingma & Ba 2015, β1 0.9, β2 0.999, ε 1e-8) or SGD with momentum. Minibatches are
 * shuffled with a seeded generator; same seed and thread count give identical weights.
 * Masks: an initializer with a mask keeps its pruned entries exactly zero (gradient and
 * update are masked) — fine-tuning after pruning.
 */
#pragma once

#include <glib.h>
#include "graph/pl-graph.h"
#include "data/pl-dataset.h"
#include "pl-progress.h"

G_BEGIN_DECLS

typedef enum { PL_OPTIMIZER_ADAM, PL_OPTIMIZER_SGD } PlOptimizerKind;

/* Added. Losses, both averaged over the minibatch:
 * PL_LOSS_CROSS_ENTROPY: softmax cross-entropy on logits [N, K], labels 0..K-1;
 * PL_LOSS_MSE: mean squared error (1 / (N K)) sum (y - t)^2 (PyTorch MSELoss, reduction
 *   "mean"). Targets: a regression table's dataset->targets [N] against outputs [N, 1]
 *   (accuracy reported as NaN); for a classification dataset the one-hot labels [N, K]
 *   against outputs [N, K] (accuracy = argmax hits). */
typedef enum { PL_LOSS_CROSS_ENTROPY, PL_LOSS_MSE } PlLossKind;

/* Added. Learning rate of epoch e (0-based) for base rate r over E epochs:
 * PL_LR_CONSTANT: r;
 * PL_LR_STEP:     r * gamma^floor (e / step_size)  (PyTorch StepLR);
 * PL_LR_COSINE:   lr_min + (r - lr_min) (1 + cos (pi e / E)) / 2  (SGDR without restarts,
 *                 Loshchilov & Hutter 2017, eq. 5, stepped once per epoch as PyTorch's
 *                 CosineAnnealingLR with T_max = E). */
typedef enum { PL_LR_CONSTANT, PL_LR_STEP, PL_LR_COSINE } PlLrSchedule;

typedef struct {
  gint epochs;            /* default 3 */
  gint batch_size;        /* default 64 */
  double learning_rate;   /* default 1e-3 (Adam) */
  double momentum;        /* SGD only, default 0.9 */
  double weight_decay;    /* default 0 */
  PlOptimizerKind optimizer;
  guint64 seed;           /* default 1 */
  /* Added (session 2). Every default below keeps the original behaviour bit for bit. */
  PlLossKind loss;        /* default PL_LOSS_CROSS_ENTROPY */
  PlLrSchedule lr_schedule; /* default PL_LR_CONSTANT */
  gint step_size;         /* PL_LR_STEP: epochs between decays, default 10 */
  double gamma;           /* PL_LR_STEP: decay factor, default 0.1 */
  double lr_min;          /* PL_LR_COSINE: floor the rate anneals to, default 0 */
  double validation_fraction; /* [0, 1): held out of training, default 0 (none) */
  gint patience;          /* early stopping: epochs without improvement; 0 = off (default) */
  double min_delta;       /* early stopping: improvement needed, default 0 */
  gboolean restore_best;  /* early stopping: restore the best epoch's weights, default TRUE */
  gboolean update_batchnorm_stats; /* default FALSE: BatchNorm running stats frozen */
  double batchnorm_momentum; /* default 0.1 (PyTorch convention) */
} PlTrainConfig;

void pl_train_config_init (PlTrainConfig *config);

/* Called after every epoch (from the training thread). */
typedef void (*PlEpochFunc) (gint epoch, double train_loss, double train_accuracy,
                             gpointer user_data);

/* Trains graph in place (its initializers change); pl_train with on_epoch adapted (every
 * PlTrainConfig field honoured). Errors: cancelled, shape mismatch. */
gboolean pl_train_classifier (PlGraph *graph, const PlDataset *train,
                              const PlTrainConfig *config, PlEpochFunc on_epoch,
                              gpointer user_data, const PlProgress *progress,
                              GError **error);

/* Added. Learning rate of epoch (0-based) under config's schedule (formulas above). */
double pl_train_learning_rate (const PlTrainConfig *config, gint epoch);

/* Added. Per-epoch numbers. Losses are means over the samples; accuracies in [0, 1] (NaN
 * for PL_LOSS_MSE); val_* are NaN without a validation split. */
typedef struct {
  gint epoch;              /* 0-based */
  gint n_epochs;           /* config->epochs */
  double learning_rate;    /* of this epoch */
  double train_loss, train_accuracy;
  double val_loss, val_accuracy;
  gboolean best;           /* this epoch is the best so far (monitored loss) */
} PlEpochStats;

/* Added. Called after every epoch (from the training thread). */
typedef void (*PlEpochStatsFunc) (const PlEpochStats *stats, gpointer user_data);

/* Added. What a training run did. */
typedef struct {
  gint epochs_run;         /* epochs actually trained */
  gint best_epoch;         /* 0-based epoch of the lowest monitored loss, -1 if none */
  double best_loss;        /* validation loss if there is a split, else training loss */
  gboolean stopped_early;
  gint64 n_train, n_validation;  /* sample counts after the split */
} PlTrainResult;

/* Added. Seeded train / validation split of the n samples of dataset. n_val =
 * round (fraction n) (at least 1 when fraction > 0 and n >= 2). When labels is given
 * (classification), the split is stratified: each class gives round (fraction n_c) of its
 * n_c samples (largest-remainder rounding so the total is n_val). The generator is
 * derived from seed but separate from the minibatch shuffling. Both arrays are sorted
 * ascending, new (g_free). Errors: fraction outside [0, 1), or nothing left to train on. */
gboolean pl_train_split (gint64 n, const guint8 *labels, gint n_classes, double fraction,
                         guint64 seed, gint64 **train_out, gint64 *n_train_out,
                         gint64 **val_out, gint64 *n_val_out, GError **error);

/* Added. The full training loop: pl_train_classifier plus the loss choice (MSE for
 * regression tables: dataset->targets), learning-rate schedules, a validation split
 * (config->validation_fraction, stratified for classification; validation loss and
 * accuracy reported per epoch), early stopping on the validation loss (training loss
 * without a split): stop after `patience` epochs whose loss is not below best - min_delta;
 * with patience > 0 and restore_best the best epoch's weights (and BatchNorm statistics)
 * are restored at the end, whether or not training stopped early. Without a split and
 * with the defaults, the minibatch order and every update are those of
 * pl_train_classifier before these additions (bit-identical weights).
 * BatchNormalization: the forward pass always runs in inference mode (running statistics).
 * With update_batchnorm_stats, after each minibatch every BatchNormalization whose mean and
 * var are initializers gets running = (1 - m) running + m batch, m = batchnorm_momentum,
 * from the node's input activation over the minibatch: the batch mean and the unbiased
 * batch variance (divisor count - 1, PyTorch's convention for running_var); the
 * normalisation itself does not use batch statistics (unlike PyTorch's train mode).
 * result (optional) receives what happened. Errors as pl_train_classifier; a table
 * dataset without targets for PL_LOSS_MSE; targets that do not match the output width. */
gboolean pl_train (PlGraph *graph, const PlDataset *data, const PlTrainConfig *config,
                   PlEpochStatsFunc on_epoch, gpointer user_data, PlTrainResult *result,
                   const PlProgress *progress, GError **error);

/* Architectures PruneLens can build and train from scratch.
 * "cnn": Conv(C→16, 3×3, pad 1) ReLU MaxPool 2 → Conv(16→32, 3×3, pad 1) ReLU MaxPool 2
 *        → Flatten → Gemm(32·H/4·W/4 → 128) ReLU → Gemm(128 → K).
 * "mlp": Flatten → Gemm(C·H·W → 256) ReLU → Gemm(256 → 128) ReLU → Gemm(128 → K).
 * Weights: He (Kaiming) uniform initialisation from seed; biases 0.
 * Input name "input" [N, C, H, W] with symbolic N; output "logits" [N, K]. */
PlGraph *pl_model_build (const char *arch, gint channels, gint height, gint width,
                         gint n_classes, guint64 seed, GError **error);

/* Added. "mlp" for tables: input "input" [N, F] (raw feature rows) → standardisation
 * (x - mean) / sd as Sub and Div by Constant nodes (not trainable, saved in the ONNX) →
 * Gemm(F→64) ReLU Gemm(64→32) ReLU Gemm(32→K); output "logits" [N, K] (K = classes, or 1
 * for a regression). mean / sd: F values each (the training rows' mean and standard
 * deviation, see pl_train_feature_stats); NULL means 0 / 1; an sd of 0 (or not finite) is
 * replaced by 1. He uniform weights from seed, biases 0. */
PlGraph *pl_model_build_table (gint n_features, gint n_outputs, const float *mean,
                               const float *sd, guint64 seed, GError **error);

/* Added. Mean and population standard deviation (divisor n) of each of the F features of
 * the rows [n, F] selected by indices (NULL: all n rows). mean_out and sd_out hold F
 * floats each. Sums in double. */
void pl_train_feature_stats (const float *rows, gint64 n_features, const gint64 *indices,
                             gint64 n, float *mean_out, float *sd_out);

G_END_DECLS
