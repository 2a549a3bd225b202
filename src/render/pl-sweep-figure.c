/* pl-sweep-figure.c — the line figure and the filmstrip of a sparsity sweep. */
#include "config.h"
#include <glib/gi18n-lib.h>
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
  sf->strings[0] = g_strdup (_("Accuracy and explanation similarity against sparsity"));
  sf->strings[1] = g_strdup_printf (
      sweep->table
      ? dngettext (GETTEXT_PACKAGE,
          "Global magnitude pruning · signed gradient per feature of the class the original "
          "predicts, original vs pruned on %lld row: mean and %g %% bootstrap CI (%d "
          "resamples, seed %llu) · top-1 accuracy on the first %lld rows of %s",
          "Global magnitude pruning · signed gradient per feature of the class the original "
          "predicts, original vs pruned on %lld rows: mean and %g %% bootstrap CI (%d "
          "resamples, seed %llu) · top-1 accuracy on the first %lld rows of %s",
          (unsigned long) sweep->n_indices)
      : dngettext (GETTEXT_PACKAGE,
          "Global magnitude pruning · vanilla-gradient saliency of the class the original "
          "predicts, original vs pruned on %lld input: mean and %g %% bootstrap CI (%d "
          "resamples, seed %llu) · top-1 accuracy on the first %lld images of %s",
          "Global magnitude pruning · vanilla-gradient saliency of the class the original "
          "predicts, original vs pruned on %lld inputs: mean and %g %% bootstrap CI (%d "
          "resamples, seed %llu) · top-1 accuracy on the first %lld images of %s",
          (unsigned long) sweep->n_indices),
      (long long) sweep->n_indices, 100.0 * o->confidence, o->n_bootstrap,
      (unsigned long long) o->seed, (long long) o->n_eval,
      sweep->dataset_name ? sweep->dataset_name : "");
  sf->strings[2] = g_strdup (log_axis ? _("sparsity (log scale of 1 − sparsity)") : _("sparsity"));
  sf->strings[3] = g_strdup_printf (_("top-%g %% overlap of |φ|"), 100.0 * o->topk_fraction);
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
  f->series[0] = (PlLineSeries) { _("top-1 accuracy"), n, x, acc, NULL, NULL, FALSE, TRUE, 0 };
  f->series[1] = (PlLineSeries) { _("Spearman of |φ|"), n, x, mean[0], lo[0], hi[0], FALSE,
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
  /* Class names are translated like everywhere else (the dataset's names are msgids). */
  const char *label = pl_sweep_class_name (sweep, sweep->film_label);
  label = *label != '\0' ? _(label) : label;
  sf->strings[0] = *label != '\0'
      ? g_strdup_printf (_("Saliency of image %lld (%s) as the network is pruned"),
                         (long long) sweep->film_index, label)
      : g_strdup_printf (_("Saliency of image %lld as the network is pruned"),
                         (long long) sweep->film_index);
  const char *target = pl_sweep_class_name (sweep, sweep->film_target);
  target = *target != '\0' ? _(target) : target;
  sf->strings[1] = g_strdup_printf (
      _("max_c |∂logit/∂x| of the class the original predicts (%s) · global magnitude "
        "pruning · one colour scale · top-1 accuracy on the first %lld images"),
      *target != '\0' ? target : _("class"), (long long) sweep->options.n_eval);
  f->title = sf->strings[0];
  f->caption = sf->strings[1];
  f->n_frames = MIN (sweep->n_points, PL_FILMSTRIP_MAX_FRAMES);
  for (gint k = 0; k < f->n_frames; k++) {
    const PlSweepPoint *p = &sweep->points[k];
    sf->strings[2 + 2 * k] = g_strdup_printf ("%g %%", round (p->sparsity_requested * 1000.0)
                                                       / 10.0);
    sf->strings[3 + 2 * k] = g_strdup_printf (_("acc. %.1f %%"), 100.0 * p->accuracy);
    f->frames[k].title = sf->strings[2 + 2 * k];
    f->frames[k].subtitle = sf->strings[3 + 2 * k];
    if (p->film_map != NULL)
      sf->held[k] = pl_tensor_ref (p->film_map);
    f->frames[k].map = sf->held[k];
    f->frames[k].underlay = underlay ? sweep->film_image : NULL;
    f->frames[k].overlay_alpha = 0.7;
  }
  if (underlay && sweep->film_image != NULL)
    sf->held[PL_FILMSTRIP_MAX_FRAMES] = pl_tensor_ref (sweep->film_image);
  f->scale.colormap = PL_COLORMAP_MAGMA;
  f->scale.vmin = f->scale.vmax = 0.0;   /* automatic: 0 … max over the frames */
  f->scale.label = "|∂logit/∂x|";
  if (sweep->table)
    {
      /* A table row: the signed gradient per feature (one cell each) on a diverging
       * scale, without the raw row as an underlay. */
      g_free (sf->strings[0]);
      g_free (sf->strings[1]);
      sf->strings[0] = *label != '\0'
          ? g_strdup_printf (_("Gradient per feature of row %lld (%s) as the network is "
                               "pruned"), (long long) sweep->film_index, label)
          : g_strdup_printf (_("Gradient per feature of row %lld as the network is pruned"),
                             (long long) sweep->film_index);
      sf->strings[1] = g_strdup_printf (
          _("∂logit/∂x (signed) of the class the original predicts (%s), one cell per feature "
            "in column order · global magnitude pruning · one colour scale · top-1 accuracy "
            "on the first %lld rows"),
          *target != '\0' ? target : _("class"), (long long) sweep->options.n_eval);
      f->title = sf->strings[0];
      f->caption = sf->strings[1];
      double m = 0.0;
      for (gint k = 0; k < f->n_frames; k++)
        {
          f->frames[k].underlay = NULL;
          f->frames[k].overlay_alpha = 1.0;
          if (f->frames[k].map != NULL)
            m = MAX (m, pl_tensor_max_abs (f->frames[k].map));
        }
      if (!(m > 0.0) || !isfinite (m))
        m = 1.0;
      f->scale.colormap = PL_COLORMAP_DIVERGING;
      f->scale.vmin = -m;
      f->scale.vmax = m;
      f->scale.label = "∂logit/∂x";
    }
  return sf;
}

