/* test-golden.c — every figure kind drawn from fixed data:
 *   - against a reference PNG in tests/render/golden/ (tolerant pixel comparison; run with
 *     PL_UPDATE_GOLDEN=1 to rewrite the references on purpose);
 *   - its SVG rasterised by rsvg-convert and its PDF by pdftoppm against its PNG;
 *   - laid out at 8, 15 and 30 cm with long class names and Chinese labels: the ink boxes
 *     of all text stay inside the figure and never intersect;
 *   - Chinese text is shaped with real glyphs (no missing-glyph boxes).
 * Fonts: the comparison relies on the Debian fonts of tools/install-deps (fonts-dejavu-core,
 * fonts-noto-cjk); the tolerance absorbs anti-aliasing differences but not a missing panel,
 * colorbar, legend or line of text. */
#include <check.h>
#include <locale.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "pl-error.h"
#include "pl-figures.h"
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
  tmpdir = g_dir_make_tmp ("pl-golden-XXXXXX", NULL);
  ck_assert_ptr_nonnull (tmpdir);
}

static void
teardown (void)
{
  if (g_getenv ("PL_GOLDEN_KEEP") != NULL) {   /* for looking at the images */
    g_printerr ("kept %s\n", tmpdir);
    g_clear_pointer (&tmpdir, g_free);
    return;
  }
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

/* ---- fixed data -------------------------------------------------------------------- */

#define MAP 16

static PlTensor *img, *map_a, *map_b, *map_d;
static gint outline[MAP * MAP];

static const char *const class_en[10] = {
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
  "Ankle boot",
};
/* long and Chinese labels for the layout test */
static const char *const class_long[10] = {
  "T-shirt/top with an unusually long descriptive class name", "长裤", "套头衫 Pullover",
  "Dress (evening, long sleeves, knee length)", "外套", "凉鞋 Sandal", "衬衫",
  "Sneaker — a long label to wrap", "包", "Ankle boot 踝靴 with more words",
};

static void
make_maps (void)
{
  img = pl_tensor_new_2d (MAP, MAP);
  map_a = pl_tensor_new_2d (MAP, MAP);
  map_b = pl_tensor_new_2d (MAP, MAP);
  map_d = pl_tensor_new_2d (MAP, MAP);
  for (gint r = 0; r < MAP; r++)
    for (gint c = 0; c < MAP; c++) {
      gint i = r * MAP + c;
      double dx = c - 7.5, dy = r - 7.5;
      img->data[i] = (float) (hypot (dx, dy) < 6.0 ? 0.8 : 0.1);
      map_a->data[i] = (float) exp (-(dx * dx + dy * dy) / 18.0);
      map_b->data[i] = (float) exp (-((dx - 2) * (dx - 2) + dy * dy) / 12.0) * 0.8f;
      map_d->data[i] = map_b->data[i] - map_a->data[i];
      outline[i] = (r / 4) * 4 + c / 4;
    }
}

static void
free_maps (void)
{
  g_clear_pointer (&img, pl_tensor_unref);
  g_clear_pointer (&map_a, pl_tensor_unref);
  g_clear_pointer (&map_b, pl_tensor_unref);
  g_clear_pointer (&map_d, pl_tensor_unref);
}

typedef struct {
  const char *name;
  PlDrawFunc draw;
  gconstpointer figure;
  double aspect;     /* height / width */
} Fig;

/* Storage of the figures of one run (long = the layout test's labels). */
typedef struct {
  PlHeatmapFigure heat, overlay;
  PlBarFigure bars;
  double bar_values[2 * 12], err_lo[2 * 12], err_hi[2 * 12];
  char *bar_labels[12];
  PlLineFigure line, line_log;
  double lx[6], ly[3][6], llo[6], lhi[6], ey[8], el[8];
  PlMatrixFigure matrix;
  double confusion[100];
  PlHistogramFigure hist;
  float w0[4000], w1[4000];
  PlFilmstripFigure film;
  char *film_titles[6], *film_sub[6];
  PlOwnedPanelsFigure *training;
  double loss[8], tloss[8], acc[8], tacc[8];
  PlSweep sweep;
  PlSweepPoint points[5];
  PlRandomisationCurve rc;
  char *rc_names[5];
  double rc_topk[5], rc_ssim[5];
  PlSummary rc_sp[5];
  PlOwnedLineFigure *metrics, *sensitivity;
  PlOwnedPanelsFigure *sanity;
  PlLayerSparsity ls0, ls1;
  char *layer_names[5];
  gint64 layer_sizes[4];
  double sp0[4], sp1[4];
  PlLayerBarsFigure *layer_bars;
  PlLayerSensitivity sens;
  double sens_sp[4], sens_acc[16], sens_drop[16];
  GPtrArray *strings;
} Figures;

static char *
keep (Figures *F, char *s)
{
  g_ptr_array_add (F->strings, s);
  return s;
}

static void
build_figures (Figures *F, gboolean long_labels)
{
  memset (F, 0, sizeof *F);
  F->strings = g_ptr_array_new_with_free_func (g_free);
  const char *const *cls = long_labels ? class_long : class_en;
  const char *pruned_title = long_labels ? "剪枝后 Pruned 90 %\npred. 外套 Coat (97.1 %)"
                                         : "Pruned 90 %\npred. Coat (97.1 %)";

  /* heatmaps */
  PlHeatmapFigure *h = &F->heat;
  h->title = long_labels ? "显著性图 Saliency for class “Ankle boot 踝靴 with more words”"
                         : "Saliency for class “Coat”";
  h->caption = "Vanilla gradient (Simonyan et al. 2014), max over channels of |∂f/∂x|, "
               "nearest-neighbour upsampling; Spearman ρ = 0.842, top-10 % overlap = 0.61";
  h->n_panels = 4;
  h->panels[0] = (PlHeatmapPanel) { long_labels ? "输入 Input #5\ntrue 外套 Coat" : "Input #5\ntrue Coat",
                                    NULL, img, 0.0, 0, NULL };
  h->panels[1] = (PlHeatmapPanel) { long_labels ? "原始 Original\npred. 外套 Coat (99.0 %)"
                                                : "Original\npred. Coat (99.0 %)",
                                    map_a, NULL, 1.0, 0, NULL };
  h->panels[2] = (PlHeatmapPanel) { (char *) pruned_title, map_b, NULL, 1.0, 0, outline };
  h->panels[3] = (PlHeatmapPanel) { "Difference\npruned − original", map_d, NULL, 1.0, 1, NULL };
  h->n_scales = 2;
  h->scales[0] = (PlColorScale) { PL_COLORMAP_VIRIDIS, 0.0, 1.0, "saliency |∂logit/∂x|" };
  h->scales[1] = (PlColorScale) { PL_COLORMAP_DIVERGING, -0.8, 0.8, "difference" };
  F->overlay = *h;
  F->overlay.panels[1].underlay = img;
  F->overlay.panels[1].overlay_alpha = 0.6;
  F->overlay.panels[2].underlay = img;
  F->overlay.panels[2].overlay_alpha = 0.6;
  F->overlay.scales[0].colormap = PL_COLORMAP_MAGMA;

  /* bars: 12 features, grouped, sorted, top 6 + others, error bars */
  PlBarFigure *b = &F->bars;
  for (gint i = 0; i < 12; i++) {
    double v = (i % 3 == 0 ? -1.0 : 1.0) * (12 - i) * 0.1;
    F->bar_values[i] = v;
    F->bar_values[12 + i] = v * (0.6 + 0.05 * (i % 4));
    for (gint g = 0; g < 2; g++) {
      F->err_lo[g * 12 + i] = F->bar_values[g * 12 + i] - 0.08 - 0.01 * i;
      F->err_hi[g * 12 + i] = F->bar_values[g * 12 + i] + 0.06;
    }
    F->bar_labels[i] = keep (F, long_labels ? g_strdup_printf ("第 %d 块 patch (row %d, col %d) %s", i,
                                                               i / 4, i % 4, cls[i % 10])
                                            : g_strdup_printf ("patch %d", i));
  }
  b->title = long_labels ? "特征重要性 Patch importance, mean over 100 images" : "Patch importance";
  b->caption = "mean ± 95 % bootstrap CI over 100 images; top 6 of 12 patches";
  b->value_label = "attribution (logit units)";
  b->n_groups = 2;
  b->group_names[0] = long_labels ? "原始网络 original network" : "original";
  b->group_names[1] = long_labels ? "剪枝网络 pruned network (90 % sparsity)" : "pruned";
  b->n_bars = 12;
  b->bar_labels = F->bar_labels;
  b->values = F->bar_values;
  b->sort = TRUE;
  b->top_k = 6;
  b->err_lo = F->err_lo;
  b->err_hi = F->err_hi;
  b->others = TRUE;

  /* line: complement-log x with bands */
  const double xs[6] = { 0.0, 0.5, 0.8, 0.9, 0.95, 0.99 };
  for (gint i = 0; i < 6; i++) {
    F->lx[i] = xs[i];
    F->ly[0][i] = 0.91 - 0.5 * xs[i] * xs[i] * xs[i] * xs[i] * xs[i];
    F->ly[1][i] = 1.0 - 0.7 * xs[i];
    F->ly[2][i] = 0.95 - 0.5 * xs[i];
    F->llo[i] = F->ly[1][i] - 0.08;
    F->lhi[i] = F->ly[1][i] + 0.05;
  }
  PlLineFigure *l = &F->line;
  l->title = long_labels ? "精度与解释相似度 Accuracy and explanation similarity against sparsity"
                         : "Accuracy and similarity against sparsity";
  l->caption = "global magnitude pruning · mean and 95 % bootstrap CI over 20 inputs";
  l->x_label = "sparsity (log scale of 1 − sparsity)";
  l->y_label = long_labels ? "相似度 similarity" : "value";
  l->x_scale = PL_AXIS_LOG_COMPLEMENT;
  l->x_percent = TRUE;
  l->y_min = 0.0;
  l->y_max = 1.0;
  l->n_series = 3;
  l->series[0] = (PlLineSeries) { long_labels ? "top-1 准确率 accuracy" : "top-1 accuracy", 6,
                                  F->lx, F->ly[0], NULL, NULL, FALSE, TRUE, 0 };
  l->series[1] = (PlLineSeries) { "Spearman of |φ|", 6, F->lx, F->ly[1], F->llo, F->lhi, FALSE,
                                  TRUE, 1 };
  l->series[2] = (PlLineSeries) { "top-10 % overlap", 6, F->lx, F->ly[2], NULL, NULL, TRUE, TRUE,
                                  2 };

  /* line: log y over categorical x (layer names) */
  static const char *const cats_en[5] = { "trained", "fc2", "fc1", "conv2", "conv1" };
  static const char *const cats_long[5] = { "trained 训练后", "/classifier/fc2/Gemm",
                                            "/classifier/fc1/Gemm", "/features/conv2/Conv",
                                            "/features/conv1/Conv" };
  for (gint i = 0; i < 5; i++) {
    F->ey[i] = pow (10.0, -0.6 * i);
    F->el[i] = i;
  }
  PlLineFigure *g = &F->line_log;
  g->title = "Log y axis over named steps";
  g->x_label = "layers randomised";
  g->y_label = "loss";
  g->y_scale = PL_AXIS_LOG;
  g->x_tick_labels = long_labels ? cats_long : cats_en;
  g->n_x_tick_labels = 5;
  g->n_series = 1;
  g->series[0] = (PlLineSeries) { "loss", 5, F->el, F->ey, NULL, NULL, FALSE, TRUE, 0 };

  /* confusion matrix */
  for (gint r = 0; r < 10; r++)
    for (gint c = 0; c < 10; c++)
      F->confusion[r * 10 + c] = r == c ? 900 - 37 * r : ((r * 7 + c * 3) % 11) * 3;
  PlMatrixFigure *m = &F->matrix;
  m->title = long_labels ? "混淆矩阵 Confusion matrix of the pruned network" : "Confusion matrix";
  m->caption = "10 000 test images";
  m->row_label = long_labels ? "真实类别 true class" : "true class";
  m->col_label = "predicted class";
  m->n_rows = m->n_cols = 10;
  m->row_names = cls;
  m->col_names = cls;
  m->values = F->confusion;
  m->scale = (PlColorScale) { PL_COLORMAP_VIRIDIS, 0, 0, "images" };
  m->show_values = TRUE;
  m->decimals = 0;

  /* histogram */
  guint32 st = 7;
  for (gint i = 0; i < 4000; i++) {
    double u = 0.0;
    for (int k = 0; k < 4; k++) {
      st = st * 1664525u + 1013904223u;
      u += (double) (st >> 8) / 16777216.0;
    }
    F->w0[i] = (float) ((u - 2.0) * 0.2);
    F->w1[i] = fabsf (F->w0[i]) < 0.12f ? 0.0f : F->w0[i];
  }
  PlHistogramFigure *hi = &F->hist;
  hi->title = long_labels ? "权重分布 Weights of the original and the pruned network" : "Weights";
  hi->caption = "all Conv and Gemm weights; pruned weights (exact zeros) left out";
  hi->x_label = "weight value";
  hi->n_bins = 40;
  hi->exclude_zeros = TRUE;
  hi->n_sets = 2;
  hi->names[0] = long_labels ? "原始 original" : "original";
  hi->names[1] = "pruned 90 %";
  hi->data[0] = F->w0;
  hi->data[1] = F->w1;
  hi->n[0] = hi->n[1] = 4000;

  /* filmstrip */
  PlFilmstripFigure *fs = &F->film;
  fs->title = long_labels ? "图像 5 的显著性 Saliency of image 5 (Ankle boot 踝靴 with more words) as the network is pruned"
                          : "Saliency of image 5 as the network is pruned";
  fs->caption = "max_c |∂logit/∂x| · one colour scale · top-1 accuracy on 2000 images";
  fs->n_frames = 6;
  for (gint k = 0; k < 6; k++) {
    F->film_titles[k] = keep (F, g_strdup_printf ("%g %%", 100.0 * xs[k]));
    F->film_sub[k] = keep (F, g_strdup_printf (long_labels ? "准确率 acc. %.1f %%" : "acc. %.1f %%",
                                               100.0 * F->ly[0][k]));
    fs->frames[k] = (PlFilmstripFrame) { F->film_titles[k], F->film_sub[k],
                                         k % 2 ? map_b : map_a, k >= 3 ? img : NULL, 0.7 };
  }
  fs->scale = (PlColorScale) { PL_COLORMAP_MAGMA, 0, 0, "|∂logit/∂x|" };

  /* training curves */
  for (gint e = 0; e < 8; e++) {
    F->loss[e] = 0.9 * exp (-0.35 * e) + 0.2;
    F->tloss[e] = 0.8 * exp (-0.3 * e) + 0.28;
    F->acc[e] = 0.95 - 0.25 * exp (-0.5 * e);
    F->tacc[e] = 0.91 - 0.2 * exp (-0.5 * e);
  }
  F->training = pl_training_figure_new (8, F->loss, F->acc, F->tloss, F->tacc, TRUE,
                                        long_labels ? "Adam 学习率 learning rate 0.001, minibatches of 64, seed 1"
                                                    : "Adam, learning rate 0.001, batch 64, seed 1");

  /* a sweep by hand: 5 points, faithfulness, randomisation */
  PlSweep *sw = &F->sweep;
  sw->options.topk_fraction = 0.1;
  sw->options.confidence = 0.95;
  sw->options.n_bootstrap = 2000;
  sw->options.seed = 1;
  sw->options.faithfulness = TRUE;
  sw->options.faithfulness_options.pixels_per_step = 16;
  sw->options.faithfulness_options.blur_sigma = 2.0;
  sw->n_indices = 20;
  sw->n_points = 5;
  sw->points = F->points;
  for (gint k = 0; k < 5; k++) {
    PlSweepPoint *p = &F->points[k];
    p->sparsity = p->sparsity_requested = xs[k];
    p->accuracy = F->ly[0][k];
    for (gint mm = 0; mm < PL_SWEEP_N_METRICS; mm++) {
      double v = mm <= PL_SWEEP_SSIM ? 1.0 - (0.5 + 0.05 * mm) * xs[k] * xs[k]
               : mm == PL_SWEEP_DELETION ? 0.2 + 0.3 * xs[k]
               : mm == PL_SWEEP_INSERTION ? 0.8 - 0.2 * xs[k]
               : mm == PL_SWEEP_ENTROPY ? 5.5 + xs[k] : 0.4 - 0.1 * xs[k];
      p->summary[mm] = (PlSummary) { 20, v, 0.1, v, v - 0.06 * xs[k] - 0.01,
                                     v + 0.04 * xs[k] + 0.01 };
    }
  }
  sw->original[PL_SWEEP_DELETION] = (PlSummary) { 20, 0.2, 0.1, 0.2, 0.18, 0.22 };
  sw->original[PL_SWEEP_INSERTION] = (PlSummary) { 20, 0.8, 0.1, 0.8, 0.78, 0.82 };
  static const char *const rc_en[5] = { "", "fc2", "fc1", "conv2", "conv1" };
  static const char *const rc_long[5] = { "", "/classifier/fc2/Gemm", "/classifier/fc1/Gemm",
                                          "/features/conv2/Conv", "/features/conv1/Conv" };
  for (gint s = 0; s < 5; s++) {
    F->rc_names[s] = (char *) (long_labels ? rc_long : rc_en)[s];
    double v = s == 0 ? 1.0 : 0.55 - 0.1 * s;
    F->rc_topk[s] = s == 0 ? 1.0 : 0.3 - 0.04 * s;
    F->rc_ssim[s] = s == 0 ? 1.0 : 0.4 - 0.05 * s;
    F->rc_sp[s] = (PlSummary) { 10, v, 0.1, v, v - 0.05, v + 0.05 };
  }
  F->rc.n_steps = 5;
  F->rc.layer_names = F->rc_names;
  F->rc.n_inputs = 10;
  F->rc.topk = F->rc_topk;
  F->rc.ssim = F->rc_ssim;
  sw->randomisation = &F->rc;
  sw->randomisation_spearman_abs = F->rc_sp;
  const PlSweepMetric faith[2] = { PL_SWEEP_DELETION, PL_SWEEP_INSERTION };
  F->metrics = pl_sweep_metrics_figure_new (sw, faith, 2, TRUE);
  F->sanity = pl_sweep_sanity_figure_new (sw, TRUE);

  /* layers */
  static const char *const ln_en[4] = { "conv1", "conv2", "fc1", "fc2" };
  static const char *const ln_long[4] = { "/features/conv1/Conv 卷积层一", "/features/conv2/Conv",
                                          "/classifier/fc1/Gemm 全连接", "/classifier/fc2/Gemm" };
  const gint64 sizes[4] = { 144, 4608, 200704, 1280 };
  for (gint i = 0; i < 4; i++) {
    F->layer_names[i] = (char *) (long_labels ? ln_long : ln_en)[i];
    F->layer_sizes[i] = sizes[i];
    F->sp0[i] = 0.0;
    F->sp1[i] = (double[]) { 0.35, 0.71, 0.93, 0.48 }[i];
  }
  F->ls0 = (PlLayerSparsity) { 4, F->layer_names, F->layer_sizes, NULL, F->sp0 };
  F->ls1 = (PlLayerSparsity) { 4, F->layer_names, F->layer_sizes, NULL, F->sp1 };
  F->layer_bars = pl_layer_sparsity_figure_new (&F->ls0, &F->ls1);
  const double ssp[4] = { 0.0, 0.5, 0.9, 0.99 };
  for (gint j = 0; j < 4; j++)
    F->sens_sp[j] = ssp[j];
  for (gint l2 = 0; l2 < 4; l2++)
    for (gint j = 0; j < 4; j++) {
      F->sens_acc[l2 * 4 + j] = 0.91 - (0.1 + 0.2 * l2) * pow (ssp[j], 3.0 - 0.5 * l2);
      F->sens_drop[l2 * 4 + j] = 0.91 - F->sens_acc[l2 * 4 + j];
    }
  F->sens = (PlLayerSensitivity) { 4, F->layer_names, F->layer_sizes, 4, F->sens_sp, 2000,
                                   0.91, F->sens_acc, F->sens_drop, 0.0 };
  F->sensitivity = pl_sensitivity_figure_new (&F->sens);
}

static void
free_figures (Figures *F)
{
  pl_owned_panels_figure_free (F->training);
  pl_owned_line_figure_free (F->metrics);
  pl_owned_line_figure_free (F->sensitivity);
  pl_owned_panels_figure_free (F->sanity);
  pl_layer_bars_figure_free (F->layer_bars);
  g_ptr_array_unref (F->strings);
}

static gint
list_figures (Figures *F, Fig *out)
{
  gint n = 0;
  out[n++] = (Fig) { "heatmap", (PlDrawFunc) pl_heatmap_figure_draw, &F->heat, 0.42 };
  out[n++] = (Fig) { "heatmap-overlay", (PlDrawFunc) pl_heatmap_figure_draw, &F->overlay, 0.42 };
  out[n++] = (Fig) { "bars", (PlDrawFunc) pl_bar_figure_draw, &F->bars, 0.62 };
  out[n++] = (Fig) { "line", (PlDrawFunc) pl_line_figure_draw, &F->line, 0.62 };
  out[n++] = (Fig) { "line-log", (PlDrawFunc) pl_line_figure_draw, &F->line_log, 0.62 };
  out[n++] = (Fig) { "matrix", (PlDrawFunc) pl_matrix_figure_draw, &F->matrix, 0.8 };
  out[n++] = (Fig) { "histogram", (PlDrawFunc) pl_histogram_figure_draw, &F->hist, 0.62 };
  out[n++] = (Fig) { "filmstrip", (PlDrawFunc) pl_filmstrip_figure_draw, &F->film, 0.4 };
  out[n++] = (Fig) { "training", (PlDrawFunc) pl_line_panels_figure_draw,
                     &F->training->figure, 0.5 };
  out[n++] = (Fig) { "sweep-faithfulness", (PlDrawFunc) pl_line_figure_draw,
                     &F->metrics->figure, 0.62 };
  out[n++] = (Fig) { "sanity", (PlDrawFunc) pl_line_panels_figure_draw, &F->sanity->figure,
                     0.5 };
  out[n++] = (Fig) { "layer-sparsity", (PlDrawFunc) pl_bar_figure_draw,
                     &F->layer_bars->figure, 0.55 };
  out[n++] = (Fig) { "sensitivity", (PlDrawFunc) pl_line_figure_draw,
                     &F->sensitivity->figure, 0.62 };
  return n;
}

#define MAX_FIGS 16

/* Fails with the number of problems, listed on stderr (Check's messages are short). */
static void
check_failures (GString *failures)
{
  guint n = 0;
  for (gsize i = 0; i < failures->len; i++)
    n += failures->str[i] == '\n';
  if (n > 0)
    g_printerr ("%s", failures->str);
  g_string_free (failures, TRUE);
  ck_assert_msg (n == 0, "%u problems (listed on stderr)", n);
}

/* ---- image comparison -------------------------------------------------------------- */

typedef struct {
  double mean;        /* mean over pixels of the largest channel difference, 0..255 */
  double share;       /* share of pixels whose largest channel difference exceeds 64 */
} Diff;

static int
pixel_diff (guint32 pa, guint32 pb)
{
  /* transparent (rsvg / pdftoppm outside the page) counts as white */
  if ((pa >> 24) == 0)
    pa = 0xffffffff;
  if ((pb >> 24) == 0)
    pb = 0xffffffff;
  int m = 0;
  for (int k = 0; k < 3; k++)
    m = MAX (m, abs ((int) ((pa >> (8 * k)) & 0xff) - (int) ((pb >> (8 * k)) & 0xff)));
  return m;
}

/* With radius 1 every pixel is compared with the best match among the 3 × 3 pixels around
 * it in the other image (both ways): rasterisers that place anti-aliased edges a fraction of
 * a pixel apart agree, a missing line, panel or label does not. Radius 0: pixel by pixel. */
static gboolean
compare_png_radius (const char *a, const char *b, int radius, Diff *d)
{
  cairo_surface_t *sa = cairo_image_surface_create_from_png (a);
  cairo_surface_t *sb = cairo_image_surface_create_from_png (b);
  gboolean ok = cairo_surface_status (sa) == CAIRO_STATUS_SUCCESS &&
                cairo_surface_status (sb) == CAIRO_STATUS_SUCCESS &&
                cairo_image_surface_get_width (sa) == cairo_image_surface_get_width (sb) &&
                cairo_image_surface_get_height (sa) == cairo_image_surface_get_height (sb);
  if (ok) {
    int w = cairo_image_surface_get_width (sa), h = cairo_image_surface_get_height (sa);
    const guint8 *da = cairo_image_surface_get_data (sa), *db = cairo_image_surface_get_data (sb);
    int ra = cairo_image_surface_get_stride (sa), rb = cairo_image_surface_get_stride (sb);
    double sum = 0.0;
    gint64 big = 0;
#define PX(base, stride, x, y) (((const guint32 *) ((base) + (y) * (stride)))[x])
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        int worst = 0;
        for (int dir = 0; dir < 2; dir++) {
          const guint8 *p = dir ? db : da, *q = dir ? da : db;
          int rp = dir ? rb : ra, rq = dir ? ra : rb;
          int best = 255;
          for (int dy = -radius; dy <= radius; dy++)
            for (int dx = -radius; dx <= radius; dx++) {
              int xx = CLAMP (x + dx, 0, w - 1), yy = CLAMP (y + dy, 0, h - 1);
              best = MIN (best, pixel_diff (PX (p, rp, x, y), PX (q, rq, xx, yy)));
            }
          worst = MAX (worst, best);
        }
        sum += worst;
        big += worst > 64;
      }
#undef PX
    d->mean = sum / ((double) w * h);
    d->share = (double) big / ((double) w * h);
  }
  cairo_surface_destroy (sa);
  cairo_surface_destroy (sb);
  return ok;
}

