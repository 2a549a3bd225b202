/* prunelens-cli — PruneLens without a window: the same computations and figures.
 *
 * Exit codes: 0 success, 1 failure, 2 usage error. Errors go to stderr naming the file
 * and the reason. A progress bar is drawn on stderr when it is a terminal; Ctrl-C cancels
 * the running computation cleanly (outputs are written atomically, so no partial files).
 */
#include "config.h"

#include <glib.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "analysis/pl-metrics.h"
#include "data/pl-dataset.h"
#include "exec/pl-executor.h"
#include "graph/pl-graph.h"
#include "onnx/pl-onnx.h"
#include "pl-comparison-figure.h"
#include "pl-error.h"
#include "prune/pl-prune.h"
#include "session/pl-session.h"
#include "train/pl-train.h"

#define EXIT_USAGE 2

static gboolean opt_quiet = FALSE;

/* ---- running work off the main loop, with Ctrl-C and a terminal progress bar ---- */

typedef gboolean (*WorkFunc) (gpointer data, const PlProgress *progress, GError **error);

typedef struct {
  WorkFunc func;
  gpointer data;
  GCancellable *cancellable;
  gboolean done;
  gboolean ok;
  GError *error;
  GMutex lock;
  double fraction;
  char *message;
  gboolean tty;
} Job;

static void
job_progress (double fraction, const char *message, gpointer user_data)
{
  Job *job = user_data;
  g_mutex_lock (&job->lock);
  job->fraction = fraction;
  if (message != NULL)
    {
      g_free (job->message);
      job->message = g_strdup (message);
    }
  g_mutex_unlock (&job->lock);
}

