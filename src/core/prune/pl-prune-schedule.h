/* pl-prune-schedule.h — pruning schedules: one-shot, iterative, gradual polynomial and
 * lottery-ticket rewinding, each step optionally followed by fine-tuning.
 *
 * Every step prunes the previous step's graph with pl_prune_apply (so masks of earlier
 * steps are kept and count towards the new target) to the step's sparsity s_j, then, when
 * finetune_epochs E > 0, fine-tunes it for E epochs with pl_train_classifier (masked
 * weights stay exactly zero). Sparsity targets, j = 1 … k:
 *   ONE_SHOT    one step to the target s_f (k = 1).
 *   ITERATIVE   k steps; geometric (default): the kept share shrinks by a constant factor,
 *               s_j = 1 − (1 − s_f)^(j/k) (Han et al., NeurIPS 2015, iterative pruning;
 *               the same ratio per step); linear: s_j = s_f · j / k. s_k = s_f exactly.
 *   POLYNOMIAL  gradual pruning (Zhu & Gupta, "To prune, or not to prune", 2017, eq. 1):
 *               s_t = s_f + (s_i − s_f)(1 − (t − t0)/(n Δt))^3 for t = t0, t0 + Δt, …,
 *               t0 + n Δt, here with t0 = 0 and Δt = one fine-tuning round of E epochs:
 *               the pruning points are per epoch (E = 1) or per E epochs, not per
 *               minibatch (pl_train_classifier has no per-minibatch hook). So there are
 *               n + 1 steps t = 0 … n, the first at s_i, the last at s_f.
 *   REWIND      lottery-ticket rewinding (Frankle & Carbin, "The Lottery Ticket Hypothesis",
 *               ICLR 2019): k iterative steps (as ITERATIVE, with their fine-tuning) find
 *               the final mask; then every initializer is reset to the rewind weights
 *               (rewind_weights, a checkpoint of the same network — e.g. its initial or an
 *               early-training state, Frankle et al. 2020 — or, when NULL, the original
 *               graph's weights) and multiplied by its final mask; E epochs of
 *               fine-tuning (re-training) follow. That is one more step (k + 1 in all).
 * With scope and protection as in config; granularity NM ignores the sparsity (every step
 * gives the n:m pattern). Randomness: config->seed for RANDOM scores; fine-tuning of step j
 * (1-based) uses train.seed + j − 1; same seeds and thread count give the same weights.
 */
#pragma once

#include <glib.h>
#include "prune/pl-prune.h"
#include "train/pl-train.h"

G_BEGIN_DECLS

typedef enum {
  PL_SCHEDULE_ONE_SHOT,
  PL_SCHEDULE_ITERATIVE,
  PL_SCHEDULE_POLYNOMIAL,
  PL_SCHEDULE_REWIND,
} PlScheduleKind;

typedef struct {
  PlScheduleKind kind;
  gint steps;               /* k (ITERATIVE, REWIND) or n (POLYNOMIAL); default 5 */
  gboolean linear;          /* ITERATIVE / REWIND: linear instead of geometric steps */
  double initial_sparsity;  /* POLYNOMIAL s_i, default 0 */
  gint finetune_epochs;     /* E, default 0 (no fine-tuning) */
  PlTrainConfig train;      /* fine-tuning settings (its epochs field is ignored) */
  PlDataset *train_data;    /* owned reference; needed when E > 0 */
  gint64 train_samples;     /* fine-tune on the first N samples (≤ 0: all; only for
                             * 1-channel image datasets, otherwise all are used) */
  PlGraph *rewind_weights;  /* owned reference; REWIND checkpoint (NULL: the original) */
} PlPruneSchedule;

/* Defaults: ONE_SHOT, 5 steps, geometric, s_i = 0, E = 0, pl_train_config_init. */
PlPruneSchedule *pl_prune_schedule_new (PlScheduleKind kind);
void pl_prune_schedule_free (PlPruneSchedule *schedule);
void pl_prune_schedule_set_train_data (PlPruneSchedule *schedule, PlDataset *data,
                                       gint64 n_samples);
void pl_prune_schedule_set_rewind_weights (PlPruneSchedule *schedule, PlGraph *weights);
/* "one-shot", "iterative", "polynomial", "rewind". */
const char *pl_prune_schedule_kind_id (PlScheduleKind kind);
/* A short description, e.g. "iterative, 5 geometric steps, 1 epoch of fine-tuning". */
char *pl_prune_schedule_describe (const PlPruneSchedule *schedule);

/* Number of pruning steps the schedule makes: 1, k, n + 1, or k + 1 (the rewind). */
gint pl_prune_schedule_n_steps (const PlPruneSchedule *schedule);
/* Target sparsity of step j (0-based, 0 ≤ j < n_steps) towards target (formulas above;
 * the rewind step has the target). NaN when j is out of range. */
double pl_prune_schedule_sparsity (const PlPruneSchedule *schedule, double target, gint j);

typedef struct {
  gint index;               /* 0-based */
  double target_sparsity;   /* s_j */
  double achieved_sparsity; /* pl_graph_weight_sparsity of graph (all prunable weights) */
  gint epochs;              /* fine-tuning epochs after pruning */
  double train_loss;        /* of the last fine-tuning epoch, NaN without fine-tuning */
  double train_accuracy;    /* idem */
  PlGraph *graph;           /* the network after this step (and its fine-tuning) */
  char *description;        /* e.g. "iterative step 2/5: sparsity 0.6838, 1 epoch" */
} PlScheduleStep;

typedef struct {
  GPtrArray *steps;         /* of PlScheduleStep *, in order */
  PlGraph *final;           /* reference to the last step's graph */
} PlScheduleResult;

/* Runs schedule on a copy of original (never modified) towards target in [0, 1]. When
 * history is given, every step is pushed (config, s_j, graph) with its seed and
 * description (pl_prune_history_set_info). Progress: equal shares per step; cancellable
 * between and inside steps. Errors: PL_ERROR_INVALID (target outside [0, 1], steps < 1,
 * s_i outside [0, 1], fine-tuning without training data, rewind weights missing an
 * initializer of the network or with another shape — named), errors of pl_prune_apply and
 * pl_train_classifier, G_IO_ERROR_CANCELLED. */
PlScheduleResult *pl_prune_schedule_run (PlGraph *original, const PlPruneConfig *config,
                                         const PlPruneSchedule *schedule, double target,
                                         PlPruneHistory *history, const PlProgress *progress,
                                         GError **error);
void pl_schedule_result_free (PlScheduleResult *result);

/* The rewinding of trained (a pruned graph with masks) onto weights: a copy of trained
 * whose every initializer is weights' initializer of the same name times trained's mask
 * (where there is one). Errors: PL_ERROR_INVALID naming an initializer missing from
 * weights or of another shape. */
PlGraph *pl_prune_rewind (const PlGraph *trained, const PlGraph *weights, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlPruneSchedule, pl_prune_schedule_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlScheduleResult, pl_schedule_result_free)

G_END_DECLS
