/* pl-figure-util.c — frame, palette, colorbar and map painting of the report figures. */
#include "pl-figure-util.h"

#include <math.h>

static const double okabe_ito[8][3] = {
  { 0x00 / 255.0, 0x72 / 255.0, 0xb2 / 255.0 },  /* blue */
  { 0xd5 / 255.0, 0x5e / 255.0, 0x00 / 255.0 },  /* vermillion */
  { 0x00 / 255.0, 0x9e / 255.0, 0x73 / 255.0 },  /* bluish green */
  { 0xcc / 255.0, 0x79 / 255.0, 0xa7 / 255.0 },  /* reddish purple */
  { 0xe6 / 255.0, 0x9f / 255.0, 0x00 / 255.0 },  /* orange */
  { 0x56 / 255.0, 0xb4 / 255.0, 0xe9 / 255.0 },  /* sky blue */
  { 0xf0 / 255.0, 0xe4 / 255.0, 0x42 / 255.0 },  /* yellow */
  { 0x00 / 255.0, 0x00 / 255.0, 0x00 / 255.0 },  /* black */
};

void
pl_palette_color (gint index, gboolean dark, double rgb[3])
{
  gint i = ((index % 8) + 8) % 8;
  for (int k = 0; k < 3; k++)
    rgb[k] = okabe_ito[i][k];
  if (dark) {
    if (i == 0) {          /* blue reads badly on #242424: sky blue */
      rgb[0] = 0x56 / 255.0;
      rgb[1] = 0xb4 / 255.0;
      rgb[2] = 0xe9 / 255.0;
    } else if (i == 5) {   /* and sky blue becomes the plain blue lightened */
      rgb[0] = 0x4d / 255.0;
      rgb[1] = 0x9d / 255.0;
      rgb[2] = 0xe0 / 255.0;
    } else if (i == 7) {
      rgb[0] = rgb[1] = rgb[2] = 0.85;
    }
  }
}

gboolean
pl_figure_frame (cairo_t *cr, double width, double height, const char *title,
                 const char *caption, gboolean dark, gboolean draw, PlFigureFrame *f)
{
  return pl_figure_frame_full (cr, width, height, title, caption, dark, draw, 0.0, f);
}

gboolean
pl_figure_frame_full (cairo_t *cr, double width, double height, const char *title,
                      const char *caption, gboolean dark, gboolean draw, double size,
                      PlFigureFrame *f)
{
  pl_theme_get (dark, &f->th);
  f->s = size > 0 && isfinite (size) ? size : pl_figure_text_size (width, height);
  f->margin = 0.9 * f->s;
  f->left = f->margin;
  f->right = width - f->margin;
  f->top = f->margin;
  f->bottom = height - f->margin;
  if (draw) {
    pl_set_rgb (cr, f->th.bg);
    cairo_rectangle (cr, 0, 0, width, height);
    cairo_fill (cr);
  }
  double avail = f->right - f->left;
  if (avail <= 0 || f->bottom <= f->top)
    return FALSE;
  double w, h;
  if (title != NULL && *title != '\0') {
    if (draw) {
      pl_set_rgb (cr, f->th.fg);
      h = pl_draw_text_full (cr, width / 2.0, f->top, title, 1.2 * f->s, TRUE, avail, 0.5, 0.0);
    } else {
      pl_text_extents (cr, title, 1.2 * f->s, TRUE, avail, &w, &h);
    }
    f->top += h + 0.6 * f->s;
  }
  if (caption != NULL && *caption != '\0') {
    if (draw) {
      pl_set_rgb (cr, f->th.muted);
      h = pl_draw_text_full (cr, width / 2.0, f->bottom, caption, 0.8 * f->s, FALSE, avail,
                             0.5, 1.0);
    } else {
      pl_text_extents (cr, caption, 0.8 * f->s, FALSE, avail, &w, &h);
    }
    f->bottom -= h + 0.6 * f->s;
  }
  return f->bottom - f->top > 2 * f->s;
}

double
pl_figure_text_size (double width, double height)
{
  return CLAMP (MIN (width / 50.0, height / 20.0), 6.0, 14.0);
}

