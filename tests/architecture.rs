//! The layering of `src/`: every `crate::` path in the library, and every `super::` path that
//! climbs out of its top-level module, must point down the layer order of [`LAYERS`]. The
//! checker reads the source with `syn` (so comments, doc comments and string literals never
//! count) and scans the tokens of macro definitions and invocations for `crate::` paths.
//!
//! A file belongs to the top-level module named by its first path component under `src/`
//! (`src/<name>.rs` or `src/<name>/`). The crate root `src/lib.rs` may import anything; the
//! binary (`src/main.rs` and the modules it declares, followed recursively) is a crate of its
//! own above every layer, so its files are not checked.

use proc_macro2::{Delimiter, Spacing, Span, TokenStream, TokenTree};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use syn::visit::{self, Visit};

/// One layer: a top-level module of the library and what it holds.
struct Layer {
    /// The top-level module (`src/<module>.rs` or `src/<module>/`).
    module: &'static str,
    /// What belongs in it.
    role: &'static str,
}

/// The layer order, top to bottom: a module may import itself and every module listed after
/// it, never one listed before it. The order is total (no two modules share a rank), so there
/// is no cycle. Above all of them is the binary (`src/main.rs` and its modules), which may use
/// anything of `half_gen`.
const LAYERS: &[Layer] = &[
    Layer {
        module: "commands",
        role: "build, estimate, sim (csim/cosim), synth, search, report",
    },
    Layer {
        module: "import",
        role: "ONNX and QONNX import to the model format",
    },
    Layer {
        module: "backend",
        role: "hls, rtl: assemble a top from stages and the shared edge plan",
    },
    Layer {
        module: "schedule",
        role: "cycle-level schedule of the stage netlist, FIFO sizing",
    },
    Layer {
        module: "lower",
        role: "the folded design lowered to its stage netlist and edge plan",
    },
    Layer {
        module: "fold",
        role: "the folding optimizer",
    },
    Layer {
        module: "reference",
        role: "the bit-exact reference interpreter with calibration (reads parameters)",
    },
    Layer {
        module: "weights",
        role: "parameters: weights files, generation",
    },
    Layer {
        module: "ir",
        role: "the graph and its passes",
    },
    Layer {
        module: "model",
        role: "the validated model (the format's checks)",
    },
    Layer {
        module: "ops",
        role: "layer kinds (one module each, listed once in a registry)",
    },
    Layer {
        module: "stage",
        role: "hardware units: HLS call, Verilog instance, cycle model, cost",
    },
    Layer {
        module: "format",
        role: "the model file's raw syntax, located field access, element types",
    },
    Layer {
        module: "board",
        role: "boards",
    },
    Layer {
        module: "cost",
        role: "technology cost facts",
    },
    Layer {
        module: "outdir",
        role: "utility: output directories and their manifest",
    },
    Layer {
        module: "fsutil",
        role: "utility: capped input reads, atomic output",
    },
    Layer {
        module: "child",
        role: "utility: child process trees",
    },
    Layer {
        module: "interrupt",
        role: "utility: Ctrl-C and signals, cleanup before exit",
    },
    Layer {
        module: "limits",
        role: "utility: input limits",
    },
    Layer {
        module: "hint",
        role: "utility: \"did you mean\" hints, YAML error wording",
    },
    Layer {
        module: "hash",
        role: "utility: the stable FNV-1a hash",
    },
    Layer {
        module: "error",
        role: "utility: the library's error type",
    },
];

/// The rank of a top-level module: 0 for the last entry of [`LAYERS`], one more per entry
/// above it; `None` when the module is not in the table.
fn rank(module: &str) -> Option<usize> {
    let at = LAYERS.iter().position(|l| l.module == module)?;
    Some(LAYERS.len() - 1 - at)
}

/// [`LAYERS`] as printed in a failure message.
fn layer_table() -> String {
    let mut s =
        String::from("the layer order (a module may import only itself and those below it):\n");
    s.push_str("  (binary) src/main.rs and its modules: may use anything of half_gen\n");
    for l in LAYERS {
        let r = rank(l.module).unwrap_or_default();
        s.push_str(&format!("  {r:>2} {:<10} {}\n", l.module, l.role));
    }
    s
}

