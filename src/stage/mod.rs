//! Hardware units, the things a layer lowers to: the sliding-window generator, the
//! matrix-vector and vector-vector units, pools, the add, the requantiser and the glue between
//! stages (forks, width converters, FIFOs, AXI-Stream adapters). Each unit's file holds its
//! HLS library call, its Verilog instance, its cycle model and its cost; the backends only
//! assemble a top from them (docs/architecture.md).

pub mod add;
pub mod arrays;
pub mod concat;
pub mod cycle;
pub mod glue;
pub mod library;
pub mod memo;
pub mod mvu;
pub mod mvu_cost;
pub mod netlist;
pub mod pool;
pub mod regroup;
pub mod requant;
pub mod swg;

use crate::cost::{DspKind, MemStyle, MultStyle, Resources, ScaleStyle};
use crate::format::ElemType;
use serde::Serialize;

/// One stage's folding choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Fold {
    /// Output channels (or channels) in parallel.
    pub pe: u32,
    /// Input elements (or kernel positions) in parallel.
    pub simd: u32,
    /// Multiplier style.
    pub mult: MultStyle,
    /// Weight memory style.
    pub mem: MemStyle,
    /// Where the constant scale multiplies go.
    pub scale: ScaleStyle,
}

/// Board facts a cost model needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HwCtx {
    /// The board's DSP primitive.
    pub dsp: DspKind,
}

impl HwCtx {
    /// The FPGA family, which decides how synthesis maps memories: DSP48E1 parts are
    /// 7-series, DSP48E2 parts UltraScale+ (true of every supported board).
    pub fn family(&self) -> crate::cost::Family {
        match self.dsp {
            DspKind::Dsp48e1 => crate::cost::Family::Xc7,
            DspKind::Dsp48e2 => crate::cost::Family::Xcup,
        }
    }
}

/// One hardware unit of a stage with its cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unit {
    /// Unit kind: swg, mvu, vvu, pool, add, ...
    pub kind: &'static str,
    /// Cycles per frame in steady state.
    pub cycles: u64,
    /// Resources.
    pub res: Resources,
    /// Where the memory the HLS code binds per unit lives, as costed (the window generator's
    /// line buffer: `bram`, `lutram` or `registers`, see [`swg::buffer_store`]); None for units
    /// without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<&'static str>,
}

/// The stream-level timing of a stage, used for the pipeline latency and FIFO sizing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Timing {
    /// Input words per frame (per input port).
    pub in_words: u64,
    /// Output words per frame.
    pub out_words: u64,
    /// Input words the stage must have read before its first output word.
    pub first_need: u64,
    /// Cycles per frame in steady state (the max over its units).
    pub cycles: u64,
    /// Pipeline depth: cycles from the deciding input word to the output word.
    pub depth: u64,
    /// Cycles from the frame's last input word to its last output word.
    pub tail: u64,
    /// The output words leave back to back, one per cycle, instead of spread over the frame
    /// (a global pool's sums, after the frame's last pixel).
    pub burst: bool,
}

/// A stage's full cost for one fold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageCost {
    /// Units of the stage.
    pub units: Vec<Unit>,
    /// Sum of the units' resources.
    pub res: Resources,
    /// Timing.
    pub timing: Timing,
}

impl StageCost {
    /// Builds a stage cost from its units and stream facts.
    pub fn new(
        units: Vec<Unit>,
        in_words: u64,
        out_words: u64,
        first_need: u64,
        depth: u64,
        tail: u64,
    ) -> Self {
        let res = units.iter().fold(Resources::default(), |a, u| a + u.res);
        let cycles = units
            .iter()
            .map(|u| u.cycles)
            .max()
            .unwrap_or(0)
            .max(in_words)
            .max(out_words);
        StageCost {
            units,
            res,
            timing: Timing {
                in_words,
                out_words,
                first_need,
                cycles,
                depth,
                tail,
                burst: false,
            },
        }
    }
}

/// A constant array of an HLS stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HlsArray {
    /// C++ element type.
    pub ty: String,
    /// Variable name.
    pub name: &'static str,
    /// Dimensions.
    pub dims: Vec<u64>,
    /// Element initialisers, row-major.
    pub values: Vec<String>,
    /// `#pragma HLS` lines (without the prefix).
    pub pragmas: Vec<String>,
}

/// A stream internal to a layer's HLS stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalStream {
    /// Variable name.
    pub name: String,
    /// Width in bits.
    pub width: u64,
    /// FIFO depth in words.
    pub depth: u64,
}

impl LocalStream {
    /// A two-word stream (the depth of every channel between a layer's units unless a unit
    /// needs more).
    pub fn new(name: impl Into<String>, width: u64) -> Self {
        LocalStream {
            name: name.into(),
            width,
            depth: 2,
        }
    }

    /// The `BIND_STORAGE impl` of its FIFO ([`glue::fifo_impl`], the cost model's rule).
    pub fn storage(&self) -> &'static str {
        glue::fifo_impl(self.depth, self.width)
    }
}

