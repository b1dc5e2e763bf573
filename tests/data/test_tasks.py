from __future__ import annotations

import pytest
import torch

from fpgagan.data import load_images
from fpgagan.data.tasks import (
    FILL,
    PATCH,
    bicubic_upsample,
    downsample2x,
    fit_images,
    input_size,
    make_pairs,
    patch_mask,
    patch_origins,
)
from fpgagan.errors import DatasetError


def _images(n=6, size=28):
    return torch.rand(n, 1, size, size, generator=torch.Generator().manual_seed(1)) * 2 - 1


def test_sr2x_input_is_the_mean_of_each_2x2_block():
    x = _images()
    pairs = make_pairs("sr2x", x)
    assert pairs.inputs.shape == (6, 1, 14, 14) and pairs.mask is None
    assert torch.equal(pairs.targets, x)
    block = x[:, :, 4:6, 10:12].mean((2, 3))
    assert torch.allclose(pairs.inputs[:, :, 2, 5], block)
    assert input_size("sr2x", 28) == 14 and input_size("inpaint", 28) == 28


def test_odd_sizes_and_unknown_tasks_are_refused():
    with pytest.raises(DatasetError, match="even"):
        downsample2x(torch.zeros(1, 1, 15, 16))
    with pytest.raises(DatasetError, match="unknown image task 'denoise'"):
        make_pairs("denoise", _images())
    with pytest.raises(DatasetError, match="at least 10x10"):
        patch_mask(1, (8, 8), seed=0)


def test_inpaint_masks_one_patch_per_image_and_fills_it():
    x = _images()
    pairs = make_pairs("inpaint", x, seed=3)
    mask = pairs.mask
    assert mask.shape == x.shape and mask.dtype == torch.bool
    assert mask.sum((1, 2, 3)).tolist() == [PATCH * PATCH] * len(x)
    assert torch.all(pairs.inputs[mask] == FILL)
    assert torch.equal(pairs.inputs[~mask], x[~mask])
    # the patch is one square: its bounding box is PATCH x PATCH
    rows = mask[0, 0].any(1).nonzero().flatten()
    cols = mask[0, 0].any(0).nonzero().flatten()
    assert len(rows) == len(cols) == PATCH
    assert rows[-1] - rows[0] == PATCH - 1 and cols[-1] - cols[0] == PATCH - 1


def test_patch_positions_depend_only_on_seed_and_index():
    a = patch_origins(50, (28, 28), seed=7)
    assert (patch_origins(50, (28, 28), seed=7) == a).all()
    assert (patch_origins(10, (28, 28), seed=7, start=20) == a[20:30]).all()
    assert (patch_origins(50, (28, 28), seed=8) != a).any()
    # uniform inside the image: every top and left position 0 .. 18 occurs
    many = patch_origins(5000, (28, 28), seed=0)
    assert many.min() == 0 and many.max() == 28 - PATCH
    assert set(many[:, 0].tolist()) == set(range(28 - PATCH + 1))
    assert set(many[:, 1].tolist()) == set(range(28 - PATCH + 1))


def test_bicubic_baseline_doubles_keeps_constants_and_clamps():
    flat = torch.full((2, 1, 7, 7), 0.25)
    assert torch.allclose(bicubic_upsample(flat), torch.full((2, 1, 14, 14), 0.25))
    checker = (torch.arange(64).reshape(1, 1, 8, 8) % 2 * 2 - 1).float()
    up = bicubic_upsample(checker)
    assert up.shape == (1, 1, 16, 16)
    assert up.min() == -1 and up.max() == 1  # bicubic overshoots; the baseline is clamped


def test_tasks_on_the_digits_fixture():
    x, _ = load_images("digits", "test")
    for task, side in (("sr2x", 14), ("inpaint", 28)):
        pairs = make_pairs(task, x[:16])
        assert pairs.inputs.shape == (16, 1, side, side)
        assert pairs.subset(slice(0, 4)).targets.shape == (4, 1, 28, 28)


def test_fit_images_resizes_and_repeats_the_grey_value():
    x = _images(n=3)
    assert fit_images(x, 1, (28, 28)) is x  # already fits: unchanged
    rgb = fit_images(x, 3, (16, 8))
    assert rgb.shape == (3, 3, 16, 8)
    assert torch.equal(rgb[:, 0], rgb[:, 1]) and torch.equal(rgb[:, 1], rgb[:, 2])
    # bilinear with antialiasing: a constant image stays that constant at any size
    flat = fit_images(torch.full((1, 1, 28, 28), 0.25), 1, (12, 40))
    assert torch.allclose(flat, torch.full_like(flat, 0.25))
    with pytest.raises(DatasetError, match=r"expected grey images \(N, 1, H, W\)"):
        fit_images(rgb, 3, (8, 8))


def test_an_rgb_inpaint_patch_covers_every_channel():
    x = fit_images(_images(n=2), 3, (12, 12))
    pairs = make_pairs("inpaint", x, seed=3)
    assert pairs.mask.shape == x.shape
    assert torch.equal(pairs.mask[:, 0], pairs.mask[:, 2])
    assert pairs.mask.sum().item() == 2 * 3 * PATCH * PATCH
    assert torch.all(pairs.inputs[pairs.mask] == FILL)
