/* test-ops-conv.c — the convolution kernels (direct, im2col per sample, im2col over chunks
 * of samples, 1x1) against a naive double-precision reference on random geometries:
 * odd sizes, strides, dilations, asymmetric pads, groups; forward, input gradient (which
 * the direct kernels compute) and weight / bias gradients (im2col path). Backward
 * accumulates, so gradient buffers start non-zero. */
#include <check.h>
#include <math.h>
#include <string.h>
#include "ops/pl-ops.h"

static guint64 rng_state = 7;

static double
urand (void)
{
  guint64 z = (rng_state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  z ^= z >> 31;
  return (double) (z >> 11) / 9007199254740992.0;
}

static gint
irand (gint lo, gint hi)   /* [lo, hi] */
{
  return lo + (gint) (urand () * (hi - lo + 1));
}

static float *
rand_array (gsize n)
{
  float *a = g_new (float, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    a[i] = (float) (2.0 * urand () - 1.0);
  return a;
}

/* Naive reference for one group geometry g with `groups` groups: y = conv (x, w) + b;
 * dx = conv^T (dy), dw, db, all in double. Any output pointer may be NULL. */
static void
reference (const PlConvGeom *g, gint groups, const float *x, const float *w, const float *b,
           const float *dy, double *y, double *dx, double *dw, double *db)
{
  const gint C = g->c * groups, M = g->m * groups;
  for (gint n = 0; n < g->n; n++)
    for (gint mo = 0; mo < M; mo++)
      {
        gint gi = mo / g->m;
        for (gint oh = 0; oh < g->oh; oh++)
          for (gint ow = 0; ow < g->ow; ow++)
            {
              gsize yi = (((gsize) n * M + mo) * g->oh + oh) * g->ow + ow;
              double s = b != NULL ? b[mo] : 0.0;
              double gy = dy != NULL ? dy[yi] : 0.0;
              for (gint c = 0; c < g->c; c++)
                for (gint i = 0; i < g->kh; i++)
                  for (gint j = 0; j < g->kw; j++)
                    {
                      gint ih = oh * g->stride_h - g->pad_t + i * g->dil_h;
                      gint iw = ow * g->stride_w - g->pad_l + j * g->dil_w;
                      if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w)
                        continue;
                      gsize xi = (((gsize) n * C + gi * g->c + c) * g->h + ih) * g->w + iw;
                      gsize wi = (((gsize) mo * g->c + c) * g->kh + i) * g->kw + j;
                      s += (double) w[wi] * x[xi];
                      if (dx != NULL)
                        dx[xi] += (double) w[wi] * gy;
                      if (dw != NULL)
                        dw[wi] += (double) x[xi] * gy;
                    }
              if (y != NULL)
                y[yi] = s;
              if (db != NULL)
                db[mo] += gy;
            }
      }
}

static void
check_close (const char *what, const char *label, const float *got, const double *want,
             gsize n, double tol)
{
  /* one assertion per array: Check's per-assertion bookkeeping is slow */
  gsize bad = n;
  for (gsize i = 0; i < n && bad == n; i++)
    if (!(fabs (got[i] - want[i]) <= tol * (1.0 + fabs (want[i]))))
      bad = i;
  ck_assert_msg (bad == n, "%s, %s[%zu]: got %.7g, expected %.7g", label, what, bad,
                 bad < n ? (double) got[bad] : 0.0, bad < n ? want[bad] : 0.0);
}

/* Runs one geometry through every algorithm. */
static void
check_geometry (PlConvGeom g, gint groups)
{
  ck_assert (pl_conv_geom_finish (&g));
  const gint C = g.c * groups, M = g.m * groups;
  const gsize nx = (gsize) g.n * C * g.h * g.w, ny = (gsize) g.n * M * g.oh * g.ow;
  const gsize nw = (gsize) M * g.c * g.kh * g.kw;
  g_autofree float *x = rand_array (nx);
  g_autofree float *w = rand_array (nw);
  g_autofree float *b = rand_array (M);
  g_autofree float *dy = rand_array (ny);
  g_autofree float *dx0 = rand_array (nx);
  g_autofree float *dw0 = rand_array (nw);
  g_autofree float *db0 = rand_array (M);
  g_autofree double *ry = g_new0 (double, ny);
  g_autofree double *rdx = g_new0 (double, nx);
  g_autofree double *rdw = g_new0 (double, nw);
  g_autofree double *rdb = g_new0 (double, M);
  reference (&g, groups, x, w, b, dy, ry, rdx, rdw, rdb);
  for (gsize i = 0; i < nx; i++)
    rdx[i] += dx0[i];
  for (gsize i = 0; i < nw; i++)
    rdw[i] += dw0[i];
  for (gint i = 0; i < M; i++)
    rdb[i] += db0[i];
  g_autofree char *label = g_strdup_printf (
      "n %d c %d m %d groups %d h %d w %d k %dx%d stride %d,%d dil %d,%d pads %d,%d,%d,%d",
      g.n, C, M, groups, g.h, g.w, g.kh, g.kw, g.stride_h, g.stride_w, g.dil_h, g.dil_w,
      g.pad_t, g.pad_l, g.pad_b, g.pad_r);
  const double tol = 2e-5 * (g.c * g.kh * g.kw + g.m);
  const PlConvAlgo algos[] = { PL_CONV_AUTO, PL_CONV_IM2COL, PL_CONV_DIRECT, PL_CONV_BLOCKED };
  for (guint a = 0; a < G_N_ELEMENTS (algos); a++)
    {
      pl_conv_set_algo (algos[a]);
      g_autofree float *y = g_new (float, ny);
      g_autofree float *y2 = g_new (float, ny);
      g_autofree float *dx = g_memdup2 (dx0, sizeof (float) * nx);
      g_autofree float *dx_only = g_memdup2 (dx0, sizeof (float) * nx);
      g_autofree float *dw = g_memdup2 (dw0, sizeof (float) * nw);
      g_autofree float *db = g_memdup2 (db0, sizeof (float) * M);
      g_autofree char *l = g_strdup_printf ("algo %u, %s", a, label);
      if (groups == 1)
        {
          g_autofree float *ws = g_new (float, MAX (pl_conv2d_workspace (&g), 1));
          pl_conv2d_forward (&g, x, w, b, y, ws);
          pl_conv2d_forward (&g, x, w, b, y2, ws);
          pl_conv2d_backward (&g, x, w, dy, dx_only, NULL, NULL, ws);
          pl_conv2d_backward (&g, x, w, dy, dx, dw, db, ws);
        }
      else
        {
          pl_conv2d_grouped_forward (&g, groups, x, w, b, y);
          pl_conv2d_grouped_forward (&g, groups, x, w, b, y2);
          pl_conv2d_grouped_backward (&g, groups, x, w, dy, dx_only, NULL, NULL);
          pl_conv2d_grouped_backward (&g, groups, x, w, dy, dx, dw, db);
        }
      check_close ("y", l, y, ry, ny, tol);
      ck_assert_msg (memcmp (y, y2, sizeof (float) * ny) == 0, "%s: not deterministic", l);
      check_close ("dx (input gradient only)", l, dx_only, rdx, nx, tol);
      check_close ("dx", l, dx, rdx, nx, tol);
      check_close ("dw", l, dw, rdw, nw, tol);
      check_close ("db", l, db, rdb, M, tol);
    }
  pl_conv_set_algo (PL_CONV_AUTO);
}

START_TEST (test_conv_model_layers)
{
  /* the default model's two convolutions, batch 1 and 5 */
  for (gint n = 1; n <= 5; n += 4)
    {
      check_geometry ((PlConvGeom) { .n = n, .c = 1, .h = 28, .w = 28, .m = 16, .kh = 3,
                                     .kw = 3, .stride_h = 1, .stride_w = 1, .pad_t = 1,
                                     .pad_l = 1, .pad_b = 1, .pad_r = 1, .dil_h = 1,
                                     .dil_w = 1 }, 1);
      check_geometry ((PlConvGeom) { .n = n, .c = 16, .h = 14, .w = 14, .m = 32, .kh = 3,
                                     .kw = 3, .stride_h = 1, .stride_w = 1, .pad_t = 1,
                                     .pad_l = 1, .pad_b = 1, .pad_r = 1, .dil_h = 1,
                                     .dil_w = 1 }, 1);
    }
  /* a pointwise (1x1) convolution on a large plane: sgemm straight on the input */
  check_geometry ((PlConvGeom) { .n = 3, .c = 5, .h = 17, .w = 19, .m = 7, .kh = 1, .kw = 1,
                                 .stride_h = 1, .stride_w = 1, .dil_h = 1, .dil_w = 1 }, 1);
  /* RGB first layer with stride 2 and asymmetric padding */
  check_geometry ((PlConvGeom) { .n = 2, .c = 3, .h = 31, .w = 29, .m = 8, .kh = 3, .kw = 3,
                                 .stride_h = 2, .stride_w = 2, .pad_t = 1, .pad_l = 0,
                                 .pad_b = 0, .pad_r = 1, .dil_h = 1, .dil_w = 1 }, 1);
}
END_TEST

START_TEST (test_conv_random_geometries)
{
  gint done = 0;
  for (gint trial = 0; done < 60 && trial < 1000; trial++)
    {
      PlConvGeom g = {
        .n = irand (1, 3), .c = irand (1, 5), .m = irand (1, 6), .h = irand (1, 13),
        .w = irand (1, 13), .kh = irand (1, 4), .kw = irand (1, 4),
        .stride_h = irand (1, 3), .stride_w = irand (1, 3), .dil_h = irand (1, 2),
        .dil_w = irand (1, 2), .pad_t = irand (0, 2), .pad_l = irand (0, 2),
        .pad_b = irand (0, 2), .pad_r = irand (0, 2),
      };
      gint groups = trial % 4 == 3 ? irand (2, 3) : 1;
      PlConvGeom probe = g;
      if (!pl_conv_geom_finish (&probe))
        continue;
      check_geometry (g, groups);
      done++;
    }
  ck_assert_int_eq (done, 60);
}
END_TEST

/* A large batch of small planes goes through the chunked im2col path, and large planes
 * with many channels through the per-sample path. */
START_TEST (test_conv_chunk_paths)
{
  check_geometry ((PlConvGeom) { .n = 37, .c = 9, .h = 7, .w = 6, .m = 11, .kh = 3, .kw = 3,
                                 .stride_h = 1, .stride_w = 1, .pad_t = 1, .pad_l = 1,
                                 .pad_b = 1, .pad_r = 1, .dil_h = 1, .dil_w = 1 }, 1);
  check_geometry ((PlConvGeom) { .n = 3, .c = 6, .h = 23, .w = 21, .m = 5, .kh = 3, .kw = 2,
                                 .stride_h = 1, .stride_w = 1, .pad_t = 2, .pad_l = 0,
                                 .pad_b = 1, .pad_r = 1, .dil_h = 2, .dil_w = 1 }, 1);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("ops-conv");
  TCase *tc = tcase_create ("conv");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_conv_model_layers);
  tcase_add_test (tc, test_conv_random_geometries);
  tcase_add_test (tc, test_conv_chunk_paths);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
