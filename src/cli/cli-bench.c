/* cli-bench.c — prunelens-cli bench: time forward passes and explanations. */
#include "cli-common.h"

#include <errno.h>
#include <time.h>
#include <cairo.h>
#include <cblas.h>

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

/* Process CPU time (all threads), seconds. On a shared machine wall times vary with the
 * load; CPU time shows the work done. */
static double
cpu_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One measurement: median and range over runs, plus CPU time per run. */
typedef struct {
  char *name;      /* "forward-b64", "ig-50", ... */
  char *label;     /* human-readable */
  const char *unit;
  double median, lo, hi, cpu;
  gint runs;
} BenchResult;

static void
bench_result_clear (BenchResult *r)
{
  g_free (r->name);
  g_free (r->label);
}

static void
emit (GArray *results, const char *name, const char *label, const char *unit, double *v,
      gint n, double cpu)
{
  BenchResult r = { g_strdup (name), g_strdup (label), unit, 0, 0, 0, cpu, n };
  spread (v, n, &r.median, &r.lo, &r.hi);
  g_array_append_val (results, r);
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
        /* Issue 12: KernelSHAP with 2M + 2048 coalitions over about 50 superpixels (the
         * same SLIC segments as LIME: 48 on test image 0). */
        PlTensor *phi = pl_kernel_shap_image (b->ex, b->image, b->target, b->superpixels, 0.0f, &o,
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


typedef gboolean (*BenchFunc) (gpointer data, GError **error);

/* Runs func once to warm up, then `repeats` timed runs; v[r] = milliseconds of run r;
 * *cpu_ms = CPU milliseconds per run. */
static gboolean
time_runs (BenchFunc func, gpointer data, gint repeats, double *v, double *cpu_ms,
           GError **error)
{
  if (!func (data, error))
    return FALSE;
  double c0 = cpu_seconds ();
  for (gint r = 0; r < repeats; r++)
    {
      gint64 t0 = g_get_monotonic_time ();
      if (!func (data, error))
        return FALSE;
      v[r] = (g_get_monotonic_time () - t0) / 1000.0;
    }
  *cpu_ms = (cpu_seconds () - c0) * 1000.0 / repeats;
  return TRUE;
}

static gboolean
explain_func (gpointer data, GError **error)
{
  return bench_explain_once (data, error);
}

/* ---- forward ---- */

static gboolean
bench_forward (PlGraph *g, PlExecutor *ex, const char *model_path, gint repeats,
               GArray *results, gboolean print, GError **error)
{
  const gint64 batches[] = { 1, 64 };
  g_autofree double *v = g_new (double, repeats);
  for (guint k = 0; k < G_N_ELEMENTS (batches); k++)
    {
      g_autoptr (PlTensor) x = bench_input (g, batches[k], error);
      if (x == NULL)
        return FALSE;
      /* Warm-up and calibration: each timed run lasts about 0.1 s. */
      gint64 t0 = 0;
      for (gint w = 0; w < 2; w++)   /* the second pass is timed */
        {
          t0 = g_get_monotonic_time ();
          if (!pl_executor_forward (ex, x, error))
            return FALSE;
        }
      gint64 once = MAX (g_get_monotonic_time () - t0, 1);
      gint passes = (gint) CLAMP (100000 / once, 1, 100000);
      double c0 = cpu_seconds ();
      for (gint r = 0; r < repeats; r++)
        {
          t0 = g_get_monotonic_time ();
          for (gint p = 0; p < passes; p++)
            if (!pl_executor_forward (ex, x, error))
              return FALSE;
          double s = MAX (g_get_monotonic_time () - t0, 1) / 1e6;
          v[r] = (double) passes * batches[k] / s;
        }
      /* images per CPU-second (all threads together) */
      double cpu = (double) passes * repeats * batches[k] / MAX (cpu_seconds () - c0, 1e-9);
      g_autofree char *name = g_strdup_printf ("forward-b%" G_GINT64_FORMAT, batches[k]);
      g_autofree char *label = g_strdup_printf ("forward batch %" G_GINT64_FORMAT, batches[k]);
      emit (results, name, label, "images/s", v, repeats, cpu);
      if (print)
        {
          BenchResult *r = &g_array_index (results, BenchResult, results->len - 1);
          printf ("forward batch %" G_GINT64_FORMAT ": %.0f images/s (median of %d runs of %d "
                  "passes; min %.0f, max %.0f; %.0f images per CPU-second)\n", batches[k],
                  r->median, repeats, passes, r->lo, r->hi, cpu);
          fflush (stdout);
        }
    }
  (void) model_path;
  return TRUE;
}

/* ---- explain ---- */

static PlTensor *
test_image (PlGraph *g, const char *model_path, const char *data_dir, PlDataset **ds_out,
            GError **error)
{
  g_autoptr (PlTensor) image = NULL;
  PlDataset *ds = pl_dataset_load_fashion_mnist (data_dir ? data_dir : PL_DEFAULT_DATASET_DIR,
                                                 "test", NULL);
  if (ds != NULL && pl_model_check_dataset (g, model_path, ds, NULL))
    image = pl_dataset_range (ds, 0, 1, NULL);
  if (image == NULL && (image = bench_input (g, 1, error)) == NULL)
    {
      g_clear_pointer (&ds, pl_dataset_unref);
      return NULL;
    }
  if (image->ndim != 4)
    {
      g_autofree char *s = shape_of (image);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "this benchmark needs an image model "
                   "([N, C, H, W] input); its input is %s", s);
      g_clear_pointer (&ds, pl_dataset_unref);
      return NULL;
    }
  if (ds_out != NULL)
    *ds_out = ds;
  else
    g_clear_pointer (&ds, pl_dataset_unref);
  return g_steal_pointer (&image);
}

static gboolean
bench_explain (PlGraph *g, PlExecutor *ex, const char *model_path, const char *data_dir,
               gint repeats, GArray *results, gboolean print, GError **error)
{
  PlDataset *ds = NULL;
  g_autoptr (PlTensor) image = test_image (g, model_path, data_dir, &ds, error);
  if (image == NULL)
    return FALSE;
  if (print)
    printf ("image: %s\n", ds != NULL && image->shape[2] == ds->height ? "test image 0"
                                                                       : "synthetic");
  g_clear_pointer (&ds, pl_dataset_unref);
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
  gboolean ok = TRUE;
  {
    g_autoptr (PlTensor) logits = pl_executor_predict (ex, image, 1, NULL, error);
    if (logits == NULL)
      ok = FALSE;
    else
      b.target = (gint) pl_tensor_argmax (logits->data, logits->shape[logits->ndim - 1]);
  }
  g_autofree char *lime_label = g_strdup_printf ("lime (1000 samples, %s)", b.superpixels_name);
  gint n_seg = b.superpixels->n_segments;
  g_autofree char *shap_label = g_strdup_printf ("kernel-shap (2M + 2048 = %d coalitions, M = %d "
                                                 "segments, %s)", 2 * n_seg + 2048, n_seg,
                                                 b.superpixels_name);
  const char *labels[] = { "saliency", "integrated-gradients (50 steps)",
                           "smoothgrad (50 samples)",
                           shap_label,
                           lime_label };
  const char *names[] = { "saliency", "ig-50", "smoothgrad-50", "kernel-shap", "lime-1000" };
  g_autofree double *v = g_new (double, repeats);
  for (gint m = 0; m < 5 && ok; m++)
    {
      b.which = m;
      double cpu = 0;
      if (!time_runs (explain_func, &b, repeats, v, &cpu, error))
        {
          ok = FALSE;
          break;
        }
      emit (results, names[m], labels[m], "ms", v, repeats, cpu);
      if (print)
        {
          BenchResult *r = &g_array_index (results, BenchResult, results->len - 1);
          printf ("%s: %.2f ms per explanation (median of %d; min %.2f, max %.2f; CPU %.2f ms)\n",
                  labels[m], r->median, repeats, r->lo, r->hi, cpu);
          fflush (stdout);
        }
    }
  pl_segmentation_free (b.grid);
  pl_segmentation_free (b.superpixels);
  g_free (b.superpixels_name);
  return ok;
}

/* ---- step: prune at 90 % + evaluate 1000 images + saliency on both networks + draw ---- */

typedef struct {
  PlGraph *original;
  PlExecutor *ex_original;    /* the original network's executor is kept (cached) */
  PlDataset *test;
  PlTensor *image;
  gint label, target;
  double prob0;
  PlTensor *saliency0;        /* the original's map: cached by an interactive session */
  gint width, height;
} StepBench;

static PlTensor *
saliency_map (PlExecutor *ex, const PlTensor *image, gint target, GError **error)
{
  g_autoptr (PlAttribution) a = pl_attribution_saliency (ex, image, target, NULL, NULL, error);
  if (a == NULL)
    return NULL;
  PlTensor *m = pl_tensor_new_2d (image->shape[2], image->shape[3]);
  memcpy (m->data, a->attribution->data, sizeof (float) * (gsize) m->numel);
  return m;
}

static gboolean
step_once (gpointer data, GError **error)
{
  StepBench *s = data;
  g_autoptr (PlPruneStep) step = pl_prune_step_run (s->original, s->test, 0.9, 1000, NULL,
                                                    error);
  if (step == NULL)
    return FALSE;
  g_autoptr (PlExecutor) ex = pl_executor_new (step->pruned, error);
  if (ex == NULL)
    return FALSE;
  g_autoptr (PlComparison) cmp = g_new0 (PlComparison, 1);
  pl_comparison_options_init (&cmp->options);
  cmp->index = 0;
  cmp->label = s->label;
  cmp->target = s->target;
  cmp->image = pl_tensor_ref (s->image);
  g_autoptr (PlTensor) logits = NULL;
  cmp->saliency[0] = saliency_map (s->ex_original, s->image, s->target, error);
  if (cmp->saliency[0] == NULL)
    return FALSE;
  cmp->saliency[1] = saliency_map (ex, s->image, s->target, error);
  if (cmp->saliency[1] == NULL)
    return FALSE;
  logits = pl_executor_predict (ex, s->image, 1, NULL, error);
  if (logits == NULL)
    return FALSE;
  gint64 K = logits->shape[1];
  cmp->pred[0] = s->target;
  cmp->prob[0] = s->prob0;
  cmp->pred[1] = (gint) pl_tensor_argmax (logits->data, K);
  {
    double mx = logits->data[cmp->pred[1]], z = 0;
    for (gint64 k = 0; k < K; k++)
      z += exp (logits->data[k] - mx);
    cmp->prob[1] = 1.0 / z;
  }
  cmp->saliency_diff = pl_tensor_new_2d (s->image->shape[2], s->image->shape[3]);
  for (gint64 i = 0; i < cmp->saliency_diff->numel; i++)
    cmp->saliency_diff->data[i] = cmp->saliency[1]->data[i] - cmp->saliency[0]->data[i];
  cmp->grid = pl_segmentation_grid ((gint) s->image->shape[2], (gint) s->image->shape[3], 4, 4);
  cmp->map_residual[0] = cmp->map_residual[1] = NAN;
  cmp->saliency_similarity.spearman = NAN;
  cmp->saliency_similarity.topk_intersection = NAN;
  PlFigureContext ctx = { .model_name = "bench", .dataset_name = "Fashion-MNIST test",
                          .sparsity = step->achieved_sparsity,
                          .class_names = (const char *const *) s->test->class_names,
                          .n_classes = s->test->n_classes };
  g_autoptr (PlComparisonFigure) fig = pl_comparison_figure_new (PL_FIGURE_SALIENCY, cmp, &ctx);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, s->width,
                                                         s->height);
  cairo_t *cr = cairo_create (surface);
  pl_comparison_figure_draw (cr, s->width, s->height, fig);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  cairo_surface_destroy (surface);
  return TRUE;
}

