/* pl-attribution.h — the standard attribution methods, one result type for all.
 *
 * Every method explains one output f_t of a classifier (the logit of class t of graph
 * output 0; target < 0 selects the predicted class) for one input x of shape [1, ...]:
 * images are [1, C, H, W], table rows [1, F] (e.g. an MLP on a CSV row). Gradients come
 * from the executor (reverse mode). Perturbed inputs (IG steps, SmoothGrad samples,
 * occlusion windows, LIME samples, permutations) are evaluated in batches of
 * options->batch rows. Every method is seeded where it draws random numbers (GSL
 * mt19937 seeded with options->seed), reports progress on PlProgress (may be NULL) and
 * stops with G_IO_ERROR_CANCELLED when its cancellable fires.
 *
 * Errors (all methods): PL_ERROR_INVALID for an input that is not [1, ...] of the model's
 * sample shape, a class outside [0, K), a model whose output 0 is not [N, K] logits, or
 * options out of range (the message names the option and the accepted range);
 * PL_ERROR_TOO_LARGE for allocations beyond the tensor limit; cancellation.
 */
#pragma once

#include <glib.h>
#include "exec/pl-executor.h"
#include "explain/pl-explain.h"
#include "data/pl-dataset.h"
#include "pl-progress.h"

G_BEGIN_DECLS

/* The result of an attribution method. */
typedef struct {
  char *method;          /* "saliency", "gradient-x-input", "smoothgrad", "smoothgrad-squared",
                          * "vargrad", "integrated-gradients", "occlusion", "grad-cam",
                          * "lime", "permutation-importance", "mean-abs-shap",
                          * "kernel-shap" */
  char *parameters;      /* every parameter, e.g. "target=3 steps=50 rule=gauss-legendre
                          * baseline=zero seed=1 batch=32" (space-separated key=value) */
  guint64 seed;          /* the seed used (0 for deterministic methods) */
  gint target;           /* the class explained (resolved when -1 was asked); -1 for
                          * dataset-level methods scored on the true labels */
  PlTensor *attribution; /* the input's shape [1, ...] (channel-reduced saliency and
                          * Grad-CAM: [1, 1, H, W]), or [M] per segment / feature */
  PlTensor *sd;          /* standard deviation per entry of attribution over repeats or
                          * samples (permutation importance, mean |SHAP|), else NULL */
  double fx;             /* f_t(x) (NaN for dataset-level methods) */
  double f_baseline;     /* f_t(x′) for IG, v(∅) for table KernelSHAP; else NaN */
  double residual;       /* IG completeness residual Σφ − (f(x) − f(x′)); else NaN */
  double r2;             /* LIME: weighted R² of the surrogate on its samples; else NaN */
  double intercept;      /* LIME: surrogate intercept; permutation: baseline metric; else NaN */
} PlAttribution;

void pl_attribution_free (PlAttribution *attribution);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlAttribution, pl_attribution_free)

/* How a per-channel image map is reduced to one value per pixel. */
typedef enum {
  PL_CHANNEL_MAX,    /* max over channels (Simonyan et al. 2014) */
  PL_CHANNEL_SUM,
  PL_CHANNEL_MEAN,
  PL_CHANNEL_NONE,   /* keep [1, C, H, W] */
} PlChannelReduce;

/* ---- gradients ------------------------------------------------------------------- */

typedef struct {
  gboolean absolute;         /* |∂f/∂x| (default TRUE) */
  PlChannelReduce reduce;    /* images only (default PL_CHANNEL_MAX); ignored for
                              * inputs that are not [1, C, H, W] */
} PlSaliencyOptions;

/* Defaults: absolute TRUE, reduce PL_CHANNEL_MAX — the map of Simonyan et al. */
void pl_saliency_options_init (PlSaliencyOptions *options);

/* Vanilla gradient (Simonyan, Vedaldi & Zisserman, "Deep Inside Convolutional Networks",
 * ICLR workshop 2014): ∂f_t/∂x, optionally |·| and reduced over channels. Units: logit per
 * unit input. options may be NULL (defaults). For a table row use absolute FALSE to keep
 * the sign. */
PlAttribution *pl_attribution_saliency (PlExecutor *executor, const PlTensor *input,
                                        gint target, const PlSaliencyOptions *options,
                                        const PlProgress *progress, GError **error);

