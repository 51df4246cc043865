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
// frame takes max(input words, output words) cycles, as the cost model (src/stage/swg.rs)
// says. Every position is a counter that steps and wraps by compare (no divider on the
// loop's recurrence: Vitis binds `/` and `%` by a variable or a non-power-of-two to a
// multi-cycle divider, which would set the II), kernel positions map to rows and columns
// through constant tables, and the buffer has one copy per kernel position read in a cycle
// (KP copies, each one write and one read a cycle: a simple dual-port RAM each, as the Verilog
// half_swg and the cost model's one block RAM per read port).
#ifndef HALF_SWG_H
#define HALF_SWG_H

#include "common.h"

namespace half {

// True when input word (y, x, cf) has been read, the input being at word (ry, rx, rcf):
// raster order compared position by position (no multiply on the recurrence).
inline bool already_read(int y, int x, int cf, int ry, int rx, int rcf) {
#pragma HLS INLINE
  return y < ry || (y == ry && (x < rx || (x == rx && cf < rcf)));
}

template <int IH, int IW, int C, int KH, int KW, int SH, int SW, int PT, int PB, int PL, int PR,
          int P, int B, int OB, int KP, bool DW, unsigned PADRAW>
void swg(hls::stream<ap_uint<P * B> >& in, hls::stream<ap_uint<KP * P * OB> >& out) {
  const int CF = C / P;
  const int OH = (IH + PT + PB - KH) / SH + 1;
  const int OW = (IW + PL + PR - KW) / SW + 1;
  const int KK = KH * KW;
  const int KG = KK / KP;  // kernel groups per channel fold (depthwise order)
  const int BR = KH + SH;
  const int ROW_WORDS = IW * CF;
  const int IN_WORDS = IH * ROW_WORDS;
  const int PER_PIXEL = KK * CF / KP;
  const int OUT_WORDS = OH * OW * PER_PIXEL;
  // The first window's top row modulo BR, in 0..BR-1 (a constant: no divider in the loop).
  const int TOP_SLOT = ((-PT) % BR + BR) % BR;
  ap_uint<P * B> buf[KP][BR][ROW_WORDS];
#pragma HLS ARRAY_PARTITION variable=buf type=complete dim=1
#pragma HLS BIND_STORAGE variable=buf type=ram_s2p
  // Kernel position k -> its row and column, constants after unrolling.
  int ky_of[KK], kx_of[KK];
#pragma HLS ARRAY_PARTITION variable=ky_of type=complete
#pragma HLS ARRAY_PARTITION variable=kx_of type=complete
  for (int k = 0; k < KK; k++) {
#pragma HLS UNROLL
    ky_of[k] = k / KW;
    kx_of[k] = k % KW;
  }
  ap_uint<P * OB> pad_word = 0;
  for (int p = 0; p < P; p++) {
#pragma HLS UNROLL
    pad_word.range(p * OB + OB - 1, p * OB) = PADRAW;
  }
  // Input position: row, column, channel fold, word within the row, buffer row.
  int ry = 0, rx = 0, rcf = 0, rcol = 0, rslot = 0, reads = 0;
  // Output position: window top row and left column (may be negative in the padding), the
  // top row's buffer slot, the column count, and the word within the pixel (depthwise: channel
  // fold `ocf` then kernel group `kg`; conv: kernel position `kc` then channel fold `ocf`).
  int top = -PT, left = -PL, top_slot = TOP_SLOT, ox = 0, ocf = 0, kg = 0, kc = 0, writes = 0;
  while (reads < IN_WORDS || writes < OUT_WORDS) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=IN_WORDS max=IN_WORDS+OUT_WORDS
    HALF_TICK();
    ap_uint<KP * P * OB> word = 0;
    bool can_write = writes < OUT_WORDS;
    for (int kp = 0; kp < KP; kp++) {
#pragma HLS UNROLL
      const int k = DW ? kg * KP + kp : kc;
      const int ky = ky_of[k], kx = kx_of[k];
      const int y = top + ky, x = left + kx;
      int slot = top_slot + ky;
      if (slot >= BR) slot -= BR;
      ap_uint<P * OB> v = pad_word;
      if (y >= 0 && y < IH && x >= 0 && x < IW) {
        if (!already_read(y, x, ocf, ry, rx, rcf)) can_write = false;
        const ap_uint<P * B> raw = buf[kp][slot][x * CF + ocf];
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
    // Input may overwrite a buffer row once no pending output still needs it.
    const bool can_read =
        reads < IN_WORDS && (writes >= OUT_WORDS || ry < top + BR) && !in.empty();
    // Non-blocking on both sides: a full output never holds the input back, nor the reverse
    // (a blocking write and read in one II=1 iteration couple them, and can deadlock a fork).
    if (can_write && !out.full()) {
      out.write(word);
      writes++;
      bool pixel_done = false;
      if (DW) {
        if (++kg == KG) {
          kg = 0;
          if (++ocf == CF) {
            ocf = 0;
            pixel_done = true;
          }
        }
      } else if (++ocf == CF) {
        ocf = 0;
        if (++kc == KK) {
          kc = 0;
          pixel_done = true;
        }
      }
      if (pixel_done) {
        left += SW;
        if (++ox == OW) {
          ox = 0;
          left = -PL;
          top += SH;
          top_slot += SH;
          if (top_slot >= BR) top_slot -= BR;
        }
      }
    }
    if (can_read) {
      const ap_uint<P * B> v = in.read();
      for (int kp = 0; kp < KP; kp++) {
#pragma HLS UNROLL
        buf[kp][rslot][rcol] = v;
      }
      reads++;
      if (++rcol == ROW_WORDS) rcol = 0;
      if (++rcf == CF) {
        rcf = 0;
        if (++rx == IW) {
          rx = 0;
          ry++;
          if (++rslot == BR) rslot = 0;
        }
      }
    }
  }
}

}  // namespace half

#endif
