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

typedef struct {
  gint epochs;            /* default 3 */
  gint batch_size;        /* default 64 */
  double learning_rate;   /* default 1e-3 (Adam) */
  double momentum;        /* SGD only, default 0.9 */
  double weight_decay;    /* default 0 */
  PlOptimizerKind optimizer;
  guint64 seed;           /* default 1 */
} PlTrainConfig;

void pl_train_config_init (PlTrainConfig *config);

/* Called after every epoch (from the training thread). */
typedef void (*PlEpochFunc) (gint epoch, double train_loss, double train_accuracy,
                             gpointer user_data);

/* Trains graph in place (its initializers change). Errors: cancelled, shape mismatch. */
gboolean pl_train_classifier (PlGraph *graph, const PlDataset *train,
                              const PlTrainConfig *config, PlEpochFunc on_epoch,
                              gpointer user_data, const PlProgress *progress,
                              GError **error);

/* Architectures PruneLens can build and train from scratch.
 * "cnn": Conv(C→16, 3×3, pad 1) ReLU MaxPool 2 → Conv(16→32, 3×3, pad 1) ReLU MaxPool 2
 *        → Flatten → Gemm(32·H/4·W/4 → 128) ReLU → Gemm(128 → K).
 * "mlp": Flatten → Gemm(C·H·W → 256) ReLU → Gemm(256 → 128) ReLU → Gemm(128 → K).
 * Weights: He (Kaiming) uniform initialisation from seed; biases 0.
 * Input name "input" [N, C, H, W] with symbolic N; output "logits" [N, K]. */
PlGraph *pl_model_build (const char *arch, gint channels, gint height, gint width,
                         gint n_classes, guint64 seed, GError **error);

G_END_DECLS
