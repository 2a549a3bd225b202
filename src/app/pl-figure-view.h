/* pl-figure-view.h — a canvas (pl-canvas.h: drawn in a worker thread) showing one
 * PlComparisonFigure, one PlTableFigure or a placeholder. */
#pragma once

#include <gtk/gtk.h>
#include "pl-canvas.h"
#include "pl-comparison-figure.h"
#include "pl-table-figure.h"

G_BEGIN_DECLS

#define PL_TYPE_FIGURE_VIEW (pl_figure_view_get_type ())
G_DECLARE_FINAL_TYPE (PlFigureView, pl_figure_view, PL, FIGURE_VIEW, PlCanvas)

GtkWidget *pl_figure_view_new (void);
/* Takes ownership of figure (may be NULL: shows the placeholder). */
void pl_figure_view_set_figure (PlFigureView *self, PlComparisonFigure *figure);
const PlComparisonFigure *pl_figure_view_get_figure (PlFigureView *self);
/* Added: a table row's figure (pl-table-figure.h) instead; takes ownership (NULL: the
 * placeholder). Setting either kind of figure drops the other. */
void pl_figure_view_set_table_figure (PlFigureView *self, PlTableFigure *figure);
const PlTableFigure *pl_figure_view_get_table_figure (PlFigureView *self);
void pl_figure_view_set_placeholder (PlFigureView *self, const char *text);

G_END_DECLS
