// half-gen HLS layer library: element coding, multiplication and requantisation.
//
// Streams carry packed words: element i of a word occupies bits [i*B, (i+1)*B). Signed
// elements are two's complement; a 1-bit element is bipolar (raw 1 = +1, raw 0 = -1), as in
// FINN. Tensors stream in H, W, C order, P consecutive channels per word.
#ifndef HALF_COMMON_H
#define HALF_COMMON_H

#include "ap.h"
#include "sim.h"

namespace half {

// Greatest common divisor (compile time).
constexpr int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }

// Pipeline depths of the library's loops: cycles from an iteration's reads to the earliest
// cycle the consumer can read its result, the stream's own cycle included (HALF_TICK's
// argument; the cycle simulation makes every write readable `depth` cycles after the iteration
// that made it). They are the Verilog units' (hls/rtl/, whose cycle models in src/stage/ the
// estimate schedules; there a FIFO sits on every edge), so one latency holds for both backends.
const int MAC_DEPTH = 6;     // product, adder tree, accumulator, requantiser, output (half_mvu/vvu)
const int SWG_DEPTH = 1;     // the window word a cycle after its input (half_swg's output register)
const int POOL_DEPTH = 3;    // window max or sum, output queue (half_pool, GLOBAL = 0)
const int GPOOL_DEPTH = 4;   // channel sum, requantiser, output queue (half_pool, GLOBAL = 1)
const int ADD_DEPTH = 3;     // pipeline register, output queue (half_add)
const int CONCAT_DEPTH = 3;  // pipeline register, output queue (half_concat)
const int FORK_DEPTH = 2;    // the copy register (half_fork)
const int AXIS_IN_DEPTH = 2;   // the port register (half_axis_in)
// The port register (half_axis_out), which the Verilog feeds from the last layer directly: here
// the stream before it stands in for it.
const int AXIS_OUT_DEPTH = 1;
// The shift register, read and written in one iteration (half_dwc), behind its input stream
// (the two-word queue the Verilog has in front of every half_dwc).
const int DWC_DEPTH = 2;

// Decoded value of a B-bit element: always a signed type wide enough (bipolar: ap_int<2>).
template <int B, bool S>
struct Elem {
  typedef ap_int<B + 1> T;
  static T decode(ap_uint<B> raw) {
    ap_uint<B> u = raw;
    T v = u;
    return v;
  }
};
template <int B>
struct Elem<B, true> {
  typedef ap_int<B> T;
  static T decode(ap_uint<B> raw) {
    T v = raw;
    return v;
  }
};
template <>
struct Elem<1, false> {
  typedef ap_int<2> T;
  static T decode(ap_uint<1> raw) { return raw == 1 ? T(1) : T(-1); }
};
template <>
struct Elem<1, true> {
  typedef ap_int<2> T;
  static T decode(ap_uint<1> raw) { return raw == 1 ? T(1) : T(-1); }
};

// Element i of a packed word.
template <int B, int W>
ap_uint<B> field(const ap_uint<W>& word, int i) {
#pragma HLS INLINE
  ap_uint<B> v = word.range(i * B + B - 1, i * B);
  return v;
}

// Multiplier styles (the folding's `mult`): fabric LUTs, DSP slices, or DSP slices that each
// compute LANES products of neighbouring PEs, L bits apart (the matrix unit's products(),
// hls/include/half/mvu.h).
struct MulLut {};
struct MulDsp {};
// A constant scale's multiply placed by synthesis (the folding's `scale: dsp`: a DSP slice when
// the product is wide enough); `scale: lut` is MulLut.
struct MulAuto {};
template <int LANES, int L>
struct MulPacked {};

// One product w*x with the requested implementation.
template <class STYLE, int PB, class TW, class TX>
struct Mul;
template <int PB, class TW, class TX>
struct Mul<MulLut, PB, TW, TX> {
  static ap_int<PB> run(TW w, TX x) {
#pragma HLS INLINE
    ap_int<PB> p = w * x;
#pragma HLS BIND_OP variable=p op=mul impl=fabric
    return p;
  }
};
template <int PB, class TW, class TX>
struct Mul<MulDsp, PB, TW, TX> {
  static ap_int<PB> run(TW w, TX x) {
#pragma HLS INLINE
    ap_int<PB> p = w * x;
#pragma HLS BIND_OP variable=p op=mul impl=dsp
    return p;
  }
};

