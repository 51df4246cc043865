//! Input limits (docs/model-format.md, "Limits"): every one is checked before the memory or time
//! it bounds is spent, and a violation is an input error (exit code 2) naming the limit and the
//! value. They are far above what fits any supported FPGA (the largest, an Alveo U250, holds
//! about 54 MB on chip), so they only turn away inputs that would otherwise exhaust the host.

/// Layers in one model.
pub const MAX_LAYERS: usize = 4096;

/// Elements of one tensor (the input, or any layer's output): 16 M, e.g. 2048 x 2048 x 4.
pub const MAX_TENSOR_ELEMS: u64 = 1 << 24;

/// Elements of all tensors of one frame together (the reference interpreter and calibration
/// hold every tensor of a frame: 32 M elements are 256 MB).
pub const MAX_ACTIVATION_ELEMS: u64 = 1 << 25;

/// Parameters (weights and biases) of all layers together: 32 M, more than a ResNet-50.
pub const MAX_PARAMS: u64 = 1 << 25;

/// Multiply-accumulates per frame of all layers together: about 8.6 G, twice a ResNet-50 at
/// 224 x 224 (the reference interpreter runs about 1 G a second).
pub const MAX_MACS: u64 = 1 << 33;

/// Each kernel and stride entry.
pub const MAX_WINDOW: u32 = 4096;

/// Test frames `build` writes.
pub const MAX_BUILD_FRAMES: usize = 10_000;

/// Values (input and output elements over all frames) `build` writes as test vectors.
pub const MAX_BUILD_VECTOR_VALUES: u64 = 1 << 24;

/// Frames `eval` runs.
pub const MAX_EVAL_FRAMES: usize = 1_000_000;

/// Values (elements over all frames) of an `.npz` array read, or of `eval --out`.
pub const MAX_ARRAY_VALUES: u64 = 1 << 26;

/// Work of the cycle-level schedule that sizes the FIFOs, in instance-cycles (instances times
/// simulated cycles, about 3e7 a second): beyond it the analytical FIFO depths and latency
/// stand and the report says why.
pub const MAX_SCHEDULE_WORK: u64 = 1 << 28;

/// `what` exceeds `limit`: the message of every limit error.
pub fn exceeded(what: &str, value: u64, limit: u64) -> String {
    format!(
        "{what} is {}, above half-gen's limit of {} (docs/model-format.md, \"Limits\")",
        group(value),
        group(limit)
    )
}

/// `1234567` as `1,234,567`.
pub fn group(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_group_digits() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(16_777_216), "16,777,216");
        assert!(exceeded("x", 5, 4).contains("5, above half-gen's limit of 4"));
    }
}
