/* pl-heatmap-figure.c — a row of heatmap panels with titles and colorbars.
 *
 * Layout (all lengths scale with the base font size s, chosen from the figure size):
 *   [title]
 *   panel titles ...
 *   [panel] [panel] [colorbar of scale 0] [panel] [colorbar of scale 1]
 *   [caption]
 * Panels keep the map's aspect ratio (square pixels), drawn with nearest-neighbour
 * sampling; on raster surfaces a map pixel covers a whole number of device pixels when
 * it is at least two device pixels wide, so maps stay crisp.
 */
#include "pl-render-private.h"

#include <math.h>

typedef struct {
  PlColormap colormap;
  double vmin, vmax;
  const char *label;
  double ticks[16];
  gint n_ticks;
  double step;
  double width;       /* width of the whole colorbar block, after the panel gap */
  gint last_panel;    /* the colorbar follows this panel; -1: scale unused */
} ScaleLayout;

/* Map dimensions from a tensor whose last two dimensions are [H, W]. */
static gboolean
map_dims (const PlTensor *t, gint64 *h, gint64 *w)
{
  if (t == NULL || t->ndim < 2 || t->data == NULL)
    return FALSE;
  *h = t->shape[t->ndim - 2];
  *w = t->shape[t->ndim - 1];
  return *h > 0 && *w > 0 && *h * *w == t->numel && *h <= 32768 && *w <= 32768;
}

static void
sanitize_range (PlColormap cmap, double *vmin, double *vmax)
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

static const double TICK_SCALE = 0.82;   /* tick labels relative to s */
static const double LABEL_SCALE = 0.9;   /* colorbar label relative to s */

static void
layout_scale (cairo_t *cr, ScaleLayout *sl, double s)
{
  gint target = 5;
  sl->n_ticks = pl_nice_ticks (sl->vmin, sl->vmax, target, sl->ticks, G_N_ELEMENTS (sl->ticks),
                               &sl->step);
  double maxw = 0.0, w, h;
  for (gint i = 0; i < sl->n_ticks; i++) {
    g_autofree char *txt = pl_format_tick (sl->ticks[i], sl->step);
    pl_text_extents (cr, txt, TICK_SCALE * s, FALSE, 0, &w, &h);
    maxw = MAX (maxw, w);
  }
  double ends[2] = { sl->vmin, sl->vmax };
  for (int e = 0; e < 2; e++) {
    g_autofree char *txt = pl_format_value (ends[e]);
    pl_text_extents (cr, txt, TICK_SCALE * s, FALSE, 0, &w, &h);
    maxw = MAX (maxw, w);
  }
  double label_h = 0.0;
  if (sl->label != NULL && *sl->label != '\0') {
    pl_text_extents (cr, sl->label, LABEL_SCALE * s, FALSE, 0, &w, &label_h);
    label_h += 0.35 * s;
  }
  /* gap | bar | tick | pad | labels | label */
  sl->width = 0.55 * s + 0.95 * s + 0.3 * s + 0.25 * s + maxw + label_h;
}

