#include "config.h"
#include "pl-session.h"

#include <math.h>
#include <string.h>
#include "exec/pl-executor.h"
#include "explain/pl-attribution.h"
#include "pl-error.h"

char *
pl_default_model_path (void)
{
  const char *dirs[] = { g_getenv ("PRUNELENS_DATADIR"), PL_SOURCE_DATADIR, PL_DATADIR };
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      if (dirs[i] == NULL)
        continue;
      g_autofree char *p = g_build_filename (dirs[i], "models", "fashion-cnn.onnx", NULL);
      if (g_file_test (p, G_FILE_TEST_EXISTS))
        return g_steal_pointer (&p);
    }
  return g_build_filename (PL_DATADIR, "models", "fashion-cnn.onnx", NULL);
}

gboolean
pl_model_check_dataset (PlGraph *graph, const char *model_name, const PlDataset *dataset,
                        GError **error)
{
  g_return_val_if_fail (graph != NULL && dataset != NULL, FALSE);
  if (model_name == NULL)
    model_name = graph->name ? graph->name : "the model";

  gint64 shape[PL_TENSOR_MAX_DIMS];
  gint nd = pl_graph_sample_shape (graph, shape);
  gint64 want[3] = { dataset->channels, dataset->height, dataset->width };
  if (dataset->kind == PL_DATASET_TABLE)
    {
      if (nd >= 0 && (nd != 1 || shape[0] != dataset->n_features))
        {
          g_autofree char *got = pl_tensor_shape_string (nd, shape);
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "%s: the model takes inputs of shape %s, but %s has rows of %d features",
                       model_name, got, dataset->name, dataset->n_features);
          return FALSE;
        }
      if (dataset->n_classes < 1)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                       "%s: a regression table (no classes); PruneLens needs class labels",
                       dataset->name);
          return FALSE;
        }
    }
  else if (nd >= 0
           && (nd != 3 || shape[0] != want[0] || shape[1] != want[1] || shape[2] != want[2]))
    {
      g_autofree char *got = pl_tensor_shape_string (nd, shape);
      g_autofree char *ds = pl_tensor_shape_string (3, want);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "%s: the model takes inputs of shape %s, but %s has images of shape %s",
                   model_name, got, dataset->name, ds);
      return FALSE;
    }

  g_autoptr (GError) local = NULL;
  PlExecutor *ex = pl_executor_new (graph, &local);
  g_autoptr (PlTensor) x = ex ? pl_dataset_range (dataset, 0, 1, &local) : NULL;
  g_autoptr (PlTensor) logits = x ? pl_executor_predict (ex, x, 1, NULL, &local) : NULL;
  g_clear_pointer (&ex, pl_executor_free);
  if (logits == NULL)
    {
      g_set_error (error, PL_ERROR, local->domain == PL_ERROR ? local->code : PL_ERROR_FAILED,
                   "%s: %s", model_name, local->message);
      return FALSE;
    }
  if (logits->ndim != 2 || logits->shape[1] != dataset->n_classes)
    {
      g_autofree char *got = pl_tensor_shape_string (logits->ndim, logits->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "%s: the model's first output has shape %s per batch, but %s has %d %s: "
                   "PruneLens needs one logit per class, [N, %d]",
                   model_name, got, dataset->name, dataset->n_classes,
                   dataset->n_classes == 1 ? "class" : "classes", dataset->n_classes);
      return FALSE;
    }
  for (gint64 i = 0; i < logits->numel; i++)
    if (!isfinite (logits->data[i]))
      {
        g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                     "%s: the network's outputs are not finite (NaN or infinity) on sample 0 of "
                     "%s; check the model's weights",
                     model_name, dataset->name);
        return FALSE;
      }
  return TRUE;
}

/* A constant vector has no ranking: its top-k set is arbitrary. */
static gboolean
is_constant (const float *v, gint64 n)
{
  for (gint64 i = 1; i < n; i++)
    if (v[i] != v[0])
      return FALSE;
  return TRUE;
}

