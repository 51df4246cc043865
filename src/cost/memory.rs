//! How synthesis maps an inferred memory: a replica of the cost rule of Yosys 0.23
//! `memory_libmap` as `synth_xilinx` runs it (the calibration target, docs/cost-model.md
//! section "Calibration against Yosys"), restricted to the memories the RTL library infers:
//! one synchronous write port (or none, a ROM) and one or more read ports, synchronous or
//! asynchronous, with a single write enable.
//!
//! Every candidate cell (LUTRAM or block RAM kind, option and base width) gets the cost
//! `cell cost * cells + 0.5 * read-mux bits + 0.5 * write-demux bits + 2 * read ports`, and
//! the cheapest one is used unless soft logic is cheaper (`depth * width` per RAM bit,
//! `1/64` per ROM bit, truncated to an integer). The cell costs and geometries are the ones of
//! Yosys' `lutrams_xc5v.txt` / `lutrams_xcu.txt` and `brams_xc4v.txt`. Checked cost for cost
//! against `memory_libmap`'s debug output on 300 memory shapes (same table).

use super::Family;

/// A memory's style attribute (`ram_style` / `rom_style`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    /// No attribute: the cheapest mapping.
    Auto,
    /// `block`: block RAM only.
    Block,
    /// `distributed`: LUTRAM only (for a ROM, logic: see the synthesis flow).
    Distributed,
    /// `logic`: flip-flops and LUTs.
    Logic,
}

/// An inferred memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Memory {
    /// Words.
    pub depth: u64,
    /// Bits per word.
    pub width: u64,
    /// Read ports.
    pub read_ports: u64,
    /// Read ports register their data (a BRAM needs that).
    pub sync_read: bool,
    /// No write port (constant contents).
    pub rom: bool,
    /// The (single, asynchronous) read port uses the write port's address: a single-port
    /// RAM.
    pub shared: bool,
}

/// What the memory becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mapping {
    /// Soft logic: flip-flops per bit for a RAM, LUTs for a ROM.
    Logic,
    /// Distributed RAM: this many LUTs.
    Lutram(u64),
    /// Block RAM: this many RAMB18 equivalents (a RAMB36 counts 2).
    Bram(u64),
}

/// A LUTRAM kind: name, cost, width-scaled cost, (address bits, width) options, read ports.
type LutramKind = (&'static str, f64, f64, &'static [(u32, u64)], u64);

const LUTRAM_XC7: [LutramKind; 3] = [
    ("DP", 8.0, 8.0, &[(5, 4), (6, 2), (7, 1)], 1),
    ("QP", 7.0, 7.0, &[(5, 2), (6, 1)], 3),
    ("SDP", 8.0, 7.0, &[(5, 6), (6, 3)], 1),
];

const LUTRAM_XCUP: [LutramKind; 4] = [
    ("DP", 16.0, 16.0, &[(5, 8), (6, 4), (7, 2), (8, 1)], 1),
    ("QP", 16.0, 16.0, &[(5, 4), (6, 2)], 3),
    ("OP", 16.0, 16.0, &[(5, 2), (6, 1)], 7),
    ("SDP", 16.0, 16.0, &[(5, 14), (6, 7)], 1),
];

/// Single-port LUTRAM options (address bits, width) and cost, for a read port that shares
/// the write address.
const SP_XC7: (f64, &[(u32, u64)]) = (8.0, &[(5, 8), (6, 4), (7, 2), (8, 1)]);
const SP_XCUP: (f64, &[(u32, u64)]) = (16.0, &[(5, 16), (6, 8), (7, 4), (8, 2), (16, 1)]);

