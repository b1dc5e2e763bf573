"""Planning that scales (issue #22): the planner sizes FIFOs from the steady state on runs of
events and never simulates every element, and its selection over arrays picks exactly what the
per-design loop it replaced picked."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fpgagan.boards import get_board
from fpgagan.hw import fifo as F
from fpgagan.hw import plan as P
from fpgagan.hw.cost import RESOURCES


def test_planning_simulates_no_element(default_layers, monkeypatch):
    """make_plan's cost grows with the rows and the layers, not with pixels x candidates: the
    element simulation is never run.  The shipped default's PYNQ-Z2 plan is the one it was
    with the simulation (docs/hardware.md: 12,603 cycles, FIFOs of 16 and 16)."""
    shapes, raw = default_layers

    def refuse(*args, **kwargs):
        raise AssertionError("the planner simulated every element")

    monkeypatch.setattr(F, "simulate", refuse)
    plan = P.make_plan(shapes, raw, get_board("pynq-z2"))
    assert plan.fits and plan.interval_cycles == 12603 and plan.fifos.depths == (16, 16)


def _select_one_by_one(per_layer, interval, board, reserved):
    """The selection as a loop over partial designs (what _select computed before it worked
    on arrays): each option added to each design, those within the budget sorted by their
    largest share, a design dropped when it needs at least as much of everything as one kept."""
    avail = P.available(board)
    budget = [P.UTILISATION[k] * avail[k] for k in RESOURCES] + [interval * P.ddr_rate(board)]

    def share(total):
        return max(
            t / b if b else (0.0 if t == 0 else math.inf)
            for t, b in zip(total, budget, strict=True)
        )

    states = [((*(float(getattr(reserved, k)) for k in RESOURCES), 0.0), [])]
    for cands in per_layer:
        options = [c for c in cands if c.cycles <= interval]
        grown = []
        for total, picks in states:
            for c in options:
                new = tuple(a + b for a, b in zip(total, P._needs(c), strict=True))
                if all(x <= b for x, b in zip(new, budget, strict=True)):
                    grown.append((new, [*picks, c]))
        if not grown:
            return None
        grown.sort(key=lambda st: share(st[0]))
        kept = []
        for st in grown:
            if not any(all(x >= y for x, y in zip(st[0], k[0], strict=True)) for k in kept):
                kept.append(st)
                if len(kept) >= P.STATES:
                    break
        states = kept
    return min(states, key=lambda st: share(st[0]))[1]


@pytest.mark.parametrize("board", ["pynq-z2", "zcu102"])
def test_selection_over_arrays_picks_what_the_loop_picked(default_layers, board):
    shapes, raw = default_layers
    b = get_board(board)
    per_layer = [P.candidates(s, raw[s.name], (False,), None) for s in shapes]
    reserved = P.system_total(P.board_system(shapes, P.chain(shapes), b))
    table = P._table(per_layer)
    cycles = sorted({c.cycles for cands in per_layer for c in cands})
    picked = 0
    for interval in cycles[:: max(1, len(cycles) // 12)] + [cycles[-1]]:
        fast = P._select(per_layer, interval, b, reserved, table)
        slow = _select_one_by_one(per_layer, interval, b, reserved)
        assert (fast is None) == (slow is None), interval
        if fast is not None:
            assert [c.choice for c in fast] == [c.choice for c in slow], interval
            picked += 1
    assert picked >= 2


def test_pareto_rows_in_blocks_keep_what_one_by_one_keeps():
    """Rows dropped for an earlier row of their block, kept or not, are the rows one-by-one
    dropping drops (ties included), up to the cap."""
    rng = np.random.default_rng(0)
    rows = rng.integers(0, 6, size=(700, 3)).astype(float)
    kept: list[int] = []
    for i, r in enumerate(rows):
        if not any((r >= rows[k]).all() for k in kept):
            kept.append(i)
    for cap in (5, len(kept), 10_000):
        assert P._pareto(rows, cap, block=64) == kept[:cap]
