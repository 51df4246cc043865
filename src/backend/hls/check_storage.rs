//! Static checks of a generated project's bindings against what the estimate costed
//! (docs/hls.md, "Static checks"):
//!
//! * **Every stream bound to the FIFO the estimate costed.** Each `hls::stream` a dataflow
//!   region declares has a `STREAM depth` pragma and a `BIND_STORAGE type=fifo` whose `impl` is
//!   the cost model's for that depth and width: shift registers (`srl`) for the depth-2
//!   channels, block RAM or LUTRAM for a sized FIFO by [`crate::stage::glue::fifo_in_bram`].
//! * **Every weight memory bound to the folding's memory style**, and **every product to its
//!   multiplier style**: a layer header's summary line names the fold's styles (`lut
//!   multipliers, bram memory`); its `weights` array's `BIND_STORAGE impl` and the `STYLE`
//!   argument of its `half::mvu` / `half::vvu` calls (`half::MulLut`, `half::MulDsp`,
//!   `half::MulPacked<LANES, L>`, whose
//!   `BIND_OP` binds the product) must say the same.
//! * **Every line buffer and matrix-unit input buffer bound to the memory the estimate
//!   costed**: the summary line names them (`line buffer in bram`, `input buffer in lutram`,
//!   from the units' costs), and the storage argument of the layer's `half::swg` call
//!   (`half::SWG_BRAM`, `SWG_LUTRAM`, `SWG_REGISTERS`) and `half::mvu` call (`half::MVU_BRAM`,
//!   `MVU_LUTRAM`, `MVU_REGISTERS`), each with its own binding in the library, must be that one.

use super::check::Finding;

pub use crate::stage::glue::fifo_impl;

/// The value of `key=` in a pragma line.
fn pragma_value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
}

/// The `#pragma HLS KIND ... variable=NAME ...` lines of `lines` for `name`.
fn pragmas_of<'a>(lines: &'a [String], kind: &str, name: &str) -> Vec<&'a str> {
    lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| l.starts_with(&format!("#pragma HLS {kind} ")))
        .filter(|l| pragma_value(l, "variable") == Some(name))
        .collect()
}

/// A stream declaration `... hls::stream<ap_uint<W> > NAME("label");`: name and width.
fn stream_declaration(line: &str) -> Option<(String, u64)> {
    let at = line.find("hls::stream<ap_uint<")?;
    let rest = &line[at + "hls::stream<ap_uint<".len()..];
    let width = rest[..rest.find('>')?].trim().parse().ok()?;
    let after = &rest[rest.find("> >")? + 3..];
    let name = after.trim_start().split('(').next()?.trim();
    (after.contains("(\"") && !name.is_empty() && !name.contains('&'))
        .then(|| (name.to_string(), width))
}

/// Streams without the FIFO binding the estimate costed.
pub fn stream_bindings(path: &str, lines: &[String]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some((name, width)) = stream_declaration(line) else {
            continue;
        };
        let depth = pragmas_of(lines, "STREAM", &name)
            .first()
            .and_then(|p| pragma_value(p, "depth")?.parse::<u64>().ok());
        let Some(depth) = depth else {
            out.push(Finding::new(
                path,
                i,
                format!("stream `{name}` has no STREAM depth"),
            ));
            continue;
        };
        let want = fifo_impl(depth, width);
        let bound: Vec<_> = pragmas_of(lines, "BIND_STORAGE", &name)
            .iter()
            .filter_map(|p| pragma_value(p, "impl"))
            .collect();
        if bound != [want] {
            let what = format!(
                "stream `{name}` ({depth} x {width} bits) is bound to {bound:?}; the estimate \
                 costs a `{want}` FIFO"
            );
            out.push(Finding::new(path, i, what));
        }
    }
    out
}

/// A layer header's styles from its summary line: (multiplier, memory), e.g. ("lut", "bram").
fn summary_styles(lines: &[String]) -> Option<(&str, &str)> {
    let first = lines.first()?;
    let words: Vec<&str> = first.split([',', ' ']).filter(|w| !w.is_empty()).collect();
    let before = |k: &str| {
        words
            .iter()
            .position(|w| *w == k)
            .and_then(|i| i.checked_sub(1))
            .map(|i| words[i])
    };
    Some((before("multipliers")?, before("memory")?))
}

/// A layer header's storage of buffer `what` from its summary line (`line buffer in bram`).
fn summary_store<'a>(lines: &'a [String], what: &str) -> Option<&'a str> {
    let first = lines.first()?;
    let key = format!("{what} in ");
    let rest = &first[first.find(&key)? + key.len()..];
    rest.split([',', ' ']).next().filter(|w| !w.is_empty())
}

/// The unit calls whose last template argument stores a buffer: the call, the buffer's name
/// in the summary line, the argument's prefix.
const STORED: [(&str, &str, &str); 2] = [
    ("half::swg<", "line buffer", "half::SWG_"),
    ("half::mvu<", "input buffer", "half::MVU_"),
];

