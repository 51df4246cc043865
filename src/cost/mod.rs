//! Hardware facts shared by every op's cost model: resource vectors, memory geometry,
//! multiplier and adder costs. Every formula's reasoning and source is in docs/cost-model.md.

pub mod memory;

use serde::{Deserialize, Serialize};
use std::ops::{Add, AddAssign};

/// FPGA family, as Yosys `synth_xilinx -family` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// 7-series.
    Xc7,
    /// UltraScale+.
    Xcup,
}

/// A resource vector.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Resources {
    /// Look-up tables (logic and LUTRAM).
    pub lut: u64,
    /// Flip-flops.
    pub ff: u64,
    /// 18 Kib block RAMs.
    pub bram18: u64,
    /// UltraRAM blocks.
    pub uram: u64,
    /// DSP slices.
    pub dsp: u64,
}

impl Add for Resources {
    type Output = Resources;
    fn add(self, o: Resources) -> Resources {
        Resources {
            lut: self.lut + o.lut,
            ff: self.ff + o.ff,
            bram18: self.bram18 + o.bram18,
            uram: self.uram + o.uram,
            dsp: self.dsp + o.dsp,
        }
    }
}

impl std::ops::Sub for Resources {
    type Output = Resources;
    /// Saturating difference, field by field.
    fn sub(self, o: Resources) -> Resources {
        Resources {
            lut: self.lut.saturating_sub(o.lut),
            ff: self.ff.saturating_sub(o.ff),
            bram18: self.bram18.saturating_sub(o.bram18),
            uram: self.uram.saturating_sub(o.uram),
            dsp: self.dsp.saturating_sub(o.dsp),
        }
    }
}

impl AddAssign for Resources {
    fn add_assign(&mut self, o: Resources) {
        *self = *self + o;
    }
}

impl Resources {
    /// The components in the fixed order LUT, FF, BRAM18, URAM, DSP.
    pub fn as_array(&self) -> [u64; 5] {
        [self.lut, self.ff, self.bram18, self.uram, self.dsp]
    }
    /// Builds a vector from [`Resources::as_array`] order.
    pub fn from_array(a: [u64; 5]) -> Resources {
        Resources {
            lut: a[0],
            ff: a[1],
            bram18: a[2],
            uram: a[3],
            dsp: a[4],
        }
    }
    /// Subtracts, saturating at zero.
    pub fn saturating_sub(&self, o: &Resources) -> Resources {
        let (a, b) = (self.as_array(), o.as_array());
        Resources::from_array(std::array::from_fn(|i| a[i].saturating_sub(b[i])))
    }
    /// The larger of each component.
    pub fn max_each(&self, o: &Resources) -> Resources {
        let (a, b) = (self.as_array(), o.as_array());
        Resources::from_array(std::array::from_fn(|i| a[i].max(b[i])))
    }
    /// True when every component is at most `budget`'s.
    pub fn fits(&self, budget: &Resources) -> bool {
        self.as_array()
            .iter()
            .zip(budget.as_array())
            .all(|(a, b)| *a <= b)
    }
}

/// Resource names in [`Resources::as_array`] order.
pub const RESOURCE_NAMES: [&str; 5] = ["lut", "ff", "bram18", "uram", "dsp"];

/// One floating-point figure per resource, in [`RESOURCE_NAMES`] order (LUT, FF, BRAM18, URAM,
/// DSP): resource amounts as numbers for the folding heuristics' arithmetic, prices in
/// LUT-equivalents, utilisation caps, a budget's reciprocals. It is the plain array with a
/// name: indexing reads and writes components, and nothing reorders floating-point operations.
/// It serialises as the array (`[0.85, 0.85, 0.9, 0.9, 0.9]`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PerResource(pub [f64; 5]);

impl PerResource {
    /// The same figure for every resource.
    pub const fn splat(v: f64) -> PerResource {
        PerResource([v; 5])
    }

    /// The figure of resource `k` is `f(k)`.
    pub fn from_fn(f: impl FnMut(usize) -> f64) -> PerResource {
        PerResource(std::array::from_fn(f))
    }

    /// A resource vector's amounts as floating point (exact below 2^53).
    pub fn of(r: &Resources) -> PerResource {
        PerResource(r.as_array().map(|x| x as f64))
    }

    /// Every figure passed through `f`.
    pub fn map(self, f: impl FnMut(f64) -> f64) -> PerResource {
        PerResource(self.0.map(f))
    }

