/* fuzz-onnx.c — ONNX ModelProto loader (pl_onnx_load_data), then validate, executor,
 * one bounded forward pass, and a save/reload round trip of what loaded. */
#include "pl-fuzz.h"
#include "onnx/pl-onnx.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) graph = pl_onnx_load_data (data, size, "fuzz.onnx", &error);
  if (graph == NULL) {
    g_assert (error != NULL);
    g_assert (error->message != NULL && error->message[0] != '\0');
    return 0;
  }
  g_assert (error == NULL);

  /* What loaded must save and load again. */
  gsize length = 0;
  g_autofree guint8 *saved = pl_onnx_save_data (graph, &length, &error);
  if (saved != NULL) {
    g_autoptr (PlGraph) again = pl_onnx_load_data (saved, length, "fuzz-resaved.onnx", NULL);
    (void) again;
  }
  g_clear_error (&error);

  pl_fuzz_run_graph (graph);
  return 0;
}
