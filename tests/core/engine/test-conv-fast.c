/* test-conv-fast.c — the speed paths of the engine against naive double references:
 * convolutions whose one-sample chunks use the padded im2col / col2im (stride_w 1, planes
 * of ≥ 64 outputs: strides, dilations, asymmetric pads, rows shorter and longer than the
 * 16-float copy blocks), the branch-free 2×2 max-pool gradient (ties go to the first
 * maximum, NaN), and the micro-batch backward (gradients zeroed chunk by chunk) against
 * the layer-by-layer pass. */
#include <check.h>
#include <math.h>
#include <string.h>
#include "ops/pl-ops.h"
#include "exec/pl-executor.h"
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

static void
reference (const PlConvGeom *g, const float *x, const float *w, const float *b,
           const float *dy, double *y, double *dx, double *dw)
{
  for (gint n = 0; n < g->n; n++)
    for (gint m = 0; m < g->m; m++)
      for (gint oh = 0; oh < g->oh; oh++)
        for (gint ow = 0; ow < g->ow; ow++)
          {
            gsize yi = (((gsize) n * g->m + m) * g->oh + oh) * g->ow + ow;
            double s = b[m];
            for (gint c = 0; c < g->c; c++)
              for (gint i = 0; i < g->kh; i++)
                for (gint j = 0; j < g->kw; j++)
                  {
                    gint ih = oh * g->stride_h - g->pad_t + i * g->dil_h;
                    gint iw = ow * g->stride_w - g->pad_l + j * g->dil_w;
                    if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w)
                      continue;
                    gsize xi = (((gsize) n * g->c + c) * g->h + ih) * g->w + iw;
                    gsize wi = (((gsize) m * g->c + c) * g->kh + i) * g->kw + j;
                    s += (double) w[wi] * x[xi];
                    dx[xi] += (double) w[wi] * dy[yi];
                    dw[wi] += (double) x[xi] * dy[yi];
                  }
            y[yi] = s;
          }
}

static void
check_close (const char *what, const PlConvGeom *g, const float *got, const double *want,
             gsize n)
{
  gsize bad = n;
  for (gsize i = 0; i < n && bad == n; i++)
    if (!(fabs (got[i] - want[i]) <= 2e-5 * (1.0 + fabs (want[i]))))
      bad = i;
  ck_assert_msg (bad == n, "%s[%zu]: got %.7g, expected %.7g (n %d c %d %dx%d m %d k %dx%d "
                 "stride %d,%d dil %d,%d pads %d,%d,%d,%d)", what, bad,
                 bad < n ? (double) got[bad] : 0.0, bad < n ? want[bad] : 0.0, g->n, g->c,
                 g->h, g->w, g->m, g->kh, g->kw, g->stride_h, g->stride_w, g->dil_h,
                 g->dil_w, g->pad_t, g->pad_l, g->pad_b, g->pad_r);
}

static void
check_geometry (PlConvGeom g)
{
  ck_assert (pl_conv_geom_finish (&g));
  const gsize nx = (gsize) g.n * g.c * g.h * g.w, ny = (gsize) g.n * g.m * g.oh * g.ow;
  const gsize nw = (gsize) g.m * g.c * g.kh * g.kw;
  g_autofree float *x = rand_array (nx), *w = rand_array (nw), *b = rand_array (g.m);
  g_autofree float *dy = rand_array (ny);
  g_autofree double *y = g_new0 (double, ny), *dx = g_new0 (double, nx);
  g_autofree double *dw = g_new0 (double, nw);
  reference (&g, x, w, b, dy, y, dx, dw);
  /* NaN-filled workspace: any read of scratch that is not written first shows up */
  gsize nws = pl_conv2d_workspace (&g);
  g_autofree float *ws = g_new (float, nws);
  for (gsize i = 0; i < nws; i++)
    ws[i] = NAN;
  g_autofree float *yf = g_new (float, ny), *dxf = g_new0 (float, nx);
  g_autofree float *dwf = g_new0 (float, nw), *dx2 = g_new0 (float, nx);
  pl_conv2d_forward (&g, x, w, b, yf, ws);
  check_close ("y", &g, yf, y, ny);
  pl_conv2d_backward (&g, x, w, dy, dxf, dwf, NULL, ws);
  check_close ("dx", &g, dxf, dx, nx);
  check_close ("dw", &g, dwf, dw, nw);
  /* input gradient alone (the explain path) accumulates onto what dx holds */
  for (gsize i = 0; i < nx; i++)
    dx2[i] = 1.f;
  pl_conv2d_backward (&g, x, w, dy, dx2, NULL, NULL, ws);
  for (gsize i = 0; i < nx; i++)
    dx[i] += 1.0;
  check_close ("dx (accumulated)", &g, dx2, dx, nx);
}

