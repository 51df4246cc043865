//! The matrix-vector unit (`half::mvu` in the HLS library, `half_mvu` in hls/rtl/: conv and
//! dense) and the vector-vector unit (`half::vvu`, `half_vvu`: dwconv), which differ only in
//! how the weight matrix is read: one description renders both units' HLS call and constant
//! arrays, their Verilog instance and memory files, and gives their cycle model. Their cost is
//! in `mvu_cost`.

use super::arrays::{self, hex_word, raw};
use super::cycle::CycleModel;
use super::mvu_cost::{input_store, weight_at};
use super::netlist::Instance;
use super::requant::Epilogue;
use super::{Fold, HlsArray, HwCtx, RtlStage, render};
use super::{HlsRequant, Ty, style};
use crate::cost::{MemStyle, MultStyle};
use crate::format::ElemType;
use askama::Template;
use std::fmt::Write;

/// One matrix-vector (or, `depthwise`, vector-vector) unit of a layer.
#[derive(Debug, Clone, Copy)]
pub struct MacUnit<'a> {
    /// The vector-vector unit (one weight vector per channel) instead of the matrix unit.
    pub depthwise: bool,
    /// Matrix width: inputs summed per output (the vector unit: kernel positions `KK`).
    pub mw: u64,
    /// Matrix height: outputs per pixel (the vector unit: channels `C`).
    pub mh: u64,
    /// Output pixels per frame.
    pub pixels: u64,
    /// PE, SIMD, multiplier and memory styles.
    pub fold: Fold,
    /// Activation (window) element type.
    pub x: ElemType,
    /// Weight type.
    pub wt: ElemType,
    /// Whether biases are added.
    pub has_bias: bool,
    /// What follows the accumulation.
    pub ep: Epilogue<'a>,
}

/// The HLS call of either unit (templates/hls/mac.call).
#[derive(Template)]
#[template(path = "hls/mac.call", escape = "none")]
struct MacCall<'a> {
    unit: &'a str,
    dims: (u64, u64),
    simd: u32,
    pe: u32,
    pixels: u64,
    x: Ty,
    w: Ty,
    acc: u32,
    has_bias: bool,
    rq: HlsRequant,
    o: Ty,
    relu: bool,
    style: &'a str,
    /// The matrix unit's input-buffer storage (`bram`, `lutram`, `registers`); empty for the vector
    /// unit, which has none.
    xstore: &'static str,
    input: &'a str,
    output: &'a str,
}

