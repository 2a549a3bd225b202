/* pl-layers.c — per-layer sparsity and per-layer pruning sensitivity. See pl-layers.h. */
#include "analysis/pl-layers.h"
#include "analysis/pl-analysis-private.h"
#include "analysis/pl-metrics.h"
#include "prune/pl-prune.h"
#include "pl-error.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The name of prunable weight id: the node that uses it, else the initializer's name. */
static char *
layer_name (const PlGraph *graph, gint id)
{
  for (guint k = 0; k < graph->nodes->len; k++)
    {
      const PlNode *node = g_ptr_array_index (graph->nodes, k);
      if (node->n_inputs > 1 && node->inputs[1] == id && node->name != NULL &&
          *node->name != '\0')
        return g_strdup (node->name);
    }
  const PlValue *v = pl_graph_value (graph, id);
  return g_strdup (v != NULL && v->name != NULL ? v->name : "?");
}

static gboolean
is_zero (const PlValue *v, gint64 j)
{
  return v->init->data[j] == 0.0f || (v->mask != NULL && v->mask->data[j] == 0.0f);
}

PlLayerSparsity *
pl_layer_sparsity (const PlGraph *graph)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_autoptr (GArray) weights = pl_graph_prunable_weights (graph);
  PlLayerSparsity *ls = g_new0 (PlLayerSparsity, 1);
  gint n = (gint) weights->len;
  ls->names = g_new0 (char *, n + 1);
  ls->sizes = g_new0 (gint64, MAX (n, 1));
  ls->zeros = g_new0 (gint64, MAX (n, 1));
  ls->sparsity = g_new0 (double, MAX (n, 1));
  for (gint i = 0; i < n; i++)
    {
      gint id = g_array_index (weights, gint, i);
      const PlValue *v = pl_graph_value (graph, id);
      ls->names[ls->n_layers] = layer_name (graph, id);
      if (v != NULL && v->init != NULL)
        {
          ls->sizes[ls->n_layers] = v->init->numel;
          for (gint64 j = 0; j < v->init->numel; j++)
            ls->zeros[ls->n_layers] += is_zero (v, j);
        }
      ls->sparsity[ls->n_layers] = ls->sizes[ls->n_layers] > 0
          ? (double) ls->zeros[ls->n_layers] / (double) ls->sizes[ls->n_layers] : NAN;
      ls->n_layers++;
    }
  return ls;
}

void
pl_layer_sparsity_free (PlLayerSparsity *layers)
{
  if (layers == NULL)
    return;
  g_strfreev (layers->names);
  g_free (layers->sizes);
  g_free (layers->zeros);
  g_free (layers->sparsity);
  g_free (layers);
}

/* ---- pruning one layer ----------------------------------------------------------- */

typedef struct {
  float key;     /* |w|, or -1 for a weight already pruned (ranks first) */
  gint64 index;
} RankItem;

static int
compare_rank (const void *a, const void *b)
{
  const RankItem *x = a, *y = b;
  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

PlGraph *
pl_layer_prune_alone (const PlGraph *graph, gint layer, double sparsity, GError **error)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (!isfinite (sparsity) || sparsity < 0.0 || sparsity > 1.0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Sparsity %g is outside [0, 1]", sparsity);
      return NULL;
    }
  g_autoptr (GArray) weights = pl_graph_prunable_weights (graph);
  if (layer < 0 || (guint) layer >= weights->len)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Layer %d does not exist: the network has %u layers with prunable "
                   "weights", layer, weights->len);
      return NULL;
    }
  PlGraph *copy = pl_graph_copy (graph);
  PlValue *v = pl_graph_value (copy, g_array_index (weights, gint, layer));
  if (v == NULL || v->init == NULL || v->init->numel == 0)
    return copy;
  gint64 n = v->init->numel;
  gint64 k = pl_prune_count (n, sparsity);
  g_autofree RankItem *items = g_new (RankItem, n);
  for (gint64 j = 0; j < n; j++)
    items[j] = (RankItem) { is_zero (v, j) ? -1.0f : fabsf (v->init->data[j]), j };
  qsort (items, (size_t) n, sizeof *items, compare_rank);
  if (v->mask == NULL)
    {
      v->mask = pl_tensor_new (v->init->ndim, v->init->shape, NULL);
      for (gint64 j = 0; j < n; j++)
        v->mask->data[j] = 1.0f;
    }
  for (gint64 j = 0; j < k; j++)
    {
      v->init->data[items[j].index] = 0.0f;
      v->mask->data[items[j].index] = 0.0f;
    }
  return copy;
}