START_TEST (test_padded_im2col)
{
  rng_state = 42;
  pl_conv_set_algo (PL_CONV_IM2COL);
  /* the default model's conv2 */
  check_geometry ((PlConvGeom) { .n = 3, .c = 16, .h = 14, .w = 14, .m = 8, .kh = 5, .kw = 5,
                                 .stride_h = 1, .stride_w = 1, .pad_t = 2, .pad_l = 2,
                                 .pad_b = 2, .pad_r = 2, .dil_h = 1, .dil_w = 1 });
  /* rows longer than a block (OW 37), stride_h 2, dilation, asymmetric pads */
  check_geometry ((PlConvGeom) { .n = 2, .c = 3, .h = 20, .w = 37, .m = 4, .kh = 3, .kw = 4,
                                 .stride_h = 2, .stride_w = 1, .pad_t = 0, .pad_l = 3,
                                 .pad_b = 2, .pad_r = 1, .dil_h = 2, .dil_w = 3 });
  /* exactly one block per row, no padding */
  check_geometry ((PlConvGeom) { .n = 2, .c = 2, .h = 10, .w = 18, .m = 3, .kh = 3, .kw = 3,
                                 .stride_h = 1, .stride_w = 1, .dil_h = 1, .dil_w = 1 });
  /* 1-row outputs from 1-D style input (h 1) */
  check_geometry ((PlConvGeom) { .n = 2, .c = 4, .h = 1, .w = 90, .m = 5, .kh = 1, .kw = 7,
                                 .stride_h = 1, .stride_w = 1, .pad_l = 3, .pad_r = 3,
                                 .dil_h = 1, .dil_w = 1 });
  for (gint t = 0; t < 25; t++)
    {
      PlConvGeom g = { 0 };
      g.n = 1 + (gint) (urand () * 3);
      g.c = 1 + (gint) (urand () * 4);
      g.m = 1 + (gint) (urand () * 5);
      g.kh = 1 + (gint) (urand () * 4);
      g.kw = 1 + (gint) (urand () * 4);
      g.stride_h = 1 + (gint) (urand () * 2);
      g.stride_w = 1;
      g.dil_h = 1 + (gint) (urand () * 2);
      g.dil_w = 1 + (gint) (urand () * 2);
      g.pad_t = (gint) (urand () * 3);
      g.pad_b = (gint) (urand () * 3);
      g.pad_l = (gint) (urand () * 3);
      g.pad_r = (gint) (urand () * 3);
      g.h = 8 + (gint) (urand () * 14);
      g.w = 8 + (gint) (urand () * 30);
      if (!pl_conv_geom_finish (&g))
        continue;
      check_geometry (g);
    }
  pl_conv_set_algo (PL_CONV_AUTO);
}
END_TEST

START_TEST (test_maxpool_ties)
{
  /* one plane 4×6 → 2×3 outputs; windows: a distinct max in the 2nd cell; a tie of all
   * four (the first wins); a tie of the two lower cells (the 3rd wins); NaN in the first
   * cell (the forward keeps a NaN first cell, and a NaN max can only come from there);
   * a negative max; a tie of the 2nd and 3rd cells (the 2nd wins). dx starts at 0.5:
   * the gradient accumulates. */
  const float x[24] = {
    0, 5,   1, 1,   0, 0,
    1, 2,   1, 1,   4, 4,
    NAN, 1, -1, -2, 3, 7,
    0, 0,   -2, -3, 7, 1,
  };
  PlPoolGeom g = { .n = 1, .c = 1, .h = 4, .w = 6, .kh = 2, .kw = 2, .stride_h = 2,
                   .stride_w = 2, .dil_h = 1, .dil_w = 1 };
  ck_assert (pl_pool_geom_finish (&g));
  float y[6], dx[24];
  pl_maxpool_forward (&g, x, y);
  const float dy[6] = { 1, 2, 3, 4, 5, 6 };
  for (gint i = 0; i < 24; i++)
    dx[i] = 0.5f;
  pl_maxpool_backward (&g, x, y, dy, dx);
  float want[24];
  for (gint i = 0; i < 24; i++)
    want[i] = 0.5f;
  want[1] += 1;        /* 5 */
  want[2] += 2;        /* tie of 1s: first */
  want[10] += 3;       /* 4, 4 in the second row: the first (row-major) */
  want[12] += 4;       /* NaN */
  want[14] += 5;       /* -1 */
  want[17] += 6;       /* 7 at (2, 5) comes before 7 at (3, 4) */
  for (gint i = 0; i < 24; i++)
    ck_assert_msg (dx[i] == want[i], "dx[%d] = %g, expected %g", i, dx[i], want[i]);
}
END_TEST

