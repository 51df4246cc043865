//! The RTL netlist: instances of the hand-written modules of hls/rtl/ with their parameters,
//! joined by AXI-Stream channels. One structure feeds the Verilog top (`render`), the cycle
//! model of the schedule (`crate::sim::schedule`) and the per-stage synthesis (`crate::synth`),
//! so the three cannot disagree on a parameter.

use std::fmt::Write;

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
        "half_add" => (&["s0_axis", "s1_axis"], &["m_axis"]),
        "half_fork" => (&["s_axis"], &["m0_axis", "m1_axis", "m2_axis", "m3_axis"]),
        _ => (&["s_axis"], &["m_axis"]),
    }
}

fn connect(prefix: &str, chan: &str) -> String {
    if chan == TOP_IN || chan == TOP_OUT {
        return String::new();
    }
    format!(
        ".{prefix}_tdata({chan}_tdata), .{prefix}_tvalid({chan}_tvalid), .{prefix}_tready({chan}_tready)"
    )
}

/// The Verilog of one instance (and the wires of unused fork outputs and FIFO counters).
fn render_instance(inst: &Instance, wires: &mut String) -> String {
    let params: Vec<String> = inst
        .params
        .iter()
        .map(|(n, v)| match v {
            Value::Int(i) => format!(".{n}({i})"),
            Value::Str(s) => format!(".{n}(\"{s}\")"),
        })
        .collect();
    let (ins, outs) = port_names(inst.module);
    let mut ports = vec![".ap_clk(ap_clk), .ap_rst_n(ap_rst_n)".to_string()];
    let w = inst.get("W").unwrap_or(1);
    for (p, c) in ins.iter().zip(&inst.inputs) {
        if c == TOP_IN {
            ports.push(format!(
                ".s_axis_tdata(s_axis_tdata[{}:0]), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready)",
                w - 1
            ));
        } else {
            ports.push(connect(p, c));
        }
    }
    for (i, p) in outs.iter().enumerate() {
        match inst.outputs.get(i) {
            Some(c) if c == TOP_OUT => ports.push(format!(
                ".m_axis_tdata(m_axis_tdata[{}:0]), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast)",
                w - 1
            )),
            Some(c) => ports.push(connect(p, c)),
            None => {
                let u = format!("unused_{}_{p}", inst.name);
                let _ = writeln!(wires, "    wire [{}:0] {u}_tdata;", w - 1);
                let _ = writeln!(wires, "    wire {u}_tvalid;");
                ports.push(format!(
                    ".{p}_tdata({u}_tdata), .{p}_tvalid({u}_tvalid), .{p}_tready(1'b1)"
                ));
            }
        }
    }
    if inst.module == "half_fifo" {
        let depth = inst.get("DEPTH").unwrap_or(2) as u64;
        let cbits = 64 - depth.leading_zeros();
        let _ = writeln!(
            wires,
            "    wire [{}:0] unused_count_{};",
            cbits.max(1) - 1,
            inst.name
        );
        ports.push(format!(".count(unused_count_{})", inst.name));
    }
    format!(
        "    {} #({}) {} ({});\n",
        inst.module,
        params.join(", "),
        inst.name,
        ports.join(", ")
    )
}

/// The top module `<name>_top`: AXI-Stream ports `s_axis` (input words of `in_w` bits padded to
/// bytes) and `m_axis` with `tlast`, and `dbg_moved`, one handshake bit per monitored channel.
pub fn render(net: &Netlist, name: &str, in_w: u64, out_w: u64) -> String {
    let (in_axw, out_axw) = (in_w.div_ceil(8) * 8, out_w.div_ceil(8) * 8);
    let mut wires = String::new();
    for c in &net.channels {
        let _ = writeln!(
            wires,
            "    wire [{}:0] {}_tdata;",
            c.width.max(1) - 1,
            c.name
        );
        let _ = writeln!(wires, "    wire {0}_tvalid, {0}_tready;", c.name);
    }
    let mut body = String::new();
    for inst in &net.instances {
        body.push_str(&render_instance(inst, &mut wires));
    }
    let mut top = String::new();
    let _ = writeln!(
        top,
        "// {name}: dataflow pipeline generated by half-gen (one stage per layer)."
    );
    let _ = writeln!(
        top,
        "// Generated by half-gen; do not edit.\n`default_nettype none\n"
    );
    let _ = writeln!(
        top,
        "module {name}_top (\n    input  wire ap_clk,\n    input  wire ap_rst_n,"
    );
    let _ = writeln!(
        top,
        "    input  wire [{}:0] s_axis_tdata,\n    input  wire s_axis_tvalid,\n    output wire s_axis_tready,",
        in_axw - 1
    );
    let _ = writeln!(
        top,
        "    output wire [{}:0] m_axis_tdata,\n    output wire m_axis_tvalid,\n    input  wire m_axis_tready,\n    output wire m_axis_tlast,",
        out_axw - 1
    );
    let _ = writeln!(
        top,
        "    output wire [{}:0] dbg_moved\n);",
        net.monitors.len().max(1) - 1
    );
    top.push_str(&wires);
    if in_axw > in_w {
        let _ = writeln!(
            top,
            "    wire unused_in = &{{1'b0, s_axis_tdata[{}:{in_w}]}};",
            in_axw - 1
        );
    }
    if out_axw > out_w {
        let _ = writeln!(top, "    assign m_axis_tdata[{}:{out_w}] = 0;", out_axw - 1);
    }
    for (i, m) in net.monitors.iter().enumerate() {
        let _ = writeln!(top, "    assign dbg_moved[{i}] = {m}_tvalid && {m}_tready;");
    }
    if net.monitors.is_empty() {
        let _ = writeln!(top, "    assign dbg_moved[0] = 1'b0;");
    }
    top.push_str(&body);
    top.push_str("endmodule\n\n`default_nettype wire\n");
    top
}
