// Testbench of half_dwc (N, B, PI, PO, LI, LO as -G and P_N, P_B, P_PI, P_PO, P_LI, P_LO):
// random frames of N elements sent PI per word in rows of LI (a row's short last word padded
// with random garbage, which must be ignored) must come out PO per word in rows of LO (a row's
// short last word padded with zeros), in order.
#include "Vhalf_dwc.h"
#include "tb_common.h"

#ifndef P_N
#define P_N 24
#endif
#ifndef P_B
#define P_B 4
#endif
#ifndef P_PI
#define P_PI 2
#endif
#ifndef P_PO
#define P_PO 3
#endif
#ifndef P_LI
#define P_LI P_N
#endif
#ifndef P_LO
#define P_LO P_N
#endif

int main(int argc, char** argv) {
  const Args a(argc, argv);
  const long LAT = 1;
  const long WI = (P_LI + P_PI - 1) / P_PI, WO = (P_LO + P_PO - 1) / P_PO;
  const long IN_WORDS = P_N / P_LI * WI, OUT_WORDS = P_N / P_LO * WO;
  const long CPF = IN_WORDS > OUT_WORDS ? IN_WORDS : OUT_WORDS;
  std::printf("half_dwc N=%d B=%d PI=%d PO=%d LI=%d LO=%d stall=%.2f seed=%llu frames=%d\n", P_N,
              P_B, P_PI, P_PO, P_LI, P_LO, a.stall, (unsigned long long)a.seed, a.frames);
  Rng rng(a.seed);
  Source src("s_axis", P_PI * P_B);
  Sink snk("m_axis", P_PO * P_B);
  std::vector<uint64_t> elems;
  for (int f = 0; f < a.frames; f++)
    for (int e = 0; e < P_N; e++) elems.push_back(rng.next() & ((1ull << P_B) - 1));
  // Row r's word w holds elements r*L + w*P + i for i < P while inside the row.
  const std::size_t mask = (1ull << P_B) - 1;
  for (std::size_t r = 0; r < elems.size() / P_LI; r++)
    for (long w = 0; w < WI; w++) {
      Word x(P_PI * P_B);
      for (int i = 0; i < P_PI; i++) {
        const long pos = w * P_PI + i;
        x.set(i * P_B, P_B, pos < P_LI ? elems[r * P_LI + pos] : rng.next() & mask);
      }
      src.words.push_back(x);
    }
  // The input word that completes each output word: the one holding its last element.
  std::vector<long> completing;
  for (std::size_t r = 0; r < elems.size() / P_LO; r++)
    for (long w = 0; w < WO; w++) {
      Word y(P_PO * P_B);
      long last = 0;
      for (int i = 0; i < P_PO; i++) {
        const long pos = w * P_PO + i;
        if (pos >= P_LO) continue;
        const long e = (long)r * P_LO + pos;
        y.set(i * P_B, P_B, elems[e]);
        last = e;
      }
      snk.expect.push_back(y);
      completing.push_back(last / P_LI * WI + last % P_LI / P_PI);
    }

  VerilatedContext ctx;
  ctx.randReset(2);                 // registers start random: nothing may rely on X = 0
  ctx.randSeed((int)(a.seed & 0x7fffffff));
  Vhalf_dwc dut(&ctx);
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
    drive(dut.s_axis_tdata, src.cur, P_PI * P_B);
    dut.m_axis_tready = snk.ready;
    dut.ap_clk = 0;
    dut.eval();
    if (!isolated(dut, cycle)) return 1;
    const bool in_fire = src.fire(dut.s_axis_tready, cycle);
    const bool out_fire = dut.m_axis_tvalid && snk.ready;
    if (!snk.observe(dut.m_axis_tvalid, sample(dut.m_axis_tdata, P_PO * P_B), cycle)) return 1;
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
  // Output word j is completed by the input word holding its last element.
  ok &= check_latency(snk, src, [&](long j) { return completing[j]; }, LAT, exact);
  ok &= check_throughput(snk, OUT_WORDS, CPF, exact);
  std::printf(ok ? "PASS\n" : "FAIL\n");
  return ok ? 0 : 1;
}
