//! Constant tensors of an ONNX model (initializers, `Constant` values, tensor attributes),
//! decoded from a [`TensorProto`] into plain vectors.
//!
//! The elements come from `raw_data` when it is set (fixed width, little-endian, 4- and 2-bit
//! types packed from the low bits up), otherwise from the typed field the data type uses:
//! `float_data` (FLOAT), `double_data` (DOUBLE), `int64_data` (INT64), `uint64_data` (UINT32,
//! UINT64) and `int32_data` (every other integer type, BOOL, and the bits of FLOAT16 and
//! BFLOAT16). The element count is checked against the dimensions, with checked arithmetic and
//! against [`MAX_TENSOR_ELEMS`], before anything is allocated.

use super::proto::{DataLocation, TensorProto, data_type as dt};
use super::{MAX_TENSOR_ELEMS, MAX_TOTAL_ELEMS};
use crate::limits;

/// A decoded constant tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct OnnxTensor {
    /// The shape, outermost first; empty for a scalar.
    pub dims: Vec<usize>,
    /// The ONNX data type number (see [`super::proto::data_type`]): it tells an int8 from a
    /// uint8 tensor, which [`TensorData`] does not.
    pub elem_type: i32,
    /// The elements in row-major order.
    pub data: TensorData,
}

/// The elements of an [`OnnxTensor`], by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    /// FLOAT, and FLOAT16 and BFLOAT16 widened exactly.
    Float(Vec<f32>),
    /// DOUBLE.
    Double(Vec<f64>),
    /// Every integer type that fits an `i64` (INT2 to INT64, UINT2 to UINT32) and BOOL (0, 1).
    Int(Vec<i64>),
    /// UINT64.
    UInt64(Vec<u64>),
}

impl OnnxTensor {
    /// The number of elements.
    pub fn len(&self) -> usize {
        match &self.data {
            TensorData::Float(v) => v.len(),
            TensorData::Double(v) => v.len(),
            TensorData::Int(v) => v.len(),
            TensorData::UInt64(v) => v.len(),
        }
    }

    /// Whether the tensor has no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the elements are floating point (FLOAT, DOUBLE, FLOAT16, BFLOAT16).
    pub fn is_float(&self) -> bool {
        matches!(self.data, TensorData::Float(_) | TensorData::Double(_))
    }

    /// Every element as an `f64` (exact for every type but integers beyond 2^53).
    pub fn to_f64(&self) -> Vec<f64> {
        match &self.data {
            TensorData::Float(v) => v.iter().map(|&x| f64::from(x)).collect(),
            TensorData::Double(v) => v.clone(),
            TensorData::Int(v) => v.iter().map(|&x| x as f64).collect(),
            TensorData::UInt64(v) => v.iter().map(|&x| x as f64).collect(),
        }
    }

    /// Every element as an `i64`, or `None` unless each one is an integer that fits one
    /// exactly (a float `2.0` does, `2.5`, NaN and `1e300` do not).
    pub fn to_i64(&self) -> Option<Vec<i64>> {
        match &self.data {
            TensorData::Float(v) => v.iter().map(|&x| exact_i64(f64::from(x))).collect(),
            TensorData::Double(v) => v.iter().map(|&x| exact_i64(x)).collect(),
            TensorData::Int(v) => Some(v.clone()),
            TensorData::UInt64(v) => v.iter().map(|&x| i64::try_from(x).ok()).collect(),
        }
    }

    /// The single element as an `f64`, or `None` unless the tensor has exactly one (of any
    /// shape: `[]`, `[1]`, `[1, 1]`).
    pub fn scalar_f64(&self) -> Option<f64> {
        match self.to_f64().as_slice() {
            [x] => Some(*x),
            _ => None,
        }
    }

    /// The single element as an `i64`, or `None` unless the tensor has exactly one and it is
    /// an integer (see [`OnnxTensor::to_i64`]).
    pub fn scalar_i64(&self) -> Option<i64> {
        match self.to_i64()?.as_slice() {
            [x] => Some(*x),
            _ => None,
        }
    }
}

