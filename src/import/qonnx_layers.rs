//! The QONNX walk's layers: the operators that start a layer (`Conv`, `MatMul`, `Gemm`, the
//! pools, `Add`, `Concat`), the steps that follow its accumulator (`BatchNormalization`,
//! `Relu`, `Mul`, `Div`, `Add` of a constant) and the end of a pending layer: thresholds or a
//! scale when a quantizer is met ([`Walk::finish_layer`]), a plain accumulator otherwise
//! ([`Walk::materialize`]).

use super::chain::{Chain, Step};
use super::common::{self, IntTensor};
use super::emit::LayerOut;
use super::onnx::OnnxNode;
use super::qonnx::{IntVal, Pending, QConst, Val, Walk, scale_step};
use crate::error::Result;
use crate::format::ElemType;

/// The largest magnitude of a value of `t`.
fn magnitude(t: ElemType) -> i64 {
    t.min().abs().max(t.max().abs())
}

/// `[lo, hi]` of `n` products of weights of type `w` and inputs of type `x`.
fn products(n: u64, w: ElemType, x: ElemType) -> (i64, i64) {
    let m = (n as i64)
        .saturating_mul(magnitude(w))
        .saturating_mul(magnitude(x));
    (-m, m)
}

fn weight_type(c: &QConst) -> ElemType {
    ElemType {
        bits: c.bits,
        signed: true,
    }
}

fn list(v: &[i64]) -> String {
    let s: Vec<String> = v.iter().map(i64::to_string).collect();
    format!("[{}]", s.join(", "))
}

