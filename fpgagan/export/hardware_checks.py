"""What the hardware graph must be before it is converted: every op one the converter knows,
every quantizer one exact ``ap_fixed`` type (constant power-of-two scale, zero zero-point, an
integer width, a rounding mode ``ap_fixed`` has), every name a C identifier; and the input's
exact type.  Each refusal names the node.  Plain qonnx and numpy: the converter's list of ops is
passed in (this stage imports no hls4ml).
"""

from __future__ import annotations

import math
import re

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from fpgagan.errors import UnsupportedModelError
from fpgagan.export.names import node_label
from fpgagan.export.transforms.fold_batch_norm import fold_obstacle
from fpgagan.export.validate import MAX_HARDWARE_BITS, QUANT_OPS, is_power_of_two

# the Quant rounding modes that have an exact ap_fixed quantization mode
ROUNDING = {"ROUND": "RND_CONV", "FLOOR": "TRN"}
# hls4ml pastes node and tensor names into C++ as identifiers; qonnx's cleanup renames every node
# and tensor (OpType_N, OpType_N_outK, global_in), and this holds whatever a model file said
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_SKIPPED = {"Dropout", "Identity"}  # ops the converter drops


def _scalar(model: ModelWrapper, name: str) -> float | None:
    value = model.get_initializer(name)
    return None if value is None or value.size != 1 else float(value.reshape(-1)[0])


def check_supported(model: ModelWrapper, converter_ops: set[str]) -> None:
    """Refuse ops the converter cannot convert (``converter_ops``: hls4ml's ONNX ops, passed in
    by :func:`fpgagan.hls.convert.hardware_graph`) and quantizers that cannot be exact, naming
    the node."""
    supported = converter_ops | _SKIPPED
    for node in model.graph.node:
        if node.op_type == "BatchNormalization":
            raise UnsupportedModelError(
                f"BatchNormalization node {node_label(node)}: {fold_obstacle(model, node)}; "
                "fold batch-norm into the weights before quantization (as fpgagan's training "
                "does, fpgagan.models.fold_batch_norm) and export again"
            )
        if node.op_type == "BipolarQuant":
            raise UnsupportedModelError(
                f"BipolarQuant node {node_label(node)}: binary quantization is converted only for "
                "constant weights with a power-of-two scale"
            )
        if node.op_type not in supported:
            raise UnsupportedModelError(
                f"node {node_label(node)}: op {node.op_type} is not supported by hls4ml/fpgagan"
            )
        if node.op_type == "Conv":
            dilations = [a.ints for a in node.attribute if a.name == "dilations"]
            if dilations and any(d != 1 for d in dilations[0]):
                raise UnsupportedModelError(
                    f"Conv node {node_label(node)}: dilations={list(dilations[0])} is not supported "
                    "(hls4ml's convolutions are not dilated)"
                )
        if node.op_type in QUANT_OPS:
            _check_quant(model, node)
    _check_names(model)


def _check_names(model: ModelWrapper) -> None:
    """Every name hls4ml may paste into C++ is a plain identifier (unnamed nodes are fpgagan's
    own layout transposes, no user string)."""
    graph = model.graph
    names = [("node", n.name) for n in graph.node if n.name]
    names += [("tensor", t) for n in graph.node for t in [*n.input, *n.output] if t]
    names += [("tensor", v.name) for v in [*graph.input, *graph.output]]
    for kind, name in names:
        if not _IDENTIFIER.match(name):
            raise UnsupportedModelError(f"{kind} name {name[:60]!r} is not a C identifier")


def _check_quant(model: ModelWrapper, node) -> None:
    """A Quant node hls4ml maps to one exact ap_fixed type: constant power-of-two scale, zero
    zero-point, an integer bit width in 1..MAX_HARDWARE_BITS, an ap_fixed rounding mode."""
    where = f"{node.op_type} node {node_label(node)}"
    scale, zeropt, bits = (model.get_initializer(i) for i in node.input[1:4])
    if scale is None or zeropt is None or bits is None:
        raise UnsupportedModelError(f"{where}: scale, zero-point and bit width must be constants")
    if np.any(zeropt != 0):
        raise UnsupportedModelError(f"{where}: non-zero zero-point is not supported")
    if (
        bits.size != 1
        or not np.isfinite(bits).all()
        or not 1 <= float(bits.flat[0]) <= MAX_HARDWARE_BITS
    ):
        raise UnsupportedModelError(
            f"{where}: bit width {np.unique(bits)[:4].tolist()} is not one integer in 1..{MAX_HARDWARE_BITS}"
        )
    if float(bits.flat[0]) != int(bits.flat[0]):
        raise UnsupportedModelError(f"{where}: bit width {float(bits.flat[0])} is not an integer")
    if not is_power_of_two(scale):
        raise UnsupportedModelError(
            f"{where}: scale {np.unique(scale)[:4].tolist()} is not a power of two; "
            "use fixed-point (power-of-two) quantizers, e.g. Brevitas *FixedPoint"
        )
    attrs = {a.name: a for a in node.attribute}
    rounding = attrs["rounding_mode"].s.decode() if "rounding_mode" in attrs else "ROUND"
    if rounding.upper() not in ROUNDING:
        raise UnsupportedModelError(
            f"{where}: rounding_mode {rounding!r} has no exact ap_fixed type "
            f"(supported: {', '.join(ROUNDING)})"
        )
    signed = attrs["signed"].i if "signed" in attrs else 1
    narrow = attrs["narrow"].i if "narrow" in attrs else 0
    if narrow and not signed:
        raise UnsupportedModelError(f"{where}: narrow range is supported for signed types only")


def input_precision(model: ModelWrapper) -> str:
    """The hls4ml type of the graph input: that of the Quant node it feeds."""
    name = model.graph.input[0].name
    consumers = model.find_consumers(name) or []
    quants = [n for n in consumers if n.op_type in QUANT_OPS]
    if len(consumers) != 1 or not quants:
        raise UnsupportedModelError(
            f"graph input {name!r} must feed exactly one Quant node (an input quantizer such as Brevitas "
            "QuantIdentity); otherwise no input type reproduces the model exactly"
        )
    q = quants[0]
    _check_quant(model, q)
    attrs = {a.name: a for a in q.attribute}
    signed = bool(attrs["signed"].i) if "signed" in attrs else True
    narrow = bool(attrs["narrow"].i) if "narrow" in attrs else False
    rounding = attrs["rounding_mode"].s.decode().upper() if "rounding_mode" in attrs else "ROUND"
    scale = _scalar(model, q.input[1])
    bits = _scalar(model, q.input[3])
    if scale is None or bits is None:
        raise UnsupportedModelError(
            f"Quant node {node_label(q)}: per-channel input quantization is not supported"
        )
    frac = -int(round(math.log2(scale)))
    width = int(bits)
    integer = width - frac
    sat = "SAT_SYM" if narrow and signed else "SAT"
    kind = "fixed" if signed else "ufixed"
    return f"{kind}<{width},{integer},{ROUNDING[rounding]},{sat}>"
