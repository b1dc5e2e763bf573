"""Colour photographs that ship inside installed packages, for super-resolution of real images.

Nothing is downloaded: the photographs are the colour images bundled in scikit-image's wheel
(``skimage/data``) and scikit-learn's two sample images (``load_sample_images``).  They are split
by image, once and for all (the split is part of the benchmark's definition):

- ``test`` (five photographs, a Set5-like held-out set): astronaut, chelsea, coffee (scikit-image),
  china, flower (scikit-learn);
- ``train``: motorcycle_left, motorcycle_right, rocket, hubble_deep_field, retina, ihc
  (scikit-image).

Images come back as float32 tensors (3, H, W) in [-1, 1] (uint8 ``v`` -> ``v / 127.5 - 1``),
cropped to even height and width so a 2x low-resolution twin exists.  :func:`make_lr` makes the
low-resolution input as the super-resolution literature does: bicubic downsampling with
antialiasing (the kernel widened by the scale, as MATLAB's ``imresize``).  :func:`random_patches`
draws training patches with random flips and 90-degree rotations.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from fpgagan.errors import DatasetError

Split = Literal["train", "test"]
SKIMAGE = "scikit-image"
SKLEARN = "scikit-learn"

# (name, package, file in the package's data folder or scikit-learn's sample name)
TEST_PHOTOS: tuple[tuple[str, str, str], ...] = (
    ("astronaut", SKIMAGE, "astronaut.png"),
    ("chelsea", SKIMAGE, "chelsea.png"),
    ("coffee", SKIMAGE, "coffee.png"),
    ("china", SKLEARN, "china.jpg"),
    ("flower", SKLEARN, "flower.jpg"),
)
TRAIN_PHOTOS: tuple[tuple[str, str, str], ...] = (
    ("motorcycle_left", SKIMAGE, "motorcycle_left.png"),
    ("motorcycle_right", SKIMAGE, "motorcycle_right.png"),
    ("rocket", SKIMAGE, "rocket.jpg"),
    ("hubble_deep_field", SKIMAGE, "hubble_deep_field.jpg"),
    ("retina", SKIMAGE, "retina.jpg"),
    ("ihc", SKIMAGE, "ihc.png"),
)
SPLITS: dict[str, tuple[tuple[str, str, str], ...]] = {"train": TRAIN_PHOTOS, "test": TEST_PHOTOS}


@dataclasses.dataclass(frozen=True)
class Photo:
    """One photograph: its name, where it comes from and its pixels (3, H, W) in [-1, 1]."""

    name: str
    source: str
    image: torch.Tensor


def _skimage_file(filename: str) -> Path:
    try:
        import skimage
    except ImportError:
        raise DatasetError(
            "the photographs need scikit-image (pip install -e '.[dev]'): it ships them"
        ) from None
    path = Path(skimage.__file__).parent / "data" / filename
    if not path.is_file():
        raise DatasetError(f"{path}: not in this scikit-image installation")
    return path


def _read_skimage(filename: str) -> np.ndarray:
    from PIL import Image

    path = _skimage_file(filename)
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except OSError as e:
        raise DatasetError(f"{path}: cannot read the photograph ({e})") from None


def _read_sklearn(name: str) -> np.ndarray:
    try:
        from sklearn.datasets import load_sample_image
    except ImportError:
        raise DatasetError(
            "the photographs need scikit-learn (pip install -e '.[dev]'): it ships them"
        ) from None
    return np.asarray(load_sample_image(name))


def _to_tensor(pixels: np.ndarray, where: str) -> torch.Tensor:
    if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
        raise DatasetError(f"{where}: expected an RGB uint8 photograph, got {pixels.shape}")
    h, w = pixels.shape[0] // 2 * 2, pixels.shape[1] // 2 * 2
    x = torch.from_numpy(np.array(pixels[:h, :w], copy=True)).permute(2, 0, 1).float()
    return x / 127.5 - 1.0


def load_photos(split: Split) -> list[Photo]:
    """The photographs of ``split`` (see the module's note), each (3, H, W) in [-1, 1] with even
    sides."""
    if split not in SPLITS:
        raise DatasetError(f"unknown photo split {split!r} (known: {', '.join(SPLITS)})")
    photos = []
    for name, package, file in SPLITS[split]:
        pixels = _read_skimage(file) if package == SKIMAGE else _read_sklearn(file)
        photos.append(Photo(name, f"{package}: {file}", _to_tensor(pixels, f"{package}: {file}")))
    return photos


def make_lr(images: torch.Tensor, scale: int = 2) -> torch.Tensor:
    """Bicubic downsampling by ``scale`` with antialiasing, clamped to [-1, 1]: the input of a
    super-resolution model for the high-resolution ``images`` (N, C, H, W)."""
    if images.ndim != 4 or images.shape[-1] % scale or images.shape[-2] % scale:
        raise DatasetError(
            f"make_lr: expected images (N, C, H, W) with sides divisible by {scale}, "
            f"got {tuple(images.shape)}"
        )
    h, w = images.shape[-2] // scale, images.shape[-1] // scale
    lr = F.interpolate(images, size=(h, w), mode="bicubic", align_corners=False, antialias=True)
    return lr.clamp(-1.0, 1.0)


def random_patches(
    photos: list[Photo], n: int, size: int, generator: torch.Generator
) -> torch.Tensor:
    """``n`` random ``size`` x ``size`` patches (N, 3, size, size) of ``photos`` (each photo
    equally likely), each flipped and rotated by a random multiple of 90 degrees."""
    if not photos:
        raise DatasetError("random_patches: no photographs")
    small = [p.name for p in photos if min(p.image.shape[-2:]) < size]
    if small:
        raise DatasetError(f"random_patches: photographs smaller than {size}x{size}: {small}")
    which = torch.randint(len(photos), (n,), generator=generator)
    out = torch.empty(n, 3, size, size)
    for i, k in enumerate(which.tolist()):
        img = photos[k].image
        top = int(torch.randint(img.shape[-2] - size + 1, (1,), generator=generator))
        left = int(torch.randint(img.shape[-1] - size + 1, (1,), generator=generator))
        patch = img[:, top : top + size, left : left + size]
        if int(torch.randint(2, (1,), generator=generator)):
            patch = patch.flip(-1)
        out[i] = torch.rot90(patch, int(torch.randint(4, (1,), generator=generator)), (-2, -1))
    return out


def crop_to(image: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """The centre ``height`` x ``width`` crop of ``image`` (C, H, W); a photograph smaller than
    that is mirrored out to it (reflect padding), so any frame size can be fed."""
    if image.ndim != 3:
        raise DatasetError(f"crop_to: expected an image (C, H, W), got {tuple(image.shape)}")
    _, h, w = image.shape
    ph, pw = max(0, height - h), max(0, width - w)
    if ph or pw:
        if ph >= h or pw >= w:  # reflect needs a pad smaller than the side: tile first
            image = image.repeat(1, -(-height // h), -(-width // w))
        else:
            image = F.pad(image[None], (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2), "reflect")[0]
        _, h, w = image.shape
    top, left = (h - height) // 2, (w - width) // 2
    return image[:, top : top + height, left : left + width]


def photo_crops(
    n: int, height: int, width: int, split: Split = "test", seed: int = 0
) -> list[tuple[str, torch.Tensor]]:
    """``n`` crops (3, height, width) of the photographs of ``split``, each with its photograph's
    name: photograph ``i % count``, its centre crop the first time round and a crop at a position
    drawn from ``seed`` and ``i`` after that (a photograph smaller than the crop is mirrored out
    to it, :func:`crop_to`)."""
    photos = load_photos(split)
    out = []
    for i in range(n):
        p = photos[i % len(photos)]  # the order crop_names gives
        _, h, w = p.image.shape
        if i < len(photos) or (h <= height and w <= width):
            out.append((p.name, crop_to(p.image, height, width)))
            continue
        gen = torch.Generator().manual_seed(seed * 1_000_003 + i)
        top = int(torch.randint(max(1, h - height + 1), (1,), generator=gen))
        left = int(torch.randint(max(1, w - width + 1), (1,), generator=gen))
        out.append((p.name, crop_to(p.image[:, top:, left:], height, width)))
    return out


def crop_names(n: int, split: Split = "test") -> list[str]:
    """The photograph of each of :func:`photo_crops`' ``n`` crops, without reading any file."""
    if split not in SPLITS:
        raise DatasetError(f"unknown photo split {split!r} (known: {', '.join(SPLITS)})")
    names = [name for name, _, _ in SPLITS[split]]
    return [names[i % len(names)] for i in range(n)]
