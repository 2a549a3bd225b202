/* gen-seeds.c — writes the small generated seeds of the corpora:
 *   gen-seeds OUTDIR  ->  OUTDIR/onnx/gen-*.onnx, OUTDIR/tensor/gen-*.pb, OUTDIR/idx/gen-*
 * Tiny models built with the graph builder and saved with pl_onnx_save_data (so they
 * cover what PruneLens itself writes), a tensor, and IDX pairs (plain and gzip) in the
 * fuzz-idx input layout (4-byte little-endian images length, images, labels).
 * Run by hand when the formats change; its output is committed in corpus/. */
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

#include "onnx/pl-onnx.h"

static void
save_graph (PlGraph *g, const char *dir, const char *name)
{
  g_autoptr (GError) error = NULL;
  gsize len = 0;
  g_autofree guint8 *data = pl_onnx_save_data (g, &len, &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "onnx", name, NULL);
  g_file_set_contents (path, (const char *) data, (gssize) len, &error);
  g_assert_no_error (error);
}

static PlTensor *
ramp (gint ndim, const gint64 *shape)
{
  PlTensor *t = pl_tensor_new (ndim, shape, NULL);
  for (gint64 i = 0; i < t->numel; i++)
    t->data[i] = (float) ((i * 7) % 11) / 10.0f - 0.5f;
  return t;
}

static void
tiny_cnn (const char *dir)
{
  g_autoptr (PlGraph) g = pl_graph_new ();
  g->opset = 13;
  const gint64 in_shape[4] = { -1, 1, 6, 6 };
  pl_graph_add_input (g, "x", 4, in_shape);
  const gint64 ws[4] = { 2, 1, 3, 3 }, bs[1] = { 2 }, fw[2] = { 3, 8 }, fb[1] = { 3 };
  g_autoptr (PlTensor) w = ramp (4, ws);
  g_autoptr (PlTensor) b = ramp (1, bs);
  g_autoptr (PlTensor) w2 = ramp (2, fw);
  g_autoptr (PlTensor) b2 = ramp (1, fb);
  pl_graph_add_initializer (g, "w", w);
  pl_graph_add_initializer (g, "b", b);
  pl_graph_add_initializer (g, "w2", w2);
  pl_graph_add_initializer (g, "b2", b2);
  PlNode *n = pl_graph_add_node (g, "Conv", "conv", 3, (const char *[]) { "x", "w", "b" }, 1,
                                 (const char *[]) { "c" });
  pl_node_set_ints (n, "kernel_shape", 2, (const gint64[]) { 3, 3 });
  pl_graph_add_node (g, "Relu", "relu", 1, (const char *[]) { "c" }, 1, (const char *[]) { "r" });
  n = pl_graph_add_node (g, "MaxPool", "pool", 1, (const char *[]) { "r" }, 1,
                         (const char *[]) { "p" });
  pl_node_set_ints (n, "kernel_shape", 2, (const gint64[]) { 2, 2 });
  pl_node_set_ints (n, "strides", 2, (const gint64[]) { 2, 2 });
  n = pl_graph_add_node (g, "Flatten", "flat", 1, (const char *[]) { "p" }, 1,
                         (const char *[]) { "f" });
  pl_node_set_int (n, "axis", 1);
  n = pl_graph_add_node (g, "Gemm", "fc", 3, (const char *[]) { "f", "w2", "b2" }, 1,
                         (const char *[]) { "y" });
  pl_node_set_int (n, "transB", 1);
  pl_graph_add_output (g, "y");
  g_autoptr (GError) error = NULL;
  g_assert_true (pl_graph_validate (g, &error));
  save_graph (g, dir, "gen-tiny-cnn.onnx");
}

/* x.view (n, -1) as PyTorch writes it, then Softmax: Shape -> Gather -> Unsqueeze ->
 * Concat -> Reshape, plus BatchNormalization, Pad and AveragePool. */
