/* test-hardening.c — the loader fixes made for what fuzzing found (tests/fuzz/README.md):
 * IDX from memory, sizes checked against the bytes present before allocating, dimensions
 * that do not fit an int, and empty INTS/FLOATS attributes that stay non-NULL. */
#include <check.h>
#include <gio/gio.h>
#include <math.h>
#include <string.h>

#include "data/pl-dataset.h"
#include "graph/pl-graph.h"
#include "onnx/pl-onnx.h"
#include <unistd.h>
#include "pl-error.h"

static void
put_be32 (GByteArray *a, guint32 v)
{
  guint8 b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };
  g_byte_array_append (a, b, 4);
}

static GByteArray *
images (guint32 n, guint32 h, guint32 w, guint32 n_pixels)
{
  GByteArray *a = g_byte_array_new ();
  put_be32 (a, 0x803);
  put_be32 (a, n);
  put_be32 (a, h);
  put_be32 (a, w);
  for (guint32 i = 0; i < n_pixels; i++) {
    guint8 v = (guint8) (i * 51);
    g_byte_array_append (a, &v, 1);
  }
  return a;
}

static GByteArray *
labels (guint32 n, const guint8 *values)
{
  GByteArray *a = g_byte_array_new ();
  put_be32 (a, 0x801);
  put_be32 (a, n);
  g_byte_array_append (a, values, n);
  return a;
}

static GByteArray *
gzip (const GByteArray *in)
{
  g_autoptr (GZlibCompressor) c = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
  g_autoptr (GOutputStream) mem = g_memory_output_stream_new_resizable ();
  g_autoptr (GOutputStream) out = g_converter_output_stream_new (mem, G_CONVERTER (c));
  gsize written = 0;
  ck_assert (g_output_stream_write_all (out, in->data, in->len, &written, NULL, NULL));
  ck_assert (g_output_stream_close (out, NULL, NULL));
  GBytes *b = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (mem));
  return g_bytes_unref_to_array (b);
}

START_TEST (test_idx_data_valid)
{
  const guint8 lv[2] = { 3, 1 };
  g_autoptr (GByteArray) img = images (2, 2, 3, 12);
  g_autoptr (GByteArray) lab = labels (2, lv);
  g_autoptr (GError) error = NULL;
  g_autoptr (PlDataset) ds = pl_dataset_load_idx_data (img->data, img->len, lab->data,
                                                       lab->len, &error);
  ck_assert_ptr_nonnull (ds);
  ck_assert_int_eq (ds->n, 2);
  ck_assert_int_eq (ds->height, 2);
  ck_assert_int_eq (ds->width, 3);
  ck_assert_int_eq (ds->n_classes, 4);          /* max label 3 + 1 */
  ck_assert_int_eq (ds->labels[0], 3);
  ck_assert_int_eq (ds->pixels[7], (7 * 51) & 0xff);
  g_autoptr (PlTensor) t = pl_dataset_range (ds, 1, 1, &error);
  ck_assert_ptr_nonnull (t);
  /* sample 1, pixel 0 is byte 6 of the data: 6 * 51 = 306 -> 50 */
  ck_assert_float_eq_tol (t->data[0], 50.0f / 255.0f, 1e-7f);

  /* the same through gzip */
  g_autoptr (GByteArray) zimg = gzip (img);
  g_autoptr (GByteArray) zlab = gzip (lab);
  g_autoptr (PlDataset) dz = pl_dataset_load_idx_data (zimg->data, zimg->len, zlab->data,
                                                       zlab->len, &error);
  ck_assert_ptr_nonnull (dz);
  ck_assert_int_eq (memcmp (dz->pixels, ds->pixels, 12), 0);
}
END_TEST

/* A 16-byte header declaring 2^31 - 1 bytes, plain: refused as truncated from the size,
 * before allocating (the message names the declared data and where it ends). */
