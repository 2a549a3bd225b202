/* pl-prune-struct.c — structured pruning: channel dependency groups, masks of whole
 * channels and their physical removal.
 *
 * Every value whose axis 1 carries output channels of prunable layers is described by a
 * list of segments (PlChanSeg). Segments are propagated in topological order through the
 * operators that keep a zero channel zero (Relu, LeakyRelu, Tanh, Clip with 0 in range,
 * Identity, Dropout, pools, BatchNormalization with its scale and B masked, depthwise
 * Conv with its row and bias masked, Mul by a constant); Flatten turns a channel into
 * H×W consecutive columns; Concat on axis 1 concatenates segment lists (offsets mapped);
 * a residual Add / Sub joins the groups of its operands channel by channel (union-find).
 * Anything else that reads a channel tensor refuses the groups it carries, with a reason.
 */
#include "prune/pl-prune-private.h"
#include "pl-error.h"

#include <math.h>
#include <string.h>

typedef struct {
  GArray *segs;   /* NULL: not a channel tensor */
  gint rank;
  gboolean flat;
} ValInfo;

const char *
pl_chan_layer_name (const PlGraph *graph, const PlNode *node)
{
  if (node->name != NULL && node->name[0] != '\0')
    return node->name;
  if (node->n_inputs > 1 && node->inputs[1] >= 0)
    return pl_graph_value (graph, node->inputs[1])->name;
  return node->op_type;
}

static gboolean
is_op (const PlNode *n, const char *op)
{
  return (n->domain == NULL || n->domain[0] == '\0' || g_str_equal (n->domain, "ai.onnx"))
         && g_str_equal (n->op_type, op);
}

gint
pl_chan_weight_out_axis (const PlNode *node)
{
  if (is_op (node, "Conv"))
    return 0;
  if (is_op (node, "Gemm"))
    return pl_node_get_int (node, "transB", 0) ? 0 : 1;
  return 1; /* MatMul [K, N] */
}

gint
pl_chan_weight_in_axis (const PlNode *node)
{
  if (is_op (node, "Conv"))
    return 1;
  if (is_op (node, "Gemm"))
    return pl_node_get_int (node, "transB", 0) ? 1 : 0;
  return 0;
}

gint
pl_chan_root (PlChanAnalysis *a, gint g)
{
  while (g_array_index (a->groups, PlChanGroup, g).parent != g)
    g = g_array_index (a->groups, PlChanGroup, g).parent;
  return g;
}

static PlChanGroup *
group_at (PlChanAnalysis *a, gint g)
{
  return &g_array_index (a->groups, PlChanGroup, g);
}

static void
refuse_group (PlChanAnalysis *a, gint g, char *reason /* owned */)
{
  PlChanGroup *grp = group_at (a, pl_chan_root (a, g));
  if (grp->refusal == NULL)
    grp->refusal = reason;
  else
    g_free (reason);
}

static void
refuse_segs (PlChanAnalysis *a, const GArray *segs, const char *reason)
{
  if (segs == NULL)
    return;
  for (guint i = 0; i < segs->len; i++)
    {
      const PlChanSeg *s = &g_array_index (segs, PlChanSeg, i);
      if (s->group >= 0)
        refuse_group (a, s->group, g_strdup (reason));
    }
}

static void
union_groups (PlChanAnalysis *a, gint g1, gint g2)
{
  gint r1 = pl_chan_root (a, g1), r2 = pl_chan_root (a, g2);
  if (r1 == r2)
    return;
  if (r2 < r1)
    {
      gint t = r1;
      r1 = r2;
      r2 = t;
    }
  PlChanGroup *a1 = group_at (a, r1), *a2 = group_at (a, r2);
  a2->parent = r1;
  if (a1->refusal == NULL)
    a1->refusal = g_steal_pointer (&a2->refusal);
  a1->protected_ = a1->protected_ || a2->protected_;
  g_string_append_printf (a1->names, " + %s", a2->names->str);
}

static GArray *
segs_dup (const GArray *segs)
{
  GArray *c = g_array_sized_new (FALSE, FALSE, sizeof (PlChanSeg), segs->len);
  g_array_append_vals (c, segs->data, segs->len);
  return c;
}

static gint64
segs_width (const GArray *segs)
{
  gint64 w = 0;
  for (guint i = 0; i < segs->len; i++)
    w += g_array_index (segs, PlChanSeg, i).count;
  return w;
}

static void
add_use (PlChanAnalysis *a, PlChanUseKind kind, gint node, gint group, const GArray *segs,
         gint64 inner)
{
  PlChanUse u = { kind, node, group, segs ? segs_dup (segs) : NULL, inner, -1, -1 };
  g_array_append_val (a->uses, u);
}

