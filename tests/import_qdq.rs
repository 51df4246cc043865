//! The int8 QDQ and QOperator importer against onnxruntime: tests/onnx/networks.py quantizes a
//! ResNet-8 with onnxruntime's `quantize_static` (QDQ per tensor, QDQ per channel, QOperator),
//! tests/onnx/execute.py runs each under onnxruntime, and half-gen's reference (`eval`) runs
//! the imported model on the same integer frames. The outputs must agree on at least 99.9 %
//! of the values and the rest within one step: onnxruntime rounds half to even with a float32
//! multiplier, half-gen rounds half up with an integer one fitted to it (src/import/qdq.rs).
//!
//! The Python environment comes from `HALF_ONNX_PYTHON`, else from scripts/onnx-env.sh; the
//! test fails when neither gives one. `HALF_QDQ_KEEP=1` keeps its temporary directory.

use half_gen::import::{Options, onnx, qdq};
use npyz::WriterBuilder;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

mod onnx_common;

/// The Python interpreter of the ONNX test environment.
fn python() -> String {
    onnx_common::python().display().to_string()
}

/// Runs `python args...`, failing the test with its output when it fails.
fn run_python(py: &str, args: &[&Path]) {
    let out = Command::new(py)
        .args(args)
        .output()
        .expect("running python");
    assert!(
        out.status.success(),
        "{py} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh temporary directory.
fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("half-gen-import-qdq-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The integer frames of `NAME.input.npy` (`[N, C, H, W]`, float32 holding integers) as
/// `[N, H, W, C]` int64 in `data.npz` (array `x`); returns the frame count.
fn write_frames(input: &Path, out: &Path) -> usize {
    let bytes = std::fs::read(input).unwrap();
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    let shape: Vec<usize> = npy.shape().iter().map(|d| *d as usize).collect();
    let v: Vec<f32> = npy.into_vec().unwrap();
    let [n, c, h, w] = shape[..] else {
        panic!("input frames of shape {shape:?}")
    };
    let mut x = vec![0i64; v.len()];
    for f in 0..n {
        for ch in 0..c {
            for y in 0..h {
                for xx in 0..w {
                    let val = v[((f * c + ch) * h + y) * w + xx];
                    assert_eq!(val.fract(), 0.0);
                    x[((f * h + y) * w + xx) * c + ch] = val as i64;
                }
            }
        }
    }
    let mut npz = npyz::npz::NpzWriter::create(out).unwrap();
    let mut wr = npz
        .array::<i64>("x", Default::default())
        .unwrap()
        .default_dtype()
        .shape(&[n as u64, h as u64, w as u64, c as u64])
        .begin_nd()
        .unwrap();
    wr.extend(x).unwrap();
    wr.finish().unwrap();
    n
}

/// The fraction of equal values of `a` and `b` and their largest difference.
fn compare(a: &[i64], b: &[i64]) -> (f64, i64) {
    assert_eq!(a.len(), b.len());
    let equal = a.iter().zip(b).filter(|(x, y)| x == y).count();
    let max = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .max()
        .unwrap_or(0);
    (equal as f64 / a.len().max(1) as f64, max)
}

/// Imports, evaluates and compares one network with onnxruntime; returns (equal fraction,
/// max |diff|, half-gen's outputs).
fn check(py: &str, dir: &Path, name: &str, int8: bool, exact: bool) -> (f64, i64, Vec<i64>) {
    let model_path = dir.join(format!("{name}.onnx"));
    let frames = dir.join(format!("{name}.input.npy"));
    let expected = dir.join(format!(
        "{name}.expected{}.npy",
        if int8 { "8" } else { "" }
    ));
    let kernels = if int8 { "--int8-kernels" } else { "--integer" };
    run_python(
        py,
        &[
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/onnx/execute.py"),
            &model_path,
            &frames,
            &expected,
            Path::new("--integer"),
            Path::new(kernels),
        ],
    );
    let start = Instant::now();
    let model = onnx::read_model(&model_path).unwrap();
    let opts = Options {
        exact,
        ..Options::default()
    };
    let emitted =
        qdq::import(&model, &opts, name).unwrap_or_else(|e| panic!("importing {name}: {e}"));
    let import_time = start.elapsed();
    let out = dir.join(if exact {
        format!("{name}-exact")
    } else {
        name.to_string()
    });
    std::fs::create_dir_all(&out).unwrap();
    let yaml = out.join(format!("{name}.yaml"));
    std::fs::write(&yaml, emitted.yaml(&format!("{name}.onnx"))).unwrap();
    std::fs::write(out.join(format!("{name}.npz")), emitted.npz().unwrap()).unwrap();
    assert_eq!(
        emitted.fates.len(),
        model.graph.nodes.len(),
        "a fate per node"
    );
    assert_eq!(emitted.output_onnx_shape, vec![10]);
    let data = out.join("data.npz");
    let n = write_frames(&frames, &data);
    let preds = out.join("preds.npy");
    let run = Command::new(env!("CARGO_BIN_EXE_half-gen"))
        .args([
            "eval".as_ref(),
            yaml.as_os_str(),
            "--data".as_ref(),
            data.as_os_str(),
        ])
        .args(["--out".as_ref(), preds.as_os_str()])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "half-gen eval {name}:\n{}\n{}",
        String::from_utf8_lossy(&run.stderr),
        std::fs::read_to_string(&yaml).unwrap()
    );
    let (ours_shape, ours) = half_gen::weights::read_npy_i64(&preds).unwrap();
    let (ref_shape, reference) = half_gen::weights::read_npy_i64(&expected).unwrap();
    assert_eq!(ours_shape, ref_shape, "{name}: output shapes");
    assert_eq!(ours_shape.first().copied(), Some(n as u64));
    let (frac, max) = compare(&ours, &reference);
    println!(
        "{name}{}{}: {} nodes -> {} layers, {} outputs compared, {:.3} % equal, max |diff| \
         {max}, import {:.1} ms",
        if exact { " --exact" } else { "" },
        if int8 { " (integer kernels)" } else { "" },
        model.graph.nodes.len(),
        emitted.layers.len(),
        ours.len(),
        100.0 * frac,
        import_time.as_secs_f64() * 1e3
    );
    (frac, max, ours)
}

/// Imports `model` changed by `edit` and returns the error text (the import must fail).
fn import_error(model: &onnx::OnnxModel, edit: impl Fn(&mut onnx::OnnxModel)) -> String {
    let mut m = model.clone();
    edit(&mut m);
    match qdq::import(&m, &Options::default(), "m") {
        Ok(_) => panic!("the edited model was imported"),
        Err(e) => e.to_string(),
    }
}

/// What the importer refuses, each with one error naming the node.
fn rejections(path: &Path) {
    use half_gen::import::tensor::TensorData;
    let model = onnx::read_model(path).unwrap();
    let set = |name: &'static str, v: i64| {
        move |m: &mut onnx::OnnxModel| {
            m.graph.initializers.get_mut(name).unwrap().data = TensorData::Int(vec![v]);
        }
    };
    let e = import_error(&model, set("conv2_zero_point", 3));
    assert!(
        e.contains(
            "(QuantizeLinear): activation zero point 3 is not supported: quantize with \
                    ActivationSymmetric=True"
        ),
        "{e}"
    );
    let e = import_error(&model, set("conv1_w_zero_point", 1));
    assert!(e.contains("weight zero point 1 is not supported"), "{e}");
    let e = import_error(&model, |m| {
        let relu = m
            .graph
            .nodes
            .iter_mut()
            .find(|n| n.op_type == "Relu")
            .unwrap();
        relu.op_type = "Sigmoid".into();
    });
    assert!(e.contains("(Sigmoid): unsupported operator Sigmoid"), "{e}");
    let e = import_error(&model, |m| {
        let s = m.graph.initializers.get_mut("relu1_scale").unwrap();
        s.data = TensorData::Float(vec![0.5]);
    });
    assert!(e.contains("requantises the output of"), "{e}");
    let e = import_error(&model, |m| {
        let pool = m
            .graph
            .nodes
            .iter_mut()
            .find(|n| n.op_type == "GlobalAveragePool");
        pool.unwrap().op_type = "GlobalMaxPool".into();
    });
    assert!(e.contains("unsupported operator GlobalMaxPool"), "{e}");
}

/// The three networks against onnxruntime, on its default session and on its integer QDQ
/// kernels (`session.qdqisint8allowed`). The QOperator model runs on integer kernels either
/// way, and so does the per-tensor QDQ model with them: half-gen matches both on at least
/// 99.9 % of the outputs and the rest within one step (measured: every output equal). Per
/// channel, 56 of the 346 channel factors have no integer form equal to onnxruntime's rounding
/// on every accumulator (exact ties it rounds to even, at 2 to 49 accumulator values a layer:
/// the importer's notes), and one such value, reached in one frame, spreads through the later
/// layers; on its default session onnxruntime runs part of a QDQ graph of int8 activations as
/// float32 operators on dequantised values (on x86-64), whose float rounding integers do not
/// reproduce either. Those runs are held to what was measured, one step at most (onnxruntime
/// 1.32: per tensor 99.4 % equal on the default session; per channel 99.4 % on the integer
/// kernels, 98.3 % on the default session). With `--exact` those layers take thresholds,
/// onnxruntime's function itself, and the per-channel import equals the integer kernels on
/// every output. The per-tensor QDQ import must compute exactly what the QOperator import
/// computes.
#[test]
fn resnet8_qdq_and_qoperator_match_onnxruntime() {
    let py = python();
    let dir = temp_dir();
    run_python(
        &py,
        &[
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/onnx/networks.py"),
            &dir,
        ],
    );
    rejections(&dir.join("resnet8_qdq.onnx"));
    let mut failures = Vec::new();
    let mut outputs = Vec::new();
    // (network, integer kernels, --exact, least equal fraction, largest difference)
    for (name, int8, exact, least, most) in [
        ("resnet8_qop", false, false, 0.999, 1),
        ("resnet8_qdq", true, false, 0.999, 1),
        ("resnet8_qdq", false, false, 0.99, 1),
        ("resnet8_qdq_pc", true, false, 0.99, 1),
        ("resnet8_qdq_pc", true, true, 1.0, 0),
        ("resnet8_qdq_pc", false, false, 0.98, 1),
    ] {
        let (frac, max, ours) = check(&py, &dir, name, int8, exact);
        if frac < least || max > most {
            failures.push(format!(
                "{name} (integer kernels {int8}, exact {exact}): {:.3} % equal, max |diff| {max}",
                100.0 * frac
            ));
        }
        outputs.push(ours);
    }
    let (frac, max) = compare(&outputs[1], &outputs[0]);
    println!(
        "resnet8_qdq against resnet8_qop, both imported: {:.3} % equal, max |diff| {max}",
        100.0 * frac
    );
    if max != 0 {
        failures.push(format!(
            "QDQ vs QOperator import: {:.3} % equal, max {max}",
            100.0 * frac
        ));
    }
    if std::env::var_os("HALF_QDQ_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        failures.is_empty(),
        "outputs differ from onnxruntime: {failures:?}"
    );
}

#[test]
fn resnet8_qdq_builds_and_passes_csim_and_cosim() {
    // As a user types it: import, build, csim (bit-exact) and Verilator (bit-exact, on the
    // estimate's cycles and latency).
    let py = onnx_common::python();
    let scratch = onnx_common::Scratch::new("onnx-qdq-hw");
    let dir = scratch.0.clone();
    onnx_common::networks(&py, &dir);
    let run = |args: &[&str]| onnx_common::half_gen(&dir, args);
    onnx_common::ok(&run(&["import", "resnet8_qdq.onnx", "-o", "r"]), "import").unwrap();
    let note =
        onnx_common::build_and_simulate(&dir, "r/resnet8_qdq.yaml", "hw", onnx_common::Sims::Cosim)
            .unwrap();
    println!("resnet8_qdq: {note}");
}
