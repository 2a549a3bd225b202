/* pl-elementwise.c — Add with numpy broadcasting; copy-like ops; Reshape shape rules. */
#include <string.h>
#include "pl-ops.h"
#include "tensor/pl-tensor.h"

gboolean
pl_broadcast_shape (gint nda, const gint64 *a, gint ndb, const gint64 *b,
                    gint *nd_out, gint64 *out)
{
  gint nd = MAX (nda, ndb);
  for (gint k = 0; k < nd; k++)
    {
      gint ia = nda - nd + k, ib = ndb - nd + k;
      gint64 da = ia >= 0 ? a[ia] : 1;
      gint64 db = ib >= 0 ? b[ib] : 1;
      if (da != db && da != 1 && db != 1)
        return FALSE;
      out[k] = da == 1 ? db : da;
    }
  *nd_out = nd;
  return TRUE;
}

static void
strides_for (gint nd, const gint64 *out_shape, const gint64 *shape, gint64 *strides)
{
  gint64 s = 1;
  for (gint k = nd - 1; k >= 0; k--)
    {
      strides[k] = (shape[k] == 1 && out_shape[k] != 1) ? 0 : s;
      s *= shape[k];
    }
}

/* Calls back with the offsets into a and b for every output index, in order. */
#define BROADCAST_LOOP(nd, out_shape, a_shape, b_shape, BODY)                    \
  G_STMT_START {                                                                \
    gint64 sa_[PL_TENSOR_MAX_DIMS], sb_[PL_TENSOR_MAX_DIMS];                    \
    gint64 idx_[PL_TENSOR_MAX_DIMS] = { 0 };                                    \
    strides_for (nd, out_shape, a_shape, sa_);                                  \
    strides_for (nd, out_shape, b_shape, sb_);                                  \
    gint64 total_ = pl_shape_numel (nd, out_shape);                             \
    gint64 oa = 0, ob = 0;                                                      \
    for (gint64 i = 0; i < total_; i++)                                         \
      {                                                                         \
        BODY;                                                                   \
        for (gint k_ = nd - 1; k_ >= 0; k_--)                                   \
          {                                                                     \
            idx_[k_]++;                                                         \
            oa += sa_[k_];                                                      \
            ob += sb_[k_];                                                      \
            if (idx_[k_] < out_shape[k_])                                       \
              break;                                                            \
            oa -= sa_[k_] * idx_[k_];                                           \
            ob -= sb_[k_] * idx_[k_];                                           \
            idx_[k_] = 0;                                                       \
          }                                                                     \
      }                                                                         \
  } G_STMT_END

static gboolean
same (gint nd, const gint64 *x, const gint64 *y)
{
  return memcmp (x, y, sizeof (gint64) * nd) == 0;
}

void
pl_add_forward (gint nd, const gint64 *out_shape, const gint64 *a_shape, const float *a,
                const gint64 *b_shape, const float *b, float *y)
{
  if (same (nd, out_shape, a_shape) && same (nd, out_shape, b_shape))
    {
      gint64 n = pl_shape_numel (nd, out_shape);
      for (gint64 i = 0; i < n; i++)
        y[i] = a[i] + b[i];
      return;
    }
  BROADCAST_LOOP (nd, out_shape, a_shape, b_shape, y[i] = a[oa] + b[ob]);
}

void
pl_add_backward (gint nd, const gint64 *out_shape, const gint64 *a_shape,
                 const gint64 *b_shape, const float *dy, float *da, float *db)
{
  if (same (nd, out_shape, a_shape) && same (nd, out_shape, b_shape))
    {
      gint64 n = pl_shape_numel (nd, out_shape);
      if (da != NULL)
        for (gint64 i = 0; i < n; i++)
          da[i] += dy[i];
      if (db != NULL)
        for (gint64 i = 0; i < n; i++)
          db[i] += dy[i];
      return;
    }
  BROADCAST_LOOP (nd, out_shape, a_shape, b_shape,
                  {
                    if (da != NULL)
                      da[oa] += dy[i];
                    if (db != NULL)
                      db[ob] += dy[i];
                  });
}

void
pl_copy_forward (gsize n, const float *x, float *y)
{
  if (x != y)
    memcpy (y, x, n * sizeof (float));
}

void
pl_copy_backward (gsize n, const float *dy, float *dx)
{
  for (gsize i = 0; i < n; i++)
    dx[i] += dy[i];
}