impl MacUnit<'_> {
    /// The RTL units' `ACC`: the exact accumulator, but never narrower than one product
    /// (`PB = WB + XB + 2` bits: the modules sign-extend every product to `ACC` bits). Wider
    /// holds the same values.
    fn rtl_acc(&self) -> u32 {
        self.ep.acc_bits().max(self.wt.bits + self.x.bits + 2)
    }

    /// The packing of the fold's products on `dsp` (the packed style only).
    fn packing(&self, dsp: crate::cost::DspKind) -> Option<crate::stage::mvu_cost::Packing> {
        crate::stage::mvu_cost::packing_of(self.fold.mult, self.wt, self.x, dsp)
    }

    /// Synapse folds `ceil(MW / SIMD)` and neuron folds `ceil(MH / PE)`.
    fn folds(&self) -> (u64, u64) {
        (
            self.mw.div_ceil(self.fold.simd as u64),
            self.mh.div_ceil(self.fold.pe as u64),
        )
    }

    /// The matrix the hardware runs: `MW` and `MH` rounded up to whole SIMD and PE words
    /// (padded lanes: zero weights; the width converters in front zero the padded inputs and
    /// the ones behind drop the padded outputs).
    fn hw_dims(&self) -> (u64, u64) {
        let (sf, nf) = self.folds();
        (sf * self.fold.simd as u64, nf * self.fold.pe as u64)
    }

    /// The epilogue over the padded channels (per-channel parameters past the last channel
    /// are zero).
    fn hw_epilogue(&self) -> Epilogue<'_> {
        Epilogue {
            channels: self.hw_dims().1 as u32,
            ..self.ep
        }
    }

    /// The HLS side: the constant arrays (packed weights `weights[PE][ROWS]`, biases, scale and
    /// shift) and the library call reading stream `input` and writing `out`, the matrix unit's
    /// input buffer stored as [`crate::stage::mvu_cost::input_store`] says for `hw`.
    pub fn hls(
        &self,
        weights: &[i64],
        bias: &[i64],
        input: &str,
        hw: &HwCtx,
    ) -> (Vec<HlsArray>, String) {
        let (pe, simd) = (self.fold.pe, self.fold.simd);
        let (sf, nf) = self.folds();
        let at = weight_at(weights, self.mw, self.mh, &self.fold);
        let acc = self.ep.acc_bits();
        let (mw, mh) = self.hw_dims();
        let (rq, rq_arrays) = arrays::requant(&self.hw_epilogue(), pe);
        let mut out = vec![
            arrays::weights(pe, sf * nf, simd, self.wt, self.fold.mem, at),
            arrays::bias(pe, mh as u32, acc, bias),
        ];
        out.extend(rq_arrays);
        let (unit, dims, xstore) = if self.depthwise {
            ("vvu", (mh, mw), "")
        } else {
            let store = input_store(mw, mh, &self.fold, self.x.bits, hw);
            ("mvu", (mw, mh), store)
        };
        let call = render(&MacCall {
            unit,
            dims,
            simd,
            pe,
            pixels: self.pixels,
            x: self.x.into(),
            w: self.wt.into(),
            acc,
            has_bias: self.has_bias,
            rq,
            o: self.ep.out.into(),
            relu: self.ep.relu,
            style: &style(self.fold.mult, self.packing(hw.dsp)),
            xstore,
            input,
            output: "out",
        });
        (out, call)
    }

    /// The Verilog side: the `half_mvu` (or `half_vvu`) instance of layer `name` from channel
    /// `input` to `output`, with its weight, bias and requantisation memory files when the
    /// layer's `weights` (input-major, docs/model-format.md) are given; the ROM rows are laid
    /// out by [`weight_at`], as the HLS arrays are.
    pub fn rtl(
        &self,
        name: &str,
        weights: Option<(&[i64], &[i64])>,
        (input, output): (&str, &str),
        hw: &HwCtx,
    ) -> RtlStage {
        let pack = self.packing(hw.dsp);
        let rq = self.ep.rtl();
        let mems = weights.map_or_else(Vec::new, |(w, b)| self.memories(name, w, b));
        let (o, f) = (self.ep.out, self.fold);
        let (mw, mh) = self.hw_dims();
        let inst = if self.depthwise {
            Instance::new("half_vvu", format!("vvu_{name}"), name)
                .int("C", mh as i64)
                .int("KK", mw as i64)
        } else {
            Instance::new("half_mvu", format!("mvu_{name}"), name)
                .int("MW", mw as i64)
                .int("MH", mh as i64)
        };
        let rom = if f.mem == MemStyle::Bram {
            "block"
        } else {
            "distributed"
        };
        let inst = inst
            .int("SIMD", f.simd)
            .int("PE", f.pe)
            .int("XB", self.x.bits)
            .int("XS", self.x.signed && self.x.bits > 1)
            .int("WB", self.wt.bits)
            .int("ACC", self.rtl_acc())
            .int("HAS_BIAS", self.has_bias)
            .int("HAS_RQ", rq.has)
            .int("SB", rq.sb)
            .int("PERCH", rq.per_channel)
            .int("NT", rq.thresholds)
            .int("TB", self.ep.acc_bits() + 1)
            .int("TBIAS", rq.tbias)
            .int("TSEARCH", rq.tsearch)
            .int("SCALE", rq.scale)
            .int("SCALE_LUT", rq.scale_lut)
            .int("SHIFT", rq.shift)
            .int("OB", o.bits)
            .int("OS", o.signed && o.bits > 1)
            .int("RELU", self.ep.relu)
            .int("USE_DSP", f.mult != MultStyle::Lut)
            .str("ROM_STYLE", rom)
            .str("WFILE", format!("mem/{name}_w.hex"))
            .str("BFILE", format!("mem/{name}_b.hex"))
            .str("QFILE", format!("mem/{name}_q.hex"))
            .io(&[input], &[output]);
        // The matrix unit's packing (the vector unit's PEs share no activation).
        let inst = match pack {
            Some(p) if !self.depthwise => inst.int("PACK", p.lanes).int("LANE", p.lane_bits),
            _ => inst,
        };
        RtlStage {
            channels: Vec::new(),
            instances: vec![inst],
            mems,
        }
    }

    /// The `$readmemh` files: weights (one row of PE x SIMD words per line), biases (when the
    /// layer has them) and per-channel scale and shift (when they vary by channel).
    fn memories(&self, name: &str, weights: &[i64], bias: &[i64]) -> Vec<(String, String)> {
        let (pe, simd) = (self.fold.pe, self.fold.simd);
        let (sf, nf) = self.folds();
        let acc = self.rtl_acc();
        let rq = self.ep.rtl();
        let weight = weight_at(weights, self.mw, self.mh, &self.fold);
        let mut w = String::new();
        for r in 0..nf * sf {
            let elems: Vec<u64> = (0..pe)
                .flat_map(|p| (0..simd).map(move |s| (p, s)))
                .map(|(p, s)| raw(weight(p, r, s), self.wt))
                .collect();
            let _ = writeln!(w, "{}", hex_word(&elems, self.wt.bits));
        }
        let mut mems = vec![(format!("{name}_w.hex"), w)];
        // One line per neuron fold: PE fields of the value of channel `f * PE + p`.
        let per_fold = |bits: u32, value: &dyn Fn(usize) -> u64| {
            let mut text = String::new();
            for f in 0..nf {
                let elems: Vec<u64> = (0..pe as u64)
                    .map(|p| value((f * pe as u64 + p) as usize))
                    .collect();
                let _ = writeln!(text, "{}", hex_word(&elems, bits));
            }
            text
        };
        if self.has_bias {
            let accty = ElemType {
                bits: acc,
                signed: true,
            };
            let b = per_fold(acc, &|ch| raw(bias.get(ch).copied().unwrap_or(0), accty));
            mems.push((format!("{name}_b.hex"), b));
        }
        if let Some(t) = self.ep.thresholds {
            // One line per neuron fold: PE lanes of NT thresholds, `TB` bits each.
            let tb = self.ep.acc_bits() + 1;
            let tty = ElemType {
                bits: tb,
                signed: true,
            };
            let rows = arrays::threshold_rows(&self.hw_epilogue(), t);
            let nt = t.count as usize;
            let mut text = String::new();
            for f in 0..nf as usize {
                let elems: Vec<u64> = (0..pe as usize)
                    .flat_map(|p| (0..nt).map(move |i| (f * pe as usize + p) * nt + i))
                    .map(|k| raw(rows.get(k).copied().unwrap_or(0), tty))
                    .collect();
                let _ = writeln!(text, "{}", hex_word(&elems, tb));
            }
            mems.push((format!("{name}_q.hex"), text));
        } else if rq.per_channel
            && let Some(r) = self.ep.requant
        {
            // Padded channels (past the last) get zeros.
            let pick = |v: &[i64], i: usize| {
                if v.len() == 1 {
                    v[0]
                } else {
                    v.get(i).copied().unwrap_or(0)
                }
            };
            let sty = ElemType {
                bits: rq.sb,
                signed: true,
            };
            let q = per_fold(rq.sb + 6, &|ch| {
                (pick(&r.shift, ch) as u64) << rq.sb | raw(pick(&r.scale, ch), sty)
            });
            mems.push((format!("{name}_q.hex"), q));
        }
        mems
    }

    /// The cycle model of the instance.
    pub fn cycle_model(inst: &Instance) -> crate::Result<Mvu> {
        let p = |n: &str| inst.param(n);
        Ok(if inst.module == "half_vvu" {
            Mvu::new(
                (p("KK")? / p("SIMD")?) as u64,
                (p("C")? / p("PE")?) as u64,
                false,
            )
        } else {
            Mvu::new(
                (p("MW")? / p("SIMD")?) as u64,
                (p("MH")? / p("PE")?) as u64,
                true,
            )
        })
    }
}

