// Testbench of half_vvu (all numeric parameters as -G and as P_<name>; PIXELS as D:PIXELS, a
// testbench-only define): random frames checked bit-exact against an independent model of the
// depthwise loop nest (vvu.h) with half_requant.v / half_finish.v's arithmetic.
// The memory files w.hex, b.hex (HAS_BIAS = 1) and q.hex (PERCH = 1) are written into the
// current directory (run.sh runs the testbench in the parameter set's build directory) before
// the model is built, from a fixed seed so every run, yosys and the netlist see the same ROMs;
// the input words come from the run's seed.
// Besides the data, latency and throughput checks of the other testbenches, every run (with or
// without stalls) follows half_vvu.v's documented issue rule cycle by cycle (queue count q,
// completing iterations in flight f, a 4-cycle delay to the push) and asserts s_axis_tready and
// m_axis_tvalid every cycle against it.
#include "Vhalf_vvu.h"
#include "tb_common.h"

#ifndef P_C
#define P_C 8
#endif
#ifndef P_KK
#define P_KK 9
#endif
#ifndef P_SIMD
#define P_SIMD 3
#endif
#ifndef P_PE
#define P_PE 2
#endif
#ifndef P_PIXELS
#define P_PIXELS 4
#endif
#ifndef P_XB
#define P_XB 8
#endif
#ifndef P_XS
#define P_XS 0
#endif
#ifndef P_WB
#define P_WB 8
#endif
#ifndef P_ACC
#define P_ACC 24
#endif
#ifndef P_HAS_BIAS
#define P_HAS_BIAS 1
#endif
#ifndef P_HAS_RQ
#define P_HAS_RQ 1
#endif
#ifndef P_SB
#define P_SB 9
#endif
#ifndef P_PERCH
#define P_PERCH 0
#endif
#ifndef P_SCALE
#define P_SCALE 1
#endif
#ifndef P_SHIFT
#define P_SHIFT 0
#endif
#ifndef P_OB
#define P_OB 8
#endif
#ifndef P_OS
#define P_OS 0
#endif
#ifndef P_RELU
#define P_RELU 0
#endif
#ifndef P_USE_DSP
#define P_USE_DSP 0
#endif

static const int CF = P_C / P_PE;
static const int KF = P_KK / P_SIMD;
static const int XW = P_SIMD * P_PE * P_XB;   // input word bits
static const int WW = P_PE * P_SIMD * P_WB;   // weight word bits
static const int QW = P_SB + 6;
static const int VB = P_ACC + P_SB;           // half_requant's product bits
static const int TB = VB + 2;                 // half_finish's working bits
static const uint64_t MEM_SEED = 0x7677u;     // fixed: the ROMs are the same in every run
static_assert(P_C % P_PE == 0 && P_KK % P_SIMD == 0, "PE | C and SIMD | KK");
static_assert(TB <= 62 && P_ACC + 2 <= 62, "the model computes in int64");

static int sat_hi = 0, sat_lo = 0, relu_zero = 0, in_range = 0;

// Raw element -> value: bipolar for 1 bit, weights signed, activations signed when XS.
static int64_t dec_w(uint64_t raw) { return P_WB == 1 ? ((raw & 1) ? 1 : -1) : sext(raw, P_WB); }
static int64_t dec_x(uint64_t raw) {
  if (P_XB == 1) return (raw & 1) ? 1 : -1;
  return P_XS ? sext(raw, P_XB) : (int64_t)low((int64_t)raw, P_XB);
}

