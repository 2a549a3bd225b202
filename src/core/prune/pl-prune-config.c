/* pl-prune-config.c — configurable pruning (criteria, granularities, scope, protection,
 * overrides). See pl-prune.h for the definitions and sources. */
#include "prune/pl-prune-private.h"
#include "exec/pl-executor.h"
#include "pl-error.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- config -------------------------------------------------------------------------- */

PlPruneConfig *
pl_prune_config_new (void)
{
  PlPruneConfig *c = g_new0 (PlPruneConfig, 1);
  c->criterion = PL_PRUNE_CRITERION_MAGNITUDE;
  c->seed = 1;
  c->calibration_samples = 64;
  c->granularity = PL_PRUNE_GRANULARITY_UNSTRUCTURED;
  c->nm_n = 2;
  c->nm_m = 4;
  c->scope = PL_PRUNE_SCOPE_GLOBAL;
  c->overrides = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return c;
}

PlPruneConfig *
pl_prune_config_copy (const PlPruneConfig *config)
{
  g_return_val_if_fail (config != NULL, NULL);
  PlPruneConfig *c = pl_prune_config_new ();
  GHashTable *ov = c->overrides;
  *c = *config;
  c->overrides = ov;
  c->calibration = config->calibration ? pl_dataset_ref (config->calibration) : NULL;
  c->protected_layers = g_strdupv (config->protected_layers);
  if (config->overrides != NULL)
    {
      GHashTableIter it;
      gpointer k, v;
      g_hash_table_iter_init (&it, config->overrides);
      while (g_hash_table_iter_next (&it, &k, &v))
        g_hash_table_insert (ov, g_strdup (k), g_memdup2 (v, sizeof (double)));
    }
  return c;
}

void
pl_prune_config_free (PlPruneConfig *config)
{
  if (config == NULL)
    return;
  g_clear_pointer (&config->calibration, pl_dataset_unref);
  g_strfreev (config->protected_layers);
  g_clear_pointer (&config->overrides, g_hash_table_unref);
  g_free (config);
}

void
pl_prune_config_set_calibration (PlPruneConfig *config, PlDataset *dataset, gint64 start,
                                 gint64 n_samples)
{
  g_return_if_fail (config != NULL);
  if (dataset)
    pl_dataset_ref (dataset);
  g_clear_pointer (&config->calibration, pl_dataset_unref);
  config->calibration = dataset;
  config->calibration_start = start;
  config->calibration_samples = n_samples;
}

void
pl_prune_config_set_protected (PlPruneConfig *config, const char *const *names)
{
  g_return_if_fail (config != NULL);
  g_strfreev (config->protected_layers);
  config->protected_layers = g_strdupv ((char **) names);
}

gboolean
pl_prune_config_target_is_weight_share (const PlPruneConfig *config)
{
  if (config == NULL || config->granularity == PL_PRUNE_GRANULARITY_NM)
    return FALSE;
  return !(config->granularity == PL_PRUNE_GRANULARITY_CHANNELS
           && config->scope == PL_PRUNE_SCOPE_LAYERWISE);
}

void
pl_prune_config_set_override (PlPruneConfig *config, const char *layer, double sparsity)
{
  g_return_if_fail (config != NULL && layer != NULL);
  if (config->overrides == NULL)
    config->overrides = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (sparsity < 0.0)
    g_hash_table_remove (config->overrides, layer);
  else
    g_hash_table_insert (config->overrides, g_strdup (layer), g_memdup2 (&sparsity, sizeof sparsity));
}

char *
pl_prune_config_describe (const PlPruneConfig *config)
{
  g_return_val_if_fail (config != NULL, NULL);
  static const char *const crit[] = { "magnitude", "random", "Taylor", "L1 norm", "L2 norm" };
  GString *s = g_string_new (NULL);
  if ((guint) config->criterion < G_N_ELEMENTS (crit))
    g_string_append (s, crit[config->criterion]);
  if (config->criterion == PL_PRUNE_CRITERION_RANDOM)
    g_string_append_printf (s, " (seed %" G_GUINT64_FORMAT ")", config->seed);
  if (config->criterion == PL_PRUNE_CRITERION_TAYLOR)
    g_string_append_printf (s, " (%" G_GINT64_FORMAT " samples)", config->calibration_samples);
  if (config->granularity == PL_PRUNE_GRANULARITY_NM)
    g_string_append_printf (s, ", %d:%d", config->nm_n, config->nm_m);
  else
    g_string_append (s, config->granularity == PL_PRUNE_GRANULARITY_CHANNELS ? ", channels"
                                                                            : ", unstructured");
  g_string_append (s, config->scope == PL_PRUNE_SCOPE_LAYERWISE ? ", layer-wise" : ", global");
  return g_string_free (s, FALSE);
}

static const PlNode *
node_with_weight (const PlGraph *g, gint weight_id)
{
  for (guint i = 0; i < g->nodes->len; i++)
    {
      const PlNode *n = g_ptr_array_index (g->nodes, i);
      if (n->n_inputs > 1 && n->inputs[1] == weight_id
          && (g_str_equal (n->op_type, "Conv") || g_str_equal (n->op_type, "Gemm")
              || g_str_equal (n->op_type, "MatMul")))
        return n;
    }
  return NULL;
}