void
pl_chan_analysis_free (PlChanAnalysis *a)
{
  if (a == NULL)
    return;
  for (guint i = 0; i < a->groups->len; i++)
    {
      g_free (group_at (a, i)->refusal);
      g_string_free (group_at (a, i)->names, TRUE);
    }
  for (guint i = 0; i < a->uses->len; i++)
    if (g_array_index (a->uses, PlChanUse, i).segs)
      g_array_unref (g_array_index (a->uses, PlChanUse, i).segs);
  g_array_unref (a->groups);
  g_array_unref (a->uses);
  g_free (a);
}

/* Initializer input i of node used only there, or NULL. */
static PlValue *
private_init (const PlGraph *g, const PlNode *n, gint i, const gint *n_uses)
{
  if (i >= n->n_inputs || n->inputs[i] < 0)
    return NULL;
  PlValue *v = pl_graph_value (g, n->inputs[i]);
  if (v->init == NULL || n_uses[n->inputs[i]] != 1)
    return NULL;
  return v;
}

static gboolean
is_producer (const PlGraph *g, const PlNode *n)
{
  if (n->n_inputs < 2 || n->inputs[1] < 0)
    return FALSE;
  const PlValue *w = pl_graph_value (g, n->inputs[1]);
  if (w->init == NULL)
    return FALSE;
  if (is_op (n, "Conv"))
    return pl_node_get_int (n, "group", 1) == 1 && w->init->ndim >= 3;
  if (is_op (n, "Gemm") || is_op (n, "MatMul"))
    return w->init->ndim == 2;
  return FALSE;
}

static gboolean
clip_keeps_zero (const PlGraph *g, const PlNode *n)
{
  float lo = pl_node_get_float (n, "min", -INFINITY), hi = pl_node_get_float (n, "max", INFINITY);
  if (n->n_inputs > 1 && n->inputs[1] >= 0)
    {
      const PlValue *v = pl_graph_value (g, n->inputs[1]);
      if (v->init == NULL || v->init->numel != 1)
        return FALSE;
      lo = v->init->data[0];
    }
  if (n->n_inputs > 2 && n->inputs[2] >= 0)
    {
      const PlValue *v = pl_graph_value (g, n->inputs[2]);
      if (v->init == NULL || v->init->numel != 1)
        return FALSE;
      hi = v->init->data[0];
    }
  return lo <= 0.0f && hi >= 0.0f;
}

static void
set_info (ValInfo *vi, gint id, GArray *segs /* owned */, gint rank, gboolean flat)
{
  if (id < 0)
    {
      if (segs)
        g_array_unref (segs);
      return;
    }
  if (vi[id].segs)
    g_array_unref (vi[id].segs);
  vi[id].segs = segs;
  vi[id].rank = rank;
  vi[id].flat = flat;
}

/* The producer part of node n (index ni): a new group over its output channels. */
static void
add_producer (const PlGraph *g, PlChanAnalysis *a, ValInfo *vi, gint ni, const gint *n_uses)
{
  const PlNode *n = g_ptr_array_index (g->nodes, ni);
  const PlValue *w = pl_graph_value (g, n->inputs[1]);
  gint out_axis = pl_chan_weight_out_axis (n);
  PlChanGroup grp = { (gint) a->groups->len, w->init->shape[out_axis], NULL, FALSE,
                      g_string_new (pl_chan_layer_name (g, n)) };
  gint gid = (gint) a->groups->len;
  g_array_append_val (a->groups, grp);
  const char *lname = pl_chan_layer_name (g, n);

  if (n_uses[n->inputs[1]] != 1)
    refuse_group (a, gid, g_strdup_printf ("the weight “%s” of “%s” is shared with another node",
                                           w->name, lname));
  if (n->n_inputs > 2 && n->inputs[2] >= 0)
    {
      const PlValue *b = private_init (g, n, 2, n_uses);
      if (b == NULL)
        refuse_group (a, gid, g_strdup_printf ("the bias of “%s” is not an initializer of its own",
                                               lname));
      else if (b->init->numel != grp.width
               || !(b->init->ndim == 1 || (b->init->ndim == 2 && b->init->shape[0] == 1)))
        refuse_group (a, gid, g_strdup_printf ("the bias of “%s” is not one entry per output "
                                               "channel", lname));
    }
  if (is_op (n, "MatMul") && n->n_outputs > 0 && n->inputs[0] >= 0)
    {
      /* MatMul [.., K] x [K, N]: channels on the last axis; only 2-D inputs. */
      const PlValue *x = pl_graph_value (g, n->inputs[0]);
      if (x->ndim != 2 && !(vi[n->inputs[0]].segs && vi[n->inputs[0]].rank == 2))
        refuse_group (a, gid, g_strdup_printf ("“%s” is a MatMul whose input is not known to "
                                               "be 2-D", lname));
    }
  add_use (a, PL_CHAN_PRODUCER, ni, gid, NULL, 1);
  GArray *segs = g_array_new (FALSE, FALSE, sizeof (PlChanSeg));
  PlChanSeg s = { gid, 0, grp.width };
  g_array_append_val (segs, s);
  set_info (vi, n->n_outputs > 0 ? n->outputs[0] : -1, segs, is_op (n, "Conv") ? w->init->ndim : 2, FALSE);
}

