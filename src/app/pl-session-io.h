/* pl-session-io.h — a workbench session as a recipe (.prunelens, session/pl-recipe.h).
 *
 * Saved: the model path (absolute) and SHA-256, the dataset folder, the evaluation subset
 * size, every applied pruning step of the history (configuration and target sparsity; a
 * step is the original network pruned with them, so reopening recomputes the same
 * networks), the current step, the attribution method with its parameters, the selected
 * sample and the shown view (as the first figure when it is a figure view; "model" and
 * "metrics" are not recipe figures and open on the Saliency view). The window adds (session
 * 3) a table's label column, each step's schedule (kind, steps k, fine-tuning epochs; such
 * steps are re-run on their schedule when the session opens) and the pruning panel as it
 * was (drop-downs, protected layers or the unedited default, schedule): the recipe's
 * "workbench" key. */
#pragma once

#include <glib.h>
#include "session/pl-recipe.h"

G_BEGIN_DECLS

/* The recipe of a session. history steps 1… become the recipe's steps (a NULL
 * configuration, the workbench's default, is written as global unstructured magnitude
 * pruning with no protected layer); current is the history's current index. */
PlRecipe *pl_session_io_build (const char *model_path, const char *model_sha256,
                               const char *dataset_dir, gint64 n_eval,
                               const PlPruneHistory *history, guint current,
                               const PlComparisonOptions *options, gint64 index,
                               const char *view);
/* The view to show for a recipe (its first figure's kind), or NULL. */
const char *pl_session_io_view (const PlRecipe *recipe);
/* This workbench's autosave: g_get_user_state_dir ()/prunelens/autosave-TOKEN.prunelens
 * (newly allocated), TOKEN drawn at random once per process, which holds an exclusive
 * flock on autosave-TOKEN.lock while it runs (so two workbenches never share a file, also
 * in pid namespaces). */
char *pl_session_io_autosave_path (void);
/* Added (session 6): the autosave of this workbench's window number n (n ≥ 1; window 1's is
 * pl_session_io_autosave_path (), window n's autosave-TOKEN-n.prunelens), so that two
 * windows of one process never write the same file. pl_session_io_window_number () numbers
 * the windows 1, 2, 3… in the order they are made, never reusing a number (a closed
 * window's unrestored recovery keeps its file). */
char *pl_session_io_autosave_path_n (guint n);
guint pl_session_io_window_number (void);
/* Added (session 5): at a clean exit, removes this workbench's lock file and drops its lock
 * (its autosave, if one was kept, is then offered to the next start). Nothing autosaves
 * afterwards in this process: call it last. */
void pl_session_io_release_lock (void);
/* The newest autosave (or unrestored recovery) with steps, of a workbench that is no longer
 * running (its lock is free: it crashed, was killed, or was closed keeping unsaved steps;
 * also the older names autosave.prunelens and autosave-PID.prunelens), moved to this
 * workbench's …/prunelens/recovered-TOKEN.prunelens so that nothing else takes it; NULL
 * when there is none. Empty sessions of workbenches that are gone are deleted. */
char *pl_session_io_take_autosave (void);
/* Added (session 6): as pl_session_io_take_autosave, moved to window n's own
 * recovered-TOKEN[-n].prunelens (two windows taking one each never overwrite each other). */
char *pl_session_io_take_autosave_n (guint n);

/* Added (session 3): memory the workbench allows a session's recomputed steps (each step
 * keeps a pruned copy of the model: 4 bytes per parameter plus a 4-byte mask entry per
 * prunable weight), and the most steps a session may have. */
#define PL_SESSION_MAX_STEP_BYTES ((gint64) 1 << 30)
#define PL_SESSION_MAX_STEPS 1000

/* Added (session 3): checks a session recipe against its loaded model before the window
 * takes anything over: every name of the "workbench" key's protected layers must be a
 * prunable layer of graph, and so must every steps[].protected name (errors naming the
 * file, key and layer),
 * and the steps must fit PL_SESSION_MAX_STEPS and PL_SESSION_MAX_STEP_BYTES (error saying
 * what a step costs). Sets *history_cap to the history size the session needs (at least
 * the workbench's default of 32, so no step is dropped). Errors: PL_ERROR_INVALID,
 * PL_ERROR_TOO_LARGE. */
gboolean pl_session_io_check (const PlRecipe *recipe, const PlGraph *graph,
                              guint *history_cap, GError **error);
/* Added (session 3): bytes one step of the history keeps for graph (see above). */
gint64 pl_session_io_step_bytes (const PlGraph *graph);

G_END_DECLS