char **
pl_prune_default_protected (const PlGraph *graph)
{
  g_return_val_if_fail (graph != NULL, NULL);
  const PlNode *first_conv = NULL, *last_fc = NULL;
  for (guint i = 0; i < graph->nodes->len; i++)
    {
      const PlNode *n = g_ptr_array_index (graph->nodes, i);
      if (n->n_inputs < 2 || n->inputs[1] < 0 || pl_graph_value (graph, n->inputs[1])->init == NULL)
        continue;
      if (first_conv == NULL && g_str_equal (n->op_type, "Conv"))
        first_conv = n;
      if (g_str_equal (n->op_type, "Gemm") || g_str_equal (n->op_type, "MatMul"))
        last_fc = n;
    }
  GPtrArray *names = g_ptr_array_new ();
  if (first_conv)
    g_ptr_array_add (names, g_strdup (pl_chan_layer_name (graph, first_conv)));
  if (last_fc)
    g_ptr_array_add (names, g_strdup (pl_chan_layer_name (graph, last_fc)));
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

/* ---- layers and scores --------------------------------------------------------------- */

typedef struct {
  gint weight_id;
  const PlNode *node;       /* in the copy */
  const char *name;         /* node or weight name */
  const char *weight_name;
  gboolean protected_;
  double override;          /* < 0: none */
  PlTensor *weight;         /* borrowed from the copy */
  float *score;             /* per weight */
  PlTensor *mask;           /* new */
} Layer;

static gboolean
names_layer (const Layer *l, const char *name)
{
  return g_strcmp0 (name, l->name) == 0 || g_strcmp0 (name, l->weight_name) == 0;
}

static inline float
safe_score (float s)
{
  return isnan (s) ? INFINITY : s;
}


/* Masks the k smallest scores of layers[0..n) ranked by (score, position). */
static void
mask_smallest (Layer **layers, gint n, gint64 k)
{
  gint64 total = 0;
  for (gint l = 0; l < n; l++)
    total += layers[l]->weight->numel;
  if (k <= 0 || total == 0)
    return;
  float threshold = INFINITY;
  if (k < total)
    {
      float *all = g_new (float, total);
      gint64 o = 0;
      for (gint l = 0; l < n; l++)
        for (gint64 i = 0; i < layers[l]->weight->numel; i++)
          all[o++] = layers[l]->score[i];
      threshold = pl_prune_select_kth (all, total, k - 1);
      g_free (all);
    }
  gint64 pruned = 0;
  for (gint l = 0; l < n; l++)
    for (gint64 i = 0; i < layers[l]->weight->numel; i++)
      if (layers[l]->score[i] < threshold)
        {
          layers[l]->mask->data[i] = 0.0f;
          pruned++;
        }
  for (gint l = 0; l < n && pruned < k; l++)
    for (gint64 i = 0; i < layers[l]->weight->numel && pruned < k; i++)
      if (layers[l]->mask->data[i] != 0.0f && layers[l]->score[i] <= threshold)
        {
          layers[l]->mask->data[i] = 0.0f;
          pruned++;
        }
}

/* N:M along the input axis of the layer's weight. */
static void
mask_nm (Layer *l, gint keep_n, gint m)
{
  const PlTensor *w = l->weight;
  gint axis = pl_chan_weight_in_axis (l->node);
  if (axis >= w->ndim)
    axis = w->ndim - 1;
  gint64 outer = 1, inner = 1, len = w->shape[axis];
  for (gint d = 0; d < axis; d++)
    outer *= w->shape[d];
  for (gint d = axis + 1; d < w->ndim; d++)
    inner *= w->shape[d];
  gboolean *kept = g_new (gboolean, m);
  for (gint64 o = 0; o < outer; o++)
    for (gint64 i = 0; i < inner; i++)
      for (gint64 k0 = 0; k0 < len; k0 += m)
        {
          gint r = (gint) MIN ((gint64) m, len - k0);
          for (gint j = 0; j < r; j++)
            kept[j] = FALSE;
          for (gint pick = 0; pick < MIN (keep_n, r); pick++)
            {
              gint best = -1;
              for (gint j = 0; j < r; j++)
                {
                  gint64 idx = (o * len + k0 + j) * inner + i;
                  if (!kept[j] && (best < 0 || l->score[idx] > l->score[(o * len + k0 + best) * inner + i]))
                    best = j;
                }
              kept[best] = TRUE;
            }
          for (gint j = 0; j < r; j++)
            if (!kept[j])
              l->mask->data[(o * len + k0 + j) * inner + i] = 0.0f;
        }
  g_free (kept);
}

/* Taylor scores Σ_n |w · ∂ℓ_n/∂w| into the layers' score arrays. */
static gboolean
taylor_scores (PlGraph *copy, const PlPruneConfig *config, Layer *layers, gint n_layers,
               const PlProgress *progress, GError **error)
{
  const PlDataset *ds = config->calibration;
  if (ds == NULL || config->calibration_samples <= 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The Taylor criterion needs calibration samples: choose a dataset and a "
                   "number of samples (at least 1)");
      return FALSE;
    }
  if (config->calibration_start < 0 || config->calibration_start > ds->n
      || config->calibration_samples > ds->n - config->calibration_start)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The Taylor criterion asks for samples %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT
                   " but the dataset “%s” has %" G_GINT64_FORMAT " samples",
                   config->calibration_start,
                   config->calibration_start + config->calibration_samples - 1,
                   ds->name ? ds->name : "", ds->n);
      return FALSE;
    }
  PlExecutor *ex = pl_executor_new (copy, error);
  if (ex == NULL)
    return FALSE;
  pl_executor_set_input_grad_enabled (ex, FALSE);
  gboolean ok = TRUE;
  for (gint l = 0; l < n_layers; l++)
    memset (layers[l].score, 0, (gsize) layers[l].weight->numel * sizeof (float));
  for (gint64 s = 0; s < config->calibration_samples && ok; s++)
    {
      if (pl_progress_cancelled (progress, error))
        {
          ok = FALSE;
          break;
        }
      gint64 idx = config->calibration_start + s;
      g_autoptr (PlTensor) x = pl_dataset_batch (ds, &idx, 1, error);
      if (x == NULL || !pl_executor_forward (ex, x, error))
        {
          ok = FALSE;
          break;
        }
      const PlTensor *logits = pl_executor_output (ex, 0);
      gint64 K = logits->numel;
      gint label = ds->labels[idx];
      if (label >= K)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "Sample %" G_GINT64_FORMAT " of “%s” has label %d but the model has %"
                       G_GINT64_FORMAT " outputs", idx, ds->name ? ds->name : "", label, K);
          ok = FALSE;
          break;
        }
      g_autoptr (PlTensor) grad = pl_tensor_new_like (logits);
      float mx = -INFINITY;
      double sum = 0.0;
      for (gint64 k = 0; k < K; k++)
        mx = MAX (mx, logits->data[k]);
      for (gint64 k = 0; k < K; k++)
        sum += exp ((double) logits->data[k] - mx);
      for (gint64 k = 0; k < K; k++)
        grad->data[k] = (float) (exp ((double) logits->data[k] - mx) / sum) - (k == label ? 1.0f : 0.0f);
      if (!pl_executor_backward (ex, grad, TRUE, error))
        {
          ok = FALSE;
          break;
        }
      for (gint l = 0; l < n_layers; l++)
        {
          const PlTensor *pg = pl_executor_param_grad (ex, layers[l].weight_id);
          if (pg == NULL)
            continue;
          for (gint64 i = 0; i < layers[l].weight->numel; i++)
            layers[l].score[i] += fabsf (layers[l].weight->data[i] * pg->data[i]);
        }
      pl_progress_report (progress, (double) (s + 1) / (double) config->calibration_samples,
                          "Taylor importance");
    }
  pl_executor_free (ex);
  return ok;
}

