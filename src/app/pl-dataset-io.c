/* pl-dataset-io.c — what a dropped / chosen path is, the label-column dialog, recent files. */
#include "config.h"
#include "pl-dataset-io.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>
#include "pl-error.h"
#include <math.h>
#include "exec/pl-executor.h"
#include "session/pl-session.h"

PlPathKind
pl_dataset_io_classify (const char *path)
{
  g_return_val_if_fail (path != NULL, PL_PATH_UNKNOWN);
  g_autofree char *lower = g_ascii_strdown (path, -1);
  if (g_str_has_suffix (lower, ".onnx"))
    return PL_PATH_MODEL;
  if (g_str_has_suffix (lower, ".csv") || g_str_has_suffix (lower, ".tsv"))
    return PL_PATH_TABLE;
  if (g_str_has_suffix (lower, ".prunelens"))
    return PL_PATH_SESSION;
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    return PL_PATH_DATASET;
  return PL_PATH_UNKNOWN;
}

/* Reads at most the first 64 KiB of the table at path: its lines (the last one may be cut
 * off when the file is longer) and the delimiter of its header line. */
static char **
read_table_head (const char *path, char *delimiter_out, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) io = NULL;
  g_autoptr (GFileInputStream) in = g_file_read (file, NULL, &io);
  if (in == NULL)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_IO, _("%s: cannot read the table: %s"), path,
                   io->message);
      return NULL;
    }
  g_autofree char *buf = g_malloc (65536);
  gsize got = 0;
  if (!g_input_stream_read_all (G_INPUT_STREAM (in), buf, 65536 - 1, &got, NULL, &io))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_IO, _("%s: cannot read the table: %s"), path,
                   io->message);
      return NULL;
    }
  buf[got] = '\0';
  char *text = buf;
  if (got >= 3 && (guchar) buf[0] == 0xEF && (guchar) buf[1] == 0xBB && (guchar) buf[2] == 0xBF)
    text += 3;   /* UTF-8 byte order mark */
  /* Lines end in \n, \r\n or \r. */
  for (char *c = text; *c != '\0'; c++)
    if (*c == '\r')
      *c = c[1] == '\n' ? ' ' : '\n';
  char **lines = g_strsplit (text, "\n", -1);
  const char *line = lines[0] != NULL ? lines[0] : "";
  g_autofree char *lower = g_ascii_strdown (path, -1);
  char delimiter = ',';
  if (g_str_has_suffix (lower, ".tsv") || (strchr (line, '\t') && !strchr (line, ',')))
    delimiter = '\t';
  else if (strchr (line, ';') && !strchr (line, ','))
    delimiter = ';';
  *delimiter_out = delimiter;
  return lines;
}

/* Splits one line at delimiter; fields stripped of blanks and surrounding quotes. */
static char **
split_fields (const char *line, char delimiter)
{
  char sep[2] = { delimiter, '\0' };
  char **parts = g_strsplit (line, sep, -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_strstrip (parts[i]);
      gsize n = strlen (parts[i]);
      if (n >= 2 && parts[i][0] == '"' && parts[i][n - 1] == '"')
        {
          memmove (parts[i], parts[i] + 1, n - 2);
          parts[i][n - 2] = '\0';
        }
    }
  return parts;
}

char **
pl_dataset_io_csv_columns (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  char delimiter;
  g_auto (GStrv) lines = read_table_head (path, &delimiter, error);
  if (lines == NULL)
    return NULL;
  g_auto (GStrv) parts = split_fields (lines[0] != NULL ? lines[0] : "", delimiter);
  if (g_strv_length (parts) < 2)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   _("%s: the first line should name at least two columns (features and the "
                     "label), separated by commas, semicolons or tabs"), path);
      return NULL;
    }
  return g_steal_pointer (&parts);
}

static gboolean
is_number (const char *s)
{
  char *end = NULL;
  g_ascii_strtod (s, &end);
  return end != s && *end == '\0';
}

gint
pl_dataset_io_guess_label_column (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, -1);
  char delimiter;
  g_auto (GStrv) lines = read_table_head (path, &delimiter, error);
  if (lines == NULL)
    return -1;
  g_auto (GStrv) header = split_fields (lines[0] != NULL ? lines[0] : "", delimiter);
  guint n = g_strv_length (header);
  if (n < 2)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   _("%s: the first line should name at least two columns (features and the "
                     "label), separated by commas, semicolons or tabs"), path);
      return -1;
    }
  /* 1. A column named like a label (the first such name in this order of preference). */
  static const char *const names[] = { "label", "class", "target", "species", "y" };
  for (guint k = 0; k < G_N_ELEMENTS (names); k++)
    for (guint i = 0; i < n; i++)
      if (g_ascii_strcasecmp (header[i], names[k]) == 0)
        return (gint) i;
  /* 2. The last column holding a value that is not a number in the rows read (the last
   * line read may be cut off at 64 KiB: it is left out when other rows were read). */
  g_autofree gboolean *text = g_new0 (gboolean, n);
  guint n_lines = g_strv_length (lines);
  guint end = n_lines > 2 ? n_lines - 1 : n_lines;
  for (guint r = 1; r < end; r++)
    {
      if (lines[r][0] == '\0')
        continue;
      g_auto (GStrv) fields = split_fields (lines[r], delimiter);
      for (guint i = 0; i < n && fields[i] != NULL; i++)
        if (fields[i][0] != '\0' && !is_number (fields[i]))
          text[i] = TRUE;
    }
  for (guint i = n; i-- > 0;)
    if (text[i])
      return (gint) i;
  /* 3. The last column. */
  return (gint) n - 1;
}

