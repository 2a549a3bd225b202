/* test-prune-history.c — PlPruneHistory: steps, undo, redo, go to, redo tail, bound. */
#include "prune-test-util.h"

static gint n_freed;

static void
count_free (gpointer p)
{
  n_freed++;
  g_free (p);
}

static PlGraph *
tiny_graph (float value)
{
  PlGraph *g = pl_graph_new ();
  gint64 s[2] = { 1, 1 };
  tu_init (g, "W", 2, s, &value);
  return g;
}

static float
step_value (const PlPruneHistoryStep *s)
{
  return tu_value (s->graph, "W")->init->data[0];
}

START_TEST (test_history)
{
  g_autoptr (PlGraph) g0 = tiny_graph (0);
  g_autoptr (PlPruneHistory) h = pl_prune_history_new (g0, 4);
  ck_assert_int_eq (pl_prune_history_n_steps (h), 1);
  ck_assert (!pl_prune_history_can_undo (h));
  ck_assert (!pl_prune_history_can_redo (h));
  ck_assert_ptr_null (pl_prune_history_current (h)->config);
  ck_assert (pl_prune_history_current (h)->graph == g0);

  g_autoptr (PlPruneConfig) cfg = pl_prune_config_new ();
  for (gint i = 1; i <= 2; i++)
    {
      g_autoptr (PlGraph) gi = tiny_graph ((float) i);
      cfg->seed = (guint64) i;
      ck_assert_uint_eq (pl_prune_history_push (h, cfg, 0.1 * i, gi), (guint) i);
    }
  /* The config was copied: changing ours does not change the step. */
  cfg->seed = 99;
  ck_assert_uint_eq (pl_prune_history_step (h, 2)->config->seed, 2);
  ck_assert_double_eq (pl_prune_history_current (h)->sparsity, 0.2);
  pl_prune_history_set_metrics (h, 2, g_new0 (double, 1), count_free);
  pl_prune_history_set_metrics (h, 2, g_new0 (double, 1), count_free);
  ck_assert_int_eq (n_freed, 1);

  ck_assert (pl_prune_history_undo (h));
  ck_assert_float_eq (step_value (pl_prune_history_current (h)), 1.0f);
  ck_assert (pl_prune_history_can_redo (h));
  ck_assert (pl_prune_history_redo (h));
  ck_assert_float_eq (step_value (pl_prune_history_current (h)), 2.0f);
  ck_assert (!pl_prune_history_redo (h));
  ck_assert (pl_prune_history_go_to (h, 0));
  ck_assert (!pl_prune_history_undo (h));
  ck_assert (!pl_prune_history_go_to (h, 3));
  ck_assert_uint_eq (pl_prune_history_current_index (h), 0);

  /* A new step after undo drops the redo tail (steps 1 and 2, with step 2's metrics). */
  g_autoptr (PlGraph) g3 = tiny_graph (3);
  ck_assert_uint_eq (pl_prune_history_push (h, NULL, 0.3, g3), 1);
  ck_assert_int_eq (n_freed, 2);
  ck_assert_uint_eq (pl_prune_history_n_steps (h), 2);
  ck_assert (!pl_prune_history_can_redo (h));
  ck_assert_float_eq (step_value (pl_prune_history_current (h)), 3.0f);

  /* Bounded: at most 4 steps; the oldest after the original is dropped. */
  for (gint i = 4; i <= 6; i++)
    {
      g_autoptr (PlGraph) gi = tiny_graph ((float) i);
      pl_prune_history_push (h, cfg, 0.5, gi);
    }
  ck_assert_uint_eq (pl_prune_history_n_steps (h), 4);
  ck_assert_float_eq (step_value (pl_prune_history_step (h, 0)), 0.0f);
  ck_assert_float_eq (step_value (pl_prune_history_step (h, 1)), 4.0f);
  ck_assert_float_eq (step_value (pl_prune_history_step (h, 3)), 6.0f);
  ck_assert_uint_eq (pl_prune_history_current_index (h), 3);
  ck_assert_ptr_null (pl_prune_history_step (h, 4));
  /* The history holds its own references. */
  ck_assert_int_eq (g0->ref_count, 2);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("prune-history");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_history);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_set_fork_status (sr, CK_NOFORK);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
