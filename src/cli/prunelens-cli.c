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
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "analysis/pl-compare.h"
#include "analysis/pl-metrics.h"
#include "data/pl-dataset.h"
#include "exec/pl-executor.h"
#include "explain/pl-attribution.h"
#include "explain/pl-explain.h"
#include "graph/pl-graph.h"
#include "onnx/pl-onnx.h"
#include "ops/pl-ops.h"
#include "pl-comparison-figure.h"
#include "pl-figures.h"
#include "analysis/pl-sweep.h"
#include "pl-error.h"
#include "prune/pl-prune.h"
#include "session/pl-session.h"
#include "train/pl-train.h"

#define EXIT_USAGE 2

static gboolean opt_quiet = FALSE;

/* ---- JSON output (--json): one object on stdout, NaN and infinities as null ---- */

static void
jb_double (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
jb_int (JsonBuilder *b, const char *name, gint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

static void
jb_string (JsonBuilder *b, const char *name, const char *v)
{
  json_builder_set_member_name (b, name);
  if (v != NULL)
    json_builder_add_string_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
jb_shape (JsonBuilder *b, const char *name, gint ndim, const gint64 *shape)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (gint i = 0; i < ndim; i++)
    json_builder_add_int_value (b, shape[i]);
  json_builder_end_array (b);
}

/* Ends the builder's root object and prints it. */
static void
jb_print (JsonBuilder *b)
{
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_root (gen, root);
  g_autofree char *text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

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

/* Loads MODEL and the Fashion-MNIST split of data_dir (NULL: the default folder) and checks
 * that the model can classify it (pl_model_check_dataset): the start of every command
 * that runs a model on the dataset. */
static gboolean
open_model_and_dataset (const char *model_path, const char *data_dir, const char *split,
                        PlGraph **graph, PlDataset **dataset, GError **error)
{
  g_autoptr (PlGraph) g = pl_onnx_load_file (model_path, error);
  if (g == NULL)
    return FALSE;
  g_autoptr (PlDataset) ds = pl_dataset_load_fashion_mnist (
      data_dir ? data_dir : PL_DEFAULT_DATASET_DIR, split, error);
  if (ds == NULL || !pl_model_check_dataset (g, model_path, ds, error))
    return FALSE;
  *graph = g_steal_pointer (&g);
  *dataset = g_steal_pointer (&ds);
  return TRUE;
}

/* ---- info ---- */

static int
cmd_info (int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON object instead of text"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("MODEL.onnx — describe a model"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return usage_error (ctx, _("info needs exactly one MODEL.onnx"));
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = pl_onnx_load_file (argv[1], &error);
  if (g == NULL)
    return fail (g_steal_pointer (&error));
  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      jb_string (b, "file", argv[1]);
      jb_int (b, "opset", g->opset);
      jb_int (b, "n_nodes", g->nodes->len);
      jb_int (b, "n_parameters", pl_graph_n_parameters (g));
      jb_double (b, "weight_sparsity", pl_graph_weight_sparsity (g));
      json_builder_set_member_name (b, "inputs");
      json_builder_begin_array (b);
      for (guint i = 0; i < g->inputs->len; i++)
        {
          PlValue *v = pl_graph_value (g, g_array_index (g->inputs, gint, i));
          json_builder_begin_object (b);
          jb_string (b, "name", v->name);
          jb_shape (b, "shape", v->ndim, v->shape);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_set_member_name (b, "nodes");
      json_builder_begin_array (b);
      for (guint i = 0; i < g->nodes->len; i++)
        {
          PlNode *n = g_ptr_array_index (g->nodes, i);
          json_builder_begin_object (b);
          jb_string (b, "op_type", n->op_type);
          jb_string (b, "name", n->name);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_set_member_name (b, "outputs");
      json_builder_begin_array (b);
      for (guint i = 0; i < g->outputs->len; i++)
        {
          PlValue *v = pl_graph_value (g, g_array_index (g->outputs, gint, i));
          json_builder_add_string_value (b, v->name);
        }
      json_builder_end_array (b);
      jb_print (b);
      return 0;
    }
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
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Fashion-MNIST folder"), "DIR" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &split, N_("train or test (default test)"), "SPLIT" },
    { "samples", 'n', 0, G_OPTION_ARG_INT64, &n, N_("Evaluate the first N samples (default all)"), "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON object instead of text"), NULL },
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
  g_autoptr (PlGraph) g = NULL;
  g_autoptr (PlDataset) ds = NULL;
  if (!open_model_and_dataset (argv[1], data_dir, split ? split : "test", &g, &ds, &error))
    return fail (g_steal_pointer (&error));
  EvalWork w = { g, ds, n, NULL };
  if (!run_job (eval_work, &w, &error))
    return fail (g_steal_pointer (&error));
  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      jb_string (b, "model", argv[1]);
      jb_string (b, "dataset", ds->name);
      jb_int (b, "n", w.result->n);
      jb_int (b, "correct", w.result->correct);
      jb_double (b, "accuracy", w.result->accuracy);
      jb_print (b);
    }
  else
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
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "sparsity", 's', 0, G_OPTION_ARG_STRING, &sparsity_text, N_("Target sparsity: 0.9 or 90%"), "S" },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Fashion-MNIST folder"), "DIR" },
    { "samples", 'n', 0, G_OPTION_ARG_INT64, &n, N_("Evaluate on the first N test samples (default 2000)"), "N" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Write the pruned model here (ONNX)"), "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON object instead of text"), NULL },
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
  g_autoptr (PlGraph) g = NULL;
  g_autoptr (PlDataset) ds = NULL;
  if (!open_model_and_dataset (argv[1], data_dir, "test", &g, &ds, &error))
    return fail (g_steal_pointer (&error));
  PruneWork w = { g, ds, sparsity, n, NULL };
  if (!run_job (prune_work, &w, &error))
    return fail (g_steal_pointer (&error));
  g_autoptr (PlPruneStep) step = w.step;
  if (output != NULL && !pl_onnx_save_file (step->pruned, output, &error))
    return fail (g_steal_pointer (&error));
  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      jb_string (b, "model", argv[1]);
      jb_double (b, "target_sparsity", step->target_sparsity);
      jb_double (b, "achieved_sparsity", step->achieved_sparsity);
      jb_int (b, "n_weights", step->n_weights);
      jb_string (b, "dataset", ds->name);
      jb_int (b, "n", step->evaluation->n);
      jb_int (b, "correct", step->evaluation->correct);
      jb_double (b, "accuracy", step->evaluation->accuracy);
      jb_string (b, "output", output);
      jb_print (b);
      return 0;
    }
  printf ("sparsity %.4f of %" G_GINT64_FORMAT " weights, accuracy %.4f on %" G_GINT64_FORMAT
          " samples of %s\n", step->achieved_sparsity, step->n_weights,
          step->evaluation->accuracy, step->evaluation->n, ds->name);
  if (output != NULL)
    printf ("wrote %s\n", output);
  return 0;
}

/* ---- shared helpers for the newer commands ---- */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlExecutor, pl_executor_free)

