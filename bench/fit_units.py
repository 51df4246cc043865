#!/usr/bin/env python3
"""Refit the unit constants of the cost model against Yosys, module instance by module instance.

Usage: PYTHON bench/fit_units.py BUILD_DIR...   (PYTHON with numpy, e.g. the evaluator's
environment: `$(scripts/evaluator-env.sh | tail -n1) bench/fit_units.py ...`)

Each BUILD_DIR is a `half-gen build` output on which `half-gen synth BUILD_DIR` has run (it
reads `rtl/stages.json`, `report/estimate.json` and the per-stage Yosys statistics
`synth/NN_stage.json`, whose modules are the stage's instances, kept apart). Prints, per unit,
the estimate and Yosys LUTs, then two fits (numpy least squares):

* window generators (`half_swg`): control LUTs (Yosys LUTs less its LUTRAM) against
  `[SWD, (KP - 1) SWD, 1, output word bits]`, the form of `src/stage/swg.rs` (constants
  `SWG_LUT_*`), SWD computed from the instance's parameters as the RTL does;
* matrix and vector units (`half_mvu`, `half_vvu`): the residual `Yosys - estimate` against the
  adder-tree bits of each product kind (XNOR, fabric products of at most 8 bits, DSP
  products, wider fabric products; the kinds and bits of `src/stage/mvu_cost.rs`
  `tree_adder_bits`), the bits of a weight ROM in logic (`ROM_STYLE = "distributed"`), one
  per unit and one per lane (PE): the corrections to add to `TREE_LUTS`,
  `ROM_LOGIC_LUTS_PER_BIT`, `UNIT_LUTS` and `LANE_LUTS` when the estimate was made with their
  current values. The fit is relative (each unit weighs 1 / its Yosys LUTs).

Only the instances whose estimate unit is unambiguous (one unit of the kind in the layer) are
used. The fitted constants and the errors before and after are printed.
"""
import glob
import json
import math
import os
import sys

import numpy as np

LUT_WEIGHT = {"LUT1": 1, "LUT2": 1, "LUT3": 1, "LUT4": 1, "LUT5": 1, "LUT6": 1, "INV": 1,
              "RAM32M": 4, "RAM64M": 4, "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4,
              "RAM256X1D": 8, "RAM32M16": 8, "RAM64M8": 8, "SRL16E": 1, "SRLC32E": 1}
KINDS = ["xnor", "narrow", "dsp", "wide", "dsp<=12"]


def clog2(n):
    return 0 if n <= 1 else math.ceil(math.log2(n))


def luts(cells, memory_only=False):
    return sum(n * w for k, n in cells.items() for kk, w in LUT_WEIGHT.items()
               if k == kk and (not memory_only or k.startswith(("RAM", "SRL"))))


