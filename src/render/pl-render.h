/* pl-render.h — figures as data, drawn with cairo onto any surface.
 *
 * The same draw function paints a GtkDrawingArea (the app passes its cairo_t) and a
 * PNG / SVG / PDF file, so an exported figure is the figure on screen. Sizes are in
 * cairo user units (points for files, pixels on screen). Figures always paint their own
 * background (white unless told otherwise). No GTK here.
 */
#pragma once

#include <cairo.h>
#include <glib.h>
#include "tensor/pl-tensor.h"

G_BEGIN_DECLS

typedef enum {
  PL_COLORMAP_VIRIDIS,    /* sequential, perceptually uniform (matplotlib's viridis) */
  PL_COLORMAP_MAGMA,      /* sequential, perceptually uniform */
  PL_COLORMAP_GREY,       /* sequential, black to white */
  PL_COLORMAP_DIVERGING,  /* blue–white–red (ColorBrewer RdBu reversed), centre = 0 */
} PlColormap;

/* t in [0, 1] (clamped) -> rgb in [0, 1]. */
void pl_colormap_lookup (PlColormap colormap, double t, double rgb[3]);

/* Addition: the colormap of unsigned (sequential) attribution maps in comparison figures
 * and of the workbench's sequential images, for the whole process (the app sets it from
 * its "colormap" setting). Default PL_COLORMAP_VIRIDIS; signed maps stay DIVERGING. Only
 * VIRIDIS, MAGMA and GREY are accepted (others are ignored). Thread-safe. */
void pl_render_set_sequential_colormap (PlColormap colormap);
PlColormap pl_render_get_sequential_colormap (void);
/* Parses "viridis", "magma", "grey"; FALSE otherwise. */
gboolean pl_colormap_from_name (const char *name, PlColormap *colormap);

/* Addition: the folder of the compiled message catalogues for bindtextdomain
 * (<dir>/<lang>/LC_MESSAGES/prunelens.mo): $PRUNELENS_LOCALEDIR when set; else the build
 * tree's po folder when the running executable (/proc/self/exe) lies in the build tree it
 * was compiled in and that folder holds a catalogue, so build/src/app/prunelens and
 * build/src/cli/prunelens-cli speak the user's language uninstalled; else the installed
 * LOCALEDIR. Never NULL; owned by the library. */
const char *pl_locale_dir (void);

typedef struct {
  PlColormap colormap;
  double vmin, vmax;       /* colour scale; for DIVERGING use vmin = -vmax */
  char *label;             /* colorbar label with units, e.g. "|∂logit/∂x|" */
} PlColorScale;

typedef struct {
  char *title;             /* may contain '\n' for a second line */
  const PlTensor *map;     /* [H, W] values (borrowed) */
  const PlTensor *underlay;/* optional [H, W] grey image in [0, 1] drawn beneath (borrowed) */
  double overlay_alpha;    /* opacity of the map over the underlay (1 = opaque) */
  gint scale;              /* index into PlHeatmapFigure.scales */
  const gint *outline;     /* optional [H, W] segment labels: outline borders (borrowed) */
} PlHeatmapPanel;

#define PL_FIGURE_MAX_PANELS 6

/* A row of heatmap panels sharing one or two colour scales, each drawn as a colorbar
 * after the panels that use it. Nearest-neighbour upsampling (pixels stay square). */
typedef struct {
  char *title;             /* optional, above the row */
  char *caption;           /* optional, below: method and parameters */
  gint n_panels;
  PlHeatmapPanel panels[PL_FIGURE_MAX_PANELS];
  gint n_scales;
  PlColorScale scales[2];
  gboolean dark;           /* dark background (screen in dark mode); files: FALSE */
} PlHeatmapFigure;

void pl_heatmap_figure_draw (cairo_t *cr, double width, double height,
                             const PlHeatmapFigure *figure);

/* Grouped horizontal bars: for every bar label one bar per group (e.g. original and
 * pruned), signed values from a zero line, a legend, a labelled value axis with ticks. */
typedef struct {
  char *title;
  char *caption;
  char *value_label;       /* axis label with units */
  gint n_groups;           /* ≤ 4 */
  const char *group_names[4];
  gint n_bars;
  char **bar_labels;       /* [n_bars] */
  const double *values;    /* [n_groups × n_bars], group-major (borrowed) */
  gboolean sort;           /* order bars by |value| of group 0, largest on top */
  gint top_k;              /* show only the top_k bars (≤ 0: all) */
  gboolean dark;
  /* Additions (all zero: as before). */
  /* Error bars when the values are aggregated (e.g. mean ± 95 % CI): whisker ends per
   * value, [n_groups × n_bars] like values (borrowed); NaN: no whisker for that bar. Both
   * or neither. The value axis includes the whiskers. */
  const double *err_lo, *err_hi;
  /* With top_k < n_bars: one more row, last, holding per group the sum of the bars not
   * shown, labelled others_label (NULL: "others (N)" with N the number of bars summed). */
  gboolean others;
  const char *others_label;
  gboolean value_percent;  /* value tick labels as percentages (0.5 → "50 %") */
} PlBarFigure;

void pl_bar_figure_draw (cairo_t *cr, double width, double height, const PlBarFigure *figure);

/* Any figure: a draw function and its data. */
typedef void (*PlDrawFunc) (cairo_t *cr, double width, double height, gconstpointer figure);

/* Writes a PNG through libpng: width_in × height_in inches at dpi, with a pHYs chunk
 * (dpi) and tEXt chunks Software, Title and Description (when non-NULL). White
 * background. Atomic (temporary file then rename). Errors: PL_ERROR_IO naming path. */
gboolean pl_render_png (PlDrawFunc draw, gconstpointer figure, double width_in,
                        double height_in, double dpi, const char *path, const char *title,
                        const char *description, GError **error);

/* The same figure as a vector file (cairo's SVG 1.1 / PDF 1.5 surfaces), width_in ×
 * height_in inches (72 points per inch). PDF carries Title, Subject (description) and
 * Creator metadata; SVG has no metadata. Atomic (temporary file then rename).
 * Errors: PL_ERROR_INVALID (size), PL_ERROR_IO naming path. */
gboolean pl_render_svg (PlDrawFunc draw, gconstpointer figure, double width_in,
                        double height_in, const char *path, const char *title,
                        const char *description, GError **error);
gboolean pl_render_pdf (PlDrawFunc draw, gconstpointer figure, double width_in,
                        double height_in, const char *path, const char *title,
                        const char *description, GError **error);

/* Draw helpers shared by all figures (text in the current font, "Sans"). */
/* Draws text (pangocairo, "Sans", size in user units; '\n' starts a new line) in the
 * current source colour. (x, y) is the anchor: halign 0 = left edge, 0.5 = centre,
 * 1 = right edge; valign 0 = top, 0.5 = middle, 1 = bottom of the text's box. */
void pl_draw_text (cairo_t *cr, double x, double y, const char *text, double size,
                   double halign, double valign);

G_END_DECLS
