/* cli-train.c — prunelens-cli train: train a classifier from scratch. */
#include "cli-common.h"

#include <errno.h>

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

int
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

int
bench_train (int argc, char **argv)
{
  (void) argc;
  (void) argv;
  fprintf (stderr, "prunelens-cli bench train: not implemented yet\n");
  return EXIT_FAILURE;
}
