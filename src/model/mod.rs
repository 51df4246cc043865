//! The model format (v1): loading, syntax errors with positions, and per-layer validation.
//! Checks that need shapes (kernel vs input size, add shapes, ...) are the op modules' shape
//! rules, run by `ir::build`.

mod requant;
mod suggest;

pub use requant::MAX_THRESHOLDS;

use crate::error::{Diagnostic, Error, Loc, Result};
use crate::format::fields::LayerFields;
use crate::format::raw::{self, LayerOutline, OneOrMany, RawActivation, RawModel};
use crate::format::{Activation, ElemType, Requant, Shape, Thresholds};
use crate::ops::LayerOp;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where a layer's input comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Src {
    /// The model input.
    Input,
    /// An earlier layer, by index.
    Layer(usize),
}

/// One validated layer.
#[derive(Debug, Clone)]
pub struct Layer {
    /// Unique name.
    pub name: String,
    /// Kind and parameters.
    pub op: LayerOp,
    /// Producers, in order.
    pub inputs: Vec<Src>,
    /// Activation after requantisation.
    pub activation: Activation,
    /// Output element type; None keeps the exact accumulator (or, for maxpool, the input type).
    pub output: Option<ElemType>,
    /// Explicit requantisation by scale and shift, when given.
    pub requant: Option<Requant>,
    /// Threshold requantisation, when given (`requant: {thresholds}`); its values come from
    /// the weights file or calibration.
    pub thresholds: Option<Thresholds>,
    /// Position of the layer entry.
    pub loc: Loc,
    /// Positions of the keys that later checks may blame.
    pub key_locs: BTreeMap<&'static str, Loc>,
}

impl Layer {
    /// Position of `key`, else of the layer.
    pub fn loc_of(&self, key: &str) -> Loc {
        self.key_locs.get(key).copied().unwrap_or(self.loc)
    }
}

/// A validated model.
#[derive(Debug, Clone)]
pub struct Model {
    /// Identifier.
    pub name: String,
    /// The file as the user named it (for messages).
    pub file: String,
    /// Input shape.
    pub input_shape: Shape,
    /// Input element type.
    pub input_type: ElemType,
    /// Weights file, resolved against the model's directory.
    pub weights: Option<PathBuf>,
    /// Where `weights:` is written (for messages about the weights file).
    pub weights_loc: Loc,
    /// Seed for generated weights and vectors.
    pub seed: u64,
    /// Index of the output layer.
    pub output: usize,
    /// Layers in file order (a topological order by construction).
    pub layers: Vec<Layer>,
    /// Non-fatal findings (unused layers).
    pub warnings: Vec<Diagnostic>,
}

impl Model {
    /// An input error at `loc` naming layer `idx`.
    pub fn error_at(&self, idx: usize, loc: Loc, msg: impl Into<String>) -> Error {
        Error::Input(Diagnostic::new(
            &self.file,
            loc,
            Some(&self.layers[idx].name),
            msg,
        ))
    }
}

/// Reads and validates a model file.
pub fn load(path: &Path) -> Result<Model> {
    let src = crate::fsutil::read_source(path, "model")?;
    parse(&src.text, &src.file, &src.stem, &src.dir)
}

/// Longest model or layer name: names become C++ and Verilog identifiers and file names
/// (`layers/<name>.h`), which stay well within every file system's 255 bytes.
pub const MAX_NAME: usize = 64;

/// `[A-Za-z_][A-Za-z0-9_]*`, at most [`MAX_NAME`] characters.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    s.len() <= MAX_NAME
        && matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The default name of a model (or space) file without `name:`: its stem with every other
