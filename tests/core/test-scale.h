/* test-scale.h — the size knob of the core tests.
 *
 * PL_TEST_SCALE=small (set by tools/valgrind-tests) makes the heavy tests loop over fewer
 * images / samples / steps / epochs, so that every core test fits valgrind's ~50x slowdown.
 * Unset (meson test, AddressSanitizer) or any other value: the full sizes.
 *
 * Only dataset-sized loops shrink: a known-answer check keeps the size its answer needs
 * (e.g. the IG steps of a convergence test), and every assertion stays the same.
 */
#pragma once

#include <glib.h>

/* TRUE when PL_TEST_SCALE=small. */
static inline gboolean
pl_test_scale_small (void)
{
  const char *s = g_getenv ("PL_TEST_SCALE");
  return s != NULL && g_strcmp0 (s, "small") == 0;
}

/* @full normally, @small under PL_TEST_SCALE=small. */
static inline gint64
pl_test_scale_n (gint64 full, gint64 small)
{
  return pl_test_scale_small () ? small : full;
}