void
pl_sanitize_range (PlColormap cmap, double *vmin, double *vmax)
{
  if (!isfinite (*vmin) || !isfinite (*vmax)) {
    *vmin = cmap == PL_COLORMAP_DIVERGING ? -1.0 : 0.0;
    *vmax = 1.0;
  }
  if (*vmax <= *vmin) {
    double c = *vmin;
    double d = fabs (c) > 0 ? fabs (c) * 0.5 : 1.0;
    *vmin = c - (cmap == PL_COLORMAP_DIVERGING || c != 0.0 ? d : 0.0);
    *vmax = c + d;
  }
}

static const double TICK_SCALE = 0.82;
static const double LABEL_SCALE = 0.9;

double
pl_colorbar_width (cairo_t *cr, double vmin, double vmax, const char *label, double s)
{
  double ticks[16], step, w, h, maxw = 0.0;
  gint n = pl_nice_ticks (vmin, vmax, 5, ticks, G_N_ELEMENTS (ticks), &step);
  for (gint i = 0; i < n; i++) {
    g_autofree char *txt = pl_format_tick (ticks[i], step);
    pl_text_extents (cr, txt, TICK_SCALE * s, FALSE, 0, &w, &h);
    maxw = MAX (maxw, w);
  }
  double ends[2] = { vmin, vmax };
  for (int e = 0; e < 2; e++) {
    g_autofree char *txt = pl_format_value (ends[e]);
    pl_text_extents (cr, txt, TICK_SCALE * s, FALSE, 0, &w, &h);
    maxw = MAX (maxw, w);
  }
  double label_h = 0.0;
  if (label != NULL && *label != '\0') {
    pl_text_extents (cr, label, LABEL_SCALE * s, FALSE, 0, &w, &label_h);
    label_h += 0.35 * s;
  }
  return 0.8 * s + 0.95 * s + 0.3 * s + 0.25 * s + maxw + label_h;
}

void
pl_colorbar_draw (cairo_t *cr, PlColormap colormap, double vmin, double vmax,
                  const char *label, double x, double y, double h, double s, const PlTheme *th)
{
  double bx = x + 0.8 * s, bw = 0.95 * s;
  cairo_pattern_t *grad = cairo_pattern_create_linear (0, y + h, 0, y);
  const int n_stops = 64;
  for (int i = 0; i <= n_stops; i++) {
    double rgb[3], t = (double) i / n_stops;
    pl_colormap_lookup (colormap, t, rgb);
    cairo_pattern_add_color_stop_rgb (grad, t, rgb[0], rgb[1], rgb[2]);
  }
  cairo_rectangle (cr, bx, y, bw, h);
  cairo_set_source (cr, grad);
  cairo_fill (cr);
  cairo_pattern_destroy (grad);
  cairo_set_line_width (cr, 0.6);
  cairo_set_source_rgba (cr, th->fg[0], th->fg[1], th->fg[2], 0.6);
  cairo_rectangle (cr, bx, y, bw, h);
  cairo_stroke (cr);

  double ticks[16], step;
  gint n_ticks = pl_nice_ticks (vmin, vmax, 5, ticks, G_N_ELEMENTS (ticks), &step);
  double range = vmax - vmin;
  double tx = bx + bw, tick_len = 0.3 * s, lx = tx + tick_len + 0.25 * s;
  double ts = TICK_SCALE * s, w, text_h;
  pl_text_extents (cr, "0", ts, FALSE, 0, &w, &text_h);
  double ends[2] = { vmin, vmax };
  cairo_set_line_width (cr, 0.8);
  for (gint i = 0; i < n_ticks + 2; i++) {
    double v;
    g_autofree char *txt = NULL;
    if (i < 2) {
      v = ends[i];
      txt = pl_format_value (v);
    } else {
      v = ticks[i - 2];
      double dy_end = MIN (fabs (v - vmin), fabs (v - vmax)) / range * h;
      if (dy_end < 1.7 * text_h)
        continue;
      txt = pl_format_tick (v, step);
    }
    double ty = y + h - (v - vmin) / range * h;
    pl_set_rgb (cr, th->fg);
    cairo_move_to (cr, tx, ty);
    cairo_line_to (cr, tx + tick_len, ty);
    cairo_stroke (cr);
    pl_set_rgb (cr, th->muted);
    pl_draw_text (cr, lx, ty, txt, ts, 0.0, 0.5);
  }
  if (label != NULL && *label != '\0') {
    double lw, lh;
    pl_text_extents (cr, label, LABEL_SCALE * s, FALSE, 0, &lw, &lh);
    double total = pl_colorbar_width (cr, vmin, vmax, label, s);
    pl_set_rgb (cr, th->fg);
    pl_draw_text_vertical (cr, x + total - lh * 0.5, y + h / 2.0, label, LABEL_SCALE * s);
  }
}

