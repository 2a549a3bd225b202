/* pl-lime-shap-figure.c — LIME / KernelSHAP maps and bars, original | pruned. */
#include "config.h"
#include <glib/gi18n-lib.h>
#include "pl-lime-shap-figure.h"
#include "pl-figure-util.h"

#include <math.h>
#include <string.h>

#define DEFAULT_TOP_K 8
#define MAX_TOP_K 32

PlLimeShapFigure *
pl_lime_shap_figure_new (gint n_items, gint height, gint width)
{
  g_return_val_if_fail (n_items >= 0, NULL);
  PlLimeShapFigure *f = g_new0 (PlLimeShapFigure, 1);
  f->n_items = n_items;
  f->item_names = g_new0 (char *, (gsize) n_items + 1);
  for (gint i = 0; i < n_items; i++)
    f->item_names[i] = g_strdup_printf ("s%d", i);
  if (height > 0 && width > 0) {
    f->height = height;
    f->width = width;
    f->segments = g_new0 (gint, (gsize) height * width);
    f->underlay = g_new0 (float, (gsize) height * width);
  }
  for (gint m = 0; m < PL_LIME_SHAP_MAX_METHODS; m++)
    for (gint n = 0; n < 2; n++) {
      PlLimeShapCell *c = &f->cells[m][n];
      c->r2 = c->residual = c->fx = c->f0 = NAN;
    }
  f->n_methods = 0;
  f->top_k = DEFAULT_TOP_K;
  return f;
}

void
pl_lime_shap_figure_free (PlLimeShapFigure *f)
{
  if (f == NULL)
    return;
  g_free (f->title);
  g_free (f->caption);
  for (gint m = 0; m < PL_LIME_SHAP_MAX_METHODS; m++) {
    g_free (f->method_names[m]);
    g_free (f->method_details[m]);
    g_free (f->value_labels[m]);
    for (gint n = 0; n < 2; n++)
      g_free (f->cells[m][n].values);
  }
  g_free (f->network_names[0]);
  g_free (f->network_names[1]);
  g_strfreev (f->item_names);
  g_free (f->segments);
  g_free (f->underlay);
  g_free (f);
}

PlLimeShapFigure *
pl_lime_shap_figure_copy (const PlLimeShapFigure *f)
{
  if (f == NULL)
    return NULL;
  PlLimeShapFigure *c = g_memdup2 (f, sizeof *f);
  c->title = g_strdup (f->title);
  c->caption = g_strdup (f->caption);
  for (gint m = 0; m < PL_LIME_SHAP_MAX_METHODS; m++) {
    c->method_names[m] = g_strdup (f->method_names[m]);
    c->method_details[m] = g_strdup (f->method_details[m]);
    c->value_labels[m] = g_strdup (f->value_labels[m]);
    for (gint n = 0; n < 2; n++)
      if (f->cells[m][n].values != NULL)
        c->cells[m][n].values = g_memdup2 (f->cells[m][n].values,
                                           sizeof (float) * MAX (f->n_items, 0));
  }
  c->network_names[0] = g_strdup (f->network_names[0]);
  c->network_names[1] = g_strdup (f->network_names[1]);
  c->item_names = g_strdupv (f->item_names);
  gsize pixels = f->height > 0 && f->width > 0 ? (gsize) f->height * f->width : 0;
  c->segments = f->segments != NULL && pixels > 0 ? g_memdup2 (f->segments, sizeof (gint) * pixels)
                                                  : NULL;
  c->underlay = f->underlay != NULL && pixels > 0 ? g_memdup2 (f->underlay, sizeof (float) * pixels)
                                                  : NULL;
  return c;
}

static double
val (const PlLimeShapCell *c, gint i)
{
  if (c->values == NULL)
    return 0.0;
  double v = c->values[i];
  return isfinite (v) ? v : 0.0;
}

static gint
n_methods (const PlLimeShapFigure *f)
{
  return CLAMP (f->n_methods, 0, PL_LIME_SHAP_MAX_METHODS);
}

static gint
top_k (const PlLimeShapFigure *f)
{
  gint k = f->top_k > 0 ? f->top_k : DEFAULT_TOP_K;
  return MIN (MIN (k, MAX_TOP_K), f->n_items);
}

