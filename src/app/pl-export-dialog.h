/* pl-export-dialog.h — the export options (size in mm or inches, PNG resolution,
 * captions), remembered in GSettings (export-width, export-height, export-unit,
 * export-dpi, captions), and the small dialog that asks for them. */
#pragma once

#include <gtk/gtk.h>
#include "pl-render.h"

G_BEGIN_DECLS

typedef struct {
  double width, height;   /* in mm, or in inches when inches is TRUE */
  gboolean inches;
  double dpi;             /* PNG dots per inch (SVG / PDF are vector) */
  gboolean captions;
} PlExportOptions;

/* From settings (NULL: the schema's defaults, 165 × 90 mm, 150 dpi, captions on). */
void pl_export_options_load (PlExportOptions *options, GSettings *settings);
/* Stores options in settings (NULL: nothing). */
void pl_export_options_save (const PlExportOptions *options, GSettings *settings);
/* The size in inches (25.4 mm to the inch). */
void pl_export_options_size_in (const PlExportOptions *options, double *width_in,
                                double *height_in);
/* Writes the figure drawn by draw at the options' size: PNG (at dpi), SVG or PDF by the
 * extension of path (any case). PL_ERROR_INVALID naming the file for another extension,
 * else the errors of pl_render_png / svg / pdf. */
gboolean pl_export_draw_file (PlDrawFunc draw, gconstpointer figure,
                              const PlExportOptions *options, const char *path,
                              const char *title, const char *description, GError **error);

typedef void (*PlExportOptionsFunc) (const PlExportOptions *options, gpointer user_data);
/* Asks for the options (initialised from settings); on "Choose File…" saves them to
 * settings and calls callback; nothing on Cancel. */
void pl_export_dialog_run (GtkWindow *parent, GSettings *settings, PlExportOptionsFunc callback,
                           gpointer user_data);

G_END_DECLS
