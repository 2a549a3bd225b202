/* pl-model-view.h — the Model view: what pruning did to each layer.
 *
 * A table of the layers with a weight (Conv, Gemm, MatMul): operator, weight shape,
 * output shape of one input, parameters, multiply-accumulates (MACs) per input and the
 * sparsity of the shown (pruned) network; for the selected layer, the weight histogram of
 * the original and the pruned network (zeros left out) and, for a structured step, which
 * output channels were removed; the first layer drawn as images before and after (Conv:
 * its filters; a first fully-connected layer: the share of surviving weights per input
 * pixel); and the cost of both networks (parameters, MACs dense / effective, where
 * "effective" counts only products whose weight is non-zero).
 */
#pragma once

#include <gtk/gtk.h>
#include "graph/pl-graph.h"

G_BEGIN_DECLS

#define PL_TYPE_MODEL_VIEW (pl_model_view_get_type ())
G_DECLARE_FINAL_TYPE (PlModelView, pl_model_view, PL, MODEL_VIEW, GtkBox)

/* One row of the table. MACs are per input (batch 1); -1 when unknown. */
typedef struct {
  char *name;              /* node name, else the weight's name */
  char *op_type;
  char *weight_shape;      /* "[16, 1, 3, 3]" */
  char *output_shape;      /* "[1, 16, 28, 28]" or "?" */
  gint weight_id;          /* value id of the weight in both graphs */
  gint64 params;           /* weight + bias elements */
  gint64 weights;          /* weight elements */
  gint64 nonzero;          /* non-zero weights of the pruned network */
  gint64 macs_dense;
  gint64 macs_effective;   /* of the pruned network */
  gint64 channels;         /* output channels / neurons */
  gint64 removed_channels; /* all-zero in the pruned network, not in the original */
  char *removed;           /* "0, 3, 7" (the removed channel indices) or NULL */
} PlModelLayer;

GtkWidget *pl_model_view_new (void);
/* Shows original vs pruned (references are taken; pruned may be original or NULL). Runs
 * one forward pass of a zero input of each network for the output shapes (milliseconds
 * for the models PruneLens targets). A NULL original clears the view. */
void pl_model_view_set_graphs (PlModelView *self, PlGraph *original, PlGraph *pruned);
/* (Session 4: set_graphs computes the rows in a worker, pl-job.h, and returns at once; the
 * view shows the previous rows until they arrive. The getters below wait for them, running
 * the main loop, so they answer for the graphs last set.) */
guint pl_model_view_get_n_layers (PlModelView *self);
const PlModelLayer *pl_model_view_get_layer (PlModelView *self, guint index);
void pl_model_view_select_layer (PlModelView *self, guint index);
/* Totals over the table: parameters of the whole graph, MACs of its weight layers. */
void pl_model_view_get_cost (PlModelView *self, gint64 *params, gint64 *nonzero_params,
                             gint64 *macs_dense, gint64 *macs_effective);
/* The drawing areas (for tests): the histogram of the selected layer, the first layer. */
GtkWidget *pl_model_view_get_histogram_area (PlModelView *self);
GtkWidget *pl_model_view_get_first_layer_area (PlModelView *self);
/* The first-layer figure kind: 0 none, 1 Conv filters, 2 per-pixel survival (Gemm). */
/* For tests: the text the table shows now in row, column (0 name, 1 operator, 2 weight
 * shape, 3 output shape, 4 parameters, 5 MACs, 6 effective MACs, 7 sparsity, 8 channels
 * kept), or NULL when that cell is not on screen. Free with g_free. */
char *pl_model_view_get_shown_cell (PlModelView *self, guint row, guint column);
gint pl_model_view_get_first_layer_kind (PlModelView *self);
/* Per-pixel share of surviving weights of a first fully-connected layer ([H × W], row
 * major), or NULL. */
const double *pl_model_view_get_pixel_survival (PlModelView *self, gint *height, gint *width);

/* Added (session 6): the legend under the first-layer figure (it says when the first
 * convolution was not pruned, e.g. protected, so its two panels are alike). */
const char *pl_model_view_get_first_layer_legend (PlModelView *self);

G_END_DECLS
