/* pl-segmentation.c — grid segmentations and per-segment sums / painting. */
#include "explain/pl-explain.h"

PlSegmentation *
pl_segmentation_grid (gint height, gint width, gint rows, gint cols)
{
  g_return_val_if_fail (height > 0 && width > 0, NULL);
  g_return_val_if_fail (rows > 0 && rows <= height, NULL);
  g_return_val_if_fail (cols > 0 && cols <= width, NULL);
  g_return_val_if_fail ((gint64) height * width <= G_MAXINT, NULL);

  PlSegmentation *seg = g_new0 (PlSegmentation, 1);
  seg->height = height;
  seg->width = width;
  seg->n_segments = rows * cols;
  seg->labels = g_new (gint, (gsize) height * width);
  seg->names = g_new0 (char *, seg->n_segments + 1);

  /* Row h belongs to band r = floor(((h + 1)·rows − 1) / H): band sizes differ by at most
   * one (larger bands last). Same for columns. */
  for (gint h = 0; h < height; h++)
    {
      gint r = (gint) (((gint64) (h + 1) * rows - 1) / height);
      for (gint w = 0; w < width; w++)
        {
          gint c = (gint) (((gint64) (w + 1) * cols - 1) / width);
          seg->labels[h * width + w] = r * cols + c;
        }
    }
  for (gint r = 0; r < rows; r++)
    for (gint c = 0; c < cols; c++)
      seg->names[r * cols + c] = g_strdup_printf ("r%d c%d", r + 1, c + 1);
  return seg;
}

void
pl_segmentation_free (PlSegmentation *segmentation)
{
  if (segmentation == NULL)
    return;
  if (segmentation->names != NULL)
    for (gint i = 0; i < segmentation->n_segments; i++)
      g_free (segmentation->names[i]);
  g_free (segmentation->names);
  g_free (segmentation->labels);
  g_free (segmentation);
}

PlTensor *
pl_segment_sum (const PlTensor *map, const PlSegmentation *segmentation)
{
  g_return_val_if_fail (map != NULL && segmentation != NULL, NULL);
  gint64 hw = (gint64) segmentation->height * segmentation->width;
  g_return_val_if_fail (map->numel == hw, NULL);

  g_autofree double *acc = g_new0 (double, MAX (segmentation->n_segments, 1));
  for (gint64 i = 0; i < hw; i++)
    {
      gint l = segmentation->labels[i];
      if (l >= 0 && l < segmentation->n_segments)
        acc[l] += map->data[i];
    }
  PlTensor *out = pl_tensor_new_1d (segmentation->n_segments);
  for (gint s = 0; s < segmentation->n_segments; s++)
    out->data[s] = (float) acc[s];
  return out;
}

PlTensor *
pl_segment_paint (const PlTensor *values, const PlSegmentation *segmentation)
{
  g_return_val_if_fail (values != NULL && segmentation != NULL, NULL);
  g_return_val_if_fail (values->numel == segmentation->n_segments, NULL);

  gint64 hw = (gint64) segmentation->height * segmentation->width;
  PlTensor *out = pl_tensor_new_2d (segmentation->height, segmentation->width);
  for (gint64 i = 0; i < hw; i++)
    {
      gint l = segmentation->labels[i];
      out->data[i] = (l >= 0 && l < segmentation->n_segments) ? values->data[l] : 0.0f;
    }
  return out;
}
