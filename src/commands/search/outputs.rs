//! The search's output files for the front: pareto.json, pareto.csv, pareto.svg and one
//! ready-to-build model per front point (docs/search-space.md section 7).

use super::evaluate::Settings;
use super::pareto::{self, ParetoFile, Point};
use super::run::SearchOptions;
use super::space::Space;
use super::store::Store;
use super::svg;
use crate::error::{Error, Result};
use crate::fsutil;
use std::path::Path;

/// How accuracy is measured, for the outputs.
pub fn accuracy_source(settings: &Settings, opts: &SearchOptions) -> String {
    match &opts.evaluator {
        Some(e) => format!("evaluator: {}", e.command),
        None => format!("proxy: {}", settings.proxy.name()),
    }
}

/// pareto.json, pareto.csv, pareto.svg and pareto/<hash>.yaml.
pub fn write_outputs(
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
    let json =
        serde_json::to_string_pretty(&file).map_err(|e| Error::Serialization(e.to_string()))?;
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
    crate::outdir::write_tree(&dir.join("pareto"), &models, true)?;
    Ok(file)
}