/* Gradient × Input (Shrikumar et al., "Not Just a Black Box", 2016; Ancona et al., ICLR
 * 2018): x ⊙ ∂f_t/∂x, signed, the input's shape. Units: logit. */
PlAttribution *pl_attribution_gradient_x_input (PlExecutor *executor, const PlTensor *input,
                                                gint target, const PlProgress *progress,
                                                GError **error);

typedef enum {
  PL_SMOOTHGRAD,          /* mean of gradients (Smilkov et al. 2017) */
  PL_SMOOTHGRAD_SQUARED,  /* mean of squared gradients (Hooker et al., NeurIPS 2019) */
  PL_VARGRAD,             /* variance of gradients (Adebayo et al. 2018) */
} PlSmoothGradVariant;

typedef struct {
  PlSmoothGradVariant variant;  /* default PL_SMOOTHGRAD */
  gint n_samples;               /* default 50 (Smilkov et al.) */
  double noise_level;           /* σ as a fraction of the input range, default 0.15 */
  double input_range;           /* the range σ is a fraction of; ≤ 0 (default): the
                                 * input's max − min (1 if the input is constant) */
  gboolean absolute;            /* default TRUE: |·| before channel reduction */
  PlChannelReduce reduce;       /* images only, default PL_CHANNEL_MAX */
  guint64 seed;                 /* default 1 */
  gint batch;                   /* noisy samples per backward pass, default 32 */
} PlSmoothGradOptions;

void pl_smoothgrad_options_init (PlSmoothGradOptions *options);

/* SmoothGrad (Smilkov et al., "SmoothGrad: removing noise by adding noise", 2017):
 * gradients at x + ε, ε ~ N(0, σ²), σ = noise_level · range, n samples; the variant
 * averages g, g² or takes Var[g] (population variance). The parameters always state σ
 * both as a fraction and in input units. */
PlAttribution *pl_attribution_smoothgrad (PlExecutor *executor, const PlTensor *input,
                                          gint target, const PlSmoothGradOptions *options,
                                          const PlProgress *progress, GError **error);

/* ---- Integrated Gradients ------------------------------------------------------- */

typedef enum {
  PL_BASELINE_ZERO,      /* x′ = 0 */
  PL_BASELINE_TENSOR,    /* x′ = options->baseline_tensor (e.g. the dataset mean from
                          * pl_dataset_mean, or training means for a table) */
  PL_BASELINE_BLUR,      /* x′ = x blurred by a Gaussian of blur_sigma pixels, per channel,
                          * edges replicated (Sturmfels et al., Distill 2020); images only */
  PL_BASELINE_UNIFORM,   /* x′ ~ U[min x, max x] per element, seeded (Sturmfels et al.) */
} PlBaselineKind;

typedef enum {
  PL_RULE_LEFT,            /* α_k = k/n, k = 0..n−1, weights 1/n */
  PL_RULE_RIGHT,           /* α_k = k/n, k = 1..n */
  PL_RULE_MIDDLE,          /* α_k = (k + ½)/n */
  PL_RULE_TRAPEZOID,       /* α_k = k/n, k = 0..n, end weights 1/(2n): n + 1 gradients */
  PL_RULE_GAUSS_LEGENDRE,  /* n-point Gauss–Legendre on [0, 1] (GSL glfixed) */
} PlIntegrationRule;

typedef struct {
  gint steps;                  /* default 50 */
  PlIntegrationRule rule;      /* default PL_RULE_GAUSS_LEGENDRE */
  PlBaselineKind baseline;     /* default PL_BASELINE_ZERO */
  const PlTensor *baseline_tensor;  /* PL_BASELINE_TENSOR: the input's shape or its
                                     * sample shape (borrowed) */
  const char *baseline_name;   /* how PL_BASELINE_TENSOR is named in the parameters,
                                * default "tensor" (e.g. "dataset-mean") */
  double blur_sigma;           /* PL_BASELINE_BLUR, pixels, default 5 */
  guint64 seed;                /* PL_BASELINE_UNIFORM, default 1 */
  gint batch;                  /* interpolation points per backward pass, default 32 */
} PlIntegratedGradientsOptions;

void pl_integrated_gradients_options_init (PlIntegratedGradientsOptions *options);

