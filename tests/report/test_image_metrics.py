from __future__ import annotations

import numpy as np
import pytest

from fpgagan.report.image_metrics import max_abs_error, psnr, sqnr_db, ssim


def test_identical_images():
    x = np.random.default_rng(0).uniform(-1, 1, (4, 1, 28, 28))
    assert (
        psnr(x, x) == float("inf") and ssim(x, x) == pytest.approx(1.0) and max_abs_error(x, x) == 0
    )


def test_psnr_of_a_known_error():
    x = np.zeros((2, 1, 8, 8))
    y = x + 0.02  # MSE 4e-4, range 2 -> 10 log10(4 / 4e-4) = 40 dB
    assert psnr(x, y) == pytest.approx(40.0)
    assert sqnr_db(np.full_like(x, 0.2), np.full_like(x, 0.2) + 0.02) == pytest.approx(20.0)


def test_ssim_drops_with_noise_and_structure_loss():
    rng = np.random.default_rng(1)
    x = np.clip(rng.normal(0, 0.5, (4, 1, 28, 28)), -1, 1)
    slightly = x + rng.normal(0, 0.01, x.shape)
    very = rng.uniform(-1, 1, x.shape)
    assert 1.0 > ssim(x, slightly) > ssim(x, very)


def test_synthesis_figures_are_rendered_beside_the_estimates():
    from types import SimpleNamespace

    from fpgagan.report.render import _synthesis_table

    acc = SimpleNamespace(lut=1000.0, dsp=0.0, ff=1.0, bram_18k=2.0)  # what csynth sees
    whole = SimpleNamespace(lut=1300.0, dsp=0.0, ff=9.0, bram_18k=2.0)
    estimate = SimpleNamespace(totals=whole, accelerator=acc)
    rows = _synthesis_table(
        {"CSynthesisReport": {"LUT": "1234", "DSP": "5", "BestLatency": "99"}}, estimate
    )
    text = "\n".join(rows)
    assert "| LUT | 1,000 | 1234 |" in text and "| DSP | 0 | 5 |" in text and "BestLatency" in text
