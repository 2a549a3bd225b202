/* pl-tour.c — see pl-tour.h. The popover is parented to each page's target widget in turn
 * and unparented when the tour moves on or closes, so no widget keeps a stray child. */
#include "config.h"
#include "pl-tour.h"

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
    N_("Every test image with its true label. A red label: the original network gets it "
       "wrong; a red frame: pruning changed the prediction. Click an image or move with the "
       "arrow keys; Enter shows its explanation.") },
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
  gtk_label_set_max_width_chars (GTK_LABEL (t->text), 42);
  gtk_label_set_width_chars (GTK_LABEL (t->text), 30);
  gtk_label_set_xalign (GTK_LABEL (t->text), 0);
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

static void
show_page (Tour *t)
{
  const TourPage *p = &pages[t->page];
  if (p->view != NULL)
    pl_window_show_view (t->window, p->view);
  GtkWidget *target = pl_window_get_widget (t->window, p->target);
  g_return_if_fail (target != NULL);
  /* A list view manages its own children: point from its scrolled window instead. */
  GtkWidget *scroll = gtk_widget_get_ancestor (target, GTK_TYPE_SCROLLED_WINDOW);
  if (GTK_IS_GRID_VIEW (target) && scroll != NULL)
    target = scroll;
  if (t->popover == NULL)
    t->popover = build_popover (t);
  else
    {
      gtk_popover_popdown (GTK_POPOVER (t->popover));
      if (gtk_widget_get_parent (t->popover) != NULL)
        gtk_widget_unparent (t->popover);
    }
  gtk_widget_set_parent (t->popover, target);
  /* Point at the sample browser and the views from the side, at controls from below. */
  GtkPositionType side = g_str_equal (p->target, "sample-grid") ? GTK_POS_RIGHT
                       : g_str_equal (p->target, "view-stack") ? GTK_POS_TOP
                                                               : GTK_POS_BOTTOM;
  gtk_popover_set_position (GTK_POPOVER (t->popover), side);
  gtk_label_set_label (GTK_LABEL (t->title), _(p->title));
  gtk_label_set_label (GTK_LABEL (t->text), _(p->text));
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
  return t != NULL && t->popover != NULL ? gtk_widget_get_parent (t->popover) : NULL;
}
