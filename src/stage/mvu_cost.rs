//! Matrix-vector unit (MVU): the compute core of conv (after the window generator) and dense.
//!
//! Loop nest, one iteration per cycle (II=1), as FINN's MVAU and our HLS/RTL unit:
//! `for pixel in 0..pixels { for nf in 0..MH/PE { for sf in 0..MW/SIMD { PE x SIMD MACs } } }`
//! so cycles per frame = `pixels * (MH/PE) * (MW/SIMD)` (FINN `MatrixVectorActivation`
//! `get_exp_cycles`). During the first neuron fold the input vector is captured in an input
//! buffer and replayed for the other `MH/PE - 1` folds.

use super::memo::Memo;
use super::requant::{self, Epilogue, RequantShape};
use super::{Fold, HwCtx, Unit};
use crate::cost::memory::{self, Mapping, Memory, Style};
use crate::cost::{
    DspKind, MemStyle, MultStyle, Resources, ScaleStyle, clog2, counter_bits, lut_rom, mult_dsps,
    mult_luts, uram,
};
use crate::format::ElemType;

/// Geometry of one matrix-vector unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MvuShape {
    /// Matrix width: inputs per output (kh*kw*cin, or input features).
    pub mw: u64,
    /// Matrix height: outputs (cout, or units).
    pub mh: u64,
    /// Output pixels per frame (1 for dense).
    pub pixels: u64,
    /// Weight type.
    pub wt: ElemType,
    /// Input activation type.
    pub at: ElemType,
    /// Whether biases are stored.
    pub bias: bool,
}

/// Pipeline depth: weight read, multiply, `ceil(log2 SIMD)` adder levels, accumulate, requant.
pub fn depth(simd: u32) -> u64 {
    4 + if simd <= 1 {
        0
    } else {
        counter_bits(simd as u64)
    }
}

/// Bits of one product `w * x` (1 for a bipolar XNOR).
pub fn product_bits(wt: ElemType, at: ElemType) -> u32 {
    match (wt.is_bipolar(), at.is_bipolar()) {
        (true, true) => 1,
        (true, false) => at.bits + 1,
        (false, true) => wt.bits + 1,
        _ => wt.bits + at.bits + u32::from(!at.signed),
    }
}

/// True when a DSP can take this product (both operands wider than one bit).
pub fn dsp_capable(wt: ElemType, at: ElemType) -> bool {
    !wt.is_bipolar() && !at.is_bipolar()
}

/// How a DSP slice computes the products of several PEs that share an activation
/// (`MultStyle::Packed`): `lanes` weights `lane_bits` apart in one operand,
/// `sum_i w_i 2^(i L)`, times the activation; lane `i` of the result is its `L`-bit field plus
/// the sign bit below it, exact when every product fits `L` bits signed (FINN's
/// mvu_8sx8u_dsp48 packs two int8 products at bits 0 and 16 the same way; AMD WP486).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packing {
    /// Products per DSP slice.
    pub lanes: u32,
    /// Bits between lanes (`L`): the narrowest signed width holding every product.
    pub lane_bits: u32,
}

/// The packing for weights `wt` and activations `at` on `dsp`, or None when a slice takes one
/// product only: a bipolar operand, a product Yosys would not put in a DSP, or fewer than two
/// lanes in the slice's `A` port (25 bits on DSP48E1, 27 on DSP48E2: the operand takes
/// `(lanes - 1) L + WB + 1` bits, the top lane's weight scaled plus the lanes below it, which
/// can take it one below the top lane's range). 8-bit x 8-bit: two lanes of 16 bits; 4-bit:
/// three of 8.
pub fn packing(wt: ElemType, at: ElemType, dsp: DspKind) -> Option<Packing> {
    if product_dsps(wt, at, MultStyle::Dsp, dsp) != 1 {
        return None;
    }
    let corners = [
        wt.min() * at.min(),
        wt.min() * at.max(),
        wt.max() * at.min(),
        wt.max() * at.max(),
    ];
    let (lo, hi) = (*corners.iter().min()?, *corners.iter().max()?);
    let lane_bits = (1..=40u32).find(|&l| lo >= -(1i64 << (l - 1)) && hi < (1i64 << (l - 1)))?;
    let a_port: u32 = match dsp {
        DspKind::Dsp48e1 => 25,
        DspKind::Dsp48e2 => 27,
    };
    let lanes = a_port.checked_sub(wt.bits + 1)? / lane_bits + 1;
    let operand = (lanes - 1) * lane_bits + wt.bits + 1;
    let (_, xb) = operand_bits(wt, at);
    (lanes >= 2 && mult_dsps(operand, xb, dsp) == 1).then_some(Packing { lanes, lane_bits })
}

/// The packing a fold's multiplier style `mult` asks of its products: [`packing`] for the
/// packed style, None for the others.
pub fn packing_of(mult: MultStyle, wt: ElemType, at: ElemType, dsp: DspKind) -> Option<Packing> {
    match mult {
        MultStyle::Packed => packing(wt, at, dsp),
        _ => None,
    }
}

/// The signed operand widths Yosys multiplies (`wd * xd` of the RTL after trimming): a
/// bipolar value is a 2-bit +-1, an unsigned activation gains a zero sign bit.
pub fn operand_bits(wt: ElemType, at: ElemType) -> (u32, u32) {
    let w = if wt.is_bipolar() { 2 } else { wt.bits };
    let x = if at.is_bipolar() {
        2
    } else {
        at.bits + u32::from(!at.signed)
    };
    (w, x)
}

