"""The board plan: per engine layer its parallelism, multipliers (fabric / DSP / DSP pairs), weight
storage and schedule (dense, sparse or codebook), and the FIFO depths, such that the design fits the usable
share of the board (:data:`UTILISATION`) by the cost model's count and runs as fast as it can.

Search: every layer's candidates (:mod:`fpgagan.hw.candidates`: all ``(n_par, k_par)`` with
their DSP and storage variants, the sparse schedule too where the layer has zeros, the codebook
kernel where its weights take few distinct values) are costed once.  For an interval ``T``
(cycles per image), each layer may take any candidate that meets ``T``; the combination that fits
the budget with the most headroom is found layer by layer over Pareto sets of partial designs.
``T`` is bisected down to the smallest that fits; then the FIFOs are sized from the pipeline's
steady state (:func:`fpgagan.hw.fifo.size_fifos`, whose cost grows with the rows, not the pixels)
and the plan is re-checked with them.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from fpgagan.boards import Board
from fpgagan.errors import BoardError
from fpgagan.hw import offchip
from fpgagan.hw.candidates import Candidate, Choice, candidates, choice_of, with_choice
from fpgagan.hw.cost import RESOURCES, Item, LayerCost, Res, layer_cost
from fpgagan.hw.dataflow import Dataflow, HostStream, Stage, chain
from fpgagan.hw.fifo import Fifos, fixed_fifos, size_fifos
from fpgagan.hw.sparsity import plan_schedules, weight_sparsity
from fpgagan.hw.spec import EngineShape
from fpgagan.hw.storage import BRAM18_PER_URAM
from fpgagan.hw.system import shell_iterations, system_items, weight_port_items
from fpgagan.hw.system import total as system_total

__all__ = [
    "UTILISATION",
    "Candidate",
    "Choice",
    "Plan",
    "candidates",
    "choice_of",
    "evaluate",
    "make_plan",
    "with_choice",
]

# share of each resource the whole design (accelerator + system: shell, DMA, interconnect, control)
# may use: routing and timing closure need the rest
UTILISATION = {"lut": 0.70, "ff": 0.70, "dsp": 0.90, "bram_18k": 0.85}
STATES = 400  # partial designs kept per layer by the selection (a Pareto set, capped)
# after sizing the FIFOs, the interval is relaxed by this factor until the design fits again
RELAX = 1.05
RELAX_ROUNDS = 40
IMPROVE_ROUNDS = 8  # rounds of the hill-climb after the selection
IMPROVE_TRIES = 4  # configurations tried per layer and round


@dataclasses.dataclass(frozen=True)
class Plan:
    choices: dict[str, Choice]
    layers: tuple[LayerCost, ...]
    shapes: tuple[EngineShape, ...]
    fifos: Fifos
    clock_mhz: float
    totals: Res
    usage: dict[str, float]
    fits: bool
    limiting: str
    flow: Dataflow  # the processes and streams (a chain of the layers, or a graph with skips)
    system: tuple[Item, ...] = ()  # the board design around the accelerator (hls/system.py)
    ddr_bytes: int = 0  # weight bytes the off-chip layers read from DDR per image
    ddr_bytes_per_cycle: float = 0.0  # what the board's DDR sustains per cycle of the clock
    shell_cycles: int = 0  # cycles per image of the AXI4-Stream shell's slower side

    @property
    def ddr_cycles(self) -> int:
        """Cycles per image the DDR needs for the off-chip layers' weights (0: all on chip)."""
        if not self.ddr_bytes:
            return 0
        return math.ceil(self.ddr_bytes / self.ddr_bytes_per_cycle)

    @property
    def ddr_gb_s(self) -> float:
        """DDR bandwidth the plan uses at its throughput (GB/s)."""
        return self.ddr_bytes * self.images_per_s / 1e9

    @property
    def system_totals(self) -> Res:
        return system_total(self.system)

    @property
    def accelerator_totals(self) -> Res:
        """The accelerator alone: ``totals`` (the whole design) less the system."""
        return self.totals + self.system_totals * -1.0

    @property
    def stages(self) -> tuple[Stage, ...]:
        """The processes other than engine layers (data movement, merges, clones)."""
        return self.flow.stages

    @property
    def interval_cycles(self) -> int:
        slowest = max([c.cycles.total for c in self.layers] + [s.cycles for s in self.stages])
        # the off-chip layers' weights cross the board's DDR once per image; the shell moves
        # the image in and out at its own pace
        return max(self.fifos.timeline.interval, slowest, self.ddr_cycles, self.shell_cycles)

    @property
    def images_per_s(self) -> float:
        return self.clock_mhz * 1e6 / self.interval_cycles

    @property
    def latency_cycles(self) -> int:
        return self.fifos.timeline.latency

    def layer_config(self) -> dict[str, dict[str, object]]:
        """hls4ml per-layer config keys of the plan: the engine settings, and on every process
        the depth of the FIFO after it (a list, in output order, where it has several)."""
        out: dict[str, dict[str, object]] = {name: c.config() for name, c in self.choices.items()}
        for name, edges in self.flow.producer_outputs().items():
            depths = [self.fifos.depths[e] for e in edges]
            out.setdefault(name, {})["FifoDepth"] = depths[0] if len(depths) == 1 else depths
        return out


