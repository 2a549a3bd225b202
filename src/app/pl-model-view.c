/* pl-model-view.c — the Model view (see pl-model-view.h). */
#include "config.h"
#include "pl-model-view.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>
#include "exec/pl-executor.h"
#include "pl-figures.h"
#include "pl-canvas.h"
#include "pl-label.h"
#include "pl-job.h"

/* The layer table and the first layer's picture of two graphs: computed by a worker
 * (pl-job.h; 22–105 ms on the main thread was too long) and handed to the view. */
typedef struct {
  PlGraph *original, *pruned;    /* the graphs asked about (references) */
  GArray *layers;                /* of PlModelLayer */
  gint64 params, nonzero_params, macs_dense, macs_effective;
  gint first_kind;
  double *survival;
  gint survival_h, survival_w;
} Stats;

struct _PlModelView {
  GtkBox parent_instance;

  GtkColumnView *table;
  GtkStringList *rows;           /* one item per layer: its index */
  GtkSingleSelection *selection;
  GtkLabel *cost_label, *macs_label;
  GtkLabel *channels_label;
  PlCanvas *histogram_area;      /* drawn in a worker thread (pl-canvas.h) */
  PlCanvas *first_area;
  GtkLabel *first_label;

  PlGraph *original;
  PlGraph *pruned;
  GArray *layers;                /* of PlModelLayer */
  guint selected;
  gboolean user_selected;        /* the user picked a row: keep it */
  gboolean updating;
  gint64 params, nonzero_params, macs_dense, macs_effective;
  gint first_kind;               /* 0 none, 1 conv filters, 2 pixel survival */
  double *survival;              /* [H × W] */
  gint survival_h, survival_w;
  PlJob *job;                    /* computing the rows of pending graphs, or NULL */
};

G_DEFINE_FINAL_TYPE (PlModelView, pl_model_view, GTK_TYPE_BOX)

enum { COL_NAME, COL_OP, COL_WEIGHT, COL_OUTPUT, COL_PARAMS, COL_MACS, COL_EFFECTIVE,
       COL_SPARSITY, COL_CHANNELS, N_COLS };

static void
layer_clear (gpointer data)
{
  PlModelLayer *l = data;
  g_free (l->name);
  g_free (l->op_type);
  g_free (l->weight_shape);
  g_free (l->output_shape);
  g_free (l->removed);
}

/* ------------------------------------------------------------- statistics ---- */

static gboolean
weight_zero (const PlValue *v, gint64 j)
{
  return v->init->data[j] == 0.0f || (v->mask != NULL && v->mask->data[j] == 0.0f);
}

static const PlNode *
weight_user (const PlGraph *graph, gint id)
{
  for (guint k = 0; k < graph->nodes->len; k++)
    {
      const PlNode *node = g_ptr_array_index (graph->nodes, k);
      if ((strcmp (node->op_type, "Conv") == 0 || strcmp (node->op_type, "Gemm") == 0 ||
           strcmp (node->op_type, "MatMul") == 0) &&
          node->n_inputs > 1 && node->inputs[1] == id && node->n_outputs > 0)
        return node;
    }
  return NULL;
}

/* Output-channel layout of a weight: n channels, each made of `inner` elements at stride
 * `stride` apart starting at c * step. Conv [O, ...] and Gemm transB = 1 [N, K]: rows;
 * Gemm transB = 0 / MatMul [K, N]: columns. */
static void
channel_layout (const PlNode *node, const PlTensor *w, gint64 *n, gint64 *inner,
                gint64 *step, gint64 *stride)
{
  gboolean rows = strcmp (node->op_type, "Conv") == 0 ||
                  (strcmp (node->op_type, "Gemm") == 0 && pl_node_get_int (node, "transB", 0) != 0);
  if (w->ndim < 2)
    {
      *n = w->numel; *inner = 1; *step = 1; *stride = 1;
    }
  else if (rows)
    {
      *n = w->shape[0]; *inner = w->numel / MAX (w->shape[0], 1); *step = *inner; *stride = 1;
    }
  else
    {
      *n = w->shape[w->ndim - 1]; *inner = w->numel / MAX (*n, 1); *step = 1; *stride = *n;
    }
}

static gboolean
channel_all_zero (const PlValue *v, gint64 c, gint64 inner, gint64 step, gint64 stride)
{
  for (gint64 j = 0; j < inner; j++)
    if (!weight_zero (v, c * step + j * stride))
      return FALSE;
  return TRUE;
}

/* Output tensors of every node for one zero input (batch 1), or NULL. */
static PlExecutor *
run_zero_input (PlGraph *graph)
{
  gint64 shape[PL_TENSOR_MAX_DIMS];
  gint nd = pl_graph_sample_shape (graph, shape + 1);
  if (nd < 0)
    return NULL;
  shape[0] = 1;
  for (gint i = 1; i <= nd; i++)
    if (shape[i] <= 0)
      return NULL;
  PlExecutor *ex = pl_executor_new (graph, NULL);
  if (ex == NULL)
    return NULL;
  g_autoptr (PlTensor) input = pl_tensor_new (nd + 1, shape, NULL);
  if (input == NULL || !pl_executor_forward (ex, input, NULL))
    {
      pl_executor_free (ex);
      return NULL;
    }
  return ex;
}

