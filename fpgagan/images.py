"""Image grids as PNG (Pillow only), shared by training samples and reports."""

from __future__ import annotations

import math
import os

import numpy as np
import torch
from PIL import Image

from fpgagan.io import atomic_path


def to_uint8(images: torch.Tensor | np.ndarray) -> np.ndarray:
    """Images in [-1, 1], shape (N, 1, H, W) -> uint8 (N, H, W)."""
    x = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    x = np.clip((x[:, 0] + 1.0) * 127.5, 0, 255)
    return np.round(x).astype(np.uint8)


def grid(images: torch.Tensor | np.ndarray, ncol: int | None = None, pad: int = 2) -> np.ndarray:
    """Tile (N, 1, H, W) images in [-1, 1] into one uint8 picture with a grey border."""
    tiles = to_uint8(images)
    n, h, w = tiles.shape
    ncol = ncol or math.ceil(math.sqrt(n))
    nrow = math.ceil(n / ncol)
    out = np.full((nrow * (h + pad) + pad, ncol * (w + pad) + pad), 128, np.uint8)
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
    path: str | os.PathLike[str], images: torch.Tensor | np.ndarray, ncol: int | None = None
) -> None:
    save_png(path, grid(images, ncol), scale=2)
