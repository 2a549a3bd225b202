/* pl-image.c — images on screen without GTK 4.8's per-frame pixel conversion */
#include "config.h"
#include "pl-image.h"

static int cairo_renderer = -1;   /* -1: not known yet */

gboolean
pl_image_cairo_renderer (GtkWidget *widget)
{
  if (cairo_renderer < 0 && widget != NULL)
    {
      GtkNative *native = gtk_widget_get_native (widget);
      GskRenderer *renderer = native != NULL ? gtk_native_get_renderer (native) : NULL;
      if (renderer != NULL)
        cairo_renderer = GSK_IS_CAIRO_RENDERER (renderer) ? 1 : 0;
    }
  return cairo_renderer == 1;
}

GdkTexture *
pl_image_texture_new (cairo_surface_t *image)
{
  g_return_val_if_fail (cairo_image_surface_get_format (image) == CAIRO_FORMAT_ARGB32, NULL);
  cairo_surface_flush (image);
  int h = cairo_image_surface_get_height (image);
  int stride = cairo_image_surface_get_stride (image);
  g_autoptr (GBytes) bytes = g_bytes_new_with_free_func (
      cairo_image_surface_get_data (image), (gsize) stride * h,
      (GDestroyNotify) cairo_surface_destroy, cairo_surface_reference (image));
  /* cairo's ARGB32 (premultiplied, native-endian 32-bit pixels) is GDK_MEMORY_DEFAULT */
  return gdk_memory_texture_new (cairo_image_surface_get_width (image), h,
                                 GDK_MEMORY_DEFAULT, bytes, stride);
}

void
pl_image_snapshot (GtkSnapshot *snapshot, GtkWidget *widget, cairo_surface_t *image,
                   GdkTexture *texture, const graphene_rect_t *bounds)
{
  int w = cairo_image_surface_get_width (image), h = cairo_image_surface_get_height (image);
  if (w <= 0 || h <= 0 || bounds->size.width <= 0 || bounds->size.height <= 0)
    return;
  if (!pl_image_cairo_renderer (widget))
    {
      g_autoptr (GdkTexture) made = texture == NULL ? pl_image_texture_new (image) : NULL;
      gtk_snapshot_append_texture (snapshot, texture != NULL ? texture : made, bounds);
      return;
    }
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, bounds);
  cairo_translate (cr, bounds->origin.x, bounds->origin.y);
  /* cairo sizes a surface with a device scale (PlCanvas's HiDPI drawings) in its own units:
   * pixels / scale */
  double dx = 1, dy = 1;
  cairo_surface_get_device_scale (image, &dx, &dy);
  cairo_scale (cr, bounds->size.width * dx / w, bounds->size.height * dy / h);
  cairo_set_source_surface (cr, image, 0, 0);
  /* as GTK draws a texture node: filtered, edges padded (not faded into transparency) */
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_GOOD);
  cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_PAD);
  cairo_paint (cr);
  cairo_destroy (cr);
}

/* ---- PlImagePaintable ---- */

struct _PlImagePaintable {
  GObject parent_instance;
  cairo_surface_t *image;
  GdkTexture *texture;   /* made when first needed (GL renderer) */
};

static void
paintable_snapshot (GdkPaintable *paintable, GdkSnapshot *snapshot, double width, double height)
{
  PlImagePaintable *self = PL_IMAGE_PAINTABLE (paintable);
  if (!pl_image_cairo_renderer (NULL) && self->texture == NULL)
    self->texture = pl_image_texture_new (self->image);
  pl_image_snapshot (GTK_SNAPSHOT (snapshot), NULL, self->image, self->texture,
                     &GRAPHENE_RECT_INIT (0, 0, width, height));
}

static int
paintable_width (GdkPaintable *paintable)
{
  return cairo_image_surface_get_width (PL_IMAGE_PAINTABLE (paintable)->image);
}

static int
paintable_height (GdkPaintable *paintable)
{
  return cairo_image_surface_get_height (PL_IMAGE_PAINTABLE (paintable)->image);
}

static GdkPaintableFlags
paintable_flags (GdkPaintable *paintable)
{
  return GDK_PAINTABLE_STATIC_SIZE | GDK_PAINTABLE_STATIC_CONTENTS;
}

static void
pl_image_paintable_iface_init (GdkPaintableInterface *iface)
{
  iface->snapshot = paintable_snapshot;
  iface->get_intrinsic_width = paintable_width;
  iface->get_intrinsic_height = paintable_height;
  iface->get_flags = paintable_flags;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (PlImagePaintable, pl_image_paintable, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GDK_TYPE_PAINTABLE,
                                                      pl_image_paintable_iface_init))

static void
pl_image_paintable_finalize (GObject *object)
{
  PlImagePaintable *self = PL_IMAGE_PAINTABLE (object);
  g_clear_object (&self->texture);
  g_clear_pointer (&self->image, cairo_surface_destroy);
  G_OBJECT_CLASS (pl_image_paintable_parent_class)->finalize (object);
}

static void
pl_image_paintable_class_init (PlImagePaintableClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pl_image_paintable_finalize;
}

static void
pl_image_paintable_init (PlImagePaintable *self)
{
}

GdkPaintable *
pl_image_paintable_new (cairo_surface_t *image)
{
  g_return_val_if_fail (cairo_image_surface_get_format (image) == CAIRO_FORMAT_ARGB32, NULL);
  PlImagePaintable *self = g_object_new (PL_TYPE_IMAGE_PAINTABLE, NULL);
  cairo_surface_flush (image);
  self->image = cairo_surface_reference (image);
  return GDK_PAINTABLE (self);
}

cairo_surface_t *
pl_image_paintable_get_surface (PlImagePaintable *self)
{
  g_return_val_if_fail (PL_IS_IMAGE_PAINTABLE (self), NULL);
  return self->image;
}
