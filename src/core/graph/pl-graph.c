/* pl-graph.c — the network as a graph of ONNX-style nodes over named values. */
#include "graph/pl-graph.h"
#include "pl-error.h"

#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------- values, nodes */

static void
pl_value_free (gpointer p)
{
  PlValue *v = p;
  if (v == NULL)
    return;
  g_free (v->name);
  g_free (v->dim_param0);
  g_clear_pointer (&v->init, pl_tensor_unref);
  g_clear_pointer (&v->mask, pl_tensor_unref);
  g_free (v);
}

static void
pl_attr_clear (PlAttr *a)
{
  g_clear_pointer (&a->name, g_free);
  g_clear_pointer (&a->s, g_free);
  g_clear_pointer (&a->t, pl_tensor_unref);
  g_clear_pointer (&a->floats, g_free);
  g_clear_pointer (&a->ints, g_free);
  a->n = 0;
}

static void
pl_attr_copy (PlAttr *dst, const PlAttr *src)
{
  *dst = *src;
  dst->name = g_strdup (src->name);
  dst->s = g_strdup (src->s);
  dst->t = src->t ? pl_tensor_dup (src->t) : NULL;
  /* Lists are never NULL, even when empty (callers memcpy them; see pl_node_set_ints). */
  dst->floats = src->type == PL_ATTR_FLOATS || src->floats != NULL ? g_malloc0 (sizeof (float) * (gsize) MAX (src->n, 1)) : NULL;
  dst->ints = src->type == PL_ATTR_INTS || src->ints != NULL ? g_malloc0 (sizeof (gint64) * (gsize) MAX (src->n, 1)) : NULL;
  if (src->n > 0 && src->floats != NULL && dst->floats != NULL)
    memcpy (dst->floats, src->floats, sizeof (float) * (gsize) src->n);
  if (src->n > 0 && src->ints != NULL && dst->ints != NULL)
    memcpy (dst->ints, src->ints, sizeof (gint64) * (gsize) src->n);
}

static void
pl_node_free (gpointer p)
{
  PlNode *n = p;
  if (n == NULL)
    return;
  g_free (n->name);
  g_free (n->op_type);
  g_free (n->domain);
  g_free (n->inputs);
  g_free (n->outputs);
  for (gint i = 0; i < n->n_attrs; i++)
    pl_attr_clear (&n->attrs[i]);
  g_free (n->attrs);
  g_free (n);
}

PlGraph *
pl_graph_new (void)
{
  PlGraph *g = g_new0 (PlGraph, 1);
  g->ref_count = 1;
  g->values = g_ptr_array_new_with_free_func (pl_value_free);
  g->nodes = g_ptr_array_new_with_free_func (pl_node_free);
  g->inputs = g_array_new (FALSE, FALSE, sizeof (gint));
  g->outputs = g_array_new (FALSE, FALSE, sizeof (gint));
  g->value_index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g->name = g_strdup ("");
  g->producer_name = g_strdup ("");
  g->producer_version = g_strdup ("");
  g->doc_string = g_strdup ("");
  g->opset = 0;
  g->ir_version = 8;
  return g;
}

PlGraph *
pl_graph_ref (PlGraph *graph)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_atomic_int_inc (&graph->ref_count);
  return graph;
}

void
pl_graph_unref (PlGraph *graph)
{
  if (graph == NULL)
    return;
  if (!g_atomic_int_dec_and_test (&graph->ref_count))
    return;
  g_ptr_array_unref (graph->nodes);
  g_ptr_array_unref (graph->values);
  g_array_unref (graph->inputs);
  g_array_unref (graph->outputs);
  g_hash_table_unref (graph->value_index);
  g_free (graph->name);
  g_free (graph->producer_name);
  g_free (graph->producer_version);
  g_free (graph->doc_string);
  g_free (graph);
}

