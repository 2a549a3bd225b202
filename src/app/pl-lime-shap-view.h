/* pl-lime-shap-view.h — the workbench's "LIME / SHAP" tab (issue 9).
 *
 * Method-parameter controls (superpixels SLIC / quickshift and their parameters, LIME
 * samples and kernel width, the KernelSHAP budget, how hidden superpixels are filled, the
 * seed), a progress bar with Cancel, and the figure of pl-lime-shap-figure.h: LIME and
 * KernelSHAP of one input for the original and the pruned network. Both methods for both
 * networks run in ONE GTask (cancellable; a new input or a parameter change cancels the
 * running job and starts another). Images are segmented once (the same superpixels for
 * both networks and methods); a table row is explained per feature (LIME's sampling
 * distribution and KernelSHAP's reference row: the dataset's column means and standard
 * deviations). The class explained is the same for both networks: target, or the original
 * network's prediction when target < 0. KernelSHAP on images fills hidden superpixels with
 * the fill value (its baseline); LIME fills them with their mean or the fill value.
 */
#pragma once

#include <gtk/gtk.h>
#include "graph/pl-graph.h"
#include "data/pl-dataset.h"
#include "pl-lime-shap-figure.h"
#include "pl-explain-cache.h"

G_BEGIN_DECLS

#define PL_TYPE_LIME_SHAP_VIEW (pl_lime_shap_view_get_type ())
G_DECLARE_FINAL_TYPE (PlLimeShapView, pl_lime_shap_view, PL, LIME_SHAP_VIEW, GtkWidget)

GtkWidget *pl_lime_shap_view_new (void);

/* Explains input ([1, C, H, W] image in the dataset's units, or a [1, F] table row) of
 * dataset (class names; for tables the rows LIME samples around and KernelSHAP's
 * reference) with both networks (referenced; pruned may equal original) and starts the
 * job. context (may be NULL) starts the caption, e.g. "fashion-cnn.onnx · Fashion-MNIST
 * test · test image #12 · 90 % sparsity". Everything is copied or referenced. The same
 * question again (same networks, input, dataset, target and context) while its figure is
 * shown or computed is a no-op, so the window may call this whenever the view is shown. */
void pl_lime_shap_view_set_input (PlLimeShapView *self, PlGraph *original, PlGraph *pruned,
                                  const PlTensor *input, gint target, PlDataset *dataset,
                                  const char *context);
/* Drops the input and the figure (cancelling a job) and shows text instead. */
void pl_lime_shap_view_clear (PlLimeShapView *self, const char *placeholder);
/* Cancels a running job (the figure shown stays). */
void pl_lime_shap_view_cancel (PlLimeShapView *self);
/* TRUE while a job runs or is about to start (a parameter change waits 300 ms). */
gboolean pl_lime_shap_view_is_busy (PlLimeShapView *self);
/* The figure shown (NULL: none yet); the last error message (NULL: none; cancelling is
 * not an error). */
const PlLimeShapFigure *pl_lime_shap_view_get_figure (PlLimeShapView *self);
const char *pl_lime_shap_view_get_error (PlLimeShapView *self);
/* Results are cached (pl-explain-cache.h, method "lime-shap"; the view's own cache holds at
 * most 16, least recently used dropped first) per (both networks, input, dataset, class
 * asked, caption context, every parameter): asking again shows the figure at once.
 * Lookups that found one, lookups that started a job, "lime-shap" entries held. */
void pl_lime_shap_view_cache_stats (PlLimeShapView *self, guint *hits, guint *misses,
                                    guint *entries);
/* Widgets by name for tests: "superpixels", "region-size", "regularization",
 * "kernel-size", "max-dist", "ratio", "samples", "kernel-width", "budget", "fill",
 * "fill-value", "seed", "progress", "cancel", "status", "figure". NULL for other names. */
GtkWidget *pl_lime_shap_view_get_widget (PlLimeShapView *self, const char *name);
/* Added (session 4): uses cache (referenced; the window's, shared with its comparisons,
 * one LRU bound) instead of the view's own; the figure shown is dropped. */
void pl_lime_shap_view_set_cache (PlLimeShapView *self, PlExplainCache *cache);
PlExplainCache *pl_lime_shap_view_get_cache (PlLimeShapView *self);

G_END_DECLS
