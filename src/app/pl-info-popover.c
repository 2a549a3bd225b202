/* pl-info-popover.c — see pl-info-popover.h. */
#include "config.h"
#include "pl-info-popover.h"

#include <glib/gi18n.h>
#include "analysis/pl-compare.h"

typedef struct {
  const char *title, *what, *formula, *source;
} Info;

static const Info method_info[PL_MAP_N_METHODS] = {
  [PL_MAP_SALIENCY] = {
    N_("Saliency (vanilla gradient)"),
    N_("How strongly a small change of each pixel changes the logit of the explained class: "
       "bright pixels are those the network is most sensitive to."),
    N_("φ(x)ᵢ = maxₖ |∂f_c(x) / ∂xᵢₖ|  (k: colour channels)"),
    N_("K. Simonyan, A. Vedaldi, A. Zisserman: “Deep Inside Convolutional Networks: "
       "Visualising Image Classification Models and Saliency Maps”, ICLR Workshop 2014."),
  },
  [PL_MAP_GRADIENT_X_INPUT] = {
    N_("Gradient × Input"),
    N_("The gradient weighted by the pixel's own value: a first-order estimate of each "
       "pixel's contribution to the logit. Signed: red raises the logit, blue lowers it."),
    N_("φ(x)ᵢ = Σₖ xᵢₖ · ∂f_c(x) / ∂xᵢₖ"),
    N_("A. Shrikumar, P. Greenside, A. Shcherbina, A. Kundaje: “Not Just a Black Box: "
       "Learning Important Features Through Propagating Activation Differences”, 2016."),
  },
  [PL_MAP_INTEGRATED_GRADIENTS] = {
    N_("Integrated Gradients"),
    N_("Gradients averaged along the straight path from a black image to the input, times "
       "the input. The attributions add up to the change of the logit (completeness); the "
       "caption gives how far the numerical integral is from it."),
    N_("φ(x)ᵢ = xᵢ · ∫₀¹ ∂f_c(α x) / ∂xᵢ dα  (zero baseline, 50 Gauss–Legendre nodes); "
       "Σᵢ φᵢ ≈ f_c(x) − f_c(0)"),
    N_("M. Sundararajan, A. Taly, Q. Yan: “Axiomatic Attribution for Deep Networks”, "
       "ICML 2017."),
  },
  [PL_MAP_SMOOTHGRAD] = {
    N_("SmoothGrad"),
    N_("The saliency averaged over noisy copies of the input: less speckle than the plain "
       "gradient, the same idea."),
    /* xgettext:no-c-format */
    N_("φ(x) = (1/n) Σⱼ |∂f_c(x + εⱼ) / ∂x|,  εⱼ ~ N(0, σ²),  n = 50,  σ = 15 % of the "
       "input range"),
    N_("D. Smilkov, N. Thorat, B. Kim, F. Viégas, M. Wattenberg: “SmoothGrad: removing "
       "noise by adding noise”, 2017."),
  },
  [PL_MAP_OCCLUSION] = {
    N_("Occlusion"),
    N_("Hides a small window of the image at a time and measures how much the logit drops: "
       "no gradients, only forward passes. Signed."),
    N_("φ(x)ᵢ = mean over the 4 × 4 windows W ∋ i (stride 2) of f_c(x) − f_c(x with W set "
       "to 0)"),
    N_("M. D. Zeiler, R. Fergus: “Visualizing and Understanding Convolutional Networks”, "
       "ECCV 2014."),
  },
  [PL_MAP_GRAD_CAM] = {
    N_("Grad-CAM"),
    N_("Which regions of the last convolution's feature maps support the class: the maps "
       "weighted by their average gradient, negative evidence cut off, upsampled to the "
       "image."),
    N_("L = ReLU(Σₖ αₖ Aᵏ),  αₖ = mean over positions of ∂f_c / ∂Aᵏ  (A: last convolution's "
       "output), bilinear upsampling"),
    N_("R. R. Selvaraju et al.: “Grad-CAM: Visual Explanations from Deep Networks via "
       "Gradient-based Localization”, ICCV 2017."),
  },
};

