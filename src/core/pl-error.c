#include "pl-error.h"

#include <errno.h>
#include <string.h>
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

char *
pl_error_quote (const char *text)
{
  if (text == NULL)
    return g_strdup ("(none)");
  /* Only the start matters: validate a bounded prefix (4 bytes per character at most). */
  gsize len = strlen (text);
  gsize take = MIN (len, (gsize) PL_ERROR_QUOTE_MAX * 4 + 4);
  g_autofree char *valid = g_utf8_make_valid (text, (gssize) take);
  GString *out = g_string_sized_new (PL_ERROR_QUOTE_MAX + 8);
  const char *p = valid;
  glong n = 0;
  while (*p != '\0' && n < PL_ERROR_QUOTE_MAX) {
    gunichar c = g_utf8_get_char (p);
    if (c < 0x20 || c == 0x7f)
      g_string_append_c (out, ' ');
    else
      g_string_append_unichar (out, c);
    p = g_utf8_next_char (p);
    n++;
  }
  /* Cut when characters remain in the prefix, or the prefix itself was cut short. */
  if (*p != '\0' || take < len)
    g_string_append (out, "…");
  return g_string_free (out, FALSE);
}
