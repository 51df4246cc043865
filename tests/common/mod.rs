//! Shared test helpers: a seeded generator of small valid models.

#![allow(dead_code)]

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The seven example models of models/, by file stem.
pub const EXAMPLE_MODELS: [&str; 7] = [
    "tfc_w1a1",
    "cnv_w1a1",
    "cnv_w2a2",
    "resnet8",
    "ds_cnn",
    "mobilenet_v1_025",
    "ad_autoencoder",
];

/// SplitMix64: a tiny deterministic generator (same sequence on every platform).
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    /// Next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.next() % u64::from(hi - lo + 1)) as u32
    }
    /// One of `xs`.
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

/// A random small valid model (YAML text): convs with stride 1 or 2 and every padding form,
/// depthwise convs, max and average pools, residual adds, 1-bit and odd channel counts, and
/// an optional dense head.
pub fn random_model(seed: u64) -> String {
    let mut r = Rng::new(seed);
    let (mut h, mut w) = (r.range(4, 12), r.range(4, 12));
    let mut c = r.range(1, 5);
    let in_bits = r.pick(&[1u32, 2, 4, 8]);
    let mut y = String::new();
    writeln!(y, "name: rand{seed}").unwrap();
    writeln!(
        y,
        "input: {{shape: [{h}, {w}, {c}], bits: {in_bits}, signed: {}}}",
        r.range(0, 1) == 1
    )
    .unwrap();
    writeln!(y, "layers:").unwrap();
    let blocks = r.range(1, 5);
    let mut prev = "input".to_string();
    for i in 0..blocks {
        // Concat widens the map, so it is drawn only while the map is narrow; otherwise
        // the block becomes a residual one (the lean budgets of the cosim test must hold).
        let kind = match r.range(0, 6) {
            5 if c > 4 => 4,
            k => k,
        };
        let bits = r.pick(&[1u32, 2, 3, 4, 8]);
        let wb = r.pick(&[1u32, 2, 4, 8]);
        let out = |bits: u32, relu: bool| {
            if bits == 1 {
                "activation: none, output: {bits: 1}".to_string()
            } else if relu {
                format!("activation: relu, output: {{bits: {bits}}}")
            } else {
                format!("output: {{bits: {bits}, signed: true}}")
            }
        };
        match kind {
            // Plain conv with every padding form.
            0 | 1 => {
                let k = r.range(1, 3).min(h).min(w);
                let s = r.range(1, 2);
                let (pad, ph, pw) = match r.range(0, 3) {
                    0 => ("valid".to_string(), 0, 0),
                    1 => {
                        let (oh, ow) = (h.div_ceil(s), w.div_ceil(s));
                        let th = ((oh - 1) * s + k).saturating_sub(h);
                        let tw = ((ow - 1) * s + k).saturating_sub(w);
                        ("same".to_string(), th, tw)
                    }
                    2 => ("1".to_string(), 2, 2),
                    _ => {
                        let (t, b, l, rt) =
                            (r.range(0, 1), r.range(0, 2), r.range(0, 2), r.range(0, 1));
                        (format!("[{t}, {b}, {l}, {rt}]"), t + b, l + rt)
                    }
                };
                let ch = r.range(1, 9);
                writeln!(
                    y,
                    "  - {{name: l{i}, op: conv, from: {prev}, channels: {ch}, kernel: {k}, stride: {s}, padding: {pad}, weight_bits: {wb}, {}}}",
                    out(bits, r.range(0, 1) == 1)
                )
                .unwrap();
                h = (h + ph - k) / s + 1;
                w = (w + pw - k) / s + 1;
                c = ch;
            }
            2 => {
                let k = r.range(1, 3).min(h).min(w);
                writeln!(
                    y,
                    "  - {{name: l{i}, op: dwconv, from: {prev}, kernel: {k}, padding: same, weight_bits: {wb}, {}}}",
                    out(bits, true)
                )
                .unwrap();
            }
            3 if h >= 4 && w >= 4 => {
                if r.range(0, 1) == 0 {
                    writeln!(
                        y,
                        "  - {{name: l{i}, op: maxpool, from: {prev}, kernel: 2}}"
                    )
                    .unwrap();
                } else {
                    writeln!(y, "  - {{name: l{i}, op: avgpool, from: {prev}, kernel: 2, output: {{bits: {}}}}}", bits.max(2)).unwrap();
                }
                h /= 2;
                w /= 2;
            }
            4 => {
                // Residual block: a same-padded conv keeping the shape, added to its input.
                writeln!(
                    y,
                    "  - {{name: l{i}r, op: conv, from: {prev}, channels: {c}, kernel: 3, padding: same, weight_bits: {wb}, {}}}",
                    out(bits.max(2), true)
                )
                .unwrap();
                writeln!(
                    y,
                    "  - {{name: l{i}, op: add, from: [{prev}, l{i}r], activation: relu, output: {{bits: {}}}}}",
                    bits.max(2)
                )
                .unwrap();
            }
            _ => {
                // Concat block: the input, a same-padded conv of other channels and type, and
                // sometimes a 1x1 branch of a third type, joined along the channels (requantised
                // to one output type, or passed through in a common type).
                let (ca, cb) = (r.range(1, 2), 1);
                writeln!(
                    y,
                    "  - {{name: l{i}r, op: conv, from: {prev}, channels: {ca}, kernel: 3, padding: same, weight_bits: {wb}, {}}}",
                    out(bits.max(2), true)
                )
                .unwrap();
                let mut from = format!("{prev}, l{i}r");
                c += ca;
                if r.range(0, 1) == 1 {
                    let sb = r.pick(&[2u32, 4, 8]);
                    writeln!(
                        y,
                        "  - {{name: l{i}s, op: conv, from: {prev}, channels: {cb}, kernel: 1, weight_bits: {wb}, output: {{bits: {sb}, signed: true}}}}"
                    )
                    .unwrap();
                    from.push_str(&format!(", l{i}s"));
                    c += cb;
                }
                let tail = match r.range(0, 2) {
                    0 => String::new(),
                    1 => format!(", activation: relu, output: {{bits: {}}}", bits.max(2)),
                    _ => format!(", output: {{bits: {}, signed: true}}", bits.max(2)),
                };
                writeln!(y, "  - {{name: l{i}, op: concat, from: [{from}]{tail}}}").unwrap();
            }
        }
        prev = format!("l{i}");
    }
    if r.range(0, 1) == 1 {
        writeln!(y, "  - {{name: head, op: dense, from: {prev}, units: {}, weight_bits: 4, output: {{bits: 8, signed: true}}}}", r.range(1, 11)).unwrap();
    }
    y
}

