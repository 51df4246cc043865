// Host-only stand-in for the Xilinx arbitrary precision integer header (ap_int.h).
//
// Lets the C simulation that half-gen emits build with a plain C++14 compiler (g++ -std=c++14
// -O2 -Wall -Wextra -Werror) when Vitis HLS is not installed. Written from the documented
// behaviour of ap_int/ap_uint (UG1399, "Arbitrary Precision Data Types"); it covers the subset
// half-gen uses, not the whole official API. Put the official headers first on the include path
// to use them instead; code that keeps to the API described here builds against both. Namespace
// ap_host and the other public members of ap_int_base (limbs_, ext(), shl(), ...) are
// implementation details.
//
// Representation: W bits in ceil(W/64) little-endian uint64_t limbs. Invariant (both ap_int and
// ap_uint): the limbs hold the W-bit two's complement pattern and every bit at or above W is zero.
// Signedness is applied when a value is read (sign extension happens in ext()).
//
// Result widths of binary operators follow the official rules (W1,S1 op W2,S2; built-in integers
// act as ap types of their own width and signedness, bool as ap_uint<1>):
//   a + b : max(W1 + (S2 && !S1), W2 + (S1 && !S2)) + 1 bits, signed if either is signed
//   a - b : same width, always signed
//   a * b : W1 + W2 bits, signed if either is signed
//   a / b : W1 + S2 bits, signed if either is signed          (operands of at most 64 bits)
//   a % b : min(W1, W2 + (S1 && !S2)) bits, signedness of a     (operands of at most 64 bits)
//   a & b, a | b, a ^ b : max(W1 + (S2 && !S1), W2 + (S1 && !S2)) bits, signed if either is
//   a << n, a >> n : the type of a (>> is arithmetic for ap_int); a negative signed n shifts the
//                    other way
//   -a : ap_int<W+1>;  ~a, +a : the type of a;  comparisons: bool
// A range x.range(hi, lo) (or x(hi, lo)) reads as the unsigned value ap_uint<W> (W of x). As in
// the official header, when a range of a signed x meets an ap value (not a built-in integer, a
// bit or another range) the result type is worked out as if the range were signed (its value
// stays unsigned). A bit x[i] reads as bool; next to an ap value it acts as ap_uint<1>.
// ap values convert implicitly to long long (ap_int) / unsigned long long (ap_uint), wider values
// to their low 64 bits, as in the official header.
//
// Known differences from the official header (checked against the hls4ml copy of it):
//   * Comparisons, / and % between a signed and an unsigned operand are exact (mathematical).
//     The official header gives C-like (wrapped) answers for several such cases, for example
//     ap_uint<32>(1) > ap_int<32>(-1) is false, ap_uint<64>(~0ULL) == -1 and ap_uint<200>(5) < -3
//     are true, ap_uint<32>(5) / ap_int<8>(-2) is 0 and ap_uint<8>(5) % ap_int<8>(-2) is 5
//     there (here: true, false, false, -2, 1). Same-sign operands agree.
//   * Values wider than 64 bits print as hex ("0x..", "-0x.." when negative); the official header
//     prints decimal. Values of at most 64 bits print decimal as there.
//   * A default-constructed value is zero (the official one is uninitialised).
//   * No floating point constructors/conversions, no to_string(), no and_reduce() etc., no
//     ap_fixed. / and % need operands of at most 64 bits (static_assert); + - * work at any width.
//   * ++x and x op= y return ap_int_base<W,S>& as there; x++ returns ap_int<W>/ap_uint<W>.
//   * &=, |=, ^= with operands of different widths do not print the official "Bitsize mismatch"
//     warning. A bad bit index or range aborts with a message.
//   * sizeof(ap_uint<W>) is 8 * ceil(W / 64) (the official type is sized differently).

#ifndef HALF_HOST_AP_INT_H
#define HALF_HOST_AP_INT_H

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <string>
#include <type_traits>

#ifndef AP_INT_MAX_W
#define AP_INT_MAX_W 1024
#endif

static_assert(AP_INT_MAX_W >= 1 && AP_INT_MAX_W <= 4096,
              "host ap_int shim: AP_INT_MAX_W must be between 1 and 4096");

template <int W, bool S> struct ap_int_base;
template <int W, bool S> class ap_range_cref;
template <int W, bool S> class ap_range_ref;
template <int W, bool S> class ap_bit_ref;
template <int W> struct ap_int;
template <int W> struct ap_uint;

