/* pl-dataset-png.c — folders of PNG images by class, decoded with libpng.
 *
 * PNG: ISO/IEC 15948 (https://www.w3.org/TR/png/). libpng does the expansion of palette
 * and low bit depths (png_set_expand), tRNS to alpha, 16 -> 8 bits (png_set_scale_16) and
 * de-interlacing (png_set_interlace_handling); the alpha composite on black and the
 * grey <-> RGB conversions are done here so that they do not depend on gamma.
 */
#include "data/pl-dataset.h"

#include <png.h>
#include <setjmp.h>
#include <string.h>

#include "pl-error.h"

#define PL_PNG_MAX_PIXELS (1 << 24)          /* per image */
#define PL_PNG_MAX_BYTES (G_GUINT64_CONSTANT (1) << 31) /* per dataset */
#define PL_PNG_MAX_CLASSES 256

typedef struct {
  const guint8 *data;
  gsize length, pos;
  char message[256];
} PngReader;

static void
png_read_mem (png_structp png, png_bytep out, png_size_t count)
{
  PngReader *r = png_get_io_ptr (png);
  if (count > r->length - r->pos) {
    g_snprintf (r->message, sizeof r->message,
                "the file is truncated: it ends at byte offset %" G_GSIZE_FORMAT
                " where %" G_GSIZE_FORMAT " more bytes were expected", r->length,
                (gsize) count - (r->length - r->pos));
    png_longjmp (png, 1);
  }
  memcpy (out, r->data + r->pos, count);
  r->pos += count;
}

static void
png_error_cb (png_structp png, png_const_charp msg)
{
  PngReader *r = png_get_error_ptr (png);
  if (r->message[0] == '\0')
    g_snprintf (r->message, sizeof r->message, "%s (near byte offset %" G_GSIZE_FORMAT ")",
                msg, r->pos);
  png_longjmp (png, 1);
}

static void
png_warning_cb (png_structp png, png_const_charp msg)
{
  (void) png;
  (void) msg; /* warnings (e.g. a bad ancillary chunk that is skipped) are not errors */
}

/* Everything the decoder changes lives here, so that nothing in a setjmp frame is
 * modified between setjmp and a longjmp. */
typedef struct {
  const char *name;
  gint want_channels;
  PngReader reader;
  png_structp png;
  png_infop info;
  guint8 *rows;          /* interleaved 8-bit rows */
  png_bytep *row_ptrs;
  guint8 *result;        /* planar [out_c, h, w] */
  gint out_c, w, h;
  GError *error;
} PngDecode;

/* Reads the header and the pixels into d->rows (interleaved, 8 bits). */
static gboolean
decode_rows (PngDecode *d)
{
  if (setjmp (png_jmpbuf (d->png))) {
    if (d->error == NULL)
      g_set_error (&d->error, PL_ERROR, PL_ERROR_PARSE, "%s: not a valid PNG image: %s",
                   d->name, d->reader.message[0] ? d->reader.message : "libpng failed");
    return FALSE;
  }
  png_set_read_fn (d->png, &d->reader, png_read_mem);
  png_set_user_limits (d->png, 1 << 16, 1 << 16);
  png_set_chunk_malloc_max (d->png, 16 << 20);
  png_read_info (d->png, d->info);

  png_uint_32 pw = png_get_image_width (d->png, d->info);
  png_uint_32 ph = png_get_image_height (d->png, d->info);
  int color = png_get_color_type (d->png, d->info);
  if ((guint64) pw * ph > PL_PNG_MAX_PIXELS) {
    g_set_error (&d->error, PL_ERROR, PL_ERROR_TOO_LARGE,
                 "%s: the image is %u×%u pixels; images above 2^24 pixels are refused",
                 d->name, pw, ph);
    return FALSE;
  }
  d->w = (gint) pw;
  d->h = (gint) ph;
  gboolean colour = (color & PNG_COLOR_MASK_COLOR) != 0; /* RGB, RGBA, palette */
  d->out_c = d->want_channels != 0 ? d->want_channels : (colour ? 3 : 1);

  png_set_expand (d->png);     /* palette -> RGB, grey < 8 bits -> 8, tRNS -> alpha */
  png_set_scale_16 (d->png);   /* 16 -> 8 bits, rounded */
  png_set_interlace_handling (d->png);
  png_read_update_info (d->png, d->info);

  int in_c = png_get_channels (d->png, d->info);
  gsize rowbytes = png_get_rowbytes (d->png, d->info);
  if (png_get_bit_depth (d->png, d->info) != 8 || in_c < 1 || in_c > 4 ||
      rowbytes != (gsize) in_c * (gsize) d->w) {
    g_set_error (&d->error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                 "%s: unexpected pixel layout after conversion (%d channels, %d bits)",
                 d->name, in_c, png_get_bit_depth (d->png, d->info));
    return FALSE;
  }
  d->rows = g_try_malloc ((gsize) rowbytes * d->h);
  d->row_ptrs = g_try_new (png_bytep, d->h);
  if (d->rows == NULL || d->row_ptrs == NULL) {
    g_set_error (&d->error, PL_ERROR, PL_ERROR_TOO_LARGE,
                 "%s: not enough memory for %d×%d pixels", d->name, d->w, d->h);
    return FALSE;
  }
  for (gint y = 0; y < d->h; y++)
    d->row_ptrs[y] = d->rows + (gsize) y * rowbytes;
  png_read_image (d->png, d->row_ptrs);
  png_read_end (d->png, NULL);
  return TRUE;
}

