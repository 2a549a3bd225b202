/* pl-dataset-csv.c — tables from CSV text (RFC 4180, https://www.rfc-editor.org/rfc/rfc4180).
 *
 * Two phases: the text is split into cells (unescaped, NUL-terminated, each with the
 * 1-based line where it starts), then columns are typed and converted. The number of
 * cells is bounded by the number of delimiters and line breaks, counted before anything
 * is allocated, so the memory needed is known in advance.
 */
#include "data/pl-dataset.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "pl-error.h"

/* Refuse inputs whose cells and values would need more than this many bytes. */
#define PL_CSV_MAX_BYTES (G_GUINT64_CONSTANT (1) << 31)
#define PL_CSV_MAX_CLASSES 256

void
pl_csv_options_init (PlCsvOptions *options)
{
  g_return_if_fail (options != NULL);
  *options = (PlCsvOptions) PL_CSV_OPTIONS_INIT;
}

typedef struct {
  GString *buf;      /* unescaped cells, each NUL-terminated */
  GArray *offset;    /* guint32 per cell: start in buf */
  GArray *line;      /* guint32 per cell: 1-based line where the cell starts */
  GArray *rec_first; /* guint32 per record: index of its first cell; one extra at the end */
  GArray *rec_line;  /* guint32 per record: 1-based line where it starts */
} Cells;

static void
cells_clear (Cells *c)
{
  if (c->buf != NULL)
    g_string_free (c->buf, TRUE);
  g_clear_pointer (&c->offset, g_array_unref);
  g_clear_pointer (&c->line, g_array_unref);
  g_clear_pointer (&c->rec_first, g_array_unref);
  g_clear_pointer (&c->rec_line, g_array_unref);
}

static inline const char *
cell_text (const Cells *c, guint32 i)
{
  return c->buf->str + g_array_index (c->offset, guint32, i);
}

static inline guint32
cell_line (const Cells *c, guint32 i)
{
  return g_array_index (c->line, guint32, i);
}

static inline guint32
n_records (const Cells *c)
{
  return c->rec_first->len - 1;
}

static inline guint32
rec_first (const Cells *c, guint32 r)
{
  return g_array_index (c->rec_first, guint32, r);
}

static inline guint32
rec_count (const Cells *c, guint32 r)
{
  return g_array_index (c->rec_first, guint32, r + 1) - rec_first (c, r);
}

