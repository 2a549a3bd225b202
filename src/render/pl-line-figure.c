/* pl-line-figure.c — line plots with confidence bands, legend, labelled axes (matplotlib's
 * look: left and bottom spines, outward ticks, light grid, legend in the emptiest corner).
 */
#include "pl-figure-util.h"

#include <math.h>
#include <string.h>

#define MAX_TICKS 32

typedef struct {
  PlFigureFrame f;
  double x0, x1;            /* transformed x range */
  double y0, y1;            /* y range */
  double plot_l, plot_r, plot_t, plot_b;
  PlAxisScale ys;
  gint n_xt, n_yt;
  double xt[MAX_TICKS], yt[MAX_TICKS];   /* x ticks in data units */
  double xt_cx[MAX_TICKS];                /* centre of each x tick label */
  gint xt_cat[MAX_TICKS];                 /* categorical label index or -1 */
  double x_step, y_step;
  gboolean ok;
} LineLayout;

static double
tx (PlAxisScale scale, double x)
{
  switch (scale) {
  case PL_AXIS_LOG:
    return x > 0 ? log10 (x) : NAN;
  case PL_AXIS_LOG_COMPLEMENT:
    return x < 1.0 ? -log10 (1.0 - x) : NAN;
  case PL_AXIS_LINEAR:
  default:
    return x;
  }
}

/* A tick label: percentages with the decimals the value needs (≤ 3), else by step. */
static char *
format_tick (double v, double step, gboolean percent, PlAxisScale scale)
{
  if (percent) {
    double p = v * 100.0;
    int dec = 0;
    while (dec < 3 && fabs (p * pow (10, dec) - round (p * pow (10, dec))) > 1e-6)
      dec++;
    if (fabs (p) < 1e-9)
      p = 0.0;
    char *num = g_strdup_printf ("%.*f", dec, p);
    if (p < 0) {
      char *t = g_strdup_printf ("−%s", num + 1);
      g_free (num);
      num = t;
    }
    char *out = g_strdup_printf ("%s %%", num);
    g_free (num);
    return out;
  }
  if (scale == PL_AXIS_LOG) {
    /* decades: 0.001, 0.01, 0.1, 1, 10, 100, 1000, then 10^k */
    double k = log10 (v);
    if (fabs (k - round (k)) < 1e-9 && fabs (k) > 3.5)
      return g_strdup_printf ("10^%d", (int) round (k));
    return g_strdup_printf ("%g", v);
  }
  if (scale == PL_AXIS_LOG_COMPLEMENT)
    return g_strdup_printf ("%g", v);
  return pl_format_tick (v, step);
}

static double
ty (PlAxisScale scale, double y)
{
  if (scale == PL_AXIS_LOG)
    return y > 0 ? log10 (y) : NAN;
  return y;
}

/* Point i: x in axis space (transformed), y in data units; FALSE if it cannot be shown. */
static gboolean
series_point (const PlLineSeries *s, gint i, PlAxisScale scale, PlAxisScale yscale,
              double *x, double *y)
{
  *x = tx (scale, s->x[i]);
  *y = s->y[i];
  return isfinite (*x) && isfinite (ty (yscale, *y));
}

static gboolean
categorical (const PlLineFigure *fig)
{
  return fig->x_tick_labels != NULL && fig->n_x_tick_labels > 0 &&
         fig->x_scale == PL_AXIS_LINEAR;
}

/* Candidate ticks of the complement-log axis in order of priority. */
static const double complement_ticks[] = {
  0.0, 0.9, 0.99, 0.999, 0.9999, 0.99999, 0.5, 0.95, 0.995, 0.9995, 0.8, 0.98, 0.998, 0.9998,
};

typedef struct {
  double value, cx;
  gint cat;
} XTick;

static int
compare_xtick (const void *a, const void *b)
{
  double x = ((const XTick *) a)->value, y = ((const XTick *) b)->value;
  return (x > y) - (x < y);
}