template <int PB, class TW, class TX>
struct Mul<MulAuto, PB, TW, TX> {
  static ap_int<PB> run(TW w, TX x) {
#pragma HLS INLINE
    ap_int<PB> p = w * x;
    return p;
  }
};

// A packed style multiplying one product (outside the matrix unit) is a DSP product.
template <int LANES, int L, int PB, class TW, class TX>
struct Mul<MulPacked<LANES, L>, PB, TW, TX> : Mul<MulDsp, PB, TW, TX> {};

// Product of raw weight and activation elements; bipolar x bipolar is an XNOR.
template <class STYLE, int WB, bool WS, int XB, bool XS>
struct Product {
  static const int PB = WB + XB + 2;
  static ap_int<PB> run(ap_uint<WB> w, ap_uint<XB> x) {
#pragma HLS INLINE
    return Mul<STYLE, PB, typename Elem<WB, WS>::T, typename Elem<XB, XS>::T>::run(
        Elem<WB, WS>::decode(w), Elem<XB, XS>::decode(x));
  }
};
template <class STYLE>
struct Product<STYLE, 1, false, 1, false> {
  static const int PB = 2;
  static ap_int<2> run(ap_uint<1> w, ap_uint<1> x) {
#pragma HLS INLINE
    return w == x ? ap_int<2>(1) : ap_int<2>(-1);
  }
};

// The model format's requantisation of a value `v` already multiplied by its scale:
// v = (v + (shift > 0 ? 1 << (shift-1) : 0)) >> shift; relu; saturate (bipolar: sign).
// Returns the raw OB-bit element.
template <int VB, int OB, bool OS, bool RELU>
ap_uint<OB> finish(ap_int<VB> v, int shift) {
#pragma HLS INLINE
  ap_int<VB + 1> t = v;
  if (shift > VB) {
    // |v| < 2^(VB-1), so v + 2^(shift-1) lies in [2^(shift-2), 2^shift): the result is 0 (and
    // the rounding constant would not fit VB + 1 bits).
    t = 0;
  } else {
    if (shift > 0) {
      ap_int<VB + 1> one = 1;
      t += one << (shift - 1);
    }
    t >>= shift;
  }
  if (RELU && t < 0) t = 0;
  if (OB == 1) return t >= 0 ? ap_uint<OB>(1) : ap_uint<OB>(0);
  const long long hi = OS ? (1LL << (OB - 1)) - 1 : (1LL << OB) - 1;
  const long long lo = OS ? -(1LL << (OB - 1)) : 0;
  if (t > hi) t = hi;
  if (t < lo) t = lo;
  ap_uint<OB> raw = t.range(OB - 1, 0);
  return raw;
}

// Requantiser of one accumulator with scale `s` (SB-bit signed) and `shift`, the product
// placed as SSTYLE says (MulLut: fabric, MulAuto: synthesis decides).
template <int ACC, int SB, int OB, bool OS, bool RELU, class SSTYLE>
ap_uint<OB> requant(ap_int<ACC> acc, ap_int<SB> s, int shift) {
#pragma HLS INLINE
  ap_int<ACC + SB> v = Mul<SSTYLE, ACC + SB, ap_int<ACC>, ap_int<SB> >::run(acc, s);
  return finish<ACC + SB, OB, OS, RELU>(v, shift);
}

// A layer without requantiser outputs its accumulator (relu applied when asked).
template <int ACC, int OB, bool RELU>
ap_uint<OB> passthrough(ap_int<ACC> acc) {
#pragma HLS INLINE
  ap_int<ACC + 1> t = acc;
  if (RELU && t < 0) t = 0;
  ap_uint<OB> raw = t.range(OB - 1, 0);
  return raw;
}

// Threshold requantisation (docs/model-format.md 9.1), the SSTYLE tag of a unit whose layer
// requantises by thresholds: NT sorted thresholds per channel, BIAS the level of an accumulator
// below all of them, SEARCH a binary search (else a comparator per threshold and their count;
// the cost model picks the smaller, src/stage/requant.rs).
template <int NT, int BIAS, bool SEARCH>
struct Thresholds {};

