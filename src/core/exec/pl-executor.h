/* pl-executor.h — runs a PlGraph forward and backward over a batch.
 *
 * An executor is bound to one graph (it holds a reference) and owns the buffers of every
 * intermediate value for the last forward pass, so that backward can reuse them.
 * One executor per thread; several executors may share one graph.
 *
 * Supported operators (float32, ONNX opsets 7-17, semantics of onnx/docs/Operators.md):
 * Conv (1-D/2-D, group incl. depthwise, strides, pads, dilations, auto_pad), Gemm (transA,
 * transB, alpha, beta, C broadcast), MatMul (1-D, 2-D and batched with broadcasting),
 * Add, Sub, Mul, Div (numpy broadcasting), Relu, LeakyRelu, Sigmoid, Tanh, Clip,
 * Softmax and LogSoftmax (opset < 13: coerced to 2-D at axis; >= 13: one axis),
 * MaxPool and AveragePool (1-D/2-D, strides, pads, dilations, ceil_mode,
 * count_include_pad, auto_pad), GlobalAveragePool, Flatten, Reshape (0, -1),
 * Transpose, Squeeze, Unsqueeze, Concat, Pad (constant mode), BatchNormalization
 * (inference), Dropout and Identity (pass-through), Constant, Shape, Gather.
 * Inputs that must be known at preparation (Reshape shape, Squeeze/Unsqueeze axes, Pad
 * pads) may be initializers, Constant outputs or anything computed from them and from
 * input shapes (Shape -> Gather -> Unsqueeze -> Concat, as PyTorch writes x.view (n, -1)):
 * such nodes are evaluated once per input shape. Such an input may also be a graph input
 * (ONNX's tests pass Reshape shapes that way): its values then key the cached plans like
 * the input shapes do. Anything else — another operator, an
 * attribute value outside these, 3-D windows — is refused by pl_executor_new with
 * PL_ERROR_UNSUPPORTED naming the node, operator, opset and what is unsupported.
 *
 * Gradients (reverse mode, exact for every supported operator, reduced over broadcast
 * axes): MaxPool sends the gradient to the first maximum of each window (row-major order)
 * on ties; Relu / LeakyRelu use the x > 0 branch at 0; Clip passes the gradient where
 * min <= x <= max; BatchNormalization gives gradients for X, scale and B, and for mean
 * and var when they are data inputs (as initializers they are running statistics, not
 * parameters: pl_executor_param_grad gives NULL for them, so training leaves them alone).
 *
 * Speed (added): when every computed node treats the samples of a batch independently
 * (Conv, Gemm on the batch rows, pools, activations, copies, BatchNormalization, Softmax
 * over a sample's axis), forward runs depth-first: the batch is cut into chunks of about 4
 * samples, the threads take contiguous runs of chunks and each runs the whole graph on a
 * chunk before the next, so a chunk's activations stay in cache. Backward does the same
 * when only data gradients are wanted (no parameter gradients). Values and gradients land
 * in the same full-batch buffers; results depend only on the batch size and thread count.
 * PL_NO_MICRO_BATCH=1 in the environment turns this off (layer by layer, for comparisons).
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

/* Forward pass. input: [N, ...sample shape] for graph input 0. Errors: shape mismatch;
 * a graph with several data inputs (use pl_executor_forward_multi). */
gboolean pl_executor_forward (PlExecutor *executor, const PlTensor *input, GError **error);
/* Added: number of data inputs (graph inputs that are not initializers), >= 1. */
gint pl_executor_n_inputs (PlExecutor *executor);
/* Added: forward pass with one tensor per data input, in graph->inputs order (n must equal
 * pl_executor_n_inputs). Backward then gives each input's gradient through
 * pl_executor_value_grad (graph->inputs[i]). Errors as pl_executor_forward. */
gboolean pl_executor_forward_multi (PlExecutor *executor, gint n,
                                    const PlTensor *const *inputs, GError **error);
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
/* Added (speed, third round): the same for the input of the last forward pass, without a
 * new forward (targets: one per sample of that input). Errors: no forward pass yet (or only
 * pl_executor_forward_backward_head's), logits not [N, K], a target out of range. */
PlTensor *pl_executor_class_gradient_last (PlExecutor *executor, const gint *targets,
                                           PlTensor **logits_out, GError **error);
/* Added (speed, third round): a plain forward pass runs a Conv (group 1) and the Relu
 * (and 2×2 MaxPool) after it as one fused kernel when it can (pl-ops.h,
 * pl_conv2d_forward_fused): the same values bit for bit, but the Conv's and the Relu's
 * outputs are then not stored; pl_executor_value and backward compute them again when
 * asked (a second pass over those nodes). With keep TRUE every forward pass stores every
 * value (for callers that run backward after each forward; a backward pass with parameter
 * gradients sets it for good, as training does). Returns the previous setting.
 * PL_NO_FUSION=1 in the environment turns fusion off for plans built afterwards. */
gboolean pl_executor_set_keep_values (PlExecutor *executor, gboolean keep);

