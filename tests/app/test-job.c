/* test-job.c — the job helper (pl-job.h) and the explanation cache (pl-explain-cache.h).
 * No display needed: jobs run on a GMainContext without widgets (the progress widgets are
 * tested only when a display is there). */
#include <check.h>
#include <gtk/gtk.h>
#include <string.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include "pl-job.h"
#include "pl-explain-cache.h"

typedef struct {
  gint n;                          /* sums 1..n */
  gint64 sum;
  gboolean wait_cancel;            /* spins until cancelled */
  GThread *thread;
  gint nice;                       /* the worker thread's priority */
  gint *freed;                     /* set to 1 when freed */
} Work;

/* The calling thread's nice value (0 where threads have none of their own). */
static gint
thread_nice (void)
{
#ifdef __linux__
  return getpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid));
#else
  return 0;
#endif
}

static void
work_free (Work *w)
{
  if (w->freed != NULL)
    *w->freed = 1;
  g_free (w);
}

static gboolean
work_run (gpointer data, const PlProgress *progress, GError **error)
{
  Work *w = data;
  w->thread = g_thread_self ();
  w->nice = thread_nice ();
  if (w->wait_cancel)
    {
      for (gint i = 0; i < 10000; i++)   /* at most 10 s */
        {
          pl_progress_report (progress, 0.25, "waiting");
          if (pl_progress_cancelled (progress, error))
            return FALSE;
          g_usleep (1000);
        }
      return TRUE;
    }
  for (gint i = 1; i <= w->n; i++)
    w->sum += i;
  pl_progress_report (progress, 0.5, "half");
  if (w->n < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "n = %d < 0", w->n);
      return FALSE;
    }
  return TRUE;
}

typedef struct {
  gint calls;
  gboolean ok;
  gboolean cancelled;
  GThread *thread;
  gboolean was_running;
} Done;

static void
on_done (PlJob *job, const GError *error, gpointer user_data)
{
  Done *d = user_data;
  d->calls++;
  d->ok = error == NULL;
  d->cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  d->thread = g_thread_self ();
  d->was_running = pl_job_is_running (job);
}

static void
spin_until (gboolean *flag_or_null, PlJob *job, double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      if (job != NULL && !pl_job_is_running (job))
        return;
      if (flag_or_null != NULL && *flag_or_null)
        return;
      g_usleep (1000);
    }
}

START_TEST (test_job_result_on_main)
{
  gint freed = 0;
  Work *w = g_new0 (Work, 1);
  w->n = 100;
  w->freed = &freed;
  Done d = { 0 };
  gint main_nice = thread_nice ();
  PlJob *job = pl_job_new (work_run, w, (GDestroyNotify) work_free);
  ck_assert (!pl_job_is_running (job));
  pl_job_start (job, on_done, &d);
  ck_assert (pl_job_is_running (job));
  spin_until (NULL, job, 10);
  ck_assert_int_eq (d.calls, 1);
  ck_assert (d.ok);
  ck_assert (!d.was_running);
  ck_assert_int_eq (w->sum, 5050);                   /* 100 · 101 / 2 */
  ck_assert (w->thread != g_thread_self ());          /* computed off the main thread */
  ck_assert (d.thread == g_thread_self ());           /* delivered on it */
  ck_assert (pl_job_ran_off_main (job));
#ifdef __linux__
  /* the job computed in the background, the main loop kept its priority */
  ck_assert_int_ge (w->nice, PL_JOB_NICE);
  ck_assert_int_eq (thread_nice (), main_nice);
#endif
  g_autofree char *msg = NULL;
  ck_assert_double_eq (pl_job_get_progress (job, &msg), 0.5);
  ck_assert_str_eq (msg, "half");
  ck_assert_int_eq (freed, 0);
  pl_job_unref (job);
  ck_assert_int_eq (freed, 1);
}
END_TEST

