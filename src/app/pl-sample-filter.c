/* pl-sample-filter.c — class / prediction-changed / misclassified filters of the samples. */
#include "config.h"
#include "pl-sample-filter.h"

#include <glib/gi18n.h>

/* ---- the filter ------------------------------------------------------------------ */

struct _PlSampleFilter {
  GtkFilter parent_instance;
  PlDataset *dataset;
  PlSamplePredictionFunc func;
  gpointer user_data;
  GDestroyNotify destroy;
  gint class_index;
  gboolean changed_only;
  gboolean misclassified_only;
};

G_DEFINE_FINAL_TYPE (PlSampleFilter, pl_sample_filter, GTK_TYPE_FILTER)

gint64
pl_sample_filter_item_index (gpointer item)
{
  if (!GTK_IS_STRING_OBJECT (item))
    return -1;
  const char *s = gtk_string_object_get_string (item);
  char *end = NULL;
  if (s == NULL || *s == '\0')
    return -1;
  gint64 i = g_ascii_strtoll (s, &end, 10);
  return end != NULL && *end == '\0' && i >= 0 ? i : -1;
}

gboolean
pl_sample_filter_matches_index (PlSampleFilter *self, gint64 i)
{
  g_return_val_if_fail (PL_IS_SAMPLE_FILTER (self), FALSE);
  if (!pl_sample_filter_is_active (self))
    return TRUE;
  if (self->dataset == NULL || i < 0 || i >= self->dataset->n)
    return FALSE;
  gint label = self->dataset->labels[i];
  if (self->class_index >= 0 && label != self->class_index)
    return FALSE;
  if (self->changed_only || self->misclassified_only)
    {
      gint p0 = -1, p1 = -1;
      if (self->func == NULL || !self->func (i, &p0, &p1, self->user_data))
        return FALSE;
      if (self->changed_only && p0 == p1)
        return FALSE;
      if (self->misclassified_only && p1 == label)
        return FALSE;
    }
  return TRUE;
}

static gboolean
pl_sample_filter_match (GtkFilter *filter, gpointer item)
{
  PlSampleFilter *self = PL_SAMPLE_FILTER (filter);
  if (!pl_sample_filter_is_active (self))
    return TRUE;
  return pl_sample_filter_matches_index (self, pl_sample_filter_item_index (item));
}

static GtkFilterMatch
pl_sample_filter_get_strictness (GtkFilter *filter)
{
  return pl_sample_filter_is_active (PL_SAMPLE_FILTER (filter)) ? GTK_FILTER_MATCH_SOME
                                                                : GTK_FILTER_MATCH_ALL;
}

static void
clear_data (PlSampleFilter *self)
{
  g_clear_pointer (&self->dataset, pl_dataset_unref);
  if (self->destroy != NULL && self->user_data != NULL)
    self->destroy (self->user_data);
  self->func = NULL;
  self->user_data = NULL;
  self->destroy = NULL;
}

static void
pl_sample_filter_finalize (GObject *object)
{
  clear_data (PL_SAMPLE_FILTER (object));
  G_OBJECT_CLASS (pl_sample_filter_parent_class)->finalize (object);
}

static void
pl_sample_filter_class_init (PlSampleFilterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pl_sample_filter_finalize;
  GTK_FILTER_CLASS (klass)->match = pl_sample_filter_match;
  GTK_FILTER_CLASS (klass)->get_strictness = pl_sample_filter_get_strictness;
}

static void
pl_sample_filter_init (PlSampleFilter *self)
{
  self->class_index = -1;
}

PlSampleFilter *
pl_sample_filter_new (void)
{
  return g_object_new (PL_TYPE_SAMPLE_FILTER, NULL);
}

void
pl_sample_filter_set_data (PlSampleFilter *self, PlDataset *dataset,
                           PlSamplePredictionFunc func, gpointer user_data,
                           GDestroyNotify destroy)
{
  g_return_if_fail (PL_IS_SAMPLE_FILTER (self));
  PlDataset *ds = dataset != NULL ? pl_dataset_ref (dataset) : NULL;
  clear_data (self);
  self->dataset = ds;
  self->func = func;
  self->user_data = user_data;
  self->destroy = destroy;
  self->class_index = -1;
  self->changed_only = FALSE;
  self->misclassified_only = FALSE;
  gtk_filter_changed (GTK_FILTER (self), GTK_FILTER_CHANGE_DIFFERENT);
}

