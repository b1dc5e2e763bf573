"""Frames per second of an image-to-image model at video frame sizes, from the board plan.

A fully convolutional model (a photo super-resolution network, say) is planned at the input
frame that makes a given output frame (:func:`fpgagan.export.frame_size.at_frame_size`: 640x360
input for a 2x model's 1280x720 output); its rate is the board's clock over the plan's interval.
The plan also gives the on-chip memory: the weights and biases do not depend on the frame, and
an io_stream convolution's line buffer holds ``line_rows`` rows of the frame's width, so the memory
depends on the width and not the height (``buffer_bits``; what grows with the frame is the
interval, not the memory).
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from fpgagan.boards import get_board
from fpgagan.errors import ExportError
from fpgagan.export.frame_size import at_frame_size
from fpgagan.workflows.hls_flow import HlsFlowConfig, plan_board
from fpgagan.workflows.model_source import graph_dims

VIDEO_FRAMES: dict[str, tuple[int, int]] = {"720p": (720, 1280), "1080p": (1080, 1920)}
BUFFER = "buffer"  # the layer memory that holds an io_stream convolution's line buffer


@dataclasses.dataclass(frozen=True)
class FrameRate:
    """One plan of a model at one frame size: its rate, resources and on-chip memory."""

    board: str
    out_height: int
    out_width: int
    in_height: int
    in_width: int
    clock_mhz: float
    interval_cycles: int
    frames_per_s: float
    fits: bool
    limiting: str
    usage: dict[str, float]
    memory_bits: int  # every array of every engine layer (weights, biases, line buffers, ...)
    buffer_bits: int  # of which line buffers
    bram_18k: int  # block RAMs of those arrays
    plan_s: float  # seconds the planning took


def scale_of(model: ModelWrapper, name: str = "the model") -> int:
    """Output side / input side of an image-to-image model (1, 2, ...)."""
    inp, out = graph_dims(model.graph.input[0]), graph_dims(model.graph.output[0])
    if len(inp) != 4 or len(out) != 4 or out[2] % inp[2] or out[2] // inp[2] != out[3] // inp[3]:
        raise ExportError(f"{name}: {inp} -> {out} is not an image-to-image model of one scale")
    return out[2] // inp[2]


def plan_frame(
    model: ModelWrapper,
    board_name: str,
    out_height: int,
    out_width: int,
    cfg: HlsFlowConfig | None = None,
    name: str = "the model",
) -> FrameRate:
    """Plan ``model`` on ``board_name`` at the input frame that makes ``out_height`` x
    ``out_width`` outputs; ``name`` (its file) leads a refusal."""
    cfg = cfg or HlsFlowConfig()
    board = get_board(board_name)
    if cfg.clock_mhz:
        board = dataclasses.replace(board, clock_mhz=cfg.clock_mhz)
    k = scale_of(model, name)
    if out_height % k or out_width % k:
        raise ExportError(f"{name}: a {out_height}x{out_width} output is not {k} x an input frame")
    in_h, in_w = out_height // k, out_width // k
    sized = at_frame_size(model, in_h, in_w, name)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fpgagan-frame-") as tmp:
        plan = plan_board(sized, board, cfg, Path(tmp))
    seconds = time.perf_counter() - t0
    memories = [m for layer in plan.layers for m in layer.memories]
    return FrameRate(
        board=board.name, out_height=out_height, out_width=out_width, in_height=in_h,
        in_width=in_w, clock_mhz=plan.clock_mhz, interval_cycles=plan.interval_cycles,
        frames_per_s=plan.images_per_s, fits=plan.fits, limiting=plan.limiting,
        usage=dict(plan.usage), memory_bits=sum(m.bits for m in memories),
        buffer_bits=sum(m.bits for m in memories if m.name == BUFFER),
        bram_18k=sum(m.bram_18k for m in memories), plan_s=seconds,
    )  # fmt: skip


def frame_rate_table(rates: list[FrameRate]) -> str:
    """Markdown: one row per plan."""
    lines = [
        "| board | output frame | input frame | interval (cycles) | frames/s | fits | limit | "
        "on-chip memory (kbit) | line buffers (kbit) | plan s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rates:
        lines.append(
            f"| {r.board} | {r.out_width}x{r.out_height} | {r.in_width}x{r.in_height} | "
            f"{r.interval_cycles:,} | {r.frames_per_s:.1f} | {'yes' if r.fits else 'no'} | "
            f"{r.limiting} | {r.memory_bits / 1e3:,.1f} | {r.buffer_bits / 1e3:,.1f} | "
            f"{r.plan_s:.1f} |"
        )
    return "\n".join(lines)
