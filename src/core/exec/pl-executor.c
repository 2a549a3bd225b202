/* pl-executor.c — runs a PlGraph forward and backward over a batch.
 *
 * The executor keeps "plans": for one set of input shapes, the shapes and buffers of every
 * value, its gradient buffers and per-node geometry. Inside a plan every input shape is
 * fixed, so nodes whose inputs are all known at preparation (initializers that are not
 * trained parameters, Constant, Shape, and anything computed only from those — e.g. the
 * Shape -> Gather -> Unsqueeze -> Concat -> Reshape subgraph PyTorch writes for
 * x.view (n, -1)) are evaluated once when the plan is built ("folded") and skipped by
 * forward and backward. The two most recently used plans are cached so that training
 * (full batches plus one remainder) and chunked prediction allocate nothing per call.
 * Matrix products go through OpenBLAS; with a fixed thread count every result is
 * deterministic.
 */
#include <string.h>
#include <math.h>
#include <float.h>
#include "exec/pl-executor.h"
#include "ops/pl-ops.h"
#include "pl-error.h"

#define N_PLANS 2
#define LATEST_OPSET 17

typedef enum {
  OP_CONV, OP_GEMM, OP_MATMUL, OP_RELU, OP_MAXPOOL, OP_FLATTEN, OP_RESHAPE, OP_ADD,
  OP_SOFTMAX, OP_IDENTITY, OP_DROPOUT,
  OP_SUB, OP_MUL, OP_DIV, OP_LEAKY_RELU, OP_SIGMOID, OP_TANH, OP_CLIP, OP_LOG_SOFTMAX,
  OP_AVGPOOL, OP_GLOBAL_AVGPOOL, OP_TRANSPOSE, OP_SQUEEZE, OP_UNSQUEEZE, OP_CONCAT, OP_PAD,
  OP_BATCHNORM, OP_CONSTANT, OP_SHAPE, OP_GATHER,
} OpKind;

/* diff: bit i set when input i is differentiable (an initializer there is a parameter). */
static const struct { const char *name; OpKind kind; gint min_inputs; guint diff; } op_table[] = {
  { "Conv", OP_CONV, 2, 7 }, { "Gemm", OP_GEMM, 2, 7 }, { "MatMul", OP_MATMUL, 2, 3 },
  { "Relu", OP_RELU, 1, 1 }, { "MaxPool", OP_MAXPOOL, 1, 1 }, { "Flatten", OP_FLATTEN, 1, 1 },
  { "Reshape", OP_RESHAPE, 2, 1 }, { "Add", OP_ADD, 2, 3 }, { "Softmax", OP_SOFTMAX, 1, 1 },
  { "Identity", OP_IDENTITY, 1, 1 }, { "Dropout", OP_DROPOUT, 1, 1 },
  { "Sub", OP_SUB, 2, 3 }, { "Mul", OP_MUL, 2, 3 }, { "Div", OP_DIV, 2, 3 },
  { "LeakyRelu", OP_LEAKY_RELU, 1, 1 }, { "Sigmoid", OP_SIGMOID, 1, 1 },
  { "Tanh", OP_TANH, 1, 1 }, { "Clip", OP_CLIP, 1, 1 },
  { "LogSoftmax", OP_LOG_SOFTMAX, 1, 1 }, { "AveragePool", OP_AVGPOOL, 1, 1 },
  { "GlobalAveragePool", OP_GLOBAL_AVGPOOL, 1, 1 }, { "Transpose", OP_TRANSPOSE, 1, 1 },
  { "Squeeze", OP_SQUEEZE, 1, 1 }, { "Unsqueeze", OP_UNSQUEEZE, 1, 1 },
  { "Concat", OP_CONCAT, 1, ~0u }, { "Pad", OP_PAD, 1, 1 },
  /* BN mean / var are running statistics, not trained: differentiable only as data */
  { "BatchNormalization", OP_BATCHNORM, 5, 7 }, { "Constant", OP_CONSTANT, 0, 0 },
  { "Shape", OP_SHAPE, 1, 0 }, { "Gather", OP_GATHER, 2, 1 },
};

#define SUPPORTED_LIST \
  "Conv, Gemm, MatMul, Add, Sub, Mul, Div, Relu, LeakyRelu, Sigmoid, Tanh, Clip, Softmax, " \
  "LogSoftmax, MaxPool, AveragePool, GlobalAveragePool, Flatten, Reshape, Transpose, " \
  "Squeeze, Unsqueeze, Concat, Pad, BatchNormalization, Dropout, Identity, Constant, " \
  "Shape, Gather"

typedef struct {
  OpKind kind;
  guint diff;
  gint64 opset;
  /* Gemm */
  gboolean trans_a, trans_b;
  float alpha, beta;
  /* Conv / pools: attribute lists as given (n_* = -1 when absent); pads are
   * [x1_begin, x2_begin, x1_end, x2_end]; auto_pad 0 NOTSET 1 VALID 2 SAME_UPPER
   * 3 SAME_LOWER */
  gint n_kernel, n_strides, n_pads, n_dil;
  gint64 strides[2], pads[4], dil[2], kernel[2];
  gint auto_pad;
  gboolean ceil_mode, count_include_pad;
  gint64 group;
  /* Flatten / Softmax / Concat / Gather */
  gint64 axis;
  /* Transpose perm / Squeeze, Unsqueeze axes (attribute form) / Pad pads (attribute) */
  gint n_list;           /* -1 when absent */
  gint64 list[2 * PL_TENSOR_MAX_DIMS];
  /* LeakyRelu alpha, Clip bounds (attribute form), Pad value, BN epsilon */
  float f0, f1;
  gboolean allowzero;
  /* Div on integer tensors truncates toward zero (ONNX integer division) */
  gboolean int_div;
  /* Constant */
  PlTensor *constant;
  /* Shape */
  gint64 start, end;
  gboolean has_end;
} NodeInfo;

typedef struct {
  PlConvGeom conv;
  PlPoolGeom pool;
  gint M, N, K, cm, cn;
  gsize outer, d, inner;
  gint nd;
  gint64 osh[PL_TENSOR_MAX_DIMS], ash[PL_TENSOR_MAX_DIMS], bsh[PL_TENSOR_MAX_DIMS];
  gint64 begin[PL_TENSOR_MAX_DIMS];
  gint64 perm[PL_TENSOR_MAX_DIMS];
} NodePlan;

typedef struct {
  gint nd;
  gint64 d[PL_TENSOR_MAX_DIMS];
} Shape;

typedef struct {
  Shape *in;          /* per graph input */
  PlTensor **vals;    /* per value id; NULL for initializers */
  PlTensor **grads;   /* per value id; allocated on first backward */
  gboolean *is_const; /* per value id: initializer or folded */
  gboolean *folded;   /* per node: evaluated when the plan was built */
  NodePlan *np;       /* per node */
  gsize ws;           /* scratch floats needed */
  gint64 micro_chunks; /* > 0: forward runs depth-first on this many chunks of samples */
  gsize micro_ws_each; /* scratch floats per thread in that mode */
  /* Added (speed, third round): forward-only fusion (plan_fusion). fuse[k] for a Conv:
   * 0, or 1 + the PlConvEpilogue that folds the Relu (and MaxPool) after it in;
   * fuse_out[k] the value it then writes (the last fused node's output); fuse_skip[k]
   * for the Relu / MaxPool nodes folded into a Conv. */
  guint8 *fuse;
  gint *fuse_out;
  gboolean *fuse_skip;
  gboolean any_fuse;
} Plan;

struct _PlExecutor {
  PlGraph *graph;
  guint n_values, n_nodes;
  gint n_inputs;
  gint *input_ids;
  gint input_id;             /* input 0 */
  gboolean *shape_in;        /* per input: its values are needed at preparation (e.g. a
                              * Reshape shape given as a graph input): plans are keyed on
                              * them too */
  gboolean any_shape_in;
  NodeInfo *info;
  gboolean *is_param;        /* float initializer used as differentiable data */
  Plan *plans[N_PLANS];      /* [0] is the current (most recently used) plan */
  float *ws;
  gsize ws_size;
  PlTensor **pgrads;         /* per value id; parameter gradients */
  gboolean *req;             /* per value id; gradient wanted in the last backward */
  gboolean have_forward, have_backward, input_grad_enabled;
  /* Added (speed): the head — the one Conv / Gemm reading graph input 0 (-1: none) — and
   * whether the last forward pass was given the head's output (pl_executor_forward_head)
   * or the next backward stops at it (pl_executor_backward_to_head). */
  gint head_node, head_value;
  gboolean head_given, stop_at_head;
  PlHeadFillFunc head_fill;   /* during pl_executor_forward_head_func */
  gpointer head_fill_data;
  /* Added (speed, second round): the micro-batch backward to the head ("backward plan",
   * see backward_plan): per node a BackMode and the value whose gradient a fused node
   * writes; per value whether its gradient needs no zeroing (written, not accumulated, or
   * not computed at all); the consumer of the head gradient chunks. */
  guint8 *bk_mode;
  gint *bk_dx;
  gint *bk_relu;      /* BK_POOL_RELU_SET: the Relu node */
  /* per node, during a fused pass with scratch areas: 1 skip (a Relu), 2 the MaxPool
   * after it computes MaxPool (Relu (z)) from the Relu's input (pl_maxpool_relu_forward) */
  guint8 *fw_mode;
  gboolean *bk_nozero;
  PlHeadGradFunc head_consume;
  gpointer head_consume_data;
  /* Scratch of pl_executor_forward_backward_head: per value, 1 + the offset of its chunk
   * slice (sc_val) and of its gradient's (sc_grad) in a part's scratch area, 0 when the
   * value keeps its full-batch buffer; the areas (sc_each floats per part). scratched:
   * the intermediate values and gradients of the last pass are gone. */
  gsize *sc_val, *sc_grad;
  float *sc_buf;
  gsize sc_each, sc_size;
  gboolean scratched;
  /* Added (speed, third round): whether the last forward pass ran fused Conv nodes
   * (their intermediate values are computed on demand: materialize); whether forward
   * passes should keep every intermediate value (pl_executor_set_keep_values, or set once
   * a backward pass with parameter gradients ran: training reads them all anyway). */
  gboolean elided, keep_values;
};

/* The calling thread's scratch area during a fused pass (micro_part), else NULL. */
static __thread float *tls_scratch;

typedef enum {
  BK_NORMAL = 0,
  BK_SKIP,            /* a Relu fused into the MaxPool after it */
  BK_POOL_SET,        /* MaxPool 2×2 backward that writes its input gradient */
  BK_POOL_RELU_SET    /* the same through the Relu before it, into bk_dx */
} BackMode;

static inline const PlNode *
node_at (const PlExecutor *ex, guint k)
{
  return g_ptr_array_index (ex->graph->nodes, k);
}

static const char *
node_label (const PlNode *n)
{
  return (n->name != NULL && n->name[0] != '\0') ? n->name : "(unnamed)";
}

static inline gboolean
has_input (const PlNode *n, gint i)
{
  return n->n_inputs > i && n->inputs[i] >= 0;
}

static void
plan_free (Plan *p, guint n_values, guint n_nodes)
{
  (void) n_nodes;
  if (p == NULL)
    return;
  for (guint v = 0; v < n_values; v++)
    {
      g_clear_pointer (&p->vals[v], pl_tensor_unref);
      g_clear_pointer (&p->grads[v], pl_tensor_unref);
    }
  g_free (p->in);
  g_free (p->vals);
  g_free (p->grads);
  g_free (p->is_const);
  g_free (p->folded);
  g_free (p->np);
  g_free (p->fuse);
  g_free (p->fuse_out);
  g_free (p->fuse_skip);
  g_free (p);
}

/* ------------------------------------------------------------------ attributes */

static gboolean
unsupported (GError **error, const PlNode *n, gint64 opset, const char *fmt, ...)
  G_GNUC_PRINTF (4, 5);

static gboolean
unsupported (GError **error, const PlNode *n, gint64 opset, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED, "node '%s' (%s, opset %" G_GINT64_FORMAT
               "): %s", node_label (n), n->op_type, opset, msg);
  return FALSE;
}

static gboolean
invalid (GError **error, const PlNode *n, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
invalid (GError **error, const PlNode *n, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "node '%s' (%s): %s", node_label (n),
               n->op_type, msg);
  return FALSE;
}

/* Reads an INTS attribute of at most max entries into out; *count = -1 when absent. */
static gboolean
get_ints (const PlNode *n, gint64 opset, const char *name, gint max, gint64 *out, gint *count,
          GError **error)
{
  const PlAttr *a = pl_node_get_attr (n, name);
  *count = -1;
  if (a == NULL)
    return TRUE;
  if (a->type != PL_ATTR_INTS)
    return invalid (error, n, "attribute '%s' must be a list of integers", name);
  if (a->n > max)
    return unsupported (error, n, opset, "attribute '%s' has %d entries; at most %d are "
                        "supported (1-D and 2-D only)", name, a->n, max);
  memcpy (out, a->ints, sizeof (gint64) * a->n);
  *count = a->n;
  return TRUE;
}

/* Known attributes per operator; anything else is refused rather than ignored. */
static gboolean
check_attrs (const PlNode *n, gint64 opset, const char *const *known, GError **error)
{
  for (gint i = 0; i < n->n_attrs; i++)
    {
      gboolean ok = FALSE;
      for (gint k = 0; known[k] != NULL && !ok; k++)
        ok = g_str_equal (n->attrs[i].name, known[k]);
      if (!ok)
        return unsupported (error, n, opset, "attribute '%s' is not supported",
                            n->attrs[i].name);
    }
  return TRUE;
}

static gboolean
parse_window (const PlNode *n, NodeInfo *info, GError **error)
{
  gint64 opset = info->opset;
  if (!get_ints (n, opset, "kernel_shape", 2, info->kernel, &info->n_kernel, error)
      || !get_ints (n, opset, "strides", 2, info->strides, &info->n_strides, error)
      || !get_ints (n, opset, "pads", 4, info->pads, &info->n_pads, error)
      || !get_ints (n, opset, "dilations", 2, info->dil, &info->n_dil, error))
    return FALSE;
  for (gint i = 0; i < info->n_pads; i++)
    if (info->pads[i] < 0 || info->pads[i] > G_MAXINT / 4)
      return invalid (error, n, "pads must be between 0 and %d", G_MAXINT / 4);
  if (info->n_pads >= 0 && info->n_pads % 2 != 0)
    return invalid (error, n, "pads must have two entries per spatial axis");
  for (gint i = 0; i < 2; i++)
    if ((i < info->n_strides && (info->strides[i] < 1 || info->strides[i] > G_MAXINT / 4))
        || (i < info->n_dil && (info->dil[i] < 1 || info->dil[i] > G_MAXINT / 4))
        || (i < info->n_kernel && (info->kernel[i] < 1 || info->kernel[i] > G_MAXINT / 4)))
      return invalid (error, n, "strides, dilations and kernel_shape must be positive");
  const PlAttr *ap = pl_node_get_attr (n, "auto_pad");
  const char *s = (ap != NULL && ap->type == PL_ATTR_STRING) ? ap->s : "NOTSET";
  if (s == NULL || s[0] == '\0' || g_str_equal (s, "NOTSET"))
    info->auto_pad = 0;
  else if (g_str_equal (s, "VALID"))
    info->auto_pad = 1;
  else if (g_str_equal (s, "SAME_UPPER"))
    info->auto_pad = 2;
  else if (g_str_equal (s, "SAME_LOWER"))
    info->auto_pad = 3;
  else
    return invalid (error, n, "unknown auto_pad '%s'", s);
  return TRUE;
}

