/* pl-canvas.h — a widget that draws a figure with cairo in a worker thread.
 *
 * GtkDrawingArea draws in the frame's paint phase on the main thread, and with GTK's cairo
 * renderer (software, as under Xvfb or without a GPU) its recording is replayed again at
 * every repaint of its region. A figure that takes 5–10 ms to draw then makes a frame miss
 * its 16.7 ms. PlCanvas draws instead into an image in a worker thread (GTask) and shows it
 * with pl_image_snapshot (), as a cairo node or a texture (see pl-image.h): the main thread
 * only blits. While a new image is drawn (new content, a new
 * size, a change between light and dark style) the previous one stays on screen, scaled.
 *
 * The content is immutable and owned by the canvas once set: the draw function may run in
 * a worker thread at any time until the content is replaced and the last draw of it ended,
 * so it must touch no GTK object and nothing the main thread changes. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PL_TYPE_CANVAS (pl_canvas_get_type ())
G_DECLARE_DERIVABLE_TYPE (PlCanvas, pl_canvas, PL, CANVAS, GtkWidget)

struct _PlCanvasClass {
  GtkWidgetClass parent_class;
};

/* Draws content into cr, width × height logical pixels (the surface has the widget's scale
 * factor); dark: the window has the dark style. Runs in a worker thread. */
typedef void (*PlCanvasDrawFunc) (cairo_t *cr, int width, int height, gboolean dark,
                                  gconstpointer content);

GtkWidget *pl_canvas_new (void);

/* Replaces what the canvas shows: draw (content) from now on. Takes ownership of content;
 * free_content (may be NULL) is called, possibly in a worker thread, once no draw uses it.
 * draw NULL: the canvas shows nothing. */
void pl_canvas_set_content (PlCanvas *self, PlCanvasDrawFunc draw, gpointer content,
                            GDestroyNotify free_content);
/* The content last set (borrowed; valid until the next pl_canvas_set_content). */
gconstpointer pl_canvas_get_content (PlCanvas *self);

/* Whether the canvas shows a drawing of its current content at its current size (FALSE
 * while a worker draws it). */
gboolean pl_canvas_is_ready (PlCanvas *self);
/* The number of mapped canvases in the process that are not ready (main thread only):
 * tests wait for 0 before they look at pixels. */
guint pl_canvas_n_pending (void);

G_END_DECLS
