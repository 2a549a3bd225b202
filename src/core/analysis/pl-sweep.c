/* pl-sweep.c — accuracy, cost and saliency similarity against sparsity. See pl-sweep.h. */
#include "analysis/pl-sweep.h"
#include "analysis/pl-analysis-private.h"
#include "analysis/pl-metrics.h"
#include "exec/pl-executor.h"
#include "explain/pl-explain.h"
#include "prune/pl-prune.h"
#include "pl-error.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

static const char *const metric_names[PL_SWEEP_N_METRICS] = {
  "spearman_abs", "topk_intersection", "kendall_abs", "pearson", "cosine", "ssim",
  "deletion_auc", "insertion_auc", "entropy", "gini",
};

static const char *const metric_labels[PL_SWEEP_N_METRICS] = {
  "Spearman of |φ|", "top-k overlap of |φ|", "Kendall τ-b of |φ|", "Pearson", "cosine",
  "SSIM", "deletion AUC", "insertion AUC", "entropy of |φ| (nats)", "Gini of |φ|",
};

const char *
pl_sweep_metric_name (PlSweepMetric metric)
{
  g_return_val_if_fail (metric >= 0 && metric < PL_SWEEP_N_METRICS, NULL);
  return metric_names[metric];
}

const char *
pl_sweep_metric_label (PlSweepMetric metric)
{
  g_return_val_if_fail (metric >= 0 && metric < PL_SWEEP_N_METRICS, NULL);
  return metric_labels[metric];
}

void
pl_sweep_options_init (PlSweepOptions *options)
{
  g_return_if_fail (options != NULL);
  memset (options, 0, sizeof *options);
  options->n_eval = 2000;
  options->indices = NULL;
  options->n_indices = 20;
  options->film_index = -1;
  options->topk_fraction = 0.1;
  options->n_bootstrap = 2000;
  options->confidence = 0.95;
  options->seed = 1;
  options->faithfulness = TRUE;
  pl_faithfulness_options_init (&options->faithfulness_options);
  options->randomisation_inputs = 0;
}

void
pl_sweep_free (PlSweep *sweep)
{
  if (sweep == NULL)
    return;
  for (gint i = 0; i < sweep->n_points; i++)
    {
      PlSweepPoint *p = &sweep->points[i];
      g_free (p->values);
      g_free (p->pred);
      g_clear_pointer (&p->film_map, pl_tensor_unref);
    }
  g_free (sweep->points);
  g_free (sweep->dataset_name);
  g_strfreev (sweep->class_names);
  g_free (sweep->indices);
  g_free (sweep->labels);
  g_free (sweep->targets);
  g_clear_pointer (&sweep->film_image, pl_tensor_unref);
  g_clear_pointer (&sweep->film_original, pl_tensor_unref);
  g_free (sweep->original_values);
  pl_randomisation_curve_free (sweep->randomisation);
  g_free (sweep->randomisation_spearman_abs);
  g_clear_pointer (&sweep->prune_config, pl_prune_config_free);
  g_free (sweep->pruning_description);
  g_strfreev (sweep->protected_layers);
  g_free (sweep);
}

/* ---- cost ------------------------------------------------------------------------ */

static gboolean
is_weight_node (const PlNode *node)
{
  return strcmp (node->op_type, "Conv") == 0 || strcmp (node->op_type, "Gemm") == 0 ||
         strcmp (node->op_type, "MatMul") == 0;
}

static gint64
count_nonzero (const PlValue *v)
{
  gint64 nz = 0;
  for (gint64 j = 0; j < v->init->numel; j++)
    if (v->init->data[j] != 0.0f && (v->mask == NULL || v->mask->data[j] != 0.0f))
      nz++;
  return nz;
}

/* Weights, parameters and MACs of graph. ex has run a forward pass of one input, so the
 * output of every weight node is known: each weight is used once per output position,
 * numel(output of one input) / output channels (Conv: axis 1; Gemm / MatMul: last axis). */
static void
measure_cost (PlGraph *graph, PlExecutor *ex, PlSweepPoint *p)
{
  g_autoptr (GArray) weights = pl_graph_prunable_weights (graph);
  p->prunable_weights = 0;
  p->nonzero_weights = 0;
  for (guint i = 0; i < weights->len; i++)
    {
      const PlValue *v = pl_graph_value (graph, g_array_index (weights, gint, i));
      if (v == NULL || v->init == NULL)
        continue;
      p->prunable_weights += v->init->numel;
      p->nonzero_weights += count_nonzero (v);
    }
  p->parameters = pl_graph_n_parameters (graph);
  p->nonzero_parameters = p->parameters - (p->prunable_weights - p->nonzero_weights);

  gint64 dense = 0, nonzero = 0;
  gboolean known = weights->len > 0;
  for (guint i = 0; i < weights->len && known; i++)
    {
      gint id = g_array_index (weights, gint, i);
      const PlValue *v = pl_graph_value (graph, id);
      const PlNode *user = NULL;
      for (guint k = 0; k < graph->nodes->len && user == NULL; k++)
        {
          const PlNode *node = g_ptr_array_index (graph->nodes, k);
          if (is_weight_node (node) && node->n_inputs > 1 && node->inputs[1] == id &&
              node->n_outputs > 0)
            user = node;
        }
      const PlTensor *out = user != NULL ? pl_executor_value (ex, user->outputs[0]) : NULL;
      if (v == NULL || v->init == NULL || out == NULL || out->ndim < 2 || out->shape[0] != 1)
        {
          known = FALSE;
          break;
        }
      gint64 channels = strcmp (user->op_type, "Conv") == 0 ? out->shape[1]
                                                           : out->shape[out->ndim - 1];
      if (channels <= 0 || out->numel % channels != 0)
        {
          known = FALSE;
          break;
        }
      gint64 uses = out->numel / channels;
      dense += uses * v->init->numel;
      nonzero += uses * count_nonzero (v);
    }
  p->macs_dense = known ? dense : -1;
  p->macs_nonzero = known ? nonzero : -1;
}

