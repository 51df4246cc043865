//! Folding files: `layer: {pe, simd, mult, mem, scale}` (every key optional when pinning), the format
//! of `--folding` and of the folding half-gen writes (like FINN's folding_config.json).

use crate::cost::{MemStyle, MultStyle, ScaleStyle};
use crate::error::{Diagnostic, Error, Loc, Result};
use crate::stage::Fold;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::path::Path;

/// A (partial) fold for one layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    /// PE, when pinned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pe: Option<u32>,
    /// SIMD, when pinned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub simd: Option<u32>,
    /// Multiplier style, when pinned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mult: Option<MultStyle>,
    /// Memory style, when pinned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem: Option<MemStyle>,
    /// Where the constant scale multiplies go, when pinned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<ScaleStyle>,
}

impl Pin {
    /// True when `f` agrees with every pinned field.
    pub fn admits(&self, f: &Fold) -> bool {
        self.pe.is_none_or(|v| v == f.pe)
            && self.simd.is_none_or(|v| v == f.simd)
            && self.mult.is_none_or(|v| v == f.mult)
            && self.mem.is_none_or(|v| v == f.mem)
            && self.scale.is_none_or(|v| v == f.scale)
    }
}

/// Pins by layer name, with the file position of each entry.
#[derive(Debug, Clone, Default)]
pub struct Pins {
    /// The pins.
    pub by_layer: BTreeMap<String, Pin>,
    /// Where each pin was written.
    pub locs: BTreeMap<String, Loc>,
    /// The file, for messages.
    pub file: String,
}

impl Pins {
    /// An error about the pin of `layer`.
    pub fn error(&self, layer: &str, msg: impl Into<String>) -> Error {
        let loc = self.locs.get(layer).copied().unwrap_or_default();
        Error::Input(Diagnostic::new(&self.file, loc, Some(layer), msg))
    }
}

/// Reads a folding file.
pub fn load(path: &Path) -> Result<Pins> {
    let text = crate::fsutil::read_text(path)?;
    parse(&text, &path.display().to_string())
}

/// Parses folding text.
pub fn parse(text: &str, file: &str) -> Result<Pins> {
    let raw: BTreeMap<String, Spanned<Pin>> = serde_saphyr::from_str(text).map_err(|e| {
        let loc = e.location().map(Loc::from_saphyr).unwrap_or_default();
        let first = crate::hint::yaml_message(&e);
        Error::Input(Diagnostic::new(
            file,
            loc,
            None,
            format!("invalid folding file: {first}"),
        ))
    })?;
    let mut pins = Pins {
        file: file.to_string(),
        ..Default::default()
    };
    for (name, p) in raw {
        pins.locs
            .insert(name.clone(), Loc::from_saphyr(p.referenced));
        pins.by_layer.insert(name, p.value);
    }
    Ok(pins)
}

/// One layer's chosen fold and which of its fields are choices (the others are left out of
/// the file).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerFold {
    /// The layer's name.
    pub name: String,
    /// Its fold.
    pub fold: Fold,
    /// The multiplier style is a choice.
    pub has_mult: bool,
    /// The weight memory style is a choice.
    pub has_weights: bool,
    /// The constant scale's place is a choice.
    pub has_scale: bool,
}

/// Writes complete folds in the same format, in layer order.
pub fn to_yaml(folds: &[LayerFold]) -> String {
    let mut out = String::from(
        "# half-gen folding: pe, simd, multiplier style (lut|dsp|packed), weight memory (bram|lutram|uram), constant scales (dsp|lut)\n",
    );
    for l in folds {
        let f = &l.fold;
        out.push_str(&format!("{}: {{pe: {}, simd: {}", l.name, f.pe, f.simd));
        if l.has_mult {
            out.push_str(&format!(", mult: {}", f.mult.name()));
        }
        if l.has_weights {
            out.push_str(&format!(", mem: {}", f.mem.name()));
        }
        if l.has_scale {
            out.push_str(&format!(", scale: {}", f.scale.name()));
        }
        out.push_str("}\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let f = Fold {
            pe: 16,
            simd: 3,
            mult: MultStyle::Lut,
            mem: MemStyle::Bram,
            scale: ScaleStyle::Lut,
        };
        let y = to_yaml(&[LayerFold {
            name: "conv0".into(),
            fold: f,
            has_mult: true,
            has_weights: true,
            has_scale: true,
        }]);
        let p = parse(&y, "f.yaml").unwrap();
        assert!(p.by_layer["conv0"].admits(&f));
        assert_eq!(p.by_layer["conv0"].pe, Some(16));
        assert_eq!(p.by_layer["conv0"].scale, Some(ScaleStyle::Lut));
        assert!(matches!(
            parse("c: {pe: 2, simdd: 3}", "f.yaml"),
            Err(Error::Input(_))
        ));
    }
}
