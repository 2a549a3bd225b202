/* pl-recipe.c — reading and writing recipe / session files (see pl-recipe.h). */
#include "session/pl-recipe.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pl-error.h"

#define MAX_DEPTH 64

/* ---------------------------------------------------------------------------------------
 * Ids */

static const char *const figure_ids[PL_RECIPE_N_FIGURE_KINDS] = {
  "saliency", "features", "shap", "sweep", "filmstrip", "confusion", "histogram",
};

const char *
pl_recipe_figure_kind_id (PlRecipeFigureKind kind)
{
  g_return_val_if_fail ((guint) kind < PL_RECIPE_N_FIGURE_KINDS, NULL);
  return figure_ids[kind];
}

gboolean
pl_recipe_figure_kind_from_id (const char *id, PlRecipeFigureKind *kind)
{
  g_return_val_if_fail (id != NULL, FALSE);
  for (guint i = 0; i < PL_RECIPE_N_FIGURE_KINDS; i++)
    if (g_str_equal (id, figure_ids[i]))
      {
        if (kind)
          *kind = (PlRecipeFigureKind) i;
        return TRUE;
      }
  return FALSE;
}

static const char *const criterion_ids[] = { "magnitude", "random", "taylor", "l1", "l2" };
static const char *const granularity_ids[] = { "unstructured", "nm", "channels" };
static const char *const scope_ids[] = { "global", "layerwise" };

static int
id_index (const char *const *ids, guint n, const char *id)
{
  for (guint i = 0; i < n; i++)
    if (g_str_equal (ids[i], id))
      return (int) i;
  return -1;
}

static char *
ids_joined (const char *const *ids, guint n)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "%s\"%s\"", i ? (i + 1 == n ? " or " : ", ") : "", ids[i]);
  return g_string_free (s, FALSE);
}

/* ---------------------------------------------------------------------------------------
 * Construction */

PlRecipeStep *
pl_recipe_step_new (const PlPruneConfig *config, double sparsity)
{
  PlRecipeStep *step = g_new0 (PlRecipeStep, 1);
  step->config = config ? pl_prune_config_copy (config) : pl_prune_config_new ();
  /* A recipe never holds data: the calibration dataset is set when the step is run. */
  if (step->config->calibration)
    {
      gint64 start = step->config->calibration_start, n = step->config->calibration_samples;
      pl_prune_config_set_calibration (step->config, NULL, start, n);
      step->config->calibration_start = start;
      step->config->calibration_samples = n;
    }
  step->sparsity = sparsity;
  step->schedule_steps = 1;
  return step;
}

void
pl_recipe_step_free (PlRecipeStep *step)
{
  if (!step)
    return;
  pl_prune_config_free (step->config);
  g_free (step->schedule);
  g_free (step);
}

PlRecipe *
pl_recipe_new (void)
{
  PlRecipe *r = g_new0 (PlRecipe, 1);
  r->version = PL_RECIPE_VERSION;
  r->n_eval = 1000;
  r->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_recipe_step_free);
  r->current_step = -2; /* "not given": the last step */
  r->explanations = g_array_new (FALSE, TRUE, sizeof (PlComparisonOptions));
  r->inputs = g_array_new (FALSE, TRUE, sizeof (gint64));
  r->figures = g_array_new (FALSE, TRUE, sizeof (PlRecipeFigure));
  r->sweep_sparsities = g_array_new (FALSE, TRUE, sizeof (double));
  r->sweep_bootstrap = 200;
  r->sweep_seed = 1;
  r->captions = TRUE;
  r->width_cm = 16;
  r->dpi = 150;
  r->warnings = g_ptr_array_new_with_free_func (g_free);
  r->panel_schedule_steps = 1;
  return r;
}

void
pl_recipe_free (PlRecipe *r)
{
  if (!r)
    return;
  g_free (r->title);
  g_free (r->date);
  g_free (r->model_path);
  g_free (r->model_sha256);
  g_free (r->dataset_path);
  g_free (r->dataset_kind);
  g_free (r->dataset_split);
  g_free (r->label_column);
  g_ptr_array_unref (r->steps);
  g_array_unref (r->explanations);
  g_array_unref (r->inputs);
  g_array_unref (r->figures);
  g_array_unref (r->sweep_sparsities);
  g_free (r->colormap);
  g_free (r->base_dir);
  g_free (r->source_name);
  g_strfreev (r->panel_protected);
  g_free (r->panel_schedule);
  g_ptr_array_unref (r->warnings);
  g_free (r);
}

void
pl_recipe_add_step (PlRecipe *recipe, PlRecipeStep *step)
{
  g_return_if_fail (recipe != NULL && step != NULL);
  g_ptr_array_add (recipe->steps, step);
}

/* ---------------------------------------------------------------------------------------
 * Reader */

typedef struct {
  const char *name;
  PlRecipe *recipe;
  GError **error;
  gboolean failed;
} Reader;