/* ---- the run --------------------------------------------------------------------- */

static PlTensor *
sample_image (const PlDataset *dataset, gint64 index, GError **error)
{
  return pl_dataset_batch (dataset, &index, 1, error);
}

/* Saliency of one input as a [H, W] tensor, checking its size. */
static PlTensor *
saliency_of (PlExecutor *ex, const PlTensor *image, gint target, gint64 H, gint64 W,
             GError **error)
{
  /* Tables (rows [1, F], H = 1, W = F): the signed gradient. */
  PlTensor *map = image->ndim == 2 ? pl_table_saliency (ex, image, target, NULL, error)
                                   : pl_saliency (ex, image, target, error);
  if (map == NULL)
    return NULL;
  if (map->numel != H * W)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The saliency map has %" G_GINT64_FORMAT " values; expected %"
                   G_GINT64_FORMAT " × %" G_GINT64_FORMAT, map->numel, H, W);
      pl_tensor_unref (map);
      return NULL;
    }
  gint64 shape[2] = { H, W };
  pl_tensor_reshape (map, 2, shape);
  return map;
}

static gint
predict_one (PlExecutor *ex, const PlTensor *image, GError **error)
{
  g_autoptr (PlTensor) logits = pl_executor_predict (ex, image, 1, NULL, error);
  if (logits == NULL)
    return -1;
  if (logits->ndim != 2 || logits->shape[0] != 1 || logits->shape[1] < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The network's first output should be logits of shape [N, classes]");
      return -1;
    }
  return (gint) pl_tensor_argmax (logits->data, logits->shape[1]);
}

/* Faithfulness and complexity of one network's own map of input i into values
 * (metric-major, n inputs). */
static gboolean
own_metrics (const PlSweepOptions *o, PlExecutor *ex, const PlTensor *image, gint target,
             const PlTensor *map, const float *reference, double *values, gint64 n, gint64 i,
             GError **error)
{
  /* reference != NULL: a table row; curves over features towards the feature means */
  values[PL_SWEEP_ENTROPY * n + i] = pl_attribution_entropy (map->data, map->numel);
  values[PL_SWEEP_GINI * n + i] = pl_attribution_gini (map->data, map->numel);
  if (!o->faithfulness)
    return TRUE;
  const PlCurveKind kinds[2] = { PL_CURVE_DELETION, PL_CURVE_INSERTION };
  const PlSweepMetric metrics[2] = { PL_SWEEP_DELETION, PL_SWEEP_INSERTION };
  for (int k = 0; k < 2; k++)
    {
      g_autoptr (PlCurve) c = reference != NULL
          ? pl_faithfulness_curve_table (ex, image, target, map, reference, kinds[k],
                                         &o->faithfulness_options, NULL, error)
          : pl_faithfulness_curve (ex, image, target, map, kinds[k],
                                   &o->faithfulness_options, NULL, error);
      if (c == NULL)
        return FALSE;
      values[metrics[k] * n + i] = c->auc;
    }
  return TRUE;
}

