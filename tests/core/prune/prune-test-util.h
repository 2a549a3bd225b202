/* prune-test-util.h — small helpers shared by the pruning tests (header-only). */
#pragma once

#include <check.h>
#include <math.h>
#include <string.h>

#include "prune/pl-prune.h"
#include "exec/pl-executor.h"
#include "pl-error.h"

G_GNUC_UNUSED static PlTensor *
tu_tensor (gint ndim, const gint64 *shape, const float *data)
{
  PlTensor *t = pl_tensor_new (ndim, shape, NULL);
  if (data)
    memcpy (t->data, data, (gsize) t->numel * sizeof (float));
  return t;
}

/* An initializer of uniform values in [lo, hi) from rand. */
G_GNUC_UNUSED static void
tu_init_random (PlGraph *g, GRand *rand, const char *name, gint ndim, const gint64 *shape,
                double lo, double hi)
{
  g_autoptr (PlTensor) t = pl_tensor_new (ndim, shape, NULL);
  for (gint64 i = 0; i < t->numel; i++)
    t->data[i] = (float) g_rand_double_range (rand, lo, hi);
  pl_graph_add_initializer (g, name, t);
}

G_GNUC_UNUSED static void
tu_init (PlGraph *g, const char *name, gint ndim, const gint64 *shape, const float *data)
{
  g_autoptr (PlTensor) t = tu_tensor (ndim, shape, data);
  pl_graph_add_initializer (g, name, t);
}

G_GNUC_UNUSED static PlNode *
tu_node (PlGraph *g, const char *op, const char *name, const char *in0, const char *in1,
         const char *in2, const char *out)
{
  const char *ins[3] = { in0, in1, in2 };
  gint n = in2 ? 3 : in1 ? 2 : 1;
  const char *outs[1] = { out };
  return pl_graph_add_node (g, op, name, n, ins, 1, outs);
}

/* Output 0 of graph on input (new tensor). */
G_GNUC_UNUSED static PlTensor *
tu_run (PlGraph *g, const PlTensor *input)
{
  GError *error = NULL;
  PlExecutor *ex = pl_executor_new (g, &error);
  ck_assert_msg (ex != NULL, "executor: %s", error ? error->message : "");
  ck_assert_msg (pl_executor_forward (ex, input, &error), "forward: %s",
                 error ? error->message : "");
  PlTensor *out = pl_tensor_dup (pl_executor_output (ex, 0));
  pl_executor_free (ex);
  return out;
}

G_GNUC_UNUSED static void
tu_assert_close (const PlTensor *a, const PlTensor *b, double tol)
{
  ck_assert (pl_tensor_same_shape (a, b));
  for (gint64 i = 0; i < a->numel; i++)
    ck_assert_msg (fabs ((double) a->data[i] - b->data[i]) <= tol * MAX (1.0, fabs (a->data[i])),
                   "element %" G_GINT64_FORMAT ": %.8g vs %.8g", i, a->data[i], b->data[i]);
}

G_GNUC_UNUSED static const PlValue *
tu_value (const PlGraph *g, const char *name)
{
  gint id = pl_graph_find_value (g, name);
  ck_assert_msg (id >= 0, "no value %s", name);
  return pl_graph_value (g, id);
}

G_GNUC_UNUSED static PlTensor *
tu_random_input (GRand *rand, gint ndim, const gint64 *shape)
{
  PlTensor *t = pl_tensor_new (ndim, shape, NULL);
  for (gint64 i = 0; i < t->numel; i++)
    t->data[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
  return t;
}
