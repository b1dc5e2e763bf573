"""Image-to-image tasks: what a conditional generator is given, and what it must give back.

The targets are always the images themselves (N, C, H, W) in [-1, 1]; a task only makes the
generator's inputs from them (:func:`fit_images` first brings Fashion-MNIST's 1x28x28 images to
another model's size and channel count):

- ``sr2x``: 2x super-resolution; the input is the image after 2x2 area downsampling (average
  pooling), e.g. 14x14 for a 28x28 target.  Any even image size works (the ``digits`` fixture
  comes at 28x28 like Fashion-MNIST).
- ``inpaint``: the input is the image with one ``PATCH`` x ``PATCH`` square replaced by ``FILL``;
  the square's position is drawn, uniformly inside the image, from a hash of (seed, image index),
  so it is the same for an image whatever batch or subset it is looked at in.
  :func:`patch_mask` gives the square, so metrics can score inside it.

Also the classical baseline of super-resolution: bicubic upsampling.

``fit_images`` resizes with bilinear interpolation and antialiasing (torch's ``antialias=True``,
as Pillow's resize: when shrinking, the triangle filter widens with the scale, so every input
pixel under an output pixel's footprint is weighted in and none is skipped; when enlarging, plain
bilinear) and repeats a grey image to every channel.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from fpgagan.errors import DatasetError

Task = Literal["sr2x", "inpaint"]
TASKS: tuple[str, ...] = ("sr2x", "inpaint")
PATCH = 10  # side of the inpainted square, in pixels
FILL = 0.0  # value of the masked pixels (mid grey)

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


@dataclasses.dataclass(frozen=True)
class TaskPairs:
    """Inputs and ground-truth targets of one split; ``mask`` (inpaint only) marks the patch."""

    inputs: torch.Tensor
    targets: torch.Tensor
    mask: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.targets)

    def to(self, device: torch.device | str) -> TaskPairs:
        return TaskPairs(
            self.inputs.to(device),
            self.targets.to(device),
            None if self.mask is None else self.mask.to(device),
        )

    def subset(self, index: torch.Tensor | slice) -> TaskPairs:
        return TaskPairs(
            self.inputs[index],
            self.targets[index],
            None if self.mask is None else self.mask[index],
        )


def _check_images(images: torch.Tensor, what: str) -> None:
    if images.ndim != 4 or min(images.shape[1:]) < 1:
        raise DatasetError(f"{what}: expected images (N, C, H, W), got {tuple(images.shape)}")


def fit_images(images: torch.Tensor, channels: int, size: tuple[int, int]) -> torch.Tensor:
    """Grey images (N, 1, H, W) at ``size`` (height, width) and ``channels`` channels (the grey
    value repeated): bilinear with antialiasing (see the module's note), unchanged when they fit."""
    _check_images(images, "fit_images")
    if images.shape[1] != 1:
        raise DatasetError(
            f"fit_images: expected grey images (N, 1, H, W), got {tuple(images.shape)}"
        )
    if channels < 1 or min(size) < 1:
        raise DatasetError(f"fit_images: cannot make images of {channels} x {size[0]} x {size[1]}")
    if tuple(images.shape[-2:]) != tuple(size):
        images = F.interpolate(
            images, size=tuple(size), mode="bilinear", align_corners=False, antialias=True
        )
    return images.repeat(1, channels, 1, 1) if channels > 1 else images


def input_size(task: str, size: int) -> int:
    """Side of the generator's input for targets of side ``size``."""
    check_task(task)
    if task == "sr2x":
        if size % 2:
            raise DatasetError(f"sr2x needs an even image size, got {size}")
        return size // 2
    if size < PATCH:
        raise DatasetError(f"inpaint needs images of at least {PATCH}x{PATCH}, got {size}")
    return size


def check_task(task: str) -> None:
    if task not in TASKS:
        raise DatasetError(f"unknown image task {task!r} (known: {', '.join(TASKS)})")


def downsample2x(images: torch.Tensor) -> torch.Tensor:
    """2x2 area downsampling (the mean of each 2x2 block): the ``sr2x`` input."""
    _check_images(images, "sr2x")
    h, w = images.shape[-2:]
    if h % 2 or w % 2:
        raise DatasetError(f"sr2x needs even image sizes, got {h}x{w}")
    return F.avg_pool2d(images, 2)


def bicubic_upsample(
    images: torch.Tensor, factor: int = 2, value_range: tuple[float, float] = (-1.0, 1.0)
) -> torch.Tensor:
    """Bicubic upsampling (``align_corners=False``), clamped to the images' range (by default
    [-1, 1]): the sr2x baseline."""
    up = F.interpolate(images, scale_factor=factor, mode="bicubic", align_corners=False)
    return up.clamp(*value_range)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a well-mixed 64-bit hash of each element."""
    with np.errstate(over="ignore"):
        x = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK64
        x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK64
        x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK64
        return x ^ (x >> np.uint64(31))


def patch_origins(n: int, size: tuple[int, int], seed: int, start: int = 0) -> np.ndarray:
    """(top, left) of the patch of images ``start .. start + n - 1``: (n, 2) int64.

    Each depends only on (seed, image index), uniform over the positions inside the image.
    """
    h, w = size
    if h < PATCH or w < PATCH:
        raise DatasetError(f"inpaint needs images of at least {PATCH}x{PATCH}, got {h}x{w}")
    index = np.arange(start, start + n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        key = _splitmix64(np.uint64(seed & 0xFFFFFFFF) * np.uint64(0x100000001B3) ^ index)
    top = (key >> np.uint64(32)) % np.uint64(h - PATCH + 1)
    left = (key & np.uint64(0xFFFFFFFF)) % np.uint64(w - PATCH + 1)
    return np.stack([top, left], axis=1).astype(np.int64)


def patch_mask(n: int, size: tuple[int, int], seed: int, start: int = 0) -> torch.Tensor:
    """Boolean (n, 1, H, W) masks, True inside each image's patch (see :func:`patch_origins`)."""
    origins = torch.from_numpy(patch_origins(n, size, seed, start))
    rows = torch.arange(size[0])[None, :, None]
    cols = torch.arange(size[1])[None, None, :]
    top, left = origins[:, 0, None, None], origins[:, 1, None, None]
    inside = (rows >= top) & (rows < top + PATCH) & (cols >= left) & (cols < left + PATCH)
    return inside[:, None]


def make_pairs(task: str, images: torch.Tensor, seed: int = 0) -> TaskPairs:
    """The generator's inputs for ``images`` (N, C, H, W; image ``i`` has index ``i``) under
    ``task``; an inpainting mask covers the patch in every channel."""
    check_task(task)
    _check_images(images, task)
    if task == "sr2x":
        return TaskPairs(downsample2x(images), images)
    mask = patch_mask(len(images), tuple(images.shape[-2:]), seed)
    if images.shape[1] > 1:
        mask = mask.repeat(1, images.shape[1], 1, 1)
    return TaskPairs(images.masked_fill(mask, FILL), images, mask)
