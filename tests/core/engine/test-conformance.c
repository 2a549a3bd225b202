/* test-conformance.c — the executor against ONNX's own backend test data (Debian
 * libonnx-testdata): every case in data/node and data/pytorch-converted, i.e. a
 * model.onnx with test_data_set_N/input_K.pb and output_K.pb (serialized TensorProtos).
 *
 * Each case is classified as
 *   passed  — every output of every data set matches the reference within ONNX's own
 *             backend-test tolerance |got - want| <= atol + rtol |want| with rtol 1e-3 and
 *             atol 1e-7 (onnx/backend/test/runner: np.testing.assert_allclose defaults of
 *             the runner); NaN must match NaN;
 *   skipped — with the reason: the loader refuses the model, an input or output tensor is
 *             not FLOAT (checked on the .pb's data_type; INT64 inputs used only as a
 *             Reshape shape, Squeeze/Unsqueeze axes, Pad pads or Gather indices are
 *             allowed: ONNX requires integers there), or the executor refuses a node
 *             with PL_ERROR_UNSUPPORTED (operator, attribute value, ...);
 *   failed  — anything else: wrong values or shapes, or an error that is not "unsupported".
 * A summary with the skip reasons grouped is printed; the test fails on any failure.
 * Without the test data installed the test passes with a note.
 */
#include <check.h>
#include <math.h>
#include <string.h>
#include "exec/pl-executor.h"
#include "onnx/pl-onnx.h"
#include "pl-error.h"

#define RTOL 1e-3
#define ATOL 1e-7

static const char *const roots[] = {
  "/usr/include/onnx/backend/test/data",
  "/usr/share/libonnx-testdata/data",
};
static const char *const suites[] = { "node", "pytorch-converted" };

typedef struct {
  gint passed, failed, skipped;
  GHashTable *reasons;   /* reason -> GPtrArray of case names */
  GPtrArray *failures;   /* "case: message" */
} Tally;

/* data_type (field 2, varint) of a serialized TensorProto; 0 if absent / malformed. */
static gint
tensor_proto_type (const guint8 *d, gsize len)
{
  gsize i = 0;
  while (i < len)
    {
      guint64 key = 0;
      gint shift = 0;
      while (i < len && shift < 64)
        {
          key |= (guint64) (d[i] & 0x7f) << shift;
          shift += 7;
          if ((d[i++] & 0x80) == 0)
            break;
        }
      guint field = (guint) (key >> 3), wire = (guint) (key & 7);
      guint64 v = 0;
      shift = 0;
      switch (wire)
        {
        case 0:
          while (i < len && shift < 64)
            {
              v |= (guint64) (d[i] & 0x7f) << shift;
              shift += 7;
              if ((d[i++] & 0x80) == 0)
                break;
            }
          if (field == 2)
            return (gint) v;
          break;
        case 1:
          i += 8;
          break;
        case 5:
          i += 4;
          break;
        case 2:
          while (i < len && shift < 64)
            {
              v |= (guint64) (d[i] & 0x7f) << shift;
              shift += 7;
              if ((d[i++] & 0x80) == 0)
                break;
            }
          if (v > len - MIN (i, len))
            return 0;
          i += v;
          break;
        default:
          return 0;
        }
    }
  return 0;
}

static const char *
type_name (gint t)
{
  static const char *const names[] = { "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16",
                                       "INT16", "INT32", "INT64", "STRING", "BOOL", "FLOAT16",
                                       "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128",
                                       "BFLOAT16" };
  return t >= 0 && t < (gint) G_N_ELEMENTS (names) ? names[t] : "other";
}

static void
skip (Tally *t, const char *name, const char *reason)
{
  GPtrArray *list = g_hash_table_lookup (t->reasons, reason);
  if (list == NULL)
    {
      list = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (t->reasons, g_strdup (reason), list);
    }
  g_ptr_array_add (list, g_strdup (name));
  t->skipped++;
}

