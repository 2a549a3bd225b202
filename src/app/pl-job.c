/* pl-job.c — one piece of work off the main loop (pl-job.h). */
#include "config.h"
#include "pl-job.h"
#include "ops/pl-ops.h"

struct _PlJob {
  gint ref_count;
  PlJobFunc func;
  gpointer data;
  GDestroyNotify data_free;
  GCancellable *cancellable;
  PlJobDoneFunc done;
  gpointer user_data;
  GThread *starter;               /* the thread that called pl_job_start */
  gboolean started, running, abandoned;
  /* written by the worker */
  GMutex lock;
  double fraction;
  char *message;
  gboolean ran_off_main;
};

PlJob *
pl_job_new (PlJobFunc func, gpointer data, GDestroyNotify data_free)
{
  g_return_val_if_fail (func != NULL, NULL);
  PlJob *job = g_new0 (PlJob, 1);
  job->ref_count = 1;
  job->func = func;
  job->data = data;
  job->data_free = data_free;
  job->cancellable = g_cancellable_new ();
  g_mutex_init (&job->lock);
  return job;
}

PlJob *
pl_job_ref (PlJob *job)
{
  g_return_val_if_fail (job != NULL, NULL);
  g_atomic_int_inc (&job->ref_count);
  return job;
}

void
pl_job_unref (PlJob *job)
{
  if (job == NULL || !g_atomic_int_dec_and_test (&job->ref_count))
    return;
  if (job->data_free != NULL && job->data != NULL)
    job->data_free (job->data);
  g_clear_object (&job->cancellable);
  g_mutex_clear (&job->lock);
  g_free (job->message);
  g_free (job);
}

void
pl_job_report (PlJob *job, double fraction, const char *message)
{
  g_return_if_fail (job != NULL);
  g_mutex_lock (&job->lock);
  job->fraction = fraction;
  if (message != NULL && g_strcmp0 (message, job->message) != 0)
    {
      g_free (job->message);
      job->message = g_strdup (message);
    }
  g_mutex_unlock (&job->lock);
}

static GMutex workers_lock;
static GCond workers_cond;
static guint workers_running;

void
pl_worker_begin (void)
{
  g_mutex_lock (&workers_lock);
  workers_running++;
  g_mutex_unlock (&workers_lock);
}

void
pl_worker_end (void)
{
  g_mutex_lock (&workers_lock);
  g_warn_if_fail (workers_running > 0);
  if (workers_running > 0 && --workers_running == 0)
    g_cond_broadcast (&workers_cond);
  g_mutex_unlock (&workers_lock);
}

gboolean
pl_workers_wait (gint64 timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;
  g_mutex_lock (&workers_lock);
  while (workers_running > 0)
    if (!g_cond_wait_until (&workers_cond, &workers_lock, end))
      break;
  gboolean done = workers_running == 0;
  g_mutex_unlock (&workers_lock);
  return done;
}

static void
progress_cb (double fraction, const char *message, gpointer user_data)
{
  pl_job_report (user_data, fraction, message);
}

static void
job_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  PlJob *job = task_data;
  PlProgress progress;
  GError *error = NULL;
  g_mutex_lock (&job->lock);
  job->ran_off_main = g_thread_self () != job->starter;
  g_mutex_unlock (&job->lock);
  /* computations leave the CPU to the main loop (frames) first */
  pl_thread_set_nice (PL_JOB_NICE);
  pl_progress_init (&progress, progress_cb, job, cancellable);
  if (job->func (job->data, &progress, &error))
    g_task_return_boolean (task, TRUE);
  else
    {
      if (error == NULL)
        g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "the job failed");
      g_task_return_error (task, error);
    }
  pl_worker_end ();
}

static void
job_task_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PlJob *job = user_data;
  g_autoptr (GError) error = NULL;
  g_task_propagate_boolean (G_TASK (result), &error);
  if (!job->abandoned)
    {
      job->running = FALSE;
      if (job->done != NULL)
        job->done (job, error, job->user_data);
    }
  pl_job_unref (job);   /* the reference taken by pl_job_start */
}

void
pl_job_start (PlJob *job, PlJobDoneFunc done, gpointer user_data)
{
  g_return_if_fail (job != NULL);
  g_return_if_fail (!job->started);
  job->started = TRUE;
  job->running = TRUE;
  job->done = done;
  job->user_data = user_data;
  job->starter = g_thread_self ();
  GTask *task = g_task_new (NULL, job->cancellable, job_task_done, pl_job_ref (job));
  g_task_set_source_tag (task, pl_job_start);
  /* the task's data is the job itself: the task holds no reference, job_task_done's
   * reference keeps the job alive until the worker has returned */
  g_task_set_task_data (task, job, NULL);
  g_task_set_return_on_cancel (task, FALSE);
  pl_worker_begin ();
  g_task_run_in_thread (task, job_thread);
  g_object_unref (task);
}

