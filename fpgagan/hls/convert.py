"""QONNX model -> hls4ml model, with the types that make the C simulation bit-exact.

- The input type equals the type of the Quant node the graph input feeds (width, integer bits,
  rounding and saturation), so the latent is rounded once, exactly as qonnx does, instead of being
  truncated to hls4ml's default ``fixed<16,6>`` first and rounded again.
- Weights, biases and activations take their types from their QONNX Quant nodes; fpgagan's layers
  size their accumulators exactly (:mod:`fpgagan.hls.fixed_point`).
- Non-power-of-two scales and non-zero zero-points are refused: hls4ml would insert ApplyAlpha
  rescaling whose result depends on the default precision.  So are bit widths outside 1..32,
  batch-norm that could not be folded exactly (hls4ml would compute it at its default precision)
  and binary quantizers that could not be rewritten exactly.
- Nothing a user wrote reaches the project's Tcl: the part must look like a part number and the
  clock must be finite and positive.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import numbers
import re
from pathlib import Path

import hls4ml
import numpy as np
from hls4ml.converters.onnx_to_hls import get_supported_onnx_layers
from qonnx.core.modelwrapper import ModelWrapper

from fpgagan.boards import (
    BACKENDS,
    IO_TYPES,
    STRATEGIES,
    IoType,
    Strategy,
    check_part,
)
from fpgagan.config import TriState
from fpgagan.errors import UnsupportedModelError
from fpgagan.export import clean_for_hls
from fpgagan.export.host_layout import HostLayout, host_layout
from fpgagan.export.names import node_label
from fpgagan.export.transforms.fold_batch_norm import fold_obstacle
from fpgagan.export.validate import MAX_HARDWARE_BITS, QUANT_OPS, is_power_of_two
from fpgagan.hls.register import register
from fpgagan.hw.sparsity import DEFAULT_SPARSITY_THRESHOLD

# qonnx rounding modes hls4ml's Quant handling converts, and the ap_fixed mode of each
_ROUNDING = {"ROUND": "RND_CONV", "FLOOR": "TRN"}
# hls4ml pastes node and tensor names into C++ as identifiers; qonnx's cleanup renames every node
# and tensor (OpType_N, OpType_N_outK, global_in), and this holds whatever a model file said
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_SKIPPED = {"Dropout", "Identity"}


@dataclasses.dataclass(frozen=True)
class HlsOptions:
    """How to build the HLS model (what ``fpgagan csim`` exposes)."""

    io_type: IoType = "io_parallel"
    strategy: Strategy = "latency"
    reuse_factor: int = 1
    backend: str = "Vitis"
    part: str | None = None
    clock_period: float | None = None
    # per layer (hls4ml or ONNX node name): engine settings of a board plan, see LAYER_KEYS
    layer_config: dict[str, dict[str, object]] = dataclasses.field(default_factory=dict)
    sparse: TriState = TriState.AUTO  # sparse schedule for sparse-enough layers
    sparsity_threshold: float = DEFAULT_SPARSITY_THRESHOLD
    # codebook kernel for layers with at most 16 distinct weights (auto: where indices are narrower)
    codebook: TriState = TriState.AUTO

    def __post_init__(self) -> None:
        for name in ("sparse", "codebook"):
            try:
                object.__setattr__(self, name, TriState.parse(getattr(self, name), name))
            except ValueError as exc:
                raise UnsupportedModelError(str(exc)) from None
        if self.io_type not in IO_TYPES:
            raise UnsupportedModelError(
                f"io_type must be io_parallel or io_stream, got {self.io_type!r}"
            )
        if self.strategy not in STRATEGIES:
            raise UnsupportedModelError(
                f"strategy must be latency or resource, got {self.strategy!r}"
            )
        if self.reuse_factor < 1:
            raise UnsupportedModelError(f"reuse_factor must be >= 1, got {self.reuse_factor}")
        if self.backend not in BACKENDS:
            raise UnsupportedModelError(
                f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}"
            )
        self._check_target()

    def _check_target(self) -> None:
        """Part, clock and reuse factors, before hls4ml writes them into Tcl and C++."""
        try:
            if self.part is not None:
                check_part(self.part)
            if self.clock_period is not None and not (
                isinstance(self.clock_period, int | float)
                and math.isfinite(self.clock_period)
                and self.clock_period > 0
            ):
                raise ValueError(
                    f"clock period must be finite and positive, got {self.clock_period}"
                )
        except ValueError as exc:
            raise UnsupportedModelError(str(exc)) from None
        for name, settings in self.layer_config.items():
            for key, value in settings.items():
                _check_layer_setting(name, key, value)


# the per-layer settings fpgagan's engine reads (hls4ml layer config keys): the smallest integer
# allowed, or the allowed strings
LAYER_KEYS: dict[str, int | tuple[str, ...] | type[TriState]] = {
    "ReuseFactor": 1,
    "ParallelOutputs": 1,
    "ParallelInputs": 1,
    "DspColumns": 0,
    "DspPacking": 1,
    "FifoDepth": 1,
    "RomStorage": ("auto", "bram", "ddr"),
    "Sparse": TriState,
    "Codebook": TriState,
}


def _check_layer_setting(layer: str, key: str, value: object) -> None:
    rule = LAYER_KEYS.get(key)
    if rule is None:
        raise UnsupportedModelError(
            f"layer {layer!r}: unknown setting {key!r} (known: {', '.join(LAYER_KEYS)})"
        )
    if rule is TriState:
        try:
            TriState.parse(value, key)
        except ValueError as exc:
            raise UnsupportedModelError(f"layer {layer!r}: {exc}") from None
    elif isinstance(rule, tuple):
        if value not in rule:
            raise UnsupportedModelError(
                f"layer {layer!r}: {key} must be one of {rule}, got {value!r}"
            )
    elif key == "FifoDepth" and isinstance(value, list | tuple):
        for v in value:
            _check_layer_setting(layer, key, v)
    elif isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < rule:
        raise UnsupportedModelError(
            f"layer {layer!r}: {key} must be an integer >= {rule}, got {value!r}"
        )


def _scalar(model: ModelWrapper, name: str) -> float | None:
    value = model.get_initializer(name)
    return None if value is None or value.size != 1 else float(value.reshape(-1)[0])


def check_supported(model: ModelWrapper) -> None:
    """Refuse ops hls4ml cannot convert and quantizers that cannot be exact, naming the node."""
    supported = set(get_supported_onnx_layers()) | _SKIPPED
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
    if rounding.upper() not in _ROUNDING:
        raise UnsupportedModelError(
            f"{where}: rounding_mode {rounding!r} has no exact ap_fixed type "
            f"(supported: {', '.join(_ROUNDING)})"
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
    return f"{kind}<{width},{integer},{_ROUNDING[rounding]},{sat}>"


def hls_config(model: ModelWrapper, opts: HlsOptions) -> dict:
    """The hls4ml configuration dict for ``model`` (name granularity)."""
    cfg = hls4ml.utils.config.config_from_onnx_model(
        model.model,
        granularity="name",
        backend=opts.backend,
        default_precision="fixed<16,6>",
        default_reuse_factor=opts.reuse_factor,
    )
    cfg["Model"]["Strategy"] = opts.strategy.capitalize()
    cfg["Model"]["ReuseFactor"] = opts.reuse_factor
    layers = cfg.setdefault("LayerName", {})
    layers.setdefault(model.graph.input[0].name, {})["Precision"] = input_precision(model)
    used = set()
    for name, layer in layers.items():
        layer["Trace"] = True  # costs nothing until hls4ml trace() recompiles with tracing on
        layer["ReuseFactor"] = opts.reuse_factor
        layer["Strategy"] = opts.strategy.capitalize()
        layer["Sparse"] = opts.sparse.value
        layer["SparsityThreshold"] = opts.sparsity_threshold
        layer["Codebook"] = opts.codebook.value
        given = _layer_settings(name, opts)
        if given is not None:
            used.add(given[0])
            layer.update(given[1])
    # layers hls4ml makes during conversion (the Clone of a stream that feeds two layers) are
    # configured by the name they will have
    for name, settings in opts.layer_config.items():
        if name not in used:
            layers.setdefault(name, {}).update(settings)
    return cfg


def _layer_settings(onnx_name: str, opts: HlsOptions) -> tuple[str, dict[str, object]] | None:
    """(name, settings) given for a layer, by its ONNX node name or the name hls4ml gives the
    layer it converts it to (``<Class>_<ONNX node name>``, the class one word)."""
    for name, settings in opts.layer_config.items():
        head, _, tail = name.partition("_")
        # hls4ml's class names are capitalised; its own layers (clone_<name>) are not matched
        if name == onnx_name or (tail == onnx_name and head.isalnum() and head[:1].isupper()):
            return name, dict(settings)
    return None


def hardware_graph(model: ModelWrapper) -> tuple[ModelWrapper, HostLayout]:
    """The graph the FPGA computes: cleaned, channels-last, boundary transposes moved to the host."""
    register()
    model, layout = host_layout(clean_for_hls(model))
    check_supported(model)
    return model, layout


def convert(
    model: ModelWrapper, output_dir: str | Path, opts: HlsOptions, log: io.StringIO | None = None
):
    """Convert a hardware graph (see :func:`hardware_graph`) to an hls4ml ``ModelGraph``."""
    register()
    kwargs = {}
    if opts.part:
        kwargs["part"] = opts.part
    if opts.clock_period:
        kwargs["clock_period"] = opts.clock_period
    sink = log if log is not None else io.StringIO()
    with contextlib.redirect_stdout(sink):  # hls4ml prints every layer
        cfg = hls_config(model, opts)
        return hls4ml.converters.convert_from_onnx_model(
            model.model,
            output_dir=str(output_dir),
            backend=opts.backend,
            io_type=opts.io_type,
            hls_config=cfg,
            **kwargs,
        )
