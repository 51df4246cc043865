#!/usr/bin/env python3
"""Quantisation-aware training of a half-gen model on scikit-learn's 8x8 digits.

    python3 digits_qat.py MODEL.yaml OUT.json [options]

The accuracy evaluator of `half-gen search --evaluator "python3 digits_qat.py {model} {out}"`.
It reads a concrete half-gen model file (format v1, docs/model-format.md), builds that network
in JAX, trains it on the digits with quantisation-aware training (weights at the layer's
`weight_bits`, activations at its `output` type, straight-through estimator), converts it to
the integers half-gen runs (weights, biases, requantisation scale/shift), writes them as a
weights .npz and the held-out split as a `--data` .npz, runs `half-gen eval --json` on them and
writes

    {"accuracy": <half-gen eval's top-1 on the held-out split>, "float_accuracy": ..., "seconds": ...}

to OUT.json. Exit code 0 on success, 1 on any error (message on stderr, nothing written to OUT).

How the float network matches the integer one: every tensor t is held as s_t * t_int, with
s_t a per-tensor real scale; weights as s_w * w_int (per output channel where the layer is
requantised). A requantised layer computes u = acc_int * M, M = s_x * s_w / s_y, and
y = s_y * clamp(floor(u + 1/2)), exactly the format's output stage; training learns s_y (LSQ)
and the latent weights. Export writes M as scale / 2^shift with 16 significant bits, so the
integer network half-gen runs differs from the trained one only by that rounding of M.
"""

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from qat_model import (  # noqa: E402  (the model-file half of this evaluator)
    EvalError,
    EType,
    parse_model,
    resolve,
    window,
)

from qat_export import export, int_forward  # noqa: E402  (integers half-gen runs)

T_START = time.time()

DIGITS_MAX = 16  # scikit-learn's 8x8 digits hold integer gray levels 0..16
CLASSES = 10


