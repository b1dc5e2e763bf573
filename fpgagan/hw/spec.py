"""One engine layer as the hardware model sees it: geometry, parallelism, bit widths, schedule,
ROM depths (:class:`EngineShape`), and the name of the kernel that computes it.  Built from the
hls4ml layer by :meth:`fpgagan.hls.engine_layers.EngineLayer.shape`; everything in
:mod:`fpgagan.hw` reads this value and nothing of hls4ml.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import NamedTuple

from fpgagan.hw.engine import Geometry, Kind, Parallelism
from fpgagan.hw.schedules import SCHEDULES, Schedule, ScheduleRules, schedule_of


class Storage(enum.StrEnum):
    """Where a layer's weights live (``RomStorage``): LUT-ROM or BRAM as the storage rules choose
    (``auto``), BRAM, or DDR, streamed by the layer's own port (:mod:`fpgagan.hw.offchip`)."""

    AUTO = "auto"
    BRAM = "bram"
    DDR = "ddr"


DDR = Storage.DDR

# the kernel (hls4ml layer class, nnet_fg_layers.h function) of each (kind, sparse, codebook)
KERNELS: dict[tuple[str, bool, bool], str] = {
    (kind, sched is Schedule.SPARSE, sched is Schedule.CODEBOOK): SCHEDULES[sched].kernel(kind)
    for sched in Schedule
    for kind in Kind
}


class MacsOptions(NamedTuple):
    """Multiplications per image that meet real inputs, under each weight schedule."""

    dense: int
    sparse: int

    def of(self, sparse: bool) -> int:
        return self.sparse if sparse else self.dense


class CodebookOption(NamedTuple):
    """The codebook kernel where a layer may take it: entries K (0: it may not), whether entry 0
    is the pruned weights' zero, and multiplications per image."""

    size: int = 0
    zero: bool = False
    macs: int = 0


NO_CODEBOOK = CodebookOption()


def kernel_name(kind: Kind, sparse: bool, codebook: bool = False) -> str:
    """The kernel of a layer of ``kind`` with the sparse or the codebook schedule (not both)."""
    return SCHEDULES[schedule_of(sparse, codebook)].kernel(kind)


@dataclasses.dataclass(frozen=True)
class Widths:
    """Bit widths of an engine layer's arithmetic (see nnet_fg_engine.h)."""

    x_bits: int
    x_signed: bool
    w_bits: int
    b_bits: int
    prod_bits: int
    tree_bits: int
    acc_bits: int
    out_bits: int  # bits of one output value (after the fused activation)
    offset_bits: int = 0  # sparse: channel offset within a bank
    acc_frac: int = 0  # fractional bits of the accumulator
    out_frac: int = 0  # fractional bits of an output value
    out_signed: bool = True
    idx_bits: int = 0  # codebook: bits of an index (the weight ROM's elements)
    ps_bits: int = 0  # codebook: bits of a partial sum


@dataclasses.dataclass(frozen=True)
class EngineShape:
    """Everything the cost model needs to count one engine layer's hardware."""

    name: str
    kernel: str  # class name of the layer
    geometry: Geometry
    parallelism: Parallelism
    widths: Widths
    n_steps: int  # cycles per output pixel
    sparse: bool
    n_nonzero: int  # stored weights (sparse) or all weights (dense)
    macs: int  # multiplications per image that meet real inputs and non-zero weights
    macs_options: MacsOptions  # macs of the dense and of the sparse schedule
    rom_words: int  # weight ROM depth (words of lanes x w_bits)
    activation: str
    io_type: str
    bias_values: int  # biases stored (n_out, or n_out per pixel of a Dense head)
    ctl_bits: int  # sparse: bits of a step's control word (tap, block, first, last)
    in_height: int = 1
    in_width: int = 1
    out_height: int = 1
    out_width: int = 1
    in_elements: int = 1  # input stream elements per image (io_stream)
    filt_height: int = 1
    stride_height: int = 1
    pad_top: int = 0
    rom_storage: Storage = Storage.AUTO  # where the weights live (the board plan may ask for BRAM)
    codebook_size: int = 0  # codebook kernel: entries K (0: weights are stored, not indices)
    codebook_zero: bool = False  # entry 0 is the pruned weights' zero (no partial sum)
    codebook_options: CodebookOption = NO_CODEBOOK  # the codebook kernel where eligible

    def __post_init__(self) -> None:  # named records, whatever sequence they were given as
        object.__setattr__(self, "macs_options", MacsOptions(*self.macs_options))
        object.__setattr__(self, "codebook_options", CodebookOption(*self.codebook_options))
        object.__setattr__(self, "rom_storage", Storage(str(self.rom_storage).lower()))

    @property
    def codebook(self) -> bool:
        return self.codebook_size > 0

    @property
    def codes(self) -> int:
        """Codebook entries with a partial sum and a multiplier."""
        return self.codebook_size - int(self.codebook_zero)

    @property
    def offchip(self) -> bool:
        """The layer reads its weights from DDR (:mod:`fpgagan.hw.offchip`)."""
        return self.rom_storage == DDR

    @property
    def schedule(self) -> Schedule:
        return schedule_of(self.sparse, self.codebook)

    @property
    def rules(self) -> ScheduleRules:
        """The layer's schedule's rules (:mod:`fpgagan.hw.schedules`)."""
        return SCHEDULES[self.schedule]

    @property
    def buffer_words(self) -> int:
        """Words (rows) of the input buffer: a Dense's input elements (one word each), the line
        buffer (io_stream) or the frame (io_parallel) in pixel words."""
        g = self.geometry
        if g.kind == "dense":
            return self.in_elements
        if self.offchip:  # each tile is applied to every pixel: the whole input map
            return self.in_height * self.in_width
        rows = g.line_rows if self.io_type == "io_stream" else self.in_height
        return rows * self.in_width

    @property
    def word_values(self) -> int:
        """Values in one word of the input buffer: a pixel's channels, or a Dense input element's
        values (a step reads k_par of them, so k_par divides it)."""
        g = self.geometry
        return g.n_chan // self.in_elements if g.kind == "dense" else g.n_chan

    @property
    def buffer_word_bits(self) -> int:
        return self.word_values * self.widths.x_bits

    @property
    def loop_iterations(self) -> int:
        """Iterations per image of the layer's one pipelined loop (``n_iter``): one per input
        element taken into the buffer, one per step of every output pixel."""
        g = self.geometry
        if self.offchip:  # take (inputs and tile 0), compute, emit: fpgagan.hw.offchip.Layout
            blocks = g.n_out // self.parallelism.n_par
            tile = g.n_mats * (self.n_steps // max(1, blocks))
            taken = self.in_elements if g.kind == "dense" else self.in_height * self.in_width
            return max(taken, tile) + g.n_pix * self.n_steps + g.n_pix * blocks
        taken = self.in_elements if g.kind == "dense" else self.in_height * self.in_width
        return taken + g.n_pix * self.n_steps
