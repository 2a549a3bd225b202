/* Killing the process while it saves: a child saves a recipe 100 times in a loop, each
 * time with different content; the parent kills it with SIGKILL at a random moment and
 * checks that the file is intact: it opens with pl_recipe_load_file and holds one whole
 * version (the old or a new one), never a mix or a truncated file. Repeated 40 times. */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "session/pl-recipe.h"

#define ROUNDS 40
#define SAVES 100

/* Version v of the recipe: title "version v", and 200 + v % 300 inputs all equal to v,
 * so that any mix or truncation is detected. */
static PlRecipe *
make_version (gint64 v)
{
  PlRecipe *r = pl_recipe_new ();
  r->title = g_strdup_printf ("version %" G_GINT64_FORMAT, v);
  for (gint64 i = 0; i < 200 + v % 300; i++)
    g_array_append_val (r->inputs, v);
  pl_recipe_add_step (r, pl_recipe_step_new (NULL, (double) (v % 100) / 100.0));
  return r;
}

static gint64
check_version (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlRecipe) r = pl_recipe_load_file (path, &error);
  ck_assert_msg (r != NULL, "the file is damaged after a kill: %s",
                 error ? error->message : "");
  ck_assert_ptr_nonnull (r->title);
  gint64 v = -1;
  ck_assert (sscanf (r->title, "version %" G_GINT64_FORMAT, &v) == 1);
  ck_assert_int_eq ((gint64) r->inputs->len, 200 + v % 300);
  for (guint i = 0; i < r->inputs->len; i++)
    ck_assert_int_eq (g_array_index (r->inputs, gint64, i), v);
  ck_assert_uint_eq (r->steps->len, 1);
  ck_assert_double_eq (((PlRecipeStep *) g_ptr_array_index (r->steps, 0))->sparsity,
                       (double) (v % 100) / 100.0);
  return v;
}

START_TEST (test_kill_during_save)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pl-kill-XXXXXX", &error);
  ck_assert (dir != NULL);
  g_autofree char *path = g_build_filename (dir, "session.prunelens", NULL);
  {
    g_autoptr (PlRecipe) first = make_version (0);
    ck_assert (pl_recipe_save_file (first, path, &error));
  }
  GRand *rand = g_rand_new_with_seed (7);
  gint64 last = 0;
  gint killed_mid_loop = 0;
  for (gint round = 0; round < ROUNDS; round++)
    {
      gint64 base = 1 + (gint64) round * SAVES;
      pid_t pid = fork ();
      ck_assert (pid >= 0);
      if (pid == 0)
        {
          for (gint64 v = base; v < base + SAVES; v++)
            {
              PlRecipe *r = make_version (v);
              if (!pl_recipe_save_file (r, path, NULL))
                _exit (3);
              pl_recipe_free (r);
            }
          _exit (0);
        }
      /* Kill after 0 … 60 ms: usually in the middle of the loop, sometimes of a write. */
      g_usleep ((gulong) g_rand_int_range (rand, 0, 60000));
      kill (pid, SIGKILL);
      int status = 0;
      ck_assert (waitpid (pid, &status, 0) == pid);
      if (WIFSIGNALED (status))
        killed_mid_loop++;
      else
        ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "child failed");
      gint64 v = check_version (path);
      /* the old content or one of this round's saves */
      ck_assert_msg (v == last || (v >= base && v < base + SAVES),
                     "round %d: version %" G_GINT64_FORMAT " after %" G_GINT64_FORMAT,
                     round, v, last);
      last = v;
    }
  g_rand_free (rand);
  ck_assert_msg (killed_mid_loop > ROUNDS / 2, "only %d kills landed during the loop",
                 killed_mid_loop);
  /* remove the file and any temporary file a kill left behind */
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (dir);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("recipe-kill");
  TCase *tc = tcase_create ("kill");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_kill_during_save);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_set_fork_status (sr, CK_NOFORK);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