impl Walk<'_> {
    fn int_input(&self, node: &OnnxNode, k: usize) -> Result<IntVal> {
        match self.val(node, k)? {
            Val::Int(v) if !v.t.src.is_empty() => Ok(v),
            Val::Int(_) => {
                Err(self.err(node, "the input is not quantized: a Quant must come first"))
            }
            Val::Acc(_) => Err(self.err(
                node,
                "the input is a layer's unquantized output (a Quant must come between)",
            )),
            Val::Weight(_) => Err(self.err(node, "the data input is a constant")),
        }
    }

    fn weight_input(&self, node: &OnnxNode, k: usize) -> Result<QConst> {
        match self.val(node, k) {
            Ok(Val::Weight(c)) => Ok(c),
            _ => Err(self.err(node, "the weights must be a quantized constant (Quant or BipolarQuant of an initializer)")),
        }
    }

    /// `Conv`: a conv (group 1) or dwconv (group = channels = output channels).
    pub(super) fn conv(&mut self, node: &OnnxNode) -> Result<()> {
        let x = self.int_input(node, 0)?;
        let w = self.weight_input(node, 1)?;
        let d = match w.dims.as_slice() {
            [a, b, c, e] if [a, b, c, e].iter().all(|&&x| x > 0) => [*a, *b, *c, *e],
            _ => return Err(self.err(node, "the weights must be [Cout, Cin, kh, kw]")),
        };
        let win = common::window(self.m, node, Some([d[2] as u64, d[3] as u64]))?;
        let (cin, (h, wd)) = (x.t.channels() as usize, x.t.hw());
        let group = node.int("group").unwrap_or(1).max(1) as usize;
        let name = self.names.layer(&node.name);
        let (op, weights) = if group == 1 && d[1] == cin {
            let w_ours = common::conv_weights(&w.ints, d);
            (
                "conv",
                (
                    vec![d[2] as u64, d[3] as u64, cin as u64, d[0] as u64],
                    w_ours,
                ),
            )
        } else if group == cin && d[0] == cin && d[1] == 1 {
            (
                "dwconv",
                (
                    vec![d[2] as u64, d[3] as u64, cin as u64],
                    common::dw_weights(&w.ints, d),
                ),
            )
        } else {
            return Err(self.err(node, format!("group {group} with weights {:?} on {cin} channels: half-gen imports group 1 and depthwise (group = channels)", w.dims)));
        };
        let mut layer = LayerOut::new(&name, op, vec![x.t.src.clone()]);
        if op == "conv" {
            layer = layer.key("channels", d[0]);
        }
        layer = win
            .keys(layer)
            .key("weight_bits", w.bits)
            .key("bias", false);
        let (oh, ow) = win.out_hw(h, wd);
        let mut chain = Chain {
            s0: w.scale.iter().map(|s| s * x.t.scale).collect(),
            steps: Vec::new(),
        };
        if node.input(2).is_some() {
            let b = self.floats(node, 2)?;
            if b.len() != d[0] {
                return Err(self.err(node, "the bias must have one entry per output channel"));
            }
            chain.steps.push(Step::Add(b));
        }
        let fan = if op == "conv" {
            d[1] * d[2] * d[3]
        } else {
            d[2] * d[3]
        } as u64;
        self.e.fate(node, format!("{op} `{name}`"));
        let p = Pending {
            layer,
            weights: Some(weights),
            wt: Some(weight_type(&w)),
            chain,
            channels: d[0],
            dims: vec![d[0] as u64, oh, ow],
            acc: products(fan, weight_type(&w), x.t.ty),
            input_scales: Vec::new(),
        };
        self.set(node, Val::Acc(Box::new(p)));
        Ok(())
    }

    /// `MatMul` and `Gemm`: a dense layer.
    pub(super) fn dense(&mut self, node: &OnnxNode) -> Result<()> {
        let x = self.int_input(node, 0)?;
        let w = self.weight_input(node, 1)?;
        let gemm = node.op_type == "Gemm";
        let trans_b = gemm && node.int("transB").unwrap_or(0) != 0;
        if gemm
            && (node.int("transA").unwrap_or(0) != 0
                || node.float("alpha").unwrap_or(1.0) != 1.0
                || node.float("beta").unwrap_or(1.0) != 1.0)
        {
            return Err(self.err(node, "a Gemm with transA, alpha or beta is not supported"));
        }
        let [a, b] = w.dims.as_slice() else {
            return Err(self.err(node, "the weights must be a matrix"));
        };
        let (inputs, outputs) = if trans_b { (*b, *a) } else { (*a, *b) };
        if inputs == 0 || outputs == 0 {
            return Err(self.err(node, "empty weights"));
        }
        if inputs as u64 != x.t.elems() {
            return Err(self.err(
                node,
                format!("the weights have {inputs} rows for {} inputs", x.t.elems()),
            ));
        }
        // Row-major [in, out] with the rows in ONNX's flattening order.
        let mut rows = w.ints.clone();
        if trans_b {
            for i in 0..inputs {
                for o in 0..outputs {
                    rows[i * outputs + o] = w.ints[o * inputs + i];
                }
            }
        }
        let map = x.flat_from.clone().unwrap_or_else(|| x.t.dims.clone());
        let ours = common::dense_weights(&rows, inputs, outputs, &map);
        let scale: Vec<f64> = match (w.scale.len(), trans_b) {
            (1, _) => w.scale.clone(),
            (n, true) if n == outputs => w.scale.clone(),
            _ => return Err(self.err(node, "the weight scale must be one or one per output")),
        };
        let name = self.names.layer(&node.name);
        let layer = LayerOut::new(&name, "dense", vec![x.t.src.clone()])
            .key("units", outputs)
            .key("weight_bits", w.bits)
            .key("bias", false);
        let mut chain = Chain {
            s0: scale.iter().map(|s| s * x.t.scale).collect(),
            steps: Vec::new(),
        };
        if gemm && node.input(2).is_some() {
            chain.steps.push(Step::Add(self.floats(node, 2)?));
        }
        self.e.fate(node, format!("dense `{name}`"));
        let p = Pending {
            layer,
            weights: Some((vec![inputs as u64, outputs as u64], ours)),
            wt: Some(weight_type(&w)),
            chain,
            channels: outputs,
            dims: vec![outputs as u64],
            acc: products(inputs as u64, weight_type(&w), x.t.ty),
            input_scales: Vec::new(),
        };
        self.set(node, Val::Acc(Box::new(p)));
        Ok(())
    }

    /// Constant input 1 of `node` as a factor or term per channel of `p`'s output: one value
    /// (every dim 1), or one per channel laid along the channel axis (`[1, C, 1, 1]`, `[C, 1,
    /// 1]` for a map, `[1, C]`, `[C]` for a vector: ONNX broadcasts a `[C]` constant along a
    /// map's last axis, W, which is refused). Zero factors are refused too.
    fn channel_const(&self, node: &OnnxNode, p: &Pending) -> Option<Vec<f32>> {
        let t = self.constant(node, 1).ok()?;
        let v: Vec<f32> = t.to_f64().iter().map(|&x| x as f32).collect();
        let c = p.channels;
        let ones = |d: &[usize]| d.iter().all(|&x| x == 1);
        let ok = match t.dims.as_slice() {
            d if ones(d) => true,
            [1, n, rest @ ..] if p.dims.len() == 3 && *n == c && ones(rest) && rest.len() == 2 => {
                true
            }
            [n, rest @ ..] if p.dims.len() == 3 && *n == c && rest.len() == 2 && ones(rest) => true,
            [1, n] | [n] if p.dims.len() == 1 && *n == c => true,
            _ => false,
        };
        let scales = node.op_type != "Add";
        (ok && !(scales && v.contains(&0.0))).then_some(v)
    }

    fn pending(&self, node: &OnnxNode, what: &str) -> Result<Box<Pending>> {
        match self.val(node, 0)? {
            Val::Acc(p) => Ok(p),
            _ => Err(self.err(
                node,
                format!("{what} of a value that is not a layer's accumulator"),
            )),
        }
    }

    /// `BatchNormalization` of an accumulator, as onnxruntime computes it in float32.
    pub(super) fn batchnorm(&mut self, node: &OnnxNode) -> Result<()> {
        let mut p = self.pending(node, "a BatchNormalization")?;
        let c = p.channels;
        let get = |k| {
            self.floats(node, k).and_then(|v| {
                (v.len() == c && c > 0)
                    .then_some(v)
                    .ok_or_else(|| self.err(node, "parameters must have one entry per channel"))
            })
        };
        let (gamma, beta, mean, var) = (get(1)?, get(2)?, get(3)?, get(4)?);
        let eps = node.float("epsilon").unwrap_or(1e-5);
        let mut scale = Vec::with_capacity(c);
        let mut bias = Vec::with_capacity(c);
        for i in 0..c {
            let at = |v: &[f32]| v[i];
            let inv_std = 1.0f32 / (at(&var) + eps).sqrt();
            let s = inv_std * at(&gamma);
            scale.push(s);
            bias.push(at(&beta) - at(&mean) * s);
        }
        p.chain.steps.push(Step::MulAdd(scale, bias));
        self.e
            .fate(node, format!("thresholds or scale of `{}`", p.layer.name));
        self.set(node, Val::Acc(p));
        Ok(())
    }

    /// `Relu`: a step of an accumulator, or the activation of the layer an integer stream
    /// comes from.
    pub(super) fn relu(&mut self, node: &OnnxNode) -> Result<()> {
        match self.val(node, 0)? {
            Val::Acc(mut p) => {
                p.chain.steps.push(Step::Relu);
                self.e
                    .fate(node, format!("thresholds or relu of `{}`", p.layer.name));
                self.set(node, Val::Acc(p));
                Ok(())
            }
            Val::Int(v) if v.t.ty.is_bipolar() => Err(self.err(
                node,
                "a Relu of a bipolar stream (its levels would be 0 and +1, not a bipolar type)",
            )),
            Val::Int(v) if !v.t.ty.signed => {
                self.e.fate(node, "nothing (its input is unsigned)");
                self.set(node, Val::Int(v));
                Ok(())
            }
            Val::Int(v) => {
                let src = v.t.src.clone();
                // Only a layer's own output, read by this Relu alone (an alias such as a Flatten
                // or a Mul by 1 could have other readers of the same integers).
                let input = node.input(0).unwrap_or_default();
                let only = self.uses.get(input).copied() == Some(1)
                    && self.layer_outputs.get(input) == Some(&src);
                let Some(layer) = self.e.layer_mut(&src).filter(|_| only) else {
                    return Err(
                        self.err(node, "a Relu of a signed stream that is not a layer's own output read by this Relu alone")
                    );
                };
                layer.set("activation", "relu");
                self.e.fate(node, format!("relu of `{src}`"));
                self.set(node, Val::Int(v));
                Ok(())
            }
            Val::Weight(_) => Err(self.err(node, "a Relu of weights")),
        }
    }

    /// `Mul` and `Div` by a constant: a step of an accumulator, or a new scale of a stream.
    pub(super) fn scale_by(&mut self, node: &OnnxNode) -> Result<()> {
        let c = self.floats(node, 1)?;
        match self.val(node, 0)? {
            Val::Acc(mut p) => {
                let c = self.channel_const(node, &p).ok_or_else(|| {
                    self.err(node, "the constant must be one value or one per channel")
                })?;
                p.chain.steps.push(scale_step(&node.op_type, c));
                self.e.fate(node, format!("folded into `{}`", p.layer.name));
                self.set(node, Val::Acc(p));
                Ok(())
            }
            Val::Int(mut v) => {
                let [k] = c.as_slice() else {
                    return Err(self.err(node, "a per-channel Mul or Div of an integer stream"));
                };
                if !k.is_finite() || *k <= 0.0 {
                    return Err(self.err(
                        node,
                        "a Mul or Div of a stream by a constant that is not positive",
                    ));
                }
                let k = f64::from(*k);
                v.t.scale = if node.op_type == "Div" {
                    v.t.scale / k
                } else {
                    v.t.scale * k
                };
                self.e.fate(node, format!("the scale of `{}`", v.t.src));
                self.set(node, Val::Int(v));
                Ok(())
            }
            Val::Weight(_) => Err(self.err(node, "a Mul or Div of weights")),
        }
    }

    /// `Add`: a residual add of two streams, or a constant added to an accumulator.
    pub(super) fn add(&mut self, node: &OnnxNode) -> Result<()> {
        if let Some(Val::Acc(mut p)) = node.input(0).and_then(|i| self.vals.get(i)).cloned()
            && node
                .input(1)
                .and_then(|i| self.m.graph.constant(i))
                .is_some()
        {
            let c = self.channel_const(node, &p).ok_or_else(|| {
                self.err(node, "the constant must be one value or one per channel")
            })?;
            p.chain.steps.push(Step::Add(c));
            self.e.fate(node, format!("folded into `{}`", p.layer.name));
            self.set(node, Val::Acc(p));
            return Ok(());
        }
        let (a, b) = (self.int_input(node, 0)?, self.int_input(node, 1)?);
        if a.t.dims != b.t.dims {
            return Err(self.err(
                node,
                format!(
                    "an Add of shapes {:?} and {:?} (no broadcasting)",
                    a.t.dims, b.t.dims
                ),
            ));
        }
        let base = a.t.scale.min(b.t.scale);
        let ratio = |s: f64| {
            let r = s / base;
            (r.fract() == 0.0 && r <= 1024.0).then_some(r as i64)
        };
        let (Some(ka), Some(kb)) = (ratio(a.t.scale), ratio(b.t.scale)) else {
            return Err(self.err(
                node,
                format!(
                    "an Add of scales {} and {} that are not integer multiples of one step",
                    a.t.scale, b.t.scale
                ),
            ));
        };
        let name = self.names.layer(&node.name);
        let layer = LayerOut::new(&name, "add", vec![a.t.src.clone(), b.t.src.clone()]);
        let acc_a = (a.t.ty.min() * ka, a.t.ty.max() * ka);
        let acc_b = (b.t.ty.min() * kb, b.t.ty.max() * kb);
        self.e.fate(node, format!("add `{name}`"));
        let p = Pending {
            layer,
            weights: None,
            wt: None,
            chain: Chain {
                s0: vec![base],
                steps: Vec::new(),
            },
            channels: a.t.channels() as usize,
            dims: a.t.dims.clone(),
            acc: (acc_a.0 + acc_b.0, acc_a.1 + acc_b.1),
            input_scales: vec![ka, kb],
        };
        self.set(node, Val::Acc(Box::new(p)));
        Ok(())
    }

    /// `MaxPool`: a maxpool layer (the stream keeps its type and scale).
    pub(super) fn maxpool(&mut self, node: &OnnxNode) -> Result<()> {
        let x = self.int_input(node, 0)?;
        let win = common::window(self.m, node, None)?;
        let name = self.names.layer(&node.name);
        let layer = win.keys(LayerOut::new(&name, "maxpool", vec![x.t.src.clone()]));
        self.e.layers.push(layer);
        self.e.fate(node, format!("maxpool `{name}`"));
        let (h, w) = x.t.hw();
        let (oh, ow) = win.out_hw(h, w);
        let t = IntTensor {
            src: name,
            dims: vec![x.t.channels(), oh, ow],
            ..x.t
        };
        self.set(node, Val::Int(IntVal { t, flat_from: None }));
        Ok(())
    }

    /// `AveragePool` and `GlobalAveragePool`: an avgpool whose window sum is the accumulator,
    /// divided by the window's area in float32 as the executor does.
    pub(super) fn avgpool(&mut self, node: &OnnxNode) -> Result<()> {
        let x = self.int_input(node, 0)?;
        let (h, w) = x.t.hw();
        let name = self.names.layer(&node.name);
        let mut layer = LayerOut::new(&name, "avgpool", vec![x.t.src.clone()]);
        let (area, dims) = if node.op_type == "GlobalAveragePool" {
            layer = layer.key("global", true);
            (h * w, vec![x.t.channels(), 1, 1])
        } else {
            let win = common::window(self.m, node, None)?;
            if win.pads != [0; 4] && node.int("count_include_pad").unwrap_or(0) == 0 {
                return Err(self.err(node, "a padded AveragePool that leaves the padding out of its count (count_include_pad 0) is not supported"));
            }
            layer = win.keys(layer);
            let (oh, ow) = win.out_hw(h, w);
            (win.kernel[0] * win.kernel[1], vec![x.t.channels(), oh, ow])
        };
        self.e.fate(node, format!("avgpool `{name}`"));
        let p = Pending {
            layer,
            weights: None,
            wt: None,
            chain: Chain {
                s0: vec![x.t.scale],
                steps: vec![Step::Div(vec![area as f32])],
            },
            channels: x.t.channels() as usize,
            dims,
            acc: (x.t.ty.min() * area as i64, x.t.ty.max() * area as i64),
            input_scales: Vec::new(),
        };
        self.set(node, Val::Acc(Box::new(p)));
        Ok(())
    }

    /// `Concat` on channels: a concat layer, each input scaled to the finest step.
    pub(super) fn concat(&mut self, node: &OnnxNode) -> Result<()> {
        if node.int("axis").unwrap_or(1) != 1 {
            return Err(self.err(node, "a Concat on an axis other than the channels (1)"));
        }
        let ins: Vec<IntVal> = (0..node.inputs.len())
            .map(|k| self.int_input(node, k))
            .collect::<Result<_>>()?;
        let base = ins.iter().map(|v| v.t.scale).fold(f64::INFINITY, f64::min);
        let mut ks = Vec::new();
        for v in &ins {
            let r = v.t.scale / base;
            if r.fract() != 0.0 || r > 1024.0 || v.t.hw() != ins[0].t.hw() || v.t.dims.len() != 3 {
                return Err(self.err(node, "a Concat of maps of other sizes, or of scales that are not integer multiples of one step"));
            }
            ks.push(r as i64);
        }
        let name = self.names.layer(&node.name);
        let mut layer = LayerOut::new(
            &name,
            "concat",
            ins.iter().map(|v| v.t.src.clone()).collect(),
        );
        let lo = ins
            .iter()
            .zip(&ks)
            .map(|(v, k)| v.t.ty.min() * k)
            .min()
            .unwrap_or(0);
        let hi = ins
            .iter()
            .zip(&ks)
            .map(|(v, k)| v.t.ty.max() * k)
            .max()
            .unwrap_or(0);
        let ty = ElemType::for_range(lo, hi);
        if ks.iter().any(|&k| k != 1) || ins.iter().any(|v| v.t.ty != ty) {
            layer = layer
                .key(
                    "output",
                    format!("{{bits: {}, signed: {}}}", ty.bits, ty.signed),
                )
                .key("requant", format!("{{scale: {}, shift: 0}}", list(&ks)));
        }
        self.e.layers.push(layer);
        self.e.fate(node, format!("concat `{name}`"));
        let (h, w) = ins[0].t.hw();
        let c: u64 = ins.iter().map(|v| v.t.channels()).sum();
        let t = IntTensor {
            src: name,
            dims: vec![c, h, w],
            ty,
            scale: base,
        };
        self.set(node, Val::Int(IntVal { t, flat_from: None }));
        Ok(())
    }
}
