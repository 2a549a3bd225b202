/* pl-panels-figure.c — line plots side by side under one title and caption, the owned
 * figure wrappers, and the training-curves figure. */
#include "config.h"
#include <glib/gi18n-lib.h>
#include "pl-figure-util.h"

#include <math.h>
#include <string.h>

typedef struct {
  PlFigureFrame f;
  double size;            /* base text size of the panels */
  double x[PL_LINE_PANELS_MAX], w;
  gint n;
  gboolean ok;
} PanelsLayout;

static void
panels_layout (cairo_t *cr, double width, double height, const PlLinePanelsFigure *fig,
               PanelsLayout *L, gboolean draw)
{
  memset (L, 0, sizeof *L);
  L->ok = pl_figure_frame (cr, width, height, fig->title, fig->caption, fig->dark, draw, &L->f);
  L->n = CLAMP (fig->n_panels, 0, PL_LINE_PANELS_MAX);
  if (!L->ok || L->n == 0) {
    L->ok = FALSE;
    return;
  }
  /* the panels' text at the size of the whole figure, a little smaller when narrow */
  L->size = L->f.s * (L->n > 1 ? 0.9 : 1.0);
  double gap = 1.2 * L->f.s;
  /* panels draw their own margin (0.9 × size) inside their rectangle */
  double inner_left = L->f.left - 0.9 * L->size, inner_right = L->f.right + 0.9 * L->size;
  L->w = (inner_right - inner_left - (L->n - 1) * gap) / L->n;
  if (L->w < 6 * L->size) {
    L->ok = FALSE;
    return;
  }
  for (gint i = 0; i < L->n; i++)
    L->x[i] = inner_left + i * (L->w + gap);
}

gboolean
pl_line_panels_figure_panel_rect (cairo_t *cr, double width, double height,
                                  const PlLinePanelsFigure *figure, gint i, double rect[4])
{
  g_return_val_if_fail (cr != NULL && figure != NULL && rect != NULL, FALSE);
  PanelsLayout L;
  panels_layout (cr, width, height, figure, &L, FALSE);
  if (!L.ok || i < 0 || i >= L.n)
    return FALSE;
  double top = L.f.top - 0.9 * L.size, bottom = L.f.bottom + 0.9 * L.size;
  rect[0] = L.x[i];
  rect[1] = top;
  rect[2] = L.w;
  rect[3] = bottom - top;
  return TRUE;
}

void
pl_line_panels_figure_draw (cairo_t *cr, double width, double height,
                            const PlLinePanelsFigure *fig)
{
  g_return_if_fail (cr != NULL);
  g_return_if_fail (fig != NULL);
  cairo_save (cr);
  PanelsLayout L;
  panels_layout (cr, width, height, fig, &L, TRUE);
  if (L.ok) {
    double top = L.f.top - 0.9 * L.size, bottom = L.f.bottom + 0.9 * L.size;
    for (gint i = 0; i < L.n; i++) {
      if (fig->panels[i] == NULL)
        continue;
      PlLineFigure panel = *fig->panels[i];
      panel.font_size = L.size;
      panel.dark = fig->dark;
      panel.caption = NULL;
      cairo_save (cr);
      cairo_translate (cr, L.x[i], top);
      cairo_rectangle (cr, 0, 0, L.w, bottom - top);
      cairo_clip (cr);
      pl_line_figure_draw (cr, L.w, bottom - top, &panel);
      cairo_restore (cr);
    }
  }
  cairo_restore (cr);
}

/* ---- owned figures ---------------------------------------------------------------- */

void
pl_owned_line_figure_free (PlOwnedLineFigure *figure)
{
  if (figure == NULL)
    return;
  g_free (figure->data);
  g_clear_pointer (&figure->strings, g_ptr_array_unref);
  g_free (figure);
}

void
pl_owned_panels_figure_free (PlOwnedPanelsFigure *figure)
{
  if (figure == NULL)
    return;
  g_free (figure->data);
  g_clear_pointer (&figure->strings, g_ptr_array_unref);
  g_free (figure);
}

static char *
keep (GPtrArray *strings, char *s)
{
  g_ptr_array_add (strings, s);
  return s;
}

/* ---- training curves --------------------------------------------------------------- */

PlOwnedPanelsFigure *
pl_training_figure_new (gint n_epochs, const double *train_loss, const double *train_accuracy,
                        const double *test_loss, const double *test_accuracy,
                        gboolean log_loss, const char *caption)
{
  PlOwnedPanelsFigure *of = g_new0 (PlOwnedPanelsFigure, 1);
  of->strings = g_ptr_array_new_with_free_func (g_free);
  gint n = MAX (n_epochs, 0);
  /* epochs, then the four series */
  of->data = g_new0 (double, (gsize) 5 * MAX (n, 1));
  double *x = of->data;
  const double *src[4] = { train_loss, test_loss, train_accuracy, test_accuracy };
  double *dst[4];
  for (gint k = 0; k < 4; k++) {
    dst[k] = of->data + (gsize) (k + 1) * MAX (n, 1);
    for (gint i = 0; i < n; i++)
      dst[k][i] = src[k] != NULL ? src[k][i] : NAN;
  }
  for (gint i = 0; i < n; i++)
    x[i] = i + 1;

  PlLinePanelsFigure *f = &of->figure;
  f->title = keep (of->strings, g_strdup (_("Training curves")));
  f->caption = caption != NULL ? keep (of->strings, g_strdup (caption)) : NULL;
  f->n_panels = 2;
  for (gint p = 0; p < 2; p++) {
    PlLineFigure *lf = &of->panels[p];
    lf->title = (char *) (p == 0 ? _("loss") : _("top-1 accuracy"));
    lf->x_label = (char *) _("epoch");
    lf->y_label = p == 0 ? (char *) _("cross-entropy loss (nats)") : NULL;
    lf->x_scale = PL_AXIS_LINEAR;
    lf->y_scale = p == 0 && log_loss ? PL_AXIS_LOG : PL_AXIS_LINEAR;
    lf->y_percent = p == 1;
    gint ns = 0;
    for (gint k = 2 * p; k < 2 * p + 2; k++) {
      if (src[k] == NULL)
        continue;
      lf->series[ns++] = (PlLineSeries) { (k % 2) == 0 ? _("training") : _("test"), n, x, dst[k],
                                          NULL, NULL, (k % 2) == 1, n <= 30, k % 2 };
    }
    lf->n_series = ns;
    f->panels[p] = lf;
  }
  return of;
}
