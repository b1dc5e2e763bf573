"""QONNX model -> hls4ml model, with the types that make the C simulation bit-exact.

- The input type equals the type of the Quant node the graph input feeds (width, integer bits,
  rounding and saturation), so the latent is rounded once, exactly as qonnx does, instead of being
  truncated to hls4ml's default ``fixed<16,6>`` first and rounded again.
- Weights, biases and activations take their types from their QONNX Quant nodes; fpgagan's layers
  size their accumulators exactly (:mod:`fpgagan.hls.fixed_point`).
- Non-power-of-two scales and non-zero zero-points are refused: hls4ml would insert ApplyAlpha
  rescaling whose result depends on the default precision.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
from pathlib import Path
from typing import Literal

import hls4ml
import numpy as np
from hls4ml.converters.onnx_to_hls import get_supported_onnx_layers
from qonnx.core.modelwrapper import ModelWrapper

from fpgagan.errors import UnsupportedModelError
from fpgagan.export import clean_for_hls
from fpgagan.export.names import node_label
from fpgagan.hls.layout import HostLayout, host_layout
from fpgagan.hls.register import register

IoType = Literal["io_parallel", "io_stream"]
Strategy = Literal["latency", "resource"]
BACKENDS = ("Vivado", "Vitis", "VivadoAccelerator")
_ROUNDING = {"ROUND": "RND_CONV", "FLOOR": "TRN", "ROUND_TO_ZERO": "TRN_ZERO"}
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
    board: str | None = None  # VivadoAccelerator board name (block design, driver)
    interface: str | None = None  # VivadoAccelerator host interface, e.g. axi_stream
    layer_reuse: dict[str, int] = dataclasses.field(default_factory=dict)  # hls4ml layer name -> RF
    sparse: Literal["auto", "true", "false"] = "auto"  # sparse kernels for sparse-enough layers
    sparsity_threshold: float = 0.5

    def __post_init__(self) -> None:
        if self.io_type not in ("io_parallel", "io_stream"):
            raise UnsupportedModelError(
                f"io_type must be io_parallel or io_stream, got {self.io_type!r}"
            )
        if self.strategy not in ("latency", "resource"):
            raise UnsupportedModelError(
                f"strategy must be latency or resource, got {self.strategy!r}"
            )
        if self.reuse_factor < 1:
            raise UnsupportedModelError(f"reuse_factor must be >= 1, got {self.reuse_factor}")
        if self.backend not in BACKENDS:
            raise UnsupportedModelError(
                f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}"
            )


def _scalar(model: ModelWrapper, name: str) -> float | None:
    value = model.get_initializer(name)
    return None if value is None or value.size != 1 else float(value.reshape(-1)[0])


def check_supported(model: ModelWrapper) -> None:
    """Refuse ops hls4ml cannot convert and quantizers that cannot be exact, naming the node."""
    supported = set(get_supported_onnx_layers()) | _SKIPPED
    for node in model.graph.node:
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
        if node.op_type != "Quant":
            continue
        scale = model.get_initializer(node.input[1])
        zeropt = model.get_initializer(node.input[2])
        if scale is None or zeropt is None:
            raise UnsupportedModelError(
                f"Quant node {node_label(node)}: scale and zero-point must be constants"
            )
        if np.any(zeropt != 0):
            raise UnsupportedModelError(
                f"Quant node {node_label(node)}: non-zero zero-point is not supported"
            )
        mantissa, _ = np.frexp(scale)
        if np.any(scale <= 0) or np.any(mantissa != 0.5):
            raise UnsupportedModelError(
                f"Quant node {node_label(node)}: scale {np.unique(scale)[:4].tolist()} is not a power of two; "
                "use fixed-point (power-of-two) quantizers, e.g. Brevitas *FixedPoint"
            )


def input_precision(model: ModelWrapper) -> str:
    """The hls4ml type of the graph input: that of the Quant node it feeds."""
    name = model.graph.input[0].name
    consumers = model.find_consumers(name) or []
    quants = [n for n in consumers if n.op_type == "Quant"]
    if len(consumers) != 1 or not quants:
        raise UnsupportedModelError(
            f"graph input {name!r} must feed exactly one Quant node (an input quantizer such as Brevitas "
            "QuantIdentity); otherwise no input type reproduces the model exactly"
        )
    q = quants[0]
    attrs = {a.name: a for a in q.attribute}
    signed = bool(attrs["signed"].i) if "signed" in attrs else True
    narrow = bool(attrs["narrow"].i) if "narrow" in attrs else False
    rounding = attrs["rounding_mode"].s.decode() if "rounding_mode" in attrs else "ROUND"
    if rounding not in _ROUNDING:
        raise UnsupportedModelError(
            f"Quant node {node_label(q)}: rounding_mode {rounding} is not supported"
        )
    scale = _scalar(model, q.input[1])
    bits = _scalar(model, q.input[3])
    if scale is None or bits is None:
        raise UnsupportedModelError(
            f"Quant node {node_label(q)}: per-channel input quantization is not supported"
        )
    frac = -int(round(math.log2(scale)))
    width = int(bits)
    integer = width - frac if signed else width - frac
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
    for name, layer in layers.items():
        layer["Trace"] = True  # costs nothing until hls4ml trace() recompiles with tracing on
        layer["ReuseFactor"] = _layer_reuse(name, opts)
        layer["Strategy"] = opts.strategy.capitalize()
        layer.setdefault("Sparse", opts.sparse)
        layer.setdefault("SparsityThreshold", opts.sparsity_threshold)
    return cfg


def _layer_reuse(onnx_name: str, opts: HlsOptions) -> int:
    """Per-layer reuse factor; hls4ml names a converted layer ``<Class>_<ONNX node name>``."""
    for hls_name, rf in opts.layer_reuse.items():
        if hls_name == onnx_name or hls_name.endswith("_" + onnx_name):
            return rf
    return opts.reuse_factor


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
    if opts.backend == "VivadoAccelerator":
        kwargs["board"] = opts.board or "pynq-z2"
        kwargs["interface"] = opts.interface or "axi_stream"
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
