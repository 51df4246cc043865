//! pareto.svg: every feasible architecture as a point, frames per second (x) against accuracy
//! (y), coloured by its share of the board's LUTs (the colour scale spans the shares present);
//! the fps-accuracy front drawn as a staircase with its points outlined; axes with ticks and
//! labels, and a colour bar. Hand-written SVG.

use std::fmt::Write;

/// One point to plot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dot {
    /// Frames per second.
    pub fps: f64,
    /// Accuracy.
    pub accuracy: f64,
    /// LUT share of the board, 0..1.
    pub lut_share: f64,
}

const W: f64 = 760.0;
const H: f64 = 500.0;
const LEFT: f64 = 84.0;
const RIGHT: f64 = 120.0;
const TOP: f64 = 44.0;
const BOTTOM: f64 = 64.0;

/// Viridis, sampled at five points (matplotlib's colour map, van der Walt and Smith 2015).
const VIRIDIS: [(f64, f64, f64); 5] = [
    (68.0, 1.0, 84.0),
    (59.0, 82.0, 139.0),
    (33.0, 145.0, 140.0),
    (94.0, 201.0, 98.0),
    (253.0, 231.0, 37.0),
];

/// The viridis colour at `t` in 0..1, as `#rrggbb`.
fn colour(t: f64) -> String {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * 4.0;
    let i = (x.floor() as usize).min(3);
    let f = x - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |p: f64, q: f64| (p + (q - p) * f).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(a.0, b.0),
        mix(a.1, b.1),
        mix(a.2, b.2)
    )
}

/// An axis: linear, or log10 when the values span more than two decades.
struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
}

impl Axis {
    fn new(values: impl Iterator<Item = f64>) -> Axis {
        let v: Vec<f64> = values.filter(|x| x.is_finite()).collect();
        let (mut lo, mut hi) = v
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
                (l.min(x), h.max(x))
            });
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        let log = lo > 0.0 && hi / lo > 100.0;
        if log {
            return Axis {
                lo: lo.log10().floor(),
                hi: hi.log10().ceil(),
                log,
            };
        }
        if hi - lo < 1e-12 * hi.abs().max(1.0) {
            let pad = hi.abs().max(1.0) * 0.05;
            (lo, hi) = (lo - pad, hi + pad);
        }
        let step = nice_step((hi - lo) / 5.0);
        Axis {
            lo: (lo / step).floor() * step,
            hi: (hi / step).ceil() * step,
            log,
        }
    }

    /// Position of `v` in 0..1.
    fn frac(&self, v: f64) -> f64 {
        let v = if self.log { v.max(1e-300).log10() } else { v };
        (v - self.lo) / (self.hi - self.lo).max(1e-300)
    }

    /// Tick values.
    fn ticks(&self) -> Vec<f64> {
        if self.log {
            return (self.lo as i32..=self.hi as i32)
                .map(|e| 10f64.powi(e))
                .collect();
        }
        let step = nice_step((self.hi - self.lo) / 5.0);
        let n = ((self.hi - self.lo) / step).round() as i64;
        (0..=n).map(|i| self.lo + i as f64 * step).collect()
    }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    p * if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    }
}

/// A tick label: integers plainly, large or small values in engineering form.
fn label(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e6).contains(&a) {
        format!("{v:.1e}")
    } else if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// `s` escaped for SVG text and attributes.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The 2-D front of `dots` (higher fps and higher accuracy better), by increasing fps.
pub fn front2d(dots: &[Dot]) -> Vec<Dot> {
    let mut d: Vec<Dot> = dots.to_vec();
    d.sort_by(|a, b| {
        b.fps
            .total_cmp(&a.fps)
            .then(b.accuracy.total_cmp(&a.accuracy))
    });
    let mut out: Vec<Dot> = Vec::new();
    for p in d {
        if out.last().is_none_or(|l| p.accuracy > l.accuracy) {
            out.push(p);
        }
    }
    out.reverse();
    out
}

/// The plot's geometry: the plotting area, its two axes and the colour range of the LUT
/// shares.
struct Frame {
    /// Plotting area width and height.
    pw: f64,
    ph: f64,
    /// Frames per second.
    xa: Axis,
    /// Accuracy.
    ya: Axis,
    /// The LUT shares the colour scale spans.
    c_lo: f64,
    c_hi: f64,
}

impl Frame {
    fn new(dots: &[Dot]) -> Frame {
        // Colours span the LUT shares present (at least 2 percentage points), so designs that
        // all use most of the budget still differ visibly; the colour bar gives the range.
        let (mut c_lo, mut c_hi) = dots
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), d| {
                (l.min(d.lut_share), h.max(d.lut_share))
            });
        if !(c_lo.is_finite() && c_hi.is_finite()) {
            (c_lo, c_hi) = (0.0, 1.0);
        }
        if c_hi - c_lo < 0.02 {
            let mid = 0.5 * (c_lo + c_hi);
            (c_lo, c_hi) = ((mid - 0.01).max(0.0), mid + 0.01);
        }
        Frame {
            pw: W - LEFT - RIGHT,
            ph: H - TOP - BOTTOM,
            xa: Axis::new(dots.iter().map(|d| d.fps)),
            ya: Axis::new(dots.iter().map(|d| d.accuracy)),
            c_lo,
            c_hi,
        }
    }

    /// The colour of a LUT share.
    fn shade(&self, v: f64) -> String {
        colour((v - self.c_lo) / (self.c_hi - self.c_lo))
    }

    /// The x coordinate of a frames-per-second value.
    fn x(&self, v: f64) -> f64 {
        LEFT + self.xa.frac(v) * self.pw
    }

    /// The y coordinate of an accuracy.
    fn y(&self, v: f64) -> f64 {
        TOP + (1.0 - self.ya.frac(v)) * self.ph
    }
}