    /// The figures in [`RESOURCE_NAMES`] order.
    pub fn iter(&self) -> std::slice::Iter<'_, f64> {
        self.0.iter()
    }

    /// The price of these amounts at prices `w`: `sum_k self[k] * w[k]`, added in resource
    /// order (the value of `iter().zip(w).map(|(x, w)| x * w).sum()`). With non-negative
    /// prices, amounts no larger in any resource never price higher: products and sums round
    /// monotonically, which the folding heuristics' block bounds rely on.
    #[inline(always)]
    pub fn dot(&self, w: &PerResource) -> f64 {
        let x = &self.0;
        x[0] * w[0] + x[1] * w[1] + x[2] * w[2] + x[3] * w[3] + x[4] * w[4]
    }
}

impl std::ops::Index<usize> for PerResource {
    type Output = f64;
    fn index(&self, k: usize) -> &f64 {
        &self.0[k]
    }
}

impl std::ops::IndexMut<usize> for PerResource {
    fn index_mut(&mut self, k: usize) -> &mut f64 {
        &mut self.0[k]
    }
}

impl<'a> IntoIterator for &'a PerResource {
    type Item = &'a f64;
    type IntoIter = std::slice::Iter<'a, f64>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Multiplier implementation.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum MultStyle {
    /// Fabric (LUT) multipliers.
    Lut,
    /// DSP slices.
    Dsp,
    /// DSP slices, each computing the products of several neighbouring PEs that share an
    /// activation (`stage::mvu_cost::packing`: two 8-bit products, three 4-bit ones).
    Packed,
}

/// Where a layer's constant scale multiplies go (the requantiser's `acc * scale`, an add's
/// `a * scale_a + b * scale_b`, a pool's sum times its scale).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ScaleStyle {
    /// Where synthesis puts a product: a DSP slice when it is 9 bits or wider ([`mult_dsps`]).
    Dsp,
    /// Shift-adds in the fabric (`half_const_mul`, [`const_mul_luts`]).
    Lut,
}

impl ScaleStyle {
    /// Name as written in folding files.
    pub fn name(&self) -> &'static str {
        match self {
            ScaleStyle::Dsp => "dsp",
            ScaleStyle::Lut => "lut",
        }
    }
}

/// Weight memory implementation.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum MemStyle {
    /// Block RAM.
    Bram,
    /// Distributed (LUT) RAM.
    Lutram,
    /// UltraRAM (UltraScale+ only).
    Uram,
}

impl MultStyle {
    /// Name as written in folding files.
    pub fn name(&self) -> &'static str {
        match self {
            MultStyle::Lut => "lut",
            MultStyle::Dsp => "dsp",
            MultStyle::Packed => "packed",
        }
    }
}

impl MemStyle {
    /// Name as written in folding files.
    pub fn name(&self) -> &'static str {
        match self {
            MemStyle::Bram => "bram",
            MemStyle::Lutram => "lutram",
            MemStyle::Uram => "uram",
        }
    }
}

/// Which DSP primitive the board has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum DspKind {
    /// 7-series: 25 x 18 signed multiplier.
    Dsp48e1,
    /// UltraScale(+): 27 x 18 signed multiplier.
    Dsp48e2,
}

/// (width, depth) aspect ratios of a RAMB18 in simple dual-port mode (UG473 table 1-7).
const BRAM18_ASPECTS: [(u64, u64); 6] = [
    (1, 16384),
    (2, 8192),
    (4, 4096),
    (9, 2048),
    (18, 1024),
    (36, 512),
];

/// RAMB18s for a `depth x width` memory: the best aspect ratio, as synthesis picks it.
pub fn bram18(depth: u64, width: u64) -> u64 {
    if depth == 0 || width == 0 {
        return 0;
    }
    BRAM18_ASPECTS
        .iter()
        .map(|&(w, d)| width.div_ceil(w) * depth.div_ceil(d))
        .min()
        .unwrap_or(0)
}

/// URAM blocks (72 x 4096 each, UG573) for a `depth x width` memory.
pub fn uram(depth: u64, width: u64) -> u64 {
    if depth == 0 || width == 0 {
        return 0;
    }
    width.div_ceil(72) * depth.div_ceil(4096)
}

/// Bits of an unsigned counter that counts to `n` (at least 1).
pub fn counter_bits(n: u64) -> u64 {
    (64 - n.max(2).saturating_sub(1).leading_zeros()) as u64
}

/// `$clog2(n)` as the RTL computes its address widths, at least 1.
pub fn clog2(n: u64) -> u64 {
    if n <= 1 {
        1
    } else {
        (64 - (n - 1).leading_zeros()) as u64
    }
}

/// LUTs of a constant `depth x width` ROM in soft logic (an asynchronous ROM, or a
/// `rom_style = "distributed"` one): one LUT6 per bit and 64 words, and 12 % more for the
/// multiplexers of deeper ROMs (calibration table C4 in docs/cost-model.md).
pub fn lut_rom(depth: u64, width: u64) -> u64 {
    if depth == 0 || width == 0 {
        return 0;
    }
    let luts = width * depth.div_ceil(64);
    if depth <= 64 { luts } else { luts * 112 / 100 }
}

