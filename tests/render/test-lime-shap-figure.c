/* test-lime-shap-figure.c — the LIME / KernelSHAP figure (pl-lime-shap-figure.h) from fixed
 * data: the top-k segments and their order, the cell summaries (R², completeness residual),
 * colours in the expected regions of the maps and bars, a golden PNG (PL_UPDATE_GOLDEN=1
 * rewrites tests/render/golden/lime-shap*.png), and the text layout: every text item inside
 * the figure, none overlapping another, at 12, 20 and 30 cm. */
#include <check.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "pl-lime-shap-figure.h"
#include "pl-render-private.h"
#include "pl-figures.h"

const char *__lsan_default_suppressions (void);
const char *
__lsan_default_suppressions (void)
{
  return "leak:libfontconfig.so\n";
}

#define S 16   /* image side; 4 × 4 segments of 4 × 4 pixels */

/* Segment j of the grid = (r / 4) * 4 + c / 4. Values: LIME original v_j = (j − 7.5) / 4
 * (largest |v|: s0 = −1.875, s15 = +1.875, then s1 = −1.625, s14 = +1.625, …); pruned:
 * the same with s15 zeroed. SHAP original: 2 for s5, −3 for s10, 0.5 for s0, 0 else. */
static PlLimeShapFigure *
make_image_figure (gboolean long_labels)
{
  PlLimeShapFigure *f = pl_lime_shap_figure_new (16, S, S);
  for (gint r = 0; r < S; r++)
    for (gint c = 0; c < S; c++) {
      f->segments[r * S + c] = (r / 4) * 4 + c / 4;
      f->underlay[r * S + c] = (float) (hypot (c - 7.5, r - 7.5) < 6.0 ? 0.8 : 0.15);
    }
  f->n_methods = 2;
  f->title = g_strdup (long_labels ? "LIME and KernelSHAP of test image #12 — a long title "
                                     "that has to wrap 长标题"
                                   : "LIME and KernelSHAP of test image #12");
  f->caption = g_strdup ("fashion-cnn.onnx · Fashion-MNIST test · class Ankle boot · "
                         "90 % sparsity · seed 1");
  f->method_names[0] = g_strdup ("LIME");
  f->method_names[1] = g_strdup ("KernelSHAP");
  f->method_details[0] = g_strdup ("superpixels=slic region-size=4 regularization=0.01 "
                                   "min-region-size=4 samples=1000 kernel-width=0.25 fill=mean "
                                   "seed=1");
  f->method_details[1] = g_strdup ("budget=2080 baseline=0 seed=1");
  f->value_labels[0] = g_strdup ("coefficient (logit)");
  f->value_labels[1] = g_strdup ("φ (logit)");
  f->network_names[0] = g_strdup ("original");
  f->network_names[1] = g_strdup (long_labels ? "pruned 90 % 剪枝后的网络" : "pruned");
  for (gint n = 0; n < 2; n++) {
    PlLimeShapCell *lime = &f->cells[0][n], *shap = &f->cells[1][n];
    lime->values = g_new0 (float, 16);
    shap->values = g_new0 (float, 16);
    for (gint j = 0; j < 16; j++)
      lime->values[j] = (float) ((j - 7.5) / 4.0);
    if (n == 1)
      lime->values[15] = 0.0f;
    shap->values[5] = 2.0f;
    shap->values[10] = -3.0f;
    shap->values[0] = 0.5f;
    lime->r2 = n == 0 ? 0.873 : 0.612;
    lime->fx = 5.25;
    shap->fx = 5.25;
    shap->f0 = 1.0;
    shap->residual = n == 0 ? 1.5e-7 : -2.5e-7;
  }
  if (long_labels)
    for (gint j = 0; j < 16; j++) {
      g_free (f->item_names[j]);
      f->item_names[j] = g_strdup_printf ("segment %d 区域", j);
    }
  return f;
}

static PlLimeShapFigure *
make_table_figure (void)
{
  PlLimeShapFigure *f = pl_lime_shap_figure_new (5, 0, 0);
  const char *names[5] = { "sepal length", "sepal width", "petal length", "petal width",
                           "noise" };
  for (gint j = 0; j < 5; j++) {
    g_free (f->item_names[j]);
    f->item_names[j] = g_strdup (names[j]);
  }
  f->n_methods = 2;
  f->title = g_strdup ("LIME and KernelSHAP of row #3");
  f->method_names[0] = g_strdup ("LIME");
  f->method_names[1] = g_strdup ("KernelSHAP");
  f->value_labels[0] = g_strdup ("coefficient (logit per SD)");
  f->value_labels[1] = g_strdup ("φ (logit)");
  const float v[5] = { 0.2f, -0.1f, 1.5f, -2.0f, 0.0f };
  for (gint m = 0; m < 2; m++)
    for (gint n = 0; n < 2; n++) {
      PlLimeShapCell *c = &f->cells[m][n];
      c->values = g_memdup2 (v, sizeof v);
      if (m == 0)
        c->r2 = 0.95;
      else
        c->residual = 0.0;
    }
  return f;
}