/* The reason of an executor / loader error without node names (so that cases group). */
static char *
reason_of (const char *prefix, const GError *e)
{
  const char *m = e->message;
  const char *op = strstr (m, "': operator ");
  if (op != NULL)
    {
      op += strlen ("': operator ");
      const char *end = strchr (op, ' ');
      g_autofree char *name = g_strndup (op, end ? (gsize) (end - op) : strlen (op));
      return g_strdup_printf ("%sunsupported operator %s", prefix, name);
    }
  if (g_str_has_prefix (m, "node '"))
    {
      const char *paren = strstr (m, "' (");
      if (paren != NULL)
        {
          const char *colon = strstr (paren, "): ");
          const char *comma = strchr (paren, ',');
          const char *close = strchr (paren, ')');
          const char *opend = (comma && comma < close) ? comma : close;
          if (colon != NULL && opend != NULL)
            {
              g_autofree char *opname = g_strndup (paren + 3, (gsize) (opend - paren - 3));
              return g_strdup_printf ("%s%s: %s", prefix, opname, colon + 3);
            }
        }
    }
  const char *c = strstr (m, ": ");   /* drop the file name of loader messages */
  return g_strdup_printf ("%s%s", prefix, c != NULL ? c + 2 : m);
}

/* TRUE when graph input id is only used as a Reshape shape, Squeeze / Unsqueeze axes, Pad
 * pads or Gather indices: ONNX requires an integer tensor there (it selects / shapes the
 * float data, exactly representable in our float storage up to 2^24), so it does not make
 * the case "non-float". */
static gboolean
shape_only_input (const PlGraph *g, gint id)
{
  gboolean used = FALSE;
  for (guint k = 0; k < g->nodes->len; k++)
    {
      const PlNode *n = g_ptr_array_index (g->nodes, k);
      for (gint i = 0; i < n->n_inputs; i++)
        {
          if (n->inputs[i] != id)
            continue;
          gboolean shape_slot = i == 1 && (g_str_equal (n->op_type, "Reshape")
                                           || g_str_equal (n->op_type, "Squeeze")
                                           || g_str_equal (n->op_type, "Unsqueeze")
                                           || g_str_equal (n->op_type, "Pad")
                                           || g_str_equal (n->op_type, "Gather"));
          if (!shape_slot)
            return FALSE;
          used = TRUE;
        }
    }
  return used;
}

static gboolean
close_enough (float got, float want)
{
  if (isnan (want) || isnan (got))
    return isnan (want) && isnan (got);
  if (isinf (want))
    return got == want;
  return fabs ((double) got - want) <= ATOL + RTOL * fabs ((double) want);
}

