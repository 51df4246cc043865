//! AFL++ target: the folding loader (`half_gen_fuzz::targets::folding`).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = half_gen_fuzz::targets::folding(data);
    });
}