PlGraph *
pl_graph_copy (const PlGraph *graph)
{
  g_return_val_if_fail (graph != NULL, NULL);

  PlGraph *c = pl_graph_new ();
  g_free (c->name);
  g_free (c->producer_name);
  g_free (c->producer_version);
  g_free (c->doc_string);
  c->name = g_strdup (graph->name);
  c->producer_name = g_strdup (graph->producer_name);
  c->producer_version = g_strdup (graph->producer_version);
  c->doc_string = g_strdup (graph->doc_string);
  c->opset = graph->opset;
  c->ir_version = graph->ir_version;

  for (guint i = 0; i < graph->values->len; i++)
    {
      const PlValue *v = g_ptr_array_index (graph->values, i);
      PlValue *w = g_new0 (PlValue, 1);
      *w = *v;
      w->name = g_strdup (v->name);
      w->dim_param0 = g_strdup (v->dim_param0);
      w->init = v->init ? pl_tensor_dup (v->init) : NULL;
      w->mask = v->mask ? pl_tensor_dup (v->mask) : NULL;
      g_ptr_array_add (c->values, w);
      g_hash_table_insert (c->value_index, g_strdup (w->name), GINT_TO_POINTER ((gint) i + 1));
    }

  for (guint i = 0; i < graph->nodes->len; i++)
    {
      const PlNode *n = g_ptr_array_index (graph->nodes, i);
      PlNode *m = g_new0 (PlNode, 1);
      m->name = g_strdup (n->name);
      m->op_type = g_strdup (n->op_type);
      m->domain = g_strdup (n->domain);
      m->n_inputs = n->n_inputs;
      m->inputs = n->n_inputs > 0 ? g_memdup2 (n->inputs, sizeof (gint) * (gsize) n->n_inputs) : NULL;
      m->n_outputs = n->n_outputs;
      m->outputs = n->n_outputs > 0 ? g_memdup2 (n->outputs, sizeof (gint) * (gsize) n->n_outputs) : NULL;
      m->n_attrs = n->n_attrs;
      m->attrs = n->n_attrs > 0 ? g_new0 (PlAttr, n->n_attrs) : NULL;
      for (gint a = 0; a < n->n_attrs; a++)
        pl_attr_copy (&m->attrs[a], &n->attrs[a]);
      g_ptr_array_add (c->nodes, m);
    }

  g_array_append_vals (c->inputs, graph->inputs->data, graph->inputs->len);
  g_array_append_vals (c->outputs, graph->outputs->data, graph->outputs->len);
  return c;
}

gint
pl_graph_find_value (const PlGraph *graph, const char *name)
{
  g_return_val_if_fail (graph != NULL, -1);
  if (name == NULL)
    return -1;
  return GPOINTER_TO_INT (g_hash_table_lookup (graph->value_index, name)) - 1;
}

gint
pl_graph_add_value (PlGraph *graph, const char *name)
{
  g_return_val_if_fail (graph != NULL, -1);
  g_return_val_if_fail (name != NULL, -1);

  gint id = pl_graph_find_value (graph, name);
  if (id >= 0)
    return id;

  PlValue *v = g_new0 (PlValue, 1);
  v->name = g_strdup (name);
  v->ndim = -1;
  id = (gint) graph->values->len;
  g_ptr_array_add (graph->values, v);
  g_hash_table_insert (graph->value_index, g_strdup (name), GINT_TO_POINTER (id + 1));
  return id;
}

static gboolean
id_array_contains (GArray *a, gint id)
{
  for (guint i = 0; i < a->len; i++)
    if (g_array_index (a, gint, i) == id)
      return TRUE;
  return FALSE;
}

gint
pl_graph_add_initializer (PlGraph *graph, const char *name, PlTensor *tensor)
{
  g_return_val_if_fail (graph != NULL, -1);
  g_return_val_if_fail (name != NULL, -1);
  g_return_val_if_fail (tensor != NULL, -1);

  gint id = pl_graph_add_value (graph, name);
  PlValue *v = pl_graph_value (graph, id);
  PlTensor *old = v->init;
  v->init = pl_tensor_ref (tensor);
  pl_tensor_unref (old);
  if (v->mask != NULL && !pl_tensor_same_shape (v->mask, tensor))
    g_clear_pointer (&v->mask, pl_tensor_unref);
  v->ndim = tensor->ndim;
  memset (v->shape, 0, sizeof v->shape);
  for (gint i = 0; i < tensor->ndim; i++)
    v->shape[i] = tensor->shape[i];
  g_clear_pointer (&v->dim_param0, g_free);

  /* An initializer is not a graph input in our model. */
  for (guint i = 0; i < graph->inputs->len; i++)
    if (g_array_index (graph->inputs, gint, i) == id)
      {
        g_array_remove_index (graph->inputs, i);
        break;
      }
  return id;
}