static gboolean
fail_at (Reader *rd, const char *path, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail_at (Reader *rd, const char *path, const char *fmt, ...)
{
  if (rd->failed)
    return FALSE;
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_autofree char *qpath = pl_error_quote (path);
  g_set_error (rd->error, PL_ERROR, PL_ERROR_PARSE, "%s: %s: %s", rd->name, qpath, msg);
  rd->failed = TRUE;
  return FALSE;
}

/* Warns about the members of obj not in known (NULL-terminated). */
static void
check_keys (Reader *rd, JsonObject *obj, const char *path, const char *const *known)
{
  g_autoptr (GList) members = json_object_get_members (obj);
  for (GList *l = members; l; l = l->next)
    {
      const char *key = l->data;
      if (!g_strv_contains (known, key))
        {
          g_autofree char *qkey = pl_error_quote (key);
          g_ptr_array_add (rd->recipe->warnings,
                           g_strdup_printf ("%s: %s%s%s: unknown key, ignored", rd->name, path,
                                            *path ? "." : "", qkey));
        }
    }
}

static char *
child_path (const char *path, const char *key)
{
  return *path ? g_strdup_printf ("%s.%s", path, key) : g_strdup (key);
}

static gboolean
node_is_number (JsonNode *node)
{
  if (!node || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  GType t = json_node_get_value_type (node);
  return t == G_TYPE_INT64 || t == G_TYPE_DOUBLE;
}

static double
node_number (JsonNode *node)
{
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return (double) json_node_get_int (node);
  return json_node_get_double (node);
}

/* Reads member key of obj as a number in [lo, hi]; absent leaves *out unchanged. */
static gboolean
get_double (Reader *rd, JsonObject *obj, const char *path, const char *key, double lo,
            double hi, double *out)
{
  JsonNode *node = json_object_get_member (obj, key);
  if (!node)
    return TRUE;
  g_autofree char *p = child_path (path, key);
  if (!node_is_number (node) || !isfinite (node_number (node)) || node_number (node) < lo
      || node_number (node) > hi)
    return fail_at (rd, p, "expected a number in [%g, %g]", lo, hi);
  *out = node_number (node);
  return TRUE;
}

static gboolean
node_integer (JsonNode *node, gint64 lo, gint64 hi, gint64 *out)
{
  if (!node_is_number (node))
    return FALSE;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    {
      gint64 v = json_node_get_int (node);
      if (v < lo || v > hi)
        return FALSE;
      *out = v;
      return TRUE;
    }
  double d = json_node_get_double (node);
  /* 2^63 itself is not representable in gint64 (and (double) G_MAXINT64 rounds to it). */
  if (!isfinite (d) || d != floor (d) || d < (double) lo || d > (double) hi
      || d >= 9223372036854775808.0 || d < -9223372036854775808.0)
    return FALSE;
  *out = (gint64) d;
  return TRUE;
}

static gboolean
get_int (Reader *rd, JsonObject *obj, const char *path, const char *key, gint64 lo, gint64 hi,
         gint64 *out)
{
  JsonNode *node = json_object_get_member (obj, key);
  if (!node)
    return TRUE;
  g_autofree char *p = child_path (path, key);
  if (!node_integer (node, lo, hi, out))
    return fail_at (rd, p, "expected an integer in [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]",
                    lo, hi);
  return TRUE;
}

static gboolean
get_int32 (Reader *rd, JsonObject *obj, const char *path, const char *key, gint lo, gint hi,
           gint *out)
{
  gint64 v = *out;
  if (!get_int (rd, obj, path, key, lo, hi, &v))
    return FALSE;
  *out = (gint) v;
  return TRUE;
}

static gboolean
get_seed (Reader *rd, JsonObject *obj, const char *path, const char *key, guint64 *out)
{
  gint64 v = (gint64) MIN (*out, (guint64) G_MAXINT64);
  if (!get_int (rd, obj, path, key, 0, G_MAXINT64, &v))
    return FALSE;
  *out = (guint64) v;
  return TRUE;
}

static gboolean
get_bool (Reader *rd, JsonObject *obj, const char *path, const char *key, gboolean *out)
{
  JsonNode *node = json_object_get_member (obj, key);
  if (!node)
    return TRUE;
  g_autofree char *p = child_path (path, key);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fail_at (rd, p, "expected true or false");
  *out = json_node_get_boolean (node);
  return TRUE;
}

/* A string member (null allowed: leaves NULL). */
static gboolean
get_string (Reader *rd, JsonObject *obj, const char *path, const char *key, char **out)
{
  JsonNode *node = json_object_get_member (obj, key);
  if (!node || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  g_autofree char *p = child_path (path, key);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return fail_at (rd, p, "expected a string");
  g_free (*out);
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

/* An id member among ids; absent leaves *out unchanged. */
static gboolean
get_id (Reader *rd, JsonObject *obj, const char *path, const char *key,
        const char *const *ids, guint n, int *out)
{
  g_autofree char *s = NULL;
  if (!get_string (rd, obj, path, key, &s))
    return FALSE;
  if (!s)
    return TRUE;
  int i = id_index (ids, n, s);
  if (i < 0)
    {
      g_autofree char *p = child_path (path, key);
      g_autofree char *all = ids_joined (ids, n);
      g_autofree char *qs = pl_error_quote (s);
      return fail_at (rd, p, "unknown value \"%s\": expected %s", qs, all);
    }
  *out = i;
  return TRUE;
}

static JsonObject *
get_object (Reader *rd, JsonObject *obj, const char *path, const char *key)
{
  JsonNode *node = json_object_get_member (obj, key);
  if (!node || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autofree char *p = child_path (path, key);
      fail_at (rd, p, "expected an object");
      return NULL;
    }
  return json_node_get_object (node);
}

static JsonArray *
get_array (Reader *rd, JsonObject *obj, const char *path, const char *key)
{
  JsonNode *node = json_object_get_member (obj, key);
  if (!node || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  g_autofree char *p = child_path (path, key);
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      fail_at (rd, p, "expected an array");
      return NULL;
    }
  JsonArray *a = json_node_get_array (node);
  if (json_array_get_length (a) > PL_RECIPE_MAX_ITEMS)
    {
      fail_at (rd, p, "more than %d entries", PL_RECIPE_MAX_ITEMS);
      return NULL;
    }
  return a;
}

static gboolean
read_model (Reader *rd, JsonObject *root)
{
  JsonObject *o = get_object (rd, root, "", "model");
  if (rd->failed)
    return FALSE;
  if (!o)
    return TRUE;
  static const char *const known[] = { "path", "sha256", NULL };
  check_keys (rd, o, "model", known);
  PlRecipe *r = rd->recipe;
  if (!get_string (rd, o, "model", "path", &r->model_path)
      || !get_string (rd, o, "model", "sha256", &r->model_sha256))
    return FALSE;
  if (r->model_path && !*r->model_path)
    return fail_at (rd, "model.path", "expected a file name, not an empty string");
  if (r->model_sha256)
    {
      gboolean ok = strlen (r->model_sha256) == 64;
      for (const char *c = r->model_sha256; ok && *c; c++)
        ok = g_ascii_isxdigit (*c);
      if (!ok)
        return fail_at (rd, "model.sha256", "expected 64 hexadecimal digits");
      char *lower = g_ascii_strdown (r->model_sha256, -1);
      g_free (r->model_sha256);
      r->model_sha256 = lower;
    }
  return TRUE;
}

static gboolean
read_dataset (Reader *rd, JsonObject *root)
{
  JsonObject *o = get_object (rd, root, "", "dataset");
  if (rd->failed)
    return FALSE;
  if (!o)
    return TRUE;
  static const char *const known[] = { "path", "kind", "split", "label_column", NULL };
  check_keys (rd, o, "dataset", known);
  PlRecipe *r = rd->recipe;
  if (!get_string (rd, o, "dataset", "path", &r->dataset_path)
      || !get_string (rd, o, "dataset", "kind", &r->dataset_kind)
      || !get_string (rd, o, "dataset", "split", &r->dataset_split))
    return FALSE;
  static const char *const kinds[] = { "auto", "idx", "csv", "png-folder" };
  if (r->dataset_kind && id_index (kinds, G_N_ELEMENTS (kinds), r->dataset_kind) < 0)
    {
      g_autofree char *qs = pl_error_quote (r->dataset_kind);
      return fail_at (rd, "dataset.kind",
                      "unknown value \"%s\": expected \"auto\", \"idx\", \"csv\" or \"png-folder\"",
                      qs);
    }
  if (r->dataset_split && !g_str_equal (r->dataset_split, "test")
      && !g_str_equal (r->dataset_split, "train"))
    {
      g_autofree char *qs = pl_error_quote (r->dataset_split);
      return fail_at (rd, "dataset.split", "unknown value \"%s\": expected \"test\" or \"train\"",
                      qs);
    }
  /* label_column: a name or a 0-based index. */
  JsonNode *lc = json_object_get_member (o, "label_column");
  if (lc && node_is_number (lc))
    {
      gint64 v;
      if (!node_integer (lc, 0, 1000000, &v))
        return fail_at (rd, "dataset.label_column", "expected a column name or a 0-based index");
      r->label_column = g_strdup_printf ("%" G_GINT64_FORMAT, v);
    }
  else if (!get_string (rd, o, "dataset", "label_column", &r->label_column))
    return FALSE;
  return TRUE;
}

static gboolean
read_step (Reader *rd, JsonNode *node, const char *path)
{
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail_at (rd, path, "expected an object");
  JsonObject *o = json_node_get_object (node);
  static const char *const known[] = {
    "criterion", "granularity", "scope", "n", "m", "protected", "overrides", "sparsity",
    "seed", "calibration_samples", "calibration_start", "schedule", "schedule_steps",
    "finetune_epochs", "description", NULL
  };
  check_keys (rd, o, path, known);
  PlRecipeStep *step = pl_recipe_step_new (NULL, 0);
  g_ptr_array_add (rd->recipe->steps, step); /* owned by the recipe from here */
  PlPruneConfig *c = step->config;
  int crit = (int) c->criterion, gran = (int) c->granularity, scope = (int) c->scope;
  if (!get_id (rd, o, path, "criterion", criterion_ids, G_N_ELEMENTS (criterion_ids), &crit)
      || !get_id (rd, o, path, "granularity", granularity_ids, G_N_ELEMENTS (granularity_ids),
                  &gran)
      || !get_id (rd, o, path, "scope", scope_ids, G_N_ELEMENTS (scope_ids), &scope)
      || !get_int32 (rd, o, path, "n", 1, 1024, &c->nm_n)
      || !get_int32 (rd, o, path, "m", 1, 1024, &c->nm_m)
      || !get_double (rd, o, path, "sparsity", 0, 1, &step->sparsity)
      || !get_seed (rd, o, path, "seed", &c->seed)
      || !get_int (rd, o, path, "calibration_samples", 1, 1 << 24, &c->calibration_samples)
      || !get_int (rd, o, path, "calibration_start", 0, G_MAXINT32, &c->calibration_start)
      || !get_string (rd, o, path, "schedule", &step->schedule)
      || !get_int32 (rd, o, path, "schedule_steps", 1, PL_RECIPE_MAX_SCHEDULE_STEPS,
                     &step->schedule_steps)
      || !get_int32 (rd, o, path, "finetune_epochs", 0, PL_RECIPE_MAX_FINETUNE_EPOCHS,
                     &step->finetune_epochs))
    return FALSE;
  c->criterion = (PlPruneCriterion) crit;
  c->granularity = (PlPruneGranularity) gran;
  c->scope = (PlPruneScope) scope;
  if (c->nm_n > c->nm_m)
    {
      g_autofree char *p = child_path (path, "n");
      return fail_at (rd, p, "expected n ≤ m (n:m sparsity keeps n of every m weights)");
    }
  if (step->schedule)
    {
      static const char *const schedules[] = { "one-shot", "linear", "cubic", "iterative",
                                                "polynomial", "rewind" };
      if (id_index (schedules, G_N_ELEMENTS (schedules), step->schedule) < 0)
        {
          g_autofree char *p = child_path (path, "schedule");
          g_autofree char *qs = pl_error_quote (step->schedule);
          return fail_at (rd, p, "unknown value \"%s\": expected \"one-shot\", \"linear\", "
                          "\"cubic\", \"iterative\", \"polynomial\" or \"rewind\"", qs);
        }
    }
  g_autofree char *ppath = child_path (path, "protected");
  JsonNode *pn = json_object_get_member (o, "protected");
  if (pn && !JSON_NODE_HOLDS_NULL (pn))
    {
      JsonArray *a = get_array (rd, o, path, "protected");
      if (!a)
        return FALSE;
      guint n = json_array_get_length (a);
      g_autoptr (GPtrArray) names = g_ptr_array_new ();
      for (guint i = 0; i < n; i++)
        {
          JsonNode *e = json_array_get_element (a, i);
          if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
            {
              g_autofree char *p = g_strdup_printf ("%s[%u]", ppath, i);
              return fail_at (rd, p, "expected a layer name (string)");
            }
          g_ptr_array_add (names, (gpointer) json_node_get_string (e));
        }
      g_ptr_array_add (names, NULL);
      pl_prune_config_set_protected (c, (const char *const *) names->pdata);
    }
  JsonObject *ov = get_object (rd, o, path, "overrides");
  if (rd->failed)
    return FALSE;
  if (ov)
    {
      g_autofree char *opath = child_path (path, "overrides");
      g_autoptr (GList) members = json_object_get_members (ov);
      for (GList *l = members; l; l = l->next)
        {
          double v = -1;
          if (!get_double (rd, ov, opath, l->data, 0, 1, &v))
            return FALSE;
          if (!*(const char *) l->data)
            return fail_at (rd, opath, "expected a layer name, not an empty key");
          pl_prune_config_set_override (c, l->data, v);
        }
    }
  return TRUE;
}

static gboolean
read_explanation (Reader *rd, JsonNode *node, const char *path)
{
  PlComparisonOptions opt;
  pl_comparison_options_init (&opt);
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      if (!pl_map_method_from_id (json_node_get_string (node), &opt.method))
        {
          g_autofree char *qs = pl_error_quote (json_node_get_string (node));
          return fail_at (rd, path, "unknown explanation method \"%s\"", qs);
        }
      g_array_append_val (rd->recipe->explanations, opt);
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail_at (rd, path, "expected an object or a method name");
  JsonObject *o = json_node_get_object (node);
  static const char *const known[] = {
    "method", "grid", "shap_budget", "seed", "baseline", "topk_fraction", NULL
  };
  check_keys (rd, o, path, known);
  g_autofree char *m = NULL;
  double baseline = opt.baseline;
  if (!get_string (rd, o, path, "method", &m)
      || !get_int32 (rd, o, path, "grid", 1, 64, &opt.grid)
      || !get_int32 (rd, o, path, "shap_budget", 0, 1 << 20, &opt.shap_budget)
      || !get_seed (rd, o, path, "seed", &opt.seed)
      || !get_double (rd, o, path, "baseline", -1e6, 1e6, &baseline)
      || !get_double (rd, o, path, "topk_fraction", 0, 1, &opt.topk_fraction))
    return FALSE;
  opt.baseline = (float) baseline;
  if (m && !pl_map_method_from_id (m, &opt.method))
    {
      g_autofree char *p = child_path (path, "method");
      return fail_at (rd, p, "unknown explanation method \"%s\"", m);
    }
  if (opt.topk_fraction <= 0)
    {
      g_autofree char *p = child_path (path, "topk_fraction");
      return fail_at (rd, p, "expected a number in (0, 1]");
    }
  g_array_append_val (rd->recipe->explanations, opt);
  return TRUE;
}

static gboolean
read_figure (Reader *rd, JsonNode *node, const char *path)
{
  PlRecipeFigure f = { .kind = PL_RECIPE_FIGURE_SALIENCY, .step = -1, .input = -1 };
  const char *kind_id = NULL;
  JsonObject *o = NULL;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    kind_id = json_node_get_string (node);
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      o = json_node_get_object (node);
      static const char *const known[] = { "kind", "step", "input", "method", NULL };
      check_keys (rd, o, path, known);
      JsonNode *k = json_object_get_member (o, "kind");
      if (!k || !JSON_NODE_HOLDS_VALUE (k) || json_node_get_value_type (k) != G_TYPE_STRING)
        {
          g_autofree char *p = child_path (path, "kind");
          return fail_at (rd, p, "expected a figure kind (string)");
        }
      kind_id = json_node_get_string (k);
    }
  else
    return fail_at (rd, path, "expected an object or a figure kind");
  if (!pl_recipe_figure_kind_from_id (kind_id, &f.kind))
    {
      g_autofree char *p = o ? child_path (path, "kind") : g_strdup (path);
      g_autofree char *all = ids_joined (figure_ids, PL_RECIPE_N_FIGURE_KINDS);
      return fail_at (rd, p, "unknown figure kind \"%s\": expected %s", kind_id, all);
    }
  if (o)
    {
      g_autofree char *m = NULL;
      /* Version 2 counts as the report does (0: the original, k: after steps[k − 1],
       * -1: the last step); version 1 gave the index into steps (-1: the last step). */
      if (rd->recipe->version >= 2 && json_object_has_member (o, "step"))
        {
          gint v = -1;
          if (!get_int32 (rd, o, path, "step", -1, PL_RECIPE_MAX_ITEMS, &v))
            return FALSE;
          f.step = v < 0 ? -1 : v == 0 ? PL_RECIPE_STEP_ORIGINAL : v - 1;
        }
      else if (!get_int32 (rd, o, path, "step", -1, PL_RECIPE_MAX_ITEMS, &f.step))
        return FALSE;
      if (!get_int (rd, o, path, "input", -1, G_MAXINT32, &f.input)
          || !get_string (rd, o, path, "method", &m))
        return FALSE;
      if (m)
        {
          if (!pl_map_method_from_id (m, &f.method))
            {
              g_autofree char *p = child_path (path, "method");
              return fail_at (rd, p, "unknown explanation method \"%s\"", m);
            }
          f.method_set = TRUE;
        }
    }
  g_array_append_val (rd->recipe->figures, f);
  return TRUE;
}

typedef gboolean (*ElementFunc) (Reader *rd, JsonNode *node, const char *path);

static gboolean
read_array (Reader *rd, JsonObject *obj, const char *key, ElementFunc func)
{
  JsonArray *a = get_array (rd, obj, "", key);
  if (rd->failed)
    return FALSE;
  if (!a)
    return TRUE;
  guint n = json_array_get_length (a);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *p = g_strdup_printf ("%s[%u]", key, i);
      if (!func (rd, json_array_get_element (a, i), p))
        return FALSE;
    }
  return TRUE;
}

static gboolean
read_input (Reader *rd, JsonNode *node, const char *path)
{
  gint64 v;
  if (!node_integer (node, 0, G_MAXINT32, &v))
    return fail_at (rd, path, "expected a sample index (an integer ≥ 0)");
  g_array_append_val (rd->recipe->inputs, v);
  return TRUE;
}

static gboolean
read_sweep (Reader *rd, JsonObject *root)
{
  JsonObject *o = get_object (rd, root, "", "sweep");
  if (rd->failed)
    return FALSE;
  if (!o)
    return TRUE;
  static const char *const known[] = { "sparsities", "n_bootstrap", "seed", NULL };
  check_keys (rd, o, "sweep", known);
  PlRecipe *r = rd->recipe;
  if (!get_int32 (rd, o, "sweep", "n_bootstrap", 0, 1000000, &r->sweep_bootstrap)
      || !get_seed (rd, o, "sweep", "seed", &r->sweep_seed))
    return FALSE;
  JsonArray *a = get_array (rd, o, "sweep", "sparsities");
  if (rd->failed)
    return FALSE;
  if (a)
    {
      guint n = json_array_get_length (a);
      for (guint i = 0; i < n; i++)
        {
          JsonNode *e = json_array_get_element (a, i);
          if (!node_is_number (e) || !(node_number (e) >= 0 && node_number (e) <= 1))
            {
              g_autofree char *p = g_strdup_printf ("sweep.sparsities[%u]", i);
              return fail_at (rd, p, "expected a number in [0, 1]");
            }
          double v = node_number (e);
          g_array_append_val (r->sweep_sparsities, v);
        }
    }
  return TRUE;
}

static gboolean
read_settings (Reader *rd, JsonObject *root)
{
  JsonObject *o = get_object (rd, root, "", "settings");
  if (rd->failed)
    return FALSE;
  if (!o)
    return TRUE;
  static const char *const known[] = { "colormap", "captions", "width_cm", "dpi", NULL };
  check_keys (rd, o, "settings", known);
  PlRecipe *r = rd->recipe;
  if (!get_string (rd, o, "settings", "colormap", &r->colormap)
      || !get_bool (rd, o, "settings", "captions", &r->captions)
      || !get_double (rd, o, "settings", "width_cm", 4, 100, &r->width_cm)
      || !get_double (rd, o, "settings", "dpi", 30, 1200, &r->dpi))
    return FALSE;
  if (r->colormap)
    {
      static const char *const maps[] = { "viridis", "magma", "grey", "gray" };
      if (id_index (maps, G_N_ELEMENTS (maps), r->colormap) < 0)
        return fail_at (rd, "settings.colormap",
                        "unknown value \"%s\": expected \"viridis\", \"magma\" or \"grey\"",
                        r->colormap);
    }
  return TRUE;
}

/* Reads a NULL-terminated list of strings at key of o (absent or null: *out = NULL). */
static gboolean
get_string_list (Reader *rd, JsonObject *o, const char *path, const char *key, char ***out)
{
  JsonNode *n = json_object_get_member (o, key);
  if (!n || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  JsonArray *a = get_array (rd, o, path, key);
  if (!a)
    return FALSE;
  g_autofree char *apath = child_path (path, key);
  guint len = json_array_get_length (a);
  g_auto (GStrv) names = g_new0 (char *, len + 1);
  for (guint i = 0; i < len; i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
        {
          g_autofree char *p = g_strdup_printf ("%s[%u]", apath, i);
          return fail_at (rd, p, "expected a layer name (string)");
        }
      names[i] = g_strdup (json_node_get_string (e));
    }
  g_strfreev (*out);
  *out = g_steal_pointer (&names);
  return TRUE;
}

static gboolean
read_workbench (Reader *rd, JsonObject *root)
{
  JsonObject *o = get_object (rd, root, "", "workbench");
  if (rd->failed)
    return FALSE;
  if (!o)
    return TRUE;
  static const char *const known[] = { "criterion", "granularity", "scope", "protected",
                                       "schedule", "schedule_steps", "finetune_epochs", NULL };
  check_keys (rd, o, "workbench", known);
  PlRecipe *r = rd->recipe;
  r->panel_set = TRUE;
  if (!get_id (rd, o, "workbench", "criterion", criterion_ids, G_N_ELEMENTS (criterion_ids),
               &r->panel_criterion)
      || !get_id (rd, o, "workbench", "granularity", granularity_ids,
                  G_N_ELEMENTS (granularity_ids), &r->panel_granularity)
      || !get_id (rd, o, "workbench", "scope", scope_ids, G_N_ELEMENTS (scope_ids),
                  &r->panel_scope)
      || !get_string_list (rd, o, "workbench", "protected", &r->panel_protected)
      || !get_string (rd, o, "workbench", "schedule", &r->panel_schedule)
      || !get_int32 (rd, o, "workbench", "schedule_steps", 1, PL_RECIPE_MAX_SCHEDULE_STEPS,
                     &r->panel_schedule_steps)
      || !get_int32 (rd, o, "workbench", "finetune_epochs", 0, PL_RECIPE_MAX_FINETUNE_EPOCHS,
                     &r->panel_finetune_epochs))
    return FALSE;
  static const char *const schedules[] = { "one-shot", "iterative", "polynomial", "rewind" };
  if (r->panel_schedule && id_index (schedules, G_N_ELEMENTS (schedules), r->panel_schedule) < 0)
    return fail_at (rd, "workbench.schedule", "unknown value \"%s\": expected \"one-shot\", "
                    "\"iterative\", \"polynomial\" or \"rewind\"", r->panel_schedule);
  return TRUE;
}

/* Deepest nesting of [ and { outside strings; stops counting at limit + 1. json-glib
 * recurses per level, so very deep input is refused before parsing. */
static int
nesting_depth (const char *data, gsize length, int limit)
{
  int depth = 0, max = 0;
  gboolean in_string = FALSE;
  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];
      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > max)
            max = depth;
          if (max > limit)
            return max;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return max;
}

PlRecipe *
pl_recipe_load_data (const char *data, gssize length, const char *name, const char *base_dir,
                     GError **error)
{
  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (!name)
    name = "recipe";
  gsize len = length < 0 ? strlen (data) : (gsize) length;
  const char *end = NULL;
  if (!g_utf8_validate (data, (gssize) len, &end))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: byte %" G_GSIZE_FORMAT ": not valid UTF-8 text (a recipe is a JSON file)",
                   name, (gsize) (end - data));
      return NULL;
    }
  if (nesting_depth (data, len, MAX_DEPTH) > MAX_DEPTH)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: arrays and objects nested more than %d deep", name, MAX_DEPTH);
      return NULL;
    }
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) local = NULL;
  if (!json_parser_load_from_data (parser, data, (gssize) len, &local))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE, "%s: not valid JSON: %s", name,
                   local->message);
      return NULL;
    }
  JsonNode *rootn = json_parser_get_root (parser);
  if (!rootn || !JSON_NODE_HOLDS_OBJECT (rootn))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: expected a JSON object with \"format\": \"%s\"", name, PL_RECIPE_FORMAT);
      return NULL;
    }
  JsonObject *root = json_node_get_object (rootn);
  g_autoptr (PlRecipe) r = pl_recipe_new ();
  r->base_dir = g_strdup (base_dir);
  r->source_name = g_strdup (name);
  Reader rd = { .name = name, .recipe = r, .error = error };

  JsonNode *fmt = json_object_get_member (root, "format");
  if (!fmt || !JSON_NODE_HOLDS_VALUE (fmt) || json_node_get_value_type (fmt) != G_TYPE_STRING
      || !g_str_equal (json_node_get_string (fmt), PL_RECIPE_FORMAT))
    {
      fail_at (&rd, "format", "expected \"%s\" (not a PruneLens recipe or session)",
               PL_RECIPE_FORMAT);
      return NULL;
    }
  gint64 version = 0;
  if (!json_object_has_member (root, "version"))
    {
      fail_at (&rd, "version", "missing (expected %d)", PL_RECIPE_VERSION);
      return NULL;
    }
  if (!get_int (&rd, root, "", "version", 1, G_MAXINT32, &version))
    return NULL;
  if (version > PL_RECIPE_VERSION)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                   "%s: version: format version %" G_GINT64_FORMAT " is newer than this "
                   "PruneLens reads (%d); update PruneLens", name, version, PL_RECIPE_VERSION);
      return NULL;
    }
  r->version = (int) version;

  static const char *const known[] = {
    "format", "version", "title", "date", "model", "dataset", "n_eval", "steps",
    "current_step", "explanations", "inputs", "figures", "sweep", "settings", "workbench",
    NULL
  };
  check_keys (&rd, root, "", known);
  gint64 cur = -2;
  if (!get_string (&rd, root, "", "title", &r->title)
      || !get_string (&rd, root, "", "date", &r->date)
      || !read_model (&rd, root) || !read_dataset (&rd, root)
      || !get_int (&rd, root, "", "n_eval", -1, G_MAXINT32, &r->n_eval)
      || !read_array (&rd, root, "steps", read_step)
      || !get_int (&rd, root, "", "current_step", -1, PL_RECIPE_MAX_ITEMS, &cur)
      || !read_array (&rd, root, "explanations", read_explanation)
      || !read_array (&rd, root, "inputs", read_input)
      || !read_array (&rd, root, "figures", read_figure)
      || !read_sweep (&rd, root) || !read_settings (&rd, root) || !read_workbench (&rd, root))
    return NULL;
  if (r->date)
    {
      g_autoptr (GDateTime) dt = g_date_time_new_from_iso8601 (r->date, NULL);
      if (!dt)
        {
          fail_at (&rd, "date", "expected an ISO 8601 date and time with a time zone, "
                   "e.g. \"2026-01-31T12:00:00Z\"");
          return NULL;
        }
    }
  if (cur != -2 && r->version >= 2)
    {
      /* version 2: 0 = the original, k = after steps[k − 1] */
      if (cur < 0 || cur > (gint64) r->steps->len)
        {
          fail_at (&rd, "current_step", "expected 0 (the original) to %u (the last step)",
                   r->steps->len);
          return NULL;
        }
      r->current_step = (gint) cur - 1;
    }
  else if (cur != -2)
    {
      if (cur >= (gint64) r->steps->len)
        {
          fail_at (&rd, "current_step", "expected -1 (the original) or a step index below %u",
                   r->steps->len);
          return NULL;
        }
      r->current_step = (gint) cur;
    }
  else
    r->current_step = (gint) r->steps->len - 1;
  for (guint i = 0; i < r->figures->len; i++)
    {
      PlRecipeFigure *f = &g_array_index (r->figures, PlRecipeFigure, i);
      if (f->step >= (gint) r->steps->len)
        {
          g_autofree char *p = g_strdup_printf ("figures[%u].step", i);
          if (r->version >= 2)
            fail_at (&rd, p, "expected -1 (the last step), 0 (the original) or a step "
                     "number up to %u", r->steps->len);
          else
            fail_at (&rd, p, "expected -1 (the last step) or a step index below %u",
                     r->steps->len);
          return NULL;
        }
    }
  return g_steal_pointer (&r);
}

