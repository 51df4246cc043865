//! The concatenation unit (`half::concat` in the HLS library, `half_concat` in hls/rtl/): per
//! pixel, the words of input `a`, then the words of input `b`, each element requantised to the
//! output type or passed through, one word a cycle. A layer of N inputs chains N - 1 of them
//! (`ops::concat`). One description renders the unit's HLS call and its Verilog instance, and
//! gives its cycle model and cost.

use super::cycle::CycleModel;
use super::glue::{self, Fifo};
use super::netlist::Instance;
use super::requant::signed_bits;
use super::{Ty, Unit, render};
use crate::cost::{DspKind, Resources, clog2, const_mult_bits, mult_dsps};
use crate::format::ElemType;
use askama::Template;

/// Pipeline depth of the unit: the input register, then the output queue.
pub const CONCAT_DEPTH: u64 = 2;

/// One input side of a concatenation unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Side {
    /// Words of this input per pixel.
    pub words: u64,
    /// Its element type.
    pub ty: ElemType,
    /// Its scale when it is requantised (the shift is the unit's), None when passed through.
    pub scale: Option<i64>,
}

/// One concatenation unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConcatUnit {
    /// Pixels per frame.
    pub pixels: u64,
    /// Channels per word (of every input and the output).
    pub pe: u32,
    /// The input read first in every pixel.
    pub a: Side,
    /// The input read second.
    pub b: Side,
    /// The shift of the requantised sides.
    pub shift: i64,
    /// Output element type.
    pub out: ElemType,
    /// ReLU after requantisation.
    pub relu: bool,
}

/// The HLS call (templates/hls/concat.call).
#[derive(Template)]
#[template(path = "hls/concat.call", escape = "none")]
struct ConcatCall<'a> {
    u: &'a ConcatUnit,
    a: Ty,
    b: Ty,
    o: Ty,
    acc: u32,
    rq_a: bool,
    scale_a: i64,
    rq_b: bool,
    scale_b: i64,
    input: &'a str,
    input_b: &'a str,
    output: &'a str,
}

/// DSP slices and fabric LUTs of one lane's constant scaling of side `s`. Yosys trims an
/// unsigned element (zero-extended) times a positive constant to an unsigned product of
/// `bits x (odd part's bits)`, and keeps products under 9 bits in the fabric
/// ([`mult_dsps`]), where a constant of `k` set bits is `k - 1` adders of about the element's
/// width. Measured with Yosys 0.23 on `half_decode_scale`: 4-bit unsigned x 5 takes 4 LUTs and
/// no DSP, 8-bit unsigned x 5 one DSP48E1.
fn scaling(s: &Side, dsp: DspKind) -> (u64, u64) {
    let Some(c) = s.scale else { return (0, 0) };
    let cb = const_mult_bits(c);
    if cb == 0 {
        return (0, 0);
    }
    let unsigned = !s.ty.signed && s.ty.bits > 1 && c > 0;
    let (a, b) = if unsigned {
        (s.ty.bits, cb - 1)
    } else {
        (s.ty.decoded_bits(), cb)
    };
    match mult_dsps(a, b, dsp) {
        0 => {
            let odd = c >> c.trailing_zeros();
            let adders = u64::from(odd.unsigned_abs().count_ones().saturating_sub(1));
            (0, adders * u64::from(a))
        }
        n => (n, 0),
    }
}

impl ConcatUnit {
    /// Words per frame it writes.
    pub fn out_words(&self) -> u64 {
        self.pixels * (self.a.words + self.b.words)
    }

    /// Bits of the signed scale constants.
    fn scale_bits(&self) -> u32 {
        let scales: Vec<i64> = [self.a.scale, self.b.scale].into_iter().flatten().collect();
        signed_bits(&scales).max(2)
    }

    /// The width of the datapath: every scaled element and every element passed through.
    pub fn acc_bits(&self) -> u32 {
        let side = |s: &Side| match s.scale {
            Some(c) => {
                let (x, y) = (s.ty.min() * c, s.ty.max() * c);
                ElemType::for_range(x.min(y), x.max(y)).bits + 1
            }
            None => s.ty.decoded_bits() + 1,
        };
        side(&self.a)
            .max(side(&self.b))
            .max(self.out.decoded_bits() + 1)
    }

    /// The HLS call reading streams `a` and `b`, writing `out`.
    pub fn hls(&self, a: &str, b: &str, out: &str) -> String {
        render(&ConcatCall {
            u: self,
            a: self.a.ty.into(),
            b: self.b.ty.into(),
            o: self.out.into(),
            acc: self.acc_bits(),
            rq_a: self.a.scale.is_some(),
            scale_a: self.a.scale.unwrap_or(1),
            rq_b: self.b.scale.is_some(),
            scale_b: self.b.scale.unwrap_or(1),
            input: a,
            input_b: b,
            output: out,
        })
    }