static cairo_surface_t *
enlarge (cairo_surface_t *img, gint64 mw, gint64 mh, gint factor)
{
  if (factor <= 1)
    return img;
  cairo_surface_t *big = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) (mw * factor),
                                                     (int) (mh * factor));
  if (cairo_surface_status (big) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy (big);
    return img;
  }
  cairo_t *bc = cairo_create (big);
  cairo_scale (bc, factor, factor);
  cairo_set_source_surface (bc, img, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (bc), CAIRO_FILTER_NEAREST);
  cairo_set_operator (bc, CAIRO_OPERATOR_SOURCE);
  cairo_paint (bc);
  cairo_destroy (bc);
  cairo_surface_destroy (img);
  return big;
}

cairo_surface_t *
pl_map_surface (const float *map, gint64 mw, gint64 mh, PlColormap colormap, double vmin,
                double vmax, gint factor)
{
  cairo_surface_t *img = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) mw, (int) mh);
  if (cairo_surface_status (img) != CAIRO_STATUS_SUCCESS)
    return img;
  cairo_surface_flush (img);
  guint8 *base = cairo_image_surface_get_data (img);
  int stride = cairo_image_surface_get_stride (img);
  double range = vmax - vmin;
  for (gint64 r = 0; r < mh; r++) {
    guint32 *row = (guint32 *) (base + r * stride);
    for (gint64 c = 0; c < mw; c++) {
      double v = map[r * mw + c];
      if (!isfinite (v)) {
        row[c] = 0;
        continue;
      }
      double rgb[3];
      pl_colormap_lookup (colormap, (v - vmin) / range, rgb);
      row[c] = pl_pack_rgb (rgb);
    }
  }
  cairo_surface_mark_dirty (img);
  return enlarge (img, mw, mh, factor);
}

cairo_surface_t *
pl_grey_surface (const float *imgdata, gint64 mw, gint64 mh, gint factor)
{
  cairo_surface_t *img = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) mw, (int) mh);
  if (cairo_surface_status (img) != CAIRO_STATUS_SUCCESS)
    return img;
  cairo_surface_flush (img);
  guint8 *base = cairo_image_surface_get_data (img);
  int stride = cairo_image_surface_get_stride (img);
  for (gint64 r = 0; r < mh; r++) {
    guint32 *row = (guint32 *) (base + r * stride);
    for (gint64 c = 0; c < mw; c++) {
      double v = imgdata[r * mw + c];
      v = isfinite (v) ? v : 0.0;
      double rgb[3] = { v, v, v };
      row[c] = pl_pack_rgb (rgb);
    }
  }
  cairo_surface_mark_dirty (img);
  return enlarge (img, mw, mh, factor);
}

void
pl_paint_surface (cairo_t *cr, cairo_surface_t *img, gint64 mw, gint64 mh, gint factor,
                  double x, double y, double w, double h, double alpha)
{
  if (cairo_surface_status (img) != CAIRO_STATUS_SUCCESS)
    return;
  int f = cairo_image_surface_get_width (img) == (int) (mw * factor) ? factor : 1;
  cairo_save (cr);
  cairo_rectangle (cr, x, y, w, h);
  cairo_clip (cr);
  cairo_translate (cr, x, y);
  cairo_scale (cr, w / (double) (mw * f), h / (double) (mh * f));
  cairo_set_source_surface (cr, img, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_PAD);
  cairo_paint_with_alpha (cr, alpha);
  cairo_restore (cr);
}

gint
pl_map_factor (cairo_t *cr, gint64 mw, gint64 mh)
{
  if (cairo_surface_get_type (cairo_get_target (cr)) == CAIRO_SURFACE_TYPE_IMAGE)
    return 1;
  return (gint) CLAMP (ceil (512.0 / (double) MAX (MAX (mw, mh), 1)), 1.0, 16.0);
}