/// What the checker knows of the library besides the file it reads.
struct Crate {
    /// The library's top-level modules found under `src/`.
    modules: BTreeSet<String>,
    /// Names the crate root re-exports (`pub use error::{Error, Result};`), each with the
    /// top-level module it comes from.
    reexports: BTreeMap<String, String>,
}

/// Lookups in the library's modules.
impl Crate {
    /// Whether `name` is a top-level module: found under `src/` or placed in [`LAYERS`].
    fn is_module(&self, name: &str) -> bool {
        self.modules.contains(name) || rank(name).is_some()
    }
}

/// What an import reaches.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Target {
    /// A top-level module, named directly or through a re-export of the crate root (`via`).
    Module {
        /// The top-level module.
        module: String,
        /// The re-exported name written in the path (`Error` in `crate::Error`), if any.
        via: Option<String>,
    },
    /// An item of the crate root itself (a function or type of `src/lib.rs`, or a glob of it):
    /// the root is above every layer.
    Root(String),
}

/// One import against the layer order.
#[derive(Debug)]
struct Violation {
    /// The file, as `src/...`.
    file: String,
    /// Its 1-based line.
    line: usize,
    /// The importing file's top-level module.
    from: String,
    /// What it imports.
    target: Target,
    /// The line's text, trimmed.
    text: String,
}

/// The failure line of one violation.
impl fmt::Display for Violation {
    /// `src/path.rs:LINE: module `a` (rank N) imports `crate::b` (rank M): <the line>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let from_rank = rank(&self.from).unwrap_or_default();
        write!(
            f,
            "{}:{}: module `{}` (rank {from_rank}) imports ",
            self.file, self.line, self.from
        )?;
        match &self.target {
            Target::Module { module, via: None } => {
                let r = rank(module).unwrap_or_default();
                write!(f, "`crate::{module}` (rank {r})")?;
            }
            Target::Module {
                module,
                via: Some(name),
            } => {
                let r = rank(module).unwrap_or_default();
                write!(
                    f,
                    "`crate::{name}`, re-exported from `crate::{module}` (rank {r})"
                )?;
            }
            Target::Root(name) => write!(
                f,
                "`crate::{name}`, an item of the crate root src/lib.rs (above every layer)"
            )?,
        }
        write!(f, ": {}", self.text)
    }
}

/// The result of checking a whole `src/`.
struct Report {
    /// Every import against the layer order, by file and line.
    violations: Vec<Violation>,
    /// Top-level modules of the library missing from [`LAYERS`], each with one of its files.
    unlisted: BTreeMap<String, String>,
}

/// The verdict.
impl Report {
    /// Whether `src/` follows the layer order.
    fn is_clean(&self) -> bool {
        self.violations.is_empty() && self.unlisted.is_empty()
    }
}

/// The failure message of the whole check.
impl fmt::Display for Report {
    /// The violations, the unplaced modules, then the layer table.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.violations.is_empty() {
            writeln!(
                f,
                "{} imports against the layer order:",
                self.violations.len()
            )?;
            for v in &self.violations {
                writeln!(f, "{v}")?;
            }
        }
        if !self.unlisted.is_empty() {
            writeln!(
                f,
                "{} top-level modules missing from LAYERS in tests/architecture.rs (place each in the order):",
                self.unlisted.len()
            )?;
            for (module, file) in &self.unlisted {
                writeln!(f, "module `{module}` ({file})")?;
            }
        }
        write!(f, "{}", layer_table())
    }
}

/// One segment of a path as written, with where it is.
#[derive(Clone)]
struct Seg {
    /// The identifier (`crate`, `super`, `fold`, `*` for a glob).
    name: String,
    /// Its span (the line of the import is taken from it).
    span: Span,
}

/// Construction.
impl Seg {
    /// A segment named after `ident`.
    fn of(ident: &proc_macro2::Ident) -> Seg {
        Seg {
            name: ident.to_string(),
            span: ident.span(),
        }
    }
}

