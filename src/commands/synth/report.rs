//! The synthesis report: estimate against Yosys per stage and in total, as a table or JSON.

use super::Stage;
use super::cells::{Cells, Counts};
use crate::cost::Resources;
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// What the runs gave for one stage.
#[derive(Debug, Clone)]
pub struct StageRun {
    /// The stage.
    pub stage: Stage,
    /// Its instance names.
    pub instances: Vec<String>,
    /// The sum of its instances' cells.
    pub cells: Cells,
    /// Sum of its instances' Yosys wall times, seconds.
    pub wall_s: f64,
    /// The first failure (Yosys error or time-out) of one of its instances.
    pub error: Option<String>,
}

/// `(estimate - yosys) / yosys` in percent per resource; None where Yosys counts 0 and the
/// estimate does not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ErrorPct {
    /// LUT error.
    pub lut: Option<f64>,
    /// FF error.
    pub ff: Option<f64>,
    /// BRAM18 error.
    pub bram18: Option<f64>,
    /// DSP error.
    pub dsp: Option<f64>,
}

fn pct(est: u64, got: u64) -> Option<f64> {
    match (est, got) {
        (0, 0) => Some(0.0),
        (_, 0) => None,
        _ => Some((est as f64 - got as f64) / got as f64 * 100.0),
    }
}

impl ErrorPct {
    fn new(e: &Resources, y: &Counts) -> ErrorPct {
        ErrorPct {
            lut: pct(e.lut, y.lut),
            ff: pct(e.ff, y.ff),
            bram18: pct(e.bram18, y.bram18),
            dsp: pct(e.dsp, y.dsp),
        }
    }
}

/// One stage of the report.
#[derive(Debug, Clone, Serialize)]
pub struct StageReport {
    /// Layer name, or `glue:<kind>` (`glue:fifo`, `glue:dwc`, `glue:fork`, `glue:axis`).
    pub name: String,
    /// `layer`, `fifo`, `dwc`, `fork` or `axis`.
    pub kind: String,
    /// Module instances synthesised for it.
    pub instances: Vec<String>,
    /// The analytical estimate (zero for the AXI-Stream adapters, which it does not cost).
    pub estimate: Resources,
    /// What Yosys gave.
    pub yosys: Counts,
    /// Estimate error per resource.
    pub error_pct: ErrorPct,
    /// Yosys cells by type.
    pub cells: BTreeMap<String, u64>,
    /// Yosys wall time, seconds (sum over the instances).
    pub wall_s: f64,
    /// Why the stage has no Yosys figures, when it failed.
    pub error: Option<String>,
}

/// Totals over the stages that synthesised.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    /// The estimate.
    pub estimate: Resources,
    /// Yosys.
    pub yosys: Counts,
    /// Estimate error per resource.
    pub error_pct: ErrorPct,
}

/// Everything `half-gen synth` reports.
#[derive(Debug, Clone, Serialize)]
pub struct SynthReport {
    /// Model name.
    pub model: String,
    /// Board name.
    pub board: String,
    /// Yosys version line.
    pub tool: String,
    /// The synthesis command run for every instance.
    pub flow: String,
    /// What the numbers are and are not.
    pub note: String,
    /// Per stage.
    pub stages: Vec<StageReport>,
    /// Sum over the stages.
    pub total: Totals,
    /// Stages that failed.
    pub failed: usize,
    /// Wall time of the whole run, seconds.
    pub wall_s: f64,
}

fn res_of(v: &Value) -> Resources {
    let g = |k: &str| v[k].as_u64().unwrap_or(0);
    Resources {
        lut: g("lut"),
        ff: g("ff"),
        bram18: g("bram18"),
        uram: g("uram"),
        dsp: g("dsp"),
    }
}

/// The estimate of a stage: its layer's, or the sum of the glue items of its kind (the
/// estimate does not cost the AXI-Stream adapters).
fn estimate_of(est: &Value, st: &Stage) -> Resources {
    if st.kind == "layer" {
        return est["layers"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|l| l["name"].as_str() == Some(st.name.as_str()))
            .map(res_of)
            .unwrap_or_default();
    }
    est["glue"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|g| g["kind"].as_str() == Some(st.kind.as_str()))
        .fold(Resources::default(), |a, g| a + res_of(&g["res"]))
}

