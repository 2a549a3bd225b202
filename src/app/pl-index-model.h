/* pl-index-model.h — the sample browser's list: n items standing for the dataset indices
 * 0 … n − 1, made on demand (issue 9, "the window never freezes": opening a 60 000-image
 * dataset creates no 60 000 objects on the main loop). Items are GtkStringObjects holding
 * the decimal index, as pl-sample-filter.h reads them. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PL_TYPE_INDEX_MODEL (pl_index_model_get_type ())
G_DECLARE_FINAL_TYPE (PlIndexModel, pl_index_model, PL, INDEX_MODEL, GObject)

PlIndexModel *pl_index_model_new (guint n_items);
/* Replaces the items by 0 … n_items − 1 (one items-changed signal). */
void pl_index_model_set_n_items (PlIndexModel *self, guint n_items);
/* As pl_index_model_set_n_items, but gradually: the first chunk items at once, then chunk
 * more from a low-priority idle (frames are drawn in between, so a list widget creates its
 * row widgets a few at a time) until gradual items, then the rest at once. The
 * "complete" signal is emitted once every item is there (also at once when n_items ≤
 * chunk). A later set_n_items* call replaces a growth still under way. */
void pl_index_model_set_n_items_gradually (PlIndexModel *self, guint n_items, guint chunk,
                                           guint gradual);
/* FALSE while a gradual growth is under way. */
gboolean pl_index_model_is_complete (PlIndexModel *self);
/* The number of items the model is growing to (its final size). */
guint pl_index_model_get_target (PlIndexModel *self);
/* Every item changed (e.g. the predictions shown on them): one items-changed signal. */
void pl_index_model_changed (PlIndexModel *self);

G_END_DECLS