void
pl_sweep_filmstrip_free (PlSweepFilmstrip *film)
{
  if (film == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (film->strings); i++)
    g_free (film->strings[i]);
  for (guint i = 0; i < G_N_ELEMENTS (film->held); i++)
    g_clear_pointer (&film->held[i], pl_tensor_unref);
  g_free (film);
}

/* ---- any metrics of a sweep, and the sanity check beside it -------------------------- */

static gboolean
is_similarity (PlSweepMetric m)
{
  return m <= PL_SWEEP_SSIM;
}

static const char *const original_labels[PL_SWEEP_N_METRICS] = {
  [PL_SWEEP_DELETION] = N_("deletion AUC, original"),
  [PL_SWEEP_INSERTION] = N_("insertion AUC, original"),
  [PL_SWEEP_ENTROPY] = N_("entropy, original"),
  [PL_SWEEP_GINI] = N_("Gini, original"),
};

/* The translations of pl_sweep_metric_label (src/core/analysis/pl-sweep.c: keep in step). */
static const char *const metric_labels[] G_GNUC_UNUSED = {
  N_("Spearman of |φ|"), N_("top-k overlap of |φ|"), N_("Kendall τ-b of |φ|"), N_("Pearson"),
  N_("cosine"), N_("SSIM"), N_("deletion AUC"), N_("insertion AUC"),
  N_("entropy of |φ| (nats)"), N_("Gini of |φ|"),
};

