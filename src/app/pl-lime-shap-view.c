/* pl-lime-shap-view.c — LIME and KernelSHAP, original | pruned, in one GTask. */
#include "config.h"
#include "pl-lime-shap-view.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>
#include "exec/pl-executor.h"
#include "explain/pl-attribution.h"
#include "explain/pl-explain.h"
#include "pl-error.h"
#include "pl-canvas.h"
#include "pl-info-popover.h"
#include "pl-job.h"
#include "pl-explain-cache.h"

#define DEBOUNCE_MS 300
#define CACHE_SIZE 16   /* a view of its own; the window shares its cache */
#define CACHE_METHOD "lime-shap"

enum { W_SUPERPIXELS, W_REGION_SIZE, W_REGULARIZATION, W_KERNEL_SIZE, W_MAX_DIST, W_RATIO,
       W_SAMPLES, W_KERNEL_WIDTH, W_BUDGET, W_FILL, W_FILL_VALUE, W_SEED, N_CONTROLS };

static const char *const control_names[N_CONTROLS] = {
  "superpixels", "region-size", "regularization", "kernel-size", "max-dist", "ratio",
  "samples", "kernel-width", "budget", "fill", "fill-value", "seed",
};

/* Everything a job needs, copied on the main thread. */
typedef struct {
  PlGraph *graphs[2];
  PlTensor *input;
  PlDataset *dataset;
  gint target;
  char *context;
  gboolean table;
  char *key;                      /* every parameter (the cache key with the inputs) */
  PlSuperpixelOptions sp;
  PlLimeOptions lime;
  PlKernelShapOptions shap;
  PlLimeShapFigure *result;       /* written by the worker */
} Job;

static void
job_free (Job *job)
{
  for (int n = 0; n < 2; n++)
    g_clear_pointer (&job->graphs[n], pl_graph_unref);
  g_clear_pointer (&job->input, pl_tensor_unref);
  g_clear_pointer (&job->dataset, pl_dataset_unref);
  g_free (job->context);
  g_free (job->key);
  g_clear_pointer (&job->result, pl_lime_shap_figure_free);
  g_free (job);
}

/* A computed figure is cached (pl-explain-cache.h, method "lime-shap") per the networks
 * (references, so a key is never reused by another network), the input (by content), the
 * dataset, and as parameters: the class asked, the caption context and every parameter.
 * The cache owns its figures; the view shows one of them. */
static void
job_cache_key (const Job *job, PlExplainKey *key, char **params)
{
  *params = g_strdup_printf ("%s | target=%d | %s", job->key, job->target,
                             job->context != NULL ? job->context : "");
  *key = (PlExplainKey) { .original = job->graphs[0], .pruned = job->graphs[1],
                          .dataset = job->dataset, .sample = -1, .input = job->input,
                          .method = CACHE_METHOD, .params = *params };
}

struct _PlLimeShapView {
  GtkWidget parent_instance;

  GtkWidget *box;                 /* the only child */
  GtkWidget *controls[N_CONTROLS];
  GtkWidget *labels[N_CONTROLS];
  GtkWidget *params_grid;         /* inside the Parameters popover */
  gint params_rows;
  GtkWidget *progress;
  GtkWidget *cancel;
  GtkWidget *status;
  GtkWidget *area;

  PlGraph *graphs[2];
  PlTensor *input;
  PlDataset *dataset;
  gint target;
  char *context;

  PlLimeShapFigure *figure;       /* borrowed from the cache, or NULL */
  PlExplainCache *cache;          /* its own, or the window's (pl_lime_shap_view_set_cache) */
  char *placeholder;
  char *error;
  PlJob *job;                     /* the running job (pl-job.h), or NULL */
  guint debounce_id;
  gboolean setting;
};

G_DEFINE_FINAL_TYPE (PlLimeShapView, pl_lime_shap_view, GTK_TYPE_WIDGET)

static void start_job (PlLimeShapView *self);
static void refresh_area (PlLimeShapView *self);

/* The cache dropped a figure: forget it if shown. */
static void
on_cache_evict (gpointer value, gpointer user_data)
{
  PlLimeShapView *self = user_data;
  if (self->figure == value)
    {
      self->figure = NULL;
      if (self->area != NULL)
        refresh_area (self);
    }
}

