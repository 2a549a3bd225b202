/* test-dataset.c — IDX loading: exact pixels and labels, gzip, and every malformed case. */
#include <check.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "data/pl-dataset.h"
#include "pl-error.h"

static char *tmpdir;

static void
setup (void)
{
  GError *error = NULL;
  tmpdir = g_dir_make_tmp ("pl-dataset-XXXXXX", &error);
  ck_assert_ptr_nonnull (tmpdir);
}

static void
remove_tree (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    return;
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL) {
    g_autofree char *p = g_build_filename (dir, name, NULL);
    g_remove (p);
  }
  g_dir_close (d);
  g_rmdir (dir);
}

static void
teardown (void)
{
  remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static void
put_be32 (GByteArray *a, guint32 v)
{
  guint8 b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };
  g_byte_array_append (a, b, 4);
}

/* IDX images [n, h, w] with pixel (i, y, x) = (i * 31 + y * 7 + x * 3) % 256. */
static GByteArray *
make_images (guint32 magic, guint32 n, guint32 h, guint32 w)
{
  GByteArray *a = g_byte_array_new ();
  put_be32 (a, magic);
  put_be32 (a, n);
  put_be32 (a, h);
  put_be32 (a, w);
  for (guint32 i = 0; i < n; i++)
    for (guint32 y = 0; y < h; y++)
      for (guint32 x = 0; x < w; x++) {
        guint8 v = (i * 31 + y * 7 + x * 3) % 256;
        g_byte_array_append (a, &v, 1);
      }
  return a;
}

static GByteArray *
make_labels (guint32 n, const guint8 *labels)
{
  GByteArray *a = g_byte_array_new ();
  put_be32 (a, 0x00000801);
  put_be32 (a, n);
  g_byte_array_append (a, labels, n);
  return a;
}

static char *
write_file (const char *name, const guint8 *data, gsize len, gboolean gzip)
{
  char *path = g_build_filename (tmpdir, name, NULL);
  if (!gzip) {
    ck_assert (g_file_set_contents (path, (const char *) data, len, NULL));
    return path;
  }
  g_autoptr (GZlibCompressor) comp = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
  g_autoptr (GOutputStream) mem = g_memory_output_stream_new_resizable ();
  g_autoptr (GOutputStream) conv = g_converter_output_stream_new (mem, G_CONVERTER (comp));
  gsize written = 0;
  ck_assert (g_output_stream_write_all (conv, data, len, &written, NULL, NULL));
  ck_assert (g_output_stream_close (conv, NULL, NULL));
  ck_assert (g_file_set_contents (
      path, g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (mem)),
      g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (mem)), NULL));
  return path;
}

static char *
write_array (const char *name, GByteArray *a, gboolean gzip)
{
  char *p = write_file (name, a->data, a->len, gzip);
  g_byte_array_unref (a);
  return p;
}

static const guint8 labels5[5] = { 3, 0, 9, 3, 1 };

