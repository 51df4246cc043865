//! The `half-gen` command line: parses arguments, calls the library, prints.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use half_gen::fold::{Caps, Options, config};
use half_gen::{Error, board, fsutil, reference, report};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// mimalloc: the search and the schedule allocate many small, short-lived vectors, which it
/// serves faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `println!` that ends the process quietly when stdout is closed (`half-gen ... | head`).
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write;
        if writeln!(std::io::stdout(), $($t)*).is_err() {
            std::process::exit(0);
        }
    }};
}

/// `print!` with the same closed-stdout handling.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write;
        if write!(std::io::stdout(), $($t)*).is_err() {
            std::process::exit(0);
        }
    }};
}

mod cmd_import;
mod cmd_search;

#[derive(Parser)]
#[command(
    name = "half-gen",
    version,
    about = "Compile a quantized CNN into a streaming FPGA accelerator"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The options every folding command takes.
#[derive(Args)]
struct FoldArgs {
    /// Board name (see `half-gen boards`) or a board .yaml file.
    #[arg(long, default_value = "pynq-z2")]
    board: String,
    /// Clock in MHz (default: the board's usual clock).
    #[arg(long)]
    clock_mhz: Option<f64>,
    /// Utilisation caps, e.g. `lut=0.7,dsp=1.0` (defaults lut/ff 0.85, bram18/uram/dsp 0.90).
    #[arg(long, default_value = "")]
    max_util: String,
    /// Ask for the cheapest design reaching this many frames/s.
    #[arg(long)]
    target_fps: Option<f64>,
    /// Pin folds: a YAML file `layer: {pe, simd, mult, mem}`.
    #[arg(long)]
    folding: Option<PathBuf>,
    /// Let the optimizer also choose PE and SIMD that do not divide their dimension (padded
    /// lanes, one step per octave of folds; folding takes longer).
    #[arg(long)]
    padded_lanes: bool,
}

impl FoldArgs {
    fn options(&self) -> Result<Options, Error> {
        if let Some(c) = self.clock_mhz
            && !(c.is_finite() && c > 0.0 && c <= 1000.0)
        {
            return Err(Error::InvalidOption(format!(
                "--clock-mhz must be in (0, 1000], got {c}"
            )));
        }
        if let Some(f) = self.target_fps
            && !(f.is_finite() && f > 0.0)
        {
            return Err(Error::InvalidOption(format!(
                "--target-fps must be positive, got {f}"
            )));
        }
        let pins = match &self.folding {
            Some(p) => config::load(p)?,
            None => Default::default(),
        };
        Ok(Options {
            caps: Caps::parse(&self.max_util)?,
            target_fps: self.target_fps,
            clock_mhz: self.clock_mhz,
            pins,
            fast: false,
            padded_lanes: self.padded_lanes,
            reserve: Default::default(),
        })
    }
}