/* Splits text into records of cells. Blank lines (outside quotes) are dropped. */
static gboolean
split_cells (const char *text, gsize len, const char *name, char delim, Cells *out,
             GError **error)
{
  gsize pos = 0;
  guint32 line = 1;

  out->buf = g_string_sized_new (len + 16);
  out->offset = g_array_new (FALSE, FALSE, sizeof (guint32));
  out->line = g_array_new (FALSE, FALSE, sizeof (guint32));
  out->rec_first = g_array_new (FALSE, FALSE, sizeof (guint32));
  out->rec_line = g_array_new (FALSE, FALSE, sizeof (guint32));

  while (pos < len) {
    guint32 first = out->offset->len;
    guint32 rline = line;
    gboolean quoted = FALSE;
    gint field = 0;
    for (;;) {
      guint32 off = (guint32) out->buf->len;
      guint32 fline = line;
      field++;
      if (pos < len && text[pos] == '"') {
        quoted = TRUE;
        pos++;
        for (;;) {
          if (pos >= len) {
            g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                         "%s: the quoted field %d starting at line %u is never closed "
                         "(missing '\"' before the end of the file)", name, field, fline);
            return FALSE;
          }
          char ch = text[pos];
          if (ch == '"') {
            if (pos + 1 < len && text[pos + 1] == '"') {
              g_string_append_c (out->buf, '"');
              pos += 2;
              continue;
            }
            pos++;
            break;
          }
          if (ch == '\r' && pos + 1 < len && text[pos + 1] == '\n') {
            pos++; /* CRLF inside quotes becomes LF */
            continue;
          }
          if (ch == '\n')
            line++;
          g_string_append_c (out->buf, ch);
          pos++;
        }
        if (pos < len && text[pos] != delim && text[pos] != '\n' && text[pos] != '\r') {
          g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                       "%s: line %u, field %d: unexpected character '%c' after the closing "
                       "quote; a quoted field must be followed by the delimiter or the end "
                       "of the line (write \"\" for a quote inside quotes)",
                       name, line, field, g_ascii_isprint (text[pos]) ? text[pos] : '?');
          return FALSE;
        }
      } else {
        gsize start = pos;
        while (pos < len && text[pos] != delim && text[pos] != '\n' && text[pos] != '\r') {
          if (text[pos] == '"') {
            g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                         "%s: line %u, field %d: a quote '\"' inside a field that does "
                         "not start with a quote; enclose the whole field in quotes and "
                         "double the quotes inside", name, line, field);
            return FALSE;
          }
          pos++;
        }
        g_string_append_len (out->buf, text + start, (gssize) (pos - start));
      }
      /* surrounding spaces and tabs are not part of a value */
      while (out->buf->len > off && (out->buf->str[out->buf->len - 1] == ' ' ||
                                     out->buf->str[out->buf->len - 1] == '\t'))
        g_string_truncate (out->buf, out->buf->len - 1);
      while (off < out->buf->len && (out->buf->str[off] == ' ' || out->buf->str[off] == '\t'))
        off++;
      g_string_append_c (out->buf, '\0');
      g_array_append_val (out->offset, off);
      g_array_append_val (out->line, fline);
      if (pos < len && text[pos] == delim) {
        pos++;
        continue; /* a delimiter at the very end still gives one more (empty) field */
      }
      if (pos < len && text[pos] == '\r')
        pos++;
      if (pos < len && text[pos] == '\n')
        pos++;
      line++;
      break;
    }
    if (field == 1 && !quoted && cell_text (out, first)[0] == '\0') {
      /* drop the single empty cell of a blank line */
      g_string_truncate (out->buf, g_array_index (out->offset, guint32, first));
      g_array_set_size (out->offset, first);
      g_array_set_size (out->line, first);
      continue;
    }
    g_array_append_val (out->rec_first, first);
    g_array_append_val (out->rec_line, rline);
  }
  guint32 end = out->offset->len;
  g_array_append_val (out->rec_first, end);
  return TRUE;
}

static gboolean
is_missing (const char *s)
{
  return s[0] == '\0' || g_ascii_strcasecmp (s, "NA") == 0 ||
         g_ascii_strcasecmp (s, "N/A") == 0 || g_ascii_strcasecmp (s, "NaN") == 0 ||
         g_str_equal (s, "?");
}

/* What parse_number_full found. */
typedef enum { NUM_NOT_A_NUMBER, NUM_OK, NUM_OUT_OF_RANGE } NumberKind;

/* A decimal number: [+-] digits [. digits] [(e|E) [+-] digits], finite as a float
 * (|v| <= FLT_MAX); a number beyond that is NUM_OUT_OF_RANGE. */
static NumberKind
parse_number_full (const char *s, double *out)
{
  const char *p = s;
  if (*p == '+' || *p == '-')
    p++;
  gboolean digits = FALSE;
  while (g_ascii_isdigit (*p)) {
    p++;
    digits = TRUE;
  }
  if (*p == '.') {
    p++;
    while (g_ascii_isdigit (*p)) {
      p++;
      digits = TRUE;
    }
  }
  if (!digits)
    return NUM_NOT_A_NUMBER;
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-')
      p++;
    if (!g_ascii_isdigit (*p))
      return NUM_NOT_A_NUMBER;
    while (g_ascii_isdigit (*p))
      p++;
  }
  if (*p != '\0')
    return NUM_NOT_A_NUMBER;
  double v = g_ascii_strtod (s, NULL);
  if (!isfinite (v) || fabs (v) > FLT_MAX)
    return NUM_OUT_OF_RANGE;
  *out = v;
  return NUM_OK;
}

