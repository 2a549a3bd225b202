/* pl-figure-util.h — helpers of the report figures (pl-figures.h); not installed. */
#pragma once

#include "pl-figures.h"
#include "pl-render-private.h"

G_BEGIN_DECLS

/* The frame every report figure shares: background, bold title on top, muted caption at
 * the bottom. s is the base text size; on return *top / *bottom bound the content. */
typedef struct {
  PlTheme th;
  double s;            /* base text size */
  double margin;
  double left, right, top, bottom;  /* content box */
} PlFigureFrame;

/* Computes the frame; draws when draw is TRUE. FALSE if there is no room for content. */
gboolean pl_figure_frame (cairo_t *cr, double width, double height, const char *title,
                          const char *caption, gboolean dark, gboolean draw,
                          PlFigureFrame *f);

/* The same with an explicit base text size (≤ 0: pl_figure_text_size). */
gboolean pl_figure_frame_full (cairo_t *cr, double width, double height, const char *title,
                               const char *caption, gboolean dark, gboolean draw, double size,
                               PlFigureFrame *f);
/* The base text size of a report figure of width × height user units. */
double pl_figure_text_size (double width, double height);

/* A vertical colorbar of colormap over [vmin, vmax] with nice ticks, the end values and a
 * rotated label. pl_colorbar_width gives the width it needs (gap included). */
double pl_colorbar_width (cairo_t *cr, double vmin, double vmax, const char *label, double s);
void pl_colorbar_draw (cairo_t *cr, PlColormap colormap, double vmin, double vmax,
                       const char *label, double x, double y, double h, double s,
                       const PlTheme *th);

/* Keeps vmin < vmax and both finite. */
void pl_sanitize_range (PlColormap colormap, double *vmin, double *vmax);

/* An image surface of the mw × mh map coloured by colormap over [vmin, vmax] (NaN cells:
 * transparent), enlarged by factor (integer ≥ 1) for crisp cells on vector surfaces. */
cairo_surface_t *pl_map_surface (const float *map, gint64 mw, gint64 mh, PlColormap colormap,
                                 double vmin, double vmax, gint factor);
/* Grey image in [0, 1] as a surface (for underlays), enlarged by factor. */
cairo_surface_t *pl_grey_surface (const float *img, gint64 mw, gint64 mh, gint factor);
/* Paints surface (mw × mh cells, enlarged by factor) into rect (x, y, w, h), nearest. */
void pl_paint_surface (cairo_t *cr, cairo_surface_t *img, gint64 mw, gint64 mh, gint factor,
                       double x, double y, double w, double h, double alpha);
/* The enlargement factor for a map drawn on cr: 1 on image surfaces, else one that makes
 * the map at least 512 pixels across (at most 16). */
gint pl_map_factor (cairo_t *cr, gint64 mw, gint64 mh);

G_END_DECLS