START_TEST (test_job_error)
{
  Work *w = g_new0 (Work, 1);
  w->n = -1;
  Done d = { 0 };
  g_autoptr (PlJob) job = pl_job_new (work_run, w, g_free);
  pl_job_start (job, on_done, &d);
  spin_until (NULL, job, 10);
  ck_assert_int_eq (d.calls, 1);
  ck_assert (!d.ok);
  ck_assert (!d.cancelled);
}
END_TEST

START_TEST (test_job_cancel)
{
  Work *w = g_new0 (Work, 1);
  w->wait_cancel = TRUE;
  Done d = { 0 };
  g_autoptr (PlJob) job = pl_job_new (work_run, w, g_free);
  pl_job_start (job, on_done, &d);
  g_usleep (20000);
  ck_assert (pl_job_is_running (job));
  ck_assert (!pl_job_is_cancelled (job));
  pl_job_cancel (job);
  ck_assert (pl_job_is_cancelled (job));
  spin_until (NULL, job, 10);
  ck_assert_int_eq (d.calls, 1);   /* done still runs, with the cancellation */
  ck_assert (d.cancelled);
}
END_TEST

START_TEST (test_job_abandon)
{
  gint freed = 0;
  Work *w = g_new0 (Work, 1);
  w->wait_cancel = TRUE;
  w->freed = &freed;
  Done d = { 0 };
  PlJob *job = pl_job_new (work_run, w, (GDestroyNotify) work_free);
  pl_job_start (job, on_done, &d);
  g_usleep (20000);
  pl_job_abandon (job);
  ck_assert (!pl_job_is_running (job));
  pl_job_unref (job);             /* the caller's reference: the worker still holds one */
  ck_assert_int_eq (freed, 0);
  spin_until (&freed, NULL, 10);
  ck_assert_int_eq (freed, 1);    /* freed once the worker returned */
  ck_assert_int_eq (d.calls, 0);  /* and done never ran */
}
END_TEST

/* The application waits for workers before it exits: pl_workers_wait sees a running job and
 * returns once it has ended (without the main loop: the worker needs none). */
START_TEST (test_workers_wait)
{
  ck_assert (pl_workers_wait (5 * G_USEC_PER_SEC));   /* earlier tests' workers have ended */
  Work *w = g_new0 (Work, 1);
  w->wait_cancel = TRUE;
  Done d = { 0 };
  PlJob *job = pl_job_new (work_run, w, g_free);
  pl_job_start (job, on_done, &d);
  ck_assert (!pl_workers_wait (50000));   /* it runs until cancelled */
  pl_job_abandon (job);
  ck_assert (pl_workers_wait (10 * G_USEC_PER_SEC));
  pl_job_unref (job);
  spin_until (NULL, NULL, 0.2);
  ck_assert_int_eq (d.calls, 0);
  /* begin / end pair up */
  pl_worker_begin ();
  ck_assert (!pl_workers_wait (1000));
  pl_worker_end ();
  ck_assert (pl_workers_wait (0));
}
END_TEST

START_TEST (test_job_progress_widgets)
{
  if ((g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL) ||
      !gtk_init_check ())
    return;   /* no display: the widgets are not tested */
  GtkWidget *bar = g_object_ref_sink (gtk_progress_bar_new ());
  GtkWidget *label = g_object_ref_sink (gtk_label_new (NULL));
  Work *w = g_new0 (Work, 1);
  w->wait_cancel = TRUE;
  g_autoptr (PlJob) job = pl_job_new (work_run, w, g_free);
  pl_job_start (job, NULL, NULL);
  pl_job_bind_progress (job, GTK_PROGRESS_BAR (bar), GTK_LABEL (label));
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (g_strcmp0 (gtk_label_get_label (GTK_LABEL (label)), "waiting") != 0 &&
         g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  ck_assert_str_eq (gtk_label_get_label (GTK_LABEL (label)), "waiting");
  ck_assert_double_eq (gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (bar)), 0.25);
  /* the widgets may go away while the job runs */
  g_object_unref (label);
  pl_job_cancel (job);
  spin_until (NULL, job, 10);
  ck_assert (!pl_job_is_running (job));
  g_object_unref (bar);
}
END_TEST

