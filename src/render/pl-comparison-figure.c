#include "config.h"
#include "pl-comparison-figure.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include "pl-error.h"
#include "pl-table-figure.h"

struct _PlComparisonFigure {
  PlFigureKind kind;
  PlHeatmapFigure heatmap;
  PlBarFigure bars;
  GPtrArray *tensors;      /* owned references behind the borrowed panel maps */
  GPtrArray *strings;      /* owned strings behind the figure's const labels */
  double *bar_values;
  char *description;
  double width_in, height_in;
  PlTableFigure *table;    /* a table row's comparison (image [1, F]): feature bars */
};


const char *
pl_figure_context_sparsity_text (const PlFigureContext *ctx)
{
  static __thread char buf[256];
  g_autofree char *t = pl_sparsity_label (ctx->target_sparsity, ctx->sparsity);
  g_strlcpy (buf, t, sizeof buf);
  return buf;
}

const char *
pl_figure_context_sparsity_short (const PlFigureContext *ctx)
{
  static __thread char buf[64];
  g_autofree char *t = pl_sparsity_label (0.0, ctx->sparsity);
  g_strlcpy (buf, t, sizeof buf);
  return buf;
}

static const char *
keep_string (PlComparisonFigure *fig, char *s)
{
  g_ptr_array_add (fig->strings, s);
  return s;
}

static const PlTensor *
keep_tensor (PlComparisonFigure *fig, PlTensor *t)
{
  g_ptr_array_add (fig->tensors, pl_tensor_ref (t));
  return t;
}

/* "0.842", or "undefined" when a map is constant (NaN). */
static char *
fmt_stat (double v, const char *fmt)
{
  if (isnan (v))
    return g_strdup (_("undefined (a map is constant)"));
  return g_strdup_printf (fmt, v);
}

#define PRUNING(ctx) ((ctx)->pruning ? (ctx)->pruning : _("global magnitude pruning"))

static const char *
class_name (const PlFigureContext *ctx, gint k)
{
  if (ctx->class_names != NULL && k >= 0 && k < ctx->n_classes)
    return _(ctx->class_names[k]);
  return "?";
}

static double
max_abs2 (const PlTensor *a, const PlTensor *b)
{
  double m = MAX (pl_tensor_max_abs (a), pl_tensor_max_abs (b));
  return m > 0.0 ? m : 1.0;
}

/* "Original · Ankle boot 97.1 %" style panel titles. */
static char *
network_title (const PlComparison *cmp, const PlFigureContext *ctx, gint g)
{
  const char *who = g == 0 ? _("Original") : NULL;
  g_autofree char *pruned = NULL;
  if (g == 1)
    pruned = g_strdup_printf (_("Pruned %s"), pl_figure_context_sparsity_short (ctx));
  return g_strdup_printf (_("%s\npred. %s (%.1f %%)"), g == 0 ? who : pruned,
                          class_name (ctx, cmp->pred[g]), 100.0 * cmp->prob[g]);
}

static void
setup_input_panel (PlComparisonFigure *fig, const PlComparison *cmp, const PlFigureContext *ctx)
{
  PlHeatmapPanel *p = &fig->heatmap.panels[fig->heatmap.n_panels++];
  /* A [H, W] view of channel 0 of the [1, C, H, W] image. */
  PlTensor *grey = pl_tensor_new_2d (cmp->image->shape[2], cmp->image->shape[3]);
  memcpy (grey->data, cmp->image->data, sizeof (float) * grey->numel);
  keep_tensor (fig, grey);
  pl_tensor_unref (grey);
  p->title = (char *) keep_string (fig, g_strdup_printf (_("Input #%d\ntrue %s"),
                                                         (int) cmp->index, class_name (ctx, cmp->label)));
  p->map = NULL;
  p->underlay = grey;
  p->overlay_alpha = 0.0;
  p->scale = 0;
}

