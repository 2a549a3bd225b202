/* pl-nd.c — unary activations, LogSoftmax, Transpose, Pad, AveragePool, BatchNormalization,
 * batched MatMul, Gather and grouped convolution (ONNX semantics, forward and backward). */
#include <math.h>
#include <string.h>
#include <cblas.h>
#include "pl-ops.h"
#include "tensor/pl-tensor.h"

/* ------------------------------------------------------------------ unary */

void
pl_unary_forward (PlUnaryOp op, float p0, float p1, gsize n, const float *x, float *y)
{
  switch (op)
    {
    case PL_UNARY_LEAKY_RELU:
      for (gsize i = 0; i < n; i++)
        y[i] = x[i] > 0.f ? x[i] : p0 * x[i];
      break;
    case PL_UNARY_SIGMOID:
      for (gsize i = 0; i < n; i++)
        y[i] = x[i] >= 0.f ? 1.f / (1.f + expf (-x[i])) : expf (x[i]) / (1.f + expf (x[i]));
      break;
    case PL_UNARY_TANH:
      for (gsize i = 0; i < n; i++)
        y[i] = tanhf (x[i]);
      break;
    case PL_UNARY_CLIP:
      for (gsize i = 0; i < n; i++)
        y[i] = isnan (x[i]) ? x[i] : MIN (MAX (x[i], p0), p1);
      break;
    }
}

void
pl_unary_backward (PlUnaryOp op, float p0, float p1, gsize n, const float *x, const float *y,
                   const float *dy, float *dx)
{
  switch (op)
    {
    case PL_UNARY_LEAKY_RELU:
      for (gsize i = 0; i < n; i++)
        dx[i] += x[i] > 0.f ? dy[i] : p0 * dy[i];
      break;
    case PL_UNARY_SIGMOID:
      /* σ'(x) = σ(x) σ(−x) = e / (1 + e)² with e = exp (−|x|): exact to float precision
       * even in saturation, where y (1 − y) computed from a rounded y is not. */
      if (x != NULL)
        for (gsize i = 0; i < n; i++)
          {
            float e = expf (-fabsf (x[i]));
            float d = 1.f + e;
            dx[i] += dy[i] * (e / (d * d));
          }
      else
        for (gsize i = 0; i < n; i++)
          dx[i] += dy[i] * y[i] * (1.f - y[i]);
      break;
    case PL_UNARY_TANH:
      /* tanh'(x) = 1 − tanh² x = sech² x = 4e / (1 + e)² with e = exp (−2|x|). */
      if (x != NULL)
        for (gsize i = 0; i < n; i++)
          {
            float e = expf (-2.f * fabsf (x[i]));
            float d = 1.f + e;
            dx[i] += dy[i] * (4.f * e / (d * d));
          }
      else
        for (gsize i = 0; i < n; i++)
          dx[i] += dy[i] * (1.f - y[i] * y[i]);
      break;
    case PL_UNARY_CLIP:
      for (gsize i = 0; i < n; i++)
        if (x[i] >= p0 && x[i] <= p1)
          dx[i] += dy[i];
      break;
    }
}

/* ------------------------------------------------------------------ LogSoftmax */

void
pl_log_softmax_forward (gsize outer, gsize d, gsize inner, const float *x, float *y)
{
  for (gsize o = 0; o < outer; o++)
    for (gsize in = 0; in < inner; in++)
      {
        const float *xs = x + o * d * inner + in;
        float *ys = y + o * d * inner + in;
        float mx = -INFINITY;
        for (gsize k = 0; k < d; k++)
          mx = MAX (mx, xs[k * inner]);
        double sum = 0.0;
        for (gsize k = 0; k < d; k++)
          sum += exp ((double) xs[k * inner] - mx);
        float lse = (float) log (sum);
        for (gsize k = 0; k < d; k++)
          ys[k * inner] = xs[k * inner] - mx - lse;
      }
}

void
pl_log_softmax_backward (gsize outer, gsize d, gsize inner, const float *y, const float *dy,
                         float *dx)
{
  for (gsize o = 0; o < outer; o++)
    for (gsize in = 0; in < inner; in++)
      {
        gsize base = o * d * inner + in;
        double s = 0.0;
        for (gsize k = 0; k < d; k++)
          s += dy[base + k * inner];
        for (gsize k = 0; k < d; k++)
          dx[base + k * inner] += dy[base + k * inner]
                                  - expf (y[base + k * inner]) * (float) s;
      }
}