/// DSP slices of one product under `mult` (0 when it stays in the fabric: LUT style, a
/// bipolar operand, or a product under 9 bits, which Yosys never puts in a DSP).
pub fn product_dsps(wt: ElemType, at: ElemType, mult: MultStyle, dsp: DspKind) -> u64 {
    if mult == MultStyle::Lut || !dsp_capable(wt, at) {
        return 0;
    }
    let (a, b) = operand_bits(wt, at);
    mult_dsps(a, b, dsp)
}

/// LUTs of one product in the fabric (an XNOR with its share of the popcount, or a
/// multiplier): what the datapath charges per product at the least, which the lower bound
/// (`fold::bound`) relies on.
pub fn product_luts(wt: ElemType, at: ElemType) -> f64 {
    if wt.is_bipolar() && at.is_bipolar() {
        return XNOR_LUTS;
    }
    fabric_product_luts(wt, at) as f64
}

/// LUTs of one product in the fabric (not XNOR): [`PP_LUTS`] per adder bit of hls/rtl/
/// half_mul.v's partial-product tree where the RTL builds it ([`partial_product_bits`]),
/// otherwise Yosys' own multiplier ([`mult_luts`]).
pub fn fabric_product_luts(wt: ElemType, at: ElemType) -> u64 {
    match partial_product_bits(wt, at) {
        Some(bits) => (PP_LUTS * bits as f64).round() as u64,
        None => {
            let (a, b) = operand_bits(wt, at);
            mult_luts(a, b, at.signed || at.is_bipolar())
        }
    }
}

/// Adder bits of hls/rtl/half_mul.v for a `wt` x `at` product in the fabric, None where the
/// RTL keeps Yosys' `*` (the RTL's `PPMUL`: weights under 5 bits or activations under 3,
/// where the partial products cost more than Yosys' multiplier, table C3b). The activation's
/// bits select partial products of the weight (one bit wider for a signed activation, whose
/// top partial product is negated by one more adder); half_shift_sum adds them in a balanced
/// tree whose node over `n` terms adds `W + floor(n/2)` bits.
pub fn partial_product_bits(wt: ElemType, at: ElemType) -> Option<u64> {
    if wt.is_bipolar() || at.is_bipolar() || wt.bits < 5 || at.bits < 3 {
        return None;
    }
    let term = (wt.bits + u32::from(at.signed)) as u64;
    let negate = if at.signed { term } else { 0 };
    Some(balanced_tree_bits(at.bits as u64, |n| term + n / 2) + negate)
}

// Calibrated constants of the matrix and vector units (docs/cost-model.md, "Calibration
// against Yosys", tables C4 and C4b: Yosys 0.23 on the units of the example builds; C4c: the
// tree and logic-ROM constants refitted for Yosys 0.70).
/// LUTs of one XNOR product.
const XNOR_LUTS: f64 = 1.0;
/// LUTs per adder bit of a fabric product built by hls/rtl/half_mul.v (table C3b: five
/// standalone products, 8 x 8 unsigned 100 LUT for 68 bits, signed 110 for 84, 16 x 8 signed
/// 206 for 148; least relative squares).
const PP_LUTS: f64 = 1.44;
/// Product kind of the adder-tree constants: XNOR products.
const KIND_XNOR: usize = 0;
/// Product kind: fabric products of at most [`NARROW_PRODUCT_BITS`] bits.
const KIND_FABRIC_NARROW: usize = 1;
/// Product kind: DSP products (packed or not).
const KIND_DSP: usize = 2;
/// Product kind: wider fabric products.
const KIND_FABRIC_WIDE: usize = 3;
/// Product kind: DSP products (packed or not) of at most [`NARROW_DSP_PRODUCT_BITS`] bits.
const KIND_DSP_NARROW: usize = 4;
/// DSP products up to this many bits (4 x 4-bit operands and narrower) take a tree constant of
/// their own with Yosys 0.70 (table C4c: 1.22 LUTs per tree bit against 1.54 for wider ones).
const NARROW_DSP_PRODUCT_BITS: u64 = 12;
/// Fabric products up to this many bits: ABC merges them into the first adders (table C4b:
/// CNV-W2A2's 2 x 2-bit units, 5-bit products, fit 0.60 LUT per tree bit; ResNet-8's 8-bit
/// units, 17-bit products, fit 1.44).
const NARROW_PRODUCT_BITS: u64 = 8;
/// LUTs per adder bit of hls/rtl/half_sum.v's tree, by product kind (table C4b: the balanced
/// tree's bits by `tree_adder_bits`, least squares over the example units with Yosys 0.23:
/// 0.73, 0.60, 1.31, 1.44; refitted for Yosys 0.70 by `bench/fit_units.py` on 141 matrix and
/// vector units of the seven examples, three test models and twelve sweep builds, table C4c;
/// the narrow DSP products of [`KIND_DSP_NARROW`] have their own).
const TREE_LUTS: [f64; 5] = [0.58, 1.37, 1.54, 1.22, 1.22];

