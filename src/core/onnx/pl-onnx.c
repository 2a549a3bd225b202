/* pl-onnx.c — reading and writing ONNX models through protobuf-c.
 *
 * Source: onnx.proto (IR version 8), https://github.com/onnx/onnx/blob/main/docs/IR.md
 */
#include "config.h"
#include "onnx/pl-onnx.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pl-error.h"
#include "onnx.pb-c.h"

#include <math.h>
#include <string.h>

/* protobuf messages are limited to 2 GiB. */
#define PL_ONNX_MAX_BYTES (G_GUINT64_CONSTANT (2) << 30)

#define DT(x) ONNX__TENSOR_PROTO__DATA_TYPE__##x

static const char *
data_type_name (gint32 dt)
{
  switch (dt)
    {
    case DT (UNDEFINED): return "UNDEFINED";
    case DT (FLOAT): return "FLOAT";
    case DT (UINT8): return "UINT8";
    case DT (INT8): return "INT8";
    case DT (UINT16): return "UINT16";
    case DT (INT16): return "INT16";
    case DT (INT32): return "INT32";
    case DT (INT64): return "INT64";
    case DT (STRING): return "STRING";
    case DT (BOOL): return "BOOL";
    case DT (FLOAT16): return "FLOAT16";
    case DT (DOUBLE): return "DOUBLE";
    case DT (UINT32): return "UINT32";
    case DT (UINT64): return "UINT64";
    case DT (COMPLEX64): return "COMPLEX64";
    case DT (COMPLEX128): return "COMPLEX128";
    case DT (BFLOAT16): return "BFLOAT16";
    default: return "unknown";
    }
}

/* Integer types we hold as float (when every value is exactly representable):
 * returns the element size in raw_data, or 0 if dt is not such a type. */
static gsize
int_type_size (gint32 dt)
{
  switch (dt)
    {
    case DT (INT64): return 8;
    case DT (INT32): return 4;
    case DT (INT16): case DT (UINT16): return 2;
    case DT (INT8): case DT (UINT8): case DT (BOOL): return 1;
    default: return 0;
    }
}

static gboolean
int_type_signed (gint32 dt)
{
  return dt == DT (INT64) || dt == DT (INT32) || dt == DT (INT16) || dt == DT (INT8);
}

/* TRUE if v converts to float32 and back without change. */
static gboolean
int64_exact_in_float (gint64 v)
{
  float f = (float) v;
  if (f >= 0x1p63f || f < -0x1p63f)
    return FALSE;
  return (gint64) f == v;
}

static gint64
read_int_le (const guint8 *p, gsize size, gboolean is_signed)
{
  guint64 u = 0;
  for (gsize b = 0; b < size; b++)
    u |= (guint64) p[b] << (8 * b);
  if (is_signed && size < 8 && (u >> (8 * size - 1)) & 1)
    u |= ~((G_GUINT64_CONSTANT (1) << (8 * size)) - 1);
  return (gint64) u;
}

/* Converts a TensorProto to a float tensor.
 * src: file/model name for messages; what: "initializer", "attribute", "tensor". */
