/* cli-train.c — prunelens-cli train: train a classifier (or a regression MLP for tables)
 * from scratch or fine-tune a model; prunelens-cli bench train. */
#include "cli-common.h"

#include <errno.h>
#include "analysis/pl-layers.h"

/* ---- evaluation of a table model (for `eval` on CSV files) ---- */

/* Numbers of a model on a table. Classification: accuracy; regression (dataset->targets):
 * root mean squared error, mean absolute error and R² = 1 - SS_res / SS_tot of output
 * column 0 against the targets (NaN where undefined). */
typedef struct {
  gint64 n;
  double accuracy;                /* NaN for regression */
  double rmse, mae, r2;           /* NaN for classification */
} TrainTableEval;

gboolean cli_train_evaluate_table (PlGraph *graph, const PlDataset *dataset,
                                   const gint64 *indices, gint64 n, TrainTableEval *out,
                                   GError **error);

/* Evaluates graph on the rows indices[0..n) of dataset (indices NULL: rows 0..n-1; n < 0:
 * all rows). Declared here for the lead to move into cli-common.h for `eval`. */
gboolean
cli_train_evaluate_table (PlGraph *graph, const PlDataset *dataset, const gint64 *indices,
                          gint64 n, TrainTableEval *out, GError **error)
{
  g_return_val_if_fail (graph != NULL && dataset != NULL && out != NULL, FALSE);
  if (n < 0 || n > dataset->n)
    n = dataset->n;
  out->n = n;
  out->accuracy = out->rmse = out->mae = out->r2 = NAN;
  g_autoptr (PlExecutor) ex = pl_executor_new (graph, error);
  if (ex == NULL)
    return FALSE;
  const gint64 chunk = 256;
  gint64 hits = 0;
  double se = 0.0, ae = 0.0, st = 0.0, tsum = 0.0;
  if (dataset->targets != NULL)
    for (gint64 i = 0; i < n; i++)
      tsum += dataset->targets[indices ? indices[i] : i];
  double tmean = n > 0 ? tsum / (double) n : NAN;
  g_autofree gint64 *idx = g_new (gint64, chunk);
  for (gint64 s = 0; s < n; s += chunk)
    {
      gint64 cnt = MIN (chunk, n - s);
      for (gint64 i = 0; i < cnt; i++)
        idx[i] = indices ? indices[s + i] : s + i;
      g_autoptr (PlTensor) x = pl_dataset_batch (dataset, idx, cnt, error);
      if (x == NULL || !pl_executor_forward (ex, x, error))
        return FALSE;
      const PlTensor *y = pl_executor_output (ex, 0);
      if (y->ndim != 2 || y->shape[0] != cnt)
        {
          g_autofree char *sh = pl_tensor_shape_string (y->ndim, y->shape);
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "the model output %s is not [rows, outputs]", sh);
          return FALSE;
        }
      gint64 K = y->shape[1];
      for (gint64 i = 0; i < cnt; i++)
        {
          if (dataset->targets != NULL)
            {
              double t = dataset->targets[idx[i]], d = (double) y->data[i * K] - t;
              se += d * d;
              ae += fabs (d);
              st += (t - tmean) * (t - tmean);
            }
          else
            hits += pl_tensor_argmax (y->data + i * K, K) == dataset->labels[idx[i]];
        }
    }
  if (n > 0 && dataset->targets != NULL)
    {
      out->rmse = sqrt (se / (double) n);
      out->mae = ae / (double) n;
      out->r2 = st > 0 ? 1.0 - se / st : NAN;
    }
  else if (n > 0)
    out->accuracy = (double) hits / (double) n;
  return TRUE;
}

/* ---- train ---- */

typedef struct {
  PlGraph *graph;
  PlDataset *train;
  PlDataset *test;
  PlTrainConfig config;
  PlTrainResult result;
  double test_accuracy;
  gboolean json;
  JsonBuilder *epochs;   /* array of per-epoch objects (--json) */
} TrainWork;