namespace ap_host {

typedef std::uint64_t limb;
__extension__ typedef __int128 s128;
__extension__ typedef unsigned __int128 u128;

constexpr int imax(int a, int b) { return a > b ? a : b; }
constexpr int imin(int a, int b) { return a < b ? a : b; }
constexpr int nlimbs(int w) { return (w + 63) / 64; }
constexpr limb top_mask(int w) { return (w % 64 == 0) ? ~limb(0) : ((limb(1) << (w % 64)) - 1); }

// Shift amounts are clamped to this magnitude (far above any legal width).
constexpr long long kShiftLimit = 1LL << 20;

[[noreturn]] inline void fatal(const char* what, long long a, long long b) {
  std::fflush(stdout);
  std::fprintf(stderr, "ap_int (host shim): %s (%lld, %lld)\n", what, a, b);
  std::abort();
}

template <int W, bool S> struct select_type { typedef ap_int<W> type; };
template <int W> struct select_type<W, false> { typedef ap_uint<W> type; };

template <class...> struct voider { typedef void type; };

// How a type takes part in a binary expression with ap values. `ok`: usable as an operand;
// `primary`: makes the expression an ap expression (ap values and ranges; built-in integers and
// bit references only join one). `value` is the ap_int_base the operand reads as.
enum opnd_kind { kBuiltin, kValue, kRange, kBit, kOther };

template <class T, class = void> struct opnd {
  static constexpr bool ok = false;
  static constexpr bool primary = false;
  static constexpr opnd_kind kind = kOther;
};

template <class T>
struct opnd<T, typename std::enable_if<std::is_integral<T>::value>::type> {
  static constexpr bool ok = true;
  static constexpr bool primary = false;
  static constexpr opnd_kind kind = kBuiltin;
  typedef ap_int_base<std::is_same<T, bool>::value ? 1 : int(sizeof(T) * CHAR_BIT),
                      std::is_signed<T>::value>
      value;
  template <class U> static value get(U x) { return value(x); }
};

template <class T> struct opnd<T, typename voider<typename T::ap_host_value_tag>::type> {
  static constexpr bool ok = true;
  static constexpr bool primary = true;
  static constexpr opnd_kind kind = kValue;
  typedef typename T::ap_host_value_tag value;
  template <class U> static const value& get(const U& x) { return x; }
};

template <class T> struct opnd<T, typename voider<typename T::ap_host_range_tag>::type> {
  static constexpr bool ok = true;
  static constexpr bool primary = true;
  static constexpr opnd_kind kind = kRange;
  static constexpr bool parent_sign = T::ap_host_parent_sign;
  typedef typename T::ap_host_range_tag value;
  template <class U> static value get(const U& x) { return x.get(); }
};

template <class T> struct opnd<T, typename voider<typename T::ap_host_bit_tag>::type> {
  static constexpr bool ok = true;
  static constexpr bool primary = false;
  static constexpr opnd_kind kind = kBit;
  typedef typename T::ap_host_bit_tag value;  // ap_int_base<1, false>
  template <class U> static value get(const U& x) { return value(x.get()); }
};

// Signedness an operand contributes to a result type. A range reads as an unsigned value, but
// next to an ap value (not a built-in, bit or another range) the official header types it with
// the signedness of the object it was taken from; mirrored here so results wrap the same way.
template <class T, class Other, bool IsRangeNextToValue =
                                    opnd<T>::kind == kRange && opnd<Other>::kind == kValue>
struct type_sign {
  static constexpr bool value = opnd<T>::value::sign;
};
template <class T, class Other> struct type_sign<T, Other, true> {
  static constexpr bool value = opnd<T>::parent_sign;
};

template <class A, class B,
          bool En = opnd<A>::ok && opnd<B>::ok && (opnd<A>::primary || opnd<B>::primary)>
struct binop {};

template <class A, class B> struct binop<A, B, true> {
  typedef typename opnd<A>::value VA;
  typedef typename opnd<B>::value VB;
  static constexpr int w1 = VA::width;
  static constexpr int w2 = VB::width;
  static constexpr bool s1 = type_sign<A, B>::value;
  static constexpr bool s2 = type_sign<B, A>::value;
  static constexpr int plus_w = imax(w1 + (s2 && !s1), w2 + (s1 && !s2)) + 1;
  static constexpr int logic_w = imax(w1 + (s2 && !s1), w2 + (s1 && !s2));
  typedef typename select_type<plus_w, s1 || s2>::type plus;
  typedef typename select_type<plus_w, true>::type minus;
  typedef typename select_type<w1 + w2, s1 || s2>::type mult;
  typedef typename select_type<w1 + s2, s1 || s2>::type div;
  typedef typename select_type<imin(w1, w2 + (s1 && !s2)), s1>::type mod;
  typedef typename select_type<logic_w, s1 || s2>::type logic;
  typedef bool cmp;
};

template <class A, class B, bool En = opnd<A>::primary && opnd<B>::ok> struct shiftop {};
template <class A, class B> struct shiftop<A, B, true> {
  typedef typename opnd<A>::value VA;
  typedef typename select_type<VA::width, type_sign<A, B>::value>::type type;
};

}  // namespace ap_host

// Implicit conversion to long long (ap_int) / unsigned long long (ap_uint), as in the official
// header. Wider values convert to their low 64 bits (sign-extended pattern), as there too.
namespace ap_host {
template <int W, bool S> struct conv;
template <int W> struct conv<W, true> {
  operator long long() const { return static_cast<const ap_int_base<W, true>*>(this)->to_int64(); }
};
template <int W> struct conv<W, false> {
  operator unsigned long long() const {
    return static_cast<const ap_int_base<W, false>*>(this)->to_uint64();
  }
};
}  // namespace ap_host

