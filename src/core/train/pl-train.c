/* pl-train.c — softmax cross-entropy training with Adam or SGD + momentum. */
#include <string.h>
#include <math.h>
#include "train/pl-train.h"
#include "exec/pl-executor.h"
#include "pl-error.h"

void
pl_train_config_init (PlTrainConfig *config)
{
  g_return_if_fail (config != NULL);
  memset (config, 0, sizeof *config);
  config->epochs = 3;
  config->batch_size = 64;
  config->learning_rate = 1e-3;
  config->momentum = 0.9;
  config->weight_decay = 0.0;
  config->optimizer = PL_OPTIMIZER_ADAM;
  config->seed = 1;
  config->loss = PL_LOSS_CROSS_ENTROPY;
  config->lr_schedule = PL_LR_CONSTANT;
  config->step_size = 10;
  config->gamma = 0.1;
  config->lr_min = 0.0;
  config->validation_fraction = 0.0;
  config->patience = 0;
  config->min_delta = 0.0;
  config->restore_best = TRUE;
  config->update_batchnorm_stats = FALSE;
  config->batchnorm_momentum = 0.1;
}

double
pl_train_learning_rate (const PlTrainConfig *config, gint epoch)
{
  g_return_val_if_fail (config != NULL, 0.0);
  switch (config->lr_schedule)
    {
    case PL_LR_STEP:
      return config->learning_rate
             * pow (config->gamma, (double) (epoch / MAX (config->step_size, 1)));
    case PL_LR_COSINE:
      if (config->epochs <= 0)
        return config->learning_rate;
      return config->lr_min + (config->learning_rate - config->lr_min)
                              * (1.0 + cos (G_PI * (double) epoch / config->epochs)) / 2.0;
    case PL_LR_CONSTANT:
    default:
      return config->learning_rate;
    }
}

