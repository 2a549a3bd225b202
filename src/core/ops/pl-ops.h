/* pl-ops.h — operator kernels on plain float arrays (private to core).
 *
 * Every kernel has a forward and a backward. Backward functions ACCUMULATE (+=) into the
 * gradient buffers they are given, so a value used by several nodes sums its gradients;
 * a NULL gradient pointer means "not needed" and skips that work.
 * Semantics follow the ONNX operator specification (onnx/docs/Operators.md).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Added: hot loops are compiled three times — AVX-512, AVX2 + FMA and baseline x86-64
 * (the build targets SSE2 only) — and the best one for the CPU is chosen at run time by
 * feature bits (GCC's arch= clones test the CPU model, which virtual machines hide).
 * PL_SIMD_VOID (name, (params), (args)) defines `static void name params` calling
 * name##_body args, which must be `static inline PL_ALWAYS_INLINE void`. */
#define PL_ALWAYS_INLINE __attribute__ ((always_inline))
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
/* 0 baseline, 1 AVX2 + FMA, 2 AVX-512 (F, BW, DQ, VL); PL_SIMD_LEVEL caps it */
static inline gint
pl_simd_level (void)
{
  static gint level = -1;
  if (level < 0)
    {
      __builtin_cpu_init ();
      level = __builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512bw")
              && __builtin_cpu_supports ("avx512dq") && __builtin_cpu_supports ("avx512vl")
              && __builtin_cpu_supports ("fma") ? 2
              : __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma") ? 1 : 0;
      /* PL_SIMD_LEVEL=0 or 1 caps the level (tests run the other code paths with it) */
      const char *cap = g_getenv ("PL_SIMD_LEVEL");
      if (cap != NULL && cap[0] >= '0' && cap[0] <= '2' && cap[0] - '0' < level)
        level = cap[0] - '0';
    }
  return level;
}
#define PL_SIMD_VOID(name, params, args)                                                   \
  __attribute__ ((target ("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,prefer-vector-width=512"))) \
  static void name##_avx512 params { name##_body args; }                                   \
  __attribute__ ((target ("avx2,fma"))) static void name##_avx2 params { name##_body args; } \
  static void name params                                                                   \
  {                                                                                         \
    switch (pl_simd_level ())                                                               \
      {                                                                                     \
      case 2: name##_avx512 args; break;                                                    \
      case 1: name##_avx2 args; break;                                                      \
      default: name##_body args; break;                                                     \
      }                                                                                     \
  }
