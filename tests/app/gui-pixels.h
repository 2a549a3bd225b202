/* gui-pixels.h — for the GUI tests: a widget's pixels as it is drawn on screen. */
#pragma once

#include <check.h>
#include <gtk/gtk.h>
#include "pl-canvas.h"

static inline gboolean
gui_pixels_wake (gpointer data)
{
  return G_SOURCE_CONTINUE;   /* wakes the blocking iterations below now and then */
}

/* Waits until no canvas is being drawn (figures are drawn in worker threads, pl-canvas.h),
 * renders widget as the window would and returns its pixels (premultiplied BGRA in memory,
 * i.e. 0xAARRGGBB per guint32; free with g_free), *width × *height. */
static inline guint32 *
gui_widget_pixels (GtkWidget *widget, int *width, int *height)
{
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  ck_assert_int_gt (w, 0);
  ck_assert_int_gt (h, 0);
  guint wake = g_timeout_add (50, gui_pixels_wake, NULL);
  gint64 drawn_by = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (pl_canvas_n_pending () > 0 && g_get_monotonic_time () < drawn_by)
    g_main_context_iteration (NULL, TRUE);
  ck_assert_uint_eq (pl_canvas_n_pending (), 0);
  GdkPaintable *paintable = gtk_widget_paintable_new (widget);
  GskRenderNode *node = NULL;
  /* The widget must have been drawn once since it changed: give the frame clock time. */
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (node == NULL && g_get_monotonic_time () < end)
    {
      GtkSnapshot *snapshot = gtk_snapshot_new ();
      gdk_paintable_snapshot (paintable, snapshot, w, h);
      node = gtk_snapshot_free_to_node (snapshot);
      if (node == NULL)
        g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (wake);
  ck_assert_ptr_nonnull (node);
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  GdkTexture *texture = gsk_renderer_render_texture (renderer, node,
                                                     &GRAPHENE_RECT_INIT (0, 0, w, h));
  *width = gdk_texture_get_width (texture);
  *height = gdk_texture_get_height (texture);
  guint32 *pixels = g_new (guint32, (gsize) *width * *height);
  gdk_texture_download (texture, (guchar *) pixels, (gsize) *width * 4);
  g_object_unref (texture);
  gsk_render_node_unref (node);
  g_object_unref (paintable);
  return pixels;
}

/* The number of distinct colours in rows y0 … y1 − 1 of pixels (width wide). */
static inline guint
gui_distinct_colours (const guint32 *pixels, int width, int y0, int y1)
{
  GHashTable *set = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (int y = y0; y < y1; y++)
    for (int x = 0; x < width; x++)
      g_hash_table_add (set, GUINT_TO_POINTER (pixels[(gsize) y * width + x]));
  guint n = g_hash_table_size (set);
  g_hash_table_unref (set);
  return n;
}
