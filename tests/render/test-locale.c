/* Language of an uninstalled build: pl_locale_dir finds the build tree's compiled
 * catalogues, figure strings drawn by src/render are translated through them, and both
 * build/src/cli/prunelens-cli and build/src/app/prunelens speak Chinese under
 * LANGUAGE=zh_CN without PRUNELENS_LOCALEDIR (and English in the C locale). */
#include "config.h"

#include <check.h>
#include <glib/gi18n-lib.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include "pl-figures.h"
#include "pl-render.h"

static const char *
build_dir (void)
{
  const char *b = g_getenv ("PL_BUILD_DIR");
  ck_assert_msg (b != NULL, "PL_BUILD_DIR is not set (run through meson test)");
  return b;
}

static gboolean
have_catalogue (void)
{
  g_autofree char *mo = g_build_filename (build_dir (), "po", "zh_CN", "LC_MESSAGES",
                                          GETTEXT_PACKAGE ".mo", NULL);
  return g_file_test (mo, G_FILE_TEST_IS_REGULAR);
}

START_TEST (test_locale_dir_is_build_tree)
{
  if (!have_catalogue ())
    {
      g_print ("the zh_CN catalogue is not built: skipping\n");
      return;
    }
  g_autofree char *expected = g_build_filename (build_dir (), "po", NULL);
  g_autofree char *want = g_canonicalize_filename (expected, "/");
  g_autofree char *got = g_canonicalize_filename (pl_locale_dir (), "/");
  ck_assert_str_eq (got, want);
}
END_TEST

START_TEST (test_figure_strings_translated)
{
  if (!have_catalogue ())
    return;
  /* Translated through the build tree's catalogue… */
  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  ck_assert_ptr_nonnull (setlocale (LC_ALL, "C.UTF-8"));
  bindtextdomain (GETTEXT_PACKAGE, pl_locale_dir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  ck_assert_str_eq (_("true class"), "真实类别");
  ck_assert_str_eq (_("Training curves"), "训练曲线");
  /* … as drawn: the training-curves figure's title comes from the catalogue. */
  const double loss[2] = { 1.0, 0.5 }, acc[2] = { 0.5, 0.7 };
  PlOwnedPanelsFigure *f = pl_training_figure_new (2, loss, acc, NULL, NULL, FALSE, NULL);
  ck_assert_ptr_nonnull (f);
  ck_assert_str_eq (f->figure.title, "训练曲线");
  ck_assert_str_eq (f->panels[1].x_label, "轮次");
  pl_owned_panels_figure_free (f);
  /* The C locale (what the golden images are drawn in) stays English. */
  ck_assert_ptr_nonnull (setlocale (LC_ALL, "C"));
  g_unsetenv ("LANGUAGE");
  ck_assert_str_eq (_("true class"), "true class");
  f = pl_training_figure_new (2, loss, acc, NULL, NULL, FALSE, NULL);
  ck_assert_str_eq (f->figure.title, "Training curves");
  pl_owned_panels_figure_free (f);
}
END_TEST

/* Runs a built program with LANGUAGE and returns its standard output (NULL when the
 * program is not built). */
static char *
run_help (const char *relative, const char *language)
{
  g_autofree char *exe = g_build_filename (build_dir (), relative, NULL);
  if (!g_file_test (exe, G_FILE_TEST_IS_EXECUTABLE))
    return NULL;
  g_auto (GStrv) env = g_get_environ ();
  env = g_environ_unsetenv (env, "PRUNELENS_LOCALEDIR");
  env = g_environ_unsetenv (env, "LC_MESSAGES");
  env = g_environ_setenv (env, "LC_ALL", "C.UTF-8", TRUE);
  if (language != NULL)
    env = g_environ_setenv (env, "LANGUAGE", language, TRUE);
  else
    env = g_environ_unsetenv (env, "LANGUAGE");
  const char *argv[] = { exe, "--help", NULL };
  char *out = NULL, *err = NULL;
  int status = 0;
  g_autoptr (GError) error = NULL;
  ck_assert_msg (g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, &status, &error),
                 "%s: %s", exe, error ? error->message : "");
  g_free (err);
  return out;
}

START_TEST (test_programs_speak_chinese)
{
  if (!have_catalogue ())
    return;
  g_autofree char *cli_zh = run_help ("src/cli/prunelens-cli", "zh_CN");
  if (cli_zh != NULL)
    {
      ck_assert_msg (strstr (cli_zh, "用法") != NULL, "prunelens-cli --help under zh_CN:\n%s",
                     cli_zh);
      g_autofree char *cli_en = run_help ("src/cli/prunelens-cli", NULL);
      ck_assert_msg (strstr (cli_en, "Usage") != NULL, "prunelens-cli --help:\n%s", cli_en);
    }
  g_autofree char *app_zh = run_help ("src/app/prunelens", "zh_CN");
  if (app_zh != NULL)
    {
      /* The option summary: "See what pruning does to a neural network…" */
      ck_assert_msg (strstr (app_zh, "剪枝") != NULL, "prunelens --help under zh_CN:\n%s",
                     app_zh);
      g_autofree char *app_en = run_help ("src/app/prunelens", NULL);
      ck_assert_msg (strstr (app_en, "pruning") != NULL, "prunelens --help:\n%s", app_en);
    }
  ck_assert_msg (cli_zh != NULL || app_zh != NULL, "neither program is built");
}
END_TEST

int
main (void)
{
  Suite *suite = suite_create ("locale");
  TCase *tc = tcase_create ("locale");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_locale_dir_is_build_tree);
  tcase_add_test (tc, test_figure_strings_translated);
  tcase_add_test (tc, test_programs_speak_chinese);
  suite_add_tcase (suite, tc);
  SRunner *runner = srunner_create (suite);
  srunner_set_fork_status (runner, CK_NOFORK);
  srunner_run_all (runner, CK_NORMAL);
  int failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