static gboolean
parse_number (const char *s, double *out)
{
  return parse_number_full (s, out) == NUM_OK;
}

/* The message for a number beyond the float range (file, line, data row, column). */
static void
set_out_of_range (GError **error, const char *name, const char *text, guint line, gint64 row,
                  const char *column, const char *what)
{
  g_autofree char *qt = pl_error_quote (text);
  g_autofree char *qc = pl_error_quote (column);
  g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
               "%s: the value \"%s\" at line %u (data row %" G_GINT64_FORMAT "), column "
               "'%s'%s is out of the float range (largest magnitude %g); rescale the column",
               name, qt, line, row, qc, what, (double) FLT_MAX);
}

static char
detect_delimiter (const char *text, gsize len)
{
  gsize counts[3] = { 0, 0, 0 };
  const char cands[3] = { ',', ';', '\t' };
  gboolean quoted = FALSE;
  for (gsize i = 0; i < len; i++) {
    char ch = text[i];
    if (ch == '"')
      quoted = !quoted;
    else if (!quoted && (ch == '\n' || ch == '\r'))
      break;
    else if (!quoted)
      for (int k = 0; k < 3; k++)
        if (ch == cands[k])
          counts[k]++;
  }
  int best = 0;
  for (int k = 1; k < 3; k++)
    if (counts[k] > counts[best])
      best = k;
  return cands[best];
}

static char *
column_list (char **names, gint ncols)
{
  GString *s = g_string_new (NULL);
  for (gint c = 0; c < ncols && c < 50; c++)
  {
    g_autofree char *q = pl_error_quote (names[c]);
    g_string_append_printf (s, "%s'%s'", c > 0 ? ", " : "", q);
  }
  if (ncols > 50)
    g_string_append_printf (s, ", … (%d columns)", ncols);
  return g_string_free (s, FALSE);
}

typedef struct {
  gboolean categorical;   /* one-hot */
  GPtrArray *values;      /* categorical: distinct values (owned strings) */
  GHashTable *index;      /* value -> index + 1 (keys borrowed from values) */
  double mean;            /* of present values (imputation) */
  gint out_first;         /* first output feature */
} ColumnInfo;

