/* pl-history-panel.h — the pruning history as a list and as "compare with" choices.
 *
 * Every step of a PlPruneHistory whose metrics slot holds the PlPruneStep that made it
 * (NULL for step 0, the original network) is shown as a row: its number, description,
 * achieved sparsity and top-1 accuracy; the current step is marked. */
#pragma once

#include <gtk/gtk.h>
#include "prune/pl-prune.h"

G_BEGIN_DECLS

/* A one-line label of step index ("Step 2 · magnitude, unstructured, global · 90.0 % ·
 * 75.65 %"); original_accuracy is step 0's (negative: unknown). */
char *pl_history_step_label (const PlPruneHistory *history, guint index,
                             double original_accuracy);
/* A short label for the "compare with" list: "Step 2 · 90.0 %". */
char *pl_history_step_short_label (const PlPruneHistory *history, guint index);
/* Rebuilds list (one activatable row per step; the row's "step" data is its index) and
 * replaces the strings of reference_model with the steps' short labels. */
void pl_history_panel_fill (GtkListBox *list, GtkStringList *reference_model,
                            const PlPruneHistory *history, double original_accuracy);

G_END_DECLS
