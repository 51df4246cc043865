// Host-only stand-in for the Xilinx hls::stream (hls_stream.h), for C simulation with a plain
// C++14 compiler. An unbounded FIFO: full() is always false. Reading an empty stream prints
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

namespace hls {

namespace host_detail {
inline std::string next_stream_name() {
  static unsigned long counter = 0;
  return "hls::stream." + std::to_string(counter++);
}
}  // namespace host_detail

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

}  // namespace hls

#endif  // HALF_HOST_HLS_STREAM_H
