"""Where an array of the generated design lives (registers, LUTRAM/LUT-ROM, BRAM_18K) and what
it costs: formulas from the 7-series memory primitives, the same rule the generated C++ follows
(its BIND_STORAGE pragmas and line-buffer specialisations are emitted from :func:`choose`).

- **BRAM_18K** (UG473, RAMB18E1): 16Kx1, 8Kx2, 4Kx4, 2Kx9, 1Kx18, and 512x36 in simple dual-port
  mode (one write and one read port, what every fpgagan memory needs).  A memory of depth x width
  takes the cheapest tiling: ``min over shapes of ceil(width / w) * ceil(depth / d)``.
- **LUTRAM** (UG474, SLICEM): simple dual-port RAM32M = 4 LUTs per 32 x 6 bits, RAM64M = 4 LUTs
  per 64 x 3 bits; deeper memories are built from 64-deep columns with a LUT read multiplexer.
  A ROM in LUTs: one LUT6 per 64 x 1 bits (F7/F8 muxes combine up to 256 deep).
- **registers**: one flip-flop per bit, plus a read multiplexer when the address varies.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Literal

Impl = Literal["registers", "lutram", "bram"]
IMPLS: tuple[Impl, ...] = ("registers", "lutram", "bram")

BRAM18_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))
LUTRAM_SHAPES = ((32, 6), (64, 3))  # (depth, width) per 4-LUT RAM32M / RAM64M, simple dual port
LUTS_PER_LUTRAM_PRIMITIVE = 4
ROM_LUT_DEPTH = 64  # a LUT6 is a 64 x 1 ROM
MUXF_DEPTH = 256  # F7/F8 muxes join four 64-deep LUT ROMs without LUTs
# arrays at most this many bits stay in registers (what HLS does with small arrays)
REGISTER_MAX_BITS = 256
# arrays at most this deep go to LUTRAM / LUT-ROM rather than BRAM unless that costs more LUTs
# than LUTRAM_MAX_LUTS; deeper or wider ones go to BRAM
# a URAM288 block holds 288 Kb = 16 x 18 Kb: where a board has UltraRAM, the plan counts each as
# 16 BRAM18K of capacity (the one conversion; board pages and reports use it too)
BRAM18_PER_URAM = 16
LUTRAM_MAX_DEPTH = 64
LUTRAM_MAX_LUTS = 2048
# read latency of a ROM (cycles from address to data; what BIND_STORAGE latency= says): BRAM with
# its output register, LUT-ROM with a register after the LUTs
READ_LATENCY = {"bram": 2, "lutram": 1, "registers": 0}
# a ROM word wider than this is registered once more after the memory (latency one higher): its
# bits feed lane groups spread over a large part of the die, and the extra register lets the
# placer put a copy of each group's bits next to the group (the word's bits feed one lane each,
# so the register is the word's width, not the lanes' count)
FANOUT_REGISTER_BITS = 512


@dataclasses.dataclass(frozen=True)
class Memory:
    """One array of the design and where it lives."""

    name: str
    depth: int  # words
    width: int  # bits per word (what one port reads per cycle)
    rom: bool
    impl: Impl
    lut: float
    ff: float
    bram_18k: int
    source: str
    fanout_register: bool = False  # a wide ROM word's second output register (see above)

    @property
    def bits(self) -> int:
        return self.depth * self.width

    @property
    def latency(self) -> int:
        """Cycles from a read's address to its data."""
        return READ_LATENCY[self.impl] + int(self.fanout_register)


def bram_layout(depth: int, width: int) -> tuple[int, int]:
    """(RAMB18E1 primitives, of which stacked in depth) for depth x width: the cheapest aspect
    ratio, then the fewest blocks in depth."""
    if depth <= 0 or width <= 0:
        return 0, 0
    return min(
        (math.ceil(width / w) * math.ceil(depth / d), math.ceil(depth / d))
        for d, w in BRAM18_SHAPES
    )


def bram18(depth: int, width: int) -> int:
    """RAMB18E1 primitives for depth x width (cheapest aspect ratio)."""
    return bram_layout(depth, width)[0]


def bram_read_mux_luts(depth: int, width: int) -> float:
    """LUTs that select a BRAM array's read data among its blocks stacked in depth: with the
    cheapest aspect ratio (fewest blocks, then fewest in depth) ``n`` blocks deep, an ``n:1``
    multiplexer per bit of the word, a LUT6 selecting among 4 (the same formula as LUTRAM
    columns; Vivado may cascade two blocks instead, so an upper bound)."""
    _, deep = bram_layout(depth, width)
    return float(width * math.ceil(max(deep - 1, 0) / 3))


