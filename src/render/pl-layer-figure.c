/* pl-layer-figure.c — per-layer sparsity bars and the per-layer sensitivity curves. */
#include "config.h"
#include <glib/gi18n-lib.h>
#include "pl-figure-util.h"

#include <math.h>
#include <string.h>

PlLayerBarsFigure *
pl_layer_sparsity_figure_new (const PlLayerSparsity *original, const PlLayerSparsity *pruned)
{
  g_return_val_if_fail (original != NULL, NULL);
  PlLayerBarsFigure *lf = g_new0 (PlLayerBarsFigure, 1);
  gint n = MAX (original->n_layers, 0);
  gint groups = pruned != NULL ? 2 : 1;
  lf->values = g_new (double, (gsize) groups * MAX (n, 1));
  lf->labels = g_new0 (char *, n + 1);
  for (gint i = 0; i < n; i++) {
    lf->labels[i] = g_strdup (original->names[i]);
    lf->values[i] = original->sparsity[i];
    if (pruned != NULL)
      lf->values[n + i] = i < pruned->n_layers ? pruned->sparsity[i] : NAN;
  }
  lf->strings[0] = g_strdup (_("Sparsity per layer"));
  lf->strings[1] = g_strdup (_("share of zero weights (Conv / Gemm / MatMul weights; "
                               "biases not counted)"));
  lf->strings[2] = g_strdup (_("sparsity"));
  PlBarFigure *b = &lf->figure;
  b->title = lf->strings[0];
  b->caption = lf->strings[1];
  b->value_label = lf->strings[2];
  b->n_groups = groups;
  b->group_names[0] = _("original");
  b->group_names[1] = _("pruned");
  b->n_bars = n;
  b->bar_labels = lf->labels;
  b->values = lf->values;
  b->sort = FALSE;
  b->top_k = 0;
  b->value_percent = TRUE;
  return lf;
}

void
pl_layer_bars_figure_free (PlLayerBarsFigure *figure)
{
  if (figure == NULL)
    return;
  g_free (figure->values);
  g_strfreev (figure->labels);
  for (guint i = 0; i < G_N_ELEMENTS (figure->strings); i++)
    g_free (figure->strings[i]);
  g_free (figure);
}

PlOwnedLineFigure *
pl_sensitivity_figure_new (const PlLayerSensitivity *sn)
{
  g_return_val_if_fail (sn != NULL, NULL);
  PlOwnedLineFigure *of = g_new0 (PlOwnedLineFigure, 1);
  of->strings = g_ptr_array_new_with_free_func (g_free);
  gint n = MAX (sn->n_sparsities, 0);
  gint L = MIN (MAX (sn->n_layers, 0), PL_LINE_FIGURE_MAX_SERIES - 1);
  /* x, baseline, then the layers */
  of->data = g_new0 (double, (gsize) (2 + L) * MAX (n, 1));
  double *x = of->data, *base = x + MAX (n, 1);
  for (gint j = 0; j < n; j++) {
    x[j] = sn->sparsities[j];
    base[j] = sn->baseline_accuracy;
  }
  PlLineFigure *f = &of->figure;
  f->title = (char *) _("Sensitivity of the accuracy to pruning one layer");
  char *cap = g_strdup_printf (_("each layer alone pruned by magnitude to the sparsity on the "
                                 "x axis, the others unchanged · top-1 accuracy on the first "
                                 "%lld images"), (long long) sn->n_eval);
  g_ptr_array_add (of->strings, cap);
  f->caption = cap;
  f->x_label = (char *) _("sparsity of the pruned layer");
  f->y_label = (char *) _("top-1 accuracy");
  f->x_percent = TRUE;
  f->y_percent = TRUE;
  f->n_series = 0;
  for (gint l = 0; l < L; l++) {
    double *y = of->data + (gsize) (2 + l) * MAX (n, 1);
    for (gint j = 0; j < n; j++)
      y[j] = sn->accuracy[l * n + j];
    char *name = g_strdup_printf ("%s (%" G_GINT64_FORMAT ")", sn->names[l], sn->sizes[l]);
    g_ptr_array_add (of->strings, name);
    f->series[f->n_series++] = (PlLineSeries) { name, n, x, y, NULL, NULL, FALSE, TRUE, l };
  }
  f->series[f->n_series++] = (PlLineSeries) { _("unpruned"), n, x, base, NULL, NULL, TRUE, FALSE,
                                              7 };
  return of;
}
