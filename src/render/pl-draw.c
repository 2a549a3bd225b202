/* pl-draw.c — text, themes and axis ticks shared by the figures. */
#include "pl-render-private.h"

#include <math.h>
#include <string.h>

void
pl_theme_get (gboolean dark, PlTheme *theme)
{
  /* Light: matplotlib's defaults (black text, #333 ticks). Dark: libadwaita's dark
   * window (#242424) with light text. */
  static const PlTheme light = {
    .bg = { 1.0, 1.0, 1.0 },
    .fg = { 0.10, 0.10, 0.10 },
    .muted = { 0.35, 0.35, 0.35 },
    .grid = { 0.87, 0.87, 0.87 },
    .zero = { 0.20, 0.20, 0.20 },
  };
  static const PlTheme darkt = {
    .bg = { 0x24 / 255.0, 0x24 / 255.0, 0x24 / 255.0 },
    .fg = { 0.93, 0.93, 0.93 },
    .muted = { 0.70, 0.70, 0.70 },
    .grid = { 0.30, 0.30, 0.30 },
    .zero = { 0.85, 0.85, 0.85 },
  };
  *theme = dark ? darkt : light;
}

void
pl_set_rgb (cairo_t *cr, const double rgb[3])
{
  cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
}

/* ---- recording the text drawn (tests) --------------------------------------------- */

static _Thread_local GArray *recording;

void
pl_text_record_begin (void)
{
  g_clear_pointer (&recording, g_array_unref);
  recording = g_array_new (FALSE, FALSE, sizeof (PlTextBox));
}

GArray *
pl_text_record_end (void)
{
  return g_steal_pointer (&recording);
}

void
pl_show_layout (cairo_t *cr, PangoLayout *layout)
{
  if (recording != NULL && cairo_has_current_point (cr)) {
    PangoRectangle ink;
    pango_layout_get_extents (layout, &ink, NULL);
    if (ink.width > 0 && ink.height > 0) {
      double cx, cy;
      cairo_get_current_point (cr, &cx, &cy);
      double x0 = cx + (double) ink.x / PANGO_SCALE, y0 = cy + (double) ink.y / PANGO_SCALE;
      double x1 = x0 + (double) ink.width / PANGO_SCALE;
      double y1 = y0 + (double) ink.height / PANGO_SCALE;
      double px[4] = { x0, x1, x0, x1 }, py[4] = { y0, y0, y1, y1 };
      PlTextBox box = { INFINITY, INFINITY, -INFINITY, -INFINITY, { 0 }, { 0 }, "" };
      const int order[4] = { 0, 1, 3, 2 };
      for (int k = 0; k < 4; k++) {
        cairo_user_to_device (cr, &px[k], &py[k]);
        box.x0 = MIN (box.x0, px[k]);
        box.y0 = MIN (box.y0, py[k]);
        box.x1 = MAX (box.x1, px[k]);
        box.y1 = MAX (box.y1, py[k]);
      }
      for (int k = 0; k < 4; k++) {
        box.qx[k] = px[order[k]];
        box.qy[k] = py[order[k]];
      }
      g_utf8_strncpy (box.text, pango_layout_get_text (layout), 20);
      g_array_append_val (recording, box);
    }
  }
  pango_cairo_show_layout (cr, layout);
}

