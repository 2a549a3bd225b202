/* pl-info-popover.h — teaching texts for the ⓘ popovers: what a method computes, its
 * formula and the paper it comes from. */
#pragma once

#include <glib.h>
#include "session/pl-session.h"

G_BEGIN_DECLS

/* Pango markup (translated): a title, what the method computes, the formula, the source.
 * Free with g_free. */
char *pl_info_method_markup (PlMapMethod method);

/* Added: the metrics and figures of the Metrics view. */
typedef enum {
  PL_INFO_CONFUSION,
  PL_INFO_LAYER_SPARSITY,
  PL_INFO_CLASS_BARS,
  PL_INFO_N_TOPICS
} PlInfoTopic;

/* The same markup for a metric or figure. Free with g_free. */
char *pl_info_topic_markup (PlInfoTopic topic);

G_END_DECLS
