/* pl-explain-cache.h — the workbench's one explanation cache (issue 9: "results are cached
 * per (step, input, method, parameters)").
 *
 * Keys: the compared and the shown network (by identity; the entry holds a reference to
 * each, so a key is never reused by another network), the dataset (identity, referenced),
 * the input — a dataset index (sample ≥ 0) and/or an input tensor compared by shape and
 * content (referenced) —, the method ("comparison" for the Saliency / Features / SHAP
 * views' PlComparison, "lime-shap" for the LIME / SHAP tab's figure) and a string holding
 * every parameter. Values are owned by the cache (freed with the value_free given on
 * insert). One LRU bound for every method: inserting past it drops the least recently used
 * entry; whoever shows a cached value registers an eviction notify and forgets the value
 * when it is dropped. Main thread only.
 */
#pragma once

#include <glib.h>
#include "graph/pl-graph.h"
#include "data/pl-dataset.h"
#include "tensor/pl-tensor.h"

G_BEGIN_DECLS

#define PL_EXPLAIN_CACHE_SIZE 48

typedef struct _PlExplainCache PlExplainCache;

typedef struct {
  PlGraph *original;              /* required */
  PlGraph *pruned;                /* required (may equal original) */
  PlDataset *dataset;             /* may be NULL */
  gint64 sample;                  /* dataset index, or −1 */
  const PlTensor *input;          /* may be NULL */
  const char *method;             /* required, e.g. "comparison", "lime-shap" */
  const char *params;             /* every parameter, may be NULL */
} PlExplainKey;

/* Called with each value the cache drops (eviction, clear, free) before it is freed. */
typedef void (*PlExplainEvictFunc) (gpointer value, gpointer user_data);

PlExplainCache *pl_explain_cache_new (guint max_entries);
PlExplainCache *pl_explain_cache_ref (PlExplainCache *cache);
void pl_explain_cache_unref (PlExplainCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlExplainCache, pl_explain_cache_unref)

/* The cached value (made the most recently used; counted as a hit of key->method), or
 * NULL (a miss). */
gpointer pl_explain_cache_lookup (PlExplainCache *cache, const PlExplainKey *key);
/* Adds value (taken) as the most recently used, replacing an entry of the same key, and
 * drops the least recently used entries past the bound. Returns value. */
gpointer pl_explain_cache_insert (PlExplainCache *cache, const PlExplainKey *key,
                                  gpointer value, GDestroyNotify value_free);
/* Drops every entry (method NULL) or those of one method. */
void pl_explain_cache_clear (PlExplainCache *cache, const char *method);
/* Eviction notifies (several may be registered; removed by (func, user_data)). */
void pl_explain_cache_add_evict_notify (PlExplainCache *cache, PlExplainEvictFunc func,
                                        gpointer user_data);
void pl_explain_cache_remove_evict_notify (PlExplainCache *cache, PlExplainEvictFunc func,
                                           gpointer user_data);
/* Hits and misses of one method (NULL: all) since the cache was made, and its entries
 * held now. */
void pl_explain_cache_stats (PlExplainCache *cache, const char *method, guint *hits,
                             guint *misses, guint *entries);
guint pl_explain_cache_get_max_entries (PlExplainCache *cache);

G_END_DECLS
