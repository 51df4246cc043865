//! The glue between stages: stream forks, data-width converters, FIFOs and the AXI-Stream
//! adapters, costed as Yosys 0.23 synthesises their RTL modules (`half_fork`, `half_dwc`,
//! `half_fifo`, `half_axis_in`, `half_axis_out`; docs/cost-model.md, "Calibration against
//! Yosys", table C1).

use super::cycle::CycleModel;
use super::netlist::Instance;
use crate::cost::Family;
use crate::cost::memory::{self, Mapping, Memory, Style};
use crate::cost::{Resources, clog2, counter_bits};

/// Cost of a fork copying a `width`-bit stream to `ways` consumers (`half_fork`: two shared
/// slots, a read pointer and an occupancy per output): `WAYS * (W + 6) + 1` LUTs,
/// `2 W + 3 WAYS + 2` flip-flops (exact on the 8 swept forks).
pub fn fork(width: u64, ways: u64) -> Resources {
    Resources {
        lut: ways * (width + 6) + 1,
        ff: 2 * width + 3 * ways + 2,
        ..Default::default()
    }
}

/// Words a frame of `elems` elements takes in rows of `row` elements (a divisor of `elems`),
/// `par` elements a word: `ceil(row / par)` words a row.
pub fn words(elems: u64, par: u64, row: u64) -> u64 {
    let row = row.max(1);
    elems / row * row.div_ceil(par.max(1))
}

/// Whether rows of `row` elements in words of `par` end in a short word (padded lanes).
pub fn padded(par: u64, row: u64) -> bool {
    !row.is_multiple_of(par.max(1))
}

/// Greatest common divisor.
pub fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Cost of a width converter from `in_par` to `out_par` elements of `bits` per word, or None
/// when the widths agree (`half_dwc`). Its register holds `CAP = PI + PO + min(PI, PO) - g`
/// elements (`g = gcd(PI, PO)`); every slot `j` can take input element `i` when the fill
/// level equals `j - i`, which synthesis cannot bound, so slot `j` has a priority chain over
/// every `i <= j` with `j - i` a multiple of `g` (the fill level stays a multiple of `g`).
/// With `q = PI / g` those are `M = g q (q + 1) / 2 + (CAP - PI) q` choices per element bit:
/// LUTs `1.15 * bits * M + 13` (within 35 % on 14 converters), flip-flops
/// `CAP * bits + log2(CAP + PI + 1) + 2` (exact).
pub fn dwc(in_par: u32, out_par: u32, bits: u32) -> Option<Resources> {
    if in_par == out_par {
        return None;
    }
    let (pi, po, b) = (in_par as u64, out_par as u64, bits as u64);
    let g = gcd(pi, po).max(1);
    let cap = pi + po + pi.min(po) - g;
    let q = pi / g;
    let m = g * q * (q + 1) / 2 + (cap - pi) * q;
    Some(Resources {
        lut: (115 * b * m).div_ceil(100) + 13,
        ff: cap * b + clog2(cap + pi + 1) + 2,
        ..Default::default()
    })
}

/// Cost of a width converter between rows `i` and `o` of `bits`-bit elements (zero when the
/// words agree). Without a short word it is [`dwc`]. With one, the register is [`dwc_cap`]
/// elements and the fill level a multiple of `g = gcd(PI, PO, TI, TO)` (the same priority
/// chains as [`dwc`]'s, with this `g`), plus per padded side a word counter (`log2(words)`
/// flip-flops, as many LUTs and two for the compare) and, when the output's last word is
/// short, the second shift amount (a 2:1 choice per register bit) and the zeroing of its
/// `PO - TO` padded elements: an estimate from the module's structure, not fitted (Yosys
/// 0.70 on tests/data/padded.yaml's converters: 12.9 % under it; docs/cost-model.md 8.2).
pub fn dwc_rows(i: Rows, o: Rows, bits: u32) -> Resources {
    if !i.padded() && !o.padded() {
        return dwc(i.par as u32, o.par as u32, bits).unwrap_or_default();
    }
    let b = bits as u64;
    let g = fill_step(i, o);
    let cap = dwc_cap(i, o);
    let q = i.par / g;
    let m = g * q * (q + 1) / 2 + (cap - i.par) * q;
    let mut lut = (115 * b * m).div_ceil(100) + 13;
    let mut ff = cap * b + clog2(cap + i.par + 1) + 2;
    for side in [i, o].iter().filter(|r| r.padded()) {
        let cw = clog2(side.words).max(1);
        ff += cw;
        lut += cw + 2;
    }
    if o.padded() {
        lut += cap * b + (o.par - o.tail) * b;
    }
    Resources {
        lut,
        ff,
        ..Default::default()
    }
}