static gboolean
run_point (PlSweep *sweep, PlGraph *original, const PlDataset *dataset, double sparsity,
           PlSweepPoint *p, PlTensor **images, PlTensor **orig_maps, const PlTensor *film_img,
           const float *reference, const PlProgress *progress, GError **error)
{
  const PlSweepOptions *o = &sweep->options;
  gint64 n = sweep->n_indices;
  gint64 H = dataset->height, W = dataset->width;

  p->sparsity_requested = sparsity;
  p->values = g_new (double, (gsize) PL_SWEEP_N_METRICS * n);
  p->pred = g_new0 (gint, n);
  for (gint64 i = 0; i < PL_SWEEP_N_METRICS * n; i++)
    p->values[i] = NAN;

  if (pl_progress_cancelled (progress, error))
    return FALSE;
  pl_progress_report (progress, 0.0, "Pruning");
  g_autoptr (PlGraph) pruned = pl_prune_apply (original, sweep->prune_config, sparsity, NULL,
                                               error);
  if (pruned == NULL)
    return FALSE;
  p->sparsity = pl_graph_weight_sparsity (pruned);

  if (pl_progress_cancelled (progress, error))
    return FALSE;
  PlProgress sub = pl_progress_sub (progress, 0.0, 0.6);
  g_autoptr (PlEvaluation) ev = pl_evaluate_classifier (pruned, dataset, o->n_eval, &sub, error);
  if (ev == NULL)
    return FALSE;
  p->n_eval = ev->n;
  p->correct = ev->correct;
  p->accuracy = ev->accuracy;

  PlExecutor *ex = pl_executor_new (pruned, error);
  if (ex == NULL)
    return FALSE;
  gboolean ok = TRUE;

  /* cost: one forward pass of the film input */
  if (!pl_executor_forward (ex, film_img, error))
    {
      pl_executor_free (ex);
      return FALSE;
    }
  measure_cost (pruned, ex, p);

  for (gint64 i = 0; i < n && ok; i++)
    {
      if (pl_progress_cancelled (progress, error))
        {
          ok = FALSE;
          break;
        }
      pl_progress_report (progress, 0.6 + 0.4 * (double) i / (double) n, "Saliency");
      gint pred = predict_one (ex, images[i], error);
      if (pred < 0)
        {
          ok = FALSE;
          break;
        }
      p->pred[i] = pred;
      g_autoptr (PlTensor) map = saliency_of (ex, images[i], sweep->targets[i], H, W, error);
      if (map == NULL)
        {
          ok = FALSE;
          break;
        }
      PlSimilarityFull sim;
      pl_attribution_similarity_full (orig_maps[i]->data, map->data, (gint) H, (gint) W,
                                      o->topk_fraction, &sim);
      p->values[PL_SWEEP_SPEARMAN_ABS * n + i] = sim.spearman_abs;
      p->values[PL_SWEEP_TOPK * n + i] = sim.basic.topk_intersection;
      p->values[PL_SWEEP_KENDALL_ABS * n + i] = sim.kendall_abs;
      p->values[PL_SWEEP_PEARSON * n + i] = sim.basic.pearson;
      p->values[PL_SWEEP_COSINE * n + i] = sim.basic.cosine;
      p->values[PL_SWEEP_SSIM * n + i] = reference != NULL ? NAN : sim.ssim;
      if (!own_metrics (o, ex, images[i], sweep->targets[i], map, reference, p->values, n, i,
                        error))
        {
          ok = FALSE;
          break;
        }
    }
  if (ok)
    {
      p->film_pred = predict_one (ex, film_img, error);
      ok = p->film_pred >= 0;
    }
  if (ok)
    {
      p->film_map = saliency_of (ex, film_img, sweep->film_target, H, W, error);
      ok = p->film_map != NULL;
    }
  pl_executor_free (ex);
  if (!ok)
    return FALSE;

  for (gint m = 0; m < PL_SWEEP_N_METRICS; m++)
    pl_summarise (p->values + m * n, n, o->n_bootstrap, o->confidence, o->seed,
                  &p->summary[m]);
  pl_progress_report (progress, 1.0, NULL);
  return TRUE;
}

/* The cascading randomisation of the original on the first randomisation_inputs inputs,
 * and the bootstrap summary of its Spearman of |φ| per step. */
static gboolean
run_randomisation (PlSweep *sweep, PlGraph *original, PlTensor **images,
                   const PlProgress *progress, GError **error)
{
  const PlSweepOptions *o = &sweep->options;
  gint64 r = MIN (o->randomisation_inputs, sweep->n_indices);
  const PlTensor *first = images[0];
  gint64 per = first->numel;
  g_autoptr (PlTensor) batch = first->ndim == 2
      ? pl_tensor_new_2d (r, first->shape[1])
      : pl_tensor_new_4d (r, first->shape[1], first->shape[2], first->shape[3]);
  for (gint64 i = 0; i < r; i++)
    memcpy (batch->data + i * per, images[i]->data, sizeof (float) * per);
  pl_progress_report (progress, 0.0, "Cascading randomisation");
  sweep->randomisation = pl_cascading_randomisation (original, batch, NULL, NULL,
                                                     o->topk_fraction, o->seed + 2, progress,
                                                     error);
  if (sweep->randomisation == NULL)
    return FALSE;
  const PlRandomisationCurve *rc = sweep->randomisation;
  sweep->randomisation_spearman_abs = g_new0 (PlSummary, rc->n_steps);
  for (gint s = 0; s < rc->n_steps; s++)
    pl_summarise (rc->spearman_abs_all + (gint64) s * rc->n_inputs, rc->n_inputs,
                  o->n_bootstrap, o->confidence, o->seed, &sweep->randomisation_spearman_abs[s]);
  return TRUE;
}

