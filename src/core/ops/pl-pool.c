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

/* ---- Added (speed): 2×2 backward that writes dx once (pl-ops.h) -------------------- */

gboolean
pl_maxpool_backward_set_ok (const PlPoolGeom *g)
{
  return is_2x2 (g) && g->h == 2 * g->oh && g->w == 2 * g->ow && g->oh >= 1 && g->ow >= 1;
}

/* One output row oh of one plane: the rule of maxpool_backward_planes_body (first cell
 * equal to the maximum; a NaN maximum: the first cell), assigned. */
static inline PL_ALWAYS_INLINE void
maxpool_set_row_scalar (gint ow0, gint ow1, const float *restrict r0, const float *restrict r1,
                        const float *restrict yr, const float *restrict dyr, gboolean relu_in,
                        float *restrict d0, float *restrict d1)
{
  for (gint ow = ow0; ow < ow1; ow++)
    {
      float t = yr[ow], d = dyr[ow];
      float a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], e = r1[2 * ow + 1];
      gint m0 = (a == t) | (t != t);
      gint m1 = (b == t) & !m0;
      gint m2 = (c == t) & !(m0 | m1);
      gint m3 = !(m0 | m1 | m2);
      if (relu_in)
        {
          m0 &= a > 0.f;
          m1 &= b > 0.f;
          m2 &= c > 0.f;
          m3 &= e > 0.f;
        }
      d0[2 * ow] = m0 ? d : 0.f;
      d0[2 * ow + 1] = m1 ? d : 0.f;
      d1[2 * ow] = m2 ? d : 0.f;
      d1[2 * ow + 1] = m3 ? d : 0.f;
    }
}

