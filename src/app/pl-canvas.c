/* pl-canvas.c — a widget that draws a figure with cairo in a worker thread (pl-canvas.h). */
#include "config.h"
#include "pl-canvas.h"

#include <adwaita.h>
#include "pl-image.h"
#include "pl-job.h"
#include "ops/pl-ops.h"

/* What to draw, shared by the canvas and the renders in flight. */
typedef struct {
  gatomicrefcount ref;
  guint64 id;
  PlCanvasDrawFunc draw;
  gpointer data;
  GDestroyNotify free_data;
} Content;

static Content *
content_ref (Content *c)
{
  g_atomic_ref_count_inc (&c->ref);
  return c;
}

static void
content_unref (Content *c)
{
  if (c != NULL && g_atomic_ref_count_dec (&c->ref))
    {
      if (c->free_data != NULL && c->data != NULL)
        c->free_data (c->data);
      g_free (c);
    }
}

/* A drawing's parameters: the content, the size in logical pixels, the scale, the style. */
typedef struct {
  guint64 id;
  int width, height, scale;
  gboolean dark;
} Params;

static gboolean
params_equal (const Params *a, const Params *b)
{
  return a->id == b->id && a->width == b->width && a->height == b->height
         && a->scale == b->scale && a->dark == b->dark;
}

typedef struct {
  Content *content;           /* owned ref; NULL: nothing to show */
  cairo_surface_t *image;     /* the last drawing (ARGB32), or NULL */
  GdkTexture *texture;        /* the same pixels, made only for the GL renderer */
  Params texture_params;
  GCancellable *cancellable;  /* the render in flight, or NULL */
  Params render_params;
  gboolean pending;           /* counted in n_pending */
  gboolean failed;            /* the drawing for texture_params failed: nothing to show */
} PlCanvasPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (PlCanvas, pl_canvas, GTK_TYPE_WIDGET)

static void
clear_image (PlCanvasPrivate *priv)
{
  g_clear_object (&priv->texture);
  g_clear_pointer (&priv->image, cairo_surface_destroy);
}

#define PL_CANVAS_MAX_PIXELS 32767   /* cairo's limit per side */

static guint n_pending;
static guint64 next_content_id = 1;

typedef struct {
  Content *content;
  Params params;
} Render;

static void
render_free (Render *r)
{
  content_unref (r->content);
  g_free (r);
}

static Params
current_params (PlCanvas *self)
{
  PlCanvasPrivate *priv = pl_canvas_get_instance_private (self);
  GtkWidget *widget = GTK_WIDGET (self);
  Params p = {
    .id = priv->content != NULL ? priv->content->id : 0,
    .width = gtk_widget_get_width (widget),
    .height = gtk_widget_get_height (widget),
    .scale = MAX (1, gtk_widget_get_scale_factor (widget)),
    .dark = adw_style_manager_get_dark (adw_style_manager_get_default ()),
  };
  return p;
}

gboolean
pl_canvas_is_ready (PlCanvas *self)
{
  g_return_val_if_fail (PL_IS_CANVAS (self), FALSE);
  PlCanvasPrivate *priv = pl_canvas_get_instance_private (self);
  if (priv->content == NULL)
    return TRUE;
  Params p = current_params (self);
  if (p.width <= 0 || p.height <= 0)
    return TRUE;
  return (priv->image != NULL || priv->failed) && params_equal (&p, &priv->texture_params);
}

static void
update_pending (PlCanvas *self)
{
  PlCanvasPrivate *priv = pl_canvas_get_instance_private (self);
  gboolean pending = gtk_widget_get_mapped (GTK_WIDGET (self)) && !pl_canvas_is_ready (self);
  if (pending != priv->pending)
    {
      priv->pending = pending;
      if (pending)
        n_pending++;
      else
        n_pending--;
    }
}

guint
pl_canvas_n_pending (void)
{
  return n_pending;
}

