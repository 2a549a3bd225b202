/* pl-gemm.c — ONNX Gemm and 2-D MatMul with cblas_sgemm. */
#include <cblas.h>
#include "pl-ops.h"

void
pl_gemm_forward (gint M, gint N, gint K, gboolean trans_a, gboolean trans_b,
                 float alpha, float beta, const float *A, const float *B,
                 const float *C, gint cm, gint cn, float *Y)
{
  float b = 0.f;
  if (C != NULL && beta != 0.f)
    {
      for (gint i = 0; i < M; i++)
        for (gint j = 0; j < N; j++)
          Y[(gsize) i * N + j] = C[(gsize) (cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
      b = beta;
    }
  if (K == 0)
    {
      if (b == 0.f)
        for (gsize i = 0; i < (gsize) M * N; i++)
          Y[i] = 0.f;
      else if (b != 1.f)
        for (gsize i = 0; i < (gsize) M * N; i++)
          Y[i] *= b;
      return;
    }
  cblas_sgemm (CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
               trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha,
               A, trans_a ? M : K, B, trans_b ? K : N, b, Y, N);
}

void
pl_gemm_backward (gint M, gint N, gint K, gboolean trans_a, gboolean trans_b,
                  float alpha, float beta, const float *A, const float *B,
                  gint cm, gint cn, const float *dY, float *dA, float *dB, float *dC)
{
  if (dC != NULL)
    for (gint i = 0; i < M; i++)
      for (gint j = 0; j < N; j++)
        dC[(gsize) (cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)] += beta * dY[(gsize) i * N + j];
  if (K == 0)
    return;
  if (dA != NULL)
    {
      if (!trans_a) /* dA[M,K] = alpha dY op(B)^T */
        cblas_sgemm (CblasRowMajor, CblasNoTrans, trans_b ? CblasNoTrans : CblasTrans,
                     M, K, N, alpha, dY, N, B, trans_b ? K : N, 1.f, dA, K);
      else          /* dA[K,M] = alpha op(B) dY^T */
        cblas_sgemm (CblasRowMajor, trans_b ? CblasTrans : CblasNoTrans, CblasTrans,
                     K, M, N, alpha, B, trans_b ? K : N, dY, N, 1.f, dA, M);
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
