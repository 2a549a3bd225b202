/* cli-compare.c — prunelens-cli compare: original vs pruned explanations over N inputs. */
#include "cli-common.h"

#include <math.h>

#include <errno.h>

/* ---- compare ---- */

typedef struct {
  PlGraph *graph;
  const PlDataset *dataset;
  double sparsity;
  const PlPruneConfig *config;
  PlCompareOptions options;
  PlPruneStep *step;
  PlCompareReport *report;
} CompareWork;

static gboolean
compare_work (gpointer data, const PlProgress *progress, GError **error)
{
  CompareWork *w = data;
  PlProgress a = pl_progress_sub (progress, 0.0, 0.05);
  w->step = pl_prune_step_run_config (w->graph, w->dataset, w->config, w->sparsity, 1, &a,
                                      error);
  if (w->step == NULL)
    return FALSE;
  PlProgress b = pl_progress_sub (progress, 0.05, 1.0);
  w->report = pl_compare_sample (w->graph, w->step->pruned, w->dataset, &w->options, &b, error);
  return w->report != NULL;
}

/* The pruning setup of compare (--criterion, --granularity, global, --protect), as
 * `prune` reports it: criterion, granularity, scope, protected layers, sparsity and seed. */
typedef struct {
  const char *criterion, *scope;
  char *granularity;        /* owned */
  char **protected_layers;  /* owned */
  double target, achieved;
  guint64 seed;             /* the pruning seed (used by the random criterion only) */
} PruneSetup;

static void
prune_setup_init (PruneSetup *ps, const PlPruneConfig *config, const PlGraph *graph,
                  double target, double achieved)
{
  ps->criterion = cli_criterion_name (config->criterion);
  ps->granularity = cli_granularity_name (config);
  ps->scope = config->scope == PL_PRUNE_SCOPE_LAYERWISE ? "layer-wise" : "global";
  ps->protected_layers = config->protected_layers ? g_strdupv (config->protected_layers)
                                                  : pl_prune_default_protected (graph);
  ps->target = target;
  ps->achieved = achieved;
  ps->seed = config->seed;
}

/* text (a JSON object) with a "pruning" member added; NULL on a parse error. */
static char *
json_with_pruning (const char *text, gsize len, const PruneSetup *ps, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, (gssize) len, error))
    return NULL;
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_FAILED, _("The compare report is not a JSON object"));
      return NULL;
    }
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "criterion", ps->criterion);
  json_object_set_string_member (o, "granularity", ps->granularity);
  json_object_set_string_member (o, "scope", ps->scope);
  JsonArray *a = json_array_new ();
  for (char **p = ps->protected_layers; p && *p; p++)
    json_array_add_string_element (a, *p);
  json_object_set_array_member (o, "protected", a);
  json_object_set_double_member (o, "target_sparsity", ps->target);
  json_object_set_double_member (o, "achieved_sparsity", ps->achieved);
  json_object_set_int_member (o, "seed", (gint64) ps->seed);
  json_object_set_object_member (json_node_get_object (root), "pruning", o);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 2);
  json_generator_set_root (gen, root);
  char *out = json_generator_to_data (gen, NULL);
  char *nl = g_strconcat (out, "\n", NULL);
  g_free (out);
  return nl;
}

/* summary.csv with "# pruning_…" parameter lines put in front of its own. */
static gboolean
summary_with_pruning (const char *path, const PruneSetup *ps, GError **error)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, error))
    return FALSE;
  g_autofree char *prot = g_strjoinv (" ", ps->protected_layers);
  g_autofree char *s = g_strdup_printf ("# pruning_criterion,%s\n# pruning_granularity,%s\n"
                                        "# pruning_scope,%s\n# pruning_protected,\"%s\"\n"
                                        "# pruning_target_sparsity,%.6g\n"
                                        "# pruning_achieved_sparsity,%.6g\n"
                                        "# pruning_seed,%" G_GUINT64_FORMAT "\n%s",
                                        ps->criterion, ps->granularity, ps->scope, prot,
                                        ps->target, ps->achieved, ps->seed, text);
  return g_file_set_contents (path, s, -1, error);
}