// UltraScale+ (`synth_xilinx -family xcup`): docs/cost-model.md section 13.7, table C8b (the
// matrix and vector units of the zcu104 ResNet-8 build through Yosys 0.23).
/// UltraScale+ LUTs per tree bit behind DSP products. XNOR and fabric products keep the
/// 7-series constants of [`TREE_LUTS`]: none was measured, and the fabric products' extra
/// LUTs are charged by [`xcup_mult`].
const XCUP_DSP_TREE_LUTS: f64 = 1.08;
/// UltraScale+ LUTs per accumulator bit (the 7-series model charges one; the SIMD-1 DSP units
/// of table C8 leave about a quarter).
const XCUP_ACC_LUTS: f64 = 0.25;

/// UltraScale+ factor on [`mult_luts`] for a product in the fabric, by its narrower operand:
/// `0.73 (lo / 2)^0.49` (table C8: 2 x 8 bits 0.73, 8 x 9 bits 1.44), at least 1 so that
/// [`product_luts`] stays a lower bound of the datapath.
fn xcup_mult(lo: u32) -> f64 {
    (0.73 * (lo as f64 / 2.0).powf(0.49)).max(1.0)
}

/// The adder-tree kind of DSP products of `pbits` bits.
fn dsp_kind(pbits: u64) -> usize {
    if pbits <= NARROW_DSP_PRODUCT_BITS {
        KIND_DSP_NARROW
    } else {
        KIND_DSP
    }
}

/// LUTs of adder trees of `bits` adder bits ([`tree_adder_bits`]) for product kind `kind`
/// in the family of `dsp`.
fn tree_luts(bits: u64, kind: usize, dsp: DspKind) -> u64 {
    let k = match dsp {
        DspKind::Dsp48e2 if kind == KIND_DSP || kind == KIND_DSP_NARROW => XCUP_DSP_TREE_LUTS,
        _ => TREE_LUTS[kind],
    };
    (k * bits as f64).round() as u64
}

/// Adder bits of one lane's sum of `simd` products of `pbits` bits as hls/rtl/half_sum.v
/// builds it: a balanced tree whose node over `n` terms adds its halves in `pbits + clog2(n)`
/// bits. XNOR products are 1-bit match counts and the lane turns the count `c` into
/// `2c - simd` with one more adder of the count's width.
pub fn tree_adder_bits(simd: u64, pbits: u64, xnor: bool) -> u64 {
    let count = if xnor { pbits + clog2(simd) + 1 } else { 0 };
    balanced_tree_bits(simd, |n| pbits + clog2(n)) + count
}

/// The sum of `node_bits(n)` over the nodes of a balanced tree on `terms` leaves, a node over
/// `n > 1` leaves splitting them into `ceil(n/2)` and `floor(n/2)` (hls/rtl/half_sum.v and
/// half_shift_sum.v). The sizes on one level differ by at most one, so a level is at most two
/// (size, nodes) pairs and the walk takes `log2 terms` steps, without allocating.
fn balanced_tree_bits(terms: u64, node_bits: impl Fn(u64) -> u64) -> u64 {
    let mut bits = 0;
    let mut level = [(terms, 1u64), (0, 0)];
    while level.iter().any(|&(n, _)| n > 1) {
        let mut next = [(0u64, 0u64); 2];
        for (n, nodes) in level {
            if n <= 1 {
                continue;
            }
            bits += nodes * node_bits(n);
            for half in [n.div_ceil(2), n / 2] {
                let slot = if next[0].1 == 0 || next[0].0 == half {
                    0
                } else {
                    1
                };
                debug_assert!(next[slot].1 == 0 || next[slot].0 == half);
                next[slot] = (half, next[slot].1 + nodes);
            }
        }
        level = next;
    }
    bits
}

/// LUTs of a ROM of per-neuron-fold constants (the biases: `nf` words of `width` bits, an
/// asynchronous ROM). On UltraScale+ a single word is a constant and costs nothing (table C8);
/// the 7-series fit (table C4) charges it as any ROM.
pub fn bias_rom(nf: u64, width: u64, dsp: DspKind) -> u64 {
    match dsp {
        DspKind::Dsp48e2 if nf <= 1 => 0,
        _ => lut_rom(nf, width),
    }
}
/// Fixed LUTs of a unit (issue logic, credit counters, output queue control): 73 with Yosys
/// 0.23 (table C4), 93 with 0.70 (table C4c).
pub const UNIT_LUTS: u64 = 93;
/// LUTs per lane (PE) that Yosys 0.70 saves on what the 0.23-fitted lane items (accumulator,
/// bias, requantiser) sum to (table C4c, the relative least squares of
/// `bench/fit_units.py` over 141 units); charged by [`apply_lane_saving`].
const LANE_LUTS_SAVED: u64 = 44;

/// The most the lanes of a unit can save ([`apply_lane_saving`]) when its weights are in
/// block RAM (or UltraRAM): what its lane items cost (the bias ROM `bias_lut`, the
/// requantiser `rq_lut` and the accumulators, `acc_bits` LUTs a lane). With weights in logic
/// there is no such limit: ABC9 maps the ROM together with the products and lanes it feeds.
/// Measured with Yosys 0.70 on the block-RAM units of four CNV builds (XNOR and 2-bit lanes,
/// whose items cost about 20 LUTs a lane, less than the fitted 44): CNV-W1A1's conv3 (PE 128)
/// -42 % and fc0 -84 % without the limit, -13 % and -15 % with it; CNV-W2A2's packed conv0
/// -97 % and -55 % (docs/cost-model.md 13.10). The 8-bit units (items over 44 LUTs a lane)
/// do not change.
pub fn lane_item_cap(wmem: &Resources, bias_lut: u64, rq_lut: u64, pe: u64, acc_bits: u64) -> u64 {
    if wmem.bram18 > 0 || wmem.uram > 0 {
        bias_lut + rq_lut + pe * acc_bits
    } else {
        u64::MAX
    }
}

