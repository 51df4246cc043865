//! The stage schedule: a cycle-level simulation of the RTL netlist in Rust, built from the
//! modules' cycle models (`models`, `swg_model`), fed by an AXI-Stream source as the Verilator
//! testbench drives it (a word offered every cycle, the output always ready). It gives the
//! model's latency and cycles per frame and sizes the FIFOs (`fifo`), in milliseconds, without
//! a vendor simulator; Verilator co-simulation checks it (tests/cosim.rs).

use crate::stage::cycle::{CycleModel, Model, model};
use crate::stage::netlist::{Netlist, TOP_IN, TOP_OUT};
use std::collections::HashMap;

/// What one simulation observed.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// Cycle of the first input handshake.
    pub first_in: Option<u64>,
    /// Cycle of each frame's last output handshake.
    pub ends: Vec<u64>,
    /// Per instance: the largest FIFO occupancy (0 for other modules).
    pub max_occ: Vec<u64>,
    /// On a deadlock: the cycle and the channel that moved last.
    pub deadlock: Option<(u64, String)>,
    /// Cycles simulated.
    pub cycles: u64,
}

impl Run {
    /// First input beat to last output beat of frame 0, inclusive (as the testbench counts).
    pub fn latency(&self) -> u64 {
        match (self.ends.first(), self.first_in) {
            (Some(&e), Some(f)) => e - f + 1,
            _ => 0,
        }
    }

    /// Steady-state cycles per frame: between the completions of frames 1 and N-1 (as the
    /// testbench measures).
    pub fn cycles_per_frame(&self) -> f64 {
        let n = self.ends.len();
        if n >= 3 {
            (self.ends[n - 1] - self.ends[1]) as f64 / (n - 2) as f64
        } else if n == 2 {
            (self.ends[1] - self.ends[0]) as f64
        } else {
            0.0
        }
    }
}

/// How the source offers frames.
#[derive(Debug, Clone, Copy)]
pub struct Drive {
    /// Frames to stream.
    pub frames: u64,
    /// When set, the source offers its words at an even rate of one frame per `pace` cycles:
    /// word `w` (counted over all frames) no earlier than cycle `w * pace / words per frame`.
    pub pace: Option<u64>,
    /// Cycles without any handshake before the run is declared deadlocked.
    pub watchdog: u64,
}

const SOURCE: usize = usize::MAX;

/// Simulates `net` under `drive`. Err (a bug in lowering) when an instance has no model or a
/// channel is not declared.
pub fn run(net: &Netlist, drive: Drive) -> crate::Result<Run> {
    let mut models: Vec<Model> = Vec::with_capacity(net.instances.len());
    let mut id: HashMap<&str, usize> = HashMap::new();
    let mut names: Vec<&str> = Vec::new();
    for c in [TOP_IN, TOP_OUT]
        .into_iter()
        .chain(net.channels.iter().map(|c| c.name.as_str()))
    {
        id.insert(c, names.len());
        names.push(c);
    }
    let nch = names.len();
    let mut producer = vec![(SOURCE, 0usize); nch];
    // Ports of all instances, flat: instance i's inputs are ins[in_at[i]..in_at[i + 1]].
    let (mut ins, mut outs) = (Vec::new(), Vec::new());
    let (mut in_at, mut out_at) = (vec![0usize], vec![0usize]);
    let chan = |c: &str| {
        id.get(c)
            .copied()
            .ok_or_else(|| crate::Error::Internal(format!("channel {c} is not declared")))
    };
    for (i, inst) in net.instances.iter().enumerate() {
        models.push(model(inst)?);
        for c in &inst.inputs {
            ins.push(chan(c)?);
        }
        in_at.push(ins.len());
        for (k, c) in inst.outputs.iter().enumerate() {
            let c = chan(c)?;
            producer[c] = (i, k);
            outs.push(c);
        }
        out_at.push(outs.len());
    }
    let (top_in, top_out) = (0usize, 1usize);
    let mut valid = vec![false; nch];
    let mut fire = vec![false; nch];
    let mut in_valid = vec![false; ins.len()];
    let mut took = vec![false; ins.len()];
    let mut gave = vec![false; outs.len()];
    let mut r = Run::default();
    let (mut in_frame, mut in_word, mut out_word) = (0u64, 0u64, 0u64);
    let mut last_moved = vec![0u64; nch];
    let mut idle = 0u64;
    let mut cycle = 0u64;
    while (r.ends.len() as u64) < drive.frames {
        let word = in_frame * net.in_words + in_word;
        let offer = in_frame < drive.frames
            && drive
                .pace
                .is_none_or(|p| cycle * net.in_words.max(1) >= word * p);
        for (c, v) in valid.iter_mut().enumerate() {
            *v = match producer[c] {
                (SOURCE, _) => c == top_in && offer,
                (i, k) => models[i].valid(k),
            };
        }
        fire.fill(false);
        fire[top_out] = valid[top_out];
        for (v, &c) in in_valid.iter_mut().zip(&ins) {
            *v = valid[c];
        }
        for (i, m) in models.iter().enumerate() {
            let (a, b) = (in_at[i], in_at[i + 1]);
            let seen = &in_valid[a..b];
            for (k, &c) in ins[a..b].iter().enumerate() {
                fire[c] = seen[k] && m.ready(k, seen);
            }
        }
        let mut moved = false;
        for (c, &f) in fire.iter().enumerate() {
            if f {
                last_moved[c] = cycle;
                moved = true;
            }
        }
        if fire[top_in] {
            r.first_in.get_or_insert(cycle);
            in_word += 1;
            if in_word == net.in_words {
                in_word = 0;
                in_frame += 1;
            }
        }
        if fire[top_out] {
            out_word += 1;
            if out_word == net.out_words {
                out_word = 0;
                r.ends.push(cycle);
            }
        }
        for (t, &c) in took.iter_mut().zip(&ins) {
            *t = fire[c];
        }
        for (g, &c) in gave.iter_mut().zip(&outs) {
            *g = fire[c];
        }
        for (i, m) in models.iter_mut().enumerate() {
            m.step(
                &took[in_at[i]..in_at[i + 1]],
                &gave[out_at[i]..out_at[i + 1]],
            );
        }
        cycle += 1;
        // A paced source waiting for its next frame is not a stall.
        let waiting = drive.pace.is_some() && !offer && in_frame < drive.frames;
        idle = if moved || waiting { 0 } else { idle + 1 };
        if idle > drive.watchdog {
            let last = (0..nch).max_by_key(|&c| last_moved[c]).unwrap_or(0);
            r.deadlock = Some((cycle, names[last].to_string()));
            break;
        }
    }
    r.cycles = cycle;
    r.max_occ = models
        .iter()
        .map(|m| m.max_occupancy().unwrap_or(0))
        .collect();
    Ok(r)
}