/// Walks one file and collects the top-level modules (or root items) its paths reach.
struct Imports {
    /// The module the walk is in: the file's module path, then the inline modules entered.
    module: Vec<String>,
    /// Each path that reaches outside the file's top-level module: the first segment under
    /// `crate::` it resolves to, and its line.
    found: Vec<(String, usize)>,
}

/// Resolution of the paths found.
impl Imports {
    /// Resolves a path as written (`crate::a::b`, `super::super::x`, `self::super::y`) and
    /// records it if it leaves the file's top-level module. Other paths (local names,
    /// other crates) are not imports of `crate::` and are skipped.
    fn resolve(&mut self, segs: &[Seg]) {
        let Some(first) = segs.first() else { return };
        let mut module = self.module.clone();
        let mut rest = match first.name.as_str() {
            "crate" => {
                module.clear();
                &segs[1..]
            }
            "self" => &segs[1..],
            "super" => segs,
            _ => return,
        };
        while rest.first().is_some_and(|s| s.name == "super") {
            if module.pop().is_none() {
                return; // climbs out of the crate: not valid Rust, rustc reports it
            }
            rest = &rest[1..];
        }
        if !module.is_empty() {
            return; // still inside its top-level module
        }
        // `self` after the first segment (`crate::{self}`) names the module already reached.
        let Some(target) = rest.iter().find(|s| s.name != "self") else {
            return;
        };
        self.found
            .push((target.name.clone(), target.span.start().line));
    }

    /// Resolves every path of a `use` tree, `prefix` being the segments above it.
    fn use_tree(&mut self, tree: &syn::UseTree, prefix: &mut Vec<Seg>) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(Seg::of(&p.ident));
                self.use_tree(&p.tree, prefix);
                prefix.pop();
            }
            syn::UseTree::Name(n) => self.leaf(prefix, Seg::of(&n.ident)),
            syn::UseTree::Rename(r) => self.leaf(prefix, Seg::of(&r.ident)),
            syn::UseTree::Glob(g) => self.leaf(
                prefix,
                Seg {
                    name: "*".into(),
                    span: g.star_token.spans[0],
                },
            ),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(t, prefix);
                }
            }
        }
    }

    /// Resolves `prefix::last`.
    fn leaf(&mut self, prefix: &[Seg], last: Seg) {
        let mut segs = prefix.to_vec();
        segs.push(last);
        self.resolve(&segs);
    }

    /// Resolves every `crate::`, `$crate::`, `super::` and `self::` path in the tokens of a
    /// macro (its definition or an invocation), groups included (`crate::{a, b::c}`).
    fn tokens(&mut self, tokens: TokenStream) {
        let tts: Vec<TokenTree> = tokens.into_iter().collect();
        let mut k = 0;
        while k < tts.len() {
            let after_sep = k > 0 && is_punct(&tts[k - 1], ':');
            match &tts[k] {
                TokenTree::Ident(id)
                    if !after_sep
                        && matches!(id.to_string().as_str(), "crate" | "super" | "self") =>
                {
                    let mut paths = Vec::new();
                    k = token_path(&tts, k, Vec::new(), &mut paths);
                    for p in paths {
                        self.resolve(&p);
                    }
                }
                TokenTree::Punct(p)
                    if p.as_char() == '$'
                        && matches!(tts.get(k + 1), Some(TokenTree::Ident(id)) if id == "crate") =>
                {
                    let mut paths = Vec::new();
                    k = token_path(&tts, k + 1, Vec::new(), &mut paths);
                    for p in paths {
                        self.resolve(&p);
                    }
                }
                TokenTree::Group(g) => {
                    self.tokens(g.stream());
                    k += 1;
                }
                _ => k += 1,
            }
        }
    }
}

/// Whether `tt` is the punctuation `c`.
fn is_punct(tt: &TokenTree, c: char) -> bool {
    matches!(tt, TokenTree::Punct(p) if p.as_char() == c)
}

