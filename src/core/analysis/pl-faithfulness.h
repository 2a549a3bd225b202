/* pl-faithfulness.h — does an explanation point at what the network uses?
 *
 * Deletion and insertion curves (Petsiuk, Das & Saenko, "RISE: Randomized Input Sampling
 * for Explanation of Black-box Models", BMVC 2018) and the cascading model-parameter
 * randomisation sanity check (Adebayo et al., "Sanity Checks for Saliency Maps",
 * NeurIPS 2018).
 */
#pragma once

#include <glib.h>
#include "exec/pl-executor.h"
#include "data/pl-dataset.h"
#include "analysis/pl-stats.h"
#include "pl-progress.h"

G_BEGIN_DECLS

/* An attribution method: a new [H, W] map for image [1, C, H, W] and class target
 * (≥ 0). NULL wherever a PlAttributionFunc is taken selects vanilla-gradient saliency
 * (pl_saliency). */
typedef PlTensor *(*PlAttributionFunc) (PlExecutor *executor, const PlTensor *image,
                                        gint target, gpointer user_data, GError **error);

typedef enum {
  PL_CURVE_DELETION,    /* from x, most important pixels set to the baseline first */
  PL_CURVE_INSERTION,   /* from blurred x, most important original pixels put back first */
} PlCurveKind;

typedef enum {
  PL_CURVE_SCORE_PROBABILITY,  /* softmax probability of the target class (Petsiuk) */
  PL_CURVE_SCORE_LOGIT,        /* the target's logit */
} PlCurveScore;

typedef struct {
  /* Pixels changed per step (all channels of a pixel); default 16: 2 % of a 28 × 28 image,
   * 50 points per curve (Petsiuk et al. used 224 of 224 × 224 pixels, 0.45 %; a finer step
   * costs proportionally more forward passes). */
  gint pixels_per_step;
  float baseline;         /* deletion value, in input units (pixels / 255); default 0 */
  /* Insertion starts from x blurred by a separable Gaussian of this σ in pixels
   * (kernel radius ⌈3σ⌉, edges clamped); default 2 (Petsiuk used an 11-tap kernel on
   * 224-pixel images). σ ≤ 0: insertion starts from the baseline value instead. */
  double blur_sigma;
  PlCurveScore score;     /* default probability */
  gint batch_size;        /* forward batch, ≤ 0: 128 */
} PlFaithfulnessOptions;

void pl_faithfulness_options_init (PlFaithfulnessOptions *options);

/* A curve of n_points = ⌈HW / step⌉ + 1 points: after i steps, m_i = min(i · step, HW)
 * pixels changed, fraction[i] = m_i / HW, score[i] = the network's score of the target.
 * auc = pl_auc_trapezoid (fraction, score): the mean score, in score units (probability
 * or logit). Lower deletion AUC and higher insertion AUC mean a more faithful map. */
typedef struct {
  PlCurveKind kind;
  gint n_points;
  double *fraction;
  double *score;
  double auc;
} PlCurve;

/* image: [1, C, H, W]; attribution: [H, W] (or H·W values); pixels are ranked by
 * attribution descending, ties by lower index (row-major). All n_points images are
 * evaluated in batched forward passes. Errors: PL_ERROR_INVALID for shapes or a target
 * outside the logits; executor errors; cancellation. */
PlCurve *pl_faithfulness_curve (PlExecutor *executor, const PlTensor *image, gint target,
                                const PlTensor *attribution, PlCurveKind kind,
                                const PlFaithfulnessOptions *options,
                                const PlProgress *progress, GError **error);
/* Added (tables): the deletion / insertion curve of a table row [1, F] (a CSV row, an MLP
 * input). Features are ranked by attribution [F] descending (signed, as for images; ties by
 * lower index) and changed ONE feature per step: deletion replaces them by reference[j]
 * (e.g. the dataset's feature means, pl_dataset_feature_stats), most important first;
 * insertion starts from the reference row and puts the row's values back in the same
 * order. n_points = F + 1, fraction[i] = i / F. options: only score and batch_size are used
 * (pixels_per_step, baseline, blur_sigma apply to images). Errors as
 * pl_faithfulness_curve. */
PlCurve *pl_faithfulness_curve_table (PlExecutor *executor, const PlTensor *row, gint target,
                                      const PlTensor *attribution, const float *reference,
                                      PlCurveKind kind, const PlFaithfulnessOptions *options,
                                      const PlProgress *progress, GError **error);

/* Added (tables): the signed vanilla gradient ∂f_t/∂x of a table row [1, F] as a new
 * [1, F] tensor (pl_attribution_saliency, absolute FALSE): the default attribution of the
 * comparison, sweep and randomisation code for table datasets. A PlAttributionFunc
 * (user_data unused). */
PlTensor *pl_table_saliency (PlExecutor *executor, const PlTensor *row, gint target,
                             gpointer user_data, GError **error);

void pl_curve_free (PlCurve *curve);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlCurve, pl_curve_free)

/* x blurred per channel by the separable Gaussian of pl_faithfulness_options (σ in pixels,
 * radius ⌈3σ⌉, edge pixels repeated). image: [N, C, H, W]. σ ≤ 0 returns a copy. */
PlTensor *pl_gaussian_blur (const PlTensor *image, double sigma, GError **error);

/* Cascading randomisation (Adebayo et al. 2018, §3.1): the layers with weights (Conv /
 * Gemm / MatMul, pl_graph_prunable_weights) are re-initialised one after another from the
 * output backwards, cumulatively, on a copy of graph (graph itself is untouched). Step 0 is
 * the trained network; step s has the last s layers randomised. Re-initialisation:
 * He uniform U(−√(6/fan_in), √(6/fan_in)) weights from splitmix64(seed), biases 0; an
 * existing pruning mask is applied to the new weights. For each step and input the
 * attribution of the class the trained network predicts is compared with the trained
 * network's attribution by pl_attribution_similarity_full. */
typedef struct {
  gint n_steps;            /* layers + 1 */
  char **layer_names;      /* [n_steps]: "" for step 0, else the node randomised last */
  gint64 n_inputs;
  guint64 seed;
  double topk_fraction;
  /* [n_steps] means over the inputs (NaN values skipped) */
  double *spearman;
  double *spearman_abs;
  double *kendall;
  double *pearson;
  double *cosine;
  double *topk;
  double *ssim;
  double *spearman_abs_all; /* [n_steps × n_inputs] row-major per step */
} PlRandomisationCurve;

/* images: [N, C, H, W]; added: or table rows [N, F] (each explained as [1, F]; method NULL
 * then means pl_table_saliency; SSIM is NaN, it does not apply to vectors). method NULL:
 * saliency. Errors: PL_ERROR_INVALID (no layers with
 * weights, shapes), executor errors, cancellation. */
PlRandomisationCurve *pl_cascading_randomisation (PlGraph *graph, const PlTensor *images,
                                                  PlAttributionFunc method,
                                                  gpointer method_data, double topk_fraction,
                                                  guint64 seed, const PlProgress *progress,
                                                  GError **error);
void pl_randomisation_curve_free (PlRandomisationCurve *curve);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlRandomisationCurve, pl_randomisation_curve_free)

G_END_DECLS