void
pl_sample_filter_set_class (PlSampleFilter *self, gint class_index)
{
  g_return_if_fail (PL_IS_SAMPLE_FILTER (self));
  class_index = MAX (class_index, -1);
  if (class_index == self->class_index)
    return;
  GtkFilterChange change = self->class_index < 0 ? GTK_FILTER_CHANGE_MORE_STRICT
                           : class_index < 0     ? GTK_FILTER_CHANGE_LESS_STRICT
                                                 : GTK_FILTER_CHANGE_DIFFERENT;
  self->class_index = class_index;
  gtk_filter_changed (GTK_FILTER (self), change);
}

gint
pl_sample_filter_get_class (PlSampleFilter *self)
{
  g_return_val_if_fail (PL_IS_SAMPLE_FILTER (self), -1);
  return self->class_index;
}

void
pl_sample_filter_set_changed_only (PlSampleFilter *self, gboolean changed_only)
{
  g_return_if_fail (PL_IS_SAMPLE_FILTER (self));
  changed_only = !!changed_only;
  if (changed_only == self->changed_only)
    return;
  self->changed_only = changed_only;
  gtk_filter_changed (GTK_FILTER (self), changed_only ? GTK_FILTER_CHANGE_MORE_STRICT
                                                      : GTK_FILTER_CHANGE_LESS_STRICT);
}

gboolean
pl_sample_filter_get_changed_only (PlSampleFilter *self)
{
  g_return_val_if_fail (PL_IS_SAMPLE_FILTER (self), FALSE);
  return self->changed_only;
}

void
pl_sample_filter_set_misclassified_only (PlSampleFilter *self, gboolean misclassified)
{
  g_return_if_fail (PL_IS_SAMPLE_FILTER (self));
  misclassified = !!misclassified;
  if (misclassified == self->misclassified_only)
    return;
  self->misclassified_only = misclassified;
  gtk_filter_changed (GTK_FILTER (self), misclassified ? GTK_FILTER_CHANGE_MORE_STRICT
                                                       : GTK_FILTER_CHANGE_LESS_STRICT);
}

gboolean
pl_sample_filter_get_misclassified_only (PlSampleFilter *self)
{
  g_return_val_if_fail (PL_IS_SAMPLE_FILTER (self), FALSE);
  return self->misclassified_only;
}

gboolean
pl_sample_filter_is_active (PlSampleFilter *self)
{
  g_return_val_if_fail (PL_IS_SAMPLE_FILTER (self), FALSE);
  return self->class_index >= 0 || self->changed_only || self->misclassified_only;
}

void
pl_sample_filter_predictions_changed (PlSampleFilter *self)
{
  g_return_if_fail (PL_IS_SAMPLE_FILTER (self));
  if (self->changed_only || self->misclassified_only)
    gtk_filter_changed (GTK_FILTER (self), GTK_FILTER_CHANGE_DIFFERENT);
}

/* ---- the bar --------------------------------------------------------------------- */

struct _PlSampleFilterBar {
  GtkWidget parent_instance;
  GtkWidget *box;
  GtkWidget *class_dropdown;
  GtkStringList *class_model;
  GtkWidget *changed;
  GtkWidget *misclassified;
  GtkWidget *count;
  GtkWidget *clear;
  PlSampleFilter *filter;
  GtkFilterListModel *model;
  gulong items_handler;
  gboolean syncing;
};

G_DEFINE_FINAL_TYPE (PlSampleFilterBar, pl_sample_filter_bar, GTK_TYPE_WIDGET)

static void
update_count (PlSampleFilterBar *self)
{
  gboolean active = pl_sample_filter_is_active (self->filter);
  gtk_widget_set_sensitive (self->clear, active);
  if (self->model == NULL)
    {
      gtk_label_set_label (GTK_LABEL (self->count), "");
      return;
    }
  GListModel *inner = gtk_filter_list_model_get_model (self->model);
  guint N = inner != NULL ? g_list_model_get_n_items (inner) : 0;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  g_autofree char *text = g_strdup_printf (_("%u of %u shown"), n, N);
  gtk_label_set_label (GTK_LABEL (self->count), text);
}

