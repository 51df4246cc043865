//! The library's error type: every failure a user can cause or meet.

use std::fmt;
use std::path::PathBuf;

/// A source position, 1-based, as serde-saphyr reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Loc {
    /// 1-based line; 0 when unknown.
    pub line: u64,
    /// 1-based column; 0 when unknown.
    pub col: u64,
}

impl Loc {
    /// Builds a location from a serde-saphyr location.
    pub fn from_saphyr(l: serde_saphyr::Location) -> Self {
        Loc {
            line: l.line(),
            col: l.column(),
        }
    }
}

/// One located message about a user's input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file the message is about, as the user named it.
    pub file: String,
    /// Where in the file.
    pub loc: Loc,
    /// The layer concerned, when there is one.
    pub layer: Option<String>,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl Diagnostic {
    /// Creates a diagnostic.
    pub fn new(file: &str, loc: Loc, layer: Option<&str>, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_string(),
            loc,
            layer: layer.map(str::to_string),
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.loc.line > 0 {
            write!(f, "{}:{}:{}: ", self.file, self.loc.line, self.loc.col)?;
        } else {
            write!(f, "{}: ", self.file)?;
        }
        if let Some(layer) = &self.layer {
            write!(f, "layer `{layer}`: ")?;
        }
        write!(f, "{}", self.message)
    }
}

/// A failure reading or importing an ONNX model: the file, and the node concerned when there
/// is one. Displays as ``FILE: node `NAME` (OP): MESSAGE``, without the node and op parts
/// when they are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The model file, as the user named it.
    pub file: String,
    /// The node's name (or `<op_type>_<index>` for an unnamed node), when one is concerned.
    pub node: Option<String>,
    /// The node's operator type (`Conv`, `Quant`), when one is concerned.
    pub op: Option<String>,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file)?;
        match (&self.node, &self.op) {
            (Some(node), Some(op)) => write!(f, "node `{node}` ({op}): ")?,
            (Some(node), None) => write!(f, "node `{node}`: ")?,
            (None, Some(op)) => write!(f, "({op}): ")?,
            (None, None) => {}
        }
        write!(f, "{}", self.message)
    }
}

/// Per-resource shortfall when no folding fits the budget.
#[derive(Debug, Clone, PartialEq)]
pub struct NoFit {
    /// Lines `resource: needed N, budget M`, one per resource.
    pub lines: Vec<String>,
}

