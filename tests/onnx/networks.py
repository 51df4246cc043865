"""Writes the small quantized ONNX networks the import tests use (scripts/onnx-env.sh's python).

    networks.py OUTDIR

For each network NAME: OUTDIR/NAME.onnx, OUTDIR/NAME.input.npy (integer frames [N, ...] in the
integer domain of the network's input quantizer, ONNX layout) and one entry of
OUTDIR/manifest.json: the file, the op types in node order, the input's name and shape, the
input scale (float input = integer * input_scale), the output scale (integer output = float
output / output_scale) and the executor (tests/onnx/execute.py: "qonnx" or "onnxruntime").

Everything is seeded (numpy default_rng, fixed seeds): two runs write the same files. The QONNX
networks are written with onnx.helper in the form Brevitas exports (custom ops in the domain
qonnx.custom_op.general) and passed through qonnx's cleanup; their batch-norm statistics are
those of the layer's actual input on random frames, computed in numpy layer by layer, so the
activations spread over their levels. The int8 networks are float networks quantized with
onnxruntime's quantize_static (QDQ and QOperator).
"""

import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.dont_write_bytecode = True  # no __pycache__ beside the tests
from ops_numpy import FORWARD  # noqa: E402

QONNX = "qonnx.custom_op.general"
OPSET = 13


