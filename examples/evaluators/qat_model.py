"""The half-gen model file as the digits evaluator reads it: parsing with half-gen's defaults,
shapes and element types (docs/model-format.md). Part of digits_qat.py."""

import math
import re


class EvalError(Exception):
    """A candidate this evaluator cannot handle, or a failing step (exit code 1)."""


# --------------------------------------------------------------------------------------------
# Model file: parsing, defaults, shapes and element types (docs/model-format.md)
# --------------------------------------------------------------------------------------------


def yaml_loader():
    """A PyYAML SafeLoader with YAML 1.2 booleans (only true/false), as half-gen reads them:
    PyYAML's YAML 1.1 default would turn a layer named `on`, `no` or `y` into a bool."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    bool_tag = "tag:yaml.org,2002:bool"
    Loader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != bool_tag]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(
        bool_tag, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    return Loader


class EType:
    """Element type: `bits` wide, signed or unsigned; 1 bit is bipolar {-1, +1}."""

    def __init__(self, bits, signed):
        self.bits = int(bits)
        self.signed = bool(signed) if self.bits > 1 else True

    @property
    def bipolar(self):
        return self.bits == 1

    @property
    def min(self):
        if self.bipolar:
            return -1
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def max(self):
        if self.bipolar:
            return 1
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    @staticmethod
    def for_range(lo, hi):
        signed = lo < 0
        bits = 2
        while bits < 63:
            t = EType(bits, signed)
            if t.min <= lo and hi <= t.max:
                return t
            bits += 1
        return EType(63, signed)

    def __repr__(self):
        return "bipolar" if self.bipolar else f"{'int' if self.signed else 'uint'}{self.bits}"


def mac_range(wt, xt, fan_in, bias):
    corners = [wt.min * xt.min, wt.min * xt.max, wt.max * xt.min, wt.max * xt.max]
    k = fan_in * (2 if bias else 1)
    return min(corners) * k, max(corners) * k


def pair(v, what, layer):
    if isinstance(v, bool):
        raise EvalError(f"layer `{layer}`: `{what}` must be an integer or a list of 2")
    if isinstance(v, int):
        return (v, v)
    if isinstance(v, list) and len(v) == 2 and all(isinstance(e, int) for e in v):
        return (v[0], v[1])
    raise EvalError(f"layer `{layer}`: `{what}` must be an integer or a list of 2")


def same_padding(n, k, s):
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


class Layer:
    pass


class Net:
    """The model, as far as training and export need it (only layers the output depends on)."""

    pass


def parse_model(path):
    import yaml

    try:
        with open(path) as f:
            text = f.read()
        doc = yaml.load(text, Loader=yaml_loader())
    except (OSError, yaml.YAMLError) as e:
        raise EvalError(f"cannot read the model {path}: {e}")
    if not isinstance(doc, dict) or "input" not in doc or "layers" not in doc:
        raise EvalError(f"{path}: not a half-gen model file (needs `input` and `layers`)")
    net = Net()
    net.doc = doc
    net.text = text
    net.path = path
    return net


def resolve(net):
    """Layers, shapes and types of the layers the output depends on (run after half-gen has
    checked the file, so the model is valid)."""
    try:
        resolve_layers(net)
    except EvalError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise EvalError(f"{net.path}: cannot interpret the model ({type(e).__name__}: {e})")


def resolve_layers(net):
    doc = net.doc
    inp = doc["input"]
    shape = tuple(inp["shape"])
    net.in_type = EType(inp["bits"], inp.get("signed", False))
    net.in_shape = shape
    # Tensor info by name: (shape tuple, is_map, EType).
    tensors = {"input": (shape, len(shape) == 3, net.in_type)}
    layers = []
    by_name = {}
    prev = "input"
    for d in doc["layers"]:
        L = Layer()
        L.name = str(d["name"])
        L.op = d["op"]
        f = d.get("from", prev)
        L.inputs = [str(x) for x in (f if isinstance(f, list) else [f])]
        prev = L.name
        L.relu = d.get("activation", "none") == "relu"
        o = d.get("output")
        L.out_type = None
        if o is not None:
            L.out_type = EType(o["bits"], o.get("signed", not L.relu))
        rq = d.get("requant")
        L.requant = None
        if rq is not None:
            sc, sh = rq["scale"], rq["shift"]
            L.requant = ([int(v) for v in (sc if isinstance(sc, list) else [sc])],
                         [int(v) for v in (sh if isinstance(sh, list) else [sh])])
        L.wbits = int(d.get("weight_bits", 8))
        L.bias = bool(d.get("bias", True))
        L.d = d
        layers.append(L)
        by_name[L.name] = L
    out_name = str(net.doc.get("output", layers[-1].name))
    if out_name not in by_name:
        raise EvalError(f"`output` names unknown layer `{out_name}`")
    # Keep only the layers the output depends on (half-gen drops the others, and a weights
    # file must not hold arrays for them).
    need = set()
    stack = [out_name]
    while stack:
        n = stack.pop()
        if n in need or n == "input":
            continue
        if n not in by_name:
            raise EvalError(f"`from` names unknown layer `{n}`")
        need.add(n)
        stack.extend(by_name[n].inputs)
    net.layers = [L for L in layers if L.name in need]
    net.output = out_name
    for L in net.layers:
        for n in L.inputs:
            if n not in tensors:
                raise EvalError(f"layer `{L.name}`: `from` names `{n}`, not an earlier layer")
        infer(L, [tensors[n] for n in L.inputs])
        tensors[L.name] = (L.out_shape, L.out_is_map, L.type)
    net.tensors = tensors


def window(L, x_shape):
    """Resolves kernel, stride, padding of a windowed layer; returns the output H, W."""
    d = L.d
    kh, kw = pair(d["kernel"], "kernel", L.name)
    default_stride = d["kernel"] if L.op in ("maxpool", "avgpool") else 1
    sh, sw = pair(d.get("stride", default_stride), "stride", L.name)
    h, w = x_shape[0], x_shape[1]
    p = d.get("padding", "valid")
    if p == "valid":
        pad = (0, 0, 0, 0)
    elif p == "same":
        pad = same_padding(h, kh, sh) + same_padding(w, kw, sw)
    elif isinstance(p, int) and not isinstance(p, bool):
        pad = (p, p, p, p)
    elif isinstance(p, list) and len(p) == 4:
        pad = tuple(int(v) for v in p)
    else:
        raise EvalError(f"layer `{L.name}`: bad padding {p!r}")
    L.kernel, L.stride, L.pad = (kh, kw), (sh, sw), pad
    ph, pw = h + pad[0] + pad[1], w + pad[2] + pad[3]
    if kh > ph or kw > pw:
        raise EvalError(f"layer `{L.name}`: kernel {kh}x{kw} is larger than the padded input {ph}x{pw}")
    return (ph - kh) // sh + 1, (pw - kw) // sw + 1


def infer(L, ins):
    """Output shape and element type of a layer (docs/model-format.md sections 5 and 8)."""
    (xs, xmap, xt) = ins[0]
    L.in_type = xt
    L.in_shape = xs
    L.bias_range = (0, 0)
    L.fan_in = 0
    if L.op in ("conv", "dwconv", "maxpool") or (L.op == "avgpool"):
        if not xmap:
            raise EvalError(f"layer `{L.name}`: {L.op} needs an [H, W, C] feature map, but its input is the vector {list(xs)}")
    if L.op in ("conv", "dwconv", "dense"):
        L.wtype = EType(L.wbits, True)
    if L.op == "conv":
        oh, ow = window(L, xs)
        L.cout = int(L.d["channels"])
        L.fan_in = L.kernel[0] * L.kernel[1] * xs[2]
        L.out_shape, L.out_is_map = (oh, ow, L.cout), True
    elif L.op == "dwconv":
        oh, ow = window(L, xs)
        L.cout = xs[2]
        L.fan_in = L.kernel[0] * L.kernel[1]
        L.out_shape, L.out_is_map = (oh, ow, L.cout), True
    elif L.op == "dense":
        L.cout = int(L.d["units"])
        L.fan_in = math.prod(xs)
        L.out_shape, L.out_is_map = (L.cout,), False
    elif L.op == "maxpool":
        oh, ow = window(L, xs)
        L.cout = xs[2]
        L.out_shape, L.out_is_map = (oh, ow, xs[2]), True
    elif L.op == "avgpool":
        if L.d.get("global", False):
            L.glob = True
            L.window_n = xs[0] * xs[1]
            L.out_shape = (1, 1, xs[2])
        else:
            L.glob = False
            oh, ow = window(L, xs)
            L.window_n = L.kernel[0] * L.kernel[1]
            L.out_shape = (oh, ow, xs[2])
        L.cout = xs[2]
        L.out_is_map = True
    elif L.op == "add":
        (bs, bmap, bt) = ins[1]
        if tuple(bs) != tuple(xs) or bmap != xmap:
            raise EvalError(f"layer `{L.name}`: add inputs have different shapes: {list(xs)} and {list(bs)}")
        L.in_types = (xt, bt)
        L.cout = xs[-1]
        L.out_shape, L.out_is_map = xs, xmap
    else:
        raise EvalError(f"layer `{L.name}`: unknown op `{L.op}`")
    # Accumulator range and, without an `output`, the output type.
    if L.op in ("conv", "dwconv", "dense"):
        lo, hi = mac_range(L.wtype, xt, L.fan_in, L.bias)
        if L.bias:
            L.bias_range = mac_range(L.wtype, xt, L.fan_in, False)
    elif L.op == "avgpool":
        lo, hi = L.window_n * xt.min, L.window_n * xt.max
    elif L.op == "add":
        lo, hi = xt.min + L.in_types[1].min, xt.max + L.in_types[1].max
    else:
        lo, hi = xt.min, xt.max
    if L.op == "maxpool":
        L.type = xt
    elif L.out_type is not None:
        L.type = L.out_type
    elif L.relu:
        L.type = EType.for_range(0, max(hi, 1))
    else:
        L.type = EType.for_range(lo, hi)
    # How the output stage is trained.
    if L.out_type is None or L.op == "maxpool":
        L.mode = "none"  # no requantisation: the accumulator passes on
    elif L.requant is not None or L.out_type.bipolar:
        L.mode = "fixed"  # M given by the model file (or 1 for a sign output)
    else:
        L.mode = "learn"  # derived: the output scale is learned and M exported
    if L.mode == "fixed":
        if L.requant is not None:
            sc, sh = L.requant
            if L.op == "add":
                L.M = (sc[0] / 2.0 ** sh[0], sc[-1] / 2.0 ** sh[0])
            else:
                n = L.cout
                scv = sc if len(sc) > 1 else sc * n
                shv = sh if len(sh) > 1 else sh * n
                L.M = [s / 2.0 ** t for s, t in zip(scv, shv)]
        else:
            L.M = (1.0, 1.0) if L.op == "add" else [1.0] * L.cout
