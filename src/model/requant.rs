//! The layer's `requant:` key: a scale and shift (section 9 of docs/model-format.md) or
//! thresholds (section 9.1), checked as far as the layer alone allows; the op's own rules
//! (entry counts, which ops take thresholds) are `ops`'.

use super::loc;
use crate::error::{Loc, Result};
use crate::format::fields::LayerFields;
use crate::format::raw::{self, RawRequant};
use crate::format::{ElemType, Requant, Thresholds};
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// Most thresholds a channel may have: an 8-bit output's 255 levels.
pub const MAX_THRESHOLDS: i64 = 255;

/// The layer's explicit requantisation: a scale and shift, or thresholds (their values come
/// from the weights file or calibration).
#[derive(Debug, Clone, Default)]
pub struct Explicit {
    /// `requant: {scale, shift}`.
    pub linear: Option<Requant>,
    /// `requant: {thresholds, bias}`, its values still empty.
    pub thresholds: Option<Thresholds>,
}

/// The explicit `requant:`: either `scale` and `shift` (non-empty lists, shifts in 0..=62,
/// scales below 2^22 in magnitude) or `thresholds` (1..=255 per channel) with an optional
/// `bias` that keeps every output level inside the `output` type.
pub fn explicit(f: &LayerFields, output: Option<ElemType>) -> Result<Explicit> {
    let Some(r) = &f.raw.requant else {
        return Ok(Explicit::default());
    };
    match (&r.value.scale, &r.value.shift, &r.value.thresholds) {
        (Some(scale), Some(shift), None) if r.value.bias.is_none() => Ok(Explicit {
            linear: Some(linear(f, r, scale, shift)?),
            thresholds: None,
        }),
        (None, None, Some(count)) => Ok(Explicit {
            linear: None,
            thresholds: Some(thresholds(f, &r.value, count, output)?),
        }),
        _ => Err(f.error_at(
            loc(r),
            "`requant` takes `scale` and `shift`, or `thresholds` (with an optional `bias`)",
        )),
    }
}

fn linear(
    f: &LayerFields,
    r: &Spanned<RawRequant>,
    scale: &Spanned<raw::IntOrList>,
    shift: &Spanned<raw::IntOrList>,
) -> Result<Requant> {
    let list = |v: &raw::IntOrList| match v {
        raw::IntOrList::One(x) => vec![*x],
        raw::IntOrList::Many(l) => l.clone(),
    };
    let rq = Requant {
        scale: list(&scale.value),
        shift: list(&shift.value),
    };
    if rq.scale.is_empty() || rq.shift.is_empty() {
        return Err(f.error_at(loc(r), "requant scale and shift lists must not be empty"));
    }
    if let Some(s) = rq.shift.iter().find(|s| !(0..=62).contains(*s)) {
        return Err(f.error_at(
            loc(shift),
            format!("requant shift must be in 0..=62, got {s}"),
        ));
    }
    if let Some(s) = rq.scale.iter().find(|s| s.abs() >= 1 << 22) {
        return Err(f.error_at(
            loc(scale),
            format!("requant scale must be below 2^22 in magnitude, got {s}"),
        ));
    }
    Ok(rq)
}

fn thresholds(
    f: &LayerFields,
    r: &RawRequant,
    count: &Spanned<i64>,
    output: Option<ElemType>,
) -> Result<Thresholds> {
    let n = count.value;
    if !(1..=MAX_THRESHOLDS).contains(&n) {
        return Err(f.error_at(
            loc(count),
            format!("`requant.thresholds` must be in 1..={MAX_THRESHOLDS}, got {n}"),
        ));
    }
    let Some(out) = output else {
        return Err(f.error_at(
            loc(count),
            "`requant` needs an `output` type to requantise to",
        ));
    };
    let (lo, hi) = (out.min(), out.max());
    let bias = r.bias.as_ref().map_or(lo, |b| b.value);
    // A bipolar output takes the sign of the level; any other must hold every level.
    let fits = out.is_bipolar() && bias.abs() <= 1 << 20
        || bias >= lo && bias.checked_add(n).is_some_and(|top| top <= hi);
    if !fits {
        let at = r.bias.as_ref().map_or(loc(count), loc);
        return Err(f.error_at(
            at,
            format!(
                "thresholds: {n} with bias {bias} give the levels {bias}..={}, outside the \
                 output type's {lo}..={hi}",
                bias.saturating_add(n)
            ),
        ));
    }
    Ok(Thresholds {
        count: n as u32,
        bias,
        values: Vec::new(),
    })
}

/// The positions of the `requant` keys that later checks may blame.
pub fn key_locs(f: &LayerFields, out: &mut BTreeMap<&'static str, Loc>) {
    let Some(r) = &f.raw.requant else {
        return;
    };
    let at = loc(r);
    let keys = [
        ("requant.scale", r.value.scale.as_ref().map(loc)),
        ("requant.shift", r.value.shift.as_ref().map(loc)),
        ("requant.thresholds", r.value.thresholds.as_ref().map(loc)),
        ("requant.bias", r.value.bias.as_ref().map(loc)),
    ];
    for (key, l) in keys {
        out.insert(key, l.unwrap_or(at));
    }
}
