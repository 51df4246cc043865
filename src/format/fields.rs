//! Typed, located access to one layer's raw keys, used by the op modules' parsers.

use super::raw::{IntOrList, RawLayer, RawPadding};
use super::types::{Padding, Window};
use crate::error::{Diagnostic, Error, Loc, Result};
use serde_saphyr::Spanned;

/// One raw layer plus what is needed to report errors against it.
pub struct LayerFields<'a> {
    /// The raw layer.
    pub raw: &'a RawLayer,
    /// The file, for messages.
    pub file: &'a str,
    /// The layer's position.
    pub loc: Loc,
}

fn loc_of<T>(s: &Spanned<T>) -> Loc {
    Loc::from_saphyr(s.referenced)
}

impl<'a> LayerFields<'a> {
    /// The layer's name.
    pub fn name(&self) -> &str {
        &self.raw.name.value
    }

    /// An error at `loc` naming this layer.
    pub fn error_at(&self, loc: Loc, msg: impl Into<String>) -> Error {
        Error::Input(Diagnostic::new(self.file, loc, Some(self.name()), msg))
    }

    /// An error at the layer itself.
    pub fn error(&self, msg: impl Into<String>) -> Error {
        self.error_at(self.loc, msg)
    }

    /// The location of a key when present, else the layer's.
    pub fn key_loc(&self, key: &str) -> Option<Loc> {
        let r = self.raw;
        match key {
            "channels" => r.channels.as_ref().map(loc_of),
            "units" => r.units.as_ref().map(loc_of),
            "kernel" => r.kernel.as_ref().map(loc_of),
            "stride" => r.stride.as_ref().map(loc_of),
            "padding" => r.padding.as_ref().map(loc_of),
            "global" => r.global.as_ref().map(loc_of),
            "weight_bits" => r.weight_bits.as_ref().map(loc_of),
            "bias" => r.bias.as_ref().map(loc_of),
            "activation" => r.activation.as_ref().map(loc_of),
            "output" => r.output.as_ref().map(loc_of),
            "requant" => r.requant.as_ref().map(loc_of),
            "from" => r.from.as_ref().map(loc_of),
            _ => None,
        }
    }

    /// Location of `key` or of the layer.
    pub fn loc_or_layer(&self, key: &str) -> Loc {
        self.key_loc(key).unwrap_or(self.loc)
    }

    /// Rejects keys that do not apply to this layer's op.
    pub fn forbid(&self, keys: &[&str]) -> Result<()> {
        for k in keys {
            if let Some(loc) = self.key_loc(k) {
                return Err(self.error_at(
                    loc,
                    format!("key `{k}` does not apply to op `{}`", self.op_name()),
                ));
            }
        }
        Ok(())
    }

    /// The op's name as written.
    pub fn op_name(&self) -> String {
        self.raw.op.value.clone()
    }

    /// A required positive integer key.
    pub fn required_positive(&self, key: &str, v: &Option<Spanned<i64>>) -> Result<u32> {
        match v {
            None => Err(self.error(format!(
                "missing required key `{key}` for op `{}`",
                self.op_name()
            ))),
            Some(s) => self.positive(key, s.value, loc_of(s)),
        }
    }

    fn positive(&self, key: &str, v: i64, loc: Loc) -> Result<u32> {
        if v < 1 || v > u32::MAX as i64 / 4 {
            return Err(self.error_at(loc, format!("`{key}` must be a positive integer, got {v}")));
        }
        Ok(v as u32)
    }

    /// Bits in 1..=16 at `loc`.
    pub fn bits_value(&self, key: &str, v: i64, loc: Loc) -> Result<u32> {
        if !(1..=16).contains(&v) {
            return Err(self.error_at(loc, format!("`{key}` must be in 1..=16, got {v}")));
        }
        Ok(v as u32)
    }

    /// `weight_bits`, default 8.
    pub fn weight_bits(&self) -> Result<u32> {
        match &self.raw.weight_bits {
            None => Ok(8),
            Some(s) => self.bits_value("weight_bits", s.value, loc_of(s)),
        }
    }

    /// `bias`, default true.
    pub fn bias(&self) -> bool {
        self.raw.bias.as_ref().is_none_or(|b| b.value)
    }

    /// A window entry: positive and at most [`crate::limits::MAX_WINDOW`].
    fn window_entry(&self, key: &str, v: i64, loc: Loc) -> Result<u32> {
        let x = self.positive(key, v, loc)?;
        let max = crate::limits::MAX_WINDOW;
        if x > max {
            return Err(self.error_at(
                loc,
                crate::limits::exceeded(&format!("`{key}`"), x as u64, max as u64),
            ));
        }
        Ok(x)
    }

    fn pair(&self, key: &str, v: &Spanned<IntOrList>) -> Result<[u32; 2]> {
        let loc = loc_of(v);
        match &v.value {
            IntOrList::One(x) => {
                let x = self.window_entry(key, *x, loc)?;
                Ok([x, x])
            }
            IntOrList::Many(list) if list.len() == 2 => Ok([
                self.window_entry(key, list[0], loc)?,
                self.window_entry(key, list[1], loc)?,
            ]),
            IntOrList::Many(list) => Err(self.error_at(
                loc,
                format!(
                    "`{key}` must be an integer or a list of 2, got a list of {}",
                    list.len()
                ),
            )),
        }
    }

    /// Kernel, stride (default: `default_stride` or the kernel) and padding (default valid).
    pub fn window(&self, stride_defaults_to_kernel: bool) -> Result<Window> {
        let kernel = match &self.raw.kernel {
            None => {
                return Err(self.error(format!(
                    "missing required key `kernel` for op `{}`",
                    self.op_name()
                )));
            }
            Some(k) => self.pair("kernel", k)?,
        };
        let stride = match &self.raw.stride {
            None if stride_defaults_to_kernel => kernel,
            None => [1, 1],
            Some(s) => self.pair("stride", s)?,
        };
        let padding = match &self.raw.padding {
            None => Padding::Valid,
            Some(p) => self.padding(p)?,
        };
        Ok(Window {
            kernel,
            stride,
            padding,
        })
    }

    fn padding(&self, p: &Spanned<RawPadding>) -> Result<Padding> {
        let loc = loc_of(p);
        let nonneg = |v: i64| -> Result<u32> {
            if !(0..=65535).contains(&v) {
                return Err(self.error_at(loc, format!("padding must be in 0..=65535, got {v}")));
            }
            Ok(v as u32)
        };
        match &p.value {
            RawPadding::Word(w) if w == "valid" => Ok(Padding::Valid),
            RawPadding::Word(w) if w == "same" => Ok(Padding::Same),
            RawPadding::Word(w) => Err(self.error_at(
                loc,
                format!("unknown padding `{w}`; expected `valid`, `same`, an integer or [top, bottom, left, right]"),
            )),
            RawPadding::All(v) => {
                let v = nonneg(*v)?;
                Ok(Padding::Explicit([v; 4]))
            }
            RawPadding::List(l) if l.len() == 4 => Ok(Padding::Explicit([
                nonneg(l[0])?,
                nonneg(l[1])?,
                nonneg(l[2])?,
                nonneg(l[3])?,
            ])),
            RawPadding::List(l) => Err(self.error_at(
                loc,
                format!("padding list must be [top, bottom, left, right], got {} entries", l.len()),
            )),
        }
    }
}
