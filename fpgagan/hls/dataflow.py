"""The design as a dataflow graph: every process the generated project instantiates (engine
layers, data-movement layers, merges, stream clones) and every stream between them.

A chain of engine layers (the DCGAN generators) is the simple case; a U-Net has skip
connections: hls4ml clones a stream that feeds two layers (io_stream) and joins two streams in a
Concatenate or an elementwise Add.  :func:`extract` reads the graph from a converted hls4ml model.
An engine layer's schedule is :func:`process` (what ``nnet_fg_layers.h`` does per image); each
non-engine process becomes a :class:`Stage` with its per-image schedule (for the pipeline
simulation of :mod:`fpgagan.hls.fifo`) and the hardware it instantiates (for the cost model):

- ``upsample`` / ``depth_to_space`` / ``pad`` (``nnet_fg_spatial.h``): a row buffer (one word
  per pixel: ``n_chan`` values, the array is reshaped by ``n_chan``), three loop counters, the
  output register; io_stream: reads a row, then writes the output rows it completes, one pixel
  per cycle;
- ``concat`` / ``add`` / ``clone`` (hls4ml's ``nnet_merge_stream.h`` / ``nnet_stream.h``): one
  pixel per cycle from every input to every output, a loop counter, the output register and,
  for ``add``, one two-input adder per channel;
- an ``Activation`` that no engine layer absorbed (the output quantizer after a residual Add):
  one pixel per cycle, one output unit (round / saturate, or ReLU) per channel.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from fpgagan.errors import UnsupportedModelError
from fpgagan.hls import unit_costs as U
from fpgagan.hls.cost import Item, Res, layer_cycles
from fpgagan.hls.engine_layers import EngineLayer, EngineShape
from fpgagan.hls.spatial_layers import FgDepthToSpace, FgPad, FgUpsample, SpatialLayer
from fpgagan.hls.storage import choose

Op = tuple[str, int]
# hls4ml layers that are no process of their own (the graph input is the host's stream)
NOT_PROCESSES = ("Input",)
MERGES = {"Concatenate": "concat", "Merge": "add", "Clone": "clone"}
# pipeline depth of a data-movement layer's one loop (nnet_fg_spatial.h): the row buffer's read
# and the output register; it drains once per image
SPATIAL_DEPTH = 2


@dataclasses.dataclass(frozen=True)
class Process:
    """One process's per-image schedule: ``ops`` is a list of ("read", n) / ("compute", cycles) /
    ("write", n) / ("emit", n) / ("pass", n), with n elements or cycles (their timing is
    :func:`fpgagan.hls.fifo.simulate`'s); writes go to every stream leaving the process."""

    name: str
    ops: tuple[tuple[str, int], ...]
    reads: int  # input elements per image
    writes: int  # output elements per image


def _rows_ready(s: EngineShape, ih: int) -> int:
    """Output rows complete once input row ``ih`` is in (``rows_ready`` of nnet_fg_layers.h)."""
    if ih + 1 == s.in_height:
        return s.out_height
    if s.geometry.kind == "conv_transpose":
        return max(0, min(s.out_height, (ih + 1) * s.stride_height - s.pad_top))
    reach = ih + s.pad_top + 1
    if reach < s.filt_height:
        return 0
    return min(s.out_height, (reach - s.filt_height) // s.stride_height + 1)


def process(s: EngineShape) -> Process:
    """The schedule of ``s``'s layer in io_stream: its one pipelined loop (nnet_fg_layers.h)
    takes input elements until an output row is ready, steps the row's pixels, and so on; the
    pipeline drains once per image."""
    cyc = layer_cycles(s)
    ops: list[tuple[str, int]] = []
    if s.geometry.kind == "dense":
        ops.append(("read", s.in_elements))
        for _ in range(s.geometry.n_pix):
            ops += [("compute", s.n_steps), ("write", 1)]
        ops.append(("compute", cyc.refill))
        return Process(s.name, tuple(ops), s.in_elements, s.geometry.n_pix)
    done = 0
    for ih in range(s.in_height):
        ops.append(("read", s.in_width))
        ready = _rows_ready(s, ih)
        for _ in range(done, ready):
            for _ in range(s.out_width):
                ops += [("compute", s.n_steps), ("write", 1)]
        done = max(done, ready)
    ops.append(("compute", cyc.refill))
    return Process(s.name, tuple(ops), s.in_height * s.in_width, s.out_height * s.out_width)


@dataclasses.dataclass(frozen=True)
class Stage:
    """A non-engine process: its schedule and what it instantiates."""

    name: str
    kind: str
    ops: tuple[Op, ...]
    reads: int  # elements read per image from each input
    writes: int  # elements written per image to each output
    items: tuple[Item, ...]

    @property
    def cycles(self) -> int:
        """Cycles per image when nothing waits (each read, pass and emit takes one)."""
        return sum(k for op, k in self.ops if op in ("read", "pass", "emit", "compute"))

    @property
    def total(self) -> Res:
        out = Res()
        for item in self.items:
            out = out + item.total
        return out

    def process(self) -> Process:
        return Process(self.name, self.ops, self.reads, self.writes)


@dataclasses.dataclass(frozen=True)
class Dataflow:
    """Processes in topological order (engine layers by name, stages), and the streams."""

    order: tuple[str, ...]
    stages: tuple[Stage, ...]
    edges: tuple[tuple[int, int], ...]  # (producer, consumer) indices into ``order``
    widths: tuple[int, ...]  # bits of one element of each stream
    outputs: tuple[int, ...]  # each edge's output index at its producer (clones have two)

    @property
    def is_chain(self) -> bool:
        return not self.stages and self.edges == tuple(
            (i, i + 1) for i in range(len(self.order) - 1)
        )

    def processes(self, shapes: list[EngineShape]) -> list[Process]:
        """The schedule of every process, the engine layers' from ``shapes`` (as planned)."""
        by_name = {s.name: s for s in shapes}
        stages = {s.name: s for s in self.stages}
        missing = set(self.order) - set(by_name) - set(stages)
        if missing:
            raise ValueError(f"no shape for engine layer(s) {sorted(missing)}")
        return [stages[n].process() if n in stages else process(by_name[n]) for n in self.order]

    def producer_outputs(self) -> dict[str, list[int]]:
        """Edge indices leaving each process, in its output order."""
        out: dict[str, list[int]] = {}
        for e, (src, _) in sorted(enumerate(self.edges), key=lambda t: self.outputs[t[0]]):
            out.setdefault(self.order[src], []).append(e)
        return out


def chain(shapes: list[EngineShape]) -> Dataflow:
    """Engine layers one after the other, each stream one pixel of the producer's outputs."""
    return Dataflow(
        order=tuple(s.name for s in shapes),
        stages=(),
        edges=tuple((i, i + 1) for i in range(len(shapes) - 1)),
        widths=tuple(s.geometry.n_out * s.widths.out_bits for s in shapes[:-1]),
        outputs=(0,) * max(0, len(shapes) - 1),
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
