/* pl-info-popover.h — teaching texts for the ⓘ popovers: what a method computes, its
 * formula and the paper it comes from. */
#pragma once

#include <glib.h>
#include "session/pl-session.h"

G_BEGIN_DECLS

/* Pango markup (translated): a title, what the method computes, the formula, the source.
 * Free with g_free. */
char *pl_info_method_markup (PlMapMethod method);

G_END_DECLS
