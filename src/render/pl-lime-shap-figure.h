/* pl-lime-shap-figure.h — LIME and KernelSHAP of one input side by side for the original
 * and the pruned network (issue 9, "LIME / SHAP" view).
 *
 * Rows are methods (LIME, KernelSHAP), columns networks (original | pruned). For an image
 * every cell has a superpixel map — each segment painted with its value on the diverging
 * colormap over the greyed input, segment boundaries drawn — and a horizontal bar chart of
 * the top-k segments. The top-k segments are chosen once for the whole figure from the
 * ORIGINAL network's cells (pl_lime_shap_figure_top_items) and shown in the same order and
 * with the same colour swatch (Okabe–Ito palette by rank, also outlining the segment on
 * every map) in every row and column, so that one segment has one colour everywhere and
 * the networks and methods can be compared segment by segment. A table row has bars per feature
 * only. Under every cell: LIME's weighted R² of the surrogate (Ribeiro et al. 2016) or
 * KernelSHAP's completeness residual Σφ − (f(x) − φ₀) (Lundberg & Lee 2017). One
 * diverging colour scale per method row (−m … m, m = the largest |value| of the row), used
 * by maps and bars alike, drawn as a colorbar at the right of the row.
 *
 * The figure owns all its data (pl_lime_shap_figure_free). Nothing aborts on odd data:
 * a cell whose values are NULL is drawn as "—", NaN values as 0.
 */
#pragma once

#include "pl-render.h"
#include "data/pl-dataset.h"
#include "explain/pl-lime-shap.h"   /* PlLimeShapCell, PL_LIME_SHAP_MAX_METHODS */

G_BEGIN_DECLS

typedef struct {
  char *title;                                   /* optional */
  char *caption;                                 /* optional: model, input, target, seed */
  gint n_methods;                                /* rows, 1 … 2 */
  char *method_names[PL_LIME_SHAP_MAX_METHODS];  /* e.g. "LIME", "KernelSHAP" */
  char *method_details[PL_LIME_SHAP_MAX_METHODS];/* the parameters: one line, or two when
                                                  * one does not fit (then ellipsized) */
  char *value_labels[PL_LIME_SHAP_MAX_METHODS];  /* colorbar label with units */
  char *network_names[2];                        /* "original", "pruned" */
  PlLimeShapCell cells[PL_LIME_SHAP_MAX_METHODS][2];   /* [method][network] */
  gint n_items;                                  /* M segments or F features */
  char **item_names;                             /* [n_items], NULL-terminated (owned) */
  gint height, width;                            /* image size; 0: a table row (no maps) */
  gint *segments;                                /* [height × width] ids in [0, n_items) */
  float *underlay;                               /* [height × width] grey in [0, 1] */
  gint top_k;                                    /* bars per cell (≤ 0: 8) */
  gboolean dark;
} PlLimeShapFigure;

/* A figure with n_items named "s0", "s1", … (tables: rename item_names) and, for
 * height × width > 0, zeroed segments and underlay; every cell NaN / NULL. */
PlLimeShapFigure *pl_lime_shap_figure_new (gint n_items, gint height, gint width);
void pl_lime_shap_figure_free (PlLimeShapFigure *figure);
/* A deep copy (NULL for NULL): e.g. for drawing in another thread while the original may be
 * freed. */
PlLimeShapFigure *pl_lime_shap_figure_copy (const PlLimeShapFigure *figure);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlLimeShapFigure, pl_lime_shap_figure_free)

void pl_lime_shap_figure_draw (cairo_t *cr, double width, double height,
                               const PlLimeShapFigure *figure);

/* Where cell (method, network) draws its map (bars FALSE; FALSE for tables) or its bars
 * (bars TRUE), as the rectangle (x, y, w, h) at width × height. FALSE if there is no room
 * or the cell does not exist. For tests and hit testing. */
gboolean pl_lime_shap_figure_panel_rect (cairo_t *cr, double width, double height,
                                         const PlLimeShapFigure *figure, gint method,
                                         gint network, gboolean bars, double rect[4]);

/* The items whose bars are shown in the row of method, in order (at most max); returns
 * how many were written. The same for every row: items are ranked once by their largest
 * |value| relative to each row's largest, in the original network's cell of each row (the
 * pruned one's when the original's is missing), ties by the lower id; with one row, that
 * row's order by |value|. The k-th item has the k-th swatch in every row and panel. */
gint pl_lime_shap_figure_top_items (const PlLimeShapFigure *figure, gint method, gint *items,
                                    gint max);

/* How many bars (and legend swatches) every cell shows at width × height: top_k (≤ the
 * number of items) unless the rows are too short, then as many as fit (at least 1); 0 when
 * the figure does not fit at all. For tests. */
gint pl_lime_shap_figure_n_bars (cairo_t *cr, double width, double height,
                                 const PlLimeShapFigure *figure);

/* TRUE when the parameters of method's row header (method_details, after the colour
 * scale's label when the colorbar has no room for it) are drawn in full at width × height,
 * on one line or wrapped onto two; FALSE when they are ellipsized or the figure does not
 * fit. For tests. */
gboolean pl_lime_shap_figure_details_fit (cairo_t *cr, double width, double height,
                                          const PlLimeShapFigure *figure, gint method);

/* The LIME / SHAP figure of input, computed: the one builder behind the workbench's LIME /
 * SHAP view and `prunelens-cli explain --figure lime|shap|lime-shap`.
 *
 * Runs pl_lime_shap_compute (src/core/explain/pl-lime-shap.h: the segments, LIME and
 * KernelSHAP on both networks, R² and efficiency residuals; arguments, progress,
 * cancellation and errors as there) and fills the figure from it: the cells, segments and
 * grey underlay (channel mean of input, clamped to [0, 1]), item names (dataset feature
 * names on tables, which show their top 12 features), method names, value labels with
 * units, network names, the title ("LIME and KernelSHAP per superpixel: class Ankle
 * boot", the class named by dataset) and short per-row parameter lines (the fill first,
 * then segmentation, samples / budget, kernel width, seed). The caption is the caller's.
 * dataset: the input's dataset (class names; a table's rows for LIME's statistics and
 * KernelSHAP's reference row); may be NULL for images. result_out (optional) receives the
 * computed values with every parameter in full (PlLimeShapResult.parameters). */
PlLimeShapFigure *pl_lime_shap_figure_compute (PlGraph *original, PlGraph *pruned,
                                               const PlTensor *input, const PlDataset *dataset,
                                               const PlLimeShapOptions *options,
                                               const PlProgress *progress,
                                               PlLimeShapResult **result_out, GError **error);

/* The text under a cell: "R² = 0.873" (LIME), "Σφ − (f(x) − φ₀) = 1.2e−07" (KernelSHAP),
 * NULL when neither is set. Newly allocated. */
char *pl_lime_shap_cell_summary (const PlLimeShapCell *cell);

G_END_DECLS
