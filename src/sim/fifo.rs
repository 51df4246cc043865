//! FIFO sizing and the model's latency and throughput, from the stage schedule (`schedule`).
//!
//! Method (docs/cost-model.md, "FIFO sizing"):
//! 1. Simulate the netlist with unbounded FIFOs, the source offering frame `f` at cycle
//!    `f * T` (T = the analytical cycles per frame), for three frames. Every FIFO's largest
//!    occupancy M is what it must hold for no stage to wait on it at that rate.
//! 2. A FIFO in front of a stage with several inputs (a residual add) gets M + 1 words (with
//!    M + 1 a producer is never refused a word it could push with unbounded storage: it holds the
//!    skew of the longer branch); every other FIFO gets the minimum, 2 words, since a chain only
//!    needs back-pressure, which the handshake gives.
//! 3. Simulate the sized netlist as the testbench drives it (a word offered every cycle, five
//!    frames): that run's steady-state cycles per frame and frame-0 latency are the model's
//!    figures. Should it deadlock or lose more than 0.1 % throughput against step 1, every FIFO
//!    gets M + 1 words and step 3 runs again.

use super::schedule::{Drive, Run, run};
use crate::backend::rtl;
use crate::fold::Design;
use crate::fold::pipeline::MIN_FIFO_DEPTH;
use crate::ir::{Graph, NodeKind};
use crate::ops::glue;
use std::time::Instant;

/// The sized design's schedule.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Schedule {
    /// Steady-state cycles per frame of the sized design.
    pub cycles_per_frame: f64,
    /// Frame-0 latency: first input beat to last output beat, cycles.
    pub latency: u64,
    /// Total FIFO storage, bits.
    pub fifo_bits: u64,
    /// Wall time of sizing and scheduling, seconds.
    pub seconds: f64,
    /// Cycles simulated in all runs.
    pub sim_cycles: u64,
    /// Whether the every-FIFO fallback (step 3 of the method) was needed.
    pub fallback: bool,
}

const UNBOUNDED: u64 = 1 << 40;
const FRAMES: u64 = 5;

fn set_depths(design: &mut Design, depths: &[(usize, u64)]) {
    for &(e, d) in depths {
        if let Some(s) = design.pipeline.edges[e].as_mut() {
            s.depth = d;
        }
    }
}

fn drive(design: &Design, frames: u64, pace: Option<u64>) -> Drive {
    let t = design.pipeline.cycles.max(1);
    Drive {
        frames,
        pace,
        watchdog: 4 * t + 10_000,
    }
}

/// Sizes every FIFO of `design` (depths, costs, totals updated in place) and returns the
/// schedule. Err when a layer kind has no RTL stage or cycle model.
pub fn size(graph: &Graph, design: &mut Design) -> Result<Schedule, String> {
    let t0 = Instant::now();
    let mut sim_cycles = 0;
    let edges: Vec<usize> = graph.g.edge_indices().map(|e| e.index()).collect();
    set_depths(
        design,
        &edges.iter().map(|&e| (e, UNBOUNDED)).collect::<Vec<_>>(),
    );
    let (net, _) = rtl::netlist(graph, design, None)?;
    let t = design.pipeline.cycles.max(1);
    let paced = run(&net, drive(design, 3, Some(t)))?;
    sim_cycles += paced.cycles;
    let need: Vec<(usize, u64)> = net
        .edge_fifos
        .iter()
        .map(|&(e, i)| (e, (paced.max_occ[i] + 1).max(MIN_FIFO_DEPTH)))
        .collect();
    let multi_input = |e: usize| {
        graph
            .g
            .edge_endpoints(petgraph::stable_graph::EdgeIndex::new(e))
            .is_some_and(|(_, t)| {
                matches!(graph.g[t].kind, NodeKind::Layer { .. }) && graph.g[t].inputs.len() > 1
            })
    };
    let lean: Vec<(usize, u64)> = need
        .iter()
        .map(|&(e, d)| (e, if multi_input(e) { d } else { MIN_FIFO_DEPTH }))
        .collect();
    set_depths(design, &lean);
    let mut fallback = false;
    let mut free = simulate(graph, design, &mut sim_cycles)?;
    let slow = |r: &Run| r.cycles_per_frame() > paced.cycles_per_frame().max(t as f64) * 1.001;
    if free.deadlock.is_some() || slow(&free) {
        fallback = true;
        set_depths(design, &need);
        free = simulate(graph, design, &mut sim_cycles)?;
    }
    if let Some((cycle, chan)) = &free.deadlock {
        return Err(format!(
            "the sized pipeline deadlocks at cycle {cycle} (last handshake on {chan})"
        ));
    }
    update_costs(graph, design);
    design.pipeline.latency = free.latency();
    Ok(Schedule {
        cycles_per_frame: free.cycles_per_frame(),
        latency: free.latency(),
        fifo_bits: design.pipeline.fifo_bits,
        seconds: t0.elapsed().as_secs_f64(),
        sim_cycles,
        fallback,
    })
}

/// Schedules `design` as it stands (FIFO depths as set), as the testbench drives it.
pub fn simulate(graph: &Graph, design: &Design, sim_cycles: &mut u64) -> Result<Run, String> {
    let (net, _) = rtl::netlist(graph, design, None)?;
    let r = run(&net, drive(design, FRAMES, None))?;
    *sim_cycles += r.cycles;
    Ok(r)
}

/// Re-prices the FIFOs after their depths changed: glue items, FIFO bits, totals.
fn update_costs(graph: &Graph, design: &mut Design) {
    let old = design.pipeline.glue_res;
    let mut bits = 0;
    for e in graph.g.edge_indices() {
        let (Some((s, t)), Some(plan)) =
            (graph.g.edge_endpoints(e), design.pipeline.edges[e.index()])
        else {
            continue;
        };
        let width = plan.dst_par as u64 * graph.g[e].tensor.ty.bits as u64;
        bits += plan.depth * width;
        let name = format!("{}->{}", graph.g[s].name, graph.g[t].name);
        for item in design.pipeline.glue.iter_mut() {
            if item.kind == "fifo" && item.name == name {
                item.depth = plan.depth;
                item.res = glue::fifo(plan.depth, width);
            }
        }
    }
    design.pipeline.fifo_bits = bits;
    design.pipeline.glue_res = design
        .pipeline
        .glue
        .iter()
        .fold(Default::default(), |a, x| a + x.res);
    design.total = design.total - old + design.pipeline.glue_res;
}
