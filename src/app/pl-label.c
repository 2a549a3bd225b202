/* pl-label.c — one-line labels that show their whole text when it does not fit */
#include "config.h"
#include "pl-label.h"

static gboolean
on_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip,
                  gpointer data)
{
  GtkLabel *label = GTK_LABEL (widget);
  if (!pango_layout_is_ellipsized (gtk_label_get_layout (label)))
    return FALSE;
  gtk_tooltip_set_text (tooltip, gtk_label_get_text (label));
  return TRUE;
}

void
pl_label_tooltip_when_ellipsized (GtkLabel *label)
{
  g_return_if_fail (GTK_IS_LABEL (label));
  if (g_object_get_data (G_OBJECT (label), "pl-ellipsized-tooltip") != NULL)
    return;
  g_object_set_data (G_OBJECT (label), "pl-ellipsized-tooltip", GINT_TO_POINTER (1));
  gtk_widget_set_has_tooltip (GTK_WIDGET (label), TRUE);
  g_signal_connect (label, "query-tooltip", G_CALLBACK (on_query_tooltip), NULL);
}
