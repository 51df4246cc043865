//! The objectives a search can trade off, and their values on a record.

use super::evaluate::Record;
use crate::error::{Error, Result};

/// One objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Objective {
    /// Frames per second (maximised).
    Fps,
    /// Latency of one frame, microseconds (minimised).
    Latency,
    /// LUTs (minimised).
    Lut,
    /// Flip-flops (minimised).
    Ff,
    /// 18 Kib block RAMs (minimised).
    Bram,
    /// DSP slices (minimised).
    Dsp,
    /// Accuracy: the evaluator's figure or the proxy's score (maximised).
    Accuracy,
    /// Weights and biases (minimised).
    Params,
    /// MACs per frame (minimised).
    Macs,
}

/// Every objective, in the order of the `--objectives` help.
pub const ALL: [Objective; 9] = [
    Objective::Fps,
    Objective::Latency,
    Objective::Lut,
    Objective::Ff,
    Objective::Bram,
    Objective::Dsp,
    Objective::Accuracy,
    Objective::Params,
    Objective::Macs,
];

impl Objective {
    /// The name as written on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Objective::Fps => "fps",
            Objective::Latency => "latency",
            Objective::Lut => "lut",
            Objective::Ff => "ff",
            Objective::Bram => "bram",
            Objective::Dsp => "dsp",
            Objective::Accuracy => "accuracy",
            Objective::Params => "params",
            Objective::Macs => "macs",
        }
    }

    /// True for objectives to maximise (fps, accuracy).
    pub fn maximise(&self) -> bool {
        matches!(self, Objective::Fps | Objective::Accuracy)
    }

    /// The value on `r` (None when not known, e.g. no design for an infeasible candidate).
    pub fn value(&self, r: &Record) -> Option<f64> {
        let hw = r.hw.as_ref();
        match self {
            Objective::Fps => hw.map(|h| h.fps),
            Objective::Latency => hw.map(|h| h.latency_us),
            Objective::Lut => hw.map(|h| h.lut as f64),
            Objective::Ff => hw.map(|h| h.ff as f64),
            Objective::Bram => hw.map(|h| h.bram18 as f64),
            Objective::Dsp => hw.map(|h| h.dsp as f64),
            Objective::Accuracy => r.accuracy,
            Objective::Params => r.params.map(|p| p as f64),
            Objective::Macs => r.macs.map(|m| m as f64),
        }
    }

    /// Parses a comma-separated list (`fps,accuracy`), without repeats.
    pub fn parse_list(s: &str) -> Result<Vec<Objective>> {
        let mut out: Vec<Objective> = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let o = ALL.iter().find(|o| o.name() == part).ok_or_else(|| {
                Error::InvalidOption(format!(
                    "--objectives: unknown objective `{part}`; expected some of {}",
                    ALL.map(|o| o.name()).join(", ")
                ))
            })?;
            if out.contains(o) {
                return Err(Error::InvalidOption(format!(
                    "--objectives: `{part}` is listed twice"
                )));
            }
            out.push(*o);
        }
        if out.is_empty() {
            return Err(Error::InvalidOption(
                "--objectives: name at least one objective".into(),
            ));
        }
        Ok(out)
    }
}

/// The minimised objective vector of a feasible record (maximised objectives negated;
/// unknown values count as the worst).
pub fn minimised(objs: &[Objective], r: &Record) -> Vec<f64> {
    objs.iter()
        .map(|o| match (o.value(r), o.maximise()) {
            (Some(v), true) => -v,
            (Some(v), false) => v,
            (None, _) => f64::INFINITY,
        })
        .collect()
}
