/* cli-report.c — prunelens-cli report: a recipe's numbers and figures as a PDF, CSV, JSON.
 *
 * Runs a recipe (session/pl-recipe.h): opens the model (checking its SHA-256) and the
 * dataset, applies every pruning step to the original network, computes the comparisons
 * and the sweep the figures need, and writes DIR/report.pdf, DIR/metrics.csv,
 * DIR/metrics.json and one PNG per figure. Everything is deterministic for a given machine
 * and thread count: no clock, no unseeded randomness, sorted output.
 */
#include "cli-common.h"

#include <errno.h>
#include <signal.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "pl-report.h"
#include "pl-report-figures.h"
#include "session/pl-recipe.h"

/* ---- the work ---- */

typedef struct {
  gint step;            /* -1: the original */
  gint64 input;
  PlComparisonOptions options;
  PlComparison *comparison;
} CompItem;

typedef struct {
  PlRecipe *recipe;
  PlGraph *graph;
  PlDataset *dataset;
  gint64 n_eval;
  PlEvaluation *original_eval;
  GPtrArray *steps;     /* PlPruneStep * per recipe step */
  GArray *comps;        /* CompItem, one per distinct (step, input, method options) */
  gboolean need_sweep;
  PlSweep *sweep;
} ReportWork;

static void
report_work_clear (ReportWork *w)
{
  g_clear_pointer (&w->original_eval, pl_evaluation_free);
  g_clear_pointer (&w->steps, g_ptr_array_unref);
  if (w->comps)
    for (guint i = 0; i < w->comps->len; i++)
      g_clear_pointer (&g_array_index (w->comps, CompItem, i).comparison, pl_comparison_free);
  g_clear_pointer (&w->comps, g_array_unref);
  g_clear_pointer (&w->sweep, pl_sweep_free);
}

/* The recipe's figure step (an index into steps, -1: the last, PL_RECIPE_STEP_ORIGINAL)
 * as the report's index: -1 = the original (reported as step 0), i = steps[i] (reported as
 * step i + 1). */
static gint
resolve_step (const PlRecipe *r, gint step)
{
  if (step == PL_RECIPE_STEP_ORIGINAL)
    return -1;
  return step < 0 ? (gint) r->steps->len - 1 : step;
}

static gint64
resolve_input (const PlRecipe *r, gint64 input)
{
  if (input >= 0)
    return input;
  return r->inputs->len > 0 ? g_array_index (r->inputs, gint64, 0) : 0;
}

static PlComparisonOptions
figure_options (const PlRecipe *r, const PlRecipeFigure *f)
{
  PlComparisonOptions o;
  pl_comparison_options_init (&o);
  if (r->explanations->len > 0)
    o = g_array_index (r->explanations, PlComparisonOptions, 0);
  if (f->method_set)
    {
      gboolean found = FALSE;
      for (guint i = 0; i < r->explanations->len && !found; i++)
        if (g_array_index (r->explanations, PlComparisonOptions, i).method == f->method)
          {
            o = g_array_index (r->explanations, PlComparisonOptions, i);
            found = TRUE;
          }
      o.method = f->method;
    }
  return o;
}

static gboolean
same_options (const PlComparisonOptions *a, const PlComparisonOptions *b)
{
  return a->method == b->method && a->grid == b->grid && a->shap_budget == b->shap_budget
         && a->seed == b->seed && a->baseline == b->baseline
         && a->topk_fraction == b->topk_fraction;
}

static gboolean
is_comparison_kind (PlRecipeFigureKind k)
{
  return k == PL_RECIPE_FIGURE_SALIENCY || k == PL_RECIPE_FIGURE_FEATURES
         || k == PL_RECIPE_FIGURE_SHAP;
}

/* Index of the comparison for (step, input, options), adding it when new. */
static guint
comp_index (ReportWork *w, gint step, gint64 input, const PlComparisonOptions *o)
{
  for (guint i = 0; i < w->comps->len; i++)
    {
      CompItem *c = &g_array_index (w->comps, CompItem, i);
      if (c->step == step && c->input == input && same_options (&c->options, o))
        return i;
    }
  CompItem c = { step, input, *o, NULL };
  g_array_append_val (w->comps, c);
  return w->comps->len - 1;
}

static PlProgress
next_part (const PlProgress *progress, double *part, double weight, double n_parts)
{
  double from = *part / n_parts;
  *part += weight;
  return pl_progress_sub (progress, from, MIN (*part / n_parts, 1.0));
}

