/* pl-activation.c — Relu and Softmax. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("tree-vectorize", "vect-cost-model=dynamic")
#endif
#include <math.h>
#include "pl-ops.h"

/* Below this many elements a kernel runs on the calling thread only. */
#define PAR_MIN 65536

typedef struct {
  gsize n;
  const float *x, *dy;
  float *y, *dx;
} ReluJob;

static inline PL_ALWAYS_INLINE void
relu_forward_range_body (gsize i0, gsize i1, const float *restrict x, float *restrict y)
{
  for (gsize i = i0; i < i1; i++)
    y[i] = x[i] > 0.f ? x[i] : 0.f;
}
PL_SIMD_VOID (relu_forward_range, (gsize i0, gsize i1, const float *restrict x, float *restrict y), (i0, i1, x, y))

static inline PL_ALWAYS_INLINE void
relu_backward_range_body (gsize i0, gsize i1, const float *restrict x, const float *restrict dy,
                     float *restrict dx)
{
  for (gsize i = i0; i < i1; i++)
    dx[i] += x[i] > 0.f ? dy[i] : 0.f;
}
PL_SIMD_VOID (relu_backward_range, (gsize i0, gsize i1, const float *restrict x, const float *restrict dy, float *restrict dx), (i0, i1, x, dy, dx))

static void
relu_forward_part (gint part, gint n_parts, gpointer data)
{
  const ReluJob *j = data;
  gint64 a, b;
  pl_part_range ((gint64) j->n, part, n_parts, &a, &b);
  relu_forward_range ((gsize) a, (gsize) b, j->x, j->y);
}

static void
relu_backward_part (gint part, gint n_parts, gpointer data)
{
  const ReluJob *j = data;
  gint64 a, b;
  pl_part_range ((gint64) j->n, part, n_parts, &a, &b);
  relu_backward_range ((gsize) a, (gsize) b, j->x, j->dy, j->dx);
}

void
pl_relu_forward (gsize n, const float *x, float *y)
{
  ReluJob j = { .n = n, .x = x, .y = y };
  if (n < PAR_MIN)
    relu_forward_range (0, n, x, y);
  else
    pl_parallel_run (relu_forward_part, &j);
}

void
pl_relu_backward (gsize n, const float *x, const float *dy, float *dx)
{
  ReluJob j = { .n = n, .x = x, .dy = dy, .dx = dx };
  if (n < PAR_MIN)
    relu_backward_range (0, n, x, dy, dx);
  else
    pl_parallel_run (relu_backward_part, &j);
}

void
pl_softmax_forward (gsize outer, gsize d, gsize inner, const float *x, float *y)
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
          {
            float e = expf (xs[k * inner] - mx);
            ys[k * inner] = e;
            sum += e;
          }
        float inv = (float) (1.0 / sum);
        for (gsize k = 0; k < d; k++)
          ys[k * inner] *= inv;
      }
}

void
pl_softmax_backward (gsize outer, gsize d, gsize inner, const float *y, const float *dy,
                     float *dx)
{
  for (gsize o = 0; o < outer; o++)
    for (gsize in = 0; in < inner; in++)
      {
        gsize base = o * d * inner + in;
        double dot = 0.0;
        for (gsize k = 0; k < d; k++)
          dot += (double) dy[base + k * inner] * y[base + k * inner];
        for (gsize k = 0; k < d; k++)
          dx[base + k * inner] += y[base + k * inner] * (dy[base + k * inner] - (float) dot);
      }
}