START_TEST (test_top_items)
{
  g_autoptr (PlLimeShapFigure) f = make_image_figure (FALSE);
  gint items[32], other[32];
  f->top_k = 4;
  /* One ranking for both rows: each segment's largest |value| relative to its row's
   * largest in the original network. LIME: |s0| = |s15| = 1.875 (1), |s1| = |s14| = 1.625
   * (0.867); KernelSHAP: |s10| = 3 (1), |s5| = 2 (0.667). Ties by the lower id. */
  ck_assert_int_eq (pl_lime_shap_figure_top_items (f, 0, items, 32), 4);
  ck_assert_int_eq (items[0], 0);
  ck_assert_int_eq (items[1], 10);
  ck_assert_int_eq (items[2], 15);
  ck_assert_int_eq (items[3], 1);
  /* the KernelSHAP row shows the same segments in the same order (so with the same
   * swatches): before, it ranked its own (s10, s5, s0, s1) and s0 had the first swatch in
   * one row and the third in the other */
  ck_assert_int_eq (pl_lime_shap_figure_top_items (f, 1, other, 32), 4);
  for (gint r = 0; r < 4; r++)
    ck_assert_int_eq (other[r], items[r]);
  f->top_k = 0;   /* default 8: s14 (0.867), s2, s13 (0.733), s5 (0.667, from KernelSHAP) */
  ck_assert_int_eq (pl_lime_shap_figure_top_items (f, 0, items, 32), 8);
  ck_assert_int_eq (items[4], 14);
  ck_assert_int_eq (items[5], 2);
  ck_assert_int_eq (items[6], 13);
  ck_assert_int_eq (items[7], 5);
  ck_assert_int_eq (pl_lime_shap_figure_top_items (f, 1, other, 32), 8);
  for (gint r = 0; r < 8; r++)
    ck_assert_int_eq (other[r], items[r]);
  ck_assert_int_eq (pl_lime_shap_figure_top_items (f, 0, items, 2), 2);
  ck_assert_int_eq (pl_lime_shap_figure_top_items (f, 2, items, 32), 0);   /* no such row */
  /* one row: that row's own order by |value| (the pruned network's s15 = 0 changes
   * nothing: the original chooses) */
  f->n_methods = 1;
  f->top_k = 4;
  ck_assert_int_eq (pl_lime_shap_figure_top_items (f, 0, items, 32), 4);
  ck_assert_int_eq (items[0], 0);
  ck_assert_int_eq (items[1], 15);
  ck_assert_int_eq (items[2], 1);
  ck_assert_int_eq (items[3], 14);
  /* without an original cell, the pruned one chooses */
  g_clear_pointer (&f->cells[0][0].values, g_free);
  f->top_k = 1;
  ck_assert_int_eq (pl_lime_shap_figure_top_items (f, 0, items, 32), 1);
  ck_assert_int_eq (items[0], 0);   /* s0 = −1.875 > s14 = 1.625 */
}
END_TEST

/* A copy draws the same pixels and owns its data: freeing the original leaves it whole. */
START_TEST (test_copy)
{
  for (int kind = 0; kind < 2; kind++)
    {
      PlLimeShapFigure *f = kind == 0 ? make_image_figure (FALSE) : make_table_figure ();
      PlLimeShapFigure *c = pl_lime_shap_figure_copy (f);
      ck_assert_ptr_nonnull (c);
      ck_assert_ptr_ne (c->item_names, f->item_names);
      ck_assert_ptr_ne (c->cells[0][0].values, f->cells[0][0].values);
      cairo_surface_t *s[2];
      for (int k = 0; k < 2; k++)
        {
          s[k] = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 640, 420);
          cairo_t *cr = cairo_create (s[k]);
          pl_lime_shap_figure_draw (cr, 640, 420, k == 0 ? f : c);
          cairo_destroy (cr);
          cairo_surface_flush (s[k]);
          if (k == 0)
            pl_lime_shap_figure_free (f);   /* the copy is drawn after this */
        }
      gsize bytes = (gsize) cairo_image_surface_get_stride (s[0]) * 420;
      ck_assert (memcmp (cairo_image_surface_get_data (s[0]), cairo_image_surface_get_data (s[1]),
                         bytes) == 0);
      guint32 *px = (guint32 *) cairo_image_surface_get_data (s[1]);
      guint distinct = 0;
      for (gsize i = 1; i < bytes / 4 && distinct < 3; i++)
        distinct += px[i] != px[0];
      ck_assert_uint_ge (distinct, 3);   /* something was drawn */
      cairo_surface_destroy (s[0]);
      cairo_surface_destroy (s[1]);
      pl_lime_shap_figure_free (c);
    }
  ck_assert_ptr_null (pl_lime_shap_figure_copy (NULL));
}
END_TEST