char *
pl_info_method_markup (PlMapMethod method)
{
  if ((guint) method >= PL_MAP_N_METHODS)
    method = PL_MAP_SALIENCY;
  const Info *info = &method_info[method];
  g_autofree char *title = g_markup_escape_text (_(info->title), -1);
  g_autofree char *what = g_markup_escape_text (_(info->what), -1);
  g_autofree char *formula = g_markup_escape_text (_(info->formula), -1);
  g_autofree char *source = g_markup_escape_text (_(info->source), -1);
  /* Translators: the parts of an information popover: title, explanation, formula, paper. */
  return g_strdup_printf (_("<b>%s</b>\n\n%s\n\n<tt>%s</tt>\n\n<small>%s</small>"), title,
                          what, formula, source);
}

static const Info topic_info[PL_INFO_N_TOPICS] = {
  [PL_INFO_CONFUSION] = {
    N_("Confusion matrix"),
    N_("How often each true class (row) is predicted as each class (column) on the evaluated "
       "samples; the diagonal holds the correct predictions. Comparing the original and the "
       "pruned matrix shows which classes pruning confuses."),
    N_("Cᵢⱼ = #{n : yₙ = i, argmaxₖ f_k(xₙ) = j};  accuracy = Σᵢ Cᵢᵢ / Σᵢⱼ Cᵢⱼ"),
    N_("K. Pearson (1904); S. V. Stehman: “Selecting and interpreting measures of thematic "
       "classification accuracy”, Remote Sensing of Environment 62, 1997."),
  },
  [PL_INFO_LAYER_SPARSITY] = {
    N_("Sparsity per layer"),
    N_("The share of each prunable layer's weights that are zero or masked, before and after "
       "pruning. Global pruning spreads the sparsity unevenly: large layers usually lose most."),
    N_("sparsity(l) = #{w ∈ W_l : w = 0 or mask(w) = 0} / |W_l|"),
    N_("S. Han, J. Pool, J. Tran, W. J. Dally: “Learning both Weights and Connections for "
       "Efficient Neural Networks”, NeurIPS 2015 (Table 2)."),
  },
  [PL_INFO_CLASS_BARS] = {
    N_("Explanation similarity per class"),
    N_("The mean Spearman rank correlation of |φ| between the original and the pruned "
       "network's saliency maps over the compared images of each class, with percentile "
       "bootstrap confidence intervals: which classes' explanations pruning changed most."),
    N_("ρ = 1 − 6 Σᵢ dᵢ² / (n (n² − 1))  (dᵢ: rank differences of |φᵢ|, ties averaged)"),
    N_("C. Spearman (1904); B. Efron, R. Tibshirani: “An Introduction to the Bootstrap”, "
       "1993; J. Adebayo et al.: “Sanity Checks for Saliency Maps”, NeurIPS 2018."),
  },
  [PL_INFO_ACCURACY] = {
    N_("Top-1 accuracy"),
    N_("The share of the evaluated test samples whose highest-scoring class is the true "
       "class, measured after every pruning step on the same first samples of the test set "
       "(the evaluation subset size is a setting)."),
    N_("accuracy = (1/n) Σₙ [argmaxₖ f_k(xₙ) = yₙ]"),
    N_("Standard classification accuracy; pruning evaluation as in D. Blalock, J. J. G. Ortiz, "
       "J. Frankle, J. Guttag: “What is the State of Neural Network Pruning?”, MLSys 2020."),
  },
  [PL_INFO_COST] = {
    N_("Parameters and MACs"),
    N_("The cost of the network: its weights, and the multiply-adds per sample of the Conv, "
       "Gemm and MatMul layers. Effective MACs count only the non-zero, unmasked weights — "
       "what a sparse kernel would compute; structured pruning lowers the dense count too."),
    N_("MACs(Conv) = H_out · W_out · C_out · (C_in / groups) · k_h · k_w;  "
       "MACs(Gemm) = n_in · n_out;  effective: × share of non-zero weights"),
    N_("D. Blalock et al.: “What is the State of Neural Network Pruning?”, MLSys 2020 "
       "(reporting parameters and FLOPs)."),
  },
  [PL_INFO_SPEARMAN] = {
    N_("Spearman rank correlation"),
    N_("How similarly the original and the pruned network rank the pixels (or patches) by "
       "attribution: 1 for the same order, 0 for unrelated orders. Computed on the signed "
       "maps and on |φ| (what a heatmap shows)."),
    N_("ρ = 1 − 6 Σᵢ dᵢ² / (n (n² − 1))  (dᵢ: rank differences, ties averaged)"),
    N_("C. Spearman: “The Proof and Measurement of Association between Two Things”, American "
       "Journal of Psychology 15, 1904; used for saliency maps by J. Adebayo et al.: “Sanity "
       "Checks for Saliency Maps”, NeurIPS 2018."),
  },
  [PL_INFO_KENDALL] = {
    N_("Kendall τ-b"),
    N_("The rank agreement of the two maps counted over pairs of pixels: the share of pairs "
       "ordered the same way minus the share ordered the other way, corrected for ties."),
    N_("τ_b = (n_c − n_d) / √((n₀ − n₁)(n₀ − n₂)),  n₀ = n(n − 1)/2  (n₁, n₂: tied pairs in "
       "each map)"),
    N_("M. G. Kendall: “The Treatment of Ties in Ranking Problems”, Biometrika 33, 1945."),
  },
  [PL_INFO_PEARSON] = {
    N_("Pearson correlation"),
    N_("The linear correlation of the two signed maps' values: 1 when one is a positive "
       "multiple of the other plus a constant."),
    N_("r = Σᵢ (aᵢ − ā)(bᵢ − b̄) / √(Σᵢ (aᵢ − ā)² · Σᵢ (bᵢ − b̄)²)"),
    N_("K. Pearson: “Notes on Regression and Inheritance in the Case of Two Parents”, "
       "Proceedings of the Royal Society of London 58, 1895."),
  },
  [PL_INFO_COSINE] = {
    N_("Cosine similarity"),
    N_("The cosine of the angle between the two maps seen as vectors: 1 when they point the "
       "same way whatever their scale, 0 when orthogonal."),
    N_("cos(a, b) = Σᵢ aᵢ bᵢ / (‖a‖₂ ‖b‖₂)"),
    N_("G. Salton, M. J. McGill: “Introduction to Modern Information Retrieval”, 1983."),
  },
  [PL_INFO_TOPK] = {
    N_("Top-k overlap"),
    /* xgettext:no-c-format */
    N_("The share of the original map's k most important pixels (largest |φ|) that are also "
       "among the pruned map's k most important ones; k is 10 % of the pixels (or patches)."),
    N_("overlap = |T_k(|φᵒ|) ∩ T_k(|φᵖ|)| / k"),
    N_("A. Ghorbani, A. Abid, J. Zou: “Interpretation of Neural Networks Is Fragile”, AAAI "
       "2019."),
  },
  [PL_INFO_SSIM] = {
    N_("Structural similarity (SSIM)"),
    N_("Compares local means, contrasts and structure of the two maps under a sliding "
       "Gaussian window, as an image-quality index: 1 for identical maps."),
    N_("SSIM = mean over windows of (2 μa μb + C₁)(2 σab + C₂) / ((μa² + μb² + C₁)(σa² + σb² + "
       "C₂)),  11 × 11 Gaussian window, σ = 1.5, C₁ = (0.01 L)², C₂ = (0.03 L)²"),
    N_("Z. Wang, A. C. Bovik, H. R. Sheikh, E. P. Simoncelli: “Image Quality Assessment: From "
       "Error Visibility to Structural Similarity”, IEEE Transactions on Image Processing 13, "
       "2004; used for saliency by Adebayo et al., NeurIPS 2018."),
  },
  [PL_INFO_PATCH_BARS] = {
    N_("Feature importance per patch"),
    N_("The attribution summed over each patch of an N × N grid (for tables: one bar per "
       "feature), original and pruned side by side; the rank measures of the bars compare "
       "these sums."),
    N_("Φ_P = Σ_{i ∈ P} φᵢ  for every patch P"),
    N_("The patch grid follows the superpixel features of M. T. Ribeiro, S. Singh, "
       "C. Guestrin: “Why Should I Trust You?”, KDD 2016."),
  },
  [PL_INFO_DELETION] = {
    N_("Deletion AUC"),
    N_("Removes the pixels from the most to the least important according to the map (set "
       "to black) and follows the class probability: a faithful map makes it fall fast. The "
       "area under that curve — lower is more faithful."),
    N_("AUC = ∫₀¹ p_c(x with the top fraction t of pixels deleted) dt  (trapezoid rule)"),
    N_("V. Petsiuk, A. Das, K. Saenko: “RISE: Randomized Input Sampling for Explanation of "
       "Black-box Models”, BMVC 2018."),
  },
  [PL_INFO_INSERTION] = {
    N_("Insertion AUC"),
    N_("Starts from a blurred image and puts the original pixels back from the most to the "
       "least important: a faithful map makes the class probability rise fast. The area "
       "under that curve — higher is more faithful."),
    N_("AUC = ∫₀¹ p_c(blurred x with the top fraction t of pixels restored) dt  (trapezoid "
       "rule)"),
    N_("V. Petsiuk, A. Das, K. Saenko: “RISE: Randomized Input Sampling for Explanation of "
       "Black-box Models”, BMVC 2018."),
  },
  [PL_INFO_ENTROPY] = {
    N_("Entropy of an explanation"),
    N_("How spread out the attribution is: 0 when one pixel holds it all, ln n when every "
       "pixel holds the same share. Lower means a more concise explanation."),
    N_("H = −Σᵢ pᵢ ln pᵢ,  pᵢ = |φᵢ| / Σⱼ |φⱼ|  (nats)"),
    N_("U. Bhatt, A. Weller, J. M. F. Moura: “Evaluating and Aggregating Feature-based Model "
       "Explanations”, IJCAI 2020."),
  },
  [PL_INFO_GINI] = {
    N_("Gini coefficient of an explanation"),
    N_("How concentrated the attribution is: 0 when every pixel holds the same share, close "
       "to 1 when a few pixels hold it all. Higher means a sparser explanation."),
    N_("G = Σᵢ (2i − n − 1) p₍ᵢ₎ / n,  p sorted ascending,  pᵢ = |φᵢ| / Σⱼ |φⱼ|"),
    N_("N. Hurley, S. Rickard: “Comparing Measures of Sparsity”, IEEE Transactions on "
       "Information Theory 55, 2009; P. Chalasani et al.: “Concise Explanations of Neural "
       "Networks using Adversarial Training”, ICML 2020."),
  },
  [PL_INFO_BOOTSTRAP] = {
    N_("Bootstrap confidence interval"),
    /* xgettext:no-c-format */
    N_("How certain a mean over the compared images is: the images are resampled with "
       "replacement many times and the interval holds the middle 95 % of the resampled "
       "means. The seed makes it reproducible."),
    N_("CI = [q_{α/2}, q_{1−α/2}] of {mean(x*_b)}, b = 1…B,  x*_b: n draws with replacement"),
    N_("B. Efron, R. J. Tibshirani: “An Introduction to the Bootstrap”, Chapman & Hall, "
       "1993."),
  },
  [PL_INFO_TESTS] = {
    N_("Paired tests and p-values"),
    N_("Whether the pruned network's faithfulness differs from the original's on the same "
       "images: the paired t-test compares the mean difference with its standard error, the "
       "Wilcoxon signed-rank test only uses the ranks of the differences. A small p-value "
       "means such a difference is unlikely by chance alone; the effect sizes say how large "
       "it is."),
    N_("t = d̄ / (s_d / √n), n − 1 degrees of freedom, d_z = d̄ / s_d;  W⁺ = Σ ranks of |dᵢ| "
       "with dᵢ > 0, r = (W⁺ − W⁻) / (W⁺ + W⁻)"),
    N_("Student: “The Probable Error of a Mean”, Biometrika 6, 1908; F. Wilcoxon: "
       "“Individual Comparisons by Ranking Methods”, Biometrics Bulletin 1, 1945; D. A. "
       "Kerby: “The Simple Difference Formula”, Comprehensive Psychology 3, 2014."),
  },
  [PL_INFO_SANITY] = {
    N_("Randomisation sanity check"),
    N_("Re-initialises the trained network's layers one by one from the output backwards and "
       "measures how similar the explanation stays. An explanation that still looks the "
       "same after randomisation does not depend on what the network learned. The pruning "
       "curve is drawn beside it for scale."),
    N_("similarity(φ(x; θ), φ(x; θ with layers L…l randomised)) for l = L, L − 1, …, 1"),
    N_("J. Adebayo, J. Gilmer, M. Muelly, I. Goodfellow, M. Hardt, B. Kim: “Sanity Checks "
       "for Saliency Maps”, NeurIPS 2018."),
  },
  [PL_INFO_KERNEL_SHAP] = {
    N_("KernelSHAP"),
    N_("Shapley values of the patches for the explained logit: each patch's average "
       "marginal contribution over coalitions of visible patches, estimated by a weighted "
       "linear regression on sampled coalitions (hidden patches set to the baseline). The "
       "values add up to f(x) − f(all hidden)."),
    N_("φ = argmin Σ_z π(z) (v(z) − φ₀ − Σᵢ zᵢ φᵢ)²,  π(z) = (M − 1) / (C(M, |z|) · |z| · "
       "(M − |z|))"),
    N_("S. M. Lundberg, S.-I. Lee: “A Unified Approach to Interpreting Model Predictions”, "
       "NeurIPS 2017; L. S. Shapley (1953)."),
  },
  [PL_INFO_LIME] = {
    N_("LIME"),
    N_("Fits a simple weighted linear model to the network's outputs on perturbed copies of "
       "the input (superpixels switched on and off), weighting copies by their closeness to "
       "the input; the coefficients are the explanation, R² says how well the surrogate "
       "fits."),
    N_("g = argmin_g Σ_z π_x(z) (f(z) − g(z))² + Ω(g),  π_x(z) = exp(−d(x, z)² / σ²)"),
    N_("M. T. Ribeiro, S. Singh, C. Guestrin: “Why Should I Trust You? Explaining the "
       "Predictions of Any Classifier”, KDD 2016."),
  },
  [PL_INFO_PRUNING_CRITERIA] = {
    N_("Pruning criteria"),
    N_("Which weights go first. Magnitude: the smallest |w|. Random: a baseline. Taylor: the "
       "smallest first-order estimate of the loss change on calibration images. L1 / L2: "
       "whole filters with the smallest norm. Granularity: single weights, 2:4 "
       "(2 of every 4 survive) or whole channels."),
    N_("magnitude |w|;  Taylor |w · ∂L/∂w|;  filter ‖W_f‖₁ or ‖W_f‖₂"),
    N_("S. Han et al.: “Learning both Weights and Connections for Efficient Neural "
       "Networks”, NeurIPS 2015; P. Molchanov et al.: “Importance Estimation for Neural "
       "Network Pruning”, CVPR 2019; H. Li et al.: “Pruning Filters for Efficient ConvNets”, "
       "ICLR 2017; A. Mishra et al.: “Accelerating Sparse Deep Neural Networks”, 2021."),
  },
  [PL_INFO_PRUNING_SCHEDULES] = {
    N_("Pruning schedules"),
    N_("How Apply reaches the target sparsity: in one step; in k steps with fine-tuning "
       "between them; gradually along a cubic curve; or in k steps after which the surviving "
       "weights are rewound to their original values and retrained (lottery tickets)."),
    N_("iterative: s_j = 1 − (1 − s)^{j/k};  cubic: s_t = s_f + (s_i − s_f)(1 − t/T)³"),
    N_("S. Han et al., NeurIPS 2015; M. Zhu, S. Gupta: “To prune, or not to prune”, 2017; "
       "J. Frankle, M. Carbin: “The Lottery Ticket Hypothesis”, ICLR 2019."),
  },
};

