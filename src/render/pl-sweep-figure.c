/* pl-sweep-figure.c — the line figure and the filmstrip of a sparsity sweep. */
#include "pl-figure-util.h"

#include <math.h>
#include <string.h>

PlSweepLineFigure *
pl_sweep_line_figure_new (const PlSweep *sweep, gboolean log_axis)
{
  g_return_val_if_fail (sweep != NULL, NULL);
  PlSweepLineFigure *sf = g_new0 (PlSweepLineFigure, 1);
  gint n = MAX (sweep->n_points, 0);
  /* x, accuracy, then mean / lo / hi of the two explanation metrics */
  sf->data = g_new0 (double, (gsize) 8 * MAX (n, 1));
  double *x = sf->data, *acc = x + n;
  double *mean[2] = { acc + n, acc + 4 * n }, *lo[2] = { acc + 2 * n, acc + 5 * n },
         *hi[2] = { acc + 3 * n, acc + 6 * n };
  const PlSweepMetric metrics[2] = { PL_SWEEP_SPEARMAN_ABS, PL_SWEEP_TOPK };
  for (gint k = 0; k < n; k++) {
    const PlSweepPoint *p = &sweep->points[k];
    x[k] = p->sparsity;
    acc[k] = p->accuracy;
    for (int j = 0; j < 2; j++) {
      mean[j][k] = p->summary[metrics[j]].mean;
      lo[j][k] = p->summary[metrics[j]].ci_low;
      hi[j][k] = p->summary[metrics[j]].ci_high;
    }
  }
  const PlSweepOptions *o = &sweep->options;
  PlLineFigure *f = &sf->figure;
  sf->strings[0] = g_strdup ("Accuracy and explanation similarity against sparsity");
  sf->strings[1] = g_strdup_printf (
      "Global magnitude pruning · vanilla-gradient saliency of the class the original "
      "predicts, original vs pruned on %" G_GINT64_FORMAT " input%s: mean and %g %% "
      "bootstrap CI (%d resamples, seed %" G_GUINT64_FORMAT ") · top-1 accuracy on the "
      "first %" G_GINT64_FORMAT " images of %s",
      sweep->n_indices, sweep->n_indices == 1 ? "" : "s", 100.0 * o->confidence,
      o->n_bootstrap, o->seed, o->n_eval, sweep->dataset_name ? sweep->dataset_name : "");
  sf->strings[2] = g_strdup (log_axis ? "sparsity (log scale of 1 − sparsity)" : "sparsity");
  sf->strings[3] = g_strdup_printf ("top-%g %% overlap of |φ|", 100.0 * o->topk_fraction);
  f->title = sf->strings[0];
  f->caption = sf->strings[1];
  f->x_label = sf->strings[2];
  f->y_label = NULL;
  f->x_scale = log_axis ? PL_AXIS_LOG_COMPLEMENT : PL_AXIS_LINEAR;
  f->x_percent = TRUE;
  f->y_min = 0.0;
  f->y_max = 1.0;
  /* Spearman can be negative: widen the fixed range then */
  for (gint k = 0; k < n; k++)
    if (isfinite (lo[0][k]) && lo[0][k] < 0.0)
      f->y_min = MIN (f->y_min, floor (lo[0][k] * 10.0) / 10.0);
  f->n_series = 3;
  f->series[0] = (PlLineSeries) { "top-1 accuracy", n, x, acc, NULL, NULL, FALSE, TRUE, 0 };
  f->series[1] = (PlLineSeries) { "Spearman of |φ|", n, x, mean[0], lo[0], hi[0], FALSE,
                                  TRUE, 1 };
  f->series[2] = (PlLineSeries) { sf->strings[3], n, x, mean[1], lo[1], hi[1], TRUE, TRUE, 2 };
  return sf;
}

void
pl_sweep_line_figure_free (PlSweepLineFigure *figure)
{
  if (figure == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (figure->strings); i++)
    g_free (figure->strings[i]);
  g_free (figure->data);
  g_free (figure);
}

PlSweepFilmstrip *
pl_sweep_filmstrip_new (const PlSweep *sweep, gboolean underlay)
{
  g_return_val_if_fail (sweep != NULL, NULL);
  PlSweepFilmstrip *sf = g_new0 (PlSweepFilmstrip, 1);
  PlFilmstripFigure *f = &sf->figure;
  const char *label = pl_sweep_class_name (sweep, sweep->film_label);
  sf->strings[0] = *label != '\0'
      ? g_strdup_printf ("Saliency of image %" G_GINT64_FORMAT " (%s) as the network is pruned",
                         sweep->film_index, label)
      : g_strdup_printf ("Saliency of image %" G_GINT64_FORMAT " as the network is pruned",
                         sweep->film_index);
  const char *target = pl_sweep_class_name (sweep, sweep->film_target);
  sf->strings[1] = g_strdup_printf (
      "max_c |∂logit/∂x| of the class the original predicts (%s) · global magnitude pruning · "
      "one colour scale · top-1 accuracy on the first %" G_GINT64_FORMAT " images",
      *target != '\0' ? target : "class", sweep->options.n_eval);
  f->title = sf->strings[0];
  f->caption = sf->strings[1];
  f->n_frames = MIN (sweep->n_points, PL_FILMSTRIP_MAX_FRAMES);
  for (gint k = 0; k < f->n_frames; k++) {
    const PlSweepPoint *p = &sweep->points[k];
    sf->strings[2 + 2 * k] = g_strdup_printf ("%g %%", round (p->sparsity_requested * 1000.0)
                                                       / 10.0);
    sf->strings[3 + 2 * k] = g_strdup_printf ("acc. %.1f %%", 100.0 * p->accuracy);
    f->frames[k].title = sf->strings[2 + 2 * k];
    f->frames[k].subtitle = sf->strings[3 + 2 * k];
    f->frames[k].map = p->film_map;
    f->frames[k].underlay = underlay ? sweep->film_image : NULL;
    f->frames[k].overlay_alpha = 0.7;
  }
  f->scale.colormap = PL_COLORMAP_MAGMA;
  f->scale.vmin = f->scale.vmax = 0.0;   /* automatic: 0 … max over the frames */
  f->scale.label = "|∂logit/∂x|";
  return sf;
}

void
pl_sweep_filmstrip_free (PlSweepFilmstrip *film)
{
  if (film == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (film->strings); i++)
    g_free (film->strings[i]);
  g_free (film);
}
