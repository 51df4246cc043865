//! A layer's thresholds from a weights file (`<layer>.thresholds`, docs/model-format.md 13):
//! `[rows, count]` with one row shared by every channel or one per channel, each row
//! non-decreasing.

use super::array_error;
use super::npz::{Archive, read_array};
use crate::error::Result;
use crate::ir::Graph;
use crate::ops::Node;
use std::collections::BTreeSet;

/// The first row of `values` (rows of `count`) that decreases somewhere, with its position.
pub fn unsorted_row(values: &[i64], count: usize) -> Option<(usize, usize)> {
    values
        .chunks(count.max(1))
        .enumerate()
        .find_map(|(r, row)| row.windows(2).position(|w| w[0] > w[1]).map(|i| (r, i)))
}

/// Applies `<layer>.thresholds` of `node`, when the file has it, as the values of its
/// threshold requantisation in `graph`; the name goes into `used`. A layer without
/// `requant: {thresholds}` in its model file refuses the array.
pub fn load(
    ar: &mut Archive,
    file: &str,
    graph: &mut Graph,
    node: &Node,
    used: &mut BTreeSet<String>,
) -> Result<()> {
    let name = format!("{}.thresholds", node.name);
    let channels = node.out.shape.c as u64;
    let Some(t) = &node.thresholds else {
        let most = channels.max(1) * crate::model::MAX_THRESHOLDS as u64;
        return match read_array(ar, file, &name, most)? {
            None => Ok(()),
            Some(_) => Err(array_error(
                file,
                &name,
                "the layer has no `requant: {thresholds: N}` in the model file",
            )),
        };
    };
    let count = t.count as u64;
    let Some((shape, values)) = read_array(ar, file, &name, channels.max(1) * count)? else {
        return Ok(());
    };
    if shape.len() != 2 || shape[1] != count || (shape[0] != 1 && shape[0] != channels) {
        return Err(array_error(
            file,
            &name,
            format!(
                "shape {shape:?}; expected [1, {count}] (shared) or [{channels}, {count}] (one \
                 row per channel)"
            ),
        ));
    }
    if let Some((row, i)) = unsorted_row(&values, count as usize) {
        return Err(array_error(
            file,
            &name,
            format!("row {row} decreases at element {i}: thresholds must be sorted"),
        ));
    }
    let at = graph
        .find(&node.name)
        .ok_or_else(|| array_error(file, &name, "not a layer"))?;
    if let Some(t) = &mut graph.g[at].thresholds {
        t.values = values;
    }
    used.insert(name);
    Ok(())
}
