"""What every weight schedule of the MAC engine implements (one module per schedule, registered in
:data:`fpgagan.hw.schedules.SCHEDULES`): its ROM images, its steps per output pixel, the fields of
an :class:`~fpgagan.hw.spec.EngineShape` it sets, the weight memories the cost model counts, and
the names of its kernel and of the ROMs the kernel takes.
"""

from __future__ import annotations

import abc
import enum
from typing import ClassVar, NamedTuple

import numpy as np

from fpgagan.hw import storage
from fpgagan.hw.engine import Geometry, Kind, Parallelism


class Schedule(str, enum.Enum):
    """How an engine layer steps through its weights; as a ``str`` it equals its word."""

    DENSE = "dense"
    SPARSE = "sparse"
    CODEBOOK = "codebook"


# the kernel class of each kind, after the schedule's prefix (FgLinear, FgSparseConv, ...)
KIND_CLASS = {Kind.DENSE: "Linear", Kind.CONV: "Conv", Kind.CONV_TRANSPOSE: "ConvTranspose"}


class Roms(NamedTuple):
    """One layer's ROM images under its schedule (``None``: the schedule has no such ROM)."""

    n_steps: int  # cycles per output pixel
    weights: np.ndarray  # one word per step: raw weights, or a codebook layer's indices
    offsets: np.ndarray | None = None  # sparse: each lane's channel offset within its bank
    ctl: np.ndarray | None = None  # sparse: each step's (tap, block, first, last)
    codebook: np.ndarray | None = None  # codebook: the K raw values the indices select
    offset_bits: int = 0  # sparse: bits of an offset


class ScheduleRules(abc.ABC):
    """One weight schedule.  A new schedule is a module with a subclass and a row in
    :data:`fpgagan.hw.schedules.SCHEDULES`."""

    schedule: ClassVar[Schedule]
    prefix: ClassVar[str]  # of its kernels' class names: Fg<prefix><Linear|Conv|ConvTranspose>
    rom_names: ClassVar[tuple[str, ...]]  # the ROMs its kernel takes, in argument order
    shares_dsp: ClassVar[bool] = False  # its lanes may share DSP48 pairs (a common input)
    streams_from_ddr: ClassVar[bool] = False  # its weights may stream from DDR (hw.offchip)

    def kernel(self, kind: Kind | str) -> str:
        """The kernel (hls4ml layer class, nnet_fg_layers.h wrapper) of a layer of ``kind``."""
        return f"Fg{self.prefix}{KIND_CLASS[Kind(kind)]}"

    @abc.abstractmethod
    def roms(self, raw: np.ndarray, geom: Geometry, par: Parallelism, book=None) -> Roms:
        """The ROM images of raw weights ``raw`` (n_mats, n_taps, n_chan, n_out) of a layer of
        ``geom`` at ``par``
        (``book``: the layer's :class:`fpgagan.hw.codebook.Codebook`, codebook schedule only)."""

    @abc.abstractmethod
    def steps(self, raw: np.ndarray, geom: Geometry, par: Parallelism) -> int:
        """Cycles per output pixel at ``par`` (without building the ROMs)."""

    @abc.abstractmethod
    def shape_fields(self, raw: np.ndarray, geom: Geometry, par: Parallelism) -> dict:
        """The :class:`~fpgagan.hw.spec.EngineShape` fields that depend on the schedule
        (``n_nonzero``, ``ctl_bits``, ``offset_bits`` of the widths) at ``par``."""

    @abc.abstractmethod
    def weight_memories(self, shape, prefer_bram: bool) -> list[storage.Memory]:
        """The on-chip arrays that hold the layer's weights (and their schedule)."""

    @abc.abstractmethod
    def stored_bits(self, shape, sizes: dict[str, int]) -> dict[str, int]:
        """Bits of each ROM the layer's wrapper declares, biases included, from ``sizes``: the
        elements of each of its ROM images (``ctl``: its steps)."""

    def weight_memory(self, shape, word_bits: int, prefer_bram: bool) -> storage.Memory:
        """The ROM of ``rom_words`` words, one per step, of ``lanes`` values of ``word_bits``."""
        lanes = shape.parallelism.lanes
        return storage.choose("weights", shape.rom_words, lanes * word_bits, True, prefer_bram)


def ctl_bits(geom: Geometry, par: Parallelism) -> int:
    """Bits of a sparse step's control word: tap, output block, first and last flags."""
    n_blocks = max(1, geom.n_out // par.n_par)
    return max(1, (geom.n_taps - 1).bit_length()) + max(1, (n_blocks - 1).bit_length()) + 2
