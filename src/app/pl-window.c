/* pl-window.c — the workbench window.
 *
 * Every computation runs in a GTask thread (load, prune, explain; pl-job.h); its result is
 * applied on the main loop. The window holds one PlJob per running kind; Cancel cancels them
 * all. A 100 ms timer copies the worker's progress into the progress bar.
 */
#include "config.h"
#include "pl-window-private.h"

#include <glib/gi18n.h>
#include <math.h>
#include "analysis/pl-compare.h"
#include "analysis/pl-sweep.h"
#include "analysis/pl-layers.h"
#include "pl-report-figures.h"
#include "pl-figures.h"
#include "onnx/pl-onnx.h"
#include "pl-error.h"
#include "pl-bench-frames.h"
#include "pl-figure-view.h"
#include "pl-application.h"
#include "pl-history-panel.h"
#include "pl-info-popover.h"
#include "pl-model-view.h"
#include "pl-session-io.h"
#include "pl-dataset-io.h"
#include "pl-protect-popover.h"
#include "pl-tour.h"
#include "pl-export-dialog.h"
#include "pl-metrics-figures.h"
#include "pl-lime-shap-view.h"
#include "pl-sample-filter.h"
#include "pl-image.h"
#include "pl-thumbnail.h"
#include "pl-label.h"
#include "prune/pl-prune-schedule.h"
#include <glib/gstdio.h>
#include <errno.h>
#include <time.h>
#include "pl-report.h"
#include "pl-job.h"
#include "pl-index-model.h"
#include "pl-explain-cache.h"

typedef enum { JOB_LOAD, JOB_PRUNE, JOB_EXPLAIN, JOB_COMPARE, JOB_SWEEP, JOB_RESTORE,
               JOB_SCHEDULE, JOB_EXPORT, N_JOBS } JobKind;

typedef struct {
  JobKind kind;
  /* inputs (owned) */
  char *model_path;
  char *dataset_dir;
  char *label_column;             /* JOB_LOAD of a table: its label column (NULL: last) */
  char *model_sha256;             /* JOB_LOAD: the model file's hash (for sessions) */
  PlRecipe *recipe;               /* JOB_LOAD of a session (taken from the window): checked
                                   * and its steps recomputed in the worker (all or nothing) */
  guint history_cap;              /* JOB_LOAD of a session: pl_session_io_check's cap */
  PlGraph *original;
  PlGraph *pruned;
  PlDataset *dataset;
  double sparsity;
  gint64 n_eval;
  gint64 index;
  PlComparisonOptions options;
  PlPruneConfig *prune_config;   /* NULL: global magnitude */
  PlPruneSchedule *schedule;      /* JOB_SCHEDULE (train data loaded in the thread) */
  gint64 finetune_samples;
  gboolean train_split;           /* an IDX folder: fine-tune on its "train" split */
  const PlProgress *progress;     /* while the worker runs (pl-job.h) */
  /* outputs (owned) */
  PlGraph *loaded_graph;
  PlDataset *loaded_dataset;
  PlEvaluation *evaluation;
  PlPruneStep *step;
  PlComparison *comparison;
  PlCompareReport *report;
  PlSweep *sweep;
  /* JOB_RESTORE: the steps of a session to recompute, and the results */
  GPtrArray *restore_configs;     /* of PlPruneConfig * (never NULL) */
  GArray *restore_sparsities;     /* of double */
  GPtrArray *restored;            /* of PlPruneStep * */
  GPtrArray *restore_schedules;   /* of PlPruneSchedule * or NULL (one-shot) per step */
  /* JOB_EXPORT ("exports" below): what, where, and what is exported */
  guint export_what;
  char *export_path;
  char *export_format;
  PlExportOptions export_options;
  PlEvaluation *export_e0, *export_e1;
  char *export_model_name, *export_pruning;
  PlFigureContext export_context;
  PlExportAllInput export_input;
  PlLimeShapFigure *export_lime_shap;   /* a copy: the tab may replace its figure */
  PlReport *export_report;
  gint export_count;
} Job;

/* The schedule an applied step was made with (sessions save it; kinds as the panel's
 * drop-down: 0 one-shot, 1 iterative, 2 polynomial, 3 rewind). */
typedef struct {
  guint kind;
  gint steps;
  gint epochs;
} StepSchedule;

struct _PlWindow {
  AdwApplicationWindow parent_instance;

  /* template widgets */
  AdwToastOverlay *toast_overlay;
  AdwViewSwitcherTitle *switcher_title;
  GtkLabel *dataset_label;
  GtkSpinButton *index_spin;
  GtkAdjustment *index_adjustment;
  GtkGridView *sample_grid;
  GtkPicture *sample_picture;
  GtkLabel *sample_title;
  GtkLabel *truth_label;
  GtkLabel *pred_original_label;
  GtkLabel *pred_pruned_label;
  GtkLabel *similarity_label;
  GtkLabel *sparsity_value_label;
  GtkScale *sparsity_scale;
  GtkAdjustment *sparsity_adjustment;
  GtkDropDown *criterion_dropdown;
  GtkDropDown *granularity_dropdown;
  GtkDropDown *scope_dropdown;
  GtkLabel *accuracy_original_label;
  GtkLabel *accuracy_pruned_label;
  GtkLabel *achieved_label;
  GtkLabel *eval_label;
  GtkLabel *weights_label;
  AdwViewStack *view_stack;
  GtkDropDown *method_dropdown;
  PlFigureView *saliency_view;
  PlFigureView *features_view;
  PlFigureView *shap_view;
  GtkAdjustment *compare_adjustment;
  PlCanvas *sweep_area;           /* drawn in a worker thread (pl-canvas.h) */
  PlCanvas *film_area;
  GtkBox *metrics_box;
  GtkWidget *metrics_placeholder;
  GtkLabel *status_label;
  GtkProgressBar *progress_bar;
  GtkButton *cancel_button;
  PlModelView *model_view;
  GtkListBox *history_list;
  GtkMenuButton *history_button;
  GtkDropDown *reference_dropdown;
  GtkStringList *reference_model;
  GtkLabel *method_info_label;
  GMenu *primary_menu;
  GtkButton *apply_button;
  GtkScrolledWindow *metrics_scroll;
  GtkWidget *protect_button;      /* the Protected Layers menu button */

  /* owned references */
  GSettings *settings;            /* NULL when the schema is not installed */
  char *model_path;
  char *dataset_dir;              /* an IDX / PNG folder or a CSV / TSV file */
  char *label_column;             /* a table's label column (NULL: the last) */
  GMenu *recent_menu;             /* "Open Recent" */
  char *metrics_intro;            /* the Metrics view's placeholder text */
  GtkWidget *protect_popover;     /* pl-protect-popover.h */
  GtkDropDown *schedule_dropdown; /* one-shot, iterative, polynomial, rewind */
  GtkSpinButton *schedule_steps;
  GtkSpinButton *finetune_epochs;
  PlExportOptions export_options; /* the export dialog's last choice */
  GtkWidget *metrics_figures;     /* borrowed: pl-metrics-figures.h inside metrics_box */
  PlGraph *original;
  PlDataset *dataset;
  PlEvaluation *eval_original;
  PlPruneStep *preview;           /* the slider's pruning of the current step; NULL: none */
  PlPruneHistory *history;        /* applied steps; metrics slot: the PlPruneStep */
  PlPruneConfig *preview_config;  /* the preview's configuration (NULL: default) */
  char *model_sha256;             /* of the loaded model file, for sessions */
  /* What the window shows (set when a load succeeds): a failed load or session puts
   * model_path, dataset_dir and label_column back to these (sessfix, issue 11). */
  char *loaded_model_path, *loaded_dataset_dir, *loaded_label_column;
  PlRecipe *pending_recipe;       /* a session being opened: applied once loaded */
  char *recovered_path;           /* an autosave to offer back, or NULL */
  guint window_number;            /* its own autosave file (pl_session_io_window_number) */
  guint reference;                /* history step compared with ("original" side) */
  gboolean filling_history;
  gboolean applying_panel;        /* a session's panel settings are being restored */
  GHashTable *step_schedules;     /* PlGraph * (a reference) of a step → StepSchedule */
  PlExplainCache *explain_cache;  /* shared with the LIME / SHAP view (pl-explain-cache.h) */
  gint64 last_tick;               /* PL_MEASURE_LATENCY: previous frame-clock tick (µs) */
  gint64 max_gap;                 /* the longest gap between ticks while busy (µs) */
  gboolean measure_latency;
  double max_apply_cpu_ms;        /* main-thread CPU time of the costliest job result applied */
  JobKind max_apply_kind;
  guint jobs_applied, jobs_on_main; /* finished jobs; those whose work ran on the main thread */
  guint latency_tick_id;          /* pl_window_measure_latency */
  gboolean tour_shown;            /* PL_TOUR_PAGE: the tour was opened */
  gboolean metrics_dirty;         /* the Metrics view's figures wait until it is shown */
  guint metrics_idle_id;          /* building them after the next frame, or 0 */
  gulong metrics_paint_id;        /* waiting for that frame (frame clock's after-paint), or 0 */
  GdkFrameClock *metrics_clock;   /* owned while metrics_paint_id is connected to it */
  gboolean model_dirty;           /* the Model view waits until it is shown */
  PlLimeShapView *lime_shap_view; /* borrowed: the LIME / SHAP tab (pl-lime-shap-view.h) */
  gboolean lime_shap_dirty;       /* it explains the sample once shown */
  PlSampleFilterBar *filter_bar;  /* borrowed: above the sample grid (pl-sample-filter.h) */
  GtkFilterListModel *filtered;   /* the sample model through the bar's filter */
  gboolean no_autosave;           /* PL_NO_AUTOSAVE=1 */
  guint history_changes;          /* how often the history changed (update_history) */
  guint saved_changes;            /* history_changes when the session was last saved/opened */
  gboolean recovering;            /* the session being opened is a recovered autosave */
  char *recovering_path;          /* that file: removed once its steps are restored */
  gboolean autosave_failed;       /* the last autosave failed (said once in a toast) */
  gboolean close_after_save;      /* the close dialog's Save: close once it is saved */
  gboolean terminating;           /* SIGTERM / SIGINT: keep unsaved steps for the next start */
  GtkWidget *close_dialog;        /* "Save the session?" while it is shown (borrowed) */
  guint deferred_jobs;            /* bits of the JobKinds asked for while an export ran */
  guint export_what;              /* the export to start (JOB_EXPORT) */
  char *export_path;
  char *export_format;            /* Export All's format: png, svg, pdf */
  gint export_count;              /* files / pages of the last export */
  GtkWidget *cost_area;           /* borrowed: the Sweep view's cost against sparsity */
  PlComparison *comparison;
  PlCompareReport *report;
  PlSweep *sweep;
  PlSweepLineFigure *sweep_figure;   /* borrowed: sweep_area's content */
  PlSweepFilmstrip *film_figure;     /* borrowed: film_area's content */
  GtkWidget *metrics_content;     /* borrowed: the report's widgets inside metrics_box */
  PlIndexModel *sample_model;    /* the indices 0 … n − 1, items made on demand */
  GtkSingleSelection *selection;
  PlJob *jobs[N_JOBS];            /* the running job of each kind (pl-job.h), or NULL */
  char *last_error;
  char *initial_view;

  guint debounce_id;
  guint progress_id;
  guint scroll_id;
  double pending_sparsity;        /* to apply once loaded */
  gint64 selected;
  gboolean explain_pending;
  gboolean setting_slider;
};

G_DEFINE_FINAL_TYPE (PlWindow, pl_window, ADW_TYPE_APPLICATION_WINDOW)

static void start_job (PlWindow *self, JobKind kind);
static void trace_startup (const char *what);

/* PL_TRACE_MAIN=1: prints main-thread work that takes longer than a frame (16 ms). */
static gboolean trace_main = FALSE;
#define TRACE_BEGIN gint64 trace_t0 = trace_main ? g_get_monotonic_time () : 0
#define TRACE_END(what)                                                                   \
  G_STMT_START {                                                                          \
    if (trace_main && g_get_monotonic_time () - trace_t0 > 16000)                        \
      g_printerr ("main thread: %s took %.1f ms\n", (what),                              \
                  (g_get_monotonic_time () - trace_t0) / 1000.0);                        \
  } G_STMT_END
static void apply_panel (PlWindow *self, const PlRecipe *r);
static void schedule_scroll (PlWindow *self);
static void show_comparison (PlWindow *self);
static void refresh_lime_shap (PlWindow *self);
static gboolean sample_predictions (gint64 i, gint *original, gint *pruned,
                                    gpointer user_data);

/* ------------------------------------------------------------------- cache ---- *
 * Explanations are cached per (compared step, shown step, input, method and every
 * parameter): the two networks are keyed by identity (the entry holds a reference to
 * each, so a key is never reused by another network), the input by its dataset index, the
 * parameters are every field of PlComparisonOptions (method, grid, SHAP budget, seed,
 * baseline, top-k fraction). The class explained is the compared network's prediction for
 * the input, so it follows from the key. At most EXPLAIN_CACHE_SIZE entries (least
 * recently used dropped first; a comparison of a 28 × 28 image is about 40 kB); cleared
 * when a model or dataset is loaded. The cache owns the comparisons; self->comparison
 * points at the most recently used one. */

#define CACHE_METHOD "comparison"

/* The sample grid's first GRID_GRADUAL items arrive GRID_CHUNK at a time (pl-index-model.h):
 * a GtkGridView makes row widgets for up to 30 rows of 8 at once, ~0.2 ms each. */
#define GRID_CHUNK 32
#define GRID_GRADUAL 256

/* Every field of PlComparisonOptions as the key's parameters. */
static char *
options_key (const PlComparisonOptions *o)
{
  return g_strdup_printf ("method=%d grid=%d budget=%d seed=%" G_GUINT64_FORMAT
                          " baseline=%.9g topk=%.17g", (int) o->method, o->grid,
                          o->shap_budget, o->seed, (double) o->baseline, o->topk_fraction);
}

/* The cache dropped a value: forget it if shown. */
static void
on_cache_evict (gpointer value, gpointer user_data)
{
  PlWindow *self = user_data;
  if (self->comparison == value)
    self->comparison = NULL;
}

static void
pl_explain_cache_clear_all (PlWindow *self)
{
  if (self->explain_cache != NULL)
    pl_explain_cache_clear (self->explain_cache, NULL);
}

/* The cached comparison (made the most recently used), or NULL. */
static PlComparison *
explain_cache_lookup (PlWindow *self, PlGraph *original, PlGraph *pruned, gint64 index,
                      const PlComparisonOptions *options)
{
  g_autofree char *params = options_key (options);
  PlExplainKey key = { .original = original, .pruned = pruned, .dataset = self->dataset,
                       .sample = index, .method = CACHE_METHOD, .params = params };
  return pl_explain_cache_lookup (self->explain_cache, &key);
}

/* Adds a computed comparison (taken) as the most recently used; returns it. */
static PlComparison *
explain_cache_insert (PlWindow *self, PlGraph *original, PlGraph *pruned, gint64 index,
                      const PlComparisonOptions *options, PlComparison *comparison)
{
  g_autofree char *params = options_key (options);
  PlExplainKey key = { .original = original, .pruned = pruned, .dataset = self->dataset,
                       .sample = index, .method = CACHE_METHOD, .params = params };
  return pl_explain_cache_insert (self->explain_cache, &key, comparison,
                                  (GDestroyNotify) pl_comparison_free);
}
static void show_report (PlWindow *self);
static void update_history (PlWindow *self);
static void update_history_actions (PlWindow *self);
static void history_moved (PlWindow *self);
static gboolean autosave (PlWindow *self);

/* ----------------------------------------------------------------- history ---- *
 * The model: the history holds the applied steps (step 0 = the original network). Every
 * step is the ORIGINAL network pruned with the panel's settings at the slider's target
 * sparsity — the configurations the user tried, as a session file (pl-recipe.h) stores
 * them, so reopening a session recomputes the same networks. Moving the slider or a
 * drop-down previews a step (shown as "pruned"); Apply records the preview as a new step
 * after the current one (dropping any redo tail). Undo / Redo / a click in the history
 * list move the current step and drop the preview. "Compare with" picks the step shown on
 * the "original" side of every view. */

/* The PlPruneStep shown as "pruned": the preview, else the current step's (NULL: step 0). */
static const PlPruneStep *
shown_step (PlWindow *self)
{
  if (self->preview != NULL)
    return self->preview;
  if (self->history == NULL)
    return NULL;
  return pl_prune_history_current (self->history)->metrics;
}

static PlGraph *
shown_graph (PlWindow *self)
{
  const PlPruneStep *s = shown_step (self);
  return s ? s->pruned : self->original;
}

static guint
reference_index (PlWindow *self)
{
  if (self->history == NULL || self->reference >= pl_prune_history_n_steps (self->history))
    return 0;
  return self->reference;
}

static PlGraph *
reference_graph (PlWindow *self)
{
  if (self->history == NULL)
    return self->original;
  return pl_prune_history_step (self->history, reference_index (self))->graph;
}

static const PlEvaluation *
reference_evaluation (PlWindow *self)
{
  if (self->history != NULL)
    {
      const PlPruneStep *s = pl_prune_history_step (self->history, reference_index (self))->metrics;
      if (s != NULL)
        return s->evaluation;
    }
  return self->eval_original;
}

/* ---------------------------------------------------------------- settings ---- */

static gint
setting_int (PlWindow *self, const char *key, gint fallback)
{
  return self->settings ? g_settings_get_int (self->settings, key) : fallback;
}

static void
comparison_options (PlWindow *self, PlComparisonOptions *options)
{
  pl_comparison_options_init (options);
  guint method = gtk_drop_down_get_selected (self->method_dropdown);
  options->method = method < PL_MAP_N_METHODS ? (PlMapMethod) method : PL_MAP_SALIENCY;
  options->grid = setting_int (self, "patch-grid", 4);
  options->shap_budget = setting_int (self, "shap-budget", 0);
  if (self->settings)
    options->seed = g_settings_get_uint64 (self->settings, "seed");
}

/* The pruning panel's configuration (never NULL). The protected layers are the popover's
 * checks: until the user edits them, the recommended default of issue 5 (the first
 * convolution and the final classifier), as the CLI does. */
static PlPruneConfig *
prune_config (PlWindow *self, gint64 n_eval)
{
  guint criterion = gtk_drop_down_get_selected (self->criterion_dropdown);
  guint granularity = gtk_drop_down_get_selected (self->granularity_dropdown);
  guint scope = gtk_drop_down_get_selected (self->scope_dropdown);
  PlPruneConfig *config = pl_prune_config_new ();
  static const PlPruneCriterion criteria[] = {
    PL_PRUNE_CRITERION_MAGNITUDE, PL_PRUNE_CRITERION_RANDOM, PL_PRUNE_CRITERION_TAYLOR,
    PL_PRUNE_CRITERION_L1_NORM, PL_PRUNE_CRITERION_L2_NORM,
  };
  static const PlPruneGranularity granularities[] = {
    PL_PRUNE_GRANULARITY_UNSTRUCTURED, PL_PRUNE_GRANULARITY_NM, PL_PRUNE_GRANULARITY_CHANNELS,
  };
  config->criterion = criteria[MIN (criterion, G_N_ELEMENTS (criteria) - 1)];
  config->granularity = granularities[MIN (granularity, G_N_ELEMENTS (granularities) - 1)];
  config->scope = scope == 1 ? PL_PRUNE_SCOPE_LAYERWISE : PL_PRUNE_SCOPE_GLOBAL;
  g_auto (GStrv) names = pl_protect_popover_get_protected (GTK_POPOVER (self->protect_popover));
  pl_prune_config_set_protected (config, (const char *const *) names);
  /* Taylor scores on test images past the evaluation subset, so the accuracy shown is
   * not measured on the images that chose the weights. */
  if (config->criterion == PL_PRUNE_CRITERION_TAYLOR && self->dataset != NULL)
    pl_prune_config_set_calibration (config, self->dataset,
                                     MIN (n_eval, MAX (self->dataset->n - 64, 0)), 64);
  return config;
}

static const PlScheduleKind schedule_kinds[] = { PL_SCHEDULE_ONE_SHOT, PL_SCHEDULE_ITERATIVE,
                                                 PL_SCHEDULE_POLYNOMIAL, PL_SCHEDULE_REWIND };

/* The panel position (0 one-shot … 3 rewind) of a schedule id; 0 for unknown ids. */
static guint
schedule_position (const char *id)
{
  for (guint k = 0; id != NULL && k < G_N_ELEMENTS (schedule_kinds); k++)
    if (g_strcmp0 (id, pl_prune_schedule_kind_id (schedule_kinds[k])) == 0)
      return k;
  return 0;
}

/* The schedule a session's step was applied with; NULL for one-shot without fine-tuning. */
static PlPruneSchedule *
recipe_step_schedule (PlWindow *self, const PlRecipeStep *rs)
{
  guint k = schedule_position (rs->schedule);
  if (k == 0 && rs->finetune_epochs <= 0)
    return NULL;
  PlPruneSchedule *schedule = pl_prune_schedule_new (schedule_kinds[k]);
  schedule->steps = MAX (rs->schedule_steps, 1);
  schedule->finetune_epochs = MAX (rs->finetune_epochs, 0);
  if (self->settings != NULL)
    schedule->train.seed = g_settings_get_uint64 (self->settings, "seed");
  return schedule;
}

/* Remembers the schedule step graph was made with (for sessions). */
static void
remember_schedule (PlWindow *self, PlGraph *graph, const PlPruneSchedule *schedule)
{
  if (graph == NULL)
    return;
  if (schedule == NULL)
    {
      g_hash_table_remove (self->step_schedules, graph);
      return;
    }
  StepSchedule *st = g_new0 (StepSchedule, 1);
  for (guint k = 0; k < G_N_ELEMENTS (schedule_kinds); k++)
    if (schedule_kinds[k] == schedule->kind)
      st->kind = k;
  st->steps = schedule->steps;
  st->epochs = schedule->finetune_epochs;
  g_hash_table_insert (self->step_schedules, pl_graph_ref (graph), st);
}

/* The pruning panel's schedule; NULL for one-shot without fine-tuning (the preview). */
static PlPruneSchedule *
panel_schedule (PlWindow *self)
{
  guint k = gtk_drop_down_get_selected (self->schedule_dropdown);
  gint epochs = gtk_spin_button_get_value_as_int (self->finetune_epochs);
  if (k >= G_N_ELEMENTS (schedule_kinds) || (k == 0 && epochs == 0))
    return NULL;
  PlPruneSchedule *schedule = pl_prune_schedule_new (schedule_kinds[k]);
  schedule->steps = gtk_spin_button_get_value_as_int (self->schedule_steps);
  schedule->finetune_epochs = epochs;
  if (self->settings != NULL)
    schedule->train.seed = g_settings_get_uint64 (self->settings, "seed");
  return schedule;
}

/* An IDX folder with training files (pl_dataset_open's "train" split). */
static gboolean
dataset_has_train_split (const char *dir)
{
  g_autofree char *a = g_build_filename (dir, "train-images-idx3-ubyte.gz", NULL);
  g_autofree char *b = g_build_filename (dir, "train-images-idx3-ubyte", NULL);
  return g_file_test (a, G_FILE_TEST_EXISTS) || g_file_test (b, G_FILE_TEST_EXISTS);
}

static void
on_schedule_changed (PlWindow *self)
{
  guint k = gtk_drop_down_get_selected (self->schedule_dropdown);
  gtk_widget_set_sensitive (GTK_WIDGET (self->schedule_steps), k != 0);
}

static void
on_prune_config_changed (GtkDropDown *dropdown, GParamSpec *pspec, PlWindow *self)
{
  if (self->original != NULL && !self->applying_panel)
    start_job (self, JOB_PRUNE);
}

static void
on_protect_changed (gpointer user_data)
{
  on_prune_config_changed (NULL, NULL, user_data);
}

/* ------------------------------------------------------------------ errors ---- */

static void
show_error (PlWindow *self, const char *heading, const GError *error)
{
  g_free (self->last_error);
  self->last_error = g_strdup (error->message);
  /* capped: a message quoting user data can be huge (pango took minutes on 20 000 chars) */
  g_autofree char *body = pl_cap_message (error->message, PL_MESSAGE_MAX_CHARS, FALSE);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
toast (PlWindow *self, const char *text)
{
  g_autofree char *capped = pl_cap_message (text, 200, TRUE);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (capped));
}

/* ------------------------------------------------------------------ labels ---- */

/* The Fashion-MNIST class names (core keeps them in English), marked for translation. */
G_GNUC_UNUSED static const char *const fashion_mnist_names_for_translation[] = {
  N_("T-shirt/top"), N_("Trouser"), N_("Pullover"), N_("Dress"), N_("Coat"),
  N_("Sandal"), N_("Shirt"), N_("Sneaker"), N_("Bag"), N_("Ankle boot"),
};