PlChanAnalysis *
pl_chan_analyse (const PlGraph *g)
{
  PlChanAnalysis *a = g_new0 (PlChanAnalysis, 1);
  a->groups = g_array_new (FALSE, FALSE, sizeof (PlChanGroup));
  a->uses = g_array_new (FALSE, FALSE, sizeof (PlChanUse));
  guint nv = g->values->len;
  g_autofree gint *n_uses = g_new0 (gint, nv);
  for (guint i = 0; i < g->nodes->len; i++)
    {
      const PlNode *n = g_ptr_array_index (g->nodes, i);
      for (gint j = 0; j < n->n_inputs; j++)
        if (n->inputs[j] >= 0)
          n_uses[n->inputs[j]]++;
    }
  ValInfo *vi = g_new0 (ValInfo, nv);

  for (guint ni = 0; ni < g->nodes->len; ni++)
    {
      const PlNode *n = g_ptr_array_index (g->nodes, ni);
      const char *lname = pl_chan_layer_name (g, n);
      /* Channel tensors at inputs other than the data input 0 are refused below. */
      static const ValInfo none = { NULL, 0, FALSE };
      gint x = n->n_inputs > 0 ? n->inputs[0] : -1;
      const ValInfo *in = x >= 0 ? &vi[x] : &none;
      gboolean handled_inputs = FALSE;
      g_autofree char *why = NULL;

      if (is_producer (g, n))
        {
          if (in->segs)
            {
              const PlValue *w = pl_graph_value (g, n->inputs[1]);
              gint in_axis = pl_chan_weight_in_axis (n);
              gint64 cols = w->init->shape[in_axis], width = segs_width (in->segs);
              gint64 inner = 1;
              if (is_op (n, "Gemm") && pl_node_get_int (n, "transA", 0))
                why = g_strdup_printf ("“%s” is a Gemm with transA = 1", lname);
              else if (n_uses[n->inputs[1]] != 1)
                why = g_strdup_printf ("the weight of “%s” is shared with another node", lname);
              else if (in->flat && width > 0 && cols % width == 0)
                inner = cols / width;
              else if (cols != width)
                why = g_strdup_printf ("the input of “%s” has %" G_GINT64_FORMAT " columns, not "
                                       "one per channel (%" G_GINT64_FORMAT ")", lname, cols, width);
              if (is_op (n, "MatMul") && in->rank != 2)
                why = g_strdup_printf ("“%s” is a MatMul on a tensor that is not 2-D", lname);
              if (why)
                refuse_segs (a, in->segs, why);
              else
                add_use (a, PL_CHAN_CONSUMER, (gint) ni, -1, in->segs, inner);
            }
          for (gint j = 1; j < n->n_inputs; j++)
            if (n->inputs[j] >= 0 && vi[n->inputs[j]].segs)
              {
                g_autofree char *r = g_strdup_printf ("“%s” (%s) uses it as a parameter", lname,
                                                      n->op_type);
                refuse_segs (a, vi[n->inputs[j]].segs, r);
              }
          add_producer (g, a, vi, (gint) ni, n_uses);
          continue;
        }

      if (in->segs == NULL)
        {
          /* Only Add / Sub / Concat / Mul can carry channels through a later input. */
          gboolean any = FALSE;
          for (gint j = 0; j < n->n_inputs; j++)
            if (n->inputs[j] >= 0 && vi[n->inputs[j]].segs)
              any = TRUE;
          if (!any)
            continue;
        }

      if ((is_op (n, "Relu") || is_op (n, "LeakyRelu") || is_op (n, "Tanh")
           || is_op (n, "Identity") || is_op (n, "Dropout") || is_op (n, "MaxPool")
           || is_op (n, "AveragePool") || is_op (n, "GlobalAveragePool")
           || is_op (n, "GlobalMaxPool") || (is_op (n, "Clip") && clip_keeps_zero (g, n)))
          && in->segs)
        {
          gboolean extra = FALSE;
          for (gint j = 1; j < n->n_inputs; j++)
            if (n->inputs[j] >= 0 && vi[n->inputs[j]].segs)
              extra = TRUE;
          if (!extra && !(is_op (n, "MaxPool") && n->n_outputs > 1 && n->outputs[1] >= 0
                          && n_uses[n->outputs[1]] > 0))
            {
              set_info (vi, n->n_outputs > 0 ? n->outputs[0] : -1, segs_dup (in->segs), in->rank, in->flat);
              continue;
            }
        }
      else if (is_op (n, "BatchNormalization") && in->segs && n->n_inputs >= 5)
        {
          gint64 width = segs_width (in->segs);
          gboolean ok = TRUE;
          for (gint j = 1; j < 5; j++)
            {
              const PlValue *p = private_init (g, n, j, n_uses);
              if (p == NULL || p->init->numel != width)
                ok = FALSE;
            }
          if (ok)
            {
              add_use (a, PL_CHAN_BATCHNORM, (gint) ni, -1, in->segs, 1);
              set_info (vi, n->n_outputs > 0 ? n->outputs[0] : -1, segs_dup (in->segs), in->rank, FALSE);
              continue;
            }
          why = g_strdup_printf ("the BatchNormalization “%s” has parameters that are not "
                                 "initializers of its own with one entry per channel", lname);
        }
      else if (is_op (n, "Conv") && in->segs && n->n_inputs >= 2 && n->inputs[1] >= 0)
        {
          const PlValue *w = private_init (g, n, 1, n_uses);
          gint64 width = segs_width (in->segs), grp = pl_node_get_int (n, "group", 1);
          const PlValue *b = n->n_inputs > 2 && n->inputs[2] >= 0
                               ? private_init (g, n, 2, n_uses) : NULL;
          gboolean bias_ok = n->n_inputs < 3 || n->inputs[2] < 0
                             || (b != NULL && b->init->numel == width);
          if (w != NULL && grp == width && w->init->shape[0] == width && w->init->shape[1] == 1
              && bias_ok)
            {
              add_use (a, PL_CHAN_DEPTHWISE, (gint) ni, -1, in->segs, 1);
              set_info (vi, n->n_outputs > 0 ? n->outputs[0] : -1, segs_dup (in->segs), in->rank, FALSE);
              continue;
            }
          why = g_strdup_printf ("“%s” is a grouped convolution (group = %" G_GINT64_FORMAT
                                 ") that is not depthwise with one filter per channel",
                                 lname, grp);
        }
      else if (is_op (n, "Flatten") && in->segs)
        {
          gint64 axis = pl_node_get_int (n, "axis", 1);
          if (axis == 1 || (axis < 0 && axis + in->rank == 1))
            {
              set_info (vi, n->n_outputs > 0 ? n->outputs[0] : -1, segs_dup (in->segs), 2, in->rank > 2);
              continue;
            }
          why = g_strdup_printf ("the Flatten “%s” is not on axis 1", lname);
        }
      else if ((is_op (n, "Reshape") || is_op (n, "Squeeze")) && in->segs && in->rank > 2)
        {
          /* Reshape to [N or 0, −1] by a constant shape, or Squeeze of axes ≥ 2: the
           * channels become consecutive column groups, as after a Flatten. */
          gboolean ok = FALSE;
          const PlValue *sv = n->n_inputs > 1 && n->inputs[1] >= 0
                                ? pl_graph_value (g, n->inputs[1]) : NULL;
          if (is_op (n, "Reshape"))
            ok = sv != NULL && sv->init != NULL && sv->init->numel == 2
                 && sv->init->data[1] == -1.0f && sv->init->data[0] >= 0.0f;
          else
            {
              const PlAttr *ax = pl_node_get_attr (n, "axes");
              ok = TRUE;
              if (ax != NULL && ax->type == PL_ATTR_INTS)
                {
                  for (gint j = 0; j < ax->n; j++)
                    ok = ok && (ax->ints[j] >= 2 || (ax->ints[j] < 0 && ax->ints[j] + in->rank >= 2));
                }
              else if (sv != NULL && sv->init != NULL)
                {
                  for (gint64 j = 0; j < sv->init->numel; j++)
                    {
                      float axv = sv->init->data[j];
                      ok = ok && (axv >= 2.0f || (axv < 0.0f && axv + (float) in->rank >= 2.0f));
                    }
                }
              else
                ok = FALSE;
            }
          if (ok)
            {
              set_info (vi, n->n_outputs > 0 ? n->outputs[0] : -1, segs_dup (in->segs), 2, TRUE);
              continue;
            }
          why = g_strdup_printf ("the %s “%s” does not keep the channels on axis 1 (only "
                                 "[N, −1] reshapes by a constant are followed)", n->op_type, lname);
        }
      else if ((is_op (n, "Add") || is_op (n, "Sub")) && n->n_inputs == 2
               && n->inputs[0] >= 0 && n->inputs[1] >= 0)
        {
          handled_inputs = TRUE;
          const ValInfo *i0 = &vi[n->inputs[0]], *i1 = &vi[n->inputs[1]];
          const char *other0 = pl_graph_value (g, n->inputs[0])->name;
          const char *other1 = pl_graph_value (g, n->inputs[1])->name;
          if (i0->segs && i1->segs && i0->segs->len == i1->segs->len && i0->rank == i1->rank
              && i0->flat == i1->flat)
            {
              gboolean aligned = TRUE;
              for (guint s = 0; s < i0->segs->len; s++)
                {
                  const PlChanSeg *s0 = &g_array_index (i0->segs, PlChanSeg, s);
                  const PlChanSeg *s1 = &g_array_index (i1->segs, PlChanSeg, s);
                  if (s0->count != s1->count || s0->start != s1->start
                      || (s0->group < 0) != (s1->group < 0)
                      || (s0->group >= 0
                          && group_at (a, pl_chan_root (a, s0->group))->width
                               != group_at (a, pl_chan_root (a, s1->group))->width))
                    aligned = FALSE;
                }
              if (aligned)
                {
                  for (guint s = 0; s < i0->segs->len; s++)
                    {
                      const PlChanSeg *s0 = &g_array_index (i0->segs, PlChanSeg, s);
                      const PlChanSeg *s1 = &g_array_index (i1->segs, PlChanSeg, s);
                      if (s0->group >= 0)
                        union_groups (a, s0->group, s1->group);
                    }
                  set_info (vi, n->n_outputs > 0 ? n->outputs[0] : -1, segs_dup (i0->segs), i0->rank, i0->flat);
                  continue;
                }
              why = g_strdup_printf ("the residual %s “%s” sums tensors whose channels do not "
                                     "line up", n->op_type, lname);
              refuse_segs (a, i0->segs, why);
              refuse_segs (a, i1->segs, why);
            }
          else
            {
              const char *other = i0->segs ? other1 : other0;
              why = g_strdup_printf ("the residual %s “%s” also sums “%s”, which no prunable "
                                     "layer produces", n->op_type, lname, other);
              refuse_segs (a, i0->segs, why);
              refuse_segs (a, i1->segs, why);
            }
          continue;
        }
      else if (is_op (n, "Mul") && n->n_inputs == 2 && n->inputs[0] >= 0 && n->inputs[1] >= 0)
        {
          handled_inputs = TRUE;
          gint ci = vi[n->inputs[0]].segs ? 1 : 0;
          const ValInfo *xi = &vi[n->inputs[1 - ci]];
          const PlValue *c = pl_graph_value (g, n->inputs[ci]);
          if (c->init != NULL && vi[n->inputs[ci]].segs == NULL)
            {
              gint64 width = segs_width (xi->segs);
              const PlTensor *t = c->init;
              gint axis = t->ndim - (xi->rank - 1); /* the channel axis 1 of the data */
              gboolean per_channel = t->numel > 1;
              gboolean ok = TRUE;
              if (t->ndim > xi->rank || xi->flat)
                ok = t->numel == 1;
              else if (per_channel)
                {
                  /* Broadcast: only the channel axis may differ from 1. */
                  for (gint d = 0; d < t->ndim; d++)
                    if (t->shape[d] != 1 && d != axis)
                      ok = FALSE;
                  if (axis < 0 || (t->shape[axis] != 1 && t->shape[axis] != width))
                    ok = FALSE;
                  if (ok && t->shape[axis] == 1)
                    per_channel = FALSE;
                  if (ok && per_channel && n_uses[n->inputs[ci]] != 1)
                    ok = FALSE;
                }
              if (ok)
                {
                  if (per_channel)
                    {
                      add_use (a, PL_CHAN_MUL, (gint) ni, -1, xi->segs, 1);
                      PlChanUse *u = &g_array_index (a->uses, PlChanUse, a->uses->len - 1);
                      u->const_input = ci;
                      u->const_axis = axis;
                    }
                  set_info (vi, n->n_outputs > 0 ? n->outputs[0] : -1, segs_dup (xi->segs), xi->rank, xi->flat);
                  continue;
                }
            }
          why = g_strdup_printf ("the Mul “%s” is not by a scalar or per-channel constant",
                                 lname);
          for (gint j = 0; j < n->n_inputs; j++)
            if (n->inputs[j] >= 0)
              refuse_segs (a, vi[n->inputs[j]].segs, why);
          continue;
        }
      else if (is_op (n, "Concat"))
        {
          handled_inputs = TRUE;
          gint rank = -1;
          for (gint j = 0; j < n->n_inputs; j++)
            if (n->inputs[j] >= 0 && vi[n->inputs[j]].segs)
              rank = vi[n->inputs[j]].rank;
          gint64 axis = pl_node_get_int (n, "axis", 1);
          if (axis < 0)
            axis += rank;
          GArray *out = g_array_new (FALSE, FALSE, sizeof (PlChanSeg));
          gboolean ok = axis == 1;
          for (gint j = 0; j < n->n_inputs && ok; j++)
            {
              if (n->inputs[j] < 0)
                {
                  ok = FALSE;
                  break;
                }
              const ValInfo *ij = &vi[n->inputs[j]];
              const PlValue *v = pl_graph_value (g, n->inputs[j]);
              if (ij->segs && ij->rank == rank && !ij->flat)
                g_array_append_vals (out, ij->segs->data, ij->segs->len);
              else if (!ij->segs && v->ndim == rank && v->shape[1] > 0)
                {
                  PlChanSeg s = { -1, 0, v->shape[1] };
                  g_array_append_val (out, s);
                }
              else
                ok = FALSE;
            }
          if (ok)
            {
              set_info (vi, n->n_outputs > 0 ? n->outputs[0] : -1, out, rank, FALSE);
              continue;
            }
          g_array_unref (out);
          why = g_strdup_printf ("the Concat “%s” is not along the channel axis or has an "
                                 "input of unknown width", lname);
          for (gint j = 0; j < n->n_inputs; j++)
            if (n->inputs[j] >= 0)
              refuse_segs (a, vi[n->inputs[j]].segs, why);
          continue;
        }

      /* Any other reader: refuse what it reads. */
      if (why == NULL)
        why = g_strdup_printf ("“%s” (%s) reads its output and cannot be resized", lname,
                               n->op_type);
      if (!handled_inputs)
        for (gint j = 0; j < n->n_inputs; j++)
          if (n->inputs[j] >= 0)
            refuse_segs (a, vi[n->inputs[j]].segs, why);
    }

  for (guint i = 0; i < g->outputs->len; i++)
    {
      gint id = g_array_index (g->outputs, gint, i);
      if (vi[id].segs)
        {
          g_autofree char *why = g_strdup_printf ("its output reaches the graph output “%s”",
                                                  pl_graph_value (g, id)->name);
          refuse_segs (a, vi[id].segs, why);
        }
    }
  for (guint i = 0; i < nv; i++)
    if (vi[i].segs)
      g_array_unref (vi[i].segs);
  g_free (vi);
  return a;
}

