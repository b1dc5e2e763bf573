"""The engine's synthesis form (ap_int arithmetic of the exact widths, two products packed into
one DSP48E1) compiled with g++ gives the golden outputs of the native form, bit for bit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from fpgagan.sim import build_csim
from tests.golden.cases import CASES

# the synthesis form runs ap_int arithmetic: about 50 ms per generator image
SAMPLES = 4
BY_NAME = {c.name: c for c in CASES}


@pytest.mark.csim
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_synthesis_form_reproduces_the_golden_output(tmp_path, case):
    golden = np.load(case.path)
    model, x = case.make()
    csim = build_csim(model, tmp_path / "prj", case.opts, form="synthesis")
    y = csim.predict(x[:SAMPLES])
    assert int(np.count_nonzero(y != golden["y"][:SAMPLES])) == 0


# DSP columns per engine layer of the default generator: the head and the first transposed
# convolution with two 4-bit x 8-bit products per DSP48E1 on some or all of their output lanes
PACKED = {
    "MatMul_0": {"ParallelOutputs": 32, "ParallelInputs": 1, "DspColumns": 32, "DspPacking": 2},
    "ConvTranspose_0": {
        "ParallelOutputs": 64,
        "ParallelInputs": 8,
        "DspColumns": 32,
        "DspPacking": 2,
    },
    "ConvTranspose_1": {"ParallelOutputs": 1, "ParallelInputs": 16},
}


@pytest.mark.csim
def test_packed_dsp_products_are_bit_exact(tmp_path):
    case = BY_NAME["default_generator_io_stream"]
    golden = np.load(case.path)
    model, x = case.make()
    opts = dataclasses.replace(case.opts, layer_config=PACKED)
    csim = build_csim(model, tmp_path / "prj", opts, form="synthesis")
    packed = {
        layer.name: (layer.get_attr("dsp_cols"), layer.get_attr("dsp_pack"))
        for layer in csim.hls_model.get_layers()
        if layer.get_attr("dsp_cols") is not None
    }
    assert sorted(packed.values()) == [(0, 1), (32, 2), (32, 2)]
    wrappers = (tmp_path / "prj" / "firmware" / "parameters.h").read_text()
    assert "dsp_pack = 2;" in wrappers
    y = csim.predict(x[:SAMPLES])
    assert int(np.count_nonzero(y != golden["y"][:SAMPLES])) == 0
