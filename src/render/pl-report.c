/* pl-report.c — the multi-page PDF report (see pl-report.h). */
#include "config.h"
#include "pl-report.h"

#include <cairo-pdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include "pl-error.h"
#include "pl-render-private.h"

#define PAGE_W 595.0
#define PAGE_H 842.0
#define MARGIN 54.0
#define TEXT_W (PAGE_W - 2 * MARGIN)
#define BODY_BOTTOM (PAGE_H - MARGIN - 14.0)   /* room for the page number */
#define FONT 9.0

typedef struct {
  char *name, *value;
} Fact;

typedef struct {
  gint step;
  char *config;
  double target, achieved, accuracy;
  gint64 n_eval;
} Step;

typedef struct {
  PlDrawFunc draw;
  gpointer figure;
  GDestroyNotify destroy;
  double width_in, height_in;
  char *caption;
} Figure;

struct _PlReport {
  char *title;
  GDateTime *date;
  GArray *facts;       /* Fact */
  GArray *steps;       /* Step */
  GArray *figures;     /* Figure */
  GStrv header;
  GPtrArray *rows;     /* GStrv */
};

static void
fact_clear (gpointer p)
{
  Fact *f = p;
  g_free (f->name);
  g_free (f->value);
}

static void
step_clear (gpointer p)
{
  g_free (((Step *) p)->config);
}

static void
figure_clear (gpointer p)
{
  Figure *f = p;
  if (f->destroy && f->figure)
    f->destroy (f->figure);
  g_free (f->caption);
}

PlReport *
pl_report_new (const char *title)
{
  PlReport *r = g_new0 (PlReport, 1);
  r->title = g_strdup (title ? title : _("PruneLens report"));
  r->facts = g_array_new (FALSE, TRUE, sizeof (Fact));
  g_array_set_clear_func (r->facts, fact_clear);
  r->steps = g_array_new (FALSE, TRUE, sizeof (Step));
  g_array_set_clear_func (r->steps, step_clear);
  r->figures = g_array_new (FALSE, TRUE, sizeof (Figure));
  g_array_set_clear_func (r->figures, figure_clear);
  r->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  return r;
}

void
pl_report_free (PlReport *r)
{
  if (!r)
    return;
  g_free (r->title);
  g_clear_pointer (&r->date, g_date_time_unref);
  g_array_unref (r->facts);
  g_array_unref (r->steps);
  g_array_unref (r->figures);
  g_strfreev (r->header);
  g_ptr_array_unref (r->rows);
  g_free (r);
}

void
pl_report_set_date (PlReport *r, GDateTime *date)
{
  g_return_if_fail (r != NULL);
  g_clear_pointer (&r->date, g_date_time_unref);
  if (date)
    r->date = g_date_time_ref (date);
}

void
pl_report_add_fact (PlReport *r, const char *name, const char *value)
{
  g_return_if_fail (r != NULL && name != NULL);
  Fact f = { g_strdup (name), g_strdup (value ? value : "") };
  g_array_append_val (r->facts, f);
}

void
pl_report_add_step (PlReport *r, gint step, const char *config, double target,
                    double achieved, double accuracy, gint64 n_eval)
{
  g_return_if_fail (r != NULL);
  Step s = { step, g_strdup (config ? config : ""), target, achieved, accuracy, n_eval };
  g_array_append_val (r->steps, s);
}

void
pl_report_add_figure (PlReport *r, PlDrawFunc draw, gpointer figure, GDestroyNotify destroy,
                      double width_in, double height_in, const char *caption)
{
  g_return_if_fail (r != NULL && draw != NULL);
  g_return_if_fail (width_in > 0 && height_in > 0);
  Figure f = { draw, figure, destroy, width_in, height_in, g_strdup (caption) };
  g_array_append_val (r->figures, f);
}

void
pl_report_set_metrics_header (PlReport *r, const char *const *header)
{
  g_return_if_fail (r != NULL);
  g_strfreev (r->header);
  r->header = header ? g_strdupv ((char **) header) : NULL;
}

void
pl_report_add_metrics_row (PlReport *r, const char *const *cells)
{
  g_return_if_fail (r != NULL && cells != NULL);
  g_ptr_array_add (r->rows, g_strdupv ((char **) cells));
}

/* ---------------------------------------------------------------------------------------
 * Layout: one function both counts the pages (on a discarding surface) and draws them. */