static gboolean
bench_step (PlGraph *g, PlExecutor *ex, const char *model_path, const char *data_dir,
            gint repeats, GArray *results, gboolean print, GError **error)
{
  StepBench s = { .original = g, .ex_original = ex, .width = 1040, .height = 420 };
  g_autofree double *v = g_new (double, repeats);
  s.test = pl_dataset_load_fashion_mnist (data_dir ? data_dir : PL_DEFAULT_DATASET_DIR,
                                          "test", error);
  if (s.test == NULL)
    return FALSE;
  gboolean ok = FALSE;
  if (!pl_model_check_dataset (g, model_path, s.test, error))
    goto out;
  s.image = pl_dataset_range (s.test, 0, 1, error);
  if (s.image == NULL)
    goto out;
  s.label = s.test->labels[0];
  {
    g_autoptr (PlTensor) logits = pl_executor_predict (ex, s.image, 1, NULL, error);
    if (logits == NULL)
      goto out;
    gint64 K = logits->shape[1];
    s.target = (gint) pl_tensor_argmax (logits->data, K);
    double mx = logits->data[s.target], z = 0;
    for (gint64 k = 0; k < K; k++)
      z += exp (logits->data[k] - mx);
    s.prob0 = 1.0 / z;
  }
  double cpu = 0;
  if (!time_runs (step_once, &s, repeats, v, &cpu, error))
    goto out;
  emit (results, "step", "interactive step (prune 90 % + evaluate 1000 + saliency on both "
        "networks + draw)", "ms", v, repeats, cpu);
  if (print)
    {
      BenchResult *r = &g_array_index (results, BenchResult, results->len - 1);
      printf ("interactive step (global magnitude prune to 90 %%, evaluate 1000 test images, "
              "saliency on both networks, draw the %dx%d comparison figure): %.1f ms (median "
              "of %d; min %.1f, max %.1f; CPU %.1f ms)\n", s.width, s.height, r->median,
              repeats, r->lo, r->hi, cpu);
      fflush (stdout);
    }
  ok = TRUE;
out:
  g_clear_pointer (&s.image, pl_tensor_unref);
  g_clear_pointer (&s.test, pl_dataset_unref);
  return ok;
}

