/* pl-report-figures.h — the confusion matrix and the weight histogram exactly as the PDF
 * report of `prunelens-cli report` draws them, public so that the workbench's PDF report
 * (and its Export All) can draw the same figures.
 *
 * Both return figures that own their storage (pl-figures.h): draw .figure with
 * pl_matrix_figure_draw / pl_histogram_figure_draw (e.g. through pl_report_add_figure or
 * pl_render_png) at the natural size below, and free them with
 * pl_owned_matrix_figure_free / pl_owned_histogram_figure_free (a GDestroyNotify for
 * pl_report_add_figure: the figure pointer passed is the owned figure itself, since .figure
 * is its first member).
 */
#pragma once

#include "pl-figures.h"
#include "analysis/pl-metrics.h"
#include "data/pl-dataset.h"
#include "graph/pl-graph.h"

G_BEGIN_DECLS

/* Natural sizes in inches (width × height) of the two figures in the report. */
#define PL_REPORT_CONFUSION_WIDTH_IN 6.0
#define PL_REPORT_CONFUSION_HEIGHT_IN 5.0
#define PL_REPORT_HISTOGRAM_WIDTH_IN 6.5
#define PL_REPORT_HISTOGRAM_HEIGHT_IN 3.2

/* The confusion matrix of evaluation (its predictions of the first evaluation->n samples of
 * dataset; rows: true class, columns: predicted class; counts; a cell's number is printed
 * when there are at most 12 classes) titled "Confusion matrix, <what>" (what: e.g.
 * "original", "step 2"), captioned "<dataset>, first N samples; accuracy A %". Classes are
 * dataset->n_classes (at least 1), named by dataset->class_names ("?" when missing);
 * labels or predictions outside the classes are not counted. NULL on NULL arguments. */
PlOwnedMatrixFigure *pl_report_confusion_figure_new (const PlDataset *dataset,
                                                     const PlEvaluation *evaluation,
                                                     const char *what);

/* Every prunable weight (Conv / Gemm / MatMul weights, masked entries as 0) of original
 * and of pruned as two overlaid histograms on shared bins (80 bins, log count axis, exact
 * zeros left out and counted in the legend), titled "Prunable weights, original vs
 * <what>", the second set named what. pruned may be original itself (step 0). NULL on
 * NULL arguments. */
PlOwnedHistogramFigure *pl_report_weight_histogram_figure_new (const PlGraph *original,
                                                               const PlGraph *pruned,
                                                               const char *what);

G_END_DECLS