char *
pl_info_topic_markup (PlInfoTopic topic)
{
  if ((guint) topic >= PL_INFO_N_TOPICS)
    topic = PL_INFO_CONFUSION;
  const Info *info = &topic_info[topic];
  g_autofree char *title = g_markup_escape_text (_(info->title), -1);
  g_autofree char *what = g_markup_escape_text (_(info->what), -1);
  g_autofree char *formula = g_markup_escape_text (_(info->formula), -1);
  g_autofree char *source = g_markup_escape_text (_(info->source), -1);
  return g_strdup_printf (_("<b>%s</b>\n\n%s\n\n<tt>%s</tt>\n\n<small>%s</small>"), title,
                          what, formula, source);
}

const char *
pl_info_topic_title (PlInfoTopic topic)
{
  if ((guint) topic >= PL_INFO_N_TOPICS)
    topic = PL_INFO_CONFUSION;
  return _(topic_info[topic].title);
}

PlInfoTopic
pl_info_topic_for_metric (int metric)
{
  switch ((PlCompareMetric) metric)
    {
    case PL_METRIC_SPEARMAN:
    case PL_METRIC_SPEARMAN_ABS:
    case PL_METRIC_BARS_SPEARMAN:
      return PL_INFO_SPEARMAN;
    case PL_METRIC_KENDALL:
    case PL_METRIC_BARS_KENDALL:
      return PL_INFO_KENDALL;
    case PL_METRIC_PEARSON:
      return PL_INFO_PEARSON;
    case PL_METRIC_COSINE:
      return PL_INFO_COSINE;
    case PL_METRIC_TOPK:
    case PL_METRIC_BARS_TOPK:
      return PL_INFO_TOPK;
    case PL_METRIC_SSIM:
      return PL_INFO_SSIM;
    case PL_METRIC_DELETION_ORIG:
    case PL_METRIC_DELETION_PRUNED:
      return PL_INFO_DELETION;
    case PL_METRIC_INSERTION_ORIG:
    case PL_METRIC_INSERTION_PRUNED:
      return PL_INFO_INSERTION;
    case PL_METRIC_ENTROPY_ORIG:
    case PL_METRIC_ENTROPY_PRUNED:
      return PL_INFO_ENTROPY;
    case PL_METRIC_GINI_ORIG:
    case PL_METRIC_GINI_PRUNED:
      return PL_INFO_GINI;
    case PL_N_METRICS:
    default:
      return PL_INFO_SPEARMAN;
    }
}