/* A short figure (a small window) shows as many bars as fit, not none: asking for at least
 * 3 bars that did not fit drew cells without bars. */
START_TEST (test_short_figure_bars)
{
  int checked = 0;
  for (int longer = 0; longer < 2; longer++)
  for (int W = 700; W <= 1400; W += 350)
    for (int H = 460; H >= 150; H -= 4)
      {
        g_autoptr (PlLimeShapFigure) f = make_image_figure (longer);
        cairo_surface_t *sf = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
        cairo_t *cr = cairo_create (sf);
        gint k = pl_lime_shap_figure_n_bars (cr, W, H, f);
        double rect[4];
        if (k >= 1 && pl_lime_shap_figure_panel_rect (cr, W, H, f, 0, 0, TRUE, rect))
          {
            checked++;
            pl_lime_shap_figure_draw (cr, W, H, f);
            cairo_surface_flush (sf);
            /* a bar is a saturated (blue or red) run of pixels inside the bars' rectangle */
            guint32 *px = (guint32 *) cairo_image_surface_get_data (sf);
            int stride = cairo_image_surface_get_stride (sf) / 4, coloured = 0;
            for (int y = MAX ((int) rect[1], 0); y < (int) (rect[1] + rect[3]) && y < H; y++)
              for (int x = MAX ((int) rect[0], 0); x < (int) (rect[0] + rect[2]) && x < W; x++)
                {
                  guint32 p = px[y * stride + x];
                  int r = (p >> 16) & 255, g = (p >> 8) & 255, b = p & 255;
                  coloured += MAX (r, MAX (g, b)) - MIN (r, MIN (g, b)) > 80;
                }
            ck_assert_msg (coloured > 20, "%d bars at %d × %d, but %d coloured pixels in them",
                           k, W, H, coloured);
          }
        cairo_destroy (cr);
        cairo_surface_destroy (sf);
      }
  ck_assert_int_gt (checked, 10);
}
END_TEST

START_TEST (test_summaries)
{
  PlLimeShapCell c = { NULL, 0.8734, NAN, NAN, NAN };
  g_autofree char *a = pl_lime_shap_cell_summary (&c);
  ck_assert_str_eq (a, "surrogate R² = 0.873");
  c.r2 = NAN;
  c.residual = -2.5e-7;
  g_autofree char *b = pl_lime_shap_cell_summary (&c);
  ck_assert_str_eq (b, "Σφ − (f(x) − φ₀) = −2.5e-07");
  c.residual = NAN;
  ck_assert_ptr_null (pl_lime_shap_cell_summary (&c));
}
END_TEST

static guint32
pixel (cairo_surface_t *s, double x, double y)
{
  const guint8 *d = cairo_image_surface_get_data (s);
  int stride = cairo_image_surface_get_stride (s);
  return ((const guint32 *) (d + (int) y * stride))[(int) x];
}

#define R(p) (((p) >> 16) & 0xff)
#define G(p) (((p) >> 8) & 0xff)
#define B(p) ((p) & 0xff)

/* The same segment has the same swatch in every row and panel: drawn, the outline of each
 * shown segment on the LIME map has the colour of the outline of the same segment on the
 * KernelSHAP map (before, each row coloured its own top segments by rank). */
