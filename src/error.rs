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

/// Per-resource shortfall when no folding fits the budget.
#[derive(Debug, Clone, PartialEq)]
pub struct NoFit {
    /// Lines `resource: needed N, budget M`, one per resource.
    pub lines: Vec<String>,
}

/// Everything that can go wrong in the library.
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
    /// A command-line option is invalid (exit code 2).
    #[error("{0}")]
    Usage(String),
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
    /// interruption, 2 for bad input.
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
