/* pl-protect-popover.c — a check per prunable layer, feeding pl_prune_config_set_protected. */
#include "config.h"
#include "pl-protect-popover.h"

#include <glib/gi18n.h>
#include "analysis/pl-layers.h"
#include "prune/pl-prune.h"

/* Up to this many layers the list is shown whole; more scroll in 320 pixels. */
#define PL_PROTECT_MAX_ROWS 10

typedef struct {
  GtkWidget *list;        /* GtkBox of GtkCheckButton (name in "layer" data) */
  GtkWidget *scroll;      /* scrolls the list only when it is long */
  GtkPopover *popover;
  GtkWidget *state;       /* what the current choice means */
  char **recommended;
  char **defaults;        /* the unedited default: recommended, or none when protecting
                           * them would leave no layer to prune */
  gboolean edited;
  gboolean filling;
  PlProtectChangedFunc changed;
  gpointer user_data;
} Protect;

static void
protect_free (Protect *p)
{
  g_strfreev (p->recommended);
  g_strfreev (p->defaults);
  g_free (p);
}

static Protect *
get (GtkPopover *popover)
{
  return g_object_get_data (G_OBJECT (popover), "pl-protect");
}

/* The width of the popover's content, in pixels. */
#define CONTENT_WIDTH 320

/* Gives a wrapped label the height its lines need at CONTENT_WIDTH: GTK 4.8 popovers can
 * allocate less than a wrapped label needs, cutting off what follows it. */
static void
fix_height (GtkWidget *label)
{
  gtk_widget_set_size_request (label, CONTENT_WIDTH, -1);
  int height = 0;
  gtk_widget_measure (label, GTK_ORIENTATION_VERTICAL, CONTENT_WIDTH, &height, NULL, NULL, NULL);
  gtk_widget_set_size_request (label, CONTENT_WIDTH, height);
}

static void
update_state (Protect *p)
{
  guint n = 0;
  for (GtkWidget *c = gtk_widget_get_first_child (p->list); c; c = gtk_widget_get_next_sibling (c))
    n += gtk_check_button_get_active (GTK_CHECK_BUTTON (c));
  g_autofree char *text = NULL;
  if (!p->edited && n > 0)
    text = g_strdup_printf (ngettext ("Default: %u recommended layer protected (the first "
                                      "convolution and the final classifier); edit it here.",
                                      "Default: %u recommended layers protected (the first "
                                      "convolution and the final classifier); edit them here.",
                                      n),
                            n);
  else if (n == 0)
    text = g_strdup (_("No layer protected."));
  else
    text = g_strdup_printf (ngettext ("%u layer protected: it keeps all its weights.",
                                         "%u layers protected: they keep all their weights.", n),
                            n);
  gtk_label_set_label (GTK_LABEL (p->state), text);
  fix_height (p->state);

  /* The menu button showing this popover tells the choice apart: the recommended default,
   * none, or a custom set (icon, tooltip and accessible label). */
  GtkWidget *button = gtk_widget_get_parent (GTK_WIDGET (p->popover));
  if (!GTK_IS_MENU_BUTTON (button) || p->list == NULL ||
      gtk_widget_get_first_child (p->list) == NULL)
    return;
  g_autofree char *tip = NULL;
  const char *icon = "changes-prevent-symbolic";
  if (n == 0)
    {
      tip = g_strdup (_("Protected layers: none (every layer is pruned)"));
      icon = "changes-allow-symbolic";
    }
  else if (!p->edited)
    tip = g_strdup_printf (ngettext ("Protected layers: the default (%u recommended layer)",
                                     "Protected layers: the default (%u recommended layers)",
                                     n),
                           n);
  else
    tip = g_strdup_printf (ngettext ("Protected layers: custom (%u layer)",
                                     "Protected layers: custom (%u layers)", n),
                           n);
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), icon);
  gtk_widget_set_tooltip_text (button, tip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tip, -1);
  if (p->edited && n > 0)
    gtk_widget_add_css_class (button, "accent");
  else
    gtk_widget_remove_css_class (button, "accent");
}

static void
on_parent_changed (GObject *popover, GParamSpec *pspec, Protect *p)
{
  update_state (p);
}

static void
on_toggled (GtkCheckButton *button, Protect *p)
{
  if (p->filling)
    return;
  p->edited = TRUE;
  update_state (p);
  if (p->changed)
    p->changed (p->user_data);
}

static void
check_names (Protect *p, const char *const *names)
{
  p->filling = TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child (p->list); c; c = gtk_widget_get_next_sibling (c))
    {
      const char *layer = g_object_get_data (G_OBJECT (c), "layer");
      gtk_check_button_set_active (GTK_CHECK_BUTTON (c),
                                   names && g_strv_contains (names, layer));
    }
  p->filling = FALSE;
}

static void
on_recommended (GtkButton *button, GtkPopover *popover)
{
  Protect *p = get (popover);
  pl_protect_popover_set_protected (popover, (const char *const *) p->recommended);
}

static void
on_none (GtkButton *button, GtkPopover *popover)
{
  const char *none[] = { NULL };
  pl_protect_popover_set_protected (popover, none);
}

