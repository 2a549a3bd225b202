/* pl-prune-history.c — pruning steps with undo / redo (see pl-prune.h). */
#include "prune/pl-prune.h"

struct _PlPruneHistory {
  GPtrArray *steps;   /* of PlPruneHistoryStep * */
  guint current;
  guint max_steps;
};

static void
step_free (gpointer p)
{
  PlPruneHistoryStep *s = p;
  if (s == NULL)
    return;
  g_clear_pointer (&s->config, pl_prune_config_free);
  g_clear_pointer (&s->graph, pl_graph_unref);
  g_free (s->schedule);
  if (s->metrics_free && s->metrics)
    s->metrics_free (s->metrics);
  g_free (s);
}

static PlPruneHistoryStep *
step_new (const PlPruneConfig *config, double sparsity, PlGraph *graph)
{
  PlPruneHistoryStep *s = g_new0 (PlPruneHistoryStep, 1);
  s->config = config ? pl_prune_config_copy (config) : NULL;
  s->sparsity = sparsity;
  s->seed = config ? config->seed : 0;
  s->graph = graph ? pl_graph_ref (graph) : NULL;
  return s;
}

PlPruneHistory *
pl_prune_history_new (PlGraph *original, guint max_steps)
{
  g_return_val_if_fail (original != NULL, NULL);
  PlPruneHistory *h = g_new0 (PlPruneHistory, 1);
  h->steps = g_ptr_array_new_with_free_func (step_free);
  h->max_steps = max_steps == 0 ? 32 : MAX (max_steps, 2);
  g_ptr_array_add (h->steps, step_new (NULL, 0.0, original));
  return h;
}

void
pl_prune_history_free (PlPruneHistory *history)
{
  if (history == NULL)
    return;
  g_ptr_array_unref (history->steps);
  g_free (history);
}

guint
pl_prune_history_push (PlPruneHistory *history, const PlPruneConfig *config, double sparsity,
                       PlGraph *graph)
{
  g_return_val_if_fail (history != NULL && graph != NULL, 0);
  if (history->current + 1 < history->steps->len)
    g_ptr_array_remove_range (history->steps, history->current + 1,
                              history->steps->len - history->current - 1);
  g_ptr_array_add (history->steps, step_new (config, sparsity, graph));
  while (history->steps->len > history->max_steps)
    g_ptr_array_remove_index (history->steps, 1);   /* the oldest after the original */
  history->current = history->steps->len - 1;
  return history->current;
}

guint
pl_prune_history_n_steps (const PlPruneHistory *history)
{
  g_return_val_if_fail (history != NULL, 0);
  return history->steps->len;
}

guint
pl_prune_history_current_index (const PlPruneHistory *history)
{
  g_return_val_if_fail (history != NULL, 0);
  return history->current;
}

const PlPruneHistoryStep *
pl_prune_history_step (const PlPruneHistory *history, guint index)
{
  g_return_val_if_fail (history != NULL, NULL);
  if (index >= history->steps->len)
    return NULL;
  return g_ptr_array_index (history->steps, index);
}

const PlPruneHistoryStep *
pl_prune_history_current (const PlPruneHistory *history)
{
  g_return_val_if_fail (history != NULL, NULL);
  return g_ptr_array_index (history->steps, history->current);
}

gboolean
pl_prune_history_can_undo (const PlPruneHistory *history)
{
  g_return_val_if_fail (history != NULL, FALSE);
  return history->current > 0;
}

gboolean
pl_prune_history_can_redo (const PlPruneHistory *history)
{
  g_return_val_if_fail (history != NULL, FALSE);
  return history->current + 1 < history->steps->len;
}

gboolean
pl_prune_history_undo (PlPruneHistory *history)
{
  g_return_val_if_fail (history != NULL, FALSE);
  if (!pl_prune_history_can_undo (history))
    return FALSE;
  history->current--;
  return TRUE;
}

gboolean
pl_prune_history_redo (PlPruneHistory *history)
{
  g_return_val_if_fail (history != NULL, FALSE);
  if (!pl_prune_history_can_redo (history))
    return FALSE;
  history->current++;
  return TRUE;
}

gboolean
pl_prune_history_go_to (PlPruneHistory *history, guint index)
{
  g_return_val_if_fail (history != NULL, FALSE);
  if (index >= history->steps->len)
    return FALSE;
  history->current = index;
  return TRUE;
}

void
pl_prune_history_set_metrics (PlPruneHistory *history, guint index, gpointer metrics,
                              GDestroyNotify metrics_free)
{
  g_return_if_fail (history != NULL);
  g_return_if_fail (index < history->steps->len);
  PlPruneHistoryStep *s = g_ptr_array_index (history->steps, index);
  if (s->metrics_free && s->metrics)
    s->metrics_free (s->metrics);
  s->metrics = metrics;
  s->metrics_free = metrics_free;
}

void
pl_prune_history_set_info (PlPruneHistory *history, guint index, guint64 seed,
                           const char *schedule)
{
  g_return_if_fail (history != NULL);
  if (index >= history->steps->len)
    return;
  PlPruneHistoryStep *s = g_ptr_array_index (history->steps, index);
  s->seed = seed;
  g_free (s->schedule);
  s->schedule = g_strdup (schedule);
}
