//! Validated model types shared by every later stage.

use serde::Serialize;
use std::fmt;

/// An element type: `bits` wide, signed or unsigned; 1 bit means bipolar {-1, +1}.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct ElemType {
    /// Width in bits.
    pub bits: u32,
    /// Two's complement when true; ignored for bipolar.
    pub signed: bool,
}

impl ElemType {
    /// True for the bipolar 1-bit type.
    pub fn is_bipolar(&self) -> bool {
        self.bits == 1
    }
    /// Smallest representable value.
    pub fn min(&self) -> i64 {
        if self.is_bipolar() {
            -1
        } else if self.signed {
            -(1i64 << (self.bits - 1))
        } else {
            0
        }
    }
    /// Largest representable value.
    pub fn max(&self) -> i64 {
        if self.is_bipolar() {
            1
        } else if self.signed {
            (1i64 << (self.bits - 1)) - 1
        } else {
            (1i64 << self.bits) - 1
        }
    }
    /// Bits of the signed value of an element as the hardware decodes it: 2 for bipolar, the
    /// width for signed, one more for unsigned (`Elem<B, S>::T` in hls/include/half/common.h).
    pub fn decoded_bits(&self) -> u32 {
        match (self.bits, self.signed) {
            (1, _) => 2,
            (b, true) => b,
            (b, false) => b + 1,
        }
    }
    /// The narrowest type holding every integer of `[lo, hi]`.
    pub fn for_range(lo: i64, hi: i64) -> ElemType {
        // 1 bit is reserved for bipolar {-1, +1}: a plain integer range needs at least 2 bits.
        let signed = lo < 0;
        let mut bits = 2;
        loop {
            let t = ElemType { bits, signed };
            if (t.min() <= lo && hi <= t.max()) || bits >= 63 {
                return t;
            }
            bits += 1;
        }
    }
}

impl fmt::Display for ElemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_bipolar() {
            write!(f, "bipolar")
        } else if self.signed {
            write!(f, "int{}", self.bits)
        } else {
            write!(f, "uint{}", self.bits)
        }
    }
}

/// A tensor shape: an `[H, W, C]` feature map or an `[N]` vector (stored as 1 x 1 x N).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Shape {
    /// Height.
    pub h: u32,
    /// Width.
    pub w: u32,
    /// Channels (features for a vector).
    pub c: u32,
    /// True for a flat `[N]` vector.
    pub vector: bool,
}

impl Shape {
    /// A feature map.
    pub fn map(h: u32, w: u32, c: u32) -> Shape {
        Shape {
            h,
            w,
            c,
            vector: false,
        }
    }
    /// A flat vector.
    pub fn vector(n: u32) -> Shape {
        Shape {
            h: 1,
            w: 1,
            c: n,
            vector: true,
        }
    }
    /// Number of elements.
    pub fn elems(&self) -> u64 {
        self.h as u64 * self.w as u64 * self.c as u64
    }
    /// Pixels (H x W).
    pub fn pixels(&self) -> u64 {
        self.h as u64 * self.w as u64
    }
    /// The shape as a list, `[H, W, C]` or `[N]`.
    pub fn dims(&self) -> Vec<u32> {
        if self.vector {
            vec![self.c]
        } else {
            vec![self.h, self.w, self.c]
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.vector {
            write!(f, "[{}]", self.c)
        } else {
            write!(f, "[{}, {}, {}]", self.h, self.w, self.c)
        }
    }
}

/// Padding rule of a windowed layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Padding {
    /// No padding.
    Valid,
    /// TensorFlow's rule: `out = ceil(in / stride)`, the extra row/column at the bottom/right.
    Same,
    /// Explicit `[top, bottom, left, right]`.
    Explicit([u32; 4]),
}

/// Kernel, stride and padding of a windowed layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Window {
    /// `[kh, kw]`.
    pub kernel: [u32; 2],
    /// `[sh, sw]`.
    pub stride: [u32; 2],
    /// Padding rule.
    pub padding: Padding,
}

impl Window {
    /// Resolves the padding for an input of `h x w`: `[top, bottom, left, right]`.
    /// Source for 'same': TensorFlow's rule, as ../shared/reference/benchmarks.md states it:
    /// `out = ceil(in/s)`, `total = max((out-1)*s + k - in, 0)`, `top = total/2`.
    pub fn pads(&self, h: u32, w: u32) -> [u32; 4] {
        match self.padding {
            Padding::Valid => [0; 4],
            Padding::Explicit(p) => p,
            Padding::Same => {
                let side = |n: u32, k: u32, s: u32| {
                    let out = n.div_ceil(s);
                    let total = ((out.saturating_sub(1)) * s + k).saturating_sub(n);
                    (total / 2, total - total / 2)
                };
                let (t, b) = side(h, self.kernel[0], self.stride[0]);
                let (l, r) = side(w, self.kernel[1], self.stride[1]);
                [t, b, l, r]
            }
        }
    }
    /// Output size for an input of `h x w`, or None when the kernel exceeds the padded input.
    pub fn out_size(&self, h: u32, w: u32) -> Option<(u32, u32)> {
        let p = self.pads(h, w);
        let ph = h + p[0] + p[1];
        let pw = w + p[2] + p[3];
        if self.kernel[0] > ph || self.kernel[1] > pw {
            return None;
        }
        Some((
            (ph - self.kernel[0]) / self.stride[0] + 1,
            (pw - self.kernel[1]) / self.stride[1] + 1,
        ))
    }
    /// Kernel elements per channel (kh x kw).
    pub fn area(&self) -> u32 {
        self.kernel[0] * self.kernel[1]
    }
}

/// An explicit requantisation: `v = (acc*scale + round) >> shift`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Requant {
    /// One scale, one per output channel, or (add) one per input.
    pub scale: Vec<i64>,
    /// One shift or one per output channel.
    pub shift: Vec<i64>,
}

/// A threshold requantisation (FINN's MultiThreshold, docs/model-format.md section 9.1): the
/// output is `bias + #{i : acc >= t[i]}` over the channel's sorted thresholds `t`, then relu and
/// saturation as for a scale and shift.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Thresholds {
    /// Thresholds per channel (at least 1).
    pub count: u32,
    /// Added to the number of thresholds reached.
    pub bias: i64,
    /// Rows of `count` non-decreasing values, row-major: one row shared by every channel or
    /// one per channel; empty while they are still to be derived (calibration).
    pub values: Vec<i64>,
}

impl Thresholds {
    /// Rows of values held (0 while they are still to be derived).
    pub fn rows(&self) -> usize {
        self.values.len() / (self.count.max(1) as usize)
    }

    /// The thresholds of channel `ch` (the shared row when there is one row); empty while they
    /// are still to be derived.
    pub fn row(&self, ch: usize) -> &[i64] {
        let n = self.count as usize;
        let r = if self.rows() == 1 { 0 } else { ch };
        self.values.get(r * n..(r + 1) * n).unwrap_or(&[])
    }

    /// The requantised value of `acc` on channel `ch` before relu and saturation: the bias
    /// plus the number of the channel's thresholds `acc` reaches (they are sorted).
    pub fn level(&self, ch: usize, acc: i64) -> i64 {
        self.bias + self.row(ch).partition_point(|&t| t <= acc) as i64
    }
}

/// Activation applied after requantisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// max(v, 0).
    Relu,
    /// Identity.
    #[default]
    None,
}

/// A tensor type: shape and element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Tensor {
    /// Shape.
    pub shape: Shape,
    /// Element type.
    pub ty: ElemType,
}
