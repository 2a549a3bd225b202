/* pl-progress.h — progress reporting and cancellation for long computations.
 *
 * Every long computation in core takes a `PlProgress *` (which may be NULL). The GUI
 * passes one whose callback forwards to a progress bar on the main loop and whose
 * cancellable is bound to a Cancel button; the CLI passes one that draws a terminal bar
 * and is cancelled on Ctrl-C. The callback is called from the computing thread.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* fraction in [0, 1]; message may be NULL. Called from the worker thread. */
typedef void (*PlProgressFunc) (double fraction, const char *message, gpointer user_data);

typedef struct {
  PlProgressFunc func;
  gpointer user_data;
  GCancellable *cancellable;   /* borrowed, may be NULL */
  /* A sub-range [lo, hi] of the parent's [0, 1], for nested computations. */
  double lo, hi;
} PlProgress;

/* Initialise with a full [0, 1] range. */
void pl_progress_init (PlProgress *progress, PlProgressFunc func, gpointer user_data,
                       GCancellable *cancellable);

/* A child progress covering [from, to] of parent's range (parent may be NULL). */
PlProgress pl_progress_sub (const PlProgress *parent, double from, double to);

/* Report fraction of this (sub-)range done. progress may be NULL. */
void pl_progress_report (const PlProgress *progress, double fraction, const char *message);

/* TRUE (and sets G_IO_ERROR_CANCELLED) when cancelled. progress may be NULL. */
gboolean pl_progress_cancelled (const PlProgress *progress, GError **error);

G_END_DECLS
