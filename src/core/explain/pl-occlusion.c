/* pl-occlusion.c — occlusion (Zeiler & Fergus, ECCV 2014) and Grad-CAM (Selvaraju et al.,
 * ICCV 2017). */
#include "explain/pl-explain-private.h"
#include "pl-error.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------ occlusion */

void
pl_occlusion_options_init (PlOcclusionOptions *options)
{
  g_return_if_fail (options != NULL);
  memset (options, 0, sizeof *options);
  options->window_h = options->window_w = 0;   /* automatic, see the header */
  options->stride_h = options->stride_w = 0;
  options->baseline = 0.0f;
  options->baseline_tensor = NULL;
  options->batch = 64;
}

/* Window starts along an axis of length len: 0, stride, ... and one ending at the edge. */
static GArray *
window_starts (gint64 len, gint64 win, gint64 stride)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 s = 0;
  for (; s + win <= len; s += stride)
    g_array_append_val (a, s);
  gint64 last = len - win;
  if (a->len == 0 || g_array_index (a, gint64, a->len - 1) != last)
    g_array_append_val (a, last);
  return a;
}

PlAttribution *
pl_attribution_occlusion (PlExecutor *executor, const PlTensor *input, gint target,
                          const PlOcclusionOptions *options, const PlProgress *progress,
                          GError **error)
{
  g_return_val_if_fail (executor != NULL, NULL);
  g_return_val_if_fail (input != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  PlOcclusionOptions opt;
  pl_occlusion_options_init (&opt);
  if (options)
    opt = *options;
  if (input->ndim != 4 && input->ndim != 2)
    {
      g_autofree char *shape = pl_tensor_shape_string (input->ndim, input->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                   "Occlusion works on images [1, C, H, W] and table rows [1, F]; got %s",
                   shape);
      return NULL;
    }
  gboolean image = input->ndim == 4;
  gint64 C = image ? input->shape[1] : 1;
  gint64 H = image ? input->shape[2] : 1;
  gint64 W = image ? input->shape[3] : input->shape[1];
  if (!image)
    opt.window_h = opt.stride_h = 1;
  if (opt.window_h == 0)
    opt.window_h = (gint) MIN (4, H);
  if (opt.window_w == 0)
    opt.window_w = image ? (gint) MIN (4, W) : 1;
  if (opt.stride_h == 0)
    opt.stride_h = 2;
  if (opt.stride_w == 0)
    opt.stride_w = image ? 2 : 1;
  if (opt.window_h < 1 || opt.window_w < 1 || opt.stride_h < 1 || opt.stride_w < 1
      || opt.window_h > H || opt.window_w > W)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Occlusion window %d×%d with stride %d×%d does not fit the input %"
                   G_GINT64_FORMAT "×%" G_GINT64_FORMAT " (window and stride must be ≥ 1 "
                   "and the window no larger than the input)", opt.window_h, opt.window_w,
                   opt.stride_h, opt.stride_w, H, W);
      return NULL;
    }
  if (!isfinite (opt.baseline))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "The occlusion value must be finite");
      return NULL;
    }
  if (opt.baseline_tensor != NULL
      && !pl_attr_check_like (opt.baseline_tensor, input, "occlusion baseline tensor", error))
    return NULL;
  double fx;
  if (!pl_attr_resolve_target (executor, input, &target, &fx, error))
    return NULL;

  g_autoptr (GArray) ys = window_starts (H, opt.window_h, opt.stride_h);
  g_autoptr (GArray) xs = window_starts (W, opt.window_w, opt.stride_w);
  gint64 n_windows = (gint64) ys->len * xs->len;
  gint batch = opt.batch > 0 ? opt.batch : 64;
  gint64 HW = H * W, D = input->numel;
  g_autofree double *sum = g_new0 (double, HW);
  g_autofree gint *cover = g_new0 (gint, HW);
  g_autofree double *values = g_new (double, batch);

  for (gint64 start = 0; start < n_windows; start += batch)
    {
      if (pl_progress_cancelled (progress, error))
        return NULL;
      gint cnt = (gint) MIN ((gint64) batch, n_windows - start);
      g_autoptr (PlTensor) b = pl_attr_batch_new (input, cnt, error);
      if (b == NULL)
        return NULL;
      for (gint r = 0; r < cnt; r++)
        {
          gint64 wi = start + r;
          gint64 y0 = g_array_index (ys, gint64, wi / xs->len);
          gint64 x0 = g_array_index (xs, gint64, wi % xs->len);
          float *dst = b->data + r * D;
          memcpy (dst, input->data, sizeof (float) * (gsize) D);
          for (gint64 c = 0; c < C; c++)
            for (gint64 y = y0; y < y0 + opt.window_h; y++)
              for (gint64 x = x0; x < x0 + opt.window_w; x++)
                {
                  gint64 i = c * HW + y * W + x;
                  dst[i] = opt.baseline_tensor ? opt.baseline_tensor->data[i] : opt.baseline;
                }
        }
      if (!pl_attr_logits (executor, b, target, values, error))
        return NULL;
      for (gint r = 0; r < cnt; r++)
        {
          gint64 wi = start + r;
          gint64 y0 = g_array_index (ys, gint64, wi / xs->len);
          gint64 x0 = g_array_index (xs, gint64, wi % xs->len);
          double drop = fx - values[r];
          for (gint64 y = y0; y < y0 + opt.window_h; y++)
            for (gint64 x = x0; x < x0 + opt.window_w; x++)
              {
                sum[y * W + x] += drop;
                cover[y * W + x]++;
              }
        }
      pl_progress_report (progress, (double) (start + cnt) / n_windows, NULL);
    }

  g_autoptr (PlTensor) map = pl_tensor_new_like (input);
  for (gint64 c = 0; c < C; c++)
    for (gint64 p = 0; p < HW; p++)
      map->data[c * HW + p] = cover[p] > 0 ? (float) (sum[p] / cover[p]) : 0.0f;

  g_autoptr (PlAttribution) a = pl_attr_new ("occlusion", target, 0);
  a->attribution = g_steal_pointer (&map);
  a->fx = fx;
  GString *s = g_string_new (NULL);
  if (image)
    g_string_append_printf (s, "target=%d window=%dx%d stride=%dx%d", target, opt.window_h,
                            opt.window_w, opt.stride_h, opt.stride_w);
  else
    g_string_append_printf (s, "target=%d window=%d stride=%d", target, opt.window_w,
                            opt.stride_w);
  if (opt.baseline_tensor)
    g_string_append (s, " baseline=tensor");
  else
    pl_attr_param_double (s, "baseline", opt.baseline);
  g_string_append_printf (s, " overlap=mean windows=%" G_GINT64_FORMAT " batch=%d",
                          n_windows, batch);
  a->parameters = g_string_free (s, FALSE);
  return g_steal_pointer (&a);
}

