/* pl-recipe.h — recipes: the one JSON file format for saved sessions (.prunelens) and for
 * report recipes (prunelens-cli report RECIPE.json).
 *
 * A recipe names a model (path and SHA-256), a dataset, the pruning steps applied one
 * after the other (the session history), the explanation methods with their parameters,
 * the inputs to explain, the figures to draw, the sparsities of a sweep and display
 * settings. Format (version 2; every key optional except "format" and "version"):
 *
 *   {
 *     "format": "prunelens-recipe", "version": 2,
 *     "title": "Fashion demo", "date": "2026-01-01T00:00:00Z",
 *     "model": { "path": "../models/fashion-cnn.onnx", "sha256": "<64 hex digits>" },
 *     "dataset": { "path": "…", "kind": "idx" | "csv" | "png-folder" | "auto",
 *                  "split": "test" | "train", "label_column": "species" },
 *     "n_eval": 500,
 *     "steps": [ { "criterion": "magnitude" | "random" | "taylor" | "l1" | "l2",
 *                  "granularity": "unstructured" | "nm" | "channels",
 *                  "scope": "global" | "layerwise", "n": 2, "m": 4,
 *                  "protected": ["conv1"]  (absent or null: default protection),
 *                  "overrides": { "fc1": 0.9 }, "sparsity": 0.5, "seed": 1,
 *                  "calibration_samples": 64,
 *                  "schedule": "one-shot", "schedule_steps": 1, "finetune_epochs": 0 } ],
 *     "current_step": 1,
 *     "explanations": [ { "method": "saliency", "grid": 4, "shap_budget": 0, "seed": 1,
 *                         "baseline": 0.0, "topk_fraction": 0.1 } ],
 *     "inputs": [0, 1, 2],
 *     "figures": [ { "kind": "saliency", "step": -1, "input": 0, "method": "saliency" } ],
 *     "sweep": { "sparsities": [0, 0.5, 0.9], "n_bootstrap": 200, "seed": 1 },
 *     "settings": { "colormap": "viridis", "captions": true, "width_cm": 16, "dpi": 150 }
 *   }
 *
 * Step numbers (version 2, as in the report's PDF, CSV, JSON and figure names): step 0 is
 * the original network, step k the network after the k-th entry of "steps". "current_step"
 * is 0 .. len(steps); a figure's "step" is 0 .. len(steps), or -1 (default) for the last
 * step. Version 1 files (still read; their meaning kept) numbered differently: a figure's
 * "step" was the 0-based index into "steps" (0 = the first pruning step, -1 = the last) and
 * "current_step" -1 = the original, i = steps[i]. Files are written as version 2. In memory
 * (below) the fields keep the 0-based index into steps.
 *
 * Relative paths are relative to the folder of the recipe file (pl_recipe_resolve_path).
 * Unknown keys are accepted with a warning (appended to PlRecipe.warnings), so that files
 * written by newer versions still open. A file of a newer format version is refused.
 *
 * Errors name the file and the JSON path of the offending value, for example
 * "demo.json: steps[2].sparsity: expected a number in [0, 1]". All errors are PL_ERROR:
 * PL_ERROR_IO (unreadable / unwritable file), PL_ERROR_PARSE (not JSON, wrong types or
 * values), PL_ERROR_UNSUPPORTED (newer format version).
 *
 * Model hash: loading never reads the model. pl_recipe_check_model compares the model
 * file's SHA-256 with the stored one; a mismatch is an ERROR (PL_ERROR_INVALID) because a
 * recipe is meant to reproduce numbers — callers that want to continue anyway (the
 * workbench) may show the message as a warning and call pl_recipe_set_model.
 */
#pragma once

#include <glib.h>
#include "prune/pl-prune.h"
#include "session/pl-session.h"

G_BEGIN_DECLS

#define PL_RECIPE_FORMAT "prunelens-recipe"
#define PL_RECIPE_VERSION 2   /* 2 (session 3): step numbers as in the report, see above */

/* Limits enforced by the reader (larger values are PL_ERROR_PARSE). */
#define PL_RECIPE_MAX_ITEMS 100000   /* entries of any array */
/* Schedules (steps[].schedule_steps / finetune_epochs and the same keys of "workbench"):
 * the limits of the workbench's pruning panel. The workbench re-runs such steps when it
 * opens a session; a step of k pruning rounds with e fine-tuning epochs costs about
 * k × (1 + e) passes over the evaluated data, so 20 × 51 passes per step at most. */
