/* pl-info-popover.c — see pl-info-popover.h. */
#include "config.h"
#include "pl-info-popover.h"

#include <glib/gi18n.h>

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
