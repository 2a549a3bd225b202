/* pl-session-io.c — see pl-session-io.h. */
#include "config.h"
#include "pl-session-io.h"
#include <unistd.h>
#include <sys/stat.h>
#include <string.h>
#include <stdlib.h>
#include <signal.h>
#include <errno.h>

#include <glib/gstdio.h>
#include <glib/gi18n.h>
#include "pl-error.h"
#include "graph/pl-graph.h"

PlRecipe *
pl_session_io_build (const char *model_path, const char *model_sha256,
                     const char *dataset_dir, gint64 n_eval, const PlPruneHistory *history,
                     guint current, const PlComparisonOptions *options, gint64 index,
                     const char *view)
{
  g_return_val_if_fail (model_path != NULL && history != NULL, NULL);
  PlRecipe *r = pl_recipe_new ();
  r->title = g_strdup ("PruneLens session");
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  r->date = g_date_time_format_iso8601 (now);
  r->model_path = g_canonicalize_filename (model_path, NULL);
  r->model_sha256 = g_strdup (model_sha256);
  r->dataset_path = dataset_dir ? g_canonicalize_filename (dataset_dir, NULL) : NULL;
  r->dataset_kind = g_strdup ("idx");
  r->dataset_split = g_strdup ("test");
  r->n_eval = n_eval;
  guint n = pl_prune_history_n_steps (history);
  for (guint i = 1; i < n; i++)
    {
      const PlPruneHistoryStep *s = pl_prune_history_step (history, i);
      PlRecipeStep *rs;
      if (s->config != NULL)
        rs = pl_recipe_step_new (s->config, s->sparsity);
      else
        {
          g_autoptr (PlPruneConfig) c = pl_prune_config_new ();
          const char *none[] = { NULL };
          pl_prune_config_set_protected (c, none);
          rs = pl_recipe_step_new (c, s->sparsity);
        }
      pl_recipe_add_step (r, rs);
    }
  r->current_step = (gint) MIN (current, n - 1) - 1;
  if (options != NULL)
    g_array_append_val (r->explanations, *options);
  if (index >= 0)
    g_array_append_val (r->inputs, index);
  PlRecipeFigureKind kind;
  if (view != NULL && pl_recipe_figure_kind_from_id (view, &kind))
    {
      PlRecipeFigure f = { .kind = kind, .step = -1, .input = -1,
                           .method = options ? options->method : PL_MAP_SALIENCY,
                           .method_set = options != NULL };
      g_array_append_val (r->figures, f);
    }
  return r;
}

const char *
pl_session_io_view (const PlRecipe *recipe)
{
  g_return_val_if_fail (recipe != NULL, NULL);
  if (recipe->figures->len == 0)
    return NULL;
  PlRecipeFigureKind kind = g_array_index (recipe->figures, PlRecipeFigure, 0).kind;
  switch (kind)
    {
    case PL_RECIPE_FIGURE_SALIENCY: return "saliency";
    case PL_RECIPE_FIGURE_FEATURES: return "features";
    case PL_RECIPE_FIGURE_SHAP: return "shap";
    case PL_RECIPE_FIGURE_SWEEP:
    case PL_RECIPE_FIGURE_FILMSTRIP: return "sweep";
    default: return NULL;
    }
}

/* One autosave per workbench process: the application is not unique, and two windows in
 * two processes must not overwrite or delete each other's unsaved work. */
char *
pl_session_io_autosave_path (void)
{
  g_autofree char *name = g_strdup_printf ("autosave-%ld.prunelens", (long) getpid ());
  return g_build_filename (g_get_user_state_dir (), "prunelens", name, NULL);
}

/* The pid in "autosave-PID.prunelens", or 0 for the name of version 0.3
 * ("autosave.prunelens", one file for every process), or -1 for other names. */
static long
autosave_owner (const char *name)
{
  if (g_str_equal (name, "autosave.prunelens"))
    return 0;
  if (!g_str_has_prefix (name, "autosave-") || !g_str_has_suffix (name, ".prunelens"))
    return -1;
  const char *digits = name + strlen ("autosave-");
  char *end = NULL;
  long pid = strtol (digits, &end, 10);
  if (end == digits || pid <= 0 || !g_str_equal (end, ".prunelens"))
    return -1;
  return pid;
}

static gboolean
process_alive (long pid)
{
  return pid > 0 && (kill ((pid_t) pid, 0) == 0 || errno == EPERM);
}

