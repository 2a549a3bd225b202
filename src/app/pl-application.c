#include "config.h"
#include <unistd.h>
#include "pl-application.h"
#include "pl-job.h"
#include "pl-session-io.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <signal.h>
#include "pl-window.h"
#include "pl-render.h"
#include "session/pl-session.h"
#include "ops/pl-ops.h"

struct _PlApplication {
  AdwApplication parent_instance;

  char *dataset_dir;
  char *view;
  char *method;
  char *pruning;
  double sparsity;
  gint64 index;
  GSettings *settings;   /* NULL when the schema is not installed */
};

G_DEFINE_FINAL_TYPE (PlApplication, pl_application, ADW_TYPE_APPLICATION)

static PlWindow *
open_window (PlApplication *self, const char *model_path)
{
  PlWindowOptions options = {
    .model_path = model_path,
    .dataset_dir = self->dataset_dir,
    .sparsity = self->sparsity,
    .index = self->index,
    .view = self->view,
    .method = self->method,
    .pruning = self->pruning,
  };
  PlWindow *window = pl_window_new (GTK_APPLICATION (self), &options);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static void
pl_application_activate (GApplication *app)
{
  open_window (PL_APPLICATION (app), NULL);
}

static void
pl_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *path = g_file_get_path (files[i]);
      /* A session file opens as a session (on the default model until it is read), not
       * as a model that fails to parse. */
      if (path != NULL && g_str_has_suffix (path, ".prunelens"))
        pl_window_open_session_file (open_window (PL_APPLICATION (app), NULL), path);
      else
        open_window (PL_APPLICATION (app), path);
    }
}

static int
pl_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  PlApplication *self = PL_APPLICATION (app);
  const char *s = NULL;
  double sparsity;
  if (g_variant_dict_lookup (options, "version", "b", NULL))
    {
      g_print ("prunelens %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (g_variant_dict_lookup (options, "dataset", "^&ay", &s))
    {
      g_free (self->dataset_dir);
      self->dataset_dir = g_strdup (s);
    }
  if (g_variant_dict_lookup (options, "sparsity", "d", &sparsity))
    {
      if (!(sparsity >= 0.0 && sparsity <= 99.0))
        {
          g_printerr (_("prunelens: --sparsity must be a percentage from 0 to 99\n"));
          return 2;
        }
      self->sparsity = sparsity / 100.0;
    }
  if (g_variant_dict_lookup (options, "index", "x", &self->index) && self->index < 0)
    {
      g_printerr (_("prunelens: --index must be 0 or more\n"));
      return 2;
    }
  if (g_variant_dict_lookup (options, "view", "&s", &s))
    {
      if (g_strcmp0 (s, "saliency") != 0 && g_strcmp0 (s, "features") != 0 &&
          g_strcmp0 (s, "shap") != 0 && g_strcmp0 (s, "metrics") != 0 &&
          g_strcmp0 (s, "sweep") != 0 && g_strcmp0 (s, "model") != 0)
        {
          g_printerr (_("prunelens: --view must be saliency, features, shap, sweep, model or metrics\n"));
          return 2;
        }
      g_free (self->view);
      self->view = g_strdup (s);
    }
  if (g_variant_dict_lookup (options, "method", "&s", &s))
    {
      PlMapMethod m;
      if (!pl_map_method_from_id (s, &m))
        {
          g_printerr (_("prunelens: --method must be saliency, gradient-x-input, "
                        "integrated-gradients, smoothgrad, occlusion or grad-cam\n"));
          return 2;
        }
      g_free (self->method);
      self->method = g_strdup (s);
    }
  if (g_variant_dict_lookup (options, "pruning", "&s", &s))
    {
      if (!pl_window_pruning_from_string (s, NULL, NULL, NULL))
        {
          g_printerr (_("prunelens: --pruning must be CRITERION,GRANULARITY,SCOPE, e.g. "
                        "l1,channels,global (criteria: magnitude, random, taylor, l1, l2; "
                        "granularities: unstructured, 2:4, channels; scopes: global, layerwise)\n"));
          return 2;
        }
      g_free (self->pruning);
      self->pruning = g_strdup (s);
    }
  return -1;
}

static void
about (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = user_data;
  const char *developers[] = { "The PruneLens developers", NULL };
  GtkWidget *about = adw_about_window_new ();
  g_object_set (about,
                "transient-for", gtk_application_get_active_window (app),
                "application-name", _("PruneLens"),
                "application-icon", APP_ID,
                "version", PACKAGE_VERSION,
                "comments", _("See what pruning does to a neural network and to its explanations."),
                "developers", developers,
                "license-type", GTK_LICENSE_GPL_3_0,
                "translator-credits", _("translator-credits"),
                NULL);
  gtk_window_present (GTK_WINDOW (about));
}

/* Quit the way the windows' close button does: each window's close-request runs (it
 * saves the window size and removes the crash-recovery autosave of a clean end), and the
 * application ends when its last window is gone. g_application_quit() would skip that, and
 * the next start would offer to restore a session that ended normally. */
static void
close_all_windows (GtkApplication *app)
{
  GList *windows = g_list_copy (gtk_application_get_windows (app));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));
  g_list_free (windows);
}

static void
quit (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  close_all_windows (GTK_APPLICATION (user_data));
}

/* SIGTERM (logout, `kill`) and SIGINT (Ctrl+C in a terminal) end the workbench like Quit,
 * except that nobody is asked to save: unsaved steps stay in the autosave for next time. */
