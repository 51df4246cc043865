//! The search loop: NSGA-II over choice vectors, every new architecture evaluated once (in
//! parallel, merged in a fixed order), the results directory kept up to date, and the front's
//! files written at the end.
//!
//! The loop is NSGA-II (Deb et al. 2002; see `nsga2`) with three changes for expensive,
//! discrete evaluations (docs/search-space.md, "The search"):
//! * the initial population is stratified: every option of every variable appears equally
//!   often (a Latin hypercube over the choice indices);
//! * the population never drops a non-dominated architecture: it is `max(P, |front|)` strong,
//!   so the front found so far (the archive) always breeds;
//! * half of the children are one-variable neighbours (an adjacent option) of a random
//!   archive member, a Pareto local search step (Paquete, Chiarandini, Stützle 2004); the
//!   other half come from binary tournaments, uniform crossover and mutation.
//!
//! Children already visited are redrawn; when variation keeps producing them, the batch is
//! topped up with random new architectures, and the search stops when none is left.
//!
//! Determinism: the trajectory depends only on the seed, the options and the evaluation
//! results, never on `--jobs` or on what a resumed directory already holds (a cached record
//! is used exactly where the search would have evaluated it), so a resumed search replays its
//! earlier part for free and then continues.

use super::evaluate::{Record, Settings, Status, VIOLATION_INVALID, hardware_side};
use super::evaluator::{Evaluator, Outcome};
use super::failures::{self, Failures};
use super::limits::{MAX_JOBS, MAX_POPULATION};
use super::materialise::Candidate;
use super::nsga2::{self, Fitness, Rng};
use super::objective::{Objective, minimised};
use super::outputs::write_outputs;
use super::pareto::ParetoFile;
use super::progress::Progress;
use super::proxy::{self, Proxy};
use super::space::Space;
use super::store::{HistoryLine, Setup, Store};
use crate::error::{Error, Result};
use crate::{fsutil, interrupt};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

/// Crossover probability (Deb et al. 2002 use 0.9).
const P_CROSS: f64 = 0.9;
/// Share of children that are one-variable neighbours of archive members.
const P_LOCAL: f64 = 0.5;
/// Attempts per wanted child before a batch is topped up with random architectures.
const ATTEMPTS: usize = 50;

/// What `half-gen search` is asked for.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// Objectives.
    pub objectives: Vec<Objective>,
    /// Population size.
    pub population: usize,
    /// Generations after the initial population (None: until `evaluations`).
    pub generations: Option<usize>,
    /// Most distinct architectures to evaluate.
    pub evaluations: Option<usize>,
    /// Parallel evaluations.
    pub jobs: usize,
    /// Seed.
    pub seed: u64,
    /// The results directory.
    pub out: PathBuf,
    /// Continue the search in `out`.
    pub resume: bool,
    /// Replace `out` even when half-gen did not write it or it holds a search.
    pub force: bool,
    /// The user's evaluator (replaces the proxy).
    pub evaluator: Option<Evaluator>,
    /// `--data` frames for NASWOT.
    pub data: Option<PathBuf>,
    /// Show the progress bar (when standard error is a terminal).
    pub progress: bool,
}

/// What a search did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    /// The results directory.
    pub dir: String,
    /// Distinct architectures this run visited.
    pub evaluations: usize,
    /// Of which evaluated now (the others came from results.jsonl).
    pub fresh: usize,
    /// Of which feasible.
    pub feasible: usize,
    /// Generations run after the initial population.
    pub generations: usize,
    /// Records in the directory (all runs).
    pub records: usize,
    /// Wall time, seconds.
    pub seconds: f64,
    /// Fresh evaluations per second.
    pub evaluations_per_s: f64,
    /// Why the candidates of this run that are not feasible failed.
    pub failures: Failures,
    /// pareto.json's content.
    pub pareto: ParetoFile,
}

/// One architecture to visit.
struct Job {
    arch: Vec<usize>,
    cand: Candidate,
}

/// The search state.
struct Search<'a> {
    space: &'a Space,
    settings: &'a Settings,
    opts: &'a SearchOptions,
    store: Mutex<Store>,
    data: Option<Vec<Vec<i64>>>,
    /// This run's records (cached or fresh), in visiting order.
    visited: Vec<Record>,
    seen: HashSet<String>,
    /// The architecture hash of every choice vector offered so far: the evolution proposes
    /// the same vectors again and again once much of a space is visited, and a known
    /// vector needs no materialising to be turned away.
    hashes: Mutex<HashMap<Vec<usize>, String>>,
    fresh: usize,
    /// Set when an interruption stopped the search.
    stopped: bool,
    /// `evals/` of the results directory, absolute (the evaluator may change directory).
    evals: PathBuf,
    progress: Progress,
    pool: rayon::ThreadPool,
}

