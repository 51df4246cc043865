// Hooks for the cycle simulation of the generated design (`half-gen csim --cycles`, which
// compiles with -DHALF_CYCLES and include/host/half_cycles.h) and the iteration counts of C
// simulation (`half-gen csim`: -DHALF_COUNT, include/host/half_count.h). For Vitis HLS and plain C
// simulation they expand to nothing, or to the call itself:
//   HALF_TICK(depth)       top of a pipelined loop's body: one iteration per cycle, its
//                          writes readable `depth` cycles after its reads
//   HALF_PROCESS(call)     a dataflow process of a region
//   HALF_DEPTH(s, n)       the depth of stream `s` (the STREAM pragma's)
//   HALF_LOCAL             storage of a region's streams (static under the simulation, which
//                          runs the processes after the region function has returned)
//   HALF_FRAME_START() / HALF_FRAME_END()   the first input beat and the last output beat
#ifndef HALF_SIM_H
#define HALF_SIM_H

#ifdef HALF_CYCLES
#include "half_cycles.h"
#elif defined(HALF_COUNT)
#include "half_count.h"
#else
#define HALF_TICK(depth) ((void)0)
#define HALF_PROCESS(...) __VA_ARGS__
#define HALF_DEPTH(s, n)
#define HALF_LOCAL
#define HALF_FRAME_START() ((void)0)
#define HALF_FRAME_END() ((void)0)
#endif

#endif