static guint64
splitmix64 (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* Uniform in [0, n) by rejection (no modulo bias). */
static guint64
rand_below (guint64 *state, guint64 n)
{
  guint64 limit = G_MAXUINT64 - G_MAXUINT64 % n;
  guint64 r;
  do
    r = splitmix64 (state);
  while (r >= limit);
  return r % n;
}

typedef struct {
  gint id;
  PlTensor *w;          /* borrowed: the graph's initializer */
  const PlTensor *mask; /* borrowed, may be NULL */
  float *m, *v;         /* optimiser state */
} Param;

/* Loss and d loss / d logits for softmax cross-entropy averaged over the batch.
 * Returns the summed loss; *correct counts argmax hits. */
static double
softmax_xent (const PlTensor *logits, const guint8 *labels, PlTensor *grad, gint *correct)
{
  gint64 B = logits->shape[0], K = logits->shape[1];
  double total = 0.0;
  for (gint64 i = 0; i < B; i++)
    {
      const float *z = logits->data + i * K;
      float *g = grad->data + i * K;
      float mx = z[0];
      for (gint64 k = 1; k < K; k++)
        mx = MAX (mx, z[k]);
      double s = 0.0;
      for (gint64 k = 0; k < K; k++)
        s += exp ((double) z[k] - mx);
      double lse = mx + log (s);
      total += lse - z[labels[i]];
      for (gint64 k = 0; k < K; k++)
        g[k] = (float) ((exp ((double) z[k] - lse) - (k == labels[i] ? 1.0 : 0.0)) / B);
      if (pl_tensor_argmax (z, K) == labels[i])
        (*correct)++;
    }
  return total;
}

static void
shuffle (gint64 *a, gint64 n, guint64 *rng)
{
  for (gint64 i = n - 1; i > 0; i--)
    {
      gint64 j = (gint64) rand_below (rng, (guint64) i + 1);
      gint64 t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
}

static int
cmp_i64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

gboolean
pl_train_split (gint64 n, const guint8 *labels, gint n_classes, double fraction,
                guint64 seed, gint64 **train_out, gint64 *n_train_out, gint64 **val_out,
                gint64 *n_val_out, GError **error)
{
  g_return_val_if_fail (n >= 0, FALSE);
  g_return_val_if_fail (train_out != NULL && val_out != NULL, FALSE);
  g_return_val_if_fail (n_train_out != NULL && n_val_out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!(fraction >= 0.0 && fraction < 1.0))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "the validation fraction must be in [0, 1), got %g", fraction);
      return FALSE;
    }
  gint64 n_val = (gint64) floor (fraction * (double) n + 0.5);
  if (fraction > 0.0 && n_val == 0 && n >= 2)
    n_val = 1;
  if (n - n_val < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "a validation fraction of %g leaves no sample of %" G_GINT64_FORMAT
                   " to train on", fraction, n);
      return FALSE;
    }
  /* A generator of its own, so that the minibatch order does not depend on the split. */
  guint64 rng = seed ^ G_GUINT64_CONSTANT (0x5851F42D4C957F2D);
  splitmix64 (&rng);
  gboolean *is_val = g_new0 (gboolean, MAX (n, 1));
  if (labels != NULL && n_classes > 0 && n_val > 0)
    {
      gint K = n_classes;
      gint64 *count = g_new0 (gint64, K), *take = g_new0 (gint64, K);
      double *rem = g_new0 (double, K);
      for (gint64 i = 0; i < n; i++)
        if (labels[i] < K)
          count[labels[i]]++;
      gint64 given = 0;
      for (gint c = 0; c < K; c++)
        {
          double q = fraction * (double) count[c];
          take[c] = (gint64) floor (q);
          rem[c] = q - (double) take[c];
          given += take[c];
        }
      /* largest remainders first (ties: lower class), then anyone with room */
      while (given < n_val)
        {
          gint best = -1;
          for (gint c = 0; c < K; c++)
            if (take[c] < count[c] && (best < 0 || rem[c] > rem[best]))
              best = c;
          if (best < 0)
            break;
          take[best]++;
          rem[best] = -1.0;
          given++;
        }
      gint64 *idx = g_new (gint64, MAX (n, 1));
      for (gint c = 0; c < K; c++)
        {
          gint64 m = 0;
          for (gint64 i = 0; i < n; i++)
            if (labels[i] == c)
              idx[m++] = i;
          shuffle (idx, m, &rng);
          for (gint64 k = 0; k < take[c] && k < m; k++)
            is_val[idx[k]] = TRUE;
        }
      n_val = given;
      g_free (idx);
      g_free (count);
      g_free (take);
      g_free (rem);
    }
  else if (n_val > 0)
    {
      gint64 *idx = g_new (gint64, n);
      for (gint64 i = 0; i < n; i++)
        idx[i] = i;
      shuffle (idx, n, &rng);
      for (gint64 k = 0; k < n_val; k++)
        is_val[idx[k]] = TRUE;
      g_free (idx);
    }
  gint64 *tr = g_new (gint64, MAX (n - n_val, 1)), *va = g_new (gint64, MAX (n_val, 1));
  gint64 nt = 0, nv = 0;
  for (gint64 i = 0; i < n; i++)
    if (is_val[i])
      va[nv++] = i;
    else
      tr[nt++] = i;
  g_free (is_val);
  qsort (tr, nt, sizeof (gint64), cmp_i64);  /* already ascending; kept explicit */
  *train_out = tr;
  *n_train_out = nt;
  *val_out = va;
  *n_val_out = nv;
  return TRUE;
}

void
pl_train_feature_stats (const float *rows, gint64 n_features, const gint64 *indices,
                        gint64 n, float *mean_out, float *sd_out)
{
  g_return_if_fail (rows != NULL || n == 0);
  g_return_if_fail (mean_out != NULL && sd_out != NULL);
  for (gint64 f = 0; f < n_features; f++)
    {
      double s = 0.0;
      for (gint64 i = 0; i < n; i++)
        s += rows[(indices ? indices[i] : i) * n_features + f];
      double mean = n > 0 ? s / (double) n : 0.0, ss = 0.0;
      for (gint64 i = 0; i < n; i++)
        {
          double d = rows[(indices ? indices[i] : i) * n_features + f] - mean;
          ss += d * d;
        }
      mean_out[f] = (float) mean;
      sd_out[f] = (float) (n > 0 ? sqrt (ss / (double) n) : 1.0);
    }
}