static gboolean
compare_png (const char *a, const char *b, Diff *d)
{
  return compare_png_radius (a, b, 0, d);
}

/* Golden size: 432 × (432 · aspect) points at 72 dpi = pixels. */
#define GOLDEN_W 432.0

static char *
render_png (const Fig *f, const char *suffix)
{
  g_autofree char *name = g_strdup_printf ("%s%s.png", f->name, suffix);
  char *path = g_build_filename (tmpdir, name, NULL);
  GError *error = NULL;
  double w_in = GOLDEN_W / 72.0, h_in = round (GOLDEN_W * f->aspect) / 72.0;
  ck_assert_msg (pl_render_png (f->draw, f->figure, w_in, h_in, 72.0, path, f->name, NULL,
                                &error), "%s", error ? error->message : "");
  return path;
}

START_TEST (test_golden)
{
  Figures F;
  build_figures (&F, FALSE);
  Fig figs[MAX_FIGS];
  gint n = list_figures (&F, figs);
  gboolean update = g_strcmp0 (g_getenv ("PL_UPDATE_GOLDEN"), "1") == 0;
  ck_assert_msg (g_getenv ("PL_SOURCE_DIR") != NULL,
                 "PL_SOURCE_DIR (the source root) is not set: run through meson test");
  g_autofree char *golden_dir = g_build_filename (g_getenv ("PL_SOURCE_DIR"), "tests", "render",
                                                  "golden", NULL);
  GString *failures = g_string_new (NULL);
  for (gint i = 0; i < n; i++) {
    g_autofree char *png = render_png (&figs[i], "");
    g_autofree char *name = g_strdup_printf ("%s.png", figs[i].name);
    g_autofree char *golden = g_build_filename (golden_dir, name, NULL);
    if (update) {
      g_autofree char *data = NULL;
      gsize len = 0;
      ck_assert (g_file_get_contents (png, &data, &len, NULL));
      g_mkdir_with_parents (golden_dir, 0755);
      ck_assert (g_file_set_contents (golden, data, (gssize) len, NULL));
      continue;
    }
    Diff d;
    if (!compare_png (png, golden, &d)) {
      g_string_append_printf (failures, "%s: no golden of the same size at %s "
                              "(PL_UPDATE_GOLDEN=1 writes it)\n", figs[i].name, golden);
      continue;
    }
    if (d.mean > 1.0 || d.share > 0.003)
      g_string_append_printf (failures, "%s: differs from %s: mean %.3f, share %.4f\n",
                              figs[i].name, golden, d.mean, d.share);
  }
  check_failures (failures);
  free_figures (&F);
}
END_TEST