/// Weight memories, products and line buffers bound otherwise than the layer's folding and
/// costs say.
pub fn layer_bindings(path: &str, lines: &[String]) -> Vec<Finding> {
    let Some((mult, mem)) = summary_styles(lines) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        for (call, buffer, prefix) in STORED {
            if !t.contains(call) {
                continue;
            }
            let store = summary_store(lines, buffer);
            let want = store.map(|s| format!("{prefix}{}>", s.to_uppercase()));
            if want.as_ref().is_none_or(|w| !t.contains(w.as_str())) {
                let what = format!(
                    "the {buffer} is not bound as the estimate costs it ({})",
                    store.unwrap_or("not in the summary line")
                );
                out.push(Finding::new(path, i, what));
            }
        }
        if t.starts_with("static const") && t.contains(" weights[") {
            let bound: Vec<_> = pragmas_of(lines, "BIND_STORAGE", "weights")
                .iter()
                .filter_map(|p| pragma_value(p, "impl"))
                .collect();
            if bound != [mem] {
                let what = format!("weights are bound to {bound:?}; the folding says `{mem}`");
                out.push(Finding::new(path, i, what));
            }
        }
        if t.contains("half::mvu<") || t.contains("half::vvu<") {
            let style = match mult {
                "lut" => "half::MulLut",
                "dsp" => "half::MulDsp",
                "packed" => "half::MulPacked<",
                _ => continue,
            };
            if !t.contains(style) {
                let what = format!("the products are not bound as the folding's `{mult}` style");
                out.push(Finding::new(path, i, what));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn streams_need_the_costed_fifo() {
        let ok = lines(
            "  hls::stream<ap_uint<8> > s_a(\"a\");\n\
             #pragma HLS STREAM variable=s_a depth=2\n\
             #pragma HLS BIND_STORAGE variable=s_a type=fifo impl=srl\n",
        );
        assert!(stream_bindings("src/t.cpp", &ok).is_empty());
        let wrong = lines(
            "  HALF_LOCAL hls::stream<ap_uint<64> > s_b(\"b\");\n\
             #pragma HLS STREAM variable=s_b depth=2048\n\
             #pragma HLS BIND_STORAGE variable=s_b type=fifo impl=srl\n\
             hls::stream<ap_uint<8> > s_c(\"c\");\n",
        );
        let f = stream_bindings("src/t.cpp", &wrong);
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].to_string().contains("costs a `bram` FIFO"), "{}", f[0]);
        assert!(f[1].to_string().contains("no STREAM depth"), "{}", f[1]);
    }

    #[test]
    fn weights_and_products_follow_the_folding() {
        let header = lines(
            "// Layer `c`: conv [8, 8, 4] -> [8, 8, 8], PE 2, SIMD 4, dsp multipliers, bram memory, input buffer in lutram\n\
             static void layer_c(hls::stream<ap_uint<8> >& in, hls::stream<ap_uint<8> >& out) {\n\
             static const ap_uint<16> weights[2][36] = {};\n\
             #pragma HLS BIND_STORAGE variable=weights type=rom_1p impl=lutram\n\
             HALF_PROCESS(half::mvu<36, 8, 4, 2, 64, 4, false, 4, true, 16, true, true, 9, 1, 4, false, true, half::MulLut, 1, 0, half::MVU_LUTRAM>(in, out, weights, bias, scale, shift));\n",
        );
        let f = layer_bindings("src/layers/c.h", &header);
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].to_string().contains("folding says `bram`"));
        assert!(f[1].to_string().contains("`dsp` style"));
    }

    #[test]
    fn line_buffers_follow_the_estimate() {
        let header = |summary: &str, store: &str| {
            lines(&format!(
                "// Layer `c`: conv [8, 8, 4] -> [8, 8, 8], PE 2, SIMD 4, lut multipliers, lutram memory{summary}\n\
                 HALF_PROCESS(half::swg<layer_id, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4, 4, 4, 1, false, 0u, half::SWG_{store}>(in, win));\n"
            ))
        };
        let ok = header(", line buffer in bram", "BRAM");
        assert!(layer_bindings("src/layers/c.h", &ok).is_empty());
        let wrong = layer_bindings("src/layers/c.h", &header(", line buffer in bram", "LUTRAM"));
        assert_eq!(wrong.len(), 1, "{wrong:?}");
        assert!(
            wrong[0].to_string().contains("estimate costs it (bram)"),
            "{}",
            wrong[0]
        );
        let unsaid = layer_bindings("src/layers/c.h", &header("", "BRAM"));
        assert!(
            unsaid[0].to_string().contains("not in the summary line"),
            "{}",
            unsaid[0]
        );
        let mvu = |store: &str| {
            lines(&format!(
                "// Layer `d`: dense [16] -> [8], PE 2, SIMD 4, lut multipliers, lutram memory, input buffer in lutram\n\
                 HALF_PROCESS(half::mvu<16, 8, 4, 2, 1, 4, false, 4, true, 12, true, true, 9, 1, 4, false, true, half::MulLut, 1, 0, half::MVU_{store}>(in, out, weights, bias, scale, shift));\n"
            ))
        };
        assert!(layer_bindings("src/layers/d.h", &mvu("LUTRAM")).is_empty());
        let regs = layer_bindings("src/layers/d.h", &mvu("REGISTERS"));
        assert!(
            regs[0].to_string().contains("input buffer is not bound"),
            "{regs:?}"
        );
    }
}