/* The text of x tick value v (cat ≥ 0: the categorical label cat). */
static char *
x_tick_text (const PlLineFigure *fig, double v, gint cat, double step)
{
  if (cat >= 0)
    return g_strdup (fig->x_tick_labels[cat] != NULL ? fig->x_tick_labels[cat] : "");
  return format_tick (v, step, fig->x_percent, fig->x_scale);
}

/* x ticks: nice ticks (linear), decades (log), the priority list (complement) or the
 * categories, kept in priority order where their labels do not collide; a label is moved
 * inwards (cx) where it would leave the figure. */
static void
x_ticks (cairo_t *cr, const PlLineFigure *fig, LineLayout *L, double pw, double ts)
{
  PlAxisScale sc = fig->x_scale;
  L->n_xt = 0;
  L->x_step = 1.0;
  double cand[64];
  gint cat[64];
  gint nc = 0;
  if (categorical (fig)) {
    /* first, last, then every other by halving */
    gint n = fig->n_x_tick_labels;
    gboolean used[64] = { FALSE };
    gint order_n = MIN (n, 64);
    for (gint stride = 1 << 6; stride >= 1 && nc < 64; stride /= 2)
      for (gint i = 0; i < order_n && nc < 64; i += stride)
        if (!used[i]) {
          used[i] = TRUE;
          cand[nc] = i;
          cat[nc++] = i;
        }
    if (n - 1 < 64 && !used[n - 1]) {
      cand[nc] = n - 1;
      cat[nc++] = n - 1;
    }
  } else if (sc == PL_AXIS_LINEAR) {
    double t[MAX_TICKS];
    gint n = pl_nice_ticks (L->x0, L->x1, MAX (2, MIN (8, (gint) (pw / (6 * ts)))), t,
                            MAX_TICKS, &L->x_step);
    for (gint i = 0; i < n; i++) {
      cand[nc] = t[i];
      cat[nc++] = -1;
    }
  } else if (sc == PL_AXIS_LOG) {
    gint k0 = (gint) ceil (L->x0 - 1e-9), k1 = (gint) floor (L->x1 + 1e-9);
    gint stride = MAX (1, (k1 - k0 + 1) / 8 + 1);
    for (gint k = k0; k <= k1 && nc < 64; k += stride) {
      cat[nc] = -1;
      cand[nc++] = pow (10.0, k);
    }
    if (nc < 2)    /* less than a decade: 2 and 5 too */
      for (gint k = (gint) floor (L->x0) ; k <= (gint) ceil (L->x1) && nc < 60; k++) {
        double m[3] = { 1, 2, 5 };
        for (int j = 0; j < 3; j++) {
          double v = m[j] * pow (10.0, k);
          double t = log10 (v);
          if (t >= L->x0 - 1e-9 && t <= L->x1 + 1e-9 && j > 0) {
            cat[nc] = -1;
            cand[nc++] = v;
          }
        }
      }
  } else {
    for (guint i = 0; i < G_N_ELEMENTS (complement_ticks); i++) {
      cat[nc] = -1;
      cand[nc++] = complement_ticks[i];
    }
  }
  /* keep in priority order where the label fits between its neighbours */
  XTick kept[MAX_TICKS];
  double half[MAX_TICKS];
  gint nk = 0;
  for (gint i = 0; i < nc && nk < MAX_TICKS; i++) {
    double t = tx (sc, cand[i]);
    if (!(t >= L->x0 - 1e-9 && t <= L->x1 + 1e-9))
      continue;
    double p = L->plot_l + (t - L->x0) / (L->x1 - L->x0) * pw;
    g_autofree char *txt = x_tick_text (fig, cand[i], cat[i], L->x_step);
    double w, h;
    pl_text_extents (cr, txt, ts, FALSE, 0, &w, &h);
    if (w > L->f.right - L->f.left)
      continue;
    double cx = CLAMP (p, L->f.left + w / 2.0, L->f.right - w / 2.0);
    gboolean clash = FALSE;
    for (gint j = 0; j < nk && !clash; j++)
      clash = fabs (kept[j].cx - cx) < half[j] + w / 2.0 + 0.8 * ts;
    if (clash)
      continue;
    half[nk] = w / 2.0;
    kept[nk++] = (XTick) { cand[i], cx, cat[i] };
  }
  qsort (kept, nk, sizeof (XTick), compare_xtick);
  for (gint i = 0; i < nk; i++) {
    L->xt[i] = kept[i].value;
    L->xt_cx[i] = kept[i].cx;
    L->xt_cat[i] = kept[i].cat;
  }
  L->n_xt = nk;
}

