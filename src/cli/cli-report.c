/* cli-report.c — prunelens-cli report: a recipe's numbers and figures as a PDF, CSV, JSON. */
#include "cli-common.h"

int
cmd_report (int argc, char **argv)
{
  (void) argc;
  (void) argv;
  fprintf (stderr, "prunelens-cli report: not implemented yet\n");
  return EXIT_FAILURE;
}
