/* cli-prune.c — prunelens-cli prune: prune with any criterion, granularity, scope and
 * schedule, evaluate the original and the pruned network on every metric, save the pruned
 * model (physically smaller for structured pruning). */
#include "cli-common.h"

#include "analysis/pl-layers.h"
#include "analysis/pl-regression.h"
#include "analysis/pl-step-metrics.h"
#include "prune/pl-prune-schedule.h"

/* ---- option parsing ---- */

/* "oneshot", "iterative[:K]", "polynomial[:N]", "rewind[:K]" */
static gboolean
parse_schedule (const char *s, PlScheduleKind *kind, gint *steps)
{
  const char *colon = strchr (s, ':');
  g_autofree char *name = colon ? g_strndup (s, (gsize) (colon - s)) : g_strdup (s);
  if (g_ascii_strcasecmp (name, "oneshot") == 0 || g_ascii_strcasecmp (name, "one-shot") == 0)
    *kind = PL_SCHEDULE_ONE_SHOT;
  else if (g_ascii_strcasecmp (name, "iterative") == 0)
    *kind = PL_SCHEDULE_ITERATIVE;
  else if (g_ascii_strcasecmp (name, "polynomial") == 0)
    *kind = PL_SCHEDULE_POLYNOMIAL;
  else if (g_ascii_strcasecmp (name, "rewind") == 0)
    *kind = PL_SCHEDULE_REWIND;
  else
    return FALSE;
  if (colon == NULL)
    {
      *steps = *kind == PL_SCHEDULE_REWIND ? 1 : 5;
      return TRUE;
    }
  if (*kind == PL_SCHEDULE_ONE_SHOT)
    return FALSE;
  char *end = NULL;
  gint64 k = g_ascii_strtoll (colon + 1, &end, 10);
  if (end == colon + 1 || *end != '\0' || k < 1 || k > 1000)
    return FALSE;
  *steps = (gint) k;
  return TRUE;
}

/* ---- the work ---- */

typedef struct {
  PlGraph *graph;
  PlDataset *dataset;
  PlPruneConfig *config;
  PlPruneSchedule *schedule;
  double sparsity;
  gint64 n;
  gint latency_runs;
  /* results */
  PlStepMetrics *original;
  PlPruneHistory *history;
  PlGraph *final;            /* masked */
  PlGraph *small;            /* physically removed (structured), else NULL */
  PlStepMetrics *pruned;     /* of small when structured, else of final */
  PlCost *masked_cost;       /* structured: cost of the masked graph (file size, latency) */
  /* regression tables (dataset->targets): no classification metrics */
  PlRegressionMetrics reg_original, reg_pruned;
  PlCost *cost_original, *cost_pruned;
} PruneWork;

/* Regression: RMSE, MAE, R² and cost of the original and the pruned network. */
static gboolean
prune_regression_work (PruneWork *w, const PlProgress *progress, GError **error)
{
  gint n_steps = pl_prune_schedule_n_steps (w->schedule);
  PlProgress p0 = pl_progress_sub (progress, 0.0, 0.1);
  pl_progress_report (&p0, 0.0, _("Evaluating the original network"));
  if (!pl_regression_evaluate (w->graph, w->dataset, w->n, &p0, &w->reg_original, error))
    return FALSE;
  w->cost_original = pl_cost_compute (w->graph, TRUE, w->latency_runs, error);
  if (w->cost_original == NULL)
    return FALSE;
  w->history = pl_prune_history_new (w->graph, (guint) n_steps + 2);
  PlProgress p1 = pl_progress_sub (progress, 0.1, 0.8);
  g_autoptr (PlScheduleResult) r = pl_prune_schedule_run (w->graph, w->config, w->schedule,
                                                          w->sparsity, w->history, &p1, error);
  if (r == NULL)
    return FALSE;
  w->final = pl_graph_ref (r->final);
  if (w->config->granularity == PL_PRUNE_GRANULARITY_CHANNELS)
    {
      w->small = pl_prune_physically_remove (w->final, error);
      if (w->small == NULL)
        return FALSE;
      w->masked_cost = pl_cost_compute (w->final, TRUE, w->latency_runs, error);
      if (w->masked_cost == NULL)
        return FALSE;
    }
  PlGraph *out = w->small ? w->small : w->final;
  PlProgress pf = pl_progress_sub (progress, 0.8, 1.0);
  if (!pl_regression_evaluate (out, w->dataset, w->n, &pf, &w->reg_pruned, error))
    return FALSE;
  w->cost_pruned = pl_cost_compute (out, TRUE, w->latency_runs, error);
  return w->cost_pruned != NULL;
}

