//! NumPy `.npz` / `.npy` input and output of integer arrays.

use super::{LayerParams, ParamSpec, Params, array_error, check_range, set_requant, spec};
use crate::error::{Error, Result};
use crate::format::Requant;
use crate::ir::Graph;
use crate::model::Model;
use crate::ops::Node;
use npyz::npz::NpzArchive;
use npyz::{DType, NpyFile, Order, TypeChar, WriterBuilder};
use std::collections::BTreeSet;
use std::io::{BufReader, Read};
use std::path::Path;

/// An integer array: shape and C-order values.
pub type IntArray = (Vec<u64>, Vec<i64>);

/// An open `.npz` archive.
pub type Archive = NpzArchive<BufReader<std::fs::File>>;

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source: e,
    }
}

/// Why a `.npy` array (alone or in an archive) cannot be read as integers.
#[derive(Debug, thiserror::Error)]
enum BadArray {
    /// Too short for the prefix.
    #[error("not a NumPy array (too short)")]
    TooShort,
    /// No `\x93NUMPY` magic.
    #[error("not a NumPy .npy array (no magic string)")]
    NoMagic,
    /// Reading the header length or the values failed.
    #[error("{0}")]
    Read(std::io::Error),
    /// A format version other than 1, 2 or 3.
    #[error("unknown .npy format version {0}")]
    Version(u8),
    /// A header longer than [`MAX_HEADER`].
    #[error("its header is {0} bytes, more than the {max} half-gen reads", max = MAX_HEADER)]
    LongHeader(usize),
    /// The file ends inside the header.
    #[error("its header is cut short")]
    CutHeader,
    /// The header is not UTF-8.
    #[error("its header is not text")]
    HeaderNotText,
    /// Nested or repeated brackets: not what NumPy writes for a simple array.
    #[error("its header is not the plain dict NumPy writes for a simple array")]
    NotPlainHeader,
    /// No `'shape': (...)`.
    #[error("its header has no shape")]
    NoShape,
    /// A shape that is not a list of integers.
    #[error("its header's shape `({0})` is not a list of sizes")]
    BadShape(String),
    /// More elements than the caller expects.
    #[error(
        "its header declares shape {dims:?}, {} elements, more than the {} expected",
        crate::limits::group(*.elems),
        crate::limits::group(*.max)
    )]
    TooManyElements {
        /// The declared shape.
        dims: Vec<u64>,
        /// Its element count (saturated).
        elems: u64,
        /// The most expected.
        max: u64,
    },
    /// Fortran (column-major) order.
    #[error("Fortran-ordered arrays are not supported; save with C order")]
    Fortran,
    /// A structured (record) dtype.
    #[error("structured dtype; expected an integer array")]
    Structured,
    /// A `u64` value above `i64::MAX`.
    #[error("value {0} does not fit a signed 64-bit integer")]
    Unsigned64(u64),
    /// A float, complex or other non-integer dtype (`f4`, ...).
    #[error("dtype `{0}` is not an integer type")]
    NotInteger(String),
}

/// Reads any NumPy integer or bool array as i64 values (its header passed [`check_header`]).
fn read_ints<R: Read>(npy: NpyFile<R>) -> std::result::Result<IntArray, BadArray> {
    if npy.order() == Order::Fortran {
        return Err(BadArray::Fortran);
    }
    let shape = npy.shape().to_vec();
    let DType::Plain(ts) = npy.dtype() else {
        return Err(BadArray::Structured);
    };
    let bytes = ts.size_field();
    let err = BadArray::Read;
    let values: Vec<i64> = match (ts.type_char(), bytes) {
        (TypeChar::Int, 1) => widen(npy.into_vec::<i8>().map_err(err)?),
        (TypeChar::Int, 2) => widen(npy.into_vec::<i16>().map_err(err)?),
        (TypeChar::Int, 4) => widen(npy.into_vec::<i32>().map_err(err)?),
        (TypeChar::Int, 8) => npy.into_vec::<i64>().map_err(err)?,
        (TypeChar::Uint, 1) => widen(npy.into_vec::<u8>().map_err(err)?),
        (TypeChar::Uint, 2) => widen(npy.into_vec::<u16>().map_err(err)?),
        (TypeChar::Uint, 4) => widen(npy.into_vec::<u32>().map_err(err)?),
        (TypeChar::Uint, 8) => npy
            .into_vec::<u64>()
            .map_err(err)?
            .into_iter()
            .map(|v| i64::try_from(v).map_err(|_| BadArray::Unsigned64(v)))
            .collect::<std::result::Result<_, _>>()?,
        (TypeChar::Bool, _) => widen(npy.into_vec::<bool>().map_err(err)?),
        (c, b) => return Err(BadArray::NotInteger(format!("{}{b}", c.to_str()))),
    };
    Ok((shape, values))
}