/* ---- channels ------------------------------------------------------------------------ */

typedef struct {
  double score;
  gint root;
  gint64 ch, order;
} ChanScore;

static int
cmp_chan (const void *pa, const void *pb)
{
  const ChanScore *a = pa, *b = pb;
  if (a->score != b->score)
    return a->score < b->score ? -1 : 1;
  return a->order < b->order ? -1 : (a->order > b->order);
}

static Layer *
layer_of_node (Layer *layers, gint n_layers, const PlNode *node)
{
  for (gint l = 0; l < n_layers; l++)
    if (layers[l].node == node)
      return &layers[l];
  return NULL;
}

/* ---- global channel selection by weight budget ---------------------------------------
 *
 * Removing output channel k of a group zeroes the weight rows k of its producer layers
 * and the input columns of every consumer (a whole H×W block after a Flatten); a weight
 * at the crossing of a removed row and a removed column is counted once. The global
 * target is a share of WEIGHTS (what pl_graph_weight_sparsity reports), not of channels:
 * channels are taken in ascending normalised importance, each with its exact marginal
 * number of newly zeroed weights, as long as taking it brings the zero count closer to
 * the target. */

typedef struct {
  gint layer;          /* index in layers */
  gint axis;
  gint64 from, to;     /* slice [from, to) along axis */
} ChanSlice;

typedef struct {
  PlChanAnalysis *a;
  Layer *layers;
  gint n_layers;
  guint8 **zero;        /* per layer: weight already zero / masked */
  const gboolean *counted; /* per layer: counts towards the budget */
  GArray ***slices;     /* [root][ch] -> GArray of ChanSlice */
  GArray *log;          /* of gint64 pairs (layer, index) for undo */
} Budget;

static gint
layer_of_weight (Layer *layers, gint n_layers, gint weight_id)
{
  for (gint l = 0; l < n_layers; l++)
    if (layers[l].weight_id == weight_id)
      return l;
  return -1;
}

static void
budget_add_slice (Budget *b, gint root, gint64 ch, gint layer, gint axis, gint64 from,
                  gint64 to)
{
  if (b->slices[root] == NULL || layer < 0 || axis >= b->layers[layer].weight->ndim)
    return;
  if (b->slices[root][ch] == NULL)
    b->slices[root][ch] = g_array_new (FALSE, FALSE, sizeof (ChanSlice));
  ChanSlice s = { layer, axis, from, to };
  g_array_append_val (b->slices[root][ch], s);
}