static PlTensor *
tensor_from_proto (const Onnx__TensorProto *tp, const char *src, const char *what,
                   const char *name, GError **error)
{
  if (name == NULL || name[0] == '\0')
    name = tp->name && tp->name[0] ? tp->name : "(unnamed)";

  if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                   "%s: %s '%s' keeps its data in an external file; external data is not "
                   "supported yet (save the model with all tensors inside the .onnx file)",
                   src, what, name);
      return NULL;
    }
  if (tp->segment != NULL)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                   "%s: %s '%s' is split into segments, which is not supported", src, what, name);
      return NULL;
    }
  if (tp->n_dims > PL_TENSOR_MAX_DIMS)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                   "%s: %s '%s' has %" G_GSIZE_FORMAT " dimensions; at most %d are supported",
                   src, what, name, tp->n_dims, PL_TENSOR_MAX_DIMS);
      return NULL;
    }
  gint ndim = (gint) tp->n_dims;
  gint64 shape[PL_TENSOR_MAX_DIMS] = { 0 };
  for (gint i = 0; i < ndim; i++)
    shape[i] = tp->dims[i];
  gint64 numel = pl_shape_numel (ndim, shape);
  if (numel < 0)
    {
      g_autofree char *s = pl_tensor_shape_string (ndim, shape);
      for (gint i = 0; i < ndim; i++)
        if (shape[i] < 0)
          {
            g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                         "%s: %s '%s' has a negative dimension (%" G_GINT64_FORMAT " at axis %d)",
                         src, what, name, shape[i], i);
            return NULL;
          }
      g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                   "%s: %s '%s' has an absurd shape %s (more than %" G_GINT64_FORMAT " elements)",
                   src, what, name, s, (gint64) PL_TENSOR_MAX_ELEMENTS);
      return NULL;
    }

  gint32 dt = tp->has_data_type ? tp->data_type : DT (UNDEFINED);
  gsize isize = int_type_size (dt);
  if (dt != DT (FLOAT) && isize == 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                   "%s: %s '%s' has data type %s (%d); only FLOAT and integer types "
                   "(INT64, INT32, INT16, INT8, UINT16, UINT8, BOOL) are supported",
                   src, what, name, data_type_name (dt), dt);
      return NULL;
    }

  gsize esize = dt == DT (FLOAT) ? 4 : isize;
  gboolean use_raw = tp->has_raw_data && tp->raw_data.len > 0;
  gsize n_typed = 0;
  switch (dt)
    {
    case DT (FLOAT): n_typed = tp->n_float_data; break;
    case DT (INT64): n_typed = tp->n_int64_data; break;
    default: n_typed = tp->n_int32_data; break;
    }
  if (!use_raw && n_typed == 0 && tp->has_raw_data)
    use_raw = TRUE;   /* empty raw_data: only valid for numel == 0 */

  if (use_raw)
    {
      if ((guint64) tp->raw_data.len != (guint64) numel * esize)
        {
          g_autofree char *s = pl_tensor_shape_string (ndim, shape);
          g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                       "%s: %s '%s' has %" G_GSIZE_FORMAT " bytes of raw data, but its shape %s "
                       "of %s needs %" G_GUINT64_FORMAT " bytes",
                       src, what, name, tp->raw_data.len, s, data_type_name (dt),
                       (guint64) numel * esize);
          return NULL;
        }
    }
  else if ((guint64) n_typed != (guint64) numel)
    {
      g_autofree char *s = pl_tensor_shape_string (ndim, shape);
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: %s '%s' has %" G_GSIZE_FORMAT " values, but its shape %s needs %"
                   G_GINT64_FORMAT, src, what, name, n_typed, s, numel);
      return NULL;
    }

  g_autoptr (GError) local = NULL;
  g_autoptr (PlTensor) t = pl_tensor_new (ndim, shape, &local);
  if (t == NULL)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE, "%s: %s '%s': %s",
                   src, what, name, local->message);
      return NULL;
    }

  if (dt == DT (FLOAT))
    {
      if (use_raw && G_BYTE_ORDER == G_LITTLE_ENDIAN)
        {
          if (numel > 0)
            memcpy (t->data, tp->raw_data.data, (gsize) numel * sizeof (float));
        }
      else if (use_raw)
        {
          const guint8 *p = tp->raw_data.data;
          for (gint64 i = 0; i < numel; i++)
            {
              guint32 u = (guint32) p[4 * i] | (guint32) p[4 * i + 1] << 8
                          | (guint32) p[4 * i + 2] << 16 | (guint32) p[4 * i + 3] << 24;
              memcpy (&t->data[i], &u, 4);
            }
        }
      else if (numel > 0)
        memcpy (t->data, tp->float_data, (gsize) numel * sizeof (float));
      return g_steal_pointer (&t);
    }

  gboolean sgn = int_type_signed (dt);
  for (gint64 i = 0; i < numel; i++)
    {
      gint64 v;
      if (use_raw)
        v = read_int_le (tp->raw_data.data + (gsize) i * isize, isize, sgn);
      else if (dt == DT (INT64))
        v = tp->int64_data[i];
      else
        v = tp->int32_data[i];
      if (!int64_exact_in_float (v))
        {
          g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                       "%s: %s '%s' (%s) holds the value %" G_GINT64_FORMAT " at index %"
                       G_GINT64_FORMAT ", which PruneLens cannot represent exactly as float32",
                       src, what, name, data_type_name (dt), v, i);
          return NULL;
        }
      t->data[i] = (float) v;
    }
  return g_steal_pointer (&t);
}

/* Reads a value's type and shape from a ValueInfoProto into v. */
static gboolean
read_value_info (const Onnx__ValueInfoProto *vi, PlValue *v, const char *src,
                 const char *what, GError **error)
{
  const Onnx__TypeProto *type = vi->type;
  if (type == NULL || type->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET)
    return TRUE;   /* type unknown: keep ndim -1 */
  if (type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || type->tensor_type == NULL)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                   "%s: %s '%s' is not a tensor (sequences, maps, optionals and sparse "
                   "tensors are not supported)", src, what, vi->name);
      return FALSE;
    }
  const Onnx__TypeProto__Tensor *tt = type->tensor_type;
  if (tt->has_elem_type)
    {
      gint32 dt = tt->elem_type;
      if (dt != DT (FLOAT) && dt != DT (UNDEFINED) && int_type_size (dt) == 0)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                       "%s: %s '%s' has element type %s (%d); only FLOAT and integer "
                       "tensors are supported", src, what, vi->name, data_type_name (dt), dt);
          return FALSE;
        }
      v->elem_type = dt;
    }
  if (tt->shape == NULL)
    {
      v->ndim = -1;
      return TRUE;
    }
  if (tt->shape->n_dim > PL_TENSOR_MAX_DIMS)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                   "%s: %s '%s' has %" G_GSIZE_FORMAT " dimensions; at most %d are supported",
                   src, what, vi->name, tt->shape->n_dim, PL_TENSOR_MAX_DIMS);
      return FALSE;
    }
  gint ndim = (gint) tt->shape->n_dim;
  gint64 shape[PL_TENSOR_MAX_DIMS] = { 0 };
  const char *first_param = NULL;
  gint64 known = 1;
  for (gint i = 0; i < ndim; i++)
    {
      const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
      if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
        {
          if (d->dim_value < 0)
            {
              g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                           "%s: %s '%s' has a negative dimension (%" G_GINT64_FORMAT
                           " at axis %d)", src, what, vi->name, d->dim_value, i);
              return FALSE;
            }
          shape[i] = d->dim_value;
          if (d->dim_value > 0 && known > PL_TENSOR_MAX_ELEMENTS / d->dim_value)
            {
              g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                           "%s: %s '%s' has an absurd shape (more than %" G_GINT64_FORMAT
                           " elements)", src, what, vi->name, (gint64) PL_TENSOR_MAX_ELEMENTS);
              return FALSE;
            }
          known *= d->dim_value;
        }
      else
        {
          shape[i] = -1;
          if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
              && first_param == NULL && d->dim_param != NULL && d->dim_param[0] != '\0')
            first_param = d->dim_param;
        }
    }
  v->ndim = ndim;
  memset (v->shape, 0, sizeof v->shape);
  for (gint i = 0; i < ndim; i++)
    v->shape[i] = shape[i];
  g_free (v->dim_param0);
  v->dim_param0 = g_strdup (first_param);
  return TRUE;
}