static gboolean
report_work (gpointer data, const PlProgress *progress, GError **error)
{
  ReportWork *w = data;
  PlRecipe *r = w->recipe;
  guint n_steps = r->steps->len;
  double n_parts = 1 + n_steps + w->comps->len + (w->need_sweep ? 4 : 0);
  double part = 0;
#define NEXT(weight) next_part (progress, &part, (weight), n_parts)

  PlProgress p0 = NEXT (1);
  w->original_eval = pl_evaluate_classifier (w->graph, w->dataset, w->n_eval, &p0, error);
  if (!w->original_eval)
    return FALSE;
  for (guint i = 0; i < n_steps; i++)
    {
      PlRecipeStep *s = g_ptr_array_index (r->steps, i);
      g_autoptr (PlPruneConfig) config = pl_prune_config_copy (s->config);
      if (config->criterion == PL_PRUNE_CRITERION_TAYLOR)
        pl_prune_config_set_calibration (config, w->dataset, config->calibration_start,
                                         config->calibration_samples);
      PlProgress p = NEXT (1);
      PlPruneStep *step = pl_prune_step_run_config (w->graph, w->dataset, config, s->sparsity,
                                                    w->n_eval, &p, error);
      if (!step)
        {
          if (!g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_prefix_error (error, "steps[%u]: ", i);
          return FALSE;
        }
      g_ptr_array_add (w->steps, step);
    }
  for (guint i = 0; i < w->comps->len; i++)
    {
      CompItem *c = &g_array_index (w->comps, CompItem, i);
      PlGraph *pruned = c->step < 0 ? w->graph
                        : ((PlPruneStep *) g_ptr_array_index (w->steps, c->step))->pruned;
      PlProgress p = NEXT (1);
      c->comparison = pl_comparison_compute (w->graph, pruned, w->dataset, c->input,
                                             &c->options, &p, error);
      if (!c->comparison)
        return FALSE;
    }
  if (w->need_sweep)
    {
      PlSweepOptions so;
      pl_sweep_options_init (&so);
      so.n_eval = w->n_eval;
      if (r->inputs->len > 0)
        {
          so.indices = (const gint64 *) r->inputs->data;
          so.n_indices = r->inputs->len;
          so.film_index = g_array_index (r->inputs, gint64, 0);
        }
      else
        so.n_indices = MIN (so.n_indices, w->dataset->n);
      so.n_bootstrap = MAX (r->sweep_bootstrap, 1);
      so.seed = r->sweep_seed;
      if (r->explanations->len > 0)
        so.topk_fraction = g_array_index (r->explanations, PlComparisonOptions, 0).topk_fraction;
      PlProgress p = NEXT (4);
      w->sweep = pl_sweep_run (w->graph, w->dataset, (const double *) r->sweep_sparsities->data,
                               (gint) r->sweep_sparsities->len, &so, &p, error);
      if (!w->sweep)
        return FALSE;
    }
#undef NEXT
  return TRUE;
}

/* ---- figures owned by the report: src/render/pl-report-figures.h ---- */

/* ---- output helpers ---- */

/* The files are written into a staging folder inside DIR and moved into DIR only when all
 * of them are complete, so a failure or Ctrl-C while writing leaves no partial report. */
static volatile sig_atomic_t write_cancelled = 0;

static void
on_sigint_while_writing (int sig)
{
  (void) sig;
  write_cancelled = 1;
}

/* Removes the staging folder and what was written into it. */
static void
stage_discard (const char *stage)
{
  g_autoptr (GDir) dir = g_dir_open (stage, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (stage, name, NULL);
      g_unlink (path);
    }
  g_rmdir (stage);
}

/* TRUE for the name of a staging folder g_mkdtemp made from ".report-XXXXXX": the
 * prefix and exactly six letters or digits. */
static gboolean
is_stage_name (const char *name)
{
  if (!g_str_has_prefix (name, ".report-") || strlen (name) != strlen (".report-") + 6)
    return FALSE;
  for (const char *p = name + strlen (".report-"); *p; p++)
    if (!g_ascii_isalnum (*p))
      return FALSE;
  return TRUE;
}

/* Removes staging folders that interrupted runs (kill -9) left in dir: folders (not links)
 * named exactly as is_stage_name says, last changed before this process started. */
static void
remove_stale_stages (const char *dir, gint64 started_us)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      if (!is_stage_name (name))
        continue;
      g_autofree char *path = g_build_filename (dir, name, NULL);
      GStatBuf st;
      if (g_lstat (path, &st) != 0 || !S_ISDIR (st.st_mode)
          || (gint64) st.st_mtime * G_USEC_PER_SEC >= started_us)
        continue;
      stage_discard (path);
      if (!opt_quiet && !g_file_test (path, G_FILE_TEST_EXISTS))
        fprintf (stderr, _("prunelens-cli: removed %s, left by an interrupted report\n"), path);
    }
}

/* The names of the files a report writes: report.pdf, metrics.csv, metrics.json and
 * figure-NN-….png. Only such files are ever replaced or removed in the output folder. */
static gboolean
is_report_file (const char *name)
{
  if (g_str_equal (name, "report.pdf") || g_str_equal (name, "metrics.csv")
      || g_str_equal (name, "metrics.json"))
    return TRUE;
  return g_str_has_prefix (name, "figure-") && strlen (name) > 11
         && g_ascii_isdigit (name[7]) && g_ascii_isdigit (name[8]) && name[9] == '-'
         && g_str_has_suffix (name, ".png");
}

/* TRUE when dir/metrics.json is a report's metrics (a JSON object with "recipe", "steps"
 * and "comparisons"). */
static gboolean
holds_earlier_report (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "metrics.json", NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return FALSE;
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_file (parser, path, NULL))
    return FALSE;
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  JsonObject *o = json_node_get_object (root);
  return json_object_has_member (o, "recipe") && json_object_has_member (o, "steps")
         && json_object_has_member (o, "comparisons");
}