def log(args, msg):
    if not args.quiet:
        print(f"[digits_qat {time.time() - T_START:6.1f}s] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


def load_data(net, args):
    """The digits as integers of the model's input type, split 80/20 (stratified, fixed seed).

    Unsigned b-bit input: round(pixel * (2^b - 1) / 16), so 0..16 spans the full range.
    Signed b-bit input: round(pixel * (2^(b-1) - 1) / 16) (the non-negative half; background 0,
    which is also the convolutions' padding value). Bipolar (1-bit) input: +1 where
    pixel >= 8, else -1. Shape [8, 8, C] repeats the gray image over C channels; [64] is the
    image flattened row by row; other shapes need --resize (bilinear, then quantised)."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    img = d.images.astype(np.float64)  # (1797, 8, 8), 0..16
    y = d.target.astype(np.int64)
    shape = net.in_shape
    if len(shape) == 3:
        h, w, c = shape
        if (h, w) != (8, 8):
            if not args.resize:
                raise EvalError(
                    f"the model input is {list(shape)}; the digits are [8, 8, 1] "
                    "(use --resize to resize them bilinearly)"
                )
            img = resize(img, h, w)
        x = np.repeat(img[..., None], c, axis=-1)
    else:
        (n,) = shape
        if n != 64:
            k = int(round(math.sqrt(n)))
            if not args.resize or k * k != n:
                raise EvalError(
                    f"the model input is the vector [{n}]; the digits flatten to [64] "
                    "(--resize handles a square [k*k])"
                )
            img = resize(img, k, k)
        x = img.reshape(len(img), -1)
    t = net.in_type
    if t.bipolar:
        xi = np.where(x >= DIGITS_MAX / 2, 1, -1)
    else:
        top = t.max
        xi = np.clip(np.floor(x * top / DIGITS_MAX + 0.5), 0, top)
    xi = xi.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(
        xi, y, test_size=args.test_fraction, random_state=args.split_seed, stratify=y
    )
    return xtr, ytr, xte, yte


def resize(img, h, w):
    import jax
    import numpy as np

    out = jax.image.resize(img.astype(np.float32), (img.shape[0], h, w), method="linear")
    return np.clip(np.asarray(out, dtype=np.float64), 0, DIGITS_MAX)


def input_scale(t):
    """Real value of one input integer step (inputs span [0, 1]; bipolar: +-1)."""
    return 1.0 if t.bipolar else 1.0 / max(t.max, 1)


# --------------------------------------------------------------------------------------------
# The QAT network in JAX
# --------------------------------------------------------------------------------------------

# Step of the MSE-optimal uniform quantiser of a unit Gaussian with 2m+1 levels, m = 2^(b-1)-1:
# the weight scale for b <= 5 bits (wider weights use max |w| / m).
GAUSS_STEP = {2: 1.224, 3: 0.657, 4: 0.354, 5: 0.19}


def build(net, args):
    import jax.numpy as jnp
    from jax import lax

    sg = lax.stop_gradient
    dn = ("NHWC", "HWIO", "NHWC")

    def weight_scale(w, bits, per_channel):
        axes = tuple(range(w.ndim - 1)) if per_channel else None
        if bits == 1:
            s = jnp.mean(jnp.abs(w), axis=axes)
        elif bits <= 5:
            s = GAUSS_STEP[bits] * jnp.sqrt(jnp.mean(w * w, axis=axes))
        else:
            s = jnp.max(jnp.abs(w), axis=axes) / ((1 << (bits - 1)) - 1)
        return sg(jnp.maximum(s, 1e-8))

    def quant_weight(w, s, bits):
        r = w / s
        if bits == 1:
            q = jnp.where(r >= 0, 1.0, -1.0)
            r = jnp.clip(r, -1.0, 1.0)
        else:
            m = (1 << (bits - 1)) - 1
            r = jnp.clip(r, -m, m)
            q = jnp.round(r)
        return s * (r + sg(q - r)), q

    def qclip(u, lo, hi):
        uc = jnp.clip(u, lo, hi)
        return uc + sg(jnp.floor(uc + 0.5) - uc)

    def as_int(v):
        """v, known to be an integer up to float error, rounded (identity gradient)."""
        return v + sg(jnp.round(v) - v)

    def ste_sign(u, width):
        q = jnp.where(u >= -0.5, 1.0, -1.0)
        t = jnp.clip(u / width, -1.0, 1.0)
        return t + sg(q - t)

    def pad_hw(x, pad, value):
        t, b, l, r = pad
        if t == b == l == r == 0:
            return x
        return jnp.pad(x, ((0, 0), (t, b), (l, r), (0, 0)), constant_values=value)

    def out_bounds(L):
        t = L.out_type
        lo = max(t.min, 0) if L.relu else t.min
        return float(lo), float(t.max)

    def forward(params, fixed, x_int, mode="run"):
        """Runs the network on integer inputs; returns the model output (real values) and
        a dict: with mode "rec", what export needs per layer; with mode "calib", initial output
        scales (LSQ init: 2 mean|acc| / sqrt(max)) and the constants of fixed-M layers, set
        layer by layer from the accumulators it sees (on already quantised inputs)."""
        rec = {} if mode == "rec" else None
        calib = {"log_s": {}, "fixed": {}} if mode == "calib" else None
        vals = {"input": x_int.astype(jnp.float32) * net.s_in}
        scl = {"input": jnp.float32(net.s_in)}
        for L in net.layers:
            xs = [vals[n] for n in L.inputs]
            ss = [scl[n] for n in L.inputs]
            x, sx = xs[0], ss[0]
            p = params.get(L.name, {})
            fx = fixed.get(L.name, {})
            r = {} if rec is not None else None
            if L.op in ("conv", "dwconv", "dense"):
                per_channel = L.mode == "learn"
                s_w = weight_scale(p["w"], L.wbits, per_channel)
                wq, w_int = quant_weight(p["w"], s_w, L.wbits)
                s_acc = sx * s_w
                if L.op == "conv":
                    t, b, l, rr = L.pad
                    acc = lax.conv_general_dilated(x, wq, L.stride, [(t, b), (l, rr)], dimension_numbers=dn)
                elif L.op == "dwconv":
                    # A sum of shifted, strided slices: XLA's CPU backend runs this (and its
                    # gradient) faster than a grouped convolution.
                    xp = pad_hw(x, L.pad, 0.0)
                    (kh, kw), (sh, sw) = L.kernel, L.stride
                    oh, ow = L.out_shape[0], L.out_shape[1]
                    acc = 0.0
                    for ky in range(kh):
                        for kx in range(kw):
                            win = xp[:, ky:ky + sh * (oh - 1) + 1:sh, kx:kx + sw * (ow - 1) + 1:sw, :]
                            acc = acc + win * wq[ky, kx]
                else:
                    acc = x.reshape(x.shape[0], -1) @ wq
                if L.bias:
                    lo, hi = L.bias_range
                    rb = jnp.clip(p["b"] / s_acc, float(lo), float(hi))
                    qb = jnp.round(rb)
                    acc = acc + s_acc * (rb + sg(qb - rb))
                    if r is not None:
                        r["b_int"] = qb
                if r is not None:
                    r["w_int"], r["s_w"] = w_int, s_w
                base = acc  # real value of the accumulator, s_acc * acc_int
                acc_int_of = lambda v: v / s_acc  # noqa: E731
                none_scale = s_acc
            elif L.op == "avgpool":
                if L.glob:
                    acc = jnp.sum(x, axis=(1, 2), keepdims=True)
                else:
                    kh, kw = L.kernel
                    acc = lax.reduce_window(
                        pad_hw(x, L.pad, 0.0), 0.0, lax.add, (1, kh, kw, 1), (1,) + L.stride + (1,), "VALID"
                    )
                s_acc = sx
                base = acc / L.window_n  # the window mean
                acc_int_of = lambda v: v / sx  # noqa: E731
                none_scale = sx / L.window_n
            elif L.op == "maxpool":
                kh, kw = L.kernel
                y = lax.reduce_window(
                    pad_hw(x, L.pad, sx * L.in_type.min), -jnp.inf, lax.max, (1, kh, kw, 1), (1,) + L.stride + (1,), "VALID"
                )
                vals[L.name], scl[L.name] = y, sx
                continue
            elif L.op == "add":
                a, b = xs
                sa, sb = ss
                base = a + b
                none_scale = (sa + sb) / 2
            # Output stage.
            if L.mode == "none":
                if L.op == "add":
                    y = none_scale * (a / sa + b / sb)
                elif L.op == "avgpool":
                    y = base
                else:
                    y = base
                if L.relu:
                    y = jnp.maximum(y, 0.0)
                s_y = none_scale
            elif L.mode == "learn":
                lo, hi = out_bounds(L)
                if calib is not None:
                    s0 = 2.0 * jnp.mean(jnp.abs(base)) / math.sqrt(max(hi, 1.0))
                    calib["log_s"][L.name] = jnp.log(jnp.maximum(s0, 1e-8))
                    s_y = jnp.exp(calib["log_s"][L.name])
                else:
                    s_y = jnp.exp(p["log_s"])
                y = s_y * qclip(base / s_y, lo, hi)
                if r is not None:
                    if L.op == "add":
                        r["M"] = (sa / s_y, sb / s_y)
                    elif L.op == "avgpool":
                        r["M"] = sx / (L.window_n * s_y)
                    else:
                        r["M"] = s_acc / s_y
            else:  # fixed M: u = acc_int * M, on the exact integers (M = scale / 2^shift is
                # exact in floating point, so rounding ties such as 8 * 5/16 = 2.5 go the
                # integer network's way)
                M = L.M
                if L.op == "add":
                    u = as_int(a / sa) * M[0] + as_int(b / sb) * M[1]
                else:
                    u = as_int(acc_int_of(acc)) * jnp.asarray(M, jnp.float32)
                if calib is not None:
                    if L.out_type.bipolar:
                        fx = {"s_y": jnp.float32(1.0), "width": jnp.maximum(jnp.std(u), 1e-3)}
                    else:
                        lo, hi = out_bounds(L)
                        v = jnp.clip(jnp.floor(u + 0.5), lo, hi)
                        fx = {"s_y": 1.0 / jnp.maximum(jnp.std(v), 1e-3)}
                    calib["fixed"][L.name] = fx
                s_y = fx["s_y"]
                if L.out_type.bipolar:
                    y = s_y * ste_sign(u, fx["width"])
                else:
                    lo, hi = out_bounds(L)
                    y = s_y * qclip(u, lo, hi)
            vals[L.name], scl[L.name] = y, s_y
            if r is not None:
                r["s_x"] = ss
                r["s_y"] = s_y
                rec[L.name] = r
        return vals[net.output], (rec if rec is not None else calib)

    return forward


def init_params(net, seed):
    """He-normal latent weights, zero biases (numpy's generator: eager jax.random would
    compile a kernel per shape, seconds on 2 cores)."""
    import jax.numpy as jnp
    import numpy as np

    rng = np.random.default_rng(seed)
    params = {}
    for L in net.layers:
        if L.op not in ("conv", "dwconv", "dense"):
            continue
        if L.op == "conv":
            shape = (L.kernel[0], L.kernel[1], L.in_shape[2], L.cout)
        elif L.op == "dwconv":
            shape = (L.kernel[0], L.kernel[1], L.cout)
        else:
            shape = (L.fan_in, L.cout)
        std = math.sqrt(2.0 / L.fan_in)
        p = {"w": jnp.asarray(std * rng.standard_normal(shape), jnp.float32)}
        if L.bias:
            p["b"] = jnp.zeros((L.cout,), jnp.float32)
        params[L.name] = p
    return params


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


def train(net, forward, xtr, ytr, xte, yte, args):
    import jax
    import jax.numpy as jnp
    import numpy as np

    out_elems = math.prod(net.tensors[net.output][0])
    if out_elems < CLASSES:
        raise EvalError(
            f"the model output `{net.output}` has {out_elems} values; the digits need at least {CLASSES} (one per class)"
        )
    params = init_params(net, args.seed)
    # Calibration: one eager pass initialises every learned output scale (LSQ init) and the
    # constants of fixed-M layers, layer by layer on already quantised inputs.
    rng = np.random.default_rng(args.seed)
    idx = rng.choice(len(xtr), size=min(256, len(xtr)), replace=False)
    _, calib = jax.jit(lambda p, x: forward(p, {}, x, mode="calib"))(params, jnp.asarray(xtr[idx]))
    for name, v in calib["log_s"].items():
        params[name] = dict(params.get(name, {}), log_s=v)
    fixed = calib["fixed"]
    log(args, "calibrated the output scales")

    def loss_fn(params, x, y):
        out, _ = forward(params, fixed, x)
        logits = out.reshape(out.shape[0], -1)
        logp = jax.nn.log_softmax(logits)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    b1, b2, eps = 0.9, 0.999, 1e-8

    @jax.jit
    def step(params, opt, x, y, lr):
        loss, g = jax.value_and_grad(loss_fn)(params, x, y)
        m, v, t = opt
        t = t + 1
        m = jax.tree_util.tree_map(lambda a, b: b1 * a + (1 - b1) * b, m, g)
        v = jax.tree_util.tree_map(lambda a, b: b2 * a + (1 - b2) * b * b, v, g)
        c1, c2 = 1 - b1**t, 1 - b2**t
        params = jax.tree_util.tree_map(
            lambda p, a, b: p - lr * (a / c1) / (jnp.sqrt(b / c2) + eps), params, m, v
        )
        return params, (m, v, t), loss

    @jax.jit
    def predict(params, x):
        out, _ = forward(params, fixed, x)
        return out.reshape(out.shape[0], -1)

    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    opt = (zeros, zeros, jnp.float32(0))
    bs = min(args.batch, len(xtr))
    steps_per_epoch = len(xtr) // bs
    xtr_j, ytr_j = jnp.asarray(xtr), jnp.asarray(ytr)
    max_steps = args.epochs * steps_per_epoch
    total_steps = max_steps
    t_train = time.time()
    deadline = t_train + args.budget if args.budget > 0 else math.inf
    done = 0
    loss = float("nan")
    t_mark, done_mark = None, 0
    perm = None
    while done < total_steps:
        s = done % steps_per_epoch
        if s == 0:
            perm = rng.permutation(len(xtr))
        bi = perm[s * bs:(s + 1) * bs]
        frac = done / max(total_steps, 1)
        warm = min(1.0, (done + 1) / max(steps_per_epoch, 1))
        lr = args.lr * warm * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0)))
        params, opt, loss = step(params, opt, xtr_j[bi], ytr_j[bi], jnp.float32(lr))
        done += 1
        if done == 1 or done == 6 or done % steps_per_epoch == 0:
            loss = float(loss)  # waits for the step
            if not math.isfinite(loss):
                raise EvalError(f"training diverged (loss {loss}) after {done} steps")
            now = time.time()
            if t_mark is not None and done > done_mark and deadline < math.inf:
                # Fit the schedule to the time budget from the speed measured since the last
                # mark (the first step, which compiles, is not counted): first after 5 steps,
                # then after every epoch, as the machine's load changes.
                per_step = (now - t_mark) / (done - done_mark)
                fit = min(max_steps, done + int(max(deadline - now, 0) / max(per_step, 1e-6)))
                if fit != total_steps:
                    first = total_steps == max_steps
                    total_steps = max(fit, done)
                    if first or args.verbose:
                            log(args, f"{per_step * 1000:.1f} ms per step: {total_steps} steps "
                                  f"({total_steps / steps_per_epoch:.1f} epochs) fit the {args.budget:g} s budget")
            t_mark, done_mark = now, done
            if args.verbose and done % steps_per_epoch == 0:
                log(args, f"epoch {done // steps_per_epoch}/{total_steps / steps_per_epoch:.1f} loss {loss:.4f}")
        if time.time() > deadline + 0.1 * max(args.budget, 0):
            log(args, f"time budget exceeded after {done} steps")
            break
    loss = float(loss)
    epoch = round(done / steps_per_epoch, 2)
    train_s = time.time() - t_train
    pred = np.asarray(predict(params, jnp.asarray(xte)))
    float_acc = float(np.mean(np.argmax(pred, axis=1) == yte))
    log(args, f"trained {epoch} epochs ({done} steps) in {train_s:.1f} s, loss {loss:.4f}, "
              f"float (fake-quantised) accuracy {float_acc:.4f}")
    return params, fixed, float_acc, epoch, train_s, pred


# --------------------------------------------------------------------------------------------
# half-gen
# --------------------------------------------------------------------------------------------


def find_half_gen():
    env = os.environ.get("HALF_GEN")
    if env:
        return env
    on_path = shutil.which("half-gen")
    if on_path:
        return on_path
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in ("./target/release/half-gen", os.path.join(here, "..", "..", "target", "release", "half-gen")):
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return os.path.abspath(cand)
    raise EvalError(
        "half-gen not found: set HALF_GEN, put half-gen on PATH, or build ./target/release/half-gen"
    )


def run_half_gen(hg, argv, what):
    try:
        p = subprocess.run([hg] + argv, capture_output=True, text=True)
    except OSError as e:
        raise EvalError(f"cannot run {hg}: {e}")
    if p.returncode != 0:
        raise EvalError(f"half-gen {what} failed (exit {p.returncode}): {p.stderr.strip() or p.stdout.strip()}")
    return p.stdout


def model_with_weights(net, npz_name, model_path):
    """The model text with `weights:` pointing at the trained .npz (and an explicit `name`, so
    the copy keeps the original's default name)."""
    text = net.text
    doc = net.doc
    name = doc.get("name")
    if name is None:
        stem = os.path.splitext(os.path.basename(model_path))[0]
        name = re.sub(r"[^A-Za-z0-9]", "_", stem)
        if not re.match(r"[A-Za-z_]", name):
            name = "m_" + name
    lines = text.splitlines()
    block = any(re.match(r"^layers\s*:", ln) for ln in lines) and any(re.match(r"^input\s*:", ln) for ln in lines)
    if block:
        kept = [ln for ln in lines if not re.match(r"^weights\s*:", ln)]
        head = [f"weights: {json.dumps(npz_name)}"] if npz_name else []
        if "name" not in doc:
            head.append(f"name: {name}")
        at = 0
        while at < len(kept) and (kept[at].startswith("%") or kept[at].strip() == "---"):
            at += 1
        return "\n".join(kept[:at] + head + kept[at:]) + "\n"
    # A flow-style file: rewrite it as JSON, which is valid YAML.
    d = dict(doc)
    d.pop("weights", None)
    if npz_name:
        d["weights"] = npz_name
    d["name"] = name
    return json.dumps(d, indent=1) + "\n"


def write_json_atomic(path, obj):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".digits_qat.", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f)
        f.write("\n")
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------------


def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Train a half-gen model on scikit-learn's 8x8 digits with QAT and report the "
        "accuracy half-gen eval measures on the held-out split.",
    )
    ap.add_argument("model", help="candidate model file (half-gen format v1, concrete)")
    ap.add_argument("out", help='JSON file to write: {"accuracy", "float_accuracy", "seconds", ...}')
    ap.add_argument("--budget", type=float, default=30.0, help="training time budget in seconds: fewer epochs when --epochs would not fit "
                    "(default 30; 0: no limit, so the run depends only on the seeds)")
    ap.add_argument("--epochs", type=int, default=60, help="maximum epochs (default 60)")
    ap.add_argument("--batch", type=int, default=64, help="batch size (default 64)")
    ap.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate (default 3e-3, cosine decay)")
    ap.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    ap.add_argument("--split-seed", type=int, default=0, help="seed of the train/held-out split (default 0)")
    ap.add_argument("--test-fraction", type=float, default=0.2, help="held-out fraction (default 0.2: 360 images)")
    ap.add_argument("--resize", action="store_true", help="resize the digits to another [H, W, C] (or [k*k]) input")
    ap.add_argument("--workdir", help="where to write the trained model, weights and data "
                    "(default: beside OUT, as <OUT stem>.model.yaml, .weights.npz, .data.npz)")
    ap.add_argument("--check", action="store_true", help="also emulate the integer network in numpy and "
                    "compare it output for output with half-gen eval (reported as `check`)")
    ap.add_argument("--verbose", action="store_true", help="log every epoch")
    ap.add_argument("--quiet", action="store_true", help="no progress messages on stderr")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        result = evaluate(args)
    except EvalError as e:
        print(f"digits_qat: error: {e}", file=sys.stderr)
        return 1
    except ImportError as e:
        print(f"digits_qat: error: {e} (install examples/evaluators/requirements.txt, and run this "
              "script with that environment's python)", file=sys.stderr)
        return 1
    except Exception:  # noqa: BLE001 (a bug: say so, with the traceback, and exit 1)
        import traceback

        traceback.print_exc()
        print("digits_qat: error: unexpected failure (traceback above)", file=sys.stderr)
        return 1
    write_json_atomic(args.out, result)
    log(args, f"wrote {args.out}: {json.dumps(result)}")
    return 0