template <int W, bool S> struct ap_int_base : ap_host::conv<W, S> {
  static_assert(W >= 1, "ap_int/ap_uint width must be at least 1");
  static_assert(W <= AP_INT_MAX_W,
                "ap_int/ap_uint width exceeds AP_INT_MAX_W (default 1024): #define AP_INT_MAX_W "
                "(at most 4096) before including ap_int.h");

  typedef ap_host::limb limb;
  typedef ap_int_base ap_host_value_tag;
  static constexpr int width = W;
  static constexpr bool sign = S;
  static constexpr int N = ap_host::nlimbs(W);
  static constexpr limb TOP = ap_host::top_mask(W);

  // Implementation detail (public so the proxies and free operators can reach it).
  limb limbs_[N];

  // ---- construction -------------------------------------------------------------------------
  constexpr ap_int_base() : limbs_() {}
  constexpr ap_int_base(bool x) : limbs_() { set_builtin(x); }
  constexpr ap_int_base(char x) : limbs_() { set_builtin(x); }
  constexpr ap_int_base(signed char x) : limbs_() { set_builtin(x); }
  constexpr ap_int_base(unsigned char x) : limbs_() { set_builtin(x); }
  constexpr ap_int_base(short x) : limbs_() { set_builtin(x); }
  constexpr ap_int_base(unsigned short x) : limbs_() { set_builtin(x); }
  constexpr ap_int_base(int x) : limbs_() { set_builtin(x); }
  constexpr ap_int_base(unsigned int x) : limbs_() { set_builtin(x); }
  constexpr ap_int_base(long x) : limbs_() { set_builtin(x); }
  constexpr ap_int_base(unsigned long x) : limbs_() { set_builtin(x); }
  constexpr ap_int_base(long long x) : limbs_() { set_builtin(x); }
  constexpr ap_int_base(unsigned long long x) : limbs_() { set_builtin(x); }
  template <int W2, bool S2> ap_int_base(const ap_int_base<W2, S2>& o) { assign_ap(o); }
  // From a string of digits in radix 2 or 16 (an optional 0x/0b prefix is skipped), as the
  // official header's `ap_uint<W>("ff00", 16)`; higher digits than W bits are dropped.
  constexpr ap_int_base(const char* str, signed char radix) : limbs_() {
    const int bits = radix == 16 ? 4 : radix == 2 ? 1 : 0;
    if (bits == 0) ap_host::fatal("ap_int string radix must be 2 or 16", radix, 0);
    if (str[0] == '0' && (str[1] == 'x' || str[1] == 'X' || str[1] == 'b' || str[1] == 'B')) str += 2;
    int n = 0;
    while (str[n]) ++n;
    for (int i = 0; i < n; ++i) {
      const char c = str[n - 1 - i];
      const int d = c >= '0' && c <= '9' ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0 || d >= radix) ap_host::fatal("bad digit in ap_int string at position", i, radix);
      for (int b = 0; b < bits; ++b) {
        const int pos = i * bits + b;
        if (pos < W && ((d >> b) & 1)) limbs_[pos / 64] |= ap_host::limb(1) << (pos % 64);
      }
    }
    normalize();
  }
  template <int W2, bool S2> ap_int_base(const ap_range_cref<W2, S2>& r) {
    if (N == 1) {
      // One limb: the range's low 64 bits straight from its parent (the hot path of field()).
      limbs_[0] = r.low64();
      normalize();
    } else {
      assign_ap(r.get());
    }
  }
  template <int W2, bool S2> ap_int_base(const ap_bit_ref<W2, S2>& b) { set_builtin(b.get()); }

  template <class T>
  typename std::enable_if<ap_host::opnd<T>::ok, ap_int_base&>::type operator=(const T& x) {
    assign_ap(ap_host::opnd<T>::get(x));
    return *this;
  }

  // ---- raw access ---------------------------------------------------------------------------
  constexpr void normalize() { limbs_[N - 1] &= TOP; }
  bool is_neg() const { return S && ((limbs_[N - 1] >> ((W - 1) % 64)) & 1); }
  // Limb i of the value sign- (ap_int) or zero- (ap_uint) extended to infinite width.
  limb ext(int i) const {
    const limb fill = is_neg() ? ~limb(0) : limb(0);
    if (static_cast<unsigned>(i) < static_cast<unsigned>(N - 1)) return limbs_[i];
    if (i == N - 1) return limbs_[N - 1] | (fill & ~TOP);
    return fill;
  }
  bool iszero() const {
    for (int i = 0; i < N; ++i)
      if (limbs_[i]) return false;
    return true;
  }

  template <class T> constexpr void set_builtin(T x) {
    const bool neg = std::is_signed<T>::value && static_cast<long long>(x) < 0;
    limbs_[0] = static_cast<limb>(x);  // modulo 2^64: the sign-extended pattern
    for (int i = 1; i < N; ++i) limbs_[i] = neg ? ~limb(0) : limb(0);
    normalize();
  }
  template <int W2, bool S2> void assign_ap(const ap_int_base<W2, S2>& o) {
    for (int i = 0; i < N; ++i) limbs_[i] = o.ext(i);
    normalize();
  }
  void set_s128(ap_host::s128 v) {
    const ap_host::u128 u = static_cast<ap_host::u128>(v);
    limbs_[0] = static_cast<limb>(u);
    for (int i = 1; i < N; ++i)
      limbs_[i] = (i == 1) ? static_cast<limb>(u >> 64) : (v < 0 ? ~limb(0) : limb(0));
    normalize();
  }
  ap_host::s128 get_s128() const {
    return S ? static_cast<ap_host::s128>(to_int64()) : static_cast<ap_host::s128>(to_uint64());
  }

  // ---- conversions --------------------------------------------------------------------------
  int to_int() const { return static_cast<int>(to_int64()); }
  unsigned to_uint() const { return static_cast<unsigned>(ext(0)); }
  long to_long() const { return static_cast<long>(to_int64()); }
  unsigned long to_ulong() const { return static_cast<unsigned long>(ext(0)); }
  long long to_int64() const { return static_cast<long long>(ext(0)); }
  unsigned long long to_uint64() const { return ext(0); }
  bool to_bool() const { return !iszero(); }
  int length() const { return W; }
  bool operator!() const { return iszero(); }

  // ---- bits and ranges ----------------------------------------------------------------------
  void check_bit(int i) const {
    if (i < 0 || i >= W) ap_host::fatal("bit index out of range [0, W)", i, W);
  }
  void check_range(int hi, int lo) const {
    if (lo < 0 || hi >= W || hi < lo) ap_host::fatal("range(hi, lo) needs W > hi >= lo >= 0", hi, lo);
  }
  bool get_bit_raw(int i) const { return (limbs_[i / 64] >> (i % 64)) & 1; }
  void set_bit_raw(int i, bool b) {
    const limb m = limb(1) << (i % 64);
    if (b)
      limbs_[i / 64] |= m;
    else
      limbs_[i / 64] &= ~m;
  }
  // out (N limbs) = bits [lo, hi] shifted down to bit 0.
  void get_range_raw(int hi, int lo, limb* out) const {
    const int len = hi - lo + 1, q = lo / 64, r = lo % 64;
    for (int i = 0; i < N; ++i) {
      const limb a = (i + q < N) ? limbs_[i + q] : 0;
      const limb b = (r != 0 && i + q + 1 < N) ? limbs_[i + q + 1] : 0;
      limb v = r ? ((a >> r) | (b << (64 - r))) : a;
      const int base = i * 64;
      if (base >= len)
        v = 0;
      else if (len - base < 64)
        v &= (limb(1) << (len - base)) - 1;
      out[i] = v;
    }
  }
  // Bits [lo, hi] = the low hi-lo+1 bits of src (src sign/zero extended as needed).
  template <int W2, bool S2> void set_range_raw(int hi, int lo, const ap_int_base<W2, S2>& src) {
    const int len = hi - lo + 1;
    for (int k = 0; k < len;) {
      const int dst = lo + k, di = dst / 64, dr = dst % 64;
      const int take = ap_host::imin(64 - dr, len - k);
      const int si = k / 64, sr = k % 64;
      limb bits = src.ext(si) >> sr;
      if (sr != 0 && take > 64 - sr) bits |= src.ext(si + 1) << (64 - sr);
      const limb m = (take == 64) ? ~limb(0) : ((limb(1) << take) - 1);
      limbs_[di] = (limbs_[di] & ~(m << dr)) | ((bits & m) << dr);
      k += take;
    }
  }

  ap_range_ref<W, S> range(int hi, int lo) { return ap_range_ref<W, S>(this, hi, lo); }
  ap_range_cref<W, S> range(int hi, int lo) const { return ap_range_cref<W, S>(this, hi, lo); }
  ap_range_ref<W, S> range() { return range(W - 1, 0); }
  ap_range_cref<W, S> range() const { return range(W - 1, 0); }
  ap_range_ref<W, S> operator()(int hi, int lo) { return range(hi, lo); }
  ap_range_cref<W, S> operator()(int hi, int lo) const { return range(hi, lo); }

  ap_bit_ref<W, S> operator[](int i) { return ap_bit_ref<W, S>(this, i); }
  bool operator[](int i) const { return get_bit(i); }
  ap_bit_ref<W, S> bit(int i) { return ap_bit_ref<W, S>(this, i); }
  bool bit(int i) const { return get_bit(i); }
  bool get_bit(int i) const {
    check_bit(i);
    return get_bit_raw(i);
  }
  void set_bit(int i, bool b) {
    check_bit(i);
    set_bit_raw(i, b);
  }

  // ---- shifts -------------------------------------------------------------------------------
  ap_int_base shl(long long n) const {  // n >= 0
    ap_int_base r;
    if (n >= W) return r;
    const int q = static_cast<int>(n / 64), s = static_cast<int>(n % 64);
    for (int i = N - 1; i >= 0; --i) {
      const int src = i - q;
      const limb a = src >= 0 ? limbs_[src] : 0;
      const limb b = (s != 0 && src - 1 >= 0) ? limbs_[src - 1] : 0;
      r.limbs_[i] = s ? ((a << s) | (b >> (64 - s))) : a;
    }
    r.normalize();
    return r;
  }
  ap_int_base shr(long long n) const {  // n >= 0; arithmetic for signed values
    ap_int_base r;
    if (n > W) n = W;
    const int q = static_cast<int>(n / 64), s = static_cast<int>(n % 64);
    for (int i = 0; i < N; ++i) {
      const limb a = ext(i + q);
      r.limbs_[i] = s ? ((a >> s) | (ext(i + q + 1) << (64 - s))) : a;
    }
    r.normalize();
    return r;
  }

  // ---- increments and compound assignment (defined after the free operators) ---------------
  ap_int_base& operator++() {
    for (int i = 0; i < N; ++i)
      if (++limbs_[i] != 0) break;
    normalize();
    return *this;
  }
  ap_int_base& operator--() {
    for (int i = 0; i < N; ++i)
      if (limbs_[i]-- != 0) break;
    normalize();
    return *this;
  }
  typename ap_host::select_type<W, S>::type operator++(int) {
    typename ap_host::select_type<W, S>::type old(*this);
    ++*this;
    return old;
  }
  typename ap_host::select_type<W, S>::type operator--(int) {
    typename ap_host::select_type<W, S>::type old(*this);
    --*this;
    return old;
  }

