"""Fold a ``BatchNormalization`` into the quantized layer before it, where that is exact.

Left in the graph, hls4ml computes batch-norm at its default precision (``fixed<16,6>``), which is
not what the quantized model computes.  Batch-norm is ``y = a * x + b`` per channel with
``a = gamma / sqrt(var + eps)`` and ``b = beta - mean * a``.  It folds exactly into a Conv,
ConvTranspose or Gemm whose weights come from a constant ``Quant`` when

- every ``a`` is a positive power of two: ``Quant(a * w, a * s) == a * Quant(w, s)`` bit for bit,
  so the weights keep their integers and only their (per-channel) scale changes;
- every ``b`` is a whole number of steps of the scaled bias grid (``a * bias_scale``), so the
  bias stays an integer on the accumulator's grid (its bit width grows if it must, up to 32);
  a layer without bias can only take ``b == 0``.

A trained batch-norm almost never meets this; :func:`fold_obstacle` says why, and the converter
refuses the node with that reason and the fix (fold batch-norm before quantization, as fpgagan's
own training does).
"""

from __future__ import annotations

import math

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
from qonnx.util.basic import get_by_name

from fpgagan.export.validate import MAX_BITS, QUANT_OPS, is_power_of_two

_LAYERS = ("Conv", "ConvTranspose", "Gemm")
_DEFAULT_EPSILON = 1e-5  # ONNX BatchNormalization's default


def _attr(node, name: str, default):
    attr = get_by_name(node.attribute, name)
    if attr is None:
        return default
    return attr.f if attr.type == attr.FLOAT else attr.i


def _constant_quant(model: ModelWrapper, tensor: str):
    """The Quant node producing ``tensor`` from constants, with its (values, scale, bits)."""
    node = model.find_producer(tensor)
    if node is None or node.op_type not in QUANT_OPS:
        return None
    values, scale, zeropt, bits = (model.get_initializer(i) for i in node.input[:4])
    if any(v is None for v in (values, scale, zeropt, bits)) or np.any(zeropt != 0):
        return None
    if bits.size != 1 or len(model.find_consumers(tensor) or []) != 1:
        return None
    return node, values.astype(np.float64), scale.astype(np.float64), float(bits.flat[0])


def _channel_axis(layer) -> int | None:
    """Axis of the weight tensor that holds the layer's output channels."""
    if layer.op_type == "Conv":
        return 0
    if layer.op_type == "ConvTranspose":
        return 1 if _attr(layer, "group", 1) == 1 else None
    if (
        _attr(layer, "transA", 0)
        or _attr(layer, "alpha", 1.0) != 1
        or _attr(layer, "beta", 1.0) != 1
    ):
        return None
    return 0 if _attr(layer, "transB", 0) else 1


def _per_channel(a: np.ndarray, ndim: int, axis: int) -> np.ndarray:
    shape = [1] * ndim
    shape[axis] = a.size
    return a.reshape(shape)


def _plan(model: ModelWrapper, bn) -> tuple[str | None, dict]:
    """(why ``bn`` cannot be folded exactly, or None; what folding it rewrites)."""
    layer = model.find_producer(bn.input[0])
    if layer is None or layer.op_type not in _LAYERS:
        return "it does not follow a Conv, ConvTranspose or Gemm", {}
    if len(model.find_consumers(layer.output[0]) or []) != 1:
        return f"the output of {layer.name!r} also feeds other nodes", {}
    if len(bn.output) != 1 or _attr(bn, "training_mode", 0):
        return "it is in training mode", {}
    params = [model.get_initializer(i) for i in bn.input[1:5]]
    if any(p is None for p in params):
        return "its parameters are not constants", {}
    gamma, beta, mean, var = (p.astype(np.float64).reshape(-1) for p in params)
    weight = _constant_quant(model, layer.input[1])
    axis = _channel_axis(layer)
    if weight is None or axis is None:
        return f"{layer.name!r} has no constant quantized weights to fold it into", {}
    w_node, w, w_scale, _ = weight
    channels = w.shape[axis]
    if gamma.size != channels:
        return f"it has {gamma.size} channels, {layer.name!r} has {channels}", {}
    a = gamma / np.sqrt(var + _attr(bn, "epsilon", _DEFAULT_EPSILON))
    if not is_power_of_two(a):
        return "its per-channel scale gamma/sqrt(var+eps) is not a positive power of two", {}
    b = beta - mean * a
    a_w = _per_channel(a, w.ndim, axis)
    if w_scale.size not in (1, channels) or (
        w_scale.size == channels and w_scale.shape != a_w.shape
    ):
        return f"the weight scale of {layer.name!r} is not per-tensor or per-output-channel", {}
    plan = {
        "layer": layer,
        "weight": (w_node, w * a_w, w_scale * a_w),
    }
    has_bias = len(layer.input) > 2 and layer.input[2]
    if not has_bias:
        if np.any(b != 0):
            return f"{layer.name!r} has no bias to take its shift beta - mean*scale", {}
        return None, plan
    bias = _constant_quant(model, layer.input[2])
    if bias is None:
        return f"the bias of {layer.name!r} is not a constant Quant", {}
    b_node, b_values, b_scale, b_bits = bias
    if b_scale.size != 1 or b_values.size != channels:
        return f"the bias of {layer.name!r} has no per-tensor scale", {}
    if not _attr(b_node, "signed", 1):
        return f"the bias of {layer.name!r} is unsigned", {}
    step = float(b_scale.flat[0]) * a  # the bias grid after folding
    b_int = np.round(b_values.reshape(-1) / float(b_scale.flat[0]))  # the integers Quant gives
    shift = b / step
    if not np.all(shift == np.round(shift)):
        return "its shift beta - mean*scale is not on the bias grid", {}
    new_int = b_int + shift
    needed = int(max(b_bits, 1 + math.ceil(math.log2(float(np.abs(new_int).max()) + 1))))
    if needed > MAX_BITS:
        return f"the folded bias needs {needed} bits", {}
    folded = new_int * step
    if np.any(folded.astype(np.float32) != folded):
        return "the folded bias is not exact in float32", {}
    plan["bias"] = (b_node, folded, step, float(needed))
    return None, plan


def fold_obstacle(model: ModelWrapper, bn) -> str:
    """Why batch-norm node ``bn`` cannot be folded exactly ('' when it can)."""
    return _plan(model, bn)[0] or ""


class FoldBatchNorm(Transformation):
    """Fold every exactly foldable BatchNormalization (NCHW graph, after cleanup)."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        for bn in model.graph.node:
            if bn.op_type != "BatchNormalization":
                continue
            obstacle, plan = _plan(model, bn)
            if obstacle is not None:
                continue  # left for the converter, which refuses it with the reason
            node, values, scale = plan["weight"]
            _set_quant(model, node, values, scale)
            if "bias" in plan:
                node, values, scale, bits = plan["bias"]
                _set_quant(model, node, values, scale, bits)
            layer = plan["layer"]
            old = layer.output[0]
            layer.output[0] = bn.output[0]
            model.graph.node.remove(bn)
            vi = model.get_tensor_valueinfo(old)
            if vi is not None and vi in model.graph.value_info:
                model.graph.value_info.remove(vi)
            return model, True  # one at a time: qonnx applies it again until nothing changes
        return model, False


def _set_quant(model, node, values, scale, bits: float | None = None) -> None:
    model.set_initializer(node.input[0], values.astype(np.float32))
    model.set_initializer(node.input[1], scale.astype(np.float32))
    if bits is not None:
        model.set_initializer(node.input[3], np.asarray(bits, dtype=np.float32))
