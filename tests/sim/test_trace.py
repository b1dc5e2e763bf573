"""A deliberate type error (hls4ml's default input type, the double-rounding trap) must be caught:
outputs differ, and the trace names the input quantizer as the first diverging layer."""

from __future__ import annotations

import numpy as np
import pytest

import fpgagan.hls.convert as convert_mod
from fpgagan.export import execute_batch
from fpgagan.hls.convert import HlsOptions
from fpgagan.sim import build_csim, compare, first_divergence
from tests.graphs import conv_transpose_graph


@pytest.mark.csim
def test_double_rounding_at_the_input_is_found_and_located(tmp_path, monkeypatch):
    model, _, _ = conv_transpose_graph(cin=2, cout=2, h=3, w=3)
    # inputs off the input quantizer's grid: truncation to fixed<16,6> then rounding differs
    x = np.random.default_rng(0).normal(0, 2, size=(64, 2, 3, 3)).astype(np.float32)
    monkeypatch.setattr(convert_mod, "input_precision", lambda m: "fixed<16,6>")
    csim = build_csim(model, tmp_path / "prj", HlsOptions())
    result = compare(csim.predict(x), execute_batch(model, x))
    assert result.mismatches > 0
    bad = list(result.mismatched_samples[:4])
    divergence = first_divergence(csim, x[bad])
    assert divergence is not None and divergence.layer.startswith("Quant_")  # the input quantizer
