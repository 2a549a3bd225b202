#include "config.h"
#include "pl-figure-view.h"

#include <adwaita.h>
#include <glib/gi18n.h>

struct _PlFigureView {
  GtkWidget parent_instance;

  /* owned */
  PlComparisonFigure *figure;
  PlTableFigure *table_figure;
  char *placeholder;
};

G_DEFINE_FINAL_TYPE (PlFigureView, pl_figure_view, GTK_TYPE_WIDGET)

static void
pl_figure_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  PlFigureView *self = PL_FIGURE_VIEW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  if (width <= 0 || height <= 0)
    return;
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (self->figure != NULL)
    pl_comparison_figure_draw (cr, width, height, self->figure);
  else if (self->table_figure != NULL)
    pl_table_figure_draw (cr, width, height, self->table_figure);
  else if (self->placeholder != NULL)
    {
      GdkRGBA fg;
      gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.55);
      pl_draw_text (cr, width / 2.0, height / 2.0, self->placeholder, 14.0, 0.5, 0.5);
    }
  cairo_destroy (cr);
}

static void
pl_figure_view_finalize (GObject *object)
{
  PlFigureView *self = PL_FIGURE_VIEW (object);
  g_clear_pointer (&self->figure, pl_comparison_figure_free);
  g_clear_pointer (&self->table_figure, pl_table_figure_free);
  g_clear_pointer (&self->placeholder, g_free);
  G_OBJECT_CLASS (pl_figure_view_parent_class)->finalize (object);
}

static void
pl_figure_view_class_init (PlFigureViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->finalize = pl_figure_view_finalize;
  widget_class->snapshot = pl_figure_view_snapshot;
  gtk_widget_class_set_css_name (widget_class, "figureview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
pl_figure_view_init (PlFigureView *self)
{
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self), 480, 240);
  /* Named generically until a figure gives its title; the window may name it better. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Figure"), -1);
}

/* The figure's title as the accessible name, its method and parameters as description. */
static void
update_accessible (PlFigureView *self, const char *title, const char *description)
{
  if (title != NULL && title[0] != '\0')
    gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    title, -1);
  if (description != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                    description, -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}

GtkWidget *
pl_figure_view_new (void)
{
  return g_object_new (PL_TYPE_FIGURE_VIEW, NULL);
}

void
pl_figure_view_set_figure (PlFigureView *self, PlComparisonFigure *figure)
{
  g_return_if_fail (PL_IS_FIGURE_VIEW (self));
  g_clear_pointer (&self->figure, pl_comparison_figure_free);
  g_clear_pointer (&self->table_figure, pl_table_figure_free);
  self->figure = figure;
  if (figure != NULL)
    update_accessible (self, pl_comparison_figure_title (figure),
                       pl_comparison_figure_description (figure));
  else
    update_accessible (self, NULL, self->placeholder);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const PlComparisonFigure *
pl_figure_view_get_figure (PlFigureView *self)
{
  g_return_val_if_fail (PL_IS_FIGURE_VIEW (self), NULL);
  return self->figure;
}

void
pl_figure_view_set_placeholder (PlFigureView *self, const char *text)
{
  g_return_if_fail (PL_IS_FIGURE_VIEW (self));
  g_free (self->placeholder);
  self->placeholder = g_strdup (text);
  if (self->figure == NULL && self->table_figure == NULL)
    update_accessible (self, NULL, text);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
pl_figure_view_set_table_figure (PlFigureView *self, PlTableFigure *figure)
{
  g_return_if_fail (PL_IS_FIGURE_VIEW (self));
  g_clear_pointer (&self->figure, pl_comparison_figure_free);
  g_clear_pointer (&self->table_figure, pl_table_figure_free);
  self->table_figure = figure;
  if (figure != NULL)
    update_accessible (self, pl_table_figure_title (figure), pl_table_figure_description (figure));
  else
    update_accessible (self, NULL, self->placeholder);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const PlTableFigure *
pl_figure_view_get_table_figure (PlFigureView *self)
{
  g_return_val_if_fail (PL_IS_FIGURE_VIEW (self), NULL);
  return self->table_figure;
}