static void
budget_build (Budget *b, const PlGraph *copy)
{
  guint ng = b->a->groups->len;
  b->slices = g_new0 (GArray **, ng);
  for (guint r = 0; r < ng; r++)
    if (g_array_index (b->a->groups, PlChanGroup, r).parent == (gint) r)
      b->slices[r] = g_new0 (GArray *, g_array_index (b->a->groups, PlChanGroup, r).width);
  for (guint u = 0; u < b->a->uses->len; u++)
    {
      PlChanUse *use = &g_array_index (b->a->uses, PlChanUse, u);
      const PlNode *n = g_ptr_array_index (copy->nodes, use->node);
      if (use->kind == PL_CHAN_PRODUCER)
        {
          gint r = pl_chan_root (b->a, use->group);
          gint l = layer_of_weight (b->layers, b->n_layers, n->inputs[1]);
          for (gint64 k = 0; k < g_array_index (b->a->groups, PlChanGroup, r).width; k++)
            budget_add_slice (b, r, k, l, pl_chan_weight_out_axis (n), k, k + 1);
        }
      else if (use->kind == PL_CHAN_CONSUMER || use->kind == PL_CHAN_DEPTHWISE)
        {
          /* Consumers lose input columns; a depthwise Conv loses its rows. */
          gboolean dw = use->kind == PL_CHAN_DEPTHWISE;
          gint l = layer_of_weight (b->layers, b->n_layers, n->inputs[1]);
          gint64 pos = 0;
          for (guint s = 0; s < use->segs->len; s++)
            {
              const PlChanSeg *seg = &g_array_index (use->segs, PlChanSeg, s);
              gint root = seg->group < 0 ? -1 : pl_chan_root (b->a, seg->group);
              for (gint64 j = 0; j < seg->count; j++, pos++)
                if (root >= 0)
                  budget_add_slice (b, root, seg->start + j, l,
                                    dw ? 0 : pl_chan_weight_in_axis (n),
                                    dw ? pos : pos * use->inner,
                                    dw ? pos + 1 : (pos + 1) * use->inner);
            }
        }
    }
}

static void
budget_reset (Budget *b, const PlGraph *copy)
{
  for (gint l = 0; l < b->n_layers; l++)
    {
      const PlValue *v = pl_graph_value (copy, b->layers[l].weight_id);
      const PlTensor *w = v->init;
      const PlTensor *m = (v->mask && v->mask->numel == w->numel) ? v->mask : NULL;
      for (gint64 i = 0; i < w->numel; i++)
        b->zero[l][i] = w->data[i] == 0.0f || (m != NULL && m->data[i] == 0.0f);
    }
}

static gint64
budget_zeros (const Budget *b)
{
  gint64 z = 0;
  for (gint l = 0; l < b->n_layers; l++)
    if (b->counted[l])
      for (gint64 i = 0; i < b->layers[l].weight->numel; i++)
        z += b->zero[l][i];
  return z;
}

/* Zeroes channel (root, ch) in the zero maps, logging the changes; returns the number of
 * newly zeroed counted weights. */
static gint64
budget_take (Budget *b, gint root, gint64 ch)
{
  g_array_set_size (b->log, 0);
  GArray *sl = b->slices[root] ? b->slices[root][ch] : NULL;
  gint64 added = 0;
  for (guint s = 0; sl && s < sl->len; s++)
    {
      const ChanSlice *c = &g_array_index (sl, ChanSlice, s);
      const PlTensor *t = b->layers[c->layer].weight;
      guint8 *z = b->zero[c->layer];
      gint64 outer = 1, inner = 1, len = t->shape[c->axis];
      for (gint d = 0; d < c->axis; d++)
        outer *= t->shape[d];
      for (gint d = c->axis + 1; d < t->ndim; d++)
        inner *= t->shape[d];
      for (gint64 o = 0; o < outer; o++)
        for (gint64 k = c->from; k < c->to && k < len; k++)
          for (gint64 i = 0; i < inner; i++)
            {
              gint64 idx = (o * len + k) * inner + i;
              if (!z[idx])
                {
                  z[idx] = 1;
                  gint64 e[2] = { c->layer, idx };
                  g_array_append_vals (b->log, e, 2);
                  if (b->counted[c->layer])
                    added++;
                }
            }
    }
  return added;
}

static void
budget_undo (Budget *b)
{
  for (guint i = 0; i + 1 < b->log->len; i += 2)
    b->zero[g_array_index (b->log, gint64, i)][g_array_index (b->log, gint64, i + 1)] = 0;
  g_array_set_size (b->log, 0);
}

/* Whether taking a channel that adds m zeros to z moves z closer to target t. */
static inline gboolean
budget_accept (gint64 z, gint64 m, gint64 t)
{
  return z < t && (z + m <= t || z + m - t < t - z);
}

/* One selection over pool (sorted) with a per-group floor of kept channels; returns the
 * final zero count and sets *blocked when a channel the floor refused would have moved
 * the count closer to the target. */
