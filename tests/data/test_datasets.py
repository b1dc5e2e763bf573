from __future__ import annotations

import gzip

import numpy as np
import pytest

from fpgagan.data import load_images, to_unit_range
from fpgagan.data.idx import read_idx
from fpgagan.errors import DatasetError
from tests.conftest import needs_fmnist


def _idx_bytes(arr: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return header + arr.astype(np.uint8).tobytes()


@pytest.mark.parametrize("gz", [True, False])
def test_idx_round_trip(tmp_path, gz):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / ("a.idx.gz" if gz else "a.idx")
    (gzip.open if gz else open)(path, "wb").write(_idx_bytes(arr))
    np.testing.assert_array_equal(read_idx(path), arr)


def test_idx_truncated_and_garbage(tmp_path):
    arr = np.zeros((2, 3), np.uint8)
    (tmp_path / "t.idx").write_bytes(_idx_bytes(arr)[:-1])
    with pytest.raises(DatasetError, match="truncated"):
        read_idx(tmp_path / "t.idx")
    (tmp_path / "g.idx").write_bytes(b"hello world")
    with pytest.raises(DatasetError, match="not an IDX file"):
        read_idx(tmp_path / "g.idx")


def test_missing_dataset_names_package_and_env_var(no_fmnist):
    with pytest.raises(DatasetError) as exc:
        load_images("fashion-mnist", "train")
    msg = str(exc.value)
    assert "dataset-fashion-mnist" in msg and "FPGAGAN_FMNIST_DIR" in msg and "\n" not in msg


def test_unit_range():
    x = to_unit_range(np.array([[[0, 255], [127, 128]]], np.uint8))
    assert x.shape == (1, 1, 2, 2)
    assert x.min().item() == -1.0 and x.max().item() == 1.0


def test_digits_fixture():
    x, y = load_images("digits", "test")
    assert x.shape[1:] == (1, 28, 28) and len(x) == len(y) == 360
    assert x.min() >= -1 and x.max() <= 1


@needs_fmnist
def test_fashion_mnist_splits():
    x, y = load_images("fashion-mnist", "test")
    assert x.shape == (10_000, 1, 28, 28) and y.shape == (10_000,)
    assert x.min().item() == -1.0 and x.max().item() == 1.0
    assert sorted(set(y.tolist())) == list(range(10))
