/* pl-tour.c — see pl-tour.h. The popover is parented to the window's content (a container
 * that is always sensitive: a popover parented to, say, an insensitive Apply button would
 * inherit that and leave Close / Back / Next dead) and points at each page's target widget
 * with gtk_popover_set_pointing_to, kept up to date every frame while the tour runs. It is
 * unparented when the tour closes, so no widget keeps a stray child. Escape closes it (a
 * capture-phase key controller on the window: the non-modal popover has no focus) once
 * nothing runs: while a job runs, Escape cancels it first, as it does without a tour. */
#include "config.h"
#include "pl-tour.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include "pl-window-private.h"

typedef struct {
  const char *target;   /* pl_window_get_widget name */
  const char *view;     /* view to show first, or NULL */
  const char *title;
  const char *text;
} TourPage;

static const TourPage pages[] = {
  { "sample-grid", NULL, N_("The Sample Browser"),
    N_("Every test image with its true label. A red label: pruning changed the "
       "prediction; a red frame: the original network gets it wrong. Click an image or "
       "move with the arrow keys; Enter shows its explanation.") },
  { "sparsity-scale", NULL, N_("The Sparsity Slider"),
    N_("Drag to prune the network: the share of weights set to zero. The preview prunes the "
       "smallest weights; the lock button chooses protected layers (by default the first "
       "convolution and the final classifier).") },
  { "apply", NULL, N_("Apply a Step"),
    N_("Apply records the preview as a step of the pruning history, with the criterion, "
       "schedule and fine-tuning chosen next to it. Undo and Redo move through the steps.") },
  { "view-stack", "saliency", N_("The Saliency View"),
    N_("Which pixels each network looks at: original | pruned | difference, on a shared "
       "colour bar. Choose another attribution method above; the ⓘ button explains it.") },
  { "view-stack", "metrics", N_("The Metrics View"),
    N_("Compare the explanations of both networks over many test images: similarity and "
       "faithfulness with confidence intervals, paired tests and the sanity check.") },
  { "history", NULL, N_("The Pruning History"),
    N_("Every applied step with its sparsity and accuracy. Click one to go back to it, and "
       "choose “Compare with” to put another step on the original side.") },
};

typedef struct {
  PlWindow *window;       /* not a reference: the tour lives in the window's data */
  GtkWidget *popover;     /* owned while parented */
  GtkWidget *target;      /* what the current page points at (a descendant of the window) */
  guint tick_id;          /* follows the target's bounds */
  graphene_rect_t bounds; /* the last bounds pointed at */
  GtkWidget *title;
  GtkWidget *text;
  GtkWidget *counter;
  GtkWidget *back;
  GtkWidget *next;
  guint page;
} Tour;

static Tour *
get (PlWindow *window)
{
  return g_object_get_data (G_OBJECT (window), "pl-tour");
}

static void
detach (Tour *t)
{
  if (t->popover == NULL)
    return;
  GtkWidget *parent = gtk_widget_get_parent (t->popover);
  if (t->tick_id != 0 && parent != NULL)
    gtk_widget_remove_tick_callback (parent, t->tick_id);
  t->tick_id = 0;
  t->target = NULL;
  gtk_popover_popdown (GTK_POPOVER (t->popover));
  if (gtk_widget_get_parent (t->popover) != NULL)
    gtk_widget_unparent (t->popover);
  g_clear_object (&t->popover);
}

static void
tour_free (Tour *t)
{
  detach (t);
  g_free (t);
}

static void on_back (GtkButton *button, PlWindow *window) { pl_tour_back (window); }
static void on_next (GtkButton *button, PlWindow *window) { pl_tour_next (window); }
static void on_close (GtkButton *button, PlWindow *window) { pl_tour_close (window); }