char *
pl_session_io_take_autosave (void)
{
  g_autofree char *dir_path = g_build_filename (g_get_user_state_dir (), "prunelens", NULL);
  GDir *dir = g_dir_open (dir_path, 0, NULL);
  if (dir == NULL)
    return NULL;
  /* The newest autosave whose workbench is no longer running. */
  g_autofree char *best = NULL;
  gint64 best_time = G_MININT64;
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      long pid = autosave_owner (name);
      if (pid < 0 || pid == (long) getpid () || process_alive (pid))
        continue;
      g_autofree char *path = g_build_filename (dir_path, name, NULL);
      GStatBuf st;
      if (g_lstat (path, &st) != 0 || !S_ISREG (st.st_mode))
        continue;
      if ((gint64) st.st_mtime > best_time)
        {
          best_time = (gint64) st.st_mtime;
          g_free (best);
          best = g_steal_pointer (&path);
        }
    }
  g_dir_close (dir);
  if (best == NULL)
    return NULL;
  char *recovered = g_build_filename (dir_path, "recovered.prunelens", NULL);
  if (g_rename (best, recovered) != 0)
    {
      g_free (recovered);
      return NULL;
    }
  return recovered;
}

gint64
pl_session_io_step_bytes (const PlGraph *graph)
{
  g_return_val_if_fail (graph != NULL, 0);
  gint64 bytes = 4 * pl_graph_n_parameters (graph);
  g_autoptr (GArray) ids = pl_graph_prunable_weights (graph);
  for (guint i = 0; ids && i < ids->len; i++)
    {
      const PlValue *v = pl_graph_value (graph, g_array_index (ids, gint, i));
      if (v->init != NULL)
        bytes += 4 * v->init->numel;
    }
  return bytes;
}

/* name is a prunable layer of graph: the name of a Conv / Gemm / MatMul node with a
 * weight initializer, or the weight's name (as pl_prune_apply matches them). */
static gboolean
is_prunable_layer (const PlGraph *graph, const char *name)
{
  g_autoptr (GArray) ids = pl_graph_prunable_weights (graph);
  for (guint i = 0; ids && i < ids->len; i++)
    {
      gint id = g_array_index (ids, gint, i);
      if (g_strcmp0 (pl_graph_value (graph, id)->name, name) == 0)
        return TRUE;
      for (guint k = 0; k < graph->nodes->len; k++)
        {
          const PlNode *node = g_ptr_array_index (graph->nodes, k);
          if (node->n_inputs > 1 && node->inputs[1] == id && node->name != NULL
              && node->name[0] != '\0' && g_str_equal (node->name, name))
            return TRUE;
        }
    }
  return FALSE;
}

gboolean
pl_session_io_check (const PlRecipe *recipe, const PlGraph *graph, guint *history_cap,
                     GError **error)
{
  g_return_val_if_fail (recipe != NULL && graph != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_autofree char *file = g_path_get_basename (recipe->source_name ? recipe->source_name
                                                                    : "session");
  for (char **p = recipe->panel_protected; p && *p; p++)
    if (!is_prunable_layer (graph, *p))
      {
        g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                     _("%s: workbench.protected: “%s” is no prunable layer (Conv, Gemm or "
                       "MatMul with a weight initializer) of the model"), file, *p);
        return FALSE;
      }
  guint n = recipe->steps->len;
  /* The steps' protected layers too (pl_prune_apply would refuse them later, after the
   * window had taken the new model over). */
  for (guint i = 0; i < n; i++)
    {
      const PlRecipeStep *step = g_ptr_array_index (recipe->steps, i);
      for (char **p = step->config->protected_layers; p && *p; p++)
        if (!is_prunable_layer (graph, *p))
          {
            g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                         _("%s: steps[%u].protected: “%s” is no prunable layer (Conv, Gemm or "
                           "MatMul with a weight initializer) of the model"), file, i, *p);
            return FALSE;
          }
    }
  if (n > PL_SESSION_MAX_STEPS)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                   _("%s: steps: %u steps, but the workbench recomputes at most %d; "
                     "remove steps, or draw them with “prunelens-cli report”"),
                   file, n, PL_SESSION_MAX_STEPS);
      return FALSE;
    }
  gint64 per_step = pl_session_io_step_bytes (graph);
  if (per_step > 0 && (gint64) n > PL_SESSION_MAX_STEP_BYTES / per_step)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                   _("%s: steps: each of the %u steps keeps a pruned copy of the model "
                     "(%.1f MB), %.1f MB in all; the workbench keeps at most %.0f MB of "
                     "steps: remove steps, or draw them with “prunelens-cli report”"),
                   file, n, per_step / 1e6, (double) per_step * n / 1e6,
                   PL_SESSION_MAX_STEP_BYTES / 1e6);
      return FALSE;
    }
  if (history_cap != NULL)
    *history_cap = MAX (32u, n + 1);
  return TRUE;
}
