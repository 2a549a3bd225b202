/* pl-report.h — a multi-page PDF report (cairo's PDF surface).
 *
 * Page 1 (title page): title, a table of facts (model, dataset, date, …) and the pruning
 * history table (step, configuration, target and achieved sparsity, accuracy). Then the
 * figures, scaled to the text width, two per page when both fit, else one; each figure
 * is drawn by its own PlDrawFunc, so the pages show exactly what the PNG files show.
 * Last, the metrics table (a header row and string cells; long tables continue on more
 * pages). Pages are A4 portrait (595 × 842 pt), 54 pt margins, numbered "page i of n".
 *
 * Reproducible bytes: the PDF's CreationDate and ModDate are set explicitly
 * (cairo_pdf_surface_set_metadata) from pl_report_set_date; without a date they are
 * the time given by $SOURCE_DATE_EPOCH, else fixed at 1970-01-01T00:00:00Z. Nothing else in
 * the file depends on the clock, so the same report gives the same bytes. (Interactive
 * callers — the workbench — set the date to now.)
 */
#pragma once

#include "pl-render.h"

G_BEGIN_DECLS

typedef struct _PlReport PlReport;

/* A new, empty report titled title (UTF-8). */
PlReport *pl_report_new (const char *title);
void pl_report_free (PlReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlReport, pl_report_free)

/* The report's date (a reference is taken; NULL: the rule above). Shown on the title page
 * and written as the PDF dates. */
void pl_report_set_date (PlReport *report, GDateTime *date);
/* A "name: value" line of the title page, in the order added (e.g. "Model", "Dataset"). */
void pl_report_add_fact (PlReport *report, const char *name, const char *value);
/* A row of the pruning history table: step number, configuration text, target and
 * achieved sparsity in [0, 1], top-1 accuracy in [0, 1] (NaN: "–") on n_eval samples. */
void pl_report_add_step (PlReport *report, gint step, const char *config, double target,
                         double achieved, double accuracy, gint64 n_eval);
/* A figure: draw (figure, width, height) is called with the figure's natural size
 * width_in × height_in (inches) scaled to the text width. destroy (may be NULL) frees
 * figure with the report. caption (may be NULL) is printed below it. */
void pl_report_add_figure (PlReport *report, PlDrawFunc draw, gpointer figure,
                           GDestroyNotify destroy, double width_in, double height_in,
                           const char *caption);
/* The metrics table: header (n_columns names, NULL-terminated) replaces any previous one;
 * rows are NULL-terminated string arrays of the same length (shorter rows are padded). */
void pl_report_set_metrics_header (PlReport *report, const char *const *header);
void pl_report_add_metrics_row (PlReport *report, const char *const *cells);

/* The number of pages write_pdf produces. */
gint pl_report_n_pages (const PlReport *report);
/* Writes the PDF atomically (a temporary file, then rename). Errors: PL_ERROR_IO naming
 * path, PL_ERROR_FAILED when cairo fails. */
gboolean pl_report_write_pdf (const PlReport *report, const char *path, GError **error);

G_END_DECLS