static GtkWidget *
build_popover (Tour *t)
{
  GtkWidget *popover = gtk_popover_new ();
  gtk_popover_set_autohide (GTK_POPOVER (popover), FALSE);
  gtk_widget_add_css_class (popover, "pl-tour");
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  gtk_widget_set_margin_start (box, 8);
  gtk_widget_set_margin_end (box, 8);
  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 8);
  t->title = gtk_label_new (NULL);
  gtk_widget_add_css_class (t->title, "heading");
  gtk_label_set_xalign (GTK_LABEL (t->title), 0);
  t->text = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (t->text), TRUE);
  /* The text gets a fixed size (set_text_size): a popover on GTK 4.8 can allocate a wrapped
   * label narrower than the width it measured its height for, cutting off the last line
   * and the buttons below it (seen in Chinese). */
  gtk_label_set_wrap_mode (GTK_LABEL (t->text), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (GTK_LABEL (t->text), 1);   /* natural width: TEXT_WIDTH */
  gtk_label_set_xalign (GTK_LABEL (t->text), 0);
  gtk_label_set_yalign (GTK_LABEL (t->text), 0);
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  t->counter = gtk_label_new (NULL);
  gtk_widget_add_css_class (t->counter, "dim-label");
  gtk_widget_set_hexpand (t->counter, TRUE);
  gtk_label_set_xalign (GTK_LABEL (t->counter), 0);
  GtkWidget *close = gtk_button_new_with_mnemonic (_("_Close"));
  t->back = gtk_button_new_with_mnemonic (_("_Back"));
  t->next = gtk_button_new_with_mnemonic (_("_Next"));
  gtk_widget_add_css_class (t->next, "suggested-action");
  g_signal_connect (close, "clicked", G_CALLBACK (on_close), t->window);
  g_signal_connect (t->back, "clicked", G_CALLBACK (on_back), t->window);
  g_signal_connect (t->next, "clicked", G_CALLBACK (on_next), t->window);
  gtk_box_append (GTK_BOX (row), t->counter);
  gtk_box_append (GTK_BOX (row), close);
  gtk_box_append (GTK_BOX (row), t->back);
  gtk_box_append (GTK_BOX (row), t->next);
  gtk_box_append (GTK_BOX (box), t->title);
  gtk_box_append (GTK_BOX (box), t->text);
  gtk_box_append (GTK_BOX (box), row);
  gtk_popover_set_child (GTK_POPOVER (popover), box);
  gtk_accessible_update_property (GTK_ACCESSIBLE (popover), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Guided tour"), -1);
  return g_object_ref_sink (popover);
}

/* The container the popover is parented to: the window's content. */
static GtkWidget *
anchor_of (PlWindow *window)
{
  if (ADW_IS_APPLICATION_WINDOW (window))
    return adw_application_window_get_content (ADW_APPLICATION_WINDOW (window));
  return gtk_window_get_child (GTK_WINDOW (window));
}

/* Points the popover at the target's current bounds (the whole anchor when the target is
 * not laid out). */
static void
point_at_target (Tour *t)
{
  GtkWidget *anchor = gtk_widget_get_parent (t->popover);
  graphene_rect_t r;
  if (anchor == NULL || t->target == NULL ||
      !gtk_widget_get_mapped (t->target) ||
      !gtk_widget_compute_bounds (t->target, anchor, &r))
    graphene_rect_init (&r, 0, 0, anchor ? gtk_widget_get_width (anchor) : 1,
                        anchor ? gtk_widget_get_height (anchor) : 1);
  if (graphene_rect_equal (&r, &t->bounds))
    return;
  t->bounds = r;
  GdkRectangle rect = { (int) r.origin.x, (int) r.origin.y,
                        MAX ((int) r.size.width, 1), MAX ((int) r.size.height, 1) };
  gtk_popover_set_pointing_to (GTK_POPOVER (t->popover), &rect);
}

static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  Tour *t = user_data;
  if (t->popover != NULL)
    point_at_target (t);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_key (GtkEventControllerKey *controller, guint keyval, guint keycode,
        GdkModifierType state, PlWindow *window)
{
  if (keyval != GDK_KEY_Escape || !pl_tour_is_running (window))
    return FALSE;
  /* As everywhere in the window, Escape first stops the running computation (the tour
   * stays: it explains what is being computed); with nothing to stop it closes the tour. */
  if (pl_window_can_cancel (window))
    {
      pl_window_cancel (window);
      return TRUE;
    }
  pl_tour_close (window);
  return TRUE;
}

/* The width the tour's text wraps at, in pixels. */
#define TEXT_WIDTH 360

/* Fixes the text label's size: TEXT_WIDTH wide, as high as its wrapped lines need there. */
static void
set_text_size (Tour *t)
{
  gtk_widget_set_size_request (t->text, TEXT_WIDTH, -1);
  int height = 0;
  gtk_widget_measure (t->text, GTK_ORIENTATION_VERTICAL, TEXT_WIDTH, &height, NULL, NULL, NULL);
  gtk_widget_set_size_request (t->text, TEXT_WIDTH, height);
}

static void
show_page (Tour *t)
{
  const TourPage *p = &pages[t->page];
  if (p->view != NULL)
    pl_window_show_view (t->window, p->view);
  GtkWidget *target = pl_window_get_widget (t->window, p->target);
  g_return_if_fail (target != NULL);
  GtkWidget *anchor = anchor_of (t->window);
  g_return_if_fail (anchor != NULL);
  if (t->popover == NULL)
    t->popover = build_popover (t);
  if (gtk_widget_get_parent (t->popover) != anchor)
    {
      GtkWidget *old = gtk_widget_get_parent (t->popover);
      if (old != NULL)
        {
          if (t->tick_id != 0)
            gtk_widget_remove_tick_callback (old, t->tick_id);
          gtk_widget_unparent (t->popover);
        }
      gtk_widget_set_parent (t->popover, anchor);
      t->tick_id = gtk_widget_add_tick_callback (anchor, on_tick, t, NULL);
    }
  /* A list view manages its own children: point at its scrolled window instead. */
  GtkWidget *scroll = gtk_widget_get_ancestor (target, GTK_TYPE_SCROLLED_WINDOW);
  t->target = GTK_IS_GRID_VIEW (target) && scroll != NULL ? scroll : target;
  /* Point at the sample browser and the views from the side, at controls from below. */
  GtkPositionType side = g_str_equal (p->target, "sample-grid") ? GTK_POS_RIGHT
                       : g_str_equal (p->target, "view-stack") ? GTK_POS_TOP
                                                               : GTK_POS_BOTTOM;
  gtk_popover_set_position (GTK_POPOVER (t->popover), side);
  graphene_rect_init (&t->bounds, -1, -1, 0, 0);
  point_at_target (t);
  gtk_label_set_label (GTK_LABEL (t->title), _(p->title));
  gtk_label_set_label (GTK_LABEL (t->text), _(p->text));
  set_text_size (t);
  g_autofree char *counter = g_strdup_printf (_("%u of %u"), t->page + 1,
                                              (guint) G_N_ELEMENTS (pages));
  gtk_label_set_label (GTK_LABEL (t->counter), counter);
  gtk_widget_set_sensitive (t->back, t->page > 0);
  gtk_button_set_label (GTK_BUTTON (t->next),
                        t->page + 1 < G_N_ELEMENTS (pages) ? _("_Next") : _("_Done"));
  gtk_popover_popup (GTK_POPOVER (t->popover));
}

guint
pl_tour_n_pages (void)
{
  return G_N_ELEMENTS (pages);
}

void
pl_tour_start (PlWindow *window)
{
  g_return_if_fail (PL_IS_WINDOW (window));
  Tour *t = get (window);
  if (t == NULL)
    {
      t = g_new0 (Tour, 1);
      t->window = window;
      GtkEventController *keys = gtk_event_controller_key_new ();
      gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
      g_signal_connect (keys, "key-pressed", G_CALLBACK (on_key), window);
      gtk_widget_add_controller (GTK_WIDGET (window), keys);
      g_object_set_data_full (G_OBJECT (window), "pl-tour", t, (GDestroyNotify) tour_free);
    }
  t->page = 0;
  show_page (t);
}

void
pl_tour_next (PlWindow *window)
{
  g_return_if_fail (PL_IS_WINDOW (window));
  Tour *t = get (window);
  if (t == NULL || t->popover == NULL)
    return;
  if (t->page + 1 >= G_N_ELEMENTS (pages))
    {
      pl_tour_close (window);
      return;
    }
  t->page++;
  show_page (t);
}

void
pl_tour_back (PlWindow *window)
{
  g_return_if_fail (PL_IS_WINDOW (window));
  Tour *t = get (window);
  if (t == NULL || t->popover == NULL || t->page == 0)
    return;
  t->page--;
  show_page (t);
}

void
pl_tour_close (PlWindow *window)
{
  g_return_if_fail (PL_IS_WINDOW (window));
  Tour *t = get (window);
  if (t == NULL)
    return;
  detach (t);
  t->page = 0;
}

gboolean
pl_tour_is_running (PlWindow *window)
{
  g_return_val_if_fail (PL_IS_WINDOW (window), FALSE);
  Tour *t = get (window);
  return t != NULL && t->popover != NULL;
}

guint
pl_tour_get_page (PlWindow *window)
{
  g_return_val_if_fail (PL_IS_WINDOW (window), 0);
  Tour *t = get (window);
  return t != NULL ? t->page : 0;
}

GtkWidget *
pl_tour_get_popover (PlWindow *window)
{
  g_return_val_if_fail (PL_IS_WINDOW (window), NULL);
  Tour *t = get (window);
  return t != NULL ? t->popover : NULL;
}

GtkWidget *
pl_tour_get_target (PlWindow *window)
{
  g_return_val_if_fail (PL_IS_WINDOW (window), NULL);
  Tour *t = get (window);
  return t != NULL && t->popover != NULL ? t->target : NULL;
}
