//! The README, as a user types it: every ```` ```sh ```` block of README.md runs verbatim, in
//! order, each block in one `bash -euo pipefail`, in a fresh copy of the repository (the files
//! `git ls-files` lists, copied with their modification times to a temporary directory), with
//! the current directory at the copy's root and the relative paths as written. Any failing
//! command fails the test, naming the block, the command, its exit code and its output tail.
//!
//! Rules of the README's fences: ```` ```sh ```` blocks run; anything meant not to run (an
//! output sample) is fenced ```` ```text ```` or with another non-shell info string. A fence
//! without an info string or with `bash`, `shell`, `console` or `zsh` fails the test, so a
//! command block is never skipped by accident.
//!
//! What differs from a user's shell, all of it here and checked:
//!
//! * The install block (`cargo install --locked --path .`) runs verbatim with
//!   `CARGO_INSTALL_ROOT` in the temporary directory, `CARGO_TARGET_DIR` the target directory of
//!   the binary under test and `CARGO_NET_OFFLINE=true` (every dependency is there already).
//!   The copy keeps the sources' modification times, so cargo reuses the dependencies built for
//!   the tests. It does build its own `half-gen` once: `cargo test` unifies dependency features
//!   with the dev-dependencies (proptest's tempfile turns on rustix's `fs`, under crossterm and
//!   comfy-table), `cargo install` does not, so the installed binary is the same sources built as a
//!   user gets them, not the test's file (about a minute the first time in a target directory,
//!   a second after). That root's `bin/` comes first on `PATH`, so every later `half-gen` is the
//!   installed one; `HALF_GEN` is removed, so the example evaluator finds `half-gen` on `PATH`
//!   as the README says.
//! * The evaluator search trains a network per candidate (about 30 s each): its budget
//!   [`EVALUATOR_BUDGET`] is replaced by a smaller one, an exact string that must occur once.
//! * `./scripts/test.sh` (the block "Run every test", which runs this test) is not run:
//!   [`SKIPPED`] must occur exactly once as a whole line.
//! * `HALF_EVALUATOR_VENV` points `scripts/evaluator-env.sh` at the environment of this
//!   checkout, `target/evaluator-venv` (which scripts/test.sh creates), unless it is already set:
//!   the copy shares it instead of creating a second one of several hundred MB.
//!   `HALF_YOSYS_VENV` does the same for `scripts/yosys-env.sh` (Yosys 0.70), and
//!   `HALF_GEN_YOSYS` is removed, so the README's own `export` names the Yosys `synth` runs.
//!   `HALF_ONNX_VENV` does the same for `scripts/onnx-env.sh` (onnx, onnxruntime, qonnx).
//!
//! Needs everything the README's commands need (g++, Verilator, Yosys, python3 with venv, git):
//! scripts/test.sh installs them; a missing tool fails the test through the command that needs
//! it. Takes several minutes, most of them `half-gen synth build/resnet8` (under two with
//! Yosys 0.70).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The evaluator block's search budget and the one the test runs instead.
const EVALUATOR_BUDGET: (&str, &str) = ("--evaluations 16", "--evaluations 2");

/// The command of the block "Run every test": it runs this test, so it is not run here.
const SKIPPED: &str = "./scripts/test.sh";

/// The install command, which runs verbatim with the environment described above.
const INSTALL: &str = "cargo install --locked --path .";

/// Fence info strings that would hide shell commands from this test.
const REJECTED_INFO: [&str; 5] = ["", "bash", "shell", "console", "zsh"];

/// One ```` ```sh ```` block: its 1-based README line of the first command line and its text.
struct Block {
    line: usize,
    text: String,
}

/// The ```` ```sh ```` blocks of a Markdown text, in order.
fn sh_blocks(md: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, Block)> = None;
    for (i, line) in md.lines().enumerate() {
        let fence = line.trim_start().starts_with("```");
        match &mut open {
            None if fence => {
                let info = line.trim_start().trim_start_matches('`').trim().to_string();
                assert!(
                    !REJECTED_INFO.contains(&info.as_str()),
                    "README.md:{}: fence `{}`: shell commands go in ```sh blocks (run by this \
                     test), anything else in ```text",
                    i + 1,
                    line.trim()
                );
                open = Some((
                    info,
                    Block {
                        line: i + 2,
                        text: String::new(),
                    },
                ));
            }
            None => {}
            Some(_) if fence => {
                let (info, block) = open.take().unwrap();
                if info == "sh" {
                    blocks.push(block);
                }
            }
            Some((_, block)) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
        }
    }
    assert!(open.is_none(), "README.md: a fence is not closed");
    blocks
}

