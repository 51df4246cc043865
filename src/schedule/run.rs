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

/// The producer of a channel no instance drives: the testbench (of the top ports).
const SOURCE: usize = usize::MAX;
/// The channel index of [`TOP_IN`] (the top ports come first).
const TOP_IN_ID: usize = 0;
/// The channel index of [`TOP_OUT`].
const TOP_OUT_ID: usize = 1;

/// Simulates `net` under `drive`. Err (a bug in lowering) when an instance has no model or a
/// channel is not declared.
pub fn run(net: &Netlist, drive: Drive) -> crate::Result<Run> {
    let mut sim = Sim::new(net, drive)?;
    while (sim.run.ends.len() as u64) < drive.frames {
        if !sim.step() {
            break;
        }
    }
    Ok(sim.finish())
}

/// The channels of every instance's ports, by channel index, flat: instance `i`'s inputs are
/// `ins[in_at[i]..in_at[i + 1]]`, its outputs `outs[out_at[i]..out_at[i + 1]]`.
struct Ports {
    ins: Vec<usize>,
    in_at: Vec<usize>,
    outs: Vec<usize>,
    out_at: Vec<usize>,
    /// Per channel: the instance and output port driving it ([`SOURCE`] for none).
    producer: Vec<(usize, usize)>,
}

/// The cycle models of `net`'s instances and their ports over the channels `id` numbers. Err
/// when an instance has no model or names an undeclared channel.
fn wire(
    net: &Netlist,
    id: &HashMap<&str, usize>,
    nch: usize,
) -> crate::Result<(Vec<Model>, Ports)> {
    let mut models: Vec<Model> = Vec::with_capacity(net.instances.len());
    let mut ports = Ports {
        ins: Vec::new(),
        in_at: vec![0],
        outs: Vec::new(),
        out_at: vec![0],
        producer: vec![(SOURCE, 0); nch],
    };
    let chan = |c: &str| {
        id.get(c)
            .copied()
            .ok_or_else(|| crate::Error::Internal(format!("channel {c} is not declared")))
    };
    for (i, inst) in net.instances.iter().enumerate() {
        models.push(model(inst)?);
        for c in &inst.inputs {
            ports.ins.push(chan(c)?);
        }
        ports.in_at.push(ports.ins.len());
        for (k, c) in inst.outputs.iter().enumerate() {
            let c = chan(c)?;
            ports.producer[c] = (i, k);
            ports.outs.push(c);
        }
        ports.out_at.push(ports.outs.len());
    }
    Ok((models, ports))
}

/// The state of a simulation: the models, the handshake signals of the current cycle (buffers
/// reused from cycle to cycle) and the source's and sink's word counters.
struct Sim<'a> {
    net: &'a Netlist,
    drive: Drive,
    /// Channel names by index.
    names: Vec<&'a str>,
    models: Vec<Model>,
    ports: Ports,
    /// Per channel: its producer offers a word.
    valid: Vec<bool>,
    /// Per channel: a word moves this cycle.
    fire: Vec<bool>,
    /// Per input port (as in [`Ports::ins`]): the channel's `valid`.
    in_valid: Vec<bool>,
    /// Per input port: it takes a word this cycle.
    took: Vec<bool>,
    /// Per output port: it gives a word this cycle.
    gave: Vec<bool>,
    /// Per channel: the last cycle a word moved on it.
    last_moved: Vec<u64>,
    /// The source's frame and word within it.
    in_frame: u64,
    in_word: u64,
    /// The sink's word within its frame.
    out_word: u64,
    /// Cycles since the last handshake.
    idle: u64,
    cycle: u64,
    run: Run,
}

impl<'a> Sim<'a> {
    /// Numbers the channels (the top ports first) and wires the models before cycle 0.
    fn new(net: &'a Netlist, drive: Drive) -> crate::Result<Self> {
        let names: Vec<&str> = [TOP_IN, TOP_OUT]
            .into_iter()
            .chain(net.channels.iter().map(|c| c.name.as_str()))
            .collect();
        let id: HashMap<&str, usize> = names.iter().enumerate().map(|(i, &c)| (c, i)).collect();
        let nch = names.len();
        let (models, ports) = wire(net, &id, nch)?;
        let (nin, nout) = (ports.ins.len(), ports.outs.len());
        Ok(Sim {
            net,
            drive,
            names,
            models,
            ports,
            valid: vec![false; nch],
            fire: vec![false; nch],
            in_valid: vec![false; nin],
            took: vec![false; nin],
            gave: vec![false; nout],
            last_moved: vec![0; nch],
            in_frame: 0,
            in_word: 0,
            out_word: 0,
            idle: 0,
            cycle: 0,
            run: Run::default(),
        })
    }