/// Values of a narrower integer type (or bool) as i64.
fn widen<T: Into<i64>>(values: Vec<T>) -> Vec<i64> {
    values.into_iter().map(Into::into).collect()
}

/// Longest `.npy` header half-gen reads (NumPy writes well under 200 bytes for any integer
/// array; NumPy itself refuses more than 10,000).
const MAX_HEADER: usize = 4096;

/// Checks a `.npy` prefix and header before npyz parses it: the magic, a header of at most
/// [`MAX_HEADER`] bytes of the plain form NumPy writes for a simple array (one `{...}` dict, at
/// most one `(...)` shape, no nesting: the parser npyz uses backtracks exponentially on nested
/// brackets), and a shape of at most `max` elements (npyz's own product can overflow).
fn check_header(r: &mut impl Read, max: u64) -> std::result::Result<(), BadArray> {
    let mut pre = [0u8; 8];
    r.read_exact(&mut pre).map_err(|_| BadArray::TooShort)?;
    if &pre[..6] != b"\x93NUMPY" {
        return Err(BadArray::NoMagic);
    }
    let len = match pre[6] {
        1 => {
            let mut b = [0u8; 2];
            r.read_exact(&mut b).map_err(BadArray::Read)?;
            u16::from_le_bytes(b) as usize
        }
        2 | 3 => {
            let mut b = [0u8; 4];
            r.read_exact(&mut b).map_err(BadArray::Read)?;
            u32::from_le_bytes(b) as usize
        }
        v => return Err(BadArray::Version(v)),
    };
    if len > MAX_HEADER {
        return Err(BadArray::LongHeader(len));
    }
    let mut header = vec![0u8; len];
    r.read_exact(&mut header).map_err(|_| BadArray::CutHeader)?;
    let text = String::from_utf8(header).map_err(|_| BadArray::HeaderNotText)?;
    let count = |c: char| text.matches(c).count();
    if count('{') != 1 || count('}') != 1 || count('(') > 1 || count(')') > 1 || count('[') > 0 {
        return Err(BadArray::NotPlainHeader);
    }
    let shape = text
        .split_once("'shape':")
        .and_then(|(_, rest)| rest.split_once('('))
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(dims, _)| dims)
        .ok_or(BadArray::NoShape)?;
    let dims: Vec<u64> = shape
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.parse())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| BadArray::BadShape(shape.to_string()))?;
    let elems = dims.iter().fold(1u64, |a, &d| a.saturating_mul(d));
    if elems > max {
        return Err(BadArray::TooManyElements { dims, elems, max });
    }
    Ok(())
}

