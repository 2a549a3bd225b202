/* pl-csv.c — CSV fields and JSON members shared by the analysis exports. */
#include "pl-analysis-private.h"

#include <json-glib/json-glib.h>
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


void
pl_analysis_json_double (JsonBuilder *b, const char *name, double v)
{
  if (name != NULL)
    json_builder_set_member_name (b, name);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

void
pl_analysis_json_int (JsonBuilder *b, const char *name, gint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

void
pl_analysis_json_string (JsonBuilder *b, const char *name, const char *v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, v ? v : "");
}