/// Writes `text` to a fresh file under the temp dir and returns its path.
pub fn write_temp(tag: &str, name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("half-gen-test-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A boxed test job: Ok, or a failure message.
pub type Job = Box<dyn FnOnce() -> Result<(), String> + Send>;

/// Runs `jobs` on two threads (the machine's cores) and returns the failure messages.
#[allow(dead_code)]
pub fn parallel(jobs: Vec<Job>) -> Vec<String> {
    let queue = std::sync::Mutex::new(jobs);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let job = queue.lock().unwrap().pop();
                    let Some(job) = job else { break };
                    if let Err(e) = job() {
                        failures.lock().unwrap().push(e);
                    }
                }
            });
        }
    });
    failures.into_inner().unwrap()
}

/// The official headers' directory: $HALF_OFFICIAL_AP, else fetched now. Fails, never skips.
pub fn official_ap() -> String {
    if let Ok(d) = std::env::var("HALF_OFFICIAL_AP")
        && Path::new(&d).join("ap_int.h").is_file()
    {
        return d;
    }
    let o = Command::new("scripts/fetch-ap-headers.sh")
        .output()
        .expect("scripts/fetch-ap-headers.sh runs");
    assert!(
        o.status.success(),
        "fetching the official ap_int headers failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let d = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string();
    assert!(
        Path::new(&d).join("ap_int.h").is_file(),
        "{d} has no ap_int.h"
    );
    d
}

/// Command lines of the processes running in directory `cwd` (from /proc).
pub fn processes_in(cwd: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if std::fs::read_link(e.path().join("cwd")).is_ok_and(|d| d == cwd)
            && let Ok(cmd) = std::fs::read(e.path().join("cmdline"))
        {
            out.push(String::from_utf8_lossy(&cmd).replace('\0', " "));
        }
    }
    out
}

/// Starts `cmd` (a half-gen command), sends it SIGTERM once a process whose command line
/// `started` accepts runs in `cwd` (`what` names it in the failure), and checks that half-gen
/// exits with 130 and leaves nothing running in `cwd`.
pub fn interrupt_once_running(
    cmd: &mut Command,
    cwd: &Path,
    started: impl Fn(&str) -> bool,
    what: &str,
) {
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let since = std::time::Instant::now();
    while !processes_in(cwd).iter().any(|c| started(c)) {
        assert!(since.elapsed().as_secs() < 60, "no {what} started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "exit status {status}");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let left = processes_in(cwd);
    assert!(
        left.is_empty(),
        "still running in {}: {left:?}",
        cwd.display()
    );
}
