/* pl-comparison-figure.h — the figures of an original-vs-pruned comparison.
 *
 * Built from a PlComparison (src/core/session) so that the workbench and prunelens-cli
 * draw the same figure from the same data: what is exported is what is on screen.
 */
#pragma once

#include "pl-render.h"
#include "session/pl-session.h"

G_BEGIN_DECLS

typedef enum {
  PL_FIGURE_SALIENCY,   /* input | original | pruned | difference heatmaps */
  PL_FIGURE_FEATURES,   /* saliency summed per patch, grouped bars */
  PL_FIGURE_SHAP,       /* KernelSHAP per patch: maps and difference */
  PL_FIGURE_N_KINDS
} PlFigureKind;

typedef struct {
  const char *model_name;      /* e.g. "fashion-cnn.onnx" */
  const char *dataset_name;    /* e.g. "Fashion-MNIST test" */
  double sparsity;             /* achieved sparsity of the pruned network, [0, 1] */
  const char *pruning;         /* how it was pruned; NULL: "global magnitude pruning" */
  const char *const *class_names;
  gint n_classes;
  gboolean dark;               /* screen in dark mode; files are always light */
  gboolean caption;            /* print method and parameters under the figure */
  /* Addition: > 0 draws the original, pruned (and SHAP) maps over the input image (grey)
   * at this opacity, in (0, 1]; 0 (default): the maps alone, as before. The difference
   * panel is never overlaid. */
  double overlay_alpha;
  /* Addition: the sparsity asked for, a share of the prunable weights outside protected
   * layers, in (0, 1]; when it differs from sparsity (protected layers stay dense) captions
   * say both: "90 % of prunable weights (89.38 % of all)". 0 (default): sparsity alone. */
  double target_sparsity;
} PlFigureContext;

/* "90 % of prunable weights (89.38 % of all)" for target 0.9 and achieved 0.8938, or
 * "89.38 %" when target ≤ 0 or the two agree to 0.005 %. Newly allocated, translated. */
char *pl_sparsity_label (double target, double achieved);
/* ctx's sparsity as captions show it (pl_sparsity_label of its target and achieved
 * sparsity), and the achieved sparsity alone ("89.38 %") for panel titles and legends,
 * which must stay short (the long form shrinks every column title to fit). Each returns a
 * per-thread buffer, valid until the next call of the same function in that thread. */
const char *pl_figure_context_sparsity_text (const PlFigureContext *ctx);
const char *pl_figure_context_sparsity_short (const PlFigureContext *ctx);


/* A figure of any kind; owns copies of its strings and references to its tensors. */
typedef struct _PlComparisonFigure PlComparisonFigure;

PlComparisonFigure *pl_comparison_figure_new (PlFigureKind kind, const PlComparison *comparison,
                                              const PlFigureContext *context);
void pl_comparison_figure_free (PlComparisonFigure *figure);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlComparisonFigure, pl_comparison_figure_free)

/* Draws onto any cairo surface; a PlDrawFunc. */
void pl_comparison_figure_draw (cairo_t *cr, double width, double height, gconstpointer figure);
/* Size a file of this figure is written at, in inches (6.5 wide for a report page). */
void pl_comparison_figure_size (const PlComparisonFigure *figure, double *width_in,
                                double *height_in);
const char *pl_comparison_figure_title (const PlComparisonFigure *figure);
/* Method and parameters, one line (also the PNG Description). */
const char *pl_comparison_figure_description (const PlComparisonFigure *figure);

/* Writes the figure as PNG (dpi), SVG or PDF, chosen by the file name's extension.
 * Errors: PL_ERROR_INVALID for an unknown extension, PL_ERROR_IO naming the file. */
gboolean pl_comparison_figure_save (const PlComparisonFigure *figure, const char *path,
                                    double dpi, GError **error);

const char *pl_figure_kind_name (PlFigureKind kind);   /* "saliency", "features", "shap" */
gboolean pl_figure_kind_from_name (const char *name, PlFigureKind *kind);

G_END_DECLS
