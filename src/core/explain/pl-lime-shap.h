/* pl-lime-shap.h — LIME and KernelSHAP of one input for the original and the pruned
 * network, on the same segments: the numbers behind the "LIME / SHAP" view of the
 * workbench and `prunelens-cli explain --figure lime|shap|lime-shap`.
 *
 * Layer: core (no GTK, no cairo). The figure (src/render/pl-lime-shap-figure.h) is filled
 * from a PlLimeShapResult by pl_lime_shap_figure_compute, the one entry point both the CLI
 * and the workbench call; the computation itself lives here so that it is tested without
 * cairo and reused by anything else that needs the values.
 *
 * Methods: LIME (Ribeiro, Singh & Guestrin, "Why Should I Trust You?", KDD 2016) and
 * KernelSHAP (Lundberg & Lee, "A Unified Approach to Interpreting Model Predictions",
 * NeurIPS 2017), as pl_attribution_lime_image / _table, pl_kernel_shap_image and
 * pl_attribution_kernel_shap_table compute them.
 */
#pragma once

#include <glib.h>
#include "explain/pl-attribution.h"
#include "explain/pl-explain.h"
#include "graph/pl-graph.h"
#include "pl-progress.h"

G_BEGIN_DECLS

#define PL_LIME_SHAP_MAX_METHODS 2

/* One method on one network. */
typedef struct {
  float *values;        /* [n_items] (owned), NULL: not computed */
  double r2;            /* LIME: weighted R² of the surrogate; NaN: not shown */
  double residual;      /* KernelSHAP: Σφ − (f(x) − φ₀); NaN: not shown */
  double fx;            /* f_t(x) in logits; NaN: not shown */
  double f0;            /* φ₀ = v(∅) (KernelSHAP) or the surrogate's intercept (LIME) */
} PlLimeShapCell;

typedef enum {
  PL_LIME_SHAP_LIME,
  PL_LIME_SHAP_KERNEL_SHAP,
} PlLimeShapMethod;

/* How an image is cut into the segments both methods and both networks share. */
typedef enum {
  PL_LIME_SHAP_SUPERPIXELS,   /* pl_superpixels with PlLimeShapOptions.superpixels */
  PL_LIME_SHAP_GRID,          /* grid_rows × grid_cols patches, each cut to the image */
} PlLimeShapSegmentation;

typedef struct {
  gboolean want_lime, want_shap;       /* the rows, in this order; default both */
  gint target;                         /* class; < 0 (default): the original's prediction */
  PlLimeShapSegmentation segmentation; /* images; default PL_LIME_SHAP_SUPERPIXELS */
  PlSuperpixelOptions superpixels;     /* pl_superpixel_options_init's defaults */
  gint grid_rows, grid_cols;           /* PL_LIME_SHAP_GRID; default 4 × 4 */
  gboolean small_image_grid;           /* default TRUE: when superpixels fail on an image
                                        * with a side under 8 px, a min(4, H) × min(4, W)
                                        * grid instead (result->small_image_grid) */
  PlLimeOptions lime;                  /* pl_lime_options_init's, but fill =
                                        * PL_LIME_FILL_VALUE, fill_value 0: LIME hides a
                                        * segment as KernelSHAP does (one game) */
  PlKernelShapOptions shap;            /* budget 0 (2M + 2048), seed 1 */
} PlLimeShapOptions;

/* The defaults above (those of the workbench's LIME / SHAP view). */
void pl_lime_shap_options_init (PlLimeShapOptions *options);

typedef struct {
  gint n_methods;                                   /* rows, 1 … 2 */
  PlLimeShapMethod methods[PL_LIME_SHAP_MAX_METHODS];
  gint target;                                      /* the class explained */
  gboolean table;                                   /* a table row [1, F] */
  gint n_items;                                     /* M segments or F features */
  PlSegmentation *segmentation;                     /* images (owned); NULL for tables */
  char *segmentation_description;                   /* "superpixels=slic region-size=4 …"
                                                     * or "grid=4x4"; NULL for tables */
  gboolean small_image_grid;                        /* the small-image grid was used */
  float fill_value;                                 /* images: KernelSHAP's baseline and
                                                     * LIME's fill (PL_LIME_FILL_VALUE) */
  PlLimeShapCell cells[PL_LIME_SHAP_MAX_METHODS][2];/* [row][0 original, 1 pruned] */
  char *parameters[PL_LIME_SHAP_MAX_METHODS];       /* every parameter of a row, one line:
                                                     * LIME's as it reports them (original
                                                     * network), KernelSHAP's "target=… …
                                                     * baseline=… budget=… seed=…" */
} PlLimeShapResult;

void pl_lime_shap_result_free (PlLimeShapResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlLimeShapResult, pl_lime_shap_result_free)

/* LIME and KernelSHAP of input for the original and the pruned network (pruned may be the
 * original), on segments computed once.
 *
 * input: an image [1, C, H, W] (values as the model takes them) or a table row [1, F].
 * train: table rows only, [N, F] — LIME samples around its column means and population
 *   standard deviations; KernelSHAP's reference row is its column means. NULL for images.
 * Images: the segments per options->segmentation; LIME hides a segment with
 *   options->lime.fill (its own mean colour or fill_value), KernelSHAP always with
 *   options->lime.fill_value (its baseline). Values: LIME's coefficients (logit per
 *   segment shown; tables: logit per standard deviation) and Shapley values φ (logit),
 *   [n_items] per cell, with LIME's weighted R² and KernelSHAP's efficiency residual
 *   Σφ − (f(x) − φ₀), ≈ 0 (exactly 0 up to rounding when budget ≥ 2^M − 2: every coalition
 *   is enumerated and φ are the exact Shapley values).
 * progress: network n takes [n/2, (n + 1)/2]; within it LIME the first half, KernelSHAP
 *   the second (each all of it when alone). Cancellable.
 * Errors: no method asked, a table row without train or with another width, superpixels
 *   that fail (PL_ERROR_UNSUPPORTED without VLFeat), the methods' own errors,
 *   G_IO_ERROR_CANCELLED. */
PlLimeShapResult *pl_lime_shap_compute (PlGraph *original, PlGraph *pruned,
                                        const PlTensor *input, const PlTensor *train,
                                        const PlLimeShapOptions *options,
                                        const PlProgress *progress, GError **error);

G_END_DECLS