/* ---- the app: PL_BENCH_FIRST_FRAME and PL_BENCH_FRAMES reports ---- */

/* The app binary of this build, the environment to run it with variable=1 (memory
 * settings, the build's schemas) and the command line (under xvfb-run, on a 1600 × 1000
 * true-colour screen, when there is no display). FALSE (with what is missing in *why) when
 * the app cannot be run here. */
static gboolean
app_command (const char *variable, char ***env_out, GPtrArray **argv_out, gboolean *headless,
             const char **why)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = self ? g_path_get_dirname (self) : NULL;
  g_autofree char *app = dir ? g_build_filename (dir, "..", "app", "prunelens", NULL) : NULL;
  if (app == NULL || !g_file_test (app, G_FILE_TEST_IS_EXECUTABLE))
    {
      *why = "no app binary next to this one";
      return FALSE;
    }
  *headless = g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL;
  if (*headless && g_find_program_in_path ("xvfb-run") == NULL)
    {
      *why = "no display and no xvfb-run";
      return FALSE;
    }
  char **env = g_get_environ ();
  env = g_environ_setenv (env, variable, "1", TRUE);
  env = g_environ_setenv (env, "NO_AT_BRIDGE", "1", FALSE);
  env = g_environ_setenv (env, "GSETTINGS_BACKEND", "memory", FALSE);
  g_autofree char *schemas = g_build_filename (dir, "..", "..", "data", "gschemas.compiled", NULL);
  if (g_file_test (schemas, G_FILE_TEST_EXISTS))
    {
      g_autofree char *sd = g_path_get_dirname (schemas);
      env = g_environ_setenv (env, "GSETTINGS_SCHEMA_DIR", sd, FALSE);
    }
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, g_strdup ("timeout"));
  g_ptr_array_add (argv, g_strdup ("300"));
  if (*headless)
    {
      g_ptr_array_add (argv, g_strdup ("xvfb-run"));
      g_ptr_array_add (argv, g_strdup ("-a"));
      g_ptr_array_add (argv, g_strdup ("-s"));
      g_ptr_array_add (argv, g_strdup ("-screen 0 1600x1000x24"));
    }
  g_ptr_array_add (argv, g_steal_pointer (&app));
  g_ptr_array_add (argv, NULL);
  *env_out = env;
  *argv_out = argv;
  return TRUE;
}