static void
draw_colorbar (cairo_t *cr, const ScaleLayout *sl, double x, double y, double h, double s,
               const PlTheme *th)
{
  double bx = x + 0.55 * s, bw = 0.95 * s;
  cairo_pattern_t *grad = cairo_pattern_create_linear (0, y + h, 0, y);
  const int n_stops = 64;
  for (int i = 0; i <= n_stops; i++) {
    double rgb[3], t = (double) i / n_stops;
    pl_colormap_lookup (sl->colormap, t, rgb);
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

  double range = sl->vmax - sl->vmin;
  double tx = bx + bw, tick_len = 0.3 * s, lx = tx + tick_len + 0.25 * s;
  double ts = TICK_SCALE * s;
  double w, text_h;
  pl_text_extents (cr, "0", ts, FALSE, 0, &w, &text_h);

  /* min and max at the ends, nice ticks between them where they do not collide */
  double ends[2] = { sl->vmin, sl->vmax };
  char *end_txt[2] = { pl_format_value (ends[0]), pl_format_value (ends[1]) };
  cairo_set_line_width (cr, 0.8);
  for (gint i = 0; i < sl->n_ticks + 2; i++) {
    double v;
    g_autofree char *txt = NULL;
    if (i < 2) {
      v = ends[i];
      txt = g_strdup (end_txt[i]);
    } else {
      v = sl->ticks[i - 2];
      double dy_end = MIN (fabs (v - sl->vmin), fabs (v - sl->vmax)) / range * h;
      if (dy_end < 1.7 * text_h)
        continue;
      txt = pl_format_tick (v, sl->step);
    }
    double ty = y + h - (v - sl->vmin) / range * h;
    pl_set_rgb (cr, th->fg);
    cairo_move_to (cr, tx, ty);
    cairo_line_to (cr, tx + tick_len, ty);
    cairo_stroke (cr);
    pl_set_rgb (cr, th->muted);
    /* end labels stay inside the bar's height band as far as they can */
    pl_draw_text (cr, lx, ty, txt, ts, 0.0, 0.5);
  }
  g_free (end_txt[0]);
  g_free (end_txt[1]);

  if (sl->label != NULL && *sl->label != '\0') {
    double lw, lh;
    pl_text_extents (cr, sl->label, LABEL_SCALE * s, FALSE, 0, &lw, &lh);
    double x_label = x + sl->width - lh * 0.5;
    pl_set_rgb (cr, th->fg);
    pl_draw_text_vertical (cr, x_label, y + h / 2.0, sl->label, LABEL_SCALE * s);
  }
}

/* Paints a small image surface of mw × mh cells into the current user space (already
 * scaled so one cell is one unit) with nearest-neighbour sampling. Vector surfaces (SVG,
 * PDF) do not keep the filter — viewers smooth embedded images — so there the image is
 * first enlarged by an integer factor, leaving crisp cells whatever the viewer does. */
static void
paint_cells (cairo_t *cr, cairo_surface_t *img, gint64 mw, gint64 mh, double alpha)
{
  cairo_surface_t *src = cairo_surface_reference (img);
  int f = 1;
  if (cairo_surface_get_type (cairo_get_target (cr)) != CAIRO_SURFACE_TYPE_IMAGE) {
    f = (int) CLAMP (ceil (448.0 / (double) MAX (mw, mh)), 1.0, 16.0);
    if (f > 1) {
      cairo_surface_t *big = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) (mw * f),
                                                         (int) (mh * f));
      if (cairo_surface_status (big) == CAIRO_STATUS_SUCCESS) {
        cairo_t *bc = cairo_create (big);
        cairo_scale (bc, f, f);
        cairo_set_source_surface (bc, img, 0, 0);
        cairo_pattern_set_filter (cairo_get_source (bc), CAIRO_FILTER_NEAREST);
        cairo_set_operator (bc, CAIRO_OPERATOR_SOURCE);
        cairo_paint (bc);
        cairo_destroy (bc);
        cairo_surface_destroy (src);
        src = big;
      } else {
        cairo_surface_destroy (big);
        f = 1;
      }
    }
  }
  cairo_save (cr);
  cairo_scale (cr, 1.0 / f, 1.0 / f);
  cairo_set_source_surface (cr, src, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_PAD);
  cairo_paint_with_alpha (cr, alpha);
  cairo_restore (cr);
  cairo_surface_destroy (src);
}