/// Reads array `name` of an open archive, if present; at most `max` elements (checked from
/// the array's header before its values are read).
pub fn read_array(
    archive: &mut Archive,
    file: &str,
    name: &str,
    max: u64,
) -> Result<Option<IntArray>> {
    let member = npyz::npz::file_name_from_array_name(name);
    match archive.zip_archive().by_name(&member) {
        Ok(mut raw) => {
            check_header(&mut raw, max).map_err(|e| array_error(file, name, e.to_string()))?
        }
        Err(npyz::zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(array_error(file, name, e.to_string())),
    }
    let npy = archive
        .by_name(name)
        .map_err(|e| array_error(file, name, e.to_string()))?;
    match npy {
        None => Ok(None),
        Some(npy) => read_ints(npy)
            .map(Some)
            .map_err(|e| array_error(file, name, e.to_string())),
    }
}

/// Opens an `.npz` archive; one that holds an array twice is refused (which copy counts would
/// depend on the reader).
pub fn open(path: &Path) -> Result<Archive> {
    let mut ar = NpzArchive::open(path).map_err(|e| io_err(path, e))?;
    let zip = ar.zip_archive();
    let distinct: BTreeSet<&str> = zip.file_names().collect();
    if distinct.len() != zip.len() {
        let mut seen = BTreeSet::new();
        let twice = (0..zip.len())
            .filter_map(|i| zip.by_index_raw(i).ok().map(|f| f.name().to_string()))
            .find(|n| !seen.insert(n.clone()))
            .unwrap_or_default();
        return Err(Error::BadInputFile(format!(
            "{}: the archive holds `{twice}` more than once",
            path.display()
        )));
    }
    Ok(ar)
}

/// Reads a single `.npy` array of integers.
pub fn read_npy_i64(path: &Path) -> Result<IntArray> {
    let mut f = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    check_header(&mut f, crate::limits::MAX_ARRAY_VALUES)
        .map_err(|e| Error::BadInputFile(format!("{}: {e}", path.display())))?;
    let f = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    let npy = NpyFile::new(BufReader::new(f)).map_err(|e| io_err(path, e))?;
    read_ints(npy).map_err(|e| Error::BadInputFile(format!("{}: {e}", path.display())))
}

/// Writes an `.npy` array of i64 values (C order), atomically.
pub fn write_npy_i64(path: &Path, shape: &[u64], values: &[i64]) -> Result<()> {
    let mut buf = Vec::new();
    {
        let mut w = npyz::WriteOptions::new()
            .default_dtype()
            .shape(shape)
            .writer(&mut buf)
            .begin_nd()
            .map_err(|e| io_err(path, e))?;
        w.extend(values.iter().copied())
            .map_err(|e| io_err(path, e))?;
        w.finish().map_err(|e| io_err(path, e))?;
    }
    crate::fsutil::write_atomic(path, &buf)
}

/// Loads a model's weights file (see the parent module for the layout).
pub fn load(path: &Path, model: &Model, graph: &mut Graph) -> Result<Params> {
    let file = path.display().to_string();
    let mut ar = open(path).map_err(|e| {
        let why = match e {
            Error::Io { source, .. } if path.is_dir() => {
                format!("`{file}` is a directory, not a .npz file ({source})")
            }
            Error::Io { source, .. } => format!("cannot read the weights file `{file}`: {source}"),
            other => other.to_string(),
        };
        Error::Input(crate::error::Diagnostic::new(
            &model.file,
            model.weights_loc,
            None,
            why,
        ))
    })?;
    let names: BTreeSet<String> = ar.array_names().map(str::to_string).collect();
    let mut used = BTreeSet::new();
    let mut out = Params::default();
    let layers: Vec<_> = graph.layers().collect();
    for n in layers {
        let node = graph.g[n].clone();
        let Some(op) = node.op() else { continue };
        let p = weight_and_bias(&mut ar, &file, &node, &spec(op, &node), &mut used)?;
        requant(&mut ar, &file, model, graph, &node, &mut used)?;
        super::thresholds::load(&mut ar, &file, graph, &node, &mut used)?;
        if !p.weight.is_empty() {
            out.layers.insert(node.name.clone(), p);
        }
    }
    if let Some(extra) = names.iter().find(|n| !used.contains(*n)) {
        return Err(array_error(
            &file,
            extra,
            "not a parameter of any layer (expected `<layer>.weight`, `.bias`, `.scale`, `.shift` or `.thresholds`)",
        ));
    }
    Ok(out)
}

/// Reads `<layer>.weight` and `<layer>.bias` of `node` (when its spec `s` has them), checked
/// against their shapes and ranges; their names go into `used`.
fn weight_and_bias(
    ar: &mut Archive,
    file: &str,
    node: &Node,
    s: &ParamSpec,
    used: &mut BTreeSet<String>,
) -> Result<LayerParams> {
    let mut p = LayerParams::default();
    let Some(wt) = s.weight_type else {
        return Ok(p);
    };
    let name = format!("{}.weight", node.name);
    let want: u64 = s.weight_shape.iter().product();
    let (shape, values) = read_array(ar, file, &name, want)?
        .ok_or_else(|| array_error(file, &name, "missing from the weights file"))?;
    if shape != s.weight_shape {
        return Err(array_error(
            file,
            &name,
            format!("shape {shape:?}, expected {:?}", s.weight_shape),
        ));
    }
    check_range(&values, wt).map_err(|e| array_error(file, &name, e.to_string()))?;
    p.weight = values;
    used.insert(name);
    let bname = format!("{}.bias", node.name);
    if s.bias_len > 0 {
        let (shape, values) = read_array(ar, file, &bname, s.bias_len)?.ok_or_else(|| {
            array_error(
                file,
                &bname,
                "missing from the weights file (the layer has `bias: true`)",
            )
        })?;
        if shape != [s.bias_len] {
            return Err(array_error(
                file,
                &bname,
                format!("shape {shape:?}, expected [{}]", s.bias_len),
            ));
        }
        let (lo, hi) = s.bias_range;
        if let Some(i) = values.iter().position(|v| *v < lo || *v > hi) {
            return Err(array_error(
                file,
                &bname,
                format!(
                    "element {i} is {}, outside [{lo}, {hi}] (the accumulator width assumes biases within the range of the products' sum)",
                    values[i]
                ),
            ));
        }
        p.bias = values;
        used.insert(bname);
    }
    Ok(p)
}

/// Applies `<layer>.scale` and `<layer>.shift` of `node`, when the file has them, as its
/// requantisation in `graph`; their names go into `used`.
fn requant(
    ar: &mut Archive,
    file: &str,
    model: &Model,
    graph: &mut Graph,
    node: &Node,
    used: &mut BTreeSet<String>,
) -> Result<()> {
    let (sn, hn) = (
        format!("{}.scale", node.name),
        format!("{}.shift", node.name),
    );
    let per_channel = node.out.shape.c.max(2) as u64;
    let scale = read_array(ar, file, &sn, per_channel)?;
    let shift = read_array(ar, file, &hn, per_channel)?;
    for (name, a) in [(&sn, &scale), (&hn, &shift)] {
        if let Some((shape, _)) = a
            && shape.len() > 1
        {
            return Err(array_error(
                file,
                name,
                format!("shape {shape:?}; expected a scalar or a list (one per channel)"),
            ));
        }
    }
    match (scale, shift) {
        (None, None) => {}
        (Some((_, scale)), Some((_, shift))) => {
            let explicit = match node.kind {
                crate::ops::NodeKind::Layer { index, .. } => {
                    model.layers.get(index).is_some_and(|l| l.requant.is_some())
                }
                _ => false,
            };
            if explicit {
                return Err(array_error(
                    file,
                    &sn,
                    "the model file already gives this layer a `requant`; give it in one place",
                ));
            }
            set_requant(graph, &node.name, Requant { scale, shift })
                .map_err(|e| array_error(file, &sn, e.to_string()))?;
            used.insert(sn);
            used.insert(hn);
        }
        (Some(_), None) => {
            return Err(array_error(
                file,
                &hn,
                "missing: `.scale` and `.shift` come together",
            ));
        }
        (None, Some(_)) => {
            return Err(array_error(
                file,
                &sn,
                "missing: `.scale` and `.shift` come together",
            ));
        }
    }
    Ok(())
}
