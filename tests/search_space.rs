//! The search-space format: variables, shared (anchored) choices, optional layers and repeat
//! blocks as model text, architecture hashes, and the example spaces.

use half_gen::search::{self, Space};
use half_gen::{ir, model};
use std::path::Path;

fn parse(text: &str) -> Space {
    search::parse(text, "space.yaml", "space", Path::new(".")).unwrap()
}

/// The layer lines `- name: X` and `from: Y` of a candidate, compacted: `X<-Y` when a `from`
/// is written, else `X`.
fn wiring(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in text.lines() {
        if let Some(n) = l.strip_prefix("  - name: ") {
            out.push(n.to_string());
        } else if let Some(f) = l.strip_prefix("    from: ")
            && let Some(last) = out.last_mut()
        {
            last.push_str(&format!("<-{f}"));
        }
    }
    out
}

fn valid(space: &Space, arch: &[usize]) -> model::Model {
    let c = space.materialise(arch);
    let m = model::parse(&c.text, "c.yaml", "c", Path::new("."))
        .unwrap_or_else(|e| panic!("{e}\n{}", c.text));
    ir::build(&m).unwrap_or_else(|e| panic!("{e}\n{}", c.text));
    m
}

const RES: &str = "\
name: res
input: {shape: [8, 8, 4], bits: 8}
layers:
  - {name: c0, op: conv, channels: &w {choice: [4, 8]}, kernel: 3, padding: same, activation: relu, output: {bits: 8}}
  - name: stage
    repeat: {choice: [0, 1, 3]}
    layers:
      - {name: a, op: conv, channels: *w, kernel: 3, padding: same, activation: relu, output: {bits: 8}}
      - {name: b, op: conv, channels: *w, kernel: 3, padding: same, output: {bits: 8, signed: true}}
      - {name: s, op: add, from: [c0, b], activation: relu, output: {bits: 8}}
  - {name: extra, op: conv, optional: true, channels: *w, kernel: 1, activation: relu, output: {bits: 8}}
  - {name: tail, op: add, from: [s, extra], output: {bits: 8}}
  - {name: gap, op: avgpool, global: true, output: {bits: 8}}
";

#[test]
fn variables_and_shared_choices() {
    let s = parse(RES);
    let names: Vec<&str> = s.vars.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["c0.channels", "stage.repeat", "extra.optional"]);
    assert_eq!(s.size(), 2 * 3 * 2);
    assert_eq!(s.vars[2].options, ["keep", "skip"]);
    // `*w` is the same decision everywhere.
    let text = s.materialise(&[1, 1, 0]).text;
    assert_eq!(text.matches("channels: 8").count(), 4, "{text}");
    assert!(!text.contains("channels: 4"));
}

#[test]
fn repeat_blocks_are_copied_and_rewired() {
    let s = parse(RES);
    // Three copies: names made unique; copy k > 1 reads copy k-1's output where the block
    // names its input (c0); after the block, `s` is the last copy.
    let w = wiring(&s.materialise(&[0, 2, 0]).text);
    assert_eq!(
        w,
        [
            "c0",
            "a_r1",
            "b_r1",
            "s_r1<-[c0, b_r1]",
            "a_r2",
            "b_r2",
            "s_r2<-[s_r1, b_r2]",
            "a_r3",
            "b_r3",
            "s_r3<-[s_r2, b_r3]",
            "extra",
            "tail<-[s_r3, extra]",
            "gap"
        ]
    );
    valid(&s, &[0, 2, 0]);
    // No copy: references to block layers mean the block's input.
    let w = wiring(&s.materialise(&[0, 0, 0]).text);
    assert_eq!(w, ["c0", "extra", "tail<-[c0, extra]", "gap"]);
    valid(&s, &[0, 0, 0]);
}