typedef struct {
  char *path;
  char **columns;
  GtkDropDown *dropdown;
  PlLabelColumnFunc callback;
  gpointer user_data;
} LabelDialog;

static void
label_dialog_free (LabelDialog *d)
{
  g_free (d->path);
  g_strfreev (d->columns);
  g_free (d);
}

static void
on_label_response (AdwMessageDialog *dialog, const char *response, LabelDialog *d)
{
  const char *column = NULL;
  if (g_strcmp0 (response, "open") == 0)
    {
      guint sel = gtk_drop_down_get_selected (d->dropdown);
      if (sel < g_strv_length (d->columns))
        column = d->columns[sel];
    }
  d->callback (d->path, column, d->user_data);
}

gboolean
pl_dataset_io_ask_label_column (GtkWindow *parent, const char *path,
                                PlLabelColumnFunc callback, gpointer user_data, GError **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (callback != NULL, FALSE);
  char **columns = pl_dataset_io_csv_columns (path, error);
  if (columns == NULL)
    return FALSE;
  LabelDialog *d = g_new0 (LabelDialog, 1);
  d->path = g_strdup (path);
  d->columns = columns;
  d->callback = callback;
  d->user_data = user_data;

  g_autofree char *base = g_filename_display_basename (path);
  g_autofree char *body = g_strdup_printf (
      _("Which column of “%s” holds the class label? The other columns are the features."),
      base);
  GtkWidget *dialog = adw_message_dialog_new (parent, _("Open Table"), body);
  d->dropdown = GTK_DROP_DOWN (gtk_drop_down_new_from_strings ((const char *const *) columns));
  gint guess = pl_dataset_io_guess_label_column (path, NULL);
  gtk_drop_down_set_selected (d->dropdown, guess >= 0 ? (guint) guess
                                                      : g_strv_length (columns) - 1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (d->dropdown), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Label column"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), GTK_WIDGET (d->dropdown));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "open", _("_Open"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "open",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "open");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_label_response), d,
                         (GClosureNotify) (void (*) (void)) label_dialog_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  return TRUE;
}

static gboolean
recent_disabled (void)
{
  return g_strcmp0 (g_getenv ("PL_NO_RECENT"), "1") == 0;
}

void
pl_dataset_io_add_recent (const char *path)
{
  g_return_if_fail (path != NULL);
  if (recent_disabled ())
    return;
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autofree char *uri = g_file_get_uri (file);
  PlPathKind kind = pl_dataset_io_classify (path);
  GtkRecentData data = {
    .display_name = NULL,
    .description = NULL,
    .mime_type = kind == PL_PATH_DATASET ? (char *) "inode/directory"
               : kind == PL_PATH_TABLE ? (char *) "text/csv"
               : kind == PL_PATH_SESSION ? (char *) "application/x-prunelens"
                                         : (char *) "application/octet-stream",
    .app_name = (char *) g_get_prgname (),
    .app_exec = (char *) "prunelens %f",
    .groups = NULL,
    .is_private = FALSE,
  };
  if (data.app_name == NULL)
    data.app_name = (char *) "prunelens";
  gtk_recent_manager_add_full (gtk_recent_manager_get_default (), uri, &data);
}

static gint
by_modified (gconstpointer a, gconstpointer b)
{
  GtkRecentInfo *x = *(GtkRecentInfo **) a, *y = *(GtkRecentInfo **) b;
  return g_date_time_compare (gtk_recent_info_get_modified (y), gtk_recent_info_get_modified (x));
}

guint
pl_dataset_io_fill_recent_menu (GMenu *menu, guint max)
{
  g_return_val_if_fail (G_IS_MENU (menu), 0);
  g_menu_remove_all (menu);
  if (recent_disabled ())
    return 0;
  const char *app = g_get_prgname () ? g_get_prgname () : "prunelens";
  GList *items = gtk_recent_manager_get_items (gtk_recent_manager_get_default ());
  g_autoptr (GPtrArray) mine = g_ptr_array_new ();
  for (GList *l = items; l != NULL; l = l->next)
    if (gtk_recent_info_has_application (l->data, app))
      g_ptr_array_add (mine, l->data);
  g_ptr_array_sort (mine, by_modified);
  guint n = 0;
  for (guint i = 0; i < mine->len && n < max; i++)
    {
      GtkRecentInfo *info = g_ptr_array_index (mine, i);
      g_autoptr (GFile) file = g_file_new_for_uri (gtk_recent_info_get_uri (info));
      g_autofree char *path = g_file_get_path (file);
      if (path == NULL || !g_file_test (path, G_FILE_TEST_EXISTS) ||
          pl_dataset_io_classify (path) == PL_PATH_UNKNOWN)
        continue;
      g_autofree char *base = g_filename_display_basename (path);
      g_auto (GStrv) parts = g_strsplit (base, "_", -1);
      g_autofree char *label = g_strjoinv ("__", parts);   /* no mnemonics in file names */
      g_autoptr (GMenuItem) item = g_menu_item_new (label, NULL);
      g_menu_item_set_action_and_target_value (item, "win.open-recent",
                                               g_variant_new_string (path));
      g_menu_append_item (menu, item);
      n++;
    }
  g_list_free_full (items, (GDestroyNotify) gtk_recent_info_unref);
  return n;
}

char *
pl_dataset_io_row_text (const PlDataset *dataset, gint64 i, gint max_features)
{
  g_return_val_if_fail (dataset != NULL, NULL);
  if (dataset->kind != PL_DATASET_TABLE || dataset->features == NULL || i < 0 ||
      i >= dataset->n || max_features < 1)
    return NULL;
  GString *s = g_string_new (NULL);
  gint F = dataset->n_features;
  for (gint f = 0; f < MIN (F, max_features); f++)
    g_string_append_printf (s, f == 0 ? "%.3g" : " %.3g",
                            (double) dataset->features[(gsize) i * F + f]);
  if (F > max_features)
    g_string_append (s, " …");
  return g_string_free (s, FALSE);
}

char *
pl_dataset_io_row_details (const PlDataset *dataset, gint64 i)
{
  g_return_val_if_fail (dataset != NULL, NULL);
  if (dataset->kind != PL_DATASET_TABLE || dataset->features == NULL || i < 0 || i >= dataset->n)
    return NULL;
  GString *s = g_string_new (NULL);
  gint F = dataset->n_features;
  for (gint f = 0; f < F; f++)
    g_string_append_printf (s, "%s%s = %.6g", f ? "\n" : "",
                            dataset->feature_names && dataset->feature_names[f]
                              ? dataset->feature_names[f] : "?",
                            (double) dataset->features[(gsize) i * F + f]);
  return g_string_free (s, FALSE);
}

gboolean
pl_dataset_io_check_model (PlGraph *graph, const char *model_name, const PlDataset *dataset,
                           GError **error)
{
  g_return_val_if_fail (graph != NULL && dataset != NULL, FALSE);
  if (dataset->kind != PL_DATASET_TABLE)
    return pl_model_check_dataset (graph, model_name, dataset, error);
  if (model_name == NULL)
    model_name = "the model";
  gint64 shape[PL_TENSOR_MAX_DIMS];
  gint nd = pl_graph_sample_shape (graph, shape);
  if (nd >= 0 && (nd != 1 || shape[0] != dataset->n_features))
    {
      g_autofree char *got = pl_tensor_shape_string (nd, shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   _("%s: the model takes inputs of shape %s, but the table %s has %d feature "
                     "columns"), model_name, got, dataset->name, dataset->n_features);
      return FALSE;
    }
  g_autoptr (GError) local = NULL;
  PlExecutor *ex = pl_executor_new (graph, &local);
  g_autoptr (PlTensor) x = ex ? pl_dataset_range (dataset, 0, 1, &local) : NULL;
  g_autoptr (PlTensor) logits = x ? pl_executor_predict (ex, x, 1, NULL, &local) : NULL;
  g_clear_pointer (&ex, pl_executor_free);
  if (logits == NULL)
    {
      g_set_error (error, PL_ERROR, local->domain == PL_ERROR ? local->code : PL_ERROR_FAILED,
                   "%s: %s: %s", model_name, dataset->name, local->message);
      return FALSE;
    }
  if (logits->ndim != 2 || logits->shape[1] != dataset->n_classes)
    {
      g_autofree char *got = pl_tensor_shape_string (logits->ndim, logits->shape);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   _("%s: the model's first output has shape %s, but the table %s has %d "
                     "classes: PruneLens needs one logit per class, [N, %d]"),
                   model_name, got, dataset->name, dataset->n_classes, dataset->n_classes);
      return FALSE;
    }
  for (gint64 i = 0; i < logits->numel; i++)
    if (!isfinite (logits->data[i]))
      {
        g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                     _("%s: the network's outputs are not finite (NaN or infinity) on row 0 of "
                       "%s; check the model's weights"), model_name, dataset->name);
        return FALSE;
      }
  return TRUE;
}