static const char *
attr_type_name (Onnx__AttributeProto__AttributeType type)
{
  switch (type)
    {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH: return "GRAPH";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR: return "SPARSE_TENSOR";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO: return "TYPE_PROTO";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: return "STRINGS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS: return "TENSORS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS: return "GRAPHS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS: return "SPARSE_TENSORS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS: return "TYPE_PROTOS";
    default: return "unknown";
    }
}

static gboolean
read_attribute (PlNode *node, const Onnx__AttributeProto *ap, const char *src,
                GError **error)
{
  const char *nname = node->name[0] ? node->name : "(unnamed)";
  if (ap->name == NULL || ap->name[0] == '\0')
    {
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: node '%s' (%s) has an attribute without a name", src, nname,
                   node->op_type);
      return FALSE;
    }
  if (ap->ref_attr_name != NULL && ap->ref_attr_name[0] != '\0')
    {
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: node '%s' (%s): attribute '%s' refers to a function attribute, "
                   "which is only valid inside functions", src, nname, node->op_type, ap->name);
      return FALSE;
    }

  Onnx__AttributeProto__AttributeType type = ap->has_type ? ap->type
                                             : ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
  switch (type)
    {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
      pl_node_set_float (node, ap->name, ap->f);
      return TRUE;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
      pl_node_set_int (node, ap->name, ap->i);
      return TRUE;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
      {
        g_autofree char *s = g_strndup ((const char *) ap->s.data, ap->s.len);
        pl_node_set_string (node, ap->name, s);
        return TRUE;
      }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
      {
        gsize n = type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS ? ap->n_floats : ap->n_ints;
        if (n > (gsize) G_MAXINT / 8)
          {
            g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                         "%s: node '%s' (%s): attribute '%s' has too many values (%"
                         G_GSIZE_FORMAT ")", src, nname, node->op_type, ap->name, n);
            return FALSE;
          }
        if (type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS)
          pl_node_set_floats (node, ap->name, (gint) n, ap->floats);
        else
          pl_node_set_ints (node, ap->name, (gint) n, (const gint64 *) ap->ints);
        return TRUE;
      }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
      {
        if (ap->t == NULL)
          {
            g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                         "%s: node '%s' (%s): tensor attribute '%s' has no tensor",
                         src, nname, node->op_type, ap->name);
            return FALSE;
          }
        g_autofree char *what = g_strdup_printf ("node '%s' (%s): tensor attribute",
                                                 nname, node->op_type);
        g_autoptr (PlTensor) t = tensor_from_proto (ap->t, src, what, ap->name, error);
        if (t == NULL)
          return FALSE;
        pl_node_set_tensor (node, ap->name, t);
        PlAttr *a = (PlAttr *) pl_node_get_attr (node, ap->name);
        a->elem_type = ap->t->has_data_type ? ap->t->data_type : DT (FLOAT);
        return TRUE;
      }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED:
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: node '%s' (%s): attribute '%s' has no type", src, nname,
                   node->op_type, ap->name);
      return FALSE;
    default:
      g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                   "%s: node '%s' (%s): attribute '%s' has type %s, which is not supported "
                   "(only FLOAT, INT, STRING, TENSOR, FLOATS and INTS are)",
                   src, nname, node->op_type, ap->name, attr_type_name (type));
      return FALSE;
    }
}

