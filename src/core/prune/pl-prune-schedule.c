/* pl-prune-schedule.c — pruning schedules (see pl-prune-schedule.h). */
#include "prune/pl-prune-schedule.h"
#include "pl-error.h"

#include <math.h>
#include <string.h>

PlPruneSchedule *
pl_prune_schedule_new (PlScheduleKind kind)
{
  PlPruneSchedule *s = g_new0 (PlPruneSchedule, 1);
  s->kind = kind;
  s->steps = 5;
  pl_train_config_init (&s->train);
  return s;
}

void
pl_prune_schedule_free (PlPruneSchedule *schedule)
{
  if (schedule == NULL)
    return;
  g_clear_pointer (&schedule->train_data, pl_dataset_unref);
  g_clear_pointer (&schedule->rewind_weights, pl_graph_unref);
  g_free (schedule);
}

void
pl_prune_schedule_set_train_data (PlPruneSchedule *schedule, PlDataset *data, gint64 n_samples)
{
  g_return_if_fail (schedule != NULL);
  if (data != NULL)
    pl_dataset_ref (data);
  g_clear_pointer (&schedule->train_data, pl_dataset_unref);
  schedule->train_data = data;
  schedule->train_samples = n_samples;
}

void
pl_prune_schedule_set_rewind_weights (PlPruneSchedule *schedule, PlGraph *weights)
{
  g_return_if_fail (schedule != NULL);
  if (weights != NULL)
    pl_graph_ref (weights);
  g_clear_pointer (&schedule->rewind_weights, pl_graph_unref);
  schedule->rewind_weights = weights;
}

const char *
pl_prune_schedule_kind_id (PlScheduleKind kind)
{
  switch (kind)
    {
    case PL_SCHEDULE_ONE_SHOT: return "one-shot";
    case PL_SCHEDULE_ITERATIVE: return "iterative";
    case PL_SCHEDULE_POLYNOMIAL: return "polynomial";
    case PL_SCHEDULE_REWIND: return "rewind";
    default: return "unknown";
    }
}

char *
pl_prune_schedule_describe (const PlPruneSchedule *s)
{
  g_return_val_if_fail (s != NULL, NULL);
  g_autofree char *ft = s->finetune_epochs > 0
      ? g_strdup_printf ("%d epoch%s of fine-tuning", s->finetune_epochs,
                         s->finetune_epochs == 1 ? "" : "s")
      : g_strdup ("no fine-tuning");
  switch (s->kind)
    {
    case PL_SCHEDULE_ITERATIVE:
      return g_strdup_printf ("iterative, %d %s steps, %s", s->steps,
                              s->linear ? "linear" : "geometric", ft);
    case PL_SCHEDULE_POLYNOMIAL:
      return g_strdup_printf ("polynomial (Zhu & Gupta), s_i = %g, n = %d, %s per step",
                              s->initial_sparsity, s->steps, ft);
    case PL_SCHEDULE_REWIND:
      return g_strdup_printf ("lottery-ticket rewinding to %s after %d %s steps, %s",
                              s->rewind_weights ? "a checkpoint" : "the original weights",
                              s->steps, s->linear ? "linear" : "geometric", ft);
    case PL_SCHEDULE_ONE_SHOT:
    default:
      return g_strdup_printf ("one-shot, %s", ft);
    }
}

gint
pl_prune_schedule_n_steps (const PlPruneSchedule *s)
{
  g_return_val_if_fail (s != NULL, 0);
  gint k = MAX (s->steps, 1);
  switch (s->kind)
    {
    case PL_SCHEDULE_ITERATIVE: return k;
    case PL_SCHEDULE_POLYNOMIAL: return k + 1;
    case PL_SCHEDULE_REWIND: return k + 1;
    case PL_SCHEDULE_ONE_SHOT:
    default: return 1;
    }
}

double
pl_prune_schedule_sparsity (const PlPruneSchedule *s, double target, gint j)
{
  g_return_val_if_fail (s != NULL, NAN);
  gint n = pl_prune_schedule_n_steps (s);
  if (j < 0 || j >= n)
    return NAN;
  gint k = MAX (s->steps, 1);
  switch (s->kind)
    {
    case PL_SCHEDULE_ITERATIVE:
    case PL_SCHEDULE_REWIND:
      if (j >= k - 1)
        return target;
      if (s->linear)
        return target * (double) (j + 1) / (double) k;
      return 1.0 - pow (1.0 - target, (double) (j + 1) / (double) k);
    case PL_SCHEDULE_POLYNOMIAL:
      {
        if (j == k)
          return target;
        double r = 1.0 - (double) j / (double) k;
        return target + (s->initial_sparsity - target) * r * r * r;
      }
    case PL_SCHEDULE_ONE_SHOT:
    default:
      return target;
    }
}