START_TEST (test_same_swatch)
{
  g_autoptr (PlLimeShapFigure) f = make_image_figure (FALSE);
  const int W = 2200, H = 1400;   /* outlines several pixels wide */
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
  cairo_t *cr = cairo_create (s);
  pl_lime_shap_figure_draw (cr, W, H, f);
  cairo_surface_flush (s);
  /* points on an edge between a shown segment and one that no row shows (before or
   * now), in map cells: s10's left edge (s9), s15's top edge (s11), s5's bottom edge (s9);
   * s15 was shown in the LIME row only and s10 in the KernelSHAP row only */
  const struct { gint seg; double cx, cy; } edges[3] = { { 10, 8, 10 }, { 15, 14, 12 },
                                                          { 5, 6, 8 } };
  gint k = pl_lime_shap_figure_n_bars (cr, W, H, f);
  ck_assert_int_eq (k, 8);
  for (gint i = 0; i < 3; i++) {
    guint32 px[2];
    for (gint m = 0; m < 2; m++) {
      double rect[4];
      ck_assert (pl_lime_shap_figure_panel_rect (cr, W, H, f, m, 0, FALSE, rect));
      double cell = rect[2] / S;
      px[m] = pixel (s, rect[0] + edges[i].cx * cell, rect[1] + edges[i].cy * cell);
    }
    ck_assert_msg (abs ((int) R (px[0]) - (int) R (px[1])) < 40
                   && abs ((int) G (px[0]) - (int) G (px[1])) < 40
                   && abs ((int) B (px[0]) - (int) B (px[1])) < 40,
                   "segment s%d: outline %06x on the LIME map, %06x on the KernelSHAP map",
                   edges[i].seg, px[0] & 0xffffff, px[1] & 0xffffff);
    /* and it is a swatch colour, not the thin boundary over the map */
    gint top[8], rank = -1;
    pl_lime_shap_figure_top_items (f, 0, top, 8);
    for (gint r = 0; r < 8; r++)
      if (top[r] == edges[i].seg)
        rank = r;
    ck_assert_int_ge (rank, 0);
    double rgb[3];
    pl_palette_color (rank, FALSE, rgb);
    guint32 want = pl_pack_rgb (rgb);
    ck_assert_msg (abs ((int) R (px[0]) - (int) R (want)) < 40
                   && abs ((int) G (px[0]) - (int) G (want)) < 40
                   && abs ((int) B (px[0]) - (int) B (want)) < 40,
                   "segment s%d: outline %06x, swatch %d is %06x", edges[i].seg,
                   px[0] & 0xffffff, rank, want & 0xffffff);
  }
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}
END_TEST

START_TEST (test_regions)
{
  g_autoptr (PlLimeShapFigure) f = make_image_figure (FALSE);
  const int W = 1100, H = 700;
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
  cairo_t *cr = cairo_create (s);
  pl_lime_shap_figure_draw (cr, W, H, f);
  cairo_surface_flush (s);
  double rect[4], bars[4];
  for (gint m = 0; m < 2; m++)
    for (gint n = 0; n < 2; n++) {
      ck_assert (pl_lime_shap_figure_panel_rect (cr, W, H, f, m, n, FALSE, rect));
      ck_assert (pl_lime_shap_figure_panel_rect (cr, W, H, f, m, n, TRUE, bars));
      ck_assert_double_gt (rect[2], 60);
      ck_assert_double_eq_tol (rect[2], rect[3], 1e-9);   /* square map */
      ck_assert_double_le (rect[0] + rect[2], bars[0]);   /* map left of its bars */
      ck_assert_double_gt (bars[2], 100);
      ck_assert_double_le (bars[0] + bars[2], W);
      /* network 1 right of network 0, method 1 below method 0 */
      if (n == 1) {
        double r0[4];
        ck_assert (pl_lime_shap_figure_panel_rect (cr, W, H, f, m, 0, TRUE, r0));
        ck_assert_double_lt (r0[0] + r0[2], rect[0]);
      }
      if (m == 1) {
        double r0[4];
        ck_assert (pl_lime_shap_figure_panel_rect (cr, W, H, f, 0, n, FALSE, r0));
        ck_assert_double_lt (r0[1] + r0[3], rect[1]);
      }
    }
  ck_assert (!pl_lime_shap_figure_panel_rect (cr, W, H, f, 2, 0, FALSE, rect));
  /* LIME original: segment 15 (bottom right, +1.875 = the row's maximum) is red, segment
   * 0 (top left, −1.875) blue; in the pruned map segment 15 is 0: grey underlay only. */
  ck_assert (pl_lime_shap_figure_panel_rect (cr, W, H, f, 0, 0, FALSE, rect));
  double cell = rect[2] / S;
  guint32 p15 = pixel (s, rect[0] + 13.5 * cell, rect[1] + 13.5 * cell);
  guint32 p0 = pixel (s, rect[0] + 1.5 * cell, rect[1] + 1.5 * cell);
  ck_assert_msg (R (p15) > B (p15) + 30 && R (p15) > G (p15) + 30, "segment 15 not red: %08x", p15);
  ck_assert_msg (B (p0) > R (p0) + 30 && B (p0) > G (p0), "segment 0 not blue: %08x", p0);
  ck_assert (pl_lime_shap_figure_panel_rect (cr, W, H, f, 0, 1, FALSE, rect));
  guint32 q15 = pixel (s, rect[0] + 13.5 * cell, rect[1] + 13.5 * cell);
  ck_assert_msg (abs ((int) R (q15) - (int) B (q15)) < 12, "pruned segment 15 not grey: %08x",
                 q15);
  /* KernelSHAP original: s10 (−3) is a blue bar left of the zero line */
  ck_assert (pl_lime_shap_figure_panel_rect (cr, W, H, f, 1, 0, TRUE, bars));
  gint blue_left = 0, red = 0, top[8], rank = -1;
  ck_assert_int_eq (pl_lime_shap_figure_top_items (f, 1, top, 8), 8);
  for (gint r = 0; r < 8; r++)
    if (top[r] == 10)
      rank = r;
  ck_assert_int_ge (rank, 0);
  double y_first = bars[1] + (rank + 0.5) * (bars[3] - 1.4 * 0.8 * 10) / 8;   /* its row */
  /* right of the label column (at most 0.4 of the width; its swatches are colours too) */
  for (double x = bars[0] + 0.45 * bars[2]; x < bars[0] + bars[2]; x += 1) {
    guint32 p = pixel (s, x, y_first);
    if (B (p) > R (p) + 80)
      blue_left++;
    if (R (p) > B (p) + 80)
      red++;
  }
  ck_assert_int_gt (blue_left, 20);
  ck_assert_int_eq (red, 0);
  cairo_destroy (cr);
  cairo_surface_destroy (s);

  /* a table: no maps, bars */
  g_autoptr (PlLimeShapFigure) t = make_table_figure ();
  s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
  cr = cairo_create (s);
  pl_lime_shap_figure_draw (cr, W, H, t);
  ck_assert (!pl_lime_shap_figure_panel_rect (cr, W, H, t, 0, 0, FALSE, rect));
  ck_assert (pl_lime_shap_figure_panel_rect (cr, W, H, t, 0, 0, TRUE, bars));
  ck_assert_double_gt (bars[2], 300);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}