static PlDataset *
build_table (const Cells *cells, const char *name, const PlCsvOptions *o, GError **error)
{
  guint32 nrec = n_records (cells);
  if (nrec == 0) {
    g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                 "%s: the file is empty; expected a table of numbers with %s", name,
                 o->has_header ? "a header row of column names" : "one row per sample");
    return NULL;
  }
  guint32 first_data = o->has_header ? 1 : 0;
  gint ncols = (gint) rec_count (cells, 0);
  if (nrec <= first_data) {
    g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                 "%s: the file has a header row (line %u) but no data rows", name,
                 g_array_index (cells->rec_line, guint32, 0));
    return NULL;
  }

  /* column names */
  g_auto (GStrv) names = g_new0 (char *, ncols + 1);
  for (gint c = 0; c < ncols; c++) {
    if (o->has_header) {
      char *t = g_strdup (cell_text (cells, rec_first (cells, 0) + c));
      if (t[0] == '\0') {
        g_free (t);
        t = g_strdup_printf ("x%d", c + 1);
      }
      names[c] = t;
    } else {
      names[c] = g_strdup_printf ("x%d", c + 1);
    }
  }

  /* the names as error messages quote them (long names cut) */
  g_auto (GStrv) qn = g_new0 (char *, ncols + 1);
  for (gint c = 0; c < ncols; c++)
    qn[c] = pl_error_quote (names[c]);

  /* duplicate names: a label or feature named twice is ambiguous */
  if (o->has_header) {
    g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
    for (gint c = 0; c < ncols; c++) {
      gpointer prev = NULL;
      if (g_hash_table_lookup_extended (seen, names[c], NULL, &prev)) {
        g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                     "%s: columns %d and %d are both named '%s' (line %u); column names "
                     "must be unique — rename one of them", name, GPOINTER_TO_INT (prev) + 1,
                     c + 1, qn[c], g_array_index (cells->rec_line, guint32, 0));
        return NULL;
      }
      g_hash_table_insert (seen, names[c], GINT_TO_POINTER (c));
    }
  }

  /* ragged rows */
  for (guint32 r = first_data; r < nrec; r++) {
    if ((gint) rec_count (cells, r) != ncols) {
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: line %u has %u fields, expected %d as in %s (line %u)", name,
                   g_array_index (cells->rec_line, guint32, r), rec_count (cells, r), ncols,
                   o->has_header ? "the header" : "the first row",
                   g_array_index (cells->rec_line, guint32, 0));
      return NULL;
    }
  }

  /* label column */
  gint label = -1;
  if (o->label_column != NULL) {
    for (gint c = 0; c < ncols && label < 0; c++)
      if (g_str_equal (names[c], o->label_column))
        label = c;
    if (label < 0) {
      g_autofree char *list = column_list (names, ncols);
      g_autofree char *ql = pl_error_quote (o->label_column);
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "%s: no label column named '%s'; the columns are %s", name, ql, list);
      return NULL;
    }
  } else if (o->label_index < 0) {
    label = ncols - 1;
  } else if (o->label_index >= ncols) {
    g_autofree char *list = column_list (names, ncols);
    g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                 "%s: label column index %d is out of range: the table has %d columns "
                 "(0-based indices 0..%d): %s", name, o->label_index, ncols, ncols - 1, list);
    return NULL;
  } else {
    label = o->label_index;
  }
  if (ncols < 2) {
    g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                 "%s: the table has a single column ('%s'), the label; expected at least "
                 "one feature column besides it", name, qn[0]);
    return NULL;
  }

  gint64 n = nrec - first_data;
  /* type the feature columns */
  ColumnInfo *info = g_new0 (ColumnInfo, ncols);
  PlDataset *ds = NULL;
  gint F = 0;
  for (gint c = 0; c < ncols; c++) {
    if (c == label)
      continue;
    double sum = 0;
    gint64 present = 0;
    info[c].out_first = F;
    for (gint64 i = 0; i < n; i++) {
      guint32 cell = rec_first (cells, first_data + (guint32) i) + c;
      const char *t = (cell_text (cells, cell));
      double v;
      if (is_missing (t)) {
        if (!o->impute_mean) {
          g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                       "%s: missing value at line %u, column '%s' (an empty field or "
                       "NA); fill it in, or ask for mean imputation", name,
                       cell_line (cells, cell), qn[c]);
          goto fail;
        }
        continue;
      }
      NumberKind nk = info[c].categorical ? NUM_NOT_A_NUMBER : parse_number_full (t, &v);
      if (nk == NUM_OK) {
        sum += v;
        present++;
        continue;
      }
      if (nk == NUM_OUT_OF_RANGE) {
        set_out_of_range (error, name, t, cell_line (cells, cell), i + 1, names[c], "");
        goto fail;
      }
      if (!info[c].categorical && !o->one_hot) {
        g_autofree char *qv = pl_error_quote (t);
        g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                     "%s: non-numeric value \"%s\" at line %u, column '%s'; expected a "
                     "number (decimal point '.', e.g. 1.5 or -2e-3)%s", name, qv,
                     cell_line (cells, cell), qn[c],
                     " — or ask for one-hot encoding of text columns");
        goto fail;
      }
      if (!info[c].categorical) {
        info[c].categorical = TRUE;
        info[c].values = g_ptr_array_new_with_free_func (g_free);
        info[c].index = g_hash_table_new (g_str_hash, g_str_equal);
        i = -1; /* restart: every value of the column becomes a category */
        continue;
      }
      if (!g_hash_table_contains (info[c].index, t)) {
        if (info[c].values->len >= 1024) {
          g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                       "%s: column '%s' has more than 1024 distinct text values (line %u); "
                       "too many to one-hot encode", name, qn[c], cell_line (cells, cell));
          goto fail;
        }
        char *key = g_strdup (t);
        g_ptr_array_add (info[c].values, key);
        g_hash_table_insert (info[c].index, key, GUINT_TO_POINTER (info[c].values->len));
      }
    }
    if (info[c].categorical) {
      F += (gint) info[c].values->len;
    } else {
      if (present == 0) {
        g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                     "%s: column '%s' has no values at all; cannot impute its mean", name,
                     qn[c]);
        goto fail;
      }
      info[c].mean = sum / (double) present;
      F += 1;
    }
  }
  if (F == 0) {
    g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                 "%s: no feature column besides the label '%s'", name, qn[label]);
    goto fail;
  }
  if ((guint64) n * (guint64) F * sizeof (float) > PL_CSV_MAX_BYTES) {
    g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                 "%s: %" G_GINT64_FORMAT " rows × %d features need more than 2^31 bytes; "
                 "too large to hold in memory", name, n, F);
    goto fail;
  }

  ds = g_new0 (PlDataset, 1);
  ds->ref_count = 1;
  ds->kind = PL_DATASET_TABLE;
  ds->n = n;
  ds->n_features = F;
  ds->channels = 1;
  ds->height = 1;
  ds->width = F;
  ds->label_name = g_strdup (names[label]);
  {
    g_autofree char *base = g_path_get_basename (name);
    ds->name = g_strdup (base);
  }
  ds->features = g_try_new0 (float, (gsize) n * F);
  ds->labels = g_try_new0 (guint8, MAX (n, 1));
  if (ds->features == NULL || ds->labels == NULL) {
    g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                 "%s: not enough memory for %" G_GINT64_FORMAT " rows × %d features", name,
                 n, F);
    goto fail;
  }
  ds->feature_names = g_new0 (char *, F + 1);
  for (gint c = 0; c < ncols; c++) {
    if (c == label)
      continue;
    if (info[c].categorical) {
      for (guint k = 0; k < info[c].values->len; k++)
        ds->feature_names[info[c].out_first + k] =
            g_strdup_printf ("%s=%s", names[c], (char *) info[c].values->pdata[k]);
    } else {
      ds->feature_names[info[c].out_first] = g_strdup (names[c]);
    }
  }
  for (gint64 i = 0; i < n; i++) {
    float *row = ds->features + i * F;
    guint32 first = rec_first (cells, first_data + (guint32) i);
    for (gint c = 0; c < ncols; c++) {
      if (c == label)
        continue;
      const char *t = (cell_text (cells, first + c));
      if (info[c].categorical) {
        guint k = GPOINTER_TO_UINT (g_hash_table_lookup (info[c].index, t));
        if (k > 0) /* missing (imputed): all zeros */
          row[info[c].out_first + k - 1] = 1.0f;
      } else {
        double v;
        row[info[c].out_first] = parse_number (t, &v) ? (float) v : (float) info[c].mean;
      }
    }
  }

  /* labels */
  if (o->regression) {
    ds->targets = g_try_new (float, MAX (n, 1));
    if (ds->targets == NULL) {
      g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE, "%s: not enough memory", name);
      goto fail;
    }
    for (gint64 i = 0; i < n; i++) {
      guint32 cell = rec_first (cells, first_data + (guint32) i) + label;
      const char *t = (cell_text (cells, cell));
      double v;
      if (is_missing (t)) {
        g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                     "%s: missing value at line %u, column '%s' (the regression target); "
                     "every row needs a target", name, cell_line (cells, cell), qn[label]);
        goto fail;
      }
      NumberKind nk = parse_number_full (t, &v);
      if (nk == NUM_OUT_OF_RANGE) {
        set_out_of_range (error, name, t, cell_line (cells, cell), i + 1, names[label],
                          " (the regression target)");
        goto fail;
      }
      if (nk != NUM_OK) {
        g_autofree char *qv = pl_error_quote (t);
        g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                     "%s: non-numeric value \"%s\" at line %u, column '%s' (the "
                     "regression target); expected a number", name, qv,
                     cell_line (cells, cell), qn[label]);
        goto fail;
      }
      ds->targets[i] = (float) v;
    }
    ds->n_classes = 0;
    ds->class_names = g_new0 (char *, 1);
  } else {
    gboolean integers = TRUE;
    gint max_id = 0;
    /* Numeric labels: all numbers (then non-integers are refused) and their distinct
     * integer values (many of them draw a warning). */
    gboolean all_numeric = TRUE;
    gint64 fraction_row = -1;
    double distinct[21];
    guint n_distinct = 0;
    for (gint64 i = 0; i < n && all_numeric; i++) {
      guint32 cell = rec_first (cells, first_data + (guint32) i) + label;
      const char *t = (cell_text (cells, cell));
      double v = 0;
      NumberKind nk = is_missing (t) ? NUM_NOT_A_NUMBER : parse_number_full (t, &v);
      if (nk == NUM_NOT_A_NUMBER) {
        all_numeric = FALSE;
      } else if (nk == NUM_OUT_OF_RANGE || v != floor (v)) {
        if (fraction_row < 0)
          fraction_row = i;
      } else if (n_distinct < G_N_ELEMENTS (distinct)) {
        guint k = 0;
        while (k < n_distinct && distinct[k] != v)
          k++;
        if (k == n_distinct)
          distinct[n_distinct++] = v;
      }
    }
    if (all_numeric && fraction_row >= 0) {
      guint32 cell = rec_first (cells, first_data + (guint32) fraction_row) + label;
      g_autofree char *qv = pl_error_quote (cell_text (cells, cell));
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: the label column '%s' holds numbers that are not whole class indices "
                   "(line %u: \"%s\"); class labels must be integers or text — for a "
                   "numeric target train with --regression", name, qn[label],
                   cell_line (cells, cell), qv);
      goto fail;
    }
    if (all_numeric && n_distinct > 20)
      ds->warning = g_strdup_printf ("%s: the label column '%s' has more than 20 distinct "
                                     "integer values, each one a class; if it is a numeric "
                                     "target, train with --regression", name, qn[label]);
    for (gint64 i = 0; i < n; i++) {
      guint32 cell = rec_first (cells, first_data + (guint32) i) + label;
      const char *t = (cell_text (cells, cell));
      if (is_missing (t)) {
        g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                     "%s: missing value at line %u, column '%s' (the label); every row "
                     "needs a label", name, cell_line (cells, cell), qn[label]);
        goto fail;
      }
      /* A wholly numeric column is read as numbers ("1", "1.0" and "1e0" are one class);
       * only a column with some text keeps its labels as text. */
      double v = -1.0;
      if (!all_numeric || parse_number_full (t, &v) != NUM_OK || v < 0.0
          || v >= PL_CSV_MAX_CLASSES)
        integers = FALSE;
      else
        max_id = MAX (max_id, (gint) v);
    }
    if (integers) {
      ds->n_classes = max_id + 1;
      ds->class_names = g_new0 (char *, ds->n_classes + 1);
      for (gint k = 0; k < ds->n_classes; k++)
        ds->class_names[k] = g_strdup_printf ("%d", k);
      for (gint64 i = 0; i < n; i++) {
        guint32 cell = rec_first (cells, first_data + (guint32) i) + label;
        double v = 0.0;
        parse_number_full (cell_text (cells, cell), &v);
        ds->labels[i] = (guint8) (gint) v;
      }
    } else if (all_numeric) {
      /* Whole numbers outside 0 … PL_CSV_MAX_CLASSES − 1 (e.g. −1 / 1): one class per
       * distinct VALUE ("1" and "1.0" are one class), in order of first appearance (as
       * text labels, so earlier models keep their class order), named by the value's
       * first spelling. */
      g_autoptr (GArray) values = g_array_new (FALSE, FALSE, sizeof (double));
      g_autoptr (GPtrArray) spelling = g_ptr_array_new ();
      for (gint64 i = 0; i < n; i++) {
        guint32 cell = rec_first (cells, first_data + (guint32) i) + label;
        double v = 0.0;
        parse_number_full (cell_text (cells, cell), &v);
        guint k = 0;
        while (k < values->len && g_array_index (values, double, k) != v)
          k++;
        if (k == values->len) {
          if (values->len >= PL_CSV_MAX_CLASSES) {
            g_autofree char *qv = pl_error_quote (cell_text (cells, cell));
            g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                         "%s: the label column '%s' has more than %d distinct values "
                         "(line %u: \"%s\"); is it a numeric target (regression)?", name,
                         qn[label], PL_CSV_MAX_CLASSES, cell_line (cells, cell), qv);
            goto fail;
          }
          g_array_append_val (values, v);
          g_ptr_array_add (spelling, (gpointer) cell_text (cells, cell));
        }
      }
      ds->n_classes = (gint) values->len;
      ds->class_names = g_new0 (char *, ds->n_classes + 1);
      for (gint k = 0; k < ds->n_classes; k++)
        ds->class_names[k] = g_strdup (g_ptr_array_index (spelling, k));
      for (gint64 i = 0; i < n; i++) {
        guint32 cell = rec_first (cells, first_data + (guint32) i) + label;
        double v = 0.0;
        parse_number_full (cell_text (cells, cell), &v);
        guint k = 0;
        while (g_array_index (values, double, k) != v)
          k++;
        ds->labels[i] = (guint8) k;
      }
    } else {
      g_autoptr (GPtrArray) classes = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
      for (gint64 i = 0; i < n; i++) {
        guint32 cell = rec_first (cells, first_data + (guint32) i) + label;
        const char *t = (cell_text (cells, cell));
        guint k = GPOINTER_TO_UINT (g_hash_table_lookup (index, t));
        if (k == 0) {
          if (classes->len >= PL_CSV_MAX_CLASSES) {
            g_autofree char *qv = pl_error_quote (t);
            g_set_error (error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                         "%s: the label column '%s' has more than %d distinct values "
                         "(line %u: \"%s\"); is it a numeric target (regression)?", name,
                         qn[label], PL_CSV_MAX_CLASSES, cell_line (cells, cell), qv);
            goto fail;
          }
          char *key = g_strdup (t);
          g_ptr_array_add (classes, key);
          k = classes->len;
          g_hash_table_insert (index, key, GUINT_TO_POINTER (k));
        }
        ds->labels[i] = (guint8) (k - 1);
      }
      ds->n_classes = (gint) classes->len;
      ds->class_names = g_new0 (char *, ds->n_classes + 1);
      for (gint k = 0; k < ds->n_classes; k++)
        ds->class_names[k] = g_strdup (classes->pdata[k]);
    }
  }

  for (gint c = 0; c < ncols; c++) {
    g_clear_pointer (&info[c].index, g_hash_table_unref);
    g_clear_pointer (&info[c].values, g_ptr_array_unref);
  }
  g_free (info);
  return ds;