/* The largest |value| of a method's row (both networks, all items), > 0. */
static double
row_scale (const PlLimeShapFigure *f, gint m)
{
  double mx = 0.0;
  for (gint n = 0; n < 2; n++)
    for (gint i = 0; i < f->n_items; i++)
      mx = MAX (mx, fabs (val (&f->cells[m][n], i)));
  return mx > 0.0 ? mx : 1.0;
}

typedef struct {
  double score;
  gint i;
} ScoreItem;

static gint
cmp_score_desc (gconstpointer a, gconstpointer b)
{
  const ScoreItem *x = a, *y = b;
  if (x->score != y->score)
    return x->score > y->score ? -1 : 1;
  return x->i - y->i;   /* stable: lower id first */
}

/* The cell that ranks a row's items: the original network's, else the pruned one's. */
static const PlLimeShapCell *
ranking_cell (const PlLimeShapFigure *f, gint m)
{
  const PlLimeShapCell *ref = &f->cells[m][0];
  return ref->values != NULL ? ref : &f->cells[m][1];
}

gint
pl_lime_shap_figure_top_items (const PlLimeShapFigure *f, gint method, gint *items, gint max)
{
  g_return_val_if_fail (f != NULL && items != NULL, 0);
  if (method < 0 || method >= n_methods (f) || f->n_items <= 0)
    return 0;
  /* One ranking for every row, so that a segment has one swatch in the whole figure:
   * each item scores its largest |value| relative to the row's largest (in the ranking
   * cell of every row), ties by the lower id. With one row this is that row's order. */
  gint nm = n_methods (f);
  double top[PL_LIME_SHAP_MAX_METHODS];
  for (gint m = 0; m < nm; m++) {
    const PlLimeShapCell *c = ranking_cell (f, m);
    top[m] = 0.0;
    for (gint i = 0; i < f->n_items; i++)
      top[m] = MAX (top[m], fabs (val (c, i)));
  }
  ScoreItem *s = g_new (ScoreItem, f->n_items);
  for (gint i = 0; i < f->n_items; i++) {
    double sc = 0.0;
    for (gint m = 0; m < nm; m++)
      if (top[m] > 0.0)
        sc = MAX (sc, fabs (val (ranking_cell (f, m), i)) / top[m]);
    s[i] = (ScoreItem) { sc, i };
  }
  qsort (s, f->n_items, sizeof *s, cmp_score_desc);
  gint k = MIN (top_k (f), max);
  for (gint r = 0; r < k; r++)
    items[r] = s[r].i;
  g_free (s);
  return k;
}

char *
pl_lime_shap_cell_summary (const PlLimeShapCell *c)
{
  g_return_val_if_fail (c != NULL, NULL);
  if (isfinite (c->r2))
    return g_strdup_printf (_("surrogate R² = %.3f"), c->r2);
  if (isfinite (c->residual)) {
    g_autofree char *v = g_strdup_printf ("%.2g", c->residual);
    /* U+2212 minus as the ticks do */
    g_autoptr (GString) s = g_string_new (v);
    if (s->str[0] == '-')
      g_string_replace (s, "-", "−", 1);
    return g_strdup_printf (_("Σφ − (f(x) − φ₀) = %s"), s->str);
  }
  return NULL;
}

/* ---- layout ---------------------------------------------------------------------- */

typedef struct {
  PlFigureFrame f;
  gboolean ok;
  gint nm;
  double cbw;                       /* colorbar column width */
  double row_y[PL_LIME_SHAP_MAX_METHODS], row_h;
  double head_h, cell_head_h, stats_h;
  double col_x[2], col_w;
  double content_y[PL_LIME_SHAP_MAX_METHODS], content_h;
  double map_side;                  /* 0 for tables */
  double bars_x_off, bars_w;        /* relative to col_x */
  gint k;                           /* bars per cell that fit (≤ top_k) */
  gboolean cb_label[PL_LIME_SHAP_MAX_METHODS];  /* the colorbar's label fits beside it */
  double name_w[PL_LIME_SHAP_MAX_METHODS];      /* the method's name in the row header */
  gint detail_lines;                /* lines of the parameters in every row header, 1 or 2 */
} Layout;

#define DETAIL_SIZE(s) (0.8 * (s))
#define DETAIL_LINE(s) (1.0 * (s))   /* the height a second line of parameters adds */

/* The text after a row's method name: its parameters, after the colour scale's label when
 * the colorbar has no room for it. NULL when there is none. */