static void
on_epoch (const PlEpochStats *st, gpointer user_data)
{
  TrainWork *w = user_data;
  if (!opt_quiet)
    {
      g_autoptr (GString) s = g_string_new (NULL);
      g_autofree char *loss = format_number (st->train_loss);
      g_string_append_printf (s, _("epoch %d/%d: lr %.3g, loss %s"), st->epoch + 1,
                              st->n_epochs, st->learning_rate, loss);
      if (!isnan (st->train_accuracy))
        g_string_append_printf (s, _(", train accuracy %.4f"), st->train_accuracy);
      if (!isnan (st->val_loss))
        {
          g_autofree char *vl = format_number (st->val_loss);
          g_string_append_printf (s, _(", val loss %s"), vl);
        }
      if (!isnan (st->val_accuracy))
        g_string_append_printf (s, _(", val accuracy %.4f"), st->val_accuracy);
      if (st->best && (w->config.patience > 0))
        g_string_append (s, _(" (best)"));
      fprintf (stderr, "\r%s%-20s\n", s->str, "");
    }
  if (w->epochs != NULL)
    {
      json_builder_begin_object (w->epochs);
      jb_int (w->epochs, "epoch", st->epoch + 1);
      jb_double (w->epochs, "learning_rate", st->learning_rate);
      jb_double (w->epochs, "train_loss", st->train_loss);
      jb_double (w->epochs, "train_accuracy", st->train_accuracy);
      jb_double (w->epochs, "val_loss", st->val_loss);
      jb_double (w->epochs, "val_accuracy", st->val_accuracy);
      json_builder_end_object (w->epochs);
    }
}