/* Loss of one minibatch and d loss / d output into grad (may be NULL: evaluation).
 * Returns the summed loss over the rows; *correct counts argmax hits (classification). */
static double
batch_loss (PlLossKind kind, const PlTensor *out, const guint8 *labels, const float *targets,
            PlTensor *grad, gint *correct)
{
  gint64 B = out->shape[0], K = out->shape[1];
  if (kind == PL_LOSS_CROSS_ENTROPY)
    {
      if (grad != NULL)
        return softmax_xent (out, labels, grad, correct);
      double total = 0.0;
      for (gint64 i = 0; i < B; i++)
        {
          const float *z = out->data + i * K;
          float mx = z[0];
          for (gint64 k = 1; k < K; k++)
            mx = MAX (mx, z[k]);
          double s = 0.0;
          for (gint64 k = 0; k < K; k++)
            s += exp ((double) z[k] - mx);
          total += mx + log (s) - z[labels[i]];
          if (pl_tensor_argmax (z, K) == labels[i])
            (*correct)++;
        }
      return total;
    }
  /* MSE: mean over B * K elements; the per-row loss returned sums over K / K */
  double total = 0.0;
  for (gint64 i = 0; i < B; i++)
    {
      const float *y = out->data + i * K;
      double row = 0.0;
      for (gint64 k = 0; k < K; k++)
        {
          double t = targets != NULL ? (double) targets[i] : (k == labels[i] ? 1.0 : 0.0);
          double d = (double) y[k] - t;
          row += d * d;
          if (grad != NULL)
            grad->data[i * K + k] = (float) (2.0 * d / (double) (B * K));
        }
      total += row / (double) K;
      if (targets == NULL && pl_tensor_argmax (y, K) == labels[i])
        (*correct)++;
    }
  return total;
}

typedef struct {
  PlNode *node;
  PlTensor *mean, *var;   /* borrowed: the running statistics (initializers) */
  double *bmean, *bvar;   /* statistics of the current minibatch */
  gboolean have;
} BnStat;

/* Batch mean and unbiased variance per channel of x [N, C, ...]. */
static gboolean
bn_batch_stats (const PlTensor *x, BnStat *s)
{
  if (x == NULL || x->ndim < 2 || x->shape[1] != s->mean->numel)
    return FALSE;
  gint64 N = x->shape[0], C = x->shape[1], inner = 1;
  for (gint d = 2; d < x->ndim; d++)
    inner *= x->shape[d];
  gint64 cnt = N * inner;
  if (cnt < 2)
    return FALSE;
  for (gint64 c = 0; c < C; c++)
    {
      double sum = 0.0;
      for (gint64 n = 0; n < N; n++)
        {
          const float *p = x->data + (n * C + c) * inner;
          for (gint64 i = 0; i < inner; i++)
            sum += p[i];
        }
      double mean = sum / (double) cnt, ss = 0.0;
      for (gint64 n = 0; n < N; n++)
        {
          const float *p = x->data + (n * C + c) * inner;
          for (gint64 i = 0; i < inner; i++)
            ss += ((double) p[i] - mean) * ((double) p[i] - mean);
        }
      s->bmean[c] = mean;
      s->bvar[c] = ss / (double) (cnt - 1);
    }
  return TRUE;
}

typedef struct {
  PlEpochFunc func;
  gpointer user_data;
} OldCallback;

static void
old_callback (const PlEpochStats *st, gpointer user_data)
{
  OldCallback *oc = user_data;
  oc->func (st->epoch, st->train_loss, st->train_accuracy, oc->user_data);
}

gboolean
pl_train_classifier (PlGraph *graph, const PlDataset *train, const PlTrainConfig *config,
                     PlEpochFunc on_epoch, gpointer user_data, const PlProgress *progress,
                     GError **error)
{
  g_return_val_if_fail (graph != NULL, FALSE);
  g_return_val_if_fail (train != NULL, FALSE);
  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  OldCallback oc = { on_epoch, user_data };
  return pl_train (graph, train, config, on_epoch ? old_callback : NULL, &oc, NULL, progress,
                   error);
}

static const char *
dname (const PlDataset *d)
{
  return d->name ? d->name : "";
}