static void
compute_layers (Stats *self)
{
  self->params = self->nonzero_params = 0;
  self->macs_dense = self->macs_effective = 0;
  g_clear_pointer (&self->survival, g_free);
  self->first_kind = 0;
  if (self->original == NULL)
    return;
  PlGraph *orig = self->original, *pruned = self->pruned ? self->pruned : self->original;
  PlExecutor *ex = run_zero_input (orig);
  g_autoptr (GArray) weights = pl_graph_prunable_weights (orig);
  gboolean macs_known = ex != NULL;
  gint64 zero_weights = 0;

  for (guint i = 0; i < weights->len; i++)
    {
      gint id = g_array_index (weights, gint, i);
      const PlValue *v0 = pl_graph_value (orig, id);
      const PlValue *v1 = id < (gint) pruned->values->len ? pl_graph_value (pruned, id) : NULL;
      const PlNode *node = weight_user (orig, id);
      if (v0 == NULL || v0->init == NULL || node == NULL)
        continue;
      /* A physically smaller pruned graph has other shapes: compare the masked one only. */
      if (v1 == NULL || v1->init == NULL || v1->init->numel != v0->init->numel)
        v1 = v0;
      PlModelLayer l = { 0 };
      l.name = g_strdup (node->name && node->name[0] ? node->name : v0->name);
      l.op_type = g_strdup (node->op_type);
      l.weight_shape = pl_tensor_shape_string (v0->init->ndim, v0->init->shape);
      l.weight_id = id;
      l.weights = v0->init->numel;
      l.params = l.weights;
      if (node->n_inputs > 2 && node->inputs[2] >= 0)
        {
          const PlValue *b = pl_graph_value (orig, node->inputs[2]);
          if (b != NULL && b->init != NULL)
            l.params += b->init->numel;
        }
      for (gint64 j = 0; j < l.weights; j++)
        if (!weight_zero (v1, j))
          l.nonzero++;
      zero_weights += l.weights - l.nonzero;

      const PlTensor *out = ex ? pl_executor_value (ex, node->outputs[0]) : NULL;
      l.macs_dense = l.macs_effective = -1;
      if (out != NULL)
        {
          l.output_shape = pl_tensor_shape_string (out->ndim, out->shape);
          gint64 ch = strcmp (node->op_type, "Conv") == 0 && out->ndim > 1
                        ? out->shape[1] : out->shape[out->ndim - 1];
          if (ch > 0 && out->numel % ch == 0)
            {
              gint64 uses = out->numel / ch;
              l.macs_dense = uses * l.weights;
              l.macs_effective = uses * l.nonzero;
            }
        }
      else
        l.output_shape = g_strdup ("?");
      if (l.macs_dense < 0)
        macs_known = FALSE;
      else
        {
          self->macs_dense += l.macs_dense;
          self->macs_effective += l.macs_effective;
        }

      gint64 n, inner, step, stride;
      channel_layout (node, v0->init, &n, &inner, &step, &stride);
      l.channels = n;
      GString *removed = g_string_new (NULL);
      for (gint64 c = 0; c < n; c++)
        if (channel_all_zero (v1, c, inner, step, stride) &&
            !channel_all_zero (v0, c, inner, step, stride))
          {
            if (removed->len > 0)
              g_string_append (removed, ", ");
            g_string_append_printf (removed, "%" G_GINT64_FORMAT, c);
            l.removed_channels++;
          }
      l.removed = g_string_free (removed, removed->len == 0);
      g_array_append_val (self->layers, l);
    }
  if (!macs_known)
    self->macs_dense = self->macs_effective = -1;
  self->params = pl_graph_n_parameters (orig);
  self->nonzero_params = self->params - zero_weights;
  g_clear_pointer (&ex, pl_executor_free);

  /* The first layer's picture. */
  if (self->layers->len > 0)
    {
      const PlModelLayer *l = &g_array_index (self->layers, PlModelLayer, 0);
      const PlValue *v0 = pl_graph_value (orig, l->weight_id);
      gint64 sample[PL_TENSOR_MAX_DIMS];
      gint nd = pl_graph_sample_shape (orig, sample);
      if (strcmp (l->op_type, "Conv") == 0 && v0->init->ndim == 4)
        self->first_kind = 1;
      else if (strcmp (l->op_type, "Conv") != 0 && v0->init->ndim == 2 && nd >= 2)
        {
          const PlNode *node = weight_user (orig, l->weight_id);
          gint64 n, inner, step, stride;
          channel_layout (node, v0->init, &n, &inner, &step, &stride);
          gint64 h = sample[nd - 2], w = sample[nd - 1];
          gint64 c = nd >= 3 ? sample[nd - 3] : 1;
          if (inner == c * h * w && h > 0 && w > 0)
            {
              const PlValue *v1 = pl_graph_value (pruned, l->weight_id);
              if (v1 == NULL || v1->init == NULL || v1->init->numel != v0->init->numel)
                v1 = v0;
              self->first_kind = 2;
              self->survival_h = (gint) h;
              self->survival_w = (gint) w;
              self->survival = g_new0 (double, h * w);
              /* input k = (ch, y, x): weight (out o, in k) at o * step + k * stride. */
              for (gint64 k = 0; k < inner; k++)
                {
                  gint64 alive = 0;
                  for (gint64 o = 0; o < n; o++)
                    if (!weight_zero (v1, o * step + k * stride))
                      alive++;
                  self->survival[k % (h * w)] += (double) alive / (double) (n * c);
                }
            }
        }
    }
}

