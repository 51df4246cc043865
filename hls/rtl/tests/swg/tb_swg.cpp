// Verilator testbench for half_swg (hls/rtl/half_swg.v).
//
// Build with the module parameters given twice: to Verilator (-GIH=...) and to this file
// (-CFLAGS "-DSWG_IH=... "), see run.sh. Usage:
//   Vhalf_swg [in_drop] [out_drop] [seed] [frames] [excess]
// in_drop / out_drop: probability that s_axis_tvalid / m_axis_tready is low in a cycle
// (a presented input word is held until taken, as AXI-Stream requires).
// excess: the known number of cycles the steady state exceeds max(IN_WORDS, OUT_WORDS) by
// (default 0; checked exactly; negative: report only).
// Checks: every output word bit-exact against the window stream computed here from the
// definition; AXI rules on m_axis (a pending word holds); no combinational path from
// m_axis_tready to s_axis_tready or from s_axis_tvalid to m_axis_tvalid; no hang (watchdog).
// Without stalls also: steady-state cycles per frame (between the last output words of
// consecutive frames) == max(IN_WORDS, OUT_WORDS) + excess, and every output word taken exactly
// at the edge the emission rule gives: max(previous word + 1, acceptance edge of the last input
// word it needs + 2) (accepted at edge t, in the output register at edge t+1, taken at t+2).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <type_traits>
#include <vector>

#include "Vhalf_swg.h"
#include "verilated.h"

#ifndef SWG_RELEASE
#define SWG_RELEASE 1
#endif

namespace {

const int IH = SWG_IH, IW = SWG_IW, C = SWG_C, KH = SWG_KH, KW = SWG_KW, SH = SWG_SH,
          SW = SWG_SW, PT = SWG_PT, PB = SWG_PB, PL = SWG_PL, PR = SWG_PR, P = SWG_P, B = SWG_B,
          OB = SWG_OB, KP = SWG_KP, DW = SWG_DW, RELEASE = SWG_RELEASE;
const uint32_t PADRAW = SWG_PADRAW;
const int CF = C / P;
const int OH = (IH + PT + PB - KH) / SH + 1;
const int OW = (IW + PL + PR - KW) / SW + 1;
const int KK = KH * KW;
const long IN_WORDS = (long)IH * IW * CF;
const long OUT_WORDS = (long)OH * OW * KK * CF / KP;
const int IN_BITS = P * B;
const int OUT_BITS = KP * P * OB;

typedef std::vector<uint32_t> Word;

Word make_word(int bits) { return Word((bits + 31) / 32, 0u); }
void set_field(Word& w, int lo, int n, uint32_t v) {
  for (int b = 0; b < n; b++)
    if ((v >> b) & 1u) w[(lo + b) / 32] |= 1u << ((lo + b) % 32);
}
uint32_t get_field(const Word& w, int lo, int n) {
  uint32_t v = 0;
  for (int b = 0; b < n; b++) v |= ((w[(lo + b) / 32] >> ((lo + b) % 32)) & 1u) << b;
  return v;
}

// Port access for every Verilator port type (CData/SData/IData/QData or VlWide).
template <class T>
typename std::enable_if<std::is_integral<T>::value>::type to_port(T& s, const Word& w) {
  uint64_t v = w[0];
  if (w.size() > 1) v |= (uint64_t)w[1] << 32;
  s = (T)v;
}
template <std::size_t N>
void to_port(VlWide<N>& s, const Word& w) {
  for (std::size_t i = 0; i < N; i++) s[i] = i < w.size() ? w[i] : 0u;
}
template <class T>
typename std::enable_if<std::is_integral<T>::value>::type from_port(const T& s, Word& w) {
  const uint64_t v = (uint64_t)s;
  w[0] = (uint32_t)v;
  if (w.size() > 1) w[1] = (uint32_t)(v >> 32);
}
template <std::size_t N>
void from_port(const VlWide<N>& s, Word& w) {
  for (std::size_t i = 0; i < w.size(); i++) w[i] = s[i];
}

std::string hex(const Word& w) {
  std::string s;
  char buf[16];
  for (size_t i = w.size(); i-- > 0;) {
    std::snprintf(buf, sizeof buf, "%08x", w[i]);
    s += buf;
  }
  return s;
}

uint32_t widen(uint32_t raw) {
  if (OB == B) return raw;
  return (raw & 1u) ? 1u : ((1u << OB) - 1u);  // bipolar: +1 -> 0..01, -1 -> 1..11
}

// Expected output words of one frame, and for each the index of the last input word it needs
// (-1: padding only).
void expected(const std::vector<Word>& in, std::vector<Word>& out, std::vector<long>& need) {
  const int per_pixel = KK * CF / KP;
  for (int oy = 0; oy < OH; oy++)
    for (int ox = 0; ox < OW; ox++)
      for (int j = 0; j < per_pixel; j++) {
        Word w = make_word(OUT_BITS);
        long nd = -1;
        for (int kp = 0; kp < KP; kp++) {
          int k, cf;
          if (DW) {
            cf = j / (KK / KP);
            k = (j % (KK / KP)) * KP + kp;
          } else {
            k = j / CF;
            cf = j % CF;
          }
          const int y = oy * SH - PT + k / KW, x = ox * SW - PL + k % KW;
          const bool inside = y >= 0 && y < IH && x >= 0 && x < IW;
          const long idx = ((long)y * IW + x) * CF + cf;
          if (inside) nd = std::max(nd, idx);
          for (int p = 0; p < P; p++) {
            const uint32_t e = inside ? widen(get_field(in[idx], p * B, B)) : PADRAW;
            set_field(w, (kp * P + p) * OB, OB, e & ((1u << OB) - 1u));
          }
        }
        out.push_back(w);
        need.push_back(nd);
      }
}

}  // namespace

