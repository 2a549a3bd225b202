/* pl-application.h — the PruneLens application: command line, app actions, windows. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define PL_TYPE_APPLICATION (pl_application_get_type ())
G_DECLARE_FINAL_TYPE (PlApplication, pl_application, PL, APPLICATION, AdwApplication)

PlApplication *pl_application_new (void);
/* The g_get_monotonic_time () at which main () started (for PL_BENCH_FIRST_FRAME); set
 * once by main (); 0 when never set. */
void pl_process_set_start_time (gint64 usec);
gint64 pl_process_start_time (void);

G_END_DECLS