/* ------------------------------------------------------------------ Transpose */

/* Calls BODY with i (output offset) and off (input offset) for every output element. */
#define PERM_LOOP(nd, in_shape, perm, BODY)                                          \
  G_STMT_START {                                                                     \
    gint64 istr_[PL_TENSOR_MAX_DIMS], ostr_[PL_TENSOR_MAX_DIMS];                    \
    gint64 osh_[PL_TENSOR_MAX_DIMS], idx_[PL_TENSOR_MAX_DIMS] = { 0 };              \
    gint64 s_ = 1;                                                                   \
    for (gint k_ = (nd) - 1; k_ >= 0; k_--)                                          \
      {                                                                              \
        istr_[k_] = s_;                                                              \
        s_ *= (in_shape)[k_];                                                        \
      }                                                                              \
    for (gint k_ = 0; k_ < (nd); k_++)                                               \
      {                                                                              \
        osh_[k_] = (in_shape)[(perm)[k_]];                                           \
        ostr_[k_] = istr_[(perm)[k_]];                                               \
      }                                                                              \
    gint64 total_ = pl_shape_numel ((nd), osh_), off = 0;                           \
    for (gint64 i = 0; i < total_; i++)                                              \
      {                                                                              \
        BODY;                                                                        \
        for (gint k_ = (nd) - 1; k_ >= 0; k_--)                                      \
          {                                                                          \
            idx_[k_]++;                                                              \
            off += ostr_[k_];                                                        \
            if (idx_[k_] < osh_[k_])                                                 \
              break;                                                                 \
            off -= ostr_[k_] * idx_[k_];                                             \
            idx_[k_] = 0;                                                            \
          }                                                                          \
      }                                                                              \
  } G_STMT_END

void
pl_transpose_forward (gint nd, const gint64 *in_shape, const gint64 *perm, const float *x,
                      float *y)
{
  PERM_LOOP (nd, in_shape, perm, y[i] = x[off]);
}

void
pl_transpose_backward (gint nd, const gint64 *in_shape, const gint64 *perm, const float *dy,
                       float *dx)
{
  PERM_LOOP (nd, in_shape, perm, dx[off] += dy[i]);
}

/* ------------------------------------------------------------------ Pad */

/* BODY sees i (output offset), inside (gboolean) and off (input offset when inside). */
#define PAD_LOOP(nd, in_shape, out_shape, begin, BODY)                               \
  G_STMT_START {                                                                     \
    gint64 istr_[PL_TENSOR_MAX_DIMS], idx_[PL_TENSOR_MAX_DIMS] = { 0 };             \
    gint64 s_ = 1;                                                                   \
    for (gint k_ = (nd) - 1; k_ >= 0; k_--)                                          \
      {                                                                              \
        istr_[k_] = s_;                                                              \
        s_ *= (in_shape)[k_];                                                        \
      }                                                                              \
    gint64 total_ = pl_shape_numel ((nd), (out_shape));                             \
    for (gint64 i = 0; i < total_; i++)                                              \
      {                                                                              \
        gboolean inside = TRUE;                                                      \
        gint64 off = 0;                                                              \
        for (gint k_ = 0; k_ < (nd); k_++)                                           \
          {                                                                          \
            gint64 c_ = idx_[k_] - (begin)[k_];                                      \
            if (c_ < 0 || c_ >= (in_shape)[k_])                                      \
              {                                                                      \
                inside = FALSE;                                                      \
                break;                                                               \
              }                                                                      \
            off += c_ * istr_[k_];                                                   \
          }                                                                          \
        BODY;                                                                        \
        for (gint k_ = (nd) - 1; k_ >= 0; k_--)                                      \
          {                                                                          \
            if (++idx_[k_] < (out_shape)[k_])                                        \
              break;                                                                 \
            idx_[k_] = 0;                                                            \
          }                                                                          \
      }                                                                              \
  } G_STMT_END

void
pl_pad_forward (gint nd, const gint64 *in_shape, const gint64 *out_shape, const gint64 *begin,
                float value, const float *x, float *y)
{
  PAD_LOOP (nd, in_shape, out_shape, begin, y[i] = inside ? x[off] : value);
}

void
pl_pad_backward (gint nd, const gint64 *in_shape, const gint64 *out_shape, const gint64 *begin,
                 const float *dy, float *dx)
{
  PAD_LOOP (nd, in_shape, out_shape, begin, if (inside) dx[off] += dy[i]);
}