PlRecipe *
pl_recipe_load_file (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr (GError) local = NULL;
  if (!pl_check_regular_file (path, "a recipe", error))
    return NULL;
  if (!g_file_get_contents (path, &data, &len, &local))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_IO, "%s: cannot read the recipe: %s", path,
                   local->message);
      return NULL;
    }
  if (len > 64 * 1024 * 1024)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                   "%s: %" G_GSIZE_FORMAT " bytes is too large for a recipe (limit 64 MiB)",
                   path, len);
      return NULL;
    }
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *abs_dir = g_path_is_absolute (dir) ? g_strdup (dir)
                             : g_canonicalize_filename (dir, NULL);
  return pl_recipe_load_data (data, (gssize) len, path, abs_dir, error);
}

/* ---------------------------------------------------------------------------------------
 * Writer */

static void
add_double (JsonBuilder *b, const char *key, double v)
{
  json_builder_set_member_name (b, key);
  /* Integral values are written as integers so that files stay readable. */
  if (v == floor (v) && fabs (v) < 1e15)
    json_builder_add_int_value (b, (gint64) v);
  else
    json_builder_add_double_value (b, v);
}

static void
add_int (JsonBuilder *b, const char *key, gint64 v)
{
  json_builder_set_member_name (b, key);
  json_builder_add_int_value (b, v);
}

