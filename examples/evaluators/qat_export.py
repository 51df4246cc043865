"""Export of a trained network to the integers half-gen runs (weights, biases, requantisation
scale and shift) and a numpy emulation of the integer network. Part of digits_qat.py."""

import math

from qat_model import EType, EvalError

SCALE_PRECISION = 16  # significant bits of an exported requant scale
MAX_ACC_BITS = 40


# --------------------------------------------------------------------------------------------
# Export to half-gen integers
# --------------------------------------------------------------------------------------------


def quantize_factor(f, precision=SCALE_PRECISION):
    """f as scale / 2^shift with `precision` significant bits (scale < 2^21, shift 0..62)."""
    if not math.isfinite(f) or f <= 0:
        raise EvalError(f"cannot express requantisation factor {f} as scale / 2^shift")
    shift = min(max(precision - 1 - math.floor(math.log2(f)), 0), 62)
    scale = min(max(int(math.floor(f * 2.0**shift + 0.5)), 1), (1 << 21) - 1)
    return scale, shift


def export(net, forward, params, fixed, x_sample):
    """The integer parameters half-gen runs: {array name: numpy int array}."""
    import jax.numpy as jnp
    import numpy as np

    import jax

    _, rec = jax.jit(lambda p, f, x: forward(p, f, x, mode="rec"))(params, fixed, jnp.asarray(x_sample))
    arrays = {}
    ints = {}
    for L in net.layers:
        if L.name not in rec:
            continue
        r = rec[L.name]
        lp = {}
        if L.op in ("conv", "dwconv", "dense"):
            w = np.asarray(r["w_int"]).astype(np.int64)
            arrays[f"{L.name}.weight"] = w
            lp["weight"] = w
            if L.bias:
                b = np.asarray(r["b_int"]).astype(np.int64)
                arrays[f"{L.name}.bias"] = b
                lp["bias"] = b
        if L.mode == "learn":
            if L.op == "add":
                ma, mb = (float(v) for v in r["M"])
                shift = min(max(SCALE_PRECISION - 1 - math.floor(math.log2(max(ma, mb))), 0), 62)
                while True:
                    sa = int(math.floor(ma * 2.0**shift + 0.5))
                    sb = int(math.floor(mb * 2.0**shift + 0.5))
                    ta, tb = L.in_types
                    lo = min(ta.min * sa, ta.max * sa) + min(tb.min * sb, tb.max * sb)
                    hi = max(ta.min * sa, ta.max * sa) + max(tb.min * sb, tb.max * sb)
                    fits = EType.for_range(lo, hi).bits <= MAX_ACC_BITS and max(sa, sb) < (1 << 21)
                    if fits or shift == 0:
                        break
                    shift -= 1
                scale, shifts = np.array([sa, sb], np.int64), np.array([shift], np.int64)
            else:
                M = np.atleast_1d(np.asarray(r["M"], np.float64))
                pairs = [quantize_factor(float(m)) for m in M]
                scale = np.array([p[0] for p in pairs], np.int64)
                shifts = np.array([p[1] for p in pairs], np.int64)
                if len(set(zip(scale.tolist(), shifts.tolist()))) == 1:
                    scale, shifts = scale[:1], shifts[:1]
            arrays[f"{L.name}.scale"] = scale
            arrays[f"{L.name}.shift"] = shifts
            lp["requant"] = (scale, shifts)
        elif L.mode == "fixed" and L.requant is None:  # derived sign output: scale 1, shift 0
            n = 2 if L.op == "add" else 1
            scale, shifts = np.ones(n, np.int64), np.zeros(1, np.int64)
            arrays[f"{L.name}.scale"] = scale
            arrays[f"{L.name}.shift"] = shifts
            lp["requant"] = (scale, shifts)
        elif L.mode == "fixed":
            sc, sh = L.requant
            lp["requant"] = (np.array(sc, np.int64), np.array(sh, np.int64))
        ints[L.name] = lp
    return arrays, ints


def int_forward(net, ints, x):
    """A numpy int64 emulation of half-gen's reference (for --check)."""
    import numpy as np

    vals = {"input": x.astype(np.int64)}

    def pad(v, p, value):
        t, b, l, r = p
        return np.pad(v, ((0, 0), (t, b), (l, r), (0, 0)), constant_values=value)

    def windows(v, L):
        kh, kw = L.kernel
        sh, sw = L.stride
        oh, ow = L.out_shape[0], L.out_shape[1]
        for ky in range(kh):
            for kx in range(kw):
                yield ky, kx, v[:, ky:ky + sh * (oh - 1) + 1:sh, kx:kx + sw * (ow - 1) + 1:sw, :]

    def finish(L, acc, chan_axis=-1):
        if L.mode == "none":
            return np.maximum(acc, 0) if L.relu else acc
        sc, sh = ints[L.name]["requant"]
        if L.op == "add":
            v = acc  # already scaled
            shift = int(sh[0])
        else:
            v = acc * sc  # broadcast over the channel axis (last)
            shift = sh
        rnd = np.where(np.asarray(shift) > 0, np.left_shift(1, np.maximum(np.asarray(shift) - 1, 0)), 0)
        v = np.right_shift(v + rnd, shift)
        if L.relu:
            v = np.maximum(v, 0)
        t = L.out_type
        if t.bipolar:
            return np.where(v >= 0, 1, -1)
        return np.clip(v, t.min, t.max)

    for L in net.layers:
        xs = [vals[n] for n in L.inputs]
        x0 = xs[0]
        p = ints.get(L.name, {})
        if L.op == "conv":
            xp = pad(x0, L.pad, 0)
            W = p["weight"]
            acc = 0
            for ky, kx, win in windows(xp, L):
                acc = acc + np.tensordot(win, W[ky, kx], axes=([3], [0]))
            if L.bias:
                acc = acc + p["bias"]
            y = finish(L, acc)
        elif L.op == "dwconv":
            xp = pad(x0, L.pad, 0)
            W = p["weight"]
            acc = 0
            for ky, kx, win in windows(xp, L):
                acc = acc + win * W[ky, kx]
            if L.bias:
                acc = acc + p["bias"]
            y = finish(L, acc)
        elif L.op == "dense":
            acc = x0.reshape(len(x0), -1) @ p["weight"]
            if L.bias:
                acc = acc + p["bias"]
            y = finish(L, acc)
        elif L.op == "maxpool":
            xp = pad(x0, L.pad, L.in_type.min)
            y = None
            for _, _, win in windows(xp, L):
                y = win if y is None else np.maximum(y, win)
        elif L.op == "avgpool":
            if L.glob:
                acc = x0.sum(axis=(1, 2), keepdims=True)
            else:
                acc = 0
                for _, _, win in windows(pad(x0, L.pad, 0), L):
                    acc = acc + win
            y = finish(L, acc)
        elif L.op == "add":
            a, b = xs
            if L.mode == "none":
                y = finish(L, a + b)
            else:
                sc, _ = p["requant"]
                y = finish(L, a * sc[0] + b * sc[-1])
        vals[L.name] = y
    out = vals[net.output]
    return out.reshape(len(out), -1)
