"""hls4ml's precision types as fpgagan's Fixed, and the exact types the passes give a converted
model (the type rules themselves: tests/hw/test_fixed_point.py)."""

from __future__ import annotations

import pytest
from hls4ml.model.types import FixedPrecisionType, IntegerPrecisionType

from fpgagan.hls.fixed_point import fixed_of, to_hls
from fpgagan.hw.fixed_point import Fixed


def test_hls4ml_precisions_read_as_fixed_and_back():
    assert fixed_of(FixedPrecisionType(8, 3, False), "x") == Fixed(8, 3, False)
    assert fixed_of(IntegerPrecisionType(6, True), "x") == Fixed(6, 6, True)
    t = to_hls(Fixed(12, 5, True))
    assert (t.width, t.integer, t.signed) == (12, 5, True)
    with pytest.raises(TypeError, match="layer w: expected a fixed-point"):
        fixed_of("float", "layer w")


def test_tight_bias_type_holds_the_values_and_no_more():
    import numpy as np

    from fpgagan.hls.passes.tighten_bias import tight_type

    values = np.array([-3.25, 0.5, 7.75])  # LSB 2^-2: integers -13, 2, 31 -> 6 bits signed
    t = tight_type(values, 2)
    assert (t.width, t.integer, t.signed) == (6, 4, True)
    with pytest.raises(ValueError, match="grid"):
        tight_type(np.array([0.1]), 2)


def test_default_generator_accumulators_are_narrow():
    from fpgagan.export import load_qonnx
    from fpgagan.hls.convert import HlsOptions, convert, hardware_graph
    from fpgagan.workflows.hls_flow import default_model_dir

    hw, _ = hardware_graph(load_qonnx(default_model_dir() / "generator.onnx"))
    model = convert(hw, "/tmp/unused-fpgagan-probe", HlsOptions())
    widths = {
        layer.name: layer.types["accum_t"].precision.width
        for layer in model.get_layers()
        if "accum_t" in layer.types
    }
    assert widths and max(widths.values()) <= 24, (
        widths
    )  # 33 bits with the 32-bit Brevitas bias type