static PlGraph *
graph_from_model (const Onnx__ModelProto *model, const char *src, GError **error)
{
  const Onnx__GraphProto *gp = model->graph;
  if (gp == NULL)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: not an ONNX model (no graph in the ModelProto)", src);
      return NULL;
    }
  if (gp->n_sparse_initializer > 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                   "%s: sparse initializers are not supported (first: '%s')", src,
                   gp->sparse_initializer[0]->values && gp->sparse_initializer[0]->values->name
                   ? gp->sparse_initializer[0]->values->name : "(unnamed)");
      return NULL;
    }

  g_autoptr (PlGraph) g = pl_graph_new ();
  g->ir_version = model->has_ir_version ? model->ir_version : 0;
  g->opset = 0;
  for (gsize i = 0; i < model->n_opset_import; i++)
    {
      const Onnx__OperatorSetIdProto *op = model->opset_import[i];
      if (op->domain == NULL || op->domain[0] == '\0' || g_str_equal (op->domain, "ai.onnx"))
        g->opset = op->has_version ? op->version : 0;
    }
  if (g->opset > PL_ONNX_MAX_OPSET)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                   "%s: the model uses ONNX opset %" G_GINT64_FORMAT " (default domain); "
                   "PruneLens knows the operator semantics up to opset %d — export the model "
                   "again with opset_version=%d or lower", src, (gint64) g->opset,
                   PL_ONNX_MAX_OPSET, PL_ONNX_MAX_OPSET);
      return NULL;
    }
  g_free (g->name);
  g->name = g_strdup (gp->name ? gp->name : "");
  g_free (g->producer_name);
  g->producer_name = g_strdup (model->producer_name ? model->producer_name : "");
  g_free (g->producer_version);
  g->producer_version = g_strdup (model->producer_version ? model->producer_version : "");
  g_free (g->doc_string);
  g->doc_string = g_strdup (model->doc_string ? model->doc_string
                            : gp->doc_string ? gp->doc_string : "");

  /* Names defined so far (initializers, inputs, outputs of earlier nodes). */
  g_autoptr (GHashTable) defined = g_hash_table_new (g_str_hash, g_str_equal);

  /* Estimate the memory the weights need as float32 before converting any: integer
   * initializers grow up to 4x (UINT8 -> float), so a file can ask for more than the
   * machine has (added by tests/fuzz hardening). Shapes that are themselves absurd are
   * refused below with their own message. */
  guint64 need = 0;
  for (gsize i = 0; i < gp->n_initializer; i++)
    {
      const Onnx__TensorProto *tp = gp->initializer[i];
      if (tp->n_dims > PL_TENSOR_MAX_DIMS)
        continue;
      gint64 dims[PL_TENSOR_MAX_DIMS] = { 0 };
      for (gsize d = 0; d < tp->n_dims; d++)
        dims[d] = tp->dims[d];
      gint64 numel = pl_shape_numel ((gint) tp->n_dims, dims);
      if (numel > 0)
        need += (guint64) numel * sizeof (float);
      if (need > G_MAXUINT64 / 4)
        break;   /* absurd already; no overflow */
    }
  long pages = sysconf (_SC_PHYS_PAGES), page_size = sysconf (_SC_PAGESIZE);
  guint64 phys = pages > 0 && page_size > 0 ? (guint64) pages * (guint64) page_size : 0;
  if (phys > 0 && need > phys / 2)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                   "%s: the model's %" G_GSIZE_FORMAT " initializers need %" G_GUINT64_FORMAT
                   " MiB as float32, more than half of this machine's %" G_GUINT64_FORMAT
                   " MiB of memory", src, gp->n_initializer, need >> 20, phys >> 20);
      return NULL;
    }

  for (gsize i = 0; i < gp->n_initializer; i++)
    {
      const Onnx__TensorProto *tp = gp->initializer[i];
      if (tp->name == NULL || tp->name[0] == '\0')
        {
          g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                       "%s: initializer %" G_GSIZE_FORMAT " has no name", src, i);
          return NULL;
        }
      if (g_hash_table_contains (defined, tp->name))
        {
          g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                       "%s: initializer '%s' is defined twice", src, tp->name);
          return NULL;
        }
      g_autoptr (PlTensor) t = tensor_from_proto (tp, src, "initializer", tp->name, error);
      if (t == NULL)
        return NULL;
      gint id = pl_graph_add_initializer (g, tp->name, t);
      pl_graph_value (g, id)->elem_type = tp->has_data_type ? tp->data_type : DT (FLOAT);
      g_hash_table_add (defined, tp->name);
    }

  for (gsize i = 0; i < gp->n_input; i++)
    {
      const Onnx__ValueInfoProto *vi = gp->input[i];
      if (vi->name == NULL || vi->name[0] == '\0')
        {
          g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                       "%s: graph input %" G_GSIZE_FORMAT " has no name", src, i);
          return NULL;
        }
      gint existing = pl_graph_find_value (g, vi->name);
      if (existing >= 0 && pl_graph_value (g, existing)->init != NULL)
        continue;   /* an initializer also listed as an input (IR < 4 style) */
      PlValue scratch = { 0 };
      scratch.ndim = -1;
      if (!read_value_info (vi, &scratch, src, "graph input", error))
        {
          g_free (scratch.dim_param0);
          return NULL;
        }
      gint id = pl_graph_add_input (g, vi->name, scratch.ndim, scratch.shape);
      PlValue *v = pl_graph_value (g, id);
      g_free (v->dim_param0);
      v->dim_param0 = scratch.dim_param0;
      v->elem_type = scratch.elem_type;
      g_hash_table_add (defined, vi->name);
    }

  for (gsize k = 0; k < gp->n_node; k++)
    {
      const Onnx__NodeProto *np = gp->node[k];
      const char *op_type = np->op_type ? np->op_type : "";
      const char *nname = np->name && np->name[0] ? np->name : NULL;
      g_autofree char *label = nname ? g_strdup_printf ("'%s'", nname)
                                     : g_strdup_printf ("%" G_GSIZE_FORMAT, k);
      if (op_type[0] == '\0')
        {
          g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                       "%s: node %s has no op_type", src, label);
          return NULL;
        }
      if (np->n_input > G_MAXINT / 2 || np->n_output > G_MAXINT / 2)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                       "%s: node %s (%s) has too many inputs or outputs", src, label, op_type);
          return NULL;
        }
      for (gsize i = 0; i < np->n_input; i++)
        {
          const char *in = np->input[i];
          if (in == NULL || in[0] == '\0')
            continue;
          if (!g_hash_table_contains (defined, in))
            {
              g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                           "%s: node %s (%s) uses input '%s', which is not a graph input, "
                           "an initializer or an output of an earlier node",
                           src, label, op_type, in);
              return NULL;
            }
        }
      for (gsize o = 0; o < np->n_output; o++)
        {
          const char *out = np->output[o];
          if (out == NULL || out[0] == '\0')
            continue;
          if (g_hash_table_contains (defined, out))
            {
              g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                           "%s: node %s (%s) writes '%s', which is already defined "
                           "(values must be assigned once)", src, label, op_type, out);
              return NULL;
            }
        }
      PlNode *node = pl_graph_add_node (g, op_type, nname,
                                        (gint) np->n_input, (const char *const *) np->input,
                                        (gint) np->n_output, (const char *const *) np->output);
      g_free (node->domain);
      node->domain = g_strdup (np->domain ? np->domain : "");
      for (gsize a = 0; a < np->n_attribute; a++)
        if (!read_attribute (node, np->attribute[a], src, error))
          return NULL;
      for (gsize o = 0; o < np->n_output; o++)
        if (np->output[o] != NULL && np->output[o][0] != '\0')
          g_hash_table_add (defined, np->output[o]);
    }

  for (gsize i = 0; i < gp->n_output; i++)
    {
      const Onnx__ValueInfoProto *vi = gp->output[i];
      if (vi->name == NULL || !g_hash_table_contains (defined, vi->name))
        {
          g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                       "%s: graph output '%s' is not produced by any node", src,
                       vi->name ? vi->name : "");
          return NULL;
        }
      pl_graph_add_output (g, vi->name);
      PlValue *v = pl_graph_value (g, pl_graph_find_value (g, vi->name));
      if (v->init == NULL && !read_value_info (vi, v, src, "graph output", error))
        return NULL;
    }

  /* Shapes of intermediate values, where the file gives them. */
  for (gsize i = 0; i < gp->n_value_info; i++)
    {
      const Onnx__ValueInfoProto *vi = gp->value_info[i];
      gint id = vi->name ? pl_graph_find_value (g, vi->name) : -1;
      if (id < 0)
        continue;
      PlValue *v = pl_graph_value (g, id);
      if (v->init != NULL || v->ndim >= 0)
        continue;
      g_autoptr (GError) ignored = NULL;
      PlValue scratch = { 0 };
      scratch.ndim = -1;
      if (read_value_info (vi, &scratch, src, "value", &ignored))
        {
          v->ndim = scratch.ndim;
          memcpy (v->shape, scratch.shape, sizeof v->shape);
          v->elem_type = scratch.elem_type;
        }
      g_free (scratch.dim_param0);
    }

  g_autoptr (GError) local = NULL;
  if (!pl_graph_validate (g, &local))
    {
      g_set_error (error, PL_ERROR, local->code, "%s: %s", src, local->message);
      return NULL;
    }
  /* After validation: nodes are in topological order, every input is defined. */
  pl_graph_fold_shape_subgraphs (g);
  return g_steal_pointer (&g);
}

