/* pl-graph.h — the network as a graph of ONNX-style nodes over named values.
 *
 * A PlGraph holds values (graph inputs, initializers — i.e. parameters and constants —
 * and intermediate results), nodes in topological order, and which values are the
 * graph's inputs and outputs. It follows the ONNX IR (onnx.proto, IR version 8): node
 * op_type/domain/attributes are stored as in the file so that a graph can be written
 * back unchanged. Pruning masks live beside the initializers they mask.
 *
 * Thread-safety: a graph is immutable while executors use it; mutate a copy
 * (pl_graph_copy) for pruning, then hand the copy to new executors.
 */
#pragma once

#include <glib.h>
#include "tensor/pl-tensor.h"

G_BEGIN_DECLS

typedef enum {
  PL_ATTR_FLOAT,
  PL_ATTR_INT,
  PL_ATTR_STRING,
  PL_ATTR_TENSOR,
  PL_ATTR_FLOATS,
  PL_ATTR_INTS,
} PlAttrType;

typedef struct {
  char *name;
  PlAttrType type;
  float f;
  gint64 i;
  char *s;
  PlTensor *t;
  gint n;            /* length of floats / ints */
  float *floats;
  gint64 *ints;
  /* Added: ONNX TensorProto.DataType that t had in the file (7 = INT64, ...), so that
   * saving writes it back with its type; 0 or 1 = FLOAT. Values are stored as float. */
  gint elem_type;
} PlAttr;

typedef struct {
  char *name;        /* may be "" */
  char *op_type;     /* "Conv", "Gemm", ... */
  char *domain;      /* "" for the default ONNX domain */
  gint n_inputs;
  gint *inputs;      /* value ids; -1 for an omitted optional input */
  gint n_outputs;
  gint *outputs;     /* value ids */
  gint n_attrs;
  PlAttr *attrs;
} PlNode;

typedef struct {
  char *name;
  /* Static shape if known: ndim == -1 means unknown; a dimension of -1 is symbolic
   * (e.g. the batch dimension). For initializers this is the tensor's shape. */
  gint ndim;
  gint64 shape[PL_TENSOR_MAX_DIMS];
  char *dim_param0;  /* name of a symbolic first dimension ("N", "batch_size"), or NULL */
  PlTensor *init;    /* non-NULL: an initializer (parameter or constant) */
  PlTensor *mask;    /* optional pruning mask for an initializer: 1 kept, 0 pruned */
  /* Added: ONNX TensorProto.DataType of the value in the file (1 FLOAT, 7 INT64, ...);
   * 0 = not known, treated as FLOAT. Data is always held as float; the ONNX writer uses
   * this to write integer initializers and inputs back with their original type. */
  gint elem_type;
} PlValue;

typedef struct {
  gint ref_count;
  GPtrArray *values;  /* of PlValue*, indexed by value id */
  GPtrArray *nodes;   /* of PlNode*, topological order */
  GArray *inputs;     /* gint value ids of graph inputs that are not initializers */
  GArray *outputs;    /* gint value ids */
  char *name;
  char *producer_name;
  char *producer_version;
  char *doc_string;
  gint64 opset;       /* default-domain opset version */
  gint64 ir_version;
  GHashTable *value_index;  /* name -> GINT_TO_POINTER (id + 1) */
} PlGraph;

PlGraph *pl_graph_new (void);
PlGraph *pl_graph_ref (PlGraph *graph);
void pl_graph_unref (PlGraph *graph);
/* Deep copy: tensors and masks duplicated. */
PlGraph *pl_graph_copy (const PlGraph *graph);

/* Values. Names are unique; add_value returns the existing id for a known name. */
gint pl_graph_find_value (const PlGraph *graph, const char *name);   /* -1 if absent */
gint pl_graph_add_value (PlGraph *graph, const char *name);
static inline PlValue *
pl_graph_value (const PlGraph *graph, gint id)
{
  return (PlValue *) g_ptr_array_index (graph->values, id);
}
/* Adds (or replaces) an initializer; takes a reference to tensor (pl_tensor_ref: the
 * caller keeps its own reference and still unrefs it). The value's shape becomes the
 * tensor's shape; a mask of a different shape is dropped; the value is removed from the
 * graph inputs if it was one. Returns the id. */
