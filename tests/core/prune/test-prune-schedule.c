/* test-prune-schedule.c — pruning schedules: polynomial formula (Zhu & Gupta 2017),
 * iterative steps reaching the target exactly, lottery-ticket rewinding, fine-tuning keeping
 * masked zeros, history records and bit-identical undo / redo, comparing two steps. */
#include "prune-test-util.h"
#include "prune/pl-prune-schedule.h"
#include "analysis/pl-step-metrics.h"
#include "train/pl-train.h"
#include "session/pl-session.h"

/* Flatten -> Gemm [16 -> 12] Relu -> Gemm [12 -> 10]: 312 prunable weights. */
static PlGraph *
mlp_graph (guint32 seed)
{
  PlGraph *g = pl_graph_new ();
  gint64 xs[4] = { -1, 1, 4, 4 }, w1[2] = { 12, 16 }, b1[1] = { 12 }, w2[2] = { 10, 12 },
         b2[1] = { 10 };
  pl_graph_add_input (g, "X", 4, xs);
  GRand *rand = g_rand_new_with_seed (seed);
  tu_init_random (g, rand, "W1", 2, w1, -1, 1);
  tu_init_random (g, rand, "B1", 1, b1, -0.1, 0.1);
  tu_init_random (g, rand, "W2", 2, w2, -1, 1);
  tu_init_random (g, rand, "B2", 1, b2, -0.1, 0.1);
  g_rand_free (rand);
  tu_node (g, "Flatten", "flat", "X", NULL, NULL, "f");
  pl_node_set_int (tu_node (g, "Gemm", "fc1", "f", "W1", "B1", "h"), "transB", 1);
  tu_node (g, "Relu", "relu", "h", NULL, NULL, "r");
  pl_node_set_int (tu_node (g, "Gemm", "fc2", "r", "W2", "B2", "Y"), "transB", 1);
  pl_graph_add_output (g, "Y");
  return g;
}

/* n images 4×4 and labels 0..9 (label = brightest quarter + 4 × (n mod 2) … any rule). */
static PlDataset *
tiny_dataset (gint64 n)
{
  gsize il = 16 + (gsize) n * 16, ll = 8 + (gsize) n;
  g_autofree guint8 *img = g_malloc0 (il), *lab = g_malloc0 (ll);
  guint32 ih[4] = { GUINT32_TO_BE (0x803), GUINT32_TO_BE ((guint32) n), GUINT32_TO_BE (4),
                    GUINT32_TO_BE (4) };
  guint32 lh[2] = { GUINT32_TO_BE (0x801), GUINT32_TO_BE ((guint32) n) };
  memcpy (img, ih, 16);
  memcpy (lab, lh, 8);
  GRand *rand = g_rand_new_with_seed (11);
  for (gint64 i = 0; i < n; i++)
    {
      gint label = (gint) (i % 10);
      lab[8 + i] = (guint8) label;
      for (gint p = 0; p < 16; p++)
        img[16 + i * 16 + p] = (guint8) g_rand_int_range (rand, 0, 60);
      img[16 + i * 16 + label] = 255;   /* the label's pixel is bright */
    }
  g_rand_free (rand);
  GError *error = NULL;
  PlDataset *ds = pl_dataset_load_idx_data (img, il, lab, ll, &error);
  ck_assert_msg (ds != NULL, "%s", error ? error->message : "");
  return ds;
}

static PlPruneConfig *
unprotected_config (void)
{
  PlPruneConfig *cfg = pl_prune_config_new ();
  const char *none[1] = { NULL };
  pl_prune_config_set_protected (cfg, none);
  return cfg;
}

static gint64
zeros_of (const PlGraph *g)
{
  g_autoptr (GArray) ids = pl_graph_prunable_weights (g);
  gint64 z = 0;
  for (guint i = 0; i < ids->len; i++)
    {
      const PlValue *v = pl_graph_value (g, g_array_index (ids, gint, i));
      for (gint64 j = 0; j < v->init->numel; j++)
        z += v->init->data[j] == 0.0f || (v->mask && v->mask->data[j] == 0.0f);
    }
  return z;
}