GtkWidget *
pl_protect_popover_new (PlProtectChangedFunc changed, gpointer user_data)
{
  GtkWidget *popover = gtk_popover_new ();
  Protect *p = g_new0 (Protect, 1);
  p->changed = changed;
  p->user_data = user_data;
  p->popover = GTK_POPOVER (popover);
  g_object_set_data_full (G_OBJECT (popover), "pl-protect", p, (GDestroyNotify) protect_free);

  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  /* One width, minimum = natural (the wrapped labels ask for little): the popover then
   * measures its height for the width it allocates, and nothing at the bottom is cut off. */
  gtk_widget_set_size_request (box, CONTENT_WIDTH, -1);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  GtkWidget *title = gtk_label_new (_("Protected Layers"));
  gtk_widget_add_css_class (title, "heading");
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_box_append (GTK_BOX (box), title);
  GtkWidget *help = gtk_label_new (_("A protected layer is not pruned; the target sparsity is "
                                     "then reached in the other layers."));
  gtk_label_set_wrap (GTK_LABEL (help), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (help), 1);
  gtk_label_set_xalign (GTK_LABEL (help), 0);
  gtk_widget_add_css_class (help, "dim-label");
  fix_height (help);
  gtk_box_append (GTK_BOX (box), help);

  p->list = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  /* No vertical scrolling (so the popover asks for every row) until set_graph lists many
   * layers. */
  GtkWidget *scroll = p->scroll = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_NEVER,
                                  GTK_POLICY_NEVER);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), p->list);
  gtk_box_append (GTK_BOX (box), scroll);

  p->state = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (p->state), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (p->state), 1);
  gtk_label_set_xalign (GTK_LABEL (p->state), 0);
  gtk_box_append (GTK_BOX (box), p->state);

  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *rec = gtk_button_new_with_mnemonic (_("_Recommended"));
  gtk_widget_set_tooltip_text (rec, _("Protect the first convolution and the last fully "
                                      "connected layer, which prune worst (Han et al. 2015; "
                                      "Gale et al. 2019)"));
  g_signal_connect (rec, "clicked", G_CALLBACK (on_recommended), popover);
  GtkWidget *none = gtk_button_new_with_mnemonic (_("_None"));
  g_signal_connect (none, "clicked", G_CALLBACK (on_none), popover);
  gtk_box_append (GTK_BOX (buttons), rec);
  gtk_box_append (GTK_BOX (buttons), none);
  gtk_box_append (GTK_BOX (box), buttons);
  gtk_popover_set_child (GTK_POPOVER (popover), box);
  g_signal_connect (popover, "notify::parent", G_CALLBACK (on_parent_changed), p);
  update_state (p);
  return popover;
}

void
pl_protect_popover_set_graph (GtkPopover *popover, const PlGraph *graph)
{
  g_return_if_fail (GTK_IS_POPOVER (popover));
  Protect *p = get (popover);
  GtkWidget *c;
  while ((c = gtk_widget_get_first_child (p->list)) != NULL)
    gtk_box_remove (GTK_BOX (p->list), c);
  g_clear_pointer (&p->recommended, g_strfreev);
  g_clear_pointer (&p->defaults, g_strfreev);
  p->edited = FALSE;
  /* The default (issue 5): the recommended layers, checked until the user edits. */
  if (graph != NULL)
    {
      p->recommended = pl_prune_default_protected (graph);
      g_autoptr (PlLayerSparsity) layers = pl_layer_sparsity (graph);
      for (gint i = 0; i < layers->n_layers; i++)
        {
          const char *name = layers->names[i];
          g_autofree char *label = NULL;
          if (g_strv_contains ((const char *const *) p->recommended, name))
            label = g_strdup_printf (_("%s (%d weights; recommended)"), name,
                                     (int) layers->sizes[i]);
          else
            label = g_strdup_printf (_("%s (%d weights)"), name, (int) layers->sizes[i]);
          GtkWidget *check = gtk_check_button_new_with_label (label);
          g_object_set_data_full (G_OBJECT (check), "layer", g_strdup (name), g_free);
          g_signal_connect (check, "toggled", G_CALLBACK (on_toggled), p);
          gtk_box_append (GTK_BOX (p->list), check);
        }
      /* Every row shown; a long list (more than PL_PROTECT_MAX_ROWS layers) scrolls. */
      gboolean many = layers->n_layers > PL_PROTECT_MAX_ROWS;
      gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (p->scroll), GTK_POLICY_NEVER,
                                      many ? GTK_POLICY_AUTOMATIC : GTK_POLICY_NEVER);
      gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (p->scroll),
                                                  many ? 320 : -1);
      p->defaults = g_strv_length (p->recommended) < (guint) layers->n_layers
                      ? g_strdupv (p->recommended) : g_new0 (char *, 1);
      check_names (p, (const char *const *) p->defaults);
    }
  update_state (p);
}

gboolean
pl_protect_popover_is_edited (GtkPopover *popover)
{
  g_return_val_if_fail (GTK_IS_POPOVER (popover), FALSE);
  return get (popover)->edited;
}

char **
pl_protect_popover_get_protected (GtkPopover *popover)
{
  g_return_val_if_fail (GTK_IS_POPOVER (popover), NULL);
  Protect *p = get (popover);
  GStrvBuilder *b = g_strv_builder_new ();
  for (GtkWidget *c = gtk_widget_get_first_child (p->list); c; c = gtk_widget_get_next_sibling (c))
    if (gtk_check_button_get_active (GTK_CHECK_BUTTON (c)))
      g_strv_builder_add (b, g_object_get_data (G_OBJECT (c), "layer"));
  char **names = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return names;
}

void
pl_protect_popover_set_protected (GtkPopover *popover, const char *const *names)
{
  g_return_if_fail (GTK_IS_POPOVER (popover));
  Protect *p = get (popover);
  check_names (p, names ? names : (const char *const *) p->defaults);
  p->edited = names != NULL;
  update_state (p);
  if (p->changed)
    p->changed (p->user_data);
}

guint
pl_protect_popover_n_layers (GtkPopover *popover)
{
  g_return_val_if_fail (GTK_IS_POPOVER (popover), 0);
  guint n = 0;
  for (GtkWidget *c = gtk_widget_get_first_child (get (popover)->list); c;
       c = gtk_widget_get_next_sibling (c))
    n++;
  return n;
}
