/* pl-bench-frames.c — frame times of a scripted session (pl-bench-frames.h). */
#include "config.h"
#include "pl-bench-frames.h"

#include <stdio.h>
#include <time.h>
#include "pl-canvas.h"
#include "pl-window-private.h"

typedef enum { ACT_VIEW, ACT_SPARSITY, ACT_ACTION, ACT_SAMPLE, ACT_METHOD, ACT_COMPARE,
               ACT_SWEEP } ActKind;

typedef struct {
  const char *name;
  ActKind kind;
  const char *arg;
  double value;
} Act;

static const Act script[] = {
  { "show Saliency", ACT_VIEW, "saliency", 0 },
  { "sparsity 90 %", ACT_SPARSITY, NULL, 0.9 },
  { "apply a step", ACT_ACTION, "win.apply-step", 0 },
  { "select sample 3", ACT_SAMPLE, NULL, 3 },
  { "show Features", ACT_VIEW, "features", 0 },
  { "method Integrated Gradients", ACT_METHOD, NULL, PL_MAP_INTEGRATED_GRADIENTS },
  { "show LIME / SHAP", ACT_VIEW, "shap", 0 },
  { "select sample 4", ACT_SAMPLE, NULL, 4 },
  { "show Model", ACT_VIEW, "model", 0 },
  { "undo", ACT_ACTION, "win.undo", 0 },
  { "redo", ACT_ACTION, "win.redo", 0 },
  { "show Metrics", ACT_VIEW, "metrics", 0 },
  { "compare 10 images", ACT_COMPARE, NULL, 10 },
  { "show Sweep", ACT_VIEW, "sweep", 0 },
  { "sweep", ACT_SWEEP, NULL, 0 },
  { "show Saliency again", ACT_VIEW, "saliency", 0 },
  { "method Saliency", ACT_METHOD, NULL, PL_MAP_SALIENCY },
  { "select sample 5", ACT_SAMPLE, NULL, 5 },
};

typedef struct {
  PlWindow *window;          /* borrowed: the bench ends with it */
  GdkFrameClock *clock;
  guint step;                /* the script's next action */
  gboolean started;
  gint64 settle_until;       /* µs: the action's results are in; keep measuring until then */
  guint poll_id;
  guint tick_id;
  /* the frame being measured */
  gint64 cpu_before, cpu_update, cpu_layout, cpu_paint, wall_before, last_after;
  /* maxima of the current action and of all */
  double frame_cpu, layout_cpu, paint_cpu, frame_wall, gap;
  double worst[5];
} Bench;

static gint64
thread_cpu_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
on_before_paint (GdkFrameClock *clock, Bench *b)
{
  b->cpu_before = thread_cpu_us ();
  b->wall_before = g_get_monotonic_time ();
  b->cpu_update = b->cpu_layout = b->cpu_paint = 0;
}

static void
on_update (GdkFrameClock *clock, Bench *b)
{
  b->cpu_update = thread_cpu_us ();
}

static void
on_layout (GdkFrameClock *clock, Bench *b)
{
  b->cpu_layout = thread_cpu_us ();
}

static void
on_paint (GdkFrameClock *clock, Bench *b)
{
  b->cpu_paint = thread_cpu_us ();
}

static void
on_after_paint (GdkFrameClock *clock, Bench *b)
{
  gint64 cpu = thread_cpu_us (), now = g_get_monotonic_time ();
  if (!b->started || b->cpu_before == 0)
    return;
  b->frame_cpu = MAX (b->frame_cpu, (cpu - b->cpu_before) / 1000.0);
  b->frame_wall = MAX (b->frame_wall, (now - b->wall_before) / 1000.0);
  if (b->cpu_update > 0 && b->cpu_layout > 0)
    b->layout_cpu = MAX (b->layout_cpu, (b->cpu_layout - b->cpu_update) / 1000.0);
  if (b->cpu_layout > 0 && b->cpu_paint > 0)
    b->paint_cpu = MAX (b->paint_cpu, (b->cpu_paint - b->cpu_layout) / 1000.0);
  if (b->last_after > 0)
    b->gap = MAX (b->gap, (now - b->last_after) / 1000.0);
  b->last_after = now;
  b->cpu_before = 0;
}

/* Asks for a frame at every tick, so that a long gap between two is a blocked main loop. */
static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  gtk_widget_queue_draw (widget);
  return G_SOURCE_CONTINUE;
}