#define AP_HOST_COMPOUND(OP)                                                                    \
  template <class T>                                                                            \
  typename std::enable_if<ap_host::opnd<T>::ok, ap_int_base&>::type operator OP##=(const T& x) { \
    return *this = (*this OP x);                                                                \
  }
  AP_HOST_COMPOUND(+)
  AP_HOST_COMPOUND(-)
  AP_HOST_COMPOUND(*)
  AP_HOST_COMPOUND(/)
  AP_HOST_COMPOUND(%)
  AP_HOST_COMPOUND(&)
  AP_HOST_COMPOUND(|)
  AP_HOST_COMPOUND(^)
  AP_HOST_COMPOUND(<<)
  AP_HOST_COMPOUND(>>)
#undef AP_HOST_COMPOUND
};

// ---- range and bit proxies ---------------------------------------------------------------------

// Read-only view of bits [lo, hi] of an ap value; reads as ap_uint<W>.
template <int W, bool S> class ap_range_cref {
 public:
  typedef ap_int_base<W, false> ap_host_range_tag;
  static constexpr bool ap_host_parent_sign = S;

  ap_range_cref(const ap_int_base<W, S>* obj, int hi, int lo) : obj_(obj), hi_(hi), lo_(lo) {
    obj->check_range(hi, lo);
  }

  ap_int_base<W, false> get() const {
    ap_int_base<W, false> r;
    obj_->get_range_raw(hi_, lo_, r.limbs_);
    return r;
  }
  operator unsigned long long() const { return get().to_uint64(); }
  // The low 64 bits of the range's value, read from at most two limbs of the parent.
  ap_host::limb low64() const {
    const int q = lo_ / 64, s = lo_ % 64, len = hi_ - lo_ + 1;
    ap_host::limb v = obj_->limbs_[q] >> s;
    if (s != 0 && q + 1 < ap_int_base<W, S>::N) v |= obj_->limbs_[q + 1] << (64 - s);
    if (len < 64) v &= (ap_host::limb(1) << len) - 1;
    return v;
  }
  int length() const { return hi_ - lo_ + 1; }
  int to_int() const { return get().to_int(); }
  unsigned to_uint() const { return get().to_uint(); }
  long to_long() const { return get().to_long(); }
  unsigned long to_ulong() const { return get().to_ulong(); }
  long long to_int64() const { return get().to_int64(); }
  unsigned long long to_uint64() const { return get().to_uint64(); }
  bool to_bool() const { return get().to_bool(); }

 protected:
  const ap_int_base<W, S>* obj_;
  int hi_, lo_;
};

