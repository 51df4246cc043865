//! Runs files through a target outside AFL++, for triage: `fuzz-replay <target> <file>...`
//! prints, per file, the time taken and what the loaders said (`ok` or the error); a panic
//! shows its message and location as usual.

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let target = args.next().expect("usage: fuzz-replay <target> <file>...");
    let dir = half_gen_fuzz::scratch("replay");
    for file in args {
        let data = std::fs::read(&file).expect("readable input");
        let t = Instant::now();
        let out = match target.as_str() {
            "model" => half_gen_fuzz::targets::model(&data),
            "space" => half_gen_fuzz::targets::space(&data),
            "folding" => half_gen_fuzz::targets::folding(&data),
            "board" => half_gen_fuzz::targets::board(&data),
            "weights" => half_gen_fuzz::targets::weights(&data, &dir),
            other => panic!("unknown target `{other}`"),
        };
        let ms = t.elapsed().as_secs_f64() * 1e3;
        match out {
            Ok(()) => println!("{file}: {ms:.2} ms: ok"),
            Err(e) => println!("{file}: {ms:.2} ms: error: {e}"),
        }
    }
    let _ = std::fs::remove_dir_all(dir.parent().unwrap_or(&dir));
}
