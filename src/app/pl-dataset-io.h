/* pl-dataset-io.h — opening datasets, models and sessions from files: what a path is,
 * the label-column dialog for CSV / TSV tables, recent files (GtkRecentManager) and the
 * "Open Recent" menu. */
#pragma once

#include <gtk/gtk.h>
#include "data/pl-dataset.h"
#include "graph/pl-graph.h"

G_BEGIN_DECLS

typedef enum {
  PL_PATH_UNKNOWN,
  PL_PATH_MODEL,     /* a file ending in .onnx */
  PL_PATH_TABLE,     /* a file ending in .csv or .tsv (a table dataset) */
  PL_PATH_DATASET,   /* a folder (IDX files or class subfolders of PNGs) */
  PL_PATH_SESSION,   /* a file ending in .prunelens */
} PlPathKind;

/* What path is, by its extension (any case) or, for a folder, by being one. A path that
 * does not exist is PL_PATH_UNKNOWN unless its extension says what it is. */
PlPathKind pl_dataset_io_classify (const char *path);

/* The column names of a CSV / TSV file's first record (delimiter ',' or, for .tsv or a
 * first line holding tabs and no commas, '\t'; ';' when the line has semicolons and no
 * commas); surrounding quotes and blanks are removed. Reads at most the first 64 KiB.
 * PL_ERROR_IO if the file cannot be read, PL_ERROR_PARSE (naming the file) if it is empty
 * or has fewer than two columns. Free with g_strfreev. */
char **pl_dataset_io_csv_columns (const char *path, GError **error);

/* Added (issue 9): the column of the table at path the label dialog proposes, 0-based: the
 * first column named (case-insensitively) label, class, target, species or y, in that order
 * of preference; else the last column holding a value that is not a number in the first
 * 64 KiB; else the last column. -1 with the errors of pl_dataset_io_csv_columns. */
gint pl_dataset_io_guess_label_column (const char *path, GError **error);

/* Called with the chosen label column's name (NULL: the dialog was cancelled). */
typedef void (*PlLabelColumnFunc) (const char *path, const char *label_column,
                                   gpointer user_data);

/* Asks for the label column of the table at path in a small dialog listing its header's
 * columns (default: pl_dataset_io_guess_label_column). Returns FALSE with error when the
 * header cannot be read (callback not called). */
gboolean pl_dataset_io_ask_label_column (GtkWindow *parent, const char *path,
                                         PlLabelColumnFunc callback, gpointer user_data,
                                         GError **error);

/* Records path (file or folder) in the recent files with this application's name.
 * Does nothing when PL_NO_RECENT=1 (tests). */
void pl_dataset_io_add_recent (const char *path);

/* Refills menu with up to max items "win.open-recent" (target: the path) for the recent
 * files this application recorded that still exist, newest first. Returns the number. */
guint pl_dataset_io_fill_recent_menu (GMenu *menu, guint max);

G_END_DECLS

G_BEGIN_DECLS
/* Added: the first max_features feature values of row i of a table dataset, "5.1 3.5 1.4 …"
 * (%.3g each, "…" when more follow); NULL for an image dataset or i out of range. */
char *pl_dataset_io_row_text (const PlDataset *dataset, gint64 i, gint max_features);
/* Added: every feature of row i as "name = value" lines (tables); NULL otherwise. */
char *pl_dataset_io_row_details (const PlDataset *dataset, gint64 i);
G_END_DECLS

G_BEGIN_DECLS
/* Added: pl_model_check_dataset for a TABLE dataset (the core check compares [C, H, W]
 * image shapes only): the model's per-sample input must be [F] (or unknown), its first
 * output [N, K] with K = the dataset's classes, finite on row 0. Messages name the model
 * and the dataset. For an image dataset this calls pl_model_check_dataset. */
gboolean pl_dataset_io_check_model (PlGraph *graph, const char *model_name,
                                    const PlDataset *dataset, GError **error);
G_END_DECLS