/* May the report write into dir? Yes when dir does not exist, holds no file with a report's
 * name, or holds an earlier report (then *earlier is TRUE: its report files that the new
 * run does not write are removed after the new ones are in place). A folder with
 * report-named files but no earlier report's metrics.json is refused (nothing is removed
 * or replaced there). */
static gboolean
check_report_folder (const char *dir, gboolean *earlier, GError **error)
{
  *earlier = FALSE;
  if (!g_file_test (dir, G_FILE_TEST_EXISTS))
    return TRUE;
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   _("%s: not a folder; --output names the folder the report is written to"),
                   dir);
      return FALSE;
    }
  g_autoptr (GDir) d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return FALSE;
  const char *name;
  g_autofree char *clash = NULL;   /* the first report-named file found */
  while (clash == NULL && (name = g_dir_read_name (d)) != NULL)
    if (is_report_file (name))
      clash = g_strdup (name);
  if (clash == NULL)
    return TRUE;
  if (!holds_earlier_report (dir))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   _("%s: the folder holds “%s” but no earlier PruneLens report (its "
                     "metrics.json); refusing to replace files there — choose a new or empty "
                     "folder, or one an earlier report was written to"), dir, clash);
      return FALSE;
    }
  *earlier = TRUE;
  return TRUE;
}

/* After a report replaced an earlier one in dir: removes the earlier report's files that
 * the new one did not write (written: the names just moved in). */
static void
remove_stale (const char *dir, GHashTable *written)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) stale = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (is_report_file (name) && !g_hash_table_contains (written, name))
      g_ptr_array_add (stale, g_build_filename (dir, name, NULL));
  for (guint i = 0; i < stale->len; i++)
    g_unlink (g_ptr_array_index (stale, i));
}

/* Moves every file of the staging folder into dir, then removes the folder; the names
 * moved are added to written. */
static gboolean
stage_commit (const char *stage, const char *dir, GHashTable *written, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (stage, 0, error);
  if (d == NULL)
    return FALSE;
  const char *name;
  /* Every destination is checked before anything moves: a folder or other non-file in the
   * way would otherwise stop the moves half-way and leave a mixed report. */
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *to = g_build_filename (dir, name, NULL);
      GStatBuf st;
      if (g_lstat (to, &st) == 0 && !S_ISREG (st.st_mode))
        {
          g_set_error (error, PL_ERROR, PL_ERROR_IO,
                       _("%s: is in the way of the report's file of that name and is not a "
                         "regular file; nothing was replaced"), to);
          return FALSE;
        }
    }
  g_dir_rewind (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_hash_table_add (written, g_strdup (name));
      g_autofree char *from = g_build_filename (stage, name, NULL);
      g_autofree char *to = g_build_filename (dir, name, NULL);
      if (g_rename (from, to) != 0)
        {
          int e = errno;
          g_set_error (error, PL_ERROR, PL_ERROR_IO, _("Cannot move %s to %s: %s"), from, to,
                       g_strerror (e));
          return FALSE;
        }
    }
  g_rmdir (stage);
  return TRUE;
}

static char *
num (double v)
{
  if (!isfinite (v))
    return g_strdup ("");
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.10g", v));
}

typedef struct {
  GString *csv;
  PlReport *pdf;
} Metrics;

/* One metric: a CSV row "scope,step,input,method,metric,value" and a PDF table row. */
static void
metric (Metrics *m, const char *scope, gint step, gint64 input, const char *method,
        const char *name, double value)
{
  g_autofree char *v = num (value);
  g_autofree char *s = step >= 0 ? g_strdup_printf ("%d", step) : g_strdup ("");
  g_autofree char *in = input >= 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, input) : g_strdup ("");
  g_string_append_printf (m->csv, "%s,%s,%s,%s,%s,%s\n", scope, s, in, method ? method : "",
                          name, v);
  g_autofree char *label = g_strdup_printf ("%s %s", scope, name);
  g_autofree char *shown = isfinite (value) ? g_strdup_printf ("%.4f", value) : g_strdup ("–");
  const char *cells[] = { label, s, in, method ? method : "", shown, NULL };
  pl_report_add_metrics_row (m->pdf, cells);
}

static void
json_similarity (JsonBuilder *b, const char *name, const PlSimilarity *s)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  jb_double (b, "spearman", s->spearman);
  jb_double (b, "pearson", s->pearson);
  jb_double (b, "cosine", s->cosine);
  jb_double (b, "topk_intersection", s->topk_intersection);
  jb_int (b, "k", s->k);
  json_builder_end_object (b);
}

static gboolean
write_text (const char *path, const char *text, gsize len, GError **error)
{
  g_autoptr (GError) local = NULL;
  if (!g_file_set_contents_full (path, text, (gssize) len, G_FILE_SET_CONTENTS_CONSISTENT,
                                 0644, &local))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_IO, "%s: cannot write: %s", path, local->message);
      return FALSE;
    }
  return TRUE;
}

static char *
basename_of (const char *path)
{
  return g_path_get_basename (path);
}

