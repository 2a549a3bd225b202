/* pl-conv.c — 2-D convolution (ONNX Conv, group 1) via im2col + cblas_sgemm. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic")
#endif
#include <string.h>
#include <cblas.h>
#include "pl-ops.h"

/* Columns of the im2col matrix are limited to this many floats per chunk of samples
 * (1 MiB: the im2col chunk stays in L2 between im2col and sgemm). */
#define PL_CONV_CHUNK_FLOATS ((gsize) 1 << 18)

/* Direct convolution when a filter has at most this many taps (C * KH * KW): an sgemm
 * with such a small inner dimension is dominated by packing and the im2col copy (the
 * first layer of an image model: C = 1 or 3). */
#define PL_CONV_DIRECT_MAX_K 32

static PlConvAlgo conv_algo = PL_CONV_AUTO;

void
pl_conv_set_algo (PlConvAlgo algo)
{
  conv_algo = algo;
}

static gboolean
use_direct (const PlConvGeom *g)
{
  if (conv_algo != PL_CONV_AUTO)
    return conv_algo == PL_CONV_DIRECT;
  return (gint64) g->c * g->kh * g->kw <= PL_CONV_DIRECT_MAX_K;
}

gboolean
pl_conv_geom_finish (PlConvGeom *g)
{
  gint64 eh = (gint64) g->dil_h * (g->kh - 1) + 1;
  gint64 ew = (gint64) g->dil_w * (g->kw - 1) + 1;
  gint64 sh = (gint64) g->h + g->pad_t + g->pad_b - eh;
  gint64 sw = (gint64) g->w + g->pad_l + g->pad_r - ew;
  if (g->stride_h < 1 || g->stride_w < 1 || g->dil_h < 1 || g->dil_w < 1 || sh < 0 || sw < 0)
    return FALSE;
  g->oh = (gint) (sh / g->stride_h + 1);
  g->ow = (gint) (sw / g->stride_w + 1);
  return TRUE;
}

/* Samples per im2col chunk for a part of the batch. */
static gint
chunk_samples (const PlConvGeom *g)
{
  gsize per = (gsize) g->c * g->kh * g->kw * g->oh * g->ow;
  gsize per_out = (gsize) g->m * g->oh * g->ow;
  gint parts = pl_parallel_parts ();
  gsize part_n = ((gsize) MAX (g->n, 1) + parts - 1) / parts;
  per = MAX (per, per_out);
  gsize nb = PL_CONV_CHUNK_FLOATS / MAX (per, 1);
  /* Large planes: one sample per chunk, whose sgemm writes straight into y. */
  if (nb <= 1 || (gsize) g->oh * g->ow >= 64)
    nb = 1;
  return (gint) CLAMP (nb, 1, part_n);
}

/* Added: one-sample chunks with stride_w 1 copy from a zero-padded copy of the sample
 * (xp [C, Hp, Wp]) in blocks of PAD_BLOCK floats, which may run up to PAD_BLOCK - 1
 * floats past a row (im2col: the next row overwrites them; col2im: adds exact zeros
 * to the padded buffer there). Without per-row bounds and memcpy calls, im2col and col2im
 * of the default model's conv2 take a fraction of the time. col2im reads dcol only inside
 * rows. */
#define PAD_BLOCK 16

static inline gboolean
padded_ok (const PlConvGeom *g)
{
  /* col [K, OH*OW] must hold a block: the last row's copy runs into the next area */
  return g->stride_w == 1 && g->oh >= 1 && g->ow >= 1
         && (gint64) g->c * g->kh * g->kw * g->oh * g->ow >= PAD_BLOCK
         && (gint64) g->c * (g->h + g->pad_t + g->pad_b) * (g->w + g->pad_l + g->pad_r)
            <= (1 << 22);
}

static gsize
padded_floats (const PlConvGeom *g)
{
  return (gsize) g->c * (g->h + g->pad_t + g->pad_b) * (g->w + g->pad_l + g->pad_r)
         + 2 * PAD_BLOCK;
}