/* Returns FALSE on failure (message in *why); *skip_reason set when skipped. */
static gboolean
run_case (const char *dir, char **skip_reason, char **why)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *model = g_build_filename (dir, "model.onnx", NULL);
  g_autoptr (PlGraph) g = pl_onnx_load_file (model, &error);
  if (g == NULL)
    {
      *skip_reason = reason_of ("loader: ", error);
      return TRUE;
    }
  PlExecutor *ex = pl_executor_new (g, &error);
  if (ex == NULL)
    {
      if (g_error_matches (error, PL_ERROR, PL_ERROR_UNSUPPORTED))
        {
          *skip_reason = reason_of ("", error);
          return TRUE;
        }
      *why = g_strdup_printf ("preparing: %s", error->message);
      return FALSE;
    }
  gint n_in = pl_executor_n_inputs (ex);
  gint n_out = (gint) g->outputs->len;
  gboolean ok = TRUE;
  gint n_sets = 0;
  for (gint set = 0; ok && *skip_reason == NULL; set++)
    {
      g_autofree char *sdir = g_strdup_printf ("%s/test_data_set_%d", dir, set);
      if (!g_file_test (sdir, G_FILE_TEST_IS_DIR))
        break;
      n_sets++;
      g_autoptr (GPtrArray) ins = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_tensor_unref);
      for (gint i = 0; i < n_in && *skip_reason == NULL; i++)
        {
          g_autofree char *f = g_strdup_printf ("%s/input_%d.pb", sdir, i);
          g_autofree guint8 *data = NULL;
          gsize len = 0;
          if (!g_file_get_contents (f, (char **) &data, &len, NULL))
            {
              *skip_reason = g_strdup ("test data: fewer input files than graph inputs");
              break;
            }
          gint t = tensor_proto_type (data, len);
          if (t != 1 && !(t == 7 && shape_only_input (g, g_array_index (g->inputs, gint, i))))
            {
              *skip_reason = g_strdup_printf ("data type: input of type %s", type_name (t));
              break;
            }
          PlTensor *x = pl_onnx_load_tensor_data (data, len, f, &error);
          if (x == NULL)
            {
              *skip_reason = reason_of ("tensor loader: ", error);
              break;
            }
          g_ptr_array_add (ins, x);
        }
      g_autoptr (GPtrArray) wants = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_tensor_unref);
      for (gint o = 0; o < n_out && *skip_reason == NULL; o++)
        {
          g_autofree char *f = g_strdup_printf ("%s/output_%d.pb", sdir, o);
          g_autofree guint8 *data = NULL;
          gsize len = 0;
          if (!g_file_get_contents (f, (char **) &data, &len, NULL))
            {
              *skip_reason = g_strdup ("test data: fewer output files than graph outputs");
              break;
            }
          gint t = tensor_proto_type (data, len);
          if (t != 1)
            {
              *skip_reason = g_strdup_printf ("data type: output of type %s", type_name (t));
              break;
            }
          PlTensor *w = pl_onnx_load_tensor_data (data, len, f, &error);
          if (w == NULL)
            {
              *skip_reason = reason_of ("tensor loader: ", error);
              break;
            }
          g_ptr_array_add (wants, w);
        }
      if (*skip_reason != NULL)
        break;
      if (!pl_executor_forward_multi (ex, n_in, (const PlTensor *const *) ins->pdata, &error))
        {
          if (g_error_matches (error, PL_ERROR, PL_ERROR_UNSUPPORTED))
            *skip_reason = reason_of ("", error);
          else
            {
              *why = g_strdup_printf ("set %d: %s", set, error->message);
              ok = FALSE;
            }
          break;
        }
      for (gint o = 0; o < n_out && ok; o++)
        {
          const PlTensor *got = pl_executor_output (ex, o);
          const PlTensor *want = wants->pdata[o];
          if (!pl_tensor_same_shape (got, want))
            {
              g_autofree char *gs = pl_tensor_shape_string (got->ndim, got->shape);
              g_autofree char *ws = pl_tensor_shape_string (want->ndim, want->shape);
              *why = g_strdup_printf ("set %d output %d: shape %s, expected %s", set, o, gs, ws);
              ok = FALSE;
              break;
            }
          for (gint64 i = 0; i < got->numel; i++)
            if (!close_enough (got->data[i], want->data[i]))
              {
                *why = g_strdup_printf ("set %d output %d element %" G_GINT64_FORMAT ": %.9g, "
                                        "expected %.9g", set, o, i, (double) got->data[i],
                                        (double) want->data[i]);
                ok = FALSE;
                break;
              }
        }
    }
  if (ok && *skip_reason == NULL && n_sets == 0)
    *skip_reason = g_strdup ("test data: no test_data_set_0");
  pl_executor_free (ex);
  return ok;
}

static gint
cmp_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static gint
cmp_reason (gconstpointer a, gconstpointer b, gpointer tab)
{
  GPtrArray *la = g_hash_table_lookup (tab, *(char *const *) a);
  GPtrArray *lb = g_hash_table_lookup (tab, *(char *const *) b);
  if (la->len != lb->len)
    return la->len > lb->len ? -1 : 1;
  return strcmp (*(char *const *) a, *(char *const *) b);
}