def available(board: Board) -> dict[str, float]:
    r = board.resources
    # a URAM holds 288 Kb = 16 BRAM_18K worth of bits
    return {
        "lut": r.lut,
        "ff": r.ff,
        "dsp": r.dsp,
        "bram_18k": r.bram_18k + BRAM18_PER_URAM * r.uram,
    }


def usage(total: Res, board: Board) -> dict[str, float]:
    avail = available(board)
    return {
        k: (
            getattr(total, k) / avail[k]
            if avail[k]
            else (0.0 if getattr(total, k) == 0 else math.inf)
        )
        for k in RESOURCES
    }


def host_streams(shapes: list[EngineShape], flow: Dataflow) -> tuple[HostStream, HostStream]:
    """What the shell moves: the graph's input and output (``flow``'s, else the first layer's
    input and the last layer's output, which they are for a chain of engine layers)."""
    first, last = shapes[0], shapes[-1]
    g0, g1 = first.geometry, last.geometry
    in_values = g0.n_chan if g0.kind == "dense" else first.in_height * first.in_width * g0.n_chan
    # a stream element: a pixel (a Dense: its input element)
    inp = flow.host_in or HostStream(in_values, first.widths.x_bits, first.word_values)
    out = flow.host_out or HostStream(g1.n_pix * g1.n_out, last.widths.out_bits, g1.n_out)
    return inp, out


def shell_cycles(shapes: list[EngineShape], flow: Dataflow) -> int:
    """Cycles per image of the shell's slower side (:func:`fpgagan.hw.system.shell_iterations`)."""
    return max(
        shell_iterations(s.values, s.elem_values, s.bits) for s in host_streams(shapes, flow)
    )


def board_system(shapes: list[EngineShape], flow: Dataflow, board: Board) -> tuple[Item, ...]:
    """The system items of ``board``'s design around these layers: the shell carries the graph's
    input and output (:func:`host_streams`)."""
    inp, out = host_streams(shapes, flow)
    return system_items(
        board,
        in_bits=inp.bits,
        out_bits=out.bits,
        in_values=inp.values,
        out_values=out.values,
        processes=len(shapes) + len(flow.stages),
        in_elem_values=inp.elem_values,
        out_elem_values=out.elem_values,
        weight_ports=sum(s.offchip for s in shapes),
    )


def ddr_rate(board: Board) -> float:
    """Bytes per cycle the board's DDR sustains for the off-chip layers together (0: no DDR: on
    chip only).  Each weight port has a PS high-performance port of its own (design.tcl), so the
    DDR's sustained rate bounds them together, and each layer's own port its fetch
    (:func:`fpgagan.hw.offchip.fetch_cycles`: a beat a cycle at the port's efficiency)."""
    if board.ddr is None:
        return 0.0
    return board.ddr.sustained_gb_s * 1e9 / (board.clock_mhz * 1e6)