PangoLayout *
pl_text_layout (cairo_t *cr, const char *text, double size, gboolean bold, double wrap_width,
                double halign)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoContext *ctx = pango_layout_get_context (layout);
  cairo_font_options_t *opts = cairo_font_options_create ();
  cairo_font_options_set_hint_metrics (opts, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style (opts, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options (ctx, opts);
  cairo_font_options_destroy (opts);
  pango_layout_context_changed (layout);

  PangoFontDescription *desc = pango_font_description_from_string ("Sans");
  pango_font_description_set_absolute_size (desc, MAX (size, 0.5) * PANGO_SCALE);
  if (bold)
    pango_font_description_set_weight (desc, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (layout, desc);
  pango_font_description_free (desc);

  if (wrap_width > 0) {
    pango_layout_set_width (layout, (int) (wrap_width * PANGO_SCALE));
    pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  }
  pango_layout_set_alignment (layout, halign < 0.25 ? PANGO_ALIGN_LEFT
                                      : halign > 0.75 ? PANGO_ALIGN_RIGHT
                                                      : PANGO_ALIGN_CENTER);
  pango_layout_set_text (layout, text != NULL ? text : "", -1);
  return layout;
}

void
pl_text_extents (cairo_t *cr, const char *text, double size, gboolean bold, double wrap_width,
                 double *width, double *height)
{
  if (text == NULL || *text == '\0') {
    *width = *height = 0.0;
    return;
  }
  PangoLayout *layout = pl_text_layout (cr, text, size, bold, wrap_width, 0.0);
  PangoRectangle logical;
  pango_layout_get_extents (layout, NULL, &logical);
  *width = (double) logical.width / PANGO_SCALE;
  *height = (double) logical.height / PANGO_SCALE;
  g_object_unref (layout);
}

double
pl_draw_text_full (cairo_t *cr, double x, double y, const char *text, double size,
                   gboolean bold, double wrap_width, double halign, double valign)
{
  if (text == NULL || *text == '\0')
    return 0.0;
  PangoLayout *layout = pl_text_layout (cr, text, size, bold, wrap_width, halign);
  PangoRectangle logical;
  pango_layout_get_extents (layout, NULL, &logical);
  double w = (double) logical.width / PANGO_SCALE;
  double h = (double) logical.height / PANGO_SCALE;
  double lx = (double) logical.x / PANGO_SCALE;
  double ly = (double) logical.y / PANGO_SCALE;
  /* With a wrap width the layout box is wrap_width wide; align that box. */
  double box_w = wrap_width > 0 ? wrap_width : w;
  double box_x = wrap_width > 0 ? 0.0 : lx;
  cairo_save (cr);
  cairo_move_to (cr, x - halign * box_w - box_x, y - valign * h - ly);
  pl_show_layout (cr, layout);
  cairo_restore (cr);
  g_object_unref (layout);
  return h;
}

double
pl_draw_text_ellipsized (cairo_t *cr, double x, double y, const char *text, double size,
                         double max_width, double halign, double valign)
{
  if (text == NULL || *text == '\0')
    return 0.0;
  PangoLayout *layout = pl_text_layout (cr, text, size, FALSE, 0, halign);
  PangoRectangle logical;
  pango_layout_get_extents (layout, NULL, &logical);
  if (max_width > 0 && (double) logical.width / PANGO_SCALE > max_width) {
    pango_layout_set_width (layout, (int) (max_width * PANGO_SCALE));
    pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
    pango_layout_set_alignment (layout, PANGO_ALIGN_LEFT);
    pango_layout_get_extents (layout, NULL, &logical);
  }
  double w = (double) logical.width / PANGO_SCALE, h = (double) logical.height / PANGO_SCALE;
  cairo_save (cr);
  cairo_move_to (cr, x - halign * w - (double) logical.x / PANGO_SCALE,
                 y - valign * h - (double) logical.y / PANGO_SCALE);
  pl_show_layout (cr, layout);
  cairo_restore (cr);
  g_object_unref (layout);
  return w;
}

void
pl_draw_text (cairo_t *cr, double x, double y, const char *text, double size, double halign,
              double valign)
{
  g_return_if_fail (cr != NULL);
  pl_draw_text_full (cr, x, y, text, size, FALSE, 0.0, halign, valign);
}

void
pl_draw_text_vertical (cairo_t *cr, double x, double y, const char *text, double size)
{
  if (text == NULL || *text == '\0')
    return;
  cairo_save (cr);
  cairo_translate (cr, x, y);
  cairo_rotate (cr, -G_PI / 2.0);
  pl_draw_text_full (cr, 0.0, 0.0, text, size, FALSE, 0.0, 0.5, 0.5);
  cairo_restore (cr);
}

static double
nice_step (double range, gint target)
{
  double raw = range / MAX (target, 1);
  double mag = pow (10.0, floor (log10 (raw)));
  double f = raw / mag;
  double nice = f < 1.5 ? 1.0 : f < 2.25 ? 2.0 : f < 3.5 ? 2.5 : f < 7.5 ? 5.0 : 10.0;
  return nice * mag;
}

gint
pl_nice_ticks (double lo, double hi, gint target, double *ticks, gint max_ticks, double *step)
{
  if (!isfinite (lo) || !isfinite (hi) || hi <= lo || max_ticks <= 0) {
    if (step)
      *step = 1.0;
    return 0;
  }
  double s = nice_step (hi - lo, target);
  double first = ceil (lo / s - 1e-9) * s;
  gint n = 0;
  for (double v = first; v <= hi + s * 1e-9 && n < max_ticks; v = first + n * s) {
    ticks[n++] = fabs (v) < s * 1e-9 ? 0.0 : v;
  }
  if (step)
    *step = s;
  return n;
}

static char *
replace_minus (char *s)
{
  if (s[0] != '-')
    return s;
  char *r = g_strconcat ("\xe2\x88\x92", s + 1, NULL);
  g_free (s);
  return r;
}

char *
pl_format_tick (double value, double step)
{
  int decimals = 0;
  if (step > 0 && isfinite (step)) {
    /* enough decimals to tell steps apart, e.g. 0.25 -> 2, 0.5 -> 1, 20 -> 0 */
    for (decimals = 0; decimals < 10; decimals++) {
      double scaled = step * pow (10.0, decimals);
      if (fabs (scaled - round (scaled)) < 1e-6 * MAX (1.0, scaled))
        break;
    }
  }
  double av = fabs (value);
  if (av != 0.0 && (av >= 1e5 || (step > 0 && step < 1e-4)))
    return replace_minus (g_strdup_printf ("%.2g", value));
  return replace_minus (g_strdup_printf ("%.*f", decimals, value == 0.0 ? 0.0 : value));
}

char *
pl_format_value (double value)
{
  double av = fabs (value);
  if (av != 0.0 && (av >= 1e5 || av < 1e-3))
    return replace_minus (g_strdup_printf ("%.2e", value));
  return replace_minus (g_strdup_printf ("%.3g", value == 0.0 ? 0.0 : value));
}
