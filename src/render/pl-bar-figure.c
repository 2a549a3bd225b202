/* pl-bar-figure.c — grouped horizontal bars (e.g. feature importance, original vs pruned).
 *
 * Group colours are the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"),
 * safe for the common colour-vision deficiencies: blue, vermillion, bluish green,
 * reddish purple.
 */
#include "config.h"
#include <glib/gi18n-lib.h>
#include "pl-render-private.h"

#include <math.h>
#include <stdlib.h>

static const double group_colors[4][3] = {
  { 0x00 / 255.0, 0x72 / 255.0, 0xb2 / 255.0 },  /* blue #0072B2 */
  { 0xd5 / 255.0, 0x5e / 255.0, 0x00 / 255.0 },  /* vermillion #D55E00 */
  { 0x00 / 255.0, 0x9e / 255.0, 0x73 / 255.0 },  /* bluish green #009E73 */
  { 0xcc / 255.0, 0x79 / 255.0, 0xa7 / 255.0 },  /* reddish purple #CC79A7 */
};

/* Dark mode: the same hues, lighter blue so it reads on #242424. */
static const double group_colors_dark[4][3] = {
  { 0x56 / 255.0, 0xb4 / 255.0, 0xe9 / 255.0 },  /* sky blue #56B4E9 */
  { 0xe6 / 255.0, 0x7e / 255.0, 0x2e / 255.0 },
  { 0x00 / 255.0, 0xb8 / 255.0, 0x8a / 255.0 },
  { 0xdd / 255.0, 0x8e / 255.0, 0xbb / 255.0 },
};

typedef struct {
  const double *key;
  gint index;
} SortItem;

static int
compare_items (const void *a, const void *b)
{
  const SortItem *x = a, *y = b;
  double vx = x->key[x->index], vy = y->key[y->index];
  double ax = isfinite (vx) ? fabs (vx) : -1.0, ay = isfinite (vy) ? fabs (vy) : -1.0;
  if (ax != ay)
    return ax > ay ? -1 : 1;
  return x->index - y->index; /* stable */
}

/* A value-axis tick: plain, or as a percentage ("50 %"). */
static char *
value_tick (double v, double step, gboolean percent)
{
  if (!percent)
    return pl_format_tick (v, step);
  g_autofree char *num = pl_format_tick (100.0 * v, 100.0 * step);
  return g_strdup_printf ("%s %%", num);
}

