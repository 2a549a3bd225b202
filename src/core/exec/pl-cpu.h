/* pl-cpu.h — pick the right OpenBLAS kernels for this CPU (call first thing in main).
 *
 * Debian's OpenBLAS is built with DYNAMIC_ARCH and chooses its kernels in its library
 * constructor from the CPU model. On CPUs it does not recognise (e.g. virtual machines
 * reporting "Intel Xeon Processor" with AVX-512) it falls back to the generic Prescott
 * (SSE3) kernels, which run our matrix products 2-4x slower. OpenBLAS reads
 * OPENBLAS_CORETYPE only in that constructor, before main, so the fix needs a re-exec.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* If OpenBLAS runs generic (pre-AVX2) kernels although the CPU supports AVX2 + FMA
 * (or AVX-512 F/BW/DQ/VL/CD), sets OPENBLAS_CORETYPE to Haswell (or SkylakeX) and
 * re-executes the program (/proc/self/exe with the same argv) once. Does nothing when
 * OPENBLAS_CORETYPE is already set, when PL_NO_CPU_REEXEC is set, when the kernels
 * already suit the CPU, or after one re-exec (PL_CPU_REEXEC guards against loops); if
 * the exec fails the program simply continues with the kernels it has. Must be called
 * before any thread is created, with main's argc / argv unmodified. */
void pl_engine_init_cpu (int argc, char **argv);

/* The kernel that pl_engine_init_cpu would choose for this CPU ("SkylakeX", "Haswell")
 * or NULL when OpenBLAS's own choice stands. For diagnostics and benchmarks. */
const char *pl_engine_cpu_preferred_core (void);

G_END_DECLS
