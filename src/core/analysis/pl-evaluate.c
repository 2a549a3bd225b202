/* pl-evaluate.c — top-1 accuracy of a classifier over a dataset, in parallel batches.
 *
 * The first n samples are cut into equal batches of at most 256 consecutive samples
 * (1000 → 4 × 250, so one plan serves every batch) and run one after the other by a
 * single PlExecutor on the calling thread: the executor spreads each batch over the
 * engine's worker threads itself (micro-batches, pl-parallel.c). One executor instead of
 * one per thread halves the activation buffers that have to be allocated and faulted in
 * for every new (pruned) graph, and avoids two callers competing for the same pool.
 * n_threads is kept for the API; the result does not depend on it.
 */
#include "analysis/pl-metrics.h"
#include "exec/pl-executor.h"
#include "pl-error.h"

#include <string.h>

#define PL_EVAL_BATCH 32

typedef struct {
  PlGraph *graph;
  const PlDataset *dataset;
  gint64 n;
  gint64 n_batches;
  gint64 batch;              /* samples per batch (the last may have fewer) */
  gint *predictions;
  gboolean keep_logits;
  float *logits;             /* [n, k] when keep_logits; allocated by the first batch */
  gint64 k;                  /* guarded by lock */
  gint64 correct;            /* guarded by lock */
  gint next_batch;           /* atomic */
  gint done_batches;         /* atomic */
  gint stop;                 /* atomic: set on error or cancellation */
  const PlProgress *progress;
  GMutex lock;
  GError *error;             /* first error, guarded by lock */
} EvalJob;

static void
eval_fail (EvalJob *job, GError *error)
{
  g_atomic_int_set (&job->stop, 1);
  g_mutex_lock (&job->lock);
  if (job->error == NULL)
    job->error = error;
  else
    g_error_free (error);
  g_mutex_unlock (&job->lock);
}

/* Worker body; report_progress is TRUE for exactly one worker (the calling thread). */
static void
eval_worker (EvalJob *job, gboolean report_progress)
{
  GError *error = NULL;
  PlExecutor *executor = pl_executor_new (job->graph, &error);
  if (executor == NULL)
    {
      eval_fail (job, error);
      return;
    }
  for (;;)
    {
      if (g_atomic_int_get (&job->stop))
        break;
      if (pl_progress_cancelled (job->progress, &error))
        {
          eval_fail (job, error);
          break;
        }
      gint64 b = g_atomic_int_add (&job->next_batch, 1);
      if (b >= job->n_batches)
        break;
      gint64 start = b * job->batch;
      gint64 count = MIN (job->batch, job->n - start);
      PlTensor *batch = pl_dataset_range (job->dataset, start, count, &error);
      if (batch == NULL)
        {
          eval_fail (job, error);
          break;
        }
      gboolean ok = pl_executor_forward (executor, batch, &error);
      pl_tensor_unref (batch);
      if (!ok)
        {
          eval_fail (job, error);
          break;
        }
      const PlTensor *logits = pl_executor_output (executor, 0);
      if (logits == NULL || logits->ndim != 2 || logits->shape[0] != count
          || logits->shape[1] < 1)
        {
          g_autofree char *shape = logits ? pl_tensor_shape_string (logits->ndim, logits->shape)
                                          : g_strdup ("none");
          eval_fail (job, g_error_new (PL_ERROR, PL_ERROR_INVALID,
                                       "The model's first output should be logits of shape "
                                       "[%" G_GINT64_FORMAT ", classes]; got %s",
                                       count, shape));
          break;
        }
      gint64 k = logits->shape[1];
      if (job->keep_logits)
        {
          gboolean mismatch = FALSE;
          g_mutex_lock (&job->lock);
          if (job->logits == NULL)
            {
              job->k = k;
              job->logits = g_new0 (float, job->n * k);
            }
          else if (job->k != k)
            mismatch = TRUE;
          if (!mismatch)
            memcpy (job->logits + start * k, logits->data, (gsize) (count * k) * sizeof (float));
          g_mutex_unlock (&job->lock);
          if (mismatch)
            {
              eval_fail (job, g_error_new (PL_ERROR, PL_ERROR_INVALID,
                                           "The model gave logits of different widths "
                                           "(%" G_GINT64_FORMAT " and %" G_GINT64_FORMAT ")",
                                           job->k, k));
              break;
            }
        }
      gint64 correct = 0;
      for (gint64 i = 0; i < count; i++)
        {
          gint pred = (gint) pl_tensor_argmax (logits->data + i * k, k);
          job->predictions[start + i] = pred;
          if (pred == (gint) job->dataset->labels[start + i])
            correct++;
        }
      g_mutex_lock (&job->lock);
      job->correct += correct;
      g_mutex_unlock (&job->lock);
      gint done = g_atomic_int_add (&job->done_batches, 1) + 1;
      if (report_progress)
        pl_progress_report (job->progress, (double) done / (double) job->n_batches, NULL);
    }
  pl_executor_free (executor);
}

