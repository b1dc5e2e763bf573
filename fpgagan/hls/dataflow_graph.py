"""The dataflow graph of a converted hls4ml model (:class:`fpgagan.hw.dataflow.Dataflow`): every
process the generated project instantiates and every stream between them, and the
:class:`~fpgagan.hw.dataflow.Stage` (schedule and hardware) of each process that is not an engine
layer, read from its hls4ml layer and counted by :mod:`fpgagan.hw.stages`.
"""

from __future__ import annotations

import numpy as np

from fpgagan.errors import UnsupportedModelError
from fpgagan.hls.engine_layers import EngineLayer
from fpgagan.hls.spatial_layers import FgDepthToSpace, FgPad, FgUpsample, SpatialLayer
from fpgagan.hw.dataflow import MERGES, NOT_PROCESSES, Dataflow, HostStream, Stage
from fpgagan.hw.stages import (
    FixedWidth,
    SpatialShape,
    activation_stage,
    merge_stage,
    pad_ops,
    repeat_ops,
    spatial_stage,
)


def extract(model) -> Dataflow:
    """The dataflow graph of a converted hls4ml model (its layers are in topological order)."""
    layers = [x for x in model.get_layers() if x.class_name not in NOT_PROCESSES]
    index = {x.name: i for i, x in enumerate(layers)}
    producer = {out: (x.name, k) for x in layers for k, out in enumerate(x.outputs)}
    stages, edges, widths, outputs = [], [], [], []
    for i, x in enumerate(layers):
        if not isinstance(x, EngineLayer):
            stages.append(stage_of(x))
        for name in x.inputs:
            if name not in producer:
                continue  # the graph input (or a constant): the host feeds it
            src, k = producer[name]
            var = _variable(model, name)
            edges.append((index[src], i))
            widths.append(_element_bits(var))
            outputs.append(k)
    return Dataflow(
        tuple(x.name for x in layers),
        tuple(stages),
        tuple(edges),
        tuple(widths),
        tuple(outputs),
        host_in=_host_stream(model.get_input_variables()[0]),
        host_out=_host_stream(model.get_output_variables()[0]),
    )


def _host_stream(var) -> HostStream:
    """The graph's input or output as the shell moves it (a stream element: the last axis)."""
    shape = [int(d) for d in var.shape]
    return HostStream(int(np.prod(shape)), int(var.type.precision.width), shape[-1])


def _variable(model, tensor: str):
    for x in model.get_layers():
        if tensor in x.outputs:
            return x.get_output_variable(tensor)
    raise KeyError(tensor)


def _element_bits(var) -> int:
    """Bits of one stream element: a pixel's channels."""
    return int(var.shape[-1]) * int(var.type.precision.width)


def stage_of(layer) -> Stage:
    """The :class:`Stage` of a non-engine hls4ml layer (:mod:`fpgagan.hw.stages`), or an error
    naming it."""
    if isinstance(layer, SpatialLayer):
        return _spatial_stage(layer)
    out = layer.get_output_variable()
    n_pix, chans = int(np.prod(out.shape[:-1])), int(out.shape[-1])
    if layer.class_name == "Activation":
        act = str(layer.get_attr("activation", "")).lower()
        src = layer.get_input_variable().type.precision
        dst = out.type.precision
        return activation_stage(layer.name, act, _fixed(src), _fixed(dst), n_pix, chans)
    kind = MERGES.get(layer.class_name)
    if kind is None:
        raise UnsupportedModelError(
            f"layer {layer.name} ({layer.class_name}): no cost model for this layer; fpgagan "
            "counts the engine layers, upsample / depth-to-space / pad, Concatenate, Add, Clone "
            "and linear / ReLU activations"
        )
    if kind == "add" and layer.get_attr("op", "add").lower() != "add":
        raise UnsupportedModelError(
            f"layer {layer.name}: merge op {layer.get_attr('op')} has no cost model (only add)"
        )
    return merge_stage(layer.name, kind, n_pix, chans, int(out.type.precision.width))


def _fixed(precision) -> FixedWidth:
    return FixedWidth(int(precision.width), int(precision.integer), bool(precision.signed))


def _spatial_stage(layer: SpatialLayer) -> Stage:
    g = layer.get_attr
    s = SpatialShape(
        g("in_height"),
        g("in_width"),
        g("n_chan"),
        g("out_height"),
        g("out_width"),
        g("n_out"),
        int(layer.get_output_variable().type.precision.width),
        layer.buffer_rows(),
    )
    if isinstance(layer, FgUpsample):
        ops = repeat_ops(s, g("scale_h"))
    elif isinstance(layer, FgDepthToSpace):
        ops = repeat_ops(s, g("block"))
    elif isinstance(layer, FgPad):
        ops = pad_ops(s, g("pad_top"), g("mode"))
    else:  # pragma: no cover - every SpatialLayer class is handled above
        raise UnsupportedModelError(f"layer {layer.name}: unknown data-movement layer")
    return spatial_stage(layer.name, layer.class_name, s, ops)