/// Whether a `::` starts at `tts[pos]`.
fn is_path_sep(tts: &[TokenTree], pos: usize) -> bool {
    matches!(tts.get(pos), Some(TokenTree::Punct(p)) if p.as_char() == ':' && p.spacing() == Spacing::Joint)
        && tts.get(pos + 1).is_some_and(|t| is_punct(t, ':'))
}

/// Reads the path that starts at `tts[pos]` (an identifier, a `*` or a `{...}` group of use
/// trees) onto `prefix`, adds every complete path to `out`, and returns the position after it.
fn token_path(
    tts: &[TokenTree],
    mut pos: usize,
    mut prefix: Vec<Seg>,
    out: &mut Vec<Vec<Seg>>,
) -> usize {
    loop {
        match tts.get(pos) {
            Some(TokenTree::Ident(id)) => prefix.push(Seg::of(id)),
            Some(TokenTree::Punct(p)) if p.as_char() == '*' && !prefix.is_empty() => {
                prefix.push(Seg {
                    name: "*".into(),
                    span: p.span(),
                });
            }
            Some(TokenTree::Group(g))
                if g.delimiter() == Delimiter::Brace && !prefix.is_empty() =>
            {
                let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                for element in inner.split(|t| is_punct(t, ',')) {
                    if !element.is_empty() {
                        token_path(element, 0, prefix.clone(), out);
                    }
                }
                return pos + 1;
            }
            _ => break,
        }
        pos += 1;
        if !is_path_sep(tts, pos) {
            break;
        }
        pos += 2;
    }
    if !prefix.is_empty() {
        out.push(prefix);
    }
    pos
}

/// The walk over a parsed file: every place a path can be written.
impl<'ast> Visit<'ast> for Imports {
    /// Enters an inline module (`mod tests { ... }`), which `super` climbs out of.
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if m.content.is_some() {
            self.module.push(m.ident.to_string());
            visit::visit_item_mod(self, m);
            self.module.pop();
        } else {
            visit::visit_item_mod(self, m);
        }
    }

    /// Resolves each path of a `use` tree.
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        for a in &u.attrs {
            self.visit_attribute(a);
        }
        let mut prefix = Vec::new();
        if u.leading_colon.is_none() {
            self.use_tree(&u.tree, &mut prefix);
        }
    }

    /// Resolves a path in a type, expression, pattern, bound, attribute or macro name.
    fn visit_path(&mut self, p: &'ast syn::Path) {
        if p.leading_colon.is_none() {
            let segs: Vec<Seg> = p.segments.iter().map(|s| Seg::of(&s.ident)).collect();
            self.resolve(&segs);
        }
        visit::visit_path(self, p);
    }

    /// Resolves the paths in a macro's tokens.
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        visit::visit_macro(self, m);
        self.tokens(m.tokens.clone());
    }

    /// Skips `pub(in path)`.
    fn visit_vis_restricted(&mut self, _: &'ast syn::VisRestricted) {
        // `pub(in crate::a)` limits visibility; it imports nothing.
    }
}

/// The module path of a file of the library, from its path relative to `src/`:
/// `fold/space.rs` is `fold::space`, `fold/mod.rs` and `fold.rs` are `fold`.
fn module_path(rel: &Path) -> Vec<String> {
    let mut path: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = path.pop() {
        let stem = last.strip_suffix(".rs").unwrap_or(&last);
        if stem != "mod" {
            path.push(stem.to_string());
        }
    }
    path
}