gint
pl_graph_add_input (PlGraph *graph, const char *name, gint ndim, const gint64 *shape)
{
  g_return_val_if_fail (graph != NULL, -1);
  g_return_val_if_fail (name != NULL, -1);
  g_return_val_if_fail (ndim >= -1 && ndim <= PL_TENSOR_MAX_DIMS, -1);
  g_return_val_if_fail (ndim <= 0 || shape != NULL, -1);

  gint id = pl_graph_add_value (graph, name);
  PlValue *v = pl_graph_value (graph, id);
  v->ndim = ndim;
  memset (v->shape, 0, sizeof v->shape);
  for (gint i = 0; i < ndim; i++)
    v->shape[i] = shape[i] < 0 ? -1 : shape[i];
  if (!id_array_contains (graph->inputs, id))
    g_array_append_val (graph->inputs, id);
  return id;
}

void
pl_graph_add_output (PlGraph *graph, const char *name)
{
  g_return_if_fail (graph != NULL);
  g_return_if_fail (name != NULL);

  gint id = pl_graph_add_value (graph, name);
  if (!id_array_contains (graph->outputs, id))
    g_array_append_val (graph->outputs, id);
}

PlNode *
pl_graph_add_node (PlGraph *graph, const char *op_type, const char *name,
                   gint n_inputs, const char *const *inputs,
                   gint n_outputs, const char *const *outputs)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_return_val_if_fail (op_type != NULL, NULL);
  g_return_val_if_fail (n_inputs >= 0 && (n_inputs == 0 || inputs != NULL), NULL);
  g_return_val_if_fail (n_outputs >= 0 && (n_outputs == 0 || outputs != NULL), NULL);

  PlNode *n = g_new0 (PlNode, 1);
  n->name = g_strdup (name ? name : "");
  n->op_type = g_strdup (op_type);
  n->domain = g_strdup ("");
  n->n_inputs = n_inputs;
  n->inputs = n_inputs > 0 ? g_new (gint, n_inputs) : NULL;
  for (gint i = 0; i < n_inputs; i++)
    n->inputs[i] = (inputs[i] == NULL || inputs[i][0] == '\0')
                   ? -1 : pl_graph_add_value (graph, inputs[i]);
  n->n_outputs = n_outputs;
  n->outputs = n_outputs > 0 ? g_new (gint, n_outputs) : NULL;
  for (gint i = 0; i < n_outputs; i++)
    n->outputs[i] = (outputs[i] == NULL || outputs[i][0] == '\0')
                    ? -1 : pl_graph_add_value (graph, outputs[i]);
  g_ptr_array_add (graph->nodes, n);
  return n;
}

/* ---------------------------------------------------------------- attributes */

/* Returns a cleared attribute slot named name (existing one replaced, else appended). */
static PlAttr *
node_attr_slot (PlNode *node, const char *name)
{
  for (gint i = 0; i < node->n_attrs; i++)
    if (g_strcmp0 (node->attrs[i].name, name) == 0)
      {
        pl_attr_clear (&node->attrs[i]);
        memset (&node->attrs[i], 0, sizeof (PlAttr));
        node->attrs[i].name = g_strdup (name);
        return &node->attrs[i];
      }
  node->attrs = g_renew (PlAttr, node->attrs, node->n_attrs + 1);
  PlAttr *a = &node->attrs[node->n_attrs++];
  memset (a, 0, sizeof (PlAttr));
  a->name = g_strdup (name);
  return a;
}

void
pl_node_set_int (PlNode *node, const char *name, gint64 value)
{
  g_return_if_fail (node != NULL && name != NULL);
  PlAttr *a = node_attr_slot (node, name);
  a->type = PL_ATTR_INT;
  a->i = value;
}

void
pl_node_set_float (PlNode *node, const char *name, float value)
{
  g_return_if_fail (node != NULL && name != NULL);
  PlAttr *a = node_attr_slot (node, name);
  a->type = PL_ATTR_FLOAT;
  a->f = value;
}

void
pl_node_set_ints (PlNode *node, const char *name, gint n, const gint64 *values)
{
  g_return_if_fail (node != NULL && name != NULL);
  g_return_if_fail (n >= 0 && (n == 0 || values != NULL));
  PlAttr *a = node_attr_slot (node, name);
  a->type = PL_ATTR_INTS;
  a->n = n;
  /* An empty list (legal ONNX, e.g. kernel_shape = []) still gets a buffer, so that
   * memcpy (dst, a->ints, 0) never receives NULL (found by tests/fuzz). */
  a->ints = g_malloc0 (sizeof (gint64) * (gsize) MAX (n, 1));
  if (n > 0)
    memcpy (a->ints, values, sizeof (gint64) * (gsize) n);
}

