/* pl-export-dialog.h — the export options (size in mm or inches, PNG resolution,
 * captions), remembered in GSettings (export-width, export-height, export-unit,
 * export-dpi, captions), and the small dialog that asks for them. */
#pragma once

#include "pl-progress.h"

#include <gtk/gtk.h>
#include "pl-render.h"
#include "pl-comparison-figure.h"
#include "pl-lime-shap-figure.h"
#include "analysis/pl-compare.h"
#include "analysis/pl-metrics.h"
#include "analysis/pl-sweep.h"
#include "data/pl-dataset.h"

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

/* Added (session 3): everything the workbench can show, for "Export All Figures…". Any
 * member may be NULL / FALSE: what is missing is skipped. */
typedef struct {
  const PlComparison *comparison;   /* the selected sample: saliency, features, SHAP */
  const PlFigureContext *context;   /* their context (model, dataset, sparsity, captions) */
  gboolean table;                   /* the comparison is of a table row (bar figures) */
  const PlDataset *dataset;         /* with e0 and e1: the two confusion matrices */
  const PlEvaluation *e0, *e1;      /* reference ("original") and shown ("pruned") network */
  const PlGraph *g0, *g1;           /* layer sparsity bars and weight histograms */
  const PlCompareReport *report;    /* the Metrics view's comparison over a sample */
  const PlSweep *sweep;             /* the Sweep view */
  const PlLimeShapFigure *lime_shap;  /* added (session 6): the LIME / SHAP tab's figure */
} PlExportAllInput;

/* Writes every available figure into folder (created when missing) as format "png",
 * "svg" or "pdf" at the options' size, each with the data behind it:
 *   lime-shap .FORMAT: the LIME / SHAP tab's figure (LIME and KernelSHAP on superpixels);
 *   saliency, features, shap .FORMAT + comparison.json (sample, predictions, similarity,
 *     per-patch attributions and SHAP values) + saliency-maps.csv (y, x, original, pruned,
 *     difference; for a table: feature, original, pruned, difference);
 *   confusion-original, confusion-pruned .FORMAT + confusion.csv (network, true, predicted,
 *     count);
 *   layer-sparsity .FORMAT + layer-sparsity.csv (layer, weights, original, pruned);
 *     weights .FORMAT (histograms of the non-zero weights);
 *   compare-classes .FORMAT + compare.csv + compare.json (pl_compare_report_save_*);
 *   sweep, sweep-filmstrip, sweep-sanity .FORMAT + sweep.csv + sweep.json.
 * Returns the number of files written, -1 on the first error (PL_ERROR_INVALID for an
 * unknown format, PL_ERROR_IO naming the file); written (optional) receives their base
 * names (free with g_ptr_array_unref), also on error (what was written before). */
gint pl_export_all (const char *folder, const char *format, const PlExportAllInput *input,
                    const PlExportOptions *options, GPtrArray **written, GError **error);

/* Added (session 4): as pl_export_all, reporting progress per file and checking for
 * cancellation before each (progress may be NULL): a cancelled export stops at once
 * (G_IO_ERROR_CANCELLED; the files already written stay, each one whole). */
gint pl_export_all_full (const char *folder, const char *format, const PlExportAllInput *input,
                         const PlExportOptions *options, GPtrArray **written,
                         const PlProgress *progress, GError **error);

typedef void (*PlExportOptionsFunc) (const PlExportOptions *options, gpointer user_data);
/* Asks for the options (initialised from settings); on "Choose File…" saves them to
 * settings and calls callback; nothing on Cancel. */
void pl_export_dialog_run (GtkWindow *parent, GSettings *settings, PlExportOptionsFunc callback,
                           gpointer user_data);
/* Addition (session 4): the same for a figure whose natural size has the aspect ratio
 * aspect (width / height, e.g. from pl_comparison_figure_size; 0: none). The height starts
 * at width / aspect and follows the width while "Keep aspect ratio" is on (the default), so
 * that the file has no blank band. */
void pl_export_dialog_run_with_aspect (GtkWindow *parent, GSettings *settings, double aspect,
                                       PlExportOptionsFunc callback, gpointer user_data);

G_END_DECLS