void
pl_job_cancel (PlJob *job)
{
  g_return_if_fail (job != NULL);
  g_cancellable_cancel (job->cancellable);
}

void
pl_job_abandon (PlJob *job)
{
  g_return_if_fail (job != NULL);
  job->abandoned = TRUE;
  job->running = FALSE;
  g_cancellable_cancel (job->cancellable);
}

gpointer
pl_job_get_data (PlJob *job)
{
  g_return_val_if_fail (job != NULL, NULL);
  return job->data;
}

GCancellable *
pl_job_get_cancellable (PlJob *job)
{
  g_return_val_if_fail (job != NULL, NULL);
  return job->cancellable;
}

gboolean
pl_job_is_running (PlJob *job)
{
  g_return_val_if_fail (job != NULL, FALSE);
  return job->running;
}

gboolean
pl_job_is_cancelled (PlJob *job)
{
  g_return_val_if_fail (job != NULL, FALSE);
  return g_cancellable_is_cancelled (job->cancellable);
}

double
pl_job_get_progress (PlJob *job, char **message)
{
  g_return_val_if_fail (job != NULL, 0.0);
  g_mutex_lock (&job->lock);
  double f = job->fraction;
  if (message != NULL)
    *message = g_strdup (job->message);
  g_mutex_unlock (&job->lock);
  return CLAMP (f, 0.0, 1.0);
}

void
pl_job_show_progress (PlJob *job, GtkProgressBar *bar, GtkLabel *label)
{
  g_return_if_fail (job != NULL);
  g_autofree char *message = NULL;
  double f = pl_job_get_progress (job, &message);
  if (bar != NULL)
    gtk_progress_bar_set_fraction (bar, f);
  if (label != NULL)
    {
      g_autofree char *capped = pl_cap_message (message, PL_MESSAGE_MAX_CHARS, TRUE);
      gtk_label_set_label (label, capped);
    }
}

gboolean
pl_job_ran_off_main (PlJob *job)
{
  g_return_val_if_fail (job != NULL, FALSE);
  g_mutex_lock (&job->lock);
  gboolean off = job->ran_off_main;
  g_mutex_unlock (&job->lock);
  return off;
}

/* ---- pl_job_bind_progress ---- */

typedef struct {
  PlJob *job;
  GtkProgressBar *bar;            /* weak */
  GtkLabel *label;                /* weak */
} Binding;

static void
binding_free (gpointer data)
{
  Binding *b = data;
  if (b->bar != NULL)
    g_object_remove_weak_pointer (G_OBJECT (b->bar), (gpointer *) &b->bar);
  if (b->label != NULL)
    g_object_remove_weak_pointer (G_OBJECT (b->label), (gpointer *) &b->label);
  pl_job_unref (b->job);
  g_free (b);
}

static gboolean
binding_tick (gpointer data)
{
  Binding *b = data;
  if (!pl_job_is_running (b->job) || (b->bar == NULL && b->label == NULL))
    return G_SOURCE_REMOVE;
  pl_job_show_progress (b->job, b->bar, b->label);
  return G_SOURCE_CONTINUE;
}

void
pl_job_bind_progress (PlJob *job, GtkProgressBar *bar, GtkLabel *label)
{
  g_return_if_fail (job != NULL);
  Binding *b = g_new0 (Binding, 1);
  b->job = pl_job_ref (job);
  b->bar = bar;
  b->label = label;
  if (bar != NULL)
    g_object_add_weak_pointer (G_OBJECT (bar), (gpointer *) &b->bar);
  if (label != NULL)
    g_object_add_weak_pointer (G_OBJECT (label), (gpointer *) &b->label);
  pl_job_show_progress (job, bar, label);
  g_timeout_add_full (G_PRIORITY_DEFAULT, 100, binding_tick, b, binding_free);
}

char *
pl_cap_message (const char *text, glong max_chars, gboolean one_line)
{
  if (text == NULL)
    return g_strdup ("");
  if (max_chars < 1)
    max_chars = 1;
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  GString *s = g_string_new (NULL);
  glong n = 0;
  const char *p = valid;
  for (; *p != '\0' && n < max_chars; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);
      if (one_line && (c == '\n' || c == '\r' || c == '\t'))
        c = ' ';
      g_string_append_unichar (s, c);
    }
  if (*p != '\0')
    {
      /* cut: the last character gives way to the ellipsis */
      if (s->len > 0)
        {
          char *last = g_utf8_find_prev_char (s->str, s->str + s->len);
          g_string_truncate (s, last != NULL ? (gsize) (last - s->str) : 0);
        }
      g_string_append (s, "…");
    }
  return g_string_free (s, FALSE);
}
