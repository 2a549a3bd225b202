/* test-figures.c — the report figures of pl-figures.h: line plot (series colour on the
 * line, band blending, the complement-log axis), matrix (cell colour of a known value,
 * text contrast), histogram counts, filmstrip (one shared scale: equal values, equal
 * colours), PNG / SVG / PDF export and degenerate input. */
#include <check.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "pl-error.h"
#include "pl-figures.h"
#include "pl-report-figures.h"
#include "pl-figure-util.h"
#include "pl-render-private.h"

const char *__lsan_default_suppressions (void);
const char *
__lsan_default_suppressions (void)
{
  return "leak:libfontconfig.so\n";
}

static char *tmpdir;

static void
setup (void)
{
  tmpdir = g_dir_make_tmp ("pl-figures-XXXXXX", NULL);
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

/* A figure drawn on an image surface, for reading pixels. */
typedef struct {
  cairo_surface_t *surface;
  cairo_t *cr;
  int w, h;
} Canvas;

static void
canvas_draw (Canvas *c, int w, int h, PlDrawFunc draw, gconstpointer fig)
{
  c->w = w;
  c->h = h;
  c->surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  c->cr = cairo_create (c->surface);
  draw (c->cr, w, h, fig);
  cairo_surface_flush (c->surface);
  ck_assert_int_eq (cairo_status (c->cr), CAIRO_STATUS_SUCCESS);
}

static void
canvas_free (Canvas *c)
{
  cairo_destroy (c->cr);
  cairo_surface_destroy (c->surface);
}

static guint32
pixel (const Canvas *c, double x, double y)
{
  int ix = (int) floor (x), iy = (int) floor (y);
  ck_assert (ix >= 0 && iy >= 0 && ix < c->w && iy < c->h);
  const guint8 *data = cairo_image_surface_get_data (c->surface);
  int stride = cairo_image_surface_get_stride (c->surface);
  return ((const guint32 *) (data + iy * stride))[ix] & 0xffffff;
}

static int
color_distance (guint32 a, guint32 b)
{
  int d = 0;
  for (int k = 0; k < 3; k++)
    d = MAX (d, abs ((int) ((a >> (8 * k)) & 0xff) - (int) ((b >> (8 * k)) & 0xff)));
  return d;
}

static int
luma (guint32 p)
{
  return (int) ((((p >> 16) & 0xff) * 2126 + ((p >> 8) & 0xff) * 7152 + (p & 0xff) * 722) /
                10000);
}

static guint32
hex (const double rgb[3])
{
  return pl_pack_rgb (rgb) & 0xffffff;
}

/* ---- line ------------------------------------------------------------------------ */

static const double lx[5] = { 0.0, 0.25, 0.5, 0.75, 1.0 };
static const double ly_flat[5] = { 0.5, 0.5, 0.5, 0.5, 0.5 };
static const double ly_band[5] = { 0.9, 0.9, 0.9, 0.9, 0.9 };
static const double lo_band[5] = { 0.2, 0.2, 0.2, 0.2, 0.2 };
static const double hi_band[5] = { 0.45, 0.45, 0.45, 0.45, 0.45 };

static void
line_figure (PlLineFigure *f)
{
  memset (f, 0, sizeof *f);
  f->title = "Line";
  f->caption = "caption";
  f->x_label = "x";
  f->y_label = "y";
  f->y_min = 0.0;
  f->y_max = 1.0;
  f->n_series = 2;
  f->series[0] = (PlLineSeries) { "flat", 5, lx, ly_flat, NULL, NULL, FALSE, FALSE, -1 };
  f->series[1] = (PlLineSeries) { "band", 5, lx, ly_band, lo_band, hi_band, TRUE, FALSE, -1 };
}

START_TEST (test_line_pixels)
{
  PlLineFigure f;
  line_figure (&f);
  Canvas c;
  canvas_draw (&c, 640, 420, (PlDrawFunc) pl_line_figure_draw, &f);
  double blue[3], verm[3];
  pl_palette_color (0, FALSE, blue);
  pl_palette_color (1, FALSE, verm);
  ck_assert_uint_eq (hex (blue), 0x0072b2);
  ck_assert_uint_eq (hex (verm), 0xd55e00);

  /* on the flat line at x = 0.37: the series colour (closest pixel of the 3 rows) */
  double ux, uy;
  ck_assert (pl_line_figure_data_to_user (c.cr, 640, 420, &f, 0.37, 0.5, &ux, &uy));
  int best = 255;
  for (int d = -1; d <= 1; d++)
    best = MIN (best, color_distance (pixel (&c, ux, uy + d), 0x0072b2));
  ck_assert_int_le (best, 12);

  /* inside the band at y = 0.33 (away from grid lines): 20 % vermillion over white */
  ck_assert (pl_line_figure_data_to_user (c.cr, 640, 420, &f, 0.37, 0.33, &ux, &uy));
  double mix[3];
  for (int k = 0; k < 3; k++)
    mix[k] = 0.2 * verm[k] + 0.8;
  ck_assert_int_le (color_distance (pixel (&c, ux, uy), hex (mix)), 2);
  /* outside the band (y = 0.6): the white background */
  ck_assert (pl_line_figure_data_to_user (c.cr, 640, 420, &f, 0.37, 0.63, &ux, &uy));
  ck_assert_uint_eq (pixel (&c, ux, uy), 0xffffff);
  canvas_free (&c);

  /* dark: background #242424 */
  f.dark = TRUE;
  canvas_draw (&c, 640, 420, (PlDrawFunc) pl_line_figure_draw, &f);
  ck_assert_uint_eq (pixel (&c, 1, 1), 0x242424);
  canvas_free (&c);
}
END_TEST

START_TEST (test_line_axes)
{
  PlLineFigure f;
  line_figure (&f);
  const double sx[4] = { 0.0, 0.9, 0.99, 0.999 };
  const double sy[4] = { 1.0, 0.8, 0.4, NAN };
  f.n_series = 1;
  f.series[0] = (PlLineSeries) { "s", 4, sx, sy, NULL, NULL, FALSE, TRUE, 3 };
  f.x_scale = PL_AXIS_LOG_COMPLEMENT;
  f.x_percent = TRUE;
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 600, 400);
  cairo_t *cr = cairo_create (s);
  double u[4], v;
  for (int i = 0; i < 4; i++)
    ck_assert (pl_line_figure_data_to_user (cr, 600, 400, &f, sx[i], 0.5, &u[i], &v));
  /* 0, 90, 99, 99.9 % equally spaced on the complement-log axis */
  ck_assert_double_eq_tol (u[1] - u[0], u[2] - u[1], 1e-9);
  ck_assert_double_eq_tol (u[2] - u[1], u[3] - u[2], 1e-9);
  ck_assert (u[1] > u[0]);
  /* x = 1 cannot be shown */
  ck_assert (!pl_line_figure_data_to_user (cr, 600, 400, &f, 1.0, 0.5, &u[0], &v));
  pl_line_figure_draw (cr, 600, 400, &f);
  /* log10 axis: 1, 10, 100 equally spaced */
  const double lx3[3] = { 1, 10, 100 }, ly3[3] = { 1, 2, 3 };
  f.series[0] = (PlLineSeries) { "s", 3, lx3, ly3, NULL, NULL, FALSE, FALSE, -1 };
  f.x_scale = PL_AXIS_LOG;
  f.x_percent = FALSE;
  f.y_min = f.y_max = NAN;   /* automatic */
  for (int i = 0; i < 3; i++)
    ck_assert (pl_line_figure_data_to_user (cr, 600, 400, &f, lx3[i], ly3[i], &u[i], &v));
  ck_assert_double_eq_tol (u[1] - u[0], u[2] - u[1], 1e-9);
  pl_line_figure_draw (cr, 600, 400, &f);
  ck_assert_int_eq (cairo_status (cr), CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}
END_TEST

/* ---- matrix ---------------------------------------------------------------------- */

static const double mvals[4] = { 0, 10, 5, 10 };
static const char *const mnames[2] = { "cat", "dog" };

static void
matrix_figure (PlMatrixFigure *f, gboolean values)
{
  memset (f, 0, sizeof *f);
  f->title = "Confusion";
  f->row_label = "true class";
  f->col_label = "predicted class";
  f->n_rows = f->n_cols = 2;
  f->row_names = mnames;
  f->col_names = mnames;
  f->values = mvals;
  f->scale = (PlColorScale) { PL_COLORMAP_VIRIDIS, 0.0, 0.0, "count" };  /* automatic */
  f->show_values = values;
}

START_TEST (test_line_log_y_and_categories)
{
  const double x[3] = { 0, 1, 2 }, y[3] = { 1, 10, 100 };
  static const char *const names[3] = { "first", "second", "third" };
  PlLineFigure f = { 0 };
  f.n_series = 1;
  f.series[0] = (PlLineSeries) { "s", 3, x, y, NULL, NULL, FALSE, TRUE, 0 };
  f.y_scale = PL_AXIS_LOG;
  f.x_tick_labels = names;
  f.n_x_tick_labels = 3;
  Canvas c;
  canvas_draw (&c, 500, 300, (PlDrawFunc) pl_line_figure_draw, &f);
  /* decades equally spaced; categories at x = 0, 1, 2 equally spaced */
  double ux[3], uy[3];
  for (int i = 0; i < 3; i++)
    ck_assert (pl_line_figure_data_to_user (c.cr, 500, 300, &f, x[i], y[i], &ux[i], &uy[i]));
  ck_assert_double_eq_tol (uy[0] - uy[1], uy[1] - uy[2], 1e-9);
  ck_assert (uy[0] > uy[1]);
  ck_assert_double_eq_tol (ux[1] - ux[0], ux[2] - ux[1], 1e-9);
  /* √10 lies half-way between 1 and 10 */
  double u5, v5;
  ck_assert (pl_line_figure_data_to_user (c.cr, 500, 300, &f, 0.5, sqrt (10.0), &u5, &v5));
  ck_assert_double_eq_tol (v5, (uy[0] + uy[1]) / 2.0, 1e-9);
  /* values ≤ 0 cannot be shown on a log axis */
  ck_assert (!pl_line_figure_data_to_user (c.cr, 500, 300, &f, 0.5, 0.0, &u5, &v5));
  /* the line passes through the middle point in the series colour */
  int best = 255;
  for (int d = -1; d <= 1; d++)
    best = MIN (best, color_distance (pixel (&c, ux[1], uy[1] + d), 0x0072b2));
  ck_assert_int_le (best, 12);
  canvas_free (&c);
  /* the category names are drawn: recorded text includes them */
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 500, 300);
  cairo_t *cr = cairo_create (s);
  pl_text_record_begin ();
  pl_line_figure_draw (cr, 500, 300, &f);
  GArray *boxes = pl_text_record_end ();
  int found = 0;
  for (guint i = 0; i < boxes->len; i++) {
    const PlTextBox *b = &g_array_index (boxes, PlTextBox, i);
    for (int k = 0; k < 3; k++)
      if (strcmp (b->text, names[k]) == 0) {
        found++;
        ck_assert_double_eq_tol ((b->x0 + b->x1) / 2.0, ux[k], 1.5);
      }
  }
  ck_assert_int_eq (found, 3);
  g_array_unref (boxes);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}