#else
#define PL_SIMD_VOID(name, params, args) \
  static void name params { name##_body args; }
#endif

/* ---- Parallel parts -------------------------------------------------------------------
 * Kernels split their work into pl_parallel_parts () fixed parts (PL_NUM_THREADS or the
 * number of processors, at most 8) run by pl_parallel_run on worker threads and the
 * calling thread; every part count gives deterministic results. Partial sums (weight
 * gradients) are reduced in part order. Initialising sets OpenBLAS to one thread.
 * Added: a pl_parallel_run called from inside a part runs all its parts in order on the
 * calling thread (same results, no deadlock), so a part may call any kernel. */
typedef void (*PlPartFunc) (gint part, gint n_parts, gpointer data);
gint pl_parallel_parts (void);
void pl_parallel_run (PlPartFunc func, gpointer data);

/* Background priority: makes the calling thread's scheduling priority @nice (0–19, as
 * nice(1); Linux sets it per thread, elsewhere nothing happens) if it is not already. A
 * thread cannot raise its priority back, so call it only on threads that do background
 * work for good. Returns the thread's priority after. */
gint pl_thread_set_nice (gint nice);

/* The parts run on the pool's threads at priority @nice (pl_thread_set_nice) from now on:
 * the workbench calls it so that a computation leaves the CPU to the main loop first. The
 * calling thread's own part keeps its priority. */
void pl_parallel_set_worker_nice (gint nice);

/* [*begin, *end) of n items for part p of n_parts (contiguous, sizes differ by <= 1). */
static inline void
pl_part_range (gint64 n, gint p, gint n_parts, gint64 *begin, gint64 *end)
{
  *begin = n * p / n_parts;
  *end = n * (p + 1) / n_parts;
}

/* ---- Conv (2-D, NCHW, group 1) ----------------------------------------------------
 * x [N, C, H, W], w [M, C, KH, KW], b [M] (may be NULL), y [N, M, OH, OW] with
 * OH = (H + pad_top + pad_bottom - (dil_h (KH - 1) + 1)) / stride_h + 1 (floor).
 * Implemented as im2col + cblas_sgemm over chunks of samples, or directly (see below). */
typedef struct {
  gint n, c, h, w;          /* input */
  gint m, kh, kw;           /* filters */
  gint oh, ow;              /* output */
  gint stride_h, stride_w;
  gint pad_t, pad_l, pad_b, pad_r;
  gint dil_h, dil_w;
} PlConvGeom;

/* Added: algorithm choice. AUTO (default): a direct kernel when C * KH * KW <= 32 (first
 * layers; forward and input gradient), else im2col + sgemm (one sample per sgemm, written
 * straight into y, when OH * OW >= 64; chunks of samples otherwise). The others force
 * one path for the whole process (tests compare them). */
typedef enum { PL_CONV_AUTO, PL_CONV_IM2COL, PL_CONV_DIRECT, PL_CONV_BLOCKED } PlConvAlgo;
void pl_conv_set_algo (PlConvAlgo algo);

/* Fills oh/ow from the rest; FALSE if the output would be empty. */
gboolean pl_conv_geom_finish (PlConvGeom *g);
/* Scratch floats needed by forward and backward. */
gsize pl_conv2d_workspace (const PlConvGeom *g);
void pl_conv2d_forward (const PlConvGeom *g, const float *x, const float *w, const float *b,
                        float *y, float *ws);
/* dx [N,C,H,W], dw [M,C,KH,KW], db [M]: accumulated; each may be NULL. */
void pl_conv2d_backward (const PlConvGeom *g, const float *x, const float *w, const float *dy,
                         float *dx, float *dw, float *db, float *ws);

/* Added (speed): the register-blocked direct convolution (stride 1; see pl-conv.c) is
 * AUTO's forward whenever it can run, its wide grid wastes at most 30 % of the work and a
 * zero-padded sample fits in 1 MiB (PL_CONV_BLOCKED forces it where it can run; input
 * gradients keep the other kernels there). Its output can go through an epilogue before it is stored:
 *   PL_CONV_EPI_NONE          y = Conv (x)                    [N, M, OH, OW]
 *   PL_CONV_EPI_RELU          y = Relu (Conv (x))             [N, M, OH, OW]
 *   PL_CONV_EPI_RELU_MAXPOOL  y = MaxPool2x2 (Relu (Conv (x))) [N, M, OH / 2, OW / 2]
 * bit for bit what pl_conv2d_forward, pl_relu_forward and pl_maxpool_forward give in turn
 * (the same convolution values; the Relu and the 2×2 maximum commute exactly), without
 * storing the intermediate tensors. pl_conv2d_fused_ok says whether the blocked kernel
 * runs g under the current algorithm choice and, for RELU_MAXPOOL, whether pool is the
 * 2×2, stride 2 pool tiling the convolution's output exactly
 * (pl_maxpool_backward_set_ok, with c = M, h = OH, w = OW). ws: pl_conv2d_workspace. */
typedef struct _PlPoolGeom PlPoolGeom;
typedef enum { PL_CONV_EPI_NONE, PL_CONV_EPI_RELU, PL_CONV_EPI_RELU_MAXPOOL } PlConvEpilogue;
gboolean pl_conv2d_fused_ok (const PlConvGeom *g, PlConvEpilogue epi, const PlPoolGeom *pool);
void pl_conv2d_forward_fused (const PlConvGeom *g, const float *x, const float *w,
                              const float *b, PlConvEpilogue epi, float *y, float *ws);

/* ---- Gemm: Y[M,N] = alpha op(A) op(B) + beta C ---------------------------------------
 * op(A) is [M, K] (A is [K, M] when trans_a), op(B) is [K, N] (B is [N, K] when trans_b).
 * C (may be NULL) is [cm, cn] with cm in {1, M} and cn in {1, N} (unidirectional
 * broadcast). MatMul 2-D is Gemm with alpha 1 and no C. */
void pl_gemm_forward (gint M, gint N, gint K, gboolean trans_a, gboolean trans_b,
                      float alpha, float beta, const float *A, const float *B,
                      const float *C, gint cm, gint cn, float *Y);
void pl_gemm_backward (gint M, gint N, gint K, gboolean trans_a, gboolean trans_b,
                       float alpha, float beta, const float *A, const float *B,
                       gint cm, gint cn, const float *dY, float *dA, float *dB, float *dC);

/* ---- Relu ----------------------------------------------------------------------------
 * Backward uses the input: dx += dy where x > 0 (the subgradient at 0 is 0). */
void pl_relu_forward (gsize n, const float *x, float *y);
void pl_relu_backward (gsize n, const float *x, const float *dy, float *dx);

/* ---- MaxPool (2-D) -------------------------------------------------------------------
 * Padding never wins (padded cells are -inf); a window entirely in padding gives 0.
 * Ties: the FIRST maximum in row-major window order wins: backward sends the whole
 * gradient of an output cell to the first input of its window equal to the output
 * (for a NaN output: the first NaN). Forward stores nothing but y; backward rescans. */
struct _PlPoolGeom {
  gint n, c, h, w;
  gint kh, kw;
  gint oh, ow;
  gint stride_h, stride_w;
  gint pad_t, pad_l, pad_b, pad_r;
  gint dil_h, dil_w;
  gboolean ceil_mode;
};

gboolean pl_pool_geom_finish (PlPoolGeom *g);
void pl_maxpool_forward (const PlPoolGeom *g, const float *x, float *y);
void pl_maxpool_backward (const PlPoolGeom *g, const float *x, const float *y,
                          const float *dy, float *dx);
/* Added (speed): MaxPool 2×2, stride 2, no padding / dilation, tiling the input exactly
 * (h = 2·oh, w = 2·ow). pl_maxpool_backward_set_ok says whether g is such a pool. */
gboolean pl_maxpool_backward_set_ok (const PlPoolGeom *g);
/* Its backward written, not accumulated: every cell of dx [N, C, H, W] is set once — dy to
 * the first maximum of its window (the same cell as pl_maxpool_backward), 0 elsewhere — so
 * dx needs no zeroing. With relu_in TRUE, x is the output of a Relu (x = max (z, 0)) and dx
 * is the gradient at the Relu's input z: ReLU'(z) = [z > 0] = [x > 0] is applied too
 * (pl_relu_backward fused in). Single-threaded (callers split the batch). */
void pl_maxpool_backward_set (const PlPoolGeom *g, const float *x, const float *y,
                              const float *dy, gboolean relu_in, float *dx);
/* y = MaxPool (Relu (z)) for such a pool in one pass, equal to pl_relu_forward then
 * pl_maxpool_forward. Its backward is pl_maxpool_backward_set with relu_in and x = z
 * (the Relu's input serves as well as its output there: the same cell is chosen, or the
 * gradient is 0). Single-threaded. */
void pl_maxpool_relu_forward (const PlPoolGeom *g, const float *z, float *y);

/* ---- Add with multidirectional (numpy) broadcasting ----------------------------------
 * Shapes are right-aligned; out_shape has ndim dims, a_shape / b_shape are padded to ndim
 * with leading 1s by the caller. */
gboolean pl_broadcast_shape (gint nda, const gint64 *a, gint ndb, const gint64 *b,
                             gint *nd_out, gint64 *out);
void pl_add_forward (gint nd, const gint64 *out_shape, const gint64 *a_shape, const float *a,
                     const gint64 *b_shape, const float *b, float *y);
/* da (shape a_shape) and db (shape b_shape) accumulate the reduced gradient. */
void pl_add_backward (gint nd, const gint64 *out_shape, const gint64 *a_shape,
                      const gint64 *b_shape, const float *dy, float *da, float *db);

/* ---- Softmax over contiguous groups ----------------------------------------------------
 * The tensor is viewed as [outer, d, inner] and normalised along d (opset 13: d is the
 * axis dimension; opsets < 13: inner = 1 and d is the product of dims from axis). */
void pl_softmax_forward (gsize outer, gsize d, gsize inner, const float *x, float *y);
/* dx += y * (dy - sum_d dy * y) */
void pl_softmax_backward (gsize outer, gsize d, gsize inner, const float *y, const float *dy,
                          float *dx);

/* ---- Copy-like ops (Identity, Dropout in inference, Flatten, Reshape) ---------------- */
void pl_copy_forward (gsize n, const float *x, float *y);
void pl_copy_backward (gsize n, const float *dy, float *dx);

/* Reshape target shape per ONNX (allowzero = 0): 0 copies the input dim, -1 is inferred.
 * Returns FALSE with a message in *why (g_free) when impossible. */
gboolean pl_reshape_resolve (gint in_nd, const gint64 *in_shape, gint n_req,
                             const gint64 *req, gint64 *out_shape, char **why);

G_END_DECLS

/* ===================================================================================
 * Added operators (ONNX opsets 7-17). All backward functions accumulate (+=); NULL
 * gradient pointers skip work.
 * =================================================================================== */
G_BEGIN_DECLS

/* ---- Add / Sub / Mul / Div with numpy broadcasting (shapes as for pl_add_forward) ---- */
typedef enum { PL_BINARY_ADD, PL_BINARY_SUB, PL_BINARY_MUL, PL_BINARY_DIV } PlBinaryOp;
void pl_binary_forward (PlBinaryOp op, gint nd, const gint64 *out_shape,
                        const gint64 *a_shape, const float *a, const gint64 *b_shape,
                        const float *b, float *y);
/* Gradients reduced (summed) over the broadcast axes of a and b. */
void pl_binary_backward (PlBinaryOp op, gint nd, const gint64 *out_shape,
                         const gint64 *a_shape, const float *a, const gint64 *b_shape,
                         const float *b, const float *dy, float *da, float *db);

/* ---- Elementwise unary ----------------------------------------------------------------
 * LeakyRelu (p0 = alpha): y = x > 0 ? x : alpha x; gradient 1 for x > 0, alpha otherwise
 * (PyTorch's convention at 0). Sigmoid, Tanh (gradients from x when x != NULL —
 * σ(x)σ(−x) and sech² x, accurate in saturation — else from y). Clip (p0 = min,
 * p1 = max): y = min (max (x, lo), hi); gradient 1 where lo <= x <= hi, else 0. */
typedef enum { PL_UNARY_LEAKY_RELU, PL_UNARY_SIGMOID, PL_UNARY_TANH, PL_UNARY_CLIP } PlUnaryOp;
void pl_unary_forward (PlUnaryOp op, float p0, float p1, gsize n, const float *x, float *y);
void pl_unary_backward (PlUnaryOp op, float p0, float p1, gsize n, const float *x,
                        const float *y, const float *dy, float *dx);

/* ---- LogSoftmax over [outer, d, inner] (see pl_softmax_forward) -----------------------
 * y = x - max - log sum exp (x - max); dx += dy - exp(y) sum_d dy. */
void pl_log_softmax_forward (gsize outer, gsize d, gsize inner, const float *x, float *y);
void pl_log_softmax_backward (gsize outer, gsize d, gsize inner, const float *y,
                              const float *dy, float *dx);

/* ---- Transpose: y has shape in_shape[perm[k]] ----------------------------------------- */
void pl_transpose_forward (gint nd, const gint64 *in_shape, const gint64 *perm,
                           const float *x, float *y);
void pl_transpose_backward (gint nd, const gint64 *in_shape, const gint64 *perm,
                            const float *dy, float *dx);

/* ---- Constant Pad (N-d; negative pads crop) --------------------------------------------
 * begin[k] / out_shape[k]: y[o] = x[o - begin] when inside x, value otherwise. */
void pl_pad_forward (gint nd, const gint64 *in_shape, const gint64 *out_shape,
                     const gint64 *begin, float value, const float *x, float *y);
void pl_pad_backward (gint nd, const gint64 *in_shape, const gint64 *out_shape,
                      const gint64 *begin, const float *dy, float *dx);

/* ---- AveragePool (2-D, geometry as MaxPool) --------------------------------------------
 * The divisor counts the window cells inside the input (count_include_pad 0) or inside
 * the explicitly padded input (count_include_pad 1); cells beyond the padding that
 * ceil_mode adds are never counted (as ONNX's reference and PyTorch). */
void pl_avgpool_forward (const PlPoolGeom *g, gboolean count_include_pad, const float *x,
                         float *y);
void pl_avgpool_backward (const PlPoolGeom *g, gboolean count_include_pad, const float *dy,
                          float *dx);

/* ---- BatchNormalization (inference): x [N, C, S...] viewed as [n, c, s] ----------------
 * y = scale (x - mean) / sqrt (var + eps) + bias. Every gradient pointer may be NULL. */
void pl_batchnorm_forward (gsize n, gsize c, gsize s, float eps, const float *x,
                           const float *scale, const float *bias, const float *mean,
                           const float *var, float *y);
void pl_batchnorm_backward (gsize n, gsize c, gsize s, float eps, const float *x,
                            const float *scale, const float *mean, const float *var,
                            const float *dy, float *dx, float *dscale, float *dbias,
                            float *dmean, float *dvar);

/* ---- Batched MatMul with broadcast batch dims ------------------------------------------
 * The batch shapes (nb dims) of A, B and Y: a_b, b_b, y_b (a_b / b_b padded with 1s).
 * Each batch item: Y[M,N] = A[M,K] B[K,N]. */
void pl_matmul_forward (gint nb, const gint64 *y_b, const gint64 *a_b, const gint64 *b_b,
                        gint M, gint N, gint K, const float *A, const float *B, float *Y);
void pl_matmul_backward (gint nb, const gint64 *y_b, const gint64 *a_b, const gint64 *b_b,
                         gint M, gint N, gint K, const float *A, const float *B,
                         const float *dY, float *dA, float *dB);

/* ---- Gather along an axis: data [outer, d, inner], indices n_idx (already wrapped to
 * [0, d)), y [outer, n_idx, inner]; backward scatter-adds. */
void pl_gather_forward (gsize outer, gsize d, gsize inner, const gint64 *idx, gsize n_idx,
                        const float *x, float *y);
void pl_gather_backward (gsize outer, gsize d, gsize inner, const gint64 *idx, gsize n_idx,
                         const float *dy, float *dx);

/* ---- Grouped 2-D convolution: g describes ONE group (c = C / groups, m = M / groups);
 * x [N, groups*c, H, W], w [groups*m, c, KH, KW], y [N, groups*m, OH, OW]. Gathers each
 * group's channels into scratch and runs pl_conv2d_*. */
void pl_conv2d_grouped_forward (const PlConvGeom *g, gint groups, const float *x,
                                const float *w, const float *b, float *y);
void pl_conv2d_grouped_backward (const PlConvGeom *g, gint groups, const float *x,
                                 const float *w, const float *dy, float *dx, float *dw,
                                 float *db);

G_END_DECLS
