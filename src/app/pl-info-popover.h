/* pl-info-popover.h — teaching texts for the ⓘ popovers: what a method computes, its
 * formula and the paper it comes from. */
#pragma once

#include <gtk/gtk.h>
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
  /* Added (session 3): every metric of the Metrics and Sweep views, the statistics and
   * the pruning and explanation methods that have no attribution-method entry. */
  PL_INFO_ACCURACY,
  PL_INFO_COST,
  PL_INFO_SPEARMAN,
  PL_INFO_KENDALL,
  PL_INFO_PEARSON,
  PL_INFO_COSINE,
  PL_INFO_TOPK,
  PL_INFO_SSIM,
  PL_INFO_PATCH_BARS,
  PL_INFO_DELETION,
  PL_INFO_INSERTION,
  PL_INFO_ENTROPY,
  PL_INFO_GINI,
  PL_INFO_BOOTSTRAP,
  PL_INFO_TESTS,
  PL_INFO_SANITY,
  PL_INFO_KERNEL_SHAP,
  PL_INFO_LIME,
  PL_INFO_PRUNING_CRITERIA,
  PL_INFO_PRUNING_SCHEDULES,
  PL_INFO_N_TOPICS
} PlInfoTopic;

/* The same markup for a metric or figure. Free with g_free. */
char *pl_info_topic_markup (PlInfoTopic topic);

/* Added: the topic explaining a metric of a comparison report (PlCompareMetric, as an
 * int so this header needs no analysis include); PL_INFO_SPEARMAN for unknown values. */
PlInfoTopic pl_info_topic_for_metric (int metric);

/* Added: the topic's title alone (translated, static). */
const char *pl_info_topic_title (PlInfoTopic topic);

/* Added: a flat, circular ⓘ menu button opening a popover with the topic's markup; it has
 * a tooltip and an accessible label ("About <title>"). For rows of metric tables. */
GtkWidget *pl_info_button_new (PlInfoTopic topic);

G_END_DECLS