static void
run_act (Bench *b, const Act *a)
{
  switch (a->kind)
    {
    case ACT_VIEW: pl_window_show_view (b->window, a->arg); break;
    case ACT_SPARSITY: pl_window_set_sparsity (b->window, a->value); break;
    case ACT_ACTION: pl_window_activate (b->window, a->arg); break;
    case ACT_SAMPLE: pl_window_select_sample (b->window, (gint64) a->value); break;
    case ACT_METHOD: pl_window_set_method (b->window, (PlMapMethod) a->value); break;
    case ACT_COMPARE: pl_window_compare (b->window, (gint64) a->value); break;
    case ACT_SWEEP: pl_window_sweep (b->window); break;
    default: break;
    }
}

/* One line: "bench-frames", name, then the values with a '.' whatever the locale. */
static void
print_line (const char *tag, const char *name, const double *v, int n)
{
  printf ("%s\t%s", tag, name);
  for (int i = 0; i < n; i++)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      printf ("\t%s", g_ascii_formatd (buf, sizeof buf, "%.2f", v[i]));
    }
  printf ("\n");
}

static void
quit (Bench *b)
{
  fflush (stdout);
  b->poll_id = 0;
  /* as PL_BENCH_FIRST_FRAME: quit without asking to save the steps */
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (b->window));
  if (app != NULL)
    g_application_quit (G_APPLICATION (app));
  else
    gtk_window_destroy (GTK_WINDOW (b->window));
}

static void
report (Bench *b, const char *name)
{
  double v[5] = { b->frame_cpu, b->layout_cpu, b->paint_cpu, b->frame_wall, b->gap };
  print_line ("bench-frames", name, v, 5);
  for (int i = 0; i < 5; i++)
    b->worst[i] = MAX (b->worst[i], v[i]);
  b->frame_cpu = b->layout_cpu = b->paint_cpu = b->frame_wall = b->gap = 0;
}

static gboolean
on_poll (gpointer data)
{
  Bench *b = data;
  gint64 now = g_get_monotonic_time ();
  gboolean busy = pl_window_is_busy (b->window) || pl_canvas_n_pending () > 0;
  if (busy)
    {
      b->settle_until = now + 300000;   /* then 0.3 s more: the last frames of the results */
      return G_SOURCE_CONTINUE;
    }
  if (now < b->settle_until)
    return G_SOURCE_CONTINUE;
  if (!b->started)
    {
      b->started = TRUE;   /* the session is loaded */
      b->last_after = 0;
      if (pl_window_get_comparison (b->window) == NULL)
        {
          /* no model or dataset could be opened: nothing to measure */
          printf ("bench-frames-error\tthe session did not load (no sample is explained)\n");
          quit (b);
          return G_SOURCE_REMOVE;
        }
    }
  else
    report (b, script[b->step++].name);
  if (b->step >= G_N_ELEMENTS (script))
    {
      print_line ("bench-frames", "worst", b->worst, 5);
      const char *kind = NULL;
      guint applied = 0, on_main = 0;
      double apply = pl_window_get_max_apply_ms (b->window, &kind, &applied, &on_main);
      double v[3] = { apply, applied, on_main };
      print_line ("bench-frames-apply", kind ? kind : "-", v, 3);
      quit (b);
      return G_SOURCE_REMOVE;
    }
  run_act (b, &script[b->step]);
  b->settle_until = now + 300000;
  return G_SOURCE_CONTINUE;
}

static void
bench_free (Bench *b)
{
  g_clear_handle_id (&b->poll_id, g_source_remove);
  if (b->clock != NULL)
    g_signal_handlers_disconnect_by_data (b->clock, b);
  g_clear_object (&b->clock);
  g_free (b);
}

static void
on_map (GtkWidget *widget, Bench *b)
{
  if (b->clock != NULL)
    return;
  b->clock = g_object_ref (gtk_widget_get_frame_clock (widget));
  g_signal_connect (b->clock, "before-paint", G_CALLBACK (on_before_paint), b);
  g_signal_connect (b->clock, "update", G_CALLBACK (on_update), b);
  g_signal_connect (b->clock, "layout", G_CALLBACK (on_layout), b);
  g_signal_connect (b->clock, "paint", G_CALLBACK (on_paint), b);
  g_signal_connect (b->clock, "after-paint", G_CALLBACK (on_after_paint), b);
  b->tick_id = gtk_widget_add_tick_callback (widget, on_tick, NULL, NULL);
  b->settle_until = g_get_monotonic_time () + 1000000;
  b->poll_id = g_timeout_add (20, on_poll, b);
}

void
pl_bench_frames_attach (PlWindow *window)
{
  g_return_if_fail (PL_IS_WINDOW (window));
  Bench *b = g_new0 (Bench, 1);
  b->window = window;
  g_signal_connect (window, "map", G_CALLBACK (on_map), b);
  g_object_set_data_full (G_OBJECT (window), "pl-bench-frames", b, (GDestroyNotify) bench_free);
}