END_TEST

START_TEST (test_panels_and_training)
{
  const double loss[4] = { 1.0, 0.5, 0.3, 0.2 }, acc[4] = { 0.7, 0.8, 0.85, 0.9 };
  g_autoptr (PlOwnedPanelsFigure) t = pl_training_figure_new (4, loss, acc, NULL, NULL, TRUE,
                                                              "caption");
  ck_assert_int_eq (t->figure.n_panels, 2);
  ck_assert_int_eq (t->panels[0].n_series, 1);     /* no test curves given */
  ck_assert_int_eq (t->panels[0].y_scale, PL_AXIS_LOG);
  ck_assert_double_eq (t->panels[0].series[0].x[3], 4.0);   /* epochs 1 … n */
  ck_assert (t->panels[1].y_percent);
  Canvas c;
  canvas_draw (&c, 700, 300, (PlDrawFunc) pl_line_panels_figure_draw, &t->figure);
  double a[4], b[4];
  ck_assert (pl_line_panels_figure_panel_rect (c.cr, 700, 300, &t->figure, 0, a));
  ck_assert (pl_line_panels_figure_panel_rect (c.cr, 700, 300, &t->figure, 1, b));
  ck_assert (!pl_line_panels_figure_panel_rect (c.cr, 700, 300, &t->figure, 2, b + 0));
  ck_assert (a[0] >= 0 && a[0] + a[2] <= b[0] && b[0] + b[2] <= 700);
  ck_assert_double_eq_tol (a[2], b[2], 1e-9);
  /* the loss curve of panel 0 in the first series colour at its first point */
  PlLineFigure p0 = t->panels[0];
  p0.font_size = 0.9 * pl_figure_text_size (700, 300);
  p0.caption = NULL;
  double ux, uy;
  cairo_save (c.cr);
  cairo_translate (c.cr, a[0], a[1]);
  ck_assert (pl_line_figure_data_to_user (c.cr, a[2], a[3], &p0, 2.0, 0.5, &ux, &uy));
  cairo_restore (c.cr);
  int best = 255;
  for (int d = -1; d <= 1; d++)
    best = MIN (best, color_distance (pixel (&c, a[0] + ux, a[1] + uy + d), 0x0072b2));
  ck_assert_int_le (best, 12);
  canvas_free (&c);
}
END_TEST

