//! Terminal table and CSV renderings of an estimate.

use super::Estimate;
use crate::cost::RESOURCE_NAMES;
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

/// A shape as `HxWxC`.
fn shape(s: &[u32]) -> String {
    s.iter().map(u32::to_string).collect::<Vec<_>>().join("x")
}

/// The per-layer table, totals and headline figures.
pub fn table(e: &Estimate) -> String {
    let t = layer_table(e);
    let b = e.budget.as_array();
    let budget = RESOURCE_NAMES
        .iter()
        .zip(b)
        .map(|(n, v)| format!("{n} {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{} on {} ({}, {} MHz)\n{t}\nbudget: {budget}\nbottleneck: {} ({} cycles/frame)\nthroughput: {:.2} frames/s\nlatency: {} cycles ({:.3} us)\nbound: {} cycles/frame, efficiency {:.4}\nFIFO storage: {} bits{}{}\n",
        e.model,
        e.board,
        e.part,
        e.clock_mhz,
        e.bottleneck,
        e.cycles_per_frame,
        e.fps,
        e.latency_cycles,
        e.latency_us,
        e.bound_cycles_per_frame,
        e.efficiency,
        e.fifo_bits,
        schedule_note(e),
        if e.target_met {
            ""
        } else {
            "\nnote: the target frame rate cannot be met within the budget; this is the fastest design"
        },
    )
}

/// How the FIFOs were sized: by the cycle-level schedule, or why not.
fn schedule_note(e: &Estimate) -> String {
    match &e.schedule {
        Some(s) => format!(
            " (sized by the cycle-level schedule in {:.0} ms: {:.1} cycles/frame, {} simulated cycles)",
            s.seconds * 1000.0,
            s.cycles_per_frame,
            s.sim_cycles
        ),
        None => e
            .schedule_skipped
            .as_ref()
            .map_or(String::new(), |why| format!(" (not scheduled: {why})")),
    }
}

/// One row per layer (the bottleneck marked `*`), then the glue and the totals with the
/// board utilisation.
fn layer_table(e: &Estimate) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header([
        "layer", "op", "out", "MACs", "PE", "SIMD", "mult", "mem", "scale", "cycles", "LUT", "FF",
        "BRAM18", "URAM", "DSP",
    ]);
    for l in &e.layers {
        let mark = if l.name == e.bottleneck { "*" } else { "" };
        t.add_row(vec![
            Cell::new(format!("{}{mark}", l.name)),
            Cell::new(&l.op),
            Cell::new(shape(&l.out_shape)),
            Cell::new(l.macs),
            Cell::new(l.pe),
            Cell::new(l.simd),
            Cell::new(&l.mult),
            Cell::new(&l.mem),
            Cell::new(&l.scale),
            Cell::new(l.cycles),
            Cell::new(l.lut),
            Cell::new(l.ff),
            Cell::new(l.bram18),
            Cell::new(l.uram),
            Cell::new(l.dsp),
        ]);
    }
    let glue = e
        .glue
        .iter()
        .fold(crate::cost::Resources::default(), |a, g| a + g.res);
    let g = glue.as_array();
    let mut glue_row = vec![Cell::new("glue (forks, converters, FIFOs)")];
    glue_row.extend((0..9).map(|_| Cell::new("")));
    glue_row.extend(g.iter().map(Cell::new));
    t.add_row(glue_row);
    let tot = e.total.as_array();
    let util = e.utilisation();
    let mut total_row = vec![
        Cell::new("total"),
        Cell::new(""),
        Cell::new(""),
        Cell::new(e.macs),
    ];
    total_row.extend((0..6).map(|_| Cell::new("")));
    total_row.extend(
        tot.iter()
            .zip(util)
            .map(|(v, u)| Cell::new(format!("{v} ({u:.1}%)"))),
    );
    t.add_row(total_row);
    for i in 3..15 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// One CSV row per layer, then a `total` row.
pub fn csv(e: &Estimate) -> crate::error::Result<String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let io = |err: ::csv::Error| crate::error::Error::Serialization(format!("csv: {err}"));
    w.write_record([
        "name",
        "op",
        "out_shape",
        "macs",
        "pe",
        "simd",
        "mult",
        "mem",
        "scale",
        "cycles",
        "latency_cycles",
        "lut",
        "ff",
        "bram18",
        "uram",
        "dsp",
    ])
    .map_err(io)?;
    for l in &e.layers {
        w.write_record([
            l.name.clone(),
            l.op.clone(),
            shape(&l.out_shape),
            l.macs.to_string(),
            l.pe.to_string(),
            l.simd.to_string(),
            l.mult.clone(),
            l.mem.clone(),
            l.scale.clone(),
            l.cycles.to_string(),
            l.latency_cycles.to_string(),
            l.lut.to_string(),
            l.ff.to_string(),
            l.bram18.to_string(),
            l.uram.to_string(),
            l.dsp.to_string(),
        ])
        .map_err(io)?;
    }
    let t = e.total;
    w.write_record([
        "total".to_string(),
        String::new(),
        String::new(),
        e.macs.to_string(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        e.cycles_per_frame.to_string(),
        e.latency_cycles.to_string(),
        t.lut.to_string(),
        t.ff.to_string(),
        t.bram18.to_string(),
        t.uram.to_string(),
        t.dsp.to_string(),
    ])
    .map_err(io)?;
    let bytes = w
        .into_inner()
        .map_err(|e| crate::error::Error::Serialization(format!("csv: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The `half-gen boards` table.
pub fn boards_table(boards: &[crate::board::Board]) -> String {
    let mut t = Table::new();
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
    format!("{t}\n")
}

/// The build report's `summary.md`: per-layer table, totals with utilisation, headline figures.
pub fn summary_md(e: &Estimate) -> String {
    let mut s = format!(
        "# {} on {} ({}, {} MHz)\n\nResource figures are half-gen's analytical estimate.\n\n",
        e.model, e.board, e.part, e.clock_mhz
    );
    s.push_str(
        "| layer | op | out | MACs | PE | SIMD | mult | mem | scale | cycles | LUT | FF | BRAM18 | URAM | DSP |\n",
    );
    s.push_str("|---|---|---|--:|--:|--:|---|---|---|--:|--:|--:|--:|--:|--:|\n");
    for l in &e.layers {
        let mark = if l.name == e.bottleneck {
            " (bottleneck)"
        } else {
            ""
        };
        s.push_str(&format!(
            "| {}{mark} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            l.name,
            l.op,
            shape(&l.out_shape),
            l.macs,
            l.pe,
            l.simd,
            l.mult,
            l.mem,
            l.scale,
            l.cycles,
            l.lut,
            l.ff,
            l.bram18,
            l.uram,
            l.dsp
        ));
    }
    let glue = e
        .glue
        .iter()
        .fold(crate::cost::Resources::default(), |a, g| a + g.res);
    let g = glue.as_array();
    s.push_str(&format!(
        "| glue (forks, converters, FIFOs) | | | | | | | | | | {} | {} | {} | {} | {} |\n",
        g[0], g[1], g[2], g[3], g[4]
    ));
    let util = e.utilisation();
    let cells: Vec<String> = e
        .total
        .as_array()
        .iter()
        .zip(util)
        .map(|(v, u)| format!("{v} ({u:.1} %)"))
        .collect();
    s.push_str(&format!(
        "| **total** | | | {} | | | | | | | {} |\n\n",
        e.macs,
        cells.join(" | ")
    ));
    s.push_str(&format!(
        "- Throughput: {} cycles per frame ({} is the slowest stage), {:.2} frames/s\n\
         - Latency: {} cycles ({:.3} us), first input beat to last output beat\n\
         - Lower bound for this budget: {} cycles per frame; efficiency {:.4}\n\
         - FIFO storage: {} bits\n",
        e.cycles_per_frame,
        e.bottleneck,
        e.fps,
        e.latency_cycles,
        e.latency_us,
        e.bound_cycles_per_frame,
        e.efficiency,
        e.fifo_bits
    ));
    s
}