static const char *
metric_label (PlSweepMetric m)
{
  const char *label = pl_sweep_metric_label (m);
  return label != NULL ? _(label) : "";
}

static char *
sweep_caption (const PlSweep *sweep)
{
  const PlSweepOptions *o = &sweep->options;
  g_autofree char *faith = NULL;
  if (o->faithfulness)
    faith = g_strdup_printf (_(" · deletion / insertion (Petsiuk et al. 2018): %d pixels per "
                               "step, deletion to %g, insertion from a Gaussian blur σ = %g px, "
                               "%s of the class"),
                             o->faithfulness_options.pixels_per_step,
                             (double) o->faithfulness_options.baseline,
                             o->faithfulness_options.blur_sigma,
                             o->faithfulness_options.score == PL_CURVE_SCORE_LOGIT
                                 ? _("logit") : _("probability"));
  return g_strdup_printf (
      dngettext (GETTEXT_PACKAGE,
                 "Global magnitude pruning · vanilla-gradient saliency of the class the "
                 "original predicts on %lld input: mean and %g %% bootstrap CI (%d resamples, "
                 "seed %llu)%s",
                 "Global magnitude pruning · vanilla-gradient saliency of the class the "
                 "original predicts on %lld inputs: mean and %g %% bootstrap CI (%d resamples, "
                 "seed %llu)%s",
                 (unsigned long) sweep->n_indices),
      (long long) sweep->n_indices, 100.0 * o->confidence, o->n_bootstrap,
      (unsigned long long) o->seed, faith ? faith : "");
}

PlOwnedLineFigure *
pl_sweep_metrics_figure_new (const PlSweep *sweep, const PlSweepMetric *metrics,
                             gint n_metrics, gboolean log_axis)
{
  g_return_val_if_fail (sweep != NULL, NULL);
  g_return_val_if_fail (metrics != NULL || n_metrics <= 0, NULL);
  PlOwnedLineFigure *of = g_new0 (PlOwnedLineFigure, 1);
  of->strings = g_ptr_array_new_with_free_func (g_free);
  gint n = MAX (sweep->n_points, 0), N = MAX (n, 1);
  gint nm = CLAMP (n_metrics, 0, 4);
  /* x, then per metric mean / lo / hi / original */
  of->data = g_new0 (double, (gsize) (1 + 4 * nm) * N);
  double *x = of->data;
  for (gint k = 0; k < n; k++)
    x[k] = sweep->points[k].sparsity;
  PlLineFigure *f = &of->figure;
  gboolean all_sim = TRUE;
  GString *title = g_string_new (NULL);
  for (gint j = 0; j < nm; j++) {
    PlSweepMetric m = metrics[j];
    if (m < 0 || m >= PL_SWEEP_N_METRICS)
      continue;
    all_sim = all_sim && is_similarity (m);
    double *mean = of->data + (gsize) (1 + 4 * j) * N, *lo = mean + N, *hi = lo + N,
           *orig = hi + N;
    for (gint k = 0; k < n; k++) {
      const PlSummary *su = &sweep->points[k].summary[m];
      mean[k] = su->mean;
      lo[k] = su->ci_low;
      hi[k] = su->ci_high;
      orig[k] = sweep->original[m].mean;
    }
    const char *label = metric_label (m);
    g_string_append_printf (title, "%s%s", title->len ? _(", ") : "", label);
    if (m == PL_SWEEP_TOPK) {
      label = g_strdup_printf (_("top-%g %% overlap of |φ|"), 100.0 * sweep->options.topk_fraction);
      g_ptr_array_add (of->strings, (char *) label);
    }
    if (f->n_series < PL_LINE_FIGURE_MAX_SERIES)
      f->series[f->n_series++] = (PlLineSeries) { label, n, x, mean, lo, hi, FALSE, TRUE, j };
    if (!is_similarity (m) && f->n_series < PL_LINE_FIGURE_MAX_SERIES &&
        isfinite (sweep->original[m].mean))
      f->series[f->n_series++] = (PlLineSeries) { _(original_labels[m]), n, x, orig, NULL, NULL,
                                                  TRUE, FALSE, j };
  }
  if (title->len > 0)
    title->str[0] = g_ascii_toupper (title->str[0]);
  /* Translators: %s lists the metrics, e.g. "Spearman of |φ|, SSIM". */
  f->title = g_strdup_printf (_("%s against sparsity"), title->str);
  g_string_free (title, TRUE);
  g_ptr_array_add (of->strings, f->title);
  f->caption = sweep_caption (sweep);
  g_ptr_array_add (of->strings, f->caption);
  f->x_label = (char *) (log_axis ? _("sparsity (log scale of 1 − sparsity)") : _("sparsity"));
  f->x_scale = log_axis ? PL_AXIS_LOG_COMPLEMENT : PL_AXIS_LINEAR;
  f->x_percent = TRUE;
  if (all_sim && nm > 0) {
    f->y_min = 0.0;
    f->y_max = 1.0;
    for (gint s = 0; s < f->n_series; s++)
      for (gint k = 0; k < n; k++)
        if (f->series[s].lo != NULL && isfinite (f->series[s].lo[k]) && f->series[s].lo[k] < 0)
          f->y_min = MIN (f->y_min, floor (f->series[s].lo[k] * 10.0) / 10.0);
  }
  return of;
}