int
cmd_compare (int argc, char **argv)
{
  g_autofree char *data_dir = NULL;
  g_autofree char *output = NULL;
  g_autofree char *sparsity_text = NULL;
  g_autofree char *criterion_text = NULL;
  g_autofree char *granularity_text = NULL;
  gint64 n = 100, seed = 1, rand_inputs = 10;
  gint grid = 0, bootstrap = 2000;   /* grid 0: not given (4, or less on smaller images) */
  double topk = 0.1;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "sparsity", 's', 0, G_OPTION_ARG_STRING, &sparsity_text, N_("Sparsity of the pruned network: 0.9 or 90%"), "S" },
    { "criterion", 'c', 0, G_OPTION_ARG_STRING, &criterion_text, N_("magnitude (default), random, taylor, l1 or l2"), "C" },
    { "granularity", 0, 0, G_OPTION_ARG_STRING, &granularity_text, N_("unstructured (default), channels, or N:M such as 2:4"), "G" },
    { "samples", 'n', 0, G_OPTION_ARG_INT64, &n, N_("Test inputs, class-stratified (default 100)"), "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Seed of the sample; bootstrap seed + 1 (default 1)"), "S" },
    { "grid", 'g', 0, G_OPTION_ARG_INT, &grid, N_("Patches per side for the bars (default 4)"), "N" },
    { "topk", 0, 0, G_OPTION_ARG_DOUBLE, &topk, N_("Top-k fraction (default 0.1)"), "F" },
    { "bootstrap", 0, 0, G_OPTION_ARG_INT, &bootstrap, N_("Bootstrap resamples for the CIs (default 2000)"), "N" },
    { "randomisation-inputs", 0, 0, G_OPTION_ARG_INT64, &rand_inputs, N_("Inputs for the cascading randomisation (default 10, 0: off)"), "N" },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Dataset: a Fashion-MNIST / IDX folder, a CSV file (see --label) or a folder of PNGs by class (default: Fashion-MNIST test)"), "PATH" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Folder for per-input.csv, summary.csv, report.json"), "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the report as JSON instead of text"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("MODEL.onnx — original vs pruned saliency over N test inputs"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  add_dataset_options (ctx);
  add_protect_option (ctx);
  g_option_context_set_description (ctx,
      _("Prunes MODEL (global magnitude pruning unless --criterion / --granularity say\n"
        "otherwise, with the same values and defaults as prune), explains N class-stratified test inputs\n"
        "with both networks (saliency of the original network's predicted class), and\n"
        "writes the similarity, faithfulness and complexity of the explanations with\n"
        "bootstrap CIs and paired tests.\n"
        "On a CSV table (--data FILE.csv) the inputs are rows and the explanation is the\n"
        "signed gradient per feature; deletion / insertion replace features by their mean.\n\n"
        "Examples:\n  prunelens-cli compare data/models/fashion-cnn.onnx --sparsity 90% -n 100 -o report\n"
        "  prunelens-cli compare iris.onnx --data data/datasets/iris.csv --sparsity 50% -n 30 -o report\n"));
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (argc > 2)
    return usage_error (ctx, _("compare takes at most one MODEL.onnx"));
  g_autoptr (PlPruneConfig) config = pl_prune_config_new ();
  apply_protect (config, opt_protect);
  if (criterion_text != NULL && !cli_parse_criterion (criterion_text, &config->criterion))
    return usage_error (ctx, _("--criterion must be magnitude, random, taylor, l1 or l2, not “%s”"),
                        criterion_text);
  if (granularity_text != NULL && !cli_parse_granularity (granularity_text, config))
    return usage_error (ctx, _("--granularity must be unstructured, channels or N:M with "
                               "1 ≤ N ≤ M ≤ 64 (e.g. 2:4), not “%s”"), granularity_text);
  double sparsity = 0.0;
  if (sparsity_text == NULL && config->granularity != PL_PRUNE_GRANULARITY_NM)
    return usage_error (ctx, _("compare needs --sparsity S (e.g. 0.9 or 90%%)"));
  if (sparsity_text != NULL && !parse_sparsity (sparsity_text, &sparsity))
    return usage_error (ctx, _("--sparsity must be a number in [0, 1] or a percentage"));
  if (output == NULL)
    return usage_error (ctx, _("compare needs --output DIR"));
  if (n < 1)
    return usage_error (ctx, _("--samples must be 1 or more"));
  if (seed < 0)
    return usage_error (ctx, _("--seed must be 0 or more"));
  const gboolean grid_given = grid != 0;
  if (!grid_given)
    grid = 4;
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
  if (!check_output_writable (output, TRUE, &error))
    return fail (g_steal_pointer (&error));
  cli_check_finite = TRUE;
  if (!open_model_and_dataset (model_path, data_dir, "test", &g, &ds, &error))
    return fail (g_steal_pointer (&error));
  /* Tables: rows [1, F], the signed gradient per feature; --grid does not apply (the bars
   * are the features). */
  if (config->criterion == PL_PRUNE_CRITERION_TAYLOR)
    {
      /* As prune: the gradients of the first 64 training samples. */
      g_autoptr (PlGraph) g2 = NULL;
      g_autoptr (PlDataset) train = NULL;
      gboolean q = opt_quiet;
      opt_quiet = TRUE;   /* the test split's loading already warned */
      gboolean ok = open_model_and_dataset (model_path, data_dir, "train", &g2, &train, &error);
      opt_quiet = q;
      if (!ok)
        return fail (g_steal_pointer (&error));
      pl_prune_config_set_calibration (config, train, 0, MIN ((gint64) 64, train->n));
    }

  if (grid_given && ds->kind != PL_DATASET_TABLE && (grid > ds->height || grid > ds->width))
    return usage_error (ctx, _("--grid %d does not fit the %d × %d images of %s; give --grid "
                               "%d or less"), grid, ds->height, ds->width, ds->name,
                        MIN (ds->height, ds->width));
  CompareWork w = { .graph = g, .dataset = ds, .sparsity = sparsity, .config = config };
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
  PruneSetup ps;
  prune_setup_init (&ps, config, g, sparsity, step->achieved_sparsity);
  g_auto (GStrv) ps_protected = ps.protected_layers;
  g_autofree char *ps_granularity = ps.granularity;
  gsize len = 0;
  g_autofree char *report_text = pl_compare_report_to_json (r, &len);
  g_autofree char *report_json = json_with_pruning (report_text, len, &ps, &error);
  if (report_json == NULL)
    return fail (g_steal_pointer (&error));
  if (!pl_compare_report_save_csv (r, csv, &error)
      || !pl_compare_report_save_summary_csv (r, summary, &error)
      || !summary_with_pruning (summary, &ps, &error)
      || !g_file_set_contents (report, report_json, -1, &error))
    return fail (g_steal_pointer (&error));

  if (json)
    {
      fputs (report_json, stdout);
      return 0;
    }
  gint64 changed = 0;
  for (gint64 i = 0; i < r->n; i++)
    changed += r->inputs[i].pred_original != r->inputs[i].pred_pruned;
  printf ("compared %" G_GINT64_FORMAT " inputs of %s (seed %" G_GUINT64_FORMAT "), sparsity "
          "%.4f -> %.4f, method %s\n", r->n, r->dataset_name, r->options.seed,
          r->sparsity_original, r->sparsity_pruned, r->options.method_name);
  if (opt_quiet)
    {
      /* --quiet: the summary line above and the files written, not the table */
      printf ("wrote %s, %s, %s\n", csv, summary, report);
      return 0;
    }
  g_autofree char *prot = ps.protected_layers && ps.protected_layers[0]
      ? g_strjoinv (", ", ps.protected_layers) : g_strdup (_("none"));
  printf (_("pruning: %s, %s, %s; sparsity %.4f (achieved %.4f); seed %llu\n"),
          ps.criterion, ps.granularity, ps.scope, ps.target, ps.achieved,
          (unsigned long long) ps.seed);
  printf (_("protected layers: %s\n"), prot);
  printf ("predictions changed on %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " inputs\n",
          changed, r->n);
  printf ("%-22s %9s  %.0f %% CI (bootstrap)\n", "metric", "mean", 100.0 * r->options.confidence);
  for (gint m = 0; m < PL_N_METRICS; m++)
    {
      const PlSummary *s = &r->summary[m];
      if (!isfinite (s->mean))   /* e.g. SSIM of table rows: does not apply */
        printf ("%-22s %9s\n", pl_compare_metric_name ((PlCompareMetric) m), "—");
      else
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