/// The logical commands of a block (lines joined over trailing backslashes), each with its
/// first and last line, 0-based within the block.
fn commands(text: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let (start, mut cmd) = cur.take().unwrap_or((i, String::new()));
        if !cmd.is_empty() {
            cmd.push('\n');
        }
        cmd.push_str(line);
        if line.ends_with('\\') {
            cur = Some((start, cmd));
        } else if !cmd.trim().is_empty() {
            out.push((start, i, cmd));
        }
    }
    if let Some((start, cmd)) = cur {
        out.push((start, text.lines().count() - 1, cmd));
    }
    out
}

/// Replaces the exactly-once occurrence of `from` in the blocks, failing otherwise.
fn substitute(blocks: &mut [Block], from: &str, to: &str) -> usize {
    let hits: Vec<usize> = (0..blocks.len())
        .filter(|&b| blocks[b].text.contains(from))
        .collect();
    let total: usize = blocks.iter().map(|b| b.text.matches(from).count()).sum();
    assert_eq!(
        total, 1,
        "README.md: `{from}` must occur once in the sh blocks (tests/readme.rs replaces it with \
         `{to}`): found {total} times; update EVALUATOR_BUDGET in tests/readme.rs with the README"
    );
    let b = hits[0];
    blocks[b].text = blocks[b].text.replace(from, to);
    b
}

/// Removes the line that is exactly `cmd` from the blocks, failing unless it occurs once.
fn skip_line(blocks: &mut [Block], cmd: &str) {
    let total: usize = blocks
        .iter()
        .map(|b| b.text.lines().filter(|l| l.trim() == cmd).count())
        .sum();
    assert_eq!(
        total, 1,
        "README.md: the line `{cmd}` must occur once in the sh blocks (tests/readme.rs does not \
         run it): found {total} times; update SKIPPED in tests/readme.rs with the README"
    );
    for b in blocks.iter_mut() {
        // An empty line in its place keeps the line numbers.
        b.text = b
            .text
            .lines()
            .map(|l| if l.trim() == cmd { "" } else { l })
            .map(|l| format!("{l}\n"))
            .collect();
    }
}

/// Copies the files `git ls-files` lists under `repo` to `to`, with permissions and
/// modification times.
fn copy_tracked(repo: &Path, to: &Path) -> usize {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["ls-files", "-z"])
        .output()
        .expect("running git (the README test copies the files git ls-files lists)");
    assert!(
        out.status.success(),
        "git ls-files in {}: {}",
        repo.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut n = 0;
    for rel in out.stdout.split(|&c| c == 0).filter(|p| !p.is_empty()) {
        let rel = Path::new(std::str::from_utf8(rel).unwrap());
        let src = repo.join(rel);
        let meta = match fs::symlink_metadata(&src) {
            Ok(m) => m,
            // Deleted in the working tree: not part of what cargo built either.
            Err(_) => continue,
        };
        let dst = to.join(rel);
        fs::create_dir_all(dst.parent().unwrap()).unwrap();
        if meta.file_type().is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src).unwrap(), &dst).unwrap();
        } else {
            fs::copy(&src, &dst).unwrap_or_else(|e| panic!("copying {}: {e}", src.display()));
            fs::File::options()
                .write(true)
                .open(&dst)
                .unwrap()
                .set_modified(meta.modified().unwrap())
                .unwrap();
        }
        n += 1;
    }
    n
}

