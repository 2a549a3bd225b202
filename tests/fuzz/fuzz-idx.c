/* fuzz-idx.c — IDX dataset loader (pl_dataset_load_idx_data).
 *
 * Input layout: byte 0..3 = little-endian length L of the images part (taken modulo the
 * remaining size + 1), then L bytes of images IDX, then the labels IDX (each may be
 * gzip). On success one batch of every sample is converted. */
#include "pl-fuzz.h"
#include "data/pl-dataset.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 4)
    return 0;
  guint32 l = (guint32) data[0] | ((guint32) data[1] << 8) | ((guint32) data[2] << 16) |
              ((guint32) data[3] << 24);
  size_t rest = size - 4;
  size_t li = l % (rest + 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (PlDataset) ds = pl_dataset_load_idx_data (data + 4, li, data + 4 + li,
                                                       rest - li, &error);
  if (ds == NULL) {
    g_assert (error != NULL);
    return 0;
  }
  g_assert (ds->n >= 1 && ds->height >= 1 && ds->width >= 1 && ds->n_classes >= 1);
  for (gint64 i = 0; i < ds->n; i++)
    g_assert (ds->labels[i] < ds->n_classes);
  gint64 count = MIN (ds->n, 16);
  g_autoptr (PlTensor) batch = pl_dataset_range (ds, ds->n - count, count, &error);
  if (batch == NULL)
    return 0;
  g_assert (batch->shape[0] == count);
  return 0;
}