fn lock(m: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Search<'_> {
    /// Evaluates one new architecture (hardware, then accuracy); None when an interruption
    /// came first or killed its evaluator (it has no verdict and is not recorded).
    fn evaluate(&self, job: &Job) -> Option<Record> {
        if interrupt::interrupted() {
            return None;
        }
        let (mut rec, parsed) = hardware_side(self.space, &job.cand, &job.arch, self.settings);
        if rec.status != Status::Ok {
            return Some(rec);
        }
        let fail = |rec: &mut Record, status: Status, why: String| {
            rec.status = status;
            rec.violation = VIOLATION_INVALID;
            rec.reason = Some(why);
        };
        if let Some(ev) = &self.opts.evaluator {
            let dir = self.evals.join(&rec.hash);
            let model = dir.join("model.yaml");
            let name = self.space.candidate_name(&rec.hash);
            if let Err(e) = fsutil::write_atomic(&model, job.cand.named(&name).as_bytes()) {
                fail(&mut rec, Status::EvaluatorFailed, e.to_string());
                return Some(rec);
            }
            match ev.run(&model, &dir.join("result.json")) {
                Outcome::Accuracy(a) => rec.accuracy = Some(a),
                Outcome::Failed(m) => fail(&mut rec, Status::EvaluatorFailed, m),
                Outcome::TimedOut(m) => fail(&mut rec, Status::EvaluatorTimeout, m),
                Outcome::Interrupted => return None,
            }
            return Some(rec);
        }
        match self.settings.proxy {
            Proxy::Params => rec.accuracy = rec.params.map(|p| p as f64),
            Proxy::Macs => rec.accuracy = rec.macs.map(|m| m as f64),
            Proxy::Naswot => match parsed.map(|(m, g)| proxy::naswot(&m, &g, self.data.as_deref()))
            {
                Some(Ok(s)) => rec.accuracy = Some((s * 1e6).round() / 1e6),
                Some(Err(e)) => fail(&mut rec, Status::Invalid, format!("NASWOT: {e}")),
                None => fail(&mut rec, Status::Invalid, "NASWOT: no model".into()),
            },
        }
        Some(rec)
    }

    /// Visits a batch: cached records are reused, the others evaluated in parallel; the
    /// records come back in batch order. After an interruption, the evaluations that finished
    /// are recorded, [`Search::stopped`] is set and nothing comes back.
    fn visit(&mut self, jobs: Vec<Job>, generation: usize) -> Result<Vec<usize>> {
        let cached: Vec<Option<Record>> = {
            let st = lock(&self.store);
            jobs.iter().map(|j| st.get(&j.cand.hash).cloned()).collect()
        };
        let todo: Vec<usize> = (0..jobs.len()).filter(|&i| cached[i].is_none()).collect();
        let run = lock(&self.store).run;
        let per_eval_save = self.opts.evaluator.is_some();
        let this = &*self;
        let fresh: Vec<Option<(Record, f64)>> = self.pool.install(|| {
            todo.par_iter()
                .map(|&i| {
                    let t = Instant::now();
                    let r = this.evaluate(&jobs[i])?;
                    let secs = t.elapsed().as_secs_f64();
                    this.progress.inc();
                    if per_eval_save {
                        let mut st = lock(&this.store);
                        st.insert(r.clone(), history(run, generation, &r, secs));
                        // A failed save is reported by the batch's final save.
                        let _ = st.save();
                    }
                    Some((r, secs))
                })
                .collect()
        });
        let mut st = lock(&self.store);
        for (r, secs) in fresh.iter().flatten() {
            st.insert(r.clone(), history(run, generation, r, *secs));
        }
        st.save_if_due()?;
        drop(st);
        self.fresh += fresh.iter().flatten().count();
        if fresh.iter().any(Option::is_none) || interrupt::interrupted() {
            self.stopped = true;
            return Ok(Vec::new());
        }
        let fresh: Vec<(Record, f64)> = fresh.into_iter().flatten().collect();
        let mut fresh = fresh.into_iter().map(|x| x.0);
        let mut out = Vec::with_capacity(jobs.len());
        for (j, c) in jobs.iter().zip(cached) {
            let r = match c {
                Some(r) => {
                    self.progress.inc();
                    r
                }
                None => fresh
                    .next()
                    .ok_or_else(|| Error::Internal("lost an evaluation".into()))?,
            };
            self.seen.insert(j.cand.hash.clone());
            out.push(self.visited.len());
            self.visited.push(r);
        }
        Ok(out)
    }

    fn fitness(&self, i: usize) -> Fitness {
        let r = &self.visited[i];
        Fitness {
            feasible: r.feasible(),
            violation: r.violation,
            objs: if r.feasible() {
                minimised(&self.opts.objectives, r)
            } else {
                vec![0.0; self.opts.objectives.len()]
            },
        }
    }

    /// Adds `arch` to `batch` when it is an architecture this run has not visited.
    fn offer(&self, batch: &mut Vec<Job>, arch: Vec<usize>) -> bool {
        let taken = |h: &str| self.seen.contains(h) || batch.iter().any(|j| j.cand.hash == h);
        let mut hashes = self.hashes.lock().unwrap_or_else(|e| e.into_inner());
        if hashes.get(&arch).is_some_and(|h| taken(h)) {
            return false;
        }
        let cand = self.space.materialise_lean(&arch);
        hashes.insert(arch.clone(), cand.hash.clone());
        drop(hashes);
        if taken(&cand.hash) {
            return false;
        }
        batch.push(Job { arch, cand });
        true
    }

    fn top_up(&self, rng: &mut Rng, batch: &mut Vec<Job>, want: usize, sizes: &[usize]) {
        let mut tries = 0;
        while batch.len() < want && tries < want * ATTEMPTS {
            tries += 1;
            self.offer(batch, nsga2::random_arch(rng, sizes));
        }
    }
}