static gint64
budget_select (Budget *b, const PlGraph *copy, GArray *pool, const gint64 *floor_keep,
               gint64 target, guint8 **removed, gboolean *blocked)
{
  guint ng = b->a->groups->len;
  g_autofree gint64 *left = g_new (gint64, ng);
  for (guint r = 0; r < ng; r++)
    left[r] = g_array_index (b->a->groups, PlChanGroup, r).width;
  for (guint i = 0; i < pool->len; i++)
    {
      const ChanScore *cs = &g_array_index (pool, ChanScore, i);
      removed[cs->root][cs->ch] = 0;
    }
  budget_reset (b, copy);
  /* Channels chosen outside the pool (per-layer overrides) zero weights too. */
  for (guint r = 0; r < ng; r++)
    for (gint64 k = 0; b->slices[r] && k < left[r]; k++)
      if (removed[r][k])
        budget_take (b, (gint) r, k);
  g_array_set_size (b->log, 0);
  gint64 z = budget_zeros (b);
  g_autofree guint8 *taken = g_new0 (guint8, pool->len);
  gboolean changed = TRUE;
  for (gint sweep = 0; changed && sweep < 8 && z < target; sweep++)
    {
      changed = FALSE;
      for (guint i = 0; i < pool->len && z < target; i++)
        {
          const ChanScore *cs = &g_array_index (pool, ChanScore, i);
          if (taken[i] || left[cs->root] <= floor_keep[cs->root])
            continue;
          gint64 m = budget_take (b, cs->root, cs->ch);
          if (budget_accept (z, m, target))
            {
              taken[i] = 1;
              removed[cs->root][cs->ch] = 1;
              left[cs->root]--;
              z += m;
              changed = TRUE;
            }
          else
            budget_undo (b);
        }
    }
  *blocked = FALSE;
  for (guint i = 0; i < pool->len && z < target && !*blocked; i++)
    {
      const ChanScore *cs = &g_array_index (pool, ChanScore, i);
      if (taken[i] || left[cs->root] > floor_keep[cs->root] || left[cs->root] <= 1)
        continue;
      gint64 m = budget_take (b, cs->root, cs->ch);
      *blocked = budget_accept (z, m, target);
      budget_undo (b);
    }
  return z;
}

/* Global channel selection: see the comment above Budget. removed is filled in. */
static void
prune_channels_global (PlGraph *copy, PlChanAnalysis *a, Layer *layers, gint n_layers,
                       GArray *pool, double sparsity, guint8 **removed)
{
  guint ng = a->groups->len;
  g_autofree gboolean *counted = g_new0 (gboolean, n_layers);
  gint64 total = 0;
  for (gint l = 0; l < n_layers; l++)
    if (layers[l].override < 0.0)
      {
        counted[l] = TRUE;
        total += layers[l].weight->numel;
      }
  Budget b = { a, layers, n_layers, g_new0 (guint8 *, n_layers), counted, NULL,
               g_array_new (FALSE, FALSE, sizeof (gint64)) };
  for (gint l = 0; l < n_layers; l++)
    b.zero[l] = g_new0 (guint8, layers[l].weight->numel);
  budget_build (&b, copy);
  gint64 target = pl_prune_count (total, sparsity);

  /* Pass 1: no group loses more than a share 1 − (1 − s)/2 of its channels (it keeps at
   * least ⌈width·(1 − s)/2⌉, and always one); pass 2 (only when the floor kept the count
   * from the target): every group keeps at least one channel. */
  g_autofree gint64 *floor_keep = g_new (gint64, ng);
  for (guint r = 0; r < ng; r++)
    {
      gint64 w = g_array_index (a->groups, PlChanGroup, r).width;
      floor_keep[r] = MAX ((gint64) 1, (gint64) ceil ((double) w * (1.0 - sparsity) / 2.0 - 1e-9));
    }
  gboolean blocked = FALSE;
  budget_select (&b, copy, pool, floor_keep, target, removed, &blocked);
  if (blocked)
    {
      for (guint r = 0; r < ng; r++)
        floor_keep[r] = 1;
      budget_select (&b, copy, pool, floor_keep, target, removed, &blocked);
    }

  for (guint r = 0; r < ng; r++)
    if (b.slices[r])
      {
        for (gint64 k = 0; k < g_array_index (a->groups, PlChanGroup, r).width; k++)
          if (b.slices[r][k])
            g_array_unref (b.slices[r][k]);
        g_free (b.slices[r]);
      }
  g_free (b.slices);
  for (gint l = 0; l < n_layers; l++)
    g_free (b.zero[l]);
  g_free (b.zero);
  g_array_unref (b.log);
}

