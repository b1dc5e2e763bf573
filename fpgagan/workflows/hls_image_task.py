"""The board flow for image-to-image generators (``sr2x``, ``inpaint``): which task a model does,
the test-split images it is fed, and its scores against ground truth.

The task comes from the checkpoint's record, or ``--task``, or else from the QONNX graph's shapes
(an image input half the output's side is 2x super-resolution; equal sides, inpainting).
Inputs are the first ``n`` test images degraded by the task (2x2 area downsampling, or a
``PATCH`` x ``PATCH`` square filled, placed from :data:`TASK_SEED` and the image's index).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from fpgagan.data import load_images
from fpgagan.data.tasks import TASKS, TaskPairs, make_pairs
from fpgagan.errors import ExportError
from fpgagan.models.inference import generate
from fpgagan.report.hls_report import ImageTaskScores, TaskScore
from fpgagan.workflows.image_tasks import BASELINE, baseline, save_comparison, scores

TASK_SEED = 0  # inpaint: patch positions of the test images
SPLIT = "test"
N_GRID = 8  # images (rows) in task_grid.png


def _dims(value_info) -> list[int]:
    return [int(d.dim_value) for d in value_info.type.tensor_type.shape.dim]


def infer_task(model, given: str | None = None) -> str | None:
    """The image task of a QONNX generator: ``given`` if set (checked against the shapes), None for
    a latent-to-image generator, else from the input and output sides."""
    inp, out = _dims(model.graph.input[0]), _dims(model.graph.output[0])
    if len(inp) == 2:
        if given is not None:
            raise ExportError(f"task {given!r} given, but the model's input is a latent {inp}")
        return None
    if len(inp) != 4 or len(out) != 4:
        raise ExportError(f"expected an image input and output (N, C, H, W), got {inp} -> {out}")
    by_shape = {1: "inpaint", 2: "sr2x"}.get(out[-1] // max(1, inp[-1]) if inp[-1] else 0)
    if given is not None:
        if given not in TASKS:
            raise ExportError(f"unknown task {given!r} (known: {', '.join(TASKS)})")
        if by_shape != given:
            raise ExportError(f"task {given!r} does not fit the model's shapes {inp} -> {out}")
        return given
    if by_shape is None or out[-2] != inp[-2] * (2 if by_shape == "sr2x" else 1):
        raise ExportError(
            f"cannot tell the image task of a model mapping {inp} -> {out}; give --task"
        )
    return by_shape


def task_pairs(task: str, n: int, data_root: str | None) -> TaskPairs:
    """The first ``n`` test images and the task's inputs made from them."""
    images, _ = load_images("fashion-mnist", SPLIT, data_root)
    return make_pairs(task, images[:n], seed=TASK_SEED)


def score_task(
    task: str,
    pairs: TaskPairs,
    y_quant: np.ndarray,
    y_fpga: np.ndarray,
    teacher,
    work: Path,
) -> ImageTaskScores:
    """PSNR / SSIM (and PSNR inside the patch) of every output against ground truth, and the
    grid input | float | FPGA | ground truth written to ``work/task_grid.png``."""
    rows = []
    outputs: list[torch.Tensor] = []
    if teacher is not None:
        y_float = generate(teacher, pairs.inputs)
        rows.append(_row("float teacher", y_float, pairs))
        outputs.append(y_float)
    fpga = torch.from_numpy(y_fpga)
    rows.append(_row("quantized (qonnx)", torch.from_numpy(y_quant), pairs))
    rows.append(_row("FPGA (C simulation)", fpga, pairs))
    rows.append(_row(f"baseline: {BASELINE[task]}", baseline(task, pairs), pairs))
    outputs.append(fpga)
    k = min(N_GRID, len(pairs))
    save_comparison(work / "task_grid.png", pairs.subset(slice(0, k)), [o[:k] for o in outputs])
    return ImageTaskScores(task, len(pairs), SPLIT, BASELINE[task], tuple(rows))


def _row(source: str, out: torch.Tensor, pairs: TaskPairs) -> TaskScore:
    s = scores(out, pairs)
    return TaskScore(source, s["psnr"], s["ssim"], s.get("patch_psnr"))
