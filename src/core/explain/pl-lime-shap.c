/* pl-lime-shap.c — LIME and KernelSHAP, original | pruned, on shared segments. */
#include "config.h"
#include "explain/pl-lime-shap.h"

#include <math.h>
#include <string.h>
#include "pl-error.h"

void
pl_lime_shap_options_init (PlLimeShapOptions *o)
{
  g_return_if_fail (o != NULL);
  memset (o, 0, sizeof *o);
  o->want_lime = o->want_shap = TRUE;
  o->target = -1;
  o->segmentation = PL_LIME_SHAP_SUPERPIXELS;
  pl_superpixel_options_init (&o->superpixels);
  o->grid_rows = o->grid_cols = 4;
  o->small_image_grid = TRUE;
  pl_lime_options_init (&o->lime);
  /* LIME hides a segment with the value KernelSHAP uses as its baseline, so that the two
   * methods explain the same game (LIME's own mean colour stays an option). */
  o->lime.fill = PL_LIME_FILL_VALUE;
  o->lime.fill_value = 0.0f;
  o->shap = (PlKernelShapOptions) { .budget = 0, .seed = o->lime.seed, .batch = 0 };
}

void
pl_lime_shap_result_free (PlLimeShapResult *r)
{
  if (r == NULL)
    return;
  g_clear_pointer (&r->segmentation, pl_segmentation_free);
  g_free (r->segmentation_description);
  for (gint m = 0; m < PL_LIME_SHAP_MAX_METHODS; m++)
    {
      g_free (r->parameters[m]);
      for (gint n = 0; n < 2; n++)
        g_free (r->cells[m][n].values);
    }
  g_free (r);
}

static void
cell_set_values (PlLimeShapCell *cell, const PlTensor *values)
{
  cell->values = g_new (float, values->numel);
  memcpy (cell->values, values->data, sizeof (float) * values->numel);
}

static double
tensor_sum (const PlTensor *t)
{
  double s = 0.0;
  for (gint64 i = 0; i < t->numel; i++)
    s += t->data[i];
  return s;
}

/* Column means of train [N, F] as a row [1, F]: KernelSHAP's reference on tables. */
static PlTensor *
column_means (const PlTensor *train)
{
  gint64 n = train->shape[0], F = train->shape[1];
  PlTensor *mean = pl_tensor_new_2d (1, F);
  for (gint64 j = 0; j < F; j++)
    {
      double s = 0.0;
      for (gint64 i = 0; i < n; i++)
        s += train->data[i * F + j];
      mean->data[j] = (float) (n > 0 ? s / n : 0.0);
    }
  return mean;
}

/* The image's segments per o; sets r->segmentation, its description and
 * r->small_image_grid. */
static gboolean
segment_image (const PlTensor *input, const PlLimeShapOptions *o, PlLimeShapResult *r,
               GError **error)
{
  gint64 H = input->shape[2], W = input->shape[3];
  if (o->segmentation == PL_LIME_SHAP_GRID)
    {
      gint rows = (gint) MIN (MAX (o->grid_rows, 1), H);
      gint cols = (gint) MIN (MAX (o->grid_cols, 1), W);
      r->segmentation = pl_segmentation_grid ((gint) H, (gint) W, rows, cols);
      r->segmentation_description = g_strdup_printf ("grid=%dx%d", rows, cols);
      return TRUE;
    }
  g_autoptr (GError) sp_error = NULL;
  r->segmentation = pl_superpixels (input, &o->superpixels, &sp_error);
  if (r->segmentation != NULL)
    {
      r->segmentation_description = pl_superpixel_options_describe (&o->superpixels);
      return TRUE;
    }
  if (o->small_image_grid && MIN (H, W) < 8 && H > 0 && W > 0)
    {
      /* too small to cut into superpixels (e.g. 2 × 2 pixels): a patch grid that fits */
      gint rows = (gint) MIN (4, H), cols = (gint) MIN (4, W);
      r->segmentation = pl_segmentation_grid ((gint) H, (gint) W, rows, cols);
      r->segmentation_description = g_strdup_printf ("grid=%dx%d", rows, cols);
      r->small_image_grid = TRUE;
      return TRUE;
    }
  g_propagate_error (error, g_steal_pointer (&sp_error));
  return FALSE;
}

