"""QONNX model -> hls4ml model, with the types that make the C simulation bit-exact.

- The input type equals the type of the Quant node the graph input feeds (width, integer bits,
  rounding and saturation), so the latent is rounded once, exactly as qonnx does, instead of being
  truncated to hls4ml's default ``fixed<16,6>`` first and rounded again.
- Weights, biases and activations take their types from their QONNX Quant nodes; fpgagan's layers
  size their accumulators exactly (:mod:`fpgagan.hw.fixed_point`).
- Non-power-of-two scales and non-zero zero-points are refused: hls4ml would insert ApplyAlpha
  rescaling whose result depends on the default precision.  So are bit widths outside 1..32,
  batch-norm that could not be folded exactly (hls4ml would compute it at its default precision)
  and binary quantizers that could not be rewritten exactly (:mod:`fpgagan.export.hardware_checks`).
- Nothing a user wrote reaches the project's Tcl: the part must look like a part number and the
  clock must be finite and positive (:class:`fpgagan.hw.options.HlsOptions`).
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import hls4ml
from hls4ml.converters.onnx_to_hls import get_supported_onnx_layers
from qonnx.core.modelwrapper import ModelWrapper

from fpgagan.export import clean_for_hls
from fpgagan.export.hardware_checks import check_supported, input_precision
from fpgagan.export.host_layout import HostLayout, host_layout
from fpgagan.hls.register import register
from fpgagan.hw.options import HlsOptions  # re-exported: callers build options here


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