static void
similarity (const PlTensor *a, const PlTensor *b, double topk_fraction, PlSimilarity *out)
{
  pl_attribution_similarity (a->data, b->data, a->numel, topk_fraction, out);
  if (is_constant (a->data, a->numel) || is_constant (b->data, b->numel))
    out->topk_intersection = NAN;
}

PlPruneStep *
pl_prune_step_run (PlGraph *original, const PlDataset *dataset, double target_sparsity,
                   gint64 n_eval, const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (original != NULL, NULL);
  g_return_val_if_fail (dataset != NULL, NULL);

  return pl_prune_step_run_config (original, dataset, NULL, target_sparsity, n_eval, progress,
                                   error);
}

PlPruneStep *
pl_prune_step_run_config (PlGraph *original, const PlDataset *dataset,
                          const PlPruneConfig *config, double target_sparsity, gint64 n_eval,
                          const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (original != NULL, NULL);
  g_return_val_if_fail (dataset != NULL, NULL);

  pl_progress_report (progress, 0.0, "Pruning");
  PlProgress prune_progress = pl_progress_sub (progress, 0.0, 0.05);
  g_autoptr (PlGraph) pruned = config == NULL
      ? pl_prune_magnitude (original, target_sparsity, PL_PRUNE_SCOPE_GLOBAL, error)
      : pl_prune_apply (original, config, target_sparsity, &prune_progress, error);
  if (pruned == NULL)
    return NULL;
  if (pl_progress_cancelled (progress, error))
    return NULL;

  PlProgress sub = pl_progress_sub (progress, 0.05, 1.0);
  g_autoptr (PlEvaluation) evaluation = pl_evaluate_classifier (pruned, dataset, n_eval,
                                                                &sub, error);
  if (evaluation == NULL)
    return NULL;

  g_autoptr (GArray) weights = pl_graph_prunable_weights (pruned);
  gint64 n_weights = 0;
  for (guint i = 0; i < weights->len; i++)
    {
      const PlValue *v = pl_graph_value (pruned, g_array_index (weights, gint, i));
      n_weights += v->init->numel;
    }

  PlPruneStep *step = g_new0 (PlPruneStep, 1);
  step->target_sparsity = target_sparsity;
  step->achieved_sparsity = pl_graph_weight_sparsity (pruned);
  step->n_weights = n_weights;
  step->pruned = g_steal_pointer (&pruned);
  step->evaluation = g_steal_pointer (&evaluation);
  if (config == NULL)
    step->description = g_strdup ("global magnitude pruning");
  else
    {
      g_autofree char *d = pl_prune_config_describe (config);
      step->description = g_strdup_printf ("pruning by %s", d);
    }
  pl_progress_report (progress, 1.0, NULL);
  return step;
}