static gboolean
parse_node (const PlGraph *graph, const PlNode *n, NodeInfo *info, GError **error)
{
  gboolean found = FALSE;
  gint min_inputs = 0;
  gint64 opset = graph->opset > 0 ? graph->opset : LATEST_OPSET;
  info->opset = opset;
  if (n->domain == NULL || n->domain[0] == '\0' || g_str_equal (n->domain, "ai.onnx"))
    for (gsize i = 0; i < G_N_ELEMENTS (op_table); i++)
      if (g_str_equal (n->op_type, op_table[i].name))
        {
          info->kind = op_table[i].kind;
          info->diff = op_table[i].diff;
          min_inputs = op_table[i].min_inputs;
          found = TRUE;
        }
  if (!found)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                   "node '%s': operator %s%s%s (opset %" G_GINT64_FORMAT ") is not supported; "
                   "supported are " SUPPORTED_LIST, node_label (n),
                   (n->domain && n->domain[0]) ? n->domain : "",
                   (n->domain && n->domain[0]) ? "." : "", n->op_type, opset);
      return FALSE;
    }
  if (n->n_inputs < min_inputs || n->n_outputs < 1 || n->outputs[0] < 0)
    return invalid (error, n, "expected at least %d input(s) and one output, found %d and %d",
                    min_inputs, n->n_inputs, n->n_outputs);
  for (gint i = 0; i < min_inputs; i++)
    if (n->inputs[i] < 0)
      return invalid (error, n, "required input %d is missing", i);
  for (gint o = 1; o < n->n_outputs; o++)
    if (n->outputs[o] >= 0 && info->kind != OP_DROPOUT)
      return unsupported (error, n, opset, "output %d is not supported (only the first "
                          "output is computed)", o);

  static const char *const no_attrs[] = { NULL };
  static const char *const known_attrs[][9] = {
    [OP_CONV] = { "auto_pad", "dilations", "group", "kernel_shape", "pads", "strides", NULL },
    [OP_MAXPOOL] = { "auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
                     "storage_order", "strides", NULL },
    [OP_AVGPOOL] = { "auto_pad", "ceil_mode", "count_include_pad", "dilations",
                     "kernel_shape", "pads", "strides", NULL },
    [OP_GEMM] = { "alpha", "beta", "transA", "transB", "broadcast", NULL },
    [OP_FLATTEN] = { "axis", NULL }, [OP_SOFTMAX] = { "axis", NULL },
    [OP_LOG_SOFTMAX] = { "axis", NULL }, [OP_CONCAT] = { "axis", NULL },
    [OP_GATHER] = { "axis", NULL }, [OP_RESHAPE] = { "allowzero", NULL },
    [OP_DROPOUT] = { "ratio", "seed", "is_test", NULL }, [OP_LEAKY_RELU] = { "alpha", NULL },
    [OP_CLIP] = { "min", "max", NULL }, [OP_TRANSPOSE] = { "perm", NULL },
    [OP_SQUEEZE] = { "axes", NULL }, [OP_UNSQUEEZE] = { "axes", NULL },
    [OP_PAD] = { "mode", "pads", "value", NULL },
    [OP_BATCHNORM] = { "epsilon", "momentum", "spatial", "training_mode", "is_test", NULL },
    [OP_CONSTANT] = { "value", "value_float", "value_floats", "value_int", "value_ints",
                      NULL },
    [OP_SHAPE] = { "start", "end", NULL },
  };
  const char *const *known = known_attrs[info->kind][0] != NULL ? known_attrs[info->kind]
                                                                 : no_attrs;
  if (!check_attrs (n, opset, known, error))
    return FALSE;

  info->strides[0] = info->strides[1] = 1;
  info->dil[0] = info->dil[1] = 1;
  memset (info->pads, 0, sizeof info->pads);
  info->kernel[0] = info->kernel[1] = -1;
  info->n_kernel = info->n_strides = info->n_pads = info->n_dil = -1;
  info->n_list = -1;

  switch (info->kind)
    {
    case OP_CONV:
      {
        if (!parse_window (n, info, error))
          return FALSE;
        info->group = pl_node_get_int (n, "group", 1);
        if (info->group < 1 || info->group > G_MAXINT)
          return invalid (error, n, "group must be positive");
        break;
      }
    case OP_MAXPOOL:
    case OP_AVGPOOL:
      {
        if (pl_node_get_attr (n, "kernel_shape") == NULL)
          return invalid (error, n, "attribute kernel_shape is required");
        if (pl_node_get_int (n, "storage_order", 0) != 0)
          return unsupported (error, n, opset, "storage_order = 1 is not supported");
        info->ceil_mode = pl_node_get_int (n, "ceil_mode", 0) != 0;
        info->count_include_pad = pl_node_get_int (n, "count_include_pad", 0) != 0;
        if (!parse_window (n, info, error))
          return FALSE;
        break;
      }
    case OP_GEMM:
      info->trans_a = pl_node_get_int (n, "transA", 0) != 0;
      info->trans_b = pl_node_get_int (n, "transB", 0) != 0;
      info->alpha = pl_node_get_float (n, "alpha", 1.f);
      info->beta = pl_node_get_float (n, "beta", 1.f);
      if (opset < 7 && pl_node_get_attr (n, "broadcast") != NULL
          && pl_node_get_int (n, "broadcast", 0) == 0)
        return unsupported (error, n, opset, "broadcast = 0 is not supported");
      break;
    case OP_FLATTEN:
      info->axis = pl_node_get_int (n, "axis", 1);
      break;
    case OP_SOFTMAX:
    case OP_LOG_SOFTMAX:
      /* opset >= 13: one axis, default -1; older: coerced to 2-D at axis, default 1 */
      info->axis = pl_node_get_int (n, "axis", opset >= 13 ? -1 : 1);
      break;
    case OP_CONCAT:
      if (pl_node_get_attr (n, "axis") == NULL)
        return invalid (error, n, "attribute axis is required");
      info->axis = pl_node_get_int (n, "axis", 0);
      break;
    case OP_GATHER:
      info->axis = pl_node_get_int (n, "axis", 0);
      break;
    case OP_RESHAPE:
      info->allowzero = pl_node_get_int (n, "allowzero", 0) != 0;
      break;
    case OP_LEAKY_RELU:
      info->f0 = pl_node_get_float (n, "alpha", 0.01f);
      break;
    case OP_CLIP:
      info->f0 = pl_node_get_float (n, "min", -INFINITY);
      info->f1 = pl_node_get_float (n, "max", INFINITY);
      break;
    case OP_TRANSPOSE:
      if (!get_ints (n, opset, "perm", PL_TENSOR_MAX_DIMS, info->list, &info->n_list, error))
        return FALSE;
      break;
    case OP_SQUEEZE:
    case OP_UNSQUEEZE:
      if (!get_ints (n, opset, "axes", PL_TENSOR_MAX_DIMS, info->list, &info->n_list, error))
        return FALSE;
      if (info->kind == OP_UNSQUEEZE && info->n_list < 0 && !has_input (n, 1))
        return invalid (error, n, "the axes (attribute before opset 13, input since) are "
                        "required");
      break;
    case OP_PAD:
      {
        const PlAttr *m = pl_node_get_attr (n, "mode");
        if (m != NULL && m->type == PL_ATTR_STRING && m->s != NULL
            && !g_str_equal (m->s, "constant"))
          return unsupported (error, n, opset, "mode '%s' is not supported (only constant)",
                              m->s);
        if (has_input (n, 3))
          return unsupported (error, n, opset, "the axes input is not supported");
        if (!get_ints (n, opset, "pads", 2 * PL_TENSOR_MAX_DIMS, info->list, &info->n_list,
                       error))
          return FALSE;
        info->f0 = pl_node_get_float (n, "value", 0.f);
        if (info->n_list < 0 && !has_input (n, 1))
          return invalid (error, n, "pads (attribute before opset 11, input since) are "
                          "required");
        break;
      }
    case OP_BATCHNORM:
      info->f0 = pl_node_get_float (n, "epsilon", 1e-5f);
      if (pl_node_get_int (n, "training_mode", 0) != 0)
        return unsupported (error, n, opset, "training_mode = 1 is not supported (inference "
                            "only)");
      if (pl_node_get_int (n, "spatial", 1) != 1)
        return unsupported (error, n, opset, "spatial = 0 is not supported");
      break;
    case OP_DROPOUT:
      for (gint o = 2; o < n->n_outputs; o++)
        if (n->outputs[o] >= 0)
          return invalid (error, n, "Dropout has at most two outputs");
      break;
    case OP_CONSTANT:
      {
        const PlAttr *a = NULL;
        for (gint i = 0; i < n->n_attrs; i++)
          a = &n->attrs[i];
        if (n->n_attrs != 1)
          return invalid (error, n, "exactly one value attribute is required");
        if (g_str_equal (a->name, "value") && a->type == PL_ATTR_TENSOR && a->t != NULL)
          info->constant = pl_tensor_dup (a->t);
        else if (g_str_equal (a->name, "value_float") && a->type == PL_ATTR_FLOAT)
          {
            info->constant = pl_tensor_new (0, NULL, NULL);
            info->constant->data[0] = a->f;
          }
        else if (g_str_equal (a->name, "value_int") && a->type == PL_ATTR_INT)
          {
            info->constant = pl_tensor_new (0, NULL, NULL);
            info->constant->data[0] = (float) a->i;
          }
        else if (g_str_equal (a->name, "value_floats") && a->type == PL_ATTR_FLOATS)
          {
            info->constant = pl_tensor_new_1d (a->n);
            memcpy (info->constant->data, a->floats, sizeof (float) * a->n);
          }
        else if (g_str_equal (a->name, "value_ints") && a->type == PL_ATTR_INTS)
          {
            info->constant = pl_tensor_new_1d (a->n);
            for (gint i = 0; i < a->n; i++)
              info->constant->data[i] = (float) a->ints[i];
          }
        else
          return unsupported (error, n, opset, "attribute '%s' is not supported (value, "
                              "value_float(s) and value_int(s) are)", a->name);
        if (info->constant == NULL)
          return unsupported (error, n, opset, "the constant could not be read");
        break;
      }
    case OP_SHAPE:
      info->start = pl_node_get_int (n, "start", 0);
      info->has_end = pl_node_get_attr (n, "end") != NULL;
      info->end = pl_node_get_int (n, "end", 0);
      break;
    default:
      break;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ shapes */

static gboolean
shape_err (GError **error, const PlNode *n, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
shape_err (GError **error, const PlNode *n, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "node '%s' (%s): %s", node_label (n),
               n->op_type, msg);
  return FALSE;
}

static void
same_pads (gint64 in, gint64 k, gint64 s, gint64 d, gboolean lower, gint *begin, gint *end)
{
  gint64 out = (in + s - 1) / s;
  gint64 total = MAX (0, (out - 1) * s + (k - 1) * d + 1 - in);
  gint64 small = total / 2;
  *begin = (gint) (lower ? total - small : small);
  *end = (gint) (total - *begin);
}

/* The 2-D window geometry of a Conv or pool node whose input x has sp = x->nd - 2 spatial
 * axes (1 or 2; 1-D is run as 2-D with height 1). kh / kw: kernel size. */
static gboolean
window_geom (const PlNode *n, const NodeInfo *info, const Shape *x, gint64 kh, gint64 kw,
             gint sp, gint *stride_h, gint *stride_w, gint *dil_h, gint *dil_w, gint *t,
             gint *l, gint *b, gint *r, GError **error)
{
  if ((info->n_strides >= 0 && info->n_strides != sp) || (info->n_dil >= 0 && info->n_dil != sp)
      || (info->n_pads >= 0 && info->n_pads != 2 * sp)
      || (info->n_kernel >= 0 && info->n_kernel != sp))
    return shape_err (error, n, "attribute lengths do not match the %d spatial axes of the "
                      "input", sp);
  gint64 s[2] = { 1, 1 }, d[2] = { 1, 1 }, p[4] = { 0, 0, 0, 0 };
  if (sp == 1)
    {
      s[1] = info->strides[0];
      d[1] = info->dil[0];
      p[1] = info->pads[0];
      p[3] = info->pads[1];
    }
  else
    {
      memcpy (s, info->strides, sizeof s);
      memcpy (d, info->dil, sizeof d);
      memcpy (p, info->pads, sizeof p);
    }
  gint64 h = sp == 1 ? 1 : x->d[2], w = x->d[x->nd - 1];
  *stride_h = (gint) s[0]; *stride_w = (gint) s[1];
  *dil_h = (gint) d[0]; *dil_w = (gint) d[1];
  if (info->auto_pad >= 2)
    {
      same_pads (h, kh, s[0], d[0], info->auto_pad == 3, t, b);
      same_pads (w, kw, s[1], d[1], info->auto_pad == 3, l, r);
    }
  else if (info->auto_pad == 1)
    *t = *l = *b = *r = 0;
  else
    {
      *t = (gint) p[0]; *l = (gint) p[1]; *b = (gint) p[2]; *r = (gint) p[3];
    }
  return TRUE;
}

static gboolean
broadcast_plan (const PlNode *n, const Shape *x, const Shape *b, Shape *y, NodePlan *np,
                GError **error)
{
  if (!pl_broadcast_shape (x->nd, x->d, b->nd, b->d, &y->nd, y->d))
    {
      g_autofree char *xs = pl_tensor_shape_string (x->nd, x->d);
      g_autofree char *bs = pl_tensor_shape_string (b->nd, b->d);
      return shape_err (error, n, "shapes %s and %s cannot be broadcast", xs, bs);
    }
  np->nd = y->nd;
  memcpy (np->osh, y->d, sizeof y->d);
  for (gint i = 0; i < y->nd; i++)
    {
      gint ia = i - (y->nd - x->nd), ib = i - (y->nd - b->nd);
      np->ash[i] = ia >= 0 ? x->d[ia] : 1;
      np->bsh[i] = ib >= 0 ? b->d[ib] : 1;
    }
  return TRUE;
}

static inline const PlTensor *
vtensor_p (PlExecutor *ex, Plan *p, gint id)
{
  const PlValue *v = pl_graph_value (ex->graph, id);
  return v->init != NULL ? v->init : p->vals[id];
}

static inline float *
vdata_p (PlExecutor *ex, Plan *p, gint id)
{
  return vtensor_p (ex, p, id)->data;
}

/* A value known when the plan is built (initializer or folded), or NULL. */
static const PlTensor *
const_input (PlExecutor *ex, Plan *p, const PlNode *n, gint i)
{
  if (!has_input (n, i) || !p->is_const[n->inputs[i]])
    return NULL;
  return vtensor_p (ex, p, n->inputs[i]);
}

static gboolean
need_const (PlExecutor *ex, Plan *p, const PlNode *n, gint i, const char *what,
            const PlTensor **out, GError **error)
{
  *out = const_input (ex, p, n, i);
  if (*out == NULL)
    return unsupported (error, n, ex->graph->opset > 0 ? ex->graph->opset : LATEST_OPSET,
                        "the %s input '%s' must be known when the model is prepared (a "
                        "constant, or computed from constants and input shapes)", what,
                        pl_graph_value (ex->graph, n->inputs[i])->name);
  return TRUE;
}

/* Integer list from a tensor holding whole numbers (int64 data stored as float). */
static gboolean
tensor_ints (const PlNode *n, const PlTensor *t, gint max, gint64 *out, gint *count,
             const char *what, GError **error)
{
  if (t->numel > max)
    return shape_err (error, n, "%s has %" G_GINT64_FORMAT " entries (at most %d)", what,
                      t->numel, max);
  for (gint64 i = 0; i < t->numel; i++)
    {
      if (!isfinite (t->data[i]) || t->data[i] != floorf (t->data[i])
          || fabsf (t->data[i]) > 1e15f)
        return shape_err (error, n, "%s entry %" G_GINT64_FORMAT " (%g) is not an integer",
                          what, i, (double) t->data[i]);
      out[i] = (gint64) t->data[i];
    }
  *count = (gint) t->numel;
  return TRUE;
}

static gboolean
norm_axis (const PlNode *n, gint64 axis, gint rank, gint64 *out, GError **error)
{
  gint64 a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank)
    return shape_err (error, n, "axis %" G_GINT64_FORMAT " is out of range for rank %d",
                      axis, rank);
  *out = a;
  return TRUE;
}

