/* cli-explain.c — prunelens-cli explain: original vs pruned figures, or one raw attribution. */
#include "cli-common.h"

#include "analysis/pl-layers.h"
#include "pl-lime-shap-figure.h"

#include <errno.h>

/* ---- explain, raw mode: one attribution method, the raw map as a TensorProto ---- */

typedef enum {
  RAW_SALIENCY,
  RAW_GRADIENT_X_INPUT,
  RAW_SMOOTHGRAD,
  RAW_SMOOTHGRAD_SQUARED,
  RAW_VARGRAD,
  RAW_INTEGRATED_GRADIENTS,
  RAW_OCCLUSION,
  RAW_GRAD_CAM,
  RAW_LIME,
  RAW_KERNEL_SHAP,
  RAW_N_METHODS
} RawMethod;

static const char *const raw_method_names[RAW_N_METHODS] = {
  "saliency", "gradient-x-input", "smoothgrad", "smoothgrad-squared", "vargrad",
  "integrated-gradients", "occlusion", "grad-cam", "lime", "kernel-shap",
};

typedef struct {
  RawMethod method;
  gint target;               /* < 0: the predicted class */
  gint steps;                /* IG, default 50 */
  gint samples;              /* SmoothGrad (50) / LIME (1000); 0: default */
  double noise;              /* SmoothGrad σ fraction; NaN: default */
  const char *baseline;      /* IG: zero|blur|uniform|mean; others: a number; LIME: mean */
  const char *rule;          /* IG rule */
  gint window_h, window_w, stride_h, stride_w;
  const char *layer;         /* Grad-CAM */
  const char *segmentation;  /* grid|slic|quickshift */
  gint grid;
  gboolean grid_given;       /* --grid on the command line: patches, and no fallback */
  gint budget;               /* KernelSHAP */
  gboolean signed_map;       /* saliency / SmoothGrad without |·| */
  guint64 seed;
} RawOptions;

typedef struct {
  PlGraph *graph;
  const PlDataset *dataset;  /* may be NULL */
  gboolean prune;
  double sparsity;
  PlTensor *input;
  RawOptions o;
  PlPruneStep *step;
  PlAttribution *result;
} RawWork;

static gboolean
parse_window (const char *text, gint *h, gint *w)
{
  if (text == NULL)
    return TRUE;
  char *end = NULL;
  gint64 a = g_ascii_strtoll (text, &end, 10), b = a;
  if (end == text)
    return FALSE;
  if (*end == 'x' || *end == 'X')
    {
      const char *s = end + 1;
      b = g_ascii_strtoll (s, &end, 10);
      if (end == s)
        return FALSE;
    }
  if (*end != '\0' || a < 1 || b < 1 || a > 4096 || b > 4096)
    return FALSE;
  *h = (gint) a;
  *w = (gint) b;
  return TRUE;
}

static gboolean
parse_number (const char *text, double *out)
{
  char *end = NULL;
  double v = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !isfinite (v))
    return FALSE;
  *out = v;
  return TRUE;
}

/* As the workbench (src/app/pl-lime-shap-view.c): SLIC with its default region size cannot
 * cut images with a side under 8 px smaller than that region; those get a min(4, H) ×
 * min(4, W) patch grid instead. TRUE when H × W images are too small for SLIC. */
static gboolean
too_small_for_slic (gint64 H, gint64 W)
{
  if (!PL_HAVE_VLFEAT || H < 1 || W < 1)
    return FALSE;
  PlSuperpixelOptions so;
  pl_superpixel_options_init (&so);
  /* SLIC of region size R on a side of R or less gives a single segment */
  return MIN (H, W) < 8 && so.region_size >= MIN (H, W);
}

/* The note printed when too_small_for_slic falls back to a patch grid. */
static void
note_small_image_grid (const char *what, gint64 H, gint64 W)
{
  if (opt_quiet)
    return;
  g_autofree char *msg = g_strdup_printf (_("the image is too small for superpixels: a %d × %d "
                                            "patch grid instead"),
                                          (int) MIN (4, H), (int) MIN (4, W));
  fprintf (stderr, _("note: %s: %s\n"), what, msg);
}

static PlSegmentation *
raw_segmentation (const RawWork *w, const char *default_kind, char **name, GError **error)
{
  const PlTensor *x = w->input;
  if (x->ndim != 4)
    {
      g_autofree char *s = shape_of (x);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "%s needs an image input [1, C, H, W]; the input is %s",
                   raw_method_names[w->o.method], s);
      return NULL;
    }
  const char *kind = w->o.segmentation ? w->o.segmentation : default_kind;
  gint H = (gint) x->shape[2], W = (gint) x->shape[3];
  if (g_str_equal (kind, "grid"))
    {
      if (w->o.grid_given && (w->o.grid > H || w->o.grid > W))
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       _("--grid %d does not fit the %d × %d image of %s; give --grid %d or "
                         "less"), w->o.grid, H, W,
                       w->dataset != NULL && w->dataset->name ? w->dataset->name
                                                              : _("the input"), MIN (H, W));
          return NULL;
        }
      /* the default 4 × 4 on a smaller image: the grid that fits */
      gint rows = MIN (w->o.grid, H), cols = MIN (w->o.grid, W);
      *name = g_strdup_printf ("grid=%dx%d", rows, cols);
      return pl_segmentation_grid (H, W, rows, cols);
    }
  PlSuperpixelOptions so;
  pl_superpixel_options_init (&so);
  so.method = g_str_equal (kind, "quickshift") ? PL_SUPERPIXELS_QUICKSHIFT : PL_SUPERPIXELS_SLIC;
  PlSegmentation *seg = pl_superpixels (x, &so, error);
  if (seg != NULL)
    *name = pl_superpixel_options_describe (&so);
  return seg;
}

/* Table rows [1, F]: LIME and KernelSHAP have table versions (one value per feature).
 * KernelSHAP's reference row is --baseline (a number for every feature) or the feature
 * means of the --data table; LIME samples around the --data table's feature statistics. */
