/* pl-explain-cache.c — one LRU cache of explanations (pl-explain-cache.h). */
#include "config.h"
#include "pl-explain-cache.h"

#include <string.h>

typedef struct {
  PlGraph *original, *pruned;
  PlDataset *dataset;
  gint64 sample;
  PlTensor *input;
  char *method, *params;
  gpointer value;
  GDestroyNotify value_free;
} Entry;

typedef struct {
  char *method;
  guint hits, misses;
} Counter;

typedef struct {
  PlExplainEvictFunc func;
  gpointer user_data;
} Notify;

struct _PlExplainCache {
  gint ref_count;
  guint max_entries;
  GQueue entries;                 /* of Entry *, most recently used first */
  GArray *counters;               /* of Counter */
  GArray *notifies;               /* of Notify */
};

PlExplainCache *
pl_explain_cache_new (guint max_entries)
{
  PlExplainCache *cache = g_new0 (PlExplainCache, 1);
  cache->ref_count = 1;
  cache->max_entries = MAX (max_entries, 1);
  g_queue_init (&cache->entries);
  cache->counters = g_array_new (FALSE, TRUE, sizeof (Counter));
  cache->notifies = g_array_new (FALSE, TRUE, sizeof (Notify));
  return cache;
}

PlExplainCache *
pl_explain_cache_ref (PlExplainCache *cache)
{
  g_return_val_if_fail (cache != NULL, NULL);
  cache->ref_count++;
  return cache;
}

/* Tells every notify, then frees the entry. */
static void
entry_drop (PlExplainCache *cache, Entry *e)
{
  /* a copy: a notify may remove itself */
  g_autoptr (GArray) notifies = g_array_copy (cache->notifies);
  for (guint i = 0; i < notifies->len; i++)
    {
      Notify *n = &g_array_index (notifies, Notify, i);
      n->func (e->value, n->user_data);
    }
  if (e->value_free != NULL)
    e->value_free (e->value);
  pl_graph_unref (e->original);
  pl_graph_unref (e->pruned);
  g_clear_pointer (&e->dataset, pl_dataset_unref);
  g_clear_pointer (&e->input, pl_tensor_unref);
  g_free (e->method);
  g_free (e->params);
  g_free (e);
}

void
pl_explain_cache_unref (PlExplainCache *cache)
{
  if (cache == NULL || --cache->ref_count > 0)
    return;
  pl_explain_cache_clear (cache, NULL);
  for (guint i = 0; i < cache->counters->len; i++)
    g_free (g_array_index (cache->counters, Counter, i).method);
  g_array_unref (cache->counters);
  g_array_unref (cache->notifies);
  g_free (cache);
}

static Counter *
counter (PlExplainCache *cache, const char *method)
{
  for (guint i = 0; i < cache->counters->len; i++)
    {
      Counter *c = &g_array_index (cache->counters, Counter, i);
      if (g_strcmp0 (c->method, method) == 0)
        return c;
    }
  Counter c = { g_strdup (method), 0, 0 };
  g_array_append_val (cache->counters, c);
  return &g_array_index (cache->counters, Counter, cache->counters->len - 1);
}

static gboolean
same_input (const PlTensor *a, const PlTensor *b)
{
  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL || !pl_tensor_same_shape (a, b))
    return FALSE;
  return memcmp (a->data, b->data, sizeof (float) * (gsize) a->numel) == 0;
}

static gboolean
matches (const Entry *e, const PlExplainKey *key)
{
  return e->original == key->original && e->pruned == key->pruned &&
         e->dataset == key->dataset && e->sample == key->sample &&
         g_strcmp0 (e->method, key->method) == 0 && g_strcmp0 (e->params, key->params) == 0 &&
         same_input (e->input, key->input);
}

static GList *
find (PlExplainCache *cache, const PlExplainKey *key)
{
  for (GList *l = cache->entries.head; l != NULL; l = l->next)
    if (matches (l->data, key))
      return l;
  return NULL;
}

