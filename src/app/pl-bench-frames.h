/* pl-bench-frames.h — PL_BENCH_FRAMES=1: the workbench drives the default session through
 * every tab and action and prints how long its frames took (prunelens-cli bench frames). */
#pragma once

#include "pl-window.h"

G_BEGIN_DECLS

/* Starts the script once window is mapped; quits the application at its end. Prints one
 * line per action, tab-separated: "bench-frames", the action, the longest frame's
 * main-thread CPU time, that of its layout and of its paint phase, the longest frame in
 * wall-clock time and the longest wall-clock gap between two frames (ms; frames are
 * requested continuously, so a gap is the main loop blocked); then "bench-frames-apply"
 * with the most main-thread CPU time spent applying a job's result. */
void pl_bench_frames_attach (PlWindow *window);

G_END_DECLS