/* ---- sensitivity ------------------------------------------------------------------ */

void
pl_layer_sensitivity_free (PlLayerSensitivity *s)
{
  if (s == NULL)
    return;
  g_strfreev (s->names);
  g_free (s->sizes);
  g_free (s->sparsities);
  g_free (s->accuracy);
  g_free (s->drop);
  g_free (s);
}

PlLayerSensitivity *
pl_layer_sensitivity (PlGraph *graph, const PlDataset *dataset, const double *sparsities,
                      gint n_sparsities, gint64 n_eval, const PlProgress *progress,
                      GError **error)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_return_val_if_fail (dataset != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  gint64 t0 = g_get_monotonic_time ();
  if (sparsities == NULL || n_sparsities <= 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "No sparsities given for the sensitivity analysis");
      return NULL;
    }
  for (gint j = 0; j < n_sparsities; j++)
    if (!isfinite (sparsities[j]) || sparsities[j] < 0.0 || sparsities[j] > 1.0)
      {
        g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                     "Sparsity %g (number %d of the list) is outside [0, 1]", sparsities[j],
                     j + 1);
        return NULL;
      }
  if (dataset->n <= 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "The dataset “%s” is empty",
                   dataset->name ? dataset->name : "");
      return NULL;
    }
  g_autoptr (PlLayerSparsity) layers = pl_layer_sparsity (graph);
  if (layers->n_layers == 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The network has no Conv, Gemm or MatMul weights to prune");
      return NULL;
    }
  g_autoptr (PlLayerSensitivity) s = g_new0 (PlLayerSensitivity, 1);
  gint L = layers->n_layers;
  s->n_layers = L;
  s->names = g_strdupv (layers->names);
  s->sizes = g_memdup2 (layers->sizes, sizeof (gint64) * L);
  s->n_sparsities = n_sparsities;
  s->sparsities = g_memdup2 (sparsities, sizeof (double) * n_sparsities);
  s->accuracy = g_new (double, (gsize) L * n_sparsities);
  s->drop = g_new (double, (gsize) L * n_sparsities);
  gint total = 1 + L * n_sparsities;

  PlProgress sub = pl_progress_sub (progress, 0.0, 1.0 / total);
  if (pl_progress_cancelled (progress, error))
    return NULL;
  g_autoptr (PlEvaluation) base = pl_evaluate_classifier (graph, dataset, n_eval, &sub, error);
  if (base == NULL)
    return NULL;
  s->n_eval = base->n;
  s->baseline_accuracy = base->accuracy;
  for (gint l = 0; l < L; l++)
    for (gint j = 0; j < n_sparsities; j++)
      {
        gint done = 1 + l * n_sparsities + j;
        if (pl_progress_cancelled (progress, error))
          return NULL;
        g_autofree char *msg = g_strdup_printf ("Pruning %s alone to %g %%", s->names[l],
                                                100.0 * sparsities[j]);
        pl_progress_report (progress, (double) done / total, msg);
        g_autoptr (PlGraph) pruned = pl_layer_prune_alone (graph, l, sparsities[j], error);
        if (pruned == NULL)
          return NULL;
        sub = pl_progress_sub (progress, (double) done / total, (double) (done + 1) / total);
        g_autoptr (PlEvaluation) ev = pl_evaluate_classifier (pruned, dataset, n_eval, &sub,
                                                              error);
        if (ev == NULL)
          return NULL;
        s->accuracy[l * n_sparsities + j] = ev->accuracy;
        s->drop[l * n_sparsities + j] = s->baseline_accuracy - ev->accuracy;
      }
  pl_progress_report (progress, 1.0, NULL);
  s->seconds = (g_get_monotonic_time () - t0) / 1e6;
  return g_steal_pointer (&s);
}

/* ---- export ----------------------------------------------------------------------- */

#define METHOD_TEXT "each layer alone pruned by magnitude (smallest |w| first, ties by index), " \
                    "the others unchanged (Li et al. 2017, Han et al. 2015)"

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

