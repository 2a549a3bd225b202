/* test-conv-blocked.c — the register-blocked direct convolution and the forward-only
 * Conv + Relu (+ 2×2 MaxPool) fusion (speed, third round):
 *   - pl_conv2d_forward with PL_CONV_BLOCKED against a double reference (random shapes:
 *     odd sizes, 1×1 / 3×3 / 5×3 / 2×4 kernels, asymmetric pads, dilation, output
 *     channels that are not a multiple of the register block, batch 1 to 64, pruned
 *     (all-zero) filters and input channels), within 1e-5 of the terms' magnitude;
 *   - the fused epilogues equal pl_conv2d_forward → pl_relu_forward → pl_maxpool_forward
 *     bit for bit (ties, NaN, -0), and pl_conv2d_fused_ok refuses what it cannot fuse;
 *   - an executor whose plain forward runs fused gives the unfused (im2col) results within
 *     rounding, computes the left-out intermediate values on demand (consistent with its
 *     fused output bit for bit), runs backward after it, and gives the same outputs bit
 *     for bit once it keeps every value;
 *   - pl_executor_class_gradient_last equals pl_executor_class_gradient bit for bit. */
#include <check.h>
#include <math.h>
#include <string.h>
#include "exec/pl-executor.h"
#include "ops/pl-ops.h"
#include "pl-error.h"

static guint64 rng_state;

