//! Counting Yosys' Xilinx cells as Vivado reports resources.

use serde::Serialize;
use std::collections::BTreeMap;

/// LUTs one distributed-RAM or shift-register primitive occupies (UG474 "Distributed RAM" and
/// "Shift Registers", UG574 for the UltraScale ones): a RAM32M/RAM64M is the four LUTs of a
/// SLICEM, RAMxxX1D a pair, RAM128X1D four, RAM256X1D eight, and so on; an SRL one LUT.
pub const LUTRAM_LUTS: [(&str, u64); 19] = [
    ("RAM16X1S", 1),
    ("RAM32X1S", 1),
    ("RAM32X1D", 2),
    ("RAM64X1S", 1),
    ("RAM64X1D", 2),
    ("RAM128X1S", 2),
    ("RAM128X1D", 4),
    ("RAM256X1S", 4),
    ("RAM256X1D", 8),
    ("RAM512X1S", 8),
    ("RAM32M", 4),
    ("RAM64M", 4),
    ("RAM32M16", 8),
    ("RAM64M8", 8),
    ("RAM32X16DR8", 8),
    ("RAM64X8SW", 8),
    ("SRL16E", 1),
    ("SRLC16E", 1),
    ("SRLC32E", 1),
];

/// Resources counted from a cell list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// LUTs: logic plus memory (`lut_logic + lut_mem`), Vivado's "Slice LUTs".
    pub lut: u64,
    /// LUT1..LUT6 and INV cells (an INV is a LUT1 in the Xilinx library).
    pub lut_logic: u64,
    /// LUTs of distributed RAMs and shift registers.
    pub lut_mem: u64,
    /// Flip-flops (FDRE, FDSE, FDCE, FDPE) and latches.
    pub ff: u64,
    /// 18 Kib block RAMs: RAMB18 = 1, RAMB36 = 2.
    pub bram18: u64,
    /// UltraRAMs.
    pub uram: u64,
    /// DSP slices.
    pub dsp: u64,
    /// Carry chains (CARRY4 or CARRY8), not counted in the LUTs.
    pub carry: u64,
    /// Wide-function multiplexers (MUXF7, MUXF8, MUXF9), not counted in the LUTs.
    pub muxf: u64,
}

/// A cell list (type -> count) with its counted resources.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Cells {
    /// Cells by type, as `stat -json` reports them.
    pub by_type: BTreeMap<String, u64>,
}

impl Cells {
    /// Adds another cell list.
    pub fn add(&mut self, cells: &BTreeMap<String, u64>) {
        for (k, v) in cells {
            *self.by_type.entry(k.clone()).or_default() += v;
        }
    }

    /// The resources of the cells; `other` lists types counted nowhere.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for (t, &n) in &self.by_type {
            let t = t.as_str();
            if let Some((_, l)) = LUTRAM_LUTS.iter().find(|(name, _)| *name == t) {
                c.lut_mem += l * n;
            } else if (t.starts_with("LUT") && t.len() == 4) || t == "INV" {
                c.lut_logic += n;
            } else if t.starts_with("FD") || t.starts_with("LD") {
                c.ff += n;
            } else if t.starts_with("RAMB18") {
                c.bram18 += n;
            } else if t.starts_with("RAMB36") {
                c.bram18 += 2 * n;
            } else if t.starts_with("URAM") {
                c.uram += n;
            } else if t.starts_with("DSP48") {
                c.dsp += n;
            } else if t.starts_with("CARRY") {
                c.carry += n;
            } else if t.starts_with("MUXF") {
                c.muxf += n;
            }
        }
        c.lut = c.lut_logic + c.lut_mem;
        c
    }

    /// Cell types that none of the counts include (buffers, for instance).
    pub fn uncounted(&self) -> Vec<String> {
        let known = |t: &str| {
            LUTRAM_LUTS.iter().any(|(n, _)| *n == t)
                || (t.starts_with("LUT") && t.len() == 4)
                || [
                    "INV", "FD", "LD", "RAMB18", "RAMB36", "URAM", "DSP48", "CARRY", "MUXF",
                ]
                .iter()
                .any(|p| t.starts_with(p))
        };
        self.by_type.keys().filter(|t| !known(t)).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vivado_counting() {
        let mut c = Cells::default();
        let m: BTreeMap<String, u64> = [
            ("LUT6", 10),
            ("LUT2", 3),
            ("INV", 2),
            ("RAM32M", 3),
            ("SRLC32E", 1),
            ("FDRE", 7),
            ("FDSE", 1),
            ("RAMB18E1", 1),
            ("RAMB36E1", 2),
            ("DSP48E1", 4),
            ("CARRY4", 5),
            ("MUXF7", 2),
            ("MUXF8", 1),
            ("BUFG", 1),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
        c.add(&m);
        c.add(&m);
        let n = c.counts();
        assert_eq!(n.lut_logic, 30);
        assert_eq!(n.lut_mem, 2 * (12 + 1));
        assert_eq!(n.lut, 56);
        assert_eq!(n.ff, 16);
        assert_eq!(n.bram18, 10);
        assert_eq!(n.dsp, 8);
        assert_eq!(n.carry, 10);
        assert_eq!(n.muxf, 6);
        assert_eq!(c.uncounted(), ["BUFG"]);
    }
}
