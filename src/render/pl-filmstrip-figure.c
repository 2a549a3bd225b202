/* pl-filmstrip-figure.c — one input's maps in a row (e.g. saliency at 0, 50, 80, 90, 95,
 * 99 % sparsity) on one shared colour scale, a title above and a line below each frame,
 * one colorbar. */
#include "pl-figure-util.h"

#include <math.h>
#include <string.h>

typedef struct {
  PlFigureFrame f;
  double vmin, vmax;
  double x, y;              /* top-left of the first map */
  double fw, fh, gap;       /* map size, gap between frames */
  double title_h, sub_h;
  double cb_w;
  gint64 mh, mw;            /* cells of the first map (all frames share the aspect) */
  gboolean ok;
} FilmLayout;

static gboolean
map_dims (const PlTensor *t, gint64 *h, gint64 *w)
{
  if (t == NULL || t->ndim < 2 || t->data == NULL)
    return FALSE;
  *h = t->shape[t->ndim - 2];
  *w = t->shape[t->ndim - 1];
  return *h > 0 && *w > 0 && *h * *w == t->numel && *h <= 32768 && *w <= 32768;
}

static void
shared_range (const PlFilmstripFigure *fig, gint n, double *vmin, double *vmax)
{
  PlColorScale sc = fig->scale;
  if (isfinite (sc.vmin) && isfinite (sc.vmax) && sc.vmin < sc.vmax) {
    *vmin = sc.vmin;
    *vmax = sc.vmax;
    return;
  }
  double lo = INFINITY, hi = -INFINITY;
  for (gint i = 0; i < n; i++) {
    gint64 h, w;
    const PlTensor *m = fig->frames[i].map;
    if (!map_dims (m, &h, &w))
      continue;
    for (gint64 j = 0; j < m->numel; j++)
      if (isfinite (m->data[j])) {
        lo = MIN (lo, m->data[j]);
        hi = MAX (hi, m->data[j]);
      }
  }
  if (!(lo <= hi)) {
    lo = 0.0;
    hi = 1.0;
  }
  if (sc.colormap == PL_COLORMAP_DIVERGING) {
    double m = MAX (fabs (lo), fabs (hi));
    *vmin = -m;
    *vmax = m;
  } else {
    *vmin = MIN (lo, 0.0);
    *vmax = hi;
  }
  pl_sanitize_range (sc.colormap, vmin, vmax);
}

static void
compute_layout (cairo_t *cr, double width, double height, const PlFilmstripFigure *fig,
                FilmLayout *L, gboolean draw)
{
  memset (L, 0, sizeof *L);
  L->ok = pl_figure_frame (cr, width, height, fig->title, fig->caption, fig->dark, draw, &L->f);
  gint n = CLAMP (fig->n_frames, 0, PL_FILMSTRIP_MAX_FRAMES);
  if (!L->ok || n == 0) {
    L->ok = FALSE;
    return;
  }
  L->mh = L->mw = 1;
  for (gint i = 0; i < n; i++)
    if (map_dims (fig->frames[i].map, &L->mh, &L->mw) ||
        map_dims (fig->frames[i].underlay, &L->mh, &L->mw))
      break;
  double s = L->f.s, w, h;
  shared_range (fig, n, &L->vmin, &L->vmax);
  L->cb_w = pl_colorbar_width (cr, L->vmin, L->vmax, fig->scale.label, s);
  L->gap = 0.6 * s;
  double avail_w = L->f.right - L->f.left - L->cb_w - (n - 1) * L->gap;
  double fw = avail_w / n;
  /* titles and subtitles wrap within a frame's width */
  L->title_h = L->sub_h = 0.0;
  for (gint i = 0; i < n; i++) {
    const PlFilmstripFrame *fr = &fig->frames[i];
    if (fr->title != NULL && *fr->title != '\0') {
      pl_text_extents (cr, fr->title, 0.95 * s, FALSE, fw + L->gap * 0.8, &w, &h);
      L->title_h = MAX (L->title_h, h + 0.3 * s);
    }
    if (fr->subtitle != NULL && *fr->subtitle != '\0') {
      pl_text_extents (cr, fr->subtitle, 0.85 * s, FALSE, fw + L->gap * 0.8, &w, &h);
      L->sub_h = MAX (L->sub_h, h + 0.3 * s);
    }
  }
  double avail_h = L->f.bottom - L->f.top - L->title_h - L->sub_h;
  double fh = fw * (double) L->mh / (double) L->mw;
  if (fh > avail_h) {
    fh = avail_h;
    fw = fh * (double) L->mw / (double) L->mh;
  }
  if (fw < 2.0 || fh < 2.0) {
    L->ok = FALSE;
    return;
  }
  L->fw = fw;
  L->fh = fh;
  double block = n * fw + (n - 1) * L->gap + L->cb_w;
  L->x = L->f.left + MAX (0.0, (L->f.right - L->f.left - block) / 2.0);
  L->y = L->f.top + L->title_h + MAX (0.0, (avail_h - fh) / 2.0);
}