/// Takes the lane saving of [`LANE_LUTS_SAVED`] for `pe` lanes, at most `cap`
/// ([`lane_item_cap`]), off a unit's `lut`, never below what the lower bound (`fold::bound`)
/// charges its `products` products at the least: [`product_luts`] each when they are in the
/// fabric (multiplier style `mult`), none in DSPs.
pub fn apply_lane_saving(
    lut: u64,
    pe: u64,
    products: u64,
    (wt, at): (ElemType, ElemType),
    mult: MultStyle,
    dsp: DspKind,
    cap: u64,
) -> u64 {
    take_lane_saving(lut, pe, cap, lane_floor(products, (wt, at), mult, dsp))
}

/// The least LUTs [`apply_lane_saving`] leaves a unit of `products` products.
fn lane_floor(products: u64, (wt, at): (ElemType, ElemType), mult: MultStyle, dsp: DspKind) -> u64 {
    let in_dsps = packing_of(mult, wt, at, dsp).is_some() || product_dsps(wt, at, mult, dsp) > 0;
    if in_dsps {
        0
    } else {
        (products as f64 * product_luts(wt, at)).ceil() as u64
    }
}

/// [`apply_lane_saving`] with its floor ([`lane_floor`]) worked out.
fn take_lane_saving(lut: u64, pe: u64, cap: u64, floor: u64) -> u64 {
    lut - (LANE_LUTS_SAVED * pe)
        .min(cap)
        .min(lut.saturating_sub(floor))
}

/// Fixed flip-flops of a unit (pipeline valid and first/last flags, pipelined fold indices,
/// queue pointers and counts).
pub const UNIT_FFS: u64 = 50;

/// Multipliers, adder tree and accumulators of `pe` lanes of `simd` products with
/// `acc_bits`-bit accumulators (the RTL's `ACC`). Products are registered (`a + b` bits each,
/// in the fabric also when a DSP multiplies: the flow keeps DSPs multiply-only), summed by an
/// `acc_bits`-wide tree of `SIMD - 1` adders (`PE * (SIMD-1) * (product bits + log2 SIMD)`
/// adder bits) into a registered sum and the accumulator (2 * ACC flip-flops, ACC LUTs).
pub fn datapath(
    pe: u64,
    simd: u64,
    wt: ElemType,
    at: ElemType,
    acc_bits: u64,
    mult: MultStyle,
    dsp: DspKind,
) -> Resources {
    let n = pe * simd;
    let xnor = wt.is_bipolar() && at.is_bipolar();
    let packed = packing_of(mult, wt, at, dsp);
    let dsps = product_dsps(wt, at, mult, dsp);
    let (a, b) = operand_bits(wt, at);
    let pbits = if xnor { 1 } else { (a + b) as u64 };
    let (prod_luts, kind) = if xnor {
        ((XNOR_LUTS * n as f64).round() as u64, KIND_XNOR)
    } else if let Some(pk) = packed {
        (packing_luts(pe, simd, pk), dsp_kind(pbits))
    } else if dsps == 0 {
        let each = fabric_product_luts(wt, at);
        let each = match dsp {
            DspKind::Dsp48e1 => each,
            DspKind::Dsp48e2 => (xcup_mult(a.min(b)) * each as f64).round() as u64,
        };
        let kind = if pbits <= NARROW_PRODUCT_BITS {
            KIND_FABRIC_NARROW
        } else {
            KIND_FABRIC_WIDE
        };
        (n * each, kind)
    } else {
        (0, dsp_kind(pbits))
    };
    let tree_bits = pe * tree_adder_bits(simd, pbits, xnor);
    let tree = tree_luts(tree_bits, kind, dsp);
    let acc_luts = match dsp {
        DspKind::Dsp48e1 => pe * acc_bits,
        DspKind::Dsp48e2 => (XCUP_ACC_LUTS * (pe * acc_bits) as f64).round() as u64,
    };
    Resources {
        lut: prod_luts + tree + acc_luts,
        ff: n * pbits + 2 * pe * acc_bits,
        dsp: match packed {
            Some(pk) => pe.div_ceil(pk.lanes as u64) * simd,
            None => n * dsps,
        },
        ..Default::default()
    }
}

/// LUTs that packing adds to `pe` lanes of `simd` products: none for two lanes a slice (Yosys
/// 0.23 gives the 8-bit two-lane matrix units of tests/packed.rs 33 LUTs fewer and 7 more than
/// one product a slice, out of 2,300 and 290), about 12 per lane beyond the first for three
/// lanes (4-bit: 399 more over 32 such lanes), where the operand takes a second adder.
fn packing_luts(pe: u64, simd: u64, pk: Packing) -> u64 {
    let slices = pe.div_ceil(pk.lanes as u64);
    (pe - slices) * simd * 12 * (pk.lanes as u64).saturating_sub(2)
}

