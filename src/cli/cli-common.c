/* cli-common.c — shared by the prunelens-cli commands; see cli-common.h. */
#include "cli-common.h"

#include <glib-unix.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "analysis/pl-layers.h"

gboolean opt_quiet = FALSE;
char *opt_label = NULL;
gboolean cli_allow_regression = FALSE;
const char *cli_regression_alternative = NULL;

/* ---- JSON output (--json): one object on stdout, NaN and infinities as null ---- */

void
jb_double (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

void
jb_int (JsonBuilder *b, const char *name, gint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

void
jb_string (JsonBuilder *b, const char *name, const char *v)
{
  json_builder_set_member_name (b, name);
  if (v != NULL)
    json_builder_add_string_value (b, v);
  else
    json_builder_add_null_value (b);
}

void
jb_shape (JsonBuilder *b, const char *name, gint ndim, const gint64 *shape)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (gint i = 0; i < ndim; i++)
    json_builder_add_int_value (b, shape[i]);
  json_builder_end_array (b);
}

/* Ends the builder's root object and prints it. */
void
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

gboolean
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


int
usage_error (GOptionContext *ctx, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* msg with every quoted “…” span (an argument the user typed) cut to
 * PL_ERROR_QUOTE_MAX characters by pl_error_quote — except file paths (a '/' in at most
 * 1024 bytes), which the user needs whole to find the file. */
static char *
cap_quoted_spans (const char *msg)
{
  GString *out = g_string_new (NULL);
  const char *p = msg;
  for (;;) {
    const char *open = strstr (p, "“");
    const char *close = open ? strstr (open + strlen ("“"), "”") : NULL;
    if (close == NULL) {
      g_string_append (out, p);
      break;
    }
    const char *inner = open + strlen ("“");
    g_string_append_len (out, p, inner - p);
    g_autofree char *span = g_strndup (inner, close - inner);
    g_autofree char *q = (close - inner <= 1024 && strchr (span, '/') != NULL)
                             ? g_strdup (span) : pl_error_quote (span);
    g_string_append (out, q);
    p = close;
  }
  return g_string_free (out, FALSE);
}

int
usage_error (GOptionContext *ctx, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *full = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_autofree char *msg = cap_quoted_spans (full);
  fprintf (stderr, "%s: %s\n", g_get_prgname (), msg);
  fprintf (stderr, _("Try “%s --help”.\n"), g_get_prgname ());
  (void) ctx;
  return EXIT_USAGE;
}

int
fail (GError *error)
{
  /* a value the user typed, quoted “…” by the message, cut as usage_error does */
  g_autofree char *msg = cap_quoted_spans (error->message);
  fprintf (stderr, "prunelens-cli: %s\n", msg);
  g_error_free (error);
  return EXIT_FAILURE;
}

gboolean
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
      /* GOption quotes the value whole: “<20 000 characters>” for --target */
      g_autofree char *msg = cap_quoted_spans (error->message);
      fprintf (stderr, "prunelens-cli: %s\n", msg);
      *status = EXIT_USAGE;
      return FALSE;
    }
  return TRUE;
}

/* Loads MODEL and the Fashion-MNIST split of data_dir (NULL: the default folder) and checks
 * that the model can classify it (pl_model_check_dataset): the start of every command
 * that runs a model on the dataset. */
void
add_dataset_options (GOptionContext *ctx)
{
  static const GOptionEntry entries[] = {
    { "label", 0, 0, G_OPTION_ARG_STRING, &opt_label, N_("CSV datasets: the label column, by name or 0-based index (default: the last column)"), "COLUMN" },
    { NULL }
  };
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
}

PlDataset *
open_dataset_full (const char *data_path, const char *split, const char *label,
                   gboolean regression, GError **error)
{
  PlCsvOptions csv = PL_CSV_OPTIONS_INIT;
  csv.regression = regression;
  if (label && *label)
    {
      char *end = NULL;
      gint64 idx = g_ascii_strtoll (label, &end, 10);
      if (end && *end == '\0' && idx >= 0 && idx < G_MAXINT)
        csv.label_index = (gint) idx;
      else
        csv.label_column = label;
    }
  /* No real path is 4096 bytes or longer (PATH_MAX): echo such a value cut, not whole. */
  if (data_path != NULL && strlen (data_path) >= 4096)
    {
      g_autofree char *q = pl_error_quote (data_path);
      g_set_error (error, PL_ERROR, PL_ERROR_IO,
                   _("%s: no such file or folder (a path of %lld bytes; paths have at most "
                     "4095)"), q, (long long) strlen (data_path));
      return NULL;
    }
  PlDataset *ds = data_path ? pl_dataset_open (data_path, split, &csv, error)
                            : pl_dataset_load_fashion_mnist (PL_DEFAULT_DATASET_DIR, split,
                                                             error);
  if (ds != NULL && ds->warning != NULL && !opt_quiet)
    fprintf (stderr, _("prunelens-cli: warning: %s\n"), ds->warning);
  return ds;
}

