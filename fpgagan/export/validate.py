"""Check a raw ONNX model before any qonnx call sees it.

qonnx looks up a node's custom-op implementation by importing the node's ``domain`` as a Python
module, so a model can name any module on ``sys.path`` (one planted in the working folder
included) and have it run.  :func:`validate_model` reads only the protobuf and refuses, with one
line naming the file and the node:

- tensors stored in external files anywhere in the model, too many nodes, an unknown opset,
  undefined tensors and cycles, sizes beyond :mod:`fpgagan.limits`
  (:mod:`fpgagan.export.model_limits`);
- op domains outside :data:`ALLOWED_DOMAINS`, op types that are not plain identifiers, nodes
  with subgraphs, local functions;
- quantizers (Quant, IntQuant, BipolarQuant, Trunc) with the wrong inputs or attributes, bit
  widths that are not integers in 1..:data:`MAX_BITS`, scales that are not finite and positive,
  zero points that are not finite, unknown rounding modes;
- graphs without nodes, inputs or outputs, and inputs whose shape is not fixed and positive.

Power-of-two scales are checked after cleanup, when scales computed by constant subgraphs are
known too (:func:`fpgagan.export.hardware_checks.check_supported`).
"""

from __future__ import annotations

import re

import numpy as np
import onnx
from onnx import AttributeProto, numpy_helper

from fpgagan.errors import UnsupportedModelError
from fpgagan.export.model_limits import check_external_data, check_sizes, check_structure

# "" and "ai.onnx" are the standard ops; qonnx's quantizers and channels-last ops (fpgagan's
# ConvTranspose among them); the domain Brevitas writes, which qonnx maps to its own.
ALLOWED_DOMAINS = frozenset(
    {"", "ai.onnx", "qonnx.custom_op.general", "qonnx.custom_op.channels_last", "onnx.brevitas"}
)
# the custom ops fpgagan reads in each non-standard domain
_CUSTOM_OPS = {
    "qonnx.custom_op.general": {"Quant", "IntQuant", "BipolarQuant", "Trunc"},
    "onnx.brevitas": {"Quant", "IntQuant", "BipolarQuant", "Trunc"},
    "qonnx.custom_op.channels_last": {"ConvTranspose", "Conv", "MaxPool", "BatchNormalization"},
}
QUANT_OPS = ("Quant", "IntQuant")
MAX_BITS = 32  # of a quantizer in a model file
# of a quantizer after fpgagan's exact rewrites: putting per-channel scales on one grid widens a
# quantizer by the spread of its scales (a 32-bit bias by a few bits)
MAX_HARDWARE_BITS = 64
# qonnx's rounding modes (qonnx.custom_op.general.intquant.resolve_rounding_mode), any case
ROUNDING_MODES = frozenset(
    {"ROUND", "HALF_EVEN", "CEIL", "FLOOR", "UP", "DOWN", "HALF_UP", "HALF_DOWN"}
)
_OP_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_LABEL_CHARS = 60  # of a user's node name, in a message

# op type -> (number of inputs, attribute names it may carry)
_QUANTIZERS = {
    "Quant": (4, {"signed", "narrow", "rounding_mode"}),
    "IntQuant": (4, {"signed", "narrow", "rounding_mode"}),
    "BipolarQuant": (2, set()),
    "Trunc": (5, {"signed", "narrow", "rounding_mode"}),
}


