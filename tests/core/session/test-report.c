/* The PDF report (src/render/pl-report.h): page count by the layout rules, the PDF dates
 * from the report's date or SOURCE_DATE_EPOCH (else the epoch), identical bytes twice. */
#define _GNU_SOURCE
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "pl-error.h"
#include "pl-report.h"

static gint draws;

/* A figure that paints a frame and counts its calls. */
static void
draw_box (cairo_t *cr, double width, double height, gconstpointer data)
{
  (void) data;
  draws++;
  cairo_rectangle (cr, 1, 1, width - 2, height - 2);
  cairo_stroke (cr);
}

static PlReport *
make_report (gint n_figures, gint n_rows)
{
  /* No CJK text here: cairo 1.16 leaks 768 bytes per PDF when it subsets Noto Sans CJK,
   * which would fail this test under LeakSanitizer. */
  PlReport *r = pl_report_new ("Test report — “quotes” and accents: éàü");
  pl_report_add_fact (r, "Model", "m.onnx");
  pl_report_add_step (r, 0, "original", 0, 0, 0.9, 100);
  pl_report_add_step (r, 1, "magnitude, unstructured, global", 0.5, 0.5, NAN, 0);
  for (gint i = 0; i < n_figures; i++)
    pl_report_add_figure (r, draw_box, NULL, NULL, 6.5, 3.0, i == 0 ? "a caption" : NULL);
  if (n_rows >= 0)
    {
      const char *header[] = { "Metric", "Value", NULL };
      pl_report_set_metrics_header (r, header);
      for (gint i = 0; i < n_rows; i++)
        {
          g_autofree char *v = g_strdup_printf ("%d", i);
          const char *row[] = { "accuracy", v, NULL };
          pl_report_add_metrics_row (r, row);
        }
    }
  return r;
}

/* memmem: PDF streams hold NUL bytes, so g_strstr_len would stop early. */
static gboolean
contains (const char *data, gsize len, const char *needle)
{
  return memmem (data, len, needle, strlen (needle)) != NULL;
}

static char *
read_all (const char *path, gsize *len)
{
  char *data = NULL;
  ck_assert (g_file_get_contents (path, &data, len, NULL));
  return data;
}

START_TEST (test_pages)
{
  /* title page only */
  g_autoptr (PlReport) a = make_report (0, -1);
  ck_assert_int_eq (pl_report_n_pages (a), 1);
  /* 3 figures of 6.5 × 3 in: two on a page, then one; plus the metrics page */
  g_autoptr (PlReport) b = make_report (3, 2);
  draws = 0;
  ck_assert_int_eq (pl_report_n_pages (b), 1 + 2 + 1);
  ck_assert_int_eq (draws, 3);
  /* 200 metric rows do not fit one page: the table continues */
  g_autoptr (PlReport) c = make_report (0, 200);
  ck_assert_int_ge (pl_report_n_pages (c), 3);
}
END_TEST

START_TEST (test_dates_and_bytes)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pl-report-XXXXXX", &error);
  g_autofree char *p1 = g_build_filename (dir, "a.pdf", NULL);
  g_autofree char *p2 = g_build_filename (dir, "b.pdf", NULL);
  g_autoptr (PlReport) r = make_report (3, 5);

  g_unsetenv ("SOURCE_DATE_EPOCH");
  ck_assert_msg (pl_report_write_pdf (r, p1, &error), "%s", error ? error->message : "");
  ck_assert (pl_report_write_pdf (r, p2, &error));
  gsize l1, l2;
  g_autofree char *d1 = read_all (p1, &l1);
  g_autofree char *d2 = read_all (p2, &l2);
  ck_assert_uint_eq (l1, l2);
  ck_assert (memcmp (d1, d2, l1) == 0);
  ck_assert (g_str_has_prefix (d1, "%PDF-1.5"));
  ck_assert (contains (d1, l1, "/CreationDate (19700101000000+00'00)"));
  ck_assert (contains (d1, l1, "/ModDate (19700101000000+00'00)"));

  /* SOURCE_DATE_EPOCH 86400 = 1970-01-02 */
  g_setenv ("SOURCE_DATE_EPOCH", "86400", TRUE);
  ck_assert (pl_report_write_pdf (r, p1, &error));
  g_free (d1);
  d1 = read_all (p1, &l1);
  ck_assert (contains (d1, l1, "/CreationDate (19700102000000+00'00)"));

  /* the report's own date wins */
  g_autoptr (GDateTime) dt = g_date_time_new_from_iso8601 ("2026-03-04T05:06:07Z", NULL);
  pl_report_set_date (r, dt);
  ck_assert (pl_report_write_pdf (r, p1, &error));
  g_free (d1);
  d1 = read_all (p1, &l1);
  ck_assert (contains (d1, l1, "/CreationDate (20260304050607+00'00)"));
  g_unsetenv ("SOURCE_DATE_EPOCH");

  /* an unwritable path names itself */
  g_autofree char *bad = g_build_filename (dir, "missing", "x.pdf", NULL);
  ck_assert (!pl_report_write_pdf (r, bad, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_IO));
  ck_assert_ptr_nonnull (strstr (error->message, bad));
  g_clear_error (&error);

  g_unlink (p1);
  g_unlink (p2);
  g_rmdir (dir);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("report");
  TCase *tc = tcase_create ("report");
  tcase_add_test (tc, test_pages);
  tcase_add_test (tc, test_dates_and_bytes);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