fail:
  for (gint c = 0; c < ncols; c++) {
    g_clear_pointer (&info[c].index, g_hash_table_unref);
    g_clear_pointer (&info[c].values, g_ptr_array_unref);
  }
  g_free (info);
  g_clear_pointer (&ds, pl_dataset_unref);
  return NULL;
}

PlDataset *
pl_dataset_load_csv_data (const char *text, gsize length, const char *name,
                          const PlCsvOptions *options, GError **error)
{
  g_return_val_if_fail (text != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (name == NULL)
    name = "CSV data";
  PlCsvOptions o = PL_CSV_OPTIONS_INIT;
  if (options != NULL)
    o = *options;
  if (text == NULL)
    text = "";

  /* UTF-8 byte-order mark */
  if (length >= 3 && (guint8) text[0] == 0xEF && (guint8) text[1] == 0xBB &&
      (guint8) text[2] == 0xBF) {
    text += 3;
    length -= 3;
  }
  /* UTF-16 byte-order marks (little / big endian): say so, not "invalid UTF-8 at byte 1" */
  if (length >= 2 && (((guint8) text[0] == 0xFF && (guint8) text[1] == 0xFE) ||
                      ((guint8) text[0] == 0xFE && (guint8) text[1] == 0xFF))) {
    g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                 "%s: the file is UTF-16 text (byte-order mark %s); save it as UTF-8",
                 name, (guint8) text[0] == 0xFF ? "FF FE" : "FE FF");
    return NULL;
  }
  if (o.delimiter == 0)
    o.delimiter = detect_delimiter (text, length);
  if (o.delimiter == '"' || o.delimiter == '\n' || o.delimiter == '\r') {
    g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                 "%s: the delimiter cannot be a quote or a line break", name);
    return NULL;
  }

  /* Memory estimate before allocating: cells <= delimiters + line breaks + 1; each costs
   * its text plus a NUL, 8 bytes of bookkeeping, and 4 bytes as a float value. */
  guint64 n_cells = 1;
  for (gsize i = 0; i < length; i++)
    if (text[i] == o.delimiter || text[i] == '\n' || text[i] == '\r')
      n_cells++;
  guint64 need = (guint64) length + n_cells * (1 + 8 + 4);
  if (need > PL_CSV_MAX_BYTES || length > G_MAXUINT32 / 2) {
    g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                 "%s: %" G_GSIZE_FORMAT " bytes with up to %" G_GUINT64_FORMAT " fields "
                 "would need about %" G_GUINT64_FORMAT " MiB; tables above 2 GiB are refused",
                 name, length, n_cells, need >> 20);
    return NULL;
  }
  {
    /* an empty file: nothing but white space */
    gsize i = 0;
    while (i < length && g_ascii_isspace (text[i]))
      i++;
    if (i == length) {
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: the file is empty; expected a table of numbers with %s", name,
                   o.has_header ? "a header row of column names" : "one row per sample");
      return NULL;
    }
  }

  {
    /* Names become figure labels and JSON strings: the text must be UTF-8. */
    const char *bad = NULL;
    if (!g_utf8_validate_len (text, length, &bad)) {
      gsize line = 1;
      for (const char *p = text; p < bad; p++)
        line += *p == '\n';
      g_set_error (error, PL_ERROR, PL_ERROR_PARSE,
                   "%s: line %" G_GSIZE_FORMAT ": not valid UTF-8 text (byte %" G_GSIZE_FORMAT
                   "); save the table as UTF-8", name, line, (gsize) (bad - text) + 1);
      return NULL;
    }
  }

  Cells cells = { 0 };
  if (!split_cells (text, length, name, o.delimiter, &cells, error)) {
    cells_clear (&cells);
    return NULL;
  }
  PlDataset *ds = build_table (&cells, name, &o, error);
  cells_clear (&cells);
  return ds;
}

PlDataset *
pl_dataset_load_csv (const char *path, const PlCsvOptions *options, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  GStatBuf st;
  if (g_stat (path, &st) != 0) {
    g_set_error (error, PL_ERROR, PL_ERROR_IO, "%s: no such file", path);
    return NULL;
  }
  if (!pl_check_regular_file (path, "a CSV table", error))
    return NULL;
  if ((guint64) st.st_size > PL_CSV_MAX_BYTES) {
    g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                 "%s: the file has %" G_GUINT64_FORMAT " bytes; tables above 2 GiB are "
                 "refused", path, (guint64) st.st_size);
    return NULL;
  }
  g_autofree char *text = NULL;
  gsize length = 0;
  g_autoptr (GError) local = NULL;
  if (!g_file_get_contents (path, &text, &length, &local)) {
    g_set_error (error, PL_ERROR, PL_ERROR_IO, "%s: cannot read the file: %s", path,
                 local->message);
    return NULL;
  }
  return pl_dataset_load_csv_data (text, length, path, options, error);
}
