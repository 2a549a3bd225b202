/* PlCanvas (pl-canvas.h): drawn in a worker thread, shown as an image; contents freed once.
 * pl-image.h: images shown as cairo nodes under the cairo renderer. */
#include "config.h"
#include <adwaita.h>
#include <check.h>
#include "gui-pixels.h"
#include "pl-image.h"
#include "pl-thumbnail.h"
#include "pl-label.h"

static GThread *main_thread;
static gint draws_on_main, draws, frees, last_width;

typedef struct {
  double r, g, b;
  gulong sleep_us;
} Fill;

static void
draw_fill (cairo_t *cr, int width, int height, gboolean dark, gconstpointer content)
{
  const Fill *f = content;
  if (g_thread_self () == main_thread)
    g_atomic_int_inc (&draws_on_main);
  g_atomic_int_inc (&draws);
  g_atomic_int_set (&last_width, width);
  if (f->sleep_us > 0)
    g_usleep (f->sleep_us);
  cairo_set_source_rgb (cr, f->r, f->g, f->b);
  cairo_paint (cr);
}

static void
fill_free (Fill *f)
{
  g_atomic_int_inc (&frees);
  g_free (f);
}

static Fill *
fill_new (double r, double g, double b)
{
  Fill *f = g_new0 (Fill, 1);
  f->r = r;
  f->g = g;
  f->b = b;
  return f;
}

static void
wait_drawn (void)
{
  gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (pl_canvas_n_pending () > 0 && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  ck_assert_uint_eq (pl_canvas_n_pending (), 0);
}

static void
spin (double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

/* The colour at the centre of the widget as it is drawn on screen (0xRRGGBB). */
static guint32
centre_pixel (GtkWidget *widget)
{
  int tw, th;
  guint32 *pixels = gui_widget_pixels (widget, &tw, &th);
  guint32 c = pixels[(gsize) (th / 2) * tw + tw / 2] & 0xffffff;
  g_free (pixels);
  return c;
}

START_TEST (test_canvas)
{
  main_thread = g_thread_self ();
  GtkWidget *window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 300, 200);
  GtkWidget *canvas = pl_canvas_new ();
  gtk_window_set_child (GTK_WINDOW (window), canvas);
  ck_assert (pl_canvas_is_ready (PL_CANVAS (canvas)));   /* nothing to draw */
  Fill *red = fill_new (1, 0, 0);
  pl_canvas_set_content (PL_CANVAS (canvas), draw_fill, red, (GDestroyNotify) fill_free);
  ck_assert_ptr_eq (pl_canvas_get_content (PL_CANVAS (canvas)), red);
  gtk_window_present (GTK_WINDOW (window));
  spin (0.2);
  wait_drawn ();
  ck_assert (pl_canvas_is_ready (PL_CANVAS (canvas)));
  ck_assert_int_ge (g_atomic_int_get (&draws), 1);
  ck_assert_int_eq (g_atomic_int_get (&draws_on_main), 0);
  ck_assert_int_eq (g_atomic_int_get (&last_width), gtk_widget_get_width (canvas));
  ck_assert_uint_eq (centre_pixel (canvas), 0xff0000);

  /* New content: drawn again, the old one freed once no draw uses it. */
  pl_canvas_set_content (PL_CANVAS (canvas), draw_fill, fill_new (0, 0, 1),
                         (GDestroyNotify) fill_free);
  ck_assert (!pl_canvas_is_ready (PL_CANVAS (canvas)));
  ck_assert_uint_eq (pl_canvas_n_pending (), 1);
  wait_drawn ();
  ck_assert_int_eq (g_atomic_int_get (&frees), 1);
  ck_assert_uint_eq (centre_pixel (canvas), 0x0000ff);

  /* A new size is drawn at that size. */
  gint before = g_atomic_int_get (&draws);
  gtk_window_set_default_size (GTK_WINDOW (window), 420, 260);
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (gtk_widget_get_width (canvas) != 420 && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  ck_assert_int_eq (gtk_widget_get_width (canvas), 420);
  spin (0.1);
  wait_drawn ();
  ck_assert_int_gt (g_atomic_int_get (&draws), before);
  ck_assert_int_eq (g_atomic_int_get (&last_width), 420);

  /* Nothing to show: the content is freed at once. */
  pl_canvas_set_content (PL_CANVAS (canvas), NULL, NULL, NULL);
  ck_assert_int_eq (g_atomic_int_get (&frees), 2);
  ck_assert (pl_canvas_is_ready (PL_CANVAS (canvas)));

  /* Cleared while a slow draw runs: that drawing is never shown. */
  Fill *slow_red = fill_new (1, 0, 0);
  slow_red->sleep_us = 300000;
  pl_canvas_set_content (PL_CANVAS (canvas), draw_fill, slow_red, (GDestroyNotify) fill_free);
  before = g_atomic_int_get (&draws);
  end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_atomic_int_get (&draws) == before && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  pl_canvas_set_content (PL_CANVAS (canvas), NULL, NULL, NULL);
  end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_atomic_int_get (&frees) < 3 && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  ck_assert_int_eq (g_atomic_int_get (&frees), 3);   /* the draw ended */
  spin (0.2);
  ck_assert_uint_ne (centre_pixel (window), 0xff0000);   /* the window's background */

  /* Larger than cairo's 32767-pixel surfaces: drawn (at a lower resolution), not stuck. */
  GtkWidget *scroll = gtk_scrolled_window_new ();
  GtkWidget *wide = pl_canvas_new ();
  gtk_widget_set_size_request (wide, 40000, 50);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), wide);
  gtk_window_set_child (GTK_WINDOW (window), scroll);
  canvas = wide;
  pl_canvas_set_content (PL_CANVAS (wide), draw_fill, fill_new (0, 1, 0), (GDestroyNotify) fill_free);
  spin (0.3);
  wait_drawn ();
  ck_assert_int_eq (g_atomic_int_get (&last_width), 40000);
  ck_assert (pl_canvas_is_ready (PL_CANVAS (wide)));

  /* Closed while a slow draw is running: no crash, the content freed when it ends. */
  Fill *slow = fill_new (0, 1, 0);
  slow->sleep_us = 300000;
  pl_canvas_set_content (PL_CANVAS (canvas), draw_fill, slow, (GDestroyNotify) fill_free);
  before = g_atomic_int_get (&draws);
  end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_atomic_int_get (&draws) == before && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  ck_assert_int_gt (g_atomic_int_get (&draws), before);   /* in flight now */
  gtk_window_destroy (GTK_WINDOW (window));
  ck_assert_uint_eq (pl_canvas_n_pending (), 0);
  end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_atomic_int_get (&frees) < 5 && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  ck_assert_int_eq (g_atomic_int_get (&frees), 5);
  ck_assert_int_eq (g_atomic_int_get (&draws_on_main), 0);
}
END_TEST

