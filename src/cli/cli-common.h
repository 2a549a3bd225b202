/* cli-common.h — what the prunelens-cli commands share: JSON output, running work off the
 * main loop with Ctrl-C and a terminal progress bar, option parsing and error reporting.
 */
#pragma once

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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlExecutor, pl_executor_free)

/* --quiet: no progress bar or extra output. */
extern gboolean opt_quiet;

/* JSON output (--json): one object on stdout, NaN and infinities as null. */
void jb_double (JsonBuilder *b, const char *name, double v);
void jb_int (JsonBuilder *b, const char *name, gint64 v);
void jb_string (JsonBuilder *b, const char *name, const char *v);
void jb_shape (JsonBuilder *b, const char *name, gint ndim, const gint64 *shape);
/* Ends the builder's root object and prints it. */
void jb_print (JsonBuilder *b);

/* Work run in a thread while the main loop draws the progress bar and handles Ctrl-C. */
typedef gboolean (*WorkFunc) (gpointer data, const PlProgress *progress, GError **error);
gboolean run_job (WorkFunc func, gpointer data, GError **error);

/* Prints "prunelens-cli CMD: message" and a --help hint; returns EXIT_USAGE. */
int usage_error (GOptionContext *ctx, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* Prints the error on stderr, frees it; returns EXIT_FAILURE. */
int fail (GError *error);
/* As fail, naming the file first unless the message already does. */
int fail_in (const char *what, GError *error);
/* Parses the command's options plus --quiet; FALSE with *status set on a usage error. */
gboolean parse (GOptionContext *ctx, int *argc, char ***argv, int *status);
/* --label COLUMN (every command): the label column of a CSV dataset, by name or 0-based
 * index; NULL: the last column. */
extern char *opt_label;
/* Adds --label COLUMN to a command that opens datasets (call before parse). */
void add_dataset_options (GOptionContext *ctx);
/* Loads MODEL and the dataset at data_dir (NULL: the default Fashion-MNIST folder), opened
 * by pl_dataset_open: a Fashion-MNIST / IDX folder (split "train" or "test"), a .csv / .tsv
 * table (label column from --label) or a folder of PNGs by class; checks that the model
 * can classify it (images: pl_model_check_dataset; tables: inputs [N, F], K logits). */
gboolean open_model_and_dataset (const char *model_path, const char *data_dir, const char *split,
                                 PlGraph **graph, PlDataset **dataset, GError **error);
/* The dataset alone (data_path NULL: Fashion-MNIST's split in the default folder). */
PlDataset *open_dataset (const char *data_path, const char *split, const char *label,
                         GError **error);
/* Checks that graph can classify dataset (images or tables), as open_model_and_dataset. */
gboolean check_model_dataset (PlGraph *graph, const char *model_name, const PlDataset *dataset,
                              GError **error);
/* The same with an explicit label column (name or 0-based index as text; NULL: last). */
gboolean open_model_and_dataset_full (const char *model_path, const char *data_path,
                                      const char *split, const char *label, PlGraph **graph,
                                      PlDataset **dataset, GError **error);
/* Regression models (a table model with one output per row, trained with
 * `train --regression`): commands that support them (eval, prune) set this to TRUE before
 * opening the model and dataset; then the CSV table is loaded with numeric targets
 * (dataset->targets). Other commands refuse them with a message naming the command. */
extern gboolean cli_allow_regression;
/* What the refusal suggests instead (NULL: "eval or prune (RMSE, MAE, R²)"). */
extern const char *cli_regression_alternative;
/* TRUE when graph takes table rows [N, F] and gives one output per row ([N, 1]). */
gboolean model_is_regression (PlGraph *graph);
/* TRUE when path names a CSV / TSV table (by its suffix). */
gboolean is_table_path (const char *path);
/* open_dataset with the CSV label loaded as a numeric target when regression. */
PlDataset *open_dataset_full (const char *data_path, const char *split, const char *label,
                              gboolean regression, GError **error);
/* Checks that a regression model fits a regression table (row width). */
gboolean check_regression (PlGraph *graph, const char *model_name, const PlDataset *dataset,
                           GError **error);
/* --protect TEXT (prune, compare, explain): NULL or "default": the first Conv and the
 * last Gemm / MatMul (the default); "none": no layer; else comma-separated layer names. */
void apply_protect (PlPruneConfig *config, const char *text);
/* --protect for compare and explain (add_protect_option before parse); NULL: default. */
extern char *opt_protect;
void add_protect_option (GOptionContext *ctx);
/* Global magnitude pruning to sparsity with opt_protect's protection, evaluated on the
 * first n_eval samples (pl_prune_step_run_config). */
PlPruneStep *cli_prune_step (PlGraph *graph, const PlDataset *dataset, double sparsity,
                             gint64 n_eval, const PlProgress *progress, GError **error);
/* The layers config protects in graph, comma-separated ("none" when none). */
char *protected_description (const PlPruneConfig *config, const PlGraph *graph);
/* "0.9" or "90%" -> 0.9; FALSE unless in [0, 1]. */
gboolean parse_sparsity (const char *text, double *out);
gboolean has_suffix_ci (const char *s, const char *suffix);
gboolean ensure_dir (const char *dir, GError **error);
char *shape_of (const PlTensor *t);
/* The engine's thread count and where it comes from. */
char *threads_description (void);

/* Session 4 additions. */
/* When TRUE (explain, compare, prune, sweep, report, eval set it before opening the model),
 * open_model_and_dataset refuses a model with NaN / infinite initializers
 * (pl_graph_check_finite_weights: names the model file and the initializer). */
extern gboolean cli_check_finite;
/* --criterion and --granularity of prune and compare (same names, values and defaults):
 * "magnitude" (default), "random", "taylor", "l1", "l2"; "unstructured" (default),
 * "channels" or "N:M" with 1 ≤ N ≤ M ≤ 64. FALSE on an unknown value. */
gboolean cli_parse_criterion (const char *text, PlPruneCriterion *out);
gboolean cli_parse_granularity (const char *text, PlPruneConfig *config);
/* The criterion / granularity of config as the option spells it ("magnitude", "2:4"). */
const char *cli_criterion_name (PlPruneCriterion criterion);
char *cli_granularity_name (const PlPruneConfig *config);
/* Checks before any long work that the output can be written: is_dir: the folder path
 * (created with its parents) accepts a new file; else the file path is not a folder and its
 * folder exists and accepts a new file. Tries by creating and removing a temporary file,
 * so read-only file systems and permissions are caught. Errors: PL_ERROR_IO naming the path
 * and why. */
gboolean check_output_writable (const char *path, gboolean is_dir, GError **error);
/* A number for text output: %.4f inside [1e-4, 1e9] in magnitude (or 0), %.4g outside,
 * "undefined" for NaN, "inf" / "-inf" for infinities. New string. */
char *format_number (double v);
/* R² for text output: "%.4f", or "undefined (constant target)" when NaN (SS_tot = 0). */
char *format_r2 (double r2);
/* Warns on stderr (unless nothing is wrong) when values holds NaN or infinite entries,
 * naming what and how many; returns the count. */
gint64 warn_nonfinite (const char *what, const float *values, gint64 n);

/* The commands (cli-*.c). */
int cmd_info (int argc, char **argv);
int cmd_eval (int argc, char **argv);
int cmd_train (int argc, char **argv);
int cmd_prune (int argc, char **argv);
int cmd_tensor (int argc, char **argv);
int cmd_infer (int argc, char **argv);
int cmd_explain (int argc, char **argv);
int cmd_compare (int argc, char **argv);
int cmd_bench (int argc, char **argv);
int cmd_sweep (int argc, char **argv);
int cmd_report (int argc, char **argv);
/* "prunelens-cli bench train …": argv[0] is "train". */
int bench_train (int argc, char **argv);