static void
add_string (JsonBuilder *b, const char *key, const char *v)
{
  if (!v)
    return;
  json_builder_set_member_name (b, key);
  json_builder_add_string_value (b, v);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
write_step (JsonBuilder *b, const PlRecipeStep *s)
{
  const PlPruneConfig *c = s->config;
  json_builder_begin_object (b);
  if ((guint) c->criterion < G_N_ELEMENTS (criterion_ids))
    add_string (b, "criterion", criterion_ids[c->criterion]);
  if ((guint) c->granularity < G_N_ELEMENTS (granularity_ids))
    add_string (b, "granularity", granularity_ids[c->granularity]);
  if ((guint) c->scope < G_N_ELEMENTS (scope_ids))
    add_string (b, "scope", scope_ids[c->scope]);
  add_double (b, "sparsity", s->sparsity);
  add_int (b, "seed", (gint64) MIN (c->seed, (guint64) G_MAXINT64));
  if (c->granularity == PL_PRUNE_GRANULARITY_NM)
    {
      add_int (b, "n", c->nm_n);
      add_int (b, "m", c->nm_m);
    }
  if (c->criterion == PL_PRUNE_CRITERION_TAYLOR)
    {
      add_int (b, "calibration_start", c->calibration_start);
      add_int (b, "calibration_samples", c->calibration_samples);
    }
  if (c->protected_layers)
    {
      json_builder_set_member_name (b, "protected");
      json_builder_begin_array (b);
      for (char **p = c->protected_layers; *p; p++)
        json_builder_add_string_value (b, *p);
      json_builder_end_array (b);
    }
  if (c->overrides && g_hash_table_size (c->overrides) > 0)
    {
      /* Sorted by name: the same session always writes the same bytes. */
      g_autofree gpointer *keys = g_hash_table_get_keys_as_array (c->overrides, NULL);
      guint n = g_hash_table_size (c->overrides);
      qsort (keys, n, sizeof (gpointer), compare_strings);
      json_builder_set_member_name (b, "overrides");
      json_builder_begin_object (b);
      for (guint i = 0; i < n; i++)
        {
          const double *v = g_hash_table_lookup (c->overrides, keys[i]);
          add_double (b, keys[i], *v);
        }
      json_builder_end_object (b);
    }
  add_string (b, "schedule", s->schedule);
  if (s->schedule_steps != 1)
    add_int (b, "schedule_steps", s->schedule_steps);
  if (s->finetune_epochs)
    add_int (b, "finetune_epochs", s->finetune_epochs);
  g_autofree char *desc = pl_prune_config_describe (c);
  add_string (b, "description", desc);
  json_builder_end_object (b);
}

char *
pl_recipe_to_data (const PlRecipe *r, gsize *length)
{
  g_return_val_if_fail (r != NULL, NULL);
  g_autoptr (JsonBuilder) b = json_builder_new_immutable ();
  json_builder_begin_object (b);
  add_string (b, "format", PL_RECIPE_FORMAT);
  add_int (b, "version", PL_RECIPE_VERSION);
  add_string (b, "title", r->title);
  add_string (b, "date", r->date);
  if (r->model_path || r->model_sha256)
    {
      json_builder_set_member_name (b, "model");
      json_builder_begin_object (b);
      add_string (b, "path", r->model_path);
      add_string (b, "sha256", r->model_sha256);
      json_builder_end_object (b);
    }
  if (r->dataset_path || r->dataset_kind || r->dataset_split || r->label_column)
    {
      json_builder_set_member_name (b, "dataset");
      json_builder_begin_object (b);
      add_string (b, "path", r->dataset_path);
      add_string (b, "kind", r->dataset_kind);
      add_string (b, "split", r->dataset_split);
      add_string (b, "label_column", r->label_column);
      json_builder_end_object (b);
    }
  add_int (b, "n_eval", r->n_eval);
  json_builder_set_member_name (b, "steps");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->steps->len; i++)
    write_step (b, g_ptr_array_index (r->steps, i));
  json_builder_end_array (b);
  if (r->current_step >= -1 && r->current_step < (gint) r->steps->len)
    add_int (b, "current_step", r->current_step + 1);   /* version 2: 0 = the original */

  json_builder_set_member_name (b, "explanations");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->explanations->len; i++)
    {
      const PlComparisonOptions *o = &g_array_index (r->explanations, PlComparisonOptions, i);
      json_builder_begin_object (b);
      add_string (b, "method", pl_map_method_id (o->method));
      add_int (b, "grid", o->grid);
      add_int (b, "shap_budget", MAX (o->shap_budget, 0));
      add_int (b, "seed", (gint64) MIN (o->seed, (guint64) G_MAXINT64));
      add_double (b, "baseline", o->baseline);
      add_double (b, "topk_fraction", o->topk_fraction);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "inputs");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->inputs->len; i++)
    json_builder_add_int_value (b, g_array_index (r->inputs, gint64, i));
  json_builder_end_array (b);

  json_builder_set_member_name (b, "figures");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->figures->len; i++)
    {
      const PlRecipeFigure *f = &g_array_index (r->figures, PlRecipeFigure, i);
      json_builder_begin_object (b);
      add_string (b, "kind", pl_recipe_figure_kind_id (f->kind));
      /* version 2: 0 = the original, k = after steps[k − 1], -1 = the last step */
      add_int (b, "step", f->step == PL_RECIPE_STEP_ORIGINAL ? 0 : f->step < 0 ? -1
                                                                  : f->step + 1);
      add_int (b, "input", f->input);
      if (f->method_set)
        add_string (b, "method", pl_map_method_id (f->method));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "sweep");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "sparsities");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->sweep_sparsities->len; i++)
    {
      double v = g_array_index (r->sweep_sparsities, double, i);
      if (v == floor (v))
        json_builder_add_int_value (b, (gint64) v);
      else
        json_builder_add_double_value (b, v);
    }
  json_builder_end_array (b);
  add_int (b, "n_bootstrap", r->sweep_bootstrap);
  add_int (b, "seed", (gint64) MIN (r->sweep_seed, (guint64) G_MAXINT64));
  json_builder_end_object (b);

  json_builder_set_member_name (b, "settings");
  json_builder_begin_object (b);
  add_string (b, "colormap", r->colormap);
  json_builder_set_member_name (b, "captions");
  json_builder_add_boolean_value (b, r->captions);
  add_double (b, "width_cm", r->width_cm);
  add_double (b, "dpi", r->dpi);
  json_builder_end_object (b);
  if (r->panel_set)
    {
      json_builder_set_member_name (b, "workbench");
      json_builder_begin_object (b);
      if ((guint) r->panel_criterion < G_N_ELEMENTS (criterion_ids))
        add_string (b, "criterion", criterion_ids[r->panel_criterion]);
      if ((guint) r->panel_granularity < G_N_ELEMENTS (granularity_ids))
        add_string (b, "granularity", granularity_ids[r->panel_granularity]);
      if ((guint) r->panel_scope < G_N_ELEMENTS (scope_ids))
        add_string (b, "scope", scope_ids[r->panel_scope]);
      json_builder_set_member_name (b, "protected");
      if (r->panel_protected)
        {
          json_builder_begin_array (b);
          for (char **p = r->panel_protected; *p; p++)
            json_builder_add_string_value (b, *p);
          json_builder_end_array (b);
        }
      else
        json_builder_add_null_value (b);
      add_string (b, "schedule", r->panel_schedule);
      add_int (b, "schedule_steps", r->panel_schedule_steps);
      add_int (b, "finetune_epochs", r->panel_finetune_epochs);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);

  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 2);
  gsize len = 0;
  char *text = json_generator_to_data (gen, &len);
  char *out = g_realloc (text, len + 2);
  out[len] = '\n';
  out[len + 1] = '\0';
  if (length)
    *length = len + 1;
  return out;
}

