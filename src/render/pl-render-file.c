/* pl-render-file.c — figures to PNG (libpng), SVG and PDF (cairo), written atomically.
 *
 * Every file is produced in memory first and then written with g_file_set_contents_full
 * (G_FILE_SET_CONTENTS_CONSISTENT): a temporary file in the destination folder, every
 * write checked, fsync, then one rename over the destination. A full disk, a failed write
 * or a kill at any moment leaves either the previous file or the new one, never a part.
 * (g_file_replace_contents is not enough: when a write fails its close still renames the
 * partial file over the old one, and a new file is written under its final name.)
 */
#include "config.h"
#include "pl-render-private.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <gio/gio.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <string.h>

#include "pl-error.h"

/* Longest side of a raster export, in pixels. */
#define PL_RENDER_MAX_PIXELS 30000

static gboolean
write_atomically (const char *path, const void *data, gsize len, GError **error)
{
  g_autoptr (GError) local = NULL;
  if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, PL_ERROR, PL_ERROR_IO,
                 "%s: cannot write the figure: it is a folder; give a file name", path);
    return FALSE;
  }
  if (!g_file_set_contents_full (path, data, (gssize) len, G_FILE_SET_CONTENTS_CONSISTENT, 0666,
                                 &local)) {
    g_set_error (error, PL_ERROR, PL_ERROR_IO, "%s: cannot write the figure: %s", path,
                 local->message);
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_size (const char *path, double width_in, double height_in, double dpi, GError **error)
{
  if (!(width_in > 0) || !(height_in > 0) || !isfinite (width_in) || !isfinite (height_in) ||
      !(dpi > 0) || !isfinite (dpi) || width_in * dpi > PL_RENDER_MAX_PIXELS ||
      height_in * dpi > PL_RENDER_MAX_PIXELS) {
    g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                 "%s: cannot make a figure of %g × %g inches at %g dpi; expected positive "
                 "sizes of at most %d pixels a side", path, width_in, height_in, dpi,
                 PL_RENDER_MAX_PIXELS);
    return FALSE;
  }
  return TRUE;
}

/* ---- PNG ------------------------------------------------------------------------- */

typedef struct {
  GByteArray *bytes;
  char message[256];
} PngSink;

static void
png_write_cb (png_structp png, png_bytep data, png_size_t len)
{
  PngSink *sink = png_get_io_ptr (png);
  g_byte_array_append (sink->bytes, data, (guint) len);
}

static void
png_flush_cb (png_structp png)
{
}

static void
png_error_cb (png_structp png, png_const_charp msg)
{
  PngSink *sink = png_get_error_ptr (png);
  g_strlcpy (sink->message, msg, sizeof sink->message);
  png_longjmp (png, 1);
}

static void
png_warning_cb (png_structp png, png_const_charp msg)
{
}

/* Encodes an opaque ARGB32 surface as 8-bit RGB. Returns NULL with sink->message set on
 * failure. */
static gboolean
encode_png (cairo_surface_t *surface, double dpi, const char *title, const char *description,
            PngSink *sink)
{
  int w = cairo_image_surface_get_width (surface);
  int h = cairo_image_surface_get_height (surface);
  int stride = cairo_image_surface_get_stride (surface);
  const guint8 *data = cairo_image_surface_get_data (surface);

  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, sink, png_error_cb,
                                             png_warning_cb);
  if (png == NULL) {
    g_strlcpy (sink->message, "libpng could not start", sizeof sink->message);
    return FALSE;
  }
  png_infop info = png_create_info_struct (png);
  /* volatile: modified between setjmp and a possible longjmp */
  guint8 *volatile row = NULL;
  if (info == NULL || setjmp (png_jmpbuf (png))) {
    if (sink->message[0] == '\0')
      g_strlcpy (sink->message, "libpng could not encode the image", sizeof sink->message);
    g_free (row);
    png_destroy_write_struct (&png, info != NULL ? &info : NULL);
    return FALSE;
  }
  png_set_write_fn (png, sink, png_write_cb, png_flush_cb);
  png_set_IHDR (png, info, (png_uint_32) w, (png_uint_32) h, 8, PNG_COLOR_TYPE_RGB,
                PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_uint_32 ppm = (png_uint_32) lround (dpi / 0.0254);
  png_set_pHYs (png, info, ppm, ppm, PNG_RESOLUTION_METER);

  png_text text[3];
  int n_text = 0;
  char software[64];
  g_snprintf (software, sizeof software, "PruneLens %s", PACKAGE_VERSION);
  memset (text, 0, sizeof text);
  text[n_text].compression = PNG_TEXT_COMPRESSION_NONE;
  text[n_text].key = (png_charp) "Software";
  text[n_text++].text = software;
  if (title != NULL) {
    text[n_text].compression = PNG_TEXT_COMPRESSION_NONE;
    text[n_text].key = (png_charp) "Title";
    text[n_text++].text = (png_charp) title;
  }
  if (description != NULL) {
    text[n_text].compression = PNG_TEXT_COMPRESSION_NONE;
    text[n_text].key = (png_charp) "Description";
    text[n_text++].text = (png_charp) description;
  }
  png_set_text (png, info, text, n_text);
  png_write_info (png, info);

  row = g_malloc ((gsize) w * 3);
  for (int y = 0; y < h; y++) {
    const guint32 *src = (const guint32 *) (data + (gsize) y * stride);
    guint8 *dst = row;
    for (int x = 0; x < w; x++) {
      guint32 p = src[x];
      /* opaque (white background painted first): no un-premultiplying needed */
      dst[3 * x + 0] = (p >> 16) & 0xff;
      dst[3 * x + 1] = (p >> 8) & 0xff;
      dst[3 * x + 2] = p & 0xff;
    }
    png_write_row (png, row);
  }
  png_write_end (png, info);
  g_free (row);
  row = NULL;
  png_destroy_write_struct (&png, &info);
  return TRUE;
}

