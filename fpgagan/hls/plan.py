"""Choose reuse factors per layer so the estimated design fits a board and runs as fast as it can.

The planner searches the smallest initiation interval (cycles per image) for which every compute
layer gets the lowest reuse factor that meets it and the whole design fits the usable share of
the board's resources (:data:`UTILISATION`), by the cost model in :mod:`fpgagan.hls.cost`.
"""

from __future__ import annotations

import dataclasses

from fpgagan.boards import Board
from fpgagan.errors import BoardError
from fpgagan.hls.cost import PIXEL_KINDS, DesignCost, LayerShape, design_cost

# share of each resource a design may use: routing, the AXI interface and the PS glue need the rest
UTILISATION = {"lut": 0.70, "ff": 0.70, "dsp": 0.90, "bram_18k": 0.85}


@dataclasses.dataclass(frozen=True)
class Plan:
    reuse: dict[str, int]
    cost: DesignCost
    fits: bool
    limiting: str  # the resource with the highest usage share
    usage: dict[str, float]  # used / available, per resource


def usage(cost: DesignCost, board: Board) -> dict[str, float]:
    r = board.resources
    avail = {
        "lut": r.lut,
        "ff": r.ff,
        "dsp": r.dsp,
        "bram_18k": r.bram_18k + 8 * r.uram,
    }  # 1 URAM ~ 8 BRAM18 bits
    return {
        k: (cost.total(k) / avail[k] if avail[k] else (0.0 if cost.total(k) == 0 else float("inf")))
        for k in avail
    }


def _fits(u: dict[str, float]) -> bool:
    return all(u[k] <= UTILISATION[k] for k in UTILISATION)


def _reuse_for(shape: LayerShape, interval: int, valid: dict[str, list[int]]) -> int:
    """Largest reuse factor (fewest multipliers) whose layer still meets ``interval`` cycles."""
    if shape.kind in PIXEL_KINDS:
        rf = max(1, (interval - shape.read_cycles) // shape.steps)
        return min(rf, shape.mults_per_step)
    if shape.name not in valid:  # fpgagan's kernels take any reuse factor
        return max(1, min(interval, shape.mults_per_step))
    options = [rf for rf in valid[shape.name] if rf <= interval] or [min(valid[shape.name])]
    return max(options)


def make_plan(
    shapes: list[LayerShape],
    board: Board,
    valid_reuse: dict[str, list[int]] | None = None,
    fixed: dict[str, int] | None = None,
) -> Plan:
    """Fastest design that fits ``board``; ``fixed`` pins reuse factors by layer name (user overrides)."""
    valid = valid_reuse or {}
    fixed = fixed or {}
    unknown = set(fixed) - {s.name for s in shapes}
    if unknown:
        raise BoardError(
            f"reuse factor given for unknown layer(s) {sorted(unknown)} "
            f"(layers: {', '.join(s.name for s in shapes)})"
        )

    def build(interval: int) -> Plan:
        reuse = {s.name: fixed.get(s.name, _reuse_for(s, interval, valid)) for s in shapes}
        cost = design_cost(shapes, reuse, board.clock_mhz)
        u = usage(cost, board)
        return Plan(reuse, cost, _fits(u), max(u, key=lambda k: u[k] / UTILISATION[k]), u)

    lo = max(1, max(s.read_cycles for s in shapes))
    hi = max(s.steps * s.mults_per_step + s.read_cycles for s in shapes) + 1
    best = build(hi)
    if not best.fits:
        return best  # even fully serial it does not fit: report it with the limiting resource
    while lo < hi:  # smallest interval that fits (cost falls monotonically with interval)
        mid = (lo + hi) // 2
        if build(mid).fits:
            hi = mid
        else:
            lo = mid + 1
    return build(hi)
