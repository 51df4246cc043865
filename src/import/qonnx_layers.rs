//! The QONNX walk's layers: the operators that start a layer (`Conv`, `MatMul`, `Gemm`, the
//! pools, `Add`, `Concat`), the steps that follow its accumulator (`BatchNormalization`,
//! `Relu`, `Mul`, `Div`, `Add` of a constant) and the end of a pending layer: thresholds or a
//! scale when a quantizer is met ([`Walk::finish_layer`]), a plain accumulator otherwise
//! ([`Walk::materialize`]).

use super::chain::{self, Chain, Quantizer, Step};
use super::common::{self, IntTensor};
use super::emit::LayerOut;
use super::onnx::OnnxNode;
use super::qonnx::{IntVal, Pending, QConst, Val, Walk, per_channel, scale_step};
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
            [a, b, c, e] => [*a, *b, *c, *e],
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
            chain.steps.push(Step::Add(self.floats(node, 2)?));
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
                per_channel(&v, c)
                    .ok_or_else(|| self.err(node, "parameters must have one entry per channel"))
            })
        };
        let (gamma, beta, mean, var) = (get(1)?, get(2)?, get(3)?, get(4)?);
        let eps = node.float("epsilon").unwrap_or(1e-5);
        let mut scale = Vec::with_capacity(c);
        let mut bias = Vec::with_capacity(c);
        for i in 0..gamma.len().max(1).min(c.max(1)) {
            let at = |v: &[f32]| if v.len() == 1 { v[0] } else { v[i] };
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
            Val::Int(v) if !v.t.ty.signed => {
                self.e.fate(node, "nothing (its input is unsigned)");
                self.set(node, Val::Int(v));
                Ok(())
            }
            Val::Int(v) => {
                let src = v.t.src.clone();
                let only = node.input(0).and_then(|i| self.uses.get(i)).copied() == Some(1);
                let Some(layer) = self.e.layer_mut(&src).filter(|_| only) else {
                    return Err(
                        self.err(node, "a Relu of a signed stream that other nodes also read")
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
                let c = per_channel(&c, p.channels).ok_or_else(|| {
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
            let c = self.floats(node, 1)?;
            let c = per_channel(&c, p.channels).ok_or_else(|| {
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

    /// Writes pending layer `p` with the quantizer of `node`: thresholds, or a plain integer
    /// scale when the level is an exact integer multiple of the accumulator (no rounding).
    pub(super) fn finish_layer(
        &mut self,
        node: &OnnxNode,
        mut p: Pending,
        q: Quantizer,
        ty: ElemType,
        scale: f64,
    ) -> Result<()> {
        let (lo, hi) = q.range();
        let bias = lo;
        if p.layer.op == "add" {
            return self.finish_add(node, p, &q, ty, scale);
        }
        if let Some(m) = exact_factor(&p.chain, &q, p.channels) {
            return self.finish_linear(node, p, m, ty, scale);
        }
        let flip: Vec<bool> = (0..p.channels).map(|c| p.chain.direction(c) < 0).collect();
        if flip.iter().any(|&f| f) {
            self.negate(node, &mut p, &flip)?;
        }
        let count = q.count();
        if count > crate::model::MAX_THRESHOLDS as usize {
            return Err(self.err(
                node,
                format!(
                    "{count} levels: thresholds are limited to {}",
                    crate::model::MAX_THRESHOLDS
                ),
            ));
        }
        let t = chain::thresholds(&p.chain, &q, p.channels, p.acc.0, p.acc.1);
        let name = p.layer.name.clone();
        let out_ty = if ty.is_bipolar() {
            ty
        } else {
            ElemType::for_range(lo.min(ty.min()), hi.max(ty.max()))
        };
        let mut layer = p.layer.key(
            "output",
            format!(
                "{{bits: {}, signed: {}}}",
                out_ty.bits,
                out_ty.signed || out_ty.bits == 1
            ),
        );
        layer = layer.key("requant", format!("{{thresholds: {count}, bias: {bias}}}"));
        self.push_weights(&name, &p.weights);
        self.e.array(
            format!("{name}.thresholds"),
            vec![p.channels as u64, count as u64],
            t,
        );
        self.e.layers.push(layer);
        self.e.fate(
            node,
            format!("thresholds of `{name}` ({count} per channel)"),
        );
        let tensor = IntTensor {
            src: name,
            dims: p.dims.clone(),
            ty: out_ty,
            scale,
        };
        self.set(
            node,
            Val::Int(IntVal {
                t: tensor,
                flat_from: None,
            }),
        );
        Ok(())
    }

    /// Writes pending layer `p` requantised by the integer factor `m`, exactly: the level is
    /// `clip(acc * m)` (with the chain's integer bias, and its relu).
    fn finish_linear(
        &mut self,
        node: &OnnxNode,
        p: Pending,
        m: (i64, Vec<i64>, bool),
        ty: ElemType,
        scale: f64,
    ) -> Result<()> {
        let (factor, bias, relu) = m;
        let name = p.layer.name.clone();
        let mut layer = p
            .layer
            .key(
                "output",
                format!("{{bits: {}, signed: {}}}", ty.bits, ty.signed),
            )
            .key("requant", format!("{{scale: {factor}, shift: 0}}"));
        if relu {
            layer = layer.key("activation", "relu");
        }
        if bias.iter().any(|&b| b != 0) {
            layer.set("bias", true);
            self.e
                .array(format!("{name}.bias"), vec![p.channels as u64], bias);
        }
        self.push_weights(&name, &p.weights);
        self.e.layers.push(layer);
        self.e.fate(
            node,
            format!("requantisation of `{name}` (scale {factor}, exact)"),
        );
        let tensor = IntTensor {
            src: name,
            dims: p.dims,
            ty,
            scale,
        };
        self.set(
            node,
            Val::Int(IntVal {
                t: tensor,
                flat_from: None,
            }),
        );
        Ok(())
    }

    fn push_weights(&mut self, name: &str, weights: &Option<(Vec<u64>, Vec<i64>)>) {
        if let Some((shape, w)) = weights {
            self.e
                .array(format!("{name}.weight"), shape.clone(), w.clone());
        }
    }

    /// Negates the weights of the channels in `flip` (their accumulator falls as the value
    /// grows), widening the weight type when a negated weight leaves it.
    fn negate(&mut self, node: &OnnxNode, p: &mut Pending, flip: &[bool]) -> Result<()> {
        let Some((_, w)) = &mut p.weights else {
            return Err(self.err(node, format!("`{}` would need its accumulator negated (a falling scale), which only a layer with weights allows", p.layer.name)));
        };
        let c = p.channels.max(1);
        for (i, v) in w.iter_mut().enumerate() {
            if flip[i % c] {
                *v = -*v;
            }
        }
        p.chain.negate(c, flip);
        if let Some(wt) = p.wt
            && !wt.is_bipolar()
            && w.iter().any(|&v| v < wt.min() || v > wt.max())
        {
            p.layer.set("weight_bits", wt.bits + 1);
        }
        Ok(())
    }

    /// An add's requantisation: exact (an integer factor) or, otherwise, the closest scale
    /// and shift (rounding half up where the model rounds half to even: noted).
    fn finish_add(
        &mut self,
        node: &OnnxNode,
        p: Pending,
        q: &Quantizer,
        ty: ElemType,
        scale: f64,
    ) -> Result<()> {
        let Quantizer::Uniform {
            scale: qs, zero, ..
        } = q
        else {
            return Err(self.err(node, "an Add's output must be quantized by Quant"));
        };
        if *zero != 0.0 || qs.len() != 1 || p.chain.steps.iter().any(|s| *s != Step::Relu) {
            return Err(self.err(
                node,
                "an Add's quantizer must have one scale, zero point 0 and only a Relu before it",
            ));
        }
        let f = p.chain.s0[0] / f64::from(qs[0]);
        let (m, shift) = if f.fract() == 0.0 && f >= 1.0 && f < (1 << 20) as f64 {
            (f as i64, 0)
        } else {
            let Some((m, s)) = common::fixed_point(f) else {
                return Err(self.err(node, "the Add's requantisation factor is not positive"));
            };
            self.e.notes.push(format!(
                "`{}`: the add's factor {f} is requantised as {m} / 2^{s}, rounding half up where the model rounds half to even",
                p.layer.name
            ));
            (m, s)
        };
        let name = p.layer.name.clone();
        let scales: Vec<i64> = p.input_scales.iter().map(|k| k * m).collect();
        let mut layer = p
            .layer
            .key(
                "output",
                format!("{{bits: {}, signed: {}}}", ty.bits, ty.signed),
            )
            .key(
                "requant",
                format!("{{scale: {}, shift: {shift}}}", list(&scales)),
            );
        if p.chain.steps.contains(&Step::Relu) {
            layer = layer.key("activation", "relu");
        }
        self.e.layers.push(layer);
        self.e.fate(node, format!("requantisation of `{name}`"));
        let tensor = IntTensor {
            src: name,
            dims: p.dims,
            ty,
            scale,
        };
        self.set(
            node,
            Val::Int(IntVal {
                t: tensor,
                flat_from: None,
            }),
        );
        Ok(())
    }

    /// Writes pending layer `p` without a quantizer: its accumulator is the output, which
    /// must stay an integer multiple of one step (a float bias a multiple of it).
    pub(super) fn materialize(&mut self, p: Pending, node: Option<&OnnxNode>) -> Result<IntVal> {
        let why = || {
            format!(
                "the output of `{}` is not on an integer grid: a Quant must follow it",
                p.layer.name
            )
        };
        let Some((step, bias)) = p.chain.as_integer(p.channels) else {
            return Err(match node {
                Some(n) => self.err(n, why()),
                None => self.m.error(None, why()),
            });
        };
        let name = p.layer.name.clone();
        let mut layer = p.layer.clone();
        if bias.iter().any(|&b| b != 0) {
            if p.weights.is_none() {
                return Err(self.m.error(None, why()));
            }
            layer.set("bias", true);
            self.e
                .array(format!("{name}.bias"), vec![p.channels as u64], bias);
        }
        let ks = &p.input_scales;
        if !ks.is_empty() && ks.iter().any(|&k| k != 1) {
            let ty = ElemType::for_range(p.acc.0, p.acc.1);
            layer = layer
                .key(
                    "output",
                    format!("{{bits: {}, signed: {}}}", ty.bits, ty.signed),
                )
                .key("requant", format!("{{scale: {}, shift: 0}}", list(ks)));
        }
        self.push_weights(&name, &p.weights);
        self.e.layers.push(layer);
        let ty = ElemType::for_range(p.acc.0, p.acc.1);
        Ok(IntVal {
            t: IntTensor {
                src: name,
                dims: p.dims,
                ty,
                scale: step,
            },
            flat_from: None,
        })
    }
}

/// The integer factor `m` (with the chain's integer bias per channel and whether it ends in a
/// relu) when the quantizer's level is exactly `clip(relu(acc + bias) * m)`: a uniform
/// quantizer of one scale and zero point 0 after a chain that keeps the value an integer
/// multiple of a step which is `m` quantizer steps; no rounding ever happens then.
fn exact_factor(chain: &Chain, q: &Quantizer, channels: usize) -> Option<(i64, Vec<i64>, bool)> {
    let Quantizer::Uniform { scale, zero, .. } = q else {
        return None;
    };
    if *zero != 0.0 || scale.len() != 1 {
        return None;
    }
    let relu = chain.steps.last() == Some(&Step::Relu);
    let mut plain = chain.clone();
    if relu {
        plain.steps.pop();
    }
    if plain.steps.contains(&Step::Relu) {
        return None;
    }
    let (step, bias) = plain.as_integer(channels)?;
    let m = step / f64::from(scale[0]);
    (m.fract() == 0.0 && (1.0..(1u64 << 21) as f64).contains(&m)).then_some((m as i64, bias, relu))
}