static void
step_free (gpointer p)
{
  PlScheduleStep *s = p;
  g_clear_pointer (&s->graph, pl_graph_unref);
  g_free (s->description);
  g_free (s);
}

void
pl_schedule_result_free (PlScheduleResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->steps, g_ptr_array_unref);
  g_clear_pointer (&result->final, pl_graph_unref);
  g_free (result);
}

PlGraph *
pl_prune_rewind (const PlGraph *trained, const PlGraph *weights, GError **error)
{
  g_return_val_if_fail (trained != NULL && weights != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  g_autoptr (PlGraph) out = pl_graph_copy (trained);
  for (guint id = 0; id < out->values->len; id++)
    {
      PlValue *v = pl_graph_value (out, (gint) id);
      if (v->init == NULL)
        continue;
      gint wid = pl_graph_find_value (weights, v->name);
      const PlValue *w = wid >= 0 ? pl_graph_value (weights, wid) : NULL;
      if (w == NULL || w->init == NULL)
        {
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "The rewind weights have no initializer “%s”; they must come from "
                       "the same network", v->name);
          return NULL;
        }
      if (!pl_tensor_same_shape (w->init, v->init))
        {
          g_autofree char *a = pl_tensor_shape_string (v->init->ndim, v->init->shape);
          g_autofree char *b = pl_tensor_shape_string (w->init->ndim, w->init->shape);
          g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                       "The rewind weights' initializer “%s” has shape %s, the network's %s",
                       v->name, b, a);
          return NULL;
        }
      const PlTensor *m = v->mask;
      for (gint64 i = 0; i < v->init->numel; i++)
        v->init->data[i] = m != NULL && m->data[i] == 0.0f ? 0.0f : w->init->data[i];
    }
  return g_steal_pointer (&out);
}

/* The first n samples of a 1-channel image dataset, through the IDX reader (the only
 * public way to build a dataset); NULL with no error when not possible. */
static PlDataset *
dataset_head (const PlDataset *ds, gint64 n, GError **error)
{
  if (ds->pixels == NULL || ds->channels != 1 || n <= 0 || n >= ds->n || ds->height <= 0
      || ds->width <= 0 || ds->height > G_MAXINT32 || ds->width > G_MAXINT32)
    return NULL;
  gsize npix = (gsize) ds->height * (gsize) ds->width;
  gsize ilen = 16 + (gsize) n * npix, llen = 8 + (gsize) n;
  g_autofree guint8 *img = g_malloc (ilen);
  g_autofree guint8 *lab = g_malloc (llen);
  guint32 ih[4] = { GUINT32_TO_BE (0x00000803), GUINT32_TO_BE ((guint32) n),
                    GUINT32_TO_BE ((guint32) ds->height), GUINT32_TO_BE ((guint32) ds->width) };
  guint32 lh[2] = { GUINT32_TO_BE (0x00000801), GUINT32_TO_BE ((guint32) n) };
  memcpy (img, ih, 16);
  memcpy (img + 16, ds->pixels, (gsize) n * npix);
  memcpy (lab, lh, 8);
  memcpy (lab + 8, ds->labels, (gsize) n);
  return pl_dataset_load_idx_data (img, ilen, lab, llen, error);
}

typedef struct {
  double loss, accuracy;
} EpochInfo;

static void
on_epoch (gint epoch, double loss, double accuracy, gpointer user_data)
{
  EpochInfo *e = user_data;
  e->loss = loss;
  e->accuracy = accuracy;
}

