/* pl-table-figure.c — grouped feature bars of a table row's comparison. See
 * pl-table-figure.h. */
#include "config.h"
#include "pl-table-figure.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include "pl-error.h"

struct _PlTableFigure {
  PlBarFigure bars;
  GPtrArray *strings;
  char **labels;
  double *values;
  char *description;
  double width_in, height_in;
};


static char *
keep (PlTableFigure *fig, char *s)
{
  g_ptr_array_add (fig->strings, s);
  return s;
}

static const char *
class_name (const PlFigureContext *ctx, gint k)
{
  if (ctx->class_names != NULL && k >= 0 && k < ctx->n_classes && ctx->class_names[k])
    return _(ctx->class_names[k]);
  return "?";
}

static char *
fmt_stat (double v, const char *fmt)
{
  if (isnan (v))
    return g_strdup (_("undefined (constant attribution)"));
  return g_strdup_printf (fmt, v);
}

PlTableFigure *
pl_table_figure_new (PlFigureKind kind, const PlComparison *cmp, const PlFigureContext *ctx)
{
  g_return_val_if_fail (cmp != NULL && ctx != NULL && cmp->grid != NULL, NULL);
  gboolean shap = kind == PL_FIGURE_SHAP;
  PlTableFigure *fig = g_new0 (PlTableFigure, 1);
  fig->strings = g_ptr_array_new_with_free_func (g_free);
  gint F = cmp->grid->n_segments;
  const PlTensor *v[2] = { shap ? cmp->shap[0] : cmp->patch[0],
                           shap ? cmp->shap[1] : cmp->patch[1] };
  fig->labels = g_new0 (char *, F + 1);
  for (gint j = 0; j < F; j++)
    fig->labels[j] = g_strdup (cmp->grid->names[j] ? cmp->grid->names[j] : "");
  fig->values = g_new (double, 2 * (gsize) MAX (F, 1));
  for (gint g = 0; g < 2; g++)
    for (gint j = 0; j < F; j++)
      fig->values[g * F + j] = j < v[g]->numel ? v[g]->data[j] : NAN;

  PlBarFigure *b = &fig->bars;
  b->dark = ctx->dark;
  b->n_groups = 2;
  b->group_names[0] = keep (fig, g_strdup (_("Original")));
  b->group_names[1] = keep (fig, g_strdup_printf (_("Pruned %s"), pl_figure_context_sparsity_short (ctx)));
  b->n_bars = F;
  b->bar_labels = fig->labels;
  b->values = fig->values;
  b->sort = TRUE;
  b->top_k = 0;

  const char *pruning = ctx->pruning ? ctx->pruning : _("global magnitude pruning");
  const PlSimilarity *sim = shap ? &cmp->shap_similarity : &cmp->patch_similarity;
  g_autofree char *rho = fmt_stat (sim->spearman, "%.3f");
  g_autofree char *overlap = fmt_stat (sim->topk_intersection, "%.2f");
  g_autofree char *preds = g_strdup_printf (_("predicted %s (%.1f %%) / %s (%.1f %%)"),
                                            class_name (ctx, cmp->pred[0]), 100.0 * cmp->prob[0],
                                            class_name (ctx, cmp->pred[1]), 100.0 * cmp->prob[1]);
  if (shap)
    {
      b->value_label = keep (fig, g_strdup (_("SHAP value (logit)")));
      b->title = keep (fig, g_strdup_printf (_("KernelSHAP per feature for class “%s”, row #%d"),
                                             class_name (ctx, cmp->target), (int) cmp->index));
      fig->description = g_strdup_printf (
          _("KernelSHAP (Lundberg & Lee 2017) of the logit of class “%s”, reference row = the "
            "dataset's feature means, %d coalitions, seed %llu; φ₀ = %.3f / %.3f (original / "
            "pruned); %s; Spearman ρ = %s, top-%.0f %% overlap = %s; %s, %s to %s, %s, "
            "row #%d"),
          class_name (ctx, cmp->target), cmp->shap_evaluations,
          (unsigned long long) cmp->options.seed, cmp->shap_phi0[0], cmp->shap_phi0[1], preds,
          rho, 100.0 * cmp->options.topk_fraction, overlap, ctx->model_name, pruning,
          pl_figure_context_sparsity_text (ctx), ctx->dataset_name, (int) cmp->index);
    }
  else
    {
      const char *label = _(pl_map_method_label (cmp->options.method));
      b->value_label = keep (fig, cmp->options.method == PL_MAP_SALIENCY
                                  ? g_strdup (_("gradient ∂logit/∂x (signed)"))
                                  : g_strdup_printf (_("%s (logit)"), label));
      b->title = keep (fig, g_strdup_printf (_("%s per feature for class “%s”, row #%d"), label,
                                             class_name (ctx, cmp->target), (int) cmp->index));
      g_autofree char *residual = NULL;
      if (!isnan (cmp->map_residual[0]))
        residual = g_strdup_printf (_("; completeness residual %.3g / %.3g (original / pruned)"),
                                    cmp->map_residual[0], cmp->map_residual[1]);
      fig->description = g_strdup_printf (
          _("%s (%s) of class “%s” (the original prediction)%s, sorted by |original|; %s; "
            "Spearman ρ = %s, top-%.0f %% overlap = %s; %s, %s to %s, %s, row #%d"),
          label, cmp->map_parameters ? cmp->map_parameters : "", class_name (ctx, cmp->target),
          residual ? residual : "", preds, rho, 100.0 * cmp->options.topk_fraction, overlap,
          ctx->model_name, pruning, pl_figure_context_sparsity_text (ctx), ctx->dataset_name, (int) cmp->index);
    }
  b->caption = ctx->caption ? fig->description : NULL;
  fig->width_in = 6.5;
  fig->height_in = 1.4 + 0.3 * F;
  return fig;
}