/* Evaluates the rows idx[0..n) in chunks: summed loss and hits. */
static gboolean
evaluate (PlExecutor *ex, const PlDataset *data, const gint64 *idx, gint64 n, PlLossKind kind,
          double *loss_out, gint64 *correct_out, GError **error)
{
  const gint64 chunk = 256;
  double loss = 0.0;
  gint64 correct = 0;
  guint8 *labels = g_new (guint8, chunk);
  float *targets = data->targets ? g_new (float, chunk) : NULL;
  gboolean ok = FALSE;
  for (gint64 s = 0; s < n; s += chunk)
    {
      gint64 cnt = MIN (chunk, n - s);
      g_autoptr (PlTensor) x = pl_dataset_batch (data, idx + s, cnt, error);
      if (x == NULL || !pl_executor_forward (ex, x, error))
        goto out;
      for (gint64 i = 0; i < cnt; i++)
        {
          labels[i] = data->labels[idx[s + i]];
          if (targets)
            targets[i] = data->targets[idx[s + i]];
        }
      gint c = 0;
      loss += batch_loss (kind, pl_executor_output (ex, 0), labels, targets, NULL, &c);
      correct += c;
    }
  ok = TRUE;
out:
  *loss_out = loss;
  *correct_out = correct;
  g_free (labels);
  g_free (targets);
  return ok;
}