START_TEST (test_analysis_figures)
{
  /* confusion: labels 0 0 1 1 2, predictions 0 1 1 1 0 (and one label out of range) */
  const gint labels[6] = { 0, 0, 1, 1, 2, 7 }, pred[6] = { 0, 1, 1, 1, 0, 0 };
  const char *const names[3] = { "a", "b", "c" };
  g_autoptr (PlOwnedMatrixFigure) cm = pl_confusion_figure_new (labels, pred, 6, 3, names,
                                                                NULL);
  const double want[9] = { 1, 1, 0, 0, 2, 0, 1, 0, 0 };
  for (int i = 0; i < 9; i++)
    ck_assert_double_eq (cm->figure.values[i], want[i]);
  ck_assert_str_eq (cm->figure.row_names[2], "c");
  ck_assert (strstr (cm->figure.caption, "5 images, top-1 accuracy 60.00 %") != NULL);

  /* per-class breakdown of a hand-made report: class 0 Spearman 0.2, 0.4; class 1 0.9 */
  PlCompareInput inputs[3] = { { 0 } };
  inputs[0].label = 0;
  inputs[1].label = 0;
  inputs[2].label = 1;
  inputs[0].metrics[PL_METRIC_SPEARMAN] = 0.2;
  inputs[1].metrics[PL_METRIC_SPEARMAN] = 0.4;
  inputs[2].metrics[PL_METRIC_SPEARMAN] = 0.9;
  inputs[0].metrics[PL_METRIC_DELETION_ORIG] = 0.1;
  inputs[1].metrics[PL_METRIC_DELETION_ORIG] = 0.3;
  inputs[2].metrics[PL_METRIC_DELETION_ORIG] = 0.5;
  inputs[0].metrics[PL_METRIC_DELETION_PRUNED] = 0.2;
  inputs[1].metrics[PL_METRIC_DELETION_PRUNED] = 0.6;
  inputs[2].metrics[PL_METRIC_DELETION_PRUNED] = 0.7;
  gint64 count[2] = { 2, 1 };
  char *cls[3] = { (char *) "shirt", (char *) "bag", NULL };
  PlCompareReport r = { 0 };
  r.options.n_bootstrap = 200;
  r.options.confidence = 0.95;
  r.options.seed = 1;
  r.n = 3;
  r.inputs = inputs;
  r.n_classes = 2;
  r.class_names = cls;
  r.class_count = count;
  g_autoptr (PlOwnedBarFigure) bf = pl_compare_class_figure_new (&r, PL_METRIC_SPEARMAN);
  ck_assert_int_eq (bf->figure.n_groups, 1);
  ck_assert_int_eq (bf->figure.n_bars, 2);
  ck_assert_double_eq_tol (bf->figure.values[0], 0.3, 1e-12);
  ck_assert_double_eq_tol (bf->figure.values[1], 0.9, 1e-12);
  ck_assert_str_eq (bf->figure.bar_labels[0], "shirt (2)");
  ck_assert (bf->figure.err_lo[0] <= 0.3 && bf->figure.err_hi[0] >= 0.3);
  ck_assert (bf->figure.err_lo[0] >= 0.2 - 1e-12 && bf->figure.err_hi[0] <= 0.4 + 1e-12);
  g_autoptr (PlOwnedBarFigure) df = pl_compare_class_figure_new (&r,
                                                                 PL_METRIC_DELETION_PRUNED);
  ck_assert_int_eq (df->figure.n_groups, 2);   /* original and pruned */
  ck_assert_double_eq_tol (df->figure.values[0], 0.2, 1e-12);
  ck_assert_double_eq_tol (df->figure.values[2 + 0], 0.4, 1e-12);
  ck_assert_double_eq_tol (df->figure.values[2 + 1], 0.7, 1e-12);
  Canvas c;
  canvas_draw (&c, 400, 300, (PlDrawFunc) pl_bar_figure_draw, &df->figure);
  canvas_free (&c);

  /* weight histograms: a Gemm weight of 4 with one masked, one zero */
  g_autoptr (PlGraph) g = pl_graph_new ();
  pl_graph_add_input (g, "X", 2, (gint64[]) { -1, 2 });
  g_autoptr (PlTensor) w = pl_tensor_new_2d (2, 2);
  const float wv[4] = { 0.5f, -0.25f, 0.0f, 1.0f };
  memcpy (w->data, wv, sizeof wv);
  pl_graph_add_initializer (g, "W", w);
  pl_graph_add_node (g, "Gemm", "fc", 2, (const char *[]) { "X", "W" }, 1,
                     (const char *[]) { "Y" });
  pl_graph_add_output (g, "Y");
  g_autoptr (PlGraph) p = pl_graph_copy (g);
  PlValue *pv = pl_graph_value (p, pl_graph_find_value (p, "W"));
  pv->mask = pl_tensor_new_2d (2, 2);
  const float mv[4] = { 1, 0, 1, 1 };
  memcpy (pv->mask->data, mv, sizeof mv);
  g_autoptr (PlOwnedHistogramFigure) hf = pl_weight_histogram_figure_new (g, p);
  ck_assert_int_eq (hf->figure.n_sets, 2);
  ck_assert_int_eq (hf->figure.n[0], 4);
  ck_assert (hf->figure.exclude_zeros);
  gint64 counts[4];
  ck_assert_int_eq (pl_histogram_count (hf->figure.data[0], 4, -1, 1, 4, TRUE, counts), 3);
  ck_assert_int_eq (pl_histogram_count (hf->figure.data[1], 4, -1, 1, 4, TRUE, counts), 2);
}
END_TEST

