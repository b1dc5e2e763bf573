"""A user's training images: PNG/JPEG folders and .npz archives at a model's size, channels and
output range; anything else refused naming the file."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from fpgagan.data.image_files import load_image_set
from fpgagan.errors import DatasetError


def test_a_folder_of_pngs_at_the_models_size_and_range(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(
            tmp_path / f"{i}.png"
        )
    Image.fromarray(np.full((16, 16), 255, np.uint8)).save(tmp_path / "white.png")
    x = load_image_set(tmp_path, channels=1, size=(8, 8), out_range=(-1.0, 1.0))
    assert x.shape == (4, 1, 8, 8)
    assert float(x.min()) >= -1.0 and float(x.max()) <= 1.0
    assert float(x[3].min()) == pytest.approx(1.0)  # the white image (sorted last) at the top


def test_an_npz_of_uint8_images_in_zero_one(tmp_path):
    images = np.zeros((5, 4, 4), np.uint8)
    images[:, :2] = 255
    np.savez(tmp_path / "set.npz", images=images)
    x = load_image_set(tmp_path / "set.npz", channels=3, size=(4, 4), out_range=(0.0, 1.0))
    assert x.shape == (5, 3, 4, 4)
    assert float(x[:, :, :2].min()) == 1.0 and float(x[:, :, 2:].max()) == 0.0


def test_bad_image_sets_are_refused_naming_the_file(tmp_path):
    (tmp_path / "a.png").write_bytes(b"not a png")
    with pytest.raises(DatasetError, match="a.png"):
        load_image_set(tmp_path, 1, (8, 8))
    np.savez(tmp_path / "two.npz", a=np.zeros((2, 4, 4)), b=np.zeros((2, 4, 4)))
    with pytest.raises(DatasetError, match="two.npz.*2 arrays"):
        load_image_set(tmp_path / "two.npz", 1, (4, 4))
    np.savez(tmp_path / "pickled.npz", images=np.array([{"x": 1}], dtype=object))
    with pytest.raises(DatasetError, match="pickled.npz"):  # never unpickled
        load_image_set(tmp_path / "pickled.npz", 1, (4, 4))
    np.save(tmp_path / "obj.npy", np.array([{"x": 1}], dtype=object))
    with pytest.raises(DatasetError, match="obj.npy"):
        load_image_set(tmp_path / "obj.npy", 1, (4, 4))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetError, match="no .png"):
        load_image_set(empty, 1, (4, 4))