def evaluate(args):
    import numpy as np

    hg = find_half_gen()
    net = parse_model(args.model)
    # half-gen's own parser checks the candidate first and reports its errors precisely (on a
    # copy without a `weights:` key, which this script replaces anyway).
    if "weights" in net.doc:
        fd, tmp = tempfile.mkstemp(suffix=".yaml", prefix="digits_qat_check_")
        with os.fdopen(fd, "w") as f:
            f.write(model_with_weights(net, None, args.model))
        try:
            run_half_gen(hg, ["eval", tmp, "--frames", "1", "--json"], f"check of {args.model}")
        finally:
            os.unlink(tmp)
    else:
        run_half_gen(hg, ["eval", args.model, "--frames", "1", "--json"], f"check of {args.model}")
    resolve(net)
    net.s_in = input_scale(net.in_type)
    xtr, ytr, xte, yte = load_data(net, args)
    log(args, f"{net.doc.get('name', args.model)}: {len(net.layers)} layers, input {list(net.in_shape)} "
              f"{net.in_type}; {len(xtr)} training / {len(xte)} held-out images")
    import jax

    log(args, f"jax {jax.__version__} on {jax.device_count()} CPU device(s)")

    forward = build(net, args)
    params, fixed, float_acc, epochs, train_s, float_pred = train(net, forward, xtr, ytr, xte, yte, args)
    arrays, ints = export(net, forward, params, fixed, xtr[:8])

    # Files beside OUT (or in --workdir).
    if args.workdir:
        os.makedirs(args.workdir, exist_ok=True)
        base = os.path.join(args.workdir, "trained")
    else:
        out_abs = os.path.abspath(args.out)
        stem = os.path.splitext(os.path.basename(out_abs))[0]
        base = os.path.join(os.path.dirname(out_abs), stem)
    wpath, mpath, dpath, ppath = (base + s for s in (".weights.npz", ".model.yaml", ".data.npz", ".preds.npy"))
    np.savez(wpath, **arrays)
    with open(mpath, "w") as f:
        f.write(model_with_weights(net, os.path.basename(wpath), args.model))
    np.savez(dpath, x=xte.astype(np.int64), y=yte.astype(np.int64))
    out = run_half_gen(hg, ["eval", mpath, "--data", dpath, "--json", "--out", ppath], "eval")
    try:
        report = json.loads(out)
        acc = float(report["accuracy"])
    except (ValueError, KeyError, TypeError) as e:
        raise EvalError(f"half-gen eval printed no accuracy ({e}): {out.strip()[:500]}")
    result = {
        "accuracy": acc,
        "float_accuracy": float_acc,
        "seconds": None,  # set last
        "train_seconds": round(train_s, 2),
        "epochs": epochs,
        "held_out": int(len(yte)),
        "model": os.path.abspath(mpath),
        "weights": os.path.abspath(wpath),
        "data": os.path.abspath(dpath),
    }
    hg_out = np.load(ppath).reshape(len(xte), -1)
    result["agreement"] = float(np.mean(np.argmax(hg_out, axis=1) == np.argmax(float_pred, axis=1)))
    if args.check:
        mine = int_forward(net, ints, xte)
        same = int(np.sum(np.all(hg_out == mine, axis=1)))
        result["check"] = {"frames": int(len(xte)), "identical_outputs": same,
                           "numpy_int_accuracy": float(np.mean(np.argmax(mine, axis=1) == yte))}
        log(args, f"check: numpy integer emulation equals half-gen eval on {same}/{len(xte)} frames")
    log(args, f"half-gen eval accuracy {acc:.4f} (float {float_acc:.4f})")
    result["seconds"] = round(time.time() - T_START, 2)
    return result


if __name__ == "__main__":
    sys.exit(main())
