/* cli-sweep.c — prunelens-cli sweep: accuracy and explanation similarity against sparsity. */
#include "cli-common.h"

#include <errno.h>

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

int
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
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Dataset: a Fashion-MNIST / IDX folder, a CSV file (see --label) or a folder of PNGs by class (default: Fashion-MNIST test)"), "PATH" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Folder for sweep.csv, sweep.json, sweep.png, filmstrip.png"), "DIR" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("[MODEL.onnx] — accuracy and explanation similarity against sparsity"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  add_dataset_options (ctx);
  add_protect_option (ctx);
  g_option_context_set_description (ctx,
      _("Prunes the model by global magnitude pruning at every sparsity, protecting the\n"
        "same layers as prune (--protect; default: the first Conv and the last Gemm /\n"
        "MatMul), and measures accuracy, cost and explanation similarity.\n\n"
        "Example:\n  prunelens-cli sweep --sparsities 0,50%,90%,99% -o sweep/\n"));
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
  if (!check_output_writable (output, TRUE, &error))
    return fail (g_steal_pointer (&error));
  cli_check_finite = TRUE;
  if (!open_model_and_dataset (model_path, data_dir, "test", &g, &ds, &error))
    return fail (g_steal_pointer (&error));
  /* Tables: rows [1, F], the signed gradient per feature (pl_sweep_run). */
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
  g_autoptr (PlPruneConfig) config = pl_prune_config_new ();
  apply_protect (config, opt_protect);
  w.options.prune = config;
  if (!run_job (sweep_work, &w, &error))
    return fail_in (model_path, g_steal_pointer (&error));
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
      if (ds->kind == PL_DATASET_TABLE)
        printf ("top-1 accuracy on the first %d rows of %s; gradients compared on %d rows\n",
                (int) MIN (n_eval, ds->n), ds->name, (int) w.options.n_indices);
      else
        printf ("top-1 accuracy on the first %d images of %s; saliency compared on %d images\n",
                (int) MIN (n_eval, ds->n), ds->name, (int) w.options.n_indices);
      printf (_("pruning: %s\n"), sweep->pruning_description);
      for (gint i = 0; i < sweep->n_points; i++)
        printf ("sparsity %.4f: accuracy %.4f\n", sweep->points[i].sparsity,
                sweep->points[i].accuracy);
      printf ("wrote %s, %s, %s, %s\n", csv, json, png, film_png);
    }
  return 0;
}