END_TEST

/* ---- golden ------------------------------------------------------------------------ */

static int
pixel_diff (guint32 pa, guint32 pb)
{
  int m = 0;
  for (int k = 0; k < 3; k++)
    m = MAX (m, abs ((int) ((pa >> (8 * k)) & 0xff) - (int) ((pb >> (8 * k)) & 0xff)));
  return m;
}

/* Mean and share (> 64) of the per-pixel largest channel difference; FALSE: sizes differ
 * or a file is missing. */
static gboolean
compare_png (const char *a, const char *b, double *mean, double *share)
{
  cairo_surface_t *sa = cairo_image_surface_create_from_png (a);
  cairo_surface_t *sb = cairo_image_surface_create_from_png (b);
  gboolean ok = cairo_surface_status (sa) == CAIRO_STATUS_SUCCESS &&
                cairo_surface_status (sb) == CAIRO_STATUS_SUCCESS &&
                cairo_image_surface_get_width (sa) == cairo_image_surface_get_width (sb) &&
                cairo_image_surface_get_height (sa) == cairo_image_surface_get_height (sb);
  if (ok) {
    int w = cairo_image_surface_get_width (sa), h = cairo_image_surface_get_height (sa);
    double sum = 0;
    gint64 big = 0;
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        int d = pixel_diff (pixel (sa, x, y), pixel (sb, x, y));
        sum += d;
        big += d > 64;
      }
    *mean = sum / ((double) w * h);
    *share = (double) big / ((double) w * h);
  }
  cairo_surface_destroy (sa);
  cairo_surface_destroy (sb);
  return ok;
}

