//! The `import` subcommand (docs/import.md): arguments and the summary it prints.

use clap::Args;
use half_gen::Error;
use half_gen::import::Options;
use std::path::PathBuf;

/// `half-gen import` options.
#[derive(Args)]
pub struct ImportArgs {
    /// The ONNX model (QONNX from Brevitas/qonnx, or onnxruntime's int8 QDQ/QOperator).
    model: PathBuf,
    /// Output directory (default: ./NAME).
    #[arg(short, long)]
    out: Option<PathBuf>,
    /// The model's name (default: the file's stem).
    #[arg(long)]
    name: Option<String>,
    /// The input shape without the batch, in ONNX order (`C,H,W` or `N`), when the file's is
    /// dynamic.
    #[arg(long, value_delimiter = ',')]
    input_shape: Option<Vec<u64>>,
    /// Write into a directory half-gen did not create (its files are never replaced).
    #[arg(long)]
    force: bool,
    /// Print the sidecar (scales and the fate of every node) as JSON.
    #[arg(long)]
    json: bool,
    /// int8 models: requantise a conv or dense layer by thresholds where no integer scale
    /// equals onnxruntime's rounding at every reachable accumulator (bit-exact; 255 thresholds
    /// per channel for int8, searched in LUTs: large).
    #[arg(long)]
    exact: bool,
}

/// `half-gen import`.
pub fn import(a: ImportArgs) -> Result<u8, Error> {
    let opts = Options {
        name: a.name,
        input_shape: a.input_shape,
        exact: a.exact,
    };
    let r = half_gen::commands::import::import(&a.model, a.out.as_deref(), &opts, a.force)?;
    let i = &r.imported;
    if a.json {
        outln!(
            "{}",
            i.emitted.sidecar(&i.source, i.format, i.nodes)?.trim_end()
        );
        return Ok(0);
    }
    for f in &i.emitted.fates {
        outln!("{:<32} {:<20} -> {}", f.node, f.op, f.became);
    }
    for n in &i.emitted.notes {
        eprintln!("note: {n}");
    }
    outln!(
        "imported {} ({}): {} nodes -> {} layers in {:.1} ms; wrote {} (input scale {}, output scale {})",
        i.source,
        i.format,
        i.nodes,
        r.layers,
        i.seconds * 1e3,
        r.model.display(),
        i.emitted.input_scale,
        i.emitted.output_scale.first().copied().unwrap_or(1.0)
    );
    Ok(0)
}
