"""The MAC engine's weight schedules, one module each, behind one interface
(:class:`~fpgagan.hw.schedules.base.ScheduleRules`) and registered in :data:`SCHEDULES`: the
converter builds a layer's ROMs, the planner re-schedules it and the cost model counts its weight
memories through this table, and the kernels' names come from it.  Weights streamed from DDR are
a storage of the dense schedule (:mod:`fpgagan.hw.offchip`), not a schedule.
"""

from __future__ import annotations

from fpgagan.hw.schedules import codebook, dense, sparse
from fpgagan.hw.schedules.base import KIND_CLASS, Roms, Schedule, ScheduleRules

SCHEDULES: dict[Schedule, ScheduleRules] = {
    rules.schedule: rules for rules in (dense.RULES, sparse.RULES, codebook.RULES)
}


def schedule_of(sparse: bool, codebook: bool) -> Schedule:
    """The schedule of a layer that is ``sparse`` or ``codebook`` (not both) or neither."""
    if sparse and codebook:
        raise ValueError("a layer takes the sparse or the codebook schedule, not both")
    return Schedule.CODEBOOK if codebook else Schedule.SPARSE if sparse else Schedule.DENSE


def rules_of(schedule: Schedule | str) -> ScheduleRules:
    return SCHEDULES[Schedule(schedule)]


__all__ = [
    "KIND_CLASS",
    "SCHEDULES",
    "Roms",
    "Schedule",
    "ScheduleRules",
    "rules_of",
    "schedule_of",
]
