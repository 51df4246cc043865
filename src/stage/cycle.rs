//! Cycle models of the hand-written RTL modules (hls/rtl/): each is the module's control state
//! and handshake rules, transcribed from the Verilog (data is never modelled: no module's timing
//! depends on it). A model answers, from its registers, whether each output is valid and each
//! input is ready (an input may also look at the other inputs' valid, as `half_add` does), then
//! takes the clock edge given which handshakes fired. Verilator co-simulation of the generated
//! top checks these models against the RTL (tests/cosim.rs).

use crate::stage::netlist::Instance;

/// One module's cycle behaviour.
pub trait CycleModel {
    /// Output `port` is valid this cycle (registered in every module of hls/rtl/).
    fn valid(&self, port: usize) -> bool;
    /// Input `port` is ready this cycle, given the inputs' valid signals.
    fn ready(&self, port: usize, in_valid: &[bool]) -> bool;
    /// The clock edge: `took[i]` when input `i` handshook, `gave[o]` when output `o` did.
    fn step(&mut self, took: &[bool], gave: &[bool]);
    /// For FIFOs: the largest occupancy seen.
    fn max_occupancy(&self) -> Option<u64> {
        None
    }
}

/// Every module's model, dispatched statically (the schedule calls these billions of times
/// over a search; a `match` inlines where a trait object cannot).
#[derive(Debug, Clone)]
pub enum Model {
    /// `half_fifo`.
    Fifo(Fifo),
    /// `half_axis_in`, `half_axis_out`.
    Skid(Skid),
    /// `half_dwc`.
    Dwc(Dwc),
    /// `half_fork`.
    Fork(Fork),
    /// `half_add`.
    Add(Add),
    /// `half_pool`.
    Pool(Pool),
    /// `half_mvu`, `half_vvu`.
    Mvu(Mvu),
    /// `half_swg`.
    Swg(super::swg_cycle::Swg),
}

macro_rules! each_model {
    ($self:expr, $m:ident => $body:expr) => {
        match $self {
            Model::Fifo($m) => $body,
            Model::Skid($m) => $body,
            Model::Dwc($m) => $body,
            Model::Fork($m) => $body,
            Model::Add($m) => $body,
            Model::Pool($m) => $body,
            Model::Mvu($m) => $body,
            Model::Swg($m) => $body,
        }
    };
}

impl CycleModel for Model {
    #[inline]
    fn valid(&self, port: usize) -> bool {
        each_model!(self, m => m.valid(port))
    }
    #[inline]
    fn ready(&self, port: usize, in_valid: &[bool]) -> bool {
        each_model!(self, m => m.ready(port, in_valid))
    }
    #[inline]
    fn step(&mut self, took: &[bool], gave: &[bool]) {
        each_model!(self, m => m.step(took, gave))
    }
    fn max_occupancy(&self) -> Option<u64> {
        each_model!(self, m => m.max_occupancy())
    }
}

/// The model of `inst`, or the name of a parameter it lacks / a module without a model.
pub fn model(inst: &Instance) -> Result<Model, String> {
    let p = |n: &str| {
        inst.get(n)
            .ok_or_else(|| format!("{}: parameter {n} missing", inst.name))
    };
    Ok(match inst.module {
        "half_fifo" => Model::Fifo(Fifo::new(p("DEPTH")? as u64)),
        "half_axis_in" | "half_axis_out" => Model::Skid(Skid::default()),
        "half_dwc" => Model::Dwc(Dwc::new(p("PI")? as u64, p("PO")? as u64)),
        "half_fork" => Model::Fork(Fork {
            ways: p("WAYS")? as usize,
            in_rdy: false,
            occ: [0; 4],
        }),
        "half_add" => Model::Add(Add {
            queue: Fifo::new(3),
            v1: false,
        }),
        "half_pool" => Model::Pool(Pool::new(
            p("GLOBAL")? != 0,
            p("KK")? as u64,
            (p("C")? / p("PE")?) as u64,
            p("PIXELS")? as u64,
        )),
        "half_mvu" => Model::Mvu(Mvu::new(
            (p("MW")? / p("SIMD")?) as u64,
            (p("MH")? / p("PE")?) as u64,
            true,
        )),
        "half_vvu" => Model::Mvu(Mvu::new(
            (p("KK")? / p("SIMD")?) as u64,
            (p("C")? / p("PE")?) as u64,
            false,
        )),
        "half_swg" => Model::Swg(super::swg_cycle::Swg::new(inst)?),
        m => return Err(format!("{}: no cycle model for module {m}", inst.name)),
    })
}