GPtrArray *
pl_prune_channel_groups (const PlGraph *graph, GError **error)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  g_autoptr (PlChanAnalysis) a = pl_chan_analyse (graph);
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; i < a->groups->len; i++)
    {
      PlChanGroup *grp = group_at (a, i);
      if (grp->parent != (gint) i)
        continue;
      PlPruneGroupInfo *info = g_new0 (PlPruneGroupInfo, 1);
      info->layers = g_strdup (grp->names->str);
      info->channels = grp->width;
      info->refusal = g_strdup (grp->refusal);
      g_ptr_array_add (out, info);
    }
  return out;
}

/* ---- masks --------------------------------------------------------------------------- */

static PlTensor *
ensure_mask (PlValue *v)
{
  if (v->mask == NULL || v->mask->numel != v->init->numel)
    {
      g_clear_pointer (&v->mask, pl_tensor_unref);
      v->mask = pl_tensor_new_like (v->init);
      for (gint64 i = 0; i < v->mask->numel; i++)
        v->mask->data[i] = 1.0f;
    }
  return v->mask;
}

/* Zeroes (and masks) the slices [from, to) along axis of initializer v. */
static void
zero_slice (PlValue *v, gint axis, gint64 from, gint64 to)
{
  PlTensor *t = v->init, *m = ensure_mask (v);
  gint64 outer = 1, inner = 1;
  for (gint d = 0; d < axis; d++)
    outer *= t->shape[d];
  for (gint d = axis + 1; d < t->ndim; d++)
    inner *= t->shape[d];
  gint64 len = t->shape[axis];
  for (gint64 o = 0; o < outer; o++)
    for (gint64 k = from; k < to; k++)
      for (gint64 i = 0; i < inner; i++)
        {
          gint64 idx = (o * len + k) * inner + i;
          t->data[idx] = 0.0f;
          m->data[idx] = 0.0f;
        }
}

