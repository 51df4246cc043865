"""Writes one small ONNX model per class of input `half-gen import` refuses (scripts/onnx-env.sh's
python), for tests/import_errors.rs.

    errors.py OUTDIR

OUTDIR/NAME.onnx for each case and OUTDIR/cases.json: per case the file, extra arguments and
the phrases the one-line error must hold (the node and operator it names, and why).
"""

import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

QONNX = "qonnx.custom_op.general"


class G:
    """A QONNX graph: a quantized input, then whatever a case adds."""

    def __init__(self, shape=(1, 3, 8, 8), input_dims=None, bits=8.0, zero=0.0, scale=2.0**-7,
                 rounding="ROUND"):
        self.nodes, self.inits, self.n = [], [], 0
        dims = input_dims if input_dims is not None else list(shape)
        self.input = helper.make_tensor_value_info("x", TensorProto.FLOAT, dims)
        self.shape = shape
        self.x = self.quant("x", scale, bits, zero, rounding=rounding, name="in_quant")

    def const(self, value):
        self.n += 1
        name = f"c{self.n}"
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=np.float32), name))
        return name

    def node(self, op, inputs, domain="", name=None, **attrs):
        self.n += 1
        out = f"v{self.n}"
        self.nodes.append(helper.make_node(op, inputs, [out], name=name or f"{op.lower()}{self.n}", domain=domain, **attrs))
        return out

    def quant(self, x, scale, bits, zero=0.0, signed=1, rounding="ROUND", name=None):
        ins = [x, self.const(scale), self.const(zero), self.const(bits)]
        return self.node("Quant", ins, QONNX, name=name, signed=signed, narrow=0, rounding_mode=rounding)

    def weight(self, shape, name=None):
        w = np.random.default_rng(0).integers(-7, 8, size=shape) * 2.0**-3
        return self.quant(self.const(w), 2.0**-3, 4.0, name=name)

    def conv(self, x, cin, cout, group=1, name="conv"):
        return self.node("Conv", [x, self.weight([cout, cin // group, 3, 3])], name=name, kernel_shape=[3, 3], group=group)

    def save(self, path, y, outputs=None):
        outs = outputs or [helper.make_tensor_value_info(y, TensorProto.FLOAT, None)]
        graph = helper.make_graph(self.nodes, path.stem, [self.input], outs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(QONNX, 1)])
        onnx.save(model, str(path))


def cases(out):
    """(name, builder, extra args, phrases)."""
    def unsupported(p):
        g = G()
        y = g.node("Sigmoid", [g.conv(g.x, 3, 4)], name="squash")
        g.save(p, y)

    def fractional_bits(p):
        g = G(bits=3.5)
        g.save(p, g.conv(g.x, 3, 4))

    def unknown_rounding(p):
        g = G(rounding="STOCHASTIC")
        g.save(p, g.conv(g.x, 3, 4))

    def zero_point(p):
        g = G(zero=3.0)
        g.save(p, g.conv(g.x, 3, 4))

    def channel_scale(p):
        g = G(scale=np.array([1.0, 0.5, 0.25], dtype=np.float32).reshape(1, 3, 1, 1))
        g.save(p, g.conv(g.x, 3, 4))

    def dynamic(p):
        g = G(input_dims=["N", 3, "H", "W"])
        y = g.quant(g.node("Relu", [g.conv(g.x, 3, 4)]), 0.5, 4.0, signed=0)
        g.save(p, g.node("GlobalAveragePool", [y]))

    def reorder(p):
        g = G()
        g.save(p, g.node("Transpose", [g.x], name="to_nhwc", perm=[0, 2, 3, 1]))

    def grouped(p):
        g = G(shape=(1, 4, 8, 8))
        g.save(p, g.conv(g.x, 4, 4, group=2, name="grouped"))

    def unquantized(p):
        g = G()
        a = g.conv(g.x, 3, 4, name="first")
        g.save(p, g.conv(a, 4, 4, name="second"))

    def float_model(p):
        w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
        n = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", kernel_shape=[3, 3])
        onnx.save(helper.make_model(helper.make_graph([n], "f", [x], [y], [w])), str(p))

    def two_outputs(p):
        g = G()
        a = g.conv(g.x, 3, 4)
        outs = [helper.make_tensor_value_info(v, TensorProto.FLOAT, None) for v in (a, g.x)]
        g.save(p, a, outs)

    def not_onnx(p):
        p.write_bytes(b"\x12\x34 this is not a protobuf message \xff\xff\xff")

    def qdq_zero_point(p):
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

        rng = np.random.default_rng(1)
        w = numpy_helper.from_array(rng.normal(size=(4, 3, 3, 3)).astype(np.float32), "w")
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6, 6])
        n = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", kernel_shape=[3, 3])
        f = p.with_suffix(".float.onnx")
        m = helper.make_model(helper.make_graph([n], "q", [x], [y], [w]), opset_imports=[helper.make_opsetid("", 13)])
        onnx.save(m, str(f))
        data = [rng.uniform(0, 1, (1, 3, 8, 8)).astype(np.float32) for _ in range(4)]

        class R(CalibrationDataReader):
            def __init__(self):
                self.it = iter(data)

            def get_next(self):
                v = next(self.it, None)
                return None if v is None else {"x": v}

        quantize_static(str(f), str(p), R(), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        f.unlink()

    return [
        ("unsupported", unsupported, [], ["node `squash` (Sigmoid)", "unsupported operator Sigmoid"]),
        ("fractional_bits", fractional_bits, [], ["(Quant)", "bit widths 2..=16"]),
        ("unknown_rounding", unknown_rounding, [], ["(Quant)", "rounding mode STOCHASTIC is not a qonnx one"]),
        ("zero_point", zero_point, [], ["node `in_quant` (Quant)", "zero point"]),
        ("channel_scale", channel_scale, [], ["node `in_quant` (Quant)", "per-channel activation scales"]),
        ("dynamic", dynamic, [], ["dynamic shape", "--input-shape"]),
        ("reorder", reorder, [], ["node `to_nhwc` (Transpose)", "changes the order"]),
        ("grouped", grouped, [], ["node `grouped` (Conv)", "group 2"]),
        ("unquantized", unquantized, [], ["node `second` (Conv)", "unquantized output"]),
        ("float_model", float_model, [], ["no quantizer found"]),
        ("two_outputs", two_outputs, [], ["2 outputs"]),
        ("not_onnx", not_onnx, [], ["not an ONNX model"]),
        ("qdq_zero_point", qdq_zero_point, [], ["(QuantizeLinear)", "zero point", "ActivationSymmetric"]),
    ]


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for name, build, args, phrases in cases(out):
        path = out / f"{name}.onnx"
        build(path)
        manifest[name] = {"file": path.name, "args": args, "phrases": phrases}
    (out / "cases.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