void
pl_node_set_floats (PlNode *node, const char *name, gint n, const float *values)
{
  g_return_if_fail (node != NULL && name != NULL);
  g_return_if_fail (n >= 0 && (n == 0 || values != NULL));
  PlAttr *a = node_attr_slot (node, name);
  a->type = PL_ATTR_FLOATS;
  a->n = n;
  a->floats = g_malloc0 (sizeof (float) * (gsize) MAX (n, 1));
  if (n > 0)
    memcpy (a->floats, values, sizeof (float) * (gsize) n);
}

void
pl_node_set_string (PlNode *node, const char *name, const char *value)
{
  g_return_if_fail (node != NULL && name != NULL);
  PlAttr *a = node_attr_slot (node, name);
  a->type = PL_ATTR_STRING;
  a->s = g_strdup (value ? value : "");
}

void
pl_node_set_tensor (PlNode *node, const char *name, PlTensor *tensor)
{
  g_return_if_fail (node != NULL && name != NULL && tensor != NULL);
  PlTensor *ref = pl_tensor_ref (tensor);   /* before the slot drops an old reference */
  PlAttr *a = node_attr_slot (node, name);
  a->type = PL_ATTR_TENSOR;
  a->t = ref;
}

const PlAttr *
pl_node_get_attr (const PlNode *node, const char *name)
{
  g_return_val_if_fail (node != NULL, NULL);
  if (name == NULL)
    return NULL;
  for (gint i = 0; i < node->n_attrs; i++)
    if (g_strcmp0 (node->attrs[i].name, name) == 0)
      return &node->attrs[i];
  return NULL;
}

gint64
pl_node_get_int (const PlNode *node, const char *name, gint64 default_value)
{
  const PlAttr *a = pl_node_get_attr (node, name);
  if (a == NULL)
    return default_value;
  if (a->type == PL_ATTR_INT)
    return a->i;
  if (a->type == PL_ATTR_FLOAT)
    {
      /* A FLOAT where an INT is expected: converted when representable, NaN gives the
       * default and out-of-range values saturate (a plain cast is undefined behaviour;
       * found by tests/fuzz). */
      if (isnan (a->f))
        return default_value;
      if (a->f >= 0x1p63f)
        return G_MAXINT64;
      if (a->f < -0x1p63f)
        return G_MININT64;
      return (gint64) a->f;
    }
  return default_value;
}

float
pl_node_get_float (const PlNode *node, const char *name, float default_value)
{
  const PlAttr *a = pl_node_get_attr (node, name);
  if (a == NULL)
    return default_value;
  if (a->type == PL_ATTR_FLOAT)
    return a->f;
  if (a->type == PL_ATTR_INT)
    return (float) a->i;
  return default_value;
}

/* ---------------------------------------------------------------- validation */

static const char *
node_label (const PlNode *n)
{
  return (n->name && n->name[0]) ? n->name : "(unnamed)";
}