/* The tolerance catches what matters: one map panel or one colorbar missing. */
START_TEST (test_golden_tolerance_fails)
{
  Figures F;
  build_figures (&F, FALSE);
  Fig figs[MAX_FIGS];
  list_figures (&F, figs);
  g_autofree char *a = render_png (&figs[0], "-a");
  F.heat.panels[2].map = NULL;   /* the pruned panel drawn empty */
  g_autofree char *b = render_png (&figs[0], "-b");
  Diff d;
  ck_assert (compare_png (a, b, &d));
  ck_assert_msg (d.mean > 1.0 || d.share > 0.003, "mean %.3f share %.4f", d.mean, d.share);
  F.heat.panels[2].map = map_b;
  F.heat.n_scales = 1;           /* one colorbar fewer */
  F.heat.panels[3].scale = 0;
  g_autofree char *c = render_png (&figs[0], "-c");
  ck_assert (compare_png (a, c, &d));
  ck_assert_msg (d.mean > 1.0 || d.share > 0.003, "mean %.3f share %.4f", d.mean, d.share);
  /* and an identical drawing passes with zero difference */
  F.heat.n_scales = 2;
  F.heat.panels[3].scale = 1;
  g_autofree char *e = render_png (&figs[0], "-e");
  ck_assert (compare_png (a, e, &d));
  ck_assert_double_eq (d.mean, 0.0);
  free_figures (&F);
}
END_TEST

