/* pl-pool.c — 2-D MaxPool (ONNX MaxPool, storage_order 0). */
#include <math.h>
#include "pl-ops.h"

gboolean
pl_pool_geom_finish (PlPoolGeom *g)
{
  gint64 eh = (gint64) g->dil_h * (g->kh - 1) + 1;
  gint64 ew = (gint64) g->dil_w * (g->kw - 1) + 1;
  gint64 sh = (gint64) g->h + g->pad_t + g->pad_b - eh;
  gint64 sw = (gint64) g->w + g->pad_l + g->pad_r - ew;
  if (g->kh < 1 || g->kw < 1 || g->stride_h < 1 || g->stride_w < 1 || g->dil_h < 1 ||
      g->dil_w < 1 || sh < 0 || sw < 0)
    return FALSE;
  if (!g->ceil_mode)
    {
      g->oh = (gint) (sh / g->stride_h + 1);
      g->ow = (gint) (sw / g->stride_w + 1);
    }
  else
    {
      g->oh = (gint) ((sh + g->stride_h - 1) / g->stride_h + 1);
      g->ow = (gint) ((sw + g->stride_w - 1) / g->stride_w + 1);
      /* The last window must start inside the input or the leading padding. */
      if ((gint64) (g->oh - 1) * g->stride_h >= g->h + g->pad_t)
        g->oh--;
      if ((gint64) (g->ow - 1) * g->stride_w >= g->w + g->pad_l)
        g->ow--;
    }
  return TRUE;
}

void
pl_maxpool_forward (const PlPoolGeom *g, const float *x, float *y, gint32 *argmax)
{
  const gsize hw = (gsize) g->h * g->w;
  const gsize ohw = (gsize) g->oh * g->ow;
  for (gsize plane = 0; plane < (gsize) g->n * g->c; plane++)
    {
      const float *xp = x + plane * hw;
      float *yp = y + plane * ohw;
      gint32 *ap = argmax + plane * ohw;
      for (gint oh = 0; oh < g->oh; oh++)
        for (gint ow = 0; ow < g->ow; ow++)
          {
            float best = -INFINITY;
            gint32 arg = -1;
            for (gint i = 0; i < g->kh; i++)
              {
                gint ih = oh * g->stride_h - g->pad_t + i * g->dil_h;
                if (ih < 0 || ih >= g->h)
                  continue;
                for (gint j = 0; j < g->kw; j++)
                  {
                    gint iw = ow * g->stride_w - g->pad_l + j * g->dil_w;
                    if (iw < 0 || iw >= g->w)
                      continue;
                    float v = xp[(gsize) ih * g->w + iw];
                    /* strict '>' keeps the first maximum; a NaN is taken if first */
                    if (arg < 0 || v > best || (isnan (v) && !isnan (best)))
                      {
                        best = v;
                        arg = ih * g->w + iw;
                      }
                  }
              }
            yp[oh * g->ow + ow] = arg < 0 ? 0.f : best;
            ap[oh * g->ow + ow] = arg;
          }
    }
}

void
pl_maxpool_backward (const PlPoolGeom *g, const gint32 *argmax, const float *dy, float *dx)
{
  const gsize hw = (gsize) g->h * g->w;
  const gsize ohw = (gsize) g->oh * g->ow;
  for (gsize plane = 0; plane < (gsize) g->n * g->c; plane++)
    for (gsize o = 0; o < ohw; o++)
      {
        gint32 a = argmax[plane * ohw + o];
        if (a >= 0)
          dx[plane * hw + a] += dy[plane * ohw + o];
      }
}