gboolean
pl_graph_validate (PlGraph *graph, GError **error)
{
  g_return_val_if_fail (graph != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  guint n_values = graph->values->len;
  guint n_nodes = graph->nodes->len;
  /* producer[v]: node index + 1 that produces v, 0 if none. */
  g_autofree guint *producer = g_new0 (guint, n_values);
  g_autofree gboolean *available = g_new0 (gboolean, n_values);

  for (guint i = 0; i < graph->inputs->len; i++)
    {
      gint id = g_array_index (graph->inputs, gint, i);
      if (id < 0 || (guint) id >= n_values)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "Graph input %u refers to a missing value (id %d)", i, id);
          return FALSE;
        }
      available[id] = TRUE;
    }
  for (guint v = 0; v < n_values; v++)
    if (pl_graph_value (graph, v)->init != NULL)
      available[v] = TRUE;

  for (guint k = 0; k < n_nodes; k++)
    {
      const PlNode *n = g_ptr_array_index (graph->nodes, k);
      for (gint i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] < -1 || n->inputs[i] >= (gint) n_values)
          {
            g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                         "Node '%s' (%s): input %d refers to a missing value (id %d)",
                         node_label (n), n->op_type, i, n->inputs[i]);
            return FALSE;
          }
      for (gint o = 0; o < n->n_outputs; o++)
        {
          gint id = n->outputs[o];
          if (id == -1)
            continue;
          if (id < 0 || id >= (gint) n_values)
            {
              g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                           "Node '%s' (%s): output %d refers to a missing value (id %d)",
                           node_label (n), n->op_type, o, id);
              return FALSE;
            }
          const PlValue *v = pl_graph_value (graph, id);
          if (producer[id] != 0)
            {
              const PlNode *other = g_ptr_array_index (graph->nodes, producer[id] - 1);
              g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                           "Node '%s' (%s) writes value '%s', which node '%s' (%s) already produces",
                           node_label (n), n->op_type, v->name,
                           node_label (other), other->op_type);
              return FALSE;
            }
          if (available[id])
            {
              g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                           "Node '%s' (%s) writes value '%s', which is a graph input or an initializer",
                           node_label (n), n->op_type, v->name);
              return FALSE;
            }
          producer[id] = k + 1;
        }
    }

  /* Undefined inputs: neither available nor produced by any node. */
  for (guint k = 0; k < n_nodes; k++)
    {
      const PlNode *n = g_ptr_array_index (graph->nodes, k);
      for (gint i = 0; i < n->n_inputs; i++)
        {
          gint id = n->inputs[i];
          if (id >= 0 && !available[id] && producer[id] == 0)
            {
              g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                           "Node '%s' (%s) uses input '%s', which is not a graph input, "
                           "an initializer or the output of any node",
                           node_label (n), n->op_type, pl_graph_value (graph, id)->name);
              return FALSE;
            }
        }
    }

  /* Topological sort (Kahn), stable: keeps the original order where possible. */
  g_autofree gboolean *done = g_new0 (gboolean, n_nodes);
  g_autoptr (GPtrArray) order = g_ptr_array_sized_new (n_nodes);
  gboolean reordered = FALSE;
  guint n_done = 0;
  guint first = 0;   /* every node before first is done */
  while (n_done < n_nodes)
    {
      gboolean progress = FALSE;
      while (first < n_nodes && done[first])
        first++;
      for (guint k = first; k < n_nodes; k++)
        {
          if (done[k])
            continue;
          const PlNode *n = g_ptr_array_index (graph->nodes, k);
          gboolean ready = TRUE;
          for (gint i = 0; i < n->n_inputs && ready; i++)
            if (n->inputs[i] >= 0 && !available[n->inputs[i]])
              ready = FALSE;
          if (!ready)
            continue;
          if (order->len != k)
            reordered = TRUE;
          done[k] = TRUE;
          n_done++;
          g_ptr_array_add (order, (gpointer) n);
          for (gint o = 0; o < n->n_outputs; o++)
            if (n->outputs[o] >= 0)
              available[n->outputs[o]] = TRUE;
          progress = TRUE;
          /* Restart so the earliest ready node comes next (stable order). */
          break;
        }
      if (!progress)
        {
          for (guint k = 0; k < n_nodes; k++)
            if (!done[k])
              {
                const PlNode *n = g_ptr_array_index (graph->nodes, k);
                g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                             "Node '%s' (%s) is part of a cycle: its inputs depend on its own outputs",
                             node_label (n), n->op_type);
                return FALSE;
              }
        }
    }

  for (guint i = 0; i < graph->outputs->len; i++)
    {
      gint id = g_array_index (graph->outputs, gint, i);
      if (id < 0 || (guint) id >= n_values)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "Graph output %u refers to a missing value (id %d)", i, id);
          return FALSE;
        }
      if (!available[id])
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "Graph output '%s' is not produced by any node",
                       pl_graph_value (graph, id)->name);
          return FALSE;
        }
    }

  if (reordered)
    {
      /* Move the nodes into the sorted order without freeing them. */
      g_ptr_array_set_free_func (graph->nodes, NULL);
      g_ptr_array_set_size (graph->nodes, 0);
      for (guint k = 0; k < order->len; k++)
        g_ptr_array_add (graph->nodes, g_ptr_array_index (order, k));
      g_ptr_array_set_free_func (graph->nodes, pl_node_free);
    }
  return TRUE;
}

/* ---------------------------------------------------------------- parameters */

static gboolean
is_weighted_op (const PlNode *n)
{
  if (n->domain != NULL && n->domain[0] != '\0' && g_strcmp0 (n->domain, "ai.onnx") != 0)
    return FALSE;
  return g_str_equal (n->op_type, "Conv") || g_str_equal (n->op_type, "Gemm")
         || g_str_equal (n->op_type, "MatMul");
}

