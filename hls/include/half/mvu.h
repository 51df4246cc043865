// Matrix-vector unit with requantisation (conv after the window generator, and dense).
//
// Loop nest, one iteration per cycle (II=1), as FINN's MVAU and src/ops/mvu.rs:
//   for pixel < PIXELS: for nf < MH/PE: for sf < MW/SIMD: PE x SIMD multiply-accumulates
// The input vector (SF words of SIMD elements) is read during the first neuron fold and
// replayed from a buffer for the others. Weights: W[pe][nf*SF + sf] holds the SIMD weights of
// output channel nf*PE + pe, columns sf*SIMD ... sf*SIMD + SIMD - 1, element s at bits
// [s*WB, (s+1)*WB). Output: one word of PE requantised channels per (pixel, nf).
#ifndef HALF_MVU_H
#define HALF_MVU_H

#include "common.h"

namespace half {

template <int MW, int MH, int SIMD, int PE, int PIXELS, int XB, bool XS, int WB, bool WS,
          int ACC, bool HAS_BIAS, bool HAS_RQ, int SB, int NQ, int OB, bool OS, bool RELU,
          class STYLE, int SCALE0, int SHIFT0>
void mvu(hls::stream<ap_uint<SIMD * XB> >& in, hls::stream<ap_uint<PE * OB> >& out,
         const ap_uint<SIMD * WB> (&w)[PE][(MH / PE) * (MW / SIMD)],
         const ap_int<ACC> (&bias)[PE][MH / PE], const ap_int<SB> (&scale)[NQ],
         const ap_uint<6> (&shift)[NQ]) {
  const int SF = MW / SIMD;
  const int NF = MH / PE;
  typedef Product<STYLE, WB, WS, XB, XS> Prod;
  ap_uint<SIMD * XB> inbuf[SF];
  ap_int<ACC> acc[PE];
#pragma HLS ARRAY_PARTITION variable=acc type=complete
  // Tile counter: the weight word of (nf, sf), stepped instead of computed (as FINN's MVAU).
  int sf = 0, nf = 0, tile = 0;
  for (int i = 0; i < PIXELS * NF * SF; i++) {
#pragma HLS PIPELINE II=1
    HALF_TICK(MAC_DEPTH);
    ap_uint<SIMD * XB> x = 0;
    if (nf == 0) {
      x = in.read();
      inbuf[sf] = x;
    } else {
      x = inbuf[sf];
    }
    ap_uint<PE * OB> o = 0;
    for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
      ap_int<ACC> a = 0;
      if (sf != 0) {
        a = acc[p];
      } else if (HAS_BIAS) {
        a = bias[p][nf];
      }
      const ap_uint<SIMD * WB> wv = w[p][tile];
      for (int s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
        a += Prod::run(field<WB>(wv, s), field<XB>(x, s));
      }
      acc[p] = a;
      o.range(p * OB + OB - 1, p * OB) =
          output<HAS_RQ, ACC, SB, NQ, OB, OS, RELU, SCALE0, SHIFT0>(
              a, nf * PE + p, scale, shift);
    }
    if (sf == SF - 1) out.write(o);
    if (++tile == NF * SF) tile = 0;
    if (++sf == SF) {
      sf = 0;
      if (++nf == NF) nf = 0;
    }
  }
}

}  // namespace half

#endif
