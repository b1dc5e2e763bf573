"""The dense schedule: step ``r`` of a pixel handles output block ``r // k_blocks`` and window
values ``(r % k_blocks) * k_par ...``; every weight is stored, zeros too
(:func:`fpgagan.hw.engine.dense_rom`).  The only schedule whose lanes share DSP pairs (they read
one window value) and whose weights may stream from DDR (:mod:`fpgagan.hw.offchip`)."""

from __future__ import annotations

import numpy as np

from fpgagan.hw import engine as E
from fpgagan.hw import storage
from fpgagan.hw.schedules.base import Roms, Schedule, ScheduleRules


class Dense(ScheduleRules):
    schedule = Schedule.DENSE
    prefix = ""
    rom_names = ("weights", "biases")
    shares_dsp = True
    streams_from_ddr = True

    def roms(self, raw: np.ndarray, geom: E.Geometry, par: E.Parallelism, book=None) -> Roms:
        return Roms(self.steps(raw, geom, par), E.dense_rom(raw, par))

    def steps(self, raw: np.ndarray, geom: E.Geometry, par: E.Parallelism) -> int:
        return E.dense_steps(geom, par.n_par, par.k_par)

    def shape_fields(self, raw: np.ndarray, geom: E.Geometry, par: E.Parallelism) -> dict:
        return {"n_nonzero": int(raw.size), "ctl_bits": 0, "offset_bits": 0}

    def weight_memories(self, shape, prefer_bram: bool) -> list[storage.Memory]:
        return [self.weight_memory(shape, shape.widths.w_bits, prefer_bram)]

    def stored_bits(self, shape, sizes: dict[str, int]) -> dict[str, int]:
        w = shape.widths
        return {"weights": sizes["weights"] * w.w_bits, "biases": sizes["biases"] * w.b_bits}


RULES = Dense()