PlSweep *
pl_sweep_run (PlGraph *original, const PlDataset *dataset, const double *sparsities,
              gint n_sparsities, const PlSweepOptions *options,
              const PlProgress *progress_all, GError **error)
{
  g_return_val_if_fail (original != NULL, NULL);
  g_return_val_if_fail (dataset != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  gint64 t0 = g_get_monotonic_time ();
  PlSweepOptions o;
  if (options != NULL)
    o = *options;
  else
    pl_sweep_options_init (&o);
  if (!(o.topk_fraction > 0.0 && o.topk_fraction <= 1.0))
    o.topk_fraction = 0.1;
  if (o.n_bootstrap <= 0)
    o.n_bootstrap = 2000;
  if (!(o.confidence > 0.0 && o.confidence < 1.0))
    o.confidence = 0.95;
  if (o.faithfulness_options.pixels_per_step <= 0)
    pl_faithfulness_options_init (&o.faithfulness_options);
  if (o.randomisation_inputs < 0)
    o.randomisation_inputs = 0;
  /* the randomisation, when asked for, takes the last 15 % of the progress range */
  double share = o.randomisation_inputs > 0 ? 0.85 : 1.0;
  PlProgress main_progress = pl_progress_sub (progress_all, 0.0, share);
  PlProgress rand_progress = pl_progress_sub (progress_all, share, 1.0);
  const PlProgress *progress = progress_all != NULL ? &main_progress : NULL;

  if (sparsities == NULL || n_sparsities <= 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "A sparsity sweep needs at least one "
                   "sparsity");
      return NULL;
    }
  for (gint i = 0; i < n_sparsities; i++)
    if (!isfinite (sparsities[i]) || sparsities[i] < 0.0 || sparsities[i] > 1.0)
      {
        g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                     "Sparsity %d of the sweep is %g; expected a value in [0, 1]", i + 1,
                     sparsities[i]);
        return NULL;
      }
  if (dataset->n <= 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "The dataset “%s” is empty",
                   dataset->name ? dataset->name : "");
      return NULL;
    }

  g_autoptr (PlSweep) sweep = g_new0 (PlSweep, 1);
  sweep->dataset_name = g_strdup (dataset->name ? dataset->name : "");
  sweep->prune_config = o.prune != NULL ? pl_prune_config_copy (o.prune) : pl_prune_config_new ();
  o.prune = sweep->prune_config;
  sweep->protected_layers = sweep->prune_config->protected_layers != NULL
      ? g_strdupv (sweep->prune_config->protected_layers)
      : pl_prune_default_protected (original);
  {
    g_autofree char *d = pl_prune_config_describe (sweep->prune_config);
    g_autofree char *prot = sweep->protected_layers[0] != NULL
        ? g_strjoinv (", ", sweep->protected_layers) : g_strdup ("none");
    sweep->pruning_description = g_strdup_printf ("%s; protected: %s", d, prot);
  }
  sweep->dataset_size = dataset->n;
  sweep->class_names = g_new0 (char *, MAX (dataset->n_classes, 0) + 1);
  for (gint c = 0; c < dataset->n_classes && dataset->class_names != NULL &&
                  dataset->class_names[c] != NULL; c++)
    sweep->class_names[c] = g_strdup (dataset->class_names[c]);

  /* the inputs */
  gint64 n = o.indices != NULL ? o.n_indices : MIN (MAX (o.n_indices, 1), dataset->n);
  if (n <= 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "A sparsity sweep needs at least one "
                   "input to explain");
      return NULL;
    }
  sweep->n_indices = n;
  sweep->indices = g_new (gint64, n);
  for (gint64 i = 0; i < n; i++)
    {
      gint64 idx = o.indices != NULL ? o.indices[i] : i;
      if (idx < 0 || idx >= dataset->n)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "Input index %" G_GINT64_FORMAT " is outside the dataset “%s” "
                       "(0 to %" G_GINT64_FORMAT ")", idx, sweep->dataset_name,
                       dataset->n - 1);
          return NULL;
        }
      sweep->indices[i] = idx;
    }
  o.indices = sweep->indices;
  o.n_indices = n;
  if (o.film_index < 0)
    o.film_index = sweep->indices[0];
  if (o.film_index >= dataset->n)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Filmstrip index %" G_GINT64_FORMAT " is outside the dataset “%s” "
                   "(0 to %" G_GINT64_FORMAT ")", o.film_index, sweep->dataset_name,
                   dataset->n - 1);
      return NULL;
    }
  if (o.n_eval <= 0 || o.n_eval > dataset->n)
    o.n_eval = dataset->n;
  sweep->table = dataset->kind == PL_DATASET_TABLE;
  if (sweep->table)
    o.faithfulness_options.pixels_per_step = 1;   /* as used: one feature per step */
  sweep->options = o;
  sweep->film_index = o.film_index;

  gint64 H = dataset->height, W = dataset->width;
  g_autofree float *reference = NULL;
  if (dataset->kind == PL_DATASET_TABLE)
    {
      /* rows [1, F]: H = 1, W = F; deletion / insertion towards / from the feature means */
      H = 1;
      W = dataset->n_features;
      reference = g_new (float, MAX (W, 1));
      g_autofree float *sd = g_new (float, MAX (W, 1));
      if (!pl_dataset_feature_stats (dataset, reference, sd, error))
        return NULL;
    }
  sweep->labels = g_new (gint, n);
  sweep->targets = g_new (gint, n);
  g_autofree PlTensor **images = g_new0 (PlTensor *, n);
  g_autofree PlTensor **orig_maps = g_new0 (PlTensor *, n);
  g_autoptr (PlTensor) film_img = NULL;
  gboolean ok = TRUE;
  sweep->original_values = g_new (double, (gsize) PL_SWEEP_N_METRICS * n);
  for (gint64 i = 0; i < PL_SWEEP_N_METRICS * n; i++)
    sweep->original_values[i] = NAN;

  PlExecutor *ex = pl_executor_new (original, error);
  if (ex == NULL)
    return NULL;
  PlProgress first = pl_progress_sub (progress, 0.0, 0.5 / (n_sparsities + 0.5));
  for (gint64 i = 0; i < n && ok; i++)
    {
      if (pl_progress_cancelled (progress, error))
        {
          ok = FALSE;
          break;
        }
      pl_progress_report (&first, (double) i / n, "Saliency of the original network");
      images[i] = sample_image (dataset, sweep->indices[i], error);
      ok = images[i] != NULL;
      if (ok)
        {
          sweep->labels[i] = dataset->labels[sweep->indices[i]];
          sweep->targets[i] = predict_one (ex, images[i], error);
          ok = sweep->targets[i] >= 0;
        }
      if (ok)
        {
          orig_maps[i] = saliency_of (ex, images[i], sweep->targets[i], H, W, error);
          ok = orig_maps[i] != NULL;
        }
      if (ok)
        ok = own_metrics (&o, ex, images[i], sweep->targets[i], orig_maps[i], reference,
                          sweep->original_values, n, i, error);
    }
  if (ok)
    for (gint m = 0; m < PL_SWEEP_N_METRICS; m++)
      pl_summarise (sweep->original_values + m * n, n, o.n_bootstrap, o.confidence, o.seed,
                    &sweep->original[m]);
  if (ok)
    {
      film_img = sample_image (dataset, o.film_index, error);
      ok = film_img != NULL;
    }
  if (ok)
    {
      sweep->film_label = dataset->labels[o.film_index];
      sweep->film_target = predict_one (ex, film_img, error);
      ok = sweep->film_target >= 0;
    }
  if (ok)
    {
      sweep->film_original = saliency_of (ex, film_img, sweep->film_target, H, W, error);
      ok = sweep->film_original != NULL;
    }
  pl_executor_free (ex);
  if (ok)
    {
      sweep->film_image = pl_tensor_new_2d (H, W);
      memcpy (sweep->film_image->data, film_img->data, sizeof (float) * H * W);
    }

  if (ok)
    {
      sweep->points = g_new0 (PlSweepPoint, n_sparsities);
      for (gint k = 0; k < n_sparsities && ok; k++)
        {
          sweep->n_points = k + 1;
          double from = (0.5 + k) / (n_sparsities + 0.5);
          double to = (1.5 + k) / (n_sparsities + 0.5);
          PlProgress sub = pl_progress_sub (progress, from, to);
          ok = run_point (sweep, original, dataset, sparsities[k], &sweep->points[k], images,
                          orig_maps, film_img, reference, &sub, error);
        }
    }
  if (ok && o.randomisation_inputs > 0)
    ok = run_randomisation (sweep, original, images,
                            progress_all != NULL ? &rand_progress : NULL, error);
  for (gint64 i = 0; i < n; i++)
    {
      g_clear_pointer (&images[i], pl_tensor_unref);
      g_clear_pointer (&orig_maps[i], pl_tensor_unref);
    }
  if (!ok)
    return NULL;
  pl_progress_report (progress_all, 1.0, NULL);
  sweep->seconds = (g_get_monotonic_time () - t0) / 1e6;
  return g_steal_pointer (&sweep);
}

