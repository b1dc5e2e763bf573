"""The io_stream dataflow pipeline in time: each layer's reads and writes, the FIFOs between them,
the interval the whole pipeline sustains, and the smallest FIFO depths that keep it.

Each engine layer repeats, per image, the schedule of ``nnet_fg_layers.h``: a Dense reads its
input elements then writes one output pixel every ``n_steps`` cycles; a convolution reads an input
row (one element per cycle), then emits every output row that no later input row affects (a
pipeline refill, then one pixel every ``n_steps`` cycles), and so on.  A read waits for the
element to be written (one cycle later at the earliest); a write waits for a free slot in its
FIFO.  Two models of these schedules:

- :func:`~fpgagan.hw.pipeline_sim.simulate` (:mod:`fpgagan.hw.pipeline_sim`) times every read and
  write of a few images: exact, the reference, but its cost grows with pixels x images.
- :func:`~fpgagan.hw.steady_state.steady_state` (:mod:`fpgagan.hw.steady_state`), the planner's:
  the steady state at the interval of the slowest process, computed on runs of events, so that
  its cost grows with the rows and the processes, not with the pixels.  Each stream's depth is the
  token-curve bound of that schedule: the most elements written and not yet read.

This module sizes and costs the FIFOs from them (:func:`size_fifos`, :func:`fixed_fifos`).
"""

from __future__ import annotations

import dataclasses

from fpgagan.hw import unit_costs as U
from fpgagan.hw.cost import Cycles, Item, Res, layer_cycles
from fpgagan.hw.dataflow import Dataflow, Process, chain, process
from fpgagan.hw.pipeline_sim import DEADLOCK, Timeline, simulate  # noqa: F401  (re-exported)
from fpgagan.hw.spec import EngineShape
from fpgagan.hw.steady_state import (  # noqa: F401  (re-exported)
    SteadyState,
    fifo_depth,
    runs_of,
    steady_state,
)
from fpgagan.hw.storage import bram18

# FIFO storage: shift-register LUTs (SRL) up to this depth, BRAM beyond.  The project binds every
# FIFO to its storage explicitly (BIND_STORAGE type=fifo, fpgagan.hls.passes.write_roms): left to
# itself, Vitis HLS decides by the FIFO's bits (config_storage -auto_srl_max_bits), not its depth
SRL_MAX_DEPTH = 64


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


def _timeline(state: SteadyState) -> Timeline:
    return Timeline(state.interval, state.latency, dict(state.slack))


def fixed_fifos(
    shapes: list[EngineShape], depths: list[int], flow: Dataflow | None = None
) -> Fifos:
    """The FIFOs of ``depths`` on ``flow``'s streams (default: a chain of ``shapes``' layers),
    and the pipeline's timeline with them: the steady state's where every depth holds what the
    steady state needs (the plan's depths do), else the simulation's."""
    flow = flow or chain(shapes)
    if len(depths) != len(flow.edges):
        raise ValueError(
            f"{len(flow.edges)} streams between {len(flow.order)} processes need "
            f"{len(flow.edges)} FIFO depths, got {len(depths)}"
        )
    procs = flow.processes(shapes)
    state = steady_state(procs, flow.edges, flow.widths)
    if all(d >= need for d, need in zip(depths, state.needs, strict=True)):
        timeline = _timeline(state)
    else:  # short of the steady state's needs: the simulation tells how much slower, or deadlock
        timeline = simulate(procs, list(depths), edges=flow.edges)
    items = tuple(fifo_cost(d, w) for d, w in zip(depths, flow.widths, strict=True))
    return Fifos(tuple(depths), flow.widths, items, timeline)


def size_fifos(shapes: list[EngineShape], flow: Dataflow | None = None) -> Fifos:
    """Smallest FIFO depths (powers of two from 2, or one image) at which the pipeline keeps the
    interval of its slowest process (:func:`steady_state`; a skip connection gets the lag of the
    branch beside it, so no depth chosen deadlocks)."""
    flow = flow or chain(shapes)
    procs = flow.processes(shapes)
    state = steady_state(procs, flow.edges, flow.widths)
    depths = state.depths
    items = tuple(fifo_cost(d, w) for d, w in zip(depths, flow.widths, strict=True))
    return Fifos(depths, flow.widths, items, _timeline(state))


__all__ = [
    "Cycles",
    "Fifos",
    "Process",
    "SteadyState",
    "Timeline",
    "fifo_depth",
    "ideal_interval",
    "process",
    "simulate",
    "size_fifos",
    "steady_state",
]
