// Elementwise add of two streams of PE channels per word: a*scale_a + b*scale_b, then the
// model format's requantisation (src/ops/add.rs). One word from each input per cycle (II=1).
#ifndef HALF_ADD_H
#define HALF_ADD_H

#include "common.h"

namespace half {

// The scales and the shift are template arguments (per tensor: synthesis folds them); SSTYLE
// places the two constant multiplies (MulLut: fabric, MulAuto: synthesis decides).
template <int WORDS, int PE, int AB, bool AS, int BB, bool BS, int ACC, bool HAS_RQ, int SB,
          int OB, bool OS, bool RELU, int SCALE_A, int SCALE_B, int SHIFT, class SSTYLE>
void add(hls::stream<ap_uint<PE * AB> >& a, hls::stream<ap_uint<PE * BB> >& b,
         hls::stream<ap_uint<PE * OB> >& out) {
  for (int i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II=1
    HALF_TICK(ADD_DEPTH);
    const ap_uint<PE * AB> x = a.read();
    const ap_uint<PE * BB> y = b.read();
    ap_uint<PE * OB> o = 0;
    for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
      const ap_int<AB + 1> va = Elem<AB, AS>::decode(field<AB>(x, p));
      const ap_int<BB + 1> vb = Elem<BB, BS>::decode(field<BB>(y, p));
      ap_uint<OB> r = 0;
      if (HAS_RQ) {
        const ap_int<ACC> v = Mul<SSTYLE, ACC, ap_int<AB + 1>, ap_int<SB> >::run(va, SCALE_A) +
                              Mul<SSTYLE, ACC, ap_int<BB + 1>, ap_int<SB> >::run(vb, SCALE_B);
        r = finish<ACC, OB, OS, RELU>(v, SHIFT);
      } else {
        const ap_int<ACC> v = va + vb;
        r = passthrough<ACC, OB, RELU>(v);
      }
      o.range(p * OB + OB - 1, p * OB) = r;
    }
    out.write(o);
  }
}

}  // namespace half

#endif
