"""Super-resolution scores as the literature computes them: BT.601 luma, a border of the scale
cropped, 8-bit levels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fpgagan.report.sr_metrics import PEAK, luma, mean_score, sr_score, to_uint8_levels

# one 8-bit level more in every channel moves Y by (65.481 + 128.553 + 24.966) / 255 = 219 / 255
ONE_LEVEL_Y_DB = 10 * math.log10(PEAK**2 / (219 / 255) ** 2)
DB_TOLERANCE = 1e-9


def _image(rng, h=24, w=20, top=255) -> np.ndarray:
    return rng.integers(0, top + 1, (3, h, w)).astype(np.float64) / 127.5 - 1.0


def test_luma_spans_bt601s_studio_range():
    assert luma(np.zeros((3, 1, 1)))[0, 0] == pytest.approx(16.0)
    assert luma(np.full((3, 1, 1), 255.0))[0, 0] == pytest.approx(235.0)
    with pytest.raises(ValueError, match=r"\(1, 2, 2\)"):
        luma(np.zeros((1, 2, 2)))


def test_one_level_everywhere_scores_the_closed_form():
    rng = np.random.default_rng(0)
    truth = _image(rng, top=254)
    out = truth + 2.0 / 255  # one 8-bit level of [-1, 1]
    assert np.array_equal(to_uint8_levels(out), to_uint8_levels(truth) + 1)
    s = sr_score(out, truth, 2)
    assert s.y_psnr == pytest.approx(ONE_LEVEL_Y_DB, abs=DB_TOLERANCE)
    assert s.rgb_psnr == pytest.approx(10 * math.log10(PEAK**2), abs=DB_TOLERANCE)


def test_differences_inside_the_border_are_not_scored():
    rng = np.random.default_rng(1)
    truth = _image(rng)
    out = truth.copy()
    out[:, :2, :] = -truth[:, :2, :]  # two rows: the border of a 2x model
    s = sr_score(out, truth, 2)
    assert math.isinf(s.y_psnr) and math.isinf(s.rgb_psnr) and s.y_ssim == pytest.approx(1.0)
    assert sr_score(out, truth, 1).y_psnr < 30


def test_mismatched_shapes_are_refused_naming_both():
    with pytest.raises(ValueError, match=r"\(3, 4, 4\) and \(3, 4, 6\)"):
        sr_score(np.zeros((3, 4, 4)), np.zeros((3, 4, 6)), 1)


def test_mean_score_is_per_field():
    rng = np.random.default_rng(2)
    a, b = _image(rng), _image(rng)
    s1, s2 = sr_score(a, b, 2), sr_score(b, a * 0.5, 2)
    m = mean_score([s1, s2])
    assert m.y_psnr == pytest.approx((s1.y_psnr + s2.y_psnr) / 2)
    assert m.y_ssim == pytest.approx((s1.y_ssim + s2.y_ssim) / 2)
