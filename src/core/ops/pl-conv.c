/* pl-conv.c — 2-D convolution (ONNX Conv, group 1) via im2col + cblas_sgemm. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic")
#endif
#include <string.h>
#include <cblas.h>
#include "pl-ops.h"

/* Columns of the im2col matrix are limited to this many floats per chunk of samples. */
#define PL_CONV_CHUNK_FLOATS ((gsize) 1 << 21)

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
  return (gint) CLAMP (nb, 1, part_n);
}

/* Per part: col [K, P], dcol [K, P], tmp [M, P], then a partial dW [M, K]. */
static gsize
part_workspace (const PlConvGeom *g)
{
  gsize p = (gsize) chunk_samples (g) * g->oh * g->ow;
  gsize k = (gsize) g->c * g->kh * g->kw;
  return 2 * k * p + (gsize) g->m * p + (gsize) g->m * k;
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
static void
im2col (const PlConvGeom *g, const float *x, gint n0, gint nb, float *col)
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

/* dx += col2im(dcol) */
static void
col2im (const PlConvGeom *g, const float *dcol, gint n0, gint nb, float *dx)
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

typedef struct {
  const PlConvGeom *g;
  const float *x, *w, *b, *dy;
  float *y, *dx, *dw, *ws;
} ConvJob;

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
      float *dyt = dcol + (gsize) K * P;
      for (gint s = 0; s < nb; s++)
        for (gint m = 0; m < g->m; m++)
          memcpy (dyt + (gsize) m * P + s * ohw, j->dy + ((gsize) (n0 + s) * g->m + m) * ohw,
                  sizeof (float) * ohw);
      if (dw != NULL)
        {
          im2col (g, j->x, n0, nb, col);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, g->m, K, (gint) P, 1.f,
                       dyt, (gint) P, col, (gint) P, 1.f, dw, K);
        }
      if (j->dx != NULL)
        {
          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, K, (gint) P, g->m, 1.f,
                       j->w, K, dyt, (gint) P, 0.f, dcol, (gint) P);
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
