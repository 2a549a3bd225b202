/* pl-fuzz-common.c — what every harness does with a loaded graph. */
#include "pl-fuzz.h"

#include "exec/pl-executor.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  /* A g_return_if_fail or g_warning reached from bad input is a finding too. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_setenv ("PL_NUM_THREADS", "1", FALSE);
  return 0;
}

void
pl_fuzz_run_graph (PlGraph *graph)
{
  g_autoptr (GError) error = NULL;
  if (!pl_graph_validate (graph, &error))
    return;
  (void) pl_graph_n_parameters (graph);
  (void) pl_graph_weight_sparsity (graph);
  gint64 sample[PL_TENSOR_MAX_DIMS];
  (void) pl_graph_sample_shape (graph, sample);

  /* pl_executor_new allocates every intermediate for the declared input shapes; a
   * declared input of a billion elements is a known, reported limit of the executor, not
   * a new finding, so such graphs stop here (intermediates that explode from attributes
   * are still fuzzed). */
  for (guint i = 0; i < graph->inputs->len; i++) {
    const PlValue *v = pl_graph_value (graph, g_array_index (graph->inputs, gint, i));
    gint64 numel = 1;
    for (gint d = 0; v != NULL && d < v->ndim && d < PL_TENSOR_MAX_DIMS; d++) {
      numel *= MAX (v->shape[d], 1);
      if (numel > PL_FUZZ_MAX_DECLARED)
        return;
    }
  }

  PlExecutor *ex = pl_executor_new (graph, &error);
  if (ex == NULL)
    return;

  gint n = (gint) graph->inputs->len;
  if (n < 1 || n > 8) {
    pl_executor_free (ex);
    return;
  }
  PlTensor *inputs[8] = { NULL };
  gint64 total = 0;
  gboolean ok = TRUE;
  for (gint i = 0; i < n && ok; i++) {
    const PlValue *v = pl_graph_value (graph, g_array_index (graph->inputs, gint, i));
    if (v == NULL || v->ndim < 0 || v->ndim > PL_TENSOR_MAX_DIMS) {
      ok = FALSE;
      break;
    }
    gint64 shape[PL_TENSOR_MAX_DIMS];
    gint64 numel = 1;
    for (gint d = 0; d < v->ndim; d++) {
      shape[d] = v->shape[d] < 0 ? 1 : v->shape[d];
      if (shape[d] > PL_FUZZ_MAX_INPUT) {
        ok = FALSE;
        break;
      }
      numel *= shape[d];
      if (numel > PL_FUZZ_MAX_INPUT)
        ok = FALSE;
    }
    total += numel;
    if (!ok || total > PL_FUZZ_MAX_INPUT)
      ok = FALSE;
    else
      inputs[i] = pl_tensor_new (v->ndim, shape, NULL);  /* zero-filled */
    if (inputs[i] == NULL)
      ok = FALSE;
  }
  if (ok) {
    g_clear_error (&error);
    if (n == 1)
      (void) pl_executor_forward (ex, inputs[0], &error);
    else
      (void) pl_executor_forward_multi (ex, n, (const PlTensor *const *) inputs, &error);
  }
  for (gint i = 0; i < n; i++)
    g_clear_pointer (&inputs[i], pl_tensor_unref);
  pl_executor_free (ex);
}