/* The ⓘ button's popover: the topic's text, made on first use. */
static void
create_info_popover (GtkMenuButton *button, gpointer user_data)
{
  if (gtk_menu_button_get_popover (button) != NULL)
    return;
  PlInfoTopic topic = (PlInfoTopic) GPOINTER_TO_INT (user_data);
  GtkWidget *popover = gtk_popover_new ();
  GtkWidget *label = gtk_label_new (NULL);
  g_autofree char *markup = pl_info_topic_markup (topic);
  gtk_label_set_markup (GTK_LABEL (label), markup);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 50);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_popover_set_child (GTK_POPOVER (popover), label);
  gtk_menu_button_set_popover (button, popover);
}

GtkWidget *
pl_info_button_new (PlInfoTopic topic)
{
  if ((guint) topic >= PL_INFO_N_TOPICS)
    topic = PL_INFO_CONFUSION;
  GtkWidget *info = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (info), "help-about-symbolic");
  gtk_widget_add_css_class (info, "flat");
  gtk_widget_add_css_class (info, "circular");
  gtk_widget_set_valign (info, GTK_ALIGN_CENTER);
  /* Translators: tooltip and accessible name of an ⓘ button; %s is e.g. "Kendall τ-b". */
  g_autofree char *name = g_strdup_printf (_("About %s"), pl_info_topic_title (topic));
  gtk_widget_set_tooltip_text (info, name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (info), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  /* The popover is made when first opened: a view holds dozens of these buttons and
   * building every popover up front cost the main loop tens of milliseconds. */
  gtk_menu_button_set_create_popup_func (GTK_MENU_BUTTON (info), create_info_popover,
                                         GINT_TO_POINTER (topic), NULL);
  return info;
}