static void
draw_map (cairo_t *cr, const PlHeatmapPanel *p, const ScaleLayout *sl, double x, double y,
          double w, double h, const PlTheme *th)
{
  gint64 mh, mw;
  if (!map_dims (p->map, &mh, &mw) && p->underlay != NULL && map_dims (p->underlay, &mh, &mw)) {
    /* No map: the underlay alone (the input image), grey in [0, 1], no colour scale. */
    cairo_surface_t *img = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) mw, (int) mh);
    if (cairo_surface_status (img) == CAIRO_STATUS_SUCCESS) {
      cairo_surface_flush (img);
      guint8 *base = cairo_image_surface_get_data (img);
      int stride = cairo_image_surface_get_stride (img);
      for (gint64 r = 0; r < mh; r++) {
        guint32 *row = (guint32 *) (base + r * stride);
        for (gint64 c = 0; c < mw; c++) {
          double g = p->underlay->data[r * mw + c];
          g = isfinite (g) ? CLAMP (g, 0.0, 1.0) : 0.0;
          double rgb[3] = { g, g, g };
          row[c] = pl_pack_rgb (rgb);
        }
      }
      cairo_surface_mark_dirty (img);
      cairo_save (cr);
      cairo_rectangle (cr, x, y, w, h);
      cairo_clip (cr);
      cairo_translate (cr, x, y);
      cairo_scale (cr, w / (double) mw, h / (double) mh);
      paint_cells (cr, img, mw, mh, 1.0);
      cairo_restore (cr);
    }
    cairo_surface_destroy (img);
    cairo_set_line_width (cr, 0.6);
    cairo_set_source_rgba (cr, th->fg[0], th->fg[1], th->fg[2], 0.6);
    cairo_rectangle (cr, x, y, w, h);
    cairo_stroke (cr);
    return;
  }
  if (!map_dims (p->map, &mh, &mw)) {
    cairo_set_source_rgba (cr, th->fg[0], th->fg[1], th->fg[2], 0.4);
    cairo_set_line_width (cr, 0.8);
    cairo_rectangle (cr, x, y, w, h);
    cairo_stroke (cr);
    return;
  }
  double range = sl->vmax - sl->vmin;
  cairo_surface_t *img = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) mw, (int) mh);
  cairo_surface_t *under = NULL;
  if (cairo_surface_status (img) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy (img);
    return;
  }
  cairo_surface_flush (img);
  guint8 *base = cairo_image_surface_get_data (img);
  int stride = cairo_image_surface_get_stride (img);
  for (gint64 r = 0; r < mh; r++) {
    guint32 *row = (guint32 *) (base + r * stride);
    const float *src = p->map->data + r * mw;
    for (gint64 c = 0; c < mw; c++) {
      float v = src[c];
      if (!isfinite (v)) {
        row[c] = 0; /* transparent: "bad" values show the background */
        continue;
      }
      double rgb[3];
      pl_colormap_lookup (sl->colormap, (v - sl->vmin) / range, rgb);
      row[c] = pl_pack_rgb (rgb);
    }
  }
  cairo_surface_mark_dirty (img);

  gint64 uh, uw;
  if (p->underlay != NULL && map_dims (p->underlay, &uh, &uw) && uh == mh && uw == mw) {
    under = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) mw, (int) mh);
    if (cairo_surface_status (under) == CAIRO_STATUS_SUCCESS) {
      cairo_surface_flush (under);
      guint8 *ub = cairo_image_surface_get_data (under);
      int us = cairo_image_surface_get_stride (under);
      for (gint64 r = 0; r < mh; r++) {
        guint32 *row = (guint32 *) (ub + r * us);
        for (gint64 c = 0; c < mw; c++) {
          double g = p->underlay->data[r * mw + c];
          g = isfinite (g) ? g : 0.0;
          double rgb[3] = { g, g, g };
          row[c] = pl_pack_rgb (rgb);
        }
      }
      cairo_surface_mark_dirty (under);
    } else {
      g_clear_pointer (&under, cairo_surface_destroy);
    }
  }

  cairo_save (cr);
  cairo_rectangle (cr, x, y, w, h);
  cairo_clip (cr);
  cairo_translate (cr, x, y);
  cairo_scale (cr, w / (double) mw, h / (double) mh);
  double alpha = 1.0;
  if (under != NULL) {
    paint_cells (cr, under, mw, mh, 1.0);
    alpha = isfinite (p->overlay_alpha) ? CLAMP (p->overlay_alpha, 0.0, 1.0) : 1.0;
  }
  paint_cells (cr, img, mw, mh, alpha);
  cairo_restore (cr);
  cairo_surface_destroy (img);
  g_clear_pointer (&under, cairo_surface_destroy);

  if (p->outline != NULL) {
    double cw = w / (double) mw, ch = h / (double) mh;
    const gint *lab = p->outline;
    for (gint64 r = 0; r < mh; r++)
      for (gint64 c = 0; c < mw; c++) {
        gint l = lab[r * mw + c];
        if (c + 1 < mw && lab[r * mw + c + 1] != l) {
          cairo_move_to (cr, x + (c + 1) * cw, y + r * ch);
          cairo_line_to (cr, x + (c + 1) * cw, y + (r + 1) * ch);
        }
        if (r + 1 < mh && lab[(r + 1) * mw + c] != l) {
          cairo_move_to (cr, x + c * cw, y + (r + 1) * ch);
          cairo_line_to (cr, x + (c + 1) * cw, y + (r + 1) * ch);
        }
      }
    cairo_set_line_cap (cr, CAIRO_LINE_CAP_SQUARE);
    cairo_set_line_width (cr, CLAMP (MIN (cw, ch) * 0.08, 0.5, 1.2));
    cairo_set_source_rgba (cr, th->fg[0], th->fg[1], th->fg[2], 0.45);
    cairo_stroke (cr);
    cairo_set_line_cap (cr, CAIRO_LINE_CAP_BUTT);
  }

  cairo_set_line_width (cr, 0.6);
  cairo_set_source_rgba (cr, th->fg[0], th->fg[1], th->fg[2], 0.6);
  cairo_rectangle (cr, x, y, w, h);
  cairo_stroke (cr);
}