/// Checks one file of the library: `rel` is its path relative to `src/`, `source` its text.
/// Returns its imports against the layer order; the file's own top-level module must be in
/// [`LAYERS`] (its imports cannot be ranked otherwise).
fn check_source(rel: &Path, source: &str, krate: &Crate) -> Result<Vec<Violation>, String> {
    let file = format!("src/{}", rel.display());
    let module = module_path(rel);
    let from = module
        .first()
        .cloned()
        .ok_or(format!("{file}: not in a module"))?;
    let from_rank = rank(&from).ok_or(format!("{file}: module `{from}` is not in LAYERS"))?;
    let ast = syn::parse_file(source).map_err(|e| {
        let line = e.span().start().line;
        format!("{file}:{line}: does not parse: {e}")
    })?;
    let mut imports = Imports {
        module,
        found: Vec::new(),
    };
    imports.visit_file(&ast);
    let lines: Vec<&str> = source.lines().collect();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (name, line) in imports.found {
        let target = if krate.is_module(&name) {
            Target::Module {
                module: name,
                via: None,
            }
        } else if let Some(module) = krate.reexports.get(&name) {
            Target::Module {
                module: module.clone(),
                via: Some(name),
            }
        } else {
            Target::Root(name)
        };
        let allowed = match &target {
            Target::Module { module, .. } if *module == from => true,
            // A module missing from LAYERS is reported as such by `check_tree`.
            Target::Module { module, .. } => rank(module).is_none_or(|r| r < from_rank),
            Target::Root(_) => false,
        };
        if allowed || !seen.insert((line, target.clone())) {
            continue;
        }
        let text = lines.get(line.wrapping_sub(1)).map_or("", |l| l.trim());
        out.push(Violation {
            file: file.clone(),
            line,
            from: from.clone(),
            target,
            text: text.to_string(),
        });
    }
    out.sort_by_key(|v| v.line);
    Ok(out)
}

/// Every `.rs` file under `dir`, sorted.
fn rs_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", d.display()))?.path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads and parses a file.
fn parse(path: &Path) -> Result<syn::File, String> {
    let source = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    syn::parse_file(&source).map_err(|e| format!("{}: {e}", path.display()))
}

/// The files of the binary: `src/main.rs` and every module it declares with `mod x;`,
/// followed recursively (`x.rs` or `x/mod.rs` next to a crate root or `mod.rs`, in `<stem>/`
/// next to any other file; inside `<inline>/` for a module declared in `mod inline { ... }`).
fn binary_files(src: &Path) -> Result<BTreeSet<PathBuf>, String> {
    /// Adds the files of the modules declared in `items`, whose directory is `dir`.
    fn declared(
        items: &[syn::Item],
        dir: &Path,
        out: &mut BTreeSet<PathBuf>,
    ) -> Result<(), String> {
        for item in items {
            let syn::Item::Mod(m) = item else { continue };
            let name = m.ident.to_string();
            if let Some((_, inner)) = &m.content {
                declared(inner, &dir.join(&name), out)?;
                continue;
            }
            let (file, own_dir) = (dir.join(format!("{name}.rs")), dir.join(&name));
            let file = if file.is_file() {
                file
            } else {
                own_dir.join("mod.rs")
            };
            if file.is_file() && out.insert(file.clone()) {
                declared(&parse(&file)?.items, &own_dir, out)?;
            }
        }
        Ok(())
    }
    let main = src.join("main.rs");
    let mut out = BTreeSet::new();
    if main.is_file() {
        declared(&parse(&main)?.items, src, &mut out)?;
        out.insert(main);
    }
    Ok(out)
}

/// The names the crate root re-exports from a top-level module (`pub use error::Error;`
/// maps `Error` to `error`); globs are skipped.
fn root_reexports(lib: &syn::File, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    /// Adds the names of a `use` tree below `prefix`.
    fn walk(
        tree: &syn::UseTree,
        prefix: &mut Vec<String>,
        modules: &BTreeSet<String>,
        out: &mut BTreeMap<String, String>,
    ) {
        let (path, name) = match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                walk(&p.tree, prefix, modules, out);
                prefix.pop();
                return;
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    walk(t, prefix, modules, out);
                }
                return;
            }
            syn::UseTree::Glob(_) => return,
            syn::UseTree::Name(n) => (prefix.clone(), n.ident.to_string()),
            syn::UseTree::Rename(r) => (prefix.clone(), r.rename.to_string()),
        };
        let module = path.iter().find(|s| *s != "crate" && *s != "self");
        if let Some(m) = module.filter(|m| modules.contains(*m) || rank(m).is_some()) {
            out.insert(name, m.clone());
        }
    }
    let mut out = BTreeMap::new();
    for item in &lib.items {
        if let syn::Item::Use(u) = item {
            walk(&u.tree, &mut Vec::new(), modules, &mut out);
        }
    }
    out
}

