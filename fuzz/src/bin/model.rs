//! AFL++ target: the model loader (`half_gen_fuzz::targets::model`).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = half_gen_fuzz::targets::model(data);
    });
}