static gboolean
infer_node (PlExecutor *ex, Plan *p, guint k, Shape *sh, NodePlan *np, GError **error)
{
  const PlNode *n = node_at (ex, k);
  const NodeInfo *info = &ex->info[k];
  const Shape none = { 0, { 0 } };
  const Shape *x = n->n_inputs > 0 && n->inputs[0] >= 0 ? &sh[n->inputs[0]] : &none;
  Shape *y = &sh[n->outputs[0]];
  g_autofree char *xs = pl_tensor_shape_string (x->nd, x->d);

  for (gint i = 0; i < n->n_inputs; i++)
    if (n->inputs[i] >= 0 && sh[n->inputs[i]].nd < 0)
      return shape_err (error, n, "the shape of input %d ('%s') is unknown", i,
                        pl_graph_value (ex->graph, n->inputs[i])->name);

  switch (info->kind)
    {
    case OP_CONV:
      {
        const Shape *w = &sh[n->inputs[1]];
        gint sp = x->nd - 2;
        gint64 G = info->group;
        if ((sp != 1 && sp != 2) || w->nd != x->nd)
          return unsupported (error, n, info->opset, "only 1-D and 2-D convolution are "
                              "supported: input %s, weight of rank %d", xs, w->nd);
        if (x->d[1] % G != 0 || w->d[0] % G != 0 || w->d[1] * G != x->d[1])
          return shape_err (error, n, "input %s has %" G_GINT64_FORMAT " channels; with group "
                            "%" G_GINT64_FORMAT " the weight expects %" G_GINT64_FORMAT
                            " and %" G_GINT64_FORMAT " filters must divide into groups", xs,
                            x->d[1], G, w->d[1] * G, w->d[0]);
        gint64 kh = sp == 1 ? 1 : w->d[2], kw = w->d[w->nd - 1];
        if ((info->n_kernel >= 1 && info->kernel[0] != (sp == 1 ? kw : kh))
            || (info->n_kernel >= 2 && info->kernel[1] != kw))
          return shape_err (error, n, "kernel_shape disagrees with the weight shape");
        if (has_input (n, 2))
          {
            const Shape *b = &sh[n->inputs[2]];
            if (b->nd != 1 || b->d[0] != w->d[0])
              return shape_err (error, n, "bias must be [%" G_GINT64_FORMAT "]", w->d[0]);
          }
        PlConvGeom *g = &np->conv;
        g->n = (gint) x->d[0]; g->c = (gint) (x->d[1] / G);
        g->h = (gint) (sp == 1 ? 1 : x->d[2]); g->w = (gint) x->d[x->nd - 1];
        g->m = (gint) (w->d[0] / G); g->kh = (gint) kh; g->kw = (gint) kw;
        if (!window_geom (n, info, x, kh, kw, sp, &g->stride_h, &g->stride_w, &g->dil_h,
                          &g->dil_w, &g->pad_t, &g->pad_l, &g->pad_b, &g->pad_r, error))
          return FALSE;
        if (!pl_conv_geom_finish (g))
          return shape_err (error, n, "the kernel does not fit the padded input %s", xs);
        y->nd = x->nd;
        y->d[0] = g->n; y->d[1] = w->d[0];
        if (sp == 1)
          y->d[2] = g->ow;
        else
          {
            y->d[2] = g->oh; y->d[3] = g->ow;
          }
        break;
      }
    case OP_MAXPOOL:
    case OP_AVGPOOL:
      {
        gint sp = x->nd - 2;
        if (sp != 1 && sp != 2)
          return unsupported (error, n, info->opset, "only 1-D and 2-D pooling are supported: "
                              "input %s", xs);
        PlPoolGeom *g = &np->pool;
        g->n = (gint) x->d[0]; g->c = (gint) x->d[1];
        g->h = (gint) (sp == 1 ? 1 : x->d[2]); g->w = (gint) x->d[x->nd - 1];
        if (info->n_kernel != sp)
          return shape_err (error, n, "kernel_shape must have %d entries for input %s", sp, xs);
        g->kh = (gint) (sp == 1 ? 1 : info->kernel[0]);
        g->kw = (gint) info->kernel[sp - 1];
        g->ceil_mode = info->ceil_mode;
        if (!window_geom (n, info, x, g->kh, g->kw, sp, &g->stride_h, &g->stride_w, &g->dil_h,
                          &g->dil_w, &g->pad_t, &g->pad_l, &g->pad_b, &g->pad_r, error))
          return FALSE;
        gint ekh = (g->kh - 1) * g->dil_h + 1, ekw = (g->kw - 1) * g->dil_w + 1;
        if (info->kind == OP_MAXPOOL && (g->pad_t >= ekh || g->pad_b >= ekh || g->pad_l >= ekw
                                         || g->pad_r >= ekw))
          return shape_err (error, n, "pads must be smaller than the (dilated) kernel");
        if (!pl_pool_geom_finish (g))
          return shape_err (error, n, "the window does not fit the padded input %s", xs);
        y->nd = x->nd;
        y->d[0] = g->n; y->d[1] = g->c;
        if (sp == 1)
          y->d[2] = g->ow;
        else
          {
            y->d[2] = g->oh; y->d[3] = g->ow;
          }
        break;
      }
    case OP_GLOBAL_AVGPOOL:
      if (x->nd < 3)
        return shape_err (error, n, "input %s must be [N, C, spatial...]", xs);
      *y = *x;
      for (gint i = 2; i < x->nd; i++)
        y->d[i] = 1;
      np->outer = (gsize) (x->d[0] * x->d[1]);
      np->d = (gsize) pl_shape_numel (x->nd - 2, x->d + 2);
      break;
    case OP_GEMM:
      {
        const Shape *b = &sh[n->inputs[1]];
        gboolean ta = info->trans_a, tb = info->trans_b;
        if (x->nd != 2 || b->nd != 2)
          return shape_err (error, n, "A and B must be 2-D (A is %s, B has %d dims)", xs, b->nd);
        gint64 M = ta ? x->d[1] : x->d[0], K = ta ? x->d[0] : x->d[1];
        gint64 Kb = tb ? b->d[1] : b->d[0], N = tb ? b->d[0] : b->d[1];
        if (K != Kb)
          return shape_err (error, n, "inner dimensions differ: A %s gives K = %" G_GINT64_FORMAT
                            ", B gives %" G_GINT64_FORMAT, xs, K, Kb);
        if (M > G_MAXINT || N > G_MAXINT || K > G_MAXINT)
          return shape_err (error, n, "matrix too large");
        np->M = (gint) M; np->N = (gint) N; np->K = (gint) K;
        np->cm = np->cn = 0;
        if (has_input (n, 2))
          {
            const Shape *c = &sh[n->inputs[2]];
            gint64 cm = c->nd >= 2 ? c->d[c->nd - 2] : 1;
            gint64 cn = c->nd >= 1 ? c->d[c->nd - 1] : 1;
            if (c->nd > 2 || (cm != 1 && cm != M) || (cn != 1 && cn != N))
              {
                g_autofree char *cs = pl_tensor_shape_string (c->nd, c->d);
                return shape_err (error, n, "C %s cannot be broadcast to [%" G_GINT64_FORMAT
                                  ", %" G_GINT64_FORMAT "]", cs, M, N);
              }
            np->cm = (gint) cm; np->cn = (gint) cn;
          }
        y->nd = 2;
        y->d[0] = M; y->d[1] = N;
        break;
      }
    case OP_MATMUL:
      {
        const Shape *b = &sh[n->inputs[1]];
        if (x->nd < 1 || b->nd < 1)
          return shape_err (error, n, "MatMul operands must have at least one dimension");
        gint64 M = x->nd == 1 ? 1 : x->d[x->nd - 2], K = x->d[x->nd - 1];
        gint64 Kb = b->nd == 1 ? b->d[0] : b->d[b->nd - 2], N = b->nd == 1 ? 1 : b->d[b->nd - 1];
        if (K != Kb)
          {
            g_autofree char *bs = pl_tensor_shape_string (b->nd, b->d);
            return shape_err (error, n, "inner dimensions differ: A %s, B %s", xs, bs);
          }
        if (M > G_MAXINT || N > G_MAXINT || K > G_MAXINT)
          return shape_err (error, n, "matrix too large");
        Shape ab = { MAX (x->nd - 2, 0), { 0 } }, bb = { MAX (b->nd - 2, 0), { 0 } }, yb;
        memcpy (ab.d, x->d, sizeof (gint64) * ab.nd);
        memcpy (bb.d, b->d, sizeof (gint64) * bb.nd);
        if (!broadcast_plan (n, &ab, &bb, &yb, np, error))
          return FALSE;
        np->M = (gint) M; np->N = (gint) N; np->K = (gint) K;
        *y = yb;
        if (x->nd > 1)
          y->d[y->nd++] = M;
        if (b->nd > 1)
          y->d[y->nd++] = N;
        if (y->nd > PL_TENSOR_MAX_DIMS)
          return shape_err (error, n, "too many dimensions");
        break;
      }
    case OP_RELU:
    case OP_IDENTITY:
    case OP_LEAKY_RELU:
    case OP_SIGMOID:
    case OP_TANH:
    case OP_CLIP:
      *y = *x;
      break;
    case OP_DROPOUT:
      if (has_input (n, 2))
        {
          const PlTensor *tm = NULL;
          if (!need_const (ex, p, n, 2, "training_mode", &tm, error))
            return FALSE;
          if (tm->numel != 1 || tm->data[0] != 0.f)
            return unsupported (error, n, info->opset, "training_mode = true is not "
                                "supported (inference only)");
        }
      *y = *x;
      if (n->n_outputs > 1 && n->outputs[1] >= 0)
        sh[n->outputs[1]] = *x;
      break;
    case OP_SOFTMAX:
    case OP_LOG_SOFTMAX:
      {
        gint64 axis = 0;
        if (!norm_axis (n, info->axis, MAX (x->nd, 1), &axis, error))
          return FALSE;
        gsize outer = 1, d = 1, inner = 1;
        for (gint i = 0; i < x->nd; i++)
          {
            if (i < axis)
              outer *= x->d[i];
            else if (i == axis || info->opset < 13)
              d *= x->d[i];
            else
              inner *= x->d[i];
          }
        np->outer = outer; np->d = d; np->inner = inner;
        *y = *x;
        break;
      }
    case OP_FLATTEN:
      {
        gint64 axis = info->axis < 0 ? info->axis + x->nd : info->axis;
        if (axis < 0 || axis > x->nd)
          return shape_err (error, n, "axis %" G_GINT64_FORMAT " out of range for %s",
                            info->axis, xs);
        y->nd = 2;
        y->d[0] = pl_shape_numel ((gint) axis, x->d);
        y->d[1] = pl_shape_numel (x->nd - (gint) axis, x->d + axis);
        break;
      }
    case OP_RESHAPE:
      {
        const PlTensor *st = NULL;
        gint64 req[PL_TENSOR_MAX_DIMS];
        gint nreq = 0;
        g_autofree char *why = NULL;
        if (!need_const (ex, p, n, 1, "shape", &st, error)
            || !tensor_ints (n, st, PL_TENSOR_MAX_DIMS, req, &nreq, "the target shape", error))
          return FALSE;
        gboolean literal_zero = FALSE;
        for (gint i = 0; info->allowzero && i < nreq; i++)
          literal_zero = literal_zero || req[i] == 0;
        if (literal_zero)
          {
            /* allowzero = 1: a 0 is a zero-sized dimension (then -1 is not allowed) */
            for (gint i = 0; i < nreq; i++)
              if (req[i] < 0)
                return shape_err (error, n, "with allowzero = 1 and a 0 in the target shape, "
                                  "-1 is not allowed");
            memcpy (y->d, req, sizeof (gint64) * nreq);
            if (pl_shape_numel (nreq, req) != pl_shape_numel (x->nd, x->d))
              return shape_err (error, n, "cannot reshape %s: the element counts differ", xs);
          }
        else if (!pl_reshape_resolve (x->nd, x->d, nreq, req, y->d, &why))
          return shape_err (error, n, "cannot reshape %s: %s", xs, why);
        y->nd = nreq;
        break;
      }
    case OP_ADD:
    case OP_SUB:
    case OP_MUL:
    case OP_DIV:
      if (!broadcast_plan (n, x, &sh[n->inputs[1]], y, np, error))
        return FALSE;
      break;
    case OP_TRANSPOSE:
      {
        gboolean seen[PL_TENSOR_MAX_DIMS] = { FALSE };
        if (info->n_list >= 0 && info->n_list != x->nd)
          return shape_err (error, n, "perm has %d entries for input %s", info->n_list, xs);
        y->nd = x->nd;
        for (gint i = 0; i < x->nd; i++)
          {
            gint64 a = info->n_list >= 0 ? info->list[i] : x->nd - 1 - i;
            if (a < 0)
              a += x->nd;
            if (a < 0 || a >= x->nd || seen[a])
              return shape_err (error, n, "perm is not a permutation of 0..%d", x->nd - 1);
            seen[a] = TRUE;
            np->perm[i] = a;
            y->d[i] = x->d[a];
          }
        np->nd = x->nd;
        memcpy (np->ash, x->d, sizeof x->d);
        break;
      }
    case OP_SQUEEZE:
    case OP_UNSQUEEZE:
      {
        gint64 axes[PL_TENSOR_MAX_DIMS];
        gint na = info->n_list;
        gboolean mark[PL_TENSOR_MAX_DIMS] = { FALSE };
        if (na >= 0)
          memcpy (axes, info->list, sizeof (gint64) * na);
        if (has_input (n, 1))
          {
            const PlTensor *at = NULL;
            if (!need_const (ex, p, n, 1, "axes", &at, error)
                || !tensor_ints (n, at, PL_TENSOR_MAX_DIMS, axes, &na, "axes", error))
              return FALSE;
          }
        gint rank = info->kind == OP_SQUEEZE ? x->nd : x->nd + MAX (na, 0);
        if (rank > PL_TENSOR_MAX_DIMS)
          return shape_err (error, n, "too many dimensions");
        for (gint i = 0; i < na; i++)
          {
            gint64 a = 0;
            if (!norm_axis (n, axes[i], rank, &a, error))
              return FALSE;
            if (mark[a])
              return shape_err (error, n, "axis %" G_GINT64_FORMAT " repeated", axes[i]);
            mark[a] = TRUE;
          }
        y->nd = 0;
        if (info->kind == OP_SQUEEZE)
          {
            for (gint i = 0; i < x->nd; i++)
              {
                gboolean drop = na >= 0 ? mark[i] : x->d[i] == 1;
                if (drop && x->d[i] != 1)
                  return shape_err (error, n, "cannot squeeze axis %d of %s (not 1)", i, xs);
                if (!drop)
                  y->d[y->nd++] = x->d[i];
              }
          }
        else
          {
            gint j = 0;
            for (gint i = 0; i < rank; i++)
              y->d[y->nd++] = mark[i] ? 1 : x->d[j++];
          }
        break;
      }
    case OP_CONCAT:
      {
        gint64 axis = 0;
        if (!norm_axis (n, info->axis, MAX (x->nd, 1), &axis, error))
          return FALSE;
        *y = *x;
        y->d[axis] = 0;
        for (gint i = 0; i < n->n_inputs; i++)
          {
            if (n->inputs[i] < 0)
              continue;
            const Shape *s = &sh[n->inputs[i]];
            gboolean ok = s->nd == x->nd;
            for (gint j = 0; ok && j < x->nd; j++)
              ok = j == axis || s->d[j] == x->d[j];
            if (!ok)
              {
                g_autofree char *ss = pl_tensor_shape_string (s->nd, s->d);
                return shape_err (error, n, "input %d %s does not match input 0 %s except "
                                  "on axis %" G_GINT64_FORMAT, i, ss, xs, axis);
              }
            y->d[axis] += s->d[axis];
          }
        np->outer = (gsize) pl_shape_numel ((gint) axis, x->d);
        np->inner = (gsize) pl_shape_numel (x->nd - (gint) axis - 1, x->d + axis + 1);
        if (x->nd == 0)
          return shape_err (error, n, "cannot concatenate scalars");
        break;
      }
    case OP_PAD:
      {
        gint64 pads[2 * PL_TENSOR_MAX_DIMS];
        gint np_ = info->n_list;
        if (np_ >= 0)
          memcpy (pads, info->list, sizeof (gint64) * np_);
        if (has_input (n, 1))
          {
            const PlTensor *pt = NULL;
            if (!need_const (ex, p, n, 1, "pads", &pt, error)
                || !tensor_ints (n, pt, 2 * PL_TENSOR_MAX_DIMS, pads, &np_, "pads", error))
              return FALSE;
          }
        if (np_ != 2 * x->nd)
          return shape_err (error, n, "pads has %d entries; input %s needs %d", np_, xs,
                            2 * x->nd);
        y->nd = x->nd;
        for (gint i = 0; i < x->nd; i++)
          {
            y->d[i] = x->d[i] + pads[i] + pads[i + x->nd];
            if (y->d[i] < 0)
              return shape_err (error, n, "negative pads remove more than axis %d of %s", i, xs);
            np->begin[i] = pads[i];
          }
        np->nd = x->nd;
        memcpy (np->ash, x->d, sizeof x->d);
        memcpy (np->osh, y->d, sizeof y->d);
        break;
      }
    case OP_BATCHNORM:
      {
        if (x->nd < 2)
          return shape_err (error, n, "input %s must be [N, C, ...]", xs);
        for (gint i = 1; i < 5; i++)
          {
            const Shape *s = &sh[n->inputs[i]];
            if (s->nd != 1 || s->d[0] != x->d[1])
              return shape_err (error, n, "input %d must be [%" G_GINT64_FORMAT "]", i, x->d[1]);
          }
        np->outer = (gsize) x->d[0];
        np->d = (gsize) x->d[1];
        np->inner = (gsize) pl_shape_numel (x->nd - 2, x->d + 2);
        *y = *x;
        break;
      }
    case OP_CONSTANT:
      y->nd = info->constant->ndim;
      memcpy (y->d, info->constant->shape, sizeof y->d);
      break;
    case OP_SHAPE:
      {
        gint64 s = info->start < 0 ? info->start + x->nd : info->start;
        gint64 e = info->has_end ? (info->end < 0 ? info->end + x->nd : info->end) : x->nd;
        s = CLAMP (s, 0, x->nd);
        e = CLAMP (e, 0, x->nd);
        np->outer = (gsize) s;
        y->nd = 1;
        y->d[0] = MAX (e - s, 0);
        break;
      }
    case OP_GATHER:
      {
        gint64 axis = 0;
        const Shape *ix = &sh[n->inputs[1]];
        if (x->nd < 1)
          return shape_err (error, n, "the data must have at least one dimension");
        if (!norm_axis (n, info->axis, x->nd, &axis, error))
          return FALSE;
        if (x->nd + ix->nd - 1 > PL_TENSOR_MAX_DIMS)
          return shape_err (error, n, "too many dimensions");
        np->outer = (gsize) pl_shape_numel ((gint) axis, x->d);
        np->d = (gsize) x->d[axis];
        np->inner = (gsize) pl_shape_numel (x->nd - (gint) axis - 1, x->d + axis + 1);
        y->nd = 0;
        for (gint i = 0; i < axis; i++)
          y->d[y->nd++] = x->d[i];
        for (gint i = 0; i < ix->nd; i++)
          y->d[y->nd++] = ix->d[i];
        for (gint i = (gint) axis + 1; i < x->nd; i++)
          y->d[y->nd++] = x->d[i];
        break;
      }
    }
  if (pl_shape_numel (y->nd, y->d) < 0)
    return shape_err (error, n, "output too large");
  return TRUE;
}

/* ------------------------------------------------------------------ forward kernels */

static inline float
scalar_input (PlExecutor *ex, Plan *p, const PlNode *n, gint i, float def)
{
  if (!has_input (n, i))
    return def;
  const PlTensor *t = vtensor_p (ex, p, n->inputs[i]);
  return t->numel >= 1 ? t->data[0] : def;
}

/* Gather indices as wrapped integers; FALSE (error) when one is outside [-d, d). */
static gint64 *
gather_indices (PlExecutor *ex, Plan *p, const PlNode *n, gsize d, gsize *count,
                GError **error)
{
  const PlTensor *it = vtensor_p (ex, p, n->inputs[1]);
  gint64 *idx = g_new (gint64, MAX (it->numel, 1));
  for (gint64 i = 0; i < it->numel; i++)
    {
      float f = it->data[i];
      gint64 v = isfinite (f) && fabsf (f) < 1e15f ? (gint64) f : G_MININT64;
      if (v == G_MININT64 || (float) v != f || v < -(gint64) d || v >= (gint64) d)
        {
          g_free (idx);
          invalid (error, n, "index %g (entry %" G_GINT64_FORMAT ") is outside [-%" G_GSIZE_FORMAT
                   ", %" G_GSIZE_FORMAT ")", (double) f, i, d, d);
          return NULL;
        }
      idx[i] = v < 0 ? v + (gint64) d : v;
    }
  *count = (gsize) it->numel;
  return idx;
}

static PlUnaryOp
unary_op (OpKind k)
{
  switch (k)
    {
    case OP_LEAKY_RELU: return PL_UNARY_LEAKY_RELU;
    case OP_SIGMOID: return PL_UNARY_SIGMOID;
    case OP_TANH: return PL_UNARY_TANH;
    default: return PL_UNARY_CLIP;
    }
}

static PlBinaryOp
binary_op (OpKind k)
{
  switch (k)
    {
    case OP_SUB: return PL_BINARY_SUB;
    case OP_MUL: return PL_BINARY_MUL;
    case OP_DIV: return PL_BINARY_DIV;
    default: return PL_BINARY_ADD;
    }
}

static void
clip_bounds (PlExecutor *ex, Plan *p, const PlNode *n, const NodeInfo *info, float *lo,
             float *hi)
{
  *lo = info->f0;
  *hi = info->f1;
  if (info->opset >= 11)
    {
      *lo = scalar_input (ex, p, n, 1, -INFINITY);
      *hi = scalar_input (ex, p, n, 2, INFINITY);
    }
}

