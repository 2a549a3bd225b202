/* cli-prune.c — prunelens-cli prune: prune, evaluate and save the pruned model. */
#include "cli-common.h"

#include <errno.h>

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


int
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