/* ---- worker ---------------------------------------------------------------------- */

/* The figure from the builder the CLI uses too (pl_lime_shap_figure_compute), with the
 * view's parameters; the caption (context, seed, how hidden superpixels are filled, units)
 * is the view's. */
static PlLimeShapFigure *
compute (Job *job, const PlProgress *progress, GError **error)
{
  PlLimeShapOptions o;
  pl_lime_shap_options_init (&o);
  o.target = job->target;
  o.superpixels = job->sp;
  o.lime = job->lime;
  o.shap = job->shap;
  g_autoptr (PlLimeShapResult) r = NULL;
  PlLimeShapFigure *fig = pl_lime_shap_figure_compute (job->graphs[0], job->graphs[1],
                                                       job->input, job->dataset, &o, progress,
                                                       &r, error);
  if (fig == NULL)
    return NULL;
  g_autofree char *grid_note = NULL;
  if (r->small_image_grid)
    grid_note = g_strdup_printf (_("the image is too small for superpixels: a %d × %d "
                                   "patch grid instead"),
                                 (int) MIN (4, r->segmentation->height),
                                 (int) MIN (4, r->segmentation->width));
  char num[32];
  g_snprintf (num, sizeof num, "%" G_GUINT64_FORMAT, job->lime.seed);
  g_autofree char *seeds = g_strdup_printf (_("seed %s"), num);
  const char *units = job->table
    ? _("LIME: weights of a local linear model on standardised features (logit per standard "
        "deviation); KernelSHAP: each feature's contribution to f(x) − f(column means). "
        "Their signs can differ: below its column mean, a feature with a positive weight "
        "contributes negatively")
    : _("LIME: weights of a local linear model (logit per superpixel shown); KernelSHAP: each "
        "superpixel's contribution to f(x) − f(all hidden)");
  g_autofree char *how = NULL;
  if (!job->table)
    how = job->lime.fill == PL_LIME_FILL_MEAN
            ? g_strdup_printf (_("hidden superpixels: LIME mean colour, KernelSHAP %g — the "
                                 "signs may differ"), job->lime.fill_value)
            : g_strdup_printf (_("hidden superpixels take the value %g in both methods"),
                               job->lime.fill_value);
  g_autoptr (GString) cap = g_string_new (NULL);
  if (job->context != NULL && *job->context != '\0')
    g_string_append_printf (cap, "%s · ", job->context);
  g_string_append (cap, seeds);
  if (grid_note != NULL)
    g_string_append_printf (cap, " · %s", grid_note);
  if (how != NULL)
    g_string_append_printf (cap, " · %s", how);
  g_string_append_printf (cap, " · %s", units);
  fig->caption = g_string_free (g_steal_pointer (&cap), FALSE);
  return fig;
}

static gboolean
job_run (gpointer data, const PlProgress *progress, GError **error)
{
  Job *job = data;
  job->result = compute (job, progress, error);
  return job->result != NULL;
}

/* ---- main thread ----------------------------------------------------------------- */

static void
set_status (PlLimeShapView *self, const char *text)
{
  gtk_label_set_label (GTK_LABEL (self->status), text != NULL ? text : "");
}

static void
update_busy (PlLimeShapView *self)
{
  gboolean busy = self->job != NULL;
  gtk_widget_set_visible (self->progress, busy);
  gtk_widget_set_sensitive (self->cancel, busy);
}

static void
job_done (PlJob *pj, const GError *error, gpointer user_data)
{
  PlLimeShapView *self = PL_LIME_SHAP_VIEW (user_data);
  Job *job = pl_job_get_data (pj);
  g_autoptr (PlJob) ref = g_steal_pointer (&self->job);   /* the view's reference */
  g_return_if_fail (ref == pj);
  update_busy (self);
  PlLimeShapFigure *fig = g_steal_pointer (&job->result);
  if (fig != NULL)
    {
      PlExplainKey key;
      g_autofree char *params = NULL;
      job_cache_key (job, &key, &params);
      pl_explain_cache_insert (self->cache, &key, fig, (GDestroyNotify) pl_lime_shap_figure_free);
      self->figure = fig;
      g_clear_pointer (&self->error, g_free);
      set_status (self, NULL);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->area),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, fig->title,
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, fig->caption, -1);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    set_status (self, _("Cancelled"));
  else
    {
      self->figure = NULL;   /* not the figure of another input */
      g_free (self->error);
      self->error = pl_cap_message (error != NULL ? error->message : _("unknown error"),
                                    PL_MESSAGE_MAX_CHARS, TRUE);
      g_autofree char *text = g_strdup_printf (_("LIME / SHAP failed: %s"), self->error);
      set_status (self, text);
    }
  refresh_area (self);
}