static gboolean
run_node (PlExecutor *ex, Plan *p, guint k, GError **error)
{
  const PlNode *n = node_at (ex, k);
  const NodeInfo *info = &ex->info[k];
  NodePlan *np = &p->np[k];
  const float *x = has_input (n, 0) ? vdata_p (ex, p, n->inputs[0]) : NULL;
  float *y = vdata_p (ex, p, n->outputs[0]);
  gsize numel = (gsize) vtensor_p (ex, p, n->outputs[0])->numel;

  switch (info->kind)
    {
    case OP_CONV:
      {
        const float *b = has_input (n, 2) ? vdata_p (ex, p, n->inputs[2]) : NULL;
        if (info->group == 1)
          pl_conv2d_forward (&np->conv, x, vdata_p (ex, p, n->inputs[1]), b, y, ex->ws);
        else
          pl_conv2d_grouped_forward (&np->conv, (gint) info->group, x,
                                     vdata_p (ex, p, n->inputs[1]), b, y);
        break;
      }
    case OP_GEMM:
      pl_gemm_forward (np->M, np->N, np->K, info->trans_a, info->trans_b, info->alpha,
                       info->beta, x, vdata_p (ex, p, n->inputs[1]),
                       np->cm > 0 ? vdata_p (ex, p, n->inputs[2]) : NULL, np->cm, np->cn, y);
      break;
    case OP_MATMUL:
      if (np->nd == 0)   /* plain 2-D product: the threaded Gemm kernel */
        pl_gemm_forward (np->M, np->N, np->K, FALSE, FALSE, 1.f, 0.f, x,
                         vdata_p (ex, p, n->inputs[1]), NULL, 0, 0, y);
      else
        pl_matmul_forward (np->nd, np->osh, np->ash, np->bsh, np->M, np->N, np->K, x,
                           vdata_p (ex, p, n->inputs[1]), y);
      break;
    case OP_RELU:
      pl_relu_forward (numel, x, y);
      break;
    case OP_LEAKY_RELU:
    case OP_SIGMOID:
    case OP_TANH:
    case OP_CLIP:
      {
        float lo = info->f0, hi = info->f1;
        if (info->kind == OP_CLIP)
          clip_bounds (ex, p, n, info, &lo, &hi);
        pl_unary_forward (unary_op (info->kind), lo, hi, numel, x, y);
        break;
      }
    case OP_MAXPOOL:
      pl_maxpool_forward (&np->pool, x, y);
      break;
    case OP_AVGPOOL:
      pl_avgpool_forward (&np->pool, info->count_include_pad, x, y);
      break;
    case OP_GLOBAL_AVGPOOL:
      for (gsize o = 0; o < np->outer; o++)
        {
          double s = 0.0;
          for (gsize i = 0; i < np->d; i++)
            s += x[o * np->d + i];
          y[o] = np->d > 0 ? (float) (s / (double) np->d) : 0.f;
        }
      break;
    case OP_SOFTMAX:
      pl_softmax_forward (np->outer, np->d, np->inner, x, y);
      break;
    case OP_LOG_SOFTMAX:
      pl_log_softmax_forward (np->outer, np->d, np->inner, x, y);
      break;
    case OP_ADD:
    case OP_SUB:
    case OP_MUL:
    case OP_DIV:
      pl_binary_forward (binary_op (info->kind), np->nd, np->osh, np->ash, x, np->bsh,
                         vdata_p (ex, p, n->inputs[1]), y);
      if (info->int_div)
        for (gsize i = 0; i < numel; i++)
          y[i] = truncf (y[i]);
      break;
    case OP_DROPOUT:
      if (n->n_outputs > 1 && n->outputs[1] >= 0)
        {
          float *mask = vdata_p (ex, p, n->outputs[1]);
          for (gsize i = 0; i < numel; i++)
            mask[i] = 1.f;
        }
      G_GNUC_FALLTHROUGH;
    case OP_FLATTEN:
    case OP_RESHAPE:
    case OP_IDENTITY:
    case OP_SQUEEZE:
    case OP_UNSQUEEZE:
      pl_copy_forward (numel, x, y);
      break;
    case OP_TRANSPOSE:
      pl_transpose_forward (np->nd, np->ash, np->perm, x, y);
      break;
    case OP_CONCAT:
      {
        gsize off = 0, row = numel / MAX (np->outer, 1);
        for (gint i = 0; i < n->n_inputs; i++)
          {
            if (n->inputs[i] < 0)
              continue;
            const PlTensor *t = vtensor_p (ex, p, n->inputs[i]);
            gsize part = (gsize) t->numel / MAX (np->outer, 1);
            for (gsize o = 0; o < np->outer; o++)
              memcpy (y + o * row + off, t->data + o * part, sizeof (float) * part);
            off += part;
          }
        break;
      }
    case OP_PAD:
      pl_pad_forward (np->nd, np->ash, np->osh, np->begin,
                      info->opset >= 11 ? scalar_input (ex, p, n, 2, 0.f) : info->f0, x, y);
      break;
    case OP_BATCHNORM:
      pl_batchnorm_forward (np->outer, np->d, np->inner, info->f0, x,
                            vdata_p (ex, p, n->inputs[1]), vdata_p (ex, p, n->inputs[2]),
                            vdata_p (ex, p, n->inputs[3]), vdata_p (ex, p, n->inputs[4]), y);
      break;
    case OP_CONSTANT:
      memcpy (y, info->constant->data, sizeof (float) * numel);
      break;
    case OP_SHAPE:
      {
        const PlTensor *xt = vtensor_p (ex, p, n->inputs[0]);
        for (gsize i = 0; i < numel; i++)
          y[i] = (float) xt->shape[np->outer + i];
        break;
      }
    case OP_GATHER:
      {
        gsize cnt = 0;
        g_autofree gint64 *idx = gather_indices (ex, p, n, np->d, &cnt, error);
        if (idx == NULL)
          return FALSE;
        pl_gather_forward (np->outer, np->d, np->inner, idx, cnt, x, y);
        break;
      }
    }
  return TRUE;
}

/* ------------------------------------------------------------------ micro-batches
 * A batch of N samples is run depth-first: the batch is cut into chunks of about
 * MICRO_BATCH samples, the chunks are divided between the worker threads, and each
 * thread runs the whole graph on one chunk before the next, so the activations of a
 * chunk stay in the core's cache instead of streaming every layer of the full batch
 * through memory. Only graphs whose every computed node treats samples independently
 * qualify (Conv, Gemm on the batch rows, pools, activations, copies, BatchNormalization
 * in inference, ...; anything else runs layer by layer as before). The chunk bounds depend
 * only on N and the thread count, and a sample's result only on its chunk, so results
 * stay deterministic. Values land in the same full-batch buffers, so backward and
 * pl_executor_value see no difference. */

#define MICRO_BATCH 4

static gboolean
micro_node_ok (PlExecutor *ex, Plan *p, guint k, gint64 N)
{
  const PlNode *n = node_at (ex, k);
  const NodeInfo *info = &ex->info[k];
  const NodePlan *np = &p->np[k];
  /* the data input is input 0; every other input must be fixed (weights, bounds) */
  if (!has_input (n, 0) || p->is_const[n->inputs[0]])
    return FALSE;
  for (gint i = 1; i < n->n_inputs; i++)
    if (n->inputs[i] >= 0 && !p->is_const[n->inputs[i]])
      return FALSE;
  for (gint o = 0; o < n->n_outputs; o++)
    if (n->outputs[o] >= 0 && o > 0)
      return FALSE;
  const PlTensor *xt = vtensor_p (ex, p, n->inputs[0]);
  const PlTensor *yt = vtensor_p (ex, p, n->outputs[0]);
  if (xt->ndim < 1 || yt->ndim < 1 || xt->shape[0] != N || yt->shape[0] != N)
    return FALSE;
  switch (info->kind)
    {
    case OP_CONV:
      return np->conv.n == N;
    case OP_GEMM:
      return !info->trans_a && np->M == N && np->cm <= 1;
    case OP_MAXPOOL:
    case OP_AVGPOOL:
      return np->pool.n == N;
    case OP_BATCHNORM:
      return np->outer == (gsize) N;
    case OP_GLOBAL_AVGPOOL:
    case OP_SOFTMAX:
    case OP_LOG_SOFTMAX:
      return np->outer >= (gsize) N && np->outer % (gsize) N == 0;
    case OP_RELU:
    case OP_LEAKY_RELU:
    case OP_SIGMOID:
    case OP_TANH:
    case OP_CLIP:
    case OP_DROPOUT:
    case OP_FLATTEN:
    case OP_RESHAPE:
    case OP_IDENTITY:
    case OP_SQUEEZE:
    case OP_UNSQUEEZE:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Sets p->micro_chunks (0: not eligible) and grows p->ws for the per-thread scratch. */
static void
plan_micro_check (PlExecutor *ex, Plan *p)
{
  p->micro_chunks = 0;
  if (ex->n_inputs != 1 || p->in[0].nd < 1 || g_getenv ("PL_NO_MICRO_BATCH") != NULL)
    return;
  gint64 N = p->in[0].d[0];
  gint parts = pl_parallel_parts ();
  if (N < 2 * MICRO_BATCH && (parts == 1 || N < 2))
    return;
  gboolean any = FALSE;
  for (guint k = 0; k < ex->n_nodes; k++)
    {
      if (p->folded[k])
        continue;
      if (!micro_node_ok (ex, p, k, N))
        return;
      any = TRUE;
    }
  if (!any)
    return;
  /* chunks: a multiple of the thread count, each at most MICRO_BATCH samples */
  gint64 chunks = (N + MICRO_BATCH - 1) / MICRO_BATCH;
  chunks = MIN ((chunks + parts - 1) / parts * parts, N);
  gint64 largest = (N + chunks - 1) / chunks;
  gsize each = 0;
  for (guint k = 0; k < ex->n_nodes; k++)
    if (!p->folded[k] && ex->info[k].kind == OP_CONV && ex->info[k].group == 1)
      {
        PlConvGeom g = p->np[k].conv;
        g.n = (gint) largest;
        each = MAX (each, pl_conv2d_workspace (&g));
      }
  p->micro_chunks = chunks;
  p->micro_ws_each = each;
  p->ws = MAX (p->ws, each * parts);
}

static gint value_users (PlExecutor *ex, Plan *p, gint v);

/* The running node after node k that reads value v (its first such reader), or -1. */
static gint
value_reader_after (PlExecutor *ex, Plan *p, guint k, gint v)
{
  for (guint r = k + 1; r < ex->n_nodes; r++)
    {
      const PlNode *n = node_at (ex, r);
      if (p->folded[r])
        continue;
      for (gint i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] == v)
          return (gint) r;
    }
  return -1;
}

/* Added (speed, third round): forward-only fusion. A Conv (group 1) whose output is read
 * by one Relu only, when the blocked convolution runs it (pl_conv2d_fused_ok), computes
 * the Relu in its epilogue; when the Relu's output is read by one MaxPool only that tiles
 * it 2×2, the pool too. The fused values are bit for bit those of the separate nodes; the
 * intermediate values (the Conv's and the Relu's outputs) are then not stored by a plain
 * forward pass but recomputed when asked for (materialize). PL_NO_FUSION=1 turns it off. */
static void
plan_fusion (PlExecutor *ex, Plan *p)
{
  p->fuse = g_new0 (guint8, ex->n_nodes);
  p->fuse_out = g_new0 (gint, ex->n_nodes);
  p->fuse_skip = g_new0 (gboolean, ex->n_nodes);
  if (g_getenv ("PL_NO_FUSION") != NULL)
    return;
  for (guint k = 0; k < ex->n_nodes; k++)
    {
      const PlNode *n = node_at (ex, k);
      if (p->folded[k] || ex->info[k].kind != OP_CONV || ex->info[k].group != 1
          || p->fuse_skip[k] || !has_input (n, 0) || p->is_const[n->inputs[0]])
        continue;
      gint z = n->outputs[0];
      if (z < 0 || p->is_const[z] || value_users (ex, p, z) != 1)
        continue;
      gint r = value_reader_after (ex, p, k, z);
      if (r < 0 || ex->info[r].kind != OP_RELU || node_at (ex, r)->inputs[0] != z)
        continue;
      gint a = node_at (ex, r)->outputs[0];
      PlConvEpilogue epi = PL_CONV_EPI_RELU;
      gint out = a, q = -1;
      if (a >= 0 && value_users (ex, p, a) == 1)
        {
          q = value_reader_after (ex, p, (guint) r, a);
          const PlNode *qn = q >= 0 ? node_at (ex, q) : NULL;
          if (qn != NULL && ex->info[q].kind == OP_MAXPOOL && qn->inputs[0] == a
              && (qn->n_outputs < 2 || qn->outputs[1] < 0)
              && pl_conv2d_fused_ok (&p->np[k].conv, PL_CONV_EPI_RELU_MAXPOOL, &p->np[q].pool))
            {
              epi = PL_CONV_EPI_RELU_MAXPOOL;
              out = qn->outputs[0];
            }
          else
            q = -1;
        }
      if (a < 0 || (epi == PL_CONV_EPI_RELU && !pl_conv2d_fused_ok (&p->np[k].conv, epi, NULL)))
        continue;
      p->fuse[k] = (guint8) (1 + epi);
      p->fuse_out[k] = out;
      p->fuse_skip[r] = TRUE;
      if (q >= 0)
        p->fuse_skip[q] = TRUE;
      p->any_fuse = TRUE;
    }
}

/* Whether this forward pass runs the fused nodes fused (not when the head is given: it may
 * be a fused Conv; not once the executor has run a backward pass). */
static inline gboolean
fusion_active (const PlExecutor *ex, const Plan *p)
{
  return p->any_fuse && !ex->keep_values && !ex->head_given;
}

/* Runs fused Conv node k on samples [s0, s0 + nb): x its input, y the fused output. */
static void
fused_conv_run (PlExecutor *ex, Plan *p, guint k, gint64 nb, const float *x, float *y,
                float *ws)
{
  const PlNode *n = node_at (ex, k);
  PlConvGeom g = p->np[k].conv;
  g.n = (gint) nb;
  const float *b = has_input (n, 2) ? vdata_p (ex, p, n->inputs[2]) : NULL;
  pl_conv2d_forward_fused (&g, x, vdata_p (ex, p, n->inputs[1]), b,
                           (PlConvEpilogue) (p->fuse[k] - 1), y, ws);
}

/* Base pointer of value id for samples from s0 on (fixed values are not offset). */
static inline float *
micro_ptr (PlExecutor *ex, Plan *p, gint id, gint64 N, gint64 s0)
{
  const PlTensor *t = vtensor_p (ex, p, id);
  if (p->is_const[id])
    return t->data;
  if (tls_scratch != NULL && ex->sc_val[id] > 0)
    return tls_scratch + ex->sc_val[id] - 1;
  return t->data + (gsize) s0 * (gsize) (t->numel / N);
}

static void
micro_run_node (PlExecutor *ex, Plan *p, guint k, gint64 N, gint64 s0, gint64 s1, float *ws)
{
  const PlNode *n = node_at (ex, k);
  const NodeInfo *info = &ex->info[k];
  const NodePlan *np = &p->np[k];
  const gint64 nb = s1 - s0;
  const float *x = micro_ptr (ex, p, n->inputs[0], N, s0);
  float *y = micro_ptr (ex, p, n->outputs[0], N, s0);
  gsize numel = (gsize) (vtensor_p (ex, p, n->outputs[0])->numel / N * nb);
  switch (info->kind)
    {
    case OP_CONV:
      {
        PlConvGeom g = np->conv;
        g.n = (gint) nb;
        const float *b = has_input (n, 2) ? vdata_p (ex, p, n->inputs[2]) : NULL;
        if (info->group == 1)
          pl_conv2d_forward (&g, x, vdata_p (ex, p, n->inputs[1]), b, y, ws);
        else
          pl_conv2d_grouped_forward (&g, (gint) info->group, x, vdata_p (ex, p, n->inputs[1]),
                                     b, y);
        break;
      }
    case OP_GEMM:
      pl_gemm_forward ((gint) nb, np->N, np->K, FALSE, info->trans_b, info->alpha, info->beta,
                       x, vdata_p (ex, p, n->inputs[1]),
                       np->cm > 0 ? vdata_p (ex, p, n->inputs[2]) : NULL, np->cm, np->cn, y);
      break;
    case OP_RELU:
      pl_relu_forward (numel, x, y);
      break;
    case OP_LEAKY_RELU:
    case OP_SIGMOID:
    case OP_TANH:
    case OP_CLIP:
      {
        float lo = info->f0, hi = info->f1;
        if (info->kind == OP_CLIP)
          clip_bounds (ex, p, n, info, &lo, &hi);
        pl_unary_forward (unary_op (info->kind), lo, hi, numel, x, y);
        break;
      }
    case OP_MAXPOOL:
    case OP_AVGPOOL:
      {
        PlPoolGeom g = np->pool;
        g.n = (gint) nb;
        if (info->kind == OP_MAXPOOL)
          pl_maxpool_forward (&g, x, y);
        else
          pl_avgpool_forward (&g, info->count_include_pad, x, y);
        break;
      }
    case OP_GLOBAL_AVGPOOL:
      {
        gsize outer = np->outer / (gsize) N * (gsize) nb;
        for (gsize o = 0; o < outer; o++)
          {
            double s = 0.0;
            for (gsize i = 0; i < np->d; i++)
              s += x[o * np->d + i];
            y[o] = np->d > 0 ? (float) (s / (double) np->d) : 0.f;
          }
        break;
      }
    case OP_SOFTMAX:
      pl_softmax_forward (np->outer / (gsize) N * (gsize) nb, np->d, np->inner, x, y);
      break;
    case OP_LOG_SOFTMAX:
      pl_log_softmax_forward (np->outer / (gsize) N * (gsize) nb, np->d, np->inner, x, y);
      break;
    case OP_BATCHNORM:
      pl_batchnorm_forward ((gsize) nb, np->d, np->inner, info->f0, x,
                            vdata_p (ex, p, n->inputs[1]), vdata_p (ex, p, n->inputs[2]),
                            vdata_p (ex, p, n->inputs[3]), vdata_p (ex, p, n->inputs[4]), y);
      break;
    default:   /* copies (micro_node_ok admits nothing else) */
      pl_copy_forward (numel, x, y);
      break;
    }
}

typedef struct {
  PlExecutor *ex;
  Plan *p;
  gint64 N;
  gboolean to_head;   /* backward: stop at the head's output (skip the head node) */
  gboolean fused;     /* forward: run each chunk's backward right after its forward */
  gboolean fuse_fw;   /* forward: the plan's fused Conv nodes run fused (plan_fusion) */
  /* plain forward: the next chunk to take (the threads take chunks as they come free,
   * so a thread that starts late — the machine busy with other work — does less; a
   * chunk's values do not depend on the thread). NULL: fixed runs of chunks per part
   * (the fused forward-backward, whose per-part sums must not depend on timing). */
  gint *next;
} MicroJob;

static void micro_back_chunk (PlExecutor *ex, Plan *p, gint64 N, gint64 s0, gint64 s1,
                              float *ws, gint part, gboolean to_head);
static gboolean backward_prepare (PlExecutor *ex, const PlTensor *grad_output,
                                  gboolean param_grads, gboolean *micro_out,
                                  gboolean *to_head_out, GError **error);

static void
micro_part (gint part, gint n_parts, gpointer data)
{
  const MicroJob *j = data;
  Plan *p = j->p;
  float *ws = j->ex->ws + (gsize) part * p->micro_ws_each;
  gint64 c0, c1;
  pl_part_range (p->micro_chunks, part, n_parts, &c0, &c1);
  if (j->fused && j->ex->sc_buf != NULL)
    tls_scratch = j->ex->sc_buf + (gsize) part * j->ex->sc_each;
  for (gint64 i = c0; j->next != NULL || i < c1; i++)
    {
      gint64 c = i;
      if (j->next != NULL && (c = g_atomic_int_add (j->next, 1)) >= p->micro_chunks)
        break;
      gint64 s0, s1;
      pl_part_range (j->N, (gint) c, (gint) p->micro_chunks, &s0, &s1);
      if (s1 <= s0)
        continue;
      if (j->ex->head_given)
        j->ex->head_fill (s0, s1 - s0, micro_ptr (j->ex, p, j->ex->head_value, j->N, s0),
                          j->ex->head_fill_data);
      for (guint k = 0; k < j->ex->n_nodes; k++)
        {
          if (p->folded[k] || (j->ex->head_given && (gint) k == j->ex->head_node)
              || (j->fused && j->ex->fw_mode[k] == 1) || (j->fuse_fw && p->fuse_skip[k]))
            continue;
          if (j->fuse_fw && p->fuse[k])
            {
              const PlNode *n = node_at (j->ex, k);
              fused_conv_run (j->ex, p, k, s1 - s0, micro_ptr (j->ex, p, n->inputs[0], j->N, s0),
                              micro_ptr (j->ex, p, p->fuse_out[k], j->N, s0), ws);
              continue;
            }
          if (j->fused && j->ex->fw_mode[k] == 2)
            {
              PlPoolGeom g = p->np[k].pool;
              g.n = (gint) (s1 - s0);
              pl_maxpool_relu_forward (&g, micro_ptr (j->ex, p, j->ex->bk_dx[k], j->N, s0),
                                       micro_ptr (j->ex, p, node_at (j->ex, k)->outputs[0],
                                                  j->N, s0));
              continue;
            }
          micro_run_node (j->ex, p, k, j->N, s0, s1, ws);
        }
      if (j->fused)   /* the chunk's activations are still in this core's cache */
        micro_back_chunk (j->ex, p, j->N, s0, s1, ws, part, j->to_head);
    }
  tls_scratch = NULL;
}

static void
micro_forward (PlExecutor *ex, Plan *p)
{
  gint next = 0;
  MicroJob j = { ex, p, p->in[0].d[0], FALSE, FALSE, fusion_active (ex, p), &next };
  pl_parallel_run (micro_part, &j);
}

/* ------------------------------------------------------------------ plans */

static Plan *
plan_build (PlExecutor *ex, const Shape *in, const PlTensor *const *inputs, GError **error)
{
  g_autofree Shape *sh = g_new0 (Shape, ex->n_values);
  Plan *p = g_new0 (Plan, 1);
  p->in = g_memdup2 (in, sizeof (Shape) * ex->n_inputs);
  p->vals = g_new0 (PlTensor *, ex->n_values);
  p->grads = g_new0 (PlTensor *, ex->n_values);
  p->is_const = g_new0 (gboolean, ex->n_values);
  p->folded = g_new0 (gboolean, MAX (ex->n_nodes, 1));
  p->np = g_new0 (NodePlan, MAX (ex->n_nodes, 1));

  for (guint v = 0; v < ex->n_values; v++)
    {
      const PlValue *val = pl_graph_value (ex->graph, v);
      sh[v].nd = -1;
      if (val->init != NULL)
        {
          sh[v].nd = val->init->ndim;
          memcpy (sh[v].d, val->init->shape, sizeof sh[v].d);
          p->is_const[v] = TRUE;
        }
    }
  for (gint i = 0; i < ex->n_inputs; i++)
    {
      gint id = ex->input_ids[i];
      sh[id] = in[i];
      p->vals[id] = pl_tensor_new (in[i].nd, in[i].d, error);
      if (p->vals[id] == NULL)
        goto fail;
      if (ex->shape_in[i])
        {
          g_assert (inputs != NULL);
          memcpy (p->vals[id]->data, inputs[i]->data, sizeof (float) * p->vals[id]->numel);
          p->is_const[id] = TRUE;
        }
    }

  /* Activations of one plan are bounded (1 GiB of float32): absurd shapes from a hostile
   * or broken model (e.g. Pad by 2^19) are refused instead of exhausting memory. */
  gint64 total_elements = 0;
  const gint64 max_elements = G_GINT64_CONSTANT (1) << 28;
  for (guint k = 0; k < ex->n_nodes; k++)
    {
      const PlNode *n = node_at (ex, k);
      if (!infer_node (ex, p, k, sh, &p->np[k], error))
        goto fail;
      for (gint o = 0; o < n->n_outputs; o++)
        {
          gint v = n->outputs[o];
          if (v < 0 || sh[v].nd < 0)
            continue;
          gint64 numel = pl_shape_numel (sh[v].nd, sh[v].d);
          if (numel < 0 || numel > max_elements - total_elements)
            {
              g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                           "node '%s' (%s): its output and the activations before it need more "
                           "than 1 GiB for this batch; the model's shapes are too large",
                           n->name ? n->name : "", n->op_type);
              goto fail;
            }
          total_elements += numel;
          p->vals[v] = pl_tensor_new (sh[v].nd, sh[v].d, error);
          if (p->vals[v] == NULL)
            goto fail;
        }
      /* Shape only needs the input's shape, which the plan fixes */
      gboolean fold = TRUE;
      for (gint i = 0; i < n->n_inputs && fold && ex->info[k].kind != OP_SHAPE; i++)
        fold = n->inputs[i] < 0 || (p->is_const[n->inputs[i]] && !ex->is_param[n->inputs[i]]);
      if (fold)
        {
          if (!run_node (ex, p, k, error))
            goto fail;
          p->folded[k] = TRUE;
          for (gint o = 0; o < n->n_outputs; o++)
            if (n->outputs[o] >= 0)
              p->is_const[n->outputs[o]] = TRUE;
        }
    }
  for (guint k = 0; k < ex->n_nodes; k++)
    if (ex->info[k].kind == OP_CONV && ex->info[k].group == 1)
      p->ws = MAX (p->ws, pl_conv2d_workspace (&p->np[k].conv));
  plan_micro_check (ex, p);
  plan_fusion (ex, p);
  return p;

fail:
  plan_free (p, ex->n_values, ex->n_nodes);
  return NULL;
}

