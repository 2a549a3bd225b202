/* test-ops.c — operator kernels: hand-computed forwards and finite-difference backwards.
 *
 * Backward checks use the loss L = sum_i r_i y_i with a random r (a random linear
 * functional of the output), so dL/dy = r. The reference is the central difference
 * (L(x + h) - L(x - h)) / 2h with L summed in double. For ops that are linear in the
 * perturbed input (Conv, Gemm, Add, copies) the difference is exact up to float rounding;
 * Relu and MaxPool are checked on inputs whose entries are well away from kinks and ties.
 */
#include <check.h>
#include <math.h>
#include <string.h>
#include "ops/pl-ops.h"
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* ------------------------------------------------------------------ helpers */

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
rand_array (gsize n, double lo, double hi)
{
  float *a = g_new (float, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    a[i] = (float) (lo + (hi - lo) * urand ());
  return a;
}

typedef void (*FwdFunc) (gpointer ctx, float *out);

static double
dot (const float *r, const float *y, gsize n)
{
  double s = 0.0;
  for (gsize i = 0; i < n; i++)
    s += (double) r[i] * y[i];
  return s;
}

/* Compares analytic[i] with the central difference of L over param[i], all i. */
static void
check_fd (const char *what, FwdFunc fwd, gpointer ctx, float *param, gsize n,
          const float *analytic, const float *r, gsize n_out, float h, double tol)
{
  g_autofree float *y = g_new (float, n_out);
  for (gsize i = 0; i < n; i++)
    {
      float keep = param[i];
      param[i] = keep + h;
      fwd (ctx, y);
      double lp = dot (r, y, n_out);
      param[i] = keep - h;
      fwd (ctx, y);
      double lm = dot (r, y, n_out);
      param[i] = keep;
      double num = (lp - lm) / (2.0 * ((double) (keep + h) - (double) keep));
      ck_assert_msg (fabs (num - analytic[i]) <= tol * (1.0 + fabs (num)),
                     "%s[%zu]: analytic %g, finite difference %g", what, i,
                     (double) analytic[i], num);
    }
}

/* ------------------------------------------------------------------ Conv */

START_TEST (test_conv_forward_hand)
{
  const float x[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  const float w[4] = { 1, 2, 3, 4 };
  const float b[1] = { 1 };
  float y[9];
  float ws[256];

  PlConvGeom g = { .n = 1, .c = 1, .h = 3, .w = 3, .m = 1, .kh = 2, .kw = 2,
                   .stride_h = 1, .stride_w = 1, .dil_h = 1, .dil_w = 1 };
  ck_assert (pl_conv_geom_finish (&g));
  ck_assert_int_eq (g.oh, 2);
  ck_assert_int_eq (g.ow, 2);
  ck_assert_uint_le (pl_conv2d_workspace (&g), G_N_ELEMENTS (ws));
  pl_conv2d_forward (&g, x, w, b, y, ws);
  const float e1[4] = { 38, 48, 68, 78 };
  for (int i = 0; i < 4; i++)
    ck_assert_float_eq (y[i], e1[i]);

  /* pads 1 all round, stride 2 */
  g.pad_t = g.pad_l = g.pad_b = g.pad_r = 1;
  g.stride_h = g.stride_w = 2;
  ck_assert (pl_conv_geom_finish (&g));
  ck_assert_int_eq (g.oh, 2);
  pl_conv2d_forward (&g, x, w, b, y, ws);
  const float e2[4] = { 5, 19, 37, 78 };
  for (int i = 0; i < 4; i++)
    ck_assert_float_eq (y[i], e2[i]);

  /* asymmetric pads [top 0, left 1, bottom 1, right 0], stride 1 */
  g.pad_t = 0; g.pad_l = 1; g.pad_b = 1; g.pad_r = 0;
  g.stride_h = g.stride_w = 1;
  ck_assert (pl_conv_geom_finish (&g));
  ck_assert_int_eq (g.oh, 3);
  ck_assert_int_eq (g.ow, 3);
  pl_conv2d_forward (&g, x, w, b, y, ws);
  ck_assert_float_eq (y[0], 19);   /* 1*2 + 4*4 + 1 */
  ck_assert_float_eq (y[1], 38);   /* the unpadded first window */
  ck_assert_float_eq (y[8], 27);   /* 8*1 + 9*2 + 1 */

  /* dilation 2: a 2x2 kernel covering the corners of the 3x3 input */
  g.pad_t = g.pad_l = g.pad_b = g.pad_r = 0;
  g.dil_h = g.dil_w = 2;
  ck_assert (pl_conv_geom_finish (&g));
  ck_assert_int_eq (g.oh, 1);
  pl_conv2d_forward (&g, x, w, b, y, ws);
  ck_assert_float_eq (y[0], 1 * 1 + 3 * 2 + 7 * 3 + 9 * 4 + 1);

  /* kernel larger than the input */
  PlConvGeom bad = { .n = 1, .c = 1, .h = 2, .w = 2, .m = 1, .kh = 3, .kw = 3,
                     .stride_h = 1, .stride_w = 1, .dil_h = 1, .dil_w = 1 };
  ck_assert (!pl_conv_geom_finish (&bad));
}
END_TEST

typedef struct {
  PlConvGeom g;
  float *x, *w, *b, *ws;
} ConvCtx;

static void
conv_fwd (gpointer p, float *out)
{
  ConvCtx *c = p;
  pl_conv2d_forward (&c->g, c->x, c->w, c->b, out, c->ws);
}

static void
conv_grad_case (const PlConvGeom *geom)
{
  ConvCtx c = { .g = *geom };
  ck_assert (pl_conv_geom_finish (&c.g));
  gsize nx = (gsize) c.g.n * c.g.c * c.g.h * c.g.w;
  gsize nw = (gsize) c.g.m * c.g.c * c.g.kh * c.g.kw;
  gsize ny = (gsize) c.g.n * c.g.m * c.g.oh * c.g.ow;
  c.x = rand_array (nx, -1, 1);
  c.w = rand_array (nw, -1, 1);
  c.b = rand_array (c.g.m, -1, 1);
  c.ws = g_new (float, pl_conv2d_workspace (&c.g));
  g_autofree float *r = rand_array (ny, -1, 1);
  g_autofree float *dx = g_new0 (float, nx);
  g_autofree float *dw = g_new0 (float, nw);
  g_autofree float *db = g_new0 (float, c.g.m);
  pl_conv2d_backward (&c.g, c.x, c.w, r, dx, dw, db, c.ws);
  check_fd ("conv dX", conv_fwd, &c, c.x, nx, dx, r, ny, 1e-2f, 2e-3);
  check_fd ("conv dW", conv_fwd, &c, c.w, nw, dw, r, ny, 1e-2f, 2e-3);
  check_fd ("conv dB", conv_fwd, &c, c.b, c.g.m, db, r, ny, 1e-2f, 2e-3);

  /* accumulation: a second backward adds the same amount again */
  g_autofree float *db2 = g_memdup2 (db, sizeof (float) * c.g.m);
  pl_conv2d_backward (&c.g, c.x, c.w, r, NULL, NULL, db2, c.ws);
  for (gint i = 0; i < c.g.m; i++)
    ck_assert_float_eq_tol (db2[i], 2 * db[i], 1e-4);
  g_free (c.x); g_free (c.w); g_free (c.b); g_free (c.ws);
}

START_TEST (test_conv_backward_fd)
{
  rng_state = 11;
  PlConvGeom plain = { .n = 2, .c = 2, .h = 5, .w = 5, .m = 3, .kh = 3, .kw = 3,
                       .stride_h = 1, .stride_w = 1, .pad_t = 1, .pad_l = 1, .pad_b = 1,
                       .pad_r = 1, .dil_h = 1, .dil_w = 1 };
  conv_grad_case (&plain);
  PlConvGeom strided = { .n = 2, .c = 2, .h = 6, .w = 7, .m = 3, .kh = 3, .kw = 2,
                         .stride_h = 2, .stride_w = 3, .pad_t = 1, .pad_l = 0, .pad_b = 2,
                         .pad_r = 1, .dil_h = 1, .dil_w = 2 };
  conv_grad_case (&strided);
}
END_TEST

/* ------------------------------------------------------------------ Gemm */

START_TEST (test_gemm_forward_hand)
{
  const float A[4] = { 1, 2, 3, 4 }, B[4] = { 5, 6, 7, 8 }, Crow[2] = { 1, 2 };
  float Y[4];
  pl_gemm_forward (2, 2, 2, FALSE, FALSE, 1.f, 1.f, A, B, Crow, 1, 2, Y);
  const float e1[4] = { 20, 24, 44, 52 };
  for (int i = 0; i < 4; i++)
    ck_assert_float_eq (Y[i], e1[i]);
  /* transB: op(B) = B^T; alpha 2, beta 0.5, scalar C = 2 */
  const float Cs[1] = { 2 };
  pl_gemm_forward (2, 2, 2, FALSE, TRUE, 2.f, 0.5f, A, B, Cs, 1, 1, Y);
  const float e2[4] = { 35, 47, 79, 107 };
  for (int i = 0; i < 4; i++)
    ck_assert_float_eq (Y[i], e2[i]);
  /* transA with column C [M, 1] */
  const float Ccol[2] = { 10, 20 };
  pl_gemm_forward (2, 2, 2, TRUE, FALSE, 1.f, 1.f, A, B, Ccol, 2, 1, Y);
  /* A^T = [[1,3],[2,4]]; A^T B = [[26,30],[38,44]] */
  const float e3[4] = { 36, 40, 58, 64 };
  for (int i = 0; i < 4; i++)
    ck_assert_float_eq (Y[i], e3[i]);
  /* MatMul: no C */
  pl_gemm_forward (2, 2, 2, FALSE, FALSE, 1.f, 0.f, A, B, NULL, 0, 0, Y);
  const float e4[4] = { 19, 22, 43, 50 };
  for (int i = 0; i < 4; i++)
    ck_assert_float_eq (Y[i], e4[i]);
}
END_TEST

typedef struct {
  gint M, N, K, cm, cn;
  gboolean ta, tb;
  float alpha, beta;
  float *A, *B, *C;
} GemmCtx;

static void
gemm_fwd (gpointer p, float *out)
{
  GemmCtx *c = p;
  pl_gemm_forward (c->M, c->N, c->K, c->ta, c->tb, c->alpha, c->beta, c->A, c->B, c->C,
                   c->cm, c->cn, out);
}

START_TEST (test_gemm_backward_fd)
{
  rng_state = 23;
  const gint cshapes[4][2] = { { 1, 4 }, { 3, 1 }, { 3, 4 }, { 1, 1 } };
  for (gint t = 0; t < 4; t++)
    {
      GemmCtx c = { .M = 3, .N = 4, .K = 5, .ta = t & 1, .tb = (t >> 1) & 1,
                    .alpha = 1.5f, .beta = 0.7f, .cm = cshapes[t][0], .cn = cshapes[t][1] };
      gsize na = c.M * c.K, nb = c.K * c.N, nc = c.cm * c.cn, ny = c.M * c.N;
      c.A = rand_array (na, -1, 1);
      c.B = rand_array (nb, -1, 1);
      c.C = rand_array (nc, -1, 1);
      g_autofree float *r = rand_array (ny, -1, 1);
      g_autofree float *dA = g_new0 (float, na);
      g_autofree float *dB = g_new0 (float, nb);
      g_autofree float *dC = g_new0 (float, nc);
      pl_gemm_backward (c.M, c.N, c.K, c.ta, c.tb, c.alpha, c.beta, c.A, c.B, c.cm, c.cn, r,
                        dA, dB, dC);
      check_fd ("gemm dA", gemm_fwd, &c, c.A, na, dA, r, ny, 1e-2f, 2e-3);
      check_fd ("gemm dB", gemm_fwd, &c, c.B, nb, dB, r, ny, 1e-2f, 2e-3);
      check_fd ("gemm dC", gemm_fwd, &c, c.C, nc, dC, r, ny, 1e-2f, 2e-3);
      g_free (c.A); g_free (c.B); g_free (c.C);
    }
}
END_TEST

/* ------------------------------------------------------------------ Relu */

typedef struct { gsize n; float *x; } UnaryCtx;

static void
relu_fwd (gpointer p, float *out)
{
  UnaryCtx *c = p;
  pl_relu_forward (c->n, c->x, out);
}

START_TEST (test_relu)
{
  const float x[4] = { -2, 0, 0.5f, 3 };
  float y[4];
  pl_relu_forward (4, x, y);
  ck_assert_float_eq (y[0], 0);
  ck_assert_float_eq (y[1], 0);
  ck_assert_float_eq (y[2], 0.5f);
  ck_assert_float_eq (y[3], 3);

  rng_state = 5;
  UnaryCtx c = { 20, rand_array (20, -1, 1) };
  for (gsize i = 0; i < c.n; i++)   /* keep away from the kink at 0 */
    c.x[i] += c.x[i] >= 0 ? 0.1f : -0.1f;
  g_autofree float *r = rand_array (c.n, -1, 1);
  g_autofree float *dx = g_new0 (float, c.n);
  pl_relu_backward (c.n, c.x, r, dx);
  check_fd ("relu dX", relu_fwd, &c, c.x, c.n, dx, r, c.n, 1e-2f, 1e-3);
  g_free (c.x);
}
END_TEST

/* ------------------------------------------------------------------ MaxPool */

START_TEST (test_maxpool_forward_hand_and_ties)
{
  const float x[16] = { 1, 3, 2, 0,
                        4, 2, 1, 5,
                        0, 0, 7, 7,
                        0, 0, 7, 7 };
  PlPoolGeom g = { .n = 1, .c = 1, .h = 4, .w = 4, .kh = 2, .kw = 2, .stride_h = 2,
                   .stride_w = 2, .dil_h = 1, .dil_w = 1 };
  ck_assert (pl_pool_geom_finish (&g));
  ck_assert_int_eq (g.oh, 2);
  float y[4];
  pl_maxpool_forward (&g, x, y);
  const float e[4] = { 4, 5, 0, 7 };
  for (int i = 0; i < 4; i++)
    ck_assert_float_eq (y[i], e[i]);
  /* ties: all-zero window -> first cell (2,0); the 7s -> first cell (2,2) */
  const float dy[4] = { 1, 2, 3, 4 };
  float dx[16] = { 0 };
  pl_maxpool_backward (&g, x, y, dy, dx);
  ck_assert_float_eq (dx[4], 1);   /* the 4 */
  ck_assert_float_eq (dx[7], 2);   /* the 5 */
  ck_assert_float_eq (dx[8], 3);
  ck_assert_float_eq (dx[9], 0);
  ck_assert_float_eq (dx[12], 0);
  ck_assert_float_eq (dx[10], 4);
  ck_assert_float_eq (dx[11], 0);
  ck_assert_float_eq (dx[14], 0);
  ck_assert_float_eq (dx[15], 0);
  float total = 0;
  for (int i = 0; i < 16; i++)
    total += dx[i];
  ck_assert_float_eq (total, 10);

  /* the same ties through the general path (3x3 window, stride 3, one tie of 2s) */
  const float t9[9] = { 1, 2, 0,
                        2, 0, 2,
                        0, 1, 2 };
  PlPoolGeom g3 = { .n = 1, .c = 1, .h = 3, .w = 3, .kh = 3, .kw = 3, .stride_h = 3,
                    .stride_w = 3, .dil_h = 1, .dil_w = 1 };
  ck_assert (pl_pool_geom_finish (&g3));
  float y3[1], dy3[1] = { 5 }, dx3[9] = { 0 };
  pl_maxpool_forward (&g3, t9, y3);
  ck_assert_float_eq (y3[0], 2);
  pl_maxpool_backward (&g3, t9, y3, dy3, dx3);
  ck_assert_float_eq (dx3[1], 5);
  ck_assert_float_eq (dx3[3], 0);
  ck_assert_float_eq (dx3[5], 0);
  ck_assert_float_eq (dx3[8], 0);

  /* pads: 3x3 window, stride 1, pad 1 keeps the size; padding never wins even when the
   * input is all negative */
  const float neg[4] = { -4, -3, -2, -1 };
  PlPoolGeom p = { .n = 1, .c = 1, .h = 2, .w = 2, .kh = 3, .kw = 3, .stride_h = 1,
                   .stride_w = 1, .pad_t = 1, .pad_l = 1, .pad_b = 1, .pad_r = 1,
                   .dil_h = 1, .dil_w = 1 };
  ck_assert (pl_pool_geom_finish (&p));
  ck_assert_int_eq (p.oh, 2);
  pl_maxpool_forward (&p, neg, y);
  for (int i = 0; i < 4; i++)
    ck_assert_float_eq (y[i], -1);

  /* ceil_mode: 5 wide, kernel 2, stride 2 -> 3 outputs (2 without ceil) */
  PlPoolGeom cm = { .n = 1, .c = 1, .h = 5, .w = 5, .kh = 2, .kw = 2, .stride_h = 2,
                    .stride_w = 2, .dil_h = 1, .dil_w = 1, .ceil_mode = TRUE };
  ck_assert (pl_pool_geom_finish (&cm));
  ck_assert_int_eq (cm.oh, 3);
  cm.ceil_mode = FALSE;
  ck_assert (pl_pool_geom_finish (&cm));
  ck_assert_int_eq (cm.oh, 2);
}
END_TEST

typedef struct { PlPoolGeom g; float *x; } PoolCtx;

static void
pool_fwd (gpointer p, float *out)
{
  PoolCtx *c = p;
  pl_maxpool_forward (&c->g, c->x, out);
}

START_TEST (test_maxpool_backward_fd)
{
  rng_state = 77;
  PoolCtx c = { .g = { .n = 2, .c = 2, .h = 5, .w = 6, .kh = 3, .kw = 2, .stride_h = 2,
                       .stride_w = 1, .pad_t = 1, .pad_l = 0, .pad_b = 1, .pad_r = 1,
                       .dil_h = 1, .dil_w = 2 } };
  ck_assert (pl_pool_geom_finish (&c.g));
  gsize nx = 2 * 2 * 5 * 6, ny = (gsize) 2 * 2 * c.g.oh * c.g.ow;
  /* distinct values 0.1 apart (a shuffled ramp) so h = 1e-2 never changes a maximum */
  c.x = g_new (float, nx);
  for (gsize i = 0; i < nx; i++)
    c.x[i] = 0.1f * (float) i;
  for (gsize i = nx - 1; i > 0; i--)
    {
      gsize j = (gsize) (urand () * (i + 1));
      float t = c.x[i]; c.x[i] = c.x[j]; c.x[j] = t;
    }
  g_autofree float *y = g_new (float, ny);
  pl_maxpool_forward (&c.g, c.x, y);
  g_autofree float *r = rand_array (ny, -1, 1);
  g_autofree float *dx = g_new0 (float, nx);
  pl_maxpool_backward (&c.g, c.x, y, r, dx);
  check_fd ("maxpool dX", pool_fwd, &c, c.x, nx, dx, r, ny, 1e-2f, 2e-3);
  g_free (c.x);
}
END_TEST

/* ------------------------------------------------------------------ Add */

START_TEST (test_add_broadcast)
{
  gint nd;
  gint64 out[8];
  const gint64 a2[2] = { 2, 3 }, b1[1] = { 3 }, bad[1] = { 2 };
  ck_assert (pl_broadcast_shape (2, a2, 1, b1, &nd, out));
  ck_assert_int_eq (nd, 2);
  ck_assert_int_eq (out[0], 2);
  ck_assert_int_eq (out[1], 3);
  ck_assert (!pl_broadcast_shape (2, a2, 1, bad, &nd, out));

  const float a[6] = { 1, 2, 3, 4, 5, 6 }, b[3] = { 10, 20, 30 };
  const gint64 bsh[2] = { 1, 3 };
  float y[6];
  pl_add_forward (2, a2, a2, a, bsh, b, y);
  const float e[6] = { 11, 22, 33, 14, 25, 36 };
  for (int i = 0; i < 6; i++)
    ck_assert_float_eq (y[i], e[i]);
  float da[6] = { 0 }, db[3] = { 0 };
  const float dy[6] = { 1, 2, 3, 4, 5, 6 };
  pl_add_backward (2, a2, a2, bsh, dy, da, db);
  ck_assert_float_eq (db[0], 5);
  ck_assert_float_eq (db[1], 7);
  ck_assert_float_eq (db[2], 9);
  ck_assert_float_eq (da[5], 6);

  /* [2, 3, 4] + [3, 1] (padded to [1, 3, 1]): the bias-per-channel pattern */
  const gint64 o3[3] = { 2, 3, 4 }, c3[3] = { 1, 3, 1 };
  float x3[24], y3[24], bias[3] = { 1, 2, 3 };
  for (int i = 0; i < 24; i++)
    x3[i] = (float) i;
  pl_add_forward (3, o3, o3, x3, c3, bias, y3);
  ck_assert_float_eq (y3[0], 1);
  ck_assert_float_eq (y3[5], 7);        /* channel 1 */
  ck_assert_float_eq (y3[23], 26);      /* channel 2 */
  float g3[24], dbias[3] = { 0 };
  for (int i = 0; i < 24; i++)
    g3[i] = 1;
  pl_add_backward (3, o3, o3, c3, g3, NULL, dbias);
  for (int i = 0; i < 3; i++)
    ck_assert_float_eq (dbias[i], 8);
}
END_TEST

/* ------------------------------------------------------------------ Softmax */

typedef struct { gsize outer, d, inner; float *x; } SoftCtx;

static void
soft_fwd (gpointer p, float *out)
{
  SoftCtx *c = p;
  pl_softmax_forward (c->outer, c->d, c->inner, c->x, out);
}

START_TEST (test_softmax)
{
  const float x[2] = { 0, logf (2) };
  float y[2];
  pl_softmax_forward (1, 2, 1, x, y);
  ck_assert_float_eq_tol (y[0], 1.0 / 3, 1e-6);
  ck_assert_float_eq_tol (y[1], 2.0 / 3, 1e-6);
  /* large logits do not overflow */
  const float big[2] = { 1000, 1000 };
  pl_softmax_forward (1, 2, 1, big, y);
  ck_assert_float_eq_tol (y[0], 0.5, 1e-6);

  rng_state = 99;
  SoftCtx c = { 2, 4, 3, rand_array (24, -2, 2) };
  g_autofree float *r = rand_array (24, -1, 1);
  g_autofree float *yy = g_new (float, 24);
  g_autofree float *dx = g_new0 (float, 24);
  pl_softmax_forward (c.outer, c.d, c.inner, c.x, yy);
  for (gsize o = 0; o < 2; o++)
    for (gsize in = 0; in < 3; in++)
      {
        double s = 0;
        for (gsize k = 0; k < 4; k++)
          s += yy[o * 12 + k * 3 + in];
        ck_assert_float_eq_tol (s, 1.0, 1e-6);
      }
  pl_softmax_backward (c.outer, c.d, c.inner, yy, r, dx);
  check_fd ("softmax dX", soft_fwd, &c, c.x, 24, dx, r, 24, 1e-2f, 5e-3);
  g_free (c.x);
}
END_TEST

/* ------------------------------------------------------------------ Reshape / copy */

START_TEST (test_reshape_and_copy)
{
  const gint64 in[3] = { 2, 3, 4 };
  gint64 out[8];
  char *why = NULL;
  const gint64 r1[2] = { 0, -1 };
  ck_assert (pl_reshape_resolve (3, in, 2, r1, out, &why));
  ck_assert_int_eq (out[0], 2);
  ck_assert_int_eq (out[1], 12);
  const gint64 r2[3] = { -1, 4, 3 };
  ck_assert (pl_reshape_resolve (3, in, 3, r2, out, &why));
  ck_assert_int_eq (out[0], 2);
  const gint64 r3[2] = { -1, -1 };
  ck_assert (!pl_reshape_resolve (3, in, 2, r3, out, &why));
  ck_assert_ptr_nonnull (why);
  g_clear_pointer (&why, g_free);
  const gint64 r4[2] = { 5, -1 };
  ck_assert (!pl_reshape_resolve (3, in, 2, r4, out, &why));
  g_clear_pointer (&why, g_free);
  const gint64 r5[1] = { 25 };
  ck_assert (!pl_reshape_resolve (3, in, 1, r5, out, &why));
  g_clear_pointer (&why, g_free);

  const float x[3] = { 1, 2, 3 };
  float y[3], dx[3] = { 1, 1, 1 };
  pl_copy_forward (3, x, y);
  ck_assert_float_eq (y[2], 3);
  pl_copy_backward (3, x, dx);
  ck_assert_float_eq (dx[2], 4);
}
END_TEST

/* ------------------------------------------------------------------ priorities
 * pl_thread_set_nice lowers only the calling thread; pl_parallel_set_worker_nice lowers the
 * pool's threads when they run parts, not the caller's own part. */

#ifdef __linux__
static gint
thread_nice (void)
{
  return getpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid));
}