#[test]
fn skipped_optional_layers_pass_their_input_through() {
    let s = parse(RES);
    let w = wiring(&s.materialise(&[0, 1, 1]).text);
    assert_eq!(
        w,
        [
            "c0",
            "a_r1",
            "b_r1",
            "s_r1<-[c0, b_r1]",
            "tail<-[s_r1, s_r1]",
            "gap"
        ]
    );
    valid(&s, &[0, 1, 1]);
    // A layer after a skipped one reads the skipped layer's input.
    let s = parse(
        "input: {shape: [8], bits: 8}\nlayers:\n  - {name: d0, op: dense, units: 4}\n  - {name: d1, op: dense, units: 4, optional: true, from: input}\n  - {name: d2, op: dense, units: 2}\n",
    );
    assert_eq!(wiring(&s.materialise(&[1]).text), ["d0", "d2<-input"]);
    assert_eq!(wiring(&s.materialise(&[0]).text), ["d0", "d1<-input", "d2"]);
}

#[test]
fn hashes_identify_architectures() {
    let s = parse(
        "input: {shape: [8], bits: 8}\nlayers:\n  - {name: d0, op: dense, units: 4}\n  - {name: d1, op: dense, units: {choice: [2, 3]}, optional: true}\n",
    );
    // Variables in file order: d1.units, d1.optional. Skipped, d1's width does not matter:
    // the same architecture, the same hash.
    let (a, b) = (s.materialise(&[0, 1]), s.materialise(&[1, 1]));
    assert_eq!(a.hash, b.hash);
    assert_eq!(a.text, b.text);
    let (c, d) = (s.materialise(&[0, 0]), s.materialise(&[1, 0]));
    assert_ne!(c.hash, d.hash);
    assert_eq!(c.hash, s.materialise(&[0, 0]).hash, "stable");
    assert_eq!(c.hash.len(), 16);
}

#[test]
fn choices_inside_lists_and_input() {
    let s = parse(
        "input: {shape: [8, 8, 1], bits: {choice: [4, 8]}}\nlayers:\n  - {name: c, op: conv, channels: 2, kernel: [{choice: [1, 3]}, 3]}\n",
    );
    let names: Vec<&str> = s.vars.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["input.bits", "c.kernel[0]"]);
    let t = s.materialise(&[1, 1]).text;
    assert!(
        t.contains("  bits: 8\n") && t.contains("kernel: [3, 3]"),
        "{t}"
    );
    valid(&s, &[0, 0]);
}

#[test]
fn candidate_errors_point_into_the_space() {
    // A kernel too large for a 4x4 map is a shape error of some candidates only: not a space
    // error, and the candidate's message points at the option in the space file.
    let s = parse(
        "input: {shape: [4, 4, 1], bits: 8}\nlayers:\n  - {name: c, op: conv, channels: 2, kernel: {choice: [3, 7]}}\n",
    );
    let c = s.materialise(&[1]);
    let m = model::parse(&c.text, &s.file, &s.name, Path::new(".")).unwrap();
    let e = ir::build(&m).unwrap_err();
    let msg = c.map_error(&s, e, true).to_string();
    assert_eq!(
        msg,
        "space.yaml:3:59: layer `c`: kernel 7x7 is larger than the padded input 4x4"
    );
}

#[test]
fn example_spaces() {
    for (file, size, vars) in [
        ("models/spaces/cifar_resnet.yaml", 2592, 9),
        ("models/spaces/kws.yaml", 648, 7),
        ("models/spaces/cifar_inception.yaml", 256, 8),
    ] {
        let s = search::load(Path::new(file)).unwrap();
        assert_eq!(s.size(), size, "{file}");
        assert_eq!(s.vars.len(), vars, "{file}");
        let first = vec![0; s.vars.len()];
        let last: Vec<usize> = s.vars.iter().map(|v| v.options.len() - 1).collect();
        valid(&s, &first);
        valid(&s, &last);
    }
}

