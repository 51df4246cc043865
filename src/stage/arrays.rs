//! Constant arrays of a stage (packed weight words, biases, scales, shifts) as C++
//! initialisers, with the pragmas that shape their memories.

use super::HlsArray;
use super::requant::Epilogue;
use super::{HlsRequant, rom_impl};
use crate::cost::MemStyle;
use crate::format::{ElemType, Thresholds};
use crate::stage::requant::signed_bits;

/// Raw `bits`-bit coding of `v` (two's complement; bipolar: +1 -> 1, -1 -> 0).
pub fn raw(v: i64, t: ElemType) -> u64 {
    if t.is_bipolar() {
        u64::from(v > 0)
    } else {
        (v as u64) & mask(t.bits)
    }
}

fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// `elems` packed into one word of `bits`-bit fields, element 0 in the least significant bits,
/// as 64-bit limbs, least significant first (at least one limb). The HLS arrays
/// ([`word_literal`]) and the RTL memory files ([`hex_word`]) write the same words.
fn pack(elems: &[u64], bits: u32) -> Vec<u64> {
    let width = elems.len() as u32 * bits;
    let mut limbs = vec![0u64; (width as usize).div_ceil(64).max(1)];
    for (i, &e) in elems.iter().enumerate() {
        let pos = i as u32 * bits;
        let (l, o) = ((pos / 64) as usize, pos % 64);
        limbs[l] |= e << o;
        if o + bits > 64 && o > 0 {
            limbs[l + 1] |= e >> (64 - o);
        }
    }
    limbs
}

/// A packed word of `elems.len()` fields of `bits` bits as a C++ `ap_uint<W>` initialiser.
pub fn word_literal(elems: &[u64], bits: u32) -> String {
    let width = elems.len() as u32 * bits;
    let limbs = pack(elems, bits);
    if width <= 64 {
        return format!("0x{:x}ULL", limbs[0]);
    }
    let full: String = limbs.iter().rev().map(|l| format!("{l:016x}")).collect();
    // No leading zeros: the ap_int string parsers read a leading "0b", "0o", "0d" or "0x" as a
    // radix prefix, so a top limb of 0 followed by a limb starting with b would be binary.
    let hex = match full.trim_start_matches('0') {
        "" => "0",
        digits => digits,
    };
    format!("ap_uint<{width}>(\"{hex}\", 16)")
}

/// Nested brace initialiser of `values` over `dims` (row-major).
pub fn nested(dims: &[u64], values: &[String]) -> String {
    if dims.len() <= 1 {
        return format!("{{{}}}", values.join(", "));
    }
    let inner: u64 = dims[1..].iter().product();
    let parts: Vec<String> = values
        .chunks(inner.max(1) as usize)
        .map(|c| nested(&dims[1..], c))
        .collect();
    format!("{{\n{}}}", parts.join(",\n"))
}

/// The packed weight memory `weights[PE][ROWS]` of SIMD elements each; `get(p, row, s)` gives
/// the weight value.
pub fn weights(
    pe: u32,
    rows: u64,
    simd: u32,
    wt: ElemType,
    mem: MemStyle,
    get: impl Fn(u32, u64, u32) -> i64,
) -> HlsArray {
    let mut values = Vec::with_capacity((pe as u64 * rows) as usize);
    for p in 0..pe {
        for r in 0..rows {
            let elems: Vec<u64> = (0..simd).map(|s| raw(get(p, r, s), wt)).collect();
            values.push(word_literal(&elems, wt.bits));
        }
    }
    HlsArray {
        ty: format!("ap_uint<{}>", simd * wt.bits),
        name: "weights",
        dims: vec![pe as u64, rows],
        values,
        pragmas: vec![
            "ARRAY_PARTITION variable=weights type=complete dim=1".into(),
            format!(
                "BIND_STORAGE variable=weights type=rom_1p impl={}",
                rom_impl(mem)
            ),
        ],
    }
}