/// A block RAM option: true dual port?, address bits, widths, cost, RAMB18s per cell.
type BramKind = (bool, u32, &'static [u64], f64, u64);

const BRAM: [BramKind; 5] = [
    (true, 14, &[1, 2, 4, 9, 18], 129.0, 1),
    (true, 15, &[1, 2, 4, 9, 18, 36], 257.0, 2),
    (true, 16, &[1, 2, 4, 9], 513.0, 4),
    (false, 14, &[1, 2, 4, 9, 18, 36], 129.0, 1),
    (false, 15, &[1, 2, 4, 9, 18, 36, 72], 257.0, 2),
];

/// Cheapest geometry of one cell kind: (cost, cells).
#[allow(clippy::too_many_arguments)]
fn geometry(
    m: &Memory,
    abits: u32,
    widths: &[u64],
    cost: f64,
    scaled: f64,
    repl_port: u64,
    byte: u64,
    min_base: usize,
    emu: f64,
) -> Option<(f64, u64)> {
    let mut best: Option<(f64, u64)> = None;
    for (b, &unit) in widths.iter().enumerate().skip(min_base) {
        let eff = if m.rom {
            1
        } else if byte > 0 && byte <= unit {
            byte
        } else {
            unit
        };
        let swz = m.width.div_ceil(eff) * eff;
        let words = 1u64 << (abits - b as u32);
        let mult_a = m.depth.div_ceil(words);
        let repl = (mult_a * swz).div_ceil(unit);
        let (r, w, ma) = (m.read_ports as f64, m.width as f64, mult_a as f64);
        let mut c = (cost - scaled) * (repl * repl_port) as f64
            + scaled * ma * w / unit as f64 * repl_port as f64
            + 0.5 * (ma - 1.0) * w * r
            + emu;
        if mult_a > 1 && !m.rom {
            c += 0.5 * ma;
        }
        if best.is_none_or(|(bc, _)| c < bc) {
            best = Some((c, repl * repl_port));
        }
    }
    best
}

/// Mappings already worked out on this thread, at most [`MEMO_LIMIT`] of them.
type Memo = rustc_hash::FxHashMap<(Memory, Style, Family), Mapping>;

/// Entries the per-thread memo of [`map`] holds before it starts over.
const MEMO_LIMIT: usize = 1 << 16;

thread_local! {
    static MEMO: std::cell::RefCell<Memo> = std::cell::RefCell::default();
}

/// The mapping Yosys 0.23 `synth_xilinx` gives the memory `m` with style `style`.
///
/// The folding search prices the same FIFO and weight memory shapes over and over, so the
/// answers are remembered per thread (the rule is a pure function of its arguments).
pub fn map(m: &Memory, style: Style, family: Family) -> Mapping {
    let key = (*m, style, family);
    if let Some(hit) = MEMO.with(|memo| memo.borrow().get(&key).copied()) {
        return hit;
    }
    let got = map_uncached(m, style, family);
    MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        if memo.len() >= MEMO_LIMIT {
            memo.clear();
        }
        memo.insert(key, got);
    });
    got
}

/// [`map`] worked out from the cell tables.
fn map_uncached(m: &Memory, style: Style, family: Family) -> Mapping {
    if m.depth == 0 || m.width == 0 || m.read_ports == 0 {
        return Mapping::Logic;
    }
    let lutram = cheapest_lutram(m, style, family);
    let bram = cheapest_bram(m, style, family);
    // Soft logic sets the bar (truncated, as Yosys keeps it in an int); a candidate must be
    // strictly cheaper; distributed candidates come first.
    let bits = (m.depth * m.width) as f64;
    let logic = if m.rom { bits / 64.0 } else { bits };
    let mut best = match style {
        Style::Auto | Style::Logic => Some(logic.trunc()),
        _ => None,
    };
    let mut out = Mapping::Logic;
    if style == Style::Logic {
        return out;
    }
    for (cand, mk) in [
        (lutram, Mapping::Lutram as fn(u64) -> Mapping),
        (bram, Mapping::Bram as fn(u64) -> Mapping),
    ] {
        if let Some((c, n)) = cand
            && best.is_none_or(|b| c < b)
        {
            best = Some(c);
            out = mk(n);
        }
    }
    out
}

/// The cheapest distributed-RAM mapping of `m` (Yosys's cost, LUTs), when `style` allows one:
/// the single-port kinds for a shared port, the others otherwise (the first of equals).
fn cheapest_lutram(m: &Memory, style: Style, family: Family) -> Option<(f64, u64)> {
    let (kinds, luts_per_cell): (&[LutramKind], u64) = match family {
        Family::Xc7 => (&LUTRAM_XC7, 4),
        Family::Xcup => (&LUTRAM_XCUP, 8),
    };
    let mut lutram: Option<(f64, u64)> = None;
    if m.shared && !m.rom && matches!(style, Style::Auto | Style::Distributed) {
        let (cost, opts) = match family {
            Family::Xc7 => SP_XC7,
            Family::Xcup => SP_XCUP,
        };
        for &(abits, w) in opts {
            // The read port is the write port: no extra port, no tie-breaker point.
            if let Some((c, cells)) = geometry(m, abits, &[w], cost, cost, 1, 0, 0, 0.0)
                && lutram.is_none_or(|(bc, _)| c < bc)
            {
                lutram = Some((c, cells * luts_per_cell));
            }
        }
    }
    if !m.shared && !m.rom && matches!(style, Style::Auto | Style::Distributed) {
        for &(_, cost, scaled, opts, ports) in kinds {
            let repl_port = m.read_ports.div_ceil(ports);
            for &(abits, w) in opts {
                let emu = 2.0 * m.read_ports as f64;
                if let Some((c, cells)) =
                    geometry(m, abits, &[w], cost, scaled, repl_port, 0, 0, emu)
                    && lutram.is_none_or(|(bc, _)| c < bc)
                {
                    lutram = Some((c, cells * luts_per_cell));
                }
            }
        }
    }
    lutram
}