gpointer
pl_explain_cache_lookup (PlExplainCache *cache, const PlExplainKey *key)
{
  g_return_val_if_fail (cache != NULL && key != NULL && key->method != NULL, NULL);
  GList *l = find (cache, key);
  Counter *c = counter (cache, key->method);
  if (l == NULL)
    {
      c->misses++;
      return NULL;
    }
  c->hits++;
  g_queue_unlink (&cache->entries, l);
  g_queue_push_head_link (&cache->entries, l);
  return ((Entry *) l->data)->value;
}

gpointer
pl_explain_cache_insert (PlExplainCache *cache, const PlExplainKey *key, gpointer value,
                         GDestroyNotify value_free)
{
  g_return_val_if_fail (cache != NULL && key != NULL && key->method != NULL, value);
  g_return_val_if_fail (key->original != NULL && key->pruned != NULL, value);
  GList *old = find (cache, key);
  if (old != NULL)
    {
      Entry *e = old->data;
      g_queue_delete_link (&cache->entries, old);
      if (e->value == value)
        e->value_free = NULL;   /* the same value inserted again: keep it */
      entry_drop (cache, e);
    }
  Entry *e = g_new0 (Entry, 1);
  e->original = pl_graph_ref (key->original);
  e->pruned = pl_graph_ref (key->pruned);
  e->dataset = key->dataset != NULL ? pl_dataset_ref (key->dataset) : NULL;
  e->sample = key->sample;
  e->input = key->input != NULL ? pl_tensor_ref ((PlTensor *) key->input) : NULL;
  e->method = g_strdup (key->method);
  e->params = g_strdup (key->params);
  e->value = value;
  e->value_free = value_free;
  g_queue_push_head (&cache->entries, e);
  while (cache->entries.length > cache->max_entries)
    entry_drop (cache, g_queue_pop_tail (&cache->entries));
  return value;
}

void
pl_explain_cache_clear (PlExplainCache *cache, const char *method)
{
  g_return_if_fail (cache != NULL);
  GList *l = cache->entries.head;
  while (l != NULL)
    {
      GList *next = l->next;
      Entry *e = l->data;
      if (method == NULL || g_strcmp0 (e->method, method) == 0)
        {
          g_queue_delete_link (&cache->entries, l);
          entry_drop (cache, e);
        }
      l = next;
    }
}

void
pl_explain_cache_add_evict_notify (PlExplainCache *cache, PlExplainEvictFunc func,
                                   gpointer user_data)
{
  g_return_if_fail (cache != NULL && func != NULL);
  Notify n = { func, user_data };
  g_array_append_val (cache->notifies, n);
}

void
pl_explain_cache_remove_evict_notify (PlExplainCache *cache, PlExplainEvictFunc func,
                                      gpointer user_data)
{
  g_return_if_fail (cache != NULL);
  for (guint i = 0; i < cache->notifies->len; i++)
    {
      Notify *n = &g_array_index (cache->notifies, Notify, i);
      if (n->func == func && n->user_data == user_data)
        {
          g_array_remove_index (cache->notifies, i);
          return;
        }
    }
}

void
pl_explain_cache_stats (PlExplainCache *cache, const char *method, guint *hits,
                        guint *misses, guint *entries)
{
  g_return_if_fail (cache != NULL);
  guint h = 0, m = 0, n = 0;
  for (guint i = 0; i < cache->counters->len; i++)
    {
      Counter *c = &g_array_index (cache->counters, Counter, i);
      if (method == NULL || g_strcmp0 (c->method, method) == 0)
        {
          h += c->hits;
          m += c->misses;
        }
    }
  for (GList *l = cache->entries.head; l != NULL; l = l->next)
    if (method == NULL || g_strcmp0 (((Entry *) l->data)->method, method) == 0)
      n++;
  if (hits != NULL)
    *hits = h;
  if (misses != NULL)
    *misses = m;
  if (entries != NULL)
    *entries = n;
}

guint
pl_explain_cache_get_max_entries (PlExplainCache *cache)
{
  g_return_val_if_fail (cache != NULL, 0);
  return cache->max_entries;
}
