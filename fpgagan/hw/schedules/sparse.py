"""The sparse schedule: per output block and tap, each lane takes the next non-zero weight of
its output among its bank's channels (:func:`fpgagan.hw.engine.sparse_schedule`); only non-zero
weights are stored, each with its channel offset, and every step has a control word (tap, block,
first, last).  Its length depends on where the zeros are."""

from __future__ import annotations

import numpy as np

from fpgagan.hw import engine as E
from fpgagan.hw import storage
from fpgagan.hw.schedules.base import Roms, Schedule, ScheduleRules, ctl_bits


class Sparse(ScheduleRules):
    schedule = Schedule.SPARSE
    prefix = "Sparse"
    rom_names = ("weights", "offsets", "ctl", "biases")

    def roms(self, raw: np.ndarray, geom: E.Geometry, par: E.Parallelism, book=None) -> Roms:
        s = E.sparse_schedule(raw, par)
        ctl = np.stack([s.tap, s.block, s.first, s.last], 1)
        return Roms(s.n_steps, s.weights, s.offsets, ctl, offset_bits=s.offset_bits)

    def steps(self, raw: np.ndarray, geom: E.Geometry, par: E.Parallelism) -> int:
        return E.sparse_steps(raw, par)

    def shape_fields(self, raw: np.ndarray, geom: E.Geometry, par: E.Parallelism) -> dict:
        return {
            "n_nonzero": int(np.count_nonzero(raw)),
            "ctl_bits": ctl_bits(geom, par),
            # the widest offset a bank of n_chan / k_par channels needs
            "offset_bits": max(1, (geom.n_chan // par.k_par - 1).bit_length()),
        }

    def weight_memories(self, shape, prefer_bram: bool) -> list[storage.Memory]:
        p, wd = shape.parallelism, shape.widths
        offset_bits = p.lanes * max(1, wd.offset_bits)
        return [
            self.weight_memory(shape, wd.w_bits, prefer_bram),
            storage.choose("offsets", shape.rom_words, offset_bits, True, prefer_bram),
            storage.choose("ctl", shape.rom_words, shape.ctl_bits, True, False),
        ]

    def stored_bits(self, shape, sizes: dict[str, int]) -> dict[str, int]:
        w = shape.widths
        return {
            "weights": sizes["weights"] * w.w_bits,
            "biases": sizes["biases"] * w.b_bits,
            "offsets": sizes["offsets"] * max(1, w.offset_bits),
            "control": sizes["ctl"] * shape.ctl_bits,
        }


RULES = Sparse()