static gboolean
prune_channels (PlGraph *copy, const PlPruneConfig *config, double sparsity, Layer *layers,
                gint n_layers, GError **error)
{
  g_autoptr (PlChanAnalysis) a = pl_chan_analyse (copy);
  guint ng = a->groups->len;
  g_autofree double *override = g_new (double, ng);
  double **score = g_new0 (double *, ng);
  guint8 **removed = g_new0 (guint8 *, ng);
  gboolean ok = TRUE;
  GRand *rand = g_rand_new_with_seed ((guint32) (config->seed ^ (config->seed >> 32)));
  gboolean global = config->scope == PL_PRUNE_SCOPE_GLOBAL;

  for (guint i = 0; i < ng; i++)
    {
      override[i] = -1.0;
      PlChanGroup *grp = &g_array_index (a->groups, PlChanGroup, i);
      score[i] = g_new0 (double, grp->width);
      removed[i] = g_new0 (guint8, grp->width);
    }
  for (guint u = 0; u < a->uses->len; u++)
    {
      PlChanUse *use = &g_array_index (a->uses, PlChanUse, u);
      if (use->kind != PL_CHAN_PRODUCER)
        continue;
      const PlNode *n = g_ptr_array_index (copy->nodes, use->node);
      gint r = pl_chan_root (a, use->group);
      PlChanGroup *grp = &g_array_index (a->groups, PlChanGroup, r);
      Layer *l = layer_of_node (layers, n_layers, n);
      if (l == NULL)
        continue;
      if (l->protected_)
        grp->protected_ = TRUE;
      if (l->override >= 0.0)
        {
          if (grp->refusal != NULL && l->override > 0.0)
            {
              g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                           "Cannot prune the channels of “%s”: %s", l->name, grp->refusal);
              ok = FALSE;
            }
          override[r] = l->override;
        }
      /* Per-channel score of this member. */
      const PlTensor *w = l->weight;
      gint axis = pl_chan_weight_out_axis (n);
      gint64 outer = 1, inner = 1, len = w->shape[axis];
      for (gint d = 0; d < axis; d++)
        outer *= w->shape[d];
      for (gint d = axis + 1; d < w->ndim; d++)
        inner *= w->shape[d];
      double per = (double) (outer * inner);
      for (gint64 k = 0; k < len; k++)
        {
          double s = 0.0;
          for (gint64 o = 0; o < outer; o++)
            for (gint64 i = 0; i < inner; i++)
              {
                gint64 idx = (o * len + k) * inner + i;
                double v = l->score[idx];
                s += config->criterion == PL_PRUNE_CRITERION_L2_NORM ? v * v : v;
              }
          if (global)
            s /= per;
          if (config->criterion == PL_PRUNE_CRITERION_L2_NORM)
            s = sqrt (s);
          if (config->criterion == PL_PRUNE_CRITERION_RANDOM)
            s = 0.0;
          score[r][k] += s;
        }
    }
  if (config->criterion == PL_PRUNE_CRITERION_RANDOM)
    for (guint r = 0; r < ng; r++)
      if (g_array_index (a->groups, PlChanGroup, r).parent == (gint) r)
        for (gint64 k = 0; k < g_array_index (a->groups, PlChanGroup, r).width; k++)
          score[r][k] = g_rand_double (rand);

  /* Global scope: normalise every group's channel scores by their mean (over the group's
   * channels, negative scores of earlier masked channels left out of the mean) so that
   * layers of different scale compare — without it the layer with the smallest weights
   * (fc1 of the default model) lost every channel first. See pl-prune.h. */
  if (global)
    for (guint r = 0; r < ng; r++)
      {
        PlChanGroup *grp = &g_array_index (a->groups, PlChanGroup, r);
        if (grp->parent != (gint) r || grp->width <= 0)
          continue;
        double sum = 0.0;
        for (gint64 k = 0; k < grp->width; k++)
          if (score[r][k] > 0.0 && isfinite (score[r][k]))
            sum += score[r][k];
        double mean = sum / (double) grp->width;
        if (mean > 0.0 && isfinite (mean))
          for (gint64 k = 0; k < grp->width; k++)
            score[r][k] /= mean;
      }

  GArray *pool = g_array_new (FALSE, FALSE, sizeof (ChanScore));
  gint n_eligible = 0;
  GString *reasons = g_string_new (NULL);
  for (guint r = 0; r < ng && ok; r++)
    {
      PlChanGroup *grp = &g_array_index (a->groups, PlChanGroup, r);
      if (grp->parent != (gint) r)
        continue;
      gint64 width = grp->width;
      if (grp->refusal != NULL || (grp->protected_ && override[r] < 0.0))
        {
          if (grp->refusal && reasons->len < 400)
            g_string_append_printf (reasons, "; “%s”: %s", grp->names->str, grp->refusal);
          continue;
        }
      n_eligible++;
      if (override[r] >= 0.0 || !global)
        {
          double sp = override[r] >= 0.0 ? override[r] : sparsity;
          gint64 k = MIN (pl_prune_count (width, sp), width - 1);
          g_autofree ChanScore *cs = g_new (ChanScore, width);
          for (gint64 c = 0; c < width; c++)
            cs[c] = (ChanScore) { safe_score ((float) score[r][c]), (gint) r, c, c };
          qsort (cs, (size_t) width, sizeof (ChanScore), cmp_chan);
          for (gint64 c = 0; c < k; c++)
            removed[r][cs[c].ch] = 1;
        }
      else
        for (gint64 c = 0; c < width; c++)
          {
            ChanScore cs = { safe_score ((float) score[r][c]), (gint) r, c, (gint64) pool->len };
            g_array_append_val (pool, cs);
          }
    }
  if (ok && n_eligible == 0 && sparsity > 0.0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "No layer's channels can be pruned: every group is protected or cannot be "
                   "removed safely%s", reasons->str);
      ok = FALSE;
    }
  if (ok && pool->len > 0)
    {
      g_array_sort (pool, cmp_chan);
      prune_channels_global (copy, a, layers, n_layers, pool, sparsity, removed);
    }
  if (ok)
    pl_chan_apply_masks (copy, a, removed);

  g_string_free (reasons, TRUE);
  g_array_unref (pool);
  g_rand_free (rand);
  for (guint i = 0; i < ng; i++)
    {
      g_free (score[i]);
      g_free (removed[i]);
    }
  g_free (score);
  g_free (removed);
  return ok;
}