/// character than a letter or digit replaced by `_`, `m_` in front when it does not start with
/// a letter or `_`, cut to [`MAX_NAME`] characters.
pub fn name_from_stem(stem: &str) -> String {
    let cleaned: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let mut name = if matches!(cleaned.chars().next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
    {
        cleaned
    } else {
        format!("m_{cleaned}")
    };
    name.truncate(MAX_NAME);
    name
}

fn loc<T>(s: &Spanned<T>) -> Loc {
    Loc::from_saphyr(s.referenced)
}

/// Parses model text; `file` names it in messages, `stem` is the default name, `dir` resolves
/// the weights path.
pub fn parse(text: &str, file: &str, stem: &str, dir: &Path) -> Result<Model> {
    let raw: RawModel = serde_saphyr::from_str(text).map_err(|e| syntax_error(text, file, &e))?;
    validate(&raw, file, stem, dir)
}

/// Reads a model given as a JSON tree of the same keys as the YAML format. Nothing in it has a
/// position, so messages say line 0; the architecture search uses it for candidates it also
/// holds as text, and re-reads the text for the message when this fails.
pub fn from_json(tree: &serde_json::Value, file: &str, stem: &str, dir: &Path) -> Result<Model> {
    let raw = RawModel::deserialize(tree)
        .map_err(|e| Error::Input(Diagnostic::new(file, Loc::default(), None, e.to_string())))?;
    validate(&raw, file, stem, dir)
}

/// The checks of [`parse`] on the document as read.
fn validate(raw: &RawModel, file: &str, stem: &str, dir: &Path) -> Result<Model> {
    let name = model_name(raw, file, stem)?;
    let (input_shape, input_type) = input_block(raw, file)?;
    let (layers, index) = layer_list(raw, file)?;
    let output = output_layer(raw, file, &index, layers.len())?;
    let (weights, weights_loc) = weights_file(raw, file, dir)?;
    let mut model = Model {
        name,
        file: file.to_string(),
        input_shape,
        input_type,
        weights,
        weights_loc,
        seed: raw.seed.as_ref().map_or(0, |s| s.value),
        output,
        layers,
        warnings: Vec::new(),
    };
    model.warnings = unused_layers(&model);
    Ok(model)
}

/// An input error at `l` of the model as a whole (no layer named).
fn model_error(file: &str, l: Loc, msg: impl Into<String>) -> Error {
    Error::Input(Diagnostic::new(file, l, None, msg))
}

/// The model's `name:`, else the default from the file's stem.
fn model_name(raw: &RawModel, file: &str, stem: &str) -> Result<String> {
    match &raw.name {
        Some(n) if !is_identifier(&n.value) => Err(model_error(
            file,
            loc(n),
            format!(
                "model name `{}` is not an identifier [A-Za-z_][A-Za-z0-9_]* of at most {MAX_NAME} characters",
                n.value
            ),
        )),
        Some(n) => Ok(n.value.clone()),
        None => Ok(name_from_stem(stem)),
    }
}

/// The validated layers in file order and their indices by name. Err when the list is empty
/// or too long, or at the first layer that fails its checks.
fn layer_list(raw: &RawModel, file: &str) -> Result<(Vec<Layer>, BTreeMap<String, usize>)> {
    let raw_layers: &[Spanned<raw::RawLayer>] = &raw.layers.value.0;
    if raw_layers.is_empty() {
        return Err(model_error(
            file,
            loc(&raw.layers),
            "the layer list is empty",
        ));
    }
    if raw_layers.len() > crate::limits::MAX_LAYERS {
        return Err(model_error(
            file,
            loc(&raw.layers),
            crate::limits::exceeded(
                "the number of layers",
                raw_layers.len() as u64,
                crate::limits::MAX_LAYERS as u64,
            ),
        ));
    }
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut layers = Vec::with_capacity(raw_layers.len());
    for (i, sl) in raw_layers.iter().enumerate() {
        let f = LayerFields {
            raw: &sl.value,
            file,
            loc: loc(sl),
        };
        let layer = layer_entry(&f, i, &index)?;
        index.insert(layer.name.clone(), i);
        layers.push(layer);
    }
    Ok((layers, index))
}

/// The index of the layer `output:` names, else of the last of `count` layers.
fn output_layer(
    raw: &RawModel,
    file: &str,
    index: &BTreeMap<String, usize>,
    count: usize,
) -> Result<usize> {
    let Some(o) = &raw.output else {
        return Ok(count - 1);
    };
    index.get(&o.value).copied().ok_or_else(|| {
        model_error(
            file,
            loc(o),
            format!(
                "output names unknown layer `{}`{}",
                o.value,
                crate::hint::hint(&o.value, index.keys().map(String::as_str))
            ),
        )
    })
}

/// The weights file, resolved against `dir`, and where `weights:` is written. Err when it is
/// given empty.
fn weights_file(raw: &RawModel, file: &str, dir: &Path) -> Result<(Option<PathBuf>, Loc)> {
    if let Some(w) = &raw.weights
        && w.value.trim().is_empty()
    {
        return Err(model_error(
            file,
            loc(w),
            "`weights` is empty; give the path of a .npz file (relative to the model file) or leave the key out to generate weights from `seed`",
        ));
    }
    let weights = raw.weights.as_ref().map(|w| dir.join(&w.value));
    let weights_loc = raw.weights.as_ref().map(loc).unwrap_or_default();
    Ok((weights, weights_loc))
}

fn input_block(raw: &RawModel, file: &str) -> Result<(Shape, ElemType)> {
    let inp = &raw.input.value;
    let err = |l: Loc, m: String| Error::Input(Diagnostic::new(file, l, None, m));
    let dims = &inp.shape.value;
    for &d in dims {
        if !(1..=1 << 20).contains(&d) {
            return Err(err(
                loc(&inp.shape),
                format!("input shape entries must be in 1..=1048576, got {d}"),
            ));
        }
    }
    let elems = dims.iter().fold(1u64, |a, &d| a.saturating_mul(d as u64));
    if elems > crate::limits::MAX_TENSOR_ELEMS {
        return Err(err(
            loc(&inp.shape),
            crate::limits::exceeded(
                "the input's element count",
                elems,
                crate::limits::MAX_TENSOR_ELEMS,
            ),
        ));
    }
    let shape = match dims.as_slice() {
        [n] => Shape::vector(*n as u32),
        [h, w, c] => Shape::map(*h as u32, *w as u32, *c as u32),
        _ => {
            return Err(err(
                loc(&inp.shape),
                format!(
                    "input shape must be [H, W, C] or [N], got {} entries",
                    dims.len()
                ),
            ));
        }
    };
    let bits = inp.bits.value;
    if !(1..=16).contains(&bits) {
        return Err(err(
            loc(&inp.bits),
            format!("input `bits` must be in 1..=16, got {bits}"),
        ));
    }
    let signed = inp.signed.as_ref().is_some_and(|s| s.value);
    Ok((
        shape,
        ElemType {
            bits: bits as u32,
            signed,
        },
    ))
}

/// Layer `i` of the file, checked against the layers before it (`index`).
fn layer_entry(f: &LayerFields, i: usize, index: &BTreeMap<String, usize>) -> Result<Layer> {
    let name = layer_name(f, index)?;
    let op = layer_op(f)?;
    let inputs = sources(f, i, index)?;
    check_arity(f, &op, inputs.len())?;
    let activation = match f.raw.activation.as_ref().map(|a| a.value) {
        Some(RawActivation::Relu) => Activation::Relu,
        _ => Activation::None,
    };
    let output = output_type(f, activation)?;
    let explicit = requant::explicit(f, output)?;
    Ok(Layer {
        name: name.to_string(),
        op,
        inputs,
        activation,
        output,
        requant: explicit.linear,
        thresholds: explicit.thresholds,
        loc: f.loc,
        key_locs: key_locs(f),
    })
}

/// The layer's name: an identifier other than `input`, not taken by an earlier layer.
fn layer_name<'f>(f: &'f LayerFields, index: &BTreeMap<String, usize>) -> Result<&'f str> {
    let name = f.name();
    if !is_identifier(name) || name == "input" {
        return Err(f.error_at(
            loc(&f.raw.name),
            format!("layer name `{name}` must be an identifier [A-Za-z_][A-Za-z0-9_]* of at most {MAX_NAME} characters, other than `input`"),
        ));
    }
    if index.contains_key(name) {
        return Err(f.error_at(loc(&f.raw.name), format!("duplicate layer name `{name}`")));
    }
    Ok(name)
}