/* Per part: col [K, P], dcol [K, P], tmp [M, P], then a partial dW [M, K], then the padded
 * sample (padded_floats) and slack for the block copies. */
static gsize
part_workspace (const PlConvGeom *g)
{
  gsize p = (gsize) chunk_samples (g) * g->oh * g->ow;
  gsize k = (gsize) g->c * g->kh * g->kw;
  return 2 * k * p + (gsize) g->m * p + (gsize) g->m * k + padded_floats (g) + 2 * PAD_BLOCK;
}

/* The padded-sample area of a part's workspace. */
static inline float *
padded_area (const PlConvGeom *g, float *col)
{
  gsize p = (gsize) chunk_samples (g) * g->oh * g->ow;
  gsize k = (gsize) g->c * g->kh * g->kw;
  return col + 2 * k * p + (gsize) g->m * p + (gsize) g->m * k + PAD_BLOCK;
}

gsize
pl_conv2d_workspace (const PlConvGeom *g)
{
  return part_workspace (g) * pl_parallel_parts ();
}

/* Valid output columns [lo, hi) for a kernel offset: 0 <= o*s - pad + koff < size. */
static inline void
valid_range (gint size, gint out, gint stride, gint pad, gint koff, gint *lo, gint *hi)
{
  gint a = pad - koff;          /* need o*s >= a */
  gint l = a <= 0 ? 0 : (a + stride - 1) / stride;
  gint b = size - 1 + pad - koff;  /* need o*s <= b */
  gint h = b < 0 ? 0 : b / stride + 1;
  *lo = MIN (l, out);
  *hi = CLAMP (h, *lo, out);
}

/* col[(c*KH + i)*KW + j][s*OHOW + oh*OW + ow] for samples n0 .. n0+nb-1 */
static inline PL_ALWAYS_INLINE void
im2col_body (const PlConvGeom *g, const float *x, gint n0, gint nb, float *col)
{
  const gsize ohw = (gsize) g->oh * g->ow;
  const gsize ld = nb * ohw;
  for (gint c = 0; c < g->c; c++)
    for (gint i = 0; i < g->kh; i++)
      for (gint j = 0; j < g->kw; j++)
        {
          float *row = col + ((gsize) (c * g->kh + i) * g->kw + j) * ld;
          gint ow_lo, ow_hi;
          valid_range (g->w, g->ow, g->stride_w, g->pad_l, j * g->dil_w, &ow_lo, &ow_hi);
          for (gint s = 0; s < nb; s++)
            {
              const float *plane = x + ((gsize) (n0 + s) * g->c + c) * g->h * g->w;
              for (gint oh = 0; oh < g->oh; oh++)
                {
                  float *dst = row + s * ohw + (gsize) oh * g->ow;
                  gint ih = oh * g->stride_h - g->pad_t + i * g->dil_h;
                  if (ih < 0 || ih >= g->h)
                    {
                      memset (dst, 0, sizeof (float) * g->ow);
                      continue;
                    }
                  const float *src = plane + (gsize) ih * g->w - g->pad_l + j * g->dil_w;
                  for (gint ow = 0; ow < ow_lo; ow++)
                    dst[ow] = 0.f;
                  if (g->stride_w == 1)
                    memcpy (dst + ow_lo, src + ow_lo, sizeof (float) * (ow_hi - ow_lo));
                  else
                    for (gint ow = ow_lo; ow < ow_hi; ow++)
                      dst[ow] = src[ow * g->stride_w];
                  for (gint ow = ow_hi; ow < g->ow; ow++)
                    dst[ow] = 0.f;
                }
            }
        }
}
PL_SIMD_VOID (im2col, (const PlConvGeom *g, const float *x, gint n0, gint nb, float *col), (g, x, n0, nb, col))

