/* fuzz-tensor.c — serialized TensorProto loader (pl_onnx_load_tensor_data). */
#include "pl-fuzz.h"
#include "onnx/pl-onnx.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlTensor) t = pl_onnx_load_tensor_data (data, size, "fuzz.pb", &error);
  if (t == NULL) {
    g_assert (error != NULL);
    return 0;
  }
  /* Touch every element: the size must be what the shape says. */
  gint64 numel = pl_shape_numel (t->ndim, t->shape);
  g_assert (numel >= 0);
  volatile float sum = 0.0f;
  for (gint64 i = 0; i < numel; i++)
    sum += t->data[i];
  (void) sum;
  return 0;
}
