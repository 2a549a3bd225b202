/* pl-session-io.c — see pl-session-io.h. */
#include "config.h"
#include "pl-session-io.h"

#include <glib/gstdio.h>

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

char *
pl_session_io_autosave_path (void)
{
  return g_build_filename (g_get_user_state_dir (), "prunelens", "autosave.prunelens", NULL);
}

char *
pl_session_io_take_autosave (void)
{
  g_autofree char *path = pl_session_io_autosave_path ();
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return NULL;
  char *recovered = g_build_filename (g_get_user_state_dir (), "prunelens",
                                      "recovered.prunelens", NULL);
  if (g_rename (path, recovered) != 0)
    {
      g_free (recovered);
      return NULL;
    }
  return recovered;
}