GArray *
pl_graph_prunable_weights (const PlGraph *graph)
{
  g_return_val_if_fail (graph != NULL, NULL);
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint));
  for (guint k = 0; k < graph->nodes->len; k++)
    {
      const PlNode *n = g_ptr_array_index (graph->nodes, k);
      if (!is_weighted_op (n) || n->n_inputs < 2)
        continue;
      gint id = n->inputs[1];
      if (id < 0 || (guint) id >= graph->values->len)
        continue;
      if (pl_graph_value (graph, id)->init == NULL)
        continue;
      if (!id_array_contains (ids, id))
        g_array_append_val (ids, id);
    }
  return ids;
}

gint64
pl_graph_n_parameters (const PlGraph *graph)
{
  g_return_val_if_fail (graph != NULL, 0);
  guint n_values = graph->values->len;
  g_autofree gboolean *counted = g_new0 (gboolean, n_values > 0 ? n_values : 1);
  gint64 total = 0;
  for (guint k = 0; k < graph->nodes->len; k++)
    {
      const PlNode *n = g_ptr_array_index (graph->nodes, k);
      for (gint i = 0; i < n->n_inputs; i++)
        {
          gint id = n->inputs[i];
          if (id < 0 || (guint) id >= n_values || counted[id])
            continue;
          const PlValue *v = pl_graph_value (graph, id);
          if (v->init == NULL)
            continue;
          counted[id] = TRUE;
          /* Integer initializers (Reshape shapes, axes, indices) are not parameters. */
          if (v->elem_type != 0 && v->elem_type != 1 && v->elem_type != 10
              && v->elem_type != 11 && v->elem_type != 16)
            continue;
          total += v->init->numel;
        }
    }
  return total;
}

double
pl_graph_weight_sparsity (const PlGraph *graph)
{
  g_return_val_if_fail (graph != NULL, 0.0);
  g_autoptr (GArray) ids = pl_graph_prunable_weights (graph);
  gint64 zeros = 0, total = 0;
  for (guint i = 0; i < ids->len; i++)
    {
      const PlValue *v = pl_graph_value (graph, g_array_index (ids, gint, i));
      const PlTensor *w = v->init;
      const PlTensor *m = (v->mask && v->mask->numel == w->numel) ? v->mask : NULL;
      for (gint64 j = 0; j < w->numel; j++)
        if (w->data[j] == 0.0f || (m != NULL && m->data[j] == 0.0f))
          zeros++;
      total += w->numel;
    }
  return total > 0 ? (double) zeros / (double) total : 0.0;
}

gint
pl_graph_sample_shape (const PlGraph *graph, gint64 *shape_out)
{
  g_return_val_if_fail (graph != NULL, -1);
  if (graph->inputs->len == 0)
    return -1;
  gint id = g_array_index (graph->inputs, gint, 0);
  if (id < 0 || (guint) id >= graph->values->len)
    return -1;
  const PlValue *v = pl_graph_value (graph, id);
  if (v->ndim < 1)
    return -1;
  for (gint i = 1; i < v->ndim; i++)
    if (v->shape[i] < 0)
      return -1;
  for (gint i = 1; i < v->ndim; i++)
    if (shape_out != NULL)
      shape_out[i - 1] = v->shape[i];
  return v->ndim - 1;
}

/* ---- folding the shape subgraph of x.view (x.size (0), -1) ---- */

/* The node producing value id, or NULL (graph input, initializer, undefined). */
static PlNode *
producer_of (const PlGraph *g, gint id)
{
  if (id < 0)
    return NULL;
  for (guint k = 0; k < g->nodes->len; k++)
    {
      PlNode *n = g_ptr_array_index (g->nodes, k);
      for (gint o = 0; o < n->n_outputs; o++)
        if (n->outputs[o] == id)
          return n;
    }
  return NULL;
}

static gint
n_consumers (const PlGraph *g, gint id)
{
  gint count = 0;
  for (guint k = 0; k < g->nodes->len; k++)
    {
      const PlNode *n = g_ptr_array_index (g->nodes, k);
      for (gint i = 0; i < n->n_inputs; i++)
        count += n->inputs[i] == id;
    }
  for (guint i = 0; i < g->outputs->len; i++)
    count += g_array_index (g->outputs, gint, i) == id;
  return count;
}

/* The constant tensor of value id: an initializer or the `value` / `value_int(s)` of a
 * Constant node. New reference or NULL. */
