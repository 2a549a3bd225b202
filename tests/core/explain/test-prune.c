/* test-prune.c — magnitude pruning on hand-built graphs. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prune/pl-prune.h"
#include "pl-error.h"

/* Conv (W1 [2, 1, 2, 2], B1 [2]) on X [N, 1, 3, 3], then an independent Gemm
 * (W2 [2, 3], transB = 1, B2 [2]) on Y [N, 3]. Position order: W1 (0–7), then W2 (8–13).
 *   W1 = 0.1 −0.2 0.3 0.0 | 0.2 −0.3 0.1 0.4        positions 0–7
 *   W2 = 0.5 −0.1 0.0 | 0.3 −0.5 0.2                positions 8–13
 * Ranking by (|w|, position): 3, 10 (zeros), 0, 6, 9 (0.1), 1, 4, 13 (0.2), 2, 5, 11 (0.3),
 * 7 (0.4), 8, 12 (0.5). Biases (smaller than every weight) must never be touched. */
static const float w1[8] = { 0.1f, -0.2f, 0.3f, 0.0f, 0.2f, -0.3f, 0.1f, 0.4f };
static const float w2[6] = { 0.5f, -0.1f, 0.0f, 0.3f, -0.5f, 0.2f };
static const float b1[2] = { 0.01f, -0.02f };
static const float b2[2] = { 0.0f, 0.05f };

static PlTensor *
tensor_from (gint ndim, const gint64 *shape, const float *data)
{
  PlTensor *t = pl_tensor_new (ndim, shape, NULL);
  memcpy (t->data, data, t->numel * sizeof (float));
  return t;
}

static PlGraph *
build_graph (void)
{
  PlGraph *g = pl_graph_new ();
  gint64 xs[4] = { -1, 1, 3, 3 }, ys[2] = { -1, 3 };
  pl_graph_add_input (g, "X", 4, xs);
  pl_graph_add_input (g, "Y", 2, ys);
  gint64 s1[4] = { 2, 1, 2, 2 }, sb[1] = { 2 }, s2[2] = { 2, 3 };
  g_autoptr (PlTensor) tw1 = tensor_from (4, s1, w1);
  g_autoptr (PlTensor) tb1 = tensor_from (1, sb, b1);
  g_autoptr (PlTensor) tw2 = tensor_from (2, s2, w2);
  g_autoptr (PlTensor) tb2 = tensor_from (1, sb, b2);
  pl_graph_add_initializer (g, "W1", tw1);
  pl_graph_add_initializer (g, "B1", tb1);
  pl_graph_add_initializer (g, "W2", tw2);
  pl_graph_add_initializer (g, "B2", tb2);
  const char *cin[3] = { "X", "W1", "B1" }, *cout[1] = { "C" };
  pl_graph_add_node (g, "Conv", "conv", 3, cin, 1, cout);
  const char *gin[3] = { "Y", "W2", "B2" }, *gout[1] = { "G" };
  PlNode *gemm = pl_graph_add_node (g, "Gemm", "gemm", 3, gin, 1, gout);
  pl_node_set_int (gemm, "transB", 1);
  pl_graph_add_output (g, "C");
  pl_graph_add_output (g, "G");
  return g;
}

static const PlValue *
value_named (const PlGraph *g, const char *name)
{
  gint id = pl_graph_find_value (g, name);
  ck_assert_int_ge (id, 0);
  return pl_graph_value (g, id);
}

/* Checks that exactly the listed positions (0–13) are zero, masks match, biases kept. */
static void
check_pruned (const PlGraph *p, const gint *zero_positions, gint n_zero)
{
  gboolean zero[14] = { FALSE };
  for (gint i = 0; i < n_zero; i++)
    zero[zero_positions[i]] = TRUE;
  const PlValue *v1 = value_named (p, "W1"), *v2 = value_named (p, "W2");
  ck_assert_ptr_nonnull (v1->mask);
  ck_assert_ptr_nonnull (v2->mask);
  ck_assert (pl_tensor_same_shape (v1->mask, v1->init));
  ck_assert (pl_tensor_same_shape (v2->mask, v2->init));
  for (gint i = 0; i < 14; i++)
    {
      const PlValue *v = i < 8 ? v1 : v2;
      gint j = i < 8 ? i : i - 8;
      float orig = i < 8 ? w1[j] : w2[j];
      ck_assert_msg (v->init->data[j] == (zero[i] ? 0.0f : orig), "position %d: %g", i,
                     v->init->data[j]);
      ck_assert_msg (v->mask->data[j] == (zero[i] ? 0.0f : 1.0f), "mask at %d: %g", i,
                     v->mask->data[j]);
    }
  const PlValue *vb1 = value_named (p, "B1"), *vb2 = value_named (p, "B2");
  ck_assert_ptr_null (vb1->mask);
  ck_assert_ptr_null (vb2->mask);
  ck_assert (memcmp (vb1->init->data, b1, sizeof b1) == 0);
  ck_assert (memcmp (vb2->init->data, b2, sizeof b2) == 0);
}

