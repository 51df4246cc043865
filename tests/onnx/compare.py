"""Compares half-gen's reference with a network's own executor (scripts/onnx-env.sh's python).

    compare.py MODEL.onnx IMPORTED.yaml HALF_GEN

Runs MODEL under its executor (execute.py: qonnx's for QONNX, onnxruntime for the int8
forms) on the integer frames beside it (MODEL.input.npy, ONNX layout), its outputs divided
by the output scale of the import's sidecar (IMPORTED.import.json); runs `HALF_GEN eval
IMPORTED.yaml` on the same frames in half-gen's H, W, C layout; prints one JSON object:
outputs compared, how many are equal, the largest difference.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.dont_write_bytecode = True
from execute import run_onnxruntime, run_qonnx  # noqa: E402


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    model, imported, half_gen = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    entry = json.loads((model.parent / "manifest.json").read_text())[model.stem]
    side = json.loads(imported.with_suffix("").with_suffix(".import.json").read_text())
    xi = np.load(model.with_suffix(".input.npy"))
    x = (xi * np.float32(side["input_scale"])).astype(np.float32)
    run = run_qonnx if entry["executor"] == "qonnx" else run_onnxruntime
    y = np.asarray(run(model, x), dtype=np.float64)
    scale = np.asarray(side["output_scale"], dtype=np.float64)
    ref = np.round(y / scale).astype(np.int64)
    with tempfile.TemporaryDirectory() as tmp:
        data, preds = Path(tmp) / "data.npz", Path(tmp) / "preds.npy"
        frames = xi.astype(np.int64)
        if frames.ndim == 4:
            frames = frames.transpose(0, 2, 3, 1)
        np.savez(data, x=frames)
        subprocess.run([half_gen, "eval", str(imported), "--data", str(data), "--out", str(preds)],
                       check=True, stdout=subprocess.DEVNULL)
        ours = np.load(preds)
    if ours.ndim == 4:
        ours = ours.transpose(0, 3, 1, 2)
    ours = ours.reshape(ref.shape)
    diff = np.abs(ours - ref)
    print(json.dumps({"outputs": int(ref.size), "equal": int((diff == 0).sum()),
                      "max_diff": int(diff.max()) if diff.size else 0}))


if __name__ == "__main__":
    main()
