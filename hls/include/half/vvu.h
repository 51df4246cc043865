// Vector-vector unit: the depthwise convolution after a window generator in depthwise order.
//
// Loop nest, one iteration per cycle (II=1), as FINN's VVAU and src/ops/dwconv.rs:
//   for pixel < PIXELS: for cf < C/PE: for kf < KK/SIMD: PE x SIMD multiply-accumulates
// Input word: SIMD kernel positions x PE channels (element (s, p) at index s*PE + p).
// Weights: W[pe][cf*KF + kf] holds kernel positions kf*SIMD ... of channel cf*PE + pe.
#ifndef HALF_VVU_H
#define HALF_VVU_H

#include "common.h"

namespace half {

template <int C, int KK, int SIMD, int PE, int PIXELS, int XB, bool XS, int WB, bool WS, int ACC,
          bool HAS_BIAS, bool HAS_RQ, int SB, int NQ, int OB, bool OS, bool RELU, class STYLE,
          int SCALE0, int SHIFT0, class SSTYLE, class SCALES, class SHIFTS>
void vvu(hls::stream<ap_uint<SIMD * PE * XB> >& in, hls::stream<ap_uint<PE * OB> >& out,
         const ap_uint<SIMD * WB> (&w)[PE][(C / PE) * (KK / SIMD)],
         const ap_int<ACC> (&bias)[PE][C / PE], const SCALES& scale,
         const SHIFTS& shift) {
  const int KF = KK / SIMD;
  const int CF = C / PE;
  typedef Product<STYLE, WB, WS, XB, XS> Prod;
  ap_int<ACC> acc[PE];
#pragma HLS ARRAY_PARTITION variable=acc type=complete
  // Tile counter: the weight word of (cf, kf), stepped instead of computed.
  int kf = 0, cf = 0, tile = 0;
  for (int i = 0; i < PIXELS * CF * KF; i++) {
#pragma HLS PIPELINE II=1
    HALF_TICK(MAC_DEPTH);
    const ap_uint<SIMD * PE * XB> x = in.read();
    ap_uint<PE * OB> o = 0;
    for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
      ap_int<ACC> a = 0;
      if (kf != 0) {
        a = acc[p];
      } else if (HAS_BIAS) {
        a = bias[p][cf];
      }
      const ap_uint<SIMD * WB> wv = w[p][tile];
      for (int s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
        a += Prod::run(field<WB>(wv, s), field<XB>(x, s * PE + p));
      }
      acc[p] = a;
      o.range(p * OB + OB - 1, p * OB) =
          output<HAS_RQ, ACC, SB, NQ, OB, OS, RELU, SCALE0, SHIFT0, SSTYLE>(
              a, cf * PE + p, scale, shift);
    }
    if (kf == KF - 1) out.write(o);
    if (++tile == CF * KF) tile = 0;
    if (++kf == KF) {
      kf = 0;
      if (++cf == CF) cf = 0;
    }
  }
}

}  // namespace half

#endif