static gboolean
check_length (gsize length, const char *name, GError **error)
{
  if ((guint64) length > PL_ONNX_MAX_BYTES)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                   "%s: file is too large (%" G_GSIZE_FORMAT " bytes; the limit is 2 GiB)",
                   name, length);
      return FALSE;
    }
  return TRUE;
}

PlGraph *
pl_onnx_load_data (const guint8 *data, gsize length, const char *name, GError **error)
{
  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (name == NULL)
    name = "(model)";

  if (!check_length (length, name, error))
    return NULL;
  if (length == 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: not an ONNX model (the file is empty)", name);
      return NULL;
    }
  Onnx__ModelProto *model = onnx__model_proto__unpack (NULL, length, data);
  if (model == NULL)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: not an ONNX model (protobuf parse failed; the file may be "
                   "truncated or of another format)", name);
      return NULL;
    }
  PlGraph *g = graph_from_model (model, name, error);
  onnx__model_proto__free_unpacked (model, NULL);
  return g;
}

/* Reads a whole file into memory (mapped), with the 2 GiB limit. */
static GMappedFile *
map_file (const char *path, GError **error)
{
  g_autoptr (GError) local = NULL;
  GStatBuf st;
  if (g_stat (path, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, PL_ERROR, PL_ERROR_IO, "Cannot read '%s': %s", path,
                   g_strerror (saved));
      return NULL;
    }
  if (S_ISDIR (st.st_mode))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_IO, "'%s' is a folder, not an ONNX model file", path);
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_IO,
                   "'%s' is not a regular file (a device, pipe or socket), not an ONNX model file",
                   path);
      return NULL;
    }
  GMappedFile *mf = g_mapped_file_new (path, FALSE, &local);
  if (mf == NULL)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_IO, "Cannot read '%s': %s", path, local->message);
      return NULL;
    }
  if (!check_length (g_mapped_file_get_length (mf), path, error))
    {
      g_mapped_file_unref (mf);
      return NULL;
    }
  return mf;
}

PlGraph *
pl_onnx_load_file (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  GMappedFile *mf = map_file (path, error);
  if (mf == NULL)
    return NULL;
  PlGraph *g = pl_onnx_load_data ((const guint8 *) g_mapped_file_get_contents (mf),
                                  g_mapped_file_get_length (mf), path, error);
  g_mapped_file_unref (mf);
  return g;
}

PlTensor *
pl_onnx_load_tensor_data (const guint8 *data, gsize length, const char *name,
                          GError **error)
{
  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (name == NULL)
    name = "(tensor)";
  if (!check_length (length, name, error))
    return NULL;
  /* An empty message is a valid TensorProto (a scalar without data), which then fails
   * the size check below with a clear message. */
  Onnx__TensorProto *tp = onnx__tensor_proto__unpack (NULL, length, data);
  if (tp == NULL)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: not an ONNX TensorProto (protobuf parse failed; the file may be "
                   "truncated or of another format)", name);
      return NULL;
    }
  PlTensor *t = tensor_from_proto (tp, name, "tensor", tp->name, error);
  onnx__tensor_proto__free_unpacked (tp, NULL);
  return t;
}