/* ---- the command ---- */

static gboolean
open_recipe_data (const PlRecipe *r, const char *model_path, PlGraph **graph,
                  PlDataset **dataset, GError **error)
{
  g_autofree char *data = r->dataset_path ? pl_recipe_resolve_path (r, r->dataset_path) : NULL;
  g_autofree char *label = NULL;
  if (r->label_column)
    label = g_strdup (r->label_column);
  return open_model_and_dataset_full (model_path, data, r->dataset_split ? r->dataset_split
                                      : "test", label, graph, dataset, error);
}

int
cmd_report (int argc, char **argv)
{
  const gint64 started_us = g_get_real_time ();
  g_autofree char *output = NULL;
  gboolean example = FALSE, json = FALSE;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Folder for report.pdf, metrics.csv, metrics.json and the figures"), "DIR" },
    { "example", 0, 0, G_OPTION_ARG_NONE, &example, N_("Print an example recipe and exit"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print metrics.json on stdout"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("RECIPE.json — a recipe's report: PDF, CSV, JSON and figures"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (ctx,
      _("Runs a recipe (the same JSON format as a saved .prunelens session): opens its\n"
        "model (checking its SHA-256) and dataset, applies each pruning step to the\n"
        "original network, computes the explanations and the sweep its figures need, and\n"
        "writes DIR/report.pdf, DIR/metrics.csv, DIR/metrics.json and DIR/figure-NN-*.png.\n"
        "The same recipe gives the same bytes on the same machine and thread count.\n\n"
        "Examples:\n"
        "  prunelens-cli report --example > demo.json\n"
        "  prunelens-cli report data/recipes/fashion-demo.json -o out\n"));
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (example)
    {
      if (argc > 1)
        return usage_error (ctx, _("--example takes no RECIPE"));
      fputs (pl_recipe_example (), stdout);
      return 0;
    }
  if (argc != 2)
    return usage_error (ctx, _("report needs exactly one RECIPE.json"));
  if (output == NULL)
    return usage_error (ctx, _("report needs --output DIR"));

  g_autoptr (GError) error = NULL;
  const char *recipe_path = argv[1];
  g_autoptr (PlRecipe) r = pl_recipe_load_file (recipe_path, &error);
  if (!r)
    return fail (g_steal_pointer (&error));
  for (guint i = 0; i < r->warnings->len; i++)
    fprintf (stderr, _("prunelens-cli report: warning: %s\n"),
             (const char *) g_ptr_array_index (r->warnings, i));
  if (!pl_recipe_check_model (r, &error))
    return fail_in (recipe_path, g_steal_pointer (&error));
  g_autofree char *model_path = pl_recipe_model_file (r);

  g_autoptr (PlGraph) g = NULL;
  g_autoptr (PlDataset) ds = NULL;
  cli_check_finite = TRUE;
  if (!open_recipe_data (r, model_path, &g, &ds, &error))
    return fail (g_steal_pointer (&error));
  for (guint i = 0; i < r->inputs->len; i++)
    if (g_array_index (r->inputs, gint64, i) >= ds->n)
      {
        fprintf (stderr, _("prunelens-cli: %s: inputs[%u]: sample %lld"
                           " is outside %s (%lld samples)\n"),
                 recipe_path, i, (long long) g_array_index (r->inputs, gint64, i), ds->name,
                 (long long) ds->n);
        return EXIT_FAILURE;
      }
  /* A table dataset: comparison figures become feature bars (pl-table-figure.h); figures
   * without a table equivalent are skipped with a warning naming them. */
  g_autofree gboolean *skip = g_new0 (gboolean, MAX (r->figures->len, 1));
  g_autoptr (GString) skipped = g_string_new (NULL);
  if (ds->kind == PL_DATASET_TABLE && r->sweep_sparsities->len > 0 && !opt_quiet)
    fprintf (stderr, _("prunelens-cli report: warning: %s: the sweep is not computed for a "
                       "table dataset (use prunelens-cli sweep --data TABLE.csv)\n"),
             recipe_path);
  for (guint i = 0; i < r->figures->len && ds->kind == PL_DATASET_TABLE; i++)
    {
      const PlRecipeFigure *f = &g_array_index (r->figures, PlRecipeFigure, i);
      const char *why = NULL;
      if (f->kind == PL_RECIPE_FIGURE_SWEEP || f->kind == PL_RECIPE_FIGURE_FILMSTRIP)
        why = _("it needs an image dataset (tables: saliency, features, shap, confusion, "
                "histogram)");
      else if (is_comparison_kind (f->kind)
               && figure_options (r, f).method == PL_MAP_GRAD_CAM)
        why = _("Grad-CAM needs a convolution layer; a table model has none");
      if (why != NULL)
        {
          if (!opt_quiet)
            fprintf (stderr,
                     _("prunelens-cli report: warning: %s: figures[%u] (%s) skipped: %s\n"),
                     recipe_path, i, pl_recipe_figure_kind_id (f->kind), why);
          skip[i] = TRUE;
          g_string_append_printf (skipped, "%sfigures[%u] (%s)", skipped->len ? ", " : "", i,
                                  pl_recipe_figure_kind_id (f->kind));
        }
    }
  for (guint i = 0; i < r->figures->len; i++)
    {
      const PlRecipeFigure *f = &g_array_index (r->figures, PlRecipeFigure, i);
      const char *problem = NULL;
      if (skip[i])
        continue;
      if (f->input >= ds->n)
        problem = _("the input is outside the dataset");
      else if ((f->kind == PL_RECIPE_FIGURE_SWEEP || f->kind == PL_RECIPE_FIGURE_FILMSTRIP)
               && r->sweep_sparsities->len == 0)
        problem = _("a sweep figure needs sweep.sparsities");
      else if (f->kind == PL_RECIPE_FIGURE_FILMSTRIP
               && r->sweep_sparsities->len > PL_FILMSTRIP_MAX_FRAMES)
        problem = _("a filmstrip shows at most 12 sparsities");
      if (problem)
        {
          fprintf (stderr, "prunelens-cli: %s: figures[%u]: %s\n", recipe_path, i, problem);
          return EXIT_FAILURE;
        }
    }
  gboolean earlier_report = FALSE;
  if (!check_report_folder (output, &earlier_report, &error)
      || !check_output_writable (output, TRUE, &error))
    return fail (g_steal_pointer (&error));

  ReportWork w = { .recipe = r, .graph = g, .dataset = ds };
  w.n_eval = r->n_eval <= 0 ? ds->n : MIN (r->n_eval, ds->n);
  w.steps = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_prune_step_free);
  w.comps = g_array_new (FALSE, TRUE, sizeof (CompItem));
  g_autofree guint *fig_comp = g_new0 (guint, MAX (r->figures->len, 1));
  for (guint i = 0; i < r->figures->len; i++)
    {
      const PlRecipeFigure *f = &g_array_index (r->figures, PlRecipeFigure, i);
      if (!skip[i] && is_comparison_kind (f->kind))
        {
          PlComparisonOptions o = figure_options (r, f);
          fig_comp[i] = comp_index (&w, resolve_step (r, f->step), resolve_input (r, f->input),
                                    &o);
        }
    }
  /* Every explanation on every input at the last step also goes into the metrics. */
  /* (Tables: every method but Grad-CAM, which needs a convolution.) */
  for (guint e = 0; e < r->explanations->len; e++)
    {
      const PlComparisonOptions *eo = &g_array_index (r->explanations, PlComparisonOptions, e);
      if (ds->kind == PL_DATASET_TABLE && eo->method == PL_MAP_GRAD_CAM)
        continue;
      for (guint i = 0; i < r->inputs->len; i++)
        comp_index (&w, resolve_step (r, -1), g_array_index (r->inputs, gint64, i), eo);
    }
  w.need_sweep = r->sweep_sparsities->len > 0 && ds->kind != PL_DATASET_TABLE;

  if (!run_job (report_work, &w, &error))
    {
      report_work_clear (&w);
      return fail_in (recipe_path, g_steal_pointer (&error));
    }

  /* ---- report, figures, metrics: into a staging folder, then moved into output ---- */
  remove_stale_stages (output, started_us - G_USEC_PER_SEC);
  g_autofree char *stage = g_build_filename (output, ".report-XXXXXX", NULL);
  if (g_mkdtemp (stage) == NULL)
    {
      int e = errno;
      report_work_clear (&w);
      fprintf (stderr, "prunelens-cli: %s: cannot write there: %s\n", output, g_strerror (e));
      return EXIT_FAILURE;
    }
  write_cancelled = 0;
  void (*previous_sigint) (int) = signal (SIGINT, on_sigint_while_writing);
  g_autofree char *model_name = basename_of (model_path);
  g_autofree char *recipe_name = basename_of (recipe_path);
  g_autoptr (PlReport) pdf = pl_report_new (r->title ? r->title : _("PruneLens report"));
  g_autoptr (GDateTime) date = r->date ? g_date_time_new_from_iso8601 (r->date, NULL) : NULL;
  pl_report_set_date (pdf, date);
  pl_report_add_fact (pdf, _("Recipe"), recipe_name);
  g_autofree char *model_fact = g_strdup_printf ("%s (SHA-256 %s)", model_name,
                                                 r->model_sha256 ? r->model_sha256 : "not given");
  pl_report_add_fact (pdf, _("Model"), model_fact);
  g_autofree char *ds_fact = g_strdup_printf (_("%s, %lld samples, %d classes; "
                                                "evaluation on the first %lld"),
                                              ds->name, (long long) ds->n, ds->n_classes,
                                              (long long) w.n_eval);
  pl_report_add_fact (pdf, _("Dataset"), ds_fact);
  g_autofree char *threads = threads_description ();
  pl_report_add_fact (pdf, _("Threads"), threads);
  if (skipped->len > 0)
    {
      g_autofree char *sk = g_strdup_printf (_("%s: no table equivalent"), skipped->str);
      pl_report_add_fact (pdf, _("Skipped figures"), sk);
    }
  pl_report_add_step (pdf, 0, _("original"), 0, pl_graph_weight_sparsity (g),
                      w.original_eval->accuracy, w.original_eval->n);
  for (guint i = 0; i < w.steps->len; i++)
    {
      PlPruneStep *s = g_ptr_array_index (w.steps, i);
      PlRecipeStep *rs = g_ptr_array_index (r->steps, i);
      g_autofree char *desc = g_strdup_printf ("%s, seed %" G_GUINT64_FORMAT, s->description,
                                               rs->config->seed);
      pl_report_add_step (pdf, (gint) i + 1, desc, s->target_sparsity, s->achieved_sparsity,
                          s->evaluation->accuracy, s->evaluation->n);
    }

  GPtrArray *written = g_ptr_array_new_with_free_func (g_free);
  double dpi = r->dpi;
  for (guint i = 0; i < r->figures->len; i++)
    {
      const PlRecipeFigure *f = &g_array_index (r->figures, PlRecipeFigure, i);
      if (skip[i])
        continue;
      gint st = resolve_step (r, f->step);
      g_autofree char *what = st < 0 ? g_strdup (_("step 0 (original)"))
                                     : g_strdup_printf (_("step %d"), st + 1);
      PlDrawFunc draw = NULL;
      gpointer fig = NULL;
      GDestroyNotify destroy = NULL;
      double wi = 6.5, hi = 3.6;
      const char *desc = NULL;
      g_autofree char *name = NULL;
      if (is_comparison_kind (f->kind))
        {
          CompItem *c = &g_array_index (w.comps, CompItem, fig_comp[i]);
          PlFigureContext fc = { 0 };
          fc.model_name = model_name;
          fc.dataset_name = ds->name;
          PlPruneStep *ps = st >= 0 ? g_ptr_array_index (w.steps, st) : NULL;
          fc.sparsity = ps ? ps->achieved_sparsity : pl_graph_weight_sparsity (g);
          /* "S % of prunable weights" only where S is such a share (not for N:M or
           * layer-wise channel steps) */
          const PlRecipeStep *prs = st >= 0 ? g_ptr_array_index (r->steps, st) : NULL;
          fc.target_sparsity = ps && prs && pl_prune_config_target_is_weight_share (prs->config)
                                 ? ps->target_sparsity : 0.0;
          fc.pruning = ps ? ps->description : _("not pruned");
          fc.class_names = (const char *const *) ds->class_names;
          fc.n_classes = ds->n_classes;
          fc.caption = r->captions;
          PlFigureKind kind = f->kind == PL_RECIPE_FIGURE_SALIENCY ? PL_FIGURE_SALIENCY
                              : f->kind == PL_RECIPE_FIGURE_FEATURES ? PL_FIGURE_FEATURES
                              : PL_FIGURE_SHAP;
          PlComparisonFigure *cf = pl_comparison_figure_new (kind, c->comparison, &fc);
          pl_comparison_figure_size (cf, &wi, &hi);
          draw = pl_comparison_figure_draw;
          fig = cf;
          destroy = (GDestroyNotify) pl_comparison_figure_free;
          desc = pl_comparison_figure_description (cf);
          name = g_strdup_printf ("figure-%02u-%s-step%d-input%" G_GINT64_FORMAT ".png", i + 1,
                                  pl_recipe_figure_kind_id (f->kind), st + 1, c->input);
        }
      else if (f->kind == PL_RECIPE_FIGURE_SWEEP)
        {
          PlSweepLineFigure *lf = pl_sweep_line_figure_new (w.sweep, TRUE);
          draw = (PlDrawFunc) pl_line_figure_draw;
          fig = &lf->figure; /* figure is the first member: freeing fig frees lf */
          destroy = (GDestroyNotify) pl_sweep_line_figure_free;
          wi = 6.5, hi = 3.6;
          name = g_strdup_printf ("figure-%02u-sweep.png", i + 1);
        }
      else if (f->kind == PL_RECIPE_FIGURE_FILMSTRIP)
        {
          PlSweepFilmstrip *fs = pl_sweep_filmstrip_new (w.sweep, TRUE);
          draw = (PlDrawFunc) pl_filmstrip_figure_draw;
          fig = &fs->figure;
          destroy = (GDestroyNotify) pl_sweep_filmstrip_free;
          wi = 6.5, hi = 1.9;
          name = g_strdup_printf ("figure-%02u-filmstrip-input%" G_GINT64_FORMAT ".png", i + 1,
                                  w.sweep->film_index);
        }
      else if (f->kind == PL_RECIPE_FIGURE_CONFUSION)
        {
          const PlEvaluation *ev = st < 0 ? w.original_eval
              : ((PlPruneStep *) g_ptr_array_index (w.steps, st))->evaluation;
          PlOwnedMatrixFigure *cm = pl_report_confusion_figure_new (ds, ev, what);
          draw = (PlDrawFunc) pl_matrix_figure_draw;
          fig = &cm->figure;
          destroy = (GDestroyNotify) pl_owned_matrix_figure_free;
          wi = PL_REPORT_CONFUSION_WIDTH_IN, hi = PL_REPORT_CONFUSION_HEIGHT_IN;
          name = g_strdup_printf ("figure-%02u-confusion-step%d.png", i + 1, st + 1);
        }
      else /* HISTOGRAM */
        {
          PlGraph *pg = st < 0 ? g : ((PlPruneStep *) g_ptr_array_index (w.steps, st))->pruned;
          PlOwnedHistogramFigure *hf = pl_report_weight_histogram_figure_new (g, pg, what);
          draw = (PlDrawFunc) pl_histogram_figure_draw;
          fig = &hf->figure;
          destroy = (GDestroyNotify) pl_owned_histogram_figure_free;
          wi = PL_REPORT_HISTOGRAM_WIDTH_IN, hi = PL_REPORT_HISTOGRAM_HEIGHT_IN;
          name = g_strdup_printf ("figure-%02u-histogram-step%d.png", i + 1, st + 1);
        }
      g_autofree char *png = g_build_filename (stage, name, NULL);
      if (write_cancelled
          || !pl_render_png (draw, fig, wi, hi, dpi, png, name, desc, &error))
        {
          destroy (fig);
          g_ptr_array_unref (written);
          report_work_clear (&w);
          stage_discard (stage);
          signal (SIGINT, previous_sigint);
          if (write_cancelled)
            {
              fprintf (stderr, "prunelens-cli: %s\n", _("Operation was cancelled"));
              return EXIT_FAILURE;
            }
          return fail (g_steal_pointer (&error));
        }
      g_ptr_array_add (written, g_steal_pointer (&name));
      pl_report_add_figure (pdf, draw, fig, destroy, wi, hi, NULL);
    }

  /* Metrics: CSV, JSON, and the PDF's table. */
  Metrics m = { g_string_new ("scope,step,input,method,metric,value\n"), pdf };
  static const char *const header[] = { "Metric", "Step", "Input", "Method", "Value", NULL };
  pl_report_set_metrics_header (pdf, header);
  metric (&m, "step", 0, -1, NULL, "accuracy", w.original_eval->accuracy);
  metric (&m, "step", 0, -1, NULL, "sparsity", pl_graph_weight_sparsity (g));
  for (guint i = 0; i < w.steps->len; i++)
    {
      PlPruneStep *s = g_ptr_array_index (w.steps, i);
      metric (&m, "step", (gint) i + 1, -1, NULL, "accuracy", s->evaluation->accuracy);
      metric (&m, "step", (gint) i + 1, -1, NULL, "target_sparsity", s->target_sparsity);
      metric (&m, "step", (gint) i + 1, -1, NULL, "sparsity", s->achieved_sparsity);
    }
  for (guint i = 0; i < w.comps->len; i++)
    {
      CompItem *c = &g_array_index (w.comps, CompItem, i);
      const PlComparison *cp = c->comparison;
      const char *mid = pl_map_method_id (c->options.method);
      gint st = c->step + 1;
      metric (&m, "saliency", st, c->input, mid, "spearman", cp->saliency_similarity.spearman);
      metric (&m, "saliency", st, c->input, mid, "pearson", cp->saliency_similarity.pearson);
      metric (&m, "saliency", st, c->input, mid, "topk_intersection",
              cp->saliency_similarity.topk_intersection);
      metric (&m, "patches", st, c->input, mid, "spearman", cp->patch_similarity.spearman);
      metric (&m, "shap", st, c->input, mid, "spearman", cp->shap_similarity.spearman);
      metric (&m, "shap", st, c->input, mid, "topk_intersection",
              cp->shap_similarity.topk_intersection);
    }
  if (w.sweep)
    for (gint p = 0; p < w.sweep->n_points; p++)
      {
        const PlSweepPoint *pt = &w.sweep->points[p];
        g_autofree char *nm = g_strdup_printf ("accuracy@%g", pt->sparsity_requested);
        metric (&m, "sweep", -1, -1, NULL, nm, pt->accuracy);
        g_autofree char *sp = g_strdup_printf ("sparsity@%g", pt->sparsity_requested);
        metric (&m, "sweep", -1, -1, NULL, sp, pt->sparsity);
      }

  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  jb_string (b, "recipe", recipe_name);
  jb_string (b, "title", r->title);
  jb_string (b, "date", r->date);
  jb_string (b, "model", model_name);
  jb_string (b, "model_sha256", r->model_sha256);
  jb_string (b, "dataset", ds->name);
  jb_int (b, "dataset_size", ds->n);
  jb_int (b, "n_eval", w.n_eval);
  jb_string (b, "threads", threads);
  json_builder_set_member_name (b, "steps");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  jb_int (b, "step", 0);
  jb_string (b, "description", "original");
  jb_double (b, "sparsity", pl_graph_weight_sparsity (g));
  jb_double (b, "accuracy", w.original_eval->accuracy);
  jb_int (b, "correct", w.original_eval->correct);
  json_builder_end_object (b);
  for (guint i = 0; i < w.steps->len; i++)
    {
      PlPruneStep *s = g_ptr_array_index (w.steps, i);
      PlRecipeStep *rs = g_ptr_array_index (r->steps, i);
      json_builder_begin_object (b);
      jb_int (b, "step", i + 1);
      jb_string (b, "description", s->description);
      jb_int (b, "seed", (gint64) rs->config->seed);
      jb_double (b, "target_sparsity", s->target_sparsity);
      jb_double (b, "sparsity", s->achieved_sparsity);
      jb_int (b, "prunable_weights", s->n_weights);
      jb_double (b, "accuracy", s->evaluation->accuracy);
      jb_int (b, "correct", s->evaluation->correct);
      jb_int (b, "finetune_epochs_not_run", rs->finetune_epochs);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "comparisons");
  json_builder_begin_array (b);
  for (guint i = 0; i < w.comps->len; i++)
    {
      CompItem *c = &g_array_index (w.comps, CompItem, i);
      const PlComparison *cp = c->comparison;
      json_builder_begin_object (b);
      jb_int (b, "step", c->step + 1);
      jb_int (b, "input", c->input);
      jb_string (b, "method", pl_map_method_id (c->options.method));
      jb_string (b, "parameters", cp->map_parameters);
      jb_int (b, "grid", c->options.grid);
      jb_int (b, "shap_budget", c->options.shap_budget);
      jb_int (b, "shap_evaluations", cp->shap_evaluations);
      jb_int (b, "seed", (gint64) c->options.seed);
      jb_double (b, "baseline", c->options.baseline);
      jb_double (b, "topk_fraction", c->options.topk_fraction);
      jb_int (b, "label", cp->label);
      jb_int (b, "target", cp->target);
      jb_int (b, "pred_original", cp->pred[0]);
      jb_int (b, "pred_pruned", cp->pred[1]);
      json_similarity (b, "saliency_similarity", &cp->saliency_similarity);
      json_similarity (b, "patch_similarity", &cp->patch_similarity);
      json_similarity (b, "shap_similarity", &cp->shap_similarity);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (w.sweep)
    {
      json_builder_set_member_name (b, "sweep");
      json_builder_begin_object (b);
      jb_int (b, "n_bootstrap", w.sweep->options.n_bootstrap);
      jb_int (b, "seed", (gint64) w.sweep->options.seed);
      jb_int (b, "film_index", w.sweep->film_index);
      json_builder_set_member_name (b, "points");
      json_builder_begin_array (b);
      for (gint p = 0; p < w.sweep->n_points; p++)
        {
          const PlSweepPoint *pt = &w.sweep->points[p];
          json_builder_begin_object (b);
          jb_double (b, "sparsity_requested", pt->sparsity_requested);
          jb_double (b, "sparsity", pt->sparsity);
          jb_double (b, "accuracy", pt->accuracy);
          for (gint k = 0; k < PL_SWEEP_N_METRICS; k++)
            jb_double (b, pl_sweep_metric_name ((PlSweepMetric) k), pt->summary[k].mean);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_set_member_name (b, "figures");
  json_builder_begin_array (b);
  for (guint i = 0; i < written->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (written, i));
  json_builder_end_array (b);
  /* The recipe as run, with every default filled in. */
  {
    g_autofree char *text = pl_recipe_to_data (r, NULL);
    g_autoptr (JsonNode) node = json_from_string (text, NULL);
    if (node)
      {
        json_builder_set_member_name (b, "parameters");
        json_builder_add_value (b, g_steal_pointer (&node));
      }
  }
  json_builder_end_object (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  gsize jlen = 0;
  g_autofree char *jtext = json_generator_to_data (gen, &jlen);
  g_autofree char *jtext_nl = g_strconcat (jtext, "\n", NULL);

  g_autofree char *pdf_path = g_build_filename (output, "report.pdf", NULL);
  g_autofree char *csv_path = g_build_filename (output, "metrics.csv", NULL);
  g_autofree char *json_path = g_build_filename (output, "metrics.json", NULL);
  g_autoptr (GHashTable) moved = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *pdf_stage = g_build_filename (stage, "report.pdf", NULL);
  g_autofree char *csv_stage = g_build_filename (stage, "metrics.csv", NULL);
  g_autofree char *json_stage = g_build_filename (stage, "metrics.json", NULL);
  gboolean ok = !write_cancelled && write_text (csv_stage, m.csv->str, m.csv->len, &error)
                && write_text (json_stage, jtext_nl, jlen + 1, &error)
                && pl_report_write_pdf (pdf, pdf_stage, &error)
                && !write_cancelled && stage_commit (stage, output, moved, &error);
  if (ok && earlier_report)
    remove_stale (output, moved);
  g_string_free (m.csv, TRUE);
  /* counted before report_work_clear: the report's figures point into the work's data */
  const gint n_pages = ok && !json && !opt_quiet ? pl_report_n_pages (pdf) : 0;
  guint n_figures = written->len;
  g_ptr_array_unref (written);
  report_work_clear (&w);
  signal (SIGINT, previous_sigint);
  if (!ok)
    {
      stage_discard (stage);
      if (error == NULL)
        {
          fprintf (stderr, "prunelens-cli: %s\n", _("Operation was cancelled"));
          return EXIT_FAILURE;
        }
      return fail (g_steal_pointer (&error));
    }
  if (json)
    fputs (jtext_nl, stdout);
  else if (!opt_quiet)
    printf (_("wrote %s (%d pages), %s, %s and %u figures\n"), pdf_path, n_pages, csv_path,
            json_path, n_figures);
  return 0;
}
