/* pl-shap-image.c — KernelSHAP for an image classifier over a segmentation.
 *
 * The game (Lundberg & Lee 2017, "image" masker with a constant baseline):
 * v(S) = f_t(x_S), where x_S keeps the pixels (all channels) of the segments in S and
 * sets the others to baseline.
 */
#include "explain/pl-explain-private.h"
#include "pl-error.h"

#include <string.h>

typedef struct {
  PlExecutor *executor;
  const PlTensor *image;
  const PlSegmentation *segmentation;
  float baseline;
  gint target;
  gint batch;
  PlHeadBlend *blend;    /* fast path (pl-explain-fast.c), or NULL */
} ImageGame;

static gboolean
image_game_func (const guint8 *coalitions, gint n, gint M, double *values, gpointer user_data,
                 GError **error)
{
  ImageGame *game = user_data;
  const PlTensor *x = game->image;
  gint64 C = x->shape[1], H = x->shape[2], W = x->shape[3], HW = H * W;
  g_autoptr (PlTensor) batch = pl_tensor_new (4, (gint64[]) { n, C, H, W }, error);
  if (batch == NULL)
    return FALSE;
  const gint *labels = game->segmentation->labels;
  for (gint r = 0; r < n; r++)
    {
      const guint8 *z = coalitions + (gsize) r * M;
      float *dst = batch->data + (gint64) r * C * HW;
      memcpy (dst, x->data, C * HW * sizeof (float));
      for (gint64 p = 0; p < HW; p++)
        if (!z[labels[p]])
          for (gint64 c = 0; c < C; c++)
            dst[c * HW + p] = game->baseline;
    }
  if (game->blend != NULL)
    {
      /* the same chunks as pl_executor_predict, each through the precomputed head */
      gint64 D = C * HW;
      for (gint start = 0; start < n; start += game->batch)
        {
          gint cnt = MIN (game->batch, n - start);
          g_autoptr (PlTensor) chunk = pl_tensor_new (4, (gint64[]) { cnt, C, H, W }, error);
          if (chunk == NULL)
            return FALSE;
          memcpy (chunk->data, batch->data + (gint64) start * D, sizeof (float) * cnt * D);
          if (!pl_head_blend_logits (game->blend, chunk, coalitions + (gsize) start * M,
                                     game->target, values + start, error))
            return FALSE;
        }
      return TRUE;
    }
  g_autoptr (PlTensor) logits = pl_executor_predict (game->executor, batch, game->batch, NULL,
                                                     error);
  if (logits == NULL)
    return FALSE;
  if (logits->ndim != 2 || logits->shape[0] != n || logits->shape[1] <= game->target)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The model's first output should be logits of shape [%d, classes > %d]",
                   n, game->target);
      return FALSE;
    }
  gint64 K = logits->shape[1];
  for (gint r = 0; r < n; r++)
    values[r] = logits->data[r * K + game->target];
  return TRUE;
}

PlTensor *
pl_kernel_shap_image (PlExecutor *executor, const PlTensor *image, gint target,
                      const PlSegmentation *segmentation, float baseline,
                      const PlKernelShapOptions *options, double *phi0, double *fx,
                      const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (executor != NULL, NULL);
  g_return_val_if_fail (image != NULL, NULL);
  g_return_val_if_fail (segmentation != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!pl_explain_resolve_target (executor, image, &target, NULL, error))
    return NULL;
  if (image->shape[2] != segmentation->height || image->shape[3] != segmentation->width)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The segmentation is %d×%d but the image is %" G_GINT64_FORMAT "×%"
                   G_GINT64_FORMAT, segmentation->height, segmentation->width,
                   image->shape[2], image->shape[3]);
      return NULL;
    }
  gint M = segmentation->n_segments;
  gint64 HW = (gint64) segmentation->height * segmentation->width;
  for (gint64 p = 0; p < HW; p++)
    if (segmentation->labels[p] < 0 || segmentation->labels[p] >= M)
      {
        g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                     "Segment label %d at pixel %" G_GINT64_FORMAT " is outside [0, %d)",
                     segmentation->labels[p], p, M);
        return NULL;
      }

  ImageGame game = {
    .executor = executor, .image = image, .segmentation = segmentation,
    .baseline = baseline, .target = target,
    .batch = options && options->batch > 0 ? options->batch : 64,  /* 2146 coalitions: chunks that keep the plans' buffers small */
  };
  g_autoptr (PlTensor) fill = pl_tensor_new_like (image);
  for (gint64 i = 0; i < fill->numel; i++)
    fill->data[i] = baseline;
  GError *blend_error = NULL;
  g_autoptr (PlHeadBlend) blend = pl_head_blend_new (executor, image, fill,
                                                     segmentation->labels, M, &blend_error);
  if (blend_error != NULL)
    {
      g_propagate_error (error, blend_error);
      return NULL;
    }
  game.blend = blend;
  double ve = 0.0, vf = 0.0;
  PlTensor *phi = pl_kernel_shap (image_game_func, &game, M, options, &ve, &vf, progress,
                                  error);
  if (phi != NULL && blend != NULL)
    pl_fast_note ();
  if (phi == NULL)
    return NULL;
  if (phi0)
    *phi0 = ve;
  if (fx)
    *fx = vf;
  return phi;
}