/// `x` as an `i64` when it is one exactly.
fn exact_i64(x: f64) -> Option<i64> {
    // 2^63 is exact as an f64; every integral f64 in [-2^63, 2^63) converts exactly.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    (x.is_finite() && x.fract() == 0.0 && (-TWO_63..TWO_63).contains(&x)).then_some(x as i64)
}

/// The name of an ONNX data type number, for messages.
pub fn type_name(t: i32) -> String {
    let name = match t {
        dt::UNDEFINED => "UNDEFINED",
        dt::FLOAT => "FLOAT",
        dt::UINT8 => "UINT8",
        dt::INT8 => "INT8",
        dt::UINT16 => "UINT16",
        dt::INT16 => "INT16",
        dt::INT32 => "INT32",
        dt::INT64 => "INT64",
        dt::STRING => "STRING",
        dt::BOOL => "BOOL",
        dt::FLOAT16 => "FLOAT16",
        dt::DOUBLE => "DOUBLE",
        dt::UINT32 => "UINT32",
        dt::UINT64 => "UINT64",
        dt::COMPLEX64 => "COMPLEX64",
        dt::COMPLEX128 => "COMPLEX128",
        dt::BFLOAT16 => "BFLOAT16",
        dt::UINT4 => "UINT4",
        dt::INT4 => "INT4",
        dt::UINT2 => "UINT2",
        dt::INT2 => "INT2",
        _ => return format!("data type {t}"),
    };
    name.to_string()
}

/// How the elements of one data type are stored.
#[derive(Clone, Copy)]
enum Layout {
    /// IEEE float of this many bytes (2: FLOAT16, or BFLOAT16 when `brain`).
    Float { bytes: usize, brain: bool },
    /// Integer of this many bits (2, 4, 8, 16, 32, 64), signed or not; BOOL is an unsigned 8-bit
    /// with every nonzero byte read as 1.
    Int {
        bits: u32,
        signed: bool,
        boolean: bool,
    },
}

/// The layout of data type `t`, or why half-gen does not read it.
fn layout(t: i32) -> Result<Layout, String> {
    let int = |bits, signed| Layout::Int {
        bits,
        signed,
        boolean: false,
    };
    Ok(match t {
        dt::FLOAT => Layout::Float {
            bytes: 4,
            brain: false,
        },
        dt::DOUBLE => Layout::Float {
            bytes: 8,
            brain: false,
        },
        dt::FLOAT16 => Layout::Float {
            bytes: 2,
            brain: false,
        },
        dt::BFLOAT16 => Layout::Float {
            bytes: 2,
            brain: true,
        },
        dt::INT2 => int(2, true),
        dt::UINT2 => int(2, false),
        dt::INT4 => int(4, true),
        dt::UINT4 => int(4, false),
        dt::INT8 => int(8, true),
        dt::UINT8 => int(8, false),
        dt::INT16 => int(16, true),
        dt::UINT16 => int(16, false),
        dt::INT32 => int(32, true),
        dt::UINT32 => int(32, false),
        dt::INT64 => int(64, true),
        dt::UINT64 => int(64, false),
        dt::BOOL => Layout::Int {
            bits: 8,
            signed: false,
            boolean: true,
        },
        dt::STRING => return Err("string tensors are not supported".into()),
        dt::UNDEFINED => return Err("the tensor has no data type".into()),
        _ => return Err(format!("{} tensors are not supported", type_name(t))),
    })
}