/* Converts d->rows to the planar result with d->out_c channels. */
static gboolean
convert_rows (PngDecode *d)
{
  int in_c = png_get_channels (d->png, d->info);
  gsize plane = (gsize) d->w * d->h;
  d->result = g_try_malloc (MAX (plane * d->out_c, 1));
  if (d->result == NULL) {
    g_set_error (&d->error, PL_ERROR, PL_ERROR_TOO_LARGE,
                 "%s: not enough memory for %d×%d pixels", d->name, d->w, d->h);
    return FALSE;
  }
  gboolean alpha = in_c == 2 || in_c == 4;
  gboolean rgb = in_c >= 3;
  for (gsize p = 0; p < plane; p++) {
    const guint8 *px = d->rows + p * in_c;
    guint v[3];
    if (rgb) {
      v[0] = px[0];
      v[1] = px[1];
      v[2] = px[2];
    } else {
      v[0] = v[1] = v[2] = px[0];
    }
    if (alpha) {
      guint a = px[in_c - 1];
      for (int k = 0; k < 3; k++)
        v[k] = (v[k] * a + 127) / 255; /* composite on black */
    }
    if (d->out_c == 3) {
      for (int k = 0; k < 3; k++)
        d->result[k * plane + p] = (guint8) v[k];
    } else if (rgb) {
      d->result[p] = (guint8) ((299 * v[0] + 587 * v[1] + 114 * v[2] + 500) / 1000);
    } else {
      d->result[p] = (guint8) v[0];
    }
  }
  return TRUE;
}

guint8 *
pl_dataset_decode_png_data (const guint8 *data, gsize length, const char *name,
                            gint want_channels, gint *channels, gint *height, gint *width,
                            GError **error)
{
  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (want_channels == 0 || want_channels == 1 || want_channels == 3, NULL);
  g_return_val_if_fail (channels != NULL && height != NULL && width != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (name == NULL)
    name = "PNG data";
  if (length < 8 || png_sig_cmp (data, 0, 8) != 0) {
    g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                 "%s: not a PNG file (the first 8 bytes are not the PNG signature "
                 "89 50 4E 47 0D 0A 1A 0A)", name);
    return NULL;
  }

  PngDecode *d = g_new0 (PngDecode, 1);
  d->name = name;
  d->want_channels = want_channels;
  d->reader.data = data;
  d->reader.length = length;
  d->png = png_create_read_struct (PNG_LIBPNG_VER_STRING, &d->reader, png_error_cb,
                                   png_warning_cb);
  if (d->png != NULL)
    d->info = png_create_info_struct (d->png);
  if (d->png == NULL || d->info == NULL)
    g_set_error (&d->error, PL_ERROR, PL_ERROR_FAILED, "%s: libpng could not start", name);
  else if (decode_rows (d) && convert_rows (d)) {
    *channels = d->out_c;
    *height = d->h;
    *width = d->w;
  }
  guint8 *result = d->error == NULL ? g_steal_pointer (&d->result) : NULL;
  if (d->error != NULL)
    g_propagate_error (error, d->error);
  if (d->png != NULL)
    png_destroy_read_struct (&d->png, d->info != NULL ? &d->info : NULL, NULL);
  g_free (d->rows);
  g_free (d->row_ptrs);
  g_free (d->result);
  g_free (d);
  return result;
}

static gboolean
is_png_name (const char *f)
{
  gsize n = strlen (f);
  return f[0] != '.' && n > 4 && g_ascii_strcasecmp (f + n - 4, ".png") == 0;
}

