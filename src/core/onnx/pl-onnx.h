/* pl-onnx.h — reading and writing ONNX models (onnx.proto, IR version up to 8).
 *
 * Uses protobuf-c code generated at build time from the system's onnx.proto.
 * Supported: initializers in raw_data (little-endian) or float_data/int64_data,
 * initializers also listed as graph inputs, attributes of every scalar/list type,
 * a symbolic first dimension. Errors name the file and what was wrong:
 * PL_ERROR_IO (cannot read/write), PL_ERROR_PARSE (not an ONNX protobuf, truncated,
 * inconsistent tensor sizes), PL_ERROR_UNSUPPORTED (data type, external data, ...).
 */
#pragma once

#include <glib.h>
#include "graph/pl-graph.h"

G_BEGIN_DECLS

/* Loads a model: the default-domain opset (graph->opset; 0 if the file names none),
 * initializers (FLOAT; integer types held as float when exact, their type remembered in
 * PlValue.elem_type), graph inputs that are not initializers, shapes (a dim_param or an
 * unknown dim becomes -1; the first dim_param name is kept in dim_param0), nodes with
 * FLOAT, INT, STRING, TENSOR, FLOATS and INTS attributes, outputs, and value_info shapes.
 * The graph is validated (pl_graph_validate), then the shape subgraph PyTorch writes for
 * x.view (x.size (0), -1) is folded into a constant Reshape shape [0, -1]
 * (pl_graph_fold_shape_subgraphs). Files above 2 GiB: PL_ERROR_TOO_LARGE. */
PlGraph *pl_onnx_load_file (const char *path, GError **error);
/* Added: the newest default-domain ("" / "ai.onnx") opset the loader accepts. Opsets 18–21
 * changed the operators PruneLens runs only by new element types or by optional inputs and
 * modes the executor refuses by name (Pad's axes input, Pad mode "wrap"); a newer opset is
 * refused with PL_ERROR_UNSUPPORTED naming the file and the opset. */
#define PL_ONNX_MAX_OPSET 21
/* name is used in error messages (e.g. the file name). */
PlGraph *pl_onnx_load_data (const guint8 *data, gsize length, const char *name,
                            GError **error);
/* Serialises graph (opset graph->opset, default 13 if 0). Free with g_free.
 * Writes IR version 8, producer "PruneLens" PACKAGE_VERSION, initializers as
 * little-endian raw_data (FLOAT, or their original integer type), inputs and outputs
 * with their shapes (-1 dims as dim_param: dim_param0 or "N" for the first). An
 * initializer of unknown type (elem_type 0) holding whole numbers and used where ONNX
 * requires INT64 (Reshape shape, Slice starts, Unsqueeze axes, ...) is written as INT64.
 * Masks are not saved: the zeros in the weights are the pruned model. */
guint8 *pl_onnx_save_data (const PlGraph *graph, gsize *length, GError **error);
/* Atomic: writes a temporary file beside path, then renames (g_file_set_contents). */
gboolean pl_onnx_save_file (const PlGraph *graph, const char *path, GError **error);

/* Added: reads one serialized TensorProto (e.g. ONNX's backend test data
 * test_data_set_0/input_0.pb). FLOAT, and integer types (INT64, INT32, INT16, INT8,
 * UINT16, UINT8, BOOL) converted to float when every value is exactly representable
 * (else PL_ERROR_UNSUPPORTED). The shape is the tensor's dims (a scalar has ndim 0).
 * Errors: PL_ERROR_IO, PL_ERROR_PARSE (not a TensorProto, byte size not matching the
 * dims), PL_ERROR_UNSUPPORTED (other data types, external data), PL_ERROR_TOO_LARGE. */
PlTensor *pl_onnx_load_tensor_file (const char *path, GError **error);
/* Added: the same from memory; name is used in error messages. */
PlTensor *pl_onnx_load_tensor_data (const guint8 *data, gsize length, const char *name,
                                    GError **error);
/* Added: writes t as one serialized FLOAT TensorProto (dims = t's shape, little-endian
 * raw_data, name if non-NULL) — the counterpart of pl_onnx_load_tensor_file. Atomic
 * (g_file_set_contents). Errors: PL_ERROR_IO naming the file, PL_ERROR_TOO_LARGE. */
gboolean pl_onnx_save_tensor_file (const PlTensor *t, const char *name, const char *path,
                                   GError **error);

G_END_DECLS