static void
build_heatmaps (PlComparisonFigure *fig, const PlComparison *cmp, const PlFigureContext *ctx,
                gboolean shap)
{
  PlHeatmapFigure *h = &fig->heatmap;
  h->dark = ctx->dark;
  setup_input_panel (fig, cmp, ctx);

  PlTensor *const *maps = shap ? cmp->shap_map : cmp->saliency;
  PlTensor *diff = shap ? cmp->shap_diff : cmp->saliency_diff;
  double m = max_abs2 (maps[0], maps[1]);
  double d = pl_tensor_max_abs (diff);
  if (d <= 0.0)
    d = m;   /* identical maps: keep the difference scale comparable */

  for (gint g = 0; g < 2; g++)
    {
      PlHeatmapPanel *p = &h->panels[h->n_panels++];
      p->title = (char *) keep_string (fig, network_title (cmp, ctx, g));
      p->map = keep_tensor (fig, maps[g]);
      p->overlay_alpha = 1.0;
      p->scale = 0;
      if (ctx->overlay_alpha > 0.0 && isfinite (ctx->overlay_alpha))
        {
          /* over the input image (the first panel's grey underlay) */
          p->underlay = h->panels[0].underlay;
          p->overlay_alpha = MIN (ctx->overlay_alpha, 1.0);
        }
      if (shap)
        p->outline = cmp->grid->labels;
    }
  PlHeatmapPanel *p = &h->panels[h->n_panels++];
  p->title = (char *) keep_string (fig, g_strdup (_("Difference\npruned − original")));
  p->map = keep_tensor (fig, diff);
  p->overlay_alpha = 1.0;
  p->scale = 1;
  if (shap)
    p->outline = cmp->grid->labels;

  h->n_scales = 2;
  if (shap)
    {
      h->scales[0] = (PlColorScale) { PL_COLORMAP_DIVERGING, -m, m,
                                      (char *) keep_string (fig, g_strdup (_("SHAP value (logit)"))) };
    }
  else if (pl_map_method_is_signed (cmp->options.method))
    {
      h->scales[0] = (PlColorScale) { PL_COLORMAP_DIVERGING, -m, m,
                                      (char *) keep_string (fig, g_strdup (_("attribution (logit)"))) };
    }
  else if (cmp->options.method == PL_MAP_SALIENCY)
    {
      h->scales[0] = (PlColorScale) { pl_render_get_sequential_colormap (), 0.0, m,
                                      (char *) keep_string (fig, g_strdup (_("saliency |∂logit/∂x|"))) };
    }
  else
    {
      h->scales[0] = (PlColorScale) { pl_render_get_sequential_colormap (), 0.0, m,
                                      (char *) keep_string (fig, g_strdup (_("attribution"))) };
    }
  h->scales[1] = (PlColorScale) { PL_COLORMAP_DIVERGING, -d, d,
                                  (char *) keep_string (fig, g_strdup (_("difference"))) };

  const PlSimilarity *sim = shap ? &cmp->shap_similarity : &cmp->saliency_similarity;
  g_autofree char *rho = fmt_stat (sim->spearman, "%.3f");
  g_autofree char *overlap = fmt_stat (sim->topk_intersection, "%.2f");
  if (shap)
    {
      h->title = (char *) keep_string (fig, g_strdup_printf (_("KernelSHAP for class “%s”"),
                                                             class_name (ctx, cmp->target)));
      fig->description = g_strdup_printf (
          _("KernelSHAP (Lundberg & Lee 2017) of the logit of class “%s” over %d × %d patches, "
            "hidden patches set to %.2f, %d coalitions, seed %llu; "
            "φ₀ = %.3f / %.3f (original / pruned); Spearman ρ = %s, top-%.0f %% overlap = %s; "
            "%s, %s to %s, %s"),
          class_name (ctx, cmp->target), cmp->options.grid, cmp->options.grid,
          cmp->options.baseline, cmp->shap_evaluations, (unsigned long long) cmp->options.seed,
          cmp->shap_phi0[0], cmp->shap_phi0[1], rho,
          100.0 * cmp->options.topk_fraction, overlap,
          ctx->model_name, PRUNING (ctx), pl_figure_context_sparsity_text (ctx), ctx->dataset_name);
    }
  else if (cmp->options.method != PL_MAP_SALIENCY)
    {
      const char *label = _(pl_map_method_label (cmp->options.method));
      h->title = (char *) keep_string (fig, g_strdup_printf (_("%s for class “%s”"), label,
                                                             class_name (ctx, cmp->target)));
      g_autofree char *residual = NULL;
      if (!isnan (cmp->map_residual[0]))
        residual = g_strdup_printf (_("; completeness residual %.3g / %.3g (original / pruned)"),
                                    cmp->map_residual[0], cmp->map_residual[1]);
      fig->description = g_strdup_printf (
          _("%s (%s) for class “%s” (the original prediction), channels summed, "
            "nearest-neighbour upsampling%s; Spearman ρ = %s, top-%.0f %% overlap = %s; %s, "
            "%s to %s, %s"),
          label, cmp->map_parameters ? cmp->map_parameters : "", class_name (ctx, cmp->target),
          residual ? residual : "", rho, 100.0 * cmp->options.topk_fraction, overlap,
          ctx->model_name, PRUNING (ctx), pl_figure_context_sparsity_text (ctx), ctx->dataset_name);
    }
  else
    {
      h->title = (char *) keep_string (fig, g_strdup_printf (_("Saliency for class “%s”"),
                                                             class_name (ctx, cmp->target)));
      fig->description = g_strdup_printf (
          _("Vanilla gradient (Simonyan et al. 2014), max over channels of |∂f/∂x| for class "
            "“%s” (the original prediction), nearest-neighbour upsampling; Spearman ρ = %s, "
            "top-%.0f %% overlap = %s; %s, %s to %s, %s"),
          class_name (ctx, cmp->target), rho, 100.0 * cmp->options.topk_fraction,
          overlap, ctx->model_name, PRUNING (ctx), pl_figure_context_sparsity_text (ctx), ctx->dataset_name);
    }
  if (ctx->overlay_alpha > 0.0 && isfinite (ctx->overlay_alpha))
    {
      char *d = g_strdup_printf (_("%s; maps drawn over the input at %.0f %% opacity"),
                                 fig->description, 100.0 * MIN (ctx->overlay_alpha, 1.0));
      g_free (fig->description);
      fig->description = d;
    }
  h->caption = ctx->caption ? fig->description : NULL;
  fig->width_in = 6.5;
  fig->height_in = 2.6;
}