typedef struct {
  cairo_surface_t *surface;
  cairo_t *cr;
  gint page;           /* 1-based page being drawn */
  gint total;          /* pages in all (0 while counting) */
  double y;
} Layout;

static void
page_footer (Layout *l)
{
  cairo_set_source_rgb (l->cr, 0.35, 0.35, 0.35);
  g_autofree char *text = l->total > 0 ? g_strdup_printf (_("page %d of %d"), l->page, l->total)
                                       : g_strdup_printf (_("page %d"), l->page);
  pl_draw_text (l->cr, PAGE_W / 2, PAGE_H - MARGIN + 6, text, 8.0, 0.5, 0.0);
}

static void
new_page (Layout *l)
{
  page_footer (l);
  cairo_show_page (l->cr);
  l->page++;
  l->y = MARGIN;
}

static void
ensure_room (Layout *l, double h)
{
  if (l->y + h > BODY_BOTTOM && l->y > MARGIN + 1)
    new_page (l);
}

static double
text_height (cairo_t *cr, const char *text, double size, gboolean bold, double wrap)
{
  double w = 0, h = 0;
  pl_text_extents (cr, text, size, bold, wrap, &w, &h);
  return h;
}

static void
black (cairo_t *cr)
{
  cairo_set_source_rgb (cr, 0, 0, 0);
}

static void
hline (cairo_t *cr, double y, double width)
{
  cairo_save (cr);
  cairo_set_source_rgb (cr, 0.3, 0.3, 0.3);
  cairo_set_line_width (cr, width);
  cairo_move_to (cr, MARGIN, y);
  cairo_line_to (cr, PAGE_W - MARGIN, y);
  cairo_stroke (cr);
  cairo_restore (cr);
}

/* A table with column widths (sum ≤ TEXT_W), wrapped cells, header repeated on new pages. */
static void
draw_table (Layout *l, gint n_cols, const double *widths, const char *const *header,
            guint n_rows, char **(*cell) (gpointer data, guint row), gpointer data)
{
  cairo_t *cr = l->cr;
  const double pad = 3.0;
  for (guint r = 0; r <= n_rows; r++)
    {
      g_auto (GStrv) cells = NULL;
      const char *const *row;
      gboolean is_header = r == 0;
      if (is_header)
        row = header;
      else
        {
          cells = cell (data, r - 1);
          row = (const char *const *) cells;
        }
      double h = 0;
      gint len = row ? (gint) g_strv_length ((char **) row) : 0;
      for (gint c = 0; c < n_cols; c++)
        {
          const char *t = c < len ? row[c] : "";
          h = MAX (h, text_height (cr, t, FONT, is_header, widths[c] - 2 * pad));
        }
      h += 2 * pad;
      if (!is_header && l->y + h > BODY_BOTTOM)
        {
          new_page (l);
          /* repeat the header */
          double hh = 0;
          for (gint c = 0; c < n_cols; c++)
            hh = MAX (hh, text_height (cr, header[c], FONT, TRUE, widths[c] - 2 * pad));
          hh += 2 * pad;
          double x = MARGIN;
          black (cr);
          for (gint c = 0; c < n_cols; c++)
            {
              pl_draw_text_full (cr, x + pad, l->y + pad, header[c], FONT, TRUE,
                                 widths[c] - 2 * pad, 0.0, 0.0);
              x += widths[c];
            }
          l->y += hh;
          hline (cr, l->y, 0.6);
        }
      else if (is_header)
        ensure_room (l, h * 2);
      double x = MARGIN;
      black (cr);
      for (gint c = 0; c < n_cols; c++)
        {
          const char *t = c < len ? row[c] : "";
          pl_draw_text_full (cr, x + pad, l->y + pad, t, FONT, is_header, widths[c] - 2 * pad,
                             0.0, 0.0);
          x += widths[c];
        }
      l->y += h;
      hline (cr, l->y, is_header ? 0.6 : 0.2);
    }
}

static char *
fmt_percent (double v)
{
  if (!isfinite (v))
    return g_strdup ("–");
  return g_strdup_printf ("%.2f %%", 100.0 * v);
}

static char **
step_cells (gpointer data, guint row)
{
  const PlReport *r = data;
  const Step *s = &g_array_index (r->steps, Step, row);
  char **cells = g_new0 (char *, 6);
  cells[0] = g_strdup_printf ("%d", s->step);
  cells[1] = g_strdup (s->config);
  cells[2] = fmt_percent (s->target);
  cells[3] = fmt_percent (s->achieved);
  g_autofree char *acc = fmt_percent (s->accuracy);
  cells[4] = s->n_eval > 0 ? g_strdup_printf ("%s (n = %" G_GINT64_FORMAT ")", acc, s->n_eval)
                           : g_strdup (acc);
  return cells;
}

