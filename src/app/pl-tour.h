/* pl-tour.h — a short guided tour of the default demo (issue 9, "For teaching"): a popover
 * pointing at one part of the workbench after the other — the sample browser, the sparsity
 * slider, Apply, the Saliency view, the Metrics view and the pruning history — with Back,
 * Next and Close. Started from the primary menu ("Guided Tour", win.tour). Pages that show
 * a view switch the window to it. */
#pragma once

#include "pl-window.h"

G_BEGIN_DECLS

/* Number of pages. */
guint pl_tour_n_pages (void);
/* Shows page 0 (restarts a running tour). */
void pl_tour_start (PlWindow *window);
/* Moves to the next / previous page; next on the last page closes the tour. */
void pl_tour_next (PlWindow *window);
void pl_tour_back (PlWindow *window);
/* Closes the tour (nothing happens when none runs). Safe during the window's dispose. */
void pl_tour_close (PlWindow *window);
/* TRUE while the tour is shown; the current page (0-based; 0 when not running). */
gboolean pl_tour_is_running (PlWindow *window);
guint pl_tour_get_page (PlWindow *window);
/* The tour's popover (NULL when not running) and the widget it points at. */
GtkWidget *pl_tour_get_popover (PlWindow *window);
GtkWidget *pl_tour_get_target (PlWindow *window);

G_END_DECLS