/// The layer's kind and parameters, read by its op module.
fn layer_op(f: &LayerFields) -> Result<LayerOp> {
    let kind = &f.raw.op;
    LayerOp::parse(&kind.value, f)?.ok_or_else(|| {
        f.error_at(
            loc(kind),
            format!(
                "unknown op `{}`; expected one of {}{}",
                kind.value,
                crate::ops::NAMES.join(", "),
                crate::hint::hint(&kind.value, crate::ops::NAMES.iter().copied())
            ),
        )
    })
}

/// Err when `op` does not take `count` inputs.
fn check_arity(f: &LayerFields, op: &LayerOp, count: usize) -> Result<()> {
    let arity = op.inputs();
    if arity.contains(&count) {
        return Ok(());
    }
    let takes = if arity.start() == arity.end() {
        format!("{} input(s)", arity.start())
    } else {
        format!("{} to {} inputs", arity.start(), arity.end())
    };
    Err(f.error_at(
        f.loc_or_layer("from"),
        format!("op `{}` takes {takes}, `from` names {count}", op.kind()),
    ))
}

/// The `output:` element type; its signedness defaults to signed unless the activation is
/// relu.
fn output_type(f: &LayerFields, activation: Activation) -> Result<Option<ElemType>> {
    let Some(o) = &f.raw.output else {
        return Ok(None);
    };
    let bits = f.bits_value("output.bits", o.value.bits.value, loc(&o.value.bits))?;
    if bits == 1 && activation == Activation::Relu {
        return Err(f.error_at(
            f.loc_or_layer("activation"),
            "relu cannot produce a bipolar (1-bit) output: use activation none",
        ));
    }
    let signed = o
        .value
        .signed
        .as_ref()
        .map(|s| s.value)
        .unwrap_or(activation != Activation::Relu);
    Ok(Some(ElemType { bits, signed }))
}

