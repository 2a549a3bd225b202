/* pl-dataset.c — IDX (MNIST-style) datasets, plain or gzip-compressed.
 *
 * Files are read through GIO; gzip is recognised by its 1F 8B signature and inflated by
 * zlib through GZlibDecompressor in a GConverterInputStream. Byte offsets in messages
 * count bytes of the (decompressed) IDX stream.
 */
#include "data/pl-dataset.h"

#include <gio/gio.h>
#include <math.h>
#include <string.h>

#include "pl-error.h"

/* IDX labels of the datasets PruneLens handles are class indices 0..9. */
#define PL_IDX_MAX_CLASSES 10
/* Anything above 2^31 bytes of pixels is refused as absurd. */
#define PL_IDX_MAX_BYTES (G_GUINT64_CONSTANT (1) << 31)

#define IDX_MAGIC_IMAGES 0x00000803u
#define IDX_MAGIC_LABELS 0x00000801u

const char *const pl_fashion_mnist_classes[10] = {
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
  "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

typedef struct {
  guint32 dims[3];
  gint ndims;
  guint8 *data;   /* owned */
  guint64 size;   /* bytes of data */
} IdxFile;

/* Reads up to count bytes; *n_read tells how many arrived before EOF or an error. */
static gboolean
read_exact (GInputStream *in, const char *path, gboolean gzip, void *buf, gsize count,
            guint64 offset, const char *what, GError **error)
{
  gsize n_read = 0;
  g_autoptr (GError) local = NULL;

  if (!g_input_stream_read_all (in, buf, count, &n_read, NULL, &local)) {
    if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT)) {
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: the gzip stream is truncated: data ends at byte offset %" G_GUINT64_FORMAT
                   " (decompressed), expected %" G_GSIZE_FORMAT " more bytes of %s",
                   path, offset + n_read, count - n_read, what);
    } else if (local->domain == G_IO_ERROR && gzip &&
               (local->code == G_IO_ERROR_INVALID_DATA || local->code == G_IO_ERROR_FAILED)) {
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: corrupt gzip data after byte offset %" G_GUINT64_FORMAT
                   " (decompressed): %s", path, offset + n_read, local->message);
    } else {
      g_set_error (error, PL_ERROR, PL_ERROR_IO, "%s: read error at byte offset %"
                   G_GUINT64_FORMAT ": %s", path, offset + n_read, local->message);
    }
    return FALSE;
  }
  if (n_read < count) {
    g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                 "%s: file is truncated: data ends at byte offset %" G_GUINT64_FORMAT
                 "%s, expected %" G_GSIZE_FORMAT " bytes of %s from byte offset %"
                 G_GUINT64_FORMAT,
                 path, offset + n_read, gzip ? " (decompressed)" : "", count, what, offset);
    return FALSE;
  }
  return TRUE;
}

/* Reads the declared data into a buffer that grows as bytes arrive, so that a header
 * declaring far more data than the stream holds (a truncated file, or a small gzip
 * stream claiming gigabytes) fails with "truncated" after allocating about what was
 * really there, not what the header claims. */
static guint8 *
read_data_growing (GInputStream *in, const char *path, gboolean gzip, guint64 size,
                   guint64 offset, const char *what, GError **error)
{
  const guint64 first = 1 << 20;
  guint64 cap = MIN (size, first);
  guint64 filled = 0;
  guint8 *buf = g_try_malloc (MAX (cap, 1));
  if (buf == NULL) {
    g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                 "%s: not enough memory for %" G_GUINT64_FORMAT " bytes of data", path, size);
    return NULL;
  }
  while (filled < size) {
    if (filled == cap) {
      guint64 new_cap = MIN (size, cap * 2);
      guint8 *grown = g_try_realloc (buf, new_cap);
      if (grown == NULL) {
        g_free (buf);
        g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                     "%s: not enough memory for %" G_GUINT64_FORMAT " bytes of data", path,
                     size);
        return NULL;
      }
      buf = grown;
      cap = new_cap;
    }
    if (!read_exact (in, path, gzip, buf + filled, cap - filled, offset + filled, what, error)) {
      /* read_exact reports the offsets of this chunk; say what the whole file needed */
      if (error != NULL && *error != NULL && (*error)->code == PL_ERROR_PARSE &&
          strstr ((*error)->message, "truncated") != NULL) {
        g_autofree char *msg = g_strdup_printf (
            "%s (the header declares %" G_GUINT64_FORMAT " bytes of %s from byte offset %"
            G_GUINT64_FORMAT ")", (*error)->message, size, what, offset);
        g_free ((*error)->message);
        (*error)->message = g_steal_pointer (&msg);
      }
      g_free (buf);
      return NULL;
    }
    filled = cap;
  }
  return buf;
}

