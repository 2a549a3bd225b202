/* pl-similarity.c — similarity of two attributions (Spearman, Pearson, cosine, top-k).
 *
 * Spearman: Pearson correlation of average ranks (gsl_stats_spearman). Pearson:
 * gsl_stats_correlation. Top-k intersection as in Adebayo et al. / Ghorbani et al.
 * ("Interpretation of Neural Networks is Fragile", AAAI 2019): |top_k(|a|) ∩ top_k(|b|)| / k,
 * ties broken by lower index.
 */
#include "analysis/pl-metrics.h"

#include <math.h>
#include <string.h>
#include <stdlib.h>
#include <gsl/gsl_statistics_double.h>

static gboolean
is_constant (const double *v, gint64 n)
{
  for (gint64 i = 1; i < n; i++)
    if (v[i] != v[0])
      return FALSE;
  return TRUE;
}

typedef struct {
  double key;    /* |value| */
  gint64 index;
} RankItem;

static int
rank_item_compare (const void *pa, const void *pb)
{
  const RankItem *a = pa, *b = pb;
  if (a->key > b->key)
    return -1;
  if (a->key < b->key)
    return 1;
  return (a->index > b->index) - (a->index < b->index);
}

/* Marks the k entries of largest |v| (NaN counts as smallest), ties by lower index. */
static void
top_k_mask (const double *v, gint64 n, gint64 k, guint8 *mask)
{
  g_autofree RankItem *items = g_new (RankItem, n);
  for (gint64 i = 0; i < n; i++)
    {
      items[i].key = isnan (v[i]) ? -1.0 : fabs (v[i]);
      items[i].index = i;
    }
  qsort (items, n, sizeof (RankItem), rank_item_compare);
  memset (mask, 0, n);
  for (gint64 i = 0; i < k; i++)
    mask[items[i].index] = 1;
}

void
pl_attribution_similarity (const float *a, const float *b, gint64 n, double topk_fraction,
                           PlSimilarity *out)
{
  g_return_if_fail (out != NULL);
  out->spearman = out->pearson = out->cosine = out->topk_intersection = NAN;
  out->k = 0;
  g_return_if_fail (n == 0 || (a != NULL && b != NULL));
  if (n <= 0)
    return;

  g_autofree double *da = g_new (double, n);
  g_autofree double *db = g_new (double, n);
  gboolean finite = TRUE;
  double dot = 0.0, na = 0.0, nb = 0.0;
  for (gint64 i = 0; i < n; i++)
    {
      da[i] = a[i];
      db[i] = b[i];
      if (!isfinite (da[i]) || !isfinite (db[i]))
        finite = FALSE;
      dot += da[i] * db[i];
      na += da[i] * da[i];
      nb += db[i] * db[i];
    }

  if (finite)
    {
      if (na > 0.0 && nb > 0.0)
        out->cosine = CLAMP (dot / (sqrt (na) * sqrt (nb)), -1.0, 1.0);
      if (n >= 2 && !is_constant (da, n) && !is_constant (db, n))
        {
          out->pearson = CLAMP (gsl_stats_correlation (da, 1, db, 1, n), -1.0, 1.0);
          g_autofree double *work = g_new (double, 2 * n);
          out->spearman = CLAMP (gsl_stats_spearman (da, 1, db, 1, n, work), -1.0, 1.0);
          /* gsl_stats_spearman sorts copies in work; da/db are untouched. */
        }
    }

  if (isnan (topk_fraction))
    return;
  gint64 k = (gint64) floor (CLAMP (topk_fraction, 0.0, 1.0) * (double) n + 0.5);
  k = CLAMP (k, 1, n);
  g_autofree guint8 *ma = g_new (guint8, n);
  g_autofree guint8 *mb = g_new (guint8, n);
  top_k_mask (da, n, k, ma);
  top_k_mask (db, n, k, mb);
  gint64 common = 0;
  for (gint64 i = 0; i < n; i++)
    common += ma[i] & mb[i];
  out->k = (gint) MIN (k, G_MAXINT);
  out->topk_intersection = (double) common / (double) k;
}