static void
check_small (PlDataset *ds)
{
  ck_assert_int_eq (ds->n, 5);
  ck_assert_int_eq (ds->channels, 1);
  ck_assert_int_eq (ds->height, 3);
  ck_assert_int_eq (ds->width, 4);
  ck_assert_int_eq (ds->n_classes, 10);
  ck_assert_str_eq (ds->class_names[0], "0");
  ck_assert_str_eq (ds->class_names[9], "9");
  ck_assert_ptr_null (ds->class_names[10]);
  for (int i = 0; i < 5; i++)
    ck_assert_int_eq (ds->labels[i], labels5[i]);
  /* pixel (2, 1, 3) = (62 + 7 + 9) % 256 = 78 */
  ck_assert_int_eq (ds->pixels[2 * 12 + 1 * 4 + 3], 78);

  GError *error = NULL;
  gint64 idx[2] = { 4, 2 };
  g_autoptr (PlTensor) b = pl_dataset_batch (ds, idx, 2, &error);
  ck_assert_ptr_nonnull (b);
  ck_assert_int_eq (b->ndim, 4);
  ck_assert_int_eq (b->shape[0], 2);
  ck_assert_int_eq (b->shape[1], 1);
  ck_assert_int_eq (b->shape[2], 3);
  ck_assert_int_eq (b->shape[3], 4);
  /* sample 4, pixel (0, 0) = 124; sample 2, pixel (1, 3) = 78 */
  ck_assert_float_eq (b->data[0], 124.0f / 255.0f);
  ck_assert_float_eq (b->data[12 + 1 * 4 + 3], 78.0f / 255.0f);

  g_autoptr (PlTensor) r = pl_dataset_range (ds, 1, 3, &error);
  ck_assert_ptr_nonnull (r);
  ck_assert_int_eq (r->shape[0], 3);
  for (int i = 0; i < 3; i++)
    for (int p = 0; p < 12; p++) {
      int y = p / 4, x = p % 4;
      float want = (float) (((i + 1) * 31 + y * 7 + x * 3) % 256) / 255.0f;
      ck_assert_float_eq (r->data[i * 12 + p], want);
    }

  /* out-of-range requests */
  gint64 bad[1] = { 5 };
  ck_assert_ptr_null (pl_dataset_batch (ds, bad, 1, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
  bad[0] = -1;
  ck_assert_ptr_null (pl_dataset_batch (ds, bad, 1, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
  ck_assert_ptr_null (pl_dataset_range (ds, 3, 3, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
}

START_TEST (test_plain)
{
  GError *error = NULL;
  g_autofree char *img = write_array ("img", make_images (0x803, 5, 3, 4), FALSE);
  g_autofree char *lab = write_array ("lab", make_labels (5, labels5), FALSE);
  g_autoptr (PlDataset) ds = pl_dataset_load_idx (img, lab, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  check_small (ds);
}
END_TEST

START_TEST (test_gzip)
{
  GError *error = NULL;
  /* names without .gz: detection is by signature */
  g_autofree char *img = write_array ("img", make_images (0x803, 5, 3, 4), TRUE);
  g_autofree char *lab = write_array ("lab.gz", make_labels (5, labels5), TRUE);
  g_autoptr (PlDataset) ds = pl_dataset_load_idx (img, lab, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  check_small (ds);
}
END_TEST

START_TEST (test_generic_classes)
{
  GError *error = NULL;
  const guint8 l[3] = { 0, 2, 1 };
  g_autofree char *img = write_array ("img", make_images (0x803, 3, 2, 2), FALSE);
  g_autofree char *lab = write_array ("lab", make_labels (3, l), FALSE);
  g_autoptr (PlDataset) ds = pl_dataset_load_idx (img, lab, &error);
  ck_assert_ptr_nonnull (ds);
  ck_assert_int_eq (ds->n_classes, 3);
  ck_assert_str_eq (ds->class_names[2], "2");
  ck_assert_ptr_null (ds->class_names[3]);
}
END_TEST

static void
assert_error (GError *error, gint code, const char *path, const char *fragment)
{
  ck_assert_ptr_nonnull (error);
  ck_assert_msg (g_error_matches (error, PL_ERROR, code), "code %d, message: %s",
                 error->code, error->message);
  ck_assert_msg (g_str_has_prefix (error->message, path), "message does not start with "
                 "the path: %s", error->message);
  if (fragment != NULL)
    ck_assert_msg (strstr (error->message, fragment) != NULL, "'%s' not in: %s", fragment,
                   error->message);
}

static void
truncated_case (gboolean gzip)
{
  GError *error = NULL;
  GByteArray *a = make_images (0x803, 5, 3, 4);
  g_byte_array_set_size (a, 16 + 50); /* 60 bytes of pixels expected, 50 present */
  g_autofree char *img = write_array ("img", a, gzip);
  g_autofree char *lab = write_array ("lab", make_labels (5, labels5), FALSE);
  PlDataset *ds = pl_dataset_load_idx (img, lab, &error);
  ck_assert_ptr_null (ds);
  assert_error (error, PL_ERROR_PARSE, img, "byte offset 66");
  ck_assert (strstr (error->message, "60 bytes") != NULL);
  g_clear_error (&error);
}

START_TEST (test_truncated)
{
  truncated_case (FALSE);
  truncated_case (TRUE);
  /* truncated inside the header */
  GError *error = NULL;
  const guint8 head[6] = { 0, 0, 8, 3, 0, 0 };
  g_autofree char *img = write_file ("short", head, sizeof head, FALSE);
  g_autofree char *lab = write_array ("lab", make_labels (5, labels5), FALSE);
  ck_assert_ptr_null (pl_dataset_load_idx (img, lab, &error));
  assert_error (error, PL_ERROR_PARSE, img, "byte offset 6");
  g_clear_error (&error);
  /* an empty file */
  g_autofree char *empty = write_file ("empty", head, 0, FALSE);
  ck_assert_ptr_null (pl_dataset_load_idx (empty, lab, &error));
  assert_error (error, PL_ERROR_PARSE, empty, "byte offset 0");
  g_clear_error (&error);
}
END_TEST

START_TEST (test_gzip_cut)
{
  /* A gzip stream cut in the middle of its compressed data. */
  GError *error = NULL;
  g_autofree char *full = write_array ("img.gz", make_images (0x803, 50, 28, 28), TRUE);
  g_autofree char *contents = NULL;
  gsize len = 0;
  ck_assert (g_file_get_contents (full, &contents, &len, NULL));
  g_autofree char *img = write_file ("cut.gz", (const guint8 *) contents, len / 2, FALSE);
  g_autofree char *lab = write_array ("lab", make_labels (5, labels5), FALSE);
  ck_assert_ptr_null (pl_dataset_load_idx (img, lab, &error));
  assert_error (error, PL_ERROR_PARSE, img, "truncated");
  g_clear_error (&error);
}
END_TEST

START_TEST (test_wrong_magic)
{
  GError *error = NULL;
  g_autofree char *img = write_array ("img", make_images (0x802, 5, 3, 4), FALSE);
  g_autofree char *lab = write_array ("lab", make_labels (5, labels5), FALSE);
  ck_assert_ptr_null (pl_dataset_load_idx (img, lab, &error));
  assert_error (error, PL_ERROR_PARSE, img, "0x00000802");
  ck_assert (strstr (error->message, "0x00000803") != NULL);
  g_clear_error (&error);
  /* labels and images swapped */
  g_autofree char *img2 = write_array ("img2", make_images (0x803, 5, 3, 4), FALSE);
  ck_assert_ptr_null (pl_dataset_load_idx (lab, img2, &error));
  assert_error (error, PL_ERROR_PARSE, lab, "wrong magic number 0x00000801");
  g_clear_error (&error);
}
END_TEST

START_TEST (test_count_mismatch)
{
  GError *error = NULL;
  g_autofree char *img = write_array ("images-file", make_images (0x803, 5, 3, 4), FALSE);
  g_autofree char *lab = write_array ("labels-file", make_labels (4, labels5), FALSE);
  ck_assert_ptr_null (pl_dataset_load_idx (img, lab, &error));
  assert_error (error, PL_ERROR_PARSE, img, lab);
  ck_assert (strstr (error->message, "5 images") != NULL);
  ck_assert (strstr (error->message, "4 labels") != NULL);
  g_clear_error (&error);
}
END_TEST

START_TEST (test_trailing)
{
  GError *error = NULL;
  GByteArray *a = make_images (0x803, 5, 3, 4);
  const guint8 junk[3] = { 1, 2, 3 };
  g_byte_array_append (a, junk, 3);
  g_autofree char *img = write_array ("img", a, FALSE);
  g_autofree char *lab = write_array ("lab", make_labels (5, labels5), FALSE);
  ck_assert_ptr_null (pl_dataset_load_idx (img, lab, &error));
  assert_error (error, PL_ERROR_PARSE, img, "trailing data at byte offset 76");
  g_clear_error (&error);
}
END_TEST

START_TEST (test_label_range)
{
  GError *error = NULL;
  const guint8 l[5] = { 1, 2, 3, 10, 4 };
  g_autofree char *img = write_array ("img", make_images (0x803, 5, 3, 4), FALSE);
  g_autofree char *lab = write_array ("lab", make_labels (5, l), FALSE);
  ck_assert_ptr_null (pl_dataset_load_idx (img, lab, &error));
  /* the 4th label sits at byte 8 + 3 */
  assert_error (error, PL_ERROR_PARSE, lab, "byte offset 11");
  g_clear_error (&error);
}
END_TEST

START_TEST (test_too_large)
{
  GError *error = NULL;
  GByteArray *a = g_byte_array_new ();
  put_be32 (a, 0x803);
  put_be32 (a, 0x10000000);
  put_be32 (a, 28);
  put_be32 (a, 28);
  g_autofree char *img = write_array ("img", a, FALSE);
  g_autofree char *lab = write_array ("lab", make_labels (5, labels5), FALSE);
  ck_assert_ptr_null (pl_dataset_load_idx (img, lab, &error));
  assert_error (error, PL_ERROR_TOO_LARGE, img, NULL);
  g_clear_error (&error);
}
END_TEST

START_TEST (test_missing)
{
  GError *error = NULL;
  g_autofree char *img = g_build_filename (tmpdir, "does-not-exist", NULL);
  g_autofree char *lab = write_array ("lab", make_labels (5, labels5), FALSE);
  ck_assert_ptr_null (pl_dataset_load_idx (img, lab, &error));
  assert_error (error, PL_ERROR_IO, img, NULL);
  g_clear_error (&error);

  ck_assert_ptr_null (pl_dataset_load_fashion_mnist (tmpdir, "test", &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_IO));
  ck_assert (strstr (error->message, "t10k-images-idx3-ubyte") != NULL);
  g_clear_error (&error);

  ck_assert_ptr_null (pl_dataset_load_fashion_mnist (tmpdir, "validation", &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
}
END_TEST

START_TEST (test_fashion_mnist_layout)
{
  /* pl_dataset_load_fashion_mnist on a tiny fake folder: plain files, names, classes. */
  GError *error = NULL;
  g_autofree char *img = write_array ("t10k-images-idx3-ubyte", make_images (0x803, 5, 3, 4),
                                      FALSE);
  g_autofree char *lab = write_array ("t10k-labels-idx1-ubyte.gz", make_labels (5, labels5),
                                      TRUE);
  g_autoptr (PlDataset) ds = pl_dataset_load_fashion_mnist (tmpdir, "test", &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  ck_assert_str_eq (ds->name, "Fashion-MNIST test");
  ck_assert_int_eq (ds->n_classes, 10);
  ck_assert_str_eq (ds->class_names[0], "T-shirt/top");
  ck_assert_str_eq (ds->class_names[9], "Ankle boot");
  ck_assert_int_eq (ds->labels[2], 9);
  PlDataset *r = pl_dataset_ref (ds);
  ck_assert_ptr_eq (r, ds);
  pl_dataset_unref (r);
}
END_TEST

START_TEST (test_real_fashion_mnist)
{
  const char *dir = "/usr/share/datasets/fashion-mnist";
  g_autofree char *f = g_build_filename (dir, "t10k-images-idx3-ubyte.gz", NULL);
  if (!g_file_test (f, G_FILE_TEST_EXISTS))
    return;
  GError *error = NULL;
  g_autoptr (PlDataset) ds = pl_dataset_load_fashion_mnist (dir, "test", &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (ds->n, 10000);
  ck_assert_int_eq (ds->channels, 1);
  ck_assert_int_eq (ds->height, 28);
  ck_assert_int_eq (ds->width, 28);
  int counts[10] = { 0 };
  for (gint64 i = 0; i < ds->n; i++) {
    ck_assert_int_lt (ds->labels[i], 10);
    counts[ds->labels[i]]++;
  }
  for (int c = 0; c < 10; c++)
    ck_assert_int_eq (counts[c], 1000);
  g_autoptr (PlTensor) t = pl_dataset_range (ds, 9999, 1, &error);
  ck_assert_ptr_nonnull (t);
  for (gint64 i = 0; i < t->numel; i++)
    ck_assert (t->data[i] >= 0.0f && t->data[i] <= 1.0f);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("dataset");
  TCase *tc = tcase_create ("idx");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_plain);
  tcase_add_test (tc, test_gzip);
  tcase_add_test (tc, test_generic_classes);
  tcase_add_test (tc, test_truncated);
  tcase_add_test (tc, test_gzip_cut);
  tcase_add_test (tc, test_wrong_magic);
  tcase_add_test (tc, test_count_mismatch);
  tcase_add_test (tc, test_trailing);
  tcase_add_test (tc, test_label_range);
  tcase_add_test (tc, test_too_large);
  tcase_add_test (tc, test_missing);
  tcase_add_test (tc, test_fashion_mnist_layout);
  tcase_add_test (tc, test_real_fashion_mnist);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