PlPruneStep *
pl_prune_step_run_schedule (PlGraph *original, const PlDataset *dataset,
                            const PlPruneConfig *config, const PlPruneSchedule *schedule,
                            double target_sparsity, gint64 n_eval, PlPruneHistory *history,
                            const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (original != NULL, NULL);
  g_return_val_if_fail (dataset != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_autoptr (PlPruneConfig) own_config = config ? NULL : pl_prune_config_new ();
  if (config == NULL)
    {
      pl_prune_config_set_protected (own_config, (const char *const[]) { NULL });
      config = own_config;
    }
  g_autoptr (PlPruneSchedule) own_schedule = schedule ? NULL
                                                      : pl_prune_schedule_new (PL_SCHEDULE_ONE_SHOT);
  if (schedule == NULL)
    schedule = own_schedule;

  PlProgress run_progress = pl_progress_sub (progress, 0.0, 0.8);
  g_autoptr (PlScheduleResult) result = pl_prune_schedule_run (original, config, schedule,
                                                               target_sparsity, history,
                                                               &run_progress, error);
  if (result == NULL)
    return NULL;
  PlProgress sub = pl_progress_sub (progress, 0.8, 1.0);
  g_autoptr (PlEvaluation) evaluation = pl_evaluate_classifier (result->final, dataset, n_eval,
                                                                &sub, error);
  if (evaluation == NULL)
    return NULL;

  g_autoptr (GArray) weights = pl_graph_prunable_weights (result->final);
  gint64 n_weights = 0;
  for (guint i = 0; i < weights->len; i++)
    n_weights += pl_graph_value (result->final, g_array_index (weights, gint, i))->init->numel;

  PlPruneStep *step = g_new0 (PlPruneStep, 1);
  step->target_sparsity = target_sparsity;
  step->achieved_sparsity = pl_graph_weight_sparsity (result->final);
  step->n_weights = n_weights;
  step->pruned = pl_graph_ref (result->final);
  step->evaluation = g_steal_pointer (&evaluation);
  g_autofree char *d = pl_prune_config_describe (config);
  g_autofree char *sd = pl_prune_schedule_describe (schedule);
  step->description = g_strdup_printf ("pruning by %s; schedule: %s", d, sd);
  pl_progress_report (progress, 1.0, NULL);
  return step;
}

void
pl_prune_step_free (PlPruneStep *step)
{
  if (step == NULL)
    return;
  g_clear_pointer (&step->pruned, pl_graph_unref);
  g_clear_pointer (&step->evaluation, pl_evaluation_free);
  g_free (step->description);
  g_free (step);
}

static const struct {
  const char *id;
  const char *label;
  gboolean is_signed;
} map_methods[PL_MAP_N_METHODS] = {
  { "saliency", "Saliency", FALSE },
  { "gradient-x-input", "Gradient × Input", TRUE },
  { "integrated-gradients", "Integrated Gradients", TRUE },
  { "smoothgrad", "SmoothGrad", FALSE },
  { "occlusion", "Occlusion", TRUE },
  { "grad-cam", "Grad-CAM", FALSE },
};

const char *
pl_map_method_id (PlMapMethod method)
{
  g_return_val_if_fail (method < PL_MAP_N_METHODS, NULL);
  return map_methods[method].id;
}

const char *
pl_map_method_label (PlMapMethod method)
{
  g_return_val_if_fail (method < PL_MAP_N_METHODS, NULL);
  return map_methods[method].label;
}

gboolean
pl_map_method_is_signed (PlMapMethod method)
{
  g_return_val_if_fail (method < PL_MAP_N_METHODS, FALSE);
  return map_methods[method].is_signed;
}

gboolean
pl_map_method_from_id (const char *id, PlMapMethod *method)
{
  for (gint i = 0; i < PL_MAP_N_METHODS; i++)
    if (g_strcmp0 (id, map_methods[i].id) == 0)
      {
        *method = (PlMapMethod) i;
        return TRUE;
      }
  return FALSE;
}

/* The [H, W] map of method for image [1, C, H, W]: channels summed (saliency: max |·|,
 * as Simonyan et al.). *parameters and *residual describe the run. */
static PlTensor *
compute_map (PlExecutor *ex, const PlTensor *image, gint target, PlMapMethod method,
             char **parameters, double *residual, const PlProgress *progress, GError **error)
{
  *residual = NAN;
  if (method == PL_MAP_SALIENCY)
    {
      if (parameters != NULL && *parameters == NULL)
        *parameters = g_strdup ("absolute=true reduce=max-over-channels");
      return pl_saliency (ex, image, target, error);
    }

  g_autoptr (PlAttribution) a = NULL;
  switch (method)
    {
    case PL_MAP_GRADIENT_X_INPUT:
      a = pl_attribution_gradient_x_input (ex, image, target, progress, error);
      break;
    case PL_MAP_INTEGRATED_GRADIENTS:
      {
        PlIntegratedGradientsOptions o;
        pl_integrated_gradients_options_init (&o);
        a = pl_attribution_integrated_gradients (ex, image, target, &o, progress, error);
        break;
      }
    case PL_MAP_SMOOTHGRAD:
      {
        PlSmoothGradOptions o;
        pl_smoothgrad_options_init (&o);
        a = pl_attribution_smoothgrad (ex, image, target, &o, progress, error);
        break;
      }
    case PL_MAP_OCCLUSION:
      {
        PlOcclusionOptions o;
        pl_occlusion_options_init (&o);
        a = pl_attribution_occlusion (ex, image, target, &o, progress, error);
        break;
      }
    case PL_MAP_GRAD_CAM:
    default:
      {
        PlGradCamOptions o;
        pl_grad_cam_options_init (&o);
        a = pl_attribution_grad_cam (ex, image, target, &o, progress, error);
        break;
      }
    }
  if (a == NULL)
    return NULL;
  const PlTensor *t = a->attribution;
  gint64 H = image->shape[2], W = image->shape[3];
  if (t->numel % (H * W) != 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_FAILED, "%s returned %" G_GINT64_FORMAT
                   " values for a %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT " image",
                   a->method, t->numel, H, W);
      return NULL;
    }
  PlTensor *map = pl_tensor_new_2d (H, W);
  gint64 channels = t->numel / (H * W);
  for (gint64 c = 0; c < channels; c++)
    for (gint64 i = 0; i < H * W; i++)
      map->data[i] += t->data[c * H * W + i];
  if (parameters != NULL && *parameters == NULL)
    *parameters = g_strdup (a->parameters);
  *residual = a->residual;
  return map;
}

