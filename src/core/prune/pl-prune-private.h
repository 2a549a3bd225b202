/* pl-prune-private.h — structured dependency analysis shared by the pruning sources. */
#pragma once

#include "prune/pl-prune.h"

G_BEGIN_DECLS

/* A run of channels of one dependency group inside a tensor's channel axis: channels
 * start .. start + count − 1 of group (−1: channels no prunable layer produces). */
typedef struct {
  gint group;
  gint64 start, count;
} PlChanSeg;

typedef enum {
  PL_CHAN_PRODUCER,    /* node's weight output slices / bias entries = group channels */
  PL_CHAN_CONSUMER,    /* node's weight input slices (inner columns each) */
  PL_CHAN_BATCHNORM,   /* scale, B, mean, var */
  PL_CHAN_DEPTHWISE,   /* depthwise Conv rows, bias entries, group count */
  PL_CHAN_MUL,         /* per-channel constant of a Mul (input const_input) */
} PlChanUseKind;

typedef struct {
  PlChanUseKind kind;
  gint node;           /* index in graph->nodes */
  gint group;          /* PRODUCER */
  GArray *segs;        /* of PlChanSeg, the node's channel input (not PRODUCER) */
  gint64 inner;        /* CONSUMER: columns per channel (H×W after a Flatten) */
  gint const_input;    /* MUL: which input is the constant; its channel axis in const_axis */
  gint const_axis;
} PlChanUse;

typedef struct {
  gint parent;
  gint64 width;
  char *refusal;       /* NULL: removable */
  gboolean protected_; /* a member layer is protected (filled by the caller) */
  GString *names;
} PlChanGroup;

typedef struct {
  GArray *groups;      /* of PlChanGroup */
  GArray *uses;        /* of PlChanUse */
} PlChanAnalysis;

PlChanAnalysis *pl_chan_analyse (const PlGraph *graph);
void pl_chan_analysis_free (PlChanAnalysis *a);
gint pl_chan_root (PlChanAnalysis *a, gint group);
/* Output-channel axis of the producer node's weight, and the input axis for consumers. */
gint pl_chan_weight_out_axis (const PlNode *node);
gint pl_chan_weight_in_axis (const PlNode *node);
/* Name of a layer: node name, or the weight's name when the node has none. */
const char *pl_chan_layer_name (const PlGraph *graph, const PlNode *node);

/* Prunes (masks) the channels removed[root][k] != 0 of graph in place. */
void pl_chan_apply_masks (PlGraph *graph, PlChanAnalysis *a, guint8 **removed);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlChanAnalysis, pl_chan_analysis_free)

/* The k-th smallest (0-based) of a[0..n) by quickselect; a is reordered (pl-prune.c). */
float pl_prune_select_kth (float *a, gint64 n, gint64 k);

G_END_DECLS
