/* pl-render-private.h — helpers shared by the figures of src/render (not installed). */
#pragma once

#include <pango/pangocairo.h>
#include "pl-render.h"

G_BEGIN_DECLS

/* Colours of a figure: light (files, light screen) or dark (screen in dark mode). */
typedef struct {
  double bg[3];        /* background */
  double fg[3];        /* main text, axis lines */
  double muted[3];     /* tick labels, captions */
  double grid[3];      /* grid lines, frames */
  double zero[3];      /* zero line of bar charts */
} PlTheme;

void pl_theme_get (gboolean dark, PlTheme *theme);
void pl_set_rgb (cairo_t *cr, const double rgb[3]);

/* Text layout in "Sans" at size (user units), optionally bold, wrapped at wrap_width
 * (≤ 0: no wrapping), lines aligned by halign. Font options make the layout identical
 * on every surface (no hinting of metrics). */
PangoLayout *pl_text_layout (cairo_t *cr, const char *text, double size, gboolean bold,
                             double wrap_width, double halign);
void pl_text_extents (cairo_t *cr, const char *text, double size, gboolean bold,
                      double wrap_width, double *width, double *height);
/* Like pl_draw_text, but text wider than max_width (> 0) is shortened with an ellipsis
 * (pango, at the end); returns the width drawn. */
double pl_draw_text_ellipsized (cairo_t *cr, double x, double y, const char *text, double size,
                                double max_width, double halign, double valign);
/* Like pl_draw_text with bold and wrapping; returns the height drawn. */
double pl_draw_text_full (cairo_t *cr, double x, double y, const char *text, double size,
                          gboolean bold, double wrap_width, double halign, double valign);
/* Draws text rotated 90° counter-clockwise (reads bottom to top) centred on (x, y). */
void pl_draw_text_vertical (cairo_t *cr, double x, double y, const char *text, double size);

/* Shows layout at the current point (pango_cairo_show_layout), recording its ink box
 * when a recording is on. Every figure draws its text through this. */
void pl_show_layout (cairo_t *cr, PangoLayout *layout);

/* For tests: the device-space ink box of every text drawn in this thread between
 * pl_text_record_begin and pl_text_record_end (a GArray of PlTextBox, caller owns). */
typedef struct {
  double x0, y0, x1, y1;   /* bounding box */
  double qx[4], qy[4];     /* the ink rectangle's corners in order (rotated text: a rotated
                            * rectangle) */
  char text[84];           /* the first 20 characters */
} PlTextBox;
void pl_text_record_begin (void);
GArray *pl_text_record_end (void);

/* "Nice" tick values (1, 2, 2.5, 5 × 10^k steps, Heckbert 1990) inside [lo, hi], about
 * target of them. Returns the number written to ticks (≤ max_ticks) and the step. */
gint pl_nice_ticks (double lo, double hi, gint target, double *ticks, gint max_ticks,
                    double *step);
/* Formats a tick value with as many decimals as the step needs; U+2212 minus. */
char *pl_format_tick (double value, double step);
/* Formats a value with 3 significant digits (colorbar ends). */
char *pl_format_value (double value);

/* Packs a colour as cairo's ARGB32 premultiplied pixel (opaque). */
static inline guint32
pl_pack_rgb (const double rgb[3])
{
  guint32 r = (guint32) (CLAMP (rgb[0], 0.0, 1.0) * 255.0 + 0.5);
  guint32 g = (guint32) (CLAMP (rgb[1], 0.0, 1.0) * 255.0 + 0.5);
  guint32 b = (guint32) (CLAMP (rgb[2], 0.0, 1.0) * 255.0 + 0.5);
  return 0xff000000u | (r << 16) | (g << 8) | b;
}

G_END_DECLS
