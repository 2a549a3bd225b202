/* pl-sample-filter.h — the sample browser's filters (issue 9): by true class, "prediction
 * changed" (the pruned network predicts another class than the original) and
 * "misclassified" (the pruned network's prediction is not the true label), and a filter
 * bar with a class drop-down, the two toggles, a "n of N shown" count and a Clear button.
 *
 * Items are the sample list's GtkStringObjects whose string is the sample's index in the
 * dataset ("0", "1", …), as the window's sample model holds them. Predictions are asked
 * through a callback, so they can live in the window: it answers (index) → (known,
 * original prediction, pruned prediction). A sample whose predictions are unknown (e.g.
 * outside the evaluated subset) never matches while a prediction toggle is on.
 */
#pragma once

#include <gtk/gtk.h>
#include "data/pl-dataset.h"

G_BEGIN_DECLS

/* Writes the original and the pruned network's predicted classes of sample index; FALSE
 * when they are not known. Called on the main thread while filtering. */
typedef gboolean (*PlSamplePredictionFunc) (gint64 index, gint *original, gint *pruned,
                                            gpointer user_data);

#define PL_TYPE_SAMPLE_FILTER (pl_sample_filter_get_type ())
G_DECLARE_FINAL_TYPE (PlSampleFilter, pl_sample_filter, PL, SAMPLE_FILTER, GtkFilter)

PlSampleFilter *pl_sample_filter_new (void);
/* The dataset (true labels; referenced, may be NULL: nothing matches an active filter)
 * and the predictions. Resets the criteria. */
void pl_sample_filter_set_data (PlSampleFilter *self, PlDataset *dataset,
                                PlSamplePredictionFunc func, gpointer user_data,
                                GDestroyNotify destroy);
/* Criteria (each change re-filters): a true class (−1: all classes), the two toggles. */
void pl_sample_filter_set_class (PlSampleFilter *self, gint class_index);
gint pl_sample_filter_get_class (PlSampleFilter *self);
void pl_sample_filter_set_changed_only (PlSampleFilter *self, gboolean changed_only);
gboolean pl_sample_filter_get_changed_only (PlSampleFilter *self);
void pl_sample_filter_set_misclassified_only (PlSampleFilter *self, gboolean misclassified);
gboolean pl_sample_filter_get_misclassified_only (PlSampleFilter *self);
/* TRUE when some criterion is set (not every sample is shown). */
gboolean pl_sample_filter_is_active (PlSampleFilter *self);
/* Whether sample index passes (FALSE outside the dataset). */
gboolean pl_sample_filter_matches_index (PlSampleFilter *self, gint64 index);
/* Re-filters after the predictions changed (another pruned network). */
void pl_sample_filter_predictions_changed (PlSampleFilter *self);
/* The index an item stands for (a GtkStringObject holding a decimal index); −1 if none. */
gint64 pl_sample_filter_item_index (gpointer item);

#define PL_TYPE_SAMPLE_FILTER_BAR (pl_sample_filter_bar_get_type ())
G_DECLARE_FINAL_TYPE (PlSampleFilterBar, pl_sample_filter_bar, PL, SAMPLE_FILTER_BAR, GtkWidget)

/* A bar driving a new PlSampleFilter. */
GtkWidget *pl_sample_filter_bar_new (void);
PlSampleFilter *pl_sample_filter_bar_get_filter (PlSampleFilterBar *self);
/* As pl_sample_filter_set_data, and fills the class drop-down ("All classes", then the
 * dataset's classes, translated); hides it for a dataset without classes. */
void pl_sample_filter_bar_set_data (PlSampleFilterBar *self, PlDataset *dataset,
                                    PlSamplePredictionFunc func, gpointer user_data,
                                    GDestroyNotify destroy);
/* The filtered model whose size the bar shows as "n of N shown" (N: its unfiltered
 * model's size); referenced, NULL to drop it. */
void pl_sample_filter_bar_set_model (PlSampleFilterBar *self, GtkFilterListModel *model);
/* Resets every criterion (the controls follow). */
void pl_sample_filter_bar_clear (PlSampleFilterBar *self);
/* Widgets by name for tests: "class", "changed", "misclassified", "count", "clear". */
GtkWidget *pl_sample_filter_bar_get_widget (PlSampleFilterBar *self, const char *name);

G_END_DECLS