gboolean
pl_render_png (PlDrawFunc draw, gconstpointer figure, double width_in, double height_in,
               double dpi, const char *path, const char *title, const char *description,
               GError **error)
{
  g_return_val_if_fail (draw != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_size (path, width_in, height_in, dpi, error))
    return FALSE;
  int w = MAX (1, (int) lround (width_in * dpi));
  int h = MAX (1, (int) lround (height_in * dpi));
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS) {
    g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE, "%s: cannot allocate a %d × %d image: %s",
                 path, w, h, cairo_status_to_string (cairo_surface_status (surface)));
    cairo_surface_destroy (surface);
    return FALSE;
  }
  cairo_t *cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  /* the draw function sees points (72 per inch) */
  cairo_scale (cr, (double) w / (width_in * 72.0), (double) h / (height_in * 72.0));
  draw (cr, width_in * 72.0, height_in * 72.0, figure);
  cairo_status_t status = cairo_status (cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  if (status != CAIRO_STATUS_SUCCESS) {
    g_set_error (error, PL_ERROR, PL_ERROR_FAILED, "%s: drawing the figure failed: %s", path,
                 cairo_status_to_string (status));
    cairo_surface_destroy (surface);
    return FALSE;
  }

  PngSink sink = { .bytes = g_byte_array_new () };
  gboolean ok = encode_png (surface, dpi, title, description, &sink);
  cairo_surface_destroy (surface);
  if (!ok) {
    g_set_error (error, PL_ERROR, PL_ERROR_FAILED, "%s: PNG encoding failed: %s", path,
                 sink.message);
    g_byte_array_unref (sink.bytes);
    return FALSE;
  }
  ok = write_atomically (path, sink.bytes->data, sink.bytes->len, error);
  g_byte_array_unref (sink.bytes);
  return ok;
}

/* ---- SVG and PDF ----------------------------------------------------------------- */

static cairo_status_t
stream_write_cb (void *closure, const unsigned char *data, unsigned int len)
{
  g_byte_array_append ((GByteArray *) closure, data, len);
  return CAIRO_STATUS_SUCCESS;
}

static gboolean
render_vector (gboolean pdf, PlDrawFunc draw, gconstpointer figure, double width_in,
               double height_in, const char *path, const char *title,
               const char *description, GError **error)
{
  if (!check_size (path, width_in, height_in, 72.0, error))
    return FALSE;
  double wpt = width_in * 72.0, hpt = height_in * 72.0;
  GByteArray *bytes = g_byte_array_new ();
  cairo_surface_t *surface;
  if (pdf) {
    surface = cairo_pdf_surface_create_for_stream (stream_write_cb, bytes, wpt, hpt);
    if (cairo_surface_status (surface) == CAIRO_STATUS_SUCCESS) {
      g_autofree char *creator = g_strdup_printf ("PruneLens %s", PACKAGE_VERSION);
      cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, creator);
      if (title != NULL)
        cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, title);
      if (description != NULL)
        cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_SUBJECT, description);
    }
  } else {
    surface = cairo_svg_surface_create_for_stream (stream_write_cb, bytes, wpt, hpt);
    if (cairo_surface_status (surface) == CAIRO_STATUS_SUCCESS)
      cairo_svg_surface_set_document_unit (surface, CAIRO_SVG_UNIT_PT);
  }
  cairo_t *cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  draw (cr, wpt, hpt, figure);
  cairo_status_t status = cairo_status (cr);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS) {
    g_set_error (error, PL_ERROR, PL_ERROR_FAILED, "%s: drawing the %s figure failed: %s",
                 path, pdf ? "PDF" : "SVG", cairo_status_to_string (status));
    g_byte_array_unref (bytes);
    return FALSE;
  }
  gboolean ok = write_atomically (path, bytes->data, bytes->len, error);
  g_byte_array_unref (bytes);
  return ok;
}

gboolean
pl_render_svg (PlDrawFunc draw, gconstpointer figure, double width_in, double height_in,
               const char *path, const char *title, const char *description, GError **error)
{
  g_return_val_if_fail (draw != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return render_vector (FALSE, draw, figure, width_in, height_in, path, title, description,
                        error);
}

gboolean
pl_render_pdf (PlDrawFunc draw, gconstpointer figure, double width_in, double height_in,
               const char *path, const char *title, const char *description, GError **error)
{
  g_return_val_if_fail (draw != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return render_vector (TRUE, draw, figure, width_in, height_in, path, title, description,
                        error);
}