/* Replaces the PNG at path by its 4 × 4 box average (on white). */
static gboolean
reduce4 (const char *path)
{
  cairo_surface_t *big = cairo_image_surface_create_from_png (path);
  if (cairo_surface_status (big) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy (big);
    return FALSE;
  }
  int W = cairo_image_surface_get_width (big) / 4, H = cairo_image_surface_get_height (big) / 4;
  cairo_surface_t *small = cairo_image_surface_create (CAIRO_FORMAT_RGB24, W, H);
  const guint8 *src = cairo_image_surface_get_data (big);
  guint8 *dst = cairo_image_surface_get_data (small);
  int rs = cairo_image_surface_get_stride (big), rd = cairo_image_surface_get_stride (small);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      double acc[3] = { 0, 0, 0 };
      for (int dy = 0; dy < 4; dy++)
        for (int dx = 0; dx < 4; dx++) {
          guint32 p = ((const guint32 *) (src + (4 * y + dy) * rs))[4 * x + dx];
          double a = (p >> 24) / 255.0;
          for (int k = 0; k < 3; k++)   /* premultiplied over white */
            acc[k] += ((p >> (8 * k)) & 0xff) + 255.0 * (1.0 - a);
        }
      guint32 q = 0xff000000u;
      for (int k = 0; k < 3; k++)
        q |= (guint32) lround (acc[k] / 16.0) << (8 * k);
      ((guint32 *) (dst + y * rd))[x] = q;
    }
  cairo_surface_mark_dirty (small);
  gboolean ok = cairo_surface_write_to_png (small, path) == CAIRO_STATUS_SUCCESS;
  cairo_surface_destroy (big);
  cairo_surface_destroy (small);
  return ok;
}