/// A layer's HLS stage: constant arrays, internal streams and library calls that read the
/// stream `in` (and `in_b` for a second input) and write `out`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HlsStage {
    /// Constant arrays.
    pub arrays: Vec<HlsArray>,
    /// Internal streams.
    pub streams: Vec<LocalStream>,
    /// Library calls, in dataflow order.
    pub calls: Vec<String>,
}

/// Where a layer's RTL stage connects: stream name prefixes (`<p>_tdata`, `<p>_tvalid`,
/// `<p>_tready`) of its inputs and output, and its name for instances and memory files.
#[derive(Debug, Clone, Copy)]
pub struct RtlCtx<'a> {
    /// Layer name.
    pub name: &'a str,
    /// Input streams, by port.
    pub inputs: &'a [String],
    /// Output stream.
    pub output: &'a str,
    /// The board's facts (how memories map).
    pub hw: HwCtx,
}

/// A layer's RTL stage: module instances, the channels between them, and the memory files
/// they read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RtlStage {
    /// Channels internal to the stage (e.g. window generator to matrix unit).
    pub channels: Vec<netlist::Channel>,
    /// Module instances, producers first.
    pub instances: Vec<netlist::Instance>,
    /// Memory files: name (under `rtl/mem/`) and `$readmemh` contents.
    pub mems: Vec<(String, String)>,
}

/// Renders a library-call template. The templates only format integers and names, so
/// rendering cannot fail; if it ever did, the text makes the C++ compile stop with the reason.
pub fn render(t: &impl askama::Template) -> String {
    t.render()
        .unwrap_or_else(|e| format!("#error \"half-gen template: {e}\""))
}

/// An element type as the library's template parameters see it (`B`, `S`).
#[derive(Debug, Clone, Copy)]
pub struct Ty {
    /// Bits (1 = bipolar).
    pub bits: u32,
    /// Two's complement.
    pub signed: bool,
}

impl From<ElemType> for Ty {
    fn from(t: ElemType) -> Ty {
        Ty {
            bits: t.bits,
            signed: t.signed && t.bits > 1,
        }
    }
}

/// Requantiser parameters of an HLS library call (`HAS_RQ`, `SB`, `NQ`).
#[derive(Debug, Clone)]
pub struct HlsRequant {
    /// Whether the stage requantises.
    pub has: bool,
    /// Bits of the signed scale.
    pub sb: u32,
    /// Entries of the scale/shift arrays (1, or one per channel).
    pub nq: usize,
    /// With one entry (`nq` = 1): the scale (an add's first input's), as a template argument,
    /// so synthesis folds it into the multiplier and the shift into wiring.
    pub scale0: i64,
    /// An add's second input's scale (template argument).
    pub scale1: i64,
    /// With one entry: the shift (template argument).
    pub shift0: i64,
    /// The C++ tag of the requantiser: where the constant scale multiplies go,
    /// `half::MulLut` (shift-adds in the fabric) or `half::MulAuto` (where synthesis puts
    /// them), or `half::Thresholds<NT, BIAS, SEARCH>`.
    pub scale_style: String,
    /// The array the call passes as its scales: `scale`, or `thresholds` (`[C][NT]`).
    pub table: &'static str,
}

/// The C++ tag of `ep`'s constant scale multiplies (the HLS library's `MulLut` binds the
/// product to the fabric, `MulAuto` leaves it to synthesis; [`requant::Epilogue::fabric_scale`]).
pub fn scale_style_tag(ep: &requant::Epilogue) -> String {
    if let Some(t) = ep.thresholds {
        let search = requant::threshold_search(ep.acc_bits() + 1, t.count);
        return format!("half::Thresholds<{}, {}, {search}>", t.count, t.bias);
    }
    if ep.fabric_scale() {
        "half::MulLut".into()
    } else {
        "half::MulAuto".into()
    }
}

/// The multiplier style's C++ tag; a packed style names its lanes and lane bits.
pub fn style(m: MultStyle, pack: Option<mvu_cost::Packing>) -> String {
    match (m, pack) {
        (MultStyle::Lut, _) => "half::MulLut".into(),
        (MultStyle::Packed, Some(p)) => format!("half::MulPacked<{}, {}>", p.lanes, p.lane_bits),
        _ => "half::MulDsp".into(),
    }
}

/// `BIND_STORAGE` implementation for a weight ROM.
pub fn rom_impl(m: MemStyle) -> &'static str {
    match m {
        MemStyle::Bram => "bram",
        MemStyle::Lutram => "lutram",
        MemStyle::Uram => "uram",
    }
}

/// The name of a layer function's input stream on `port`: `in`, `in_b`, `in_c`, ...
pub fn input_name(port: usize) -> &'static str {
    const NAMES: [&str; 16] = [
        "in", "in_b", "in_c", "in_d", "in_e", "in_f", "in_g", "in_h", "in_i", "in_j", "in_k",
        "in_l", "in_m", "in_n", "in_o", "in_p",
    ];
    NAMES.get(port).copied().unwrap_or("in_more")
}