/* ------------------------------------------------------------------ Grad-CAM */

void
pl_grad_cam_options_init (PlGradCamOptions *options)
{
  g_return_if_fail (options != NULL);
  options->layer = NULL;
  options->after_relu = TRUE;
}

/* The node that consumes value id, if exactly one node does and it is not a graph output. */
static const PlNode *
sole_consumer (const PlGraph *g, gint id)
{
  const PlNode *found = NULL;
  for (guint k = 0; k < g->nodes->len; k++)
    {
      const PlNode *n = g_ptr_array_index (g->nodes, k);
      for (gint i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] == id)
          {
            if (found != NULL && found != n)
              return NULL;
            found = n;
          }
    }
  for (guint o = 0; o < g->outputs->len; o++)
    if (g_array_index (g->outputs, gint, o) == id)
      return NULL;
  return found;
}

/* Bilinear resize of an h×w map to H×W, half-pixel centres, edges clamped. */
static void
resize_bilinear (const double *src, gint64 h, gint64 w, float *dst, gint64 H, gint64 W)
{
  for (gint64 y = 0; y < H; y++)
    {
      double sy = fmax (0.0, (y + 0.5) * (double) h / H - 0.5);
      gint64 y0 = MIN ((gint64) floor (sy), h - 1), y1 = MIN (y0 + 1, h - 1);
      double fy = sy - y0;
      for (gint64 x = 0; x < W; x++)
        {
          double sx = fmax (0.0, (x + 0.5) * (double) w / W - 0.5);
          gint64 x0 = MIN ((gint64) floor (sx), w - 1), x1 = MIN (x0 + 1, w - 1);
          double fx = sx - x0;
          double top = src[y0 * w + x0] * (1 - fx) + src[y0 * w + x1] * fx;
          double bot = src[y1 * w + x0] * (1 - fx) + src[y1 * w + x1] * fx;
          dst[y * W + x] = (float) (top * (1 - fy) + bot * fy);
        }
    }
}