void
pl_comparison_options_init (PlComparisonOptions *options)
{
  g_return_if_fail (options != NULL);
  options->method = PL_MAP_SALIENCY;
  options->grid = 4;
  options->shap_budget = 0;
  options->seed = 1;
  options->baseline = 0.0f;
  options->topk_fraction = 0.1;
}

/* Softmax probability of the arg-max class, computed stably. */
static double
top_probability (const float *logits, gint k, gint *argmax)
{
  gint best = (gint) pl_tensor_argmax (logits, k);
  double sum = 0.0;
  for (gint i = 0; i < k; i++)
    sum += exp ((double) logits[i] - (double) logits[best]);
  *argmax = best;
  return 1.0 / sum;
}

static PlTensor *
difference (const PlTensor *a, const PlTensor *b)
{
  PlTensor *d = pl_tensor_new_like (a);
  for (gint64 i = 0; i < a->numel; i++)
    d->data[i] = b->data[i] - a->data[i];
  return d;
}

/* ---- tables ------------------------------------------------------------------- */

/* The [1, F] attribution of table row [1, F] by method (see PlComparison). reference: the
 * dataset's feature means [1, F] (IG baseline, occlusion value). */
static PlTensor *
compute_table_map (PlExecutor *ex, const PlTensor *row, gint target, PlMapMethod method,
                   const PlTensor *reference, char **parameters, double *residual,
                   const PlProgress *progress, GError **error)
{
  *residual = NAN;
  g_autoptr (PlAttribution) a = NULL;
  switch (method)
    {
    case PL_MAP_SALIENCY:
      {
        PlSaliencyOptions o;
        pl_saliency_options_init (&o);
        o.absolute = FALSE;
        a = pl_attribution_saliency (ex, row, target, &o, progress, error);
        break;
      }
    case PL_MAP_GRADIENT_X_INPUT:
      a = pl_attribution_gradient_x_input (ex, row, target, progress, error);
      break;
    case PL_MAP_INTEGRATED_GRADIENTS:
      {
        PlIntegratedGradientsOptions o;
        pl_integrated_gradients_options_init (&o);
        o.baseline = PL_BASELINE_TENSOR;
        o.baseline_tensor = reference;
        o.baseline_name = "dataset-mean";
        a = pl_attribution_integrated_gradients (ex, row, target, &o, progress, error);
        break;
      }
    case PL_MAP_SMOOTHGRAD:
      {
        PlSmoothGradOptions o;
        pl_smoothgrad_options_init (&o);
        a = pl_attribution_smoothgrad (ex, row, target, &o, progress, error);
        break;
      }
    case PL_MAP_OCCLUSION:
      {
        PlOcclusionOptions o;
        pl_occlusion_options_init (&o);
        o.window_w = 1;
        o.stride_w = 1;
        o.baseline_tensor = reference;
        a = pl_attribution_occlusion (ex, row, target, &o, progress, error);
        break;
      }
    case PL_MAP_GRAD_CAM:
    default:
      g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                   "Grad-CAM needs a convolution layer; a table model has none. Choose "
                   "saliency, gradient × input, integrated gradients, SmoothGrad or occlusion");
      return NULL;
    }
  if (a == NULL)
    return NULL;
  gint64 F = row->shape[1];
  if (a->attribution->numel != F)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_FAILED, "%s returned %" G_GINT64_FORMAT
                   " values for a row of %" G_GINT64_FORMAT " features", a->method,
                   a->attribution->numel, F);
      return NULL;
    }
  PlTensor *map = pl_tensor_new_2d (1, F);
  memcpy (map->data, a->attribution->data, sizeof (float) * F);
  if (parameters != NULL && *parameters == NULL)
    *parameters = g_strdup (a->parameters);
  *residual = a->residual;
  return map;
}