/// Checks every file of the library under `src`.
fn check_tree(src: &Path) -> Result<Report, String> {
    let binary = binary_files(src)?;
    let lib = src.join("lib.rs");
    let mut files = Vec::new();
    for path in rs_files(src)? {
        if path == lib || binary.contains(&path) {
            continue;
        }
        let rel = path
            .strip_prefix(src)
            .map_err(|e| e.to_string())?
            .to_path_buf();
        files.push((path, rel));
    }
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|(_, rel)| module_path(rel).into_iter().next())
        .collect();
    let reexports = if lib.is_file() {
        root_reexports(&parse(&lib)?, &modules)
    } else {
        BTreeMap::new()
    };
    let krate = Crate { modules, reexports };
    let mut report = Report {
        violations: Vec::new(),
        unlisted: BTreeMap::new(),
    };
    for (path, rel) in files {
        let module = module_path(&rel).into_iter().next().unwrap_or_default();
        if rank(&module).is_none() {
            report
                .unlisted
                .entry(module)
                .or_insert_with(|| format!("src/{}", rel.display()));
            continue;
        }
        let source =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        report
            .violations
            .extend(check_source(&rel, &source, &krate)?);
    }
    Ok(report)
}

/// The library's `src/`.
fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The real `src/` follows the layer order: every violation is listed by file and line.
#[test]
fn imports_follow_the_layer_order() {
    let report = check_tree(&src_dir()).unwrap();
    assert!(report.is_clean(), "\n{report}");
}

/// A context for checking inline sources: every module of [`LAYERS`], and the root
/// re-exporting `Error` from `error`.
fn test_crate() -> Crate {
    Crate {
        modules: LAYERS.iter().map(|l| l.module.to_string()).collect(),
        reexports: BTreeMap::from([("Error".to_string(), "error".to_string())]),
    }
}

/// The violations of one inline source as `(line, message)` pairs.
fn check(rel: &str, source: &str) -> Vec<(usize, String)> {
    check_source(Path::new(rel), source, &test_crate())
        .unwrap()
        .iter()
        .map(|v| (v.line, v.to_string()))
        .collect()
}

/// Just the lines of [`check`].
fn lines(rel: &str, source: &str) -> Vec<usize> {
    check(rel, source).into_iter().map(|(l, _)| l).collect()
}

/// An upward import is found on its line, with the message naming both modules and ranks.
#[test]
fn planted_upward_import_is_found_on_its_line() {
    let source = "//! hash\n\nuse crate::error::Error;\nuse crate::commands::x;\n\npub struct H;\n";
    assert_eq!(
        check("hash.rs", source),
        [(
            4,
            "src/hash.rs:4: module `hash` (rank 1) imports `crate::commands` (rank 22): use crate::commands::x;"
                .to_string()
        )]
    );
    // Downward and same-module imports pass.
    assert_eq!(
        lines(
            "fold/space.rs",
            "use crate::ir::Graph;\nuse crate::fold::Design;\nuse crate::error::Error;\n"
        ),
        Vec::<usize>::new()
    );
    // Same-rank neighbours are ordered too: `weights` is below `reference`.
    assert_eq!(
        lines("weights/mod.rs", "use crate::reference::eval;\n"),
        [1]
    );
    assert_eq!(
        lines("reference/eval.rs", "use crate::weights::Params;\n"),
        Vec::<usize>::new()
    );
}

/// Comments, doc comments and string literals never count; the code next to them does.
#[test]
fn paths_in_comments_and_strings_are_ignored() {
    let source = r####"//! See crate::commands::build.
// use crate::commands::x;
/* crate::commands::y */
/** crate::commands::z */
/// [`crate::commands`]
#[doc = "crate::commands::d"]
fn f() -> &'static str {
    let _ = b"crate::commands::b";
    let _ = r#"crate::commands::raw"#;
    let _ = 'c';
    println!("crate::commands::{}", 1);
    crate::commands::real();
    "use crate::commands::s;"
}
"####;
    assert_eq!(lines("hash.rs", source), [12]);
}