static gboolean
prune_work (gpointer data, const PlProgress *progress, GError **error)
{
  PruneWork *w = data;
  if (w->dataset->targets != NULL)
    return prune_regression_work (w, progress, error);
  PlStepMetricsOptions o;
  pl_step_metrics_options_init (&o);
  o.n_eval = w->n;
  o.latency_runs = w->latency_runs;

  gint n_steps = pl_prune_schedule_n_steps (w->schedule);
  /* shares: original metrics 10 %, schedule 60 %, per-step metrics 20 %, final 10 % */
  PlProgress p0 = pl_progress_sub (progress, 0.0, 0.1);
  pl_progress_report (&p0, 0.0, _("Evaluating the original network"));
  w->original = pl_step_metrics_compute (w->graph, w->dataset, NULL, &o, &p0, error);
  if (w->original == NULL)
    return FALSE;
  w->history = pl_prune_history_new (w->graph, (guint) n_steps + 2);
  pl_step_metrics_attach (w->history, 0, w->original);

  PlProgress p1 = pl_progress_sub (progress, 0.1, 0.7);
  g_autoptr (PlScheduleResult) r = pl_prune_schedule_run (w->graph, w->config, w->schedule,
                                                          w->sparsity, w->history, &p1, error);
  if (r == NULL)
    return FALSE;
  w->final = pl_graph_ref (r->final);

  /* Every intermediate step: classification and cost without latency. */
  PlStepMetricsOptions so = o;
  so.latency_runs = 0;
  guint first = pl_prune_history_n_steps (w->history) - r->steps->len;
  for (guint j = 0; j + 1 < r->steps->len; j++)
    {
      PlProgress ps = pl_progress_sub (progress, 0.7 + 0.2 * j / r->steps->len,
                                       0.7 + 0.2 * (j + 1) / r->steps->len);
      PlScheduleStep *st = g_ptr_array_index (r->steps, j);
      PlStepMetrics *m = pl_step_metrics_compute (st->graph, w->dataset, w->original, &so, &ps,
                                                  error);
      if (m == NULL)
        return FALSE;
      pl_step_metrics_attach (w->history, first + j, m);
    }

  PlProgress pf = pl_progress_sub (progress, 0.9, 1.0);
  if (w->config->granularity == PL_PRUNE_GRANULARITY_CHANNELS)
    {
      w->small = pl_prune_physically_remove (w->final, error);
      if (w->small == NULL)
        return FALSE;
      w->masked_cost = pl_cost_compute (w->final, TRUE, w->latency_runs, error);
      if (w->masked_cost == NULL)
        return FALSE;
    }
  PlStepMetrics *m = pl_step_metrics_compute (w->small ? w->small : w->final, w->dataset,
                                              w->original, &o, &pf, error);
  if (m == NULL)
    return FALSE;
  pl_step_metrics_attach (w->history, pl_prune_history_n_steps (w->history) - 1, m);
  w->pruned = m;
  return TRUE;
}

/* ---- output ---- */

static char *
human_bytes (gint64 b)
{
  if (b < 0)
    return g_strdup ("?");
  if (b < 10 * 1024)
    return g_strdup_printf ("%" G_GINT64_FORMAT " B", b);
  if (b < 10 * 1024 * 1024)
    return g_strdup_printf ("%.0f KB", b / 1024.0);
  return g_strdup_printf ("%.1f MB", b / (1024.0 * 1024.0));
}

/* "−47 %" / "+3 %" (a real minus sign), "?" when undefined. */
static char *
pct_change (double from, double to)
{
  if (!(from != 0) || !isfinite (from) || !isfinite (to))
    return g_strdup ("?");
  double p = round (100.0 * (to - from) / from);
  if (p == 0)
    return g_strdup ("0 %");
  return g_strdup_printf ("%s%.0f %%", p < 0 ? "−" : "+", fabs (p));
}

static void
print_changed (const PlStepMetrics *m)
{
  printf (_("agreement with the original %.4f (%lld of %lld"
            " predictions changed"), m->agreement, (long long) m->n_changed, (long long) m->n);
  if (m->n_changed > 0)
    {
      printf (": ");
      gint64 shown = MIN (m->n_changed, (gint64) 20);
      for (gint64 i = 0; i < shown; i++)
        printf ("%s%" G_GINT64_FORMAT, i ? ", " : "", m->changed[i]);
      if (shown < m->n_changed)
        printf (", …");
    }
  printf (")\n");
}

static void
print_confusion (const PlStepMetrics *m)
{
  gint k = m->n_classes;
  printf ("       ");
  for (gint j = 0; j < k; j++)
    printf (" %5d", j);
  printf ("\n");
  for (gint i = 0; i < k; i++)
    {
      printf ("  %4d ", i);
      for (gint j = 0; j < k; j++)
        printf (" %5" G_GINT64_FORMAT, m->confusion[(gsize) i * k + j]);
      printf ("\n");
    }
}

static void
print_cost_rows (const PlCost *ca, const PlCost *cb, gint latency_runs)
{
  printf ("%-34s %14" G_GINT64_FORMAT " %14" G_GINT64_FORMAT "\n", _("parameters"),
          ca->params_total, cb->params_total);
  printf ("%-34s %14" G_GINT64_FORMAT " %14" G_GINT64_FORMAT "\n", _("non-zero parameters"),
          ca->params_nonzero, cb->params_nonzero);
  printf ("%-34s %14" G_GINT64_FORMAT " %14" G_GINT64_FORMAT "\n", _("MACs per sample, dense"),
          ca->macs_dense, cb->macs_dense);
  printf ("%-34s %14" G_GINT64_FORMAT " %14" G_GINT64_FORMAT "\n",
          _("MACs per sample, effective"), ca->macs_effective, cb->macs_effective);
  printf ("%-34s %14" G_GINT64_FORMAT " %14" G_GINT64_FORMAT "\n", _("ONNX file size (bytes)"),
          ca->file_size, cb->file_size);
  if (latency_runs > 0)
    printf ("%-34s %14.3f %14.3f\n", _("latency, batch 1 (ms, median)"), ca->latency_ms,
            cb->latency_ms);
}