static gboolean
has_suffix_ci (const char *s, const char *suffix)
{
  if (s == NULL)
    return FALSE;
  gsize a = strlen (s), b = strlen (suffix);
  return a >= b && g_ascii_strcasecmp (s + a - b, suffix) == 0;
}

static gboolean
ensure_dir (const char *dir, GError **error)
{
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int e = errno;
      g_set_error (error, PL_ERROR, PL_ERROR_IO, "Cannot create the folder '%s': %s", dir,
                   g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

static char *
shape_of (const PlTensor *t)
{
  return pl_tensor_shape_string (t->ndim, t->shape);
}

/* The engine's thread count and where it comes from. */
static char *
threads_description (void)
{
  const char *env = g_getenv ("PL_NUM_THREADS");
  gint parts = pl_parallel_parts ();
  if (env != NULL && *env != '\0')
    return g_strdup_printf ("%d threads (PL_NUM_THREADS=%s)", parts, env);
  return g_strdup_printf ("%d threads (%u processors; set PL_NUM_THREADS to change)", parts,
                          g_get_num_processors ());
}

/* As fail, naming the file first unless the message already does. */
static int
fail_in (const char *what, GError *error)
{
  if (strstr (error->message, what) != NULL)
    return fail (error);
  fprintf (stderr, "prunelens-cli: %s: %s\n", what, error->message);
  g_error_free (error);
  return EXIT_FAILURE;
}

/* ---- tensor ---- */

static int
cmd_tensor (int argc, char **argv)
{
  g_autofree char *other = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "compare", 'c', 0, G_OPTION_ARG_FILENAME, &other, N_("Also give the largest absolute difference to this TensorProto"), "FILE.pb" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON object instead of text"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("FILE.pb — describe an ONNX TensorProto file"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return usage_error (ctx, _("tensor needs exactly one FILE.pb"));
  g_autoptr (GError) error = NULL;
  g_autoptr (PlTensor) t = pl_onnx_load_tensor_file (argv[1], &error);
  if (t == NULL)
    return fail (g_steal_pointer (&error));
  g_autoptr (PlTensor) u = NULL;
  if (other != NULL && (u = pl_onnx_load_tensor_file (other, &error)) == NULL)
    return fail (g_steal_pointer (&error));
  double mn = INFINITY, mx = -INFINITY, sum = 0.0;
  gint64 nonfinite = 0;
  for (gint64 i = 0; i < t->numel; i++)
    {
      double v = t->data[i];
      if (!isfinite (v))
        {
          nonfinite++;
          continue;
        }
      mn = MIN (mn, v);
      mx = MAX (mx, v);
      sum += v;
    }
  gint64 finite = t->numel - nonfinite;
  double mean = finite > 0 ? sum / finite : NAN;
  double diff = NAN;
  gboolean same_shape = u != NULL && pl_tensor_same_shape (t, u);
  if (same_shape)
    {
      diff = 0.0;
      for (gint64 i = 0; i < t->numel; i++)
        {
          double d = fabs ((double) t->data[i] - (double) u->data[i]);
          if (!(d <= diff))
            diff = d;  /* NaN propagates */
        }
    }
  g_autofree char *shape = shape_of (t);
  g_autofree char *ushape = u ? shape_of (u) : NULL;
  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      jb_string (b, "file", argv[1]);
      jb_shape (b, "shape", t->ndim, t->shape);
      jb_int (b, "numel", t->numel);
      jb_double (b, "min", finite ? mn : NAN);
      jb_double (b, "max", finite ? mx : NAN);
      jb_double (b, "mean", mean);
      jb_double (b, "sum", sum);
      jb_int (b, "non_finite", nonfinite);
      if (u != NULL)
        {
          jb_string (b, "compare", other);
          json_builder_set_member_name (b, "same_shape");
          json_builder_add_boolean_value (b, same_shape);
          jb_double (b, "max_abs_difference", diff);
        }
      jb_print (b);
    }
  else
    {
      printf ("%s: shape %s, %" G_GINT64_FORMAT " values, min %.6g, max %.6g, mean %.6g, "
              "sum %.6g", argv[1], shape, t->numel, finite ? mn : NAN, finite ? mx : NAN,
              mean, sum);
      if (nonfinite)
        printf (", %" G_GINT64_FORMAT " not finite", nonfinite);
      printf ("\n");
      if (u != NULL && same_shape)
        printf ("max |difference| %.6g to %s\n", diff, other);
    }
  if (u != NULL && !same_shape)
    {
      fprintf (stderr, "prunelens-cli: %s has shape %s but %s has shape %s\n", argv[1], shape,
               other, ushape);
      return EXIT_FAILURE;
    }
  return 0;
}

/* ---- infer ---- */

static int
cmd_infer (int argc, char **argv)
{
  g_autofree char *output = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Folder for output_<i>.pb (created if missing)"), "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON object instead of text"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("MODEL.onnx INPUT.pb… — run a model on TensorProto inputs"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (ctx,
      _("One INPUT.pb per data input of the model, in the model's input order.\n"
        "Each graph output i is written as DIR/output_<i>.pb (FLOAT TensorProto).\n\n"
        "Example:\n  prunelens-cli infer model.onnx input_0.pb -o out\n"));
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (argc < 3)
    return usage_error (ctx, _("infer needs a MODEL.onnx and at least one INPUT.pb"));
  if (output == NULL)
    return usage_error (ctx, _("infer needs --output DIR"));
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = pl_onnx_load_file (argv[1], &error);
  if (g == NULL)
    return fail (g_steal_pointer (&error));
  g_autoptr (PlExecutor) ex = pl_executor_new (g, &error);
  if (ex == NULL)
    return fail_in (argv[1], g_steal_pointer (&error));
  gint n_in = pl_executor_n_inputs (ex);
  if (argc - 2 != n_in)
    return usage_error (ctx, _("%s has %d data input(s) but %d INPUT.pb file(s) were given"),
                        argv[1], n_in, argc - 2);
  g_autoptr (GPtrArray) inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_tensor_unref);
  for (int i = 2; i < argc; i++)
    {
      PlTensor *t = pl_onnx_load_tensor_file (argv[i], &error);
      if (t == NULL)
        return fail (g_steal_pointer (&error));
      g_ptr_array_add (inputs, t);
    }
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = n_in == 1
      ? pl_executor_forward (ex, g_ptr_array_index (inputs, 0), &error)
      : pl_executor_forward_multi (ex, n_in, (const PlTensor *const *) inputs->pdata, &error);
  double ms = (g_get_monotonic_time () - t0) / 1000.0;
  if (!ok)
    return fail_in (argv[1], g_steal_pointer (&error));
  if (!ensure_dir (output, &error))
    return fail (g_steal_pointer (&error));
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  jb_string (b, "model", argv[1]);
  jb_double (b, "forward_ms", ms);
  json_builder_set_member_name (b, "outputs");
  json_builder_begin_array (b);
  for (guint i = 0; i < g->outputs->len; i++)
    {
      PlValue *v = pl_graph_value (g, g_array_index (g->outputs, gint, i));
      const PlTensor *t = pl_executor_output (ex, (gint) i);
      if (t == NULL)
        {
          g_set_error (&error, PL_ERROR, PL_ERROR_FAILED, "%s: output %u (%s) was not computed",
                       argv[1], i, v->name);
          return fail (g_steal_pointer (&error));
        }
      g_autofree char *base = g_strdup_printf ("output_%u.pb", i);
      g_autofree char *path = g_build_filename (output, base, NULL);
      if (!pl_onnx_save_tensor_file (t, v->name, path, &error))
        return fail (g_steal_pointer (&error));
      g_autofree char *shape = shape_of (t);
      if (!json)
        printf ("output %u %s %s -> %s\n", i, v->name, shape, path);
      json_builder_begin_object (b);
      jb_string (b, "name", v->name);
      jb_shape (b, "shape", t->ndim, t->shape);
      jb_string (b, "file", path);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (json)
    jb_print (b);
  return 0;
}

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
      if (w->o.grid > H || w->o.grid > W)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "--grid %d is larger than the %d×%d image", w->o.grid, H, W);
          return NULL;
        }
      *name = g_strdup_printf ("grid=%dx%d", w->o.grid, w->o.grid);
      return pl_segmentation_grid (H, W, w->o.grid, w->o.grid);
    }
  PlSuperpixelOptions so;
  pl_superpixel_options_init (&so);
  so.method = g_str_equal (kind, "quickshift") ? PL_SUPERPIXELS_QUICKSHIFT : PL_SUPERPIXELS_SLIC;
  PlSegmentation *seg = pl_superpixels (x, &so, error);
  if (seg != NULL)
    *name = pl_superpixel_options_describe (&so);
  return seg;
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
      w->step = pl_prune_step_run (w->graph, w->dataset, w->sparsity, 1, &a, error);
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
        g_autoptr (PlSegmentation) seg = raw_segmentation (w, PL_HAVE_VLFEAT ? "slic" : "grid",
                                                           &seg_name, error);
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
        g_autoptr (PlSegmentation) seg = raw_segmentation (w, "grid", &seg_name, error);
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
        a->residual = NAN;
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
  g_autoptr (PlGraph) g = pl_onnx_load_file (model_path, &error);
  if (g == NULL)
    return fail (g_steal_pointer (&error));
  g_autoptr (PlDataset) ds = NULL;
  gboolean need_data = args->input_path == NULL || args->prune
      || (o->method == RAW_INTEGRATED_GRADIENTS && g_strcmp0 (o->baseline, "mean") == 0);
  if (need_data)
    {
      ds = pl_dataset_load_fashion_mnist (args->data_dir ? args->data_dir
                                                         : PL_DEFAULT_DATASET_DIR,
                                          "test", &error);
      if (ds == NULL)
        return fail (g_steal_pointer (&error));
      if (!pl_model_check_dataset (g, model_path, ds, &error))
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
  RawWork w = { .graph = g, .dataset = ds, .prune = args->prune, .sparsity = args->sparsity,
                .input = input, .o = *o };
  gboolean ok = run_job (raw_work, &w, &error);
  g_autoptr (PlPruneStep) step = w.step;
  g_autoptr (PlAttribution) a = w.result;
  if (!ok)
    {
      const char *what = args->input_path ? args->input_path : model_path;
      return fail_in (what, g_steal_pointer (&error));
    }
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
  if (isfinite (a->residual))
    printf ("residual %.6g\n", a->residual);
  if (isfinite (a->r2))
    printf ("r2 %.6g\n", a->r2);
  if (isfinite (a->intercept))
    printf ("intercept %.6g\n", a->intercept);
  printf ("attribution %s, sum %.6g\n", shape, sum);
  printf ("wrote %s\n", args->output);
  return 0;
}