static char **
metric_cells (gpointer data, guint row)
{
  const PlReport *r = data;
  return g_strdupv (g_ptr_array_index (r->rows, row));
}

static char *
date_text (const PlReport *r)
{
  if (!r->date)
    return NULL;
  return g_date_time_format (r->date, "%Y-%m-%d %H:%M:%S %Z");
}

static void
draw_figure (Layout *l, const Figure *f, double w, double h)
{
  cairo_t *cr = l->cr;
  double scale = w / (f->width_in * 72.0);
  double fw = f->width_in * 72.0, fh = f->height_in * 72.0;
  cairo_save (cr);
  cairo_translate (cr, MARGIN + (TEXT_W - w) / 2, l->y);
  cairo_scale (cr, scale, scale);
  cairo_rectangle (cr, 0, 0, fw, fh);
  cairo_clip (cr);
  f->draw (cr, fw, fh, f->figure);
  cairo_restore (cr);
  l->y += h;
  if (f->caption && *f->caption)
    {
      black (cr);
      l->y += 4;
      l->y += pl_draw_text_full (cr, MARGIN, l->y, f->caption, 8.0, FALSE, TEXT_W, 0.0, 0.0);
    }
  l->y += 16;
}

static gint
layout (const PlReport *r, Layout *l)
{
  cairo_t *cr = l->cr;
  l->page = 1;
  l->y = MARGIN;
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);

  /* Title page. */
  black (cr);
  l->y += pl_draw_text_full (cr, MARGIN, l->y, r->title, 20.0, TRUE, TEXT_W, 0.0, 0.0);
  l->y += 14;
  g_autofree char *date = date_text (r);
  double name_w = 110;
  for (guint i = 0; i <= r->facts->len; i++)
    {
      const char *name, *value;
      if (i < r->facts->len)
        {
          const Fact *f = &g_array_index (r->facts, Fact, i);
          name = f->name;
          value = f->value;
        }
      else if (date)
        {
          name = _("Date");
          value = date;
        }
      else
        break;
      double h = text_height (cr, value, 10.0, FALSE, TEXT_W - name_w);
      ensure_room (l, h);
      black (cr);
      pl_draw_text_full (cr, MARGIN, l->y, name, 10.0, TRUE, name_w - 6, 0.0, 0.0);
      pl_draw_text_full (cr, MARGIN + name_w, l->y, value, 10.0, FALSE, TEXT_W - name_w, 0.0,
                         0.0);
      l->y += MAX (h, 12.0) + 3;
    }
  if (r->steps->len > 0)
    {
      l->y += 18;
      ensure_room (l, 60);
      black (cr);
      l->y += pl_draw_text_full (cr, MARGIN, l->y, _("Pruning history"), 13.0, TRUE, TEXT_W, 0.0,
                                 0.0);
      l->y += 6;
      const char *const header[] = {
        _("Step"), _("Configuration"), _("Target sparsity"), _("Achieved sparsity"),
        _("Top-1 accuracy"), NULL
      };
      const double widths[] = { 36, 201, 70, 70, 110 };
      draw_table (l, 5, widths, header, r->steps->len, step_cells, (gpointer) r);
    }

  /* Figures: one or two per page. */
  gboolean page_has_figure = FALSE;
  if (r->figures->len > 0)
    {
      new_page (l);
      cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_paint (cr);
    }
  for (guint i = 0; i < r->figures->len; i++)
    {
      const Figure *f = &g_array_index (r->figures, Figure, i);
      double w = MIN (TEXT_W, f->width_in * 72.0 * 1.5);
      double h = w * f->height_in / f->width_in;
      double max_h = BODY_BOTTOM - MARGIN - 30;
      if (h > max_h)
        {
          h = max_h;
          w = h * f->width_in / f->height_in;
        }
      double cap = f->caption ? text_height (cr, f->caption, 8.0, FALSE, TEXT_W) + 4 : 0;
      if (page_has_figure && l->y + h + cap > BODY_BOTTOM)
        {
          new_page (l);
          page_has_figure = FALSE;
        }
      draw_figure (l, f, w, h);
      if (page_has_figure)
        {
          /* two per page at most */
          if (i + 1 < r->figures->len)
            new_page (l);
          page_has_figure = FALSE;
        }
      else
        page_has_figure = TRUE;
    }

  /* Metrics table. */
  if (r->header && r->header[0])
    {
      new_page (l);
      black (cr);
      l->y += pl_draw_text_full (cr, MARGIN, l->y, _("Metrics"), 13.0, TRUE, TEXT_W, 0.0, 0.0);
      l->y += 6;
      gint n_cols = (gint) g_strv_length (r->header);
      g_autofree double *widths = g_new (double, n_cols);
      /* First column wider (names), the others share the rest. */
      double first = n_cols > 1 ? MIN (180.0, TEXT_W * 0.4) : TEXT_W;
      widths[0] = first;
      for (gint c = 1; c < n_cols; c++)
        widths[c] = (TEXT_W - first) / (n_cols - 1);
      draw_table (l, n_cols, widths, (const char *const *) r->header, r->rows->len,
                  metric_cells, (gpointer) r);
    }
  page_footer (l);
  cairo_show_page (cr);
  return l->page;
}