static char *
row_details (const PlLimeShapFigure *fig, const Layout *L, gint m)
{
  const char *d = fig->method_details[m];
  if (!L->cb_label[m] && fig->value_labels[m] != NULL)
    return d != NULL && *d != '\0' ? g_strdup_printf ("%s · %s", fig->value_labels[m], d)
                                    : g_strdup (fig->value_labels[m]);
  return d != NULL && *d != '\0' ? g_strdup (d) : NULL;
}

/* The layout of a row's parameters: left-aligned, wrapped at width into at most lines
 * lines (words kept whole where they fit), the rest ellipsized. */
static PangoLayout *
details_layout (cairo_t *cr, const char *text, double size, double width, gint lines)
{
  PangoLayout *layout = pl_text_layout (cr, text, size, FALSE, width, 0.0);
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_height (layout, -MAX (lines, 1));
  return layout;
}

/* Whether a row's parameters fit width in lines lines without an ellipsis. */
static gboolean
details_fit (cairo_t *cr, const char *text, double size, double width, gint lines)
{
  if (text == NULL)
    return TRUE;
  if (width <= 0)
    return FALSE;
  PangoLayout *layout = details_layout (cr, text, size, width, lines);
  gboolean fit = !pango_layout_is_ellipsized (layout);
  g_object_unref (layout);
  return fit;
}

/* The width left for a row's parameters after its name. */
static double
details_width (const Layout *L, gint m)
{
  double row_w = L->f.right - L->f.left - L->cbw;
  return row_w - L->name_w[m] - 0.8 * L->f.s;
}

/* Row heights, content heights and the colour scales' labels for the current head_h. */
static void
layout_rows (cairo_t *cr, const PlLimeShapFigure *fig, Layout *L)
{
  double s = L->f.s;
  double gap = 0.9 * s;
  L->row_h = (L->f.bottom - L->f.top - (L->nm - 1) * gap) / L->nm;
  L->content_h = L->row_h - L->head_h - L->cell_head_h - L->stats_h;
  L->cbw = 0.0;
  for (gint m = 0; m < L->nm; m++) {
    double sc = row_scale (fig, m), lw = 0.0, lh;
    /* a rotated label longer than the bar would run into the next row: left out */
    if (fig->value_labels[m] != NULL)
      pl_text_extents (cr, fig->value_labels[m], 0.9 * s, FALSE, 0, &lw, &lh);
    L->cb_label[m] = fig->value_labels[m] != NULL && lw <= L->content_h;
    L->cbw = MAX (L->cbw, pl_colorbar_width (cr, -sc, sc, L->cb_label[m] ? fig->value_labels[m]
                                                                          : NULL, s));
  }
  for (gint m = 0; m < L->nm; m++)
    L->row_y[m] = L->f.top + m * (L->row_h + gap);
}