/// The last `n` lines of a file.
fn tail(path: &Path, n: usize) -> String {
    let text = String::from_utf8_lossy(&fs::read(path).unwrap_or_default()).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[test]
fn readme_commands_run_verbatim_in_a_fresh_copy() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_half-gen"));
    // <target dir>/release/half-gen
    let target_dir = bin.parent().unwrap().parent().unwrap().to_path_buf();
    let md = fs::read_to_string(repo.join("README.md")).unwrap();

    let mut blocks = sh_blocks(&md);
    assert!(
        blocks
            .iter()
            .any(|b| b.text.lines().any(|l| l.trim() == INSTALL)),
        "README.md: no `{INSTALL}` line: update INSTALL in tests/readme.rs with the README"
    );
    let eval_block = substitute(&mut blocks, EVALUATOR_BUDGET.0, EVALUATOR_BUDGET.1);
    assert!(
        blocks[eval_block].text.contains("--evaluator"),
        "README.md: `{}` is not in the evaluator block",
        EVALUATOR_BUDGET.0
    );
    skip_line(&mut blocks, SKIPPED);

    let tmp = std::env::temp_dir().join(format!("half-gen-readme-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    let copy = tmp.join("repo");
    let root = tmp.join("cargo-root");
    let logs = tmp.join("logs");
    fs::create_dir_all(&copy).unwrap();
    fs::create_dir_all(&logs).unwrap();
    let files = copy_tracked(repo, &copy);
    assert!(
        files > 0,
        "git ls-files listed nothing in {}",
        repo.display()
    );

    let path = std::env::join_paths(std::iter::once(root.join("bin")).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    // Relative to this process's directory (the checkout), as the copy's is another.
    let venv = std::env::var_os("HALF_EVALUATOR_VENV")
        .map(|v| std::env::current_dir().unwrap().join(v))
        .unwrap_or_else(|| repo.join("target/evaluator-venv"));
    // The same for scripts/yosys-env.sh's Yosys (the README exports HALF_GEN_YOSYS itself).
    let yosys_venv = std::env::var_os("HALF_YOSYS_VENV")
        .map(|v| std::env::current_dir().unwrap().join(v))
        .unwrap_or_else(|| repo.join("target/yosys-venv"));
    // And for scripts/onnx-env.sh's onnx, onnxruntime and qonnx.
    let onnx_venv = std::env::var_os("HALF_ONNX_VENV")
        .map(|v| std::env::current_dir().unwrap().join(v))
        .unwrap_or_else(|| repo.join("target/onnx-venv"));

    let start = Instant::now();
    let mut times = Vec::new();
    for (k, block) in blocks.iter().enumerate() {
        if block.text.trim().is_empty() {
            continue;
        }
        let script = logs.join(format!("block-{k}.sh"));
        let fail = logs.join(format!("block-{k}.sh.fail"));
        let log = logs.join(format!("block-{k}.log"));
        fs::write(&script, &block.text).unwrap();
        let out = fs::File::create(&log).unwrap();
        let t = Instant::now();
        // The ERR trap records the failing command; the block itself is sourced unchanged, so
        // its line numbers are the block's.
        let status = Command::new("bash")
            .args(["-euo", "pipefail", "-c"])
            .arg(
                r#"trap 'printf "%s\n%s\n%s\n" "$?" "$LINENO" "$BASH_COMMAND" > "$0.fail"' ERR
. "$0""#,
            )
            .arg(&script)
            .current_dir(&copy)
            .env("PATH", &path)
            .env("CARGO_INSTALL_ROOT", &root)
            .env("CARGO_TARGET_DIR", &target_dir)
            .env("CARGO_NET_OFFLINE", "true")
            .env("HALF_EVALUATOR_VENV", &venv)
            .env("HALF_YOSYS_VENV", &yosys_venv)
            .env("HALF_ONNX_VENV", &onnx_venv)
            .env_remove("HALF_GEN")
            .env_remove("HALF_GEN_YOSYS")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .status()
            .unwrap();
        times.push(format!(
            "README.md:{}: {:.1} s",
            block.line,
            t.elapsed().as_secs_f64()
        ));
        if !status.success() {
            let cmd = match fs::read_to_string(&fail) {
                Ok(f) => {
                    let mut it = f.splitn(3, '\n');
                    let code = it.next().unwrap_or("?");
                    let line: usize = it.next().unwrap_or("0").parse().unwrap_or(0);
                    let bash_cmd = it.next().unwrap_or("").trim_end();
                    let readme = commands(&block.text)
                        .into_iter()
                        .find(|&(a, b, _)| a < line && line <= b + 1)
                        .map(|(a, _, c)| format!("README.md:{}:\n{c}", block.line + a))
                        .unwrap_or_else(|| format!("(block line {line})"));
                    format!("command {readme}\nexited with {code} (bash: `{bash_cmd}`)")
                }
                Err(_) => format!(
                    "the block exited with {status} without a failing command (an unbound \
                     variable or a syntax error?)"
                ),
            };
            panic!(
                "README.md block at line {} failed.\n{cmd}\n--- block (as run) ---\n{}--- \
                 output tail ({}) ---\n{}\n--- (the copy is kept in {})",
                block.line,
                block.text,
                log.display(),
                tail(&log, 40),
                tmp.display()
            );
        }
        if block.text.lines().any(|l| l.trim() == INSTALL) {
            assert!(
                root.join("bin/half-gen").is_file(),
                "`{INSTALL}` did not install half-gen in CARGO_INSTALL_ROOT={}",
                root.display()
            );
        }
    }
    eprintln!(
        "README: {} blocks in {:.1} s\n{}",
        blocks.len(),
        start.elapsed().as_secs_f64(),
        times.join("\n")
    );
    fs::remove_dir_all(&tmp).unwrap();
}