/* Renders node with a cairo renderer; returns its pixels (0xAARRGGBB), w × h. */
static guint32 *
render_pixels (GskRenderNode *node, int w, int h)
{
  GskRenderer *renderer = gsk_cairo_renderer_new ();
  GError *error = NULL;
  ck_assert_msg (gsk_renderer_realize (renderer, NULL, &error), "%s",
                 error != NULL ? error->message : "?");
  GdkTexture *texture = gsk_renderer_render_texture (renderer, node,
                                                     &GRAPHENE_RECT_INIT (0, 0, w, h));
  ck_assert_int_eq (gdk_texture_get_width (texture), w);
  guint32 *pixels = g_new (guint32, (gsize) w * h);
  gdk_texture_download (texture, (guchar *) pixels, (gsize) w * 4);
  g_object_unref (texture);
  gsk_renderer_unrealize (renderer);
  g_object_unref (renderer);
  return pixels;
}

/* pl-image.h: the same pixels as a texture node (renderer not known yet, or GL) and as a
 * cairo node (cairo renderer), stretched to the bounds; the paintable's size. */
START_TEST (test_image)
{
  cairo_surface_t *image = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 2, 1);
  guint32 *px = (guint32 *) (gpointer) cairo_image_surface_get_data (image);
  px[0] = 0xffff0000u;   /* red */
  px[1] = 0xff0000ffu;   /* blue */
  cairo_surface_mark_dirty (image);
  GdkPaintable *paintable = pl_image_paintable_new (image);
  ck_assert_int_eq (gdk_paintable_get_intrinsic_width (paintable), 2);
  ck_assert_int_eq (gdk_paintable_get_intrinsic_height (paintable), 1);
  ck_assert_ptr_eq (pl_image_paintable_get_surface (PL_IMAGE_PAINTABLE (paintable)), image);

  for (int pass = 0; pass < 2; pass++)
    {
      if (pass == 1)
        {
          /* a realized window tells which renderer draws it */
          GtkWidget *window = gtk_window_new ();
          gtk_window_present (GTK_WINDOW (window));
          while (!gtk_widget_get_mapped (window))
            g_main_context_iteration (NULL, TRUE);
          GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (window));
          ck_assert (GSK_IS_CAIRO_RENDERER (renderer));
          ck_assert (pl_image_cairo_renderer (window));
          gtk_window_destroy (GTK_WINDOW (window));
        }
      else
        ck_assert (!pl_image_cairo_renderer (NULL));
      GtkSnapshot *snapshot = gtk_snapshot_new ();
      gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), 8, 2);
      GskRenderNode *node = gtk_snapshot_free_to_node (snapshot);
      ck_assert_ptr_nonnull (node);
      ck_assert_int_eq (gsk_render_node_get_node_type (node),
                        pass == 0 ? GSK_TEXTURE_NODE : GSK_CAIRO_NODE);
      guint32 *out = render_pixels (node, 8, 2);
      /* stretched 4×: the left quarter red, the right quarter blue, both rows */
      for (int y = 0; y < 2; y++)
        {
          ck_assert_uint_eq (out[y * 8 + 0], 0xffff0000u);
          ck_assert_uint_eq (out[y * 8 + 7], 0xff0000ffu);
        }
      g_free (out);
      gsk_render_node_unref (node);
    }
  /* A HiDPI drawing (device scale 2, as PlCanvas makes at scale 2): 4 × 2 pixels are 2 × 1
   * units to cairo, and still fill the bounds (they filled a quarter: breaker, session 6). */
  {
    cairo_surface_t *hidpi = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 4, 2);
    guint32 *hp = (guint32 *) (gpointer) cairo_image_surface_get_data (hidpi);
    for (int y = 0; y < 2; y++)
      for (int x = 0; x < 4; x++)
        hp[y * (cairo_image_surface_get_stride (hidpi) / 4) + x] = x < 2 ? 0xffff0000u : 0xff0000ffu;
    cairo_surface_mark_dirty (hidpi);
    cairo_surface_set_device_scale (hidpi, 2, 2);
    ck_assert (pl_image_cairo_renderer (NULL));
    GtkSnapshot *snapshot = gtk_snapshot_new ();
    pl_image_snapshot (snapshot, NULL, hidpi, NULL, &GRAPHENE_RECT_INIT (0, 0, 8, 2));
    GskRenderNode *node = gtk_snapshot_free_to_node (snapshot);
    guint32 *out = render_pixels (node, 8, 2);
    for (int y = 0; y < 2; y++)
      {
        /* half red, half blue across the 8 pixels (drawn at half size, pixel 2 was blue:
         * the right edge is no test, the padding is blue either way) */
        ck_assert_uint_eq (out[y * 8 + 0], 0xffff0000u);
        ck_assert_uint_eq (out[y * 8 + 2], 0xffff0000u);
        ck_assert_uint_eq (out[y * 8 + 5], 0xff0000ffu);
        ck_assert_uint_eq (out[y * 8 + 7], 0xff0000ffu);
      }
    g_free (out);
    gsk_render_node_unref (node);
    cairo_surface_destroy (hidpi);
  }
  /* the texture shares the image's pixels and keeps it alive */
  GdkTexture *texture = pl_image_texture_new (image);
  cairo_surface_destroy (image);
  g_object_unref (paintable);
  guint32 back[2];
  gdk_texture_download (texture, (guchar *) back, sizeof back);
  ck_assert_uint_eq (back[0], 0xffff0000u);
  ck_assert_uint_eq (back[1], 0xff0000ffu);
  g_object_unref (texture);
}
END_TEST