static double
spin_value (PlLimeShapView *self, int i)
{
  return gtk_spin_button_get_value (GTK_SPIN_BUTTON (self->controls[i]));
}

static Job *
job_new (PlLimeShapView *self)
{
  Job *job = g_new0 (Job, 1);
  for (int n = 0; n < 2; n++)
    job->graphs[n] = pl_graph_ref (self->graphs[n]);
  job->input = pl_tensor_ref (self->input);
  job->dataset = pl_dataset_ref (self->dataset);
  job->target = self->target;
  job->context = g_strdup (self->context);
  job->table = self->dataset->kind == PL_DATASET_TABLE;
  pl_superpixel_options_init (&job->sp);
  job->sp.method = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->controls[W_SUPERPIXELS])) == 1
                     ? PL_SUPERPIXELS_QUICKSHIFT : PL_SUPERPIXELS_SLIC;
  job->sp.region_size = (gint) spin_value (self, W_REGION_SIZE);
  job->sp.regularization = spin_value (self, W_REGULARIZATION);
  job->sp.kernel_size = spin_value (self, W_KERNEL_SIZE);
  job->sp.max_dist = spin_value (self, W_MAX_DIST);
  job->sp.ratio = spin_value (self, W_RATIO);
  pl_lime_options_init (&job->lime);
  job->lime.n_samples = (gint) spin_value (self, W_SAMPLES);
  job->lime.kernel_width = spin_value (self, W_KERNEL_WIDTH);
  job->lime.fill = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->controls[W_FILL])) == 1
                     ? PL_LIME_FILL_VALUE : PL_LIME_FILL_MEAN;
  job->lime.fill_value = (float) spin_value (self, W_FILL_VALUE);
  job->lime.seed = (guint64) spin_value (self, W_SEED);
  job->shap.budget = (gint) spin_value (self, W_BUDGET);
  job->shap.seed = job->lime.seed;
  job->shap.batch = 0;
  job->key = g_strdup_printf ("%d %d %.17g %d %.17g %.17g %.17g | %d %.17g %d %.9g %" G_GUINT64_FORMAT
                              " | %d", job->sp.method, job->sp.region_size, job->sp.regularization,
                              job->sp.min_region_size, job->sp.kernel_size, job->sp.max_dist,
                              job->sp.ratio, job->lime.n_samples, job->lime.kernel_width,
                              job->lime.fill, job->lime.fill_value, job->lime.seed,
                              job->shap.budget);
  return job;
}

static void
cancel_job (PlLimeShapView *self)
{
  /* the worker finishes on its own; its result is dropped */
  if (self->job != NULL)
    pl_job_abandon (self->job);
  g_clear_pointer (&self->job, pl_job_unref);
  update_busy (self);
}

static void
start_job (PlLimeShapView *self)
{
  g_clear_handle_id (&self->debounce_id, g_source_remove);
  cancel_job (self);
  if (self->input == NULL || self->graphs[0] == NULL)
    return;
  Job *job = job_new (self);
  PlExplainKey key;
  g_autofree char *params = NULL;
  job_cache_key (job, &key, &params);
  PlLimeShapFigure *hit = pl_explain_cache_lookup (self->cache, &key);
  if (hit != NULL)
    {
      /* computed before: shown at once */
      self->figure = hit;
      g_clear_pointer (&self->error, g_free);
      set_status (self, NULL);
      refresh_area (self);
      job_free (job);
      return;
    }
  g_clear_pointer (&self->error, g_free);
  self->job = pl_job_new (job_run, job, (GDestroyNotify) job_free);
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->progress), 0.0);
  set_status (self, _("Explaining with LIME and KernelSHAP…"));
  update_busy (self);
  pl_job_start (self->job, job_done, self);
  pl_job_bind_progress (self->job, GTK_PROGRESS_BAR (self->progress), NULL);
}

