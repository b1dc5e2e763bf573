"""The board flow's section for super-resolution of photographs: an RGB 2x model fed crops of the
held-out photographs (:func:`fpgagan.data.photos.photo_crops`) is scored as the literature does,
per photograph (Y-PSNR on BT.601 luma with a border of the scale cropped, Y-SSIM, RGB-PSNR;
:mod:`fpgagan.report.sr_metrics`) for bicubic upsampling, the FPGA's C simulation and the float
teacher when there is one; ``sr_crops.png`` shows bicubic | FPGA | ground truth; and frames/s
come from the flow's own plan at the model's frame and from plans of the same model on the same
board, with the same settings, at 1280x720 and 1920x1080 outputs
(:mod:`fpgagan.workflows.frame_rates`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from qonnx.core.modelwrapper import ModelWrapper

from fpgagan.boards import Board
from fpgagan.data.photos import crop_names, crop_to
from fpgagan.data.tasks import TaskPairs, bicubic_upsample
from fpgagan.hw.plan import Plan
from fpgagan.images import save_grid
from fpgagan.report.hls_report import FrameRate, PhotoSr, SrPhoto
from fpgagan.report.sr_metrics import SrScore, sr_score
from fpgagan.workflows.board_plan import HlsFlowConfig
from fpgagan.workflows.frame_rates import VIDEO_FRAMES, frame_rate, plan_frame
from fpgagan.workflows.model_source import graph_dims

PICTURE = "sr_crops.png"
CROP = 96  # side of the picture's crops (the whole image where it is smaller)
PICTURE_ROWS = 10  # the picture shows the first crops (two of each held-out photograph)
FRAMES = "frames/s at video sizes"  # the name of this part when it is skipped


def photo_scores(
    pairs: TaskPairs,
    y_fpga: np.ndarray,
    y_float: np.ndarray | None,
    scale: int,
    value_range: tuple[float, float],
    work: Path,
) -> PhotoSr:
    """Every crop's scores and ``work/sr_crops.png`` (bicubic | FPGA | ground truth, the first
    :data:`PICTURE_ROWS` crops)."""
    bicubic = bicubic_upsample(pairs.inputs, scale, value_range).numpy()
    truth = pairs.targets.numpy()
    names = crop_names(len(pairs))

    def score(images: np.ndarray, i: int) -> SrScore:
        return sr_score(images[i], truth[i], scale, value_range)

    photos = tuple(
        SrPhoto(
            photo=name,
            bicubic=score(bicubic, i),
            fpga=score(y_fpga, i),
            float_teacher=None if y_float is None else score(y_float, i),
        )
        for i, name in enumerate(names)
    )
    _, h, w = truth.shape[1:]
    side_h, side_w = min(CROP, h), min(CROP, w)
    columns = [torch.from_numpy(x) for x in (bicubic, y_fpga, truth)]
    shown = range(min(len(names), PICTURE_ROWS))
    rows = [crop_to(c[i], side_h, side_w) for i in shown for c in columns]
    save_grid(work / PICTURE, torch.stack(rows), ncol=len(columns), value_range=value_range)
    return PhotoSr(scale=scale, height=h, width=w, photos=photos, picture=PICTURE)


def flow_frame_rates(
    model: ModelWrapper,
    board: Board,
    cfg: HlsFlowConfig,
    plan: Plan,
    plan_s: float,
    scale: int,
    name: str = "the model",
) -> tuple[FrameRate, ...]:
    """frames/s of the flow's ``plan`` at the model's own frame, then of ``model`` planned on
    ``board`` at each of :data:`VIDEO_FRAMES`' outputs (each compared with ``plan``'s layers);
    a model that cannot be resized raises ``ExportError`` naming the node."""
    in_h, in_w = graph_dims(model.graph.input[0])[2:]
    own = frame_rate(plan, board.name, (in_h, in_w), scale, plan_s)
    video = [plan_frame(model, board, h, w, cfg, name, like=plan) for h, w in VIDEO_FRAMES.values()]
    return (own, *video)