gboolean
pl_layer_sensitivity_save_csv (const PlLayerSensitivity *sn, const char *path,
                               GError **error)
{
  g_return_val_if_fail (sn != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_autoptr (GString) s = g_string_new (NULL);
  g_string_append (s, "# generator,PruneLens pl_layer_sensitivity\n# method,");
  pl_analysis_csv_text (s, METHOD_TEXT);
  g_string_append_printf (s, "\n# n_eval,%" G_GINT64_FORMAT "\n# eval_samples,the first "
                          "n_eval samples of the dataset\n", sn->n_eval);
  g_string_append (s, "layer,weights,sparsity,accuracy,drop\n(none),,0,");
  pl_analysis_csv_double (s, sn->baseline_accuracy);
  g_string_append (s, ",0\n");
  for (gint l = 0; l < sn->n_layers; l++)
    for (gint j = 0; j < sn->n_sparsities; j++)
      {
        pl_analysis_csv_text (s, sn->names[l]);
        g_string_append_printf (s, ",%" G_GINT64_FORMAT ",", sn->sizes[l]);
        pl_analysis_csv_double (s, sn->sparsities[j]);
        g_string_append_c (s, ',');
        pl_analysis_csv_double (s, sn->accuracy[l * sn->n_sparsities + j]);
        g_string_append_c (s, ',');
        pl_analysis_csv_double (s, sn->drop[l * sn->n_sparsities + j]);
        g_string_append_c (s, '\n');
      }
  return write_atomically (path, s->str, (gssize) s->len, error);
}

char *
pl_layer_sensitivity_to_json (const PlLayerSensitivity *sn, gsize *length)
{
  g_return_val_if_fail (sn != NULL, NULL);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  pl_analysis_json_string (b, "generator", "PruneLens pl_layer_sensitivity");
  json_builder_set_member_name (b, "parameters");
  json_builder_begin_object (b);
  pl_analysis_json_string (b, "method", METHOD_TEXT);
  pl_analysis_json_int (b, "n_eval", sn->n_eval);
  pl_analysis_json_string (b, "eval_samples", "the first n_eval samples of the dataset");
  json_builder_set_member_name (b, "sparsities");
  json_builder_begin_array (b);
  for (gint j = 0; j < sn->n_sparsities; j++)
    pl_analysis_json_double (b, NULL, sn->sparsities[j]);
  json_builder_end_array (b);
  pl_analysis_json_double (b, "seconds", sn->seconds);
  json_builder_end_object (b);
  pl_analysis_json_double (b, "baseline_accuracy", sn->baseline_accuracy);
  json_builder_set_member_name (b, "layers");
  json_builder_begin_array (b);
  for (gint l = 0; l < sn->n_layers; l++)
    {
      json_builder_begin_object (b);
      pl_analysis_json_string (b, "name", sn->names[l]);
      pl_analysis_json_int (b, "weights", sn->sizes[l]);
      const char *keys[2] = { "accuracy", "drop" };
      const double *vals[2] = { sn->accuracy, sn->drop };
      for (int k = 0; k < 2; k++)
        {
          json_builder_set_member_name (b, keys[k]);
          json_builder_begin_array (b);
          for (gint j = 0; j < sn->n_sparsities; j++)
            pl_analysis_json_double (b, NULL, vals[k][l * sn->n_sparsities + j]);
          json_builder_end_array (b);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, length);
}

gboolean
pl_layer_sensitivity_save_json (const PlLayerSensitivity *sn, const char *path,
                                GError **error)
{
  g_return_val_if_fail (sn != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  gsize length = 0;
  g_autofree char *data = pl_layer_sensitivity_to_json (sn, &length);
  return write_atomically (path, data, (gssize) length, error);
}

gboolean
pl_graph_check_finite_weights (const PlGraph *graph, const char *model_name, GError **error)
{
  g_return_val_if_fail (graph != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  const PlValue *first = NULL;
  gint64 first_index = -1, n_values = 0;
  float first_value = 0.0f;
  gint n_inits = 0;
  for (guint id = 0; id < graph->values->len; id++)
    {
      const PlValue *v = g_ptr_array_index (graph->values, id);
      if (v == NULL || v->init == NULL || v->init->data == NULL)
        continue;
      gint64 here = 0;
      for (gint64 j = 0; j < v->init->numel; j++)
        if (!isfinite (v->init->data[j]))
          {
            if (first == NULL)
              {
                first = v;
                first_index = j;
                first_value = v->init->data[j];
              }
            here++;
          }
      if (here > 0)
        {
          n_inits++;
          n_values += here;
        }
    }
  if (first == NULL)
    return TRUE;
  g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
               "%s: the initializer “%s” holds a non-finite value (%s at element %lld); "
               "%lld value(s) in %d initializer(s) are NaN or infinite, which would make "
               "every output and explanation NaN. Fix or retrain the model",
               model_name != NULL ? model_name : "the model", first->name ? first->name : "",
               isnan (first_value) ? "NaN" : first_value > 0 ? "+inf" : "-inf",
               (long long) first_index, (long long) n_values, n_inits);
  return FALSE;
}