PlDataset *
open_dataset (const char *data_path, const char *split, const char *label, GError **error)
{
  return open_dataset_full (data_path, split, label, FALSE, error);
}

gboolean
is_table_path (const char *path)
{
  return path != NULL && (has_suffix_ci (path, ".csv") || has_suffix_ci (path, ".tsv"));
}

gboolean
model_is_regression (PlGraph *graph)
{
  gint64 shape[PL_TENSOR_MAX_DIMS];
  if (pl_graph_sample_shape (graph, shape) != 1 || shape[0] < 1 || shape[0] > (1 << 20))
    return FALSE;
  g_autoptr (PlExecutor) ex = pl_executor_new (graph, NULL);
  if (ex == NULL)
    return FALSE;
  g_autoptr (PlTensor) x = pl_tensor_new_2d (1, shape[0]);
  g_autoptr (PlTensor) y = pl_executor_predict (ex, x, 1, NULL, NULL);
  return y != NULL && y->ndim == 2 && y->shape[0] == 1 && y->shape[1] == 1;
}

/* A regression model against a regression table: rows of the right width, one finite
 * output per row. */
gboolean
check_regression (PlGraph *graph, const char *model_name, const PlDataset *ds, GError **error)
{
  gint64 shape[PL_TENSOR_MAX_DIMS];
  gint nd = pl_graph_sample_shape (graph, shape);
  if (ds->kind != PL_DATASET_TABLE || ds->targets == NULL
      || (nd >= 0 && (nd != 1 || shape[0] != ds->n_features)))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "%s: a regression model on rows of %" G_GINT64_FORMAT " features, but %s "
                   "is not a table of such rows with a numeric target column", model_name,
                   nd == 1 ? shape[0] : (gint64) -1, ds->name);
      return FALSE;
    }
  return TRUE;
}

void
apply_protect (PlPruneConfig *config, const char *text)
{
  if (text == NULL || g_ascii_strcasecmp (text, "default") == 0)
    {
      pl_prune_config_set_protected (config, NULL);
      return;
    }
  if (g_ascii_strcasecmp (text, "none") == 0)
    {
      pl_prune_config_set_protected (config, (const char *const[]) { NULL });
      return;
    }
  g_auto (GStrv) names = g_strsplit (text, ",", -1);
  for (gchar **p = names; *p; p++)
    g_strstrip (*p);
  pl_prune_config_set_protected (config, (const char *const *) names);
}

char *opt_protect = NULL;

void
add_protect_option (GOptionContext *ctx)
{
  static const GOptionEntry entries[] = {
    { "protect", 0, 0, G_OPTION_ARG_STRING, &opt_protect, N_("Layers never pruned, comma-separated; \"default\" (the default: the first Conv and the last Gemm / MatMul) or \"none\""), "LAYER,…" },
    { NULL }
  };
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
}

PlPruneStep *
cli_prune_step (PlGraph *graph, const PlDataset *dataset, double sparsity, gint64 n_eval,
                const PlProgress *progress, GError **error)
{
  g_autoptr (PlPruneConfig) config = pl_prune_config_new ();
  apply_protect (config, opt_protect);
  return pl_prune_step_run_config (graph, dataset, config, sparsity, n_eval, progress, error);
}

char *
protected_description (const PlPruneConfig *config, const PlGraph *graph)
{
  g_auto (GStrv) def = config->protected_layers ? NULL : pl_prune_default_protected (graph);
  char **names = config->protected_layers ? config->protected_layers : def;
  /* A protected layer with an override is pruned to the override (pl-prune.h): say so. */
  g_autoptr (GString) out = g_string_new (NULL);
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      if (out->len > 0)
        g_string_append (out, ", ");
      if (config->overrides != NULL && g_hash_table_contains (config->overrides, names[i]))
        g_string_append_printf (out, _("%s (overridden: pruned by --override)"), names[i]);
      else
        g_string_append (out, names[i]);
    }
  if (out->len == 0)
    return g_strdup (_("none"));
  return g_string_free (g_steal_pointer (&out), FALSE);
}

