/* pl-histogram-figure.c — overlaid histograms on shared bins (matplotlib's histtype
 * "stepfilled" with alpha plus a step outline), e.g. original and pruned weights. */
#include "config.h"
#include <glib/gi18n-lib.h>
#include "pl-figure-util.h"

#include <math.h>
#include <string.h>

gint64
pl_histogram_count (const float *data, gint64 n, double lo, double hi, gint n_bins,
                    gboolean exclude_zeros, gint64 *counts)
{
  g_return_val_if_fail (counts != NULL || n_bins <= 0, 0);
  if (n_bins <= 0)
    return 0;
  memset (counts, 0, sizeof (gint64) * n_bins);
  if (data == NULL || !(hi > lo) || !isfinite (lo) || !isfinite (hi))
    return 0;
  gint64 counted = 0;
  double width = (hi - lo) / n_bins;
  for (gint64 i = 0; i < n; i++) {
    double v = data[i];
    if (!isfinite (v) || v < lo || v > hi || (exclude_zeros && v == 0.0))
      continue;
    gint b = (gint) floor ((v - lo) / width);
    b = CLAMP (b, 0, n_bins - 1);
    counts[b]++;
    counted++;
  }
  return counted;
}

static char *
format_count (double v)
{
  return g_strdup_printf ("%.0f", v);
}