PlAttribution *
pl_attribution_grad_cam (PlExecutor *executor, const PlTensor *input, gint target,
                         const PlGradCamOptions *options, const PlProgress *progress,
                         GError **error)
{
  g_return_val_if_fail (executor != NULL, NULL);
  g_return_val_if_fail (input != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  PlGradCamOptions opt;
  pl_grad_cam_options_init (&opt);
  if (options)
    opt = *options;
  if (input->ndim != 4)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Grad-CAM needs an image of shape [1, C, H, W]");
      return NULL;
    }
  const PlGraph *g = pl_executor_get_graph (executor);
  const PlNode *conv = NULL;
  for (guint k = 0; k < g->nodes->len; k++)
    {
      const PlNode *n = g_ptr_array_index (g->nodes, k);
      if (opt.layer == NULL)
        {
          if (g_strcmp0 (n->op_type, "Conv") == 0)
            conv = n;
        }
      else if (g_strcmp0 (n->name, opt.layer) == 0
               || (n->n_outputs > 0
                   && g_strcmp0 (pl_graph_value (g, n->outputs[0])->name, opt.layer) == 0))
        {
          conv = n;
          break;
        }
    }
  if (conv == NULL)
    {
      if (opt.layer)
        g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                     "The model has no node or value named '%s' for Grad-CAM", opt.layer);
      else
        g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                     "Grad-CAM needs a convolution, and the model has no Conv node");
      return NULL;
    }
  gint value_id = conv->outputs[0];
  const char *used = "conv";
  if (opt.after_relu)
    {
      const PlNode *next = sole_consumer (g, value_id);
      if (next != NULL && g_strcmp0 (next->op_type, "Relu") == 0)
        {
          value_id = next->outputs[0];
          used = "relu";
        }
    }

  if (pl_progress_cancelled (progress, error))
    return NULL;
  double fx;
  if (!pl_attr_resolve_target (executor, input, &target, &fx, error))
    return NULL;
  g_autoptr (PlTensor) grad = pl_attr_gradients (executor, input, target, NULL, error);
  if (grad == NULL)
    return NULL;
  const PlTensor *A = pl_executor_value (executor, value_id);
  const PlTensor *dA = pl_executor_value_grad (executor, value_id);
  const char *vname = pl_graph_value (g, value_id)->name;
  if (A == NULL || A->ndim != 4 || A->shape[0] != 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Grad-CAM needs feature maps [1, K, h, w]; value '%s' is not", vname);
      return NULL;
    }
  gint64 K = A->shape[1], h = A->shape[2], w = A->shape[3], hw = h * w;
  gint64 H = input->shape[2], W = input->shape[3];
  g_autofree double *cam = g_new0 (double, hw);
  if (dA != NULL)   /* no gradient: f_t does not depend on the layer; the map is 0 */
    for (gint64 k = 0; k < K; k++)
      {
        double alpha = 0;
        for (gint64 p = 0; p < hw; p++)
          alpha += dA->data[k * hw + p];
        alpha /= (double) hw;
        for (gint64 p = 0; p < hw; p++)
          cam[p] += alpha * A->data[k * hw + p];
      }
  for (gint64 p = 0; p < hw; p++)
    cam[p] = fmax (cam[p], 0.0);

  PlTensor *map = pl_tensor_new (4, (gint64[]) { 1, 1, H, W }, error);
  if (map == NULL)
    return NULL;
  resize_bilinear (cam, h, w, map->data, H, W);

  PlAttribution *a = pl_attr_new ("grad-cam", target, 0);
  a->attribution = map;
  a->fx = fx;
  a->parameters = g_strdup_printf ("target=%d layer=%s value=%s maps=%" G_GINT64_FORMAT "x%"
                                   G_GINT64_FORMAT "x%" G_GINT64_FORMAT " after=%s "
                                   "upsample=bilinear-half-pixel",
                                   target, conv->name && *conv->name ? conv->name : "(unnamed)",
                                   vname, K, h, w, used);
  pl_progress_report (progress, 1.0, NULL);
  return a;
}
