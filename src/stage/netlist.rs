//! The netlist: instances of the hand-written modules of hls/rtl/ with their parameters,
//! joined by AXI-Stream channels. One structure feeds the Verilog top (`backend::rtl`), the
//! cycle-level schedule (`schedule`) and the per-stage synthesis (`commands::synth`), so the
//! three cannot disagree on a parameter.

/// A module parameter value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum Value {
    /// An integer parameter.
    Int(i64),
    /// A string parameter (file names, memory styles).
    Str(String),
}

/// One instance of a hand-written module.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Instance {
    /// Module name (`half_mvu`, ...).
    pub module: &'static str,
    /// Instance name.
    pub name: String,
    /// The layer it belongs to, or `glue` for FIFOs, converters, forks and the ports.
    pub layer: String,
    /// Parameters in declaration order.
    pub params: Vec<(&'static str, Value)>,
    /// Input channels, by port.
    pub inputs: Vec<String>,
    /// Output channels, by port.
    pub outputs: Vec<String>,
}

impl Instance {
    /// A new instance without channels.
    pub fn new(module: &'static str, name: impl Into<String>, layer: impl Into<String>) -> Self {
        Instance {
            module,
            name: name.into(),
            layer: layer.into(),
            params: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
        }
    }

    /// Adds an integer parameter.
    pub fn int(mut self, name: &'static str, v: impl Into<i64>) -> Self {
        self.params.push((name, Value::Int(v.into())));
        self
    }

    /// Adds a string parameter.
    pub fn str(mut self, name: &'static str, v: impl Into<String>) -> Self {
        self.params.push((name, Value::Str(v.into())));
        self
    }

    /// Connects the input and output channels.
    pub fn io(mut self, inputs: &[&str], outputs: &[&str]) -> Self {
        self.inputs = inputs.iter().map(|s| s.to_string()).collect();
        self.outputs = outputs.iter().map(|s| s.to_string()).collect();
        self
    }

    /// An integer parameter's value.
    pub fn get(&self, name: &str) -> Option<i64> {
        self.params.iter().find_map(|(n, v)| match v {
            Value::Int(i) if *n == name => Some(*i),
            _ => None,
        })
    }

    /// An integer parameter a cycle model needs; its absence is a bug in the unit that made
    /// the instance.
    pub fn param(&self, name: &str) -> crate::Result<i64> {
        self.get(name).ok_or_else(|| {
            crate::Error::Internal(format!("{}: parameter {name} missing", self.name))
        })
    }
}

/// A channel: `<name>_tdata`, `<name>_tvalid`, `<name>_tready`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Channel {
    /// Wire name prefix.
    pub name: String,
    /// Data bits.
    pub width: u64,
}

/// Name of the channel from the top's AXI-Stream input port to the input adapter.
pub const TOP_IN: &str = "s_axis";
/// Name of the channel from the output adapter to the top's AXI-Stream output port.
pub const TOP_OUT: &str = "m_axis";

/// The whole pipeline as instances and channels.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Netlist {
    /// Channels other than the top ports.
    pub channels: Vec<Channel>,
    /// Instances, producers before consumers.
    pub instances: Vec<Instance>,
    /// Per graph edge index with a FIFO: (edge index, instance index of its FIFO).
    #[serde(skip)]
    pub edge_fifos: Vec<(usize, usize)>,
    /// Channels whose handshakes the testbench watches (for deadlock messages).
    pub monitors: Vec<String>,
    /// Words per frame at the input and the output ports.
    pub in_words: u64,
    /// Output words per frame.
    pub out_words: u64,
}

/// The port prefixes of a module's inputs and outputs.
pub fn port_names(module: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match module {
        "half_add" | "half_concat" => (&["s0_axis", "s1_axis"], &["m_axis"]),
        "half_fork" => (&["s_axis"], &["m0_axis", "m1_axis", "m2_axis", "m3_axis"]),
        _ => (&["s_axis"], &["m_axis"]),
    }
}