static void
layers_free (Layer *layers, gint n_layers)
{
  for (gint l = 0; l < n_layers; l++)
    {
      g_free (layers[l].score);
      g_clear_pointer (&layers[l].mask, pl_tensor_unref);
    }
  g_free (layers);
}

/* The prunable layers of copy with protection, overrides and per-weight scores. */
static Layer *
prepare_layers (PlGraph *copy, const PlPruneConfig *config, gint *n_layers_out,
                const PlProgress *progress, GError **error)
{
  g_autoptr (GArray) ids = pl_graph_prunable_weights (copy);
  for (guint x = 0; ids && x < ids->len; x++)
    for (guint y = x + 1; y < ids->len;)
      if (g_array_index (ids, gint, y) == g_array_index (ids, gint, x))
        g_array_remove_index (ids, y);
      else
        y++;
  if (ids == NULL || ids->len == 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The model “%s” has no prunable weights (no Conv, Gemm or MatMul node "
                   "with a weight initializer)", copy->name ? copy->name : "");
      return NULL;
    }

  gint n_layers = (gint) ids->len;
  Layer *layers = g_new0 (Layer, n_layers);
  g_auto (GStrv) defaults = config->protected_layers ? NULL : pl_prune_default_protected (copy);
  const char *const *prot = config->protected_layers ? (const char *const *) config->protected_layers
                                                     : (const char *const *) defaults;
  gboolean ok = TRUE;
  for (gint l = 0; l < n_layers; l++)
    {
      Layer *L = &layers[l];
      L->weight_id = g_array_index (ids, gint, l);
      PlValue *v = pl_graph_value (copy, L->weight_id);
      L->node = node_with_weight (copy, L->weight_id);
      L->weight_name = v->name;
      L->name = L->node ? pl_chan_layer_name (copy, L->node) : v->name;
      L->weight = v->init;
      L->override = -1.0;
      for (gint i = 0; prot && prot[i]; i++)
        if (names_layer (L, prot[i]))
          L->protected_ = TRUE;
      L->score = g_new (float, v->init->numel);
      L->mask = pl_tensor_new_like (v->init);
      for (gint64 i = 0; i < L->mask->numel; i++)
        L->mask->data[i] = 1.0f;
    }

  /* Protected layers named by the caller must exist: a typo would silently protect
   * nothing. */
  for (gint i = 0; config->protected_layers && config->protected_layers[i] && ok; i++)
    {
      gboolean found = FALSE;
      for (gint l = 0; l < n_layers && !found; l++)
        found = names_layer (&layers[l], config->protected_layers[i]);
      if (!found)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "The protected layer “%s” is no prunable layer (Conv, Gemm or MatMul "
                       "with a weight initializer) of the model",
                       config->protected_layers[i]);
          ok = FALSE;
        }
    }

  /* Overrides must name layers and lie in [0, 1]. */
  if (ok && config->overrides)
    {
      GHashTableIter it;
      gpointer k, val;
      g_hash_table_iter_init (&it, config->overrides);
      while (ok && g_hash_table_iter_next (&it, &k, &val))
        {
          double sp = *(double *) val;
          gboolean found = FALSE;
          for (gint l = 0; l < n_layers; l++)
            if (names_layer (&layers[l], k))
              {
                layers[l].override = sp;
                found = TRUE;
              }
          if (!found)
            {
              g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                           "The per-layer sparsity names “%s”, which is no prunable layer "
                           "(Conv, Gemm or MatMul with a weight initializer) of the model",
                           (const char *) k);
              ok = FALSE;
            }
          else if (!(sp >= 0.0 && sp <= 1.0))
            {
              g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                           "The sparsity of layer “%s” must be between 0 and 1; got %g",
                           (const char *) k, sp);
              ok = FALSE;
            }
        }
    }

  /* Scores. */
  if (ok && config->criterion == PL_PRUNE_CRITERION_TAYLOR)
    ok = taylor_scores (copy, config, layers, n_layers, progress, error);
  else if (ok)
    {
      GRand *rand = g_rand_new_with_seed ((guint32) (config->seed ^ (config->seed >> 32)));
      for (gint l = 0; l < n_layers; l++)
        for (gint64 i = 0; i < layers[l].weight->numel; i++)
          layers[l].score[i] = config->criterion == PL_PRUNE_CRITERION_RANDOM
                                 ? (float) g_rand_double (rand)
                                 : safe_score (fabsf (layers[l].weight->data[i]));
      g_rand_free (rand);
    }
  if (ok && config->granularity != PL_PRUNE_GRANULARITY_CHANNELS)
    /* Weights masked by an earlier step rank first (they stay pruned). */
    for (gint l = 0; l < n_layers; l++)
      {
        const PlTensor *old = pl_graph_value (copy, layers[l].weight_id)->mask;
        if (old && old->numel == layers[l].weight->numel)
          for (gint64 i = 0; i < old->numel; i++)
            if (old->data[i] == 0.0f)
              layers[l].score[i] = -1.0f;
      }

  if (!ok)
    {
      layers_free (layers, n_layers);
      return NULL;
    }
  *n_layers_out = n_layers;
  return layers;
}

