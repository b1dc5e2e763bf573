"""The photographs that ship in scikit-image and scikit-learn: a fixed split by image, patches
for training, low-resolution twins, crops of any frame size."""

from __future__ import annotations

import pytest
import torch

from fpgagan.data import photos as P
from fpgagan.errors import DatasetError

pytest.importorskip("skimage")


@pytest.fixture(scope="module")
def test_photos() -> list[P.Photo]:
    return P.load_photos("test")


def test_the_split_is_by_image_and_fixed(test_photos):
    train = P.load_photos("train")
    names = [p.name for p in test_photos]
    assert names == ["astronaut", "chelsea", "coffee", "china", "flower"]
    assert not set(names) & {p.name for p in train}
    for p in [*train, *test_photos]:
        c, h, w = p.image.shape
        assert c == 3 and h % 2 == 0 and w % 2 == 0 and min(h, w) >= 300
        assert p.image.min() >= -1.0 and p.image.max() <= 1.0
        assert p.image.std() > 0.1  # a photograph, not a blank


def test_an_unknown_split_is_refused():
    with pytest.raises(DatasetError, match="unknown photo split 'val'"):
        P.load_photos("val")


def test_patches_are_random_flipped_and_repeatable(test_photos):
    a = P.random_patches(test_photos, 12, 24, torch.Generator().manual_seed(3))
    b = P.random_patches(test_photos, 12, 24, torch.Generator().manual_seed(3))
    c = P.random_patches(test_photos, 12, 24, torch.Generator().manual_seed(4))
    assert a.shape == (12, 3, 24, 24) and torch.equal(a, b) and not torch.equal(a, c)
    assert len({tuple(x.flatten()[:8].tolist()) for x in a}) == 12


def test_patches_larger_than_a_photo_are_refused_naming_it(test_photos):
    with pytest.raises(DatasetError, match="chelsea"):
        P.random_patches(test_photos, 1, 320, torch.Generator())


def test_the_low_resolution_twin_is_half_the_size_and_close_to_area_averages():
    hr = torch.rand(2, 3, 16, 20) * 2 - 1
    lr = P.make_lr(hr)
    assert lr.shape == (2, 3, 8, 10)
    flat = torch.full((1, 3, 8, 8), 0.25)
    assert torch.allclose(P.make_lr(flat), torch.full((1, 3, 4, 4), 0.25), atol=1e-6)
    with pytest.raises(DatasetError, match=r"\(1, 3, 7, 8\)"):
        P.make_lr(torch.zeros(1, 3, 7, 8))


def test_crops_of_any_frame_size(test_photos):
    img = test_photos[1].image  # chelsea, 300 x 450
    centre = P.crop_to(img, 100, 200)
    assert torch.equal(centre, img[:, 100:200, 125:325])
    big = P.crop_to(img, 720, 1280)  # larger than the photograph: tiled out to it
    assert big.shape == (3, 720, 1280)
    mirrored = P.crop_to(img, 320, 460)
    assert mirrored.shape == (3, 320, 460)
    assert torch.equal(mirrored[:, 10:310, 5:455], img)


def test_photo_crops_cycle_the_photographs_and_move_after_the_first_round():
    crops = P.photo_crops(7, 64, 96)
    assert [n for n, _ in crops][:6] == ["astronaut", "chelsea", "coffee", "china", "flower"] + [
        "astronaut"
    ]
    assert all(c.shape == (3, 64, 96) for _, c in crops)
    assert not torch.equal(crops[0][1], crops[5][1])  # astronaut again, another place
    assert P.crop_names(7) == [n for n, _ in crops]  # the same names, without reading a file
    with pytest.raises(DatasetError, match="unknown photo split 'val'"):
        P.crop_names(2, "val")