/* dx += col2im(dcol) */
static inline PL_ALWAYS_INLINE void
col2im_body (const PlConvGeom *g, const float *dcol, gint n0, gint nb, float *dx)
{
  const gsize ohw = (gsize) g->oh * g->ow;
  const gsize ld = nb * ohw;
  for (gint c = 0; c < g->c; c++)
    for (gint i = 0; i < g->kh; i++)
      for (gint j = 0; j < g->kw; j++)
        {
          const float *row = dcol + ((gsize) (c * g->kh + i) * g->kw + j) * ld;
          gint ow_lo, ow_hi;
          valid_range (g->w, g->ow, g->stride_w, g->pad_l, j * g->dil_w, &ow_lo, &ow_hi);
          for (gint s = 0; s < nb; s++)
            {
              float *plane = dx + ((gsize) (n0 + s) * g->c + c) * g->h * g->w;
              for (gint oh = 0; oh < g->oh; oh++)
                {
                  gint ih = oh * g->stride_h - g->pad_t + i * g->dil_h;
                  if (ih < 0 || ih >= g->h)
                    continue;
                  const float *src = row + s * ohw + (gsize) oh * g->ow;
                  float *dst = plane + (gsize) ih * g->w - g->pad_l + j * g->dil_w;
                  for (gint ow = ow_lo; ow < ow_hi; ow++)
                    dst[ow * g->stride_w] += src[ow];
                }
            }
        }
}
PL_SIMD_VOID (col2im, (const PlConvGeom *g, const float *dcol, gint n0, gint nb, float *dx), (g, dcol, n0, nb, dx))

static void pad_planes (const PlConvGeom *g, const float *x, gint planes, float *xp);

/* col[(c*KH + i)*KW + j][oh*OW + ow] = xp[c][oh*stride_h + i*dil_h][ow + j*dil_w] for one
 * sample from its padded planes xp [C, Hp, Wp] (stride_w 1). */
static inline PL_ALWAYS_INLINE void
im2col_padded_body (const PlConvGeom *g, const float *xp, float *col)
{
  const gint wp = g->w + g->pad_l + g->pad_r, hp = g->h + g->pad_t + g->pad_b;
  const gsize ohw = (gsize) g->oh * g->ow;
  for (gint c = 0; c < g->c; c++)
    for (gint i = 0; i < g->kh; i++)
      for (gint j = 0; j < g->kw; j++)
        {
          float *row = col + ((gsize) (c * g->kh + i) * g->kw + j) * ohw;
          const float *plane = xp + (gsize) c * hp * wp + (gsize) i * g->dil_h * wp
                               + (gsize) j * g->dil_w;
          for (gint oh = 0; oh < g->oh; oh++)
            {
              float *dst = row + (gsize) oh * g->ow;
              const float *src = plane + (gsize) oh * g->stride_h * wp;
              for (gint o = 0; o < g->ow; o += PAD_BLOCK)
                __builtin_memcpy (dst + o, src + o, sizeof (float) * PAD_BLOCK);
            }
        }
}
PL_SIMD_VOID (im2col_padded, (const PlConvGeom *g, const float *xp, float *col), (g, xp, col))

/* dxp[c][oh*stride_h + i*dil_h][ow + j*dil_w] += dcol[...][oh*OW + ow] on the padded grid. */
static inline PL_ALWAYS_INLINE void
col2im_padded_body (const PlConvGeom *g, const float *dcol, float *dxp)
{
  const gint wp = g->w + g->pad_l + g->pad_r, hp = g->h + g->pad_t + g->pad_b;
  const gsize ohw = (gsize) g->oh * g->ow;
  for (gint c = 0; c < g->c; c++)
    for (gint i = 0; i < g->kh; i++)
      for (gint j = 0; j < g->kw; j++)
        {
          const float *row = dcol + ((gsize) (c * g->kh + i) * g->kw + j) * ohw;
          float *plane = dxp + (gsize) c * hp * wp + (gsize) i * g->dil_h * wp
                         + (gsize) j * g->dil_w;
          for (gint oh = 0; oh < g->oh; oh++)
            {
              const float *restrict src = row + (gsize) oh * g->ow;
              float *restrict dst = plane + (gsize) oh * g->stride_h * wp;
              for (gint o = 0; o < g->ow; o += PAD_BLOCK)
                {
                  gint left = g->ow - o;
                  for (gint t = 0; t < PAD_BLOCK; t++)
                    dst[o + t] += t < left ? src[o + t] : 0.f;
                }
            }
        }
}
PL_SIMD_VOID (col2im_padded, (const PlConvGeom *g, const float *dcol, float *dxp), (g, dcol, dxp))