gboolean
pl_train (PlGraph *graph, const PlDataset *train, const PlTrainConfig *config,
          PlEpochStatsFunc on_epoch, gpointer user_data, PlTrainResult *result,
          const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (graph != NULL, FALSE);
  g_return_val_if_fail (train != NULL, FALSE);
  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (result != NULL)
    {
      memset (result, 0, sizeof *result);
      result->best_epoch = -1;
      result->best_loss = NAN;
    }
  if (config->epochs < 0 || config->batch_size < 1 || !(config->learning_rate > 0)
      || !(config->weight_decay >= 0) || !(config->momentum >= 0 && config->momentum < 1))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "invalid training settings: epochs %d, batch size %d, learning rate %g, "
                   "momentum %g, weight decay %g (need epochs >= 0, batch >= 1, rate > 0, "
                   "0 <= momentum < 1, decay >= 0)", config->epochs, config->batch_size,
                   config->learning_rate, config->momentum, config->weight_decay);
      return FALSE;
    }
  if ((config->lr_schedule == PL_LR_STEP && (config->step_size < 1 || !(config->gamma > 0)))
      || (config->lr_schedule == PL_LR_COSINE
          && !(config->lr_min >= 0 && config->lr_min <= config->learning_rate))
      || (guint) config->lr_schedule > PL_LR_COSINE || (guint) config->loss > PL_LOSS_MSE
      || config->patience < 0 || !(config->min_delta >= 0)
      || !(config->batchnorm_momentum >= 0 && config->batchnorm_momentum <= 1))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "invalid training settings: schedule %d (step size %d, gamma %g, floor %g), "
                   "loss %d, patience %d, min delta %g, BatchNorm momentum %g (need step "
                   "size >= 1, gamma > 0, 0 <= floor <= learning rate, patience >= 0, "
                   "min delta >= 0, 0 <= momentum <= 1)", config->lr_schedule,
                   config->step_size, config->gamma, config->lr_min, config->loss,
                   config->patience, config->min_delta, config->batchnorm_momentum);
      return FALSE;
    }
  if (train->n < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "the training set '%s' is empty",
                   dname (train));
      return FALSE;
    }
  const gboolean regression = config->loss == PL_LOSS_MSE && train->targets != NULL;
  if (config->loss == PL_LOSS_CROSS_ENTROPY && train->n_classes < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "the dataset '%s' has no classes (a regression table?): train it with "
                   "the mean squared error loss", dname (train));
      return FALSE;
    }
  if (config->loss == PL_LOSS_MSE && train->targets == NULL && train->n_classes < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "the dataset '%s' has neither numeric targets nor classes", dname (train));
      return FALSE;
    }
  gint64 sample[PL_TENSOR_MAX_DIMS];
  gint snd = pl_graph_sample_shape (graph, sample);
  if (snd == 3 && (sample[0] != train->channels || sample[1] != train->height
                   || sample[2] != train->width))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "the model expects samples of [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", %"
                   G_GINT64_FORMAT "], the dataset '%s' has [%d, %d, %d]", sample[0],
                   sample[1], sample[2], dname (train), train->channels,
                   train->height, train->width);
      return FALSE;
    }
  if (snd == 1 && train->kind == PL_DATASET_TABLE && sample[0] != train->n_features)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "the model expects rows of %" G_GINT64_FORMAT " features, the table '%s' "
                   "has %d", sample[0], dname (train), train->n_features);
      return FALSE;
    }

  gint64 *tr_idx = NULL, *va_idx = NULL, N = 0, n_val = 0;
  if (!pl_train_split (train->n, regression ? NULL : train->labels, train->n_classes,
                       config->validation_fraction, config->seed, &tr_idx, &N, &va_idx,
                       &n_val, error))
    return FALSE;
  if (result != NULL)
    {
      result->n_train = N;
      result->n_validation = n_val;
    }

  PlExecutor *ex = pl_executor_new (graph, error);
  if (ex == NULL)
    {
      g_free (tr_idx);
      g_free (va_idx);
      return FALSE;
    }
  pl_executor_set_input_grad_enabled (ex, FALSE);

  /* BatchNormalization nodes whose running statistics are initializers */
  GArray *bns = g_array_new (FALSE, TRUE, sizeof (BnStat));
  if (config->update_batchnorm_stats)
    for (guint k = 0; k < graph->nodes->len; k++)
      {
        PlNode *nd = g_ptr_array_index (graph->nodes, k);
        if (!g_str_equal (nd->op_type, "BatchNormalization") || nd->n_inputs < 5
            || nd->inputs[3] < 0 || nd->inputs[4] < 0)
          continue;
        PlValue *mv = pl_graph_value (graph, nd->inputs[3]);
        PlValue *vv = pl_graph_value (graph, nd->inputs[4]);
        if (mv->init == NULL || vv->init == NULL || mv->init->numel != vv->init->numel)
          continue;
        BnStat st = { nd, mv->init, vv->init, g_new (double, mv->init->numel),
                      g_new (double, mv->init->numel), FALSE };
        g_array_append_val (bns, st);
      }

  /* Parameters: float initializers that receive gradients. */
  GArray *params = g_array_new (FALSE, TRUE, sizeof (Param));
  GPtrArray *best = NULL;  /* snapshots for restore_best: params, then BN statistics */
  gboolean ok = FALSE;
  gint64 bs = MIN ((gint64) config->batch_size, N);
  gint64 *order = g_new (gint64, N);
  guint8 *labels = g_new (guint8, bs);
  float *targets = regression ? g_new (float, bs) : NULL;
  guint64 rng = config->seed;
  gint64 step = 0;
  gint64 n_batches = (N + bs - 1) / bs;
  double best_loss = INFINITY;
  gint best_epoch = -1, since_best = 0, epochs_run = 0;
  gboolean stopped = FALSE;

  memcpy (order, tr_idx, sizeof (gint64) * N);

  for (gint epoch = 0; epoch < config->epochs; epoch++)
    {
      shuffle (order, N, &rng);
      const double lr_e = pl_train_learning_rate (config, epoch);
      double loss_sum = 0.0;
      gint64 correct = 0;
      for (gint64 b = 0; b < n_batches; b++)
        {
          if (pl_progress_cancelled (progress, error))
            goto out;
          gint64 start = b * bs, cnt = MIN (bs, N - start);
          g_autoptr (PlTensor) x = pl_dataset_batch (train, order + start, cnt, error);
          if (x == NULL)
            goto out;
          for (gint64 i = 0; i < cnt; i++)
            labels[i] = train->labels[order[start + i]];
          if (targets != NULL)
            for (gint64 i = 0; i < cnt; i++)
              targets[i] = train->targets[order[start + i]];
          if (!pl_executor_forward (ex, x, error))
            goto out;
          const PlTensor *logits = pl_executor_output (ex, 0);
          if (regression)
            {
              if (logits->ndim != 2 || logits->shape[0] != cnt || logits->shape[1] != 1)
                {
                  g_autofree char *s = pl_tensor_shape_string (logits->ndim, logits->shape);
                  g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                               "the model output %s does not fit [batch, 1] for the regression "
                               "targets of '%s'", s, dname (train));
                  goto out;
                }
            }
          else if (logits->ndim != 2 || logits->shape[0] != cnt
                   || logits->shape[1] < train->n_classes
                   || (config->loss == PL_LOSS_MSE && logits->shape[1] != train->n_classes))
            {
              g_autofree char *s = pl_tensor_shape_string (logits->ndim, logits->shape);
              g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                           "the model output %s does not fit [batch, %d classes]", s,
                           train->n_classes);
              goto out;
            }
          if (!regression)
            for (gint64 i = 0; i < cnt; i++)
              if (labels[i] >= logits->shape[1])
                {
                  g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                               "sample %" G_GINT64_FORMAT " of '%s' has label %d but the model "
                               "has %" G_GINT64_FORMAT " outputs", order[start + i],
                               dname (train), labels[i], logits->shape[1]);
                  goto out;
                }
          for (guint k = 0; k < bns->len; k++)
            {
              BnStat *st = &g_array_index (bns, BnStat, k);
              st->have = bn_batch_stats (pl_executor_value (ex, st->node->inputs[0]), st);
            }
          g_autoptr (PlTensor) grad = pl_tensor_new_like (logits);
          gint c = 0;
          loss_sum += batch_loss (config->loss, logits, labels, targets, grad, &c);
          correct += c;
          if (!pl_executor_backward (ex, grad, TRUE, error))
            goto out;

          if (params->len == 0)
            for (guint v = 0; v < graph->values->len; v++)
              {
                const PlTensor *pg = pl_executor_param_grad (ex, (gint) v);
                if (pg == NULL)
                  continue;
                PlValue *val = pl_graph_value (graph, (gint) v);
                Param p = { (gint) v, val->init, NULL, NULL, NULL };
                if (val->mask != NULL && val->mask->numel == val->init->numel)
                  p.mask = val->mask;
                p.m = g_new0 (float, val->init->numel);
                if (config->optimizer == PL_OPTIMIZER_ADAM)
                  p.v = g_new0 (float, val->init->numel);
                g_array_append_val (params, p);
              }

          step++;
          const float lr = (float) lr_e, wd = (float) config->weight_decay;
          const float mu = (float) config->momentum;
          /* Adam bias corrections folded into the step size (Kingma & Ba 2015, §2). */
          const double bc1 = 1.0 - pow (0.9, (double) step), bc2 = 1.0 - pow (0.999, (double) step);
          const float a_t = (float) (lr_e * sqrt (bc2) / bc1);
          const float eps_hat = (float) (1e-8 * sqrt (bc2));
          for (guint k = 0; k < params->len; k++)
            {
              Param *p = &g_array_index (params, Param, k);
              const float *g = pl_executor_param_grad (ex, p->id)->data;
              const float *mask = p->mask ? p->mask->data : NULL;
              float *w = p->w->data;
              gint64 n = p->w->numel;
              for (gint64 i = 0; i < n; i++)
                {
                  float gi = g[i] + wd * w[i];
                  if (mask != NULL)
                    gi *= mask[i];
                  if (config->optimizer == PL_OPTIMIZER_ADAM)
                    {
                      p->m[i] = 0.9f * p->m[i] + 0.1f * gi;
                      p->v[i] = 0.999f * p->v[i] + 0.001f * gi * gi;
                      w[i] -= a_t * p->m[i] / (sqrtf (p->v[i]) + eps_hat);
                    }
                  else
                    {
                      p->m[i] = mu * p->m[i] + gi;
                      w[i] -= lr * p->m[i];
                    }
                  if (mask != NULL)
                    w[i] *= mask[i];
                }
            }
          /* running statistics (PyTorch: running = (1 - m) running + m batch) */
          for (guint k = 0; k < bns->len; k++)
            {
              BnStat *st = &g_array_index (bns, BnStat, k);
              const double m = config->batchnorm_momentum;
              if (!st->have)
                continue;
              for (gint64 ch = 0; ch < st->mean->numel; ch++)
                {
                  st->mean->data[ch] = (float) ((1.0 - m) * st->mean->data[ch] + m * st->bmean[ch]);
                  st->var->data[ch] = (float) ((1.0 - m) * st->var->data[ch] + m * st->bvar[ch]);
                }
            }
          if (progress != NULL && progress->func != NULL)
            {
              g_autofree char *msg = g_strdup_printf ("Epoch %d of %d", epoch + 1,
                                                      config->epochs);
              pl_progress_report (progress, ((double) epoch + (double) (b + 1) / n_batches)
                                            / config->epochs, msg);
            }
        }
      epochs_run = epoch + 1;
      PlEpochStats st = { epoch, config->epochs, lr_e, loss_sum / N,
                          regression ? NAN : (double) correct / N, NAN, NAN, FALSE };
      if (n_val > 0)
        {
          double vl = 0.0;
          gint64 vc = 0;
          if (!evaluate (ex, train, va_idx, n_val, config->loss, &vl, &vc, error))
            goto out;
          st.val_loss = vl / n_val;
          st.val_accuracy = regression ? NAN : (double) vc / n_val;
        }
      double monitored = n_val > 0 ? st.val_loss : st.train_loss;
      if (monitored < best_loss - config->min_delta || best_epoch < 0)
        {
          st.best = isfinite (monitored);
          if (st.best)
            {
              best_loss = monitored;
              best_epoch = epoch;
              since_best = 0;
              if (config->patience > 0 && config->restore_best)
                {
                  if (best == NULL)
                    best = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_tensor_unref);
                  g_ptr_array_set_size (best, 0);
                  for (guint k = 0; k < params->len; k++)
                    g_ptr_array_add (best, pl_tensor_dup (g_array_index (params, Param, k).w));
                  for (guint k = 0; k < bns->len; k++)
                    {
                      g_ptr_array_add (best, pl_tensor_dup (g_array_index (bns, BnStat, k).mean));
                      g_ptr_array_add (best, pl_tensor_dup (g_array_index (bns, BnStat, k).var));
                    }
                }
            }
        }
      else
        since_best++;
      if (on_epoch != NULL)
        on_epoch (&st, user_data);
      if (!isfinite (loss_sum))
        {
          g_set_error (error, PL_ERROR, PL_ERROR_FAILED,
                       "Training diverged: the loss of epoch %d is not finite; "
                       "lower the learning rate (now %g)", epoch + 1, lr_e);
          goto out;
        }
      if (config->patience > 0 && since_best >= config->patience)
        {
          stopped = TRUE;
          break;
        }
    }
  if (best != NULL && config->patience > 0 && best_epoch >= 0)
    {
      guint j = 0;
      for (guint k = 0; k < params->len && j < best->len; k++, j++)
        {
          PlTensor *w = g_array_index (params, Param, k).w;
          memcpy (w->data, ((PlTensor *) best->pdata[j])->data, sizeof (float) * w->numel);
        }
      for (guint k = 0; k < bns->len && j + 1 < best->len; k++, j += 2)
        {
          BnStat *s = &g_array_index (bns, BnStat, k);
          memcpy (s->mean->data, ((PlTensor *) best->pdata[j])->data,
                  sizeof (float) * s->mean->numel);
          memcpy (s->var->data, ((PlTensor *) best->pdata[j + 1])->data,
                  sizeof (float) * s->var->numel);
        }
    }
  if (result != NULL)
    {
      result->epochs_run = epochs_run;
      result->best_epoch = best_epoch;
      result->best_loss = best_epoch >= 0 ? best_loss : NAN;
      result->stopped_early = stopped;
    }
  ok = TRUE;

out:
  for (guint k = 0; k < params->len; k++)
    {
      g_free (g_array_index (params, Param, k).m);
      g_free (g_array_index (params, Param, k).v);
    }
  g_array_unref (params);
  for (guint k = 0; k < bns->len; k++)
    {
      g_free (g_array_index (bns, BnStat, k).bmean);
      g_free (g_array_index (bns, BnStat, k).bvar);
    }
  g_array_unref (bns);
  if (best != NULL)
    g_ptr_array_unref (best);
  g_free (order);
  g_free (labels);
  g_free (targets);
  g_free (tr_idx);
  g_free (va_idx);
  pl_executor_free (ex);
  return ok;
}