static void
stats_free (Stats *st)
{
  g_clear_pointer (&st->original, pl_graph_unref);
  g_clear_pointer (&st->pruned, pl_graph_unref);
  g_clear_pointer (&st->layers, g_array_unref);
  g_free (st->survival);
  g_free (st);
}

static Stats *
stats_new (PlGraph *original, PlGraph *pruned)
{
  Stats *st = g_new0 (Stats, 1);
  st->original = original != NULL ? pl_graph_ref (original) : NULL;
  st->pruned = pruned != NULL ? pl_graph_ref (pruned) : NULL;
  st->layers = g_array_new (FALSE, TRUE, sizeof (PlModelLayer));
  g_array_set_clear_func (st->layers, layer_clear);
  return st;
}

static gboolean
stats_run (gpointer data, const PlProgress *progress, GError **error)
{
  compute_layers (data);
  return TRUE;
}

/* ------------------------------------------------------------------ table ---- */

static char *
count_text (gint64 v)
{
  if (v < 0)
    return g_strdup ("?");
  /* Narrow no-break spaces between groups of three digits (a thin space let the line
   * break inside a number). */
  g_autofree char *digits = g_strdup_printf ("%" G_GINT64_FORMAT, v);
  GString *s = g_string_new (NULL);
  gsize len = strlen (digits);
  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append (s, "\u202F");
      g_string_append_c (s, digits[i]);
    }
  return g_string_free (s, FALSE);
}

static char *
cell_text (PlModelView *self, guint row, gint col)
{
  if (row >= self->layers->len)
    return g_strdup ("");
  const PlModelLayer *l = &g_array_index (self->layers, PlModelLayer, row);
  switch (col)
    {
    case COL_NAME: return g_strdup (l->name);
    case COL_OP: return g_strdup (l->op_type);
    case COL_WEIGHT: return g_strdup (l->weight_shape);
    case COL_OUTPUT: return g_strdup (l->output_shape);
    case COL_PARAMS: return count_text (l->params);
    case COL_MACS: return count_text (l->macs_dense);
    case COL_EFFECTIVE: return count_text (l->macs_effective);
    case COL_SPARSITY:
      return g_strdup_printf ("%.1f %%", l->weights ? 100.0 * (1.0 - (double) l->nonzero / l->weights) : 0.0);
    case COL_CHANNELS:
    default:
      return g_strdup_printf ("%" G_GINT64_FORMAT " / %" G_GINT64_FORMAT,
                              l->channels - l->removed_channels, l->channels);
    }
}

static void
cell_setup (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  gint col = GPOINTER_TO_INT (data);
  GtkWidget *label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (label), col >= COL_PARAMS ? 1.0f : 0.0f);
  if (col >= COL_PARAMS)
    gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
cell_bind (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  gint col = GPOINTER_TO_INT (data);
  PlModelView *self = g_object_get_data (G_OBJECT (factory), "view");
  GtkStringObject *obj = gtk_list_item_get_item (item);
  guint row = (guint) g_ascii_strtoull (gtk_string_object_get_string (obj), NULL, 10);
  g_autofree char *text = cell_text (self, row, col);
  GtkWidget *label = gtk_list_item_get_child (item);
  gtk_label_set_label (GTK_LABEL (label), text);
  g_object_set_data (G_OBJECT (label), "pl-cell", GUINT_TO_POINTER (row * N_COLS + col + 1));
}

/* The table's cells shown now, given the texts of the current layers: a new step with the
 * same layers changes a few numbers, not the rows (replacing the rows made the column view
 * build and measure every cell again: 4–10 ms of a frame). */
static void
refresh_cells (PlModelView *self, GtkWidget *widget)
{
  guint cell = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (widget), "pl-cell"));
  if (cell > 0 && GTK_IS_LABEL (widget))
    {
      g_autofree char *text = cell_text (self, (cell - 1) / N_COLS, (gint) ((cell - 1) % N_COLS));
      if (g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), text) != 0)
        gtk_label_set_label (GTK_LABEL (widget), text);
      return;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    refresh_cells (self, c);
}

/* ---------------------------------------------------------------- drawing ---- */

/* What the canvases draw (in a worker thread): references to the graphs (never changed once
 * made) and copies of the rest. */
typedef struct {
  PlGraph *original, *pruned;    /* pruned may be NULL */
  gint weight_id;
  char *name;
  gint64 weights, nonzero;
  gint first_kind;               /* the first-layer figure: 1 conv filters, 2 pixel survival */
  double *survival;
  gint survival_h, survival_w;
} Drawn;