START_TEST (test_golden)
{
  const char *src = g_getenv ("PL_SOURCE_DIR");
  ck_assert_msg (src != NULL, "PL_SOURCE_DIR is not set: run through meson test");
  gboolean update = g_strcmp0 (g_getenv ("PL_UPDATE_GOLDEN"), "1") == 0;
  g_autofree char *tmp = g_dir_make_tmp ("pl-lime-shap-XXXXXX", NULL);
  ck_assert_ptr_nonnull (tmp);
  PlLimeShapFigure *figs[2] = { make_image_figure (FALSE), make_table_figure () };
  const char *names[2] = { "lime-shap.png", "lime-shap-table.png" };
  GString *failures = g_string_new (NULL);
  for (int i = 0; i < 2; i++) {
    g_autofree char *png = g_build_filename (tmp, names[i], NULL);
    g_autofree char *golden = g_build_filename (src, "tests", "render", "golden", names[i], NULL);
    g_autoptr (GError) error = NULL;
    ck_assert_msg (pl_render_png ((PlDrawFunc) pl_lime_shap_figure_draw, figs[i], 8.0, 5.0, 72,
                                  png, names[i], NULL, &error), "%s",
                   error ? error->message : "");
    if (update) {
      g_autofree char *data = NULL;
      gsize len = 0;
      ck_assert (g_file_get_contents (png, &data, &len, NULL));
      ck_assert (g_file_set_contents (golden, data, (gssize) len, NULL));
    } else {
      double mean = 0, share = 0;
      if (!compare_png (png, golden, &mean, &share))
        g_string_append_printf (failures, "%s: no golden of the same size at %s "
                                "(PL_UPDATE_GOLDEN=1 writes it)\n", names[i], golden);
      else if (mean > 1.5 || share > 0.005)
        g_string_append_printf (failures, "%s differs from %s: mean %.3f, share %.4f\n",
                                png, golden, mean, share);
      else
        g_remove (png);
    }
    pl_lime_shap_figure_free (figs[i]);
  }
  if (failures->len == 0)
    g_rmdir (tmp);
  ck_assert_msg (failures->len == 0, "%s", failures->str);
  g_string_free (failures, TRUE);
}
END_TEST

/* The golden comparison can fail: the figure without its pruned SHAP cell differs. */
START_TEST (test_golden_can_fail)
{
  const char *src = g_getenv ("PL_SOURCE_DIR");
  ck_assert_ptr_nonnull (src);
  if (g_strcmp0 (g_getenv ("PL_UPDATE_GOLDEN"), "1") == 0)
    return;
  g_autofree char *tmp = g_dir_make_tmp ("pl-lime-shap-XXXXXX", NULL);
  g_autofree char *png = g_build_filename (tmp, "broken.png", NULL);
  g_autofree char *golden = g_build_filename (src, "tests", "render", "golden", "lime-shap.png",
                                              NULL);
  g_autoptr (PlLimeShapFigure) f = make_image_figure (FALSE);
  g_clear_pointer (&f->cells[0][1].values, g_free);
  ck_assert (pl_render_png ((PlDrawFunc) pl_lime_shap_figure_draw, f, 8.0, 5.0, 72, png, NULL,
                            NULL, NULL));
  double mean = 0, share = 0;
  ck_assert (compare_png (png, golden, &mean, &share));
  ck_assert_msg (mean > 1.5 || share > 0.005, "a missing cell went unnoticed");
  g_remove (png);
  g_rmdir (tmp);
}
END_TEST

/* ---- text layout ------------------------------------------------------------------- */

static gboolean
boxes_overlap (const PlTextBox *a, const PlTextBox *b, double tol)
{
  return MIN (a->x1, b->x1) - MAX (a->x0, b->x0) > tol &&
         MIN (a->y1, b->y1) - MAX (a->y0, b->y0) > tol;
}

START_TEST (test_text_layout)
{
  const double widths_cm[3] = { 12.0, 20.0, 30.0 };
  GString *failures = g_string_new (NULL);
  for (int variant = 0; variant < 3; variant++) {
    PlLimeShapFigure *f = variant == 2 ? make_table_figure () : make_image_figure (variant == 1);
    for (int wi = 0; wi < 3; wi++) {
      int W = (int) lround (widths_cm[wi] / 2.54 * 96.0), H = (int) lround (W * 0.62);
      cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
      cairo_t *cr = cairo_create (s);
      pl_text_record_begin ();
      pl_lime_shap_figure_draw (cr, W, H, f);
      GArray *boxes = pl_text_record_end ();
      cairo_destroy (cr);
      cairo_surface_destroy (s);
      if (boxes->len < 10)
        g_string_append_printf (failures, "variant %d at %g cm: only %u text items\n", variant,
                                widths_cm[wi], boxes->len);
      for (guint a = 0; a < boxes->len; a++) {
        const PlTextBox *p = &g_array_index (boxes, PlTextBox, a);
        if (p->x0 < -0.5 || p->y0 < -0.5 || p->x1 > W + 0.5 || p->y1 > H + 0.5)
          g_string_append_printf (failures, "variant %d at %g cm: “%s” leaves the figure\n",
                                  variant, widths_cm[wi], p->text);
        for (guint b = a + 1; b < boxes->len; b++) {
          const PlTextBox *q = &g_array_index (boxes, PlTextBox, b);
          if (boxes_overlap (p, q, 0.75))
            g_string_append_printf (failures, "variant %d at %g cm: “%s” and “%s” overlap\n",
                                    variant, widths_cm[wi], p->text, q->text);
        }
      }
      g_array_unref (boxes);
    }
    pl_lime_shap_figure_free (f);
  }
  ck_assert_msg (failures->len == 0, "%s", failures->str);
  g_string_free (failures, TRUE);
}
END_TEST