#define PL_RECIPE_MAX_SCHEDULE_STEPS 20
#define PL_RECIPE_MAX_FINETUNE_EPOCHS 50

/* One pruning step. The step is applied to the ORIGINAL network with config and sparsity
 * (pl_prune_step_run_config): steps are the session's history, each one a configuration
 * the user tried, not a cumulative chain. */
typedef struct {
  PlPruneConfig *config;       /* owned; criterion, seed, granularity, n:m, scope, protected
                                * layers, overrides, calibration_samples (no dataset) */
  double sparsity;             /* target, in [0, 1] */
  char *schedule;              /* NULL or "one-shot" / "linear" / "cubic", or (the workbench's
                                * schedules, pl_prune_schedule_kind_id) "iterative" /
                                * "polynomial" / "rewind" (stored, not run by the report;
                                * the workbench re-runs them when it opens the session) */
  gint schedule_steps;         /* 1 .. PL_RECIPE_MAX_SCHEDULE_STEPS (default 1) */
  gint finetune_epochs;        /* 0 .. PL_RECIPE_MAX_FINETUNE_EPOCHS (default 0; stored,
                                * not run by the report) */
} PlRecipeStep;

/* PlRecipeFigure.step of a figure of the original network (file version 2: "step": 0). */
#define PL_RECIPE_STEP_ORIGINAL (-2)

/* Figure kinds a recipe can ask for. */
typedef enum {
  PL_RECIPE_FIGURE_SALIENCY,    /* comparison figure: maps original vs pruned (+ diff) */
  PL_RECIPE_FIGURE_FEATURES,    /* patch-sum bars, original vs pruned */
  PL_RECIPE_FIGURE_SHAP,        /* KernelSHAP per patch, original vs pruned */
  PL_RECIPE_FIGURE_SWEEP,       /* accuracy / similarity curves over the sweep sparsities */
  PL_RECIPE_FIGURE_FILMSTRIP,   /* one input's map across the sweep sparsities */
  PL_RECIPE_FIGURE_CONFUSION,   /* confusion matrix of a step */
  PL_RECIPE_FIGURE_HISTOGRAM,   /* weight magnitude histogram of a step */
  PL_RECIPE_N_FIGURE_KINDS
} PlRecipeFigureKind;

const char *pl_recipe_figure_kind_id (PlRecipeFigureKind kind);  /* "saliency", "features"… */
gboolean pl_recipe_figure_kind_from_id (const char *id, PlRecipeFigureKind *kind);

typedef struct {
  PlRecipeFigureKind kind;
  gint step;                   /* index into steps; -1 (default): the last step;
                                * PL_RECIPE_STEP_ORIGINAL: the original network */
  gint64 input;                /* dataset index; -1 (default): the first of inputs */
  PlMapMethod method;          /* default: the first explanation's method */
  gboolean method_set;         /* method was given in the file */
} PlRecipeFigure;