static void
drawn_free (Drawn *d)
{
  g_clear_pointer (&d->original, pl_graph_unref);
  g_clear_pointer (&d->pruned, pl_graph_unref);
  g_free (d->name);
  g_free (d->survival);
  g_free (d);
}

/* The view's graphs and layer l (NULL: none) for a canvas. */
static Drawn *
drawn_new (PlModelView *self, const PlModelLayer *l)
{
  Drawn *d = g_new0 (Drawn, 1);
  d->original = self->original ? pl_graph_ref (self->original) : NULL;
  d->pruned = self->pruned ? pl_graph_ref (self->pruned) : NULL;
  if (l != NULL)
    {
      d->weight_id = l->weight_id;
      d->name = g_strdup (l->name);
      d->weights = l->weights;
      d->nonzero = l->nonzero;
    }
  return d;
}

static void
draw_histogram (cairo_t *cr, int width, int height, gboolean dark, gconstpointer content)
{
  const Drawn *d = content;
  if (d->original == NULL)
    return;
  const PlValue *v0 = pl_graph_value (d->original, d->weight_id);
  PlGraph *pruned = d->pruned ? d->pruned : d->original;
  const PlValue *v1 = pl_graph_value (pruned, d->weight_id);
  if (v1 == NULL || v1->init == NULL || v1->init->numel != v0->init->numel)
    v1 = v0;
  /* The pruned weights as they act: masked entries are zero. */
  g_autofree float *after = g_memdup2 (v1->init->data, sizeof (float) * v1->init->numel);
  for (gint64 j = 0; j < v1->init->numel; j++)
    if (weight_zero (v1, j))
      after[j] = 0.0f;
  g_autofree char *title = g_strdup_printf (_("Weights of “%s”"), d->name);
  g_autofree char *zeros = count_text (d->weights - d->nonzero);
  g_autofree char *total = count_text (d->weights);
  g_autofree char *caption = g_strdup_printf (
      _("%s of %s weights are zero after pruning and left out of the pruned histogram"),
      zeros, total);
  PlHistogramFigure fig = {
    .title = title,
    .caption = caption,
    .x_label = (char *) _("weight value"),
    .n_bins = 60,
    .lo = 0, .hi = 0,
    .log_y = TRUE,
    .exclude_zeros = TRUE,
    .n_sets = 2,
    .names = { _("original"), _("pruned") },
    .data = { v0->init->data, after },
    .n = { v0->init->numel, v1->init->numel },
    .dark = dark,
  };
  pl_histogram_figure_draw (cr, width, height, &fig);
}

static void
set_fg (cairo_t *cr, gboolean dark, double alpha)
{
  if (dark)
    cairo_set_source_rgba (cr, 1, 1, 1, alpha);
  else
    cairo_set_source_rgba (cr, 0, 0, 0, alpha);
}

static void
draw_text (cairo_t *cr, double x, double y, const char *text, gboolean centre)
{
  cairo_text_extents_t ext;
  cairo_text_extents (cr, text, &ext);
  cairo_move_to (cr, centre ? x - ext.width / 2 - ext.x_bearing : x, y);
  cairo_show_text (cr, text);
}

/* Conv filters of the first layer (input channel 0), before | after, each on one
 * diverging scale ±max|w| of the original; removed (all-zero) filters crossed out. */
static void
draw_filters (const Drawn *d, cairo_t *cr, int width, int height, gboolean dark)
{
  const PlValue *v0 = pl_graph_value (d->original, d->weight_id);
  PlGraph *pruned = d->pruned ? d->pruned : d->original;
  const PlValue *v1 = pl_graph_value (pruned, d->weight_id);
  if (v1 == NULL || v1->init == NULL || v1->init->numel != v0->init->numel)
    v1 = v0;
  const PlTensor *w = v0->init;
  gint64 O = w->shape[0], I = w->shape[1], kh = w->shape[2], kw = w->shape[3];
  if (O <= 0 || kh <= 0 || kw <= 0)
    return;
  double m = pl_tensor_max_abs (w);
  if (m <= 0)
    m = 1;
  gint cols = (gint) ceil (sqrt ((double) O)), rows = (gint) ((O + cols - 1) / cols);
  double half = (width - 30) / 2.0;
  double cell = MIN ((half - 8.0 * cols) / cols, (height - 40.0 - 6.0 * rows) / rows);
  cell = MIN (cell, 56.0);
  if (cell < 4)
    return;
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size (cr, 12);
  for (gint side = 0; side < 2; side++)
    {
      const PlValue *v = side ? v1 : v0;
      double x0 = 10 + side * (half + 10);
      set_fg (cr, dark, 0.9);
      draw_text (cr, x0 + cols * (cell + 8) / 2, 16,
                 side ? _("after pruning") : _("original"), TRUE);
      for (gint64 o = 0; o < O; o++)
        {
          double cx = x0 + (o % cols) * (cell + 8), cy = 26 + (o / cols) * (cell + 6);
          gboolean all_zero = TRUE;
          for (gint64 y = 0; y < kh; y++)
            for (gint64 x = 0; x < kw; x++)
              {
                gint64 j = ((o * I) * kh + y) * kw + x;   /* input channel 0 */
                double val = weight_zero (v, j) ? 0.0 : v->init->data[j];
                if (val != 0.0)
                  all_zero = FALSE;
                double rgb[3];
                pl_colormap_lookup (PL_COLORMAP_DIVERGING, 0.5 + 0.5 * val / m, rgb);
                cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
                cairo_rectangle (cr, cx + x * cell / kw, cy + y * cell / kh,
                                 cell / kw + 0.5, cell / kh + 0.5);
                cairo_fill (cr);
              }
          set_fg (cr, dark, 0.35);
          cairo_set_line_width (cr, 1);
          cairo_rectangle (cr, cx + 0.5, cy + 0.5, cell - 1, cell - 1);
          cairo_stroke (cr);
          if (side && all_zero)
            {
              cairo_set_source_rgb (cr, 0.8, 0.1, 0.1);
              cairo_set_line_width (cr, 2);
              cairo_move_to (cr, cx, cy);
              cairo_line_to (cr, cx + cell, cy + cell);
              cairo_move_to (cr, cx + cell, cy);
              cairo_line_to (cr, cx, cy + cell);
              cairo_stroke (cr);
            }
        }
    }
}