static void
tiny_reshape (const char *dir)
{
  g_autoptr (PlGraph) g = pl_graph_new ();
  g->opset = 13;
  const gint64 in_shape[4] = { -1, 2, 4, 4 };
  pl_graph_add_input (g, "x", 4, in_shape);
  const gint64 cs[1] = { 2 };
  g_autoptr (PlTensor) scale = ramp (1, cs);
  g_autoptr (PlTensor) bias = ramp (1, cs);
  g_autoptr (PlTensor) mean = ramp (1, cs);
  g_autoptr (PlTensor) var = pl_tensor_new (1, cs, NULL);
  var->data[0] = 1.0f;
  var->data[1] = 0.5f;
  pl_graph_add_initializer (g, "scale", scale);
  pl_graph_add_initializer (g, "bias", bias);
  pl_graph_add_initializer (g, "mean", mean);
  pl_graph_add_initializer (g, "var", var);
  g_autoptr (PlTensor) zero = pl_tensor_new (0, NULL, NULL);
  g_autoptr (PlTensor) minus1 = pl_tensor_new_1d (1);
  minus1->data[0] = -1.0f;
  g_autoptr (PlTensor) pads = pl_tensor_new_1d (8);
  pads->data[2] = pads->data[3] = pads->data[6] = pads->data[7] = 1.0f;
  pl_graph_add_initializer (g, "zero", zero);
  pl_graph_add_initializer (g, "minus1", minus1);
  pl_graph_add_initializer (g, "pads", pads);
  pl_graph_add_node (g, "BatchNormalization", "bn", 5,
                     (const char *[]) { "x", "scale", "bias", "mean", "var" }, 1,
                     (const char *[]) { "bn" });
  pl_graph_add_node (g, "Pad", "pad", 2, (const char *[]) { "bn", "pads" }, 1,
                     (const char *[]) { "padded" });
  PlNode *n = pl_graph_add_node (g, "AveragePool", "avg", 1, (const char *[]) { "padded" }, 1,
                                 (const char *[]) { "a" });
  pl_node_set_ints (n, "kernel_shape", 2, (const gint64[]) { 3, 3 });
  pl_node_set_ints (n, "strides", 2, (const gint64[]) { 2, 2 });
  pl_graph_add_node (g, "Shape", "shape", 1, (const char *[]) { "a" }, 1,
                     (const char *[]) { "s" });
  n = pl_graph_add_node (g, "Gather", "gather", 2, (const char *[]) { "s", "zero" }, 1,
                         (const char *[]) { "s0" });
  pl_node_set_int (n, "axis", 0);
  n = pl_graph_add_node (g, "Unsqueeze", "unsq", 1, (const char *[]) { "s0" }, 1,
                         (const char *[]) { "s1" });
  pl_node_set_ints (n, "axes", 1, (const gint64[]) { 0 });
  n = pl_graph_add_node (g, "Concat", "cat", 2, (const char *[]) { "s1", "minus1" }, 1,
                         (const char *[]) { "shp" });
  pl_node_set_int (n, "axis", 0);
  pl_graph_add_node (g, "Reshape", "reshape", 2, (const char *[]) { "a", "shp" }, 1,
                     (const char *[]) { "flat" });
  n = pl_graph_add_node (g, "Softmax", "softmax", 1, (const char *[]) { "flat" }, 1,
                         (const char *[]) { "y" });
  pl_node_set_int (n, "axis", 1);
  pl_graph_add_output (g, "y");
  g_autoptr (GError) error = NULL;
  g_assert_true (pl_graph_validate (g, &error));
  save_graph (g, dir, "gen-reshape-softmax.onnx");
}

static GBytes *
gzip_bytes (const guint8 *data, gsize len)
{
  g_autoptr (GZlibCompressor) c = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
  g_autoptr (GOutputStream) mem = g_memory_output_stream_new_resizable ();
  g_autoptr (GOutputStream) out = g_converter_output_stream_new (mem, G_CONVERTER (c));
  gsize written = 0;
  g_assert_true (g_output_stream_write_all (out, data, len, &written, NULL, NULL));
  g_assert_true (g_output_stream_close (out, NULL, NULL));
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (mem));
}

static void
write_idx_pair (const char *dir, const char *name, GBytes *images, GBytes *labels)
{
  gsize li = 0, ll = 0;
  const guint8 *pi = g_bytes_get_data (images, &li);
  const guint8 *pl = g_bytes_get_data (labels, &ll);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  guint8 head[4] = { li & 0xff, (li >> 8) & 0xff, (li >> 16) & 0xff, (li >> 24) & 0xff };
  g_byte_array_append (out, head, 4);
  g_byte_array_append (out, pi, (guint) li);
  g_byte_array_append (out, pl, (guint) ll);
  g_autofree char *path = g_build_filename (dir, "idx", name, NULL);
  g_autoptr (GError) error = NULL;
  g_file_set_contents (path, (const char *) out->data, out->len, &error);
  g_assert_no_error (error);
}

static void
idx_seeds (const char *dir)
{
  /* 3 images of 4×5, labels 0, 2, 1 */
  guint8 img[12 + 60] = { 0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5 };
  for (int i = 0; i < 60; i++)
    img[12 + i] = (guint8) (i * 37);
  guint8 lab[8 + 3] = { 0, 0, 8, 1, 0, 0, 0, 3, 0, 2, 1 };
  g_autoptr (GBytes) bi = g_bytes_new (img, sizeof img);
  g_autoptr (GBytes) bl = g_bytes_new (lab, sizeof lab);
  write_idx_pair (dir, "gen-plain", bi, bl);
  g_autoptr (GBytes) zi = gzip_bytes (img, sizeof img);
  g_autoptr (GBytes) zl = gzip_bytes (lab, sizeof lab);
  write_idx_pair (dir, "gen-gzip", zi, zl);
  write_idx_pair (dir, "gen-mixed", bi, zl);
}

static void
tensor_seed (const char *dir)
{
  const gint64 s[3] = { 2, 3, 2 };
  g_autoptr (PlTensor) t = ramp (3, s);
  g_autofree char *path = g_build_filename (dir, "tensor", "gen-float.pb", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (pl_onnx_save_tensor_file (t, "t", path, &error));
}

int
main (int argc, char **argv)
{
  if (argc != 2) {
    fprintf (stderr, "usage: gen-seeds OUTDIR\n");
    return 2;
  }
  for (const char *const *sub = (const char *const[]) { "onnx", "tensor", "idx", NULL }; *sub;
       sub++) {
    g_autofree char *d = g_build_filename (argv[1], *sub, NULL);
    g_mkdir_with_parents (d, 0755);
  }
  tiny_cnn (argv[1]);
  tiny_reshape (argv[1]);
  idx_seeds (argv[1]);
  tensor_seed (argv[1]);
  return 0;
}