/* ------------------------------------------------------------------ AveragePool */

static inline gint
avg_count (const PlPoolGeom *g, gboolean include_pad, gint oh, gint ow)
{
  gint ch = 0, cw = 0;
  gint lo_h = include_pad ? -g->pad_t : 0, hi_h = include_pad ? g->h + g->pad_b : g->h;
  gint lo_w = include_pad ? -g->pad_l : 0, hi_w = include_pad ? g->w + g->pad_r : g->w;
  for (gint i = 0; i < g->kh; i++)
    {
      gint r = oh * g->stride_h - g->pad_t + i * g->dil_h;
      ch += r >= lo_h && r < hi_h;
    }
  for (gint j = 0; j < g->kw; j++)
    {
      gint c = ow * g->stride_w - g->pad_l + j * g->dil_w;
      cw += c >= lo_w && c < hi_w;
    }
  return ch * cw;
}

void
pl_avgpool_forward (const PlPoolGeom *g, gboolean count_include_pad, const float *x, float *y)
{
  gsize planes = (gsize) g->n * g->c, hw = (gsize) g->h * g->w, ohw = (gsize) g->oh * g->ow;
  for (gsize p = 0; p < planes; p++)
    for (gint oh = 0; oh < g->oh; oh++)
      for (gint ow = 0; ow < g->ow; ow++)
        {
          double s = 0.0;
          for (gint i = 0; i < g->kh; i++)
            {
              gint r = oh * g->stride_h - g->pad_t + i * g->dil_h;
              if (r < 0 || r >= g->h)
                continue;
              for (gint j = 0; j < g->kw; j++)
                {
                  gint c = ow * g->stride_w - g->pad_l + j * g->dil_w;
                  if (c >= 0 && c < g->w)
                    s += x[p * hw + (gsize) r * g->w + c];
                }
            }
          gint cnt = avg_count (g, count_include_pad, oh, ow);
          y[p * ohw + (gsize) oh * g->ow + ow] = cnt > 0 ? (float) (s / cnt) : 0.f;
        }
}

void
pl_avgpool_backward (const PlPoolGeom *g, gboolean count_include_pad, const float *dy,
                     float *dx)
{
  gsize planes = (gsize) g->n * g->c, hw = (gsize) g->h * g->w, ohw = (gsize) g->oh * g->ow;
  for (gsize p = 0; p < planes; p++)
    for (gint oh = 0; oh < g->oh; oh++)
      for (gint ow = 0; ow < g->ow; ow++)
        {
          gint cnt = avg_count (g, count_include_pad, oh, ow);
          if (cnt == 0)
            continue;
          float v = dy[p * ohw + (gsize) oh * g->ow + ow] / (float) cnt;
          for (gint i = 0; i < g->kh; i++)
            {
              gint r = oh * g->stride_h - g->pad_t + i * g->dil_h;
              if (r < 0 || r >= g->h)
                continue;
              for (gint j = 0; j < g->kw; j++)
                {
                  gint c = ow * g->stride_w - g->pad_l + j * g->dil_w;
                  if (c >= 0 && c < g->w)
                    dx[p * hw + (gsize) r * g->w + c] += v;
                }
            }
        }
}

/* ------------------------------------------------------------------ BatchNormalization */

void
pl_batchnorm_forward (gsize n, gsize c, gsize s, float eps, const float *x, const float *scale,
                      const float *bias, const float *mean, const float *var, float *y)
{
  for (gsize ch = 0; ch < c; ch++)
    {
      float inv = 1.f / sqrtf (var[ch] + eps);
      float a = scale[ch] * inv, b = bias[ch] - mean[ch] * a;
      for (gsize i = 0; i < n; i++)
        {
          const float *xs = x + (i * c + ch) * s;
          float *ys = y + (i * c + ch) * s;
          for (gsize k = 0; k < s; k++)
            ys[k] = xs[k] * a + b;
        }
    }
}

