//! The `search` and `lut` subcommands (docs/search-space.md): arguments, checks, printing.

use super::{FoldArgs, to_json};
use clap::Args;
use half_gen::search::failures::Failures;
use half_gen::search::{self, Evaluator, Objective, Proxy, SearchOptions, Settings, render};
use half_gen::{Error, board};
use std::path::PathBuf;
use std::time::Duration;

/// `half-gen search` options.
#[derive(Args)]
pub struct SearchArgs {
    /// The search space (a model file with choices, optional layers and repeat blocks).
    space: PathBuf,
    /// Board name (see `half-gen boards`) or a board .yaml file.
    #[arg(long, default_value = "pynq-z2")]
    board: String,
    /// Clock in MHz (default: the board's usual clock).
    #[arg(long)]
    clock_mhz: Option<f64>,
    /// Utilisation caps, e.g. `lut=0.7,dsp=1.0` (defaults lut/ff 0.85, bram18/uram/dsp 0.90).
    #[arg(long, default_value = "")]
    max_util: String,
    /// Objectives, from fps, latency, lut, ff, bram, dsp, accuracy, params, macs.
    #[arg(long, default_value = "fps,accuracy")]
    objectives: String,
    /// Candidates slower than this are infeasible.
    #[arg(long)]
    min_fps: Option<f64>,
    /// Population size.
    #[arg(long, default_value_t = 32)]
    population: usize,
    /// Generations after the initial population (default 20 unless --evaluations is given).
    #[arg(long)]
    generations: Option<usize>,
    /// Stop after this many distinct architectures.
    #[arg(long)]
    evaluations: Option<usize>,
    /// Accuracy from a command: `{model}` is the candidate's model file, `{out}` the JSON
    /// file it writes `{"accuracy": x}` to (run with `sh -c`).
    #[arg(long)]
    evaluator: Option<String>,
    /// Seconds an evaluator run may take before it is killed (default: no limit).
    #[arg(long)]
    timeout: Option<f64>,
    /// Accuracy proxy without an evaluator: params, macs or naswot.
    #[arg(long, default_value = "params")]
    proxy: String,
    /// Input frames (`x` of a .npz) for the naswot proxy (default: seeded random frames).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Parallel evaluations (default: the available cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Seed of the search.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Results directory (default: search/<space name>).
    #[arg(short, long)]
    out: Option<PathBuf>,
    /// Continue the search in the results directory (nothing is evaluated twice).
    #[arg(long)]
    resume: bool,
    /// Replace a results directory half-gen did not write, or start a search over.
    #[arg(long)]
    force: bool,
    /// Print one JSON object (and no progress bar).
    #[arg(long)]
    json: bool,
}

/// `half-gen lut` options.
#[derive(Args)]
pub struct LutArgs {
    /// The search space.
    space: PathBuf,
    /// Board name or a board .yaml file.
    #[arg(long, default_value = "pynq-z2")]
    board: String,
    /// Enumerate at most this many choice vectors (a seeded sample covering every option
    /// beyond that).
    #[arg(long, default_value_t = 20000)]
    max_archs: usize,
    /// Parallel threads (default: the available cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Print one JSON object.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV, one row per configuration and fold.
    #[arg(long)]
    csv: bool,
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The evaluator timeout, after checking `--min-fps`, `--timeout` and which options go
/// together (in that order).
fn checked_timeout(a: &SearchArgs) -> Result<Option<Duration>, Error> {
    if let Some(f) = a.min_fps
        && !(f.is_finite() && f > 0.0)
    {
        return Err(Error::InvalidOption(format!(
            "--min-fps must be positive, got {f}"
        )));
    }
    let timeout = match a.timeout {
        Some(t) if t > 0.0 => Some(
            Duration::try_from_secs_f64(t)
                .map_err(|_| Error::InvalidOption(format!("--timeout is too large: {t:e} s")))?,
        ),
        Some(t) => {
            return Err(Error::InvalidOption(format!(
                "--timeout must be positive, got {t}"
            )));
        }
        None => None,
    };
    if timeout.is_some() && a.evaluator.is_none() {
        return Err(Error::InvalidOption("--timeout is for --evaluator".into()));
    }
    if a.data.is_some() && (a.proxy != "naswot" || a.evaluator.is_some()) {
        return Err(Error::InvalidOption("--data is for --proxy naswot".into()));
    }
    Ok(timeout)
}

/// Runs `half-gen search`.
pub fn search(a: SearchArgs) -> Result<u8, Error> {
    let fold = FoldArgs {
        board: a.board.clone(),
        clock_mhz: a.clock_mhz,
        max_util: a.max_util.clone(),
        target_fps: None,
        folding: None,
        padded_lanes: false,
    }
    .options()?;
    let timeout = checked_timeout(&a)?;
    let evaluator = match a.evaluator {
        Some(command) => Some(Evaluator::new(command, timeout)?),
        None => None,
    };
    if a.jobs == Some(0) || a.evaluations == Some(0) {
        return Err(Error::InvalidOption(
            "--jobs and --evaluations must be at least 1".into(),
        ));
    }
    let objectives = Objective::parse_list(&a.objectives)?;
    // Thousands of candidates: the fast heuristic (its gap to the exact search is measured
    // by tests/fold_exact.rs).
    let fold = half_gen::fold::Options { fast: true, ..fold };
    let settings = Settings {
        board: board::lookup(&a.board)?,
        fold,
        min_fps: a.min_fps,
        proxy: Proxy::parse(&a.proxy)?,
        candidate_cache: Default::default(),
    };
    let space = search::load(&a.space)?;
    if !a.json {
        outln!("{}", render::space_line(&space));
    }
    let opts = SearchOptions {
        objectives,
        population: a.population,
        generations: a.generations.or(a.evaluations.is_none().then_some(20)),
        evaluations: a.evaluations,
        jobs: a.jobs.unwrap_or_else(cores),
        seed: a.seed,
        out: a
            .out
            .unwrap_or_else(|| PathBuf::from("search").join(&space.name)),
        resume: a.resume,
        force: a.force,
        evaluator,
        data: a.data,
        progress: !a.json,
    };
    let s = search::search(&space, &settings, &opts)?;
    if a.json {
        outln!("{}", to_json(&s)?);
    } else {
        out!("{}", render::summary(&s));
    }
    Ok(exit_code(&s.failures))
}

/// 1 (with a message) when the evaluator failed on every candidate it ran on, else 0.
fn exit_code(f: &Failures) -> u8 {
    if f.evaluator_always_failed() {
        let why = f.reasons.first().map_or(String::new(), |r| {
            format!("; most frequent reason: {}", r.reason)
        });
        eprintln!(
            "error: the evaluator failed for all {} candidates it ran on{why}",
            f.evaluator_runs
        );
        return 1;
    }
    0
}

/// Runs `half-gen lut`.
pub fn lut(a: LutArgs) -> Result<u8, Error> {
    if a.jobs == Some(0) || a.max_archs == 0 {
        return Err(Error::InvalidOption(
            "--jobs and --max-archs must be at least 1".into(),
        ));
    }
    let board = board::lookup(&a.board)?;
    let space = search::load(&a.space)?;
    let l = search::lut::build(&space, &board, a.max_archs, a.jobs.unwrap_or_else(cores))?;
    if a.json {
        outln!("{}", to_json(&l)?);
    } else if a.csv {
        out!("{}", search::lut::csv(&l)?);
    } else {
        out!("{}", render::lut_table(&l));
    }
    Ok(0)
}