/* pl-thumbnail.h: a fixed size from the font; the image and the caption drawn; the
 * "wrong" frame in the theme's error colour; marks as CSS classes; the accessible role. */
START_TEST (test_thumbnail)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget *thumb = pl_thumbnail_new (40, 9);
  gtk_widget_set_halign (thumb, GTK_ALIGN_START);
  gtk_widget_set_valign (thumb, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (box), thumb);
  gtk_window_set_child (GTK_WINDOW (window), box);
  ck_assert_int_eq (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (thumb)),
                    GTK_ACCESSIBLE_ROLE_IMG);
  cairo_surface_t *image = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 4, 4);
  cairo_t *cr = cairo_create (image);
  cairo_set_source_rgb (cr, 0, 1, 0);   /* green */
  cairo_paint (cr);
  cairo_destroy (cr);
  GdkPaintable *paintable = pl_image_paintable_new (image);
  cairo_surface_destroy (image);
  pl_thumbnail_set (PL_THUMBNAIL (thumb), paintable, "Ankle boot and more");
  ck_assert_str_eq (pl_thumbnail_get_caption (PL_THUMBNAIL (thumb)), "Ankle boot and more");
  ck_assert_ptr_eq (pl_thumbnail_get_image (PL_THUMBNAIL (thumb)), paintable);
  g_object_unref (paintable);
  gtk_window_present (GTK_WINDOW (window));
  while (!gtk_widget_get_mapped (thumb))
    g_main_context_iteration (NULL, TRUE);
  spin (0.2);
  int min_w, nat_w, min_h, nat_h;
  gtk_widget_measure (thumb, GTK_ORIENTATION_HORIZONTAL, -1, &min_w, &nat_w, NULL, NULL);
  gtk_widget_measure (thumb, GTK_ORIENTATION_VERTICAL, -1, &min_h, &nat_h, NULL, NULL);
  ck_assert_int_eq (min_w, 40);
  ck_assert_int_ge (nat_w, 40);
  ck_assert_int_lt (nat_w, 200);   /* 9 characters, not the whole caption */
  ck_assert_int_eq (min_h, nat_h);
  ck_assert_int_gt (nat_h, 40 + 5);   /* the image and a line of text */
  ck_assert_int_lt (nat_h, 40 + 60);

  int w, h;
  guint32 *px = gui_widget_pixels (thumb, &w, &h);
  int x0 = (w - 40) / 2;
  ck_assert_uint_eq (px[20 * w + x0 + 20] & 0xffffff, 0x00ff00);   /* the image's middle */
  ck_assert_uint_eq (px[0 * w + x0 + 0] & 0xffffff, 0x00ff00);     /* its corner: no frame */
  /* the caption: some dark (text) pixels below the image */
  int dark = 0;
  for (int y = 42; y < h; y++)
    for (int x = 0; x < w; x++)
      if ((px[y * w + x] >> 24) > 0x80 && (px[y * w + x] & 0xff) < 0x80)
        dark++;
  ck_assert_int_gt (dark, 10);
  g_free (px);

  pl_thumbnail_set_marks (PL_THUMBNAIL (thumb), TRUE, FALSE);
  ck_assert (gtk_widget_has_css_class (thumb, "wrong"));
  ck_assert (!gtk_widget_has_css_class (thumb, "changed"));
  spin (0.2);
  px = gui_widget_pixels (thumb, &w, &h);
  guint32 corner = px[0 * w + x0 + 0], middle = px[20 * w + x0 + 20];
  ck_assert_uint_eq (middle & 0xffffff, 0x00ff00);
  /* the frame: reddish, no longer the image's green */
  ck_assert_uint_gt ((corner >> 16) & 0xff, (corner >> 8) & 0xff);
  g_free (px);
  pl_thumbnail_set_marks (PL_THUMBNAIL (thumb), FALSE, TRUE);
  ck_assert (!gtk_widget_has_css_class (thumb, "wrong"));
  ck_assert (gtk_widget_has_css_class (thumb, "changed"));
  gtk_window_destroy (GTK_WINDOW (window));
}
END_TEST

