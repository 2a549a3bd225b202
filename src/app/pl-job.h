/* pl-job.h — one piece of work off the main loop (issue 9, "Responsiveness").
 *
 * A PlJob runs a function in a GTask worker thread with a PlProgress (progress callback +
 * GCancellable, pl-progress.h) and delivers the outcome on the main loop (the thread-default
 * main context of the thread that started it). The worker never touches widgets: it
 * writes its progress into the job (under a lock) and the main thread copies it into a
 * GtkProgressBar / GtkLabel (pl_job_show_progress, or a 100 ms timer set up by
 * pl_job_bind_progress). The window and the LIME / SHAP view both run their jobs with it.
 *
 * Cancelling: pl_job_cancel asks the worker to stop (the done callback still runs, with a
 * G_IO_ERROR_CANCELLED error unless the work had finished); pl_job_abandon cancels and
 * drops the result: the done callback is never called, so its user_data may go away (a
 * replaced job, a destroyed widget). The job's data is freed once the worker has returned
 * and the job's last reference is dropped, never while the worker uses it.
 */
#pragma once

#include <gtk/gtk.h>
#include "pl-progress.h"

G_BEGIN_DECLS

typedef struct _PlJob PlJob;

/* Runs in the worker thread: compute into data (owned by the job) and return TRUE, or set
 * error and return FALSE. Report progress and check cancellation through progress. */
typedef gboolean (*PlJobFunc) (gpointer data, const PlProgress *progress, GError **error);

/* Runs on the main loop once the worker returned (never for an abandoned job). error is
 * NULL on success; job stays valid during the call. */
typedef void (*PlJobDoneFunc) (PlJob *job, const GError *error, gpointer user_data);

/* A job computing func (data, …); data_free (may be NULL) frees data with the job. */
PlJob *pl_job_new (PlJobFunc func, gpointer data, GDestroyNotify data_free);
PlJob *pl_job_ref (PlJob *job);
void pl_job_unref (PlJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlJob, pl_job_unref)

/* Starts the worker (once per job); done (may be NULL) runs on the main loop afterwards.
 * The job holds itself alive until then. */
void pl_job_start (PlJob *job, PlJobDoneFunc done, gpointer user_data);
/* Asks the worker to stop; done still runs. */
void pl_job_cancel (PlJob *job);
/* Cancels and forgets: done will not run. */
void pl_job_abandon (PlJob *job);

gpointer pl_job_get_data (PlJob *job);
GCancellable *pl_job_get_cancellable (PlJob *job);
/* TRUE from pl_job_start until done has run (or the job was abandoned). */
gboolean pl_job_is_running (PlJob *job);
gboolean pl_job_is_cancelled (PlJob *job);
/* The last progress the worker reported (fraction in [0, 1]; message newly allocated, may
 * be NULL). Thread-safe. */
double pl_job_get_progress (PlJob *job, char **message);
/* Reports progress as the worker does (any thread). */
void pl_job_report (PlJob *job, double fraction, const char *message);
/* Copies the progress into bar and label (either may be NULL). Main thread only. */
void pl_job_show_progress (PlJob *job, GtkProgressBar *bar, GtkLabel *label);
/* Shows the progress in bar / label every 100 ms while the job runs (stops by itself when
 * it ends or either widget is destroyed). */
void pl_job_bind_progress (PlJob *job, GtkProgressBar *bar, GtkLabel *label);
/* Addition (session 4): text for a label, dialog or toast, at most max_chars characters
 * (UTF-8 aware; a longer text ends in "…"), on one line when one_line (line breaks become
 * spaces). Error messages can quote user data (a 20 000-character column name kept pango
 * busy for minutes); everything the window shows from an error goes through this.
 * Newly allocated; NULL text gives "". */
#define PL_MESSAGE_MAX_CHARS 500
char *pl_cap_message (const char *text, glong max_chars, gboolean one_line);
/* For tests: TRUE once func ran, on a thread other than the one that started the job. */
gboolean pl_job_ran_off_main (PlJob *job);

/* Added (session 5): the worker threads of the process (jobs, canvas drawings) counted, so
 * that the application can wait for them before it exits — a worker still inside OpenBLAS
 * when exit () runs the libraries' destructors crashes the process. Begin on the main
 * thread when the work is queued; end in the worker when it returns (also when cancelled
 * before it ran). pl_workers_wait waits up to timeout_us for the count to reach 0 and says
 * whether it did. */
void pl_worker_begin (void);
void pl_worker_end (void);
gboolean pl_workers_wait (gint64 timeout_us);

/* Added (session 6): the scheduling priority (nice, 0–19) of the threads that compute jobs
 * and draw figures, and of the engine's parallel parts in the workbench: the main loop gets
 * the CPU first, so frames keep their pace while two cores compute (pl_thread_set_nice,
 * pl-ops.h). */
#define PL_JOB_NICE 10

G_END_DECLS
