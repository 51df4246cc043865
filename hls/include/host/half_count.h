// Host-only loop iteration counts of the generated dataflow design, for `half-gen csim` (g++
// with -DHALF_COUNT; Vitis never sees this file). Every dataflow process call (HALF_PROCESS)
// gets a counter named after its function and call; every pipelined iteration (HALF_TICK)
// counts on the process running it. C simulation runs the processes one after another with
// unbounded streams, so a process never waits: its count is its loop's trip count with every
// stream ready, which csim compares with the estimate's cycles for the unit.
#ifndef HALF_HOST_COUNT_H
#define HALF_HOST_COUNT_H

#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

namespace half_count {

struct Counter {
  std::string name;
  unsigned long long iterations;
};

inline std::vector<Counter>& counters() {
  static std::vector<Counter> all;
  return all;
}

// The counter of the process running now (-1: none).
inline long& current() {
  static long at = -1;
  return at;
}

// A process call: counts its iterations on the counter of `where: call` while it runs.
struct Scope {
  long saved;
  Scope(const char* where, const char* call) : saved(current()) {
    const std::string name = std::string(where) + ": " + call;
    std::vector<Counter>& all = counters();
    long at = -1;
    for (std::size_t i = 0; i < all.size(); i++) {
      if (all[i].name == name) at = static_cast<long>(i);
    }
    if (at < 0) {
      all.push_back(Counter{name, 0});
      at = static_cast<long>(all.size()) - 1;
    }
    current() = at;
  }
  ~Scope() { current() = saved; }
};

inline void tick() {
  if (current() >= 0) counters()[static_cast<std::size_t>(current())].iterations++;
}

// One HALF_COUNT line per process: its name and its iterations over all frames.
inline void report() {
  const std::vector<Counter>& all = counters();
  for (std::size_t i = 0; i < all.size(); i++) {
    std::printf("HALF_COUNT iterations=%llu process=\"%s\"\n", all[i].iterations,
                all[i].name.c_str());
  }
}

}  // namespace half_count

#define HALF_TICK(depth) half_count::tick()
#define HALF_PROCESS(...)                                           \
  {                                                                 \
    half_count::Scope half_count_scope_(__func__, #__VA_ARGS__);    \
    __VA_ARGS__;                                                    \
  }
#define HALF_DEPTH(s, n)
#define HALF_LOCAL
#define HALF_FRAME_START() ((void)0)
#define HALF_FRAME_END() ((void)0)

#endif  // HALF_HOST_COUNT_H