int main(int argc, char** argv) {
  const double in_drop = argc > 1 ? std::atof(argv[1]) : 0.0;
  const double out_drop = argc > 2 ? std::atof(argv[2]) : 0.0;
  const unsigned seed = argc > 3 ? (unsigned)std::atoi(argv[3]) : 1u;
  const int frames = argc > 4 ? std::atoi(argv[4]) : 5;
  // Known excess of the steady state over max(IN_WORDS, OUT_WORDS) (exact; < 0: report only).
  const long excess = argc > 5 ? std::atol(argv[5]) : 0;
  const bool timing = in_drop == 0.0 && out_drop == 0.0;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> coin(0.0, 1.0);

  // Input frames and the expected stream.
  std::vector<Word> in_stream, exp_stream;
  std::vector<long> need0;
  for (int f = 0; f < frames; f++) {
    std::vector<Word> fin;
    for (long i = 0; i < IN_WORDS; i++) {
      Word w = make_word(IN_BITS);
      for (int p = 0; p < P; p++) set_field(w, p * B, B, rng() & ((1u << B) - 1u));
      fin.push_back(w);
    }
    std::vector<Word> fout;
    std::vector<long> need;
    expected(fin, fout, need);
    if (f == 0) need0 = need;
    in_stream.insert(in_stream.end(), fin.begin(), fin.end());
    exp_stream.insert(exp_stream.end(), fout.begin(), fout.end());
  }

  VerilatedContext ctx;
  ctx.commandArgs(argc, argv);
  Vhalf_swg top(&ctx);
  top.ap_clk = 0;
  top.ap_rst_n = 0;
  top.s_axis_tvalid = 0;
  top.m_axis_tready = 0;
  for (int i = 0; i < 4; i++) {
    top.ap_clk = 0;
    top.eval();
    top.ap_clk = 1;
    top.eval();
  }
  top.ap_rst_n = 1;

  size_t in_pos = 0, out_pos = 0;
  bool presenting = false;
  long long cyc = 0, idle = 0;
  long long first_in = -1, first_out = -1;
  std::vector<long long> in_cycle(in_stream.size(), -1), out_cycle(exp_stream.size(), -1);
  std::vector<long long> frame_end;
  bool prev_pending = false;  // m_axis_tvalid high and not taken last cycle
  Word prev_data = make_word(OUT_BITS), data = make_word(OUT_BITS);
  const long long watchdog = 20000 + 4 * (long long)std::max(IN_WORDS, OUT_WORDS);
  const long long limit = (long long)frames * std::max(IN_WORDS, OUT_WORDS) * 40 + 100000;
  int errors = 0;

  // Words after the last frame: only the next frame's leading padding-only words may come out.
  size_t pad_prefix = 0;
  while (pad_prefix < need0.size() && need0[pad_prefix] < 0) pad_prefix++;
  size_t extra = 0;
  while (out_pos < exp_stream.size() || in_pos < in_stream.size()) {
    top.ap_clk = 0;
    top.eval();
    if (!presenting && in_pos < in_stream.size() && coin(rng) >= in_drop) presenting = true;
    const bool ready = coin(rng) >= out_drop;
    top.s_axis_tvalid = presenting;
    to_port(top.s_axis_tdata, presenting ? in_stream[in_pos] : make_word(IN_BITS));
    top.m_axis_tready = ready;
    top.eval();
    // Combinational independence: flip the other side's handshake input and compare.
    {
      const bool srdy = top.s_axis_tready, mval = top.m_axis_tvalid;
      top.m_axis_tready = !ready;
      top.s_axis_tvalid = !presenting;
      top.eval();
      if ((bool)top.s_axis_tready != srdy || (bool)top.m_axis_tvalid != mval) {
        std::printf("FAIL: combinational path between the handshakes at cycle %lld\n", cyc);
        return 1;
      }
      top.m_axis_tready = ready;
      top.s_axis_tvalid = presenting;
      top.eval();
    }
    const bool in_fire = presenting && top.s_axis_tready;
    const bool valid = top.m_axis_tvalid;
    const bool out_fire = valid && ready;
    from_port(top.m_axis_tdata, data);
    if (prev_pending && (!valid || data != prev_data)) {
      std::printf("FAIL: m_axis word changed before it was taken at cycle %lld\n", cyc);
      return 1;
    }
    prev_pending = valid && !ready;
    prev_data = data;
    if (in_fire) {
      if (first_in < 0) first_in = cyc;
      in_cycle[in_pos] = cyc;
      in_pos++;
      presenting = false;
    }
    if (out_fire && out_pos >= exp_stream.size()) {
      if (extra >= pad_prefix || data != exp_stream[extra]) {
        std::printf("FAIL: extra output word %zu after the last frame\n", extra);
        return 1;
      }
      extra++;
    } else if (out_fire) {
      if (first_out < 0) first_out = cyc;
      out_cycle[out_pos] = cyc;
      if (data != exp_stream[out_pos]) {
        if (errors < 10)
          std::printf("MISMATCH word %zu (frame %ld, word %ld): got %s expected %s\n", out_pos,
                      (long)(out_pos / OUT_WORDS), (long)(out_pos % OUT_WORDS), hex(data).c_str(),
                      hex(exp_stream[out_pos]).c_str());
        errors++;
      }
      out_pos++;
      if (out_pos % OUT_WORDS == 0) frame_end.push_back(cyc);
    }
    top.ap_clk = 1;
    top.eval();
    cyc++;
    idle = (in_fire || out_fire) ? 0 : idle + 1;
    if (idle > watchdog || cyc > limit) {
      std::printf("FAIL: hang at cycle %lld (in %zu/%zu, out %zu/%zu)\n", cyc, in_pos,
                  in_stream.size(), out_pos, exp_stream.size());
      return 1;
    }
  }
  top.s_axis_tvalid = 0;
  top.m_axis_tready = 1;
  for (int i = 0; i < 40; i++) {
    top.ap_clk = 0;
    top.eval();
    if (top.m_axis_tvalid) {
      from_port(top.m_axis_tdata, data);
      if (extra >= pad_prefix || data != exp_stream[extra]) {
        std::printf("FAIL: extra output word %zu after the last frame\n", extra);
        return 1;
      }
      extra++;
    }
    top.ap_clk = 1;
    top.eval();
  }
  top.final();

  const long steady_want = std::max(IN_WORDS, OUT_WORDS);
  std::printf("IN_WORDS=%ld OUT_WORDS=%ld max=%ld  frames=%d cycles=%lld\n", IN_WORDS, OUT_WORDS,
              steady_want, frames, cyc);
  std::printf("frame period (last word to last word):");
  for (size_t f = 1; f < frame_end.size(); f++)
    std::printf(" %lld", frame_end[f] - frame_end[f - 1]);
  std::printf("\n");
  long long steady = frame_end.size() >= 2 ? frame_end.back() - frame_end[frame_end.size() - 2] : -1;
  // First output word that needs input, and the edges from its last input word to it.
  size_t j1 = 0;
  while (j1 < need0.size() && need0[j1] < 0) j1++;
  const long long from_need = j1 < need0.size() ? out_cycle[j1] - in_cycle[need0[j1]] : -1;
  std::printf("frame0_last_out_after_first_in=%lld\n",
              frame_end.empty() ? -1LL : frame_end[0] - first_in);
  std::printf("steady_cycles_per_frame=%lld first_out_after_first_in=%lld "
              "first_input_word_needed_by_an_output=%ld (output word %zu, taken %lld edges after "
              "that input)\n",
              steady, first_out - first_in, j1 < need0.size() ? need0[j1] : -1L, j1, from_need);
  if (errors) {
    std::printf("FAIL: %d mismatching words\n", errors);
    return 1;
  }
  if (timing) {
    // Steady state: every period after the first.
    bool bad = false;
    for (size_t f = 2; f < frame_end.size(); f++)
      if (frame_end[f] - frame_end[f - 1] != steady_want + std::max(excess, 0L)) bad = true;
    if (bad || steady != steady_want + std::max(excess, 0L)) {
      std::printf("%s: steady-state cycles per frame %lld, max(IN_WORDS, OUT_WORDS) = %ld "
                  "(off by %lld, expected %ld)\n",
                  excess < 0 || RELEASE == 0 ? "NOTE" : "FAIL", steady, steady_want,
                  steady - steady_want, std::max(excess, 0L));
      if (excess >= 0 && RELEASE != 0) return 1;
    }
    // Every output word is taken exactly when the rule allows: one edge after the previous
    // word, and two edges after the acceptance of the last input word it needs.
    long bad_lat = 0;
    long long prev = 0;
    for (size_t j = 0; j < exp_stream.size(); j++) {
      const long n = need0[j % OUT_WORDS];
      long long want = prev + 1;
      if (n >= 0) want = std::max(want, in_cycle[(j / OUT_WORDS) * IN_WORDS + n] + 2);
      if (out_cycle[j] != want) {
        if (bad_lat < 5)
          std::printf("LATENCY word %zu: taken at edge %lld, the rule gives %lld\n", j,
                      out_cycle[j], want);
        bad_lat++;
      }
      prev = out_cycle[j];
    }
    if (bad_lat) {
      std::printf("FAIL: %ld output words not taken as early as the emission rule allows\n",
                  bad_lat);
      return 1;
    }
  }
  std::printf("PASS\n");
  return 0;
}
