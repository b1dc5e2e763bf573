"""Pictures people look at first: float | FPGA csim | |difference| heat map."""

from __future__ import annotations

import os

import numpy as np

from fpgagan.images import grid, range_of, save_png


def heat(diff: np.ndarray, vmax: float) -> np.ndarray:
    """|difference| (H, W) in [0, vmax] -> an RGB heat map (black -> red -> yellow -> white)."""
    t = np.clip(diff / max(vmax, 1e-12), 0.0, 1.0)
    r = np.clip(3 * t, 0, 1)
    g = np.clip(3 * t - 1, 0, 1)
    b = np.clip(3 * t - 2, 0, 1)
    return (np.stack([r, g, b], -1) * 255).round().astype(np.uint8)


def _rgb(picture: np.ndarray) -> np.ndarray:
    return picture if picture.ndim == 3 else np.repeat(picture[..., None], 3, -1)


def comparison_grid(
    path: str | os.PathLike[str],
    float_imgs: np.ndarray,
    fpga_imgs: np.ndarray,
    n: int = 8,
    value_range: tuple[float, float] | None = None,
) -> float:
    """Write rows of [float | csim | |diff|] for the first ``n`` images (N, C, H, W), grey or
    colour, drawn in ``value_range`` (the model's output range; by default the images' own);
    the heat map is the largest difference over a pixel's channels. Returns its scale."""
    n = min(n, len(float_imgs))
    f, h = float_imgs[:n], fpga_imgs[:n]
    shown = value_range or range_of(f, h)
    diff = np.abs(f.astype(np.float64) - h).max(axis=1)
    vmax = float(diff.max()) or 1.0
    left = grid(f, ncol=1, value_range=shown)
    mid = grid(h, ncol=1, value_range=shown)
    right_tiles = np.stack([heat(d, vmax) for d in diff])
    pad = 2
    hh, ww = right_tiles.shape[1:3]
    right = np.full((n * (hh + pad) + pad, ww + 2 * pad, 3), 128, np.uint8)
    for i, tile in enumerate(right_tiles):
        right[pad + i * (hh + pad) : pad + i * (hh + pad) + hh, pad : pad + ww] = tile
    picture = np.concatenate([_rgb(left), _rgb(mid), right], axis=1)
    save_png(path, picture, scale=4)
    return vmax
