//! One module per layer kind. Each owns its parameters (parsed from the model file), its shape
//! and type rule, its folding space and its cycle and resource model. Shared hardware units
//! (sliding-window generator, matrix-vector unit, requantiser) and the glue between stages
//! (forks, width converters, FIFOs) have modules of their own.

pub mod add;
pub mod avgpool;
pub mod concat;
pub mod conv;
pub mod dense;
pub mod dwconv;
pub mod maxpool;
mod node;
mod registry;
pub mod requant;
pub mod window;

use crate::cost::{DspKind, MemStyle, MultStyle, ScaleStyle};
use crate::format::{ElemType, Requant, Shape, Tensor, Window};
use crate::stage::mvu_cost::packing;
use crate::stage::{Fold, HlsStage, HwCtx, LocalStream, RtlCtx, RtlStage, StageCost, Unit};
pub use node::{MAX_ACC_BITS, Node, NodeKind};
pub use registry::{LayerOp, NAMES};

/// A shape-rule failure, blamed on one key of the layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    /// The key to point at (`kernel`, `from`, ...), or "" for the layer.
    pub key: &'static str,
    /// What is wrong.
    pub message: String,
}

impl ShapeError {
    /// Creates a shape error.
    pub fn new(key: &'static str, message: impl Into<String>) -> Self {
        ShapeError {
            key,
            message: message.into(),
        }
    }
}

/// What the shape rule derives: the output shape and the exact accumulator range before
/// requantisation (for maxpool, the input range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inferred {
    /// Output shape.
    pub shape: Shape,
    /// Smallest accumulator value.
    pub acc_min: i64,
    /// Largest accumulator value.
    pub acc_max: i64,
}

/// The legal folds of a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldSpace {
    /// Legal PE values, ascending.
    pub pe: Vec<u32>,
    /// Legal SIMD values, ascending.
    pub simd: Vec<u32>,
    /// True when the stage has multipliers (so LUT vs DSP matters).
    pub has_mult: bool,
    /// True when the stage has a weight memory (so the memory style matters).
    pub has_weights: bool,
    /// The weight and activation types when the PEs share each activation (a matrix unit),
    /// so that a DSP slice may compute several PEs' products (`MultStyle::Packed`).
    pub shared_x: Option<(ElemType, ElemType)>,
    /// True when the layer has a constant scale multiply synthesis would put in a DSP slice,
    /// so that its place (`ScaleStyle`) is a choice.
    pub scale_choice: bool,
    /// Whether PE, and SIMD, may leave the last word of a row short (a matrix unit's padded
    /// lanes, up to the channels and the fan-in; SIMD not with a bipolar operand, whose
    /// padded input lane would add `-1 * w`, not 0): `pe` and `simd` list the divisors, a
    /// padded grid ([`lane_counts`]) replaces them, and a pin may name any other such value.
    pub padded_lanes: PaddedLanes,
}

impl FoldSpace {
    /// True when a DSP slice of kind `dsp` can take several of this unit's products at once
    /// (`MultStyle::Packed`: its PEs share each activation and the products pack).
    pub fn packs(&self, dsp: DspKind) -> bool {
        self.shared_x
            .is_some_and(|(wt, at)| packing(wt, at, dsp).is_some())
    }

    /// The space of a unit without weights or a multiplier-style choice that handles `pe` of
    /// `channels` channels a word: PE divides `channels`, SIMD 1.
    pub fn lanes(channels: u32) -> FoldSpace {
        FoldSpace {
            pe: divisors(channels),
            simd: vec![1],
            has_mult: false,
            shared_x: None,
            has_weights: false,
            scale_choice: false,
            padded_lanes: PaddedLanes::default(),
        }
    }

    /// The same space with the constant scale's place a choice when `choice` is true.
    pub fn with_scale_choice(self, choice: bool) -> FoldSpace {
        FoldSpace {
            scale_choice: choice,
            ..self
        }
    }
}

/// The keys that a layer joining its inputs elementwise or along the channels (`add`,
/// `concat`) rejects: it has no window, weights or width of its own.
pub const JOIN_REJECTS: &[&str] = &[
    "channels",
    "units",
    "kernel",
    "stride",
    "padding",
    "global",
    "weight_bits",
    "bias",
];

/// One layer's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LayerParams {
    /// Weights in the layout of the weights file (docs/model-format.md, section 13) (empty for layers without weights).
    pub weight: Vec<i64>,
    /// One bias per output channel (empty without bias).
    pub bias: Vec<i64>,
}

