//! Graph construction passes, each a small function: liveness, shape and type inference with
//! requantisation, and fork insertion. Stream widths depend on the folding and are computed
//! by `fold` (`stream_bits`).

use super::{Edge, Graph};
use crate::error::Result;
use crate::format::Tensor;
use crate::format::{Activation, ElemType};
use crate::model::{Model, Src};
use crate::ops::{MAX_ACC_BITS, Node, NodeKind};
use petgraph::stable_graph::{NodeIndex, StableDiGraph};

pub(super) fn build(model: &Model) -> Result<Graph> {
    let live = live_layers(model);
    let consumers = consumer_counts(model, &live);
    let mut g = StableDiGraph::new();
    let input_tensor = Tensor {
        shape: model.input_shape,
        ty: model.input_type,
    };
    let input = g.add_node(Node {
        name: "input".into(),
        kind: NodeKind::Input,
        inputs: vec![],
        out: input_tensor,
        acc: model.input_type,
        requant: None,
        requant_derived: false,
        thresholds: None,
        activation: Activation::None,
    });
    // Where each source's stream is read from: the producer, or its fork.
    let mut stream_of: Vec<Option<NodeIndex>> = vec![None; model.layers.len()];
    let input_stream = add_fork_if_shared(&mut g, input, consumers.input);
    let mut output = input;
    let mut totals = Totals {
        activations: model.input_shape.elems(),
        ..Totals::default()
    };
    for (i, layer) in model.layers.iter().enumerate() {
        if !live[i] {
            continue;
        }
        let srcs: Vec<NodeIndex> = layer
            .inputs
            .iter()
            .map(|s| match s {
                Src::Input => input_stream,
                Src::Layer(j) => stream_of[*j].unwrap_or(input_stream),
            })
            .collect();
        let inputs: Vec<Tensor> = srcs.iter().map(|&s| g[s].out).collect();
        let node = infer_layer(model, i, inputs)?;
        totals.add(model, i, &node)?;
        let n = g.add_node(node);
        for (port, &s) in srcs.iter().enumerate() {
            let tensor = g[s].out;
            g.add_edge(s, n, Edge { tensor, port });
        }
        if i == model.output {
            output = n;
        }
        stream_of[i] = Some(add_fork_if_shared(&mut g, n, consumers.layers[i]));
    }
    Ok(Graph {
        g,
        input,
        output,
        name: model.name.clone(),
    })
}

/// Running sums of the model-wide limits (crate::limits), checked layer by layer so the
/// message names the layer that crosses one.
#[derive(Default)]
struct Totals {
    activations: u64,
    params: u64,
    macs: u64,
}

impl Totals {
    fn add(&mut self, model: &Model, i: usize, node: &Node) -> Result<()> {
        use crate::limits::{MAX_ACTIVATION_ELEMS, MAX_MACS, MAX_PARAMS, MAX_TENSOR_ELEMS};
        let layer = &model.layers[i];
        let err = |key: &str, what: &str, v: u64, limit: u64| {
            model.error_at(
                i,
                layer.loc_of(key),
                crate::limits::exceeded(what, v, limit),
            )
        };
        let elems = node.out.shape.elems();
        if elems > MAX_TENSOR_ELEMS {
            let what = format!("the output {}'s element count", node.out.shape);
            return Err(err("", &what, elems, MAX_TENSOR_ELEMS));
        }
        let op = layer.op.op();
        self.activations = self.activations.saturating_add(elems);
        self.params = self.params.saturating_add(op.params(node));
        self.macs = self.macs.saturating_add(op.macs(node));
        if self.activations > MAX_ACTIVATION_ELEMS {
            let what = "the element count of all tensors up to this layer";
            return Err(err("", what, self.activations, MAX_ACTIVATION_ELEMS));
        }
        if self.params > MAX_PARAMS {
            let what = "the parameter count of the layers up to this one";
            return Err(err("", what, self.params, MAX_PARAMS));
        }
        if self.macs > MAX_MACS {
            let what = "the multiply-accumulates per frame of the layers up to this one";
            return Err(err("", what, self.macs, MAX_MACS));
        }
        Ok(())
    }
}

/// Layers the output depends on; the rest are dropped (the model warns about them).
fn live_layers(model: &Model) -> Vec<bool> {
    let mut live = vec![false; model.layers.len()];
    live[model.output] = true;
    for i in (0..model.layers.len()).rev() {
        if live[i] {
            for s in &model.layers[i].inputs {
                if let Src::Layer(j) = s {
                    live[*j] = true;
                }
            }
        }
    }
    live
}

struct Consumers {
    input: usize,
    layers: Vec<usize>,
}

