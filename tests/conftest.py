from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from fpgagan.data.datasets import fmnist_dir

REPO = Path(__file__).resolve().parents[1]


def fmnist_available() -> bool:
    return (fmnist_dir() / "train-images-idx3-ubyte.gz").exists() or (
        fmnist_dir() / "train-images-idx3-ubyte"
    ).exists()


needs_fmnist = pytest.mark.skipif(
    not fmnist_available(), reason="Fashion-MNIST not installed (make data)"
)


@pytest.fixture(autouse=True)
def _deterministic():
    torch.manual_seed(0)
    yield


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def no_fmnist(tmp_path, monkeypatch):
    """Point the Fashion-MNIST lookup at an empty folder."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("FPGAGAN_FMNIST_DIR", str(empty))
    return empty


os.environ.setdefault("TQDM_DISABLE", "1")
