/* test-train.c — training on a tiny synthetic problem: accuracy, determinism, masks,
 * cancellation; learning-rate schedules, the train / validation split, early stopping,
 * the MSE gradient (finite differences), BatchNorm running statistics (hand computed),
 * tables (iris >= 90 %, standardisation baked into the model) and fine-tuning the default
 * model after 80 % magnitude pruning. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "train/pl-train.h"
#include "exec/pl-executor.h"
#include "pl-error.h"
#include "onnx/pl-onnx.h"
#include "prune/pl-prune.h"
#include "../test-scale.h"

/* Two classes of 8x8 images: class 0 bright top half, class 1 bright bottom half, with
 * uniform noise of +-60 on a 0..255 scale. */
static PlDataset *
make_halves (gint64 n, guint32 seed)
{
  PlDataset *d = g_new0 (PlDataset, 1);
  d->ref_count = 1;
  d->name = g_strdup ("halves");
  d->n = n;
  d->channels = 1;
  d->height = 8;
  d->width = 8;
  d->n_classes = 2;
  d->pixels = g_new (guint8, n * 64);
  d->labels = g_new (guint8, n);
  const char *names[] = { "top", "bottom", NULL };
  d->class_names = g_strdupv ((char **) names);
  GRand *r = g_rand_new_with_seed (seed);
  for (gint64 i = 0; i < n; i++)
    {
      gint label = (gint) (i % 2);
      d->labels[i] = (guint8) label;
      for (gint p = 0; p < 64; p++)
        {
          gboolean top = p < 32;
          gint base = (top == (label == 0)) ? 160 : 60;
          gint v = base + g_rand_int_range (r, -60, 61);
          d->pixels[i * 64 + p] = (guint8) CLAMP (v, 0, 255);
        }
    }
  g_rand_free (r);
  return d;
}

typedef struct { gint calls; double last_loss, last_acc, first_loss; } EpochLog;

static void
on_epoch (gint epoch, double loss, double acc, gpointer user_data)
{
  EpochLog *log = user_data;
  if (log->calls == 0)
    log->first_loss = loss;
  log->calls++;
  log->last_loss = loss;
  log->last_acc = acc;
  ck_assert (isfinite (loss));
}

static double
accuracy (PlGraph *g, const PlDataset *d)
{
  g_autoptr (GError) error = NULL;
  PlExecutor *ex = pl_executor_new (g, &error);
  ck_assert_ptr_nonnull (ex);
  g_autoptr (PlTensor) x = pl_dataset_range (d, 0, d->n, &error);
  ck_assert_ptr_nonnull (x);
  g_autoptr (PlTensor) logits = pl_executor_predict (ex, x, 0, NULL, &error);
  ck_assert_ptr_nonnull (logits);
  gint64 ok = 0;
  for (gint64 i = 0; i < d->n; i++)
    ok += pl_tensor_argmax (logits->data + i * 2, 2) == d->labels[i];
  pl_executor_free (ex);
  return (double) ok / d->n;
}

START_TEST (test_train_separable)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlDataset) train = make_halves (200, 1);
  g_autoptr (PlDataset) test = make_halves (100, 2);
  for (gint opt = 0; opt < 2; opt++)
    {
      g_autoptr (PlGraph) g = pl_model_build ("cnn", 1, 8, 8, 2, 7, &error);
      PlTrainConfig cfg;
      pl_train_config_init (&cfg);
      ck_assert_int_eq (cfg.epochs, 3);
      ck_assert_int_eq (cfg.batch_size, 64);
      cfg.batch_size = 16;   /* 200 = 12 * 16 + 8: exercises the short last batch */
      if (opt == 1)
        {
          cfg.optimizer = PL_OPTIMIZER_SGD;
          cfg.learning_rate = 0.05;
          cfg.weight_decay = 1e-4;
        }
      EpochLog log = { 0 };
      ck_assert_msg (pl_train_classifier (g, train, &cfg, on_epoch, &log, NULL, &error),
                     "%s", error ? error->message : "");
      ck_assert_int_eq (log.calls, 3);
      ck_assert_msg (log.last_acc > 0.95, "optimizer %d: train accuracy %g", opt, log.last_acc);
      ck_assert (log.last_loss < log.first_loss);
      double acc = accuracy (g, test);
      ck_assert_msg (acc > 0.95, "optimizer %d: test accuracy %g", opt, acc);
    }
}
END_TEST

START_TEST (test_train_deterministic)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlDataset) train = make_halves (100, 3);
  PlTrainConfig cfg;
  pl_train_config_init (&cfg);
  cfg.epochs = 2;
  cfg.batch_size = 32;
  g_autoptr (PlGraph) a = pl_model_build ("mlp", 1, 8, 8, 2, 11, &error);
  g_autoptr (PlGraph) b = pl_model_build ("mlp", 1, 8, 8, 2, 11, &error);
  g_autoptr (PlGraph) c = pl_model_build ("mlp", 1, 8, 8, 2, 11, &error);
  ck_assert (pl_train_classifier (a, train, &cfg, NULL, NULL, NULL, &error));
  ck_assert (pl_train_classifier (b, train, &cfg, NULL, NULL, NULL, &error));
  cfg.seed = 2;
  ck_assert (pl_train_classifier (c, train, &cfg, NULL, NULL, NULL, &error));
  gboolean all_same = TRUE, c_differs = FALSE;
  for (guint v = 0; v < a->values->len; v++)
    {
      const PlTensor *ta = pl_graph_value (a, v)->init;
      if (ta == NULL)
        continue;
      const PlTensor *tb = pl_graph_value (b, v)->init, *tc = pl_graph_value (c, v)->init;
      all_same = all_same && memcmp (ta->data, tb->data, sizeof (float) * ta->numel) == 0;
      c_differs = c_differs || memcmp (ta->data, tc->data, sizeof (float) * ta->numel) != 0;
    }
  ck_assert (all_same);
  ck_assert (c_differs);
}
END_TEST

