/* pl-matrix-figure.c — a matrix of coloured cells with its values printed in them (a
 * confusion matrix, per-layer sparsity), row and column names, axis labels, a colorbar. */
#include "pl-figure-util.h"

#include <math.h>
#include <string.h>

typedef struct {
  PlFigureFrame f;
  double vmin, vmax;
  double x, y, cell;        /* top-left of the matrix and the cell size */
  double name_s;            /* text size of row / column names */
  gboolean rotate;          /* column names at 45° */
  double row_w, col_w;      /* widths the row / column names are shortened to */
  double cb_x, cb_w;
  gboolean ok;
} MatrixLayout;

static const char *
name_at (const char *const *names, gint i)
{
  return names != NULL && names[i] != NULL ? names[i] : NULL;
}

static void
value_range (const PlMatrixFigure *fig, double *vmin, double *vmax)
{
  PlColorScale sc = fig->scale;
  if (isfinite (sc.vmin) && isfinite (sc.vmax) && sc.vmin < sc.vmax) {
    *vmin = sc.vmin;
    *vmax = sc.vmax;
    return;
  }
  double lo = INFINITY, hi = -INFINITY;
  gint64 n = (gint64) MAX (fig->n_rows, 0) * MAX (fig->n_cols, 0);
  for (gint64 i = 0; fig->values != NULL && i < n; i++)
    if (isfinite (fig->values[i])) {
      lo = MIN (lo, fig->values[i]);
      hi = MAX (hi, fig->values[i]);
    }
  if (!(lo <= hi)) {
    lo = 0.0;
    hi = 1.0;
  }
  *vmin = lo < 0 ? lo : 0.0;
  *vmax = hi;
  if (sc.colormap == PL_COLORMAP_DIVERGING) {
    double m = MAX (fabs (lo), fabs (hi));
    *vmin = -m;
    *vmax = m;
  }
  pl_sanitize_range (sc.colormap, vmin, vmax);
}

static void
compute_layout (cairo_t *cr, double width, double height, const PlMatrixFigure *fig,
                MatrixLayout *L, gboolean draw)
{
  memset (L, 0, sizeof *L);
  L->ok = pl_figure_frame (cr, width, height, fig->title, fig->caption, fig->dark, draw, &L->f);
  gint R = fig->n_rows, C = fig->n_cols;
  if (!L->ok || R <= 0 || C <= 0 || fig->values == NULL) {
    L->ok = FALSE;
    return;
  }
  double s = L->f.s, w, h;
  value_range (fig, &L->vmin, &L->vmax);
  L->name_s = 0.85 * s;
  double row_w = 0.0, col_w = 0.0, line_h;
  pl_text_extents (cr, "Ag", L->name_s, FALSE, 0, &w, &line_h);
  for (gint r = 0; r < R; r++) {
    pl_text_extents (cr, name_at (fig->row_names, r), L->name_s, FALSE, 0, &w, &h);
    row_w = MAX (row_w, w);
  }
  for (gint c = 0; c < C; c++) {
    pl_text_extents (cr, name_at (fig->col_names, c), L->name_s, FALSE, 0, &w, &h);
    col_w = MAX (col_w, w);
  }
  row_w = MIN (row_w, 0.3 * (L->f.right - L->f.left));
  /* column names take at most a third of the height (rotated: their diagonal) */
  col_w = MIN (col_w, (L->f.bottom - L->f.top) / 3.0 / M_SQRT1_2);
  L->row_w = row_w;
  double rl_h = 0.0, cl_h = 0.0;
  if (fig->row_label != NULL && *fig->row_label != '\0')
    pl_text_extents (cr, fig->row_label, 0.9 * s, FALSE, 0, &w, &rl_h);
  if (fig->col_label != NULL && *fig->col_label != '\0')
    pl_text_extents (cr, fig->col_label, 0.9 * s, FALSE, 0, &w, &cl_h);
  L->cb_w = pl_colorbar_width (cr, L->vmin, L->vmax, fig->scale.label, s);

  double left = L->f.left + (rl_h > 0 ? rl_h + 0.4 * s : 0.0) + (row_w > 0 ? row_w + 0.4 * s : 0);
  double avail_w = L->f.right - left - L->cb_w;
  /* column names flat if they fit in a cell, else at 45° */
  double cell = avail_w / C;
  L->rotate = col_w > 0.92 * cell;
  if (!L->rotate)
    col_w = MIN (col_w, cell);
  double names_h = col_w > 0 ? (L->rotate ? (col_w + line_h) * M_SQRT1_2 : line_h) + 0.35 * s
                             : 0.0;
  double avail_h = L->f.bottom - L->f.top - names_h - (cl_h > 0 ? cl_h + 0.3 * s : 0.0);
  cell = MIN (cell, avail_h / R);
  if (cell < 2.0) {
    L->ok = FALSE;
    return;
  }
  L->cell = cell;
  /* centre the block (row names + matrix + colorbar) horizontally */
  double block = C * cell + L->cb_w;
  double extra = MAX (0.0, avail_w + L->cb_w - block);
  L->x = left + extra / 2.0;
  L->y = L->f.top + MAX (0.0, (avail_h - R * cell) / 2.0);
  L->cb_x = L->x + C * cell;
  /* rotated names run down to the left from their column: the first must not leave the
   * figure */
  if (L->rotate)
    col_w = MIN (col_w, (L->x + 0.5 * cell - L->f.left) / M_SQRT1_2 - line_h);
  L->col_w = MAX (col_w, 0.0);
}

