/* Long runs in one process (issue 11): 1000 prune / undo / redo cycles, 1000 explanations
 * and 1000 cancelled jobs on the default model, checking that memory stays within the
 * caches' bounds (resident set size from /proc/self/status), that every cancelled job
 * either finishes or reports G_IO_ERROR_CANCELLED (never another error, never a half
 * result), and that the original network is never modified.
 *
 * Under AddressSanitizer the RSS checks are skipped (its quarantine holds freed memory on
 * purpose); leaks are then caught by LeakSanitizer instead.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "exec/pl-executor.h"
#include "explain/pl-attribution.h"
#include "onnx/pl-onnx.h"
#include "pl-error.h"
#include "prune/pl-prune.h"
#include "session/pl-session.h"

#if defined(__SANITIZE_ADDRESS__)
#define RSS_CHECKS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_CHECKS 0
#endif
#endif
#ifndef RSS_CHECKS
#define RSS_CHECKS 1
#endif

#define CYCLES 1000

static PlGraph *model;
static PlDataset *dataset;

/* Resident set size in KiB (VmRSS), or -1. */
static gint64
rss_kib (void)
{
  g_autofree char *status = NULL;
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  const char *line = strstr (status, "VmRSS:");
  return line ? g_ascii_strtoll (line + 6, NULL, 10) : -1;
}

/* A checksum of every initializer and mask of graph: detects any change to it. */
static guint64
graph_checksum (const PlGraph *graph)
{
  guint64 h = 1469598103934665603ull;
  for (guint i = 0; i < graph->values->len; i++)
    {
      const PlValue *v = pl_graph_value (graph, (gint) i);
      const PlTensor *ts[2] = { v->init, v->mask };
      for (gint k = 0; k < 2; k++)
        if (ts[k] != NULL)
          {
            const guint8 *bytes = (const guint8 *) ts[k]->data;
            gsize n = (gsize) ts[k]->numel * sizeof (float);
            for (gsize b = 0; b < n; b++)
              h = (h ^ bytes[b]) * 1099511628211ull;
          }
    }
  return h;
}

static void
setup (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (g_getenv ("PL_SOURCE_DIR"), "data", "models",
                                            "fashion-cnn.onnx", NULL);
  model = pl_onnx_load_file (path, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  dataset = pl_dataset_load_fashion_mnist (PL_DEFAULT_DATASET_DIR, "test", &error);
  ck_assert_msg (dataset != NULL, "%s", error ? error->message : "");
}

static void
teardown (void)
{
  g_clear_pointer (&model, pl_graph_unref);
  g_clear_pointer (&dataset, pl_dataset_unref);
}

static void
check_growth (const char *what, gint64 before, gint64 after, gint64 limit_kib)
{
  fprintf (stderr, "%s: RSS %" G_GINT64_FORMAT " KiB after warm-up, %" G_GINT64_FORMAT
           " KiB at the end (growth %" G_GINT64_FORMAT " KiB, limit %" G_GINT64_FORMAT ")%s\n",
           what, before, after, after - before, limit_kib,
           RSS_CHECKS ? "" : " — not checked under AddressSanitizer");
  if (RSS_CHECKS && before > 0 && after > 0)
    ck_assert_msg (after - before <= limit_kib,
                   "%s: resident memory grew by %" G_GINT64_FORMAT " KiB over the run",
                   what, after - before);
}

/* 1000 cycles of prune (a new step) / undo / redo, with jumps, in a history bounded to
 * 8 steps: memory must stop growing once the history is full. */
START_TEST (test_prune_undo_redo_cycles)
{
  guint64 original_sum = graph_checksum (model);
  g_autoptr (PlPruneHistory) history = pl_prune_history_new (model, 8);
  gint64 rss_warm = -1;
  for (gint i = 0; i < CYCLES; i++)
    {
      g_autoptr (GError) error = NULL;
      double s = 0.1 + 0.8 * (double) (i % 9) / 8.0;
      g_autoptr (PlGraph) pruned = pl_prune_magnitude (model, s, PL_PRUNE_SCOPE_GLOBAL,
                                                       &error);
      ck_assert_msg (pruned != NULL, "%s", error ? error->message : "");
      guint index = pl_prune_history_push (history, NULL, s, pruned);
      ck_assert_uint_eq (pl_prune_history_current_index (history), index);
      ck_assert (pl_prune_history_undo (history));
      ck_assert (pl_prune_history_redo (history));
      const PlPruneHistoryStep *step = pl_prune_history_current (history);
      ck_assert_ptr_eq (step->graph, pruned);
      ck_assert (fabs (step->sparsity - s) < 1e-12);
      ck_assert_uint_le (pl_prune_history_n_steps (history), 8);
      if (i % 50 == 49)
        {
          ck_assert (pl_prune_history_go_to (history, 0));
          ck_assert_ptr_eq (pl_prune_history_current (history)->graph, model);
          ck_assert (pl_prune_history_go_to (history, pl_prune_history_n_steps (history) - 1));
        }
      if (i == 99)
        rss_warm = rss_kib ();
    }
  check_growth ("prune/undo/redo", rss_warm, rss_kib (), 16 * 1024);
  ck_assert_msg (graph_checksum (model) == original_sum, "the original network changed");
}
END_TEST

/* 1000 saliency maps, alternating the original and a 90 %-pruned network over 100 inputs. */
START_TEST (test_explanations)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) pruned = pl_prune_magnitude (model, 0.9, PL_PRUNE_SCOPE_GLOBAL, &error);
  ck_assert_msg (pruned != NULL, "%s", error ? error->message : "");
  PlExecutor *ex[2] = { pl_executor_new (model, &error), pl_executor_new (pruned, &error) };
  ck_assert_msg (ex[0] != NULL && ex[1] != NULL, "%s", error ? error->message : "");
  gint64 rss_warm = -1;
  for (gint i = 0; i < CYCLES; i++)
    {
      gint64 index = i % 100;
      g_autoptr (PlTensor) x = pl_dataset_range (dataset, index, 1, &error);
      ck_assert_msg (x != NULL, "%s", error ? error->message : "");
      g_autoptr (PlAttribution) a = pl_attribution_saliency (ex[i % 2], x, -1, NULL, NULL,
                                                             &error);
      ck_assert_msg (a != NULL, "input %d: %s", (int) index, error ? error->message : "");
      if (i == 99)
        rss_warm = rss_kib ();
    }
  check_growth ("explanations", rss_warm, rss_kib (), 8 * 1024);
  pl_executor_free (ex[0]);
  pl_executor_free (ex[1]);
}
END_TEST