static void
render_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Render *r = task_data;
  pl_thread_set_nice (PL_JOB_NICE);   /* background work: frames first */
  if (g_task_return_error_if_cancelled (task))
    {
      pl_worker_end ();
      return;
    }
  /* cairo's image surfaces are at most 32767 pixels a side: a larger canvas is drawn at a
   * lower resolution (and shown stretched) rather than not at all */
  double scale = r->params.scale;
  int longest = MAX (r->params.width, r->params.height);
  if (longest * scale > PL_CANVAS_MAX_PIXELS)
    scale = (double) PL_CANVAS_MAX_PIXELS / longest;
  int pw = MAX (1, (int) (r->params.width * scale)), ph = MAX (1, (int) (r->params.height * scale));
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, pw, ph);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                               cairo_status_to_string (cairo_surface_status (surface)));
      cairo_surface_destroy (surface);
      pl_worker_end ();
      return;
    }
  cairo_surface_set_device_scale (surface, (double) pw / r->params.width,
                                  (double) ph / r->params.height);
  cairo_t *cr = cairo_create (surface);
  r->content->draw (cr, r->params.width, r->params.height, r->params.dark, r->content->data);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  g_task_return_pointer (task, surface, (GDestroyNotify) cairo_surface_destroy);
  pl_worker_end ();
}

static void
render_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PlCanvas *self = PL_CANVAS (source);
  PlCanvasPrivate *priv = pl_canvas_get_instance_private (self);
  GTask *task = G_TASK (result);
  Render *r = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  cairo_surface_t *surface = g_task_propagate_pointer (task, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* whoever cancelled it started the next one */
  if (g_task_get_cancellable (task) == priv->cancellable)
    g_clear_object (&priv->cancellable);
  if (priv->content == NULL || r->params.id != priv->content->id)
    {
      /* content replaced or cleared since: that drawing is not to be shown */
      g_clear_pointer (&surface, cairo_surface_destroy);
      update_pending (self);
      return;
    }
  if (surface == NULL)
    {
      /* nothing to show for these parameters (out of memory): not pending any more */
      g_debug ("PlCanvas: cannot draw a %d × %d figure: %s", r->params.width,
               r->params.height, error != NULL ? error->message : "?");
      clear_image (priv);
      priv->texture_params = r->params;
      priv->failed = TRUE;
      update_pending (self);
      return;
    }
  priv->failed = FALSE;
  clear_image (priv);
  priv->image = surface;
  priv->texture_params = r->params;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  update_pending (self);
}

static void
start_render (PlCanvas *self, const Params *p)
{
  PlCanvasPrivate *priv = pl_canvas_get_instance_private (self);
  if (priv->cancellable != NULL)
    {
      /* the same content at another size: let that one finish, then draw again */
      if (priv->render_params.id == p->id)
        return;
      g_cancellable_cancel (priv->cancellable);
      g_clear_object (&priv->cancellable);
    }
  priv->cancellable = g_cancellable_new ();
  priv->render_params = *p;
  Render *r = g_new0 (Render, 1);
  r->content = content_ref (priv->content);
  r->params = *p;
  GTask *task = g_task_new (self, priv->cancellable, render_done, NULL);
  g_task_set_source_tag (task, start_render);
  g_task_set_task_data (task, r, (GDestroyNotify) render_free);
  pl_worker_begin ();
  g_task_run_in_thread (task, render_thread);
  g_object_unref (task);
}

static void
pl_canvas_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  PlCanvas *self = PL_CANVAS (widget);
  PlCanvasPrivate *priv = pl_canvas_get_instance_private (self);
  Params p = current_params (self);
  if (priv->content == NULL || p.width <= 0 || p.height <= 0)
    return;
  /* the last drawing, stretched to the size if that changed, until the next one is done */
  if (priv->image != NULL)
    {
      if (priv->texture == NULL && !pl_image_cairo_renderer (widget))
        priv->texture = pl_image_texture_new (priv->image);
      pl_image_snapshot (snapshot, widget, priv->image, priv->texture,
                         &GRAPHENE_RECT_INIT (0, 0, p.width, p.height));
    }
  if ((priv->image == NULL && !priv->failed) || !params_equal (&p, &priv->texture_params))
    start_render (self, &p);
  update_pending (self);
}

