/* prunelens-cli — PruneLens without a window: the same computations and figures.
 *
 * Exit codes: 0 success, 1 failure, 2 usage error. Errors go to stderr naming the file
 * and the reason. A progress bar is drawn on stderr when it is a terminal; Ctrl-C cancels
 * the running computation cleanly (outputs are written atomically, so no partial files).
 * Each command lives in its own cli-*.c; what they share is in cli-common.c.
 */
#include "cli-common.h"

#include <locale.h>
#include "exec/pl-cpu.h"

/* ---- main ---- */

typedef struct {
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
  { "info", cmd_info, N_("Describe a model: inputs, layers, parameters, sparsity") },
  { "eval", cmd_eval, N_("Top-1 accuracy of a model on Fashion-MNIST") },
  { "train", cmd_train, N_("Train a classifier from scratch and save it as ONNX") },
  { "prune", cmd_prune, N_("Prune (any criterion, granularity, schedule); evaluate and save the pruned model") },
  { "explain", cmd_explain, N_("Original vs pruned explanation figure, or one raw attribution (.pb)") },
  { "infer", cmd_infer, N_("Run a model on TensorProto inputs; write its outputs as .pb") },
  { "compare", cmd_compare, N_("Original vs pruned explanations over N test inputs (CSV, JSON)") },
  { "bench", cmd_bench, N_("Time the engine: forward, explanations, a step, start-up, memory, training") },
  { "sweep", cmd_sweep, N_("Accuracy and explanation similarity against sparsity (CSV, JSON, figures)") },
  { "report", cmd_report, N_("Run a recipe: multi-page PDF report with CSV and JSON data") },
  { "tensor", cmd_tensor, N_("Describe a TensorProto file; compare it with another") },
};

static void
print_help (FILE *out)
{
  fprintf (out, _("Usage: prunelens-cli [--version] [--quiet] COMMAND [OPTIONS…]\n\n"
                  "See what pruning does to a neural network and its explanations.\n\n"
                  "Commands:\n"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-8s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (out, _("\nExamples:\n"
                  "  prunelens-cli info data/models/fashion-cnn.onnx\n"
                  "  prunelens-cli prune data/models/fashion-cnn.onnx --sparsity 90%% -o pruned.onnx\n"
                  "  prunelens-cli explain --sparsity 90%% --figure shap -o shap.png\n"
                  "  prunelens-cli explain data/models/fashion-cnn.onnx --index 0 --method lime -o lime.pb\n"
                  "  prunelens-cli compare data/models/fashion-cnn.onnx --sparsity 90%% -o report\n"
                  "  prunelens-cli bench forward\n\n"
                  "“prunelens-cli COMMAND --help” describes a command's options.\n"));
}

int
main (int argc, char **argv)
{
  pl_engine_init_cpu (argc, argv);   /* may re-exec with faster OpenBLAS kernels */
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, pl_locale_dir ());   /* build tree or installed */
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("prunelens-cli");

  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++)
    {
      if (g_str_equal (argv[i], "--version"))
        {
          printf ("prunelens-cli %s\n", PACKAGE_VERSION);
          return 0;
        }
      else if (g_str_equal (argv[i], "--help") || g_str_equal (argv[i], "-h"))
        {
          print_help (stdout);
          return 0;
        }
      else if (g_str_equal (argv[i], "--quiet") || g_str_equal (argv[i], "-q"))
        opt_quiet = TRUE;
      else
        {
          fprintf (stderr, _("prunelens-cli: unknown option “%s”\n"), argv[i]);
          print_help (stderr);
          return EXIT_USAGE;
        }
    }
  if (i >= argc)
    {
      print_help (stderr);
      return EXIT_USAGE;
    }
  for (guint c = 0; c < G_N_ELEMENTS (commands); c++)
    if (g_str_equal (argv[i], commands[c].name))
      {
        g_autofree char *prg = g_strdup_printf ("prunelens-cli %s", commands[c].name);
        g_set_prgname (prg);
        return commands[c].run (argc - i, argv + i);
      }
  fprintf (stderr, _("prunelens-cli: unknown command “%s”\n"), argv[i]);
  print_help (stderr);
  return EXIT_USAGE;
}