START_TEST (test_matrix_pixels)
{
  PlMatrixFigure f;
  matrix_figure (&f, FALSE);
  Canvas c;
  canvas_draw (&c, 500, 420, (PlDrawFunc) pl_matrix_figure_draw, &f);
  double rect[4], rgb[3];
  /* automatic scale 0 … 10: the cell of 5 (row 1, col 0) is viridis(0.5) */
  ck_assert (pl_matrix_figure_cell_rect (c.cr, 500, 420, &f, 1, 0, rect));
  pl_colormap_lookup (PL_COLORMAP_VIRIDIS, 0.5, rgb);
  /* (cairo's solid fills may round a channel differently from pl_pack_rgb: ±1) */
  ck_assert_int_le (color_distance (pixel (&c, rect[0] + rect[2] / 2, rect[1] + rect[3] / 2),
                                    hex (rgb)), 1);
  ck_assert (pl_matrix_figure_cell_rect (c.cr, 500, 420, &f, 0, 0, rect));
  pl_colormap_lookup (PL_COLORMAP_VIRIDIS, 0.0, rgb);
  ck_assert_int_le (color_distance (pixel (&c, rect[0] + rect[2] / 2, rect[1] + rect[3] / 2),
                                    hex (rgb)), 1);
  /* and not the colour of a neighbouring value */
  pl_colormap_lookup (PL_COLORMAP_VIRIDIS, 0.1, rgb);
  ck_assert_int_gt (color_distance (pixel (&c, rect[0] + rect[2] / 2, rect[1] + rect[3] / 2),
                                    hex (rgb)), 4);
  ck_assert (!pl_matrix_figure_cell_rect (c.cr, 500, 420, &f, 2, 0, rect));
  canvas_free (&c);

  /* values printed: white on the dark cell (0), black on the yellow cell (10): text pixels
   * are much brighter (darker) than the cell around them, none the other way */
  matrix_figure (&f, TRUE);
  canvas_draw (&c, 500, 420, (PlDrawFunc) pl_matrix_figure_draw, &f);
  for (int col = 0; col < 2; col++) {
    int brighter = 0, darker = 0;
    ck_assert (pl_matrix_figure_cell_rect (c.cr, 500, 420, &f, 0, col, rect));
    int cell = luma (pixel (&c, rect[0] + 2, rect[1] + 2));
    for (double y = rect[1] + 1; y < rect[1] + rect[3] - 1; y++)
      for (double x = rect[0] + 1; x < rect[0] + rect[2] - 1; x++) {
        int l = luma (pixel (&c, x, y));
        brighter += l > cell + 80;
        darker += l < cell - 80;
      }
    if (col == 0) {
      ck_assert_int_gt (brighter, 5);
      ck_assert_int_eq (darker, 0);
    } else {
      ck_assert_int_gt (darker, 5);
      ck_assert_int_eq (brighter, 0);
    }
  }
  canvas_free (&c);
}
END_TEST

