//! The glue between stages: stream forks, data-width converters and FIFOs.

use crate::cost::{Resources, bram18, counter_bits};

/// Cost of a fork copying a `width`-bit stream to `ways` consumers. Each branch has its own
/// output register so one stalled consumer does not hold the others' data.
pub fn fork(width: u64, ways: u64) -> Resources {
    Resources {
        lut: 4 * ways,
        ff: ways * (width + 1),
        ..Default::default()
    }
}

/// Greatest common divisor.
pub fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Cost of a width converter from `in_par` to `out_par` elements of `bits` per word, or None
/// when the widths agree. It gathers `lcm(in, out)` elements in a shift register and emits
/// them `out_par` at a time.
pub fn dwc(in_par: u32, out_par: u32, bits: u32) -> Option<Resources> {
    if in_par == out_par {
        return None;
    }
    let (a, b) = (in_par as u64, out_par as u64);
    let lcm = a / gcd(a, b) * b;
    let width = lcm * bits as u64;
    let cb = counter_bits(lcm);
    Some(Resources {
        lut: width + 2 * cb,
        ff: width + 2 * cb,
        ..Default::default()
    })
}

/// Cost of a FIFO of `depth` words of `width` bits: registers up to 2 deep, shift-register
/// LUTs (SRL32, one LUT per bit per 32 words) up to 64 deep or 4 Kib, else block RAM.
pub fn fifo(depth: u64, width: u64) -> Resources {
    if depth == 0 || width == 0 {
        return Resources::default();
    }
    let cb = counter_bits(depth + 1);
    if depth <= 2 {
        Resources {
            lut: width + 4,
            ff: depth * width + 2,
            ..Default::default()
        }
    } else if depth <= 64 || depth * width <= 4096 {
        Resources {
            lut: width * depth.div_ceil(32) + 2 * cb + 4,
            ff: width + cb + 2,
            ..Default::default()
        }
    } else {
        Resources {
            lut: 4 * cb + 10,
            ff: 3 * cb + width,
            bram18: bram18(depth, width),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glue_costs() {
        assert_eq!(dwc(4, 4, 8), None);
        // 3 -> 4 elements of 8 bits: 12-element (96-bit) register, 4-bit counters.
        assert_eq!(dwc(3, 4, 8).unwrap().lut, 96 + 8);
        assert_eq!(dwc(16, 1, 1).unwrap().ff, 16 + 2 * 4);
        assert_eq!(
            fifo(2, 8),
            Resources {
                lut: 12,
                ff: 18,
                ..Default::default()
            }
        );
        assert_eq!(fifo(32, 16).lut, 16 + 12 + 4);
        assert_eq!(fifo(1024, 64).bram18, 4);
        assert_eq!(fork(64, 2).ff, 130);
    }
}
