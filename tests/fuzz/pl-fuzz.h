/* pl-fuzz.h — libFuzzer harnesses for the loaders (tests/fuzz/README.md).
 *
 * Each fuzz-*.c defines LLVMFuzzerTestOneInput. Built with clang
 * -fsanitize=fuzzer,address,undefined by tests/fuzz/run-fuzzers; built with the normal
 * compiler and replay.c (a main() that feeds every file of the given folders to the
 * harness) for `meson test`, so corpora and crash regressions stay tested.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include "graph/pl-graph.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
/* Defined in pl-fuzz-common.c: makes GLib criticals and warnings fatal (they are findings). */
int LLVMFuzzerInitialize (int *argc, char ***argv);

/* Validates graph, builds an executor and, when every data input has a known shape of at
 * most PL_FUZZ_MAX_INPUT elements (symbolic dims taken as 1), runs one forward pass on
 * zeros. Errors are expected and ignored; crashes, leaks and hangs are the findings. */
void pl_fuzz_run_graph (PlGraph *graph);

#define PL_FUZZ_MAX_INPUT 4096
/* Graphs whose declared inputs are larger are not given to pl_executor_new. */
#define PL_FUZZ_MAX_DECLARED (G_GINT64_CONSTANT (1) << 22)