static const char *
class_name (PlWindow *self, gint k)
{
  if (self->dataset != NULL && k >= 0 && k < self->dataset->n_classes)
    return _(self->dataset->class_names[k]);
  return "?";
}

static gboolean
is_table (PlWindow *self)
{
  return self->dataset != NULL && self->dataset->kind == PL_DATASET_TABLE;
}

static double
current_sparsity (PlWindow *self)
{
  const PlPruneStep *s = shown_step (self);
  return s ? s->achieved_sparsity : pl_graph_weight_sparsity (self->original);
}

/* The sparsity the shown step asked for (a share of the unprotected prunable weights), or
 * 0 for the original network: captions say both (pl_sparsity_label). */
static double
current_target_sparsity (PlWindow *self)
{
  const PlPruneStep *s = shown_step (self);
  const PlPruneConfig *config = self->preview != NULL ? self->preview_config
                                : self->history != NULL
                                    ? pl_prune_history_current (self->history)->config : NULL;
  /* Only where the target is a share of the unprotected prunable weights (N:M ignores it;
   * layer-wise channel pruning takes it as a share of each layer's channels). A preview
   * with the default configuration (NULL) is global magnitude pruning. */
  if (s == NULL || (config == NULL && self->preview == NULL)
      || (config != NULL && !pl_prune_config_target_is_weight_share (config)))
    return 0.0;
  return s->target_sparsity;
}

/* The Metrics view's figures for the compared and the shown step (and the report). */
static void build_metrics_figures (PlWindow *self);

static gboolean
view_visible (PlWindow *self, const char *name)
{
  return g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), name) == 0;
}

static gboolean
on_metrics_idle (gpointer data)
{
  PlWindow *self = data;
  self->metrics_idle_id = 0;
  if (self->metrics_dirty && view_visible (self, "metrics"))
    build_metrics_figures (self);
  return G_SOURCE_REMOVE;
}

static void
on_metrics_after_paint (GdkFrameClock *clock, PlWindow *self)
{
  g_clear_signal_handler (&self->metrics_paint_id, clock);
  g_clear_object (&self->metrics_clock);
  if (self->metrics_idle_id == 0)
    self->metrics_idle_id = g_idle_add (on_metrics_idle, self);
}

static void
refresh_metrics_figures (PlWindow *self)
{
  /* Hidden: build them when the view is shown (main-thread work, 10–20 ms). Shown: after
   * the next frame, which shows what changed first (the report's table, the labels), so
   * that one frame does not carry both. */
  self->metrics_dirty = TRUE;
  if (!view_visible (self, "metrics") || self->metrics_paint_id != 0 || self->metrics_idle_id != 0)
    return;
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));
  if (clock == NULL)
    {
      build_metrics_figures (self);   /* not on screen: no frame to wait for */
      return;
    }
  self->metrics_clock = g_object_ref (clock);
  self->metrics_paint_id = g_signal_connect (clock, "after-paint",
                                             G_CALLBACK (on_metrics_after_paint), self);
  gtk_widget_queue_draw (GTK_WIDGET (self->metrics_box));
}

static void
build_metrics_figures (PlWindow *self)
{
  self->metrics_dirty = FALSE;
  TRACE_BEGIN;
  if (self->metrics_figures != NULL)
    gtk_box_remove (self->metrics_box, self->metrics_figures);
  self->metrics_figures = NULL;
  if (self->original == NULL || self->eval_original == NULL || self->dataset == NULL)
    return;
  const PlPruneStep *s = shown_step (self);
  self->metrics_figures = pl_metrics_figures_new (
      self->dataset, reference_evaluation (self), s ? s->evaluation : self->eval_original,
      reference_graph (self), shown_graph (self), self->report);
  gtk_box_append (self->metrics_box, self->metrics_figures);
  TRACE_END ("the Metrics view's figures");
}

static void
update_metric_labels (PlWindow *self)
{
  g_autofree char *acc0 = NULL, *acc1 = NULL, *ach = NULL, *ev = NULL, *left = NULL;
  if (self->eval_original != NULL)
    {
      const PlEvaluation *e0 = reference_evaluation (self);
      acc0 = g_strdup_printf ("%.2f %%", 100.0 * e0->accuracy);
      const PlPruneStep *s = shown_step (self);
      const PlEvaluation *e1 = s ? s->evaluation : self->eval_original;
      double delta = 100.0 * (e1->accuracy - e0->accuracy);
      acc1 = g_strdup_printf ("%.2f %% (%+.2f)", 100.0 * e1->accuracy, delta);
      ev = is_table (self)
             ? g_strdup_printf (_("the first %d rows (top-1)"), (int) self->eval_original->n)
             : g_strdup_printf (_("the first %d test images (top-1)"), (int) self->eval_original->n);
    }
  if (self->original != NULL)
    {
      g_autoptr (GArray) w = pl_graph_prunable_weights (self->original);
      gint64 total = 0;
      for (guint i = 0; i < w->len; i++)
        total += pl_graph_value (self->original, g_array_index (w, gint, i))->init->numel;
      double s = current_sparsity (self);
      ach = g_strdup_printf ("%.2f %%", 100.0 * s);
      left = g_strdup_printf (_("%d of %d"), (int) (total - (gint64) (s * total + 0.5)), (int) total);
    }
  gtk_label_set_label (self->accuracy_original_label, acc0 ? acc0 : "—");
  gtk_label_set_label (self->accuracy_pruned_label, acc1 ? acc1 : "—");
  gtk_label_set_label (self->achieved_label, ach ? ach : "—");
  gtk_label_set_label (self->weights_label, left ? left : "—");
  gtk_label_set_label (self->eval_label, ev ? ev : "—");
  refresh_metrics_figures (self);
}

static void
update_sample_labels (PlWindow *self)
{
  if (self->dataset == NULL || self->selected < 0)
    return;
  gint64 i = self->selected;
  g_autofree char *title = is_table (self) ? g_strdup_printf (_("Row #%d"), (int) i)
                                           : g_strdup_printf (_("Test image #%d"), (int) i);
  gtk_label_set_label (self->sample_title, title);
  gtk_label_set_label (self->truth_label, class_name (self, self->dataset->labels[i]));

  const PlComparison *c = self->comparison;
  if ((c == NULL || c->index != i) && is_table (self))
    {
      /* Until the row's comparison arrives: the evaluations' predictions. */
      const PlPruneStep *s = shown_step (self);
      const PlEvaluation *e0 = self->eval_original ? reference_evaluation (self) : NULL;
      const PlEvaluation *e1 = s ? s->evaluation : self->eval_original;
      gboolean known = e0 != NULL && e1 != NULL && i < e0->n && i < e1->n;
      gtk_label_set_label (self->pred_original_label,
                           known ? class_name (self, e0->predictions[i]) : "—");
      gtk_label_set_label (self->pred_pruned_label,
                           known ? class_name (self, e1->predictions[i]) : "—");
      gtk_label_set_label (self->similarity_label, "…");
    }
  else if (c != NULL && c->index == i)
    {
      g_autofree char *p0 = g_strdup_printf ("%s (%.1f %%)", class_name (self, c->pred[0]),
                                             100.0 * c->prob[0]);
      g_autofree char *p1 = g_strdup_printf ("%s (%.1f %%)", class_name (self, c->pred[1]),
                                             100.0 * c->prob[1]);
      /* A rank correlation is undefined (NaN) when a map is constant: shown as "—". */
      double rho_map = c->saliency_similarity.spearman, rho_shap = c->shap_similarity.spearman;
      g_autofree char *map_text = isnan (rho_map) ? g_strdup ("—") : g_strdup_printf ("%.2f", rho_map);
      g_autofree char *shap_text = isnan (rho_shap) ? g_strdup ("—") : g_strdup_printf ("%.2f", rho_shap);
      g_autofree char *sim = g_strdup_printf (_("%s map · %s SHAP"), map_text, shap_text);
      g_autofree char *tip = g_strdup_printf (
          _("Spearman rank correlation between the original and the pruned network's %s maps "
            "(%s) and KernelSHAP values (%s); 1 = same ranking"),
          _(pl_map_method_label (c->options.method)), map_text, shap_text);
      if (isnan (rho_map) || isnan (rho_shap))
        {
          char *why = g_strconcat (tip, "\n",
                                   _("— means undefined: one network's map (or SHAP values) is "
                                     "constant, for example all zero because pruning silenced "
                                     "the gradient, so it has no ranking to correlate"), NULL);
          g_free (tip);
          tip = why;
        }
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->similarity_label), tip);
      gtk_label_set_label (self->pred_original_label, p0);
      gtk_label_set_label (self->pred_pruned_label, p1);
      gtk_label_set_label (self->similarity_label, sim);
    }
  else
    {
      gtk_label_set_label (self->pred_original_label, "…");
      gtk_label_set_label (self->pred_pruned_label, "…");
      gtk_label_set_label (self->similarity_label, "…");
    }
}

/* A picture of sample i, upscaled by an integer factor with nearest neighbours (a
 * PlImagePaintable: see pl-image.h for why not a texture). */
static GdkPaintable *
sample_paintable (const PlDataset *ds, gint64 i, gint scale)
{
  gint h = ds->height, w = ds->width, c = ds->channels;
  gint H = h * scale, W = w * scale;
  cairo_surface_t *image = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, W, H);
  if (cairo_surface_status (image) != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (image);
      return NULL;
    }
  guint8 *data = cairo_image_surface_get_data (image);
  int stride = cairo_image_surface_get_stride (image);
  const guint8 *px = ds->pixels + (gsize) i * c * h * w;
  gsize plane = (gsize) h * w;
  for (gint y = 0; y < H; y++)
    {
      guint32 *row = (guint32 *) (gpointer) (data + (gsize) y * stride);
      for (gint x = 0; x < W; x++)
        {
          gsize at = (gsize) (y / scale) * w + (gsize) (x / scale);
          guint32 r = px[at], g = px[(c >= 3 ? plane : 0) + at];
          guint32 b = px[(c >= 3 ? 2 * plane : 0) + at];
          row[x] = 0xff000000u | r << 16 | g << 8 | b;   /* opaque ARGB32 */
        }
    }
  cairo_surface_mark_dirty (image);
  GdkPaintable *paintable = pl_image_paintable_new (image);
  cairo_surface_destroy (image);
  return paintable;
}

/* ------------------------------------------------------------------ figures ---- */

static PlFigureView *
figure_view (PlWindow *self, PlFigureKind kind)
{
  switch (kind)
    {
    case PL_FIGURE_SALIENCY: return self->saliency_view;
    case PL_FIGURE_FEATURES: return self->features_view;
    case PL_FIGURE_SHAP:
    default: return self->shap_view;
    }
}

static const char *dataset_display_name (const PlDataset *dataset);

static void
rebuild_figures (PlWindow *self)
{
  if (self->comparison == NULL || self->dataset == NULL)
    return;
  TRACE_BEGIN;
  g_autofree char *model_name = g_path_get_basename (self->model_path);
  PlFigureContext ctx = {
    .model_name = model_name,
    .dataset_name = dataset_display_name (self->dataset),
    .sparsity = current_sparsity (self),
    .target_sparsity = current_target_sparsity (self),
    .pruning = shown_step (self) ? shown_step (self)->description : NULL,
    .class_names = (const char *const *) self->dataset->class_names,
    .n_classes = self->dataset->n_classes,
    .dark = adw_style_manager_get_dark (adw_style_manager_get_default ()),
    .caption = self->settings ? g_settings_get_boolean (self->settings, "captions") : TRUE,
  };
  for (gint k = 0; k < PL_FIGURE_N_KINDS; k++)
    if (is_table (self))
      pl_figure_view_set_table_figure (figure_view (self, k),
                                       pl_table_figure_new (k, self->comparison, &ctx));
    else
      pl_figure_view_set_figure (figure_view (self, k),
                                 pl_comparison_figure_new (k, self->comparison, &ctx));
  TRACE_END ("building the figures");
}

static void
on_dark_changed (PlWindow *self)
{
  rebuild_figures (self);
}

/* The Sweep view's canvases (drawn in a worker thread, pl-canvas.h). */
static void
draw_sweep (cairo_t *cr, int width, int height, gboolean dark, gconstpointer content)
{
  PlLineFigure fig = ((const PlSweepLineFigure *) content)->figure;
  fig.dark = dark;
  pl_line_figure_draw (cr, width, height, &fig);
}

static void
draw_film (cairo_t *cr, int width, int height, gboolean dark, gconstpointer content)
{
  PlFilmstripFigure fig = ((const PlSweepFilmstrip *) content)->figure;
  fig.dark = dark;
  /* the maps' colormap setting (the filmstrip is made in magma) */
  if (fig.scale.colormap != PL_COLORMAP_DIVERGING)
    fig.scale.colormap = pl_render_get_sequential_colormap ();
  pl_filmstrip_figure_draw (cr, width, height, &fig);
}

/* The Sweep view's cost plot: non-zero parameters and effective MACs (those of non-zero
 * weights) as shares of the dense network against the achieved sparsity. */
typedef struct {
  gint n;
  double *x, *params, *macs;
  PlAxisScale x_scale;
} Cost;

static void
cost_free (Cost *c)
{
  g_free (c->x);
  g_free (c->params);
  g_free (c->macs);
  g_free (c);
}

static Cost *
cost_new (const PlSweep *sweep, PlAxisScale x_scale)
{
  Cost *c = g_new0 (Cost, 1);
  c->n = sweep->n_points;
  c->x = g_new (double, MAX (c->n, 1));
  c->params = g_new (double, MAX (c->n, 1));
  c->macs = g_new (double, MAX (c->n, 1));
  c->x_scale = x_scale;
  for (gint i = 0; i < c->n; i++)
    {
      const PlSweepPoint *p = &sweep->points[i];
      c->x[i] = p->sparsity;
      c->params[i] = p->parameters > 0 ? (double) p->nonzero_parameters / p->parameters : NAN;
      c->macs[i] = p->macs_dense > 0 && p->macs_nonzero >= 0
                     ? (double) p->macs_nonzero / p->macs_dense : NAN;
    }
  return c;
}

static void
draw_cost (cairo_t *cr, int width, int height, gboolean dark, gconstpointer content)
{
  const Cost *c = content;
  if (c->n < 1)
    return;
  PlLineFigure fig = { 0 };
  fig.title = (char *) _("Cost against sparsity");
  fig.x_label = (char *) _("achieved sparsity");
  fig.y_label = (char *) _("share of the dense network (log)");
  fig.x_scale = c->x_scale;
  fig.x_percent = TRUE;
  fig.y_percent = TRUE;
  fig.y_scale = PL_AXIS_LOG;
  fig.dark = dark;
  fig.n_series = 2;
  fig.series[0] = (PlLineSeries) { .name = _("non-zero parameters"), .n = c->n, .x = c->x,
                                   .y = c->params, .markers = TRUE, .color = 3 };
  fig.series[1] = (PlLineSeries) { .name = _("effective MACs"), .n = c->n, .x = c->x,
                                   .y = c->macs, .markers = TRUE, .dashed = TRUE, .color = 4 };
  pl_line_figure_draw (cr, width, height, &fig);
}

/* --------------------------------------------------------------------- jobs ---- */

static void
job_free (Job *job)
{
  g_free (job->model_path);
  g_free (job->dataset_dir);
  g_free (job->label_column);
  g_free (job->model_sha256);
  g_clear_pointer (&job->recipe, pl_recipe_free);
  g_clear_pointer (&job->original, pl_graph_unref);
  g_clear_pointer (&job->pruned, pl_graph_unref);
  g_clear_pointer (&job->dataset, pl_dataset_unref);
  g_clear_pointer (&job->loaded_graph, pl_graph_unref);
  g_clear_pointer (&job->loaded_dataset, pl_dataset_unref);
  g_clear_pointer (&job->evaluation, pl_evaluation_free);
  g_clear_pointer (&job->step, pl_prune_step_free);
  g_clear_pointer (&job->comparison, pl_comparison_free);
  g_clear_pointer (&job->report, pl_compare_report_free);
  g_clear_pointer (&job->sweep, pl_sweep_free);
  g_clear_pointer (&job->prune_config, pl_prune_config_free);
  g_clear_pointer (&job->schedule, pl_prune_schedule_free);
  g_clear_pointer (&job->restore_configs, g_ptr_array_unref);
  g_clear_pointer (&job->restore_sparsities, g_array_unref);
  g_clear_pointer (&job->restored, g_ptr_array_unref);
  g_clear_pointer (&job->restore_schedules, g_ptr_array_unref);
  g_free (job->export_path);
  g_free (job->export_format);
  g_clear_pointer (&job->export_e0, pl_evaluation_free);
  g_clear_pointer (&job->export_lime_shap, pl_lime_shap_figure_free);
  g_clear_pointer (&job->export_e1, pl_evaluation_free);
  g_free (job->export_model_name);
  g_free (job->export_pruning);
  g_clear_pointer (&job->export_report, pl_report_free);
  g_free (job);
}

static void
job_progress (double fraction, const char *message, gpointer user_data)
{
  Job *job = user_data;
  pl_progress_report (job->progress, fraction, message);
}

static gboolean export_run (Job *job, GCancellable *cancellable, GError **error);

/* The model's first output holds one value per sample ([N, 1] or [N]): a regression
 * model, which the workbench's classifier views cannot show. */
static gboolean
is_regression_model (const PlGraph *graph)
{
  if (graph->outputs->len == 0)
    return FALSE;
  const PlValue *v = pl_graph_value (graph, g_array_index (graph->outputs, gint, 0));
  return (v->ndim == 2 && v->shape[1] == 1) || (v->ndim == 1 && (v->shape[0] == -1 || v->shape[0] == 1));
}

/* Recomputes the steps of a session (job->restore_*) into job->restored (worker). */
static void
restore_steps (Job *job, const PlProgress *parent, GError **out_error)
{
  PlProgress progress = *parent;
  GError *error = NULL;
  guint n = job->restore_configs->len;
  job->restored = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_prune_step_free);
  for (guint i = 0; i < n && error == NULL; i++)
    {
      g_autofree char *msg = g_strdup_printf (_("Recomputing step %u of %u"), i + 1, n);
      pl_progress_report (&progress, (double) i / n, msg);
      PlProgress sub = pl_progress_sub (&progress, (double) i / n, (double) (i + 1) / n);
      PlPruneSchedule *schedule = g_ptr_array_index (job->restore_schedules, i);
      PlPruneStep *step = NULL;
      if (schedule != NULL && schedule->finetune_epochs > 0 && schedule->train_data == NULL)
        {
          /* Fine-tuning data as the panel's schedule job loads it. */
          PlDataset *train = job->train_split
                               ? pl_dataset_open (job->dataset_dir, "train", NULL, &error)
                               : pl_dataset_ref (job->dataset);
          if (train == NULL)
            break;
          pl_prune_schedule_set_train_data (schedule, train, job->finetune_samples);
          pl_dataset_unref (train);
        }
      if (schedule != NULL)
        step = pl_prune_step_run_schedule (
            job->original, job->dataset, g_ptr_array_index (job->restore_configs, i),
            schedule, g_array_index (job->restore_sparsities, double, i), job->n_eval,
            NULL, &sub, &error);
      else
        step = pl_prune_step_run_config (
            job->original, job->dataset, g_ptr_array_index (job->restore_configs, i),
            g_array_index (job->restore_sparsities, double, i), job->n_eval, &sub, &error);
      if (step != NULL)
        g_ptr_array_add (job->restored, step);
    }
  if (error != NULL)
    g_propagate_error (out_error, error);
}

/* JOB_LOAD of a session (worker): checks it against the loaded model, then builds and
 * recomputes its steps as JOB_RESTORE does, so that nothing is applied unless all of it
 * worked. */