gboolean
pl_recipe_save_file (const PlRecipe *recipe, const char *path, GError **error)
{
  g_return_val_if_fail (recipe != NULL && path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  gsize len = 0;
  g_autofree char *data = pl_recipe_to_data (recipe, &len);
  g_autoptr (GError) local = NULL;
  /* g_file_set_contents_full writes PATH.XXXXXX, fsyncs it, then renames it over path. */
  if (!g_file_set_contents_full (path, data, (gssize) len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0644, &local))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_IO, "%s: cannot save the recipe: %s", path,
                   local->message);
      return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------------------------------
 * Paths and the model hash */

char *
pl_recipe_resolve_path (const PlRecipe *recipe, const char *path)
{
  g_return_val_if_fail (recipe != NULL && path != NULL, NULL);
  if (g_path_is_absolute (path) || !recipe->base_dir)
    return g_strdup (path);
  return g_build_filename (recipe->base_dir, path, NULL);
}

char *
pl_recipe_model_file (const PlRecipe *recipe)
{
  g_return_val_if_fail (recipe != NULL, NULL);
  if (!recipe->model_path)
    return pl_default_model_path ();
  return pl_recipe_resolve_path (recipe, recipe->model_path);
}

char *
pl_file_sha256 (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  if (!pl_check_regular_file (path, "a model file", error))
    return NULL;
  FILE *f = fopen (path, "rb");
  if (!f)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_IO, "%s: cannot read: %s", path,
                   g_strerror (errno));
      return NULL;
    }
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guchar *buf = g_malloc (1 << 16);
  size_t n;
  while ((n = fread (buf, 1, 1 << 16, f)) > 0)
    g_checksum_update (sum, buf, (gssize) n);
  gboolean bad = ferror (f);
  fclose (f);
  if (bad)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_IO, "%s: read error", path);
      return NULL;
    }
  return g_strdup (g_checksum_get_string (sum));
}

