/* pl-cpu.c — re-exec with OPENBLAS_CORETYPE when OpenBLAS picked generic kernels. */
#include <string.h>
#include <unistd.h>
#include <cblas.h>
#include "exec/pl-cpu.h"

/* Kernels that already use AVX2 / AVX-512: OpenBLAS's own choice stands. */
static gboolean
core_is_modern (const char *name)
{
  static const char *const modern[] = {
    "haswell", "zen", "skylakex", "cooperlake", "sapphirerapids", "excavator", NULL
  };
  if (name == NULL)
    return TRUE;   /* unknown: do not interfere */
  for (gint i = 0; modern[i] != NULL; i++)
    if (g_ascii_strcasecmp (name, modern[i]) == 0)
      return TRUE;
  return FALSE;
}

const char *
pl_engine_cpu_preferred_core (void)
{
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init ();
  const char *want = NULL;
  if (__builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512bw")
      && __builtin_cpu_supports ("avx512dq") && __builtin_cpu_supports ("avx512vl")
      && __builtin_cpu_supports ("avx512cd") && __builtin_cpu_supports ("fma"))
    want = "SkylakeX";
  else if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    want = "Haswell";
  if (want == NULL || core_is_modern (openblas_get_corename ()))
    return NULL;
  return want;
#else
  return NULL;
#endif
}

void
pl_engine_init_cpu (int argc, char **argv)
{
  if (argc < 1 || argv == NULL || argv[0] == NULL)
    return;
  if (g_getenv ("OPENBLAS_CORETYPE") != NULL || g_getenv ("PL_NO_CPU_REEXEC") != NULL
      || g_getenv ("PL_CPU_REEXEC") != NULL)
    return;
  const char *want = pl_engine_cpu_preferred_core ();
  if (want == NULL)
    return;
  if (!g_setenv ("OPENBLAS_CORETYPE", want, TRUE) || !g_setenv ("PL_CPU_REEXEC", "1", TRUE))
    return;
  fflush (NULL);
  execv ("/proc/self/exe", argv);
  /* exec failed (no /proc, seccomp...): keep running with the generic kernels, and do not
   * pass a kernel choice this process did not get on to child processes. */
  g_unsetenv ("OPENBLAS_CORETYPE");
  g_unsetenv ("PL_CPU_REEXEC");
}
