/* pl-activation.c — Relu and Softmax. */
#include <math.h>
#include "pl-ops.h"

void
pl_relu_forward (gsize n, const float *x, float *y)
{
  for (gsize i = 0; i < n; i++)
    y[i] = x[i] > 0.f ? x[i] : 0.f;
}

void
pl_relu_backward (gsize n, const float *x, const float *dy, float *dx)
{
  for (gsize i = 0; i < n; i++)
    dx[i] += x[i] > 0.f ? dy[i] : 0.f;
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