// The number of the NT sorted thresholds `t` (TB-bit signed, TB = ACC + 1) that `acc` reaches.
template <int ACC, int NT, bool SEARCH, class ROW>
int thresholds_passed(ap_int<ACC> acc, const ROW& t) {
#pragma HLS INLINE
  const ap_int<ACC + 1> a = acc;
  int count = 0;
  if (!SEARCH) {
    for (int i = 0; i < NT; i++) {
#pragma HLS UNROLL
      count += a >= t[i] ? 1 : 0;
    }
    return count;
  }
  // Binary search: step s decides bit CB-1-s of the count (the position of the first
  // threshold above acc), probing threshold count + step - 1 when it exists.
  for (int step = 1 << 8; step > 0; step >>= 1) {
#pragma HLS UNROLL
    if (step > NT) continue;
    const int probe = count + step;
    if (probe <= NT && a >= t[probe - 1]) count = probe;
  }
  return count;
}

// The level BIAS + count, relu, then saturation to the output type (bipolar: the sign).
template <int OB, bool OS, bool RELU>
ap_uint<OB> level_out(int level) {
#pragma HLS INLINE
  long long v = level;
  if (RELU && v < 0) v = 0;
  if (OB == 1) return v >= 0 ? ap_uint<OB>(1) : ap_uint<OB>(0);
  const long long hi = OS ? (1LL << (OB - 1)) - 1 : (1LL << OB) - 1;
  const long long lo = OS ? -(1LL << (OB - 1)) : 0;
  if (v > hi) v = hi;
  if (v < lo) v = lo;
  ap_int<OB + 1> t = v;
  ap_uint<OB> raw = t.range(OB - 1, 0);
  return raw;
}

// The requantiser a unit's SSTYLE names: a scale and shift (MulLut, MulAuto) or thresholds.
template <class SSTYLE>
struct Requantiser {
  // Requantised with the per-channel scale and shift (NQ entries), or with the per-tensor ones
  // (NQ = 1), template arguments SCALE0 and SHIFT0 that synthesis folds (a constant
  // multiplier, a shift that is wiring; the one-entry arrays are then unused), or passed
  // through when HAS_RQ is false. SSTYLE places the constant scale's multiply (per-channel
  // scales are always MulAuto).
  template <bool HAS_RQ, int ACC, int SB, int NQ, int OB, bool OS, bool RELU, int SCALE0,
            int SHIFT0, class SCALES, class SHIFTS>
  static ap_uint<OB> run(ap_int<ACC> acc, int ch, const SCALES& scale, const SHIFTS& shift) {
#pragma HLS INLINE
    if (!HAS_RQ) return passthrough<ACC, OB, RELU>(acc);
    if (NQ == 1) return requant<ACC, SB, OB, OS, RELU, SSTYLE>(acc, ap_int<SB>(SCALE0), SHIFT0);
    return requant<ACC, SB, OB, OS, RELU, MulAuto>(acc, scale[ch], shift[ch]);
  }
};

template <int NT, int BIAS, bool SEARCH>
struct Requantiser<Thresholds<NT, BIAS, SEARCH> > {
  // `scale` is the thresholds table, [channels][NT]; `shift` is unused.
  template <bool HAS_RQ, int ACC, int SB, int NQ, int OB, bool OS, bool RELU, int SCALE0,
            int SHIFT0, class SCALES, class SHIFTS>
  static ap_uint<OB> run(ap_int<ACC> acc, int ch, const SCALES& scale, const SHIFTS&) {
#pragma HLS INLINE
    return level_out<OB, OS, RELU>(BIAS + thresholds_passed<ACC, NT, SEARCH>(acc, scale[ch]));
  }
};

// Output element of channel `ch` from its accumulator, as the unit's requantiser (SSTYLE)
// computes it.
template <bool HAS_RQ, int ACC, int SB, int NQ, int OB, bool OS, bool RELU, int SCALE0, int SHIFT0,
          class SSTYLE, class SCALES, class SHIFTS>
ap_uint<OB> output(ap_int<ACC> acc, int ch, const SCALES& scale, const SHIFTS& shift) {
#pragma HLS INLINE
  return Requantiser<SSTYLE>::template run<HAS_RQ, ACC, SB, NQ, OB, OS, RELU, SCALE0, SHIFT0>(
      acc, ch, scale, shift);
}

}  // namespace half

#endif