static cairo_status_t
discard_cb (void *closure, const unsigned char *data, unsigned int length)
{
  (void) closure;
  (void) data;
  (void) length;
  return CAIRO_STATUS_SUCCESS;
}

static cairo_status_t
append_cb (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

gint
pl_report_n_pages (const PlReport *r)
{
  g_return_val_if_fail (r != NULL, 0);
  Layout l = { 0 };
  l.surface = cairo_pdf_surface_create_for_stream (discard_cb, NULL, PAGE_W, PAGE_H);
  l.cr = cairo_create (l.surface);
  gint n = layout (r, &l);
  cairo_destroy (l.cr);
  cairo_surface_finish (l.surface);
  cairo_surface_destroy (l.surface);
  return n;
}

/* The PDF date: the report's date, else $SOURCE_DATE_EPOCH, else the Unix epoch, so that
 * the same report gives the same bytes (`prunelens-cli report` promises it; the workbench
 * sets its report's date to now). Format ISO 8601
 * "YYYY-MM-DDThh:mm:ss±hh:mm" as cairo expects. */
static char *
pdf_date (const PlReport *r)
{
  g_autoptr (GDateTime) dt = NULL;
  if (r->date)
    dt = g_date_time_ref (r->date);
  else
    {
      const char *sde = g_getenv ("SOURCE_DATE_EPOCH");
      gint64 t = 0;
      if (sde && *sde)
        {
          char *end = NULL;
          gint64 v = g_ascii_strtoll (sde, &end, 10);
          if (end && *end == '\0' && v >= 0)
            t = v;
        }
      dt = g_date_time_new_from_unix_utc (t);
    }
  if (!dt)
    dt = g_date_time_new_from_unix_utc (0);
  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S%:z");
}

gboolean
pl_report_write_pdf (const PlReport *r, const char *path, GError **error)
{
  g_return_val_if_fail (r != NULL && path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  gint total = pl_report_n_pages (r);
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  Layout l = { .total = total };
  l.surface = cairo_pdf_surface_create_for_stream (append_cb, bytes, PAGE_W, PAGE_H);
  cairo_pdf_surface_restrict_to_version (l.surface, CAIRO_PDF_VERSION_1_5);
  g_autofree char *date = pdf_date (r);
  g_autofree char *creator = g_strdup_printf ("PruneLens %s", PACKAGE_VERSION);
  cairo_pdf_surface_set_metadata (l.surface, CAIRO_PDF_METADATA_TITLE, r->title);
  cairo_pdf_surface_set_metadata (l.surface, CAIRO_PDF_METADATA_CREATOR, creator);
  cairo_pdf_surface_set_metadata (l.surface, CAIRO_PDF_METADATA_CREATE_DATE, date);
  cairo_pdf_surface_set_metadata (l.surface, CAIRO_PDF_METADATA_MOD_DATE, date);
  l.cr = cairo_create (l.surface);
  layout (r, &l);
  cairo_status_t status = cairo_status (l.cr);
  cairo_destroy (l.cr);
  cairo_surface_finish (l.surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (l.surface);
  cairo_surface_destroy (l.surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_FAILED, "%s: drawing the report failed: %s", path,
                   cairo_status_to_string (status));
      return FALSE;
    }
  g_autoptr (GError) local = NULL;
  if (!g_file_set_contents_full (path, (const char *) bytes->data, (gssize) bytes->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_IO, "%s: cannot write the report: %s", path,
                   local->message);
      return FALSE;
    }
  return TRUE;
}