/* 1x1, stride 1, no padding: the input planes are already the im2col matrix. */
static inline gboolean
is_pointwise (const PlConvGeom *g)
{
  return g->kh == 1 && g->kw == 1 && g->stride_h == 1 && g->stride_w == 1 && g->pad_t == 0
         && g->pad_l == 0 && g->oh == g->h && g->ow == g->w;
}

typedef struct {
  const PlConvGeom *g;
  const float *x, *w, *b, *dy;
  float *y, *dx, *dw, *ws;
} ConvJob;

/* ---- Direct kernels (few taps) ------------------------------------------------------
 * Work items are (sample, output channel) for forward and (sample, input channel) for
 * the input gradient, split between parts; each output plane is summed tap by tap in
 * (c, i, j) order, starting from the bias. */

static inline PL_ALWAYS_INLINE void
direct_forward_item_body (const PlConvGeom *g, const float *x, const float *w, const float *b,
                     float *y, gint s, gint m)
{
  const gsize ohw = (gsize) g->oh * g->ow;
  float *restrict yp = y + ((gsize) s * g->m + m) * ohw;
  float bias = b != NULL ? b[m] : 0.f;
  for (gsize p = 0; p < ohw; p++)
    yp[p] = bias;
  for (gint c = 0; c < g->c; c++)
    {
      const float *xp = x + ((gsize) s * g->c + c) * g->h * g->w;
      for (gint i = 0; i < g->kh; i++)
        for (gint jj = 0; jj < g->kw; jj++)
          {
            const float wv = w[(((gsize) m * g->c + c) * g->kh + i) * g->kw + jj];
            gint lo, hi;
            valid_range (g->w, g->ow, g->stride_w, g->pad_l, jj * g->dil_w, &lo, &hi);
            if (lo >= hi)
              continue;
            for (gint oh = 0; oh < g->oh; oh++)
              {
                gint ih = oh * g->stride_h - g->pad_t + i * g->dil_h;
                if (ih < 0 || ih >= g->h)
                  continue;
                const float *restrict src = xp + (gsize) ih * g->w - g->pad_l + jj * g->dil_w;
                float *restrict dst = yp + (gsize) oh * g->ow;
                if (g->stride_w == 1)
                  for (gint ow = lo; ow < hi; ow++)
                    dst[ow] += wv * src[ow];
                else
                  for (gint ow = lo; ow < hi; ow++)
                    dst[ow] += wv * src[ow * g->stride_w];
              }
          }
    }
}
PL_SIMD_VOID (direct_forward_item, (const PlConvGeom *g, const float *x, const float *w, const float *b, float *y, gint s, gint m), (g, x, w, b, y, s, m))

/* Stride 1: the "wide" form. The sample's planes are copied once into a zero-padded
 * buffer [C, Hp, Wp]; an output plane is then computed on the wide grid q = oh * Wp + ow
 * (ow < Wp; the columns ow >= OW are scratch), where every tap is one long contiguous
 * multiply-add: yw[q] += w * xp[q + i dil_h Wp + j dil_w]. */
static inline gboolean
wide_ok (const PlConvGeom *g)
{
  gint64 hp = (gint64) g->h + g->pad_t + g->pad_b, wp = (gint64) g->w + g->pad_l + g->pad_r;
  /* An empty kernel (kh or kw 0, which the executor accepts: the output is the bias) makes
   * the output wider than the padded input; the wide grid would read past the planes. */
  return g->stride_h == 1 && g->stride_w == 1 && g->kh >= 1 && g->kw >= 1 && g->oh <= hp
         && g->ow <= wp && hp * wp * MAX (g->c, g->m) <= (1 << 22);
}