    /// Simulates one cycle; false when it ends in a deadlock (recorded in the run).
    fn step(&mut self) -> bool {
        let offer = self.source_offers();
        self.settle_valid(offer);
        self.settle_fire();
        let moved = self.note_moves();
        self.count_io();
        self.step_models();
        self.cycle += 1;
        !self.deadlocked(moved, offer)
    }

    /// The source offers a word this cycle: frames remain and, when paced, its word is due.
    fn source_offers(&self) -> bool {
        let (net, drive) = (self.net, self.drive);
        let word = self.in_frame * net.in_words + self.in_word;
        self.in_frame < drive.frames
            && drive
                .pace
                .is_none_or(|p| self.cycle * net.in_words.max(1) >= word * p)
    }

    /// Every channel's `valid` from its producer, and every input port's copy of it.
    fn settle_valid(&mut self, offer: bool) {
        let models = &self.models;
        let producer = &self.ports.producer;
        for (c, v) in self.valid.iter_mut().enumerate() {
            *v = match producer[c] {
                (SOURCE, _) => c == TOP_IN_ID && offer,
                (i, k) => models[i].valid(k),
            };
        }
        for (v, &c) in self.in_valid.iter_mut().zip(&self.ports.ins) {
            *v = self.valid[c];
        }
    }

    /// Which channels move a word: the sink is always ready, an instance's input fires when
    /// it is valid and the instance is ready for it.
    fn settle_fire(&mut self) {
        let ports = &self.ports;
        let fire = &mut self.fire;
        fire.fill(false);
        fire[TOP_OUT_ID] = self.valid[TOP_OUT_ID];
        for (i, m) in self.models.iter().enumerate() {
            let (a, b) = (ports.in_at[i], ports.in_at[i + 1]);
            let seen = &self.in_valid[a..b];
            for (k, &c) in ports.ins[a..b].iter().enumerate() {
                fire[c] = seen[k] && m.ready(k, seen);
            }
        }
    }

    /// Stamps the channels that move this cycle; true when any does.
    fn note_moves(&mut self) -> bool {
        let mut moved = false;
        for (c, &f) in self.fire.iter().enumerate() {
            if f {
                self.last_moved[c] = self.cycle;
                moved = true;
            }
        }
        moved
    }

    /// Counts the source's and the sink's words; the sink's last word of a frame ends it.
    fn count_io(&mut self) {
        if self.fire[TOP_IN_ID] {
            self.run.first_in.get_or_insert(self.cycle);
            self.in_word += 1;
            if self.in_word == self.net.in_words {
                self.in_word = 0;
                self.in_frame += 1;
            }
        }
        if self.fire[TOP_OUT_ID] {
            self.out_word += 1;
            if self.out_word == self.net.out_words {
                self.out_word = 0;
                self.run.ends.push(self.cycle);
            }
        }
    }

    /// Steps every model with the words its ports took and gave.
    fn step_models(&mut self) {
        let (ports, fire) = (&self.ports, &self.fire);
        for (t, &c) in self.took.iter_mut().zip(&ports.ins) {
            *t = fire[c];
        }
        for (g, &c) in self.gave.iter_mut().zip(&ports.outs) {
            *g = fire[c];
        }
        for (i, m) in self.models.iter_mut().enumerate() {
            m.step(
                &self.took[ports.in_at[i]..ports.in_at[i + 1]],
                &self.gave[ports.out_at[i]..ports.out_at[i + 1]],
            );
        }
    }

    /// Advances the watchdog after a cycle (a paced source waiting for its next frame is not
    /// a stall); when it runs out, records the deadlock with the channel that moved last.
    fn deadlocked(&mut self, moved: bool, offer: bool) -> bool {
        let drive = self.drive;
        let waiting = drive.pace.is_some() && !offer && self.in_frame < drive.frames;
        self.idle = if moved || waiting { 0 } else { self.idle + 1 };
        if self.idle <= drive.watchdog {
            return false;
        }
        let last_moved = &self.last_moved;
        let last = (0..last_moved.len())
            .max_by_key(|&c| last_moved[c])
            .unwrap_or(0);
        self.run.deadlock = Some((self.cycle, self.names[last].to_string()));
        true
    }

    /// The run, with every FIFO's largest occupancy.
    fn finish(self) -> Run {
        let mut run = self.run;
        run.cycles = self.cycle;
        run.max_occ = self
            .models
            .iter()
            .map(|m| m.max_occupancy().unwrap_or(0))
            .collect();
        run
    }
}
