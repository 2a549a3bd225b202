/* pl-locale.c — where the message catalogues are, installed or in the build tree. */
#include "config.h"
#include "pl-render.h"

#include <string.h>

/* Whether dir holds a compiled catalogue of our domain for at least one language. */
static gboolean
has_catalogue (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    return FALSE;
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *mo = g_build_filename (dir, name, "LC_MESSAGES",
                                              GETTEXT_PACKAGE ".mo", NULL);
      if (g_file_test (mo, G_FILE_TEST_IS_REGULAR))
        return TRUE;
    }
  return FALSE;
}

/* Whether the running executable lies inside the build tree it was compiled in. */
static gboolean
running_from_build_tree (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  if (exe == NULL)
    return FALSE;
  g_autofree char *root = g_canonicalize_filename (PL_BUILD_ROOT, "/");
  gsize n = strlen (root);
  return strncmp (exe, root, n) == 0 && exe[n] == G_DIR_SEPARATOR;
}

static gpointer
find_locale_dir (gpointer unused)
{
  const char *env = g_getenv ("PRUNELENS_LOCALEDIR");
  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  if (running_from_build_tree () && has_catalogue (PL_BUILD_LOCALEDIR))
    return g_strdup (PL_BUILD_LOCALEDIR);
  return g_strdup (LOCALEDIR);
}

const char *
pl_locale_dir (void)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, find_locale_dir, NULL);
  return once.retval;
}