gint pl_graph_add_initializer (PlGraph *graph, const char *name, PlTensor *tensor);
/* Declares a graph input with a shape (use -1 for a symbolic batch dimension). */
gint pl_graph_add_input (PlGraph *graph, const char *name, gint ndim, const gint64 *shape);
void pl_graph_add_output (PlGraph *graph, const char *name);

/* Appends a node; value names are created on demand ("" or NULL input = omitted). */
PlNode *pl_graph_add_node (PlGraph *graph, const char *op_type, const char *name,
                           gint n_inputs, const char *const *inputs,
                           gint n_outputs, const char *const *outputs);
void pl_node_set_int (PlNode *node, const char *name, gint64 value);
void pl_node_set_float (PlNode *node, const char *name, float value);
void pl_node_set_ints (PlNode *node, const char *name, gint n, const gint64 *values);
void pl_node_set_string (PlNode *node, const char *name, const char *value);
/* Added: FLOATS and TENSOR attributes (set_tensor takes its own reference). Setting an
 * existing name replaces it (pointers from pl_node_get_attr become invalid). */
void pl_node_set_floats (PlNode *node, const char *name, gint n, const float *values);
void pl_node_set_tensor (PlNode *node, const char *name, PlTensor *tensor);
const PlAttr *pl_node_get_attr (const PlNode *node, const char *name);  /* NULL if absent */
gint64 pl_node_get_int (const PlNode *node, const char *name, gint64 default_value);
float pl_node_get_float (const PlNode *node, const char *name, float default_value);

/* Checks that every node input is produced before use (sorting nodes topologically if
 * needed, stably: nodes already in order keep it) and that graph outputs are produced.
 * Errors: PL_ERROR_INVALID naming the node and value: an input that nothing defines, a
 * cycle, a value written by two nodes or overwriting an input/initializer, an output
 * that nothing produces. On error the node order is unchanged. */
gboolean pl_graph_validate (PlGraph *graph, GError **error);

/* Prunable weights: initializers at input 1 (W / B) of Conv, Gemm and MatMul nodes.
 * Returns value ids in node order. Biases are never included. */
GArray *pl_graph_prunable_weights (const PlGraph *graph);
/* Number of parameters (elements of all float initializers used as node inputs; an
 * initializer used by several nodes counts once; initializers of an integer or bool
 * elem_type — shapes, axes, indices — are not parameters). */
gint64 pl_graph_n_parameters (const PlGraph *graph);
/* Share of zeros among the prunable weights, in [0, 1] (0 if there are none). A weight
 * counts as zero if it is 0 or its mask (when present) is 0. */
double pl_graph_weight_sparsity (const PlGraph *graph);

/* Input shape of graph input 0 without the batch dimension, e.g. [1, 28, 28].
 * Returns the number of dims written (at most PL_TENSOR_MAX_DIMS - 1), or -1 if unknown. */
gint pl_graph_sample_shape (const PlGraph *graph, gint64 *shape_out);

/* Added: folds the shape subgraph PyTorch's exporter writes for x.view (x.size (0), -1)
 * (and x.reshape): Reshape (X, Concat (Unsqueeze (Gather (Shape (X), 0)), [-1]))
 * becomes Reshape (X, INT64 initializer [0, -1]) — ONNX Reshape's 0 copies dimension 0
 * of X (allowzero 0), so the result is the same for every batch size. Also folds a
 * Concat of constants only. Only a Gather of index 0 of Shape of the Reshape's own data,
 * placed first, is folded; anything else is left alone. The Concat's output value
 * becomes the initializer (same name); Shape, Gather, Unsqueeze, Concat and Constant
 * nodes left without readers are removed, with initializers only they read.
 * Returns the number of Reshape nodes folded. pl_onnx_load_* calls it. */
gint pl_graph_fold_shape_subgraphs (PlGraph *graph);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlGraph, pl_graph_unref)

G_END_DECLS
