//! AFL++ target: the weights loader (`half_gen_fuzz::targets::weights`), reading each input as
//! the `.npz` file of a fixed small model from a scratch directory (a tmpfs one in the bench).

fn main() {
    let dir = half_gen_fuzz::scratch("weights");
    afl::fuzz!(|data: &[u8]| {
        let _ = half_gen_fuzz::targets::weights(data, &dir);
    });
}