static gint
vector_axis (const PlTensor *t)
{
  /* [C] -> 0, [1, C] -> 1 */
  return t->ndim == 2 ? 1 : 0;
}

/* Calls fn (position, group root, channel) for every channel position of segs. */
#define FOR_EACH_POSITION(a, segs, pos, root, ch)                                         \
  for (gint64 pos = 0, _s = 0; _s < (gint64) (segs)->len; _s++)                           \
    for (gint64 _j = 0, root = g_array_index ((segs), PlChanSeg, _s).group < 0 ? -1       \
           : pl_chan_root ((a), g_array_index ((segs), PlChanSeg, _s).group),             \
           ch = g_array_index ((segs), PlChanSeg, _s).start;                              \
         _j < g_array_index ((segs), PlChanSeg, _s).count; _j++, pos++, ch++)

void
pl_chan_apply_masks (PlGraph *graph, PlChanAnalysis *a, guint8 **removed)
{
  for (guint u = 0; u < a->uses->len; u++)
    {
      PlChanUse *use = &g_array_index (a->uses, PlChanUse, u);
      PlNode *n = g_ptr_array_index (graph->nodes, use->node);
      if (use->kind == PL_CHAN_PRODUCER)
        {
          gint r = pl_chan_root (a, use->group);
          PlValue *w = pl_graph_value (graph, n->inputs[1]);
          PlValue *b = n->n_inputs > 2 && n->inputs[2] >= 0
                         ? pl_graph_value (graph, n->inputs[2]) : NULL;
          for (gint64 k = 0; k < group_at (a, r)->width; k++)
            if (removed[r][k])
              {
                zero_slice (w, pl_chan_weight_out_axis (n), k, k + 1);
                if (b)
                  zero_slice (b, vector_axis (b->init), k, k + 1);
              }
          continue;
        }
      if (use->kind == PL_CHAN_MUL)
        continue;
      FOR_EACH_POSITION (a, use->segs, pos, root, ch)
        {
          if (root < 0 || !removed[root][ch])
            continue;
          if (use->kind == PL_CHAN_CONSUMER)
            zero_slice (pl_graph_value (graph, n->inputs[1]), pl_chan_weight_in_axis (n),
                        pos * use->inner, (pos + 1) * use->inner);
          else if (use->kind == PL_CHAN_BATCHNORM)
            {
              zero_slice (pl_graph_value (graph, n->inputs[1]), 0, pos, pos + 1);
              zero_slice (pl_graph_value (graph, n->inputs[2]), 0, pos, pos + 1);
            }
          else if (use->kind == PL_CHAN_DEPTHWISE)
            {
              zero_slice (pl_graph_value (graph, n->inputs[1]), 0, pos, pos + 1);
              if (n->n_inputs > 2 && n->inputs[2] >= 0)
                zero_slice (pl_graph_value (graph, n->inputs[2]), 0, pos, pos + 1);
            }
        }
    }
}