static void
compute_layout (cairo_t *cr, double width, double height, const PlLineFigure *fig,
                LineLayout *L, gboolean draw)
{
  memset (L, 0, sizeof *L);
  L->ys = fig->y_scale == PL_AXIS_LOG ? PL_AXIS_LOG : PL_AXIS_LINEAR;
  L->ok = pl_figure_frame_full (cr, width, height, fig->title, fig->caption, fig->dark, draw,
                                fig->font_size, &L->f);
  if (!L->ok)
    return;
  double s = L->f.s;
  PlAxisScale sc = fig->x_scale;

  /* data ranges */
  double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
  gint n_series = CLAMP (fig->n_series, 0, PL_LINE_FIGURE_MAX_SERIES);
  for (gint k = 0; k < n_series; k++) {
    const PlLineSeries *se = &fig->series[k];
    if (se->x == NULL || se->y == NULL)
      continue;
    for (gint i = 0; i < se->n; i++) {
      double x, y;
      if (!series_point (se, i, sc, L->ys, &x, &y))
        continue;
      xmin = MIN (xmin, x);
      xmax = MAX (xmax, x);
      ymin = MIN (ymin, ty (L->ys, y));
      ymax = MAX (ymax, ty (L->ys, y));
      if (se->lo != NULL && isfinite (ty (L->ys, se->lo[i])))
        ymin = MIN (ymin, ty (L->ys, se->lo[i]));
      if (se->hi != NULL && isfinite (ty (L->ys, se->hi[i])))
        ymax = MAX (ymax, ty (L->ys, se->hi[i]));
    }
  }
  if (categorical (fig)) {
    xmin = MIN (xmin, 0.0);
    xmax = MAX (xmax, fig->n_x_tick_labels - 1.0);
  }
  if (!(xmin <= xmax)) {
    xmin = tx (sc, sc == PL_AXIS_LOG ? 1.0 : 0.0);
    xmax = xmin + 1.0;
  }
  if (xmax - xmin < 1e-12 * MAX (1.0, fabs (xmax))) {
    xmin -= 0.5;
    xmax += 0.5;
  }
  double xpad = 0.04 * (xmax - xmin);
  L->x0 = xmin - xpad;
  L->x1 = xmax + xpad;
  if (sc == PL_AXIS_LOG_COMPLEMENT && xmin >= 0.0 && L->x0 < 0.0)
    L->x0 = MIN (-xpad, 0.0);

  gboolean fixed_y = isfinite (fig->y_min) && isfinite (fig->y_max) && fig->y_min < fig->y_max;
  if (fixed_y && isfinite (ty (L->ys, fig->y_min))) {
    L->y0 = ty (L->ys, fig->y_min);
    L->y1 = ty (L->ys, fig->y_max);
  } else {
    if (!(ymin <= ymax)) {
      ymin = 0.0;
      ymax = 1.0;
    }
    if (ymax - ymin < 1e-12 * MAX (1.0, fabs (ymax))) {
      double d = fabs (ymax) > 0 ? 0.1 * fabs (ymax) : 1.0;
      ymin -= d;
      ymax += d;
    }
    double ypad = 0.05 * (ymax - ymin);
    L->y0 = ymin - ypad;
    L->y1 = ymax + ypad;
  }

  double ts = 0.85 * s, w, line_h;
  pl_text_extents (cr, "0", ts, FALSE, 0, &w, &line_h);
  if (L->ys == PL_AXIS_LOG) {
    /* decades; with less than two of them 2 and 5 as well */
    L->n_yt = 0;
    L->y_step = 1.0;
    gint k0 = (gint) floor (L->y0), k1 = (gint) ceil (L->y1);
    gint stride = MAX (1, (k1 - k0 + 1) / 7 + 1);
    gboolean fine = L->y1 - L->y0 < 2.0;
    for (gint k = k0; k <= k1 && L->n_yt < MAX_TICKS; k++) {
      const double m[3] = { 1, 2, 5 };
      for (int j = 0; j < (fine ? 3 : 1) && L->n_yt < MAX_TICKS; j++) {
        double t = log10 (m[j]) + k;
        if (t >= L->y0 - 1e-9 && t <= L->y1 + 1e-9 && (fine || (k - k0) % stride == 0))
          L->yt[L->n_yt++] = m[j] * pow (10.0, k);
      }
    }
  } else {
    L->n_yt = pl_nice_ticks (L->y0, L->y1, 6, L->yt, MAX_TICKS, &L->y_step);
  }
  double ytw = 0.0;
  for (gint i = 0; i < L->n_yt; i++) {
    g_autofree char *txt = format_tick (L->yt[i], L->y_step, fig->y_percent, L->ys);
    pl_text_extents (cr, txt, ts, FALSE, 0, &w, &line_h);
    ytw = MAX (ytw, w);
  }
  double ylab_h = 0.0, xlab_h = 0.0;
  if (fig->y_label != NULL && *fig->y_label != '\0')
    pl_text_extents (cr, fig->y_label, 0.9 * s, FALSE, 0, &w, &ylab_h);
  if (fig->x_label != NULL && *fig->x_label != '\0')
    pl_text_extents (cr, fig->x_label, 0.9 * s, FALSE, 0, &w, &xlab_h);
  double tick_len = 0.35 * s;
  L->plot_l = L->f.left + (ylab_h > 0 ? ylab_h + 0.4 * s : 0.0) + ytw + tick_len + 0.25 * s;
  L->plot_b = L->f.bottom - (xlab_h > 0 ? xlab_h + 0.3 * s : 0.0) - line_h - tick_len - 0.2 * s;
  L->plot_t = L->f.top + line_h / 2.0;
  L->plot_r = L->f.right - 1.2 * s;
  if (L->plot_r - L->plot_l < 3 * s || L->plot_b - L->plot_t < 3 * s) {
    L->ok = FALSE;
    return;
  }
  x_ticks (cr, fig, L, L->plot_r - L->plot_l, ts);
}

