/* pl-label.h — one-line labels that show their whole text when it does not fit */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Makes @label (ellipsized, one line) show its whole text as a tooltip while, and only
 * while, the text is ellipsized. Wrapping labels are avoided in the views because GTK 4.8
 * measures them at widths found by bisection (bench frames); this is what they use. */
void pl_label_tooltip_when_ellipsized (GtkLabel *label);

G_END_DECLS