/* pl_comparison_compute for a table dataset: see PlComparison. */
/* The end of a comparison, for images and table rows alike: the KernelSHAP evaluation
 * count for M segments or features (enumeration when 2^M − 2 fits the budget, plus the
 * empty and full coalitions), the difference maps and the similarities. */
static void
comparison_finish (PlComparison *cmp, gint M, const PlComparisonOptions *options,
                   const PlProgress *progress)
{
  gint64 full = (M < 31) ? ((G_GINT64_CONSTANT (1) << M) - 2) : G_MAXINT64;
  gint budget = options->shap_budget > 0 ? options->shap_budget : 2 * M + 2048;
  cmp->shap_evaluations = (gint) MIN ((gint64) budget, full) + 2;
  cmp->saliency_diff = difference (cmp->saliency[0], cmp->saliency[1]);
  cmp->shap_diff = difference (cmp->shap_map[0], cmp->shap_map[1]);
  similarity (cmp->saliency[0], cmp->saliency[1], options->topk_fraction,
              &cmp->saliency_similarity);
  similarity (cmp->patch[0], cmp->patch[1], options->topk_fraction, &cmp->patch_similarity);
  similarity (cmp->shap[0], cmp->shap[1], options->topk_fraction, &cmp->shap_similarity);
  pl_progress_report (progress, 1.0, NULL);
}

