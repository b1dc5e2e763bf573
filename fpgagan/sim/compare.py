"""Bit-exact comparison of C-simulation outputs with the QONNX reference, and the first layer
where they part."""

from __future__ import annotations

import dataclasses

import numpy as np
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx

from fpgagan.export.reference import with_batch_size


@dataclasses.dataclass(frozen=True)
class Comparison:
    n_elements: int
    mismatches: int  # elements that differ at all (bit-exact means 0)
    max_abs_diff: float
    lsb: float | None  # weight of one output LSB, when the output is quantized
    mismatched_samples: tuple[int, ...]

    @property
    def max_lsb(self) -> float | None:
        return None if self.lsb is None else self.max_abs_diff / self.lsb

    @property
    def exact(self) -> bool:
        return self.mismatches == 0


@dataclasses.dataclass(frozen=True)
class LayerDivergence:
    layer: str  # hls4ml layer name
    tensor: str  # ONNX tensor it is compared with
    mismatches: int
    n_elements: int
    max_abs_diff: float


def _output_quant(model: ModelWrapper):
    """The Quant node that produces the graph output (through layout-only ops), or None."""
    node = model.find_producer(model.graph.output[0].name)
    while node is not None and node.op_type in ("Transpose", "Reshape", "Flatten", "Identity"):
        node = model.find_producer(node.input[0])
    return node if node is not None and node.op_type == "Quant" else None


def _scalar(model: ModelWrapper, name: str) -> float | None:
    value = model.get_initializer(name)
    return None if value is None or value.size != 1 else float(value.reshape(-1)[0])


def output_lsb(model: ModelWrapper) -> float | None:
    """Scale of the Quant node that produces the graph output (through layout-only ops)."""
    node = _output_quant(model)
    return None if node is None else _scalar(model, node.input[1])


def output_range(model: ModelWrapper) -> tuple[float, float] | None:
    """``(lo, hi)``: the half-open range ``[lo, hi)`` the output quantizer's codes span, from
    ``(q_min - zero point) * scale`` to ``(q_max + 1 - zero point) * scale`` (``[-1, 1)`` for 8
    signed bits at scale 2^-7, ``[0, 1)`` for 8 unsigned bits at 2^-8); None without a per-tensor
    output Quant."""
    node = _output_quant(model)
    if node is None:
        return None
    scale, zero, bits = (_scalar(model, name) for name in node.input[1:4])
    if scale is None or zero is None or bits is None:
        return None
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    narrow, b = int(attrs.get("narrow", 0)), int(bits)
    if attrs.get("signed", 1):
        q_min, q_max = -(2 ** (b - 1)) + narrow, 2 ** (b - 1) - 1
    else:
        q_min, q_max = 0, 2**b - 1 - narrow
    return (q_min - zero) * scale, (q_max + 1 - zero) * scale


def compare(got: np.ndarray, ref: np.ndarray, lsb: float | None = None) -> Comparison:
    """Count differing elements of two same-shaped arrays (batch first)."""
    if got.shape != ref.shape:
        raise ValueError(f"shapes differ: {got.shape} vs {ref.shape}")
    diff = got != ref
    per_sample = diff.reshape(len(diff), -1).any(1)
    return Comparison(
        int(diff.size),
        int(diff.sum()),
        float(np.abs(got.astype(np.float64) - ref).max(initial=0.0)),
        lsb,
        tuple(int(i) for i in np.flatnonzero(per_sample)),
    )


def first_divergence(csim, x: np.ndarray) -> LayerDivergence | None:
    """Trace ``x`` (ONNX input layout) through the C simulation and, with qonnx, through the graph
    hls4ml converted; return the first hls4ml layer whose output differs.

    Layers are matched to ONNX tensors by output name; layers without a same-named tensor of the
    same size (hls4ml-internal ones) are skipped.
    """
    model = csim.hardware_model
    x_dev = csim.layout.to_device(np.ascontiguousarray(x, dtype=np.float32))
    ctx = execute_onnx(
        with_batch_size(model, len(x)),
        {model.graph.input[0].name: x_dev},
        return_full_exec_context=True,
    )
    traces = csim.trace(x)
    for layer in csim.hls_model.get_layers():
        if layer.name not in traces:
            continue
        got = np.asarray(traces[layer.name]).reshape(len(x), -1)
        candidates = [t for t in _candidate_tensors(model, layer.outputs[0]) if t in ctx]
        refs = [np.asarray(ctx[t]).reshape(len(x), -1) for t in candidates]
        refs = [(t, r) for t, r in zip(candidates, refs, strict=True) if r.shape == got.shape]
        if not refs or any(np.array_equal(got, r) for _, r in refs):
            continue
        tensor, ref = refs[-1]
        bad = got != ref
        return LayerDivergence(
            layer.name,
            tensor,
            int(bad.sum()),
            int(bad.size),
            float(np.abs(got.astype(np.float64) - ref).max()),
        )
    return None


def _candidate_tensors(model: ModelWrapper, tensor: str) -> list[str]:
    """``tensor`` and, when hls4ml merged a following Quant into the layer, that Quant's output."""
    out = [tensor]
    consumers = model.find_consumers(tensor) or []
    if len(consumers) == 1 and consumers[0].op_type == "Quant":
        out.append(consumers[0].output[0])
    return out