static gboolean
bench_startup (gint repeats, GArray *results, gboolean print, GError **error)
{
  g_auto (GStrv) env = NULL;
  g_autoptr (GPtrArray) argv = NULL;
  gboolean headless = FALSE;
  const char *why = NULL;
  if (!app_command ("PL_BENCH_FIRST_FRAME", &env, &argv, &headless, &why))
    {
      if (print)
        printf ("start-up to first frame: not available (%s)\n", why);
      return TRUE;
    }
  gint n = MIN (repeats, 5);
  g_autofree double *v = g_new (double, n);
  g_autofree double *wall = g_new (double, n);
  for (gint r = 0; r < n; r++)
    {
      g_autofree char *out = NULL;
      gint status = 0;
      gint64 t0 = g_get_monotonic_time ();
      if (!g_spawn_sync (NULL, (char **) argv->pdata, env,
                         G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                         NULL, &status, error))
        return FALSE;
      wall[r] = (g_get_monotonic_time () - t0) / 1000.0;
      const char *hit = out ? strstr (out, "first-frame-ms ") : NULL;
      if (hit == NULL)
        {
          if (print)
            printf ("start-up to first frame: not available (the app did not print "
                    "first-frame-ms)\n");
          return TRUE;
        }
      v[r] = g_ascii_strtod (hit + strlen ("first-frame-ms "), NULL);
    }
  emit (results, "startup", "start-up to first frame (reported by the app)", "ms", v, n, NAN);
  emit (results, "startup-spawn", "spawn to exit (incl. re-exec and quit)", "ms", wall, n, NAN);
  if (print)
    {
      BenchResult *r = &g_array_index (results, BenchResult, results->len - 2);
      BenchResult *w = &g_array_index (results, BenchResult, results->len - 1);
      printf ("start-up to first frame: %.0f ms from main () (median of %d; min %.0f, max "
              "%.0f)%s; whole process from spawn to exit: %.0f ms%s\n", r->median, n, r->lo,
              r->hi, headless ? " under xvfb-run" : "", w->median,
              headless ? " (includes starting Xvfb)" : "");
      fflush (stdout);
    }
  return TRUE;
}