static gboolean
raw_table (RawWork *w, gint target, const PlProgress *progress, PlExecutor *ex, GError **error)
{
  const RawOptions *o = &w->o;
  const PlTensor *x = w->input;
  const gint64 F = x->shape[1];
  if (w->dataset == NULL || w->dataset->kind != PL_DATASET_TABLE)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   _("%s on a table row needs the table it comes from (--data TABLE.csv) "
                     "for its feature statistics"), raw_method_names[o->method]);
      return FALSE;
    }
  if (w->dataset->n_features != F)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   _("The input row has %lld features but the table %s has %d"),
                   (long long) F, w->dataset->name ? w->dataset->name : "",
                   w->dataset->n_features);
      return FALSE;
    }
  if (o->segmentation != NULL)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   _("--segmentation is for images; on a table row every feature is one "
                     "segment"));
      return FALSE;
    }
  if (o->method == RAW_LIME && o->baseline != NULL && !g_str_equal (o->baseline, "mean"))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   _("--baseline %s does not apply to lime on a table row: it samples around "
                     "the --data table's feature means and standard deviations"), o->baseline);
      return FALSE;
    }
  if (o->method == RAW_LIME)
    {
      g_autoptr (PlTensor) train = pl_dataset_range (w->dataset, 0, w->dataset->n, error);
      if (train == NULL)
        return FALSE;
      PlLimeOptions lo;
      pl_lime_options_init (&lo);
      if (o->samples > 0)
        lo.n_samples = o->samples;
      lo.seed = o->seed;
      w->result = pl_attribution_lime_table (ex, x, target, train, &lo, progress, error);
      return w->result != NULL;
    }
  g_autoptr (PlTensor) reference = pl_tensor_new_2d (1, F);
  double v = 0.0;
  if (o->baseline != NULL && parse_number (o->baseline, &v))
    {
      for (gint64 j = 0; j < F; j++)
        reference->data[j] = (float) v;
    }
  else
    {
      g_autofree float *sd = g_new (float, F);
      if (!pl_dataset_feature_stats (w->dataset, reference->data, sd, error))
        return FALSE;
    }
  PlKernelShapOptions ko = { .budget = o->budget, .seed = o->seed, .batch = 0 };
  w->result = pl_attribution_kernel_shap_table (ex, x, target, reference, &ko, progress, error);
  if (w->result != NULL)
    {
      g_autofree char *ref = o->baseline != NULL ? g_strdup_printf ("reference=%g", v)
                                                 : g_strdup ("reference=feature-means");
      const char *old = w->result->parameters ? w->result->parameters : "";
      g_auto (GStrv) parts = g_strsplit (old, "reference=row", -1);
      char *p = g_strv_length (parts) > 1 ? g_strjoinv (ref, parts)
                                          : g_strdup_printf ("%s %s", old, ref);
      g_free (w->result->parameters);
      w->result->parameters = p;
    }
  return w->result != NULL;
}

static gboolean
raw_work (gpointer data, const PlProgress *progress, GError **error)
{
  RawWork *w = data;
  const RawOptions *o = &w->o;
  PlGraph *model = w->graph;
  if (w->prune)
    {
      PlProgress a = pl_progress_sub (progress, 0.0, 0.1);
      w->step = cli_prune_step (w->graph, w->dataset, w->sparsity, 1, &a, error);
      if (w->step == NULL)
        return FALSE;
      model = w->step->pruned;
    }
  PlProgress sub = pl_progress_sub (progress, w->prune ? 0.1 : 0.0, 1.0);
  g_autoptr (PlExecutor) ex = pl_executor_new (model, error);
  if (ex == NULL)
    return FALSE;
  /* Resolve the class once so that every method (KernelSHAP included) reports it. */
  gint target = o->target;
  double fx = NAN;
  {
    g_autoptr (PlTensor) logits = pl_executor_predict (ex, w->input, 1, NULL, error);
    if (logits == NULL)
      return FALSE;
    if (logits->ndim != 2 || logits->shape[0] != 1)
      {
        g_autofree char *s = shape_of (logits);
        g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                     "The model's first output should be logits [1, classes] for one input; "
                     "it is %s", s);
        return FALSE;
      }
    if (target < 0)
      target = (gint) pl_tensor_argmax (logits->data, logits->shape[1]);
    if (target >= logits->shape[1])
      {
        g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                     "--target %d is outside the model's %" G_GINT64_FORMAT " classes (0 to %"
                     G_GINT64_FORMAT ")", target, logits->shape[1], logits->shape[1] - 1);
        return FALSE;
      }
    fx = logits->data[target];
  }
  if ((o->method == RAW_LIME || o->method == RAW_KERNEL_SHAP) && w->input->ndim == 2)
    {
      if (!raw_table (w, target, &sub, ex, error))
        return FALSE;
      /* One value per feature, shaped like the row: [1, F]. */
      PlTensor *t = w->result->attribution;
      if (t->numel == w->input->shape[1] && t->ndim != 2)
        pl_tensor_reshape (t, 2, (const gint64[]) { 1, t->numel });
      if (!isfinite (w->result->fx))
        w->result->fx = fx;
      if (o->method == RAW_KERNEL_SHAP && isnan (w->result->residual)
          && isfinite (w->result->f_baseline))
        {
          double sum = 0.0;
          for (gint64 i = 0; i < t->numel; i++)
            sum += t->data[i];
          w->result->residual = sum - (w->result->fx - w->result->f_baseline);
        }
      return TRUE;
    }
  switch (o->method)
    {
    case RAW_SALIENCY:
      {
        PlSaliencyOptions so;
        pl_saliency_options_init (&so);
        so.absolute = !o->signed_map;
        w->result = pl_attribution_saliency (ex, w->input, target, &so, &sub, error);
        break;
      }
    case RAW_GRADIENT_X_INPUT:
      w->result = pl_attribution_gradient_x_input (ex, w->input, target, &sub, error);
      break;
    case RAW_SMOOTHGRAD:
    case RAW_SMOOTHGRAD_SQUARED:
    case RAW_VARGRAD:
      {
        PlSmoothGradOptions so;
        pl_smoothgrad_options_init (&so);
        so.variant = o->method == RAW_SMOOTHGRAD ? PL_SMOOTHGRAD
                   : o->method == RAW_SMOOTHGRAD_SQUARED ? PL_SMOOTHGRAD_SQUARED : PL_VARGRAD;
        if (o->samples > 0)
          so.n_samples = o->samples;
        if (isfinite (o->noise))
          so.noise_level = o->noise;
        so.absolute = !o->signed_map;
        so.seed = o->seed;
        w->result = pl_attribution_smoothgrad (ex, w->input, target, &so, &sub, error);
        break;
      }
    case RAW_INTEGRATED_GRADIENTS:
      {
        PlIntegratedGradientsOptions io;
        pl_integrated_gradients_options_init (&io);
        io.steps = o->steps;
        io.seed = o->seed;
        static const struct { const char *name; PlIntegrationRule rule; } rules[] = {
          { "left", PL_RULE_LEFT }, { "right", PL_RULE_RIGHT }, { "middle", PL_RULE_MIDDLE },
          { "trapezoid", PL_RULE_TRAPEZOID }, { "gauss-legendre", PL_RULE_GAUSS_LEGENDRE },
        };
        for (guint i = 0; o->rule != NULL && i < G_N_ELEMENTS (rules); i++)
          if (g_str_equal (o->rule, rules[i].name))
            io.rule = rules[i].rule;
        g_autoptr (PlTensor) mean = NULL;
        const char *bl = o->baseline ? o->baseline : "zero";
        if (g_str_equal (bl, "blur"))
          io.baseline = PL_BASELINE_BLUR;
        else if (g_str_equal (bl, "uniform"))
          io.baseline = PL_BASELINE_UNIFORM;
        else if (g_str_equal (bl, "mean"))
          {
            if (w->dataset == NULL)
              {
                g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                             "--baseline mean needs the dataset (--data)");
                return FALSE;
              }
            mean = pl_dataset_mean (w->dataset, 0, 0, error);
            if (mean == NULL)
              return FALSE;
            io.baseline = PL_BASELINE_TENSOR;
            io.baseline_tensor = mean;
            io.baseline_name = "dataset-mean";
          }
        w->result = pl_attribution_integrated_gradients (ex, w->input, target, &io, &sub, error);
        break;
      }
    case RAW_OCCLUSION:
      {
        PlOcclusionOptions oo;
        pl_occlusion_options_init (&oo);
        oo.window_h = o->window_h;
        oo.window_w = o->window_w;
        oo.stride_h = o->stride_h;
        oo.stride_w = o->stride_w;
        double v = 0.0;
        if (o->baseline != NULL)
          parse_number (o->baseline, &v);
        oo.baseline = (float) v;
        w->result = pl_attribution_occlusion (ex, w->input, target, &oo, &sub, error);
        break;
      }
    case RAW_GRAD_CAM:
      {
        PlGradCamOptions go;
        pl_grad_cam_options_init (&go);
        go.layer = o->layer;
        w->result = pl_attribution_grad_cam (ex, w->input, target, &go, &sub, error);
        break;
      }
    case RAW_LIME:
      {
        g_autofree char *seg_name = NULL;
        /* As --segmentation documents: SLIC, or patches when --grid is given. */
        const char *def = w->o.grid_given || !PL_HAVE_VLFEAT ? "grid" : "slic";
        g_autoptr (PlSegmentation) seg = raw_segmentation (w, def, &seg_name, error);
        if (seg == NULL)
          return FALSE;
        PlLimeOptions lo;
        pl_lime_options_init (&lo);
        if (o->samples > 0)
          lo.n_samples = o->samples;
        lo.seed = o->seed;
        double v;
        if (o->baseline != NULL && !g_str_equal (o->baseline, "mean")
            && parse_number (o->baseline, &v))
          {
            lo.fill = PL_LIME_FILL_VALUE;
            lo.fill_value = (float) v;
          }
        w->result = pl_attribution_lime_image (ex, w->input, target, seg, seg_name, &lo, &sub,
                                               error);
        break;
      }
    case RAW_KERNEL_SHAP:
      {
        g_autofree char *seg_name = NULL;
        /* As the workbench and bench: SLIC superpixels, unless --grid asks for patches. */
        const char *def = w->o.grid_given || !PL_HAVE_VLFEAT ? "grid" : "slic";
        g_autoptr (PlSegmentation) seg = raw_segmentation (w, def, &seg_name, error);
        if (seg == NULL)
          return FALSE;
        double v = 0.0;
        if (o->baseline != NULL)
          parse_number (o->baseline, &v);
        PlKernelShapOptions ko = { .budget = o->budget, .seed = o->seed, .batch = 0 };
        gint budget = o->budget > 0 ? o->budget : 2 * seg->n_segments + 2048;
        double phi0 = NAN, fxs = NAN;
        PlTensor *phi = pl_kernel_shap_image (ex, w->input, target, seg, (float) v, &ko, &phi0,
                                              &fxs, &sub, error);
        if (phi == NULL)
          return FALSE;
        PlAttribution *a = g_new0 (PlAttribution, 1);
        a->method = g_strdup ("kernel-shap");
        a->parameters = g_strdup_printf ("target=%d %s segments=%d baseline=%g "
                                         "budget=%d seed=%" G_GUINT64_FORMAT, target, seg_name,
                                         seg->n_segments, v, budget, o->seed);
        a->seed = o->seed;
        a->target = target;
        a->attribution = phi;
        a->fx = fxs;
        a->f_baseline = phi0;
        a->residual = NAN;   /* set below: the efficiency residual */
        a->r2 = NAN;
        a->intercept = NAN;
        w->result = a;
        break;
      }
    case RAW_N_METHODS:
    default:
      g_assert_not_reached ();
    }
  if (w->result != NULL && !isfinite (w->result->fx))
    w->result->fx = fx;
  /* KernelSHAP's efficiency: Σφ = f(x) − f(baseline) up to the solver; its residual. */
  if (w->result != NULL && o->method == RAW_KERNEL_SHAP && isnan (w->result->residual)
      && isfinite (w->result->fx) && isfinite (w->result->f_baseline))
    {
      double sum = 0.0;
      for (gint64 i = 0; i < w->result->attribution->numel; i++)
        sum += w->result->attribution->data[i];
      w->result->residual = sum - (w->result->fx - w->result->f_baseline);
    }
  return w->result != NULL;
}

