/* test-fused-backward.c — the fused kernels and the one-pass head backward (speed, second
 * round): pl_maxpool_backward_set (written, optionally through the Relu before it) and
 * pl_maxpool_relu_forward equal the separate kernels exactly, ties included; and
 * pl_executor_forward_backward_head gives the head gradient of the plain layer-by-layer
 * backward (within float rounding), every row once, the plain logits, and refuses what it
 * must refuse. */
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

/* Values on a coarse grid in [-1, 1] (many exact ties, many zeros after a Relu). */
static void
fill_grid (float *x, gsize n)
{
  for (gsize i = 0; i < n; i++)
    x[i] = (float) (floor (urand () * 9.0) - 4.0) / 4.0f;
}

START_TEST (test_pool_kernels)
{
  rng_state = 11;
  /* widths with and without a partial 8-window block; one plane and several */
  const gint sizes[][3] = { { 1, 28, 28 }, { 3, 14, 14 }, { 2, 2, 34 }, { 5, 6, 18 },
                            { 1, 16, 16 } };
  for (guint t = 0; t < G_N_ELEMENTS (sizes); t++)
    {
      PlPoolGeom g = { .n = 2, .c = sizes[t][0], .h = sizes[t][1], .w = sizes[t][2],
                       .kh = 2, .kw = 2, .stride_h = 2, .stride_w = 2, .dil_h = 1,
                       .dil_w = 1 };
      ck_assert (pl_pool_geom_finish (&g));
      ck_assert (pl_maxpool_backward_set_ok (&g));
      gsize nx = (gsize) g.n * g.c * g.h * g.w, ny = (gsize) g.n * g.c * g.oh * g.ow;
      g_autofree float *z = g_new (float, nx);
      g_autofree float *r = g_new (float, nx);
      g_autofree float *y = g_new (float, ny);
      g_autofree float *y2 = g_new (float, ny);
      g_autofree float *dy = g_new (float, ny);
      g_autofree float *dr = g_new0 (float, nx);
      g_autofree float *dz = g_new0 (float, nx);
      g_autofree float *set = g_new (float, nx);
      fill_grid (z, nx);
      for (gsize i = 0; i < ny; i++)
        dy[i] = (float) (urand () + 0.5);
      pl_relu_forward (nx, z, r);

      /* forward: MaxPool (Relu (z)) in one pass */
      pl_maxpool_forward (&g, r, y);
      pl_maxpool_relu_forward (&g, z, y2);
      for (gsize i = 0; i < ny; i++)
        ck_assert_msg (y[i] == y2[i], "size %u: pooled %zu: %g vs %g", t, i, y[i], y2[i]);

      /* backward of the pool alone: written = accumulated into zeros */
      pl_maxpool_backward (&g, r, y, dy, dr);
      for (gsize i = 0; i < nx; i++)
        set[i] = NAN;   /* every cell must be written */
      pl_maxpool_backward_set (&g, r, y, dy, FALSE, set);
      for (gsize i = 0; i < nx; i++)
        ck_assert_msg (set[i] == dr[i], "size %u: pool cell %zu: %g vs %g", t, i, set[i],
                       dr[i]);

      /* through the Relu: x = the Relu's output or its input give the same */
      pl_relu_backward (nx, z, dr, dz);
      for (gint pass = 0; pass < 2; pass++)
        {
          for (gsize i = 0; i < nx; i++)
            set[i] = NAN;
          pl_maxpool_backward_set (&g, pass == 0 ? r : z, y, dy, TRUE, set);
          for (gsize i = 0; i < nx; i++)
            ck_assert_msg (set[i] == dz[i], "size %u pass %d: relu cell %zu: %g vs %g", t,
                           pass, i, set[i], dz[i]);
        }
      /* hand-checked window: ties go to the first cell (row-major) */
      PlPoolGeom one = { .n = 1, .c = 1, .h = 2, .w = 2, .kh = 2, .kw = 2, .stride_h = 2,
                         .stride_w = 2, .dil_h = 1, .dil_w = 1 };
      ck_assert (pl_pool_geom_finish (&one));
      const float x4[4] = { 0.5f, 2.f, -1.f, 2.f }, y1 = 2.f, d1 = 3.f;
      float out[4];
      pl_maxpool_backward_set (&one, x4, &y1, &d1, FALSE, out);
      ck_assert (out[0] == 0.f && out[1] == 3.f && out[2] == 0.f && out[3] == 0.f);
      const float neg[4] = { -0.5f, -2.f, -1.f, -3.f }, y0 = 0.f;
      pl_maxpool_backward_set (&one, neg, &y0, &d1, TRUE, out);
      ck_assert (out[0] == 0.f && out[1] == 0.f && out[2] == 0.f && out[3] == 0.f);
    }
  /* not a tiling 2×2 pool */
  PlPoolGeom odd = { .n = 1, .c = 1, .h = 5, .w = 4, .kh = 2, .kw = 2, .stride_h = 2,
                     .stride_w = 2, .dil_h = 1, .dil_w = 1 };
  ck_assert (pl_pool_geom_finish (&odd));
  ck_assert (!pl_maxpool_backward_set_ok (&odd));
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

static PlNode *
pool (PlGraph *g, const char *name, const char *in, const char *out)
{
  PlNode *p = pl_graph_add_node (g, "MaxPool", name, 1, (const char *[]) { in }, 1,
                                 (const char *[]) { out });
  pl_node_set_ints (p, "kernel_shape", 2, (gint64[]) { 2, 2 });
  pl_node_set_ints (p, "strides", 2, (gint64[]) { 2, 2 });
  return p;
}

static PlNode *
conv (PlGraph *g, const char *name, const char *in, const char *w, const char *b,
      const char *out)
{
  PlNode *c = pl_graph_add_node (g, "Conv", name, 3, (const char *[]) { in, w, b }, 1,
                                 (const char *[]) { out });
  pl_node_set_ints (c, "pads", 4, (gint64[]) { 1, 1, 1, 1 });
  pl_node_set_ints (c, "kernel_shape", 2, (gint64[]) { 3, 3 });
  return c;
}

/* x [N, 1, 12, 12] → Conv 4 → Relu → MaxPool → Conv 6 → Relu → MaxPool → Flatten (54)
 * → Gemm 7 → Relu → Gemm 5: the default model's layout, small. */
static PlGraph *
two_block_model (void)
{
  PlGraph *g = pl_graph_new ();
  g->opset = 13;
  pl_graph_add_input (g, "x", 4, (gint64[]) { -1, 1, 12, 12 });
  add_init (g, "W1", 4, (gint64[]) { 4, 1, 3, 3 }, 0.8);
  add_init (g, "B1", 1, (gint64[]) { 4 }, 0.2);
  add_init (g, "W2", 4, (gint64[]) { 6, 4, 3, 3 }, 0.5);
  add_init (g, "B2", 1, (gint64[]) { 6 }, 0.2);
  add_init (g, "W3", 2, (gint64[]) { 7, 54 }, 0.4);
  add_init (g, "B3", 1, (gint64[]) { 7 }, 0.2);
  add_init (g, "W4", 2, (gint64[]) { 5, 7 }, 0.6);
  add_init (g, "B4", 1, (gint64[]) { 5 }, 0.1);
  conv (g, "conv1", "x", "W1", "B1", "c1");
  pl_graph_add_node (g, "Relu", "r1", 1, (const char *[]) { "c1" }, 1, (const char *[]) { "r1" });
  pool (g, "p1", "r1", "p1");
  conv (g, "conv2", "p1", "W2", "B2", "c2");
  pl_graph_add_node (g, "Relu", "r2", 1, (const char *[]) { "c2" }, 1, (const char *[]) { "r2" });
  pool (g, "p2", "r2", "p2");
  pl_graph_add_node (g, "Flatten", "flat", 1, (const char *[]) { "p2" }, 1,
                     (const char *[]) { "f" });
  PlNode *a = pl_graph_add_node (g, "Gemm", "fc1", 3, (const char *[]) { "f", "W3", "B3" }, 1,
                                 (const char *[]) { "h" });
  pl_node_set_int (a, "transB", 1);
  pl_graph_add_node (g, "Relu", "r3", 1, (const char *[]) { "h" }, 1, (const char *[]) { "r3" });
  PlNode *b = pl_graph_add_node (g, "Gemm", "fc2", 3, (const char *[]) { "r3", "W4", "B4" }, 1,
                                 (const char *[]) { "y" });
  pl_node_set_int (b, "transB", 1);
  pl_graph_add_output (g, "y");
  ck_assert (pl_graph_validate (g, NULL));
  return g;
}

typedef struct {
  const PlTensor *head;   /* [N, head] to hand out */
  float *grad;            /* [N, head] collected */
  gint *seen;             /* per row: times given to consume */
  gint64 H;
} Collect;

static void
fill_rows (gint64 first, gint64 count, float *head, gpointer data)
{
  const Collect *c = data;
  memcpy (head, c->head->data + first * c->H, sizeof (float) * (gsize) (count * c->H));
}

static void
consume_rows (gint part, gint64 first, gint64 count, const float *grad, gpointer data)
{
  Collect *c = data;
  ck_assert_int_ge (part, 0);
  ck_assert_int_lt (part, pl_parallel_parts ());
  memcpy (c->grad + first * c->H, grad, sizeof (float) * (gsize) (count * c->H));
  for (gint64 r = first; r < first + count; r++)
    g_atomic_int_inc (&c->seen[r]);
}

START_TEST (test_forward_backward_head)
{
  rng_state = 3;
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = two_block_model ();
  PlExecutor *ex = pl_executor_new (g, &error);
  ck_assert_msg (ex != NULL, "%s", error ? error->message : "");
  gint head = pl_executor_head_value (ex);
  ck_assert_int_ge (head, 0);
  const gint64 N = 13;   /* several micro-batches, uneven */
  g_autoptr (PlTensor) x = pl_tensor_new (4, (gint64[]) { N, 1, 12, 12 }, NULL);
  fill_grid (x->data, (gsize) x->numel);
  g_autofree gint *targets = g_new (gint, N);
  for (gint64 r = 0; r < N; r++)
    targets[r] = (gint) (r % 5);

  /* the plain layer-by-layer pass: forward, backward of the targets' scores */
  ck_assert (pl_executor_forward (ex, x, &error));
  g_autoptr (PlTensor) logits = pl_tensor_dup (pl_executor_output (ex, 0));
  g_autoptr (PlTensor) go = pl_tensor_new_like (logits);
  for (gint64 r = 0; r < N; r++)
    go->data[r * 5 + targets[r]] = 1.f;
  ck_assert (pl_executor_backward (ex, go, FALSE, &error));
  g_autoptr (PlTensor) want = pl_tensor_dup (pl_executor_value_grad (ex, head));
  ck_assert (want != NULL);
  gint64 H = want->numel / N;

  g_autoptr (PlTensor) hx = pl_executor_head_linear (ex, x, TRUE, &error);
  ck_assert_msg (hx != NULL, "%s", error ? error->message : "");
  g_autofree float *grad = g_new (float, want->numel);
  g_autofree gint *seen = g_new0 (gint, N);
  Collect c = { hx, grad, seen, H };
  for (gint round = 0; round < 2; round++)   /* the second reuses the plan and scratch */
    {
      memset (seen, 0, sizeof (gint) * N);
      ck_assert_msg (pl_executor_forward_backward_head (ex, x, fill_rows, &c, targets,
                                                        consume_rows, &c, &error),
                     "%s", error ? error->message : "");
      for (gint64 r = 0; r < N; r++)
        ck_assert_int_eq (seen[r], 1);
      double scale = 0.0;
      for (gint64 i = 0; i < want->numel; i++)
        scale = fmax (scale, fabs (want->data[i]));
      ck_assert (scale > 0.0);
      for (gint64 i = 0; i < want->numel; i++)
        ck_assert_msg (fabs ((double) grad[i] - want->data[i]) <= 1e-5 * scale,
                       "head gradient %" G_GINT64_FORMAT ": %g vs %g", i, grad[i],
                       want->data[i]);
      const PlTensor *out = pl_executor_output (ex, 0);
      ck_assert (out != NULL);
      for (gint64 i = 0; i < logits->numel; i++)
        ck_assert (fabs ((double) out->data[i] - logits->data[i])
                   <= 1e-5 * (1.0 + fabs (logits->data[i])));
    }
  /* intermediate values are gone, and a backward needs a new forward */
  gint relu1 = pl_graph_find_value (g, "r1");
  ck_assert_int_ge (relu1, 0);
  ck_assert (pl_executor_value (ex, relu1) == NULL);
  ck_assert (!pl_executor_backward (ex, go, FALSE, &error));
  g_clear_error (&error);

  /* after an ordinary pass everything is there again */
  ck_assert (pl_executor_forward (ex, x, &error));
  ck_assert (pl_executor_value (ex, relu1) != NULL);
  ck_assert (pl_executor_backward (ex, go, FALSE, &error));
  const PlTensor *again = pl_executor_value_grad (ex, head);
  for (gint64 i = 0; i < want->numel; i++)
    ck_assert (again->data[i] == want->data[i]);

  /* a target out of range is an error naming the sample */
  targets[4] = 5;
  ck_assert (!pl_executor_forward_backward_head (ex, x, fill_rows, &c, targets, consume_rows,
                                                 &c, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  ck_assert (strstr (error->message, "sample 4") != NULL);
  pl_executor_free (ex);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("fused-backward");
  TCase *tc = tcase_create ("fused");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_pool_kernels);
  tcase_add_test (tc, test_forward_backward_head);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  gint failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