static void
draw_survival (const Drawn *d, cairo_t *cr, int width, int height, gboolean dark)
{
  gint h = d->survival_h, w = d->survival_w;
  double size = MIN (width - 120.0, height - 30.0);
  if (size < 10)
    return;
  double cx = 10, cy = 24, px = size / MAX (h, w);
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size (cr, 12);
  set_fg (cr, dark, 0.9);
  draw_text (cr, cx, 16, _("Share of surviving weights per input pixel"), FALSE);
  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++)
      {
        double rgb[3];
        pl_colormap_lookup (pl_render_get_sequential_colormap (), d->survival[y * w + x], rgb);
        cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
        cairo_rectangle (cr, cx + x * px, cy + y * px, px + 0.5, px + 0.5);
        cairo_fill (cr);
      }
  /* Colorbar 0 … 1. */
  double bx = cx + w * px + 16;
  for (gint i = 0; i < 100; i++)
    {
      double rgb[3];
      pl_colormap_lookup (pl_render_get_sequential_colormap (), 1.0 - i / 99.0, rgb);
      cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
      cairo_rectangle (cr, bx, cy + i * h * px / 100.0, 14, h * px / 100.0 + 0.5);
      cairo_fill (cr);
    }
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  set_fg (cr, dark, 0.8);
  draw_text (cr, bx + 18, cy + 10, "100 %", FALSE);
  draw_text (cr, bx + 18, cy + h * px, "0 %", FALSE);
}

static void
draw_first_layer (cairo_t *cr, int width, int height, gboolean dark, gconstpointer content)
{
  const Drawn *d = content;
  if (d->first_kind == 1 && d->original != NULL)
    draw_filters (d, cr, width, height, dark);
  else if (d->first_kind == 2 && d->survival != NULL)
    draw_survival (d, cr, width, height, dark);
}

/* ------------------------------------------------------------------ update ---- */

static void
set_text (GtkLabel *label, const char *text)
{
  if (g_strcmp0 (gtk_label_get_label (label), text) == 0)
    return;
  gtk_label_set_label (label, text);
}

static void
update_selected (PlModelView *self)
{
  if (self->selected < self->layers->len)
    {
      const PlModelLayer *l = &g_array_index (self->layers, PlModelLayer, self->selected);
      g_autofree char *text = NULL;
      if (l->removed != NULL)
        text = g_strdup_printf (_("“%s”: %d of %d output channels removed: %s"), l->name,
                                (int) l->removed_channels, (int) l->channels, l->removed);
      else
        text = g_strdup_printf (_("“%s”: no output channel removed (all %d kept)"), l->name,
                                (int) l->channels);
      set_text (self->channels_label, text);
    }
  else
    set_text (self->channels_label, "");
  if (self->selected < self->layers->len && self->original != NULL)
    pl_canvas_set_content (self->histogram_area, draw_histogram,
                           drawn_new (self, &g_array_index (self->layers, PlModelLayer,
                                                            self->selected)),
                           (GDestroyNotify) drawn_free);
  else
    pl_canvas_set_content (self->histogram_area, NULL, NULL, NULL);
}

static void
on_selected (GtkSingleSelection *selection, GParamSpec *pspec, PlModelView *self)
{
  guint pos = gtk_single_selection_get_selected (selection);
  if (pos != GTK_INVALID_LIST_POSITION)
    {
      if (!self->updating)
        self->user_selected = TRUE;
      self->selected = pos;
      update_selected (self);
    }
}

