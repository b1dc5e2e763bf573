"""The board plan of a QONNX model: the planner's overrides (``fpgagan hls --config X.yaml``),
the hls4ml options for a board, and the fastest plan that fits it.

Shared by the board flow (:mod:`fpgagan.workflows.hls_flow`, which re-exports all three) and
the frame-rate plans at video sizes (:mod:`fpgagan.workflows.frame_rates`), which the flow's
report of a photo super-resolution model includes.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import typing
from pathlib import Path

from fpgagan.boards import Board, IoType, Strategy
from fpgagan.config import TriState
from fpgagan.hls.convert import HlsOptions, convert, hardware_graph
from fpgagan.hls.dataflow_graph import extract
from fpgagan.hls.engine_layers import engine_layers
from fpgagan.hw.plan import Plan, make_plan
from fpgagan.hw.sparsity import plan_schedules


@dataclasses.dataclass(frozen=True)
class HlsFlowConfig:
    """Overrides of the planner (``fpgagan hls --config X.yaml``)."""

    io_type: IoType = "io_stream"
    strategy: Strategy = "resource"
    reuse: dict[str, int] = dataclasses.field(default_factory=dict)  # layer -> steps per pixel
    clock_mhz: float | None = None
    # which schedules the plan may give a layer: auto = the sparse one too where the weight
    # sparsity reaches the threshold (the plan takes the cheaper), true / false = only that one
    sparse: TriState = TriState.AUTO
    # whether layers may read their weights from DDR (fpgagan.hw.offchip): auto = where the board
    # has DDR and the on-chip plan does not fit or is short of block RAM; true = offered to every
    # layer; false = every weight on chip
    offchip: TriState = TriState.AUTO
    # what an image-to-image model is fed: auto = the held-out photographs (fpgagan.data.photos)
    # for an RGB 2x super-resolution model, Fashion-MNIST's test images otherwise
    images: typing.Literal["auto", "fashion-mnist", "photos"] = "auto"

    def __post_init__(self) -> None:
        object.__setattr__(self, "sparse", TriState.parse(self.sparse, "sparse"))
        object.__setattr__(self, "offchip", TriState.parse(self.offchip, "offchip"))
        if self.clock_mhz is not None and not (
            math.isfinite(self.clock_mhz) and self.clock_mhz > 0
        ):
            raise ValueError(f"clock_mhz must be finite and positive, got {self.clock_mhz}")
        for name, rf in self.reuse.items():
            if rf < 1:
                raise ValueError(f"reuse factor of {name!r} must be >= 1, got {rf}")


def options(board: Board, cfg: HlsFlowConfig, layer_config: dict | None = None) -> HlsOptions:
    """The hls4ml options for ``board`` (HlsOptions refuses a part or clock it cannot use)."""
    return HlsOptions(
        io_type=cfg.io_type,
        strategy=cfg.strategy,
        backend=board.backend,
        part=board.part,
        clock_period=board.clock_period_ns,
        layer_config=layer_config or {},
    )


def plan_board(qonnx_model, board: Board, cfg: HlsFlowConfig, workdir: Path) -> Plan:
    """The engine layers of ``qonnx_model`` (a probe conversion in ``workdir``) and the fastest
    plan that fits ``board``."""
    hw_model, _ = hardware_graph(qonnx_model)
    probe_dir = workdir / ".probe"
    probe = convert(hw_model, probe_dir, HlsOptions(io_type=cfg.io_type, backend="Vitis"))
    shutil.rmtree(probe_dir, ignore_errors=True)
    layers = engine_layers(probe)
    raw = {layer.name: layer.get_attr("raw_mats") for layer in layers}
    schedules = {
        layer.name: plan_schedules(layer.get_attr("weight_sparsity"), cfg.sparse)
        for layer in layers
    }
    shapes = [layer.shape() for layer in layers]
    offchip = {TriState.AUTO: None, TriState.TRUE: True, TriState.FALSE: False}[cfg.offchip]
    plan = make_plan(
        shapes, raw, board, dict(cfg.reuse), schedules, flow=extract(probe), offchip=offchip
    )
    if set(plan.choices) != {layer.name for layer in layers}:
        raise RuntimeError("the plan does not cover every engine layer")
    return plan
