//! End-to-end checks of `half-gen estimate` on bad input: every error names the file, the
//! exact `line:col`, the layer and what is wrong, with exit code 2 (1 when the design does
//! not fit, 0 with a warning for an unused layer).

use std::fs;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What one run of the binary gave.
struct Run {
    code: Option<i32>,
    stderr: String,
    /// The model path as passed on the command line (and so as printed in messages).
    path: String,
}

/// Writes `yaml` to a fresh temp dir (unique per process and call) and runs
/// `half-gen estimate` on it with `args`.
fn run(yaml: &str, args: &[&str]) -> Run {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("half-gen-cli-errors-{}-{n}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let model = dir.join("model.yaml");
    fs::write(&model, yaml).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_half-gen"))
        .arg("estimate")
        .arg(&model)
        .args(args)
        .output()
        .unwrap();
    let _ = fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stderr.contains("panicked"),
        "the binary panicked:\n{stderr}"
    );
    Run {
        code: out.status.code(),
        stderr,
        path: model.display().to_string(),
    }
}

/// A model with an `[8, 8, 3]` uint8 input; layer line `i` of `layers` is file line `5 + i`.
fn model(layers: &[&str]) -> String {
    model_with("[8, 8, 3]", layers)
}

/// A model whose only layer is `c1`, a conv, with `keys` indented under it: `keys[k]` is on
/// line `7 + k` and the value of `key: value` starts at column `5 + "key: ".len()`.
fn c1(keys: &[&str]) -> String {
    let mut layers = vec!["  - name: c1".to_string(), "    op: conv".to_string()];
    layers.extend(keys.iter().map(|k| format!("    {k}")));
    model(&layers.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Same as `model` with another input shape.
fn model_with(shape: &str, layers: &[&str]) -> String {
    let mut s = format!("input:\n  shape: {shape}\n  bits: 8\nlayers:\n");
    for l in layers {
        s.push_str(l);
        s.push('\n');
    }
    s
}

/// Asserts exit code 2 and `error: PATH:LINE:COL: layer `LAYER`: ...` containing `phrases`.
fn assert_error(r: &Run, line: u32, col: u32, layer: Option<&str>, phrases: &[&str]) {
    let e = &r.stderr;
    assert_eq!(r.code, Some(2), "exit code, stderr:\n{e}");
    let head = format!("error: {}:{line}:{col}: ", r.path);
    assert!(e.contains(&head), "expected `{head}` in stderr:\n{e}");
    if let Some(l) = layer {
        let named = format!("{head}layer `{l}`: ");
        assert!(e.contains(&named), "expected `{named}` in stderr:\n{e}");
    }
    for p in phrases {
        assert!(e.contains(p), "expected `{p}` in stderr:\n{e}");
    }
}

/// Runs `yaml` on pynq-z2 and checks the error is at `(line, col)`.
fn check(yaml: &str, at: (u32, u32), layer: Option<&str>, phrases: &[&str]) {
    let r = run(yaml, &["--board", "pynq-z2"]);
    assert_error(&r, at.0, at.1, layer, phrases);
}

#[test]
fn syntax_error_names_position_and_layer() {
    // The quote opened at 8:13 is never closed.
    let yaml = model(&[
        "  - name: c1",
        "    op: conv",
        "    channels: 16",
        "    kernel: \"3",
        "  - name: c2",
        "    op: conv",
        "    channels: 16",
        "    kernel: 3",
    ]);
    check(&yaml, (8, 13), Some("c1"), &["unclosed quote"]);
}

#[test]
fn unknown_key_suggests_closest() {
    let yaml = c1(&["chanels: 16", "kernel: 3"]);
    let hint = "(did you mean `channels`?)";
    check(&yaml, (7, 5), Some("c1"), &["field `chanels`", hint]);
}

#[test]
fn missing_required_key() {
    // Blamed on the layer entry: line 5, col 5 (`name`).
    let yaml = c1(&["kernel: 3"]);
    let msg = "missing required key `channels` for op `conv`";
    check(&yaml, (5, 5), Some("c1"), &[msg]);
}

#[test]
fn wrong_type_string_for_integer() {
    let yaml = c1(&["channels: \"abc\"", "kernel: 3"]);
    check(&yaml, (7, 15), Some("c1"), &["integer", "abc"]);
}

#[test]
fn wrong_type_in_kernel_list() {
    // `x` at 8:17.
    let yaml = c1(&["channels: 16", "kernel: [3, x]"]);
    check(&yaml, (8, 17), Some("c1"), &["integer"]);
}

#[test]
fn wrong_type_list_for_integer() {
    let yaml = c1(&["channels: [16]", "kernel: 3"]);
    check(&yaml, (7, 15), Some("c1"), &["integer"]);
}

#[test]
fn wrong_type_for_from() {
    let yaml = c1(&["channels: 16", "kernel: 3", "from: 3"]);
    check(&yaml, (9, 11), Some("c1"), &["layer name"]);
}

#[test]
fn duplicate_layer_name() {
    let yaml = model(&[
        "  - name: c1",
        "    op: conv",
        "    channels: 16",
        "    kernel: 3",
        "  - name: c1", // 9:11
        "    op: conv",
        "    channels: 16",
        "    kernel: 3",
    ]);
    let msg = "duplicate layer name `c1`";
    check(&yaml, (9, 11), Some("c1"), &[msg]);
}

#[test]
fn from_unknown_layer() {
    let yaml = model(&[
        "  - name: conv1",
        "    op: conv",
        "    channels: 16",
        "    kernel: 3",
        "  - name: c2",
        "    op: conv",
        "    from: conv2", // 11:11
        "    channels: 16",
        "    kernel: 3",
    ]);
    let msg = ["`from` names `conv2`", "(did you mean `conv1`?)"];
    check(&yaml, (11, 11), Some("c2"), &msg);
}

#[test]
fn from_later_layer() {
    let yaml = model(&[
        "  - name: c1",
        "    op: conv",
        "    from: c2", // 7:11
        "    channels: 16",
        "    kernel: 3",
        "  - name: c2",
        "    op: conv",
        "    channels: 16",
        "    kernel: 3",
    ]);
    let msg = ["`from` names `c2`", "not an earlier layer"];
    check(&yaml, (7, 11), Some("c1"), &msg);
}

#[test]
fn add_inputs_of_different_shapes() {
    let yaml = model(&[
        "  - name: a",
        "    op: conv",
        "    channels: 16",
        "    kernel: 3",
        "    padding: same",
        "  - name: b",
        "    op: conv",
        "    channels: 16",
        "    kernel: 3",
        "  - name: s",
        "    op: add",
        "    from: [a, b]", // 16:11
    ]);
    let msg = [
        "add inputs have different shapes",
        "[8, 8, 16]",
        "[6, 6, 16]",
    ];
    check(&yaml, (16, 11), Some("s"), &msg);
}

#[test]
fn kernel_larger_than_padded_input() {
    let yaml = c1(&["channels: 16", "kernel: 11", "padding: 1"]);
    let msg = "kernel 11x11 is larger than the padded input 10x10";
    check(&yaml, (8, 13), Some("c1"), &[msg]);
}

#[test]
fn stride_zero() {
    let yaml = c1(&["channels: 16", "kernel: 3", "stride: 0"]);
    let msg = "`stride` must be a positive integer, got 0";
    check(&yaml, (9, 13), Some("c1"), &[msg]);
}

#[test]
fn kernel_zero() {
    let yaml = c1(&["channels: 16", "kernel: 0"]);
    let msg = "`kernel` must be a positive integer, got 0";
    check(&yaml, (8, 13), Some("c1"), &[msg]);
}

#[test]
fn weight_bits_above_16() {
    let yaml = c1(&["channels: 16", "kernel: 3", "weight_bits: 17"]);
    let msg = "`weight_bits` must be in 1..=16, got 17";
    check(&yaml, (9, 18), Some("c1"), &[msg]);
}

#[test]
fn output_bits_zero() {
    // The `0` of `output: {bits: 0}` is at 9:20.
    let yaml = c1(&["channels: 16", "kernel: 3", "output: {bits: 0}"]);
    let msg = "`output.bits` must be in 1..=16, got 0";
    check(&yaml, (9, 20), Some("c1"), &[msg]);
}

#[test]
fn relu_with_bipolar_output() {
    let keys = [
        "channels: 16",
        "kernel: 3",
        "activation: relu",
        "output: {bits: 1}",
    ];
    let msg = "relu cannot produce a bipolar (1-bit) output";
    check(&c1(&keys), (9, 17), Some("c1"), &[msg]);
}

#[test]
fn conv_on_vector_input() {
    // No `from` key: blamed on the layer entry (5:5).
    let layers = [
        "  - name: c1",
        "    op: conv",
        "    channels: 16",
        "    kernel: 3",
    ];
    let yaml = model_with("[64]", &layers);
    let msg = ["conv needs an [H, W, C] feature map", "the vector [64]"];
    check(&yaml, (5, 5), Some("c1"), &msg);
}

#[test]
fn dense_rejects_window_keys() {
    let layers = [
        "  - name: fc",
        "    op: dense",
        "    units: 10",
        "    kernel: 3",
    ];
    let msg = "key `kernel` does not apply to op `dense`";
    check(&model(&layers), (8, 13), Some("fc"), &[msg]);
}

#[test]
fn input_too_large() {
    // 65536 * 65536 = 4294967296 input elements, above the limit of 2^24 per tensor.
    let layers = ["  - name: fc", "    op: dense", "    units: 10"];
    let yaml = model_with("[65536, 65536, 1]", &layers);
    let msg = [
        "the input's element count is 4,294,967,296",
        "limit of 16,777,216",
    ];
    check(&yaml, (2, 10), None, &msg);
}

#[test]
fn empty_layer_list() {
    let yaml = model(&[]).replace("layers:\n", "layers: []\n"); // `[` at 4:9
    check(&yaml, (4, 9), None, &["the layer list is empty"]);
}

#[test]
fn null_layer_list() {
    let yaml = model(&[]).replace("layers:\n", "layers: ~\n"); // `~` at 4:9
    check(&yaml, (4, 9), None, &["layer list"]);
}

#[test]
fn unused_layer_warns_and_succeeds() {
    let yaml = model(&[
        "  - name: c1",
        "    op: conv",
        "    channels: 16",
        "    kernel: 3",
        "  - name: side", // 9:5, nobody reads it
        "    op: conv",
        "    from: input",
        "    channels: 4",
        "    kernel: 1",
        "  - name: c2",
        "    op: conv",
        "    from: c1",
        "    channels: 8",
        "    kernel: 1",
    ]);
    let r = run(&yaml, &["--board", "pynq-z2"]);
    assert_eq!(r.code, Some(0), "stderr:\n{}", r.stderr);
    let w = format!("warning: {}:9:5: layer `side`: output is unused", r.path);
    assert!(r.stderr.contains(&w), "expected `{w}` in:\n{}", r.stderr);
    assert!(!r.stderr.contains("error:"), "stderr:\n{}", r.stderr);
}

#[test]
fn requant_list_of_wrong_length() {
    // The `[` of the scale list is at 10:22.
    let yaml = c1(&[
        "channels: 16",
        "kernel: 3",
        "output: {bits: 8}",
        "requant: {scale: [1, 2, 3], shift: 4}",
    ]);
    let msg = [
        "`requant.scale` has 3 entries",
        "one per output channel (16)",
    ];
    check(&yaml, (10, 22), Some("c1"), &msg);
}

const OK: &[&str] = &["channels: 16", "kernel: 3"];

#[test]
fn unknown_board() {
    let r = run(&c1(OK), &["--board", "pynq-z3"]);
    assert_eq!(r.code, Some(2), "stderr:\n{}", r.stderr);
    for p in ["error: unknown board `pynq-z3`", "known boards", "pynq-z2"] {
        assert!(r.stderr.contains(p), "expected `{p}` in:\n{}", r.stderr);
    }
}

#[test]
fn missing_model_file() {
    let path = std::env::temp_dir().join(format!(
        "half-gen-cli-errors-{}-no-such-model.yaml",
        std::process::id()
    ));
    let out = Command::new(env!("CARGO_BIN_EXE_half-gen"))
        .args([
            "estimate",
            &path.display().to_string(),
            "--board",
            "pynq-z2",
        ])
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{e}");
    let want = format!("error: {}: ", path.display());
    assert!(e.contains(&want), "expected `{want}` in:\n{e}");
    assert!(e.contains("No such file"), "stderr:\n{e}");
}

#[test]
fn bad_max_util() {
    for (spec, phrase) in [
        ("lut=2", "--max-util: lut=2 must be within 0..=1"),
        ("lutt=0.5", "--max-util: unknown resource `lutt`"),
        ("lut=abc", "--max-util: `abc` is not a number"),
        ("lut", "--max-util: expected resource=fraction, got `lut`"),
    ] {
        let r = run(&c1(OK), &["--max-util", spec]);
        assert_eq!(r.code, Some(2), "{spec}: stderr:\n{}", r.stderr);
        assert!(r.stderr.contains(phrase), "{spec}: stderr:\n{}", r.stderr);
    }
}

/// Asserts exit code 1 and the per-resource "needs at least" table with at least one
/// resource marked over budget.
fn assert_no_fit(r: &Run) {
    let e = &r.stderr;
    assert_eq!(r.code, Some(1), "stderr:\n{e}");
    assert!(e.contains("does not fit even fully folded"), "stderr:\n{e}");
    for res in ["lut", "ff", "bram18", "uram", "dsp"] {
        let line = format!("{res}: needs at least ");
        assert!(e.contains(&line), "expected `{line}` in:\n{e}");
    }
    assert!(e.contains("<- over"), "no resource is marked over:\n{e}");
}

#[test]
fn no_fit_reports_needs_per_resource() {
    // Eight 1024x1024 dense layers (8 M weights): no mix of block RAM and LUT memory holds
    // them on zybo-z7-10.
    let layers: Vec<String> = (1..=8)
        .map(|i| format!("  - {{name: d{i}, op: dense, units: 1024, output: {{bits: 8}}}}"))
        .collect();
    let refs: Vec<&str> = layers.iter().map(String::as_str).collect();
    let r = run(&model_with("[1024]", &refs), &["--board", "zybo-z7-10"]);
    assert_no_fit(&r);
    assert!(r.stderr.contains("lut: needs at least"), "{}", r.stderr);
}

#[test]
fn no_fit_single_huge_dense_marks_a_resource_over() {
    // 16 M weights: 7282 BRAM18 as block RAM, or ~2 M LUTs as LUT ROM; neither fits zybo-z7-10.
    let yaml = model_with(
        "[4096]",
        &["  - {name: fc, op: dense, units: 4096, output: {bits: 8}}"],
    );
    let r = run(&yaml, &["--board", "zybo-z7-10"]);
    assert_no_fit(&r);
}

/// A conv `a` keeping the 8x8 map (4 channels) and a concat `j` with `keys` under it; the
/// concat's first key is on line 12.
fn concat_of(keys: &[&str]) -> String {
    let mut layers: Vec<String> = [
        "  - name: a",
        "    op: conv",
        "    channels: 4",
        "    kernel: 3",
        "    padding: same",
        "  - name: j",
        "    op: concat",
    ]
    .map(String::from)
    .to_vec();
    layers.extend(keys.iter().map(|k| format!("    {k}")));
    model(&layers.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn concat_inputs_of_different_sizes() {
    let yaml = concat_of(&["from: [input, a, p]"]);
    let yaml = yaml.replace(
        "  - name: j",
        "  - {name: p, op: maxpool, from: a, kernel: 2}\n  - name: j",
    );
    // `from` moved to line 13 by the inserted layer.
    let msg = [
        "concat inputs must have the same height and width",
        "[8, 8, 3]",
        "[4, 4, 4]",
    ];
    check(&yaml, (13, 11), Some("j"), &msg);
}

#[test]
fn concat_of_a_map_and_a_vector() {
    let yaml = concat_of(&["from: [a, d]"]).replace(
        "  - name: j",
        "  - {name: d, op: dense, from: a, units: 4}\n  - name: j",
    );
    let msg = ["concat inputs must have the same height and width", "[4]"];
    check(&yaml, (13, 11), Some("j"), &msg);
}

#[test]
fn concat_needs_two_to_sixteen_inputs() {
    check(
        &concat_of(&["from: a"]),
        (12, 11),
        Some("j"),
        &["op `concat` takes 2 to 16 inputs, `from` names 1"],
    );
    let many = format!("from: [{}]", vec!["a"; 17].join(", "));
    check(
        &concat_of(&[&many]),
        (12, 11),
        Some("j"),
        &["op `concat` takes 2 to 16 inputs, `from` names 17"],
    );
}

#[test]
fn concat_requant_lists_match_the_inputs() {
    let yaml = concat_of(&[
        "from: [input, a]",
        "output: {bits: 4}",
        "requant: {scale: [1, 2, 3], shift: 1}", // the scale list at 14:22
    ]);
    let msg = ["a concat's `requant.scale` has one entry or one per input (2), got 3"];
    check(&yaml, (14, 22), Some("j"), &msg);
    let yaml = concat_of(&[
        "from: [input, a]",
        "output: {bits: 4}",
        "requant: {scale: [1, 2], shift: [1, 2]}",
    ]);
    let msg = ["a concat's `requant.shift` is a single value, got 2 entries"];
    check(&yaml, (14, 37), Some("j"), &msg);
}

#[test]
fn threshold_requantisation_errors_are_located() {
    let keys = |rq: &str, out: &str| {
        c1(&[
            "channels: 16",
            "kernel: 3",
            &format!("output: {out}"),
            &format!("requant: {rq}"),
        ])
    };
    let two = "{bits: 2, signed: true}";
    // The count, at its value.
    let yaml = keys("{thresholds: 0}", two);
    check(
        &yaml,
        (10, 27),
        Some("c1"),
        &["`requant.thresholds` must be in 1..=255, got 0"],
    );
    // Thresholds and a scale together, at the mapping.
    let yaml = keys("{thresholds: 3, scale: 1}", two);
    check(
        &yaml,
        (10, 14),
        Some("c1"),
        &["`requant` takes `scale` and `shift`, or `thresholds`"],
    );
    // Levels outside the output type, at the bias.
    let yaml = keys("{thresholds: 3, bias: 0}", two);
    check(
        &yaml,
        (10, 36),
        Some("c1"),
        &["give the levels 0..=3, outside the output type's -2..=1"],
    );
    // A layer kind without thresholds, at the count.
    let yaml = model(&[
        "  - {name: c1, op: conv, channels: 4, kernel: 3}",
        "  - {name: s, op: add, from: [c1, c1], output: {bits: 4}, requant: {thresholds: 15}}",
    ]);
    check(
        &yaml,
        (6, 81),
        Some("s"),
        &["a `add` layer cannot take thresholds"],
    );
}