/* ------------------------------------------------------------------ construction */

/* For a graph whose static checks fail with a symbolic batch taken as 1: whether they pass
 * for another batch size. The candidates are the dimensions of the initializers (a batch
 * that makes such a model valid has to match one of them: Gemm transA, Concat, Add with a
 * fixed-shape operand), at most 16 distinct values up to 4096. */
static gboolean
some_batch_fits (PlExecutor *ex, const Shape *in)
{
  gint64 cand[16];
  gint n_cand = 0;
  for (guint v = 0; v < ex->n_values && n_cand < 16; v++)
    {
      const PlTensor *t = pl_graph_value (ex->graph, v)->init;
      for (gint d = 0; t != NULL && d < t->ndim && n_cand < 16; d++)
        {
          gint64 c = t->shape[d];
          gboolean seen = c <= 1 || c > 4096;
          for (gint i = 0; i < n_cand && !seen; i++)
            seen = cand[i] == c;
          if (!seen)
            cand[n_cand++] = c;
        }
    }
  g_autofree Shape *try = g_memdup2 (in, sizeof (Shape) * (gsize) ex->n_inputs);
  for (gint c = 0; c < n_cand; c++)
    {
      for (gint i = 0; i < ex->n_inputs; i++)
        {
          const PlValue *iv = pl_graph_value (ex->graph, ex->input_ids[i]);
          if (iv->ndim >= 1 && iv->shape[0] < 0)
            try[i].d[0] = cand[c];
        }
      Plan *p = plan_build (ex, try, NULL, NULL);
      if (p != NULL)
        {
          plan_free (p, ex->n_values, ex->n_nodes);
          return TRUE;
        }
    }
  return FALSE;
}

/* Added (speed): find the head — see pl_executor_head_value in the header. */
static void
head_detect (PlExecutor *ex)
{
  ex->head_node = ex->head_value = -1;
  if (ex->n_inputs != 1 || ex->any_shape_in)
    return;
  gint in = ex->input_id, users = 0;
  guint at = 0;
  for (guint k = 0; k < ex->n_nodes; k++)
    {
      const PlNode *n = node_at (ex, k);
      for (gint i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] == in)
          {
            users++;
            at = k;
          }
    }
  if (users != 1)
    return;
  for (guint o = 0; o < ex->graph->outputs->len; o++)
    if (g_array_index (ex->graph->outputs, gint, o) == in)
      return;
  const PlNode *n = node_at (ex, at);
  const NodeInfo *info = &ex->info[at];
  if (n->n_inputs < 2 || n->inputs[0] != in || n->inputs[1] < 0 || n->n_outputs < 1
      || n->outputs[0] < 0)
    return;
  for (gint o = 1; o < n->n_outputs; o++)
    if (n->outputs[o] >= 0)
      return;
  if (!((info->kind == OP_CONV && info->group == 1) || (info->kind == OP_GEMM && !info->trans_a)))
    return;
  for (gint i = 1; i < n->n_inputs; i++)
    if (n->inputs[i] >= 0 && pl_graph_value (ex->graph, n->inputs[i])->init == NULL)
      return;
  /* The fast paths reassociate the head's sums (h(x') + α·L(x − x'), per-segment
   * responses): only exact up to rounding when its parameters are finite and far from
   * float overflow. Otherwise (inf/NaN or |w| > 1e15, found by break-testing) the plain
   * path runs, so both give the same answer. */
  for (gint i = 1; i < n->n_inputs; i++)
    if (n->inputs[i] >= 0)
      {
        const PlTensor *w = pl_graph_value (ex->graph, n->inputs[i])->init;
        for (gint64 j = 0; j < w->numel; j++)
          if (!isfinite (w->data[j]) || fabsf (w->data[j]) > 1e15f)
            return;
      }
  ex->head_node = (gint) at;
  ex->head_value = n->outputs[0];
}

PlExecutor *
pl_executor_new (PlGraph *graph, GError **error)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (graph->inputs->len < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                   "the graph has no data input; PruneLens runs graphs with at least one");
      return NULL;
    }
  if (graph->inputs->len > 64)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                   "the graph has %u data inputs (at most 64 are supported)",
                   graph->inputs->len);
      return NULL;
    }
  g_autoptr (PlGraph) gref = pl_graph_ref (graph);
  guint n_values = graph->values->len, n_nodes = graph->nodes->len;
  g_autofree NodeInfo *info = g_new0 (NodeInfo, MAX (n_nodes, 1));
  g_autofree gboolean *known = g_new0 (gboolean, MAX (n_values, 1));
  g_autofree gboolean *is_param = g_new0 (gboolean, MAX (n_values, 1));
  gboolean ok = TRUE;

  for (guint v = 0; v < n_values; v++)
    known[v] = pl_graph_value (graph, v)->init != NULL;
  for (guint i = 0; i < graph->inputs->len; i++)
    known[g_array_index (graph->inputs, gint, i)] = TRUE;

  for (guint k = 0; k < n_nodes && ok; k++)
    {
      const PlNode *n = g_ptr_array_index (graph->nodes, k);
      for (gint i = 0; i < n->n_inputs && ok; i++)
        if (n->inputs[i] >= (gint) n_values || (n->inputs[i] >= 0 && !known[n->inputs[i]]))
          {
            g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                         "node '%s' (%s): input %d ('%s') is not produced by an earlier node",
                         node_label (n), n->op_type, i,
                         n->inputs[i] < (gint) n_values
                           ? pl_graph_value (graph, n->inputs[i])->name : "?");
            ok = FALSE;
          }
      if (!ok || !parse_node (graph, n, &info[k], error))
        {
          ok = FALSE;
          break;
        }
      for (gint o = 0; o < n->n_outputs && ok; o++)
        if (n->outputs[o] >= 0)
          {
            if (n->outputs[o] >= (gint) n_values || known[n->outputs[o]])
              {
                g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                             "node '%s' (%s): output %d overwrites an existing value",
                             node_label (n), n->op_type, o);
                ok = FALSE;
              }
            else
              known[n->outputs[o]] = TRUE;
          }
    }
  /* Data types: values are held as float; integer tensors (shapes, axes, indices, and
   * integer graph inputs or initializers) may go through the shape operators and exact
   * integer arithmetic, but not into float-only operators (a silently different result). */
  if (ok)
    {
      g_autofree gboolean *is_int = g_new0 (gboolean, MAX (n_values, 1));
      for (guint v = 0; v < n_values; v++)
        {
          gint t = pl_graph_value (graph, v)->elem_type;
          is_int[v] = (t >= 2 && t <= 7) || t == 9 || t == 12 || t == 13;
        }
      for (guint k = 0; k < n_nodes && ok; k++)
        {
          const PlNode *n = g_ptr_array_index (graph->nodes, k);
          gboolean out_int = FALSE;
          switch (info[k].kind)
            {
            case OP_CONSTANT:
              {
                const PlAttr *a = n->n_attrs == 1 ? &n->attrs[0] : NULL;
                out_int = a != NULL && (a->type == PL_ATTR_INT || a->type == PL_ATTR_INTS
                                        || (a->type == PL_ATTR_TENSOR && a->elem_type > 1));
                break;
              }
            case OP_SHAPE:
              out_int = TRUE;
              break;
            case OP_GATHER: case OP_CONCAT: case OP_RESHAPE: case OP_SQUEEZE:
            case OP_UNSQUEEZE: case OP_FLATTEN: case OP_IDENTITY: case OP_TRANSPOSE:
            case OP_DROPOUT: case OP_PAD: case OP_RELU: case OP_CLIP:
              out_int = is_int[n->inputs[0]];
              break;
            case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV:
              out_int = is_int[n->inputs[0]] && is_int[n->inputs[1]];
              info[k].int_div = info[k].kind == OP_DIV && out_int;
              if (is_int[n->inputs[0]] != is_int[n->inputs[1]])
                ok = unsupported (error, n, info[k].opset, "inputs of different data types "
                                  "(integer and float) are not supported");
              break;
            default:
              for (gint i = 0; i < n->n_inputs && i < 32 && ok; i++)
                if (n->inputs[i] >= 0 && (info[k].diff & (1u << i)) != 0
                    && is_int[n->inputs[i]])
                  ok = unsupported (error, n, info[k].opset, "input %d ('%s') is an integer "
                                    "tensor; this operator is supported for float32 only", i,
                                    pl_graph_value (graph, n->inputs[i])->name);
              break;
            }
          for (gint o = 0; o < n->n_outputs; o++)
            if (n->outputs[o] >= 0)
              is_int[n->outputs[o]] = out_int && o == 0;
        }
    }
  /* Parameters: float initializers on a differentiable path to a graph output. A value
   * only used as a shape / axes / indices (directly or through shape arithmetic such as
   * Concat) is not one, and nodes over such values can be folded. */
  if (ok)
    {
      g_autofree gboolean *grad_path = g_new0 (gboolean, MAX (n_values, 1));
      for (guint o = 0; o < graph->outputs->len; o++)
        {
          gint id = g_array_index (graph->outputs, gint, o);
          if (id >= 0 && (guint) id < n_values)
            grad_path[id] = TRUE;
        }
      for (guint k = n_nodes; k-- > 0;)
        {
          const PlNode *n = g_ptr_array_index (graph->nodes, k);
          gboolean out_path = FALSE;
          for (gint o = 0; o < n->n_outputs; o++)
            out_path = out_path || (n->outputs[o] >= 0 && grad_path[n->outputs[o]]);
          for (gint i = 0; out_path && i < n->n_inputs && i < 32; i++)
            if (n->inputs[i] >= 0 && (info[k].diff & (1u << i)) != 0)
              grad_path[n->inputs[i]] = TRUE;
        }
      for (guint v = 0; v < n_values; v++)
        {
          const PlValue *val = pl_graph_value (graph, v);
          is_param[v] = val->init != NULL && grad_path[v]
                        && (val->elem_type == 0 || val->elem_type == 1);
        }
    }
  if (ok && graph->outputs->len < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "the graph declares no output");
      ok = FALSE;
    }
  for (guint o = 0; ok && o < graph->outputs->len; o++)
    {
      gint id = g_array_index (graph->outputs, gint, o);
      if (id < 0 || (guint) id >= n_values || !known[id])
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "graph output %u is not produced by any node", o);
          ok = FALSE;
        }
    }
  if (!ok)
    {
      for (guint k = 0; k < n_nodes; k++)
        g_clear_pointer (&info[k].constant, pl_tensor_unref);
      return NULL;
    }

  PlExecutor *ex = g_new0 (PlExecutor, 1);
  ex->graph = g_steal_pointer (&gref);
  ex->n_values = n_values;
  ex->n_nodes = n_nodes;
  ex->n_inputs = (gint) graph->inputs->len;
  ex->input_ids = g_memdup2 (graph->inputs->data, sizeof (gint) * ex->n_inputs);
  ex->input_id = ex->input_ids[0];
  ex->info = g_steal_pointer (&info);
  ex->is_param = g_steal_pointer (&is_param);
  ex->shape_in = g_new0 (gboolean, ex->n_inputs);
  for (guint k = 0; k < n_nodes; k++)
    {
      const PlNode *n = g_ptr_array_index (graph->nodes, k);
      OpKind kind = ex->info[k].kind;
      gint slot = (kind == OP_RESHAPE || kind == OP_SQUEEZE || kind == OP_UNSQUEEZE
                   || kind == OP_PAD) ? 1 : kind == OP_DROPOUT ? 2 : -1;
      if (slot < 0 || !has_input (n, slot))
        continue;
      for (gint i = 0; i < ex->n_inputs; i++)
        if (ex->input_ids[i] == n->inputs[slot])
          ex->shape_in[i] = ex->any_shape_in = TRUE;
    }
  ex->pgrads = g_new0 (PlTensor *, MAX (n_values, 1));
  ex->req = g_new0 (gboolean, MAX (n_values, 1));
  ex->bk_nozero = g_new0 (gboolean, MAX (n_values, 1));
  ex->bk_mode = g_new0 (guint8, MAX (ex->n_nodes, 1));
  ex->bk_dx = g_new0 (gint, MAX (ex->n_nodes, 1));
  ex->bk_relu = g_new0 (gint, MAX (ex->n_nodes, 1));
  ex->fw_mode = g_new0 (guint8, MAX (ex->n_nodes, 1));
  ex->sc_val = g_new0 (gsize, MAX (n_values, 1));
  ex->sc_grad = g_new0 (gsize, MAX (n_values, 1));
  ex->input_grad_enabled = TRUE;
  head_detect (ex);

  /* Check shapes now when every input shape is declared. A symbolic batch dimension is
   * tried as 1; if the checks fail only because of that guess (e.g. Gemm transA = 1 on
   * [N, K], or Concat of [N, 3, 4] with a fixed [2, 3, 2] initializer, both valid for one
   * particular N — some_batch_fits), the symbolic dimension is treated as unknown: the
   * model is accepted and the shapes are checked at run time against the real batch
   * (select_plan). A model that fits no batch is refused here with the batch-1 error. */
  gboolean static_shape = TRUE, symbolic = FALSE;
  g_autofree Shape *in = g_new0 (Shape, ex->n_inputs);
  for (gint i = 0; i < ex->n_inputs; i++)
    {
      const PlValue *iv = pl_graph_value (graph, ex->input_ids[i]);
      static_shape = static_shape && iv->ndim >= 0;
      for (gint d = 1; d < iv->ndim; d++)
        static_shape = static_shape && iv->shape[d] >= 0;
      in[i].nd = MAX (iv->ndim, 0);
      memcpy (in[i].d, iv->shape, sizeof in[i].d);
      if (iv->ndim >= 1 && in[i].d[0] < 0)
        {
          in[i].d[0] = 1;
          symbolic = TRUE;
        }
    }
  if (static_shape && !ex->any_shape_in)
    {
      GError *plan_error = NULL;
      ex->plans[0] = plan_build (ex, in, NULL, &plan_error);
      if (ex->plans[0] == NULL)
        {
          if (symbolic && some_batch_fits (ex, in))
            g_error_free (plan_error);     /* decided at run time, with the real batch */
          else
            {
              g_propagate_error (error, plan_error);
              pl_executor_free (ex);
              return NULL;
            }
        }
    }
  return ex;
}