static gboolean
load_session_steps (Job *job, const PlProgress *progress, GError **error)
{
  if (!pl_session_io_check (job->recipe, job->loaded_graph, &job->history_cap, error))
    return FALSE;
  PlDataset *ds = job->loaded_dataset;
  job->original = pl_graph_ref (job->loaded_graph);
  job->dataset = pl_dataset_ref (ds);
  job->train_split = job->train_split && ds->kind != PL_DATASET_TABLE;
  for (guint i = 0; i < job->recipe->steps->len; i++)
    {
      const PlRecipeStep *rs = g_ptr_array_index (job->recipe->steps, i);
      PlPruneConfig *c = pl_prune_config_copy (rs->config);
      /* Taylor scores on images past the evaluation subset, as the panel does. */
      if (c->criterion == PL_PRUNE_CRITERION_TAYLOR)
        pl_prune_config_set_calibration (c, ds, MIN (job->n_eval, MAX (ds->n - 64, 0)),
                                         c->calibration_samples > 0 ? c->calibration_samples : 64);
      g_ptr_array_add (job->restore_configs, c);
      g_array_append_val (job->restore_sparsities, rs->sparsity);
    }
  if (job->restore_configs->len == 0)
    return TRUE;
  GError *local = NULL;
  restore_steps (job, progress, &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  return TRUE;
}

static gboolean
job_run (gpointer data, const PlProgress *job_progress_, GError **out_error)
{
  Job *job = data;
  PlProgress progress = *job_progress_;
  GCancellable *cancellable = progress.cancellable;
  GError *error = NULL;
  job->progress = job_progress_;

  switch (job->kind)
    {
    case JOB_LOAD:
      {
        job_progress (0.0, _("Loading the model"), job);
        job->loaded_graph = pl_onnx_load_file (job->model_path, &error);
        if (job->loaded_graph == NULL)
          break;
        job->model_sha256 = pl_file_sha256 (job->model_path, NULL);
        job_progress (0.05, _("Loading the dataset"), job);
        PlCsvOptions csv;
        pl_csv_options_init (&csv);
        csv.label_column = job->label_column;
        job->loaded_dataset = pl_dataset_open (job->dataset_dir, "test", &csv, &error);
        if (job->loaded_dataset == NULL)
          break;
        {
          g_autofree char *model_name = g_path_get_basename (job->model_path);
          if (is_regression_model (job->loaded_graph))
            {
              g_set_error (&error, PL_ERROR, PL_ERROR_UNSUPPORTED,
                           _("%s: a regression model (one output value per sample): the "
                             "workbench does not support regression models yet; prune and "
                             "evaluate it with “prunelens-cli eval” and “prunelens-cli "
                             "prune”, which do"), model_name);
              break;
            }
          if (!pl_dataset_io_check_model (job->loaded_graph, model_name, job->loaded_dataset,
                                          &error))
            break;
          /* NaN / inf weights would give NaN (or, through Relu, silently finite and wrong)
           * accuracies and explanations: refuse the model, naming the initializer. */
          if (!pl_graph_check_finite_weights (job->loaded_graph, model_name, &error))
            break;
        }
        job_progress (0.2, _("Evaluating the original network"), job);
        PlProgress sub;
        if (job->recipe == NULL || job->recipe->steps->len == 0)
          sub = pl_progress_sub (&progress, 0.2, 1.0);
        else
          sub = pl_progress_sub (&progress, 0.2, 0.4);
        job->evaluation = pl_evaluate_classifier (job->loaded_graph, job->loaded_dataset,
                                                  job->n_eval, &sub, &error);
        if (job->evaluation != NULL && job->recipe != NULL)
          {
            PlProgress rest = pl_progress_sub (&progress, 0.4, 1.0);
            load_session_steps (job, &rest, &error);
          }
        break;
      }
    case JOB_PRUNE:
      job_progress (0.0, _("Pruning and evaluating"), job);
      job->step = pl_prune_step_run_config (job->original, job->dataset, job->prune_config,
                                            job->sparsity, job->n_eval, &progress, &error);
      break;
    case JOB_SCHEDULE:
      {
        if (job->schedule->finetune_epochs > 0)
          {
            job_progress (0.0, _("Loading the training data"), job);
            PlDataset *train = NULL;
            if (job->train_split)
              train = pl_dataset_open (job->dataset_dir, "train", NULL, &error);
            else
              train = pl_dataset_ref (job->dataset);
            if (train == NULL)
              break;
            pl_prune_schedule_set_train_data (job->schedule, train, job->finetune_samples);
            pl_dataset_unref (train);
          }
        job_progress (0.0, _("Pruning on a schedule"), job);
        job->step = pl_prune_step_run_schedule (job->original, job->dataset, job->prune_config,
                                                job->schedule, job->sparsity, job->n_eval,
                                                NULL, &progress, &error);
        break;
      }
    case JOB_SWEEP:
      {
        job_progress (0.0, _("Pruning to each sparsity and measuring"), job);
        static const double sparsities[] = { 0.0, 0.5, 0.8, 0.9, 0.95, 0.99 };
        PlSweepOptions options;
        pl_sweep_options_init (&options);
        options.n_eval = job->n_eval;
        options.prune = job->prune_config;   /* the protected layers of the pruning panel */
        options.film_index = job->index;
        job->sweep = pl_sweep_run (job->original, job->dataset, sparsities,
                                   G_N_ELEMENTS (sparsities), &options, &progress, &error);
        break;
      }
    case JOB_COMPARE:
      {
        job_progress (0.0, _("Comparing explanations over the sample"), job);
        PlCompareOptions options;
        pl_compare_options_init (&options);
        options.n_samples = job->n_eval;
        job->report = pl_compare_sample (job->original, job->pruned, job->dataset, &options,
                                         &progress, &error);
        break;
      }
    case JOB_RESTORE:
      restore_steps (job, &progress, &error);
      break;
    case JOB_EXPORT:
      export_run (job, cancellable, &error);
      break;
    case JOB_EXPLAIN:
    default:
      job_progress (0.0, _("Explaining both networks"), job);
      job->comparison = pl_comparison_compute (job->original, job->pruned, job->dataset,
                                               job->index, &job->options, &progress, &error);
      break;
    }

  if (error != NULL && job->kind != JOB_LOAD && job->model_path != NULL &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *model_name = g_path_get_basename (job->model_path);
      g_prefix_error (&error, "%s: ", model_name);
    }
  job->progress = NULL;
  if (error != NULL)
    {
      g_propagate_error (out_error, error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
any_job (PlWindow *self)
{
  for (gint k = 0; k < N_JOBS; k++)
    if (self->jobs[k] != NULL)
      return TRUE;
  return FALSE;
}

static gboolean
on_progress_tick (gpointer user_data)
{
  PlWindow *self = user_data;
  for (gint k = N_JOBS - 1; k >= 0; k--)
    {
      if (self->jobs[k] == NULL)
        continue;
      pl_job_show_progress (self->jobs[k], self->progress_bar, self->status_label);
      return G_SOURCE_CONTINUE;
    }
  return G_SOURCE_CONTINUE;
}

static void
update_busy (PlWindow *self)
{
  gboolean busy = any_job (self);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), busy);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel", busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-figure",
                                 self->comparison != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-all",
                                 self->comparison != NULL && !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-report",
                                 self->comparison != NULL && !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-onnx",
                                 self->original != NULL && !busy);
  if (busy && self->progress_id == 0)
    self->progress_id = g_timeout_add (100, on_progress_tick, self);
  else if (!busy)
    g_clear_handle_id (&self->progress_id, g_source_remove);
  if (busy)
    on_progress_tick (self);
  update_history_actions (self);
}

static void
set_slider (PlWindow *self, double percent)
{
  self->setting_slider = TRUE;
  gtk_adjustment_set_value (self->sparsity_adjustment, percent);
  g_autofree char *text = g_strdup_printf ("%.0f %%", percent);
  gtk_label_set_label (self->sparsity_value_label, text);
  self->setting_slider = FALSE;
}

static void thumb_state (PlWindow *self, GtkWidget *thumb, gint64 i);

/* The predictions changed (another step shown): the filter re-runs when set, and the
 * thumbnails on screen update their marks in place (no row is rebuilt). */
static void
refresh_grid (PlWindow *self)
{
  PlSampleFilter *filter = pl_sample_filter_bar_get_filter (self->filter_bar);
  if (pl_sample_filter_is_active (filter))
    pl_sample_filter_predictions_changed (filter);
  GtkWidget *grid = GTK_WIDGET (self->sample_grid);
  for (GtkWidget *c = gtk_widget_get_first_child (grid); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *thumb = gtk_widget_get_first_child (c);
      gint64 i = thumb != NULL
                   ? GPOINTER_TO_INT (g_object_get_data (G_OBJECT (thumb), "pl-index")) - 1
                   : -1;
      if (i >= 0)
        thumb_state (self, thumb, i);
    }
}

/* The dataset's name as shown on screen: the built-in Fashion-MNIST splits translated
 * (files, sessions and JSON keep dataset->name). */
static const char *
dataset_display_name (const PlDataset *dataset)
{
  if (g_strcmp0 (dataset->name, "Fashion-MNIST test") == 0)
    return _("Fashion-MNIST test");
  if (g_strcmp0 (dataset->name, "Fashion-MNIST train") == 0)
    return _("Fashion-MNIST train");
  return dataset->name;
}

static void restore_loaded_paths (PlWindow *self);
static void apply_restore (PlWindow *self, Job *job);

/* The session as the window shows it is now in a file the user chose: closing needs no
 * question. A recovered autosave is not such a file: it stays unsaved. */
static void
mark_session_saved (PlWindow *self)
{
  if (self->recovering)
    {
      /* Its steps are in this window (and its autosave) now: not to be offered again. */
      self->recovering = FALSE;
      if (self->recovering_path != NULL)
        g_unlink (self->recovering_path);
      g_clear_pointer (&self->recovering_path, g_free);
      return;
    }
  self->saved_changes = self->history_changes;
}

/* Steps the user made that no session file holds (the original alone is nothing to lose). */
static gboolean
has_unsaved_steps (PlWindow *self)
{
  return self->history != NULL && pl_prune_history_n_steps (self->history) > 1
         && self->history_changes != self->saved_changes;
}

static void
apply_load (PlWindow *self, Job *job)
{
  /* A session was checked against its model and its steps recomputed by the worker
   * before anything is replaced: on error the window keeps what it showed (all or
   * nothing; job_done_apply). */
  guint history_cap = 0;
  g_clear_pointer (&self->pending_recipe, pl_recipe_free);
  if (job->recipe != NULL)
    {
      self->pending_recipe = g_steal_pointer (&job->recipe);
      history_cap = job->history_cap;
      if (self->pending_recipe->inputs->len > 0)
        self->selected = MAX (g_array_index (self->pending_recipe->inputs, gint64, 0), 0);
    }
  g_clear_pointer (&self->original, pl_graph_unref);
  g_clear_pointer (&self->dataset, pl_dataset_unref);
  g_clear_pointer (&self->eval_original, pl_evaluation_free);
  g_clear_pointer (&self->preview, pl_prune_step_free);
  g_clear_pointer (&self->history, pl_prune_history_free);
  self->comparison = NULL;   /* owned by the cache, cleared below */
  self->original = g_steal_pointer (&job->loaded_graph);
  {
    /* As many steps as 1 GiB of pruned copies holds (at most 1000, at least 32), so that
     * applying steps by hand does not drop early ones; beyond it apply_step says so. */
    gint64 per_step = MAX (pl_session_io_step_bytes (self->original), 1);
    guint fit = (guint) CLAMP (PL_SESSION_MAX_STEP_BYTES / per_step, 32, PL_SESSION_MAX_STEPS);
    history_cap = MAX (history_cap, fit);
  }
  self->history = pl_prune_history_new (self->original, history_cap);
  self->reference = 0;
  pl_protect_popover_set_graph (GTK_POPOVER (self->protect_popover), self->original);
  g_hash_table_remove_all (self->step_schedules);
  pl_explain_cache_clear_all (self);
  if (self->pending_recipe != NULL && self->pending_recipe->panel_set)
    apply_panel (self, self->pending_recipe);
  self->dataset = g_steal_pointer (&job->loaded_dataset);
  self->eval_original = g_steal_pointer (&job->evaluation);
  g_free (self->model_path);
  self->model_path = g_strdup (job->model_path);
  g_free (self->dataset_dir);
  self->dataset_dir = g_strdup (job->dataset_dir);
  g_free (self->label_column);
  self->label_column = g_strdup (job->label_column);
  g_free (self->loaded_model_path);
  self->loaded_model_path = g_strdup (self->model_path);
  g_free (self->loaded_dataset_dir);
  self->loaded_dataset_dir = g_strdup (self->dataset_dir);
  g_free (self->loaded_label_column);
  self->loaded_label_column = g_strdup (self->label_column);

  g_autofree char *model_name = g_path_get_basename (self->model_path);
  g_autofree char *subtitle = g_strdup_printf ("%s · %s", model_name,
                                               dataset_display_name (self->dataset));
  adw_view_switcher_title_set_subtitle (self->switcher_title, subtitle);
  g_autofree char *ds_tip = g_strdup_printf (_("%s · %d images"),
                                             dataset_display_name (self->dataset),
                                             (int) self->dataset->n);
  gtk_label_set_label (self->dataset_label, dataset_display_name (self->dataset));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->dataset_label), ds_tip);

  /* One item per sample (its index), made when the grid shows it; the grid's first rows
   * arrive a few at a time (each new row widget costs; frames are drawn in between). The
   * selection follows once all are there (on_samples_complete). */
  pl_index_model_set_n_items_gradually (self->sample_model, (guint) self->dataset->n,
                                        GRID_CHUNK, GRID_GRADUAL);
  pl_sample_filter_bar_set_data (self->filter_bar, self->dataset, sample_predictions, self, NULL);
  pl_lime_shap_view_clear (self->lime_shap_view, NULL);
  gtk_adjustment_set_upper (self->index_adjustment, (double) (self->dataset->n - 1));
  gtk_grid_view_set_min_columns (self->sample_grid, is_table (self) ? 1 : 2);
  gtk_grid_view_set_max_columns (self->sample_grid, is_table (self) ? 1 : 8);
  if (is_table (self))
    {
      self->comparison = NULL;
      g_clear_pointer (&self->report, pl_compare_report_free);
      show_report (self);
      g_autofree char *text = g_strdup_printf (
          _("Comparing explanations over a sample and the sweep need an image dataset: "
            "“%s” is a table. The confusion matrices and the sparsity per layer below work "
            "on it, and the Saliency, Features and SHAP views explain the selected row."),
          self->dataset->name);
      for (gint k = 0; k < PL_FIGURE_N_KINDS; k++)
        {
          pl_figure_view_set_figure (figure_view (self, k), NULL);
          pl_figure_view_set_placeholder (figure_view (self, k), _("Explaining the row…"));
        }
      gtk_label_set_label (GTK_LABEL (self->metrics_placeholder), text);
      gtk_widget_set_visible (self->metrics_placeholder, TRUE);
    }
  else if (self->metrics_intro != NULL)
    gtk_label_set_label (GTK_LABEL (self->metrics_placeholder), self->metrics_intro);
  pl_dataset_io_add_recent (self->model_path);
  pl_dataset_io_add_recent (self->dataset_dir);

  gint64 index = CLAMP (self->selected, 0, self->dataset->n - 1);
  if (index != self->selected)
    {
      g_autofree char *msg = g_strdup_printf (_("There is no test image #%d; showing #%d"),
                                              (int) self->selected, (int) index);
      toast (self, msg);
    }
  self->selected = -1;
  pl_window_select_sample (self, index);
  update_metric_labels (self);
  update_history (self);

  g_clear_pointer (&self->model_sha256, g_free);
  self->model_sha256 = g_steal_pointer (&job->model_sha256);   /* hashed by the worker */
  if (self->pending_recipe != NULL)
    {
      /* the session's method and view, now that it opened */
      const PlRecipe *r = self->pending_recipe;
      if (r->explanations->len > 0)
        {
          PlMapMethod method = g_array_index (r->explanations, PlComparisonOptions, 0).method;
          if (method < PL_MAP_N_METHODS)
            gtk_drop_down_set_selected (self->method_dropdown, method);
        }
      const char *view = pl_session_io_view (r);
      if (view != NULL)
        adw_view_stack_set_visible_child_name (self->view_stack, view);
    }
  if (self->pending_recipe != NULL && self->pending_recipe->steps->len > 0)
    {
      set_slider (self, 0.0);
      apply_restore (self, job);   /* the steps the worker recomputed */
      mark_session_saved (self);
      return;
    }
  if (self->pending_recipe != NULL)
    mark_session_saved (self);
  g_clear_pointer (&self->pending_recipe, pl_recipe_free);

  /* PL_TOUR_PAGE=N (the screenshot script): open the guided tour on page N once. */
  const char *tour_page = g_getenv ("PL_TOUR_PAGE");
  if (tour_page != NULL && !self->tour_shown)
    {
      self->tour_shown = TRUE;
      pl_tour_start (self);
      for (guint64 p = g_ascii_strtoull (tour_page, NULL, 10); p > 0; p--)
        pl_tour_next (self);
    }

  double s = self->pending_sparsity;
  set_slider (self, 100.0 * s);
  if (s > 0.0)
    start_job (self, JOB_PRUNE);
  else
    start_job (self, JOB_EXPLAIN);
}

/* The history's description of a schedule. */
static char *
schedule_description (const PlPruneSchedule *schedule, gboolean train_split)
{
  char *text = pl_prune_schedule_describe (schedule);
  if (schedule->finetune_epochs > 0 && !train_split)
    {
      char *with = g_strconcat (text, _(", fine-tuned on the evaluated data"), NULL);
      g_free (text);
      text = with;
    }
  return text;
}

/* Restores the pruning panel of a session (without starting a preview). */
static void
apply_panel (PlWindow *self, const PlRecipe *r)
{
  self->applying_panel = TRUE;
  gtk_drop_down_set_selected (self->criterion_dropdown, (guint) MAX (r->panel_criterion, 0));
  gtk_drop_down_set_selected (self->granularity_dropdown, (guint) MAX (r->panel_granularity, 0));
  gtk_drop_down_set_selected (self->scope_dropdown, (guint) MAX (r->panel_scope, 0));
  pl_protect_popover_set_protected (GTK_POPOVER (self->protect_popover),
                                    (const char *const *) r->panel_protected);
  gtk_drop_down_set_selected (self->schedule_dropdown, schedule_position (r->panel_schedule));
  gtk_spin_button_set_value (self->schedule_steps, MAX (r->panel_schedule_steps, 1));
  gtk_spin_button_set_value (self->finetune_epochs, MAX (r->panel_finetune_epochs, 0));
  self->applying_panel = FALSE;
}

/* A schedule ran: its final network becomes a new step after the current one. */
static void
apply_schedule (PlWindow *self, Job *job)
{
  PlPruneStep *step = g_steal_pointer (&job->step);
  g_clear_pointer (&self->preview, pl_prune_step_free);
  g_clear_pointer (&self->preview_config, pl_prune_config_free);
  guint index = pl_prune_history_push (self->history, job->prune_config, step->target_sparsity,
                                       step->pruned);
  g_autofree char *schedule = schedule_description (job->schedule, job->train_split);
  pl_prune_history_set_info (self->history, index, job->prune_config ? job->prune_config->seed : 1,
                             schedule);
  remember_schedule (self, step->pruned, job->schedule);
  pl_prune_history_set_metrics (self->history, index, step, (GDestroyNotify) pl_prune_step_free);
  set_slider (self, 100.0 * step->target_sparsity);
  update_metric_labels (self);
  refresh_grid (self);
  update_history (self);
  if (is_table (self))
    update_sample_labels (self);
  gtk_label_set_label (self->status_label, "");
  g_autofree char *msg = g_strdup_printf (_("Step %u applied (%s): %.1f %% sparsity, %.2f %% accuracy"),
                                          index, schedule, 100.0 * step->achieved_sparsity,
                                          100.0 * step->evaluation->accuracy);
  toast (self, msg);
  start_job (self, JOB_EXPLAIN);
}

/* The steps of an opened session are recomputed: record them and go to its current step. */
static void
apply_restore (PlWindow *self, Job *job)
{
  g_autoptr (PlRecipe) recipe = g_steal_pointer (&self->pending_recipe);
  /* The history takes the steps over. */
  g_ptr_array_set_free_func (job->restored, NULL);
  for (guint i = 0; i < job->restored->len; i++)
    {
      PlPruneStep *step = g_ptr_array_index (job->restored, i);
      const PlPruneConfig *config = g_ptr_array_index (job->restore_configs, i);
      const PlPruneSchedule *schedule = i < job->restore_schedules->len
                                          ? g_ptr_array_index (job->restore_schedules, i) : NULL;
      guint index = pl_prune_history_push (self->history, config, step->target_sparsity,
                                           step->pruned);
      if (schedule != NULL)
        {
          g_autofree char *desc = schedule_description (schedule, job->train_split);
          pl_prune_history_set_info (self->history, index, config->seed, desc);
        }
      remember_schedule (self, step->pruned, schedule);
      pl_prune_history_set_metrics (self->history, index, step,
                                    (GDestroyNotify) pl_prune_step_free);
    }
  g_ptr_array_set_size (job->restored, 0);
  gint current = recipe ? recipe->current_step : -1;
  guint n = pl_prune_history_n_steps (self->history);
  pl_prune_history_go_to (self->history, current < 0 ? 0 : MIN ((guint) current + 1, n - 1));
  history_moved (self);
  g_autofree char *msg = g_strdup_printf (ngettext ("Session restored: %u pruning step",
                                                    "Session restored: %u pruning steps",
                                                    n - 1),
                                          n - 1);
  toast (self, msg);
}

static void job_done_apply (PlWindow *self, PlJob *pj, Job *job, const GError *error);

/* A load or session failed or was cancelled: the paths go back to what the window shows
 * (with no model loaded yet they stay, so that the error names them). */
static void
restore_loaded_paths (PlWindow *self)
{
  if (self->original == NULL)
    return;
  g_free (self->model_path);
  self->model_path = g_strdup (self->loaded_model_path);
  g_free (self->dataset_dir);
  self->dataset_dir = g_strdup (self->loaded_dataset_dir);
  g_free (self->label_column);
  self->label_column = g_strdup (self->loaded_label_column);
}
static void export_prepare (PlWindow *self, Job *job);
static void export_done (PlWindow *self, Job *job);
static void start_deferred_jobs (PlWindow *self);


/* CPU time of the calling thread in ms: unlike the wall clock, not inflated when other
 * processes take the cores. */
static double
thread_cpu_ms (void)
{
  struct timespec ts;
  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return 0.0;
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
job_done (PlJob *pj, const GError *error, gpointer user_data)
{
  PlWindow *self = PL_WINDOW (user_data);
  Job *job = pl_job_get_data (pj);
  JobKind kind = job->kind;
  self->jobs_applied++;
  if (!pl_job_ran_off_main (pj))
    self->jobs_on_main++;
  double cpu0 = thread_cpu_ms ();
  TRACE_BEGIN;
  job_done_apply (self, pj, job, error);
  double cpu = thread_cpu_ms () - cpu0;
  if (cpu > self->max_apply_cpu_ms)
    {
      self->max_apply_cpu_ms = cpu;
      self->max_apply_kind = kind;
    }
  static const char *const names[] = { "load", "prune", "explain", "compare", "sweep",
                                       "restore", "schedule", "export" };
  g_autofree char *what = g_strdup_printf ("applying a %s job", names[job->kind]);
  TRACE_END (what);
}

static void
job_done_apply (PlWindow *self, PlJob *pj, Job *job, const GError *error)
{
  gboolean ok = error == NULL;

  /* A newer job of the same kind replaced this one (abandoned jobs never get here). */
  if (self->jobs[job->kind] != pj)
    return;
  /* the window's reference, held until the result is applied */
  g_autoptr (PlJob) hold = g_steal_pointer (&self->jobs[job->kind]);
  if (job->kind == JOB_EXPORT)
    start_deferred_jobs (self);

  if (!ok)
    {
      if (job->kind == JOB_LOAD || job->kind == JOB_RESTORE)
        g_clear_pointer (&self->pending_recipe, pl_recipe_free);
      if (job->kind == JOB_LOAD)
        restore_loaded_paths (self);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          gtk_label_set_label (self->status_label, _("Cancelled"));
          if (job->kind == JOB_PRUNE)
            set_slider (self, 100.0 * (shown_step (self) ? shown_step (self)->target_sparsity : 0.0));
        }
      else
        {
          const char *heading = job->kind == JOB_LOAD && job->recipe != NULL
                                  ? _("Could not open the session")
                              : job->kind == JOB_LOAD ? _("Could not open the model or dataset")
                              : job->kind == JOB_PRUNE ? _("Pruning failed")
                              : job->kind == JOB_COMPARE ? _("Comparing failed")
                              : job->kind == JOB_SWEEP ? _("The sweep failed")
                              : job->kind == JOB_RESTORE ? _("Could not restore the session")
                              : job->kind == JOB_SCHEDULE ? _("The pruning schedule failed")
                              : job->kind == JOB_EXPORT ? _("Export failed")
                                                         : _("Explaining failed");
          show_error (self, heading, error);
          g_autofree char *capped = pl_cap_message (error->message, PL_MESSAGE_MAX_CHARS, TRUE);
          gtk_label_set_label (self->status_label, capped);
          if (job->kind == JOB_LOAD && self->original == NULL)
            {
              g_autofree char *text = g_strdup_printf (
                  _("%s\nOpen another model (Ctrl+O) or dataset folder from the main menu."),
                  heading);
              for (gint k = 0; k < PL_FIGURE_N_KINDS; k++)
                pl_figure_view_set_placeholder (figure_view (self, k), text);
            }
        }
      update_busy (self);
      return;
    }

  switch (job->kind)
    {
    case JOB_LOAD:
      apply_load (self, job);
      break;
    case JOB_RESTORE:
      apply_restore (self, job);
      break;
    case JOB_SCHEDULE:
      apply_schedule (self, job);
      break;
    case JOB_PRUNE:
      g_clear_pointer (&self->preview, pl_prune_step_free);
      g_clear_pointer (&self->preview_config, pl_prune_config_free);
      self->preview = g_steal_pointer (&job->step);
      self->preview_config = g_steal_pointer (&job->prune_config);
      update_metric_labels (self);
      update_history (self);
      refresh_grid (self);
      update_sample_labels (self);
      if (is_table (self))
        gtk_label_set_label (self->status_label, "");
      start_job (self, JOB_EXPLAIN);
      break;
    case JOB_SWEEP:
      g_clear_pointer (&self->sweep, pl_sweep_free);
      self->sweep = g_steal_pointer (&job->sweep);
      self->sweep_figure = pl_sweep_line_figure_new (self->sweep, TRUE);
      self->film_figure = pl_sweep_filmstrip_new (self->sweep, TRUE);
      if (self->film_figure->figure.scale.colormap != PL_COLORMAP_DIVERGING)
        self->film_figure->figure.scale.colormap = pl_render_get_sequential_colormap ();
      pl_canvas_set_content (self->sweep_area, draw_sweep, self->sweep_figure,
                             (GDestroyNotify) pl_sweep_line_figure_free);
      pl_canvas_set_content (self->film_area, draw_film, self->film_figure,
                             (GDestroyNotify) pl_sweep_filmstrip_free);
      if (self->cost_area != NULL)
        pl_canvas_set_content (PL_CANVAS (self->cost_area), draw_cost,
                               cost_new (self->sweep, self->sweep_figure->figure.x_scale),
                               (GDestroyNotify) cost_free);
      gtk_label_set_label (self->status_label, "");
      break;
    case JOB_COMPARE:
      g_clear_pointer (&self->report, pl_compare_report_free);
      self->report = g_steal_pointer (&job->report);
      show_report (self);
      gtk_label_set_label (self->status_label, "");
      break;
    case JOB_EXPORT:
      export_done (self, job);
      break;
    case JOB_EXPLAIN:
    default:
      self->comparison = explain_cache_insert (self, job->original, job->pruned, job->index,
                                               &job->options,
                                               g_steal_pointer (&job->comparison));
      show_comparison (self);
      break;
    }
  update_busy (self);
}

/* Shows self->comparison (new or from the cache) in the views. */
static void
show_comparison (PlWindow *self)
{
  rebuild_figures (self);
  update_sample_labels (self);
  refresh_lime_shap (self);
  gtk_label_set_label (self->status_label, "");
  /* Opened on the Metrics view: compare once there is something to compare. */
  if (self->report == NULL && self->jobs[JOB_COMPARE] == NULL &&
      g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "metrics") == 0)
    start_job (self, JOB_COMPARE);
  if (self->sweep == NULL && self->jobs[JOB_SWEEP] == NULL &&
      g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "sweep") == 0)
    start_job (self, JOB_SWEEP);
}

static void
cancel_job (PlWindow *self, JobKind kind)
{
  /* the worker stops on its own; its result is dropped */
  if (self->jobs[kind] != NULL)
    pl_job_abandon (self->jobs[kind]);
  g_clear_pointer (&self->jobs[kind], pl_job_unref);
}