PlTensor *
pl_onnx_load_tensor_file (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  GMappedFile *mf = map_file (path, error);
  if (mf == NULL)
    return NULL;
  gsize len = g_mapped_file_get_length (mf);
  const guint8 *p = (const guint8 *) g_mapped_file_get_contents (mf);
  static const guint8 empty[1] = { 0 };
  PlTensor *t = pl_onnx_load_tensor_data (p ? p : empty, len, path, error);
  g_mapped_file_unref (mf);
  return t;
}

/* ---------------------------------------------------------------- saving */

/* Everything allocated for the ModelProto lives in pool and is freed at once. */
typedef struct {
  GPtrArray *pool;
} Saver;

static gpointer
sv_alloc (Saver *s, gsize size)
{
  gpointer p = g_malloc0 (size);
  g_ptr_array_add (s->pool, p);
  return p;
}

#define SV_NEW(s, T) ((T *) sv_alloc ((s), sizeof (T)))
#define SV_NEWV(s, T, n) ((T *) sv_alloc ((s), sizeof (T) * ((n) > 0 ? (gsize) (n) : 1)))

static char *
sv_str (Saver *s, const char *str)
{
  char *d = g_strdup (str ? str : "");
  g_ptr_array_add (s->pool, d);
  return d;
}

static gint32
effective_type (gint t)
{
  return (t == DT (UNDEFINED) || (t != DT (FLOAT) && int_type_size (t) == 0)) ? DT (FLOAT) : t;
}

static Onnx__TensorProto *
tensor_to_proto (Saver *s, const PlTensor *t, const char *name, gint elem_type)
{
  Onnx__TensorProto *tp = SV_NEW (s, Onnx__TensorProto);
  onnx__tensor_proto__init (tp);
  if (name != NULL)
    tp->name = sv_str (s, name);
  tp->n_dims = (gsize) t->ndim;
  tp->dims = SV_NEWV (s, int64_t, t->ndim);
  for (gint i = 0; i < t->ndim; i++)
    tp->dims[i] = t->shape[i];
  gint32 dt = effective_type (elem_type);
  tp->has_data_type = TRUE;
  tp->data_type = dt;
  gsize esize = dt == DT (FLOAT) ? 4 : int_type_size (dt);
  gsize bytes = (gsize) t->numel * esize;
  tp->has_raw_data = TRUE;
  tp->raw_data.len = bytes;
  if (dt == DT (FLOAT) && G_BYTE_ORDER == G_LITTLE_ENDIAN)
    {
      /* Packed straight from the tensor: protobuf-c only reads it. */
      tp->raw_data.data = (guint8 *) t->data;
      return tp;
    }
  guint8 *raw = SV_NEWV (s, guint8, bytes);
  for (gint64 i = 0; i < t->numel; i++)
    {
      guint64 u;
      if (dt == DT (FLOAT))
        {
          guint32 w;
          memcpy (&w, &t->data[i], 4);
          u = w;
        }
      else
        {
          float f = t->data[i];
          gint64 v = isfinite (f) && f < 0x1p63f && f >= -0x1p63f ? (gint64) llrintf (f) : 0;
          u = (guint64) v;
        }
      for (gsize b = 0; b < esize; b++)
        raw[(gsize) i * esize + b] = (guint8) (u >> (8 * b));
    }
  tp->raw_data.data = raw;
  return tp;
}

static Onnx__ValueInfoProto *
value_to_info (Saver *s, const PlValue *v)
{
  Onnx__ValueInfoProto *vi = SV_NEW (s, Onnx__ValueInfoProto);
  onnx__value_info_proto__init (vi);
  vi->name = sv_str (s, v->name);
  Onnx__TypeProto *type = SV_NEW (s, Onnx__TypeProto);
  onnx__type_proto__init (type);
  Onnx__TypeProto__Tensor *tt = SV_NEW (s, Onnx__TypeProto__Tensor);
  onnx__type_proto__tensor__init (tt);
  tt->has_elem_type = TRUE;
  tt->elem_type = effective_type (v->elem_type);
  type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  type->tensor_type = tt;
  vi->type = type;
  if (v->ndim < 0)
    return vi;

  Onnx__TensorShapeProto *sp = SV_NEW (s, Onnx__TensorShapeProto);
  onnx__tensor_shape_proto__init (sp);
  sp->n_dim = (gsize) v->ndim;
  sp->dim = SV_NEWV (s, Onnx__TensorShapeProto__Dimension *, v->ndim);
  for (gint i = 0; i < v->ndim; i++)
    {
      Onnx__TensorShapeProto__Dimension *d = SV_NEW (s, Onnx__TensorShapeProto__Dimension);
      onnx__tensor_shape_proto__dimension__init (d);
      if (v->shape[i] >= 0)
        {
          d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
          d->dim_value = v->shape[i];
        }
      else
        {
          d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
          if (i == 0)
            d->dim_param = sv_str (s, v->dim_param0 && v->dim_param0[0] ? v->dim_param0 : "N");
          else
            {
              char *p = g_strdup_printf ("%s_dim%d", v->name, i);
              g_ptr_array_add (s->pool, p);
              d->dim_param = p;
            }
        }
      sp->dim[i] = d;
    }
  tt->shape = sp;
  return vi;
}