/* Shows st (its contents move into the view). */
static void
update (PlModelView *self, Stats *st)
{
  g_clear_pointer (&self->original, pl_graph_unref);
  g_clear_pointer (&self->pruned, pl_graph_unref);
  self->original = g_steal_pointer (&st->original);
  self->pruned = g_steal_pointer (&st->pruned);
  g_array_unref (self->layers);
  self->layers = g_steal_pointer (&st->layers);
  self->params = st->params;
  self->nonzero_params = st->nonzero_params;
  self->macs_dense = st->macs_dense;
  self->macs_effective = st->macs_effective;
  self->first_kind = st->first_kind;
  g_free (self->survival);
  self->survival = g_steal_pointer (&st->survival);
  self->survival_h = st->survival_h;
  self->survival_w = st->survival_w;
  GStrvBuilder *b = g_strv_builder_new ();
  for (guint i = 0; i < self->layers->len; i++)
    {
      char buf[16];
      g_snprintf (buf, sizeof buf, "%u", i);
      g_strv_builder_add (b, buf);
    }
  g_auto (GStrv) items = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  guint old = g_list_model_get_n_items (G_LIST_MODEL (self->rows));
  guint keep = self->selected;
  self->updating = TRUE;
  if (old == self->layers->len)
    refresh_cells (self, GTK_WIDGET (self->table));
  else
    gtk_string_list_splice (self->rows, 0, old, (const char *const *) items);
  self->selected = keep < self->layers->len ? keep : 0;
  /* Until the user picks a layer, show the first one a structured step thinned out. */
  if (!self->user_selected)
    {
      self->selected = 0;
      for (guint i = 0; i < self->layers->len; i++)
        if (g_array_index (self->layers, PlModelLayer, i).removed_channels > 0)
          {
            self->selected = i;
            break;
          }
    }
  if (self->layers->len > 0)
    gtk_single_selection_set_selected (self->selection, self->selected);
  self->updating = FALSE;

  g_autofree char *p = count_text (self->params), *pn = count_text (self->nonzero_params);
  g_autofree char *md = count_text (self->macs_dense), *me = count_text (self->macs_effective);
  /* two lines, each short enough for a 1280 px window: parameters, then MACs */
  g_autofree char *cost = NULL, *macs = NULL;
  if (self->original == NULL)
    cost = g_strdup ("");
  else
    cost = g_strdup_printf (_("Parameters: %s, non-zero after pruning %s (%.1f %%)"), p, pn,
                            100.0 * self->nonzero_params / MAX (self->params, 1));
  if (self->original == NULL)
    macs = g_strdup ("");
  else if (self->macs_dense > 0)
    macs = g_strdup_printf (_("MACs per image: dense %s, effective %s (%.1f %%)"), md, me,
                            100.0 * self->macs_effective / self->macs_dense);
  else
    macs = g_strdup (_("MACs per image: unknown"));
  set_text (self->cost_label, cost);
  set_text (self->macs_label, macs);
  {
    /* a protected (or unpruned) first layer shows the same filters twice: say why */
    const PlModelLayer *l0 = self->layers->len > 0
                               ? &g_array_index (self->layers, PlModelLayer, 0) : NULL;
    gboolean dense = l0 != NULL && self->pruned != NULL && l0->nonzero == l0->weights;
    set_text (self->first_label,
              self->first_kind == 1 && dense
                ? _("First convolution: filters of input channel 0 (blue negative, red "
                    "positive) — not pruned: it is protected or this step left it dense")
              : self->first_kind == 1 ? _("First convolution: filters of input channel 0 "
                                          "(blue negative, red positive; crossed out: removed)")
              : self->first_kind == 2 ? _("First fully-connected layer: where the pruned "
                                          "network still looks")
                                      : "");
  }
  update_selected (self);
  if (self->first_kind != 0 && self->layers->len > 0 && self->original != NULL)
    {
      Drawn *d = drawn_new (self, &g_array_index (self->layers, PlModelLayer, 0));
      d->first_kind = self->first_kind;
      if (self->survival != NULL)
        d->survival = g_memdup2 (self->survival,
                                 sizeof (double) * self->survival_h * self->survival_w);
      d->survival_h = self->survival_h;
      d->survival_w = self->survival_w;
      pl_canvas_set_content (self->first_area, draw_first_layer, d, (GDestroyNotify) drawn_free);
    }
  else
    pl_canvas_set_content (self->first_area, NULL, NULL, NULL);
}

static void
on_stats_done (PlJob *job, const GError *error, gpointer user_data)
{
  PlModelView *self = PL_MODEL_VIEW (user_data);
  g_autoptr (PlJob) ref = g_steal_pointer (&self->job);
  g_return_if_fail (ref == job);
  update (self, pl_job_get_data (job));
}

void
pl_model_view_set_graphs (PlModelView *self, PlGraph *original, PlGraph *pruned)
{
  g_return_if_fail (PL_IS_MODEL_VIEW (self));
  if (self->job != NULL)
    pl_job_abandon (self->job);
  g_clear_pointer (&self->job, pl_job_unref);
  Stats *st = stats_new (original, pruned);
  if (original == NULL)
    {
      /* nothing to compute */
      compute_layers (st);
      update (self, st);
      stats_free (st);
      return;
    }
  /* the rows are computed off the main loop; the view keeps showing the previous ones
   * (and their graphs) until they arrive */
  self->job = pl_job_new (stats_run, st, (GDestroyNotify) stats_free);
  pl_job_start (self->job, on_stats_done, self);
}