static void
pad_planes (const PlConvGeom *g, const float *x, gint planes, float *xp)
{
  const gint wp = g->w + g->pad_l + g->pad_r, hp = g->h + g->pad_t + g->pad_b;
  memset (xp, 0, sizeof (float) * (gsize) planes * hp * wp);
  for (gint c = 0; c < planes; c++)
    for (gint r = 0; r < g->h; r++)
      memcpy (xp + ((gsize) c * hp + r + g->pad_t) * wp + g->pad_l,
              x + ((gsize) c * g->h + r) * g->w, sizeof (float) * g->w);
}

static inline PL_ALWAYS_INLINE void
wide_forward_body (const PlConvGeom *g, const float *xp, const float *w, float bias,
                   gint m, float *yw, float *y)
{
  const gint wp = g->w + g->pad_l + g->pad_r, hp = g->h + g->pad_t + g->pad_b;
  const gsize L = (gsize) (g->oh - 1) * wp + g->ow;
  for (gsize q = 0; q < L; q++)
    yw[q] = bias;
  for (gint c = 0; c < g->c; c++)
    for (gint i = 0; i < g->kh; i++)
      for (gint jj = 0; jj < g->kw; jj++)
        {
          const float wv = w[(((gsize) m * g->c + c) * g->kh + i) * g->kw + jj];
          const float *restrict src = xp + (gsize) c * hp * wp + (gsize) i * g->dil_h * wp
                                      + (gsize) jj * g->dil_w;
          float *restrict dst = yw;
          for (gsize q = 0; q < L; q++)
            dst[q] += wv * src[q];
        }
  for (gint oh = 0; oh < g->oh; oh++)
    memcpy (y + (gsize) oh * g->ow, yw + (gsize) oh * wp, sizeof (float) * g->ow);
}
PL_SIMD_VOID (wide_forward, (const PlConvGeom *g, const float *xp, const float *w, float bias, gint m, float *yw, float *y), (g, xp, w, bias, m, yw, y))

static void
direct_forward_part (gint part, gint n_parts, gpointer data)
{
  const ConvJob *j = data;
  const PlConvGeom *g = j->g;
  gint64 a, b;
  pl_part_range ((gint64) g->n * g->m, part, n_parts, &a, &b);
  if (a >= b)
    return;
  if (!wide_ok (g))
    {
      for (gint64 it = a; it < b; it++)
        direct_forward_item (g, j->x, j->w, j->b, j->y, (gint) (it / g->m), (gint) (it % g->m));
      return;
    }
  const gsize wp = (gsize) g->w + g->pad_l + g->pad_r, hp = (gsize) g->h + g->pad_t + g->pad_b;
  g_autofree float *xp = g_new (float, (gsize) g->c * hp * wp + hp * wp);
  float *yw = xp + (gsize) g->c * hp * wp;
  const gsize ohw = (gsize) g->oh * g->ow;
  gint cur = -1;
  for (gint64 it = a; it < b; it++)
    {
      gint s = (gint) (it / g->m), m = (gint) (it % g->m);
      if (s != cur)
        {
          pad_planes (g, j->x + (gsize) s * g->c * g->h * g->w, g->c, xp);
          cur = s;
        }
      wide_forward (g, xp, j->w, j->b != NULL ? j->b[m] : 0.f, m, yw,
                    j->y + ((gsize) s * g->m + m) * ohw);
    }
}

