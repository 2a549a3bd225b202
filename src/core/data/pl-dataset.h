/* pl-dataset.h — labelled datasets: images kept as uint8 (IDX files, folders of PNGs) and
 * tables of numbers (CSV), converted to float tensors on demand.
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

/* Added: what a dataset holds. */
typedef enum {
  PL_DATASET_IMAGES, /* pixels [n, C, H, W] uint8; batches are pixels / 255 */
  PL_DATASET_TABLE,  /* features [n, F] float (raw values); batches are [count, F] */
} PlDatasetKind;

typedef struct {
  gint ref_count;
  char *name;          /* e.g. "Fashion-MNIST test" */
  gint64 n;            /* number of samples */
  gint channels, height, width;   /* tables: 1, 1, n_features */
  guint8 *pixels;      /* [n, channels, height, width]; NULL for tables */
  guint8 *labels;      /* [n] class indices; all 0 for a regression table */
  gint n_classes;      /* 0 for a regression table */
  char **class_names;  /* n_classes entries, NULL-terminated; English, translate for display */
  /* Added (session 2): tables. Zero / NULL for image datasets. */
  PlDatasetKind kind;
  gint n_features;       /* F (tables) */
  float *features;       /* [n, F] raw values, row-major (tables) */
  char **feature_names;  /* F entries, NULL-terminated (tables; "x1".. without header) */
  float *targets;        /* [n] numeric target for regression, else NULL */
  char *label_name;      /* the label column's name (tables), else NULL */
  /* Added (session 3): a note for the user from the loader, or NULL — e.g. a CSV integer
   * label column with more than 20 distinct values (each one a class: perhaps a numeric
   * target meant for regression). Not an error: show it as a warning. */
  char *warning;
} PlDataset;

/* Added: options of the CSV loader. Initialise with PL_CSV_OPTIONS_INIT or
 * pl_csv_options_init(); a NULL options pointer means the defaults. */
typedef struct {
  const char *label_column; /* label column by header name; NULL: use label_index */
  gint label_index;         /* 0-based column index; -1 (default) = the last column */
  gboolean regression;      /* keep the label as a numeric target (n_classes = 0) */
  char delimiter;           /* ',' (default), ';', '\t', ...; 0 = detect from the first
                             * line among ',' ';' '\t' */
  gboolean has_header;      /* TRUE (default): the first record names the columns */
  gboolean impute_mean;     /* FALSE (default): a missing value is an error; TRUE: replace
                             * it by the mean of the column's present values */
  gboolean one_hot;         /* FALSE (default): a non-numeric feature column is an error;
                             * TRUE: replace it by one 0/1 column per distinct value (in order
                             * of first appearance), named "column=value" */
} PlCsvOptions;

#define PL_CSV_OPTIONS_INIT { NULL, -1, FALSE, ',', TRUE, FALSE, FALSE }
void pl_csv_options_init (PlCsvOptions *options);

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

/* Added: a table from a CSV file (RFC 4180): optional UTF-8 byte-order mark; fields
 * separated by the delimiter; quoted fields ("...") may hold delimiters, line breaks and
 * doubled quotes (""); lines end in LF or CRLF; a final line break is optional; blank
 * lines (outside quotes) are skipped; spaces and tabs around a value (inside or outside
 * quotes) are ignored. With a header, the first record names the columns;
 * otherwise columns are "x1", "x2", ... (label column included in the numbering).
 * Every column but the label is a feature and must be numeric (strtod, C locale; "inf",
 * "nan" refused) unless options->one_hot. A field that is empty or "NA" / "N/A" / "NaN" /
 * "?" (any case) is missing: an error unless options->impute_mean.
 * Labels (classification): if every label value is an integer in 0..255 the class index
 * is the value and n_classes = max + 1 (class names "0", "1", ...); otherwise the classes
 * are the distinct values in order of first appearance (names = the values), at most 256.
 * A label column of numbers only, one of which is not a whole number (2.5, 1e40), is
 * refused (PL_ERROR_PARSE suggesting regression); an integer label column with more than
 * 20 distinct values loads with dataset->warning set.
 * A number beyond the float range (|v| > FLT_MAX, e.g. 1e39) is PL_ERROR_PARSE "out of the
 * float range", naming the file, line, data row and column.
 * Regression: labels all 0, n_classes 0, targets[i] = the numeric label value.
 * Result: kind TABLE, channels = height = 1, width = n_features, pixels NULL,
 * name = the file's base name.
 * Errors (each names the file, and the 1-based line and the column where it applies):
 * PL_ERROR_IO (cannot read), PL_ERROR_PARSE (empty file, header only, ragged row, an
 * unterminated quote, a stray quote, a non-numeric value, a missing value, no feature
 * column), PL_ERROR_INVALID (label column not found by name or index — the message lists
 * the columns), PL_ERROR_UNSUPPORTED (more than 256 classes, more than 1024 one-hot
 * values in a column), PL_ERROR_TOO_LARGE (files above 2 GiB, or more than 2^31 bytes of
 * cells and values, estimated from the text before allocating). */
