"""Layers whose weights are streamed from DDR (``RomStorage: ddr``, nnet_fg_offchip.h) in C
simulation: 0 differing elements against qonnx's execution and the same integers as the on-chip
build, with the DDR port fed from the host's copy of the image; in the native and the synthesis
forms; for transposed convolutions, a convolution and a Dense head."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fpgagan.export import interchange, reference_outputs
from fpgagan.hls.convert import HlsOptions
from fpgagan.hls.engine_layers import engine_layers
from fpgagan.hls.offchip_ports import DDR_MARK
from fpgagan.hls.pragmas import check_project
from fpgagan.models.outside import Dcgan, DcganShape, export, randomise
from fpgagan.sim import build_csim, compare, output_lsb
from tests.graphs import conv_transpose_graph, quantized_input

N = 5


def _settings(hls_model, n_par: int, k_par: int) -> dict[str, dict[str, object]]:
    """Every engine layer off chip, at the largest parallelism up to (n_par, k_par) it allows."""
    out = {}
    for layer in engine_layers(hls_model):
        s = layer.shape()
        n = max(d for d in range(1, n_par + 1) if s.geometry.n_out % d == 0)
        k = max(d for d in range(1, k_par + 1) if s.word_values % d == 0)
        out[layer.name] = {"RomStorage": "ddr", "ParallelOutputs": n, "ParallelInputs": k}
    return out


def _both(model, x, tmp_path, form="native", n_par=2, k_par=2):
    on_chip = build_csim(model, tmp_path / "chip", HlsOptions(io_type="io_stream"))
    opts = HlsOptions(io_type="io_stream", layer_config=_settings(on_chip.hls_model, n_par, k_par))
    off_chip = build_csim(model, tmp_path / "ddr", opts, form=form)
    return on_chip, off_chip


@pytest.mark.parametrize("flat", [False, True])
def test_dcgan_all_layers_off_chip(tmp_path, flat):
    gen = randomise(Dcgan(DcganShape(nz=8, ngf=4, channels=3, side=16, flat=flat)))
    model = interchange(export(gen))
    z = torch.randn(N, *gen.input_shape, generator=torch.Generator().manual_seed(3)).numpy()
    on_chip, off_chip = _both(model, z, tmp_path)
    assert all(layer.shape().offchip for layer in engine_layers(off_chip.hls_model))
    y = off_chip.predict(z)
    c = compare(y, reference_outputs(model, z), output_lsb(model))
    assert c.mismatches == 0 and c.n_elements == N * 3 * 16 * 16
    np.testing.assert_array_equal(y, on_chip.predict(z))
    firmware = tmp_path / "ddr" / "firmware"
    assert DDR_MARK in (firmware / "myproject.h").read_text()
    assert "m_axi" in (firmware / "myproject.cpp").read_text()
    assert check_project(tmp_path / "ddr", "vitis_hls")


def test_conv_transpose_synthesis_form_off_chip(tmp_path):
    """The synthesis form (ap_int widths, DSP/fabric binding) computes the same integers."""
    model, _, _ = conv_transpose_graph(4, 6, 5, 5, (4, 4), (2, 2), (1, 1, 1, 1), (0, 0), True, 4, 8)
    x = quantized_input(N, 4, 5, 5)
    on_chip, off_chip = _both(model, x, tmp_path, form="synthesis", n_par=3, k_par=4)
    y = off_chip.predict(x)
    assert compare(y, reference_outputs(model, x), output_lsb(model)).mismatches == 0
    np.testing.assert_array_equal(y, on_chip.predict(x))