def lutram_luts(depth: int, width: int) -> float:
    """LUTs of a simple dual-port LUTRAM of depth x width."""
    if depth <= 64:
        return min(
            LUTS_PER_LUTRAM_PRIMITIVE * math.ceil(width / w) for d, w in LUTRAM_SHAPES if depth <= d
        )
    columns = math.ceil(depth / 64)
    read_mux = width * math.ceil((columns - 1) / 3)  # a LUT6 selects among 4 columns
    return LUTS_PER_LUTRAM_PRIMITIVE * math.ceil(width / 3) * columns + read_mux


def lut_rom_luts(depth: int, width: int) -> float:
    """LUTs of a ROM in LUT6s (64 x 1 each; F7/F8 muxes up to 256 deep, LUT muxes beyond)."""
    luts = width * math.ceil(depth / ROM_LUT_DEPTH)
    if depth > MUXF_DEPTH:
        luts += width * math.ceil((math.ceil(depth / MUXF_DEPTH) - 1) / 3)
    return luts


def register_read_mux_luts(depth: int, width: int) -> float:
    """A depth:1 read multiplexer in LUT6s: a LUT6 selects among 4 inputs (F7/F8 muxes combine
    four LUTs for free), so about depth/4 LUTs per bit."""
    return 0.0 if depth <= 1 else float(width * math.ceil(depth / 4))


def cost(
    name: str, depth: int, width: int, rom: bool, impl: Impl, addressed: bool = True
) -> Memory:
    """What ``impl`` costs for a depth x width array (``addressed``: the read address varies); a
    ROM in BRAM or LUTs whose word is wider than :data:`FANOUT_REGISTER_BITS` with its fan-out
    register."""
    mem = _cost(name, depth, width, rom, impl, addressed)
    if rom and impl != "registers" and width > FANOUT_REGISTER_BITS:
        return dataclasses.replace(
            mem,
            ff=mem.ff + width,
            fanout_register=True,
            source=f"{mem.source}; + fan-out register, 1 FF per bit of the word",
        )
    return mem


def _cost(name: str, depth: int, width: int, rom: bool, impl: Impl, addressed: bool) -> Memory:
    if impl == "bram":
        return Memory(
            name,
            depth,
            width,
            rom,
            impl,
            lut=bram_read_mux_luts(depth, width),
            ff=0.0,
            bram_18k=bram18(depth, width),
            source="formula: RAMB18E1 aspect ratios 16Kx1..512x36 (UG473), + the read mux over "
            "blocks stacked in depth (LUT6 = 4:1)",
        )
    if rom:  # constants: a LUT6 holds 64 x 1 bits, whether bound to 'registers' or 'lutram'
        return Memory(
            name,
            depth,
            width,
            rom,
            impl,
            lut=float(lut_rom_luts(depth, width)),
            ff=float(width) if impl == "lutram" else 0.0,
            bram_18k=0,
            source="formula: ROM in LUT6s (64x1 per LUT)",
        )
    if impl == "lutram":
        return Memory(
            name,
            depth,
            width,
            rom,
            impl,
            lut=float(lutram_luts(depth, width)),
            ff=float(width),
            bram_18k=0,  # registered read
            source="formula: SDP LUTRAM (RAM32M 32x6, RAM64M 64x3 per 4 LUTs)",
        )
    return Memory(
        name,
        depth,
        width,
        rom,
        impl,
        lut=register_read_mux_luts(depth, width) if addressed else 0.0,
        ff=float(depth * width),
        bram_18k=0,
        source="formula: registers, 1 FF per bit + a depth:1 read mux",
    )


def choose(name: str, depth: int, width: int, rom: bool, prefer_bram: bool = False) -> Memory:
    """The implementation fpgagan binds an array to: registers when tiny, LUTRAM / LUT-ROM when
    shallow and not too wide, BRAM otherwise (``prefer_bram``: BRAM whenever it is not tiny)."""
    if depth * width <= REGISTER_MAX_BITS or depth <= 1:
        return cost(name, depth, width, rom, "registers")
    if not prefer_bram and depth <= LUTRAM_MAX_DEPTH:
        lut = cost(name, depth, width, rom, "lutram")
        if lut.lut <= LUTRAM_MAX_LUTS:
            return lut
    return cost(name, depth, width, rom, "bram")