static void
check_original (const PlGraph *g)
{
  const PlValue *v1 = value_named (g, "W1"), *v2 = value_named (g, "W2");
  ck_assert (memcmp (v1->init->data, w1, sizeof w1) == 0);
  ck_assert (memcmp (v2->init->data, w2, sizeof w2) == 0);
  ck_assert_ptr_null (v1->mask);
  ck_assert_ptr_null (v2->mask);
}

START_TEST (test_prune_count)
{
  ck_assert_int_eq (pl_prune_count (5, 0.5), 3);      /* 2.5 -> 3 (half up) */
  ck_assert_int_eq (pl_prune_count (10, 0.35), 4);    /* 3.5 -> 4 */
  ck_assert_int_eq (pl_prune_count (10, 0.34), 3);
  ck_assert_int_eq (pl_prune_count (3, 0.5), 2);
  ck_assert_int_eq (pl_prune_count (200, 0.0125), 3); /* 2.5 -> 3 */
  ck_assert_int_eq (pl_prune_count (7, 0.0), 0);
  ck_assert_int_eq (pl_prune_count (7, 1.0), 7);
  ck_assert_int_eq (pl_prune_count (0, 0.5), 0);
  ck_assert_int_eq (pl_prune_count (7, 2.0), 7);
  ck_assert_int_eq (pl_prune_count (7, -1.0), 0);
}
END_TEST

START_TEST (test_prune_global)
{
  g_autoptr (PlGraph) g = build_graph ();
  g_autoptr (GError) error = NULL;

  g_autoptr (PlGraph) p0 = pl_prune_magnitude (g, 0.0, PL_PRUNE_SCOPE_GLOBAL, &error);
  ck_assert_ptr_nonnull (p0);
  check_pruned (p0, NULL, 0);

  /* 0.25 × 14 = 3.5 -> 4 weights: positions 3, 10, 0, 6. */
  g_autoptr (PlGraph) p25 = pl_prune_magnitude (g, 0.25, PL_PRUNE_SCOPE_GLOBAL, &error);
  static const gint z25[] = { 3, 10, 0, 6 };
  check_pruned (p25, z25, G_N_ELEMENTS (z25));

  /* 0.5 × 14 = 7: positions 3, 10, 0, 6, 9, 1, 4 (13 keeps its 0.2 by position). */
  g_autoptr (PlGraph) p50 = pl_prune_magnitude (g, 0.5, PL_PRUNE_SCOPE_GLOBAL, &error);
  static const gint z50[] = { 3, 10, 0, 6, 9, 1, 4 };
  check_pruned (p50, z50, G_N_ELEMENTS (z50));
  ck_assert_double_eq_tol (pl_graph_weight_sparsity (p50), 0.5, 1e-12);

  g_autoptr (PlGraph) p100 = pl_prune_magnitude (g, 1.0, PL_PRUNE_SCOPE_GLOBAL, &error);
  static const gint z100[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };
  check_pruned (p100, z100, 14);

  /* Pruning a pruned graph further ranks its zeros first. */
  g_autoptr (PlGraph) p50b = pl_prune_magnitude (p25, 0.5, PL_PRUNE_SCOPE_GLOBAL, &error);
  check_pruned (p50b, z50, G_N_ELEMENTS (z50));

  check_original (g);
}
END_TEST

START_TEST (test_prune_layerwise)
{
  g_autoptr (PlGraph) g = build_graph ();
  g_autoptr (GError) error = NULL;
  /* W1: 4 of 8 -> positions 3, 0, 6, 1; W2: 3 of 6 -> positions 10, 9, 13. */
  g_autoptr (PlGraph) p = pl_prune_magnitude (g, 0.5, PL_PRUNE_SCOPE_LAYERWISE, &error);
  ck_assert_ptr_nonnull (p);
  static const gint z[] = { 3, 0, 6, 1, 10, 9, 13 };
  check_pruned (p, z, G_N_ELEMENTS (z));

  /* 0.25: W1 2 of 8 -> 3, 0; W2 1.5 -> 2 of 6 -> 10, 9. */
  g_autoptr (PlGraph) q = pl_prune_magnitude (g, 0.25, PL_PRUNE_SCOPE_LAYERWISE, &error);
  static const gint zq[] = { 3, 0, 10, 9 };
  check_pruned (q, zq, G_N_ELEMENTS (zq));
  check_original (g);
}
END_TEST