static void
on_dark_changed (PlCanvas *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
  update_pending (self);
}

static void
pl_canvas_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (pl_canvas_parent_class)->map (widget);
  update_pending (PL_CANVAS (widget));
}

static void
pl_canvas_unmap (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (pl_canvas_parent_class)->unmap (widget);
  update_pending (PL_CANVAS (widget));
}

static void
pl_canvas_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  GTK_WIDGET_CLASS (pl_canvas_parent_class)->size_allocate (widget, width, height, baseline);
  update_pending (PL_CANVAS (widget));
}

static void
pl_canvas_dispose (GObject *object)
{
  PlCanvas *self = PL_CANVAS (object);
  PlCanvasPrivate *priv = pl_canvas_get_instance_private (self);
  if (priv->cancellable != NULL)
    g_cancellable_cancel (priv->cancellable);
  g_clear_object (&priv->cancellable);
  g_signal_handlers_disconnect_by_data (adw_style_manager_get_default (), self);
  if (priv->pending)
    {
      priv->pending = FALSE;
      n_pending--;
    }
  G_OBJECT_CLASS (pl_canvas_parent_class)->dispose (object);
}

static void
pl_canvas_finalize (GObject *object)
{
  PlCanvasPrivate *priv = pl_canvas_get_instance_private (PL_CANVAS (object));
  g_clear_pointer (&priv->content, content_unref);
  clear_image (priv);
  G_OBJECT_CLASS (pl_canvas_parent_class)->finalize (object);
}

static void
pl_canvas_class_init (PlCanvasClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = pl_canvas_dispose;
  object_class->finalize = pl_canvas_finalize;
  widget_class->snapshot = pl_canvas_snapshot;
  widget_class->map = pl_canvas_map;
  widget_class->unmap = pl_canvas_unmap;
  widget_class->size_allocate = pl_canvas_size_allocate;
  gtk_widget_class_set_css_name (widget_class, "canvas");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
pl_canvas_init (PlCanvas *self)
{
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (on_dark_changed), self, G_CONNECT_SWAPPED);
}

GtkWidget *
pl_canvas_new (void)
{
  return g_object_new (PL_TYPE_CANVAS, NULL);
}

void
pl_canvas_set_content (PlCanvas *self, PlCanvasDrawFunc draw, gpointer content,
                       GDestroyNotify free_content)
{
  g_return_if_fail (PL_IS_CANVAS (self));
  PlCanvasPrivate *priv = pl_canvas_get_instance_private (self);
  g_clear_pointer (&priv->content, content_unref);
  priv->failed = FALSE;
  if (priv->cancellable != NULL)
    {
      /* a drawing of the old content is not to be shown any more */
      g_cancellable_cancel (priv->cancellable);
      g_clear_object (&priv->cancellable);
    }
  if (draw != NULL)
    {
      Content *c = g_new0 (Content, 1);
      g_atomic_ref_count_init (&c->ref);
      c->id = next_content_id++;
      c->draw = draw;
      c->data = content;
      c->free_data = free_content;
      priv->content = c;
    }
  else
    {
      if (free_content != NULL && content != NULL)
        free_content (content);
      clear_image (priv);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
  update_pending (self);
}

gconstpointer
pl_canvas_get_content (PlCanvas *self)
{
  g_return_val_if_fail (PL_IS_CANVAS (self), NULL);
  PlCanvasPrivate *priv = pl_canvas_get_instance_private (self);
  return priv->content != NULL ? priv->content->data : NULL;
}
