//! FIFO sizing and the model's latency and throughput, from the stage schedule (`schedule`).
//!
//! Method (docs/cost-model.md, "FIFO sizing"):
//! 1. Simulate the netlist with unbounded FIFOs for three frames, the source offering its words
//!    at the even rate of one frame per T cycles (T = the analytical cycles per frame, the
//!    slowest stage's). Every FIFO's largest occupancy M is what it must hold so that no
//!    producer waits on it at that rate: the skew of a residual add's shorter branch, and the
//!    bursts of producers and consumers whose word patterns differ (a window generator's rows,
//!    a matrix unit's neuron folds).
//! 2. Every FIFO gets M + 1 words (at least 2): with M + 1 a producer is never refused a word it
//!    could have pushed into unbounded storage.
//! 3. Simulate the sized netlist as the testbench drives it (a word offered every cycle, five
//!    frames): that run's steady-state cycles per frame and frame-0 latency are the model's
//!    figures. Should it deadlock or lose more than 0.1 % throughput against step 1, every depth
//!    is doubled and step 3 runs again (at most three times).

use super::run::{Drive, Run, run};
use crate::fold::Design;
use crate::fold::pipeline::MIN_FIFO_DEPTH;
use crate::ir::Graph;
use crate::lower::netlist::netlist;
use crate::stage::glue;
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
    /// Wall time of sizing and scheduling, seconds (not serialised: reports stay deterministic).
    #[serde(skip)]
    pub seconds: f64,
    /// Cycles simulated in all runs.
    pub sim_cycles: u64,
    /// How often every depth had to be doubled (step 3 of the method).
    pub doublings: u32,
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

/// Sizes every FIFO of the `folded` design: the design with those depths (the FIFOs priced
/// again, the totals and the latency updated) and its schedule. Err when a layer kind has no
/// RTL stage, and (a bug) when an instance has no cycle model or the sized pipeline deadlocks.
pub fn size(graph: &Graph, folded: &Design) -> crate::Result<(Design, Schedule)> {
    let t0 = Instant::now();
    let mut sized = folded.clone();
    let design = &mut sized;
    let mut sim_cycles = 0;
    let edges: Vec<usize> = graph.g.edge_indices().map(|e| e.index()).collect();
    set_depths(
        design,
        &edges.iter().map(|&e| (e, UNBOUNDED)).collect::<Vec<_>>(),
    );
    let (net, _) = netlist(graph, design, None)?;
    let t = design.pipeline.cycles.max(1);
    let paced = run(&net, drive(design, 3, Some(t)))?;
    sim_cycles += paced.cycles;
    let need: Vec<(usize, u64)> = net
        .edge_fifos
        .iter()
        .map(|&(e, i)| (e, (paced.max_occ[i] + 1).max(MIN_FIFO_DEPTH)))
        .collect();
    set_depths(design, &need);
    let mut free = simulate(graph, design, &mut sim_cycles)?;
    let target = paced.cycles_per_frame().max(t as f64);
    let slow = |r: &Run| r.cycles_per_frame() > target * 1.001;
    let mut doublings = 0;
    while (free.deadlock.is_some() || slow(&free)) && doublings < 3 {
        doublings += 1;
        let more: Vec<(usize, u64)> = need.iter().map(|&(e, d)| (e, d << doublings)).collect();
        set_depths(design, &more);
        free = simulate(graph, design, &mut sim_cycles)?;
    }
    if let Some((cycle, chan)) = &free.deadlock {
        return Err(crate::Error::Internal(format!(
            "FIFO sizing: the sized pipeline deadlocks at cycle {cycle} (last handshake on {chan})"
        )));
    }
    update_costs(graph, design);
    design.pipeline.latency = free.latency();
    let schedule = Schedule {
        cycles_per_frame: free.cycles_per_frame(),
        latency: free.latency(),
        fifo_bits: design.pipeline.fifo_bits,
        seconds: t0.elapsed().as_secs_f64(),
        sim_cycles,
        doublings,
    };
    Ok((sized, schedule))
}

/// Schedules `design` as it stands (FIFO depths as set), as the testbench drives it.
pub fn simulate(graph: &Graph, design: &Design, sim_cycles: &mut u64) -> crate::Result<Run> {
    let (net, _) = netlist(graph, design, None)?;
    let r = run(&net, drive(design, FRAMES, None))?;
    *sim_cycles += r.cycles;
    Ok(r)
}

/// Re-prices the FIFOs after their depths changed: glue items, FIFO bits, totals.
fn update_costs(graph: &Graph, design: &mut Design) {
    let old = design.pipeline.glue_res;
    let mut bits = 0;
    let fifo_items: std::collections::HashMap<String, usize> = design
        .pipeline
        .glue
        .iter()
        .enumerate()
        .filter(|(_, item)| item.kind == "fifo")
        .map(|(i, item)| (item.name.clone(), i))
        .collect();
    for e in graph.g.edge_indices() {
        let Some(plan) = design.pipeline.edges[e.index()] else {
            continue;
        };
        let width = plan.dst_par as u64 * graph.g[e].tensor.ty.bits as u64;
        bits += plan.depth * width;
        if let Some(&i) = fifo_items.get(&graph.edge_label(e)) {
            let item = &mut design.pipeline.glue[i];
            item.depth = plan.depth;
            item.res = glue::fifo(plan.depth, width);
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