gboolean
pl_recipe_set_model (PlRecipe *recipe, const char *path, GError **error)
{
  g_return_val_if_fail (recipe != NULL && path != NULL, FALSE);
  g_autofree char *full = pl_recipe_resolve_path (recipe, path);
  char *sum = pl_file_sha256 (full, error);
  if (!sum)
    return FALSE;
  g_free (recipe->model_path);
  recipe->model_path = g_strdup (path);
  g_free (recipe->model_sha256);
  recipe->model_sha256 = sum;
  return TRUE;
}

gboolean
pl_recipe_check_model (const PlRecipe *recipe, GError **error)
{
  g_return_val_if_fail (recipe != NULL, FALSE);
  g_autofree char *file = pl_recipe_model_file (recipe);
  g_autofree char *sum = pl_file_sha256 (file, error);
  if (!sum)
    return FALSE;
  if (recipe->model_sha256 && !g_str_equal (sum, recipe->model_sha256))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "%s: the model file has changed since the recipe was saved (SHA-256 %s, "
                   "the recipe expects %s); use the original model or update model.sha256",
                   file, sum, recipe->model_sha256);
      return FALSE;
    }
  return TRUE;
}

const char *
pl_recipe_example (void)
{
  return
    "{\n"
    "  \"format\": \"prunelens-recipe\",\n"
    "  \"version\": 2,\n"
    "  \"title\": \"Fashion-MNIST CNN: magnitude vs. channel pruning\",\n"
    "  \"date\": \"2026-01-01T00:00:00Z\",\n"
    "  \"dataset\": { \"kind\": \"idx\", \"split\": \"test\" },\n"
    "  \"n_eval\": 200,\n"
    "  \"steps\": [\n"
    "    { \"criterion\": \"magnitude\", \"granularity\": \"unstructured\", \"scope\": \"global\",\n"
    "      \"sparsity\": 0.7, \"seed\": 1 },\n"
    "    { \"criterion\": \"l1\", \"granularity\": \"channels\", \"scope\": \"layerwise\",\n"
    "      \"sparsity\": 0.3, \"seed\": 1 }\n"
    "  ],\n"
    "  \"explanations\": [ { \"method\": \"saliency\", \"grid\": 4, \"shap_budget\": 128, \"seed\": 1 } ],\n"
    "  \"inputs\": [0, 1],\n"
    "  \"figures\": [\n"
    "    { \"kind\": \"saliency\", \"input\": 0 },\n"
    "    { \"kind\": \"shap\", \"input\": 1 },\n"
    "    { \"kind\": \"histogram\", \"step\": 1 },\n"
    "    { \"kind\": \"confusion\" },\n"
    "    { \"kind\": \"sweep\" }\n"
    "  ],\n"
    "  \"sweep\": { \"sparsities\": [0, 0.5, 0.9], \"n_bootstrap\": 100, \"seed\": 1 },\n"
    "  \"settings\": { \"colormap\": \"viridis\", \"captions\": true, \"width_cm\": 16, \"dpi\": 100 }\n"
    "}\n";
}
