#include "pl-error.h"

#include <errno.h>
#include <glib/gstdio.h>

G_DEFINE_QUARK (pl-error-quark, pl_error)

gboolean
pl_check_regular_file (const char *path, const char *what, GError **error)
{
  GStatBuf st;
  if (g_stat (path, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, PL_ERROR, PL_ERROR_IO, "Cannot read '%s': %s", path,
                   g_strerror (saved));
      return FALSE;
    }
  if (S_ISDIR (st.st_mode))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_IO, "'%s' is a folder, not %s", path, what);
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_IO,
                   "'%s' is not a regular file (a device, pipe or socket), not %s", path, what);
      return FALSE;
    }
  return TRUE;
}
