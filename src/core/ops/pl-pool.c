/* pl-pool.c — 2-D MaxPool (ONNX MaxPool, storage_order 0). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic")
#endif
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

/* Window rows [*i0, *i1) and columns [*j0, *j1) (kernel indices) inside the input. */
static inline void
window (const PlPoolGeom *g, gint oh, gint ow, gint *i0, gint *i1, gint *j0, gint *j1)
{
  gint bh = oh * g->stride_h - g->pad_t, bw = ow * g->stride_w - g->pad_l;
  *i0 = 0;
  while (*i0 < g->kh && bh + *i0 * g->dil_h < 0)
    (*i0)++;
  *i1 = *i0;
  while (*i1 < g->kh && bh + *i1 * g->dil_h < g->h)
    (*i1)++;
  *j0 = 0;
  while (*j0 < g->kw && bw + *j0 * g->dil_w < 0)
    (*j0)++;
  *j1 = *j0;
  while (*j1 < g->kw && bw + *j1 * g->dil_w < g->w)
    (*j1)++;
}

static inline gboolean
is_2x2 (const PlPoolGeom *g)
{
  return g->kh == 2 && g->kw == 2 && g->stride_h == 2 && g->stride_w == 2 && g->dil_h == 1
         && g->dil_w == 1 && g->pad_t == 0 && g->pad_l == 0 && 2 * g->oh <= g->h
         && 2 * g->ow <= g->w;
}

/* 'v > best ? v : best' keeps the first maximum and compiles to a branch-free max. */
static inline PL_ALWAYS_INLINE void
maxpool_forward_planes_body (const PlPoolGeom *g, const float *x, float *y, gsize p0, gsize p1)
{
  const gsize hw = (gsize) g->h * g->w;
  const gsize ohw = (gsize) g->oh * g->ow;
  const gboolean fast = is_2x2 (g);
  for (gsize plane = p0; plane < p1; plane++)
    {
      const float *xp = x + plane * hw;
      float *yp = y + plane * ohw;
      for (gint oh = 0; oh < g->oh; oh++)
        {
          if (fast)
            {
              const float *r0 = xp + (gsize) (2 * oh) * g->w, *r1 = r0 + g->w;
              float *yr = yp + (gsize) oh * g->ow;
              for (gint ow = 0; ow < g->ow; ow++)
                {
                  float best = r0[2 * ow], v = r0[2 * ow + 1];
                  best = v > best ? v : best;
                  v = r1[2 * ow];
                  best = v > best ? v : best;
                  v = r1[2 * ow + 1];
                  best = v > best ? v : best;
                  yr[ow] = best;
                }
              continue;
            }
          for (gint ow = 0; ow < g->ow; ow++)
            {
              gint i0, i1, j0, j1;
              window (g, oh, ow, &i0, &i1, &j0, &j1);
              float best = 0.f;
              gboolean first = TRUE;
              for (gint i = i0; i < i1; i++)
                {
                  const float *row = xp + (gsize) (oh * g->stride_h - g->pad_t + i * g->dil_h) * g->w
                                     + ow * g->stride_w - g->pad_l;
                  for (gint j = j0; j < j1; j++)
                    {
                      float v = row[j * g->dil_w];
                      best = (first || v > best) ? v : best;
                      first = FALSE;
                    }
                }
              yp[oh * g->ow + ow] = best;
            }
        }
    }
}
PL_SIMD_VOID (maxpool_forward_planes, (const PlPoolGeom *g, const float *x, float *y, gsize p0, gsize p1), (g, x, y, p0, p1))