/* pl_cap_message: what the window shows of a message is capped (a 20 000-character
 * column name in an error kept pango busy for minutes) */
START_TEST (test_cap_message)
{
  g_autofree char *a = pl_cap_message ("short", 10, TRUE);
  ck_assert_str_eq (a, "short");
  g_autofree char *b = pl_cap_message ("abcdefghij", 10, TRUE);   /* exactly the cap */
  ck_assert_str_eq (b, "abcdefghij");
  g_autofree char *c = pl_cap_message ("abcdefghijk", 10, TRUE);
  ck_assert_str_eq (c, "abcdefghi…");
  ck_assert_int_eq (g_utf8_strlen (c, -1), 10);
  g_autofree char *d = pl_cap_message ("a\nb\tc", 10, TRUE);     /* one line */
  ck_assert_str_eq (d, "a b c");
  g_autofree char *e = pl_cap_message ("a\nb", 10, FALSE);
  ck_assert_str_eq (e, "a\nb");
  g_autofree char *f = pl_cap_message ("宽度宽度宽度", 4, TRUE);     /* characters, not bytes */
  ck_assert_str_eq (f, "宽度宽…");
  g_autofree char *g = pl_cap_message (NULL, 4, TRUE);
  ck_assert_str_eq (g, "");
  g_autofree char *h = pl_cap_message ("ab\xff\xfe" "cd", 100, TRUE); /* invalid UTF-8 */
  ck_assert (g_utf8_validate (h, -1, NULL));
  char *huge = g_malloc (20001);
  memset (huge, 'x', 20000);
  huge[20000] = '\0';
  g_autofree char *i = pl_cap_message (huge, PL_MESSAGE_MAX_CHARS, TRUE);
  g_free (huge);
  ck_assert_int_eq (g_utf8_strlen (i, -1), PL_MESSAGE_MAX_CHARS);
  ck_assert (g_str_has_suffix (i, "…"));
}
END_TEST

/* ---- the explanation cache ---- */

static PlGraph *
tiny_graph (void)
{
  return pl_graph_new ();
}

static gint evicted;
static gpointer last_evicted;

static void
on_evict (gpointer value, gpointer user_data)
{
  evicted++;
  last_evicted = value;
  (*(gint *) user_data)++;
}

