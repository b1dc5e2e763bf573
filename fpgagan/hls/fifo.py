"""The io_stream dataflow pipeline in time: each layer's reads and writes, the FIFOs between them,
the interval the whole pipeline sustains, and the smallest FIFO depths that keep it.

Each engine layer repeats, per image, the schedule of ``nnet_fg_layers.h``: a Dense reads its
input elements then writes one output pixel every ``n_steps`` cycles; a convolution reads an input
row (one element per cycle), then emits every output row that no later input row affects (a
pipeline refill, then one pixel every ``n_steps`` cycles), and so on.  A read waits for the
element to be written (one cycle later at the earliest); a write waits for a free slot in its
FIFO.  The event times follow from these max-plus recurrences; they are computed over a few
images and iterated until producer and consumer agree (back-pressure runs upstream).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from fpgagan.hls import unit_costs as U
from fpgagan.hls.cost import Cycles, Item, Res, layer_cycles
from fpgagan.hls.engine_layers import EngineShape
from fpgagan.hls.storage import bram18

IMAGES = 4  # images simulated; the interval is measured between the last two
MAX_ROUNDS = 500
# FIFO storage: shift-register LUTs (SRL) up to this depth, BRAM beyond (Vitis HLS's default
# implementation choice for stream FIFOs)
SRL_MAX_DEPTH = 64


@dataclasses.dataclass(frozen=True)
class Process:
    """One layer's per-image schedule: ``ops`` is a list of ("read", n) / ("compute", cycles) /
    ("write", n) with n elements or cycles; writes go to the FIFO after this layer."""

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
    """The schedule of ``s``'s layer in io_stream."""
    cyc = layer_cycles(s)
    refill = cyc.refill // max(1, 1 if s.geometry.kind == "dense" else s.out_height)
    ops: list[tuple[str, int]] = []
    if s.geometry.kind == "dense":
        ops.append(("read", s.in_elements))
        ops.append(("compute", refill))
        for _ in range(s.geometry.n_pix):
            ops += [("compute", s.n_steps), ("write", 1)]
        return Process(s.name, tuple(ops), s.in_elements, s.geometry.n_pix)
    done = 0
    for ih in range(s.in_height):
        ops.append(("read", s.in_width))
        ready = _rows_ready(s, ih)
        for _ in range(done, ready):
            ops.append(("compute", refill))
            for _ in range(s.out_width):
                ops += [("compute", s.n_steps), ("write", 1)]
        done = max(done, ready)
    return Process(s.name, tuple(ops), s.in_height * s.in_width, s.out_height * s.out_width)


@dataclasses.dataclass(frozen=True)
class Timeline:
    interval: int  # cycles between images at the pipeline's output, in steady state
    latency: int  # cycles from the first read of the first layer to the last write of image 0
    stalls: dict[str, int]  # per layer: cycles lost waiting (steady-state image)


def simulate(procs: list[Process], depths: list[int], images: int = IMAGES) -> Timeline:
    """Times of every read and write of ``procs`` (a chain) with FIFOs of ``depths`` between them
    (``len(depths) == len(procs) - 1``); the first layer's input is always available and the last
    layer's output always accepted."""
    n = len(procs)
    writes = [np.zeros(p.writes * images, np.int64) for p in procs]
    reads = [np.zeros(p.reads * images, np.int64) for p in procs]
    ends = [0] * n
    stalls = [0] * n
    for _ in range(MAX_ROUNDS):
        changed = False
        for i, p in enumerate(procs):
            t, r, w, stall = 0, 0, 0, 0
            for _img in range(images):
                for op, k in p.ops:
                    if op == "compute":
                        t += k
                    elif op == "read":
                        for _ in range(k):
                            ready = writes[i - 1][r] + 1 if i > 0 else 0
                            if ready > t:
                                stall += ready - t
                                t = ready
                            if reads[i][r] != t:
                                reads[i][r] = t
                                changed = True
                            t += 1
                            r += 1
                    else:  # write: a slot is free once the consumer read element w - depth;
                        # the write happens in the pixel's last step, it takes no cycle of its own
                        for _ in range(k):
                            if i + 1 < n and w >= depths[i]:
                                free = reads[i + 1][w - depths[i]] + 1
                                if free > t:
                                    stall += free - t
                                    t = free
                            if writes[i][w] != t:
                                writes[i][w] = t
                                changed = True
                            w += 1
            ends[i], stalls[i] = t, stall
        if not changed:
            break
    last = writes[-1]
    per = procs[-1].writes
    interval = int(last[(images - 1) * per] - last[(images - 2) * per]) if images > 1 else 0
    return Timeline(
        interval=interval,
        latency=int(last[per - 1]) + 1,
        stalls={p.name: s for p, s in zip(procs, stalls, strict=True)},
    )


def ideal_interval(shapes: list[EngineShape]) -> int:
    """The slowest layer's cycles per image: what no FIFO depth can beat."""
    return max(layer_cycles(s).total for s in shapes)


def fifo_cost(depth: int, width_bits: int) -> Item:
    """A stream FIFO: SRL (shift-register LUTs, measured by yosys) up to SRL_MAX_DEPTH, BRAM beyond."""
    if depth <= SRL_MAX_DEPTH:
        u = U.fifo_srl(depth, width_bits)
        return Item(f"FIFO {depth}x{width_bits} (SRL)", 1, Res.of_unit(u), f"yosys: {u.source}")
    return Item(
        f"FIFO {depth}x{width_bits} (BRAM)",
        1,
        Res(bram_18k=float(bram18(depth, width_bits))),
        "formula: RAMB18E1 aspect ratios (UG473)",
    )


@dataclasses.dataclass(frozen=True)
class Fifos:
    depths: tuple[int, ...]  # FIFO after layer i (between layer i and i+1)
    widths: tuple[int, ...]  # bits of one element
    items: tuple[Item, ...]
    timeline: Timeline


def _fifos(shapes: list[EngineShape], procs: list[Process], depths: list[int]) -> Fifos:
    widths = [s.geometry.n_out * s.widths.out_bits for s in shapes[:-1]]
    items = tuple(fifo_cost(d, w) for d, w in zip(depths, widths, strict=True))
    return Fifos(tuple(depths), tuple(widths), items, simulate(procs, depths))


def fixed_fifos(shapes: list[EngineShape], depths: list[int]) -> Fifos:
    """The FIFOs of ``depths`` between ``shapes``' layers, and the pipeline's timeline with them."""
    if len(depths) != len(shapes) - 1:
        raise ValueError(
            f"{len(shapes)} layers need {len(shapes) - 1} FIFO depths, got {len(depths)}"
        )
    return _fifos(shapes, [process(s) for s in shapes], list(depths))


def size_fifos(shapes: list[EngineShape]) -> Fifos:
    """Smallest power-of-two FIFO depths (at least 2) at which the pipeline keeps the interval it
    has with FIFOs that hold a whole image."""
    procs = [process(s) for s in shapes]
    full = [max(2, p.writes) for p in procs[:-1]]
    target = simulate(procs, full).interval
    depths = list(full)
    for i in range(len(depths)):
        candidates = [2**k for k in range(1, math.ceil(math.log2(full[i])) + 1)] + [full[i]]
        for d in sorted(set(candidates)):
            trial = depths[:i] + [d] + depths[i + 1 :]
            if simulate(procs, trial).interval <= target:
                depths[i] = d
                break
    return _fifos(shapes, procs, depths)


__all__ = [
    "Cycles",
    "Fifos",
    "Process",
    "Timeline",
    "ideal_interval",
    "process",
    "simulate",
    "size_fifos",
]
