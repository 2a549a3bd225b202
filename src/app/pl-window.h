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
  const char *view;          /* "saliency", "features", "shap" or NULL */
  const char *method;        /* attribution method id (pl_map_method_id) or NULL */
} PlWindowOptions;

PlWindow *pl_window_new (GtkApplication *application, const PlWindowOptions *options);

G_END_DECLS