/* dx[s, c] += sum over m, taps of w[m, c, i, j] * dy[s, m] shifted back. */
static inline PL_ALWAYS_INLINE void
direct_backward_item_body (const PlConvGeom *g, const float *w, const float *dy, float *dx,
                      gint s, gint c)
{
  const gsize ohw = (gsize) g->oh * g->ow;
  float *dxp = dx + ((gsize) s * g->c + c) * g->h * g->w;
  for (gint m = 0; m < g->m; m++)
    {
      const float *dyp = dy + ((gsize) s * g->m + m) * ohw;
      for (gint i = 0; i < g->kh; i++)
        for (gint jj = 0; jj < g->kw; jj++)
          {
            const float wv = w[(((gsize) m * g->c + c) * g->kh + i) * g->kw + jj];
            gint lo, hi;
            valid_range (g->w, g->ow, g->stride_w, g->pad_l, jj * g->dil_w, &lo, &hi);
            if (lo >= hi)
              continue;
            for (gint oh = 0; oh < g->oh; oh++)
              {
                gint ih = oh * g->stride_h - g->pad_t + i * g->dil_h;
                if (ih < 0 || ih >= g->h)
                  continue;
                float *restrict dst = dxp + (gsize) ih * g->w - g->pad_l + jj * g->dil_w;
                const float *restrict src = dyp + (gsize) oh * g->ow;
                if (g->stride_w == 1)
                  for (gint ow = lo; ow < hi; ow++)
                    dst[ow] += wv * src[ow];
                else
                  for (gint ow = lo; ow < hi; ow++)
                    dst[ow * g->stride_w] += wv * src[ow];
              }
          }
    }
}
PL_SIMD_VOID (direct_backward_item, (const PlConvGeom *g, const float *w, const float *dy, float *dx, gint s, gint c), (g, w, dy, dx, s, c))

/* Input gradient in the wide form: dyw [M, L] holds dy with zero scratch columns;
 * dxp[q + tap offset] += w * dyw[q] on the padded grid, whose interior is added to dx. */
static inline PL_ALWAYS_INLINE void
wide_backward_body (const PlConvGeom *g, const float *dyw, const float *w, gint c, float *dxp,
                    float *dx)
{
  const gint wp = g->w + g->pad_l + g->pad_r, hp = g->h + g->pad_t + g->pad_b;
  const gsize L = (gsize) (g->oh - 1) * wp + g->ow;
  memset (dxp, 0, sizeof (float) * (gsize) hp * wp);
  for (gint m = 0; m < g->m; m++)
    for (gint i = 0; i < g->kh; i++)
      for (gint jj = 0; jj < g->kw; jj++)
        {
          const float wv = w[(((gsize) m * g->c + c) * g->kh + i) * g->kw + jj];
          const float *restrict src = dyw + (gsize) m * L;
          float *restrict dst = dxp + (gsize) i * g->dil_h * wp + (gsize) jj * g->dil_w;
          for (gsize q = 0; q < L; q++)
            dst[q] += wv * src[q];
        }
  for (gint r = 0; r < g->h; r++)
    {
      const float *restrict src = dxp + (gsize) (r + g->pad_t) * wp + g->pad_l;
      float *restrict dst = dx + (gsize) r * g->w;
      for (gint col = 0; col < g->w; col++)
        dst[col] += src[col];
    }
}
PL_SIMD_VOID (wide_backward, (const PlConvGeom *g, const float *dyw, const float *w, gint c, float *dxp, float *dx), (g, dyw, w, c, dxp, dx))

static void
direct_backward_part (gint part, gint n_parts, gpointer data)
{
  const ConvJob *j = data;
  const PlConvGeom *g = j->g;
  gint64 a, b;
  pl_part_range ((gint64) g->n * g->c, part, n_parts, &a, &b);
  if (a >= b)
    return;
  if (!wide_ok (g))
    {
      for (gint64 it = a; it < b; it++)
        direct_backward_item (g, j->w, j->dy, j->dx, (gint) (it / g->c), (gint) (it % g->c));
      return;
    }
  const gsize wp = (gsize) g->w + g->pad_l + g->pad_r, hp = (gsize) g->h + g->pad_t + g->pad_b;
  const gsize L = (gsize) (g->oh - 1) * wp + g->ow;
  const gsize ohw = (gsize) g->oh * g->ow;
  g_autofree float *dyw = g_new0 (float, (gsize) g->m * L + hp * wp);
  float *dxp = dyw + (gsize) g->m * L;
  gint cur = -1;
  for (gint64 it = a; it < b; it++)
    {
      gint s = (gint) (it / g->c), c = (gint) (it % g->c);
      if (s != cur)
        {
          /* scratch columns stay zero: they are never written */
          for (gint m = 0; m < g->m; m++)
            for (gint oh = 0; oh < g->oh; oh++)
              memcpy (dyw + (gsize) m * L + (gsize) oh * wp,
                      j->dy + ((gsize) s * g->m + m) * ohw + (gsize) oh * g->ow,
                      sizeof (float) * g->ow);
          cur = s;
        }
      wide_backward (g, dyw, j->w, c, dxp, j->dx + ((gsize) s * g->c + c) * g->h * g->w);
    }
}

