/* PlCanvas (pl-canvas.h): drawn in a worker thread, shown as a texture; contents freed once. */
#include "config.h"
#include <adwaita.h>
#include <check.h>
#include "gui-pixels.h"

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

int
main (void)
{
  /* the renderer the workbench uses (pl-window.c); GL in software is not assumed */
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  adw_init ();
  Suite *s = suite_create ("canvas");
  TCase *tc = tcase_create ("main");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_canvas);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_set_fork_status (sr, CK_NOFORK);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