static Onnx__AttributeProto *
attr_to_proto (Saver *s, const PlAttr *a)
{
  Onnx__AttributeProto *ap = SV_NEW (s, Onnx__AttributeProto);
  onnx__attribute_proto__init (ap);
  ap->name = sv_str (s, a->name);
  ap->has_type = TRUE;
  switch (a->type)
    {
    case PL_ATTR_FLOAT:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
      ap->has_f = TRUE;
      ap->f = a->f;
      break;
    case PL_ATTR_INT:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
      ap->has_i = TRUE;
      ap->i = a->i;
      break;
    case PL_ATTR_STRING:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
      ap->has_s = TRUE;
      ap->s.data = (guint8 *) sv_str (s, a->s);
      ap->s.len = strlen ((const char *) ap->s.data);
      break;
    case PL_ATTR_TENSOR:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
      if (a->t != NULL)
        ap->t = tensor_to_proto (s, a->t, NULL, a->elem_type);
      break;
    case PL_ATTR_FLOATS:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
      ap->n_floats = (gsize) MAX (a->n, 0);
      ap->floats = a->floats;
      break;
    case PL_ATTR_INTS:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
      ap->n_ints = (gsize) MAX (a->n, 0);
      ap->ints = (int64_t *) a->ints;
      break;
    default:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
      break;
    }
  return ap;
}

static const char *
value_name (const PlGraph *g, gint id)
{
  if (id < 0 || (guint) id >= g->values->len)
    return "";
  return pl_graph_value (g, id)->name;
}

/* Inputs that ONNX requires to be INT64 (onnx/docs/Operators.md). An initializer
 * built in code (elem_type 0) and used there is written as INT64 when its values are
 * whole numbers, so that other ONNX runtimes accept the saved model. */
static gboolean
input_wants_int64 (const PlNode *n, gint index)
{
  static const struct { const char *op; guint mask; } table[] = {
    { "Reshape", 1u << 1 }, { "Expand", 1u << 1 }, { "Tile", 1u << 1 },
    { "Slice", (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) },
    { "Squeeze", 1u << 1 }, { "Unsqueeze", 1u << 1 }, { "Pad", 1u << 1 },
    { "ConstantOfShape", 1u << 0 }, { "TopK", 1u << 1 }, { "Gather", 1u << 1 },
    { "GatherElements", 1u << 1 }, { "ScatterElements", 1u << 1 },
    { "ReduceSum", 1u << 1 }, { "Resize", 1u << 3 }, { "Split", 1u << 1 },
  };
  if (n->domain != NULL && n->domain[0] != '\0' && !g_str_equal (n->domain, "ai.onnx"))
    return FALSE;
  if (index < 0 || index > 31)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if (g_str_equal (n->op_type, table[i].op))
      return (table[i].mask >> index) & 1;
  return FALSE;
}

static gboolean
all_whole_numbers (const PlTensor *t)
{
  for (gint64 i = 0; i < t->numel; i++)
    if (!isfinite (t->data[i]) || t->data[i] != nearbyintf (t->data[i]))
      return FALSE;
  return TRUE;
}