/// The weights a layer stores (docs/model-format.md, section 13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightShape {
    /// The weight array's shape in the weights file.
    pub shape: Vec<u64>,
    /// Whether one bias per output channel is added.
    pub bias: bool,
    /// Output channels (the bias length).
    pub channels: u64,
    /// Products summed per output.
    pub fan_in: u64,
}

/// What every layer kind provides.
pub trait Operator {
    /// The op's name in the model format.
    fn kind(&self) -> &'static str;
    /// How many inputs it takes.
    fn inputs(&self) -> std::ops::RangeInclusive<usize> {
        1..=1
    }
    /// Shape and accumulator rule. `scales` are the add's per-input scales (1 elsewhere).
    fn infer(&self, inputs: &[Tensor], scales: &[i64])
    -> std::result::Result<Inferred, ShapeError>;
    /// Multiply-accumulates per frame.
    fn macs(&self, node: &Node) -> u64;
    /// Weights and biases stored.
    fn params(&self, node: &Node) -> u64;
    /// Output channels (the length a per-channel requant list must have).
    fn out_channels(&self, node: &Node) -> u32 {
        node.out.shape.c
    }
    /// Weight element type, when the op has weights.
    fn weight_type(&self) -> Option<ElemType> {
        None
    }
    /// The weights the layer stores, when it has any (shape, bias, fan-in).
    fn weights(&self, _node: &Node) -> Option<WeightShape> {
        None
    }
    /// The window it slides over its input, when it has one.
    fn window(&self) -> Option<Window> {
        None
    }
    /// True when the output keeps the input's element type whatever `output` says (a max
    /// pool picks input values).
    fn keeps_input_type(&self) -> bool {
        false
    }
    /// The same computation spelled for cheaper hardware on these `inputs`, when there is one
    /// (an average pool whose window is its whole unpadded input is a global pool), so that
    /// networks computing the same thing fold the same; None to keep the layer as written.
    fn canonical(&self, _inputs: &[Tensor]) -> Option<LayerOp> {
        None
    }
    /// Checks the lengths of an explicit requant's lists: one entry, or one per channel.
    fn check_requant(
        &self,
        r: &Requant,
        channels: u32,
        _inputs: usize,
    ) -> std::result::Result<(), ShapeError> {
        requant::per_channel_lengths(r, channels)
    }
    /// False for a derived requantisation that calibration must leave as derived (a concat's
    /// is exact whenever the inputs fit the output type).
    fn calibrates(&self) -> bool {
        true
    }
    /// True when the layer may requantise by thresholds (a unit with per-channel parameter
    /// memory: conv, dwconv, dense, avgpool).
    fn takes_thresholds(&self) -> bool {
        false
    }
    /// True when the requantisation's scales are one per input (an add), not per channel.
    fn scales_per_input(&self) -> bool {
        false
    }
    /// The requant a layer with an explicit `requant` uses (as written).
    fn expand_requant(&self, r: &Requant, _out: ElemType, _inputs: usize) -> Requant {
        r.clone()
    }
    /// The requant derived when the model gives none (rule in `ir::requant`).
    fn derive_requant(&self, inputs: &[Tensor], out: ElemType) -> Requant;
    /// Legal folds.
    fn fold_space(&self, node: &Node) -> FoldSpace;
    /// Elements per input word under `fold`.
    fn in_par(&self, node: &Node, fold: &Fold) -> u32;
    /// Elements per word of input `port` under `fold` (every port's the same unless an op says
    /// otherwise).
    fn port_in_par(&self, node: &Node, fold: &Fold, _port: usize) -> u32 {
        self.in_par(node, fold)
    }
    /// Elements per output word under `fold`.
    fn out_par(&self, fold: &Fold) -> u32 {
        fold.pe
    }
    /// Elements per row of the input words under `fold`: a row takes `ceil(row / in_par)`
    /// words, the last one short when `in_par` does not divide it (a matrix unit's padded
    /// input lanes, filled by the width converter in front). By default one full word a row.
    fn in_row(&self, node: &Node, fold: &Fold) -> u64 {
        self.in_par(node, fold) as u64
    }
    /// Elements per row of the output words under `fold` (a matrix unit's padded output
    /// lanes: its channels); by default one full word a row.
    fn out_row(&self, _node: &Node, fold: &Fold) -> u64 {
        self.out_par(fold) as u64
    }
    /// Cycles, timing and resources under `fold`.
    fn cost(&self, node: &Node, fold: &Fold, hw: &HwCtx) -> StageCost;
    /// [`Operator::cost`] of each of `folds`, in order. A kind whose folds share parts (a
    /// conv's window generator depends on SIMD only) works each part out once for the batch;
    /// the figures are those of `cost`.
    fn cost_all(&self, node: &Node, folds: &[Fold], hw: &HwCtx) -> Vec<StageCost> {
        folds.iter().map(|f| self.cost(node, f, hw)).collect()
    }
    /// Reference arithmetic (the model format's exact integers): the output values in HWC
    /// order, after requantisation, for the values of each input port and the parameters.
    fn reference(&self, node: &Node, inputs: &[&[i64]], params: &LayerParams) -> Vec<i64>;
    /// The HLS stage for `fold` (backend hook; the library is hls/include/half/).
    fn hls(&self, node: &Node, fold: &Fold, params: &LayerParams, hw: &HwCtx) -> HlsStage;
    /// True when the Verilog backend has a stage for this node (its [`Operator::rtl`] gives
    /// one).
    fn has_rtl(&self, _node: &Node) -> bool {
        true
    }
    /// The RTL stage for `fold` (backend hook; the modules are in hls/rtl/); the memory files
    /// only when `params` is given. None when the Verilog backend has no stage for this kind.
    fn rtl(
        &self,
        _node: &Node,
        _fold: &Fold,
        _params: Option<&LayerParams>,
        _ctx: &RtlCtx,
    ) -> Option<RtlStage> {
        None
    }
}