static gboolean
on_debounce (gpointer data)
{
  PlLimeShapView *self = data;
  self->debounce_id = 0;
  start_job (self);
  return G_SOURCE_REMOVE;
}

static void
update_visibility (PlLimeShapView *self)
{
  gboolean table = self->dataset != NULL && self->dataset->kind == PL_DATASET_TABLE;
  gboolean qs = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->controls[W_SUPERPIXELS])) == 1;
  gboolean value = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->controls[W_FILL])) == 1;
  gboolean shown[N_CONTROLS];
  for (int i = 0; i < N_CONTROLS; i++)
    shown[i] = TRUE;
  shown[W_SUPERPIXELS] = !table;
  shown[W_REGION_SIZE] = shown[W_REGULARIZATION] = !table && !qs;
  shown[W_KERNEL_SIZE] = shown[W_MAX_DIST] = shown[W_RATIO] = !table && qs;
  shown[W_FILL] = !table;
  shown[W_FILL_VALUE] = !table && value;
  for (int i = 0; i < N_CONTROLS; i++)
    {
      gtk_widget_set_visible (self->controls[i], shown[i]);
      gtk_widget_set_visible (self->labels[i], shown[i]);
    }
}

static void
on_control_changed (PlLimeShapView *self)
{
  if (self->setting)
    return;
  update_visibility (self);
  if (self->input == NULL)
    return;
  g_clear_handle_id (&self->debounce_id, g_source_remove);
  self->debounce_id = g_timeout_add (DEBOUNCE_MS, on_debounce, self);
}

/* text with line breaks at spaces so that no line is much longer than width characters */
static char *
wrap_text (const char *text, glong width)
{
  GString *out = g_string_new (NULL);
  glong col = 0;
  const char *last_space = NULL;   /* in out->str, as an offset */
  gsize space_at = 0;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (c == '\n')
        {
          g_string_append_c (out, '\n');
          col = 0;
          last_space = NULL;
          continue;
        }
      if (c == ' ')
        {
          last_space = out->str;
          space_at = out->len;
        }
      g_string_append_unichar (out, c);
      col++;
      if (col >= width && last_space != NULL)
        {
          out->str[space_at] = '\n';
          col = g_utf8_strlen (out->str + space_at + 1, -1);
          last_space = NULL;
        }
    }
  return g_string_free (out, FALSE);
}

/* What the figure canvas shows (drawn in a worker thread, pl-canvas.h): a copy of the
 * figure (the cache may free its own at any time), else a message. */
typedef struct {
  PlLimeShapFigure *figure;
  char *text;
} Shown;

static void
shown_free (Shown *s)
{
  g_clear_pointer (&s->figure, pl_lime_shap_figure_free);
  g_free (s->text);
  g_free (s);
}

static void
draw_shown (cairo_t *cr, int width, int height, gboolean dark, gconstpointer content)
{
  const Shown *s = content;
  if (s->figure != NULL && pl_lime_shap_figure_n_bars (cr, width, height, s->figure) > 0)
    {
      PlLimeShapFigure fig = *s->figure;
      fig.dark = dark;
      pl_lime_shap_figure_draw (cr, width, height, &fig);
      return;
    }
  /* the window's foreground (black or white), dimmed */
  double v = dark ? 1.0 : 0.0;
  cairo_set_source_rgba (cr, v, v, v, 0.55);
  pl_draw_text (cr, width / 2.0, height / 2.0,
                s->figure != NULL ? _("Too little room for the LIME and KernelSHAP figure: make "
                                      "the window taller")
                                  : s->text, 14.0, 0.5, 0.5);
}