static double
urand (void)
{
  guint64 z = (rng_state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  z ^= z >> 31;
  return (double) (z >> 11) / 9007199254740992.0;
}

static float *
rand_array (gsize n)
{
  float *a = g_new (float, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    a[i] = (float) (2.0 * urand () - 1.0);
  return a;
}

/* y = conv (x) in double; mag = bias + sum of |w x| per output (the rounding scale). */
static void
reference (const PlConvGeom *g, const float *x, const float *w, const float *b, double *y,
           double *mag)
{
  for (gint n = 0; n < g->n; n++)
    for (gint m = 0; m < g->m; m++)
      for (gint oh = 0; oh < g->oh; oh++)
        for (gint ow = 0; ow < g->ow; ow++)
          {
            gsize yi = (((gsize) n * g->m + m) * g->oh + oh) * g->ow + ow;
            double s = b[m], a = fabs (b[m]);
            for (gint c = 0; c < g->c; c++)
              for (gint i = 0; i < g->kh; i++)
                for (gint j = 0; j < g->kw; j++)
                  {
                    gint ih = oh * g->stride_h - g->pad_t + i * g->dil_h;
                    gint iw = ow * g->stride_w - g->pad_l + j * g->dil_w;
                    if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w)
                      continue;
                    double t = (double) w[(((gsize) m * g->c + c) * g->kh + i) * g->kw + j]
                               * x[(((gsize) n * g->c + c) * g->h + ih) * g->w + iw];
                    s += t;
                    a += fabs (t);
                  }
            y[yi] = s;
            mag[yi] = a;
          }
}

START_TEST (test_blocked_reference)
{
  rng_state = 7;
  /* n, c, h, w, m, kh, kw, pad t/l/b/r, dil h/w */
  const gint cases[][13] = {
    { 1, 1, 28, 28, 16, 3, 3, 1, 1, 1, 1, 1, 1 },   /* the default model's layers */
    { 3, 16, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1 },
    { 64, 2, 5, 7, 3, 3, 3, 1, 1, 1, 1, 1, 1 },     /* batch 64 of small planes */
    { 2, 3, 9, 11, 11, 3, 3, 0, 0, 0, 0, 1, 1 },    /* no padding; M not a multiple of 8 */
    { 1, 5, 13, 6, 7, 5, 3, 2, 1, 0, 2, 1, 1 },     /* asymmetric pads, 5×3 */
    { 2, 4, 10, 10, 9, 3, 3, 2, 2, 2, 2, 2, 2 },    /* dilation 2 */
    { 3, 6, 7, 7, 5, 1, 1, 0, 0, 0, 0, 1, 1 },      /* pointwise */
    { 1, 3, 17, 19, 1, 2, 4, 1, 0, 0, 3, 1, 1 },    /* one filter, even kernel */
    { 2, 1, 1, 40, 4, 1, 3, 0, 1, 0, 1, 1, 1 },     /* a single row */
  };
  pl_conv_set_algo (PL_CONV_BLOCKED);
  for (guint t = 0; t < G_N_ELEMENTS (cases); t++)
    {
      const gint *k = cases[t];
      PlConvGeom g = { .n = k[0], .c = k[1], .h = k[2], .w = k[3], .m = k[4], .kh = k[5],
                       .kw = k[6], .stride_h = 1, .stride_w = 1, .pad_t = k[7], .pad_l = k[8],
                       .pad_b = k[9], .pad_r = k[10], .dil_h = k[11], .dil_w = k[12] };
      ck_assert (pl_conv_geom_finish (&g));
      ck_assert_msg (pl_conv2d_fused_ok (&g, PL_CONV_EPI_NONE, NULL), "case %u", t);
      gsize nx = (gsize) g.n * g.c * g.h * g.w, nw = (gsize) g.m * g.c * g.kh * g.kw;
      gsize ny = (gsize) g.n * g.m * g.oh * g.ow;
      g_autofree float *x = rand_array (nx);
      g_autofree float *w = rand_array (nw);
      g_autofree float *b = rand_array (g.m);
      /* pruned: the last filter and the first input channel of each sample are zero */
      memset (w + nw - (gsize) g.c * g.kh * g.kw, 0, sizeof (float) * g.c * g.kh * g.kw);
      if (g.c > 1)
        for (gint n = 0; n < g.n; n++)
          memset (x + (gsize) n * g.c * g.h * g.w, 0, sizeof (float) * g.h * g.w);
      g_autofree double *ry = g_new (double, ny);
      g_autofree double *mag = g_new (double, ny);
      reference (&g, x, w, b, ry, mag);
      g_autofree float *ws = g_new (float, pl_conv2d_workspace (&g) + 1);
      g_autofree float *y = g_new (float, ny);
      g_autofree float *y2 = g_new (float, ny);
      pl_conv2d_forward (&g, x, w, b, y, ws);
      for (gsize i = 0; i < ny; i++)
        ck_assert_msg (fabs (y[i] - ry[i]) <= 1e-5 * (1.0 + mag[i]),
                       "case %u: y[%zu] = %.8g, expected %.8g", t, i, y[i], ry[i]);
      /* the last filter is pruned: its outputs are exactly its bias */
      for (gint n = 0; n < g.n; n++)
        for (gint p = 0; p < g.oh * g.ow; p++)
          ck_assert (y[(((gsize) n * g.m + g.m - 1) * g.oh * g.ow) + p] == b[g.m - 1]);
      pl_conv2d_forward_fused (&g, x, w, b, PL_CONV_EPI_NONE, y2, ws);
      ck_assert_msg (memcmp (y, y2, sizeof (float) * ny) == 0, "case %u: not deterministic", t);
    }
  pl_conv_set_algo (PL_CONV_AUTO);
}
END_TEST

/* Hand-computed: 1 × 1 × 2 × 3 input, one 2×2 filter, pad 0 → 1 × 2 output. */
START_TEST (test_blocked_hand)
{
  pl_conv_set_algo (PL_CONV_BLOCKED);
  PlConvGeom g = { .n = 1, .c = 1, .h = 2, .w = 3, .m = 1, .kh = 2, .kw = 2, .stride_h = 1,
                   .stride_w = 1, .dil_h = 1, .dil_w = 1 };
  ck_assert (pl_conv_geom_finish (&g));
  ck_assert_int_eq (g.oh, 1);
  ck_assert_int_eq (g.ow, 2);
  const float x[6] = { 1, 2, 3, 4, 5, 6 }, w[4] = { 1, 0, -1, 2 }, b[1] = { 0.5f };
  float y[2];
  g_autofree float *ws = g_new (float, pl_conv2d_workspace (&g));
  pl_conv2d_forward (&g, x, w, b, y, ws);
  /* 1·1 + 0·2 − 1·4 + 2·5 + 0.5 = 7.5; 1·2 + 0·3 − 1·5 + 2·6 + 0.5 = 9.5 */
  ck_assert (y[0] == 7.5f && y[1] == 9.5f);
  pl_conv_set_algo (PL_CONV_AUTO);
}
END_TEST

START_TEST (test_epilogues_exact)
{
  rng_state = 21;
  /* n, c, h, w, m, pads (all sides) — outputs of even size for the pool */
  const gint cases[][6] = { { 1, 1, 28, 28, 16, 1 }, { 4, 16, 14, 14, 32, 1 },
                            { 3, 3, 10, 6, 10, 1 }, { 2, 2, 8, 36, 5, 1 },
                            { 64, 1, 6, 8, 3, 1 } };
  pl_conv_set_algo (PL_CONV_AUTO);
  for (guint t = 0; t < G_N_ELEMENTS (cases); t++)
    {
      const gint *k = cases[t];
      PlConvGeom g = { .n = k[0], .c = k[1], .h = k[2], .w = k[3], .m = k[4], .kh = 3, .kw = 3,
                       .stride_h = 1, .stride_w = 1, .pad_t = k[5], .pad_l = k[5],
                       .pad_b = k[5], .pad_r = k[5], .dil_h = 1, .dil_w = 1 };
      ck_assert (pl_conv_geom_finish (&g));
      PlPoolGeom pg = { .n = g.n, .c = g.m, .h = g.oh, .w = g.ow, .kh = 2, .kw = 2,
                        .stride_h = 2, .stride_w = 2, .dil_h = 1, .dil_w = 1 };
      ck_assert (pl_pool_geom_finish (&pg));
      ck_assert_msg (pl_conv2d_fused_ok (&g, PL_CONV_EPI_RELU_MAXPOOL, &pg), "case %u", t);
      gsize nx = (gsize) g.n * g.c * g.h * g.w, nw = (gsize) g.m * g.c * 9;
      gsize ny = (gsize) g.n * g.m * g.oh * g.ow, np = ny / 4;
      g_autofree float *x = g_new (float, nx);
      g_autofree float *w = g_new (float, nw);
      g_autofree float *b = g_new (float, g.m);
      /* a coarse grid: exact ties in the pool windows, exact zeros and -0 before the Relu */
      for (gsize i = 0; i < nx; i++)
        x[i] = (float) (floor (urand () * 5.0) - 2.0) / 2.0f;
      for (gsize i = 0; i < nw; i++)
        w[i] = (float) (floor (urand () * 5.0) - 2.0) / 4.0f;
      for (gint i = 0; i < g.m; i++)
        b[i] = i % 3 == 0 ? -0.0f : (float) (floor (urand () * 3.0) - 1.0) / 8.0f;
      x[nx / 2] = NAN;   /* spreads to the outputs that read it; the Relu maps NaN to 0 */
      g_autofree float *ws = g_new (float, pl_conv2d_workspace (&g) + 1);
      g_autofree float *y = g_new (float, ny);
      g_autofree float *r = g_new (float, ny);
      g_autofree float *p = g_new (float, np);
      g_autofree float *fr = g_new (float, ny);
      g_autofree float *fp = g_new (float, np);
      pl_conv2d_forward (&g, x, w, b, y, ws);
      pl_relu_forward (ny, y, r);
      pl_maxpool_forward (&pg, r, p);
      pl_conv2d_forward_fused (&g, x, w, b, PL_CONV_EPI_RELU, fr, ws);
      pl_conv2d_forward_fused (&g, x, w, b, PL_CONV_EPI_RELU_MAXPOOL, fp, ws);
      ck_assert_msg (memcmp (r, fr, sizeof (float) * ny) == 0, "case %u: Relu epilogue", t);
      for (gsize i = 0; i < np; i++)
        ck_assert_msg (memcmp (&p[i], &fp[i], sizeof (float)) == 0,
                       "case %u: pooled %zu: %g vs %g", t, i, p[i], fp[i]);
      gboolean nan_seen = FALSE;
      for (gsize i = 0; i < ny; i++)
        nan_seen = nan_seen || isnan (y[i]);
      ck_assert (nan_seen);
    }
  pl_conv_set_algo (PL_CONV_AUTO);
}
END_TEST

START_TEST (test_fused_ok)
{
  PlConvGeom g = { .n = 2, .c = 3, .h = 8, .w = 8, .m = 4, .kh = 3, .kw = 3, .stride_h = 1,
                   .stride_w = 1, .pad_t = 1, .pad_l = 1, .pad_b = 1, .pad_r = 1, .dil_h = 1,
                   .dil_w = 1 };
  ck_assert (pl_conv_geom_finish (&g));
  PlPoolGeom pg = { .n = 2, .c = 4, .h = 8, .w = 8, .kh = 2, .kw = 2, .stride_h = 2,
                    .stride_w = 2, .dil_h = 1, .dil_w = 1 };
  ck_assert (pl_pool_geom_finish (&pg));
  ck_assert (pl_conv2d_fused_ok (&g, PL_CONV_EPI_RELU_MAXPOOL, &pg));
  ck_assert (!pl_conv2d_fused_ok (&g, PL_CONV_EPI_RELU_MAXPOOL, NULL));
  PlPoolGeom p3 = pg;   /* 3×3 windows */
  p3.kh = p3.kw = 3;
  ck_assert (pl_pool_geom_finish (&p3));
  ck_assert (!pl_conv2d_fused_ok (&g, PL_CONV_EPI_RELU_MAXPOOL, &p3));
  PlPoolGeom pc = pg;   /* another channel count */
  pc.c = 5;
  ck_assert (!pl_conv2d_fused_ok (&g, PL_CONV_EPI_RELU_MAXPOOL, &pc));
  PlConvGeom s2 = g;    /* stride 2: not the blocked kernel */
  s2.stride_h = s2.stride_w = 2;
  ck_assert (pl_conv_geom_finish (&s2));
  ck_assert (!pl_conv2d_fused_ok (&s2, PL_CONV_EPI_RELU, NULL));
  PlConvGeom odd = g;   /* 7×7 output: no 2×2 tiling */
  odd.pad_b = odd.pad_r = 0;
  ck_assert (pl_conv_geom_finish (&odd));
  PlPoolGeom po = { .n = 2, .c = 4, .h = odd.oh, .w = odd.ow, .kh = 2, .kw = 2, .stride_h = 2,
                    .stride_w = 2, .dil_h = 1, .dil_w = 1 };
  ck_assert (pl_pool_geom_finish (&po));
  ck_assert (!pl_conv2d_fused_ok (&odd, PL_CONV_EPI_RELU_MAXPOOL, &po));
  ck_assert (pl_conv2d_fused_ok (&odd, PL_CONV_EPI_RELU, NULL));
  pl_conv_set_algo (PL_CONV_IM2COL);   /* forced im2col: nothing is fused */
  ck_assert (!pl_conv2d_fused_ok (&g, PL_CONV_EPI_RELU, NULL));
  pl_conv_set_algo (PL_CONV_AUTO);
}
END_TEST

static void
add_init (PlGraph *g, const char *name, gint ndim, const gint64 *shape, double scale)
{
  g_autoptr (PlTensor) t = pl_tensor_new (ndim, shape, NULL);
  for (gint64 i = 0; i < t->numel; i++)
    t->data[i] = (float) (scale * (2.0 * urand () - 1.0));
  pl_graph_add_initializer (g, name, t);
}

static void
conv (PlGraph *g, const char *name, const char *in, const char *w, const char *b,
      const char *out)
{
  PlNode *c = pl_graph_add_node (g, "Conv", name, 3, (const char *[]) { in, w, b }, 1,
                                 (const char *[]) { out });
  pl_node_set_ints (c, "pads", 4, (gint64[]) { 1, 1, 1, 1 });
  pl_node_set_ints (c, "kernel_shape", 2, (gint64[]) { 3, 3 });
}

/* x [N, 1, 12, 12] → Conv 9 → Relu → MaxPool → Conv 6 → Relu → Flatten (216) → Gemm 5:
 * one Conv + Relu + MaxPool fusion and one Conv + Relu fusion. */
static PlGraph *
model (void)
{
  PlGraph *g = pl_graph_new ();
  g->opset = 13;
  pl_graph_add_input (g, "x", 4, (gint64[]) { -1, 1, 12, 12 });
  add_init (g, "W1", 4, (gint64[]) { 9, 1, 3, 3 }, 0.8);
  add_init (g, "B1", 1, (gint64[]) { 9 }, 0.2);
  add_init (g, "W2", 4, (gint64[]) { 6, 9, 3, 3 }, 0.5);
  add_init (g, "B2", 1, (gint64[]) { 6 }, 0.2);
  add_init (g, "W3", 2, (gint64[]) { 5, 216 }, 0.3);
  add_init (g, "B3", 1, (gint64[]) { 5 }, 0.1);
  conv (g, "conv1", "x", "W1", "B1", "c1");
  pl_graph_add_node (g, "Relu", "r1", 1, (const char *[]) { "c1" }, 1, (const char *[]) { "r1" });
  PlNode *p = pl_graph_add_node (g, "MaxPool", "p1", 1, (const char *[]) { "r1" }, 1,
                                 (const char *[]) { "p1" });
  pl_node_set_ints (p, "kernel_shape", 2, (gint64[]) { 2, 2 });
  pl_node_set_ints (p, "strides", 2, (gint64[]) { 2, 2 });
  conv (g, "conv2", "p1", "W2", "B2", "c2");
  pl_graph_add_node (g, "Relu", "r2", 1, (const char *[]) { "c2" }, 1, (const char *[]) { "r2" });
  pl_graph_add_node (g, "Flatten", "flat", 1, (const char *[]) { "r2" }, 1,
                     (const char *[]) { "f" });
  PlNode *a = pl_graph_add_node (g, "Gemm", "fc", 3, (const char *[]) { "f", "W3", "B3" }, 1,
                                 (const char *[]) { "y" });
  pl_node_set_int (a, "transB", 1);
  pl_graph_add_output (g, "y");
  ck_assert (pl_graph_validate (g, NULL));
  return g;
}

static void
check_close (const char *what, gint64 N, const PlTensor *got, const PlTensor *want)
{
  ck_assert (got != NULL && want != NULL);
  ck_assert (pl_tensor_same_shape (got, want));
  double scale = 0.0;
  for (gint64 i = 0; i < want->numel; i++)
    scale = fmax (scale, fabs (want->data[i]));
  for (gint64 i = 0; i < want->numel; i++)
    ck_assert_msg (fabs ((double) got->data[i] - want->data[i]) <= 1e-5 * (1.0 + scale),
                   "N %" G_GINT64_FORMAT ": %s[%" G_GINT64_FORMAT "] = %g, expected %g", N,
                   what, i, got->data[i], want->data[i]);
}

START_TEST (test_executor_fusion)
{
  rng_state = 5;
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = model ();
  const gint64 sizes[] = { 1, 13, 64 };   /* layer by layer; uneven micro-batches; 64 */
  gint c1 = pl_graph_find_value (g, "c1"), r1 = pl_graph_find_value (g, "r1");
  gint p1 = pl_graph_find_value (g, "p1"), c2 = pl_graph_find_value (g, "c2");
  gint r2 = pl_graph_find_value (g, "r2");
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      gint64 N = sizes[s];
      g_autoptr (PlTensor) x = pl_tensor_new (4, (gint64[]) { N, 1, 12, 12 }, NULL);
      for (gint64 i = 0; i < x->numel; i++)
        x->data[i] = (float) urand ();
      g_autoptr (PlTensor) go = pl_tensor_new (2, (gint64[]) { N, 5 }, NULL);
      for (gint64 i = 0; i < go->numel; i++)
        go->data[i] = (float) (urand () - 0.5);

      /* reference: im2col convolutions, nothing fused, every value stored */
      pl_conv_set_algo (PL_CONV_IM2COL);
      PlExecutor *ref = pl_executor_new (g, &error);
      ck_assert_msg (ref != NULL, "%s", error ? error->message : "");
      ck_assert (pl_executor_forward (ref, x, &error));
      ck_assert (pl_executor_backward (ref, go, TRUE, &error));
      pl_conv_set_algo (PL_CONV_AUTO);

      PlExecutor *ex = pl_executor_new (g, &error);
      ck_assert_msg (ex != NULL, "%s", error ? error->message : "");
      ck_assert (pl_executor_forward (ex, x, &error));
      g_autoptr (PlTensor) fused_out = pl_tensor_dup (pl_executor_output (ex, 0));
      g_autoptr (PlTensor) fused_p1 = pl_tensor_dup (pl_executor_value (ex, p1));
      check_close ("y", N, fused_out, pl_executor_output (ref, 0));
      check_close ("p1", N, fused_p1, pl_executor_value (ref, p1));
      /* the left-out values on demand: the Conv outputs and the Relu outputs */
      check_close ("c1", N, pl_executor_value (ex, c1), pl_executor_value (ref, c1));
      check_close ("r1", N, pl_executor_value (ex, r1), pl_executor_value (ref, r1));
      check_close ("c2", N, pl_executor_value (ex, c2), pl_executor_value (ref, c2));
      check_close ("r2", N, pl_executor_value (ex, r2), pl_executor_value (ref, r2));
      /* ... consistent with the fused output bit for bit */
      {
        const PlTensor *rv = pl_executor_value (ex, r1);
        PlPoolGeom pg = { .n = (gint) N, .c = 9, .h = 12, .w = 12, .kh = 2, .kw = 2,
                          .stride_h = 2, .stride_w = 2, .dil_h = 1, .dil_w = 1 };
        ck_assert (pl_pool_geom_finish (&pg));
        g_autofree float *pooled = g_new (float, fused_p1->numel);
        pl_maxpool_forward (&pg, rv->data, pooled);
        ck_assert (memcmp (pooled, fused_p1->data, sizeof (float) * fused_p1->numel) == 0);
      }
      /* backward after a fused forward */
      ck_assert_msg (pl_executor_backward (ex, go, TRUE, &error), "%s",
                     error ? error->message : "");
      check_close ("dx", N, pl_executor_input_grad (ex), pl_executor_input_grad (ref));
      check_close ("dW1", N, pl_executor_param_grad (ex, pl_graph_find_value (g, "W1")),
                   pl_executor_param_grad (ref, pl_graph_find_value (g, "W1")));
      /* once gradients were asked for, every value is kept: the same outputs */
      ck_assert (pl_executor_forward (ex, x, &error));
      const PlTensor *kept = pl_executor_output (ex, 0);
      ck_assert (memcmp (kept->data, fused_out->data, sizeof (float) * kept->numel) == 0);
      ck_assert (memcmp (pl_executor_value (ex, p1)->data, fused_p1->data,
                         sizeof (float) * fused_p1->numel) == 0);
      pl_executor_free (ex);
      pl_executor_free (ref);
    }
}
END_TEST