static void
layout (cairo_t *cr, double width, double height, const PlLimeShapFigure *fig, Layout *L,
        gboolean draw)
{
  memset (L, 0, sizeof *L);
  L->ok = pl_figure_frame (cr, width, height, fig->title, fig->caption, fig->dark, draw, &L->f);
  L->nm = n_methods (fig);
  if (!L->ok || L->nm == 0 || fig->n_items <= 0) {
    L->ok = FALSE;
    return;
  }
  double s = L->f.s;
  L->head_h = 1.5 * s;
  L->cell_head_h = 1.3 * s;
  L->stats_h = 1.3 * s;
  L->detail_lines = 1;
  layout_rows (cr, fig, L);
  double row_w = L->f.right - L->f.left - L->cbw;
  for (gint m = 0; m < L->nm; m++) {
    if (fig->method_names[m] != NULL) {
      double hh;
      pl_text_extents (cr, fig->method_names[m], 1.05 * s, TRUE, 0, &L->name_w[m], &hh);
      L->name_w[m] = MIN (L->name_w[m], 0.4 * row_w);
    }
  }
  /* Parameters too long for one line after the method name (e.g. LIME's at the CLI's
   * default size) take a second line in every row header rather than being cut. */
  for (gint m = 0; m < L->nm && L->detail_lines == 1; m++) {
    g_autofree char *d = row_details (fig, L, m);
    if (!details_fit (cr, d, DETAIL_SIZE (s), details_width (L, m), 1)) {
      L->detail_lines = 2;
      L->head_h += DETAIL_LINE (s);
      layout_rows (cr, fig, L);
      if (L->content_h < 3.0 * s) {
        /* no room for a second line: one line, ellipsized, rather than no figure */
        L->detail_lines = 1;
        L->head_h -= DETAIL_LINE (s);
        layout_rows (cr, fig, L);
      }
    }
  }
  double avail_w = L->f.right - L->f.left - L->cbw;
  /* As many bars as fit at a readable size: a row of 0.8 ts is what draw_bars needs, its
   * labels then shrink to the row. (A row of a full label height lost the 8th bar whenever
   * taller CJK title / caption lines shortened the rows; asking for at least 3 that did not
   * fit drew no bars at all in a short window.) */
  double ts = 0.8 * s;
  L->k = MIN (top_k (fig), MAX (1, (gint) floor ((L->content_h - 1.4 * ts) / (0.8 * ts))));
  double col_gap = 1.6 * s;
  L->col_w = (avail_w - col_gap) / 2.0;
  if (L->content_h < 3.0 * s || L->col_w < 8.0 * s) {
    L->ok = FALSE;
    return;
  }
  L->col_x[0] = L->f.left;
  L->col_x[1] = L->f.left + L->col_w + col_gap;
  for (gint m = 0; m < L->nm; m++)
    L->content_y[m] = L->row_y[m] + L->head_h + L->cell_head_h;
  if (fig->height > 0 && fig->width > 0 && fig->segments != NULL) {
    double aspect = (double) fig->height / fig->width;
    double side = MIN (L->content_h, 0.45 * L->col_w * aspect);
    L->map_side = side;   /* the map's height; its width is side / aspect */
    L->bars_x_off = side / aspect + 0.8 * s;
  }
  L->bars_w = L->col_w - L->bars_x_off;
}

/* A panel's rectangle from a computed layout (see pl_lime_shap_figure_panel_rect). */
static gboolean
panel_rect (const PlLimeShapFigure *fig, const Layout *L, gint method, gint network,
            gboolean bars, double rect[4])
{
  if (!L->ok || method < 0 || method >= L->nm || network < 0 || network > 1)
    return FALSE;
  if (!bars) {
    if (L->map_side <= 0)
      return FALSE;
    double aspect = (double) fig->height / fig->width;
    rect[0] = L->col_x[network];
    rect[1] = L->content_y[method] + (L->content_h - L->map_side) / 2.0;
    rect[2] = L->map_side / aspect;
    rect[3] = L->map_side;
  } else {
    rect[0] = L->col_x[network] + L->bars_x_off;
    rect[1] = L->content_y[method];
    rect[2] = L->bars_w;
    rect[3] = L->content_h;
  }
  return TRUE;
}

gboolean
pl_lime_shap_figure_details_fit (cairo_t *cr, double width, double height,
                                 const PlLimeShapFigure *fig, gint method)
{
  g_return_val_if_fail (cr != NULL && fig != NULL, FALSE);
  Layout L;
  layout (cr, width, height, fig, &L, FALSE);
  if (!L.ok || method < 0 || method >= L.nm)
    return FALSE;
  g_autofree char *d = row_details (fig, &L, method);
  return details_fit (cr, d, DETAIL_SIZE (L.f.s), details_width (&L, method), L.detail_lines);
}

gboolean
pl_lime_shap_figure_panel_rect (cairo_t *cr, double width, double height,
                                const PlLimeShapFigure *fig, gint method, gint network,
                                gboolean bars, double rect[4])
{
  g_return_val_if_fail (cr != NULL && fig != NULL && rect != NULL, FALSE);
  Layout L;
  layout (cr, width, height, fig, &L, FALSE);
  return panel_rect (fig, &L, method, network, bars, rect);
}

gint
pl_lime_shap_figure_n_bars (cairo_t *cr, double width, double height,
                            const PlLimeShapFigure *fig)
{
  g_return_val_if_fail (cr != NULL && fig != NULL, 0);
  Layout L;
  layout (cr, width, height, fig, &L, FALSE);
  return L.ok ? L.k : 0;
}

/* ---- drawing --------------------------------------------------------------------- */

/* The pixel edges of segment seg (all segments when seg < 0: the boundaries between
 * different segments only) as one path in map cells of size cw × ch from (x, y). */