void
pl_histogram_figure_draw (cairo_t *cr, double width, double height,
                          const PlHistogramFigure *fig)
{
  g_return_if_fail (cr != NULL);
  g_return_if_fail (fig != NULL);
  cairo_save (cr);
  PlFigureFrame f;
  if (!pl_figure_frame (cr, width, height, fig->title, fig->caption, fig->dark, TRUE, &f)) {
    cairo_restore (cr);
    return;
  }
  const PlTheme *th = &f.th;
  double s = f.s, ts = 0.85 * s, tick_len = 0.35 * s, w, h, line_h;
  gint n_sets = CLAMP (fig->n_sets, 0, PL_HISTOGRAM_MAX_SETS);
  gint n_bins = fig->n_bins > 0 ? MIN (fig->n_bins, 10000) : 60;

  /* bins */
  double lo = fig->lo, hi = fig->hi;
  if (!(isfinite (lo) && isfinite (hi) && lo < hi)) {
    lo = INFINITY;
    hi = -INFINITY;
    for (gint k = 0; k < n_sets; k++)
      for (gint64 i = 0; fig->data[k] != NULL && i < fig->n[k]; i++) {
        double v = fig->data[k][i];
        if (!isfinite (v) || (fig->exclude_zeros && v == 0.0))
          continue;
        lo = MIN (lo, v);
        hi = MAX (hi, v);
      }
    if (!(lo <= hi)) {
      lo = 0.0;
      hi = 1.0;
    }
    if (hi - lo < 1e-12 * MAX (1.0, fabs (hi))) {
      lo -= 0.5;
      hi += 0.5;
    }
  }
  g_autofree gint64 *counts = g_new0 (gint64, (gsize) MAX (n_sets, 1) * n_bins);
  gint64 zeros[PL_HISTOGRAM_MAX_SETS] = { 0 };
  double cmax = 0.0;
  for (gint k = 0; k < n_sets; k++) {
    pl_histogram_count (fig->data[k], fig->n[k], lo, hi, n_bins, fig->exclude_zeros,
                        counts + (gint64) k * n_bins);
    for (gint64 i = 0; fig->exclude_zeros && fig->data[k] != NULL && i < fig->n[k]; i++)
      zeros[k] += fig->data[k][i] == 0.0f;
    for (gint b = 0; b < n_bins; b++)
      cmax = MAX (cmax, (double) counts[(gint64) k * n_bins + b]);
  }

  /* axes */
  double y0, y1, yt[32], ystep;
  gint n_yt;
  if (fig->log_y) {
    y0 = 0.0;                               /* log10 of 1 */
    y1 = MAX (1.0, ceil (log10 (MAX (cmax, 1.0)) + 1e-9));
    if (y1 <= log10 (MAX (cmax, 1.0)) + 0.05)
      y1 += 1.0;
    n_yt = 0;
    for (gint k = 0; k <= (gint) y1 && n_yt < 32; k++)
      yt[n_yt++] = k;
    ystep = 1.0;
  } else {
    y0 = 0.0;
    y1 = MAX (cmax * 1.05, 1.0);
    n_yt = pl_nice_ticks (y0, y1, 6, yt, 32, &ystep);
  }
  pl_text_extents (cr, "0", ts, FALSE, 0, &w, &line_h);
  double ytw = 0.0;
  for (gint i = 0; i < n_yt; i++) {
    g_autofree char *txt = fig->log_y ? g_strdup_printf (yt[i] <= 3 ? "%.0f" : "1e%.0f",
                                                         yt[i] <= 3 ? pow (10, yt[i]) : yt[i])
                                      : format_count (yt[i]);
    pl_text_extents (cr, txt, ts, FALSE, 0, &w, &h);
    ytw = MAX (ytw, w);
  }
  const char *ylab = fig->y_label != NULL ? fig->y_label
                     : (fig->log_y ? _("count (log scale)") : _("count"));
  double ylab_h = 0.0, xlab_h = 0.0;
  if (*ylab != '\0')
    pl_text_extents (cr, ylab, 0.9 * s, FALSE, 0, &w, &ylab_h);
  if (fig->x_label != NULL && *fig->x_label != '\0')
    pl_text_extents (cr, fig->x_label, 0.9 * s, FALSE, 0, &w, &xlab_h);
  double pl = f.left + (ylab_h > 0 ? ylab_h + 0.4 * s : 0.0) + ytw + tick_len + 0.25 * s;
  double pb = f.bottom - (xlab_h > 0 ? xlab_h + 0.3 * s : 0.0) - line_h - tick_len - 0.2 * s;
  /* legend: one row of swatches and names right-aligned above the plot */
  gint n_legend = 0;
  double legend_w = 0.0;
  /* NULL-terminated, freed on every return (also the early one for a tiny area) */
  g_auto (GStrv) labels = g_new0 (char *, n_sets + 1);
  for (gint k = 0; k < n_sets; k++) {
    const char *nm = fig->names[k] != NULL ? fig->names[k] : "";
    if (fig->exclude_zeros && zeros[k] > 0)
      {
        g_autofree char *count = g_strdup_printf ("%" G_GINT64_FORMAT, zeros[k]);
        labels[k] = g_strdup_printf (_("%s (%s zeros not shown)"), nm, count);
      }
    else
      labels[k] = g_strdup (nm);
    if (*labels[k] == '\0')
      continue;
    pl_text_extents (cr, labels[k], ts, FALSE, 0, &w, &h);
    legend_w += 1.0 * s + 0.35 * s + w + (n_legend > 0 ? 1.1 * s : 0.0);
    n_legend++;
  }
  double legend_h = n_legend > 0 ? line_h + 0.6 * s : 0.0;
  double pt = f.top + legend_h + line_h / 2.0, pr = f.right - 1.2 * s;
  if (pr - pl < 3 * s || pb - pt < 3 * s) {
    cairo_restore (cr);
    return;
  }
  double xt[32], xstep;
  gint n_xt = pl_nice_ticks (lo, hi, MAX (2, MIN (8, (gint) ((pr - pl) / (6 * ts)))), xt, 32,
                             &xstep);
#define UX(v) (pl + ((v) - lo) / (hi - lo) * (pr - pl))
#define UY(v) (pb - ((v) - y0) / (y1 - y0) * (pb - pt))

  cairo_set_line_width (cr, 0.6);
  pl_set_rgb (cr, th->grid);
  for (gint i = 0; i < n_yt; i++) {
    cairo_move_to (cr, pl, UY (yt[i]));
    cairo_line_to (cr, pr, UY (yt[i]));
  }
  cairo_stroke (cr);

  /* histograms: fills first, then outlines on top */
  for (int pass = 0; pass < 2; pass++)
    for (gint k = 0; k < n_sets; k++) {
      double rgb[3];
      pl_palette_color (k, fig->dark, rgb);
      const gint64 *ck = counts + (gint64) k * n_bins;
      gboolean open = FALSE;
      for (gint b = 0; b < n_bins; b++) {
        double c = (double) ck[b];
        double yv = fig->log_y ? (c > 0 ? log10 (c) : NAN) : c;
        double xa = UX (lo + (hi - lo) * b / n_bins), xb = UX (lo + (hi - lo) * (b + 1) / n_bins);
        if (pass == 0) {
          if (!isfinite (yv) || c <= 0)
            continue;
          cairo_rectangle (cr, xa, UY (yv), xb - xa + 0.01, pb - UY (yv));
        } else {
          if (!isfinite (yv) || c <= 0) {
            if (open) {
              cairo_line_to (cr, xa, pb);
              open = FALSE;
            }
            continue;
          }
          if (!open) {
            cairo_move_to (cr, xa, pb);
            open = TRUE;
          }
          cairo_line_to (cr, xa, UY (yv));
          cairo_line_to (cr, xb, UY (yv));
          if (b == n_bins - 1)
            cairo_line_to (cr, xb, pb);
        }
      }
      if (pass == 0) {
        cairo_set_source_rgba (cr, rgb[0], rgb[1], rgb[2], 0.35);
        cairo_fill (cr);
      } else {
        pl_set_rgb (cr, rgb);
        cairo_set_line_width (cr, MAX (1.0, 0.11 * s));
        cairo_set_line_join (cr, CAIRO_LINE_JOIN_MITER);
        cairo_stroke (cr);
      }
    }

  /* spines, ticks, labels */
  cairo_set_line_width (cr, 0.8);
  pl_set_rgb (cr, th->fg);
  cairo_move_to (cr, pl, pt);
  cairo_line_to (cr, pl, pb);
  cairo_line_to (cr, pr, pb);
  for (gint i = 0; i < n_yt; i++) {
    cairo_move_to (cr, pl, UY (yt[i]));
    cairo_line_to (cr, pl - tick_len, UY (yt[i]));
  }
  for (gint i = 0; i < n_xt; i++) {
    cairo_move_to (cr, UX (xt[i]), pb);
    cairo_line_to (cr, UX (xt[i]), pb + tick_len);
  }
  cairo_stroke (cr);
  pl_set_rgb (cr, th->muted);
  for (gint i = 0; i < n_yt; i++) {
    g_autofree char *txt = fig->log_y ? g_strdup_printf (yt[i] <= 3 ? "%.0f" : "1e%.0f",
                                                         yt[i] <= 3 ? pow (10, yt[i]) : yt[i])
                                      : format_count (yt[i]);
    pl_draw_text (cr, pl - tick_len - 0.25 * s, UY (yt[i]), txt, ts, 1.0, 0.5);
  }
  for (gint i = 0; i < n_xt; i++) {
    g_autofree char *txt = pl_format_tick (xt[i], xstep);
    pl_draw_text (cr, UX (xt[i]), pb + tick_len + 0.2 * s, txt, ts, 0.5, 0.0);
  }
  pl_set_rgb (cr, th->fg);
  if (xlab_h > 0)
    pl_draw_text_full (cr, (pl + pr) / 2.0, f.bottom, fig->x_label, 0.9 * s, FALSE, 0, 0.5, 1.0);
  if (ylab_h > 0)
    pl_draw_text_vertical (cr, f.left + ylab_h / 2.0, (pt + pb) / 2.0, ylab, 0.9 * s);

  if (n_legend > 0) {
    double lx = pr - legend_w, ly = f.top + line_h / 2.0, sw = 1.0 * s;
    for (gint k = 0; k < n_sets; k++) {
      if (*labels[k] == '\0')
        continue;
      double rgb[3];
      pl_palette_color (k, fig->dark, rgb);
      cairo_set_source_rgba (cr, rgb[0], rgb[1], rgb[2], 0.35);
      cairo_rectangle (cr, lx, ly - 0.4 * line_h, sw, 0.8 * line_h);
      cairo_fill_preserve (cr);
      pl_set_rgb (cr, rgb);
      cairo_set_line_width (cr, MAX (1.0, 0.11 * s));
      cairo_stroke (cr);
      lx += sw + 0.35 * s;
      pl_set_rgb (cr, th->fg);
      pl_text_extents (cr, labels[k], ts, FALSE, 0, &w, &h);
      pl_draw_text (cr, lx, ly, labels[k], ts, 0.0, 0.5);
      lx += w + 1.1 * s;
    }
  }
#undef UX
#undef UY
  cairo_restore (cr);
}
