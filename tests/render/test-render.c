/* test-render.c — colormaps, heatmap and bar figures, PNG / SVG / PDF export. */
#include "config.h"

#include <check.h>
#include <glib/gstdio.h>
#include <math.h>
#include <png.h>
#include <signal.h>
#include <sys/resource.h>
#include <string.h>

#include "pl-error.h"
#include "pl-render-private.h"
#include "pl-render.h"

static char *tmpdir;

/* fontconfig keeps its font cache for the life of the process; LeakSanitizer (in the
 * -Db_sanitize=address builds) would report it when each forked test exits. */
const char *__lsan_default_suppressions (void);
const char *
__lsan_default_suppressions (void)
{
  return "leak:libfontconfig.so\n";
}

static void
setup (void)
{
  tmpdir = g_dir_make_tmp ("pl-render-XXXXXX", NULL);
  ck_assert_ptr_nonnull (tmpdir);
}

static void
teardown (void)
{

  GDir *d = g_dir_open (tmpdir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    g_autofree char *p = g_build_filename (tmpdir, name, NULL);
    g_remove (p);
  }
  if (d != NULL)
    g_dir_close (d);
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static guint32
hex_of (PlColormap cmap, double t)
{
  double rgb[3];
  pl_colormap_lookup (cmap, t, rgb);
  return pl_pack_rgb (rgb) & 0xffffff;
}

START_TEST (test_colormap_endpoints)
{
  ck_assert_uint_eq (hex_of (PL_COLORMAP_VIRIDIS, 0.0), 0x440154);
  ck_assert_uint_eq (hex_of (PL_COLORMAP_VIRIDIS, 1.0), 0xfde725);
  ck_assert_uint_eq (hex_of (PL_COLORMAP_MAGMA, 0.0), 0x000004);
  ck_assert_uint_eq (hex_of (PL_COLORMAP_MAGMA, 1.0), 0xfcfdbf);
  ck_assert_uint_eq (hex_of (PL_COLORMAP_GREY, 0.0), 0x000000);
  ck_assert_uint_eq (hex_of (PL_COLORMAP_GREY, 1.0), 0xffffff);
  ck_assert_uint_eq (hex_of (PL_COLORMAP_DIVERGING, 0.0), 0x053061);
  ck_assert_uint_eq (hex_of (PL_COLORMAP_DIVERGING, 1.0), 0x67001f);
  /* clamping */
  ck_assert_uint_eq (hex_of (PL_COLORMAP_VIRIDIS, -3.0), 0x440154);
  ck_assert_uint_eq (hex_of (PL_COLORMAP_MAGMA, 7.0), 0xfcfdbf);

  /* the diverging centre is exactly ColorBrewer's neutral #f7f7f7 */
  double rgb[3];
  pl_colormap_lookup (PL_COLORMAP_DIVERGING, 0.5, rgb);
  for (int c = 0; c < 3; c++)
    ck_assert_double_eq_tol (rgb[c], 0xf7 / 255.0, 1e-12);
  /* ColorBrewer classes 4 and 6 of 11 (0-based 3, 7 reversed) sit at t = 0.3 and 0.7 */
  ck_assert_uint_eq (hex_of (PL_COLORMAP_DIVERGING, 0.3), 0x92c5de);
  ck_assert_uint_eq (hex_of (PL_COLORMAP_DIVERGING, 0.7), 0xf4a582);

  /* matplotlib: viridis(0.5) = (0.127568, 0.566949, 0.550556) (entry 128 of 256);
   * magma(0.25) = entry 64 = (0.316654, 0.071690, 0.485380). Interpolation stays within
   * half a table step. */
  pl_colormap_lookup (PL_COLORMAP_VIRIDIS, 0.5, rgb);
  ck_assert_double_eq_tol (rgb[0], 0.127568, 0.004);
  ck_assert_double_eq_tol (rgb[1], 0.566949, 0.004);
  ck_assert_double_eq_tol (rgb[2], 0.550556, 0.004);
  pl_colormap_lookup (PL_COLORMAP_MAGMA, 64.0 / 255.0, rgb);
  ck_assert_double_eq_tol (rgb[0], 0.316654, 1e-6);
  ck_assert_double_eq_tol (rgb[1], 0.071690, 1e-6);
  ck_assert_double_eq_tol (rgb[2], 0.485380, 1e-6);
  /* grey is linear */
  pl_colormap_lookup (PL_COLORMAP_GREY, 0.25, rgb);
  ck_assert_double_eq_tol (rgb[1], 0.25, 1e-12);
}
END_TEST

START_TEST (test_ticks)
{
  double t[16], step;
  gint n = pl_nice_ticks (0.0, 1.0, 5, t, 16, &step);
  ck_assert_int_eq (n, 6);
  ck_assert_double_eq_tol (step, 0.2, 1e-12);
  ck_assert_double_eq_tol (t[5], 1.0, 1e-12);
  n = pl_nice_ticks (-0.031, 0.031, 5, t, 16, &step);
  ck_assert_double_eq_tol (step, 0.01, 1e-12);
  ck_assert_int_eq (n, 7);
  ck_assert_double_eq_tol (t[0], -0.03, 1e-12);
  ck_assert (t[3] == 0.0);
  g_autofree char *a = pl_format_tick (-0.5, 0.25);
  ck_assert_str_eq (a, "\xe2\x88\x92" "0.50");
  g_autofree char *b = pl_format_tick (20.0, 10.0);
  ck_assert_str_eq (b, "20");
  ck_assert_int_eq (pl_nice_ticks (1.0, 1.0, 5, t, 16, &step), 0);
}
END_TEST

static cairo_surface_t *
render_to_image (PlDrawFunc draw, gconstpointer fig, int w, int h)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  cairo_t *cr = cairo_create (s);
  draw (cr, w, h, fig);
  ck_assert_int_eq (cairo_status (cr), CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_flush (s);
  return s;
}

static guint32
pixel (cairo_surface_t *s, int x, int y)
{
  const guint8 *d = cairo_image_surface_get_data (s);
  int stride = cairo_image_surface_get_stride (s);
  return ((const guint32 *) (d + (gsize) y * stride))[x] & 0xffffff;
}

static gboolean
close_rgb (guint32 a, guint32 b, int tol)
{
  for (int sh = 0; sh <= 16; sh += 8) {
    int ca = (a >> sh) & 0xff, cb = (b >> sh) & 0xff;
    if (ABS (ca - cb) > tol)
      return FALSE;
  }
  return TRUE;
}

static void
heatmap_draw (cairo_t *cr, double w, double h, gconstpointer f)
{
  pl_heatmap_figure_draw (cr, w, h, f);
}

static void
bar_draw (cairo_t *cr, double w, double h, gconstpointer f)
{
  pl_bar_figure_draw (cr, w, h, f);
}

/* Bounding box of the horizontal runs of colour `col` longer than min_run pixels. */
static gboolean
runs_bbox (cairo_surface_t *s, guint32 col, int min_run, int *x0, int *y0, int *x1, int *y1)
{
  int w = cairo_image_surface_get_width (s), h = cairo_image_surface_get_height (s);
  *x0 = w;
  *y0 = h;
  *x1 = *y1 = -1;
  for (int y = 0; y < h; y++) {
    int run = 0;
    for (int x = 0; x <= w; x++) {
      if (x < w && pixel (s, x, y) == col) {
        run++;
        continue;
      }
      if (run > min_run) {
        *x0 = MIN (*x0, x - run);
        *x1 = MAX (*x1, x - 1);
        *y0 = MIN (*y0, y);
        *y1 = MAX (*y1, y);
      }
      run = 0;
    }
  }
  return *x1 >= 0;
}

START_TEST (test_heatmap_hot_pixel)
{
  /* a 4×4 map of 0.2 with one hot pixel 0.75 at row 1, column 2; scale [0, 1] */
  g_autoptr (PlTensor) map = pl_tensor_new_2d (4, 4);
  for (int i = 0; i < 16; i++)
    map->data[i] = 0.2f;
  map->data[1 * 4 + 2] = 0.75f;
  PlHeatmapFigure fig = { 0 };
  fig.title = (char *) "One hot pixel";
  fig.caption = (char *) "test caption";
  fig.n_panels = 1;
  fig.panels[0] = (PlHeatmapPanel) { (char *) "Map", map, NULL, 1.0, 0, NULL };
  fig.n_scales = 1;
  fig.scales[0] = (PlColorScale) { PL_COLORMAP_VIRIDIS, 0.0, 1.0, (char *) "value" };

  cairo_surface_t *s = render_to_image (heatmap_draw, &fig, 480, 300);
  guint32 bg = hex_of (PL_COLORMAP_VIRIDIS, 0.2);
  int x0, y0, x1, y1;
  ck_assert (runs_bbox (s, bg, 30, &x0, &y0, &x1, &y1));
  double cw = (x1 - x0 + 1) / 4.0, ch = (y1 - y0 + 1) / 4.0;
  ck_assert_msg (cw > 20, "panel too small: %g", cw);
  /* square pixels */
  ck_assert_double_eq_tol (cw, ch, 1.0);
  guint32 hot = pixel (s, (int) (x0 + 2.5 * cw), (int) (y0 + 1.5 * ch));
  ck_assert_msg (close_rgb (hot, hex_of (PL_COLORMAP_VIRIDIS, 0.75), 1), "hot pixel %06x",
                 hot);
  ck_assert_uint_eq (pixel (s, (int) (x0 + 1.5 * cw), (int) (y0 + 1.5 * ch)), bg);
  ck_assert_uint_eq (pixel (s, (int) (x0 + 2.5 * cw), (int) (y0 + 2.5 * ch)), bg);
  /* nearest neighbour: the whole cell is one colour, no blending towards neighbours */
  ck_assert_uint_eq (pixel (s, (int) (x0 + 2 * cw + 2), (int) (y0 + ch + 2)), hot);
  ck_assert_uint_eq (pixel (s, (int) (x0 + 3 * cw - 3), (int) (y0 + 2 * ch - 3)), hot);
  /* white background in the corner */
  ck_assert_uint_eq (pixel (s, 1, 1), 0xffffff);
  cairo_surface_destroy (s);

  /* dark: dark background, the map colours are unchanged */
  fig.dark = TRUE;
  s = render_to_image (heatmap_draw, &fig, 480, 300);
  ck_assert_uint_eq (pixel (s, 1, 1), 0x242424);
  ck_assert (runs_bbox (s, bg, 30, &x0, &y0, &x1, &y1));
  cairo_surface_destroy (s);

  /* overlay on an underlay at alpha 0.5: the cell is the average of map and grey */
  g_autoptr (PlTensor) under = pl_tensor_new_2d (4, 4);
  for (int i = 0; i < 16; i++)
    under->data[i] = 1.0f;
  fig.dark = FALSE;
  fig.panels[0].underlay = under;
  fig.panels[0].overlay_alpha = 0.5;
  s = render_to_image (heatmap_draw, &fig, 480, 300);
  double rgb[3];
  pl_colormap_lookup (PL_COLORMAP_VIRIDIS, 0.2, rgb);
  double mixed[3] = { 0.5 * rgb[0] + 0.5, 0.5 * rgb[1] + 0.5, 0.5 * rgb[2] + 0.5 };
  guint32 mix = pl_pack_rgb (mixed) & 0xffffff;
  /* same layout as before: x0, y0, cw, ch still hold */
  ck_assert_msg (close_rgb (pixel (s, (int) (x0 + 0.5 * cw), (int) (y0 + 0.5 * ch)), mix, 2),
                 "mixed %06x, expected %06x",
                 pixel (s, (int) (x0 + 0.5 * cw), (int) (y0 + 0.5 * ch)), mix);
  cairo_surface_destroy (s);
}
END_TEST

START_TEST (test_heatmap_degenerate)
{
  /* NULL maps, zero ranges, non-finite values and tiny sizes must not crash */
  g_autoptr (PlTensor) map = pl_tensor_new_2d (3, 5);
  map->data[0] = NAN;
  map->data[1] = INFINITY;
  PlHeatmapFigure fig = { 0 };
  fig.n_panels = 3;
  fig.panels[0] = (PlHeatmapPanel) { NULL, NULL, NULL, 1.0, 0, NULL };
  fig.panels[1] = (PlHeatmapPanel) { (char *) "a\nb", map, map, 0.5, 7, NULL };
  gint seg[15] = { 0, 0, 1, 1, 2, 0, 0, 1, 1, 2, 3, 3, 3, 3, 3 };
  fig.panels[2] = (PlHeatmapPanel) { (char *) "seg", map, NULL, 1.0, 1, seg };
  fig.n_scales = 2;
  fig.scales[0] = (PlColorScale) { PL_COLORMAP_MAGMA, 0.0, 0.0, NULL };
  fig.scales[1] = (PlColorScale) { PL_COLORMAP_DIVERGING, NAN, 1.0, (char *) "x" };
  int sizes[3][2] = { { 400, 200 }, { 3, 3 }, { 1, 1 } };
  for (int i = 0; i < 3; i++) {
    cairo_surface_t *s = render_to_image (heatmap_draw, &fig, sizes[i][0], sizes[i][1]);
    cairo_surface_destroy (s);
  }
}
END_TEST

/* Finds the horizontal bands (runs of rows) holding a run of colour col longer than
 * min_run; for each band the longest run and its left end. */
typedef struct {
  int y0, y1, len, left;
} Band;

static int
find_bands (cairo_surface_t *s, guint32 col, int min_run, Band *bands, int max_bands)
{
  int w = cairo_image_surface_get_width (s), h = cairo_image_surface_get_height (s);
  int n = 0;
  gboolean in_band = FALSE;
  for (int y = 0; y < h; y++) {
    int best = 0, best_left = 0, run = 0;
    for (int x = 0; x <= w; x++) {
      if (x < w && pixel (s, x, y) == col) {
        run++;
        continue;
      }
      if (run > best) {
        best = run;
        best_left = x - run;
      }
      run = 0;
    }
    if (best > min_run) {
      if (!in_band && n < max_bands) {
        bands[n++] = (Band) { y, y, best, best_left };
        in_band = TRUE;
      } else if (in_band) {
        bands[n - 1].y1 = y;
        bands[n - 1].len = MAX (bands[n - 1].len, best);
      }
    } else {
      in_band = FALSE;
    }
  }
  return n;
}

START_TEST (test_bars_sort_top_k)
{
  double values[4] = { 1.0, 5.0, -2.0, 3.0 };
  char *labels[4] = { (char *) "one", (char *) "five", (char *) "minus two", (char *) "three" };
  PlBarFigure fig = { 0 };
  fig.title = (char *) "Bars";
  fig.caption = (char *) "caption";
  fig.value_label = (char *) "value (a.u.)";
  fig.n_groups = 1;
  fig.n_bars = 4;
  fig.bar_labels = labels;
  fig.values = values;
  fig.sort = TRUE;
  fig.top_k = 2;

  cairo_surface_t *s = render_to_image (bar_draw, &fig, 500, 300);
  Band b[8];
  int n = find_bands (s, 0x0072b2, 20, b, 8);
  ck_assert_int_eq (n, 2);
  /* largest |value| on top, then 3; -2 and 1 are not shown so both start at zero */
  ck_assert_int_lt (b[0].y1, b[1].y0);
  ck_assert_double_eq_tol ((double) b[0].len / b[1].len, 5.0 / 3.0, 0.05);
  ck_assert_int_le (ABS (b[0].left - b[1].left), 1);
  cairo_surface_destroy (s);

  /* unsorted, all bars: "one" on top, the negative bar extends left of zero */
  fig.sort = FALSE;
  fig.top_k = 0;
  s = render_to_image (bar_draw, &fig, 500, 300);
  n = find_bands (s, 0x0072b2, 10, b, 8);
  ck_assert_int_eq (n, 4);
  ck_assert_double_eq_tol ((double) b[1].len / b[0].len, 5.0, 0.25);
  ck_assert_int_lt (b[2].left, b[0].left - 10);
  ck_assert_double_eq_tol ((double) b[2].len / b[0].len, 2.0, 0.1);
  cairo_surface_destroy (s);

  /* two groups: the second group's vermillion bars, legend present; dark background */
  double v2[8] = { 1.0, 5.0, -2.0, 3.0, 2.0, 4.0, -1.0, 1.0 };
  fig.n_groups = 2;
  fig.values = v2;
  fig.group_names[0] = "original";
  fig.group_names[1] = "pruned";
  fig.sort = TRUE;
  s = render_to_image (bar_draw, &fig, 500, 300);
  n = find_bands (s, 0xd55e00, 20, b, 8);
  ck_assert_int_eq (n, 4);
  /* sorted by group 0: rows 5, 3, -2, 1 -> group 1 values 4, 1, -1, 2 */
  ck_assert_double_eq_tol ((double) b[0].len / b[3].len, 2.0, 0.1);
  cairo_surface_destroy (s);
  fig.dark = TRUE;
  s = render_to_image (bar_draw, &fig, 500, 300);
  ck_assert_uint_eq (pixel (s, 1, 1), 0x242424);
  cairo_surface_destroy (s);
}
END_TEST

START_TEST (test_bars_others_and_errors)
{
  double values[4] = { 5.0, 3.0, 1.0, 1.0 };
  char *labels[4] = { (char *) "a", (char *) "b", (char *) "c", (char *) "d" };
  PlBarFigure fig = { 0 };
  fig.n_groups = 1;
  fig.n_bars = 4;
  fig.bar_labels = labels;
  fig.values = values;
  fig.sort = TRUE;
  fig.top_k = 2;
  fig.others = TRUE;
  cairo_surface_t *s = render_to_image (bar_draw, &fig, 500, 300);
  Band b[8];
  ck_assert_int_eq (find_bands (s, 0x0072b2, 20, b, 8), 2);
  /* the third row holds "others" = 1 + 1 = 2, lighter: 2/5 of the first bar */
  int y = b[1].y0 + (b[1].y0 - b[0].y0) + (b[1].y1 - b[1].y0) / 2;
  int run = 0;
  for (int x = b[0].left; x < 500; x++) {
    guint32 p = pixel (s, x, y);
    int r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, bl = p & 0xff;
    if (bl > r + 40 && r > 100 && g > 150)
      run++;
    else if (run > 0)
      break;
  }
  ck_assert_double_eq_tol ((double) run / b[0].len, 2.0 / 5.0, 0.04);
  cairo_surface_destroy (s);

  /* error bars: a dark whisker right of the first bar's end, and the axis grows to hold
   * it (the bar gets shorter) */
  double lo[4] = { 4.0, 2.5, NAN, NAN }, hi[4] = { 8.0, 3.5, NAN, NAN };
  fig.others = FALSE;
  fig.err_lo = lo;
  fig.err_hi = hi;
  s = render_to_image (bar_draw, &fig, 500, 300);
  Band e[8];
  ck_assert_int_eq (find_bands (s, 0x0072b2, 20, e, 8), 2);
  ck_assert_int_lt (e[0].len, b[0].len);
  int cy = (e[0].y0 + e[0].y1) / 2, dark = 0;
  /* whisker to 8: 3/5 of the bar length beyond its end */
  for (int x = e[0].left + e[0].len + 2; x < e[0].left + e[0].len * 8 / 5 - 2; x++)
    dark += ((pixel (s, x, cy) >> 8) & 0xff) < 100;
  ck_assert_int_ge (dark, e[0].len * 3 / 5 - 6);
  cairo_surface_destroy (s);
}
END_TEST

typedef struct {
  int w, h;
  png_uint_32 ppm_x, ppm_y;
  int unit;
  char *software, *title, *description;
  guint32 corner;
} PngInfo;

static void
read_png (const char *path, PngInfo *info)
{
  FILE *f = fopen (path, "rb");
  ck_assert_ptr_nonnull (f);
  png_structp png = png_create_read_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop pi = png_create_info_struct (png);
  if (setjmp (png_jmpbuf (png)))
    ck_abort_msg ("libpng could not read %s", path);
  png_init_io (png, f);
  png_read_info (png, pi);
  info->w = png_get_image_width (png, pi);
  info->h = png_get_image_height (png, pi);
  ck_assert_int_eq (png_get_bit_depth (png, pi), 8);
  int ct = png_get_color_type (png, pi);
  ck_assert (ct == PNG_COLOR_TYPE_RGB || ct == PNG_COLOR_TYPE_RGB_ALPHA);
  ck_assert (png_get_pHYs (png, pi, &info->ppm_x, &info->ppm_y, &info->unit));
  png_textp text;
  int n_text = 0;
  png_get_text (png, pi, &text, &n_text);
  for (int i = 0; i < n_text; i++) {
    if (g_str_equal (text[i].key, "Software"))
      info->software = g_strdup (text[i].text);
    else if (g_str_equal (text[i].key, "Title"))
      info->title = g_strdup (text[i].text);
    else if (g_str_equal (text[i].key, "Description"))
      info->description = g_strdup (text[i].text);
  }
  png_bytep row = g_malloc (png_get_rowbytes (png, pi));
  png_read_row (png, row, NULL);
  info->corner = ((guint32) row[0] << 16) | ((guint32) row[1] << 8) | row[2];
  g_free (row);
  png_destroy_read_struct (&png, &pi, NULL);
  fclose (f);
}

static PlHeatmapFigure *
small_figure (PlTensor *map)
{
  static PlHeatmapFigure fig;
  memset (&fig, 0, sizeof fig);
  fig.title = (char *) "Saliency — 显著性";
  fig.n_panels = 1;
  fig.panels[0] = (PlHeatmapPanel) { (char *) "Original", map, NULL, 1.0, 0, NULL };
  fig.n_scales = 1;
  fig.scales[0] = (PlColorScale) { PL_COLORMAP_MAGMA, 0.0, 1.0, (char *) "|∂logit/∂x|" };
  return &fig;
}

START_TEST (test_png)
{
  GError *error = NULL;
  g_autoptr (PlTensor) map = pl_tensor_new_2d (8, 8);
  map->data[9] = 1.0f;
  g_autofree char *path = g_build_filename (tmpdir, "fig.png", NULL);
  ck_assert_msg (pl_render_png (heatmap_draw, small_figure (map), 3.0, 2.0, 100.0, path,
                                "My title", "Vanilla gradient, 60 % pruned", &error),
                 "%s", error ? error->message : "");
  PngInfo info = { 0 };
  read_png (path, &info);
  ck_assert_int_eq (info.w, 300);
  ck_assert_int_eq (info.h, 200);
  ck_assert_int_eq (info.unit, PNG_RESOLUTION_METER);
  ck_assert_uint_eq (info.ppm_x, 3937); /* 100 / 0.0254 = 3937.0 */
  ck_assert_uint_eq (info.ppm_y, 3937);
  ck_assert_str_eq (info.software, "PruneLens " PACKAGE_VERSION);
  ck_assert_str_eq (info.title, "My title");
  ck_assert_str_eq (info.description, "Vanilla gradient, 60 % pruned");
  ck_assert_uint_eq (info.corner, 0xffffff);
  g_free (info.software);
  g_free (info.title);
  g_free (info.description);

  /* overwriting an existing file works and leaves no temporary files behind */
  ck_assert (pl_render_png (bar_draw, &(PlBarFigure) { 0 }, 1.0, 1.0, 72.0, path, NULL, NULL,
                            &error));
  PngInfo info2 = { 0 };
  read_png (path, &info2);
  ck_assert_int_eq (info2.w, 72);
  ck_assert_ptr_null (info2.title);
  g_free (info2.software);
  GDir *d = g_dir_open (tmpdir, 0, NULL);
  int n_files = 0;
  while (g_dir_read_name (d) != NULL)
    n_files++;
  g_dir_close (d);
  ck_assert_int_eq (n_files, 1);
}
END_TEST

START_TEST (test_unwritable)
{
  GError *error = NULL;
  g_autoptr (PlTensor) map = pl_tensor_new_2d (4, 4);
  g_autofree char *path = g_build_filename (tmpdir, "no-such-folder", "fig.png", NULL);
  ck_assert (!pl_render_png (heatmap_draw, small_figure (map), 2.0, 1.0, 72.0, path, NULL, NULL,
                             &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_IO));
  ck_assert_msg (strstr (error->message, path) != NULL, "%s", error->message);
  g_clear_error (&error);

  g_autofree char *svg = g_build_filename (tmpdir, "no-such-folder", "fig.svg", NULL);
  ck_assert (!pl_render_svg (heatmap_draw, small_figure (map), 2.0, 1.0, svg, NULL, NULL,
                             &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_IO));
  ck_assert (strstr (error->message, svg) != NULL);
  g_clear_error (&error);

  /* absurd sizes are refused, naming the file */
  g_autofree char *ok = g_build_filename (tmpdir, "big.png", NULL);
  ck_assert (!pl_render_png (heatmap_draw, small_figure (map), 1000.0, 1000.0, 300.0, ok, NULL,
                             NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  ck_assert (strstr (error->message, ok) != NULL);
  g_clear_error (&error);
  ck_assert (!pl_render_pdf (heatmap_draw, small_figure (map), -1.0, 1.0, ok, NULL, NULL,
                             &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
  ck_assert (!g_file_test (ok, G_FILE_TEST_EXISTS));
}
END_TEST

/* A write that fails part-way (full disk, quota) must leave the previous figure intact and
 * no new file behind. RLIMIT_FSIZE makes write() fail with EFBIG after a few bytes, also
 * for root, which a read-only folder would not. */
static gsize
file_size (const char *path)
{
  GStatBuf st;
  return g_stat (path, &st) == 0 ? (gsize) st.st_size : 0;
}

START_TEST (test_failed_write_keeps_old_file)
{
  GError *error = NULL;
  g_autoptr (PlTensor) map = pl_tensor_new_2d (16, 16);
  for (int i = 0; i < 256; i++)
    map->data[i] = (float) ((i * 37) % 101);
  g_autofree char *path = g_build_filename (tmpdir, "keep.png", NULL);
  ck_assert (pl_render_png (heatmap_draw, small_figure (map), 2.0, 1.0, 72.0, path, NULL, NULL,
                            &error));
  char *before = NULL;
  gsize before_len = 0;
  ck_assert (g_file_get_contents (path, &before, &before_len, NULL));
  ck_assert_uint_gt (before_len, 512);

  struct rlimit old;
  ck_assert_int_eq (getrlimit (RLIMIT_FSIZE, &old), 0);
  signal (SIGXFSZ, SIG_IGN);
  struct rlimit small = { 256, old.rlim_max };
  ck_assert_int_eq (setrlimit (RLIMIT_FSIZE, &small), 0);
  gboolean ok = pl_render_png (heatmap_draw, small_figure (map), 4.0, 3.0, 150.0, path, NULL,
                               NULL, &error);
  g_autofree char *fresh = g_build_filename (tmpdir, "fresh.svg", NULL);
  GError *error2 = NULL;
  gboolean ok2 = pl_render_svg (heatmap_draw, small_figure (map), 4.0, 3.0, fresh, NULL, NULL,
                                &error2);
  ck_assert_int_eq (setrlimit (RLIMIT_FSIZE, &old), 0);

  ck_assert (!ok);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_IO));
  ck_assert_msg (strstr (error->message, path) != NULL, "%s", error->message);
  g_clear_error (&error);
  char *after = NULL;
  gsize after_len = 0;
  ck_assert (g_file_get_contents (path, &after, &after_len, NULL));
  ck_assert_uint_eq (after_len, before_len);
  ck_assert (memcmp (before, after, before_len) == 0);
  g_free (before);
  g_free (after);

  ck_assert (!ok2);
  g_clear_error (&error2);
  ck_assert (!g_file_test (fresh, G_FILE_TEST_EXISTS));
  /* no temporary files left: only keep.png in the folder */
  GDir *d = g_dir_open (tmpdir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    ck_assert_msg (strcmp (name, "keep.png") == 0, "left behind: %s", name);
  g_dir_close (d);
  ck_assert_uint_eq (file_size (path), before_len);
}
END_TEST

START_TEST (test_vector)
{
  GError *error = NULL;
  g_autoptr (PlTensor) map = pl_tensor_new_2d (8, 8);
  map->data[3] = 0.5f;
  g_autofree char *svg = g_build_filename (tmpdir, "fig.svg", NULL);
  g_autofree char *pdf = g_build_filename (tmpdir, "fig.pdf", NULL);
  /* Latin text only: cairo 1.16 leaks 768 bytes when it subsets a CJK font into a PDF,
   * which LeakSanitizer would report against this test (CJK is covered by test_png). */
  PlHeatmapFigure *fig = small_figure (map);
  fig->title = (char *) "Saliency";
  ck_assert_msg (pl_render_svg (heatmap_draw, fig, 4.0, 2.0, svg, "T", "D",
                                &error), "%s", error ? error->message : "");
  ck_assert_msg (pl_render_pdf (heatmap_draw, fig, 4.0, 2.0, pdf, "T", "D",
                                &error), "%s", error ? error->message : "");
  g_autofree char *sc = NULL, *pc = NULL;
  gsize sl = 0, pl = 0;
  ck_assert (g_file_get_contents (svg, &sc, &sl, NULL));
  ck_assert (g_file_get_contents (pdf, &pc, &pl, NULL));
  ck_assert_uint_gt (sl, 100);
  ck_assert_uint_gt (pl, 100);
  ck_assert (strstr (sc, "<svg") != NULL);
  ck_assert (strstr (sc, "288pt") != NULL); /* 4 inches = 288 points */
  ck_assert (g_str_has_prefix (pc, "%PDF-"));
}
END_TEST

START_TEST (test_draw_text)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 200, 60);
  cairo_t *cr = cairo_create (s);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  /* right-aligned at x = 100: nothing right of it, ink left of it */
  pl_draw_text (cr, 100, 30, "Pruned 显著性", 14.0, 1.0, 0.5);
  cairo_destroy (cr);
  cairo_surface_flush (s);
  int left = 0, right = 0;
  for (int y = 0; y < 60; y++)
    for (int x = 0; x < 200; x++)
      if (pixel (s, x, y) != 0xffffff) {
        if (x < 100)
          left++;
        else if (x > 101)
          right++;
      }
  ck_assert_int_gt (left, 50);
  ck_assert_int_eq (right, 0);
  cairo_surface_destroy (s);
}
END_TEST

/* The process-wide colormap of unsigned maps (the app's "colormap" setting). */
START_TEST (test_sequential_colormap_setting)
{
  ck_assert_int_eq (pl_render_get_sequential_colormap (), PL_COLORMAP_VIRIDIS);
  PlColormap c = PL_COLORMAP_DIVERGING;
  ck_assert (pl_colormap_from_name ("magma", &c));
  ck_assert_int_eq (c, PL_COLORMAP_MAGMA);
  ck_assert (pl_colormap_from_name ("grey", &c));
  ck_assert_int_eq (c, PL_COLORMAP_GREY);
  ck_assert (pl_colormap_from_name ("viridis", &c));
  ck_assert_int_eq (c, PL_COLORMAP_VIRIDIS);
  ck_assert (!pl_colormap_from_name ("jet", &c));
  ck_assert (!pl_colormap_from_name (NULL, &c));
  pl_render_set_sequential_colormap (PL_COLORMAP_MAGMA);
  ck_assert_int_eq (pl_render_get_sequential_colormap (), PL_COLORMAP_MAGMA);
  /* A diverging map is not sequential: refused, the setting stays. */
  pl_render_set_sequential_colormap (PL_COLORMAP_DIVERGING);
  ck_assert_int_eq (pl_render_get_sequential_colormap (), PL_COLORMAP_MAGMA);
  pl_render_set_sequential_colormap (PL_COLORMAP_VIRIDIS);
  ck_assert_int_eq (pl_render_get_sequential_colormap (), PL_COLORMAP_VIRIDIS);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("render");
  TCase *tc = tcase_create ("render");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_colormap_endpoints);
  tcase_add_test (tc, test_sequential_colormap_setting);
  tcase_add_test (tc, test_ticks);
  tcase_add_test (tc, test_heatmap_hot_pixel);
  tcase_add_test (tc, test_heatmap_degenerate);
  tcase_add_test (tc, test_bars_sort_top_k);
  tcase_add_test (tc, test_bars_others_and_errors);
  tcase_add_test (tc, test_png);
  tcase_add_test (tc, test_unwritable);
  tcase_add_test (tc, test_failed_write_keeps_old_file);
  tcase_add_test (tc, test_vector);
  tcase_add_test (tc, test_draw_text);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