/// LUTs per weight bit that a ROM in logic adds inside a matrix or vector unit beyond its
/// standalone mapping ([`lut_rom`]): Yosys 0.70's ABC9 maps the ROM together with the
/// products it feeds (no wide-LUT multiplexers, more 4- and 5-input LUTs), where a standalone
/// ROM of the same shape maps as in 0.23 (table C4c, `bench/fit_units.py`).
const ROM_LOGIC_LUTS_PER_BIT: f64 = 0.054;

/// A weight ROM of `depth` x `width` bits in logic, with its read register.
fn logic_rom(depth: u64, width: u64) -> Resources {
    let in_context = (ROM_LOGIC_LUTS_PER_BIT * (depth * width) as f64).round() as u64;
    Resources {
        lut: lut_rom(depth, width) + in_context,
        ff: width,
        ..Default::default()
    }
}

/// Weight memory of `depth` words of `width` bits in the given style: block RAM as Yosys
/// maps the `rom_style = "block"` ROM ([`memory::map`]), or soft logic with its read register
/// (`rom_style = "distributed"`, which Vivado and the synthesis flow build from LUTs).
pub fn weight_memory(depth: u64, width: u64, mem: MemStyle, hw: &HwCtx) -> Resources {
    match mem {
        MemStyle::Bram => {
            let m = Memory {
                depth,
                width,
                read_ports: 1,
                sync_read: true,
                rom: true,
                shared: false,
            };
            match memory::map(&m, Style::Block, hw.family()) {
                Mapping::Bram(n) => Resources {
                    bram18: n,
                    ..Default::default()
                },
                _ => logic_rom(depth, width),
            }
        }
        MemStyle::Lutram => logic_rom(depth, width),
        MemStyle::Uram => Resources {
            uram: uram(depth, width),
            ..Default::default()
        },
    }
}

/// A RAM of the RTL that synthesis maps by cost ([`memory::map`]): LUTs, flip-flops or block
/// RAM as the mapping gives them.
pub fn ram(m: &Memory, hw: &HwCtx) -> Resources {
    match memory::map(m, Style::Auto, hw.family()) {
        Mapping::Lutram(l) => Resources {
            lut: l,
            ..Default::default()
        },
        Mapping::Bram(n) => Resources {
            bram18: n,
            ..Default::default()
        },
        Mapping::Logic => Resources {
            lut: m.width * m.depth.saturating_sub(1).div_ceil(4) * m.read_ports,
            ff: m.width * m.depth,
            ..Default::default()
        },
    }
}

/// The unit's output queue (8 words of `PE * OB` bits, asynchronous read: distributed RAM).
pub fn queue(pe: u64, out_bits: u64, hw: &HwCtx) -> Resources {
    ram(
        &Memory {
            depth: 8,
            width: pe * out_bits,
            read_ports: 1,
            sync_read: false,
            rom: false,
            shared: false,
        },
        hw,
    )
}

/// The weight a matrix or vector unit of `mw` inputs (window positions) by `mh` outputs
/// (channels) holds in lane `q`, memory row `r` (neuron fold `r / SF`, synapse fold `r % SF`)
/// and SIMD slot `s`, read from weights stored input-major (`w[input * mh + output]`,
/// docs/model-format.md); 0 past the end. Both backends lay out their ROMs with it.
pub fn weight_at<'a>(
    w: &'a [i64],
    mw: u64,
    mh: u64,
    fold: &Fold,
) -> impl Fn(u32, u64, u32) -> i64 + 'a {
    let (pe, simd) = (fold.pe as u64, fold.simd as u64);
    let sf = mw.div_ceil(simd.max(1)).max(1);
    move |q, r, s| {
        let out = (r / sf) * pe + q as u64;
        let inp = (r % sf) * simd + s as u64;
        // A padded lane (an input or output past the matrix) holds zero.
        if inp >= mw || out >= mh {
            return 0;
        }
        w.get((inp * mh + out) as usize).copied().unwrap_or(0)
    }
}

/// The matrix unit's input replay buffer: `SF` words of `SIMD` activations, read (async) or
/// written once an iteration; None with one neuron fold or one synapse fold, where synthesis
/// keeps no memory (never read, or one word).
fn input_buffer(nf: u64, sf: u64, x_bits: u64) -> Option<Memory> {
    (nf > 1 && sf > 1).then_some(Memory {
        depth: sf,
        width: x_bits,
        read_ports: 1,
        sync_read: false,
        rom: false,
        shared: true,
    })
}

/// Where the matrix unit's input buffer lives, as [`model`] costs it: `bram`, `lutram` or
/// `registers` (also for no buffer: at most one word); the `XSTORE` argument of `half::mvu`, which binds the
/// buffer to it (hls/include/half/mvu.h).
pub fn input_store(mw: u64, mh: u64, fold: &Fold, x_bits: u32, hw: &HwCtx) -> &'static str {
    let (pe, simd) = (fold.pe as u64, fold.simd as u64);
    let m = input_buffer(mh.div_ceil(pe), mw.div_ceil(simd), simd * x_bits as u64);
    match m.map(|m| memory::map(&m, Style::Auto, hw.family())) {
        Some(Mapping::Lutram(_)) => "lutram",
        Some(Mapping::Bram(_)) => "bram",
        _ => "registers",
    }
}