static void
segment_edges_path (cairo_t *cr, const PlLimeShapFigure *fig, gint seg, double x, double y,
                    double cw, double ch)
{
  gint H = fig->height, W = fig->width;
  const gint *lab = fig->segments;
  for (gint r = 0; r < H; r++)
    for (gint c = 0; c < W; c++) {
      gint a = lab[r * W + c];
      if (seg < 0) {
        if (c + 1 < W && lab[r * W + c + 1] != a) {
          cairo_move_to (cr, x + (c + 1) * cw, y + r * ch);
          cairo_rel_line_to (cr, 0, ch);
        }
        if (r + 1 < H && lab[(r + 1) * W + c] != a) {
          cairo_move_to (cr, x + c * cw, y + (r + 1) * ch);
          cairo_rel_line_to (cr, cw, 0);
        }
        continue;
      }
      if (a != seg)
        continue;
      if (c == 0 || lab[r * W + c - 1] != seg) {
        cairo_move_to (cr, x + c * cw, y + r * ch);
        cairo_rel_line_to (cr, 0, ch);
      }
      if (c == W - 1 || lab[r * W + c + 1] != seg) {
        cairo_move_to (cr, x + (c + 1) * cw, y + r * ch);
        cairo_rel_line_to (cr, 0, ch);
      }
      if (r == 0 || lab[(r - 1) * W + c] != seg) {
        cairo_move_to (cr, x + c * cw, y + r * ch);
        cairo_rel_line_to (cr, cw, 0);
      }
      if (r == H - 1 || lab[(r + 1) * W + c] != seg) {
        cairo_move_to (cr, x + c * cw, y + (r + 1) * ch);
        cairo_rel_line_to (cr, cw, 0);
      }
    }
}

static void
draw_map (cairo_t *cr, const PlLimeShapFigure *fig, const PlLimeShapCell *cell, double scale,
          const gint *top, gint k, double x, double y, double w, double h, const PlTheme *th)
{
  gint H = fig->height, W = fig->width;
  gint factor = pl_map_factor (cr, W, H);
  cairo_surface_t *grey = pl_grey_surface (fig->underlay, W, H, factor);
  pl_paint_surface (cr, grey, W, H, factor, x, y, w, h, 1.0);
  cairo_surface_destroy (grey);
  if (cell->values != NULL) {
    float *painted = g_new (float, (gsize) H * W);
    for (gint p = 0; p < H * W; p++) {
      gint sg = fig->segments[p];
      painted[p] = sg >= 0 && sg < fig->n_items ? (float) val (cell, sg) : NAN;
    }
    cairo_surface_t *map = pl_map_surface (painted, W, H, PL_COLORMAP_DIVERGING, -scale, scale,
                                           factor);
    pl_paint_surface (cr, map, W, H, factor, x, y, w, h, 0.75);
    cairo_surface_destroy (map);
    g_free (painted);
  }
  double cw = w / W, ch = h / H;
  cairo_save (cr);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_SQUARE);
  /* all boundaries, thin */
  cairo_set_line_width (cr, MAX (0.5, 0.06 * MIN (cw, ch)));
  if (fig->dark)
    cairo_set_source_rgba (cr, 1, 1, 1, 0.35);
  else
    cairo_set_source_rgba (cr, 0, 0, 0, 0.35);
  segment_edges_path (cr, fig, -1, x, y, cw, ch);
  cairo_stroke (cr);
  /* the top-k segments in their swatch colour */
  if (cell->values != NULL) {
    cairo_set_line_width (cr, MAX (1.0, 0.18 * MIN (cw, ch)));
    for (gint r = 0; r < k; r++) {
      double rgb[3];
      pl_palette_color (r, fig->dark, rgb);
      pl_set_rgb (cr, rgb);
      segment_edges_path (cr, fig, top[r], x, y, cw, ch);
      cairo_stroke (cr);
    }
  }
  /* frame */
  pl_set_rgb (cr, th->grid);
  cairo_set_line_width (cr, 1.0);
  cairo_rectangle (cr, x, y, w, h);
  cairo_stroke (cr);
  cairo_restore (cr);
}

