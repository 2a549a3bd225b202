/* pl-regression.h — how well a regression model fits: RMSE, MAE and R².
 *
 * For predictions p_i and targets t_i, i = 1..n (double precision sums):
 *   RMSE = sqrt (Σ (p_i − t_i)² / n)            (same unit as the target)
 *   MAE  = Σ |p_i − t_i| / n                     (same unit as the target)
 *   R²   = 1 − SS_res / SS_tot, SS_res = Σ (p_i − t_i)², SS_tot = Σ (t_i − mean t)²
 *          (coefficient of determination; 1 = perfect, 0 = no better than the mean,
 *          negative = worse; NaN when the targets are constant, SS_tot = 0).
 * Mean and SS_tot are computed with GSL (gsl_stats_mean, gsl_stats_tss_m).
 */
#pragma once

#include <glib.h>
#include "data/pl-dataset.h"
#include "graph/pl-graph.h"
#include "pl-progress.h"

G_BEGIN_DECLS

typedef struct {
  gint64 n;      /* rows evaluated */
  double rmse;   /* NaN when n = 0 */
  double mae;    /* NaN when n = 0 */
  double r2;     /* NaN when n = 0 or the targets are constant */
} PlRegressionMetrics;

/* The metrics of predictions[i * stride] against targets[i], i < n (stride ≥ 1: the
 * prediction is column 0 of a row-major [n, stride] output). Errors: PL_ERROR_INVALID when
 * a prediction or target is not finite (naming the row). */
gboolean pl_regression_metrics (const float *predictions, gsize stride, const float *targets,
                                gint64 n, PlRegressionMetrics *out, GError **error);

/* Runs graph on the first n rows of a regression table (dataset->targets set; n ≤ 0 or
 * beyond the table: all rows) and compares output 0, column 0 with the targets.
 * Errors: PL_ERROR_INVALID (not a regression table, output not [rows, k ≥ 1], non-finite
 * outputs), the executor's errors, G_IO_ERROR_CANCELLED or the cancellation error of pl_progress_cancelled. */
gboolean pl_regression_evaluate (PlGraph *graph, const PlDataset *dataset, gint64 n,
                                 const PlProgress *progress, PlRegressionMetrics *out,
                                 GError **error);

G_END_DECLS
