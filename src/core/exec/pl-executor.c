/* pl-executor.c — runs a PlGraph forward and backward over a batch.
 *
 * The executor keeps "plans": for one input shape (batch size), the shapes and buffers of
 * every value, its gradient buffers and per-node scratch (MaxPool argmax). The two most
 * recently used plans are cached so that training (full batches plus one remainder) and
 * chunked prediction allocate nothing per call. Matrix products go through OpenBLAS,
 * which threads them itself; with a fixed thread count every result is deterministic.
 */
#include <string.h>
#include <math.h>
#include "exec/pl-executor.h"
#include "ops/pl-ops.h"
#include "pl-error.h"

#define N_PLANS 2

typedef enum {
  OP_CONV, OP_GEMM, OP_MATMUL, OP_RELU, OP_MAXPOOL, OP_FLATTEN, OP_RESHAPE, OP_ADD,
  OP_SOFTMAX, OP_IDENTITY, OP_DROPOUT,
} OpKind;

static const struct { const char *name; OpKind kind; } op_table[] = {
  { "Conv", OP_CONV }, { "Gemm", OP_GEMM }, { "MatMul", OP_MATMUL }, { "Relu", OP_RELU },
  { "MaxPool", OP_MAXPOOL }, { "Flatten", OP_FLATTEN }, { "Reshape", OP_RESHAPE },
  { "Add", OP_ADD }, { "Softmax", OP_SOFTMAX }, { "Identity", OP_IDENTITY },
  { "Dropout", OP_DROPOUT },
};

typedef struct {
  OpKind kind;
  /* Gemm */
  gboolean trans_a, trans_b;
  float alpha, beta;
  /* Conv / MaxPool: pads top, left, bottom, right; auto_pad 0 NOTSET 1 VALID 2 SAME_UPPER
   * 3 SAME_LOWER */
  gint64 strides[2], pads[4], dil[2], kernel[2];
  gint auto_pad;
  gboolean ceil_mode;
  /* Flatten / Softmax */
  gint64 axis;
} NodeInfo;

typedef struct {
  PlConvGeom conv;
  PlPoolGeom pool;
  gint M, N, K, cm, cn;
  gsize outer, d, inner;
  gint nd;
  gint64 osh[PL_TENSOR_MAX_DIMS], ash[PL_TENSOR_MAX_DIMS], bsh[PL_TENSOR_MAX_DIMS];
} NodePlan;

typedef struct {
  gint in_ndim;
  gint64 in_shape[PL_TENSOR_MAX_DIMS];
  PlTensor **vals;    /* per value id; NULL for initializers */
  PlTensor **grads;   /* per value id; allocated on first backward */
  NodePlan *np;       /* per node */
  gsize ws;           /* scratch floats needed */
} Plan;

struct _PlExecutor {
  PlGraph *graph;
  guint n_values, n_nodes;
  gint input_id;
  NodeInfo *info;
  gboolean *is_param;        /* float initializer used as data (not a Reshape shape) */
  Plan *plans[N_PLANS];      /* [0] is the current (most recently used) plan */
  float *ws;
  gsize ws_size;
  PlTensor **pgrads;         /* per value id; parameter gradients */
  gboolean *req;             /* per value id; gradient wanted in the last backward */
  gboolean have_forward, have_backward, input_grad_enabled;
};

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

static void
plan_free (Plan *p, guint n_values, guint n_nodes)
{
  if (p == NULL)
    return;
  for (guint v = 0; v < n_values; v++)
    {
      g_clear_pointer (&p->vals[v], pl_tensor_unref);
      g_clear_pointer (&p->grads[v], pl_tensor_unref);
    }
  g_free (p->vals);
  g_free (p->grads);
  g_free (p->np);
  g_free (p);
}

/* ------------------------------------------------------------------ attributes */

static gboolean
get_ints (const PlNode *n, const char *name, gint count, gint64 *out, GError **error)
{
  const PlAttr *a = pl_node_get_attr (n, name);
  if (a == NULL)
    return TRUE;
  if (a->type != PL_ATTR_INTS || a->n != count)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                   "node '%s' (%s): attribute '%s' must be a list of %d integers "
                   "(only 2-D is supported)", node_label (n), n->op_type, name, count);
      return FALSE;
    }
  memcpy (out, a->ints, sizeof (gint64) * count);
  return TRUE;
}