const char *
pl_sweep_class_name (const PlSweep *sweep, gint c)
{
  g_return_val_if_fail (sweep != NULL, "");
  if (c < 0 || sweep->class_names == NULL)
    return "";
  for (gint i = 0; i <= c; i++)
    if (sweep->class_names[i] == NULL)
      return "";
  return sweep->class_names[c];
}

/* ---- export ---------------------------------------------------------------------- */

/* The shortest of %.15g / %.17g that reads back as v ('.' decimal point). */

static gboolean
write_atomically (const char *path, const char *data, gssize length, GError **error)
{
  g_autoptr (GError) local = NULL;
  if (!g_file_set_contents (path, data, length, &local))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_IO, "Could not write %s: %s", path,
                   local->message);
      return FALSE;
    }
  return TRUE;
}

static char *
indices_text (const PlSweep *sw)
{
  GString *s = g_string_new (NULL);
  for (gint64 i = 0; i < sw->n_indices; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? " " : "", sw->indices[i]);
  return g_string_free (s, FALSE);
}

#define FAITH_TEXT "deletion and insertion AUC of each network's own saliency " \
                   "(Petsiuk et al. 2018), trapezoid rule over the fraction of pixels changed"
#define RANDOM_TEXT "cascading randomisation of the original, output to input, He uniform " \
                    "weights, biases 0 (Adebayo et al. 2018)"
#define METHOD_TEXT "saliency max_c |d logit_t / dx| (Simonyan et al. 2014), " \
                    "t = class predicted by the original network"
#define TABLE_METHOD_TEXT "table rows: signed gradient d logit_t / dx per feature (Simonyan " \
                          "et al. 2014), t = class predicted by the original network; SSIM " \
                          "does not apply to vectors (empty)"
#define TABLE_FAITH_TEXT "deletion and insertion AUC of each network's own gradient " \
                         "(Petsiuk et al. 2018) over features: one feature per step, " \
                         "replaced by / restored from the dataset's feature mean, most " \
                         "important first; trapezoid rule over the fraction of features changed"
#define METHOD(sweep) ((sweep)->table ? TABLE_METHOD_TEXT : METHOD_TEXT)
#define FAITH(sweep) ((sweep)->table ? TABLE_FAITH_TEXT : FAITH_TEXT)

static void
append_param (GString *s, const char *key, const char *value)
{
  g_string_append (s, "# ");
  pl_analysis_csv_text (s, key);
  g_string_append_c (s, ',');
  pl_analysis_csv_text (s, value);
  g_string_append_c (s, '\n');
}