/// Biases `bias[PE][NF]` (channel `nf*PE + p`), zeros without bias.
pub fn bias(pe: u32, channels: u32, acc_bits: u32, values: &[i64]) -> HlsArray {
    let nf = channels / pe.max(1);
    let mut out = Vec::new();
    for p in 0..pe {
        for f in 0..nf {
            let v = values.get((f * pe + p) as usize).copied().unwrap_or(0);
            out.push(format!("{v}LL"));
        }
    }
    HlsArray {
        ty: format!("ap_int<{acc_bits}>"),
        name: "bias",
        dims: vec![pe as u64, nf as u64],
        values: out,
        pragmas: vec!["ARRAY_PARTITION variable=bias type=complete dim=1".into()],
    }
}

/// Scale and shift arrays of a unit's requantiser and the template parameters describing
/// them. A per-tensor requantiser's scale and shift are also template arguments (`scale0`,
/// `shift0`), which the library uses instead of the one-entry arrays; an add (one scale per
/// input, `scale0` and `scale1`, one shift) takes only the template arguments, no arrays.
pub fn requant(ep: &Epilogue, pe: u32) -> (HlsRequant, Vec<HlsArray>) {
    if let Some(t) = ep.thresholds {
        return thresholds(ep, t, pe);
    }
    let is_add = ep.scales_per_input;
    let Some(r) = ep.requant else {
        let arrays = if is_add {
            Vec::new()
        } else {
            vec![
                scalar_array("scale", "ap_int<2>", vec!["1".into()], 1),
                zero_shift(),
            ]
        };
        return (unit_requant(ep, false, "scale"), arrays);
    };
    let sb = signed_bits(&r.scale).max(2);
    if is_add {
        let sa = r.scale[0];
        let sbv = *r.scale.last().unwrap_or(&sa);
        return (
            HlsRequant {
                has: true,
                sb,
                nq: 1,
                scale0: sa,
                scale1: sbv,
                shift0: r.shift[0],
                scale_style: super::scale_style_tag(ep),
                table: "scale",
            },
            Vec::new(),
        );
    }
    let per_channel = r.scale.len() > 1 || r.shift.len() > 1;
    let n = if per_channel { ep.channels as usize } else { 1 };
    // Padded channels (a matrix unit's PE past its last channel) get zeros.
    let pick = |v: &[i64], i: usize| {
        if v.len() == 1 {
            v[0]
        } else {
            v.get(i).copied().unwrap_or(0)
        }
    };
    let scales = (0..n).map(|i| pick(&r.scale, i).to_string()).collect();
    let shifts = (0..n).map(|i| pick(&r.shift, i).to_string()).collect();
    let factor = if per_channel { pe } else { 1 };
    (
        HlsRequant {
            has: true,
            sb,
            nq: n,
            scale0: pick(&r.scale, 0),
            scale1: pick(&r.scale, 0),
            shift0: pick(&r.shift, 0),
            scale_style: super::scale_style_tag(ep),
            table: "scale",
        },
        vec![
            scalar_array("scale", &format!("ap_int<{sb}>"), scales, factor),
            scalar_array("shift", "ap_uint<6>", shifts, factor),
        ],
    )
}

/// Requantiser parameters of scale 1 and shift 0 (`sb` 2, one entry): a stage without
/// requantisation (`has` false), or one whose `table` argument carries its thresholds.
fn unit_requant(ep: &Epilogue, has: bool, table: &'static str) -> HlsRequant {
    HlsRequant {
        has,
        sb: 2,
        nq: 1,
        scale0: 1,
        scale1: 1,
        shift0: 0,
        scale_style: super::scale_style_tag(ep),
        table,
    }
}

/// The one-entry `shift` array of 0 that a call without per-channel shifts passes.
fn zero_shift() -> HlsArray {
    scalar_array("shift", "ap_uint<6>", vec!["0".into()], 1)
}