static gboolean
on_terminate_signal (gpointer user_data)
{
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (user_data)));
  for (GList *l = windows; l != NULL; l = l->next)
    if (PL_IS_WINDOW (l->data))
      pl_window_terminate (PL_WINDOW (l->data));
    else
      gtk_window_close (GTK_WINDOW (l->data));
  g_list_free (windows);
  return G_SOURCE_CONTINUE;
}

/* The "colormap" setting: the colormap of unsigned maps in every figure built from now
 * on (signed maps stay blue–white–red). */
static void
colormap_changed (GSettings *settings, const char *key, gpointer user_data)
{
  g_autofree char *name = g_settings_get_string (settings, "colormap");
  PlColormap colormap;
  if (pl_colormap_from_name (name, &colormap))
    pl_render_set_sequential_colormap (colormap);
}

/* A clean exit leaves no lock file behind (pl-session-io.h). */
static void
pl_application_shutdown (GApplication *app)
{
  /* Windows still open (Quit, a signal, a benchmark's end) go now: that cancels their
   * jobs. Then wait for the workers: one still computing when exit () runs the libraries'
   * destructors (OpenBLAS frees its buffers) would crash the process on its way out. */
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (app)));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_destroy (GTK_WINDOW (l->data));
  g_list_free (windows);
  gboolean idle = pl_workers_wait (20 * G_USEC_PER_SEC);
  G_APPLICATION_CLASS (pl_application_parent_class)->shutdown (app);
  pl_session_io_release_lock ();
  if (!idle)
    {
      /* a worker that does not stop (a computation that cannot be cancelled): leave
       * without the destructors rather than crash in them */
      g_printerr ("%s\n", _("PruneLens: work still running at exit; exiting without "
                            "waiting for it"));
      fflush (stderr);
      _exit (0);
    }
}

static void
pl_application_startup (GApplication *app)
{
  PlApplication *self = PL_APPLICATION (app);
  G_APPLICATION_CLASS (pl_application_parent_class)->startup (app);
  /* the engine's parallel parts compute in the background too (pl-job.h) */
  pl_parallel_set_worker_nice (PL_JOB_NICE);
  static const GActionEntry entries[] = {
    { "about", about, NULL, NULL, NULL, { 0 } },
    { "quit", quit, NULL, NULL, NULL, { 0 } },
  };
  g_action_map_add_action_entries (G_ACTION_MAP (app), entries, G_N_ELEMENTS (entries), app);
  const char *quit_accels[] = { "<Control>q", NULL };
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_window_set_default_icon_name (APP_ID);
  g_unix_signal_add (SIGTERM, on_terminate_signal, app);
  g_unix_signal_add (SIGINT, on_terminate_signal, app);

  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = source ? g_settings_schema_source_lookup (source, APP_ID, TRUE)
                                              : NULL;
  if (schema != NULL && g_settings_schema_has_key (schema, "colormap"))
    {
      self->settings = g_settings_new (APP_ID);
      g_signal_connect (self->settings, "changed::colormap", G_CALLBACK (colormap_changed), NULL);
      colormap_changed (self->settings, "colormap", NULL);
    }
}

static void
pl_application_finalize (GObject *object)
{
  PlApplication *self = PL_APPLICATION (object);
  g_free (self->dataset_dir);
  g_free (self->view);
  g_free (self->method);
  g_free (self->pruning);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (pl_application_parent_class)->finalize (object);
}

static void
pl_application_class_init (PlApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);
  G_OBJECT_CLASS (klass)->finalize = pl_application_finalize;
  app_class->activate = pl_application_activate;
  app_class->open = pl_application_open;
  app_class->startup = pl_application_startup;
  app_class->shutdown = pl_application_shutdown;
  app_class->handle_local_options = pl_application_handle_local_options;
}

static void
pl_application_init (PlApplication *self)
{
  static const GOptionEntry entries[] = {
    { "dataset", 'd', 0, G_OPTION_ARG_FILENAME, NULL, N_("Dataset to open: a Fashion-MNIST folder (IDX files), a folder of PNGs by class, or a CSV / TSV table (label: the last column)"), N_("PATH") },
    { "sparsity", 's', 0, G_OPTION_ARG_DOUBLE, NULL, N_("Start pruned to this sparsity, in percent"), N_("PERCENT") },
    { "index", 'i', 0, G_OPTION_ARG_INT64, NULL, N_("Test image to select at start"), N_("INDEX") },
    { "view", 0, 0, G_OPTION_ARG_STRING, NULL, N_("View to show: saliency, features, shap, sweep, model or metrics"), N_("VIEW") },
    { "pruning", 'p', 0, G_OPTION_ARG_STRING, NULL, N_("Pruning criterion, granularity and scope, e.g. l1,channels,global"), N_("C,G,S") },
    { "method", 'm', 0, G_OPTION_ARG_STRING, NULL, N_("Attribution: saliency, gradient-x-input, integrated-gradients, smoothgrad, occlusion or grad-cam"), N_("METHOD") },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
    { NULL }
  };
  g_application_add_main_option_entries (G_APPLICATION (self), entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self),
                                                     _("[MODEL.onnx… | SESSION.prunelens]"));
  g_application_set_option_context_summary (G_APPLICATION (self),
      _("See what pruning does to a neural network and to its explanations.\n"
        "Without a model, opens the default Fashion-MNIST CNN and test set. A .prunelens file\n"
        "opens a saved session (model, dataset, steps and settings)."));
}

PlApplication *
pl_application_new (void)
{
  return g_object_new (PL_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE,
                       "resource-base-path", "/org/prunelens/PruneLens",
                       NULL);
}

static gint64 process_start_time;

void
pl_process_set_start_time (gint64 usec)
{
  process_start_time = usec;
}

gint64
pl_process_start_time (void)
{
  return process_start_time;
}
