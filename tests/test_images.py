"""Grids of grey and colour images, drawn from the range their values live in."""

from __future__ import annotations

import numpy as np
import pytest

from fpgagan.images import UNIT_RANGE, grid, range_of, to_uint8


def test_grey_colour_and_other_channel_counts():
    x = np.linspace(-1, 1, 2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    rgb = to_uint8(x)
    assert rgb.shape == (2, 4, 5, 3)
    assert np.array_equal(rgb[..., 1], to_uint8(x[:, 1:2]))  # channel 1 is green
    assert to_uint8(x[:, :1]).shape == (2, 4, 5)
    two = to_uint8(x[:, :2])  # neither grey nor RGB: the channels side by side
    assert two.shape == (2, 4, 10) and np.array_equal(two[:, :, 5:], to_uint8(x[:, 1:2]))
    assert grid(x, ncol=2).shape == (4 + 2 * 2, 2 * (5 + 2) + 2, 3)
    assert grid(x[:, :1], ncol=2).shape == (4 + 2 * 2, 2 * (5 + 2) + 2)


def test_values_are_drawn_from_their_range():
    x = np.array([0.0, 0.5, 1.0], np.float32).reshape(1, 1, 1, 3)
    assert to_uint8(x, (0.0, 1.0)).tolist() == [[[0, 128, 255]]]
    assert to_uint8(x).tolist() == [[[128, 191, 255]]]  # fpgagan's [-1, 1]
    with pytest.raises(ValueError, match="top must lie above"):
        to_uint8(x, (1.0, 1.0))


def test_range_of_images():
    assert range_of(np.array([0.25, -0.5]), np.array([[0.75]])) == (-0.5, 0.75)
    assert range_of(np.full(3, 2.0)) == (2.0, 3.0)  # a constant picture
    assert range_of(np.array([np.nan])) == UNIT_RANGE