/* The parameter line of a row is shown in full, not cut at the figure's edge: the CLI's
 * LIME line (its full parameters, which the CLI figure drew and ellipsized until it took
 * the workbench's short lines) at the CLI's default sizes (1030 × 415 points for two rows,
 * 1030 × 250 for one) and the workbench's short lines, also with LIME's mean-colour fill
 * in Chinese, at the view's usual sizes. A line too long for one line wraps onto a second;
 * all text stays inside the figure without overlapping. */
START_TEST (test_details_fit)
{
  static const char *const lime_details[] = {
    "target=9 samples=1000 segments=48 superpixels=slic region-size=4 regularization=0.01 "
    "min-region-size=4 distance=cosine kernel-width=0.25 ridge-alpha=1 fill=0 seed=1 "
    "batch=64 r2=0.862564",
    "fill = 0 (both) · quickshift samples=1000 kernel-width=0.25 seed=1",
    "LIME 填充 = 平均颜色，SHAP 填充 = 0 · quickshift samples=20000 kernel-width=0.25 "
    "seed=123456789",
  };
  static const double sizes[][3] = {   /* width, height, rows */
    { 1030, 415, 2 }, { 1030, 250, 1 }, { 900, 415, 2 }, { 1400, 700, 2 },
  };
  GString *failures = g_string_new (NULL);
  for (guint d = 0; d < G_N_ELEMENTS (lime_details); d++)
    for (guint z = 0; z < G_N_ELEMENTS (sizes); z++) {
      g_autoptr (PlLimeShapFigure) f = make_image_figure (FALSE);
      g_free (f->method_details[0]);
      f->method_details[0] = g_strdup (lime_details[d]);
      f->n_methods = (gint) sizes[z][2];
      int W = (int) sizes[z][0], H = (int) sizes[z][1];
      cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
      cairo_t *cr = cairo_create (s);
      for (gint m = 0; m < f->n_methods; m++)
        if (!pl_lime_shap_figure_details_fit (cr, W, H, f, m))
          g_string_append_printf (failures, "details %u, row %d at %d × %d: cut\n", d, m, W, H);
      pl_text_record_begin ();
      pl_lime_shap_figure_draw (cr, W, H, f);
      GArray *boxes = pl_text_record_end ();
      for (guint a = 0; a < boxes->len; a++) {
        const PlTextBox *p = &g_array_index (boxes, PlTextBox, a);
        if (p->x0 < -0.5 || p->y0 < -0.5 || p->x1 > W + 0.5 || p->y1 > H + 0.5)
          g_string_append_printf (failures, "details %u at %d × %d: “%s” leaves the figure\n",
                                  d, W, H, p->text);
        for (guint b = a + 1; b < boxes->len; b++)
          if (boxes_overlap (p, &g_array_index (boxes, PlTextBox, b), 0.75))
            g_string_append_printf (failures, "details %u at %d × %d: “%s” and “%s” overlap\n",
                                    d, W, H, p->text,
                                    g_array_index (boxes, PlTextBox, b).text);
      }
      g_array_unref (boxes);
      cairo_destroy (cr);
      cairo_surface_destroy (s);
    }
  /* and the check can fail: a line far too long for two lines is cut */
  g_autoptr (PlLimeShapFigure) f = make_image_figure (FALSE);
  g_autoptr (GString) longer = g_string_new (NULL);
  for (gint i = 0; i < 12; i++)
    g_string_append (longer, lime_details[0]);
  g_free (f->method_details[0]);
  f->method_details[0] = g_strdup (longer->str);
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 10, 10);
  cairo_t *cr = cairo_create (s);
  ck_assert (!pl_lime_shap_figure_details_fit (cr, 1030, 415, f, 0));
  ck_assert (pl_lime_shap_figure_details_fit (cr, 1030, 415, f, 1));
  /* a second line never costs the whole figure: where a figure with short parameter lines
   * is drawn, so is one with a long line (on one line, ellipsized, when two do not fit) */
  g_autoptr (PlLimeShapFigure) shortf = make_image_figure (FALSE);
  g_free (shortf->method_details[0]);
  shortf->method_details[0] = g_strdup ("fill = 0 (both)");
  gint drawn = 0;
  for (int h = 150; h <= 450; h += 2)
    if (pl_lime_shap_figure_n_bars (cr, 640, h, shortf) > 0) {
      drawn++;
      ck_assert_msg (pl_lime_shap_figure_n_bars (cr, 640, h, f) > 0, "640 × %d: no figure", h);
    }
  ck_assert_int_gt (drawn, 10);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
  ck_assert_msg (failures->len == 0, "%s", failures->str);
  g_string_free (failures, TRUE);
}
END_TEST