static gboolean
run (const char *const *argv, GError **error)
{
  gint status = 0;
  g_autofree char *err = NULL;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &err, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, error)) {
    g_prefix_error (error, "%s: %s", argv[0], err ? err : "");
    return FALSE;
  }
  return TRUE;
}

START_TEST (test_vector_matches_png)
{
  g_autofree char *rsvg = g_find_program_in_path ("rsvg-convert");
  g_autofree char *pdftoppm = g_find_program_in_path ("pdftoppm");
  ck_assert_msg (rsvg != NULL && pdftoppm != NULL,
                 "rsvg-convert (librsvg2-bin) and pdftoppm (poppler-utils) are needed: "
                 "tools/install-deps installs them");
  Figures F;
  build_figures (&F, FALSE);
  Fig figs[MAX_FIGS];
  gint n = list_figures (&F, figs);
  GString *failures = g_string_new (NULL);
  /* the base kinds (the other figures are built of line plots and bars) */
  static const char *const kinds[] = { "heatmap", "bars", "line", "matrix", "histogram",
                                       "filmstrip", NULL };
  for (gint i = 0; i < n; i++) {
    const Fig *f = &figs[i];
    if (!g_strv_contains ((const char *const *) kinds, f->name))
      continue;
    g_autofree char *png = render_png (f, "");
    double w = GOLDEN_W, h = round (GOLDEN_W * f->aspect);
    g_autofree char *svg = g_strdup_printf ("%s/%s.svg", tmpdir, f->name);
    g_autofree char *pdf = g_strdup_printf ("%s/%s.pdf", tmpdir, f->name);
    g_autofree char *svg_png = g_strdup_printf ("%s/%s-svg.png", tmpdir, f->name);
    g_autofree char *pdf_base = g_strdup_printf ("%s/%s-pdf", tmpdir, f->name);
    g_autofree char *pdf_png = g_strdup_printf ("%s.png", pdf_base);
    GError *error = NULL;
    ck_assert (pl_render_svg (f->draw, f->figure, w / 72.0, h / 72.0, svg, f->name, NULL, &error));
    ck_assert (pl_render_pdf (f->draw, f->figure, w / 72.0, h / 72.0, pdf, f->name, NULL, &error));
    /* rasterised at 4 × the resolution and reduced by 4 × 4 box averages: area coverage
     * like cairo's anti-aliasing, without the rasterisers' own stroke adjustment and hinting
     * of thin lines and small text */
    g_autofree char *ws = g_strdup_printf ("%d", 4 * (int) w);
    g_autofree char *hs = g_strdup_printf ("%d", 4 * (int) h);
    const char *a1[] = { "rsvg-convert", "-w", ws, "-h", hs, "-o", svg_png, svg, NULL };
    ck_assert_msg (run (a1, &error), "%s", error ? error->message : "");
    const char *a2[] = { "pdftoppm", "-r", "288", "-png", "-singlefile", pdf, pdf_base, NULL };
    ck_assert_msg (run (a2, &error), "%s", error ? error->message : "");
    ck_assert (reduce4 (svg_png));
    ck_assert (reduce4 (pdf_png));
    const char *what[2] = { "SVG", "PDF" };
    const char *files[2] = { svg_png, pdf_png };
    for (int k = 0; k < 2; k++) {
      Diff d;
      if (!compare_png_radius (png, files[k], 1, &d))
        g_string_append_printf (failures, "%s: the %s rasterises to another size\n", f->name,
                                what[k]);
      else if (d.mean > 3.0 || d.share > 0.006)
        g_string_append_printf (failures, "%s: %s differs from the PNG: mean %.3f, share %.4f\n",
                                f->name, what[k], d.mean, d.share);
      if (g_getenv ("PL_GOLDEN_VERBOSE"))
        g_printerr ("%s %s: mean %.3f share %.4f\n", f->name, what[k], d.mean, d.share);
    }
  }
  check_failures (failures);
  free_figures (&F);
}
END_TEST