/* Integrated Gradients (Sundararajan, Taly & Yan, "Axiomatic Attribution for Deep
 * Networks", ICML 2017): φ = (x − x′) ⊙ ∫₀¹ ∂f_t/∂x (x′ + α (x − x′)) dα by the chosen
 * rule; the input's shape, units: logit. residual = Σφ − (f_t(x) − f_t(x′)) (the
 * completeness gap; it shrinks with steps on smooth models), f_baseline = f_t(x′). */
PlAttribution *pl_attribution_integrated_gradients (PlExecutor *executor,
                                                    const PlTensor *input, gint target,
                                                    const PlIntegratedGradientsOptions *options,
                                                    const PlProgress *progress,
                                                    GError **error);

/* The mean image of dataset samples [start, start + count) (count ≤ 0: all), [1, C, H, W]
 * in the units of pl_dataset_batch (pixels / 255). */
PlTensor *pl_dataset_mean (const PlDataset *dataset, gint64 start, gint64 count,
                           GError **error);

/* ---- occlusion ------------------------------------------------------------------- */

typedef struct {
  gint window_h, window_w;     /* 0 (default): 4 × 4 for images, 1 feature for tables
                                * (tables use window_w only) */
  gint stride_h, stride_w;     /* 0 (default): 2 × 2 for images, 1 for tables */
  float baseline;              /* occluded value, default 0 */
  const PlTensor *baseline_tensor;  /* optional per-element occlusion values (the input's
                                     * shape or its sample shape), e.g. training means;
                                     * overrides baseline */
  gint batch;                  /* occluded inputs per forward pass, default 64 */
} PlOcclusionOptions;

void pl_occlusion_options_init (PlOcclusionOptions *options);

/* Occlusion (Zeiler & Fergus, "Visualizing and Understanding Convolutional Networks",
 * ECCV 2014): each window (all channels; for a table, window_w consecutive features) is
 * set to the baseline; the drop f_t(x) − f_t(x_occluded) is given to every element of
 * the window, and elements covered by several windows get the mean of their windows'
 * drops (elements no window covers get 0). Windows start at 0, stride apart, the last one
 * ending at the edge. The input's shape, units: logit. */
PlAttribution *pl_attribution_occlusion (PlExecutor *executor, const PlTensor *input,
                                         gint target, const PlOcclusionOptions *options,
                                         const PlProgress *progress, GError **error);

/* ---- Grad-CAM -------------------------------------------------------------------- */

typedef struct {
  const char *layer;      /* name of a node (normally a Conv) or of its output value, whose
                           * output must be [1, K, h, w]; NULL (default): the last Conv node
                           * in topological order */
  gboolean after_relu;    /* default TRUE: when the Conv's only consumer is a Relu, use the
                           * rectified maps (Selvaraju et al. use rectified feature maps) */
} PlGradCamOptions;

void pl_grad_cam_options_init (PlGradCamOptions *options);

/* Grad-CAM (Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
 * Gradient-based Localization", ICCV 2017): A = the layer's maps [1, K, h, w],
 * α_k = mean_{i,j} ∂f_t/∂A_k[i, j], L = ReLU(Σ_k α_k A_k) [h, w], upsampled to [1, 1, H, W]
 * bilinearly with half-pixel centres and edges clamped (as OpenCV resize /
 * torch interpolate align_corners=False). Units: logit per unit activation × activation.
 * Errors: no Conv node, unknown layer name, maps that are not 4-D. */
PlAttribution *pl_attribution_grad_cam (PlExecutor *executor, const PlTensor *input,
                                        gint target, const PlGradCamOptions *options,
                                        const PlProgress *progress, GError **error);

/* ---- superpixels ----------------------------------------------------------------- */

typedef enum {
  PL_SUPERPIXELS_SLIC,        /* Achanta et al., TPAMI 2012 (VLFeat vl_slic_segment) */
  PL_SUPERPIXELS_QUICKSHIFT,  /* Vedaldi & Soatto, ECCV 2008 (VLFeat vl_quickshift) */
} PlSuperpixelMethod;

typedef struct {
  PlSuperpixelMethod method;   /* default PL_SUPERPIXELS_SLIC */
  gint region_size;            /* SLIC: nominal superpixel side in pixels, default 4
                                * (about 49 segments on 28×28) */
  double regularization;       /* SLIC: spatial regularity, default 0.01 (intensities 0..1;
                                * 0.1 gives an almost regular grid on 28×28 images) */
  gint min_region_size;        /* SLIC: smaller regions are merged, default 4 */
  double kernel_size;          /* quickshift: σ of the density kernel in pixels, default 1 */
  double max_dist;             /* quickshift: τ, the longest link in the tree, default 3 */
  double ratio;                /* quickshift: intensity scale against space, default 20
                                * (features are (x, y, ratio · intensity), intensities
                                * 0..1; about 25–70 segments on Fashion-MNIST) */
} PlSuperpixelOptions;

