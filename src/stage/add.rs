//! The add unit (`half::add` in the HLS library, `half_add` in hls/rtl/): two streams of
//! equal shape, `a*scale_a + b*scale_b`, then the epilogue. One description renders its HLS
//! call and arrays and its Verilog instance, and gives its cycle model.

use super::arrays;
use super::cycle::CycleModel;
use super::glue::Fifo;
use super::netlist::Instance;
use super::requant::Epilogue;
use super::{HlsArray, render};
use super::{HlsRequant, Ty};
use crate::format::ElemType;
use askama::Template;

/// One add unit of a layer.
#[derive(Debug, Clone, Copy)]
pub struct AddUnit<'a> {
    /// Words per frame.
    pub words: u64,
    /// Elements per word.
    pub pe: u32,
    /// The two inputs' element types.
    pub inputs: (ElemType, ElemType),
    /// What follows the sum.
    pub ep: Epilogue<'a>,
}

/// The HLS call (templates/hls/add.call).
#[derive(Template)]
#[template(path = "hls/add.call", escape = "none")]
struct AddCall<'a> {
    words: u64,
    pe: u32,
    a: Ty,
    b: Ty,
    acc: u32,
    rq: HlsRequant,
    o: Ty,
    relu: bool,
    input: &'a str,
    input_b: &'a str,
    output: &'a str,
}

impl AddUnit<'_> {
    /// The HLS side: its arrays (none: the scales and the shift are template arguments) and
    /// the call reading streams `a` and `b`, writing `out`.
    pub fn hls(&self, a: &str, b: &str) -> (Vec<HlsArray>, String) {
        let (rq, arrays) = arrays::requant(&self.ep, self.pe);
        let call = render(&AddCall {
            words: self.words,
            pe: self.pe,
            a: self.inputs.0.into(),
            b: self.inputs.1.into(),
            acc: self.ep.acc_bits(),
            rq,
            o: self.ep.out.into(),
            relu: self.ep.relu,
            input: a,
            input_b: b,
            output: "out",
        });
        (arrays, call)
    }

    /// The `half_add` instance of layer `name` over channels `a` and `b`.
    pub fn rtl(&self, name: &str, a: &str, b: &str, output: &str) -> Instance {
        let rq = self.ep.rtl();
        let (sa, sb) = match self.ep.requant {
            Some(r) => (r.scale[0], *r.scale.last().unwrap_or(&r.scale[0])),
            None => (1, 1),
        };
        let (ta, tb, o) = (self.inputs.0, self.inputs.1, self.ep.out);
        Instance::new("half_add", format!("add_{name}"), name)
            .int("WORDS", self.words as i64)
            .int("PE", self.pe)
            .int("AB", ta.bits)
            .int("AS", ta.signed && ta.bits > 1)
            .int("BB", tb.bits)
            .int("BS", tb.signed && tb.bits > 1)
            .int("ACC", self.ep.acc_bits())
            .int("HAS_RQ", rq.has)
            .int("SB", rq.sb)
            .int("OB", o.bits)
            .int("OS", o.signed && o.bits > 1)
            .int("RELU", self.ep.relu)
            .int("SCALE_A", sa)
            .int("SCALE_B", sb)
            .int("SCALE_LUT", rq.scale_lut)
            .int("SHIFT", rq.shift)
            .io(&[a, b], &[output])
    }
}

/// `half_add`: both inputs taken together while the 3-word output queue has room for the word
/// in the pipeline register.
#[derive(Debug, Clone)]
pub struct Add {
    queue: Fifo,
    v1: bool,
}

impl Add {
    /// The model of an idle unit.
    pub fn new() -> Self {
        Add {
            queue: Fifo::new(3),
            v1: false,
        }
    }
}

impl Default for Add {
    fn default() -> Self {
        Self::new()
    }
}

impl CycleModel for Add {
    fn valid(&self, _: usize) -> bool {
        self.queue.cnt != 0
    }
    fn ready(&self, port: usize, in_valid: &[bool]) -> bool {
        let ok = self.queue.cnt + u64::from(self.v1) < 3;
        ok && in_valid[1 - port]
    }
    fn step(&mut self, took: &[bool], gave: &[bool]) {
        let push = self.v1 && self.queue.ready(0, &[]);
        self.queue.step(&[push], gave);
        self.v1 = took[0];
    }
}
