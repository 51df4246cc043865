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
//
// Frames overlap as in the Verilog half_swg (hls/rtl/half_swg.v, whose acceptance rule this
// is, word for word): the buffer and both positions are static, so one call emits one frame's
// windows while it already reads the next frame's first rows into the buffer places the
// frame's remaining windows no longer need. Without it every frame would pay the first
// window's rows and the last window row's output again (DS-CNN: 22,792 cycles a frame, not
// 16,000). ID makes each layer's instance, and so its static state, its own.
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

// A generator's positions, kept from one frame (call) to the next.
struct SwgPos {
  // Input pointer: row relative to the current output frame (the next frame's rows are IH,
  // IH + 1, ...), column, channel fold; its buffer row and the word within that row.
  int iy, ix, icf, in_slot, in_col;
  // Output position: pixel (oy, ox), window top row and left column (negative in the padding),
  // the top row's buffer row, and the word within the pixel (depthwise: fold `cf` then kernel
  // group `kg`; conv: kernel position `kc` then fold `cf`).
  int oy, ox, top, left, top_slot, cf, kg, kc;
  // Words of the next frame read before the current frame's windows were all out.
  int ahead;
};

// Whether the input word at the pointer may take the buffer place of row iy - BR: the rule of
// half_swg.v (RELEASE = 1), a row of the previous frame, or one no pending window of the
// current frame reads. (y0, x0) is the current output word's first kernel position.
template <int IH, int KH, int KW, int SH, int SW, int BR, int OH, int OW, int LROW, int LCOL,
          bool DW>
bool input_place_free(const SwgPos& s, int y0, int x0) {
#pragma HLS INLINE
  const int q = s.iy - BR;
  const bool oy_last = s.oy == OH - 1, ox_last = s.ox == OW - 1;
  const bool need_later = !oy_last && q >= s.top + SH && q <= LROW;
  const bool emitted =
      DW ? s.icf < s.cf || (s.icf == s.cf && (q < y0 || (q == y0 && s.ix < x0)))
         : q < y0 || (q == y0 && (s.ix < x0 || (s.ix == x0 && s.icf < s.cf)));
  const bool in_win = s.ix >= s.left && s.ix <= s.left + KW - 1;
  const bool need_cur = q >= s.top && q <= s.top + KH - 1 && s.ix <= LCOL &&
                        ((!ox_last && s.ix >= s.left + SW) || (in_win && !emitted));
  return q < 0 || (q < IH && !need_later && !need_cur);
}

// Steps the output position past the word just written; after the frame's last word, to the
// next frame's first, the input pointer's row then counted from that frame.
template <int IH, int CF, int KK, int KG, int SH, int SW, int PT, int PL, int BR, int OH, int OW,
          int FRAME_SLOTS, bool DW>
void step_output(SwgPos& s) {
#pragma HLS INLINE
  bool pixel_done = false;
  if (DW) {
    if (++s.kg == KG) {
      s.kg = 0;
      if (++s.cf == CF) {
        s.cf = 0;
        pixel_done = true;
      }
    }
  } else if (++s.cf == CF) {
    s.cf = 0;
    if (++s.kc == KK) {
      s.kc = 0;
      pixel_done = true;
    }
  }
  if (!pixel_done) return;
  s.left += SW;
  if (++s.ox < OW) return;
  s.ox = 0;
  s.left = -PL;
  if (++s.oy < OH) {
    s.top += SH;
    s.top_slot += SH;
    if (s.top_slot >= BR) s.top_slot -= BR;
    return;
  }
  // Next frame: its first window row, IH - (OH-1)*SH rows below the last one.
  s.oy = 0;
  s.top = -PT;
  s.top_slot += FRAME_SLOTS;
  if (s.top_slot >= BR) s.top_slot -= BR;
  s.iy -= IH;
}

// Steps the input pointer past the word just read.
template <int IW, int CF, int BR, int ROW_WORDS>
void step_input(SwgPos& s) {
#pragma HLS INLINE
  if (++s.in_col == ROW_WORDS) s.in_col = 0;
  if (++s.icf == CF) {
    s.icf = 0;
    if (++s.ix == IW) {
      s.ix = 0;
      s.iy++;
      if (++s.in_slot == BR) s.in_slot = 0;
    }
  }
}

// One frame of the generator over line buffer `buf` from positions `s` (both kept by the
// caller across frames); inlined into swg, whose buffer binding it keeps.
template <int IH, int IW, int C, int KH, int KW, int SH, int SW, int PT, int PB, int PL, int PR,
          int P, int B, int OB, int KP, bool DW, unsigned PADRAW>
