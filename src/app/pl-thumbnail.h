/* pl-thumbnail.h — one sample in the sample grid, drawn as one widget
 *
 * A GtkGridView keeps about 250 items alive whatever is on screen. As a box holding a
 * GtkPicture and a GtkLabel, each item was four widgets to style, measure and lay out:
 * about 6 ms of every frame in which the grid was laid out again (a step applied, undone
 * or redone; `prunelens-cli bench frames`). A PlThumbnail is one widget of a fixed size
 * that draws its image and its caption itself.
 *
 * CSS: node "thumbnail"; the caption uses the widget's font and colour, so
 * `.sample-thumb.changed { color: …; font-weight: bold; }` applies to it. With the CSS
 * class "wrong", a 2 px frame in the theme's error_color (70 % opaque) is drawn inside
 * the image.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PL_TYPE_THUMBNAIL (pl_thumbnail_get_type ())
G_DECLARE_FINAL_TYPE (PlThumbnail, pl_thumbnail, PL, THUMBNAIL, GtkWidget)

/* @image_size: the image's side in logical pixels (0: no image, a one-line caption);
 * @max_chars: the caption's width in average characters (longer text is ellipsized). */
GtkWidget *pl_thumbnail_new (int image_size, int max_chars);

/* Shows @image (nullable; drawn at image_size × image_size) and @caption (nullable). */
void pl_thumbnail_set (PlThumbnail *self, GdkPaintable *image, const char *caption);
/* The marks: @wrong (the original network misclassifies it: CSS class "wrong", a frame)
 * and @changed (the pruned network predicts otherwise: CSS class "changed"). */
void pl_thumbnail_set_marks (PlThumbnail *self, gboolean wrong, gboolean changed);
const char *pl_thumbnail_get_caption (PlThumbnail *self);
GdkPaintable *pl_thumbnail_get_image (PlThumbnail *self);

G_END_DECLS