static gint
cmp_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Sorted entries of dir that pass the filter (dirs: non-hidden subfolders; else PNGs). */
static GPtrArray *
list_sorted (const char *dir, gboolean dirs, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (GDir) d = g_dir_open (dir, 0, &local);
  if (d == NULL) {
    g_set_error (error, PL_ERROR, PL_ERROR_IO, "%s: cannot open the folder: %s", dir,
                 local->message);
    return NULL;
  }
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  const char *e;
  while ((e = g_dir_read_name (d)) != NULL) {
    if (e[0] == '.')
      continue;
    g_autofree char *full = g_build_filename (dir, e, NULL);
    if (dirs ? g_file_test (full, G_FILE_TEST_IS_DIR)
             : (is_png_name (e) && g_file_test (full, G_FILE_TEST_IS_REGULAR)))
      g_ptr_array_add (out, g_strdup (e));
  }
  g_ptr_array_sort (out, cmp_str);
  return out;
}

PlDataset *
pl_dataset_load_png_folder (const char *dir, GError **error)
{
  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, PL_ERROR, PL_ERROR_IO, "%s: no such folder", dir);
    return NULL;
  }
  g_autoptr (GPtrArray) classes = list_sorted (dir, TRUE, error);
  if (classes == NULL)
    return NULL;
  if (classes->len == 0) {
    g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                 "%s: no class folders; expected one subfolder per class holding PNG "
                 "images (DIR/<class>/<image>.png)", dir);
    return NULL;
  }
  if (classes->len > PL_PNG_MAX_CLASSES) {
    g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                 "%s: %u class folders; at most %d classes are supported", dir, classes->len,
                 PL_PNG_MAX_CLASSES);
    return NULL;
  }
  /* all file names first: the total count is known before pixels are allocated */
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) labels = g_array_new (FALSE, FALSE, sizeof (guint8));
  for (guint c = 0; c < classes->len; c++) {
    g_autofree char *sub = g_build_filename (dir, classes->pdata[c], NULL);
    g_autoptr (GPtrArray) pngs = list_sorted (sub, FALSE, error);
    if (pngs == NULL)
      return NULL;
    if (pngs->len == 0) {
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: the class folder holds no PNG images (*.png); every class needs at "
                   "least one", sub);
      return NULL;
    }
    for (guint i = 0; i < pngs->len; i++) {
      g_ptr_array_add (files, g_build_filename (sub, pngs->pdata[i], NULL));
      guint8 l = (guint8) c;
      g_array_append_val (labels, l);
    }
  }

  gint C = 0, H = 0, W = 0;
  gsize per = 0;
  guint8 *pixels = NULL;
  for (guint i = 0; i < files->len; i++) {
    const char *path = files->pdata[i];
    g_autofree char *bytes = NULL;
    gsize len = 0;
    g_autoptr (GError) local = NULL;
    if (!g_file_get_contents (path, &bytes, &len, &local)) {
      g_set_error (error, PL_ERROR, PL_ERROR_IO, "%s: cannot read the file: %s", path,
                   local->message);
      g_free (pixels);
      return NULL;
    }
    gint c = 0, h = 0, w = 0;
    g_autofree guint8 *img = pl_dataset_decode_png_data ((const guint8 *) bytes, len, path, C,
                                                         &c, &h, &w, error);
    if (img == NULL) {
      g_free (pixels);
      return NULL;
    }
    if (i == 0) {
      C = c;
      H = h;
      W = w;
      per = (gsize) C * H * W;
      if ((guint64) per * files->len > PL_PNG_MAX_BYTES) {
        g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                     "%s: %u images of %d×%d×%d need more than 2^31 bytes; too large to hold "
                     "in memory", dir, files->len, C, H, W);
        return NULL;
      }
      pixels = g_try_malloc (per * files->len);
      if (pixels == NULL) {
        g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                     "%s: not enough memory for %u images of %d×%d×%d", dir, files->len, C,
                     H, W);
        return NULL;
      }
    } else if (h != H || w != W) {
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: the image is %d×%d (width × height) but %s is %d×%d; all images "
                   "must have the same size", path, w, h, (char *) files->pdata[0], W, H);
      g_free (pixels);
      return NULL;
    }
    memcpy (pixels + per * i, img, per);
  }

  PlDataset *ds = g_new0 (PlDataset, 1);
  ds->ref_count = 1;
  ds->kind = PL_DATASET_IMAGES;
  g_autofree char *base = g_path_get_basename (dir);
  ds->name = g_strdup (base);
  ds->n = files->len;
  ds->channels = C;
  ds->height = H;
  ds->width = W;
  ds->pixels = pixels;
  ds->labels = g_memdup2 (labels->data, labels->len);
  ds->n_classes = (gint) classes->len;
  ds->class_names = g_new0 (char *, ds->n_classes + 1);
  for (gint c = 0; c < ds->n_classes; c++)
    ds->class_names[c] = g_strdup (classes->pdata[c]);
  return ds;
}
