// Testbench of half_add (all parameters as -G and as P_<name>): frames of WORDS random words on
// each input, checked bit-exact against add.h's arithmetic. The two inputs stall independently.
#include "Vhalf_add.h"
#include "tb_common.h"

#ifndef P_WORDS
#define P_WORDS 12
#endif
#ifndef P_PE
#define P_PE 4
#endif
#ifndef P_AB
#define P_AB 8
#endif
#ifndef P_AS
#define P_AS 0
#endif
#ifndef P_BB
#define P_BB 8
#endif
#ifndef P_BS
#define P_BS 0
#endif
#ifndef P_ACC
#define P_ACC 20
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
#ifndef P_RELU
#define P_RELU 0
#endif
#ifndef P_SCALE_A
#define P_SCALE_A 1
#endif
#ifndef P_SCALE_B
#define P_SCALE_B 1
#endif
#ifndef P_SHIFT
#define P_SHIFT 0
#endif

// add.h, one element.
static uint64_t model(uint64_t ra, uint64_t rb, int* sat_hi, int* sat_lo, int* zero) {
  const int64_t va = decode(ra, P_AB, P_AS), vb = decode(rb, P_BB, P_BS);
  const int64_t sa = sext((uint64_t)(int64_t)P_SCALE_A, P_SB);
  const int64_t sb = sext((uint64_t)(int64_t)P_SCALE_B, P_SB);
  uint64_t r;
  int64_t pre;   // value before saturation, for the coverage counts
  if (P_HAS_RQ) {
    const int64_t v = sext((uint64_t)(va * sa + vb * sb), P_ACC);
    r = finish(v, P_ACC, P_OB, P_OS, P_RELU, P_SHIFT);
    int64_t t = P_SHIFT > 0 ? (v + ((int64_t)1 << (P_SHIFT - 1))) >> P_SHIFT : v;
    pre = t;
  } else {
    const int64_t v = sext((uint64_t)(va + vb), P_ACC);
    r = passthrough(v, P_OB, P_RELU);
    pre = v;
  }
  if (P_RELU && pre < 0) {
    (*zero)++;
  } else if (P_HAS_RQ && P_OB > 1) {
    const int64_t hi = P_OS ? ((int64_t)1 << (P_OB - 1)) - 1 : ((int64_t)1 << P_OB) - 1;
    const int64_t lo = P_OS ? -((int64_t)1 << (P_OB - 1)) : 0;
    if (pre > hi) (*sat_hi)++;
    if (pre < lo) (*sat_lo)++;
  }
  return r;
}

