"""Frames per second of an image-to-image model at video frame sizes, from the board plan.

A fully convolutional model (a photo super-resolution network, say) is planned at the input
frame that makes a given output frame (:func:`fpgagan.export.frame_size.at_frame_size`: 640x360
input for a 2x model's 1280x720 output); its rate is the board's clock over the plan's interval.
The plan also gives the on-chip memory: the weights and biases do not depend on the frame, and
an io_stream convolution's line buffer holds ``line_rows`` rows of the frame's width, so the memory
depends on the width and not the height (``buffer_bits``; what grows with the frame is the
interval, not the memory).  So do the FIFOs between its processes: a stream's depth follows from
how many rows its producer runs ahead (``fifo_bits``; a global residual's skip stream holds the
rows the convolutions lag behind the input).
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from fpgagan.boards import Board, get_board
from fpgagan.errors import ExportError
from fpgagan.export.frame_size import at_frame_size
from fpgagan.hw.plan import Plan
from fpgagan.report.hls_report import FrameRate
from fpgagan.workflows.board_plan import HlsFlowConfig, plan_board
from fpgagan.workflows.model_source import graph_dims

__all__ = ["VIDEO_FRAMES", "FrameRate", "frame_rate", "frame_rate_table", "plan_frame", "scale_of"]

VIDEO_FRAMES: dict[str, tuple[int, int]] = {"720p": (720, 1280), "1080p": (1080, 1920)}
BUFFER = "buffer"  # the layer memory that holds an io_stream convolution's line buffer


def scale_of(model: ModelWrapper, name: str = "the model") -> int:
    """Output side / input side of an image-to-image model (1, 2, ...)."""
    inp, out = graph_dims(model.graph.input[0]), graph_dims(model.graph.output[0])
    if len(inp) != 4 or len(out) != 4 or out[2] % inp[2] or out[2] // inp[2] != out[3] // inp[3]:
        raise ExportError(f"{name}: {inp} -> {out} is not an image-to-image model of one scale")
    return out[2] // inp[2]


def plan_frame(
    model: ModelWrapper,
    board_name: str | Board,
    out_height: int,
    out_width: int,
    cfg: HlsFlowConfig | None = None,
    name: str = "the model",
    like: Plan | None = None,
) -> FrameRate:
    """Plan ``model`` on ``board_name`` (a name, or the board itself) at the input frame that
    makes ``out_height`` x ``out_width`` outputs; ``name`` (its file) leads a refusal; ``like``: a
    plan whose layer choices the new plan's are compared with (``same_layers``)."""
    cfg = cfg or HlsFlowConfig()
    board = board_name if isinstance(board_name, Board) else get_board(board_name)
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
    return frame_rate(plan, board.name, (in_h, in_w), k, time.perf_counter() - t0, like)


def frame_rate(
    plan: Plan,
    board_name: str,
    in_frame: tuple[int, int],
    scale: int,
    plan_s: float,
    like: Plan | None = None,
) -> FrameRate:
    """``plan`` (of a model at the input frame ``in_frame``, (height, width)) as a frame rate."""
    memories = [m for layer in plan.layers for m in layer.memories]
    fifo_bits = sum(d * w for d, w in zip(plan.fifos.depths, plan.fifos.widths, strict=True))
    (in_h, in_w) = in_frame
    return FrameRate(
        board=board_name, out_height=in_h * scale, out_width=in_w * scale, in_height=in_h,
        in_width=in_w, clock_mhz=plan.clock_mhz, interval_cycles=plan.interval_cycles,
        frames_per_s=plan.images_per_s, fits=plan.fits, limiting=plan.limiting,
        usage=dict(plan.usage), memory_bits=sum(m.bits for m in memories),
        buffer_bits=sum(m.bits for m in memories if m.name == BUFFER),
        bram_18k=sum(m.bram_18k for m in memories), plan_s=plan_s, fifo_bits=fifo_bits,
        same_layers=None if like is None else plan.choices == like.choices,
    )  # fmt: skip


def frame_rate_table(rates: list[FrameRate]) -> str:
    """Markdown: one row per plan (``same layers``: whether its layers are those of the plan it
    was compared with, where it was)."""
    lines = [
        "| board | output frame | input frame | interval (cycles) | frames/s | fits | limit | "
        "layer memory (kbit) | line buffers (kbit) | FIFOs (kbit) | same layers | plan s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rates:
        same = {None: "", True: "yes", False: "no"}[r.same_layers]
        lines.append(
            f"| {r.board} | {r.out_width}x{r.out_height} | {r.in_width}x{r.in_height} | "
            f"{r.interval_cycles:,} | {r.frames_per_s:.1f} | {'yes' if r.fits else 'no'} | "
            f"{r.limiting} | {r.memory_bits / 1e3:,.1f} | {r.buffer_bits / 1e3:,.1f} | "
            f"{r.fifo_bits / 1e3:,.1f} | {same} | {r.plan_s:.1f} |"
        )
    return "\n".join(lines)