/* Parsed explain options, shared by figure and raw mode. */
typedef struct {
  const char *model_path;    /* NULL: default model */
  const char *input_path;    /* NULL: --index */
  const char *data_dir;
  const char *output;
  gboolean index_given;
  gint64 index;
  gboolean prune;
  double sparsity;
  gboolean json;
} RawArgs;

static int
explain_raw (GOptionContext *ctx, const RawArgs *args, RawOptions *o)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *model_path = args->model_path ? g_strdup (args->model_path)
                                                 : pl_default_model_path ();
  if (!check_output_writable (args->output, FALSE, &error))
    return fail (g_steal_pointer (&error));
  g_autoptr (PlGraph) g = pl_onnx_load_file (model_path, &error);
  if (g == NULL || !pl_graph_check_finite_weights (g, model_path, &error))
    return fail (g_steal_pointer (&error));
  {
    /* An operator the engine cannot run is the model's fault, not the input's: say so
     * before reading the input (the message names the node and its op_type). */
    g_autoptr (PlExecutor) probe = pl_executor_new (g, &error);
    if (probe == NULL)
      return fail_in (model_path, g_steal_pointer (&error));
  }
  g_autoptr (PlDataset) ds = NULL;
  gboolean need_data = args->input_path == NULL || args->prune
      || (o->method == RAW_INTEGRATED_GRADIENTS && g_strcmp0 (o->baseline, "mean") == 0)
      || ((o->method == RAW_LIME || o->method == RAW_KERNEL_SHAP)
          && is_table_path (args->data_dir));
  /* A regression model (one output per row): its output 0 is the explained target. */
  const gboolean regression = is_table_path (args->data_dir) && model_is_regression (g);
  if (regression && args->prune)
    {
      fprintf (stderr, _("prunelens-cli: %s: regression models are not supported by explain "
                         "--sparsity (its pruning step measures class accuracy); use prune -o "
                         "PRUNED.onnx, then explain PRUNED.onnx\n"), model_path);
      return EXIT_FAILURE;
    }
  if (regression && o->target > 0)
    return usage_error (ctx, _("a regression model has one output: --target must be 0"));
  if (regression)
    o->target = 0;
  if (need_data)
    {
      ds = open_dataset_full (args->data_dir, "test", opt_label, regression, &error);
      if (ds == NULL)
        return fail (g_steal_pointer (&error));
      if (regression ? !check_regression (g, model_path, ds, &error)
                     : !check_model_dataset (g, model_path, ds, &error))
        return fail (g_steal_pointer (&error));
    }
  g_autoptr (PlTensor) input = NULL;
  if (args->input_path != NULL)
    {
      input = pl_onnx_load_tensor_file (args->input_path, &error);
      if (input == NULL)
        return fail (g_steal_pointer (&error));
      /* A sample without its batch dimension ([C, H, W] for a [N, C, H, W] model). */
      if (g->inputs->len > 0)
        {
          PlValue *v = pl_graph_value (g, g_array_index (g->inputs, gint, 0));
          if (v->ndim == input->ndim + 1 && input->ndim < PL_TENSOR_MAX_DIMS)
            {
              gint64 shape[PL_TENSOR_MAX_DIMS];
              shape[0] = 1;
              for (gint i = 0; i < input->ndim; i++)
                shape[i + 1] = input->shape[i];
              pl_tensor_reshape (input, input->ndim + 1, shape);
            }
        }
    }
  else
    {
      gint64 index = args->index_given ? args->index : 0;
      if (index < 0 || index >= ds->n)
        return usage_error (ctx, _("--index must be between 0 and %d for %s"), (int) ds->n - 1,
                            ds->name);
      input = pl_dataset_range (ds, index, 1, &error);
      if (input == NULL)
        return fail (g_steal_pointer (&error));
    }
  /* SLIC: --segmentation slic, or the default without --grid */
  if ((o->method == RAW_LIME || o->method == RAW_KERNEL_SHAP) && input->ndim == 4
      && (g_strcmp0 (o->segmentation, "slic") == 0
          || (o->segmentation == NULL && !o->grid_given))
      && too_small_for_slic (input->shape[2], input->shape[3]))
    {
      const gint64 H = input->shape[2], W = input->shape[3];
      g_autofree char *what = ds != NULL && args->input_path == NULL
          ? g_strdup (ds->name) : g_strdup (args->input_path);
      if (o->segmentation != NULL)   /* --segmentation slic */
        {
          fprintf (stderr, _("prunelens-cli: %s: its %lld × %lld images are too small for SLIC "
                             "superpixels; use --grid N (N ≤ %lld) for N × N patches instead of "
                             "--segmentation slic\n"),
                   what, (long long) H, (long long) W, (long long) MIN (H, W));
          return EXIT_FAILURE;
        }
      note_small_image_grid (what, H, W);
      o->segmentation = "grid";   /* the default 4 × 4 grid, cut to the image */
    }
  if (o->method == RAW_GRAD_CAM && o->layer != NULL)
    {
      /* as pl_attribution_grad_cam looks the layer up, but with the name cut for the
       * message: a 20 000-character --layer gives a short error */
      gboolean found = FALSE;
      for (guint k = 0; k < g->nodes->len && !found; k++)
        {
          const PlNode *n = g_ptr_array_index (g->nodes, k);
          found = g_strcmp0 (n->name, o->layer) == 0
                  || (n->n_outputs > 0
                      && g_strcmp0 (pl_graph_value (g, n->outputs[0])->name, o->layer) == 0);
        }
      if (!found)
        {
          g_autofree char *q = pl_error_quote (o->layer);
          fprintf (stderr, _("prunelens-cli: %s: the model has no node or value named “%s” "
                             "for Grad-CAM (--layer)\n"), model_path, q);
          return EXIT_FAILURE;
        }
    }
  RawWork w = { .graph = g, .dataset = ds, .prune = args->prune, .sparsity = args->sparsity,
                .input = input, .o = *o };
  gboolean ok = run_job (raw_work, &w, &error);
  g_autoptr (PlPruneStep) step = w.step;
  g_autoptr (PlAttribution) a = w.result;
  if (!ok)
    {
      g_autofree char *what = args->input_path
          ? g_strdup_printf (_("%s on the input %s"), model_path, args->input_path)
          : g_strdup (model_path);
      return fail_in (what, g_steal_pointer (&error));
    }
  warn_nonfinite (args->output, a->attribution->data, a->attribution->numel);
  if (!pl_onnx_save_tensor_file (a->attribution, a->method, args->output, &error))
    return fail (g_steal_pointer (&error));
  const char *class_name = ds != NULL && a->target >= 0 && a->target < ds->n_classes
      ? ds->class_names[a->target] : NULL;
  double sum = 0.0;
  for (gint64 i = 0; i < a->attribution->numel; i++)
    sum += a->attribution->data[i];
  g_autofree char *shape = shape_of (a->attribution);
  if (args->json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      jb_string (b, "model", model_path);
      if (args->input_path)
        jb_string (b, "input", args->input_path);
      else
        jb_int (b, "index", args->index_given ? args->index : 0);
      jb_double (b, "sparsity", step ? step->achieved_sparsity : pl_graph_weight_sparsity (g));
      jb_string (b, "method", a->method);
      jb_string (b, "parameters", a->parameters);
      jb_int (b, "seed", (gint64) a->seed);
      jb_int (b, "target", a->target);
      jb_string (b, "class", class_name);
      jb_double (b, "fx", a->fx);
      jb_double (b, "f_baseline", a->f_baseline);
      jb_double (b, "residual", a->residual);
      jb_double (b, "r2", a->r2);
      jb_double (b, "intercept", a->intercept);
      jb_double (b, "sum", sum);
      jb_shape (b, "shape", a->attribution->ndim, a->attribution->shape);
      jb_string (b, "output", args->output);
      jb_print (b);
      return 0;
    }
  printf ("method %s\n", a->method);
  printf ("parameters %s\n", a->parameters);
  if (class_name != NULL)
    printf ("target %d (%s)\n", a->target, class_name);
  else
    printf ("target %d\n", a->target);
  if (step != NULL)
    printf ("sparsity %.4f\n", step->achieved_sparsity);
  if (isfinite (a->fx))
    printf ("f(x) %.6g\n", a->fx);
  if (isfinite (a->f_baseline))
    printf ("f(baseline) %.6g\n", a->f_baseline);
  if (isfinite (a->residual) && g_str_equal (a->method, "kernel-shap"))
    /* key-value lines like the others (not translated: scripts read them) */
    printf ("residual %.6g (efficiency: sum of phi - (f(x) - f(baseline)), about 0)\n",
            a->residual);
  else if (isfinite (a->residual))
    printf ("residual %.6g\n", a->residual);
  if (isfinite (a->r2))
    printf ("r2 %.6g\n", a->r2);
  if (isfinite (a->intercept))
    printf ("intercept %.6g\n", a->intercept);
  printf ("attribution %s, sum %.6g\n", shape, sum);
  printf ("wrote %s\n", args->output);
  return 0;
}