/* Waits for rows being computed (the getters answer for the graphs last set). */
static void
wait_for_rows (PlModelView *self)
{
  while (self->job != NULL)
    g_main_context_iteration (NULL, TRUE);
}

/* ------------------------------------------------------------------ object ---- */

static GtkColumnViewColumn *
add_column (PlModelView *self, const char *title, gint col, gboolean expand)
{
  GtkListItemFactory *f = gtk_signal_list_item_factory_new ();
  g_object_set_data (G_OBJECT (f), "view", self);
  g_signal_connect (f, "setup", G_CALLBACK (cell_setup), GINT_TO_POINTER (col));
  g_signal_connect (f, "bind", G_CALLBACK (cell_bind), GINT_TO_POINTER (col));
  GtkColumnViewColumn *c = gtk_column_view_column_new (title, f);
  gtk_column_view_column_set_expand (c, expand);
  gtk_column_view_column_set_resizable (c, TRUE);
  gtk_column_view_append_column (self->table, c);
  g_object_unref (c);
  return c;
}

static void
pl_model_view_dispose (GObject *object)
{
  PlModelView *self = PL_MODEL_VIEW (object);
  g_signal_handlers_disconnect_by_data (adw_style_manager_get_default (), self);
  if (self->job != NULL)
    pl_job_abandon (self->job);
  g_clear_pointer (&self->job, pl_job_unref);
  g_clear_pointer (&self->original, pl_graph_unref);
  g_clear_pointer (&self->pruned, pl_graph_unref);
  G_OBJECT_CLASS (pl_model_view_parent_class)->dispose (object);
}

static void
pl_model_view_finalize (GObject *object)
{
  PlModelView *self = PL_MODEL_VIEW (object);
  g_array_unref (self->layers);
  g_free (self->survival);
  g_clear_object (&self->selection);
  G_OBJECT_CLASS (pl_model_view_parent_class)->finalize (object);
}

static void
pl_model_view_class_init (PlModelViewClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = pl_model_view_dispose;
  G_OBJECT_CLASS (klass)->finalize = pl_model_view_finalize;
  gtk_widget_class_set_accessible_role (GTK_WIDGET_CLASS (klass), GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
pl_model_view_init (PlModelView *self)
{
  self->layers = g_array_new (FALSE, TRUE, sizeof (PlModelLayer));
  g_array_set_clear_func (self->layers, layer_clear);
  GtkBox *box = GTK_BOX (self);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (box, 8);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Model: layers, weights and filters"), -1);

  /* The view's three texts are single lines, ellipsized, the whole text in their tooltips:
   * GTK 4.8 measured a wrapping label here for widths found by bisection, with a Pango
   * layout at each (4–8 ms of each frame that changed them: undo, redo; bench frames). */
  self->cost_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->cost_label, 0);
  gtk_label_set_ellipsize (self->cost_label, PANGO_ELLIPSIZE_END);
  gtk_label_set_selectable (self->cost_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->cost_label), "heading");
  self->macs_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->macs_label, 0);
  gtk_label_set_ellipsize (self->macs_label, PANGO_ELLIPSIZE_END);
  gtk_label_set_selectable (self->macs_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->macs_label), "heading");
  GtkWidget *cost_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_box_append (GTK_BOX (cost_box), GTK_WIDGET (self->cost_label));
  gtk_box_append (GTK_BOX (cost_box), GTK_WIDGET (self->macs_label));
  gtk_box_append (box, cost_box);

  self->rows = gtk_string_list_new (NULL);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (self->rows));
  g_signal_connect (self->selection, "notify::selected", G_CALLBACK (on_selected), self);
  self->table = GTK_COLUMN_VIEW (gtk_column_view_new (GTK_SELECTION_MODEL (g_object_ref (self->selection))));
  gtk_column_view_set_show_column_separators (self->table, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->table), "data-table");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->table), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Layers of the network"), -1);
  add_column (self, _("Layer"), COL_NAME, TRUE);
  add_column (self, _("Operator"), COL_OP, FALSE);
  add_column (self, _("Weight shape"), COL_WEIGHT, FALSE);
  add_column (self, _("Output shape"), COL_OUTPUT, FALSE);
  add_column (self, _("Parameters"), COL_PARAMS, FALSE);
  add_column (self, _("MACs"), COL_MACS, FALSE);
  add_column (self, _("Effective MACs"), COL_EFFECTIVE, FALSE);
  add_column (self, _("Sparsity"), COL_SPARSITY, FALSE);
  add_column (self, _("Channels kept"), COL_CHANNELS, FALSE);
  GtkWidget *scroll = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), GTK_WIDGET (self->table));
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_AUTOMATIC,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroll), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroll), 220);
  /* the header and about four rows even in a 1280 × 800 window (the figures give way) */
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroll), 116);
  gtk_box_append (box, scroll);

  self->channels_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->channels_label, 0);
  gtk_label_set_ellipsize (self->channels_label, PANGO_ELLIPSIZE_END);
  gtk_label_set_selectable (self->channels_label, TRUE);
  gtk_box_append (box, GTK_WIDGET (self->channels_label));

  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_vexpand (row, TRUE);
  self->histogram_area = PL_CANVAS (pl_canvas_new ());
  gtk_widget_set_hexpand (GTK_WIDGET (self->histogram_area), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self->histogram_area), 300, 160);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->histogram_area),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Weight histogram of the selected layer, original and pruned"), -1);
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (self->histogram_area));
  /* The first layer's legend goes below the row, across the view: a wrapping label in a
   * column of a horizontal box made GTK measure its width for a height by bisection, with
   * a Pango layout at each step (10 ms of every layout of this view). */
  GtkWidget *right = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_set_hexpand (right, TRUE);
  self->first_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_ellipsize (self->first_label, PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (self->first_label, 1);
  gtk_widget_add_css_class (GTK_WIDGET (self->first_label), "dim-label");
  pl_label_tooltip_when_ellipsized (self->cost_label);
  pl_label_tooltip_when_ellipsized (self->macs_label);
  pl_label_tooltip_when_ellipsized (self->channels_label);
  pl_label_tooltip_when_ellipsized (self->first_label);
  self->first_area = PL_CANVAS (pl_canvas_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->first_area), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self->first_area), 300, 160);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->first_area),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("First layer before and after pruning"), -1);
  gtk_box_append (GTK_BOX (right), GTK_WIDGET (self->first_area));
  gtk_box_append (GTK_BOX (row), right);
  gtk_box_append (box, row);
  gtk_box_append (box, GTK_WIDGET (self->first_label));

}