static void
start_job (PlWindow *self, JobKind kind)
{
  if (kind != JOB_EXPORT && self->jobs[JOB_EXPORT] != NULL)
    {
      /* An export reads the comparison, report and sweep these jobs replace. */
      self->deferred_jobs |= 1u << kind;
      return;
    }
  if (kind != JOB_LOAD && self->original == NULL)
    return;
  if (kind == JOB_EXPLAIN && self->jobs[JOB_PRUNE] != NULL)
    return;   /* the prune job starts an explanation when it is done */
  cancel_job (self, kind);
  if (kind == JOB_LOAD || kind == JOB_PRUNE)
    {
      cancel_job (self, JOB_EXPLAIN);
      cancel_job (self, JOB_COMPARE);
    }
  if (kind == JOB_LOAD)
    {
      cancel_job (self, JOB_PRUNE);
      cancel_job (self, JOB_RESTORE);
      cancel_job (self, JOB_SCHEDULE);
    }

  Job *job = g_new0 (Job, 1);
  job->kind = kind;
  job->n_eval = setting_int (self, "eval-samples", 2000);
  switch (kind)
    {
    case JOB_LOAD:
      job->model_path = g_strdup (self->model_path);
      job->dataset_dir = g_strdup (self->dataset_dir);
      job->label_column = g_strdup (self->label_column);
      if (self->pending_recipe != NULL)
        {
          job->restore_configs = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_prune_config_free);
          job->restore_sparsities = g_array_new (FALSE, FALSE, sizeof (double));
          job->restore_schedules = g_ptr_array_new_with_free_func (
              (GDestroyNotify) pl_prune_schedule_free);
          for (guint i = 0; i < self->pending_recipe->steps->len; i++)
            g_ptr_array_add (job->restore_schedules,
                             recipe_step_schedule (self, g_ptr_array_index (self->pending_recipe->steps, i)));
          job->finetune_samples = setting_int (self, "finetune-samples", 10000);
          job->train_split = pl_dataset_io_classify (self->dataset_dir) == PL_PATH_DATASET &&
                             g_file_test (self->dataset_dir, G_FILE_TEST_IS_DIR) &&
                             dataset_has_train_split (self->dataset_dir);
          /* the worker checks the session and recomputes its steps; apply_load gives it
           * back to the window once everything worked */
          job->recipe = g_steal_pointer (&self->pending_recipe);
        }
      break;
    case JOB_PRUNE:
      job->model_path = g_strdup (self->model_path);
      job->original = pl_graph_ref (self->original);
      job->dataset = pl_dataset_ref (self->dataset);
      job->sparsity = gtk_adjustment_get_value (self->sparsity_adjustment) / 100.0;
      job->prune_config = prune_config (self, job->n_eval);
      break;
    case JOB_SWEEP:
      job->model_path = g_strdup (self->model_path);
      job->original = pl_graph_ref (self->original);
      job->dataset = pl_dataset_ref (self->dataset);
      job->index = self->selected;
      {
        /* Global magnitude pruning (as `prunelens-cli sweep`), protecting the layers the
         * pruning panel protects, so that its 90 % point is the slider's at 90 %. */
        job->prune_config = pl_prune_config_new ();
        g_auto (GStrv) names = pl_protect_popover_get_protected (GTK_POPOVER (self->protect_popover));
        pl_prune_config_set_protected (job->prune_config, (const char *const *) names);
      }
      break;
    case JOB_SCHEDULE:
      job->model_path = g_strdup (self->model_path);
      job->dataset_dir = g_strdup (self->dataset_dir);
      job->original = pl_graph_ref (self->original);
      job->dataset = pl_dataset_ref (self->dataset);
      job->sparsity = gtk_adjustment_get_value (self->sparsity_adjustment) / 100.0;
      job->prune_config = prune_config (self, job->n_eval);
      job->schedule = panel_schedule (self);
      job->finetune_samples = setting_int (self, "finetune-samples", 10000);
      job->train_split = !is_table (self) &&
                         pl_dataset_io_classify (self->dataset_dir) == PL_PATH_DATASET &&
                         g_file_test (self->dataset_dir, G_FILE_TEST_IS_DIR) &&
                         dataset_has_train_split (self->dataset_dir);
      break;
    case JOB_RESTORE:
      job->model_path = g_strdup (self->model_path);
      job->original = pl_graph_ref (self->original);
      job->dataset = pl_dataset_ref (self->dataset);
      job->restore_configs = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_prune_config_free);
      job->restore_sparsities = g_array_new (FALSE, FALSE, sizeof (double));
      job->restore_schedules = g_ptr_array_new_with_free_func (
          (GDestroyNotify) pl_prune_schedule_free);
      job->dataset_dir = g_strdup (self->dataset_dir);
      job->finetune_samples = setting_int (self, "finetune-samples", 10000);
      job->train_split = !is_table (self) &&
                         pl_dataset_io_classify (self->dataset_dir) == PL_PATH_DATASET &&
                         g_file_test (self->dataset_dir, G_FILE_TEST_IS_DIR) &&
                         dataset_has_train_split (self->dataset_dir);
      for (guint i = 0; self->pending_recipe && i < self->pending_recipe->steps->len; i++)
        {
          const PlRecipeStep *rs = g_ptr_array_index (self->pending_recipe->steps, i);
          g_ptr_array_add (job->restore_schedules, recipe_step_schedule (self, rs));
          PlPruneConfig *c = pl_prune_config_copy (rs->config);
          /* Taylor scores on images past the evaluation subset, as the panel does. */
          if (c->criterion == PL_PRUNE_CRITERION_TAYLOR)
            pl_prune_config_set_calibration (c, self->dataset,
                                             MIN (job->n_eval, MAX (self->dataset->n - 64, 0)),
                                             c->calibration_samples > 0 ? c->calibration_samples : 64);
          g_ptr_array_add (job->restore_configs, c);
          g_array_append_val (job->restore_sparsities, rs->sparsity);
        }
      break;
    case JOB_COMPARE:
      job->model_path = g_strdup (self->model_path);
      job->original = pl_graph_ref (reference_graph (self));
      job->pruned = pl_graph_ref (shown_graph (self));
      job->dataset = pl_dataset_ref (self->dataset);
      job->n_eval = (gint64) gtk_adjustment_get_value (self->compare_adjustment);
      break;
    case JOB_EXPORT:
      export_prepare (self, job);
      break;
    case JOB_EXPLAIN:
    default:
      job->model_path = g_strdup (self->model_path);
      job->original = pl_graph_ref (reference_graph (self));
      job->pruned = pl_graph_ref (shown_graph (self));
      job->dataset = pl_dataset_ref (self->dataset);
      job->index = self->selected;
      comparison_options (self, &job->options);
      {
        PlComparison *hit = explain_cache_lookup (self, job->original, job->pruned, job->index,
                                                  &job->options);
        if (hit != NULL)
          {
            job_free (job);
            self->comparison = hit;
            show_comparison (self);
            update_busy (self);
            return;
          }
      }
      break;
    }

  self->jobs[kind] = pl_job_new (job_run, job, (GDestroyNotify) job_free);
  pl_job_start (self->jobs[kind], job_done, self);
  update_busy (self);
}

/* ------------------------------------------------------------ interaction ---- */

static gboolean
on_debounce (gpointer user_data)
{
  PlWindow *self = user_data;
  self->debounce_id = 0;
  start_job (self, JOB_PRUNE);
  return G_SOURCE_REMOVE;
}

static void
on_sparsity_changed (GtkAdjustment *adjustment, PlWindow *self)
{
  double v = gtk_adjustment_get_value (adjustment);
  g_autofree char *text = g_strdup_printf ("%.0f %%", v);
  gtk_label_set_label (self->sparsity_value_label, text);
  if (self->setting_slider)
    return;
  if (self->original == NULL)
    {
      self->pending_sparsity = v / 100.0;
      return;
    }
  /* Wait until the slider rests (released or a key press done) before pruning. */
  g_clear_handle_id (&self->debounce_id, g_source_remove);
  self->debounce_id = g_timeout_add (250, on_debounce, self);
  update_history_actions (self);
}

/* ------------------------------------------------------ sample filters ---- *
 * The grid shows the sample model through the filter bar's filter (pl-sample-filter.h):
 * grid positions are sample indices only while no filter is set. */

/* The dataset index of grid position pos (−1 if none). */
static gint64
index_at_position (PlWindow *self, guint pos)
{
  g_autoptr (GObject) item = g_list_model_get_item (G_LIST_MODEL (self->filtered), pos);
  return item != NULL ? pl_sample_filter_item_index (item) : -1;
}

/* The grid position of sample index, or of the first shown sample after it (the number of
 * shown samples when none); the list is in index order. */
static guint
position_of_index (PlWindow *self, gint64 index)
{
  guint lo = 0, hi = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  if (!pl_sample_filter_is_active (pl_sample_filter_bar_get_filter (self->filter_bar)))
    return (guint) CLAMP (index, 0, (gint64) hi);
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      if (index_at_position (self, mid) < index)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* The filter's predictions: the original's (as the thumbnails) and the shown step's. */
static gboolean
sample_predictions (gint64 i, gint *original, gint *pruned, gpointer user_data)
{
  PlWindow *self = user_data;
  if (self->eval_original == NULL || i < 0 || i >= self->eval_original->n)
    return FALSE;
  const PlPruneStep *s = shown_step (self);
  if (s != NULL && (s->evaluation == NULL || i >= s->evaluation->n))
    return FALSE;
  *original = self->eval_original->predictions[i];
  *pruned = s != NULL ? s->evaluation->predictions[i] : *original;
  return TRUE;
}

/* The LIME / SHAP tab explains the selected sample with the compared and the shown
 * network once it is visible (its job runs LIME and KernelSHAP for both). */
static void
refresh_lime_shap (PlWindow *self)
{
  if (!view_visible (self, "shap"))
    {
      self->lime_shap_dirty = TRUE;
      return;
    }
  self->lime_shap_dirty = FALSE;
  if (self->original == NULL || self->dataset == NULL || self->selected < 0 ||
      self->selected >= self->dataset->n)
    return;
  gint64 i = self->selected;
  g_autoptr (PlTensor) input = pl_dataset_batch (self->dataset, &i, 1, NULL);
  if (input == NULL)
    return;
  g_autofree char *model_name = g_path_get_basename (self->model_path);
  g_autofree char *sample = is_table (self) ? g_strdup_printf (_("row #%d"), (int) i)
                                            : g_strdup_printf (_("test image #%d"), (int) i);
  /* the sparsity as the other figures give it: the target and what was achieved */
  PlFigureContext fc = { .sparsity = current_sparsity (self),
                         .target_sparsity = current_target_sparsity (self) };
  const char *pruning = shown_step (self) ? shown_step (self)->description : NULL;
  g_autofree char *context =
      pruning != NULL ? g_strdup_printf ("%s · %s · %s · %s · %s", model_name,
                                         dataset_display_name (self->dataset), sample, pruning,
                                         pl_figure_context_sparsity_text (&fc))
                      : g_strdup_printf ("%s · %s · %s · %s", model_name,
                                         dataset_display_name (self->dataset), sample,
                                         pl_figure_context_sparsity_text (&fc));
  pl_lime_shap_view_set_input (self->lime_shap_view, reference_graph (self), shown_graph (self),
                               input, -1, self->dataset, context);
}

/* The grid holds every sample: select the window's sample in it. */
static void
on_samples_complete (PlWindow *self)
{
  if (self->dataset == NULL || self->selected < 0)
    return;
  guint position = position_of_index (self, self->selected);
  if (gtk_single_selection_get_selected (self->selection) != position)
    {
      gtk_single_selection_set_selected (self->selection, position);
      schedule_scroll (self);
    }
}

static void
on_selection_changed (GtkSingleSelection *selection, GParamSpec *pspec, PlWindow *self)
{
  /* While the grid fills, positions move under the selection: the window's choice stands
   * (on_samples_complete selects it). */
  if (!pl_index_model_is_complete (self->sample_model))
    return;
  guint pos = gtk_single_selection_get_selected (selection);
  if (pos != GTK_INVALID_LIST_POSITION && index_at_position (self, pos) >= 0)
    pl_window_select_sample (self, index_at_position (self, pos));
}

static void
update_method_info (PlWindow *self)
{
  g_autofree char *markup =
      pl_info_method_markup ((PlMapMethod) gtk_drop_down_get_selected (self->method_dropdown));
  gtk_label_set_markup (self->method_info_label, markup);
}

static void
on_method_changed (GtkDropDown *dropdown, GParamSpec *pspec, PlWindow *self)
{
  update_method_info (self);
  if (self->settings != NULL)
    g_settings_set_string (self->settings, "attribution-method",
                           pl_map_method_id ((PlMapMethod) gtk_drop_down_get_selected (dropdown)));
  start_job (self, JOB_EXPLAIN);
}

static void
on_index_changed (GtkAdjustment *adjustment, PlWindow *self)
{
  pl_window_select_sample (self, (gint64) gtk_adjustment_get_value (adjustment));
}

/* Columns of the sample grid as laid out (items sharing the first item's row). */
static guint
grid_columns (PlWindow *self)
{
  GtkWidget *grid = GTK_WIDGET (self->sample_grid);
  if (is_table (self))
    return 1;
  graphene_rect_t first = GRAPHENE_RECT_INIT (0, 0, 0, 0), r;
  gboolean have_first = FALSE;
  guint n = 0;
  for (GtkWidget *c = gtk_widget_get_first_child (grid); c; c = gtk_widget_get_next_sibling (c))
    {
      if (GTK_IS_NATIVE (c) || !gtk_widget_get_visible (c) ||
          !gtk_widget_compute_bounds (c, grid, &r) ||
          r.size.width < 1)
        continue;
      if (!have_first)
        {
          first = r;
          have_first = TRUE;
        }
      if (G_APPROX_VALUE (r.origin.y, first.origin.y, 1.0f))
        n++;
    }
  return CLAMP (n, 1, 8);
}

/* Shows the selected sample: the Saliency view unless a figure view is shown. */
static void
on_sample_activate (GtkGridView *grid, guint position, PlWindow *self)
{
  if (index_at_position (self, position) >= 0)
    pl_window_select_sample (self, index_at_position (self, position));
  const char *view = adw_view_stack_get_visible_child_name (self->view_stack);
  if (g_strcmp0 (view, "saliency") != 0 && g_strcmp0 (view, "features") != 0 &&
      g_strcmp0 (view, "shap") != 0)
    adw_view_stack_set_visible_child_name (self->view_stack, "saliency");
}

static gboolean
on_sample_key (GtkEventControllerKey *controller, guint keyval, guint keycode,
               GdkModifierType state, PlWindow *self)
{
  if (self->dataset == NULL || (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SHIFT_MASK)))
    return FALSE;
  /* in grid positions (with a filter set, not the sample indices) */
  gint64 n = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  gint64 i = position_of_index (self, MAX (self->selected, 0)), cols = grid_columns (self);
  if (n == 0)
    return FALSE;
  gint64 page = cols * 5;
  switch (keyval)
    {
    case GDK_KEY_Left: case GDK_KEY_KP_Left: i -= 1; break;
    case GDK_KEY_Right: case GDK_KEY_KP_Right: i += 1; break;
    case GDK_KEY_Up: case GDK_KEY_KP_Up: i -= cols; break;
    case GDK_KEY_Down: case GDK_KEY_KP_Down: i += cols; break;
    case GDK_KEY_Page_Up: case GDK_KEY_KP_Page_Up: i -= page; break;
    case GDK_KEY_Page_Down: case GDK_KEY_KP_Page_Down: i += page; break;
    case GDK_KEY_Home: case GDK_KEY_KP_Home: i = 0; break;
    case GDK_KEY_End: case GDK_KEY_KP_End: i = n - 1; break;
    case GDK_KEY_Return: case GDK_KEY_KP_Enter: case GDK_KEY_ISO_Enter: case GDK_KEY_space:
      on_sample_activate (self->sample_grid, (guint) i, self);
      return TRUE;
    default:
      return FALSE;
    }
  i = CLAMP (i, 0, n - 1);
  if (index_at_position (self, (guint) i) != self->selected)
    {
      /* As a click: selects the item, moves the keyboard focus to it and scrolls. */
      gtk_widget_activate_action (GTK_WIDGET (self->sample_grid), "list.select-item", "(ubb)",
                                  (guint) i, FALSE, FALSE);
      pl_window_select_sample (self, index_at_position (self, (guint) i));
    }
  return TRUE;
}

static void
thumb_setup (GtkSignalListItemFactory *factory, GtkListItem *item, PlWindow *self)
{
  /* an image of 56 × 56 px over its class (9 characters), or a table row's line */
  GtkWidget *thumb = is_table (self) ? pl_thumbnail_new (0, 40) : pl_thumbnail_new (56, 9);
  gtk_widget_add_css_class (thumb, "sample-thumb");
  gtk_list_item_set_child (item, thumb);
}

static void
thumb_bind (GtkSignalListItemFactory *factory, GtkListItem *item, PlWindow *self)
{
  GtkWidget *thumb = gtk_list_item_get_child (item);
  GtkStringObject *obj = gtk_list_item_get_item (item);
  gint64 i = g_ascii_strtoll (gtk_string_object_get_string (obj), NULL, 10);
  if (self->dataset == NULL || i < 0 || i >= self->dataset->n)
    return;
  gint label_k = self->dataset->labels[i];
  if (is_table (self))
    {
      /* A row: index, label and the first features. */
      g_autofree char *values = pl_dataset_io_row_text (self->dataset, i, 4);
      g_autofree char *text = g_strdup_printf ("#%d  %s  ·  %s", (int) i,
                                               class_name (self, label_k), values);
      pl_thumbnail_set (PL_THUMBNAIL (thumb), NULL, text);
    }
  else
    {
      g_autoptr (GdkPaintable) image = sample_paintable (self->dataset, i, 2);
      pl_thumbnail_set (PL_THUMBNAIL (thumb), image, class_name (self, label_k));
    }

  g_object_set_data (G_OBJECT (thumb), "pl-index", GINT_TO_POINTER ((gint) i + 1));
  thumb_state (self, thumb, i);
}

static void
thumb_unbind (GtkSignalListItemFactory *factory, GtkListItem *item, PlWindow *self)
{
  GtkWidget *thumb = gtk_list_item_get_child (item);
  if (thumb != NULL)
    g_object_set_data (G_OBJECT (thumb), "pl-index", NULL);
}

/* The marks of thumbnail thumb (sample i): tooltip, accessible name, "wrong", "changed". */
static void
thumb_state (PlWindow *self, GtkWidget *thumb, gint64 i)
{
  if (self->dataset == NULL || i < 0 || i >= self->dataset->n)
    return;
  gint label_k = self->dataset->labels[i];
  gboolean wrong = FALSE, changed = FALSE;
  g_autofree char *tooltip = NULL;
  if (self->eval_original != NULL && i < self->eval_original->n)
    {
      gint p0 = self->eval_original->predictions[i];
      gint p1 = shown_step (self) ? shown_step (self)->evaluation->predictions[i] : p0;
      wrong = p0 != label_k;
      changed = p1 != p0;
      tooltip = g_strdup_printf (_("#%d: %s\noriginal predicts %s\npruned predicts %s"),
                                 (int) i, class_name (self, label_k), class_name (self, p0),
                                 class_name (self, p1));
    }
  else
    tooltip = g_strdup_printf ("#%" G_GINT64_FORMAT ": %s", i, class_name (self, label_k));
  if (g_strcmp0 (gtk_widget_get_tooltip_text (thumb), tooltip) != 0)
    {
      gtk_widget_set_tooltip_text (thumb, tooltip);
      /* The thumbnail's accessible name: the same text as the tooltip. */
      gtk_accessible_update_property (GTK_ACCESSIBLE (thumb), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      tooltip, -1);
    }
  pl_thumbnail_set_marks (PL_THUMBNAIL (thumb), wrong, changed);
}

/* ----------------------------------------------------------------- metrics ---- */

static const char *
metric_label (PlCompareMetric m)
{
  switch (m)
    {
    case PL_METRIC_SPEARMAN: return _("Spearman ρ (signed maps)");
    case PL_METRIC_SPEARMAN_ABS: return _("Spearman ρ of |φ|");
    case PL_METRIC_KENDALL: return _("Kendall τ-b");
    case PL_METRIC_PEARSON: return _("Pearson r");
    case PL_METRIC_COSINE: return _("Cosine similarity");
    /* xgettext:no-c-format */
    case PL_METRIC_TOPK: return _("Top-10 % overlap of |φ|");
    case PL_METRIC_SSIM: return _("SSIM (11 × 11 Gaussian window)");
    case PL_METRIC_BARS_SPEARMAN: return _("Patch bars: Spearman ρ");
    case PL_METRIC_BARS_KENDALL: return _("Patch bars: Kendall τ-b");
    /* xgettext:no-c-format */
    case PL_METRIC_BARS_TOPK: return _("Patch bars: top-10 % overlap");
    case PL_METRIC_DELETION_ORIG: return _("Deletion AUC, original (lower is more faithful)");
    case PL_METRIC_DELETION_PRUNED: return _("Deletion AUC, pruned");
    case PL_METRIC_INSERTION_ORIG: return _("Insertion AUC, original (higher is more faithful)");
    case PL_METRIC_INSERTION_PRUNED: return _("Insertion AUC, pruned");
    case PL_METRIC_ENTROPY_ORIG: return _("Entropy of |φ|, original (nats)");
    case PL_METRIC_ENTROPY_PRUNED: return _("Entropy of |φ|, pruned (nats)");
    case PL_METRIC_GINI_ORIG: return _("Gini of |φ|, original");
    case PL_METRIC_GINI_PRUNED: return _("Gini of |φ|, pruned");
    case PL_N_METRICS:
    default: return "?";
    }
}

static GtkWidget *
cell (const char *text, gboolean dim, float xalign)
{
  GtkWidget *label = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (label), xalign);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, dim ? "dim-label" : "numeric");
  return label;
}

static char *
fmt (double v)
{
  return isnan (v) ? g_strdup ("—") : g_strdup_printf ("%.3f", v);
}

static void
on_changed_sample_clicked (GtkButton *button, PlWindow *self)
{
  gint64 index = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (button), "index"));
  pl_window_select_sample (self, index);
  adw_view_stack_set_visible_child_name (self->view_stack, "saliency");
}

