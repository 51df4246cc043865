//! `half-gen lut`: a latency and resource lookup table in the manner of FBNet and
//! HW-NAS-Bench. For every distinct layer configuration the space produces (op, window,
//! input and output tensors, weight and accumulator types, requantisation) and every legal
//! folding of it (the same folds the optimizer chooses from, dominated ones included): cycles
//! per frame, latency, LUT, FF, BRAM18, URAM and DSP.
//!
//! A dataflow network's throughput is set by its slowest stage (max over stages of cycles per
//! frame), not by the sum of per-layer latencies; docs/search-space.md shows how to query the
//! table from Python with that rule.

use super::limits::{MAX_ARCHS, MAX_CONFIGS, MAX_JOBS, MAX_ROWS};
use super::space::Space;
use crate::board::Board;
use crate::error::{Error, Result};
use crate::ir;
use crate::model;
use crate::ops::NodeKind;
use crate::ops::mac_folds;
use crate::stage::HwCtx;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// One folding of one configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LutFold {
    /// Output channels in parallel.
    pub pe: u32,
    /// Input elements in parallel.
    pub simd: u32,
    /// Multiplier style (`-` without a choice).
    pub mult: &'static str,
    /// Weight memory (`-` without weights).
    pub mem: &'static str,
    /// Cycles per frame of the stage alone.
    pub cycles: u64,
    /// First input word to first output word at full input rate, cycles.
    pub latency_cycles: u64,
    /// LUTs.
    pub lut: u64,
    /// Flip-flops.
    pub ff: u64,
    /// 18 Kib block RAMs.
    pub bram18: u64,
    /// UltraRAMs.
    pub uram: u64,
    /// DSP slices.
    pub dsp: u64,
}

/// One distinct layer configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LutConfig {
    /// Index in the table.
    pub id: usize,
    /// Op kind.
    pub op: &'static str,
    /// The space layers that produce it.
    pub layers: Vec<String>,
    /// Input tensors (`[H, W, C] uint8`), by port.
    pub inputs: Vec<String>,
    /// Output tensor.
    pub output: String,
    /// `[kh, kw]`, windowed ops.
    pub kernel: Option<[u32; 2]>,
    /// `[sh, sw]`, windowed ops.
    pub stride: Option<[u32; 2]>,
    /// Resolved `[top, bottom, left, right]`, windowed ops.
    pub padding: Option<[u32; 4]>,
    /// Weight type, ops with weights.
    pub weight: Option<String>,
    /// Accumulator type.
    pub acc: String,
    /// `relu` or `none`.
    pub activation: String,
    /// MACs per frame.
    pub macs: u64,
    /// Weights and biases.
    pub params: u64,
    /// Every legal fold, fastest first.
    pub folds: Vec<LutFold>,
}

/// The whole table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lut {
    /// The space's name.
    pub space: String,
    /// The board.
    pub board: String,
    /// Its clock, MHz (cycles / clock = time).
    pub clock_mhz: f64,
    /// Choice vectors in the space.
    pub size: String,
    /// Distinct valid architectures whose layers were collected.
    pub architectures: usize,
    /// True when the space was sampled rather than enumerated.
    pub sampled: bool,
    /// The configurations.
    pub configs: Vec<LutConfig>,
}

/// Choice vectors collected in one parallel pass (bounds the vectors and layers held).
const CHUNK: usize = 4096;

/// The choice vectors to collect layers from, made one at a time: all of them when there are
/// at most `max`, else the all-first-options vector, one per other option, and seeded random
/// ones up to `max`.
struct Archs {
    sizes: Vec<usize>,
    sampled: bool,
    /// Vectors in all.
    total: usize,
    done: usize,
    /// The next vector when enumerating.
    cur: Vec<usize>,
    /// The variable and option of the last one-other-option vector when sampling.
    var: usize,
    opt: usize,
    rng: super::nsga2::Rng,
}

impl Archs {
    fn new(space: &Space, max: usize) -> Archs {
        let sizes: Vec<usize> = space.vars.iter().map(|v| v.options.len()).collect();
        let size = space.size();
        let sampled = size > max as u128;
        let singles: usize = sizes.iter().map(|n| n.saturating_sub(1)).sum();
        Archs {
            total: if sampled {
                singles.saturating_add(1).max(max)
            } else {
                size as usize
            },
            cur: vec![0; sizes.len()],
            sizes,
            sampled,
            done: 0,
            var: 0,
            opt: 0,
            rng: super::nsga2::Rng::new(0x4C55_5400),
        }
    }
}

impl Iterator for Archs {
    type Item = Vec<usize>;

    fn next(&mut self) -> Option<Vec<usize>> {
        if self.done >= self.total {
            return None;
        }
        self.done += 1;
        if !self.sampled {
            let out = self.cur.clone();
            for (a, &n) in self.cur.iter_mut().zip(&self.sizes) {
                *a += 1;
                if *a < n {
                    break;
                }
                *a = 0;
            }
            return Some(out);
        }
        if self.done == 1 {
            return Some(vec![0; self.sizes.len()]);
        }
        while self.var < self.sizes.len() {
            self.opt += 1;
            if self.opt < self.sizes[self.var] {
                let mut a = vec![0; self.sizes.len()];
                a[self.var] = self.opt;
                return Some(a);
            }
            self.var += 1;
            self.opt = 0;
        }
        Some(super::nsga2::random_arch(&mut self.rng, &self.sizes))
    }
}

