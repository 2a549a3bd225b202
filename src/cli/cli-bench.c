/* cli-bench.c — prunelens-cli bench: time forward passes and explanations. */
#include "cli-common.h"

#include <errno.h>

/* ---- bench ---- */

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Sorts v in place; median, min and max. */
static void
spread (double *v, gint n, double *median, double *lo, double *hi)
{
  qsort (v, (gsize) n, sizeof (double), cmp_double);
  *median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  *lo = v[0];
  *hi = v[n - 1];
}

static PlTensor *
bench_input (PlGraph *g, gint64 batch, GError **error)
{
  if (g->inputs->len == 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "The model has no inputs");
      return NULL;
    }
  PlValue *v = pl_graph_value (g, g_array_index (g->inputs, gint, 0));
  if (v->ndim < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "The model's input %s has no shape",
                   v->name);
      return NULL;
    }
  gint64 shape[PL_TENSOR_MAX_DIMS];
  for (gint i = 0; i < v->ndim; i++)
    shape[i] = i == 0 ? batch : (v->shape[i] > 0 ? v->shape[i] : 1);
  PlTensor *t = pl_tensor_new (v->ndim, shape, error);
  if (t == NULL)
    return NULL;
  for (gint64 i = 0; i < t->numel; i++)
    t->data[i] = (float) ((i * 37) % 256) / 255.0f;
  return t;
}

typedef struct {
  PlExecutor *ex;
  PlTensor *image;
  gint target;
  gint which;
  PlSegmentation *grid;
  PlSegmentation *superpixels;
  char *superpixels_name;
} BenchExplain;

static gboolean
bench_explain_once (BenchExplain *b, GError **error)
{
  PlAttribution *a = NULL;
  switch (b->which)
    {
    case 0:
      a = pl_attribution_saliency (b->ex, b->image, b->target, NULL, NULL, error);
      break;
    case 1:
      {
        PlIntegratedGradientsOptions o;
        pl_integrated_gradients_options_init (&o);
        o.steps = 50;
        a = pl_attribution_integrated_gradients (b->ex, b->image, b->target, &o, NULL, error);
        break;
      }
    case 2:
      {
        PlSmoothGradOptions o;
        pl_smoothgrad_options_init (&o);
        o.n_samples = 50;
        a = pl_attribution_smoothgrad (b->ex, b->image, b->target, &o, NULL, error);
        break;
      }
    case 3:
      {
        PlKernelShapOptions o = { .budget = 0, .seed = 1, .batch = 0 };
        PlTensor *phi = pl_kernel_shap_image (b->ex, b->image, b->target, b->grid, 0.0f, &o,
                                              NULL, NULL, NULL, error);
        if (phi == NULL)
          return FALSE;
        pl_tensor_unref (phi);
        return TRUE;
      }
    case 4:
      {
        PlLimeOptions o;
        pl_lime_options_init (&o);
        o.n_samples = 1000;
        a = pl_attribution_lime_image (b->ex, b->image, b->target, b->superpixels,
                                       b->superpixels_name, &o, NULL, error);
        break;
      }
    default:
      g_assert_not_reached ();
    }
  if (a == NULL)
    return FALSE;
  pl_attribution_free (a);
  return TRUE;
}