START_TEST (test_prune_errors)
{
  g_autoptr (PlGraph) g = build_graph ();
  const double bad[] = { -0.1, 1.5, NAN, INFINITY };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      PlGraph *p = pl_prune_magnitude (g, bad[i], PL_PRUNE_SCOPE_GLOBAL, &error);
      ck_assert_ptr_null (p);
      ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
    }
  /* No prunable weights. */
  g_autoptr (PlGraph) r = pl_graph_new ();
  gint64 xs[2] = { -1, 4 };
  pl_graph_add_input (r, "X", 2, xs);
  const char *in[1] = { "X" }, *out[1] = { "Y" };
  pl_graph_add_node (r, "Relu", "relu", 1, in, 1, out);
  pl_graph_add_output (r, "Y");
  g_autoptr (GError) error = NULL;
  PlGraph *p = pl_prune_magnitude (r, 0.5, PL_PRUNE_SCOPE_GLOBAL, &error);
  ck_assert_ptr_null (p);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
}
END_TEST

typedef struct {
  float mag;
  gint64 pos;
} Ranked;

static int
ranked_cmp (const void *a, const void *b)
{
  const Ranked *x = a, *y = b;
  if (x->mag != y->mag)
    return x->mag < y->mag ? -1 : 1;
  return (x->pos > y->pos) - (x->pos < y->pos);
}

/* The O(n) selection agrees with a full sort by (|w|, position) on many ties. */
START_TEST (test_prune_matches_sort)
{
  const gint64 n1 = 30000, n2 = 70001;
  g_autoptr (PlGraph) g = pl_graph_new ();
  gint64 s1[2] = { 100, n1 / 100 }, s2[2] = { 1, n2 };
  g_autoptr (PlTensor) t1 = pl_tensor_new (2, s1, NULL);
  g_autoptr (PlTensor) t2 = pl_tensor_new (2, s2, NULL);
  GRand *rng = g_rand_new_with_seed (3);
  for (gint64 i = 0; i < n1; i++)
    t1->data[i] = (float) (g_rand_int_range (rng, -50, 51)) * 0.01f;
  for (gint64 i = 0; i < n2; i++)
    t2->data[i] = (float) (g_rand_int_range (rng, -50, 51)) * 0.01f;
  g_rand_free (rng);
  pl_graph_add_initializer (g, "A", t1);
  pl_graph_add_initializer (g, "B", t2);
  gint64 xs[2] = { -1, 100 };
  pl_graph_add_input (g, "X", 2, xs);
  const char *in1[2] = { "X", "A" }, *o1[1] = { "H" };
  pl_graph_add_node (g, "MatMul", "m1", 2, in1, 1, o1);
  const char *in2[2] = { "Z", "B" }, *o2[1] = { "O" };
  pl_graph_add_node (g, "MatMul", "m2", 2, in2, 1, o2);
  pl_graph_add_output (g, "O");

  gint64 total = n1 + n2;
  g_autofree Ranked *r = g_new (Ranked, total);
  for (gint64 i = 0; i < total; i++)
    {
      r[i].mag = fabsf (i < n1 ? t1->data[i] : t2->data[i - n1]);
      r[i].pos = i;
    }
  qsort (r, total, sizeof (Ranked), ranked_cmp);
  const double sparsities[] = { 0.013, 0.37, 0.5, 0.9, 0.99999 };
  for (guint s = 0; s < G_N_ELEMENTS (sparsities); s++)
    {
      gint64 k = pl_prune_count (total, sparsities[s]);
      g_autofree guint8 *expect = g_new0 (guint8, total);
      for (gint64 i = 0; i < k; i++)
        expect[r[i].pos] = 1;
      g_autoptr (GError) error = NULL;
      g_autoptr (PlGraph) p = pl_prune_magnitude (g, sparsities[s], PL_PRUNE_SCOPE_GLOBAL,
                                                  &error);
      ck_assert_ptr_nonnull (p);
      const PlValue *a = value_named (p, "A"), *b = value_named (p, "B");
      gint64 pruned = 0, first_wrong = -1;
      for (gint64 i = 0; i < total; i++)
        {
          float m = i < n1 ? a->mask->data[i] : b->mask->data[i - n1];
          float w = i < n1 ? a->init->data[i] : b->init->data[i - n1];
          gboolean ok = (m == 0.0f) == (expect[i] == 1) && (m != 0.0f || w == 0.0f);
          if (!ok && first_wrong < 0)
            first_wrong = i;
          pruned += m == 0.0f;
        }
      ck_assert_msg (first_wrong < 0, "sparsity %g: wrong at position %ld", sparsities[s],
                     (long) first_wrong);
      ck_assert_int_eq (pruned, k);
    }
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("prune");
  TCase *tc = tcase_create ("magnitude");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_prune_count);
  tcase_add_test (tc, test_prune_global);
  tcase_add_test (tc, test_prune_layerwise);
  tcase_add_test (tc, test_prune_errors);
  tcase_add_test (tc, test_prune_matches_sort);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
