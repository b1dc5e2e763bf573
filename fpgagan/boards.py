"""FPGA boards: one YAML file per board in ``boards/`` (shipped as ``fpgagan.board_files``).

Each file gives the part, a default clock, the resources of the device (with the data sheet they
come from), the hls4ml backend, the HLS tool, the host interface and the DDR memory the fabric
can read weights from (:class:`Ddr`, with the data sheets its figures rest on).  Every board
project is a Vitis HLS project (hls4ml's ``Vitis`` backend, ``vitis_hls``, UG1399): a file naming
another backend or tool (Vivado HLS ended with 2020.1) is refused.  ``get_board('pynq-z2')``
loads one; an unknown name is an error listing the known boards.

Board files travel between people, and their part and clock end up in Tcl scripts the vendor
tools source: the part must look like a part number, the name like a board name, the clock must
be a finite positive number, and every resource count a non-negative integer.
"""

from __future__ import annotations

import dataclasses
import math
import re
from importlib import resources
from pathlib import Path
from typing import Literal

from fpgagan.config import load_yaml
from fpgagan.errors import BoardError, ConfigError

# what a vendor part number looks like (xc7z020clg400-1, xck26-sfvc784-2LV-c): nothing Tcl reads
PART_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_part(part: object) -> str:
    """``part`` if it is a plausible part number; ValueError otherwise."""
    if not isinstance(part, str) or not PART_PATTERN.match(part):
        raise ValueError(f"part {part!r} is not a part number (letters, digits and '-' only)")
    return part


def check_clock_mhz(clock_mhz: object) -> float:
    """``clock_mhz`` as a float if it is finite and positive; ValueError otherwise."""
    if isinstance(clock_mhz, bool) or not isinstance(clock_mhz, int | float):
        raise ValueError(f"clock_mhz must be a number, got {clock_mhz!r}")
    if not math.isfinite(clock_mhz) or clock_mhz <= 0:
        raise ValueError(f"clock_mhz must be a finite positive number, got {clock_mhz}")
    return float(clock_mhz)


@dataclasses.dataclass(frozen=True)
class Resources:
    lut: int
    ff: int
    dsp: int
    bram_18k: int
    uram: int = 0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{f.name} must be a non-negative integer, got {value!r}")


# the data widths of the port the fabric reads DDR through (Zynq-7000 S_AXI_HP: 64; Zynq
# UltraScale+ S_AXI_HP*_FPD: up to 128; an Alveo DDR4 controller's AXI: 512)
DDR_PORT_BITS: tuple[int, ...] = (32, 64, 128, 256, 512)


@dataclasses.dataclass(frozen=True)
class Ddr:
    """The DDR memory an off-chip weight port reads (GB/s are 1e9 bytes a second).

    ``peak_gb_s``: the interface's data rate times its data width; ``sustained_gb_s``: what long
    sequential burst reads get (at most the peak; where it is an assumed efficiency of the peak,
    ``source`` says so); ``port_bits``: the data width of the one port the fabric reads DDR
    through; ``source``: the data sheets and user guides the figures come from."""

    peak_gb_s: float
    sustained_gb_s: float
    port_bits: int
    source: str

    def __post_init__(self) -> None:
        for name in ("peak_gb_s", "sustained_gb_s"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value <= 0
            ):
                raise ValueError(f"{name} must be a finite positive number (GB/s), got {value!r}")
        if self.sustained_gb_s > self.peak_gb_s:
            raise ValueError(
                f"sustained_gb_s ({self.sustained_gb_s:g}) exceeds peak_gb_s ({self.peak_gb_s:g})"
            )
        if isinstance(self.port_bits, bool) or self.port_bits not in DDR_PORT_BITS:
            known = ", ".join(map(str, DDR_PORT_BITS))
            raise ValueError(f"port_bits must be one of {known}, got {self.port_bits!r}")
        if not isinstance(self.source, str) or not self.source.strip():
            raise ValueError("source must name the data sheets the DDR figures come from")


