/* pl-explain-private.h — helpers shared by the files of src/core/explain. */
#pragma once

#include "explain/pl-explain.h"

G_BEGIN_DECLS

/* image must be [1, C, H, W]; runs a forward pass, replaces *target < 0 by the predicted
 * class, checks *target < K; logit_out (optional) receives f_target(image). */
gboolean pl_explain_resolve_target (PlExecutor *executor, const PlTensor *image, gint *target,
                                    double *logit_out, GError **error);

G_END_DECLS
