/* pl-shap.c — exact Shapley values and KernelSHAP over a coalition value function.
 *
 * Exact: Shapley (1953), φ_i = Σ_{S ⊆ N∖{i}} |S|! (M − |S| − 1)! / M! · (v(S ∪ {i}) − v(S)).
 * KernelSHAP: Lundberg & Lee (NeurIPS 2017); constrained weighted least squares, the
 * efficiency constraint enforced by eliminating the last variable (as in the shap package).
 * Sampling follows Covert & Lee ("Improving KernelSHAP", AISTATS 2021): coalitions are
 * drawn from the Shapley kernel distribution (size s with probability ∝ 1 / (s (M − s)),
 * then a uniform subset of that size), each paired with its complement, and every draw
 * has unit weight in the regression.
 */
#include "explain/pl-explain.h"
#include "pl-error.h"

#include <math.h>
#include <string.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>
#include <gsl/gsl_sf_gamma.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (gsl_matrix, gsl_matrix_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (gsl_vector, gsl_vector_free)

#define PL_SHAPLEY_MAX_M 20
#define PL_KERNEL_SHAP_MAX_M 100000

/* Evaluate n coalitions (rows of M bytes) in chunks of batch rows. */
static gboolean
evaluate_coalitions (PlCoalitionFunc func, gpointer user_data, const guint8 *rows, gint64 n,
                     gint M, gint batch, double *values, const PlProgress *progress,
                     GError **error)
{
  for (gint64 start = 0; start < n; start += batch)
    {
      gint count = (gint) MIN ((gint64) batch, n - start);
      if (pl_progress_cancelled (progress, error))
        return FALSE;
      if (!func (rows + start * M, count, M, values + start, user_data, error))
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, PL_ERROR, PL_ERROR_FAILED,
                         "The value function failed on coalitions %" G_GINT64_FORMAT
                         "–%" G_GINT64_FORMAT " without saying why",
                         start, start + count - 1);
          return FALSE;
        }
      for (gint i = 0; i < count; i++)
        if (!isfinite (values[start + i]))
          {
            g_set_error (error, PL_ERROR, PL_ERROR_INVALID,
                         "The value function returned a non-finite value (%g) for coalition %"
                         G_GINT64_FORMAT, values[start + i], start + i);
            return FALSE;
          }
      pl_progress_report (progress, (double) (start + count) / (double) n, NULL);
    }
  return TRUE;
}

/* v(∅) and v(full) with one call. */
static gboolean
evaluate_empty_full (PlCoalitionFunc func, gpointer user_data, gint M, double *v_empty,
                     double *v_full, const PlProgress *progress, GError **error)
{
  g_autofree guint8 *rows = g_malloc0 ((gsize) 2 * M);
  double v[2];
  memset (rows + M, 1, M);
  if (!evaluate_coalitions (func, user_data, rows, 2, M, 2, v, progress, error))
    return FALSE;
  *v_empty = v[0];
  *v_full = v[1];
  return TRUE;
}