#[derive(Subcommand)]
enum Command {
    /// Fold a model for a board and print cycles, latency and resources per layer.
    Estimate {
        /// The model file (YAML, format v1), or an ONNX model to import first.
        model: PathBuf,
        #[command(flatten)]
        fold: FoldArgs,
        /// Write the final folding to this file (same format as --folding).
        #[arg(long)]
        write_folding: Option<PathBuf>,
        /// Print one JSON object.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print CSV.
        #[arg(long)]
        csv: bool,
    },
    /// Run the bit-exact reference interpreter on a data set or on seeded random frames.
    Eval {
        /// The model file, or an ONNX model to import first.
        model: PathBuf,
        /// A .npz with `x` [N, ...input shape] and optional labels `y`.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Random frames to run when no data is given.
        #[arg(long, default_value_t = 100)]
        frames: usize,
        /// Write the outputs to this .npy file.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Fold a model and write its Vitis HLS project, testbench vectors and reports.
    Build {
        /// The model file, or an ONNX model to import first.
        model: PathBuf,
        #[command(flatten)]
        fold: FoldArgs,
        /// Output directory (default: build/<model name>).
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// Test frames for the testbench (seeded random inputs and reference outputs).
        #[arg(long, default_value_t = 8)]
        frames: usize,
        /// Replace an existing directory half-gen did not write.
        #[arg(long)]
        force: bool,
        /// Override a sized FIFO: `producer->consumer=DEPTH` (repeatable; for experiments).
        #[arg(long = "fifo-depth", value_parser = parse_fifo_depth)]
        fifo_depth: Vec<(String, u64)>,
    },
    /// Compile a build's C simulation with g++ and check it bit-exact against the reference.
    Csim {
        /// The build directory (written by `half-gen build`).
        dir: PathBuf,
        /// Simulate at most this many of the build's test frames.
        #[arg(long)]
        frames: Option<usize>,
        /// Cycle simulation of the HLS C++: bounded streams at the project's depths, one
        /// pipelined-loop iteration per cycle; cycles per frame, latency, deadlocks.
        #[arg(long)]
        cycles: bool,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Simulate a build's Verilog with Verilator: bit-exact check and measured vs modelled cycles.
    Cosim {
        /// The build directory.
        dir: PathBuf,
        /// Simulate at most this many of the build's test frames.
        #[arg(long)]
        frames: Option<usize>,
        /// Drop input tvalid and output tready at random with this probability.
        #[arg(long, default_value_t = 0.0)]
        stall: f64,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Synthesise every stage of a build's Verilog with Yosys and compare with the estimate.
    Synth {
        /// The build directory (written by `half-gen build`).
        dir: PathBuf,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// Yosys processes to run at once.
        #[arg(long, default_value_t = 2)]
        jobs: usize,
        /// Time limit of one Yosys run (one stage), seconds.
        #[arg(long, default_value_t = 900)]
        timeout: u64,
    },
    /// Search a space of architectures (docs/search-space.md) for the Pareto front on a board.
    Search(cmd_search::SearchArgs),
    /// Latency and resource lookup table of every layer configuration of a space.
    Lut(cmd_search::LutArgs),
    /// Import a quantized ONNX model (QONNX, or onnxruntime's int8 QDQ/QOperator) as a model
    /// file and weights (docs/import.md).
    Import(cmd_import::ImportArgs),
    /// List the built-in boards.
    Boards {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `v` as pretty-printed JSON.
fn to_json<T: serde::Serialize>(v: &T) -> Result<String, Error> {
    serde_json::to_string_pretty(v).map_err(|e| Error::Serialization(e.to_string()))
}

/// Runs a command; the value is the process exit code when the command itself succeeded.
fn run(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        Command::Estimate {
            model,
            fold,
            write_folding,
            json,
            csv,
        } => estimate(&model, &fold, write_folding.as_deref(), json, csv),
        Command::Eval {
            model,
            data,
            frames,
            out,
            json,
        } => eval(&model, data.as_deref(), frames, out.as_deref(), json),
        Command::Build {
            model,
            fold,
            out,
            frames,
            force,
            fifo_depth,
        } => build(&model, &fold, out.as_deref(), frames, force, &fifo_depth),
        Command::Csim {
            dir,
            frames,
            cycles: true,
            json,
        } => csim_cycles(&dir, frames, json),
        Command::Csim {
            dir, frames, json, ..
        } => csim(&dir, frames, json),
        Command::Cosim {
            dir,
            frames,
            stall,
            json,
        } => cosim(&dir, frames, stall, json),
        Command::Synth {
            dir,
            json,
            jobs,
            timeout,
        } => synth(&dir, json, jobs, timeout),
        Command::Search(a) => cmd_search::search(a),
        Command::Lut(a) => cmd_search::lut(a),
        Command::Import(a) => cmd_import::import(a),
        Command::Boards { json } => boards(json),
    }
}

/// `half-gen estimate`: the report as a table, CSV or JSON; the folding written on request.
fn estimate(
    model: &Path,
    fold: &FoldArgs,
    write_folding: Option<&Path>,
    json: bool,
    csv: bool,
) -> Result<u8, Error> {
    let (_import, model) = half_gen::commands::import::source(model)?;
    let r = half_gen::estimate(&model, &fold.board, &fold.options()?)?;
    for w in &r.model.warnings {
        eprintln!("warning: {w}");
    }
    if let Some(path) = write_folding {
        let text = config::to_yaml(&r.design.folds(&r.graph));
        fsutil::write_atomic(path, text.as_bytes())?;
    }
    if json {
        outln!("{}", to_json(&r.estimate)?);
    } else if csv {
        out!("{}", report::csv(&r.estimate)?);
    } else {
        out!("{}", report::table(&r.estimate));
    }
    Ok(0)
}

/// `half-gen eval`: the reference interpreter's accuracy (with labels) and speed.
fn eval(
    model: &Path,
    data: Option<&Path>,
    frames: usize,
    out: Option<&Path>,
    json: bool,
) -> Result<u8, Error> {
    let (_import, model) = half_gen::commands::import::source(model)?;
    let l = half_gen::load(&model)?;
    for w in &l.model.warnings {
        eprintln!("warning: {w}");
    }
    let r = reference::eval::evaluate(&l.graph, &l.params, l.model.seed, data, frames, out)?;
    if json {
        outln!("{}", to_json(&r)?);
    } else {
        if let (Some(a), Some(c)) = (r.accuracy, r.correct) {
            outln!("top-1 accuracy: {:.2} % ({c}/{})", a * 100.0, r.frames);
        }
        outln!(
            "{} frames in {:.3} s ({:.1} frames/s, reference interpreter)",
            r.frames,
            r.run_s,
            r.fps
        );
    }
    Ok(0)
}

/// `half-gen build`: writes the project and prints one line about it.
fn build(
    model: &Path,
    fold: &FoldArgs,
    out: Option<&Path>,
    frames: usize,
    force: bool,
    fifo_depth: &[(String, u64)],
) -> Result<u8, Error> {
    let (_import, model) = half_gen::commands::import::source(model)?;
    let b = half_gen::build::build(
        &model,
        &fold.board,
        &fold.options()?,
        out,
        frames,
        force,
        fifo_depth,
    )?;
    let e = &b.estimate;
    if let Some(why) = &b.rtl_skipped {
        eprintln!("note: {why}");
    }
    outln!(
        "wrote {} ({} files): {} on {}, {} cycles/frame ({:.1} frames/s), latency {} cycles, {} test frames",
        b.dir.display(),
        b.files,
        e.model,
        e.board,
        e.cycles_per_frame,
        e.fps,
        e.latency_cycles,
        b.frames
    );
    Ok(0)
}

/// `half-gen csim --cycles`: exit code 0 when the cycle simulation is bit-exact without a
/// deadlock, 1 otherwise.
fn csim_cycles(dir: &Path, frames: Option<usize>, json: bool) -> Result<u8, Error> {
    let r = half_gen::sim::cycles::cycles(dir, frames)?;
    if json {
        outln!("{}", to_json(&r)?);
        return Ok(if r.passed { 0 } else { 1 });
    }
    if r.deadlock {
        outln!("cycle simulation FAILED: deadlock; the processes that wait:");
        for b in &r.blocked {
            let why = if b.op == "write" { "full" } else { "empty" };
            outln!(
                "  {} waits to {} stream `{}` ({why}: {} of {} words)",
                b.process,
                b.op,
                b.stream,
                b.occupancy,
                b.depth
            );
        }
    } else {
        outln!(
            "cycle simulation {}: {} frames, {} mismatches, {} protocol errors",
            if r.passed { "PASSED" } else { "FAILED" },
            r.frames,
            r.mismatches,
            r.protocol_errors
        );
        outln!(
            "cycles per frame {:.1} (estimate {:.1}, {:.2} % off), latency {} (estimate {}, {:.2} % off)",
            r.cycles_per_frame,
            r.model_cycles_per_frame,
            r.cycles_error_pct,
            r.latency_cycles,
            r.model_latency_cycles,
            r.latency_error_pct
        );
    }
    outln!(
        "compile {:.2} s, simulate {:.3} s ({} cycles)",
        r.compile_s,
        r.run_s,
        r.sim_cycles
    );
    Ok(if r.passed { 0 } else { 1 })
}

/// `half-gen csim`: exit code 0 when the C simulation matches the reference, 1 otherwise.
fn csim(dir: &Path, frames: Option<usize>, json: bool) -> Result<u8, Error> {
    let r = half_gen::sim::csim::csim(dir, frames)?;
    if json {
        outln!("{}", to_json(&r)?);
    } else {
        outln!(
            "csim {}: {} frames, {} mismatches, {} protocol errors",
            if r.passed { "PASSED" } else { "FAILED" },
            r.frames,
            r.mismatches,
            r.protocol_errors
        );
        if let Some(m) = &r.first_mismatch {
            outln!(
                "first mismatch: frame {}, output index {}, expected {}, got {}",
                m.frame,
                m.index,
                m.expected,
                m.got
            );
        }
        let off: Vec<_> = r.iterations.iter().filter(|c| !c.agrees).collect();
        outln!(
            "loop iterations per frame: {} of {} processes as the estimate says",
            r.iterations.len() - off.len(),
            r.iterations.len()
        );
        for c in off {
            outln!(
                "  {}: {} iterations a frame, the estimate's unit takes {} (+{} to fill)",
                c.process,
                c.per_frame,
                c.expected,
                c.fill
            );
        }
        outln!(
            "compile {:.2} s, run {:.3} s ({:.1} frames/s), ap_int from {}",
            r.compile_s,
            r.run_s,
            r.fps,
            r.ap_include
        );
    }
    Ok(if r.passed { 0 } else { 1 })
}

/// `half-gen cosim`: exit code 0 when the Verilog simulation matches the reference, 1
/// otherwise.
fn cosim(dir: &Path, frames: Option<usize>, stall: f64, json: bool) -> Result<u8, Error> {
    if !(0.0..1.0).contains(&stall) {
        return Err(Error::InvalidOption(format!(
            "--stall must be in [0, 1), got {stall}"
        )));
    }
    let r = half_gen::sim::cosim::cosim(dir, frames, stall)?;
    if json {
        outln!("{}", to_json(&r)?);
    } else if let Some(stage) = &r.last_stage {
        outln!(
            "cosim FAILED: deadlock: no stream moved for the watchdog's cycles after {} frames; the last stage that moved was `{stage}`",
            r.frames
        );
    } else {
        outln!(
            "cosim {}: {} frames, {} mismatches (stall {})",
            if r.passed { "PASSED" } else { "FAILED" },
            r.frames,
            r.mismatches,
            r.stall
        );
        outln!(
            "cycles/frame: measured {:.1}, model {:.1}, error {:.2} %",
            r.measured_cycles_per_frame,
            r.model_cycles_per_frame,
            r.cycles_error_pct
        );
        outln!(
            "latency: measured {}, model {}, error {:.2} %",
            r.measured_latency_cycles,
            r.model_latency_cycles,
            r.latency_error_pct
        );
        outln!(
            "Verilator build {:.1} s, simulation {:.2} s ({:.0} cycles/s)",
            r.build_s,
            r.sim_s,
            r.cycles_per_s
        );
    }
    Ok(if r.passed { 0 } else { 1 })
}

/// `half-gen synth`: exit code 0 when every stage synthesised, 1 otherwise.
fn synth(dir: &Path, json: bool, jobs: usize, timeout: u64) -> Result<u8, Error> {
    if jobs == 0 || timeout == 0 {
        return Err(Error::InvalidOption(
            "--jobs and --timeout must be at least 1".into(),
        ));
    }
    let opts = half_gen::synth::SynthOptions {
        jobs,
        timeout: std::time::Duration::from_secs(timeout),
    };
    let r = half_gen::synth::synth(dir, opts)?;
    if json {
        outln!("{}", to_json(&r)?);
    } else {
        out!("{}", half_gen::synth::table(&r));
    }
    Ok(if r.failed == 0 { 0 } else { 1 })
}

/// `half-gen boards`: the built-in boards as a table or JSON.
fn boards(json: bool) -> Result<u8, Error> {
    let boards = board::builtin();
    if json {
        outln!("{}", to_json(&boards)?);
    } else {
        out!("{}", report::boards_table(&boards));
    }
    Ok(0)
}

/// `producer->consumer=DEPTH`.
fn parse_fifo_depth(s: &str) -> std::result::Result<(String, u64), String> {
    let (edge, depth) = s
        .rsplit_once('=')
        .ok_or_else(|| format!("expected producer->consumer=DEPTH, got `{s}`"))?;
    let depth = depth
        .parse()
        .map_err(|_| format!("`{depth}` is not a depth"))?;
    Ok((edge.to_string(), depth))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = half_gen::interrupt::install() {
        eprintln!(
            "warning: cannot watch for Ctrl-C ({e}); an interrupted run may leave files behind"
        );
    }
    match run(cli).context("half-gen") {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let code = e.downcast_ref::<Error>().map_or(2, Error::exit_code);
            let inner = e
                .downcast_ref::<Error>()
                .map_or_else(|| format!("{e:#}"), |x| x.to_string());
            eprintln!("error: {inner}");
            ExitCode::from(code as u8)
        }
    }
}