// Writable view of bits [lo, hi]: assigning writes the low hi-lo+1 bits of the source.
template <int W, bool S> class ap_range_ref : public ap_range_cref<W, S> {
 public:
  ap_range_ref(ap_int_base<W, S>* obj, int hi, int lo) : ap_range_cref<W, S>(obj, hi, lo) {}
  ap_range_ref(const ap_range_ref&) = default;

  ap_range_ref& operator=(const ap_range_ref& o) {
    store(o.get());
    return *this;
  }
  template <class T>
  typename std::enable_if<ap_host::opnd<T>::ok, ap_range_ref&>::type operator=(const T& x) {
    store(ap_host::opnd<T>::get(x));
    return *this;
  }

 private:
  template <int W2, bool S2> void store(const ap_int_base<W2, S2>& v) {
    const_cast<ap_int_base<W, S>*>(this->obj_)->set_range_raw(this->hi_, this->lo_, v);
  }
};

// Reference to one bit; reads as bool, assigning writes (source != 0).
template <int W, bool S> class ap_bit_ref {
 public:
  typedef ap_int_base<1, false> ap_host_bit_tag;

  ap_bit_ref(ap_int_base<W, S>* obj, int i) : obj_(obj), i_(i) { obj->check_bit(i); }
  ap_bit_ref(const ap_bit_ref&) = default;

  ap_bit_ref& operator=(const ap_bit_ref& o) { return *this = o.get(); }
  ap_bit_ref& operator=(bool b) {
    obj_->set_bit_raw(i_, b);
    return *this;
  }
  template <int W2, bool S2> ap_bit_ref& operator=(const ap_bit_ref<W2, S2>& o) {
    return *this = o.get();
  }
  template <int W2, bool S2> ap_bit_ref& operator=(const ap_int_base<W2, S2>& v) {
    return *this = !v.iszero();
  }

  bool get() const { return obj_->get_bit_raw(i_); }
  operator bool() const { return get(); }
  bool to_bool() const { return get(); }
  bool operator~() const { return !get(); }
  int length() const { return 1; }

 private:
  ap_int_base<W, S>* obj_;
  int i_;
};

