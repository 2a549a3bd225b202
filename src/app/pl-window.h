/* pl-window.h — the workbench window: one session (model + dataset + pruning). */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define PL_TYPE_WINDOW (pl_window_get_type ())
G_DECLARE_FINAL_TYPE (PlWindow, pl_window, PL, WINDOW, AdwApplicationWindow)

typedef struct {
  const char *model_path;    /* NULL: the default model */
  const char *dataset_dir;   /* NULL: the default Fashion-MNIST folder */
  double sparsity;           /* initial sparsity in [0, 0.99] */
  gint64 index;              /* initial sample */
  const char *view;          /* "saliency", "features", "shap", "sweep", "model", "metrics" or NULL */
  const char *method;        /* attribution method id (pl_map_method_id) or NULL */
  const char *pruning;       /* "CRITERION,GRANULARITY,SCOPE" (pl_window_pruning_from_string) or NULL */
} PlWindowOptions;

/* Parses "l1,channels,global": criterion magnitude | random | taylor | l1 | l2, granularity
 * unstructured | 2:4 | channels, scope global | layerwise (trailing parts may be left out)
 * into the pruning panel's drop-down positions (any out pointer may be NULL). */
gboolean pl_window_pruning_from_string (const char *text, guint *criterion,
                                        guint *granularity, guint *scope);

PlWindow *pl_window_new (GtkApplication *application, const PlWindowOptions *options);

/* Opens a session file (.prunelens) in the window, as Open Session does; a failure is shown
 * in a dialog naming the file and the window keeps what it showed. */
void pl_window_open_session_file (PlWindow *self, const char *path);

/* Closes the window for a signal (SIGTERM, SIGINT): nobody is asked to save; pruning steps
 * no session file holds stay in the autosave, which the next start offers back. */
void pl_window_terminate (PlWindow *self);

/* Added (session 6): where this window autosaves its session (newly allocated): each
 * window of a workbench has its own file (pl_session_io_autosave_path_n). */
char *pl_window_get_autosave_path (PlWindow *self);

G_END_DECLS