/* Parses an IDX stream. total: the stream's byte size when known (plain files and
 * memory), else -1; it lets a header that declares more data than there is be refused
 * before anything is allocated. */
static gboolean
idx_read_stream (GInputStream *base, gint64 total, const char *path, guint32 expected_magic,
                 IdxFile *out, GError **error)
{
  g_autoptr (GError) local = NULL;

  /* Peek at the first two bytes for the gzip signature. */
  g_autoptr (GInputStream) buffered = g_buffered_input_stream_new (base);
  if (g_buffered_input_stream_fill (G_BUFFERED_INPUT_STREAM (buffered), 2, NULL, &local) < 0) {
    g_set_error (error, PL_ERROR, PL_ERROR_IO, "%s: read error: %s", path, local->message);
    return FALSE;
  }
  gsize avail = 0;
  const guint8 *peek = g_buffered_input_stream_peek_buffer (G_BUFFERED_INPUT_STREAM (buffered),
                                                            &avail);
  gboolean gzip = avail >= 2 && peek[0] == 0x1f && peek[1] == 0x8b;

  g_autoptr (GInputStream) in = NULL;
  if (gzip) {
    g_autoptr (GZlibDecompressor) dec =
        g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
    in = g_converter_input_stream_new (buffered, G_CONVERTER (dec));
  } else {
    in = g_object_ref (buffered);
  }

  guint8 head[4];
  if (!read_exact (in, path, gzip, head, 4, 0, "IDX header (magic number)", error))
    return FALSE;
  guint32 magic = ((guint32) head[0] << 24) | ((guint32) head[1] << 16) |
                  ((guint32) head[2] << 8) | head[3];
  if (magic != expected_magic) {
    g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                 "%s: wrong magic number 0x%08x, expected 0x%08x (IDX %s)", path, magic,
                 expected_magic,
                 expected_magic == IDX_MAGIC_IMAGES ? "uint8 images [N, H, W]"
                                                    : "uint8 labels [N]");
    return FALSE;
  }
  /* The magic's last byte is the number of dimensions: 3 for images, 1 for labels. */
  out->ndims = head[3];
  guint8 dimbuf[12];
  if (!read_exact (in, path, gzip, dimbuf, 4 * (gsize) out->ndims, 4, "IDX dimensions",
                   error))
    return FALSE;
  guint64 size = 1;
  for (gint d = 0; d < out->ndims; d++) {
    const guint8 *p = dimbuf + 4 * d;
    out->dims[d] = ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) |
                   p[3];
    if (out->dims[d] == 0) {
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: dimension %d (at byte offset %d) is 0; an IDX %s file needs at least "
                   "one %s", path, d, 4 + 4 * d, out->ndims == 3 ? "image" : "label",
                   d == 0 ? "sample" : "pixel per row and column");
      return FALSE;
    }
    size *= out->dims[d]; /* at most (2^32)^3 — check before it can overflow */
    if (size > PL_IDX_MAX_BYTES || out->dims[d] > (guint32) G_MAXINT32) {
      g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                   "%s: the header declares more than 2^31 bytes of data (dimension %d = %u "
                   "at byte offset %d); this is not a dataset PruneLens can hold in memory",
                   path, d, out->dims[d], 4 + 4 * d);
      return FALSE;
    }
  }

  guint64 offset = 4 + 4 * (guint64) out->ndims;
  g_autofree char *what = out->ndims == 3
      ? g_strdup_printf ("pixels (%u images of %u×%u)", out->dims[0], out->dims[1],
                         out->dims[2])
      : g_strdup_printf ("labels (%u labels)", out->dims[0]);
  /* The memory the data needs is known now: refuse a plain file too short for it
   * before allocating anything. */
  if (!gzip && total >= 0 && (guint64) total < offset + size) {
    g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                 "%s: file is truncated: data ends at byte offset %" G_GINT64_FORMAT
                 ", expected %" G_GUINT64_FORMAT " bytes of %s from byte offset %"
                 G_GUINT64_FORMAT, path, total, size, what, offset);
    return FALSE;
  }
  out->data = read_data_growing (in, path, gzip, size, offset, what, error);
  if (out->data == NULL)
    return FALSE;
  out->size = size;

  /* Anything after the declared data is a sign of a wrong header. */
  guint8 extra[64];
  gsize n_extra = 0;
  if (!g_input_stream_read_all (in, extra, sizeof extra, &n_extra, NULL, &local)) {
    g_set_error (error, PL_ERROR, PL_ERROR_PARSE, "%s: error after byte offset %"
                 G_GUINT64_FORMAT ": %s", path, offset + size, local->message);
    g_clear_pointer (&out->data, g_free);
    return FALSE;
  }
  if (n_extra > 0) {
    g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                 "%s: unexpected trailing data at byte offset %" G_GUINT64_FORMAT
                 "%s: the header declares %s, which end there", path, offset + size,
                 gzip ? " (decompressed)" : "", what);
    g_clear_pointer (&out->data, g_free);
    return FALSE;
  }
  return TRUE;
}

