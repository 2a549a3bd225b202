/* cli-model.c — prunelens-cli info, eval, tensor and infer: look at a model and run it. */
#include "cli-common.h"

#include <errno.h>
#include "analysis/pl-layers.h"
#include "analysis/pl-regression.h"

/* ---- info ---- */

int
cmd_info (int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON object instead of text"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("MODEL.onnx — describe a model"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return usage_error (ctx, _("info needs exactly one MODEL.onnx"));
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = pl_onnx_load_file (argv[1], &error);
  if (g == NULL)
    return fail (g_steal_pointer (&error));
  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      jb_string (b, "file", argv[1]);
      jb_int (b, "opset", g->opset);
      jb_int (b, "n_nodes", g->nodes->len);
      jb_int (b, "n_parameters", pl_graph_n_parameters (g));
      jb_double (b, "weight_sparsity", pl_graph_weight_sparsity (g));
      json_builder_set_member_name (b, "inputs");
      json_builder_begin_array (b);
      for (guint i = 0; i < g->inputs->len; i++)
        {
          PlValue *v = pl_graph_value (g, g_array_index (g->inputs, gint, i));
          json_builder_begin_object (b);
          jb_string (b, "name", v->name);
          jb_shape (b, "shape", v->ndim, v->shape);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_set_member_name (b, "nodes");
      json_builder_begin_array (b);
      for (guint i = 0; i < g->nodes->len; i++)
        {
          PlNode *n = g_ptr_array_index (g->nodes, i);
          json_builder_begin_object (b);
          jb_string (b, "op_type", n->op_type);
          jb_string (b, "name", n->name);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_set_member_name (b, "outputs");
      json_builder_begin_array (b);
      for (guint i = 0; i < g->outputs->len; i++)
        {
          PlValue *v = pl_graph_value (g, g_array_index (g->outputs, gint, i));
          json_builder_add_string_value (b, v->name);
        }
      json_builder_end_array (b);
      jb_print (b);
      return 0;
    }
  printf (_("%s: opset %lld, %u nodes, %lld parameters, weight sparsity %.2f %%\n"),
          argv[1], (long long) g->opset, g->nodes->len, (long long) pl_graph_n_parameters (g),
          100.0 * pl_graph_weight_sparsity (g));
  for (guint i = 0; i < g->inputs->len; i++)
    {
      PlValue *v = pl_graph_value (g, g_array_index (g->inputs, gint, i));
      g_autofree char *s = pl_tensor_shape_string (v->ndim, v->shape);
      printf (_("  input  %s %s\n"), v->name, s);
    }
  for (guint i = 0; i < g->nodes->len; i++)
    {
      PlNode *n = g_ptr_array_index (g->nodes, i);
      printf ("  %-12s %s\n", n->op_type, n->name);
    }
  for (guint i = 0; i < g->outputs->len; i++)
    {
      PlValue *v = pl_graph_value (g, g_array_index (g->outputs, gint, i));
      printf (_("  output %s\n"), v->name);
    }
  return 0;
}

/* ---- eval ---- */

typedef struct {
  PlGraph *graph;
  PlDataset *dataset;
  gint64 n;
  PlEvaluation *result;
  PlRegressionMetrics regression;   /* regression tables (dataset->targets) */
} EvalWork;

static gboolean
eval_work (gpointer data, const PlProgress *progress, GError **error)
{
  EvalWork *w = data;
  if (w->dataset->targets != NULL)
    return pl_regression_evaluate (w->graph, w->dataset, w->n, progress, &w->regression, error);
  w->result = pl_evaluate_classifier (w->graph, w->dataset, w->n, progress, error);
  return w->result != NULL;
}

int
cmd_eval (int argc, char **argv)
{
  g_autofree char *data_dir = NULL;
  g_autofree char *split = NULL;
  gint64 n = 0;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Dataset: a Fashion-MNIST / IDX folder, a CSV file (see --label) or a folder of PNGs by class (default: Fashion-MNIST test)"), "PATH" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &split, N_("train or test (default test)"), "SPLIT" },
    { "samples", 'n', 0, G_OPTION_ARG_INT64, &n, N_("Evaluate the first N samples (default all)"), "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON object instead of text"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("MODEL.onnx — top-1 accuracy"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  add_dataset_options (ctx);
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return usage_error (ctx, _("eval needs exactly one MODEL.onnx"));
  if (split != NULL && g_strcmp0 (split, "train") != 0 && g_strcmp0 (split, "test") != 0)
    return usage_error (ctx, _("--split must be train or test"));
  if (n < 0)
    return usage_error (ctx, _("--samples must be 0 (all) or more"));
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = NULL;
  g_autoptr (PlDataset) ds = NULL;
  cli_allow_regression = TRUE;
  cli_check_finite = TRUE;
  if (!open_model_and_dataset (argv[1], data_dir, split ? split : "test", &g, &ds, &error))
    return fail (g_steal_pointer (&error));
  EvalWork w = { g, ds, n, NULL, { 0, NAN, NAN, NAN } };
  if (!run_job (eval_work, &w, &error))
    return fail (g_steal_pointer (&error));
  if (ds->targets != NULL)
    {
      const PlRegressionMetrics *r = &w.regression;
      if (json)
        {
          g_autoptr (JsonBuilder) b = json_builder_new ();
          json_builder_begin_object (b);
          jb_string (b, "model", argv[1]);
          jb_string (b, "dataset", ds->name);
          jb_string (b, "task", "regression");
          jb_int (b, "n", r->n);
          jb_double (b, "rmse", r->rmse);
          jb_double (b, "mae", r->mae);
          jb_double (b, "r2", r->r2);
          jb_print (b);
        }
      else
        {
          g_autofree char *r2 = format_r2 (r->r2);
          printf (_("regression: RMSE %.6g, MAE %.6g, R² %s on %lld rows of %s\n"),
                  r->rmse, r->mae, r2, (long long) r->n, ds->name);
        }
      return 0;
    }
  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      jb_string (b, "model", argv[1]);
      jb_string (b, "dataset", ds->name);
      jb_int (b, "n", w.result->n);
      jb_int (b, "correct", w.result->correct);
      jb_double (b, "accuracy", w.result->accuracy);
      jb_print (b);
    }
  else
    printf (_("accuracy %.4f (%lld / %lld) on %s\n"), w.result->accuracy,
            (long long) w.result->correct, (long long) w.result->n, ds->name);
  pl_evaluation_free (w.result);
  return 0;
}


/* ---- tensor ---- */

int
cmd_tensor (int argc, char **argv)
{
  g_autofree char *other = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "compare", 'c', 0, G_OPTION_ARG_FILENAME, &other, N_("Also give the largest absolute difference to this TensorProto"), "FILE.pb" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON object instead of text"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("FILE.pb — describe an ONNX TensorProto file"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return usage_error (ctx, _("tensor needs exactly one FILE.pb"));
  g_autoptr (GError) error = NULL;
  g_autoptr (PlTensor) t = pl_onnx_load_tensor_file (argv[1], &error);
  if (t == NULL)
    return fail (g_steal_pointer (&error));
  g_autoptr (PlTensor) u = NULL;
  if (other != NULL && (u = pl_onnx_load_tensor_file (other, &error)) == NULL)
    return fail (g_steal_pointer (&error));
  double mn = INFINITY, mx = -INFINITY, sum = 0.0;
  gint64 nonfinite = 0;
  for (gint64 i = 0; i < t->numel; i++)
    {
      double v = t->data[i];
      if (!isfinite (v))
        {
          nonfinite++;
          continue;
        }
      mn = MIN (mn, v);
      mx = MAX (mx, v);
      sum += v;
    }
  gint64 finite = t->numel - nonfinite;
  double mean = finite > 0 ? sum / finite : NAN;
  double diff = NAN;
  gboolean same_shape = u != NULL && pl_tensor_same_shape (t, u);
  if (same_shape)
    {
      diff = 0.0;
      for (gint64 i = 0; i < t->numel; i++)
        {
          double d = fabs ((double) t->data[i] - (double) u->data[i]);
          if (!(d <= diff))
            diff = d;  /* NaN propagates */
        }
    }
  g_autofree char *shape = shape_of (t);
  g_autofree char *ushape = u ? shape_of (u) : NULL;
  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      jb_string (b, "file", argv[1]);
      jb_shape (b, "shape", t->ndim, t->shape);
      jb_int (b, "numel", t->numel);
      jb_double (b, "min", finite ? mn : NAN);
      jb_double (b, "max", finite ? mx : NAN);
      jb_double (b, "mean", mean);
      jb_double (b, "sum", sum);
      jb_int (b, "non_finite", nonfinite);
      if (u != NULL)
        {
          jb_string (b, "compare", other);
          json_builder_set_member_name (b, "same_shape");
          json_builder_add_boolean_value (b, same_shape);
          jb_double (b, "max_abs_difference", diff);
        }
      jb_print (b);
    }
  else
    {
      printf ("%s: shape %s, %" G_GINT64_FORMAT " values, min %.6g, max %.6g, mean %.6g, "
              "sum %.6g", argv[1], shape, t->numel, finite ? mn : NAN, finite ? mx : NAN,
              mean, sum);
      if (nonfinite)
        printf (", %" G_GINT64_FORMAT " not finite", nonfinite);
      printf ("\n");
      if (u != NULL && same_shape)
        printf ("max |difference| %.6g to %s\n", diff, other);
    }
  if (u != NULL && !same_shape)
    {
      fprintf (stderr, "prunelens-cli: %s has shape %s but %s has shape %s\n", argv[1], shape,
               other, ushape);
      return EXIT_FAILURE;
    }
  return 0;
}

/* ---- infer ---- */

int
cmd_infer (int argc, char **argv)
{
  g_autofree char *output = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Folder for output_<i>.pb (created if missing)"), "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON object instead of text"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("MODEL.onnx INPUT.pb… — run a model on TensorProto inputs"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (ctx,
      _("One INPUT.pb per data input of the model, in the model's input order.\n"
        "Each graph output i is written as DIR/output_<i>.pb (FLOAT TensorProto).\n\n"
        "Example:\n  prunelens-cli infer model.onnx input_0.pb -o out\n"));
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (argc < 3)
    return usage_error (ctx, _("infer needs a MODEL.onnx and at least one INPUT.pb"));
  if (output == NULL)
    return usage_error (ctx, _("infer needs --output DIR"));
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = pl_onnx_load_file (argv[1], &error);
  if (g == NULL)
    return fail (g_steal_pointer (&error));
  /* NaN / infinite weights would give finite, wrong outputs (Relu maps NaN to 0). */
  if (!pl_graph_check_finite_weights (g, argv[1], &error))
    return fail (g_steal_pointer (&error));
  g_autoptr (PlExecutor) ex = pl_executor_new (g, &error);
  if (ex == NULL)
    return fail_in (argv[1], g_steal_pointer (&error));
  gint n_in = pl_executor_n_inputs (ex);
  if (argc - 2 != n_in)
    return usage_error (ctx, _("%s has %d data input(s) but %d INPUT.pb file(s) were given"),
                        argv[1], n_in, argc - 2);
  g_autoptr (GPtrArray) inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_tensor_unref);
  for (int i = 2; i < argc; i++)
    {
      PlTensor *t = pl_onnx_load_tensor_file (argv[i], &error);
      if (t == NULL)
        return fail (g_steal_pointer (&error));
      g_ptr_array_add (inputs, t);
    }
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = n_in == 1
      ? pl_executor_forward (ex, g_ptr_array_index (inputs, 0), &error)
      : pl_executor_forward_multi (ex, n_in, (const PlTensor *const *) inputs->pdata, &error);
  double ms = (g_get_monotonic_time () - t0) / 1000.0;
  if (!ok)
    return fail_in (argv[1], g_steal_pointer (&error));
  if (!ensure_dir (output, &error))
    return fail (g_steal_pointer (&error));
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  jb_string (b, "model", argv[1]);
  jb_double (b, "forward_ms", ms);
  json_builder_set_member_name (b, "outputs");
  json_builder_begin_array (b);
  for (guint i = 0; i < g->outputs->len; i++)
    {
      PlValue *v = pl_graph_value (g, g_array_index (g->outputs, gint, i));
      const PlTensor *t = pl_executor_output (ex, (gint) i);
      if (t == NULL)
        {
          g_set_error (&error, PL_ERROR, PL_ERROR_FAILED, "%s: output %u (%s) was not computed",
                       argv[1], i, v->name);
          return fail (g_steal_pointer (&error));
        }
      g_autofree char *base = g_strdup_printf ("output_%u.pb", i);
      g_autofree char *path = g_build_filename (output, base, NULL);
      if (!pl_onnx_save_tensor_file (t, v->name, path, &error))
        return fail (g_steal_pointer (&error));
      g_autofree char *shape = shape_of (t);
      if (!json)
        printf ("output %u %s %s -> %s\n", i, v->name, shape, path);
      json_builder_begin_object (b);
      jb_string (b, "name", v->name);
      jb_shape (b, "shape", t->ndim, t->shape);
      jb_string (b, "file", path);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (json)
    jb_print (b);
  return 0;
}
