/* pl-figures.h — report figures: line plots with confidence bands, matrices (confusion
 * matrix), overlaid histograms and a filmstrip of maps on one scale.
 *
 * Like the figures of pl-render.h these are plain data drawn with cairo onto any surface;
 * pass the draw functions (cast to PlDrawFunc) to pl_render_png / _svg / _pdf. Every
 * figure paints its own background, has an optional title and an optional caption line
 * (NULL or "" switches it off: the method and its parameters), and a dark flag (screen in
 * dark mode; files: FALSE). Strings and arrays are borrowed for the duration of a draw.
 * Nothing here aborts on odd data: NaN / infinite values are skipped, empty figures draw
 * only their frame and text.
 */
#pragma once

#include "pl-render.h"
#include "analysis/pl-sweep.h"

G_BEGIN_DECLS

/* The Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), in the order used
 * for series: blue #0072B2, vermillion #D55E00, bluish green #009E73, reddish purple
 * #CC79A7, orange #E69F00, sky blue #56B4E9, yellow #F0E442, black #000000 (dark mode:
 * light blue first and light grey instead of black). index is taken modulo 8. */
void pl_palette_color (gint index, gboolean dark, double rgb[3]);

/* ---- line plots ------------------------------------------------------------------ */

typedef enum {
  PL_AXIS_LINEAR,
  PL_AXIS_LOG,             /* log10 x; values ≤ 0 are skipped */
  /* Sparsity-style axis: position −log10(1 − x), so 0, 0.9, 0.99, 0.999 are equally
   * spaced; ticks at 0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, … Values ≥ 1 are skipped. */
  PL_AXIS_LOG_COMPLEMENT,
} PlAxisScale;

typedef struct {
  const char *name;        /* legend entry (NULL or "": not in the legend) */
  gint n;                  /* points */
  const double *x;         /* [n] */
  const double *y;         /* [n]; NaN leaves a gap */
  const double *lo, *hi;   /* optional [n] band (e.g. 95 % CI), drawn translucent */
  gboolean dashed;
  gboolean markers;        /* a dot at every point */
  gint color;              /* palette index; < 0: the series' own index */
} PlLineSeries;

#define PL_LINE_FIGURE_MAX_SERIES 8

typedef struct {
  char *title;
  char *caption;
  char *x_label;           /* with units, e.g. "sparsity" */
  char *y_label;
  PlAxisScale x_scale;
  gboolean x_percent;      /* tick labels of x as percentages (0.9 → "90 %") */
  gboolean y_percent;
  /* y range: y_min < y_max fixes it; otherwise automatic from the data (and the bands)
   * extended to nice ticks. */
  double y_min, y_max;
  gint n_series;
  PlLineSeries series[PL_LINE_FIGURE_MAX_SERIES];
  gboolean dark;
} PlLineFigure;

void pl_line_figure_draw (cairo_t *cr, double width, double height, const PlLineFigure *figure);
/* Where the data point (x, y) lands when figure is drawn at width × height on cr (for
 * tests and for hover on screen). FALSE if it cannot be shown (no room, x off the scale). */
gboolean pl_line_figure_data_to_user (cairo_t *cr, double width, double height,
                                      const PlLineFigure *figure, double x, double y,
                                      double *out_x, double *out_y);

/* ---- matrices -------------------------------------------------------------------- */

/* A matrix of cells coloured by a sequential colormap with a colorbar, e.g. a confusion
 * matrix (rows: true class, columns: predicted class, values: counts) or per-layer
 * sparsity / sensitivity. The value is printed in every cell in black or white, whichever
 * contrasts more with the cell (WCAG relative luminance). */
typedef struct {
  char *title;
  char *caption;
  char *row_label;         /* e.g. "true class" */
  char *col_label;         /* e.g. "predicted class" (above the columns' names... below) */
  gint n_rows, n_cols;
  const char *const *row_names;   /* [n_rows], optional */
  const char *const *col_names;   /* [n_cols], optional */
  const double *values;    /* [n_rows × n_cols] row-major; NaN cells are left blank */
  /* scale.vmin < scale.vmax fixes the scale; otherwise 0 … max (or min … max when some
   * value is negative). scale.label titles the colorbar. */
  PlColorScale scale;
  gboolean show_values;
  gint decimals;           /* of the printed values (counts: 0) */
  gboolean dark;
} PlMatrixFigure;

void pl_matrix_figure_draw (cairo_t *cr, double width, double height,
                            const PlMatrixFigure *figure);
/* The cell rectangle (x, y, w, h) of row r, column c in a figure drawn at width × height;
 * FALSE if the figure has no room for cells or (r, c) is outside. For tests and hit
 * testing on screen. */
gboolean pl_matrix_figure_cell_rect (cairo_t *cr, double width, double height,
                                     const PlMatrixFigure *figure, gint r, gint c,
                                     double rect[4]);