typedef struct {
  GThread *caller;
  gint caller_nice, other_nice, others;
  GMutex lock;
} NiceSeen;

static void
record_nice (gint part, gint n_parts, gpointer data)
{
  NiceSeen *seen = data;
  g_usleep (20000);   /* long enough for every part to land on its own thread */
  g_mutex_lock (&seen->lock);
  if (g_thread_self () == seen->caller)
    seen->caller_nice = thread_nice ();
  else
    {
      seen->others++;
      seen->other_nice = MIN (seen->other_nice, thread_nice ());
    }
  g_mutex_unlock (&seen->lock);
}

static gpointer
lower_self (gpointer unused)
{
  gint before = thread_nice ();
  gint after = pl_thread_set_nice (MAX (before, 3));
  ck_assert_int_eq (after, MAX (before, 3));
  ck_assert_int_eq (thread_nice (), after);
  ck_assert_int_eq (pl_thread_set_nice (0), after);   /* never raised back */
  return NULL;
}
#endif

START_TEST (test_parallel_nice)
{
#ifdef __linux__
  gint main_nice = thread_nice ();
  GThread *t = g_thread_new ("lower", lower_self, NULL);
  g_thread_join (t);
  ck_assert_int_eq (thread_nice (), main_nice);   /* another thread's change */
  if (pl_parallel_parts () < 2)
    return;
  pl_parallel_set_worker_nice (7);
  NiceSeen seen = { .caller = g_thread_self (), .caller_nice = -100, .other_nice = 100 };
  g_mutex_init (&seen.lock);
  pl_parallel_run (record_nice, &seen);
  pl_parallel_set_worker_nice (0);
  g_mutex_clear (&seen.lock);
  ck_assert_int_gt (seen.others, 0);
  ck_assert_int_ge (seen.other_nice, 7);
  ck_assert_int_eq (seen.caller_nice, main_nice);
  ck_assert_int_eq (thread_nice (), main_nice);
#endif
}
END_TEST

