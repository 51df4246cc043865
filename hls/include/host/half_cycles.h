// Host-only cycle simulation of the generated dataflow design (g++ with -DHALF_CYCLES; Vitis
// never sees this file). The C++ of the project runs as written, with the semantics the
// hardware has and C simulation lacks:
//  - every dataflow process (HALF_PROCESS) is a coroutine that runs its function once per frame;
//  - every iteration of a pipelined loop takes one cycle (HALF_TICK at the top of the body:
//    the library's loops are II=1), and its writes become readable `depth` cycles after its
//    reads (HALF_TICK's argument, the loop's pipeline depth): a write waits depth - 1 cycles
//    in the pipeline, whose stages hold it while the stream is full (a full stream stalls the
//    pipeline, so a process may be depth - 1 words ahead of its output stream's room);
//  - every stream is a FIFO bounded at its depth (HALF_DEPTH, else 2) whose written words
//    become readable, and whose freed slots writable, in the next cycle;
//  - a read of an empty stream or a write to a full one stalls the process (a stalled II=1
//    pipeline) until the next cycle, when it tries again.
// The testbench then reads per-frame start and end cycles (first input beat, last output beat)
// and, when no process can move, which process waits on which stream.
// Coroutines start with makecontext and switch with _setjmp/_longjmp (no signal-mask system
// call per switch); the build undefines _FORTIFY_SOURCE, whose longjmp check rejects a jump to
// another stack.
#ifndef HALF_HOST_CYCLES_H
#define HALF_HOST_CYCLES_H

#include <setjmp.h>
#include <ucontext.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace half_cycles {

// The scheduler's view of one stream.
struct Channel {
  std::string name;
  std::size_t depth = 2;
  std::size_t max_occupancy = 0;
  long long first_word = -1;  // the cycle the first word became readable
  virtual ~Channel() {}
  virtual void commit() = 0;
  virtual std::size_t occupancy() const = 0;
  // Written words still in their writer's pipeline.
  virtual std::size_t in_pipeline() const = 0;
};

struct Process {
  std::string name;
  std::function<void()> body;
  ucontext_t start;
  jmp_buf at;
  std::vector<char> stack;
  bool started = false;
  bool done = false;
  const Channel* waiting = nullptr;
  bool waiting_to_write = false;
  unsigned long long iterations = 0;
  // Pipeline depth - 1 of its loop: the cycles a write spends in the pipeline.
  std::size_t in_flight = 0;
};

struct Scheduler {
  std::vector<Process*> procs;
  std::vector<Channel*> channels;
  Process* current = nullptr;
  jmp_buf main_at;
  unsigned long long cycle = 0;
  int frames = 1;
  bool moved = false;
  std::vector<long long> frame_start, frame_end;
};

inline Scheduler& sched() {
  static Scheduler s;
  return s;
}

// The depth of stream `name`: `depth`, unless $HALF_DEPTHS ("NAME=N;NAME=N...") gives another
// (bench/hls-fifo-depths.sh searches the smallest safe depths with it, without recompiling).
inline std::size_t depth_override(const std::string& name, std::size_t depth) {
  const char* env = std::getenv("HALF_DEPTHS");
  if (!env) return depth;
  const std::string all(env);
  std::size_t at = 0;
  while (at <= all.size()) {
    std::size_t end = all.find(';', at);
    if (end == std::string::npos) end = all.size();
    const std::string item = all.substr(at, end - at);
    const std::size_t eq = item.rfind('=');
    if (eq != std::string::npos && item.substr(0, eq) == name) {
      return static_cast<std::size_t>(std::strtoull(item.c_str() + eq + 1, nullptr, 10));
    }
    at = end + 1;
  }
  return depth;
}

inline void trampoline() {
  Process* p = sched().current;
  p->body();
  p->done = true;
  _longjmp(sched().main_at, 1);
}

// Runs process `p` until it ticks, stalls or ends.
inline void resume(Process* p) {
  Scheduler& s = sched();
  s.current = p;
  if (!_setjmp(s.main_at)) {
    if (!p->started) {
      p->started = true;
      p->stack.resize(1 << 20);
      getcontext(&p->start);
      p->start.uc_stack.ss_sp = p->stack.data();
      p->start.uc_stack.ss_size = p->stack.size();
      p->start.uc_link = nullptr;
      makecontext(&p->start, trampoline, 0);
      setcontext(&p->start);
    }
    _longjmp(p->at, 1);
  }
  s.current = nullptr;
}