/* ---- physical removal ---------------------------------------------------------------- */

static gboolean
slice_all_masked (const PlValue *v, gint axis, gint64 k)
{
  if (v->mask == NULL || v->mask->numel != v->init->numel)
    return FALSE;
  const PlTensor *m = v->mask;
  gint64 outer = 1, inner = 1;
  for (gint d = 0; d < axis; d++)
    outer *= m->shape[d];
  for (gint d = axis + 1; d < m->ndim; d++)
    inner *= m->shape[d];
  for (gint64 o = 0; o < outer; o++)
    for (gint64 i = 0; i < inner; i++)
      if (m->data[(o * m->shape[axis] + k) * inner + i] != 0.0f)
        return FALSE;
  return TRUE;
}

static PlTensor *
slice_keep (const PlTensor *t, gint axis, const guint8 *keep_cols)
{
  gint64 shape[PL_TENSOR_MAX_DIMS];
  gint64 outer = 1, inner = 1, len = t->shape[axis], kept = 0;
  for (gint d = 0; d < t->ndim; d++)
    shape[d] = t->shape[d];
  for (gint d = 0; d < axis; d++)
    outer *= t->shape[d];
  for (gint d = axis + 1; d < t->ndim; d++)
    inner *= t->shape[d];
  for (gint64 k = 0; k < len; k++)
    kept += keep_cols[k] ? 1 : 0;
  shape[axis] = kept;
  PlTensor *out = pl_tensor_new (t->ndim, shape, NULL);
  if (out == NULL)
    return NULL;
  gint64 o2 = 0;
  for (gint64 o = 0; o < outer; o++)
    for (gint64 k = 0; k < len; k++)
      if (keep_cols[k])
        {
          memcpy (out->data + o2 * inner, t->data + (o * len + k) * inner,
                  (gsize) inner * sizeof (float));
          o2++;
        }
  return out;
}

