// Testbench of half_axis_in (P_OUT = 0; W as -G and P_W) and half_axis_out (P_OUT = 1; WORDS, W
// as -G and P_WORDS, P_W): the words pass unchanged; half_axis_out's m_axis_tlast must be high
// exactly on the last word of every frame of WORDS words (checked as bit W of the sampled word).
#include "tb_common.h"

#ifndef P_OUT
#define P_OUT 1
#endif
#ifndef P_W
#define P_W 8
#endif
#ifndef P_WORDS
#define P_WORDS 16
#endif

#if P_OUT
#include "Vhalf_axis_out.h"
typedef Vhalf_axis_out Dut;
#else
#include "Vhalf_axis_in.h"
typedef Vhalf_axis_in Dut;
#endif

int main(int argc, char** argv) {
  const Args a(argc, argv);
  const int FW = P_WORDS;
  const int OW = P_W + (P_OUT ? 1 : 0);    // sampled output: tdata plus tlast at bit W
  const long LAT = 1, CPF = FW;
  std::printf("half_axis_%s W=%d WORDS=%d stall=%.2f seed=%llu frames=%d\n", P_OUT ? "out" : "in",
              P_W, P_WORDS, a.stall, (unsigned long long)a.seed, a.frames);
  Rng rng(a.seed);
  Source src("s_axis", P_W);
  Sink snk("m_axis", OW);
  for (int i = 0; i < a.frames * FW; i++) {
    Word x = rng.word(P_W), y(OW);
    for (int b = 0; b < P_W; b++) y.set_bit(b, x.bit(b));
    if (P_OUT) y.set_bit(P_W, i % FW == FW - 1);
    src.words.push_back(x);
    snk.expect.push_back(y);
  }

  VerilatedContext ctx;
  ctx.randReset(2);                 // registers start random: nothing may rely on X = 0
  ctx.randSeed((int)(a.seed & 0x7fffffff));
  Dut dut(&ctx);
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
    drive(dut.s_axis_tdata, src.cur, P_W);
    dut.m_axis_tready = snk.ready;
    dut.ap_clk = 0;
    dut.eval();
    if (!isolated(dut, cycle)) return 1;
    const bool in_fire = src.fire(dut.s_axis_tready, cycle);
    const bool out_fire = dut.m_axis_tvalid && snk.ready;
    Word o(OW), d = sample(dut.m_axis_tdata, P_W);
    for (int b = 0; b < P_W; b++) o.set_bit(b, d.bit(b));
#if P_OUT
    o.set_bit(P_W, dut.m_axis_tlast);
#endif
    if (!snk.observe(dut.m_axis_tvalid, o, cycle)) return 1;
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
  ok &= check_latency(snk, src, [](long j) { return j; }, LAT, exact);
  ok &= check_throughput(snk, FW, CPF, exact);
  std::printf(ok ? "PASS\n" : "FAIL\n");
  return ok ? 0 : 1;
}