PlDataset *pl_dataset_load_csv (const char *path, const PlCsvOptions *options,
                                GError **error);
/* Added: the same from memory (text need not be NUL-terminated); name stands for the
 * path in messages and as the dataset name. */
PlDataset *pl_dataset_load_csv_data (const char *text, gsize length, const char *name,
                                     const PlCsvOptions *options, GError **error);

/* Added: a folder of PNG images by class: DIR/<class>/<*.png> (suffix any case). Classes
 * are the subfolders sorted by name (strcmp; hidden ones skipped; at most 256), files
 * within sorted by name; other files are ignored. A class folder without PNGs is an error.
 * All images must have the same width and height (the error names the first file that
 * differs). Colour is decided by the first image: greyscale (grey, grey + alpha) gives
 * channels = 1, colour (RGB, RGBA, palette) channels = 3; other images are converted to
 * it (RGB -> grey by ITU-R BT.601 luma 0.299 R + 0.587 G + 0.114 B, rounded; grey -> RGB
 * by replication). Alpha is composited on black (value * alpha / 255, rounded); palette
 * and 1/2/4-bit images are expanded, 16-bit ones reduced to 8 bits (libpng
 * png_set_scale_16: round(v * 255 / 65535)), tRNS becomes alpha; interlaced images are
 * de-interlaced. Gamma is not altered. Labels are the class indices, class names the
 * folder names, name = the folder's base name. Errors name the file: PL_ERROR_IO,
 * PL_ERROR_PARSE (not a PNG, truncated, bad CRC, libpng errors, size differs, no class
 * folders), PL_ERROR_TOO_LARGE (more than 2^31 bytes of pixels, or an image above
 * 2^24 pixels). */
PlDataset *pl_dataset_load_png_folder (const char *dir, GError **error);

/* Added: decodes one PNG from memory to uint8 [channels, height, width] (planar),
 * converted as above to want_channels (1 or 3; 0 = decided by the image: 1 for grey,
 * 3 for colour). name stands for the file in messages. Returns NULL on error. Free with
 * g_free. */
guint8 *pl_dataset_decode_png_data (const guint8 *data, gsize length, const char *name,
                                    gint want_channels, gint *channels, gint *height,
                                    gint *width, GError **error);

/* Added: opens path by what it is:
 * - a folder holding {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] (Fashion-MNIST /
 *   MNIST IDX): pl_dataset_load_fashion_mnist (path, split); split "train" or "test",
 *   NULL = "test". Class names are Fashion-MNIST's.
 * - a file ending in .csv or .tsv (any case): pl_dataset_load_csv with csv (NULL =
 *   defaults); for .tsv a delimiter left at ',' becomes '\t'.
 * - a folder with class subfolders holding PNGs: pl_dataset_load_png_folder.
 * Otherwise PL_ERROR_UNSUPPORTED (or PL_ERROR_IO if path does not exist), naming the path
 * and what was expected. */
PlDataset *pl_dataset_open (const char *path, const char *split, const PlCsvOptions *csv,
                            GError **error);

/* Added: per-feature mean and standard deviation over the whole dataset, for trainers to
 * standardise inputs ((x - mean) / sd). F = n_features for tables (raw values) and
 * C*H*W for images (of pixels / 255, the values batches hold). mean and sd must hold F
 * floats. sd is the population standard deviation (divide by n), computed in double;
 * a constant feature (sd < 1e-12) reports sd = 1 so the division is always safe.
 * PL_ERROR_INVALID if the dataset is empty. */
gboolean pl_dataset_feature_stats (const PlDataset *dataset, float *mean, float *sd,
                                   GError **error);

PlDataset *pl_dataset_ref (PlDataset *dataset);
void pl_dataset_unref (PlDataset *dataset);

/* Float batch [count, C, H, W] of pixels / 255 for the given sample indices
 * (tables: [count, F] of the raw feature values).
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
