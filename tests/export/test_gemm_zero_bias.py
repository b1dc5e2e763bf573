from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.gemm_to_matmul import GemmToMatMul
from qonnx.transformation.infer_shapes import InferShapes

from fpgagan.export.transforms import GiveGemmZeroBias


def _bias_free_gemm(trans_b: int) -> ModelWrapper:
    w = (
        np.random.default_rng(0)
        .integers(-8, 8, size=(5, 3) if trans_b else (3, 5))
        .astype(np.float32)
    )
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w"], ["y"], transB=trans_b)],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])],
        [helper.make_tensor("w", TensorProto.FLOAT, w.shape, w.flatten())],
    )
    model = ModelWrapper(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    return model.transform(InferShapes())


def test_gives_zero_bias_and_unblocks_gemm_to_matmul():
    for trans_b in (0, 1):
        model = _bias_free_gemm(trans_b)
        x = {"x": np.array([[0.5, -2.0, 3.25]], np.float32)}
        before = execute_onnx(model, x)["y"]
        model, changed = GiveGemmZeroBias().apply(model)
        assert changed
        assert len(model.graph.node[0].input) == 3
        assert not model.get_initializer(model.graph.node[0].input[2]).any()
        model = model.transform(GemmToMatMul())  # crashes on input[2] without the zero bias
        assert "Gemm" not in [n.op_type for n in model.graph.node]
        np.testing.assert_array_equal(execute_onnx(model, x)["y"], before)


def test_qonnx_gemm_to_matmul_still_needs_the_guard():
    # the upstream bug this transformation works around; when this starts passing without the
    # guard, qonnx has fixed it and GiveGemmZeroBias can go
    with pytest.raises(IndexError):
        _bias_free_gemm(1).transform(GemmToMatMul())


def test_reports_no_change_when_every_gemm_has_a_bias():
    model = _bias_free_gemm(1)
    model, _ = GiveGemmZeroBias().apply(model)
    _, changed = GiveGemmZeroBias().apply(model)
    assert not changed
    onnx.checker.check_model(model.model)
