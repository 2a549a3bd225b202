/* pl-saliency.c — vanilla gradient saliency (Simonyan et al., ICLR workshop 2014). */
#include "explain/pl-explain-private.h"
#include "pl-error.h"

#include <math.h>

/* Checks image is [1, C, H, W]; resolves target < 0 to the predicted class and checks
 * target < K. Shared with pl-shap-image.c through pl-explain-private.h. */
gboolean
pl_explain_resolve_target (PlExecutor *executor, const PlTensor *image, gint *target,
                           double *logit_out, GError **error)
{
  if (image->ndim != 4 || image->shape[0] != 1)
    {
      g_autofree char *shape = pl_tensor_shape_string (image->ndim, image->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "An attribution needs one image of shape [1, C, H, W]; got %s", shape);
      return FALSE;
    }
  if (!pl_executor_forward (executor, image, error))
    return FALSE;
  const PlTensor *logits = pl_executor_output (executor, 0);
  if (logits == NULL || logits->ndim != 2 || logits->shape[0] != 1 || logits->shape[1] < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The model's first output should be logits of shape [1, classes]");
      return FALSE;
    }
  gint64 k = logits->shape[1];
  if (*target < 0)
    *target = (gint) pl_tensor_argmax (logits->data, k);
  if (*target >= k)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Class %d does not exist: the model has %" G_GINT64_FORMAT " classes "
                   "(0–%" G_GINT64_FORMAT ")", *target, k, k - 1);
      return FALSE;
    }
  if (logit_out)
    *logit_out = logits->data[*target];
  return TRUE;
}

PlTensor *
pl_saliency (PlExecutor *executor, const PlTensor *image, gint target, GError **error)
{
  g_return_val_if_fail (executor != NULL, NULL);
  g_return_val_if_fail (image != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!pl_explain_resolve_target (executor, image, &target, NULL, error))
    return NULL;

  g_autoptr (PlTensor) grad = pl_executor_class_gradient (executor, image, &target, NULL,
                                                           error);
  if (grad == NULL)
    return NULL;
  if (grad->numel != image->numel)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_FAILED,
                   "The input gradient has %" G_GINT64_FORMAT " values; the image has %"
                   G_GINT64_FORMAT, grad->numel, image->numel);
      return NULL;
    }
  gint64 C = image->shape[1], H = image->shape[2], W = image->shape[3];
  PlTensor *out = pl_tensor_new (2, (gint64[]) { H, W }, error);
  if (out == NULL)
    return NULL;
  for (gint64 p = 0; p < H * W; p++)
    {
      float m = 0.0f;
      for (gint64 c = 0; c < C; c++)
        m = fmaxf (m, fabsf (grad->data[c * H * W + p]));
      out->data[p] = m;
    }
  return out;
}