guint8 *
pl_onnx_save_data (const PlGraph *graph, gsize *length, GError **error)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_return_val_if_fail (length != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  Saver sv = { g_ptr_array_new_with_free_func (g_free) };
  Saver *s = &sv;

  Onnx__ModelProto model = ONNX__MODEL_PROTO__INIT;
  model.has_ir_version = TRUE;
  model.ir_version = 8;
  model.producer_name = (char *) "PruneLens";
  model.producer_version = (char *) PACKAGE_VERSION;
  if (graph->doc_string && graph->doc_string[0])
    model.doc_string = graph->doc_string;

  /* Opsets: the default domain, plus version 1 of any other domain the nodes use. */
  g_autoptr (GPtrArray) domains = g_ptr_array_new ();
  for (guint k = 0; k < graph->nodes->len; k++)
    {
      const PlNode *n = g_ptr_array_index (graph->nodes, k);
      if (n->domain == NULL || n->domain[0] == '\0' || g_str_equal (n->domain, "ai.onnx"))
        continue;
      gboolean seen = FALSE;
      for (guint d = 0; d < domains->len; d++)
        if (g_str_equal (g_ptr_array_index (domains, d), n->domain))
          seen = TRUE;
      if (!seen)
        g_ptr_array_add (domains, n->domain);
    }
  model.n_opset_import = 1 + domains->len;
  model.opset_import = SV_NEWV (s, Onnx__OperatorSetIdProto *, model.n_opset_import);
  for (gsize i = 0; i < model.n_opset_import; i++)
    {
      Onnx__OperatorSetIdProto *op = SV_NEW (s, Onnx__OperatorSetIdProto);
      onnx__operator_set_id_proto__init (op);
      op->domain = i == 0 ? (char *) "" : g_ptr_array_index (domains, i - 1);
      op->has_version = TRUE;
      op->version = i == 0 ? (graph->opset > 0 ? graph->opset : 13) : 1;
      model.opset_import[i] = op;
    }

  Onnx__GraphProto gp = ONNX__GRAPH_PROTO__INIT;
  model.graph = &gp;
  gp.name = (char *) (graph->name && graph->name[0] ? graph->name : "prunelens");

  /* Initializers, in value order. */
  guint n_init = 0;
  for (guint v = 0; v < graph->values->len; v++)
    if (pl_graph_value (graph, v)->init != NULL)
      n_init++;
  g_autofree gint *types = g_new0 (gint, graph->values->len + 1);
  for (guint v = 0; v < graph->values->len; v++)
    types[v] = pl_graph_value (graph, v)->elem_type;
  for (guint k = 0; k < graph->nodes->len; k++)
    {
      const PlNode *n = g_ptr_array_index (graph->nodes, k);
      for (gint i = 0; i < n->n_inputs; i++)
        {
          gint id = n->inputs[i];
          if (id < 0 || (guint) id >= graph->values->len || types[id] != DT (UNDEFINED))
            continue;
          const PlValue *val = pl_graph_value (graph, id);
          if (val->init != NULL && input_wants_int64 (n, i) && all_whole_numbers (val->init))
            types[id] = DT (INT64);
        }
    }
  gp.n_initializer = n_init;
  gp.initializer = SV_NEWV (s, Onnx__TensorProto *, n_init);
  n_init = 0;
  for (guint v = 0; v < graph->values->len; v++)
    {
      const PlValue *val = pl_graph_value (graph, v);
      if (val->init != NULL)
        gp.initializer[n_init++] = tensor_to_proto (s, val->init, val->name, types[v]);
    }

  gp.n_input = graph->inputs->len;
  gp.input = SV_NEWV (s, Onnx__ValueInfoProto *, gp.n_input);
  for (guint i = 0; i < graph->inputs->len; i++)
    gp.input[i] = value_to_info (s, pl_graph_value (graph, g_array_index (graph->inputs, gint, i)));
  gp.n_output = graph->outputs->len;
  gp.output = SV_NEWV (s, Onnx__ValueInfoProto *, gp.n_output);
  for (guint i = 0; i < graph->outputs->len; i++)
    gp.output[i] = value_to_info (s, pl_graph_value (graph, g_array_index (graph->outputs, gint, i)));

  gp.n_node = graph->nodes->len;
  gp.node = SV_NEWV (s, Onnx__NodeProto *, gp.n_node);
  for (guint k = 0; k < graph->nodes->len; k++)
    {
      const PlNode *n = g_ptr_array_index (graph->nodes, k);
      Onnx__NodeProto *np = SV_NEW (s, Onnx__NodeProto);
      onnx__node_proto__init (np);
      if (n->name && n->name[0])
        np->name = n->name;
      np->op_type = n->op_type;
      if (n->domain && n->domain[0])
        np->domain = n->domain;
      np->n_input = (gsize) n->n_inputs;
      np->input = SV_NEWV (s, char *, n->n_inputs);
      for (gint i = 0; i < n->n_inputs; i++)
        np->input[i] = (char *) value_name (graph, n->inputs[i]);
      np->n_output = (gsize) n->n_outputs;
      np->output = SV_NEWV (s, char *, n->n_outputs);
      for (gint o = 0; o < n->n_outputs; o++)
        np->output[o] = (char *) value_name (graph, n->outputs[o]);
      np->n_attribute = (gsize) n->n_attrs;
      np->attribute = SV_NEWV (s, Onnx__AttributeProto *, n->n_attrs);
      for (gint a = 0; a < n->n_attrs; a++)
        np->attribute[a] = attr_to_proto (s, &n->attrs[a]);
      gp.node[k] = np;
    }

  gsize size = protobuf_c_message_get_packed_size (&model.base);
  guint8 *out = NULL;
  if ((guint64) size > PL_ONNX_MAX_BYTES)
    g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                 "The model is too large for an ONNX file (%" G_GSIZE_FORMAT
                 " bytes; protobuf allows 2 GiB)", size);
  else
    {
      out = g_malloc (size > 0 ? size : 1);
      gsize packed = protobuf_c_message_pack (&model.base, out);
      if (packed != size)
        {
          g_clear_pointer (&out, g_free);
          g_set_error (error, PL_ERROR, PL_ERROR_FAILED,
                       "Internal error serialising the model (%" G_GSIZE_FORMAT " of %"
                       G_GSIZE_FORMAT " bytes)", packed, size);
        }
      else
        *length = size;
    }
  g_ptr_array_unref (sv.pool);
  return out;
}

gboolean
pl_onnx_save_file (const PlGraph *graph, const char *path, GError **error)
{
  g_return_val_if_fail (graph != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  gsize len = 0;
  g_autofree guint8 *data = pl_onnx_save_data (graph, &len, error);
  if (data == NULL)
    return FALSE;
  g_autoptr (GError) local = NULL;
  if (!g_file_set_contents (path, (const char *) data, (gssize) len, &local))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_IO, "Cannot write '%s': %s", path, local->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
pl_onnx_save_tensor_file (const PlTensor *t, const char *name, const char *path,
                          GError **error)
{
  g_return_val_if_fail (t != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  Saver sv = { g_ptr_array_new_with_free_func (g_free) };
  Onnx__TensorProto *tp = tensor_to_proto (&sv, t, name, DT (FLOAT));
  gsize size = protobuf_c_message_get_packed_size (&tp->base);
  gboolean ok = FALSE;
  if ((guint64) size > PL_ONNX_MAX_BYTES)
    g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                 "Cannot write '%s': the tensor is too large for a TensorProto (%"
                 G_GSIZE_FORMAT " bytes; protobuf allows 2 GiB)", path, size);
  else
    {
      g_autofree guint8 *out = g_malloc (size > 0 ? size : 1);
      gsize packed = protobuf_c_message_pack (&tp->base, out);
      g_autoptr (GError) local = NULL;
      if (packed != size)
        g_set_error (error, PL_ERROR, PL_ERROR_FAILED,
                     "Internal error serialising the tensor for '%s' (%" G_GSIZE_FORMAT
                     " of %" G_GSIZE_FORMAT " bytes)", path, packed, size);
      else if (!g_file_set_contents (path, (const char *) out, (gssize) size, &local))
        g_set_error (error, PL_ERROR, PL_ERROR_IO, "Cannot write '%s': %s", path,
                     local->message);
      else
        ok = TRUE;
    }
  g_ptr_array_unref (sv.pool);
  return ok;
}