void pl_superpixel_options_init (PlSuperpixelOptions *options);

/* Superpixels of image [1, C, H, W] as a segmentation with segments numbered in
 * first-pixel (row-major) order and named "s0", "s1", ... Errors: PL_ERROR_UNSUPPORTED
 * when PruneLens was built without VLFeat; PL_ERROR_INVALID for bad parameters. */
PlSegmentation *pl_superpixels (const PlTensor *image, const PlSuperpixelOptions *options,
                                GError **error);
/* "superpixels=slic region-size=4 regularization=0.01 min-region-size=4" — for result
 * parameters (newly allocated). */
char *pl_superpixel_options_describe (const PlSuperpixelOptions *options);

/* ---- LIME ------------------------------------------------------------------------ */

typedef enum {
  PL_LIME_FILL_MEAN,    /* a hidden superpixel takes its own mean colour (LIME's default) */
  PL_LIME_FILL_VALUE,   /* a hidden superpixel takes fill_value */
} PlLimeFill;

typedef struct {
  gint n_samples;          /* default 1000 (LIME's explain_instance); the first sample is
                            * the unperturbed input */
  double kernel_width;     /* ≤ 0 (default): 0.25 for images (cosine distance), 0.75 √M
                            * for tables (Euclidean distance of standardised features) */
  double ridge_alpha;      /* default 1 (scikit-learn Ridge, intercept not penalised) */
  PlLimeFill fill;         /* images, default PL_LIME_FILL_MEAN */
  float fill_value;        /* images, PL_LIME_FILL_VALUE, default 0 */
  gboolean sample_around_instance;  /* tables, default FALSE: N(μ, σ²) of the training
                                     * data; TRUE: N(x, σ²) */
  guint64 seed;            /* default 1 */
  gint batch;              /* perturbed inputs per forward pass, default 64 */
} PlLimeOptions;

void pl_lime_options_init (PlLimeOptions *options);

/* LIME for an image (Ribeiro, Singh & Guestrin, "Why Should I Trust You?", KDD 2016, as in
 * lime_image): z ∈ {0,1}^M uniform, z₀ = 1; the image with the superpixels z_i = 0 filled;
 * weight π(z) = √exp(−d²/w²), d = cosine distance of z to 1; weighted ridge regression of
 * f_t on z (all M features). attribution: the coefficients [M]; intercept and r2 (weighted
 * R² on the samples) set. segmentation: e.g. from pl_superpixels (describe it in
 * segmentation_name, may be NULL). */
PlAttribution *pl_attribution_lime_image (PlExecutor *executor, const PlTensor *image,
                                          gint target, const PlSegmentation *segmentation,
                                          const char *segmentation_name,
                                          const PlLimeOptions *options,
                                          const PlProgress *progress, GError **error);

/* LIME for a table row [1, F] (lime_tabular with discretize_continuous=False): samples
 * z ~ N(μ, σ²) per feature (μ, σ: column means and population standard deviations of
 * train [N, F]; σ = 0 is taken as 1), row 0 = x; standardised features (z − μ)/σ; weight
 * √exp(−d²/w²) of the Euclidean distance to the standardised x; weighted ridge of f_t on
 * the standardised features. attribution: [F] coefficients per standard deviation. */
PlAttribution *pl_attribution_lime_table (PlExecutor *executor, const PlTensor *row,
                                          gint target, const PlTensor *train,
                                          const PlLimeOptions *options,
                                          const PlProgress *progress, GError **error);

/* Weighted ridge regression with an unpenalised intercept (as scikit-learn Ridge with
 * sample_weight): minimises Σ w_i (y_i − b − X_i β)² + α |β|². X [n, p] row-major;
 * beta_out [p]; intercept_out, r2_out (weighted R², NaN when y is constant) optional.
 * Errors: PL_ERROR_INVALID for n < 1, negative weights, a singular system. */
gboolean pl_weighted_ridge (const double *X, const double *y, const double *w, gint n, gint p,
                            double alpha, double *beta_out, double *intercept_out,
                            double *r2_out, GError **error);

