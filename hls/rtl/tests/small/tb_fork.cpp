// Testbench of half_fork (W, WAYS as -G and P_W, P_WAYS): every output must carry the input
// stream; each output's sink stalls independently. Frames of 16 random words.
#include "Vhalf_fork.h"
#include "tb_common.h"

#ifndef P_W
#define P_W 8
#endif
#ifndef P_WAYS
#define P_WAYS 2
#endif

int main(int argc, char** argv) {
  const Args a(argc, argv);
  const int FW = 16;
  const long LAT = 1, CPF = FW;
  std::printf("half_fork W=%d WAYS=%d stall=%.2f seed=%llu frames=%d\n", P_W, P_WAYS, a.stall,
              (unsigned long long)a.seed, a.frames);
  Rng rng(a.seed);
  Source src("s_axis", P_W);
  for (int i = 0; i < a.frames * FW; i++) src.words.push_back(rng.word(P_W));
  const char* names[4] = {"m0_axis", "m1_axis", "m2_axis", "m3_axis"};
  std::vector<Sink> snk;
  for (int k = 0; k < P_WAYS; k++) {
    snk.push_back(Sink(names[k], P_W));
    snk.back().expect = src.words;
  }

  VerilatedContext ctx;
  ctx.randReset(2);                 // registers start random: nothing may rely on X = 0
  ctx.randSeed((int)(a.seed & 0x7fffffff));
  Vhalf_fork dut(&ctx);
  dut.ap_rst_n = 0;
  dut.s_axis_tvalid = 0;
  dut.m0_axis_tready = dut.m1_axis_tready = dut.m2_axis_tready = dut.m3_axis_tready = 0;
  for (int i = 0; i < 4; i++) {
    dut.ap_clk = 0; dut.eval();
    dut.ap_clk = 1; dut.eval();
  }
  dut.ap_rst_n = 1;
  long cycle = 0, idle = 0, tail = 0;
  while (true) {
    src.plan(rng, a.stall);
    bool rdy[4] = {false, false, false, false};
    for (int k = 0; k < P_WAYS; k++) {
      snk[k].plan(rng, a.stall);
      rdy[k] = snk[k].ready;
    }
    // Outputs beyond WAYS: tready toggles randomly, it must be ignored.
    for (int k = P_WAYS; k < 4; k++) rdy[k] = rng.next() & 1;
    dut.s_axis_tvalid = src.offer;
    drive(dut.s_axis_tdata, src.cur, P_W);
    dut.m0_axis_tready = rdy[0];
    dut.m1_axis_tready = rdy[1];
    dut.m2_axis_tready = rdy[2];
    dut.m3_axis_tready = rdy[3];
    dut.ap_clk = 0;
    dut.eval();
    {
      // Isolation: no mK_axis_tready may reach s_axis_tready, s_axis_tvalid no mK_axis_tvalid.
      const bool r = dut.s_axis_tready;
      const int v = dut.m0_axis_tvalid | dut.m1_axis_tvalid << 1 | dut.m2_axis_tvalid << 2 |
                    dut.m3_axis_tvalid << 3;
      bool bad = false;
      for (int k = 0; k < 4; k++) {
        CData* t[4] = {&dut.m0_axis_tready, &dut.m1_axis_tready, &dut.m2_axis_tready,
                       &dut.m3_axis_tready};
        *t[k] = !*t[k];
        dut.eval();
        bad |= (dut.s_axis_tready != 0) != r;
        *t[k] = !*t[k];
      }
      dut.s_axis_tvalid = !dut.s_axis_tvalid;
      dut.eval();
      bad |= (dut.m0_axis_tvalid | dut.m1_axis_tvalid << 1 | dut.m2_axis_tvalid << 2 |
              dut.m3_axis_tvalid << 3) != v;
      dut.s_axis_tvalid = !dut.s_axis_tvalid;
      dut.eval();
      if (bad) {
        std::printf("FAIL combinational path between the ports at cycle %ld\n", cycle);
        return 1;
      }
    }
    const bool vld[4] = {dut.m0_axis_tvalid != 0, dut.m1_axis_tvalid != 0,
                         dut.m2_axis_tvalid != 0, dut.m3_axis_tvalid != 0};
    const Word dat[4] = {sample(dut.m0_axis_tdata, P_W), sample(dut.m1_axis_tdata, P_W),
                         sample(dut.m2_axis_tdata, P_W), sample(dut.m3_axis_tdata, P_W)};
    bool moved = src.fire(dut.s_axis_tready, cycle);
    for (int k = 0; k < 4; k++) {
      if (k >= P_WAYS) {
        if (vld[k]) {
          std::printf("FAIL output %d (>= WAYS) valid\n", k);
          return 1;
        }
        continue;
      }
      moved |= vld[k] && rdy[k];
      if (!snk[k].observe(vld[k], dat[k], cycle)) return 1;
    }
    dut.ap_clk = 1;
    dut.eval();
    cycle++;
    idle = moved ? 0 : idle + 1;
    if (idle > WATCHDOG) {
      std::printf("HANG at cycle %ld: sent %zu/%zu, received", cycle, src.next, src.words.size());
      for (int k = 0; k < P_WAYS; k++) std::printf(" %zu", snk[k].got);
      std::printf("\n");
      return 2;
    }
    bool all = true;
    for (int k = 0; k < P_WAYS; k++) all &= snk[k].done();
    if (all && ++tail > 32) break;
  }
  bool ok = true;
  const bool exact = a.stall <= 0.0;
  for (int k = 0; k < P_WAYS; k++) {
    ok &= check_latency(snk[k], src, [](long j) { return j; }, LAT, exact);
    ok &= check_throughput(snk[k], FW, CPF, exact);
  }
  std::printf(ok ? "PASS\n" : "FAIL\n");
  return ok ? 0 : 1;
}