START_TEST (test_train_masks)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlDataset) train = make_halves (64, 4);
  g_autoptr (PlGraph) g = pl_model_build ("cnn", 1, 8, 8, 2, 9, &error);
  const char *names[] = { "conv2.weight", "fc1.weight" };
  for (gint k = 0; k < 2; k++)
    {
      PlValue *v = pl_graph_value (g, pl_graph_find_value (g, names[k]));
      v->mask = pl_tensor_new_like (v->init);
      for (gint64 i = 0; i < v->mask->numel; i++)
        v->mask->data[i] = (i % 3 == 0) ? 0.f : 1.f;   /* a third pruned */
    }
  for (gint opt = 0; opt < 2; opt++)
    {
      PlTrainConfig cfg;
      pl_train_config_init (&cfg);
      cfg.epochs = 2;
      cfg.batch_size = 16;
      cfg.optimizer = opt == 0 ? PL_OPTIMIZER_ADAM : PL_OPTIMIZER_SGD;
      cfg.weight_decay = 1e-3;
      ck_assert (pl_train_classifier (g, train, &cfg, NULL, NULL, NULL, &error));
      for (gint k = 0; k < 2; k++)
        {
          PlValue *v = pl_graph_value (g, pl_graph_find_value (g, names[k]));
          gint64 nonzero_kept = 0;
          for (gint64 i = 0; i < v->init->numel; i++)
            {
              if (v->mask->data[i] == 0.f)
                ck_assert_msg (v->init->data[i] == 0.f, "%s[%" G_GINT64_FORMAT "] = %g",
                               names[k], i, (double) v->init->data[i]);
              else
                nonzero_kept += v->init->data[i] != 0.f;
            }
          ck_assert_int_gt (nonzero_kept, 0);
        }
    }
}
END_TEST

static void
cancel_on_progress (double fraction, const char *message, gpointer user_data)
{
  g_cancellable_cancel (user_data);
}

