/* prune-models.c — test helper: writes models PruneLens saved, for the checks against
 * ONNX Runtime (test-ort-live.sh) and the onnx checker (test-onnx-checker.sh).
 *
 *   prune-models OUTDIR MODEL.onnx...
 *
 * For every MODEL (base name B) it writes, with pl_onnx_save_file:
 *   OUTDIR/B-resaved.onnx          loaded and saved unchanged
 *   OUTDIR/B-unstructured80.onnx   magnitude, unstructured, global, 80 % (pl_prune_apply)
 *   OUTDIR/B-channels50.onnx       magnitude (L1 of filters), whole output channels, 50 %,
 *                                  then physically removed (pl_prune_physically_remove)
 * and prints one line per file. Exit status 1 on any error (message on stderr). */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "pl-error.h"
#include "onnx/pl-onnx.h"
#include "prune/pl-prune.h"

static gboolean
save (const PlGraph *g, const char *dir, const char *base, const char *suffix, GError **error)
{
  g_autofree char *name = g_strdup_printf ("%s-%s.onnx", base, suffix);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  if (!pl_onnx_save_file (g, path, error))
    return FALSE;
  printf ("%s sparsity %.4f parameters %" G_GINT64_FORMAT "\n", path,
          pl_graph_weight_sparsity (g), pl_graph_n_parameters (g));
  return TRUE;
}

static gboolean
prune_one (const char *model, const char *dir, GError **error)
{
  g_autoptr (PlGraph) g = pl_onnx_load_file (model, error);
  if (g == NULL)
    return FALSE;
  g_autofree char *file = g_path_get_basename (model);
  char *dot = strrchr (file, '.');
  if (dot != NULL)
    *dot = '\0';
  /* tests/models/<name>/model.onnx: name the outputs after the folder. */
  g_autofree char *base = NULL;
  if (strcmp (file, "model") == 0)
    {
      g_autofree char *parent = g_path_get_dirname (model);
      base = g_path_get_basename (parent);
    }
  else
    base = g_strdup (file);

  if (!save (g, dir, base, "resaved", error))
    return FALSE;

  PlPruneConfig *config = pl_prune_config_new ();
  config->criterion = PL_PRUNE_CRITERION_MAGNITUDE;
  config->granularity = PL_PRUNE_GRANULARITY_UNSTRUCTURED;
  g_autoptr (PlGraph) unstructured = pl_prune_apply (g, config, 0.8, NULL, error);
  pl_prune_config_free (config);
  if (unstructured == NULL || !save (unstructured, dir, base, "unstructured80", error))
    return FALSE;

  config = pl_prune_config_new ();
  config->criterion = PL_PRUNE_CRITERION_L1_NORM;
  config->granularity = PL_PRUNE_GRANULARITY_CHANNELS;
  g_autoptr (PlGraph) masked = pl_prune_apply (g, config, 0.5, NULL, error);
  pl_prune_config_free (config);
  if (masked == NULL)
    return FALSE;
  g_autoptr (PlGraph) smaller = pl_prune_physically_remove (masked, error);
  if (smaller == NULL)
    return FALSE;
  if (pl_graph_n_parameters (smaller) >= pl_graph_n_parameters (g))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_FAILED,
                   "%s: structured pruning removed no parameter", model);
      return FALSE;
    }
  return save (smaller, dir, base, "channels50", error);
}

int
main (int argc, char **argv)
{
  if (argc < 3)
    {
      fprintf (stderr, "usage: prune-models OUTDIR MODEL.onnx...\n");
      return 2;
    }
  for (int i = 2; i < argc; i++)
    {
      g_autoptr (GError) error = NULL;
      if (!prune_one (argv[i], argv[1], &error))
        {
          fprintf (stderr, "prune-models: %s: %s\n", argv[i], error->message);
          return 1;
        }
    }
  return 0;
}