/// How many live readers each stream has (the output adapter counts as one).
fn consumer_counts(model: &Model, live: &[bool]) -> Consumers {
    let mut c = Consumers {
        input: 0,
        layers: vec![0; model.layers.len()],
    };
    c.layers[model.output] += 1;
    for (i, l) in model.layers.iter().enumerate() {
        if !live[i] {
            continue;
        }
        for s in &l.inputs {
            match s {
                Src::Input => c.input += 1,
                Src::Layer(j) => c.layers[*j] += 1,
            }
        }
    }
    c
}

/// Inserts a fork after `n` when its stream has several readers; returns the stream's source.
fn add_fork_if_shared(
    g: &mut StableDiGraph<Node, Edge>,
    n: NodeIndex,
    readers: usize,
) -> NodeIndex {
    if readers < 2 {
        return n;
    }
    let t = g[n].out;
    let fork = g.add_node(Node {
        name: format!("{}_fork", g[n].name),
        kind: NodeKind::Fork { ways: readers },
        inputs: vec![t],
        out: t,
        acc: t.ty,
        requant: None,
        requant_derived: false,
        thresholds: None,
        activation: Activation::None,
    });
    g.add_edge(n, fork, Edge { tensor: t, port: 0 });
    fork
}

/// Shape inference, requantisation and exact accumulator width for layer `i`.
fn infer_layer(model: &Model, i: usize, inputs: Vec<Tensor>) -> Result<Node> {
    let layer = &model.layers[i];
    // An equivalent cheaper spelling (`Operator::canonical`) replaces the layer's op.
    let canonical = layer.op.op().canonical(&inputs);
    let layer_op = canonical.as_ref().unwrap_or(&layer.op);
    let op = layer_op.op();
    let err = |key: &str, msg: String| model.error_at(i, layer.loc_of(key), msg);
    let unit_scales = vec![1; inputs.len()];
    let first = op
        .infer(&inputs, &unit_scales)
        .map_err(|e| err(e.key, e.message))?;
    let channels = first.shape.c;
    if let Some(r) = &layer.requant {
        op.check_requant(r, channels, inputs.len())
            .map_err(|e| err(e.key, e.message))?;
    }
    let thresholds =
        layer_thresholds(op, layer.thresholds.as_ref()).map_err(|e| err(e.key, e.message))?;
    let requant = match (layer.output, &layer.requant) {
        _ if thresholds.is_some() => None,
        (None, None) => None,
        (None, Some(_)) => {
            return Err(err(
                "requant",
                "`requant` needs an `output` type to requantise to".into(),
            ));
        }
        (Some(out), Some(r)) => Some(op.expand_requant(r, out, inputs.len())),
        (Some(out), None) => Some(op.derive_requant(&inputs, out)),
    };
    // Per-input scales (an add's `a*scale_a + b*scale_b`) change the accumulator: re-run
    // the rule with them.
    let inferred = match &requant {
        Some(r) if op.scales_per_input() => op
            .infer(&inputs, &r.scale)
            .map_err(|e| err(e.key, e.message))?,
        _ => first,
    };
    let acc = ElemType::for_range(inferred.acc_min, inferred.acc_max);
    if acc.bits > MAX_ACC_BITS {
        return Err(err(
            "",
            format!(
                "the accumulator needs {} bits, more than the {MAX_ACC_BITS} half-gen supports",
                acc.bits
            ),
        ));
    }
    let ty = match layer.output {
        _ if op.keeps_input_type() => inputs[0].ty,
        Some(t) => t,
        None if layer.activation == Activation::Relu => {
            ElemType::for_range(0, inferred.acc_max.max(1))
        }
        None => acc,
    };
    Ok(Node {
        name: layer.name.clone(),
        kind: NodeKind::Layer {
            index: i,
            op: layer_op.clone(),
        },
        inputs,
        out: Tensor {
            shape: inferred.shape,
            ty,
        },
        acc,
        requant_derived: layer.output.is_some() && layer.requant.is_none(),
        requant,
        thresholds,
        activation: layer.activation,
    })
}

/// A layer's threshold requantisation, when it has one and its op takes thresholds
/// (docs/model-format.md 9.1): the model's count and bias, values still to come.
fn layer_thresholds(
    op: &dyn crate::ops::Operator,
    t: Option<&crate::format::Thresholds>,
) -> std::result::Result<Option<crate::format::Thresholds>, crate::ops::ShapeError> {
    let Some(t) = t else {
        return Ok(None);
    };
    if !op.takes_thresholds() {
        return Err(crate::ops::ShapeError::new(
            "requant.thresholds",
            format!(
                "a `{}` layer cannot take thresholds (conv, dwconv, dense and avgpool can)",
                op.kind()
            ),
        ));
    }
    Ok(Some(t.clone()))
}