static void
sync_controls (PlSampleFilterBar *self)
{
  self->syncing = TRUE;
  gint k = pl_sample_filter_get_class (self->filter);
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->class_model));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->class_dropdown),
                              k >= 0 && (guint) k + 1 < n_items ? (guint) k + 1 : 0);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (self->changed),
                               pl_sample_filter_get_changed_only (self->filter));
  gtk_check_button_set_active (GTK_CHECK_BUTTON (self->misclassified),
                               pl_sample_filter_get_misclassified_only (self->filter));
  self->syncing = FALSE;
  update_count (self);
}

static void
on_class_selected (PlSampleFilterBar *self)
{
  if (self->syncing)
    return;
  guint sel = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->class_dropdown));
  pl_sample_filter_set_class (self->filter,
                              sel == GTK_INVALID_LIST_POSITION || sel == 0 ? -1 : (gint) sel - 1);
  update_count (self);
}

static void
on_toggled (PlSampleFilterBar *self)
{
  if (self->syncing)
    return;
  pl_sample_filter_set_changed_only (self->filter,
                                     gtk_check_button_get_active (GTK_CHECK_BUTTON (self->changed)));
  pl_sample_filter_set_misclassified_only (
      self->filter, gtk_check_button_get_active (GTK_CHECK_BUTTON (self->misclassified)));
  update_count (self);
}

static void
pl_sample_filter_bar_dispose (GObject *object)
{
  PlSampleFilterBar *self = PL_SAMPLE_FILTER_BAR (object);
  pl_sample_filter_bar_set_model (self, NULL);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_object (&self->filter);
  G_OBJECT_CLASS (pl_sample_filter_bar_parent_class)->dispose (object);
}