gboolean
pl_shapley_exact_values (PlCoalitionFunc func, gpointer user_data, gint M, double *phi_out,
                         double *v_empty, double *v_full, const PlProgress *progress,
                         GError **error)
{
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (phi_out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (M < 1 || M > PL_SHAPLEY_MAX_M)
    {
      g_set_error (error, PL_ERROR, M < 1 ? PL_ERROR_INVALID : PL_ERROR_TOO_LARGE,
                   "Exact Shapley values need between 1 and %d players (features); got %d. "
                   "Use KernelSHAP or fewer segments",
                   PL_SHAPLEY_MAX_M, M);
      return FALSE;
    }

  gint64 n = G_GINT64_CONSTANT (1) << M;
  g_autofree double *v = g_new (double, n);
  const gint64 chunk = 4096;
  g_autofree guint8 *rows = g_malloc ((gsize) MIN (chunk, n) * M);

  for (gint64 start = 0; start < n; start += chunk)
    {
      gint64 count = MIN (chunk, n - start);
      for (gint64 r = 0; r < count; r++)
        {
          guint64 mask = (guint64) (start + r);
          for (gint i = 0; i < M; i++)
            rows[r * M + i] = (guint8) ((mask >> i) & 1u);
        }
      PlProgress sub = pl_progress_sub (progress, (double) start / n,
                                        (double) (start + count) / n);
      if (!evaluate_coalitions (func, user_data, rows, count, M, 1024, v + start,
                                &sub, error))
        return FALSE;
    }

  /* weight[s] = s! (M − s − 1)! / M! */
  double weight[PL_SHAPLEY_MAX_M];
  for (gint s = 0; s < M; s++)
    weight[s] = exp (gsl_sf_lnfact (s) + gsl_sf_lnfact (M - s - 1) - gsl_sf_lnfact (M));

  for (gint i = 0; i < M; i++)
    {
      guint64 bit = G_GUINT64_CONSTANT (1) << i;
      double sum = 0.0;
      for (guint64 mask = 0; mask < (guint64) n; mask++)
        {
          if (mask & bit)
            continue;
          gint s = __builtin_popcountll (mask);
          sum += weight[s] * (v[mask | bit] - v[mask]);
        }
      phi_out[i] = sum;
    }
  if (v_empty)
    *v_empty = v[0];
  if (v_full)
    *v_full = v[n - 1];
  pl_progress_report (progress, 1.0, NULL);
  return TRUE;
}

static PlTensor *
tensor_from_doubles (const double *phi, gint M)
{
  PlTensor *out = pl_tensor_new_1d (M);
  for (gint i = 0; i < M; i++)
    out->data[i] = (float) phi[i];
  return out;
}

PlTensor *
pl_shapley_exact (PlCoalitionFunc func, gpointer user_data, gint M, double *v_empty,
                  double *v_full, const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  g_autofree double *phi = g_new0 (double, MAX (M, 1));
  if (!pl_shapley_exact_values (func, user_data, M, phi, v_empty, v_full, progress, error))
    return NULL;
  return tensor_from_doubles (phi, M);
}

/* Solve min Σ_r w_r (y_r − x_r·φ)² subject to Σφ = delta, where x_r = rows[r] (0/1),
 * y_r = values[r] − v_empty. Eliminates φ_{M−1} = delta − Σ_{j<M−1} φ_j and solves the
 * normal equations (Cholesky; SVD pseudo-inverse if singular). phi: [M] (double). */
static gboolean
solve_constrained_wls (const guint8 *rows, const double *values, const double *weights,
                       gint64 n, gint M, double v_empty, double delta, double *phi,
                       GError **error)
{
  if (M == 1)
    {
      phi[0] = delta;
      return TRUE;
    }
  gint p = M - 1;
  g_autoptr (gsl_matrix) A = gsl_matrix_calloc (p, p);
  g_autoptr (gsl_vector) b = gsl_vector_calloc (p);
  g_autofree double *x = g_new (double, p);
  g_autofree gint *nz = g_new (gint, p);

  for (gint64 r = 0; r < n; r++)
    {
      const guint8 *z = rows + r * M;
      double w = weights[r];
      double zl = z[M - 1];
      double y = values[r] - v_empty - zl * delta;
      gint nnz = 0;
      for (gint j = 0; j < p; j++)
        {
          x[j] = (double) z[j] - zl;
          if (x[j] != 0.0)
            nz[nnz++] = j;
        }
      for (gint a = 0; a < nnz; a++)
        {
          gint ja = nz[a];
          double wxa = w * x[ja];
          gsl_vector_set (b, ja, gsl_vector_get (b, ja) + wxa * y);
          for (gint c = 0; c <= a; c++)
            {
              gint jc = nz[c];
              double *cell = gsl_matrix_ptr (A, ja, jc);
              *cell += wxa * x[jc];
            }
        }
    }
  /* Mirror the lower triangle (nz is increasing, so ja ≥ jc above). */
  for (gint a = 0; a < p; a++)
    for (gint c = 0; c < a; c++)
      gsl_matrix_set (A, c, a, gsl_matrix_get (A, a, c));

  g_autoptr (gsl_vector) sol = gsl_vector_alloc (p);
  g_autoptr (gsl_matrix) L = gsl_matrix_alloc (p, p);
  gsl_matrix_memcpy (L, A);

  gsl_error_handler_t *old = gsl_set_error_handler_off ();
  int status = gsl_linalg_cholesky_decomp1 (L);
  if (status == 0)
    status = gsl_linalg_cholesky_solve (L, b, sol);
  if (status != 0)
    {
      /* Rank-deficient design (too few distinct coalitions): minimum-norm solution. */
      g_autoptr (gsl_matrix) V = gsl_matrix_alloc (p, p);
      g_autoptr (gsl_vector) S = gsl_vector_alloc (p);
      g_autoptr (gsl_vector) work = gsl_vector_alloc (p);
      gsl_matrix_memcpy (L, A);
      status = gsl_linalg_SV_decomp (L, V, S, work);
      if (status == 0)
        {
          double smax = gsl_vector_get (S, 0);
          for (gint j = 0; j < p; j++)
            if (gsl_vector_get (S, j) <= smax * 1e-12 * p)
              gsl_vector_set (S, j, 0.0);
          status = gsl_linalg_SV_solve (L, V, S, b, sol);
        }
    }
  gsl_set_error_handler (old);
  if (status != 0)
    {
      g_set_error (error, PL_ERROR, PL_ERROR_FAILED,
                   "KernelSHAP: the weighted least-squares system (%d unknowns, %"
                   G_GINT64_FORMAT " coalitions) could not be solved (GSL status %d)",
                   p, n, status);
      return FALSE;
    }
  double sum = 0.0;
  for (gint j = 0; j < p; j++)
    {
      phi[j] = gsl_vector_get (sol, j);
      sum += phi[j];
    }
  phi[M - 1] = delta - sum;
  return TRUE;
}

/* Shapley kernel weight of a coalition of size s: (M − 1) / (C(M, s) s (M − s)). */
static double
kernel_weight (gint M, gint s)
{
  return exp (log ((double) (M - 1)) - gsl_sf_lnchoose (M, s) - log ((double) s)
              - log ((double) (M - s)));
}

typedef struct {
  GByteArray *rows;      /* n × M */
  GArray *weights;       /* double */
  GHashTable *index;     /* "0101…" -> index + 1 */
  gint M;
} CoalitionSet;

static void
coalition_set_add (CoalitionSet *set, const guint8 *z, char *key_buf)
{
  for (gint i = 0; i < set->M; i++)
    key_buf[i] = z[i] ? '1' : '0';
  key_buf[set->M] = '\0';
  gpointer found = g_hash_table_lookup (set->index, key_buf);
  if (found != NULL)
    {
      g_array_index (set->weights, double, GPOINTER_TO_SIZE (found) - 1) += 1.0;
      return;
    }
  gsize idx = set->weights->len;
  double one = 1.0;
  g_byte_array_append (set->rows, z, set->M);
  g_array_append_val (set->weights, one);
  g_hash_table_insert (set->index, g_strdup (key_buf), GSIZE_TO_POINTER (idx + 1));
}

gboolean
pl_kernel_shap_values (PlCoalitionFunc func, gpointer user_data, gint M,
                       const PlKernelShapOptions *options, double *phi_out, double *v_empty,
                       double *v_full, const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (phi_out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (M < 1 || M > PL_KERNEL_SHAP_MAX_M)
    {
      g_set_error (error, PL_ERROR, M < 1 ? PL_ERROR_INVALID : PL_ERROR_TOO_LARGE,
                   "KernelSHAP needs between 1 and %d features; got %d",
                   PL_KERNEL_SHAP_MAX_M, M);
      return FALSE;
    }

  gint64 budget = options && options->budget > 0 ? options->budget : 2 * (gint64) M + 2048;
  gint batch = options && options->batch > 0 ? options->batch : 256;
  guint64 seed = options ? options->seed : 0;
  if (budget * (gint64) M > (G_GINT64_CONSTANT (1) << 31))
    {
      g_set_error (error, PL_ERROR, PL_ERROR_TOO_LARGE,
                   "KernelSHAP budget of %" G_GINT64_FORMAT " coalitions × %d features needs "
                   "more than 2 GiB of coalition storage; lower the budget",
                   budget, M);
      return FALSE;
    }

  PlProgress p_ends = pl_progress_sub (progress, 0.0, 0.02);
  PlProgress p_eval = pl_progress_sub (progress, 0.02, 0.97);

  double ve = 0.0, vf = 0.0;
  if (!evaluate_empty_full (func, user_data, M, &ve, &vf, &p_ends, error))
    return FALSE;

  gboolean enumerate = M < 62 && ((G_GINT64_CONSTANT (1) << M) - 2) <= budget;
  g_autoptr (GByteArray) rows = g_byte_array_new ();
  g_autoptr (GArray) weights = g_array_new (FALSE, FALSE, sizeof (double));

  if (enumerate)
    {
      gint64 n = (G_GINT64_CONSTANT (1) << M) - 2;
      g_byte_array_set_size (rows, (guint) (n * M));
      g_array_set_size (weights, (guint) n);
      double kw[64];
      for (gint s = 1; s < M; s++)
        kw[s] = kernel_weight (M, s);
      for (gint64 r = 0; r < n; r++)
        {
          guint64 mask = (guint64) (r + 1);
          guint8 *z = rows->data + r * M;
          for (gint i = 0; i < M; i++)
            z[i] = (guint8) ((mask >> i) & 1u);
          g_array_index (weights, double, r) = kw[__builtin_popcountll (mask)];
        }
    }
  else
    {
      /* As in the shap package (KernelExplainer): sizes are taken in pairs (s, M − s)
       * from the outside in; a pair whose share of the kernel mass would give each of its
       * coalitions at least one expected sample is enumerated with its exact kernel
       * weights; the remaining budget samples the remaining sizes from the kernel
       * distribution, each sample paired with its complement, every draw with unit
       * weight, the sampled weights then scaled to the remaining kernel mass. */
      gint n_sizes = M / 2;                /* s = 1 … ⌊M/2⌋ (with M − s) */
      g_autofree double *w = g_new0 (double, n_sizes + 1);
      double total = 0.0;
      for (gint s = 1; s <= n_sizes; s++)
        {
          w[s] = (M - s == s ? 1.0 : 2.0) / ((double) s * (double) (M - s));
          total += w[s];
        }
      for (gint s = 1; s <= n_sizes; s++)
        w[s] /= total;

      CoalitionSet set = {
        .rows = rows, .weights = weights,
        .index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL), .M = M,
      };
      g_autofree guint8 *z = g_new (guint8, M);
      g_autofree guint8 *zc = g_new (guint8, M);
      g_autofree gint *comb = g_new (gint, M);
      g_autofree char *key = g_new (char, M + 1);

      double done_mass = 0.0;
      gint64 left = budget;
      gint s_full = 0;
      for (gint s = 1; s <= n_sizes; s++)
        {
          gboolean paired = (M - s != s);
          double nsub = round (exp (gsl_sf_lnchoose (M, s))) * (paired ? 2.0 : 1.0);
          double rem = w[s] / MAX (1.0 - done_mass, 1e-300);
          if (nsub > (double) left || (double) left * rem / nsub < 1.0 - 1e-8)
            break;
          double wz = w[s] / nsub;
          /* All s-subsets in lexicographic order of their index lists. */
          for (gint i = 0; i < s; i++)
            comb[i] = i;
          for (;;)
            {
              memset (z, 0, M);
              for (gint i = 0; i < s; i++)
                z[comb[i]] = 1;
              g_byte_array_append (rows, z, M);
              g_array_append_val (weights, wz);
              if (paired)
                {
                  for (gint i = 0; i < M; i++)
                    zc[i] = (guint8) (1 - z[i]);
                  g_byte_array_append (rows, zc, M);
                  g_array_append_val (weights, wz);
                }
              gint i = s - 1;
              while (i >= 0 && comb[i] == M - s + i)
                i--;
              if (i < 0)
                break;
              comb[i]++;
              for (gint j = i + 1; j < s; j++)
                comb[j] = comb[j - 1] + 1;
            }
          left -= (gint64) nsub;
          done_mass += w[s];
          s_full = s;
        }

      gsize first_sampled = weights->len;
      if (left > 0 && s_full < n_sizes)
        {
          /* Fully enumerated rows are distinct from sampled sizes, so the set only needs
           * to index sampled rows. */
          g_autofree double *cdf = g_new0 (double, n_sizes + 1);
          double acc = 0.0;
          for (gint s = s_full + 1; s <= n_sizes; s++)
            {
              acc += w[s];
              cdf[s] = acc;
            }
          guint32 seed_words[2] = { (guint32) (seed & 0xffffffffu), (guint32) (seed >> 32) };
          g_autoptr (GRand) rng = g_rand_new_with_seed_array (seed_words, 2);
          gint64 target = (gint64) first_sampled + left;
          gint64 max_draws = 50 * left + 10000, draws = 0;
          while ((gint64) weights->len < target && draws < max_draws)
            {
              double u = g_rand_double (rng) * acc;
              gint s = s_full + 1;
              while (s < n_sizes && cdf[s] < u)
                s++;
              for (gint i = 0; i < M; i++)
                comb[i] = i;
              memset (z, 0, M);
              for (gint i = 0; i < s; i++)   /* partial Fisher–Yates */
                {
                  gint j = g_rand_int_range (rng, i, M);
                  gint t = comb[i];
                  comb[i] = comb[j];
                  comb[j] = t;
                  z[comb[i]] = 1;
                }
              for (gint i = 0; i < M; i++)
                zc[i] = (guint8) (1 - z[i]);
              coalition_set_add (&set, z, key);
              coalition_set_add (&set, zc, key);
              draws++;
            }
          double sampled = 0.0;
          for (gsize r = first_sampled; r < weights->len; r++)
            sampled += g_array_index (weights, double, r);
          for (gsize r = first_sampled; r < weights->len; r++)
            g_array_index (weights, double, r) *= (1.0 - done_mass) / sampled;
        }
      g_hash_table_unref (set.index);
    }

  gint64 n = weights->len;
  g_autofree double *values = g_new (double, MAX (n, 1));
  if (!evaluate_coalitions (func, user_data, rows->data, n, M, batch, values, &p_eval, error))
    return FALSE;

  if (!solve_constrained_wls (rows->data, values, (const double *) weights->data, n, M, ve,
                              vf - ve, phi_out, error))
    return FALSE;

  if (v_empty)
    *v_empty = ve;
  if (v_full)
    *v_full = vf;
  pl_progress_report (progress, 1.0, NULL);
  return TRUE;
}

PlTensor *
pl_kernel_shap (PlCoalitionFunc func, gpointer user_data, gint M,
                const PlKernelShapOptions *options, double *v_empty, double *v_full,
                const PlProgress *progress, GError **error)
{
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  g_autofree double *phi = g_new0 (double, MAX (M, 1));
  if (!pl_kernel_shap_values (func, user_data, M, options, phi, v_empty, v_full, progress,
                              error))
    return NULL;
  return tensor_from_doubles (phi, M);
}