static PlComparison *
comparison_compute_table (PlGraph *original, PlGraph *pruned, const PlDataset *dataset,
                          gint64 index, const PlComparisonOptions *options,
                          const PlProgress *progress, GError **error)
{
  gint F = dataset->n_features;
  if (F < 1)
    {
      g_autofree char *qname = pl_error_quote (dataset->name ? dataset->name : "");
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "The table “%s” has no feature columns",
                   qname);
      return NULL;
    }
  g_autoptr (PlTensor) reference = pl_tensor_new_2d (1, F);
  {
    g_autofree float *sd = g_new (float, F);
    if (!pl_dataset_feature_stats (dataset, reference->data, sd, error))
      return NULL;
  }

  g_autoptr (PlComparison) cmp = g_new0 (PlComparison, 1);
  cmp->index = index;
  cmp->label = dataset->labels[index];
  cmp->options = *options;
  cmp->image = pl_dataset_range (dataset, index, 1, error);
  if (cmp->image == NULL)
    return NULL;
  /* One segment per feature, named after it: the bars are the features. */
  cmp->grid = pl_segmentation_grid (1, F, 1, F);
  for (gint j = 0; j < F; j++)
    if (dataset->feature_names != NULL && dataset->feature_names[j] != NULL)
      {
        g_free (cmp->grid->names[j]);
        cmp->grid->names[j] = g_strdup (dataset->feature_names[j]);
      }

  PlGraph *graphs[2] = { original, pruned };
  PlExecutor *executors[2] = { NULL, NULL };
  gboolean ok = FALSE;

  for (gint g = 0; g < 2; g++)
    {
      executors[g] = pl_executor_new (graphs[g], error);
      if (executors[g] == NULL)
        goto out;
      g_autoptr (PlTensor) logits = pl_executor_predict (executors[g], cmp->image, 1, NULL,
                                                         error);
      if (logits == NULL)
        goto out;
      gint k = (gint) logits->shape[1];
      cmp->prob[g] = top_probability (logits->data, k, &cmp->pred[g]);
      if (g == 0)
        cmp->target = cmp->pred[0];
      if (cmp->target >= k)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "The pruned network has %d classes; class %d does not exist", k,
                       cmp->target);
          goto out;
        }
      cmp->target_logit[g] = logits->data[cmp->target];
    }

  for (gint g = 0; g < 2; g++)
    {
      if (pl_progress_cancelled (progress, error))
        goto out;
      PlProgress sub = pl_progress_sub (progress, 0.25 * g, 0.25 * (g + 1));
      cmp->saliency[g] = compute_table_map (executors[g], cmp->image, cmp->target,
                                            options->method, reference, &cmp->map_parameters,
                                            &cmp->map_residual[g], &sub, error);
      if (cmp->saliency[g] == NULL)
        goto out;
      cmp->patch[g] = pl_segment_sum (cmp->saliency[g], cmp->grid);
    }

  PlKernelShapOptions shap_options = {
    .budget = options->shap_budget,
    .seed = options->seed,
    .batch = 0,
  };
  for (gint g = 0; g < 2; g++)
    {
      if (pl_progress_cancelled (progress, error))
        goto out;
      PlProgress sub = pl_progress_sub (progress, 0.5 + 0.25 * g, 0.75 + 0.25 * g);
      g_autoptr (PlAttribution) a = pl_attribution_kernel_shap_table (executors[g], cmp->image,
                                                                      cmp->target, reference,
                                                                      &shap_options, &sub,
                                                                      error);
      if (a == NULL)
        goto out;
      if (a->attribution->numel != F)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_FAILED, "KernelSHAP returned %" G_GINT64_FORMAT
                       " values for a row of %d features", a->attribution->numel, F);
          goto out;
        }
      cmp->shap[g] = pl_tensor_new_1d (F);
      memcpy (cmp->shap[g]->data, a->attribution->data, sizeof (float) * F);
      cmp->shap_phi0[g] = a->f_baseline;
      cmp->shap_map[g] = pl_segment_paint (cmp->shap[g], cmp->grid);
    }
  comparison_finish (cmp, F, options, progress);
  ok = TRUE;

out:
  for (gint g = 0; g < 2; g++)
    g_clear_pointer (&executors[g], pl_executor_free);
  return ok ? g_steal_pointer (&cmp) : NULL;
}

