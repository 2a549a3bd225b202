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

G_END_DECLS