/* ---- explain --figure lime | shap | lime-shap: the workbench's LIME / SHAP figure ---- */

typedef struct {
  PlGraph *graph;
  PlDataset *dataset;
  double sparsity;
  gint64 index;
  PlLimeShapOptions options;
  PlPruneStep *step;
  PlLimeShapFigure *figure;
  PlLimeShapResult *result;
} LimeShapWork;

/* The pruning step, then the figure the workbench's LIME / SHAP view draws, from the same
 * builder (pl_lime_shap_figure_compute) with the options explain_lime_shap sets. */
static gboolean
lime_shap_work (gpointer data, const PlProgress *progress, GError **error)
{
  LimeShapWork *w = data;
  PlProgress a = pl_progress_sub (progress, 0.0, 0.1);
  w->step = cli_prune_step (w->graph, w->dataset, w->sparsity, 1, &a, error);
  if (w->step == NULL)
    return FALSE;
  g_autoptr (PlTensor) input = pl_dataset_range (w->dataset, w->index, 1, error);
  if (input == NULL)
    return FALSE;
  PlProgress b = pl_progress_sub (progress, 0.1, 1.0);
  w->figure = pl_lime_shap_figure_compute (w->graph, w->step->pruned, input, w->dataset,
                                           &w->options, &b, &w->result, error);
  return w->figure != NULL;
}