/* ---- compare ---- */

typedef struct {
  PlGraph *graph;
  const PlDataset *dataset;
  double sparsity;
  PlCompareOptions options;
  PlPruneStep *step;
  PlCompareReport *report;
} CompareWork;

static gboolean
compare_work (gpointer data, const PlProgress *progress, GError **error)
{
  CompareWork *w = data;
  PlProgress a = pl_progress_sub (progress, 0.0, 0.05);
  w->step = pl_prune_step_run (w->graph, w->dataset, w->sparsity, 1, &a, error);
  if (w->step == NULL)
    return FALSE;
  PlProgress b = pl_progress_sub (progress, 0.05, 1.0);
  w->report = pl_compare_sample (w->graph, w->step->pruned, w->dataset, &w->options, &b, error);
  return w->report != NULL;
}

static int
cmd_compare (int argc, char **argv)
{
  g_autofree char *data_dir = NULL;
  g_autofree char *output = NULL;
  g_autofree char *sparsity_text = NULL;
  gint64 n = 100, seed = 1, rand_inputs = 10;
  gint grid = 4, bootstrap = 2000;
  double topk = 0.1;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "sparsity", 's', 0, G_OPTION_ARG_STRING, &sparsity_text, N_("Sparsity of the pruned network: 0.9 or 90%"), "S" },
    { "samples", 'n', 0, G_OPTION_ARG_INT64, &n, N_("Test inputs, class-stratified (default 100)"), "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Seed of the sample; bootstrap seed + 1 (default 1)"), "S" },
    { "grid", 'g', 0, G_OPTION_ARG_INT, &grid, N_("Patches per side for the bars (default 4)"), "N" },
    { "topk", 0, 0, G_OPTION_ARG_DOUBLE, &topk, N_("Top-k fraction (default 0.1)"), "F" },
    { "bootstrap", 0, 0, G_OPTION_ARG_INT, &bootstrap, N_("Bootstrap resamples for the CIs (default 2000)"), "N" },
    { "randomisation-inputs", 0, 0, G_OPTION_ARG_INT64, &rand_inputs, N_("Inputs for the cascading randomisation (default 10, 0: off)"), "N" },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Fashion-MNIST folder"), "DIR" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Folder for per-input.csv, summary.csv, report.json"), "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the report as JSON instead of text"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("MODEL.onnx — original vs pruned saliency over N test inputs"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (ctx,
      _("Prunes MODEL by global magnitude pruning, explains N class-stratified test inputs\n"
        "with both networks (saliency of the original network's predicted class), and\n"
        "writes the similarity, faithfulness and complexity of the explanations with\n"
        "bootstrap CIs and paired tests.\n\n"
        "Example:\n  prunelens-cli compare data/models/fashion-cnn.onnx --sparsity 90% -n 100 -o report\n"));
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (argc > 2)
    return usage_error (ctx, _("compare takes at most one MODEL.onnx"));
  double sparsity;
  if (sparsity_text == NULL)
    return usage_error (ctx, _("compare needs --sparsity S (e.g. 0.9 or 90%%)"));
  if (!parse_sparsity (sparsity_text, &sparsity))
    return usage_error (ctx, _("--sparsity must be a number in [0, 1] or a percentage"));
  if (output == NULL)
    return usage_error (ctx, _("compare needs --output DIR"));
  if (n < 1)
    return usage_error (ctx, _("--samples must be 1 or more"));
  if (seed < 0)
    return usage_error (ctx, _("--seed must be 0 or more"));
  if (grid < 1 || grid > 28)
    return usage_error (ctx, _("--grid must be between 1 and 28"));
  if (!(topk > 0.0 && topk <= 1.0))
    return usage_error (ctx, _("--topk must be in (0, 1]"));
  if (bootstrap < 1 || bootstrap > 1000000)
    return usage_error (ctx, _("--bootstrap must be between 1 and 1000000"));
  if (rand_inputs < 0)
    return usage_error (ctx, _("--randomisation-inputs must be 0 (off) or more"));

  g_autoptr (GError) error = NULL;
  g_autofree char *model_path = argc == 2 ? g_strdup (argv[1]) : pl_default_model_path ();
  g_autoptr (PlGraph) g = NULL;
  g_autoptr (PlDataset) ds = NULL;
  if (!open_model_and_dataset (model_path, data_dir, "test", &g, &ds, &error))
    return fail (g_steal_pointer (&error));
  if (!ensure_dir (output, &error))
    return fail (g_steal_pointer (&error));

  CompareWork w = { .graph = g, .dataset = ds, .sparsity = sparsity };
  pl_compare_options_init (&w.options);
  w.options.n_samples = n;
  w.options.seed = (guint64) seed;
  w.options.grid_rows = w.options.grid_cols = grid;
  w.options.topk_fraction = topk;
  w.options.n_bootstrap = bootstrap;
  w.options.randomisation = rand_inputs > 0;
  if (rand_inputs > 0)
    w.options.randomisation_inputs = rand_inputs;
  gboolean ok = run_job (compare_work, &w, &error);
  g_autoptr (PlPruneStep) step = w.step;
  g_autoptr (PlCompareReport) r = w.report;
  if (!ok)
    return fail_in (model_path, g_steal_pointer (&error));

  g_autofree char *csv = g_build_filename (output, "per-input.csv", NULL);
  g_autofree char *summary = g_build_filename (output, "summary.csv", NULL);
  g_autofree char *report = g_build_filename (output, "report.json", NULL);
  if (!pl_compare_report_save_csv (r, csv, &error)
      || !pl_compare_report_save_summary_csv (r, summary, &error)
      || !pl_compare_report_save_json (r, report, &error))
    return fail (g_steal_pointer (&error));

  if (json)
    {
      gsize len = 0;
      g_autofree char *text = pl_compare_report_to_json (r, &len);
      fwrite (text, 1, len, stdout);
      if (len == 0 || text[len - 1] != '\n')
        fputc ('\n', stdout);
      return 0;
    }
  gint64 changed = 0;
  for (gint64 i = 0; i < r->n; i++)
    changed += r->inputs[i].pred_original != r->inputs[i].pred_pruned;
  printf ("compared %" G_GINT64_FORMAT " inputs of %s (seed %" G_GUINT64_FORMAT "), sparsity "
          "%.4f -> %.4f, method %s\n", r->n, r->dataset_name, r->options.seed,
          r->sparsity_original, r->sparsity_pruned, r->options.method_name);
  printf ("predictions changed on %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " inputs\n",
          changed, r->n);
  printf ("%-22s %9s  %.0f %% CI (bootstrap)\n", "metric", "mean", 100.0 * r->options.confidence);
  for (gint m = 0; m < PL_N_METRICS; m++)
    {
      const PlSummary *s = &r->summary[m];
      printf ("%-22s %9.4f  [%.4f, %.4f]\n", pl_compare_metric_name ((PlCompareMetric) m),
              s->mean, s->ci_low, s->ci_high);
    }
  printf ("deletion AUC, pruned - original: mean %+.4f, paired t p = %.3g, Wilcoxon p = %.3g\n",
          r->deletion_t.mean_diff, r->deletion_t.p_value, r->deletion_wilcoxon.p_value);
  printf ("insertion AUC, pruned - original: mean %+.4f, paired t p = %.3g, Wilcoxon p = %.3g\n",
          r->insertion_t.mean_diff, r->insertion_t.p_value, r->insertion_wilcoxon.p_value);
  printf ("changed most (lowest spearman_abs):");
  for (gint64 k = 0; k < MIN (r->n, 5); k++)
    {
      const PlCompareInput *in = &r->inputs[r->ranked[k]];
      const char *label = in->label >= 0 && in->label < r->n_classes
          ? r->class_names[in->label] : "?";
      printf ("%s #%" G_GINT64_FORMAT " (%s) %.3f", k ? "," : "", in->index, label,
              in->metrics[PL_METRIC_SPEARMAN_ABS]);
    }
  printf ("\nwrote %s, %s, %s\n", csv, summary, report);
  return 0;
}

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

