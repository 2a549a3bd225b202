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
#include "analysis/pl-compare.h"
#include "analysis/pl-layers.h"
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
  /* Additions (all zero: as before). */
  PlAxisScale y_scale;     /* LINEAR or LOG (log10 y, values ≤ 0 skipped, decade ticks) */
  /* Categorical x (x_scale LINEAR): ticks at x = 0, 1, …, n_x_tick_labels − 1 named by
   * these strings (e.g. layer names); labels that would collide are left out. */
  const char *const *x_tick_labels;
  gint n_x_tick_labels;
  double font_size;        /* base text size in user units; ≤ 0: from the figure size */
} PlLineFigure;

void pl_line_figure_draw (cairo_t *cr, double width, double height, const PlLineFigure *figure);
/* Where the data point (x, y) lands when figure is drawn at width × height on cr (for
 * tests and for hover on screen). FALSE if it cannot be shown (no room, x off the scale). */
gboolean pl_line_figure_data_to_user (cairo_t *cr, double width, double height,
                                      const PlLineFigure *figure, double x, double y,
                                      double *out_x, double *out_y);

/* Line plots side by side under one title and caption, each panel drawn by
 * pl_line_figure_draw at one base text size; a panel's own title is drawn above it as a
 * subtitle (leave the panels' captions NULL: the shared caption goes below all). */
#define PL_LINE_PANELS_MAX 4

typedef struct {
  char *title;
  char *caption;
  gint n_panels;
  const PlLineFigure *panels[PL_LINE_PANELS_MAX];
  gboolean dark;
} PlLinePanelsFigure;

void pl_line_panels_figure_draw (cairo_t *cr, double width, double height,
                                 const PlLinePanelsFigure *figure);
/* The rectangle (x, y, w, h) panel i is drawn in; FALSE if there is no room. */
gboolean pl_line_panels_figure_panel_rect (cairo_t *cr, double width, double height,
                                           const PlLinePanelsFigure *figure, gint i,
                                           double rect[4]);

/* A line figure or a panel figure together with the storage behind it (owned arrays and
 * strings), as the constructors below return them. Draw .figure. */
typedef struct {
  PlLineFigure figure;
  double *data;
  GPtrArray *strings;
} PlOwnedLineFigure;

void pl_owned_line_figure_free (PlOwnedLineFigure *figure);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlOwnedLineFigure, pl_owned_line_figure_free)

typedef struct {
  PlLinePanelsFigure figure;
  PlLineFigure panels[PL_LINE_PANELS_MAX];
  double *data;
  GPtrArray *strings;
} PlOwnedPanelsFigure;

void pl_owned_panels_figure_free (PlOwnedPanelsFigure *figure);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlOwnedPanelsFigure, pl_owned_panels_figure_free)

/* Training curves: loss (left panel, log axis when log_loss) and top-1 accuracy (right
 * panel, percent) against the epoch 1 … n_epochs. Any array may be NULL (not drawn);
 * train_* solid, test_* dashed. caption: e.g. the optimiser and its parameters (copied;
 * NULL: none). Draw .figure with pl_line_panels_figure_draw. */
PlOwnedPanelsFigure *pl_training_figure_new (gint n_epochs, const double *train_loss,
                                             const double *train_accuracy,
                                             const double *test_loss,
                                             const double *test_accuracy,
                                             gboolean log_loss, const char *caption);

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
  /* references to the sweep's maps and image: the filmstrip owns what it draws (it may be
   * drawn in another thread after the sweep is freed) */
  PlTensor *held[PL_FILMSTRIP_MAX_FRAMES + 1];
} PlSweepFilmstrip;

PlSweepFilmstrip *pl_sweep_filmstrip_new (const PlSweep *sweep, gboolean underlay);
void pl_sweep_filmstrip_free (PlSweepFilmstrip *film);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlSweepFilmstrip, pl_sweep_filmstrip_free)

/* Any metrics of a sweep against sparsity, each as its mean with the bootstrap CI band
 * (at most 4). The per-network metrics (PL_SWEEP_DELETION … PL_SWEEP_GINI: the pruned
 * network's own explanation) get the original network's mean as a dashed reference line
 * of the same colour. y range automatic (SSIM / rank metrics: fixed to their range when
 * all chosen metrics are similarities). E.g. { PL_SWEEP_DELETION, PL_SWEEP_INSERTION }
 * is the faithfulness figure. Draw .figure with pl_line_figure_draw. */
