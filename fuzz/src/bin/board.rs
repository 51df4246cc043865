//! AFL++ target: the board loader (`half_gen_fuzz::targets::board`).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = half_gen_fuzz::targets::board(data);
    });
}