static gboolean
idx_read (const char *path, guint32 expected_magic, IdxFile *out, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) local = NULL;
  g_autoptr (GFileInputStream) fin = g_file_read (file, NULL, &local);
  if (fin == NULL) {
    /* GIO says "Error opening file PATH: reason"; keep the reason only */
    const char *reason = strstr (local->message, ": ");
    reason = reason != NULL ? reason + 2 : local->message;
    if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
      g_set_error (error, PL_ERROR, PL_ERROR_IO, "%s: no such file", path);
    else
      g_set_error (error, PL_ERROR, PL_ERROR_IO, "%s: cannot open the file: %s", path, reason);
    return FALSE;
  }
  gint64 total = -1;
  g_autoptr (GFileInfo) info =
      g_file_input_stream_query_info (fin, G_FILE_ATTRIBUTE_STANDARD_SIZE, NULL, NULL);
  if (info != NULL && g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_STANDARD_SIZE))
    total = g_file_info_get_size (info);
  return idx_read_stream (G_INPUT_STREAM (fin), total, path, expected_magic, out, error);
}

static PlDataset *dataset_build (IdxFile img, IdxFile lab, const char *images_path,
                                 const char *labels_path, const char *name,
                                 const char *const *class_names, gint n_class_names,
                                 GError **error);

static PlDataset *
dataset_load (const char *images_path, const char *labels_path, const char *name,
              const char *const *class_names, gint n_class_names, GError **error)
{
  IdxFile img = { 0 }, lab = { 0 };

  if (!idx_read (images_path, IDX_MAGIC_IMAGES, &img, error))
    return NULL;
  if (!idx_read (labels_path, IDX_MAGIC_LABELS, &lab, error)) {
    g_free (img.data);
    return NULL;
  }
  return dataset_build (img, lab, images_path, labels_path, name, class_names,
                        n_class_names, error);
}

/* Takes ownership of img.data and lab.data. */
static PlDataset *
dataset_build (IdxFile img, IdxFile lab, const char *images_path, const char *labels_path,
               const char *name, const char *const *class_names, gint n_class_names,
               GError **error)
{
  if (img.dims[0] != lab.dims[0]) {
    g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                 "%s: holds %u images but %s holds %u labels; the two files must describe "
                 "the same samples", images_path, img.dims[0], labels_path, lab.dims[0]);
    g_free (img.data);
    g_free (lab.data);
    return NULL;
  }
  gint max_label = 0;
  for (guint32 i = 0; i < lab.dims[0]; i++) {
    gint max_allowed = n_class_names > 0 ? n_class_names : PL_IDX_MAX_CLASSES;
    if (lab.data[i] >= max_allowed) {
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: label %u at byte offset %u (sample %u) is out of range, expected "
                   "0..%d", labels_path, lab.data[i], 8 + i, i, max_allowed - 1);
      g_free (img.data);
      g_free (lab.data);
      return NULL;
    }
    max_label = MAX (max_label, lab.data[i]);
  }

  PlDataset *ds = g_new0 (PlDataset, 1);
  ds->ref_count = 1;
  ds->n = img.dims[0];
  ds->channels = 1;
  ds->height = (gint) img.dims[1];
  ds->width = (gint) img.dims[2];
  ds->pixels = img.data;
  ds->labels = lab.data;
  if (name != NULL) {
    ds->name = g_strdup (name);
  } else {
    g_autofree char *base = g_path_get_basename (images_path);
    ds->name = g_strdup (base);
  }
  ds->n_classes = n_class_names > 0 ? n_class_names : max_label + 1;
  ds->class_names = g_new0 (char *, ds->n_classes + 1);
  for (gint c = 0; c < ds->n_classes; c++)
    ds->class_names[c] = class_names != NULL ? g_strdup (class_names[c])
                                             : g_strdup_printf ("%d", c);
  return ds;
}

