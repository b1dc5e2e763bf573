"""``register()``: install everything fpgagan adds to qonnx and hls4ml, through their extension APIs.

Nothing in qonnx or hls4ml is patched: layers, the ONNX handler, passes, templates and HLS headers
are registered the way hls4ml's ``test_extensions.py`` shows.  Calling ``register()`` again is a
no-op.
"""

from __future__ import annotations

import threading
from importlib import resources
from pathlib import Path

import hls4ml
from hls4ml.converters.onnx_to_hls import layer_handlers, register_onnx_layer_handler
from hls4ml.model.flow import get_flow, update_flow
from hls4ml.model.layers import register_layer
from hls4ml.model.optimizer import get_available_passes, register_pass

from fpgagan.boards import BACKENDS
from fpgagan.export.ops import register_qonnx_ops
from fpgagan.hls.engine_layers import ENGINE_LAYERS
from fpgagan.hls.handlers import SPATIAL_HANDLERS, parse_conv_transpose_layer
from fpgagan.hls.layers import Conv2DTranspose, ConvTranspose
from fpgagan.hls.passes.conv_transpose_precision import InferConvTransposePrecision
from fpgagan.hls.passes.conv_transpose_to_2d import ConvTransposeToConv2DTranspose
from fpgagan.hls.passes.fifo_depths import SetFifoDepths
from fpgagan.hls.passes.fuse_activation import FuseOutputActivation
from fpgagan.hls.passes.pixel_output import DensePixelOutput
from fpgagan.hls.passes.reshape_stream import ReshapeToRepackStream
from fpgagan.hls.passes.spatial_precision import CopyInputPrecision
from fpgagan.hls.passes.tighten_bias import TightenBiasPrecision
from fpgagan.hls.passes.to_engine import ToEngine
from fpgagan.hls.passes.write_roms import WriteEngineRoms
from fpgagan.hls.spatial_layers import SPATIAL_LAYERS
from fpgagan.hls.spatial_templates import SpatialConfigTemplate, SpatialFunctionTemplate
from fpgagan.hls.templates import EngineConfigTemplate, EngineFunctionTemplate

# hls4ml backends whose flows render fpgagan's layers (boards.BACKENDS).  Vitis runs the Vivado
# template flow ('vivado:apply_templates'), so templates are registered with Vivado; every
# backend writes its own copy of the headers, so sources are registered with each.  The shell's
# header (nnet_fg_axis.h) is written by fpgagan.shell.top, into shell projects only.
HEADERS = ("nnet_fg_engine.h", "nnet_fg_layers.h", "nnet_fg_spatial.h", "nnet_fg_offchip.h")

# (pass name, class, flow, pass it must precede or None)
MODEL_PASSES = (
    ("fpgagan_conv_transpose_to_2d", ConvTransposeToConv2DTranspose, "parse_qonnx", None),
    # both must run before hls4ml's infer_precision_types, which sizes accumulators from bias types
    ("fpgagan_tighten_bias", TightenBiasPrecision, "convert", "infer_precision_types"),
    ("fpgagan_copy_input_precision", CopyInputPrecision, "convert", "infer_precision_types"),
    (
        "fpgagan_infer_conv_transpose_precision",
        InferConvTransposePrecision,
        "convert",
        "infer_precision_types",
    ),
    # once every type is known: the generator head streams pixels, every compute layer becomes
    # an engine layer, and the engine absorbs the ReLU / quantizing activation after it
    ("fpgagan_pixel_output", DensePixelOutput, "convert", None),
    ("fpgagan_to_engine", ToEngine, "convert", None),
    ("fpgagan_fuse_activation", FuseOutputActivation, "convert", None),
)
# (pass name, class, pass of the backend's write flow it must precede or None)
WRITE_PASSES = (
    ("fpgagan_fifo_depths", SetFifoDepths, "write_hls"),
    ("fpgagan_write_roms", WriteEngineRoms, None),
)

# (pass name, class, flow, pass it must precede) registered with the Vivado backend
VIVADO_PASSES = (
    ("fpgagan_reshape_stream", ReshapeToRepackStream, "vivado:streaming", "vivado:reshape_stream"),
)

_lock = threading.Lock()
_done = False


def header_dir() -> Path:
    """Folder holding fpgagan's HLS headers (``hls_templates/nnet_utils``, shipped as package data)."""
    return Path(str(resources.files("fpgagan.hls_templates").joinpath("nnet_utils")))


def _insert_before(flow_name: str, opt_name: str, before: str | None) -> None:
    flow = get_flow(flow_name)
    if opt_name in flow.optimizers:
        return
    if before is None or before not in flow.optimizers:
        update_flow(flow_name, add_optimizers=[opt_name])
        return
    tail = flow.optimizers[flow.optimizers.index(before) :]
    update_flow(flow_name, remove_optimizers=tail)
    update_flow(flow_name, add_optimizers=[opt_name, *tail])


def register() -> None:
    """Register fpgagan's qonnx ops and hls4ml extensions (idempotent, thread-safe)."""
    global _done
    with _lock:
        if _done:
            return
        register_qonnx_ops()
        register_layer("ConvTranspose", ConvTranspose)
        register_layer("Conv2DTranspose", Conv2DTranspose)
        for cls in (*ENGINE_LAYERS, *SPATIAL_LAYERS):
            register_layer(cls.__name__, cls)
        for op_type, handler in {
            "ConvTranspose": parse_conv_transpose_layer,
            **SPATIAL_HANDLERS,
        }.items():
            if layer_handlers.get(op_type) is not handler:
                if op_type in layer_handlers:
                    raise RuntimeError(
                        f"another package registered an hls4ml ONNX handler for {op_type}"
                    )
                register_onnx_layer_handler(op_type, handler)
        for name, cls, flow, before in MODEL_PASSES:
            if name not in get_available_passes():
                register_pass(name, cls)
            _insert_before(flow, name, before)
        vivado = hls4ml.backends.get_backend("Vivado")
        for name, cls, flow, before in VIVADO_PASSES:
            if f"vivado:{name}" not in get_available_passes():
                vivado.register_pass(name, cls)
            _insert_before(flow, f"vivado:{name}", before)
        for name, cls, before in WRITE_PASSES:
            if name not in get_available_passes():
                register_pass(name, cls)
            for backend_name in BACKENDS:
                prefix = backend_name.lower()
                _insert_before(f"{prefix}:write", name, before and f"{prefix}:{before}")
        for template in (
            EngineConfigTemplate,
            EngineFunctionTemplate,
            SpatialConfigTemplate,
            SpatialFunctionTemplate,
        ):
            if f"vivado:{template().get_name()}" not in get_available_passes():
                vivado.register_template(template)
        for backend_name in BACKENDS:
            backend = hls4ml.backends.get_backend(backend_name)
            registered = (
                {Path(p).name for p in backend.get_custom_source().values()}
                if backend.get_custom_source()
                else set()
            )
            for header in HEADERS:
                if header not in registered:
                    backend.register_source(header_dir() / header)
        _done = True
