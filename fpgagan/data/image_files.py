"""A user's own images: a folder of PNG/JPEG files or an ``.npz`` array, as float tensors.

:func:`load_image_set` reads them (Pillow for the files; ``numpy.load`` without pickles for the
archive), brings them to the channel count and size a model makes (grey repeated or RGB averaged
to grey; bilinear with antialiasing) and to its output range ``[lo, hi]``.  Every file is checked
against :mod:`fpgagan.limits` before it is read; a file that is not an image, an empty set and an
array of the wrong shape are refused naming the file.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError

from fpgagan.errors import DatasetError
from fpgagan.io import read_limited
from fpgagan.limits import MAX_IMAGE_BYTES, MAX_IMAGE_FILES, MAX_INPUT_BYTES, MAX_TENSOR_ELEMENTS

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def _from_files(folder: Path) -> list[np.ndarray]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if len(files) > MAX_IMAGE_FILES:
        raise DatasetError(
            f"{folder}: {len(files):,} images, more than {MAX_IMAGE_FILES:,} (fpgagan.limits)"
        )
    out = []
    for p in files:
        data = read_limited(p, "image file", MAX_IMAGE_BYTES, DatasetError)
        try:
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > MAX_TENSOR_ELEMENTS:
                    raise DatasetError(f"{p}: {img.width}x{img.height} pixels is too large")
                out.append(np.asarray(img.convert("RGB" if img.mode not in ("L", "I;16") else "L")))
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise DatasetError(
                f"{p}: not a readable PNG/JPEG image ({type(exc).__name__})"
            ) from None
    return out


def _from_npz(path: Path) -> np.ndarray:
    data = read_limited(path, "image archive", MAX_INPUT_BYTES, DatasetError)
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            keys = list(archive.keys())
            key = "images" if "images" in keys else (keys[0] if len(keys) == 1 else None)
            if key is None:
                raise DatasetError(
                    f"{path}: holds {len(keys)} arrays; name the images 'images' or keep one array"
                )
            return archive[key]
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DatasetError(
            f"{path}: not a readable .npz of images ({type(exc).__name__})"
        ) from None


def _to_nchw(a: np.ndarray, where: str) -> torch.Tensor:
    """(N, H, W), (N, H, W, C) or (N, C, H, W) with C in 1, 3 -> float (N, C, H, W) in [0, 1]."""
    if a.dtype == np.uint8:
        x = a.astype(np.float32) / 255.0
    elif np.issubdtype(a.dtype, np.floating):
        x = a.astype(np.float32)
        if not np.isfinite(x).all():
            raise DatasetError(f"{where}: images hold NaN or infinite values")
        lo, hi = float(x.min()), float(x.max())
        if lo >= -1.0 and hi <= 1.0 and lo < 0:
            x = (x + 1.0) / 2.0  # [-1, 1] images
        elif lo < 0 or hi > 1.0:
            raise DatasetError(
                f"{where}: float images must be in [0, 1] or [-1, 1], got [{lo:g}, {hi:g}]"
            )
    else:
        raise DatasetError(f"{where}: images must be uint8 or float, got {a.dtype}")
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4 and x.shape[-1] in (1, 3) and x.shape[1] not in (1, 3):
        x = x.transpose(0, 3, 1, 2)
    if x.ndim != 4 or x.shape[1] not in (1, 3) or len(x) == 0:
        raise DatasetError(
            f"{where}: expected images (N, H, W[, C]) or (N, C, H, W), got {a.shape}"
        )
    return torch.from_numpy(np.ascontiguousarray(x))


def load_image_set(
    path: str | os.PathLike[str],
    channels: int,
    size: tuple[int, int],
    out_range: tuple[float, float] = (-1.0, 1.0),
) -> torch.Tensor:
    """The images at ``path`` (a folder of PNG/JPEG files or an ``.npz``) as (N, channels, H, W)
    at ``size`` (height, width), in ``out_range``."""
    p = Path(path)
    if p.is_dir():
        arrays = _from_files(p)
        if not arrays:
            raise DatasetError(f"{p}: no .png, .jpg or .jpeg image in the folder")
        shapes = {a.shape for a in arrays}
        if len(shapes) > 1:  # each image resized on its own, then stacked
            x = torch.cat([_fit(_to_nchw(a[None], str(p)), channels, size) for a in arrays])
        else:
            x = _fit(_to_nchw(np.stack(arrays), str(p)), channels, size)
    elif p.suffix.lower() == ".npz":
        x = _fit(_to_nchw(_from_npz(p), str(p)), channels, size)
    else:
        raise DatasetError(f"{p}: give a folder of PNG/JPEG images or an .npz file")
    lo, hi = out_range
    return x * (hi - lo) + lo


def _fit(x: torch.Tensor, channels: int, size: tuple[int, int]) -> torch.Tensor:
    if x.shape[1] != channels:
        x = x.mean(1, keepdim=True) if channels == 1 else x[:, :1].repeat(1, channels, 1, 1)
    if tuple(x.shape[-2:]) != tuple(size):
        x = F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False, antialias=True)
    return x.clamp(0.0, 1.0)