fn history(run: u32, generation: usize, r: &Record, seconds: f64) -> HistoryLine {
    HistoryLine {
        run,
        generation,
        hash: r.hash.clone(),
        status: r.status,
        seconds: (seconds * 1e6).round() / 1e6,
        reason: r.reason.clone(),
    }
}

/// The setup a directory's results depend on.
pub fn setup(space: &Space, settings: &Settings, opts: &SearchOptions) -> Setup {
    Setup {
        space_fingerprint: space.fingerprint.clone(),
        board: settings.board.clone(),
        caps: settings.fold.caps,
        clock_mhz: settings.fold.clock_mhz,
        min_fps: settings.min_fps,
        proxy: opts
            .evaluator
            .is_none()
            .then(|| settings.proxy.name().to_string()),
        evaluator: opts.evaluator.as_ref().map(|e| e.command.clone()),
        data: opts.data.as_ref().map(|d| d.display().to_string()),
    }
}

/// The evolution's state between generations.
struct Evolution {
    rng: Rng,
    sizes: Vec<usize>,
    p_mut: f64,
    /// This run's population (indices into `visited`).
    pop: Vec<usize>,
    /// The feasible non-dominated members of the last population.
    archive: Vec<usize>,
}

impl Search<'_> {
    /// The next generation's new architectures (at most `want`).
    fn breed(&self, ev: &mut Evolution, want: usize) -> Vec<Job> {
        let fits: Vec<Fitness> = ev.pop.iter().map(|&i| self.fitness(i)).collect();
        self.progress.front(
            nsga2::fronts(&fits)
                .first()
                .map_or(0, |f| f.iter().filter(|&&i| fits[i].feasible).count()),
        );
        let (rank, crowd) = nsga2::rank_and_crowding(&fits);
        let rng = &mut ev.rng;
        let mut batch = Vec::new();
        let mut tries = 0;
        while batch.len() < want && tries < want.saturating_mul(ATTEMPTS) {
            tries += 1;
            if !ev.archive.is_empty() && rng.unit() < P_LOCAL {
                // Pareto local search: an unvisited neighbour of a front member, if any.
                let a = &self.visited[ev.archive[rng.below(ev.archive.len())]].arch;
                for n in nsga2::neighbours(rng, a, &ev.sizes) {
                    if self.offer(&mut batch, n) {
                        break;
                    }
                }
                continue;
            }
            let child = {
                let a = &self.visited[ev.pop[nsga2::tournament(rng, &rank, &crowd)]].arch;
                let b = &self.visited[ev.pop[nsga2::tournament(rng, &rank, &crowd)]].arch;
                nsga2::offspring(rng, a, b, &ev.sizes, P_CROSS, ev.p_mut)
            };
            self.offer(&mut batch, child);
        }
        self.top_up(rng, &mut batch, want, &ev.sizes);
        batch
    }

    /// Merges a generation's new members into the population and the archive.
    fn select(&self, ev: &mut Evolution, new: Vec<usize>) {
        // The population holds the whole archive (it is at least as large as the first front).
        let mut union: Vec<usize> = ev.pop.iter().copied().chain(new).collect();
        union.sort_unstable();
        union.dedup();
        let fits: Vec<Fitness> = union.iter().map(|&i| self.fitness(i)).collect();
        ev.archive = nsga2::fronts(&fits)
            .first()
            .map(|f| {
                f.iter()
                    .filter(|&&k| fits[k].feasible)
                    .map(|&k| union[k])
                    .collect()
            })
            .unwrap_or_default();
        ev.pop = nsga2::select(&fits, self.opts.population.max(ev.archive.len()))
            .into_iter()
            .map(|k| union[k])
            .collect();
    }

    /// Runs the generations until the budget, the generation count, the space or an
    /// interruption ends them; returns the generations run after the initial population.
    fn evolve(&mut self, budget: usize) -> Result<usize> {
        let pop_n = self.opts.population;
        let sizes: Vec<usize> = self.space.vars.iter().map(|v| v.options.len()).collect();
        let p_mut = 1.0 / sizes.iter().filter(|&&n| n > 1).count().max(1) as f64;
        let mut rng = Rng::new(self.opts.seed);
        let mut batch = Vec::new();
        for a in nsga2::stratified(&mut rng, &sizes, pop_n.min(budget)) {
            self.offer(&mut batch, a);
        }
        self.top_up(&mut rng, &mut batch, pop_n.min(budget), &sizes);
        let pop = self.visit(batch, 0)?;
        let mut ev = Evolution {
            rng,
            sizes,
            p_mut,
            pop,
            archive: Vec::new(),
        };
        let mut generation = 0;
        while !self.stopped {
            if self.opts.generations.is_some_and(|g| generation >= g)
                || self.visited.len() >= budget
            {
                break;
            }
            if interrupt::interrupted() {
                self.stopped = true;
                break;
            }
            let batch = self.breed(&mut ev, pop_n.min(budget - self.visited.len()));
            if batch.is_empty() {
                break;
            }
            generation += 1;
            let new = self.visit(batch, generation)?;
            if !self.stopped {
                self.select(&mut ev, new);
            }
        }
        Ok(generation)
    }
}