PlOwnedLineFigure *pl_sweep_metrics_figure_new (const PlSweep *sweep,
                                                const PlSweepMetric *metrics, gint n_metrics,
                                                gboolean log_axis);

/* The sanity check beside the pruning curve (Adebayo et al. 2018): left, Spearman of |φ|
 * (with CI band), top-k overlap and SSIM between the original and the pruned network's
 * saliency against sparsity; right, the same measures between the trained and the
 * cascading-randomised original against the layers randomised (from the output), on the
 * same y scale. Without sweep->randomisation only the left panel. Draw .figure with
 * pl_line_panels_figure_draw. */
PlOwnedPanelsFigure *pl_sweep_sanity_figure_new (const PlSweep *sweep, gboolean log_axis);

/* ---- figures of analysis results ------------------------------------------------ */

/* Bars, a matrix or histograms with the storage behind them (arrays and strings, freed
 * with the figure). Draw .figure with pl_bar_figure_draw / pl_matrix_figure_draw /
 * pl_histogram_figure_draw. */
typedef struct {
  PlBarFigure figure;
  GPtrArray *owned;
} PlOwnedBarFigure;
void pl_owned_bar_figure_free (PlOwnedBarFigure *figure);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlOwnedBarFigure, pl_owned_bar_figure_free)

typedef struct {
  PlMatrixFigure figure;
  GPtrArray *owned;
} PlOwnedMatrixFigure;
void pl_owned_matrix_figure_free (PlOwnedMatrixFigure *figure);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlOwnedMatrixFigure, pl_owned_matrix_figure_free)

typedef struct {
  PlHistogramFigure figure;
  GPtrArray *owned;
} PlOwnedHistogramFigure;
void pl_owned_histogram_figure_free (PlOwnedHistogramFigure *figure);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlOwnedHistogramFigure, pl_owned_histogram_figure_free)

/* The per-class breakdown of a comparison: one bar per class with the mean of metric over
 * that class's inputs and its percentile bootstrap CI as error bars (report's bootstrap
 * settings, seed + 1), the class name and count as label; two groups (original, pruned)
 * for the per-network metrics (deletion, insertion, entropy, Gini), else one. */
PlOwnedBarFigure *pl_compare_class_figure_new (const PlCompareReport *report,
                                               PlCompareMetric metric);

/* A confusion matrix of n predictions (rows: true class, columns: predicted class; counts)
 * of n_classes classes; labels or predictions outside 0 … n_classes − 1 are not counted.
 * class_names may be NULL (numbers). title NULL: "Confusion matrix". */
PlOwnedMatrixFigure *pl_confusion_figure_new (const gint *labels, const gint *predictions,
                                              gint64 n, gint n_classes,
                                              const char *const *class_names,
                                              const char *title);

/* The prunable weights (Conv / Gemm / MatMul) of original and, when not NULL, of pruned as
 * overlaid histograms on one range; pruned weights (zero or masked) left out, the legend
 * saying how many. */
PlOwnedHistogramFigure *pl_weight_histogram_figure_new (const PlGraph *original,
                                                        const PlGraph *pruned);

/* ---- per-layer figures (analysis/pl-layers.h) ---------------------------------- */

/* Per-layer sparsity as grouped bars, one row per layer in network order: original and
 * pruned (pruned may be NULL: one group). Values in [0, 1] on a percent axis. Draw
 * .figure with pl_bar_figure_draw. */
typedef struct {
  PlBarFigure figure;
  double *values;
  char **labels;
  char *strings[3];
} PlLayerBarsFigure;

PlLayerBarsFigure *pl_layer_sparsity_figure_new (const PlLayerSparsity *original,
                                                 const PlLayerSparsity *pruned);
void pl_layer_bars_figure_free (PlLayerBarsFigure *figure);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlLayerBarsFigure, pl_layer_bars_figure_free)

/* Per-layer sensitivity: top-1 accuracy against the sparsity the layer alone is pruned
 * to, one line per layer (at most 7, the first ones) and the unpruned accuracy dashed.
 * Draw .figure with pl_line_figure_draw. */
PlOwnedLineFigure *pl_sensitivity_figure_new (const PlLayerSensitivity *sensitivity);

G_END_DECLS
