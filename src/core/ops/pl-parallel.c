/* pl-parallel.c — a small fork-join helper: splits a kernel's work into a fixed number of
 * parts and runs them on a shared pool of worker threads plus the calling thread.
 *
 * The number of parts is fixed for the process (PL_NUM_THREADS, else the number of
 * processors, at most 8), so results are deterministic for a given thread count.
 * OpenBLAS is switched to one thread per call: measured on the 2-core target, two callers
 * of a single-threaded sgemm run 2.0x faster than one sequential caller, while OpenBLAS's
 * own threading gives 1.2x at the sizes of our convolutions.
 */
#include <cblas.h>
#include <stdlib.h>
#ifdef __linux__
#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include "pl-ops.h"

static GThreadPool *pool;
static gint n_parts = 1;
/* TRUE on a thread while it runs a part: nested pl_parallel_run calls then run their
 * parts in order on that thread (the pool's threads are all busy with the outer job). */
static __thread gboolean in_part;

typedef struct {
  PlPartFunc func;
  gpointer data;
  gint part;
  gint *remaining;
  GMutex *mutex;
  GCond *cond;
} Task;

static gint worker_nice;   /* atomic */

gint
pl_thread_set_nice (gint nice)
{
#ifdef __linux__
  /* the thread's value once known: run_task asks for every part of every kernel, and a
   * thread's priority only changes here (it cannot be raised again) */
  static __thread gint known = -1;
  nice = CLAMP (nice, 0, 19);
  if (known >= nice)
    return known;
  /* on Linux, PRIO_PROCESS with a thread id is that one thread's nice value */
  id_t tid = (id_t) syscall (SYS_gettid);
  errno = 0;
  int now = getpriority (PRIO_PROCESS, tid);
  if (errno != 0)
    return 0;
  if (now < nice && setpriority (PRIO_PROCESS, tid, nice) == 0)
    now = nice;
  known = now;
  return now;
#else
  return 0;
#endif
}

void
pl_parallel_set_worker_nice (gint nice)
{
  g_atomic_int_set (&worker_nice, CLAMP (nice, 0, 19));
}

static void
run_task (gpointer task_ptr, gpointer user_data)
{
  Task *t = task_ptr;
  gint nice = g_atomic_int_get (&worker_nice);
  if (nice > 0)
    pl_thread_set_nice (nice);
  in_part = TRUE;
  t->func (t->part, n_parts, t->data);
  in_part = FALSE;
  g_mutex_lock (t->mutex);
  if (--(*t->remaining) == 0)
    g_cond_signal (t->cond);
  g_mutex_unlock (t->mutex);
}

static gpointer
init_pool (gpointer unused)
{
  const char *env = g_getenv ("PL_NUM_THREADS");
  gint n = env != NULL ? atoi (env) : (gint) g_get_num_processors ();
  n = CLAMP (n, 1, 8);
  if (n > 1)
    pool = g_thread_pool_new (run_task, NULL, n - 1, FALSE, NULL);
  n_parts = pool != NULL ? n : 1;
  openblas_set_num_threads (1);
  return NULL;
}

gint
pl_parallel_parts (void)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, init_pool, NULL);
  return n_parts;
}

void
pl_parallel_run (PlPartFunc func, gpointer data)
{
  gint n = pl_parallel_parts ();
  if (n == 1)
    {
      func (0, 1, data);
      return;
    }
  if (in_part)
    {
      for (gint p = 0; p < n; p++)
        func (p, n, data);
      return;
    }
  GMutex mutex;
  GCond cond;
  g_mutex_init (&mutex);
  g_cond_init (&cond);
  gint remaining = n - 1;
  Task *tasks = g_newa (Task, n);
  for (gint p = 1; p < n; p++)
    {
      tasks[p] = (Task) { func, data, p, &remaining, &mutex, &cond };
      g_thread_pool_push (pool, &tasks[p], NULL);
    }
  in_part = TRUE;
  func (0, n, data);
  in_part = FALSE;
  g_mutex_lock (&mutex);
  while (remaining > 0)
    g_cond_wait (&cond, &mutex);
  g_mutex_unlock (&mutex);
  g_mutex_clear (&mutex);
  g_cond_clear (&cond);
}