type Found = Vec<(String, crate::ops::Node, String)>;

/// Distinct layer configurations, each with the space layers that make it.
type Configs = Vec<(crate::ops::Node, Vec<String>)>;

/// The layer nodes of one architecture: (configuration key, node, space layer name).
fn layers_of(space: &Space, arch: &[usize]) -> Option<(String, Found)> {
    let cand = space.materialise(arch);
    let m = model::parse(&cand.text, &space.file, &space.name, &space.dir).ok()?;
    let g = ir::build(&m).ok()?;
    let mut out = Vec::new();
    for n in g.layers() {
        let node = &g.g[n];
        let NodeKind::Layer { index, op } = &node.kind else {
            continue;
        };
        let line = m.layers.get(*index).map_or(0, |l| l.loc.line as usize);
        let space_layer = line
            .checked_sub(1)
            .and_then(|i| cand.origins.get(i))
            .and_then(|o| o.layer.clone())
            .unwrap_or_else(|| node.name.clone());
        let key = format!(
            "{op:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            node.inputs, node.out, node.acc, node.requant, node.activation
        );
        out.push((key, node.clone(), space_layer));
    }
    Some((cand.hash, out))
}

fn tensor(t: &crate::format::Tensor) -> String {
    format!("{} {}", t.shape, t.ty)
}

fn config(
    id: usize,
    node: &crate::ops::Node,
    layers: Vec<String>,
    board: &Board,
) -> Option<LutConfig> {
    let op = node.op()?;
    let o = op.op();
    let (window, weight) = (o.window(), o.weight_type());
    let hw = HwCtx { dsp: board.dsp() };
    let space = o.fold_space(node);
    let mut folds: Vec<LutFold> = mac_folds(&space, board.dsp_slices())
        .into_iter()
        .map(|f| {
            let c = o.cost(node, &f, &hw);
            LutFold {
                pe: f.pe,
                simd: f.simd,
                mult: if space.has_mult { f.mult.name() } else { "-" },
                mem: if space.has_weights { f.mem.name() } else { "-" },
                cycles: c.timing.cycles,
                latency_cycles: c.timing.first_need + c.timing.depth,
                lut: c.res.lut,
                ff: c.res.ff,
                bram18: c.res.bram18,
                uram: c.res.uram,
                dsp: c.res.dsp,
            }
        })
        .collect();
    folds.sort_by(|a, b| {
        (a.cycles, a.lut, a.pe, a.simd, a.mult, a.mem)
            .cmp(&(b.cycles, b.lut, b.pe, b.simd, b.mult, b.mem))
    });
    let input = node.inputs.first().map(|t| t.shape);
    Some(LutConfig {
        id,
        op: o.kind(),
        layers,
        inputs: node.inputs.iter().map(tensor).collect(),
        output: tensor(&node.out),
        kernel: window.map(|w| w.kernel),
        stride: window.map(|w| w.stride),
        padding: window.zip(input).map(|(w, s)| w.pads(s.h, s.w)),
        weight: weight.map(|w| w.to_string()),
        acc: node.acc.to_string(),
        activation: format!("{:?}", node.activation).to_lowercase(),
        macs: o.macs(node),
        params: o.params(node),
        folds,
    })
}

/// Builds the table of `space` for `board`, enumerating at most `max_archs` choice vectors
/// (a seeded sample covering every option beyond that) on `jobs` threads. A table beyond
/// [`MAX_CONFIGS`] configurations or [`MAX_ROWS`] rows is a usage error, found before the
/// rows are made.
pub fn build(space: &Space, board: &Board, max_archs: usize, jobs: usize) -> Result<Lut> {
    build_within(space, board, max_archs, jobs, (MAX_CONFIGS, MAX_ROWS))
}

/// The distinct layer configurations of the choice vectors, with the space layers making
/// each, in the order first met; at most `max_configs`.
fn collect(
    space: &Space,
    archs: &mut Archs,
    pool: &rayon::ThreadPool,
    max_configs: usize,
) -> Result<(Configs, usize)> {
    let mut seen_arch = HashSet::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut nodes: Configs = Vec::new();
    loop {
        let chunk: Vec<Vec<usize>> = archs.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            return Ok((nodes, seen_arch.len()));
        }
        let found: Vec<Option<(String, Found)>> =
            pool.install(|| chunk.par_iter().map(|a| layers_of(space, a)).collect());
        for (hash, layers) in found.into_iter().flatten() {
            if !seen_arch.insert(hash) {
                continue;
            }
            for (key, node, layer) in layers {
                match index.get(&key) {
                    Some(&i) => {
                        if !nodes[i].1.contains(&layer) {
                            nodes[i].1.push(layer);
                        }
                    }
                    None if nodes.len() >= max_configs => {
                        return Err(Error::LimitExceeded(format!(
                            "{}: the lookup table would hold more than {max_configs} layer configurations (the limit; {} choice vectors read so far); lower --max-archs or narrow the choices",
                            space.file, archs.done
                        )));
                    }
                    None => {
                        index.insert(key, nodes.len());
                        nodes.push((node, vec![layer]));
                    }
                }
            }
        }
    }
}

