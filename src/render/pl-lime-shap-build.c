/* pl-lime-shap-build.c — the LIME / SHAP figure from pl_lime_shap_compute: one builder for
 * the workbench's LIME / SHAP view and prunelens-cli explain --figure lime|shap|lime-shap.
 *
 * Why here: the numbers are computed in core (src/core/explain/pl-lime-shap.c, no cairo);
 * the figure they fill is a render type, so the step that names, labels and lays the
 * numbers out as a figure sits beside the figure, and neither caller builds it alone. */
#include "config.h"
#include <glib/gi18n-lib.h>
#include "pl-lime-shap-figure.h"

#include <math.h>
#include <string.h>

static char *
class_name (const PlDataset *ds, gint k)
{
  if (ds != NULL && k >= 0 && k < ds->n_classes && ds->class_names != NULL
      && ds->class_names[k] != NULL)
    return g_strdup (_(ds->class_names[k]));
  return g_strdup_printf ("%d", k);
}

/* The segmentation's name only: "superpixels=slic region-size=4 …" → "slic", a patch
 * grid → "grid". */
static char *
segmentation_name (const PlLimeShapResult *r)
{
  const char *d = r->segmentation_description;
  if (d == NULL)
    return NULL;
  if (g_str_has_prefix (d, "grid="))
    return g_strdup ("grid");
  const char *eq = strchr (d, '=');
  const char *name = eq != NULL ? eq + 1 : d;
  return g_strndup (name, strcspn (name, " "));
}

/* Short method lines (the full parameter strings do not fit a row): the fill first, since
 * it decides what "hidden" means and so the sign of both methods' values. */
static void
set_details (PlLimeShapFigure *fig, const PlLimeShapResult *r, const PlLimeShapOptions *o)
{
  g_autofree char *fill = NULL, *kw = NULL;
  if (!r->table)
    {
      /* "(both)" and "SHAP fill" only when both rows show */
      const gboolean both = r->n_methods == 2;
      const gboolean lime_only = r->n_methods == 1 && r->methods[0] == PL_LIME_SHAP_LIME;
      if (o->lime.fill == PL_LIME_FILL_MEAN && both)
        fill = g_strdup_printf (_("LIME fill = mean colour, SHAP fill = %g"),
                                (double) o->lime.fill_value);
      else if (o->lime.fill == PL_LIME_FILL_MEAN && lime_only)
        fill = g_strdup (_("LIME fill = mean colour"));
      else if (both)
        fill = g_strdup_printf (_("fill = %g (both)"), (double) o->lime.fill_value);
      else
        fill = g_strdup_printf (_("fill = %g"), (double) o->lime.fill_value);
    }
  else
    fill = g_strdup (_("reference = column means"));
  g_autofree char *sp_name = segmentation_name (r);
  char seed[32];
  g_snprintf (seed, sizeof seed, "seed=%" G_GUINT64_FORMAT, o->lime.seed);
  gint budget = o->shap.budget > 0 ? o->shap.budget : 2 * r->n_items + 2048;
  for (gint m = 0; m < r->n_methods; m++)
    {
      if (r->methods[m] == PL_LIME_SHAP_LIME)
        {
          /* LIME's kernel width as it reported it (its default when 0 was asked) */
          const char *k = r->parameters[m] != NULL ? strstr (r->parameters[m], "kernel-width=")
                                                   : NULL;
          g_clear_pointer (&kw, g_free);
          if (k != NULL)
            kw = g_strndup (k, strcspn (k, " "));
          fig->method_details[m] = g_strdup_printf ("%s · %s%ssamples=%d %s%s%s", fill,
                                                    sp_name != NULL ? sp_name : "",
                                                    sp_name != NULL ? " " : "",
                                                    o->lime.n_samples, kw != NULL ? kw : "",
                                                    kw != NULL ? " " : "", seed);
        }
      else
        fig->method_details[m] = g_strdup_printf ("%s · %s%sbudget=%d %s", fill,
                                                  sp_name != NULL ? sp_name : "",
                                                  sp_name != NULL ? " " : "", budget, seed);
    }
}