static void
show_report (PlWindow *self)
{
  if (self->metrics_content != NULL)
    gtk_box_remove (self->metrics_box, self->metrics_content);
  self->metrics_content = NULL;
  const PlCompareReport *r = self->report;
  if (r == NULL)
    return;

  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  g_autofree char *head = g_strdup_printf (
      _("%d test images of %s, original (sparsity %.1f %%) vs pruned (sparsity %.1f %%), "
        "saliency of the class the original predicts; means with %.0f %% bootstrap intervals "
        "(%d resamples, seed %d)."),
      (int) r->n, r->dataset_name, 100.0 * r->sparsity_original, 100.0 * r->sparsity_pruned,
      100.0 * r->options.confidence, r->options.n_bootstrap, (int) r->options.seed + 1);
  GtkWidget *head_label = gtk_label_new (head);
  gtk_label_set_wrap (GTK_LABEL (head_label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (head_label), 0);
  gtk_box_append (GTK_BOX (box), head_label);
  gtk_box_append (GTK_BOX (box), cell (_("Changed most (lowest ρ of |φ|), click to show:"), TRUE, 0.0f));
  GtkWidget *row = gtk_flow_box_new ();
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (row), GTK_SELECTION_NONE);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (row), 10);
  for (gint64 i = 0; i < MIN (r->n, 10); i++)
    {
      const PlCompareInput *in = &r->inputs[r->ranked[i]];
      g_autofree char *text = g_strdup_printf ("#%d", (int) in->index);
      GtkWidget *b = gtk_button_new_with_label (text);
      gtk_widget_add_css_class (b, "flat");
      g_autofree char *rho = fmt (in->metrics[PL_METRIC_SPEARMAN_ABS]);
      g_autofree char *tip = g_strdup_printf (_("ρ of |φ| = %s; show this image"), rho);
      gtk_widget_set_tooltip_text (b, tip);
      g_object_set_data (G_OBJECT (b), "index", GSIZE_TO_POINTER ((gsize) in->index));
      g_signal_connect (b, "clicked", G_CALLBACK (on_changed_sample_clicked), self);
      gtk_flow_box_append (GTK_FLOW_BOX (row), b);
    }
  gtk_box_append (GTK_BOX (box), row);

  GtkWidget *grid = gtk_grid_new ();
  gtk_grid_set_column_spacing (GTK_GRID (grid), 24);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 2);
  const char *titles[] = { N_("Metric"), N_("Mean"),
                           /* xgettext:no-c-format */
                           N_("95 % CI"),
                           N_("Median"), N_("n") };
  for (guint c = 0; c < G_N_ELEMENTS (titles); c++)
    {
      GtkWidget *t = cell (_(titles[c]), FALSE, c == 0 ? 0.0f : 1.0f);
      gtk_widget_add_css_class (t, "heading");
      gtk_grid_attach (GTK_GRID (grid), t, (int) c, 0, 1, 1);
    }
  for (gint m = 0; m < PL_N_METRICS; m++)
    {
      const PlSummary *sm = &r->summary[m];
      g_autofree char *mean = fmt (sm->mean);
      g_autofree char *lo = fmt (sm->ci_low), *hi = fmt (sm->ci_high);
      g_autofree char *ci = g_strdup_printf ("[%s, %s]", lo, hi);
      g_autofree char *med = fmt (sm->median);
      g_autofree char *n = g_strdup_printf ("%d", (int) sm->n);
      gtk_grid_attach (GTK_GRID (grid), cell (metric_label (m), TRUE, 0.0f), 0, m + 1, 1, 1);
      GtkWidget *mean_cell = cell (mean, FALSE, 1.0f);
      if (isnan (sm->mean))
        {
          /* Undefined (shown as "—"): say why. */
          gboolean rank = m == PL_METRIC_SPEARMAN || m == PL_METRIC_SPEARMAN_ABS ||
                          m == PL_METRIC_KENDALL || m == PL_METRIC_BARS_SPEARMAN ||
                          m == PL_METRIC_BARS_KENDALL || m == PL_METRIC_PEARSON;
          gtk_widget_set_tooltip_text (
              mean_cell, rank ? _("Undefined on every image: a correlation needs two maps that "
                                  "are not constant, and at least one map was constant (for "
                                  "example all zero, as when pruning silenced the gradient)")
                              : _("Undefined on every image of the comparison"));
          gtk_accessible_update_property (GTK_ACCESSIBLE (mean_cell),
                                          GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                          gtk_widget_get_tooltip_text (mean_cell), -1);
        }
      gtk_grid_attach (GTK_GRID (grid), mean_cell, 1, m + 1, 1, 1);
      gtk_grid_attach (GTK_GRID (grid), cell (ci, FALSE, 1.0f), 2, m + 1, 1, 1);
      gtk_grid_attach (GTK_GRID (grid), cell (med, FALSE, 1.0f), 3, m + 1, 1, 1);
      gtk_grid_attach (GTK_GRID (grid), cell (n, FALSE, 1.0f), 4, m + 1, 1, 1);
      GtkWidget *info = pl_info_button_new (pl_info_topic_for_metric (m));
      gtk_widget_set_valign (info, GTK_ALIGN_CENTER);
      gtk_grid_attach (GTK_GRID (grid), info, 5, m + 1, 1, 1);
    }
  gtk_box_append (GTK_BOX (box), grid);

  g_autofree char *tests = g_strdup_printf (
      _("Faithfulness, pruned − original: deletion AUC %+.4f (paired t = %.2f, p = %.3g, "
        "Cohen's d_z = %.2f; Wilcoxon p = %.3g, r = %.2f); insertion AUC %+.4f (paired t = %.2f, "
        "p = %.3g, d_z = %.2f; Wilcoxon p = %.3g, r = %.2f)."),
      r->deletion_t.mean_diff, r->deletion_t.t, r->deletion_t.p_value, r->deletion_t.cohen_dz,
      r->deletion_wilcoxon.p_value, r->deletion_wilcoxon.rank_biserial,
      r->insertion_t.mean_diff, r->insertion_t.t, r->insertion_t.p_value, r->insertion_t.cohen_dz,
      r->insertion_wilcoxon.p_value, r->insertion_wilcoxon.rank_biserial);
  GtkWidget *tests_label = gtk_label_new (tests);
  gtk_label_set_wrap (GTK_LABEL (tests_label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (tests_label), 0);
  gtk_label_set_selectable (GTK_LABEL (tests_label), TRUE);
  gtk_box_append (GTK_BOX (box), tests_label);

  if (r->randomisation != NULL && r->randomisation->n_steps > 1)
    {
      gint last = r->randomisation->n_steps - 1;
      g_autofree char *sanity = g_strdup_printf (
          _("Sanity check (Adebayo et al. 2018): randomising the original network's layers from "
            "the output backwards drops the Spearman ρ of |φ| to the trained explanation from "
            "%.2f to %.2f after all %d layers; compare with the pruned network's %.2f."),
          r->randomisation->spearman_abs[0], r->randomisation->spearman_abs[last], last,
          r->summary[PL_METRIC_SPEARMAN_ABS].mean);
      GtkWidget *l = gtk_label_new (sanity);
      gtk_label_set_wrap (GTK_LABEL (l), TRUE);
      gtk_label_set_xalign (GTK_LABEL (l), 0);
      gtk_box_append (GTK_BOX (box), l);
    }



  gtk_widget_set_visible (self->metrics_placeholder, FALSE);
  gtk_box_append (self->metrics_box, box);
  self->metrics_content = box;
  refresh_metrics_figures (self);
}

static void
sweep (GtkWidget *widget, const char *action, GVariant *param)
{
  start_job (PL_WINDOW (widget), JOB_SWEEP);
}

static void
compare (GtkWidget *widget, const char *action, GVariant *param)
{
  start_job (PL_WINDOW (widget), JOB_COMPARE);
}

/* ---------------------------------------------------------------- actions ---- */

/* ------------------------------------------------------------- exports ---- *
 * Export All Figures, Export Pruned Model and Export Report (issue 9) run as JOB_EXPORT.
 * The job holds references to both graphs and the dataset and copies of both
 * evaluations; the comparison, the Metrics view's report and the sweep stay owned by the
 * window: while an export runs, start_job defers every other job (they alone replace
 * those), and the export starts only when no other job runs. */

typedef enum { EXPORT_ALL, EXPORT_ONNX, EXPORT_REPORT } ExportWhat;

static PlEvaluation *
evaluation_copy (const PlEvaluation *e)
{
  if (e == NULL)
    return NULL;
  PlEvaluation *c = g_new0 (PlEvaluation, 1);
  c->n = e->n;
  c->correct = e->correct;
  c->accuracy = e->accuracy;
  c->predictions = g_memdup2 (e->predictions, (gsize) MAX (e->n, 0) * sizeof (gint));
  return c;
}

/* The LIME / SHAP tab's figure if it explains what is selected now (the tab explains once
 * shown; until then, or while it computes, its figure may be of another sample), else NULL. */
static const PlLimeShapFigure *
current_lime_shap (PlWindow *self)
{
  if (self->lime_shap_dirty || pl_lime_shap_view_is_busy (self->lime_shap_view))
    return NULL;
  return pl_lime_shap_view_get_figure (self->lime_shap_view);
}

/* The report "prunelens-cli report" writes, from the window's session: facts, the history,
 * the figures of the selected sample, the sweep, and the metrics table. */
static PlReport *
export_build_report (PlWindow *self)
{
  PlReport *pdf = pl_report_new (_("PruneLens report"));
  /* An interactive report is dated when it is made (the CLI's recipe reports keep a fixed
   * date so that a rerun gives the same bytes). */
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  pl_report_set_date (pdf, now);
  g_autofree char *model_name = g_path_get_basename (self->model_path);
  g_autofree char *model_fact = g_strdup_printf ("%s (SHA-256 %s)", model_name,
                                                 self->model_sha256 ? self->model_sha256 : "—");
  pl_report_add_fact (pdf, _("Model"), model_fact);
  g_autofree char *ds_fact = g_strdup_printf (_("%s, %lld samples, %d classes; "
                                                "evaluation on the first %lld"),
                                              self->dataset->name, (long long) self->dataset->n,
                                              self->dataset->n_classes,
                                              (long long) self->eval_original->n);
  pl_report_add_fact (pdf, _("Dataset"), ds_fact);
  g_autofree char *ref = g_strdup_printf (_("step %u"), reference_index (self));
  pl_report_add_fact (pdf, _("Compared with"), ref);
  pl_report_add_step (pdf, 0, _("original"), 0, pl_graph_weight_sparsity (self->original),
                      self->eval_original->accuracy, self->eval_original->n);
  guint n_steps = self->history ? pl_prune_history_n_steps (self->history) : 1;
  for (guint i = 1; i < n_steps; i++)
    {
      const PlPruneStep *s = pl_prune_history_step (self->history, i)->metrics;
      if (s != NULL)
        pl_report_add_step (pdf, (gint) i, s->description, s->target_sparsity,
                            s->achieved_sparsity, s->evaluation->accuracy, s->evaluation->n);
    }
  if (self->preview != NULL)
    {
      g_autofree char *desc = g_strdup_printf (_("%s (preview, not applied)"),
                                               self->preview->description);
      pl_report_add_step (pdf, (gint) n_steps, desc, self->preview->target_sparsity,
                          self->preview->achieved_sparsity, self->preview->evaluation->accuracy,
                          self->preview->evaluation->n);
    }

  PlFigureContext ctx = {
    .model_name = model_name,
    .dataset_name = self->dataset->name,
    .sparsity = current_sparsity (self),
    .target_sparsity = current_target_sparsity (self),
    .pruning = shown_step (self) ? shown_step (self)->description : NULL,
    .class_names = (const char *const *) self->dataset->class_names,
    .n_classes = self->dataset->n_classes,
    .caption = self->export_options.captions,
  };
  for (gint k = 0; self->comparison != NULL && k < PL_FIGURE_N_KINDS; k++)
    {
      double wi = 6.5, hi = 3.6;
      if (is_table (self))
        {
          PlTableFigure *tf = pl_table_figure_new (k, self->comparison, &ctx);
          pl_table_figure_size (tf, &wi, &hi);
          pl_report_add_figure (pdf, pl_table_figure_draw, tf,
                                (GDestroyNotify) pl_table_figure_free, wi, hi,
                                pl_table_figure_description (tf));
        }
      else
        {
          PlComparisonFigure *cf = pl_comparison_figure_new (k, self->comparison, &ctx);
          pl_comparison_figure_size (cf, &wi, &hi);
          pl_report_add_figure (pdf, pl_comparison_figure_draw, cf,
                                (GDestroyNotify) pl_comparison_figure_free, wi, hi,
                                pl_comparison_figure_description (cf));
        }
    }
  /* The LIME / SHAP tab's figure when it explains what is selected now, at the size
   * `explain --figure lime-shap` draws it (1030 × 415 pt for two rows). */
  const PlLimeShapFigure *ls = current_lime_shap (self);
  if (ls != NULL)
    {
      PlLimeShapFigure *copy = pl_lime_shap_figure_copy (ls);
      pl_report_add_figure (pdf, (PlDrawFunc) pl_lime_shap_figure_draw, copy,
                            (GDestroyNotify) pl_lime_shap_figure_free, 1030.0 / 72.0,
                            (copy->n_methods == 2 ? 415.0 : 250.0) / 72.0, copy->caption);
    }
  /* As `prunelens-cli report` draws them: the confusion matrices of the network compared
   * with and of the one shown, and their prunable weights' histograms. */
    {
      const PlEvaluation *ev_ref = reference_evaluation (self);
      const PlEvaluation *ev_shown = shown_step (self) ? shown_step (self)->evaluation : NULL;
      g_autofree char *what_ref = g_strdup_printf (_("step %u"), reference_index (self));
      const char *what_shown = _("pruned");
      PlOwnedMatrixFigure *c0 = pl_report_confusion_figure_new (
          self->dataset, ev_ref, reference_index (self) == 0 ? _("original") : what_ref);
      if (c0 != NULL)
        pl_report_add_figure (pdf, (PlDrawFunc) pl_matrix_figure_draw, &c0->figure,
                              (GDestroyNotify) pl_owned_matrix_figure_free,
                              PL_REPORT_CONFUSION_WIDTH_IN, PL_REPORT_CONFUSION_HEIGHT_IN, NULL);
      PlOwnedMatrixFigure *c1 = ev_shown != NULL
          ? pl_report_confusion_figure_new (self->dataset, ev_shown, what_shown) : NULL;
      if (c1 != NULL)
        pl_report_add_figure (pdf, (PlDrawFunc) pl_matrix_figure_draw, &c1->figure,
                              (GDestroyNotify) pl_owned_matrix_figure_free,
                              PL_REPORT_CONFUSION_WIDTH_IN, PL_REPORT_CONFUSION_HEIGHT_IN, NULL);
      PlOwnedHistogramFigure *hf = pl_report_weight_histogram_figure_new (
          reference_graph (self), shown_graph (self), what_shown);
      if (hf != NULL)
        pl_report_add_figure (pdf, (PlDrawFunc) pl_histogram_figure_draw, &hf->figure,
                              (GDestroyNotify) pl_owned_histogram_figure_free,
                              PL_REPORT_HISTOGRAM_WIDTH_IN, PL_REPORT_HISTOGRAM_HEIGHT_IN, NULL);
    }
  if (self->sweep != NULL)
    {
      PlSweepLineFigure *lf = pl_sweep_line_figure_new (self->sweep, TRUE);
      pl_report_add_figure (pdf, (PlDrawFunc) pl_line_figure_draw, &lf->figure,
                            (GDestroyNotify) pl_sweep_line_figure_free, 6.5, 3.6, NULL);
      PlSweepFilmstrip *fs = pl_sweep_filmstrip_new (self->sweep, TRUE);
      if (fs->figure.scale.colormap != PL_COLORMAP_DIVERGING)
        fs->figure.scale.colormap = pl_render_get_sequential_colormap ();
      pl_report_add_figure (pdf, (PlDrawFunc) pl_filmstrip_figure_draw, &fs->figure,
                            (GDestroyNotify) pl_sweep_filmstrip_free, 6.5, 1.9, NULL);
    }

  static const char *const header[] = { "Metric", "Value", "95 % CI", "n", NULL };
  pl_report_set_metrics_header (pdf, header);
  const PlEvaluation *e0 = reference_evaluation (self);
  const PlEvaluation *e1 = shown_step (self) ? shown_step (self)->evaluation : self->eval_original;
  g_autofree char *a0 = fmt (e0->accuracy), *a1 = fmt (e1->accuracy);
  g_autofree char *n0 = g_strdup_printf ("%lld", (long long) e0->n);
  g_autofree char *n1 = g_strdup_printf ("%lld", (long long) e1->n);
  g_autofree char *sp = fmt (current_sparsity (self));
  const char *row0[] = { _("Accuracy, original"), a0, "", n0, NULL };
  const char *row1[] = { _("Accuracy, pruned"), a1, "", n1, NULL };
  const char *row2[] = { _("Sparsity, pruned"), sp, "", "", NULL };
  pl_report_add_metrics_row (pdf, row0);
  pl_report_add_metrics_row (pdf, row1);
  pl_report_add_metrics_row (pdf, row2);
  for (gint m = 0; self->report != NULL && m < PL_N_METRICS; m++)
    {
      const PlSummary *sm = &self->report->summary[m];
      g_autofree char *mean = fmt (sm->mean);
      g_autofree char *lo = fmt (sm->ci_low), *hi = fmt (sm->ci_high);
      g_autofree char *ci = g_strdup_printf ("[%s, %s]", lo, hi);
      g_autofree char *n = g_strdup_printf ("%d", (int) sm->n);
      const char *row[] = { metric_label (m), mean, ci, n, NULL };
      pl_report_add_metrics_row (pdf, row);
    }
  return pdf;
}

/* start_job (JOB_EXPORT): what self->export_what and self->export_path ask for. */
static void
export_prepare (PlWindow *self, Job *job)
{
  job->export_what = self->export_what;
  job->export_path = g_strdup (self->export_path);
  job->export_format = g_strdup (self->export_format ? self->export_format : "png");
  job->original = pl_graph_ref (reference_graph (self));
  job->pruned = pl_graph_ref (shown_graph (self));
  job->dataset = pl_dataset_ref (self->dataset);
  job->export_options = self->export_options;
  if (job->export_what == EXPORT_ALL)
    {
      const PlPruneStep *s = shown_step (self);
      job->export_e0 = evaluation_copy (reference_evaluation (self));
      const PlLimeShapFigure *ls = current_lime_shap (self);
      job->export_lime_shap = ls != NULL ? pl_lime_shap_figure_copy (ls) : NULL;
      job->export_e1 = evaluation_copy (s ? s->evaluation : self->eval_original);
      job->export_model_name = g_path_get_basename (self->model_path);
      job->export_pruning = g_strdup (s ? s->description : NULL);
      job->export_context = (PlFigureContext) {
        .model_name = job->export_model_name,
        .dataset_name = job->dataset->name,
        .sparsity = current_sparsity (self),
        .target_sparsity = current_target_sparsity (self),
        .pruning = job->export_pruning,
        .class_names = (const char *const *) job->dataset->class_names,
        .n_classes = job->dataset->n_classes,
        .caption = self->export_options.captions,
      };
      job->export_input = (PlExportAllInput) {
        .comparison = self->comparison,
        .context = &job->export_context,
        .table = is_table (self),
        .dataset = job->dataset,
        .e0 = job->export_e0,
        .e1 = job->export_e1,
        .g0 = job->original,
        .g1 = job->pruned,
        .report = self->report,
        .sweep = self->sweep,
        .lime_shap = job->export_lime_shap,
      };
    }
  else if (job->export_what == EXPORT_REPORT)
    job->export_report = export_build_report (self);
}

/* In the job's thread. */
static gboolean
export_run (Job *job, GCancellable *cancellable, GError **error)
{
  switch ((ExportWhat) job->export_what)
    {
    case EXPORT_ALL:
      {
        job_progress (0.05, _("Exporting all figures"), job);
        gint n = pl_export_all_full (job->export_path, job->export_format, &job->export_input,
                                     &job->export_options, NULL, job->progress, error);
        if (n < 0)
          return FALSE;
        job->export_count = n;
        break;
      }
    case EXPORT_ONNX:
      job_progress (0.1, _("Saving the pruned model"), job);
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (!pl_onnx_save_file (job->pruned, job->export_path, error))
        return FALSE;
      job->export_count = 1;
      break;
    case EXPORT_REPORT:
    default:
      {
        job_progress (0.05, _("Writing the report"), job);
        /* Written beside the target, renamed over it unless cancelled meanwhile. */
        g_autofree char *part = g_strconcat (job->export_path, ".part", NULL);
        if (!pl_report_write_pdf (job->export_report, part, error))
          return FALSE;
        if (g_cancellable_is_cancelled (cancellable))
          {
            g_unlink (part);
            break;
          }
        if (g_rename (part, job->export_path) != 0)
          {
            int e = errno;
            g_unlink (part);
            g_set_error (error, PL_ERROR, PL_ERROR_IO, _("%s: cannot write the report: %s"),
                         job->export_path, g_strerror (e));
            return FALSE;
          }
        job->export_count = pl_report_n_pages (job->export_report);
        break;
      }
    }
  job_progress (1.0, NULL, job);
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

/* On the main loop, the export succeeded. */
static void
export_done (PlWindow *self, Job *job)
{
  g_autofree char *display = g_filename_display_basename (job->export_path);
  g_autofree char *msg = NULL;
  switch ((ExportWhat) job->export_what)
    {
    case EXPORT_ALL:
      msg = g_strdup_printf (ngettext ("%d file exported into “%s”",
                                   "%d files exported into “%s”", job->export_count),
                             job->export_count, display);
      break;
    case EXPORT_ONNX:
      msg = g_strdup_printf (_("Pruned model saved as “%s”"), display);
      break;
    case EXPORT_REPORT:
    default:
      msg = g_strdup_printf (ngettext ("Report saved as “%s” (%d page)",
                                   "Report saved as “%s” (%d pages)", job->export_count),
                             display, job->export_count);
      break;
    }
  self->export_count = job->export_count;
  gtk_label_set_label (self->status_label, "");
  toast (self, msg);
}

/* The jobs asked for while an export ran. */
static void
start_deferred_jobs (PlWindow *self)
{
  guint deferred = self->deferred_jobs;
  self->deferred_jobs = 0;
  for (gint k = 0; k < JOB_EXPORT; k++)
    if (deferred & (1u << k))
      start_job (self, k);
}

/* Starts an export of what into path (a folder for EXPORT_ALL); FALSE with a toast when a
 * job runs or there is nothing to export. */
static gboolean
export_start (PlWindow *self, ExportWhat what, const char *path)
{
  if (any_job (self) || self->debounce_id != 0)
    {
      toast (self, _("Wait until the running job has finished, then export"));
      return FALSE;
    }
  if (self->original == NULL || self->dataset == NULL || self->eval_original == NULL ||
      (what != EXPORT_ONNX && self->comparison == NULL))
    {
      toast (self, _("Nothing to export yet"));
      return FALSE;
    }
  self->export_what = what;
  g_free (self->export_path);
  self->export_path = g_strdup (path);
  start_job (self, JOB_EXPORT);
  return TRUE;
}

static void
on_export_folder_response (GtkNativeDialog *dialog, int response, PlWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      const char *format = gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (dialog), "format");
      g_free (self->export_format);
      self->export_format = g_strdup (format ? format : "png");
      if (path != NULL)
        export_start (self, EXPORT_ALL, path);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
export_all_action (GtkWidget *widget, const char *action, GVariant *param)
{
  PlWindow *self = PL_WINDOW (widget);
  if (self->comparison == NULL)
    {
      toast (self, _("Nothing to export yet"));
      return;
    }
  GtkFileChooserNative *d = gtk_file_chooser_native_new (_("Export All Figures"), GTK_WINDOW (self),
                                                         GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                                         _("_Export"), _("_Cancel"));
  const char *ids[] = { "png", "svg", "pdf", NULL };
  const char *labels[] = { _("PNG images"), _("SVG images"), _("PDF documents"), NULL };
  gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (d), "format", _("Format"), ids, labels);
  gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (d), "format",
                               self->export_format ? self->export_format : "png");
  g_signal_connect (d, "response", G_CALLBACK (on_export_folder_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (d));
}

static void
on_export_file_response (GtkNativeDialog *dialog, int response, PlWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      ExportWhat what = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "what"));
      const char *ext = what == EXPORT_ONNX ? ".onnx" : ".pdf";
      if (path != NULL && !g_str_has_suffix (path, ext))
        {
          char *with = g_strconcat (path, ext, NULL);
          g_free (path);
          path = with;
        }
      if (path != NULL)
        export_start (self, what, path);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
export_file_dialog (PlWindow *self, ExportWhat what)
{
  gboolean onnx = what == EXPORT_ONNX;
  if (self->original == NULL || (!onnx && self->comparison == NULL))
    {
      toast (self, _("Nothing to export yet"));
      return;
    }
  GtkFileChooserNative *d = gtk_file_chooser_native_new (
      onnx ? _("Export Pruned Model") : _("Export Report"), GTK_WINDOW (self),
      GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  g_autofree char *stem = g_path_get_basename (self->model_path);
  if (g_str_has_suffix (stem, ".onnx"))
    stem[strlen (stem) - 5] = '\0';
  g_autofree char *name = g_strdup_printf ("%s-pruned-%02.0f.%s", stem,
                                           100.0 * current_sparsity (self), onnx ? "onnx" : "pdf");
  if (!onnx)
    {
      g_free (name);
      name = g_strdup_printf ("%s-report-%02.0f.pdf", stem, 100.0 * current_sparsity (self));
    }
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (d), name);
  GtkFileFilter *filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, onnx ? _("ONNX model") : _("PDF document"));
  gtk_file_filter_add_pattern (filter, onnx ? "*.onnx" : "*.pdf");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (d), filter);
  g_object_unref (filter);
  g_object_set_data (G_OBJECT (d), "what", GINT_TO_POINTER (what));
  g_signal_connect (d, "response", G_CALLBACK (on_export_file_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (d));
}

static void
export_onnx_action (GtkWidget *widget, const char *action, GVariant *param)
{
  export_file_dialog (PL_WINDOW (widget), EXPORT_ONNX);
}

static void
export_report_action (GtkWidget *widget, const char *action, GVariant *param)
{
  export_file_dialog (PL_WINDOW (widget), EXPORT_REPORT);
}

