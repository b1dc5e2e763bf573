"""The io_stream dataflow pipeline in time, element by element: :func:`simulate` times every read
and write of a few images of each process's schedule (what ``nnet_fg_layers.h`` does per image),
with FIFOs of given depths between them.  A read waits for the element to be written (one cycle
later at the earliest); a write waits for a free slot in its FIFO.  The event times follow from
max-plus recurrences, iterated until producer and consumer agree (back-pressure runs upstream).
Exact, the reference the planner's :mod:`fpgagan.hw.steady_state` is checked against, but its cost
grows with pixels x images x rounds of back-pressure.
"""

from __future__ import annotations

import dataclasses

from fpgagan.hw.dataflow import Process

IMAGES = 4  # images simulated; the interval is measured between the last two
MAX_ROUNDS = 500
DEADLOCK = 2**62  # the interval of a pipeline whose event times do not settle


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
