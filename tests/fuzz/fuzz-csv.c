/* fuzz-csv.c — CSV table loader (pl_dataset_load_csv_data).
 *
 * Input layout: byte 0 = options: bit 0 regression, bit 1 impute_mean, bit 2 one_hot,
 * bit 3 no header, bits 4-5 delimiter (',' ';' '\t' or 0 = detect), bits 6-7 label
 * (last column, index 0, index 1, the column named "y"); the rest is the CSV text.
 * On success the invariants are checked, a batch converted and the feature statistics
 * computed. */
#include "pl-fuzz.h"
#include "data/pl-dataset.h"
#include "pl-error.h"

#include <math.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  guint8 f = data[0];
  static const char delims[4] = { ',', ';', '\t', 0 };
  PlCsvOptions o = PL_CSV_OPTIONS_INIT;
  o.regression = (f & 1) != 0;
  o.impute_mean = (f & 2) != 0;
  o.one_hot = (f & 4) != 0;
  o.has_header = (f & 8) == 0;
  o.delimiter = delims[(f >> 4) & 3];
  switch (f >> 6) {
  case 0: o.label_index = -1; break;
  case 1: o.label_index = 0; break;
  case 2: o.label_index = 1; break;
  default: o.label_column = "y"; break;
  }
  g_autoptr (GError) error = NULL;
  g_autoptr (PlDataset) ds = pl_dataset_load_csv_data ((const char *) data + 1, size - 1,
                                                       "fuzz.csv", &o, &error);
  if (ds == NULL) {
    g_assert (error != NULL && error->domain == PL_ERROR);
    return 0;
  }
  g_assert (ds->kind == PL_DATASET_TABLE);
  g_assert (ds->n >= 1 && ds->n_features >= 1 && ds->width == ds->n_features);
  g_assert (g_strv_length (ds->feature_names) == (guint) ds->n_features);
  g_assert (g_strv_length (ds->class_names) == (guint) ds->n_classes);
  if (o.regression) {
    g_assert (ds->n_classes == 0 && ds->targets != NULL);
    for (gint64 i = 0; i < ds->n; i++)
      g_assert (isfinite (ds->targets[i]));
  } else {
    g_assert (ds->n_classes >= 1 && ds->n_classes <= 256);
    for (gint64 i = 0; i < ds->n; i++)
      g_assert (ds->labels[i] < ds->n_classes);
  }
  for (gint64 i = 0; i < ds->n * ds->n_features; i++)
    g_assert (isfinite (ds->features[i]));
  gint64 count = MIN (ds->n, 16);
  g_autoptr (PlTensor) batch = pl_dataset_range (ds, ds->n - count, count, &error);
  g_assert (batch != NULL && batch->shape[0] == count && batch->shape[1] == ds->n_features);
  g_autofree float *mean = g_new (float, ds->n_features);
  g_autofree float *sd = g_new (float, ds->n_features);
  g_assert (pl_dataset_feature_stats (ds, mean, sd, NULL));
  for (gint k = 0; k < ds->n_features; k++)
    g_assert (sd[k] > 0);
  return 0;
}