PlLimeShapFigure *
pl_lime_shap_figure_compute (PlGraph *original, PlGraph *pruned, const PlTensor *input,
                             const PlDataset *dataset, const PlLimeShapOptions *options,
                             const PlProgress *progress, PlLimeShapResult **result_out,
                             GError **error)
{
  g_return_val_if_fail (original != NULL && input != NULL && options != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  const gboolean table = input->ndim == 2;
  g_autoptr (PlTensor) train = NULL;
  if (table && dataset != NULL)
    {
      train = pl_dataset_range (dataset, 0, dataset->n, error);
      if (train == NULL)
        return NULL;
    }
  g_autoptr (PlLimeShapResult) r = pl_lime_shap_compute (original, pruned, input, train,
                                                         options, progress, error);
  if (r == NULL)
    return NULL;

  PlLimeShapFigure *fig;
  if (table)
    {
      fig = pl_lime_shap_figure_new (r->n_items, 0, 0);
      for (gint j = 0; j < fig->n_items && dataset != NULL && dataset->feature_names != NULL
                       && dataset->feature_names[j] != NULL; j++)
        {
          g_free (fig->item_names[j]);
          fig->item_names[j] = g_strdup (dataset->feature_names[j]);
        }
      fig->top_k = MIN (fig->n_items, 12);
    }
  else
    {
      const PlSegmentation *seg = r->segmentation;
      gint H = seg->height, W = seg->width;
      fig = pl_lime_shap_figure_new (seg->n_segments, H, W);
      memcpy (fig->segments, seg->labels, sizeof (gint) * H * W);
      gint64 C = input->shape[1];
      for (gint p = 0; p < H * W; p++)
        {
          double s = 0;
          for (gint64 c = 0; c < C; c++)
            s += input->data[c * H * W + p];
          fig->underlay[p] = (float) CLAMP (s / C, 0.0, 1.0);
        }
    }

  fig->n_methods = r->n_methods;
  gboolean lime = FALSE, shap = FALSE;
  for (gint m = 0; m < r->n_methods; m++)
    {
      for (gint n = 0; n < 2; n++)
        {
          fig->cells[m][n] = r->cells[m][n];
          /* the figure owns the values now; the result keeps a copy for result_out */
          if (r->cells[m][n].values != NULL)
            fig->cells[m][n].values = g_memdup2 (r->cells[m][n].values,
                                                 sizeof (float) * r->n_items);
        }
      if (r->methods[m] == PL_LIME_SHAP_LIME)
        {
          lime = TRUE;
          fig->method_names[m] = g_strdup ("LIME");
          fig->value_labels[m] = g_strdup (table ? _("LIME coefficient (logit per SD)")
                                                 : _("LIME coefficient (logit)"));
        }
      else
        {
          shap = TRUE;
          fig->method_names[m] = g_strdup ("KernelSHAP");
          fig->value_labels[m] = g_strdup (_("SHAP value φ (logit)"));
        }
    }
  set_details (fig, r, options);
  fig->network_names[0] = g_strdup (_("original"));
  fig->network_names[1] = g_strdup (_("pruned"));
  g_autofree char *cls = class_name (dataset, r->target);
  g_autofree char *seg_name = segmentation_name (r);
  const gboolean patches = g_strcmp0 (seg_name, "grid") == 0;
  const char *fmt = lime && shap
      ? (table ? _("LIME and KernelSHAP per feature: class %s")
         : patches ? _("LIME and KernelSHAP per patch: class %s")
                   : _("LIME and KernelSHAP per superpixel: class %s"))
      : lime ? (table ? _("LIME per feature: class %s")
                : patches ? _("LIME per patch: class %s") : _("LIME per superpixel: class %s"))
             : (table ? _("KernelSHAP per feature: class %s")
                : patches ? _("KernelSHAP per patch: class %s")
                          : _("KernelSHAP per superpixel: class %s"));
  fig->title = g_strdup_printf (fmt, cls);
  if (result_out != NULL)
    *result_out = g_steal_pointer (&r);
  return fig;
}
