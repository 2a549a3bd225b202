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
/* g_get_user_state_dir ()/prunelens/autosave.prunelens (newly allocated). */
char *pl_session_io_autosave_path (void);
/* The autosave of a session that did not end cleanly, moved aside to
 * …/prunelens/recovered.prunelens so that this session's autosaves do not overwrite it;
 * NULL when there is none. */
char *pl_session_io_take_autosave (void);

G_END_DECLS
