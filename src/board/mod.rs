//! The board database: boards/*.yaml embedded in the binary, or a custom board file.

use crate::cost::{DspKind, Family, Resources};
use crate::error::{Diagnostic, Error, Loc, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// DSP primitive names as written in board files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DspName {
    /// 7-series DSP.
    #[serde(rename = "DSP48E1")]
    Dsp48e1,
    /// UltraScale DSP.
    #[serde(rename = "DSP48E2")]
    Dsp48e2,
}

/// One board: its part and the resources of that part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Board {
    /// Short name (`pynq-z2`).
    pub name: String,
    /// Vivado part string.
    pub part: String,
    /// Family.
    pub family: Family,
    /// LUTs.
    pub lut: u64,
    /// Flip-flops.
    pub ff: u64,
    /// 18 Kib block RAMs.
    pub bram18: u64,
    /// UltraRAMs.
    pub uram: u64,
    /// DSP slices.
    pub dsp: u64,
    /// DSP primitive.
    pub dsp_kind: DspName,
    /// Usual programmable-logic clock, MHz.
    pub clock_mhz: f64,
}

impl Board {
    /// The part's resources.
    pub fn resources(&self) -> Resources {
        Resources {
            lut: self.lut,
            ff: self.ff,
            bram18: self.bram18,
            uram: self.uram,
            dsp: self.dsp,
        }
    }
    /// The DSP kind for cost models.
    pub fn dsp(&self) -> DspKind {
        match self.dsp_kind {
            DspName::Dsp48e1 => DspKind::Dsp48e1,
            DspName::Dsp48e2 => DspKind::Dsp48e2,
        }
    }
    /// The DSP kind when the part has DSP slices (the multiplier styles a fold may use).
    pub fn dsp_slices(&self) -> Option<DspKind> {
        (self.dsp > 0).then(|| self.dsp())
    }
}

/// The shipped boards' files, by name.
const BUILTIN: [(&str, &str); 10] = [
    ("alveo-u250", include_str!("../../boards/alveo-u250.yaml")),
    (
        "arty-a7-100t",
        include_str!("../../boards/arty-a7-100t.yaml"),
    ),
    ("kv260", include_str!("../../boards/kv260.yaml")),
    ("pynq-z1", include_str!("../../boards/pynq-z1.yaml")),
    ("pynq-z2", include_str!("../../boards/pynq-z2.yaml")),
    ("ultra96-v2", include_str!("../../boards/ultra96-v2.yaml")),
    ("zcu102", include_str!("../../boards/zcu102.yaml")),
    ("zcu104", include_str!("../../boards/zcu104.yaml")),
    ("zedboard", include_str!("../../boards/zedboard.yaml")),
    ("zybo-z7-10", include_str!("../../boards/zybo-z7-10.yaml")),
];

/// Parses and checks board-file text; `file` names it in messages.
pub fn parse(text: &str, file: &str) -> Result<Board> {
    let b: Board = serde_saphyr::from_str(text).map_err(|e| {
        let loc = e.location().map(Loc::from_saphyr).unwrap_or_default();
        Error::Input(Diagnostic::new(
            file,
            loc,
            None,
            format!("invalid board file: {}", crate::hint::yaml_message(&e)),
        ))
    })?;
    if !(b.clock_mhz.is_finite() && b.clock_mhz > 0.0 && b.clock_mhz <= 1000.0) {
        return Err(Error::Input(Diagnostic::new(
            file,
            Loc::default(),
            None,
            "clock_mhz must be in (0, 1000]",
        )));
    }
    if b.lut == 0 || b.ff == 0 {
        return Err(Error::Input(Diagnostic::new(
            file,
            Loc::default(),
            None,
            "a board needs LUTs and flip-flops",
        )));
    }
    // The name and part reach generated Tcl, C++ comments and Makefiles: plain words only.
    for (key, v) in [("name", &b.name), ("part", &b.part)] {
        if !is_plain_word(v) {
            return Err(Error::Input(Diagnostic::new(
                file,
                Loc::default(),
                None,
                format!(
                    "board `{key}` must be 1 to 64 letters, digits, `.`, `_` or `-` (starting with a letter or digit), got `{}`",
                    v.escape_debug()
                ),
            )));
        }
    }
    if let Some((k, v)) = b
        .resources()
        .as_array()
        .iter()
        .zip(crate::cost::RESOURCE_NAMES)
        .map(|(v, k)| (k, *v))
        .find(|(_, v)| *v > MAX_RESOURCE)
    {
        return Err(Error::Input(Diagnostic::new(
            file,
            Loc::default(),
            None,
            crate::limits::exceeded(&format!("the board's `{k}`"), v, MAX_RESOURCE),
        )));
    }
    Ok(b)
}

/// The most of any one resource a board file may declare (a thousand times the largest FPGA).
pub const MAX_RESOURCE: u64 = 1 << 32;

/// A name safe in Tcl, C++ comments, Makefiles and file names: `[A-Za-z0-9][A-Za-z0-9._-]*`,
/// at most 64 characters.
pub fn is_plain_word(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Every shipped board, in name order.
pub fn builtin() -> Vec<Board> {
    BUILTIN
        .iter()
        .filter_map(|(n, t)| parse(t, n).ok())
        .collect()
}

/// A shipped board by name, or a board file by path (anything ending in .yaml/.yml or
/// containing a path separator).
pub fn lookup(name_or_path: &str) -> Result<Board> {
    if let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
        return parse(text, name_or_path);
    }
    let is_path = name_or_path.ends_with(".yaml")
        || name_or_path.ends_with(".yml")
        || name_or_path.contains('/');
    if is_path {
        let p = Path::new(name_or_path);
        let text = crate::fsutil::read_text(p)?;
        return parse(&text, name_or_path);
    }
    let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
    Err(Error::InvalidOption(format!(
        "unknown board `{name_or_path}`{}; known boards: {} (or a path to a board .yaml)",
        crate::hint::hint(name_or_path, names.iter().copied()),
        names.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_builtin_boards_parse() {
        assert_eq!(builtin().len(), BUILTIN.len());
        for (n, _) in BUILTIN {
            assert_eq!(lookup(n).unwrap().name, n);
        }
        let z2 = lookup("pynq-z2").unwrap();
        assert_eq!(z2.part, "xc7z020clg400-1");
        assert_eq!(
            z2.resources(),
            Resources {
                lut: 53200,
                ff: 106400,
                bram18: 280,
                uram: 0,
                dsp: 220
            }
        );
        assert!(matches!(lookup("pynq-z9"), Err(Error::InvalidOption(_))));
    }
}
