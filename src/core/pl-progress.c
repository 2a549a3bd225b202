#include "pl-progress.h"

void
pl_progress_init (PlProgress *progress, PlProgressFunc func, gpointer user_data,
                  GCancellable *cancellable)
{
  g_return_if_fail (progress != NULL);
  progress->func = func;
  progress->user_data = user_data;
  progress->cancellable = cancellable;
  progress->lo = 0.0;
  progress->hi = 1.0;
}

PlProgress
pl_progress_sub (const PlProgress *parent, double from, double to)
{
  PlProgress child = { 0 };
  if (parent == NULL)
    {
      child.lo = 0.0;
      child.hi = 1.0;
      return child;
    }
  child = *parent;
  child.lo = parent->lo + (parent->hi - parent->lo) * from;
  child.hi = parent->lo + (parent->hi - parent->lo) * to;
  return child;
}

void
pl_progress_report (const PlProgress *progress, double fraction, const char *message)
{
  if (progress == NULL || progress->func == NULL)
    return;
  fraction = CLAMP (fraction, 0.0, 1.0);
  progress->func (progress->lo + (progress->hi - progress->lo) * fraction, message,
                  progress->user_data);
}

gboolean
pl_progress_cancelled (const PlProgress *progress, GError **error)
{
  if (progress == NULL || progress->cancellable == NULL)
    return FALSE;
  return g_cancellable_set_error_if_cancelled (progress->cancellable, error);
}