/* ------------------------------------------------------------------ large sizes
 * These sizes take the multi-threaded paths (work split between pl_parallel_parts ()
 * threads); references are naive loops in double precision. */

START_TEST (test_large_against_naive)
{
  rng_state = 4242;
  /* Gemm 64 x 128 x 200 (1.6 M multiply-adds), all transpose combinations */
  const gint M = 64, N = 128, K = 200;
  g_autofree float *A = rand_array ((gsize) M * K, -1, 1);
  g_autofree float *B = rand_array ((gsize) K * N, -1, 1);
  g_autofree float *C = rand_array (N, -1, 1);
  g_autofree float *dY = rand_array ((gsize) M * N, -1, 1);
  g_autofree float *Y = g_new (float, (gsize) M * N);
  g_autofree float *dA = g_new (float, (gsize) M * K);
  for (gint t = 0; t < 4; t++)
    {
      gboolean ta = t & 1, tb = t >> 1;
      pl_gemm_forward (M, N, K, ta, tb, 0.5f, 2.f, A, B, C, 1, N, Y);
      memset (dA, 0, sizeof (float) * M * K);
      pl_gemm_backward (M, N, K, ta, tb, 0.5f, 2.f, A, B, 1, N, dY, dA, NULL, NULL);
      for (gint i = 0; i < M; i++)
        for (gint j = 0; j < N; j++)
          {
            double acc = 0;
            for (gint k = 0; k < K; k++)
              acc += (double) A[ta ? (gsize) k * M + i : (gsize) i * K + k]
                     * B[tb ? (gsize) j * K + k : (gsize) k * N + j];
            double want = 0.5 * acc + 2.0 * C[j];
            ck_assert_msg (fabs (Y[(gsize) i * N + j] - want) < 1e-4 * (1 + fabs (want)),
                           "gemm %d Y[%d,%d] %g vs %g", t, i, j, (double) Y[i * N + j], want);
          }
      for (gint i = 0; i < M; i++)
        for (gint k = 0; k < K; k++)
          {
            double acc = 0;   /* dA' [M, K] = alpha dY op(B)^T */
            for (gint j = 0; j < N; j++)
              acc += (double) dY[(gsize) i * N + j] * B[tb ? (gsize) j * K + k : (gsize) k * N + j];
            float got = dA[ta ? (gsize) k * M + i : (gsize) i * K + k];
            ck_assert_msg (fabs (got - 0.5 * acc) < 1e-4 * (1 + fabs (acc)),
                           "gemm %d dA[%d,%d]", t, i, k);
          }
    }

  /* Relu on 100 000 elements */
  const gsize n = 100000;
  g_autofree float *x = rand_array (n, -1, 1);
  g_autofree float *y = g_new (float, n);
  g_autofree float *dy = rand_array (n, -1, 1);
  g_autofree float *dx = g_new0 (float, n);
  pl_relu_forward (n, x, y);
  pl_relu_backward (n, x, dy, dx);
  for (gsize i = 0; i < n; i++)
    {
      ck_assert_float_eq (y[i], x[i] > 0 ? x[i] : 0);
      ck_assert_float_eq (dx[i], x[i] > 0 ? dy[i] : 0);
    }

  /* MaxPool 2x2/2 on [3, 8, 64, 64] (98 304 inputs) */
  PlPoolGeom pg = { .n = 3, .c = 8, .h = 64, .w = 64, .kh = 2, .kw = 2, .stride_h = 2,
                    .stride_w = 2, .dil_h = 1, .dil_w = 1 };
  ck_assert (pl_pool_geom_finish (&pg));
  gsize nin = 3 * 8 * 64 * 64, nout = 3 * 8 * 32 * 32;
  g_autofree float *px = rand_array (nin, -1, 1);
  g_autofree float *py = g_new (float, nout);
  g_autofree float *pdy = rand_array (nout, -1, 1);
  g_autofree float *pdx = g_new0 (float, nin);
  pl_maxpool_forward (&pg, px, py);
  pl_maxpool_backward (&pg, px, py, pdy, pdx);
  for (gsize pl = 0; pl < 24; pl++)
    for (gint oh = 0; oh < 32; oh++)
      for (gint ow = 0; ow < 32; ow++)
        {
          gsize best = pl * 4096 + (gsize) (2 * oh) * 64 + 2 * ow;
          for (gint i = 0; i < 2; i++)
            for (gint j = 0; j < 2; j++)
              {
                gsize at = pl * 4096 + (gsize) (2 * oh + i) * 64 + 2 * ow + j;
                if (px[at] > px[best])
                  best = at;
              }
          gsize o = pl * 1024 + (gsize) oh * 32 + ow;
          ck_assert_float_eq (py[o], px[best]);
          ck_assert_float_eq (pdx[best], pdy[o]);
        }

  /* Conv: 5 samples (an odd split), 3 -> 4 channels, 9x9, 3x3, stride 2, pads 1/0/2/1 */
  PlConvGeom cg = { .n = 5, .c = 3, .h = 9, .w = 9, .m = 4, .kh = 3, .kw = 3,
                    .stride_h = 2, .stride_w = 2, .pad_t = 1, .pad_l = 0, .pad_b = 2,
                    .pad_r = 1, .dil_h = 1, .dil_w = 1 };
  ck_assert (pl_conv_geom_finish (&cg));
  gsize ncx = 5 * 3 * 81, ncw = 4 * 3 * 9, ncy = (gsize) 5 * 4 * cg.oh * cg.ow;
  g_autofree float *cx = rand_array (ncx, -1, 1);
  g_autofree float *cw = rand_array (ncw, -1, 1);
  g_autofree float *cb = rand_array (4, -1, 1);
  g_autofree float *cy = g_new (float, ncy);
  g_autofree float *cws = g_new (float, pl_conv2d_workspace (&cg));
  pl_conv2d_forward (&cg, cx, cw, cb, cy, cws);
  for (gint s = 0; s < 5; s++)
    for (gint m = 0; m < 4; m++)
      for (gint oh = 0; oh < cg.oh; oh++)
        for (gint ow = 0; ow < cg.ow; ow++)
          {
            double acc = cb[m];
            for (gint c = 0; c < 3; c++)
              for (gint i = 0; i < 3; i++)
                for (gint j = 0; j < 3; j++)
                  {
                    gint ih = oh * 2 - 1 + i, iw = ow * 2 + j;
                    if (ih >= 0 && ih < 9 && iw >= 0 && iw < 9)
                      acc += (double) cx[((s * 3 + c) * 9 + ih) * 9 + iw]
                             * cw[((m * 3 + c) * 3 + i) * 3 + j];
                  }
            float got = cy[((gsize) (s * 4 + m) * cg.oh + oh) * cg.ow + ow];
            ck_assert_msg (fabs (got - acc) < 1e-5 * (1 + fabs (acc)), "conv y %g vs %g",
                           (double) got, acc);
          }
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("ops");
  TCase *tc = tcase_create ("ops");
  tcase_add_test (tc, test_conv_forward_hand);
  tcase_add_test (tc, test_conv_backward_fd);
  tcase_add_test (tc, test_gemm_forward_hand);
  tcase_add_test (tc, test_gemm_backward_fd);
  tcase_add_test (tc, test_relu);
  tcase_add_test (tc, test_maxpool_forward_hand_and_ties);
  tcase_add_test (tc, test_maxpool_backward_fd);
  tcase_add_test (tc, test_add_broadcast);
  tcase_add_test (tc, test_softmax);
  tcase_add_test (tc, test_reshape_and_copy);
  tcase_add_test (tc, test_large_against_naive);
  tcase_add_test (tc, test_parallel_nice);   /* last: it lowers the pool's threads */
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