gboolean
pl_matrix_figure_cell_rect (cairo_t *cr, double width, double height,
                            const PlMatrixFigure *figure, gint r, gint c, double rect[4])
{
  g_return_val_if_fail (cr != NULL && figure != NULL && rect != NULL, FALSE);
  MatrixLayout L;
  compute_layout (cr, width, height, figure, &L, FALSE);
  if (!L.ok || r < 0 || c < 0 || r >= figure->n_rows || c >= figure->n_cols)
    return FALSE;
  rect[0] = L.x + c * L.cell;
  rect[1] = L.y + r * L.cell;
  rect[2] = rect[3] = L.cell;
  return TRUE;
}

/* WCAG 2 relative luminance of an sRGB colour. */
static double
luminance (const double rgb[3])
{
  double l[3];
  for (int k = 0; k < 3; k++)
    l[k] = rgb[k] <= 0.04045 ? rgb[k] / 12.92 : pow ((rgb[k] + 0.055) / 1.055, 2.4);
  return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
}

void
pl_matrix_figure_draw (cairo_t *cr, double width, double height, const PlMatrixFigure *fig)
{
  g_return_if_fail (cr != NULL);
  g_return_if_fail (fig != NULL);
  cairo_save (cr);
  MatrixLayout L;
  compute_layout (cr, width, height, fig, &L, TRUE);
  if (!L.ok) {
    cairo_restore (cr);
    return;
  }
  const PlTheme *th = &L.f.th;
  double s = L.f.s, cell = L.cell, w, h;
  gint R = fig->n_rows, C = fig->n_cols;
  double range = L.vmax - L.vmin;

  /* cells (rectangles: crisp on every surface) */
  for (gint r = 0; r < R; r++)
    for (gint c = 0; c < C; c++) {
      double v = fig->values[(gint64) r * C + c];
      if (!isfinite (v))
        continue;
      double rgb[3];
      pl_colormap_lookup (fig->scale.colormap, (v - L.vmin) / range, rgb);
      pl_set_rgb (cr, rgb);
      /* a hair of overlap hides seams between neighbouring cells in vector viewers */
      double ov = c + 1 < C ? 0.25 : 0.0, oh = r + 1 < R ? 0.25 : 0.0;
      cairo_rectangle (cr, L.x + c * cell, L.y + r * cell, cell + ov, cell + oh);
      cairo_fill (cr);
    }
  cairo_set_line_width (cr, 0.6);
  cairo_set_source_rgba (cr, th->fg[0], th->fg[1], th->fg[2], 0.6);
  cairo_rectangle (cr, L.x, L.y, C * cell, R * cell);
  cairo_stroke (cr);

  /* values */
  if (fig->show_values) {
    gint dec = CLAMP (fig->decimals, 0, 6);
    /* one text size for all cells: the widest value fits in 85 % of a cell */
    double vs = MIN (1.0 * s, 0.42 * cell);
    double maxw = 0.0;
    for (gint64 i = 0; i < (gint64) R * C; i++)
      if (isfinite (fig->values[i])) {
        g_autofree char *txt = g_strdup_printf ("%.*f", dec, fig->values[i]);
        pl_text_extents (cr, txt, vs, FALSE, 0, &w, &h);
        maxw = MAX (maxw, w);
      }
    if (maxw > 0.85 * cell)
      vs *= 0.85 * cell / maxw;
    if (vs >= 3.0)
      for (gint r = 0; r < R; r++)
        for (gint c = 0; c < C; c++) {
          double v = fig->values[(gint64) r * C + c];
          if (!isfinite (v))
            continue;
          double rgb[3];
          pl_colormap_lookup (fig->scale.colormap, (v - L.vmin) / range, rgb);
          double lum = luminance (rgb);
          gboolean white = 1.05 / (lum + 0.05) > (lum + 0.05) / 0.05;
          if (white)
            cairo_set_source_rgb (cr, 1, 1, 1);
          else
            cairo_set_source_rgb (cr, 0, 0, 0);
          g_autofree char *txt = g_strdup_printf ("%.*f", dec, v);
          if (v < 0) {
            char *t = g_strdup_printf ("−%s", txt + 1);
            g_free (txt);
            txt = t;
          }
          pl_draw_text (cr, L.x + (c + 0.5) * cell, L.y + (r + 0.5) * cell, txt, vs, 0.5, 0.5);
        }
  }

  /* row names on the left, column names below */
  pl_set_rgb (cr, th->fg);
  double row_name_right = L.x - 0.4 * s, row_name_w = 0.0;
  for (gint r = 0; r < R; r++) {
    const char *nm = name_at (fig->row_names, r);
    if (nm == NULL)
      continue;
    w = pl_draw_text_ellipsized (cr, row_name_right, L.y + (r + 0.5) * cell, nm, L.name_s,
                                 L.row_w, 1.0, 0.5);
    row_name_w = MAX (row_name_w, w);
  }
  double line_h;
  pl_text_extents (cr, "Ag", L.name_s, FALSE, 0, &w, &line_h);
  double names_bottom = L.y + R * cell;
  for (gint c = 0; c < C; c++) {
    const char *nm = name_at (fig->col_names, c);
    if (nm == NULL)
      continue;
    double cx = L.x + (c + 0.5) * cell, cy = L.y + R * cell + 0.3 * s;
    pl_text_extents (cr, nm, L.name_s, FALSE, 0, &w, &h);
    if (L.rotate) {
      cairo_save (cr);
      cairo_translate (cr, cx + 0.5 * line_h * M_SQRT1_2, cy);
      cairo_rotate (cr, -G_PI / 4.0);
      w = pl_draw_text_ellipsized (cr, 0, 0, nm, L.name_s, L.col_w, 1.0, 0.5);
      cairo_restore (cr);
      names_bottom = MAX (names_bottom, cy + (w + line_h) * M_SQRT1_2);
    } else {
      pl_draw_text_ellipsized (cr, cx, cy, nm, L.name_s, L.col_w, 0.5, 0.0);
      names_bottom = MAX (names_bottom, cy + h);
    }
  }
  if (fig->col_label != NULL && *fig->col_label != '\0')
    pl_draw_text_full (cr, L.x + C * cell / 2.0, names_bottom + 0.3 * s, fig->col_label,
                       0.9 * s, FALSE, 0, 0.5, 0.0);
  if (fig->row_label != NULL && *fig->row_label != '\0') {
    pl_text_extents (cr, fig->row_label, 0.9 * s, FALSE, 0, &w, &h);
    double x = row_name_right - row_name_w - 0.4 * s - h / 2.0;
    pl_draw_text_vertical (cr, x, L.y + R * cell / 2.0, fig->row_label, 0.9 * s);
  }

  pl_colorbar_draw (cr, fig->scale.colormap, L.vmin, L.vmax, fig->scale.label, L.cb_x, L.y,
                    R * cell, s, th);
  cairo_restore (cr);
}
