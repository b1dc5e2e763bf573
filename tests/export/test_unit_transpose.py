"""A Transpose that moves only unit axes becomes a Reshape (merged with a Reshape before it);
other transposes, and those at the graph's boundary (the host's), stay."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_shapes import InferShapes

from fpgagan.export.reference import execute_batch
from fpgagan.export.transforms import MergeReshapes, UnitTransposeToReshape


def _graph(mid_shape: list[int], perm: list[int], out_shape: list[int]) -> ModelWrapper:
    """x (2, 6) -> Reshape mid_shape -> Transpose perm -> Relu -> y."""
    shape = helper.make_tensor("shape", TensorProto.INT64, [4], mid_shape)
    nodes = [
        helper.make_node("Reshape", ["x", "shape"], ["r"], name="r"),
        helper.make_node("Transpose", ["r"], ["t"], perm=perm, name="t"),
        helper.make_node("Relu", ["t"], ["y"], name="relu"),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
        initializer=[shape],
    )
    return ModelWrapper(helper.make_model(graph)).transform(InferShapes())


def _ops(model: ModelWrapper) -> list[str]:
    return [n.op_type for n in model.graph.node]


def test_unit_axes_transpose_is_one_reshape_and_computes_the_same():
    model = _graph([2, 6, 1, 1], [0, 2, 3, 1], [2, 1, 1, 6])
    x = np.random.default_rng(0).standard_normal((2, 6)).astype(np.float32)
    before = execute_batch(model, x)
    after = model.transform(UnitTransposeToReshape()).transform(MergeReshapes())
    assert _ops(after) == ["Reshape", "Relu"]
    onnx.checker.check_model(after.model)
    np.testing.assert_array_equal(execute_batch(after, x), before)


def test_a_transpose_that_reorders_data_stays():
    model = _graph([2, 3, 2, 1], [0, 2, 1, 3], [2, 2, 3, 1])
    assert _ops(model.transform(UnitTransposeToReshape())) == ["Reshape", "Transpose", "Relu"]


def test_a_transpose_at_the_boundary_stays():
    shape_in = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 6, 1, 1])
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 1, 1, 6])
    node = helper.make_node("Transpose", ["x"], ["y"], perm=[0, 2, 3, 1], name="t")
    model = ModelWrapper(helper.make_model(helper.make_graph([node], "g", [shape_in], [out])))
    assert _ops(model.transform(UnitTransposeToReshape())) == ["Transpose"]