/// `half_fifo`: ready while not full, valid while not empty (both from the count register).
#[derive(Debug, Clone)]
pub struct Fifo {
    depth: u64,
    cnt: u64,
    max: u64,
}

impl Fifo {
    /// An empty FIFO of `depth` words.
    pub fn new(depth: u64) -> Self {
        Fifo {
            depth,
            cnt: 0,
            max: 0,
        }
    }
}

impl CycleModel for Fifo {
    fn valid(&self, _: usize) -> bool {
        self.cnt != 0
    }
    fn ready(&self, _: usize, _: &[bool]) -> bool {
        self.cnt != self.depth
    }
    fn step(&mut self, took: &[bool], gave: &[bool]) {
        self.cnt = self.cnt + u64::from(took[0]) - u64::from(gave[0]);
        self.max = self.max.max(self.cnt);
    }
    fn max_occupancy(&self) -> Option<u64> {
        Some(self.max)
    }
}

/// `half_axis_in` (and the register stage of `half_axis_out`): an output register with a
/// skid buffer; ready while the skid buffer is empty.
#[derive(Debug, Clone, Default)]
pub struct Skid {
    out_v: bool,
    skid_v: bool,
}

impl CycleModel for Skid {
    fn valid(&self, _: usize) -> bool {
        self.out_v
    }
    fn ready(&self, _: usize, _: &[bool]) -> bool {
        !self.skid_v
    }
    fn step(&mut self, took: &[bool], gave: &[bool]) {
        let free = !self.out_v || gave[0];
        if free {
            self.out_v = self.skid_v || took[0];
            self.skid_v = false;
        } else if took[0] {
            self.skid_v = true;
        }
    }
}

/// `half_dwc`: a shift register of CAP = PI + PO + min(PI, PO) - gcd(PI, PO) elements.
#[derive(Debug, Clone)]
pub struct Dwc {
    pi: u64,
    po: u64,
    cap: u64,
    have: u64,
    out_v: bool,
    in_r: bool,
}

impl Dwc {
    fn new(pi: u64, po: u64) -> Self {
        let gcd = |mut a: u64, mut b: u64| {
            while b != 0 {
                (a, b) = (b, a % b);
            }
            a
        };
        Dwc {
            pi,
            po,
            cap: pi + po + pi.min(po) - gcd(pi, po),
            have: 0,
            out_v: false,
            in_r: false,
        }
    }
}

impl CycleModel for Dwc {
    fn valid(&self, _: usize) -> bool {
        self.out_v
    }
    fn ready(&self, _: usize, _: &[bool]) -> bool {
        self.in_r
    }
    fn step(&mut self, took: &[bool], gave: &[bool]) {
        let remain = self.have - if gave[0] { self.po } else { 0 };
        self.have = remain + if took[0] { self.pi } else { 0 };
        self.out_v = self.have >= self.po;
        self.in_r = self.have + self.pi <= self.cap;
    }
}

/// `half_fork`: a two-word buffer with one occupancy per output; ready (registered) while every
/// output has fewer than two words pending.
#[derive(Debug, Clone)]
pub struct Fork {
    ways: usize,
    in_rdy: bool,
    occ: [u8; 4],
}

impl CycleModel for Fork {
    fn valid(&self, port: usize) -> bool {
        self.occ[port] != 0
    }
    fn ready(&self, _: usize, _: &[bool]) -> bool {
        self.in_rdy
    }
    fn step(&mut self, took: &[bool], gave: &[bool]) {
        let mut rdy = true;
        for (occ, &g) in self.occ.iter_mut().zip(gave).take(self.ways) {
            *occ = *occ + u8::from(took[0]) - u8::from(g);
            rdy &= *occ != 2;
        }
        self.in_rdy = rdy;
    }
}