gboolean
check_model_dataset (PlGraph *graph, const char *model_name, const PlDataset *dataset,
                     GError **error)
{
  return pl_model_check_dataset (graph, model_name, dataset, error);
}

gboolean
open_model_and_dataset_full (const char *model_path, const char *data_path, const char *split,
                             const char *label, PlGraph **graph, PlDataset **dataset,
                             GError **error)
{
  g_autoptr (PlGraph) g = pl_onnx_load_file (model_path, error);
  if (g == NULL)
    return FALSE;
  if (cli_check_finite && !pl_graph_check_finite_weights (g, model_path, error))
    return FALSE;
  /* A regression model needs its table loaded with numeric targets. */
  gboolean regression = is_table_path (data_path) && model_is_regression (g);
  if (regression && !cli_allow_regression)
    {
      g_auto (GStrv) words = g_strsplit (g_get_prgname (), " ", 2);
      const char *cmd = words[0] && words[1] ? words[1] : words[0];
      g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                   _("%s: a regression model (one numeric output per row); regression models "
                     "are not supported by %s; use %s"),
                   model_path, cmd ? cmd : "this command",
                   cli_regression_alternative ? cli_regression_alternative
                                              : _("eval or prune (RMSE, MAE, R²)"));
      return FALSE;
    }
  g_autoptr (PlDataset) ds = open_dataset_full (data_path, split, label, regression, error);
  if (ds == NULL)
    return FALSE;
  if (regression ? !check_regression (g, model_path, ds, error)
                 : !check_model_dataset (g, model_path, ds, error))
    return FALSE;
  *graph = g_steal_pointer (&g);
  *dataset = g_steal_pointer (&ds);
  return TRUE;
}

gboolean
open_model_and_dataset (const char *model_path, const char *data_dir, const char *split,
                        PlGraph **graph, PlDataset **dataset, GError **error)
{
  return open_model_and_dataset_full (model_path, data_dir, split, opt_label, graph, dataset,
                                      error);
}

gboolean
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



gboolean
has_suffix_ci (const char *s, const char *suffix)
{
  if (s == NULL)
    return FALSE;
  gsize a = strlen (s), b = strlen (suffix);
  return a >= b && g_ascii_strcasecmp (s + a - b, suffix) == 0;
}

gboolean
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

char *
shape_of (const PlTensor *t)
{
  return pl_tensor_shape_string (t->ndim, t->shape);
}

/* The engine's thread count and where it comes from. */
char *
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
int
fail_in (const char *what, GError *error)
{
  if (strstr (error->message, what) != NULL)
    return fail (error);
  g_autofree char *msg = cap_quoted_spans (error->message);
  fprintf (stderr, "prunelens-cli: %s: %s\n", what, msg);
  g_error_free (error);
  return EXIT_FAILURE;
}


/* ---- session 4 additions ---- */

gboolean cli_check_finite = FALSE;

