"""The codebook schedule (weight sharing): the dense schedule's steps over each weight's index
into the layer's K distinct values; per output, one partial sum per value accumulates the inputs
its weights meet, multiplied by the value once per pixel (:mod:`fpgagan.hw.codebook`).  The ROM
holds indices; the values are constants of the multipliers, not a memory.  Its lanes have no
common input to share a DSP pair, and its weights stay on chip."""

from __future__ import annotations

import numpy as np

from fpgagan.hw import engine as E
from fpgagan.hw import storage
from fpgagan.hw.schedules.base import Roms, Schedule
from fpgagan.hw.schedules.dense import Dense


class CodebookSchedule(Dense):
    """The dense schedule's steps and fields, over indices."""

    schedule = Schedule.CODEBOOK
    prefix = "Codebook"
    rom_names = ("weights", "biases", "codebook")
    shares_dsp = False
    streams_from_ddr = False

    def roms(self, raw: np.ndarray, geom: E.Geometry, par: E.Parallelism, book=None) -> Roms:
        if book is None:
            raise ValueError("the codebook schedule needs the layer's codebook")
        steps = self.steps(raw, geom, par)
        return Roms(steps, E.dense_rom(book.indices, par), codebook=book.values)

    def weight_memories(self, shape, prefer_bram: bool) -> list[storage.Memory]:
        return [self.weight_memory(shape, shape.widths.idx_bits, prefer_bram)]

    def stored_bits(self, shape, sizes: dict[str, int]) -> dict[str, int]:
        w = shape.widths
        return {
            "indices": sizes["weights"] * w.idx_bits,
            "codebook": sizes["codebook"] * w.w_bits,
            "biases": sizes["biases"] * w.b_bits,
        }


RULES = CodebookSchedule()