/// `half_add`: both inputs taken together while the 3-word output queue has room for the word
/// in the pipeline register.
#[derive(Debug, Clone)]
pub struct Add {
    queue: Fifo,
    v1: bool,
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

/// `half_pool`: a window pool (one output per KK words, 1 register before a 3-word queue) or a
/// global pool (channel sums over PIXELS pixels, 2 registers before a 4-word queue).
#[derive(Debug, Clone)]
pub struct Pool {
    global: bool,
    kk: u64,
    cf: u64,
    pixels: u64,
    queue: Fifo,
    // window pool
    k: u64,
    done1: bool,
    // global pool
    c: u64,
    px: u64,
    v1: bool,
    last1: bool,
    v2: bool,
    last2: bool,
}

impl Pool {
    fn new(global: bool, kk: u64, cf: u64, pixels: u64) -> Self {
        Pool {
            global,
            kk,
            cf,
            pixels,
            queue: Fifo::new(if global { 4 } else { 3 }),
            k: 0,
            done1: false,
            c: 0,
            px: 0,
            v1: false,
            last1: false,
            v2: false,
            last2: false,
        }
    }
    fn in_flight(&self) -> u64 {
        if self.global {
            u64::from(self.v1 && self.last1) + u64::from(self.v2 && self.last2)
        } else {
            u64::from(self.done1)
        }
    }
}

impl CycleModel for Pool {
    fn valid(&self, _: usize) -> bool {
        self.queue.cnt != 0
    }
    fn ready(&self, _: usize, _: &[bool]) -> bool {
        self.queue.cnt + self.in_flight() < self.queue.depth
    }
    fn step(&mut self, took: &[bool], gave: &[bool]) {
        let take = took[0];
        if self.global {
            let push = self.v2 && self.last2 && self.queue.ready(0, &[]);
            self.queue.step(&[push], gave);
            if self.v1 {
                self.last2 = self.last1;
            }
            self.v2 = self.v1;
            if take {
                self.last1 = self.px == self.pixels - 1;
            }
            self.v1 = take;
            if take {
                if self.c == self.cf - 1 {
                    self.c = 0;
                    self.px = if self.px == self.pixels - 1 {
                        0
                    } else {
                        self.px + 1
                    };
                } else {
                    self.c += 1;
                }
            }
        } else {
            let push = self.done1 && self.queue.ready(0, &[]);
            self.queue.step(&[push], gave);
            let last = self.k == self.kk - 1;
            self.done1 = take && last;
            if take {
                self.k = if last { 0 } else { self.k + 1 };
            }
        }
    }
}

/// `half_mvu` / `half_vvu`: one iteration per cycle over (nf, sf), issued while the 8-word output
/// queue can take every output in flight; the matrix unit reads its input only while nf = 0
/// (`replay`), the depthwise unit on every iteration. Outputs enter the queue 4 edges after the
/// last iteration of their row issued (valid 5 cycles after it).
#[derive(Debug, Clone)]
pub struct Mvu {
    sf_n: u64,
    nf_n: u64,
    replay: bool,
    sf: u64,
    nf: u64,
    q_count: u64,
    inflight: u64,
    v: [bool; 3],
    last: [bool; 3],
    v4: bool,
}

impl Mvu {
    fn new(sf_n: u64, nf_n: u64, replay: bool) -> Self {
        Mvu {
            sf_n,
            nf_n,
            replay,
            sf: 0,
            nf: 0,
            q_count: 0,
            inflight: 0,
            v: [false; 3],
            last: [false; 3],
            v4: false,
        }
    }
    fn space(&self) -> bool {
        self.q_count + self.inflight < 8
    }
    fn need_in(&self) -> bool {
        !self.replay || self.nf == 0
    }
}

impl CycleModel for Mvu {
    fn valid(&self, _: usize) -> bool {
        self.q_count != 0
    }
    fn ready(&self, _: usize, _: &[bool]) -> bool {
        self.need_in() && self.space()
    }
    fn step(&mut self, took: &[bool], gave: &[bool]) {
        // The depthwise unit's iteration counter is (cf, kf): `nf` counts channel folds.
        let go = if self.need_in() {
            took[0]
        } else {
            self.space()
        };
        let is_last = self.sf == self.sf_n - 1;
        let push = self.v4;
        self.q_count = self.q_count + u64::from(push) - u64::from(gave[0]);
        self.inflight = self.inflight + u64::from(go && is_last) - u64::from(push);
        self.v4 = self.v[2] && self.last[2];
        self.v[2] = self.v[1];
        self.last[2] = self.last[1];
        self.v[1] = self.v[0];
        self.last[1] = self.last[0];
        self.v[0] = go;
        if go {
            self.last[0] = is_last;
            if is_last {
                self.sf = 0;
                self.nf = if self.nf == self.nf_n - 1 {
                    0
                } else {
                    self.nf + 1
                };
            } else {
                self.sf += 1;
            }
        }
    }
}
