/* pl-error.h — the PL_ERROR domain shared by every PruneLens layer.
 *
 * Messages are for users: name the file (and the byte offset, line or node) and say
 * what was expected. Cancellation uses G_IO_ERROR / G_IO_ERROR_CANCELLED.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PL_ERROR (pl_error_quark ())

typedef enum {
  PL_ERROR_FAILED,       /* anything else */
  PL_ERROR_IO,           /* a file could not be read or written */
  PL_ERROR_PARSE,        /* a file's contents are malformed or truncated */
  PL_ERROR_UNSUPPORTED,  /* valid input that PruneLens does not (yet) handle */
  PL_ERROR_INVALID,      /* an argument or a combination of inputs is not valid */
  PL_ERROR_TOO_LARGE,    /* a size overflows or exceeds a limit */
} PlErrorCode;

GQuark pl_error_quark (void);

/* TRUE if path is a regular file (following links). Otherwise FALSE with PL_ERROR_IO naming
 * the file and what it is instead — missing, a folder, or a device, pipe or socket, which
 * would block or never end if read — e.g. "'x' is a folder, not a recipe"; what names the
 * expected kind of file ("a recipe", "a CSV table"). */
gboolean pl_check_regular_file (const char *path, const char *what, GError **error);

/* Longest user-controlled name or value (in characters) that an error message quotes. */
#define PL_ERROR_QUOTE_MAX 60

/* A copy of text (a column name, a value, a class name read from a user's file) for
 * quoting in an error message: at most PL_ERROR_QUOTE_MAX characters, longer text cut
 * there and ended with "…", invalid UTF-8 replaced by U+FFFD, and control characters
 * (line breaks, tabs) shown as spaces, so a 20 000-character column name cannot make a
 * message megabytes long. NULL gives "(none)". Free with g_free. */
char *pl_error_quote (const char *text);

G_END_DECLS