# what a generated project can be (one definition each; everything imports them): the hls4ml
# backends (Vivado only for C simulation, ``fpgagan csim --backend``), io types and strategies
Backend = Literal["Vivado", "Vitis"]
BACKENDS: tuple[str, ...] = ("Vivado", "Vitis")
# what a board's project is: hls4ml's Vitis backend, taken to Vitis HLS (2022.2 or later)
BOARD_BACKEND = "Vitis"
HLS_TOOLS: tuple[str, ...] = ("vitis_hls",)
IoType = Literal["io_parallel", "io_stream"]
IO_TYPES: tuple[str, ...] = ("io_parallel", "io_stream")
Strategy = Literal["latency", "resource"]
STRATEGIES: tuple[str, ...] = ("latency", "resource")


@dataclasses.dataclass(frozen=True)
class Board:
    name: str
    part: str
    clock_mhz: float
    resources: Resources
    backend: str  # BOARD_BACKEND only (checked below, with a message saying why)
    interface: Literal["axi_stream", "axi_lite", "none"]
    source: str  # where the resource figures come from
    hls_tool: str = "vitis_hls"  # one of HLS_TOOLS
    ddr: Ddr | None = None  # None: no DDR the fabric can read, every plan keeps weights on chip

    def __post_init__(self) -> None:
        if self.backend != BOARD_BACKEND or self.hls_tool not in HLS_TOOLS:
            raise ValueError(
                f"backend {self.backend!r} with hls_tool {self.hls_tool!r} is not supported: "
                f"fpgagan generates Vitis HLS projects (backend: {BOARD_BACKEND}, "
                f"hls_tool: {HLS_TOOLS[0]})"
            )
        if not isinstance(self.name, str) or not NAME_PATTERN.match(self.name):
            raise ValueError(
                f"name {self.name!r} is not a board name (letters, digits, '.', '_' and '-')"
            )
        check_part(self.part)
        check_clock_mhz(self.clock_mhz)
        if self.ddr is not None and not isinstance(self.ddr, Ddr):
            raise ValueError(f"ddr must be a Ddr block, got {type(self.ddr).__name__}")

    @property
    def clock_period_ns(self) -> float:
        return 1000.0 / self.clock_mhz

    @property
    def ddr_bytes_per_cycle(self) -> float:
        """Bytes a clock cycle the fabric can read from DDR: the sustained rate at the board's
        clock, at most one beat of the port a cycle (0.0 without DDR)."""
        if self.ddr is None:
            return 0.0
        per_cycle = self.ddr.sustained_gb_s * 1e9 / (self.clock_mhz * 1e6)
        return min(per_cycle, self.ddr.port_bits / 8)


def boards_dir() -> Path:
    return Path(str(resources.files("fpgagan.board_files")))


def known_boards() -> list[str]:
    return sorted(p.stem for p in boards_dir().glob("*.yaml"))


def load_board_file(path: str | Path) -> Board:
    """Load a board YAML strictly (unknown keys, missing fields and bad values are errors)."""
    try:
        board = load_yaml(Board, path)
    except ConfigError as exc:  # load_yaml speaks of a "config file"; this one is a board file
        raise BoardError(str(exc).replace("config file", "board file")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BoardError(f"{path}: cannot read the board file ({type(exc).__name__})") from None
    if Path(path).stem != board.name:
        raise BoardError(f"{path}: file name does not match board name {board.name!r}")
    return board


def get_board(name: str) -> Board:
    """The board called ``name`` (or a path to a board YAML file)."""
    if name.endswith((".yaml", ".yml")) or "/" in name:
        return load_board_file(name)
    path = boards_dir() / f"{name}.yaml"
    if not path.is_file():
        raise BoardError(f"unknown board {name!r} (known boards: {', '.join(known_boards())})")
    return load_board_file(path)