static void
build_bars (PlComparisonFigure *fig, const PlComparison *cmp, const PlFigureContext *ctx)
{
  PlBarFigure *b = &fig->bars;
  gint M = cmp->grid->n_segments;
  b->dark = ctx->dark;
  b->n_groups = 2;
  b->group_names[0] = keep_string (fig, g_strdup (_("Original")));
  b->group_names[1] = keep_string (fig, g_strdup_printf (_("Pruned %s"), pl_figure_context_sparsity_short (ctx)));
  b->n_bars = M;
  b->bar_labels = cmp->grid->names;
  fig->bar_values = g_new (double, 2 * M);
  for (gint g = 0; g < 2; g++)
    for (gint i = 0; i < M; i++)
      fig->bar_values[g * M + i] = cmp->patch[g]->data[i];
  b->values = fig->bar_values;
  b->sort = TRUE;
  b->top_k = 0;
  b->value_label = (char *) keep_string (fig, cmp->options.method == PL_MAP_SALIENCY
                                               ? g_strdup (_("saliency summed over the patch"))
                                               : g_strdup_printf (_("%s summed over the patch"),
                                                                  _(pl_map_method_label (cmp->options.method))));
  b->title = (char *) keep_string (fig, g_strdup_printf (_("Patch importance for class “%s”"),
                                                         class_name (ctx, cmp->target)));
  g_autofree char *rho = fmt_stat (cmp->patch_similarity.spearman, "%.3f");
  g_autofree char *overlap = fmt_stat (cmp->patch_similarity.topk_intersection, "%.2f");
  fig->description = g_strdup_printf (
      _("%s summed over %d × %d patches (patch r1 c1 is top left), sorted "
        "by the original network; Spearman ρ = %s, top-%.0f %% overlap = %s; %s, "
        "%s to %s, %s, sample #%d"),
      _(pl_map_method_label (cmp->options.method)), cmp->options.grid, cmp->options.grid, rho,
      100.0 * cmp->options.topk_fraction, overlap,
      ctx->model_name, PRUNING (ctx), pl_figure_context_sparsity_text (ctx), ctx->dataset_name, (int) cmp->index);
  b->caption = ctx->caption ? fig->description : NULL;
  fig->width_in = 6.5;
  fig->height_in = 1.2 + 0.22 * M;
}

PlComparisonFigure *
pl_comparison_figure_new (PlFigureKind kind, const PlComparison *comparison,
                          const PlFigureContext *context)
{
  g_return_val_if_fail (comparison != NULL && context != NULL, NULL);
  g_return_val_if_fail (kind < PL_FIGURE_N_KINDS, NULL);

  PlComparisonFigure *fig = g_new0 (PlComparisonFigure, 1);
  fig->kind = kind;
  fig->tensors = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_tensor_unref);
  fig->strings = g_ptr_array_new_with_free_func (g_free);
  if (comparison->image != NULL && comparison->image->ndim == 2)
    {
      /* A table row: grouped bars per feature whatever the kind (pl-table-figure.h). */
      fig->table = pl_table_figure_new (kind, comparison, context);
      fig->description = g_strdup (pl_table_figure_description (fig->table));
      pl_table_figure_size (fig->table, &fig->width_in, &fig->height_in);
      return fig;
    }
  switch (kind)
    {
    case PL_FIGURE_SALIENCY:
      build_heatmaps (fig, comparison, context, FALSE);
      break;
    case PL_FIGURE_SHAP:
      build_heatmaps (fig, comparison, context, TRUE);
      break;
    case PL_FIGURE_FEATURES:
    default:
      build_bars (fig, comparison, context);
      /* The bar labels are the grid's names; copy them so the figure outlives it. */
      {
        char **labels = g_new0 (char *, comparison->grid->n_segments + 1);
        for (gint i = 0; i < comparison->grid->n_segments; i++)
          labels[i] = (char *) keep_string (fig, g_strdup (comparison->grid->names[i]));
        fig->bars.bar_labels = labels;
        g_ptr_array_add (fig->strings, labels);
      }
      break;
    }
  /* Outlines point into the grid: copy them too. */
  if (kind == PL_FIGURE_SHAP)
    {
      gsize n = (gsize) comparison->grid->height * comparison->grid->width;
      gint *outline = g_memdup2 (comparison->grid->labels, n * sizeof (gint));
      g_ptr_array_add (fig->strings, outline);
      for (gint i = 0; i < fig->heatmap.n_panels; i++)
        if (fig->heatmap.panels[i].outline != NULL)
          fig->heatmap.panels[i].outline = outline;
    }
  return fig;
}