    /// The `half_concat` instance `name` of layer `layer` over channels `a` and `b`.
    pub fn rtl(&self, layer: &str, name: &str, a: &str, b: &str, out: &str) -> Instance {
        let ty = |t: ElemType| (t.bits, t.signed && t.bits > 1);
        let ((ab, as_), (bb, bs), (ob, os)) = (ty(self.a.ty), ty(self.b.ty), ty(self.out));
        Instance::new("half_concat", name, layer)
            .int("PIXELS", self.pixels as i64)
            .int("WA", self.a.words as i64)
            .int("WB", self.b.words as i64)
            .int("PE", self.pe)
            .int("AB", ab)
            .int("AS", as_)
            .int("BB", bb)
            .int("BS", bs)
            .int("ACC", self.acc_bits())
            .int("SB", self.scale_bits())
            .int("OB", ob)
            .int("OS", os)
            .int("RELU", self.relu)
            .int("RQ_A", self.a.scale.is_some())
            .int("SCALE_A", self.a.scale.unwrap_or(1))
            .int("RQ_B", self.b.scale.is_some())
            .int("SCALE_B", self.b.scale.unwrap_or(1))
            .int("SHIFT", self.shift)
            .io(&[a, b], &[out])
    }

    /// The unit's cost (as `half_concat` builds it): per lane the select of the two sides and
    /// the output bits (`OB` LUTs), plus the finish logic when a side is requantised (`ACC`
    /// more), the input register of `ACC` flip-flops; a constant scale that is no power of two
    /// is a product in DSP slices or in adders ([`scaling`]); the position counter
    /// (2 LUTs and a flip-flop a bit); a 3-word output queue ([`glue::fifo_styled`]). Fitted
    /// to Yosys 0.23 `synth_xilinx -family xc7` on six instances (PE 1 to 16, with and without
    /// requantisation): LUTs within 13 %, flip-flops exact (docs/cost-model.md, "concat").
    pub fn cost(&self, dsp: DspKind) -> Unit {
        let pe = self.pe as u64;
        let acc = self.acc_bits() as u64;
        let out = self.out.bits as u64;
        let rq = self.a.scale.is_some() || self.b.scale.is_some();
        let (dsps, fabric): (Vec<u64>, Vec<u64>) =
            [&self.a, &self.b].iter().map(|s| scaling(s, dsp)).unzip();
        let lane_lut = out + if rq { acc } else { 0 } + fabric.iter().sum::<u64>();
        let counter = clog2(self.a.words + self.b.words).max(1);
        let res = glue::fifo_styled(3, pe * out, false)
            + Resources {
                lut: 2 * counter + pe * lane_lut,
                ff: 2 + counter + pe * acc,
                dsp: pe * dsps.iter().sum::<u64>(),
                ..Default::default()
            };
        Unit {
            kind: "concat",
            cycles: self.out_words(),
            res,
            store: None,
        }
    }

    /// The cycle model of an instance.
    pub fn cycle_model(inst: &Instance) -> crate::Result<Concat> {
        let (wa, wb) = (inst.param("WA")?, inst.param("WB")?);
        Ok(Concat {
            queue: Fifo::new(3),
            v1: false,
            wa: wa as u64,
            wn: (wa + wb) as u64,
            w: 0,
        })
    }
}

/// `half_concat`: the word of the side the position counter names is taken while the 3-word
/// output queue has room for the word in the pipeline register.
#[derive(Debug, Clone)]
pub struct Concat {
    queue: Fifo,
    v1: bool,
    /// Words of input a per pixel.
    wa: u64,
    /// Words per pixel.
    wn: u64,
    /// Position in the pixel.
    w: u64,
}

impl CycleModel for Concat {
    fn valid(&self, _: usize) -> bool {
        self.queue.cnt != 0
    }
    fn ready(&self, port: usize, _: &[bool]) -> bool {
        let ok = self.queue.cnt + u64::from(self.v1) < 3;
        ok && usize::from(self.w >= self.wa) == port
    }
    fn step(&mut self, took: &[bool], gave: &[bool]) {
        let push = self.v1 && self.queue.ready(0, &[]);
        self.queue.step(&[push], gave);
        let take = took[0] || took[1];
        self.v1 = take;
        if take {
            self.w = if self.w + 1 == self.wn { 0 } else { self.w + 1 };
        }
    }
}