/// What an XNOR unit saves when its weight ROM is distributed logic of at most 32 rows: a
/// weight bit's ROM (5 address bits) and its XNOR with the activation bit fit one LUT6, and
/// Yosys merges the ROM's read register into the match register, so each product takes one
/// LUT and one flip-flop fewer than the ROM, the XNOR and both registers priced apart.
/// Measured with Yosys 0.23 on TFC-W1A1's fc0 (PE 64 x SIMD 112, 28 rows): 22,187 LUTs and
/// 7,127 FFs against 32,580 and 15,917 priced apart (docs/cost-model.md 13.8); at 56 rows
/// (PE 32) no such saving (the model was within 7 %).
fn xnor_rom_fusion(s: &MvuShape, fold: &Fold, rows: u64, wmem: &Resources) -> Resources {
    let xnor = s.wt.is_bipolar() && s.at.is_bipolar();
    let logic_rom = wmem.bram18 == 0 && wmem.uram == 0;
    if !(xnor && logic_rom && rows <= 32) {
        return Resources::default();
    }
    let n = fold.pe as u64 * fold.simd as u64;
    Resources {
        lut: (XNOR_LUTS * n as f64).round() as u64,
        ff: n,
        ..Default::default()
    }
}

/// The parts of [`model`] that folds of one matrix share, kept across a batch of one layer's
/// folds ([`model_with`]; the folds arrive grouped by PE and SIMD, styles innermost): the
/// requantiser's shape and cost per PE and scale style (forgotten when the PE changes, so
/// that a lookup scans at most the scale styles), the rest per PE and SIMD and their style.
/// The figures are those of [`model`] alone.
#[derive(Debug, Default)]
pub struct ModelMemo {
    /// The arguments besides the style that `parts` depend on.
    scope: Option<(MvuShape, u64, u64, HwCtx)>,
    parts: ScopedParts,
    /// The PE `shape` and `requant` hold figures for.
    pe: u32,
    shape: Memo<ScaleStyle, RequantShape>,
    requant: Memo<(RequantShape, DspKind), Resources>,
}

/// What [`ModelMemo`] keeps for one PE, SIMD, matrix and board (forgotten when they change).
#[derive(Debug, Default)]
struct ScopedParts {
    weights: Memo<MemStyle, Resources>,
    inbuf: Option<(Resources, &'static str)>,
    datapath: Memo<(MultStyle, u64), Resources>,
    lane_floor: Memo<MultStyle, u64>,
    queue: Memo<u64, Resources>,
}

impl ScopedParts {
    /// Forgets every part (keeping the memos' memory).
    fn clear(&mut self) {
        let ScopedParts {
            weights,
            inbuf,
            datapath,
            lane_floor,
            queue,
        } = self;
        weights.clear();
        *inbuf = None;
        datapath.clear();
        lane_floor.clear();
        queue.clear();
    }
}

impl ModelMemo {
    /// The requantiser's shape of a layer with epilogue `ep` under `fold` (one layer a memo).
    pub fn requant_shape(&mut self, ep: Epilogue, fold: &Fold) -> RequantShape {
        self.at_pe(fold.pe);
        self.shape
            .get(fold.scale, || ep.scaled(fold.scale).shape(fold.pe))
    }