/// The keys of a layer whose positions later checks may blame ([`Layer::key_locs`]), besides
/// `requant.scale` and `requant.shift`.
const BLAMED_KEYS: [&str; 12] = [
    "channels",
    "units",
    "kernel",
    "stride",
    "padding",
    "global",
    "weight_bits",
    "bias",
    "activation",
    "output",
    "requant",
    "from",
];

/// The positions of the layer's keys that later checks may blame.
fn key_locs(f: &LayerFields) -> BTreeMap<&'static str, Loc> {
    let mut key_locs = BTreeMap::new();
    for key in BLAMED_KEYS {
        if let Some(l) = f.key_loc(key) {
            key_locs.insert(key, l);
        }
    }
    requant::key_locs(f, &mut key_locs);
    key_locs
}

fn sources(f: &LayerFields, i: usize, index: &BTreeMap<String, usize>) -> Result<Vec<Src>> {
    let Some(from) = &f.raw.from else {
        return Ok(vec![if i == 0 {
            Src::Input
        } else {
            Src::Layer(i - 1)
        }]);
    };
    let names: Vec<&str> = match &from.value {
        OneOrMany::One(s) => vec![s.as_str()],
        OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
    };
    let mut out = Vec::new();
    for n in names {
        if n == "input" {
            out.push(Src::Input);
        } else if let Some(&j) = index.get(n) {
            out.push(Src::Layer(j));
        } else {
            let later = n == f.name() || f.raw.name.value == n;
            let msg = if later {
                format!(
                    "`from` names the layer itself (`{n}`); only earlier layers may be referenced"
                )
            } else {
                format!(
                    "`from` names `{n}`, which is not an earlier layer (only earlier layers or `input` may be referenced){}",
                    crate::hint::hint(n, index.keys().map(String::as_str))
                )
            };
            return Err(f.error_at(loc(from), msg));
        }
    }
    Ok(out)
}

fn unused_layers(m: &Model) -> Vec<Diagnostic> {
    let mut used = vec![false; m.layers.len()];
    used[m.output] = true;
    for l in &m.layers {
        for s in &l.inputs {
            if let Src::Layer(j) = s {
                used[*j] = true;
            }
        }
    }
    m.layers
        .iter()
        .zip(used)
        .filter(|(_, u)| !u)
        .map(|(l, _)| {
            Diagnostic::new(
                &m.file,
                l.loc,
                Some(&l.name),
                "output is unused (no layer reads it and it is not the model output)",
            )
        })
        .collect()
}

/// Turns a serde-saphyr error into one located message naming the layer it falls in.
fn syntax_error(text: &str, file: &str, e: &serde_saphyr::Error) -> Error {
    let mut l = e.location().map(Loc::from_saphyr).unwrap_or_default();
    let raw_msg = crate::hint::yaml_message(e);
    let line_text = text
        .lines()
        .nth(l.line.saturating_sub(1) as usize)
        .unwrap_or("");
    let (mut msg, col) = suggest::clarify(&raw_msg, line_text, l.col);
    l.col = col;
    if let Some(h) = suggest::unknown_field_hint(&raw_msg) {
        msg.push_str(&h);
    }
    let layer = layer_at(text, l.line);
    Error::Input(Diagnostic::new(file, l, layer.as_deref(), msg))
}

/// The name of the layer whose entry contains `line`: from the parsed outline when the file
/// parses that far, else from the text (the last `name:` between `layers:` and `line`).
fn layer_at(text: &str, line: u64) -> Option<String> {
    // The top-level key whose block holds `line`: the nearest line at or above it that starts
    // at column 1 (not a list item or a comment). Only `layers:` holds layers.
    let section = text
        .lines()
        .take(line as usize)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .find(|t| !t.is_empty() && !t.starts_with([' ', '\t', '-', '#']));
    if !section.is_some_and(|t| t.starts_with("layers:")) {
        return None;
    }
    if let Ok(outline) = serde_saphyr::from_str::<LayerOutline>(text) {
        let mut found = None;
        for l in &outline.layers {
            if l.referenced.line() <= line {
                found = Some(l.value.name.clone().unwrap_or_else(|| "<unnamed>".into()));
            }
        }
        return found;
    }
    let mut in_layers = false;
    let mut found = None;
    for t in text.lines().take(line as usize) {
        if t.starts_with("layers:") {
            in_layers = true;
            continue;
        }
        if in_layers && !t.starts_with([' ', '-', '#']) && !t.trim().is_empty() {
            in_layers = false;
        }
        if !in_layers {
            continue;
        }
        if let Some(rest) = t.split("name:").nth(1) {
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found = Some(name);
            }
        }
    }
    found
}
