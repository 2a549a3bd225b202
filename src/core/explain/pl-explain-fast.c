/* pl-explain-fast.c — exact fast paths of the attribution methods through the model's
 * linear head (pl_executor_head_value): the first Conv / Gemm is affine in the input, so
 * for inputs that are blends of a few fixed images its output is the same blend of a few
 * precomputed outputs (exact up to float rounding). */
#include "explain/pl-explain-private.h"
#include "pl-error.h"

#include <string.h>

static gint fast_state = -1;     /* -1: not decided (environment), 0 off, 1 on */
static guint fast_uses;

void
pl_explain_set_fast (gboolean enabled)
{
  g_atomic_int_set (&fast_state, enabled ? 1 : 0);
}

gboolean
pl_explain_get_fast (void)
{
  gint s = g_atomic_int_get (&fast_state);
  if (s < 0)
    {
      const char *env = g_getenv ("PL_NO_FAST_EXPLAIN");
      s = env != NULL && env[0] != '\0' && g_strcmp0 (env, "0") != 0 ? 0 : 1;
      g_atomic_int_set (&fast_state, s);
    }
  return s == 1;
}

guint
pl_explain_fast_uses (void)
{
  return (guint) g_atomic_int_get (&fast_uses);
}

gboolean
pl_fast_available (PlExecutor *executor)
{
  return pl_explain_get_fast () && pl_executor_head_value (executor) >= 0;
}

void
pl_fast_note (void)
{
  g_atomic_int_inc (&fast_uses);
}

/* ---- blends of segments ------------------------------------------------------------ */

/* The head output of one sample is seen as [planes, rows, cols] (Conv 2-D: channels,
 * height, width; Conv 1-D: channels, 1, width; Gemm: 1, 1, features). Segment s changes
 * it only inside a box of rows [r0, r1) × cols [c0, c1), stored densely per plane. */
typedef struct {
  gint r0, r1, c0, c1;
  float *block;        /* [planes, r1 - r0, c1 - c0] */
} SegBox;

struct _PlHeadBlend {
  PlExecutor *executor;
  gint M;
  gint64 H;            /* head floats per sample */
  gint64 planes, rows, cols;
  float *h_fill;       /* head (fill), with bias */
  float *h_full;       /* head (x), with bias */
  SegBox *seg;
  PlTensor *like;      /* [1, ...] head output */
};

void
pl_head_blend_free (PlHeadBlend *hb)
{
  if (hb == NULL)
    return;
  for (gint s = 0; hb->seg != NULL && s < hb->M; s++)
    g_free (hb->seg[s].block);
  g_free (hb->seg);
  g_free (hb->h_fill);
  g_free (hb->h_full);
  g_clear_pointer (&hb->like, pl_tensor_unref);
  g_free (hb);
}

/* Larger batches of segment images or responses than this (floats, 64 MiB) are not worth
 * the memory: the plain path is used. */
#define BLEND_MAX_FLOATS ((gint64) 1 << 24)