/// LUTs of one `a x b`-bit signed product in fabric, as Yosys 0.23 builds it inside a
/// matrix or vector unit (array multiplier, ABC mapping; `both_signed` when neither operand is
/// a zero-extended unsigned value). Fitted on 20 standalone products and the matrix-unit
/// sweep (calibration tables C3, C4): `1.13 * (2.34 lo hi - 3.70 (lo + hi) + 8.07 + 0.66 lo hi
/// [both signed])`, for example 8 x 9 bits: 128.
pub fn mult_luts(a: u32, b: u32, both_signed: bool) -> u64 {
    let (lo, hi) = (a.min(b) as f64, a.max(b) as f64);
    if lo < 2.0 {
        return hi as u64;
    }
    let ss = if both_signed { 0.655 * lo * hi } else { 0.0 };
    let f = 2.3355 * lo * hi - 3.7019 * (lo + hi) + 8.0746 + ss;
    (1.13 * f.max(1.0)).round() as u64
}

/// DSP slices Yosys 0.23 `synth_xilinx` uses for one signed `a x b` product of `y` result
/// bits (widths as Yosys sees them after trimming). It is `mul2dsp` with DSP_A_MAXWIDTH 25
/// (27 for DSP48E2), DSP_B_MAXWIDTH 18, 18-bit partial slices with one sign bit of headroom,
/// and DSP_Y_MINWIDTH 9: a product of fewer than 9 bits, or with a 1-bit operand, stays in
/// the fabric (0). Wider products are sliced into 17-bit parts of the wider operand.
pub fn mult_dsps(a: u32, b: u32, kind: DspKind) -> u64 {
    let amax = match kind {
        DspKind::Dsp48e1 => 25,
        DspKind::Dsp48e2 => 27,
    };
    fn rec(a: i64, b: i64, y: i64, amax: i64, swap: bool) -> u64 {
        let (a, b) = if swap && a < b { (b, a) } else { (a, b) };
        if a < 2 || b < 2 || y < 9 {
            return 0;
        }
        if a > amax {
            let n = (a - amax + 16) / 17;
            let last = a - n * 17;
            n as u64 * rec(18, b, y.min(b + 18), amax, false) + rec(last, b, b + last, amax, false)
        } else if b > 18 {
            let n = (b - 2) / 17;
            let last = b - n * 17;
            n as u64 * rec(a, 18, y.min(a + 18), amax, false) + rec(a, last, a + last, amax, false)
        } else {
            1
        }
    }
    rec(a as i64, b as i64, a as i64 + b as i64, amax, true)
}

/// Digits (-1, 0, +1) of `c`'s non-adjacent form, least significant first: the canonical
/// signed-digit form with the fewest nonzero digits, no two of them neighbours (Reitwiesner
/// 1960). `hls/rtl/half_const_mul.v` computes the same digits.
pub fn naf_digits(c: i64) -> Vec<i8> {
    let mut x = c as i128;
    let mut digits = Vec::new();
    while x != 0 {
        let d = if x & 1 == 1 { 2 - (x & 3) as i8 } else { 0 };
        x = (x - d as i128) >> 1;
        digits.push(d);
    }
    digits
}

/// LUTs of `half_const_mul`: a signed value times the constant `c`, kept in `yw`
/// bits, as shift-adds of `c`'s non-adjacent form (no DSP). The top digit's term starts the
/// sum; each other digit at bit `i` adds one adder over bits `i..yw` (a subtraction) or over
/// bits `p..yw` (an addition, where `p` is the digit above: the sum's bits below `p` are still
/// zero there and take the term's bits as they are). Yosys 0.23 maps an adder bit to about
/// one LUT and saves about one per adder plus two: fitted on 48 products (9 to 24-bit inputs,
/// 16 constants of 2 to 5 digits, docs/cost-model.md table C9): `bits - adders - 2`.
pub fn const_mul_luts(yw: u32, c: i64) -> u64 {
    let digits = naf_digits(c);
    let nonzero: Vec<u32> = (0..digits.len() as u32)
        .filter(|&i| digits[i as usize] != 0 && i < yw)
        .collect();
    let Some((&top, rest)) = nonzero.split_last() else {
        return 0;
    };
    let mut bits = 0u64;
    let mut above = top;
    for &i in rest.iter().rev() {
        let from = if digits[i as usize] > 0 { above } else { i };
        bits += u64::from(yw - from);
        above = i;
    }
    // Without an adder `bits` is 0 and so is the result.
    bits.saturating_sub(rest.len() as u64 + 2)
}