/// The cheapest block-RAM mapping of `m` (Yosys's cost, BRAM18s), when `style` allows one
/// (the first of equals).
fn cheapest_bram(m: &Memory, style: Style, family: Family) -> Option<(f64, u64)> {
    let mut bram: Option<(f64, u64)> = None;
    // A single-port memory's registered address makes its read synchronous for Yosys
    // (`memory_dff`), with read-after-write transparency to emulate: block RAM is a candidate
    // (simple dual port, 3 more emulation points).
    if (m.sync_read || m.shared) && matches!(style, Style::Auto | Style::Block) {
        for &(tdp, abits, widths, cost, per) in &BRAM {
            if m.shared && tdp {
                continue;
            }
            // The cascade mode exists on 7-series only.
            if abits == 16 && family != Family::Xc7 {
                continue;
            }
            let repl_port = if tdp && m.rom {
                m.read_ports.div_ceil(2)
            } else {
                m.read_ports
            };
            // The simple dual-port write port is 36 (72) bits wide: narrower base widths
            // than a 9-bit byte cannot be written.
            let min_base = if tdp || m.rom { 0 } else { 3 };
            let emu = if m.shared { 8.0 } else { 2.0 } * m.read_ports as f64;
            if let Some((c, cells)) =
                geometry(m, abits, widths, cost, 0.0, repl_port, 9, min_base, emu)
                && bram.is_none_or(|(bc, _)| c < bc)
            {
                bram = Some((c, cells * per));
            }
        }
    }
    bram
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ram(depth: u64, width: u64, read_ports: u64, sync_read: bool) -> Memory {
        Memory {
            depth,
            width,
            read_ports,
            sync_read,
            rom: false,
            shared: false,
        }
    }

    #[test]
    fn yosys_choices() {
        // Checked against Yosys 0.23 (memory_libmap debug costs).
        let x = Family::Xc7;
        assert_eq!(
            map(&ram(128, 16, 1, true), Style::Auto, x),
            Mapping::Lutram(48)
        );
        assert_eq!(
            map(&ram(512, 16, 1, true), Style::Auto, x),
            Mapping::Bram(1)
        );
        assert_eq!(map(&ram(2, 8, 1, true), Style::Auto, x), Mapping::Lutram(8));
        assert_eq!(map(&ram(1, 8, 1, true), Style::Auto, x), Mapping::Logic);
        let rom = Memory {
            rom: true,
            ..ram(2048, 4, 1, true)
        };
        assert_eq!(map(&rom, Style::Auto, x), Mapping::Logic);
        assert_eq!(map(&rom, Style::Block, x), Mapping::Bram(1));
        // FIFOs with a style attribute (sweep of half_fifo).
        assert_eq!(
            map(&ram(65, 1, 1, true), Style::Distributed, x),
            Mapping::Lutram(4)
        );
        assert_eq!(
            map(&ram(16, 64, 1, true), Style::Distributed, x),
            Mapping::Lutram(44)
        );
        assert_eq!(
            map(&ram(32, 64, 1, true), Style::Block, x),
            Mapping::Bram(2)
        );
        assert_eq!(
            map(&ram(2048, 16, 1, true), Style::Block, x),
            Mapping::Bram(2)
        );
        assert_eq!(
            map(&ram(1024, 32, 1, true), Style::Block, x),
            Mapping::Bram(2)
        );
        assert_eq!(
            map(&ram(2048, 1, 1, true), Style::Block, x),
            Mapping::Bram(1)
        );
        // Asynchronous reads never go to block RAM.
        assert_eq!(
            map(&ram(4096, 8, 1, false), Style::Auto, x),
            Mapping::Lutram(768)
        );
        // A matrix unit's input buffer: single port, 8 bits per RAM32M (sweep C4).
        let inbuf = Memory {
            shared: true,
            ..ram(8, 64, 1, false)
        };
        assert_eq!(map(&inbuf, Style::Auto, x), Mapping::Lutram(32));
        let one = Memory {
            shared: true,
            ..ram(1, 64, 1, false)
        };
        assert_eq!(map(&one, Style::Auto, x), Mapping::Logic);
        // ... but a long one becomes a block RAM (CNV-W2A2 conv5: 144 x 32, cost 137).
        let long = Memory {
            shared: true,
            ..ram(144, 32, 1, false)
        };
        assert_eq!(map(&long, Style::Auto, x), Mapping::Bram(1));
        // A global pool's sums: 256 x 12 go to block RAM.
        assert_eq!(
            map(&ram(256, 12, 1, true), Style::Auto, x),
            Mapping::Bram(1)
        );
        assert_eq!(map(&ram(0, 8, 1, true), Style::Auto, x), Mapping::Logic);
    }
}
