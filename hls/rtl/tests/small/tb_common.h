// Shared pieces of the small RTL testbenches (hls/rtl/tests/small/): words of any width,
// a seeded random generator, AXI-Stream sources and sinks with random stalls, the watchdog,
// and the latency / throughput bookkeeping.
//
// Every testbench: tb_X stall_probability seed frames
//   stall_probability: each cycle a source that has nothing on offer starts offering its next
//   word with probability 1 - p (a word on offer stays until accepted, as AXI-Stream requires)
//   and a sink is ready with probability 1 - p. With p = 0 the testbench also asserts the exact
//   latency of every output word and the steady-state cycles per frame.
// Every cycle, between the edges, the testbenches also flip the output tready and the input
// tvalid and check that the input tready and the output tvalid do not follow (no combinational
// path), then restore them.
// Exit status: 0 pass, 1 mismatch / wrong count / wrong timing, 2 hang (watchdog).
#ifndef HALF_TB_COMMON_H
#define HALF_TB_COMMON_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "verilated.h"

// ---------------------------------------------------------------- words of any width
struct Word {
  std::vector<uint64_t> limb;
  Word() {}
  explicit Word(int bits) : limb((bits + 63) / 64 + 1, 0) {}
  bool bit(int i) const { return (limb[i / 64] >> (i % 64)) & 1; }
  void set_bit(int i, bool v) {
    if (v) limb[i / 64] |= (uint64_t)1 << (i % 64);
    else limb[i / 64] &= ~((uint64_t)1 << (i % 64));
  }
  uint64_t get(int lo, int n) const {
    uint64_t v = 0;
    for (int b = 0; b < n; b++) v |= (uint64_t)bit(lo + b) << b;
    return v;
  }
  void set(int lo, int n, uint64_t v) {
    for (int b = 0; b < n; b++) set_bit(lo + b, (v >> b) & 1);
  }
  bool operator==(const Word& o) const { return limb == o.limb; }
  std::string hex(int bits) const {
    std::string s;
    for (int d = (bits + 3) / 4 - 1; d >= 0; d--) {
      int n = bits - 4 * d < 4 ? bits - 4 * d : 4;
      s += "0123456789abcdef"[get(4 * d, n)];
    }
    return s;
  }
};

// Verilator port types: CData/SData/IData/QData up to 64 bits, VlWide<N> above.
template <class T>
static void drive(T& port, const Word& w, int bits) {
  T v = 0;
  for (int b = 0; b < bits; b++)
    if (w.bit(b)) v |= (T)((T)1 << b);
  port = v;
}
template <std::size_t N>
static void drive(VlWide<N>& port, const Word& w, int bits) {
  for (std::size_t i = 0; i < N; i++) port[i] = 0;
  for (int b = 0; b < bits; b++)
    if (w.bit(b)) port[b / 32] |= (uint32_t)1 << (b % 32);
}
template <class T>
static Word sample(const T& port, int bits) {
  Word w(bits);
  for (int b = 0; b < bits; b++) w.set_bit(b, (port >> b) & 1);
  return w;
}
template <std::size_t N>
static Word sample(const VlWide<N>& port, int bits) {
  Word w(bits);
  for (int b = 0; b < bits; b++) w.set_bit(b, (port[b / 32] >> (b % 32)) & 1);
  return w;
}