void
pl_comparison_figure_free (PlComparisonFigure *fig)
{
  if (fig == NULL)
    return;
  g_clear_pointer (&fig->table, pl_table_figure_free);
  g_ptr_array_unref (fig->tensors);
  g_ptr_array_unref (fig->strings);
  g_free (fig->bar_values);
  g_free (fig->description);
  g_free (fig);
}

void
pl_comparison_figure_draw (cairo_t *cr, double width, double height, gconstpointer data)
{
  const PlComparisonFigure *fig = data;
  if (fig->table != NULL)
    pl_table_figure_draw (cr, width, height, fig->table);
  else if (fig->kind == PL_FIGURE_FEATURES)
    pl_bar_figure_draw (cr, width, height, &fig->bars);
  else
    pl_heatmap_figure_draw (cr, width, height, &fig->heatmap);
}

void
pl_comparison_figure_size (const PlComparisonFigure *fig, double *width_in, double *height_in)
{
  *width_in = fig->width_in;
  *height_in = fig->height_in;
}

const char *
pl_comparison_figure_title (const PlComparisonFigure *fig)
{
  if (fig->table != NULL)
    return pl_table_figure_title (fig->table);
  return fig->kind == PL_FIGURE_FEATURES ? fig->bars.title : fig->heatmap.title;
}

const char *
pl_comparison_figure_description (const PlComparisonFigure *fig)
{
  return fig->description;
}

gboolean
pl_comparison_figure_save (const PlComparisonFigure *fig, const char *path, double dpi,
                           GError **error)
{
  g_return_val_if_fail (fig != NULL && path != NULL, FALSE);
  if (fig->table != NULL)
    return pl_table_figure_save (fig->table, path, dpi, error);
  g_autofree char *lower = g_ascii_strdown (path, -1);
  /* Files are light whatever the screen shows. */
  PlComparisonFigure copy = *fig;
  copy.heatmap.dark = FALSE;
  copy.bars.dark = FALSE;
  if (g_str_has_suffix (lower, ".png"))
    return pl_render_png (pl_comparison_figure_draw, &copy, fig->width_in, fig->height_in,
                          dpi > 0 ? dpi : 150.0, path, pl_comparison_figure_title (fig),
                          fig->description, error);
  if (g_str_has_suffix (lower, ".svg"))
    return pl_render_svg (pl_comparison_figure_draw, &copy, fig->width_in, fig->height_in,
                          path, pl_comparison_figure_title (fig), fig->description, error);
  if (g_str_has_suffix (lower, ".pdf"))
    return pl_render_pdf (pl_comparison_figure_draw, &copy, fig->width_in, fig->height_in,
                          path, pl_comparison_figure_title (fig), fig->description, error);
  g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
               _("%s: unknown figure format; use a name ending in .png, .svg or .pdf"), path);
  return FALSE;
}

static const char *const kind_names[PL_FIGURE_N_KINDS] = { "saliency", "features", "shap" };

const char *
pl_figure_kind_name (PlFigureKind kind)
{
  g_return_val_if_fail (kind < PL_FIGURE_N_KINDS, NULL);
  return kind_names[kind];
}

gboolean
pl_figure_kind_from_name (const char *name, PlFigureKind *kind)
{
  for (gint i = 0; i < PL_FIGURE_N_KINDS; i++)
    if (g_strcmp0 (name, kind_names[i]) == 0)
      {
        *kind = (PlFigureKind) i;
        return TRUE;
      }
  return FALSE;
}

char *
pl_sparsity_label (double target, double achieved)
{
  if (!(target > 0.0) || !isfinite (target) || fabs (target - achieved) < 5e-5)
    return g_strdup_printf ("%.4g %%", 100.0 * achieved);
  return g_strdup_printf (_("%.4g %% of prunable weights (%.4g %% of all)"), 100.0 * target,
                          100.0 * achieved);
}