START_TEST (test_train_cancel_and_errors)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlDataset) train = make_halves (64, 5);
  g_autoptr (PlGraph) g = pl_model_build ("mlp", 1, 8, 8, 2, 9, &error);
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  PlProgress progress;
  pl_progress_init (&progress, cancel_on_progress, cancel, cancel);
  PlTrainConfig cfg;
  pl_train_config_init (&cfg);
  cfg.batch_size = 8;
  EpochLog log = { 0 };
  ck_assert (!pl_train_classifier (g, train, &cfg, on_epoch, &log, &progress, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  ck_assert_int_eq (log.calls, 0);
  g_clear_error (&error);

  /* model for 28x28 images, data of 8x8 */
  g_autoptr (PlGraph) big = pl_model_build ("mlp", 1, 28, 28, 2, 9, &error);
  ck_assert (!pl_train_classifier (big, train, &cfg, NULL, NULL, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);

  cfg.batch_size = 0;
  ck_assert (!pl_train_classifier (g, train, &cfg, NULL, NULL, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
}
END_TEST


/* ------------------------------------------------------------------ session 2 */

/* A table dataset in memory: n rows of F features, classification labels or targets. */
static PlDataset *
make_table (gint64 n, gint F, const float *features, const guint8 *labels, gint n_classes,
            const float *targets)
{
  PlDataset *d = g_new0 (PlDataset, 1);
  d->ref_count = 1;
  d->name = g_strdup ("table");
  d->kind = PL_DATASET_TABLE;
  d->n = n;
  d->channels = d->height = 1;
  d->width = d->n_features = F;
  d->features = g_memdup2 (features, sizeof (float) * n * F);
  d->labels = labels ? g_memdup2 (labels, n) : g_new0 (guint8, n);
  d->n_classes = n_classes;
  if (n_classes > 0)
    {
      d->class_names = g_new0 (char *, n_classes + 1);
      for (gint c = 0; c < n_classes; c++)
        d->class_names[c] = g_strdup_printf ("%d", c);
    }
  d->targets = targets ? g_memdup2 (targets, sizeof (float) * n) : NULL;
  d->feature_names = g_new0 (char *, F + 1);
  for (gint f = 0; f < F; f++)
    d->feature_names[f] = g_strdup_printf ("x%d", f + 1);
  return d;
}

/* y = x W^T + b for x [N, F], W [1, F], b [1]: output [N, 1]. */
static PlGraph *
linear_graph (gint F, const float *w, float b)
{
  PlGraph *g = pl_graph_new ();
  g->opset = 13;
  gint64 ins[2] = { -1, F };
  pl_graph_add_input (g, "x", 2, ins);
  gint64 ws[2] = { 1, F }, bs[1] = { 1 };
  g_autoptr (PlTensor) wt = pl_tensor_new (2, ws, NULL);
  memcpy (wt->data, w, sizeof (float) * F);
  g_autoptr (PlTensor) bt = pl_tensor_new (1, bs, NULL);
  bt->data[0] = b;
  pl_graph_add_initializer (g, "w", wt);
  pl_graph_add_initializer (g, "b", bt);
  const char *in[] = { "x", "w", "b" }, *out[] = { "y" };
  PlNode *n = pl_graph_add_node (g, "Gemm", "fc", 3, in, 1, out);
  pl_node_set_int (n, "transB", 1);
  pl_graph_add_output (g, "y");
  return g;
}

static float
init_value (PlGraph *g, const char *name, gint64 i)
{
  return pl_graph_value (g, pl_graph_find_value (g, name))->init->data[i];
}

typedef struct { gint calls; PlEpochStats st[32]; } StatsLog;

static void
on_stats (const PlEpochStats *st, gpointer user_data)
{
  StatsLog *log = user_data;
  if (log->calls < 32)
    log->st[log->calls] = *st;
  log->calls++;
}

START_TEST (test_lr_schedules)
{
  PlTrainConfig c;
  pl_train_config_init (&c);
  ck_assert_int_eq (c.lr_schedule, PL_LR_CONSTANT);
  ck_assert_double_eq (pl_train_learning_rate (&c, 7), 1e-3);
  /* step: 0.1 * 0.5^floor (e / 2) */
  c.learning_rate = 0.1;
  c.lr_schedule = PL_LR_STEP;
  c.step_size = 2;
  c.gamma = 0.5;
  const double step_want[5] = { 0.1, 0.1, 0.05, 0.05, 0.025 };
  for (gint e = 0; e < 5; e++)
    ck_assert_double_eq_tol (pl_train_learning_rate (&c, e), step_want[e], 1e-15);
  /* cosine from 1 to 0.1 over 4 epochs: 0.1 + 0.9 (1 + cos (pi e / 4)) / 2 */
  c.learning_rate = 1.0;
  c.lr_schedule = PL_LR_COSINE;
  c.lr_min = 0.1;
  c.epochs = 4;
  const double cos_want[4] = { 1.0, 0.1 + 0.9 * (1 + M_SQRT1_2) / 2, 0.55,
                               0.1 + 0.9 * (1 - M_SQRT1_2) / 2 };
  for (gint e = 0; e < 4; e++)
    ck_assert_double_eq_tol (pl_train_learning_rate (&c, e), cos_want[e], 1e-12);

  /* the schedule drives the updates: one row x = 0, target 0, y = b (w gets no gradient):
   * plain SGD on (b - 0)^2 gives b <- b (1 - 2 lr_e) per epoch */
  const float x0[1] = { 0 }, t0[1] = { 0 };
  g_autoptr (PlDataset) d = make_table (1, 1, x0, NULL, 0, t0);
  const float w0[1] = { 0.5f };
  g_autoptr (PlGraph) g = linear_graph (1, w0, 1.0f);
  pl_train_config_init (&c);
  c.loss = PL_LOSS_MSE;
  c.optimizer = PL_OPTIMIZER_SGD;
  c.momentum = 0;
  c.learning_rate = 0.2;
  c.lr_schedule = PL_LR_STEP;
  c.step_size = 1;
  c.gamma = 0.5;
  c.epochs = 3;
  StatsLog log = { 0 };
  g_autoptr (GError) error = NULL;
  ck_assert_msg (pl_train (g, d, &c, on_stats, &log, NULL, NULL, &error), "%s",
                 error ? error->message : "");
  ck_assert_int_eq (log.calls, 3);
  double b = 1.0;
  for (gint e = 0; e < 3; e++)
    {
      ck_assert_double_eq_tol (log.st[e].learning_rate, 0.2 * pow (0.5, e), 1e-15);
      ck_assert_double_eq_tol (log.st[e].train_loss, b * b, 1e-6);
      ck_assert (isnan (log.st[e].train_accuracy) && isnan (log.st[e].val_loss));
      b *= 1 - 2 * 0.2 * pow (0.5, e);
    }
  ck_assert_double_eq_tol (init_value (g, "b", 0), b, 1e-6);  /* 0.6 * 0.8 * 0.9 */
  ck_assert_double_eq_tol (b, 0.432, 1e-12);
  ck_assert_float_eq (init_value (g, "w", 0), 0.5f);

  /* invalid settings */
  c.step_size = 0;
  ck_assert (!pl_train (g, d, &c, NULL, NULL, NULL, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
  c.step_size = 1;
  c.lr_schedule = PL_LR_COSINE;
  c.lr_min = 1.0;   /* above the base rate */
  ck_assert (!pl_train (g, d, &c, NULL, NULL, NULL, NULL, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
}
END_TEST

START_TEST (test_split)
{
  /* 100 samples, classes of 50, 30, 20 interleaved; 20 % stratified: 10, 6, 4 */
  guint8 labels[100];
  for (gint i = 0; i < 100; i++)
    labels[i] = (guint8) (i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : 2);
  g_autofree gint64 *tr = NULL, *va = NULL, *tr2 = NULL, *va2 = NULL, *tr3 = NULL, *va3 = NULL;
  gint64 nt, nv, nt2, nv2, nt3, nv3;
  g_autoptr (GError) error = NULL;
  ck_assert (pl_train_split (100, labels, 3, 0.2, 5, &tr, &nt, &va, &nv, &error));
  ck_assert_int_eq (nt, 80);
  ck_assert_int_eq (nv, 20);
  gint per[3] = { 0, 0, 0 };
  gboolean seen[100] = { FALSE };
  for (gint64 i = 0; i < nv; i++)
    {
      per[labels[va[i]]]++;
      seen[va[i]] = TRUE;
      if (i > 0)
        ck_assert_int_lt (va[i - 1], va[i]);
    }
  ck_assert_int_eq (per[0], 10);
  ck_assert_int_eq (per[1], 6);
  ck_assert_int_eq (per[2], 4);
  for (gint64 i = 0; i < nt; i++)
    {
      ck_assert (!seen[tr[i]]);    /* disjoint */
      seen[tr[i]] = TRUE;
      if (i > 0)
        ck_assert_int_lt (tr[i - 1], tr[i]);
    }
  for (gint i = 0; i < 100; i++)
    ck_assert (seen[i]);           /* together all samples */
  /* deterministic; another seed, another split */
  ck_assert (pl_train_split (100, labels, 3, 0.2, 5, &tr2, &nt2, &va2, &nv2, &error));
  ck_assert_int_eq (nv2, nv);
  ck_assert (memcmp (va, va2, sizeof (gint64) * nv) == 0);
  ck_assert (pl_train_split (100, labels, 3, 0.2, 6, &tr3, &nt3, &va3, &nv3, &error));
  ck_assert_int_eq (nv3, 20);
  ck_assert (memcmp (va, va3, sizeof (gint64) * nv) != 0);
  g_clear_pointer (&tr2, g_free);
  g_clear_pointer (&va2, g_free);
  g_clear_pointer (&tr3, g_free);
  g_clear_pointer (&va3, g_free);

  /* largest remainder: classes 7, 7, 6 at 0.5 -> 3.5, 3.5, 3 -> 4, 3, 3 (tie: lower class) */
  guint8 l2[20];
  for (gint i = 0; i < 20; i++)
    l2[i] = (guint8) (i < 7 ? 0 : i < 14 ? 1 : 2);
  ck_assert (pl_train_split (20, l2, 3, 0.5, 1, &tr2, &nt2, &va2, &nv2, &error));
  ck_assert_int_eq (nv2, 10);
  gint p2[3] = { 0, 0, 0 };
  for (gint64 i = 0; i < nv2; i++)
    p2[l2[va2[i]]]++;
  ck_assert_int_eq (p2[0], 4);
  ck_assert_int_eq (p2[1], 3);
  ck_assert_int_eq (p2[2], 3);
  /* unstratified: round (0.25 * 10) = 3; fraction 0: everything trains */
  ck_assert (pl_train_split (10, NULL, 0, 0.25, 1, &tr3, &nt3, &va3, &nv3, &error));
  ck_assert_int_eq (nv3, 3);
  ck_assert_int_eq (nt3, 7);
  g_clear_pointer (&tr3, g_free);
  g_clear_pointer (&va3, g_free);
  ck_assert (pl_train_split (10, NULL, 0, 0.0, 1, &tr3, &nt3, &va3, &nv3, &error));
  ck_assert_int_eq (nv3, 0);
  for (gint i = 0; i < 10; i++)
    ck_assert_int_eq (tr3[i], i);
  g_clear_pointer (&tr3, g_free);
  g_clear_pointer (&va3, g_free);
  ck_assert (!pl_train_split (10, NULL, 0, 1.0, 1, &tr3, &nt3, &va3, &nv3, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  g_clear_error (&error);
  ck_assert (!pl_train_split (1, NULL, 0, 0.5, 1, &tr3, &nt3, &va3, &nv3, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));

  /* the trainer uses the same split: reported sizes */
  g_autoptr (PlDataset) d = make_halves (40, 3);
  g_autoptr (PlGraph) g = pl_model_build ("mlp", 1, 8, 8, 2, 1, NULL);
  PlTrainConfig c;
  pl_train_config_init (&c);
  c.epochs = 2;
  c.validation_fraction = 0.25;
  PlTrainResult res;
  StatsLog log = { 0 };
  g_clear_error (&error);
  ck_assert (pl_train (g, d, &c, on_stats, &log, &res, NULL, &error));
  ck_assert_int_eq (res.n_train, 30);
  ck_assert_int_eq (res.n_validation, 10);
  ck_assert_int_eq (log.calls, 2);
  ck_assert (isfinite (log.st[1].val_loss));
  ck_assert (log.st[1].val_accuracy >= 0 && log.st[1].val_accuracy <= 1);
  /* val accuracy is a multiple of 1/10 */
  double k = log.st[1].val_accuracy * 10;
  ck_assert_double_eq_tol (k, round (k), 1e-9);
}
END_TEST

/* Early stopping on a constructed case: y = b (x = 0), training rows target 1, validation
 * rows target 0.4; full-batch SGD with lr 0.125 gives b_{e+1} = b_e + 0.25 (1 - b_e):
 * 0.25, 0.4375, 0.578, 0.684, ...; validation loss (b - 0.4)^2 = 0.0225, 0.0014, 0.0319,
 * 0.0805: best epoch 1 (0-based); with patience 2 training stops after epoch 3. */
static PlDataset *
make_stopping_table (const PlTrainConfig *c)
{
  const gint64 n = 8;
  g_autofree gint64 *tr = NULL, *va = NULL;
  gint64 nt, nv;
  ck_assert (pl_train_split (n, NULL, 0, c->validation_fraction, c->seed, &tr, &nt, &va, &nv,
                             NULL));
  ck_assert_int_eq (nv, 2);
  float x[8] = { 0 }, t[8];
  for (gint64 i = 0; i < n; i++)
    t[i] = 1.f;
  for (gint64 i = 0; i < nv; i++)
    t[va[i]] = 0.4f;
  return make_table (n, 1, x, NULL, 0, t);
}

START_TEST (test_early_stopping)
{
  PlTrainConfig c;
  pl_train_config_init (&c);
  c.loss = PL_LOSS_MSE;
  c.optimizer = PL_OPTIMIZER_SGD;
  c.momentum = 0;
  c.learning_rate = 0.125;
  c.batch_size = 8;
  c.epochs = 20;
  c.validation_fraction = 0.25;
  c.patience = 2;
  g_autoptr (PlDataset) d = make_stopping_table (&c);
  const float w0[1] = { 0.3f };
  g_autoptr (GError) error = NULL;
  struct { double min_delta; gboolean restore; gint run, best; double b; } cases[] = {
    { 0.0, TRUE, 4, 1, 0.4375 },
    { 0.0, FALSE, 4, 1, 0.68359375 },
    { 0.05, TRUE, 3, 0, 0.25 },   /* 0.0225 -> 0.0014 is not an improvement of 0.05 */
  };
  for (gsize k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      g_autoptr (PlGraph) g = linear_graph (1, w0, 0.0f);
      c.min_delta = cases[k].min_delta;
      c.restore_best = cases[k].restore;
      PlTrainResult res;
      StatsLog log = { 0 };
      ck_assert_msg (pl_train (g, d, &c, on_stats, &log, &res, NULL, &error), "%s",
                     error ? error->message : "");
      ck_assert_int_eq (res.epochs_run, cases[k].run);
      ck_assert_int_eq (log.calls, cases[k].run);
      ck_assert (res.stopped_early);
      ck_assert_int_eq (res.best_epoch, cases[k].best);
      ck_assert (log.st[cases[k].best].best);
      ck_assert_double_eq_tol (log.st[0].val_loss, 0.0225, 1e-6);
      ck_assert_double_eq_tol (log.st[1].val_loss, 0.0375 * 0.0375, 1e-6);
      ck_assert_double_eq_tol (res.best_loss, log.st[cases[k].best].val_loss, 1e-12);
      ck_assert_double_eq_tol (init_value (g, "b", 0), cases[k].b, 1e-6);
      ck_assert_float_eq (init_value (g, "w", 0), 0.3f);
    }
  /* patience 0: no early stopping, all epochs */
  c.patience = 0;
  g_autoptr (PlGraph) g = linear_graph (1, w0, 0.0f);
  PlTrainResult res;
  ck_assert (pl_train (g, d, &c, NULL, NULL, &res, NULL, &error));
  ck_assert_int_eq (res.epochs_run, 20);
  ck_assert (!res.stopped_early);
}
END_TEST

/* MSE gradient against central finite differences: one full-batch plain SGD step of
 * rate eta moves every parameter by -eta dL/dp; dL/dp is computed here in double from
 * the forward pass (L = mean over rows and outputs of (y - t)^2). */
static double
mse_loss (PlGraph *g, const PlTensor *x, const float *t, gint64 K, const guint8 *labels)
{
  PlExecutor *ex = pl_executor_new (g, NULL);
  ck_assert (pl_executor_forward (ex, x, NULL));
  const PlTensor *y = pl_executor_output (ex, 0);
  double s = 0;
  for (gint64 i = 0; i < y->shape[0]; i++)
    for (gint64 k = 0; k < K; k++)
      {
        double tt = t ? t[i] : (labels[i] == k ? 1.0 : 0.0);
        s += ((double) y->data[i * K + k] - tt) * ((double) y->data[i * K + k] - tt);
      }
  double count = (double) (y->shape[0] * K);
  pl_executor_free (ex);
  return s / count;
}

START_TEST (test_mse_gradient)
{
  for (gint variant = 0; variant < 2; variant++)
    {
      /* 6 rows of 3 features; regression (K = 1) or one-hot classes (K = 3) */
      const gint64 n = 6, F = 3;
      gint K = variant == 0 ? 1 : 3;
      float x[18], t[6];
      guint8 lab[6];
      GRand *r = g_rand_new_with_seed (11);
      for (gint i = 0; i < 18; i++)
        x[i] = (float) g_rand_double_range (r, -2, 2);
      for (gint i = 0; i < 6; i++)
        {
          t[i] = (float) g_rand_double_range (r, -1, 1);
          lab[i] = (guint8) (i % 3);
        }
      g_rand_free (r);
      g_autoptr (PlDataset) d = variant == 0 ? make_table (n, F, x, NULL, 0, t)
                                             : make_table (n, F, x, lab, 3, NULL);
      g_autoptr (PlGraph) g = pl_model_build_table (F, K, NULL, NULL, 3, NULL);
      ck_assert_ptr_nonnull (g);
      g_autoptr (PlTensor) xt = pl_dataset_range (d, 0, n, NULL);
      g_autoptr (PlGraph) before = pl_graph_copy (g);
      const char *names[] = { "fc1.weight", "fc1.bias", "fc2.weight", "fc3.weight",
                              "fc3.bias" };
      /* finite differences in double on the loss (float forward, h = 1e-3: small enough
       * not to cross a ReLU kink here) */
      GPtrArray *fd = g_ptr_array_new_with_free_func (g_free);
      for (gsize k = 0; k < G_N_ELEMENTS (names); k++)
        {
          PlTensor *p = pl_graph_value (before, pl_graph_find_value (before, names[k]))->init;
          double *gr = g_new (double, p->numel);
          for (gint64 i = 0; i < p->numel; i++)
            {
              float keep = p->data[i];
              const float h = 1e-3f;
              p->data[i] = keep + h;
              double lp = mse_loss (before, xt, variant == 0 ? t : NULL, K, lab);
              p->data[i] = keep - h;
              double lm = mse_loss (before, xt, variant == 0 ? t : NULL, K, lab);
              p->data[i] = keep;
              gr[i] = (lp - lm) / (2.0 * h);
            }
          g_ptr_array_add (fd, gr);
        }
      PlTrainConfig c;
      pl_train_config_init (&c);
      c.loss = PL_LOSS_MSE;
      c.optimizer = PL_OPTIMIZER_SGD;
      c.momentum = 0;
      c.learning_rate = 1e-3;
      c.batch_size = (gint) n;
      c.epochs = 1;
      g_autoptr (GError) error = NULL;
      ck_assert_msg (pl_train (g, d, &c, NULL, NULL, NULL, NULL, &error), "%s",
                     error ? error->message : "");
      gint checked = 0;
      for (gsize k = 0; k < G_N_ELEMENTS (names); k++)
        {
          PlTensor *p0 = pl_graph_value (before, pl_graph_find_value (before, names[k]))->init;
          PlTensor *p1 = pl_graph_value (g, pl_graph_find_value (g, names[k]))->init;
          const double *gr = fd->pdata[k];
          for (gint64 i = 0; i < p0->numel; i++, checked++)
            {
              double an = ((double) p0->data[i] - p1->data[i]) / c.learning_rate;
              ck_assert_msg (fabs (an - gr[i]) <= 2e-3 * (1 + fabs (gr[i])),
                             "variant %d %s[%" G_GINT64_FORMAT "]: step %g, finite "
                             "difference %g", variant, names[k], i, an, gr[i]);
            }
        }
      ck_assert_int_gt (checked, 64 * 3);
      g_ptr_array_unref (fd);
    }
}
END_TEST

/* Running statistics: x [2, 2, 1, 2] from pixels /255; channel 0 holds 0.2 0.4 | 0.6 0.8
 * (batch mean 0.5, unbiased variance 0.2 / 3), channel 1 holds 0 1 | 1 0 (mean 0.5,
 * unbiased variance 1 / 3). Momentum 0.1 from mean 0, var 1:
 * step 1: mean 0.05, var 0.9 + 0.1 v; step 2: mean 0.095, var 0.81 + 0.19 v. */
START_TEST (test_bn_stats)
{
  PlDataset *d = g_new0 (PlDataset, 1);
  d->ref_count = 1;
  d->name = g_strdup ("bn");
  d->n = 2;
  d->channels = 2;
  d->height = 1;
  d->width = 2;
  d->n_classes = 2;
  const guint8 px[8] = { 51, 102, 0, 255, 153, 204, 255, 0 };
  d->pixels = g_memdup2 (px, 8);
  d->labels = g_new0 (guint8, 2);
  d->labels[1] = 1;
  const char *names[] = { "a", "b", NULL };
  d->class_names = g_strdupv ((char **) names);

  for (gint update = 0; update < 2; update++)
    {
      PlGraph *g = pl_graph_new ();
      g->opset = 13;
      gint64 ins[4] = { -1, 2, 1, 2 }, cs[1] = { 2 };
      pl_graph_add_input (g, "x", 4, ins);
      const char *pn[4] = { "scale", "shift", "mean", "var" };
      const float pv[4] = { 1, 0, 0, 1 };
      for (gint k = 0; k < 4; k++)
        {
          g_autoptr (PlTensor) t = pl_tensor_new (1, cs, NULL);
          t->data[0] = t->data[1] = pv[k];
          pl_graph_add_initializer (g, pn[k], t);
        }
      const char *bi[] = { "x", "scale", "shift", "mean", "var" }, *bo[] = { "bn" };
      pl_graph_add_node (g, "BatchNormalization", "bn", 5, bi, 1, bo);
      const char *fi[] = { "bn" }, *fo[] = { "flat" };
      PlNode *f = pl_graph_add_node (g, "Flatten", "flatten", 1, fi, 1, fo);
      pl_node_set_int (f, "axis", 1);
      gint64 ws[2] = { 2, 4 }, bs[1] = { 2 };
      g_autoptr (PlTensor) w = pl_tensor_new (2, ws, NULL);
      for (gint i = 0; i < 8; i++)
        w->data[i] = 0.1f * (float) (i - 3);
      g_autoptr (PlTensor) b = pl_tensor_new (1, bs, NULL);
      pl_graph_add_initializer (g, "w", w);
      pl_graph_add_initializer (g, "b", b);
      const char *gi[] = { "flat", "w", "b" }, *go[] = { "logits" };
      PlNode *gm = pl_graph_add_node (g, "Gemm", "fc", 3, gi, 1, go);
      pl_node_set_int (gm, "transB", 1);
      pl_graph_add_output (g, "logits");

      PlTrainConfig c;
      pl_train_config_init (&c);
      ck_assert (!c.update_batchnorm_stats);
      ck_assert_double_eq (c.batchnorm_momentum, 0.1);
      c.update_batchnorm_stats = update;
      c.batch_size = 2;
      c.epochs = 1;
      g_autoptr (GError) error = NULL;
      for (gint step = 1; step <= 2; step++)
        {
          ck_assert_msg (pl_train (g, d, &c, NULL, NULL, NULL, NULL, &error), "%s",
                         error ? error->message : "");
          const double v0 = 0.2 / 3, v1 = 1.0 / 3;
          double keep = pow (0.9, step);
          double want_mean = update ? 0.5 * (1 - keep) : 0;
          double want_var0 = update ? keep + (1 - keep) * v0 : 1;
          double want_var1 = update ? keep + (1 - keep) * v1 : 1;
          ck_assert_double_eq_tol (init_value (g, "mean", 0), want_mean, 1e-6);
          ck_assert_double_eq_tol (init_value (g, "mean", 1), want_mean, 1e-6);
          ck_assert_double_eq_tol (init_value (g, "var", 0), want_var0, 1e-6);
          ck_assert_double_eq_tol (init_value (g, "var", 1), want_var1, 1e-6);
        }
      /* scale and shift are parameters: they trained */
      ck_assert (init_value (g, "scale", 0) != 1.0f || init_value (g, "shift", 0) != 0.0f);
      pl_graph_unref (g);
    }
  pl_dataset_unref (d);
}
END_TEST

/* Iris (data/datasets/iris.csv) with the table MLP: >= 90 % on its training set. Without
 * the file, a synthetic stand-in of three Gaussian classes in 4 features on different
 * scales (so that standardisation matters). */
START_TEST (test_table_iris)
{
  g_autoptr (GError) error = NULL;
  const char *src = g_getenv ("PL_SOURCE_DIR");
  g_autofree char *path = g_build_filename (src ? src : ".", "data", "datasets", "iris.csv",
                                            NULL);
  g_autoptr (PlDataset) d = NULL;
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      d = pl_dataset_load_csv (path, NULL, &error);
      ck_assert_msg (d != NULL, "%s", error ? error->message : "");
      ck_assert_int_eq (d->n, 150);
      ck_assert_int_eq (d->n_features, 4);
      ck_assert_int_eq (d->n_classes, 3);
    }
  else
    {
      float x[150 * 4];
      guint8 lab[150];
      GRand *r = g_rand_new_with_seed (4);
      for (gint i = 0; i < 150; i++)
        {
          lab[i] = (guint8) (i % 3);
          for (gint f = 0; f < 4; f++)
            x[i * 4 + f] = (float) ((100.0 * f + 1) * (lab[i] + g_rand_double_range (r, -0.7, 0.7)));
        }
      g_rand_free (r);
      d = make_table (150, 4, x, lab, 3, NULL);
    }
  float mean[4], sd[4];
  pl_train_feature_stats (d->features, 4, NULL, d->n, mean, sd);
  g_autoptr (PlGraph) g = pl_model_build_table (4, d->n_classes, mean, sd, 1, &error);
  ck_assert_ptr_nonnull (g);
  PlTrainConfig c;
  pl_train_config_init (&c);
  c.epochs = 60;
  c.batch_size = 16;
  c.learning_rate = 0.01;
  ck_assert_msg (pl_train (g, d, &c, NULL, NULL, NULL, NULL, &error), "%s",
                 error ? error->message : "");
  PlExecutor *ex = pl_executor_new (g, &error);
  g_autoptr (PlTensor) x = pl_dataset_range (d, 0, d->n, &error);
  g_autoptr (PlTensor) logits = pl_executor_predict (ex, x, 0, NULL, &error);
  gint64 ok = 0;
  for (gint64 i = 0; i < d->n; i++)
    ok += pl_tensor_argmax (logits->data + i * 3, 3) == d->labels[i];
  pl_executor_free (ex);
  ck_assert_msg (ok >= 135, "training accuracy %" G_GINT64_FORMAT " / 150", ok);
  /* the standardisation constants are part of the model, untouched by training */
  for (guint k = 0; k < g->nodes->len; k++)
    {
      PlNode *n = g_ptr_array_index (g->nodes, k);
      if (g_str_equal (n->op_type, "Constant") && g_str_equal (n->name, "feature_sd"))
        for (gint f = 0; f < 4; f++)
          ck_assert_float_eq (pl_node_get_attr (n, "value")->t->data[f], sd[f]);
    }
}
END_TEST

START_TEST (test_feature_stats_and_table_model)
{
  /* rows [1 10] [3 10] [5 40]: means 3, 20; population sds sqrt (8/3), sqrt (200) */
  const float rows[6] = { 1, 10, 3, 10, 5, 40 };
  float m[2], s[2];
  pl_train_feature_stats (rows, 2, NULL, 3, m, s);
  ck_assert_float_eq_tol (m[0], 3, 1e-6);
  ck_assert_float_eq_tol (m[1], 20, 1e-6);
  ck_assert_float_eq_tol (s[0], sqrt (8.0 / 3), 1e-6);
  ck_assert_float_eq_tol (s[1], sqrt (200.0), 1e-5);
  const gint64 idx[2] = { 0, 2 };
  pl_train_feature_stats (rows, 2, idx, 2, m, s);
  ck_assert_float_eq_tol (m[1], 25, 1e-6);
  ck_assert_float_eq_tol (s[0], 2, 1e-6);
  /* the model standardises raw rows: a model built with mean m / sd s on row r equals the
   * model built with 0 / 1 on (r - m) / s; an sd of 0 acts as 1 */
  const float mean[2] = { 3, 20 }, sd[2] = { 2, 0 };
  g_autoptr (PlGraph) a = pl_model_build_table (2, 3, mean, sd, 7, NULL);
  g_autoptr (PlGraph) b = pl_model_build_table (2, 3, NULL, NULL, 7, NULL);
  gint64 sh[2] = { 1, 2 };
  g_autoptr (PlTensor) xr = pl_tensor_new (2, sh, NULL);
  g_autoptr (PlTensor) xs = pl_tensor_new (2, sh, NULL);
  xr->data[0] = 7;
  xr->data[1] = 25;
  xs->data[0] = 2;
  xs->data[1] = 5;
  PlExecutor *ea = pl_executor_new (a, NULL), *eb = pl_executor_new (b, NULL);
  ck_assert (pl_executor_forward (ea, xr, NULL));
  ck_assert (pl_executor_forward (eb, xs, NULL));
  const PlTensor *ya = pl_executor_output (ea, 0), *yb = pl_executor_output (eb, 0);
  ck_assert_int_eq (ya->shape[1], 3);
  for (gint k = 0; k < 3; k++)
    ck_assert_float_eq_tol (ya->data[k], yb->data[k], 1e-5);
  pl_executor_free (ea);
  pl_executor_free (eb);
  g_autoptr (GError) error = NULL;
  ck_assert_ptr_null (pl_model_build_table (0, 3, NULL, NULL, 1, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
}
END_TEST

/* Fine-tuning after pruning: the default model pruned to 80 % (global magnitude), then one
 * epoch of Adam on the first 5000 training images: accuracy on the first 1000 test images
 * rises, and exactly the same weights are zero. */
static double
accuracy_k (PlGraph *g, const PlDataset *d, gint64 n)
{
  PlExecutor *ex = pl_executor_new (g, NULL);
  g_autoptr (PlTensor) x = pl_dataset_range (d, 0, n, NULL);
  g_autoptr (PlTensor) logits = pl_executor_predict (ex, x, 0, NULL, NULL);
  gint64 K = logits->shape[1], ok = 0;
  for (gint64 i = 0; i < n; i++)
    ok += pl_tensor_argmax (logits->data + i * K, K) == d->labels[i];
  pl_executor_free (ex);
  return (double) ok / (double) n;
}

START_TEST (test_finetune_pruned)
{
  const char *src = g_getenv ("PL_SOURCE_DIR");
  g_autofree char *path = g_build_filename (src ? src : ".", "data", "models",
                                            "fashion-cnn.onnx", NULL);
  const char *dir = "/usr/share/datasets/fashion-mnist";
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) model = pl_onnx_load_file (path, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  g_autoptr (PlDataset) full = pl_dataset_load_fashion_mnist (dir, "train", &error);
  ck_assert_msg (full != NULL, "%s", error ? error->message : "");
  g_autoptr (PlDataset) test = pl_dataset_load_fashion_mnist (dir, "test", &error);
  ck_assert_msg (test != NULL, "%s", error ? error->message : "");
  /* the first 5000 training images (PL_TEST_SCALE=small: 1000), evaluated on the first
   * 1000 test images (small: 500) */
  const gint64 n_train = pl_test_scale_n (5000, 500), n_test = pl_test_scale_n (1000, 300);
  PlDataset *sub = g_new0 (PlDataset, 1);
  *sub = *full;
  sub->ref_count = 1;
  sub->n = n_train;
  sub->name = g_strdup ("subset");
  sub->pixels = g_memdup2 (full->pixels, (gsize) n_train * 28 * 28);
  sub->labels = g_memdup2 (full->labels, n_train);
  sub->class_names = g_strdupv (full->class_names);

  g_autoptr (PlGraph) pruned = pl_prune_magnitude (model, 0.8, PL_PRUNE_SCOPE_GLOBAL, &error);
  ck_assert_msg (pruned != NULL, "%s", error ? error->message : "");
  g_autoptr (GArray) ids = pl_graph_prunable_weights (pruned);
  gint64 total = 0, zeros = 0;
  GPtrArray *zero_before = g_ptr_array_new_with_free_func (g_free);
  for (guint k = 0; k < ids->len; k++)
    {
      PlTensor *w = pl_graph_value (pruned, g_array_index (ids, gint, k))->init;
      gboolean *z = g_new (gboolean, w->numel);
      for (gint64 i = 0; i < w->numel; i++)
        zeros += (z[i] = w->data[i] == 0.0f);
      total += w->numel;
      g_ptr_array_add (zero_before, z);
    }
  ck_assert_int_eq (zeros, pl_prune_count (total, 0.8));
  double acc0 = accuracy_k (pruned, test, n_test);

  PlTrainConfig c;
  pl_train_config_init (&c);
  c.epochs = 1;
  c.learning_rate = 5e-4;
  ck_assert_msg (pl_train (pruned, sub, &c, NULL, NULL, NULL, NULL, &error), "%s",
                 error ? error->message : "");
  double acc1 = accuracy_k (pruned, test, n_test);
  fprintf (stderr, "80 %% pruned: accuracy %.3f, fine-tuned: %.3f (%" G_GINT64_FORMAT
           " test images)\n", acc0, acc1, n_test);
  ck_assert_msg (acc1 > acc0, "fine-tuned accuracy %.3f, pruned %.3f", acc1, acc0);
  for (guint k = 0; k < ids->len; k++)
    {
      PlTensor *w = pl_graph_value (pruned, g_array_index (ids, gint, k))->init;
      const gboolean *z = zero_before->pdata[k];
      for (gint64 i = 0; i < w->numel; i++)
        ck_assert_msg ((w->data[i] == 0.0f) == z[i], "weight %u[%" G_GINT64_FORMAT "]: %g",
                       k, i, (double) w->data[i]);
    }
  g_ptr_array_unref (zero_before);
  pl_dataset_unref (sub);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("train");
  TCase *tc = tcase_create ("train");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_train_separable);
  tcase_add_test (tc, test_train_deterministic);
  tcase_add_test (tc, test_train_masks);
  tcase_add_test (tc, test_train_cancel_and_errors);
  tcase_add_test (tc, test_lr_schedules);
  tcase_add_test (tc, test_split);
  tcase_add_test (tc, test_early_stopping);
  tcase_add_test (tc, test_mse_gradient);
  tcase_add_test (tc, test_bn_stats);
  tcase_add_test (tc, test_table_iris);
  tcase_add_test (tc, test_feature_stats_and_table_model);
  suite_add_tcase (s, tc);
  TCase *tf = tcase_create ("finetune");
  tcase_set_timeout (tf, 110);
  tcase_add_test (tf, test_finetune_pruned);
  suite_add_tcase (s, tf);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