/// `half_mvu` / `half_vvu`: one iteration per cycle over (nf, sf), issued while the 8-word output
/// queue can take every output in flight; the matrix unit reads its input only while nf = 0
/// (`replay`), the depthwise unit on every iteration. Outputs enter the queue 4 edges after the
/// last iteration of their row issued (valid 5 cycles after it).
#[derive(Debug, Clone)]
pub struct Mvu {
    sf_n: u64,
    nf_n: u64,
    replay: bool,
    sf: u64,
    nf: u64,
    q_count: u64,
    inflight: u64,
    v: [bool; 3],
    last: [bool; 3],
    v4: bool,
}

impl Mvu {
    /// `sf_n` synapse folds, `nf_n` neuron folds; `replay`: the input is read once per
    /// neuron fold's first pass (the matrix unit) instead of every fold (the vector unit).
    pub fn new(sf_n: u64, nf_n: u64, replay: bool) -> Self {
        Mvu {
            sf_n,
            nf_n,
            replay,
            sf: 0,
            nf: 0,
            q_count: 0,
            inflight: 0,
            v: [false; 3],
            last: [false; 3],
            v4: false,
        }
    }
    fn space(&self) -> bool {
        self.q_count + self.inflight < 8
    }
    fn need_in(&self) -> bool {
        !self.replay || self.nf == 0
    }
}

impl CycleModel for Mvu {
    fn valid(&self, _: usize) -> bool {
        self.q_count != 0
    }
    fn ready(&self, _: usize, _: &[bool]) -> bool {
        self.need_in() && self.space()
    }
    fn step(&mut self, took: &[bool], gave: &[bool]) {
        // The depthwise unit's iteration counter is (cf, kf): `nf` counts channel folds.
        let go = if self.need_in() {
            took[0]
        } else {
            self.space()
        };
        let is_last = self.sf == self.sf_n - 1;
        let push = self.v4;
        self.q_count = self.q_count + u64::from(push) - u64::from(gave[0]);
        self.inflight = self.inflight + u64::from(go && is_last) - u64::from(push);
        self.v4 = self.v[2] && self.last[2];
        self.v[2] = self.v[1];
        self.last[2] = self.last[1];
        self.v[1] = self.v[0];
        self.last[1] = self.last[0];
        self.v[0] = go;
        if go {
            self.last[0] = is_last;
            if is_last {
                self.sf = 0;
                self.nf = if self.nf == self.nf_n - 1 {
                    0
                } else {
                    self.nf + 1
                };
            } else {
                self.sf += 1;
            }
        }
    }
}