/* Rounds a user-space length to whole device pixels (raster surfaces). */
static double
snap (cairo_t *cr, double v)
{
  if (cairo_surface_get_type (cairo_get_target (cr)) != CAIRO_SURFACE_TYPE_IMAGE)
    return v;
  double dx = 1.0, dy = 0.0;
  cairo_user_to_device_distance (cr, &dx, &dy);
  double sx = hypot (dx, dy);
  if (sx <= 0)
    return v;
  return round (v * sx) / sx;
}

void
pl_heatmap_figure_draw (cairo_t *cr, double width, double height,
                        const PlHeatmapFigure *figure)
{
  g_return_if_fail (cr != NULL);
  g_return_if_fail (figure != NULL);

  PlTheme th;
  pl_theme_get (figure->dark, &th);
  cairo_save (cr);
  pl_set_rgb (cr, th.bg);
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_fill (cr);

  gint n_panels = CLAMP (figure->n_panels, 0, PL_FIGURE_MAX_PANELS);
  double s = CLAMP (MIN (width / 55.0, height / 22.0), 6.0, 15.0);
  double margin = 0.9 * s;
  double top = margin, bottom = height - margin;
  double avail_w = width - 2 * margin;
  if (avail_w <= 0 || bottom <= top) {
    cairo_restore (cr);
    return;
  }

  /* Figure title and caption are measured first and drawn around the panel block,
   * which is centred vertically with them. */
  double fig_title_h = 0.0, caption_h = 0.0;
  gboolean has_title = figure->title != NULL && *figure->title != '\0';
  gboolean has_caption = figure->caption != NULL && *figure->caption != '\0';
  if (has_title) {
    double tw;
    pl_text_extents (cr, figure->title, 1.2 * s, TRUE, avail_w, &tw, &fig_title_h);
    top += fig_title_h + 0.7 * s;
  }
  if (has_caption) {
    double tw;
    pl_text_extents (cr, figure->caption, 0.8 * s, FALSE, avail_w, &tw, &caption_h);
    bottom -= caption_h + 0.7 * s;
  }
  if (n_panels == 0) {
    cairo_restore (cr);
    return;
  }

  /* scales */
  ScaleLayout scales[2];
  gint n_scales = CLAMP (figure->n_scales, 0, 2);
  for (gint k = 0; k < 2; k++) {
    ScaleLayout *sl = &scales[k];
    if (k < n_scales) {
      sl->colormap = figure->scales[k].colormap;
      sl->vmin = figure->scales[k].vmin;
      sl->vmax = figure->scales[k].vmax;
      sl->label = figure->scales[k].label;
    } else {
      sl->colormap = PL_COLORMAP_VIRIDIS;
      sl->vmin = 0.0;
      sl->vmax = 1.0;
      sl->label = NULL;
    }
    sanitize_range (sl->colormap, &sl->vmin, &sl->vmax);
    sl->last_panel = -1;
  }
  gint panel_scale[PL_FIGURE_MAX_PANELS];
  for (gint i = 0; i < n_panels; i++) {
    gint k = figure->panels[i].scale;
    panel_scale[i] = (k >= 0 && k < MAX (n_scales, 1)) ? k : 0;
    scales[panel_scale[i]].last_panel = i;
  }

  /* horizontal budget */
  double gap = 0.8 * s, fixed = 0.0, sum_aspect = 0.0, title_h = 0.0;
  double aspect[PL_FIGURE_MAX_PANELS];
  for (gint i = 0; i < n_panels; i++) {
    gint64 mh, mw;
    aspect[i] = map_dims (figure->panels[i].map, &mh, &mw) ? (double) mw / (double) mh : 1.0;
    sum_aspect += aspect[i];
    double tw, tht;
    pl_text_extents (cr, figure->panels[i].title, s, FALSE, 0, &tw, &tht);
    title_h = MAX (title_h, tht);
    if (i > 0)
      fixed += gap;
    for (gint k = 0; k < 2; k++)
      if (scales[k].last_panel == i) {
        layout_scale (cr, &scales[k], s);
        fixed += scales[k].width;
        if (i + 1 < n_panels)
          fixed += 0.3 * s; /* extra space before the next group of panels */
      }
  }
  double title_gap = title_h > 0 ? 0.45 * s : 0.0;
  double avail_h = bottom - top - title_h - title_gap;
  double ph = MIN (avail_h, (avail_w - fixed) / sum_aspect);
  if (ph < 4.0) {
    cairo_restore (cr);
    return;
  }
  /* On raster surfaces, whole device pixels per map pixel when that costs at most 15 %
   * of the panel size (vector surfaces scale freely). */
  gint64 mh0 = 0, mw0 = 0;
  gboolean have_dims = FALSE;
  for (gint i = 0; i < n_panels && !have_dims; i++)
    have_dims = map_dims (figure->panels[i].map, &mh0, &mw0);
  if (cairo_surface_get_type (cairo_get_target (cr)) == CAIRO_SURFACE_TYPE_IMAGE && have_dims) {
    double dx = 1.0, dy = 0.0;
    cairo_user_to_device_distance (cr, &dx, &dy);
    double sx = hypot (dx, dy);
    double cell_dev = ph / mh0 * sx;
    if (sx > 0 && cell_dev >= 2.0 && floor (cell_dev) >= 0.85 * cell_dev)
      ph = floor (cell_dev) / sx * mh0;
  }

  double total_w = ph * sum_aspect + fixed;
  double x = snap (cr, (width - total_w) / 2.0);
  double block_h = title_h + title_gap + ph;
  /* Near the top: on a tall screen area the figure reads from the top, with at most
   * two text lines of air above it. */
  double y_titles = top + MIN (MAX (0.0, (bottom - top - block_h) / 2.0), 2.0 * s);
  double y_maps = snap (cr, y_titles + title_h + title_gap);
  if (has_title) {
    pl_set_rgb (cr, th.fg);
    pl_draw_text_full (cr, width / 2.0, y_titles - 0.7 * s - fig_title_h, figure->title, 1.2 * s,
                       TRUE, avail_w, 0.5, 0.0);
  }
  if (has_caption) {
    pl_set_rgb (cr, th.muted);
    pl_draw_text_full (cr, width / 2.0, y_maps + ph + 0.7 * s, figure->caption, 0.8 * s, FALSE,
                       avail_w, 0.5, 0.0);
  }

  /* panel titles wider than their panel (plus most of the gap) get a smaller font,
   * down to 40 % (narrow report pages) */
  double title_size = s;
  for (gint i = 0; i < n_panels; i++) {
    double tw, tht;
    pl_text_extents (cr, figure->panels[i].title, s, FALSE, 0, &tw, &tht);
    double room = ph * aspect[i] + 0.6 * gap;
    if (tw > room)
      title_size = MIN (title_size, MAX (0.4 * s, s * room / tw));
  }
  /* Text width is not proportional to the size (hinted metrics): measure again at the
   * chosen size and shrink until every title fits. */
  for (gint pass = 0; pass < 6; pass++) {
    double worst = 1.0;
    for (gint i = 0; i < n_panels; i++) {
      double tw, tht;
      pl_text_extents (cr, figure->panels[i].title, title_size, FALSE, 0, &tw, &tht);
      double room = ph * aspect[i] + 0.6 * gap;
      if (tw > room)
        worst = MIN (worst, room / tw);
    }
    if (worst >= 1.0 || title_size <= 0.4 * s)
      break;
    title_size = MAX (0.4 * s, title_size * worst * 0.97);
  }

  for (gint i = 0; i < n_panels; i++) {
    const PlHeatmapPanel *p = &figure->panels[i];
    double pw = ph * aspect[i];
    if (i > 0)
      x += gap;
    if (p->title != NULL) {
      pl_set_rgb (cr, th.fg);
      double tw, tht;
      pl_text_extents (cr, p->title, title_size, FALSE, 0, &tw, &tht);
      /* Titles carry their own line breaks; they shrink to fit rather than wrap. */
      pl_draw_text_full (cr, x + pw / 2.0, y_maps - title_gap, p->title, title_size, FALSE,
                         0, 0.5, 1.0);
    }
    draw_map (cr, p, &scales[panel_scale[i]], x, y_maps, pw, ph, &th);
    x += pw;
    for (gint k = 0; k < 2; k++)
      if (scales[k].last_panel == i) {
        draw_colorbar (cr, &scales[k], x, y_maps, ph, s, &th);
        x += scales[k].width;
        if (i + 1 < n_panels)
          x += 0.3 * s;
      }
  }
  cairo_restore (cr);
}
