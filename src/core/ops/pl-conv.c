/* pl-conv.c — 2-D convolution (ONNX Conv, group 1) via im2col + cblas_sgemm. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic")
#endif
#include <string.h>
#include <cblas.h>
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <immintrin.h>
#endif
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
    return conv_algo == PL_CONV_DIRECT || conv_algo == PL_CONV_BLOCKED;
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
/* Floats of the padded planes (with the slack read by the last, partial vector). */
static inline gsize
blocked_xp_floats (const PlConvGeom *g)
{
  return (gsize) g->c * (g->h + g->pad_t + g->pad_b) * (g->w + g->pad_l + g->pad_r) + 64;
}

static inline gsize
blocked_ld (const PlConvGeom *g)
{
  gsize wp = (gsize) g->w + g->pad_l + g->pad_r;
  gsize L = (gsize) (g->oh - 1) * wp + g->ow;
  return (L + 15) & ~(gsize) 15;
}

static gsize
blocked_workspace (const PlConvGeom *g)
{
  return blocked_xp_floats (g) + (gsize) g->m * blocked_ld (g) + 16;
}

static gsize
part_workspace (const PlConvGeom *g)
{
  gsize p = (gsize) chunk_samples (g) * g->oh * g->ow;
  gsize k = (gsize) g->c * g->kh * g->kw;
  gsize im2col = 2 * k * p + (gsize) g->m * p + (gsize) g->m * k + padded_floats (g)
                 + 2 * PAD_BLOCK;
  return MAX (im2col, blocked_workspace (g));
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

/* ---- Register-blocked direct convolution (stride 1, added) ------------------------------
 * The "wide" form above, computed in register tiles: R vectors of VL consecutive outputs on
 * the wide grid q = oh * Wp + ow (the columns ow >= OW are scratch) times MB output
 * channels. Per tap (c, i, j) in that order the R input vectors are loaded once and each
 * feeds MB multiply-adds with broadcast weights, so the loop runs at the multiply-add
 * units' rate instead of loading and storing the output for every tap as wide_forward
 * does. Each output starts from its bias and adds the taps in (c, i, j) order: every
 * epilogue (plain, Relu, Relu + 2×2 MaxPool) sees the same convolution values. One sample
 * at a time: the sample's zero-padded planes xp [C, Hp, Wp] (+ slack that the last vector
 * reads) and the wide output [M, Lr] (Lr = L rounded up to VL, L = (OH - 1) Wp + OW) live
 * in the part's workspace. */

#define BLOCKED_TILE(VT, VL, R, MB)                                                           \
  do {                                                                                       \
    VT acc[R][MB];                                                                           \
    _Pragma ("GCC unroll 8") for (gint mm = 0; mm < MB; mm++)                                 \
      {                                                                                      \
        VT bv = (VT) {} + (b != NULL ? b[m0 + mm] : 0.f);                                    \
        _Pragma ("GCC unroll 4") for (gint r = 0; r < R; r++)                                 \
          acc[r][mm] = bv;                                                                   \
      }                                                                                      \
    const float *wt = w + (gsize) m0 * T;                                                    \
    gsize t = 0;                                                                             \
    for (gint c = 0; c < g->c; c++)                                                          \
      for (gint i = 0; i < g->kh; i++)                                                       \
        {                                                                                    \
          const float *row = xp + (gsize) c * plane + (gsize) i * g->dil_h * wp + q0;       \
          for (gint jj = 0; jj < g->kw; jj++, t++)                                           \
            {                                                                                \
              const float *src = row + (gsize) jj * g->dil_w;                                \
              VT xv[R];                                                                      \
              _Pragma ("GCC unroll 4") for (gint r = 0; r < R; r++)                           \
                __builtin_memcpy (&xv[r], src + r * VL, sizeof (VT));                        \
              _Pragma ("GCC unroll 8") for (gint mm = 0; mm < MB; mm++)                       \
                {                                                                            \
                  const float wv = wt[(gsize) mm * T + t];                                   \
                  _Pragma ("GCC unroll 4") for (gint r = 0; r < R; r++)                       \
                    acc[r][mm] += xv[r] * wv;                                                \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    _Pragma ("GCC unroll 8") for (gint mm = 0; mm < MB; mm++)                                 \
      _Pragma ("GCC unroll 4") for (gint r = 0; r < R; r++)                                   \
        __builtin_memcpy (out + (gsize) (m0 + mm) * ld + q0 + r * VL, &acc[r][mm],           \
                          sizeof (VT));                                                      \
  } while (0)

/* One sample: wide[m][q] for channels m0 .. m1 - 1 from the padded planes xp. */
#define DEFINE_BLOCKED_SAMPLE(NAME, ATTR, VT, VL, RMAX, MBMAX)                                \
  ATTR static void                                                                           \
  NAME (const PlConvGeom *g, const float *xp, const float *w, const float *b, gint m0_,      \
        gint m1, float *out)                                                                 \
  {                                                                                          \
    const gsize wp = (gsize) g->w + g->pad_l + g->pad_r;                                      \
    const gsize plane = ((gsize) g->h + g->pad_t + g->pad_b) * wp;                            \
    const gsize T = (gsize) g->c * g->kh * g->kw;                                            \
    const gsize ld = blocked_ld (g);                                                         \
    const gsize nv = ld / VL;                                                                \
    for (gint m0 = m0_; m0 < m1;)                                                            \
      {                                                                                      \
        gint left = m1 - m0;                                                                 \
        gint mb = left >= MBMAX ? MBMAX : left >= MBMAX / 2 ? MBMAX / 2 : 1;                 \
        for (gsize v = 0; v < nv;)                                                           \
          {                                                                                  \
            gsize q0 = v * VL;                                                               \
            gsize rv = MIN ((gsize) RMAX, nv - v);                                           \
            if (mb == MBMAX)                                                                 \
              {                                                                              \
                if (rv == RMAX) BLOCKED_TILE (VT, VL, RMAX, MBMAX);                          \
                else if (rv >= 2) { rv = 2; BLOCKED_TILE (VT, VL, 2, MBMAX); }               \
                else { rv = 1; BLOCKED_TILE (VT, VL, 1, MBMAX); }                            \
              }                                                                              \
            else if (mb == MBMAX / 2)                                                        \
              {                                                                              \
                if (rv == RMAX) BLOCKED_TILE (VT, VL, RMAX, MBMAX / 2);                      \
                else if (rv >= 2) { rv = 2; BLOCKED_TILE (VT, VL, 2, MBMAX / 2); }           \
                else { rv = 1; BLOCKED_TILE (VT, VL, 1, MBMAX / 2); }                        \
              }                                                                              \
            else                                                                             \
              {                                                                              \
                if (rv == RMAX) BLOCKED_TILE (VT, VL, RMAX, 1);                              \
                else if (rv >= 2) { rv = 2; BLOCKED_TILE (VT, VL, 2, 1); }                   \
                else { rv = 1; BLOCKED_TILE (VT, VL, 1, 1); }                                \
              }                                                                              \
            v += rv;                                                                         \
          }                                                                                  \
        m0 += mb;                                                                            \
      }                                                                                      \
  }

typedef float pl_v4sf __attribute__ ((vector_size (16)));
DEFINE_BLOCKED_SAMPLE (blocked_sample_base, , pl_v4sf, 4, 3, 4)
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
typedef float pl_v8sf __attribute__ ((vector_size (32)));
typedef float pl_v16sf __attribute__ ((vector_size (64)));
DEFINE_BLOCKED_SAMPLE (blocked_sample_avx2, __attribute__ ((target ("avx2,fma"))), pl_v8sf, 8, 3, 4)
DEFINE_BLOCKED_SAMPLE (blocked_sample_avx512,
                       __attribute__ ((target ("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,prefer-vector-width=512"))),
                       pl_v16sf, 16, 3, 8)
#endif

static void
blocked_sample (const PlConvGeom *g, const float *xp, const float *w, const float *b, gint m0,
                gint m1, float *out)
{
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
  switch (pl_simd_level ())
    {
    case 2: blocked_sample_avx512 (g, xp, w, b, m0, m1, out); return;
    case 1: blocked_sample_avx2 (g, xp, w, b, m0, m1, out); return;
    default: break;
    }
#endif
  blocked_sample_base (g, xp, w, b, m0, m1, out);
}

/* Whether the blocked kernel can run g: stride 1, a non-empty kernel, planes small enough
 * for the wide form. */
static gboolean
blocked_possible (const PlConvGeom *g)
{
  return wide_ok (g) && g->oh >= 1 && g->ow >= 1 && g->m >= 1 && g->c >= 1;
}

/* AUTO's choice: the blocked kernel unless the wide grid wastes more than 30 % of the
 * computed outputs (small planes with wide padding), where im2col + sgemm is faster, or
 * the padded sample exceeds 1 MiB (every block of 8 output channels sweeps it again: it
 * must stay in the core's cache). */
static gboolean
use_blocked (const PlConvGeom *g)
{
  if (conv_algo != PL_CONV_AUTO && conv_algo != PL_CONV_BLOCKED)
    return FALSE;
  if (!blocked_possible (g))
    return FALSE;
  if (conv_algo == PL_CONV_BLOCKED)
    return TRUE;
  return (gsize) g->oh * g->ow * 10 >= blocked_ld (g) * 7
         && blocked_xp_floats (g) <= ((gsize) 1 << 18);
}

typedef struct {
  const PlConvGeom *g;
  const float *x, *w, *b;
  float *y, *ws;
  PlConvEpilogue epi;
  gint split;   /* channel groups per sample (batches smaller than the part count) */
} BlockedJob;

/* Writes the finished wide planes of channels m0 .. m1 - 1 of sample s to y. */
static inline PL_ALWAYS_INLINE void
blocked_epilogue_generic_body (const PlConvGeom *g, PlConvEpilogue epi, const float *wide, gint s,
                       gint m0, gint m1, float *y)
{
  const gsize wp = (gsize) g->w + g->pad_l + g->pad_r;
  const gsize ld = blocked_ld (g);
  if (epi == PL_CONV_EPI_RELU_MAXPOOL)
    {
      const gint ph = g->oh / 2, pw = g->ow / 2;
      for (gint m = m0; m < m1; m++)
        {
          float *restrict dst = y + ((gsize) s * g->m + m) * ph * pw;
          for (gint r = 0; r < ph; r++)
            {
              const float *restrict r0 = wide + (gsize) m * ld + (gsize) (2 * r) * wp;
              const float *restrict r1 = r0 + wp;
              float *restrict d = dst + (gsize) r * pw;
              /* the Relu per cell (x > 0 ? x : 0, as pl_relu_forward), then the maximum */
              for (gint o = 0; o < pw; o++)
                {
                  float a = r0[2 * o], bb = r0[2 * o + 1], c = r1[2 * o], e = r1[2 * o + 1];
                  a = a > 0.f ? a : 0.f;
                  bb = bb > 0.f ? bb : 0.f;
                  c = c > 0.f ? c : 0.f;
                  e = e > 0.f ? e : 0.f;
                  float best = bb > a ? bb : a;
                  best = c > best ? c : best;
                  best = e > best ? e : best;
                  d[o] = best;
                }
            }
        }
      return;
    }
  const gsize ohw = (gsize) g->oh * g->ow;
  for (gint m = m0; m < m1; m++)
    for (gint oh = 0; oh < g->oh; oh++)
      {
        const float *restrict src = wide + (gsize) m * ld + (gsize) oh * wp;
        float *restrict dst = y + ((gsize) s * g->m + m) * ohw + (gsize) oh * g->ow;
        if (epi == PL_CONV_EPI_RELU)
          for (gint o = 0; o < g->ow; o++)
            dst[o] = src[o] > 0.f ? src[o] : 0.f;
        else
          memcpy (dst, src, sizeof (float) * g->ow);
      }
}
PL_SIMD_VOID (blocked_epilogue_generic, (const PlConvGeom *g, PlConvEpilogue epi, const float *wide, gint s, gint m0, gint m1, float *y), (g, epi, wide, s, m0, m1, y))

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
/* Relu + 2×2 MaxPool epilogue, 16 windows per step: the two rows as 2 × 16 lanes each,
 * Relu as the maximum with +0 (NaN and -0 give +0, as x > 0 ? x : 0), the row maximum,
 * then the maximum of the even and odd lanes. The maximum of four non-NaN values does not
 * depend on the order: the same values as the scalar form. */
__attribute__ ((target ("avx512f,avx512bw,avx512dq,avx512vl")))
static void
blocked_pool_avx512 (const PlConvGeom *g, const float *wide, gint s, gint m0, gint m1, float *y)
{
  const gsize wp = (gsize) g->w + g->pad_l + g->pad_r;
  const gsize ld = blocked_ld (g);
  const gint ph = g->oh / 2, pw = g->ow / 2;
  const __m512i even = _mm512_set_epi32 (30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_set_epi32 (31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
  const __m512 zero = _mm512_setzero_ps ();
  const float *end = y + ((gsize) s * g->m + m1) * ph * pw;
  for (gint m = m0; m < m1; m++)
    {
      float *dst = y + ((gsize) s * g->m + m) * ph * pw;
      for (gint r = 0; r < ph; r++)
        {
          const float *r0 = wide + (gsize) m * ld + (gsize) (2 * r) * wp, *r1 = r0 + wp;
          float *d = dst + (gsize) r * pw;
          for (gint o = 0; o < pw; o += 16)
            {
              gint k = MIN (16, pw - o);   /* windows in this step */
              gint lo = MIN (16, 2 * k), hi = 2 * k - lo;
              __mmask16 mlo = (__mmask16) ((1u << lo) - 1u), mhi = (__mmask16) ((1u << hi) - 1u);
              __m512 a0 = _mm512_maskz_loadu_ps (mlo, r0 + 2 * o);
              __m512 a1 = _mm512_maskz_loadu_ps (mhi, r0 + 2 * o + 16);
              __m512 b0 = _mm512_maskz_loadu_ps (mlo, r1 + 2 * o);
              __m512 b1 = _mm512_maskz_loadu_ps (mhi, r1 + 2 * o + 16);
              __m512 v0 = _mm512_max_ps (_mm512_max_ps (a0, zero), _mm512_max_ps (b0, zero));
              __m512 v1 = _mm512_max_ps (_mm512_max_ps (a1, zero), _mm512_max_ps (b1, zero));
              __m512 e = _mm512_permutex2var_ps (v0, even, v1);
              __m512 od = _mm512_permutex2var_ps (v0, odd, v1);
              __m512 v = _mm512_max_ps (e, od);
              /* a full store runs into the next row (written after this one) while that is
               * inside this call's channels; masked stores are slow across cache lines */
              if (d + o + 16 <= end)
                _mm512_storeu_ps (d + o, v);
              else
                _mm512_mask_storeu_ps (d + o, (__mmask16) ((1u << k) - 1u), v);
            }
        }
    }
}
#endif

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
/* Plain and Relu epilogues: the OW valid columns of each wide row, 16 lanes at a time
 * (Relu: x > 0 ? x : 0 as a masked move, exactly pl_relu_forward's values). */
__attribute__ ((target ("avx512f,avx512bw,avx512dq,avx512vl")))
static void
blocked_rows_avx512 (const PlConvGeom *g, gboolean relu, const float *wide, gint s, gint m0,
                     gint m1, float *y)
{
  const gsize wp = (gsize) g->w + g->pad_l + g->pad_r;
  const gsize ld = blocked_ld (g);
  const gsize ohw = (gsize) g->oh * g->ow;
  const __m512 zero = _mm512_setzero_ps ();
  const float *end = y + ((gsize) s * g->m + m1) * ohw;
  for (gint m = m0; m < m1; m++)
    for (gint oh = 0; oh < g->oh; oh++)
      {
        const float *src = wide + (gsize) m * ld + (gsize) oh * wp;
        float *dst = y + ((gsize) s * g->m + m) * ohw + (gsize) oh * g->ow;
        for (gint o = 0; o < g->ow; o += 16)
          {
            gint k = MIN (16, g->ow - o);
            __mmask16 mk = (__mmask16) ((1u << k) - 1u);
            __m512 v = _mm512_maskz_loadu_ps (mk, src + o);
            if (relu)
              v = _mm512_maskz_mov_ps (_mm512_cmp_ps_mask (v, zero, _CMP_GT_OQ), v);
            /* as in blocked_pool_avx512: a full store while it stays in this call's
             * channels (the next row overwrites the extra lanes) */
            if (dst + o + 16 <= end)
              _mm512_storeu_ps (dst + o, v);
            else
              _mm512_mask_storeu_ps (dst + o, mk, v);
          }
      }
}
#endif

static void
blocked_epilogue (const PlConvGeom *g, PlConvEpilogue epi, const float *wide, gint s, gint m0,
                  gint m1, float *y)
{
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
  if (pl_simd_level () == 2)
    {
      if (epi == PL_CONV_EPI_RELU_MAXPOOL)
        blocked_pool_avx512 (g, wide, s, m0, m1, y);
      else
        blocked_rows_avx512 (g, epi == PL_CONV_EPI_RELU, wide, s, m0, m1, y);
      return;
    }
#endif
  blocked_epilogue_generic (g, epi, wide, s, m0, m1, y);
}

static void
blocked_forward_part (gint part, gint n_parts, gpointer data)
{
  const BlockedJob *j = data;
  const PlConvGeom *g = j->g;
  gint64 a, b;
  pl_part_range ((gint64) g->n * j->split, part, n_parts, &a, &b);
  if (a >= b)
    return;
  float *xp = j->ws + (gsize) part * part_workspace (g);
  float *wide = xp + blocked_xp_floats (g);
  const gsize xp_used = (gsize) g->c * (g->h + g->pad_t + g->pad_b)
                        * (g->w + g->pad_l + g->pad_r);
  /* the slack read by the last vector of the wide grid: zeros (scratch columns only) */
  memset (xp + xp_used, 0, sizeof (float) * (blocked_xp_floats (g) - xp_used));
  gint cur = -1;
  for (gint64 it = a; it < b; it++)
    {
      gint s = (gint) (it / j->split), grp = (gint) (it % j->split);
      gint64 m0, m1;
      pl_part_range (g->m, grp, j->split, &m0, &m1);
      if (m0 >= m1)
        continue;
      if (s != cur)
        {
          pad_planes (g, j->x + (gsize) s * g->c * g->h * g->w, g->c, xp);
          cur = s;
        }
      /* 8 channels at a time, their epilogue after the next block's convolution: the
       * wide planes are still in cache, but their stores have left the store buffer */
      gint64 prev = -1;
      for (gint64 mb = m0; mb < m1; mb += 8)
        {
          blocked_sample (g, xp, j->w, j->b, (gint) mb, (gint) MIN (mb + 8, m1), wide);
          if (prev >= 0)
            blocked_epilogue (g, j->epi, wide, s, (gint) prev, (gint) mb, j->y);
          prev = mb;
        }
      blocked_epilogue (g, j->epi, wide, s, (gint) prev, (gint) m1, j->y);
    }
}

static void
blocked_forward (const PlConvGeom *g, const float *x, const float *w, const float *b,
                 PlConvEpilogue epi, float *y, float *ws)
{
  gint parts = pl_parallel_parts ();
  BlockedJob j = { .g = g, .x = x, .w = w, .b = b, .y = y, .ws = ws, .epi = epi,
                   .split = g->n >= parts ? 1 : MIN (parts, g->m) };
  /* small jobs are not worth waking the workers */
  if ((gint64) g->n * g->m * g->oh * g->ow * g->c * g->kh * g->kw < 65536)
    {
      j.split = 1;
      blocked_forward_part (0, 1, &j);
    }
  else
    pl_parallel_run (blocked_forward_part, &j);
}

gboolean
pl_conv2d_fused_ok (const PlConvGeom *g, PlConvEpilogue epi, const PlPoolGeom *pool)
{
  g_return_val_if_fail (g != NULL, FALSE);
  if (!use_blocked (g))
    return FALSE;
  if (epi != PL_CONV_EPI_RELU_MAXPOOL)
    return TRUE;
  return pool != NULL && pl_maxpool_backward_set_ok (pool) && pool->c == g->m
         && pool->h == g->oh && pool->w == g->ow;
}

void
pl_conv2d_forward_fused (const PlConvGeom *g, const float *x, const float *w, const float *b,
                         PlConvEpilogue epi, float *y, float *ws)
{
  g_return_if_fail (use_blocked (g));
  g_return_if_fail (epi != PL_CONV_EPI_RELU_MAXPOOL || (g->oh % 2 == 0 && g->ow % 2 == 0));
  blocked_forward (g, x, w, b, epi, y, ws);
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
  if (use_blocked (g))
    {
      blocked_forward (g, x, w, b, PL_CONV_EPI_NONE, y, ws);
      return;
    }
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