void
pl_executor_free (PlExecutor *ex)
{
  if (ex == NULL)
    return;
  for (gint i = 0; i < N_PLANS; i++)
    plan_free (ex->plans[i], ex->n_values, ex->n_nodes);
  for (guint v = 0; v < ex->n_values; v++)
    g_clear_pointer (&ex->pgrads[v], pl_tensor_unref);
  for (guint k = 0; k < ex->n_nodes; k++)
    g_clear_pointer (&ex->info[k].constant, pl_tensor_unref);
  g_free (ex->pgrads);
  g_free (ex->req);
  g_free (ex->bk_nozero);
  g_free (ex->bk_mode);
  g_free (ex->bk_dx);
  g_free (ex->bk_relu);
  g_free (ex->fw_mode);
  g_free (ex->sc_val);
  g_free (ex->sc_grad);
  g_free (ex->sc_buf);
  g_free (ex->is_param);
  g_free (ex->info);
  g_free (ex->input_ids);
  g_free (ex->shape_in);
  g_free (ex->ws);
  pl_graph_unref (ex->graph);
  g_free (ex);
}

PlGraph *
pl_executor_get_graph (PlExecutor *ex)
{
  g_return_val_if_fail (ex != NULL, NULL);
  return ex->graph;
}

gint
pl_executor_n_inputs (PlExecutor *ex)
{
  g_return_val_if_fail (ex != NULL, 0);
  return ex->n_inputs;
}

void
pl_executor_set_input_grad_enabled (PlExecutor *ex, gboolean enabled)
{
  g_return_if_fail (ex != NULL);
  ex->input_grad_enabled = enabled;
}

/* ------------------------------------------------------------------ forward */

static inline float *
vdata (PlExecutor *ex, gint id)
{
  return vdata_p (ex, ex->plans[0], id);
}

static inline const PlTensor *
vtensor (PlExecutor *ex, gint id)
{
  return vtensor_p (ex, ex->plans[0], id);
}

static gboolean
ensure_workspace (PlExecutor *ex, gsize need, GError **error)
{
  if (need <= ex->ws_size)
    return TRUE;
  g_free (ex->ws);
  ex->ws = g_try_new (float, need);
  ex->ws_size = ex->ws != NULL ? need : 0;
  if (ex->ws == NULL)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE, "out of memory for convolution "
                   "workspace (%" G_GSIZE_FORMAT " floats)", need);
      return FALSE;
    }
  return TRUE;
}

static gboolean
plan_matches (const PlExecutor *ex, const Plan *p, const PlTensor *const *inputs)
{
  for (gint i = 0; i < ex->n_inputs; i++)
    if (p->in[i].nd != inputs[i]->ndim
        || memcmp (p->in[i].d, inputs[i]->shape, sizeof (gint64) * inputs[i]->ndim) != 0
        || (ex->shape_in[i]
            && memcmp (p->vals[ex->input_ids[i]]->data, inputs[i]->data,
                       sizeof (float) * (gsize) inputs[i]->numel) != 0))
      return FALSE;
  return TRUE;
}

static gboolean
select_plan (PlExecutor *ex, const PlTensor *const *inputs, GError **error)
{
  for (gint i = 0; i < N_PLANS; i++)
    {
      Plan *p = ex->plans[i];
      if (p != NULL && plan_matches (ex, p, inputs))
        {
          ex->plans[i] = ex->plans[0];
          ex->plans[0] = p;
          return ensure_workspace (ex, p->ws, error);
        }
    }
  /* Check the sample shapes against the declared inputs (dimension 0 is the batch). */
  g_autofree Shape *in = g_new0 (Shape, ex->n_inputs);
  for (gint k = 0; k < ex->n_inputs; k++)
    {
      const PlTensor *input = inputs[k];
      const PlValue *iv = pl_graph_value (ex->graph, ex->input_ids[k]);
      gboolean ok = iv->ndim < 0 || iv->ndim == input->ndim;
      for (gint i = 1; ok && i < iv->ndim; i++)
        ok = iv->shape[i] < 0 || iv->shape[i] == input->shape[i];
      if (!ok)
        {
          g_autofree char *want = pl_tensor_shape_string (iv->ndim, iv->shape);
          g_autofree char *got = pl_tensor_shape_string (input->ndim, input->shape);
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "input '%s' expects shape %s (first dimension = batch), got %s",
                       iv->name, want, got);
          return FALSE;
        }
      in[k].nd = input->ndim;
      memcpy (in[k].d, input->shape, sizeof in[k].d);
    }
  Plan *p = plan_build (ex, in, inputs, error);
  if (p == NULL)
    return FALSE;
  plan_free (ex->plans[N_PLANS - 1], ex->n_values, ex->n_nodes);
  for (gint i = N_PLANS - 1; i > 0; i--)
    ex->plans[i] = ex->plans[i - 1];
  ex->plans[0] = p;
  return ensure_workspace (ex, p->ws, error);
}

static gboolean
forward_impl (PlExecutor *ex, gint n, const PlTensor *const *inputs, PlHeadFillFunc fill,
              gpointer fill_data, GError **error)
{
  ex->have_forward = ex->have_backward = ex->head_given = ex->scratched = FALSE;
  ex->elided = FALSE;
  if (n != ex->n_inputs)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "the graph has %d data input(s), %d "
                   "given", ex->n_inputs, n);
      return FALSE;
    }
  for (gint i = 0; i < n; i++)
    g_return_val_if_fail (inputs[i] != NULL, FALSE);
  if (!select_plan (ex, inputs, error))
    return FALSE;
  Plan *p = ex->plans[0];
  for (gint i = 0; i < n; i++)
    memcpy (p->vals[ex->input_ids[i]]->data, inputs[i]->data,
            sizeof (float) * (gsize) inputs[i]->numel);
  if (fill != NULL)
    {
      ex->head_given = TRUE;
      ex->head_fill = fill;
      ex->head_fill_data = fill_data;
    }
  gboolean fuse = fusion_active (ex, p);
  if (p->micro_chunks > 0)
    micro_forward (ex, p);   /* fills the head chunk by chunk */
  else
    {
      if (fill != NULL)
        fill (0, p->in[0].d[0], p->vals[ex->head_value]->data, fill_data);
      for (guint k = 0; k < ex->n_nodes; k++)
        {
          if (p->folded[k] || (ex->head_given && (gint) k == ex->head_node)
              || (fuse && p->fuse_skip[k]))
            continue;
          if (fuse && p->fuse[k])
            {
              const PlNode *n = node_at (ex, k);
              fused_conv_run (ex, p, k, p->in[0].d[0], vdata_p (ex, p, n->inputs[0]),
                              vdata_p (ex, p, p->fuse_out[k]), ex->ws);
              continue;
            }
          if (!run_node (ex, p, k, error))
            {
              ex->head_given = FALSE;
              ex->head_fill = NULL;
              return FALSE;
            }
        }
    }
  ex->elided = fuse;
  ex->head_fill = NULL;
  ex->head_fill_data = NULL;
  ex->have_forward = TRUE;
  return TRUE;
}

gboolean
pl_executor_forward_multi (PlExecutor *ex, gint n, const PlTensor *const *inputs,
                           GError **error)
{
  g_return_val_if_fail (ex != NULL, FALSE);
  g_return_val_if_fail (inputs != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return forward_impl (ex, n, inputs, NULL, NULL, error);
}

gint
pl_executor_head_value (PlExecutor *ex)
{
  g_return_val_if_fail (ex != NULL, -1);
  return ex->head_value;
}

static gboolean
no_head (PlExecutor *ex, GError **error)
{
  if (ex->head_node >= 0)
    return FALSE;
  g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
               "the model's input does not go into exactly one Conv (group 1) or Gemm "
               "(transA = 0) with constant weights");
  return TRUE;
}

static void
copy_head (gint64 first, gint64 count, float *head, gpointer data)
{
  const PlTensor *t = data;
  gsize per = (gsize) (t->numel / t->shape[0]);
  memcpy (head, t->data + (gsize) first * per, sizeof (float) * per * (gsize) count);
}

gboolean
pl_executor_forward_head (PlExecutor *ex, const PlTensor *input, const PlTensor *head,
                          GError **error)
{
  g_return_val_if_fail (ex != NULL, FALSE);
  g_return_val_if_fail (input != NULL, FALSE);
  g_return_val_if_fail (head != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  if (no_head (ex, error))
    return FALSE;
  ex->have_forward = ex->have_backward = ex->head_given = ex->scratched = FALSE;
  ex->elided = FALSE;
  if (!select_plan (ex, &input, error))
    return FALSE;
  const PlTensor *hv = ex->plans[0]->vals[ex->head_value];
  if (!pl_tensor_same_shape (hv, head))
    {
      g_autofree char *want = pl_tensor_shape_string (hv->ndim, hv->shape);
      g_autofree char *got = pl_tensor_shape_string (head->ndim, head->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "the head output '%s' must have shape %s for this input, got %s",
                   pl_graph_value (ex->graph, ex->head_value)->name, want, got);
      return FALSE;
    }
  return forward_impl (ex, 1, &input, copy_head, (gpointer) head, error);
}

gboolean
pl_executor_forward_head_func (PlExecutor *ex, const PlTensor *input, PlHeadFillFunc fill,
                               gpointer user_data, GError **error)
{
  g_return_val_if_fail (ex != NULL, FALSE);
  g_return_val_if_fail (input != NULL, FALSE);
  g_return_val_if_fail (fill != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  if (no_head (ex, error))
    return FALSE;
  return forward_impl (ex, 1, &input, fill, user_data, error);
}

/* A plan for inputs of x's sample shape (any batch): a cached one, else one built for a
 * single sample (which replaces the current plan: the last forward pass is forgotten). */
static Plan *
head_plan (PlExecutor *ex, const PlTensor *x, GError **error)
{
  if (x->ndim < 1 || x->shape[0] < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "the head needs a batch [N >= 1, ...]");
      return NULL;
    }
  for (gint i = 0; i < N_PLANS; i++)
    {
      Plan *p = ex->plans[i];
      if (p != NULL && p->in[0].nd == x->ndim
          && memcmp (p->in[0].d + 1, x->shape + 1, sizeof (gint64) * (x->ndim - 1)) == 0)
        return p;
    }
  gint64 shape[PL_TENSOR_MAX_DIMS];
  memcpy (shape, x->shape, sizeof shape);
  shape[0] = 1;
  g_autoptr (PlTensor) one = pl_tensor_new (x->ndim, shape, error);
  if (one == NULL)
    return NULL;
  ex->have_forward = ex->have_backward = ex->head_given = ex->scratched = FALSE;
  ex->elided = FALSE;
  if (!select_plan (ex, (const PlTensor *const *) &one, error))
    return NULL;
  return ex->plans[0];
}

/* Shape of the head output (in) or input (!in) for a batch of n, from plan p. */
static PlTensor *
head_tensor (PlExecutor *ex, Plan *p, gboolean in, gint64 n, GError **error)
{
  const PlTensor *t = p->vals[in ? ex->input_id : ex->head_value];
  gint64 shape[PL_TENSOR_MAX_DIMS];
  memcpy (shape, t->shape, sizeof shape);
  shape[0] = n;
  return pl_tensor_new (t->ndim, shape, error);
}

PlTensor *
pl_executor_head_linear (PlExecutor *ex, const PlTensor *x, gboolean bias, GError **error)
{
  g_return_val_if_fail (ex != NULL, NULL);
  g_return_val_if_fail (x != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (no_head (ex, error))
    return NULL;
  Plan *p = head_plan (ex, x, error);
  if (p == NULL)
    return NULL;
  const PlNode *n = node_at (ex, (guint) ex->head_node);
  const NodeInfo *info = &ex->info[ex->head_node];
  const NodePlan *np = &p->np[ex->head_node];
  gint64 N = x->shape[0];
  g_autoptr (PlTensor) y = head_tensor (ex, p, FALSE, N, error);
  if (y == NULL)
    return NULL;
  if (info->kind == OP_CONV)
    {
      PlConvGeom g = np->conv;
      g.n = (gint) N;
      g_autofree float *ws = g_try_new (float, pl_conv2d_workspace (&g) + 1);
      if (ws == NULL)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE, "out of memory for the head");
          return NULL;
        }
      pl_conv2d_forward (&g, x->data, vdata_p (ex, p, n->inputs[1]),
                         bias && has_input (n, 2) ? vdata_p (ex, p, n->inputs[2]) : NULL,
                         y->data, ws);
    }
  else
    {
      if (np->cm > 1)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                       "the head Gemm's C has one row per sample");
          return NULL;
        }
      gboolean c = bias && np->cm > 0;
      pl_gemm_forward ((gint) N, np->N, np->K, FALSE, info->trans_b, info->alpha, info->beta,
                       x->data, vdata_p (ex, p, n->inputs[1]),
                       c ? vdata_p (ex, p, n->inputs[2]) : NULL, c ? np->cm : 0,
                       c ? np->cn : 0, y->data);
    }
  return g_steal_pointer (&y);
}

PlTensor *
pl_executor_head_transpose (PlExecutor *ex, const PlTensor *dy, const PlTensor *input_like,
                            GError **error)
{
  g_return_val_if_fail (ex != NULL, NULL);
  g_return_val_if_fail (dy != NULL, NULL);
  g_return_val_if_fail (input_like != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (no_head (ex, error))
    return NULL;
  Plan *p = head_plan (ex, input_like, error);
  if (p == NULL)
    return NULL;
  const PlNode *n = node_at (ex, (guint) ex->head_node);
  const NodeInfo *info = &ex->info[ex->head_node];
  const NodePlan *np = &p->np[ex->head_node];
  const PlTensor *hv = p->vals[ex->head_value];
  gint64 N = dy->ndim >= 1 ? dy->shape[0] : 0;
  if (N < 1 || dy->ndim != hv->ndim
      || memcmp (dy->shape + 1, hv->shape + 1, sizeof (gint64) * (hv->ndim - 1)) != 0)
    {
      g_autofree char *want = pl_tensor_shape_string (hv->ndim, hv->shape);
      g_autofree char *got = pl_tensor_shape_string (dy->ndim, dy->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "the head gradient should be shaped "
                   "like %s (any batch); got %s", want, got);
      return NULL;
    }
  g_autoptr (PlTensor) dx = head_tensor (ex, p, TRUE, N, error);
  if (dx == NULL)
    return NULL;
  if (info->kind == OP_CONV)
    {
      PlConvGeom g = np->conv;
      g.n = (gint) N;
      g_autofree float *ws = g_try_new (float, pl_conv2d_workspace (&g) + 1);
      if (ws == NULL)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE, "out of memory for the head");
          return NULL;
        }
      pl_conv2d_backward (&g, NULL, vdata_p (ex, p, n->inputs[1]), dy->data, dx->data, NULL,
                          NULL, ws);
    }
  else
    pl_gemm_backward ((gint) N, np->N, np->K, FALSE, info->trans_b, info->alpha, info->beta,
                      NULL, vdata_p (ex, p, n->inputs[1]), 0, 0, dy->data, dx->data, NULL,
                      NULL);
  return g_steal_pointer (&dx);
}