/* pl_executor_class_gradient_last differentiates the last (fused) forward pass: the same
 * gradient and logits, bit for bit, as pl_executor_class_gradient's own pass. */
START_TEST (test_class_gradient_last)
{
  rng_state = 9;
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = model ();
  PlExecutor *ex = pl_executor_new (g, &error);
  ck_assert_msg (ex != NULL, "%s", error ? error->message : "");
  /* nothing to differentiate yet */
  gint t1[1] = { 2 };
  ck_assert (pl_executor_class_gradient_last (ex, t1, NULL, &error) == NULL);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
  for (gint64 N = 1; N <= 9; N += 8)
    {
      g_autoptr (PlTensor) x = pl_tensor_new (4, (gint64[]) { N, 1, 12, 12 }, NULL);
      for (gint64 i = 0; i < x->numel; i++)
        x->data[i] = (float) urand ();
      g_autofree gint *targets = g_new (gint, N);
      for (gint64 i = 0; i < N; i++)
        targets[i] = (gint) (i % 5);
      ck_assert (!pl_executor_set_keep_values (ex, FALSE));
      ck_assert (pl_executor_forward (ex, x, &error));
      PlTensor *l1 = NULL, *l2 = NULL;
      g_autoptr (PlTensor) g1 = pl_executor_class_gradient_last (ex, targets, &l1, &error);
      ck_assert_msg (g1 != NULL, "%s", error ? error->message : "");
      g_autoptr (PlTensor) g2 = pl_executor_class_gradient (ex, x, targets, &l2, &error);
      ck_assert_msg (g2 != NULL, "%s", error ? error->message : "");
      ck_assert (pl_tensor_same_shape (g1, x) && pl_tensor_same_shape (g2, x));
      ck_assert (memcmp (g1->data, g2->data, sizeof (float) * g1->numel) == 0);
      ck_assert (memcmp (l1->data, l2->data, sizeof (float) * l1->numel) == 0);
      gboolean nonzero = FALSE;
      for (gint64 i = 0; i < g1->numel; i++)
        nonzero = nonzero || g1->data[i] != 0.f;
      ck_assert (nonzero);
      pl_tensor_unref (l1);
      pl_tensor_unref (l2);
      /* a target out of range */
      targets[0] = 5;
      ck_assert (pl_executor_class_gradient_last (ex, targets, NULL, &error) == NULL);
      ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
      g_clear_error (&error);
    }
  pl_executor_free (ex);
}
END_TEST

int
main (int argc, char **argv)
{
  /* an argument caps the SIMD level (0 baseline, 1 AVX2): those kernels are run too */
  if (argc > 1)
    g_setenv ("PL_SIMD_LEVEL", argv[1], TRUE);
  Suite *s = suite_create ("conv-blocked");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_blocked_reference);
  tcase_add_test (tc, test_blocked_hand);
  tcase_add_test (tc, test_epilogues_exact);
  tcase_add_test (tc, test_fused_ok);
  tcase_add_test (tc, test_executor_fusion);
  tcase_add_test (tc, test_class_gradient_last);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  gint failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