static void
draw_bars (cairo_t *cr, const PlLimeShapFigure *fig, const PlLimeShapCell *cell, double scale,
           const gint *top, gint k, gboolean swatches, double x, double y, double w, double h,
           double s, const PlTheme *th)
{
  double ts = 0.8 * s;
  if (cell->values == NULL) {
    pl_set_rgb (cr, th->muted);
    pl_draw_text (cr, x + w / 2.0, y + h / 2.0, "—", s, 0.5, 0.5);
    return;
  }
  /* label column; labels shrink to rows shorter than a label's height */
  double lts = MIN (ts, (h - 1.4 * ts) / MAX (k, 1) / 0.95);
  double lw = 0.0, tw, th_;
  for (gint r = 0; r < k; r++) {
    pl_text_extents (cr, fig->item_names[top[r]], lts, FALSE, 0, &tw, &th_);
    lw = MAX (lw, tw);
  }
  double sw = swatches ? 0.75 * lts : 0.0;
  double sw_gap = swatches ? 0.35 * ts : 0.0;
  lw = MIN (lw, 0.4 * w - sw - sw_gap);
  double plot_x = x + sw + sw_gap + lw + 0.5 * s;
  double plot_w = x + w - plot_x - 0.3 * s;
  double axis_h = 1.4 * ts;
  double plot_h = h - axis_h;
  if (plot_w < 2 * s || plot_h < k * 0.8 * ts || lw <= 0)
    return;
  double zero_x = plot_x + plot_w / 2.0;
  double row = plot_h / k;
  double bar = MIN (0.72 * row, 1.6 * ts);
  for (gint r = 0; r < k; r++) {
    double cy = y + (r + 0.5) * row;
    if (swatches) {
      double rgb[3];
      pl_palette_color (r, fig->dark, rgb);
      pl_set_rgb (cr, rgb);
      cairo_rectangle (cr, x, cy - sw / 2.0, sw, sw);
      cairo_fill (cr);
    }
    if (row >= 0.95 * lts && lts >= 0.6 * ts) {
      pl_set_rgb (cr, th->fg);
      pl_draw_text_ellipsized (cr, x + sw + sw_gap + lw, cy, fig->item_names[top[r]], lts, lw,
                               1.0, 0.5);
    }
    double v = val (cell, top[r]);
    double rgb[3];
    pl_colormap_lookup (PL_COLORMAP_DIVERGING, 0.5 + 0.5 * v / scale, rgb);
    double bw = plot_w / 2.0 * v / scale;
    cairo_rectangle (cr, MIN (zero_x, zero_x + bw), cy - bar / 2.0, fabs (bw), bar);
    pl_set_rgb (cr, rgb);
    cairo_fill_preserve (cr);
    pl_set_rgb (cr, th->muted);
    cairo_set_line_width (cr, 0.6);
    cairo_stroke (cr);
  }
  /* zero line and axis */
  pl_set_rgb (cr, th->zero);
  cairo_set_line_width (cr, 1.0);
  cairo_move_to (cr, zero_x, y);
  cairo_line_to (cr, zero_x, y + plot_h);
  cairo_stroke (cr);
  pl_set_rgb (cr, th->grid);
  cairo_move_to (cr, plot_x, y + plot_h + 0.5);
  cairo_line_to (cr, plot_x + plot_w, y + plot_h + 0.5);
  cairo_stroke (cr);
  g_autofree char *lo = pl_format_value (-scale), *hi = pl_format_value (scale);
  double wl, wh, w0, hh;
  pl_text_extents (cr, lo, ts, FALSE, 0, &wl, &hh);
  pl_text_extents (cr, hi, ts, FALSE, 0, &wh, &hh);
  pl_text_extents (cr, "0", ts, FALSE, 0, &w0, &hh);
  pl_set_rgb (cr, th->muted);
  /* the ends inside the plot (left- and right-aligned), when clear of the "0" */
  if (MAX (wl, wh) + w0 / 2.0 + 0.5 * ts < plot_w / 2.0) {
    pl_draw_text (cr, plot_x, y + plot_h + 0.2 * ts, lo, ts, 0.0, 0.0);
    pl_draw_text (cr, plot_x + plot_w, y + plot_h + 0.2 * ts, hi, ts, 1.0, 0.0);
  }
  pl_draw_text (cr, zero_x, y + plot_h + 0.2 * ts, "0", ts, 0.5, 0.0);
}

