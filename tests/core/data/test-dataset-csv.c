/* test-dataset-csv.c — CSV tables: RFC 4180 parsing, labels, every error case, the
 * bundled data/datasets files (known values), feature statistics and pl_dataset_open. */
#include <check.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "data/pl-dataset.h"
#include "pl-error.h"

static char *tmpdir;

static void
remove_tree (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  if (d == NULL) {
    g_remove (dir);
    return;
  }
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL) {
    g_autofree char *p = g_build_filename (dir, name, NULL);
    remove_tree (p);
  }
  g_dir_close (d);
  g_rmdir (dir);
}

static void
setup (void)
{
  tmpdir = g_dir_make_tmp ("pl-csv-XXXXXX", NULL);
  ck_assert_ptr_nonnull (tmpdir);
}

static void
teardown (void)
{
  remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static PlDataset *
load (const char *text, const PlCsvOptions *o, GError **error)
{
  return pl_dataset_load_csv_data (text, strlen (text), "t.csv", o, error);
}

/* Loading must fail with code and a message containing every fragment. */
static void
expect_error (const char *text, const PlCsvOptions *o, gint code, const char *frag1,
              const char *frag2)
{
  g_autoptr (GError) error = NULL;
  PlDataset *ds = load (text, o, &error);
  ck_assert_ptr_null (ds);
  ck_assert_ptr_nonnull (error);
  ck_assert_msg (g_error_matches (error, PL_ERROR, code), "code %d (%s)", error->code,
                 error->message);
  ck_assert_msg (strstr (error->message, "t.csv") != NULL, "no file name: %s", error->message);
  ck_assert_msg (strstr (error->message, frag1) != NULL, "'%s' not in: %s", frag1,
                 error->message);
  if (frag2 != NULL)
    ck_assert_msg (strstr (error->message, frag2) != NULL, "'%s' not in: %s", frag2,
                   error->message);
}

static char *
source_file (const char *rel)
{
  const char *src = g_getenv ("PL_SOURCE_DIR");
  ck_assert_ptr_nonnull (src);
  return g_build_filename (src, rel, NULL);
}

START_TEST (test_basic_classes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlDataset) ds = load ("a,b,kind\n1,2.5,cat\n-3,4e1,dog\n0.5,-.25,cat\n", NULL,
                                   &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (ds->kind, PL_DATASET_TABLE);
  ck_assert_int_eq (ds->n, 3);
  ck_assert_int_eq (ds->n_features, 2);
  ck_assert_int_eq (ds->channels, 1);
  ck_assert_int_eq (ds->height, 1);
  ck_assert_int_eq (ds->width, 2);
  ck_assert_ptr_null (ds->pixels);
  ck_assert_ptr_null (ds->targets);
  ck_assert_str_eq (ds->feature_names[0], "a");
  ck_assert_str_eq (ds->feature_names[1], "b");
  ck_assert_ptr_null (ds->feature_names[2]);
  ck_assert_str_eq (ds->label_name, "kind");
  ck_assert_int_eq (ds->n_classes, 2);
  ck_assert_str_eq (ds->class_names[0], "cat");
  ck_assert_str_eq (ds->class_names[1], "dog");
  ck_assert_ptr_null (ds->class_names[2]);
  const float want[6] = { 1, 2.5f, -3, 40, 0.5f, -0.25f };
  for (int i = 0; i < 6; i++)
    ck_assert_float_eq (ds->features[i], want[i]);
  ck_assert_int_eq (ds->labels[0], 0);
  ck_assert_int_eq (ds->labels[1], 1);
  ck_assert_int_eq (ds->labels[2], 0);
  ck_assert_str_eq (ds->name, "t.csv");

  /* batches are [count, F] raw values */
  g_autoptr (PlTensor) r = pl_dataset_range (ds, 1, 2, &error);
  ck_assert_ptr_nonnull (r);
  ck_assert_int_eq (r->ndim, 2);
  ck_assert_int_eq (r->shape[0], 2);
  ck_assert_int_eq (r->shape[1], 2);
  ck_assert_float_eq (r->data[0], -3);
  ck_assert_float_eq (r->data[3], -0.25f);
  gint64 idx[2] = { 2, 0 };
  g_autoptr (PlTensor) b = pl_dataset_batch (ds, idx, 2, &error);
  ck_assert_ptr_nonnull (b);
  ck_assert_float_eq (b->data[0], 0.5f);
  ck_assert_float_eq (b->data[2], 1);
  ck_assert_float_eq (b->data[3], 2.5f);
  gint64 bad = 3;
  PlTensor *none = pl_dataset_batch (ds, &bad, 1, &error);
  ck_assert_ptr_null (none);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
}
END_TEST

START_TEST (test_bom_quotes_newlines_crlf)
{
  /* BOM, quoted header names with a delimiter and a doubled quote, a label holding an
   * embedded CRLF line break, CRLF line ends, no final line break */
  const char *text = "\xEF\xBB\xBF\"a,1\",\"b\"\"q\",label\r\n"
                     "1,\"2\",\"x\r\ny\"\r\n"
                     "3,4,\"x\r\ny\"\r\n"
                     "5,6,z";
  g_autoptr (GError) error = NULL;
  g_autoptr (PlDataset) ds = load (text, NULL, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (ds->n, 3);
  ck_assert_str_eq (ds->feature_names[0], "a,1");
  ck_assert_str_eq (ds->feature_names[1], "b\"q");
  ck_assert_int_eq (ds->n_classes, 2);
  ck_assert_str_eq (ds->class_names[0], "x\ny");
  ck_assert_str_eq (ds->class_names[1], "z");
  ck_assert_float_eq (ds->features[1], 2);
  ck_assert_float_eq (ds->features[4], 5);
  ck_assert_int_eq (ds->labels[2], 1);

  /* line numbers count the embedded line breaks: the bad row starts on line 6 */
  expect_error ("a,b,c\n1,2,\"multi\nline\"\n3,4,\"two\nlines\"\n5,,x\n", NULL,
                PL_ERROR_PARSE, "missing value at line 6, column 'b'", NULL);
  /* a blank line is skipped, and still counted */
  expect_error ("a,b,c\n1,2,x\n\n5,abc,x\n", NULL, PL_ERROR_PARSE,
                "non-numeric value \"abc\" at line 4, column 'b'", NULL);
}
END_TEST

START_TEST (test_spaces)
{
  /* spaces around values are ignored; a line of spaces is blank */
  g_autoptr (GError) error = NULL;
  g_autoptr (PlDataset) ds = load (" a , b ,c\n 1.5 ,\t2, cat \n   \n3,\" 4 \",dog\n", NULL,
                                   &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (ds->n, 2);
  ck_assert_str_eq (ds->feature_names[0], "a");
  ck_assert_str_eq (ds->class_names[0], "cat");
  ck_assert_float_eq (ds->features[0], 1.5f);
  ck_assert_float_eq (ds->features[1], 2);
  ck_assert_float_eq (ds->features[3], 4);
}
END_TEST

START_TEST (test_quote_errors)
{
  expect_error ("a,b\n1,\"2\n", NULL, PL_ERROR_PARSE, "line 2", "never closed");
  expect_error ("a,b\n1,\"2\"x\n", NULL, PL_ERROR_PARSE, "line 2", "after the closing quote");
  expect_error ("a,b\n1,2\"x\n", NULL, PL_ERROR_PARSE, "line 2", "quote");
}
END_TEST

START_TEST (test_missing_values)
{
  const char *head = "sepal_length,petal_width,species\n";
  g_autofree char *t1 = g_strconcat (head, "1,2,a\n3,,b\n", NULL);
  expect_error (t1, NULL, PL_ERROR_PARSE, "missing value at line 3, column 'petal_width'",
                NULL);
  g_autofree char *t2 = g_strconcat (head, "1,2,a\nNA,4,b\n", NULL);
  expect_error (t2, NULL, PL_ERROR_PARSE, "missing value at line 3, column 'sepal_length'",
                NULL);
  g_autofree char *t3 = g_strconcat (head, "1,2,a\n3,4,\n", NULL);
  expect_error (t3, NULL, PL_ERROR_PARSE, "missing value at line 3, column 'species'", NULL);

  /* mean imputation: the mean of the present values of the column */
  PlCsvOptions o = PL_CSV_OPTIONS_INIT;
  o.impute_mean = TRUE;
  g_autoptr (GError) error = NULL;
  g_autoptr (PlDataset) ds = load ("x,y,c\n1,10,a\nNA,?,b\n4,,a\n", &o, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  ck_assert_float_eq_tol (ds->features[2], 2.5f, 1e-6);  /* (1 + 4) / 2 */
  ck_assert_float_eq_tol (ds->features[3], 10.0f, 1e-6);
  ck_assert_float_eq_tol (ds->features[5], 10.0f, 1e-6);
  /* a column with no value at all cannot be imputed */
  expect_error ("x,y,c\n1,,a\n2,NA,b\n", &o, PL_ERROR_PARSE, "column 'y'", "no values");
}
END_TEST

START_TEST (test_ragged_nonnumeric_empty)
{
  expect_error ("a,b,c\n1,2,x\n3,4\n", NULL, PL_ERROR_PARSE, "line 3 has 2 fields",
                "expected 3");
  expect_error ("a,b,c\n1,2,x,9\n", NULL, PL_ERROR_PARSE, "line 2 has 4 fields", NULL);
  expect_error ("a,b,c\n1,2,x\n3,abc,y\n", NULL, PL_ERROR_PARSE,
                "non-numeric value \"abc\" at line 3, column 'b'", NULL);
  expect_error ("a,b,c\n1,1e999,x\n", NULL, PL_ERROR_PARSE, "\"1e999\" at line 2", NULL);
  expect_error ("a,b,c\n1,inf,x\n", NULL, PL_ERROR_PARSE, "\"inf\"", NULL);
  expect_error ("a,b,c\n1,0x10,x\n", NULL, PL_ERROR_PARSE, "\"0x10\"", NULL);
  expect_error ("", NULL, PL_ERROR_PARSE, "empty", NULL);
  expect_error ("\xEF\xBB\xBF\r\n\n  \n", NULL, PL_ERROR_PARSE, "empty", NULL);
  expect_error ("a,b,c\n", NULL, PL_ERROR_PARSE, "header", "no data rows");
  expect_error ("a,b,c\n\n\n", NULL, PL_ERROR_PARSE, "no data rows", NULL);
  expect_error ("label\n1\n2\n", NULL, PL_ERROR_PARSE, "single column", NULL);
}
END_TEST

START_TEST (test_label_choice)
{
  PlCsvOptions o = PL_CSV_OPTIONS_INIT;
  o.label_column = "petal";
  expect_error ("sepal,width,species\n1,2,a\n", &o, PL_ERROR_INVALID,
                "no label column named 'petal'", "'sepal', 'width', 'species'");
  o = (PlCsvOptions) PL_CSV_OPTIONS_INIT;
  o.label_index = 3;
  expect_error ("a,b,c\n1,2,3\n", &o, PL_ERROR_INVALID, "index 3", "3 columns");

  /* by name, in the middle; the others stay features in order */
  o = (PlCsvOptions) PL_CSV_OPTIONS_INIT;
  o.label_column = "y";
  g_autoptr (GError) error = NULL;
  g_autoptr (PlDataset) ds = load ("a,y,b\n1,2,3\n4,0,6\n", &o, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (ds->n_features, 2);
  ck_assert_str_eq (ds->feature_names[1], "b");
  ck_assert_float_eq (ds->features[1], 3);
  ck_assert_float_eq (ds->features[3], 6);
  /* integer labels are class ids: n_classes = max + 1 */
  ck_assert_int_eq (ds->n_classes, 3);
  ck_assert_int_eq (ds->labels[0], 2);
  ck_assert_int_eq (ds->labels[1], 0);
  ck_assert_str_eq (ds->class_names[2], "2");

  /* by index 0; integer labels outside 0..255 are names in order of first appearance */
  o = (PlCsvOptions) PL_CSV_OPTIONS_INIT;
  o.label_index = 0;
  g_autoptr (PlDataset) d2 = load ("c,a\n300,7\n-1,8\n300,9\n", &o, &error);
  ck_assert_msg (d2 != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (d2->n_classes, 2);
  ck_assert_str_eq (d2->class_names[0], "300");
  ck_assert_str_eq (d2->class_names[1], "-1");
  ck_assert_ptr_null (d2->warning);
  ck_assert_int_eq (d2->labels[2], 0);
  ck_assert_float_eq (d2->features[2], 9);

  /* more than 256 distinct text labels */
  GString *s = g_string_new ("x,c\n");
  for (int i = 0; i < 300; i++)
    g_string_append_printf (s, "%d,k%d\n", i, i);
  expect_error (s->str, NULL, PL_ERROR_UNSUPPORTED, "more than 256", "line 258");
  g_string_free (s, TRUE);
}
END_TEST

/* Session 3: numbers as labels and beyond the float range. */
START_TEST (test_numeric_labels_and_range)
{
  g_autoptr (GError) error = NULL;
  /* a label column of numbers with a fraction: refused, pointing at regression */
  expect_error ("x,y\n1,0\n2,1\n3,2.5\n", NULL, PL_ERROR_PARSE, "line 4: \"2.5\"",
                "--regression");
  expect_error ("x,y\n1,1e39\n2,1\n", NULL, PL_ERROR_PARSE, "not whole class indices", NULL);
  /* mixed with text: still class names (no refusal) */
  g_autoptr (PlDataset) mixed = load ("x,y\n1,a\n2,1.5\n", NULL, &error);
  ck_assert_msg (mixed != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (mixed->n_classes, 2);
  /* 21 distinct integer labels: loaded with a warning; 20: none */
  for (int k = 20; k <= 21; k++)
    {
      GString *s = g_string_new ("x,y\n");
      for (int i = 0; i < k; i++)
        g_string_append_printf (s, "%d,%d\n", i, i * 2);
      g_autoptr (PlDataset) ds = load (s->str, NULL, &error);
      g_string_free (s, TRUE);
      ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
      if (k == 20)
        ck_assert_ptr_null (ds->warning);
      else
        {
          ck_assert_ptr_nonnull (ds->warning);
          ck_assert_ptr_nonnull (strstr (ds->warning, "more than 20 distinct"));
          ck_assert_ptr_nonnull (strstr (ds->warning, "'y'"));
        }
    }
  /* beyond the float range: named as such, with file, line, data row and column */
  expect_error ("a,b,y\n1,2,0\n3,-4e38,1\n", NULL, PL_ERROR_PARSE,
                "\"-4e38\" at line 3 (data row 2), column 'b'", "out of the float range");
  PlCsvOptions o = PL_CSV_OPTIONS_INIT;
  o.regression = TRUE;
  expect_error ("a,y\n1,2\n3,1e300\n", &o, PL_ERROR_PARSE, "column 'y' (the regression target)",
                "out of the float range");
  /* the largest float still loads */
  g_autoptr (PlDataset) big = load ("a,y\n3.4e38,0\n-3.4e38,1\n", NULL, &error);
  ck_assert_msg (big != NULL, "%s", error ? error->message : "");
  ck_assert_float_eq (big->features[0], 3.4e38f);
}
END_TEST

START_TEST (test_regression_delimiters_header)
{
  PlCsvOptions o = PL_CSV_OPTIONS_INIT;
  o.regression = TRUE;
  g_autoptr (GError) error = NULL;
  g_autoptr (PlDataset) ds = load ("a;b;t\n1;2;0.5\n3;4;-7e-1\n", &(PlCsvOptions) {
                                     NULL, -1, TRUE, 0, TRUE, FALSE, FALSE }, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (ds->n_classes, 0);
  ck_assert_ptr_nonnull (ds->class_names);
  ck_assert_ptr_null (ds->class_names[0]);
  ck_assert_float_eq_tol (ds->targets[0], 0.5f, 1e-7);
  ck_assert_float_eq_tol (ds->targets[1], -0.7f, 1e-7);
  ck_assert_int_eq (ds->labels[1], 0);
  expect_error ("a,t\n1,x\n", &o, PL_ERROR_PARSE, "\"x\" at line 2, column 't'", NULL);

  /* tab, detected; no header: names x1.. */
  PlCsvOptions t = PL_CSV_OPTIONS_INIT;
  t.delimiter = 0;
  t.has_header = FALSE;
  g_autoptr (PlDataset) d2 = load ("1\t2\t0\n3\t4\t1\n", &t, &error);
  ck_assert_msg (d2 != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (d2->n, 2);
  ck_assert_int_eq (d2->n_features, 2);
  ck_assert_str_eq (d2->feature_names[1], "x2");
  ck_assert_str_eq (d2->label_name, "x3");
  ck_assert_float_eq (d2->features[2], 3);

  /* an explicit semicolon keeps commas inside fields as text */
  t = (PlCsvOptions) PL_CSV_OPTIONS_INIT;
  t.delimiter = ';';
  expect_error ("a;b\n1,5;x\n", &t, PL_ERROR_PARSE, "\"1,5\" at line 2, column 'a'", NULL);
}
END_TEST

START_TEST (test_one_hot)
{
  PlCsvOptions o = PL_CSV_OPTIONS_INIT;
  o.one_hot = TRUE;
  g_autoptr (GError) error = NULL;
  g_autoptr (PlDataset) ds = load ("w,color,c\n1,red,0\n2,blue,1\n3,red,1\n", &o, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (ds->n_features, 3);
  ck_assert_str_eq (ds->feature_names[0], "w");
  ck_assert_str_eq (ds->feature_names[1], "color=red");
  ck_assert_str_eq (ds->feature_names[2], "color=blue");
  const float want[9] = { 1, 1, 0, 2, 0, 1, 3, 1, 0 };
  for (int i = 0; i < 9; i++)
    ck_assert_float_eq (ds->features[i], want[i]);
  expect_error ("w,color,c\n1,red,0\n", NULL, PL_ERROR_PARSE,
                "non-numeric value \"red\" at line 2, column 'color'", NULL);
}
END_TEST

START_TEST (test_iris_file)
{
  g_autofree char *path = source_file ("data/datasets/iris.csv");
  g_autoptr (GError) error = NULL;
  g_autoptr (PlDataset) ds = pl_dataset_load_csv (path, NULL, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (ds->n, 150);
  ck_assert_int_eq (ds->n_features, 4);
  ck_assert_str_eq (ds->feature_names[3], "petal_width");
  ck_assert_str_eq (ds->label_name, "species");
  ck_assert_int_eq (ds->n_classes, 3);
  ck_assert_str_eq (ds->class_names[0], "setosa");
  ck_assert_str_eq (ds->class_names[1], "versicolor");
  ck_assert_str_eq (ds->class_names[2], "virginica");
  /* row 0: 5.1, 3.5, 1.4, 0.2, setosa (Fisher 1936) */
  ck_assert_float_eq (ds->features[0], 5.1f);
  ck_assert_float_eq (ds->features[1], 3.5f);
  ck_assert_float_eq (ds->features[2], 1.4f);
  ck_assert_float_eq (ds->features[3], 0.2f);
  ck_assert_int_eq (ds->labels[0], 0);
  int counts[3] = { 0, 0, 0 };
  for (int i = 0; i < 150; i++)
    counts[ds->labels[i]]++;
  ck_assert_int_eq (counts[0], 50);
  ck_assert_int_eq (counts[1], 50);
  ck_assert_int_eq (counts[2], 50);

  /* published summary statistics of iris: means 5.843, 3.057, 3.758, 1.199 cm;
   * population sd of sepal length 0.8253, of petal length 1.7594 */
  float mean[4], sd[4];
  ck_assert (pl_dataset_feature_stats (ds, mean, sd, &error));
  ck_assert_float_eq_tol (mean[0], 5.843333f, 1e-4);
  ck_assert_float_eq_tol (mean[1], 3.057333f, 1e-4);
  ck_assert_float_eq_tol (mean[2], 3.758000f, 1e-4);
  ck_assert_float_eq_tol (mean[3], 1.199333f, 1e-4);
  ck_assert_float_eq_tol (sd[0], 0.825301f, 1e-4);
  ck_assert_float_eq_tol (sd[2], 1.759404f, 1e-4);

  /* pl_dataset_open detects the table */
  g_autoptr (PlDataset) d2 = pl_dataset_open (path, NULL, NULL, &error);
  ck_assert_msg (d2 != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (d2->kind, PL_DATASET_TABLE);
  ck_assert_int_eq (d2->n, 150);
}
END_TEST

START_TEST (test_other_files)
{
  struct { const char *file; gint n, F, K; gint counts[3]; } sets[] = {
    { "data/datasets/wine.csv", 178, 13, 3, { 59, 71, 48 } },
    { "data/datasets/breast-cancer.csv", 569, 30, 2, { 212, 357, 0 } },
  };
  for (guint s = 0; s < G_N_ELEMENTS (sets); s++) {
    g_autofree char *path = source_file (sets[s].file);
    g_autoptr (GError) error = NULL;
    g_autoptr (PlDataset) ds = pl_dataset_load_csv (path, NULL, &error);
    ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
    ck_assert_int_eq (ds->n, sets[s].n);
    ck_assert_int_eq (ds->n_features, sets[s].F);
    ck_assert_int_eq (ds->n_classes, sets[s].K);
    int counts[3] = { 0, 0, 0 };
    for (gint64 i = 0; i < ds->n; i++)
      counts[ds->labels[i]]++;
    for (int k = 0; k < 3; k++)
      ck_assert_int_eq (counts[k], sets[s].counts[k]);
  }
  /* diabetes: regression, row 0 = 59, 2, 32.1, ... -> 151 */
  g_autofree char *path = source_file ("data/datasets/diabetes.csv");
  PlCsvOptions o = PL_CSV_OPTIONS_INIT;
  o.regression = TRUE;
  g_autoptr (GError) error = NULL;
  g_autoptr (PlDataset) ds = pl_dataset_load_csv (path, &o, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (ds->n, 442);
  ck_assert_int_eq (ds->n_features, 10);
  ck_assert_int_eq (ds->n_classes, 0);
  ck_assert_float_eq (ds->features[0], 59);
  ck_assert_float_eq (ds->features[2], 32.1f);
  ck_assert_float_eq (ds->targets[0], 151);
  ck_assert_str_eq (ds->label_name, "progression");
}
END_TEST

START_TEST (test_feature_stats)
{
  g_autoptr (GError) error = NULL;
  /* x: 1 2 3 4 -> mean 2.5, population sd sqrt(1.25); c constant -> sd reported 1 */
  g_autoptr (PlDataset) ds = load ("x,c,l\n1,7,a\n2,7,a\n3,7,b\n4,7,b\n", NULL, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  float mean[2], sd[2];
  ck_assert (pl_dataset_feature_stats (ds, mean, sd, &error));
  ck_assert_float_eq_tol (mean[0], 2.5f, 1e-6);
  ck_assert_float_eq_tol (sd[0], 1.118034f, 1e-6);
  ck_assert_float_eq_tol (mean[1], 7.0f, 1e-6);
  ck_assert_float_eq (sd[1], 1.0f);
}
END_TEST

static void
write_file (const char *path, const void *data, gsize len)
{
  g_autoptr (GError) error = NULL;
  ck_assert_msg (g_file_set_contents (path, data, (gssize) len, &error), "%s",
                 error ? error->message : "");
}

static void
put_be32 (GByteArray *a, guint32 v)
{
  guint8 b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };
  g_byte_array_append (a, b, 4);
}

START_TEST (test_open)
{
  g_autoptr (GError) error = NULL;
  /* .tsv: the default delimiter becomes a tab */
  g_autofree char *tsv = g_build_filename (tmpdir, "t.TSV", NULL);
  write_file (tsv, "a\tb\n1\t0\n2\t1\n", 12);
  g_autoptr (PlDataset) t = pl_dataset_open (tsv, NULL, NULL, &error);
  ck_assert_msg (t != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (t->n, 2);
  ck_assert_float_eq (t->features[1], 2);

  /* an IDX folder: t10k files -> the test split */
  g_autofree char *idx = g_build_filename (tmpdir, "idx", NULL);
  g_mkdir (idx, 0700);
  g_autoptr (GByteArray) im = g_byte_array_new ();
  put_be32 (im, 0x803);
  put_be32 (im, 2);
  put_be32 (im, 2);
  put_be32 (im, 2);
  const guint8 px[8] = { 0, 255, 51, 102, 1, 2, 3, 4 };
  g_byte_array_append (im, px, 8);
  g_autoptr (GByteArray) lb = g_byte_array_new ();
  put_be32 (lb, 0x801);
  put_be32 (lb, 2);
  const guint8 l[2] = { 9, 3 };
  g_byte_array_append (lb, l, 2);
  g_autofree char *imp = g_build_filename (idx, "t10k-images-idx3-ubyte", NULL);
  g_autofree char *lbp = g_build_filename (idx, "t10k-labels-idx1-ubyte", NULL);
  write_file (imp, im->data, im->len);
  write_file (lbp, lb->data, lb->len);
  g_autoptr (PlDataset) d = pl_dataset_open (idx, NULL, NULL, &error);
  ck_assert_msg (d != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (d->kind, PL_DATASET_IMAGES);
  ck_assert_int_eq (d->n, 2);
  ck_assert_int_eq (d->labels[0], 9);
  ck_assert_str_eq (d->class_names[9], "Ankle boot");
  ck_assert_int_eq (d->pixels[1], 255);
  /* the train split is not there */
  PlDataset *none = pl_dataset_open (idx, "train", NULL, &error);
  ck_assert_ptr_null (none);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_UNSUPPORTED));
  ck_assert (strstr (error->message, "train-images-idx3-ubyte") != NULL);
  g_clear_error (&error);

  /* nothing recognisable */
  g_autofree char *empty = g_build_filename (tmpdir, "empty", NULL);
  g_mkdir (empty, 0700);
  none = pl_dataset_open (empty, NULL, NULL, &error);
  ck_assert_ptr_null (none);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_UNSUPPORTED));
  ck_assert (strstr (error->message, empty) != NULL);
  ck_assert (strstr (error->message, "PNG") != NULL);
  g_clear_error (&error);
  g_autofree char *txt = g_build_filename (tmpdir, "notes.txt", NULL);
  write_file (txt, "hello", 5);
  none = pl_dataset_open (txt, NULL, NULL, &error);
  ck_assert_ptr_null (none);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_UNSUPPORTED));
  ck_assert (strstr (error->message, ".csv") != NULL);
  g_clear_error (&error);
  g_autofree char *missing = g_build_filename (tmpdir, "nope.csv", NULL);
  none = pl_dataset_open (missing, NULL, NULL, &error);
  ck_assert_ptr_null (none);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_IO));
  ck_assert (strstr (error->message, missing) != NULL);
}
END_TEST

/* Session 4: a wholly numeric label column is read as numbers — "1", "1.0" and "1e0" are
 * one class; a column with any text keeps its labels as text. */
START_TEST (test_numeric_labels_as_numbers)
{
  PlCsvOptions o = PL_CSV_OPTIONS_INIT;
  g_autoptr (GError) error = NULL;
  g_autoptr (PlDataset) a = load ("x,y\n1,1\n2,1.0\n3,0.0\n4,1e0\n5,2\n", &o, &error);
  ck_assert_msg (a != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (a->n_classes, 3);
  ck_assert_int_eq (a->labels[0], 1);
  ck_assert_int_eq (a->labels[1], 1);
  ck_assert_int_eq (a->labels[2], 0);
  ck_assert_int_eq (a->labels[3], 1);
  ck_assert_int_eq (a->labels[4], 2);
  ck_assert_str_eq (a->class_names[1], "1");

  /* outside 0..255: one class per value in order of first appearance, named by the first
   * spelling */
  g_autoptr (PlDataset) b = load ("x,y\n1,-1\n2,1\n3,-1.0\n4,1.00\n", &o, &error);
  ck_assert_msg (b != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (b->n_classes, 2);
  ck_assert_str_eq (b->class_names[0], "-1");
  ck_assert_str_eq (b->class_names[1], "1");
  ck_assert_int_eq (b->labels[2], 0);
  ck_assert_int_eq (b->labels[3], 1);

  /* text labels stay text, even when some look numeric */
  g_autoptr (PlDataset) c = load ("x,y\n1,1\n2,1.0\n3,cat\n", &o, &error);
  ck_assert_msg (c != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (c->n_classes, 3);
  ck_assert_str_eq (c->class_names[0], "1");
  ck_assert_str_eq (c->class_names[1], "1.0");
}
END_TEST

/* Session 4 (cli2): user-controlled names and values in messages are cut to 60 characters
 * + "…" (pl_error_quote); duplicate column names and UTF-16 files are refused by name. */
START_TEST (test_long_names_duplicates_utf16)
{
  /* pl_error_quote: 60 characters kept, multi-byte characters whole, controls as spaces */
  g_autofree char *q1 = pl_error_quote ("short\tname");
  ck_assert_str_eq (q1, "short name");
  GString *l = g_string_new (NULL);
  for (int i = 0; i < 70; i++)
    g_string_append (l, "é");
  g_autofree char *q2 = pl_error_quote (l->str);
  ck_assert_int_eq (g_utf8_strlen (q2, -1), 61);
  ck_assert (g_str_has_suffix (q2, "é…"));
  g_string_free (l, TRUE);
  g_autofree char *q3 = pl_error_quote (NULL);
  ck_assert_str_eq (q3, "(none)");

  /* a 20 000-character column name holding a word: the message stays short */
  GString *t = g_string_new ("a,");
  for (int i = 0; i < 20000; i++)
    g_string_append_c (t, 'w');
  g_string_append (t, ",label\n1,x,0\n2,y,1\n");
  g_autoptr (GError) error = NULL;
  ck_assert_ptr_null (pl_dataset_load_csv_data (t->str, t->len, "t.csv", NULL, &error));
  ck_assert_msg (strlen (error->message) < 300, "%zu bytes", strlen (error->message));
  ck_assert_ptr_nonnull (strstr (error->message, "non-numeric value \"x\""));
  g_clear_error (&error);
  /* … and the list of columns of a wrong --label */
  PlCsvOptions o = PL_CSV_OPTIONS_INIT;
  o.label_column = "nope";
  ck_assert_ptr_null (pl_dataset_load_csv_data (t->str, t->len, "t.csv", &o, &error));
  ck_assert_msg (strlen (error->message) < 300, "%zu bytes", strlen (error->message));
  g_clear_error (&error);
  g_string_free (t, TRUE);

  expect_error ("a,b,a,label\n1,2,3,0\n4,5,6,1\n", NULL, PL_ERROR_PARSE,
                "columns 1 and 3 are both named 'a'", "rename one");
  static const char le[] = "\xff\xfe" "a\0,\0b\0\n\0";
  ck_assert_ptr_null (pl_dataset_load_csv_data (le, sizeof le - 1, "t.csv", NULL, &error));
  ck_assert_ptr_nonnull (strstr (error->message, "UTF-16 text (byte-order mark FF FE); save "
                                                 "it as UTF-8"));
  g_clear_error (&error);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("dataset-csv");
  TCase *tc = tcase_create ("csv");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_basic_classes);
  tcase_add_test (tc, test_long_names_duplicates_utf16);
  tcase_add_test (tc, test_bom_quotes_newlines_crlf);
  tcase_add_test (tc, test_spaces);
  tcase_add_test (tc, test_quote_errors);
  tcase_add_test (tc, test_missing_values);
  tcase_add_test (tc, test_ragged_nonnumeric_empty);
  tcase_add_test (tc, test_label_choice);
  tcase_add_test (tc, test_numeric_labels_as_numbers);
  tcase_add_test (tc, test_regression_delimiters_header);
  tcase_add_test (tc, test_one_hot);
  tcase_add_test (tc, test_iris_file);
  tcase_add_test (tc, test_other_files);
  tcase_add_test (tc, test_feature_stats);
  tcase_add_test (tc, test_open);
  tcase_add_test (tc, test_numeric_labels_and_range);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
