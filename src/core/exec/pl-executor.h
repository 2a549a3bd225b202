/* pl-executor.h — runs a PlGraph forward and backward over a batch.
 *
 * An executor is bound to one graph (it holds a reference) and owns the buffers of every
 * intermediate value for the last forward pass, so that backward can reuse them.
 * One executor per thread; several executors may share one graph.
 *
 * Supported operators here: Conv (2-D, group 1, strides, pads, dilations), Gemm
 * (transA, transB, alpha, beta, C broadcast over rows), MatMul (2-D), Relu,
 * MaxPool (2-D), Flatten, Reshape (with a constant shape initializer; 0 and -1),
 * Add, Softmax (last axis), Identity, Dropout (inference: identity).
 * Semantics follow the ONNX operator specification (onnx/docs/Operators.md).
 *
 * Gradients (reverse mode, exact for every supported operator): MaxPool sends the
 * gradient to the first maximum of each window (row-major order) on ties.
 */
#pragma once

#include <glib.h>
#include "graph/pl-graph.h"
#include "pl-progress.h"

G_BEGIN_DECLS

typedef struct _PlExecutor PlExecutor;

/* Checks every node is supported (PL_ERROR_UNSUPPORTED naming the node, operator and
 * opset otherwise) and that shapes are consistent. */
PlExecutor *pl_executor_new (PlGraph *graph, GError **error);
void pl_executor_free (PlExecutor *executor);
PlGraph *pl_executor_get_graph (PlExecutor *executor);

/* Forward pass. input: [N, ...sample shape] for graph input 0. Errors: shape mismatch. */
gboolean pl_executor_forward (PlExecutor *executor, const PlTensor *input, GError **error);
/* Graph output i after the last forward pass (owned by the executor; valid until the
 * next forward). For classifiers output 0 is [N, K] logits. */
const PlTensor *pl_executor_output (PlExecutor *executor, gint index);
/* Any value of the last forward pass by id (NULL if not computed). */
const PlTensor *pl_executor_value (PlExecutor *executor, gint value_id);

/* Backward pass from d(loss)/d(output 0) = grad_output (same shape as output 0).
 * Afterwards pl_executor_input_grad gives d loss / d input ([N, ...]); when
 * param_grads is TRUE, pl_executor_param_grad gives d loss / d initializer summed over
 * the batch (same shape as the initializer; NULL for constants such as shapes). */
gboolean pl_executor_backward (PlExecutor *executor, const PlTensor *grad_output,
                               gboolean param_grads, GError **error);
const PlTensor *pl_executor_input_grad (PlExecutor *executor);
const PlTensor *pl_executor_param_grad (PlExecutor *executor, gint value_id);
/* Gradient of any value after backward (NULL if none). */
const PlTensor *pl_executor_value_grad (PlExecutor *executor, gint value_id);

/* Whether backward computes d loss / d input (default TRUE). Training turns it off to
 * save the first layer's input-gradient work; class_gradient always computes it. */
void pl_executor_set_input_grad_enabled (PlExecutor *executor, gboolean enabled);

/* Convenience: logits [N, K] of graph output 0 for input [N, ...], batched internally
 * in chunks of at most batch_size (<= 0: 256). New tensor. */
PlTensor *pl_executor_predict (PlExecutor *executor, const PlTensor *input, gint batch_size,
                               const PlProgress *progress, GError **error);

/* Convenience: d logit[target[n]] / d input for each row n ([N, ...], new tensor);
 * logits_out (optional) receives a new [N, K] tensor of the logits. */
PlTensor *pl_executor_class_gradient (PlExecutor *executor, const PlTensor *input,
                                      const gint *targets, PlTensor **logits_out,
                                      GError **error);

G_END_DECLS
