//! The pool unit (`half::pool_window` / `half::pool_global` in the HLS library, `half_pool` in
//! hls/rtl/): a window maximum or sum behind a window generator (max and average pools), or
//! per-channel sums over the whole map (the global average pool), then the epilogue. One
//! description renders its HLS call and arrays and its Verilog instance, and gives its cycle
//! model.

use super::arrays;
use super::cycle::CycleModel;
use super::glue::Fifo;
use super::netlist::Instance;
use super::requant::Epilogue;
use super::{HlsArray, render};
use super::{HlsRequant, Ty};
use crate::format::ElemType;
use askama::Template;

/// One pool unit of a layer.
#[derive(Debug, Clone, Copy)]
pub struct PoolUnit<'a> {
    /// Sums over the whole map (no window).
    pub global: bool,
    /// Maximum instead of sum.
    pub max: bool,
    /// Channels.
    pub c: u32,
    /// Window positions (1 for a global pool).
    pub kk: u32,
    /// Channels per word.
    pub pe: u32,
    /// Output pixels (a window pool) or input pixels (a global pool).
    pub pixels: u64,
    /// Input element type (after any window generator).
    pub x: ElemType,
    /// Accumulator bits.
    pub acc: u32,
    /// What follows the accumulation.
    pub ep: Epilogue<'a>,
}

/// The HLS call (templates/hls/pool.call).
#[derive(Template)]
#[template(path = "hls/pool.call", escape = "none")]
struct PoolCall<'a> {
    global: bool,
    max: bool,
    c: u32,
    kk: u32,
    pe: u32,
    pixels: u64,
    x: Ty,
    acc: u32,
    rq: HlsRequant,
    o: Ty,
    input: &'a str,
    output: &'a str,
}

impl PoolUnit<'_> {
    /// The HLS side: the scale and shift arrays and the call reading stream `input`, writing
    /// `out`.
    pub fn hls(&self, input: &str) -> (Vec<HlsArray>, String) {
        let (rq, arrays) = arrays::requant(&self.ep, self.pe);
        let call = render(&PoolCall {
            global: self.global,
            max: self.max,
            c: self.c,
            kk: self.kk,
            pe: self.pe,
            pixels: self.pixels,
            x: self.x.into(),
            acc: self.acc,
            rq,
            o: self.ep.out.into(),
            input,
            output: "out",
        });
        (arrays, call)
    }

    /// The `half_pool` instance of layer `name` from channel `input` to `output`; None for a
    /// per-channel scale and shift, which the module lacks (per-channel thresholds it has).
    pub fn rtl(&self, name: &str, input: &str, output: &str) -> Option<Instance> {
        let rq = self.ep.rtl();
        if rq.per_channel {
            return None;
        }
        let o = self.ep.out;
        Some(
            Instance::new("half_pool", format!("pool_{name}"), name)
                .int("C", self.c)
                .int("KK", self.kk)
                .int("PE", self.pe)
                .int("PIXELS", self.pixels as i64)
                .int("XB", self.x.bits)
                .int("XS", self.x.signed && self.x.bits > 1)
                .int("MAX", self.max)
                .int("GLOBAL", self.global)
                .int("ACC", self.acc)
                .int("HAS_RQ", rq.has)
                .int("SB", rq.sb)
                .int("OB", o.bits)
                .int("OS", o.signed && o.bits > 1)
                .int("SCALE", rq.scale)
                .int("SCALE_LUT", rq.scale_lut)
                .int("SHIFT", rq.shift)
                .int("NT", rq.thresholds)
                .int("TB", self.acc + 1)
                .int("TBIAS", rq.tbias)
                .int("TSEARCH", rq.tsearch)
                .str("QFILE", format!("mem/{name}_q.hex"))
                .io(&[input], &[output]),
        )
    }
}

impl PoolUnit<'_> {
    /// The thresholds memory of `half_pool` (`mem/NAME_q.hex`), when the layer has thresholds:
    /// one line per channel fold, PE lanes of NT thresholds of `ACC + 1` bits.
    pub fn memories(&self, name: &str) -> Vec<(String, String)> {
        use std::fmt::Write;
        let Some(t) = self.ep.thresholds else {
            return Vec::new();
        };
        let tb = self.acc + 1;
        let tty = ElemType {
            bits: tb,
            signed: true,
        };
        let rows = arrays::threshold_rows(&self.ep, t);
        let (nt, pe) = (t.count as usize, self.pe as usize);
        let mut text = String::new();
        for f in 0..(self.c as usize).div_ceil(pe.max(1)) {
            let elems: Vec<u64> = (0..pe)
                .flat_map(|p| (0..nt).map(move |i| (f * pe + p) * nt + i))
                .map(|k| arrays::raw(rows.get(k).copied().unwrap_or(0), tty))
                .collect();
            let _ = writeln!(text, "{}", arrays::hex_word(&elems, tb));
        }
        vec![(format!("{name}_q.hex"), text)]
    }
}

/// `half_pool`: a window pool (one output per KK words, 1 register before a 3-word queue) or a
/// global pool (channel sums over PIXELS pixels, 2 registers before a 4-word queue).
#[derive(Debug, Clone)]
pub struct Pool {
    global: bool,
    kk: u64,
    cf: u64,
    pixels: u64,
    queue: Fifo,
    // window pool
    k: u64,
    done1: bool,
    // global pool
    c: u64,
    px: u64,
    v1: bool,
    last1: bool,
    v2: bool,
    last2: bool,
}

impl Pool {
    /// The model of a pool over `kk` window positions (or, `global`, `pixels` pixels) of `cf`
    /// channel folds.
    pub fn new(global: bool, kk: u64, cf: u64, pixels: u64) -> Self {
        Pool {
            global,
            kk,
            cf,
            pixels,
            queue: Fifo::new(if global { 4 } else { 3 }),
            k: 0,
            done1: false,
            c: 0,
            px: 0,
            v1: false,
            last1: false,
            v2: false,
            last2: false,
        }
    }
    fn in_flight(&self) -> u64 {
        if self.global {
            u64::from(self.v1 && self.last1) + u64::from(self.v2 && self.last2)
        } else {
            u64::from(self.done1)
        }
    }
}

impl CycleModel for Pool {
    fn valid(&self, _: usize) -> bool {
        self.queue.cnt != 0
    }
    fn ready(&self, _: usize, _: &[bool]) -> bool {
        self.queue.cnt + self.in_flight() < self.queue.depth
    }
    fn step(&mut self, took: &[bool], gave: &[bool]) {
        let take = took[0];
        if self.global {
            let push = self.v2 && self.last2 && self.queue.ready(0, &[]);
            self.queue.step(&[push], gave);
            if self.v1 {
                self.last2 = self.last1;
            }
            self.v2 = self.v1;
            if take {
                self.last1 = self.px == self.pixels - 1;
            }
            self.v1 = take;
            if take {
                if self.c == self.cf - 1 {
                    self.c = 0;
                    self.px = if self.px == self.pixels - 1 {
                        0
                    } else {
                        self.px + 1
                    };
                } else {
                    self.c += 1;
                }
            }
        } else {
            let push = self.done1 && self.queue.ready(0, &[]);
            self.queue.step(&[push], gave);
            let last = self.k == self.kk - 1;
            self.done1 = take && last;
            if take {
                self.k = if last { 0 } else { self.k + 1 };
            }
        }
    }
}
