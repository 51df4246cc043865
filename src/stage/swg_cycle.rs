//! Cycle model of `half_swg` (hls/rtl/half_swg.v): the input pointer, the output counters and
//! the emit and accept rules of the module header, in the same integer arithmetic.

use super::cycle::CycleModel;
use crate::stage::netlist::Instance;

/// The window generator's control state.
#[derive(Debug, Clone)]
pub struct Swg {
    // geometry
    ih: i64,
    iw: i64,
    cf_n: i64,
    kh: i64,
    kw: i64,
    sh: i64,
    sw: i64,
    pt: i64,
    pl: i64,
    br: i64,
    oh: i64,
    ow: i64,
    g_n: i64,
    kp: usize,
    dw: bool,
    release: bool,
    lrow: i64,
    lcol: i64,
    dkx: i64,
    dky: i64,
    // input pointer (iy relative to the current output frame)
    iy: i64,
    ix: i64,
    icf: i64,
    // output side
    oy: i64,
    ox: i64,
    cf: i64,
    g: i64,
    top: i64,
    left: i64,
    ky: Vec<i64>,
    kx: Vec<i64>,
    out_valid: bool,
}

impl Swg {
    /// The model of a `half_swg` instance.
    pub fn new(inst: &Instance) -> Result<Swg, String> {
        let p = |n: &str| {
            inst.get(n)
                .ok_or_else(|| format!("{}: parameter {n} missing", inst.name))
        };
        let (ih, iw, c, kh, kw) = (p("IH")?, p("IW")?, p("C")?, p("KH")?, p("KW")?);
        let (sh, sw, pt, pb, pl, pr) = (p("SH")?, p("SW")?, p("PT")?, p("PB")?, p("PL")?, p("PR")?);
        let (pp, kp) = (p("P")?, p("KP")?);
        if pp <= 0 || kp <= 0 || sh <= 0 || sw <= 0 || c % pp != 0 || (kh * kw) % kp != 0 {
            return Err(format!("{}: inconsistent window parameters", inst.name));
        }
        let oh = (ih + pt + pb - kh) / sh + 1;
        let ow = (iw + pl + pr - kw) / sw + 1;
        let kpu = kp as usize;
        Ok(Swg {
            ih,
            iw,
            cf_n: c / pp,
            kh,
            kw,
            sh,
            sw,
            pt,
            pl,
            br: kh + sh,
            oh,
            ow,
            g_n: kh * kw / kp,
            kp: kpu,
            dw: p("DW")? != 0,
            release: inst.get("RELEASE").unwrap_or(1) != 0,
            lrow: (oh - 1) * sh - pt + kh - 1,
            lcol: (ow - 1) * sw - pl + kw - 1,
            dkx: kp % kw,
            dky: kp / kw,
            iy: 0,
            ix: 0,
            icf: 0,
            oy: 0,
            ox: 0,
            cf: 0,
            g: 0,
            top: -pt,
            left: -pl,
            ky: (0..kp).map(|i| i / kw).collect(),
            kx: (0..kp).map(|i| i % kw).collect(),
            out_valid: false,
        })
    }

    /// Every in-image position of the current output word has been accepted.
    fn emit_ok(&self) -> bool {
        (0..self.kp).all(|i| {
            let (y, x) = (self.top + self.ky[i], self.left + self.kx[i]);
            let inimg = y >= 0 && y < self.ih && x >= 0 && x < self.iw;
            let acc = y < self.iy
                || (y == self.iy && (x < self.ix || (x == self.ix && self.cf < self.icf)));
            !inimg || acc
        })
    }

    /// The buffer place of the input pointer's word is free.
    fn in_free(&self) -> bool {
        let q = self.iy - self.br;
        if !self.release {
            return q < self.top;
        }
        let oy_last = self.oy == self.oh - 1;
        let ox_last = self.ox == self.ow - 1;
        let need_later = !oy_last && q >= self.top + self.sh && q <= self.lrow;
        let (y0, x0) = (self.top + self.ky[0], self.left + self.kx[0]);
        let emitted = if self.dw {
            self.icf < self.cf || (self.icf == self.cf && (q < y0 || (q == y0 && self.ix < x0)))
        } else {
            q < y0 || (q == y0 && (self.ix < x0 || (self.ix == x0 && self.icf < self.cf)))
        };
        let in_win = self.ix >= self.left && self.ix < self.left + self.kw;
        let need_cur = q >= self.top
            && q < self.top + self.kh
            && self.ix <= self.lcol
            && ((!ox_last && self.ix >= self.left + self.sw) || (in_win && !emitted));
        q < 0 || (q < self.ih && !need_later && !need_cur)
    }
}

impl CycleModel for Swg {
    fn valid(&self, _: usize) -> bool {
        self.out_valid
    }
    fn ready(&self, _: usize, _: &[bool]) -> bool {
        self.in_free()
    }
    fn step(&mut self, took: &[bool], gave: &[bool]) {
        let load = self.emit_ok() && (!self.out_valid || gave[0]);
        let cf_last = self.cf == self.cf_n - 1;
        let g_last = self.g == self.g_n - 1;
        let pix_step = load && cf_last && g_last;
        let ox_last = self.ox == self.ow - 1;
        let oy_last = self.oy == self.oh - 1;
        let frame_end = pix_step && ox_last && oy_last;
        let (adv_g, rst_g, cf_step) = if self.dw {
            (load && !g_last, load && g_last, load && g_last)
        } else {
            (load && cf_last && !g_last, load && cf_last && g_last, load)
        };
        // input side
        let icf_last = self.icf == self.cf_n - 1;
        let ix_last = self.ix == self.iw - 1;
        let row_in = took[0] && icf_last && ix_last;
        if took[0] {
            self.icf = if icf_last { 0 } else { self.icf + 1 };
            if icf_last {
                self.ix = if ix_last { 0 } else { self.ix + 1 };
            }
        }
        self.iy += i64::from(row_in) - if frame_end { self.ih } else { 0 };
        // kernel positions
        for i in 0..self.kp {
            if rst_g {
                self.ky[i] = i as i64 / self.kw;
                self.kx[i] = i as i64 % self.kw;
            } else if adv_g {
                let kx_n = self.kx[i] + self.dkx;
                let carry = kx_n > self.kw - 1;
                self.kx[i] = if carry { kx_n - self.kw } else { kx_n };
                self.ky[i] += self.dky + i64::from(carry);
            }
        }
        // output side
        self.out_valid = load || (self.out_valid && !gave[0]);
        if cf_step {
            self.cf = if cf_last { 0 } else { self.cf + 1 };
        }
        if adv_g {
            self.g += 1;
        } else if rst_g {
            self.g = 0;
        }
        if pix_step {
            if !ox_last {
                self.ox += 1;
                self.left += self.sw;
            } else {
                self.ox = 0;
                self.left = -self.pl;
                if !oy_last {
                    self.oy += 1;
                    self.top += self.sh;
                } else {
                    self.oy = 0;
                    self.top = -self.pt;
                }
            }
        }
    }
}