static gpointer
job_thread (gpointer user_data)
{
  Job *job = user_data;
  PlProgress progress;
  pl_progress_init (&progress, job_progress, job, job->cancellable);
  job->ok = job->func (job->data, &progress, &job->error);
  g_atomic_int_set (&job->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

static gboolean
on_sigint (gpointer user_data)
{
  Job *job = user_data;
  g_cancellable_cancel (job->cancellable);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_tick (gpointer user_data)
{
  Job *job = user_data;
  if (!job->tty || opt_quiet)
    return G_SOURCE_CONTINUE;
  g_mutex_lock (&job->lock);
  double f = job->fraction;
  g_autofree char *msg = g_strdup (job->message ? job->message : "");
  g_mutex_unlock (&job->lock);
  int width = 30, filled = (int) (f * width + 0.5);
  fprintf (stderr, "\r[");
  for (int i = 0; i < width; i++)
    fputc (i < filled ? '#' : '-', stderr);
  fprintf (stderr, "] %3.0f%% %-40.40s", 100.0 * f, msg);
  fflush (stderr);
  return G_SOURCE_CONTINUE;
}

static gboolean
run_job (WorkFunc func, gpointer data, GError **error)
{
  Job job = { .func = func, .data = data };
  job.cancellable = g_cancellable_new ();
  job.tty = isatty (STDERR_FILENO);
  g_mutex_init (&job.lock);
  guint sig = g_unix_signal_add (SIGINT, on_sigint, &job);
  guint tick = g_timeout_add (100, on_tick, &job);
  GThread *thread = g_thread_new ("prunelens-cli-job", job_thread, &job);
  while (!g_atomic_int_get (&job.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  g_source_remove (sig);
  g_source_remove (tick);
  if (job.tty && !opt_quiet)
    fprintf (stderr, "\r%-80s\r", "");
  g_object_unref (job.cancellable);
  g_mutex_clear (&job.lock);
  g_free (job.message);
  if (!job.ok)
    g_propagate_error (error, job.error);
  return job.ok;
}

/* ---- shared option handling ---- */

static char *
default_model_path (void)
{
  const char *env = g_getenv ("PRUNELENS_DATADIR");
  const char *dirs[] = { env, PL_SOURCE_DATADIR, PL_DATADIR };
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      if (dirs[i] == NULL)
        continue;
      g_autofree char *p = g_build_filename (dirs[i], "models", "fashion-cnn.onnx", NULL);
      if (g_file_test (p, G_FILE_TEST_EXISTS))
        return g_steal_pointer (&p);
    }
  return g_build_filename (PL_DATADIR, "models", "fashion-cnn.onnx", NULL);
}

static int
usage_error (GOptionContext *ctx, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static int
usage_error (GOptionContext *ctx, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  fprintf (stderr, "%s: %s\n", g_get_prgname (), msg);
  fprintf (stderr, _("Try “%s --help”.\n"), g_get_prgname ());
  (void) ctx;
  return EXIT_USAGE;
}

static int
fail (GError *error)
{
  fprintf (stderr, "prunelens-cli: %s\n", error->message);
  g_error_free (error);
  return EXIT_FAILURE;
}

static gboolean
parse (GOptionContext *ctx, int *argc, char ***argv, int *status)
{
  static const GOptionEntry common[] = {
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet, N_("No progress bar or extra output"), NULL },
    { NULL }
  };
  g_option_context_add_main_entries (ctx, common, GETTEXT_PACKAGE);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      fprintf (stderr, "prunelens-cli: %s\n", error->message);
      *status = EXIT_USAGE;
      return FALSE;
    }
  return TRUE;
}

/* ---- info ---- */

static int
cmd_info (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("MODEL.onnx — describe a model"));
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return usage_error (ctx, _("info needs exactly one MODEL.onnx"));
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = pl_onnx_load_file (argv[1], &error);
  if (g == NULL)
    return fail (g_steal_pointer (&error));
  printf ("%s: opset %" G_GINT64_FORMAT ", %u nodes, %" G_GINT64_FORMAT " parameters, "
          "weight sparsity %.2f %%\n",
          argv[1], g->opset, g->nodes->len, pl_graph_n_parameters (g),
          100.0 * pl_graph_weight_sparsity (g));
  for (guint i = 0; i < g->inputs->len; i++)
    {
      PlValue *v = pl_graph_value (g, g_array_index (g->inputs, gint, i));
      g_autofree char *s = pl_tensor_shape_string (v->ndim, v->shape);
      printf ("  input  %s %s\n", v->name, s);
    }
  for (guint i = 0; i < g->nodes->len; i++)
    {
      PlNode *n = g_ptr_array_index (g->nodes, i);
      printf ("  %-12s %s\n", n->op_type, n->name);
    }
  for (guint i = 0; i < g->outputs->len; i++)
    {
      PlValue *v = pl_graph_value (g, g_array_index (g->outputs, gint, i));
      printf ("  output %s\n", v->name);
    }
  return 0;
}

/* ---- eval ---- */

typedef struct {
  PlGraph *graph;
  PlDataset *dataset;
  gint64 n;
  PlEvaluation *result;
} EvalWork;

static gboolean
eval_work (gpointer data, const PlProgress *progress, GError **error)
{
  EvalWork *w = data;
  w->result = pl_evaluate_classifier (w->graph, w->dataset, w->n, progress, error);
  return w->result != NULL;
}

static int
cmd_eval (int argc, char **argv)
{
  g_autofree char *data_dir = NULL;
  g_autofree char *split = NULL;
  gint64 n = 0;
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Fashion-MNIST folder"), "DIR" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &split, N_("train or test (default test)"), "SPLIT" },
    { "samples", 'n', 0, G_OPTION_ARG_INT64, &n, N_("Evaluate the first N samples (default all)"), "N" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("MODEL.onnx — top-1 accuracy"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return usage_error (ctx, _("eval needs exactly one MODEL.onnx"));
  if (split != NULL && g_strcmp0 (split, "train") != 0 && g_strcmp0 (split, "test") != 0)
    return usage_error (ctx, _("--split must be train or test"));
  if (n < 0)
    return usage_error (ctx, _("--samples must be 0 (all) or more"));
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = pl_onnx_load_file (argv[1], &error);
  if (g == NULL)
    return fail (g_steal_pointer (&error));
  g_autoptr (PlDataset) ds = pl_dataset_load_fashion_mnist (
      data_dir ? data_dir : PL_DEFAULT_DATASET_DIR, split ? split : "test", &error);
  if (ds == NULL)
    return fail (g_steal_pointer (&error));
  if (!pl_model_check_dataset (g, argv[1], ds, &error))
    return fail (g_steal_pointer (&error));
  EvalWork w = { g, ds, n, NULL };
  if (!run_job (eval_work, &w, &error))
    return fail (g_steal_pointer (&error));
  printf ("accuracy %.4f (%" G_GINT64_FORMAT " / %" G_GINT64_FORMAT ") on %s\n",
          w.result->accuracy, w.result->correct, w.result->n, ds->name);
  pl_evaluation_free (w.result);
  return 0;
}

/* ---- train ---- */

typedef struct {
  PlGraph *graph;
  PlDataset *train;
  PlDataset *test;
  PlTrainConfig config;
  double test_accuracy;
} TrainWork;

static void
on_epoch (gint epoch, double loss, double accuracy, gpointer user_data)
{
  if (!opt_quiet)
    fprintf (stderr, "\repoch %d: loss %.4f, train accuracy %.4f%-30s\n", epoch + 1, loss,
             accuracy, "");
}

static gboolean
train_work (gpointer data, const PlProgress *progress, GError **error)
{
  TrainWork *w = data;
  PlProgress sub = pl_progress_sub (progress, 0.0, 0.95);
  if (!pl_train_classifier (w->graph, w->train, &w->config, on_epoch, NULL, &sub, error))
    return FALSE;
  if (w->test != NULL)
    {
      PlProgress ev = pl_progress_sub (progress, 0.95, 1.0);
      g_autoptr (PlEvaluation) e = pl_evaluate_classifier (w->graph, w->test, 0, &ev, error);
      if (e == NULL)
        return FALSE;
      w->test_accuracy = e->accuracy;
    }
  return TRUE;
}

static int
cmd_train (int argc, char **argv)
{
  g_autofree char *data_dir = NULL;
  g_autofree char *arch = NULL;
  g_autofree char *output = NULL;
  g_autofree char *optimizer = NULL;
  gint epochs = 3, batch = 64;
  gint64 seed = 1;
  double lr = 1e-3;
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Fashion-MNIST folder (IDX files)"), "DIR" },
    { "arch", 'a', 0, G_OPTION_ARG_STRING, &arch, N_("Architecture: cnn or mlp (default cnn)"), "ARCH" },
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &epochs, N_("Epochs (default 3)"), "N" },
    { "batch-size", 'b', 0, G_OPTION_ARG_INT, &batch, N_("Minibatch size (default 64)"), "N" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, N_("Learning rate (default 0.001)"), "LR" },
    { "optimizer", 0, 0, G_OPTION_ARG_STRING, &optimizer, N_("adam or sgd (default adam)"), "NAME" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, N_("Random seed (default 1)"), "S" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Write the trained model here (ONNX)"), "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("— train a classifier from scratch"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (ctx,
      _("Example (reproduces data/models/fashion-cnn.onnx bit for bit):\n"
        "  PL_NUM_THREADS=2 prunelens-cli train --data /usr/share/datasets/fashion-mnist "
        "--arch cnn --epochs 5 --seed 1 -o fashion-cnn.onnx\n"));
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 1)
    return usage_error (ctx, _("unexpected argument “%s”"), argv[1]);
  if (output == NULL)
    return usage_error (ctx, _("train needs --output FILE"));
  if (epochs < 1 || batch < 1 || !(lr > 0.0 && lr <= 10.0))
    return usage_error (ctx, _("--epochs and --batch-size must be positive and --lr in (0, 10]"));
  {
    g_autofree char *dir = g_path_get_dirname (output);
    if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
      return usage_error (ctx, _("cannot write “%s”: the folder “%s” does not exist"), output, dir);
  }
  g_autoptr (GError) error = NULL;
  const char *dir = data_dir ? data_dir : PL_DEFAULT_DATASET_DIR;
  g_autoptr (PlDataset) train = pl_dataset_load_fashion_mnist (dir, "train", &error);
  if (train == NULL)
    return fail (g_steal_pointer (&error));
  g_autoptr (PlDataset) test = pl_dataset_load_fashion_mnist (dir, "test", NULL);
  g_autoptr (PlGraph) g = pl_model_build (arch ? arch : "cnn", train->channels, train->height,
                                          train->width, train->n_classes, (guint64) seed, &error);
  if (g == NULL)
    return fail (g_steal_pointer (&error));
  TrainWork w = { .graph = g, .train = train, .test = test };
  pl_train_config_init (&w.config);
  w.config.epochs = epochs;
  w.config.batch_size = batch;
  w.config.learning_rate = lr;
  w.config.seed = (guint64) seed;
  if (optimizer != NULL && g_strcmp0 (optimizer, "sgd") == 0)
    w.config.optimizer = PL_OPTIMIZER_SGD;
  else if (optimizer != NULL && g_strcmp0 (optimizer, "adam") != 0)
    return usage_error (ctx, _("unknown optimizer “%s” (adam or sgd)"), optimizer);
  g_free (g->doc_string);
  /* The thread count changes the order of floating-point sums, so it is part of the
   * recipe: the engine uses PL_NUM_THREADS, else the processors (at most 8). */
  const char *env_threads = g_getenv ("PL_NUM_THREADS");
  gint threads = env_threads ? (gint) g_ascii_strtoll (env_threads, NULL, 10) : 0;
  if (threads <= 0)
    threads = (gint) MIN (g_get_num_processors (), 8u);
  g->doc_string = g_strdup_printf ("PL_NUM_THREADS=%d prunelens-cli train --arch %s --epochs %d "
                                   "--batch-size %d --lr %g --optimizer %s --seed %" G_GINT64_FORMAT,
                                   threads, arch ? arch : "cnn", epochs, batch, lr,
                                   optimizer ? optimizer : "adam", seed);
  if (!run_job (train_work, &w, &error))
    return fail (g_steal_pointer (&error));
  if (!pl_onnx_save_file (g, output, &error))
    return fail (g_steal_pointer (&error));
  if (test != NULL)
    printf ("test accuracy %.4f (%s)\n", w.test_accuracy, test->name);
  printf ("wrote %s\n", output);
  return 0;
}

/* ---- prune ---- */

typedef struct {
  PlGraph *graph;
  PlDataset *dataset;
  double sparsity;
  gint64 n;
  PlPruneStep *step;
} PruneWork;

static gboolean
prune_work (gpointer data, const PlProgress *progress, GError **error)
{
  PruneWork *w = data;
  w->step = pl_prune_step_run (w->graph, w->dataset, w->sparsity, w->n, progress, error);
  return w->step != NULL;
}

static gboolean
parse_sparsity (const char *text, double *out)
{
  if (text == NULL)
    return FALSE;
  char *end = NULL;
  double v = g_ascii_strtod (text, &end);
  if (end == text)
    return FALSE;
  if (*end == '%')
    {
      v /= 100.0;
      end++;
    }
  if (*end != '\0' || !(v >= 0.0 && v <= 1.0))
    return FALSE;
  *out = v;
  return TRUE;
}

static int
cmd_prune (int argc, char **argv)
{
  g_autofree char *data_dir = NULL;
  g_autofree char *output = NULL;
  g_autofree char *sparsity_text = NULL;
  gint64 n = 2000;
  GOptionEntry entries[] = {
    { "sparsity", 's', 0, G_OPTION_ARG_STRING, &sparsity_text, N_("Target sparsity: 0.9 or 90%"), "S" },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Fashion-MNIST folder"), "DIR" },
    { "samples", 'n', 0, G_OPTION_ARG_INT64, &n, N_("Evaluate on the first N test samples (default 2000)"), "N" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Write the pruned model here (ONNX)"), "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("MODEL.onnx — global magnitude pruning"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (ctx,
      _("Example:\n  prunelens-cli prune data/models/fashion-cnn.onnx --sparsity 90% -o pruned.onnx\n"));
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return usage_error (ctx, _("prune needs exactly one MODEL.onnx"));
  double sparsity;
  if (sparsity_text == NULL)
    return usage_error (ctx, _("prune needs --sparsity S (e.g. 0.9 or 90%%)"));
  if (!parse_sparsity (sparsity_text, &sparsity))
    return usage_error (ctx, _("--sparsity must be a number in [0, 1] or a percentage"));
  if (n < 1)
    return usage_error (ctx, _("--samples must be 1 or more"));
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = pl_onnx_load_file (argv[1], &error);
  if (g == NULL)
    return fail (g_steal_pointer (&error));
  g_autoptr (PlDataset) ds = pl_dataset_load_fashion_mnist (
      data_dir ? data_dir : PL_DEFAULT_DATASET_DIR, "test", &error);
  if (ds == NULL)
    return fail (g_steal_pointer (&error));
  if (!pl_model_check_dataset (g, argv[1], ds, &error))
    return fail (g_steal_pointer (&error));
  PruneWork w = { g, ds, sparsity, n, NULL };
  if (!run_job (prune_work, &w, &error))
    return fail (g_steal_pointer (&error));
  g_autoptr (PlPruneStep) step = w.step;
  printf ("sparsity %.4f of %" G_GINT64_FORMAT " weights, accuracy %.4f on %" G_GINT64_FORMAT
          " samples of %s\n", step->achieved_sparsity, step->n_weights,
          step->evaluation->accuracy, step->evaluation->n, ds->name);
  if (output != NULL)
    {
      if (!pl_onnx_save_file (step->pruned, output, &error))
        return fail (g_steal_pointer (&error));
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
  w->step = pl_prune_step_run (w->graph, w->dataset, w->sparsity, 1, &a, error);
  if (w->step == NULL)
    return FALSE;
  PlProgress b = pl_progress_sub (progress, 0.5, 1.0);
  w->cmp = pl_comparison_compute (w->graph, w->step->pruned, w->dataset, w->index, &w->options,
                                  &b, error);
  return w->cmp != NULL;
}

static int
cmd_explain (int argc, char **argv)
{
  g_autofree char *data_dir = NULL;
  g_autofree char *output = NULL;
  g_autofree char *sparsity_text = NULL;
  g_autofree char *figure_name = NULL;
  gint64 index = 0;
  gint grid = 4, budget = 0;
  gint64 seed = 1;
  double dpi = 150.0;
  GOptionEntry entries[] = {
    { "sparsity", 's', 0, G_OPTION_ARG_STRING, &sparsity_text, N_("Sparsity of the pruned network: 0.9 or 90% (default 0)"), "S" },
    { "index", 'i', 0, G_OPTION_ARG_INT64, &index, N_("Test sample to explain (default 0)"), "I" },
    { "figure", 'f', 0, G_OPTION_ARG_STRING, &figure_name, N_("saliency, features or shap (default saliency)"), "KIND" },
    { "grid", 'g', 0, G_OPTION_ARG_INT, &grid, N_("Patches per side (default 4)"), "N" },
    { "budget", 0, 0, G_OPTION_ARG_INT, &budget, N_("KernelSHAP coalitions (default 2M + 2048)"), "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Seed (default 1)"), "S" },
    { "dpi", 0, 0, G_OPTION_ARG_DOUBLE, &dpi, N_("PNG resolution (default 150)"), "DPI" },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Fashion-MNIST folder"), "DIR" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Figure file: .png, .svg or .pdf"), "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("[MODEL.onnx] — original vs pruned explanation figure"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (ctx,
      _("Example:\n  prunelens-cli explain --sparsity 90% --index 0 --figure saliency -o saliency.png\n"));
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (argc > 2)
    return usage_error (ctx, _("explain takes at most one MODEL.onnx"));
  double sparsity = 0.0;
  if (sparsity_text != NULL && !parse_sparsity (sparsity_text, &sparsity))
    return usage_error (ctx, _("--sparsity must be a number in [0, 1] or a percentage"));
  PlFigureKind kind = PL_FIGURE_SALIENCY;
  if (figure_name != NULL && !pl_figure_kind_from_name (figure_name, &kind))
    return usage_error (ctx, _("unknown figure “%s” (saliency, features or shap)"), figure_name);
  if (output == NULL)
    return usage_error (ctx, _("explain needs --output FILE"));
  if (grid < 1 || grid > 7)
    return usage_error (ctx, _("--grid must be between 1 and 7"));
  if (!(dpi >= 10 && dpi <= 2400))
    return usage_error (ctx, _("--dpi must be between 10 and 2400"));
  if (budget < 0)
    return usage_error (ctx, _("--budget must be 0 (default: 2M + 2048) or more"));

  g_autoptr (GError) error = NULL;
  g_autofree char *model_path = argc == 2 ? g_strdup (argv[1]) : default_model_path ();
  g_autoptr (PlGraph) g = pl_onnx_load_file (model_path, &error);
  if (g == NULL)
    return fail (g_steal_pointer (&error));
  g_autoptr (PlDataset) ds = pl_dataset_load_fashion_mnist (
      data_dir ? data_dir : PL_DEFAULT_DATASET_DIR, "test", &error);
  if (ds == NULL)
    return fail (g_steal_pointer (&error));
  if (!pl_model_check_dataset (g, model_path, ds, &error))
    return fail (g_steal_pointer (&error));
  if (index < 0 || index >= ds->n)
    return usage_error (ctx, _("--index must be between 0 and %d for %s"), (int) ds->n - 1, ds->name);
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

  g_autofree char *model_name = g_path_get_basename (model_path);
  PlFigureContext fctx = {
    .model_name = model_name,
    .dataset_name = ds->name,
    .sparsity = step->achieved_sparsity,
    .class_names = (const char *const *) ds->class_names,
    .n_classes = ds->n_classes,
    .dark = FALSE,
    .caption = TRUE,
  };
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

/* ---- main ---- */

typedef struct {
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
  { "info", cmd_info, N_("Describe a model: inputs, layers, parameters, sparsity") },
  { "eval", cmd_eval, N_("Top-1 accuracy of a model on Fashion-MNIST") },
  { "train", cmd_train, N_("Train a classifier from scratch and save it as ONNX") },
  { "prune", cmd_prune, N_("Global magnitude pruning; evaluate and save the pruned model") },
  { "explain", cmd_explain, N_("Original vs pruned explanation figure (PNG, SVG or PDF)") },
};

static void
print_help (FILE *out)
{
  fprintf (out, _("Usage: prunelens-cli [--version] [--quiet] COMMAND [OPTIONS…]\n\n"
                  "See what pruning does to a neural network and its explanations.\n\n"
                  "Commands:\n"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-9s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (out, _("\nExamples:\n"
                  "  prunelens-cli info data/models/fashion-cnn.onnx\n"
                  "  prunelens-cli prune data/models/fashion-cnn.onnx --sparsity 90%% -o pruned.onnx\n"
                  "  prunelens-cli explain --sparsity 90%% --figure shap -o shap.png\n\n"
                  "“prunelens-cli COMMAND --help” describes a command's options.\n"));
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("prunelens-cli");

  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++)
    {
      if (g_str_equal (argv[i], "--version"))
        {
          printf ("prunelens-cli %s\n", PACKAGE_VERSION);
          return 0;
        }
      else if (g_str_equal (argv[i], "--help") || g_str_equal (argv[i], "-h"))
        {
          print_help (stdout);
          return 0;
        }
      else if (g_str_equal (argv[i], "--quiet") || g_str_equal (argv[i], "-q"))
        opt_quiet = TRUE;
      else
        {
          fprintf (stderr, _("prunelens-cli: unknown option “%s”\n"), argv[i]);
          print_help (stderr);
          return EXIT_USAGE;
        }
    }
  if (i >= argc)
    {
      print_help (stderr);
      return EXIT_USAGE;
    }
  for (guint c = 0; c < G_N_ELEMENTS (commands); c++)
    if (g_str_equal (argv[i], commands[c].name))
      {
        g_autofree char *prg = g_strdup_printf ("prunelens-cli %s", commands[c].name);
        g_set_prgname (prg);
        return commands[c].run (argc - i, argv + i);
      }
  fprintf (stderr, _("prunelens-cli: unknown command “%s”\n"), argv[i]);
  print_help (stderr);
  return EXIT_USAGE;
}