void
pl_bar_figure_draw (cairo_t *cr, double width, double height, const PlBarFigure *figure)
{
  g_return_if_fail (cr != NULL);
  g_return_if_fail (figure != NULL);

  PlTheme th;
  pl_theme_get (figure->dark, &th);
  cairo_save (cr);
  pl_set_rgb (cr, th.bg);
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_fill (cr);

  double s = CLAMP (MIN (width / 55.0, height / 24.0), 6.0, 15.0);
  double margin = 0.9 * s;
  double top = margin, bottom = height - margin;
  double avail_w = width - 2 * margin;
  if (avail_w <= 0 || bottom <= top) {
    cairo_restore (cr);
    return;
  }
  if (figure->title != NULL && *figure->title != '\0') {
    pl_set_rgb (cr, th.fg);
    top += pl_draw_text_full (cr, width / 2.0, top, figure->title, 1.2 * s, TRUE, avail_w,
                              0.5, 0.0);
    top += 0.6 * s;
  }
  if (figure->caption != NULL && *figure->caption != '\0') {
    pl_set_rgb (cr, th.muted);
    bottom -= pl_draw_text_full (cr, width / 2.0, bottom, figure->caption, 0.8 * s, FALSE,
                                 avail_w, 0.5, 1.0);
    bottom -= 0.6 * s;
  }

  gint n_groups = CLAMP (figure->n_groups, 0, 4);
  gint n_bars = MAX (figure->n_bars, 0);
  if (n_groups == 0 || n_bars == 0 || figure->values == NULL) {
    cairo_restore (cr);
    return;
  }
  const double (*colors)[3] = figure->dark ? group_colors_dark : group_colors;

  /* order and selection */
  g_autofree SortItem *items = g_new (SortItem, n_bars);
  for (gint i = 0; i < n_bars; i++)
    items[i] = (SortItem) { figure->values, i };
  if (figure->sort)
    qsort (items, n_bars, sizeof *items, compare_items);
  gint n_show = figure->top_k > 0 ? MIN (figure->top_k, n_bars) : n_bars;
  gboolean errs = figure->err_lo != NULL && figure->err_hi != NULL;

  /* "others": per group the sum of the bars not shown */
  gboolean others = figure->others && n_show < n_bars;
  double others_v[4] = { 0, 0, 0, 0 };
  g_autofree char *others_text = NULL;
  if (others) {
    for (gint g = 0; g < n_groups; g++)
      for (gint i = n_show; i < n_bars; i++) {
        double v = figure->values[(gint64) g * n_bars + items[i].index];
        if (isfinite (v))
          others_v[g] += v;
      }
    others_text = figure->others_label != NULL
        ? g_strdup (figure->others_label)
        : g_strdup_printf (_("others (%d)"), n_bars - n_show);
  }
  gint n_rows = n_show + (others ? 1 : 0);

  /* value range over the shown bars and their whiskers, always including 0 */
  double lo = 0.0, hi = 0.0;
  for (gint i = 0; i < n_show; i++)
    for (gint g = 0; g < n_groups; g++) {
      gint64 at = (gint64) g * n_bars + items[i].index;
      double v = figure->values[at];
      if (isfinite (v)) {
        lo = MIN (lo, v);
        hi = MAX (hi, v);
      }
      if (errs && isfinite (figure->err_lo[at]) && isfinite (figure->err_hi[at])) {
        lo = MIN (lo, figure->err_lo[at]);
        hi = MAX (hi, figure->err_hi[at]);
      }
    }
  for (gint g = 0; others && g < n_groups; g++) {
    lo = MIN (lo, others_v[g]);
    hi = MAX (hi, others_v[g]);
  }
  if (hi <= lo)
    hi = lo + 1.0;
  double ticks[24], step;
  gint n_ticks = pl_nice_ticks (lo, hi, 5, ticks, G_N_ELEMENTS (ticks), &step);
  /* extend the axis to whole steps so the outer ticks frame the bars */
  double axis_lo = floor (lo / step + 1e-9) * step, axis_hi = ceil (hi / step - 1e-9) * step;
  if (axis_hi <= hi - 1e-12 * fabs (hi))
    axis_hi += step;
  n_ticks = pl_nice_ticks (axis_lo - 1e-9 * step, axis_hi + 1e-9 * step, 5, ticks,
                           G_N_ELEMENTS (ticks), &step);
  double range = axis_hi - axis_lo;

  double ts = 0.85 * s;   /* tick and bar labels */
  double w, h, line_h;
  pl_text_extents (cr, "0", ts, FALSE, 0, &w, &line_h);

  /* legend: a row of swatches and names, right-aligned above the plot */
  double legend_h = 0.0;
  gboolean legend = n_groups > 1 || (figure->group_names[0] != NULL &&
                                     *figure->group_names[0] != '\0');
  double sw = 0.8 * s;
  if (legend) {
    /* entries right-aligned in rows no wider than the figure; a name longer than a row is
     * ellipsised */
    double row_w[4] = { 0 };
    gint row_of[4], n_lrows = 0;
    double ew[4];
    for (gint g = 0; g < n_groups; g++) {
      const char *name = figure->group_names[g] != NULL ? figure->group_names[g] : "";
      pl_text_extents (cr, name, ts, FALSE, 0, &w, &h);
      ew[g] = MIN (w, avail_w - sw - 0.35 * s);
      double need = sw + 0.35 * s + ew[g];
      if (n_lrows == 0 || row_w[n_lrows - 1] + 1.1 * s + need > avail_w) {
        n_lrows++;
        row_w[n_lrows - 1] = need;
      } else {
        row_w[n_lrows - 1] += 1.1 * s + need;
      }
      row_of[g] = n_lrows - 1;
    }
    double lx = 0.0;
    for (gint g = 0; g < n_groups; g++) {
      const char *name = figure->group_names[g] != NULL ? figure->group_names[g] : "";
      if (g == 0 || row_of[g] != row_of[g - 1])
        lx = width - margin - row_w[row_of[g]];
      double ly = top + line_h / 2.0 + row_of[g] * (line_h + 0.3 * s);
      pl_set_rgb (cr, colors[g]);
      cairo_rectangle (cr, lx, ly - sw / 2.0, sw, sw);
      cairo_fill (cr);
      lx += sw + 0.35 * s;
      pl_set_rgb (cr, th.fg);
      PangoLayout *layout = pl_text_layout (cr, name, ts, FALSE, 0, 0.0);
      pango_layout_set_width (layout, (int) (ew[g] * PANGO_SCALE) + 1);
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
      PangoRectangle logical;
      pango_layout_get_extents (layout, NULL, &logical);
      cairo_move_to (cr, lx, ly - (double) logical.height / PANGO_SCALE / 2.0);
      pl_show_layout (cr, layout);
      g_object_unref (layout);
      lx += ew[g] + 1.1 * s;
    }
    legend_h = n_lrows * line_h + (n_lrows - 1) * 0.3 * s + 0.6 * s;
  }

  /* bar labels on the left, at most 40 % of the width */
  double label_w = 0.0;
  for (gint i = 0; i < n_show; i++) {
    const char *lab = figure->bar_labels != NULL ? figure->bar_labels[items[i].index] : NULL;
    pl_text_extents (cr, lab, ts, FALSE, 0, &w, &h);
    label_w = MAX (label_w, w);
  }
  if (others) {
    pl_text_extents (cr, others_text, ts, FALSE, 0, &w, &h);
    label_w = MAX (label_w, w);
  }
  label_w = MIN (label_w, 0.4 * avail_w);

  /* value axis at the bottom: ticks, numbers, axis label */
  double axis_label_h = 0.0;
  if (figure->value_label != NULL && *figure->value_label != '\0')
    pl_text_extents (cr, figure->value_label, 0.9 * s, FALSE, avail_w, &w, &axis_label_h);
  double tick_len = 0.3 * s;
  double plot_bottom = bottom - axis_label_h - (axis_label_h > 0 ? 0.35 * s : 0.0) - line_h -
                       tick_len - 0.2 * s;
  double plot_top = top + legend_h;
  /* tick labels at the ends must fit: keep half a label's width free on both sides */
  g_autofree char *first_txt = value_tick (axis_lo, step, figure->value_percent);
  g_autofree char *last_txt = value_tick (axis_hi, step, figure->value_percent);
  double fw, lw;
  pl_text_extents (cr, first_txt, ts, FALSE, 0, &fw, &h);
  pl_text_extents (cr, last_txt, ts, FALSE, 0, &lw, &h);
  double plot_left = margin + label_w + 0.6 * s;
  plot_left = MAX (plot_left, margin + fw / 2.0);
  double plot_right = width - margin - lw / 2.0;
  if (plot_right - plot_left < 2 * s || plot_bottom - plot_top < 2 * s) {
    cairo_restore (cr);
    return;
  }
  double pw = plot_right - plot_left, phh = plot_bottom - plot_top;
#define XV(v) (plot_left + ((v) - axis_lo) / range * pw)

  /* grid */
  cairo_set_line_width (cr, 0.6);
  pl_set_rgb (cr, th.grid);
  for (gint t = 0; t < n_ticks; t++) {
    cairo_move_to (cr, XV (ticks[t]), plot_top);
    cairo_line_to (cr, XV (ticks[t]), plot_bottom);
  }
  cairo_stroke (cr);

  /* bars */
  double row_h = phh / n_rows;
  double group_h = row_h * 0.8 / n_groups;
  double x0 = XV (0.0);
  for (gint i = 0; i < n_rows; i++) {
    gboolean is_others = i == n_show;
    gint b = is_others ? -1 : items[i].index;
    double row_y = plot_top + i * row_h;
    for (gint g = 0; g < n_groups; g++) {
      gint64 at = (gint64) g * n_bars + b;
      double v = is_others ? others_v[g] : figure->values[at];
      if (!isfinite (v))
        continue;
      double xv = XV (v);
      double by = row_y + row_h * 0.1 + g * group_h;
      if (is_others) {
        /* the rest, lighter: it is a sum of many, not one feature */
        cairo_set_source_rgba (cr, colors[g][0], colors[g][1], colors[g][2], 0.45);
      } else {
        pl_set_rgb (cr, colors[g]);
      }
      cairo_rectangle (cr, MIN (x0, xv), by, fabs (xv - x0), group_h);
      cairo_fill (cr);
      if (!is_others && errs && isfinite (figure->err_lo[at]) && isfinite (figure->err_hi[at])) {
        /* whisker: a line between the ends with short caps */
        double xa = XV (figure->err_lo[at]), xb = XV (figure->err_hi[at]);
        double cy = by + group_h / 2.0, cap = MIN (0.35 * group_h, 0.4 * s);
        pl_set_rgb (cr, th.fg);
        cairo_set_line_width (cr, MAX (0.8, 0.09 * s));
        cairo_move_to (cr, xa, cy);
        cairo_line_to (cr, xb, cy);
        cairo_move_to (cr, xa, cy - cap);
        cairo_line_to (cr, xa, cy + cap);
        cairo_move_to (cr, xb, cy - cap);
        cairo_line_to (cr, xb, cy + cap);
        cairo_stroke (cr);
      }
    }
    const char *lab = is_others ? others_text
                                : figure->bar_labels != NULL ? figure->bar_labels[b] : NULL;
    if (lab != NULL) {
      PangoLayout *layout = pl_text_layout (cr, lab, ts, FALSE, 0, 1.0);
      pango_layout_set_width (layout, (int) (label_w * PANGO_SCALE));
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_MIDDLE);
      pango_layout_set_alignment (layout, PANGO_ALIGN_RIGHT);
      PangoRectangle logical;
      pango_layout_get_extents (layout, NULL, &logical);
      pl_set_rgb (cr, th.fg);
      cairo_move_to (cr, plot_left - 0.6 * s - label_w,
                     row_y + row_h / 2.0 - (double) logical.height / PANGO_SCALE / 2.0);
      pl_show_layout (cr, layout);
      g_object_unref (layout);
    }
  }

  /* zero line and bottom axis */
  cairo_set_line_width (cr, 1.0);
  pl_set_rgb (cr, th.zero);
  cairo_move_to (cr, x0, plot_top);
  cairo_line_to (cr, x0, plot_bottom);
  cairo_stroke (cr);
  cairo_set_line_width (cr, 0.8);
  pl_set_rgb (cr, th.fg);
  cairo_move_to (cr, plot_left, plot_bottom);
  cairo_line_to (cr, plot_right, plot_bottom);
  for (gint t = 0; t < n_ticks; t++) {
    cairo_move_to (cr, XV (ticks[t]), plot_bottom);
    cairo_line_to (cr, XV (ticks[t]), plot_bottom + tick_len);
  }
  cairo_stroke (cr);
  pl_set_rgb (cr, th.muted);
  for (gint t = 0; t < n_ticks; t++) {
    g_autofree char *txt = value_tick (ticks[t], step, figure->value_percent);
    pl_draw_text (cr, XV (ticks[t]), plot_bottom + tick_len + 0.15 * s, txt, ts, 0.5, 0.0);
  }
  if (axis_label_h > 0) {
    pl_set_rgb (cr, th.fg);
    pl_draw_text_full (cr, plot_left + pw / 2.0, bottom, figure->value_label, 0.9 * s, FALSE,
                       0, 0.5, 1.0);
  }
#undef XV
  cairo_restore (cr);
}
