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
    const ap_uint<W> v = in.read();
    o0.write(v);
    o1.write(v);
    o2.write(v);
  }
}

// Width converter: N elements of B bits per frame, PI per input word to PO per output word.
// A shift register of PI + PO elements; each cycle it takes an input word when there is room
// and gives an output word when it holds enough (II=1).
template <int N, int B, int PI, int PO>
void dwc(hls::stream<ap_uint<PI * B> >& in, hls::stream<ap_uint<PO * B> >& out) {
  ap_uint<(PI + PO) * B> sr = 0;
  int have = 0, reads = 0, writes = 0;
  while (writes < N / PO) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=N/PI max=N/PI+N/PO
    if (have >= PO) {
      out.write(sr.range(PO * B - 1, 0));
      sr >>= PO * B;
      have -= PO;
      writes++;
    } else if (reads < N / PI) {
      ap_uint<(PI + PO) * B> v = in.read();
      sr |= v << (have * B);
      have += PI;
      reads++;
    }
  }
}

// AXI-Stream input: one beat per word of P elements of B bits (TDATA padded to bytes).
template <int WORDS, int P, int B, int AXW>
void axis_in(hls::stream<ap_axiu<AXW, 0, 0, 0> >& in, hls::stream<ap_uint<P * B> >& out) {
  for (int i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II=1
    const ap_axiu<AXW, 0, 0, 0> beat = in.read();
    out.write(beat.data.range(P * B - 1, 0));
  }
}

// AXI-Stream output: one beat per word, TKEEP all ones, TLAST on the frame's last beat.
template <int WORDS, int P, int B, int AXW>
void axis_out(hls::stream<ap_uint<P * B> >& in, hls::stream<ap_axiu<AXW, 0, 0, 0> >& out) {
  for (int i = 0; i < WORDS; i++) {
#pragma HLS PIPELINE II=1
    ap_axiu<AXW, 0, 0, 0> beat;
    beat.data = 0;
    beat.data.range(P * B - 1, 0) = in.read();
    beat.keep = -1;
    beat.strb = -1;
    beat.last = i == WORDS - 1;
    out.write(beat);
  }
}

}  // namespace half

#endif
