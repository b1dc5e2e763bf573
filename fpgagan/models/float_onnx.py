"""A float ONNX generator (what ``torch.onnx.export`` writes) read into a ``torch.fx`` module.

This is the interchange a user has without fpgagan: a float generator trained anywhere, exported
to ONNX.  :func:`float_module` turns the graph into a ``torch.fx.GraphModule`` of plain torch
layers (``nn.Linear``, ``nn.Conv2d``, ``nn.ConvTranspose2d``, ``nn.BatchNorm1d/2d``, the
activations, ``nn.Upsample``, ``nn.PixelShuffle``, ``torch.cat``, ...), one submodule per ONNX
node, named after it, so :func:`fpgagan.compress.quantize` can quantize it like any module and the
per-layer precision can name its layers.

The ops read are those a generator of fpgagan's families exports to; anything else (an LSTM, an
attention block, a Resize that is not a nearest repeat, asymmetric padding, ...) is refused with
one line naming the node and the op or attribute.  Nothing here executes code from the file: an
ONNX file is a protobuf of tensors and attributes.  (onnx2torch would read more ops, but it
imports torchvision, which fpgagan must not install beside its pinned torch.)
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import fx, nn

from fpgagan.errors import UnsupportedModelError, short_repr
from fpgagan.limits import MAX_NODES, MAX_VALUE_CHARS

_STANDARD_DOMAINS = ("", "ai.onnx")


def _label(node: onnx.NodeProto, index: int) -> str:
    name = short_repr(node.name, MAX_VALUE_CHARS) if node.name else f"#{index}"
    return f"node {name} ({short_repr(node.op_type, MAX_VALUE_CHARS)})"


def _attrs(node: onnx.NodeProto) -> dict[str, Any]:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _module_name(text: str, taken: set[str]) -> str:
    """An attribute name for a submodule: the ONNX node's name as an identifier, made unique."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_") or "node"
    if base[0].isdigit():
        base = "n_" + base
    base = base[:MAX_VALUE_CHARS]
    name, i = base, 1
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    taken.add(name)
    return name


class _Reader:
    """One pass over the graph's nodes in order, building the fx graph node by node."""

    def __init__(self, model: onnx.ModelProto, where: str):
        self.where = where
        self.graph = model.graph
        self.root = nn.Module()
        self.fx = fx.Graph()
        self.taken: set[str] = set()
        self.consts: dict[str, np.ndarray] = {}
        self.env: dict[str, fx.Node] = {}
        self.producer: dict[str, str] = {}  # tensor -> op type that made it
        self.ranks = _ranks(model)
        for t in self.graph.initializer:
            self.consts[t.name] = self._array(t, f"initializer {short_repr(t.name)}")

    def _array(self, t: onnx.TensorProto, what: str) -> np.ndarray:
        if t.data_location == onnx.TensorProto.EXTERNAL:
            raise UnsupportedModelError(f"{self.where}: {what} keeps its data in another file")
        return numpy_helper.to_array(t)

    # ------------------------------------------------------------------ the pass

    def read(self) -> fx.GraphModule:
        g = self.graph
        if len(g.node) > MAX_NODES:
            raise UnsupportedModelError(
                f"{self.where}: {len(g.node):,} nodes, more than {MAX_NODES:,} (fpgagan.limits)"
            )
        inputs = [i for i in g.input if i.name not in self.consts]
        if len(inputs) != 1 or len(g.output) != 1:
            raise UnsupportedModelError(
                f"{self.where}: a generator has one input and one output, this graph has "
                f"{len(inputs)} and {len(g.output)}"
            )
        (inp,) = inputs
        if inp.type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
            raise UnsupportedModelError(
                f"{self.where}: input {short_repr(inp.name)} is not a float tensor"
            )
        self.env[inp.name] = self.fx.placeholder(_module_name(inp.name, self.taken))
        for index, node in enumerate(g.node):
            label = _label(node, index)
            if node.domain not in _STANDARD_DOMAINS:
                raise UnsupportedModelError(
                    f"{self.where}: {label}: domain {short_repr(node.domain)} is not a float "
                    "ONNX op (give the float model, not a quantized one)"
                )
            handler = _HANDLERS.get(node.op_type)
            if handler is None:
                raise UnsupportedModelError(
                    f"{self.where}: {label}: op {short_repr(node.op_type)} is not supported for "
                    f"quantization (supported: {', '.join(sorted(_HANDLERS))})"
                )
            try:
                out = handler(self, node, label)
            except (ValueError, TypeError, IndexError, KeyError) as exc:
                raise UnsupportedModelError(f"{self.where}: {label}: {exc}") from None
            if out is not None:
                self.env[node.output[0]] = out
            for o in node.output[:1]:
                self.producer[o] = node.op_type
        out_name = g.output[0].name
        if out_name not in self.env:
            raise UnsupportedModelError(
                f"{self.where}: output {short_repr(out_name)} is a constant, not computed"
            )
        self.fx.output(self.env[out_name])
        return fx.GraphModule(self.root, self.fx)

    # ------------------------------------------------------------------ helpers

    def value(self, name: str, label: str) -> fx.Node:
        if name not in self.env:
            raise UnsupportedModelError(
                f"{self.where}: {label}: input {short_repr(name)} is a constant where a computed "
                "tensor is expected"
            )
        return self.env[name]

    def const(self, name: str, label: str, what: str) -> np.ndarray:
        if name not in self.consts:
            raise UnsupportedModelError(f"{self.where}: {label}: {what} must be a constant")
        return self.consts[name]

    def module(self, node: onnx.NodeProto, module: nn.Module, *args: Any) -> fx.Node:
        name = _module_name(node.name or node.op_type, self.taken)
        self.root.add_module(name, module)
        return self.fx.call_module(name, args)