// ---- ap_int / ap_uint ----------------------------------------------------------------------------

#define AP_HOST_DERIVED_BODY(CLS, SIGNED)                                                        \
  typedef ap_int_base<W, SIGNED> Base;                                                         \
  constexpr CLS() {}                                                                                   \
  constexpr CLS(bool x) : Base(x) {}                                                                     \
  constexpr CLS(char x) : Base(x) {}                                                                     \
  constexpr CLS(signed char x) : Base(x) {}                                                              \
  constexpr CLS(unsigned char x) : Base(x) {}                                                            \
  constexpr CLS(short x) : Base(x) {}                                                                    \
  constexpr CLS(unsigned short x) : Base(x) {}                                                           \
  constexpr CLS(int x) : Base(x) {}                                                                      \
  constexpr CLS(unsigned int x) : Base(x) {}                                                             \
  constexpr CLS(long x) : Base(x) {}                                                                     \
  constexpr CLS(unsigned long x) : Base(x) {}                                                            \
  constexpr CLS(long long x) : Base(x) {}                                                                \
  constexpr CLS(unsigned long long x) : Base(x) {}                                                       \
  template <int W2, bool S2> CLS(const ap_int_base<W2, S2>& o) : Base(o) {}                    \
  constexpr CLS(const char* str, signed char radix) : Base(str, radix) {}                                \
  template <int W2, bool S2> CLS(const ap_range_cref<W2, S2>& r) : Base(r) {}                  \
  template <int W2, bool S2> CLS(const ap_bit_ref<W2, S2>& b) : Base(b) {}                     \
  template <class T>                                                                           \
  typename std::enable_if<ap_host::opnd<T>::ok, CLS&>::type operator=(const T& x) {             \
    Base::operator=(x);                                                                        \
    return *this;                                                                              \
  }

template <int W> struct ap_int : ap_int_base<W, true> {
  AP_HOST_DERIVED_BODY(ap_int, true)
};

template <int W> struct ap_uint : ap_int_base<W, false> {
  AP_HOST_DERIVED_BODY(ap_uint, false)
};

#undef AP_HOST_DERIVED_BODY

// ---- arithmetic kernels ---------------------------------------------------------------------------

