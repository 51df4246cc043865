//! AFL++ target: the space loader (`half_gen_fuzz::targets::space`).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = half_gen_fuzz::targets::space(data);
    });
}
