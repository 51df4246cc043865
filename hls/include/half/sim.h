// Hooks for the cycle simulation of the generated design (`half-gen csim --cycles`, which
// compiles with -DHALF_CYCLES and include/host/half_cycles.h). For Vitis HLS and plain C
// simulation they expand to nothing, or to the call itself:
//   HALF_TICK()            top of a pipelined loop's body: one iteration per cycle
//   HALF_PROCESS(call)     a dataflow process of a region
//   HALF_DEPTH(s, n)       the depth of stream `s` (the STREAM pragma's)
//   HALF_LOCAL             storage of a region's streams (static under the simulation, which
//                          runs the processes after the region function has returned)
//   HALF_FRAME_START() / HALF_FRAME_END()   the first input beat and the last output beat
#ifndef HALF_SIM_H
#define HALF_SIM_H

#ifdef HALF_CYCLES
#include "half_cycles.h"
#else
#define HALF_TICK() ((void)0)
#define HALF_PROCESS(...) __VA_ARGS__
#define HALF_DEPTH(s, n)
#define HALF_LOCAL
#define HALF_FRAME_START() ((void)0)
#define HALF_FRAME_END() ((void)0)
#endif

#endif
