"""Fashion-MNIST from Debian's ``dataset-fashion-mnist``, and sklearn digits as a tiny fixture.

Nothing is downloaded: Fashion-MNIST is looked up in ``--data-dir``, then ``$FPGAGAN_FMNIST_DIR``,
then the Debian package's folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from fpgagan.data.idx import read_idx
from fpgagan.errors import DatasetError

FMNIST_ENV = "FPGAGAN_FMNIST_DIR"
DEFAULT_FMNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FMNIST_PACKAGE = "dataset-fashion-mnist"
_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

Split = Literal["train", "test"]


def fmnist_dir(root: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the Fashion-MNIST folder: explicit root, then the env var, then Debian's path."""
    if root is not None:
        return Path(root)
    env = os.environ.get(FMNIST_ENV)
    return Path(env) if env else DEFAULT_FMNIST_DIR


def _find(folder: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    raise DatasetError(
        f"Fashion-MNIST not found: no {stem}[.gz] in {folder} "
        f"(install Debian's package {FMNIST_PACKAGE}: apt-get install {FMNIST_PACKAGE}, "
        f"or set {FMNIST_ENV} / --data-dir)"
    )


def to_unit_range(pixels: np.ndarray) -> torch.Tensor:
    """uint8 [0, 255] images (N, H, W) -> float32 tensor (N, 1, H, W) in [-1, 1]."""
    x = torch.from_numpy(np.array(pixels, copy=True)).float().unsqueeze(1)
    return x / 127.5 - 1.0


def load_fashion_mnist(
    split: Split, root: str | os.PathLike[str] | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (N, 1, 28, 28) in [-1, 1] and int64 labels of one Fashion-MNIST split."""
    folder = fmnist_dir(root)
    img_stem, lbl_stem = _FILES[split]
    images = read_idx(_find(folder, img_stem))
    labels = read_idx(_find(folder, lbl_stem))
    if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != images.shape[:1]:
        raise DatasetError(
            f"{folder}: unexpected Fashion-MNIST shapes {images.shape}, {labels.shape}"
        )
    return to_unit_range(images), torch.from_numpy(labels.astype(np.int64))


def load_digits_28(split: Split) -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's bundled 8x8 digits, upsampled to 28x28, as a tiny offline fixture.

    Deterministic split: every 5th image is ``test``.  Needs scikit-learn (the ``dev`` extra).
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise DatasetError(
            "the digits fixture needs scikit-learn (pip install -e '.[dev]')"
        ) from None
    d = load_digits()
    idx = np.arange(len(d.images))
    keep = idx % 5 == 0 if split == "test" else idx % 5 != 0
    img = torch.from_numpy(d.images[keep]).float().unsqueeze(1) / 16.0  # [0, 1]
    img = torch.nn.functional.interpolate(img, size=(28, 28), mode="bilinear", align_corners=False)
    return img.clamp(0, 1) * 2.0 - 1.0, torch.from_numpy(d.target[keep].astype(np.int64))


def load_images(
    dataset: str, split: Split, root: str | os.PathLike[str] | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Load ``dataset`` ('fashion-mnist' or 'digits'), returning images in [-1, 1] and labels."""
    if dataset == "fashion-mnist":
        return load_fashion_mnist(split, root)
    if dataset == "digits":
        return load_digits_28(split)
    raise DatasetError(f"unknown dataset {dataset!r} (known: fashion-mnist, digits)")
