"""Datasets as float tensors in [-1, 1], shape (N, 1, 28, 28)."""

from __future__ import annotations

from fpgagan.data.datasets import DEFAULT_FMNIST_DIR, FMNIST_ENV, load_images, to_unit_range

__all__ = ["DEFAULT_FMNIST_DIR", "FMNIST_ENV", "load_images", "to_unit_range"]