/* frames: the app's scripted session (pl-bench-frames.h) on model_path (NULL: the default
 * session), once; per action and the worst of each column. A session that does not load,
 * a script that does not finish or an app that fails is an error. */
static gboolean
bench_frames (const char *model_path, GArray *results, gboolean print, GError **error)
{
  g_auto (GStrv) env = NULL;
  g_autoptr (GPtrArray) argv = NULL;
  gboolean headless = FALSE;
  const char *why = NULL;
  if (!app_command ("PL_BENCH_FRAMES", &env, &argv, &headless, &why))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "frames: cannot run the workbench (%s)",
                   why);
      return FALSE;
    }
  if (model_path != NULL)
    g_ptr_array_insert (argv, (gint) argv->len - 1, g_strdup (model_path));
  g_autofree char *out = NULL, *err = NULL;
  gint status = 0;
  if (!g_spawn_sync (NULL, (char **) argv->pdata, env, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                     &err, &status, error))
    return FALSE;
  g_auto (GStrv) lines = g_strsplit (out != NULL ? out : "", "\n", -1);
  static const char *const columns[5] = { "cpu", "layout", "paint", "wall", "gap" };
  static const char *const labels[5] = {
    "longest frame, main-thread CPU", "longest layout phase, main-thread CPU",
    "longest paint phase, main-thread CPU", "longest frame, wall clock",
    "longest gap between frames, wall clock" };
  double worst[5] = { NAN, NAN, NAN, NAN, NAN }, apply = NAN;
  g_autofree char *apply_kind = NULL, *app_error = NULL;
  g_autoptr (GString) table = g_string_new (NULL);
  GArray *per_action = g_array_new (FALSE, TRUE, sizeof (BenchResult));
  g_array_set_clear_func (per_action, (GDestroyNotify) bench_result_clear);
  for (gint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], "\t", -1);
      guint nf = g_strv_length (f);
      if (nf == 7 && g_str_equal (f[0], "bench-frames"))
        {
          double v[5];
          for (int k = 0; k < 5; k++)
            v[k] = g_ascii_strtod (f[2 + k], NULL);
          if (g_str_equal (f[1], "worst"))
            memcpy (worst, v, sizeof worst);
          else
            {
              g_string_append_printf (table, "  %-30s %9.1f %9.1f %9.1f %10.1f %9.1f\n", f[1],
                                      v[0], v[1], v[2], v[3], v[4]);
              for (int k = 0; k < 5; k++)
                {
                  g_autofree char *name = g_strdup_printf ("frames-%s: %s", columns[k], f[1]);
                  emit (per_action, name, labels[k], "ms", &v[k], 1, NAN);
                }
            }
        }
      else if (nf >= 3 && g_str_equal (f[0], "bench-frames-apply"))
        {
          apply = g_ascii_strtod (f[2], NULL);
          apply_kind = g_strdup (f[1]);
        }
      else if (nf >= 2 && g_str_equal (f[0], "bench-frames-error"))
        app_error = g_strdup (f[1]);
    }
  g_autoptr (GError) exit_error = NULL;
  gboolean exited_ok = g_spawn_check_wait_status (status, &exit_error);
  if (app_error != NULL || isnan (worst[0]) || !exited_ok)
    {
      /* the app's last line on stderr says what went wrong */
      g_autofree char *last = NULL;
      g_auto (GStrv) errs = g_strsplit (err != NULL ? g_strstrip (err) : "", "\n", -1);
      guint ne = g_strv_length (errs);
      if (ne > 0 && errs[ne - 1][0] != '\0')
        last = g_strdup (errs[ne - 1]);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "frames: %s%s%s",
                   app_error != NULL ? app_error
                   : isnan (worst[0]) ? "the workbench did not finish its script"
                                      : exit_error->message,
                   last != NULL ? "; the workbench said: " : "", last != NULL ? last : "");
      g_array_unref (per_action);
      return FALSE;
    }
  for (int k = 0; k < 5; k++)
    {
      g_autofree char *name = g_strdup_printf ("frames-%s", columns[k]);
      emit (results, name, labels[k], "ms", &worst[k], 1, NAN);
    }
  if (!isnan (apply))
    emit (results, "frames-apply", "costliest job result applied, main-thread CPU", "ms",
          &apply, 1, NAN);
  for (guint i = 0; i < per_action->len; i++)
    {
      BenchResult *r = &g_array_index (per_action, BenchResult, i);
      g_array_append_val (results, *r);
      memset (r, 0, sizeof *r);   /* moved */
    }
  g_array_unref (per_action);
  if (print)
    {
      printf ("frames of a scripted session%s (ms; CPU: the main thread's; one run):\n"
              "  %-30s %9s %9s %9s %10s %9s\n%s", headless ? " under xvfb-run" : "",
              "action", "frame CPU", "layout", "paint", "frame wall", "max gap", table->str);
      printf ("  %-30s %9.1f %9.1f %9.1f %10.1f %9.1f\n", "worst", worst[0], worst[1],
              worst[2], worst[3], worst[4]);
      if (!isnan (apply))
        printf ("  applying a job's result: at most %.1f ms of main-thread CPU (%s)\n", apply,
                apply_kind);
      printf ("  a frame at 60 Hz is 16.7 ms\n");
      fflush (stdout);
    }
  return TRUE;
}

