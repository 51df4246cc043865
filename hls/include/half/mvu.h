// Matrix-vector unit with requantisation (conv after the window generator, and dense).
//
// Loop nest, one iteration per cycle (II=1), as FINN's MVAU and src/ops/mvu.rs:
//   for pixel < PIXELS: for nf < MH/PE: for sf < MW/SIMD: PE x SIMD multiply-accumulates
// The input vector (SF words of SIMD elements) is read during the first neuron fold and
// replayed from a buffer for the others. Weights: W[pe][nf*SF + sf] holds the SIMD weights of
// output channel nf*PE + pe, columns sf*SIMD ... sf*SIMD + SIMD - 1, element s at bits
// [s*WB, (s+1)*WB). Output: one word of PE requantised channels per (pixel, nf).
// The input buffer is bound to the memory the estimate costed for it (XSTORE, src/stage/
// mvu_cost.rs input_store): block RAM or LUTRAM, a simple dual-port RAM read or written once
// an iteration, or registers. BIND_STORAGE takes its impl as a literal, so each storage has its
// own array, sized SF for the chosen one and 1 for the others (XSTORE is a constant: the others
// are never touched and synthesis removes them).
#ifndef HALF_MVU_H
#define HALF_MVU_H

#include "common.h"

namespace half {

// The PE x SIMD products of one iteration: prod[p][s] = weight s of PE p times activation s.
template <class STYLE, int PE, int SIMD, int WB, bool WS, int XB, bool XS>
struct Products {
  typedef Product<STYLE, WB, WS, XB, XS> Prod;
  static void run(const ap_uint<SIMD * WB> (&wv)[PE], ap_uint<SIMD * XB> x,
                  ap_int<Prod::PB> (&prod)[PE][SIMD]) {
#pragma HLS INLINE
    for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
      for (int s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
        prod[p][s] = Prod::run(field<WB>(wv[p], s), field<XB>(x, s));
      }
    }
  }
};

// Packed: one DSP multiply per group of LANES neighbouring PEs and SIMD slot, the operand
// sum_j w_j 2^(j L) times the shared activation (as half_mvu.v with PACK = LANES, LANE = L).
// Every product fits L bits signed (src/stage/mvu_cost.rs, packing), so lane j of the result is
// its L-bit field plus the sign bit below it (the borrow of the lanes under it), read as signed.
template <int LANES, int L, int PE, int SIMD, int WB, bool WS, int XB, bool XS>
struct Products<MulPacked<LANES, L>, PE, SIMD, WB, WS, XB, XS> {
  static const int PB = WB + XB + 2;
  // Packed operand bits: the top lane's weight times 2^((LANES-1) L), less at most 2^((LANES-1) L
  // - 1) from the lanes below, needs one bit more than the lanes.
  static const int AW = (LANES - 1) * L + WB + 1;
  static const int MB = LANES * L;             // packed product bits: exact modulo 2^MB
  static void run(const ap_uint<SIMD * WB> (&wv)[PE], ap_uint<SIMD * XB> x,
                  ap_int<PB> (&prod)[PE][SIMD]) {
#pragma HLS INLINE
    for (int g = 0; g < (PE + LANES - 1) / LANES; g++) {
#pragma HLS UNROLL
      for (int s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
        ap_int<AW> a = 0;
        for (int j = 0; j < LANES; j++) {
#pragma HLS UNROLL
          if (g * LANES + j < PE) {
            const ap_int<AW> wj = Elem<WB, WS>::decode(field<WB>(wv[g * LANES + j], s));
            a += wj << (j * L);
          }
        }
        ap_int<MB> m = a * Elem<XB, XS>::decode(field<XB>(x, s));
#pragma HLS BIND_OP variable=m op=mul impl=dsp
        for (int j = 0; j < LANES; j++) {
#pragma HLS UNROLL
          if (g * LANES + j < PE) {
            ap_uint<L> f = m.range(j * L + L - 1, j * L);
            if (j > 0) f += ap_uint<1>(m[j * L - 1]);
            const ap_int<L> v = f;
            prod[g * LANES + j][s] = v;
          }
        }
      }
    }
  }
};

enum MvuStore { MVU_REGISTERS = 0, MVU_LUTRAM = 1, MVU_BRAM = 2 };

template <int MW, int MH, int SIMD, int PE, int PIXELS, int XB, bool XS, int WB, bool WS,
          int ACC, bool HAS_BIAS, bool HAS_RQ, int SB, int NQ, int OB, bool OS, bool RELU,
          class STYLE, int SCALE0, int SHIFT0, class SSTYLE, int XSTORE,
          class SCALES, class SHIFTS>
void mvu(hls::stream<ap_uint<SIMD * XB> >& in, hls::stream<ap_uint<PE * OB> >& out,
         const ap_uint<SIMD * WB> (&w)[PE][(MH / PE) * (MW / SIMD)],
         const ap_int<ACC> (&bias)[PE][MH / PE], const SCALES& scale,
         const SHIFTS& shift) {
  const int SF = MW / SIMD;
  const int NF = MH / PE;
  typedef Product<STYLE, WB, WS, XB, XS> Prod;
  typedef Products<STYLE, PE, SIMD, WB, WS, XB, XS> Prods;
  const bool IN_BRAM = XSTORE == MVU_BRAM, IN_LUTRAM = XSTORE == MVU_LUTRAM;
  const bool IN_REGS = !IN_BRAM && !IN_LUTRAM;
  ap_uint<SIMD * XB> inbuf_bram[IN_BRAM ? SF : 1];
#pragma HLS BIND_STORAGE variable=inbuf_bram type=ram_s2p impl=bram
  ap_uint<SIMD * XB> inbuf_lutram[IN_LUTRAM ? SF : 1];
#pragma HLS BIND_STORAGE variable=inbuf_lutram type=ram_s2p impl=lutram
  ap_uint<SIMD * XB> inbuf_regs[IN_REGS ? SF : 1];
#pragma HLS ARRAY_PARTITION variable=inbuf_regs type=complete
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
      // (The index is 0 in an array of one word, which is never touched.)
      if (IN_BRAM) inbuf_bram[IN_BRAM ? sf : 0] = x;
      if (IN_LUTRAM) inbuf_lutram[IN_LUTRAM ? sf : 0] = x;
      if (IN_REGS) inbuf_regs[IN_REGS ? sf : 0] = x;
    } else {
      x = IN_BRAM     ? inbuf_bram[IN_BRAM ? sf : 0]
          : IN_LUTRAM ? inbuf_lutram[IN_LUTRAM ? sf : 0]
                      : inbuf_regs[IN_REGS ? sf : 0];
    }
    ap_uint<SIMD * WB> wv[PE];
#pragma HLS ARRAY_PARTITION variable=wv type=complete
    for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
      wv[p] = w[p][tile];
    }
    ap_int<Prod::PB> prod[PE][SIMD];
#pragma HLS ARRAY_PARTITION variable=prod type=complete dim=0
    Prods::run(wv, x, prod);
    ap_uint<PE * OB> o = 0;
    for (int p = 0; p < PE; p++) {
#pragma HLS UNROLL
      ap_int<ACC> a = 0;
      if (sf != 0) {
        a = acc[p];
      } else if (HAS_BIAS) {
        a = bias[p][nf];
      }
      for (int s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
        a += prod[p][s];
      }
      acc[p] = a;
      o.range(p * OB + OB - 1, p * OB) =
          output<HAS_RQ, ACC, SB, NQ, OB, OS, RELU, SCALE0, SHIFT0, SSTYLE>(
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