/// The signed width Yosys multiplies by for the constant `c`: trailing zero bits become a
/// shift, so only the odd part remains; 0 when no multiplier is left (0, +-1, powers of two).
pub fn const_mult_bits(c: i64) -> u32 {
    if c == 0 {
        return 0;
    }
    let odd = c >> c.trailing_zeros();
    if odd == 1 || odd == -1 {
        return 0;
    }
    let mag = if odd < 0 { !odd } else { odd };
    65 - mag.leading_zeros()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_digits_and_shift_adds() {
        // 181 = 256 - 64 - 16 + 4 + 1; 237 = 256 - 16 - 4 + 1.
        assert_eq!(naf_digits(181), vec![1, 0, 1, 0, -1, 0, -1, 0, 1]);
        assert_eq!(naf_digits(237), vec![1, 0, -1, 0, -1, 0, 0, 0, 1]);
        for c in [-77i64, 0, 1, 3, 1 << 31, -(1 << 31), 0x5555_5555, 12345] {
            let v: i64 = naf_digits(c)
                .iter()
                .enumerate()
                .map(|(i, &d)| d as i64 * (1i64 << i))
                .sum();
            assert_eq!(v, c);
        }
        // Powers of two and zero need no adder.
        assert_eq!(const_mul_luts(33, 64), 0);
        assert_eq!(const_mul_luts(33, 0), 0);
        // 255 = 256 - 1 over 33 bits: one 33-bit subtraction, Yosys 0.23 31 LUTs.
        assert_eq!(const_mul_luts(33, 255), 30);
        // 181 over 33 bits: 27 + 29 + 29 + 31 adder bits (the additions start at the digit
        // above), Yosys 0.23 112 LUTs.
        assert_eq!(const_mul_luts(33, 181), 110);
    }

    #[test]
    fn bram_geometry() {
        // 1024 x 18 fits one RAMB18; 1024 x 36 needs two (512 deep at 36 wide).
        assert_eq!(bram18(1024, 18), 1);
        assert_eq!(bram18(1024, 36), 2);
        assert_eq!(bram18(16384, 1), 1);
        assert_eq!(bram18(36, 1024), 29);
        assert_eq!(bram18(0, 8), 0);
        assert_eq!(uram(4096, 72), 1);
        assert_eq!(uram(4097, 73), 4);
    }

    #[test]
    fn roms_and_widths() {
        assert_eq!(lut_rom(64, 8), 8);
        assert_eq!(lut_rom(65, 8), 17);
        assert_eq!(lut_rom(0, 8), 0);
        assert_eq!(clog2(1), 1);
        assert_eq!(clog2(2), 1);
        assert_eq!(clog2(9), 4);
        assert_eq!(counter_bits(1), 1);
        assert_eq!(counter_bits(3), 2);
        assert_eq!(counter_bits(256), 8);
        assert_eq!(counter_bits(257), 9);
    }

    #[test]
    fn multipliers() {
        // Yosys: 8-bit weight x zero-extended 8-bit activation (9 bits signed).
        assert_eq!(mult_luts(8, 9, false), 128);
        assert!(mult_luts(8, 8, true) > mult_luts(8, 9, false));
        assert_eq!(mult_luts(1, 8, false), 8);
        // mul2dsp: products under 9 bits stay in LUTs; wide ones are sliced.
        assert_eq!(mult_dsps(4, 5, DspKind::Dsp48e1), 1);
        assert_eq!(mult_dsps(2, 3, DspKind::Dsp48e1), 0);
        assert_eq!(mult_dsps(1, 9, DspKind::Dsp48e1), 0);
        assert_eq!(mult_dsps(25, 9, DspKind::Dsp48e1), 1);
        assert_eq!(mult_dsps(26, 9, DspKind::Dsp48e1), 2);
        assert_eq!(mult_dsps(26, 2, DspKind::Dsp48e1), 2);
        assert_eq!(mult_dsps(27, 9, DspKind::Dsp48e2), 1);
        assert_eq!(mult_dsps(43, 9, DspKind::Dsp48e1), 3);
        assert_eq!(mult_dsps(20, 20, DspKind::Dsp48e1), 2);
        // Constant multipliers lose their trailing zeros: 168 = 21 << 3.
        assert_eq!(const_mult_bits(168), 6);
        assert_eq!(const_mult_bits(201), 9);
        assert_eq!(const_mult_bits(256), 0);
        assert_eq!(const_mult_bits(1), 0);
        assert_eq!(const_mult_bits(3), 3);
        assert_eq!(const_mult_bits(-3), 3);
        assert_eq!(const_mult_bits(0), 0);
    }
}