/* ---- histogram ------------------------------------------------------------------- */

START_TEST (test_histogram_count)
{
  const float data[9] = { 0.0f, 0.1f, 0.5f, 0.99f, 1.0f, -1.0f, NAN, 2.0f, 0.25f };
  gint64 counts[4];
  /* bins [0, .25) [.25, .5) [.5, .75) [.75, 1]; -1, NaN, 2 not counted */
  ck_assert_int_eq (pl_histogram_count (data, 9, 0.0, 1.0, 4, FALSE, counts), 6);
  ck_assert_int_eq (counts[0], 2);
  ck_assert_int_eq (counts[1], 1);
  ck_assert_int_eq (counts[2], 1);
  ck_assert_int_eq (counts[3], 2);
  ck_assert_int_eq (pl_histogram_count (data, 9, 0.0, 1.0, 4, TRUE, counts), 5);
  ck_assert_int_eq (counts[0], 1);
  /* an empty range counts nothing */
  ck_assert_int_eq (pl_histogram_count (data, 9, 1.0, 1.0, 4, FALSE, counts), 0);
  ck_assert_int_eq (counts[3], 0);
}
END_TEST

START_TEST (test_histogram_draw)
{
  float a[1000], b[1000];
  for (int i = 0; i < 1000; i++) {
    a[i] = (float) sin (i * 0.37) * 0.3f;
    b[i] = fabsf (a[i]) < 0.1f ? 0.0f : a[i];
  }
  PlHistogramFigure f = { 0 };
  f.title = "Weights";
  f.x_label = "weight";
  f.n_bins = 30;
  f.exclude_zeros = TRUE;
  f.n_sets = 2;
  f.names[0] = "original";
  f.names[1] = "pruned";
  f.data[0] = a;
  f.data[1] = b;
  f.n[0] = f.n[1] = 1000;
  for (int log_y = 0; log_y < 2; log_y++) {
    f.log_y = log_y;
    Canvas c;
    canvas_draw (&c, 600, 400, (PlDrawFunc) pl_histogram_figure_draw, &f);
    /* some pixels carry the original's blue outline */
    int found = 0;
    for (int y = 0; y < 400 && !found; y++)
      for (int x = 0; x < 600 && !found; x++)
        found = pixel (&c, x, y) == 0x0072b2;
    ck_assert (found);
    canvas_free (&c);
  }
}
END_TEST

/* ---- filmstrip ------------------------------------------------------------------- */