/* Shows the current figure, or why there is none, in the canvas. */
static void
refresh_area (PlLimeShapView *self)
{
  if (self->area == NULL)
    return;
  Shown *s = g_new0 (Shown, 1);
  if (self->figure != NULL)
    s->figure = pl_lime_shap_figure_copy (self->figure);
  else if (self->error != NULL)
    {
      /* say why there is no figure (wrapped by hand; the message is capped) */
      g_autofree char *text = g_strdup_printf (_("LIME and KernelSHAP are unavailable for this "
                                                 "sample: %s"), self->error);
      s->text = wrap_text (text, 90);
    }
  else
    s->text = g_strdup (self->placeholder != NULL ? self->placeholder
                                                  : _("Select a sample to explain it"));
  pl_canvas_set_content (PL_CANVAS (self->area), draw_shown, s, (GDestroyNotify) shown_free);
}

/* ---- construction ---------------------------------------------------------------- */

/* A labelled control: in row (a box) when row is not NULL, else a row of the Parameters
 * popover's grid. */
static GtkWidget *
add_control (PlLimeShapView *self, GtkWidget *row, int index, const char *label,
             const char *tooltip, GtkWidget *control)
{
  GtkWidget *l = gtk_label_new_with_mnemonic (label);
  gtk_label_set_mnemonic_widget (GTK_LABEL (l), control);
  gtk_widget_add_css_class (l, "dim-label");
  gtk_widget_set_tooltip_text (l, tooltip);
  gtk_widget_set_tooltip_text (control, tooltip);
  gtk_widget_set_valign (control, GTK_ALIGN_CENTER);
  if (row != NULL)
    {
      gtk_box_append (GTK_BOX (row), l);
      gtk_box_append (GTK_BOX (row), control);
    }
  else
    {
      gtk_label_set_xalign (GTK_LABEL (l), 1.0f);
      gtk_grid_attach (GTK_GRID (self->params_grid), l, 0, self->params_rows, 1, 1);
      gtk_grid_attach (GTK_GRID (self->params_grid), control, 1, self->params_rows, 1, 1);
      self->params_rows++;
    }
  gtk_accessible_update_relation (GTK_ACCESSIBLE (control), GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                  l, NULL, -1);
  self->labels[index] = l;
  self->controls[index] = control;
  gtk_widget_set_name (control, control_names[index]);
  return control;
}

static GtkWidget *
spin (double lo, double hi, double step, double value, int digits)
{
  GtkWidget *s = gtk_spin_button_new_with_range (lo, hi, step);
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (s), digits);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (s), value);
  gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (s), TRUE);
  return s;
}