static gboolean
train_work (gpointer data, const PlProgress *progress, GError **error)
{
  TrainWork *w = data;
  PlProgress sub = pl_progress_sub (progress, 0.0, 0.95);
  if (!pl_train (w->graph, w->train, &w->config, on_epoch, w, &w->result, &sub, error))
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

/* Masks from the zeros of every prunable weight (fine-tuning a pruned ONNX model, which
 * stores no masks): those weights stay exactly zero. Returns the number of zeros. */
static gint64
masks_from_zeros (PlGraph *g)
{
  g_autoptr (GArray) ids = pl_graph_prunable_weights (g);
  gint64 zeros = 0;
  for (guint k = 0; k < ids->len; k++)
    {
      PlValue *v = pl_graph_value (g, g_array_index (ids, gint, k));
      if (v->init == NULL || v->mask != NULL)
        continue;
      PlTensor *m = pl_tensor_new (v->init->ndim, v->init->shape, NULL);
      gint64 z = 0;
      for (gint64 i = 0; i < m->numel; i++)
        {
          m->data[i] = v->init->data[i] == 0.0f ? 0.0f : 1.0f;
          z += v->init->data[i] == 0.0f;
        }
      if (z > 0)
        v->mask = m;
      else
        pl_tensor_unref (m);
      zeros += z;
    }
  return zeros;
}

int
cmd_train (int argc, char **argv)
{
  g_autofree char *data_dir = NULL;
  g_autofree char *arch = NULL;
  g_autofree char *output = NULL;
  g_autofree char *optimizer = NULL;
  g_autofree char *schedule = NULL;
  g_autofree char *init_model = NULL;
  gint epochs = 3, batch = 64, step_size = 10, patience = 0;
  gint64 seed = 1;
  double lr = 1e-3, gamma = 0.1, lr_min = 0.0, validation = 0.0, min_delta = 0.0;
  double momentum = 0.9, weight_decay = 0.0;
  gboolean regression = FALSE, update_bn = FALSE, no_restore = FALSE, json = FALSE;
  gboolean keep_zeros = FALSE;
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Dataset: Fashion-MNIST / IDX folder, PNG class folders, or a .csv / .tsv table (label column: --label)"), "DATA" },
    { "arch", 'a', 0, G_OPTION_ARG_STRING, &arch, N_("Architecture: cnn or mlp (default cnn for images, mlp for tables)"), "ARCH" },
    { "init", 0, 0, G_OPTION_ARG_FILENAME, &init_model, N_("Fine-tune this ONNX model instead of building a new one"), "MODEL" },
    { "keep-zeros", 0, 0, G_OPTION_ARG_NONE, &keep_zeros, N_("With --init: weights that are zero stay exactly zero (a pruned model)"), NULL },
    { "regression", 0, 0, G_OPTION_ARG_NONE, &regression, N_("Tables: the label is a numeric target (mean squared error, one output)"), NULL },
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &epochs, N_("Epochs (default 3)"), "N" },
    { "batch-size", 'b', 0, G_OPTION_ARG_INT, &batch, N_("Minibatch size (default 64)"), "N" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, N_("Learning rate (default 0.001)"), "LR" },
    { "optimizer", 0, 0, G_OPTION_ARG_STRING, &optimizer, N_("adam or sgd (default adam)"), "NAME" },
    { "momentum", 0, 0, G_OPTION_ARG_DOUBLE, &momentum, N_("SGD momentum (default 0.9)"), "M" },
    { "weight-decay", 0, 0, G_OPTION_ARG_DOUBLE, &weight_decay, N_("L2 weight decay (default 0)"), "WD" },
    { "lr-schedule", 0, 0, G_OPTION_ARG_STRING, &schedule, N_("constant, step or cosine (default constant)"), "NAME" },
    { "step-size", 0, 0, G_OPTION_ARG_INT, &step_size, N_("step: epochs between decays (default 10)"), "N" },
    { "gamma", 0, 0, G_OPTION_ARG_DOUBLE, &gamma, N_("step: decay factor (default 0.1)"), "G" },
    { "lr-min", 0, 0, G_OPTION_ARG_DOUBLE, &lr_min, N_("cosine: final learning rate (default 0)"), "LR" },
    { "validation", 0, 0, G_OPTION_ARG_DOUBLE, &validation, N_("Fraction held out for validation, stratified by class (default 0)"), "F" },
    { "patience", 0, 0, G_OPTION_ARG_INT, &patience, N_("Early stopping after N epochs without improvement (default 0: off)"), "N" },
    { "min-delta", 0, 0, G_OPTION_ARG_DOUBLE, &min_delta, N_("Early stopping: least loss decrease that counts (default 0)"), "D" },
    { "no-restore-best", 0, 0, G_OPTION_ARG_NONE, &no_restore, N_("Early stopping: keep the last weights, not the best epoch's"), NULL },
    { "update-bn-stats", 0, 0, G_OPTION_ARG_NONE, &update_bn, N_("Update BatchNorm running statistics (momentum 0.1; default: frozen)"), NULL },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, N_("Random seed (default 1)"), "S" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Write the trained model here (ONNX)"), "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the per-epoch numbers as JSON"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("— train a classifier from scratch"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (ctx,
      _("Example (reproduces data/models/fashion-cnn.onnx bit for bit):\n"
        "  PL_NUM_THREADS=2 prunelens-cli train --data /usr/share/datasets/fashion-mnist "
        "--arch cnn --epochs 5 --seed 1 -o fashion-cnn.onnx\n"
        "A table: prunelens-cli train --data iris.csv --label species --epochs 100 "
        "--validation 0.2 --patience 10 -o iris.onnx\n"));
  add_dataset_options (ctx);
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 1)
    return usage_error (ctx, _("unexpected argument “%s”"), argv[1]);
  if (output == NULL)
    return usage_error (ctx, _("train needs --output FILE"));
  if (epochs < 1 || batch < 1 || !(lr > 0.0 && lr <= 10.0))
    return usage_error (ctx, _("--epochs and --batch-size must be positive and --lr in (0, 10]"));
  if (!(validation >= 0.0 && validation < 1.0))
    return usage_error (ctx, _("--validation must be in [0, 1), got %g"), validation);
  if (patience < 0 || !(min_delta >= 0.0))
    return usage_error (ctx, _("--patience and --min-delta must not be negative"));
  if (step_size < 1 || !(gamma > 0.0) || !(lr_min >= 0.0 && lr_min <= lr))
    return usage_error (ctx, _("--step-size must be positive, --gamma > 0 and --lr-min in "
                               "[0, --lr]"));
  if (!(momentum >= 0.0 && momentum < 1.0) || !(weight_decay >= 0.0))
    return usage_error (ctx, _("--momentum must be in [0, 1) and --weight-decay >= 0"));
  if (keep_zeros && init_model == NULL)
    return usage_error (ctx, _("--keep-zeros needs --init MODEL"));
  {
    g_autofree char *dir = g_path_get_dirname (output);
    if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
      return usage_error (ctx, _("cannot write “%s”: the folder “%s” does not exist"), output, dir);
    g_autoptr (GError) werr = NULL;
    if (!check_output_writable (output, FALSE, &werr))
      return fail (g_steal_pointer (&werr));
  }
  PlTrainConfig config;
  pl_train_config_init (&config);
  config.epochs = epochs;
  config.batch_size = batch;
  config.learning_rate = lr;
  config.seed = (guint64) seed;
  config.momentum = momentum;
  config.weight_decay = weight_decay;
  config.step_size = step_size;
  config.gamma = gamma;
  config.lr_min = lr_min;
  config.validation_fraction = validation;
  config.patience = patience;
  config.min_delta = min_delta;
  config.restore_best = !no_restore;
  config.update_batchnorm_stats = update_bn;
  if (optimizer != NULL && g_strcmp0 (optimizer, "sgd") == 0)
    config.optimizer = PL_OPTIMIZER_SGD;
  else if (optimizer != NULL && g_strcmp0 (optimizer, "adam") != 0)
    return usage_error (ctx, _("unknown optimizer “%s” (adam or sgd)"), optimizer);
  if (schedule == NULL || g_str_equal (schedule, "constant"))
    config.lr_schedule = PL_LR_CONSTANT;
  else if (g_str_equal (schedule, "step"))
    config.lr_schedule = PL_LR_STEP;
  else if (g_str_equal (schedule, "cosine"))
    config.lr_schedule = PL_LR_COSINE;
  else
    return usage_error (ctx, _("unknown learning-rate schedule “%s” (constant, step or "
                               "cosine)"), schedule);

  g_autoptr (GError) error = NULL;
  const char *dpath = data_dir ? data_dir : PL_DEFAULT_DATASET_DIR;
  PlCsvOptions csv = PL_CSV_OPTIONS_INIT;
  csv.regression = regression;
  if (opt_label && *opt_label)
    {
      char *end = NULL;
      gint64 idx = g_ascii_strtoll (opt_label, &end, 10);
      if (end && *end == '\0' && idx >= 0 && idx < G_MAXINT)
        csv.label_index = (gint) idx;
      else
        csv.label_column = opt_label;
    }
  g_autoptr (PlDataset) train = pl_dataset_open (dpath, "train", &csv, &error);
  if (train == NULL)
    return fail_in (dpath, g_steal_pointer (&error));
  if (train->warning != NULL && !opt_quiet)
    fprintf (stderr, _("prunelens-cli: warning: %s\n"), train->warning);
  const gboolean table = train->kind == PL_DATASET_TABLE;
  if (regression && !table)
    return usage_error (ctx, _("--regression needs a CSV table, “%s” holds images"), dpath);
  if (regression && train->targets == NULL)
    return usage_error (ctx, _("“%s” has no numeric target column"), dpath);
  if (!regression && train->n_classes < 2)
    {
      fprintf (stderr, _("prunelens-cli: %s: the labels hold %d class; a classifier needs at "
                         "least 2 (for a numeric target use --regression)\n"),
               dpath, train->n_classes);
      return EXIT_FAILURE;
    }
  const char *arch_name = arch ? arch : table ? "mlp" : "cnn";
  if (table && !g_str_equal (arch_name, "mlp"))
    return usage_error (ctx, _("tables train the “mlp” architecture only, not “%s”"), arch_name);
  if (regression)
    config.loss = PL_LOSS_MSE;
  /* a test split exists for IDX folders only (tables: use --validation) */
  g_autoptr (PlDataset) test = NULL;
  if (!table && g_file_test (dpath, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *probe = g_build_filename (dpath, "t10k-labels-idx1-ubyte.gz", NULL);
      g_autofree char *probe2 = g_build_filename (dpath, "t10k-labels-idx1-ubyte", NULL);
      if (g_file_test (probe, G_FILE_TEST_EXISTS) || g_file_test (probe2, G_FILE_TEST_EXISTS))
        test = pl_dataset_load_fashion_mnist (dpath, "test", NULL);
    }

  g_autoptr (PlGraph) g = NULL;
  if (init_model != NULL)
    {
      g = pl_onnx_load_file (init_model, &error);
      if (g == NULL)
        return fail_in (init_model, g_steal_pointer (&error));
      if (!pl_graph_check_finite_weights (g, init_model, &error))
        return fail (g_steal_pointer (&error));
      if (keep_zeros && !opt_quiet)
        fprintf (stderr, _("%lld zero weights kept at zero\n"),
                 (long long) masks_from_zeros (g));
      else if (keep_zeros)
        masks_from_zeros (g);
    }
  else if (table)
    {
      /* standardise with the training part of the split (the trainer splits the same way) */
      g_autofree gint64 *tr = NULL, *va = NULL;
      gint64 nt = 0, nv = 0;
      if (!pl_train_split (train->n, regression ? NULL : train->labels, train->n_classes,
                           validation, (guint64) seed, &tr, &nt, &va, &nv, &error))
        return fail (g_steal_pointer (&error));
      g_autofree float *mean = g_new (float, train->n_features);
      g_autofree float *sd = g_new (float, train->n_features);
      pl_train_feature_stats (train->features, train->n_features, tr, nt, mean, sd);
      g = pl_model_build_table (train->n_features, regression ? 1 : train->n_classes, mean,
                                sd, (guint64) seed, &error);
    }
  else
    g = pl_model_build (arch_name, train->channels, train->height, train->width,
                        train->n_classes, (guint64) seed, &error);
  if (g == NULL)
    return fail (g_steal_pointer (&error));

  TrainWork w = { .graph = g, .train = train, .test = test, .config = config, .json = json };
  g_autoptr (JsonBuilder) jb = NULL;
  if (json)
    {
      jb = json_builder_new ();
      json_builder_begin_object (jb);
      json_builder_set_member_name (jb, "epochs");
      json_builder_begin_array (jb);
      w.epochs = jb;
    }
  g_free (g->doc_string);
  /* The thread count changes the order of floating-point sums, so it is part of the
   * recipe: the engine uses PL_NUM_THREADS, else the processors (at most 8). */
  const char *env_threads = g_getenv ("PL_NUM_THREADS");
  gint threads = env_threads ? (gint) g_ascii_strtoll (env_threads, NULL, 10) : 0;
  if (threads <= 0)
    threads = (gint) MIN (g_get_num_processors (), 8u);
  GString *doc = g_string_new (NULL);
  g_string_printf (doc, "PL_NUM_THREADS=%d prunelens-cli train --arch %s --epochs %d "
                   "--batch-size %d --lr %g --optimizer %s --seed %" G_GINT64_FORMAT,
                   threads, arch_name, epochs, batch, lr, optimizer ? optimizer : "adam",
                   seed);
  /* options beyond the original recipe are appended only when used, so that the default
   * model's recipe (and bytes) stay as they were */
  if (table)
    {
      g_autofree char *base = g_path_get_basename (dpath);
      g_string_append_printf (doc, " --data %s", base);
      if (opt_label)
        g_string_append_printf (doc, " --label %s", opt_label);
    }
  if (regression)
    g_string_append (doc, " --regression");
  if (init_model != NULL)
    {
      g_autofree char *base = g_path_get_basename (init_model);
      g_string_append_printf (doc, " --init %s%s", base, keep_zeros ? " --keep-zeros" : "");
    }
  if (momentum != 0.9)
    g_string_append_printf (doc, " --momentum %g", momentum);
  if (weight_decay != 0.0)
    g_string_append_printf (doc, " --weight-decay %g", weight_decay);
  if (config.lr_schedule == PL_LR_STEP)
    g_string_append_printf (doc, " --lr-schedule step --step-size %d --gamma %g", step_size,
                            gamma);
  else if (config.lr_schedule == PL_LR_COSINE)
    g_string_append_printf (doc, " --lr-schedule cosine --lr-min %g", lr_min);
  if (validation > 0.0)
    g_string_append_printf (doc, " --validation %g", validation);
  if (patience > 0)
    g_string_append_printf (doc, " --patience %d --min-delta %g%s", patience, min_delta,
                            no_restore ? " --no-restore-best" : "");
  if (update_bn)
    g_string_append (doc, " --update-bn-stats");
  g->doc_string = g_string_free (doc, FALSE);

  if (!run_job (train_work, &w, &error))
    return fail (g_steal_pointer (&error));
  if (!pl_onnx_save_file (g, output, &error))
    return fail (g_steal_pointer (&error));

  /* regression: the fit on the validation rows (else the training rows) */
  TrainTableEval te = { 0, NAN, NAN, NAN, NAN };
  if (regression)
    {
      g_autofree gint64 *tr = NULL, *va = NULL;
      gint64 nt = 0, nv = 0;
      if (!pl_train_split (train->n, NULL, 0, validation, (guint64) seed, &tr, &nt, &va, &nv,
                           &error)
          || !cli_train_evaluate_table (g, train, nv > 0 ? va : tr, nv > 0 ? nv : nt, &te,
                                        &error))
        return fail (g_steal_pointer (&error));
    }
  if (json)
    {
      json_builder_end_array (jb);
      jb_int (jb, "epochs_run", w.result.epochs_run);
      jb_int (jb, "best_epoch", w.result.best_epoch + 1);
      json_builder_set_member_name (jb, "stopped_early");
      json_builder_add_boolean_value (jb, w.result.stopped_early);
      jb_int (jb, "n_train", w.result.n_train);
      jb_int (jb, "n_validation", w.result.n_validation);
      jb_double (jb, "test_accuracy", test != NULL ? w.test_accuracy : NAN);
      if (regression)
        {
          jb_string (jb, "fit_on", w.result.n_validation > 0 ? "validation" : "train");
          jb_double (jb, "rmse", te.rmse);
          jb_double (jb, "mae", te.mae);
          jb_double (jb, "r2", te.r2);
        }
      jb_string (jb, "output", output);
      jb_print (jb);
      return 0;
    }
  if (w.result.stopped_early)
    printf (_("stopped early after epoch %d; best epoch %d%s\n"), w.result.epochs_run,
            w.result.best_epoch + 1, config.restore_best ? _(" (its weights kept)") : "");
  if (regression)
    {
      g_autofree char *r2 = format_r2 (te.r2);
      printf (_("%s: RMSE %.4g, MAE %.4g, R² %s\n"),
              w.result.n_validation > 0 ? _("validation") : _("training set"), te.rmse, te.mae,
              r2);
    }
  if (test != NULL)
    printf (_("test accuracy %.4f (%s)\n"), w.test_accuracy, test->name);
  printf (_("wrote %s\n"), output);
  return 0;
}

