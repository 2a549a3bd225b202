/* pl-history-panel.c — see pl-history-panel.h. */
#include "config.h"
#include "pl-history-panel.h"

#include <glib/gi18n.h>
#include "session/pl-session.h"

char *
pl_history_step_label (const PlPruneHistory *history, guint index, double original_accuracy)
{
  const PlPruneHistoryStep *step = pl_prune_history_step (history, index);
  if (step == NULL)
    return g_strdup ("?");
  const PlPruneStep *made = step->metrics;
  if (index == 0 || made == NULL)
    {
      if (original_accuracy < 0)
        return g_strdup_printf (_("Step %u · original"), index);
      return g_strdup_printf (_("Step %u · original · %.2f %%"), index, 100.0 * original_accuracy);
    }
  return g_strdup_printf (_("Step %u · %s · %.1f %% · %.2f %%"), index,
                          made->description ? made->description : "",
                          100.0 * made->achieved_sparsity, 100.0 * made->evaluation->accuracy);
}

char *
pl_history_step_short_label (const PlPruneHistory *history, guint index)
{
  const PlPruneHistoryStep *step = pl_prune_history_step (history, index);
  const PlPruneStep *made = step ? step->metrics : NULL;
  if (index == 0 || made == NULL)
    return g_strdup_printf (_("Step %u · original"), index);
  return g_strdup_printf (_("Step %u · %.1f %%"), index, 100.0 * made->achieved_sparsity);
}

void
pl_history_panel_fill (GtkListBox *list, GtkStringList *reference_model,
                       const PlPruneHistory *history, double original_accuracy)
{
  g_return_if_fail (GTK_IS_LIST_BOX (list));
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
  guint old = g_list_model_get_n_items (G_LIST_MODEL (reference_model));
  if (history == NULL)
    {
      gtk_string_list_splice (reference_model, 0, old, NULL);
      return;
    }
  guint n = pl_prune_history_n_steps (history);
  guint current = pl_prune_history_current_index (history);
  GStrvBuilder *b = g_strv_builder_new ();
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = pl_history_step_label (history, i, original_accuracy);
      g_autofree char *brief = pl_history_step_short_label (history, i);
      g_strv_builder_add (b, brief);
      GtkWidget *row = gtk_list_box_row_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
      gtk_widget_set_margin_start (box, 8);
      gtk_widget_set_margin_end (box, 8);
      gtk_widget_set_margin_top (box, 6);
      gtk_widget_set_margin_bottom (box, 6);
      GtkWidget *icon = gtk_image_new_from_icon_name ("object-select-symbolic");
      gtk_widget_set_opacity (icon, i == current ? 1.0 : 0.0);
      GtkWidget *label = gtk_label_new (text);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_set_hexpand (label, TRUE);
      if (i == current)
        gtk_widget_add_css_class (label, "heading");
      gtk_box_append (GTK_BOX (box), icon);
      gtk_box_append (GTK_BOX (box), label);
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
      g_object_set_data (G_OBJECT (row), "step", GUINT_TO_POINTER (i));
      gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
      gtk_list_box_append (list, row);
    }
  g_auto (GStrv) items = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  gtk_string_list_splice (reference_model, 0, old, (const char *const *) items);
}
