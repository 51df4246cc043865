// Glue between stages: stream forks, width converters and the AXI-Stream adapters.
#ifndef HALF_GLUE_H
#define HALF_GLUE_H

#include "common.h"

namespace half {

// Duplicates a stream of WORDS words into two (a tensor read by two layers).
template <int WORDS, int W>
void fork2(hls::stream<ap_uint<W> >& in, hls::stream<ap_uint<W> >& o0,
           hls::stream<ap_uint<W> >& o1) {
  for (int i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II=1
    HALF_TICK(FORK_DEPTH);
    const ap_uint<W> v = in.read();
    o0.write(v);
    o1.write(v);
  }
}

// Duplicates a stream of WORDS words into three.
template <int WORDS, int W>
void fork3(hls::stream<ap_uint<W> >& in, hls::stream<ap_uint<W> >& o0,
           hls::stream<ap_uint<W> >& o1, hls::stream<ap_uint<W> >& o2) {
  for (int i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II=1
    HALF_TICK(FORK_DEPTH);
    const ap_uint<W> v = in.read();
    o0.write(v);
    o1.write(v);
    o2.write(v);
  }
}

// Width converter: N elements of B bits per frame, PI per input word to PO per output word.
// A shift register of CAP = PI + PO + min(PI, PO) - gcd(PI, PO) elements (the Verilog
// half_dwc's): each iteration it takes an input word when there is room for it and gives an
// output word when it holds enough, counting the word it takes in the same iteration (II=1),
// so a frame takes max(N/PI, N/PO) cycles plus the fill, as the cost model and half_dwc.
template <int N, int B, int PI, int PO>
void dwc(hls::stream<ap_uint<PI * B> >& in, hls::stream<ap_uint<PO * B> >& out) {
  const int CAP = PI + PO + (PI < PO ? PI : PO) - gcd(PI, PO);
  ap_uint<CAP * B> sr = 0;
  int have = 0, reads = 0, writes = 0;
  while (writes < N / PO) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=N/PO max=N/PI+N/PO
    HALF_TICK(DWC_DEPTH);
    ap_uint<CAP * B> held = sr;
    int held_n = have;
    if (reads < N / PI && have + PI <= CAP && !in.empty()) {
      const ap_uint<CAP * B> v = in.read();
      held |= v << (have * B);
      held_n += PI;
      reads++;
    }
    if (held_n >= PO && !out.full()) {
      out.write(held.range(PO * B - 1, 0));
      held = held >> (PO * B);
      held_n -= PO;
      writes++;
    }
    sr = held;
    have = held_n;
  }
}

// AXI-Stream input: one beat per word of P elements of B bits (TDATA padded to bytes).
template <int WORDS, int P, int B, int AXW>
void axis_in(hls::stream<ap_axiu<AXW, 0, 0, 0> >& in, hls::stream<ap_uint<P * B> >& out) {
  for (int i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II=1
    HALF_TICK(AXIS_IN_DEPTH);
    const ap_axiu<AXW, 0, 0, 0> beat = in.read();
    if (i == 0) HALF_FRAME_START();
    out.write(beat.data.range(P * B - 1, 0));
  }
}

// AXI-Stream output: one beat per word, TKEEP all ones, TLAST on the frame's last beat.
template <int WORDS, int P, int B, int AXW>
void axis_out(hls::stream<ap_uint<P * B> >& in, hls::stream<ap_axiu<AXW, 0, 0, 0> >& out) {
  for (int i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II=1
    HALF_TICK(AXIS_OUT_DEPTH);
    ap_axiu<AXW, 0, 0, 0> beat;
    beat.data = 0;
    beat.data.range(P * B - 1, 0) = in.read();
    beat.keep = -1;
    beat.strb = -1;
    beat.last = i == WORDS - 1;
    out.write(beat);
    if (i == WORDS - 1) HALF_FRAME_END();
  }
}

}  // namespace half

#endif
