"""Runs one network of networks.py under its executor (scripts/onnx-env.sh's python).

    execute.py MODEL.onnx INPUT.npy OUT.npy [--integer] [--int8-kernels]

INPUT.npy holds integer frames [N, ...]; the network is fed float input = integer * the input
scale of MODEL's entry in the manifest.json beside it. QONNX networks (executor "qonnx") run
with qonnx.core.onnx_exec.execute_onnx on a ModelWrapper whose batch size is set to N (qonnx's
cleanup_model with override_inpsize=N, which also infers the shapes the executor needs); the
others run with onnxruntime. OUT.npy receives the float outputs [N, ...]; with --integer, the
outputs divided by the entry's output scale instead, as int64, after checking that they are
integers (to 1e-3: the float executors accumulate in float32). With --int8-kernels,
onnxruntime runs a QDQ graph of int8 activations on its integer kernels
(`session.qdqisint8allowed`), as it does the QOperator form, instead of falling back to float
operators on x86-64. Prints the output range.
"""

import json
import sys
from pathlib import Path

import numpy as np


def run_qonnx(path, x):
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.util.cleanup import cleanup_model

    model = cleanup_model(ModelWrapper(str(path)), override_inpsize=x.shape[0])
    name = model.graph.input[0].name
    out = execute_onnx(model, {name: x})
    return out[model.graph.output[0].name]


def run_onnxruntime(path, x, int8_kernels=False):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    if int8_kernels:
        opts.add_session_config_entry("session.qdqisint8allowed", "1")
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return np.concatenate([sess.run(None, {name: x[i : i + 1]})[0] for i in range(x.shape[0])])


def main():
    args = [a for a in sys.argv[1:] if a not in ("--integer", "--int8-kernels")]
    integer = "--integer" in sys.argv[1:]
    int8 = "--int8-kernels" in sys.argv[1:]
    if len(args) != 3:
        sys.exit(__doc__)
    model, frames, out = (Path(a) for a in args)
    entry = json.loads((model.parent / "manifest.json").read_text())[model.stem]
    xi = np.load(frames)
    x = (xi * np.float32(entry["input_scale"])).astype(np.float32)
    if entry["executor"] == "qonnx":
        y = run_qonnx(model, x)
    else:
        y = run_onnxruntime(model, x, int8)
    y = np.asarray(y, dtype=np.float32)
    if integer:
        yi = y / np.float64(entry["output_scale"])
        err = float(np.max(np.abs(yi - np.round(yi)))) if yi.size else 0.0
        if err > 1e-3:
            sys.exit(f"{model}: output / output_scale is not integral (off by up to {err})")
        y = np.round(yi).astype(np.int64)
    np.save(out, y)
    levels = len(np.unique(y))
    print(f"{model.stem}: output {list(y.shape)} in [{y.min()}, {y.max()}], {levels} distinct values")


if __name__ == "__main__":
    main()
