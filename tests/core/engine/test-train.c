/* test-train.c — training on a tiny synthetic problem: accuracy, determinism, masks,
 * cancellation. */
#include <check.h>
#include <math.h>
#include <string.h>
#include "train/pl-train.h"
#include "exec/pl-executor.h"
#include "pl-error.h"

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
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
