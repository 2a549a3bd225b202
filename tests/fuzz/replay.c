/* replay.c — main() for `meson test`: feeds every file of the folders (or files) given
 * on the command line to LLVMFuzzerTestOneInput, in sorted order, printing each name
 * first so that a crash names its input. Fails if no input was found. */
#include "pl-fuzz.h"

#include <stdio.h>

static int
compare_strings (const void *a, const void *b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

static int
replay_path (const char *path, int *count)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GDir) dir = g_dir_open (path, 0, &error);
    if (dir == NULL) {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
    g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
    const char *n;
    while ((n = g_dir_read_name (dir)) != NULL)
      if (n[0] != '.')
        g_ptr_array_add (names, g_build_filename (path, n, NULL));
    g_ptr_array_sort (names, compare_strings);
    for (guint i = 0; i < names->len; i++)
      if (replay_path (g_ptr_array_index (names, i), count) != 0)
        return 1;
    return 0;
  }
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr (GError) error = NULL;
  if (!g_file_get_contents (path, &contents, &length, &error)) {
    fprintf (stderr, "%s\n", error->message);
    return 1;
  }
  printf ("%s (%" G_GSIZE_FORMAT " bytes)\n", path, length);
  fflush (stdout);
  /* A private copy of exactly length bytes, so ASan sees reads past the end. */
  g_autofree guint8 *copy = g_memdup2 (contents, length);
  LLVMFuzzerTestOneInput (copy, length);
  (*count)++;
  return 0;
}

int
main (int argc, char **argv)
{
  LLVMFuzzerInitialize (&argc, &argv);
  int count = 0;
  for (int i = 1; i < argc; i++) {
    if (!g_file_test (argv[i], G_FILE_TEST_EXISTS))
      continue;   /* e.g. no regressions for this target yet */
    if (replay_path (argv[i], &count) != 0)
      return 1;
  }
  printf ("replayed %d inputs\n", count);
  return count > 0 ? 0 : 1;
}
