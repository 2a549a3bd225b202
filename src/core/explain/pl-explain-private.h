/* pl-explain-private.h — helpers shared by the files of src/core/explain. */
#pragma once

#include "explain/pl-explain.h"

G_BEGIN_DECLS

/* image must be [1, C, H, W]; runs a forward pass, replaces *target < 0 by the predicted
 * class, checks *target < K; logit_out (optional) receives f_target(image). */
gboolean pl_explain_resolve_target (PlExecutor *executor, const PlTensor *image, gint *target,
                                    double *logit_out, GError **error);

G_END_DECLS

/* ---- helpers of the attribution methods (pl-attribution.h) ---------------------- */
#include "explain/pl-attribution.h"

/* input must be [1, ...] (ndim ≥ 2); forward pass; resolves *target < 0 to the predicted
 * class; checks output 0 is [1, K] and *target < K; fx_out receives f_target(input). */
gboolean pl_attr_resolve_target (PlExecutor *executor, const PlTensor *input, gint *target,
                                 double *fx_out, GError **error);
/* A new result with method, target and seed set, every double NaN. */
PlAttribution *pl_attr_new (const char *method, gint target, guint64 seed);
/* f_target of every row of batch [n, ...] (one forward pass). */
gboolean pl_attr_logits (PlExecutor *executor, const PlTensor *batch, gint target,
                         double *values, GError **error);
/* ∂f_target/∂x of every row of batch [n, ...]: new tensor of batch's shape; values
 * (optional) receives f_target per row. */
PlTensor *pl_attr_gradients (PlExecutor *executor, const PlTensor *batch, gint target,
                             double *values, GError **error);
/* A batch tensor [n, sample shape of like]. */
PlTensor *pl_attr_batch_new (const PlTensor *like, gint64 n, GError **error);
/* A tensor given as the input's shape [1, ...] or its sample shape, with as many elements
 * as input: TRUE if usable (else PL_ERROR_INVALID naming what). */
gboolean pl_attr_check_like (const PlTensor *t, const PlTensor *input, const char *what,
                             GError **error);
/* Reduce [1, C, H, W] (or anything else, untouched except |·|) per PlChannelReduce. */
PlTensor *pl_attr_reduce (const PlTensor *map, gboolean absolute, PlChannelReduce reduce,
                          GError **error);
const char *pl_attr_reduce_name (PlChannelReduce reduce);
/* Appends " key=value" to s with value as "%.6g" in the C locale. */
void pl_attr_param_double (GString *s, const char *key, double value);

/* ---- fast paths through the model's linear head (pl-explain-fast.c) ----------------- */
/* TRUE when fast paths are on (pl_explain_get_fast) and the executor's graph has a head. */
gboolean pl_fast_available (PlExecutor *executor);
/* Counts one explanation computed on a fast path (pl_explain_fast_uses). */
void pl_fast_note (void);
/* Per-segment blends of x [1, ...] and fill (same size): segment s (labels over the last
 * two axes, every channel) shows x or fill. NULL without error when the fast path does not
 * apply (off, no head, too large); NULL with error on failure. */
typedef struct _PlHeadBlend PlHeadBlend;
PlHeadBlend *pl_head_blend_new (PlExecutor *executor, const PlTensor *x, const PlTensor *fill,
                                const gint *labels, gint M, GError **error);
void pl_head_blend_free (PlHeadBlend *hb);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlHeadBlend, pl_head_blend_free)
/* f_target of each row of batch [n, ...] (the blended inputs of coalitions z [n, M], used
 * for the shapes and stored as the input) through pl_executor_forward_head. */
gboolean pl_head_blend_logits (PlHeadBlend *hb, const PlTensor *batch, const guint8 *z,
                               gint target, double *values, GError **error);