// half_finish.v with VB = ACC + SB, written from the Verilog: TB-bit two's complement, the
// rounding constant 1 <<< (shift-1) in TB bits, arithmetic shift, relu, saturation.
static uint64_t rtl_finish(int64_t v, int shift) {
  int64_t round = 0;
  if (shift > 0 && shift - 1 < TB) round = sext((uint64_t)1 << (shift - 1), TB);
  const int64_t sum = sext((uint64_t)(v + round), TB);
  int64_t r = shift >= TB ? (sum < 0 ? -1 : 0) : (sum >> shift);
  if (P_RELU && r < 0) {
    r = 0;
    relu_zero++;
  }
  if (P_OB == 1) return r < 0 ? 0 : 1;
  const int64_t hi = P_OS ? ((int64_t)1 << (P_OB - 1)) - 1 : ((int64_t)1 << P_OB) - 1;
  const int64_t lo = P_OS ? -((int64_t)1 << (P_OB - 1)) : 0;
  if (r > hi) {
    sat_hi++;
    r = hi;
  } else if (r < lo) {
    sat_lo++;
    r = lo;
  } else {
    in_range++;
  }
  return low(r, P_OB);
}

// half_requant.v: v = acc * scale (ACC+SB bits, exact), finish; or relu(acc)[OB-1:0].
static uint64_t rtl_requant(int64_t acc, int64_t scale, int shift) {
  if (!P_HAS_RQ) {
    if (P_RELU && acc < 0) {
      acc = 0;
      relu_zero++;
    }
    return low(acc, P_OB);
  }
  return rtl_finish(sext((uint64_t)(acc * scale), VB), shift);
}

static bool write_mem(const char* path, const std::vector<Word>& rows, int bits) {
  FILE* f = std::fopen(path, "w");
  if (!f) {
    std::printf("FAIL cannot write %s\n", path);
    return false;
  }
  for (const Word& w : rows) std::fprintf(f, "%s\n", w.hex(bits).c_str());
  std::fclose(f);
  return true;
}