def is_power_of_two(x: np.ndarray) -> bool:
    """Whether every element of ``x`` is a finite, positive power of two (and there is one)."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0 or not np.all(np.isfinite(x)) or np.any(x <= 0):
        return False
    mantissa, _ = np.frexp(x)
    return bool(np.all(mantissa == 0.5))


def _label(node: onnx.NodeProto, index: int) -> str:
    name = repr(node.name)[: _LABEL_CHARS + 2] if node.name else f"#{index}"
    return f"node {name} ({repr(node.op_type)[:_LABEL_CHARS]})"


def validate_model(model: onnx.ModelProto, where: str) -> None:
    """Refuse ``model`` (read from ``where``) unless only trusted domains and sane values appear."""
    graph = model.graph
    check_external_data(model, where)  # first: nothing below may follow a file a model names
    if not graph.node:
        raise UnsupportedModelError(f"{where}: the model has no nodes (empty or not ONNX)")
    if not graph.input or not graph.output:
        raise UnsupportedModelError(f"{where}: the model has no graph input or output")
    if model.functions:
        raise UnsupportedModelError(f"{where}: ONNX local functions are not supported")
    if graph.sparse_initializer:
        raise UnsupportedModelError(f"{where}: sparse initializers are not supported")
    check_structure(model, where)
    _check_input_shape(graph, where)
    inits = {t.name: t for t in graph.initializer}
    for i, node in enumerate(graph.node):
        _check_node(node, i, inits, where)
    check_sizes(model, where)  # after the nodes: shape inference runs on known ops only
    for name in inits:  # after the nodes, whose messages say which quantizer input is wrong
        values = _value(inits, name, f"tensor {name[:_LABEL_CHARS]!r}", where)
        if values is not None and not np.all(np.isfinite(values)):
            raise UnsupportedModelError(
                f"{where}: tensor {name[:_LABEL_CHARS]!r} holds NaN or infinite values"
            )


def _check_input_shape(graph: onnx.GraphProto, where: str) -> None:
    vi = graph.input[0]
    if not vi.type.HasField("tensor_type") or not vi.type.tensor_type.HasField("shape"):
        raise UnsupportedModelError(f"{where}: graph input has no tensor shape")
    dims = vi.type.tensor_type.shape.dim
    if not dims or any(not d.HasField("dim_value") or d.dim_value <= 0 for d in dims):
        shown = [d.dim_value if d.HasField("dim_value") else d.dim_param[:20] for d in dims]
        raise UnsupportedModelError(f"{where}: graph input shape {shown} is not fixed and positive")


def _check_node(node: onnx.NodeProto, index: int, inits: dict, where: str) -> None:
    label = _label(node, index)
    if node.domain not in ALLOWED_DOMAINS:
        raise UnsupportedModelError(
            f"{where}: {label}: op domain {node.domain[:_LABEL_CHARS]!r} is not one fpgagan reads "
            f"({', '.join(repr(d) for d in sorted(ALLOWED_DOMAINS))})"
        )
    if not _OP_TYPE.match(node.op_type):
        raise UnsupportedModelError(f"{where}: {label}: op type is not a plain identifier")
    if node.domain in _CUSTOM_OPS and node.op_type not in _CUSTOM_OPS[node.domain]:
        raise UnsupportedModelError(
            f"{where}: {label}: op {node.op_type} of domain {node.domain!r} is not supported"
        )
    for attr in node.attribute:
        if attr.type in (AttributeProto.GRAPH, AttributeProto.GRAPHS) or attr.g.node:
            raise UnsupportedModelError(f"{where}: {label}: nodes with subgraphs are not supported")
    if node.op_type in _QUANTIZERS:
        _check_quantizer(node, label, inits, where)


def _value(inits: dict, name: str, what: str, where: str) -> np.ndarray | None:
    if name not in inits:
        return None
    try:
        values = numpy_helper.to_array(inits[name])
    except Exception:  # a malformed tensor: wrong raw size, unknown data type
        raise UnsupportedModelError(f"{where}: {what} is not a readable tensor") from None
    if values.dtype.kind not in "biuf":  # strings, complex numbers: nothing a quantizer reads
        raise UnsupportedModelError(f"{where}: {what} is not a real-valued tensor")
    return values.astype(np.float64)


def _check_quantizer(node: onnx.NodeProto, label: str, inits: dict, where: str) -> None:
    n_inputs, allowed = _QUANTIZERS[node.op_type]
    if len(node.input) != n_inputs or len(node.output) != 1:
        raise UnsupportedModelError(
            f"{where}: {label}: expected {n_inputs} inputs and 1 output, "
            f"got {len(node.input)} and {len(node.output)}"
        )
    for attr in node.attribute:
        if attr.name not in allowed:
            raise UnsupportedModelError(
                f"{where}: {label}: unknown attribute {attr.name[:_LABEL_CHARS]!r}"
            )
        if attr.name in ("signed", "narrow") and (
            attr.type != AttributeProto.INT or attr.i not in (0, 1)
        ):
            raise UnsupportedModelError(f"{where}: {label}: attribute {attr.name} must be 0 or 1")
        if attr.name == "rounding_mode":
            mode = attr.s.decode(errors="replace") if attr.type == AttributeProto.STRING else None
            if mode is None or mode.upper() not in ROUNDING_MODES:
                raise UnsupportedModelError(
                    f"{where}: {label}: rounding_mode {str(mode)[:_LABEL_CHARS]!r} is not one of "
                    f"{', '.join(sorted(ROUNDING_MODES))}"
                )
    scale = _value(inits, node.input[1], f"{label} scale", where)
    if scale is not None and (scale.size == 0 or not np.all(np.isfinite(scale) & (scale > 0))):
        raise UnsupportedModelError(f"{where}: {label}: scale must be finite and positive")
    if node.op_type == "BipolarQuant":
        return
    zeropt = _value(inits, node.input[2], f"{label} zero-point", where)
    if zeropt is not None and not np.all(np.isfinite(zeropt)):
        raise UnsupportedModelError(f"{where}: {label}: zero-point must be finite")
    bit_inputs = node.input[3:]
    for name in bit_inputs:
        bits = _value(inits, name, f"{label} bit width", where)
        if bits is None:
            continue
        if (
            bits.size == 0
            or not np.all(np.isfinite(bits))
            or np.any(bits != np.round(bits))
            or np.any(bits < 1)
            or np.any(bits > MAX_BITS)
        ):
            shown = np.unique(bits)[:4].tolist()
            raise UnsupportedModelError(
                f"{where}: {label}: bit width {shown} is not an integer in 1..{MAX_BITS}"
            )