/// The plot. `title` heads it, `y_label` names the accuracy measure.
pub fn plot(dots: &[Dot], title: &str, y_label: &str) -> String {
    let fr = Frame::new(dots);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="15">{}</text>"#,
        LEFT + fr.pw / 2.0,
        esc(title)
    );
    axes(&mut s, &fr, y_label);
    for d in dots {
        let _ = writeln!(
            s,
            r#"<circle cx="{:.2}" cy="{:.2}" r="3.5" fill="{}" fill-opacity="0.8"/>"#,
            fr.x(d.fps),
            fr.y(d.accuracy),
            fr.shade(d.lut_share)
        );
    }
    front(&mut s, &fr, &front2d(dots));
    colour_bar(&mut s, &fr, dots.len());
    s.push_str("</svg>\n");
    s
}

/// The plotting area's border, the grid, the ticks with their labels and the axis titles.
fn axes(s: &mut String, fr: &Frame, y_label: &str) {
    let (pw, ph) = (fr.pw, fr.ph);
    let _ = writeln!(
        s,
        r##"<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>"##
    );
    for t in fr.xa.ticks() {
        let px = fr.x(t);
        let _ = writeln!(
            s,
            r##"<line x1="{px:.2}" y1="{TOP}" x2="{px:.2}" y2="{:.2}" stroke="#e4e4e4"/><line x1="{px:.2}" y1="{:.2}" x2="{px:.2}" y2="{:.2}" stroke="#444"/><text x="{px:.2}" y="{:.2}" text-anchor="middle">{}</text>"##,
            TOP + ph,
            TOP + ph,
            TOP + ph + 5.0,
            TOP + ph + 19.0,
            label(t)
        );
    }
    for t in fr.ya.ticks() {
        let py = fr.y(t);
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{py:.2}" x2="{:.2}" y2="{py:.2}" stroke="#e4e4e4"/><line x1="{:.2}" y1="{py:.2}" x2="{LEFT}" y2="{py:.2}" stroke="#444"/><text x="{:.2}" y="{:.2}" text-anchor="end">{}</text>"##,
            LEFT + pw,
            LEFT - 5.0,
            LEFT - 8.0,
            py + 4.0,
            label(t)
        );
    }
    let scale = |log: bool| if log { " (log scale)" } else { "" };
    let _ = writeln!(
        s,
        r#"<text x="{:.2}" y="{:.2}" text-anchor="middle">frames per second{}</text>"#,
        LEFT + pw / 2.0,
        H - 18.0,
        scale(fr.xa.log)
    );
    let _ = writeln!(
        s,
        r#"<text transform="translate(20 {:.2}) rotate(-90)" text-anchor="middle">{}{}</text>"#,
        TOP + ph / 2.0,
        esc(y_label),
        scale(fr.ya.log)
    );
}

/// The front `f` (by increasing fps) as a staircase, its points outlined.
fn front(s: &mut String, fr: &Frame, f: &[Dot]) {
    if f.is_empty() {
        return;
    }
    let mut path = format!(
        "M {LEFT} {:.2} H {:.2}",
        fr.y(f[0].accuracy),
        fr.x(f[0].fps)
    );
    for p in &f[1..] {
        let _ = write!(path, " V {:.2} H {:.2}", fr.y(p.accuracy), fr.x(p.fps));
    }
    let _ = write!(path, " V {:.2}", TOP + fr.ph);
    // Staircase: the region the front dominates lies below and to the left.
    let _ = writeln!(
        s,
        r##"<path d="{path}" fill="none" stroke="#c0392b" stroke-width="1.5"/>"##
    );
    for p in f {
        let _ = writeln!(
            s,
            r##"<circle cx="{:.2}" cy="{:.2}" r="6" fill="{}" stroke="#c0392b" stroke-width="2"/>"##,
            fr.x(p.fps),
            fr.y(p.accuracy),
            fr.shade(p.lut_share)
        );
    }
}

/// The colour bar of the LUT shares, with the number of points under it.
fn colour_bar(s: &mut String, fr: &Frame, points: usize) {
    let (bx, by, bh) = (W - RIGHT + 30.0, TOP + 20.0, fr.ph - 40.0);
    let _ = writeln!(
        s,
        r#"<text x="{bx}" y="{:.2}">LUT share</text>"#,
        TOP + 10.0
    );
    for i in 0..50 {
        let t = 1.0 - i as f64 / 50.0;
        let _ = writeln!(
            s,
            r#"<rect x="{bx}" y="{:.2}" width="16" height="{:.2}" fill="{}"/>"#,
            by + bh * i as f64 / 50.0,
            bh / 50.0 + 0.5,
            colour(t)
        );
    }
    for t in [1.0, 0.5, 0.0] {
        let _ = writeln!(
            s,
            r#"<text x="{:.2}" y="{:.2}">{:.1} %</text>"#,
            bx + 22.0,
            by + bh * (1.0 - t) + 4.0,
            100.0 * (fr.c_lo + t * (fr.c_hi - fr.c_lo))
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{bx}" y="{:.2}" font-size="11">{} points</text>"#,
        by + bh + 24.0,
        points
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_and_front() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(23.0), 50.0);
        let d = [
            Dot {
                fps: 10.0,
                accuracy: 0.9,
                lut_share: 0.5,
            },
            Dot {
                fps: 20.0,
                accuracy: 0.8,
                lut_share: 0.2,
            },
            Dot {
                fps: 5.0,
                accuracy: 0.7,
                lut_share: 0.1,
            },
        ];
        assert_eq!(front2d(&d).len(), 2);
        let svg = plot(&d, "t", "accuracy");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(colour(0.0), "#440154");
    }
}
