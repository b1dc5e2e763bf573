"""Super-resolution scores as the literature reports them, one photograph at a time.

- **Y-PSNR**: PSNR of the luma channel of ITU-R BT.601 (``Y = 16 + 65.481 R + 128.553 G +
  24.966 B`` for R, G, B in [0, 1], so Y lives in [16, 235]) with a peak of 255, after cropping a
  border of ``scale`` pixels from every side (where the upsampling has no neighbours);
- **Y-SSIM**: the Gaussian-window SSIM of :mod:`fpgagan.report.image_metrics` on the same cropped
  luma, range 255;
- **RGB-PSNR**: PSNR over all three channels, same crop, images in [0, 255].

Images come in as float arrays (3, H, W) in ``value_range`` (fpgagan's [-1, 1] by default), are
mapped to [0, 255] and rounded to whole 8-bit levels first, as the papers score saved PNG files.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from fpgagan.report.image_metrics import psnr, ssim

PEAK = 255.0
BT601 = np.array([65.481, 128.553, 24.966])  # Y = 16 + BT601 . (R, G, B) / 255, RGB in [0, 255]
Y_OFFSET = 16.0


@dataclasses.dataclass(frozen=True)
class SrScore:
    """Scores of one super-resolved photograph against its ground truth."""

    y_psnr: float
    y_ssim: float
    rgb_psnr: float


def to_uint8_levels(
    image: np.ndarray, value_range: tuple[float, float] = (-1.0, 1.0)
) -> np.ndarray:
    """``image`` in ``value_range`` as float64 8-bit levels (whole numbers in [0, 255])."""
    lo, hi = value_range
    x = (np.asarray(image, dtype=np.float64) - lo) * (PEAK / (hi - lo))
    return np.clip(np.round(x), 0.0, PEAK)


def luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma (H, W) in [16, 235] of an RGB image (3, H, W) in [0, 255]."""
    if rgb.ndim != 3 or rgb.shape[0] != 3:
        raise ValueError(f"luma: expected an RGB image (3, H, W), got {rgb.shape}")
    return Y_OFFSET + np.tensordot(BT601, rgb, axes=(0, 0)) / PEAK


def _crop(x: np.ndarray, border: int) -> np.ndarray:
    if border == 0:
        return x
    if min(x.shape[-2:]) <= 2 * border:
        raise ValueError(f"cannot crop a border of {border} from an image of {x.shape[-2:]}")
    return x[..., border:-border, border:-border]


def sr_score(
    out: np.ndarray,
    truth: np.ndarray,
    scale: int,
    value_range: tuple[float, float] = (-1.0, 1.0),
) -> SrScore:
    """Y-PSNR, Y-SSIM and RGB-PSNR of ``out`` against ``truth`` (both (3, H, W) in
    ``value_range``), a border of ``scale`` pixels cropped."""
    if out.shape != truth.shape or out.ndim != 3 or out.shape[0] != 3:
        raise ValueError(
            f"sr_score: expected two RGB images (3, H, W) of one shape, got {out.shape} and "
            f"{truth.shape}"
        )
    a, b = to_uint8_levels(out, value_range), to_uint8_levels(truth, value_range)
    ya, yb = _crop(luma(a), scale), _crop(luma(b), scale)
    return SrScore(
        y_psnr=psnr(ya, yb, PEAK),
        y_ssim=ssim(ya[None], yb[None], PEAK),
        rgb_psnr=psnr(_crop(a, scale), _crop(b, scale), PEAK),
    )


def mean_score(scores: list[SrScore]) -> SrScore:
    """The mean of each score over photographs (as the literature averages over a test set)."""
    if not scores:
        raise ValueError("mean_score: no scores")
    return SrScore(*(float(np.mean([getattr(s, f.name) for s in scores]))
                     for f in dataclasses.fields(SrScore)))  # fmt: skip