gboolean
pl_sweep_save_csv (const PlSweep *sweep, const char *path, GError **error)
{
  g_return_val_if_fail (sweep != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  const PlSweepOptions *o = &sweep->options;
  g_autoptr (GString) s = g_string_new (NULL);
  char buf[64];
  append_param (s, "generator", "PruneLens pl_sweep_run");
  append_param (s, "dataset", sweep->dataset_name);
  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, sweep->dataset_size);
  append_param (s, "dataset_size", buf);
  append_param (s, "pruning", sweep->pruning_description);
  append_param (s, "method", METHOD (sweep));
  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, o->n_eval);
  append_param (s, "n_eval", buf);
  append_param (s, "eval_samples", "the first n_eval samples of the dataset");
  g_autofree char *idx = indices_text (sweep);
  append_param (s, "indices", idx);
  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, sweep->film_index);
  append_param (s, "film_index", buf);
  pl_analysis_format_double (buf, sizeof buf, o->topk_fraction);
  append_param (s, "topk_fraction", buf);
  g_snprintf (buf, sizeof buf, "%d", o->n_bootstrap);
  append_param (s, "n_bootstrap", buf);
  pl_analysis_format_double (buf, sizeof buf, o->confidence);
  append_param (s, "confidence", buf);
  g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, o->seed);
  append_param (s, "bootstrap_seed", buf);
  append_param (s, "ci", "percentile bootstrap of the mean (Efron & Tibshirani 1993)");
  append_param (s, "faithfulness", o->faithfulness ? FAITH (sweep) : "off");
  if (o->faithfulness)
    {
      g_snprintf (buf, sizeof buf, "%d", o->faithfulness_options.pixels_per_step);
      append_param (s, "faithfulness_pixels_per_step", buf);
      pl_analysis_format_double (buf, sizeof buf, o->faithfulness_options.baseline);
      append_param (s, "deletion_baseline", buf);
      pl_analysis_format_double (buf, sizeof buf, o->faithfulness_options.blur_sigma);
      append_param (s, "insertion_blur_sigma", buf);
      append_param (s, "faithfulness_score",
                    o->faithfulness_options.score == PL_CURVE_SCORE_LOGIT ? "logit"
                                                                         : "probability");
    }
  for (gint m = PL_SWEEP_DELETION; m < PL_SWEEP_N_METRICS; m++)
    {
      const PlSummary *su = &sweep->original[m];
      double v[3] = { su->mean, su->ci_low, su->ci_high };
      const char *f[3] = { "mean", "ci_low", "ci_high" };
      for (int k = 0; k < 3; k++)
        {
          g_autofree char *key = g_strdup_printf ("original_%s_%s", metric_names[m], f[k]);
          if (isfinite (v[k]))
            pl_analysis_format_double (buf, sizeof buf, v[k]);
          else
            buf[0] = '\0';
          append_param (s, key, buf);
        }
    }
  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT,
              sweep->randomisation ? sweep->randomisation->n_inputs : 0);
  append_param (s, "randomisation_inputs", buf);

  g_string_append (s, "sparsity_requested,sparsity,prunable_weights,nonzero_weights,"
                      "parameters,nonzero_parameters,macs_dense,macs_nonzero,n_eval,"
                      "correct,accuracy");
  static const char *const fields[] = { "mean", "sd", "median", "ci_low", "ci_high", "n" };
  for (gint m = 0; m < PL_SWEEP_N_METRICS; m++)
    for (guint f = 0; f < G_N_ELEMENTS (fields); f++)
      g_string_append_printf (s, ",%s_%s", metric_names[m], fields[f]);
  g_string_append_c (s, '\n');
  for (gint k = 0; k < sweep->n_points; k++)
    {
      const PlSweepPoint *p = &sweep->points[k];
      pl_analysis_csv_double (s, p->sparsity_requested);
      g_string_append_c (s, ',');
      pl_analysis_csv_double (s, p->sparsity);
      g_string_append_printf (s, ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%"
                              G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",", p->prunable_weights,
                              p->nonzero_weights, p->parameters, p->nonzero_parameters);
      if (p->macs_dense >= 0)
        g_string_append_printf (s, "%" G_GINT64_FORMAT, p->macs_dense);
      g_string_append_c (s, ',');
      if (p->macs_nonzero >= 0)
        g_string_append_printf (s, "%" G_GINT64_FORMAT, p->macs_nonzero);
      g_string_append_printf (s, ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",", p->n_eval,
                              p->correct);
      pl_analysis_csv_double (s, p->accuracy);
      for (gint m = 0; m < PL_SWEEP_N_METRICS; m++)
        {
          const PlSummary *su = &p->summary[m];
          double v[5] = { su->mean, su->sd, su->median, su->ci_low, su->ci_high };
          for (int f = 0; f < 5; f++)
            {
              g_string_append_c (s, ',');
              pl_analysis_csv_double (s, v[f]);
            }
          g_string_append_printf (s, ",%" G_GINT64_FORMAT, su->n);
        }
      g_string_append_c (s, '\n');
    }
  return write_atomically (path, s->str, (gssize) s->len, error);
}




