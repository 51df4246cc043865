"""Numpy forward functions of the ops networks.py uses, for the statistics it sets batch-norm
and activation scales from (not a reference: the executors in execute.py are)."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def quant(x, scale, zeropt, bits, signed, narrow, rounding_mode="ROUND"):
    """qonnx's Quant: clamp(x / scale + zeropt) to the integer range, round half to even."""
    bits = int(bits)
    lo = -(2 ** (bits - 1)) + narrow if signed else 0
    hi = 2 ** (bits - 1) - 1 if signed else 2**bits - 1 - narrow
    return ((np.round(np.clip(x / scale + zeropt, lo, hi)) - zeropt) * scale).astype(np.float32)


def bipolar(x, scale):
    return (np.where(x >= 0, 1.0, -1.0) * scale).astype(np.float32)


def conv(x, w, b=None, kernel_shape=None, pads=(0, 0, 0, 0), strides=(1, 1), group=1):
    p = pads
    x = np.pad(x, ((0, 0), (0, 0), (p[0], p[2]), (p[1], p[3])))
    k = w.shape[2:]
    win = sliding_window_view(x, k, axis=(2, 3))[:, :, :: strides[0], :: strides[1]]
    cin, cout = w.shape[1], w.shape[0]
    outs = []
    for g in range(group):
        xs = win[:, g * cin : (g + 1) * cin]
        ws = w[g * (cout // group) : (g + 1) * (cout // group)]
        outs.append(np.einsum("nchwij,ocij->nohw", xs, ws))
    y = np.concatenate(outs, axis=1)
    return (y if b is None else y + b[None, :, None, None]).astype(np.float32)


def pool(x, kernel_shape, strides, f):
    win = sliding_window_view(x, kernel_shape, axis=(2, 3))[:, :, :: strides[0], :: strides[1]]
    return f(win, axis=(4, 5)).astype(np.float32)


def batchnorm(x, gamma, beta, mean, var, epsilon=1e-5):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    r = lambda v: v.reshape(shape)  # noqa: E731
    return ((x - r(mean)) / np.sqrt(r(var) + epsilon) * r(gamma) + r(beta)).astype(np.float32)


def multithreshold(x, t, out_dtype="", out_scale=1.0, out_bias=0.0):
    xm = np.moveaxis(x, 1, -1)[..., None]
    return np.moveaxis((xm >= t).sum(-1), -1, 1).astype(np.float32) * out_scale + out_bias


def trunc(x, scale, zeropt, in_bits, out_bits, rounding_mode="FLOOR"):
    """qonnx's Trunc, version 1, FLOOR."""
    assert rounding_mode == "FLOOR"
    y = np.round(x / scale + zeropt) / 2.0 ** (in_bits - out_bits)
    return ((np.floor(y) - zeropt) * scale).astype(np.float32)


FORWARD = {
    "Trunc": trunc,
    "Quant": lambda x, s, z, b, signed, narrow, rounding_mode: quant(x, s, z, b, signed, narrow),
    "BipolarQuant": bipolar,
    "MultiThreshold": multithreshold,
    "Flatten": lambda x, axis: x.reshape(x.shape[0], -1),
    "MatMul": lambda a, b: (a @ b).astype(np.float32),
    "Gemm": lambda a, b, c, transB: (a @ b.T + c).astype(np.float32),
    "Mul": lambda a, b: (a * b).astype(np.float32),
    "Add": lambda a, b: (a + b).astype(np.float32),
    "Relu": lambda x: np.maximum(x, 0),
    "BatchNormalization": batchnorm,
    "Conv": conv,
    "MaxPool": lambda x, kernel_shape, strides: pool(x, kernel_shape, strides, np.max),
    "AveragePool": lambda x, kernel_shape, strides: pool(x, kernel_shape, strides, np.mean),
    "GlobalAveragePool": lambda x: x.mean(axis=(2, 3), keepdims=True),
    "Concat": lambda *xs, axis: np.concatenate(xs, axis=axis),
}
