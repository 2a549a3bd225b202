/* pl-tensor.h — float32 N-d tensors, row-major, refcounted.
 *
 * Images are NCHW: shape [N, C, H, W]. Data is 64-byte aligned and owned by the tensor.
 * Sizes are checked for overflow and against PL_TENSOR_MAX_ELEMENTS; a failing
 * allocation request returns NULL with PL_ERROR_TOO_LARGE instead of aborting.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define PL_TENSOR_MAX_DIMS 8
/* 2^31 elements (8 GiB of float32): anything larger is refused as absurd. */
#define PL_TENSOR_MAX_ELEMENTS (G_GINT64_CONSTANT (1) << 31)

typedef struct {
  gint ref_count;
  gint ndim;
  gint64 shape[PL_TENSOR_MAX_DIMS];
  gint64 numel;
  float *data;
} PlTensor;

/* Number of elements of a shape, or -1 if a dimension is negative, the product
 * overflows or exceeds PL_TENSOR_MAX_ELEMENTS. ndim == 0 gives 1 (a scalar). */
gint64 pl_shape_numel (gint ndim, const gint64 *shape);

/* A zero-filled tensor. Errors: PL_ERROR_TOO_LARGE, PL_ERROR_INVALID (ndim out of range). */
PlTensor *pl_tensor_new (gint ndim, const gint64 *shape, GError **error);
/* Convenience for fixed small shapes in code (aborts on invalid shapes: programmer error). */
PlTensor *pl_tensor_new_1d (gint64 d0);
PlTensor *pl_tensor_new_2d (gint64 d0, gint64 d1);
PlTensor *pl_tensor_new_4d (gint64 d0, gint64 d1, gint64 d2, gint64 d3);
PlTensor *pl_tensor_new_like (const PlTensor *t);      /* zero-filled, same shape */
PlTensor *pl_tensor_dup (const PlTensor *t);           /* deep copy */
PlTensor *pl_tensor_ref (PlTensor *t);
void pl_tensor_unref (PlTensor *t);

/* Change the shape in place (same numel required; returns FALSE otherwise). */
gboolean pl_tensor_reshape (PlTensor *t, gint ndim, const gint64 *shape);
gboolean pl_tensor_same_shape (const PlTensor *a, const PlTensor *b);
/* "[1, 28, 28]" — for messages. Free with g_free. */
char *pl_tensor_shape_string (gint ndim, const gint64 *shape);

/* Reductions, helpful everywhere. */
float pl_tensor_max_abs (const PlTensor *t);
gint64 pl_tensor_argmax (const float *v, gint64 n);   /* first maximum */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlTensor, pl_tensor_unref)

G_END_DECLS
