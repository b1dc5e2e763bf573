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
from fpgagan.export.hardware_checks import check_supported, input_precision
from fpgagan.export.host_layout import HostLayout, host_layout
from fpgagan.hls.register import register
from fpgagan.hw.sparsity import DEFAULT_SPARSITY_THRESHOLD

# qonnx rounding modes hls4ml's Quant handling converts, and the ap_fixed mode of each
# hls4ml pastes node and tensor names into C++ as identifiers; qonnx's cleanup renames every node
# and tensor (OpType_N, OpType_N_outK, global_in), and this holds whatever a model file said
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


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
    check_supported(model, set(get_supported_onnx_layers()))
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