/// Folds of a compute stage: every PE x SIMD pair, with LUT or DSP multipliers (DSP only when
/// `dsp_ok`) and, with weights, block RAM or distributed (LUT) ROM. UltraRAM is never offered
/// for the constant weight memories: it has no initial-content attribute and powers up as
/// zero (Vivado UG901, "Differences between UltraRAM and Block RAM"), so weights in URAM
/// would need a run-time loader, which half-gen does not generate.
pub fn mac_folds(space: &FoldSpace, dsp: Option<DspKind>) -> Vec<Fold> {
    let packs = dsp.is_some_and(|kind| space.packs(kind));
    let mults: &[MultStyle] = if space.has_mult && packs {
        &[MultStyle::Lut, MultStyle::Dsp, MultStyle::Packed]
    } else if space.has_mult && dsp.is_some() {
        &[MultStyle::Lut, MultStyle::Dsp]
    } else {
        &[MultStyle::Lut]
    };
    let mems: &[MemStyle] = if !space.has_weights {
        &[MemStyle::Lutram]
    } else {
        &[MemStyle::Bram, MemStyle::Lutram]
    };
    let scales: &[ScaleStyle] = if space.scale_choice && dsp.is_some() {
        &[ScaleStyle::Dsp, ScaleStyle::Lut]
    } else {
        &[ScaleStyle::Dsp]
    };
    let mut out = Vec::new();
    for &pe in &space.pe {
        for &simd in &space.simd {
            for &mult in mults {
                for &mem in mems {
                    for &scale in scales {
                        out.push(Fold {
                            pe,
                            simd,
                            mult,
                            mem,
                            scale,
                        });
                    }
                }
            }
        }
    }
    out
}

/// Divisors of `n`, ascending.
pub fn divisors(n: u32) -> Vec<u32> {
    let mut small = Vec::new();
    let mut large = Vec::new();
    let mut i = 1u32;
    while (i as u64) * (i as u64) <= n as u64 {
        if n.is_multiple_of(i) {
            small.push(i);
            if i != n / i {
                large.push(n / i);
            }
        }
        i += 1;
    }
    small.extend(large.into_iter().rev());
    small
}

/// Which of a unit's parallelisms may leave a row's last word short ([`FoldSpace`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PaddedLanes {
    /// PE need not divide the output channels.
    pub pe: bool,
    /// SIMD need not divide the fan-in.
    pub simd: bool,
}

/// Least lane use of a padded parallelism: `n / (p * ceil(n / p))`, the share of its lanes
/// that compute real elements (PE 3 on 16 channels: 16 of 18, 0.89).
pub const PADDED_MIN_USE: f64 = 0.85;

