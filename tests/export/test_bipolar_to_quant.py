"""BipolarQuantToQuant: binary weights as an exact 2-bit narrow Quant (execution before == after);
non-power-of-two scales and binary activations are left for the converter to refuse."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.util.basic import get_by_name
from qonnx.util.cleanup import cleanup_model

from fpgagan.errors import UnsupportedModelError
from fpgagan.export import execute_batch
from fpgagan.export.transforms import BipolarQuantToQuant
from fpgagan.hls.convert import hardware_graph
from tests.export.model_builders import bipolar_activation_graph, brevitas_binary_floor


def test_binary_weights_become_an_exact_two_bit_quant():
    model, _ = brevitas_binary_floor()
    model = cleanup_model(model)
    z = np.random.default_rng(1).standard_normal((32, 8)).astype(np.float32)
    before = execute_batch(model, z)
    after = model.transform(BipolarQuantToQuant())
    assert "BipolarQuant" not in [n.op_type for n in after.graph.node]
    quant = after.find_producer(after.find_consumer(after.graph.input[0].name).output[0])
    weights = next(n for n in after.graph.node if n.op_type == "Quant" and n is not quant)
    assert get_by_name(weights.attribute, "narrow").i == 1
    assert float(after.get_initializer(weights.input[3])) == 2.0
    assert set(np.unique(after.get_initializer(weights.input[0]))) == {-0.125, 0.125}
    assert np.array_equal(execute_batch(after, z), before)


def test_a_scale_that_is_not_a_power_of_two_is_left_and_refused():
    model, _ = brevitas_binary_floor(scale=0.1)
    model = cleanup_model(model)
    assert "BipolarQuant" in [n.op_type for n in model.transform(BipolarQuantToQuant()).graph.node]
    with pytest.raises(UnsupportedModelError, match="power-of-two scale"):
        hardware_graph(model)


def test_binary_activations_are_left_and_refused():
    with pytest.raises(UnsupportedModelError, match="constant weights"):
        hardware_graph(bipolar_activation_graph())