void swg_frame(hls::stream<ap_uint<P * B> >& in, hls::stream<ap_uint<KP * P * OB> >& out,
               ap_uint<P * B> (&buf)[KP][KH + SH][IW * (C / P)], SwgPos& s) {
#pragma HLS INLINE
  const int CF = C / P;
  const int OH = (IH + PT + PB - KH) / SH + 1;
  const int OW = (IW + PL + PR - KW) / SW + 1;
  const int KK = KH * KW;
  const int KG = KK / KP;  // kernel groups per channel fold (depthwise order)
  const int BR = KH + SH;
  const int ROW_WORDS = IW * CF;
  const int IN_WORDS = IH * ROW_WORDS;
  const int OUT_WORDS = OH * OW * KK * CF / KP;
  const int LROW = (OH - 1) * SH - PT + KH - 1;  // last row any window reads
  const int LCOL = (OW - 1) * SW - PL + KW - 1;  // last column any window reads
  // Buffer rows (mod BR, a constant: no divider in the loop) from a frame's last window row to
  // the next frame's first.
  const int FRAME_SLOTS = ((IH - (OH - 1) * SH) % BR + BR) % BR;
  // Kernel position k -> its row and column, constants after unrolling.
  int ky_of[KK], kx_of[KK];
#pragma HLS ARRAY_PARTITION variable=ky_of type=complete
#pragma HLS ARRAY_PARTITION variable=kx_of type=complete
  for (int k = 0, ky = 0, kx = 0; k < KK; k++) {
#pragma HLS UNROLL
    ky_of[k] = ky;
    kx_of[k] = kx;
    if (++kx == KW) {
      kx = 0;
      ky++;
    }
  }
  ap_uint<P * OB> pad_word = 0;
  for (int p = 0; p < P; p++) {
#pragma HLS UNROLL
    pad_word.range(p * OB + OB - 1, p * OB) = PADRAW;
  }
  // This frame's words read (some maybe by the previous call) and windows written.
  int reads = s.ahead, writes = 0;
  while (reads < IN_WORDS || writes < OUT_WORDS) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=IN_WORDS max=IN_WORDS+OUT_WORDS
    HALF_TICK(SWG_DEPTH);
    ap_uint<KP * P * OB> word = 0;
    bool can_write = writes < OUT_WORDS;
    const int k0 = DW ? s.kg * KP : s.kc;
    for (int kp = 0; kp < KP; kp++) {
#pragma HLS UNROLL
      const int k = k0 + kp;
      const int y = s.top + ky_of[k], x = s.left + kx_of[k];
      int slot = s.top_slot + ky_of[k];
      if (slot >= BR) slot -= BR;
      ap_uint<P * OB> v = pad_word;
      if (y >= 0 && y < IH && x >= 0 && x < IW) {
        if (!already_read(y, x, s.cf, s.iy, s.ix, s.icf)) can_write = false;
        const ap_uint<P * B> raw = buf[kp][slot][x * CF + s.cf];
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
    const int y0 = s.top + ky_of[k0], x0 = s.left + kx_of[k0];
    const bool can_read =
        input_place_free<IH, KH, KW, SH, SW, BR, OH, OW, LROW, LCOL, DW>(s, y0, x0) &&
        !in.empty();
    // Non-blocking on both sides: a full output never holds the input back, nor the reverse
    // (a blocking write and read in one II=1 iteration couple them, and can deadlock a fork).
    if (can_write && !out.full()) {
      out.write(word);
      writes++;
      step_output<IH, CF, KK, KG, SH, SW, PT, PL, BR, OH, OW, FRAME_SLOTS, DW>(s);
    }
    if (can_read) {
      const ap_uint<P * B> v = in.read();
      for (int kp = 0; kp < KP; kp++) {
#pragma HLS UNROLL
        buf[kp][s.in_slot][s.in_col] = v;
      }
      reads++;
      step_input<IW, CF, BR, ROW_WORDS>(s);
    }
  }
  s.ahead = reads - IN_WORDS;
}

// Where a generator's line buffer lives (the STORE argument, src/stage/swg.rs buffer_store: the
// memory the estimate costed). BIND_STORAGE takes its impl as a literal, so each storage has
// its own branch; STORE is a constant, and only its branch is built.
enum SwgStore { SWG_REGISTERS = 0, SWG_LUTRAM = 1, SWG_BRAM = 2 };

template <int ID, int IH, int IW, int C, int KH, int KW, int SH, int SW, int PT, int PB, int PL,
          int PR, int P, int B, int OB, int KP, bool DW, unsigned PADRAW, int STORE>
void swg(hls::stream<ap_uint<P * B> >& in, hls::stream<ap_uint<KP * P * OB> >& out) {
  const int BR = KH + SH;
  const int ROW_WORDS = IW * (C / P);
  // The buffer row (mod BR, a constant) of the first window's top row.
  const int TOP_SLOT = ((-PT) % BR + BR) % BR;
  static SwgPos s = {0, 0, 0, 0, 0, 0, 0, -PT, -PL, TOP_SLOT, 0, 0, 0, 0};
  typedef ap_uint<P * B> Word;
  if (STORE == SWG_BRAM) {
    static Word buf[KP][BR][ROW_WORDS];
#pragma HLS ARRAY_PARTITION variable=buf type=complete dim=1
#pragma HLS BIND_STORAGE variable=buf type=ram_s2p impl=bram
    swg_frame<IH, IW, C, KH, KW, SH, SW, PT, PB, PL, PR, P, B, OB, KP, DW, PADRAW>(in, out, buf, s);
  } else if (STORE == SWG_LUTRAM) {
    static Word buf[KP][BR][ROW_WORDS];
#pragma HLS ARRAY_PARTITION variable=buf type=complete dim=1
#pragma HLS BIND_STORAGE variable=buf type=ram_s2p impl=lutram
    swg_frame<IH, IW, C, KH, KW, SH, SW, PT, PB, PL, PR, P, B, OB, KP, DW, PADRAW>(in, out, buf, s);
  } else {
    static Word buf[KP][BR][ROW_WORDS];
#pragma HLS ARRAY_PARTITION variable=buf type=complete dim=0
    swg_frame<IH, IW, C, KH, KW, SH, SW, PT, PB, PL, PR, P, B, OB, KP, DW, PADRAW>(in, out, buf, s);
  }
}

}  // namespace half

#endif
