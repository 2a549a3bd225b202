/* test-dataset-png.c — PNG decoding and folders of PNGs by class. The PNGs are written
 * here with libpng in every colour type and bit depth, plain and interlaced; the expected
 * 8-bit values are computed from the PNG specification (bit-depth scaling v * 255 /
 * (2^b - 1), 16 -> 8 bits rounded, alpha composited on black, BT.601 luma). */
#include <check.h>
#include <glib/gstdio.h>
#include <png.h>
#include <string.h>

#include "data/pl-dataset.h"
#include "pl-error.h"

#define W 7
#define H 5

static char *tmpdir;

static void
remove_tree (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  if (d == NULL) {
    g_remove (dir);
    return;
  }
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL) {
    g_autofree char *p = g_build_filename (dir, name, NULL);
    remove_tree (p);
  }
  g_dir_close (d);
  g_rmdir (dir);
}

static void
setup (void)
{
  tmpdir = g_dir_make_tmp ("pl-png-XXXXXX", NULL);
  ck_assert_ptr_nonnull (tmpdir);
}

static void
teardown (void)
{
  remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static void
write_cb (png_structp png, png_bytep data, png_size_t n)
{
  g_byte_array_append (png_get_io_ptr (png), data, (guint) n);
}

static void
flush_cb (png_structp png)
{
  (void) png;
}

/* Sample values (before packing) of pixel (x, y), channel k, for a bit depth. */
static guint
sample (int x, int y, int k, int depth, int seed)
{
  guint v = (guint) (x * 3 + y * 5 + k * 11 + seed * 7 + (x * y * (k + 1)));
  if (depth == 16) {
    if (x == 0 && y == 0 && k == 0)
      return 1000;  /* 1000 * 255 / 65535 = 3.89 -> 4 */
    return (v * 37 % 256) * 257; /* exact in 8 bits */
  }
  if (depth == 8)
    return (v * 37) % 256;
  return v % (1u << depth);
}

static gint n_palette = 0;

/* Writes a W×H PNG of the colour type and depth. Palette images use entries
 * i -> (i*37, i*91, i*13) mod 256 and, with trns, alpha (i*77) mod 256. */
static GByteArray *
make_png (int color, int depth, gboolean interlace, gboolean trns, int seed)
{
  GByteArray *out = g_byte_array_new ();
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct (png);
  ck_assert (setjmp (png_jmpbuf (png)) == 0);
  png_set_write_fn (png, out, write_cb, flush_cb);
  png_set_IHDR (png, info, W, H, depth, color,
                interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (color == PNG_COLOR_TYPE_PALETTE) {
    n_palette = 1 << depth;
    png_color pal[256];
    png_byte alpha[256];
    for (int i = 0; i < n_palette; i++) {
      pal[i].red = (png_byte) (i * 37);
      pal[i].green = (png_byte) (i * 91);
      pal[i].blue = (png_byte) (i * 13);
      alpha[i] = (png_byte) (i * 77);
    }
    png_set_PLTE (png, info, pal, n_palette);
    if (trns)
      png_set_tRNS (png, info, alpha, n_palette, NULL);
  }
  png_write_info (png, info);
  if (depth < 8)
    png_set_packing (png);
  int ch = color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_PALETTE ? 1
         : color == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : color == PNG_COLOR_TYPE_RGB ? 3 : 4;
  int bps = depth == 16 ? 2 : 1;
  guint8 rows[H][W * 4 * 2];
  png_bytep ptrs[H];
  for (int y = 0; y < H; y++) {
    for (int x = 0; x < W; x++)
      for (int k = 0; k < ch; k++) {
        guint v = sample (x, y, k, depth, seed);
        guint8 *p = rows[y] + (x * ch + k) * bps;
        if (bps == 2) {
          p[0] = (guint8) (v >> 8);
          p[1] = (guint8) v;
        } else {
          p[0] = (guint8) v;
        }
      }
    ptrs[y] = rows[y];
  }
  png_write_image (png, ptrs);
  png_write_end (png, NULL);
  png_destroy_write_struct (&png, &info);
  return out;
}

static guint
to8 (guint v, int depth)
{
  if (depth == 16)
    return (v * 255 + 32767) / 65535;
  return v * 255 / ((1u << depth) - 1);
}

/* Expected value of (x, y), channel c of an image decoded with want channels. */
static guint
expected (int color, int depth, gboolean trns, int x, int y, int c, int want, int seed)
{
  guint rgb[3], a = 255;
  if (color == PNG_COLOR_TYPE_PALETTE) {
    guint i = sample (x, y, 0, depth, seed);
    rgb[0] = (i * 37) % 256;
    rgb[1] = (i * 91) % 256;
    rgb[2] = (i * 13) % 256;
    if (trns)
      a = (i * 77) % 256;
  } else if (color & PNG_COLOR_MASK_COLOR) {
    for (int k = 0; k < 3; k++)
      rgb[k] = to8 (sample (x, y, k, depth, seed), depth);
    if (color & PNG_COLOR_MASK_ALPHA)
      a = to8 (sample (x, y, 3, depth, seed), depth);
  } else {
    rgb[0] = rgb[1] = rgb[2] = to8 (sample (x, y, 0, depth, seed), depth);
    if (color & PNG_COLOR_MASK_ALPHA)
      a = to8 (sample (x, y, 1, depth, seed), depth);
  }
  for (int k = 0; k < 3; k++)
    rgb[k] = (rgb[k] * a + 127) / 255;
  if (want == 3)
    return rgb[c];
  if (color & PNG_COLOR_MASK_COLOR)
    return (299 * rgb[0] + 587 * rgb[1] + 114 * rgb[2] + 500) / 1000;
  return rgb[0];
}

static void
check_decoded (int color, int depth, gboolean interlace, gboolean trns, int want)
{
  g_autoptr (GByteArray) png = make_png (color, depth, interlace, trns, 0);
  gint c = 0, h = 0, w = 0;
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *px = pl_dataset_decode_png_data (png->data, png->len, "x.png", want, &c,
                                                      &h, &w, &error);
  ck_assert_msg (px != NULL, "type %d depth %d: %s", color, depth,
                 error ? error->message : "");
  int natural = (color & PNG_COLOR_MASK_COLOR) ? 3 : 1;
  ck_assert_int_eq (c, want != 0 ? want : natural);
  ck_assert_int_eq (h, H);
  ck_assert_int_eq (w, W);
  for (int k = 0; k < c; k++)
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        guint want_v = expected (color, depth, trns, x, y, k, c, 0);
        guint got = px[(k * H + y) * W + x];
        ck_assert_msg (got == want_v,
                       "type %d depth %d%s%s want %d: channel %d (%d, %d) = %u, expected %u",
                       color, depth, interlace ? " interlaced" : "", trns ? " tRNS" : "",
                       want, k, x, y, got, want_v);
      }
}

START_TEST (test_grey_depths)
{
  const int depths[] = { 1, 2, 4, 8, 16 };
  for (int i = 0; i < 5; i++)
    for (int il = 0; il < 2; il++) {
      check_decoded (PNG_COLOR_TYPE_GRAY, depths[i], il, FALSE, 0);
      check_decoded (PNG_COLOR_TYPE_GRAY, depths[i], il, FALSE, 3);
    }
}
END_TEST

START_TEST (test_grey_alpha_rgb_rgba)
{
  const int types[] = { PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                        PNG_COLOR_TYPE_RGB_ALPHA };
  for (int t = 0; t < 3; t++)
    for (int depth = 8; depth <= 16; depth += 8)
      for (int il = 0; il < 2; il++)
        for (int want = 0; want <= 3; want += 1) {
          if (want == 2)
            continue;
          check_decoded (types[t], depth, il, FALSE, want);
        }
}
END_TEST

START_TEST (test_palette)
{
  const int depths[] = { 1, 2, 4, 8 };
  for (int i = 0; i < 4; i++)
    for (int il = 0; il < 2; il++)
      for (int trns = 0; trns < 2; trns++) {
        check_decoded (PNG_COLOR_TYPE_PALETTE, depths[i], il, trns, 0);
        check_decoded (PNG_COLOR_TYPE_PALETTE, depths[i], il, trns, 1);
      }
}
END_TEST

static void
expect_decode_error (const guint8 *data, gsize len, const char *frag)
{
  gint c, h, w;
  g_autoptr (GError) error = NULL;
  guint8 *px = pl_dataset_decode_png_data (data, len, "bad.png", 0, &c, &h, &w, &error);
  ck_assert_ptr_null (px);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_PARSE));
  ck_assert_msg (strstr (error->message, "bad.png") != NULL, "%s", error->message);
  ck_assert_msg (strstr (error->message, frag) != NULL, "'%s' not in: %s", frag,
                 error->message);
}