void
pl_batchnorm_backward (gsize n, gsize c, gsize s, float eps, const float *x,
                       const float *scale, const float *mean, const float *var,
                       const float *dy, float *dx, float *dscale, float *dbias, float *dmean,
                       float *dvar)
{
  for (gsize ch = 0; ch < c; ch++)
    {
      double inv = 1.0 / sqrt ((double) var[ch] + eps);
      double sdy = 0.0, sdyx = 0.0;   /* sum dy, sum dy (x - mean) */
      for (gsize i = 0; i < n; i++)
        {
          const float *xs = x + (i * c + ch) * s;
          const float *dys = dy + (i * c + ch) * s;
          if (dx != NULL)
            {
              float a = (float) (scale[ch] * inv);
              float *dxs = dx + (i * c + ch) * s;
              for (gsize k = 0; k < s; k++)
                dxs[k] += dys[k] * a;
            }
          for (gsize k = 0; k < s; k++)
            {
              sdy += dys[k];
              sdyx += (double) dys[k] * ((double) xs[k] - mean[ch]);
            }
        }
      if (dscale != NULL)
        dscale[ch] += (float) (sdyx * inv);
      if (dbias != NULL)
        dbias[ch] += (float) sdy;
      if (dmean != NULL)
        dmean[ch] -= (float) (sdy * scale[ch] * inv);
      if (dvar != NULL)
        dvar[ch] += (float) (-0.5 * scale[ch] * sdyx * inv * inv * inv);
    }
}

/* ------------------------------------------------------------------ batched MatMul */

static void
batch_strides (gint nb, const gint64 *y_b, const gint64 *shape, gint64 item, gint64 *str)
{
  gint64 s = item;
  for (gint k = nb - 1; k >= 0; k--)
    {
      str[k] = (shape[k] == 1 && y_b[k] != 1) ? 0 : s;
      s *= shape[k];
    }
}

#define BATCH_LOOP(nb, y_b, a_b, b_b, asz, bsz, BODY)                                \
  G_STMT_START {                                                                     \
    gint64 sa_[PL_TENSOR_MAX_DIMS], sb_[PL_TENSOR_MAX_DIMS];                        \
    gint64 idx_[PL_TENSOR_MAX_DIMS] = { 0 };                                        \
    batch_strides ((nb), (y_b), (a_b), (asz), sa_);                                 \
    batch_strides ((nb), (y_b), (b_b), (bsz), sb_);                                 \
    gint64 total_ = pl_shape_numel ((nb), (y_b));                                   \
    for (gint64 t = 0; t < total_; t++)                                              \
      {                                                                              \
        gint64 oa = 0, ob = 0;                                                       \
        for (gint k_ = 0; k_ < (nb); k_++)                                           \
          {                                                                          \
            oa += idx_[k_] * sa_[k_];                                                \
            ob += idx_[k_] * sb_[k_];                                                \
          }                                                                          \
        BODY;                                                                        \
        for (gint k_ = (nb) - 1; k_ >= 0; k_--)                                      \
          {                                                                          \
            if (++idx_[k_] < (y_b)[k_])                                              \
              break;                                                                 \
            idx_[k_] = 0;                                                            \
          }                                                                          \
      }                                                                              \
  } G_STMT_END

void
pl_matmul_forward (gint nb, const gint64 *y_b, const gint64 *a_b, const gint64 *b_b, gint M,
                   gint N, gint K, const float *A, const float *B, float *Y)
{
  gint64 asz = (gint64) M * K, bsz = (gint64) K * N, ysz = (gint64) M * N;
  BATCH_LOOP (nb, y_b, a_b, b_b, asz, bsz,
              {
                float *y = Y + t * ysz;
                if (K == 0)
                  memset (y, 0, sizeof (float) * (gsize) ysz);
                else if (ysz > 0)
                  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.f,
                               A + oa, MAX (K, 1), B + ob, MAX (N, 1), 0.f, y, MAX (N, 1));
              });
}

void
pl_matmul_backward (gint nb, const gint64 *y_b, const gint64 *a_b, const gint64 *b_b, gint M,
                    gint N, gint K, const float *A, const float *B, const float *dY, float *dA,
                    float *dB)
{
  gint64 asz = (gint64) M * K, bsz = (gint64) K * N, ysz = (gint64) M * N;
  if (M == 0 || N == 0 || K == 0)
    return;
  BATCH_LOOP (nb, y_b, a_b, b_b, asz, bsz,
              {
                const float *dy = dY + t * ysz;
                if (dA != NULL)   /* dA[M,K] += dY[M,N] B^T */
                  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, M, K, N, 1.f, dy, N,
                               B + ob, N, 1.f, dA + oa, K);
                if (dB != NULL)   /* dB[K,N] += A^T dY */
                  cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, K, N, M, 1.f, A + oa,
                               K, dy, N, 1.f, dB + ob, N);
              });
}

