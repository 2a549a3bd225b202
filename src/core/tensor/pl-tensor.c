/* pl-tensor.c — float32 N-d tensors, row-major, refcounted. */
#include "tensor/pl-tensor.h"
#include "pl-error.h"

#include <math.h>
#include <string.h>

#define PL_TENSOR_ALIGN 64

gint64
pl_shape_numel (gint ndim, const gint64 *shape)
{
  gint64 n = 1;

  if (ndim < 0 || ndim > PL_TENSOR_MAX_DIMS)
    return -1;
  if (ndim > 0 && shape == NULL)
    return -1;
  for (gint i = 0; i < ndim; i++)
    {
      if (shape[i] < 0)
        return -1;
      if (shape[i] == 0)
        {
          /* Still check the remaining dims for negative values. */
          for (gint j = i + 1; j < ndim; j++)
            if (shape[j] < 0)
              return -1;
          return 0;
        }
      if (n > PL_TENSOR_MAX_ELEMENTS / shape[i])
        return -1;
      n *= shape[i];
    }
  if (n > PL_TENSOR_MAX_ELEMENTS)
    return -1;
  return n;
}

PlTensor *
pl_tensor_new (gint ndim, const gint64 *shape, GError **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (ndim < 0 || ndim > PL_TENSOR_MAX_DIMS)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Tensor rank %d is out of range (0 to %d dimensions)",
                   ndim, PL_TENSOR_MAX_DIMS);
      return NULL;
    }
  if (ndim > 0 && shape == NULL)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "Tensor shape is missing");
      return NULL;
    }

  gint64 numel = pl_shape_numel (ndim, shape);
  if (numel < 0)
    {
      g_autofree char *s = pl_tensor_shape_string (ndim, shape);
      gboolean negative = FALSE;
      for (gint i = 0; i < ndim; i++)
        if (shape[i] < 0)
          negative = TRUE;
      if (negative)
        g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                     "Tensor shape %s has a negative dimension", s);
      else
        g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                     "Tensor shape %s is too large (at most %" G_GINT64_FORMAT " elements)",
                     s, (gint64) PL_TENSOR_MAX_ELEMENTS);
      return NULL;
    }

  gsize bytes = (gsize) (numel > 0 ? numel : 1) * sizeof (float);
  /* Round up to the alignment so aligned_alloc's contract holds. */
  bytes = (bytes + PL_TENSOR_ALIGN - 1) & ~((gsize) PL_TENSOR_ALIGN - 1);
  void *data = NULL;
  if (posix_memalign (&data, PL_TENSOR_ALIGN, bytes) != 0 || data == NULL)
    {
      g_autofree char *s = pl_tensor_shape_string (ndim, shape);
      g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                   "Out of memory allocating a tensor of shape %s (%" G_GSIZE_FORMAT " bytes)",
                   s, bytes);
      return NULL;
    }
  memset (data, 0, bytes);

  PlTensor *t = g_new0 (PlTensor, 1);
  t->ref_count = 1;
  t->ndim = ndim;
  for (gint i = 0; i < ndim; i++)
    t->shape[i] = shape[i];
  t->numel = numel;
  t->data = data;
  return t;
}

static PlTensor *
new_or_abort (gint ndim, const gint64 *shape)
{
  g_autoptr (GError) error = NULL;
  PlTensor *t = pl_tensor_new (ndim, shape, &error);
  if (t == NULL)
    g_error ("pl_tensor_new: %s", error->message);
  return t;
}

PlTensor *
pl_tensor_new_1d (gint64 d0)
{
  gint64 s[1] = { d0 };
  return new_or_abort (1, s);
}

PlTensor *
pl_tensor_new_2d (gint64 d0, gint64 d1)
{
  gint64 s[2] = { d0, d1 };
  return new_or_abort (2, s);
}

PlTensor *
pl_tensor_new_4d (gint64 d0, gint64 d1, gint64 d2, gint64 d3)
{
  gint64 s[4] = { d0, d1, d2, d3 };
  return new_or_abort (4, s);
}

PlTensor *
pl_tensor_new_like (const PlTensor *t)
{
  g_return_val_if_fail (t != NULL, NULL);
  return new_or_abort (t->ndim, t->shape);
}

PlTensor *
pl_tensor_dup (const PlTensor *t)
{
  g_return_val_if_fail (t != NULL, NULL);
  PlTensor *c = new_or_abort (t->ndim, t->shape);
  if (t->numel > 0)
    memcpy (c->data, t->data, (gsize) t->numel * sizeof (float));
  return c;
}

PlTensor *
pl_tensor_ref (PlTensor *t)
{
  g_return_val_if_fail (t != NULL, NULL);
  g_atomic_int_inc (&t->ref_count);
  return t;
}

void
pl_tensor_unref (PlTensor *t)
{
  if (t == NULL)
    return;
  if (g_atomic_int_dec_and_test (&t->ref_count))
    {
      free (t->data);
      g_free (t);
    }
}

gboolean
pl_tensor_reshape (PlTensor *t, gint ndim, const gint64 *shape)
{
  g_return_val_if_fail (t != NULL, FALSE);
  gint64 n = pl_shape_numel (ndim, shape);
  if (n < 0 || n != t->numel)
    return FALSE;
  t->ndim = ndim;
  for (gint i = 0; i < PL_TENSOR_MAX_DIMS; i++)
    t->shape[i] = i < ndim ? shape[i] : 0;
  return TRUE;
}

gboolean
pl_tensor_same_shape (const PlTensor *a, const PlTensor *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);
  if (a->ndim != b->ndim)
    return FALSE;
  for (gint i = 0; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i])
      return FALSE;
  return TRUE;
}

char *
pl_tensor_shape_string (gint ndim, const gint64 *shape)
{
  GString *s = g_string_new ("[");
  if (ndim < 0)
    {
      g_string_append (s, "?]");
      return g_string_free (s, FALSE);
    }
  for (gint i = 0; i < ndim && shape != NULL; i++)
    {
      if (i > 0)
        g_string_append (s, ", ");
      if (shape[i] < 0)
        g_string_append (s, "?");
      else
        g_string_append_printf (s, "%" G_GINT64_FORMAT, shape[i]);
    }
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

float
pl_tensor_max_abs (const PlTensor *t)
{
  g_return_val_if_fail (t != NULL, 0.0f);
  float m = 0.0f;
  for (gint64 i = 0; i < t->numel; i++)
    {
      float a = fabsf (t->data[i]);
      if (a > m || isnan (a))
        {
          m = a;
          if (isnan (a))
            break;
        }
    }
  return m;
}

gint64
pl_tensor_argmax (const float *v, gint64 n)
{
  if (v == NULL || n <= 0)
    return -1;
  gint64 best = 0;
  for (gint64 i = 1; i < n; i++)
    if (v[i] > v[best])
      best = i;
  return best;
}