/// The one memory-style rule for inter-stage FIFOs, used by the cost model and by the RTL
/// netlist (`backend::rtl`): block RAM above 1 Kib, else distributed RAM.
pub fn fifo_in_bram(depth: u64, width: u64) -> bool {
    depth * width > 1024
}

/// The FIFO implementation the cost model prices for a stream of `depth` words of `width` bits
/// (the HLS `BIND_STORAGE impl`): shift registers for the two-word channels, else block RAM
/// or LUTRAM by [`fifo_in_bram`].
pub fn fifo_impl(depth: u64, width: u64) -> &'static str {
    if depth <= 2 {
        "srl"
    } else if fifo_in_bram(depth, width) {
        "bram"
    } else {
        "lutram"
    }
}

/// Cost of a FIFO of `depth` words of `width` bits as the netlist builds it: a two-word one is
/// a skid buffer ([`fifo_instance`]), a deeper one a `half_fifo` with the netlist's memory
/// style ([`fifo_in_bram`]).
pub fn fifo(depth: u64, width: u64) -> Resources {
    if depth == SKID_DEPTH {
        return axis_in(width);
    }
    fifo_styled(depth, width, fifo_in_bram(depth, width))
}

/// The depth of the FIFOs the netlist builds as a `half_axis_in` skid buffer: two registers,
/// ready while one is free, valid while one is full, one cycle from input to output (the
/// timing of a `half_fifo` of two words), at `W + 5` LUTs and `2 W + 2` flip-flops where the
/// `half_fifo` takes its memory, read and bypass registers and counters (`W = 256`: 261 LUTs
/// against 437).
pub const SKID_DEPTH: u64 = 2;

/// Cost of a `half_fifo` of `depth` words of `width` bits in block (`block`) or distributed
/// RAM. The memory is what Yosys maps for that style ([`memory::map`]; the 7-series LUTRAM
/// geometry, which UltraScale+ matches within a few LUTs); around it the read register
/// (absorbed by a block RAM), the bypass register and flag, and the counters: flip-flops
/// `W [read] + W + 1 + log2(D + 1) + 2 log2(D)`, exact on 90 swept FIFOs; logic LUTs
/// `W + 6 log2(D) + 7 log2(D + 1) - 11 (- 7 in block RAM)`, within 6 LUTs.
pub fn fifo_styled(depth: u64, width: u64, block: bool) -> Resources {
    if depth == 0 || width == 0 {
        return Resources::default();
    }
    let m = Memory {
        depth,
        width,
        read_ports: 1,
        sync_read: true,
        rom: false,
        shared: false,
    };
    let style = if block {
        Style::Block
    } else {
        Style::Distributed
    };
    let (mem_lut, bram) = match memory::map(&m, style, Family::Xc7) {
        Mapping::Lutram(l) => (l, 0),
        Mapping::Bram(n) => (0, n),
        Mapping::Logic => (0, 0),
    };
    let ab = clog2(depth);
    let cb = counter_bits(depth + 1).max(clog2(depth + 1));
    let logic = (width + 6 * ab + 7 * cb).saturating_sub(if bram > 0 { 18 } else { 11 });
    let read_reg = if bram > 0 { 0 } else { width };
    Resources {
        lut: mem_lut + logic.max(width + 4),
        ff: read_reg + width + 1 + cb + 2 * ab,
        bram18: bram,
        ..Default::default()
    }
}

/// The input adapter (`half_axis_in`, a skid buffer; also the two-word queue before every
/// width converter): `W + 5` LUTs, `2 W + 2` flip-flops.
pub fn axis_in(width: u64) -> Resources {
    Resources {
        lut: width + 5,
        ff: 2 * width + 2,
        ..Default::default()
    }
}