static void
on_export_response (GtkNativeDialog *dialog, int response, PlWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      const char *name = adw_view_stack_get_visible_child_name (self->view_stack);
      if (g_strcmp0 (name, "sweep") == 0)
        {
          g_autoptr (GError) error = NULL;
          g_autofree char *stem = g_str_has_suffix (path, ".png") ? g_strndup (path, strlen (path) - 4)
                                                                   : g_strdup (path);
          g_autofree char *png = g_strconcat (stem, ".png", NULL);
          g_autofree char *film = g_strconcat (stem, "-filmstrip.png", NULL);
          g_autofree char *json = g_strconcat (stem, ".json", NULL);
          gboolean ok = pl_render_png ((PlDrawFunc) pl_line_figure_draw, &self->sweep_figure->figure,
                                       6.5, 3.6, self->export_options.dpi, png, _("Sparsity sweep"),
                                       self->sweep_figure->figure.caption, &error)
                        && pl_render_png ((PlDrawFunc) pl_filmstrip_figure_draw,
                                          &self->film_figure->figure, 6.5, 1.9, self->export_options.dpi, film,
                                          _("Filmstrip"), self->film_figure->figure.caption, &error)
                        && pl_sweep_save_json (self->sweep, json, &error);
          if (!ok)
            show_error (self, _("Could not export the sweep"), error);
          else
            {
              g_autofree char *display = g_filename_display_basename (png);
              g_autofree char *msg = g_strdup_printf (_("Sweep saved as “%s”, its filmstrip and JSON"), display);
              toast (self, msg);
            }
          gtk_native_dialog_destroy (dialog);
          g_object_unref (dialog);
          return;
        }
      if (g_strcmp0 (name, "metrics") == 0)
        {
          g_autoptr (GError) error = NULL;
          gboolean ok = g_str_has_suffix (path, ".csv")
                          ? pl_compare_report_save_csv (self->report, path, &error)
                          : pl_compare_report_save_json (self->report, path, &error);
          if (!ok)
            show_error (self, _("Could not export the comparison"), error);
          else
            {
              g_autofree char *display = g_filename_display_basename (path);
              g_autofree char *msg = g_strdup_printf (_("Comparison saved as “%s”"), display);
              toast (self, msg);
            }
          gtk_native_dialog_destroy (dialog);
          g_object_unref (dialog);
          return;
        }
      PlFigureKind kind = PL_FIGURE_SALIENCY;
      pl_figure_kind_from_name (name, &kind);
      const PlComparisonFigure *fig = pl_figure_view_get_figure (figure_view (self, kind));
      const PlTableFigure *table_fig = pl_figure_view_get_table_figure (figure_view (self, kind));
      g_autoptr (GError) error = NULL;
      /* The size, resolution and captions chosen in the export dialog. */
      g_autofree char *target = NULL;
      /* Without an extension the figure is written as PNG. */
      g_autofree char *base = g_path_get_basename (path);
      target = strchr (base, '.') ? g_strdup (path) : g_strconcat (path, ".png", NULL);
      if (fig == NULL && table_fig != NULL)
        {
          if (!pl_export_draw_file (pl_table_figure_draw, table_fig, &self->export_options, target,
                                    pl_table_figure_title (table_fig),
                                    pl_table_figure_description (table_fig), &error))
            show_error (self, _("Could not export the figure"), error);
          else
            {
              g_autofree char *display = g_filename_display_basename (target);
              g_autofree char *msg = g_strdup_printf (_("Figure saved as “%s”"), display);
              toast (self, msg);
            }
        }
      else if (fig == NULL)
        toast (self, _("Nothing to export yet"));
      else if (!pl_export_draw_file (pl_comparison_figure_draw, fig, &self->export_options, target,
                                     pl_comparison_figure_title (fig),
                                     pl_comparison_figure_description (fig), &error))
        show_error (self, _("Could not export the figure"), error);
      else
        {
          g_autofree char *display = g_filename_display_basename (target);
          g_autofree char *msg = g_strdup_printf (_("Figure saved as “%s”"), display);
          toast (self, msg);
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void on_export_options (const PlExportOptions *options, gpointer user_data);

static void
export_figure (GtkWidget *widget, const char *action, GVariant *param)
{
  PlWindow *self = PL_WINDOW (widget);
  if (self->comparison == NULL)
    return;
  const char *visible = adw_view_stack_get_visible_child_name (self->view_stack);
  if (g_strcmp0 (visible, "sweep") == 0)
    {
      if (self->sweep == NULL)
        {
          toast (self, _("Run a sweep first"));
          return;
        }
      GtkFileChooserNative *d = gtk_file_chooser_native_new (_("Export Sweep"), GTK_WINDOW (self),
                                                             GTK_FILE_CHOOSER_ACTION_SAVE,
                                                             _("_Export"), _("_Cancel"));
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (d), "prunelens-sweep.png");
      g_signal_connect (d, "response", G_CALLBACK (on_export_response), self);
      gtk_native_dialog_show (GTK_NATIVE_DIALOG (d));
      return;
    }
  if (g_strcmp0 (visible, "metrics") == 0)
    {
      if (self->report == NULL)
        {
          toast (self, _("Run a comparison first"));
          return;
        }
      GtkFileChooserNative *d = gtk_file_chooser_native_new (_("Export Comparison"), GTK_WINDOW (self),
                                                             GTK_FILE_CHOOSER_ACTION_SAVE,
                                                             _("_Export"), _("_Cancel"));
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (d), "prunelens-compare.json");
      g_signal_connect (d, "response", G_CALLBACK (on_export_response), self);
      gtk_native_dialog_show (GTK_NATIVE_DIALOG (d));
      return;
    }
  /* the size starts in the proportions of the figure to export (no blank band) */
  double aspect = 0.0, w_in = 0.0, h_in = 0.0;
  PlFigureKind kind = PL_FIGURE_SALIENCY;
  pl_figure_kind_from_name (visible, &kind);
  const PlComparisonFigure *cfig = pl_figure_view_get_figure (figure_view (self, kind));
  const PlTableFigure *tfig = pl_figure_view_get_table_figure (figure_view (self, kind));
  if (cfig != NULL)
    pl_comparison_figure_size (cfig, &w_in, &h_in);
  else if (tfig != NULL)
    pl_table_figure_size (tfig, &w_in, &h_in);
  if (w_in > 0 && h_in > 0)
    aspect = w_in / h_in;
  pl_export_dialog_run_with_aspect (GTK_WINDOW (self), self->settings, aspect, on_export_options,
                                    self);
}

/* The export options were chosen: captions apply at once, then the file is chosen. */
static void
on_export_options (const PlExportOptions *options, gpointer user_data)
{
  PlWindow *self = user_data;
  gboolean captions_changed = options->captions != self->export_options.captions;
  self->export_options = *options;
  if (captions_changed)
    rebuild_figures (self);
  if (self->comparison == NULL)
    return;
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Export Figure"), GTK_WINDOW (self),
                                                              GTK_FILE_CHOOSER_ACTION_SAVE,
                                                              _("_Export"), _("_Cancel"));
  const char *view = adw_view_stack_get_visible_child_name (self->view_stack);
  g_autofree char *name = g_strdup_printf ("prunelens-%s-%02.0f-sample%" G_GINT64_FORMAT ".png",
                                           view ? view : "figure", 100.0 * current_sparsity (self),
                                           self->comparison->index);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  const char *patterns[][2] = { { N_("PNG image"), "*.png" }, { N_("SVG image"), "*.svg" },
                                { N_("PDF document"), "*.pdf" } };
  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    {
      GtkFileFilter *filter = gtk_file_filter_new ();
      gtk_file_filter_set_name (filter, _(patterns[i][0]));
      gtk_file_filter_add_pattern (filter, patterns[i][1]);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
      g_object_unref (filter);
    }
  g_signal_connect (dialog, "response", G_CALLBACK (on_export_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
on_open_response (GtkNativeDialog *dialog, int response, PlWindow *self)
{
  gboolean folder = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "folder"));
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      if (folder)
        {
          g_free (self->dataset_dir);
          self->dataset_dir = g_steal_pointer (&path);
        }
      else
        {
          g_free (self->model_path);
          self->model_path = g_steal_pointer (&path);
        }
      self->pending_sparsity = gtk_adjustment_get_value (self->sparsity_adjustment) / 100.0;
      start_job (self, JOB_LOAD);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
open_file (PlWindow *self, gboolean folder)
{
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (
      folder ? _("Open Dataset Folder") : _("Open Model"), GTK_WINDOW (self),
      folder ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER : GTK_FILE_CHOOSER_ACTION_OPEN,
      _("_Open"), _("_Cancel"));
  if (!folder)
    {
      GtkFileFilter *filter = gtk_file_filter_new ();
      gtk_file_filter_set_name (filter, _("ONNX models"));
      gtk_file_filter_add_pattern (filter, "*.onnx");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
      g_object_unref (filter);
    }
  g_object_set_data (G_OBJECT (dialog), "folder", GINT_TO_POINTER (folder));
  g_signal_connect (dialog, "response", G_CALLBACK (on_open_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
open_model (GtkWidget *widget, const char *action, GVariant *param)
{
  open_file (PL_WINDOW (widget), FALSE);
}

static void
open_dataset (GtkWidget *widget, const char *action, GVariant *param)
{
  open_file (PL_WINDOW (widget), TRUE);
}

/* ----------------------------------------------------- datasets, recent, drop ---- */

static void
on_label_column_chosen (const char *path, const char *label_column, gpointer user_data)
{
  PlWindow *self = user_data;
  if (label_column != NULL)
    pl_window_open_dataset (self, path, label_column);
  g_object_unref (self);
}

/* Opens a dataset path: tables ask for their label column first. */
static void
open_dataset_path (PlWindow *self, const char *path)
{
  if (pl_dataset_io_classify (path) != PL_PATH_TABLE)
    {
      pl_window_open_dataset (self, path, NULL);
      return;
    }
  g_autoptr (GError) error = NULL;
  if (!pl_dataset_io_ask_label_column (GTK_WINDOW (self), path, on_label_column_chosen,
                                       g_object_ref (self), &error))
    {
      g_object_unref (self);
      show_error (self, _("Could not open the dataset"), error);
    }
}

static void
open_path (PlWindow *self, const char *path)
{
  g_autoptr (GError) error = NULL;
  switch (pl_dataset_io_classify (path))
    {
    case PL_PATH_MODEL:
      g_free (self->model_path);
      self->model_path = g_strdup (path);
      self->pending_sparsity = gtk_adjustment_get_value (self->sparsity_adjustment) / 100.0;
      start_job (self, JOB_LOAD);
      break;
    case PL_PATH_TABLE:
    case PL_PATH_DATASET:
      open_dataset_path (self, path);
      break;
    case PL_PATH_SESSION:
      if (!pl_window_open_session (self, path, &error))
        show_error (self, _("Could not open the session"), error);
      else
        pl_dataset_io_add_recent (path);
      break;
    case PL_PATH_UNKNOWN:
    default:
      {
        g_autoptr (GError) unknown = g_error_new (
            PL_ERROR, PL_ERROR_UNSUPPORTED,
            _("%s: not a model (.onnx), a table (.csv, .tsv), a dataset folder or a session "
              "(.prunelens)"), path);
        show_error (self, _("Could not open the file"), unknown);
      }
      break;
    }
}

static void
on_table_response (GtkNativeDialog *dialog, int response, PlWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      if (path != NULL)
        open_dataset_path (self, path);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
open_table (GtkWidget *widget, const char *action, GVariant *param)
{
  PlWindow *self = PL_WINDOW (widget);
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (
      _("Open Dataset"), GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"),
      _("_Cancel"));
  GtkFileFilter *filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("Tables (CSV, TSV)"));
  gtk_file_filter_add_suffix (filter, "csv");
  gtk_file_filter_add_suffix (filter, "tsv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_object_unref (filter);
  g_signal_connect (dialog, "response", G_CALLBACK (on_table_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
open_recent (GtkWidget *widget, const char *action, GVariant *param)
{
  open_path (PL_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
on_recent_changed (GtkRecentManager *manager, PlWindow *self)
{
  pl_dataset_io_fill_recent_menu (self->recent_menu, 8);
}

/* Dropped files: a session opens alone; a model and a dataset dropped together load
 * together. */
static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, PlWindow *self)
{
  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  GSList *files = g_value_get_boxed (value);
  g_autofree char *model = NULL, *dataset = NULL, *session = NULL, *other = NULL;
  for (GSList *l = files; l != NULL; l = l->next)
    {
      g_autofree char *path = g_file_get_path (l->data);
      if (path == NULL)
        continue;
      switch (pl_dataset_io_classify (path))
        {
        case PL_PATH_MODEL: g_free (model); model = g_steal_pointer (&path); break;
        case PL_PATH_TABLE:
        case PL_PATH_DATASET: g_free (dataset); dataset = g_steal_pointer (&path); break;
        case PL_PATH_SESSION: g_free (session); session = g_steal_pointer (&path); break;
        case PL_PATH_UNKNOWN:
        default: g_free (other); other = g_steal_pointer (&path); break;
        }
    }
  if (session != NULL)
    open_path (self, session);
  else if (model != NULL && dataset != NULL)
    {
      g_free (self->model_path);
      self->model_path = g_steal_pointer (&model);
      open_dataset_path (self, dataset);
    }
  else if (model != NULL)
    open_path (self, model);
  else if (dataset != NULL)
    open_path (self, dataset);
  else if (other != NULL)
    open_path (self, other);
  else
    return FALSE;
  return TRUE;
}

static void
cancel_all (GtkWidget *widget, const char *action, GVariant *param)
{
  PlWindow *self = PL_WINDOW (widget);
  for (gint k = 0; k < N_JOBS; k++)
    if (self->jobs[k] != NULL)
      pl_job_cancel (self->jobs[k]);
  /* a prune about to start (the slider rests) and the LIME / SHAP tab's job too */
  if (self->debounce_id != 0)
    {
      g_clear_handle_id (&self->debounce_id, g_source_remove);
      set_slider (self, 100.0 * (shown_step (self) ? shown_step (self)->target_sparsity : 0.0));
      gtk_label_set_label (self->status_label, _("Cancelled"));
      update_history_actions (self);
    }
  if (self->lime_shap_view != NULL && pl_lime_shap_view_is_busy (self->lime_shap_view))
    pl_lime_shap_view_cancel (self->lime_shap_view);
}

double
pl_window_get_max_apply_ms (PlWindow *self, const char **kind, guint *jobs_applied,
                            guint *jobs_on_main)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), 0.0);
  static const char *const names[] = { "load", "prune", "explain", "compare", "sweep",
                                       "restore", "schedule", "export" };
  if (kind != NULL)
    *kind = names[self->max_apply_kind];
  if (jobs_applied != NULL)
    *jobs_applied = self->jobs_applied;
  if (jobs_on_main != NULL)
    *jobs_on_main = self->jobs_on_main;
  return self->max_apply_cpu_ms;
}

void
pl_window_cancel (PlWindow *self)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  cancel_all (GTK_WIDGET (self), "win.cancel", NULL);
}

gboolean
pl_window_can_cancel (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), FALSE);
  return any_job (self) || self->debounce_id != 0 ||
         (self->lime_shap_view != NULL && pl_lime_shap_view_is_busy (self->lime_shap_view));
}

static void
show_view (GtkWidget *widget, const char *action, GVariant *param)
{
  PlWindow *self = PL_WINDOW (widget);
  adw_view_stack_set_visible_child_name (self->view_stack, g_variant_get_string (param, NULL));
}

/* ------------------------------------------------------------ history UI ---- */

static void
update_history_actions (PlWindow *self)
{
  gboolean idle_prune = self->jobs[JOB_PRUNE] == NULL && self->debounce_id == 0 &&
                        self->jobs[JOB_SCHEDULE] == NULL;
  gboolean scheduled = self->schedule_dropdown != NULL &&
                       (gtk_drop_down_get_selected (self->schedule_dropdown) != 0 ||
                        gtk_spin_button_get_value_as_int (self->finetune_epochs) > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.apply-step",
                                 (self->preview != NULL || (scheduled && self->history != NULL &&
                                                            gtk_adjustment_get_value (self->sparsity_adjustment) > 0))
                                 && idle_prune);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.undo",
                                 self->history != NULL &&
                                 (self->preview != NULL || pl_prune_history_can_undo (self->history)));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.redo",
                                 self->history != NULL && pl_prune_history_can_redo (self->history));
}

/* The Model view's layers, histograms and filters (main-thread work, 20–60 ms): built
 * when the view is shown. */
static void
refresh_model_view (PlWindow *self)
{
  if (!view_visible (self, "model"))
    {
      self->model_dirty = TRUE;
      return;
    }
  self->model_dirty = FALSE;
  TRACE_BEGIN;
  pl_model_view_set_graphs (self->model_view, self->original ? reference_graph (self) : NULL,
                            self->original ? shown_graph (self) : NULL);
  TRACE_END ("the Model view");
}

static void
on_view_changed (AdwViewStack *stack, GParamSpec *pspec, PlWindow *self)
{
  /* The attribution method applies to the Saliency and Features views only (the LIME / SHAP,
   * Sweep and Metrics views say what they use): elsewhere it is shown, not offered. */
  GtkWidget *method_row = gtk_widget_get_parent (GTK_WIDGET (self->method_dropdown));
  gboolean applies = view_visible (self, "saliency") || view_visible (self, "features");
  gtk_widget_set_sensitive (method_row, applies);
  gtk_widget_set_tooltip_text (method_row, applies ? NULL
                               : _("The attribution method applies to the Saliency and "
                                   "Features views"));
  if (self->metrics_dirty && view_visible (self, "metrics"))
    refresh_metrics_figures (self);   /* after the frame that shows the view */
  if (self->model_dirty && view_visible (self, "model"))
    refresh_model_view (self);
  if (self->lime_shap_dirty && view_visible (self, "shap"))
    refresh_lime_shap (self);
}

static void
update_history (PlWindow *self)
{
  double acc0 = self->eval_original ? self->eval_original->accuracy : -1.0;
  self->filling_history = TRUE;
  pl_history_panel_fill (self->history_list, self->reference_model, self->history, acc0);
  if (self->history != NULL)
    gtk_drop_down_set_selected (self->reference_dropdown, reference_index (self));
  self->filling_history = FALSE;
  update_history_actions (self);
  if (self->history != NULL)
    {
      g_autofree char *label = g_strdup_printf (_("_History (%u)"),
                                                pl_prune_history_n_steps (self->history));
      gtk_menu_button_set_label (self->history_button, label);
    }
  refresh_model_view (self);
  self->history_changes++;
  autosave (self);
}

/* After the current step moved: drop the preview, put the slider on the step's target and
 * show the step. */
static void
history_moved (PlWindow *self)
{
  g_clear_handle_id (&self->debounce_id, g_source_remove);
  cancel_job (self, JOB_PRUNE);
  g_clear_pointer (&self->preview, pl_prune_step_free);
  g_clear_pointer (&self->preview_config, pl_prune_config_free);
  const PlPruneHistoryStep *step = pl_prune_history_current (self->history);
  set_slider (self, 100.0 * step->sparsity);
  update_metric_labels (self);
  refresh_grid (self);
  update_history (self);
  if (is_table (self))
    update_sample_labels (self);
  start_job (self, JOB_EXPLAIN);
}

static void
apply_step (GtkWidget *widget, const char *action, GVariant *param)
{
  PlWindow *self = PL_WINDOW (widget);
  g_autoptr (PlPruneSchedule) schedule = self->history ? panel_schedule (self) : NULL;
  if (schedule != NULL)
    {
      /* A schedule trains (minutes): it runs as its own job with progress and Cancel. */
      g_clear_handle_id (&self->debounce_id, g_source_remove);
      cancel_job (self, JOB_PRUNE);
      start_job (self, JOB_SCHEDULE);
      return;
    }
  if (self->history == NULL || self->preview == NULL || self->jobs[JOB_PRUNE] != NULL)
    {
      toast (self, _("Move the sparsity slider to preview a step first"));
      return;
    }
  PlPruneStep *step = g_steal_pointer (&self->preview);
  guint n_before = pl_prune_history_n_steps (self->history);
  gboolean at_end = pl_prune_history_current_index (self->history) + 1 == n_before;
  guint index = pl_prune_history_push (self->history, self->preview_config,
                                       step->target_sparsity, step->pruned);
  if (at_end && pl_prune_history_n_steps (self->history) == n_before)
    toast (self, _("The history is full: its oldest step after the original was dropped"));
  pl_prune_history_set_metrics (self->history, index, step, (GDestroyNotify) pl_prune_step_free);
  g_clear_pointer (&self->preview_config, pl_prune_config_free);
  update_history (self);
  g_autofree char *msg = g_strdup_printf (_("Step %u applied: %.1f %% sparsity, %.2f %% accuracy"),
                                          index, 100.0 * step->achieved_sparsity,
                                          100.0 * step->evaluation->accuracy);
  toast (self, msg);
}

static void
undo_step (GtkWidget *widget, const char *action, GVariant *param)
{
  PlWindow *self = PL_WINDOW (widget);
  if (self->history != NULL && self->preview != NULL)
    history_moved (self);   /* the first undo drops an unapplied preview */
  else if (self->history != NULL && pl_prune_history_undo (self->history))
    history_moved (self);
}

static void
redo_step (GtkWidget *widget, const char *action, GVariant *param)
{
  PlWindow *self = PL_WINDOW (widget);
  if (self->history != NULL && pl_prune_history_redo (self->history))
    history_moved (self);
}

static void
on_history_row_activated (GtkListBox *list, GtkListBoxRow *row, PlWindow *self)
{
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (row), "step"));
  gtk_menu_button_popdown (self->history_button);
  pl_window_history_go_to (self, index);
}

static void
on_reference_changed (GtkDropDown *dropdown, GParamSpec *pspec, PlWindow *self)
{
  if (self->filling_history || self->history == NULL)
    return;
  guint sel = gtk_drop_down_get_selected (dropdown);
  if (sel == GTK_INVALID_LIST_POSITION || sel == self->reference)
    return;
  self->reference = sel;
  update_metric_labels (self);
  refresh_grid (self);
  update_history (self);
  start_job (self, JOB_EXPLAIN);
}

/* ------------------------------------------------------------- measuring ---- */

/* PL_TRACE_MAIN: frames that take longer than 16.7 ms of wall-clock time, and which of
 * their phases took longest. */
static gint64 trace_phase_t, trace_frame_t, trace_longest_phase;
static gint trace_longest_name;
static void
on_trace_phase (GdkFrameClock *clock, gpointer phase)
{
  gint64 now = g_get_monotonic_time ();
  gint p = GPOINTER_TO_INT (phase);
  static const char *const names[] = { "before-paint", "update", "layout", "paint",
                                       "after-paint" };
  if (p == 0)
    {
      trace_frame_t = now;
      trace_longest_phase = 0;
    }
  else if (trace_phase_t > 0 && now - trace_phase_t > trace_longest_phase)
    {
      trace_longest_phase = now - trace_phase_t;
      trace_longest_name = p;
    }
  if (p == 4 && trace_frame_t > 0 && now - trace_frame_t > 16700)
    g_printerr ("main thread: a frame took %.1f ms (longest: %.1f ms from the frame clock's "
                "%s signal to its %s signal)\n", (now - trace_frame_t) / 1000.0,
                trace_longest_phase / 1000.0, names[trace_longest_name - 1],
                names[trace_longest_name]);
  trace_phase_t = p == 4 ? 0 : now;
}

static void
on_map_trace (GtkWidget *widget, gpointer user_data)
{
  trace_startup ("window mapped");
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  static const char *const signals[] = { "before-paint", "update", "layout", "paint",
                                         "after-paint" };
  for (gint i = 0; clock != NULL && i < 5; i++)
    g_signal_connect (clock, signals[i], G_CALLBACK (on_trace_phase), GINT_TO_POINTER (i));
}

static gboolean
on_latency_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  PlWindow *self = PL_WINDOW (widget);
  gint64 now = g_get_monotonic_time ();
  if (trace_main && self->last_tick > 0 && now - self->last_tick > 50000)
    g_printerr ("main thread: %.1f ms between frames on the %s view%s\n",
                (now - self->last_tick) / 1000.0,
                adw_view_stack_get_visible_child_name (self->view_stack),
                pl_window_is_busy (self) ? " (busy)" : "");
  if (self->last_tick > 0 && pl_window_is_busy (self))
    self->max_gap = MAX (self->max_gap, now - self->last_tick);
  self->last_tick = now;
  return G_SOURCE_CONTINUE;
}

static void
on_first_after_paint (GdkFrameClock *clock, PlWindow *self)
{
  trace_startup ("first frame painted");
  g_signal_handlers_disconnect_by_func (clock, on_first_after_paint, self);
  gint64 ms = (g_get_monotonic_time () - pl_process_start_time ()) / 1000;
  g_print ("first-frame-ms %" G_GINT64_FORMAT "\n", ms);
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  if (app != NULL)
    g_application_quit (G_APPLICATION (app));
}

static void
on_map_bench (GtkWidget *widget, gpointer user_data)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  if (clock != NULL)
    g_signal_connect (clock, "after-paint", G_CALLBACK (on_first_after_paint), widget);
}

/* --------------------------------------------------------------- sessions ---- */