/* ---- Added (speed): the linear head --------------------------------------------------
 * The head is the node that reads graph input 0 when it is the input's only reader and is
 * a Conv with group 1 (1-D or 2-D) or a Gemm with transA = 0 whose weights (and bias) are
 * initializers; the graph must have one data input. Such a node is affine in the input:
 * head(x) = L(x) + bias with L linear, which attribution methods use to evaluate many
 * blends of a few inputs exactly without recomputing it (pl-attribution.h, "fast path").
 */
/* Value id of the head's output, or -1 when the graph has no head. */
gint pl_executor_head_value (PlExecutor *executor);
/* head(x) (bias TRUE) or L(x) (bias FALSE; Gemm: alpha · x op(B)) for x [N, ...sample
 * shape of the input]: new tensor [N, ...head output]. May replace the executor's current
 * plan (then the last forward pass is forgotten). Errors: PL_ERROR_UNSUPPORTED without a
 * head (or a Gemm head whose C has one row per sample); shape errors as forward. */
PlTensor *pl_executor_head_linear (PlExecutor *executor, const PlTensor *x, gboolean bias,
                                   GError **error);
/* The transpose Lᵀ dy for dy [N, ...head output] (a vector-Jacobian product: the input
 * gradient of the head): new tensor [N, ...sample shape of input_like]. input_like gives
 * the input's sample shape (its values are not read). Errors as pl_executor_head_linear,
 * or PL_ERROR_INVALID when dy's sample shape is not the head output's. */
PlTensor *pl_executor_head_transpose (PlExecutor *executor, const PlTensor *dy,
                                      const PlTensor *input_like, GError **error);
/* Forward pass with the head's output given ([N, ...head output], normally
 * pl_executor_head_linear of input or a blend of such outputs) instead of computed: the
 * head node is skipped. input [N, ...] selects the shapes and is stored as the input
 * value. A following backward stops at the head's output (pl_executor_value_grad
 * (pl_executor_head_value)); no input gradient, none for the head's parameters. */
gboolean pl_executor_forward_head (PlExecutor *executor, const PlTensor *input,
                                   const PlTensor *head, GError **error);
/* The same with the head's output written by fill (first, count, head, user_data): rows
 * first .. first + count - 1 of the head output into head (row first; count × head floats
 * per sample). fill may be called several times, from several threads at once, on
 * disjoint rows (chunk by chunk, just before the rest of the network runs on them, so the
 * values are still in cache); it must not call the executor. */
typedef void (*PlHeadFillFunc) (gint64 first, gint64 count, float *head, gpointer user_data);
gboolean pl_executor_forward_head_func (PlExecutor *executor, const PlTensor *input,
                                        PlHeadFillFunc fill, gpointer user_data,
                                        GError **error);
/* Backward pass (data gradients only) that stops at the head's output: gives
 * pl_executor_value_grad (pl_executor_head_value) without computing the input gradient.
 * Errors: PL_ERROR_UNSUPPORTED without a head; otherwise as pl_executor_backward. */
gboolean pl_executor_backward_to_head (PlExecutor *executor, const PlTensor *grad_output,
                                       GError **error);
/* Added (second round): after pl_executor_forward_head(_func) or during
 * pl_executor_backward_to_head(_func), only the head's gradient is defined: the gradients
 * of other intermediate values may be left uncomputed (a Relu before a 2×2 MaxPool is
 * differentiated together with it). The same backward with the head gradient handed over
 * chunk by chunk: consume (part, first, count, grad, user_data) gets rows first ..
 * first + count - 1 of the head gradient (grad: count × head floats per sample) right
 * after they are computed (still in cache), once per row, possibly from several threads
 * at once, but calls with the same part (0 <= part < pl_parallel_parts ()) never run
 * concurrently, so per-part accumulators need no locking. consume must not call the executor. Afterwards
 * pl_executor_value_grad (pl_executor_head_value) holds the whole gradient as before. */
typedef void (*PlHeadGradFunc) (gint part, gint64 first, gint64 count, const float *grad,
                                gpointer user_data);
gboolean pl_executor_backward_to_head_func (PlExecutor *executor, const PlTensor *grad_output,
                                            PlHeadGradFunc consume, gpointer user_data,
                                            GError **error);
/* pl_executor_forward_head_func then pl_executor_backward_to_head_func of the scores of
 * the classes targets [N] (one per sample of input [N, ...]; the first output must be
 * [N, classes]) in one pass: on the micro-batch path each chunk of samples runs backward
 * right after its forward, while its activations are still in the core's cache (else the
 * two calls in turn), the chunks' intermediate values and gradients in small per-thread
 * areas. The head gradient goes to consume as with pl_executor_backward_to_head_func;
 * afterwards the outputs are available, but the intermediate values and gradients may not
 * be (pl_executor_value / pl_executor_value_grad return NULL for them) and a backward needs
 * a new forward pass. Errors as the two calls; PL_ERROR_INVALID for another output shape
 * or a target out of range. */
gboolean pl_executor_forward_backward_head (PlExecutor *executor, const PlTensor *input,
                                            PlHeadFillFunc fill, gpointer fill_data,
                                            const gint *targets,
                                            PlHeadGradFunc consume, gpointer consume_data,
                                            GError **error);

G_END_DECLS