static void
pl_lime_shap_view_init (PlLimeShapView *self)
{
  PlSuperpixelOptions sp;
  PlLimeOptions lime;
  pl_superpixel_options_init (&sp);
  pl_lime_options_init (&lime);

  self->target = -1;
  self->cache = pl_explain_cache_new (CACHE_SIZE);
  pl_explain_cache_add_evict_notify (self->cache, on_cache_evict, self);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("LIME and KernelSHAP"), -1);
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));

  /* one row: superpixels, the other parameters in a popover, the seed, the job's status,
   * progress and Cancel, and what the methods compute */
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_set_margin_start (bar, 6);
  gtk_widget_set_margin_end (bar, 6);
  gtk_widget_set_margin_top (bar, 6);
  gtk_box_append (GTK_BOX (self->box), bar);
  self->params_grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (self->params_grid), 6);
  gtk_grid_set_column_spacing (GTK_GRID (self->params_grid), 12);
  GtkWidget *popover = gtk_popover_new ();
  gtk_popover_set_child (GTK_POPOVER (popover), self->params_grid);
  GtkWidget *params = gtk_menu_button_new ();
  gtk_menu_button_set_label (GTK_MENU_BUTTON (params), _("_Parameters"));
  gtk_menu_button_set_use_underline (GTK_MENU_BUTTON (params), TRUE);
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (params), popover);
  gtk_widget_set_tooltip_text (params, _("The superpixels', LIME's and KernelSHAP's parameters"));
  gtk_widget_set_valign (params, GTK_ALIGN_CENTER);
  GtkWidget *flow = NULL;   /* NULL: the popover's grid */

  const char *const sp_items[] = { _("SLIC"), _("Quickshift"), NULL };
  add_control (self, bar, W_SUPERPIXELS, _("_Superpixels"),
               _("How the image is cut into segments: SLIC (Achanta et al. 2012) or quickshift "
                 "(Vedaldi & Soatto 2008); both networks and methods use the same segments"),
               gtk_drop_down_new_from_strings (sp_items));
  add_control (self, flow, W_REGION_SIZE, _("Region size"),
               _("SLIC: the nominal superpixel side in pixels"),
               spin (2, 64, 1, sp.region_size, 0));
  add_control (self, flow, W_REGULARIZATION, _("Regularity"),
               _("SLIC: spatial regularity (larger: more grid-like segments)"),
               spin (0.0001, 10, 0.01, sp.regularization, 4));
  add_control (self, flow, W_KERNEL_SIZE, _("Kernel size"),
               _("Quickshift: σ of the density kernel in pixels"),
               spin (0.5, 20, 0.5, sp.kernel_size, 1));
  add_control (self, flow, W_MAX_DIST, _("Max. distance"),
               _("Quickshift: τ, the longest link in the tree"),
               spin (0.5, 50, 0.5, sp.max_dist, 1));
  add_control (self, flow, W_RATIO, _("Ratio"),
               _("Quickshift: intensity scale against space"),
               spin (0.1, 200, 1, sp.ratio, 1));
  add_control (self, flow, W_SAMPLES, _("LIME _samples"),
               _("Perturbed inputs LIME fits its weighted ridge surrogate on (Ribeiro et al. "
                 "2016); the first is the unperturbed input"),
               spin (20, 20000, 100, lime.n_samples, 0));
  add_control (self, flow, W_KERNEL_WIDTH, _("Kernel width"),
               _("LIME's exponential kernel width; 0: its default (0.25 for images, 0.75 √M "
                 "for tables)"),
               spin (0, 100, 0.05, 0, 2));
  add_control (self, flow, W_BUDGET, _("SHAP _budget"),
               _("Coalitions KernelSHAP evaluates (Lundberg & Lee 2017); 0: 2M + 2048. With "
                 "2^M − 2 or fewer, all are enumerated (exact Shapley values)"),
               spin (0, 100000, 256, 0, 0));
  const char *const fill_items[] = { _("Mean colour"), _("Value"), NULL };
  add_control (self, flow, W_FILL, _("_Fill"),
               _("How LIME hides a superpixel: the fill value (default; the baseline KernelSHAP "
                 "always uses, so the two are comparable) or its own mean colour (LIME's "
                 "original choice)"),
               gtk_drop_down_new_from_strings (fill_items));
  /* the same fill as KernelSHAP by default, so that the two rows are comparable */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->controls[W_FILL]), 1);
  add_control (self, flow, W_FILL_VALUE, _("Fill value"),
               _("The value hidden pixels take (0 = black)"), spin (-10, 10, 0.1, 0, 2));
  gtk_box_append (GTK_BOX (bar), params);
  add_control (self, bar, W_SEED, _("S_eed"),
               _("Seed of LIME's samples and KernelSHAP's coalitions"), spin (0, 1e9, 1, 1, 0));
  for (int i = 0; i < N_CONTROLS; i++)
    {
      const char *sig = GTK_IS_DROP_DOWN (self->controls[i]) ? "notify::selected"
                                                             : "value-changed";
      g_signal_connect_swapped (self->controls[i], sig, G_CALLBACK (on_control_changed), self);
    }

  self->status = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->status), 0.0f);
  gtk_label_set_ellipsize (GTK_LABEL (self->status), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (self->status, TRUE);
  gtk_widget_set_name (self->status, "status");
  self->progress = gtk_progress_bar_new ();
  gtk_widget_set_valign (self->progress, GTK_ALIGN_CENTER);
  gtk_widget_set_size_request (self->progress, 160, -1);
  gtk_widget_set_name (self->progress, "progress");
  self->cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  gtk_widget_set_name (self->cancel, "cancel");
  gtk_widget_set_tooltip_text (self->cancel, _("Stop explaining with LIME and KernelSHAP"));
  g_signal_connect_swapped (self->cancel, "clicked", G_CALLBACK (pl_lime_shap_view_cancel), self);
  gtk_widget_set_valign (self->cancel, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (bar), self->status);
  gtk_box_append (GTK_BOX (bar), self->progress);
  gtk_box_append (GTK_BOX (bar), self->cancel);
  /* what the two methods compute (the ⓘ popovers of the other views) */
  /* two ⓘ buttons side by side: each says which method it explains (its accessible name
   * is "About LIME" / "About KernelSHAP") */
  const struct { PlInfoTopic topic; const char *name; } infos[] = {
    { PL_INFO_LIME, "LIME" }, { PL_INFO_KERNEL_SHAP, "KernelSHAP" } };
  for (guint i = 0; i < G_N_ELEMENTS (infos); i++)
    {
      GtkWidget *info = pl_info_button_new (infos[i].topic);
      GtkWidget *child = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
      gtk_box_append (GTK_BOX (child), gtk_image_new_from_icon_name ("help-about-symbolic"));
      gtk_box_append (GTK_BOX (child), gtk_label_new (infos[i].name));
      gtk_menu_button_set_child (GTK_MENU_BUTTON (info), child);
      gtk_widget_remove_css_class (info, "circular");
      gtk_box_append (GTK_BOX (bar), info);
    }

  self->area = pl_canvas_new ();
  gtk_widget_set_hexpand (self->area, TRUE);
  gtk_widget_set_vexpand (self->area, TRUE);
  gtk_widget_set_size_request (self->area, 480, 300);
  gtk_widget_set_name (self->area, "figure");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->area), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("LIME and KernelSHAP figure"), -1);
  gtk_box_append (GTK_BOX (self->box), self->area);
  update_visibility (self);
  update_busy (self);
  refresh_area (self);
}