START_TEST (test_idx_declared_more_than_present)
{
  const guint8 lv[1] = { 0 };
  g_autoptr (GByteArray) img = images (1, 46340, 46340, 5);
  g_autoptr (GByteArray) lab = labels (1, lv);
  g_autoptr (GError) error = NULL;
  PlDataset *ds = pl_dataset_load_idx_data (img->data, img->len, lab->data, lab->len, &error);
  ck_assert_ptr_null (ds);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_PARSE));
  ck_assert_msg (strstr (error->message, "images IDX data: file is truncated: data ends at "
                         "byte offset 21") != NULL, "%s", error->message);
  ck_assert_msg (strstr (error->message, "2147395600 bytes") != NULL, "%s", error->message);
  g_clear_error (&error);

  /* gzip: the size is unknown up front; the buffer grows only as data arrives */
  g_autoptr (GByteArray) zimg = gzip (img);
  ds = pl_dataset_load_idx_data (zimg->data, zimg->len, lab->data, lab->len, &error);
  ck_assert_ptr_null (ds);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_PARSE));
  ck_assert_msg (strstr (error->message, "truncated") != NULL, "%s", error->message);
  ck_assert_msg (strstr (error->message, "byte offset 21") != NULL, "%s", error->message);
}
END_TEST

/* A width of 2^31 fits the 2^31-byte limit but not the int of PlDataset.width. */
START_TEST (test_idx_dimension_above_int)
{
  const guint8 lv[1] = { 0 };
  g_autoptr (GByteArray) img = images (1, 1, 0x80000000u, 0);
  g_autoptr (GByteArray) lab = labels (1, lv);
  g_autoptr (GError) error = NULL;
  PlDataset *ds = pl_dataset_load_idx_data (img->data, img->len, lab->data, lab->len, &error);
  ck_assert_ptr_null (ds);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_TOO_LARGE));
  ck_assert_msg (strstr (error->message, "byte offset 12") != NULL, "%s", error->message);
}
END_TEST

START_TEST (test_idx_labels_truncated)
{
  const guint8 lv[3] = { 0, 1, 2 };
  g_autoptr (GByteArray) img = images (3, 1, 1, 3);
  g_autoptr (GByteArray) lab = labels (3, lv);
  g_byte_array_set_size (lab, lab->len - 1);
  g_autoptr (GError) error = NULL;
  PlDataset *ds = pl_dataset_load_idx_data (img->data, img->len, lab->data, lab->len, &error);
  ck_assert_ptr_null (ds);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_PARSE));
  ck_assert_msg (g_str_has_prefix (error->message, "labels IDX data: file is truncated: "
                                   "data ends at byte offset 10"), "%s", error->message);
}
END_TEST

/* kernel_shape = [] is legal ONNX; its list must not be NULL (memcpy (d, NULL, 0) is
 * undefined behaviour; found by fuzz-onnx). Copies keep that. */
START_TEST (test_empty_list_attributes)
{
  g_autoptr (PlGraph) g = pl_graph_new ();
  PlNode *n = pl_graph_add_node (g, "MaxPool", "p", 1, (const char *[]) { "x" }, 1,
                                 (const char *[]) { "y" });
  pl_node_set_ints (n, "kernel_shape", 0, NULL);
  pl_node_set_floats (n, "scales", 0, NULL);
  const PlAttr *a = pl_node_get_attr (n, "kernel_shape");
  ck_assert_int_eq (a->type, PL_ATTR_INTS);
  ck_assert_int_eq (a->n, 0);
  ck_assert_ptr_nonnull (a->ints);
  ck_assert_ptr_nonnull (pl_node_get_attr (n, "scales")->floats);
  g_autoptr (PlGraph) c = pl_graph_copy (g);
  const PlNode *cn = g_ptr_array_index (c->nodes, 0);
  ck_assert_ptr_nonnull (pl_node_get_attr (cn, "kernel_shape")->ints);
  ck_assert_ptr_nonnull (pl_node_get_attr (cn, "scales")->floats);
  ck_assert_ptr_null (pl_node_get_attr (cn, "kernel_shape")->floats);
}
END_TEST


/* An INT attribute given as FLOAT (e.g. BatchNormalization spatial = -4.8e22): converted
 * when representable, saturated outside int64, the default for NaN (the plain cast was
 * undefined behaviour; found by fuzz-onnx). */
START_TEST (test_float_attribute_as_int)
{
  g_autoptr (PlGraph) g = pl_graph_new ();
  PlNode *n = pl_graph_add_node (g, "BatchNormalization", "bn", 1, (const char *[]) { "x" },
                                 1, (const char *[]) { "y" });
  pl_node_set_float (n, "a", 3.75f);
  pl_node_set_float (n, "b", -4.8357e22f);
  pl_node_set_float (n, "c", 1e30f);
  pl_node_set_float (n, "d", NAN);
  pl_node_set_float (n, "e", -0x1p63f);
  ck_assert_int_eq (pl_node_get_int (n, "a", 7), 3);
  ck_assert (pl_node_get_int (n, "b", 7) == G_MININT64);
  ck_assert (pl_node_get_int (n, "c", 7) == G_MAXINT64);
  ck_assert_int_eq (pl_node_get_int (n, "d", 7), 7);
  ck_assert (pl_node_get_int (n, "e", 7) == G_MININT64);
}
END_TEST