def _ranks(model: onnx.ModelProto) -> dict[str, int]:
    """Tensor name -> rank, where ONNX shape inference knows it."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False)
    except Exception:  # noqa: BLE001 - a graph shape inference cannot follow: ranks unknown
        return {}
    g = inferred.graph
    return {
        vi.name: len(vi.type.tensor_type.shape.dim)
        for vi in [*g.value_info, *g.input, *g.output]
        if vi.type.tensor_type.HasField("shape")
    }


def _tensor(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(a, dtype=np.float32))


def _pads2d(attrs: dict[str, Any]) -> tuple[int, int]:
    if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise ValueError("auto_pad is not supported (export with explicit pads)")
    pads = list(attrs.get("pads", [0, 0, 0, 0]))
    if len(pads) != 4 or pads[0] != pads[2] or pads[1] != pads[3]:
        raise ValueError(f"pads {pads} are not symmetric (top = bottom, left = right)")
    return int(pads[0]), int(pads[1])


def _pair(attrs: dict[str, Any], key: str, default: int) -> tuple[int, int]:
    v = list(attrs.get(key, [default, default]))
    if len(v) != 2:
        raise ValueError(f"{key} {v} is not two-dimensional")
    return int(v[0]), int(v[1])


# --------------------------------------------------------------------------- op handlers


def _constant(r: _Reader, node, label):
    attrs = _attrs(node)
    if "value" not in attrs:
        raise ValueError("only a Constant with a tensor 'value' is supported")
    r.consts[node.output[0]] = r._array(node.attribute[0].t, label)
    return None


def _gemm(r: _Reader, node, label):
    a = _attrs(node)
    if a.get("transA", 0):
        raise ValueError("transA=1 is not supported")
    w = r.const(node.input[1], label, "the weight (input B)")
    if w.ndim != 2:
        raise ValueError(f"weight of rank {w.ndim}")
    w = w if a.get("transB", 0) else w.T
    alpha, beta = float(a.get("alpha", 1.0)), float(a.get("beta", 1.0))
    has_bias = len(node.input) > 2 and node.input[2] != ""
    layer = nn.Linear(w.shape[1], w.shape[0], bias=has_bias)
    with torch.no_grad():
        layer.weight.copy_(_tensor(w * alpha))
        if has_bias:
            b = r.const(node.input[2], label, "the bias (input C)").reshape(-1)
            if b.size not in (1, w.shape[0]):
                raise ValueError(f"bias of {b.size} values for {w.shape[0]} outputs")
            layer.bias.copy_(_tensor(np.broadcast_to(b * beta, (w.shape[0],))))
    return r.module(node, layer, r.value(node.input[0], label))


def _matmul(r: _Reader, node, label):
    w = r.const(node.input[1], label, "the weight (second input)")
    if w.ndim != 2:
        raise ValueError(f"weight of rank {w.ndim}")
    layer = nn.Linear(w.shape[0], w.shape[1], bias=False)
    with torch.no_grad():
        layer.weight.copy_(_tensor(w.T))
    return r.module(node, layer, r.value(node.input[0], label))


def _add(r: _Reader, node, label):
    a, b = node.input[0], node.input[1]
    if a in r.env and b in r.env:
        return r.fx.call_function(operator.add, (r.env[a], r.env[b]))
    x, c = (a, b) if a in r.env else (b, a)
    bias = r.const(c, label, "one input").reshape(-1)
    layer = _bias_free_linear(r, r.env[x])
    if layer is None or bias.size not in (1, layer.out_features):
        raise ValueError("a constant is added to something other than a bias-free MatMul")
    layer.bias = nn.Parameter(_tensor(np.broadcast_to(bias, (layer.out_features,))).clone())
    return r.env[x]


def _bias_free_linear(r: _Reader, x: fx.Node) -> nn.Linear | None:
    if x.op != "call_module" or len(x.users):
        return None
    layer = getattr(r.root, x.target)
    return layer if isinstance(layer, nn.Linear) and layer.bias is None else None


def _conv(r: _Reader, node, label):
    a = _attrs(node)
    w = r.const(node.input[1], label, "the weight")
    if w.ndim != 4:
        raise ValueError(f"only 2-D convolutions are supported (weight of rank {w.ndim})")
    groups = int(a.get("group", 1))
    has_bias = len(node.input) > 2 and node.input[2] != ""
    layer = nn.Conv2d(
        w.shape[1] * groups, w.shape[0], (w.shape[2], w.shape[3]), _pair(a, "strides", 1),
        _pads2d(a), _pair(a, "dilations", 1), groups, bias=has_bias,
    )  # fmt: skip
    _load(layer, w, node, r, label, has_bias)
    return r.module(node, layer, r.value(node.input[0], label))


def _conv_transpose(r: _Reader, node, label):
    a = _attrs(node)
    if "output_shape" in a:
        raise ValueError("output_shape is not supported (export with pads and output_padding)")
    w = r.const(node.input[1], label, "the weight")
    if w.ndim != 4:
        raise ValueError(f"only 2-D transposed convolutions are supported (weight rank {w.ndim})")
    groups = int(a.get("group", 1))
    has_bias = len(node.input) > 2 and node.input[2] != ""
    layer = nn.ConvTranspose2d(
        w.shape[0], w.shape[1] * groups, (w.shape[2], w.shape[3]), _pair(a, "strides", 1),
        _pads2d(a), _pair(a, "output_padding", 0), groups, bias=has_bias,
        dilation=_pair(a, "dilations", 1),
    )  # fmt: skip
    _load(layer, w, node, r, label, has_bias)
    return r.module(node, layer, r.value(node.input[0], label))


def _load(layer: nn.Module, w: np.ndarray, node, r: _Reader, label: str, has_bias: bool) -> None:
    with torch.no_grad():
        if tuple(layer.weight.shape) != w.shape:
            raise ValueError(f"weight shape {w.shape} does not fit the attributes")
        layer.weight.copy_(_tensor(w))
        if has_bias:
            layer.bias.copy_(_tensor(r.const(node.input[2], label, "the bias").reshape(-1)))


def _batch_norm(r: _Reader, node, label):
    a = _attrs(node)
    if a.get("training_mode", 0):
        raise ValueError("training_mode=1: export the model in eval mode")
    scale, bias, mean, var = (
        r.const(n, label, what).reshape(-1)
        for n, what in zip(node.input[1:5], ("scale", "B", "mean", "var"), strict=True)
    )
    rank = r.ranks.get(node.input[0], 2 if r.producer.get(node.input[0]) in ("Gemm",) else 4)
    bn = (nn.BatchNorm1d if rank <= 3 else nn.BatchNorm2d)(
        len(scale), eps=float(a.get("epsilon", 1e-5))
    )
    with torch.no_grad():
        bn.weight.copy_(_tensor(scale))
        bn.bias.copy_(_tensor(bias))
        bn.running_mean.copy_(_tensor(mean))
        bn.running_var.copy_(_tensor(var))
    return r.module(node, bn.eval(), r.value(node.input[0], label))


def _activation(make: Callable[[dict[str, Any]], nn.Module]):
    def handler(r: _Reader, node, label):
        return r.module(node, make(_attrs(node)), r.value(node.input[0], label))

    return handler


def _clip(r: _Reader, node, label):
    a = _attrs(node)
    lo, hi = a.get("min"), a.get("max")  # opset < 11 attributes; inputs from 11 on
    if len(node.input) > 1 and node.input[1]:
        lo = float(r.const(node.input[1], label, "min").reshape(-1)[0])
    if len(node.input) > 2 and node.input[2]:
        hi = float(r.const(node.input[2], label, "max").reshape(-1)[0])
    if lo is None or hi is None:
        raise ValueError("a Clip needs both bounds to become a hard activation")
    return r.module(node, nn.Hardtanh(float(lo), float(hi)), r.value(node.input[0], label))


def _resize(r: _Reader, node, label):
    a = _attrs(node)
    mode = a.get("mode", b"nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    coords = a.get("coordinate_transformation_mode", b"half_pixel")
    coords = coords.decode() if isinstance(coords, bytes) else coords
    nearest = a.get("nearest_mode", b"round_prefer_floor")
    nearest = nearest.decode() if isinstance(nearest, bytes) else nearest
    if mode != "nearest" or (coords, nearest) != ("asymmetric", "floor"):
        raise ValueError(
            f"only nearest upsampling as torch exports it (mode nearest, asymmetric, floor) is "
            f"supported, got {mode}, {coords}, {nearest}"
        )
    scales = None
    if len(node.input) > 2 and node.input[2]:
        scales = r.const(node.input[2], label, "scales").reshape(-1)
    if scales is None or scales.size == 0:
        raise ValueError("the scales must be constants (sizes are not supported)")
    if scales.size != 4 or scales[0] != 1 or scales[1] != 1:
        raise ValueError(f"scales {scales.tolist()} resize more than the two spatial axes")
    s = [float(v) for v in scales[2:]]
    if any(v != math.floor(v) or v < 1 for v in s):
        raise ValueError(f"scales {s} are not integer factors")
    up = nn.Upsample(scale_factor=(s[0], s[1]), mode="nearest")
    return r.module(node, up, r.value(node.input[0], label))


def _depth_to_space(r: _Reader, node, label):
    a = _attrs(node)
    mode = a.get("mode", b"DCR")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if mode != "CRD":
        raise ValueError(f"mode {mode} is not a pixel shuffle (CRD)")
    return r.module(node, nn.PixelShuffle(int(a["blocksize"])), r.value(node.input[0], label))


def _concat(r: _Reader, node, label):
    axis = int(_attrs(node).get("axis", 1))
    if axis != 1:
        raise ValueError(f"only a concatenation of channels (axis 1) is supported, got {axis}")
    xs = [r.value(n, label) for n in node.input]
    return r.fx.call_function(torch.cat, (xs,), {"dim": 1})


def _reshape(r: _Reader, node, label):
    shape = [int(v) for v in r.const(node.input[1], label, "the shape").reshape(-1)]
    if _attrs(node).get("allowzero", 0) or any(v == 0 for v in shape[1:]) or not shape:
        raise ValueError(f"shape {shape}: only explicit sizes after the batch axis are supported")
    # the batch axis stays the batch axis, whatever batch size the model was exported with
    return r.fx.call_function(torch.reshape, (r.value(node.input[0], label), (-1, *shape[1:])))


def _flatten(r: _Reader, node, label):
    axis = int(_attrs(node).get("axis", 1))
    if axis != 1:
        raise ValueError(f"only Flatten after the batch axis (axis 1) is supported, got {axis}")
    return r.fx.call_function(torch.flatten, (r.value(node.input[0], label), 1))


def _identity(r: _Reader, node, label):
    if node.input[0] in r.consts:
        r.consts[node.output[0]] = r.consts[node.input[0]]
        return None
    return r.env[node.input[0]]


_HANDLERS: dict[str, Callable[[_Reader, onnx.NodeProto, str], fx.Node | None]] = {
    "Add": _add,
    "BatchNormalization": _batch_norm,
    "Clip": _clip,
    "Concat": _concat,
    "Constant": _constant,
    "Conv": _conv,
    "ConvTranspose": _conv_transpose,
    "DepthToSpace": _depth_to_space,
    "Flatten": _flatten,
    "Gemm": _gemm,
    "Identity": _identity,
    "LeakyRelu": _activation(lambda a: nn.LeakyReLU(float(a.get("alpha", 0.01)))),
    "MatMul": _matmul,
    "Relu": _activation(lambda a: nn.ReLU()),
    "Reshape": _reshape,
    "Resize": _resize,
    "Sigmoid": _activation(lambda a: nn.Sigmoid()),
    "Tanh": _activation(lambda a: nn.Tanh()),
}


def input_shape_of(model: onnx.ModelProto, where: str) -> tuple[int, ...]:
    """The shape of one input (without the batch axis), as the graph declares it."""
    consts = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in consts]
    if len(inputs) != 1:
        raise UnsupportedModelError(
            f"{where}: a generator has one input, this graph has {len(inputs)}"
        )
    dims = inputs[0].type.tensor_type.shape.dim
    shape = [d.dim_value if d.HasField("dim_value") else None for d in dims][1:]
    if not dims or any(d is None or d < 1 for d in shape):
        raise UnsupportedModelError(
            f"{where}: input {short_repr(inputs[0].name)} must declare every size after the batch "
            "axis"
        )
    return tuple(int(d) for d in shape)


def float_module(model: onnx.ModelProto, where: str) -> fx.GraphModule:
    """The float ONNX ``model`` as a ``torch.fx.GraphModule`` of plain torch layers (eval mode);
    ``where`` (the file) starts every error message."""
    return _Reader(model, where).read().eval()