PlDataset *
pl_dataset_load_idx (const char *images_path, const char *labels_path, GError **error)
{
  g_return_val_if_fail (images_path != NULL, NULL);
  g_return_val_if_fail (labels_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return dataset_load (images_path, labels_path, NULL, NULL, 0, error);
}

PlDataset *
pl_dataset_load_idx_data (const guint8 *images, gsize images_length, const guint8 *labels,
                          gsize labels_length, GError **error)
{
  g_return_val_if_fail (images != NULL || images_length == 0, NULL);
  g_return_val_if_fail (labels != NULL || labels_length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  const char *images_name = "images IDX data";
  const char *labels_name = "labels IDX data";
  IdxFile img = { 0 }, lab = { 0 };
  g_autoptr (GInputStream) in_img =
      g_memory_input_stream_new_from_data (images, (gssize) images_length, NULL);
  if (!idx_read_stream (in_img, (gint64) images_length, images_name, IDX_MAGIC_IMAGES, &img,
                        error))
    return NULL;
  g_autoptr (GInputStream) in_lab =
      g_memory_input_stream_new_from_data (labels, (gssize) labels_length, NULL);
  if (!idx_read_stream (in_lab, (gint64) labels_length, labels_name, IDX_MAGIC_LABELS, &lab,
                        error)) {
    g_free (img.data);
    return NULL;
  }
  return dataset_build (img, lab, images_name, labels_name, "IDX data", NULL, 0, error);
}

/* dir/stem.gz if it exists, else dir/stem if it exists, else NULL with an error. */
static char *
find_idx (const char *dir, const char *stem, GError **error)
{
  g_autofree char *plain = g_build_filename (dir, stem, NULL);
  g_autofree char *gz = g_strconcat (plain, ".gz", NULL);
  if (g_file_test (gz, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&gz);
  if (g_file_test (plain, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&plain);
  g_set_error (error, PL_ERROR, PL_ERROR_IO,
               "%s: no such file (nor %s); expected the Fashion-MNIST IDX files there", gz,
               plain);
  return NULL;
}

PlDataset *
pl_dataset_load_fashion_mnist (const char *dir, const char *split, GError **error)
{
  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (split != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  const char *prefix, *name;
  if (g_str_equal (split, "train")) {
    prefix = "train";
    name = "Fashion-MNIST train";
  } else if (g_str_equal (split, "test")) {
    prefix = "t10k";
    name = "Fashion-MNIST test";
  } else {
    g_autofree char *qs = pl_error_quote (split);
    g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                 "Unknown Fashion-MNIST split \"%s\", expected \"train\" or \"test\"", qs);
    return NULL;
  }
  g_autofree char *images_stem = g_strdup_printf ("%s-images-idx3-ubyte", prefix);
  g_autofree char *labels_stem = g_strdup_printf ("%s-labels-idx1-ubyte", prefix);
  g_autofree char *images = find_idx (dir, images_stem, error);
  if (images == NULL)
    return NULL;
  g_autofree char *labels = find_idx (dir, labels_stem, error);
  if (labels == NULL)
    return NULL;
  return dataset_load (images, labels, name, pl_fashion_mnist_classes, 10, error);
}

PlDataset *
pl_dataset_ref (PlDataset *dataset)
{
  g_return_val_if_fail (dataset != NULL, NULL);
  g_atomic_int_inc (&dataset->ref_count);
  return dataset;
}

void
pl_dataset_unref (PlDataset *dataset)
{
  if (dataset == NULL)
    return;
  if (!g_atomic_int_dec_and_test (&dataset->ref_count))
    return;
  g_free (dataset->name);
  g_free (dataset->pixels);
  g_free (dataset->labels);
  g_strfreev (dataset->class_names);
  g_free (dataset->features);
  g_strfreev (dataset->feature_names);
  g_free (dataset->targets);
  g_free (dataset->label_name);
  g_free (dataset->warning);
  g_free (dataset);
}

static PlTensor *
new_batch (const PlDataset *ds, gint64 count, GError **error)
{
  if (count < 0) {
    g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                 "Dataset \"%s\": a batch of %" G_GINT64_FORMAT " samples was requested",
                 ds->name, count);
    return NULL;
  }
  if (ds->kind == PL_DATASET_TABLE) {
    gint64 shape2[2] = { count, ds->n_features };
    return pl_tensor_new (2, shape2, error);
  }
  gint64 shape[4] = { count, ds->channels, ds->height, ds->width };
  return pl_tensor_new (4, shape, error);
}

static void
convert_sample (const PlDataset *ds, gint64 index, float *dst)
{
  if (ds->kind == PL_DATASET_TABLE) {
    memcpy (dst, ds->features + index * ds->n_features, sizeof (float) * ds->n_features);
    return;
  }
  static float lut[256];
  static gsize lut_init = 0;
  if (g_once_init_enter (&lut_init)) {
    for (int v = 0; v < 256; v++)
      lut[v] = (float) v / 255.0f;
    g_once_init_leave (&lut_init, 1);
  }
  gint64 per = (gint64) ds->channels * ds->height * ds->width;
  const guint8 *src = ds->pixels + index * per;
  for (gint64 i = 0; i < per; i++)
    dst[i] = lut[src[i]];
}

/* Floats per sample in a batch. */
static gint64
sample_size (const PlDataset *ds)
{
  if (ds->kind == PL_DATASET_TABLE)
    return ds->n_features;
  return (gint64) ds->channels * ds->height * ds->width;
}

static gboolean
check_index (const PlDataset *ds, gint64 index, GError **error)
{
  if (index < 0 || index >= ds->n) {
    g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                 "Dataset \"%s\": sample index %" G_GINT64_FORMAT " is out of range, "
                 "expected 0..%" G_GINT64_FORMAT, ds->name, index, ds->n - 1);
    return FALSE;
  }
  return TRUE;
}

PlTensor *
pl_dataset_batch (const PlDataset *dataset, const gint64 *indices, gint64 count,
                  GError **error)
{
  g_return_val_if_fail (dataset != NULL, NULL);
  g_return_val_if_fail (indices != NULL || count == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  for (gint64 i = 0; i < count; i++)
    if (!check_index (dataset, indices[i], error))
      return NULL;
  PlTensor *t = new_batch (dataset, count, error);
  if (t == NULL)
    return NULL;
  gint64 per = sample_size (dataset);
  for (gint64 i = 0; i < count; i++)
    convert_sample (dataset, indices[i], t->data + i * per);
  return t;
}

PlTensor *
pl_dataset_range (const PlDataset *dataset, gint64 start, gint64 count, GError **error)
{
  g_return_val_if_fail (dataset != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (count < 0 || start < 0 || start > dataset->n || count > dataset->n - start) {
    g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                 "Dataset \"%s\": samples %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT
                 " are out of range, expected indices 0..%" G_GINT64_FORMAT,
                 dataset->name, start, start + count - 1, dataset->n - 1);
    return NULL;
  }
  PlTensor *t = new_batch (dataset, count, error);
  if (t == NULL)
    return NULL;
  gint64 per = sample_size (dataset);
  for (gint64 i = 0; i < count; i++)
    convert_sample (dataset, start + i, t->data + i * per);
  return t;
}

gboolean
pl_dataset_feature_stats (const PlDataset *dataset, float *mean, float *sd, GError **error)
{
  g_return_val_if_fail (dataset != NULL, FALSE);
  g_return_val_if_fail (mean != NULL && sd != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (dataset->n <= 0) {
    g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                 "Dataset \"%s\" has no samples; feature statistics need at least one",
                 dataset->name);
    return FALSE;
  }
  gint64 F = sample_size (dataset);
  /* Welford's update, per feature, in double. */
  g_autofree double *m = g_new0 (double, F);
  g_autofree double *m2 = g_new0 (double, F);
  g_autofree float *row = g_new (float, MAX (F, 1));
  for (gint64 i = 0; i < dataset->n; i++) {
    convert_sample (dataset, i, row);
    double k = (double) (i + 1);
    for (gint64 f = 0; f < F; f++) {
      double x = row[f];
      double d = x - m[f];
      m[f] += d / k;
      m2[f] += d * (x - m[f]);
    }
  }
  for (gint64 f = 0; f < F; f++) {
    double var = m2[f] / (double) dataset->n;
    double s = var > 0 ? sqrt (var) : 0.0;
    mean[f] = (float) m[f];
    sd[f] = s < 1e-12 ? 1.0f : (float) s;
  }
  return TRUE;
}

static gboolean
has_suffix_ci (const char *path, const char *suffix)
{
  gsize lp = strlen (path), ls = strlen (suffix);
  return lp >= ls && g_ascii_strcasecmp (path + lp - ls, suffix) == 0;
}

static gboolean
idx_present (const char *dir, const char *stem)
{
  g_autofree char *plain = g_build_filename (dir, stem, NULL);
  g_autofree char *gz = g_strconcat (plain, ".gz", NULL);
  return g_file_test (gz, G_FILE_TEST_IS_REGULAR) || g_file_test (plain, G_FILE_TEST_IS_REGULAR);
}

/* TRUE if dir has at least one non-hidden subfolder holding a *.png. */
static gboolean
has_png_class_folder (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    return FALSE;
  const char *entry;
  while ((entry = g_dir_read_name (d)) != NULL) {
    if (entry[0] == '.')
      continue;
    g_autofree char *sub = g_build_filename (dir, entry, NULL);
    if (!g_file_test (sub, G_FILE_TEST_IS_DIR))
      continue;
    g_autoptr (GDir) sd = g_dir_open (sub, 0, NULL);
    if (sd == NULL)
      continue;
    const char *f;
    while ((f = g_dir_read_name (sd)) != NULL)
      if (has_suffix_ci (f, ".png"))
        return TRUE;
  }
  return FALSE;
}

PlDataset *
pl_dataset_open (const char *path, const char *split, const PlCsvOptions *csv,
                 GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    g_set_error (error, PL_ERROR, PL_ERROR_IO, "%s: no such file or folder", path);
    return NULL;
  }
  if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    const char *sp = split != NULL ? split : "test";
    const char *prefix = g_str_equal (sp, "train") ? "train" : "t10k";
    g_autofree char *img = g_strdup_printf ("%s-images-idx3-ubyte", prefix);
    g_autofree char *lab = g_strdup_printf ("%s-labels-idx1-ubyte", prefix);
    if (idx_present (path, img) && idx_present (path, lab))
      return pl_dataset_load_fashion_mnist (path, sp, error);
    if (!g_str_equal (sp, "train") && !g_str_equal (sp, "test"))
      return pl_dataset_load_fashion_mnist (path, sp, error); /* names the bad split */
    if (has_png_class_folder (path))
      return pl_dataset_load_png_folder (path, error);
    g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                 "%s: not a dataset folder: expected IDX files %s[.gz] and %s[.gz] "
                 "(Fashion-MNIST / MNIST, split \"%s\"), or one subfolder per class "
                 "holding PNG images", path, img, lab, sp);
    return NULL;
  }
  gboolean tsv = has_suffix_ci (path, ".tsv");
  if (tsv || has_suffix_ci (path, ".csv")) {
    PlCsvOptions o = PL_CSV_OPTIONS_INIT;
    if (csv != NULL)
      o = *csv;
    if (tsv && o.delimiter == ',')
      o.delimiter = '\t';
    return pl_dataset_load_csv (path, &o, error);
  }
  g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
               "%s: not a dataset PruneLens can open: expected a .csv or .tsv table, a "
               "folder of Fashion-MNIST / MNIST IDX files, or a folder of class subfolders "
               "holding PNG images", path);
  return NULL;
}
