"""What the shell's files are written from: each side of the network as the shell sees it
(:class:`Port`) and the whole shell (:class:`ShellSpec`); :mod:`fpgagan.shell.top` builds it from
the converted hls4ml model and writes the top, :mod:`fpgagan.shell.scripts` the scripts around it.
"""

from __future__ import annotations

import dataclasses
import math

from fpgagan.hls.offchip_ports import DdrPort
from fpgagan.hw.system import shell_step, values_per_beat
from fpgagan.shell.host_codec import FixedType, beats

WEIGHTS_ALIGN_BEATS = 512  # each image starts on a 4 KiB boundary (512 beats of 8 bytes)


@dataclasses.dataclass(frozen=True)
class Port:
    """One side of the network as the shell sees it."""

    type_name: str  # hls4ml's stream element type (input_t, result_t)
    fixed: FixedType  # its values' type
    shape: tuple[int, ...]  # per sample, device layout
    elem_values: int  # values per stream element

    @property
    def n_values(self) -> int:
        return math.prod(self.shape)

    @property
    def per_beat(self) -> int:
        """Values in a beat: whole elements where one fits (:func:`values_per_beat`)."""
        return values_per_beat(self.elem_values, self.fixed.width)

    @property
    def step(self) -> int:
        """Values per loop iteration: at most one element and one beat per cycle."""
        return shell_step(self.elem_values, self.fixed.width)

    @property
    def beats(self) -> int:
        return beats(self.n_values, self.fixed.width, self.per_beat)


@dataclasses.dataclass(frozen=True)
class ShellSpec:
    """What the shell files are written from (all of it checked numbers and identifiers)."""

    project: str  # hls4ml project name; the shell's top is <project>_axi
    inp: Port
    out: Port
    part: str
    clock_period_ns: float
    # the off-chip layers' weight ports (m_axi), in the order of their images in WEIGHTS_FILE
    ddr_ports: tuple[DdrPort, ...] = ()

    @property
    def top(self) -> str:
        return f"{self.project}_axi"

    def port_args(self, default: bool) -> str:
        """The weight ports as arguments (``default``: with their C-simulation defaults)."""
        return "".join(
            f", const uint64_t *{p.arg}" + (f" FG_DDR_DEFAULT({p.array})" if default else "")
            for p in self.ddr_ports
        )

    def port_offsets(self) -> list[int]:
        """Each port's image offset in WEIGHTS_FILE, in beats (images aligned to 4 KiB)."""
        out, at = [], 0
        for p in self.ddr_ports:
            out.append(at)
            at += -(-p.beats // WEIGHTS_ALIGN_BEATS) * WEIGHTS_ALIGN_BEATS
        return out