static void
print_regression_text (const PruneWork *w, const char *output)
{
  const PlRegressionMetrics *a = &w->reg_original, *b = &w->reg_pruned;
  const PlCost *ca = w->cost_original, *cb = w->cost_pruned;
  printf (_("sparsity %.4f of %lld weights, RMSE %.6g on %lld rows of %s (regression)\n"),
          pl_graph_weight_sparsity (w->final), (long long) ca->prunable_weights, b->rmse,
          (long long) b->n, w->dataset->name);
  g_autofree char *cd = pl_prune_config_describe (w->config);
  g_autofree char *sd = pl_prune_schedule_describe (w->schedule);
  g_autofree char *pd = protected_description (w->config, w->graph);
  printf (_("pruning: %s; schedule: %s; seed %llu\n"), cd, sd,
          (unsigned long long) w->config->seed);
  printf (_("protected layers: %s\n"), pd);
  printf (_("%-34s %14s %14s\n"), "", _("original"), _("pruned"));
  printf ("%-34s %14.6g %14.6g\n", _("RMSE"), a->rmse, b->rmse);
  printf ("%-34s %14.6g %14.6g\n", _("MAE"), a->mae, b->mae);
  g_autofree char *r2a = format_r2 (a->r2), *r2b = format_r2 (b->r2);
  printf ("%-34s %14s %14s\n", _("R²"), r2a, r2b);
  print_cost_rows (ca, cb, w->latency_runs);
  printf (_("(1 MAC = one multiply-add; Gemm = M·N·K; effective MACs count non-zero weights "
            "only)\n"));
  if (output != NULL)
    printf (_("wrote %s\n"), output);
}

static void
jb_regression (JsonBuilder *b, const char *name, const PlRegressionMetrics *m, const PlCost *c)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  jb_int (b, "n", m->n);
  jb_double (b, "rmse", m->rmse);
  jb_double (b, "mae", m->mae);
  jb_double (b, "r2", m->r2);
  jb_int (b, "params_total", c->params_total);
  jb_int (b, "params_nonzero", c->params_nonzero);
  jb_double (b, "weight_sparsity", c->weight_sparsity);
  jb_int (b, "macs_dense", c->macs_dense);
  jb_int (b, "macs_effective", c->macs_effective);
  jb_int (b, "file_size", c->file_size);
  jb_double (b, "latency_ms", c->latency_ms);
  json_builder_end_object (b);
}

static void
jb_protected (JsonBuilder *b, const PlPruneConfig *config, const PlGraph *graph)
{
  g_auto (GStrv) def = config->protected_layers ? NULL : pl_prune_default_protected (graph);
  char **names = config->protected_layers ? config->protected_layers : def;
  json_builder_set_member_name (b, "protected");
  json_builder_begin_array (b);
  for (gchar **p = names; p && *p; p++)
    json_builder_add_string_value (b, *p);
  json_builder_end_array (b);
}

static void
print_regression_json (const PruneWork *w, const char *model, const char *output)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  jb_string (b, "model", model);
  jb_string (b, "task", "regression");
  jb_double (b, "target_sparsity", w->sparsity);
  jb_double (b, "achieved_sparsity", pl_graph_weight_sparsity (w->final));
  jb_int (b, "n_weights", w->cost_original->prunable_weights);
  jb_string (b, "dataset", w->dataset->name);
  jb_string (b, "output", output);
  g_autofree char *cd = pl_prune_config_describe (w->config);
  g_autofree char *sd = pl_prune_schedule_describe (w->schedule);
  jb_string (b, "pruning", cd);
  jb_string (b, "schedule", sd);
  jb_int (b, "seed", (gint64) w->config->seed);
  jb_protected (b, w->config, w->graph);
  jb_regression (b, "original", &w->reg_original, w->cost_original);
  jb_regression (b, "pruned", &w->reg_pruned, w->cost_pruned);
  jb_print (b);
}

/* Output channels (Conv) or neurons (Gemm / MatMul) of the layer named name in graph; -1
 * when there is no such layer. */
static gint64
layer_outputs (const PlGraph *graph, const PlNode *like)
{
  for (guint i = 0; i < graph->nodes->len; i++)
    {
      const PlNode *n = g_ptr_array_index (graph->nodes, i);
      if (g_strcmp0 (n->op_type, like->op_type) != 0 || g_strcmp0 (n->name, like->name) != 0
          || n->n_inputs < 2 || n->inputs[1] < 0)
        continue;
      const PlValue *v = pl_graph_value (graph, n->inputs[1]);
      if (v->init == NULL || v->init->ndim < 2)
        return -1;
      if (g_strcmp0 (n->op_type, "Conv") == 0)
        return v->init->shape[0];
      gboolean trans_b = FALSE;
      for (gint a = 0; a < n->n_attrs; a++)
        if (g_strcmp0 (n->attrs[a].name, "transB") == 0)
          trans_b = n->attrs[a].i != 0;
      return g_strcmp0 (n->op_type, "Gemm") == 0 && trans_b ? v->init->shape[0]
                                                             : v->init->shape[1];
    }
  return -1;
}