gboolean
pl_executor_backward_to_head (PlExecutor *ex, const PlTensor *grad_output, GError **error)
{
  g_return_val_if_fail (ex != NULL, FALSE);
  g_return_val_if_fail (grad_output != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  if (no_head (ex, error))
    return FALSE;
  ex->stop_at_head = TRUE;
  gboolean ok = pl_executor_backward (ex, grad_output, FALSE, error);
  ex->stop_at_head = FALSE;
  return ok;
}

/* Puts the chunk slices of the intermediate values and gradients of a fused pass (every
 * value but the inputs, the constants and the graph outputs) in per-part scratch areas
 * that stay in the core's cache, instead of full-batch buffers streamed through memory.
 * FALSE (nothing changed) when the areas cannot be allocated or PL_NO_SCRATCH is set. */
static gboolean
scratch_setup (PlExecutor *ex, Plan *p, gint out_id, gint64 N)
{
  if (g_getenv ("PL_NO_SCRATCH") != NULL)
    return FALSE;
  gint64 chunk = (N + p->micro_chunks - 1) / p->micro_chunks;
  gsize off = 0;
  for (guint v = 0; v < ex->n_values; v++)
    {
      ex->sc_val[v] = ex->sc_grad[v] = 0;
      gboolean output = FALSE;
      for (guint o = 0; o < ex->graph->outputs->len; o++)
        output = output || g_array_index (ex->graph->outputs, gint, o) == (gint) v;
      if (output || (gint) v == out_id || p->vals[v] == NULL || p->is_const[v]
          || pl_graph_value (ex->graph, v)->init != NULL)
        continue;
      gboolean is_input = FALSE;
      for (gint i = 0; i < ex->n_inputs; i++)
        is_input = is_input || ex->input_ids[i] == (gint) v;
      if (is_input)
        continue;
      gsize each = (gsize) (p->vals[v]->numel / N) * (gsize) chunk;
      each = (each + 15) & ~(gsize) 15;   /* 64-byte steps */
      ex->sc_val[v] = off + 1;
      off += each;
      if (ex->req[v])
        {
          ex->sc_grad[v] = off + 1;
          off += each;
        }
    }
  gsize parts = (gsize) pl_parallel_parts ();
  if (off * parts > ex->sc_size)
    {
      g_free (ex->sc_buf);
      ex->sc_buf = g_try_new (float, off * parts + 16);
      ex->sc_size = ex->sc_buf != NULL ? off * parts : 0;
    }
  if (ex->sc_buf == NULL)
    {
      memset (ex->sc_val, 0, sizeof (gsize) * ex->n_values);
      memset (ex->sc_grad, 0, sizeof (gsize) * ex->n_values);
      return FALSE;
    }
  ex->sc_each = off;
  return TRUE;
}

gboolean
pl_executor_forward_backward_head (PlExecutor *ex, const PlTensor *input, PlHeadFillFunc fill,
                                   gpointer fill_data, const gint *targets,
                                   PlHeadGradFunc consume, gpointer consume_data,
                                   GError **error)
{
  g_return_val_if_fail (ex != NULL, FALSE);
  g_return_val_if_fail (input != NULL, FALSE);
  g_return_val_if_fail (fill != NULL, FALSE);
  g_return_val_if_fail (targets != NULL, FALSE);
  g_return_val_if_fail (consume != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  if (no_head (ex, error))
    return FALSE;
  ex->have_forward = ex->have_backward = ex->head_given = ex->scratched = FALSE;
  ex->elided = FALSE;
  if (!select_plan (ex, &input, error))
    return FALSE;
  Plan *p = ex->plans[0];
  gint out_id = g_array_index (ex->graph->outputs, gint, 0);
  const PlTensor *out = p->vals[out_id];
  gint64 N = input->shape[0];
  if (out->ndim != 2 || out->shape[0] != N)
    {
      g_autofree char *got = pl_tensor_shape_string (out->ndim, out->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "the model's first output '%s' should "
                   "be scores [%" G_GINT64_FORMAT ", classes], it is %s",
                   pl_graph_value (ex->graph, out_id)->name, N, got);
      return FALSE;
    }
  g_autoptr (PlTensor) grad_output = pl_tensor_new_like (out);
  for (gint64 r = 0; r < N; r++)
    {
      if (targets[r] < 0 || targets[r] >= out->shape[1])
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "class %d of sample %" G_GINT64_FORMAT
                       " is out of range: the model has %" G_GINT64_FORMAT " classes",
                       targets[r], r, out->shape[1]);
          return FALSE;
        }
      grad_output->data[r * out->shape[1] + targets[r]] = 1.f;
    }
  gboolean micro = FALSE, to_head = FALSE;
  if (p->micro_chunks > 0)
    {
      /* the plan's buffers exist: the backward can be prepared before the forward runs */
      ex->head_given = TRUE;
      gboolean ok = backward_prepare (ex, grad_output, FALSE, &micro, &to_head, error);
      ex->head_given = FALSE;
      if (!ok)
        return FALSE;
    }
  if (!micro || !to_head)
    {
      if (!pl_executor_forward_head_func (ex, input, fill, fill_data, error))
        return FALSE;
      return pl_executor_backward_to_head_func (ex, grad_output, consume, consume_data, error);
    }
  memcpy (p->vals[ex->input_id]->data, input->data, sizeof (float) * (gsize) input->numel);
  gboolean scratch = scratch_setup (ex, p, out_id, N);
  ex->head_given = TRUE;
  ex->head_fill = fill;
  ex->head_fill_data = fill_data;
  ex->head_consume = consume;
  ex->head_consume_data = consume_data;
  if (scratch)   /* the Relu outputs before fused pools are never read: not computed */
    for (guint k = 0; k < ex->n_nodes; k++)
      if (ex->bk_mode[k] == BK_POOL_RELU_SET)
        {
          ex->fw_mode[k] = 2;
          ex->fw_mode[ex->bk_relu[k]] = 1;
        }
  MicroJob j = { ex, p, p->in[0].d[0], TRUE, TRUE };
  pl_parallel_run (micro_part, &j);
  memset (ex->fw_mode, 0, sizeof (guint8) * ex->n_nodes);
  ex->scratched = scratch;   /* sc_val / sc_grad now tell which buffers are stale */
  ex->head_fill = NULL;
  ex->head_fill_data = NULL;
  ex->head_consume = NULL;
  ex->head_consume_data = NULL;
  ex->have_forward = ex->have_backward = TRUE;
  return TRUE;
}

gboolean
pl_executor_backward_to_head_func (PlExecutor *ex, const PlTensor *grad_output,
                                   PlHeadGradFunc consume, gpointer user_data, GError **error)
{
  g_return_val_if_fail (ex != NULL, FALSE);
  g_return_val_if_fail (grad_output != NULL, FALSE);
  g_return_val_if_fail (consume != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  ex->head_consume = consume;
  ex->head_consume_data = user_data;
  gboolean ok = pl_executor_backward_to_head (ex, grad_output, error);
  ex->head_consume = NULL;
  ex->head_consume_data = NULL;
  return ok;
}

gboolean
pl_executor_forward (PlExecutor *ex, const PlTensor *input, GError **error)
{
  g_return_val_if_fail (ex != NULL, FALSE);
  g_return_val_if_fail (input != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return pl_executor_forward_multi (ex, 1, &input, error);
}

const PlTensor *
pl_executor_output (PlExecutor *ex, gint index)
{
  g_return_val_if_fail (ex != NULL, NULL);
  if (!ex->have_forward || index < 0 || (guint) index >= ex->graph->outputs->len)
    return NULL;
  return vtensor (ex, g_array_index (ex->graph->outputs, gint, index));
}

/* Whether value v was left uncomputed by the last (fused) forward pass. */
static gboolean
value_elided (PlExecutor *ex, gint v)
{
  Plan *p = ex->plans[0];
  for (guint k = 0; k < ex->n_nodes; k++)
    if ((p->fuse[k] || (p->fuse_skip[k] && ex->info[k].kind == OP_RELU))
        && node_at (ex, k)->outputs[0] == v)
      return TRUE;
  return FALSE;
}

/* Computes the values a fused forward pass left out: the fused Conv nodes and the Relu
 * nodes after them run again, layer by layer on the whole batch (the same values). */
static void
materialize (PlExecutor *ex)
{
  if (!ex->elided)
    return;
  ex->elided = FALSE;
  Plan *p = ex->plans[0];
  for (guint k = 0; k < ex->n_nodes; k++)
    if (p->fuse[k] || (p->fuse_skip[k] && ex->info[k].kind == OP_RELU))
      {
        gboolean ok = run_node (ex, p, k, NULL);
        g_warn_if_fail (ok);
      }
}

const PlTensor *
pl_executor_value (PlExecutor *ex, gint value_id)
{
  g_return_val_if_fail (ex != NULL, NULL);
  if (!ex->have_forward || value_id < 0 || (guint) value_id >= ex->n_values)
    return NULL;
  if (ex->scratched && ex->sc_val[value_id] > 0)
    return NULL;   /* lived in a scratch area only */
  if (ex->elided && value_elided (ex, value_id))
    materialize (ex);
  return vtensor (ex, value_id);
}

/* ------------------------------------------------------------------ backward */

static float *
gdata (PlExecutor *ex, gint id)
{
  if (id < 0 || !ex->req[id])
    return NULL;
  if (pl_graph_value (ex->graph, id)->init != NULL)
    return ex->pgrads[id]->data;
  return ex->plans[0]->grads[id]->data;
}

static inline float *
gin (PlExecutor *ex, const PlNode *n, gint i)
{
  return has_input (n, i) ? gdata (ex, n->inputs[i]) : NULL;
}

static void
back_node (PlExecutor *ex, guint k)
{
  const PlNode *n = node_at (ex, k);
  const NodeInfo *info = &ex->info[k];
  Plan *p = ex->plans[0];
  NodePlan *np = &p->np[k];
  const float *dy = gdata (ex, n->outputs[0]);
  if (dy == NULL || p->folded[k])
    return;
  const float *x = has_input (n, 0) ? vdata (ex, n->inputs[0]) : NULL;
  float *dx = gin (ex, n, 0);
  const float *y = vdata (ex, n->outputs[0]);
  gsize numel = (gsize) vtensor (ex, n->outputs[0])->numel;

  switch (info->kind)
    {
    case OP_CONV:
      if (info->group == 1)
        pl_conv2d_backward (&np->conv, x, vdata (ex, n->inputs[1]), dy, dx, gin (ex, n, 1),
                            gin (ex, n, 2), ex->ws);
      else
        pl_conv2d_grouped_backward (&np->conv, (gint) info->group, x,
                                    vdata (ex, n->inputs[1]), dy, dx, gin (ex, n, 1),
                                    gin (ex, n, 2));
      break;
    case OP_GEMM:
      pl_gemm_backward (np->M, np->N, np->K, info->trans_a, info->trans_b, info->alpha,
                        info->beta, x, vdata (ex, n->inputs[1]), np->cm, np->cn, dy, dx,
                        gin (ex, n, 1), np->cm > 0 ? gin (ex, n, 2) : NULL);
      break;
    case OP_MATMUL:
      if (np->nd == 0)
        pl_gemm_backward (np->M, np->N, np->K, FALSE, FALSE, 1.f, 0.f, x,
                          vdata (ex, n->inputs[1]), 0, 0, dy, dx, gin (ex, n, 1), NULL);
      else
        pl_matmul_backward (np->nd, np->osh, np->ash, np->bsh, np->M, np->N, np->K, x,
                            vdata (ex, n->inputs[1]), dy, dx, gin (ex, n, 1));
      break;
    case OP_RELU:
      if (dx != NULL)
        pl_relu_backward (numel, x, dy, dx);
      break;
    case OP_LEAKY_RELU:
    case OP_SIGMOID:
    case OP_TANH:
    case OP_CLIP:
      if (dx != NULL)
        {
          float lo = info->f0, hi = info->f1;
          if (info->kind == OP_CLIP)
            clip_bounds (ex, p, n, info, &lo, &hi);
          pl_unary_backward (unary_op (info->kind), lo, hi, numel, x, y, dy, dx);
        }
      break;
    case OP_MAXPOOL:
      if (dx != NULL)
        pl_maxpool_backward (&np->pool, x, y, dy, dx);
      break;
    case OP_AVGPOOL:
      if (dx != NULL)
        pl_avgpool_backward (&np->pool, info->count_include_pad, dy, dx);
      break;
    case OP_GLOBAL_AVGPOOL:
      if (dx != NULL)
        for (gsize o = 0; o < np->outer; o++)
          for (gsize i = 0; i < np->d; i++)
            dx[o * np->d + i] += dy[o] / (float) np->d;
      break;
    case OP_SOFTMAX:
      if (dx != NULL)
        pl_softmax_backward (np->outer, np->d, np->inner, y, dy, dx);
      break;
    case OP_LOG_SOFTMAX:
      if (dx != NULL)
        pl_log_softmax_backward (np->outer, np->d, np->inner, y, dy, dx);
      break;
    case OP_ADD:
    case OP_SUB:
    case OP_MUL:
    case OP_DIV:
      pl_binary_backward (binary_op (info->kind), np->nd, np->osh, np->ash, x, np->bsh,
                          vdata (ex, n->inputs[1]), dy, dx, gin (ex, n, 1));
      break;
    case OP_DROPOUT:
    case OP_FLATTEN:
    case OP_RESHAPE:
    case OP_IDENTITY:
    case OP_SQUEEZE:
    case OP_UNSQUEEZE:
      if (dx != NULL)
        pl_copy_backward (numel, dy, dx);
      break;
    case OP_TRANSPOSE:
      if (dx != NULL)
        pl_transpose_backward (np->nd, np->ash, np->perm, dy, dx);
      break;
    case OP_CONCAT:
      {
        gsize off = 0, row = numel / MAX (np->outer, 1);
        for (gint i = 0; i < n->n_inputs; i++)
          {
            if (n->inputs[i] < 0)
              continue;
            const PlTensor *t = vtensor (ex, n->inputs[i]);
            gsize part = (gsize) t->numel / MAX (np->outer, 1);
            float *dt = gdata (ex, n->inputs[i]);
            if (dt != NULL)
              for (gsize o = 0; o < np->outer; o++)
                for (gsize j = 0; j < part; j++)
                  dt[o * part + j] += dy[o * row + off + j];
            off += part;
          }
        break;
      }
    case OP_PAD:
      if (dx != NULL)
        pl_pad_backward (np->nd, np->ash, np->osh, np->begin, dy, dx);
      break;
    case OP_BATCHNORM:
      pl_batchnorm_backward (np->outer, np->d, np->inner, info->f0, x,
                             vdata (ex, n->inputs[1]), vdata (ex, n->inputs[3]),
                             vdata (ex, n->inputs[4]), dy, dx, gin (ex, n, 1), gin (ex, n, 2),
                             gin (ex, n, 3), gin (ex, n, 4));
      break;
    case OP_GATHER:
      if (dx != NULL)
        {
          gsize cnt = 0;
          /* indices were validated by the forward pass */
          g_autofree gint64 *idx = gather_indices (ex, p, n, np->d, &cnt, NULL);
          if (idx != NULL)
            pl_gather_backward (np->outer, np->d, np->inner, idx, cnt, dy, dx);
        }
      break;
    case OP_CONSTANT:
    case OP_SHAPE:
      break;
    }
}

/* Micro-batch backward (see "micro-batches" above): when only data gradients are wanted
 * (no parameter is differentiated, so nothing sums over samples), each thread runs the
 * whole backward pass on its chunks of samples, in reverse node order as the layer-by-layer
 * pass does, so every sample's gradients are accumulated in the same order. */
static inline float *
micro_gptr (PlExecutor *ex, Plan *p, gint id, gint64 N, gint64 s0)
{
  float *g = gdata (ex, id);
  if (g == NULL)
    return NULL;
  if (tls_scratch != NULL && ex->sc_grad[id] > 0)
    return tls_scratch + ex->sc_grad[id] - 1;
  return g + (gsize) s0 * (gsize) (p->grads[id]->numel / N);
}

static gboolean
micro_backward_ok (PlExecutor *ex, Plan *p)
{
  if (p->micro_chunks <= 0)
    return FALSE;
  for (guint k = 0; k < ex->n_nodes; k++)
    {
      const PlNode *n = node_at (ex, k);
      if (p->folded[k])
        continue;
      for (gint i = 1; i < n->n_inputs; i++)
        if (n->inputs[i] >= 0 && ex->req[n->inputs[i]])
          return FALSE;
      if (ex->req[n->inputs[0]] && pl_graph_value (ex->graph, n->inputs[0])->init != NULL)
        return FALSE;
    }
  return TRUE;
}

static void
micro_back_node (PlExecutor *ex, Plan *p, guint k, gint64 N, gint64 s0, gint64 s1, float *ws)
{
  const PlNode *n = node_at (ex, k);
  const NodeInfo *info = &ex->info[k];
  const NodePlan *np = &p->np[k];
  const gint64 nb = s1 - s0;
  const float *dy = micro_gptr (ex, p, n->outputs[0], N, s0);
  float *dx = micro_gptr (ex, p, n->inputs[0], N, s0);
  if (dy == NULL || dx == NULL)
    return;
  const float *x = micro_ptr (ex, p, n->inputs[0], N, s0);
  const float *y = micro_ptr (ex, p, n->outputs[0], N, s0);
  gsize numel = (gsize) (vtensor_p (ex, p, n->outputs[0])->numel / N * nb);
  switch (info->kind)
    {
    case OP_CONV:
      {
        PlConvGeom g = np->conv;
        g.n = (gint) nb;
        if (info->group == 1)
          pl_conv2d_backward (&g, x, vdata_p (ex, p, n->inputs[1]), dy, dx, NULL, NULL, ws);
        else
          pl_conv2d_grouped_backward (&g, (gint) info->group, x, vdata_p (ex, p, n->inputs[1]),
                                      dy, dx, NULL, NULL);
        break;
      }
    case OP_GEMM:
      pl_gemm_backward ((gint) nb, np->N, np->K, FALSE, info->trans_b, info->alpha, info->beta,
                        x, vdata_p (ex, p, n->inputs[1]), np->cm, np->cn, dy, dx, NULL, NULL);
      break;
    case OP_RELU:
      pl_relu_backward (numel, x, dy, dx);
      break;
    case OP_LEAKY_RELU:
    case OP_SIGMOID:
    case OP_TANH:
    case OP_CLIP:
      {
        float lo = info->f0, hi = info->f1;
        if (info->kind == OP_CLIP)
          clip_bounds (ex, p, n, info, &lo, &hi);
        pl_unary_backward (unary_op (info->kind), lo, hi, numel, x, y, dy, dx);
        break;
      }
    case OP_MAXPOOL:
    case OP_AVGPOOL:
      {
        PlPoolGeom g = np->pool;
        g.n = (gint) nb;
        if (info->kind == OP_MAXPOOL && ex->bk_mode[k] == BK_POOL_SET)
          pl_maxpool_backward_set (&g, x, y, dy, FALSE, dx);
        else if (info->kind == OP_MAXPOOL && ex->bk_mode[k] == BK_POOL_RELU_SET)
          /* x = the Relu's input z (see pl_maxpool_relu_forward): its output may not
           * have been computed */
          pl_maxpool_backward_set (&g, micro_ptr (ex, p, ex->bk_dx[k], N, s0), y, dy, TRUE,
                                   micro_gptr (ex, p, ex->bk_dx[k], N, s0));
        else if (info->kind == OP_MAXPOOL)
          pl_maxpool_backward (&g, x, y, dy, dx);
        else
          pl_avgpool_backward (&g, info->count_include_pad, dy, dx);
        break;
      }
    case OP_GLOBAL_AVGPOOL:
      {
        gsize outer = np->outer / (gsize) N * (gsize) nb;
        for (gsize o = 0; o < outer; o++)
          for (gsize i = 0; i < np->d; i++)
            dx[o * np->d + i] += dy[o] / (float) np->d;
        break;
      }
    case OP_SOFTMAX:
      pl_softmax_backward (np->outer / (gsize) N * (gsize) nb, np->d, np->inner, y, dy, dx);
      break;
    case OP_LOG_SOFTMAX:
      pl_log_softmax_backward (np->outer / (gsize) N * (gsize) nb, np->d, np->inner, y, dy, dx);
      break;
    case OP_BATCHNORM:
      pl_batchnorm_backward ((gsize) nb, np->d, np->inner, info->f0, x,
                             vdata_p (ex, p, n->inputs[1]), vdata_p (ex, p, n->inputs[3]),
                             vdata_p (ex, p, n->inputs[4]), dy, dx, NULL, NULL, NULL, NULL);
      break;
    default:   /* copies */
      pl_copy_backward (numel, dy, dx);
      break;
    }
}

/* The backward pass of samples s0 .. s1 - 1 (part: the caller's part, for the consumer). */
static void
micro_back_chunk (PlExecutor *ex, Plan *p, gint64 N, gint64 s0, gint64 s1, float *ws,
                  gint part, gboolean to_head)
{
  /* this chunk's slices of the data gradients start at zero (zeroed here rather than
   * in pl_executor_backward: the slices are then in cache, and split between threads) */
  gint out_id = g_array_index (ex->graph->outputs, gint, 0);
  for (guint v = 0; v < ex->n_values; v++)
    if (ex->req[v] && (gint) v != out_id && !ex->bk_nozero[v]
        && pl_graph_value (ex->graph, v)->init == NULL)
      memset (micro_gptr (ex, p, (gint) v, N, s0), 0,
              sizeof (float) * (gsize) (p->grads[v]->numel / N) * (gsize) (s1 - s0));
  for (guint k = ex->n_nodes; k-- > 0;)
    if (!p->folded[k] && !(to_head && (gint) k == ex->head_node) && ex->bk_mode[k] != BK_SKIP)
      micro_back_node (ex, p, k, N, s0, s1, ws);
  if (to_head && ex->head_consume != NULL)
    ex->head_consume (part, s0, s1 - s0, micro_gptr (ex, p, ex->head_value, N, s0),
                      ex->head_consume_data);
}

static void
micro_back_part (gint part, gint n_parts, gpointer data)
{
  const MicroJob *j = data;
  Plan *p = j->p;
  float *ws = j->ex->ws + (gsize) part * p->micro_ws_each;
  gint64 c0, c1;
  pl_part_range (p->micro_chunks, part, n_parts, &c0, &c1);
  for (gint64 c = c0; c < c1; c++)
    {
      gint64 s0, s1;
      pl_part_range (j->N, (gint) c, (gint) p->micro_chunks, &s0, &s1);
      if (s1 <= s0)
        continue;
      micro_back_chunk (j->ex, p, j->N, s0, s1, ws, part, j->to_head);
    }
}

/* Number of readers of value v among the nodes that run, plus one if it is a graph
 * output. */
static gint
value_users (PlExecutor *ex, Plan *p, gint v)
{
  gint users = 0;
  for (guint k = 0; k < ex->n_nodes; k++)
    {
      const PlNode *n = node_at (ex, k);
      if (p->folded[k])
        continue;
      for (gint i = 0; i < n->n_inputs; i++)
        users += n->inputs[i] == v;
    }
  for (guint o = 0; o < ex->graph->outputs->len; o++)
    users += g_array_index (ex->graph->outputs, gint, o) == v;
  return users;
}

/* The node (running) whose output 0 is v, or -1. */
static gint
value_producer (PlExecutor *ex, Plan *p, gint v)
{
  for (guint k = 0; k < ex->n_nodes; k++)
    if (!p->folded[k] && node_at (ex, k)->outputs[0] == v)
      return (gint) k;
  return -1;
}

/* Added (speed, second round): the backward plan of a micro-batch backward to the head
 * (only the head's gradient is asked for, so intermediate gradients need not exist).
 * A 2×2 MaxPool tiling its input writes its input gradient instead of adding to it when
 * it is that value's only reader (no zeroing); when that input is the output of a Relu
 * that is its only reader, whose own input is read by that Relu only, the Relu's backward
 * is fused in and the Relu's output gradient is not computed. The results equal the plain
 * layer-by-layer backward: the same cells get dy, the others exactly 0. */
static void
backward_plan (PlExecutor *ex, Plan *p, gboolean active)
{
  memset (ex->bk_mode, 0, sizeof (guint8) * ex->n_nodes);
  memset (ex->bk_nozero, 0, sizeof (gboolean) * ex->n_values);
  if (!active || g_getenv ("PL_NO_FUSED_BACKWARD") != NULL)
    return;
  for (guint k = 0; k < ex->n_nodes; k++)
    {
      const PlNode *n = node_at (ex, k);
      if (p->folded[k] || ex->info[k].kind != OP_MAXPOOL || (gint) k == ex->head_node
          || !pl_maxpool_backward_set_ok (&p->np[k].pool))
        continue;
      gint v = n->inputs[0];
      if (v < 0 || !ex->req[v] || pl_graph_value (ex->graph, v)->init != NULL
          || value_users (ex, p, v) != 1)
        continue;
      ex->bk_mode[k] = BK_POOL_SET;
      ex->bk_nozero[v] = TRUE;
      gint r = value_producer (ex, p, v);
      if (r < 0 || ex->info[r].kind != OP_RELU || ex->bk_mode[r] != BK_NORMAL)
        continue;
      gint u = node_at (ex, (guint) r)->inputs[0];
      if (u < 0 || !ex->req[u] || pl_graph_value (ex->graph, u)->init != NULL
          || value_users (ex, p, u) != 1)
        continue;
      ex->bk_mode[k] = BK_POOL_RELU_SET;
      ex->bk_dx[k] = u;
      ex->bk_relu[k] = r;
      ex->bk_mode[r] = BK_SKIP;
      ex->bk_nozero[u] = TRUE;
    }
}

/* Everything of a backward pass before the nodes run: checks, which gradients are
 * wanted, their buffers, the output gradient, the backward plan. *micro: the micro-batch
 * backward applies; *to_head: it stops at the head. */
static gboolean
backward_prepare (PlExecutor *ex, const PlTensor *grad_output, gboolean param_grads,
                  gboolean *micro_out, gboolean *to_head_out, GError **error)
{
  gint out_id = g_array_index (ex->graph->outputs, gint, 0);
  const PlTensor *out = vtensor (ex, out_id);
  Plan *p = ex->plans[0];
  if (!pl_tensor_same_shape (out, grad_output))
    {
      g_autofree char *want = pl_tensor_shape_string (out->ndim, out->shape);
      g_autofree char *got = pl_tensor_shape_string (grad_output->ndim, grad_output->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "gradient of output '%s' must have shape %s, got %s",
                   pl_graph_value (ex->graph, out_id)->name, want, got);
      return FALSE;
    }
  if (p->is_const[out_id])
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "the graph output '%s' is a constant "
                   "(it does not depend on the inputs or parameters)",
                   pl_graph_value (ex->graph, out_id)->name);
      return FALSE;
    }

  /* Added: after pl_executor_forward_head, or for pl_executor_backward_to_head, the
   * gradient starts at the head's output and the head node is skipped. */
  gboolean to_head = (ex->head_given || ex->stop_at_head) && ex->head_node >= 0;
  memset (ex->req, 0, sizeof (gboolean) * ex->n_values);
  for (gint i = 0; i < ex->n_inputs; i++)
    ex->req[ex->input_ids[i]] = ex->input_grad_enabled && !to_head;
  if (param_grads)
    for (guint v = 0; v < ex->n_values; v++)
      ex->req[v] = ex->req[v] || ex->is_param[v];
  for (guint k = 0; k < ex->n_nodes; k++)
    {
      const PlNode *n = node_at (ex, k);
      gboolean any = FALSE;
      for (gint i = 0; i < n->n_inputs; i++)
        any = any || (n->inputs[i] >= 0 && ex->req[n->inputs[i]]);
      ex->req[n->outputs[0]] = (any && !p->folded[k]) || (to_head && (gint) k == ex->head_node);
    }
  ex->req[out_id] = TRUE;

  gboolean micro = micro_backward_ok (ex, p);
  for (guint v = 0; v < ex->n_values; v++)
    {
      if (!ex->req[v])
        continue;
      const PlValue *val = pl_graph_value (ex->graph, v);
      PlTensor **slot = val->init != NULL ? &ex->pgrads[v] : &p->grads[v];
      if (*slot == NULL)
        {
          const PlTensor *like = val->init != NULL ? val->init : p->vals[v];
          *slot = pl_tensor_new (like->ndim, like->shape, error);
          if (*slot == NULL)
            return FALSE;
        }
      else if (!micro || val->init != NULL)   /* micro: zeroed chunk by chunk */
        memset ((*slot)->data, 0, sizeof (float) * (gsize) (*slot)->numel);
    }
  memcpy (p->grads[out_id]->data, grad_output->data, sizeof (float) * (gsize) out->numel);
  backward_plan (ex, p, micro && to_head);
  *micro_out = micro;
  *to_head_out = to_head;
  return TRUE;
}