static void
maxpool_set_generic (const PlPoolGeom *g, const float *x, const float *y, const float *dy,
                     gboolean relu_in, float *dx)
{
  const gsize planes = (gsize) g->n * g->c, hw = (gsize) g->h * g->w;
  const gsize ohw = (gsize) g->oh * g->ow;
  for (gsize plane = 0; plane < planes; plane++)
    for (gint oh = 0; oh < g->oh; oh++)
      {
        const float *r0 = x + plane * hw + (gsize) (2 * oh) * g->w;
        float *d0 = dx + plane * hw + (gsize) (2 * oh) * g->w;
        maxpool_set_row_scalar (0, g->ow, r0, r0 + g->w, y + plane * ohw + (gsize) oh * g->ow,
                                dy + plane * ohw + (gsize) oh * g->ow, relu_in, d0,
                                d0 + g->w);
      }
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <immintrin.h>

/* Eight windows per step: the two input rows as 16 lanes each, the maxima duplicated to
 * the lane pairs; the "first equal cell" rule in mask arithmetic (even lanes: left cells,
 * odd lanes: right cells). */
__attribute__ ((target ("avx512f,avx512bw,avx512dq,avx512vl")))
static void
maxpool_set_avx512 (const PlPoolGeom *g, const float *x, const float *y, const float *dy,
                    gboolean relu_in, float *dx)
{
  const gsize planes = (gsize) g->n * g->c, hw = (gsize) g->h * g->w;
  const gsize ohw = (gsize) g->oh * g->ow;
  const __m512i dup = _mm512_set_epi32 (7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
  const __m512 zero = _mm512_setzero_ps ();
  for (gsize plane = 0; plane < planes; plane++)
    for (gint oh = 0; oh < g->oh; oh++)
      {
        const float *r0 = x + plane * hw + (gsize) (2 * oh) * g->w, *r1 = r0 + g->w;
        float *d0 = dx + plane * hw + (gsize) (2 * oh) * g->w, *d1 = d0 + g->w;
        const float *yr = y + plane * ohw + (gsize) oh * g->ow;
        const float *dyr = dy + plane * ohw + (gsize) oh * g->ow;
        for (gint o = 0; o < g->ow; o += 8)
          {
            gint k = MIN (8, g->ow - o);
            __mmask8 m8 = (__mmask8) ((1u << k) - 1u);
            __mmask16 m16 = (__mmask16) ((1u << (2 * k)) - 1u);
            __m512 t = _mm512_permutexvar_ps (dup, _mm512_castps256_ps512 (
                                                _mm256_maskz_loadu_ps (m8, yr + o)));
            __m512 d = _mm512_permutexvar_ps (dup, _mm512_castps256_ps512 (
                                                _mm256_maskz_loadu_ps (m8, dyr + o)));
            __m512 a = _mm512_maskz_loadu_ps (m16, r0 + 2 * o);
            __m512 b = _mm512_maskz_loadu_ps (m16, r1 + 2 * o);
            guint eq0 = _mm512_cmp_ps_mask (a, t, _CMP_EQ_OQ);
            guint eq1 = _mm512_cmp_ps_mask (b, t, _CMP_EQ_OQ);
            guint nan = _mm512_cmp_ps_mask (t, t, _CMP_UNORD_Q);
            guint c0 = (eq0 | nan) & 0x5555u;                 /* top-left */
            guint c1 = eq0 & 0xAAAAu & ~(c0 << 1);            /* top-right */
            guint taken = c0 | (c1 >> 1);
            guint c2 = eq1 & 0x5555u & ~taken;                /* bottom-left */
            guint c3 = 0xAAAAu & ~((taken | c2) << 1);        /* bottom-right */
            guint top = c0 | c1, bottom = c2 | c3;
            if (relu_in)
              {
                top &= _mm512_cmp_ps_mask (a, zero, _CMP_GT_OQ);
                bottom &= _mm512_cmp_ps_mask (b, zero, _CMP_GT_OQ);
              }
            _mm512_mask_storeu_ps (d0 + 2 * o, m16, _mm512_maskz_mov_ps ((__mmask16) top, d));
            _mm512_mask_storeu_ps (d1 + 2 * o, m16,
                                   _mm512_maskz_mov_ps ((__mmask16) bottom, d));
          }
      }
}
#endif

void
pl_maxpool_backward_set (const PlPoolGeom *g, const float *x, const float *y, const float *dy,
                         gboolean relu_in, float *dx)
{
  g_return_if_fail (pl_maxpool_backward_set_ok (g));
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
  if (pl_simd_level () == 2)
    {
      maxpool_set_avx512 (g, x, y, dy, relu_in, dx);
      return;
    }
#endif
  maxpool_set_generic (g, x, y, dy, relu_in, dx);
}

/* y = MaxPool (Relu (z)), computed in one pass (the Relu applied per cell as
 * pl_relu_forward does, then the same first-maximum rule as the 2×2 forward above). */
static inline PL_ALWAYS_INLINE void
maxpool_relu_forward_body (const PlPoolGeom *g, const float *z, float *y)
{
  const gsize planes = (gsize) g->n * g->c, hw = (gsize) g->h * g->w;
  const gsize ohw = (gsize) g->oh * g->ow;
  for (gsize plane = 0; plane < planes; plane++)
    for (gint oh = 0; oh < g->oh; oh++)
      {
        const float *restrict r0 = z + plane * hw + (gsize) (2 * oh) * g->w, *restrict r1 = r0 + g->w;
        float *restrict yr = y + plane * ohw + (gsize) oh * g->ow;
        for (gint ow = 0; ow < g->ow; ow++)
          {
            float a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
            a = a > 0.f ? a : 0.f;
            b = b > 0.f ? b : 0.f;
            c = c > 0.f ? c : 0.f;
            d = d > 0.f ? d : 0.f;
            float best = b > a ? b : a;
            best = c > best ? c : best;
            best = d > best ? d : best;
            yr[ow] = best;
          }
      }
}
PL_SIMD_VOID (maxpool_relu_forward, (const PlPoolGeom *g, const float *z, float *y), (g, z, y))

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
/* Eight windows per step: both rows as 16 lanes, Relu (max with +0 returns +0 for NaN
 * and -0, as the Relu above), the row maximum, then the maximum of each lane pair. The
 * maximum of four non-NaN values does not depend on the order. */
__attribute__ ((target ("avx512f,avx512bw,avx512dq,avx512vl")))
static void
maxpool_relu_forward_avx512_vec (const PlPoolGeom *g, const float *z, float *y)
{
  const gsize planes = (gsize) g->n * g->c, hw = (gsize) g->h * g->w;
  const gsize ohw = (gsize) g->oh * g->ow;
  const __m512i even = _mm512_set_epi32 (15, 13, 11, 9, 7, 5, 3, 1, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512 zero = _mm512_setzero_ps ();
  for (gsize plane = 0; plane < planes; plane++)
    for (gint oh = 0; oh < g->oh; oh++)
      {
        const float *r0 = z + plane * hw + (gsize) (2 * oh) * g->w, *r1 = r0 + g->w;
        float *yr = y + plane * ohw + (gsize) oh * g->ow;
        for (gint o = 0; o < g->ow; o += 8)
          {
            gint k = MIN (8, g->ow - o);
            __mmask16 m16 = (__mmask16) ((1u << (2 * k)) - 1u);
            __m512 a = _mm512_max_ps (_mm512_maskz_loadu_ps (m16, r0 + 2 * o), zero);
            __m512 b = _mm512_max_ps (_mm512_maskz_loadu_ps (m16, r1 + 2 * o), zero);
            __m512 m = _mm512_permutexvar_ps (even, _mm512_max_ps (a, b));
            __m256 lo = _mm512_castps512_ps256 (m);
            __m256 hi = _mm256_castpd_ps (_mm512_extractf64x4_pd (_mm512_castps_pd (m), 1));
            _mm256_mask_storeu_ps (yr + o, (__mmask8) ((1u << k) - 1u), _mm256_max_ps (lo, hi));
          }
      }
}
#endif

void
pl_maxpool_relu_forward (const PlPoolGeom *g, const float *z, float *y)
{
  g_return_if_fail (pl_maxpool_backward_set_ok (g));
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
  if (pl_simd_level () == 2)
    {
      maxpool_relu_forward_avx512_vec (g, z, y);
      return;
    }
#endif
  maxpool_relu_forward (g, z, y);
}
