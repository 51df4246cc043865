#!/usr/bin/env python3
"""Refit the adder-tree constants of the matrix/vector unit cost model against Yosys.

Usage: bench/fit_tree.py K_XNOR K_FABRIC_NARROW K_DSP K_FABRIC_WIDE BUILD_DIR...

Each BUILD_DIR is a `half-gen build` output on which `half-gen synth DIR --json >
DIR.synth.json` has run. For every stage holding one half_mvu or half_vvu instance the
script takes the residual `yosys LUT - (estimate LUT - k_old * tree bits)`, where the tree
bits are those of hls/rtl/half_sum.v's tree (src/stage/mvu_cost.rs `tree_adder_bits`) and
k_old the constants the estimate used (src/stage/mvu_cost.rs `TREE_LUTS`, given on the command
line), and fits one constant per product kind (XNOR, fabric products of at most 8 bits, DSP,
wider fabric products) by least squares,
`k = sum(r b) / sum(b b)`. It prints the stages, then the fitted constants and the LUT error
of every stage and in total with them.
"""
import json
import math
import sys


def clog2(n):
    return 0 if n <= 1 else math.ceil(math.log2(n))


def tree_bits(n, w, xnor):
    """Adder bits of half_sum.v's tree over n terms of w bits (+ the XNOR count correction)."""
    if n <= 1:
        bits = 0
    else:
        bits = tree_bits((n + 1) // 2, w, False) + tree_bits(n // 2, w, False) + w + clog2(n)
    if xnor:
        bits += w + clog2(n) + 1
    return bits


def kind_and_bits(p):
    wb, xb, xs = p["WB"], p["XB"], p["XS"]
    xnor = wb == 1 and xb == 1
    a = 2 if wb == 1 else wb
    b = 2 if xb == 1 else (xb if xs else xb + 1)
    pbits = 1 if xnor else a + b
    lanes = p["PE"]
    bits = lanes * tree_bits(p["SIMD"], pbits, xnor)
    dsp = p["USE_DSP"] == 1 and not (wb == 1 or xb == 1) and a + b >= 9
    kind = 0 if xnor else (2 if dsp else (1 if pbits <= 8 else 3))
    return kind, bits


def main():
    k_old = [float(x) for x in sys.argv[1:5]]
    rows = []
    for d in sys.argv[5:]:
        d = d.rstrip("/")
        stages = json.load(open(f"{d}/rtl/stages.json"))
        synth = json.load(open(f"{d}.synth.json"))
        units = {}
        for inst in stages["instances"]:
            if inst["module"] in ("half_mvu", "half_vvu"):
                units.setdefault(inst["layer"], []).append(dict(inst["params"]))
        for s in synth["stages"]:
            us = units.get(s["name"], [])
            if len(us) != 1:
                continue
            kind, bits = kind_and_bits(us[0])
            est, ys = s["estimate"]["lut"], s["yosys"]["lut"]
            rows.append((d, s["name"], kind, bits, est - k_old[kind] * bits, ys, est))
    k_new = list(k_old)
    for kind in range(4):
        rb = sum((ys - rest) * b for _, _, k, b, rest, ys, _ in rows if k == kind)
        bb = sum(b * b for _, _, k, b, _, _, _ in rows if k == kind)
        if bb > 0:
            k_new[kind] = rb / bb
    names = ["xnor", "narrow", "dsp", "wide"]
    tot_old = tot_new = tot_ys = 0
    for d, name, kind, bits, rest, ys, est in rows:
        new = rest + k_new[kind] * bits
        tot_old += est
        tot_new += new
        tot_ys += ys
        print(f"{d:24s} {name:10s} {names[kind]:6s} tree bits {bits:6d}  yosys {ys:6d}  "
              f"estimate {est:6d} ({100 * (est - ys) / ys:+6.1f} %)  refit {new:8.0f} "
              f"({100 * (new - ys) / ys:+6.1f} %)")
    print("fitted k (xnor, narrow fabric, dsp, wide fabric):", ", ".join(f"{k:.3f}" for k in k_new))
    if tot_ys:
        print(f"units total: yosys {tot_ys}, estimate {tot_old} ({100 * (tot_old - tot_ys) / tot_ys:+.1f} %), "
              f"refit {tot_new:.0f} ({100 * (tot_new - tot_ys) / tot_ys:+.1f} %)")


if __name__ == "__main__":
    main()
