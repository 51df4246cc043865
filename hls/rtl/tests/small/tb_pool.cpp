// Testbench of half_pool (all parameters as -G and as P_<name>): random frames checked
// bit-exact against pool.h's pool_window / pool_global arithmetic.
#include "Vhalf_pool.h"
#include "tb_common.h"

#ifndef P_C
#define P_C 8
#endif
#ifndef P_KK
#define P_KK 4
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
#ifndef P_MAX
#define P_MAX 1
#endif
#ifndef P_GLOBAL
#define P_GLOBAL 0
#endif
#ifndef P_ACC
#define P_ACC 16
#endif
#ifndef P_HAS_RQ
#define P_HAS_RQ 1
#endif
#ifndef P_SB
#define P_SB 9
#endif
#ifndef P_OB
#define P_OB 8
#endif
#ifndef P_OS
#define P_OS 0
#endif
#ifndef P_SCALE
#define P_SCALE 1
#endif
#ifndef P_SHIFT
#define P_SHIFT 0
#endif

static const int CF = P_C / P_PE;
static const bool MAXP = P_MAX && !P_GLOBAL;
static int sat_hi = 0, sat_lo = 0;

// output<HAS_RQ, ACC, SB, 1, OB, OS, false>(acc) of common.h, with coverage counts.
static uint64_t out_elem(int64_t acc) {
  if (!P_HAS_RQ) return passthrough(acc, P_OB, false);
  const int64_t s = sext((uint64_t)(int64_t)P_SCALE, P_SB);
  const int64_t v = acc * s;
  const int64_t t = P_SHIFT > 0 ? (v + ((int64_t)1 << (P_SHIFT - 1))) >> P_SHIFT : v;
  if (P_OB > 1) {
    const int64_t hi = P_OS ? ((int64_t)1 << (P_OB - 1)) - 1 : ((int64_t)1 << P_OB) - 1;
    const int64_t lo = P_OS ? -((int64_t)1 << (P_OB - 1)) : 0;
    if (t > hi) sat_hi++;
    if (t < lo) sat_lo++;
  }
  return requant(acc, P_ACC, s, P_SB, P_OB, P_OS, false, P_SHIFT);
}

int main(int argc, char** argv) {
  const Args a(argc, argv);
  const long IN_WORDS = P_GLOBAL ? (long)P_PIXELS * CF : (long)P_PIXELS * CF * P_KK;
  const long OUT_WORDS = P_GLOBAL ? CF : (long)P_PIXELS * CF;
  const long LAT = P_GLOBAL ? 3 : 2, CPF = IN_WORDS;
  std::printf("half_pool %s%s C=%d KK=%d PE=%d PIXELS=%d X=%d%s ACC=%d HAS_RQ=%d SB=%d O=%d%s "
              "SCALE=%d SHIFT=%d stall=%.2f seed=%llu frames=%d\n",
              P_GLOBAL ? "global" : "window", MAXP ? "-max" : "-sum", P_C, P_KK, P_PE, P_PIXELS,
              P_XB, P_XB == 1 ? "bip" : P_XS ? "s" : "u", P_ACC, P_HAS_RQ, P_SB, P_OB,
              P_OB == 1 ? "bip" : P_OS ? "s" : "u", P_SCALE, P_SHIFT, a.stall,
              (unsigned long long)a.seed, a.frames);
  Rng rng(a.seed);
  Source src("s_axis", P_PE * P_XB);
  Sink snk("m_axis", P_PE * P_OB);
  for (int f = 0; f < a.frames; f++) {
    std::vector<Word> in;
    for (long i = 0; i < IN_WORDS; i++) in.push_back(rng.word(P_PE * P_XB));
    src.words.insert(src.words.end(), in.begin(), in.end());
    auto dec = [](const Word& w, int p) {
      return sext((uint64_t)decode(w.get(p * P_XB, P_XB), P_XB, P_XS), P_ACC);
    };
    if (!P_GLOBAL) {
      // pool_window: for pixel: for cf: for k < KK
      for (long w = 0; w < P_PIXELS * CF; w++) {
        Word o(P_PE * P_OB);
        for (int p = 0; p < P_PE; p++) {
          int64_t acc = 0;
          for (int k = 0; k < P_KK; k++) {
            const int64_t v = dec(in[w * P_KK + k], p);
            if (k == 0) acc = v;
            else if (P_MAX) acc = acc > v ? acc : v;
            else acc = sext((uint64_t)(acc + v), P_ACC);
          }
          uint64_t r;
          if (P_MAX) r = P_XB == 1 ? (acc > 0 ? 1 : 0) : low(acc, P_OB);
          else r = out_elem(acc);
          o.set(p * P_OB, P_OB, r);
        }
        snk.expect.push_back(o);
      }
    } else {
      // pool_global: for pixel: for cf: sums[cf][p]
      std::vector<int64_t> sums(CF * P_PE, 0);
      for (int px = 0; px < P_PIXELS; px++)
        for (int cf = 0; cf < CF; cf++)
          for (int p = 0; p < P_PE; p++) {
            const int64_t v = dec(in[px * CF + cf], p);
            int64_t& s = sums[cf * P_PE + p];
            s = px == 0 ? v : sext((uint64_t)(s + v), P_ACC);
          }
      for (int cf = 0; cf < CF; cf++) {
        Word o(P_PE * P_OB);
        for (int p = 0; p < P_PE; p++) o.set(p * P_OB, P_OB, out_elem(sums[cf * P_PE + p]));
        snk.expect.push_back(o);
      }
    }
  }

  VerilatedContext ctx;
  ctx.randReset(2);                 // registers start random: nothing may rely on X = 0
  ctx.randSeed((int)(a.seed & 0x7fffffff));
  Vhalf_pool dut(&ctx);
  dut.ap_rst_n = 0;
  dut.s_axis_tvalid = 0;
  dut.m_axis_tready = 0;
  for (int i = 0; i < 4; i++) {
    dut.ap_clk = 0; dut.eval();
    dut.ap_clk = 1; dut.eval();
  }
  dut.ap_rst_n = 1;
  long cycle = 0, idle = 0, tail = 0;
  while (true) {
    src.plan(rng, a.stall);
    snk.plan(rng, a.stall);
    dut.s_axis_tvalid = src.offer;
    drive(dut.s_axis_tdata, src.cur, P_PE * P_XB);
    dut.m_axis_tready = snk.ready;
    dut.ap_clk = 0;
    dut.eval();
    if (!isolated(dut, cycle)) return 1;
    const bool in_fire = src.fire(dut.s_axis_tready, cycle);
    const bool out_fire = dut.m_axis_tvalid && snk.ready;
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
  auto completing = [=](long j) {
    if (!P_GLOBAL) return (j + 1) * P_KK - 1;
    return (j / CF) * IN_WORDS + (P_PIXELS - 1) * CF + j % CF;
  };
  ok &= check_latency(snk, src, completing, LAT, exact);
  ok &= check_throughput(snk, OUT_WORDS, CPF, exact);
  if (!MAXP && P_HAS_RQ)
    std::printf("  coverage: %d elements saturated high, %d low (of %ld)\n", sat_hi, sat_lo,
                (long)a.frames * OUT_WORDS * P_PE);
  std::printf(ok ? "PASS\n" : "FAIL\n");
  return ok ? 0 : 1;
}
