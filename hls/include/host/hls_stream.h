// Host-only stand-in for the Xilinx hls::stream (hls_stream.h), for C simulation with a plain
// C++14 compiler. An unbounded FIFO: full() is always false (with -DHALF_CYCLES, a bounded
// FIFO of the cycle simulation, see half_cycles.h). Reading an empty stream prints
// "hls::stream 'NAME' read while empty" to stderr and aborts, so a dataflow bug fails the
// simulation at once instead of returning a default value or hanging.

#ifndef HALF_HOST_HLS_STREAM_H
#define HALF_HOST_HLS_STREAM_H

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#ifdef HALF_CYCLES
#include "half_cycles.h"
#endif

namespace hls {

namespace host_detail {
inline std::string next_stream_name() {
  static unsigned long counter = 0;
  return "hls::stream." + std::to_string(counter++);
}

// Polls of an empty stream (empty() true, read_nb() false) since a stream last moved a word.
// C simulation runs the dataflow processes one after another, so a process polling an input
// no earlier process filled waits for ever: after kStuckPolls polls with no word moved the
// simulation stops, naming the stream (a real design moves a word every few polls).
inline unsigned long long& idle_polls() {
  static unsigned long long n = 0;
  return n;
}
const unsigned long long kStuckPolls = 100000000ULL;
}  // namespace host_detail

// With HALF_CYCLES, a FIFO of the cycle simulation (half_cycles.h): bounded at its depth, a word
// written in a cycle readable in the next, a slot freed in a cycle writable in the next, a read
// of an empty or a write to a full stream stalling the process. Outside a process (the
// testbench) it stays unbounded.
#ifdef HALF_CYCLES
#define HALF_STREAM_BASE : public half_cycles::Channel
#else
#define HALF_STREAM_BASE
#endif

template <typename T> class stream HALF_STREAM_BASE {
 public:
  stream() { enrol(host_detail::next_stream_name()); }
  stream(const char* name) { enrol(name ? std::string(name) : host_detail::next_stream_name()); }
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;
#ifdef HALF_CYCLES
  ~stream() {
    std::vector<half_cycles::Channel*>& all = half_cycles::sched().channels;
    for (std::size_t i = 0; i < all.size(); i++) {
      if (all[i] == this) {
        all.erase(all.begin() + static_cast<long>(i));
        break;
      }
    }
  }
  void set_depth(std::size_t d) { depth = half_cycles::depth_override(name, d); }
  // End of a cycle: the written words whose pipeline time is over enter the FIFO while it
  // has room (the others stay in the writer's pipeline).
  void commit() {
    std::size_t n = 0;
    while (n < pending_.size() && pending_[n].second <= half_cycles::now() && fifo_.size() < depth) {
      fifo_.push_back(pending_[n].first);
      n++;
    }
    if (n > 0) half_cycles::moved();
    if (n > 0 && first_word < 0) first_word = static_cast<long long>(half_cycles::now()) + 1;
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(n));
    settled_ = fifo_.size();
    if (settled_ > max_occupancy) max_occupancy = settled_;
  }
  // Words in the FIFO (those still in the writer's pipeline are not yet in it).
  std::size_t occupancy() const { return fifo_.size(); }
  std::size_t in_pipeline() const { return pending_.size(); }
#endif

  void write(const T& v) {
#ifdef HALF_CYCLES
    if (half_cycles::in_process()) {
      // Room as the cycle began: a slot freed by a read in this cycle is writable in the next.
      while (full()) half_cycles::stall(this, true);
      pending_.push_back(std::make_pair(v, half_cycles::now() + half_cycles::in_flight()));
      half_cycles::moved();
      return;
    }
    settled_ = fifo_.size() + 1;
#endif
    host_detail::idle_polls() = 0;
    fifo_.push_back(v);
  }
  bool write_nb(const T& v) {
    if (full()) return false;
    write(v);
    return true;
  }
  void operator<<(const T& v) { write(v); }

  T read() {
#ifdef HALF_CYCLES
    while (half_cycles::in_process() && fifo_.empty()) half_cycles::stall(this, false);
    half_cycles::moved();
#endif
    if (fifo_.empty()) read_empty();
    host_detail::idle_polls() = 0;
    T v(std::move(fifo_.front()));
    fifo_.pop_front();
    return v;
  }
  void read(T& out) { out = read(); }
  bool read_nb(T& out) {
    if (empty()) return false;
    out = read();
    return true;
  }
  void operator>>(T& out) { read(out); }

  bool empty() const {
#ifndef HALF_CYCLES
    if (fifo_.empty() && ++host_detail::idle_polls() > host_detail::kStuckPolls) stuck();
#endif
    return fifo_.empty();
  }
#ifdef HALF_CYCLES
  // Full for the writer when the FIFO as the cycle began and the words in its pipeline fill the
  // FIFO and the pipeline's stages.
  bool full() const {
    if (!half_cycles::in_process()) return false;
    const std::size_t stages = half_cycles::in_flight();
    const std::size_t room = depth > static_cast<std::size_t>(-1) - stages ? depth : depth + stages;
    return settled_ + pending_.size() >= room;
  }
#else
  bool full() const { return false; }
#endif
  std::size_t size() const { return fifo_.size(); }

 private:
#ifdef HALF_CYCLES
  void enrol(const std::string& n) {
    name = n;
    half_cycles::sched().channels.push_back(this);
  }
  const std::string& label() const { return name; }
  std::vector<std::pair<T, unsigned long long> > pending_;  // word, cycle it leaves the pipeline
  std::size_t settled_ = 0;
#else
  void enrol(const std::string& n) { name_ = n; }
  const std::string& label() const { return name_; }
  std::string name_;
#endif
  [[noreturn]] void stuck() const {
    std::fflush(stdout);
    std::fprintf(stderr,
                 "hls::stream '%s' polled while empty %llu times with no word moved on any "
                 "stream: a process waits for a stream no process fills\n",
                 label().c_str(), host_detail::kStuckPolls);
    std::abort();
  }
  [[noreturn]] void read_empty() const {
    std::fflush(stdout);
    std::fprintf(stderr, "hls::stream '%s' read while empty\n", label().c_str());
    std::abort();
  }

  std::deque<T> fifo_;
};

#undef HALF_STREAM_BASE

}  // namespace hls

#endif  // HALF_HOST_HLS_STREAM_H
