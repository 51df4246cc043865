//! The regrouping converter between a window generator and a matrix unit whose SIMD spans
//! kernel positions (SIMD over the whole window: any divisor of `KH * KW * C`, as FINN's MVAU
//! allows). The generator emits `gcd(SIMD, C)` channels a word, which divides both its channel
//! count and SIMD; a `half_dwc` regroups them into SIMD-element words and a FIFO of a window
//! and two words holds them: the width converter and FIFO of an edge between stages
//! ([`super::glue`]), with the generator's output register where an edge has its converter's
//! two-word queue (with the queue too, the Verilog ran a cycle behind the HLS code per regroup).
//!
//! The FIFO is what keeps the matrix unit at one iteration a cycle: it reads a window's
//! `MW / SIMD` words back to back in its first neuron fold and replays them for the others,
//! while the generator and converter deliver fewer than SIMD elements a cycle; with a whole
//! window queued they fill it during the replays (`SIMD / gcd <= MH / PE` keeps the generator
//! from being the bottleneck, which the generator unit's cycles already cost).

use super::glue::{self, gcd};
use super::netlist::Channel;
use super::{HlsStage, LocalStream, RtlStage, Unit};

/// A window stream regrouped from `pi` to `po` elements a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Regroup {
    /// Elements per frame on the window stream.
    pub elems: u64,
    /// Element bits.
    pub bits: u32,
    /// Elements per generator word.
    pub pi: u32,
    /// Elements per matrix-unit word (the fold's SIMD).
    pub po: u32,
    /// Elements per window (`KH * KW * C`): when SIMD does not divide it, a window's last
    /// matrix-unit word is short and the converter zeroes its padded lanes.
    pub window: u64,
    /// Words of the FIFO after the converter: a window's `ceil(MW / SIMD)` and two.
    pub depth: u64,
}

/// Elements per word the window generator of a layer with `channels` input channels emits for
/// a matrix unit of `simd` lanes: SIMD itself when it divides the channels, else their greatest
/// common divisor (the largest word that tiles both a pixel's channels and a SIMD word).
pub fn window_par(channels: u32, simd: u32) -> u32 {
    gcd(channels as u64, simd as u64).max(1) as u32
}

impl Regroup {
    /// The converter a window stream of `elems` elements of `bits` bits (windows of
    /// `window` elements) needs for a matrix unit of `simd` lanes after a generator over
    /// `channels` channels; None when the generator emits SIMD-element words itself.
    pub fn between(elems: u64, bits: u32, window: u64, channels: u32, simd: u32) -> Option<Self> {
        let pi = window_par(channels, simd);
        (pi != simd || glue::padded(simd as u64, window)).then_some(Regroup {
            elems,
            bits,
            pi,
            po: simd,
            window,
            depth: window.div_ceil(simd as u64) + 2,
        })
    }

    /// The converter's rows: the generator's words (which tile a window) and the matrix
    /// unit's (a window's last one short when SIMD does not divide it).
    fn rows(&self) -> (glue::Rows, glue::Rows) {
        (
            glue::Rows::new(self.pi as u64, self.pi as u64),
            glue::Rows::new(self.po as u64, self.window),
        )
    }

    /// The rows the converter instance and call name, when a window's last word is short.
    fn padded_rows(&self) -> Option<(u64, u64)> {
        glue::padded(self.po as u64, self.window).then_some((self.pi as u64, self.window))
    }

    /// Matrix-unit words a frame.
    pub fn out_words(&self) -> u64 {
        glue::words(self.elems, self.po as u64, self.window)
    }

    /// The cost units: the converter and the FIFO (`glue::dwc`, `glue::fifo`), each at one
    /// word a cycle on its busier side.
    pub fn units(&self) -> Vec<Unit> {
        let (pi, po, b) = (self.pi as u64, self.po as u64, self.bits as u64);
        let in_words = self.elems / pi;
        let (i, o) = self.rows();
        let dwc = glue::dwc_rows(i, o, self.bits);
        vec![
            Unit {
                kind: "dwc",
                cycles: in_words.max(self.out_words()),
                res: dwc,
                store: None,
            },
            Unit {
                kind: "fifo",
                cycles: self.out_words(),
                res: glue::fifo(self.depth, po * b),
                store: None,
            },
        ]
    }

    /// Cycles from a generator word to the first regrouped word that holds it: the
    /// converter's register.
    pub const LATENCY: u64 = 1;

    /// Adds the regrouped stream (of the FIFO's depth) and the converter's HLS call reading
    /// stream `input`; returns the regrouped stream's name.
    pub fn hls(&self, st: &mut HlsStage, input: &str) -> String {
        let out = format!("{input}_simd");
        st.streams.push(LocalStream {
            name: out.clone(),
            width: (self.po * self.bits) as u64,
            depth: self.depth,
        });
        let pars = (self.pi, self.po);
        let rows = self.padded_rows();
        st.calls.push(glue::dwc_call(
            (self.elems, self.bits),
            pars,
            rows,
            input,
            &out,
        ));
        out
    }

    /// Adds the converter and the FIFO of layer `layer` reading channel `input` (the
    /// generator's output register stands where an edge has its converter's two-word queue:
    /// the HLS code's `win` stream, measured equal in latency); returns the regrouped channel's
    /// name.
    pub fn rtl(&self, st: &mut RtlStage, layer: &str, input: &str) -> String {
        let converted = format!("{input}_c");
        let out = format!("{input}_simd");
        let width = (self.po * self.bits) as u64;
        for name in [&converted, &out] {
            st.channels.push(Channel {
                name: name.clone(),
                width,
            });
        }
        // The edge converter's and FIFO's instances, named `dwc_regroup_<layer>` and
        // `fifo_regroup_<layer>`, in the layer's stage.
        let n = format!("regroup_{layer}");
        let pars = (self.pi, self.po);
        let elems = (self.elems, self.bits);
        let rows = self.padded_rows();
        let dwc = glue::dwc_instance(&n, elems, pars, rows, (input, &converted));
        let fifo = glue::fifo_instance(&n, width, self.depth, &converted, &out);
        for mut inst in [dwc, fifo] {
            inst.layer = layer.to_string();
            st.instances.push(inst);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_words_tile_channels_and_simd() {
        assert_eq!(window_par(16, 8), 8);
        assert_eq!(window_par(16, 24), 8);
        assert_eq!(window_par(3, 9), 3);
        assert_eq!(window_par(16, 144), 16);
        assert!(Regroup::between(1440, 8, 144, 16, 8).is_none());
        let r = Regroup::between(1024 * 144, 8, 144, 16, 24).unwrap();
        assert_eq!(r.depth, 8);
        assert_eq!((r.pi, r.po), (8, 24));
        let u = r.units();
        assert_eq!((u[0].kind, u[0].cycles), ("dwc", 1024 * 18));
        assert_eq!((u[1].kind, u[1].cycles), ("fifo", 1024 * 6));
    }
}