static gboolean
parse_node (const PlGraph *graph, const PlNode *n, NodeInfo *info, GError **error)
{
  gboolean found = FALSE;
  if (n->domain == NULL || n->domain[0] == '\0' || g_str_equal (n->domain, "ai.onnx"))
    for (gsize i = 0; i < G_N_ELEMENTS (op_table); i++)
      if (g_str_equal (n->op_type, op_table[i].name))
        {
          info->kind = op_table[i].kind;
          found = TRUE;
        }
  if (!found)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                   "node '%s': operator %s%s%s (opset %" G_GINT64_FORMAT ") is not supported; "
                   "supported are Conv, Gemm, MatMul, Relu, MaxPool, Flatten, Reshape, Add, "
                   "Softmax, Identity, Dropout", node_label (n),
                   (n->domain && n->domain[0]) ? n->domain : "",
                   (n->domain && n->domain[0]) ? "." : "", n->op_type, graph->opset);
      return FALSE;
    }

  static const gint min_inputs[] = {
    [OP_CONV] = 2, [OP_GEMM] = 2, [OP_MATMUL] = 2, [OP_RELU] = 1, [OP_MAXPOOL] = 1,
    [OP_FLATTEN] = 1, [OP_RESHAPE] = 2, [OP_ADD] = 2, [OP_SOFTMAX] = 1, [OP_IDENTITY] = 1,
    [OP_DROPOUT] = 1,
  };
  if (n->n_inputs < min_inputs[info->kind] || n->n_outputs < 1 || n->outputs[0] < 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "node '%s' (%s): expected at least %d input(s) and one output, found %d "
                   "and %d", node_label (n), n->op_type, min_inputs[info->kind],
                   n->n_inputs, n->n_outputs);
      return FALSE;
    }
  for (gint i = 0; i < min_inputs[info->kind]; i++)
    if (n->inputs[i] < 0)
      {
        g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                     "node '%s' (%s): required input %d is missing", node_label (n),
                     n->op_type, i);
        return FALSE;
      }

  info->strides[0] = info->strides[1] = 1;
  info->dil[0] = info->dil[1] = 1;
  memset (info->pads, 0, sizeof info->pads);
  info->kernel[0] = info->kernel[1] = -1;

  switch (info->kind)
    {
    case OP_CONV:
    case OP_MAXPOOL:
      {
        if (info->kind == OP_CONV && pl_node_get_int (n, "group", 1) != 1)
          {
            g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                         "node '%s' (Conv, opset %" G_GINT64_FORMAT "): group = %" G_GINT64_FORMAT
                         " is not supported (only group 1)", node_label (n), graph->opset,
                         pl_node_get_int (n, "group", 1));
            return FALSE;
          }
        if (info->kind == OP_MAXPOOL)
          {
            if (pl_node_get_attr (n, "kernel_shape") == NULL)
              {
                g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                             "node '%s' (MaxPool): attribute kernel_shape is required",
                             node_label (n));
                return FALSE;
              }
            if (pl_node_get_int (n, "storage_order", 0) != 0
                || (n->n_outputs > 1 && n->outputs[1] >= 0))
              {
                g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                             "node '%s' (MaxPool, opset %" G_GINT64_FORMAT "): the Indices "
                             "output and storage_order are not supported", node_label (n),
                             graph->opset);
                return FALSE;
              }
            info->ceil_mode = pl_node_get_int (n, "ceil_mode", 0) != 0;
          }
        if (!get_ints (n, "kernel_shape", 2, info->kernel, error)
            || !get_ints (n, "strides", 2, info->strides, error)
            || !get_ints (n, "pads", 4, info->pads, error)
            || !get_ints (n, "dilations", 2, info->dil, error))
          return FALSE;
        /* ONNX pads are [x1_begin, x2_begin, x1_end, x2_end] = [top, left, bottom, right] */
        for (gint i = 0; i < 4; i++)
          if (info->pads[i] < 0 || info->pads[i] > G_MAXINT / 4)
            {
              g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                           "node '%s' (%s): invalid pads", node_label (n), n->op_type);
              return FALSE;
            }
        for (gint i = 0; i < 2; i++)
          if (info->strides[i] < 1 || info->dil[i] < 1 || info->strides[i] > G_MAXINT / 4
              || info->dil[i] > G_MAXINT / 4 || info->kernel[i] == 0
              || info->kernel[i] > G_MAXINT / 4)
            {
              g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                           "node '%s' (%s): strides, dilations and kernel_shape must be "
                           "positive", node_label (n), n->op_type);
              return FALSE;
            }
        const PlAttr *ap = pl_node_get_attr (n, "auto_pad");
        const char *s = (ap != NULL && ap->type == PL_ATTR_STRING) ? ap->s : "NOTSET";
        if (s == NULL || g_str_equal (s, "NOTSET") || s[0] == '\0')
          info->auto_pad = 0;
        else if (g_str_equal (s, "VALID"))
          info->auto_pad = 1;
        else if (g_str_equal (s, "SAME_UPPER"))
          info->auto_pad = 2;
        else if (g_str_equal (s, "SAME_LOWER"))
          info->auto_pad = 3;
        else
          {
            g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                         "node '%s' (%s): unknown auto_pad '%s'", node_label (n), n->op_type, s);
            return FALSE;
          }
        break;
      }
    case OP_GEMM:
      info->trans_a = pl_node_get_int (n, "transA", 0) != 0;
      info->trans_b = pl_node_get_int (n, "transB", 0) != 0;
      info->alpha = pl_node_get_float (n, "alpha", 1.f);
      info->beta = pl_node_get_float (n, "beta", 1.f);
      break;
    case OP_FLATTEN:
      info->axis = pl_node_get_int (n, "axis", 1);
      break;
    case OP_SOFTMAX:
      /* opset >= 13 (or unknown): one axis, default -1; older: coerced to 2-D at axis,
       * default 1 */
      info->axis = pl_node_get_int (n, "axis", graph->opset >= 13 || graph->opset <= 0 ? -1 : 1);
      break;
    case OP_RESHAPE:
      {
        const PlValue *sv = pl_graph_value (graph, n->inputs[1]);
        if (sv->init == NULL)
          {
            g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                         "node '%s' (Reshape, opset %" G_GINT64_FORMAT "): the shape input '%s' "
                         "must be a constant initializer", node_label (n), graph->opset,
                         sv->name);
            return FALSE;
          }
        if (pl_node_get_int (n, "allowzero", 0) != 0)
          for (gint64 i = 0; i < sv->init->numel; i++)
            if (sv->init->data[i] == 0.f)
              {
                g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                             "node '%s' (Reshape): allowzero = 1 with a 0 in the shape is not "
                             "supported", node_label (n));
                return FALSE;
              }
        break;
      }
    default:
      break;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ shapes */

