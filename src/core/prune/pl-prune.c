/* pl-prune.c — unstructured magnitude pruning (Han et al., NeurIPS 2015).
 *
 * The k weights of smallest |w| are found in O(n): a quickselect gives the k-th smallest
 * magnitude T; every weight with |w| < T is pruned, then weights with |w| == T in
 * position order until k are pruned. That is exactly the ranking by (|w|, position)
 * documented in pl-prune.h. NaN weights rank as +∞ (pruned last).
 */
#include "prune/pl-prune.h"
#include "prune/pl-prune-private.h"
#include "pl-error.h"

#include <float.h>
#include <math.h>
#include <string.h>

gint64
pl_prune_count (gint64 total, double sparsity)
{
  if (total <= 0 || isnan (sparsity) || sparsity <= 0.0)
    return 0;
  if (sparsity >= 1.0)
    return total;
  double x = sparsity * (double) total;
  /* Round half up; a few ulps of slack so that e.g. 0.35 × 10 counts as 3.5. */
  double r = floor (x + 0.5 + x * 4.0 * DBL_EPSILON);
  return CLAMP ((gint64) r, 0, total);
}

static inline float
magnitude (float w)
{
  return isnan (w) ? INFINITY : fabsf (w);
}

/* The k-th smallest (0-based) of a[0..n) by quickselect (Hoare partition, median of 3);
 * a is reordered. Shared with pl-prune-config.c (pl-prune-private.h). */
float
pl_prune_select_kth (float *a, gint64 n, gint64 k)
{
  gint64 lo = 0, hi = n - 1;
  while (hi > lo)
    {
      gint64 mid = lo + (hi - lo) / 2;
      float x = a[lo], y = a[mid], z = a[hi];
      float pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
      gint64 i = lo, j = hi;
      while (i <= j)
        {
          while (a[i] < pivot)
            i++;
          while (a[j] > pivot)
            j--;
          if (i <= j)
            {
              float t = a[i];
              a[i] = a[j];
              a[j] = t;
              i++;
              j--;
            }
        }
      if (k <= j)
        hi = j;
      else if (k >= i)
        lo = i;
      else
        return a[k];
    }
  return a[k];
}

typedef struct {
  PlTensor *weight;   /* borrowed */
  PlTensor *mask;     /* new, owned by the caller */
} Layer;

/* Prunes the k smallest of the weights of layers[0..n_layers) (in that position order). */
static void
prune_smallest (Layer *layers, gint n_layers, gint64 k)
{
  gint64 total = 0;
  for (gint l = 0; l < n_layers; l++)
    total += layers[l].weight->numel;
  for (gint l = 0; l < n_layers; l++)
    for (gint64 i = 0; i < layers[l].mask->numel; i++)
      layers[l].mask->data[i] = 1.0f;
  if (k <= 0 || total == 0)
    return;

  float threshold = INFINITY;
  if (k < total)
    {
      float *mags = g_new (float, total);
      gint64 o = 0;
      for (gint l = 0; l < n_layers; l++)
        for (gint64 i = 0; i < layers[l].weight->numel; i++)
          mags[o++] = magnitude (layers[l].weight->data[i]);
      threshold = pl_prune_select_kth (mags, total, k - 1);
      g_free (mags);
    }

  /* First everything strictly below the threshold, then ties in position order. */
  gint64 pruned = 0;
  for (gint l = 0; l < n_layers; l++)
    {
      const float *w = layers[l].weight->data;
      float *m = layers[l].mask->data;
      for (gint64 i = 0; i < layers[l].weight->numel; i++)
        if (magnitude (w[i]) < threshold)
          {
            m[i] = 0.0f;
            pruned++;
          }
    }
  for (gint l = 0; l < n_layers && pruned < k; l++)
    {
      const float *w = layers[l].weight->data;
      float *m = layers[l].mask->data;
      for (gint64 i = 0; i < layers[l].weight->numel && pruned < k; i++)
        if (m[i] != 0.0f && magnitude (w[i]) <= threshold)
          {
            m[i] = 0.0f;
            pruned++;
          }
    }
  for (gint l = 0; l < n_layers; l++)
    {
      float *w = layers[l].weight->data;
      const float *m = layers[l].mask->data;
      for (gint64 i = 0; i < layers[l].weight->numel; i++)
        if (m[i] == 0.0f)
          w[i] = 0.0f;
    }
}

PlGraph *
pl_prune_magnitude (const PlGraph *graph, double sparsity, PlPruneScope scope, GError **error)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!(sparsity >= 0.0 && sparsity <= 1.0))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Sparsity must be between 0 and 1 (a share of the weights); got %g",
                   sparsity);
      return NULL;
    }
  if (scope != PL_PRUNE_SCOPE_GLOBAL && scope != PL_PRUNE_SCOPE_LAYERWISE)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "Unknown pruning scope %d", (int) scope);
      return NULL;
    }

  g_autoptr (GArray) ids = pl_graph_prunable_weights (graph);
  if (ids == NULL || ids->len == 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The model “%s” has no prunable weights (no Conv, Gemm or MatMul node "
                   "with a weight initializer)",
                   graph->name ? graph->name : "");
      return NULL;
    }

  /* A weight shared by several nodes is one layer (first occurrence). */
  for (guint a = 0; a < ids->len; a++)
    for (guint b = a + 1; b < ids->len;)
      if (g_array_index (ids, gint, b) == g_array_index (ids, gint, a))
        g_array_remove_index (ids, b);
      else
        b++;

  g_autoptr (PlGraph) copy = pl_graph_copy (graph);
  gint n_layers = (gint) ids->len;
  g_autofree Layer *layers = g_new0 (Layer, n_layers);
  for (gint l = 0; l < n_layers; l++)
    {
      PlValue *value = pl_graph_value (copy, g_array_index (ids, gint, l));
      if (value->init == NULL)
        {
          for (gint j = 0; j < l; j++)
            pl_tensor_unref (layers[j].mask);
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "Weight “%s” is listed as prunable but has no initializer",
                       value->name);
          return NULL;
        }
      layers[l].weight = value->init;
      layers[l].mask = pl_tensor_new_like (value->init);
    }

  if (scope == PL_PRUNE_SCOPE_GLOBAL)
    {
      gint64 total = 0;
      for (gint l = 0; l < n_layers; l++)
        total += layers[l].weight->numel;
      prune_smallest (layers, n_layers, pl_prune_count (total, sparsity));
    }
  else
    {
      for (gint l = 0; l < n_layers; l++)
        prune_smallest (&layers[l], 1, pl_prune_count (layers[l].weight->numel, sparsity));
    }

  for (gint l = 0; l < n_layers; l++)
    {
      PlValue *value = pl_graph_value (copy, g_array_index (ids, gint, l));
      g_clear_pointer (&value->mask, pl_tensor_unref);
      value->mask = layers[l].mask;   /* ownership moves to the graph */
    }
  return g_steal_pointer (&copy);
}
