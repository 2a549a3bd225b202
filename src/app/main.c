#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include "pl-application.h"
#include "exec/pl-cpu.h"

int
main (int argc, char **argv)
{
  pl_engine_init_cpu (argc, argv);   /* may re-exec once with faster OpenBLAS kernels */
  pl_process_set_start_time (g_get_monotonic_time ());
  setlocale (LC_ALL, "");
  const char *localedir = g_getenv ("PRUNELENS_LOCALEDIR");
  bindtextdomain (GETTEXT_PACKAGE, localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_application_name (_("PruneLens"));

  g_autoptr (PlApplication) app = pl_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
