/* pl-thumbnail.c — one sample in the sample grid, drawn as one widget */
#include "config.h"
#include "pl-thumbnail.h"

#define GAP 2   /* between the image and the caption, px */

struct _PlThumbnail {
  GtkWidget parent_instance;
  int image_size, max_chars;
  GdkPaintable *image;
  char *caption;
};

G_DEFINE_FINAL_TYPE (PlThumbnail, pl_thumbnail, GTK_TYPE_WIDGET)

/* A font's line height and average character width (Pango units), remembered per font
 * description: pango_context_get_metrics () is too slow to call for 250 items. */
typedef struct {
  int line, char_width;
} Metrics;

static Metrics
font_metrics (GtkWidget *widget)
{
  static GHashTable *known;   /* description string → Metrics (main thread only) */
  PangoContext *context = gtk_widget_get_pango_context (widget);
  const PangoFontDescription *fd = pango_context_get_font_description (context);
  g_autofree char *key = fd != NULL ? pango_font_description_to_string (fd) : g_strdup ("");
  if (known == NULL)
    known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  Metrics *m = g_hash_table_lookup (known, key);
  if (m == NULL)
    {
      PangoFontMetrics *fm = pango_context_get_metrics (context, fd, NULL);
      m = g_new (Metrics, 1);
      m->line = pango_font_metrics_get_height (fm);
      if (m->line <= 0)
        m->line = pango_font_metrics_get_ascent (fm) + pango_font_metrics_get_descent (fm);
      m->char_width = pango_font_metrics_get_approximate_char_width (fm);
      pango_font_metrics_unref (fm);
      g_hash_table_insert (known, g_steal_pointer (&key), m);
    }
  return *m;
}

static void
pl_thumbnail_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                      int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  PlThumbnail *self = PL_THUMBNAIL (widget);
  Metrics m = font_metrics (widget);
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      int text = PANGO_PIXELS_CEIL (m.char_width * self->max_chars);
      *minimum = self->image_size;
      *natural = MAX (self->image_size, text);
    }
  else
    {
      int line = PANGO_PIXELS_CEIL (m.line);
      *minimum = *natural = (self->image_size > 0 ? self->image_size + GAP : 0) + line;
    }
}

static void
pl_thumbnail_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  PlThumbnail *self = PL_THUMBNAIL (widget);
  int width = gtk_widget_get_width (widget);
  int y = 0;
  GtkStyleContext *style = gtk_widget_get_style_context (widget);
  if (self->image_size > 0)
    {
      int s = self->image_size;
      float x = (float) ((width - s) / 2);   /* whole pixels: crisp edges */
      if (self->image != NULL)
        {
          gtk_snapshot_save (snapshot);
          gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, 0));
          gdk_paintable_snapshot (self->image, GDK_SNAPSHOT (snapshot), s, s);
          gtk_snapshot_restore (snapshot);
        }
      GdkRGBA error;
      if (gtk_widget_has_css_class (widget, "wrong")
          && gtk_style_context_lookup_color (style, "error_color", &error))
        {
          error.alpha *= 0.7f;
          GskRoundedRect frame;
          gsk_rounded_rect_init_from_rect (&frame, &GRAPHENE_RECT_INIT (x, 0, s, s), 0);
          gtk_snapshot_append_border (snapshot, &frame, (float[4]) { 2, 2, 2, 2 },
                                      (GdkRGBA[4]) { error, error, error, error });
        }
      y = s + GAP;
    }
  if (self->caption != NULL && self->caption[0] != '\0')
    {
      PangoLayout *layout = gtk_widget_create_pango_layout (widget, self->caption);
      pango_layout_set_width (layout, width * PANGO_SCALE);
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
      pango_layout_set_single_paragraph_mode (layout, TRUE);
      pango_layout_set_alignment (layout, self->image_size > 0 ? PANGO_ALIGN_CENTER
                                                               : PANGO_ALIGN_LEFT);
      GdkRGBA color;
      gtk_style_context_get_color (style, &color);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (0, y));
      gtk_snapshot_append_layout (snapshot, layout, &color);
      gtk_snapshot_restore (snapshot);
      g_object_unref (layout);
    }
}

static void
pl_thumbnail_finalize (GObject *object)
{
  PlThumbnail *self = PL_THUMBNAIL (object);
  g_clear_object (&self->image);
  g_free (self->caption);
  G_OBJECT_CLASS (pl_thumbnail_parent_class)->finalize (object);
}

static void
pl_thumbnail_class_init (PlThumbnailClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pl_thumbnail_finalize;
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  widget_class->measure = pl_thumbnail_measure;
  widget_class->snapshot = pl_thumbnail_snapshot;
  gtk_widget_class_set_css_name (widget_class, "thumbnail");
}

static void
pl_thumbnail_init (PlThumbnail *self)
{
}

GtkWidget *
pl_thumbnail_new (int image_size, int max_chars)
{
  PlThumbnail *self = g_object_new (PL_TYPE_THUMBNAIL, "accessible-role",
                                    image_size > 0 ? GTK_ACCESSIBLE_ROLE_IMG
                                                   : GTK_ACCESSIBLE_ROLE_LABEL, NULL);
  self->image_size = MAX (image_size, 0);
  self->max_chars = MAX (max_chars, 1);
  return GTK_WIDGET (self);
}

void
pl_thumbnail_set (PlThumbnail *self, GdkPaintable *image, const char *caption)
{
  g_return_if_fail (PL_IS_THUMBNAIL (self));
  if (image != self->image)
    {
      g_clear_object (&self->image);
      self->image = image != NULL ? g_object_ref (image) : NULL;
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
  if (g_strcmp0 (caption, self->caption) != 0)
    {
      g_free (self->caption);
      self->caption = g_strdup (caption);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

void
pl_thumbnail_set_marks (PlThumbnail *self, gboolean wrong, gboolean changed)
{
  g_return_if_fail (PL_IS_THUMBNAIL (self));
  GtkWidget *widget = GTK_WIDGET (self);
  if (!wrong != !gtk_widget_has_css_class (widget, "wrong"))
    {
      if (wrong)
        gtk_widget_add_css_class (widget, "wrong");
      else
        gtk_widget_remove_css_class (widget, "wrong");
      gtk_widget_queue_draw (widget);   /* the frame is not a CSS property */
    }
  if (!changed != !gtk_widget_has_css_class (widget, "changed"))
    {
      if (changed)
        gtk_widget_add_css_class (widget, "changed");
      else
        gtk_widget_remove_css_class (widget, "changed");
      gtk_widget_queue_draw (widget);
    }
}

const char *
pl_thumbnail_get_caption (PlThumbnail *self)
{
  g_return_val_if_fail (PL_IS_THUMBNAIL (self), NULL);
  return self->caption;
}

GdkPaintable *
pl_thumbnail_get_image (PlThumbnail *self)
{
  g_return_val_if_fail (PL_IS_THUMBNAIL (self), NULL);
  return self->image;
}
