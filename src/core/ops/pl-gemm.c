/* pl-gemm.c — ONNX Gemm and 2-D MatMul with cblas_sgemm.
 *
 * Large products are split by rows of Y (and of dA) between pl_parallel_parts () threads;
 * dB, which sums over the rows, is one call. */
#include <cblas.h>
#include "pl-ops.h"

/* Below this many multiply-adds a product runs on the calling thread only. */
#define PAR_MIN_MACS (1 << 20)

typedef struct {
  gint M, N, K;
  gboolean ta, tb;
  float alpha, beta;
  const float *A, *B, *C, *dY;
  gint cm, cn;
  float *Y, *dA;
} GemmJob;

static void
forward_rows (const GemmJob *j, gint m0, gint m1)
{
  const gint N = j->N, K = j->K, M = j->M;
  float b = 0.f;
  if (m1 <= m0)
    return;
  if (j->C != NULL && j->beta != 0.f)
    {
      for (gint i = m0; i < m1; i++)
        for (gint c = 0; c < N; c++)
          j->Y[(gsize) i * N + c] = j->C[(gsize) (j->cm == 1 ? 0 : i) * j->cn + (j->cn == 1 ? 0 : c)];
      b = j->beta;
    }
  if (K == 0)
    {
      for (gsize i = (gsize) m0 * N; i < (gsize) m1 * N; i++)
        j->Y[i] = b == 0.f ? 0.f : j->Y[i] * b;
      return;
    }
  const float *a = j->ta ? j->A + m0 : j->A + (gsize) m0 * K;
  cblas_sgemm (CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans,
               j->tb ? CblasTrans : CblasNoTrans, m1 - m0, N, K, j->alpha,
               a, j->ta ? M : K, j->B, j->tb ? K : N, b, j->Y + (gsize) m0 * N, N);
}

static void
backward_a_rows (const GemmJob *j, gint m0, gint m1)
{
  const gint N = j->N, K = j->K, M = j->M;
  if (m1 <= m0 || K == 0)
    return;
  const float *dy = j->dY + (gsize) m0 * N;
  if (!j->ta) /* dA[M,K] = alpha dY op(B)^T */
    cblas_sgemm (CblasRowMajor, CblasNoTrans, j->tb ? CblasNoTrans : CblasTrans,
                 m1 - m0, K, N, j->alpha, dy, N, j->B, j->tb ? K : N, 1.f,
                 j->dA + (gsize) m0 * K, K);
  else        /* dA[K,M] = alpha op(B) dY^T */
    cblas_sgemm (CblasRowMajor, j->tb ? CblasTrans : CblasNoTrans, CblasTrans,
                 K, m1 - m0, N, j->alpha, j->B, j->tb ? K : N, dy, N, 1.f, j->dA + m0, M);
}

static void
forward_part (gint part, gint n_parts, gpointer data)
{
  const GemmJob *j = data;
  gint64 a, b;
  pl_part_range (j->M, part, n_parts, &a, &b);
  forward_rows (j, (gint) a, (gint) b);
}

static void
backward_a_part (gint part, gint n_parts, gpointer data)
{
  const GemmJob *j = data;
  gint64 a, b;
  pl_part_range (j->M, part, n_parts, &a, &b);
  backward_a_rows (j, (gint) a, (gint) b);
}

static gboolean
worth_splitting (gint M, gint N, gint K)
{
  return (gint64) M * N * MAX (K, 1) >= PAR_MIN_MACS && M >= 2 * pl_parallel_parts ();
}

void
pl_gemm_forward (gint M, gint N, gint K, gboolean trans_a, gboolean trans_b,
                 float alpha, float beta, const float *A, const float *B,
                 const float *C, gint cm, gint cn, float *Y)
{
  if (M == 0 || N == 0)
    return;
  GemmJob j = { .M = M, .N = N, .K = K, .ta = trans_a, .tb = trans_b, .alpha = alpha,
                .beta = beta, .A = A, .B = B, .C = C, .cm = cm, .cn = cn, .Y = Y };
  if (worth_splitting (M, N, K))
    pl_parallel_run (forward_part, &j);
  else
    forward_rows (&j, 0, M);
}

void
pl_gemm_backward (gint M, gint N, gint K, gboolean trans_a, gboolean trans_b,
                  float alpha, float beta, const float *A, const float *B,
                  gint cm, gint cn, const float *dY, float *dA, float *dB, float *dC)
{
  if (M == 0 || N == 0)
    return;
  if (dC != NULL)
    for (gint i = 0; i < M; i++)
      for (gint j = 0; j < N; j++)
        dC[(gsize) (cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)] += beta * dY[(gsize) i * N + j];
  if (K == 0)
    return;
  if (dA != NULL)
    {
      GemmJob j = { .M = M, .N = N, .K = K, .ta = trans_a, .tb = trans_b, .alpha = alpha,
                    .B = B, .dY = dY, .dA = dA };
      if (worth_splitting (M, N, K))
        pl_parallel_run (backward_a_part, &j);
      else
        backward_a_rows (&j, 0, M);
    }
  if (dB != NULL)
    {
      if (!trans_b) /* dB[K,N] = alpha op(A)^T dY */
        cblas_sgemm (CblasRowMajor, trans_a ? CblasNoTrans : CblasTrans, CblasNoTrans,
                     K, N, M, alpha, A, trans_a ? M : K, dY, N, 1.f, dB, N);
      else          /* dB[N,K] = alpha dY^T op(A) */
        cblas_sgemm (CblasRowMajor, CblasTrans, trans_a ? CblasTrans : CblasNoTrans,
                     N, K, M, alpha, dY, N, A, trans_a ? M : K, 1.f, dB, K);
    }
}