/// The parallelisms of `n` elements (ascending) that a matrix unit may use under the padded
/// grid (`--padded-lanes`): the divisors of `n` and, per octave of fold counts (`[2^j, 2^(j+1))`), the padded `p` (one
/// that does not divide `n`, the least for its fold count `ceil(n / p)`) with the best lane
/// use, when at least [`PADDED_MIN_USE`]. Powers of two step their folds by 2x; one padded
/// step per octave halves that step (64 channels: PE 22, 13, 5 and 3 beside the divisors)
/// while the candidate lists, and so the folding time, grow by a few entries, not by every
/// fold count. The last word of a row then has `n - (ceil(n / p) - 1) * p` real elements and
/// the rest is padding (zero weights; docs/cost-model.md, padded lanes).
pub fn lane_counts(n: u32) -> Vec<u32> {
    let mut out = divisors(n);
    if n < 3 {
        return out;
    }
    let mut best: Option<(u32, f64, u32)> = None; // (octave, use, p)
    let keep = |b: Option<(u32, f64, u32)>, out: &mut Vec<u32>| {
        if let Some((_, fill, p)) = b
            && fill >= PADDED_MIN_USE
        {
            out.push(p);
        }
    };
    for folds in 2..n {
        let p = n.div_ceil(folds);
        if n.div_ceil(p) != folds || n.is_multiple_of(p) {
            continue;
        }
        let fill = n as f64 / (p as u64 * folds as u64) as f64;
        let octave = folds.ilog2();
        match best {
            Some((o, f, _)) if o == octave => {
                if fill > f {
                    best = Some((octave, fill, p));
                }
            }
            _ => {
                keep(best, &mut out);
                best = Some((octave, fill, p));
            }
        }
    }
    keep(best, &mut out);
    out.sort_unstable();
    out.dedup();
    out
}

/// The row a stream of `n`-element rows in words of `par` declares ([`Operator::in_row`]):
/// `n` when `par` does not divide it (the row's last word is short), else `par` (whole words,
/// which any row length of the stream tiles).
pub fn row_of(par: u32, n: u64) -> u64 {
    if crate::stage::glue::padded(par as u64, n) {
        n
    } else {
        par as u64
    }
}

/// Exact range of `sum_{fan_in} w*x (+ bias)`, with `w` of type `wt` and `x` of type `xt`.
/// The bias, when present, is taken to span the same range as the sum (documented rule), so
/// it can move the accumulator anywhere the products can.
pub fn mac_range(wt: ElemType, xt: ElemType, fan_in: u64, bias: bool) -> (i64, i64) {
    let corners = [
        wt.min() * xt.min(),
        wt.min() * xt.max(),
        wt.max() * xt.min(),
        wt.max() * xt.max(),
    ];
    let pmin = *corners.iter().min().unwrap_or(&0) as i128;
    let pmax = *corners.iter().max().unwrap_or(&0) as i128;
    let k = fan_in as i128 * if bias { 2 } else { 1 };
    let clamp = |v: i128| v.clamp(i64::MIN as i128 / 4, i64::MAX as i128 / 4) as i64;
    (clamp(pmin * k), clamp(pmax * k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lane_counts_add_one_padded_step_per_octave() {
        assert!(divisors(16).iter().all(|d| lane_counts(16).contains(d)));
        // 16: folds 3 (PE 6, 16 of 18 lanes) and 6 (PE 3, of octave [4, 8)).
        assert_eq!(lane_counts(16), vec![1, 2, 3, 4, 6, 8, 16]);
        // 64: PE 22 (3 folds), 13 (5 of [4, 8): 64 of 65 lanes), 5 (13 folds), 3 (22 folds).
        let padded: Vec<u32> = lane_counts(64)
            .into_iter()
            .filter(|p| 64 % p != 0)
            .collect();
        assert_eq!(padded, vec![3, 5, 13, 22]);
        // 10: PE 4 and 3 use 10 of 12 lanes (0.83), below the least use.
        assert_eq!(lane_counts(10), divisors(10));
        assert_eq!(lane_counts(2), vec![1, 2]);
    }

    #[test]
    fn divisor_lists() {
        assert_eq!(divisors(12), vec![1, 2, 3, 4, 6, 12]);
        assert_eq!(divisors(1), vec![1]);
        assert_eq!(divisors(49), vec![1, 7, 49]);
    }

    #[test]
    fn mac_ranges() {
        let bip = ElemType {
            bits: 1,
            signed: false,
        };
        assert_eq!(mac_range(bip, bip, 9, false), (-9, 9));
        let i8t = ElemType {
            bits: 8,
            signed: true,
        };
        let u8t = ElemType {
            bits: 8,
            signed: false,
        };
        assert_eq!(
            mac_range(i8t, u8t, 2, false),
            (-128 * 255 * 2, 127 * 255 * 2)
        );
        assert_eq!(
            mac_range(i8t, i8t, 1, true),
            (-128 * 127 * 2, 128 * 128 * 2)
        );
    }
}