/// The output adapter (`half_axis_out`: the skid buffer with `tlast` and a word counter to
/// `words`): `W + 3 + 2 log2(words)` LUTs, `2 W + 4 + log2(words)` flip-flops.
pub fn axis_out(width: u64, words: u64) -> Resources {
    let nb = clog2(words);
    Resources {
        lut: width + 3 + 2 * nb,
        ff: 2 * width + 4 + nb,
        ..Default::default()
    }
}

/// The HLS call of the width converter of `elems` elements of `bits` bits a frame from stream
/// `a` (`pi` elements a word) to `b` (`po`), in rows of `(LI, LO)` elements when either side
/// pads its rows.
pub fn dwc_call(
    (elems, bits): (u64, u32),
    (pi, po): (u32, u32),
    rows: Option<(u64, u64)>,
    a: &str,
    b: &str,
) -> String {
    match rows {
        Some((li, lo)) => format!("half::dwc<{elems}, {bits}, {pi}, {po}, {li}, {lo}>({a}, {b});"),
        None => format!("half::dwc<{elems}, {bits}, {pi}, {po}>({a}, {b});"),
    }
}

/// The HLS call of the input adapter writing stream `out`.
pub fn axis_in_call(words: u64, par: u32, bits: u32, out: &str) -> String {
    format!("half::axis_in<{words}, {par}, {bits}, HG_IN_AXW>(in, {out});")
}

/// The HLS call of the output adapter reading `s_output`.
pub fn axis_out_call(words: u64, par: u32, bits: u32) -> String {
    format!("half::axis_out<{words}, {par}, {bits}, HG_OUT_AXW>(s_output, out);")
}

/// A fork's HLS calls, and the streams of `width` bits the calls chain through.
pub struct ForkCalls {
    /// Library calls, in dataflow order.
    pub calls: Vec<String>,
    /// Streams between chained forks: name and width.
    pub streams: Vec<(String, u64)>,
}

/// The HLS calls of fork `name`: `fork2`/`fork3`, or a chain of `fork2` for more consumers.
pub fn fork_calls(name: &str, input: &str, outs: &[String], words: u64, width: u64) -> ForkCalls {
    let mut f = ForkCalls {
        calls: Vec::new(),
        streams: Vec::new(),
    };
    match outs.len() {
        0 | 1 => f.calls.push(format!(
            "#error \"fork {name} has fewer than two consumers\""
        )),
        2 => f.calls.push(format!(
            "half::fork2<{words}, {width}>({input}, {}, {});",
            outs[0], outs[1]
        )),
        3 => f.calls.push(format!(
            "half::fork3<{words}, {width}>({input}, {}, {}, {});",
            outs[0], outs[1], outs[2]
        )),
        n => {
            let mut src = input.to_string();
            for (i, o) in outs.iter().enumerate().take(n - 1) {
                let rest = if i == n - 2 {
                    outs[n - 1].clone()
                } else {
                    format!("{name}_chain{i}")
                };
                if i != n - 2 {
                    f.streams.push((rest.clone(), width));
                }
                f.calls.push(format!(
                    "half::fork2<{words}, {width}>({src}, {o}, {rest});"
                ));
                src = rest;
            }
        }
    }
    f
}

/// The `half_dwc` width converter `n` of `elems` elements of `bits` bits a frame, from `pi` to
/// `po` elements a word, in rows of `(LI, LO)` elements when either side pads its rows.
pub fn dwc_instance(
    n: &str,
    (elems, bits): (u64, u32),
    (pi, po): (u32, u32),
    rows: Option<(u64, u64)>,
    (input, output): (&str, &str),
) -> Instance {
    let inst = Instance::new("half_dwc", format!("dwc_{n}"), "glue")
        .int("N", elems as i64)
        .int("B", bits as i64)
        .int("PI", pi)
        .int("PO", po);
    let inst = match rows {
        Some((li, lo)) => inst.int("LI", li as i64).int("LO", lo as i64),
        None => inst,
    };
    inst.io(&[input], &[output])
}