/* ------------------------------------------------------------------ Gather */

void
pl_gather_forward (gsize outer, gsize d, gsize inner, const gint64 *idx, gsize n_idx,
                   const float *x, float *y)
{
  for (gsize o = 0; o < outer; o++)
    for (gsize j = 0; j < n_idx; j++)
      memcpy (y + (o * n_idx + j) * inner, x + (o * d + (gsize) idx[j]) * inner,
              sizeof (float) * inner);
}

void
pl_gather_backward (gsize outer, gsize d, gsize inner, const gint64 *idx, gsize n_idx,
                    const float *dy, float *dx)
{
  for (gsize o = 0; o < outer; o++)
    for (gsize j = 0; j < n_idx; j++)
      {
        const float *s = dy + (o * n_idx + j) * inner;
        float *t = dx + (o * d + (gsize) idx[j]) * inner;
        for (gsize k = 0; k < inner; k++)
          t[k] += s[k];
      }
}

/* ------------------------------------------------------------------ grouped Conv */

/* Copies group gi's channel block between a [N, groups*c, S] tensor and a [N, c, S] one. */
static void
group_copy (gsize n, gsize groups, gsize c, gsize s, gsize gi, const float *full, float *part,
            gboolean to_part, gboolean accumulate)
{
  for (gsize i = 0; i < n; i++)
    {
      float *p = part + i * c * s;
      const float *f = full + (i * groups * c + gi * c) * s;
      if (to_part)
        memcpy (p, f, sizeof (float) * c * s);
      else if (accumulate)
        for (gsize k = 0; k < c * s; k++)
          ((float *) f)[k] += p[k];
      else
        memcpy ((float *) f, p, sizeof (float) * c * s);
    }
}

void
pl_conv2d_grouped_forward (const PlConvGeom *g, gint groups, const float *x, const float *w,
                           const float *b, float *y)
{
  gsize hw = (gsize) g->h * g->w, ohw = (gsize) g->oh * g->ow;
  gsize wsz = (gsize) g->m * g->c * g->kh * g->kw;
  g_autofree float *xg = g_new (float, MAX ((gsize) g->n * g->c * hw, 1));
  g_autofree float *yg = g_new (float, MAX ((gsize) g->n * g->m * ohw, 1));
  g_autofree float *ws = g_new (float, MAX (pl_conv2d_workspace (g), 1));
  for (gint gi = 0; gi < groups; gi++)
    {
      group_copy (g->n, groups, g->c, hw, gi, x, xg, TRUE, FALSE);
      pl_conv2d_forward (g, xg, w + gi * wsz, b != NULL ? b + gi * g->m : NULL, yg, ws);
      group_copy (g->n, groups, g->m, ohw, gi, y, yg, FALSE, FALSE);
    }
}

void
pl_conv2d_grouped_backward (const PlConvGeom *g, gint groups, const float *x, const float *w,
                            const float *dy, float *dx, float *dw, float *db)
{
  gsize hw = (gsize) g->h * g->w, ohw = (gsize) g->oh * g->ow;
  gsize wsz = (gsize) g->m * g->c * g->kh * g->kw;
  g_autofree float *xg = g_new (float, MAX ((gsize) g->n * g->c * hw, 1));
  g_autofree float *dxg = g_new (float, MAX ((gsize) g->n * g->c * hw, 1));
  g_autofree float *dyg = g_new (float, MAX ((gsize) g->n * g->m * ohw, 1));
  g_autofree float *ws = g_new (float, MAX (pl_conv2d_workspace (g), 1));
  for (gint gi = 0; gi < groups; gi++)
    {
      group_copy (g->n, groups, g->c, hw, gi, x, xg, TRUE, FALSE);
      group_copy (g->n, groups, g->m, ohw, gi, dy, dyg, TRUE, FALSE);
      if (dx != NULL)
        memset (dxg, 0, sizeof (float) * g->n * g->c * hw);
      pl_conv2d_backward (g, xg, w + gi * wsz, dyg, dx != NULL ? dxg : NULL,
                          dw != NULL ? dw + gi * wsz : NULL,
                          db != NULL ? db + gi * g->m : NULL, ws);
      if (dx != NULL)
        group_copy (g->n, groups, g->c, hw, gi, dx, dxg, FALSE, TRUE);
    }
}