/// Assembles the report.
pub fn build(
    est: &Value,
    family: &str,
    version: &str,
    runs: Vec<StageRun>,
    wall_s: f64,
) -> SynthReport {
    let mut stages = Vec::new();
    let (mut te, mut tc) = (Resources::default(), Cells::default());
    let mut failed = 0;
    for r in runs {
        let e = estimate_of(est, &r.stage);
        if r.error.is_none() {
            te += e;
            tc.add(&r.cells.by_type);
        } else {
            failed += 1;
        }
        let y = r.cells.counts();
        stages.push(StageReport {
            name: r.stage.name,
            kind: r.stage.kind,
            instances: r.instances,
            estimate: e,
            yosys: y,
            error_pct: ErrorPct::new(&e, &y),
            cells: r.cells.by_type,
            wall_s: r.wall_s,
            error: r.error,
        });
    }
    let ty = tc.counts();
    let flow = format!(
        "synth_xilinx -family {family} -flatten -noiopad -noclkbuf per stage (instances kept \
         apart), DSP packing multiply-only, use_dsp=\"no\" products in LUTs, \
         rom_style=\"distributed\" ROMs in logic"
    );
    SynthReport {
        model: est["model"].as_str().unwrap_or("").to_string(),
        board: est["board"].as_str().unwrap_or("").to_string(),
        tool: version.to_string(),
        note: provenance(version, family),
        flow,
        stages,
        total: Totals {
            estimate: te,
            yosys: ty,
            error_pct: ErrorPct::new(&te, &ty),
        },
        failed,
        wall_s,
    }
}

fn fmt_pct(p: Option<f64>) -> String {
    match p {
        Some(v) => format!("{v:+.1}%"),
        None => "n/a".into(),
    }
}

fn right(s: impl ToString) -> Cell {
    Cell::new(s.to_string()).set_alignment(CellAlignment::Right)
}

fn row(name: &str, e: &Resources, y: &Counts, p: &ErrorPct, wall: Option<f64>) -> Vec<Cell> {
    let mut r = vec![Cell::new(name)];
    for (ev, yv, pv) in [
        (e.lut, y.lut, p.lut),
        (e.ff, y.ff, p.ff),
        (e.bram18, y.bram18, p.bram18),
        (e.dsp, y.dsp, p.dsp),
    ] {
        r.push(right(ev));
        r.push(right(yv));
        r.push(right(fmt_pct(pv)));
    }
    r.push(right(y.carry));
    r.push(right(y.muxf));
    r.push(right(wall.map_or(String::new(), |w| format!("{w:.1}"))));
    r
}

/// Where the counts come from, and a warning when `version` is not the Yosys the estimate
/// is calibrated to.
fn provenance(version: &str, family: &str) -> String {
    let mut note = format!(
        "Resource counts from {version} synth_xilinx -family {family}, each module instance \
         out of context; Vivado maps, optimises and packs differently and will report \
         different numbers."
    );
    let calibrated = super::CALIBRATED_YOSYS;
    if !version.starts_with(&format!("{calibrated} ")) && version != calibrated {
        note += &format!(
            " The estimate is calibrated to {calibrated} (scripts/yosys-env.sh installs it); \
             other versions map arithmetic differently."
        );
    }
    note
}

/// The terminal rendering: one row per stage and the totals, then the provenance note.
pub fn table(r: &SynthReport) -> String {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header([
        "stage",
        "LUT est",
        "LUT yosys",
        "err",
        "FF est",
        "FF yosys",
        "err",
        "BRAM18 est",
        "BRAM18 yosys",
        "err",
        "DSP est",
        "DSP yosys",
        "err",
        "CARRY",
        "MUXF",
        "yosys s",
    ]);
    for s in &r.stages {
        match &s.error {
            None => {
                t.add_row(row(
                    &s.name,
                    &s.estimate,
                    &s.yosys,
                    &s.error_pct,
                    Some(s.wall_s),
                ));
            }
            Some(e) => {
                let first = e.lines().next().unwrap_or("");
                t.add_row(vec![
                    Cell::new(&s.name),
                    Cell::new(format!("FAILED: {first}")),
                ]);
            }
        }
    }
    t.add_row(row(
        "total",
        &r.total.estimate,
        &r.total.yosys,
        &r.total.error_pct,
        None,
    ));
    let mut out = format!("{t}\n");
    out += &format!(
        "{} on {}: {} stages ({} failed), {:.1} s wall.\n",
        r.model,
        r.board,
        r.stages.len(),
        r.failed,
        r.wall_s
    );
    out += &format!("{}\n", r.note);
    out += "err = (estimate - yosys) / yosys. LUT includes LUTRAM and SRL LUTs; CARRY and MUXF are not LUTs.\n";
    out
}