/// Decodes `t`, counting its elements against `budget` (what remains of
/// [`MAX_TOTAL_ELEMS`]). The error is a message without the tensor's name.
pub(super) fn decode(t: &TensorProto, budget: &mut u64) -> Result<OnnxTensor, String> {
    if t.data_location == Some(DataLocation::External as i32) || !t.external_data.is_empty() {
        let location = t
            .external_data
            .iter()
            .find(|e| e.key.as_deref() == Some("location"))
            .and_then(|e| e.value.clone())
            .unwrap_or_default();
        return Err(format!(
            "its data is in an external file (`{location}`); half-gen reads only models that \
             hold their data (save it with onnx.save_model(model, path, \
             save_as_external_data=False))"
        ));
    }
    let elem_type = t.data_type.unwrap_or(dt::UNDEFINED);
    let lay = layout(elem_type)?;
    let (dims, n) = element_count(&t.dims)?;
    if n > *budget {
        return Err(limits::exceeded(
            "the number of constant elements of the model",
            MAX_TOTAL_ELEMS - *budget + n,
            MAX_TOTAL_ELEMS,
        ));
    }
    *budget -= n;
    // n <= MAX_TENSOR_ELEMS, so it fits a usize and every byte count below.
    let n = n as usize;
    let what = type_name(elem_type);
    let data = match &t.raw_data {
        Some(raw) => from_raw(raw, n, lay, &what)?,
        None => from_typed(t, n, lay, &what)?,
    };
    Ok(OnnxTensor {
        dims,
        elem_type,
        data,
    })
}

/// The dimensions as `usize` and their product, refused when negative or above
/// [`MAX_TENSOR_ELEMS`].
fn element_count(dims: &[i64]) -> Result<(Vec<usize>, u64), String> {
    let mut n: u64 = 1;
    let mut out = Vec::with_capacity(dims.len().min(64));
    for &d in dims {
        let Ok(du) = u64::try_from(d) else {
            return Err(format!("dimension {d} of {dims:?} is negative"));
        };
        n = n.saturating_mul(du);
        out.push(usize::try_from(du).unwrap_or(usize::MAX));
    }
    if n > MAX_TENSOR_ELEMS {
        return Err(limits::exceeded(
            &format!("the number of elements of a constant tensor of shape {dims:?}"),
            n,
            MAX_TENSOR_ELEMS,
        ));
    }
    Ok((out, n))
}

/// The elements of `raw` (`raw_data`), which must hold exactly `n` of layout `lay`.
fn from_raw(raw: &[u8], n: usize, lay: Layout, what: &str) -> Result<TensorData, String> {
    let (need, unit) = match lay {
        Layout::Float { bytes, .. } => (n * bytes, format!("{bytes} bytes each")),
        Layout::Int { bits, .. } if bits < 8 => {
            let per = (8 / bits) as usize;
            (n.div_ceil(per), format!("{per} a byte"))
        }
        Layout::Int { bits: 8, .. } => (n, "1 byte each".to_string()),
        Layout::Int { bits, .. } => (n * bits as usize / 8, format!("{} bytes each", bits / 8)),
    };
    if raw.len() != need {
        return Err(format!(
            "its dimensions hold {n} elements but raw_data holds {} bytes ({what}, {unit})",
            raw.len()
        ));
    }
    Ok(match lay {
        Layout::Float { bytes: 4, .. } => TensorData::Float(
            raw.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ),
        Layout::Float { bytes: 8, .. } => TensorData::Double(
            raw.chunks_exact(8)
                .map(|c| f64::from_le_bytes(le8(c)))
                .collect(),
        ),
        Layout::Float { brain, .. } => TensorData::Float(
            raw.chunks_exact(2)
                .map(|c| half_to_f32(u16::from_le_bytes([c[0], c[1]]), brain))
                .collect(),
        ),
        Layout::Int {
            bits: 64,
            signed: false,
            ..
        } => TensorData::UInt64(
            raw.chunks_exact(8)
                .map(|c| u64::from_le_bytes(le8(c)))
                .collect(),
        ),
        Layout::Int { bits, .. } if bits < 8 => TensorData::Int(unpack(raw, n, lay)),
        Layout::Int {
            bits,
            signed,
            boolean,
        } => TensorData::Int(
            raw.chunks_exact(bits as usize / 8)
                .map(|c| int_le(c, signed, boolean))
                .collect(),
        ),
    })
}

