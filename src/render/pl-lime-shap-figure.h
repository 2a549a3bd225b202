/* pl-lime-shap-figure.h — LIME and KernelSHAP of one input side by side for the original
 * and the pruned network (issue 9, "LIME / SHAP" view).
 *
 * Rows are methods (LIME, KernelSHAP), columns networks (original | pruned). For an image
 * every cell has a superpixel map — each segment painted with its value on the diverging
 * colormap over the greyed input, segment boundaries drawn — and a horizontal bar chart of
 * the top-k segments. The top-k segments are chosen by |value| in the ORIGINAL network's
 * cell of that method and shown in the same order and with the same colour swatch
 * (Okabe–Ito palette by rank, also outlining the segment on both maps) in both columns, so
 * the two networks can be compared segment by segment. A table row has bars per feature
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

G_BEGIN_DECLS

#define PL_LIME_SHAP_MAX_METHODS 2

typedef struct {
  float *values;        /* [n_items] (owned), NULL: not computed */
  double r2;            /* LIME: weighted R² of the surrogate; NaN: not shown */
  double residual;      /* KernelSHAP: Σφ − (f(x) − φ₀); NaN: not shown */
  double fx;            /* f_t(x) in logits; NaN: not shown */
  double f0;            /* φ₀ = v(∅) (KernelSHAP) or the surrogate's intercept (LIME) */
} PlLimeShapCell;

typedef struct {
  char *title;                                   /* optional */
  char *caption;                                 /* optional: model, input, target, seed */
  gint n_methods;                                /* rows, 1 … 2 */
  char *method_names[PL_LIME_SHAP_MAX_METHODS];  /* e.g. "LIME", "KernelSHAP" */
  char *method_details[PL_LIME_SHAP_MAX_METHODS];/* the parameters, one line (ellipsized) */
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
 * how many were written. */
gint pl_lime_shap_figure_top_items (const PlLimeShapFigure *figure, gint method, gint *items,
                                    gint max);

/* How many bars (and legend swatches) every cell shows at width × height: top_k (≤ the
 * number of items) unless the rows are too short, then fewer (at least 3); 0 when the
 * figure does not fit at all. For tests. */
gint pl_lime_shap_figure_n_bars (cairo_t *cr, double width, double height,
                                 const PlLimeShapFigure *figure);

/* The text under a cell: "R² = 0.873" (LIME), "Σφ − (f(x) − φ₀) = 1.2e−07" (KernelSHAP),
 * NULL when neither is set. Newly allocated. */
char *pl_lime_shap_cell_summary (const PlLimeShapCell *cell);

G_END_DECLS