PlOwnedPanelsFigure *
pl_sweep_sanity_figure_new (const PlSweep *sweep, gboolean log_axis)
{
  g_return_val_if_fail (sweep != NULL, NULL);
  PlOwnedPanelsFigure *of = g_new0 (PlOwnedPanelsFigure, 1);
  of->strings = g_ptr_array_new_with_free_func (g_free);
  const PlRandomisationCurve *rc = sweep->randomisation;
  gint n = MAX (sweep->n_points, 0), N = MAX (n, 1);
  gint ns = rc != NULL ? rc->n_steps : 0, S = MAX (ns, 1);
  /* left: x, spearman mean/lo/hi, topk, ssim; right: step, spearman mean/lo/hi, topk, ssim */
  of->data = g_new0 (double, (gsize) 6 * N + 6 * S);
  double *x = of->data, *sp = x + N, *splo = sp + N, *sphi = splo + N, *tk = sphi + N,
         *ss = tk + N;
  for (gint k = 0; k < n; k++) {
    const PlSweepPoint *p = &sweep->points[k];
    x[k] = p->sparsity;
    sp[k] = p->summary[PL_SWEEP_SPEARMAN_ABS].mean;
    splo[k] = p->summary[PL_SWEEP_SPEARMAN_ABS].ci_low;
    sphi[k] = p->summary[PL_SWEEP_SPEARMAN_ABS].ci_high;
    tk[k] = p->summary[PL_SWEEP_TOPK].mean;
    ss[k] = p->summary[PL_SWEEP_SSIM].mean;
  }
  double *rx = of->data + (gsize) 6 * N, *rsp = rx + S, *rlo = rsp + S, *rhi = rlo + S,
         *rtk = rhi + S, *rss = rtk + S;
  const char **ticks = g_new0 (const char *, S + 1);
  g_ptr_array_add (of->strings, ticks);
  for (gint s = 0; s < ns; s++) {
    rx[s] = s;
    rsp[s] = sweep->randomisation_spearman_abs[s].mean;
    rlo[s] = sweep->randomisation_spearman_abs[s].ci_low;
    rhi[s] = sweep->randomisation_spearman_abs[s].ci_high;
    rtk[s] = rc->topk[s];
    rss[s] = rc->ssim[s];
    ticks[s] = s == 0 ? _("trained") : rc->layer_names[s];
  }
  /* one y scale for both panels */
  double ymin = 0.0;
  const double *los[2] = { splo, rlo };
  const gint cnt[2] = { n, ns };
  for (int p = 0; p < 2; p++)
    for (gint k = 0; k < cnt[p]; k++)
      if (isfinite (los[p][k]) && los[p][k] < ymin)
        ymin = floor (los[p][k] * 10.0) / 10.0;
  const double *tks[2] = { tk, rtk }, *sss[2] = { ss, rss };
  for (int p = 0; p < 2; p++)
    for (gint k = 0; k < cnt[p]; k++) {
      if (isfinite (tks[p][k]) && tks[p][k] < ymin)
        ymin = floor (tks[p][k] * 10.0) / 10.0;
      if (isfinite (sss[p][k]) && sss[p][k] < ymin)
        ymin = floor (sss[p][k] * 10.0) / 10.0;
    }
  char *topk_name = g_strdup_printf (_("top-%g %% overlap"), 100.0 * sweep->options.topk_fraction);
  g_ptr_array_add (of->strings, topk_name);

  PlLinePanelsFigure *f = &of->figure;
  f->title = (char *) _("Pruning against the randomisation sanity check");
  char *cap = g_strdup_printf (
      dngettext (GETTEXT_PACKAGE,
                 "similarity of the vanilla-gradient saliency to the trained network's on %lld "
                 "input (left) and, as a reference, after cascading randomisation of the layers "
                 "from the output (Adebayo et al. 2018) on %lld (right); band: %g %% bootstrap "
                 "CI of the mean Spearman of |φ|",
                 "similarity of the vanilla-gradient saliency to the trained network's on %lld "
                 "inputs (left) and, as a reference, after cascading randomisation of the layers "
                 "from the output (Adebayo et al. 2018) on %lld (right); band: %g %% bootstrap "
                 "CI of the mean Spearman of |φ|",
                 (unsigned long) sweep->n_indices),
      (long long) sweep->n_indices, (long long) (rc != NULL ? rc->n_inputs : 0),
      100.0 * sweep->options.confidence);
  g_ptr_array_add (of->strings, cap);
  f->caption = cap;
  f->n_panels = rc != NULL ? 2 : 1;

  PlLineFigure *l = &of->panels[0];
  l->title = (char *) _("pruned");
  l->x_label = (char *) (log_axis ? _("sparsity (log scale of 1 − sparsity)") : _("sparsity"));
  l->x_scale = log_axis ? PL_AXIS_LOG_COMPLEMENT : PL_AXIS_LINEAR;
  l->x_percent = TRUE;
  l->y_label = (char *) _("similarity to the original");
  l->y_min = ymin;
  l->y_max = 1.0;
  l->n_series = 3;
  l->series[0] = (PlLineSeries) { _("Spearman of |φ|"), n, x, sp, splo, sphi, FALSE, TRUE, 1 };
  l->series[1] = (PlLineSeries) { topk_name, n, x, tk, NULL, NULL, TRUE, TRUE, 2 };
  l->series[2] = (PlLineSeries) { _("SSIM"), n, x, ss, NULL, NULL, FALSE, TRUE, 3 };
  f->panels[0] = l;
  if (rc != NULL) {
    PlLineFigure *r = &of->panels[1];
    r->title = (char *) _("randomised (reference)");
    r->x_label = (char *) _("layers randomised, from the output (last named)");
    r->x_tick_labels = ticks;
    r->n_x_tick_labels = ns;
    r->y_min = ymin;
    r->y_max = 1.0;
    r->n_series = 3;
    r->series[0] = (PlLineSeries) { _("Spearman of |φ|"), ns, rx, rsp, rlo, rhi, FALSE, TRUE, 1 };
    r->series[1] = (PlLineSeries) { topk_name, ns, rx, rtk, NULL, NULL, TRUE, TRUE, 2 };
    r->series[2] = (PlLineSeries) { _("SSIM"), ns, rx, rss, NULL, NULL, FALSE, TRUE, 3 };
    f->panels[1] = r;
  }
  return of;
}