    /// Forgets the per-PE figures when `pe` is not the PE they are for.
    fn at_pe(&mut self, pe: u32) {
        if self.pe != pe {
            self.pe = pe;
            self.shape.clear();
            self.requant.clear();
        }
    }
}

/// Cost and cycles of the unit under `fold`.
pub fn model(s: &MvuShape, fold: &Fold, rq: &RequantShape, hw: &HwCtx) -> Unit {
    model_with(s, fold, rq, hw, &mut ModelMemo::default())
}

/// [`model`], reusing the parts `memo` holds from earlier folds of the same matrix.
pub fn model_with(
    s: &MvuShape,
    fold: &Fold,
    rq: &RequantShape,
    hw: &HwCtx,
    memo: &mut ModelMemo,
) -> Unit {
    let (pe, simd) = (fold.pe as u64, fold.simd as u64);
    let scope = Some((*s, pe, simd, *hw));
    if memo.scope != scope {
        memo.scope = scope;
        memo.parts.clear();
    }
    memo.at_pe(fold.pe);
    let parts = &mut memo.parts;
    // Padded lanes: a PE or SIMD that does not divide the matrix rounds its folds up (the
    // padded lanes compute zeros and cost as much as the others).
    let nf = s.mh.div_ceil(pe);
    let sf = s.mw.div_ceil(simd);
    let rows = nf * sf;
    let cycles = s.pixels * nf * sf;
    let acc_bits = rq.acc_bits() as u64;
    let wmem = parts.weights.get(fold.mem, || {
        weight_memory(rows, pe * simd * s.wt.bits as u64, fold.mem, hw)
    });
    let bias = Resources {
        lut: if s.bias {
            bias_rom(nf, pe * acc_bits, hw.dsp)
        } else {
            0
        },
        ..Default::default()
    };
    // The input vector is replayed from a single-port buffer (read and write at `sf`); with
    // one neuron fold it is never read and synthesis removes it.
    let x_bits = simd * s.at.bits as u64;
    let (inbuf, store) = *parts.inbuf.get_or_insert_with(|| {
        let inbuf = input_buffer(nf, sf, x_bits).map_or_else(Resources::default, |m| ram(&m, hw));
        (inbuf, input_store(s.mw, s.mh, fold, s.at.bits, hw))
    });
    let out_bits = rq.out.map_or(acc_bits, |o| o.bits as u64);
    let ctrl = Resources {
        lut: UNIT_LUTS,
        ff: UNIT_FFS + x_bits + 5 * clog2(nf) + clog2(sf) + clog2(rows),
        ..Default::default()
    };
    let rq_cost = memo
        .requant
        .get((*rq, hw.dsp), || requant::cost(fold.pe, rq, hw.dsp));
    let cap = lane_item_cap(&wmem, bias.lut, rq_cost.lut, pe, acc_bits);
    let mut res = wmem
        + bias
        + inbuf
        + ctrl
        + parts.queue.get(out_bits, || queue(pe, out_bits, hw))
        + parts.datapath.get((fold.mult, acc_bits), || {
            datapath(pe, simd, s.wt, s.at, acc_bits, fold.mult, hw.dsp)
        })
        + rq_cost;
    let fused = xnor_rom_fusion(s, fold, rows, &wmem);
    res.lut -= fused.lut;
    res.ff -= fused.ff;
    let floor = parts.lane_floor.get(fold.mult, || {
        lane_floor(pe * simd, (s.wt, s.at), fold.mult, hw.dsp)
    });
    res.lut = take_lane_saving(res.lut, pe, cap, floor);
    Unit {
        kind: "mvu",
        cycles,
        res,
        store: Some(store),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The adder bits of half_sum.v's tree by its own recursion (the RTL's definition).
    fn recursive_tree_bits(n: u64, w: u64) -> u64 {
        if n <= 1 {
            0
        } else {
            recursive_tree_bits(n.div_ceil(2), w) + recursive_tree_bits(n / 2, w) + w + clog2(n)
        }
    }

    #[test]
    fn partial_product_bits_follow_half_mul() {
        let int = |bits, signed| ElemType { bits, signed };
        // 8 x 8 unsigned: adders of 9 (x4), 10 (x2) and 12 bits.
        assert_eq!(partial_product_bits(int(8, true), int(8, false)), Some(68));
        // A signed activation: 9-bit terms and the negated top one.
        assert_eq!(
            partial_product_bits(int(8, true), int(8, true)),
            Some(75 + 9)
        );
        assert_eq!(partial_product_bits(int(4, true), int(8, false)), None);
        assert_eq!(partial_product_bits(int(8, true), int(2, false)), None);
        assert_eq!(partial_product_bits(int(8, true), BIP), None);
    }

    #[test]
    fn tree_adder_bits_follow_the_rtl_tree() {
        assert_eq!(tree_adder_bits(1, 17, false), 0);
        assert_eq!(tree_adder_bits(2, 8, false), 9);
        assert_eq!(tree_adder_bits(3, 8, false), 9 + 10);
        assert_eq!(tree_adder_bits(4, 8, false), 2 * 9 + 10);
        // XNOR: the count tree of 1-bit terms, then 2c - simd in the count's width plus one.
        assert_eq!(tree_adder_bits(4, 1, true), 2 * 2 + 3 + 4);
        for n in 1..300 {
            for w in [1, 4, 17] {
                assert_eq!(
                    tree_adder_bits(n, w, false),
                    recursive_tree_bits(n, w),
                    "{n} x {w}"
                );
            }
        }
    }

    const BIP: ElemType = ElemType {
        bits: 1,
        signed: false,
    };
    const I8: ElemType = ElemType {
        bits: 8,
        signed: true,
    };
    const U8: ElemType = ElemType {
        bits: 8,
        signed: false,
    };
    const HW: HwCtx = HwCtx {
        dsp: DspKind::Dsp48e1,
    };

    #[test]
    fn finn_cycle_formula() {
        // CNV-W1A1 fc0 with FINN's folding (PE 1, SIMD 4): 512 x 256 matrix -> 32,768 cycles.
        let s = MvuShape {
            mw: 256,
            mh: 512,
            pixels: 1,
            wt: BIP,
            at: BIP,
            bias: false,
        };
        let f = Fold {
            pe: 1,
            simd: 4,
            mult: MultStyle::Lut,
            mem: MemStyle::Bram,
            scale: crate::cost::ScaleStyle::Dsp,
        };
        let acc = ElemType {
            bits: 10,
            signed: true,
        };
        let rq = RequantShape {
            acc,
            scale_bits: 2,
            scale: 1,
            out: Some(BIP),
            entries_per_pe: 512,
            per_channel: false,
            fabric_scale: false,
            thresholds: 0,
        };
        let u = model(&s, &f, &rq, &HW);
        assert_eq!(u.cycles, 32768);
        // weights: 32768 words of 4 bits: eight 4 x 4096 RAMB18 (as Yosys maps the ROM).
        assert_eq!(u.res.bram18, 8);
        assert_eq!(u.res.dsp, 0);
    }

    #[test]
    fn xnor_rom_fusion_up_to_32_rows_in_logic() {
        // 64 outputs x 64 inputs, XNOR, PE 8 x SIMD 8: 8 x 8 = 64 rows; at SIMD 16, 32 rows.
        let s = MvuShape {
            mw: 64,
            mh: 64,
            pixels: 1,
            wt: BIP,
            at: BIP,
            bias: false,
        };
        let rq = RequantShape {
            acc: ElemType {
                bits: 8,
                signed: true,
            },
            scale_bits: 2,
            scale: 1,
            out: Some(BIP),
            entries_per_pe: 1,
            per_channel: false,
            fabric_scale: false,
            thresholds: 0,
        };
        let fold = |simd, mem| Fold {
            pe: 8,
            simd,
            mult: MultStyle::Lut,
            mem,
            scale: crate::cost::ScaleStyle::Dsp,
        };
        let at = |simd, mem| {
            let f = fold(simd, mem);
            let rows = (s.mh / 8) * (s.mw / simd as u64);
            let wmem = weight_memory(rows, 8 * simd as u64, mem, &HW);
            (
                model(&s, &f, &rq, &HW).res,
                xnor_rom_fusion(&s, &f, rows, &wmem),
            )
        };
        assert_eq!(at(8, MemStyle::Lutram).1, Resources::default());
        let (res, fused) = at(16, MemStyle::Lutram);
        assert_eq!((fused.lut, fused.ff), (128, 128));
        assert!(res.lut > 0 && res.ff > 0);
        // Block RAM weights keep their own read register.
        assert_eq!(at(16, MemStyle::Bram).1, Resources::default());
    }

    #[test]
    fn datapath_styles() {
        let l = datapath(2, 4, I8, U8, 24, MultStyle::Lut, DspKind::Dsp48e1);
        // per lane: 4 products of 8 x 8 bits from half_mul (68 adder bits at 1.44: 98 LUTs),
        // half_sum's tree of 17-bit products (2 x 18 + 19 adder bits, both lanes at the wide
        // fabric kind's 1.22 per bit), the 24-bit accumulator.
        let tree = (TREE_LUTS[KIND_FABRIC_WIDE] * (2.0 * 55.0)).round() as u64;
        assert_eq!(TREE_LUTS[KIND_FABRIC_WIDE], 1.22);
        assert_eq!(l.lut, 2 * (4 * 98 + 24) + tree);
        assert_eq!(l.dsp, 0);
        let d = datapath(2, 4, I8, U8, 24, MultStyle::Dsp, DspKind::Dsp48e1);
        assert_eq!(d.dsp, 8);
        assert!(d.lut < l.lut);
        // bipolar x bipolar never uses DSPs: XNOR + popcount.
        let b = datapath(1, 8, BIP, BIP, 24, MultStyle::Dsp, DspKind::Dsp48e1);
        assert_eq!(b.dsp, 0);
        // 2-bit products are too narrow for Yosys to use a DSP.
        let two = ElemType {
            bits: 2,
            signed: true,
        };
        assert_eq!(
            datapath(1, 8, two, two, 12, MultStyle::Dsp, DspKind::Dsp48e1).dsp,
            0
        );
    }

    #[test]
    fn packing_lanes_follow_the_product_range_and_the_a_port() {
        let s = |bits| ElemType { bits, signed: true };
        let u = |bits| ElemType {
            bits,
            signed: false,
        };
        let e1 = DspKind::Dsp48e1;
        // 8-bit x 8-bit: [-32640, 32385] needs 16 bits; 2 * 16 + 8 + 1 > 25.
        let p = packing(s(8), u(8), e1).unwrap();
        assert_eq!((p.lanes, p.lane_bits), (2, 16));
        assert_eq!(packing(s(8), s(8), e1).unwrap().lane_bits, 16);
        // 4-bit x 4-bit: [-120, 105] in 8 bits, three lanes (2 * 8 + 5 <= 25).
        let p = packing(s(4), u(4), e1).unwrap();
        assert_eq!((p.lanes, p.lane_bits), (3, 8));
        // 4-bit weights on signed 8-bit activations: [-1016, 1024] in 12 bits.
        assert_eq!(packing(s(4), s(8), e1).unwrap().lane_bits, 12);
        // Bipolar operands, products Yosys keeps in the fabric, and operands too wide for two
        // lanes never pack.
        let bip = u(1);
        assert!(packing(bip, u(8), e1).is_none());
        assert!(packing(s(2), u(2), e1).is_none());
        assert!(packing(s(12), u(12), e1).is_none());
        let d = datapath(4, 8, s(8), u(8), 24, MultStyle::Packed, e1);
        assert_eq!(d.dsp, 2 * 8);
        let d = datapath(5, 8, s(8), u(8), 24, MultStyle::Packed, e1);
        assert_eq!(d.dsp, 3 * 8);
    }

    #[test]
    fn ultrascale_datapath() {
        let e2 = DspKind::Dsp48e2;
        // DSP products, SIMD 16: half_sum's tree (8 x 18 + 4 x 19 + 2 x 20 + 21 adder bits a
        // lane) at 1.08 LUTs per bit, and a quarter LUT per accumulator bit.
        let d = datapath(16, 16, I8, U8, 25, MultStyle::Dsp, e2);
        assert_eq!(d.lut, (1.08f64 * (16.0 * 281.0)).round() as u64 + 100);
        // Fabric products never cost less than the lower bound's `product_luts`.
        let l = datapath(2, 64, I8, U8, 23, MultStyle::Lut, e2);
        assert!(l.lut as f64 >= 128.0 * product_luts(I8, U8));
        assert_eq!(bias_rom(1, 400, e2), 0);
        assert_eq!(bias_rom(1, 400, DspKind::Dsp48e1), 400);
    }
}