START_TEST (test_filmstrip_shared_scale)
{
  g_autoptr (PlTensor) m0 = pl_tensor_new_2d (4, 4);
  g_autoptr (PlTensor) m1 = pl_tensor_new_2d (4, 4);
  g_autoptr (PlTensor) m2 = pl_tensor_new_2d (4, 4);
  m0->data[0] = 1.0f;          /* (0, 0) */
  m1->data[5] = 2.0f;          /* the maximum of all frames */
  m2->data[5] = 1.0f;          /* (1, 1) */
  PlFilmstripFigure f = { 0 };
  f.title = "Filmstrip";
  f.caption = "caption";
  f.n_frames = 4;
  f.frames[0] = (PlFilmstripFrame) { "0 %", "acc. 91.0 %", m0, NULL, 0 };
  f.frames[1] = (PlFilmstripFrame) { "50 %", "acc. 90.0 %", m1, NULL, 0 };
  f.frames[2] = (PlFilmstripFrame) { "90 %", "acc. 75.7 %", m2, NULL, 0 };
  f.frames[3] = (PlFilmstripFrame) { "missing", NULL, NULL, NULL, 0 };
  f.scale = (PlColorScale) { PL_COLORMAP_MAGMA, 0, 0, "|∂logit/∂x|" };
  Canvas c;
  canvas_draw (&c, 900, 300, (PlDrawFunc) pl_filmstrip_figure_draw, &f);
  double r0[4], r2[4], r1[4];
  ck_assert (pl_filmstrip_figure_frame_rect (c.cr, 900, 300, &f, 0, r0));
  ck_assert (pl_filmstrip_figure_frame_rect (c.cr, 900, 300, &f, 1, r1));
  ck_assert (pl_filmstrip_figure_frame_rect (c.cr, 900, 300, &f, 2, r2));
  ck_assert (!pl_filmstrip_figure_frame_rect (c.cr, 900, 300, &f, 4, r2 + 0));
  ck_assert (pl_filmstrip_figure_frame_rect (c.cr, 900, 300, &f, 2, r2));
  ck_assert_double_eq_tol (r0[2], r2[2], 1e-9);
  ck_assert (r1[0] > r0[0] + r0[2]);
  /* cell centres: value 1 in frame 0 at (0, 0) and in frame 2 at (1, 1) */
  double cw = r0[2] / 4, ch = r0[3] / 4;
  guint32 p0 = pixel (&c, r0[0] + 0.5 * cw, r0[1] + 0.5 * ch);
  guint32 p2 = pixel (&c, r2[0] + 1.5 * cw, r2[1] + 1.5 * ch);
  double rgb[3];
  pl_colormap_lookup (PL_COLORMAP_MAGMA, 0.5, rgb);   /* 1 on the shared scale 0 … 2 */
  ck_assert_uint_eq (p0, p2);
  ck_assert_uint_eq (p0, hex (rgb));
  pl_colormap_lookup (PL_COLORMAP_MAGMA, 1.0, rgb);
  ck_assert_uint_eq (pixel (&c, r1[0] + 1.5 * cw, r1[1] + 1.5 * ch), hex (rgb));
  pl_colormap_lookup (PL_COLORMAP_MAGMA, 0.0, rgb);
  ck_assert_uint_eq (pixel (&c, r2[0] + 0.5 * cw, r2[1] + 0.5 * ch), hex (rgb));
  canvas_free (&c);

  /* a fixed scale 0 … 4: value 1 is magma(0.25) */
  f.scale.vmin = 0.0;
  f.scale.vmax = 4.0;
  canvas_draw (&c, 900, 300, (PlDrawFunc) pl_filmstrip_figure_draw, &f);
  pl_colormap_lookup (PL_COLORMAP_MAGMA, 0.25, rgb);
  ck_assert_uint_eq (pixel (&c, r0[0] + 0.5 * cw, r0[1] + 0.5 * ch), hex (rgb));
  canvas_free (&c);
}
END_TEST

/* ---- files and odd input --------------------------------------------------------- */

START_TEST (test_export_all)
{
  PlLineFigure lf;
  line_figure (&lf);
  PlMatrixFigure mf;
  matrix_figure (&mf, TRUE);
  float a[5] = { 0.1f, 0.2f, 0.2f, 0.0f, -0.3f };
  PlHistogramFigure hf = { 0 };
  hf.n_sets = 1;
  hf.data[0] = a;
  hf.n[0] = 5;
  hf.names[0] = "w";
  g_autoptr (PlTensor) m = pl_tensor_new_2d (28, 28);
  for (int i = 0; i < 784; i++)
    m->data[i] = (float) (i % 29);
  PlFilmstripFigure ff = { 0 };
  ff.n_frames = 2;
  ff.frames[0] = (PlFilmstripFrame) { "0 %", "acc. 91 %", m, m, 0.6 };
  ff.frames[1] = (PlFilmstripFrame) { "90 %", "acc. 75 %", m, NULL, 0 };
  ff.scale.colormap = PL_COLORMAP_VIRIDIS;
  struct { PlDrawFunc draw; gconstpointer fig; const char *name; } figs[4] = {
    { (PlDrawFunc) pl_line_figure_draw, &lf, "line" },
    { (PlDrawFunc) pl_matrix_figure_draw, &mf, "matrix" },
    { (PlDrawFunc) pl_histogram_figure_draw, &hf, "hist" },
    { (PlDrawFunc) pl_filmstrip_figure_draw, &ff, "film" },
  };
  for (int i = 0; i < 4; i++) {
    GError *error = NULL;
    g_autofree char *png = g_strdup_printf ("%s/%s.png", tmpdir, figs[i].name);
    g_autofree char *svg = g_strdup_printf ("%s/%s.svg", tmpdir, figs[i].name);
    g_autofree char *pdf = g_strdup_printf ("%s/%s.pdf", tmpdir, figs[i].name);
    ck_assert_msg (pl_render_png (figs[i].draw, figs[i].fig, 6, 4, 100, png, "t", "d", &error),
                   "%s", error ? error->message : "");
    ck_assert_msg (pl_render_svg (figs[i].draw, figs[i].fig, 6, 4, svg, "t", "d", &error),
                   "%s", error ? error->message : "");
    ck_assert_msg (pl_render_pdf (figs[i].draw, figs[i].fig, 6, 4, pdf, "t", "d", &error),
                   "%s", error ? error->message : "");
    g_autofree char *text = NULL;
    gsize len = 0;
    ck_assert (g_file_get_contents (pdf, &text, &len, NULL));
    ck_assert (len > 100 && memcmp (text, "%PDF", 4) == 0);
    g_clear_pointer (&text, g_free);
    ck_assert (g_file_get_contents (svg, &text, &len, NULL));
    ck_assert (strstr (text, "<svg") != NULL);
    g_clear_pointer (&text, g_free);
    ck_assert (g_file_get_contents (png, &text, &len, NULL));
    ck_assert (len > 100 && memcmp (text + 1, "PNG", 3) == 0);
  }
}
END_TEST