gboolean
pl_executor_backward (PlExecutor *ex, const PlTensor *grad_output, gboolean param_grads,
                      GError **error)
{
  g_return_val_if_fail (ex != NULL, FALSE);
  g_return_val_if_fail (grad_output != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!ex->have_forward || ex->scratched)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "backward called before forward");
      return FALSE;
    }
  gboolean micro = FALSE, to_head = FALSE;
  Plan *p = ex->plans[0];
  /* backward reads the intermediate values: compute what a fused forward left out; keep
   * them from now on when training (parameter gradients: every batch needs them) */
  materialize (ex);
  if (param_grads)
    ex->keep_values = TRUE;
  if (!backward_prepare (ex, grad_output, param_grads, &micro, &to_head, error))
    return FALSE;
  if (micro)
    {
      MicroJob j = { ex, p, p->in[0].d[0], to_head, FALSE };
      pl_parallel_run (micro_back_part, &j);
    }
  else
    for (guint k = ex->n_nodes; k-- > 0;)
      if (!(to_head && (gint) k == ex->head_node))
        back_node (ex, k);
  if (!micro && to_head && ex->head_consume != NULL)
    ex->head_consume (0, 0, p->in[0].d[0], p->grads[ex->head_value]->data,
                      ex->head_consume_data);
  ex->have_backward = TRUE;
  return TRUE;
}

const PlTensor *
pl_executor_input_grad (PlExecutor *ex)
{
  g_return_val_if_fail (ex != NULL, NULL);
  return pl_executor_value_grad (ex, ex->input_id);
}

const PlTensor *
pl_executor_param_grad (PlExecutor *ex, gint value_id)
{
  g_return_val_if_fail (ex != NULL, NULL);
  if (!ex->have_backward || value_id < 0 || (guint) value_id >= ex->n_values
      || !ex->is_param[value_id] || !ex->req[value_id])
    return NULL;
  return ex->pgrads[value_id];
}

const PlTensor *
pl_executor_value_grad (PlExecutor *ex, gint value_id)
{
  g_return_val_if_fail (ex != NULL, NULL);
  if (!ex->have_backward || value_id < 0 || (guint) value_id >= ex->n_values
      || !ex->req[value_id])
    return NULL;
  if (ex->scratched && ex->sc_grad[value_id] > 0)
    return NULL;
  if (pl_graph_value (ex->graph, value_id)->init != NULL)
    return ex->pgrads[value_id];
  return ex->plans[0]->grads[value_id];
}

/* ------------------------------------------------------------------ conveniences */

static PlTensor *
slice_rows (const PlTensor *t, gint64 start, gint64 count, GError **error)
{
  gint64 shape[PL_TENSOR_MAX_DIMS];
  memcpy (shape, t->shape, sizeof shape);
  shape[0] = count;
  PlTensor *s = pl_tensor_new (t->ndim, shape, error);
  if (s == NULL)
    return NULL;
  gsize row = t->shape[0] > 0 ? (gsize) (t->numel / t->shape[0]) : 0;
  memcpy (s->data, t->data + start * row, sizeof (float) * row * count);
  return s;
}

PlTensor *
pl_executor_predict (PlExecutor *ex, const PlTensor *input, gint batch_size,
                     const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (ex != NULL, NULL);
  g_return_val_if_fail (input != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (input->ndim < 1 || input->shape[0] < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "predict needs at least one sample");
      return NULL;
    }
  gint64 N = input->shape[0];
  gint64 bs = batch_size > 0 ? batch_size : 256;
  g_autoptr (PlTensor) result = NULL;
  gsize out_row = 0;
  for (gint64 start = 0; start < N; start += bs)
    {
      if (pl_progress_cancelled (progress, error))
        return NULL;
      gint64 cnt = MIN (bs, N - start);
      g_autoptr (PlTensor) chunk = NULL;
      const PlTensor *in = input;
      if (cnt != N)
        {
          chunk = slice_rows (input, start, cnt, error);
          if (chunk == NULL)
            return NULL;
          in = chunk;
        }
      if (!pl_executor_forward (ex, in, error))
        return NULL;
      const PlTensor *out = pl_executor_output (ex, 0);
      if (result == NULL)
        {
          gint64 shape[PL_TENSOR_MAX_DIMS];
          memcpy (shape, out->shape, sizeof shape);
          shape[0] = N;
          if (out->ndim < 1 || out->shape[0] != cnt)
            {
              g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                           "output 0 does not have the batch as its first dimension");
              return NULL;
            }
          result = pl_tensor_new (out->ndim, shape, error);
          if (result == NULL)
            return NULL;
          out_row = (gsize) (out->numel / cnt);
        }
      memcpy (result->data + start * out_row, out->data, sizeof (float) * out_row * cnt);
      pl_progress_report (progress, (double) (start + cnt) / (double) N, NULL);
    }
  return g_steal_pointer (&result);
}

/* d logit[targets[n]] / d input of the last forward pass (class_gradient without the
 * forward). */
static PlTensor *
class_gradient_last (PlExecutor *ex, gint64 n_input, const gint *targets,
                     PlTensor **logits_out, GError **error)
{
  const PlTensor *out = pl_executor_output (ex, 0);
  if (out == NULL || ex->scratched)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "class gradient: no forward pass to "
                   "differentiate");
      return NULL;
    }
  if (out->ndim != 2 || out->shape[0] != n_input)
    {
      g_autofree char *s = pl_tensor_shape_string (out->ndim, out->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "class gradient needs [N, K] logits, output 0 is %s", s);
      return NULL;
    }
  gint64 N = out->shape[0], K = out->shape[1];
  for (gint64 i = 0; i < N; i++)
    if (targets[i] < 0 || targets[i] >= K)
      {
        g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                     "target class %d of sample %" G_GINT64_FORMAT " is outside [0, %"
                     G_GINT64_FORMAT ")", targets[i], i, K);
        return NULL;
      }
  g_autoptr (PlTensor) go = pl_tensor_new_like (out);
  for (gint64 i = 0; i < N; i++)
    go->data[i * K + targets[i]] = 1.f;
  g_autoptr (PlTensor) logits = logits_out != NULL ? pl_tensor_dup (out) : NULL;
  gboolean saved = ex->input_grad_enabled;
  ex->input_grad_enabled = TRUE;
  gboolean ok = pl_executor_backward (ex, go, FALSE, error);
  ex->input_grad_enabled = saved;
  if (!ok)
    return NULL;
  PlTensor *g = pl_tensor_dup (pl_executor_input_grad (ex));
  if (logits_out != NULL)
    *logits_out = g_steal_pointer (&logits);
  return g;
}

PlTensor *
pl_executor_class_gradient (PlExecutor *ex, const PlTensor *input, const gint *targets,
                            PlTensor **logits_out, GError **error)
{
  g_return_val_if_fail (ex != NULL, NULL);
  g_return_val_if_fail (input != NULL, NULL);
  g_return_val_if_fail (targets != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* the backward right after reads every value: no fused forward */
  gboolean keep = pl_executor_set_keep_values (ex, TRUE);
  gboolean ok = pl_executor_forward (ex, input, error);
  pl_executor_set_keep_values (ex, keep);
  if (!ok)
    return NULL;
  return class_gradient_last (ex, input->shape[0], targets, logits_out, error);
}

PlTensor *
pl_executor_class_gradient_last (PlExecutor *ex, const gint *targets, PlTensor **logits_out,
                                 GError **error)
{
  g_return_val_if_fail (ex != NULL, NULL);
  g_return_val_if_fail (targets != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (!ex->have_forward)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "class gradient: no forward pass to "
                   "differentiate");
      return NULL;
    }
  const PlTensor *in = vtensor (ex, ex->input_id);
  return class_gradient_last (ex, in->shape[0], targets, logits_out, error);
}

gboolean
pl_executor_set_keep_values (PlExecutor *ex, gboolean keep)
{
  g_return_val_if_fail (ex != NULL, FALSE);
  gboolean old = ex->keep_values;
  ex->keep_values = keep;
  return old;
}
