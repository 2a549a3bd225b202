/* pl-explain.h — attribution methods for image classifiers.
 *
 * Attributions are for one input x ([1, C, H, W]) and one output class t (the logit
 * f_t; target < 0 selects the predicted class). Every method returns new tensors.
 */
#pragma once

#include <glib.h>
#include "exec/pl-executor.h"
#include "pl-progress.h"

G_BEGIN_DECLS

/* Vanilla gradient saliency (Simonyan et al., "Deep Inside Convolutional Networks",
 * ICLR workshop 2014): S[h, w] = max_c |∂f_t/∂x[c, h, w]|, shape [H, W]; units: logit
 * per unit input. image: [1, C, H, W]. */
PlTensor *pl_saliency (PlExecutor *executor, const PlTensor *image, gint target,
                       GError **error);

/* A segmentation of an H×W image into M segments: labels[h * W + w] in [0, M). */
typedef struct {
  gint height, width;
  gint n_segments;
  gint *labels;
  char **names;   /* n_segments display names, e.g. "r1 c2" */
} PlSegmentation;

/* A rows × cols grid of rectangular patches (row-major segment ids). rows ≤ H, cols ≤ W. */
PlSegmentation *pl_segmentation_grid (gint height, gint width, gint rows, gint cols);
void pl_segmentation_free (PlSegmentation *segmentation);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlSegmentation, pl_segmentation_free)

/* Sum of a [H, W] map over each segment: [M]. */
PlTensor *pl_segment_sum (const PlTensor *map, const PlSegmentation *segmentation);
/* Paint per-segment values back to a [H, W] map. */
PlTensor *pl_segment_paint (const PlTensor *values, const PlSegmentation *segmentation);

/* A set-function value v(S) for n coalitions at once: coalitions is [n, M] of 0/1
 * (1 = feature present); write v into values[n]. Return FALSE with error to abort. */
typedef gboolean (*PlCoalitionFunc) (const guint8 *coalitions, gint n, gint M,
                                     double *values, gpointer user_data, GError **error);

/* Exact Shapley values (Shapley 1953) by enumerating all 2^M coalitions; M ≤ 20.
 * phi: [M]; *v_empty and *v_full receive v(∅) and v(full). */
PlTensor *pl_shapley_exact (PlCoalitionFunc func, gpointer user_data, gint M,
                            double *v_empty, double *v_full,
                            const PlProgress *progress, GError **error);

typedef struct {
  gint budget;     /* number of coalitions evaluated (≤ 0: 2M + 2048) */
  guint64 seed;
  gint batch;      /* coalitions per call of func (≤ 0: 256) */
} PlKernelShapOptions;

/* KernelSHAP (Lundberg & Lee, "A Unified Approach to Interpreting Model Predictions",
 * NeurIPS 2017): weighted least squares with Shapley kernel weights
 * π(z) = (M − 1) / (C(M, |z|) |z| (M − |z|)); the empty and full coalitions are enforced
 * exactly (φ₀ = v(∅), Σφ = v(full) − φ₀). If 2^M − 2 ≤ budget all coalitions are
 * enumerated (then the result equals the exact Shapley values); otherwise coalition
 * sizes are sampled from the kernel and each sample is paired with its complement.
 * Returns phi [M]. */
PlTensor *pl_kernel_shap (PlCoalitionFunc func, gpointer user_data, gint M,
                          const PlKernelShapOptions *options, double *v_empty, double *v_full,
                          const PlProgress *progress, GError **error);

/* Double-precision variants of pl_shapley_exact / pl_kernel_shap (same method, same
 * errors): phi_out receives [M] doubles. Added for callers and tests that need more than
 * float32 precision (e.g. checking Σφ = v(full) − v(∅) to 1e-9). */
gboolean pl_shapley_exact_values (PlCoalitionFunc func, gpointer user_data, gint M,
                                  double *phi_out, double *v_empty, double *v_full,
                                  const PlProgress *progress, GError **error);
gboolean pl_kernel_shap_values (PlCoalitionFunc func, gpointer user_data, gint M,
                                const PlKernelShapOptions *options, double *phi_out,
                                double *v_empty, double *v_full,
                                const PlProgress *progress, GError **error);

/* The image game: v(S) = f_t(x with the segments not in S replaced by baseline).
 * phi: [M]; phi0/fx (optional) receive v(∅) and f_t(x). */
PlTensor *pl_kernel_shap_image (PlExecutor *executor, const PlTensor *image, gint target,
                                const PlSegmentation *segmentation, float baseline,
                                const PlKernelShapOptions *options, double *phi0, double *fx,
                                const PlProgress *progress, GError **error);

G_END_DECLS
