"""The output quantizer's LSB and range, read from the Quant node that makes the graph output."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper

from fpgagan.sim import output_lsb, output_range


def _graph(signed: int, narrow: int, bits: int, scale: float, last: str = "Quant"):
    """x -> Quant (-> Relu when ``last`` is Relu) -> y."""
    quant = helper.make_node(
        "Quant", ["x", "s", "z", "b"], ["q"], domain="qonnx.custom_op.general",
        signed=signed, narrow=narrow, rounding_mode="ROUND",
    )  # fmt: skip
    nodes = [quant] + ([helper.make_node("Relu", ["q"], ["y"])] if last == "Relu" else [])
    out = "y" if last == "Relu" else "q"
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, [1, 4])],
        initializer=[
            helper.make_tensor(name, TensorProto.FLOAT, [], [value])
            for name, value in (("s", scale), ("z", 0.0), ("b", float(bits)))
        ],
    )
    return ModelWrapper(helper.make_model(graph))


@pytest.mark.parametrize(
    ("signed", "narrow", "bits", "scale", "expected"),
    [
        (1, 0, 8, 2.0**-7, (-1.0, 1.0)),  # fpgagan's images: [-1, 1)
        (0, 0, 8, 2.0**-8, (0.0, 1.0)),  # a sigmoid-like output: [0, 1)
        (1, 1, 4, 0.5, (-3.5, 4.0)),  # narrow: the code -8 is never made
        (0, 1, 2, 1.0, (0.0, 3.0)),
    ],
)
def test_the_output_range_is_what_the_quantizer_can_make(signed, narrow, bits, scale, expected):
    model = _graph(signed, narrow, bits, scale)
    lo, hi = output_range(model)
    assert (lo, hi) == expected
    assert output_lsb(model) == scale
    # every code the quantizer can make lies in [lo, hi), the top one an LSB below hi
    q_min = -(2 ** (bits - 1)) + narrow if signed else 0
    q_max = 2 ** (bits - 1) - 1 if signed else 2**bits - 1 - narrow
    codes = np.arange(q_min, q_max + 1) * scale
    assert codes.min() == lo and codes.max() == hi - scale


def test_no_output_quantizer_no_range():
    model = _graph(1, 0, 8, 2.0**-7, last="Relu")
    assert output_range(model) is None and output_lsb(model) is None