static PlRecipe *
session_recipe (PlWindow *self)
{
  /* What the window shows (not a model or session still loading: loaded_*). */
  if (self->history == NULL || self->loaded_model_path == NULL)
    return NULL;
  PlComparisonOptions options;
  comparison_options (self, &options);
  PlRecipe *r = pl_session_io_build (self->loaded_model_path, self->model_sha256,
                                     self->loaded_dataset_dir,
                                     setting_int (self, "eval-samples", 2000), self->history,
                                     pl_prune_history_current_index (self->history), &options,
                                     self->selected,
                                     adw_view_stack_get_visible_child_name (self->view_stack));
  /* The table's label column, each step's schedule and the pruning panel. */
  r->label_column = g_strdup (self->loaded_label_column);
  if (is_table (self))
    {
      g_free (r->dataset_kind);
      r->dataset_kind = g_strdup ("csv");
    }
  for (guint i = 1; i < pl_prune_history_n_steps (self->history); i++)
    {
      const StepSchedule *st = g_hash_table_lookup (self->step_schedules,
                                                    pl_prune_history_step (self->history, i)->graph);
      PlRecipeStep *rs = g_ptr_array_index (r->steps, i - 1);
      if (st == NULL)
        continue;
      g_free (rs->schedule);
      rs->schedule = g_strdup (pl_prune_schedule_kind_id (schedule_kinds[st->kind]));
      rs->schedule_steps = st->steps;
      rs->finetune_epochs = st->epochs;
    }
  r->panel_set = TRUE;
  r->panel_criterion = (gint) gtk_drop_down_get_selected (self->criterion_dropdown);
  r->panel_granularity = (gint) gtk_drop_down_get_selected (self->granularity_dropdown);
  r->panel_scope = (gint) gtk_drop_down_get_selected (self->scope_dropdown);
  if (pl_protect_popover_is_edited (GTK_POPOVER (self->protect_popover)))
    r->panel_protected = pl_protect_popover_get_protected (GTK_POPOVER (self->protect_popover));
  guint k = gtk_drop_down_get_selected (self->schedule_dropdown);
  r->panel_schedule = g_strdup (pl_prune_schedule_kind_id (
      schedule_kinds[MIN (k, G_N_ELEMENTS (schedule_kinds) - 1)]));
  r->panel_schedule_steps = gtk_spin_button_get_value_as_int (self->schedule_steps);
  r->panel_finetune_epochs = gtk_spin_button_get_value_as_int (self->finetune_epochs);
  return r;
}

/* Writes the session to the autosave file after every change of the history (atomic);
 * a clean close removes it. Only while no session is being restored, and only with steps
 * (the original alone is nothing to recover). A failure is said once in a toast: the user
 * should know that a crash would lose the steps. Returns whether the steps are on disk. */
static gboolean
autosave (PlWindow *self)
{
  if (self->history == NULL || self->pending_recipe != NULL || self->no_autosave)
    return FALSE;
  g_autofree char *path = pl_session_io_autosave_path_n (self->window_number);
  if (pl_prune_history_n_steps (self->history) <= 1)
    {
      g_unlink (path);
      return TRUE;
    }
  g_autoptr (PlRecipe) recipe = session_recipe (self);
  if (recipe == NULL)
    return FALSE;
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr (GError) error = NULL;
  if (g_mkdir_with_parents (dir, 0700) != 0 || !pl_recipe_save_file (recipe, path, &error))
    {
      g_autofree char *why = error ? g_strdup (error->message) : g_strdup (g_strerror (errno));
      g_message ("autosave to %s failed: %s", path, why);
      if (!self->autosave_failed)
        {
          g_autofree char *msg = g_strdup_printf (
              _("Could not autosave the session (%s): save it with Save Session"), why);
          toast (self, msg);
        }
      self->autosave_failed = TRUE;
      return FALSE;
    }
  self->autosave_failed = FALSE;
  return TRUE;
}

gboolean
pl_window_save_session (PlWindow *self, const char *path, GError **error)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_autoptr (PlRecipe) recipe = session_recipe (self);
  if (recipe == NULL)
    {
      if (self->jobs[JOB_LOAD] != NULL)
        g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                     _("%s: nothing to save yet: the model is still loading"), path);
      else
        g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                     _("%s: nothing to save: no model is loaded (the last one could not be "
                       "opened); open a model first"), path);
      return FALSE;
    }
  if (!pl_recipe_save_file (recipe, path, error))
    return FALSE;
  self->saved_changes = self->history_changes;
  return TRUE;
}

/* Opens a session: checks the model, then loads model and dataset; the steps are
 * recomputed once they are loaded (JOB_RESTORE). */
gboolean
pl_window_open_session (PlWindow *self, const char *path, GError **error)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_autoptr (PlRecipe) recipe = pl_recipe_load_file (path, error);
  if (recipe == NULL)
    return FALSE;
  g_autoptr (GError) check = NULL;
  if (!pl_recipe_check_model (recipe, &check))
    {
      if (!g_error_matches (check, PL_ERROR, PL_ERROR_INVALID))
        {
          g_propagate_error (error, g_steal_pointer (&check));
          return FALSE;
        }
      /* The model changed since: open anyway, and say so. */
      toast (self, check->message);
    }
  g_free (self->model_path);
  self->model_path = pl_recipe_model_file (recipe);
  g_free (self->dataset_dir);
  self->dataset_dir = recipe->dataset_path ? pl_recipe_resolve_path (recipe, recipe->dataset_path)
                                           : g_strdup (PL_DEFAULT_DATASET_DIR);
  g_free (self->label_column);
  self->label_column = g_strdup (recipe->label_column);
  /* The method and view follow once it opened (apply_load): a failed open changes
   * nothing. */
  g_clear_pointer (&self->pending_recipe, pl_recipe_free);
  self->pending_recipe = g_steal_pointer (&recipe);
  self->pending_sparsity = 0.0;
  start_job (self, JOB_LOAD);
  return TRUE;
}

static void
on_session_response (GtkNativeDialog *dialog, int response, PlWindow *self)
{
  gboolean save = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "save"));
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr (GError) error = NULL;
      if (save && !g_str_has_suffix (path, ".prunelens"))
        {
          char *with = g_strconcat (path, ".prunelens", NULL);
          g_free (path);
          path = with;
        }
      if (save ? !pl_window_save_session (self, path, &error)
               : !pl_window_open_session (self, path, &error))
        show_error (self, save ? _("Could not save the session") : _("Could not open the session"),
                    error);
      else if (save)
        {
          g_autofree char *display = g_filename_display_basename (path);
          g_autofree char *msg = g_strdup_printf (_("Session saved as “%s”"), display);
          toast (self, msg);
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  /* The close dialog's Save: close once the session is in a file, else stay open. */
  if (save && self->close_after_save)
    {
      self->close_after_save = FALSE;
      if (!has_unsaved_steps (self))
        gtk_window_close (GTK_WINDOW (self));
    }
}

static void
session_dialog (PlWindow *self, gboolean save)
{
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (
      save ? _("Save Session") : _("Open Session"), GTK_WINDOW (self),
      save ? GTK_FILE_CHOOSER_ACTION_SAVE : GTK_FILE_CHOOSER_ACTION_OPEN,
      save ? _("_Save") : _("_Open"), _("_Cancel"));
  GtkFileFilter *filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("PruneLens sessions"));
  gtk_file_filter_add_pattern (filter, "*.prunelens");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_object_unref (filter);
  if (save)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), _("session.prunelens"));
  g_object_set_data (G_OBJECT (dialog), "save", GINT_TO_POINTER (save));
  g_signal_connect (dialog, "response", G_CALLBACK (on_session_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
save_session_action (GtkWidget *widget, const char *action, GVariant *param)
{
  session_dialog (PL_WINDOW (widget), TRUE);
}

static void
open_session_action (GtkWidget *widget, const char *action, GVariant *param)
{
  session_dialog (PL_WINDOW (widget), FALSE);
}

void
pl_window_open_session_file (PlWindow *self, const char *path)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  g_return_if_fail (path != NULL);
  g_autoptr (GError) error = NULL;
  if (!pl_window_open_session (self, path, &error))
    show_error (self, _("Could not open the session"), error);
}

/* The unsaved session offered back is not wanted: it goes to the Trash (the user can still
 * take it back from there), and is offered no more. */
static void
discard_autosave (GtkWidget *widget, const char *action, GVariant *param)
{
  PlWindow *self = PL_WINDOW (widget);
  if (self->recovered_path == NULL)
    return;
  g_autoptr (GFile) file = g_file_new_for_path (self->recovered_path);
  g_autoptr (GError) error = NULL;
  if (!g_file_trash (file, NULL, &error))
    {
      g_autofree char *msg = g_strdup_printf (_("%s: could not move it to the Trash: %s"),
                                              self->recovered_path, error->message);
      toast (self, msg);
      return;
    }
  toast (self, _("The unsaved session was moved to the Trash"));
  g_clear_pointer (&self->recovered_path, g_free);
  gtk_widget_action_set_enabled (widget, "win.restore-autosave", FALSE);
  gtk_widget_action_set_enabled (widget, "win.discard-autosave", FALSE);
}

static void
restore_autosave (GtkWidget *widget, const char *action, GVariant *param)
{
  PlWindow *self = PL_WINDOW (widget);
  if (self->recovered_path == NULL)
    return;
  g_autoptr (GError) error = NULL;
  self->recovering = TRUE;   /* restored steps are still unsaved (mark_session_saved) */
  g_free (self->recovering_path);
  self->recovering_path = g_strdup (self->recovered_path);
  if (!pl_window_open_session (self, self->recovered_path, &error))
    {
      self->recovering = FALSE;
      g_clear_pointer (&self->recovering_path, g_free);
      show_error (self, _("Could not restore the session"), error);
    }
  g_clear_pointer (&self->recovered_path, g_free);
  gtk_widget_action_set_enabled (widget, "win.restore-autosave", FALSE);
  gtk_widget_action_set_enabled (widget, "win.discard-autosave", FALSE);
}

static void
start_tour (GtkWidget *widget, const char *action, GVariant *param)
{
  pl_tour_start (PL_WINDOW (widget));
}

/* ------------------------------------------------------------------ object ---- */

/* The window closes once the dialog has finished its own response (it is transient for
 * the window and unsets that when it goes). */
static gboolean
close_when_idle (gpointer data)
{
  gtk_window_close (GTK_WINDOW (data));
  return G_SOURCE_REMOVE;
}

static void
on_close_response (AdwMessageDialog *dialog, const char *response, PlWindow *self)
{
  self->close_dialog = NULL;
  if (g_str_equal (response, "discard"))
    {
      self->saved_changes = self->history_changes;   /* the user chose to drop them */
      g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, close_when_idle, g_object_ref (self),
                       g_object_unref);
    }
  else if (g_str_equal (response, "save"))
    {
      self->close_after_save = TRUE;
      session_dialog (self, TRUE);
    }
}

/* Closing with pruning steps no session file holds asks first, as GNOME apps do:
 * Cancel, Discard or Save…. */
static void
ask_to_save (PlWindow *self)
{
  if (self->close_dialog != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->close_dialog));
      return;
    }
  guint n = pl_prune_history_n_steps (self->history) - 1;
  g_autofree char *body = g_strdup_printf (
      ngettext ("The session has %u pruning step that is not saved. If you do not save it, "
                "it will be lost.",
                "The session has %u pruning steps that are not saved. If you do not save "
                "them, they will be lost.", n), n);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Save the Session?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "discard", _("_Discard"), "save", _("_Save…"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "discard",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (on_close_response), self);
  self->close_dialog = dialog;
  gtk_window_present (GTK_WINDOW (dialog));
}

void
pl_window_terminate (PlWindow *self)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  self->terminating = TRUE;
  gtk_window_close (GTK_WINDOW (self));
}

GtkWidget *
pl_window_get_close_dialog (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), NULL);
  return self->close_dialog;
}

static gboolean
pl_window_close_request (GtkWindow *window)
{
  PlWindow *self = PL_WINDOW (window);
  if (!self->no_autosave && has_unsaved_steps (self))
    {
      if (!self->terminating)
        {
          ask_to_save (self);
          return TRUE;   /* stay open until the user answers */
        }
      /* Ended by a signal (logout, kill): no one to ask. The autosave stays (written once
       * more, in case the last write failed) and the next start offers it back. */
      autosave (self);
    }
  else if (!self->no_autosave && self->history != NULL)
    {
      /* A clean close with nothing unsaved: no autosave to offer back next time. */
      g_autofree char *path = pl_session_io_autosave_path_n (self->window_number);
      g_unlink (path);
    }
  if (self->settings != NULL)
    {
      int w, h;
      gtk_window_get_default_size (window, &w, &h);
      g_settings_set_int (self->settings, "window-width", w);
      g_settings_set_int (self->settings, "window-height", h);
      g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
    }
  return GTK_WINDOW_CLASS (pl_window_parent_class)->close_request (window);
}

static void
pl_window_dispose (GObject *object)
{
  PlWindow *self = PL_WINDOW (object);
  if (self->close_dialog != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->close_dialog, self);
      gtk_window_destroy (GTK_WINDOW (self->close_dialog));
      self->close_dialog = NULL;
    }
  g_clear_handle_id (&self->debounce_id, g_source_remove);
  g_clear_handle_id (&self->progress_id, g_source_remove);
  g_clear_handle_id (&self->metrics_idle_id, g_source_remove);
  if (self->metrics_clock != NULL)
    g_clear_signal_handler (&self->metrics_paint_id, self->metrics_clock);
  g_clear_object (&self->metrics_clock);
  g_clear_handle_id (&self->scroll_id, g_source_remove);
  for (gint k = 0; k < N_JOBS; k++)
    cancel_job (self, k);
  pl_tour_close (self);
  g_signal_handlers_disconnect_by_data (adw_style_manager_get_default (), self);
  if (self->measure_latency)
    {
      g_print ("max-main-loop-gap-ms %.1f\n", self->max_gap / 1000.0);
      self->measure_latency = FALSE;
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), PL_TYPE_WINDOW);
  G_OBJECT_CLASS (pl_window_parent_class)->dispose (object);
}

static void
pl_window_finalize (GObject *object)
{
  PlWindow *self = PL_WINDOW (object);
  g_clear_object (&self->settings);
  g_clear_object (&self->selection);
  g_clear_object (&self->filtered);
  g_clear_object (&self->sample_model);
  g_free (self->model_path);
  g_free (self->dataset_dir);
  g_free (self->label_column);
  g_free (self->metrics_intro);
  g_clear_object (&self->recent_menu);
  g_free (self->last_error);
  g_free (self->initial_view);
  g_free (self->export_path);
  g_free (self->export_format);
  g_clear_pointer (&self->original, pl_graph_unref);
  g_clear_pointer (&self->dataset, pl_dataset_unref);
  g_clear_pointer (&self->eval_original, pl_evaluation_free);
  g_clear_pointer (&self->preview, pl_prune_step_free);
  g_clear_pointer (&self->preview_config, pl_prune_config_free);
  g_clear_pointer (&self->history, pl_prune_history_free);
  g_clear_pointer (&self->pending_recipe, pl_recipe_free);
  g_clear_pointer (&self->step_schedules, g_hash_table_unref);
  self->comparison = NULL;   /* owned by the cache */
  if (self->explain_cache != NULL)
    pl_explain_cache_remove_evict_notify (self->explain_cache, on_cache_evict, self);
  g_clear_pointer (&self->explain_cache, pl_explain_cache_unref);
  g_free (self->model_sha256);
  g_free (self->loaded_model_path);
  g_free (self->loaded_dataset_dir);
  g_free (self->loaded_label_column);
  g_free (self->recovered_path);
  g_free (self->recovering_path);
  g_clear_pointer (&self->comparison, pl_comparison_free);
  g_clear_pointer (&self->report, pl_compare_report_free);
  self->sweep_figure = NULL;   /* the canvases' contents */
  self->film_figure = NULL;
  g_clear_pointer (&self->sweep, pl_sweep_free);
  G_OBJECT_CLASS (pl_window_parent_class)->finalize (object);
}

static void
pl_window_class_init (PlWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = pl_window_dispose;
  object_class->finalize = pl_window_finalize;
  window_class->close_request = pl_window_close_request;

  /* Rendering: the target machine has no GPU, where GTK's GL renderer runs on llvmpipe
   * (software OpenGL) and took 600–800 ms of the first frame and 200–600 ms per frame
   * while jobs keep both cores busy (measured under Xvfb); the cairo renderer draws these
   * figures in a few milliseconds. GTK reads GSK_RENDERER when the first window is
   * realized, after this; a user's own GSK_RENDERER wins. */
  if (g_getenv ("GSK_RENDERER") == NULL)
    g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_type_ensure (PL_TYPE_CANVAS);
  g_type_ensure (PL_TYPE_FIGURE_VIEW);
  g_type_ensure (PL_TYPE_MODEL_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/prunelens/PruneLens/pl-window.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, PlWindow, name)
  BIND (toast_overlay);
  BIND (switcher_title);
  BIND (dataset_label);
  BIND (index_spin);
  BIND (index_adjustment);
  BIND (sample_grid);
  BIND (sample_picture);
  BIND (sample_title);
  BIND (truth_label);
  BIND (pred_original_label);
  BIND (pred_pruned_label);
  BIND (similarity_label);
  BIND (sparsity_value_label);
  BIND (sparsity_scale);
  BIND (sparsity_adjustment);
  BIND (criterion_dropdown);
  BIND (granularity_dropdown);
  BIND (scope_dropdown);
  BIND (accuracy_original_label);
  BIND (accuracy_pruned_label);
  BIND (achieved_label);
  BIND (eval_label);
  BIND (weights_label);
  BIND (view_stack);
  BIND (method_dropdown);
  BIND (saliency_view);
  BIND (features_view);
  BIND (shap_view);
  BIND (compare_adjustment);
  BIND (sweep_area);
  BIND (film_area);
  BIND (metrics_box);
  BIND (metrics_placeholder);
  BIND (status_label);
  BIND (progress_bar);
  BIND (cancel_button);
  BIND (model_view);
  BIND (history_list);
  BIND (history_button);
  BIND (reference_dropdown);
  BIND (reference_model);
  BIND (method_info_label);
  BIND (primary_menu);
  BIND (apply_button);
  BIND (metrics_scroll);
#undef BIND

  gtk_widget_class_install_action (widget_class, "win.open-model", NULL, open_model);
  gtk_widget_class_install_action (widget_class, "win.open-dataset", NULL, open_dataset);
  gtk_widget_class_install_action (widget_class, "win.open-table", NULL, open_table);
  gtk_widget_class_install_action (widget_class, "win.open-recent", "s", open_recent);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_d, GDK_CONTROL_MASK, "win.open-table", NULL);
  gtk_widget_class_install_action (widget_class, "win.export-figure", NULL, export_figure);
  gtk_widget_class_install_action (widget_class, "win.export-all", NULL, export_all_action);
  gtk_widget_class_install_action (widget_class, "win.export-onnx", NULL, export_onnx_action);
  gtk_widget_class_install_action (widget_class, "win.export-report", NULL, export_report_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.export-all", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_E, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.export-all", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_m, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.export-onnx", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_M, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.export-onnx", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.export-report", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_R, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.export-report", NULL);
  gtk_widget_class_install_action (widget_class, "win.cancel", NULL, cancel_all);
  gtk_widget_class_install_action (widget_class, "win.compare", NULL, compare);
  gtk_widget_class_install_action (widget_class, "win.sweep", NULL, sweep);
  gtk_widget_class_install_action (widget_class, "win.show-view", "s", show_view);
  gtk_widget_class_install_action (widget_class, "win.apply-step", NULL, apply_step);
  gtk_widget_class_install_action (widget_class, "win.save-session", NULL, save_session_action);
  gtk_widget_class_install_action (widget_class, "win.open-session", NULL, open_session_action);
  gtk_widget_class_install_action (widget_class, "win.restore-autosave", NULL, restore_autosave);
  gtk_widget_class_install_action (widget_class, "win.discard-autosave", NULL, discard_autosave);
  gtk_widget_class_install_action (widget_class, "win.tour", NULL, start_tour);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "win.save-session", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.open-session", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_O, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.open-session", NULL);
  gtk_widget_class_install_action (widget_class, "win.undo", NULL, undo_step);
  gtk_widget_class_install_action (widget_class, "win.redo", NULL, redo_step);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "win.apply-step", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK, "win.undo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.redo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.redo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_4, GDK_ALT_MASK, "win.show-view", "s", "sweep");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_5, GDK_ALT_MASK, "win.show-view", "s", "model");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_6, GDK_ALT_MASK, "win.show-view", "s", "metrics");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open-model", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "win.export-figure", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.cancel", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_ALT_MASK, "win.show-view", "s", "saliency");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_ALT_MASK, "win.show-view", "s", "features");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_3, GDK_ALT_MASK, "win.show-view", "s", "shap");
}

/* PL_TRACE_MAIN: milliseconds since main () at a step of the start-up. */
static void
trace_startup (const char *what)
{
  if (g_strcmp0 (g_getenv ("PL_TRACE_MAIN"), "1") == 0)
    g_printerr ("start-up: %s at %.1f ms\n", what,
                (g_get_monotonic_time () - pl_process_start_time ()) / 1000.0);
}

/* The primary menu button's tooltip stays off while its menu is open: it would lie over
 * the menu (squeezed to one character per line in Chinese). */
static void
on_primary_menu_shown (GtkWidget *popover, GParamSpec *pspec, GtkWidget *button)
{
  gboolean shown = gtk_widget_get_visible (popover);
  gtk_widget_set_has_tooltip (button, !shown);
  if (shown)
    gtk_widget_trigger_tooltip_query (button);
}