/// The thresholds table `thresholds[C][NT]` (`ap_int<ACC + 1>`: every threshold clamped to
/// `acc_min ..= acc_max + 1`, where they work the same; a shared row repeated per channel,
/// padded channels zeros), its channels spread over the PE lanes, and a one-entry `shift`
/// the call passes unused.
fn thresholds(ep: &Epilogue, t: &Thresholds, pe: u32) -> (HlsRequant, Vec<HlsArray>) {
    let tb = ep.acc_bits() + 1;
    let values = threshold_rows(ep, t)
        .into_iter()
        .map(|v| format!("{v}LL"))
        .collect();
    let nt = t.count as u64;
    let table = HlsArray {
        ty: format!("ap_int<{tb}>"),
        name: "thresholds",
        dims: vec![ep.channels as u64, nt],
        values,
        pragmas: vec![
            format!("ARRAY_PARTITION variable=thresholds type=cyclic factor={pe} dim=1"),
            "ARRAY_PARTITION variable=thresholds type=complete dim=2".into(),
        ],
    };
    (
        unit_requant(ep, true, "thresholds"),
        vec![table, zero_shift()],
    )
}

/// The thresholds of every channel `0..ep.channels`, row after row, clamped to
/// `acc_min ..= acc_max + 1` (a channel past the layer's, a padded lane, gets zeros).
pub fn threshold_rows(ep: &Epilogue, t: &Thresholds) -> Vec<i64> {
    let (lo, hi) = (ep.acc.min(), ep.acc.max().saturating_add(1));
    let n = t.count as usize;
    let mut out = Vec::with_capacity(ep.channels as usize * n);
    for ch in 0..ep.channels as usize {
        let row = t.row(ch);
        out.extend((0..n).map(|i| row.get(i).map_or(0, |&v| v.clamp(lo, hi))));
    }
    out
}

fn scalar_array(name: &'static str, ty: &str, values: Vec<String>, banks: u32) -> HlsArray {
    let pragmas = if banks > 1 {
        vec![format!(
            "ARRAY_PARTITION variable={name} type=cyclic factor={banks}"
        )]
    } else {
        Vec::new()
    };
    HlsArray {
        ty: ty.to_string(),
        name,
        dims: vec![values.len() as u64],
        values,
        pragmas,
    }
}

/// A word of `elems` fields of `bits` bits as hex digits, most significant first.
pub fn hex_word(elems: &[u64], bits: u32) -> String {
    let width = (elems.len() as u32 * bits).max(1);
    let limbs = pack(elems, bits);
    let digits = width.div_ceil(4) as usize;
    let mut s = String::new();
    for l in limbs.iter().rev() {
        s.push_str(&format!("{l:016x}"));
    }
    s[s.len() - digits..].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        assert_eq!(word_literal(&[1, 2, 3], 4), "0x321ULL");
        let wide = word_literal(&[0xff; 9], 8);
        assert_eq!(wide, "ap_uint<72>(\"ffffffffffffffffff\", 16)");
        // A top limb of zero: no leading 0 that the parser would take for a "0b" prefix.
        let low = word_literal(&[0xb6, 0, 0, 0, 0, 0, 0, 0, 0], 8);
        assert_eq!(low, "ap_uint<72>(\"b6\", 16)");
        let top_zero = word_literal(&[0, 0, 0, 0, 0, 0, 0, 0xb6, 0], 8);
        assert_eq!(top_zero, "ap_uint<72>(\"b600000000000000\", 16)");
        assert_eq!(word_literal(&[0; 9], 8), "ap_uint<72>(\"0\", 16)");
        let s4 = ElemType {
            bits: 4,
            signed: true,
        };
        assert_eq!(raw(-3, s4), 13);
        assert_eq!(
            raw(
                -1,
                ElemType {
                    bits: 1,
                    signed: false
                }
            ),
            0
        );
        assert_eq!(
            nested(&[2, 2], &["1".into(), "2".into(), "3".into(), "4".into()]),
            "{\n{1, 2},\n{3, 4}}"
        );
    }
}