/* Structured pruning: "channels kept: conv2 32 → 20, …", and a note for every layer left
 * with a single channel (pruning never empties a layer: pl-prune.h). */
static void
print_channels (const PruneWork *w)
{
  if (w->small == NULL)
    return;
  g_autoptr (GString) line = g_string_new (NULL);
  g_autoptr (GString) notes = g_string_new (NULL);
  for (guint i = 0; i < w->graph->nodes->len; i++)
    {
      const PlNode *n = g_ptr_array_index (w->graph->nodes, i);
      if (g_strcmp0 (n->op_type, "Conv") != 0 && g_strcmp0 (n->op_type, "Gemm") != 0
          && g_strcmp0 (n->op_type, "MatMul") != 0)
        continue;
      gint64 before = layer_outputs (w->graph, n), after = layer_outputs (w->small, n);
      if (before < 0 || after < 0)
        continue;
      const char *name = n->name && *n->name ? n->name : n->op_type;
      g_string_append_printf (line, "%s %s %lld → %lld", line->len ? "," : "", name,
                              (long long) before, (long long) after);
      if (after == 1 && before > 1)
        g_string_append_printf (notes, _("note: %s keeps only 1 of its %lld channels (pruning "
                                         "always keeps at least one channel per layer)\n"),
                                name, (long long) before);
    }
  if (line->len > 0)
    printf (_("channels kept:%s\n"), line->str);
  fputs (notes->str, stdout);
}

static void
print_text (const PruneWork *w, const char *output)
{
  const PlStepMetrics *a = w->original, *b = w->pruned;
  const PlCost *ca = a->cost, *cb = b->cost;
  /* The first line as before (tests and scripts read it). */
  printf ("sparsity %.4f of %" G_GINT64_FORMAT " weights, accuracy %.4f on %" G_GINT64_FORMAT
          " samples of %s\n", pl_graph_weight_sparsity (w->final), ca->prunable_weights,
          b->top1, b->n, w->dataset->name);
  g_autofree char *cd = pl_prune_config_describe (w->config);
  g_autofree char *sd = pl_prune_schedule_describe (w->schedule);
  printf (_("pruning: %s; schedule: %s; seed %llu\n"), cd, sd,
          (unsigned long long) w->config->seed);
  g_autofree char *pd = protected_description (w->config, w->graph);
  printf (_("protected layers: %s\n"), pd);
  {
    /* protected layers stay dense: the target is a share of the others */
    g_autofree char *sp = pl_sparsity_label (
        pl_prune_config_target_is_weight_share (w->config) ? w->sparsity : 0.0,
        pl_graph_weight_sparsity (w->final));
    printf (_("pruned: %s\n"), sp);
  }
  guint n_steps = pl_prune_history_n_steps (w->history);
  if (n_steps > 2)
    for (guint s = 1; s < n_steps; s++)
      {
        const PlPruneHistoryStep *hs = pl_prune_history_step (w->history, s);
        const PlStepMetrics *m = pl_step_metrics_get (w->history, s);
        printf ("  %s: weight sparsity %.4f", hs->schedule, pl_graph_weight_sparsity (hs->graph));
        if (m != NULL)
          printf (", top-1 %.4f, agreement %.4f", m->top1, m->agreement);
        printf ("\n");
      }
  printf (_("%-34s %14s %14s\n"), "", _("original"), _("pruned"));
  printf ("%-34s %14.4f %14.4f\n", _("top-1 accuracy"), a->top1, b->top1);
  if (a->n_classes > 5)
    printf ("%-34s %14.4f %14.4f\n", _("top-5 accuracy"), a->top5, b->top5);
  printf ("%-34s %14.4f %14.4f\n", _("macro precision"), a->macro_precision, b->macro_precision);
  printf ("%-34s %14.4f %14.4f\n", _("macro recall"), a->macro_recall, b->macro_recall);
  printf ("%-34s %14.4f %14.4f\n", _("macro F1"), a->macro_f1, b->macro_f1);
  printf ("%-34s %14" G_GINT64_FORMAT " %14" G_GINT64_FORMAT "\n", _("parameters"),
          ca->params_total, cb->params_total);
  printf ("%-34s %14" G_GINT64_FORMAT " %14" G_GINT64_FORMAT "\n", _("non-zero parameters"),
          ca->params_nonzero, cb->params_nonzero);
  printf ("%-34s %14" G_GINT64_FORMAT " %14" G_GINT64_FORMAT "\n", _("MACs per sample, dense"),
          ca->macs_dense, cb->macs_dense);
  printf ("%-34s %14" G_GINT64_FORMAT " %14" G_GINT64_FORMAT "\n",
          _("MACs per sample, effective"), ca->macs_effective, cb->macs_effective);
  printf ("%-34s %14" G_GINT64_FORMAT " %14" G_GINT64_FORMAT "\n", _("ONNX file size (bytes)"),
          ca->file_size, cb->file_size);
  if (w->latency_runs > 0)
    printf ("%-34s %14.3f %14.3f\n", _("latency, batch 1 (ms, median)"), ca->latency_ms,
            cb->latency_ms);
  printf (_("(1 MAC = one multiply-add; Conv = Cout·Hout·Wout·(Cin/groups)·Kh·Kw, "
            "Gemm = M·N·K; effective MACs count non-zero weights only)\n"));
  print_changed (b);
  printf (_("mean KL(original ‖ pruned) %.6f nats\n"), b->mean_kl);
  printf (_("per-layer weight sparsity:"));
  for (gint l = 0; l < cb->n_layers; l++)
    {
      /* Structured: the sparsity of the masked layer (before removal). */
      const PlLayerCost *lc = w->masked_cost ? &w->masked_cost->layers[l] : &cb->layers[l];
      printf ("%s %s %.2f %%", l ? "," : "", lc->name, 100.0 * lc->sparsity);
    }
  printf ("\n");
  if (w->small != NULL)
    {
      g_autofree char *fa = human_bytes (ca->file_size), *fb = human_bytes (cb->file_size);
      g_autofree char *pf = pct_change ((double) ca->file_size, (double) cb->file_size);
      g_autofree char *pl = pct_change (ca->latency_ms, cb->latency_ms);
      printf (_("structured: file %s → %s (%s)"), fa, fb, pf);
      if (w->latency_runs > 0)
        printf (_(", latency %.3f → %.3f ms (%s)"), ca->latency_ms, cb->latency_ms, pl);
      printf (_(", parameters %lld → %lld\n"),
              (long long) ca->params_total, (long long) cb->params_total);
    }
  print_channels (w);
  printf (_("confusion matrix of the pruned network (rows: true class, columns: predicted):\n"));
  print_confusion (b);
  if (output != NULL)
    printf (_("wrote %s\n"), output);
}