static GtkWidget *
find_menu_button (GtkWidget *widget, GMenuModel *model)
{
  if (GTK_IS_MENU_BUTTON (widget) &&
      gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget)) == model)
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_menu_button (c, model);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
pl_window_init (PlWindow *self)
{
  trace_startup ("window init");
  self->window_number = pl_session_io_window_number ();
  gtk_widget_init_template (GTK_WIDGET (self));
  /* the sample's values are cut in a narrow window: whole in a tooltip then */
  pl_label_tooltip_when_ellipsized (self->truth_label);
  pl_label_tooltip_when_ellipsized (self->pred_original_label);
  pl_label_tooltip_when_ellipsized (self->pred_pruned_label);
  /* once the renderer exists: images are then drawn the way it draws fastest */
  g_signal_connect (self, "realize", G_CALLBACK (pl_image_cairo_renderer), NULL);
  trace_startup ("template built");
  GtkWidget *primary = find_menu_button (GTK_WIDGET (self), G_MENU_MODEL (self->primary_menu));
  GtkPopover *primary_popover = primary != NULL
                                  ? gtk_menu_button_get_popover (GTK_MENU_BUTTON (primary))
                                  : NULL;
  if (primary_popover != NULL)
    g_signal_connect_object (primary_popover, "notify::visible",
                             G_CALLBACK (on_primary_menu_shown), primary, 0);
  self->selected = 0;
  self->explain_cache = pl_explain_cache_new (PL_EXPLAIN_CACHE_SIZE);
  pl_explain_cache_add_evict_notify (self->explain_cache, on_cache_evict, self);
  self->step_schedules = g_hash_table_new_full (g_direct_hash, g_direct_equal,
                                                (GDestroyNotify) pl_graph_unref, g_free);

  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = source ? g_settings_schema_source_lookup (source, APP_ID, TRUE) : NULL;
  if (schema != NULL)
    {
      self->settings = g_settings_new (APP_ID);
      gtk_window_set_default_size (GTK_WINDOW (self),
                                   g_settings_get_int (self->settings, "window-width"),
                                   g_settings_get_int (self->settings, "window-height"));
      if (g_settings_get_boolean (self->settings, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));
    }

  self->sample_model = pl_index_model_new (0);
  g_signal_connect_swapped (self->sample_model, "complete", G_CALLBACK (on_samples_complete), self);
  /* the filter bar above the grid; the grid shows the samples through its filter */
  self->filter_bar = PL_SAMPLE_FILTER_BAR (pl_sample_filter_bar_new ());
  self->filtered = gtk_filter_list_model_new (
      g_object_ref (G_LIST_MODEL (self->sample_model)),
      g_object_ref (GTK_FILTER (pl_sample_filter_bar_get_filter (self->filter_bar))));
  pl_sample_filter_bar_set_model (self->filter_bar, self->filtered);
  {
    GtkWidget *scrolled = gtk_widget_get_parent (GTK_WIDGET (self->sample_grid));
    GtkWidget *pane = gtk_widget_get_parent (scrolled);
    gtk_widget_set_margin_start (GTK_WIDGET (self->filter_bar), 12);
    gtk_widget_set_margin_end (GTK_WIDGET (self->filter_bar), 12);
    gtk_box_insert_child_after (GTK_BOX (pane), GTK_WIDGET (self->filter_bar),
                                gtk_widget_get_prev_sibling (scrolled));
  }
  /* the LIME / SHAP tab: the view after the (hidden) comparison figure of KernelSHAP */
  self->lime_shap_view = PL_LIME_SHAP_VIEW (pl_lime_shap_view_new ());
  pl_lime_shap_view_set_cache (self->lime_shap_view, self->explain_cache);
  gtk_box_append (GTK_BOX (gtk_widget_get_parent (GTK_WIDGET (self->shap_view))),
                  GTK_WIDGET (self->lime_shap_view));
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->filtered)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (thumb_setup), self);
  g_signal_connect (factory, "bind", G_CALLBACK (thumb_bind), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (thumb_unbind), self);
  gtk_grid_view_set_model (self->sample_grid, GTK_SELECTION_MODEL (self->selection));
  gtk_grid_view_set_factory (self->sample_grid, factory);
  g_object_unref (factory);
  g_signal_connect (self->selection, "notify::selected", G_CALLBACK (on_selection_changed), self);
  /* Keyboard: arrows, Home / End and Page Up / Down move the selection; Enter shows it. */
  GtkEventController *keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_name (keys, "pl-sample-keys");
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_sample_key), self);
  gtk_widget_add_controller (GTK_WIDGET (self->sample_grid), keys);
  g_signal_connect (self->sample_grid, "activate", G_CALLBACK (on_sample_activate), self);
  if (self->settings != NULL)
    {
      g_autofree char *id = g_settings_get_string (self->settings, "attribution-method");
      PlMapMethod method;
      if (pl_map_method_from_id (id, &method))
        gtk_drop_down_set_selected (self->method_dropdown, method);
    }
  g_signal_connect (self->method_dropdown, "notify::selected", G_CALLBACK (on_method_changed), self);
  update_method_info (self);
  g_signal_connect (self->criterion_dropdown, "notify::selected", G_CALLBACK (on_prune_config_changed), self);
  g_signal_connect (self->granularity_dropdown, "notify::selected", G_CALLBACK (on_prune_config_changed), self);
  g_signal_connect (self->scope_dropdown, "notify::selected", G_CALLBACK (on_prune_config_changed), self);
  /* Protected layers: a menu button after the scope drop-down. */
  self->protect_popover = pl_protect_popover_new (on_protect_changed, self);
  GtkWidget *protect_button = self->protect_button = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (protect_button), "changes-prevent-symbolic");
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (protect_button), self->protect_popover);
  gtk_widget_set_tooltip_text (protect_button, _("Protected layers"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (protect_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Protected layers"), -1);
  GtkWidget *scope_parent = gtk_widget_get_parent (GTK_WIDGET (self->scope_dropdown));
  if (GTK_IS_BOX (scope_parent))
    gtk_box_insert_child_after (GTK_BOX (scope_parent), protect_button,
                                GTK_WIDGET (self->scope_dropdown));
  /* Schedule and fine-tuning: a row under the drop-downs. Apply runs them. */
  {
    const char *const schedules[] = { _("One-shot"), _("Iterative"), _("Polynomial"),
                                      _("Rewind"), NULL };
    GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
    self->schedule_dropdown = GTK_DROP_DOWN (gtk_drop_down_new_from_strings (schedules));
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->schedule_dropdown),
        _("How Apply reaches the target: in one step; in k steps, each keeping the same share "
          "(Han et al. 2015); gradually on a cubic curve (Zhu & Gupta 2017); or k steps, then "
          "the surviving weights rewound to the original ones and retrained (Frankle & Carbin "
          "2019). The slider previews one-shot pruning."));
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->schedule_dropdown),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, _("Schedule"), -1);
    self->schedule_steps = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (1, 20, 1));
    gtk_spin_button_set_value (self->schedule_steps, 3);
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->schedule_steps),
                                 _("Pruning steps of the schedule (k)"));
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->schedule_steps),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, _("Schedule steps"), -1);
    self->finetune_epochs = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (0, 50, 1));
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->finetune_epochs),
        _("Epochs of fine-tuning after every pruning step (0: none). Image folders with a "
          "training split fine-tune on it; tables and PNG folders on their own rows."));
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->finetune_epochs),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, _("Fine-tuning epochs"), -1);
    GtkWidget *steps_label = gtk_label_new (_("steps"));
    GtkWidget *ft_label = gtk_label_new (_("Fine-tune"));
    GtkWidget *epochs_label = gtk_label_new (_("epochs"));
    gtk_widget_add_css_class (steps_label, "dim-label");
    gtk_widget_add_css_class (ft_label, "dim-label");
    gtk_widget_add_css_class (epochs_label, "dim-label");
    gtk_box_append (GTK_BOX (row), GTK_WIDGET (self->schedule_dropdown));
    gtk_box_append (GTK_BOX (row), GTK_WIDGET (self->schedule_steps));
    gtk_box_append (GTK_BOX (row), steps_label);
    gtk_box_append (GTK_BOX (row), ft_label);
    gtk_box_append (GTK_BOX (row), GTK_WIDGET (self->finetune_epochs));
    gtk_box_append (GTK_BOX (row), epochs_label);
    GtkWidget *panel = scope_parent ? gtk_widget_get_parent (scope_parent) : NULL;
    if (GTK_IS_BOX (panel))
      gtk_box_insert_child_after (GTK_BOX (panel), row, scope_parent);
    else
      {
        g_object_ref_sink (row);
        g_object_unref (row);
      }
    g_signal_connect_swapped (self->schedule_dropdown, "notify::selected",
                              G_CALLBACK (on_schedule_changed), self);
    g_signal_connect_swapped (self->schedule_dropdown, "notify::selected",
                              G_CALLBACK (update_history_actions), self);
    g_signal_connect_swapped (self->finetune_epochs, "value-changed",
                              G_CALLBACK (update_history_actions), self);
    on_schedule_changed (self);
  }
  /* Cost against sparsity, below the accuracy and similarity plot. */
  self->cost_area = pl_canvas_new ();
  gtk_widget_set_vexpand (self->cost_area, TRUE);
  gtk_widget_set_size_request (self->cost_area, -1, 260);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->cost_area), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Non-zero parameters and effective MACs against sparsity"), -1);
  gtk_widget_insert_after (self->cost_area, gtk_widget_get_parent (GTK_WIDGET (self->sweep_area)),
                           GTK_WIDGET (self->sweep_area));
  g_signal_connect (self->index_adjustment, "value-changed", G_CALLBACK (on_index_changed), self);
  g_signal_connect (self->sparsity_adjustment, "value-changed", G_CALLBACK (on_sparsity_changed), self);
  g_signal_connect_swapped (adw_style_manager_get_default (), "notify::dark",
                            G_CALLBACK (on_dark_changed), self);

  for (gint k = 0; k < PL_FIGURE_N_KINDS; k++)
    pl_figure_view_set_placeholder (figure_view (self, k), _("Loading the model and the dataset…"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-figure", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel", FALSE);
  g_signal_connect (self->history_list, "row-activated", G_CALLBACK (on_history_row_activated), self);
  g_signal_connect (self->view_stack, "notify::visible-child-name", G_CALLBACK (on_view_changed), self);
  g_signal_connect (self->reference_dropdown, "notify::selected", G_CALLBACK (on_reference_changed), self);
  update_history (self);
  pl_export_options_load (&self->export_options, self->settings);
  self->metrics_intro = g_strdup (gtk_label_get_label (GTK_LABEL (self->metrics_placeholder)));

  /* Open Recent, after the first section's "Open" items. */
  self->recent_menu = g_menu_new ();
  pl_dataset_io_fill_recent_menu (self->recent_menu, 8);
  g_autoptr (GMenuModel) first = g_menu_model_get_item_link (G_MENU_MODEL (self->primary_menu), 0,
                                                             G_MENU_LINK_SECTION);
  if (G_IS_MENU (first))
    g_menu_insert_submenu (G_MENU (first), 4, _("Open _Recent"), G_MENU_MODEL (self->recent_menu));
  g_signal_connect_object (gtk_recent_manager_get_default (), "changed",
                           G_CALLBACK (on_recent_changed), self, 0);

  GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  trace_main = g_strcmp0 (g_getenv ("PL_TRACE_MAIN"), "1") == 0;
  if (trace_main)
    g_signal_connect (self, "map", G_CALLBACK (on_map_trace), NULL);
  if (g_strcmp0 (g_getenv ("PL_MEASURE_LATENCY"), "1") == 0)
    {
      self->measure_latency = TRUE;
      gtk_widget_add_tick_callback (GTK_WIDGET (self), on_latency_tick, NULL, NULL);
    }
  if (g_strcmp0 (g_getenv ("PL_BENCH_FIRST_FRAME"), "1") == 0)
    {
      g_signal_connect (self, "map", G_CALLBACK (on_map_bench), NULL);
      self->no_autosave = TRUE;
    }
  if (g_strcmp0 (g_getenv ("PL_BENCH_FRAMES"), "1") == 0)
    {
      pl_bench_frames_attach (self);
      self->no_autosave = TRUE;
    }
  if (g_strcmp0 (g_getenv ("PL_NO_AUTOSAVE"), "1") == 0)
    self->no_autosave = TRUE;
  trace_startup ("window init done");
}

PlWindow *
pl_window_new (GtkApplication *application, const PlWindowOptions *options)
{
  PlWindow *self = g_object_new (PL_TYPE_WINDOW, "application", application, NULL);
  self->model_path = options && options->model_path ? g_strdup (options->model_path)
                                                    : pl_default_model_path ();
  self->dataset_dir = g_strdup (options && options->dataset_dir ? options->dataset_dir
                                                                : PL_DEFAULT_DATASET_DIR);
  self->pending_sparsity = options ? CLAMP (options->sparsity, 0.0, 0.99) : 0.0;
  self->selected = options ? MAX (options->index, 0) : 0;
  if (options && options->view)
    adw_view_stack_set_visible_child_name (self->view_stack, options->view);
  PlMapMethod method;
  if (options && options->method && pl_map_method_from_id (options->method, &method))
    gtk_drop_down_set_selected (self->method_dropdown, method);
  guint criterion, granularity, scope;
  if (options && options->pruning &&
      pl_window_pruning_from_string (options->pruning, &criterion, &granularity, &scope))
    pl_window_set_pruning (self, criterion, granularity, scope);
  start_job (self, JOB_LOAD);
  /* The last session did not end cleanly: offer it back. */
  if (!self->no_autosave && (self->recovered_path = pl_session_io_take_autosave_n (self->window_number)) != NULL)
    {
      AdwToast *t = adw_toast_new (_("The last session did not end cleanly"));
      adw_toast_set_button_label (t, _("_Restore"));
      adw_toast_set_action_name (t, "win.restore-autosave");
      /* Not for ever: it would cover the figure caption (issue 9). The close button and
       * the timeout dismiss it; the main menu keeps the offer (Restore or Discard: each
       * start offers it until one is chosen). */
      adw_toast_set_timeout (t, 20);
      adw_toast_overlay_add_toast (self->toast_overlay, t);
    }
  /* After the toast has gone, the main menu's "Restore Unsaved Session" still offers it
   * (the file stays in ~/.local/state/prunelens/recovered.prunelens until restored). */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.restore-autosave",
                                 self->recovered_path != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.discard-autosave",
                                 self->recovered_path != NULL);
  return self;
}

static gboolean
on_scroll_idle (gpointer user_data)
{
  PlWindow *self = user_data;
  self->scroll_id = 0;
  guint pos = self->selected >= 0 ? position_of_index (self, self->selected) : 0;
  if (self->selected >= 0 && pos < g_list_model_get_n_items (G_LIST_MODEL (self->filtered)))
    gtk_widget_activate_action (GTK_WIDGET (self->sample_grid), "list.scroll-to-item", "u", pos);
  return G_SOURCE_REMOVE;
}

/* Scrolling a grid view before it has been laid out with its new items leaves it
 * blank: scroll once the frame is done. */
static void
schedule_scroll (PlWindow *self)
{
  if (self->scroll_id == 0)
    self->scroll_id = g_timeout_add_full (G_PRIORITY_LOW, 50, on_scroll_idle, self, NULL);
}

/* ------------------------------------------------------------ private API ---- */

gboolean
pl_window_is_busy (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), FALSE);
  return any_job (self) || self->debounce_id != 0 || self->metrics_idle_id != 0 ||
         self->metrics_paint_id != 0 || !pl_index_model_is_complete (self->sample_model) ||
         (self->lime_shap_view != NULL && pl_lime_shap_view_is_busy (self->lime_shap_view));
}

void
pl_window_set_sparsity (PlWindow *self, double sparsity)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  gtk_adjustment_set_value (self->sparsity_adjustment, 100.0 * CLAMP (sparsity, 0.0, 0.99));
}

void
pl_window_select_sample (PlWindow *self, gint64 index)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  if (self->dataset == NULL || index < 0 || index >= self->dataset->n || index == self->selected)
    return;
  /* Go to a sample the filters hide: clear them (and say so) so the grid can show it. */
  if (!pl_sample_filter_matches_index (pl_sample_filter_bar_get_filter (self->filter_bar), index))
    {
      pl_sample_filter_bar_clear (self->filter_bar);
      g_autofree char *msg = g_strdup_printf (_("Filters cleared to show #%d"), (int) index);
      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (msg));
    }
  self->selected = index;
  if (is_table (self))
    {
      g_autofree char *details = pl_dataset_io_row_details (self->dataset, index);
      gtk_picture_set_paintable (self->sample_picture, NULL);
      gtk_widget_set_visible (GTK_WIDGET (self->sample_picture), FALSE);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->sample_title), details);
    }
  else
    {
      g_autoptr (GdkPaintable) image = sample_paintable (self->dataset, index, 4);
      gtk_widget_set_visible (GTK_WIDGET (self->sample_picture), TRUE);
      gtk_picture_set_paintable (self->sample_picture, image);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->sample_title), NULL);
    }
  guint position = position_of_index (self, index);
  if (pl_index_model_is_complete (self->sample_model) &&
      gtk_single_selection_get_selected (self->selection) != position)
    {
      gtk_single_selection_set_selected (self->selection, position);
      schedule_scroll (self);
    }
  if ((gint64) gtk_adjustment_get_value (self->index_adjustment) != index)
    gtk_adjustment_set_value (self->index_adjustment, (double) index);
  update_sample_labels (self);
  start_job (self, JOB_EXPLAIN);
}

void
pl_window_set_pruning (PlWindow *self, guint criterion, guint granularity, guint scope)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  gtk_drop_down_set_selected (self->criterion_dropdown, criterion);
  gtk_drop_down_set_selected (self->granularity_dropdown, granularity);
  gtk_drop_down_set_selected (self->scope_dropdown, scope);
}

void
pl_window_set_method (PlWindow *self, PlMapMethod method)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  gtk_drop_down_set_selected (self->method_dropdown, method);
}

GtkWidget *
pl_window_get_figure_view (PlWindow *self, PlFigureKind kind)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), NULL);
  return GTK_WIDGET (figure_view (self, kind));
}

void
pl_window_compare (PlWindow *self, gint64 n)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  gtk_adjustment_set_value (self->compare_adjustment, (double) n);
  start_job (self, JOB_COMPARE);
}

void
pl_window_sweep (PlWindow *self)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  start_job (self, JOB_SWEEP);
}

const PlSweep *
pl_window_get_sweep (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), NULL);
  return self->sweep;
}

const PlCompareReport *
pl_window_get_report (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), NULL);
  return self->report;
}

const PlComparison *
pl_window_get_comparison (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), NULL);
  return self->comparison;
}

double
pl_window_get_accuracy (PlWindow *self, gboolean pruned)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), -1.0);
  if (self->eval_original == NULL)
    return -1.0;
  if (pruned && shown_step (self) != NULL)
    return shown_step (self)->evaluation->accuracy;
  return pruned ? self->eval_original->accuracy : reference_evaluation (self)->accuracy;
}

double
pl_window_get_achieved_sparsity (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), 0.0);
  return self->original ? current_sparsity (self) : 0.0;
}

const char *
pl_window_get_last_error (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), NULL);
  return self->last_error;
}

guint
pl_window_history_n_steps (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), 0);
  return self->history ? pl_prune_history_n_steps (self->history) : 0;
}

guint
pl_window_history_current (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), 0);
  return self->history ? pl_prune_history_current_index (self->history) : 0;
}

void
pl_window_history_go_to (PlWindow *self, guint index)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  if (self->history == NULL)
    return;
  if (index == pl_prune_history_current_index (self->history) && self->preview == NULL)
    return;
  if (index == pl_prune_history_current_index (self->history) ||
      pl_prune_history_go_to (self->history, index))
    history_moved (self);
}

void
pl_window_set_reference (PlWindow *self, guint index)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  gtk_drop_down_set_selected (self->reference_dropdown, index);
}

gboolean
pl_window_activate (PlWindow *self, const char *action)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), FALSE);
  return gtk_widget_activate_action (GTK_WIDGET (self), action, NULL);
}

GtkWidget *
pl_window_get_model_view (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), NULL);
  if (self->model_dirty)
    {
      /* Tests and exports read it while hidden: build it now. */
      self->model_dirty = FALSE;
      pl_model_view_set_graphs (self->model_view, self->original ? reference_graph (self) : NULL,
                                self->original ? shown_graph (self) : NULL);
    }
  return GTK_WIDGET (self->model_view);
}

GtkWidget *
pl_window_get_history_list (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), NULL);
  return GTK_WIDGET (self->history_list);
}

void
pl_window_show_view (PlWindow *self, const char *name)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  adw_view_stack_set_visible_child_name (self->view_stack, name);
}

gboolean
pl_window_pruning_from_string (const char *text, guint *criterion, guint *granularity,
                               guint *scope)
{
  g_return_val_if_fail (text != NULL, FALSE);
  static const char *const criteria[] = { "magnitude", "random", "taylor", "l1", "l2", NULL };
  static const char *const granularities[] = { "unstructured", "2:4", "channels", NULL };
  static const char *const scopes[] = { "global", "layerwise", NULL };
  const char *const *lists[] = { criteria, granularities, scopes };
  guint found[3] = { 0, 0, 0 };
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  guint n = g_strv_length (parts);
  if (n == 0 || n > 3)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      g_strstrip (parts[i]);
      gboolean ok = FALSE;
      for (guint k = 0; lists[i][k] != NULL && !ok; k++)
        if (g_ascii_strcasecmp (parts[i], lists[i][k]) == 0)
          {
            found[i] = k;
            ok = TRUE;
          }
      if (!ok)
        return FALSE;
    }
  if (criterion) *criterion = found[0];
  if (granularity) *granularity = found[1];
  if (scope) *scope = found[2];
  return TRUE;
}

void
pl_window_set_schedule (PlWindow *self, guint kind, gint steps, gint finetune_epochs)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  gtk_drop_down_set_selected (self->schedule_dropdown, MIN (kind, 3));
  gtk_spin_button_set_value (self->schedule_steps, steps);
  gtk_spin_button_set_value (self->finetune_epochs, finetune_epochs);
}

const char *
pl_window_history_schedule (PlWindow *self, guint index)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), NULL);
  if (self->history == NULL || index >= pl_prune_history_n_steps (self->history))
    return NULL;
  return pl_prune_history_step (self->history, index)->schedule;
}

void
pl_window_set_export_options (PlWindow *self, const PlExportOptions *options)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  g_return_if_fail (options != NULL);
  pl_export_options_save (options, self->settings);
  gboolean captions_changed = options->captions != self->export_options.captions;
  self->export_options = *options;
  if (captions_changed)
    rebuild_figures (self);
}

gboolean
pl_window_export_view (PlWindow *self, const char *path, GError **error)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  PlFigureKind kind = PL_FIGURE_SALIENCY;
  pl_figure_kind_from_name (adw_view_stack_get_visible_child_name (self->view_stack), &kind);
  const PlLimeShapFigure *lime_shap = pl_lime_shap_view_get_figure (self->lime_shap_view);
  if (kind == PL_FIGURE_SHAP && lime_shap != NULL)
    return pl_export_draw_file ((PlDrawFunc) pl_lime_shap_figure_draw, lime_shap,
                                &self->export_options, path, lime_shap->title, lime_shap->caption,
                                error);
  const PlComparisonFigure *fig = pl_figure_view_get_figure (figure_view (self, kind));
  const PlTableFigure *table_fig = pl_figure_view_get_table_figure (figure_view (self, kind));
  if (fig == NULL && table_fig != NULL)
    return pl_export_draw_file (pl_table_figure_draw, table_fig, &self->export_options, path,
                                pl_table_figure_title (table_fig),
                                pl_table_figure_description (table_fig), error);
  if (fig == NULL)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, _("%s: nothing to export yet"), path);
      return FALSE;
    }
  return pl_export_draw_file (pl_comparison_figure_draw, fig, &self->export_options, path,
                              pl_comparison_figure_title (fig),
                              pl_comparison_figure_description (fig), error);
}

GtkWidget *
pl_window_get_metrics_figures (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), NULL);
  if (self->metrics_dirty)
    build_metrics_figures (self);   /* read while hidden: build them now */
  return self->metrics_figures;
}

void
pl_window_set_protected (PlWindow *self, const char *const *names)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  pl_protect_popover_set_protected (GTK_POPOVER (self->protect_popover), names);
}

GtkWidget *
pl_window_get_protect_popover (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), NULL);
  return self->protect_popover;
}

void
pl_window_open_dataset (PlWindow *self, const char *path, const char *label_column)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  g_return_if_fail (path != NULL);
  g_free (self->dataset_dir);
  self->dataset_dir = g_strdup (path);
  g_free (self->label_column);
  self->label_column = g_strdup (label_column);
  self->pending_sparsity = gtk_adjustment_get_value (self->sparsity_adjustment) / 100.0;
  start_job (self, JOB_LOAD);
}

void
pl_window_open_path (PlWindow *self, const char *path)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  g_return_if_fail (path != NULL);
  open_path (self, path);
}

gboolean
pl_window_is_table (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), FALSE);
  return is_table (self);
}

GMenuModel *
pl_window_get_recent_menu (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), NULL);
  return G_MENU_MODEL (self->recent_menu);
}

const char *
pl_window_get_recovered_session (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), NULL);
  return self->recovered_path;
}

const char *
pl_window_get_label_column (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), NULL);
  return self->label_column;
}

void
pl_window_get_pruning (PlWindow *self, guint *criterion, guint *granularity, guint *scope)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  if (criterion) *criterion = gtk_drop_down_get_selected (self->criterion_dropdown);
  if (granularity) *granularity = gtk_drop_down_get_selected (self->granularity_dropdown);
  if (scope) *scope = gtk_drop_down_get_selected (self->scope_dropdown);
}

void
pl_window_get_schedule (PlWindow *self, guint *kind, gint *steps, gint *finetune_epochs)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  if (kind) *kind = gtk_drop_down_get_selected (self->schedule_dropdown);
  if (steps) *steps = gtk_spin_button_get_value_as_int (self->schedule_steps);
  if (finetune_epochs) *finetune_epochs = gtk_spin_button_get_value_as_int (self->finetune_epochs);
}

void
pl_window_explain_cache_stats (PlWindow *self, guint *hits, guint *misses, guint *entries)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  pl_explain_cache_stats (self->explain_cache, CACHE_METHOD, hits, misses, entries);
}

GtkWidget *
pl_window_get_widget (PlWindow *self, const char *name)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  struct { const char *name; gpointer widget; } table[] = {
    { "sample-grid", self->sample_grid },
    { "sparsity-scale", self->sparsity_scale },
    { "criterion", self->criterion_dropdown },
    { "granularity", self->granularity_dropdown },
    { "scope", self->scope_dropdown },
    { "protect", self->protect_button },
    { "schedule", self->schedule_dropdown },
    { "schedule-steps", self->schedule_steps },
    { "finetune-epochs", self->finetune_epochs },
    { "apply", self->apply_button },
    { "history", self->history_button },
    { "reference", self->reference_dropdown },
    { "method", self->method_dropdown },
    { "view-switcher", self->switcher_title },
    { "view-stack", self->view_stack },
    { "metrics-scroll", self->metrics_scroll },
    { "metrics-box", self->metrics_box },
    { "lime-shap", self->lime_shap_view },
    { "sample-filter", self->filter_bar },
    { "pred-original", self->pred_original_label },
    { "rank-correlation", self->similarity_label },
  };
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (g_str_equal (table[i].name, name))
      return GTK_WIDGET (table[i].widget);
  return NULL;
}

void
pl_window_measure_latency (PlWindow *self, gboolean enable)
{
  g_return_if_fail (PL_IS_WINDOW (self));
  if (enable && self->latency_tick_id == 0)
    self->latency_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), on_latency_tick,
                                                          NULL, NULL);
  else if (!enable && self->latency_tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->latency_tick_id);
      self->latency_tick_id = 0;
    }
  self->max_gap = 0;
  self->last_tick = 0;
}

double
pl_window_get_max_gap_ms (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), 0.0);
  return self->max_gap / 1000.0;
}

gboolean
pl_window_export_all (PlWindow *self, const char *folder, const char *format)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (folder != NULL, FALSE);
  g_free (self->export_format);
  self->export_format = g_strdup (format ? format : "png");
  return export_start (self, EXPORT_ALL, folder);
}

gboolean
pl_window_export_onnx (PlWindow *self, const char *path)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  return export_start (self, EXPORT_ONNX, path);
}

gboolean
pl_window_export_report (PlWindow *self, const char *path)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  return export_start (self, EXPORT_REPORT, path);
}

GtkWidget *
pl_window_get_cost_area (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), NULL);
  return self->cost_area;
}

gint
pl_window_get_export_count (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), -1);
  return self->export_count;
}

char *
pl_window_get_autosave_path (PlWindow *self)
{
  g_return_val_if_fail (PL_IS_WINDOW (self), NULL);
  return pl_session_io_autosave_path_n (self->window_number);
}