static void
pl_lime_shap_view_dispose (GObject *object)
{
  PlLimeShapView *self = PL_LIME_SHAP_VIEW (object);
  g_clear_handle_id (&self->debounce_id, g_source_remove);
  cancel_job (self);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  G_OBJECT_CLASS (pl_lime_shap_view_parent_class)->dispose (object);
}

static void
pl_lime_shap_view_finalize (GObject *object)
{
  PlLimeShapView *self = PL_LIME_SHAP_VIEW (object);
  for (int n = 0; n < 2; n++)
    g_clear_pointer (&self->graphs[n], pl_graph_unref);
  g_clear_pointer (&self->input, pl_tensor_unref);
  g_clear_pointer (&self->dataset, pl_dataset_unref);
  self->figure = NULL;
  pl_explain_cache_remove_evict_notify (self->cache, on_cache_evict, self);
  g_clear_pointer (&self->cache, pl_explain_cache_unref);
  g_free (self->context);
  g_free (self->placeholder);
  g_free (self->error);
  G_OBJECT_CLASS (pl_lime_shap_view_parent_class)->finalize (object);
}

static void
pl_lime_shap_view_class_init (PlLimeShapViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = pl_lime_shap_view_dispose;
  object_class->finalize = pl_lime_shap_view_finalize;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "limeshapview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

/* ---- API ------------------------------------------------------------------------- */

GtkWidget *
pl_lime_shap_view_new (void)
{
  return g_object_new (PL_TYPE_LIME_SHAP_VIEW, NULL);
}

void
pl_lime_shap_view_set_input (PlLimeShapView *self, PlGraph *original, PlGraph *pruned,
                             const PlTensor *input, gint target, PlDataset *dataset,
                             const char *context)
{
  g_return_if_fail (PL_IS_LIME_SHAP_VIEW (self));
  g_return_if_fail (original != NULL && input != NULL && dataset != NULL);
  if (pruned == NULL)
    pruned = original;
  /* The same question again (e.g. the view shown once more): keep the answer. */
  if ((self->figure != NULL || self->job != NULL) && self->graphs[0] == original &&
      self->graphs[1] == pruned && self->dataset == dataset && self->target == target &&
      self->input != NULL && pl_tensor_same_shape (self->input, input) &&
      memcmp (self->input->data, input->data, sizeof (float) * input->numel) == 0 &&
      g_strcmp0 (self->context, context) == 0)
    return;
  PlGraph *g[2] = { pl_graph_ref (original), pl_graph_ref (pruned) };
  for (int n = 0; n < 2; n++)
    {
      g_clear_pointer (&self->graphs[n], pl_graph_unref);
      self->graphs[n] = g[n];
    }
  PlTensor *copy = pl_tensor_dup (input);
  g_clear_pointer (&self->input, pl_tensor_unref);
  self->input = copy;
  PlDataset *ds = pl_dataset_ref (dataset);
  g_clear_pointer (&self->dataset, pl_dataset_unref);
  self->dataset = ds;
  self->target = target;
  g_free (self->context);
  self->context = g_strdup (context);
  update_visibility (self);
  start_job (self);
}

void
pl_lime_shap_view_clear (PlLimeShapView *self, const char *placeholder)
{
  g_return_if_fail (PL_IS_LIME_SHAP_VIEW (self));
  g_clear_handle_id (&self->debounce_id, g_source_remove);
  cancel_job (self);
  for (int n = 0; n < 2; n++)
    g_clear_pointer (&self->graphs[n], pl_graph_unref);
  g_clear_pointer (&self->input, pl_tensor_unref);
  self->figure = NULL;
  g_clear_pointer (&self->error, g_free);
  g_free (self->placeholder);
  self->placeholder = g_strdup (placeholder);
  set_status (self, NULL);
  refresh_area (self);
}

void
pl_lime_shap_view_cancel (PlLimeShapView *self)
{
  g_return_if_fail (PL_IS_LIME_SHAP_VIEW (self));
  gboolean was = self->job != NULL || self->debounce_id != 0;
  g_clear_handle_id (&self->debounce_id, g_source_remove);
  cancel_job (self);
  if (was)
    set_status (self, _("Cancelled"));
}

gboolean
pl_lime_shap_view_is_busy (PlLimeShapView *self)
{
  g_return_val_if_fail (PL_IS_LIME_SHAP_VIEW (self), FALSE);
  return self->job != NULL || self->debounce_id != 0;
}

const PlLimeShapFigure *
pl_lime_shap_view_get_figure (PlLimeShapView *self)
{
  g_return_val_if_fail (PL_IS_LIME_SHAP_VIEW (self), NULL);
  return self->figure;
}

const char *
pl_lime_shap_view_get_error (PlLimeShapView *self)
{
  g_return_val_if_fail (PL_IS_LIME_SHAP_VIEW (self), NULL);
  return self->error;
}

GtkWidget *
pl_lime_shap_view_get_widget (PlLimeShapView *self, const char *name)
{
  g_return_val_if_fail (PL_IS_LIME_SHAP_VIEW (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  for (int i = 0; i < N_CONTROLS; i++)
    if (g_str_equal (name, control_names[i]))
      return self->controls[i];
  if (g_str_equal (name, "progress"))
    return self->progress;
  if (g_str_equal (name, "cancel"))
    return self->cancel;
  if (g_str_equal (name, "status"))
    return self->status;
  if (g_str_equal (name, "figure"))
    return self->area;
  return NULL;
}

void
pl_lime_shap_view_cache_stats (PlLimeShapView *self, guint *hits, guint *misses,
                               guint *entries)
{
  g_return_if_fail (PL_IS_LIME_SHAP_VIEW (self));
  pl_explain_cache_stats (self->cache, CACHE_METHOD, hits, misses, entries);
}

void
pl_lime_shap_view_set_cache (PlLimeShapView *self, PlExplainCache *cache)
{
  g_return_if_fail (PL_IS_LIME_SHAP_VIEW (self));
  g_return_if_fail (cache != NULL);
  if (cache == self->cache)
    return;
  pl_explain_cache_remove_evict_notify (self->cache, on_cache_evict, self);
  pl_explain_cache_unref (self->cache);
  self->cache = pl_explain_cache_ref (cache);
  pl_explain_cache_add_evict_notify (self->cache, on_cache_evict, self);
  self->figure = NULL;
  refresh_area (self);
}

PlExplainCache *
pl_lime_shap_view_get_cache (PlLimeShapView *self)
{
  g_return_val_if_fail (PL_IS_LIME_SHAP_VIEW (self), NULL);
  return self->cache;
}
