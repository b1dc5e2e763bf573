"""``fpgagan sweep``: one generator over boards x planner settings, one table.

Every cell (board, clock, which schedules the plan may use) is an independent task of an executor
(:mod:`fpgagan.workflows.executor`).  By default a cell is the board plan (a probe conversion and
the fastest plan that fits, seconds); with ``n`` > 0 it is the whole board flow (HLS project,
C simulation of ``n`` latents, bit-exact check), in ``<out>/cells/<cell>/``.  Either way the row
is the cost model's estimate of what the plan instantiates.  Writes ``table.{md,csv,json}``; a
failed cell's row carries its one-line error and names the file that holds its traceback,
``cells/<cell>/error.log``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fpgagan.boards import get_board
from fpgagan.config import to_dict
from fpgagan.errors import ConfigError
from fpgagan.folders import staged
from fpgagan.hw.sparsity import SPARSE_MODES
from fpgagan.io import write_text_atomic
from fpgagan.limits import MAX_LATENTS
from fpgagan.report.estimate import cost_estimate
from fpgagan.report.hls_report import CostEstimate
from fpgagan.report.tables import Column, markdown_table, write_tables
from fpgagan.workflows.executor import Executor, Outcome, SerialExecutor, Task
from fpgagan.workflows.hls_flow import HlsFlowConfig, plan_board, run_hls_flow
from fpgagan.workflows.model_source import resolve_model

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclasses.dataclass(frozen=True)
class Cell:
    board: str
    clock_mhz: float | None  # None: the board's own clock (or the base config's)
    sparse: str  # which schedules the plan may use: auto, true, false

    @property
    def key(self) -> str:
        clock = "board clock" if self.clock_mhz is None else f"{self.clock_mhz:g} MHz"
        return f"{self.board}, {clock}, sparse {self.sparse}"

    @property
    def folder(self) -> str:
        """The cell's folder under ``<out>/cells``: one plain path component, whatever the board
        was given as (a board file's path names its stem only)."""
        clock = "" if self.clock_mhz is None else f"-{self.clock_mhz:g}mhz"
        stem = _UNSAFE.sub("_", Path(self.board).stem).lstrip(".-") or "board"
        return f"{stem[:64]}{clock}-sparse-{_UNSAFE.sub('_', self.sparse)[:16]}"


def grid(
    boards: Sequence[str],
    clocks: Sequence[float | None] = (None,),
    sparse: Sequence[str] = ("auto",),
) -> list[Cell]:
    """Every combination, boards outermost; unknown boards and modes are refused before any work."""
    for b in boards:
        get_board(b)
    for mode in sparse:
        if mode not in SPARSE_MODES:
            raise ConfigError(f"unknown sparse mode {mode!r} (known: {', '.join(SPARSE_MODES)})")
    for clock in clocks:
        if clock is not None and not (math.isfinite(clock) and clock > 0):
            raise ConfigError(f"clock {clock} MHz: must be finite and positive")
    cells = [Cell(b, c, s) for b, c, s in itertools.product(boards, clocks, sparse)]
    seen: dict[str, Cell] = {}
    for c in cells:
        if c.folder in seen:
            raise ConfigError(
                f"cells {seen[c.folder].key!r} and {c.key!r} would share the folder {c.folder}; "
                "give each board once, under distinct file names"
            )
        seen[c.folder] = c
    return cells


def _cfg(base: HlsFlowConfig, cell: Cell) -> HlsFlowConfig:
    clock = cell.clock_mhz if cell.clock_mhz is not None else base.clock_mhz
    return dataclasses.replace(base, sparse=cell.sparse, clock_mhz=clock)


def _record(cell: Cell, cost: CostEstimate, clock_mhz: float) -> dict[str, Any]:
    t = cost.totals
    return {"board": cell.board, "clock_mhz": clock_mhz, "sparse": cell.sparse,
            "images_per_s": cost.images_per_s, "interval_cycles": cost.interval_cycles,
            "lut": t.lut, "ff": t.ff, "dsp": t.dsp, "bram_18k": t.bram_18k,
            "max_usage": max(cost.usage.values()), "limiting": cost.limiting,
            "fits": cost.fits, "ddr_gb_s": cost.ddr_gb_s}  # fmt: skip


def plan_cell(model: str | None, cell: Cell, base: HlsFlowConfig) -> dict[str, Any]:
    """Task: the board plan of ``model`` for ``cell`` and its cost estimate."""
    cfg = _cfg(base, cell)
    board = get_board(cell.board)
    if cfg.clock_mhz:  # as the board flow does
        board = dataclasses.replace(board, clock_mhz=cfg.clock_mhz)
    with tempfile.TemporaryDirectory(prefix="fpgagan-sweep-") as tmp:
        plan = plan_board(resolve_model(model).qonnx, board, cfg, Path(tmp))
    return _record(cell, cost_estimate(plan, board), board.clock_mhz)


def flow_cell(
    model: str | None,
    cell: Cell,
    base: HlsFlowConfig,
    out: Path,
    n: int,
    teacher: str | None,
    data_root: str | None,
) -> dict[str, Any]:
    """Task: the whole board flow of ``model`` for ``cell`` into ``out``."""
    report = run_hls_flow(cell.board, out, model, n, _cfg(base, cell), teacher, data_root)
    exact = report.bit_exact.exact and report.bit_exact_independent.exact
    return _record(cell, report.cost, report.board.clock_mhz) | {
        "csim_bit_exact": exact,
        "csim_latents": report.n_latents,
    }


ERROR_LOG = "error.log"  # a failed cell's traceback, in its folder under <out>/cells


def _row(cell: Cell, out: Outcome, work: Path) -> dict[str, Any]:
    """The table row of one cell: its record, or (failed) its settings, the one-line error and
    where its traceback is."""
    if out.ok:
        return dict(out.value) | {"seconds": round(out.seconds, 1), "error": None}
    row = {"board": cell.board, "sparse": cell.sparse, "clock_mhz": cell.clock_mhz}
    error = out.error
    if out.traceback is not None:
        log_path = Path("cells") / cell.folder / ERROR_LOG
        (work / log_path).parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(work / log_path, f"{cell.key}\n\n{out.traceback}")
        error = f"{error} (traceback: {log_path.as_posix()})"
    return row | {"seconds": round(out.seconds, 1), "error": error}


COLUMNS: tuple[Column, ...] = (
    ("board", "board", "{}"),
    ("clock_mhz", "clock MHz", "{:g}"),
    ("sparse", "sparse", "{}"),
    ("images_per_s", "images/s", "{:,.0f}"),
    ("interval_cycles", "interval", "{:,}"),
    ("lut", "LUT", "{:,.0f}"),
    ("ff", "FF", "{:,.0f}"),
    ("dsp", "DSP", "{:,.0f}"),
    ("bram_18k", "BRAM_18K", "{:,.0f}"),
    ("max_usage", "max use", "{:.0%}"),
    ("limiting", "limit", "{}"),
    ("ddr_gb_s", "DDR GB/s", "{:.2f}"),  # weights off chip: the bandwidth at the plan's rate
    ("fits", "fits", "{}"),
)
CSIM_COLUMNS: tuple[Column, ...] = (("csim_bit_exact", "csim exact", "{}"),)
FAILED_COLUMN: Column = ("error", "failed", "{}")


def run_sweep(
    cells: Sequence[Cell],
    out_dir: Path,
    model: str | None = None,
    base: HlsFlowConfig | None = None,
    n: int = 0,
    teacher: str | None = None,
    data_root: str | None = None,
    executor: Executor | None = None,
) -> list[dict[str, Any]]:
    """One row per cell (in order; a failed cell's row carries its one-line error) -> ``out_dir``."""
    if not 0 <= n <= MAX_LATENTS:
        raise ConfigError(
            f"latents per cell must be in 0..{MAX_LATENTS:,} (0: plans only), got {n:,}"
        )
    base = base or HlsFlowConfig()
    executor = executor or SerialExecutor()
    model = str(Path(model).absolute()) if model is not None else None
    teacher = str(Path(teacher).absolute()) if teacher is not None else None
    with staged(out_dir, "sweep output") as work:
        tasks = [
            Task(
                c.key, flow_cell, (model, c, base, work / "cells" / c.folder, n, teacher, data_root)
            )
            if n > 0
            else Task(c.key, plan_cell, (model, c, base))
            for c in cells
        ]
        outcomes = executor.run(tasks)
        rows = [_row(cell, out, work) for cell, out in zip(cells, outcomes, strict=True)]
        columns = COLUMNS + (CSIM_COLUMNS if n > 0 else ())
        columns += (FAILED_COLUMN,) if any(r["error"] for r in rows) else ()
        note = (f"C simulation of {n} latents per cell, compared bit for bit" if n > 0 else
                "plans only (no C simulation)")  # fmt: skip
        md = (
            markdown_table(columns, rows)
            + f"\n\n- model: {model or 'the shipped default'}; {note}.\n"
            + "- resources, images/s, fits: fpgagan's cost model of what the plan instantiates "
            "(an estimate, not synthesis).\n"
        )
        meta = {"model": model, "csim_latents": n, "base": to_dict(base)}
        write_tables(work, rows, md, meta)
    return rows