PlTensor **
pl_prune_scores (const PlGraph *graph, const PlPruneConfig *config, gint *n_layers,
                 const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (graph != NULL && config != NULL && n_layers != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  g_autoptr (PlGraph) copy = pl_graph_copy (graph);
  gint n = 0;
  Layer *layers = prepare_layers (copy, config, &n, progress, error);
  if (layers == NULL)
    return NULL;
  PlTensor **out = g_new0 (PlTensor *, n + 1);
  for (gint l = 0; l < n; l++)
    {
      out[l] = pl_tensor_new_like (layers[l].weight);
      memcpy (out[l]->data, layers[l].score, (gsize) out[l]->numel * sizeof (float));
    }
  layers_free (layers, n);
  *n_layers = n;
  return out;
}

/* ---- apply --------------------------------------------------------------------------- */

PlGraph *
pl_prune_apply (const PlGraph *graph, const PlPruneConfig *config, double sparsity,
                const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!(sparsity >= 0.0 && sparsity <= 1.0))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Sparsity must be between 0 and 1 (a share of the weights); got %g", sparsity);
      return NULL;
    }
  if ((guint) config->criterion > PL_PRUNE_CRITERION_L2_NORM
      || (guint) config->granularity > PL_PRUNE_GRANULARITY_CHANNELS
      || (config->scope != PL_PRUNE_SCOPE_GLOBAL && config->scope != PL_PRUNE_SCOPE_LAYERWISE))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Unknown pruning criterion, granularity or scope (%d, %d, %d)",
                   (int) config->criterion, (int) config->granularity, (int) config->scope);
      return NULL;
    }
  if (config->granularity == PL_PRUNE_GRANULARITY_NM
      && !(config->nm_m >= 1 && config->nm_n >= 0 && config->nm_n <= config->nm_m))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "N:M sparsity needs 0 ≤ N ≤ M and M ≥ 1; got %d:%d", config->nm_n,
                   config->nm_m);
      return NULL;
    }

  g_autoptr (PlGraph) copy = pl_graph_copy (graph);
  gint n_layers = 0;
  Layer *layers = prepare_layers (copy, config, &n_layers, progress, error);
  if (layers == NULL)
    return NULL;
  gboolean ok = TRUE;
  gint n_free = 0;
  for (gint l = 0; l < n_layers; l++)
    if (!layers[l].protected_ || layers[l].override >= 0.0)
      n_free++;
  if (ok && n_free == 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Every prunable layer of the model is protected: unprotect at least one "
                   "layer to prune");
      ok = FALSE;
    }

  if (ok && config->granularity == PL_PRUNE_GRANULARITY_CHANNELS)
    ok = prune_channels (copy, config, sparsity, layers, n_layers, error);
  else if (ok)
    {
      g_autofree Layer **pool = g_new (Layer *, n_layers);
      gint n_pool = 0;
      gint64 total = 0;
      for (gint l = 0; l < n_layers; l++)
        {
          Layer *L = &layers[l];
          if (L->protected_ && L->override < 0.0)
            continue;
          if (config->granularity == PL_PRUNE_GRANULARITY_NM)
            {
              if (L->node)
                mask_nm (L, config->nm_n, config->nm_m);
            }
          else if (L->override >= 0.0 || config->scope == PL_PRUNE_SCOPE_LAYERWISE)
            {
              double sp = L->override >= 0.0 ? L->override : sparsity;
              mask_smallest (&L, 1, pl_prune_count (L->weight->numel, sp));
            }
          else
            {
              pool[n_pool++] = L;
              total += L->weight->numel;
            }
        }
      if (n_pool > 0)
        mask_smallest (pool, n_pool, pl_prune_count (total, sparsity));
      /* Install the masks (combined with any earlier mask) and zero pruned weights. */
      for (gint l = 0; l < n_layers; l++)
        {
          Layer *L = &layers[l];
          if (L->protected_ && L->override < 0.0)
            continue;
          PlValue *v = pl_graph_value (copy, L->weight_id);
          if (v->mask != NULL && v->mask->numel == L->mask->numel)
            for (gint64 i = 0; i < L->mask->numel; i++)
              if (v->mask->data[i] == 0.0f)
                L->mask->data[i] = 0.0f;   /* pruned earlier: stays pruned */
          for (gint64 i = 0; i < L->mask->numel; i++)
            if (L->mask->data[i] == 0.0f)
              L->weight->data[i] = 0.0f;
          g_clear_pointer (&v->mask, pl_tensor_unref);
          v->mask = g_steal_pointer (&L->mask);
        }
    }

  layers_free (layers, n_layers);
  if (!ok)
    return NULL;
  pl_progress_report (progress, 1.0, NULL);
  return g_steal_pointer (&copy);
}