void
pl_table_figure_free (PlTableFigure *fig)
{
  if (fig == NULL)
    return;
  g_ptr_array_unref (fig->strings);
  g_strfreev (fig->labels);
  g_free (fig->values);
  g_free (fig->description);
  g_free (fig);
}

void
pl_table_figure_draw (cairo_t *cr, double width, double height, gconstpointer data)
{
  const PlTableFigure *fig = data;
  pl_bar_figure_draw (cr, width, height, &fig->bars);
}

const PlBarFigure *
pl_table_figure_bars (const PlTableFigure *fig)
{
  g_return_val_if_fail (fig != NULL, NULL);
  return &fig->bars;
}

void
pl_table_figure_size (const PlTableFigure *fig, double *width_in, double *height_in)
{
  g_return_if_fail (fig != NULL);
  *width_in = fig->width_in;
  *height_in = fig->height_in;
}

const char *
pl_table_figure_title (const PlTableFigure *fig)
{
  g_return_val_if_fail (fig != NULL, NULL);
  return fig->bars.title;
}

const char *
pl_table_figure_description (const PlTableFigure *fig)
{
  g_return_val_if_fail (fig != NULL, NULL);
  return fig->description;
}

gboolean
pl_table_figure_save (const PlTableFigure *fig, const char *path, double dpi, GError **error)
{
  g_return_val_if_fail (fig != NULL && path != NULL, FALSE);
  g_autofree char *lower = g_ascii_strdown (path, -1);
  PlTableFigure copy = *fig;   /* files are light whatever the screen shows */
  copy.bars.dark = FALSE;
  const char *title = fig->bars.title;
  if (g_str_has_suffix (lower, ".png"))
    return pl_render_png (pl_table_figure_draw, &copy, fig->width_in, fig->height_in,
                          dpi > 0 ? dpi : 150.0, path, title, fig->description, error);
  if (g_str_has_suffix (lower, ".svg"))
    return pl_render_svg (pl_table_figure_draw, &copy, fig->width_in, fig->height_in, path,
                          title, fig->description, error);
  if (g_str_has_suffix (lower, ".pdf"))
    return pl_render_pdf (pl_table_figure_draw, &copy, fig->width_in, fig->height_in, path,
                          title, fig->description, error);
  g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
               _("%s: unknown figure format; use a name ending in .png, .svg or .pdf"), path);
  return FALSE;
}