def tree_bits(n, w):
    """Adder bits of hls/rtl/half_sum.v's balanced tree over n terms of w bits."""
    if n <= 1:
        return 0
    return tree_bits((n + 1) // 2, w) + tree_bits(n // 2, w) + w + clog2(n)


def kind_and_bits(p, simd_terms):
    wb, xb, xs = p["WB"], p["XB"], p["XS"]
    xnor = wb == 1 and xb == 1
    a = 2 if wb == 1 else wb
    b = 2 if xb == 1 else (xb if xs else xb + 1)
    pbits = 1 if xnor else a + b
    bits = p["PE"] * tree_bits(simd_terms, pbits)
    if xnor:
        bits += p["PE"] * (pbits + clog2(simd_terms) + 1)
    dsp = p["USE_DSP"] == 1 and not (wb == 1 or xb == 1) and a + b >= 9
    kind = 0 if xnor else (2 if dsp else (1 if pbits <= 8 else 3))
    if kind == 2 and pbits <= 12:
        kind = 4
    return kind, bits


def swd(p):
    cf = p["C"] // p["P"]
    br = p["KH"] + p["SH"]
    depth = br * p["IW"] * cf
    maxv = (2 * (p["IH"] + br + p["PT"] + p["PB"] + p["KH"] + p["SH"])
            + 2 * (p["IW"] + p["PL"] + p["PR"] + p["KW"] + p["SW"]) * cf
            + 2 * depth + 2 * p["KH"] * p["KW"] + 16)
    return (maxv - 1).bit_length() + 2


def units(build):
    est = json.load(open(f"{build}/report/estimate.json"))
    insts = json.load(open(f"{build}/rtl/stages.json"))["instances"]
    params = {}
    for i in insts:
        params.setdefault((i["layer"], i["module"]), []).append(dict(i["params"]))
    layers = {l["name"]: l for l in est["layers"]}
    for f in sorted(glob.glob(f"{build}/synth/[0-9]*_*.json")):
        stage = os.path.basename(f)[:-5].split("_", 1)[1]
        if stage not in layers:
            continue
        mods = json.load(open(f))["modules"]
        for module, unit_kind in (("half_swg", "swg"), ("half_mvu", "mvu"), ("half_vvu", "vvu")):
            ys = [d["num_cells_by_type"] for m, d in mods.items() if m.endswith("\\" + module)]
            us = [u for u in layers[stage]["units"] if u["kind"] == unit_kind]
            ps = params.get((stage, module), [])
            if len(ys) == 1 and len(us) == 1 and len(ps) == 1:
                yield build, stage, unit_kind, ps[0], us[0]["res"]["lut"], ys[0]


def lstsq(x, y):
    coef, *_ = np.linalg.lstsq(np.array(x, float), np.array(y, float), rcond=None)
    return coef


def main():
    swg_rows, mvu_rows = [], []
    for b in sys.argv[1:]:
        for build, stage, kind, p, est, cells in units(b.rstrip("/")):
            y = luts(cells)
            name = f"{os.path.basename(build)}/{stage}"
            if kind == "swg":
                feats = [swd(p), (p["KP"] - 1) * swd(p), 1.0, p["KP"] * p["P"] * p["OB"]]
                swg_rows.append((name, feats, y - luts(cells, True), est, y))
            else:
                terms = p["SIMD"] if kind == "mvu" else p["SIMD"]
                k, bits = kind_and_bits(p, terms)
                rom = 0
                if p.get("ROM_STYLE") == "distributed":
                    w = p["MW"] * p["MH"] if kind == "mvu" else p["C"] * p["KK"]
                    rom = w * p["WB"]
                feats = [bits if k == i else 0 for i in range(5)] + [rom, 1.0, p["PE"]]
                mvu_rows.append((name, KINDS[k], feats, est, y))
    if swg_rows:
        c = lstsq([r[1] for r in swg_rows], [r[2] for r in swg_rows])
        print("window generators:", len(swg_rows))
        print("  SWG_LUT_PER_SWD, SWG_LUT_PER_KP_SWD, SWG_LUT_BASE, SWG_LUT_PER_OUT_BIT =",
              ", ".join(f"{x:.2f}" for x in c))
        old = sum(abs(r[3] - r[4]) for r in swg_rows)
        mem = [r[4] - r[2] for r in swg_rows]
        new = sum(abs(np.dot(c, r[1]) + m - r[4]) for r, m in zip(swg_rows, mem))
        tot = sum(r[4] for r in swg_rows)
        print(f"  sum |estimate - yosys|: before {old:.0f}, after {new:.0f} (of {tot} LUTs)")
    if mvu_rows:
        # Relative least squares (each unit weighs 1 / its Yosys LUTs): a small unit's error
        # counts as much as a large one's.
        x = np.array([r[2] for r in mvu_rows], float)
        ys = np.array([r[4] for r in mvu_rows], float)
        est = np.array([r[3] for r in mvu_rows], float)
        w = 1.0 / ys
        d, *_ = np.linalg.lstsq(x * w[:, None], (ys - est) * w, rcond=None)
        print("matrix/vector units:", len(mvu_rows))
        print("  corrections: TREE_LUTS (xnor, narrow, dsp, wide, dsp of at most 12 bits)",
              ", ".join(f"{v:+.3f}" for v in d[:5]), f"; ROM_LOGIC_LUTS_PER_BIT {d[5]:+.4f}",
              f"; UNIT_LUTS {d[6]:+.1f}; LANE_LUTS {d[7]:+.1f}")
        new = est + x @ d
        for (name, kind, _, e, y), n in zip(mvu_rows, new):
            print(f"  {name:28s} {kind:6s} yosys {y:6d} estimate {e:6d} "
                  f"({100 * (e - y) / y:+6.1f} %) refit {n:8.0f} ({100 * (n - y) / y:+6.1f} %)")
        rel_old = np.abs(est - ys) / ys
        rel_new = np.abs(new - ys) / ys
        print(f"  total: yosys {ys.sum():.0f}, estimate {est.sum():.0f} "
              f"({100 * (est.sum() - ys.sum()) / ys.sum():+.1f} %), refit {new.sum():.0f} "
              f"({100 * (new.sum() - ys.sum()) / ys.sum():+.1f} %); mean |relative error| "
              f"{100 * rel_old.mean():.1f} % -> {100 * rel_new.mean():.1f} %, largest "
              f"{100 * rel_old.max():.0f} % -> {100 * rel_new.max():.0f} %")

if __name__ == "__main__":
    main()