START_TEST (test_degenerate)
{
  /* empty, tiny, NaN-only and constant data: no crash, no cairo error */
  double nan5[5] = { NAN, NAN, NAN, NAN, NAN };
  PlLineFigure lf = { 0 };
  lf.n_series = 2;
  lf.series[0] = (PlLineSeries) { "nan", 5, lx, nan5, nan5, nan5, FALSE, TRUE, -1 };
  lf.series[1] = (PlLineSeries) { NULL, 0, NULL, NULL, NULL, NULL, FALSE, FALSE, 99 };
  lf.x_scale = PL_AXIS_LOG;
  PlMatrixFigure mf = { 0 };
  mf.n_rows = 3;
  mf.n_cols = 0;
  PlMatrixFigure mf2 = { 0 };
  mf2.n_rows = mf2.n_cols = 1;
  mf2.values = nan5;
  mf2.show_values = TRUE;
  PlHistogramFigure hf = { 0 };
  hf.n_sets = 1;
  hf.names[0] = "none";
  hf.log_y = TRUE;
  PlFilmstripFigure ff = { 0 };
  ff.n_frames = 1;
  const double sizes[3][2] = { { 640, 400 }, { 10, 10 }, { 0, 0 } };
  for (int k = 0; k < 3; k++) {
    double w = sizes[k][0], h = sizes[k][1];
    cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, MAX ((int) w, 1),
                                                     MAX ((int) h, 1));
    cairo_t *cr = cairo_create (s);
    pl_line_figure_draw (cr, w, h, &lf);
    pl_matrix_figure_draw (cr, w, h, &mf);
    pl_matrix_figure_draw (cr, w, h, &mf2);
    pl_histogram_figure_draw (cr, w, h, &hf);
    pl_filmstrip_figure_draw (cr, w, h, &ff);
    ck_assert_int_eq (cairo_status (cr), CAIRO_STATUS_SUCCESS);
    cairo_destroy (cr);
    cairo_surface_destroy (s);
  }
}
END_TEST

START_TEST (test_sweep_figures)
{
  /* a hand-made sweep of two points */
  PlSweep sw = { 0 };
  PlSweepPoint pts[2] = { { 0 } };
  g_autoptr (PlTensor) m = pl_tensor_new_2d (3, 3);
  m->data[4] = 2.0f;
  char *names[3] = { "cat", "dog", NULL };
  pl_sweep_options_init (&sw.options);
  sw.options.n_eval = 500;
  sw.dataset_name = "toy";
  sw.n_indices = 5;
  sw.film_index = 7;
  sw.film_label = 1;
  sw.film_target = 0;
  sw.class_names = names;
  sw.n_points = 2;
  sw.points = pts;
  pts[0].sparsity_requested = pts[0].sparsity = 0.0;
  pts[1].sparsity_requested = 0.9;
  pts[1].sparsity = 0.9;
  pts[0].accuracy = 0.91;
  pts[1].accuracy = 0.757;
  pts[0].film_map = pts[1].film_map = m;
  for (int k = 0; k < 2; k++)
    for (int j = 0; j < PL_SWEEP_N_METRICS; j++)
      pts[k].summary[j] = (PlSummary) { 5, k ? 0.4 : 1.0, 0.1, 0.4, k ? 0.3 : 1.0,
                                        k ? 0.5 : 1.0 };
  g_autoptr (PlSweepLineFigure) lf = pl_sweep_line_figure_new (&sw, TRUE);
  ck_assert_int_eq (lf->figure.n_series, 3);
  ck_assert_int_eq (lf->figure.series[1].n, 2);
  ck_assert_double_eq (lf->figure.series[0].y[1], 0.757);
  ck_assert_double_eq (lf->figure.series[1].lo[1], 0.3);
  ck_assert_double_eq (lf->figure.series[2].hi[1], 0.5);
  ck_assert (strstr (lf->figure.caption, "seed 1") != NULL);
  ck_assert (strstr (lf->figure.caption, "500") != NULL);
  g_autoptr (PlSweepFilmstrip) ff = pl_sweep_filmstrip_new (&sw, FALSE);
  ck_assert_int_eq (ff->figure.n_frames, 2);
  ck_assert_str_eq (ff->figure.frames[1].title, "90 %");
  ck_assert_str_eq (ff->figure.frames[1].subtitle, "acc. 75.7 %");
  ck_assert (strstr (ff->figure.title, "image 7 (dog)") != NULL);
  Canvas c;
  canvas_draw (&c, 600, 400, (PlDrawFunc) pl_line_figure_draw, &lf->figure);
  canvas_free (&c);
  canvas_draw (&c, 600, 250, (PlDrawFunc) pl_filmstrip_figure_draw, &ff->figure);
  canvas_free (&c);

  /* The filmstrip owns its maps and image: the workbench draws it in a worker thread that
   * may still run after the sweep is freed (ASan found the borrowed maps read after free). */
  PlTensor *m2 = pl_tensor_new_2d (3, 3), *img = pl_tensor_new_2d (3, 3);
  m2->data[4] = 5.0f;
  img->data[0] = 0.25f;
  pts[0].film_map = pts[1].film_map = m2;
  sw.film_image = img;
  PlSweepFilmstrip *owned = pl_sweep_filmstrip_new (&sw, TRUE);
  pl_tensor_unref (m2);    /* the sweep's references */
  pl_tensor_unref (img);
  sw.film_image = NULL;
  ck_assert_float_eq (owned->figure.frames[1].map->data[4], 5.0f);
  ck_assert_float_eq (owned->figure.frames[0].underlay->data[0], 0.25f);
  canvas_draw (&c, 600, 250, (PlDrawFunc) pl_filmstrip_figure_draw, &owned->figure);
  canvas_free (&c);
  pl_sweep_filmstrip_free (owned);
}
END_TEST

