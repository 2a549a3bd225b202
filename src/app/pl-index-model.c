/* pl-index-model.c — n items standing for 0 … n − 1, made on demand (pl-index-model.h). */
#include "config.h"
#include "pl-index-model.h"

struct _PlIndexModel {
  GObject parent_instance;
  guint n_items;
  guint target, chunk, gradual;   /* a gradual growth */
  guint grow_id;
};

static guint complete_signal;

static GType
index_model_get_item_type (GListModel *list)
{
  return GTK_TYPE_STRING_OBJECT;
}

static guint
index_model_get_n_items (GListModel *list)
{
  return PL_INDEX_MODEL (list)->n_items;
}

static gpointer
index_model_get_item (GListModel *list, guint position)
{
  PlIndexModel *self = PL_INDEX_MODEL (list);
  if (position >= self->n_items)
    return NULL;
  char buf[16];
  g_snprintf (buf, sizeof buf, "%u", position);
  return gtk_string_object_new (buf);
}

static void
pl_index_model_list_init (GListModelInterface *iface)
{
  iface->get_item_type = index_model_get_item_type;
  iface->get_n_items = index_model_get_n_items;
  iface->get_item = index_model_get_item;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (PlIndexModel, pl_index_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, pl_index_model_list_init))

static void
pl_index_model_dispose (GObject *object)
{
  g_clear_handle_id (&PL_INDEX_MODEL (object)->grow_id, g_source_remove);
  G_OBJECT_CLASS (pl_index_model_parent_class)->dispose (object);
}

static void
pl_index_model_class_init (PlIndexModelClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = pl_index_model_dispose;
  complete_signal = g_signal_new ("complete", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
pl_index_model_init (PlIndexModel *self)
{
}

PlIndexModel *
pl_index_model_new (guint n_items)
{
  PlIndexModel *self = g_object_new (PL_TYPE_INDEX_MODEL, NULL);
  self->n_items = n_items;
  return self;
}

void
pl_index_model_set_n_items (PlIndexModel *self, guint n_items)
{
  g_return_if_fail (PL_IS_INDEX_MODEL (self));
  g_clear_handle_id (&self->grow_id, g_source_remove);
  guint old = self->n_items;
  self->n_items = self->target = n_items;
  if (old > 0 || n_items > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old, n_items);
}

/* Adds the next chunk (or the rest past the gradual part). */
static gboolean
grow_step (gpointer data)
{
  PlIndexModel *self = data;
  guint old = self->n_items;
  guint next = old + self->chunk >= self->gradual ? self->target
                                                  : MIN (old + self->chunk, self->target);
  self->n_items = next;
  g_list_model_items_changed (G_LIST_MODEL (self), old, 0, next - old);
  if (next < self->target)
    return G_SOURCE_CONTINUE;
  self->grow_id = 0;
  g_signal_emit (self, complete_signal, 0);
  return G_SOURCE_REMOVE;
}

void
pl_index_model_set_n_items_gradually (PlIndexModel *self, guint n_items, guint chunk,
                                      guint gradual)
{
  g_return_if_fail (PL_IS_INDEX_MODEL (self));
  chunk = MAX (chunk, 1);
  if (n_items <= chunk)
    {
      pl_index_model_set_n_items (self, n_items);
      g_signal_emit (self, complete_signal, 0);
      return;
    }
  g_clear_handle_id (&self->grow_id, g_source_remove);
  guint old = self->n_items;
  self->n_items = chunk;
  self->target = n_items;
  self->chunk = chunk;
  self->gradual = gradual;
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old, chunk);
  self->grow_id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, grow_step, self, NULL);
}

gboolean
pl_index_model_is_complete (PlIndexModel *self)
{
  g_return_val_if_fail (PL_IS_INDEX_MODEL (self), TRUE);
  return self->grow_id == 0;
}

guint
pl_index_model_get_target (PlIndexModel *self)
{
  g_return_val_if_fail (PL_IS_INDEX_MODEL (self), 0);
  return self->target;
}

void
pl_index_model_changed (PlIndexModel *self)
{
  g_return_if_fail (PL_IS_INDEX_MODEL (self));
  if (self->n_items > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, self->n_items, self->n_items);
}
