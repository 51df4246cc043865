// Channel concatenation of two streams of PE channels per word (src/ops/concat.rs, the unit of
// src/stage/concat.rs): per pixel, the WA words of `a`, then the WB words of `b`, every element
// requantised to the output type (RQ_A, RQ_B: (x * SCALE + round) >> SHIFT, relu, saturation)
// or passed through. One word read and one written per cycle (II=1); a position counter with
// compare-and-wrap says which input the word comes from. A layer of N inputs chains N - 1 of
// these, the first input of each later one already in the output type.
#ifndef HALF_CONCAT_H
#define HALF_CONCAT_H

#include "common.h"

namespace half {

// One element of either input: requantised (RQ) or passed through.
template <int B, bool S, bool RQ, int SCALE, int SHIFT, int ACC, int OB, bool OS, bool RELU>
ap_uint<OB> concat_element(ap_uint<B> raw) {
#pragma HLS INLINE
  const ap_int<ACC> v = Elem<B, S>::decode(raw);
  if (RQ) {
    const ap_int<ACC> s = v * SCALE;
    return finish<ACC, OB, OS, RELU>(s, SHIFT);
  }
  return passthrough<ACC, OB, RELU>(v);
}

template <int PIXELS, int WA, int WB, int PE, int AB, bool AS, int BB, bool BS, int ACC, int OB,
          bool OS, bool RELU, bool RQ_A, int SCALE_A, bool RQ_B, int SCALE_B, int SHIFT>
void concat(hls::stream<ap_uint<PE * AB> >& a, hls::stream<ap_uint<PE * BB> >& b,
            hls::stream<ap_uint<PE * OB> >& out) {
  int w = 0;
  for (int i = 0; i < PIXELS * (WA + WB); i++) {
#pragma HLS PIPELINE II=1
    HALF_TICK(CONCAT_DEPTH);
    ap_uint<PE * OB> o = 0;
    if (w < WA) {
      const ap_uint<PE * AB> x = a.read();
      for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
        o.range(p * OB + OB - 1, p * OB) =
            concat_element<AB, AS, RQ_A, SCALE_A, SHIFT, ACC, OB, OS, RELU>(field<AB>(x, p));
      }
    } else {
      const ap_uint<PE * BB> y = b.read();
      for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
        o.range(p * OB + OB - 1, p * OB) =
            concat_element<BB, BS, RQ_B, SCALE_B, SHIFT, ACC, OB, OS, RELU>(field<BB>(y, p));
      }
    }
    out.write(o);
    w = (w == WA + WB - 1) ? 0 : w + 1;
  }
}

}  // namespace half

#endif