/// `super` is resolved against the file's module path and the inline modules around it.
#[test]
fn super_is_resolved_against_the_module_path() {
    // In src/fold/mod.rs `super::x` is `crate::x`.
    assert_eq!(
        lines(
            "fold/mod.rs",
            "use super::commands::x;\nuse super::ir::Graph;\n"
        ),
        [1]
    );
    // In src/fold/space.rs `super::x` is `crate::fold::x`, `super::super::x` is `crate::x`.
    assert_eq!(
        lines(
            "fold/space.rs",
            "use super::commands::x;\nuse super::super::commands::y;\nfn f() { super::super::backend::g(); }\n"
        ),
        [2, 3]
    );
    // In src/a/b/c.rs `super::super::x` is `crate::a::x`.
    assert_eq!(
        lines("ops/conv/inner.rs", "use super::super::commands;\n"),
        Vec::<usize>::new()
    );
    // Inline modules: `mod tests` in src/fold/mod.rs is `crate::fold::tests`.
    let source = "mod tests {\n    use super::*;\n    use super::super::backend;\n    use self::super::super::lower;\n}\nuse self::config::X;\n";
    assert_eq!(lines("fold/mod.rs", source), [3, 4]);
    // A glob of the crate root is an import of the root.
    let found = check("fold/mod.rs", "use super::*;\n");
    assert_eq!(found.len(), 1);
    assert!(
        found[0].1.contains("`crate::*`, an item of the crate root"),
        "{found:?}"
    );
}

/// Grouped and nested `use` trees count each path on the line it is written on.
#[test]
fn grouped_use_trees_are_read_path_by_path() {
    let source = "use crate::{\n    error::Error,\n    commands::{x, y::z},\n    {ir::Graph, self},\n    backend as b,\n};\n";
    assert_eq!(lines("ops/mod.rs", source), [3, 4, 5]);
    assert_eq!(lines("ops/mod.rs", "use {crate::ir, std::fmt};\n"), [1]);
}

/// Paths in types, expressions, patterns, trait bounds and macro bodies count.
#[test]
fn inline_and_macro_paths_count() {
    let source = r#"fn f(x: crate::commands::T) -> impl crate::backend::Tr {
    match x {
        crate::schedule::K::A => {}
    }
    let _ = format!("{}", crate::lower::name());
    let _ = matches!(x, crate::fold::P { .. });
    my_macro! { use crate::{ir::G, model::M}; }
    crate::reference::gen!();
}
macro_rules! m {
    () => { $crate::weights::w() };
}
"#;
    let found = lines("stage/mod.rs", source);
    assert_eq!(found, [1, 1, 3, 5, 6, 7, 7, 8, 11]);
    // Downward paths in the same places pass.
    let source = "fn f(x: crate::format::T) { let _ = format!(\"{}\", crate::board::b()); }\n";
    assert_eq!(lines("stage/mod.rs", source), Vec::<usize>::new());
}

/// Re-exports of the crate root resolve to their module; other root items are flagged.
#[test]
fn root_items_resolve_through_reexports() {
    let found = check(
        "hash.rs",
        "use crate::Error;\nuse crate::load;\nfn f() -> crate::Estimated { todo!() }\n",
    );
    assert_eq!(found.iter().map(|(l, _)| *l).collect::<Vec<_>>(), [2, 3]);
    assert!(
        found[0]
            .1
            .contains("imports `crate::load`, an item of the crate root"),
        "{}",
        found[0].1
    );
    let found = check("error.rs", "use crate::Error;\n");
    assert!(found.is_empty(), "{found:?}");
    let found = check(
        "cost/mod.rs",
        "use crate::Error;\nuse crate::board::Board;\n",
    );
    assert_eq!(found.len(), 1);
    // `crate::Error` is re-exported from `error`, below `cost`; `board` is above it.
    assert!(
        found[0].1.starts_with(
            "src/cost/mod.rs:2: module `cost` (rank 8) imports `crate::board` (rank 9)"
        ),
        "{}",
        found[0].1
    );
}