/* x [N, 1, 12, 12] → Conv 1→4 3×3 pad 1 → Relu → MaxPool 2 → Conv 4→6 3×3 → Relu → Flatten
 * → Gemm 96 → 3: input gradients with micro-batches and layer by layer agree, twice in a
 * row (the second backward reuses buffers holding the first one's gradients). */
START_TEST (test_micro_backward)
{
  rng_state = 9;
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = pl_graph_new ();
  g->opset = 13;
  pl_graph_add_input (g, "x", 4, (gint64[]) { -1, 1, 12, 12 });
  struct { const char *name; gint nd; gint64 shape[4]; } inits[] = {
    { "W1", 4, { 4, 1, 3, 3 } }, { "B1", 1, { 4 } }, { "W2", 4, { 6, 4, 3, 3 } },
    { "B2", 1, { 6 } }, { "W3", 2, { 96, 3 } },
  };
  for (guint i = 0; i < G_N_ELEMENTS (inits); i++)
    {
      g_autoptr (PlTensor) t = pl_tensor_new (inits[i].nd, inits[i].shape, NULL);
      for (gint64 k = 0; k < t->numel; k++)
        t->data[k] = (float) (urand () - 0.5);
      pl_graph_add_initializer (g, inits[i].name, t);
    }
  PlNode *c1 = pl_graph_add_node (g, "Conv", "c1", 3, (const char *[]) { "x", "W1", "B1" }, 1,
                                  (const char *[]) { "a" });
  pl_node_set_ints (c1, "pads", 4, (gint64[]) { 1, 1, 1, 1 });
  pl_graph_add_node (g, "Relu", "r1", 1, (const char *[]) { "a" }, 1, (const char *[]) { "b" });
  PlNode *p = pl_graph_add_node (g, "MaxPool", "p", 1, (const char *[]) { "b" }, 1,
                                 (const char *[]) { "c" });
  pl_node_set_ints (p, "kernel_shape", 2, (gint64[]) { 2, 2 });
  pl_node_set_ints (p, "strides", 2, (gint64[]) { 2, 2 });
  pl_graph_add_node (g, "Conv", "c2", 3, (const char *[]) { "c", "W2", "B2" }, 1,
                     (const char *[]) { "d" });
  pl_graph_add_node (g, "Relu", "r2", 1, (const char *[]) { "d" }, 1, (const char *[]) { "e" });
  pl_graph_add_node (g, "Flatten", "f", 1, (const char *[]) { "e" }, 1,
                     (const char *[]) { "f" });
  pl_graph_add_node (g, "Gemm", "fc", 2, (const char *[]) { "f", "W3" }, 1,
                     (const char *[]) { "y" });
  pl_graph_add_output (g, "y");
  ck_assert (pl_graph_validate (g, NULL));

  gint64 N = 19;
  g_autoptr (PlTensor) x = pl_tensor_new (4, (gint64[]) { N, 1, 12, 12 }, NULL);
  for (gint64 i = 0; i < x->numel; i++)
    x->data[i] = (float) urand ();
  g_autofree gint *targets = g_new (gint, N);
  for (gint64 r = 0; r < N; r++)
    targets[r] = (gint) (r % 3);

  PlExecutor *ex = pl_executor_new (g, &error);
  ck_assert_msg (ex != NULL, "%s", error ? error->message : "");
  g_autoptr (PlTensor) g1 = pl_executor_class_gradient (ex, x, targets, NULL, &error);
  g_autoptr (PlTensor) g2 = pl_executor_class_gradient (ex, x, targets, NULL, &error);
  ck_assert (g1 != NULL && g2 != NULL);
  pl_executor_free (ex);
  g_setenv ("PL_NO_MICRO_BATCH", "1", TRUE);
  ex = pl_executor_new (g, &error);
  g_autoptr (PlTensor) ref = pl_executor_class_gradient (ex, x, targets, NULL, &error);
  pl_executor_free (ex);
  g_unsetenv ("PL_NO_MICRO_BATCH");
  ck_assert (ref != NULL);
  for (gint64 i = 0; i < ref->numel; i++)
    {
      ck_assert_msg (fabs (g1->data[i] - ref->data[i]) <= 1e-6 * (1 + fabs (ref->data[i])),
                     "gradient %" G_GINT64_FORMAT ": %g vs %g", i, g1->data[i], ref->data[i]);
      ck_assert (g2->data[i] == g1->data[i]);
    }
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("conv-fast");
  TCase *tc = tcase_create ("fast");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_padded_im2col);
  tcase_add_test (tc, test_maxpool_ties);
  tcase_add_test (tc, test_micro_backward);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_set_fork_status (sr, CK_NOFORK);
  srunner_run_all (sr, CK_NORMAL);
  gint failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