START_TEST (test_cache_hit_miss_evict)
{
  g_autoptr (PlGraph) a = tiny_graph ();
  g_autoptr (PlGraph) b = tiny_graph ();
  PlExplainCache *cache = pl_explain_cache_new (3);
  gint notified = 0;
  evicted = 0;
  pl_explain_cache_add_evict_notify (cache, on_evict, &notified);
  PlExplainKey k = { .original = a, .pruned = b, .sample = 0, .method = "comparison",
                     .params = "saliency" };
  ck_assert_ptr_null (pl_explain_cache_lookup (cache, &k));     /* miss */
  pl_explain_cache_insert (cache, &k, g_strdup ("v0"), g_free);
  ck_assert_str_eq (pl_explain_cache_lookup (cache, &k), "v0");  /* hit */
  /* every part of the key counts */
  PlExplainKey k1 = k;
  k1.sample = 1;
  ck_assert_ptr_null (pl_explain_cache_lookup (cache, &k1));
  PlExplainKey k2 = k;
  k2.params = "integrated-gradients";
  ck_assert_ptr_null (pl_explain_cache_lookup (cache, &k2));
  PlExplainKey k3 = k;
  k3.pruned = a;
  ck_assert_ptr_null (pl_explain_cache_lookup (cache, &k3));
  PlExplainKey k4 = k;
  k4.method = "lime-shap";
  ck_assert_ptr_null (pl_explain_cache_lookup (cache, &k4));
  guint h, m, n;
  pl_explain_cache_stats (cache, "comparison", &h, &m, &n);
  ck_assert_uint_eq (h, 1);
  ck_assert_uint_eq (m, 4);
  ck_assert_uint_eq (n, 1);
  pl_explain_cache_stats (cache, "lime-shap", &h, &m, &n);
  ck_assert_uint_eq (h, 0);
  ck_assert_uint_eq (m, 1);
  ck_assert_uint_eq (n, 0);

  /* LRU with one bound for every method: v0, v1, v4 fill it; using v0 makes v1 the
   * oldest, so a fourth entry drops v1 */
  pl_explain_cache_insert (cache, &k1, g_strdup ("v1"), g_free);
  pl_explain_cache_insert (cache, &k4, g_strdup ("v4"), g_free);
  ck_assert_int_eq (notified, 0);
  ck_assert_str_eq (pl_explain_cache_lookup (cache, &k), "v0");
  gpointer v2 = pl_explain_cache_insert (cache, &k2, g_strdup ("v2"), g_free);
  ck_assert_str_eq (v2, "v2");
  ck_assert_int_eq (notified, 1);
  ck_assert_ptr_null (pl_explain_cache_lookup (cache, &k1));
  ck_assert_str_eq (pl_explain_cache_lookup (cache, &k), "v0");
  ck_assert_str_eq (pl_explain_cache_lookup (cache, &k4), "v4");
  pl_explain_cache_stats (cache, NULL, NULL, NULL, &n);
  ck_assert_uint_eq (n, 3);

  /* the same key again replaces (the old value is notified and freed) */
  pl_explain_cache_insert (cache, &k2, g_strdup ("v2b"), g_free);
  ck_assert_int_eq (notified, 2);
  ck_assert_str_eq (pl_explain_cache_lookup (cache, &k2), "v2b");

  /* clearing one method keeps the others */
  pl_explain_cache_clear (cache, "lime-shap");
  ck_assert_int_eq (notified, 3);
  ck_assert_ptr_null (pl_explain_cache_lookup (cache, &k4));
  ck_assert_str_eq (pl_explain_cache_lookup (cache, &k), "v0");
  pl_explain_cache_remove_evict_notify (cache, on_evict, &notified);
  pl_explain_cache_clear (cache, NULL);
  ck_assert_int_eq (notified, 3);
  pl_explain_cache_stats (cache, NULL, NULL, NULL, &n);
  ck_assert_uint_eq (n, 0);
  pl_explain_cache_unref (cache);
}
END_TEST

START_TEST (test_cache_input_content)
{
  g_autoptr (PlGraph) a = tiny_graph ();
  g_autoptr (PlExplainCache) cache = pl_explain_cache_new (4);
  g_autoptr (PlTensor) x = pl_tensor_new_2d (1, 3);
  g_autoptr (PlTensor) y = pl_tensor_new_2d (1, 3);
  x->data[0] = y->data[0] = 1.0f;
  PlExplainKey kx = { .original = a, .pruned = a, .sample = -1, .input = x,
                      .method = "lime-shap", .params = "seed=1" };
  pl_explain_cache_insert (cache, &kx, g_strdup ("fx"), g_free);
  /* another tensor with the same content is the same input */
  PlExplainKey ky = kx;
  ky.input = y;
  ck_assert_str_eq (pl_explain_cache_lookup (cache, &ky), "fx");
  y->data[2] = 0.5f;
  ck_assert_ptr_null (pl_explain_cache_lookup (cache, &ky));
  /* the cache holds its own reference to the graphs: dropping ours is fine */
}
END_TEST

int
main (void)
{
  Suite *suite = suite_create ("job");
  TCase *tc = tcase_create ("main");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_cap_message);
  tcase_add_test (tc, test_job_result_on_main);
  tcase_add_test (tc, test_workers_wait);
  tcase_add_test (tc, test_job_error);
  tcase_add_test (tc, test_job_cancel);
  tcase_add_test (tc, test_job_abandon);
  tcase_add_test (tc, test_job_progress_widgets);
  tcase_add_test (tc, test_cache_hit_miss_evict);
  tcase_add_test (tc, test_cache_input_content);
  suite_add_tcase (suite, tc);
  SRunner *runner = srunner_create (suite);
  srunner_set_fork_status (runner, CK_NOFORK);
  srunner_run_all (runner, CK_NORMAL);
  int failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
