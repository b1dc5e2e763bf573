"""The dataflow graph of a converted hls4ml model (:class:`fpgagan.hw.dataflow.Dataflow`): every
process the generated project instantiates and every stream between them, and the
:class:`~fpgagan.hw.dataflow.Stage` (schedule and hardware) of each process that is not an engine
layer, read from its hls4ml layer.
"""

from __future__ import annotations

import numpy as np

from fpgagan.errors import UnsupportedModelError
from fpgagan.hls.engine_layers import EngineLayer
from fpgagan.hls.spatial_layers import FgDepthToSpace, FgPad, FgUpsample, SpatialLayer
from fpgagan.hw import unit_costs as U
from fpgagan.hw.cost import Item, Res
from fpgagan.hw.dataflow import MERGES, NOT_PROCESSES, SPATIAL_DEPTH, Dataflow, Op, Stage
from fpgagan.hw.storage import choose


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
        tuple(x.name for x in layers), tuple(stages), tuple(edges), tuple(widths), tuple(outputs)
    )


def _variable(model, tensor: str):
    for x in model.get_layers():
        if tensor in x.outputs:
            return x.get_output_variable(tensor)
    raise KeyError(tensor)


def _element_bits(var) -> int:
    """Bits of one stream element: a pixel's channels."""
    return int(var.shape[-1]) * int(var.type.precision.width)


def _bits(n: int) -> int:
    return max(1, (max(1, int(n)) - 1).bit_length())


def _counter(what: str, count: int, bound: int) -> Item:
    u = U.counter(_bits(bound))
    return Item(what, count, Res.of_unit(u), f"yosys: {u.source}")


def _register(what: str, bits: int) -> Item:
    return Item(what, 1, Res(ff=float(bits)), "formula: 1 FF per bit")


def stage_of(layer) -> Stage:
    """The :class:`Stage` of a non-engine hls4ml layer, or an error naming it."""
    if isinstance(layer, SpatialLayer):
        return _spatial_stage(layer)
    if layer.class_name == "Activation":
        return _activation_stage(layer)
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
    out = layer.get_output_variable()
    n_pix = int(np.prod(out.shape[:-1]))
    chans = int(out.shape[-1])
    bits = int(out.type.precision.width)
    items = [
        _counter("pixel counter", 1, n_pix),
        _register("output register (one pixel)", chans * bits),
    ]
    if kind == "add":
        u = U.adder_tree(2, bits, pipelined=False)
        items.append(Item("two-input adder", chans, Res.of_unit(u), f"yosys: {u.source}"))
    return Stage(layer.name, kind, (("pass", n_pix),), n_pix, n_pix, tuple(items))


def _activation_stage(layer) -> Stage:
    """A quantizer (linear: round and saturate to the output type) or ReLU on its own, one
    output unit per channel (e.g. after an Add, where no engine layer can absorb it)."""
    act = str(layer.get_attr("activation", "")).lower()
    if act not in ("linear", "relu"):
        raise UnsupportedModelError(
            f"layer {layer.name}: activation {act!r} has no cost model (linear and relu have)"
        )
    src = layer.get_input_variable().type.precision
    out = layer.get_output_variable()
    dst = out.type.precision
    n_pix, chans = int(np.prod(out.shape[:-1])), int(out.shape[-1])
    kind = "relu_u" if act == "relu" or not dst.signed else "linear_s"
    frac = max(0, (src.width - src.integer) - (dst.width - dst.integer))
    u = U.output_unit(kind, src.width, dst.width, frac)
    items = (
        Item(f"output unit ({kind})", chans, Res.of_unit(u), f"yosys: {u.source}"),
        _counter("pixel counter", 1, n_pix),
        _register("output register (one pixel)", chans * dst.width),
    )
    return Stage(layer.name, f"activation ({act})", (("pass", n_pix),), n_pix, n_pix, items)


def _spatial_stage(layer: SpatialLayer) -> Stage:
    g = layer.get_attr
    h, w, c = g("in_height"), g("in_width"), g("n_chan")
    oh, ow, oc = g("out_height"), g("out_width"), g("n_out")
    bits = int(layer.get_output_variable().type.precision.width)
    rows = layer.buffer_rows()
    mem = choose(f"{layer.name} row buffer", rows * w, c * bits, rom=False)
    items = (
        Item(f"row buffer {mem.depth}x{mem.width} ({mem.impl})", 1, Res.of_memory(mem), mem.source),
        _counter("row, column and repeat counters", 3, max(oh, ow)),
        _register("output register (one pixel)", oc * bits),
    )
    ops: list[Op] = []
    if isinstance(layer, FgUpsample | FgDepthToSpace):
        repeat = g("scale_h") if isinstance(layer, FgUpsample) else g("block")
        for _ in range(h):
            ops += [("read", w)] + [("emit", ow)] * repeat
    elif isinstance(layer, FgPad):
        ops = _pad_ops(layer)
    else:  # pragma: no cover - every SpatialLayer class is handled above
        raise UnsupportedModelError(f"layer {layer.name}: unknown data-movement layer")
    ops.append(("compute", SPATIAL_DEPTH))
    return Stage(layer.name, layer.class_name, tuple(ops), h * w, oh * ow, items)


def _pad_ops(layer: FgPad) -> list[Op]:
    """The io_stream schedule of ``nnet::fg::pad``: every output row as soon as its source row is
    in (zero rows above the image at once, below it after the last row), else the next input row
    (``pad_map::ready``)."""
    g = layer.get_attr
    h, w, ow, oh = g("in_height"), g("in_width"), g("out_width"), g("out_height")
    top, mode = g("pad_top"), g("mode")

    def source(o: int) -> int:
        i = o - top
        if 0 <= i < h:
            return i
        if mode == "constant":
            return -1
        if mode == "edge":
            return 0 if i < 0 else h - 1
        return -i if i < 0 else 2 * (h - 1) - i

    def ready(o: int, rows_in: int) -> bool:
        src = source(o)
        return rows_in == h or (src < rows_in if src >= 0 else o < top)

    ops: list[Op] = []
    nxt = 0
    for rows_in in range(h + 1):
        while nxt < oh and ready(nxt, rows_in):
            ops.append(("emit", ow))
            nxt += 1
        if rows_in < h:
            ops.append(("read", w))
    return ops