int main(int argc, char** argv) {
  const Args a(argc, argv);
  const long LAT = 2, CPF = P_WORDS;
  std::printf("half_add WORDS=%d PE=%d A=%d%s B=%d%s ACC=%d HAS_RQ=%d SB=%d O=%d%s RELU=%d "
              "SCALE=%d,%d SHIFT=%d stall=%.2f seed=%llu frames=%d\n",
              P_WORDS, P_PE, P_AB, P_AB == 1 ? "bip" : P_AS ? "s" : "u", P_BB,
              P_BB == 1 ? "bip" : P_BS ? "s" : "u", P_ACC, P_HAS_RQ, P_SB, P_OB,
              P_OB == 1 ? "bip" : P_OS ? "s" : "u", P_RELU, P_SCALE_A, P_SCALE_B, P_SHIFT,
              a.stall, (unsigned long long)a.seed, a.frames);
  Rng rng(a.seed);
  Source s0("s0_axis", P_PE * P_AB), s1("s1_axis", P_PE * P_BB);
  Sink snk("m_axis", P_PE * P_OB);
  int sat_hi = 0, sat_lo = 0, zero = 0;
  for (int i = 0; i < a.frames * P_WORDS; i++) {
    Word x = rng.word(P_PE * P_AB), y = rng.word(P_PE * P_BB), o(P_PE * P_OB);
    for (int p = 0; p < P_PE; p++)
      o.set(p * P_OB, P_OB,
            model(x.get(p * P_AB, P_AB), y.get(p * P_BB, P_BB), &sat_hi, &sat_lo, &zero));
    s0.words.push_back(x);
    s1.words.push_back(y);
    snk.expect.push_back(o);
  }

  VerilatedContext ctx;
  ctx.randReset(2);                 // registers start random: nothing may rely on X = 0
  ctx.randSeed((int)(a.seed & 0x7fffffff));
  Vhalf_add dut(&ctx);
  dut.ap_rst_n = 0;
  dut.s0_axis_tvalid = 0;
  dut.s1_axis_tvalid = 0;
  dut.m_axis_tready = 0;
  for (int i = 0; i < 4; i++) {
    dut.ap_clk = 0; dut.eval();
    dut.ap_clk = 1; dut.eval();
  }
  dut.ap_rst_n = 1;
  long cycle = 0, idle = 0, tail = 0;
  while (true) {
    s0.plan(rng, a.stall);
    s1.plan(rng, a.stall);
    snk.plan(rng, a.stall);
    dut.s0_axis_tvalid = s0.offer;
    drive(dut.s0_axis_tdata, s0.cur, P_PE * P_AB);
    dut.s1_axis_tvalid = s1.offer;
    drive(dut.s1_axis_tdata, s1.cur, P_PE * P_BB);
    dut.m_axis_tready = snk.ready;
    dut.ap_clk = 0;
    dut.eval();
    {
      // Isolation: m_axis_tready must not reach s0/s1_axis_tready, s0/s1_axis_tvalid must not
      // reach m_axis_tvalid (s0_axis_tready may follow s1_axis_tvalid and vice versa).
      const bool r0 = dut.s0_axis_tready, r1 = dut.s1_axis_tready, v = dut.m_axis_tvalid;
      bool bad = false;
      dut.m_axis_tready = !dut.m_axis_tready;
      dut.eval();
      bad |= (dut.s0_axis_tready != 0) != r0 || (dut.s1_axis_tready != 0) != r1;
      dut.m_axis_tready = !dut.m_axis_tready;
      dut.s0_axis_tvalid = !dut.s0_axis_tvalid;
      dut.eval();
      bad |= (dut.m_axis_tvalid != 0) != v;
      dut.s0_axis_tvalid = !dut.s0_axis_tvalid;
      dut.s1_axis_tvalid = !dut.s1_axis_tvalid;
      dut.eval();
      bad |= (dut.m_axis_tvalid != 0) != v;
      dut.s1_axis_tvalid = !dut.s1_axis_tvalid;
      dut.eval();
      if (bad) {
        std::printf("FAIL combinational path between the ports at cycle %ld\n", cycle);
        return 1;
      }
    }
    const bool f0 = s0.fire(dut.s0_axis_tready, cycle);
    const bool f1 = s1.fire(dut.s1_axis_tready, cycle);
    if (f0 != f1) {
      std::printf("FAIL inputs not taken together at cycle %ld\n", cycle);
      return 1;
    }
    const bool out_fire = dut.m_axis_tvalid && snk.ready;
    if (!snk.observe(dut.m_axis_tvalid, sample(dut.m_axis_tdata, P_PE * P_OB), cycle)) return 1;
    dut.ap_clk = 1;
    dut.eval();
    cycle++;
    idle = (f0 || out_fire) ? 0 : idle + 1;
    if (idle > WATCHDOG) {
      std::printf("HANG at cycle %ld: sent %zu/%zu, received %zu/%zu\n", cycle, s0.next,
                  s0.words.size(), snk.got, snk.expect.size());
      return 2;
    }
    if (snk.done() && ++tail > 32) break;
  }
  bool ok = true;
  const bool exact = a.stall <= 0.0;
  ok &= check_latency(snk, s0, [](long j) { return j; }, LAT, exact);
  ok &= check_throughput(snk, P_WORDS, CPF, exact);
  std::printf("  coverage: %d elements saturated high, %d low, %d zeroed by relu (of %d)\n",
              sat_hi, sat_lo, zero, a.frames * P_WORDS * P_PE);
  std::printf(ok ? "PASS\n" : "FAIL\n");
  return ok ? 0 : 1;
}
