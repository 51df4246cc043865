// Pooling units.
//
// pool_window: after a window generator in depthwise order (KP = 1): for pixel: for cf < C/PE:
// for k < KK: one word of PE channels per cycle (II=1); max or sum over the window, then the
// output word of PE channels (a max keeps the input type; a sum is requantised).
// pool_global: global average: for pixel: for cf: accumulate PE channel sums; after the last
// pixel, one requantised word per channel fold (src/ops/avgpool.rs).
#ifndef HALF_POOL_H
#define HALF_POOL_H

#include "common.h"

namespace half {

template <int C, int KK, int PE, int PIXELS, int XB, bool XS, bool MAX, int ACC, bool HAS_RQ,
          int SB, int NQ, int OB, bool OS, int SCALE0, int SHIFT0, class SSTYLE, class SCALES, class SHIFTS>
void pool_window(hls::stream<ap_uint<PE * XB> >& in, hls::stream<ap_uint<PE * OB> >& out,
                 const SCALES& scale, const SHIFTS& shift) {
  const int CF = C / PE;
  ap_int<ACC> acc[PE];
#pragma HLS ARRAY_PARTITION variable=acc type=complete
  int k = 0, cf = 0;
  for (int i = 0; i < PIXELS * CF * KK; i++) {
#pragma HLS PIPELINE II=1
    HALF_TICK(POOL_DEPTH);
    const ap_uint<PE * XB> x = in.read();
    ap_uint<PE * OB> o = 0;
    for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
      const ap_int<ACC> v = Elem<XB, XS>::decode(field<XB>(x, p));
      ap_int<ACC> a = v;
      if (k != 0) {
        if (MAX) {
          a = acc[p] > v ? acc[p] : v;
        } else {
          a = acc[p] + v;
        }
      }
      acc[p] = a;
      if (MAX) {
        // Re-encode the maximum (bipolar: +1 -> raw 1, -1 -> raw 0).
        const ap_uint<OB> raw = XB == 1 ? ap_uint<OB>(a > 0 ? 1 : 0) : ap_uint<OB>(a.range(OB - 1, 0));
        o.range(p * OB + OB - 1, p * OB) = raw;
      } else {
        o.range(p * OB + OB - 1, p * OB) =
            output<HAS_RQ, ACC, SB, NQ, OB, OS, false, SCALE0, SHIFT0, SSTYLE>(
                a, cf * PE + p, scale, shift);
      }
    }
    if (k == KK - 1) out.write(o);
    if (++k == KK) {
      k = 0;
      if (++cf == CF) cf = 0;
    }
  }
}

template <int C, int PE, int PIXELS, int XB, bool XS, int ACC, bool HAS_RQ, int SB, int NQ, int OB,
          bool OS, int SCALE0, int SHIFT0, class SSTYLE, class SCALES, class SHIFTS>
void pool_global(hls::stream<ap_uint<PE * XB> >& in, hls::stream<ap_uint<PE * OB> >& out,
                 const SCALES& scale, const SHIFTS& shift) {
  const int CF = C / PE;
  ap_int<ACC> sums[CF][PE];
#pragma HLS ARRAY_PARTITION variable=sums type=complete dim=2
  // The read-modify-write of sums[cf] repeats every CF iterations: a true dependence at that
  // distance, not at 1 (else II=2). With CF at least the loop's depth it costs nothing.
#pragma HLS DEPENDENCE variable=sums type=inter direction=RAW distance=CF true
  int cf = 0, px = 0;
  for (int i = 0; i < PIXELS * CF; i++) {
#pragma HLS PIPELINE II=1
    HALF_TICK(GPOOL_DEPTH);
    const ap_uint<PE * XB> x = in.read();
    ap_uint<PE * OB> o = 0;
    for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
      const ap_int<ACC> v = Elem<XB, XS>::decode(field<XB>(x, p));
      const ap_int<ACC> a = px == 0 ? v : ap_int<ACC>(sums[cf][p] + v);
      sums[cf][p] = a;
      o.range(p * OB + OB - 1, p * OB) =
          output<HAS_RQ, ACC, SB, NQ, OB, OS, false, SCALE0, SHIFT0, SSTYLE>(
              a, cf * PE + p, scale, shift);
    }
    if (px == PIXELS - 1) out.write(o);
    if (++cf == CF) {
      cf = 0;
      px++;
    }
  }
}

}  // namespace half

#endif