static PlTensor *
constant_of (const PlGraph *g, gint id)
{
  if (id < 0)
    return NULL;
  const PlValue *v = pl_graph_value (g, id);
  if (v->init != NULL)
    return pl_tensor_ref (v->init);
  const PlNode *p = producer_of (g, id);
  if (p == NULL || strcmp (p->op_type, "Constant") != 0 || p->n_outputs != 1)
    return NULL;
  const PlAttr *a = pl_node_get_attr (p, "value");
  if (a != NULL && a->type == PL_ATTR_TENSOR && a->t != NULL)
    return pl_tensor_ref (a->t);
  a = pl_node_get_attr (p, "value_ints");
  if (a != NULL && a->type == PL_ATTR_INTS)
    {
      PlTensor *t = pl_tensor_new_1d (a->n);
      for (gint i = 0; i < a->n; i++)
        t->data[i] = (float) a->ints[i];
      return t;
    }
  a = pl_node_get_attr (p, "value_int");
  if (a != NULL && a->type == PL_ATTR_INT)
    {
      PlTensor *t = pl_tensor_new (0, NULL, NULL);
      if (t != NULL)
        t->data[0] = (float) a->i;
      return t;
    }
  return NULL;
}

/* If value id is the batch size of data taken from its shape — Shape (data) →
 * Gather (axis 0, index 0 or [0]) → optionally Unsqueeze (axes [0]) — returns TRUE. */
static gboolean
is_dim0_of (const PlGraph *g, gint id, gint data)
{
  const PlNode *p = producer_of (g, id);
  if (p != NULL && strcmp (p->op_type, "Unsqueeze") == 0 && p->n_inputs >= 1)
    {
      g_autoptr (PlTensor) axes = p->n_inputs >= 2 ? constant_of (g, p->inputs[1]) : NULL;
      const PlAttr *a = pl_node_get_attr (p, "axes");
      gboolean axis0 = axes != NULL
          ? axes->numel == 1 && axes->data[0] == 0.0f
          : a != NULL && a->type == PL_ATTR_INTS && a->n == 1 && a->ints[0] == 0;
      if (!axis0)
        return FALSE;
      /* The Gather must give a scalar: unsqueezing [1] would give [1, 1]. */
      const PlNode *gather = producer_of (g, p->inputs[0]);
      if (gather == NULL || strcmp (gather->op_type, "Gather") != 0 || gather->n_inputs != 2)
        return FALSE;
      g_autoptr (PlTensor) idx = constant_of (g, gather->inputs[1]);
      if (idx == NULL || idx->ndim != 0)
        return FALSE;
      return is_dim0_of (g, p->inputs[0], data);
    }
  if (p == NULL || strcmp (p->op_type, "Gather") != 0 || p->n_inputs != 2
      || pl_node_get_int (p, "axis", 0) != 0)
    return FALSE;
  g_autoptr (PlTensor) idx = constant_of (g, p->inputs[1]);
  if (idx == NULL || idx->numel != 1 || idx->ndim > 1 || idx->data[0] != 0.0f)
    return FALSE;
  const PlNode *shape = producer_of (g, p->inputs[0]);
  return shape != NULL && strcmp (shape->op_type, "Shape") == 0 && shape->n_inputs == 1
         && shape->inputs[0] == data && pl_node_get_int (shape, "start", 0) == 0;
}

/* Removes node index from graph, and the initializers only it read. */
static void
remove_node (PlGraph *graph, guint index)
{
  const PlNode *d = g_ptr_array_index (graph->nodes, index);
  g_autoptr (GArray) ins = g_array_new (FALSE, FALSE, sizeof (gint));
  g_array_append_vals (ins, d->inputs, d->n_inputs);
  g_ptr_array_remove_index (graph->nodes, index);
  for (guint i = 0; i < ins->len; i++)
    {
      gint in = g_array_index (ins, gint, i);
      if (in < 0)
        continue;
      PlValue *v = pl_graph_value (graph, in);
      if (v->init != NULL && !id_array_contains (graph->inputs, in)
          && n_consumers (graph, in) == 0)
        {
          g_clear_pointer (&v->init, pl_tensor_unref);
          g_clear_pointer (&v->mask, pl_tensor_unref);
          v->ndim = -1;
        }
    }
}

static gboolean
is_shape_subgraph_op (const PlNode *n)
{
  static const char *const ops[] = { "Shape", "Gather", "Unsqueeze", "Concat", "Constant", NULL };
  if (n->domain != NULL && n->domain[0] != '\0')
    return FALSE;
  for (gint i = 0; ops[i] != NULL; i++)
    if (strcmp (n->op_type, ops[i]) == 0)
      return TRUE;
  return FALSE;
}