gboolean
cli_parse_criterion (const char *s, PlPruneCriterion *out)
{
  static const struct { const char *id; PlPruneCriterion c; } table[] = {
    { "magnitude", PL_PRUNE_CRITERION_MAGNITUDE }, { "random", PL_PRUNE_CRITERION_RANDOM },
    { "taylor", PL_PRUNE_CRITERION_TAYLOR }, { "l1", PL_PRUNE_CRITERION_L1_NORM },
    { "l2", PL_PRUNE_CRITERION_L2_NORM },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if (g_ascii_strcasecmp (s, table[i].id) == 0)
      {
        *out = table[i].c;
        return TRUE;
      }
  return FALSE;
}

const char *
cli_criterion_name (PlPruneCriterion criterion)
{
  switch (criterion)
    {
    case PL_PRUNE_CRITERION_RANDOM: return "random";
    case PL_PRUNE_CRITERION_TAYLOR: return "taylor";
    case PL_PRUNE_CRITERION_L1_NORM: return "l1";
    case PL_PRUNE_CRITERION_L2_NORM: return "l2";
    case PL_PRUNE_CRITERION_MAGNITUDE:
    default: return "magnitude";
    }
}

/* "n:m" with 0 < n <= m <= 64 */
static gboolean
parse_nm (const char *s, gint *n, gint *m)
{
  char *end = NULL;
  gint64 a = g_ascii_strtoll (s, &end, 10);
  if (end == s || *end != ':')
    return FALSE;
  const char *t = end + 1;
  gint64 b = g_ascii_strtoll (t, &end, 10);
  if (end == t || *end != '\0' || a < 1 || b < a || b > 64)
    return FALSE;
  *n = (gint) a;
  *m = (gint) b;
  return TRUE;
}

gboolean
cli_parse_granularity (const char *s, PlPruneConfig *cfg)
{
  if (g_ascii_strcasecmp (s, "unstructured") == 0)
    cfg->granularity = PL_PRUNE_GRANULARITY_UNSTRUCTURED;
  else if (g_ascii_strcasecmp (s, "channels") == 0)
    cfg->granularity = PL_PRUNE_GRANULARITY_CHANNELS;
  else if (parse_nm (s, &cfg->nm_n, &cfg->nm_m))
    cfg->granularity = PL_PRUNE_GRANULARITY_NM;
  else
    return FALSE;
  return TRUE;
}

char *
cli_granularity_name (const PlPruneConfig *config)
{
  if (config->granularity == PL_PRUNE_GRANULARITY_CHANNELS)
    return g_strdup ("channels");
  if (config->granularity == PL_PRUNE_GRANULARITY_NM)
    return g_strdup_printf ("%d:%d", config->nm_n, config->nm_m);
  return g_strdup ("unstructured");
}

/* Creates and removes a temporary file in dir. */
static gboolean
try_write_in (const char *dir, const char *shown, GError **error)
{
  g_autofree char *tmpl = g_build_filename (dir, ".prunelens-write-test-XXXXXX", NULL);
  int fd = g_mkstemp (tmpl);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, PL_ERROR, PL_ERROR_IO,
                   _("Cannot write to “%s”: %s (checked before starting the work; choose "
                     "another output path)"), shown, g_strerror (e));
      return FALSE;
    }
  close (fd);
  g_unlink (tmpl);
  return TRUE;
}

gboolean
check_output_writable (const char *path, gboolean is_dir, GError **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  if (is_dir)
    {
      if (g_file_test (path, G_FILE_TEST_EXISTS) && !g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, PL_ERROR, PL_ERROR_IO,
                       _("Cannot write to “%s”: it is a file, not a folder"), path);
          return FALSE;
        }
      if (g_mkdir_with_parents (path, 0755) != 0)
        {
          int e = errno;
          g_set_error (error, PL_ERROR, PL_ERROR_IO,
                       _("Cannot create the folder “%s”: %s (checked before starting the "
                         "work; choose another output path)"), path, g_strerror (e));
          return FALSE;
        }
      return try_write_in (path, path, error);
    }
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_IO,
                   _("Cannot write to “%s”: it is a folder; give a file name"), path);
      return FALSE;
    }
  g_autofree char *dir = g_path_get_dirname (path);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_IO,
                   _("Cannot write to “%s”: its folder “%s” does not exist or is not a "
                     "folder (checked before starting the work)"), path, dir);
      return FALSE;
    }
  return try_write_in (dir, path, error);
}

char *
format_number (double v)
{
  if (isnan (v))
    return g_strdup (_("undefined"));
  if (isinf (v))
    return g_strdup (v > 0 ? "inf" : "-inf");
  double a = fabs (v);
  if (a == 0.0 || (a >= 1e-4 && a < 1e9))
    return g_strdup_printf ("%.4f", v);
  return g_strdup_printf ("%.4g", v);
}

gint64
warn_nonfinite (const char *what, const float *values, gint64 n)
{
  gint64 bad = 0;
  for (gint64 i = 0; i < n; i++)
    bad += !isfinite (values[i]);
  if (bad > 0)
    fprintf (stderr, _("prunelens-cli: WARNING: %s: %lld of %lld values are NaN or infinite "
                       "(the model overflows on this input); do not trust them\n"),
             what, (long long) bad, (long long) n);
  return bad;
}

char *
format_r2 (double r2)
{
  if (isnan (r2))
    return g_strdup (_("undefined (constant target)"));
  return format_number (r2);
}
