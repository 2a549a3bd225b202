/* pl-dataset.h — labelled image datasets kept as uint8, converted to float on demand.
 *
 * IDX format (LeCun et al., "THE MNIST DATABASE", http://yann.lecun.com/exdb/mnist/):
 * big-endian magic 0x00000803 (uint8 images [N, H, W]) or 0x00000801 (uint8 labels [N]),
 * then one big-endian uint32 per dimension, then the data. Files may be gzip-compressed
 * (detected by the 1F 8B signature, not the name). Errors name the file and the byte
 * offset: PL_ERROR_IO, PL_ERROR_PARSE (wrong magic, truncated, trailing data, counts
 * that disagree, label >= n_classes), PL_ERROR_TOO_LARGE.
 */
#pragma once

#include <glib.h>
#include "tensor/pl-tensor.h"

G_BEGIN_DECLS

typedef struct {
  gint ref_count;
  char *name;          /* e.g. "Fashion-MNIST test" */
  gint64 n;            /* number of samples */
  gint channels, height, width;
  guint8 *pixels;      /* [n, channels, height, width] */
  guint8 *labels;      /* [n] */
  gint n_classes;
  char **class_names;  /* n_classes entries, NULL-terminated; English, translate for display */
} PlDataset;

/* Images IDX [N, H, W] (magic 0x00000803) and labels IDX [N] (0x00000801), each plain
 * or gzip. Labels must be class indices 0..9; n_classes = max label + 1 with class names
 * "0", "1", ...; channels = 1; name = the images file's base name. Every error message
 * starts with the offending file's path; more than 2^31 bytes of pixels gives
 * PL_ERROR_TOO_LARGE. */
PlDataset *pl_dataset_load_idx (const char *images_path, const char *labels_path,
                                GError **error);
/* Added: the same from memory (images and labels IDX bytes, each plain or gzip); messages
 * name "images IDX data" / "labels IDX data" instead of a path; name = "IDX data".
 * Declared sizes are checked against the bytes present before anything is allocated. */
PlDataset *pl_dataset_load_idx_data (const guint8 *images, gsize images_length,
                                     const guint8 *labels, gsize labels_length,
                                     GError **error);
/* dir holds {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]; split is "train" or
 * "test". Sets Fashion-MNIST class names. */
PlDataset *pl_dataset_load_fashion_mnist (const char *dir, const char *split, GError **error);
PlDataset *pl_dataset_ref (PlDataset *dataset);
void pl_dataset_unref (PlDataset *dataset);

/* Float batch [count, C, H, W] of pixels / 255 for the given sample indices.
 * An index outside 0..n-1 (or a range past the end) gives PL_ERROR_INVALID. */
PlTensor *pl_dataset_batch (const PlDataset *dataset, const gint64 *indices, gint64 count,
                            GError **error);
/* Float batch of the contiguous range [start, start + count). */
PlTensor *pl_dataset_range (const PlDataset *dataset, gint64 start, gint64 count,
                            GError **error);

/* The standard Fashion-MNIST class names (Xiao et al. 2017), index 0..9. */
extern const char *const pl_fashion_mnist_classes[10];

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlDataset, pl_dataset_unref)

G_END_DECLS
