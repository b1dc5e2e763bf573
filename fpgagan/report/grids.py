"""Pictures people look at first: float | FPGA csim | |difference| heat map."""

from __future__ import annotations

import os

import numpy as np

from fpgagan.images import grid, save_png


def heat(diff: np.ndarray, vmax: float) -> np.ndarray:
    """|difference| (H, W) in [0, vmax] -> an RGB heat map (black -> red -> yellow -> white)."""
    t = np.clip(diff / max(vmax, 1e-12), 0.0, 1.0)
    r = np.clip(3 * t, 0, 1)
    g = np.clip(3 * t - 1, 0, 1)
    b = np.clip(3 * t - 2, 0, 1)
    return (np.stack([r, g, b], -1) * 255).round().astype(np.uint8)


def comparison_grid(
    path: str | os.PathLike[str], float_imgs: np.ndarray, fpga_imgs: np.ndarray, n: int = 8
) -> float:
    """Write rows of [float | csim | |diff|] for the first ``n`` images; returns the heat-map scale."""
    n = min(n, len(float_imgs))
    f, h = float_imgs[:n], fpga_imgs[:n]
    diff = np.abs(f.astype(np.float64) - h)[:, 0]
    vmax = float(diff.max()) or 1.0
    left = grid(f, ncol=1)
    mid = grid(h, ncol=1)
    right_tiles = np.stack([heat(d, vmax) for d in diff])
    pad = 2
    hh, ww = right_tiles.shape[1:3]
    right = np.full((n * (hh + pad) + pad, ww + 2 * pad, 3), 128, np.uint8)
    for i, tile in enumerate(right_tiles):
        right[pad + i * (hh + pad) : pad + i * (hh + pad) + hh, pad : pad + ww] = tile
    rgb = lambda g: np.repeat(g[..., None], 3, -1)  # noqa: E731
    picture = np.concatenate([rgb(left), rgb(mid), right], axis=1)
    save_png(path, picture, scale=4)
    return vmax
