//! The operators of the QDQ importer that become layers: the float operators of the QDQ form
//! (`Conv`, `Gemm`, `MatMul`, `Add`, pools, `Concat` between `DequantizeLinear`s and a
//! `QuantizeLinear`) and the integer operators of the QOperator form (`QLinearConv`,
//! `QLinearMatMul`, and onnxruntime's `QGemm`, `QLinearAdd`, `QLinearConcat`,
//! `QLinearGlobalAveragePool`, `QLinearAveragePool`).

use super::ops::{self, Bias};
use super::{Ctx, Pending, Val};
use crate::error::Result;
use crate::import::onnx::OnnxNode;

impl<'a> Ctx<'a> {
    /// Records the fate of a layer's node and of the DequantizeLinear nodes of its constants.
    fn made(&mut self, i: usize, p: &Pending, consts: [Option<usize>; 2]) {
        let name = p.layer.name.clone();
        self.fate(i, format!("{} {name}", p.layer.op));
        let [w, b] = consts;
        if let Some(w) = w {
            self.fate(w, format!("the weights of {name}"));
        }
        if let Some(b) = b {
            self.fate(b, format!("the bias of {name}"));
        }
    }

    /// A pending layer becomes the value of `n`: requantised at once when `y` is given (the
    /// QOperator form), else when its QuantizeLinear comes.
    fn pend(
        &mut self,
        n: &'a OnnxNode,
        p: Pending,
        y: Option<(f64, crate::format::ElemType)>,
    ) -> Result<()> {
        match y {
            Some(y) => {
                let a = self.finalize(n, p, y)?;
                self.set(n, Val::Int(a))
            }
            None => self.set(n, Val::Pending(Box::new(p))),
        }
    }

    /// QDQ `Conv`.
    pub(super) fn conv_qdq(&mut self, i: usize, n: &'a OnnxNode) -> Result<()> {
        let x = self.real(n, 0)?;
        let w = self.qconst_in(n, 1)?;
        let b = match n.input(2) {
            Some(_) => Some(self.qconst_in(n, 2)?),
            None => None,
        };
        let consts = [w.node, b.as_ref().and_then(|b| b.node)];
        let p = ops::conv(self, n, &x, &w, b.map(Bias::from))?;
        self.made(i, &p, consts);
        self.pend(n, p, None)
    }

    /// QDQ `Gemm` and `MatMul`.
    pub(super) fn dense_qdq(&mut self, i: usize, n: &'a OnnxNode) -> Result<()> {
        self.gemm_attrs(n)?;
        let x = self.real(n, 0)?;
        let w = self.qconst_in(n, 1)?;
        let b = match n.input(2).filter(|_| n.op_type == "Gemm") {
            Some(_) => Some(self.qconst_in(n, 2)?),
            None => None,
        };
        let consts = [w.node, b.as_ref().and_then(|b| b.node)];
        let trans_b = n.int("transB").unwrap_or(0) != 0;
        let p = ops::dense(self, n, &x, &w, trans_b, b.map(Bias::from))?;
        self.made(i, &p, consts);
        self.pend(n, p, None)
    }

    /// Gemm's `alpha`, `beta` (1) and `transA` (0).
    fn gemm_attrs(&self, n: &'a OnnxNode) -> Result<()> {
        let one = |a: &str| n.float(a).unwrap_or(1.0) == 1.0;
        if !one("alpha") || !one("beta") || n.int("transA").unwrap_or(0) != 0 {
            return Err(self.err(n, "half-gen imports Gemm with alpha 1, beta 1 and transA 0"));
        }
        Ok(())
    }

    /// QDQ `Add` of two activations.
    pub(super) fn add_qdq(&mut self, i: usize, n: &'a OnnxNode) -> Result<()> {
        let (a, b) = (self.real(n, 0)?, self.real(n, 1)?);
        let p = ops::add(self, n, &a, &b)?;
        self.made(i, &p, [None, None]);
        self.pend(n, p, None)
    }

    /// QDQ `AveragePool` and `GlobalAveragePool`.
    pub(super) fn avgpool_qdq(&mut self, i: usize, n: &'a OnnxNode) -> Result<()> {
        let x = self.real(n, 0)?;
        let p = ops::avgpool(self, n, &x, n.op_type == "GlobalAveragePool")?;
        self.made(i, &p, [None, None]);
        self.pend(n, p, None)
    }

    /// QDQ `Concat`.
    pub(super) fn concat_qdq(&mut self, i: usize, n: &'a OnnxNode) -> Result<()> {
        let xs = (0..n.inputs.len())
            .map(|k| self.real(n, k))
            .collect::<Result<Vec<_>>>()?;
        let axis = n.int("axis").ok_or_else(|| self.err(n, "no `axis`"))?;
        let p = ops::concat(self, n, &xs, axis)?;
        self.made(i, &p, [None, None]);
        self.pend(n, p, None)
    }