static void
conv_forward_part (gint part, gint n_parts, gpointer data)
{
  const ConvJob *j = data;
  const PlConvGeom *g = j->g;
  const gint K = g->c * g->kh * g->kw;
  const gsize ohw = (gsize) g->oh * g->ow;
  const gint chunk = chunk_samples (g);
  float *col = j->ws + part * part_workspace (g);
  gint64 s0, s1;
  pl_part_range (g->n, part, n_parts, &s0, &s1);
  for (gint n0 = (gint) s0; n0 < s1; n0 += chunk)
    {
      gint nb = MIN (chunk, (gint) s1 - n0);
      gsize P = nb * ohw;
      float *tmp = col + (gsize) K * P;
      if (nb == 1)
        {
          /* [M, OH*OW] of one sample is exactly its block of y. */
          float *restrict dst = j->y + (gsize) n0 * g->m * ohw;
          const float *src = j->x + (gsize) n0 * g->c * g->h * g->w;
          if (!is_pointwise (g))
            {
              if (padded_ok (g))
                {
                  float *xp = padded_area (g, col);
                  pad_planes (g, src, g->c, xp);
                  im2col_padded (g, xp, col);
                }
              else
                im2col (g, j->x, n0, 1, col);
              src = col;
            }
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, g->m, (gint) ohw, K, 1.f,
                       j->w, K, src, (gint) ohw, 0.f, dst, (gint) ohw);
          if (j->b != NULL)
            for (gint m = 0; m < g->m; m++)
              {
                float bias = j->b[m];
                float *restrict row = dst + (gsize) m * ohw;
                for (gsize p = 0; p < ohw; p++)
                  row[p] += bias;
              }
          continue;
        }
      im2col (g, j->x, n0, nb, col);
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, g->m, (gint) P, K, 1.f, j->w, K,
                   col, (gint) P, 0.f, tmp, (gint) P);
      for (gint s = 0; s < nb; s++)
        for (gint m = 0; m < g->m; m++)
          {
            float *restrict dst = j->y + ((gsize) (n0 + s) * g->m + m) * ohw;
            const float *restrict src = tmp + (gsize) m * P + s * ohw;
            float bias = j->b != NULL ? j->b[m] : 0.f;
            for (gsize p = 0; p < ohw; p++)
              dst[p] = src[p] + bias;
          }
    }
}

void
pl_conv2d_forward (const PlConvGeom *g, const float *x, const float *w, const float *b,
                   float *y, float *ws)
{
  ConvJob j = { .g = g, .x = x, .w = w, .b = b, .y = y, .ws = ws };
  if (use_direct (g))
    {
      /* small jobs are not worth waking the workers */
      if ((gint64) g->n * g->m * g->oh * g->ow * g->c * g->kh * g->kw < 65536)
        direct_forward_part (0, 1, &j);
      else
        pl_parallel_run (direct_forward_part, &j);
      return;
    }
  pl_parallel_run (conv_forward_part, &j);
}

/* Part 0 accumulates dW in place; the other parts into their own buffers, added in part
 * order afterwards (deterministic for a given number of parts). */