/* ---- text layout ------------------------------------------------------------------- */

typedef struct {
  double x[4], y[4];
} Quad;

static void
box_quad (const PlTextBox *b, Quad *q)
{
  double xs[4] = { b->x0, b->x1, b->x1, b->x0 }, ys[4] = { b->y0, b->y0, b->y1, b->y1 };
  memcpy (q->x, xs, sizeof xs);
  memcpy (q->y, ys, sizeof ys);
}

/* Two text rectangles (possibly rotated) intersect by more than tol: separating axis
 * theorem over the four edge directions of the two rectangles. */
static gboolean
boxes_overlap (const PlTextBox *a, const PlTextBox *b, double tol)
{
  if (MIN (a->x1, b->x1) - MAX (a->x0, b->x0) <= tol ||
      MIN (a->y1, b->y1) - MAX (a->y0, b->y0) <= tol)
    return FALSE;
  const PlTextBox *boxes[2] = { a, b };
  for (int p = 0; p < 2; p++)
    for (int e = 0; e < 2; e++) {
      const PlTextBox *q = boxes[p];
      double ex = q->qx[e + 1] - q->qx[e], ey = q->qy[e + 1] - q->qy[e];
      double len = hypot (ex, ey);
      if (len <= 0)
        continue;
      double nx = -ey / len, ny = ex / len;
      double lo[2] = { INFINITY, INFINITY }, hi[2] = { -INFINITY, -INFINITY };
      for (int r = 0; r < 2; r++)
        for (int k = 0; k < 4; k++) {
          double t = boxes[r]->qx[k] * nx + boxes[r]->qy[k] * ny;
          lo[r] = MIN (lo[r], t);
          hi[r] = MAX (hi[r], t);
        }
      if (MIN (hi[0], hi[1]) - MAX (lo[0], lo[1]) <= tol)
        return FALSE;
    }
  return TRUE;
}