/// Eight bytes of `c` (which holds exactly eight) as an array.
fn le8(c: &[u8]) -> [u8; 8] {
    let mut b = [0u8; 8];
    b.copy_from_slice(&c[..8]);
    b
}

/// A little-endian integer of 1 to 8 bytes (`c`), sign-extended when `signed`; a BOOL byte
/// reads as 0 or 1.
fn int_le(c: &[u8], signed: bool, boolean: bool) -> i64 {
    let mut b = [0u8; 8];
    b[..c.len()].copy_from_slice(c);
    let u = u64::from_le_bytes(b);
    if boolean {
        return i64::from(u != 0);
    }
    let shift = 64 - 8 * c.len() as u32;
    if signed {
        ((u << shift) as i64) >> shift
    } else {
        u as i64
    }
}

/// `n` elements of 2 or 4 bits packed from the low bits of each byte of `bytes` up.
fn unpack(bytes: &[u8], n: usize, lay: Layout) -> Vec<i64> {
    let Layout::Int { bits, signed, .. } = lay else {
        return Vec::new();
    };
    let per = (8 / bits) as usize;
    let mask = (1u8 << bits) - 1;
    (0..n)
        .map(|k| {
            let v = (bytes[k / per] >> ((k % per) as u32 * bits)) & mask;
            if signed && v >> (bits - 1) == 1 {
                i64::from(v) - (1i64 << bits)
            } else {
                i64::from(v)
            }
        })
        .collect()
}

/// A FLOAT16 (or BFLOAT16 when `brain`) bit pattern as the `f32` of the same value.
fn half_to_f32(h: u16, brain: bool) -> f32 {
    if brain {
        return f32::from_bits(u32::from(h) << 16);
    }
    let sign = (u32::from(h) & 0x8000) << 16;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    match exp {
        0 => {
            // zero or subnormal: man * 2^-24, exact in f32
            let v = man as f32 * f32::from_bits(0x3380_0000);
            if sign == 0 { v } else { -v }
        }
        0x1f => f32::from_bits(sign | 0x7f80_0000 | (man << 13)),
        _ => f32::from_bits(sign | ((exp + 112) << 23) | (man << 13)),
    }
}

/// The elements of `t`'s typed field for layout `lay`, which must hold exactly `n`.
fn from_typed(t: &TensorProto, n: usize, lay: Layout, what: &str) -> Result<TensorData, String> {
    let count = |field: &str, len: usize, need: usize| {
        if len == need {
            Ok(())
        } else {
            Err(format!(
                "its dimensions hold {n} elements but {field} holds {len} values ({what})"
            ))
        }
    };
    match lay {
        Layout::Float { bytes: 4, .. } => {
            count("float_data", t.float_data.len(), n)?;
            Ok(TensorData::Float(t.float_data.clone()))
        }
        Layout::Float { bytes: 8, .. } => {
            count("double_data", t.double_data.len(), n)?;
            Ok(TensorData::Double(t.double_data.clone()))
        }
        Layout::Float { brain, .. } => {
            count("int32_data", t.int32_data.len(), n)?;
            let bits = t.int32_data.iter().map(|&v| {
                u16::try_from(v).map_err(|_| format!("int32_data value {v} is not {what} bits"))
            });
            let f = bits.map(|b| b.map(|b| half_to_f32(b, brain)));
            Ok(TensorData::Float(f.collect::<Result<_, _>>()?))
        }
        Layout::Int {
            bits: 64, signed, ..
        } => typed_64(t, n, signed, what),
        Layout::Int {
            bits: 32,
            signed: false,
            ..
        } => {
            count("uint64_data", t.uint64_data.len(), n)?;
            let v = t.uint64_data.iter().map(|&v| {
                u32::try_from(v)
                    .map(i64::from)
                    .map_err(|_| format!("uint64_data value {v} is out of the range of {what}"))
            });
            Ok(TensorData::Int(v.collect::<Result<_, _>>()?))
        }
        Layout::Int { bits, .. } if bits < 8 => {
            let per = (8 / bits) as usize;
            count("int32_data", t.int32_data.len(), n.div_ceil(per))?;
            let bytes = t.int32_data.iter().map(|&v| {
                u8::try_from(v).map_err(|_| format!("int32_data value {v} is not a byte of {what}"))
            });
            Ok(TensorData::Int(unpack(
                &bytes.collect::<Result<Vec<_>, _>>()?,
                n,
                lay,
            )))
        }
        Layout::Int {
            bits,
            signed,
            boolean,
        } => {
            count("int32_data", t.int32_data.len(), n)?;
            small_ints(&t.int32_data, bits, signed, boolean, what)
        }
    }
}

