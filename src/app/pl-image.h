/* pl-image.h — images on screen without GTK 4.8's per-frame pixel conversion
 *
 * GTK 4.8's cairo renderer (the one used without a GPU, and under Xvfb) draws a
 * texture node by converting the whole texture through floats on every frame,
 * whatever its format: gdk_memory_convert () has no same-format copy in 4.8.
 * Measured with `prunelens-cli bench frames`, that was about a third of the main
 * thread's time (the sample grid's thumbnails and every PlCanvas figure).
 *
 * A cairo node that paints a cairo image surface costs one pixman composite
 * instead. So an image the application shows is kept as a cairo ARGB32 surface and
 * appended as a cairo node under the cairo renderer, and as a texture (sharing the
 * same pixels) under the GL renderer, which uploads a texture once.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* TRUE when @widget's window is drawn by GskCairoRenderer.  The answer is
 * remembered for the process; @widget may be NULL (the remembered answer, or
 * FALSE if no widget was realized yet). */
gboolean pl_image_cairo_renderer (GtkWidget *widget);

/* A texture of the pixels of @image (a CAIRO_FORMAT_ARGB32 image surface), sharing
 * them: the texture holds a reference to @image, which must not change after. */
GdkTexture *pl_image_texture_new (cairo_surface_t *image);

/* Appends @image (ARGB32; any device scale) stretched to @bounds (in @snapshot's coordinates), as a
 * cairo node under the cairo renderer, else as @texture (which must show the same
 * pixels; made from @image if NULL).  @widget decides the renderer (may be NULL). */
void pl_image_snapshot (GtkSnapshot *snapshot, GtkWidget *widget, cairo_surface_t *image,
                        GdkTexture *texture, const graphene_rect_t *bounds);

/* A GdkPaintable showing one ARGB32 image (for GtkPicture): its intrinsic size is
 * the image's size in pixels. */
#define PL_TYPE_IMAGE_PAINTABLE (pl_image_paintable_get_type ())
G_DECLARE_FINAL_TYPE (PlImagePaintable, pl_image_paintable, PL, IMAGE_PAINTABLE, GObject)

/* Takes a reference to @image, which must not change after. */
GdkPaintable *pl_image_paintable_new (cairo_surface_t *image);
cairo_surface_t *pl_image_paintable_get_surface (PlImagePaintable *self);

G_END_DECLS
