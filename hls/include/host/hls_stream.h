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
}  // namespace host_detail

#ifndef HALF_CYCLES

template <typename T> class stream {
 public:
  stream() : name_(host_detail::next_stream_name()) {}
  stream(const char* name) : name_(name ? std::string(name) : host_detail::next_stream_name()) {}
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;

  void write(const T& v) { fifo_.push_back(v); }
  bool write_nb(const T& v) {
    write(v);
    return true;
  }
  void operator<<(const T& v) { write(v); }

  T read() {
    if (fifo_.empty()) read_empty();
    T v(std::move(fifo_.front()));
    fifo_.pop_front();
    return v;
  }
  void read(T& out) { out = read(); }
  bool read_nb(T& out) {
    if (fifo_.empty()) return false;
    out = read();
    return true;
  }
  void operator>>(T& out) { read(out); }

  bool empty() const { return fifo_.empty(); }
  bool full() const { return false; }
  std::size_t size() const { return fifo_.size(); }

 private:
  [[noreturn]] void read_empty() const {
    std::fflush(stdout);
    std::fprintf(stderr, "hls::stream '%s' read while empty\n", name_.c_str());
    std::abort();
  }

  std::string name_;
  std::deque<T> fifo_;
};

#else  // HALF_CYCLES: a FIFO bounded at its depth, with one cycle from write to read
       // (include/host/half_cycles.h). Outside a process (the testbench) it is unbounded.

template <typename T> class stream : public half_cycles::Channel {
 public:
  stream() { enrol(host_detail::next_stream_name()); }
  stream(const char* name) { enrol(name ? std::string(name) : host_detail::next_stream_name()); }
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;
  ~stream() {
    std::vector<half_cycles::Channel*>& all = half_cycles::sched().channels;
    for (std::size_t i = 0; i < all.size(); i++) {
      if (all[i] == this) {
        all.erase(all.begin() + static_cast<long>(i));
        break;
      }
    }
  }

  void set_depth(std::size_t d) { depth = d; }

  void write(const T& v) {
    if (!half_cycles::in_process()) {
      fifo_.push_back(v);
      settled_ = fifo_.size();
      return;
    }
    // Room as the cycle began: a slot freed by a read in this cycle is writable in the next.
    while (settled_ + pending_.size() >= depth) half_cycles::stall(this, true);
    pending_.push_back(v);
    half_cycles::moved();
  }
  bool write_nb(const T& v) {
    if (half_cycles::in_process() && settled_ + pending_.size() >= depth) return false;
    write(v);
    return true;
  }
  void operator<<(const T& v) { write(v); }

  T read() {
    if (!half_cycles::in_process() && fifo_.empty()) read_empty();
    while (fifo_.empty()) half_cycles::stall(this, false);
    T v(std::move(fifo_.front()));
    fifo_.pop_front();
    half_cycles::moved();
    return v;
  }
  void read(T& out) { out = read(); }
  bool read_nb(T& out) {
    if (fifo_.empty()) return false;
    out = read();
    return true;
  }
  void operator>>(T& out) { read(out); }

  bool empty() const { return fifo_.empty(); }
  bool full() const { return settled_ + pending_.size() >= depth; }
  std::size_t size() const { return fifo_.size(); }

  void commit() {
    for (std::size_t i = 0; i < pending_.size(); i++) fifo_.push_back(pending_[i]);
    pending_.clear();
    settled_ = fifo_.size();
    if (settled_ > max_occupancy) max_occupancy = settled_;
  }
  std::size_t occupancy() const { return fifo_.size() + pending_.size(); }

 private:
  void enrol(const std::string& n) {
    name = n;
    half_cycles::sched().channels.push_back(this);
  }
  [[noreturn]] void read_empty() const {
    std::fflush(stdout);
    std::fprintf(stderr, "hls::stream '%s' read while empty\n", name.c_str());
    std::abort();
  }

  std::deque<T> fifo_;
  std::vector<T> pending_;
  std::size_t settled_ = 0;
};

#endif  // HALF_CYCLES

}  // namespace hls

#endif  // HALF_HOST_HLS_STREAM_H