static int
cmd_bench (int argc, char **argv)
{
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
  gint64 index = G_MININT64;
  gint grid = 4, budget = 0;
  gint64 seed = 1;
  double dpi = 150.0;
  g_autofree char *method = NULL, *baseline = NULL, *window = NULL, *stride = NULL;
  g_autofree char *layer = NULL, *rule = NULL, *segmentation = NULL;
  gint target = -1, steps = 50, samples = 0;
  double noise = NAN;
  gboolean signed_map = FALSE, json = FALSE;
  GOptionEntry raw_entries[] = {
    { "method", 'm', 0, G_OPTION_ARG_STRING, &method, N_("Raw mode: saliency, gradient-x-input, smoothgrad, smoothgrad-squared, vargrad, integrated-gradients, occlusion, grad-cam, lime or kernel-shap"), "NAME" },
    { "target", 't', 0, G_OPTION_ARG_INT, &target, N_("Class to explain (default: the predicted class)"), "CLASS" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &steps, N_("integrated-gradients: steps (default 50)"), "N" },
    { "rule", 0, 0, G_OPTION_ARG_STRING, &rule, N_("integrated-gradients: gauss-legendre (default), left, right, middle or trapezoid"), "RULE" },
    { "samples", 0, 0, G_OPTION_ARG_INT, &samples, N_("smoothgrad: noisy samples (default 50); lime: samples (default 1000)"), "N" },
    { "noise", 0, 0, G_OPTION_ARG_DOUBLE, &noise, N_("smoothgrad: σ as a fraction of the input range (default 0.15)"), "F" },
    { "baseline", 0, 0, G_OPTION_ARG_STRING, &baseline, N_("integrated-gradients: zero, blur, uniform or mean; occlusion, kernel-shap: a value (default 0); lime: mean (default) or a value"), "B" },
    { "window", 0, 0, G_OPTION_ARG_STRING, &window, N_("occlusion: window N or HxW (default 4x4)"), "HxW" },
    { "stride", 0, 0, G_OPTION_ARG_STRING, &stride, N_("occlusion: stride N or HxW (default 2x2)"), "HxW" },
    { "layer", 0, 0, G_OPTION_ARG_STRING, &layer, N_("grad-cam: node or value name (default: the last Conv)"), "NAME" },
    { "segmentation", 0, 0, G_OPTION_ARG_STRING, &segmentation, N_("lime, kernel-shap: grid, slic or quickshift (default: lime slic, kernel-shap grid)"), "KIND" },
    { "signed", 0, 0, G_OPTION_ARG_NONE, &signed_map, N_("saliency, smoothgrad: keep the sign (no |·|)"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Raw mode: print a JSON object instead of text"), NULL },
    { NULL }
  };
  GOptionEntry entries[] = {
    { "sparsity", 's', 0, G_OPTION_ARG_STRING, &sparsity_text, N_("Sparsity of the pruned network: 0.9 or 90% (default 0)"), "S" },
    { "index", 'i', 0, G_OPTION_ARG_INT64, &index, N_("Test sample to explain (default 0)"), "I" },
    { "figure", 'f', 0, G_OPTION_ARG_STRING, &figure_name, N_("saliency, features or shap (default saliency)"), "KIND" },
    { "grid", 'g', 0, G_OPTION_ARG_INT, &grid, N_("Patches per side (default 4)"), "N" },
    { "budget", 0, 0, G_OPTION_ARG_INT, &budget, N_("KernelSHAP coalitions (default 2M + 2048)"), "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Seed (default 1)"), "S" },
    { "dpi", 0, 0, G_OPTION_ARG_DOUBLE, &dpi, N_("PNG resolution (default 150)"), "DPI" },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Fashion-MNIST folder"), "DIR" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Figure file: .png, .svg or .pdf; raw mode: .pb"), "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("[MODEL.onnx] [INPUT.pb] — explanation figure, or one raw attribution"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
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
  if (method != NULL || has_suffix_ci (output, ".pb"))
    {
      RawArgs args = { .data_dir = data_dir, .output = output, .index = index,
                       .index_given = index != G_MININT64, .prune = sparsity_text != NULL,
                       .sparsity = sparsity, .json = json };
      RawOptions o = { .target = target, .steps = steps, .samples = samples, .noise = noise,
                       .baseline = baseline, .rule = rule, .layer = layer,
                       .segmentation = segmentation, .grid = grid, .budget = budget,
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
  if (index == G_MININT64)
    index = 0;
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
  g_autofree char *model_path = argc == 2 ? g_strdup (argv[1]) : pl_default_model_path ();
  g_autoptr (PlGraph) g = NULL;
  g_autoptr (PlDataset) ds = NULL;
  if (!open_model_and_dataset (model_path, data_dir, "test", &g, &ds, &error))
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


/* ---- sweep ---- */

typedef struct {
  PlGraph *graph;
  PlDataset *dataset;
  GArray *sparsities;
  PlSweepOptions options;
  PlSweep *sweep;
} SweepWork;

static gboolean
sweep_work (gpointer data, const PlProgress *progress, GError **error)
{
  SweepWork *w = data;
  w->sweep = pl_sweep_run (w->graph, w->dataset, (const double *) w->sparsities->data,
                           (gint) w->sparsities->len, &w->options, progress, error);
  return w->sweep != NULL;
}

static int
cmd_sweep (int argc, char **argv)
{
  g_autofree char *data_dir = NULL;
  g_autofree char *output = NULL;
  g_autofree char *list = NULL;
  gint64 n_eval = 2000, inputs = 20, index = 0;
  gint64 seed = 1;
  GOptionEntry entries[] = {
    { "sparsities", 's', 0, G_OPTION_ARG_STRING, &list, N_("Comma-separated sparsities (default 0,50%,80%,90%,95%,99%)"), "LIST" },
    { "samples", 'n', 0, G_OPTION_ARG_INT64, &n_eval, N_("Accuracy on the first N test images (default 2000)"), "N" },
    { "inputs", 0, 0, G_OPTION_ARG_INT64, &inputs, N_("Compare saliency on the first K test images (default 20)"), "K" },
    { "index", 'i', 0, G_OPTION_ARG_INT64, &index, N_("Test image of the filmstrip (default 0)"), "I" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Bootstrap seed (default 1)"), "S" },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Fashion-MNIST folder"), "DIR" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Folder for sweep.csv, sweep.json, sweep.png, filmstrip.png"), "DIR" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("[MODEL.onnx] — accuracy and explanation similarity against sparsity"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (ctx,
      _("Example:\n  prunelens-cli sweep --sparsities 0,50%,90%,99% -o sweep/\n"));
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (argc > 2)
    return usage_error (ctx, _("sweep takes at most one MODEL.onnx"));
  if (output == NULL)
    return usage_error (ctx, _("sweep needs --output DIR"));
  if (n_eval < 1 || inputs < 1 || index < 0)
    return usage_error (ctx, _("--samples and --inputs must be 1 or more, --index 0 or more"));
  g_autoptr (GArray) sparsities = g_array_new (FALSE, FALSE, sizeof (double));
  g_auto (GStrv) parts = g_strsplit (list ? list : "0,50%,80%,90%,95%,99%", ",", -1);
  for (gint i = 0; parts[i] != NULL; i++)
    {
      double v;
      g_strstrip (parts[i]);
      if (!parse_sparsity (parts[i], &v))
        return usage_error (ctx, _("“%s” in --sparsities is not a number in [0, 1] or a percentage"),
                            parts[i]);
      g_array_append_val (sparsities, v);
    }
  if (sparsities->len == 0)
    return usage_error (ctx, _("--sparsities is empty"));

  g_autoptr (GError) error = NULL;
  g_autofree char *model_path = argc == 2 ? g_strdup (argv[1]) : pl_default_model_path ();
  g_autoptr (PlGraph) g = NULL;
  g_autoptr (PlDataset) ds = NULL;
  if (!open_model_and_dataset (model_path, data_dir, "test", &g, &ds, &error))
    return fail (g_steal_pointer (&error));
  if (index >= ds->n)
    return usage_error (ctx, _("--index must be between 0 and %d for %s"), (int) ds->n - 1, ds->name);
  if (g_mkdir_with_parents (output, 0755) != 0)
    {
      fprintf (stderr, "prunelens-cli: %s: %s\n", output, g_strerror (errno));
      return EXIT_FAILURE;
    }

  SweepWork w = { .graph = g, .dataset = ds, .sparsities = sparsities };
  pl_sweep_options_init (&w.options);
  w.options.n_eval = n_eval;
  w.options.n_indices = MIN (inputs, ds->n);
  w.options.film_index = index;
  w.options.seed = (guint64) seed;
  if (!run_job (sweep_work, &w, &error))
    return fail (g_steal_pointer (&error));
  g_autoptr (PlSweep) sweep = w.sweep;

  g_autofree char *csv = g_build_filename (output, "sweep.csv", NULL);
  g_autofree char *json = g_build_filename (output, "sweep.json", NULL);
  g_autofree char *png = g_build_filename (output, "sweep.png", NULL);
  g_autofree char *film_png = g_build_filename (output, "filmstrip.png", NULL);
  g_autoptr (PlSweepLineFigure) fig = pl_sweep_line_figure_new (sweep, TRUE);
  g_autoptr (PlSweepFilmstrip) film = pl_sweep_filmstrip_new (sweep, TRUE);
  if (!pl_sweep_save_csv (sweep, csv, &error) || !pl_sweep_save_json (sweep, json, &error) ||
      !pl_render_png ((PlDrawFunc) pl_line_figure_draw, &fig->figure, 6.5, 3.6, 150.0, png,
                      _("Sparsity sweep"), fig->figure.caption, &error) ||
      !pl_render_png ((PlDrawFunc) pl_filmstrip_figure_draw, &film->figure, 6.5, 1.9, 150.0,
                      film_png, _("Filmstrip"), film->figure.caption, &error))
    return fail (g_steal_pointer (&error));
  if (!opt_quiet)
    {
      printf ("top-1 accuracy on the first %d images of %s; saliency compared on %d images\n",
              (int) MIN (n_eval, ds->n), ds->name, (int) w.options.n_indices);
      for (gint i = 0; i < sweep->n_points; i++)
        printf ("sparsity %.4f: accuracy %.4f\n", sweep->points[i].sparsity,
                sweep->points[i].accuracy);
      printf ("wrote %s, %s, %s, %s\n", csv, json, png, film_png);
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
  { "explain", cmd_explain, N_("Original vs pruned explanation figure, or one raw attribution (.pb)") },
  { "infer", cmd_infer, N_("Run a model on TensorProto inputs; write its outputs as .pb") },
  { "compare", cmd_compare, N_("Original vs pruned explanations over N test inputs (CSV, JSON)") },
  { "bench", cmd_bench, N_("Time forward passes or explanations") },
  { "sweep", cmd_sweep, N_("Accuracy and explanation similarity against sparsity (CSV, JSON, figures)") },
  { "tensor", cmd_tensor, N_("Describe a TensorProto file; compare it with another") },
};

static void
print_help (FILE *out)
{
  fprintf (out, _("Usage: prunelens-cli [--version] [--quiet] COMMAND [OPTIONS…]\n\n"
                  "See what pruning does to a neural network and its explanations.\n\n"
                  "Commands:\n"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-8s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (out, _("\nExamples:\n"
                  "  prunelens-cli info data/models/fashion-cnn.onnx\n"
                  "  prunelens-cli prune data/models/fashion-cnn.onnx --sparsity 90%% -o pruned.onnx\n"
                  "  prunelens-cli explain --sparsity 90%% --figure shap -o shap.png\n"
                  "  prunelens-cli explain data/models/fashion-cnn.onnx --index 0 --method lime -o lime.pb\n"
                  "  prunelens-cli compare data/models/fashion-cnn.onnx --sparsity 90%% -o report\n"
                  "  prunelens-cli bench forward\n\n"
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