// Gives the cycle back to the scheduler (from a process).
inline void yield() {
  Process* p = sched().current;
  if (!_setjmp(p->at)) _longjmp(sched().main_at, 1);
}

// The top of a pipelined loop's iteration of pipeline depth `depth`: the previous iteration
// took this cycle.
inline void tick(int depth) {
  Scheduler& s = sched();
  if (!s.current) return;
  s.current->in_flight = depth > 1 ? static_cast<std::size_t>(depth - 1) : 0;
  s.current->iterations++;
  yield();
}

// The pipeline stages the current process's writes pass before reaching their stream.
inline std::size_t in_flight() { return sched().current ? sched().current->in_flight : 0; }
inline unsigned long long now() { return sched().cycle; }

// Stalls the current process on `c` for this cycle.
inline void stall(const Channel* c, bool write) {
  Process* p = sched().current;
  p->waiting = c;
  p->waiting_to_write = write;
  yield();
  p->waiting = nullptr;
}

inline bool in_process() { return sched().current != nullptr; }
inline void moved() { sched().moved = true; }

// A dataflow process: `body` once per frame, in a coroutine of its own.
inline void spawn(const char* where, const char* call, std::function<void()> body) {
  Process* p = new Process;
  std::string c(call);
  const std::size_t lt = c.find('<'), lp = c.find('(');
  if (lt != std::string::npos && lt < lp) c = c.substr(0, lt) + c.substr(lp);
  p->name = std::string(where) + ": " + c;
  const int frames = sched().frames;
  p->body = [body, frames]() {
    for (int f = 0; f < frames; f++) body();
  };
  sched().procs.push_back(p);
}

inline void frame_start() { sched().frame_start.push_back((long long)sched().cycle); }
// The last output beat's handshake: when its write leaves the adapter's pipeline.
inline void frame_end() {
  sched().frame_end.push_back(static_cast<long long>(sched().cycle + in_flight()));
}

// After the last process ends: the cycles its writes still spend in pipelines.
inline void drain() {
  Scheduler& s = sched();
  for (int left = 1; left > 0;) {
    left = 0;
    for (std::size_t i = 0; i < s.channels.size(); i++) {
      s.channels[i]->commit();
      left += static_cast<int>(s.channels[i]->in_pipeline());
    }
    s.cycle++;
  }
}

// Runs every process until all have done their frames (0) or no stream moves a word for
// `patience` cycles (1: deadlock, reported on stdout as HALF_CYCLES lines). A process may
// iterate without a transfer (a matrix unit's neuron folds, a generator polling an empty
// input), so the patience is generous.
inline int run(unsigned long long patience = 1ULL << 20) {
  Scheduler& s = sched();
  unsigned long long idle = 0;
  for (;;) {
    bool all_done = true;
    s.moved = false;
    for (std::size_t i = 0; i < s.procs.size(); i++) {
      if (s.procs[i]->done) continue;
      all_done = false;
      resume(s.procs[i]);
    }
    if (all_done) {
      drain();
      return 0;
    }
    for (std::size_t i = 0; i < s.channels.size(); i++) s.channels[i]->commit();
    s.cycle++;
    idle = s.moved ? 0 : idle + 1;
    if (idle > patience) {
      std::printf("HALF_CYCLES status=deadlock cycle=%llu frames_out=%zu\n", s.cycle,
                  s.frame_end.size());
      for (std::size_t i = 0; i < s.procs.size(); i++) {
        const Process* p = s.procs[i];
        if (p->done || !p->waiting) continue;
        std::printf("HALF_CYCLES blocked process=\"%s\" op=%s stream=\"%s\" occupancy=%zu depth=%zu\n",
                    p->name.c_str(), p->waiting_to_write ? "write" : "read",
                    p->waiting->name.c_str(), p->waiting->occupancy(), p->waiting->depth);
      }
      return 1;
    }
  }
}

}  // namespace half_cycles

#define HALF_TICK(depth) half_cycles::tick(depth)
#define HALF_PROCESS(...) half_cycles::spawn(__func__, #__VA_ARGS__, [&]() { __VA_ARGS__; })
#define HALF_DEPTH(s, n) (s).set_depth(n);
#define HALF_LOCAL static
#define HALF_FRAME_START() half_cycles::frame_start()
#define HALF_FRAME_END() half_cycles::frame_end()

#endif  // HALF_HOST_CYCLES_H