START_TEST (test_conformance)
{
  const char *root = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (roots) && root == NULL; i++)
    {
      g_autofree char *d = g_build_filename (roots[i], "node", NULL);
      if (g_file_test (d, G_FILE_TEST_IS_DIR))
        root = roots[i];
    }
  if (root == NULL)
    {
      g_print ("ONNX backend test data (libonnx-testdata) not installed: nothing to run\n");
      return;
    }
  Tally t = { 0 };
  t.reasons = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) g_ptr_array_unref);
  t.failures = g_ptr_array_new_with_free_func (g_free);
  gint64 t0 = g_get_monotonic_time ();
  /* PL_CONFORMANCE_VERBOSE=1 prints every case's outcome */
  gboolean verbose = g_getenv ("PL_CONFORMANCE_VERBOSE") != NULL;

  for (gsize s = 0; s < G_N_ELEMENTS (suites); s++)
    {
      g_autofree char *sdir = g_build_filename (root, suites[s], NULL);
      GDir *dir = g_dir_open (sdir, 0, NULL);
      if (dir == NULL)
        continue;
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *e;
      while ((e = g_dir_read_name (dir)) != NULL)
        g_ptr_array_add (names, g_strdup (e));
      g_dir_close (dir);
      g_ptr_array_sort (names, cmp_str);
      for (guint i = 0; i < names->len; i++)
        {
          g_autofree char *cdir = g_build_filename (sdir, names->pdata[i], NULL);
          g_autofree char *label = g_strdup_printf ("%s/%s", suites[s],
                                                   (char *) names->pdata[i]);
          g_autofree char *model = g_build_filename (cdir, "model.onnx", NULL);
          if (!g_file_test (model, G_FILE_TEST_EXISTS))
            continue;
          g_autofree char *reason = NULL, *why = NULL;
          gboolean case_ok = run_case (cdir, &reason, &why);
          if (verbose)
            g_print ("%s: %s%s\n", label,
                     !case_ok ? "FAILED " : reason != NULL ? "skipped: " : "passed",
                     !case_ok ? why : reason != NULL ? reason : "");
          if (!case_ok)
            {
              t.failed++;
              g_ptr_array_add (t.failures, g_strdup_printf ("%s: %s", label, why));
            }
          else if (reason != NULL)
            skip (&t, label, reason);
          else
            t.passed++;
        }
    }

  g_autoptr (GPtrArray) keys = g_ptr_array_new ();
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init (&it, t.reasons);
  while (g_hash_table_iter_next (&it, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort_with_data (keys, cmp_reason, t.reasons);
  g_print ("ONNX backend conformance (%s: node, pytorch-converted; rtol %g, atol %g)\n",
           root, RTOL, ATOL);
  g_print ("skipped, by reason:\n");
  for (guint i = 0; i < keys->len; i++)
    {
      GPtrArray *l = g_hash_table_lookup (t.reasons, keys->pdata[i]);
      g_print ("  %4u  %s  (", l->len, (char *) keys->pdata[i]);
      for (guint j = 0; j < l->len && j < 4; j++)
        g_print ("%s%s", j ? ", " : "", strchr (l->pdata[j], '/') + 1);
      g_print ("%s)\n", l->len > 4 ? ", ..." : "");
    }
  if (t.failures->len > 0)
    {
      g_print ("failed:\n");
      for (guint i = 0; i < t.failures->len; i++)
        g_print ("  %s\n", (char *) t.failures->pdata[i]);
    }
  g_print ("passed %d, failed %d, skipped %d (%.1f s)\n", t.passed, t.failed, t.skipped,
           (g_get_monotonic_time () - t0) / 1e6);
  gint failed = t.failed;
  g_ptr_array_unref (t.failures);
  g_hash_table_unref (t.reasons);
  ck_assert_msg (failed == 0, "%d conformance case(s) failed", failed);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("conformance");
  TCase *tc = tcase_create ("conformance");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_conformance);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
