//! The estimate report: one serializable record of a folded design, printed as a table, JSON
//! or CSV.

mod render;

use crate::board::Board;
use crate::cost::Resources;
use crate::fold::Design;
use crate::fold::pipeline::Glue;
use crate::ir::Graph;
use crate::stage::Unit;
pub use render::{boards_table, csv, summary_md, table};
use serde::Serialize;

/// One layer's row.
#[derive(Debug, Clone, Serialize)]
pub struct LayerRow {
    /// Name.
    pub name: String,
    /// Op kind.
    pub op: String,
    /// Output shape.
    pub out_shape: Vec<u32>,
    /// Output element type.
    pub out_type: String,
    /// Accumulator bits.
    pub acc_bits: u32,
    /// MACs per frame.
    pub macs: u64,
    /// Weights and biases.
    pub params: u64,
    /// PE.
    pub pe: u32,
    /// SIMD.
    pub simd: u32,
    /// Multiplier style (`-` when the layer has no choice).
    pub mult: String,
    /// Memory style (`-` without weights).
    pub mem: String,
    /// Where the constant scale multiplies go (`-` when the layer has no choice).
    pub scale: String,
    /// Cycles per frame.
    pub cycles: u64,
    /// First input word to first output word, at full input rate.
    pub latency_cycles: u64,
    /// LUTs.
    pub lut: u64,
    /// FFs.
    pub ff: u64,
    /// BRAM18s.
    pub bram18: u64,
    /// URAMs.
    pub uram: u64,
    /// DSPs.
    pub dsp: u64,
    /// The units making up the stage.
    pub units: Vec<Unit>,
}

/// The whole estimate (`half-gen estimate --json` prints exactly this).
#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    /// Model name.
    pub model: String,
    /// Board name.
    pub board: String,
    /// Part.
    pub part: String,
    /// Clock, MHz.
    pub clock_mhz: f64,
    /// Per-layer rows in pipeline order.
    pub layers: Vec<LayerRow>,
    /// Forks, width converters and FIFOs.
    pub glue: Vec<Glue>,
    /// Layers plus glue.
    pub total: Resources,
    /// Budget (available x caps).
    pub budget: Resources,
    /// The board's resources.
    pub available: Resources,
    /// Steady-state cycles per frame (the slowest stage).
    pub cycles_per_frame: u64,
    /// The slowest stage.
    pub bottleneck: String,
    /// Frames per second at the clock.
    pub fps: f64,
    /// First input beat to last output beat of one frame, in cycles.
    pub latency_cycles: u64,
    /// Same in microseconds.
    pub latency_us: f64,
    /// Lower bound on cycles per frame within the budget.
    pub bound_cycles_per_frame: u64,
    /// bound / achieved (1.0 = provably the fastest the budget allows).
    pub efficiency: f64,
    /// FIFO storage, bits.
    pub fifo_bits: u64,
    /// Total MACs per frame.
    pub macs: u64,
    /// Total weights and biases.
    pub params: u64,
    /// False when --target-fps could not be met (the fastest design is reported instead).
    pub target_met: bool,
    /// The cycle-level schedule of the RTL pipeline that sized the FIFOs and gives the latency
    /// (None when a layer kind has no RTL stage: the latency is then the analytical one).
    pub schedule: Option<crate::schedule::fifo::Schedule>,
    /// Why there is no schedule, when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_skipped: Option<String>,
}

fn round(v: f64, digits: i32) -> f64 {
    let m = 10f64.powi(digits);
    (v * m).round() / m
}

impl Estimate {
    /// Assembles the report of a folded design.
    pub fn new(
        graph: &Graph,
        board: &Board,
        d: &Design,
        scheduled: crate::commands::estimate::Scheduled,
    ) -> Estimate {
        let (schedule, schedule_skipped) = match scheduled {
            crate::commands::estimate::Scheduled::Done(s) => (Some(s), None),
            crate::commands::estimate::Scheduled::Skipped(why) => (None, Some(why)),
        };
        let mut layers = Vec::new();
        for (s, &i) in d.spaces.iter().zip(&d.selection) {
            let node = &graph.g[s.node];
            let Some(op) = node.op() else { continue };
            let op = op.op();
            let c = &s.list.cands[i];
            let r = c.res();
            layers.push(LayerRow {
                name: node.name.clone(),
                op: op.kind().to_string(),
                out_shape: node.out.shape.dims(),
                out_type: node.out.ty.to_string(),
                acc_bits: node.acc.bits,
                macs: op.macs(node),
                params: op.params(node),
                pe: c.fold.pe,
                simd: c.fold.simd,
                mult: if s.list.has_mult {
                    c.fold.mult.name().into()
                } else {
                    "-".into()
                },
                mem: if s.list.has_weights {
                    c.fold.mem.name().into()
                } else {
                    "-".into()
                },
                scale: if s.list.has_scale {
                    c.fold.scale.name().into()
                } else {
                    "-".into()
                },
                cycles: c.cycles(),
                latency_cycles: c.cost.timing.first_need + c.cost.timing.depth,
                lut: r.lut,
                ff: r.ff,
                bram18: r.bram18,
                uram: r.uram,
                dsp: r.dsp,
                units: c.cost.units.clone(),
            });
        }
        let p = &d.pipeline;
        let hz = d.clock_mhz * 1e6;
        Estimate {
            model: graph.name.clone(),
            board: board.name.clone(),
            part: board.part.clone(),
            clock_mhz: d.clock_mhz,
            macs: layers.iter().map(|l| l.macs).sum(),
            params: layers.iter().map(|l| l.params).sum(),
            layers,
            glue: p.glue.clone(),
            total: d.total,
            budget: d.budget,
            available: board.resources(),
            cycles_per_frame: p.cycles,
            bottleneck: p.bottleneck.clone(),
            fps: round(hz / p.cycles.max(1) as f64, 2),
            latency_cycles: p.latency,
            latency_us: round(p.latency as f64 / d.clock_mhz, 3),
            bound_cycles_per_frame: d.bound,
            efficiency: round(d.bound as f64 / p.cycles.max(1) as f64, 4),
            fifo_bits: p.fifo_bits,
            target_met: d.target_met,
            schedule,
            schedule_skipped,
        }
    }

    /// Utilisation of the board, percent, per resource.
    pub fn utilisation(&self) -> [f64; 5] {
        let (t, a) = (self.total.as_array(), self.available.as_array());
        std::array::from_fn(|i| {
            if a[i] == 0 {
                0.0
            } else {
                100.0 * t[i] as f64 / a[i] as f64
            }
        })
    }
}
