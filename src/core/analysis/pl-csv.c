/* pl-csv.c — CSV number and text fields shared by the analysis exports. */
#include "pl-analysis-private.h"

#include <math.h>
#include <string.h>

/* The shortest of %.15g, %.16g, %.17g that reads back as v ('.' decimal point). */
const char *
pl_analysis_format_double (char *buf, gsize size, double v)
{
  static const char *const formats[3] = { "%.15g", "%.16g", "%.17g" };
  for (gint i = 0; i < 3; i++)
    {
      g_ascii_formatd (buf, (gint) size, formats[i], v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  return buf;
}

void
pl_analysis_csv_double (GString *s, double v)
{
  if (isfinite (v))
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      g_string_append (s, pl_analysis_format_double (buf, sizeof buf, v));
    }
}

/* A CSV field, quoted when it holds a comma, quote or line break (RFC 4180). */
void
pl_analysis_csv_text (GString *s, const char *text)
{
  if (text == NULL)
    return;
  if (strpbrk (text, ",\"\r\n") == NULL)
    {
      g_string_append (s, text);
      return;
    }
  g_string_append_c (s, '"');
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (s, '"');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
}

