#include "config.h"
#include "pl-figure-view.h"

#include <adwaita.h>
#include <glib/gi18n.h>

/* What the view shows: one of the three (immutable once set, drawn in a worker). */
typedef struct {
  PlComparisonFigure *figure;
  PlTableFigure *table_figure;
  char *placeholder;
} Shown;

static void
shown_free (Shown *s)
{
  g_clear_pointer (&s->figure, pl_comparison_figure_free);
  g_clear_pointer (&s->table_figure, pl_table_figure_free);
  g_free (s->placeholder);
  g_free (s);
}

struct _PlFigureView {
  PlCanvas parent_instance;

  const Shown *shown;   /* borrowed: the canvas's content */
  char *placeholder;    /* owned: shown when there is no figure */
};

G_DEFINE_FINAL_TYPE (PlFigureView, pl_figure_view, PL_TYPE_CANVAS)

static void
draw_shown (cairo_t *cr, int width, int height, gboolean dark, gconstpointer data)
{
  const Shown *s = data;
  if (s->figure != NULL)
    pl_comparison_figure_draw (cr, width, height, s->figure);
  else if (s->table_figure != NULL)
    pl_table_figure_draw (cr, width, height, s->table_figure);
  else if (s->placeholder != NULL)
    {
      /* the window's foreground (black or white), dimmed */
      double v = dark ? 1.0 : 0.0;
      cairo_set_source_rgba (cr, v, v, v, 0.55);
      pl_draw_text (cr, width / 2.0, height / 2.0, s->placeholder, 14.0, 0.5, 0.5);
    }
}

static void
pl_figure_view_finalize (GObject *object)
{
  PlFigureView *self = PL_FIGURE_VIEW (object);
  g_clear_pointer (&self->placeholder, g_free);
  G_OBJECT_CLASS (pl_figure_view_parent_class)->finalize (object);
}

static void
pl_figure_view_class_init (PlFigureViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->finalize = pl_figure_view_finalize;
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

/* Shows s (owned) in the canvas. */
static void
show (PlFigureView *self, Shown *s)
{
  self->shown = s;
  pl_canvas_set_content (PL_CANVAS (self), draw_shown, s, (GDestroyNotify) shown_free);
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
  Shown *s = g_new0 (Shown, 1);
  s->figure = figure;
  if (figure == NULL)
    s->placeholder = g_strdup (self->placeholder);
  show (self, s);
  if (figure != NULL)
    update_accessible (self, pl_comparison_figure_title (figure),
                       pl_comparison_figure_description (figure));
  else
    update_accessible (self, NULL, self->placeholder);
}

const PlComparisonFigure *
pl_figure_view_get_figure (PlFigureView *self)
{
  g_return_val_if_fail (PL_IS_FIGURE_VIEW (self), NULL);
  return self->shown != NULL ? self->shown->figure : NULL;
}

void
pl_figure_view_set_placeholder (PlFigureView *self, const char *text)
{
  g_return_if_fail (PL_IS_FIGURE_VIEW (self));
  g_free (self->placeholder);
  self->placeholder = g_strdup (text);
  if (self->shown == NULL || (self->shown->figure == NULL && self->shown->table_figure == NULL))
    {
      Shown *s = g_new0 (Shown, 1);
      s->placeholder = g_strdup (text);
      show (self, s);
      update_accessible (self, NULL, text);
    }
}

void
pl_figure_view_set_table_figure (PlFigureView *self, PlTableFigure *figure)
{
  g_return_if_fail (PL_IS_FIGURE_VIEW (self));
  Shown *s = g_new0 (Shown, 1);
  s->table_figure = figure;
  if (figure == NULL)
    s->placeholder = g_strdup (self->placeholder);
  show (self, s);
  if (figure != NULL)
    update_accessible (self, pl_table_figure_title (figure), pl_table_figure_description (figure));
  else
    update_accessible (self, NULL, self->placeholder);
}

const PlTableFigure *
pl_figure_view_get_table_figure (PlFigureView *self)
{
  g_return_val_if_fail (PL_IS_FIGURE_VIEW (self), NULL);
  return self->shown != NULL ? self->shown->table_figure : NULL;
}