def with_port_cost(c: Candidate, port: tuple[Item, ...]) -> Candidate:
    """An off-chip candidate with its weight port counted (``port``: the AXI4 master, its address
    register and the interconnect's slave port, :func:`fpgagan.hw.system.weight_port_items` for
    one port, what the first port costs, more than each further one), so that the selection
    weighs it."""
    if not c.shape.offchip:
        return c
    return dataclasses.replace(c, cost=dataclasses.replace(c.cost, items=c.cost.items + port))


def fits(u: dict[str, float]) -> bool:
    return all(u[k] <= UTILISATION[k] for k in RESOURCES)


def _needs(c: Candidate) -> tuple[float, ...]:
    """What a candidate needs of each resource (:data:`RESOURCES`), then its DDR bytes per image."""
    t = c.cost.total
    return (*(getattr(t, k) for k in RESOURCES), float(c.ddr_bytes))


def _shares(totals: np.ndarray, budget: np.ndarray) -> np.ndarray:
    """Per row of ``totals`` (a design's needs): its largest share of a budget (of a budget of 0:
    none if it needs none, else infinite)."""
    safe = np.where(budget > 0, budget, 1.0)
    share = np.where(budget > 0, totals / safe, np.where(totals == 0, 0.0, np.inf))
    return share.max(axis=1)


