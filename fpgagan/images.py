"""Image grids as PNG (Pillow only), shared by training samples and reports: grey or colour
(RGB) images, drawn from the range their values live in ([-1, 1] for fpgagan's own)."""

from __future__ import annotations

import math
import os

import numpy as np
import torch
from PIL import Image

from fpgagan.io import atomic_path

UNIT_RANGE = (-1.0, 1.0)  # the range fpgagan's own images live in


def range_of(*images: torch.Tensor | np.ndarray) -> tuple[float, float]:
    """(lowest, highest) finite value over ``images``: the range to draw images in whose model
    states none; a constant picture gets a range of width 1."""
    values = [_array(x) for x in images]
    finite = [x[np.isfinite(x)] for x in values]
    finite = [x for x in finite if x.size]
    if not finite:
        return UNIT_RANGE
    lo = float(min(x.min() for x in finite))
    hi = float(max(x.max() for x in finite))
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def _array(images: torch.Tensor | np.ndarray) -> np.ndarray:
    if isinstance(images, torch.Tensor):
        return images.detach().cpu().numpy()
    return np.asarray(images)


def to_uint8(
    images: torch.Tensor | np.ndarray, value_range: tuple[float, float] = UNIT_RANGE
) -> np.ndarray:
    """Images (N, C, H, W) with values in ``value_range`` -> uint8 tiles: (N, H, W) grey for one
    channel, (N, H, W, 3) colour for three, and for any other count the channels side by side in
    grey (N, H, C * W)."""
    x = _array(images)
    lo, hi = value_range
    if not hi > lo:
        raise ValueError(f"value range {value_range}: its top must lie above its bottom")
    x = np.round(np.clip((x - lo) * (255.0 / (hi - lo)), 0, 255)).astype(np.uint8)
    n, c, h, w = x.shape
    if c == 1:
        return x[:, 0]
    if c == 3:
        return np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    return np.ascontiguousarray(x.transpose(0, 2, 1, 3).reshape(n, h, c * w))


def grid(
    images: torch.Tensor | np.ndarray,
    ncol: int | None = None,
    pad: int = 2,
    value_range: tuple[float, float] = UNIT_RANGE,
) -> np.ndarray:
    """Tile (N, C, H, W) images with values in ``value_range`` into one uint8 picture with a
    grey border: (H, W) for grey images, (H, W, 3) for colour ones (see :func:`to_uint8`)."""
    tiles = to_uint8(images, value_range)
    n, h, w = tiles.shape[:3]
    ncol = ncol or math.ceil(math.sqrt(n))
    nrow = math.ceil(n / ncol)
    out = np.full((nrow * (h + pad) + pad, ncol * (w + pad) + pad, *tiles.shape[3:]), 128, np.uint8)
    for i in range(n):
        r, c = divmod(i, ncol)
        out[
            pad + r * (h + pad) : pad + r * (h + pad) + h,
            pad + c * (w + pad) : pad + c * (w + pad) + w,
        ] = tiles[i]
    return out


def save_png(path: str | os.PathLike[str], picture: np.ndarray, scale: int = 1) -> None:
    """Write a uint8 (H, W) or (H, W, 3) picture as PNG atomically, optionally upscaled."""
    img = Image.fromarray(picture)
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    with atomic_path(path) as tmp:
        img.save(tmp, format="PNG")


def save_grid(
    path: str | os.PathLike[str],
    images: torch.Tensor | np.ndarray,
    ncol: int | None = None,
    value_range: tuple[float, float] = UNIT_RANGE,
) -> None:
    save_png(path, grid(images, ncol, value_range=value_range), scale=2)