START_TEST (test_text_layout)
{
  const double widths_cm[3] = { 8.0, 15.0, 30.0 };
  const double dpi = 96.0;
  GString *failures = g_string_new (NULL);
  for (int variant = 0; variant < 2; variant++) {
    Figures F;
    build_figures (&F, variant == 1);
    Fig figs[MAX_FIGS];
    gint n = list_figures (&F, figs);
    for (gint i = 0; i < n; i++)
      for (int wi = 0; wi < 3; wi++) {
        int W = (int) lround (widths_cm[wi] / 2.54 * dpi);
        int H = (int) lround (W * figs[i].aspect);
        cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
        cairo_t *cr = cairo_create (s);
        pl_text_record_begin ();
        figs[i].draw (cr, W, H, figs[i].figure);
        GArray *boxes = pl_text_record_end ();
        if (g_getenv ("PL_GOLDEN_KEEP") != NULL) {
          g_autofree char *png = g_strdup_printf ("%s/layout-%s-%d-%d.png", tmpdir, figs[i].name,
                                                  variant, (int) widths_cm[wi]);
          cairo_surface_write_to_png (s, png);
        }
        cairo_destroy (cr);
        cairo_surface_destroy (s);
        ck_assert_ptr_nonnull (boxes);
        if (boxes->len < 2)
          g_string_append_printf (failures, "%s at %g cm: only %u text items drawn\n",
                                  figs[i].name, widths_cm[wi], boxes->len);
        for (guint a = 0; a < boxes->len; a++) {
          const PlTextBox *p = &g_array_index (boxes, PlTextBox, a);
          if (p->x0 < -0.5 || p->y0 < -0.5 || p->x1 > W + 0.5 || p->y1 > H + 0.5)
            g_string_append_printf (failures, "%s%s at %g cm: “%s” leaves the %d × %d figure "
                                    "(%.1f, %.1f)–(%.1f, %.1f)\n", figs[i].name,
                                    variant ? " (long labels)" : "", widths_cm[wi], p->text, W,
                                    H, p->x0, p->y0, p->x1, p->y1);
          for (guint b = a + 1; b < boxes->len; b++) {
            const PlTextBox *q = &g_array_index (boxes, PlTextBox, b);
            if (boxes_overlap (p, q, 0.75))
              g_string_append_printf (failures, "%s%s at %g cm: “%s” and “%s” overlap\n",
                                      figs[i].name, variant ? " (long labels)" : "",
                                      widths_cm[wi], p->text, q->text);
          }
        }
        g_array_unref (boxes);
      }
    free_figures (&F);
  }
  check_failures (failures);
}
END_TEST