/// The FIFO on edge `n`: `width` bits, `depth` words; a `half_axis_in` skid buffer for
/// [`SKID_DEPTH`] words, else a `half_fifo`, in block RAM when [`fifo_in_bram`].
pub fn fifo_instance(n: &str, width: u64, depth: u64, input: &str, output: &str) -> Instance {
    if depth == SKID_DEPTH {
        return Instance::new("half_axis_in", format!("fifo_{n}"), "glue")
            .int("W", width as i64)
            .io(&[input], &[output]);
    }
    let style = if fifo_in_bram(depth, width) {
        "block"
    } else {
        "distributed"
    };
    Instance::new("half_fifo", format!("fifo_{n}"), "glue")
        .int("W", width as i64)
        .int("DEPTH", depth as i64)
        .str("RAM_STYLE", style)
        .io(&[input], &[output])
}

/// The `half_fork` after node `name`, copying `width`-bit words to every output.
pub fn fork_instance(name: &str, width: u64, input: &str, outputs: &[String]) -> Instance {
    let refs: Vec<&str> = outputs.iter().map(String::as_str).collect();
    Instance::new("half_fork", format!("fork_{name}"), "glue")
        .int("W", width as i64)
        .int("WAYS", outputs.len() as i64)
        .io(&[input], &refs)
}

/// The two-word queue in front of the width converter on edge `n`: a `half_axis_in` skid
/// buffer (ready while it holds fewer than two words, a FIFO of depth two in its timing), as
/// the HLS project has a two-word stream between the producer and its `half::dwc` process.
pub fn queue_instance(n: &str, width: u64, input: &str, output: &str) -> Instance {
    Instance::new("half_axis_in", format!("queue_{n}"), "glue")
        .int("W", width as i64)
        .io(&[input], &[output])
}

/// The `half_axis_in` adapter at the accelerator's input.
pub fn axis_in_instance(width: u64, input: &str, output: &str) -> Instance {
    Instance::new("half_axis_in", "axis_in", "glue")
        .int("W", width as i64)
        .io(&[input], &[output])
}

/// The `half_axis_out` adapter at the accelerator's output (`words` a frame, TLAST on the last).
pub fn axis_out_instance(words: u64, width: u64, input: &str, output: &str) -> Instance {
    Instance::new("half_axis_out", "axis_out", "glue")
        .int("WORDS", words as i64)
        .int("W", width as i64)
        .io(&[input], &[output])
}

/// `half_fifo`: ready while not full, valid while not empty (both from the count register).
#[derive(Debug, Clone)]
pub struct Fifo {
    pub(super) depth: u64,
    pub(super) cnt: u64,
    max: u64,
}

impl Fifo {
    /// An empty FIFO of `depth` words.
    pub fn new(depth: u64) -> Self {
        Fifo {
            depth,
            cnt: 0,
            max: 0,
        }
    }
}

impl CycleModel for Fifo {
    fn valid(&self, _: usize) -> bool {
        self.cnt != 0
    }
    fn ready(&self, _: usize, _: &[bool]) -> bool {
        self.cnt != self.depth
    }
    fn step(&mut self, took: &[bool], gave: &[bool]) {
        self.cnt = self.cnt + u64::from(took[0]) - u64::from(gave[0]);
        self.max = self.max.max(self.cnt);
    }
    fn max_occupancy(&self) -> Option<u64> {
        Some(self.max)
    }
}

/// `half_axis_in` (and the register stage of `half_axis_out`): an output register with a
/// skid buffer; ready while the skid buffer is empty.
#[derive(Debug, Clone, Default)]
pub struct Skid {
    out_v: bool,
    skid_v: bool,
}

impl CycleModel for Skid {
    fn valid(&self, _: usize) -> bool {
        self.out_v
    }
    fn ready(&self, _: usize, _: &[bool]) -> bool {
        !self.skid_v
    }
    fn step(&mut self, took: &[bool], gave: &[bool]) {
        let free = !self.out_v || gave[0];
        if free {
            self.out_v = self.skid_v || took[0];
            self.skid_v = false;
        } else if took[0] {
            self.skid_v = true;
        }
    }
}

