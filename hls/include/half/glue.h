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
    HALF_TICK();
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
    HALF_TICK();
    const ap_uint<W> v = in.read();
    o0.write(v);
    o1.write(v);
    o2.write(v);
  }
}

// Width converter: N elements of B bits per frame, PI per input word to PO per output word.
// A shift register of PI + PO elements; each cycle it gives an output word when it holds
// enough and takes an input word when there is room after that (both in one iteration, II=1),
// so a frame takes max(N/PI, N/PO) cycles plus the fill, as the cost model and the Verilog
// half_dwc.
template <int N, int B, int PI, int PO>
void dwc(hls::stream<ap_uint<PI * B> >& in, hls::stream<ap_uint<PO * B> >& out) {
  const int CAP = PI + PO;
  ap_uint<CAP * B> sr = 0;
  int have = 0, reads = 0, writes = 0;
  while (writes < N / PO) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=N/PO max=N/PI+N/PO
    HALF_TICK();
    ap_uint<CAP * B> next = sr;
    int left = have;
    if (have >= PO && !out.full()) {
      out.write(sr.range(PO * B - 1, 0));
      next = sr >> (PO * B);
      left = have - PO;
      writes++;
    }
    if (reads < N / PI && left + PI <= CAP && !in.empty()) {
      const ap_uint<CAP * B> v = in.read();
      next |= v << (left * B);
      left += PI;
      reads++;
    }
    sr = next;
    have = left;
  }
}

// AXI-Stream input: one beat per word of P elements of B bits (TDATA padded to bytes).
template <int WORDS, int P, int B, int AXW>
void axis_in(hls::stream<ap_axiu<AXW, 0, 0, 0> >& in, hls::stream<ap_uint<P * B> >& out) {
  for (int i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II=1
    HALF_TICK();
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
    HALF_TICK();
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