static int
explain_lime_shap (GOptionContext *ctx, const char *model_path, const char *data_dir,
                   const char *output, double sparsity, gint64 index, gboolean lime,
                   gboolean shap, guint64 seed, gint budget, double dpi,
                   const char *segmentation, gint grid, gboolean grid_given,
                   const char *baseline)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = NULL;
  g_autoptr (PlDataset) ds = NULL;
  if (!check_output_writable (output, FALSE, &error))
    return fail (g_steal_pointer (&error));
  cli_check_finite = TRUE;
  if (!open_model_and_dataset (model_path, data_dir, "test", &g, &ds, &error))
    return fail (g_steal_pointer (&error));
  if (index < 0 || index >= ds->n)
    return usage_error (ctx, _("--index must be between 0 and %d for %s"), (int) ds->n - 1,
                        ds->name);
  const gboolean is_table = ds->kind == PL_DATASET_TABLE;
  /* the same rules as raw mode: no segmentation of a table row, patches that fit */
  if (is_table && segmentation != NULL)
    return usage_error (ctx, "%s",
                        _("--segmentation is for images; on a table row every feature is one "
                          "segment"));
  if (is_table && baseline != NULL)
    return usage_error (ctx, _("--baseline %s does not apply to --figure lime, shap or "
                               "lime-shap on a table row: both use the --data table's column "
                               "means"), baseline);
  if (is_table && grid_given)
    return usage_error (ctx, "%s", _("--grid is for images; on a table row every feature is "
                                     "one segment"));
  if (grid_given && segmentation != NULL && !g_str_equal (segmentation, "grid"))
    return usage_error (ctx, _("--grid N asks for N × N patches; leave out --segmentation %s "
                               "or give --segmentation grid"), segmentation);
  if (grid_given && (grid > ds->height || grid > ds->width))
    return usage_error (ctx, _("--grid %d does not fit the %d × %d images of %s; give --grid "
                               "%d or less"), grid, (int) ds->height, (int) ds->width, ds->name,
                        (int) MIN (ds->height, ds->width));
  /* As the workbench's LIME / SHAP view with its default settings: superpixels computed
   * once (SLIC, or --segmentation quickshift | grid; tables: one item per feature), LIME
   * (1000 samples, hidden segments filled with 0) and KernelSHAP (baseline 0 / the feature
   * means, budget 2M + 2048) of the original network's predicted class for both networks. */
  LimeShapWork w = { .graph = g, .dataset = ds, .sparsity = sparsity, .index = index };
  PlLimeShapOptions *o = &w.options;
  pl_lime_shap_options_init (o);
  o->want_lime = lime;
  o->want_shap = shap;
  o->lime.seed = seed;
  o->shap.seed = seed;
  o->shap.budget = budget;
  /* --baseline: a number is both LIME's fill and KernelSHAP's baseline; mean: LIME fills
   * hidden segments with their mean colour (KernelSHAP keeps 0), as the workbench offers. */
  if (baseline != NULL && g_str_equal (baseline, "mean"))
    o->lime.fill = PL_LIME_FILL_MEAN;
  else if (baseline != NULL)
    {
      double v = 0;
      parse_number (baseline, &v);
      o->lime.fill = PL_LIME_FILL_VALUE;
      o->lime.fill_value = (float) v;
    }
  /* --grid N: N × N patches, as --segmentation grid */
  const char *kind = segmentation != NULL ? segmentation : grid_given ? "grid" : "slic";
  o->superpixels.method = g_str_equal (kind, "quickshift") ? PL_SUPERPIXELS_QUICKSHIFT
                                                            : PL_SUPERPIXELS_SLIC;
  if (g_str_equal (kind, "grid"))
    {
      o->segmentation = PL_LIME_SHAP_GRID;
      o->grid_rows = o->grid_cols = grid;
    }
  else if (ds->kind != PL_DATASET_TABLE && !PL_HAVE_VLFEAT)
    o->segmentation = PL_LIME_SHAP_GRID;   /* min(4, H) × min(4, W) patches */
  else if (ds->kind != PL_DATASET_TABLE && g_str_equal (kind, "slic")
           && too_small_for_slic (ds->height, ds->width))
    {
      if (segmentation != NULL)
        {
          fprintf (stderr, _("prunelens-cli: %s: its %lld × %lld images are too small for SLIC "
                             "superpixels; leave out --segmentation slic for a %lld × %lld "
                             "patch grid, or use --segmentation grid --grid N (N ≤ %lld)\n"),
                   ds->name, (long long) ds->height, (long long) ds->width,
                   (long long) MIN (4, ds->height), (long long) MIN (4, ds->width),
                   (long long) MIN (ds->height, ds->width));
          return EXIT_FAILURE;
        }
      note_small_image_grid (ds->name, ds->height, ds->width);
      o->segmentation = PL_LIME_SHAP_GRID;
    }
  gboolean ok = run_job (lime_shap_work, &w, &error);
  g_autoptr (PlPruneStep) step = w.step;
  g_autoptr (PlLimeShapFigure) fig = w.figure;
  g_autoptr (PlLimeShapResult) result = w.result;
  if (!ok)
    return fail_in (model_path, g_steal_pointer (&error));
  /* superpixels that failed on a small image (e.g. quickshift): the patch grid instead */
  if (result->small_image_grid)
    note_small_image_grid (ds->name, ds->height, ds->width);
  const gboolean table = ds->kind == PL_DATASET_TABLE;
  g_autofree char *model_name = g_path_get_basename (model_path);
  g_autofree char *sample = table ? g_strdup_printf (_("row #%d"), (int) index)
                                  : g_strdup_printf (_("test image #%d"), (int) index);
  /* "90 % of prunable weights (89.38 % of all)", as the other figures' captions */
  g_autofree char *sparsity_label = pl_sparsity_label (step->target_sparsity,
                                                       step->achieved_sparsity);
  g_autofree char *context = g_strdup_printf ("%s · %s · %s · %s", model_name, ds->name, sample,
                                              sparsity_label);
  g_autofree char *num = g_strdup_printf ("%" G_GUINT64_FORMAT, seed);
  g_autofree char *seeds = g_strdup_printf (_("seed %s"), num);
  if (!table && lime && shap && o->lime.fill == PL_LIME_FILL_MEAN)
    {
      /* as the workbench's caption: the two methods no longer hide with the same value */
      g_autofree char *how = g_strdup_printf (_("hidden superpixels: LIME mean colour, "
                                                "KernelSHAP %g — the signs may differ"),
                                              (double) o->lime.fill_value);
      fig->caption = g_strdup_printf ("%s · %s · %s", context, seeds, how);
      if (!opt_quiet)
        fprintf (stderr, _("note: %s: %s\n"), output, how);
    }
  else
    fig->caption = g_strdup_printf ("%s · %s", context, seeds);
  /* the workbench's view: about 1030 × 415 pixels, drawn as 1030 × 415 points */
  const double width_in = 1030.0 / 72.0, height_in = (fig->n_methods == 2 ? 415.0 : 250.0) / 72.0;
  gboolean saved;
  if (has_suffix_ci (output, ".png"))
    saved = pl_render_png ((PlDrawFunc) pl_lime_shap_figure_draw, fig, width_in, height_in, dpi,
                           output, fig->title, fig->caption, &error);
  else if (has_suffix_ci (output, ".svg"))
    saved = pl_render_svg ((PlDrawFunc) pl_lime_shap_figure_draw, fig, width_in, height_in,
                           output, fig->title, fig->caption, &error);
  else
    saved = pl_render_pdf ((PlDrawFunc) pl_lime_shap_figure_draw, fig, width_in, height_in,
                           output, fig->title, fig->caption, &error);
  if (!saved)
    return fail (g_steal_pointer (&error));
  if (!opt_quiet)
    {
      printf ("%s\n", fig->title);
      for (gint m = 0; m < fig->n_methods; m++)
        {
          g_autofree char *s0 = pl_lime_shap_cell_summary (&fig->cells[m][0]);
          g_autofree char *s1 = pl_lime_shap_cell_summary (&fig->cells[m][1]);
          printf ("%s (%s): %s %s, %s %s\n", fig->method_names[m], result->parameters[m],
                  _("original"), s0 ? s0 : "—", _("pruned"), s1 ? s1 : "—");
        }
      if (shap && table)
        printf ("%s\n", _("KernelSHAP against the feature means (the reference row)"));
      printf ("%s\n", fig->caption);
      printf ("wrote %s\n", output);
    }
  return 0;
}