// ---------------------------------------------------------------- integers
static inline int64_t sext(uint64_t v, int bits) {
  if (bits >= 64) return (int64_t)v;
  uint64_t m = ((uint64_t)1 << bits) - 1;
  v &= m;
  if ((v >> (bits - 1)) & 1) v |= ~m;
  return (int64_t)v;
}
static inline uint64_t low(int64_t v, int bits) {
  if (bits >= 64) return (uint64_t)v;
  return (uint64_t)v & (((uint64_t)1 << bits) - 1);
}
// Elem<B, S>::decode
static inline int64_t decode(uint64_t raw, int bits, bool is_signed) {
  if (bits == 1) return (raw & 1) ? 1 : -1;
  if (is_signed) return sext(raw, bits);
  return (int64_t)low((int64_t)raw, bits);
}
// half::finish<VB, OB, OS, RELU>(v, shift) of common.h: t is ap_int<VB + 1>.
static inline uint64_t finish(int64_t v, int vb, int ob, bool os, bool relu, int shift) {
  int64_t t = sext((uint64_t)v, vb + 1);
  if (shift > 0) t = sext((uint64_t)(t + ((int64_t)1 << (shift - 1))), vb + 1);
  t >>= shift;
  if (relu && t < 0) t = 0;
  if (ob == 1) return t >= 0 ? 1 : 0;
  const int64_t hi = os ? ((int64_t)1 << (ob - 1)) - 1 : ((int64_t)1 << ob) - 1;
  const int64_t lo = os ? -((int64_t)1 << (ob - 1)) : 0;
  if (t > hi) t = hi;
  if (t < lo) t = lo;
  return low(t, ob);
}
// half::passthrough<ACC, OB, RELU>
static inline uint64_t passthrough(int64_t acc, int ob, bool relu) {
  if (relu && acc < 0) acc = 0;
  return low(acc, ob);
}
// half::requant<ACC, SB, OB, OS, RELU>: v = acc * s as ap_int<ACC + SB>
static inline uint64_t requant(int64_t acc, int acc_bits, int64_t s, int sb, int ob, bool os,
                               bool relu, int shift) {
  return finish(sext((uint64_t)(acc * s), acc_bits + sb), acc_bits + sb, ob, os, relu, shift);
}

// ---------------------------------------------------------------- random
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return (next() >> 11) * (1.0 / 9007199254740992.0); }
  Word word(int bits) {
    Word w(bits);
    for (int b = 0; b < bits; b++) w.set_bit(b, next() & 1);
    return w;
  }
};

// ---------------------------------------------------------------- streams
struct Args {
  double stall;
  uint64_t seed;
  int frames;
  Args(int argc, char** argv) {
    stall = argc > 1 ? std::atof(argv[1]) : 0.0;
    seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
    frames = argc > 3 ? std::atoi(argv[3]) : 5;
    if (frames < 4) frames = 4;
  }
};

// A source: words to send, the one on offer, and the cycle each was accepted in.
struct Source {
  const char* name;
  int bits;
  std::vector<Word> words;
  std::size_t next = 0;
  bool offer = false;
  std::vector<long> accepted;
  Source(const char* n, int b) : name(n), bits(b) {}
  Word cur;  // driven on tdata: the word on offer, random junk otherwise
  // Before the edge: decide what is on offer.
  void plan(Rng& rng, double stall) {
    if (!offer && next < words.size() && (stall <= 0.0 || rng.uniform() >= stall)) offer = true;
    cur = offer ? words[next] : rng.word(bits);
  }
  // After the combinational settle, with the DUT's tready: did the word move?
  bool fire(bool tready, long cycle) {
    if (!(offer && tready)) return false;
    accepted.push_back(cycle);
    next++;
    offer = false;
    return true;
  }
  bool done() const { return next == words.size(); }
};

// A sink: the expected words, the cycle each first showed valid and the cycle it was taken.
struct Sink {
  const char* name;
  int bits;
  std::vector<Word> expect;
  std::size_t got = 0;
  bool ready = false;
  std::vector<long> first_valid, taken;
  Sink(const char* n, int b) : name(n), bits(b) {}
  void plan(Rng& rng, double stall) { ready = stall <= 0.0 || rng.uniform() >= stall; }
  // After the settle; returns false on a mismatch or an extra word (message printed).
  bool observe(bool tvalid, const Word& data, long cycle) {
    if (!tvalid) return true;
    if (got >= expect.size()) {
      std::printf("FAIL %s: extra word %s at cycle %ld\n", name, data.hex(bits).c_str(), cycle);
      return false;
    }
    if (first_valid.size() == got) first_valid.push_back(cycle);
    if (!ready) return true;
    Word d = data, e = expect[got];
    Word dm(bits), em(bits);
    for (int b = 0; b < bits; b++) {
      dm.set_bit(b, d.bit(b));
      em.set_bit(b, e.bit(b));
    }
    if (!(dm == em)) {
      std::printf("FAIL %s: word %zu (frame word %zu) got %s expected %s at cycle %ld\n", name,
                  got, got, dm.hex(bits).c_str(), em.hex(bits).c_str(), cycle);
      return false;
    }
    taken.push_back(cycle);
    got++;
    return true;
  }
  bool done() const { return got == expect.size(); }
};

