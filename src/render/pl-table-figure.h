/* pl-table-figure.h — the comparison figure of a table row: grouped bars, original vs
 * pruned, one pair per feature.
 *
 * Built from a PlComparison of a table dataset (pl_comparison_compute on a PL_DATASET_TABLE
 * dataset: grid 1 × F named after the features). The bars are the method's attribution per
 * feature (PL_FIGURE_SALIENCY and PL_FIGURE_FEATURES: patch[g], e.g. the signed gradient)
 * or the KernelSHAP values against the feature means (PL_FIGURE_SHAP: shap[g]), sorted by
 * |original|, with the feature names as labels and the similarity in the caption.
 */
#pragma once

#include "pl-render.h"
#include "pl-comparison-figure.h"

G_BEGIN_DECLS

typedef struct _PlTableFigure PlTableFigure;

/* comparison must come from a table (its grid one row of F segments). Never NULL. */
PlTableFigure *pl_table_figure_new (PlFigureKind kind, const PlComparison *comparison,
                                    const PlFigureContext *context);
void pl_table_figure_free (PlTableFigure *figure);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlTableFigure, pl_table_figure_free)

/* A PlDrawFunc. */
void pl_table_figure_draw (cairo_t *cr, double width, double height, gconstpointer figure);
/* The bar figure drawn (for tests): bar labels, values [2 × F] group-major. */
const PlBarFigure *pl_table_figure_bars (const PlTableFigure *figure);
void pl_table_figure_size (const PlTableFigure *figure, double *width_in, double *height_in);
const char *pl_table_figure_title (const PlTableFigure *figure);
/* Method, parameters, similarity, model, pruning, dataset and row: one line. */
const char *pl_table_figure_description (const PlTableFigure *figure);
/* PNG (dpi), SVG or PDF by the extension, light background. Errors: PL_ERROR_INVALID for an
 * unknown extension, PL_ERROR_IO naming the file. */
gboolean pl_table_figure_save (const PlTableFigure *figure, const char *path, double dpi,
                               GError **error);

G_END_DECLS