PlComparison *
pl_comparison_compute (PlGraph *original, PlGraph *pruned, const PlDataset *dataset,
                       gint64 index, const PlComparisonOptions *options,
                       const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (original != NULL && pruned != NULL && dataset != NULL, NULL);

  PlComparisonOptions defaults;
  if (options == NULL)
    {
      pl_comparison_options_init (&defaults);
      options = &defaults;
    }
  if (index < 0 || index >= dataset->n)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Sample %" G_GINT64_FORMAT " is outside the dataset (0 to %" G_GINT64_FORMAT ")",
                   index, dataset->n - 1);
      return NULL;
    }
  if (dataset->kind == PL_DATASET_TABLE)
    return comparison_compute_table (original, pruned, dataset, index, options, progress,
                                     error);
  if (options->grid < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "A patch grid needs at least 1 × 1 patches, not %d × %d", options->grid,
                   options->grid);
      return NULL;
    }
  /* An image smaller than the grid (e.g. 2 × 2 pixels under the default 4 × 4): the
   * largest square grid that fits; cmp->options.grid records it. */
  PlComparisonOptions fitted = *options;
  fitted.grid = MIN (fitted.grid, MIN (dataset->height, dataset->width));
  if (fitted.grid < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "%s: the images are %d × %d pixels; nothing to explain",
                   dataset->name ? dataset->name : "", dataset->height, dataset->width);
      return NULL;
    }
  options = &fitted;

  g_autoptr (PlComparison) cmp = g_new0 (PlComparison, 1);
  cmp->index = index;
  cmp->label = dataset->labels[index];
  cmp->options = *options;
  cmp->image = pl_dataset_range (dataset, index, 1, error);
  if (cmp->image == NULL)
    return NULL;
  cmp->grid = pl_segmentation_grid (dataset->height, dataset->width, options->grid,
                                    options->grid);

  PlGraph *graphs[2] = { original, pruned };
  PlExecutor *executors[2] = { NULL, NULL };
  gboolean ok = FALSE;

  for (gint g = 0; g < 2; g++)
    {
      executors[g] = pl_executor_new (graphs[g], error);
      if (executors[g] == NULL)
        goto out;
      g_autoptr (PlTensor) logits = pl_executor_predict (executors[g], cmp->image, 1, NULL,
                                                         error);
      if (logits == NULL)
        goto out;
      gint k = (gint) logits->shape[1];
      cmp->prob[g] = top_probability (logits->data, k, &cmp->pred[g]);
      if (g == 0)
        cmp->target = cmp->pred[0];
      cmp->target_logit[g] = logits->data[cmp->target];
    }

  for (gint g = 0; g < 2; g++)
    {
      if (pl_progress_cancelled (progress, error))
        goto out;
      PlProgress sub = pl_progress_sub (progress, 0.05 * g, 0.05 * (g + 1));
      cmp->saliency[g] = compute_map (executors[g], cmp->image, cmp->target, options->method,
                                      &cmp->map_parameters, &cmp->map_residual[g], &sub, error);
      if (cmp->saliency[g] == NULL)
        goto out;
      cmp->patch[g] = pl_segment_sum (cmp->saliency[g], cmp->grid);
    }
  pl_progress_report (progress, 0.1, NULL);

  PlKernelShapOptions shap_options = {
    .budget = options->shap_budget,
    .seed = options->seed,
    .batch = 0,
  };
  for (gint g = 0; g < 2; g++)
    {
      PlProgress sub = pl_progress_sub (progress, 0.1 + 0.45 * g, 0.55 + 0.45 * g);
      double fx = 0.0;
      cmp->shap[g] = pl_kernel_shap_image (executors[g], cmp->image, cmp->target, cmp->grid,
                                           options->baseline, &shap_options,
                                           &cmp->shap_phi0[g], &fx, &sub, error);
      if (cmp->shap[g] == NULL)
        goto out;
      cmp->shap_map[g] = pl_segment_paint (cmp->shap[g], cmp->grid);
    }
  comparison_finish (cmp, cmp->grid->n_segments, options, progress);
  ok = TRUE;

out:
  for (gint g = 0; g < 2; g++)
    g_clear_pointer (&executors[g], pl_executor_free);
  return ok ? g_steal_pointer (&cmp) : NULL;
}

void
pl_comparison_free (PlComparison *cmp)
{
  if (cmp == NULL)
    return;
  g_clear_pointer (&cmp->image, pl_tensor_unref);
  g_free (cmp->map_parameters);
  for (gint g = 0; g < 2; g++)
    {
      g_clear_pointer (&cmp->saliency[g], pl_tensor_unref);
      g_clear_pointer (&cmp->patch[g], pl_tensor_unref);
      g_clear_pointer (&cmp->shap[g], pl_tensor_unref);
      g_clear_pointer (&cmp->shap_map[g], pl_tensor_unref);
    }
  g_clear_pointer (&cmp->saliency_diff, pl_tensor_unref);
  g_clear_pointer (&cmp->shap_diff, pl_tensor_unref);
  g_clear_pointer (&cmp->grid, pl_segmentation_free);
  g_free (cmp);
}