/// A scratch directory for one test, emptied first.
fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "half-gen-architecture-{}-{tag}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes `files` (path relative to `root`, text) under `root`.
fn write_tree(root: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// A copy of the real `src/` with `use crate::commands::x;` planted in a bottom module
/// reports exactly one violation more than `src/` itself, on the planted line, and a new
/// top-level module is named as missing from the table.
#[test]
fn planted_violation_in_a_copy_of_src() {
    let real = src_dir();
    let copy = scratch("planted");
    for path in rs_files(&real).unwrap() {
        let rel = path.strip_prefix(&real).unwrap();
        std::fs::create_dir_all(copy.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(&path, copy.join(rel)).unwrap();
    }
    let bottom = LAYERS.last().unwrap().module;
    let file = [format!("{bottom}.rs"), format!("{bottom}/mod.rs")]
        .into_iter()
        .find(|f| copy.join(f).is_file())
        .unwrap();
    let mut text = std::fs::read_to_string(copy.join(&file)).unwrap();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let line = text.lines().count() + 1;
    text.push_str("use crate::commands::x;\n");
    std::fs::write(copy.join(&file), text).unwrap();
    write_tree(&copy, &[("zz_unplaced.rs", "//! new\n")]);

    let before = check_tree(&real).unwrap();
    let after = check_tree(&copy).unwrap();
    let _ = std::fs::remove_dir_all(&copy);
    let expected = format!(
        "src/{file}:{line}: module `{bottom}` (rank 0) imports `crate::commands` (rank {}): use crate::commands::x;",
        LAYERS.len() - 1
    );
    let planted: Vec<String> = after
        .violations
        .iter()
        .map(|v| v.to_string())
        .filter(|v| v.starts_with(&format!("src/{file}:")))
        .collect();
    assert!(planted.contains(&expected), "{planted:?}");
    assert_eq!(after.violations.len(), before.violations.len() + 1);
    assert_eq!(
        after.unlisted.get("zz_unplaced").map(String::as_str),
        Some("src/zz_unplaced.rs")
    );
    assert!(!after.is_clean());
    println!("planted violation:\n{expected}\nreported as:\n{after}");
}

/// The binary's files are found through the `mod` declarations of `src/main.rs` and are not
/// checked; the library's files are, and an unplaced library module is named.
#[test]
fn binary_modules_are_found_through_main() {
    let root = scratch("binary");
    write_tree(
        &root,
        &[
            (
                "main.rs",
                "mod cli;\nmod other { mod deep; }\nuse half_gen::commands;\n",
            ),
            ("cli/mod.rs", "mod args;\nuse crate::args::A;\n"),
            ("cli/args.rs", "use crate::cli::X;\npub struct A;\n"),
            ("other/deep.rs", "use crate::cli::X;\n"),
            (
                "lib.rs",
                "pub mod error;\npub mod fold;\npub mod extra;\npub use error::Error;\npub fn load() {}\n",
            ),
            ("error.rs", "use crate::fold::Design;\n"),
            ("fold/mod.rs", "use crate::Error;\nuse crate::load;\n"),
            ("extra.rs", "use crate::commands::x;\n"),
        ],
    );
    let binary = binary_files(&root).unwrap();
    let report = check_tree(&root).unwrap();
    let _ = std::fs::remove_dir_all(&root);
    let names: Vec<_> = binary
        .iter()
        .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    assert_eq!(
        names,
        ["cli/args.rs", "cli/mod.rs", "main.rs", "other/deep.rs"]
    );
    let found: Vec<String> = report
        .violations
        .iter()
        .map(|v| format!("{}:{}", v.file, v.line))
        .collect();
    assert_eq!(found, ["src/error.rs:1", "src/fold/mod.rs:2"]);
    assert_eq!(report.unlisted.keys().collect::<Vec<_>>(), ["extra"]);
    assert!(report.to_string().contains("module `extra` (src/extra.rs)"));
}