static void
put_varint (GByteArray *a, guint64 v)
{
  do {
    guint8 b = (v & 0x7f) | (v > 0x7f ? 0x80 : 0);
    g_byte_array_append (a, &b, 1);
    v >>= 7;
  } while (v != 0);
}

static void
put_field (GByteArray *a, guint8 key, const GByteArray *msg)
{
  g_byte_array_append (a, &key, 1);
  put_varint (a, msg->len);
  g_byte_array_append (a, msg->data, msg->len);
}

/* A model of a few bytes declaring FLOAT initializers of 2^31 elements each (8 GiB), more
 * in total than half of this machine's memory: refused from the estimate, before any
 * conversion, with the sizes in MiB. Written byte by byte (onnx.proto field numbers:
 * TensorProto dims 1, data_type 2, name 8; GraphProto initializer 5; ModelProto
 * ir_version 1, graph 7). */
START_TEST (test_onnx_memory_estimate)
{
  guint64 phys = (guint64) sysconf (_SC_PHYS_PAGES) * (guint64) sysconf (_SC_PAGESIZE);
  guint64 per = (G_GUINT64_CONSTANT (1) << 31) * 4;
  guint n = (guint) (phys / 2 / per + 1);
  g_autoptr (GByteArray) graph = g_byte_array_new ();
  for (guint i = 0; i < n; i++) {
    g_autoptr (GByteArray) t = g_byte_array_new ();
    const guint8 k_dims = 0x08, k_type = 0x10, one = 1;
    g_byte_array_append (t, &k_dims, 1);
    put_varint (t, G_GUINT64_CONSTANT (1) << 31);
    g_byte_array_append (t, &k_type, 1);
    g_byte_array_append (t, &one, 1);
    g_autofree char *name = g_strdup_printf ("w%04u", i);  /* equal lengths */
    g_autoptr (GByteArray) nm = g_byte_array_new ();
    g_byte_array_append (nm, (const guint8 *) name, (guint) strlen (name));
    put_field (t, 0x42, nm);
    put_field (graph, 0x2a, t);
  }
  g_autoptr (GByteArray) model = g_byte_array_new ();
  const guint8 ir[2] = { 0x08, 0x08 };
  g_byte_array_append (model, ir, 2);
  put_field (model, 0x3a, graph);

  g_autoptr (GError) error = NULL;
  PlGraph *g = pl_onnx_load_data (model->data, model->len, "huge.onnx", &error);
  ck_assert_ptr_null (g);
  ck_assert_msg (g_error_matches (error, PL_ERROR, PL_ERROR_TOO_LARGE), "%s", error->message);
  g_autofree char *expect = g_strdup_printf ("huge.onnx: the model's %u initializers need %"
                                             G_GUINT64_FORMAT " MiB as float32", n,
                                             (guint64) n * 8192);
  ck_assert_msg (g_str_has_prefix (error->message, expect), "%s", error->message);
  g_clear_error (&error);

  /* one such initializer fits the estimate (on machines with more than 16 GiB) and is
   * then refused for its missing data, as before */
  if (n > 1) {
    g_autoptr (GByteArray) one_init = g_byte_array_new ();
    g_byte_array_append (one_init, ir, 2);
    g_autoptr (GByteArray) g1 = g_byte_array_new ();
    g_byte_array_append (g1, graph->data, graph->len / n);
    put_field (one_init, 0x3a, g1);
    ck_assert_ptr_null (pl_onnx_load_data (one_init->data, one_init->len, "one.onnx", &error));
    ck_assert_msg (g_error_matches (error, PL_ERROR, PL_ERROR_PARSE), "%s", error->message);
    ck_assert_msg (strstr (error->message, "'w0000'") != NULL, "%s", error->message);
  }
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("fuzz-hardening");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_idx_data_valid);
  tcase_add_test (tc, test_idx_declared_more_than_present);
  tcase_add_test (tc, test_idx_dimension_above_int);
  tcase_add_test (tc, test_idx_labels_truncated);
  tcase_add_test (tc, test_empty_list_attributes);
  tcase_add_test (tc, test_onnx_memory_estimate);
  tcase_add_test (tc, test_float_attribute_as_int);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