namespace ap_host {

template <int R, bool SR, int W1, bool S1, int W2, bool S2>
void add_sub(ap_int_base<R, SR>& r, const ap_int_base<W1, S1>& x, const ap_int_base<W2, S2>& y,
             bool subtract) {
  if (ap_int_base<R, SR>::N == 1) {
    // One limb: the low 64 bits of the sign-extended operands' sum are the result's bits.
    r.limbs_[0] = subtract ? x.ext(0) - y.ext(0) : x.ext(0) + y.ext(0);
    r.normalize();
    return;
  }
  limb carry = subtract ? 1 : 0;
  for (int i = 0; i < ap_int_base<R, SR>::N; ++i) {
    const limb a = x.ext(i);
    const limb b = subtract ? ~y.ext(i) : y.ext(i);
    const limb s = a + b;
    const limb c1 = s < a;
    const limb t = s + carry;
    const limb c2 = t < s;
    r.limbs_[i] = t;
    carry = c1 | c2;
  }
  r.normalize();
}

template <int R, bool SR, int W1, bool S1, int W2, bool S2>
void mul(ap_int_base<R, SR>& r, const ap_int_base<W1, S1>& x, const ap_int_base<W2, S2>& y) {
  const int n = ap_int_base<R, SR>::N;
  if (n == 1) {
    // One limb: the low 64 bits of the sign-extended operands' product are the result's bits.
    r.limbs_[0] = x.ext(0) * y.ext(0);
    r.normalize();
    return;
  }
  limb xs[n], ys[n], acc[n];
  for (int i = 0; i < n; ++i) {
    xs[i] = x.ext(i);
    ys[i] = y.ext(i);
    acc[i] = 0;
  }
  for (int i = 0; i < n; ++i) {
    if (xs[i] == 0) continue;
    u128 carry = 0;
    for (int j = 0; i + j < n; ++j) {
      const u128 t = static_cast<u128>(xs[i]) * ys[j] + acc[i + j] + carry;
      acc[i + j] = static_cast<limb>(t);
      carry = t >> 64;
    }
  }
  for (int i = 0; i < n; ++i) r.limbs_[i] = acc[i];
  r.normalize();
}

template <int R, bool SR, int W1, bool S1, int W2, bool S2>
void div_mod(ap_int_base<R, SR>& r, const ap_int_base<W1, S1>& x, const ap_int_base<W2, S2>& y,
             bool modulo) {
  static_assert(W1 <= 64 && W2 <= 64, "host ap_int shim: / and % need operands of at most 64 bits");
  const s128 a = x.get_s128(), b = y.get_s128();
  if (b == 0) fatal("division by zero", static_cast<long long>(a), 0);
  r.set_s128(modulo ? a % b : a / b);
}

template <int W1, bool S1, int W2, bool S2>
bool equal(const ap_int_base<W1, S1>& x, const ap_int_base<W2, S2>& y) {
  if (x.is_neg() != y.is_neg()) return false;
  const int n = imax(ap_int_base<W1, S1>::N, ap_int_base<W2, S2>::N);
  for (int i = 0; i < n; ++i)
    if (x.ext(i) != y.ext(i)) return false;
  return true;
}

template <int W1, bool S1, int W2, bool S2>
bool less(const ap_int_base<W1, S1>& x, const ap_int_base<W2, S2>& y) {
  const bool nx = x.is_neg(), ny = y.is_neg();
  if (nx != ny) return nx;
  // Same sign: the extended two's complement patterns order like unsigned numbers.
  for (int i = imax(ap_int_base<W1, S1>::N, ap_int_base<W2, S2>::N) - 1; i >= 0; --i) {
    const limb a = x.ext(i), b = y.ext(i);
    if (a != b) return a < b;
  }
  return false;
}

template <int W, bool S> long long shift_amount(const ap_int_base<W, S>& a) {
  const bool neg = a.is_neg();
  const limb fill = neg ? ~limb(0) : limb(0);
  bool fits = true;
  for (int i = 1; i < ap_int_base<W, S>::N; ++i)
    if (a.ext(i) != fill) fits = false;
  const long long v = static_cast<long long>(a.ext(0));
  if (!fits || ((v < 0) != neg)) return neg ? -kShiftLimit : kShiftLimit;
  if (v > kShiftLimit) return kShiftLimit;
  if (v < -kShiftLimit) return -kShiftLimit;
  return v;
}

template <int W, bool S> std::ostream& print(std::ostream& os, const ap_int_base<W, S>& x) {
  if (W <= 64) {
    if (S) return os << x.to_int64();
    return os << x.to_uint64();
  }
  ap_int_base<W, false> m(x);
  const bool neg = x.is_neg();
  if (neg) {  // magnitude = two's complement negation, fits in W unsigned bits
    for (int i = 0; i < ap_int_base<W, false>::N; ++i) m.limbs_[i] = ~m.limbs_[i];
    m.normalize();
    ++m;
  }
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (int i = ap_int_base<W, false>::N - 1; i >= 0; --i)
    for (int d = 15; d >= 0; --d) {
      const int nib = static_cast<int>((m.limbs_[i] >> (4 * d)) & 0xf);
      if (nib != 0 || !s.empty()) s += digits[nib];
    }
  if (s.empty()) s = "0";
  return os << (neg ? "-0x" : "0x") + s;
}

}  // namespace ap_host

// ---- binary operators ------------------------------------------------------------------------------
// One template per operator covers ap op ap, ap op range, ap/range op built-in integer and the
// reverse; enabled only when at least one operand is an ap value or a range.

template <class A, class B>
inline typename ap_host::binop<A, B>::plus operator+(const A& a, const B& b) {
  typename ap_host::binop<A, B>::plus r;
  ap_host::add_sub(r, ap_host::opnd<A>::get(a), ap_host::opnd<B>::get(b), false);
  return r;
}

template <class A, class B>
inline typename ap_host::binop<A, B>::minus operator-(const A& a, const B& b) {
  typename ap_host::binop<A, B>::minus r;
  ap_host::add_sub(r, ap_host::opnd<A>::get(a), ap_host::opnd<B>::get(b), true);
  return r;
}