/* The check can fail: two labels drawn on top of each other are reported. */
START_TEST (test_text_layout_detects)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 200, 100);
  cairo_t *cr = cairo_create (s);
  pl_text_record_begin ();
  pl_draw_text (cr, 100, 50, "overlapping", 12, 0.5, 0.5);
  pl_draw_text (cr, 104, 52, "labels", 12, 0.5, 0.5);
  pl_draw_text (cr, 198, 10, "clipped", 12, 0.0, 0.0);
  GArray *boxes = pl_text_record_end ();
  cairo_destroy (cr);
  cairo_surface_destroy (s);
  ck_assert_int_eq (boxes->len, 3);
  const PlTextBox *a = &g_array_index (boxes, PlTextBox, 0);
  const PlTextBox *b = &g_array_index (boxes, PlTextBox, 1);
  const PlTextBox *c = &g_array_index (boxes, PlTextBox, 2);
  ck_assert (boxes_overlap (a, b, 0.75));
  ck_assert (!boxes_overlap (a, c, 0.75));
  ck_assert (c->x1 > 200);
  ck_assert_str_eq (a->text, "overlapping");
  Quad q;
  box_quad (a, &q);
  ck_assert (q.x[1] > q.x[0]);
  g_array_unref (boxes);
  /* nothing is recorded when no recording is on */
  ck_assert_ptr_null (pl_text_record_end ());
}
END_TEST

/* ---- Chinese text ------------------------------------------------------------------ */

START_TEST (test_cjk_glyphs)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 240, 60);
  cairo_t *cr = cairo_create (s);
  const char *text = "原始网络与剪枝网络";
  PangoLayout *layout = pl_text_layout (cr, text, 20.0, FALSE, 0, 0.0);
  ck_assert_msg (pango_layout_get_unknown_glyphs_count (layout) == 0,
                 "no font for Chinese: install fonts-noto-cjk (tools/install-deps)");
  /* the font pango chose for the text is a CJK font */
  PangoLayoutIter *it = pango_layout_get_iter (layout);
  PangoLayoutRun *run = pango_layout_iter_get_run_readonly (it);
  ck_assert_ptr_nonnull (run);
  PangoFontDescription *desc = pango_font_describe (run->item->analysis.font);
  g_autofree char *family = g_strdup (pango_font_description_get_family (desc));
  pango_font_description_free (desc);
  pango_layout_iter_free (it);
  ck_assert_msg (strstr (family, "CJK") != NULL || strstr (family, "Droid Sans Fallback") != NULL,
                 "Chinese drawn with “%s”", family);
  /* and it leaves ink: glyphs, not nothing */
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_move_to (cr, 5, 5);
  pango_cairo_show_layout (cr, layout);
  cairo_surface_flush (s);
  const guint8 *d = cairo_image_surface_get_data (s);
  int stride = cairo_image_surface_get_stride (s);
  gint64 dark = 0;
  for (int y = 0; y < 60; y++)
    for (int x = 0; x < 240; x++)
      dark += (((const guint32 *) (d + y * stride))[x] & 0xff) < 128;
  ck_assert_int_gt (dark, 200);
  g_object_unref (layout);
  /* a character no font has is counted: the check can fail */
  PangoLayout *bad = pl_text_layout (cr, "\xf3\xb0\x80\x80", 20.0, FALSE, 0, 0.0); /* U+F0000 */
  ck_assert_int_gt (pango_layout_get_unknown_glyphs_count (bad), 0);
  g_object_unref (bad);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}
END_TEST

int
main (void)
{
  setlocale (LC_ALL, "C.UTF-8");
  make_maps ();
  Suite *s = suite_create ("render-golden");
  const char *names[3] = { "golden", "vector", "text" };
  for (int k = 0; k < 3; k++) {
    TCase *tc = tcase_create (names[k]);
    tcase_set_timeout (tc, 120);
    tcase_add_checked_fixture (tc, setup, teardown);
    if (k == 0) {
      tcase_add_test (tc, test_golden);
      tcase_add_test (tc, test_golden_tolerance_fails);
    } else if (k == 1) {
      tcase_add_test (tc, test_vector_matches_png);
    } else {
      tcase_add_test (tc, test_text_layout);
      tcase_add_test (tc, test_text_layout_detects);
      tcase_add_test (tc, test_cjk_glyphs);
    }
    suite_add_tcase (s, tc);
  }
  SRunner *sr = srunner_create (s);
  srunner_set_fork_status (sr, CK_NOFORK);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  free_maps ();
  return failed == 0 ? 0 : 1;
}