/* ---- histograms ------------------------------------------------------------------ */

#define PL_HISTOGRAM_MAX_SETS 4

/* Up to four histograms on shared bins drawn over each other (translucent fill and a step
 * outline), e.g. the weights of the original and the pruned network. */
typedef struct {
  char *title;
  char *caption;
  char *x_label;
  char *y_label;           /* NULL: "count" */
  gint n_bins;             /* ≤ 0: 60 */
  double lo, hi;           /* bin range; lo ≥ hi: min … max over all sets */
  gboolean log_y;          /* log10 count axis (empty bins not drawn) */
  gboolean exclude_zeros;  /* leave exact zeros out (pruned weights); the legend says how
                            * many */
  gint n_sets;
  const char *names[PL_HISTOGRAM_MAX_SETS];
  const float *data[PL_HISTOGRAM_MAX_SETS];
  gint64 n[PL_HISTOGRAM_MAX_SETS];
  gboolean dark;
} PlHistogramFigure;

void pl_histogram_figure_draw (cairo_t *cr, double width, double height,
                               const PlHistogramFigure *figure);
/* Counts of the finite values of data[n] in n_bins equal bins over [lo, hi] (values
 * outside are not counted, hi goes into the last bin); zeros skipped when exclude_zeros.
 * Returns the number counted. */
gint64 pl_histogram_count (const float *data, gint64 n, double lo, double hi, gint n_bins,
                           gboolean exclude_zeros, gint64 *counts);

/* ---- filmstrip ------------------------------------------------------------------- */

#define PL_FILMSTRIP_MAX_FRAMES 12

typedef struct {
  char *title;             /* above the frame, e.g. "90 %" */
  char *subtitle;          /* below the frame, e.g. "acc. 75.7 %" */
  const PlTensor *map;     /* [H, W] (the last two dimensions) */
  const PlTensor *underlay;/* optional [H, W] grey image in [0, 1] beneath the map */
  double overlay_alpha;    /* opacity of the map over the underlay (≤ 0 or > 1: 1) */
} PlFilmstripFrame;

/* One input's maps in a row on ONE shared colour scale (nearest-neighbour cells) with a
 * title above and a line below each frame and a single colorbar at the right. */
typedef struct {
  char *title;
  char *caption;
  gint n_frames;
  PlFilmstripFrame frames[PL_FILMSTRIP_MAX_FRAMES];
  /* scale.vmin < scale.vmax fixes the scale; otherwise 0 … max over all frames
   * (DIVERGING: −m … m with m the largest |value|). */
  PlColorScale scale;
  gboolean dark;
} PlFilmstripFigure;

void pl_filmstrip_figure_draw (cairo_t *cr, double width, double height,
                               const PlFilmstripFigure *figure);
/* The rectangle of frame i's map (x, y, w, h) as drawn at width × height; FALSE if none. */
gboolean pl_filmstrip_figure_frame_rect (cairo_t *cr, double width, double height,
                                         const PlFilmstripFigure *figure, gint i,
                                         double rect[4]);

/* ---- figures of a sparsity sweep (pl-sweep.h) ------------------------------------ */

/* The central figure of a sweep: top-1 accuracy, Spearman of |φ| and top-k overlap (mean
 * with its bootstrap CI band) against the achieved sparsity, on the complement-log axis
 * (log_axis) or a linear one; caption with the method, inputs, CI, seed and evaluation set.
 * Owns its arrays and strings; draw .figure with pl_line_figure_draw. */
typedef struct {
  PlLineFigure figure;
  double *data;            /* owned storage behind the series */
  char *strings[4];        /* owned title / caption / labels */
} PlSweepLineFigure;

PlSweepLineFigure *pl_sweep_line_figure_new (const PlSweep *sweep, gboolean log_axis);
void pl_sweep_line_figure_free (PlSweepLineFigure *figure);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlSweepLineFigure, pl_sweep_line_figure_free)

/* The filmstrip of a sweep: the film input's pruned-network saliency at every sparsity on
 * one magma scale, titled "90 %", with "acc. 75.7 %" under each frame; underlay: the input
 * image beneath (map at 70 % opacity). At most PL_FILMSTRIP_MAX_FRAMES sparsities (the
 * first ones). Draw .figure with pl_filmstrip_figure_draw. */
typedef struct {
  PlFilmstripFigure figure;
  char *strings[2 + 2 * PL_FILMSTRIP_MAX_FRAMES];
} PlSweepFilmstrip;

PlSweepFilmstrip *pl_sweep_filmstrip_new (const PlSweep *sweep, gboolean underlay);
void pl_sweep_filmstrip_free (PlSweepFilmstrip *film);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlSweepFilmstrip, pl_sweep_filmstrip_free)

G_END_DECLS