template <class A, class B>
inline typename ap_host::binop<A, B>::mult operator*(const A& a, const B& b) {
  typename ap_host::binop<A, B>::mult r;
  ap_host::mul(r, ap_host::opnd<A>::get(a), ap_host::opnd<B>::get(b));
  return r;
}

template <class A, class B>
inline typename ap_host::binop<A, B>::div operator/(const A& a, const B& b) {
  typename ap_host::binop<A, B>::div r;
  ap_host::div_mod(r, ap_host::opnd<A>::get(a), ap_host::opnd<B>::get(b), false);
  return r;
}

template <class A, class B>
inline typename ap_host::binop<A, B>::mod operator%(const A& a, const B& b) {
  typename ap_host::binop<A, B>::mod r;
  ap_host::div_mod(r, ap_host::opnd<A>::get(a), ap_host::opnd<B>::get(b), true);
  return r;
}

#define AP_HOST_LOGIC(OP)                                                                     \
  template <class A, class B>                                                                 \
  inline typename ap_host::binop<A, B>::logic operator OP(const A& a, const B& b) {          \
    typedef typename ap_host::binop<A, B>::logic R;                                           \
    const R x(ap_host::opnd<A>::get(a)), y(ap_host::opnd<B>::get(b));                         \
    R r;                                                                                      \
    for (int i = 0; i < R::N; ++i) r.limbs_[i] = x.limbs_[i] OP y.limbs_[i];                  \
    return r;                                                                                 \
  }
AP_HOST_LOGIC(&)
AP_HOST_LOGIC(|)
AP_HOST_LOGIC(^)
#undef AP_HOST_LOGIC

template <class A, class B>
inline typename ap_host::binop<A, B>::cmp operator==(const A& a, const B& b) {
  return ap_host::equal(ap_host::opnd<A>::get(a), ap_host::opnd<B>::get(b));
}
template <class A, class B>
inline typename ap_host::binop<A, B>::cmp operator!=(const A& a, const B& b) {
  return !ap_host::equal(ap_host::opnd<A>::get(a), ap_host::opnd<B>::get(b));
}
template <class A, class B>
inline typename ap_host::binop<A, B>::cmp operator<(const A& a, const B& b) {
  return ap_host::less(ap_host::opnd<A>::get(a), ap_host::opnd<B>::get(b));
}
template <class A, class B>
inline typename ap_host::binop<A, B>::cmp operator>(const A& a, const B& b) {
  return ap_host::less(ap_host::opnd<B>::get(b), ap_host::opnd<A>::get(a));
}
template <class A, class B>
inline typename ap_host::binop<A, B>::cmp operator<=(const A& a, const B& b) {
  return !ap_host::less(ap_host::opnd<B>::get(b), ap_host::opnd<A>::get(a));
}
template <class A, class B>
inline typename ap_host::binop<A, B>::cmp operator>=(const A& a, const B& b) {
  return !ap_host::less(ap_host::opnd<A>::get(a), ap_host::opnd<B>::get(b));
}

template <class A, class B>
inline typename ap_host::shiftop<A, B>::type operator<<(const A& a, const B& b) {
  const long long n = ap_host::shift_amount(ap_host::opnd<B>::get(b));
  const auto& v = ap_host::opnd<A>::get(a);
  return typename ap_host::shiftop<A, B>::type(n >= 0 ? v.shl(n) : v.shr(-n));
}
template <class A, class B>
inline typename ap_host::shiftop<A, B>::type operator>>(const A& a, const B& b) {
  const long long n = ap_host::shift_amount(ap_host::opnd<B>::get(b));
  const auto& v = ap_host::opnd<A>::get(a);
  return typename ap_host::shiftop<A, B>::type(n >= 0 ? v.shr(n) : v.shl(-n));
}

// ---- unary operators ---------------------------------------------------------------------------------

template <int W, bool S> inline ap_int<W + 1> operator-(const ap_int_base<W, S>& a) {
  ap_int<W + 1> r;
  ap_host::add_sub(r, ap_int_base<1, false>(0), a, true);
  return r;
}
template <int W, bool S>
inline typename ap_host::select_type<W, S>::type operator~(const ap_int_base<W, S>& a) {
  typename ap_host::select_type<W, S>::type r(a);
  for (int i = 0; i < ap_int_base<W, S>::N; ++i) r.limbs_[i] = ~r.limbs_[i];
  r.normalize();
  return r;
}
template <int W, bool S>
inline typename ap_host::select_type<W, S>::type operator+(const ap_int_base<W, S>& a) {
  return typename ap_host::select_type<W, S>::type(a);
}

// ---- printing -------------------------------------------------------------------------------------------

template <int W, bool S> inline std::ostream& operator<<(std::ostream& os, const ap_int_base<W, S>& x) {
  return ap_host::print(os, x);
}
template <int W, bool S>
inline std::ostream& operator<<(std::ostream& os, const ap_range_cref<W, S>& r) {
  return ap_host::print(os, r.get());
}

#endif  // HALF_HOST_AP_INT_H
