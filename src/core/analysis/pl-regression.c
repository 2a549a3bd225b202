/* pl-regression.c — RMSE, MAE and R² of a regression model; see pl-regression.h. */
#include "config.h"
#include "analysis/pl-regression.h"

#include <math.h>
#include <gsl/gsl_statistics_double.h>
#include "exec/pl-executor.h"
#include "pl-error.h"

gboolean
pl_regression_metrics (const float *predictions, gsize stride, const float *targets,
                       gint64 n, PlRegressionMetrics *out, GError **error)
{
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (n >= 0 && stride >= 1, FALSE);
  g_return_val_if_fail (n == 0 || (predictions != NULL && targets != NULL), FALSE);
  out->n = n;
  out->rmse = out->mae = out->r2 = NAN;
  if (n == 0)
    return TRUE;
  g_autofree double *t = g_new (double, n);
  double se = 0.0, ae = 0.0;
  for (gint64 i = 0; i < n; i++)
    {
      double p = predictions[(gsize) i * stride];
      t[i] = targets[i];
      if (!isfinite (p) || !isfinite (t[i]))
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "row %" G_GINT64_FORMAT ": the %s is not finite (NaN or infinity)", i,
                       isfinite (p) ? "target" : "model's output");
          return FALSE;
        }
      double d = p - t[i];
      se += d * d;
      ae += fabs (d);
    }
  double mean = gsl_stats_mean (t, 1, (size_t) n);
  double tss = gsl_stats_tss_m (t, 1, (size_t) n, mean);
  out->rmse = sqrt (se / (double) n);
  out->mae = ae / (double) n;
  out->r2 = tss > 0.0 ? 1.0 - se / tss : NAN;
  return TRUE;
}

gboolean
pl_regression_evaluate (PlGraph *graph, const PlDataset *dataset, gint64 n,
                        const PlProgress *progress, PlRegressionMetrics *out, GError **error)
{
  g_return_val_if_fail (graph != NULL && dataset != NULL && out != NULL, FALSE);
  if (dataset->targets == NULL)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "%s is not a regression table (no numeric targets)", dataset->name);
      return FALSE;
    }
  if (n <= 0 || n > dataset->n)
    n = dataset->n;
  g_autoptr (GError) local = NULL;
  PlExecutor *ex = pl_executor_new (graph, error);
  if (ex == NULL)
    return FALSE;
  g_autofree float *pred = g_new (float, MAX (n, 1));
  const gint64 chunk = 256;
  gboolean ok = TRUE;
  for (gint64 s = 0; s < n && ok; s += chunk)
    {
      gint64 cnt = MIN (chunk, n - s);
      if (progress != NULL)
        {
          pl_progress_report (progress, (double) s / (double) n, NULL);
          if (pl_progress_cancelled (progress, error))
            {
              ok = FALSE;
              break;
            }
        }
      PlTensor *x = pl_dataset_range (dataset, s, cnt, error);
      if (x == NULL || !pl_executor_forward (ex, x, error))
        ok = FALSE;
      else
        {
          const PlTensor *y = pl_executor_output (ex, 0);
          if (y->ndim != 2 || y->shape[0] != cnt || y->shape[1] < 1)
            {
              g_autofree char *sh = pl_tensor_shape_string (y->ndim, y->shape);
              g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                           "the model's output has shape %s; a regression model gives "
                           "[rows, 1]", sh);
              ok = FALSE;
            }
          else
            for (gint64 i = 0; i < cnt; i++)
              pred[s + i] = y->data[i * y->shape[1]];
        }
      g_clear_pointer (&x, pl_tensor_unref);
    }
  pl_executor_free (ex);
  if (!ok)
    return FALSE;
  if (progress != NULL)
    pl_progress_report (progress, 1.0, NULL);
  if (!pl_regression_metrics (pred, 1, dataset->targets, n, out, &local))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "%s: %s", dataset->name, local->message);
      return FALSE;
    }
  return TRUE;
}