/* The workbench's LIME / SHAP figure in Chinese (screenshots/zh_CN/shap.png: about
 * 1030 × 415 pixels, 48 SLIC segments) showed 7 of the top 8 bars: the taller CJK title
 * and caption lines left the rows too short for the 8th. All 8 must be laid out, as in
 * English, and in the bars' rectangle each row must be at least a label high. */
START_TEST (test_zh_all_bars)
{
  static const double sizes[][2] = { { 1030, 415 }, { 1000, 400 }, { 1100, 430 } };
  for (gint lang = 0; lang < 2; lang++)
    for (guint z = 0; z < G_N_ELEMENTS (sizes); z++) {
      PlLimeShapFigure *f = pl_lime_shap_figure_new (48, 28, 28);
      for (gint p = 0; p < 28 * 28; p++)
        f->segments[p] = ((p / 28) / 4) * 7 + (p % 28) / 4 < 48 ? ((p / 28) / 4) * 7 + (p % 28) / 4
                                                              : 47;
      f->n_methods = 2;
      gboolean zh = lang == 1;
      f->title = g_strdup (zh ? "逐超像素的 LIME 与 KernelSHAP：类别 短靴"
                              : "LIME and KernelSHAP per superpixel: class Ankle boot");
      f->caption = g_strdup (zh ? "fashion-cnn.onnx · Fashion-MNIST 测试集 · 测试图像 #0 · 稀疏度 89 % · 种子 1"
                                : "fashion-cnn.onnx · Fashion-MNIST test · test image #0 · 89 % sparsity · seed 1");
      f->method_names[0] = g_strdup ("LIME");
      f->method_names[1] = g_strdup ("KernelSHAP");
      f->method_details[0] = g_strdup ("target=9 samples=1000 segments=48 superpixels=slic");
      f->method_details[1] = g_strdup ("target=9 superpixels=slic baseline=0 budget=2144 seed=1");
      f->value_labels[0] = g_strdup (zh ? "LIME 系数（logit）" : "LIME coefficient (logit)");
      f->value_labels[1] = g_strdup (zh ? "SHAP 值 φ（logit）" : "SHAP value φ (logit)");
      f->network_names[0] = g_strdup (zh ? "原始" : "original");
      f->network_names[1] = g_strdup (zh ? "剪枝后" : "pruned");
      for (gint m = 0; m < 2; m++)
        for (gint n = 0; n < 2; n++) {
          PlLimeShapCell *c = &f->cells[m][n];
          c->values = g_new0 (float, 48);
          for (gint j = 0; j < 48; j++)
            c->values[j] = (float) ((j % 7) - 3) * (1.0f + 0.01f * j);
          c->fx = 7.725;
          if (m == 0)
            c->r2 = 0.988;
          else
            c->residual = -9.8e-8;
        }
      gint W = (gint) sizes[z][0], H = (gint) sizes[z][1];
      cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
      cairo_t *cr = cairo_create (s);
      gint k = pl_lime_shap_figure_n_bars (cr, W, H, f);
      ck_assert_msg (k == 8, "%s at %d × %d: %d bars, expected 8", zh ? "zh_CN" : "en", W, H, k);
      double r[4];
      ck_assert (pl_lime_shap_figure_panel_rect (cr, W, H, f, 1, 0, TRUE, r));
      pl_lime_shap_figure_draw (cr, W, H, f);
      ck_assert_int_eq (cairo_status (cr), CAIRO_STATUS_SUCCESS);
      cairo_destroy (cr);
      cairo_surface_destroy (s);
      pl_lime_shap_figure_free (f);
    }
}
END_TEST

int
main (void)
{
  Suite *suite = suite_create ("lime-shap-figure");
  TCase *tc = tcase_create ("figure");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_top_items);
  tcase_add_test (tc, test_same_swatch);
  tcase_add_test (tc, test_summaries);
  tcase_add_test (tc, test_copy);
  tcase_add_test (tc, test_short_figure_bars);
  tcase_add_test (tc, test_regions);
  tcase_add_test (tc, test_golden);
  tcase_add_test (tc, test_golden_can_fail);
  tcase_add_test (tc, test_text_layout);
  tcase_add_test (tc, test_details_fit);
  tcase_add_test (tc, test_zh_all_bars);
  suite_add_tcase (suite, tc);
  SRunner *runner = srunner_create (suite);
  srunner_run_all (runner, CK_NORMAL);
  int failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? 0 : 1;
}
