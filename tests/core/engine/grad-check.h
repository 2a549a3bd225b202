/* grad-check.h — shared by the engine's gradient tests (test-ops2.c, test-grad.c):
 * building one-node graphs, random inputs, and the central finite-difference check of
 * every gradient the executor returns. Loss L = sum_i r_i y_i (output 0) with random r, so
 * dL/dy = r; reference (L(v + h) - L(v - h)) / 2h summed in double, h = 1e-2; tolerance
 * |analytic - numeric| <= 5e-3 (1 + |numeric|). Static functions: include once per test.
 */
#pragma once

#include <check.h>
#include <math.h>
#include <string.h>
#include "exec/pl-executor.h"
#include "pl-error.h"

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

/* Values in [lo, hi] at least 0.05 apart from each other is not needed everywhere; this
 * keeps |v| >= 0.1 so that kinks at 0 are not crossed by the finite difference. */
static void
fill (PlTensor *t, double lo, double hi)
{
  for (gint64 i = 0; i < t->numel; i++)
    {
      double v = lo + (hi - lo) * urand ();
      if (lo < 0 && hi > 0 && fabs (v) < 0.1)
        v = v < 0 ? v - 0.1 : v + 0.1;
      t->data[i] = (float) v;
    }
}

static PlTensor *
tensor (gint nd, const gint64 *shape, const float *data)
{
  PlTensor *t = pl_tensor_new (nd, shape, NULL);
  if (data != NULL)
    memcpy (t->data, data, sizeof (float) * t->numel);
  return t;
}

static PlTensor *
rand_tensor (gint nd, const gint64 *shape, double lo, double hi)
{
  PlTensor *t = pl_tensor_new (nd, shape, NULL);
  fill (t, lo, hi);
  return t;
}

static PlGraph *
graph (gint64 opset)
{
  PlGraph *g = pl_graph_new ();
  g->opset = opset;
  return g;
}

static void
init (PlGraph *g, const char *name, PlTensor *t)
{
  pl_graph_add_initializer (g, name, t);
  pl_tensor_unref (t);
}

/* Node from comma-separated input names ("" for an omitted input) and one output "y". */
static PlNode *
node (PlGraph *g, const char *op, const char *inputs)
{
  g_auto (GStrv) in = g_strsplit (inputs, ",", -1);
  const char *out[] = { "y" };
  PlNode *n = pl_graph_add_node (g, op, "n1", (gint) g_strv_length (in),
                                 (const char *const *) in, 1, out);
  pl_graph_add_output (g, "y");
  return n;
}

/* Runs forward on the graph's data inputs; returns a copy of output 0. */
static PlTensor *
run (PlGraph *g, gint n, PlTensor **inputs)
{
  g_autoptr (GError) error = NULL;
  PlExecutor *ex = pl_executor_new (g, &error);
  ck_assert_msg (ex != NULL, "%s", error ? error->message : "");
  ck_assert_msg (pl_executor_forward_multi (ex, n, (const PlTensor *const *) inputs, &error),
                 "%s", error ? error->message : "");
  PlTensor *y = pl_tensor_dup (pl_executor_output (ex, 0));
  pl_executor_free (ex);
  return y;
}

static void
expect (const PlTensor *y, gint nd, const gint64 *shape, const float *want, double tol)
{
  g_autofree char *ys = pl_tensor_shape_string (y->ndim, y->shape);
  g_autofree char *ws = pl_tensor_shape_string (nd, shape);
  ck_assert_msg (y->ndim == nd && memcmp (y->shape, shape, sizeof (gint64) * nd) == 0,
                 "shape %s, expected %s", ys, ws);
  for (gint64 i = 0; i < y->numel; i++)
    ck_assert_msg (fabs (y->data[i] - want[i]) <= tol, "element %" G_GINT64_FORMAT
                   ": %g, expected %g", i, (double) y->data[i], (double) want[i]);
}

static double
loss (PlExecutor *ex, gint n, PlTensor **inputs, const PlTensor *r)
{
  ck_assert (pl_executor_forward_multi (ex, n, (const PlTensor *const *) inputs, NULL));
  const PlTensor *y = pl_executor_output (ex, 0);
  double s = 0.0;
  for (gint64 i = 0; i < y->numel; i++)
    s += (double) r->data[i] * y->data[i];
  return s;
}

static void
fd_compare (const char *what, PlExecutor *ex, gint n, PlTensor **inputs, const PlTensor *r,
            float *v, gint64 count, const PlTensor *analytic)
{
  const float h = 1e-2f;
  ck_assert_msg (analytic != NULL, "%s: no gradient", what);
  g_autofree float *a = g_memdup2 (analytic->data, sizeof (float) * count);
  for (gint64 i = 0; i < count; i++)
    {
      float keep = v[i];
      v[i] = keep + h;
      double lp = loss (ex, n, inputs, r);
      v[i] = keep - h;
      double lm = loss (ex, n, inputs, r);
      v[i] = keep;
      double num = (lp - lm) / (2.0 * h);
      ck_assert_msg (fabs (num - a[i]) <= 5e-3 * (1.0 + fabs (num)),
                     "%s[%" G_GINT64_FORMAT "]: analytic %g, finite difference %g", what, i,
                     (double) a[i], num);
    }
}

/* Gradient check of every data input and every parameter of g. Returns the number of
 * tensors checked. */
static gint
check_grads (PlGraph *g, gint n, PlTensor **inputs)
{
  g_autoptr (GError) error = NULL;
  PlExecutor *ex = pl_executor_new (g, &error);
  ck_assert_msg (ex != NULL, "%s", error ? error->message : "");
  ck_assert (pl_executor_forward_multi (ex, n, (const PlTensor *const *) inputs, &error));
  const PlTensor *y = pl_executor_output (ex, 0);
  g_autoptr (PlTensor) r = rand_tensor (y->ndim, y->shape, -1, 1);
  ck_assert_msg (pl_executor_backward (ex, r, TRUE, &error), "%s",
                 error ? error->message : "");
  /* copies: the next forward passes invalidate the executor's buffers */
  g_autoptr (GPtrArray) grads = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_tensor_unref);
  for (gint i = 0; i < n; i++)
    {
      const PlTensor *gi = pl_executor_value_grad (ex, g_array_index (g->inputs, gint, i));
      ck_assert_msg (gi != NULL, "no gradient for input %d", i);
      g_ptr_array_add (grads, pl_tensor_dup (gi));
    }
  g_autoptr (GArray) params = g_array_new (FALSE, FALSE, sizeof (gint));
  for (guint v = 0; v < g->values->len; v++)
    {
      const PlTensor *pg = pl_executor_param_grad (ex, (gint) v);
      if (pg == NULL)
        continue;
      g_array_append_val (params, v);
      g_ptr_array_add (grads, pl_tensor_dup (pg));
    }
  gint checked = 0;
  for (gint i = 0; i < n; i++, checked++)
    {
      g_autofree char *what = g_strdup_printf ("d input %d", i);
      fd_compare (what, ex, n, inputs, r, inputs[i]->data, inputs[i]->numel,
                  grads->pdata[i]);
    }
  for (guint j = 0; j < params->len; j++, checked++)
    {
      PlValue *pv = pl_graph_value (g, g_array_index (params, gint, j));
      g_autofree char *what = g_strdup_printf ("d %s", pv->name);
      fd_compare (what, ex, n, inputs, r, pv->init->data, pv->init->numel,
                  grads->pdata[n + j]);
    }
  pl_executor_free (ex);
  return checked;
}

#define S(...) ((const gint64[]) { __VA_ARGS__ })
#define F(...) ((const float[]) { __VA_ARGS__ })
