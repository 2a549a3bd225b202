/* pl-metrics-figures.h — the Metrics view's figures: confusion matrices of the compared
 * step and the shown one, per-layer sparsity of both, and per-class bars of a comparison
 * report; each with an ⓘ popover (pl-info-popover.h). */
#pragma once

#include <gtk/gtk.h>
#include "analysis/pl-compare.h"
#include "analysis/pl-metrics.h"
#include "data/pl-dataset.h"
#include "graph/pl-graph.h"

G_BEGIN_DECLS

/* A vertical box of figure cards. e0 / e1: evaluations of the first e->n samples of
 * dataset by the reference ("original") and the shown ("pruned") network (either NULL:
 * no confusion matrices); g0 / g1 their graphs (NULL: no layer figure); report NULL: no
 * per-class bars. The figures are copied / owned by the widget. The number of figure
 * cards is stored as the widget's "n-figures" data (GINT_TO_POINTER). */
GtkWidget *pl_metrics_figures_new (const PlDataset *dataset, const PlEvaluation *e0,
                                   const PlEvaluation *e1, const PlGraph *g0,
                                   const PlGraph *g1, const PlCompareReport *report);

/* Added for tests: the matrix values of the confusion figure built from these inputs
 * (n_classes × n_classes counts, row = true class); NULL for regression tables. */
double *pl_metrics_confusion_counts (const PlDataset *dataset, const PlEvaluation *e);

G_END_DECLS