typedef struct {
  int version;                 /* format version read (PL_RECIPE_VERSION when written) */
  char *title;                 /* may be NULL */
  char *date;                  /* ISO 8601 or NULL; used for the report's PDF dates */

  char *model_path;            /* as written (may be relative) */
  char *model_sha256;          /* 64 lowercase hex digits or NULL */

  char *dataset_path;          /* NULL: the default Fashion-MNIST */
  char *dataset_kind;          /* NULL / "auto", "idx", "csv", "png-folder" (informational:
                                * pl_dataset_open decides by the path) */
  char *dataset_split;         /* NULL / "test" (default), "train" */
  char *label_column;          /* CSV: column name or 0-based index as text; NULL: last */
  gint64 n_eval;               /* evaluation subset size; ≤ 0: whole dataset (default 1000) */

  GPtrArray *steps;            /* of PlRecipeStep * (owned) */
  gint current_step;           /* session: selected step, -1 = the original; after loading
                                * always in [-1, steps->len); pl_recipe_new sets -2 = "the
                                * last step" (then not written) */

  GArray *explanations;        /* of PlComparisonOptions */
  GArray *inputs;              /* of gint64 dataset indices */
  GArray *figures;             /* of PlRecipeFigure */

  GArray *sweep_sparsities;    /* of double in [0, 1]; empty: no sweep */
  gint sweep_bootstrap;        /* default 200 */
  guint64 sweep_seed;          /* default 1 */

  char *colormap;              /* NULL: default ("viridis") */
  gboolean captions;           /* default TRUE */
  double width_cm;             /* figure width, default 16 */
  double dpi;                  /* PNG resolution, default 150 */

  /* Added (session 3): the workbench's pruning panel when the session was saved, key
   * "workbench": { "criterion": "l1", "granularity": "nm", "scope": "global",
   * "protected": ["conv1"] | null, "schedule": "iterative", "schedule_steps": 3,
   * "finetune_epochs": 1 }. Ignored by the report. */
  gboolean panel_set;          /* the key was present / is to be written */
  gint panel_criterion;        /* index of criterion_ids (magnitude, random, taylor, l1, l2) */
  gint panel_granularity;      /* unstructured, nm, channels */
  gint panel_scope;            /* global, layerwise */
  char **panel_protected;      /* NULL: the unedited default protection; owned */
  char *panel_schedule;        /* NULL or a pl_prune_schedule_kind_id */
  gint panel_schedule_steps;   /* 1 .. PL_RECIPE_MAX_SCHEDULE_STEPS (default 1) */
  gint panel_finetune_epochs;  /* 0 .. PL_RECIPE_MAX_FINETUNE_EPOCHS */

  char *base_dir;              /* folder relative paths are resolved against; NULL: cwd */
  char *source_name;           /* added (session 3): the name used in messages when it was
                                * loaded (the file's path for pl_recipe_load_file), or NULL */
  GPtrArray *warnings;         /* of char *: unknown keys etc. found when loading */
} PlRecipe;

/* An empty recipe with the defaults above (no steps, explanations, inputs or figures). */
PlRecipe *pl_recipe_new (void);
void pl_recipe_free (PlRecipe *recipe);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlRecipe, pl_recipe_free)

/* A new step holding a copy of config (NULL: pl_prune_config_new defaults). */
PlRecipeStep *pl_recipe_step_new (const PlPruneConfig *config, double sparsity);
void pl_recipe_step_free (PlRecipeStep *step);
/* Appends a step (takes ownership). */
void pl_recipe_add_step (PlRecipe *recipe, PlRecipeStep *step);

/* Reads a recipe file; base_dir is set to the file's folder. Errors as above. */
PlRecipe *pl_recipe_load_file (const char *path, GError **error);
/* Parses a recipe from memory (length -1: NUL-terminated); name is used in messages
 * (NULL: "recipe"), base_dir may be NULL. Never crashes on any bytes (fuzzed). */
PlRecipe *pl_recipe_load_data (const char *data, gssize length, const char *name,
                               const char *base_dir, GError **error);
/* Serialises to pretty-printed JSON (UTF-8, trailing newline). Free with g_free. */
char *pl_recipe_to_data (const PlRecipe *recipe, gsize *length);
/* Writes atomically (temporary file in the same folder, then rename: a crash leaves the
 * old or the new file, never a partial one). Errors: PL_ERROR_IO naming path. */
gboolean pl_recipe_save_file (const PlRecipe *recipe, const char *path, GError **error);

/* path resolved against recipe->base_dir when relative. Free with g_free. */
char *pl_recipe_resolve_path (const PlRecipe *recipe, const char *path);
/* The model path resolved (the default model when model_path is NULL). */
char *pl_recipe_model_file (const PlRecipe *recipe);

/* SHA-256 of a file as 64 lowercase hex digits (GChecksum). Errors: PL_ERROR_IO. */
char *pl_file_sha256 (const char *path, GError **error);
/* Sets model_path (as given) and model_sha256 (of the file; error if unreadable). */
gboolean pl_recipe_set_model (PlRecipe *recipe, const char *path, GError **error);
/* Checks that the model file exists and, when model_sha256 is set, that its hash matches.
 * Errors: PL_ERROR_IO (missing / unreadable), PL_ERROR_INVALID ("…: the model file has
 * changed since the recipe was saved (SHA-256 … expected …)"). */
gboolean pl_recipe_check_model (const PlRecipe *recipe, GError **error);

/* An example recipe (the text printed by prunelens-cli report --example). Static. */
const char *pl_recipe_example (void);

G_END_DECLS