/* pl-label.h: the whole text as a tooltip only while the label is ellipsized. */
START_TEST (test_label_tooltip)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *label = gtk_label_new ("a rather long text that cannot fit in sixty pixels");
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 6);   /* natural: 6 characters */
  gtk_widget_set_halign (label, GTK_ALIGN_START);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_box_append (GTK_BOX (box), label);
  gtk_window_set_child (GTK_WINDOW (window), box);
  pl_label_tooltip_when_ellipsized (GTK_LABEL (label));
  pl_label_tooltip_when_ellipsized (GTK_LABEL (label));   /* once is enough */
  ck_assert (gtk_widget_get_has_tooltip (label));
  gtk_window_present (GTK_WINDOW (window));
  while (!gtk_widget_get_mapped (label))
    g_main_context_iteration (NULL, TRUE);
  spin (0.2);
  GtkTooltip *tooltip = g_object_new (GTK_TYPE_TOOLTIP, NULL);
  gboolean shown = FALSE;
  g_signal_emit_by_name (label, "query-tooltip", 5, 5, FALSE, tooltip, &shown);
  ck_assert (shown);   /* ellipsized to 6 characters */
  gtk_label_set_label (GTK_LABEL (label), "ok");
  spin (0.2);
  shown = TRUE;
  g_signal_emit_by_name (label, "query-tooltip", 5, 5, FALSE, tooltip, &shown);
  ck_assert (!shown);  /* fits: no tooltip */
  g_object_unref (tooltip);
  gtk_window_destroy (GTK_WINDOW (window));
}
END_TEST

int
main (void)
{
  /* the renderer the workbench uses (pl-window.c); GL in software is not assumed */
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  adw_init ();
  Suite *s = suite_create ("canvas");
  TCase *tc = tcase_create ("main");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_image);   /* first: before any window tells the renderer */
  tcase_add_test (tc, test_canvas);
  tcase_add_test (tc, test_thumbnail);
  tcase_add_test (tc, test_label_tooltip);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_set_fork_status (sr, CK_NOFORK);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