static void
json_map (JsonBuilder *b, const char *name, const PlTensor *t)
{
  json_builder_set_member_name (b, name);
  if (t == NULL)
    {
      json_builder_add_null_value (b);
      return;
    }
  json_builder_begin_array (b);
  gint64 H = t->ndim == 2 ? t->shape[0] : 1, W = t->numel / MAX (H, 1);
  for (gint64 r = 0; r < H; r++)
    {
      json_builder_begin_array (b);
      for (gint64 c = 0; c < W; c++)
        pl_analysis_json_double (b, NULL, t->data[r * W + c]);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
}

static void
json_summary (JsonBuilder *b, const PlSummary *su, const double *values, gint64 n)
{
  json_builder_begin_object (b);
  pl_analysis_json_int (b, "n", su->n);
  pl_analysis_json_double (b, "mean", su->mean);
  pl_analysis_json_double (b, "sd", su->sd);
  pl_analysis_json_double (b, "median", su->median);
  pl_analysis_json_double (b, "ci_low", su->ci_low);
  pl_analysis_json_double (b, "ci_high", su->ci_high);
  json_builder_set_member_name (b, "values");
  json_builder_begin_array (b);
  for (gint64 i = 0; values != NULL && i < n; i++)
    pl_analysis_json_double (b, NULL, values[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
}

char *
pl_sweep_to_json (const PlSweep *sweep, gsize *length)
{
  g_return_val_if_fail (sweep != NULL, NULL);
  const PlSweepOptions *o = &sweep->options;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  pl_analysis_json_string (b, "generator", "PruneLens pl_sweep_run");
  json_builder_set_member_name (b, "parameters");
  json_builder_begin_object (b);
  pl_analysis_json_string (b, "dataset", sweep->dataset_name);
  pl_analysis_json_int (b, "dataset_size", sweep->dataset_size);
  pl_analysis_json_string (b, "pruning", sweep->pruning_description);
  json_builder_set_member_name (b, "protected");
  json_builder_begin_array (b);
  for (char **pp = sweep->protected_layers; pp != NULL && *pp != NULL; pp++)
    json_builder_add_string_value (b, *pp);
  json_builder_end_array (b);
  pl_analysis_json_string (b, "method", METHOD (sweep));
  pl_analysis_json_int (b, "n_eval", o->n_eval);
  pl_analysis_json_string (b, "eval_samples", "the first n_eval samples of the dataset");
  json_builder_set_member_name (b, "indices");
  json_builder_begin_array (b);
  for (gint64 i = 0; i < sweep->n_indices; i++)
    json_builder_add_int_value (b, sweep->indices[i]);
  json_builder_end_array (b);
  pl_analysis_json_int (b, "film_index", sweep->film_index);
  pl_analysis_json_double (b, "topk_fraction", o->topk_fraction);
  pl_analysis_json_int (b, "n_bootstrap", o->n_bootstrap);
  pl_analysis_json_double (b, "confidence", o->confidence);
  pl_analysis_json_int (b, "bootstrap_seed", (gint64) o->seed);
  pl_analysis_json_string (b, "ci", "percentile bootstrap of the mean (Efron & Tibshirani 1993)");
  pl_analysis_json_double (b, "seconds", sweep->seconds);
  pl_analysis_json_string (b, "faithfulness", o->faithfulness ? FAITH (sweep) : "off");
  pl_analysis_json_int (b, "faithfulness_pixels_per_step",
                        o->faithfulness_options.pixels_per_step);
  pl_analysis_json_double (b, "deletion_baseline", o->faithfulness_options.baseline);
  pl_analysis_json_double (b, "insertion_blur_sigma", o->faithfulness_options.blur_sigma);
  pl_analysis_json_string (b, "faithfulness_score",
                           o->faithfulness_options.score == PL_CURVE_SCORE_LOGIT
                               ? "logit" : "probability");
  pl_analysis_json_int (b, "randomisation_inputs",
                        sweep->randomisation ? sweep->randomisation->n_inputs : 0);
  pl_analysis_json_string (b, "randomisation", sweep->randomisation ? RANDOM_TEXT : "off");
  pl_analysis_json_int (b, "randomisation_seed", (gint64) (o->seed + 2));
  json_builder_end_object (b);

  /* the original network's own metrics (the reference of the per-network curves) */
  json_builder_set_member_name (b, "original");
  json_builder_begin_object (b);
  for (gint m = PL_SWEEP_DELETION; m < PL_SWEEP_N_METRICS; m++)
    {
      json_builder_set_member_name (b, metric_names[m]);
      json_summary (b, &sweep->original[m], sweep->original_values + m * sweep->n_indices,
                    sweep->n_indices);
    }
  json_builder_end_object (b);

  json_builder_set_member_name (b, "randomisation");
  if (sweep->randomisation == NULL)
    json_builder_add_null_value (b);
  else
    {
      const PlRandomisationCurve *rc = sweep->randomisation;
      json_builder_begin_array (b);
      for (gint st = 0; st < rc->n_steps; st++)
        {
          json_builder_begin_object (b);
          pl_analysis_json_int (b, "step", st);
          pl_analysis_json_string (b, "layer", rc->layer_names[st]);
          json_builder_set_member_name (b, "spearman_abs");
          json_summary (b, &sweep->randomisation_spearman_abs[st],
                        rc->spearman_abs_all + (gint64) st * rc->n_inputs, rc->n_inputs);
          pl_analysis_json_double (b, "topk_intersection", rc->topk[st]);
          pl_analysis_json_double (b, "ssim", rc->ssim[st]);
          pl_analysis_json_double (b, "pearson", rc->pearson[st]);
          pl_analysis_json_double (b, "cosine", rc->cosine[st]);
          pl_analysis_json_double (b, "kendall", rc->kendall[st]);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }

  json_builder_set_member_name (b, "inputs");
  json_builder_begin_array (b);
  for (gint64 i = 0; i < sweep->n_indices; i++)
    {
      json_builder_begin_object (b);
      pl_analysis_json_int (b, "index", sweep->indices[i]);
      pl_analysis_json_int (b, "label", sweep->labels[i]);
      pl_analysis_json_int (b, "target", sweep->targets[i]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "points");
  json_builder_begin_array (b);
  for (gint k = 0; k < sweep->n_points; k++)
    {
      const PlSweepPoint *p = &sweep->points[k];
      json_builder_begin_object (b);
      pl_analysis_json_double (b, "sparsity_requested", p->sparsity_requested);
      pl_analysis_json_double (b, "sparsity", p->sparsity);
      pl_analysis_json_int (b, "prunable_weights", p->prunable_weights);
      pl_analysis_json_int (b, "nonzero_weights", p->nonzero_weights);
      pl_analysis_json_int (b, "parameters", p->parameters);
      pl_analysis_json_int (b, "nonzero_parameters", p->nonzero_parameters);
      json_builder_set_member_name (b, "macs_dense");
      if (p->macs_dense >= 0)
        json_builder_add_int_value (b, p->macs_dense);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "macs_nonzero");
      if (p->macs_nonzero >= 0)
        json_builder_add_int_value (b, p->macs_nonzero);
      else
        json_builder_add_null_value (b);
      pl_analysis_json_int (b, "n_eval", p->n_eval);
      pl_analysis_json_int (b, "correct", p->correct);
      pl_analysis_json_double (b, "accuracy", p->accuracy);
      json_builder_set_member_name (b, "metrics");
      json_builder_begin_object (b);
      for (gint m = 0; m < PL_SWEEP_N_METRICS; m++)
        {
          const PlSummary *su = &p->summary[m];
          json_builder_set_member_name (b, metric_names[m]);
          json_builder_begin_object (b);
          pl_analysis_json_int (b, "n", su->n);
          pl_analysis_json_double (b, "mean", su->mean);
          pl_analysis_json_double (b, "sd", su->sd);
          pl_analysis_json_double (b, "median", su->median);
          pl_analysis_json_double (b, "ci_low", su->ci_low);
          pl_analysis_json_double (b, "ci_high", su->ci_high);
          json_builder_set_member_name (b, "values");
          json_builder_begin_array (b);
          for (gint64 i = 0; i < sweep->n_indices; i++)
            pl_analysis_json_double (b, NULL, p->values[m * sweep->n_indices + i]);
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
      json_builder_set_member_name (b, "pred");
      json_builder_begin_array (b);
      for (gint64 i = 0; i < sweep->n_indices; i++)
        json_builder_add_int_value (b, p->pred[i]);
      json_builder_end_array (b);
      pl_analysis_json_int (b, "film_pred", p->film_pred);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "film");
  json_builder_begin_object (b);
  pl_analysis_json_int (b, "index", sweep->film_index);
  pl_analysis_json_int (b, "label", sweep->film_label);
  pl_analysis_json_int (b, "target", sweep->film_target);
  pl_analysis_json_string (b, "label_name", pl_sweep_class_name (sweep, sweep->film_label));
  pl_analysis_json_string (b, "target_name", pl_sweep_class_name (sweep, sweep->film_target));
  json_map (b, "image", sweep->film_image);
  json_map (b, "saliency_original", sweep->film_original);
  json_builder_set_member_name (b, "saliency_pruned");
  json_builder_begin_array (b);
  for (gint k = 0; k < sweep->n_points; k++)
    {
      json_builder_begin_object (b);
      pl_analysis_json_double (b, "sparsity_requested", sweep->points[k].sparsity_requested);
      json_map (b, "map", sweep->points[k].film_map);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_object (b);

  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, length);
}

gboolean
pl_sweep_save_json (const PlSweep *sweep, const char *path, GError **error)
{
  g_return_val_if_fail (sweep != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  gsize length = 0;
  g_autofree char *data = pl_sweep_to_json (sweep, &length);
  return write_atomically (path, data, (gssize) length, error);
}

gboolean
pl_sweep_save_reference_csv (const PlSweep *sweep, const char *path, GError **error)
{
  g_return_val_if_fail (sweep != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_autoptr (GString) s = g_string_new (NULL);
  append_param (s, "generator", "PruneLens pl_sweep_run");
  append_param (s, "dataset", sweep->dataset_name);
  append_param (s, "method", METHOD (sweep));
  append_param (s, "faithfulness", sweep->options.faithfulness ? FAITH (sweep) : "off");
  append_param (s, "randomisation", sweep->randomisation ? RANDOM_TEXT : "off");
  char buf[64];
  g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, sweep->options.seed + 2);
  append_param (s, "randomisation_seed", buf);
  g_string_append (s, "curve,step,layer,metric,n,mean,ci_low,ci_high\n");
  for (gint m = PL_SWEEP_DELETION; m < PL_SWEEP_N_METRICS; m++)
    {
      const PlSummary *su = &sweep->original[m];
      g_string_append_printf (s, "original,,,%s,%" G_GINT64_FORMAT ",", metric_names[m],
                              su->n);
      pl_analysis_csv_double (s, su->mean);
      g_string_append_c (s, ',');
      pl_analysis_csv_double (s, su->ci_low);
      g_string_append_c (s, ',');
      pl_analysis_csv_double (s, su->ci_high);
      g_string_append_c (s, '\n');
    }
  const PlRandomisationCurve *rc = sweep->randomisation;
  for (gint st = 0; rc != NULL && st < rc->n_steps; st++)
    {
      const PlSummary *su = &sweep->randomisation_spearman_abs[st];
      const char *names[5] = { "spearman_abs", "topk_intersection", "ssim", "pearson",
                               "cosine" };
      double means[5] = { su->mean, rc->topk[st], rc->ssim[st], rc->pearson[st],
                          rc->cosine[st] };
      for (int k = 0; k < 5; k++)
        {
          g_string_append_printf (s, "randomisation,%d,", st);
          pl_analysis_csv_text (s, rc->layer_names[st]);
          g_string_append_printf (s, ",%s,%" G_GINT64_FORMAT ",", names[k], rc->n_inputs);
          pl_analysis_csv_double (s, means[k]);
          g_string_append_c (s, ',');
          if (k == 0)
            pl_analysis_csv_double (s, su->ci_low);
          g_string_append_c (s, ',');
          if (k == 0)
            pl_analysis_csv_double (s, su->ci_high);
          g_string_append_c (s, '\n');
        }
    }
  return write_atomically (path, s->str, (gssize) s->len, error);
}