class Net:
    """A graph under construction with the numpy value of every tensor on the calibration
    frames (for batch-norm statistics and activation scales)."""

    def __init__(self, name, rng, shape, x):
        self.name, self.rng = name, rng
        self.nodes, self.inits, self.vals = [], [], {"x": x}
        self.input = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, *shape])
        self.count = 0

    def const(self, base, value):
        self.count += 1
        name = f"{base}_{self.count}"
        arr = np.asarray(value, dtype=np.float32)
        self.inits.append(numpy_helper.from_array(arr, name))
        self.vals[name] = arr
        return name

    def op(self, op_type, inputs, domain="", **attrs):
        self.count += 1
        out = f"{op_type.lower()}_{self.count}"
        self.nodes.append(helper.make_node(op_type, inputs, [out], domain=domain, **attrs))
        self.vals[out] = FORWARD[op_type](*[self.vals[i] for i in inputs], **attrs)
        return out

    def quant(self, x, scale, bits, signed, narrow=0):
        ins = [x, self.const("scale", scale), self.const("zeropt", 0.0), self.const("bitwidth", bits)]
        return self.op("Quant", ins, QONNX, signed=signed, narrow=narrow, rounding_mode="ROUND")

    def weight(self, shape, bits, narrow=1):
        """A float weight behind a signed Quant of `bits` with a power-of-two scale."""
        scale = 2.0 ** int(self.rng.integers(-6, -2))
        top = 2 ** (bits - 1) - 1
        w = self.rng.uniform(-top - 0.5, top + 0.5, size=shape) * scale
        return self.quant(self.const("w", w), scale, bits, 1, narrow)

    def bn(self, x, positive=True):
        v = self.vals[x]
        axes = (0,) + tuple(range(2, v.ndim))
        c = v.shape[1]
        gamma = self.rng.uniform(0.5, 1.5, c) * (1 if positive else self.rng.choice([-1, 1], c))
        beta = self.rng.uniform(-0.3, 0.3, c)
        ins = [x, self.const("gamma", gamma), self.const("beta", beta)]
        ins += [self.const("mean", v.mean(axis=axes)), self.const("var", v.var(axis=axes) + 1e-3)]
        return self.op("BatchNormalization", ins, epsilon=1e-5)

    def conv(self, x, cout, k, bits, pad=0, stride=1, group=1):
        cin = self.vals[x].shape[1]
        w = self.weight([cout, cin // group, k, k], bits)
        return self.op("Conv", [x, w], kernel_shape=[k, k], pads=[pad] * 4, strides=[stride] * 2, group=group)

    def relu_quant(self, x, bits, pow2):
        """Relu then an unsigned Quant whose scale covers the values seen."""
        r = self.op("Relu", [x])
        s = max(float(np.percentile(self.vals[r], 99.5)), 1e-3) / (2**bits - 1)
        s = 2.0 ** round(np.log2(s)) if pow2 else s
        return self.quant(r, s, bits, 0), s

    def finish(self, y, out_dir, input_scale, output_scale, int_input):
        out = helper.make_tensor_value_info(y, TensorProto.FLOAT, None)
        graph = helper.make_graph(self.nodes, self.name, [self.input], [out], self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid(QONNX, 1)])
        return save_qonnx(model, out_dir, self.name, input_scale, output_scale, int_input)


def save_qonnx(model, out_dir, name, input_scale, output_scale, int_input):
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.util.cleanup import cleanup_model

    model = cleanup_model(ModelWrapper(model))
    path = out_dir / f"{name}.onnx"
    model.save(str(path))
    return entry(path, int_input, input_scale, output_scale, "qonnx")


def entry(path, int_input, input_scale, output_scale, executor):
    m = onnx.load(str(path))
    np.save(path.with_suffix(".input.npy"), int_input)
    shape = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
    return {
        "file": path.name,
        "ops": [n.op_type for n in m.graph.node],
        "input": {"name": m.graph.input[0].name, "shape": shape},
        "input_scale": float(input_scale),
        "output_scale": float(output_scale),
        "frames": path.with_suffix(".input.npy").name,
        "executor": executor,
    }


def tfc(out_dir):
    rng = np.random.default_rng(1)
    n = 64
    xi = rng.choice([-1.0, 1.0], size=(n, 1, 28, 28)).astype(np.float32)
    net = Net("tfc_w1a1_qonnx", rng, [1, 28, 28], xi)
    one = lambda: net.const("scale", 1.0)  # noqa: E731
    a = net.op("BipolarQuant", ["x", one()], QONNX)
    a = net.op("Flatten", [a], axis=1)
    for units in [64, 64, 64]:
        w = net.op("BipolarQuant", [net.const("w", rng.normal(size=(net.vals[a].shape[1], units))), one()], QONNX)
        a = net.op("BipolarQuant", [net.bn(net.op("MatMul", [a, w])), one()], QONNX)
    w = net.op("BipolarQuant", [net.const("w", rng.normal(size=(64, 10))), one()], QONNX)
    y = net.op("Mul", [net.op("MatMul", [a, w]), net.const("out_scale", 0.125)])
    return net.finish(y, out_dir, 1.0, 0.125, xi)


def cnv(out_dir, thresholds):
    """CNV: conv x2, pool, conv x2, pool, conv x2, dense x3; 2-bit weights and activations. With
    `thresholds`, FINN's streamlined form: each hidden BN + Quant is a MultiThreshold and a Mul."""
    rng = np.random.default_rng(2)
    n = 8
    xi = rng.integers(-128, 128, size=(n, 3, 32, 32)).astype(np.float32)
    name = "cnv_w2a2_thresholds" if thresholds else "cnv_w2a2_qonnx"
    net = Net(name, rng, [3, 32, 32], xi * 2.0**-7)
    a = net.quant("x", 2.0**-7, 8, 1)
    scale = None

    def act(z):
        s = float(rng.uniform(0.4, 0.9))
        if not thresholds:
            return net.quant(net.bn(z), s, 2, 1), s
        # the thresholds of the BN + Quant(2 bits, signed, not narrow: levels -2..1) they replace
        v = net.vals[z]
        axes = (0,) + tuple(range(2, v.ndim))
        mean, var = v.mean(axis=axes), v.var(axis=axes) + 1e-3
        gamma, beta = rng.uniform(0.5, 1.5, v.shape[1]), rng.uniform(-0.3, 0.3, v.shape[1])
        steps = np.array([-1.5, -0.5, 0.5])  # level j reached at BN(z) / s >= j - 1/2
        t = mean[:, None] + (s * steps[None, :] - beta[:, None]) * np.sqrt(var + 1e-5)[:, None] / gamma[:, None]
        m = net.op("MultiThreshold", [z, net.const("thresholds", t)], QONNX, out_dtype="INT2", out_scale=1.0, out_bias=-2.0)
        return net.op("Mul", [m, net.const("act_scale", s)]), s

    for i, cout in enumerate([16, 16, 32, 32, 64, 64]):
        a, scale = act(net.conv(a, cout, 3, 2))
        if i in (1, 3):
            a = net.op("MaxPool", [a], kernel_shape=[2, 2], strides=[2, 2])
    a = net.op("Flatten", [a], axis=1)
    for units in [64, 64]:
        a, scale = act(net.op("MatMul", [a, net.weight([net.vals[a].shape[1], units], 2)]))
    w = net.weight([64, 10], 2)
    wscale = float(net.vals[net.nodes[-1].input[1]])
    y = net.op("MatMul", [a, w])
    return net.finish(y, out_dir, 2.0**-7, scale * wscale, xi)


def dws(out_dir):
    rng = np.random.default_rng(3)
    n = 64
    xi = rng.integers(0, 256, size=(n, 3, 16, 16)).astype(np.float32)
    net = Net("dws_qonnx", rng, [3, 16, 16], xi / 256)
    a = net.quant("x", 1 / 256, 8, 0)
    a, _ = net.relu_quant(net.bn(net.conv(a, 16, 3, 4), positive=False), 4, False)
    a, _ = net.relu_quant(net.bn(net.conv(a, 16, 3, 4, pad=1, stride=2, group=16), positive=False), 4, False)
    a, s = net.relu_quant(net.bn(net.conv(a, 32, 1, 4)), 4, True)
    a = net.quant(net.op("GlobalAveragePool", [a]), s / 16, 8, 0)
    a = net.op("Flatten", [a], axis=1)
    return gemm_out(net, a, s / 16, xi, out_dir, 1 / 256)


def gemm_out(net, a, in_scale, xi, out_dir, input_scale):
    """A Gemm of 10 outputs with 4-bit weights and an integer bias on the accumulator's grid."""
    w = net.weight([10, net.vals[a].shape[1]], 4)
    wscale = float(net.vals[net.nodes[-1].input[1]])
    bias = net.const("bias", net.rng.integers(-64, 64, 10) * (in_scale * wscale))
    y = net.op("Gemm", [a, w, bias], transB=1)
    return net.finish(y, out_dir, input_scale, in_scale * wscale, xi)


def concat(out_dir):
    rng = np.random.default_rng(4)
    n = 64
    xi = rng.integers(-128, 128, size=(n, 3, 16, 16)).astype(np.float32)
    net = Net("concat_qonnx", rng, [3, 16, 16], xi * 2.0**-6)
    x = net.quant("x", 2.0**-6, 8, 1)
    a, s = net.relu_quant(net.bn(net.conv(x, 8, 3, 4, pad=1)), 4, True)
    r = net.op("Relu", [net.bn(net.conv(a, 8, 1, 4))])
    b1 = net.quant(r, s, 4, 0)
    # The residual at the branches' scale, one bit wider: exact (an add whose quantizer
    # rounds is requantised half up where qonnx rounds half to even; docs/import.md).
    res = net.quant(net.op("Add", [a, b1]), s, 5, 0)
    b2 = net.quant(net.op("Relu", [net.bn(net.conv(a, 8, 3, 4, pad=1))]), 2 * s, 4, 0)
    c = net.op("Concat", [res, b2], axis=1)
    c, s2 = net.relu_quant(net.bn(net.conv(c, 16, 3, 4)), 4, True)
    # Brevitas' TruncAvgPool2d: the window sum (the mean times the area), truncated by qonnx's
    # Trunc (version 1: floor(round(x / s) / 2^(6 - 4)) * s) back to 4 bits.
    avg = net.op("AveragePool", [c], kernel_shape=[2, 2], strides=[2, 2])
    total = net.op("Mul", [avg, net.const("area", 4.0)])
    trunc_in = [total, net.const("scale", s2), net.const("zeropt", 0.0), net.const("in_bits", 6.0), net.const("out_bits", 4.0)]
    p = net.op("Trunc", trunc_in, QONNX, rounding_mode="FLOOR")
    p = net.op("Flatten", [p], axis=1)
    return gemm_out(net, p, s2, xi, out_dir, 2.0**-6)


def resnet8_float(rng):
    """ResNet-8 (MLPerf Tiny) on 3x16x16 with BN folded into conv biases."""
    nodes, inits = [], []
    count = [0]

    def conv(x, cin, cout, k, stride, relu):
        count[0] += 1
        i = count[0]
        w = rng.normal(0, np.sqrt(2 / (cin * k * k)), (cout, cin, k, k)).astype(np.float32)
        b = rng.normal(0, 0.1, cout).astype(np.float32)
        inits.extend([numpy_helper.from_array(w, f"conv{i}_w"), numpy_helper.from_array(b, f"conv{i}_b")])
        nodes.append(helper.make_node("Conv", [x, f"conv{i}_w", f"conv{i}_b"], [f"conv{i}"], kernel_shape=[k, k], pads=[k // 2] * 4, strides=[stride] * 2))
        if not relu:
            return f"conv{i}"
        nodes.append(helper.make_node("Relu", [f"conv{i}"], [f"relu{i}"]))
        return f"relu{i}"

    def add_relu(a, b, i):
        nodes.append(helper.make_node("Add", [a, b], [f"add{i}"]))
        nodes.append(helper.make_node("Relu", [f"add{i}"], [f"out{i}"]))
        return f"out{i}"

    x = conv("input", 3, 16, 3, 1, True)
    x = add_relu(conv(conv(x, 16, 16, 3, 1, True), 16, 16, 3, 1, False), x, 1)
    for stage, (cin, cout) in enumerate([(16, 32), (32, 64)], start=2):
        y = conv(conv(x, cin, cout, 3, 2, True), cout, cout, 3, 1, False)
        x = add_relu(y, conv(x, cin, cout, 1, 2, False), stage)
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["gap"]))
    nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], axis=1))
    w = rng.normal(0, np.sqrt(1 / 64), (10, 64)).astype(np.float32)
    inits.extend([numpy_helper.from_array(w, "fc_w"), numpy_helper.from_array(np.zeros(10, np.float32), "fc_b")])
    nodes.append(helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["output"], transB=1))
    graph = helper.make_graph(
        nodes,
        "resnet8",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 10])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def resnet8(out_dir, tmp):
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    rng = np.random.default_rng(5)
    float_path, pre_path = tmp / "resnet8_float.onnx", tmp / "resnet8_pre.onnx"
    onnx.save(resnet8_float(rng), str(float_path))
    quant_pre_process(str(float_path), str(pre_path))
    calib = [rng.uniform(-1, 1, (1, 3, 16, 16)).astype(np.float32) for _ in range(16)]

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(calib)

        def get_next(self):
            x = next(self.it, None)
            return None if x is None else {"input": x}

    entries = []
    for name, fmt, per_channel in [
        ("resnet8_qdq", QuantFormat.QDQ, False),
        ("resnet8_qdq_pc", QuantFormat.QDQ, True),
        ("resnet8_qop", QuantFormat.QOperator, False),
    ]:
        path = out_dir / f"{name}.onnx"
        quantize_static(
            str(pre_path), str(path), Reader(), quant_format=fmt, per_channel=per_channel,
            activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
            extra_options={"ActivationSymmetric": True, "WeightSymmetric": True},
        )
        m = onnx.load(str(path))
        inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
        q_in = next(n for n in m.graph.node if n.op_type == "QuantizeLinear" and n.input[0] == "input")
        dq_out = next(n for n in m.graph.node if n.output[0] == m.graph.output[0].name)
        xi = np.random.default_rng(6).integers(-128, 128, (64, 3, 16, 16)).astype(np.float32)
        entries.append(entry(path, xi, float(inits[q_in.input[1]]), float(inits[dq_out.input[1]]), "onnxruntime"))
    return entries


def main():
    out_dir = Path(sys.argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / "tmp"
    tmp.mkdir(exist_ok=True)
    manifest = [tfc(out_dir), cnv(out_dir, False), cnv(out_dir, True), dws(out_dir), concat(out_dir)]
    manifest += resnet8(out_dir, tmp)
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()
    with open(out_dir / "manifest.json", "w") as f:
        json.dump({m["file"][: -len(".onnx")]: m for m in manifest}, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
