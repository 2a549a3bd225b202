/* make-table-model CSV OUT.onnx [LABEL] — trains the table MLP (pl_model_build_table) on a
 * CSV dataset for 60 epochs (seed 1) and saves it: the CSV model of test-cli-report.sh,
 * until `prunelens-cli train` reads CSV files. */
#include <stdio.h>
#include <stdlib.h>
#include "data/pl-dataset.h"
#include "onnx/pl-onnx.h"
#include "train/pl-train.h"

static int
fail (GError *error)
{
  fprintf (stderr, "%s\n", error->message);
  g_error_free (error);
  return 1;
}

int
main (int argc, char **argv)
{
  if (argc < 3)
    {
      fprintf (stderr, "usage: %s CSV OUT.onnx [LABEL]\n", argv[0]);
      return 2;
    }
  GError *error = NULL;
  PlCsvOptions csv = PL_CSV_OPTIONS_INIT;
  if (argc > 3)
    csv.label_column = argv[3];
  g_autoptr (PlDataset) ds = pl_dataset_load_csv (argv[1], &csv, &error);
  if (!ds)
    return fail (error);
  g_autofree float *mean = g_new (float, ds->n_features);
  g_autofree float *sd = g_new (float, ds->n_features);
  pl_train_feature_stats (ds->features, ds->n_features, NULL, ds->n, mean, sd);
  g_autoptr (PlGraph) g = pl_model_build_table (ds->n_features, ds->n_classes, mean, sd, 1,
                                                &error);
  if (!g)
    return fail (error);
  PlTrainConfig config;
  pl_train_config_init (&config);
  config.epochs = 60;
  config.batch_size = 16;
  config.seed = 1;
  if (!pl_train (g, ds, &config, NULL, NULL, NULL, NULL, &error)
      || !pl_onnx_save_file (g, argv[2], &error))
    return fail (error);
  return 0;
}