int
cmd_bench (int argc, char **argv)
{
  /* "bench train" has its own options (cli-train.c). */
  if (argc >= 2 && g_str_equal (argv[1], "train"))
    return bench_train (argc - 1, argv + 1);
  gint repeats = 10;
  g_autofree char *data_dir = NULL;
  GOptionEntry entries[] = {
    { "repeats", 'r', 0, G_OPTION_ARG_INT, &repeats, N_("Timed runs per measurement (default 10)"), "N" },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Fashion-MNIST folder (explain: the image)"), "DIR" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("forward|explain [MODEL.onnx] — time the engine"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (ctx,
      _("forward: images per second at batch 1 and 64.\n"
        "explain: milliseconds per explanation (saliency, IG-50, SmoothGrad-50, KernelSHAP\n"
        "with 2M + 2048 coalitions on 4×4 patches, LIME-1000) of test image 0.\n"
        "Each: the median over the runs and their min–max. The engine uses PL_NUM_THREADS\n"
        "threads (default: the processors, at most 8).\n\n"
        "Example:\n  PL_NUM_THREADS=2 prunelens-cli bench forward --repeats 10\n"));
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (argc < 2 || argc > 3)
    return usage_error (ctx, _("bench needs forward or explain, then optionally MODEL.onnx"));
  gboolean forward = g_str_equal (argv[1], "forward");
  if (!forward && !g_str_equal (argv[1], "explain"))
    return usage_error (ctx, _("unknown benchmark “%s” (forward or explain)"), argv[1]);
  if (repeats < 1 || repeats > 10000)
    return usage_error (ctx, _("--repeats must be between 1 and 10000"));
  g_autoptr (GError) error = NULL;
  g_autofree char *model_path = argc == 3 ? g_strdup (argv[2]) : pl_default_model_path ();
  g_autoptr (PlGraph) g = pl_onnx_load_file (model_path, &error);
  if (g == NULL)
    return fail (g_steal_pointer (&error));
  g_autoptr (PlExecutor) ex = pl_executor_new (g, &error);
  if (ex == NULL)
    return fail_in (model_path, g_steal_pointer (&error));
  g_autofree char *threads = threads_description ();
  const char *coretype = g_getenv ("OPENBLAS_CORETYPE");
  printf ("model %s, %s%s%s\n", model_path, threads,
          coretype ? ", OPENBLAS_CORETYPE=" : "", coretype ? coretype : "");
  g_autofree double *v = g_new (double, repeats);
  double med, lo, hi;
  if (forward)
    {
      const gint64 batches[] = { 1, 64 };
      for (guint k = 0; k < G_N_ELEMENTS (batches); k++)
        {
          g_autoptr (PlTensor) x = bench_input (g, batches[k], &error);
          if (x == NULL)
            return fail_in (model_path, g_steal_pointer (&error));
          /* Warm-up and calibration: each timed run lasts about 0.1 s. */
          gint64 t0 = 0;
          for (gint w = 0; w < 2; w++)   /* the second pass is timed */
            {
              t0 = g_get_monotonic_time ();
              if (!pl_executor_forward (ex, x, &error))
                return fail_in (model_path, g_steal_pointer (&error));
            }
          gint64 once = MAX (g_get_monotonic_time () - t0, 1);
          gint passes = (gint) CLAMP (100000 / once, 1, 100000);
          for (gint r = 0; r < repeats; r++)
            {
              t0 = g_get_monotonic_time ();
              for (gint p = 0; p < passes; p++)
                if (!pl_executor_forward (ex, x, &error))
                  return fail_in (model_path, g_steal_pointer (&error));
              double s = MAX (g_get_monotonic_time () - t0, 1) / 1e6;
              v[r] = (double) passes * batches[k] / s;
            }
          spread (v, repeats, &med, &lo, &hi);
          printf ("forward batch %" G_GINT64_FORMAT ": %.0f images/s (median of %d runs of %d "
                  "passes; min %.0f, max %.0f)\n", batches[k], med, repeats, passes, lo, hi);
        }
      return 0;
    }
  /* explain: test image 0 when the dataset fits the model, else a synthetic input. */
  g_autoptr (PlTensor) image = NULL;
  g_autoptr (PlDataset) ds = pl_dataset_load_fashion_mnist (
      data_dir ? data_dir : PL_DEFAULT_DATASET_DIR, "test", NULL);
  if (ds != NULL && pl_model_check_dataset (g, model_path, ds, NULL))
    image = pl_dataset_range (ds, 0, 1, NULL);
  if (image == NULL && (image = bench_input (g, 1, &error)) == NULL)
    return fail_in (model_path, g_steal_pointer (&error));
  if (image->ndim != 4)
    {
      g_autofree char *s = shape_of (image);
      fprintf (stderr, "prunelens-cli: %s: bench explain needs an image model ([N, C, H, W] "
               "input); its input is %s\n", model_path, s);
      return EXIT_FAILURE;
    }
  printf ("image: %s\n", ds != NULL && image->shape[2] == ds->height ? "test image 0"
                                                                     : "synthetic");
  BenchExplain b = { .ex = ex, .image = image, .target = -1 };
  b.grid = pl_segmentation_grid ((gint) image->shape[2], (gint) image->shape[3], 4, 4);
  {
    PlSuperpixelOptions so;
    pl_superpixel_options_init (&so);
    b.superpixels = pl_superpixels (image, &so, NULL);
    if (b.superpixels != NULL)
      b.superpixels_name = pl_superpixel_options_describe (&so);
    else
      {
        b.superpixels = pl_segmentation_grid ((gint) image->shape[2], (gint) image->shape[3],
                                              4, 4);
        b.superpixels_name = g_strdup ("grid=4x4");
      }
  }
  {
    g_autoptr (PlTensor) logits = pl_executor_predict (ex, image, 1, NULL, &error);
    if (logits == NULL)
      return fail_in (model_path, g_steal_pointer (&error));
    b.target = (gint) pl_tensor_argmax (logits->data, logits->shape[logits->ndim - 1]);
  }
  g_autofree char *lime_label = g_strdup_printf ("lime (1000 samples, %s)", b.superpixels_name);
  const char *labels[] = { "saliency", "integrated-gradients (50 steps)",
                           "smoothgrad (50 samples)",
                           "kernel-shap (2M + 2048 = 2080 coalitions, 4x4 patches)",
                           lime_label };
  int rc = 0;
  for (gint m = 0; m < 5 && rc == 0; m++)
    {
      b.which = m;
      if (!bench_explain_once (&b, &error))   /* warm-up */
        {
          rc = fail_in (model_path, g_steal_pointer (&error));
          break;
        }
      for (gint r = 0; r < repeats; r++)
        {
          gint64 t0 = g_get_monotonic_time ();
          if (!bench_explain_once (&b, &error))
            {
              rc = fail_in (model_path, g_steal_pointer (&error));
              break;
            }
          v[r] = (g_get_monotonic_time () - t0) / 1000.0;
        }
      if (rc != 0)
        break;
      spread (v, repeats, &med, &lo, &hi);
      printf ("%s: %.2f ms per explanation (median of %d; min %.2f, max %.2f)\n", labels[m], med,
              repeats, lo, hi);
      fflush (stdout);
    }
  pl_segmentation_free (b.grid);
  pl_segmentation_free (b.superpixels);
  g_free (b.superpixels_name);
  return rc;
}
