/* pl-window-private.h — hooks for tests and the screenshot script. */
#pragma once

#include "pl-window.h"
#include "pl-comparison-figure.h"
#include "session/pl-session.h"
#include "analysis/pl-compare.h"
#include "analysis/pl-sweep.h"

G_BEGIN_DECLS

/* TRUE while any job (load, prune, explain) runs or is scheduled. */
gboolean pl_window_is_busy (PlWindow *self);
/* Sets the slider (sparsity in [0, 0.99]); the prune job starts as after a release. */
void pl_window_set_sparsity (PlWindow *self, double sparsity);
void pl_window_select_sample (PlWindow *self, gint64 index);
/* The pruning panel's drop-downs, by position: criterion (magnitude, random, Taylor, L1,
 * L2), granularity (unstructured, 2:4, channels), scope (global, layer-wise). */
void pl_window_set_pruning (PlWindow *self, guint criterion, guint granularity, guint scope);
/* Chooses the attribution of the Saliency and Features views (as the drop-down does). */
void pl_window_set_method (PlWindow *self, PlMapMethod method);
/* Runs the Metrics view's comparison over n stratified test images. */
void pl_window_compare (PlWindow *self, gint64 n);
const PlCompareReport *pl_window_get_report (PlWindow *self);
/* Runs the Sweep view (0, 50, 80, 90, 95, 99 %). */
void pl_window_sweep (PlWindow *self);
const PlSweep *pl_window_get_sweep (PlWindow *self);
GtkWidget *pl_window_get_figure_view (PlWindow *self, PlFigureKind kind);
const PlComparison *pl_window_get_comparison (PlWindow *self);
/* Top-1 accuracies of the last evaluations; -1 if none yet. */
double pl_window_get_accuracy (PlWindow *self, gboolean pruned);
double pl_window_get_achieved_sparsity (PlWindow *self);
/* The last error shown to the user, or NULL. */
const char *pl_window_get_last_error (PlWindow *self);

/* The pruning history (pl-prune.h): number of steps (step 0 = original) and the current
 * one; go to a step (drops an unapplied preview); the step compared with. */
guint pl_window_history_n_steps (PlWindow *self);
guint pl_window_history_current (PlWindow *self);
void pl_window_history_go_to (PlWindow *self, guint index);
void pl_window_set_reference (PlWindow *self, guint index);
/* Activates a window action by name, e.g. "win.apply-step", "win.undo", "win.redo".
 * FALSE if it does not exist. */
gboolean pl_window_activate (PlWindow *self, const char *action);
/* The Model view (a PlModelView) and the history's list box. */
GtkWidget *pl_window_get_model_view (PlWindow *self);
GtkWidget *pl_window_get_history_list (PlWindow *self);
/* Shows a view: saliency, features, shap, sweep, model, metrics. */
void pl_window_show_view (PlWindow *self, const char *name);

/* Sessions (.prunelens, session/pl-recipe.h): save atomically; open (loads the model and
 * dataset, then recomputes the steps: wait until not busy). The moved-aside autosave of a
 * session that did not end cleanly, offered back with a toast (NULL if none). */
gboolean pl_window_save_session (PlWindow *self, const char *path, GError **error);
gboolean pl_window_open_session (PlWindow *self, const char *path, GError **error);
const char *pl_window_get_recovered_session (PlWindow *self);
/* The "Save the Session?" dialog a close with unsaved steps shows, or NULL
 * (responses "cancel", "discard", "save"). */
GtkWidget *pl_window_get_close_dialog (PlWindow *self);

G_END_DECLS

G_BEGIN_DECLS
/* Datasets (pl-dataset-io.h): loads path (an IDX / PNG folder or a CSV / TSV table with
 * label_column, NULL = the last column) with the current model, as Open Dataset does. */
void pl_window_open_dataset (PlWindow *self, const char *path, const char *label_column);
/* Opens a model, dataset, table (asks the label column) or session, as a drop does. */
void pl_window_open_path (PlWindow *self, const char *path);
/* TRUE when the loaded dataset is a table. */
gboolean pl_window_is_table (PlWindow *self);
/* The "Open Recent" submenu. */
GMenuModel *pl_window_get_recent_menu (PlWindow *self);
G_END_DECLS

G_BEGIN_DECLS
/* The Protected Layers popover (pl-protect-popover.h); setting the protected layers is a
 * user edit (NULL: the unedited default, the recommended layers: first convolution and
 * final classifier, issue 5) and re-runs the preview. */
void pl_window_set_protected (PlWindow *self, const char *const *names);
GtkWidget *pl_window_get_protect_popover (PlWindow *self);
G_END_DECLS

G_BEGIN_DECLS
/* The pruning panel's schedule (0 one-shot, 1 iterative, 2 polynomial, 3 rewind), its
 * steps k and fine-tuning epochs; Apply ("win.apply-step") then runs it as a job. */
void pl_window_set_schedule (PlWindow *self, guint kind, gint steps, gint finetune_epochs);
/* The schedule description of history step index (NULL: none / one-shot preview). */
const char *pl_window_history_schedule (PlWindow *self, guint index);
G_END_DECLS