PlScheduleResult *
pl_prune_schedule_run (PlGraph *original, const PlPruneConfig *config,
                       const PlPruneSchedule *schedule, double target, PlPruneHistory *history,
                       const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (original != NULL, NULL);
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (schedule != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!(target >= 0.0 && target <= 1.0))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The target sparsity %g is outside [0, 1]", target);
      return NULL;
    }
  if (schedule->steps < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "A pruning schedule needs at least 1 step (got %d)", schedule->steps);
      return NULL;
    }
  if (schedule->kind == PL_SCHEDULE_POLYNOMIAL
      && !(schedule->initial_sparsity >= 0.0 && schedule->initial_sparsity <= 1.0))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The initial sparsity s_i = %g of the polynomial schedule is outside [0, 1]",
                   schedule->initial_sparsity);
      return NULL;
    }
  if (schedule->finetune_epochs > 0 && schedule->train_data == NULL)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "Fine-tuning for %d epochs needs training data", schedule->finetune_epochs);
      return NULL;
    }
  if (schedule->finetune_epochs < 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "The number of fine-tuning epochs must be 0 or more (got %d)",
                   schedule->finetune_epochs);
      return NULL;
    }

  g_autoptr (PlDataset) train = NULL;
  if (schedule->finetune_epochs > 0)
    {
      GError *local = NULL;
      train = dataset_head (schedule->train_data, schedule->train_samples, &local);
      if (local != NULL)
        {
          g_propagate_error (error, local);
          return NULL;
        }
      if (train == NULL)
        train = pl_dataset_ref (schedule->train_data);
    }

  gint n_steps = pl_prune_schedule_n_steps (schedule);
  g_autoptr (PlScheduleResult) result = g_new0 (PlScheduleResult, 1);
  result->steps = g_ptr_array_new_with_free_func (step_free);
  g_autoptr (PlGraph) current = pl_graph_ref (original);

  for (gint j = 0; j < n_steps; j++)
    {
      if (pl_progress_cancelled (progress, error))
        return NULL;
      double s = pl_prune_schedule_sparsity (schedule, target, j);
      gboolean rewind_step = schedule->kind == PL_SCHEDULE_REWIND && j == n_steps - 1;
      double share = 1.0 / n_steps;
      double prune_part = schedule->finetune_epochs > 0 ? 0.1 : 1.0;
      PlProgress pp = pl_progress_sub (progress, j * share, (j + prune_part) * share);
      g_autofree char *msg = g_strdup_printf ("Step %d of %d: %s to sparsity %.4f", j + 1,
                                              n_steps, rewind_step ? "rewinding" : "pruning",
                                              s);
      pl_progress_report (&pp, 0.0, msg);
      g_autoptr (PlGraph) next = NULL;
      if (rewind_step)
        next = pl_prune_rewind (current, schedule->rewind_weights ? schedule->rewind_weights
                                                                  : original, error);
      else
        next = pl_prune_apply (current, config, s, &pp, error);
      if (next == NULL)
        return NULL;

      EpochInfo info = { NAN, NAN };
      if (schedule->finetune_epochs > 0)
        {
          PlTrainConfig tc = schedule->train;
          tc.epochs = schedule->finetune_epochs;
          tc.seed = schedule->train.seed + (guint64) j;
          PlProgress tp = pl_progress_sub (progress, (j + prune_part) * share, (j + 1) * share);
          if (!pl_train_classifier (next, train, &tc, on_epoch, &info, &tp, error))
            return NULL;
        }

      PlScheduleStep *st = g_new0 (PlScheduleStep, 1);
      st->index = j;
      st->target_sparsity = s;
      st->achieved_sparsity = pl_graph_weight_sparsity (next);
      st->epochs = schedule->finetune_epochs;
      st->train_loss = info.loss;
      st->train_accuracy = info.accuracy;
      st->graph = pl_graph_ref (next);
      const char *kind = pl_prune_schedule_kind_id (schedule->kind);
      if (rewind_step)
        st->description = g_strdup_printf ("rewind step %d/%d: %s ⊙ final mask, %d epoch%s",
                                           j + 1, n_steps,
                                           schedule->rewind_weights ? "checkpoint weights"
                                                                    : "original weights",
                                           st->epochs, st->epochs == 1 ? "" : "s");
      else if (config->granularity == PL_PRUNE_GRANULARITY_NM)
        st->description = g_strdup_printf ("%s step %d/%d: %d:%d pattern, %d epoch%s", kind,
                                           j + 1, n_steps, config->nm_n, config->nm_m,
                                           st->epochs, st->epochs == 1 ? "" : "s");
      else
        st->description = g_strdup_printf ("%s step %d/%d: sparsity %.4f, %d epoch%s", kind,
                                           j + 1, n_steps, s, st->epochs,
                                           st->epochs == 1 ? "" : "s");
      g_ptr_array_add (result->steps, st);
      if (history != NULL)
        {
          guint idx = pl_prune_history_push (history, config, s, next);
          g_autofree char *d = schedule->finetune_epochs > 0
              ? g_strdup_printf ("%s (fine-tuning seed %" G_GUINT64_FORMAT ")", st->description,
                                 schedule->train.seed + (guint64) j)
              : g_strdup (st->description);
          pl_prune_history_set_info (history, idx, config->seed, d);
        }
      g_clear_pointer (&current, pl_graph_unref);
      current = g_steal_pointer (&next);
    }
  result->final = g_steal_pointer (&current);
  pl_progress_report (progress, 1.0, NULL);
  return g_steal_pointer (&result);
}
