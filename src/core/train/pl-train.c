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

gboolean
pl_train_classifier (PlGraph *graph, const PlDataset *train, const PlTrainConfig *config,
                     PlEpochFunc on_epoch, gpointer user_data, const PlProgress *progress,
                     GError **error)
{
  g_return_val_if_fail (graph != NULL, FALSE);
  g_return_val_if_fail (train != NULL, FALSE);
  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

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
  if (train->n < 1)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID, "the training set '%s' is empty",
                   train->name ? train->name : "");
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
                   sample[1], sample[2], train->name ? train->name : "", train->channels,
                   train->height, train->width);
      return FALSE;
    }

  PlExecutor *ex = pl_executor_new (graph, error);
  if (ex == NULL)
    return FALSE;
  pl_executor_set_input_grad_enabled (ex, FALSE);

  /* Parameters: float initializers that receive gradients. */
  GArray *params = g_array_new (FALSE, TRUE, sizeof (Param));
  gboolean ok = FALSE;
  gint64 N = train->n, bs = MIN ((gint64) config->batch_size, N);
  gint64 *order = g_new (gint64, N);
  guint8 *labels = g_new (guint8, bs);
  guint64 rng = config->seed;
  gint64 step = 0;
  gint64 n_batches = (N + bs - 1) / bs;

  for (gint64 i = 0; i < N; i++)
    order[i] = i;

  for (gint epoch = 0; epoch < config->epochs; epoch++)
    {
      for (gint64 i = N - 1; i > 0; i--)
        {
          gint64 j = (gint64) rand_below (&rng, (guint64) i + 1);
          gint64 t = order[i];
          order[i] = order[j];
          order[j] = t;
        }
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
          if (!pl_executor_forward (ex, x, error))
            goto out;
          const PlTensor *logits = pl_executor_output (ex, 0);
          if (logits->ndim != 2 || logits->shape[0] != cnt || logits->shape[1] < train->n_classes)
            {
              g_autofree char *s = pl_tensor_shape_string (logits->ndim, logits->shape);
              g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                           "the model output %s does not fit [batch, %d classes]", s,
                           train->n_classes);
              goto out;
            }
          for (gint64 i = 0; i < cnt; i++)
            if (labels[i] >= logits->shape[1])
              {
                g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                             "sample %" G_GINT64_FORMAT " of '%s' has label %d but the model "
                             "has %" G_GINT64_FORMAT " outputs", order[start + i],
                             train->name ? train->name : "", labels[i], logits->shape[1]);
                goto out;
              }
          g_autoptr (PlTensor) grad = pl_tensor_new_like (logits);
          gint c = 0;
          loss_sum += softmax_xent (logits, labels, grad, &c);
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
          const float lr = (float) config->learning_rate, wd = (float) config->weight_decay;
          const float mu = (float) config->momentum;
          /* Adam bias corrections folded into the step size (Kingma & Ba 2015, §2). */
          const double bc1 = 1.0 - pow (0.9, (double) step), bc2 = 1.0 - pow (0.999, (double) step);
          const float a_t = (float) (config->learning_rate * sqrt (bc2) / bc1);
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
          if (progress != NULL && progress->func != NULL)
            {
              g_autofree char *msg = g_strdup_printf ("Epoch %d of %d", epoch + 1,
                                                      config->epochs);
              pl_progress_report (progress, ((double) epoch + (double) (b + 1) / n_batches)
                                            / config->epochs, msg);
            }
        }
      if (on_epoch != NULL)
        on_epoch (epoch, loss_sum / N, (double) correct / N, user_data);
      if (!isfinite (loss_sum))
        {
          g_set_error (error, PL_ERROR, PL_ERROR_FAILED,
                       "Training diverged: the loss of epoch %d is not finite; "
                       "lower the learning rate (now %g)", epoch + 1, config->learning_rate);
          goto out;
        }
    }
  ok = TRUE;

out:
  for (guint k = 0; k < params->len; k++)
    {
      g_free (g_array_index (params, Param, k).m);
      g_free (g_array_index (params, Param, k).v);
    }
  g_array_unref (params);
  g_free (order);
  g_free (labels);
  pl_executor_free (ex);
  return ok;
}
