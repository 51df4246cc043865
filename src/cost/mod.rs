//! Hardware facts shared by every op's cost model: resource vectors, memory geometry,
//! multiplier and adder costs. Every formula's reasoning and source is in docs/cost-model.md.

use serde::Serialize;
use std::ops::{Add, AddAssign};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// LUTs for a read-only `depth x width` memory in distributed ROM: one LUT6 holds 64 x 1.
pub fn lut_rom(depth: u64, width: u64) -> u64 {
    width * depth.div_ceil(64)
}

/// LUTs for a simple dual-port `depth x width` distributed RAM: RAM64M-style primitives give
/// 3 data bits per 4 LUTs for each 64 words (UG474 "Distributed RAM").
pub fn lut_ram(depth: u64, width: u64) -> u64 {
    width.div_ceil(3) * 4 * depth.div_ceil(64)
}

/// A buffer whose memory style synthesis picks: LUTRAM up to 64 deep or 2 Kib, else BRAM.
pub fn auto_buffer(depth: u64, width: u64) -> Resources {
    if depth <= 64 || depth * width <= 2048 {
        Resources {
            lut: lut_ram(depth, width),
            ..Default::default()
        }
    } else {
        Resources {
            bram18: bram18(depth, width),
            ..Default::default()
        }
    }
}

/// LUTs of one `a x b` multiplier in fabric. Bipolar operands (1 bit) turn the product into
/// a conditional negation (or an XNOR for two bipolar operands). Otherwise radix-4 Booth
/// recoding gives ceil(min/2) partial products, each `max + 2` bits wide, summed on carry
/// chains at one LUT per bit.
pub fn mult_luts(a: u32, b: u32) -> u64 {
    let (lo, hi) = (a.min(b) as u64, a.max(b) as u64);
    match (lo, hi) {
        (1, 1) => 1,
        (1, h) => h + 1,
        _ => lo.div_ceil(2) * (hi + 2),
    }
}

/// DSP slices for one `a x b` signed multiplication (widths include the sign bit).
/// DSP48E1 multiplies 25 x 18, DSP48E2 27 x 18 (UG479, UG579); wider products tile.
pub fn mult_dsps(a: u32, b: u32, kind: DspKind) -> u64 {
    let wide = match kind {
        DspKind::Dsp48e1 => 25,
        DspKind::Dsp48e2 => 27,
    };
    let (lo, hi) = (a.min(b) as u64, a.max(b) as u64);
    if lo <= 18 && hi <= wide {
        1
    } else {
        hi.div_ceil(wide) * lo.div_ceil(18)
    }
}

/// LUTs of a binary adder tree summing `n` operands of `w` bits (carry chains, one LUT per
/// output bit; widths grow one bit per level). For 1-bit operands this is a popcount.
pub fn adder_tree_luts(n: u64, w: u32) -> u64 {
    if n <= 1 {
        return 0;
    }
    let mut total = 0;
    let mut count = n;
    let mut width = w as u64;
    while count > 1 {
        let pairs = count / 2;
        width += 1;
        total += pairs * width;
        count -= pairs;
    }
    total
}

/// Bits of an unsigned counter that counts to `n` (at least 1).
pub fn counter_bits(n: u64) -> u64 {
    (64 - n.max(2).saturating_sub(1).leading_zeros()) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn lut_memories() {
        assert_eq!(lut_rom(64, 8), 8);
        assert_eq!(lut_rom(65, 8), 16);
        assert_eq!(lut_ram(64, 3), 4);
        assert_eq!(lut_ram(128, 8), 24);
    }

    #[test]
    fn multipliers() {
        assert_eq!(mult_luts(1, 1), 1);
        assert_eq!(mult_luts(1, 8), 9);
        assert_eq!(mult_luts(8, 8), 40);
        assert_eq!(mult_luts(2, 2), 4);
        assert_eq!(mult_dsps(8, 8, DspKind::Dsp48e1), 1);
        assert_eq!(mult_dsps(26, 18, DspKind::Dsp48e1), 2);
        assert_eq!(mult_dsps(26, 18, DspKind::Dsp48e2), 1);
        assert_eq!(mult_dsps(30, 20, DspKind::Dsp48e2), 4);
    }

    #[test]
    fn adders() {
        // 4 operands of 8 bits: 2 adders of 9 bits, then 1 of 10.
        assert_eq!(adder_tree_luts(4, 8), 28);
        // 3 operands: 1 adder of 9 bits, then 1 of 10.
        assert_eq!(adder_tree_luts(3, 8), 19);
        assert_eq!(adder_tree_luts(1, 8), 0);
        assert_eq!(counter_bits(1), 1);
        assert_eq!(counter_bits(2), 1);
        assert_eq!(counter_bits(3), 2);
        assert_eq!(counter_bits(256), 8);
        assert_eq!(counter_bits(257), 9);
    }
}