/* Replaces initializer v (and its mask) by the slices keep_cols along axis. */
static void
shrink (PlGraph *g, PlValue *v, gint axis, const guint8 *keep_cols)
{
  g_autoptr (PlTensor) t = slice_keep (v->init, axis, keep_cols);
  PlTensor *m = v->mask && v->mask->numel == v->init->numel
                  ? slice_keep (v->mask, axis, keep_cols) : NULL;
  g_autofree char *name = g_strdup (v->name);
  gint id = pl_graph_add_initializer (g, name, t);
  PlValue *nv = pl_graph_value (g, id);
  g_clear_pointer (&nv->mask, pl_tensor_unref);
  nv->mask = m;
}

/* keep flags of the columns of a tensor laid out as segs (inner columns per channel). */
static guint8 *
keep_columns (PlChanAnalysis *a, const GArray *segs, guint8 **removed, gint64 inner)
{
  gint64 width = segs_width (segs);
  guint8 *keep = g_new (guint8, width * inner);
  FOR_EACH_POSITION (a, segs, pos, root, ch)
    {
      guint8 k = (root < 0 || !removed[root][ch]) ? 1 : 0;
      memset (keep + pos * inner, k, (gsize) inner);
    }
  return keep;
}

PlGraph *
pl_prune_physically_remove (const PlGraph *graph, GError **error)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_autoptr (PlChanAnalysis) a = pl_chan_analyse (graph);
  guint ng = a->groups->len;
  guint8 **removed = g_new0 (guint8 *, ng);
  gint8 **decided = g_new0 (gint8 *, ng);   /* per root: -1 unknown, 0 kept, 1 removed */
  gboolean any = FALSE, ok = TRUE;
  for (guint i = 0; i < ng; i++)
    {
      removed[i] = g_new0 (guint8, group_at (a, i)->width);
      decided[i] = g_new (gint8, group_at (a, i)->width);
      memset (decided[i], -1, (gsize) group_at (a, i)->width);
    }

  for (guint u = 0; u < a->uses->len && ok; u++)
    {
      PlChanUse *use = &g_array_index (a->uses, PlChanUse, u);
      if (use->kind != PL_CHAN_PRODUCER)
        continue;
      const PlNode *n = g_ptr_array_index (graph->nodes, use->node);
      gint r = pl_chan_root (a, use->group);
      const PlValue *w = pl_graph_value (graph, n->inputs[1]);
      const PlValue *b = n->n_inputs > 2 && n->inputs[2] >= 0
                           ? pl_graph_value (graph, n->inputs[2]) : NULL;
      for (gint64 k = 0; k < group_at (a, r)->width && ok; k++)
        {
          gboolean gone = slice_all_masked (w, pl_chan_weight_out_axis (n), k);
          if (gone && b != NULL)
            gone = b->init->numel == group_at (a, r)->width
                   && slice_all_masked (b, vector_axis (b->init), k);
          if (decided[r][k] >= 0 && decided[r][k] != (gone ? 1 : 0))
            {
              g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                           "Channel %" G_GINT64_FORMAT " of the layers “%s” (coupled by a "
                           "residual Add) is masked in some of them but not in “%s”; they must "
                           "be pruned together", k, group_at (a, r)->names->str,
                           pl_chan_layer_name (graph, n));
              ok = FALSE;
            }
          decided[r][k] = gone ? 1 : 0;
          removed[r][k] = gone;
        }
    }
  for (guint r = 0; r < ng && ok; r++)
    {
      PlChanGroup *grp = group_at (a, r);
      if (grp->parent != (gint) r)
        continue;
      gint64 n_removed = 0;
      for (gint64 k = 0; k < grp->width; k++)
        n_removed += removed[r][k];
      if (n_removed == 0)
        continue;
      if (grp->refusal != NULL)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "Cannot remove the %" G_GINT64_FORMAT " masked channels of “%s”: %s",
                       n_removed, grp->names->str, grp->refusal);
          ok = FALSE;
        }
      else if (n_removed == grp->width)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "Cannot remove all %" G_GINT64_FORMAT " channels of “%s”: at least one "
                       "must remain", grp->width, grp->names->str);
          ok = FALSE;
        }
      any = TRUE;
    }

  PlGraph *copy = NULL;
  if (ok)
    {
      copy = pl_graph_copy (graph);
      for (guint u = 0; u < a->uses->len && any; u++)
        {
          PlChanUse *use = &g_array_index (a->uses, PlChanUse, u);
          PlNode *n = g_ptr_array_index (copy->nodes, use->node);
          if (use->kind == PL_CHAN_PRODUCER)
            {
              gint r = pl_chan_root (a, use->group);
              g_autofree guint8 *keep = g_new (guint8, group_at (a, r)->width);
              for (gint64 k = 0; k < group_at (a, r)->width; k++)
                keep[k] = !removed[r][k];
              shrink (copy, pl_graph_value (copy, n->inputs[1]), pl_chan_weight_out_axis (n),
                      keep);
              if (n->n_inputs > 2 && n->inputs[2] >= 0)
                {
                  PlValue *b = pl_graph_value (copy, n->inputs[2]);
                  shrink (copy, b, vector_axis (b->init), keep);
                }
              continue;
            }
          g_autofree guint8 *keep = keep_columns (a, use->segs, removed,
                                                  use->kind == PL_CHAN_CONSUMER ? use->inner : 1);
          if (use->kind == PL_CHAN_CONSUMER)
            shrink (copy, pl_graph_value (copy, n->inputs[1]), pl_chan_weight_in_axis (n), keep);
          else if (use->kind == PL_CHAN_BATCHNORM)
            for (gint j = 1; j < 5; j++)
              shrink (copy, pl_graph_value (copy, n->inputs[j]), 0, keep);
          else if (use->kind == PL_CHAN_DEPTHWISE)
            {
              shrink (copy, pl_graph_value (copy, n->inputs[1]), 0, keep);
              if (n->n_inputs > 2 && n->inputs[2] >= 0)
                shrink (copy, pl_graph_value (copy, n->inputs[2]), 0, keep);
              pl_node_set_int (n, "group", pl_graph_value (copy, n->inputs[1])->init->shape[0]);
            }
          else if (use->kind == PL_CHAN_MUL)
            shrink (copy, pl_graph_value (copy, n->inputs[use->const_input]), use->const_axis,
                    keep);
        }
      if (any)
        {
          /* Intermediate shapes are stale now: let the executor infer them again. */
          for (guint v = 0; v < copy->values->len; v++)
            {
              PlValue *val = pl_graph_value (copy, v);
              gboolean is_input = FALSE;
              for (guint i = 0; i < copy->inputs->len; i++)
                if (g_array_index (copy->inputs, gint, i) == (gint) v)
                  is_input = TRUE;
              for (guint i = 0; i < copy->outputs->len; i++)
                if (g_array_index (copy->outputs, gint, i) == (gint) v)
                  is_input = TRUE;
              if (val->init == NULL && !is_input)
                val->ndim = -1;
            }
        }
    }

  for (guint i = 0; i < ng; i++)
    {
      g_free (removed[i]);
      g_free (decided[i]);
    }
  g_free (removed);
  g_free (decided);
  return copy;
}
