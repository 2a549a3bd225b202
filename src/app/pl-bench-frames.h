/* pl-bench-frames.h — PL_BENCH_FRAMES=1: the workbench drives the default session through
 * every tab and action and prints how long its frames took (prunelens-cli bench frames). */
#pragma once

#include "pl-window.h"

G_BEGIN_DECLS

/* Starts the script once window is mapped; quits the application at its end. Prints one
 * line per action, tab-separated: "bench-frames", the action, the longest frame's
 * main-thread CPU time, that of its layout and of its paint phase, the longest frame in
 * wall-clock time and the longest wall-clock gap between two frames (ms with a '.', in any
 * locale; frames are requested continuously, so a gap is the main loop blocked); then
 * "bench-frames-apply", the job's kind, the most main-thread CPU time spent applying a
 * job's result, the jobs applied and how many ran on the main thread. When the session
 * does not load: "bench-frames-error" and why. The application's settings are not saved
 * (main.c uses the memory backend for the benchmarks). */
void pl_bench_frames_attach (PlWindow *window);

G_END_DECLS