/* ---- dataset-level importance ---------------------------------------------------- */

typedef enum {
  PL_PERMUTATION_ACCURACY,    /* drop in top-1 accuracy (fraction) */
  PL_PERMUTATION_CLASS_SCORE, /* drop in the mean logit of the true class */
} PlPermutationMetric;

typedef struct {
  PlPermutationMetric metric;   /* default PL_PERMUTATION_ACCURACY */
  gint repeats;                 /* default 5 */
  guint64 seed;                 /* default 1 */
  gint batch;                   /* default 256 */
} PlPermutationOptions;

void pl_permutation_options_init (PlPermutationOptions *options);

/* Permutation feature importance (Breiman, "Random Forests", 2001; Fisher, Rudin &
 * Dominici, JMLR 2019): importance_j = metric(data) − metric(data with feature j shuffled
 * across rows); for images a feature is a segment (all its pixels and channels move
 * together). attribution [M]: mean over repeats; sd [M]: sample standard deviation (0 for
 * one repeat); intercept: the unshuffled metric. Images: samples [start, start + count) of
 * dataset (count ≤ 0: all). */
PlAttribution *pl_permutation_importance_image (PlExecutor *executor, const PlDataset *dataset,
                                                gint64 start, gint64 count,
                                                const PlSegmentation *segmentation,
                                                const PlPermutationOptions *options,
                                                const PlProgress *progress, GError **error);
/* Tables: data [N, F], labels [N] class indices. Feature j = column j. */
PlAttribution *pl_permutation_importance_table (PlExecutor *executor, const PlTensor *data,
                                                const gint *labels,
                                                const PlPermutationOptions *options,
                                                const PlProgress *progress, GError **error);

/* Global importance as mean |SHAP| (Lundberg et al., Nature MI 2020): image KernelSHAP
 * (pl_kernel_shap_image with baseline and options) of each sample's predicted class
 * (target < 0) or of class target, over samples [start, start + count) of dataset.
 * attribution [M]: mean |φ_i|; sd [M]: standard deviation of |φ_i| over samples. */
PlAttribution *pl_global_shap_image (PlExecutor *executor, const PlDataset *dataset,
                                     gint64 start, gint64 count, gint target,
                                     const PlSegmentation *segmentation, float baseline,
                                     const PlKernelShapOptions *options,
                                     const PlProgress *progress, GError **error);

/* Global mean |SHAP| for a table: table KernelSHAP (reference row, options) of every row
 * of data [N, F], class target or each row's predicted class (target < 0).
 * attribution [F]: mean |φ_j|; sd [F]: population standard deviation of |φ_j|. */
PlAttribution *pl_global_shap_table (PlExecutor *executor, const PlTensor *data, gint target,
                                     const PlTensor *reference,
                                     const PlKernelShapOptions *options,
                                     const PlProgress *progress, GError **error);

/* KernelSHAP for a table row [1, F] with one reference row (the interventional game
 * v(S) = f_t(x_S, r_¬S), e.g. r = training means): attribution [F], fx = v(full),
 * f_baseline = v(∅). reference: [F] or [1, F]. */
PlAttribution *pl_attribution_kernel_shap_table (PlExecutor *executor, const PlTensor *row,
                                                 gint target, const PlTensor *reference,
                                                 const PlKernelShapOptions *options,
                                                 const PlProgress *progress, GError **error);

/* ---- Added (speed): exact fast paths -------------------------------------------------
 * When the model's input goes into one Conv / Gemm with constant weights (its "head",
 * pl_executor_head_value), that layer is affine in the input and is evaluated by
 * linearity: Integrated Gradients computes it for the baseline and for x − x′ only and
 * applies its transpose once to the weighted sum of the gradients at its output;
 * SmoothGrad (mean variant) transposes once too; KernelSHAP and LIME on images add
 * precomputed per-segment responses instead of recomputing it per perturbed image.
 * Results equal the plain path's up to float rounding (tests: 1e-5 relative). On by
 * default; PL_NO_FAST_EXPLAIN=1 in the environment or pl_explain_set_fast (FALSE) turns
 * them off (process-wide, for comparisons). Other models use the plain path. */
void pl_explain_set_fast (gboolean enabled);
gboolean pl_explain_get_fast (void);
/* Number of explanations computed on a fast path since the start (for tests). */
guint pl_explain_fast_uses (void);

G_END_DECLS
