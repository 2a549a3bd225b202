/* pl-session-io.c — see pl-session-io.h. */
#include "config.h"
#include "pl-session-io.h"
#include <sys/file.h>
#include <fcntl.h>
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

/* One autosave per running workbench. Neither the application (not unique) nor the pid
 * (pid namespaces give every sandboxed instance pid 1; pids are reused) tells two
 * workbenches apart, so each process draws a random token once and holds an exclusive
 * flock(2) on autosave-TOKEN.lock for its whole life; the kernel drops the lock when the
 * process ends, however it ends. A start offers back the files of tokens whose lock is free. */
static char *
state_dir (void)
{
  return g_build_filename (g_get_user_state_dir (), "prunelens", NULL);
}

static int own_lock_fd = -1;       /* the flock of own_token ()'s lock file */
static char *own_lock_path;

static const char *
own_token (void)
{
  static char token[17];
  static gsize done = 0;
  if (g_once_init_enter (&done))
    {
      g_snprintf (token, sizeof token, "%08x%08x", g_random_int (), g_random_int ());
      /* Take the lock now: the files of this token are live from the first autosave on. */
      g_autofree char *dir = state_dir ();
      g_autofree char *name = g_strdup_printf ("autosave-%s.lock", token);
      g_autofree char *lock = g_build_filename (dir, name, NULL);
      if (g_mkdir_with_parents (dir, 0700) == 0)
        {
          int fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
          if (fd >= 0 && flock (fd, LOCK_EX | LOCK_NB) != 0)
            {
              close (fd);   /* cannot happen for a fresh random token */
              fd = -1;
            }
          /* fd stays open (and locked) until the process ends or releases it */
          own_lock_fd = fd;
          own_lock_path = g_strdup (lock);
        }
      g_once_init_leave (&done, 1);
    }
  return token;
}

void
pl_session_io_release_lock (void)
{
  if (own_lock_fd < 0)
    return;
  /* Unlinked first, then unlocked: a start that scans in between sees a live lock or no
   * file; either way this workbench's autosave (if any) is offered once it is gone. */
  g_unlink (own_lock_path);
  close (own_lock_fd);
  own_lock_fd = -1;
  g_clear_pointer (&own_lock_path, g_free);
}

/* "PREFIX-TOKEN.prunelens" for window 1, "PREFIX-TOKEN-n.prunelens" for window n. */
static char *
own_file_name (const char *prefix, guint n)
{
  return n <= 1 ? g_strdup_printf ("%s-%s.prunelens", prefix, own_token ())
                : g_strdup_printf ("%s-%s-%u.prunelens", prefix, own_token (), n);
}

char *
pl_session_io_autosave_path_n (guint n)
{
  g_autofree char *dir = state_dir ();
  g_autofree char *name = own_file_name ("autosave", n);
  return g_build_filename (dir, name, NULL);
}

char *
pl_session_io_autosave_path (void)
{
  return pl_session_io_autosave_path_n (1);
}

guint
pl_session_io_window_number (void)
{
  static guint last;   /* main thread */
  return ++last;
}

/* The token of "autosave-TOKEN.prunelens" / "recovered-TOKEN.prunelens" (newly allocated),
 * "" for the names of 0.3 and of this morning ("autosave.prunelens", "autosave-PID…":
 * no lock, so never live once their process is gone), or NULL for other names. */
static char *
file_token (const char *name)
{
  if (!g_str_has_suffix (name, ".prunelens"))
    return NULL;
  const char *rest = NULL;
  if (g_str_has_prefix (name, "autosave-"))
    rest = name + strlen ("autosave-");
  else if (g_str_has_prefix (name, "recovered-"))
    rest = name + strlen ("recovered-");
  else if (g_str_equal (name, "autosave.prunelens"))
    return g_strdup ("");
  else
    return NULL;
  gsize n = strlen (rest) - strlen (".prunelens");
  /* TOKEN or TOKEN-n (window n of that workbench) */
  if (n >= 16 && strspn (rest, "0123456789abcdef") >= 16
      && (n == 16 || (rest[16] == '-' && n > 17 && strspn (rest + 17, "0123456789") == n - 17)))
    return g_strndup (rest, 16);
  return g_strdup ("");   /* autosave-PID.prunelens */
}

/* Whether the workbench with this token is running: its lock file is locked. */
static gboolean
token_live (const char *dir, const char *token)
{
  if (token[0] == '\0')
    return FALSE;
  g_autofree char *name = g_strdup_printf ("autosave-%s.lock", token);
  g_autofree char *lock = g_build_filename (dir, name, NULL);
  int fd = open (lock, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  gboolean live = flock (fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close (fd);   /* releases the lock if this process took it */
  return live;
}

/* A session file with no steps is nothing to offer back. */
static gboolean
has_steps (const char *path)
{
  g_autoptr (PlRecipe) recipe = pl_recipe_load_file (path, NULL);
  return recipe == NULL || recipe->steps->len > 0;   /* unreadable: let the open say why */
}

char *
pl_session_io_take_autosave (void)
{
  return pl_session_io_take_autosave_n (1);
}

char *
pl_session_io_take_autosave_n (guint n)
{
  g_autofree char *dir_path = state_dir ();
  const char *mine = own_token ();
  GDir *dir = g_dir_open (dir_path, 0, NULL);
  if (dir == NULL)
    return NULL;
  /* The newest autosave (or earlier recovery never restored) of a workbench that is gone. */
  g_autofree char *best = NULL;
  gint64 best_time = G_MININT64;
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *token = file_token (name);
      if (token == NULL || g_str_equal (token, mine) || token_live (dir_path, token))
        continue;
      g_autofree char *path = g_build_filename (dir_path, name, NULL);
      GStatBuf st;
      if (g_lstat (path, &st) != 0 || !S_ISREG (st.st_mode))
        continue;
      if (!has_steps (path))
        {
          g_unlink (path);   /* an empty session of a workbench that is gone */
          continue;
        }
      if ((gint64) st.st_mtime > best_time)
        {
          best_time = (gint64) st.st_mtime;
          g_free (best);
          best = g_steal_pointer (&path);
        }
    }
  g_dir_close (dir);
  /* Lock files of workbenches that are gone and left nothing (their lock is free). */
  if ((dir = g_dir_open (dir_path, 0, NULL)) != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          if (!g_str_has_prefix (name, "autosave-") || !g_str_has_suffix (name, ".lock"))
            continue;
          g_autofree char *token = g_strndup (name + strlen ("autosave-"),
                                              strlen (name) - strlen ("autosave-") - strlen (".lock"));
          g_autofree char *a = g_strdup_printf ("autosave-%s.prunelens", token);
          g_autofree char *r = g_strdup_printf ("recovered-%s.prunelens", token);
          g_autofree char *pa = g_build_filename (dir_path, a, NULL);
          g_autofree char *pr = g_build_filename (dir_path, r, NULL);
          if (!g_str_equal (token, mine) && !token_live (dir_path, token)
              && !g_file_test (pa, G_FILE_TEST_EXISTS) && !g_file_test (pr, G_FILE_TEST_EXISTS))
            {
              g_autofree char *lock = g_build_filename (dir_path, name, NULL);
              g_unlink (lock);
            }
        }
      g_dir_close (dir);
    }
  if (best == NULL)
    return NULL;
  /* Moved to this workbench's own recovered file: no other start can take it while this one
   * runs, and if it is not restored, the next start offers it again. */
  g_autofree char *rname = own_file_name ("recovered", n);
  char *recovered = g_build_filename (dir_path, rname, NULL);
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