/* ---- bench train ---- */

typedef struct {
  PlGraph *graph;
  PlDataset *train;
  PlTrainConfig config;
  double seconds;
} BenchWork;

static gboolean
bench_work (gpointer data, const PlProgress *progress, GError **error)
{
  BenchWork *b = data;
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = pl_train (b->graph, b->train, &b->config, NULL, NULL, NULL, progress, error);
  b->seconds = (double) (g_get_monotonic_time () - t0) / 1e6;
  return ok;
}

int
bench_train (int argc, char **argv)
{
  g_autofree char *data_dir = NULL;
  gint batches = 0, repeats = 1;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Fashion-MNIST folder (IDX files)"), "DIR" },
    { "repeats", 'r', 0, G_OPTION_ARG_INT, &repeats, N_("Timed epochs (or --batches runs), each from the same seed; the median is reported (default 1)"), "N" },
    { "batches", 0, 0, G_OPTION_ARG_INT, &batches, N_("Time only N minibatches of 64 and extrapolate (default: the whole epoch)"), "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the result as JSON"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("— time one training epoch of the default CNN"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (ctx,
      _("Trains the default CNN (Adam, batch 64, seed 1) for one epoch on the 60 000 "
        "Fashion-MNIST training images and prints the seconds per epoch. Compare with\n"
        "  /usr/bin/python3 tools/bench-train-pytorch.py (the same in PyTorch).\n"));
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 1)
    return usage_error (ctx, _("unexpected argument “%s”"), argv[1]);
  if (batches < 0)
    return usage_error (ctx, _("--batches must not be negative"));
  if (repeats < 1 || repeats > 1000)
    return usage_error (ctx, _("--repeats must be between 1 and 1000"));
  g_autoptr (GError) error = NULL;
  const char *dir = data_dir ? data_dir : PL_DEFAULT_DATASET_DIR;
  g_autoptr (PlDataset) full = pl_dataset_load_fashion_mnist (dir, "train", &error);
  if (full == NULL)
    return fail (g_steal_pointer (&error));
  gint64 epoch_batches = (full->n + 63) / 64;
  gint64 nb = batches > 0 ? MIN ((gint64) batches, epoch_batches) : epoch_batches;
  gint64 n = MIN (nb * 64, full->n);
  /* the first n images (a prefix shares the full set's memory layout and speed) */
  g_autoptr (PlDataset) sub = g_new0 (PlDataset, 1);
  sub->ref_count = 1;
  sub->name = g_strdup (full->name);
  sub->n = n;
  sub->channels = full->channels;
  sub->height = full->height;
  sub->width = full->width;
  sub->n_classes = full->n_classes;
  sub->pixels = g_memdup2 (full->pixels, (gsize) n * full->channels * full->height * full->width);
  sub->labels = g_memdup2 (full->labels, (gsize) n);
  sub->class_names = g_strdupv (full->class_names);
  /* Each run trains a fresh network from the same seed; the median run is reported. */
  g_autofree double *secs = g_new (double, repeats);
  for (gint r = 0; r < repeats; r++)
    {
      g_autoptr (PlGraph) g = pl_model_build ("cnn", full->channels, full->height, full->width,
                                              full->n_classes, 1, &error);
      if (g == NULL)
        return fail (g_steal_pointer (&error));
      BenchWork b = { .graph = g, .train = sub };
      pl_train_config_init (&b.config);
      b.config.epochs = 1;
      if (!run_job (bench_work, &b, &error))
        return fail (g_steal_pointer (&error));
      secs[r] = b.seconds;
    }
  g_autofree double *sorted = g_memdup2 (secs, sizeof (double) * (gsize) repeats);
  for (gint i = 1; i < repeats; i++)   /* insertion sort: repeats is small */
    for (gint j = i; j > 0 && sorted[j - 1] > sorted[j]; j--)
      {
        double t = sorted[j];
        sorted[j] = sorted[j - 1];
        sorted[j - 1] = t;
      }
  double median = repeats % 2 ? sorted[repeats / 2]
                              : 0.5 * (sorted[repeats / 2 - 1] + sorted[repeats / 2]);
  double per_epoch = median * (double) epoch_batches / (double) nb;
  g_autofree char *threads = threads_description ();
  const char *blas = g_getenv ("OPENBLAS_CORETYPE");
  if (json)
    {
      g_autoptr (JsonBuilder) jb = json_builder_new ();
      json_builder_begin_object (jb);
      jb_int (jb, "batches_timed", nb);
      jb_int (jb, "batches_per_epoch", epoch_batches);
      jb_double (jb, "seconds_timed", median);
      jb_int (jb, "repeats", repeats);
      jb_double (jb, "seconds_min", sorted[0]);
      jb_double (jb, "seconds_max", sorted[repeats - 1]);
      jb_double (jb, "seconds_per_epoch", per_epoch);
      jb_string (jb, "threads", threads);
      jb_string (jb, "openblas_coretype", blas);
      jb_print (jb);
      return 0;
    }
  printf (_("train: default CNN, Adam, batch 64, %s, OPENBLAS_CORETYPE=%s\n"), threads,
          blas ? blas : _("(unset)"));
  if (repeats > 1)
    printf (_("%lld of %lld minibatches in %.2f s (median of %d runs; min %.2f, max %.2f)\n"),
            (long long) nb, (long long) epoch_batches, median, repeats, sorted[0],
            sorted[repeats - 1]);
  else
    printf (_("%lld of %lld minibatches in %.2f s\n"), (long long) nb,
            (long long) epoch_batches, median);
  printf (_("%.2f seconds per epoch%s\n"), per_epoch,
          nb < epoch_batches ? _(" (extrapolated)") : "");
  return 0;
}