fn build_within(
    space: &Space,
    board: &Board,
    max_archs: usize,
    jobs: usize,
    (max_configs, max_rows): (usize, usize),
) -> Result<Lut> {
    if !(1..=MAX_ARCHS).contains(&max_archs) {
        return Err(Error::InvalidOption(format!(
            "--max-archs must be in 1..={MAX_ARCHS}, got {max_archs}"
        )));
    }
    if !(1..=MAX_JOBS).contains(&jobs) {
        return Err(Error::InvalidOption(format!(
            "--jobs must be in 1..={MAX_JOBS}, got {jobs}"
        )));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| Error::InvalidOption(format!("--jobs: {e}")))?;
    let mut archs = Archs::new(space, max_archs);
    let sampled = archs.sampled;
    let (nodes, architectures) = collect(space, &mut archs, &pool, max_configs)?;
    let dsp = board.dsp_slices();
    let rows: usize = pool.install(|| {
        nodes
            .par_iter()
            .map(|(n, _)| {
                n.op()
                    .map_or(0, |op| mac_folds(&op.op().fold_space(n), dsp).len())
            })
            .sum()
    });
    if rows > max_rows {
        return Err(Error::LimitExceeded(format!(
            "{}: the lookup table would hold {rows} (configuration, fold) rows, more than the limit of {max_rows}; lower --max-archs or narrow the choices",
            space.file
        )));
    }
    let configs: Vec<LutConfig> = pool.install(|| {
        nodes
            .par_iter()
            .enumerate()
            .filter_map(|(i, (n, l))| config(i, n, l.clone(), board))
            .collect()
    });
    Ok(Lut {
        space: space.name.clone(),
        board: board.name.clone(),
        clock_mhz: board.clock_mhz,
        size: space.size_text(),
        architectures,
        sampled,
        configs,
    })
}

/// The full table as CSV: one row per (configuration, fold).
pub fn csv(lut: &Lut) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| Error::Serialization(format!("writing CSV: {e}"));
    w.write_record([
        "id",
        "op",
        "layers",
        "inputs",
        "output",
        "kernel",
        "stride",
        "padding",
        "weight",
        "acc",
        "activation",
        "macs",
        "params",
        "pe",
        "simd",
        "mult",
        "mem",
        "cycles",
        "latency_cycles",
        "lut",
        "ff",
        "bram18",
        "uram",
        "dsp",
    ])
    .map_err(err)?;
    let list = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join("x");
    for c in &lut.configs {
        for f in &c.folds {
            w.write_record([
                c.id.to_string(),
                c.op.to_string(),
                c.layers.join(" "),
                c.inputs.join(" + "),
                c.output.clone(),
                c.kernel.map_or(String::new(), |k| list(&k)),
                c.stride.map_or(String::new(), |k| list(&k)),
                c.padding.map_or(String::new(), |k| list(&k)),
                c.weight.clone().unwrap_or_default(),
                c.acc.clone(),
                c.activation.clone(),
                c.macs.to_string(),
                c.params.to_string(),
                f.pe.to_string(),
                f.simd.to_string(),
                f.mult.to_string(),
                f.mem.to_string(),
                f.cycles.to_string(),
                f.latency_cycles.to_string(),
                f.lut.to_string(),
                f.ff.to_string(),
                f.bram18.to_string(),
                f.uram.to_string(),
                f.dsp.to_string(),
            ])
            .map_err(err)?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Serialization(format!("writing CSV: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_beyond_the_limits_are_refused() {
        let text = "name: t\ninput: {shape: [8, 8, 3], bits: 8}\nlayers:\n  - {name: c0, op: conv, channels: {choice: [4, 8, 16]}, kernel: 3, padding: same, weight_bits: 4, activation: relu, output: {bits: 4}}\n  - {name: fc, op: dense, units: 4, weight_bits: 8, output: {bits: 16, signed: true}}\n";
        let space =
            crate::commands::search::parse(text, "t.yaml", "t", std::path::Path::new(".")).unwrap();
        let board = crate::board::lookup("pynq-z2").unwrap();
        let build = |limits| build_within(&space, &board, 100, 1, limits);
        let full = build((100, 100_000)).unwrap();
        let n = full.configs.len();
        let rows: usize = full.configs.iter().map(|c| c.folds.len()).sum();
        assert_eq!(n, 6, "three convs and three dense layers");
        assert_eq!(build((n, rows)).unwrap(), full);
        let e = build((n - 1, rows)).unwrap_err().to_string();
        assert!(
            e.contains("more than 5 layer configurations (the limit"),
            "{e}"
        );
        let e = build((n, rows - 1)).unwrap_err().to_string();
        assert!(
            e.contains(&format!(
                "would hold {rows} (configuration, fold) rows, more than the limit of {}",
                rows - 1
            )),
            "{e}"
        );
    }
}
