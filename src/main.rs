//! The `half-gen` command line: parses arguments, calls the library, prints.

use anyhow::Context;
use clap::{Parser, Subcommand};
use half_gen::fold::{Caps, Options, config};
use half_gen::{Error, board, report};
use std::path::PathBuf;
use std::process::ExitCode;

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

#[derive(Subcommand)]
enum Command {
    /// Fold a model for a board and print cycles, latency and resources per layer.
    Estimate {
        /// The model file (YAML, format v1).
        model: PathBuf,
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
        /// Write the final folding to this file (same format).
        #[arg(long)]
        write_folding: Option<PathBuf>,
        /// Print one JSON object.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print CSV.
        #[arg(long)]
        csv: bool,
    },
    /// List the built-in boards.
    Boards {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Estimate {
            model,
            board,
            clock_mhz,
            max_util,
            target_fps,
            folding,
            write_folding,
            json,
            csv,
        } => {
            if let Some(c) = clock_mhz
                && !(c.is_finite() && c > 0.0 && c <= 1000.0)
            {
                return Err(Error::Usage(format!(
                    "--clock-mhz must be in (0, 1000], got {c}"
                )));
            }
            if let Some(f) = target_fps
                && !(f.is_finite() && f > 0.0)
            {
                return Err(Error::Usage(format!(
                    "--target-fps must be positive, got {f}"
                )));
            }
            let pins = match &folding {
                Some(p) => config::load(p)?,
                None => Default::default(),
            };
            let opts = Options {
                caps: Caps::parse(&max_util)?,
                target_fps,
                clock_mhz,
                pins,
            };
            let r = half_gen::estimate(&model, &board, &opts)?;
            for w in &r.model.warnings {
                eprintln!("warning: {w}");
            }
            if let Some(path) = write_folding {
                let text = config::to_yaml(&r.design.folds(&r.graph));
                std::fs::write(&path, text).map_err(|e| Error::Io { path, source: e })?;
            }
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&r.estimate)
                        .map_err(|e| Error::Usage(e.to_string()))?
                );
            } else if csv {
                print!("{}", report::csv(&r.estimate)?);
            } else {
                print!("{}", report::table(&r.estimate));
            }
            Ok(())
        }
        Command::Boards { json } => {
            let boards = board::builtin();
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&boards)
                        .map_err(|e| Error::Usage(e.to_string()))?
                );
            } else {
                let mut t = comfy_table::Table::new();
                t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
                t.set_header([
                    "board",
                    "part",
                    "family",
                    "LUT",
                    "FF",
                    "BRAM18",
                    "URAM",
                    "DSP",
                    "DSP kind",
                    "clock MHz",
                ]);
                for b in boards {
                    t.add_row(vec![
                        b.name.clone(),
                        b.part.clone(),
                        format!("{:?}", b.family).to_lowercase(),
                        b.lut.to_string(),
                        b.ff.to_string(),
                        b.bram18.to_string(),
                        b.uram.to_string(),
                        b.dsp.to_string(),
                        format!("{:?}", b.dsp_kind).to_uppercase(),
                        format!("{}", b.clock_mhz),
                    ]);
                }
                println!("{t}");
            }
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).context("half-gen") {
        Ok(()) => ExitCode::SUCCESS,
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