/* ---- explain ---- */

typedef struct {
  PlGraph *graph;
  PlDataset *dataset;
  double sparsity;
  gint64 index;
  PlComparisonOptions options;
  PlPruneStep *step;
  PlComparison *cmp;
} ExplainWork;

static gboolean
explain_work (gpointer data, const PlProgress *progress, GError **error)
{
  ExplainWork *w = data;
  PlProgress a = pl_progress_sub (progress, 0.0, 0.5);
  w->step = cli_prune_step (w->graph, w->dataset, w->sparsity, 1, &a, error);
  if (w->step == NULL)
    return FALSE;
  PlProgress b = pl_progress_sub (progress, 0.5, 1.0);
  w->cmp = pl_comparison_compute (w->graph, w->step->pruned, w->dataset, w->index, &w->options,
                                  &b, error);
  return w->cmp != NULL;
}

int
cmd_explain (int argc, char **argv)
{
  g_autofree char *data_dir = NULL;
  g_autofree char *output = NULL;
  g_autofree char *sparsity_text = NULL;
  g_autofree char *figure_name = NULL;
  gint64 index = G_MININT64;
  gint grid = 0, budget = 0;   /* grid 0: not given */
  gint64 seed = 1;
  double dpi = 150.0;
  g_autofree char *method = NULL, *baseline = NULL, *window = NULL, *stride = NULL;
  g_autofree char *layer = NULL, *rule = NULL, *segmentation = NULL;
  /* G_MININT: not given (figure modes refuse the options only raw mode uses) */
  gint target = G_MININT, steps = G_MININT, samples = G_MININT;
  double noise = NAN;
  gboolean signed_map = FALSE, json = FALSE;
  GOptionEntry raw_entries[] = {
    { "method", 'm', 0, G_OPTION_ARG_STRING, &method, N_("Raw mode: saliency, gradient-x-input, smoothgrad, smoothgrad-squared, vargrad, integrated-gradients, occlusion, grad-cam, lime or kernel-shap"), "NAME" },
    { "target", 't', 0, G_OPTION_ARG_INT, &target, N_("Class to explain (default: the predicted class)"), "CLASS" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &steps, N_("integrated-gradients: steps (default 50)"), "N" },
    { "rule", 0, 0, G_OPTION_ARG_STRING, &rule, N_("integrated-gradients: gauss-legendre (default), left, right, middle or trapezoid"), "RULE" },
    { "samples", 0, 0, G_OPTION_ARG_INT, &samples, N_("smoothgrad: noisy samples (default 50); lime: samples (default 1000)"), "N" },
    { "noise", 0, 0, G_OPTION_ARG_DOUBLE, &noise, N_("smoothgrad: σ as a fraction of the input range (default 0.15)"), "F" },
    { "baseline", 0, 0, G_OPTION_ARG_STRING, &baseline, N_("integrated-gradients: zero, blur, uniform or mean; occlusion, kernel-shap: a value (default 0); lime: mean (default) or a value; --figure lime, shap, lime-shap: a value, LIME's fill and KernelSHAP's baseline (default 0), or mean: LIME fills with the mean colour"), "B" },
    { "window", 0, 0, G_OPTION_ARG_STRING, &window, N_("occlusion: window N or HxW (default 4x4)"), "HxW" },
    { "stride", 0, 0, G_OPTION_ARG_STRING, &stride, N_("occlusion: stride N or HxW (default 2x2)"), "HxW" },
    { "layer", 0, 0, G_OPTION_ARG_STRING, &layer, N_("grad-cam: node or value name (default: the last Conv)"), "NAME" },
    { "segmentation", 0, 0, G_OPTION_ARG_STRING, &segmentation, N_("lime, kernel-shap and --figure lime, shap, lime-shap: grid, slic or quickshift (default slic; grid when --grid is given; grid: --grid N × N patches)"), "KIND" },
    { "signed", 0, 0, G_OPTION_ARG_NONE, &signed_map, N_("saliency, smoothgrad: keep the sign (no |·|)"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Raw mode: print a JSON object instead of text"), NULL },
    { NULL }
  };
  GOptionEntry entries[] = {
    { "sparsity", 's', 0, G_OPTION_ARG_STRING, &sparsity_text, N_("Sparsity of the pruned network: 0.9 or 90% (default 0)"), "S" },
    { "index", 'i', 0, G_OPTION_ARG_INT64, &index, N_("Test sample to explain (default 0)"), "I" },
    { "figure", 'f', 0, G_OPTION_ARG_STRING, &figure_name, N_("saliency, features, lime, shap or lime-shap (default saliency); lime, shap and lime-shap are the workbench's LIME / SHAP figure"), "KIND" },
    { "grid", 'g', 0, G_OPTION_ARG_INT, &grid, N_("Patches per side (default 4, fewer on smaller images); with --figure lime, shap, lime-shap or --method lime, kernel-shap: patches instead of SLIC superpixels"), "N" },
    { "budget", 0, 0, G_OPTION_ARG_INT, &budget, N_("KernelSHAP coalitions (default 2M + 2048)"), "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Seed (default 1)"), "S" },
    { "dpi", 0, 0, G_OPTION_ARG_DOUBLE, &dpi, N_("PNG resolution (default 150)"), "DPI" },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Dataset: a Fashion-MNIST / IDX folder, a CSV file (see --label) or a folder of PNGs by class (default: Fashion-MNIST test)"), "PATH" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Figure file: .png, .svg or .pdf; raw mode: .pb"), "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("[MODEL.onnx] [INPUT.pb] — explanation figure, or one raw attribution"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  add_dataset_options (ctx);
  add_protect_option (ctx);
  g_option_context_add_main_entries (ctx, raw_entries, GETTEXT_PACKAGE);
  g_option_context_set_description (ctx,
      _("Figure mode compares the original and the pruned network on one test image.\n"
        "Raw mode (--method NAME, or an output ending in .pb) runs one attribution method on\n"
        "INPUT.pb (an ONNX TensorProto) or on test image --index, and writes the attribution\n"
        "as a FLOAT TensorProto.\n\n"
        "Examples:\n  prunelens-cli explain --sparsity 90% --index 0 --figure saliency -o saliency.png\n"
        "  prunelens-cli explain data/models/fashion-cnn.onnx --index 3 --method integrated-gradients --steps 64 -o ig.pb\n"));
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  double sparsity = 0.0;
  if (sparsity_text != NULL && !parse_sparsity (sparsity_text, &sparsity))
    return usage_error (ctx, _("--sparsity must be a number in [0, 1] or a percentage"));
  const gboolean grid_given = grid != 0;
  if (!grid_given)
    grid = 4;
  if (method != NULL || has_suffix_ci (output, ".pb"))
    {
      if (target == G_MININT)
        target = -1;
      if (steps == G_MININT)
        steps = 50;
      if (samples == G_MININT)
        samples = 0;
      RawArgs args = { .data_dir = data_dir, .output = output, .index = index,
                       .index_given = index != G_MININT64, .prune = sparsity_text != NULL,
                       .sparsity = sparsity, .json = json };
      RawOptions o = { .target = target, .steps = steps, .samples = samples, .noise = noise,
                       .baseline = baseline, .rule = rule, .layer = layer,
                       .segmentation = segmentation, .grid = grid,
                       .grid_given = grid_given, .budget = budget,
                       .signed_map = signed_map, .seed = (guint64) seed };
      o.method = RAW_N_METHODS;
      for (gint m = 0; m < RAW_N_METHODS; m++)
        if (g_strcmp0 (method ? method : "saliency", raw_method_names[m]) == 0)
          o.method = (RawMethod) m;
      if (o.method == RAW_N_METHODS)
        return usage_error (ctx, _("unknown method “%s” (saliency, gradient-x-input, smoothgrad, "
                                   "smoothgrad-squared, vargrad, integrated-gradients, occlusion, "
                                   "grad-cam, lime, kernel-shap)"), method);
      if (output == NULL)
        return usage_error (ctx, _("explain needs --output FILE.pb"));
      if (figure_name != NULL)
        return usage_error (ctx, _("--figure is for figures, not for raw mode"));
      for (int i = 1; i < argc; i++)
        {
          if (has_suffix_ci (argv[i], ".pb") && args.input_path == NULL)
            args.input_path = argv[i];
          else if (args.model_path == NULL && !has_suffix_ci (argv[i], ".pb"))
            args.model_path = argv[i];
          else
            return usage_error (ctx, _("explain takes one MODEL.onnx and one INPUT.pb; "
                                       "unexpected “%s”"), argv[i]);
        }
      if (args.input_path != NULL && args.index_given)
        return usage_error (ctx, _("give either INPUT.pb or --index, not both"));
      if (steps < 1 || steps > 100000)
        return usage_error (ctx, _("--steps must be between 1 and 100000"));
      if (samples < 0 || samples > 10000000)
        return usage_error (ctx, _("--samples must be 0 (the method's default) or more"));
      if (!isnan (noise) && !(noise > 0.0 && noise <= 10.0))
        return usage_error (ctx, _("--noise must be in (0, 10]"));
      if (grid < 1 || grid > 64)
        return usage_error (ctx, _("--grid must be between 1 and 64"));
      if (budget < 0)
        return usage_error (ctx, _("--budget must be 0 (default: 2M + 2048) or more"));
      if (seed < 0)
        return usage_error (ctx, _("--seed must be 0 or more"));
      if (rule != NULL && !g_strv_contains ((const char *const[]) { "left", "right", "middle",
                                             "trapezoid", "gauss-legendre", NULL }, rule))
        return usage_error (ctx, _("unknown --rule “%s” (gauss-legendre, left, right, middle, "
                                   "trapezoid)"), rule);
      if (segmentation != NULL && !g_strv_contains ((const char *const[]) { "grid", "slic",
                                                     "quickshift", NULL }, segmentation))
        return usage_error (ctx, _("unknown --segmentation “%s” (grid, slic, quickshift)"),
                            segmentation);
      if (!parse_window (window, &o.window_h, &o.window_w))
        return usage_error (ctx, _("--window must be N or HxW with positive N, H, W"));
      if (!parse_window (stride, &o.stride_h, &o.stride_w))
        return usage_error (ctx, _("--stride must be N or HxW with positive N, H, W"));
      if (baseline != NULL)
        {
          double v;
          gboolean ok;
          if (o.method == RAW_INTEGRATED_GRADIENTS)
            ok = g_strv_contains ((const char *const[]) { "zero", "blur", "uniform", "mean",
                                                          NULL }, baseline);
          else if (o.method == RAW_LIME)
            ok = g_str_equal (baseline, "mean") || parse_number (baseline, &v);
          else
            ok = parse_number (baseline, &v);
          if (!ok)
            return usage_error (ctx, _("--baseline “%s” does not fit %s (integrated-gradients: "
                                       "zero, blur, uniform, mean; lime: mean or a number; "
                                       "occlusion, kernel-shap: a number)"),
                                baseline, raw_method_names[o.method]);
        }
      return explain_raw (ctx, &args, &o);
    }
  if (argc > 2)
    return usage_error (ctx, _("explain takes at most one MODEL.onnx"));
  {
    /* options a figure would silently ignore: say so */
    const char *raw_only = target != G_MININT ? "--target" : steps != G_MININT ? "--steps"
                           : rule != NULL ? "--rule" : samples != G_MININT ? "--samples"
                           : !isnan (noise) ? "--noise" : window != NULL ? "--window"
                           : stride != NULL ? "--stride" : layer != NULL ? "--layer"
                           : signed_map ? "--signed" : json ? "--json" : NULL;
    if (raw_only != NULL)
      return usage_error (ctx, _("%s is for raw mode (--method NAME -o FILE.pb); figures do "
                                 "not use it"), raw_only);
  }
  if (index == G_MININT64)
    index = 0;
  /* lime, shap, lime-shap: the workbench's LIME / SHAP figure (rows LIME, KernelSHAP or
   * both); shap with --grid N: the KernelSHAP figure over N × N patches. */
  const gboolean want_lime = g_strcmp0 (figure_name, "lime") == 0
                             || g_strcmp0 (figure_name, "lime-shap") == 0;
  const gboolean want_shap = (g_strcmp0 (figure_name, "shap") == 0 && !grid_given)
                             || g_strcmp0 (figure_name, "lime-shap") == 0;
  PlFigureKind kind = PL_FIGURE_SALIENCY;
  if (figure_name != NULL && !want_lime && !want_shap
      && !pl_figure_kind_from_name (figure_name, &kind))
    return usage_error (ctx, _("unknown figure “%s” (saliency, features, lime, shap or "
                               "lime-shap)"), figure_name);
  if (output == NULL)
    return usage_error (ctx, _("explain needs --output FILE"));
  if (!has_suffix_ci (output, ".png") && !has_suffix_ci (output, ".svg")
      && !has_suffix_ci (output, ".pdf"))
    return usage_error (ctx, _("%s: unknown figure format; use a name ending in .png, .svg or .pdf"),
                        output);
  if (grid < 1 || grid > 7)
    return usage_error (ctx, _("--grid must be between 1 and 7"));
  if (!(dpi >= 10 && dpi <= 2400))
    return usage_error (ctx, _("--dpi must be between 10 and 2400"));
  if (budget < 0)
    return usage_error (ctx, _("--budget must be 0 (default: 2M + 2048) or more"));
  if (seed < 0)
    return usage_error (ctx, _("--seed must be 0 or more"));

  g_autoptr (GError) error = NULL;
  g_autofree char *model_path = argc == 2 ? g_strdup (argv[1]) : pl_default_model_path ();
  if ((want_lime || want_shap) && segmentation != NULL
      && !g_strv_contains ((const char *const[]) { "grid", "slic", "quickshift", NULL },
                           segmentation))
    return usage_error (ctx, _("unknown --segmentation “%s” (grid, slic, quickshift)"),
                        segmentation);
  double v_bl = 0;
  if (want_lime || want_shap)
    {
      cli_regression_alternative = _("explain --method METHOD -o FILE.pb (attributions of the "
                                      "model's output 0)");
      if (baseline != NULL && !g_str_equal (baseline, "mean") && !parse_number (baseline, &v_bl))
        return usage_error (ctx, _("--baseline “%s” does not fit --figure %s (mean or a value)"),
                            baseline, figure_name);
      return explain_lime_shap (ctx, model_path, data_dir, output, sparsity, index, want_lime,
                                want_shap, (guint64) seed, budget, dpi, segmentation, grid,
                                grid_given, baseline);
    }
  if (segmentation != NULL
      && !(g_strcmp0 (figure_name, "shap") == 0 && g_str_equal (segmentation, "grid")))
    return usage_error (ctx, _("--segmentation does not apply to --figure %s; it is for --figure "
                               "lime, shap (without --grid) and lime-shap, and --method lime and "
                               "kernel-shap"), figure_name != NULL ? figure_name : "saliency");
  if (baseline != NULL)
    return usage_error (ctx, _("--baseline does not apply to --figure %s; it is for --method and "
                               "--figure lime, lime-shap and shap without --grid"),
                        figure_name != NULL ? figure_name : "saliency");
  g_autoptr (PlGraph) g = NULL;
  g_autoptr (PlDataset) ds = NULL;
  cli_regression_alternative = _("explain --method METHOD -o FILE.pb (attributions of the "
                                  "model's output 0)");
  if (!check_output_writable (output, FALSE, &error))
    return fail (g_steal_pointer (&error));
  cli_check_finite = TRUE;
  if (!open_model_and_dataset (model_path, data_dir, "test", &g, &ds, &error))
    return fail (g_steal_pointer (&error));
  if (index < 0 || index >= ds->n)
    return usage_error (ctx, _("--index must be between 0 and %d for %s"), (int) ds->n - 1, ds->name);
  if (grid_given && ds->kind != PL_DATASET_TABLE && (grid > ds->height || grid > ds->width))
    return usage_error (ctx, _("--grid %d does not fit the %d × %d images of %s; give --grid "
                               "%d or less"), grid, ds->height, ds->width, ds->name,
                        MIN (ds->height, ds->width));
  ExplainWork w = { .graph = g, .dataset = ds, .sparsity = sparsity, .index = index };
  pl_comparison_options_init (&w.options);
  w.options.grid = grid;
  w.options.shap_budget = budget;
  w.options.seed = (guint64) seed;
  gboolean ok = run_job (explain_work, &w, &error);
  g_autoptr (PlPruneStep) step = w.step;
  g_autoptr (PlComparison) cmp = w.cmp;
  if (!ok)
    return fail (g_steal_pointer (&error));

  {
    static const char *const which[2] = { N_("original"), N_("pruned") };
    for (gint k = 0; k < 2; k++)
      {
        g_autofree char *what = g_strdup_printf (_("%s: the %s network's map"), output,
                                                 _(which[k]));
        if (cmp->saliency[k] != NULL)
          warn_nonfinite (what, cmp->saliency[k]->data, cmp->saliency[k]->numel);
        if (cmp->shap[k] != NULL)
          warn_nonfinite (what, cmp->shap[k]->data, cmp->shap[k]->numel);
      }
  }
  g_autofree char *model_name = g_path_get_basename (model_path);
  PlFigureContext fctx = {
    .model_name = model_name,
    .dataset_name = ds->name,
    .sparsity = step->achieved_sparsity,
    .target_sparsity = step->target_sparsity,
    .class_names = (const char *const *) ds->class_names,
    .n_classes = ds->n_classes,
    .dark = FALSE,
    .caption = TRUE,
  };
  /* A table row gives grouped bars per feature (pl-table-figure.h). */
  g_autoptr (PlComparisonFigure) fig = pl_comparison_figure_new (kind, cmp, &fctx);
  if (!pl_comparison_figure_save (fig, output, dpi, &error))
    return fail (g_steal_pointer (&error));
  if (!opt_quiet)
    {
      printf ("%s\n", pl_comparison_figure_description (fig));
      printf ("wrote %s\n", output);
    }
  return 0;
}