#[test]
fn mutated_spaces_never_panic() {
    // Every example space, with characters deleted, duplicated or replaced at seeded random
    // places: each parse either succeeds or gives one located error; a valid result
    // materialises every first and last option.
    let texts: Vec<String> = ["models/spaces/cifar_resnet.yaml", "models/spaces/kws.yaml"]
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .chain([RES.to_string()])
        .collect();
    let mut state = 0x1234_5678_u64;
    let mut next = move |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % n.max(1)
    };
    let alphabet: Vec<char> = "{}[]:,-&*'\" \n0123456789abcxyz_#".chars().collect();
    for t in &texts {
        for _ in 0..60 {
            let mut chars: Vec<char> = t.chars().collect();
            for _ in 0..1 + next(3) {
                let i = next(chars.len());
                match next(3) {
                    0 => {
                        chars.remove(i);
                    }
                    1 => chars.insert(i, chars[i]),
                    _ => chars[i] = alphabet[next(alphabet.len())],
                }
            }
            let text: String = chars.into_iter().collect();
            match search::parse(&text, "m.yaml", "m", Path::new(".")) {
                Ok(s) => {
                    let last: Vec<usize> = s.vars.iter().map(|v| v.options.len() - 1).collect();
                    s.materialise(&last);
                    s.materialise(&vec![0; s.vars.len()]);
                }
                Err(e) => {
                    let m = e.to_string();
                    assert!(m.starts_with("m.yaml"), "{m}");
                    assert_eq!(m.lines().count(), 1, "{m}");
                }
            }
        }
    }
}

#[test]
fn json_tree_and_text_give_the_same_evaluation() {
    // The search reads lean candidates from their JSON tree; a candidate without one is read
    // from its text. Both must give the same record, valid or not, on every example space (kws:
    // all 648 architectures; cifar_resnet: 300 seeded random ones) and on an invalid one.
    use half_gen::search::evaluate::{Settings, hardware_side};
    use half_gen::search::nsga2::{Rng, random_arch};
    let settings = Settings {
        board: half_gen::board::lookup("pynq-z2").unwrap(),
        fold: half_gen::fold::Options {
            fast: true,
            ..Default::default()
        },
        min_fps: None,
        proxy: half_gen::search::Proxy::Macs,
        candidate_cache: Default::default(),
    };
    let same = |s: &Space, arch: &[usize]| {
        let c = s.materialise(arch);
        assert!(c.tree.is_some(), "{}", c.text);
        // The search's lean candidate: the same text, hash and tree, no origins (a message
        // works them out again).
        let lean = s.materialise_lean(arch);
        assert_eq!(
            (&lean.text, &lean.hash, &lean.tree),
            (&c.text, &c.hash, &c.tree)
        );
        assert!(lean.origins.is_empty());
        let (fast, _) = hardware_side(s, &lean, arch, &settings);
        // A valid candidate really took the tree.
        let read = model::from_json(c.tree.as_ref().unwrap(), &s.file, &s.name, &s.dir)
            .and_then(|m| ir::build(&m));
        assert_eq!(read.is_ok(), fast.status != search::Status::Invalid);
        let text_only = search::materialise::Candidate { tree: None, ..c };
        let (slow, _) = hardware_side(s, &text_only, arch, &settings);
        assert_eq!(fast, slow, "{}", text_only.text);
        fast
    };
    let kws = search::load(Path::new("models/spaces/kws.yaml")).unwrap();
    let sizes: Vec<usize> = kws.vars.iter().map(|v| v.options.len()).collect();
    let mut arch = vec![0; sizes.len()];
    'all: loop {
        same(&kws, &arch);
        for (a, &n) in arch.iter_mut().zip(&sizes) {
            *a += 1;
            if *a < n {
                continue 'all;
            }
            *a = 0;
        }
        break;
    }
    let cifar = search::load(Path::new("models/spaces/cifar_resnet.yaml")).unwrap();
    let sizes: Vec<usize> = cifar.vars.iter().map(|v| v.options.len()).collect();
    let mut rng = Rng::new(11);
    for _ in 0..300 {
        same(&cifar, &random_arch(&mut rng, &sizes));
    }
    let bad = parse(
        "input: {shape: [4, 4, 1], bits: 8}\nlayers:\n  - {name: c, op: conv, channels: 2, kernel: {choice: [3, 7]}}\n",
    );
    let rec = same(&bad, &[1]);
    assert_eq!(
        rec.reason.as_deref(),
        Some("space.yaml:3:59: layer `c`: kernel 7x7 is larger than the padded input 4x4")
    );
}