PlHeadBlend *
pl_head_blend_new (PlExecutor *executor, const PlTensor *x, const PlTensor *fill,
                   const gint *labels, gint M, GError **error)
{
  if (!pl_fast_available (executor) || x->ndim < 2 || x->shape[0] != 1 || M < 1
      || fill->numel != x->numel)
    return NULL;
  gint64 D = x->numel;
  gint64 HW = x->shape[x->ndim - 1] * (x->ndim >= 3 ? x->shape[x->ndim - 2] : 1);
  gint64 C = D / MAX (HW, 1);
  if ((gint64) M * D > BLEND_MAX_FLOATS)
    return NULL;
  g_autoptr (PlTensor) fill1 = pl_tensor_dup (fill);
  memcpy (fill1->shape, x->shape, sizeof fill1->shape);
  fill1->ndim = x->ndim;
  g_autoptr (PlTensor) h_fill = pl_executor_head_linear (executor, fill1, TRUE, error);
  if (h_fill == NULL)
    return NULL;
  g_autoptr (PlTensor) h_full = pl_executor_head_linear (executor, x, TRUE, error);
  if (h_full == NULL)
    return NULL;
  if ((gint64) M * h_full->numel > BLEND_MAX_FLOATS)   /* the per-segment responses */
    return NULL;
  gint64 shape[PL_TENSOR_MAX_DIMS];
  memcpy (shape, x->shape, sizeof shape);
  shape[0] = M;
  g_autoptr (PlTensor) diffs = pl_tensor_new (x->ndim, shape, error);
  if (diffs == NULL)
    return NULL;
  for (gint64 c = 0; c < C; c++)
    for (gint64 p = 0; p < HW; p++)
      {
        gint s = labels[p];
        diffs->data[(gint64) s * D + c * HW + p] = x->data[c * HW + p] - fill->data[c * HW + p];
      }
  g_autoptr (PlTensor) resp = pl_executor_head_linear (executor, diffs, FALSE, error);
  if (resp == NULL)
    return NULL;

  PlHeadBlend *hb = g_new0 (PlHeadBlend, 1);
  hb->executor = executor;
  hb->M = M;
  hb->H = h_full->numel;
  const PlTensor *h = h_full;
  hb->planes = h->ndim >= 3 ? h->shape[1] : 1;
  hb->rows = h->ndim >= 4 ? h->shape[2] : 1;
  hb->cols = h->ndim >= 3 ? h->shape[h->ndim - 1] : h->shape[1];
  if (h->ndim > 4 || hb->planes * hb->rows * hb->cols != hb->H)
    {
      pl_head_blend_free (hb);
      return NULL;
    }
  hb->h_fill = g_memdup2 (h_fill->data, sizeof (float) * (gsize) hb->H);
  hb->h_full = g_memdup2 (h_full->data, sizeof (float) * (gsize) hb->H);
  hb->like = g_steal_pointer (&h_full);
  hb->seg = g_new0 (SegBox, M);
  gint64 R = hb->rows, W = hb->cols, P = hb->planes;
  for (gint s = 0; s < M; s++)
    {
      const float *r = resp->data + (gint64) s * hb->H;
      gint r0 = (gint) R, r1 = 0, c0 = (gint) W, c1 = 0;
      for (gint64 pl = 0; pl < P; pl++)
        for (gint64 i = 0; i < R; i++)
          for (gint64 j = 0; j < W; j++)
            if (r[(pl * R + i) * W + j] != 0.0f)
              {
                r0 = MIN (r0, (gint) i); r1 = MAX (r1, (gint) i + 1);
                c0 = MIN (c0, (gint) j); c1 = MAX (c1, (gint) j + 1);
              }
      SegBox *b = &hb->seg[s];
      if (r1 <= r0)
        {
          b->r0 = b->r1 = b->c0 = b->c1 = 0;
          continue;
        }
      b->r0 = r0; b->r1 = r1; b->c0 = c0; b->c1 = c1;
      gint bw = c1 - c0, bh = r1 - r0;
      b->block = g_new (float, (gsize) P * bh * bw);
      for (gint64 pl = 0; pl < P; pl++)
        for (gint i = 0; i < bh; i++)
          memcpy (b->block + (pl * bh + i) * bw, r + (pl * R + r0 + i) * W + c0,
                  sizeof (float) * bw);
    }
  return hb;
}

static inline void
add_box (const PlHeadBlend *hb, const SegBox *b, gboolean subtract, float *dst)
{
  gint bw = b->c1 - b->c0, bh = b->r1 - b->r0;
  for (gint64 pl = 0; pl < hb->planes; pl++)
    for (gint i = 0; i < bh; i++)
      {
        float *restrict d = dst + (pl * hb->rows + b->r0 + i) * hb->cols + b->c0;
        const float *restrict src = b->block + (pl * bh + i) * bw;
        if (subtract)
          for (gint j = 0; j < bw; j++)
            d[j] -= src[j];
        else
          for (gint j = 0; j < bw; j++)
            d[j] += src[j];
      }
}

typedef struct {
  const PlHeadBlend *hb;
  const guint8 *z;
} BlendJob;

/* Head outputs of coalitions first .. first + count - 1 of z [n, M] (1: the segment shows
 * x, 0: the fill) into out. */
static void
blend_rows (gint64 first, gint64 count, float *out, gpointer data)
{
  const BlendJob *job = data;
  const PlHeadBlend *hb = job->hb;
  for (gint64 r = 0; r < count; r++)
    {
      const guint8 *zr = job->z + (first + r) * hb->M;
      gint on = 0;
      for (gint s = 0; s < hb->M; s++)
        on += zr[s] != 0;
      float *dst = out + r * hb->H;
      /* from the nearer end: x minus the hidden segments, or the fill plus the shown */
      gboolean from_full = 2 * on > hb->M;
      memcpy (dst, from_full ? hb->h_full : hb->h_fill, sizeof (float) * (gsize) hb->H);
      for (gint s = 0; s < hb->M; s++)
        if ((zr[s] != 0) != from_full && hb->seg[s].block != NULL)
          add_box (hb, &hb->seg[s], from_full, dst);
    }
}

gboolean
pl_head_blend_logits (PlHeadBlend *hb, const PlTensor *batch, const guint8 *z, gint target,
                      double *values, GError **error)
{
  BlendJob job = { hb, z };
  if (!pl_executor_forward_head_func (hb->executor, batch, blend_rows, &job, error))
    return FALSE;
  const PlTensor *logits = pl_executor_output (hb->executor, 0);
  gint64 n = batch->shape[0];
  if (logits == NULL || logits->ndim != 2 || logits->shape[0] != n || target < 0
      || logits->shape[1] <= target)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The model's first output should be logits of shape [%" G_GINT64_FORMAT
                   ", classes > %d]", n, target);
      return FALSE;
    }
  gint64 K = logits->shape[1];
  for (gint64 r = 0; r < n; r++)
    values[r] = logits->data[r * K + target];
  return TRUE;
}
