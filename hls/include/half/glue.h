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

// Width converter: N elements of B bits per frame, PI per input word to PO per output word,
// in rows of LI elements on the input and LO on the output (both divide N; by default N). A
// row takes ceil(LI/PI) input words; when PI does not divide LI its last word holds the row's
// last TI elements in its low slots and the rest is ignored (a matrix unit's padded output
// lanes); an output row takes ceil(LO/PO) words, the last one's slots past TO zero (padded
// input lanes). A shift register of CAP elements (the Verilog half_dwc's: PI + PO + min(PI, PO)
// - gcd(PI, PO) without padding, PI + PO + max(PI, PO) - gcd(PI, PO, TI, TO) with): each
// iteration it takes an input word when there is room for its elements and gives an output
// word when it holds enough, counting the word it takes in the same iteration (II=1), so a
// frame takes max(input words, output words) cycles plus the fill, as the cost model and
// half_dwc.
template <int N, int B, int PI, int PO, int LI = N, int LO = N>
void dwc(hls::stream<ap_uint<PI * B> >& in, hls::stream<ap_uint<PO * B> >& out) {
  const int WI = (LI + PI - 1) / PI, TI = LI - (WI - 1) * PI;
  const int WO = (LO + PO - 1) / PO, TO = LO - (WO - 1) * PO;
  const bool padded = TI != PI || TO != PO;
  const int CAP = PI + PO + (padded ? (PI < PO ? PO : PI) : (PI < PO ? PI : PO)) -
                  gcd(gcd(PI, PO), gcd(TI, TO));
  const int IN_WORDS = N / LI * WI, OUT_WORDS = N / LO * WO;
  ap_uint<CAP * B> sr = 0;
  int have = 0, reads = 0, writes = 0, iw = 0, ow = 0;
  while (writes < OUT_WORDS) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=OUT_WORDS max=IN_WORDS+OUT_WORDS
    HALF_TICK(DWC_DEPTH);
    ap_uint<CAP * B> held = sr;
    int held_n = have;
    const int in_n = iw == WI - 1 ? TI : PI;
    if (reads < IN_WORDS && have + in_n <= CAP && !in.empty()) {
      ap_uint<CAP * B> v = in.read();
      if (in_n != PI) v &= (ap_uint<CAP * B>(1) << (in_n * B)) - 1;
      held |= v << (have * B);
      held_n += in_n;
      reads++;
      iw = iw == WI - 1 ? 0 : iw + 1;
    }
    const int out_n = ow == WO - 1 ? TO : PO;
    if (held_n >= out_n && !out.full()) {
      ap_uint<PO * B> w = held.range(PO * B - 1, 0);
      if (out_n != PO) w &= (ap_uint<PO * B>(1) << (out_n * B)) - 1;
      out.write(w);
      held = held >> (out_n * B);
      held_n -= out_n;
      writes++;
      ow = ow == WO - 1 ? 0 : ow + 1;
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
