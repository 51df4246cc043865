//! ONNX and QONNX import to the model format (`half-gen import MODEL.onnx -o DIR`).
//!
//! The foundation is the reader: [`onnx::read_model`] decodes an `.onnx` file with the message
//! types of [`proto`] and turns it into a validated, easy-to-use [`onnx::OnnxModel`] (nodes in
//! file order, constant tensors decoded by [`tensor`], `Constant` nodes folded into the
//! initializers). Every failure is an [`crate::Error::Import`] naming the file and, when there
//! is one, the node and its operator.

pub mod chain;
pub mod common;
mod convert;
pub mod emit;
pub mod onnx;
pub mod proto;
pub mod qdq;
pub mod qonnx;
mod qonnx_finish;
mod qonnx_layers;
mod qonnx_quant;
pub mod tensor;

#[cfg(test)]
mod tests;

/// The largest `.onnx` file half-gen reads: 512 MiB, far above any network that fits an FPGA.
pub const MAX_MODEL_BYTES: u64 = 512 << 20;

/// Elements of one constant tensor of an ONNX model: 64 M.
pub const MAX_TENSOR_ELEMS: u64 = 1 << 26;

/// Elements of all constant tensors of an ONNX model together: 128 M (1 GiB as `i64`).
pub const MAX_TOTAL_ELEMS: u64 = 1 << 27;

/// What the user may give besides the file.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The model's name (default: the file's stem).
    pub name: Option<String>,
    /// The input's shape without the batch, in ONNX order (`C, H, W` or `N`), for a file
    /// whose input shape is dynamic.
    pub input_shape: Option<Vec<u64>>,
    /// int8 forms: a conv or dense layer whose integer scale cannot equal onnxruntime's
    /// rounding at every reachable accumulator is requantised by thresholds instead (exact;
    /// one per output level and channel).
    pub exact: bool,
}

/// An imported model and where it came from.
#[derive(Debug, Clone)]
pub struct Imported {
    /// What it became.
    pub emitted: emit::Emitted,
    /// `QONNX` or `QDQ` (onnxruntime's int8 forms).
    pub format: &'static str,
    /// Nodes of the ONNX graph (`Constant` nodes aside).
    pub nodes: usize,
    /// The file as the user named it.
    pub source: String,
    /// Seconds the import took (reading included).
    pub seconds: f64,
}

/// Imports the ONNX model at `path`: QONNX (Brevitas, qonnx, FINN's `MultiThreshold`) or
/// onnxruntime's int8 QDQ and QOperator forms (docs/import.md).
pub fn import(path: &std::path::Path, opts: &Options) -> crate::Result<Imported> {
    let start = std::time::Instant::now();
    let model = onnx::read_model(path)?;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("model");
    let name = match &opts.name {
        Some(n) if crate::model::is_identifier(n) && n != "input" => n.clone(),
        Some(n) => {
            return Err(crate::Error::InvalidOption(format!(
                "--name `{n}` is not a model name ([A-Za-z_][A-Za-z0-9_]*, at most 64 characters)"
            )));
        }
        None => crate::model::name_from_stem(stem),
    };
    let (format, emitted) = if qonnx::is_qonnx(&model) {
        ("QONNX", qonnx::import(&model, opts, &name)?)
    } else if qdq::is_qdq(&model) {
        ("QDQ", qdq::import(&model, opts, &name)?)
    } else {
        return Err(model.error(
            None,
            "no quantizer found (Quant, MultiThreshold, QuantizeLinear, QLinearConv, ...): \
             half-gen imports quantized networks; quantize with Brevitas/qonnx or \
             onnxruntime's quantize_static first",
        ));
    };
    Ok(Imported {
        emitted,
        format,
        nodes: model.graph.nodes.len(),
        source: path.display().to_string(),
        seconds: start.elapsed().as_secs_f64(),
    })
}

impl Imported {
    /// The files of the import, by name: `NAME.yaml`, `NAME.npz`, `NAME.import.json`.
    pub fn files(&self) -> crate::Result<Vec<(String, Vec<u8>)>> {
        let e = &self.emitted;
        let source = std::path::Path::new(&self.source)
            .file_name()
            .map_or(self.source.clone(), |f| f.to_string_lossy().into_owned());
        Ok(vec![
            (format!("{}.yaml", e.name), e.yaml(&source).into_bytes()),
            (format!("{}.npz", e.name), e.npz()?),
            (
                format!("{}.import.json", e.name),
                e.sidecar(&source, self.format, self.nodes)?.into_bytes(),
            ),
        ])
    }
}

/// True when `path` names an ONNX file (by its extension).
pub fn is_onnx(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
}