/* Session 4: the report's confusion matrix and weight histogram, public in
 * pl-report-figures.h (moved from cli-report.c). Counts by hand on a 4-row table. */
START_TEST (test_report_figures)
{
  const char *csv = "a,label\n1,x\n2,y\n3,x\n4,z\n";
  PlCsvOptions o = PL_CSV_OPTIONS_INIT;
  GError *error = NULL;
  g_autoptr (PlDataset) ds = pl_dataset_load_csv_data (csv, strlen (csv), "t.csv", &o, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (ds->n_classes, 3);   /* x = 0, y = 1, z = 2 */
  gint pred[4] = { 0, 0, 2, 2 };
  PlEvaluation ev = { .n = 4, .correct = 2, .accuracy = 0.5, .predictions = pred };
  g_autoptr (PlOwnedMatrixFigure) cm = pl_report_confusion_figure_new (ds, &ev, "step 1");
  ck_assert_int_eq (cm->figure.n_rows, 3);
  const double want[9] = { 1, 0, 1,   1, 0, 0,   0, 0, 1 };
  for (gint i = 0; i < 9; i++)
    ck_assert_double_eq (cm->figure.values[i], want[i]);
  ck_assert_str_eq (cm->figure.title, "Confusion matrix, step 1");
  ck_assert_str_eq (cm->figure.row_names[2], "z");
  ck_assert_ptr_nonnull (strstr (cm->figure.caption, "accuracy 50.00 %"));
  ck_assert (cm->figure.show_values);

  /* histogram: all prunable weights of both graphs, masked entries as 0 */
  g_autoptr (PlGraph) g = pl_graph_new ();
  gint64 xs[2] = { -1, 3 };
  pl_graph_add_input (g, "X", 2, xs);
  g_autoptr (PlTensor) w = pl_tensor_new_2d (2, 3);
  for (gint i = 0; i < 6; i++)
    w->data[i] = (float) (i + 1);
  pl_graph_add_initializer (g, "W", w);
  const char *ins[2] = { "X", "W" };
  const char *outs[1] = { "Y" };
  PlNode *n = pl_graph_add_node (g, "Gemm", "fc", 2, ins, 1, outs);
  pl_node_set_int (n, "transB", 1);
  pl_graph_add_output (g, "Y");
  g_autoptr (PlGraph) p = pl_graph_copy (g);
  PlValue *v = pl_graph_value (p, pl_graph_find_value (p, "W"));
  v->mask = pl_tensor_new_2d (2, 3);
  for (gint i = 0; i < 6; i++)
    v->mask->data[i] = i < 2 ? 0.0f : 1.0f;
  g_autoptr (PlOwnedHistogramFigure) h = pl_report_weight_histogram_figure_new (g, p, "step 1");
  ck_assert_int_eq (h->figure.n_sets, 2);
  ck_assert_int_eq (h->figure.n[0], 6);
  ck_assert_int_eq (h->figure.n[1], 6);
  ck_assert_float_eq (h->figure.data[1][0], 0.0f);
  ck_assert_float_eq (h->figure.data[1][1], 0.0f);
  ck_assert_float_eq (h->figure.data[1][2], 3.0f);
  ck_assert_str_eq (h->figure.names[1], "step 1");
  ck_assert_int_eq (h->figure.n_bins, 80);
  ck_assert (h->figure.log_y && h->figure.exclude_zeros);
  /* both draw */
  cairo_surface_t *surf = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 400, 300);
  cairo_t *cr = cairo_create (surf);
  pl_matrix_figure_draw (cr, 400, 300, &cm->figure);
  pl_histogram_figure_draw (cr, 400, 300, &h->figure);
  ck_assert_int_eq (cairo_status (cr), CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_destroy (surf);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("figures");
  TCase *tc = tcase_create ("figures");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_line_pixels);
  tcase_add_test (tc, test_line_axes);
  tcase_add_test (tc, test_line_log_y_and_categories);
  tcase_add_test (tc, test_panels_and_training);
  tcase_add_test (tc, test_analysis_figures);
  tcase_add_test (tc, test_matrix_pixels);
  tcase_add_test (tc, test_histogram_count);
  tcase_add_test (tc, test_histogram_draw);
  tcase_add_test (tc, test_filmstrip_shared_scale);
  tcase_add_test (tc, test_export_all);
  tcase_add_test (tc, test_degenerate);
  tcase_add_test (tc, test_report_figures);
  tcase_add_test (tc, test_sweep_figures);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
