// Sliding-window generator (im2col on a stream), padding generated on the fly.
//
// Elements are B bits in and OB bits out: OB = B, or B = 1 and OB = 2 when a bipolar input is
// padded (padding is 0, which only the 2-bit signed coding has).
// Input: IH x IW x C, P channels per word (CF = C/P words per pixel), one word per cycle.
// Output, per output pixel (OY, OX) in raster order:
//   DW = false (conv):  for ky, kx: for cf: one word of P channels          (KP must be 1)
//   DW = true (depthwise, pools): for cf: for kg in KK/KP: one word of KP kernel positions
//                                 x P channels, element (k, p) at index k*P + p
// Hardware: a line buffer of KH + SH rows, written and read in the same cycle (II=1), so a
// frame takes max(input words, output words) cycles, as the cost model (src/ops/swg.rs) says.
#ifndef HALF_SWG_H
#define HALF_SWG_H

#include "common.h"

namespace half {

template <int IH, int IW, int C, int KH, int KW, int SH, int SW, int PT, int PB, int PL, int PR,
          int P, int B, int OB, int KP, bool DW, unsigned PADRAW>
void swg(hls::stream<ap_uint<P * B> >& in, hls::stream<ap_uint<KP * P * OB> >& out) {
  const int CF = C / P;
  const int OH = (IH + PT + PB - KH) / SH + 1;
  const int OW = (IW + PL + PR - KW) / SW + 1;
  const int KK = KH * KW;
  const int BR = KH + SH;
  const int IN_WORDS = IH * IW * CF;
  const int PER_PIXEL = KK * CF / KP;
  const int OUT_WORDS = OH * OW * PER_PIXEL;
  ap_uint<P * B> buf[BR][IW * CF];
#pragma HLS BIND_STORAGE variable=buf type=ram_s2p
  ap_uint<P * OB> pad_word = 0;
  for (int p = 0; p < P; p++) {
#pragma HLS UNROLL
    pad_word.range(p * OB + OB - 1, p * OB) = PADRAW;
  }
  int reads = 0, writes = 0;
  int oy = 0, ox = 0, j = 0;  // output pixel and word within the pixel
  while (reads < IN_WORDS || writes < OUT_WORDS) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=IN_WORDS max=IN_WORDS+OUT_WORDS
    // The word the output needs next, as (row, column, channel fold, kernel positions).
    const int top = oy * SH - PT;
    int need = -1;  // index of the last input word this output word needs (-1: padding only)
    ap_uint<KP * P * OB> word = 0;
    bool can_write = writes < OUT_WORDS;
    if (can_write) {
      for (int kp = 0; kp < KP; kp++) {
#pragma HLS UNROLL
        int k, cf;
        if (DW) {
          cf = j / (KK / KP);
          k = (j % (KK / KP)) * KP + kp;
        } else {
          k = j / CF;
          cf = j % CF;
        }
        const int y = top + k / KW;
        const int x = ox * SW - PL + k % KW;
        ap_uint<P * OB> v = pad_word;
        if (y >= 0 && y < IH && x >= 0 && x < IW) {
          const int idx = (y * IW + x) * CF + cf;
          if (idx > need) need = idx;
          const ap_uint<P * B> raw = buf[y % BR][x * CF + cf];
          for (int p = 0; p < P; p++) {
#pragma HLS UNROLL
            // Same coding, or a bipolar element widened to 2-bit signed (+1: 01, -1: 11).
            const ap_uint<OB> e = OB == B ? ap_uint<OB>(raw.range(p * B + B - 1, p * B))
                                          : ap_uint<OB>(raw[p * B] ? 1 : (1 << OB) - 1);
            v.range(p * OB + OB - 1, p * OB) = e;
          }
        }
        word.range(kp * P * OB + P * OB - 1, kp * P * OB) = v;
      }
      can_write = need < reads;
    }
    // Input may overwrite a buffer row once no pending output still needs it.
    const int row = reads / (IW * CF);
    const bool can_read = reads < IN_WORDS && (writes >= OUT_WORDS || row < top + BR);
    if (can_write) {
      out.write(word);
      writes++;
      if (++j == PER_PIXEL) {
        j = 0;
        if (++ox == OW) {
          ox = 0;
          oy++;
        }
      }
    }
    if (can_read) {
      buf[row % BR][reads % (IW * CF)] = in.read();
      reads++;
    }
  }
}

}  // namespace half

#endif
