/* pl-analysis-private.h — helpers shared inside src/core/analysis (not installed). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

/* splitmix64 (Steele, Lea & Flood, OOPSLA 2014). */
static inline guint64
pl_analysis_splitmix64 (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double
pl_analysis_uniform (guint64 *state)
{
  return (double) (pl_analysis_splitmix64 (state) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [0, n) (n ≥ 1) without modulo bias (rejection). */
static inline guint64
pl_analysis_below (guint64 *state, guint64 n)
{
  guint64 limit = G_MAXUINT64 - G_MAXUINT64 % n;
  guint64 r;
  do
    r = pl_analysis_splitmix64 (state);
  while (r >= limit);
  return r % n;
}

/* CSV fields for the exports (pl-csv.c): the shortest of %.15g, %.16g, %.17g that reads
 * back as v, with '.' as decimal point; non-finite values as an empty field; text quoted
 * when it holds a comma, quote or line break (RFC 4180). */
const char *pl_analysis_format_double (char *buf, gsize size, double v);
void pl_analysis_csv_double (GString *s, double v);
void pl_analysis_csv_text (GString *s, const char *text);

/* JSON members (pl-csv.c): a number, null when not finite (name NULL inside an array);
 * an integer; a string ("" for NULL). */
void pl_analysis_json_double (JsonBuilder *b, const char *name, double v);
void pl_analysis_json_int (JsonBuilder *b, const char *name, gint64 v);
void pl_analysis_json_string (JsonBuilder *b, const char *name, const char *v);
