/* pl-protect-popover.h — the pruning panel's "Protected layers" popover: one check per
 * prunable layer (pl-layers.h names). The default (issue 5, as the CLI): the recommended
 * layers pl_prune_default_protected (first Conv, last Gemm / MatMul) are checked and
 * protected until the user edits the checks; "Recommended" returns to them, "None" clears
 * them. */
#pragma once

#include <gtk/gtk.h>
#include "graph/pl-graph.h"

G_BEGIN_DECLS

typedef void (*PlProtectChangedFunc) (gpointer user_data);

/* A new popover; changed is called after every user edit (not after set_graph). */
GtkWidget *pl_protect_popover_new (PlProtectChangedFunc changed, gpointer user_data);
/* Lists graph's prunable layers (NULL: none), the recommended ones checked; clears the
 * edited state. */
void pl_protect_popover_set_graph (GtkPopover *popover, const PlGraph *graph);
/* TRUE once the user changed a check (or set_protected was called). */
gboolean pl_protect_popover_is_edited (GtkPopover *popover);
/* The checked layer names (the recommended ones until edited), NULL-terminated (may be
 * empty). Free with g_strfreev. */
char **pl_protect_popover_get_protected (GtkPopover *popover);
/* Checks exactly the named layers (unknown names are ignored), as a user edit would
 * (calls changed once). NULL: back to the unedited default (the recommended layers). */
void pl_protect_popover_set_protected (GtkPopover *popover, const char *const *names);
/* The number of layers listed. */
guint pl_protect_popover_n_layers (GtkPopover *popover);

G_END_DECLS