PlLimeShapResult *
pl_lime_shap_compute (PlGraph *original, PlGraph *pruned, const PlTensor *input,
                      const PlTensor *train, const PlLimeShapOptions *o,
                      const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (original != NULL && input != NULL && o != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  if (pruned == NULL)
    pruned = original;
  const gboolean table = input->ndim == 2;
  if (!o->want_lime && !o->want_shap)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "LIME / KernelSHAP: neither method was asked for");
      return NULL;
    }
  if (!table && (input->ndim != 4 || input->shape[0] != 1))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "LIME / KernelSHAP need one image [1, C, H, W] or one table row [1, F]");
      return NULL;
    }
  if (table && (input->shape[0] != 1 || train == NULL || train->ndim != 2
                || train->shape[1] != input->shape[1] || train->shape[0] < 1))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                   "LIME / KernelSHAP on a table row [1, F] need the table's rows [N, F] "
                   "for the feature statistics");
      return NULL;
    }

  PlGraph *graphs[2] = { original, pruned };
  PlExecutor *ex[2] = { NULL, NULL };
  g_autoptr (PlTensor) reference = NULL;
  PlLimeShapResult *r = g_new0 (PlLimeShapResult, 1);
  gboolean ok = FALSE;
  r->table = table;
  r->fill_value = o->lime.fill_value;
  for (gint m = 0; m < PL_LIME_SHAP_MAX_METHODS; m++)
    for (gint n = 0; n < 2; n++)
      {
        PlLimeShapCell *c = &r->cells[m][n];
        c->r2 = c->residual = c->fx = c->f0 = NAN;
      }
  if (o->want_lime)
    r->methods[r->n_methods++] = PL_LIME_SHAP_LIME;
  if (o->want_shap)
    r->methods[r->n_methods++] = PL_LIME_SHAP_KERNEL_SHAP;

  for (gint n = 0; n < 2; n++)
    if ((ex[n] = pl_executor_new (graphs[n], error)) == NULL)
      goto out;
  r->target = o->target;
  if (r->target < 0)
    {
      g_autoptr (PlTensor) logits = pl_executor_predict (ex[0], input, 1, NULL, error);
      if (logits == NULL)
        goto out;
      r->target = (gint) pl_tensor_argmax (logits->data, logits->numel);
    }

  if (table)
    {
      reference = column_means (train);
      r->n_items = (gint) input->numel;
    }
  else
    {
      if (!segment_image (input, o, r, error))
        goto out;
      r->n_items = r->segmentation->n_segments;
    }

  for (gint n = 0; n < 2; n++)
    {
      PlProgress p = pl_progress_sub (progress, 0.5 * n, 0.5 * n + 0.5);
      for (gint m = 0; m < r->n_methods; m++)
        {
          PlProgress pm = pl_progress_sub (&p, r->n_methods == 2 ? 0.5 * m : 0.0,
                                           r->n_methods == 2 ? 0.5 * m + 0.5 : 1.0);
          PlLimeShapCell *c = &r->cells[m][n];
          if (r->methods[m] == PL_LIME_SHAP_LIME)
            {
              g_autoptr (PlAttribution) a =
                  table ? pl_attribution_lime_table (ex[n], input, r->target, train, &o->lime,
                                                     &pm, error)
                        : pl_attribution_lime_image (ex[n], input, r->target, r->segmentation,
                                                     r->segmentation_description, &o->lime,
                                                     &pm, error);
              if (a == NULL)
                goto out;
              cell_set_values (c, a->attribution);
              c->r2 = a->r2;
              c->fx = a->fx;
              c->f0 = a->intercept;
              if (r->parameters[m] == NULL)
                r->parameters[m] = g_strdup (a->parameters);
            }
          else if (table)
            {
              g_autoptr (PlAttribution) a = pl_attribution_kernel_shap_table (
                  ex[n], input, r->target, reference, &o->shap, &pm, error);
              if (a == NULL)
                goto out;
              cell_set_values (c, a->attribution);
              c->fx = a->fx;
              c->f0 = a->f_baseline;
              c->residual = tensor_sum (a->attribution) - (a->fx - a->f_baseline);
            }
          else
            {
              double phi0 = NAN, fx = NAN;
              g_autoptr (PlTensor) phi = pl_kernel_shap_image (ex[n], input, r->target,
                                                               r->segmentation,
                                                               o->lime.fill_value, &o->shap,
                                                               &phi0, &fx, &pm, error);
              if (phi == NULL)
                goto out;
              cell_set_values (c, phi);
              c->fx = fx;
              c->f0 = phi0;
              c->residual = tensor_sum (phi) - (fx - phi0);
            }
        }
    }
  for (gint m = 0; m < r->n_methods; m++)
    if (r->methods[m] == PL_LIME_SHAP_KERNEL_SHAP)
      {
        gint budget = o->shap.budget > 0 ? o->shap.budget : 2 * r->n_items + 2048;
        r->parameters[m] =
            table ? g_strdup_printf ("target=%d reference=feature-means budget=%d seed=%"
                                     G_GUINT64_FORMAT, r->target, budget, o->shap.seed)
                  : g_strdup_printf ("target=%d %s baseline=%g budget=%d seed=%"
                                     G_GUINT64_FORMAT, r->target, r->segmentation_description,
                                     (double) o->lime.fill_value, budget, o->shap.seed);
      }
  ok = TRUE;

out:
  for (gint n = 0; n < 2; n++)
    g_clear_pointer (&ex[n], pl_executor_free);
  if (!ok)
    g_clear_pointer (&r, pl_lime_shap_result_free);
  return r;
}