static void
conv_backward_part (gint part, gint n_parts, gpointer data)
{
  const ConvJob *j = data;
  const PlConvGeom *g = j->g;
  const gint K = g->c * g->kh * g->kw;
  const gsize ohw = (gsize) g->oh * g->ow;
  const gint chunk = chunk_samples (g);
  float *col = j->ws + part * part_workspace (g);
  const gsize cap = (gsize) chunk * ohw;
  float *dw = j->dw;
  if (dw != NULL && part > 0)
    {
      dw = col + 2 * (gsize) K * cap + (gsize) g->m * cap;
      memset (dw, 0, sizeof (float) * g->m * K);
    }
  gint64 s0, s1;
  pl_part_range (g->n, part, n_parts, &s0, &s1);
  for (gint n0 = (gint) s0; n0 < s1; n0 += chunk)
    {
      gint nb = MIN (chunk, (gint) s1 - n0);
      gsize P = nb * ohw;
      float *dcol = col + (gsize) K * P;
      float *dyt_buf = dcol + (gsize) K * P;
      const float *dyt = j->dy + (gsize) n0 * g->m * ohw;   /* one sample: already [M, P] */
      if (nb > 1)
        {
          for (gint s = 0; s < nb; s++)
            for (gint m = 0; m < g->m; m++)
              memcpy (dyt_buf + (gsize) m * P + s * ohw,
                      j->dy + ((gsize) (n0 + s) * g->m + m) * ohw, sizeof (float) * ohw);
          dyt = dyt_buf;
        }
      gboolean padded = nb == 1 && padded_ok (g);
      float *xp = padded ? padded_area (g, col) : NULL;
      if (dw != NULL)
        {
          if (padded)
            {
              pad_planes (g, j->x + (gsize) n0 * g->c * g->h * g->w, g->c, xp);
              im2col_padded (g, xp, col);
            }
          else
            im2col (g, j->x, n0, nb, col);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, g->m, K, (gint) P, 1.f,
                       dyt, (gint) P, col, (gint) P, 1.f, dw, K);
        }
      if (j->dx != NULL)
        {
          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, K, (gint) P, g->m, 1.f,
                       j->w, K, dyt, (gint) P, 0.f, dcol, (gint) P);
          if (padded)
            {
              const gint wp = g->w + g->pad_l + g->pad_r, hp = g->h + g->pad_t + g->pad_b;
              memset (xp, 0, sizeof (float) * (gsize) g->c * hp * wp);
              col2im_padded (g, dcol, xp);
              float *dx = j->dx + (gsize) n0 * g->c * g->h * g->w;
              for (gint c = 0; c < g->c; c++)
                for (gint r = 0; r < g->h; r++)
                  {
                    const float *restrict a = xp + ((gsize) c * hp + r + g->pad_t) * wp
                                              + g->pad_l;
                    float *restrict d = dx + ((gsize) c * g->h + r) * g->w;
                    for (gint q = 0; q < g->w; q++)
                      d[q] += a[q];
                  }
            }
          else
            col2im (g, dcol, n0, nb, j->dx);
        }
    }
}

void
pl_conv2d_backward (const PlConvGeom *g, const float *x, const float *w, const float *dy,
                    float *dx, float *dw, float *db, float *ws)
{
  const gsize ohw = (gsize) g->oh * g->ow;
  if (db != NULL)
    for (gint n = 0; n < g->n; n++)
      for (gint m = 0; m < g->m; m++)
        {
          const float *src = dy + ((gsize) n * g->m + m) * ohw;
          float s = 0.f;
          for (gsize p = 0; p < ohw; p++)
            s += src[p];
          db[m] += s;
        }
  if (dx == NULL && dw == NULL)
    return;
  if (dw == NULL && use_direct (g))
    {
      ConvJob j = { .g = g, .w = w, .dy = dy, .dx = dx };
      if ((gint64) g->n * g->m * g->oh * g->ow * g->c * g->kh * g->kw < 65536)
        direct_backward_part (0, 1, &j);
      else
        pl_parallel_run (direct_backward_part, &j);
      return;
    }
  ConvJob j = { .g = g, .x = x, .w = w, .dy = dy, .dx = dx, .dw = dw, .ws = ws };
  pl_parallel_run (conv_backward_part, &j);
  if (dw != NULL)
    {
      const gint K = g->c * g->kh * g->kw;
      const gsize cap = (gsize) chunk_samples (g) * ohw;
      for (gint p = 1; p < pl_parallel_parts (); p++)
        {
          const float *part = ws + p * part_workspace (g) + 2 * (gsize) K * cap
                              + (gsize) g->m * cap;
          for (gsize i = 0; i < (gsize) g->m * K; i++)
            dw[i] += part[i];
        }
    }
}