    /// The int32 bias at input `k` of a QOperator node (its scale is implied).
    fn raw_bias(&self, n: &'a OnnxNode, k: usize) -> Result<Option<Bias>> {
        if n.input(k).is_none() {
            return Ok(None);
        }
        let t = self.constant(n, k)?;
        let ints = t
            .to_i64()
            .filter(|_| !t.is_float())
            .ok_or_else(|| self.err(n, "the bias is not an integer tensor"))?;
        Ok(Some(Bias { ints, scales: None }))
    }

    /// `QLinearConv`.
    pub(super) fn qlinear_conv(&mut self, i: usize, n: &'a OnnxNode) -> Result<()> {
        let x = self.int(n, 0, 1, 2)?;
        let w = self.qconst(n, [3, 4, 5], 0, "weight")?;
        let y = self.act_q(n, 6, 7)?;
        let b = self.raw_bias(n, 8)?;
        let p = ops::conv(self, n, &x, &w, b)?;
        self.made(i, &p, [None, None]);
        self.pend(n, p, Some(y))
    }

    /// `QLinearMatMul` (no bias).
    pub(super) fn qlinear_matmul(&mut self, i: usize, n: &'a OnnxNode) -> Result<()> {
        let x = self.int(n, 0, 1, 2)?;
        let w = self.qconst(n, [3, 4, 5], 1, "weight")?;
        let y = self.act_q(n, 6, 7)?;
        let p = ops::dense(self, n, &x, &w, false, None)?;
        self.made(i, &p, [None, None]);
        self.pend(n, p, Some(y))
    }

    /// onnxruntime's `QGemm`: requantised when it has an output scale, else a float result.
    pub(super) fn qgemm(&mut self, i: usize, n: &'a OnnxNode) -> Result<()> {
        let alpha = n.float("alpha").unwrap_or(1.0);
        if alpha != 1.0 || n.int("transA").unwrap_or(0) != 0 {
            return Err(self.err(n, "half-gen imports QGemm with alpha 1 and transA 0"));
        }
        let trans_b = n.int("transB").unwrap_or(0) != 0;
        let x = self.int(n, 0, 1, 2)?;
        let w = self.qconst(n, [3, 4, 5], if trans_b { 0 } else { 1 }, "weight")?;
        let b = self.raw_bias(n, 6)?;
        let y = match n.input(7) {
            Some(_) => Some(self.act_q(n, 7, 8)?),
            None => None,
        };
        let p = ops::dense(self, n, &x, &w, trans_b, b)?;
        self.made(i, &p, [None, None]);
        self.pend(n, p, y)
    }

    /// onnxruntime's `QLinearAdd`.
    pub(super) fn qlinear_add(&mut self, i: usize, n: &'a OnnxNode) -> Result<()> {
        let a = self.int(n, 0, 1, 2)?;
        let b = self.int(n, 3, 4, 5)?;
        let y = self.act_q(n, 6, 7)?;
        let p = ops::add(self, n, &a, &b)?;
        self.made(i, &p, [None, None]);
        self.pend(n, p, Some(y))
    }

    /// onnxruntime's `QLinearConcat`: `Y_scale, Y_zero_point`, then `X, X_scale,
    /// X_zero_point` per input.
    pub(super) fn qlinear_concat(&mut self, i: usize, n: &'a OnnxNode) -> Result<()> {
        let y = self.act_q(n, 0, 1)?;
        if n.inputs.len() < 5 || !(n.inputs.len() - 2).is_multiple_of(3) {
            return Err(self.err(
                n,
                "expected Y_scale, Y_zero_point and (X, scale, zero point) triples",
            ));
        }
        let xs = (2..n.inputs.len())
            .step_by(3)
            .map(|k| self.int(n, k, k + 1, k + 2))
            .collect::<Result<Vec<_>>>()?;
        let axis = n.int("axis").ok_or_else(|| self.err(n, "no `axis`"))?;
        let p = ops::concat(self, n, &xs, axis)?;
        self.made(i, &p, [None, None]);
        self.pend(n, p, Some(y))
    }

    /// onnxruntime's `QLinearGlobalAveragePool` and `QLinearAveragePool` (NCHW).
    pub(super) fn qlinear_avgpool(&mut self, i: usize, n: &'a OnnxNode) -> Result<()> {
        if n.int("channels_last").unwrap_or(0) != 0 {
            return Err(self.err(n, "channels_last 1 is not supported"));
        }
        let x = self.int(n, 0, 1, 2)?;
        let y = self.act_q(n, 3, 4)?;
        let p = ops::avgpool(self, n, &x, n.op_type == "QLinearGlobalAveragePool")?;
        self.made(i, &p, [None, None]);
        self.pend(n, p, Some(y))
    }
}