/// How a converter's frame is cut into rows on one side: `len` elements a row, `par` a word,
/// `ceil(len / par)` words a row, the last one holding `tail` elements (`par` unless the
/// row's last word is short: a matrix unit's padded lanes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rows {
    /// Elements a word.
    pub par: u64,
    /// Words a row.
    pub words: u64,
    /// Elements of a row's last word.
    pub tail: u64,
}

impl Rows {
    /// Rows of `len` elements in words of `par`.
    pub fn new(par: u64, len: u64) -> Self {
        let words = len.div_ceil(par).max(1);
        Rows {
            par,
            words,
            tail: len - (words - 1) * par,
        }
    }

    /// A row's last word is short.
    pub fn padded(&self) -> bool {
        self.tail != self.par
    }

    /// Elements of word `w` of a row.
    fn elems(&self, w: u64) -> u64 {
        if w + 1 == self.words {
            self.tail
        } else {
            self.par
        }
    }

    /// The word after word `w` of a row.
    fn next(&self, w: u64) -> u64 {
        if w + 1 == self.words { 0 } else { w + 1 }
    }
}

/// The step of a `half_dwc`'s fill level from `i` to `o`: `gcd(PI, PO, TI, TO)`.
fn fill_step(i: Rows, o: Rows) -> u64 {
    gcd(gcd(i.par, o.par), gcd(i.tail, o.tail)).max(1)
}

/// The register size of a `half_dwc` from `i` to `o` (hls/rtl/half_dwc.v): `PI + PO + min(PI,
/// PO) - gcd(PI, PO)` without padding, `PI + PO + max(PI, PO) - gcd(PI, PO, TI, TO)` with (the
/// min form throttles some padded converters; [`tests::padded_converters_never_throttle`]).
pub fn dwc_cap(i: Rows, o: Rows) -> u64 {
    let g = fill_step(i, o);
    let extra = if i.padded() || o.padded() {
        i.par.max(o.par)
    } else {
        i.par.min(o.par)
    };
    i.par + o.par + extra - g
}

/// `half_dwc`: a shift register of [`dwc_cap`] elements and, where a row's last word is short,
/// a word counter per side.
#[derive(Debug, Clone)]
pub struct Dwc {
    i: Rows,
    o: Rows,
    cap: u64,
    have: u64,
    iw: u64,
    ow: u64,
    out_v: bool,
    in_r: bool,
}

impl Dwc {
    /// The model of a converter from rows `i` to rows `o`.
    pub fn new(i: Rows, o: Rows) -> Self {
        Dwc {
            i,
            o,
            cap: dwc_cap(i, o),
            have: 0,
            iw: 0,
            ow: 0,
            out_v: false,
            in_r: false,
        }
    }
}

impl CycleModel for Dwc {
    fn valid(&self, _: usize) -> bool {
        self.out_v
    }
    fn ready(&self, _: usize, _: &[bool]) -> bool {
        self.in_r
    }
    fn step(&mut self, took: &[bool], gave: &[bool]) {
        let mut have = self.have;
        if gave[0] {
            have -= self.o.elems(self.ow);
            self.ow = self.o.next(self.ow);
        }
        if took[0] {
            have += self.i.elems(self.iw);
            self.iw = self.i.next(self.iw);
        }
        self.have = have;
        self.out_v = have >= self.o.elems(self.ow);
        self.in_r = have + self.i.elems(self.iw) <= self.cap;
    }
}

/// `half_fork`: a two-word buffer with one occupancy per output; ready (registered) while every
/// output has fewer than two words pending.
#[derive(Debug, Clone)]
pub struct Fork {
    ways: usize,
    in_rdy: bool,
    occ: [u8; 4],
}

impl Fork {
    /// The model of a fork to `ways` consumers.
    pub fn new(ways: usize) -> Self {
        Fork {
            ways,
            in_rdy: false,
            occ: [0; 4],
        }
    }
}

