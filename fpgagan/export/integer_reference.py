"""An exact, fast execution of a QONNX graph on fixed-point values, for scoring many images.

Every tensor of a power-of-two-scaled QONNX graph holds dyadic numbers (an integer times a power
of two).  Products and sums of such numbers are exact in float64 as long as their integers fit
the 53-bit significand, so this executor runs the graph with numpy/BLAS in float64 and *checks*
that bound for every tensor (tracking its fractional bits): a graph whose sums could round is
refused, never approximated.  Quant nodes round exactly as qonnx does (round half to even, or
floor) and clip to their integer range.

It is independent of fpgagan's hardware conversion (it reads the QONNX graph, NCHW, standard
ops), so it cross-checks the C simulation; the board flow and the benchmarks compare the two on
a sample before trusting it for bulk scoring (FID on thousands of images).
"""

from __future__ import annotations

import math

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.util.cleanup import cleanup_model

from fpgagan.errors import UnsupportedModelError
from fpgagan.export.names import node_label
from fpgagan.export.ops.conv_transpose import DOMAIN as CHANNELS_LAST

SIGNIFICAND_BITS = 53  # float64: integers up to 2^53 are exact


class Dyadic:
    """A float64 array of dyadic values with at most ``frac`` fractional bits."""

    __slots__ = ("value", "frac")

    def __init__(self, value: np.ndarray, frac: int):
        self.value = value
        self.frac = frac


def _attr(node, name: str, default=None):
    for a in node.attribute:
        if a.name == name:
            if a.type == a.INT:
                return a.i
            if a.type == a.INTS:
                return list(a.ints)
            if a.type == a.STRING:
                return a.s.decode()
            if a.type == a.FLOAT:
                return a.f
    return default


def _frac_of(values: np.ndarray) -> int:
    """Fractional bits needed to write every value of ``values`` exactly (0 for integers)."""
    v = np.abs(np.asarray(values, np.float64))
    v = v[v != 0]
    if v.size == 0:
        return 0
    frac = 0
    while not np.array_equal(v * 2.0**frac, np.round(v * 2.0**frac)):
        frac += 1
        if frac > 1074:
            raise ValueError("not a dyadic value")
    return frac


