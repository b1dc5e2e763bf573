"""FPGA boards: one YAML file per board in ``boards/`` (shipped as ``fpgagan.board_files``).

Each file gives the part, a default clock, the resources of the device (with the data sheet they
come from), the hls4ml backend and the host interface.  ``get_board('pynq-z2')`` loads one; an
unknown name is an error listing the known boards.
"""

from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path
from typing import Literal

from fpgagan.config import load_yaml
from fpgagan.errors import BoardError, ConfigError


@dataclasses.dataclass(frozen=True)
class Resources:
    lut: int
    ff: int
    dsp: int
    bram_18k: int
    uram: int = 0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if getattr(self, f.name) < 0:
                raise ValueError(f"{f.name} must be >= 0")


@dataclasses.dataclass(frozen=True)
class Board:
    name: str
    part: str
    clock_mhz: float
    resources: Resources
    backend: Literal["Vivado", "Vitis", "VivadoAccelerator"]
    interface: Literal["axi_stream", "axi_lite", "none"]
    source: str  # where the resource figures come from

    def __post_init__(self) -> None:
        if self.clock_mhz <= 0:
            raise ValueError(f"clock_mhz must be positive, got {self.clock_mhz}")

    @property
    def clock_period_ns(self) -> float:
        return 1000.0 / self.clock_mhz


def boards_dir() -> Path:
    return Path(str(resources.files("fpgagan.board_files")))


def known_boards() -> list[str]:
    return sorted(p.stem for p in boards_dir().glob("*.yaml"))


def load_board_file(path: str | Path) -> Board:
    """Load a board YAML strictly (unknown keys, missing fields and bad values are errors)."""
    try:
        board = load_yaml(Board, path)
    except ConfigError as exc:
        raise BoardError(str(exc)) from None
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