/* ---- memory: peak resident memory of a default session ---- */

static gint64
status_kib (const char *field)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents ("/proc/self/status", &text, NULL, NULL))
    return -1;
  const char *p = strstr (text, field);
  return p != NULL ? g_ascii_strtoll (p + strlen (field), NULL, 10) : -1;
}

static gboolean
bench_memory (const char *model_path, const char *data_dir, GArray *results, gboolean print,
              GError **error)
{
  g_autoptr (PlGraph) g = pl_onnx_load_file (model_path, error);
  if (g == NULL)
    return FALSE;
  const char *dir = data_dir ? data_dir : PL_DEFAULT_DATASET_DIR;
  g_autoptr (PlDataset) train = pl_dataset_load_fashion_mnist (dir, "train", error);
  if (train == NULL)
    return FALSE;
  g_autoptr (PlDataset) test = pl_dataset_load_fashion_mnist (dir, "test", error);
  if (test == NULL)
    return FALSE;
  g_autoptr (PlPruneStep) step = pl_prune_step_run (g, test, 0.9, 1000, NULL, error);
  if (step == NULL)
    return FALSE;
  PlComparisonOptions o;
  pl_comparison_options_init (&o);
  g_autoptr (PlComparison) cmp = pl_comparison_compute (g, step->pruned, test, 0, &o, NULL,
                                                        error);
  if (cmp == NULL)
    return FALSE;
  double hwm = status_kib ("VmHWM:") / 1024.0, rss = status_kib ("VmRSS:") / 1024.0;
  double one = hwm;
  emit (results, "memory", "peak memory (VmHWM) of a default session", "MiB", &one, 1, NAN);
  if (print)
    {
      printf ("peak memory: %.1f MiB VmHWM (%.1f MiB resident now) after loading the model, "
              "the Fashion-MNIST train and test sets (%" G_GINT64_FORMAT " + %" G_GINT64_FORMAT
              " images), a 90 %% prune step with evaluation and the default comparison "
              "(saliency and KernelSHAP on both networks)\n", hwm, rss, train->n, test->n);
      fflush (stdout);
    }
  return TRUE;
}