class IntegerReference:
    """Execute ``model`` (a QONNX graph with power-of-two scales, NCHW) exactly on batches."""

    def __init__(self, model: ModelWrapper):
        self.model = model
        self.consts: dict[str, Dyadic] = {}
        for init in model.graph.initializer:
            value = model.get_initializer(init.name).astype(np.float64)
            try:
                self.consts[init.name] = Dyadic(value, _frac_of(value))
            except ValueError:  # a non-dyadic constant (a shape, an epsilon): kept as it is
                self.consts[init.name] = Dyadic(value, 0)

    def run(self, x: np.ndarray, batch: int = 2048) -> np.ndarray:
        """The graph's output for ``x`` (batch first, the model's input layout), as float32."""
        outs = [
            self._run(np.asarray(x[i : i + batch], np.float64)) for i in range(0, len(x), batch)
        ]
        return np.concatenate(outs).astype(np.float32)

    def _run(self, x: np.ndarray) -> np.ndarray:
        env: dict[str, Dyadic] = dict(self.consts)
        env[self.model.graph.input[0].name] = Dyadic(x, SIGNIFICAND_BITS)
        for node in self.model.graph.node:
            args = [env[i] if i else None for i in node.input]
            op = getattr(self, f"_op_{node.op_type}", None)
            if op is None:
                raise UnsupportedModelError(
                    f"node {node_label(node)}: op {node.op_type} has no exact integer reference"
                )
            result = op(node, *args)
            self._check(node, result)
            env[node.output[0]] = result
        return env[self.model.graph.output[0].name].value

    @staticmethod
    def _check(node, t: Dyadic) -> None:
        if t.frac >= SIGNIFICAND_BITS:  # the raw input, before its quantizer
            return
        big = float(np.max(np.abs(t.value), initial=0.0))
        if big and math.log2(big) + t.frac >= SIGNIFICAND_BITS:
            raise UnsupportedModelError(
                f"node {node_label(node)}: values need more than {SIGNIFICAND_BITS} bits; "
                "the float64 integer reference would round"
            )

    # ------------------------------------------------------------------ quantizers
    def _op_Quant(self, node, x, scale, zeropt, bits):
        s, z, b = scale.value, zeropt.value, bits.value
        if np.any(z != 0):
            raise UnsupportedModelError(f"node {node_label(node)}: non-zero zero-point")
        signed, narrow = _attr(node, "signed", 1), _attr(node, "narrow", 0)
        mode = str(_attr(node, "rounding_mode", "ROUND")).upper()
        n = int(b.reshape(-1)[0])
        lo = (-(2 ** (n - 1)) + (1 if narrow else 0)) if signed else 0
        hi = 2 ** (n - 1) - 1 if signed else 2**n - 1 - (1 if narrow else 0)
        q = x.value / s  # exact: s is a power of two
        if mode == "ROUND":
            q = np.round(q)
        elif mode == "FLOOR":
            q = np.floor(q)
        else:
            raise UnsupportedModelError(f"node {node_label(node)}: rounding_mode {mode}")
        frac = max(0, int(-np.log2(np.min(s))))
        return Dyadic(np.clip(q, lo, hi) * s, frac)

    def _op_BipolarQuant(self, node, x, scale):
        s = scale.value
        return Dyadic(np.where(x.value >= 0, 1.0, -1.0) * s, max(0, int(-np.log2(np.min(s)))))

    # ------------------------------------------------------------------ arithmetic
    def _op_MatMul(self, node, a, b):
        return Dyadic(a.value @ b.value, a.frac + b.frac)

    def _op_Gemm(self, node, a, b, c=None):
        av = a.value.T if _attr(node, "transA", 0) else a.value
        bv = b.value.T if _attr(node, "transB", 0) else b.value
        if _attr(node, "alpha", 1.0) != 1.0 or _attr(node, "beta", 1.0) != 1.0:
            raise UnsupportedModelError(f"node {node_label(node)}: Gemm with alpha/beta != 1")
        y = Dyadic(av @ bv, a.frac + b.frac)
        return y if c is None else self._op_Add(node, y, c)

    def _op_Add(self, node, a, b):
        return Dyadic(a.value + b.value, max(a.frac, b.frac))

    def _op_Mul(self, node, a, b):
        return Dyadic(a.value * b.value, a.frac + b.frac)

    def _op_Relu(self, node, x):
        return Dyadic(np.maximum(x.value, 0.0), x.frac)

    def _op_Identity(self, node, x):
        return x

    def _op_Reshape(self, node, x, shape):
        target = [int(v) for v in shape.value.reshape(-1)]
        target[0] = x.value.shape[0] if target[0] not in (-1, 0) else target[0]
        return Dyadic(x.value.reshape([x.value.shape[0], *target[1:]]), x.frac)

    def _op_Flatten(self, node, x):
        return Dyadic(x.value.reshape(x.value.shape[0], -1), x.frac)

    def _op_Transpose(self, node, x):
        return Dyadic(np.transpose(x.value, _attr(node, "perm")), x.frac)

    def _op_Concat(self, node, *xs):
        axis = _attr(node, "axis")
        return Dyadic(np.concatenate([t.value for t in xs], axis=axis), max(t.frac for t in xs))

    # ------------------------------------------------------------------ data movement (NCHW)
    def _op_Resize(self, node, x, roi=None, scales=None, sizes=None):
        """ONNX Resize, nearest mode, from the operator's own coordinate formulas."""
        if _attr(node, "mode", "nearest") != "nearest":
            raise UnsupportedModelError(f"node {node_label(node)}: only nearest Resize")
        in_shape = x.value.shape
        if scales is not None and scales.value.size:
            s = [float(v) for v in scales.value]
            out_shape = [int(math.floor(n * f)) for n, f in zip(in_shape, s, strict=True)]
        else:
            out_shape = [int(v) for v in sizes.value]
            s = [o / n for o, n in zip(out_shape, in_shape, strict=True)]
        coords = str(_attr(node, "coordinate_transformation_mode", "half_pixel"))
        nearest = str(_attr(node, "nearest_mode", "round_prefer_floor"))
        y = x.value
        for axis in (2, 3):
            idx = _nearest_source(out_shape[axis], in_shape[axis], s[axis], coords, nearest, node)
            y = np.take(y, idx, axis=axis)
        if out_shape[:2] != list(in_shape[:2]):
            raise UnsupportedModelError(f"node {node_label(node)}: Resize of batch or channels")
        return Dyadic(y, x.frac)

    def _op_DepthToSpace(self, node, x):
        b = int(_attr(node, "blocksize"))
        n, c, h, w = x.value.shape
        if str(_attr(node, "mode", "DCR")) == "DCR":
            y = x.value.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2)
        else:
            y = x.value.reshape(n, c // (b * b), b, b, h, w).transpose(0, 1, 4, 2, 5, 3)
        return Dyadic(y.reshape(n, c // (b * b), h * b, w * b), x.frac)

    def _op_Pad(self, node, x, pads=None, value=None, axes=None):
        p = [int(v) for v in (pads.value if pads is not None else _attr(node, "pads"))]
        if value is not None and np.any(value.value != 0) or axes is not None:
            raise UnsupportedModelError(f"node {node_label(node)}: Pad value or axes")
        rank = x.value.ndim
        width = [(p[i], p[i + rank]) for i in range(rank)]
        mode = str(_attr(node, "mode", "constant"))
        return Dyadic(np.pad(x.value, width, mode=mode), x.frac)

    def _op_Conv(self, node, x, w, b=None):
        """NCHW convolution: one matrix product per kernel tap (BLAS, exact on dyadics)."""
        if _attr(node, "group", 1) != 1 or any(d != 1 for d in _attr(node, "dilations", [1, 1])):
            raise UnsupportedModelError(f"node {node_label(node)}: grouped or dilated Conv")
        sh, sw = _attr(node, "strides", [1, 1])
        pt, pl, pb, pr = _attr(node, "pads", [0, 0, 0, 0])
        xv = np.pad(x.value, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
        n, cin, h, wd = xv.shape
        cout, _, kh, kw = w.value.shape
        oh, ow = (h - kh) // sh + 1, (wd - kw) // sw + 1
        y = np.zeros((n, oh, ow, cout))
        for i in range(kh):
            for j in range(kw):
                patch = xv[:, :, i : i + sh * oh : sh, j : j + sw * ow : sw]  # (n, cin, oh, ow)
                y += np.moveaxis(patch, 1, -1) @ w.value[:, :, i, j].T
        out = Dyadic(np.moveaxis(y, -1, 1), x.frac + w.frac)
        return out if b is None else self._bias(out, b)

    def _op_ConvTranspose(self, node, x, w, b=None):
        """Transposed convolution (NCHW, or NHWC for fpgagan's channels-last op): each kernel tap
        scatters one matrix product."""
        if node.domain == CHANNELS_LAST:
            nchw = Dyadic(np.moveaxis(x.value, -1, 1), x.frac)
            y = self._conv_transpose_nchw(node, nchw, w, b)
            return Dyadic(np.moveaxis(y.value, 1, -1), y.frac)
        return self._conv_transpose_nchw(node, x, w, b)

    def _conv_transpose_nchw(self, node, x, w, b=None):
        if _attr(node, "group", 1) != 1 or any(d != 1 for d in _attr(node, "dilations", [1, 1])):
            raise UnsupportedModelError(
                f"node {node_label(node)}: grouped or dilated ConvTranspose"
            )
        sh, sw = _attr(node, "strides", [1, 1])
        pt, pl, pb, pr = _attr(node, "pads", [0, 0, 0, 0])
        oph, opw = _attr(node, "output_padding", [0, 0])
        n, cin, h, wd = x.value.shape
        _, cout, kh, kw = w.value.shape
        full_h, full_w = sh * (h - 1) + kh + oph, sw * (wd - 1) + kw + opw
        y = np.zeros((n, full_h, full_w, cout))
        xl = np.moveaxis(x.value, 1, -1)  # (n, h, w, cin)
        for i in range(kh):
            for j in range(kw):
                y[:, i : i + sh * h : sh, j : j + sw * wd : sw] += xl @ w.value[:, :, i, j]
        y = y[:, pt : full_h - pb, pl : full_w - pr]
        out = Dyadic(np.moveaxis(y, -1, 1), x.frac + w.frac)
        return out if b is None else self._bias(out, b)

    @staticmethod
    def _bias(y: Dyadic, b: Dyadic) -> Dyadic:
        return Dyadic(y.value + b.value.reshape(1, -1, 1, 1), max(y.frac, b.frac))


def _nearest_source(
    n_out: int, n_in: int, scale: float, coords: str, nearest: str, node
) -> np.ndarray:
    """Input index of every output index along one axis (ONNX Resize, nearest)."""
    o = np.arange(n_out, dtype=np.float64)
    if coords == "asymmetric":
        x = o / scale
    elif coords == "half_pixel":
        x = (o + 0.5) / scale - 0.5
    elif coords == "pytorch_half_pixel":
        x = (o + 0.5) / scale - 0.5 if n_out > 1 else np.zeros_like(o)
    elif coords == "align_corners":
        x = o * (n_in - 1) / max(1, n_out - 1)
    else:
        raise UnsupportedModelError(
            f"node {node_label(node)}: coordinate_transformation_mode {coords}"
        )
    rounders = {
        "floor": np.floor,
        "ceil": np.ceil,
        "round_prefer_floor": lambda v: np.ceil(v - 0.5),
        "round_prefer_ceil": lambda v: np.floor(v + 0.5),
    }
    if nearest not in rounders:
        raise UnsupportedModelError(f"node {node_label(node)}: nearest_mode {nearest}")
    return np.clip(rounders[nearest](x), 0, n_in - 1).astype(np.int64)


def integer_reference(model: ModelWrapper) -> IntegerReference:
    """The exact float64 executor of ``model`` after qonnx's cleanup (constants folded, quantizer
    attributes normalised), in the model's own layouts."""
    from fpgagan.export.ops import register_qonnx_ops
    from fpgagan.export.transforms import NormaliseQuantAttributes

    register_qonnx_ops()
    model = cleanup_model(model.transform(NormaliseQuantAttributes()))
    return IntegerReference(model.transform(InferShapes()))