/* Every weight zero (or masked) in a is masked in b. */
static void
assert_nested (const PlGraph *a, const PlGraph *b)
{
  g_autoptr (GArray) ids = pl_graph_prunable_weights (a);
  for (guint i = 0; i < ids->len; i++)
    {
      const PlValue *va = pl_graph_value (a, g_array_index (ids, gint, i));
      const PlValue *vb = tu_value (b, va->name);
      ck_assert_ptr_nonnull (vb->mask);
      for (gint64 j = 0; j < va->init->numel; j++)
        if (va->mask && va->mask->data[j] == 0.0f)
          {
            ck_assert_float_eq (vb->mask->data[j], 0.0f);
            ck_assert_float_eq (vb->init->data[j], 0.0f);
          }
    }
}

START_TEST (test_polynomial_formula)
{
  g_autoptr (PlPruneSchedule) s = pl_prune_schedule_new (PL_SCHEDULE_POLYNOMIAL);
  s->steps = 4;
  s->initial_sparsity = 0.1;
  ck_assert_int_eq (pl_prune_schedule_n_steps (s), 5);
  /* s_t = 0.8 + (0.1 − 0.8)(1 − t/4)^3, by hand. */
  const double want[5] = { 0.1, 0.5046875, 0.7125, 0.7890625, 0.8 };
  for (gint t = 0; t < 5; t++)
    ck_assert_double_eq_tol (pl_prune_schedule_sparsity (s, 0.8, t), want[t], 1e-12);
  ck_assert (isnan (pl_prune_schedule_sparsity (s, 0.8, 5)));

  /* Run on a network of 312 weights: every step prunes exactly round (s_t · 312). */
  g_autoptr (PlGraph) g = mlp_graph (1);
  g_autoptr (PlPruneConfig) cfg = unprotected_config ();
  GError *error = NULL;
  g_autoptr (PlScheduleResult) r = pl_prune_schedule_run (g, cfg, s, 0.8, NULL, NULL, &error);
  ck_assert_msg (r != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (r->steps->len, 5);
  const gint64 want_zeros[5] = { 31, 157, 222, 246, 250 };  /* round (want × 312) */
  for (guint t = 0; t < 5; t++)
    {
      PlScheduleStep *st = g_ptr_array_index (r->steps, t);
      ck_assert_double_eq_tol (st->target_sparsity, want[t], 1e-12);
      ck_assert_int_eq (zeros_of (st->graph), want_zeros[t]);
      ck_assert_double_eq_tol (st->achieved_sparsity, want_zeros[t] / 312.0, 1e-12);
      if (t > 0)
        assert_nested (((PlScheduleStep *) g_ptr_array_index (r->steps, t - 1))->graph,
                       st->graph);
    }
  ck_assert (r->final == ((PlScheduleStep *) g_ptr_array_index (r->steps, 4))->graph);
  /* The original is untouched. */
  ck_assert_int_eq (zeros_of (g), 0);
}
END_TEST

START_TEST (test_iterative)
{
  g_autoptr (PlPruneSchedule) s = pl_prune_schedule_new (PL_SCHEDULE_ITERATIVE);
  s->steps = 3;
  ck_assert_int_eq (pl_prune_schedule_n_steps (s), 3);
  /* Geometric: kept share 0.1^(j/3). */
  ck_assert_double_eq_tol (pl_prune_schedule_sparsity (s, 0.9, 0), 1 - pow (0.1, 1 / 3.0), 1e-12);
  ck_assert_double_eq_tol (pl_prune_schedule_sparsity (s, 0.9, 1), 1 - pow (0.1, 2 / 3.0), 1e-12);
  ck_assert_double_eq (pl_prune_schedule_sparsity (s, 0.9, 2), 0.9);
  ck_assert_double_eq_tol (pl_prune_schedule_sparsity (s, 0.9, 0), 0.5358411166, 1e-9);
  s->linear = TRUE;
  ck_assert_double_eq_tol (pl_prune_schedule_sparsity (s, 0.9, 0), 0.3, 1e-12);
  ck_assert_double_eq_tol (pl_prune_schedule_sparsity (s, 0.9, 1), 0.6, 1e-12);
  s->linear = FALSE;

  g_autoptr (PlGraph) g = mlp_graph (2);
  g_autoptr (PlPruneConfig) cfg = unprotected_config ();
  GError *error = NULL;
  g_autoptr (PlScheduleResult) r = pl_prune_schedule_run (g, cfg, s, 0.9, NULL, NULL, &error);
  ck_assert_msg (r != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (r->steps->len, 3);
  ck_assert_int_eq (zeros_of (((PlScheduleStep *) g_ptr_array_index (r->steps, 0))->graph), 167);
  ck_assert_int_eq (zeros_of (((PlScheduleStep *) g_ptr_array_index (r->steps, 1))->graph), 245);
  ck_assert_int_eq (zeros_of (r->final), 281);   /* round (0.9 × 312) exactly */

  /* One-shot to the same target by magnitude prunes the same weights (no fine-tuning). */
  g_autoptr (PlGraph) one = pl_prune_apply (g, cfg, 0.9, NULL, &error);
  assert_nested (one, r->final);

  /* With fine-tuning: masked weights stay exactly zero and the target is still exact. */
  g_autoptr (PlDataset) ds = tiny_dataset (200);
  pl_prune_schedule_set_train_data (s, ds, 100);
  s->finetune_epochs = 2;
  s->train.batch_size = 20;
  s->train.learning_rate = 0.01;
  g_autoptr (PlPruneHistory) h = pl_prune_history_new (g, 0);
  g_autoptr (PlScheduleResult) ft = pl_prune_schedule_run (g, cfg, s, 0.9, h, NULL, &error);
  ck_assert_msg (ft != NULL, "%s", error ? error->message : "");
  for (guint j = 0; j < 3; j++)
    {
      PlScheduleStep *st = g_ptr_array_index (ft->steps, j);
      ck_assert (isfinite (st->train_loss));
      ck_assert_int_eq (st->epochs, 2);
      if (j > 0)
        assert_nested (((PlScheduleStep *) g_ptr_array_index (ft->steps, j - 1))->graph,
                       st->graph);
    }
  ck_assert_int_eq (zeros_of (ft->final), 281);
  /* Fine-tuning changed the surviving weights. */
  const PlValue *a = tu_value (r->final, "W1"), *b = tu_value (ft->final, "W1");
  gint differ = 0;
  for (gint64 i = 0; i < a->init->numel; i++)
    differ += a->init->data[i] != b->init->data[i];
  ck_assert_int_gt (differ, 0);

  /* The history holds every step with its config, seed and schedule. */
  ck_assert_int_eq (pl_prune_history_n_steps (h), 4);
  for (guint j = 1; j <= 3; j++)
    {
      const PlPruneHistoryStep *hs = pl_prune_history_step (h, j);
      ck_assert_ptr_nonnull (hs->config);
      ck_assert_uint_eq (hs->seed, cfg->seed);
      ck_assert_ptr_nonnull (strstr (hs->schedule, "iterative step"));
      ck_assert_ptr_nonnull (strstr (hs->schedule, "fine-tuning seed"));
      ck_assert (hs->graph == ((PlScheduleStep *) g_ptr_array_index (ft->steps, j - 1))->graph);
    }

  /* Without training data fine-tuning is refused. */
  g_autoptr (PlPruneSchedule) s2 = pl_prune_schedule_new (PL_SCHEDULE_ONE_SHOT);
  s2->finetune_epochs = 1;
  g_autoptr (PlScheduleResult) none = pl_prune_schedule_run (g, cfg, s2, 0.5, NULL, NULL, &error);
  ck_assert_ptr_null (none);
  ck_assert_ptr_nonnull (strstr (error->message, "training data"));
  g_clear_error (&error);
}
END_TEST

START_TEST (test_rewind)
{
  g_autoptr (PlGraph) g = mlp_graph (3);
  g_autoptr (PlGraph) init = mlp_graph (4);   /* "initial weights" of the same network */
  g_autoptr (PlPruneConfig) cfg = unprotected_config ();
  g_autoptr (PlPruneSchedule) s = pl_prune_schedule_new (PL_SCHEDULE_REWIND);
  s->steps = 2;
  pl_prune_schedule_set_rewind_weights (s, init);
  ck_assert_int_eq (pl_prune_schedule_n_steps (s), 3);
  GError *error = NULL;
  g_autoptr (PlScheduleResult) r = pl_prune_schedule_run (g, cfg, s, 0.75, NULL, NULL, &error);
  ck_assert_msg (r != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (r->steps->len, 3);
  const PlGraph *masked = ((PlScheduleStep *) g_ptr_array_index (r->steps, 1))->graph;
  const char *names[4] = { "W1", "B1", "W2", "B2" };
  gint64 kept = 0;
  for (gint k = 0; k < 4; k++)
    {
      const PlValue *m = tu_value (masked, names[k]);
      const PlValue *i0 = tu_value (init, names[k]);
      const PlValue *out = tu_value (r->final, names[k]);
      for (gint64 i = 0; i < out->init->numel; i++)
        {
          float mk = m->mask ? m->mask->data[i] : 1.0f;
          /* initial weights ⊙ final mask, bit for bit */
          ck_assert_float_eq (out->init->data[i], mk == 0.0f ? 0.0f : i0->init->data[i]);
          if (m->mask)
            ck_assert_float_eq (out->mask->data[i], mk);
          kept += k % 2 == 0 && mk != 0.0f;
        }
    }
  ck_assert_int_eq (kept, 312 - 234);   /* round (0.75 × 312) pruned */
  /* Without a checkpoint: the original's weights. */
  pl_prune_schedule_set_rewind_weights (s, NULL);
  g_autoptr (PlScheduleResult) r2 = pl_prune_schedule_run (g, cfg, s, 0.75, NULL, NULL, &error);
  ck_assert_msg (r2 != NULL, "%s", error ? error->message : "");
  const PlValue *o = tu_value (r2->final, "W2"), *w = tu_value (g, "W2");
  for (gint64 i = 0; i < o->init->numel; i++)
    ck_assert_float_eq (o->init->data[i], o->mask->data[i] == 0.0f ? 0.0f : w->init->data[i]);

  /* A checkpoint of another network is refused, naming the initializer. */
  g_autoptr (PlGraph) other = pl_graph_new ();
  gint64 s1[1] = { 3 };
  tu_init (other, "W1", 1, s1, NULL);
  g_autoptr (PlGraph) bad = pl_prune_rewind (r->final, other, &error);
  ck_assert_ptr_null (bad);
  ck_assert_msg (strstr (error->message, "“W1”") && strstr (error->message, "shape"), "%s",
                 error->message);
  g_clear_error (&error);
  g_autoptr (PlGraph) empty = pl_graph_new ();
  bad = pl_prune_rewind (r->final, empty, &error);
  ck_assert_ptr_null (bad);
  ck_assert_ptr_nonnull (strstr (error->message, "no initializer"));
  g_clear_error (&error);
}
END_TEST

static void
cancel_at_once (double fraction, const char *message, gpointer user_data)
{
  g_cancellable_cancel (user_data);
}

START_TEST (test_cancel_and_errors)
{
  g_autoptr (PlGraph) g = mlp_graph (5);
  g_autoptr (PlPruneConfig) cfg = unprotected_config ();
  g_autoptr (PlPruneSchedule) s = pl_prune_schedule_new (PL_SCHEDULE_ITERATIVE);
  g_autoptr (GCancellable) c = g_cancellable_new ();
  PlProgress p;
  pl_progress_init (&p, cancel_at_once, c, c);
  GError *error = NULL;
  g_autoptr (PlScheduleResult) r = pl_prune_schedule_run (g, cfg, s, 0.5, NULL, &p, &error);
  ck_assert_ptr_null (r);
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&error);
  r = pl_prune_schedule_run (g, cfg, s, 1.5, NULL, NULL, &error);
  ck_assert_ptr_null (r);
  ck_assert_int_eq (error->code, PL_ERROR_INVALID);
  g_clear_error (&error);
  s->steps = 0;
  r = pl_prune_schedule_run (g, cfg, s, 0.5, NULL, NULL, &error);
  ck_assert_ptr_null (r);
  g_clear_error (&error);
}
END_TEST

static void
snapshot (const PlGraph *g, GByteArray *out)
{
  for (guint id = 0; id < g->values->len; id++)
    {
      const PlValue *v = pl_graph_value (g, (gint) id);
      if (v->init)
        g_byte_array_append (out, (const guint8 *) v->init->data,
                             (guint) (v->init->numel * sizeof (float)));
      if (v->mask)
        g_byte_array_append (out, (const guint8 *) v->mask->data,
                             (guint) (v->mask->numel * sizeof (float)));
    }
}

START_TEST (test_history_undo_compare)
{
  g_autoptr (PlGraph) g = mlp_graph (6);
  g_autoptr (PlPruneConfig) cfg = unprotected_config ();
  g_autoptr (PlPruneSchedule) s = pl_prune_schedule_new (PL_SCHEDULE_ITERATIVE);
  s->steps = 2;
  g_autoptr (PlPruneHistory) h = pl_prune_history_new (g, 0);
  GError *error = NULL;
  g_autoptr (PlScheduleResult) r = pl_prune_schedule_run (g, cfg, s, 0.5, h, NULL, &error);
  ck_assert_msg (r != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (pl_prune_history_n_steps (h), 3);

  g_autoptr (GByteArray) before = g_byte_array_new ();
  snapshot (pl_prune_history_current (h)->graph, before);
  g_autoptr (GByteArray) step1 = g_byte_array_new ();
  snapshot (pl_prune_history_step (h, 1)->graph, step1);
  ck_assert (pl_prune_history_undo (h));
  g_autoptr (GByteArray) at1 = g_byte_array_new ();
  snapshot (pl_prune_history_current (h)->graph, at1);
  ck_assert_int_eq (at1->len, step1->len);
  ck_assert (memcmp (at1->data, step1->data, at1->len) == 0);
  ck_assert (pl_prune_history_undo (h));
  ck_assert (pl_prune_history_redo (h));
  ck_assert (pl_prune_history_redo (h));
  g_autoptr (GByteArray) after = g_byte_array_new ();
  snapshot (pl_prune_history_current (h)->graph, after);
  ck_assert_int_eq (after->len, before->len);
  ck_assert (memcmp (after->data, before->data, after->len) == 0);
  ck_assert (memcmp (at1->data, after->data, MIN (at1->len, after->len)) != 0);

  /* Compare step 0 and 2 (no metrics attached: only sparsity). */
  g_autoptr (PlStepComparison) c = pl_step_compare (h, 0, 2, &error);
  ck_assert_ptr_nonnull (c);
  ck_assert (c->graph[1] == pl_prune_history_step (h, 2)->graph);
  ck_assert_ptr_null (c->metrics[0]);
  ck_assert_double_eq_tol (c->delta_sparsity, 156 / 312.0, 1e-12);
  ck_assert (isnan (c->delta_top1));
  g_autoptr (PlStepComparison) bad = pl_step_compare (h, 0, 7, &error);
  ck_assert_ptr_null (bad);
  ck_assert_ptr_nonnull (strstr (error->message, "steps 0 to 2"));
  g_clear_error (&error);
}
END_TEST

START_TEST (test_session_step)
{
  g_autoptr (PlGraph) g = mlp_graph (7);
  g_autoptr (PlDataset) ds = tiny_dataset (50);
  g_autoptr (PlPruneConfig) cfg = unprotected_config ();
  g_autoptr (PlPruneSchedule) s = pl_prune_schedule_new (PL_SCHEDULE_ITERATIVE);
  s->steps = 2;
  g_autoptr (PlPruneHistory) h = pl_prune_history_new (g, 0);
  GError *error = NULL;
  g_autoptr (PlPruneStep) st = pl_prune_step_run_schedule (g, ds, cfg, s, 0.5, 0, h, NULL,
                                                           &error);
  ck_assert_msg (st != NULL, "%s", error ? error->message : "");
  ck_assert_double_eq_tol (st->achieved_sparsity, 156 / 312.0, 1e-12);
  ck_assert_int_eq (st->n_weights, 312);
  ck_assert_int_eq (st->evaluation->n, 50);
  ck_assert_ptr_nonnull (strstr (st->description, "iterative"));
  ck_assert_uint_eq (pl_prune_history_n_steps (h), 3);
  ck_assert (pl_prune_history_current (h)->graph == st->pruned);
  /* NULL config and schedule: one-shot global magnitude over every layer. */
  g_autoptr (PlPruneStep) st2 = pl_prune_step_run_schedule (g, ds, NULL, NULL, 0.25, 10, NULL,
                                                            NULL, &error);
  ck_assert_msg (st2 != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (zeros_of (st2->pruned), 78);
  ck_assert_int_eq (st2->evaluation->n, 10);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("prune-schedule");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_polynomial_formula);
  tcase_add_test (tc, test_iterative);
  tcase_add_test (tc, test_rewind);
  tcase_add_test (tc, test_cancel_and_errors);
  tcase_add_test (tc, test_history_undo_compare);
  tcase_add_test (tc, test_session_step);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
