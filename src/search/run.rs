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
use super::materialise::Candidate;
use super::nsga2::{self, Fitness, Rng};
use super::objective::{Objective, minimised};
use super::pareto::{self, ParetoFile, Point};
use super::progress::Progress;
use super::proxy::{self, Proxy};
use super::space::Space;
use super::store::{HistoryLine, Setup, Store};
use super::svg;
use crate::error::{Error, Result};
use crate::fsutil;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
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
    progress: Progress,
    pool: rayon::ThreadPool,
}

fn lock(m: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Search<'_> {
    /// Evaluates one new architecture (hardware, then accuracy).
    fn evaluate(&self, job: &Job) -> Record {
        let (mut rec, parsed) = hardware_side(self.space, &job.cand, &job.arch, self.settings);
        if rec.status != Status::Ok {
            return rec;
        }
        let fail = |rec: &mut Record, status: Status, why: String| {
            rec.status = status;
            rec.violation = VIOLATION_INVALID;
            rec.reason = Some(why);
        };
        if let Some(ev) = &self.opts.evaluator {
            let dir = self.opts.out.join("evals").join(&rec.hash);
            let model = dir.join("model.yaml");
            let name = format!("{}_{}", self.space.name, &rec.hash[..8]);
            if let Err(e) = fsutil::write_atomic(&model, job.cand.named(&name).as_bytes()) {
                fail(&mut rec, Status::EvaluatorFailed, e.to_string());
                return rec;
            }
            match ev.run(&model, &dir.join("result.json")) {
                Outcome::Accuracy(a) => rec.accuracy = Some(a),
                Outcome::Failed(m) => fail(&mut rec, Status::EvaluatorFailed, m),
                Outcome::TimedOut(m) => fail(&mut rec, Status::EvaluatorTimeout, m),
            }
            return rec;
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
        rec
    }

    /// Visits a batch: cached records are reused, the others evaluated in parallel; the
    /// records come back in batch order.
    fn visit(&mut self, jobs: Vec<Job>, generation: usize) -> Result<Vec<usize>> {
        let cached: Vec<Option<Record>> = {
            let st = lock(&self.store);
            jobs.iter().map(|j| st.get(&j.cand.hash).cloned()).collect()
        };
        let todo: Vec<usize> = (0..jobs.len()).filter(|&i| cached[i].is_none()).collect();
        let run = lock(&self.store).run;
        let per_eval_save = self.opts.evaluator.is_some();
        let this = &*self;
        let fresh: Vec<(Record, f64)> = self.pool.install(|| {
            todo.par_iter()
                .map(|&i| {
                    let t = Instant::now();
                    let r = this.evaluate(&jobs[i]);
                    let secs = t.elapsed().as_secs_f64();
                    this.progress.inc();
                    if per_eval_save {
                        let mut st = lock(&this.store);
                        st.insert(r.clone(), history(run, generation, &r, secs));
                        // A failed save is reported by the batch's final save.
                        let _ = st.save();
                    }
                    (r, secs)
                })
                .collect()
        });
        let mut st = lock(&self.store);
        for (r, secs) in &fresh {
            st.insert(r.clone(), history(run, generation, r, *secs));
        }
        st.save_if_due()?;
        drop(st);
        self.fresh += fresh.len();
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
                    .ok_or_else(|| Error::Usage("lost an evaluation".into()))?,
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
    }
}

/// The setup a directory's results depend on.
pub fn setup(space: &Space, settings: &Settings, opts: &SearchOptions) -> Setup {
    Setup {
        space_fingerprint: space.fingerprint.clone(),
        board: settings.board.clone(),
        caps: settings.fold.caps.0,
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

/// Runs a search of `space` and writes its results into `opts.out`.
pub fn search(space: &Space, settings: &Settings, opts: &SearchOptions) -> Result<Summary> {
    let t0 = Instant::now();
    if opts.population < 2 {
        return Err(Error::Usage("--population must be at least 2".into()));
    }
    if opts.generations.is_none() && opts.evaluations.is_none() {
        return Err(Error::Usage("give --generations or --evaluations".into()));
    }
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
        .num_threads(opts.jobs.max(1))
        .build()
        .map_err(|e| Error::Usage(format!("--jobs: {e}")))?;
    let pop_n = opts.population;
    let budget = opts.evaluations.unwrap_or(usize::MAX);
    let len = opts
        .evaluations
        .unwrap_or_else(|| pop_n * (opts.generations.unwrap_or(0) + 1));
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
        progress: Progress::new(opts.progress, len as u64),
        pool,
    };
    let sizes: Vec<usize> = space.vars.iter().map(|v| v.options.len()).collect();
    let p_mut = 1.0 / sizes.iter().filter(|&&n| n > 1).count().max(1) as f64;
    let mut rng = Rng::new(opts.seed);
    let mut batch = Vec::new();
    for a in nsga2::stratified(&mut rng, &sizes, pop_n.min(budget)) {
        s.offer(&mut batch, a);
    }
    s.top_up(&mut rng, &mut batch, pop_n.min(budget), &sizes);
    let mut pop = s.visit(batch, 0)?;
    let mut archive: Vec<usize> = Vec::new();
    let mut generation = 0;
    loop {
        if opts.generations.is_some_and(|g| generation >= g) || s.visited.len() >= budget {
            break;
        }
        let fits: Vec<Fitness> = pop.iter().map(|&i| s.fitness(i)).collect();
        s.progress.front(
            nsga2::fronts(&fits)
                .first()
                .map_or(0, |f| f.iter().filter(|&&i| fits[i].feasible).count()),
        );
        let (rank, crowd) = nsga2::rank_and_crowding(&fits);
        let want = pop_n.min(budget - s.visited.len());
        let mut batch = Vec::new();
        let mut tries = 0;
        while batch.len() < want && tries < want * ATTEMPTS {
            tries += 1;
            if !archive.is_empty() && rng.unit() < P_LOCAL {
                // Pareto local search: an unvisited neighbour of a front member, if any.
                let a = &s.visited[archive[rng.below(archive.len())]].arch;
                for n in nsga2::neighbours(&mut rng, a, &sizes) {
                    if s.offer(&mut batch, n) {
                        break;
                    }
                }
                continue;
            }
            let child = {
                let a = &s.visited[pop[nsga2::tournament(&mut rng, &rank, &crowd)]].arch;
                let b = &s.visited[pop[nsga2::tournament(&mut rng, &rank, &crowd)]].arch;
                nsga2::offspring(&mut rng, a, b, &sizes, P_CROSS, p_mut)
            };
            s.offer(&mut batch, child);
        }
        s.top_up(&mut rng, &mut batch, want, &sizes);
        if batch.is_empty() {
            break;
        }
        generation += 1;
        let new = s.visit(batch, generation)?;
        // The population holds the whole archive (it is at least as large as the first front).
        let mut union: Vec<usize> = pop.iter().copied().chain(new).collect();
        union.sort_unstable();
        union.dedup();
        let fits: Vec<Fitness> = union.iter().map(|&i| s.fitness(i)).collect();
        let first: Vec<usize> = nsga2::fronts(&fits)
            .first()
            .map(|f| {
                f.iter()
                    .filter(|&&k| fits[k].feasible)
                    .map(|&k| union[k])
                    .collect()
            })
            .unwrap_or_default();
        archive = first;
        pop = nsga2::select(&fits, pop_n.max(archive.len()))
            .into_iter()
            .map(|k| union[k])
            .collect();
    }
    s.progress.finish();
    let store = s.store.into_inner().unwrap_or_else(|e| e.into_inner());
    store.save()?;
    let pareto = write_outputs(space, settings, opts, &store)?;
    let seconds = t0.elapsed().as_secs_f64();
    Ok(Summary {
        dir: opts.out.display().to_string(),
        evaluations: s.visited.len(),
        fresh: s.fresh,
        feasible: s.visited.iter().filter(|r| r.feasible()).count(),
        generations: generation,
        records: store.records.len(),
        seconds,
        evaluations_per_s: s.fresh as f64 / seconds.max(1e-9),
        pareto,
    })
}

/// How accuracy is measured, for the outputs.
fn accuracy_source(settings: &Settings, opts: &SearchOptions) -> String {
    match &opts.evaluator {
        Some(e) => format!("evaluator: {}", e.command),
        None => format!("proxy: {}", settings.proxy.name()),
    }
}

/// pareto.json, pareto.csv, pareto.svg and pareto/<hash>.yaml.
fn write_outputs(
    space: &Space,
    settings: &Settings,
    opts: &SearchOptions,
    store: &Store,
) -> Result<ParetoFile> {
    let objs = &opts.objectives;
    let idx = pareto::front(&store.records, objs);
    let pts: Vec<Point> = pareto::points(space, &store.records, &idx, objs);
    let file = ParetoFile {
        space: space.name.clone(),
        board: settings.board.name.clone(),
        objectives: objs.iter().map(|o| o.name()).collect(),
        accuracy: accuracy_source(settings, opts),
        size: space.size_text(),
        variables: space.vars.iter().map(|v| v.name.clone()).collect(),
        evaluated: store.records.len(),
        feasible: store.records.iter().filter(|r| r.feasible()).count(),
        front: pts.clone(),
    };
    let dir: &Path = &opts.out;
    let json = serde_json::to_string_pretty(&file).map_err(|e| Error::Usage(e.to_string()))?;
    fsutil::write_atomic(&dir.join("pareto.json"), (json + "\n").as_bytes())?;
    fsutil::write_atomic(
        &dir.join("pareto.csv"),
        pareto::csv(space, objs, &pts)?.as_bytes(),
    )?;
    let dots: Vec<svg::Dot> = store
        .records
        .iter()
        .filter(|r| r.feasible())
        .filter_map(|r| {
            Some(svg::Dot {
                fps: r.hw.as_ref()?.fps,
                accuracy: r.accuracy?,
                lut_share: r.hw.as_ref()?.lut_share,
            })
        })
        .collect();
    let title = format!(
        "{} on {}: {} feasible architectures",
        space.name,
        settings.board.name,
        dots.len()
    );
    let y_label = match &opts.evaluator {
        Some(_) => "accuracy (evaluator)".to_string(),
        None => format!("accuracy proxy: {}", settings.proxy.name()),
    };
    fsutil::write_atomic(
        &dir.join("pareto.svg"),
        svg::plot(&dots, &title, &y_label).as_bytes(),
    )?;
    let models: Vec<(String, Vec<u8>)> = idx
        .iter()
        .zip(&pts)
        .map(|(&i, p)| {
            let text = pareto::model_text(space, &settings.board.name, p, &store.records[i].arch);
            (format!("{}.yaml", p.hash), text.into_bytes())
        })
        .collect();
    fsutil::write_tree(&dir.join("pareto"), &models, true)?;
    Ok(file)
}
