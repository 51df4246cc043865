//! Writes the seed `.npz` files of the weights target into the directory given as the only
//! argument: valid files for `targets::WEIGHTS_MODEL` in several dtypes and both zip methods
//! (stored and deflated), and slightly broken ones (wrong shape, out of range, float, extra or
//! missing array). The shapes come from the library's own parameter spec of each layer.

use half_gen::{ir, model, weights};
use half_gen_fuzz::targets::WEIGHTS_MODEL;
use npyz::npz::NpzWriter;
use npyz::{AutoSerialize, WriterBuilder};
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use zip::CompressionMethod;
use zip::write::FileOptions;

/// One array of a seed: name, shape and values in one of a few dtypes.
enum Arr {
    I64(Vec<u64>, Vec<i64>),
    I8(Vec<u64>, Vec<i8>),
    I16(Vec<u64>, Vec<i16>),
    U8(Vec<u64>, Vec<u8>),
    U64(Vec<u64>, Vec<u64>),
    Bool(Vec<u64>, Vec<bool>),
    F64(Vec<u64>, Vec<f64>),
}

fn put<T: AutoSerialize + Copy>(
    npz: &mut NpzWriter<BufWriter<File>>,
    opts: FileOptions,
    name: &str,
    shape: &[u64],
    values: &[T],
) -> std::io::Result<()> {
    let mut w = npz
        .array::<T>(name, opts)?
        .default_dtype()
        .shape(shape)
        .begin_nd()?;
    w.extend(values.iter().copied())?;
    w.finish()
}

fn write(path: &Path, method: CompressionMethod, arrays: &[(String, Arr)]) -> std::io::Result<()> {
    let mut npz = NpzWriter::create(path)?;
    let o = FileOptions::default().compression_method(method);
    for (name, a) in arrays {
        match a {
            Arr::I64(s, v) => put(&mut npz, o, name, s, v)?,
            Arr::I8(s, v) => put(&mut npz, o, name, s, v)?,
            Arr::I16(s, v) => put(&mut npz, o, name, s, v)?,
            Arr::U8(s, v) => put(&mut npz, o, name, s, v)?,
            Arr::U64(s, v) => put(&mut npz, o, name, s, v)?,
            Arr::Bool(s, v) => put(&mut npz, o, name, s, v)?,
            Arr::F64(s, v) => put(&mut npz, o, name, s, v)?,
        }
    }
    Ok(())
}

/// Per layer: (name, weight shape, bias length), from the library's parameter spec.
fn layers() -> Vec<(String, Vec<u64>, u64)> {
    let m = model::parse(WEIGHTS_MODEL, "w.yaml", "w", Path::new(".")).expect("the model");
    let g = ir::build(&m).expect("its graph");
    g.layers()
        .filter_map(|n| {
            let node = &g.g[n];
            let s = weights::spec(node.op()?, node);
            Some((node.name.clone(), s.weight_shape, s.bias_len))
        })
        .collect()
}

/// Valid arrays: weights cycling through -1..=1, biases 0..n, derived requant for c0 replaced
/// by `scale`/`shift` arrays of the given shapes.
fn valid(per_channel: bool) -> Vec<(String, Arr)> {
    let mut out = Vec::new();
    for (name, shape, bias) in layers() {
        let n: u64 = shape.iter().product();
        let w: Vec<i64> = (0..n as i64).map(|i| i % 3 - 1).collect();
        out.push((format!("{name}.weight"), Arr::I64(shape, w)));
        if bias > 0 {
            let b: Vec<i64> = (0..bias as i64).collect();
            out.push((format!("{name}.bias"), Arr::I64(vec![bias], b)));
        }
        if name == "c0" {
            let (shape, k) = if per_channel {
                (vec![bias], bias as usize)
            } else {
                (vec![], 1)
            };
            out.push(("c0.scale".into(), Arr::I64(shape.clone(), vec![3; k])));
            out.push(("c0.shift".into(), Arr::I64(shape, vec![2; k])));
        }
    }
    out
}

/// The valid arrays in narrower dtypes (i8 weights, i16 biases, u8 shift).
fn narrow() -> Vec<(String, Arr)> {
    valid(false)
        .into_iter()
        .map(|(n, a)| match a {
            Arr::I64(s, v) if n.ends_with(".weight") => {
                (n, Arr::I8(s, v.iter().map(|&x| x as i8).collect()))
            }
            Arr::I64(s, v) if n.ends_with(".bias") => {
                (n, Arr::I16(s, v.iter().map(|&x| x as i16).collect()))
            }
            Arr::I64(s, v) if n.ends_with(".shift") => {
                (n, Arr::U8(s, v.iter().map(|&x| x as u8).collect()))
            }
            other => (n, other),
        })
        .collect()
}

/// `valid(false)` with the array `name` changed by `f`.
fn with(name: &str, f: impl Fn(Arr) -> Arr) -> Vec<(String, Arr)> {
    valid(false)
        .into_iter()
        .map(|(n, a)| if n == name { (n, f(a)) } else { (n, a) })
        .collect()
}

fn main() -> std::io::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: fuzz-seed-weights <dir>");
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir)?;
    let (st, df) = (CompressionMethod::Stored, CompressionMethod::Deflated);
    write(&dir.join("valid_stored.npz"), st, &valid(false))?;
    write(&dir.join("valid_deflated.npz"), df, &valid(false))?;
    write(&dir.join("per_channel.npz"), st, &valid(true))?;
    write(&dir.join("narrow.npz"), st, &narrow())?;
    let derived: Vec<_> = valid(false)
        .into_iter()
        .filter(|(n, _)| !n.starts_with("c0.s"))
        .collect();
    write(&dir.join("derived.npz"), st, &derived)?;
    let shape = with("dw.weight", |a| match a {
        Arr::I64(_, v) => Arr::I64(vec![v.len() as u64], v),
        other => other,
    });
    write(&dir.join("bad_shape.npz"), st, &shape)?;
    let range = with("c0.weight", |a| match a {
        Arr::I64(s, mut v) => {
            v[0] = 100;
            Arr::I64(s, v)
        }
        other => other,
    });
    write(&dir.join("out_of_range.npz"), st, &range)?;
    let float = with("fc.weight", |a| match a {
        Arr::I64(s, v) => Arr::F64(s, v.iter().map(|&x| x as f64).collect()),
        other => other,
    });
    write(&dir.join("float.npz"), st, &float)?;
    let boolean = with("fc.weight", |a| match a {
        Arr::I64(s, v) => Arr::Bool(s, v.iter().map(|&x| x > 0).collect()),
        other => other,
    });
    write(&dir.join("bool.npz"), st, &boolean)?;
    let unsigned = with("c0.bias", |a| match a {
        Arr::I64(s, v) => Arr::U64(s, v.iter().map(|&x| x as u64).collect()),
        other => other,
    });
    write(&dir.join("u64_bias.npz"), st, &unsigned)?;
    let mut extra = valid(false);
    extra.push(("ghost.weight".into(), Arr::I64(vec![1], vec![0])));
    write(&dir.join("extra.npz"), st, &extra)?;
    let missing: Vec<_> = valid(false)
        .into_iter()
        .filter(|(n, _)| n != "c0.shift")
        .collect();
    write(&dir.join("missing_shift.npz"), st, &missing)?;
    Ok(())
}
