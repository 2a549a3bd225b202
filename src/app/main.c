#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <locale.h>
#include "pl-application.h"
#include "pl-render.h"
#include "exec/pl-cpu.h"

/* The "threads" setting (0: automatic) becomes PL_NUM_THREADS, which the engine reads
 * once when it first computes; an explicit PL_NUM_THREADS in the environment wins. Done
 * before GTK starts any thread. */
static void
apply_thread_setting (void)
{
  if (g_getenv ("PL_NUM_THREADS") != NULL)
    return;
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = source ? g_settings_schema_source_lookup (source, APP_ID, TRUE)
                                              : NULL;
  if (schema == NULL || !g_settings_schema_has_key (schema, "threads"))
    return;
  g_autoptr (GSettings) settings = g_settings_new (APP_ID);
  gint threads = g_settings_get_int (settings, "threads");
  if (threads > 0)
    {
      g_autofree char *value = g_strdup_printf ("%d", threads);
      g_setenv ("PL_NUM_THREADS", value, TRUE);
    }
}

int
main (int argc, char **argv)
{
  pl_engine_init_cpu (argc, argv);   /* may re-exec once with faster OpenBLAS kernels */
  /* The benchmarks drive the window (method, sparsity…): never into the user's settings. */
  if (g_strcmp0 (g_getenv ("PL_BENCH_FRAMES"), "1") == 0
      || g_strcmp0 (g_getenv ("PL_BENCH_FIRST_FRAME"), "1") == 0)
    g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  pl_process_set_start_time (g_get_monotonic_time ());
  setlocale (LC_ALL, "");
  /* $PRUNELENS_LOCALEDIR, else the build tree's catalogues when run uninstalled from
   * it, else the installed ones. */
  bindtextdomain (GETTEXT_PACKAGE, pl_locale_dir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_application_name (_("PruneLens"));
  apply_thread_setting ();

  g_autoptr (PlApplication) app = pl_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