impl CycleModel for Fork {
    fn valid(&self, port: usize) -> bool {
        self.occ[port] != 0
    }
    fn ready(&self, _: usize, _: &[bool]) -> bool {
        self.in_rdy
    }
    fn step(&mut self, took: &[bool], gave: &[bool]) {
        let mut rdy = true;
        for (occ, &g) in self.occ.iter_mut().zip(gave).take(self.ways) {
            *occ = *occ + u8::from(took[0]) - u8::from(g);
            rdy &= *occ != 2;
        }
        self.in_rdy = rdy;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Steady-state cycles per frame of converter `i -> o` over `rows_i` input rows a frame,
    /// the source always valid and the sink always ready.
    fn converter_cycles(i: Rows, o: Rows, rows_i: u64, rows_o: u64) -> u64 {
        let mut m = Dwc::new(i, o);
        let (win, wout) = (rows_i * i.words, rows_o * o.words);
        let (mut sent, mut got, mut ends) = (0, 0, Vec::new());
        for t in 0..100_000u64 {
            let took = m.ready(0, &[true]) && sent < 6 * win;
            let gave = m.valid(0);
            m.step(&[took], &[gave]);
            sent += u64::from(took);
            got += u64::from(gave);
            if gave && got % wout == 0 {
                ends.push(t);
            }
            assert!(m.have <= m.cap);
            if ends.len() == 6 {
                break;
            }
        }
        (ends[5] - ends[1]) / 4
    }

    #[test]
    fn padded_converters_never_throttle() {
        // Every converter of up to 8 elements a word and rows of up to 13 elements runs at one
        // word a cycle on its busier side; with the min form of the register size, converters
        // such as 3 -> 4 over rows of 3 -> 13 take 14 cycles a frame for 13 words.
        for (pi, po) in (1..=8).flat_map(|a| (1..=8).map(move |b| (a, b))) {
            for (li, lo) in (1..=13).flat_map(|a| (1..=13).map(move |b| (a, b))) {
                let n = li * lo / gcd(li, lo);
                if n > 60 {
                    continue;
                }
                let (i, o) = (Rows::new(pi, li), Rows::new(po, lo));
                let words = (n / li * i.words).max(n / lo * o.words);
                assert_eq!(
                    converter_cycles(i, o, n / li, n / lo),
                    words,
                    "{pi} -> {po}, rows {li} -> {lo}"
                );
            }
        }
        let (i, o) = (Rows::new(3, 3), Rows::new(4, 13));
        let min_form = 3 + 4 + 3 - 1;
        assert_eq!(dwc_cap(i, o), 3 + 4 + 4 - 1);
        assert_eq!(dwc_cap(Rows::new(3, 12), Rows::new(4, 12)), min_form);
    }

    #[test]
    fn glue_costs() {
        assert_eq!(dwc(4, 4, 8), None);
        // Yosys: 1 -> 8 of 4 bits: 55 LUTs, 42 FFs; 64 -> 1 of 8 bits: 15046 LUTs (the model
        // overestimates this extreme by 31 %), 530 FFs.
        let a = dwc(1, 8, 4).unwrap();
        assert_eq!(a.ff, 42);
        assert!((40..=80).contains(&a.lut));
        let b = dwc(64, 1, 8).unwrap();
        assert_eq!(b.ff, 530);
        assert!((15000..=20000).contains(&b.lut));
        // FIFOs (Yosys sweep): a 2 x 16 `half_fifo` in distributed RAM: 50 LUTs, 37 FFs; the
        // skid buffer the netlist builds for two words instead: W + 5, 2 W + 2; 32 x 64 in
        // block RAM.
        let f = fifo_styled(2, 16, false);
        assert_eq!(f.ff, 16 + 16 + 1 + 2 + 2);
        assert_eq!(f.bram18, 0);
        assert_eq!(fifo(2, 16), axis_in(16));
        assert!(fifo(2, 16).lut < f.lut);
        let g = fifo(32, 64);
        assert_eq!(g.bram18, 2);
        assert_eq!(g.ff, 64 + 1 + 6 + 10);
        assert_eq!(fifo(162, 4).bram18, 0);
        assert_eq!(fifo(2048, 16).bram18, 2);
        assert_eq!(
            fork(64, 2),
            Resources {
                lut: 141,
                ff: 136,
                ..Default::default()
            }
        );
        assert_eq!(axis_in(32).ff, 66);
        assert_eq!(axis_out(8, 100).ff, 27);
    }
}