int
cmd_bench (int argc, char **argv)
{
  /* "bench train" has its own options (cli-train.c). */
  if (argc >= 2 && g_str_equal (argv[1], "train"))
    return bench_train (argc - 1, argv + 1);
  gint repeats = 10;
  gboolean json = FALSE;
  g_autofree char *data_dir = NULL;
  GOptionEntry entries[] = {
    { "repeats", 'r', 0, G_OPTION_ARG_INT, &repeats, N_("Timed runs per measurement (default 10)"), "N" },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Fashion-MNIST folder (explain: the image)"), "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object instead of text"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("forward|explain|step|startup|frames|memory|all|train [MODEL.onnx] — time the engine"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (ctx,
      _("forward: images per second at batch 1 and 64.\n"
        "explain: milliseconds per explanation (saliency, IG-50, SmoothGrad-50, KernelSHAP\n"
        "with 2M + 2048 coalitions on LIME's SLIC superpixels, LIME-1000) of test image 0.\n"
        "step: one interactive step: global magnitude pruning to 90 %, evaluation on 1000\n"
        "test images, saliency on both networks and drawing the comparison figure.\n"
        "startup: the app's start-up to its first frame (PL_BENCH_FIRST_FRAME; under\n"
        "xvfb-run when there is no display).\n"
        "frames: the app's frames while a script drives the default session through\n"
        "every tab, a step, undo and redo, a comparison and a sweep (PL_BENCH_FRAMES):\n"
        "per action the longest frame's main-thread CPU time (layout, paint), the longest\n"
        "frame and the longest gap between frames in wall-clock time. One run.\n"
        "memory: peak resident memory (VmHWM) of a default session: the model, the\n"
        "Fashion-MNIST train and test sets, a prune step and a comparison.\n"
        "all: memory first (so that its peak is the session's), then all the others\n"
        "except train and frames.\n"
        "train: one training epoch of the default CNN; it has its own options\n"
        "(--repeats, --batches, --data, --json: see bench train --help).\n"
        "Each: the median over the runs, their min–max and the CPU time. The engine uses\n"
        "PL_NUM_THREADS threads (default: the processors, at most 8).\n\n"
        "Example:\n  PL_NUM_THREADS=2 prunelens-cli bench forward --repeats 10\n"));
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (argc < 2 || argc > 3)
    return usage_error (ctx, _("bench needs forward, explain, step, startup, frames, memory or all, then optionally MODEL.onnx"));
  const char *what = argv[1];
  const char *const known[] = { "forward", "explain", "step", "startup", "frames", "memory",
                                "all", NULL };
  if (!g_strv_contains (known, what))
    return usage_error (ctx, _("unknown benchmark “%s” (forward, explain, step, startup, frames, memory or all)"), what);
  if (repeats < 1 || repeats > 10000)
    return usage_error (ctx, _("--repeats must be between 1 and 10000"));
  gboolean all = g_str_equal (what, "all");
  gboolean print = !json;
  g_autoptr (GError) error = NULL;
  g_autofree char *model_path = argc == 3 ? g_strdup (argv[2]) : pl_default_model_path ();
  g_autoptr (GArray) results = g_array_new (FALSE, TRUE, sizeof (BenchResult));
  g_array_set_clear_func (results, (GDestroyNotify) bench_result_clear);
  g_autofree char *threads = threads_description ();
  const char *coretype = g_getenv ("OPENBLAS_CORETYPE");
  if (print)
    printf ("model %s, %s, OpenBLAS kernels %s%s%s\n", model_path, threads,
            openblas_get_corename (), coretype ? ", OPENBLAS_CORETYPE=" : "",
            coretype ? coretype : "");
  /* memory first: VmHWM is the process's peak so far */
  if ((all || g_str_equal (what, "memory"))
      && !bench_memory (model_path, data_dir, results, print, &error))
    return fail_in (model_path, g_steal_pointer (&error));
  if (all || g_str_equal (what, "forward") || g_str_equal (what, "explain")
      || g_str_equal (what, "step"))
    {
      g_autoptr (PlGraph) g = pl_onnx_load_file (model_path, &error);
      if (g == NULL)
        return fail (g_steal_pointer (&error));
      g_autoptr (PlExecutor) ex = pl_executor_new (g, &error);
      if (ex == NULL)
        return fail_in (model_path, g_steal_pointer (&error));
      if ((all || g_str_equal (what, "forward"))
          && !bench_forward (g, ex, model_path, repeats, results, print, &error))
        return fail_in (model_path, g_steal_pointer (&error));
      if ((all || g_str_equal (what, "explain"))
          && !bench_explain (g, ex, model_path, data_dir, repeats, results, print, &error))
        return fail_in (model_path, g_steal_pointer (&error));
      if ((all || g_str_equal (what, "step"))
          && !bench_step (g, ex, model_path, data_dir, repeats, results, print, &error))
        return fail_in (model_path, g_steal_pointer (&error));
    }
  if ((all || g_str_equal (what, "startup")) && !bench_startup (repeats, results, print, &error))
    return fail (g_steal_pointer (&error));
  if (g_str_equal (what, "frames")
      && !bench_frames (argc == 3 ? model_path : NULL, results, print, &error))
    return fail (g_steal_pointer (&error));
  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      jb_string (b, "model", model_path);
      jb_int (b, "threads", pl_parallel_parts ());
      jb_string (b, "openblas_core", openblas_get_corename ());
      json_builder_set_member_name (b, "results");
      json_builder_begin_array (b);
      for (guint i = 0; i < results->len; i++)
        {
          BenchResult *r = &g_array_index (results, BenchResult, i);
          json_builder_begin_object (b);
          jb_string (b, "name", r->name);
          jb_string (b, "label", r->label);
          jb_string (b, "unit", r->unit);
          jb_double (b, "median", r->median);
          jb_double (b, "min", r->lo);
          jb_double (b, "max", r->hi);
          jb_int (b, "runs", r->runs);
          /* forward: images per CPU-second; others: CPU ms per run */
          jb_double (b, "cpu", r->cpu);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      jb_print (b);
    }
  return 0;
}