/// Everything that can go wrong in the library.
///
/// Each variant carries the whole message the user reads after `error: `; its kind says what
/// went wrong, and [`Error::exit_code`] what the process exits with:
///
/// | Variant | What went wrong | Exit code |
/// |---|---|---|
/// | [`Input`](Error::Input) | a model, space, folding or weights file is invalid (located) | 2 |
/// | [`Io`](Error::Io) | the operating system could not read or write a file | 2 |
/// | [`InvalidOption`](Error::InvalidOption) | a command-line option value, or a combination of options, is invalid | 2 |
/// | [`BadInputFile`](Error::BadInputFile) | an input file cannot be used: not a regular file, too large, not UTF-8, or a malformed data or vector array | 2 |
/// | [`InvalidBuildDir`](Error::InvalidBuildDir) | a directory given to `csim`, `cosim` or `synth` is not a complete build | 2 |
/// | [`OutputRefused`](Error::OutputRefused) | an output location cannot be written as asked: not half-gen's, changed, locked, or a file or directory in the way | 2 |
/// | [`CannotResume`](Error::CannotResume) | a search directory cannot be resumed: other settings, or records this version did not write | 2 |
/// | [`LimitExceeded`](Error::LimitExceeded) | what was asked for is larger than one of half-gen's limits | 2 |
/// | [`Unsupported`](Error::Unsupported) | a valid input half-gen cannot compile: a reserved model name, an accumulator too wide | 2 |
/// | [`Serialization`](Error::Serialization) | a report could not be written as JSON or CSV | 2 |
/// | [`Internal`](Error::Internal) | an internal invariant broke: a bug in half-gen | 2 |
/// | [`Import`](Error::Import) | an ONNX model cannot be read or imported (file, node, operator) | 2 |
/// | [`Tool`](Error::Tool) | an external tool (g++, Verilator, Yosys) is missing or failed | 2 |
/// | [`Interrupted`](Error::Interrupted) | a signal stopped the command after it saved what it could | 130 |
/// | [`NoFit`](Error::NoFit) | even the cheapest folding exceeds the board budget | 1 |
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A user's input file is invalid (exit code 2).
    #[error("{0}")]
    Input(Diagnostic),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A command-line option value, or a combination of options, is invalid: a number out of
    /// its range, an unknown board, objective or proxy, a malformed `--max-util`, an
    /// `--evaluator` command without its placeholders (exit code 2). The message names the
    /// option.
    #[error("{0}")]
    InvalidOption(String),
    /// An input file cannot be used as one: a directory, larger than half-gen reads, not
    /// UTF-8 text, or a data or vector array (`.npz`, `.npy`, an input frame) that is
    /// malformed or does not match the model (exit code 2).
    #[error("{0}")]
    BadInputFile(String),
    /// A directory given to `csim`, `cosim` or `synth` is not a build half-gen wrote, or lacks
    /// or garbles a file that command reads (exit code 2).
    #[error("{0}")]
    InvalidBuildDir(String),
    /// An output location cannot be written as asked: a file where a directory goes (or a
    /// directory where a file goes), a directory half-gen did not write, a file the user
    /// changed or owns in the way, another half-gen writing it, a previous search that needs
    /// `--resume` or `--force` (exit code 2). Nothing of the user's is touched.
    #[error("{0}")]
    OutputRefused(String),
    /// A search directory cannot be resumed: it was searched with other settings, or its
    /// setup or logs are not what this version of half-gen writes (exit code 2).
    #[error("{0}")]
    CannotResume(String),
    /// What was asked for is larger than one of half-gen's limits (a lookup table with too
    /// many configurations or rows); the message names the limit (exit code 2).
    #[error("{0}")]
    LimitExceeded(String),
    /// A valid input half-gen cannot compile: a model name the HLS top function cannot take,
    /// an accumulator wider than half-gen supports after requantisation (exit code 2).
    #[error("{0}")]
    Unsupported(String),
    /// A report could not be serialised as JSON or CSV (exit code 2).
    #[error("{0}")]
    Serialization(String),
    /// An internal invariant broke (a sized pipeline that deadlocks, an evaluation lost): a
    /// bug in half-gen, not in the input (exit code 2).
    #[error("{0}")]
    Internal(String),
    /// An ONNX model cannot be read or imported: not a regular file, too large, not ONNX, a
    /// malformed tensor, or a node half-gen cannot import (exit code 2). The message names
    /// the file and, when there is one, the node and its operator.
    #[error("{0}")]
    Import(ImportError),
    /// An external tool (g++, Verilator, Yosys) is missing or failed (exit code 2).
    #[error("{tool}: {message}")]
    Tool {
        /// The tool.
        tool: String,
        /// What happened, with the tool's own output where it helps.
        message: String,
    },
    /// A signal stopped the command after it saved what it could (exit code 130).
    #[error("interrupted: {0}")]
    Interrupted(String),
    /// Even the cheapest folding exceeds the budget (exit code 1).
    #[error("the design does not fit even fully folded:\n{}", .0.lines.join("\n"))]
    NoFit(NoFit),
}

impl Error {
    /// The process exit code this error maps to: 1 for "does not fit", 130 after an
    /// interruption, 2 for every other kind (see the table on [`Error`]).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::NoFit(_) => 1,
            Error::Interrupted(_) => i32::from(EXIT_INTERRUPTED),
            _ => 2,
        }
    }
}

/// The exit code after an interruption: 128 + SIGINT, the shell's convention.
pub const EXIT_INTERRUPTED: u8 = 130;

/// The library's result type.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_by_kind() {
        let m = || "m".to_string();
        for e in [
            Error::InvalidOption(m()),
            Error::BadInputFile(m()),
            Error::InvalidBuildDir(m()),
            Error::OutputRefused(m()),
            Error::CannotResume(m()),
            Error::LimitExceeded(m()),
            Error::Unsupported(m()),
            Error::Serialization(m()),
            Error::Internal(m()),
        ] {
            assert_eq!((e.exit_code(), e.to_string()), (2, m()));
        }
        let import = Error::Import(ImportError {
            file: m(),
            node: None,
            op: None,
            message: m(),
        });
        assert_eq!((import.exit_code(), import.to_string()), (2, "m: m".into()));
        assert_eq!(Error::Interrupted(m()).exit_code(), 130);
        assert_eq!(Error::NoFit(NoFit { lines: vec![] }).exit_code(), 1);
    }

    #[test]
    fn import_errors_name_file_node_and_op() {
        let e = |node: Option<&str>, op: Option<&str>| {
            Error::Import(ImportError {
                file: "m.onnx".into(),
                node: node.map(str::to_string),
                op: op.map(str::to_string),
                message: "bad".into(),
            })
            .to_string()
        };
        assert_eq!(
            e(Some("conv1"), Some("Conv")),
            "m.onnx: node `conv1` (Conv): bad"
        );
        assert_eq!(e(Some("conv1"), None), "m.onnx: node `conv1`: bad");
        assert_eq!(e(None, Some("Conv")), "m.onnx: (Conv): bad");
        assert_eq!(e(None, None), "m.onnx: bad");
    }
}