int main(int argc, char** argv) {
  const Args a(argc, argv);
  const long IN_WORDS = (long)P_PIXELS * CF * KF;
  const long OUT_WORDS = (long)P_PIXELS * CF;
  const long LAT = 5, CPF = IN_WORDS;
  std::printf("half_vvu C=%d KK=%d SIMD=%d PE=%d PIXELS=%d X=%d%s W=%d%s ACC=%d HAS_BIAS=%d "
              "HAS_RQ=%d SB=%d PERCH=%d SCALE=%d SHIFT=%d O=%d%s RELU=%d USE_DSP=%d stall=%.2f "
              "seed=%llu frames=%d\n",
              P_C, P_KK, P_SIMD, P_PE, P_PIXELS, P_XB, P_XB == 1 ? "bip" : P_XS ? "s" : "u", P_WB,
              P_WB == 1 ? "bip" : "s", P_ACC, P_HAS_BIAS, P_HAS_RQ, P_SB, P_PERCH, P_SCALE,
              P_SHIFT, P_OB, P_OB == 1 ? "bip" : P_OS ? "s" : "u", P_RELU, P_USE_DSP, a.stall,
              (unsigned long long)a.seed, a.frames);

  // ---- the memories: weights, biases, per-channel scale and shift ----
  Rng mrng(MEM_SEED);
  const int64_t wmax = P_WB == 1 ? 1 : (int64_t)1 << (P_WB - 1);
  const int64_t xmax = P_XB == 1 ? 1 : P_XS ? (int64_t)1 << (P_XB - 1) : ((int64_t)1 << P_XB) - 1;
  const int64_t amax = (int64_t)P_KK * wmax * xmax;   // largest |sum of products|
  std::vector<int64_t> wv((size_t)CF * KF * P_PE * P_SIMD);   // [row][p][s]
  std::vector<int64_t> bias((size_t)P_C, 0), scale((size_t)P_C, 0), shift((size_t)P_C, 0);
  std::vector<Word> wrows, brows, qrows;
  for (int r = 0; r < CF * KF; r++) {
    Word w(WW);
    for (int p = 0; p < P_PE; p++)
      for (int s = 0; s < P_SIMD; s++) {
        const uint64_t raw = mrng.next() & (((uint64_t)1 << P_WB) - 1);
        w.set((p * P_SIMD + s) * P_WB, P_WB, raw);
        wv[((size_t)r * P_PE + p) * P_SIMD + s] = dec_w(raw);
      }
    wrows.push_back(w);
  }
  for (int cf = 0; cf < CF; cf++) {
    Word b(P_PE * P_ACC), q(P_PE * QW);
    for (int p = 0; p < P_PE; p++) {
      const int ch = cf * P_PE + p;
      if (P_HAS_BIAS) {
        // Mostly comparable to the sums, sometimes anything the accumulator holds.
        const int64_t bb = (mrng.next() % 4 == 0) ? (int64_t)mrng.next()
                                                  : (int64_t)(mrng.next() % (amax + 1)) - amax / 2;
        bias[ch] = sext(low(bb, P_ACC), P_ACC);
        b.set(p * P_ACC, P_ACC, low(bias[ch], P_ACC));
      }
      if (P_PERCH) {
        int64_t sc = sext(mrng.next(), P_SB);
        if (sc == 0) sc = 1;
        // A shift that maps |acc * scale| to about the output range, +-2, within 0..VB.
        int mag = 0;
        while (mag < 62 && ((int64_t)1 << mag) < amax * (sc < 0 ? -sc : sc)) mag++;
        int sh = mag - P_OB + (int)(mrng.next() % 5) - 2;
        if (sh < 0) sh = 0;
        if (sh > VB) sh = VB;
        scale[ch] = sc;
        shift[ch] = sh;
        q.set(p * QW, P_SB, low(sc, P_SB));
        q.set(p * QW + P_SB, 6, (uint64_t)sh);
      } else {
        scale[ch] = sext((uint64_t)(int64_t)P_SCALE, P_SB);
        shift[ch] = P_SHIFT;
      }
    }
    brows.push_back(b);
    qrows.push_back(q);
  }
  if (!write_mem("w.hex", wrows, WW)) return 1;
  if (P_HAS_BIAS && !write_mem("b.hex", brows, P_PE * P_ACC)) return 1;
  if (P_PERCH && !write_mem("q.hex", qrows, P_PE * QW)) return 1;

  // ---- frames and the expected output (vvu.h's loop nest) ----
  Rng rng(a.seed);
  Source src("s_axis", XW);
  Sink snk("m_axis", P_PE * P_OB);
  long hls_diff = 0;
  for (int f = 0; f < a.frames; f++) {
    std::vector<Word> in;
    for (long i = 0; i < IN_WORDS; i++) in.push_back(rng.word(XW));
    src.words.insert(src.words.end(), in.begin(), in.end());
    for (int px = 0; px < P_PIXELS; px++)
      for (int cf = 0; cf < CF; cf++) {
        Word o(P_PE * P_OB);
        for (int p = 0; p < P_PE; p++) {
          const int ch = cf * P_PE + p;
          int64_t acc = P_HAS_BIAS ? bias[ch] : 0;
          for (int kf = 0; kf < KF; kf++) {
            const Word& x = in[((long)px * CF + cf) * KF + kf];
            for (int s = 0; s < P_SIMD; s++) {
              const int64_t xv = dec_x(x.get((s * P_PE + p) * P_XB, P_XB));
              const int64_t w = wv[(((size_t)cf * KF + kf) * P_PE + p) * P_SIMD + s];
              acc = sext((uint64_t)(acc + w * xv), P_ACC);
            }
          }
          const uint64_t r = rtl_requant(acc, scale[ch], (int)shift[ch]);
          // The HLS twin (common.h's requant / passthrough, via tb_common.h) must agree.
          const uint64_t h = P_HAS_RQ ? requant(acc, P_ACC, scale[ch], P_SB, P_OB, P_OS, P_RELU,
                                                (int)shift[ch])
                                      : passthrough(acc, P_OB, P_RELU);
          if (h != r) hls_diff++;
          o.set(p * P_OB, P_OB, r);
        }
        snk.expect.push_back(o);
      }
  }
  if (hls_diff) {
    std::printf("FAIL model: %ld elements where half_finish.v and common.h's finish differ\n",
                hls_diff);
    return 1;
  }

  VerilatedContext ctx;
  ctx.randReset(2);                 // registers start random: nothing may rely on X = 0
  ctx.randSeed((int)(a.seed & 0x7fffffff));
  Vhalf_vvu dut(&ctx);
  dut.ap_rst_n = 0;
  dut.s_axis_tvalid = 0;
  dut.m_axis_tready = 0;
  for (int i = 0; i < 4; i++) {
    dut.ap_clk = 0; dut.eval();
    dut.ap_clk = 1; dut.eval();
  }
  dut.ap_rst_n = 1;
  long cycle = 0, idle = 0, tail = 0;
  // The header's issue rule: q(t), f(t), kf(t) and L(t-1..t-4) (issue of a kf = KF-1 iteration).
  int mq = 0, mf = 0, mkf = 0;
  bool ml[4] = {false, false, false, false};
  while (true) {
    src.plan(rng, a.stall);
    snk.plan(rng, a.stall);
    dut.s_axis_tvalid = src.offer;
    drive(dut.s_axis_tdata, src.cur, XW);
    dut.m_axis_tready = snk.ready;
    dut.ap_clk = 0;
    dut.eval();
    if (!isolated(dut, cycle)) return 1;
    const bool want_ready = mq + mf < 8, want_valid = mq != 0;
    if ((bool)dut.s_axis_tready != want_ready || (bool)dut.m_axis_tvalid != want_valid) {
      std::printf("FAIL issue rule at cycle %ld: s_axis_tready %d m_axis_tvalid %d, the "
                  "documented rule gives %d %d (q=%d f=%d)\n", cycle, (int)dut.s_axis_tready,
                  (int)dut.m_axis_tvalid, (int)want_ready, (int)want_valid, mq, mf);
      return 1;
    }
    const bool in_fire = src.fire(dut.s_axis_tready, cycle);
    const bool out_fire = dut.m_axis_tvalid && snk.ready;
    {
      const bool last = in_fire && mkf == KF - 1, push = ml[3];
      mq += (int)push - (int)out_fire;
      mf += (int)last - (int)push;
      ml[3] = ml[2];
      ml[2] = ml[1];
      ml[1] = ml[0];
      ml[0] = last;
      if (in_fire) mkf = mkf == KF - 1 ? 0 : mkf + 1;
    }
    if (!snk.observe(dut.m_axis_tvalid, sample(dut.m_axis_tdata, P_PE * P_OB), cycle)) return 1;
    dut.ap_clk = 1;
    dut.eval();
    cycle++;
    idle = (in_fire || out_fire) ? 0 : idle + 1;
    if (idle > WATCHDOG) {
      std::printf("HANG at cycle %ld: sent %zu/%zu, received %zu/%zu\n", cycle, src.next,
                  src.words.size(), snk.got, snk.expect.size());
      return 2;
    }
    if (snk.done() && ++tail > 32) break;
  }
  bool ok = true;
  const bool exact = a.stall <= 0.0;
  // Output word j is completed by input word (iteration) j*KF + KF-1.
  auto completing = [=](long j) { return j * KF + KF - 1; };
  ok &= check_latency(snk, src, completing, LAT, exact);
  ok &= check_throughput(snk, OUT_WORDS, CPF, exact);
  std::printf("  coverage: of %ld elements %d in range, %d saturated high, %d low, %d relu "
              "zeroed\n", (long)a.frames * OUT_WORDS * P_PE, in_range, sat_hi, sat_lo, relu_zero);
  std::printf(ok ? "PASS\n" : "FAIL\n");
  return ok ? 0 : 1;
}