// Latency of every output word: first cycle valid minus the cycle its completing input word
// was accepted (completing(j) = index of that input word). Without stalls every word must be
// valid exactly at max(accepted + want, previous output word taken + 1): the documented latency,
// unless the output port was still busy with earlier words (a unit giving several output
// words per input word). Prints word 0's latency and the range over the words not held back by
// an earlier output.
template <class F>
static bool check_latency(const Sink& k, const Source& s, F completing, long want, bool exact) {
  long lo = 1L << 40, hi = -(1L << 40), bad = -1;
  for (std::size_t j = 0; j < k.first_valid.size(); j++) {
    const long acc = s.accepted[completing((long)j)];
    const long l = k.first_valid[j] - acc;
    long due = acc + want;
    const bool queued = j > 0 && k.taken[j - 1] + 1 > due;
    if (queued) due = k.taken[j - 1] + 1;
    if (!queued) {
      if (l < lo) lo = l;
      if (l > hi) hi = l;
    }
    if (exact && k.first_valid[j] != due && bad < 0) bad = (long)j;
    if (l < want && bad < 0) bad = (long)j;
  }
  const long first = k.first_valid[0] - s.accepted[completing(0)];
  std::printf("  %s: latency word 0 = %ld cycles, words not queued behind an output: %ld..%ld "
              "(documented %ld)\n", k.name, first, lo, hi, want);
  if (bad >= 0) {
    std::printf("FAIL %s: word %ld valid at cycle %ld, its input accepted at %ld (latency %ld)\n",
                k.name, bad, k.first_valid[bad], s.accepted[completing(bad)], want);
    return false;
  }
  return true;
}

// Steady-state cycles per frame: differences between consecutive frames' last output word
// (frames 1..F-1). With no stalls every difference must be exactly `want`.
static bool check_throughput(const Sink& k, std::size_t words_per_frame, long want, bool exact) {
  std::vector<long> d;
  const std::size_t frames = k.taken.size() / words_per_frame;
  for (std::size_t f = 1; f < frames; f++)
    d.push_back(k.taken[(f + 1) * words_per_frame - 1] - k.taken[f * words_per_frame - 1]);
  long lo = 1L << 40, hi = 0;
  for (long x : d) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  std::printf("  %s: cycles per frame %ld..%ld over %zu frames (documented %ld in steady state)\n",
              k.name, lo, hi, frames, want);
  if (exact && (lo != want || hi != want)) {
    std::printf("FAIL %s: cycles per frame %ld..%ld, documented %ld\n", k.name, lo, hi, want);
    return false;
  }
  return true;
}

// The port isolation every stage promises, probed each cycle between the edges: flipping
// m_axis_tready must not change s_axis_tready, flipping s_axis_tvalid must not change
// m_axis_tvalid (no combinational path). Leaves the inputs as they were, settled.
template <class D>
static bool isolated(D& dut, long cycle) {
  const bool r = dut.s_axis_tready, v = dut.m_axis_tvalid;
  dut.m_axis_tready = !dut.m_axis_tready;
  dut.eval();
  const bool r2 = dut.s_axis_tready;
  dut.m_axis_tready = !dut.m_axis_tready;
  dut.s_axis_tvalid = !dut.s_axis_tvalid;
  dut.eval();
  const bool v2 = dut.m_axis_tvalid;
  dut.s_axis_tvalid = !dut.s_axis_tvalid;
  dut.eval();
  if (r2 != r) std::printf("FAIL m_axis_tready reaches s_axis_tready at cycle %ld\n", cycle);
  if (v2 != v) std::printf("FAIL s_axis_tvalid reaches m_axis_tvalid at cycle %ld\n", cycle);
  return r2 == r && v2 == v;
}

// Cycles without any handshake before the watchdog declares a hang.
static const long WATCHDOG = 2000;

#endif
