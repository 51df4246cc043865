// Testbench of half_fifo (parameters W, DEPTH, RAM_STYLE given to verilator with -G and to the
// compiler as P_W, P_DEPTH). Frames of 16 random words; the output must equal the input.
#include "Vhalf_fifo.h"
#include "tb_common.h"

#ifndef P_W
#define P_W 8
#endif
#ifndef P_DEPTH
#define P_DEPTH 2
#endif

int main(int argc, char** argv) {
  const Args a(argc, argv);
  const int FW = 16;                       // words per frame (the FIFO does not know frames)
  const long LAT = 1;
  const long CPF = P_DEPTH >= 2 ? FW : 2 * FW;
  std::printf("half_fifo W=%d DEPTH=%d stall=%.2f seed=%llu frames=%d\n", P_W, P_DEPTH, a.stall,
              (unsigned long long)a.seed, a.frames);
  Rng rng(a.seed);
  Source src("s_axis", P_W);
  Sink snk("m_axis", P_W);
  for (int i = 0; i < a.frames * FW; i++) src.words.push_back(rng.word(P_W));
  snk.expect = src.words;

  VerilatedContext ctx;
  ctx.randReset(2);                 // registers start random: nothing may rely on X = 0
  ctx.randSeed((int)(a.seed & 0x7fffffff));
  Vhalf_fifo dut(&ctx);
  dut.ap_rst_n = 0;
  dut.s_axis_tvalid = 0;
  dut.m_axis_tready = 0;
  for (int i = 0; i < 4; i++) {
    dut.ap_clk = 0; dut.eval();
    dut.ap_clk = 1; dut.eval();
  }
  dut.ap_rst_n = 1;
  long cycle = 0, idle = 0, tail = 0;
  unsigned max_count = 0;
  while (true) {
    src.plan(rng, a.stall);
    snk.plan(rng, a.stall);
    dut.s_axis_tvalid = src.offer;
    drive(dut.s_axis_tdata, src.cur, P_W);
    dut.m_axis_tready = snk.ready;
    dut.ap_clk = 0;
    dut.eval();
    if (!isolated(dut, cycle)) return 1;
    if (dut.count > (unsigned)P_DEPTH) {
      std::printf("FAIL count %u > DEPTH\n", (unsigned)dut.count);
      return 1;
    }
    if (dut.count > max_count) max_count = dut.count;
    if ((dut.s_axis_tready != 0) != (dut.count < (unsigned)P_DEPTH) ||
        (dut.m_axis_tvalid != 0) != (dut.count != 0)) {
      std::printf("FAIL flags disagree with count %u at cycle %ld\n", (unsigned)dut.count, cycle);
      return 1;
    }
    const bool in_fire = src.fire(dut.s_axis_tready, cycle);
    const bool out_fire = dut.m_axis_tvalid && snk.ready;
    if (!snk.observe(dut.m_axis_tvalid, sample(dut.m_axis_tdata, P_W), cycle)) return 1;
    dut.ap_clk = 1;
    dut.eval();
    cycle++;
    idle = (in_fire || out_fire) ? 0 : idle + 1;
    if (idle > WATCHDOG) {
      std::printf("HANG at cycle %ld: sent %zu/%zu, received %zu/%zu, count %u\n", cycle,
                  src.next, src.words.size(), snk.got, snk.expect.size(), (unsigned)dut.count);
      return 2;
    }
    if (snk.done() && ++tail > 32) break;   // keep going a while: no extra words allowed
  }
  bool ok = true;
  const bool exact = a.stall <= 0.0;
  ok &= check_latency(snk, src, [](long j) { return j; }, LAT, exact);
  ok &= check_throughput(snk, FW, CPF, exact);
  std::printf("  max occupancy %u of %d\n", max_count, P_DEPTH);
  std::printf(ok ? "PASS\n" : "FAIL\n");
  return ok ? 0 : 1;
}
