"""NormaliseQuantAttributes: rounding modes in hls4ml's spelling, defaults written out; the model
computes the same."""

from __future__ import annotations

import numpy as np
from onnx import helper
from qonnx.util.basic import get_by_name

from fpgagan.export import execute_batch
from fpgagan.export.transforms import NormaliseQuantAttributes
from tests.export.model_builders import brevitas_binary_floor
from tests.graphs import conv_transpose_graph, quantized_input


def test_brevitas_floor_becomes_upper_case_and_computes_the_same():
    model, _ = brevitas_binary_floor()
    modes = [get_by_name(n.attribute, "rounding_mode") for n in model.graph.node]
    assert b"floor" in [m.s for m in modes if m is not None]  # what Brevitas exports
    z = np.random.default_rng(2).standard_normal((16, 8)).astype(np.float32)
    before = execute_batch(model, z)
    after = model.transform(NormaliseQuantAttributes())
    modes = [get_by_name(n.attribute, "rounding_mode") for n in after.graph.node]
    assert b"FLOOR" in [m.s for m in modes if m is not None]
    assert np.array_equal(execute_batch(after, z), before)


def test_half_even_is_round():
    model, _, _ = conv_transpose_graph()
    qw = next(n for n in model.graph.node if n.name == "qw")
    qw.attribute.remove(get_by_name(qw.attribute, "rounding_mode"))
    qw.attribute.append(helper.make_attribute("rounding_mode", "half_even"))
    x = quantized_input(4, 2, 4, 5)
    before = execute_batch(model, x)
    after = model.transform(NormaliseQuantAttributes())
    qw = next(n for n in after.graph.node if n.name == "qw")
    assert get_by_name(qw.attribute, "rounding_mode").s == b"ROUND"
    assert np.array_equal(execute_batch(after, x), before)


def test_missing_attributes_are_written_out_and_the_brevitas_domain_becomes_qonnx():
    model, _, _ = conv_transpose_graph()
    qin = next(n for n in model.graph.node if n.name == "qin")
    for name in ("signed", "narrow", "rounding_mode"):
        qin.attribute.remove(get_by_name(qin.attribute, name))
    qin.domain = "onnx.brevitas"
    after = model.transform(NormaliseQuantAttributes())
    qin = next(n for n in after.graph.node if n.name == "qin")
    assert qin.domain == "qonnx.custom_op.general"
    assert {a.name: helper.get_attribute_value(a) for a in qin.attribute} == {
        "signed": 1,
        "narrow": 0,
        "rounding_mode": b"ROUND",
    }