gboolean
pl_reshape_resolve (gint in_nd, const gint64 *in_shape, gint n_req, const gint64 *req,
                    gint64 *out_shape, char **why)
{
  gint64 in_numel = pl_shape_numel (in_nd, in_shape);
  gint64 known = 1;
  gint infer = -1;
  if (n_req > PL_TENSOR_MAX_DIMS)
    {
      *why = g_strdup_printf ("target shape has %d dimensions (at most %d supported)",
                              n_req, PL_TENSOR_MAX_DIMS);
      return FALSE;
    }
  for (gint k = 0; k < n_req; k++)
    {
      gint64 d = req[k];
      if (d == 0)
        {
          if (k >= in_nd)
            {
              *why = g_strdup_printf ("shape entry %d is 0 (copy) but the input has only %d "
                                      "dimensions", k, in_nd);
              return FALSE;
            }
          d = in_shape[k];
        }
      if (d == -1)
        {
          if (infer >= 0)
            {
              *why = g_strdup ("more than one -1 in the target shape");
              return FALSE;
            }
          infer = k;
          continue;
        }
      if (d < 0)
        {
          *why = g_strdup_printf ("invalid shape entry %" G_GINT64_FORMAT, d);
          return FALSE;
        }
      out_shape[k] = d;
      known *= d;
    }
  if (infer >= 0)
    {
      if (known == 0 || in_numel % known != 0)
        {
          *why = g_strdup_printf ("cannot infer -1: %" G_GINT64_FORMAT " elements are not a "
                                  "multiple of %" G_GINT64_FORMAT, in_numel, known);
          return FALSE;
        }
      out_shape[infer] = in_numel / known;
      known *= out_shape[infer];
    }
  if (known != in_numel)
    {
      *why = g_strdup_printf ("target has %" G_GINT64_FORMAT " elements, input has %"
                              G_GINT64_FORMAT, known, in_numel);
      return FALSE;
    }
  return TRUE;
}

/* ---- Sub, Mul, Div (and Add) with broadcasting ----------------------------------------- */

void
pl_binary_forward (PlBinaryOp op, gint nd, const gint64 *out_shape, const gint64 *a_shape,
                   const float *a, const gint64 *b_shape, const float *b, float *y)
{
  if (op != PL_BINARY_ADD && same (nd, out_shape, a_shape) && same (nd, out_shape, b_shape))
    {
      gint64 n = pl_shape_numel (nd, out_shape);
      for (gint64 i = 0; i < n; i++)
        y[i] = op == PL_BINARY_SUB ? a[i] - b[i] : op == PL_BINARY_MUL ? a[i] * b[i]
                                                                       : a[i] / b[i];
      return;
    }
  switch (op)
    {
    case PL_BINARY_ADD:
      pl_add_forward (nd, out_shape, a_shape, a, b_shape, b, y);
      break;
    case PL_BINARY_SUB:
      BROADCAST_LOOP (nd, out_shape, a_shape, b_shape, y[i] = a[oa] - b[ob]);
      break;
    case PL_BINARY_MUL:
      BROADCAST_LOOP (nd, out_shape, a_shape, b_shape, y[i] = a[oa] * b[ob]);
      break;
    case PL_BINARY_DIV:
      BROADCAST_LOOP (nd, out_shape, a_shape, b_shape, y[i] = a[oa] / b[ob]);
      break;
    }
}

void
pl_binary_backward (PlBinaryOp op, gint nd, const gint64 *out_shape, const gint64 *a_shape,
                    const float *a, const gint64 *b_shape, const float *b, const float *dy,
                    float *da, float *db)
{
  switch (op)
    {
    case PL_BINARY_ADD:
      pl_add_backward (nd, out_shape, a_shape, b_shape, dy, da, db);
      break;
    case PL_BINARY_SUB:
      BROADCAST_LOOP (nd, out_shape, a_shape, b_shape,
                      {
                        if (da != NULL)
                          da[oa] += dy[i];
                        if (db != NULL)
                          db[ob] -= dy[i];
                      });
      break;
    case PL_BINARY_MUL:
      BROADCAST_LOOP (nd, out_shape, a_shape, b_shape,
                      {
                        if (da != NULL)
                          da[oa] += dy[i] * b[ob];
                        if (db != NULL)
                          db[ob] += dy[i] * a[oa];
                      });
      break;
    case PL_BINARY_DIV:
      BROADCAST_LOOP (nd, out_shape, a_shape, b_shape,
                      {
                        if (da != NULL)
                          da[oa] += dy[i] / b[ob];
                        if (db != NULL)
                          db[ob] -= dy[i] * a[oa] / (b[ob] * b[ob]);
                      });
      break;
    }
}