gint
pl_graph_fold_shape_subgraphs (PlGraph *graph)
{
  g_return_val_if_fail (graph != NULL, 0);
  gint folded = 0;
  for (guint k = 0; k < graph->nodes->len; k++)
    {
      PlNode *n = g_ptr_array_index (graph->nodes, k);
      if (strcmp (n->op_type, "Reshape") != 0 || (n->domain != NULL && n->domain[0] != '\0')
          || n->n_inputs != 2 || n->inputs[0] < 0 || n->inputs[1] < 0
          || pl_node_get_int (n, "allowzero", 0) != 0
          || pl_graph_value (graph, n->inputs[1])->init != NULL)
        continue;
      gint data = n->inputs[0], sid = n->inputs[1];
      PlNode *concat = producer_of (graph, sid);
      if (concat == NULL || strcmp (concat->op_type, "Concat") != 0 || concat->n_inputs < 1
          || (pl_node_get_int (concat, "axis", 0) != 0 && pl_node_get_int (concat, "axis", 0) != -1))
        continue;
      g_autoptr (GArray) dims = g_array_new (FALSE, FALSE, sizeof (float));
      gboolean ok = TRUE;
      for (gint i = 0; i < concat->n_inputs && ok; i++)
        {
          g_autoptr (PlTensor) c = constant_of (graph, concat->inputs[i]);
          if (c != NULL)
            {
              if (c->ndim != 1)
                ok = FALSE;
              for (gint64 j = 0; ok && j < c->numel; j++)
                {
                  float d = c->data[j];
                  ok = d == floorf (d) && d >= -1.0f;
                  /* An explicit 0 copies the input dimension (allowzero 0): keep it. */
                  g_array_append_val (dims, d);
                }
            }
          else if (dims->len == 0 && is_dim0_of (graph, concat->inputs[i], data))
            {
              /* Dimension 0 of the data at position 0: Reshape's 0 copies it. */
              float zero = 0.0f;
              g_array_append_val (dims, zero);
            }
          else
            ok = FALSE;
        }
      if (!ok || dims->len == 0 || dims->len > PL_TENSOR_MAX_DIMS)
        continue;
      g_autoptr (PlTensor) shape = pl_tensor_new_1d (dims->len);
      memcpy (shape->data, dims->data, dims->len * sizeof (float));
      if (n_consumers (graph, sid) != 1)
        {
          /* The computed shape is used elsewhere too: give the Reshape its own constant;
           * the Concat and its inputs stay for the other readers. */
          g_autofree char *name = NULL;
          for (gint s = 0; name == NULL || pl_graph_find_value (graph, name) >= 0; s++)
            {
              g_free (name);
              name = g_strdup_printf ("%s_folded%d", pl_graph_value (graph, sid)->name, s);
            }
          sid = pl_graph_add_initializer (graph, name, shape);
          n->inputs[1] = sid;
          pl_graph_value (graph, sid)->elem_type = 7;  /* INT64 */
          folded++;
          continue;
        }
      /* The Concat's output becomes the constant; drop the Concat, then (worklist) the
       * Shape / Gather / Unsqueeze / Concat / Constant nodes that fed it and have no
       * reader left, with the initializers only they read. */
      g_autoptr (GArray) work = g_array_new (FALSE, FALSE, sizeof (gint));
      g_array_append_vals (work, concat->inputs, concat->n_inputs);
      guint ci = 0;
      g_ptr_array_find (graph->nodes, concat, &ci);
      remove_node (graph, ci);
      pl_graph_add_initializer (graph, pl_graph_value (graph, sid)->name, shape);
      pl_graph_value (graph, sid)->elem_type = 7;  /* INT64 */
      folded++;
      while (work->len > 0)
        {
          gint v = g_array_index (work, gint, work->len - 1);
          g_array_set_size (work, work->len - 1);
          PlNode *d = producer_of (graph, v);
          if (d == NULL || !is_shape_subgraph_op (d))
            continue;
          gboolean dead = TRUE;
          for (gint o = 0; o < d->n_outputs && dead; o++)
            dead = n_consumers (graph, d->outputs[o]) == 0;
          if (!dead)
            continue;
          g_array_append_vals (work, d->inputs, d->n_inputs);
          guint di = 0;
          g_ptr_array_find (graph->nodes, d, &di);
          remove_node (graph, di);
        }
      /* Nodes before n may have moved: continue from n's new index. */
      guint ni = 0;
      if (!g_ptr_array_find (graph->nodes, n, &ni))
        break;
      k = ni;
    }
  return folded;
}