static PlEvaluation *
evaluate (PlGraph *graph, const PlDataset *dataset, gint64 n, gint n_threads,
          PlTensor **logits_out, const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_return_val_if_fail (dataset != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (n <= 0 || n > dataset->n)
    n = dataset->n;
  if (n <= 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The dataset “%s” has no samples to evaluate",
                   dataset->name ? dataset->name : "");
      return NULL;
    }
  if (dataset->labels == NULL)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The dataset “%s” has no labels", dataset->name ? dataset->name : "");
      return NULL;
    }
  (void) n_threads;

  EvalJob job = {
    .graph = graph, .dataset = dataset, .n = n,
    .n_batches = (n + PL_EVAL_BATCH - 1) / PL_EVAL_BATCH,
    .progress = progress,
    .keep_logits = logits_out != NULL,
  };
  if (job.n_batches > G_MAXINT / 2)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                   "Too many samples to evaluate (%" G_GINT64_FORMAT ")", n);
      return NULL;
    }
  job.batch = (n + job.n_batches - 1) / job.n_batches;
  job.predictions = g_new0 (gint, n);
  g_mutex_init (&job.lock);
  eval_worker (&job, TRUE);
  g_mutex_clear (&job.lock);

  if (job.error != NULL)
    {
      g_propagate_error (error, job.error);
      g_free (job.predictions);
      g_free (job.logits);
      return NULL;
    }
  if (logits_out != NULL)
    {
      gint64 shape[2] = { n, job.k };
      *logits_out = pl_tensor_new (2, shape, NULL);
      memcpy ((*logits_out)->data, job.logits, (gsize) (n * job.k) * sizeof (float));
      g_free (job.logits);
    }

  PlEvaluation *ev = g_new0 (PlEvaluation, 1);
  ev->n = n;
  ev->correct = job.correct;
  ev->accuracy = (double) job.correct / (double) n;
  ev->predictions = job.predictions;
  pl_progress_report (progress, 1.0, NULL);
  return ev;
}

PlEvaluation *
pl_evaluate_classifier_threads (PlGraph *graph, const PlDataset *dataset, gint64 n,
                                gint n_threads, const PlProgress *progress, GError **error)
{
  return evaluate (graph, dataset, n, n_threads, NULL, progress, error);
}

PlEvaluation *
pl_evaluate_classifier_logits (PlGraph *graph, const PlDataset *dataset, gint64 n,
                               gint n_threads, PlTensor **logits, const PlProgress *progress,
                               GError **error)
{
  g_return_val_if_fail (logits != NULL && *logits == NULL, NULL);
  return evaluate (graph, dataset, n, n_threads, logits, progress, error);
}

PlEvaluation *
pl_evaluate_classifier (PlGraph *graph, const PlDataset *dataset, gint64 n,
                        const PlProgress *progress, GError **error)
{
  return pl_evaluate_classifier_threads (graph, dataset, n, 2, progress, error);
}

void
pl_evaluation_free (PlEvaluation *evaluation)
{
  if (evaluation == NULL)
    return;
  g_free (evaluation->predictions);
  g_free (evaluation);
}
