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

from fpgagan.hw import unit_costs as U
from fpgagan.hw.cost import Cycles, Item, Res, layer_cycles
from fpgagan.hw.dataflow import Dataflow, Process, chain, process
from fpgagan.hw.spec import EngineShape
from fpgagan.hw.storage import bram18

IMAGES = 4  # images simulated; the interval is measured between the last two
MAX_ROUNDS = 500
DEADLOCK = 2**62  # the interval of a pipeline whose event times do not settle
# FIFO storage: shift-register LUTs (SRL) up to this depth, BRAM beyond.  The project binds every
# FIFO to its storage explicitly (BIND_STORAGE type=fifo, fpgagan.hls.passes.write_roms): left to
# itself, Vitis HLS decides by the FIFO's bits (config_storage -auto_srl_max_bits), not its depth
SRL_MAX_DEPTH = 64


@dataclasses.dataclass(frozen=True)
class Timeline:
    interval: int  # cycles between images at the pipeline's output, in steady state
    latency: int  # cycles from the first read of the first layer to the last write of image 0
    stalls: dict[str, int]  # per layer: cycles lost waiting (steady-state image)


Edges = tuple[tuple[int, int], ...]


def chain_edges(n: int) -> Edges:
    return tuple((i, i + 1) for i in range(n - 1))


def simulate(
    procs: list[Process], depths: list[int], images: int = IMAGES, edges: Edges | None = None
) -> Timeline:
    """Times of every read and write of ``procs`` with a FIFO of ``depths[e]`` on each stream
    ``edges[e] = (producer, consumer)`` (default: a chain).  ``procs`` are in topological order;
    a process with several inputs reads them in lockstep (one element of each), one with several
    outputs writes each of them; a process without inputs reads the host's stream, always ready,
    and the last process's output is always accepted.

    Ops: ``read`` k elements (one per cycle); ``compute`` k cycles; ``write`` k elements (in the
    last cycle of the computation before, no cycle of its own); ``emit`` k elements (one per
    cycle); ``pass`` k elements (read and written in the same cycle, one per cycle: a pipelined
    copy).
    """
    n = len(procs)
    edges = chain_edges(n) if edges is None else edges
    if len(depths) != len(edges):
        raise ValueError(f"{len(edges)} streams need {len(edges)} FIFO depths, got {len(depths)}")
    ins: list[list[int]] = [[] for _ in range(n)]
    outs: list[list[int]] = [[] for _ in range(n)]
    for e, (src, dst) in enumerate(edges):
        outs[src].append(e)
        ins[dst].append(e)
    # plain lists of ints: this loop runs per element, where numpy scalars are slow
    writes = [[0] * (p.writes * images) for p in procs]
    reads = [[0] * (p.reads * images) for p in procs]
    stalls = [0] * n
    for _ in range(MAX_ROUNDS):
        changed = False
        for i, p in enumerate(procs):
            sources = [writes[edges[e][0]] for e in ins[i]]
            sinks = [(reads[edges[e][1]], depths[e]) for e in outs[i]]
            my_reads, my_writes = reads[i], writes[i]
            t, r, w, stall = 0, 0, 0, 0
            for _img in range(images):
                for op, k in p.ops:
                    if op == "compute":
                        t += k
                        continue
                    takes_input, gives_output = op != "write" and op != "emit", op != "read"
                    for _ in range(k):
                        if takes_input:
                            for src in sources:
                                if src[r] + 1 > t:
                                    stall += src[r] + 1 - t
                                    t = src[r] + 1
                        if gives_output:
                            # a slot is free once the consumer read element w - depth
                            for consumer_reads, d in sinks:
                                if w >= d and consumer_reads[w - d] + 1 > t:
                                    stall += consumer_reads[w - d] + 1 - t
                                    t = consumer_reads[w - d] + 1
                        if takes_input:
                            if my_reads[r] != t:
                                my_reads[r] = t
                                changed = True
                            r += 1
                        if gives_output:
                            if my_writes[w] != t:
                                my_writes[w] = t
                                changed = True
                            w += 1
                        if op != "write":
                            t += 1
            stalls[i] = stall
        if not changed:
            break
    else:  # times still growing: a FIFO too shallow for a reconvergent path, the graph deadlocks
        return Timeline(
            interval=DEADLOCK, latency=DEADLOCK, stalls={p.name: DEADLOCK for p in procs}
        )
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


def fifo_impl(depth: int) -> str:
    """Where a stream FIFO of ``depth`` elements lives: ``srl`` (shift-register LUTs) or ``bram``;
    the project binds each FIFO to it (BIND_STORAGE type=fifo) so that the tool does not choose by
    its own width threshold, and :func:`fifo_cost` counts the same."""
    return "srl" if depth <= SRL_MAX_DEPTH else "bram"


def fifo_cost(depth: int, width_bits: int) -> Item:
    """A stream FIFO: SRL (shift-register LUTs, measured by yosys) up to SRL_MAX_DEPTH, BRAM beyond."""
    if fifo_impl(depth) == "srl":
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
    depths: tuple[int, ...]  # FIFO of each stream (the dataflow's edges, in order)
    widths: tuple[int, ...]  # bits of one element
    items: tuple[Item, ...]
    timeline: Timeline


def _fifos(procs: list[Process], flow: Dataflow, depths: list[int]) -> Fifos:
    items = tuple(fifo_cost(d, w) for d, w in zip(depths, flow.widths, strict=True))
    timeline = simulate(procs, depths, edges=flow.edges)
    return Fifos(tuple(depths), flow.widths, items, timeline)


def fixed_fifos(
    shapes: list[EngineShape], depths: list[int], flow: Dataflow | None = None
) -> Fifos:
    """The FIFOs of ``depths`` on ``flow``'s streams (default: a chain of ``shapes``' layers),
    and the pipeline's timeline with them."""
    flow = flow or chain(shapes)
    if len(depths) != len(flow.edges):
        raise ValueError(
            f"{len(flow.edges)} streams between {len(flow.order)} processes need "
            f"{len(flow.edges)} FIFO depths, got {len(depths)}"
        )
    return _fifos(flow.processes(shapes), flow, list(depths))


def size_fifos(shapes: list[EngineShape], flow: Dataflow | None = None) -> Fifos:
    """Smallest power-of-two FIFO depths (at least 2) at which the pipeline keeps the interval it
    has with FIFOs that hold a whole image (a depth at which the graph would deadlock, a skip
    connection too shallow for the branch beside it, never keeps it)."""
    flow = flow or chain(shapes)
    procs = flow.processes(shapes)
    full = [max(2, procs[src].writes) for src, _ in flow.edges]
    target = simulate(procs, full, edges=flow.edges).interval
    depths = list(full)
    for i in range(len(depths)):
        # a deeper FIFO never slows the pipeline: bisect for the shallowest that keeps it
        options = sorted({2**k for k in range(1, math.ceil(math.log2(full[i])) + 1)} | {full[i]})
        lo, hi = 0, len(options) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            trial = depths[:i] + [options[mid]] + depths[i + 1 :]
            if simulate(procs, trial, edges=flow.edges).interval <= target:
                hi = mid
            else:
                lo = mid + 1
        depths[i] = options[lo]
    return _fifos(procs, flow, depths)


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
