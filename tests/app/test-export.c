/* Export options: sizes in mm and inches, PNG resolution, SVG / PDF, bad names, and the
 * GSettings round trip (GSETTINGS_BACKEND=memory). No display needed. */
#include "config.h"

#include <cairo.h>
#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include "pl-export-dialog.h"
#include "pl-error.h"

static char *tmp;

static void
draw_box (cairo_t *cr, double width, double height, gconstpointer figure)
{
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_set_source_rgb (cr, 0.2, 0.4, 0.8);
  cairo_rectangle (cr, width / 4, height / 4, width / 2, height / 2);
  cairo_fill (cr);
}

static void
png_size (const char *path, int *w, int *h)
{
  cairo_surface_t *s = cairo_image_surface_create_from_png (path);
  ck_assert_int_eq (cairo_surface_status (s), CAIRO_STATUS_SUCCESS);
  *w = cairo_image_surface_get_width (s);
  *h = cairo_image_surface_get_height (s);
  cairo_surface_destroy (s);
}

START_TEST (test_sizes)
{
  g_autoptr (GError) error = NULL;
  /* 100 mm × 50.8 mm at 254 dpi: 100 / 25.4 × 254 = 1000 and 2 × 254 = 508 pixels. */
  PlExportOptions mm = { .width = 100.0, .height = 50.8, .inches = FALSE, .dpi = 254.0,
                         .captions = TRUE };
  double w_in, h_in;
  pl_export_options_size_in (&mm, &w_in, &h_in);
  ck_assert_double_eq_tol (w_in, 100.0 / 25.4, 1e-12);
  ck_assert_double_eq_tol (h_in, 2.0, 1e-12);
  g_autofree char *png = g_build_filename (tmp, "a.PNG", NULL);
  ck_assert_msg (pl_export_draw_file (draw_box, NULL, &mm, png, "t", "d", &error), "%s",
                 error ? error->message : "");
  int w, h;
  png_size (png, &w, &h);
  ck_assert_int_eq (w, 1000);
  ck_assert_int_eq (h, 508);

  /* 2 × 1 inches at 100 dpi: 200 × 100 pixels. */
  PlExportOptions in = { .width = 2.0, .height = 1.0, .inches = TRUE, .dpi = 100.0 };
  g_autofree char *png2 = g_build_filename (tmp, "b.png", NULL);
  ck_assert (pl_export_draw_file (draw_box, NULL, &in, png2, "t", "d", &error));
  png_size (png2, &w, &h);
  ck_assert_int_eq (w, 200);
  ck_assert_int_eq (h, 100);

  /* SVG: 2 in = 144 pt wide. */
  g_autofree char *svg = g_build_filename (tmp, "c.svg", NULL);
  ck_assert (pl_export_draw_file (draw_box, NULL, &in, svg, "t", "d", &error));
  g_autofree char *text = NULL;
  ck_assert (g_file_get_contents (svg, &text, NULL, NULL));
  ck_assert_msg (strstr (text, "width=\"144") != NULL, "SVG header: %.200s", text);
  g_autofree char *pdf = g_build_filename (tmp, "d.pdf", NULL);
  ck_assert (pl_export_draw_file (draw_box, NULL, &in, pdf, "t", "d", &error));
  g_autofree char *pdf_text = NULL;
  ck_assert (g_file_get_contents (pdf, &pdf_text, NULL, NULL));
  ck_assert (g_str_has_prefix (pdf_text, "%PDF"));

  g_autofree char *bad = g_build_filename (tmp, "e.jpeg", NULL);
  ck_assert (!pl_export_draw_file (draw_box, NULL, &in, bad, "t", "d", &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  ck_assert_ptr_nonnull (strstr (error->message, "e.jpeg"));
  g_unlink (png);
  g_unlink (png2);
  g_unlink (svg);
  g_unlink (pdf);
}
END_TEST

START_TEST (test_settings)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = source ? g_settings_schema_source_lookup (source, APP_ID, TRUE) : NULL;
  if (schema == NULL)
    return;   /* schema not compiled: nothing to round-trip */
  g_autoptr (GSettings) settings = g_settings_new (APP_ID);
  PlExportOptions o;
  pl_export_options_load (&o, settings);
  ck_assert_double_eq (o.width, 165.0);
  ck_assert_double_eq (o.height, 90.0);
  ck_assert (!o.inches);
  ck_assert_double_eq (o.dpi, 150.0);
  ck_assert (o.captions);
  PlExportOptions n = { .width = 6.5, .height = 3.25, .inches = TRUE, .dpi = 300.0,
                        .captions = FALSE };
  pl_export_options_save (&n, settings);
  PlExportOptions back;
  pl_export_options_load (&back, settings);
  ck_assert_double_eq (back.width, 6.5);
  ck_assert_double_eq (back.height, 3.25);
  ck_assert (back.inches);
  ck_assert_double_eq (back.dpi, 300.0);
  ck_assert (!back.captions);
  g_autofree char *unit = g_settings_get_string (settings, "export-unit");
  ck_assert_str_eq (unit, "in");
  PlExportOptions def;
  pl_export_options_load (&def, NULL);
  ck_assert_double_eq (def.width, 165.0);
}
END_TEST

int
main (void)
{
  tmp = g_dir_make_tmp ("pl-export-XXXXXX", NULL);
  Suite *suite = suite_create ("export");
  TCase *tc = tcase_create ("main");
  tcase_add_test (tc, test_sizes);
  tcase_add_test (tc, test_settings);
  suite_add_tcase (suite, tc);
  SRunner *runner = srunner_create (suite);
  srunner_set_fork_status (runner, CK_NOFORK);
  srunner_run_all (runner, CK_NORMAL);
  int failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  g_rmdir (tmp);
  g_free (tmp);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