static void
jb_metrics (JsonBuilder *b, const char *name, const PlStepMetrics *m, const PlCost *masked)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  jb_int (b, "n", m->n);
  jb_double (b, "top1", m->top1);
  jb_double (b, "top5", m->top5);
  jb_double (b, "macro_precision", m->macro_precision);
  jb_double (b, "macro_recall", m->macro_recall);
  jb_double (b, "macro_f1", m->macro_f1);
  if (m->has_reference)
    {
      jb_double (b, "agreement", m->agreement);
      jb_double (b, "mean_kl", m->mean_kl);
      jb_int (b, "n_changed", m->n_changed);
      json_builder_set_member_name (b, "changed");
      json_builder_begin_array (b);
      for (gint64 i = 0; i < m->n_changed; i++)
        json_builder_add_int_value (b, m->changed[i]);
      json_builder_end_array (b);
    }
  json_builder_set_member_name (b, "confusion");
  json_builder_begin_array (b);
  for (gint i = 0; i < m->n_classes; i++)
    {
      json_builder_begin_array (b);
      for (gint j = 0; j < m->n_classes; j++)
        json_builder_add_int_value (b, m->confusion[(gsize) i * m->n_classes + j]);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
  const PlCost *c = m->cost;
  if (c != NULL)
    {
      jb_int (b, "params_total", c->params_total);
      jb_int (b, "params_nonzero", c->params_nonzero);
      jb_double (b, "weight_sparsity", masked ? masked->weight_sparsity : c->weight_sparsity);
      jb_int (b, "macs_dense", c->macs_dense);
      jb_int (b, "macs_effective", c->macs_effective);
      jb_int (b, "file_size", c->file_size);
      jb_double (b, "latency_ms", c->latency_ms);
      json_builder_set_member_name (b, "layers");
      json_builder_begin_array (b);
      for (gint l = 0; l < c->n_layers; l++)
        {
          const PlLayerCost *lc = &c->layers[l];
          json_builder_begin_object (b);
          jb_string (b, "name", lc->name);
          jb_string (b, "op_type", lc->op_type);
          jb_int (b, "weights", lc->weights);
          jb_int (b, "nonzero", lc->nonzero);
          jb_double (b, "sparsity", masked ? masked->layers[l].sparsity : lc->sparsity);
          jb_int (b, "macs_dense", lc->macs_dense);
          jb_int (b, "macs_effective", lc->macs_effective);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
}

static void
print_json (const PruneWork *w, const char *model, const char *output)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  jb_string (b, "model", model);
  jb_double (b, "target_sparsity", w->sparsity);
  jb_double (b, "achieved_sparsity", pl_graph_weight_sparsity (w->final));
  jb_int (b, "n_weights", w->original->cost->prunable_weights);
  jb_string (b, "dataset", w->dataset->name);
  jb_int (b, "n", w->pruned->n);
  jb_int (b, "correct", (gint64) llround (w->pruned->top1 * (double) w->pruned->n));
  jb_double (b, "accuracy", w->pruned->top1);
  jb_string (b, "output", output);
  g_autofree char *cd = pl_prune_config_describe (w->config);
  g_autofree char *sd = pl_prune_schedule_describe (w->schedule);
  jb_string (b, "pruning", cd);
  jb_string (b, "schedule", sd);
  jb_int (b, "seed", (gint64) w->config->seed);
  jb_protected (b, w->config, w->graph);
  jb_string (b, "mac_convention", "one MAC = one multiply-add; Conv = Cout*Hout*Wout*(Cin/groups)*Kh*Kw; "
             "Gemm = M*N*K; effective MACs count non-zero weights only; per sample");
  jb_metrics (b, "original", w->original, NULL);
  jb_metrics (b, "pruned", w->pruned, w->masked_cost);
  json_builder_set_member_name (b, "steps");
  json_builder_begin_array (b);
  guint n_steps = pl_prune_history_n_steps (w->history);
  for (guint s = 1; s < n_steps; s++)
    {
      const PlPruneHistoryStep *hs = pl_prune_history_step (w->history, s);
      const PlStepMetrics *m = pl_step_metrics_get (w->history, s);
      json_builder_begin_object (b);
      jb_int (b, "index", s);
      jb_string (b, "description", hs->schedule);
      jb_double (b, "target_sparsity", hs->sparsity);
      jb_double (b, "weight_sparsity", pl_graph_weight_sparsity (hs->graph));
      if (m != NULL)
        {
          jb_double (b, "top1", m->top1);
          jb_double (b, "agreement", m->agreement);
          jb_double (b, "mean_kl", m->mean_kl);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (w->small != NULL)
    {
      json_builder_set_member_name (b, "structured");
      json_builder_begin_object (b);
      jb_int (b, "file_size_before", w->original->cost->file_size);
      jb_int (b, "file_size_after", w->pruned->cost->file_size);
      jb_int (b, "file_size_masked", w->masked_cost->file_size);
      jb_double (b, "latency_ms_before", w->original->cost->latency_ms);
      jb_double (b, "latency_ms_after", w->pruned->cost->latency_ms);
      jb_double (b, "latency_ms_masked", w->masked_cost->latency_ms);
      jb_int (b, "params_before", w->original->cost->params_total);
      jb_int (b, "params_after", w->pruned->cost->params_total);
      json_builder_end_object (b);
    }
  jb_print (b);
}

static void
prune_work_clear (PruneWork *w)
{
  g_clear_pointer (&w->history, pl_prune_history_free);   /* frees the metrics */
  g_clear_pointer (&w->final, pl_graph_unref);
  g_clear_pointer (&w->small, pl_graph_unref);
  g_clear_pointer (&w->masked_cost, pl_cost_free);
  g_clear_pointer (&w->cost_original, pl_cost_free);
  g_clear_pointer (&w->cost_pruned, pl_cost_free);
}

int
cmd_prune (int argc, char **argv)
{
  g_autofree char *data_dir = NULL;
  g_autofree char *output = NULL;
  g_autofree char *sparsity_text = NULL;
  g_autofree char *criterion_text = NULL;
  g_autofree char *granularity_text = NULL;
  g_autofree char *scope_text = NULL;
  g_autofree char *protect_text = NULL;
  g_autofree char *schedule_text = NULL;
  g_autofree char *rewind_path = NULL;
  g_autofree char *initial_text = NULL;
  g_auto (GStrv) overrides = NULL;
  gboolean no_protect = FALSE, linear = FALSE, json = FALSE;
  gint64 n = 2000, train_samples = 0, calibration = 64, seed = 1;
  gint finetune_epochs = 0, latency_runs = 7, batch_size = 64;
  double lr = 1e-3;
  GOptionEntry entries[] = {
    { "sparsity", 's', 0, G_OPTION_ARG_STRING, &sparsity_text, N_("Target sparsity: 0.9 or 90% (not needed for N:M)"), "S" },
    { "criterion", 'c', 0, G_OPTION_ARG_STRING, &criterion_text, N_("magnitude (default), random, taylor, l1 or l2"), "C" },
    { "granularity", 'g', 0, G_OPTION_ARG_STRING, &granularity_text, N_("unstructured (default), channels, or N:M such as 2:4"), "G" },
    { "scope", 0, 0, G_OPTION_ARG_STRING, &scope_text, N_("global (default) or layerwise"), "SCOPE" },
    { "protect", 0, 0, G_OPTION_ARG_STRING, &protect_text, N_("Layers never pruned, comma-separated; \"default\" (the default: the first Conv and the last Gemm / MatMul) or \"none\""), "LAYER,…" },
    { "no-protect", 0, 0, G_OPTION_ARG_NONE, &no_protect, N_("Protect no layer (as --protect none)"), NULL },
    { "override", 0, 0, G_OPTION_ARG_STRING_ARRAY, &overrides, N_("Per-layer sparsity, e.g. fc1=0.95 (repeatable)"), "LAYER=S" },
    { "schedule", 0, 0, G_OPTION_ARG_STRING, &schedule_text, N_("oneshot (default), iterative[:K], polynomial[:N] or rewind[:K]"), "SCHEDULE" },
    { "linear", 0, 0, G_OPTION_ARG_NONE, &linear, N_("iterative / rewind: linear sparsity steps instead of geometric"), NULL },
    { "initial-sparsity", 0, 0, G_OPTION_ARG_STRING, &initial_text, N_("polynomial: initial sparsity s_i (default 0)"), "S" },
    { "finetune-epochs", 'e', 0, G_OPTION_ARG_INT, &finetune_epochs, N_("Epochs of fine-tuning after every pruning step (default 0)"), "E" },
    { "train-samples", 0, 0, G_OPTION_ARG_INT64, &train_samples, N_("Fine-tune on the first N training samples (default all)"), "N" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, N_("Fine-tuning learning rate (Adam, default 0.001)"), "LR" },
    { "batch-size", 0, 0, G_OPTION_ARG_INT, &batch_size, N_("Fine-tuning minibatch size (default 64)"), "B" },
    { "rewind-to", 0, 0, G_OPTION_ARG_FILENAME, &rewind_path, N_("rewind: weights to rewind to (an ONNX checkpoint of the same network; default the model's own)"), "FILE" },
    { "calibration", 0, 0, G_OPTION_ARG_INT64, &calibration, N_("taylor: training samples for the gradients (default 64)"), "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Seed of random scores and fine-tuning (default 1)"), "S" },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Fashion-MNIST folder"), "DIR" },
    { "samples", 'n', 0, G_OPTION_ARG_INT64, &n, N_("Evaluate on the first N test samples (default 2000)"), "N" },
    { "latency-runs", 0, 0, G_OPTION_ARG_INT, &latency_runs, N_("Batch-1 forward passes timed for the latency (median; default 7, 0: none)"), "R" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Write the pruned model here (ONNX; structured pruning writes the smaller network)"), "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON object instead of text"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (_("[MODEL.onnx] — prune, evaluate and save"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (ctx,
      _("Prints top-1 / top-5 accuracy, macro precision / recall / F1, agreement with the\n"
        "original and the inputs whose prediction changed, mean KL divergence, parameters,\n"
        "MACs (1 MAC = one multiply-add), file size and latency, for the original and the\n"
        "pruned network. Without MODEL the default model is used.\n\n"
        "Examples:\n"
        "  prunelens-cli prune data/models/fashion-cnn.onnx --sparsity 90% -o pruned.onnx\n"
        "  prunelens-cli prune --granularity channels --criterion l1 --scope layerwise \\\n"
        "      --protect default --sparsity 50% -o small.onnx\n"
        "  prunelens-cli prune --granularity 2:4 --schedule iterative:3 --finetune-epochs 1\n"
        "  prunelens-cli prune --sparsity 80% --schedule polynomial:4 --finetune-epochs 1 \\\n"
        "      --train-samples 5000\n"));
  int status = 0;
  if (!parse (ctx, &argc, &argv, &status))
    return status;
  if (argc > 2)
    return usage_error (ctx, _("prune takes at most one MODEL.onnx"));

  g_autoptr (PlPruneConfig) cfg = pl_prune_config_new ();
  if (criterion_text != NULL && !cli_parse_criterion (criterion_text, &cfg->criterion))
    return usage_error (ctx, _("--criterion must be magnitude, random, taylor, l1 or l2, not “%s”"),
                        criterion_text);
  if (granularity_text != NULL && !cli_parse_granularity (granularity_text, cfg))
    return usage_error (ctx, _("--granularity must be unstructured, channels or N:M with "
                               "1 ≤ N ≤ M ≤ 64 (e.g. 2:4), not “%s”"), granularity_text);
  if (scope_text != NULL)
    {
      if (g_ascii_strcasecmp (scope_text, "global") == 0)
        cfg->scope = PL_PRUNE_SCOPE_GLOBAL;
      else if (g_ascii_strcasecmp (scope_text, "layerwise") == 0)
        cfg->scope = PL_PRUNE_SCOPE_LAYERWISE;
      else
        return usage_error (ctx, _("--scope must be global or layerwise, not “%s”"), scope_text);
    }
  if (no_protect && protect_text != NULL)
    return usage_error (ctx, _("--protect and --no-protect exclude each other"));
  apply_protect (cfg, no_protect ? "none" : protect_text);
  for (gchar **o = overrides; o && *o; o++)
    {
      const char *eq = strrchr (*o, '=');
      double s;
      if (eq == NULL || eq == *o || !parse_sparsity (eq + 1, &s))
        return usage_error (ctx, _("--override must be LAYER=S with S in [0, 1] or a "
                                   "percentage, not “%s”"), *o);
      g_autofree char *layer = g_strndup (*o, (gsize) (eq - *o));
      pl_prune_config_set_override (cfg, layer, s);
    }
  if (seed < 0)
    return usage_error (ctx, _("--seed must be 0 or more"));
  cfg->seed = (guint64) seed;

  double sparsity = 0.0;
  if (sparsity_text == NULL && cfg->granularity != PL_PRUNE_GRANULARITY_NM)
    return usage_error (ctx, _("prune needs --sparsity S (e.g. 0.9 or 90%%)"));
  if (sparsity_text != NULL && !parse_sparsity (sparsity_text, &sparsity))
    return usage_error (ctx, _("--sparsity must be a number in [0, 1] or a percentage"));
  if (n < 1)
    return usage_error (ctx, _("--samples must be 1 or more"));
  if (finetune_epochs < 0 || finetune_epochs > 1000)
    return usage_error (ctx, _("--finetune-epochs must be between 0 and 1000"));
  if (latency_runs < 0 || latency_runs > 10000)
    return usage_error (ctx, _("--latency-runs must be between 0 and 10000"));
  if (calibration < 1 || calibration > 1000000)
    return usage_error (ctx, _("--calibration must be between 1 and 1000000 (and at most "
                               "the training set's size)"));
  if (batch_size < 1)
    return usage_error (ctx, _("--batch-size must be 1 or more"));
  if (!(lr > 0 && isfinite (lr)))
    return usage_error (ctx, _("--lr must be a positive number"));

  PlScheduleKind kind = PL_SCHEDULE_ONE_SHOT;
  gint steps = 1;
  if (schedule_text != NULL && !parse_schedule (schedule_text, &kind, &steps))
    return usage_error (ctx, _("--schedule must be oneshot, iterative[:K], polynomial[:N] or "
                               "rewind[:K] with K, N from 1 to 1000, not “%s”"), schedule_text);
  g_autoptr (PlPruneSchedule) schedule = pl_prune_schedule_new (kind);
  schedule->steps = steps;
  schedule->linear = linear;
  schedule->finetune_epochs = finetune_epochs;
  schedule->train.seed = (guint64) seed;
  schedule->train.learning_rate = lr;
  schedule->train.batch_size = batch_size;
  if (initial_text != NULL)
    {
      if (kind != PL_SCHEDULE_POLYNOMIAL)
        return usage_error (ctx, _("--initial-sparsity is for --schedule polynomial"));
      if (!parse_sparsity (initial_text, &schedule->initial_sparsity))
        return usage_error (ctx, _("--initial-sparsity must be a number in [0, 1] or a percentage"));
    }
  if (rewind_path != NULL && kind != PL_SCHEDULE_REWIND)
    return usage_error (ctx, _("--rewind-to is for --schedule rewind"));

  g_autofree char *model = argc == 2 ? g_strdup (argv[1]) : pl_default_model_path ();
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = NULL;
  g_autoptr (PlDataset) ds = NULL;
  cli_allow_regression = TRUE;
  cli_check_finite = TRUE;
  if (output != NULL && !check_output_writable (output, FALSE, &error))
    return fail (g_steal_pointer (&error));
  if (!open_model_and_dataset (model, data_dir, "test", &g, &ds, &error))
    return fail (g_steal_pointer (&error));
  const gboolean regression = ds->targets != NULL;
  if (regression && cfg->criterion == PL_PRUNE_CRITERION_TAYLOR)
    return usage_error (ctx, _("regression models are not supported by --criterion taylor "
                               "(its gradients are of the class loss); use magnitude, l1 or "
                               "l2"));
  if (regression)
    schedule->train.loss = PL_LOSS_MSE;
  if (finetune_epochs > 0 || cfg->criterion == PL_PRUNE_CRITERION_TAYLOR)
    {
      g_autoptr (PlGraph) g2 = NULL;
      g_autoptr (PlDataset) train = NULL;
      gboolean q = opt_quiet;
      opt_quiet = TRUE;   /* the test split's loading already warned */
      gboolean ok = open_model_and_dataset (model, data_dir, "train", &g2, &train, &error);
      opt_quiet = q;
      if (!ok)
        return fail (g_steal_pointer (&error));
      if (cfg->criterion == PL_PRUNE_CRITERION_TAYLOR)
        {
          if (calibration > train->n)
            return usage_error (ctx, _("--calibration %lld is more than the %lld samples "
                                       "of %s; use at most %lld"), (long long) calibration,
                                (long long) train->n, train->name, (long long) train->n);
          pl_prune_config_set_calibration (cfg, train, 0, calibration);
        }
      pl_prune_schedule_set_train_data (schedule, train, train_samples);
    }
  if (rewind_path != NULL)
    {
      g_autoptr (PlGraph) rw = pl_onnx_load_file (rewind_path, &error);
      if (rw == NULL || !pl_graph_check_finite_weights (rw, rewind_path, &error))
        return fail_in (rewind_path, g_steal_pointer (&error));
      pl_prune_schedule_set_rewind_weights (schedule, rw);
    }

  PruneWork w = { .graph = g, .dataset = ds, .config = cfg, .schedule = schedule,
                  .sparsity = sparsity, .n = n, .latency_runs = latency_runs };
  if (!run_job (prune_work, &w, &error))
    {
      prune_work_clear (&w);
      return fail_in (model, g_steal_pointer (&error));
    }
  PlGraph *save = w.small ? w.small : w.final;
  if (output != NULL && !pl_onnx_save_file (save, output, &error))
    {
      prune_work_clear (&w);
      return fail_in (output, g_steal_pointer (&error));
    }
  /* --json prints its object even with --quiet (asked for explicitly); --quiet alone
   * prints nothing but errors. */
  if (json && regression)
    print_regression_json (&w, model, output);
  else if (json)
    print_json (&w, model, output);
  else if (!opt_quiet && regression)
    print_regression_text (&w, output);
  else if (!opt_quiet)
    print_text (&w, output);
  prune_work_clear (&w);
  return 0;
}