static inline PL_ALWAYS_INLINE void
maxpool_backward_planes_body (const PlPoolGeom *g, const float *x, const float *y,
                         const float *dy, float *dx, gsize p0, gsize p1)
{
  const gsize hw = (gsize) g->h * g->w;
  const gsize ohw = (gsize) g->oh * g->ow;
  const gboolean fast = is_2x2 (g);
  for (gsize plane = p0; plane < p1; plane++)
    {
      const float *xp = x + plane * hw;
      float *dxp = dx + plane * hw;
      if (fast)
        {
          /* branch-free (vectorisable) form of the rule below: each of the four cells
           * adds dy or exactly 0 */
          for (gint oh = 0; oh < g->oh; oh++)
            {
              const float *restrict r0 = xp + (gsize) (2 * oh) * g->w, *restrict r1 = r0 + g->w;
              float *restrict d0 = dxp + (gsize) (2 * oh) * g->w, *restrict d1 = d0 + g->w;
              const float *restrict yr = y + plane * ohw + (gsize) oh * g->ow;
              const float *restrict dyr = dy + plane * ohw + (gsize) oh * g->ow;
              for (gint ow = 0; ow < g->ow; ow++)
                {
                  float t = yr[ow], d = dyr[ow];
                  /* bitwise, not && / ||: no branches, so the loop vectorises */
                  gint m0 = (r0[2 * ow] == t) | (t != t);
                  gint m1 = (r0[2 * ow + 1] == t) & !m0;
                  gint m2 = (r1[2 * ow] == t) & !(m0 | m1);
                  gint m3 = !(m0 | m1 | m2);
                  d0[2 * ow] += m0 ? d : 0.f;
                  d0[2 * ow + 1] += m1 ? d : 0.f;
                  d1[2 * ow] += m2 ? d : 0.f;
                  d1[2 * ow + 1] += m3 ? d : 0.f;
                }
            }
          continue;
        }
      for (gint oh = 0; oh < g->oh; oh++)
        for (gint ow = 0; ow < g->ow; ow++)
          {
            if (fast)
              {
                gsize o = plane * ohw + (gsize) oh * g->ow + ow;
                gsize a = (gsize) (2 * oh) * g->w + 2 * ow;
                float t = y[o];
                /* first of the four (row-major) equal to the maximum; a NaN maximum
                 * can only come from the first cell */
                gsize at = (xp[a] == t || t != t) ? a
                           : xp[a + 1] == t ? a + 1
                           : xp[a + g->w] == t ? a + g->w
                           : a + g->w + 1;
                dxp[at] += dy[o];
                continue;
              }
            gsize o = plane * ohw + (gsize) oh * g->ow + ow;
            float target = y[o];
            gboolean nan = isnan (target);
            gint i0, i1, j0, j1;
            window (g, oh, ow, &i0, &i1, &j0, &j1);
            for (gint i = i0; i < i1; i++)
              {
                gsize base = (gsize) (oh * g->stride_h - g->pad_t + i * g->dil_h) * g->w
                             + ow * g->stride_w - g->pad_l;
                for (gint j = j0; j < j1; j++)
                  {
                    float v = xp[base + j * g->dil_w];
                    if (v == target || (nan && isnan (v)))
                      {
                        dxp[base + j * g->dil_w] += dy[o];
                        goto next;
                      }
                  }
              }
          next:
            ;
          }
    }
}
PL_SIMD_VOID (maxpool_backward_planes, (const PlPoolGeom *g, const float *x, const float *y, const float *dy, float *dx, gsize p0, gsize p1), (g, x, y, dy, dx, p0, p1))

typedef struct {
  const PlPoolGeom *g;
  const float *x, *y, *dy;
  float *out, *dx;
} PoolJob;

static void
pool_forward_part (gint part, gint n_parts, gpointer data)
{
  const PoolJob *j = data;
  gint64 a, b;
  pl_part_range ((gint64) j->g->n * j->g->c, part, n_parts, &a, &b);
  maxpool_forward_planes (j->g, j->x, j->out, (gsize) a, (gsize) b);
}

static void
pool_backward_part (gint part, gint n_parts, gpointer data)
{
  const PoolJob *j = data;
  gint64 a, b;
  pl_part_range ((gint64) j->g->n * j->g->c, part, n_parts, &a, &b);
  maxpool_backward_planes (j->g, j->x, j->y, j->dy, j->dx, (gsize) a, (gsize) b);
}

/* Planes are split between threads when the input is large enough to pay for it. */
#define PAR_MIN 65536

void
pl_maxpool_forward (const PlPoolGeom *g, const float *x, float *y)
{
  gsize planes = (gsize) g->n * g->c;
  if (planes * g->h * g->w < PAR_MIN)
    maxpool_forward_planes (g, x, y, 0, planes);
  else
    {
      PoolJob j = { .g = g, .x = x, .out = y };
      pl_parallel_run (pool_forward_part, &j);
    }
}

void
pl_maxpool_backward (const PlPoolGeom *g, const float *x, const float *y, const float *dy,
                     float *dx)
{
  gsize planes = (gsize) g->n * g->c;
  if (planes * g->h * g->w < PAR_MIN)
    maxpool_backward_planes (g, x, y, dy, dx, 0, planes);
  else
    {
      PoolJob j = { .g = g, .x = x, .y = y, .dy = dy, .dx = dx };
      pl_parallel_run (pool_backward_part, &j);
    }
}