#include "pl-export-dialog.h"
G_BEGIN_DECLS
/* The export dialog's choice (also stored in GSettings); captions apply to the views at
 * once. Exports the visible figure view (saliency, features, shap) as the dialog would. */
void pl_window_set_export_options (PlWindow *self, const PlExportOptions *options);
gboolean pl_window_export_view (PlWindow *self, const char *path, GError **error);
G_END_DECLS

G_BEGIN_DECLS
/* The Metrics view's figure cards (pl-metrics-figures.h; "n-figures" data), or NULL. */
GtkWidget *pl_window_get_metrics_figures (PlWindow *self);
G_END_DECLS

G_BEGIN_DECLS
/* Added (session 3): the state sessions restore — the table's label column (NULL: the
 * last column), the pruning panel's drop-downs and its schedule (as the setters above). */
const char *pl_window_get_label_column (PlWindow *self);
void pl_window_get_pruning (PlWindow *self, guint *criterion, guint *granularity, guint *scope);
void pl_window_get_schedule (PlWindow *self, guint *kind, gint *steps, gint *finetune_epochs);
G_END_DECLS

G_BEGIN_DECLS
/* Added (session 3): the explanation cache (pl-explain-cache.h; since session 4 one LRU
 * of PL_EXPLAIN_CACHE_SIZE = 48 entries shared by the comparisons of the Saliency /
 * Features / SHAP views and the LIME / SHAP tab's figures): lookups that found a cached
 * comparison, lookups that did not (a job was started), comparisons held. */
void pl_window_explain_cache_stats (PlWindow *self, guint *hits, guint *misses, guint *entries);
G_END_DECLS

G_BEGIN_DECLS
/* Added (session 3): widgets of the window by name, for tests and the guided tour:
 * "sample-grid", "sparsity-scale", "criterion", "granularity", "scope", "protect",
 * "schedule", "schedule-steps", "finetune-epochs", "apply", "history", "reference",
 * "method", "view-switcher", "view-stack", "metrics-scroll", "metrics-box", "lime-shap",
 * "sample-filter", and (session 6) the sample header's "pred-original" and
 * "rank-correlation" labels; NULL for other names. The sample grid's key controller is
 * named "pl-sample-keys". */
GtkWidget *pl_window_get_widget (PlWindow *self, const char *name);
G_END_DECLS

G_BEGIN_DECLS
/* Added (session 3): main-loop responsiveness. While enabled, a frame-clock tick callback
 * records the longest interval between two frames while the window is busy (a job runs or
 * is scheduled); enabling resets it. PL_MEASURE_LATENCY=1 enables it for the whole run and
 * prints "max-main-loop-gap-ms" when the window closes; PL_TRACE_MAIN=1 prints every piece
 * of main-thread work longer than 16 ms. */
void pl_window_measure_latency (PlWindow *self, gboolean enable);
double pl_window_get_max_gap_ms (PlWindow *self);
G_END_DECLS

G_BEGIN_DECLS
/* Added (session 3, issue 9 exports): as "Export All Figures…", "Export Pruned Model…"
 * and "Export Report…" do once the folder / file is chosen: start a job (wait until not
 * busy; a toast says when done). export_all writes pl_export_all's files (format "png",
 * "svg" or "pdf") into folder; export_onnx saves the shown ("pruned") network atomically
 * (pl_onnx_save_file); export_report writes the PDF report (the facts, history, the
 * figures of the selected sample, the sweep and the metrics table; pl-report.h).
 * FALSE (and a toast) when a job runs or there is nothing to export yet. The count of
 * the last finished export: files written, 1 for the model, or the report's pages. */
gboolean pl_window_export_all (PlWindow *self, const char *folder, const char *format);
gboolean pl_window_export_onnx (PlWindow *self, const char *path);
gboolean pl_window_export_report (PlWindow *self, const char *path);
gint pl_window_get_export_count (PlWindow *self);
/* The Sweep view's cost plot (non-zero parameters and effective MACs against sparsity). */
GtkWidget *pl_window_get_cost_area (PlWindow *self);
G_END_DECLS

G_BEGIN_DECLS
/* Added (session 4): TRUE while Escape / Cancel ("win.cancel") has something to stop: a
 * job, a prune about to start, or the LIME / SHAP tab's job. Escape stops that first; the
 * guided tour closes on the next Escape (pl-tour.h). */
gboolean pl_window_can_cancel (PlWindow *self);
/* Stops all of that, as Escape or the Cancel button does. */
void pl_window_cancel (PlWindow *self);
/* Added (session 4), for tests of the main loop: the main thread's CPU time (ms, not wall
 * time) of the costliest job result applied since the window opened and its kind ("load",
 * "prune", …); the jobs finished, and how many of them computed on the main thread (0:
 * every computation ran in a worker, pl-job.h). */
double pl_window_get_max_apply_ms (PlWindow *self, const char **kind, guint *jobs_applied,
                                   guint *jobs_on_main);
G_END_DECLS