typedef struct {
  gint nd;
  gint64 d[PL_TENSOR_MAX_DIMS];
} Shape;

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

static void
window_pads (const NodeInfo *info, gint64 h, gint64 w, gint64 kh, gint64 kw, gint *t, gint *l,
             gint *b, gint *r)
{
  if (info->auto_pad >= 2)
    {
      same_pads (h, kh, info->strides[0], info->dil[0], info->auto_pad == 3, t, b);
      same_pads (w, kw, info->strides[1], info->dil[1], info->auto_pad == 3, l, r);
    }
  else if (info->auto_pad == 1)
    *t = *l = *b = *r = 0;
  else
    {
      *t = (gint) info->pads[0];
      *l = (gint) info->pads[1];
      *b = (gint) info->pads[2];
      *r = (gint) info->pads[3];
    }
}

static gboolean
infer_node (PlExecutor *ex, guint k, Shape *sh, NodePlan *np, GError **error)
{
  const PlNode *n = node_at (ex, k);
  const NodeInfo *info = &ex->info[k];
  const Shape *x = &sh[n->inputs[0]];
  Shape *y = &sh[n->outputs[0]];
  g_autofree char *xs = pl_tensor_shape_string (x->nd, x->d);

  switch (info->kind)
    {
    case OP_CONV:
      {
        const Shape *w = &sh[n->inputs[1]];
        if (x->nd != 4 || w->nd != 4)
          return shape_err (error, n, "only 2-D convolution is supported: input %s and weight "
                            "must be 4-D", xs);
        if (w->d[1] != x->d[1])
          return shape_err (error, n, "input %s has %" G_GINT64_FORMAT " channels, the weight "
                            "expects %" G_GINT64_FORMAT, xs, x->d[1], w->d[1]);
        if ((info->kernel[0] > 0 && info->kernel[0] != w->d[2])
            || (info->kernel[1] > 0 && info->kernel[1] != w->d[3]))
          return shape_err (error, n, "kernel_shape disagrees with the weight shape");
        if (n->n_inputs > 2 && n->inputs[2] >= 0)
          {
            const Shape *b = &sh[n->inputs[2]];
            if (b->nd != 1 || b->d[0] != w->d[0])
              return shape_err (error, n, "bias must be [%" G_GINT64_FORMAT "]", w->d[0]);
          }
        PlConvGeom *g = &np->conv;
        g->n = (gint) x->d[0]; g->c = (gint) x->d[1]; g->h = (gint) x->d[2]; g->w = (gint) x->d[3];
        g->m = (gint) w->d[0]; g->kh = (gint) w->d[2]; g->kw = (gint) w->d[3];
        g->stride_h = (gint) info->strides[0]; g->stride_w = (gint) info->strides[1];
        g->dil_h = (gint) info->dil[0]; g->dil_w = (gint) info->dil[1];
        window_pads (info, x->d[2], x->d[3], w->d[2], w->d[3], &g->pad_t, &g->pad_l,
                     &g->pad_b, &g->pad_r);
        if (!pl_conv_geom_finish (g))
          return shape_err (error, n, "the kernel does not fit the padded input %s", xs);
        y->nd = 4;
        y->d[0] = g->n; y->d[1] = g->m; y->d[2] = g->oh; y->d[3] = g->ow;
        break;
      }
    case OP_MAXPOOL:
      {
        if (x->nd != 4)
          return shape_err (error, n, "only 2-D pooling is supported: input %s must be 4-D", xs);
        PlPoolGeom *g = &np->pool;
        g->n = (gint) x->d[0]; g->c = (gint) x->d[1]; g->h = (gint) x->d[2]; g->w = (gint) x->d[3];
        g->kh = (gint) info->kernel[0]; g->kw = (gint) info->kernel[1];
        g->stride_h = (gint) info->strides[0]; g->stride_w = (gint) info->strides[1];
        g->dil_h = (gint) info->dil[0]; g->dil_w = (gint) info->dil[1];
        g->ceil_mode = info->ceil_mode;
        window_pads (info, x->d[2], x->d[3], g->kh, g->kw, &g->pad_t, &g->pad_l,
                     &g->pad_b, &g->pad_r);
        if (g->pad_t >= g->kh || g->pad_b >= g->kh || g->pad_l >= g->kw || g->pad_r >= g->kw)
          return shape_err (error, n, "pads must be smaller than the kernel");
        if (!pl_pool_geom_finish (g))
          return shape_err (error, n, "the window does not fit the padded input %s", xs);
        y->nd = 4;
        y->d[0] = g->n; y->d[1] = g->c; y->d[2] = g->oh; y->d[3] = g->ow;
        break;
      }
    case OP_GEMM:
    case OP_MATMUL:
      {
        const Shape *b = &sh[n->inputs[1]];
        gboolean ta = info->kind == OP_GEMM && info->trans_a;
        gboolean tb = info->kind == OP_GEMM && info->trans_b;
        if (x->nd != 2 || b->nd != 2)
          return shape_err (error, n, "only 2-D operands are supported (A is %s, B has %d "
                            "dims)", xs, b->nd);
        gint64 M = ta ? x->d[1] : x->d[0], K = ta ? x->d[0] : x->d[1];
        gint64 Kb = tb ? b->d[1] : b->d[0], N = tb ? b->d[0] : b->d[1];
        if (K != Kb)
          return shape_err (error, n, "inner dimensions differ: A %s gives K = %" G_GINT64_FORMAT
                            ", B gives %" G_GINT64_FORMAT, xs, K, Kb);
        if (M > G_MAXINT || N > G_MAXINT || K > G_MAXINT)
          return shape_err (error, n, "matrix too large");
        np->M = (gint) M; np->N = (gint) N; np->K = (gint) K;
        np->cm = np->cn = 0;
        if (info->kind == OP_GEMM && n->n_inputs > 2 && n->inputs[2] >= 0)
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
    case OP_RELU:
    case OP_IDENTITY:
    case OP_DROPOUT:
      *y = *x;
      if (info->kind == OP_DROPOUT && n->n_outputs > 1 && n->outputs[1] >= 0)
        sh[n->outputs[1]] = *x;
      break;
    case OP_SOFTMAX:
      {
        gint64 axis = info->axis < 0 ? info->axis + x->nd : info->axis;
        if (axis < 0 || axis >= MAX (x->nd, 1))
          return shape_err (error, n, "axis %" G_GINT64_FORMAT " out of range for %s",
                            info->axis, xs);
        gsize outer = 1, d = 1, inner = 1;
        for (gint i = 0; i < x->nd; i++)
          {
            if (i < axis)
              outer *= x->d[i];
            else if (i == axis || (ex->graph->opset > 0 && ex->graph->opset < 13))
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
        const PlTensor *st = pl_graph_value (ex->graph, n->inputs[1])->init;
        gint64 req[PL_TENSOR_MAX_DIMS];
        g_autofree char *why = NULL;
        if (st->numel > PL_TENSOR_MAX_DIMS)
          return shape_err (error, n, "target shape has %" G_GINT64_FORMAT " entries",
                            st->numel);
        for (gint64 i = 0; i < st->numel; i++)
          req[i] = (gint64) llroundf (st->data[i]);
        if (!pl_reshape_resolve (x->nd, x->d, (gint) st->numel, req, y->d, &why))
          return shape_err (error, n, "cannot reshape %s: %s", xs, why);
        y->nd = (gint) st->numel;
        break;
      }
    case OP_ADD:
      {
        const Shape *b = &sh[n->inputs[1]];
        if (!pl_broadcast_shape (x->nd, x->d, b->nd, b->d, &y->nd, y->d))
          {
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
        break;
      }
    }
  if (pl_shape_numel (y->nd, y->d) < 0)
    return shape_err (error, n, "output too large");
  return TRUE;
}

static Plan *
plan_build (PlExecutor *ex, gint in_ndim, const gint64 *in_shape, GError **error)
{
  g_autofree Shape *sh = g_new0 (Shape, ex->n_values);
  Plan *p = g_new0 (Plan, 1);
  p->in_ndim = in_ndim;
  memcpy (p->in_shape, in_shape, sizeof (gint64) * in_ndim);
  p->vals = g_new0 (PlTensor *, ex->n_values);
  p->grads = g_new0 (PlTensor *, ex->n_values);
  p->np = g_new0 (NodePlan, MAX (ex->n_nodes, 1));

  for (guint v = 0; v < ex->n_values; v++)
    {
      const PlValue *val = pl_graph_value (ex->graph, v);
      sh[v].nd = -1;
      if (val->init != NULL)
        {
          sh[v].nd = val->init->ndim;
          memcpy (sh[v].d, val->init->shape, sizeof sh[v].d);
        }
    }
  sh[ex->input_id].nd = in_ndim;
  memcpy (sh[ex->input_id].d, in_shape, sizeof (gint64) * in_ndim);

  for (guint k = 0; k < ex->n_nodes; k++)
    if (!infer_node (ex, k, sh, &p->np[k], error))
      goto fail;

  for (guint v = 0; v < ex->n_values; v++)
    {
      if (pl_graph_value (ex->graph, v)->init != NULL || sh[v].nd < 0)
        continue;
      p->vals[v] = pl_tensor_new (sh[v].nd, sh[v].d, error);
      if (p->vals[v] == NULL)
        goto fail;
    }
  for (guint k = 0; k < ex->n_nodes; k++)
    if (ex->info[k].kind == OP_CONV)
      p->ws = MAX (p->ws, pl_conv2d_workspace (&p->np[k].conv));
  return p;

fail:
  plan_free (p, ex->n_values, ex->n_nodes);
  return NULL;
}

/* ------------------------------------------------------------------ construction */

PlExecutor *
pl_executor_new (PlGraph *graph, GError **error)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (graph->inputs->len != 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                   "the graph has %u data inputs; PruneLens runs graphs with exactly one",
                   graph->inputs->len);
      return NULL;
    }
  g_autoptr (PlGraph) gref = pl_graph_ref (graph);
  guint n_values = graph->values->len, n_nodes = graph->nodes->len;
  gint input_id = g_array_index (graph->inputs, gint, 0);
  g_autofree NodeInfo *info = g_new0 (NodeInfo, MAX (n_nodes, 1));
  g_autofree gboolean *known = g_new0 (gboolean, MAX (n_values, 1));
  g_autofree gboolean *is_param = g_new0 (gboolean, MAX (n_values, 1));

  for (guint v = 0; v < n_values; v++)
    known[v] = pl_graph_value (graph, v)->init != NULL;
  known[input_id] = TRUE;

  for (guint k = 0; k < n_nodes; k++)
    {
      const PlNode *n = g_ptr_array_index (graph->nodes, k);
      for (gint i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] >= (gint) n_values || (n->inputs[i] >= 0 && !known[n->inputs[i]]))
          {
            g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                         "node '%s' (%s): input %d ('%s') is not produced by an earlier node",
                         node_label (n), n->op_type, i,
                         n->inputs[i] < (gint) n_values
                           ? pl_graph_value (graph, n->inputs[i])->name : "?");
            return NULL;
          }
      if (!parse_node (graph, n, &info[k], error))
        return NULL;
      for (gint o = 0; o < n->n_outputs; o++)
        if (n->outputs[o] >= 0)
          {
            if (n->outputs[o] >= (gint) n_values || known[n->outputs[o]])
              {
                g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                             "node '%s' (%s): output %d overwrites an existing value",
                             node_label (n), n->op_type, o);
                return NULL;
              }
            known[n->outputs[o]] = TRUE;
          }
      for (gint i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] >= 0 && pl_graph_value (graph, n->inputs[i])->init != NULL
            && !(info[k].kind == OP_RESHAPE && i == 1))
          is_param[n->inputs[i]] = TRUE;
    }
  if (graph->outputs->len < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "the graph declares no output");
      return NULL;
    }
  for (guint o = 0; o < graph->outputs->len; o++)
    {
      gint id = g_array_index (graph->outputs, gint, o);
      if (id < 0 || (guint) id >= n_values || !known[id])
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "graph output %u is not produced by any node", o);
          return NULL;
        }
    }

  PlExecutor *ex = g_new0 (PlExecutor, 1);
  ex->graph = g_steal_pointer (&gref);
  ex->n_values = n_values;
  ex->n_nodes = n_nodes;
  ex->input_id = input_id;
  ex->info = g_steal_pointer (&info);
  ex->is_param = g_steal_pointer (&is_param);
  ex->pgrads = g_new0 (PlTensor *, MAX (n_values, 1));
  ex->req = g_new0 (gboolean, MAX (n_values, 1));
  ex->input_grad_enabled = TRUE;

  /* Check shapes now when the sample shape is declared (a symbolic batch taken as 1). */
  const PlValue *iv = pl_graph_value (graph, input_id);
  gboolean static_shape = iv->ndim >= 1;
  for (gint i = 1; i < iv->ndim; i++)
    static_shape = static_shape && iv->shape[i] > 0;
  if (static_shape)
    {
      gint64 shape[PL_TENSOR_MAX_DIMS];
      memcpy (shape, iv->shape, sizeof shape);
      if (shape[0] < 1)
        shape[0] = 1;
      ex->plans[0] = plan_build (ex, iv->ndim, shape, error);
      if (ex->plans[0] == NULL)
        {
          pl_executor_free (ex);
          return NULL;
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
  g_free (ex->pgrads);
  g_free (ex->req);
  g_free (ex->is_param);
  g_free (ex->info);
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
  const PlValue *v = pl_graph_value (ex->graph, id);
  return v->init != NULL ? v->init->data : ex->plans[0]->vals[id]->data;
}

static inline const PlTensor *
vtensor (PlExecutor *ex, gint id)
{
  const PlValue *v = pl_graph_value (ex->graph, id);
  return v->init != NULL ? v->init : ex->plans[0]->vals[id];
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
select_plan (PlExecutor *ex, const PlTensor *input, GError **error)
{
  for (gint i = 0; i < N_PLANS; i++)
    {
      Plan *p = ex->plans[i];
      if (p != NULL && p->in_ndim == input->ndim
          && memcmp (p->in_shape, input->shape, sizeof (gint64) * input->ndim) == 0)
        {
          ex->plans[i] = ex->plans[0];
          ex->plans[0] = p;
          return ensure_workspace (ex, p->ws, error);
        }
    }
  /* Check the sample shape against the declared input. */
  const PlValue *iv = pl_graph_value (ex->graph, ex->input_id);
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
  Plan *p = plan_build (ex, input->ndim, input->shape, error);
  if (p == NULL)
    return FALSE;
  plan_free (ex->plans[N_PLANS - 1], ex->n_values, ex->n_nodes);
  for (gint i = N_PLANS - 1; i > 0; i--)
    ex->plans[i] = ex->plans[i - 1];
  ex->plans[0] = p;
  return ensure_workspace (ex, p->ws, error);
}

static void
run_node (PlExecutor *ex, guint k)
{
  const PlNode *n = node_at (ex, k);
  const NodeInfo *info = &ex->info[k];
  NodePlan *np = &ex->plans[0]->np[k];
  const float *x = vdata (ex, n->inputs[0]);
  float *y = vdata (ex, n->outputs[0]);
  gsize numel = (gsize) vtensor (ex, n->outputs[0])->numel;

  switch (info->kind)
    {
    case OP_CONV:
      pl_conv2d_forward (&np->conv, x, vdata (ex, n->inputs[1]),
                         n->n_inputs > 2 && n->inputs[2] >= 0 ? vdata (ex, n->inputs[2]) : NULL,
                         y, ex->ws);
      break;
    case OP_GEMM:
    case OP_MATMUL:
      {
        gboolean has_c = np->cm > 0;
        pl_gemm_forward (np->M, np->N, np->K, info->kind == OP_GEMM && info->trans_a,
                         info->kind == OP_GEMM && info->trans_b,
                         info->kind == OP_GEMM ? info->alpha : 1.f,
                         info->kind == OP_GEMM ? info->beta : 0.f, x, vdata (ex, n->inputs[1]),
                         has_c ? vdata (ex, n->inputs[2]) : NULL, np->cm, np->cn, y);
        break;
      }
    case OP_RELU:
      pl_relu_forward (numel, x, y);
      break;
    case OP_MAXPOOL:
      pl_maxpool_forward (&np->pool, x, y);
      break;
    case OP_SOFTMAX:
      pl_softmax_forward (np->outer, np->d, np->inner, x, y);
      break;
    case OP_ADD:
      pl_add_forward (np->nd, np->osh, np->ash, x, np->bsh, vdata (ex, n->inputs[1]), y);
      break;
    case OP_DROPOUT:
      if (n->n_outputs > 1 && n->outputs[1] >= 0)
        {
          float *mask = vdata (ex, n->outputs[1]);
          for (gsize i = 0; i < numel; i++)
            mask[i] = 1.f;
        }
      G_GNUC_FALLTHROUGH;
    case OP_FLATTEN:
    case OP_RESHAPE:
    case OP_IDENTITY:
      pl_copy_forward (numel, x, y);
      break;
    }
}

gboolean
pl_executor_forward (PlExecutor *ex, const PlTensor *input, GError **error)
{
  g_return_val_if_fail (ex != NULL, FALSE);
  g_return_val_if_fail (input != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  ex->have_forward = ex->have_backward = FALSE;
  if (!select_plan (ex, input, error))
    return FALSE;
  memcpy (ex->plans[0]->vals[ex->input_id]->data, input->data,
          sizeof (float) * (gsize) input->numel);
  for (guint k = 0; k < ex->n_nodes; k++)
    run_node (ex, k);
  ex->have_forward = TRUE;
  return TRUE;
}

const PlTensor *
pl_executor_output (PlExecutor *ex, gint index)
{
  g_return_val_if_fail (ex != NULL, NULL);
  if (!ex->have_forward || index < 0 || (guint) index >= ex->graph->outputs->len)
    return NULL;
  return vtensor (ex, g_array_index (ex->graph->outputs, gint, index));
}

const PlTensor *
pl_executor_value (PlExecutor *ex, gint value_id)
{
  g_return_val_if_fail (ex != NULL, NULL);
  if (!ex->have_forward || value_id < 0 || (guint) value_id >= ex->n_values)
    return NULL;
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

static void
back_node (PlExecutor *ex, guint k)
{
  const PlNode *n = node_at (ex, k);
  const NodeInfo *info = &ex->info[k];
  NodePlan *np = &ex->plans[0]->np[k];
  const float *dy = gdata (ex, n->outputs[0]);
  if (dy == NULL)
    return;
  const float *x = vdata (ex, n->inputs[0]);
  float *dx = gdata (ex, n->inputs[0]);
  gsize numel = (gsize) vtensor (ex, n->outputs[0])->numel;

  switch (info->kind)
    {
    case OP_CONV:
      {
        gint b = n->n_inputs > 2 ? n->inputs[2] : -1;
        pl_conv2d_backward (&np->conv, x, vdata (ex, n->inputs[1]), dy, dx,
                            gdata (ex, n->inputs[1]), gdata (ex, b), ex->ws);
        break;
      }
    case OP_GEMM:
    case OP_MATMUL:
      pl_gemm_backward (np->M, np->N, np->K, info->kind == OP_GEMM && info->trans_a,
                        info->kind == OP_GEMM && info->trans_b,
                        info->kind == OP_GEMM ? info->alpha : 1.f,
                        info->kind == OP_GEMM ? info->beta : 0.f, x, vdata (ex, n->inputs[1]),
                        np->cm, np->cn, dy, dx, gdata (ex, n->inputs[1]),
                        np->cm > 0 ? gdata (ex, n->inputs[2]) : NULL);
      break;
    case OP_RELU:
      if (dx != NULL)
        pl_relu_backward (numel, x, dy, dx);
      break;
    case OP_MAXPOOL:
      if (dx != NULL)
        pl_maxpool_backward (&np->pool, x, vdata (ex, n->outputs[0]), dy, dx);
      break;
    case OP_SOFTMAX:
      if (dx != NULL)
        pl_softmax_backward (np->outer, np->d, np->inner, vdata (ex, n->outputs[0]), dy, dx);
      break;
    case OP_ADD:
      pl_add_backward (np->nd, np->osh, np->ash, np->bsh, dy, dx, gdata (ex, n->inputs[1]));
      break;
    case OP_DROPOUT:
    case OP_FLATTEN:
    case OP_RESHAPE:
    case OP_IDENTITY:
      if (dx != NULL)
        pl_copy_backward (numel, dy, dx);
      break;
    }
}

gboolean
pl_executor_backward (PlExecutor *ex, const PlTensor *grad_output, gboolean param_grads,
                      GError **error)
{
  g_return_val_if_fail (ex != NULL, FALSE);
  g_return_val_if_fail (grad_output != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!ex->have_forward)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "backward called before forward");
      return FALSE;
    }
  gint out_id = g_array_index (ex->graph->outputs, gint, 0);
  const PlTensor *out = vtensor (ex, out_id);
  if (!pl_tensor_same_shape (out, grad_output))
    {
      g_autofree char *want = pl_tensor_shape_string (out->ndim, out->shape);
      g_autofree char *got = pl_tensor_shape_string (grad_output->ndim, grad_output->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "gradient of output '%s' must have shape %s, got %s",
                   pl_graph_value (ex->graph, out_id)->name, want, got);
      return FALSE;
    }
  if (pl_graph_value (ex->graph, out_id)->init != NULL)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "the graph output is a constant");
      return FALSE;
    }

  Plan *p = ex->plans[0];
  memset (ex->req, 0, sizeof (gboolean) * ex->n_values);
  ex->req[ex->input_id] = ex->input_grad_enabled;
  if (param_grads)
    for (guint v = 0; v < ex->n_values; v++)
      ex->req[v] = ex->req[v] || ex->is_param[v];
  for (guint k = 0; k < ex->n_nodes; k++)
    {
      const PlNode *n = node_at (ex, k);
      gboolean any = FALSE;
      for (gint i = 0; i < n->n_inputs; i++)
        any = any || (n->inputs[i] >= 0 && ex->req[n->inputs[i]]);
      ex->req[n->outputs[0]] = any;
    }
  ex->req[out_id] = TRUE;

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
      else
        memset ((*slot)->data, 0, sizeof (float) * (gsize) (*slot)->numel);
    }
  memcpy (p->grads[out_id]->data, grad_output->data, sizeof (float) * (gsize) out->numel);
  for (guint k = ex->n_nodes; k-- > 0;)
    back_node (ex, k);
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

PlTensor *
pl_executor_class_gradient (PlExecutor *ex, const PlTensor *input, const gint *targets,
                            PlTensor **logits_out, GError **error)
{
  g_return_val_if_fail (ex != NULL, NULL);
  g_return_val_if_fail (input != NULL, NULL);
  g_return_val_if_fail (targets != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!pl_executor_forward (ex, input, error))
    return NULL;
  const PlTensor *out = pl_executor_output (ex, 0);
  if (out->ndim != 2 || out->shape[0] != input->shape[0])
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
