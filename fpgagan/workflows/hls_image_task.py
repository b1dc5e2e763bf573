"""The board flow's task: what a model does (a latent generator, or an image-to-image one),
the test-split images an image-to-image model is fed, and its scores against ground truth.

The task comes from ``--task``, or the checkpoint's record, or else from the QONNX graph's shapes:
a latent input ((N, nz), or (N, nz, 1, 1): only the channel axis is not 1) is a latent
generator; an image input whose output has twice its height and width is 2x super-resolution,
one of equal size inpainting.  Any other pair of shapes is refused (one line naming them).

Inputs are the first ``n`` test images, brought to the model's output size and channel count
(:func:`fpgagan.data.tasks.fit_images`: bilinear with antialiasing, grey repeated to every
channel) and to the range of its output quantizer (an affine map of [-1, 1]; inputs and targets
share it), then degraded by the task (2x2 area downsampling, or a ``PATCH`` x ``PATCH`` square
filled with mid grey, placed from :data:`TASK_SEED` and the image's index).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from fpgagan.data import load_images
from fpgagan.data.photos import make_lr, photo_crops
from fpgagan.data.tasks import TASKS, TaskPairs, fit_images, make_pairs
from fpgagan.errors import ExportError
from fpgagan.images import UNIT_RANGE
from fpgagan.report.hls_report import ImageTaskScores, TaskScore
from fpgagan.workflows.image_tasks import BASELINE, baseline, save_comparison, scores
from fpgagan.workflows.model_source import graph_dims, is_latent

TASK_SEED = 0  # inpaint: patch positions of the test images
SPLIT = "test"
N_GRID = 8  # images (rows) in task_grid.png
LATENT = "latent"  # the task of a latent-to-image generator
FLOW_TASKS = (LATENT, *TASKS)
UPSCALE = {"inpaint": 1, "sr2x": 2}  # output side / input side of each image task
AUTO, FMNIST, PHOTOS = "auto", "fashion-mnist", "photos"  # the images an image model is fed
_WHAT = (
    "--task latent takes an input (N, nz) or (N, nz, 1, 1) to images (N, C, H, W); --task "
    "inpaint an image to one of the same shape; --task sr2x an image to one twice its height "
    "and width"
)


def infer_task(model, given: str | None = None, name: str = "the model") -> str:
    """The task of a QONNX generator (``latent``, ``sr2x`` or ``inpaint``): ``given`` if set
    (checked against the shapes), else read from the input and output shapes; ``name`` (the
    model's file) leads a refusal."""
    if given is not None and given not in FLOW_TASKS:
        raise ExportError(f"unknown task {given!r} (known: {', '.join(FLOW_TASKS)})")
    inp, out = graph_dims(model.graph.input[0]), graph_dims(model.graph.output[0])
    by_shape = _task_of_shapes(inp, out)
    if given is not None and by_shape != given:
        raise ExportError(
            f"{name}: task {given!r} does not fit its shapes {inp} -> {out} ({_WHAT})"
        )
    if by_shape is None:
        raise ExportError(
            f"{name}: cannot tell the task of a model mapping {inp} -> {out}: {_WHAT}"
        )
    return by_shape


def _task_of_shapes(inp: list[int], out: list[int]) -> str | None:
    if len(out) != 4 or min(out[1:]) < 1:
        return None  # every task makes images (N, C, H, W)
    if is_latent(inp):
        return LATENT
    if len(inp) != 4 or min(inp[1:]) < 1 or inp[1] != out[1]:
        return None
    for task, k in UPSCALE.items():
        if out[2:] == [k * inp[2], k * inp[3]]:
            return task
    return None


def image_source(choice: str, task: str, shape: tuple[int, ...]) -> str:
    """The images an image-to-image model of ``shape`` (C, H, W) is fed under ``choice``
    (``auto``: the held-out photographs for an RGB 2x super-resolution model, Fashion-MNIST's test
    split otherwise)."""
    if choice not in (AUTO, FMNIST, PHOTOS):
        raise ExportError(f"images must be {AUTO}, {FMNIST} or {PHOTOS}, got {choice!r}")
    if choice != AUTO:
        return choice
    return PHOTOS if task == "sr2x" and shape[0] == 3 else FMNIST


def task_pairs(
    task: str,
    n: int,
    data_root: str | None,
    shape: tuple[int, int, int] = (1, 28, 28),
    value_range: tuple[float, float] = UNIT_RANGE,
    images: str = FMNIST,
) -> TaskPairs:
    """The first ``n`` test images as targets of ``shape`` (C, H, W) in ``value_range``, and the
    task's inputs made from them; ``images``: Fashion-MNIST's test split, or (``photos``, RGB
    sr2x only) crops of the held-out photographs at the model's output size with their bicubic
    downsampled twins as inputs (:func:`fpgagan.data.photos.photo_crops`)."""
    if images == PHOTOS:
        if task != "sr2x" or shape[0] != 3:
            raise ExportError(
                f"images {PHOTOS}: the photographs feed RGB 2x super-resolution models, not "
                f"{task} of {shape}"
            )
        crops = photo_crops(n, shape[1], shape[2], SPLIT)
        targets = torch.stack([c for _, c in crops])
        pairs = TaskPairs(make_lr(targets, UPSCALE[task]), targets)
    else:
        loaded, _ = load_images("fashion-mnist", SPLIT, data_root)
        targets = fit_images(loaded[:n], shape[0], shape[1:])
        pairs = make_pairs(task, targets, seed=TASK_SEED)
    if tuple(value_range) == UNIT_RANGE:
        return pairs
    lo, hi = value_range

    def to_range(x: torch.Tensor) -> torch.Tensor:
        return lo + (x + 1.0) * ((hi - lo) / 2.0)

    return TaskPairs(to_range(pairs.inputs), to_range(pairs.targets), pairs.mask)


def score_task(
    task: str,
    pairs: TaskPairs,
    y_quant: np.ndarray,
    y_fpga: np.ndarray,
    y_float: np.ndarray | None,
    work: Path,
    value_range: tuple[float, float] = UNIT_RANGE,
) -> ImageTaskScores:
    """PSNR / SSIM (and PSNR inside the patch) of every output against ground truth, and the
    grid input | float | FPGA | ground truth written to ``work/task_grid.png``."""
    width = value_range[1] - value_range[0]
    rows = []
    outputs: list[torch.Tensor] = []
    if y_float is not None:
        rows.append(_row("float teacher", torch.from_numpy(y_float), pairs, width))
        outputs.append(torch.from_numpy(y_float))
    fpga = torch.from_numpy(y_fpga)
    rows.append(_row("quantized (qonnx)", torch.from_numpy(y_quant), pairs, width))
    rows.append(_row("FPGA (C simulation)", fpga, pairs, width))
    base = baseline(task, pairs, value_range)
    rows.append(_row(f"baseline: {BASELINE[task]}", base, pairs, width))
    outputs.append(fpga)
    k = min(N_GRID, len(pairs))
    save_comparison(
        work / "task_grid.png", pairs.subset(slice(0, k)), [o[:k] for o in outputs], value_range
    )
    return ImageTaskScores(task, len(pairs), SPLIT, BASELINE[task], tuple(rows))


def _row(source: str, out: torch.Tensor, pairs: TaskPairs, width: float) -> TaskScore:
    s = scores(out, pairs, width)
    return TaskScore(source, s["psnr"], s["ssim"], s.get("patch_psnr"))