void
pl_lime_shap_figure_draw (cairo_t *cr, double width, double height,
                          const PlLimeShapFigure *fig)
{
  g_return_if_fail (cr != NULL);
  g_return_if_fail (fig != NULL);
  cairo_save (cr);
  Layout L;
  layout (cr, width, height, fig, &L, TRUE);
  if (!L.ok) {
    cairo_restore (cr);
    return;
  }
  const PlTheme *th = &L.f.th;
  double s = L.f.s;
  for (gint m = 0; m < L.nm; m++) {
    double scale = row_scale (fig, m);
    gint top[MAX_TOP_K];
    gint k = pl_lime_shap_figure_top_items (fig, m, top, L.k);
    /* row header: method (bold) then its parameters, on one or two lines */
    double y0 = L.row_y[m];
    if (fig->method_names[m] != NULL) {
      pl_set_rgb (cr, th->fg);
      pl_draw_text_full (cr, L.f.left, y0 + 0.6 * s, fig->method_names[m], 1.05 * s, TRUE,
                         0.0, 0.0, 0.5);
    }
    g_autofree char *details = row_details (fig, &L, m);
    double dw = details_width (&L, m);
    if (details != NULL && dw - 0.2 * s > 3 * s && L.detail_lines == 1) {
      pl_set_rgb (cr, th->muted);
      pl_draw_text_ellipsized (cr, L.f.left + L.name_w[m] + 0.8 * s, y0 + 0.6 * s, details,
                               DETAIL_SIZE (s), dw, 0.0, 0.5);
    } else if (details != NULL && dw - 0.2 * s > 3 * s) {
      PangoLayout *dl = details_layout (cr, details, DETAIL_SIZE (s), dw, L.detail_lines);
      PangoRectangle logical;
      pango_layout_get_extents (dl, NULL, &logical);
      /* the first line centred on the name, as a single line always was */
      PangoLayoutLine *first = pango_layout_get_line_readonly (dl, 0);
      PangoRectangle first_r;
      pango_layout_line_get_extents (first, NULL, &first_r);
      double line_h = (double) first_r.height / PANGO_SCALE;
      pl_set_rgb (cr, th->muted);
      cairo_save (cr);
      cairo_move_to (cr, L.f.left + L.name_w[m] + 0.8 * s - (double) logical.x / PANGO_SCALE,
                     y0 + 0.6 * s - 0.5 * line_h - (double) logical.y / PANGO_SCALE);
      pl_show_layout (cr, dl);
      cairo_restore (cr);
      g_object_unref (dl);
    }
    for (gint n = 0; n < 2; n++) {
      const PlLimeShapCell *cell = &fig->cells[m][n];
      double cx = L.col_x[n];
      /* cell header: network and f(x) */
      g_autoptr (GString) head = g_string_new (fig->network_names[n] ? fig->network_names[n]
                                                                      : (n == 0 ? _("original")
                                                                                : _("pruned")));
      if (isfinite (cell->fx))
        g_string_append_printf (head, _(" · f(x) = %.3f"), cell->fx);
      pl_set_rgb (cr, th->fg);
      pl_draw_text_ellipsized (cr, cx, y0 + L.head_h + 0.5 * L.cell_head_h, head->str, 0.9 * s,
                               L.col_w, 0.0, 0.5);
      double r[4];
      if (L.map_side > 0 && panel_rect (fig, &L, m, n, FALSE, r))
        draw_map (cr, fig, cell, scale, top, k, r[0], r[1], r[2], r[3], th);
      if (panel_rect (fig, &L, m, n, TRUE, r))
        draw_bars (cr, fig, cell, scale, top, k, L.map_side > 0, r[0], r[1], r[2], r[3], s, th);
      g_autofree char *summary = pl_lime_shap_cell_summary (cell);
      if (summary != NULL) {
        pl_set_rgb (cr, th->muted);
        pl_draw_text_ellipsized (cr, cx, L.content_y[m] + L.content_h + 0.55 * L.stats_h,
                                 summary, 0.85 * s, L.col_w, 0.0, 0.5);
      }
    }
    /* the row's colorbar */
    pl_colorbar_draw (cr, PL_COLORMAP_DIVERGING, -scale, scale,
                      L.cb_label[m] ? fig->value_labels[m] : NULL,
                      L.f.right - L.cbw, L.content_y[m], L.content_h, s, th);
  }
  cairo_restore (cr);
}