GtkWidget *
pl_model_view_new (void)
{
  return g_object_new (PL_TYPE_MODEL_VIEW, NULL);
}

guint
pl_model_view_get_n_layers (PlModelView *self)
{
  g_return_val_if_fail (PL_IS_MODEL_VIEW (self), 0);
  wait_for_rows (self);
  return self->layers->len;
}

const PlModelLayer *
pl_model_view_get_layer (PlModelView *self, guint index)
{
  g_return_val_if_fail (PL_IS_MODEL_VIEW (self), NULL);
  wait_for_rows (self);
  return index < self->layers->len ? &g_array_index (self->layers, PlModelLayer, index) : NULL;
}

void
pl_model_view_select_layer (PlModelView *self, guint index)
{
  g_return_if_fail (PL_IS_MODEL_VIEW (self));
  wait_for_rows (self);
  if (index < self->layers->len)
    {
      self->user_selected = TRUE;
      gtk_single_selection_set_selected (self->selection, index);
    }
}

void
pl_model_view_get_cost (PlModelView *self, gint64 *params, gint64 *nonzero_params,
                        gint64 *macs_dense, gint64 *macs_effective)
{
  g_return_if_fail (PL_IS_MODEL_VIEW (self));
  wait_for_rows (self);
  if (params) *params = self->params;
  if (nonzero_params) *nonzero_params = self->nonzero_params;
  if (macs_dense) *macs_dense = self->macs_dense;
  if (macs_effective) *macs_effective = self->macs_effective;
}

GtkWidget *
pl_model_view_get_histogram_area (PlModelView *self)
{
  g_return_val_if_fail (PL_IS_MODEL_VIEW (self), NULL);
  wait_for_rows (self);
  return GTK_WIDGET (self->histogram_area);
}

GtkWidget *
pl_model_view_get_first_layer_area (PlModelView *self)
{
  g_return_val_if_fail (PL_IS_MODEL_VIEW (self), NULL);
  wait_for_rows (self);
  return GTK_WIDGET (self->first_area);
}

gint
pl_model_view_get_first_layer_kind (PlModelView *self)
{
  g_return_val_if_fail (PL_IS_MODEL_VIEW (self), 0);
  wait_for_rows (self);
  return self->first_kind;
}

const double *
pl_model_view_get_pixel_survival (PlModelView *self, gint *height, gint *width)
{
  g_return_val_if_fail (PL_IS_MODEL_VIEW (self), NULL);
  wait_for_rows (self);
  if (height) *height = self->survival_h;
  if (width) *width = self->survival_w;
  return self->survival;
}

static GtkWidget *
find_cell (GtkWidget *widget, guint cell)
{
  if (GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (widget), "pl-cell")) == cell
      && GTK_IS_LABEL (widget))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *hit = find_cell (c, cell);
      if (hit != NULL)
        return hit;
    }
  return NULL;
}

char *
pl_model_view_get_shown_cell (PlModelView *self, guint row, guint column)
{
  g_return_val_if_fail (PL_IS_MODEL_VIEW (self), NULL);
  if (column >= N_COLS)
    return NULL;
  GtkWidget *label = find_cell (GTK_WIDGET (self->table), row * N_COLS + column + 1);
  return label != NULL ? g_strdup (gtk_label_get_label (GTK_LABEL (label))) : NULL;
}

const char *
pl_model_view_get_first_layer_legend (PlModelView *self)
{
  g_return_val_if_fail (PL_IS_MODEL_VIEW (self), NULL);
  return gtk_label_get_label (self->first_label);
}