START_TEST (test_decode_errors)
{
  expect_decode_error ((const guint8 *) "hello world, not a png", 22, "not a PNG");
  expect_decode_error ((const guint8 *) "", 0, "not a PNG");
  g_autoptr (GByteArray) png = make_png (PNG_COLOR_TYPE_RGB, 8, FALSE, FALSE, 0);
  /* truncated in the middle of the image data, and right after the signature */
  expect_decode_error (png->data, png->len / 2, "truncated");
  expect_decode_error (png->data, 8, "truncated");
  /* a flipped bit in the IHDR chunk (critical) fails its CRC */
  g_autofree guint8 *bad = g_memdup2 (png->data, png->len);
  bad[8 + 8 + 3] ^= 0x01;  /* width, inside IHDR's data */
  expect_decode_error (bad, png->len, "CRC");
}
END_TEST

static void
write_png_file (const char *dir, const char *cls, const char *file, GByteArray *png)
{
  g_autofree char *sub = g_build_filename (dir, cls, NULL);
  g_mkdir_with_parents (sub, 0700);
  g_autofree char *path = g_build_filename (sub, file, NULL);
  ck_assert (g_file_set_contents (path, (const char *) png->data, png->len, NULL));
}

START_TEST (test_folder)
{
  g_autofree char *dir = g_build_filename (tmpdir, "shapes", NULL);
  /* classes "b" and "a" (sorted to a, b), files sorted by name; the first image (a/1.png)
   * is grey, so the RGB image is converted to grey */
  g_autoptr (GByteArray) g8 = make_png (PNG_COLOR_TYPE_GRAY, 8, FALSE, FALSE, 0);
  g_autoptr (GByteArray) g4 = make_png (PNG_COLOR_TYPE_GRAY, 4, TRUE, FALSE, 0);
  g_autoptr (GByteArray) rgb = make_png (PNG_COLOR_TYPE_RGB, 16, FALSE, FALSE, 0);
  write_png_file (dir, "b", "z.png", g8);
  write_png_file (dir, "b", "m.PNG", rgb);
  write_png_file (dir, "a", "1.png", g4);
  write_png_file (dir, "a", "notes.txt", g8); /* ignored */
  g_autoptr (GError) error = NULL;
  g_autoptr (PlDataset) ds = pl_dataset_load_png_folder (dir, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (ds->kind, PL_DATASET_IMAGES);
  ck_assert_str_eq (ds->name, "shapes");
  ck_assert_int_eq (ds->n, 3);
  ck_assert_int_eq (ds->channels, 1);
  ck_assert_int_eq (ds->height, H);
  ck_assert_int_eq (ds->width, W);
  ck_assert_int_eq (ds->n_classes, 2);
  ck_assert_str_eq (ds->class_names[0], "a");
  ck_assert_str_eq (ds->class_names[1], "b");
  ck_assert_int_eq (ds->labels[0], 0);
  ck_assert_int_eq (ds->labels[1], 1);
  ck_assert_int_eq (ds->labels[2], 1);
  /* samples: a/1.png (grey 4-bit), b/m.PNG (RGB 16 -> luma), b/z.png (grey 8) */
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      ck_assert_uint_eq (ds->pixels[y * W + x],
                         expected (PNG_COLOR_TYPE_GRAY, 4, FALSE, x, y, 0, 1, 0));
      ck_assert_uint_eq (ds->pixels[W * H + y * W + x],
                         expected (PNG_COLOR_TYPE_RGB, 16, FALSE, x, y, 0, 1, 0));
      ck_assert_uint_eq (ds->pixels[2 * W * H + y * W + x],
                         expected (PNG_COLOR_TYPE_GRAY, 8, FALSE, x, y, 0, 1, 0));
    }
  /* float batch = pixels / 255 */
  g_autoptr (PlTensor) b = pl_dataset_range (ds, 2, 1, &error);
  ck_assert_ptr_nonnull (b);
  ck_assert_int_eq (b->ndim, 4);
  ck_assert_float_eq_tol (b->data[3], ds->pixels[2 * W * H + 3] / 255.0f, 1e-7);

  /* pl_dataset_open recognises the folder */
  g_autoptr (PlDataset) d2 = pl_dataset_open (dir, NULL, NULL, &error);
  ck_assert_msg (d2 != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (d2->n, 3);

  /* an RGB first image makes the dataset RGB; grey images are replicated */
  g_autofree char *dir2 = g_build_filename (tmpdir, "colour", NULL);
  g_autoptr (GByteArray) pal = make_png (PNG_COLOR_TYPE_PALETTE, 2, FALSE, TRUE, 0);
  g_autoptr (GByteArray) ga = make_png (PNG_COLOR_TYPE_GRAY_ALPHA, 16, TRUE, FALSE, 0);
  write_png_file (dir2, "k", "a.png", pal);
  write_png_file (dir2, "k", "b.png", ga);
  g_autoptr (PlDataset) d3 = pl_dataset_load_png_folder (dir2, &error);
  ck_assert_msg (d3 != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (d3->channels, 3);
  for (int k = 0; k < 3; k++)
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        ck_assert_uint_eq (d3->pixels[(k * H + y) * W + x],
                           expected (PNG_COLOR_TYPE_PALETTE, 2, TRUE, x, y, k, 3, 0));
        ck_assert_uint_eq (d3->pixels[3 * W * H + (k * H + y) * W + x],
                           expected (PNG_COLOR_TYPE_GRAY_ALPHA, 16, FALSE, x, y, k, 3, 0));
      }
}
END_TEST

static void
expect_folder_error (const char *dir, gint code, const char *frag1, const char *frag2)
{
  g_autoptr (GError) error = NULL;
  PlDataset *ds = pl_dataset_load_png_folder (dir, &error);
  ck_assert_ptr_null (ds);
  ck_assert_msg (g_error_matches (error, PL_ERROR, code), "%s", error->message);
  ck_assert_msg (strstr (error->message, frag1) != NULL, "'%s' not in: %s", frag1,
                 error->message);
  if (frag2 != NULL)
    ck_assert_msg (strstr (error->message, frag2) != NULL, "'%s' not in: %s", frag2,
                   error->message);
}

START_TEST (test_folder_errors)
{
  g_autofree char *none = g_build_filename (tmpdir, "none", NULL);
  expect_folder_error (none, PL_ERROR_IO, none, NULL);
  g_autofree char *flat = g_build_filename (tmpdir, "flat", NULL);
  g_mkdir (flat, 0700);
  expect_folder_error (flat, PL_ERROR_PARSE, "no class folders", NULL);

  /* a class folder without PNGs */
  g_autofree char *emptycls = g_build_filename (tmpdir, "emptycls", NULL);
  g_autoptr (GByteArray) g8 = make_png (PNG_COLOR_TYPE_GRAY, 8, FALSE, FALSE, 0);
  write_png_file (emptycls, "a", "1.png", g8);
  g_autofree char *b = g_build_filename (emptycls, "b", NULL);
  g_mkdir (b, 0700);
  expect_folder_error (emptycls, PL_ERROR_PARSE, b, "no PNG");

  /* sizes differ: the error names the first file that differs */
  g_autofree char *sizes = g_build_filename (tmpdir, "sizes", NULL);
  write_png_file (sizes, "a", "1.png", g8);
  write_png_file (sizes, "a", "2.png", g8);
  g_autoptr (GByteArray) other = g_byte_array_new ();
  {
    png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct (png);
    ck_assert (setjmp (png_jmpbuf (png)) == 0);
    png_set_write_fn (png, other, write_cb, flush_cb);
    png_set_IHDR (png, info, 3, 2, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                  PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info (png, info);
    guint8 row[3] = { 1, 2, 3 };
    png_write_row (png, row);
    png_write_row (png, row);
    png_write_end (png, NULL);
    png_destroy_write_struct (&png, &info);
  }
  write_png_file (sizes, "b", "3.png", other);
  write_png_file (sizes, "b", "4.png", other);
  g_autofree char *third = g_build_filename (sizes, "b", "3.png", NULL);
  expect_folder_error (sizes, PL_ERROR_PARSE, third, "3×2");

  /* a broken file is named */
  g_autofree char *broken = g_build_filename (tmpdir, "broken", NULL);
  write_png_file (broken, "a", "1.png", g8);
  g_autoptr (GByteArray) half = g_byte_array_new ();
  g_byte_array_append (half, g8->data, g8->len - 20);
  write_png_file (broken, "a", "2.png", half);
  g_autofree char *second = g_build_filename (broken, "a", "2.png", NULL);
  expect_folder_error (broken, PL_ERROR_PARSE, second, "truncated");
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("dataset-png");
  TCase *tc = tcase_create ("png");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_grey_depths);
  tcase_add_test (tc, test_grey_alpha_rgb_rgba);
  tcase_add_test (tc, test_palette);
  tcase_add_test (tc, test_decode_errors);
  tcase_add_test (tc, test_folder);
  tcase_add_test (tc, test_folder_errors);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