static double
ux (const LineLayout *L, double t)
{
  return L->plot_l + (t - L->x0) / (L->x1 - L->x0) * (L->plot_r - L->plot_l);
}

static double
uy (const LineLayout *L, double y)
{
  return L->plot_b - (ty (L->ys, y) - L->y0) / (L->y1 - L->y0) * (L->plot_b - L->plot_t);
}

gboolean
pl_line_figure_data_to_user (cairo_t *cr, double width, double height,
                             const PlLineFigure *figure, double x, double y, double *out_x,
                             double *out_y)
{
  g_return_val_if_fail (cr != NULL && figure != NULL, FALSE);
  LineLayout L;
  compute_layout (cr, width, height, figure, &L, FALSE);
  double t = tx (figure->x_scale, x);
  if (!L.ok || !isfinite (t) || !isfinite (ty (L.ys, y)))
    return FALSE;
  *out_x = ux (&L, t);
  *out_y = uy (&L, y);
  return TRUE;
}

static void
series_color (const PlLineFigure *fig, gint k, double rgb[3])
{
  gint c = fig->series[k].color >= 0 ? fig->series[k].color : k;
  pl_palette_color (c, fig->dark, rgb);
}

void
pl_line_figure_draw (cairo_t *cr, double width, double height, const PlLineFigure *fig)
{
  g_return_if_fail (cr != NULL);
  g_return_if_fail (fig != NULL);
  cairo_save (cr);
  LineLayout L;
  compute_layout (cr, width, height, fig, &L, TRUE);
  if (!L.ok) {
    cairo_restore (cr);
    return;
  }
  const PlTheme *th = &L.f.th;
  double s = L.f.s, ts = 0.85 * s, tick_len = 0.35 * s;
  PlAxisScale sc = fig->x_scale;
  gint n_series = CLAMP (fig->n_series, 0, PL_LINE_FIGURE_MAX_SERIES);

  /* grid */
  cairo_set_line_width (cr, 0.6);
  pl_set_rgb (cr, th->grid);
  for (gint i = 0; i < L.n_yt; i++) {
    double y = uy (&L, L.yt[i]);
    cairo_move_to (cr, L.plot_l, y);
    cairo_line_to (cr, L.plot_r, y);
  }
  for (gint i = 0; i < L.n_xt; i++) {
    double x = ux (&L, tx (sc, L.xt[i]));
    cairo_move_to (cr, x, L.plot_t);
    cairo_line_to (cr, x, L.plot_b);
  }
  cairo_stroke (cr);

  /* bands, then lines, clipped to the plot */
  cairo_save (cr);
  cairo_rectangle (cr, L.plot_l, L.plot_t, L.plot_r - L.plot_l, L.plot_b - L.plot_t);
  cairo_clip (cr);
  for (gint k = 0; k < n_series; k++) {
    const PlLineSeries *se = &fig->series[k];
    if (se->x == NULL || se->y == NULL || se->lo == NULL || se->hi == NULL)
      continue;
    double rgb[3];
    series_color (fig, k, rgb);
    gint i = 0;
    while (i < se->n) {
      /* a run of points with finite x, lo and hi */
      gint a = i;
      while (a < se->n && !(isfinite (tx (sc, se->x[a])) && isfinite (ty (L.ys, se->lo[a])) &&
                            isfinite (ty (L.ys, se->hi[a]))))
        a++;
      gint b = a;
      while (b < se->n && isfinite (tx (sc, se->x[b])) && isfinite (ty (L.ys, se->lo[b])) &&
             isfinite (ty (L.ys, se->hi[b])))
        b++;
      if (b - a >= 1) {
        for (gint j = a; j < b; j++) {
          double x = ux (&L, tx (sc, se->x[j]));
          if (j == a)
            cairo_move_to (cr, x, uy (&L, se->hi[j]));
          else
            cairo_line_to (cr, x, uy (&L, se->hi[j]));
        }
        for (gint j = b - 1; j >= a; j--)
          cairo_line_to (cr, ux (&L, tx (sc, se->x[j])), uy (&L, se->lo[j]));
        cairo_close_path (cr);
        cairo_set_source_rgba (cr, rgb[0], rgb[1], rgb[2], 0.2);
        cairo_fill (cr);
      }
      i = MAX (b, a + 1);
    }
  }
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_BUTT);
  for (gint k = 0; k < n_series; k++) {
    const PlLineSeries *se = &fig->series[k];
    if (se->x == NULL || se->y == NULL)
      continue;
    double rgb[3];
    series_color (fig, k, rgb);
    pl_set_rgb (cr, rgb);
    cairo_set_line_width (cr, MAX (1.0, 0.16 * s));
    if (se->dashed) {
      double d[2] = { 0.55 * s, 0.3 * s };
      cairo_set_dash (cr, d, 2, 0);
    } else {
      cairo_set_dash (cr, NULL, 0, 0);
    }
    gboolean pen = FALSE;
    for (gint i = 0; i < se->n; i++) {
      double x, y;
      if (!series_point (se, i, sc, L.ys, &x, &y)) {
        pen = FALSE;
        continue;
      }
      if (pen)
        cairo_line_to (cr, ux (&L, x), uy (&L, y));
      else
        cairo_move_to (cr, ux (&L, x), uy (&L, y));
      pen = TRUE;
    }
    cairo_stroke (cr);
    cairo_set_dash (cr, NULL, 0, 0);
    if (se->markers) {
      for (gint i = 0; i < se->n; i++) {
        double x, y;
        if (!series_point (se, i, sc, L.ys, &x, &y))
          continue;
        cairo_new_sub_path (cr);
        cairo_arc (cr, ux (&L, x), uy (&L, y), 0.28 * s, 0, 2 * G_PI);
      }
      cairo_fill (cr);
    }
  }
  cairo_restore (cr);

  /* spines and ticks */
  cairo_set_line_width (cr, 0.8);
  pl_set_rgb (cr, th->fg);
  cairo_move_to (cr, L.plot_l, L.plot_t);
  cairo_line_to (cr, L.plot_l, L.plot_b);
  cairo_line_to (cr, L.plot_r, L.plot_b);
  for (gint i = 0; i < L.n_yt; i++) {
    double y = uy (&L, L.yt[i]);
    cairo_move_to (cr, L.plot_l, y);
    cairo_line_to (cr, L.plot_l - tick_len, y);
  }
  for (gint i = 0; i < L.n_xt; i++) {
    double x = ux (&L, tx (sc, L.xt[i]));
    cairo_move_to (cr, x, L.plot_b);
    cairo_line_to (cr, x, L.plot_b + tick_len);
  }
  cairo_stroke (cr);
  pl_set_rgb (cr, th->muted);
  for (gint i = 0; i < L.n_yt; i++) {
    g_autofree char *txt = format_tick (L.yt[i], L.y_step, fig->y_percent, L.ys);
    pl_draw_text (cr, L.plot_l - tick_len - 0.25 * s, uy (&L, L.yt[i]), txt, ts, 1.0, 0.5);
  }
  for (gint i = 0; i < L.n_xt; i++) {
    g_autofree char *txt = x_tick_text (fig, L.xt[i], L.xt_cat[i], L.x_step);
    pl_draw_text (cr, L.xt_cx[i], L.plot_b + tick_len + 0.2 * s, txt, ts, 0.5, 0.0);
  }
  pl_set_rgb (cr, th->fg);
  if (fig->x_label != NULL && *fig->x_label != '\0')
    pl_draw_text_full (cr, (L.plot_l + L.plot_r) / 2.0, L.f.bottom, fig->x_label, 0.9 * s,
                       FALSE, 0, 0.5, 1.0);
  if (fig->y_label != NULL && *fig->y_label != '\0') {
    double w, h;
    pl_text_extents (cr, fig->y_label, 0.9 * s, FALSE, 0, &w, &h);
    pl_draw_text_vertical (cr, L.f.left + h / 2.0, (L.plot_t + L.plot_b) / 2.0, fig->y_label,
                           0.9 * s);
  }

  /* legend in the corner of the plot that covers the fewest points */
  gint n_legend = 0;
  double lw = 0.0, w, h, line_h;
  pl_text_extents (cr, "Ag", ts, FALSE, 0, &w, &line_h);
  for (gint k = 0; k < n_series; k++)
    if (fig->series[k].name != NULL && *fig->series[k].name != '\0') {
      pl_text_extents (cr, fig->series[k].name, ts, FALSE, 0, &w, &h);
      lw = MAX (lw, w);
      n_legend++;
    }
  if (n_legend > 0) {
    double sw = 1.8 * s, pad = 0.45 * s, row = line_h * 1.15;
    double bw = pad + sw + 0.45 * s + lw + pad, bh = 2 * pad + n_legend * row - (row - line_h);
    double inset = 0.5 * s;
    double corners[4][2] = {
      { L.plot_r - inset - bw, L.plot_t + inset },   /* upper right */
      { L.plot_l + inset, L.plot_t + inset },        /* upper left */
      { L.plot_r - inset - bw, L.plot_b - inset - bh },
      { L.plot_l + inset, L.plot_b - inset - bh },
    };
    gint best = 0;
    gint64 best_hits = G_MAXINT64;
    for (gint c = 0; c < 4; c++) {
      gint64 hits = 0;
      double cx0 = corners[c][0], cy0 = corners[c][1];
      for (gint k = 0; k < n_series; k++) {
        const PlLineSeries *se = &fig->series[k];
        if (se->x == NULL || se->y == NULL)
          continue;
        /* sample the polyline densely, bands count half */
        for (gint i = 0; i < se->n; i++) {
          double x, y;
          if (!series_point (se, i, sc, L.ys, &x, &y))
            continue;
          double x2 = x, y2 = y;
          if (i + 1 < se->n && !series_point (se, i + 1, sc, L.ys, &x2, &y2)) {
            x2 = x;
            y2 = y;
          }
          for (int t = 0; t < 16; t++) {
            double u = t / 16.0;
            double px = ux (&L, x + u * (x2 - x)), py = uy (&L, y + u * (y2 - y));
            if (px >= cx0 && px <= cx0 + bw && py >= cy0 && py <= cy0 + bh)
              hits += 2;
            if (se->lo != NULL && se->hi != NULL && isfinite (se->lo[i]) &&
                isfinite (se->hi[i])) {
              double pl = uy (&L, se->lo[i]), ph = uy (&L, se->hi[i]);
              if (px >= cx0 && px <= cx0 + bw && ph <= cy0 + bh && pl >= cy0)
                hits += 1;
            }
          }
        }
      }
      if (hits < best_hits) {
        best_hits = hits;
        best = c;
      }
    }
    double bx = corners[best][0], by = corners[best][1];
    cairo_set_source_rgba (cr, th->bg[0], th->bg[1], th->bg[2], 0.85);
    cairo_rectangle (cr, bx, by, bw, bh);
    cairo_fill_preserve (cr);
    pl_set_rgb (cr, th->grid);
    cairo_set_line_width (cr, 0.8);
    cairo_stroke (cr);
    double y = by + pad + line_h / 2.0;
    for (gint k = 0; k < n_series; k++) {
      const PlLineSeries *se = &fig->series[k];
      if (se->name == NULL || *se->name == '\0')
        continue;
      double rgb[3];
      series_color (fig, k, rgb);
      double x = bx + pad;
      if (se->lo != NULL && se->hi != NULL) {
        cairo_set_source_rgba (cr, rgb[0], rgb[1], rgb[2], 0.2);
        cairo_rectangle (cr, x, y - 0.35 * line_h, sw, 0.7 * line_h);
        cairo_fill (cr);
      }
      pl_set_rgb (cr, rgb);
      cairo_set_line_width (cr, MAX (1.0, 0.16 * s));
      if (se->dashed) {
        double d[2] = { 0.55 * s, 0.3 * s };
        cairo_set_dash (cr, d, 2, 0);
      }
      cairo_move_to (cr, x, y);
      cairo_line_to (cr, x + sw, y);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      if (se->markers) {
        cairo_arc (cr, x + sw / 2.0, y, 0.28 * s, 0, 2 * G_PI);
        cairo_fill (cr);
      }
      pl_set_rgb (cr, th->fg);
      pl_draw_text (cr, x + sw + 0.45 * s, y, se->name, ts, 0.0, 0.5);
      y += row;
    }
  }
  cairo_restore (cr);
}