/// Checks the options a search cannot run with.
fn check_options(opts: &SearchOptions) -> Result<()> {
    if !(2..=MAX_POPULATION).contains(&opts.population) {
        return Err(Error::InvalidOption(format!(
            "--population must be in 2..={MAX_POPULATION}, got {}",
            opts.population
        )));
    }
    if !(1..=MAX_JOBS).contains(&opts.jobs) {
        return Err(Error::InvalidOption(format!(
            "--jobs must be in 1..={MAX_JOBS}, got {}",
            opts.jobs
        )));
    }
    if opts.generations.is_none() && opts.evaluations.is_none() {
        return Err(Error::InvalidOption(
            "give --generations or --evaluations".into(),
        ));
    }
    Ok(())
}

/// Runs a search of `space` and writes its results into `opts.out`. The first interruption
/// (Ctrl-C) stops it: the evaluations that finished are saved with the front's files, and
/// the result is [`Error::Interrupted`] saying how to continue.
pub fn search(space: &Space, settings: &Settings, opts: &SearchOptions) -> Result<Summary> {
    let _cooperating = interrupt::cooperate();
    let t0 = Instant::now();
    check_options(opts)?;
    let store = Store::open(
        &opts.out,
        &setup(space, settings, opts),
        opts.resume,
        opts.force,
    )?;
    let data = match &opts.data {
        Some(p) => Some(proxy::load_frames(p)?),
        None => None,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs)
        .build()
        .map_err(|e| Error::InvalidOption(format!("--jobs: {e}")))?;
    let budget = opts.evaluations.unwrap_or(usize::MAX);
    let len = opts.evaluations.unwrap_or_else(|| {
        opts.population
            .saturating_mul(opts.generations.unwrap_or(0).saturating_add(1))
    });
    let mut s = Search {
        space,
        settings,
        opts,
        store: Mutex::new(store),
        data,
        visited: Vec::new(),
        seen: HashSet::new(),
        hashes: Mutex::default(),
        fresh: 0,
        stopped: false,
        evals: fsutil::absolute(&opts.out)?.join("evals"),
        progress: Progress::new(opts.progress, len as u64),
        pool,
    };
    let evolved = s.evolve(budget);
    s.progress.finish();
    let generations = evolved?;
    let store = s.store.into_inner().unwrap_or_else(|e| e.into_inner());
    store.save()?;
    let pareto = write_outputs(space, settings, opts, &store)?;
    if s.stopped {
        return Err(Error::Interrupted(format!(
            "stopped after {} evaluations this run; saved {} evaluated architectures, history.jsonl and the front of what was evaluated in {}; run the same command with --resume to continue (nothing evaluated is evaluated again)",
            s.fresh,
            store.records.len(),
            opts.out.display()
        )));
    }
    let seconds = t0.elapsed().as_secs_f64();
    Ok(Summary {
        dir: opts.out.display().to_string(),
        evaluations: s.visited.len(),
        fresh: s.fresh,
        feasible: s.visited.iter().filter(|r| r.feasible()).count(),
        generations,
        records: store.records.len(),
        seconds,
        evaluations_per_s: s.fresh as f64 / seconds.max(1e-9),
        failures: failures::tally(&s.visited, opts.evaluator.is_some()),
        pareto,
    })
}