gboolean
pl_filmstrip_figure_frame_rect (cairo_t *cr, double width, double height,
                                const PlFilmstripFigure *figure, gint i, double rect[4])
{
  g_return_val_if_fail (cr != NULL && figure != NULL && rect != NULL, FALSE);
  FilmLayout L;
  compute_layout (cr, width, height, figure, &L, FALSE);
  if (!L.ok || i < 0 || i >= MIN (figure->n_frames, PL_FILMSTRIP_MAX_FRAMES))
    return FALSE;
  rect[0] = L.x + i * (L.fw + L.gap);
  rect[1] = L.y;
  rect[2] = L.fw;
  rect[3] = L.fh;
  return TRUE;
}

void
pl_filmstrip_figure_draw (cairo_t *cr, double width, double height,
                          const PlFilmstripFigure *fig)
{
  g_return_if_fail (cr != NULL);
  g_return_if_fail (fig != NULL);
  cairo_save (cr);
  FilmLayout L;
  compute_layout (cr, width, height, fig, &L, TRUE);
  if (!L.ok) {
    cairo_restore (cr);
    return;
  }
  const PlTheme *th = &L.f.th;
  double s = L.f.s;
  gint n = CLAMP (fig->n_frames, 0, PL_FILMSTRIP_MAX_FRAMES);
  for (gint i = 0; i < n; i++) {
    const PlFilmstripFrame *fr = &fig->frames[i];
    double x = L.x + i * (L.fw + L.gap), y = L.y;
    gint64 mh, mw;
    gboolean has_under = map_dims (fr->underlay, &mh, &mw);
    if (has_under) {
      gint fac = pl_map_factor (cr, mw, mh);
      cairo_surface_t *img = pl_grey_surface (fr->underlay->data, mw, mh, fac);
      pl_paint_surface (cr, img, mw, mh, fac, x, y, L.fw, L.fh, 1.0);
      cairo_surface_destroy (img);
    }
    if (map_dims (fr->map, &mh, &mw)) {
      gint fac = pl_map_factor (cr, mw, mh);
      cairo_surface_t *img = pl_map_surface (fr->map->data, mw, mh, fig->scale.colormap,
                                             L.vmin, L.vmax, fac);
      double alpha = has_under && fr->overlay_alpha > 0 && fr->overlay_alpha <= 1
                     ? fr->overlay_alpha : 1.0;
      pl_paint_surface (cr, img, mw, mh, fac, x, y, L.fw, L.fh, alpha);
      cairo_surface_destroy (img);
    } else if (!has_under) {
      /* no data: an empty frame with a cross */
      pl_set_rgb (cr, th->grid);
      cairo_set_line_width (cr, 0.8);
      cairo_move_to (cr, x, y);
      cairo_line_to (cr, x + L.fw, y + L.fh);
      cairo_move_to (cr, x + L.fw, y);
      cairo_line_to (cr, x, y + L.fh);
      cairo_stroke (cr);
    }
    cairo_set_line_width (cr, 0.6);
    cairo_set_source_rgba (cr, th->fg[0], th->fg[1], th->fg[2], 0.6);
    cairo_rectangle (cr, x, y, L.fw, L.fh);
    cairo_stroke (cr);
    if (fr->title != NULL && *fr->title != '\0') {
      pl_set_rgb (cr, th->fg);
      pl_draw_text_full (cr, x + L.fw / 2.0, y - 0.3 * s, fr->title, 0.95 * s, FALSE,
                         L.fw + L.gap * 0.8, 0.5, 1.0);
    }
    if (fr->subtitle != NULL && *fr->subtitle != '\0') {
      pl_set_rgb (cr, th->muted);
      pl_draw_text_full (cr, x + L.fw / 2.0, y + L.fh + 0.3 * s, fr->subtitle, 0.85 * s, FALSE,
                         L.fw + L.gap * 0.8, 0.5, 0.0);
    }
  }
  pl_colorbar_draw (cr, fig->scale.colormap, L.vmin, L.vmax, fig->scale.label,
                    L.x + n * L.fw + (n - 1) * L.gap, L.y, L.fh, s, th);
  cairo_restore (cr);
}
