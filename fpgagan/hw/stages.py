"""The :class:`~fpgagan.hw.dataflow.Stage` of every process that is not an engine layer: its
per-image schedule and what it instantiates, counted from measured units.  Plain values in,
nothing of hls4ml (:mod:`fpgagan.hls.dataflow_graph` reads them from the converted layers).

- a merge (Concatenate, Add, Clone): a pixel counter, an output register, Add's adders;
- an activation on its own (a quantizer or ReLU, e.g. after an Add): one output unit a channel;
- a data-movement layer (upsample, depth-to-space, pad; ``nnet_fg_spatial.h``): a row buffer, its
  counters and output register, and the order it reads input rows and emits output rows.
"""

from __future__ import annotations

import dataclasses

from fpgagan.errors import UnsupportedModelError
from fpgagan.hw import unit_costs as U
from fpgagan.hw.cost import Item, Res
from fpgagan.hw.dataflow import SPATIAL_DEPTH, Op, Stage
from fpgagan.hw.storage import choose

ACTIVATIONS = ("linear", "relu")


def _bits(n: int) -> int:
    return max(1, (max(1, int(n)) - 1).bit_length())


def _counter(what: str, count: int, bound: int) -> Item:
    u = U.counter(_bits(bound))
    return Item(what, count, Res.of_unit(u), f"yosys: {u.source}")


def _register(what: str, bits: int) -> Item:
    return Item(what, 1, Res(ff=float(bits)), "formula: 1 FF per bit")


def merge_stage(name: str, kind: str, n_pix: int, chans: int, bits: int) -> Stage:
    """A ``concat``, ``add`` or ``clone`` of ``n_pix`` pixels of ``chans`` values of ``bits``."""
    items = [
        _counter("pixel counter", 1, n_pix),
        _register("output register (one pixel)", chans * bits),
    ]
    if kind == "add":
        u = U.adder_tree(2, bits, pipelined=False)
        items.append(Item("two-input adder", chans, Res.of_unit(u), f"yosys: {u.source}"))
    return Stage(name, kind, (("pass", n_pix),), n_pix, n_pix, tuple(items))


@dataclasses.dataclass(frozen=True)
class FixedWidth:
    """What an output unit needs of a fixed-point type."""

    width: int
    integer: int
    signed: bool = True


def activation_stage(
    name: str, act: str, src: FixedWidth, dst: FixedWidth, n_pix: int, chans: int
) -> Stage:
    """A quantizer (``linear``: round and saturate ``src`` to ``dst``) or ReLU on its own, one
    output unit per channel."""
    if act not in ACTIVATIONS:
        raise UnsupportedModelError(
            f"layer {name}: activation {act!r} has no cost model (linear and relu have)"
        )
    kind = "relu_u" if act == "relu" or not dst.signed else "linear_s"
    frac = max(0, (src.width - src.integer) - (dst.width - dst.integer))
    u = U.output_unit(kind, src.width, dst.width, frac)
    items = (
        Item(f"output unit ({kind})", chans, Res.of_unit(u), f"yosys: {u.source}"),
        _counter("pixel counter", 1, n_pix),
        _register("output register (one pixel)", chans * dst.width),
    )
    return Stage(name, f"activation ({act})", (("pass", n_pix),), n_pix, n_pix, items)


@dataclasses.dataclass(frozen=True)
class SpatialShape:
    """A data-movement layer: input (height, width, channels), output the same, value bits and
    the input rows its row buffer keeps."""

    in_height: int
    in_width: int
    n_chan: int
    out_height: int
    out_width: int
    n_out: int
    bits: int
    buffer_rows: int


def spatial_stage(name: str, kind: str, s: SpatialShape, ops: list[Op]) -> Stage:
    """A data-movement layer of class ``kind`` whose loop reads and emits rows as ``ops``."""
    mem = choose(f"{name} row buffer", s.buffer_rows * s.in_width, s.n_chan * s.bits, rom=False)
    items = (
        Item(f"row buffer {mem.depth}x{mem.width} ({mem.impl})", 1, Res.of_memory(mem), mem.source),
        _counter("row, column and repeat counters", 3, max(s.out_height, s.out_width)),
        _register("output register (one pixel)", s.n_out * s.bits),
    )
    ops = [*ops, ("compute", SPATIAL_DEPTH)]
    return Stage(
        name, kind, tuple(ops), s.in_height * s.in_width, s.out_height * s.out_width, items
    )


def repeat_ops(s: SpatialShape, repeat: int) -> list[Op]:
    """Upsampling and depth-to-space: each input row read, then ``repeat`` output rows."""
    ops: list[Op] = []
    for _ in range(s.in_height):
        ops += [("read", s.in_width)] + [("emit", s.out_width)] * repeat
    return ops


def pad_source(o: int, before: int, n: int, mode: str) -> int:
    """``nnet::fg::pad_source``: the source index of padded coordinate ``o`` (``before`` padded
    before ``n`` real ones), or -1 (a zero)."""
    i = o - before
    if 0 <= i < n:
        return i
    if mode == "constant":
        return -1
    if mode == "edge":
        return 0 if i < 0 else n - 1
    return -i if i < 0 else 2 * (n - 1) - i


def pad_ops(s: SpatialShape, top: int, mode: str) -> list[Op]:
    """The io_stream schedule of ``nnet::fg::pad``: every output row as soon as its source row is
    in (zero rows above the image at once, below it after the last row), else the next input row
    (``pad_map::ready``)."""
    h = s.in_height

    def ready(o: int, rows_in: int) -> bool:
        src = pad_source(o, top, h, mode)
        return rows_in == h or (src < rows_in if src >= 0 else o < top)

    ops: list[Op] = []
    nxt = 0
    for rows_in in range(h + 1):
        while nxt < s.out_height and ready(nxt, rows_in):
            ops.append(("emit", s.out_width))
            nxt += 1
        if rows_in < h:
            ops.append(("read", s.in_width))
    return ops
