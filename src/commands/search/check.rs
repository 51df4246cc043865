//! Checks of a search space beyond its YAML structure: layer names and references (with the
//! space's own scoping rules for repeat blocks), then the model parser itself on probes, so an
//! option that can never give a valid model (`channels: {choice: [16, 0]}`, an unknown key, a
//! key that does not apply to the op) is reported at its position before any search starts.

use super::space::Space;
use super::template::{Entry, LayerTemplate, ValueTemplate};
use super::yaml::Value;
use crate::error::{Diagnostic, Error, Loc, Result};
use crate::model;
use crate::weights::generate::SplitMix64;
use std::collections::{BTreeMap, BTreeSet};

/// Extra seeded probes that must all fail the same way before an option is rejected.
const CONFIRM_PROBES: usize = 8;

/// A located error about the space file.
fn err(space: &Space, loc: Loc, layer: Option<&str>, msg: impl Into<String>) -> Error {
    Error::Input(Diagnostic::new(&space.file, loc, layer, msg))
}

/// Largest copy count a block may take.
fn max_repeat(t: &ValueTemplate) -> i128 {
    let count = |v: &Value| match v {
        Value::Int(i) => *i,
        _ => 0,
    };
    match t {
        ValueTemplate::Fixed(n) => count(&n.value),
        ValueTemplate::Choice { options, .. } => {
            options.iter().map(|o| count(&o.value)).max().unwrap_or(0)
        }
        _ => 0,
    }
}

/// Unique names, generated copy names that clash with nothing, `from` and `output` naming
/// earlier layers (a block's own earlier layers, or anything before the block).
pub(crate) fn names(space: &Space) -> Result<()> {
    let all = unique_names(space)?;
    copy_names_free(space, &all)?;
    references(space)
}

/// Every layer name, with its position; an error on the first name written twice.
fn unique_names(space: &Space) -> Result<BTreeMap<&str, Loc>> {
    let mut all: BTreeMap<&str, Loc> = BTreeMap::new();
    let every: Vec<&LayerTemplate> = space
        .entries
        .iter()
        .flat_map(|e| match e {
            Entry::Layer(l) => std::slice::from_ref(l),
            Entry::Block(b) => b.layers.as_slice(),
        })
        .collect();
    for l in every {
        if all.insert(&l.name, l.loc).is_some() {
            return Err(err(
                space,
                l.loc,
                Some(&l.name),
                format!("duplicate layer name `{}`", l.name),
            ));
        }
    }
    Ok(all)
}

/// No written name (`all`) is the name of a copy a repeat block makes (`<layer>_r<k>`).
fn copy_names_free(space: &Space, all: &BTreeMap<&str, Loc>) -> Result<()> {
    for e in &space.entries {
        let Entry::Block(b) = e else { continue };
        for l in &b.layers {
            for k in 1..=max_repeat(&b.repeat) {
                let copy = format!("{}_r{k}", l.name);
                if let Some(&loc) = all.get(copy.as_str()) {
                    return Err(err(
                        space,
                        loc,
                        Some(&copy),
                        format!(
                            "the name `{copy}` is taken by copy {k} of the repeated layer `{}`; rename one of them",
                            l.name
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Every `from` names `input` or an earlier layer (within a block: the block's earlier layers
/// or anything before it), and `output` names a layer.
fn references(space: &Space) -> Result<()> {
    let mut before: BTreeSet<&str> = BTreeSet::new();
    let check = |l: &LayerTemplate, seen: &BTreeSet<&str>, local: &BTreeSet<&str>| -> Result<()> {
        let Some(f) = &l.from else { return Ok(()) };
        for (n, loc) in &f.names {
            if n == "input" || seen.contains(n.as_str()) || local.contains(n.as_str()) {
                continue;
            }
            let msg = if *n == l.name {
                format!(
                    "`from` names the layer itself (`{n}`); only earlier layers may be referenced"
                )
            } else {
                format!(
                    "`from` names `{n}`, which is not an earlier layer (only earlier layers or `input` may be referenced)"
                )
            };
            return Err(err(space, *loc, Some(&l.name), msg));
        }
        Ok(())
    };
    for e in &space.entries {
        match e {
            Entry::Layer(l) => {
                check(l, &before, &BTreeSet::new())?;
                before.insert(&l.name);
            }
            Entry::Block(b) => {
                let mut local = BTreeSet::new();
                for l in &b.layers {
                    check(l, &before, &local)?;
                    local.insert(l.name.as_str());
                }
                before.extend(local);
            }
        }
    }
    if let Some((o, loc)) = &space.output
        && !before.contains(o.as_str())
    {
        return Err(err(
            space,
            *loc,
            None,
            format!("output names unknown layer `{o}`"),
        ));
    }
    Ok(())
}

/// The model parser's verdict on `arch`, as a message about the space file.
fn probe(space: &Space, arch: &[usize]) -> Option<Diagnostic> {
    let c = space.materialise(arch);
    match model::parse(&c.text, &space.file, &space.name, &space.dir) {
        Ok(_) => None,
        Err(e) => match c.map_error(space, e, true) {
            Error::Input(d) => Some(d),
            other => Some(Diagnostic::new(
                &space.file,
                Loc::default(),
                None,
                other.to_string(),
            )),
        },
    }
}

/// Rejects the space when `d` (found with variable `fixed` at an option) recurs on every
/// seeded probe that keeps that option: the option can never give a valid model.
fn confirm(
    space: &Space,
    rng: &mut SplitMix64,
    fixed: Option<(usize, usize)>,
    d: &Diagnostic,
) -> Result<()> {
    for _ in 0..CONFIRM_PROBES {
        let mut a: Vec<usize> = space
            .vars
            .iter()
            .map(|v| rng.range(0, v.options.len() as i64 - 1) as usize)
            .collect();
        if let Some((v, o)) = fixed {
            a[v] = o;
        }
        match probe(space, &a) {
            Some(d2) if d2 == *d => {}
            _ => return Ok(()),
        }
    }
    Err(Error::Input(d.clone()))
}

/// Runs the model parser on the all-first-options candidate and on one candidate per other
/// option; a failure that recurs on every seeded probe keeping the same option is an error of
/// the space (reported at the key or option the parser blames).
pub(crate) fn check(space: &Space) -> Result<()> {
    let base = vec![0usize; space.vars.len()];
    let mut rng = SplitMix64::new(0x5EA2_C400);
    let base_diag = probe(space, &base);
    if space.vars.is_empty()
        && let Some(d) = &base_diag
    {
        confirm(space, &mut rng, None, d)?;
    }
    for (v, var) in space.vars.iter().enumerate() {
        for o in 0..var.options.len() {
            let d = if o == 0 {
                base_diag.clone()
            } else {
                let mut a = base.clone();
                a[v] = o;
                probe(space, &a)
            };
            if let Some(d) = d {
                confirm(space, &mut rng, Some((v, o)), &d)?;
            }
        }
    }
    Ok(())
}