def _at_least(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``[i, j]``: row ``a[i]`` needs at least as much of everything as row ``b[j]`` (column by
    column: no third axis to reduce)."""
    out = a[:, None, 0] >= b[None, :, 0]
    for k in range(1, a.shape[1]):
        out &= a[:, None, k] >= b[None, :, k]
    return out


def _pareto(rows: np.ndarray, cap: int, block: int = 64) -> list[int]:
    """Indices of the first ``cap`` rows, in order, that need less of something than every row
    kept before them (a row that needs at least as much of everything as a kept one is dropped).
    Rows are taken a block at a time: a row at least as large as an earlier row of its block is
    dropped too, since that row is kept or was dropped for a kept one."""
    kept: list[int] = []
    for lo in range(0, len(rows), block):
        blk = rows[lo : lo + block]
        alive = ~np.tril(_at_least(blk, blk), -1).any(axis=1)
        if kept:
            alive &= ~_at_least(blk, rows[kept]).any(axis=1)
        for j in np.flatnonzero(alive):
            kept.append(lo + int(j))
            if len(kept) >= cap:
                return kept
    return kept


def _table(per_layer: list[list[Candidate]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per layer: its candidates' cycles and needs (:func:`_needs`), once for every selection."""
    return [
        (np.array([c.cycles for c in cands]), np.array([_needs(c) for c in cands]))
        for cands in per_layer
    ]


def _select(
    per_layer: list[list[Candidate]],
    interval: int,
    board: Board,
    reserved: Res | None = None,
    table: list[tuple[np.ndarray, np.ndarray]] | None = None,
) -> list[Candidate] | None:
    """Candidates meeting ``interval`` whose sum fits the budget, with the most headroom (the
    smallest largest share of a resource); None if no combination fits.

    Layer by layer, the partial designs that fit are kept as a Pareto set over the four resources
    and the DDR bytes per image, which the interval bounds (the off-chip layers' weights cross the
    DDR once per image; a partial design that needs at least as much of everything as another is
    dropped), capped at :data:`STATES` by headroom.  ``reserved``: what the rest of the design
    (data-movement and merge processes) needs whatever the layers' choices; ``table``:
    :func:`_table` of ``per_layer``.  A partial design is a row of ``totals`` (what it needs of
    each, :func:`_needs`) and its picks.
    """
    avail = available(board)
    # the four resources, then the DDR: the off-chip layers' bytes per image within the interval
    budget = np.array([UTILISATION[k] * avail[k] for k in RESOURCES] + [interval * ddr_rate(board)])
    totals = np.array([[*(float(getattr(reserved or Res(), k)) for k in RESOURCES), 0.0]])
    picks: list[list[Candidate]] = [[]]
    for cands, (cycles, needs) in zip(per_layer, table or _table(per_layer), strict=True):
        options = np.flatnonzero(cycles <= interval)
        if not len(options):
            return None
        # every partial design with every option (design-major order), those within the budget
        grown = totals[:, None, :] + needs[options][None, :, :]
        design, option = np.nonzero((grown <= budget).all(axis=2))
        if not len(design):
            return None
        grown = grown[design, option]
        order = np.argsort(_shares(grown, budget), kind="stable")  # most headroom first
        keep = order[_pareto(grown[order], STATES)]
        totals = grown[keep]
        picks = [[*picks[design[j]], cands[options[option[j]]]] for j in keep]
    return picks[int(np.argmin(_shares(totals, budget)))]


def make_plan(
    shapes: list[EngineShape],
    raw_mats: dict[str, np.ndarray],
    board: Board,
    fixed: dict[str, int] | None = None,
    schedules: dict[str, tuple[bool, ...]] | None = None,
    flow: Dataflow | None = None,
    codebooks: dict[str, bool] | None = None,
    offchip: bool | None = None,
) -> Plan:
    """Fastest design that fits ``board``.  ``fixed`` pins a layer's steps per pixel (its reuse
    factor: the longest schedule within it); ``schedules`` says which schedules (False: dense,
    True: sparse) each layer may take (default: dense, and sparse too where it has zeros);
    ``flow``: the processes and streams when they are not a chain of ``shapes``; ``codebooks``:
    whether a layer may take the codebook kernel (default: where its conversion allowed it);
    ``offchip``: whether a layer may read its weights from DDR (:mod:`fpgagan.hw.offchip`): True,
    False, or None (default): where the board has DDR and the plan with every weight on chip does
    not fit or is limited by block RAM, the faster of the two plans that fits."""
    args = (shapes, raw_mats, board, fixed, schedules, flow, codebooks)
    if board.ddr is None or offchip is False:
        return _plan(*args, ddr=False)
    if offchip:
        return _plan(*args, ddr=True)
    on_chip = _plan(*args, ddr=False)
    if on_chip.fits and on_chip.limiting != "bram_18k":
        return on_chip
    off_chip = _plan(*args, ddr=True)
    if off_chip.fits and (not on_chip.fits or off_chip.images_per_s > on_chip.images_per_s):
        return off_chip
    return on_chip


def _plan(
    shapes: list[EngineShape],
    raw_mats: dict[str, np.ndarray],
    board: Board,
    fixed: dict[str, int] | None,
    schedules: dict[str, tuple[bool, ...]] | None,
    flow: Dataflow | None,
    codebooks: dict[str, bool] | None,
    ddr: bool,
) -> Plan:
    """The fastest design that fits from the layers' candidates (``ddr``: off-chip ones too)."""
    fixed = fixed or {}
    flow = flow or chain(shapes)
    reserved = sum(
        (st.total for st in flow.stages), system_total(board_system(shapes, flow, board))
    )
    floor = max((st.cycles for st in flow.stages), default=0)
    unknown = set(fixed) - {s.name for s in shapes}
    if unknown:
        raise BoardError(
            f"reuse factor given for unknown layer(s) {sorted(unknown)} "
            f"(layers: {', '.join(s.name for s in shapes)})"
        )
    per_layer = []
    port = weight_port_items(board, 1) if ddr else ()
    for s in shapes:
        raw = raw_mats[s.name]
        kinds = (schedules or {}).get(s.name) or plan_schedules(weight_sparsity(raw))
        book = (codebooks or {}).get(s.name, True)
        cands = candidates(s, raw, kinds, fixed.get(s.name), book, ddr=ddr)
        per_layer.append([with_port_cost(c, port) for c in cands])
    lo = max([min(c.cycles for c in cands) for cands in per_layer] + [floor])
    hi = max([max(c.cycles for c in cands) for cands in per_layer] + [floor])
    if ddr:  # an interval at which even the most DDR-hungry choices have their bytes
        most = sum(max(c.ddr_bytes for c in cands) for cands in per_layer)
        hi = max(hi, math.ceil(most / ddr_rate(board)))
    table = _table(per_layer)
    pick = _select(per_layer, hi, board, reserved, table)
    if pick is None:  # nothing fits even at the slowest: report the cheapest, marked as not fitting
        pick = [min(c, key=lambda x: x.cost.total.lut) for c in per_layer]
        return _finish(pick, board, flow)
    while lo < hi:
        mid = (lo + hi) // 2
        if _select(per_layer, mid, board, reserved, table) is not None:
            hi = mid
        else:
            lo = mid + 1
    interval = hi
    for _ in range(RELAX_ROUNDS):
        pick = _select(per_layer, interval, board, reserved, table)
        if pick is not None:
            plan = _finish(pick, board, flow)
            if plan.fits:
                return _improve(plan, pick, per_layer, board)
        interval = math.ceil(interval * RELAX)
    return _finish(_select(per_layer, hi, board, reserved, table) or pick, board, flow)


def _improve(
    plan: Plan, pick: list[Candidate], per_layer: list[list[Candidate]], board: Board
) -> Plan:
    """Hill-climb: give a layer its next faster configuration (the most cycles below its own)
    while the design, its FIFOs sized again, still fits and runs faster.  The selection counts
    no FIFOs; where they made the interval relax, one more step of the slowest layer may still
    fit.  The FIFOs keep the slowest process's interval (:func:`fpgagan.hw.fifo.size_fifos`), so
    only a layer that alone sets the interval is tried."""
    floor = max((st.cycles for st in plan.flow.stages), default=0)
    for _ in range(IMPROVE_ROUNDS):
        better = None
        for i, cands in enumerate(per_layer):
            others = max([floor] + [c.cycles for j, c in enumerate(pick) if j != i])
            faster = [c for c in cands if c.cycles < pick[i].cycles]
            if not faster or others >= plan.interval_cycles:
                continue
            nxt = max(c.cycles for c in faster)
            tries = sorted((c for c in faster if c.cycles == nxt), key=lambda c: c.cost.total.lut)
            for c in tries[:IMPROVE_TRIES]:
                trial = [*pick[:i], c, *pick[i + 1 :]]
                t = _finish(trial, board, plan.flow)
                if (
                    t.fits
                    and t.images_per_s > plan.images_per_s
                    and (better is None or t.images_per_s > better[0].images_per_s)
                ):
                    better = (t, trial)
                    break
        if better is None:
            return plan
        plan, pick = better
    return plan


def _finish(pick: list[Candidate], board: Board, flow: Dataflow) -> Plan:
    shapes = [c.shape for c in pick]
    choices = {c.shape.name: c.choice for c in pick}
    return evaluate(shapes, board, size_fifos(shapes, flow), choices, flow=flow)


def evaluate(
    shapes: list[EngineShape],
    board: Board,
    fifos: Fifos | None = None,
    choices: dict[str, Choice] | None = None,
    fifo_depths: list[int] | None = None,
    flow: Dataflow | None = None,
) -> Plan:
    """The cost of a design as built: its layers (``shapes``, e.g. read from the generated hls4ml
    model), its other processes (``flow``'s stages; default: the layers form a chain) and FIFOs
    (sized here, or of the given depths), and the system around it on ``board``
    (:mod:`fpgagan.hw.system`): ``totals`` and ``usage`` are the whole design's."""
    flow = flow or chain(shapes)
    if fifos is None:
        fifos = (
            size_fifos(shapes, flow)
            if fifo_depths is None
            else fixed_fifos(shapes, fifo_depths, flow)
        )
    layers = tuple(layer_cost(s) for s in shapes)
    total = sum((c.total for c in layers), Res())
    for stage in flow.stages:
        total = total + stage.total
    for item in fifos.items:
        total = total + item.total
    system = board_system(shapes, flow, board)
    total = total + system_total(system)
    u = usage(total, board)
    ddr_bytes = sum(offchip.image_bytes(s) for s in shapes)
    if ddr_bytes and board.ddr is None:
        raise BoardError(f"board {board.name} has no DDR for the layers whose weights are off chip")
    return Plan(
        choices=choices or {s.name: choice_of(s) for s in shapes},
        layers=layers,
        shapes=tuple(shapes),
        fifos=fifos,
        clock_mhz=board.clock_mhz,
        totals=total,
        usage=u,
        fits=fits(u),
        limiting=max(u, key=lambda k: u[k] / UTILISATION[k]),
        flow=flow,
        system=system,
        ddr_bytes=ddr_bytes,
        ddr_bytes_per_cycle=ddr_rate(board),
        shell_cycles=shell_cycles(shapes, flow),  # every board design has the shell (system.py)
    )