typedef struct {
  GCancellable *cancellable;
  const PlPruneConfig *config;
  PlPruneStep *step;
  GError *error;
} Job;

static gpointer
job_thread (gpointer data)
{
  Job *job = data;
  PlProgress progress;
  pl_progress_init (&progress, NULL, NULL, job->cancellable);
  job->step = pl_prune_step_run_config (model, dataset, job->config, 0.5, 50, &progress,
                                        &job->error);
  return NULL;
}

/* 1000 prune-and-evaluate jobs cancelled at random points (between the start and 1.2 times
 * the duration of an uncancelled job, measured first): each
 * ends with a complete step or with G_IO_ERROR_CANCELLED; the original is untouched and a
 * history fed only with finished steps stays consistent. */
START_TEST (test_random_cancellation)
{
  guint64 original_sum = graph_checksum (model);
  g_autoptr (PlPruneHistory) history = pl_prune_history_new (model, 4);
  g_autoptr (PlPruneConfig) config = pl_prune_config_new ();
  GRand *rand = g_rand_new_with_seed (7);
  gint finished = 0, cancelled = 0;
  gint64 t0 = g_get_monotonic_time ();
  {
    Job job = { .cancellable = g_cancellable_new (), .config = config };
    job_thread (&job);
    ck_assert_msg (job.step != NULL, "%s", job.error ? job.error->message : "");
    pl_prune_step_free (job.step);
    g_object_unref (job.cancellable);
  }
  gint32 span_us = (gint32) MAX (1000, 1.2 * (double) (g_get_monotonic_time () - t0));
  for (gint i = 0; i < CYCLES; i++)
    {
      Job job = { .cancellable = g_cancellable_new (), .config = config };
      GThread *thread = g_thread_new ("soak-job", job_thread, &job);
      g_usleep ((gulong) g_rand_int_range (rand, 0, span_us));
      g_cancellable_cancel (job.cancellable);
      g_thread_join (thread);
      if (job.step != NULL)
        {
          ck_assert_ptr_null (job.error);
          ck_assert (job.step->pruned != NULL && job.step->evaluation != NULL);
          ck_assert (fabs (job.step->achieved_sparsity - 0.5) < 0.01);
          pl_prune_history_push (history, config, job.step->target_sparsity,
                                 job.step->pruned);
          pl_prune_step_free (job.step);
          finished++;
        }
      else
        {
          ck_assert_msg (g_error_matches (job.error, G_IO_ERROR, G_IO_ERROR_CANCELLED),
                         "cycle %d: %s", i, job.error ? job.error->message : "no error");
          g_error_free (job.error);
          cancelled++;
        }
      g_object_unref (job.cancellable);
    }
  g_rand_free (rand);
  fprintf (stderr, "random cancellation: %d finished, %d cancelled\n", finished, cancelled);
  ck_assert_int_gt (cancelled, 0);
  ck_assert_int_gt (finished, 0);
  ck_assert_uint_le (pl_prune_history_n_steps (history), 4);
  for (guint k = 1; k < pl_prune_history_n_steps (history); k++)
    ck_assert (pl_graph_weight_sparsity (pl_prune_history_step (history, k)->graph) > 0.49);
  ck_assert_msg (graph_checksum (model) == original_sum, "the original network changed");
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("soak");
  TCase *tc = tcase_create ("soak");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 600);
  tcase_add_test (tc, test_prune_undo_redo_cycles);
  tcase_add_test (tc, test_explanations);
  tcase_add_test (tc, test_random_cancellation);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