/// INT8 to INT32, UINT8, UINT16 and BOOL elements from `int32_data`, each checked against the
/// type's range.
fn small_ints(
    data: &[i32],
    bits: u32,
    signed: bool,
    boolean: bool,
    what: &str,
) -> Result<TensorData, String> {
    let (lo, hi) = match (signed, boolean) {
        (_, true) => (0, 1),
        (true, _) => (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1),
        (false, _) => (0, (1i64 << bits) - 1),
    };
    let v = data.iter().map(|&v| {
        let v = i64::from(v);
        if (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            Err(format!(
                "int32_data value {v} is out of the range of {what}"
            ))
        }
    });
    Ok(TensorData::Int(v.collect::<Result<_, _>>()?))
}

/// INT64 (`int64_data`) or UINT64 (`uint64_data`) elements.
fn typed_64(t: &TensorProto, n: usize, signed: bool, what: &str) -> Result<TensorData, String> {
    let (field, len) = if signed {
        ("int64_data", t.int64_data.len())
    } else {
        ("uint64_data", t.uint64_data.len())
    };
    if len != n {
        return Err(format!(
            "its dimensions hold {n} elements but {field} holds {len} values ({what})"
        ));
    }
    Ok(if signed {
        TensorData::Int(t.int64_data.clone())
    } else {
        TensorData::UInt64(t.uint64_data.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_floats_widen_exactly() {
        assert_eq!(half_to_f32(0x3c00, false), 1.0);
        assert_eq!(half_to_f32(0xc000, false), -2.0);
        assert_eq!(half_to_f32(0x0001, false), 2f32.powi(-24));
        assert_eq!(half_to_f32(0x8000, false).to_bits(), 0x8000_0000);
        assert_eq!(half_to_f32(0x7c00, false), f32::INFINITY);
        assert!(half_to_f32(0x7e00, false).is_nan());
        assert_eq!(half_to_f32(0x7bff, false), 65504.0);
        assert_eq!(half_to_f32(0x3f80, true), 1.0);
    }

    #[test]
    fn sub_byte_integers_unpack_low_bits_first() {
        let i4 = Layout::Int {
            bits: 4,
            signed: true,
            boolean: false,
        };
        assert_eq!(unpack(&[0x8f, 0x07], 3, i4), vec![-1, -8, 7]);
        let u2 = Layout::Int {
            bits: 2,
            signed: false,
            boolean: false,
        };
        assert_eq!(unpack(&[0b1110_0100], 4, u2), vec![0, 1, 2, 3]);
    }

    #[test]
    fn exact_integers_only() {
        assert_eq!(exact_i64(-3.0), Some(-3));
        assert_eq!(exact_i64(2.5), None);
        assert_eq!(exact_i64(f64::NAN), None);
        assert_eq!(exact_i64(9.3e18), None);
        assert_eq!(exact_i64(-9_223_372_036_854_775_808.0), Some(i64::MIN));
    }
}