static void
pl_sample_filter_bar_class_init (PlSampleFilterBarClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = pl_sample_filter_bar_dispose;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "samplefilterbar");
  gtk_widget_class_set_accessible_role (GTK_WIDGET_CLASS (klass), GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
pl_sample_filter_bar_init (PlSampleFilterBar *self)
{
  self->filter = pl_sample_filter_new ();
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Sample filters"), -1);
  /* three rows for the narrow sample pane: class and Clear; the two toggles; the count */
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));
  GtkWidget *rows[2] = { gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6),
                         gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12) };
  gtk_box_append (GTK_BOX (self->box), rows[0]);
  gtk_box_append (GTK_BOX (self->box), rows[1]);
  GtkWidget *spacer = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_set_hexpand (spacer, TRUE);

  self->class_model = gtk_string_list_new (NULL);
  gtk_string_list_append (self->class_model, _("All classes"));
  self->class_dropdown = gtk_drop_down_new (G_LIST_MODEL (self->class_model), NULL);
  gtk_widget_set_name (self->class_dropdown, "class");
  gtk_widget_set_tooltip_text (self->class_dropdown, _("Show only samples of this true class"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->class_dropdown),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Filter by class"), -1);
  self->changed = gtk_check_button_new_with_mnemonic (_("Prediction _changed"));
  gtk_widget_set_name (self->changed, "changed");
  gtk_widget_set_tooltip_text (self->changed,
                               _("Show only samples the pruned network classifies differently "
                                 "from the original"));
  self->misclassified = gtk_check_button_new_with_mnemonic (_("_Misclassified"));
  gtk_widget_set_name (self->misclassified, "misclassified");
  gtk_widget_set_tooltip_text (self->misclassified,
                               _("Show only samples the pruned network gets wrong"));
  self->count = gtk_label_new (NULL);
  gtk_widget_set_name (self->count, "count");
  gtk_widget_add_css_class (self->count, "dim-label");
  gtk_widget_add_css_class (self->count, "numeric");
  gtk_widget_add_css_class (self->count, "caption");
  self->clear = gtk_button_new_from_icon_name ("edit-clear-symbolic");
  gtk_widget_set_name (self->clear, "clear");
  gtk_widget_add_css_class (self->clear, "flat");
  gtk_widget_set_tooltip_text (self->clear, _("Show all samples"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->clear), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Clear the filters"), -1);
  gtk_label_set_xalign (GTK_LABEL (self->count), 0.0f);
  gtk_label_set_ellipsize (GTK_LABEL (self->count), PANGO_ELLIPSIZE_END);
  GtkWidget *children[] = { self->class_dropdown, spacer, self->clear, self->changed,
                            self->misclassified };
  for (guint i = 0; i < G_N_ELEMENTS (children); i++)
    {
      gtk_widget_set_valign (children[i], GTK_ALIGN_CENTER);
      gtk_box_append (GTK_BOX (rows[i < 3 ? 0 : 1]), children[i]);
    }
  gtk_box_append (GTK_BOX (self->box), self->count);
  g_signal_connect_swapped (self->class_dropdown, "notify::selected",
                            G_CALLBACK (on_class_selected), self);
  g_signal_connect_swapped (self->changed, "toggled", G_CALLBACK (on_toggled), self);
  g_signal_connect_swapped (self->misclassified, "toggled", G_CALLBACK (on_toggled), self);
  g_signal_connect_swapped (self->clear, "clicked", G_CALLBACK (pl_sample_filter_bar_clear), self);
  update_count (self);
}

GtkWidget *
pl_sample_filter_bar_new (void)
{
  return g_object_new (PL_TYPE_SAMPLE_FILTER_BAR, NULL);
}

PlSampleFilter *
pl_sample_filter_bar_get_filter (PlSampleFilterBar *self)
{
  g_return_val_if_fail (PL_IS_SAMPLE_FILTER_BAR (self), NULL);
  return self->filter;
}

void
pl_sample_filter_bar_set_data (PlSampleFilterBar *self, PlDataset *dataset,
                               PlSamplePredictionFunc func, gpointer user_data,
                               GDestroyNotify destroy)
{
  g_return_if_fail (PL_IS_SAMPLE_FILTER_BAR (self));
  self->syncing = TRUE;
  guint old = g_list_model_get_n_items (G_LIST_MODEL (self->class_model));
  GStrvBuilder *b = g_strv_builder_new ();
  g_strv_builder_add (b, _("All classes"));
  gint n_classes = dataset != NULL ? dataset->n_classes : 0;
  for (gint k = 0; k < n_classes; k++)
    {
      const char *name = dataset->class_names != NULL ? dataset->class_names[k] : NULL;
      if (name != NULL)
        g_strv_builder_add (b, _(name));
      else
        {
          g_autofree char *num = g_strdup_printf ("%d", k);
          g_strv_builder_add (b, num);
        }
    }
  g_auto (GStrv) items = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  gtk_string_list_splice (self->class_model, 0, old, (const char *const *) items);
  gtk_widget_set_visible (self->class_dropdown, n_classes > 0);
  self->syncing = FALSE;
  pl_sample_filter_set_data (self->filter, dataset, func, user_data, destroy);
  sync_controls (self);
}

void
pl_sample_filter_bar_set_model (PlSampleFilterBar *self, GtkFilterListModel *model)
{
  g_return_if_fail (PL_IS_SAMPLE_FILTER_BAR (self));
  if (self->model != NULL)
    {
      g_clear_signal_handler (&self->items_handler, self->model);
      g_clear_object (&self->model);
    }
  if (model != NULL)
    {
      self->model = g_object_ref (model);
      self->items_handler = g_signal_connect_swapped (model, "items-changed",
                                                      G_CALLBACK (update_count), self);
    }
  update_count (self);
}

void
pl_sample_filter_bar_clear (PlSampleFilterBar *self)
{
  g_return_if_fail (PL_IS_SAMPLE_FILTER_BAR (self));
  pl_sample_filter_set_class (self->filter, -1);
  pl_sample_filter_set_changed_only (self->filter, FALSE);
  pl_sample_filter_set_misclassified_only (self->filter, FALSE);
  sync_controls (self);
}

GtkWidget *
pl_sample_filter_bar_get_widget (PlSampleFilterBar *self, const char *name)
{
  g_return_val_if_fail (PL_IS_SAMPLE_FILTER_BAR (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  if (g_str_equal (name, "class"))
    return self->class_dropdown;
  if (g_str_equal (name, "changed"))
    return self->changed;
  if (g_str_equal (name, "misclassified"))
    return self->misclassified;
  if (g_str_equal (name, "count"))
    return self->count;
  if (g_str_equal (name, "clear"))
    return self->clear;
  return NULL;
}
