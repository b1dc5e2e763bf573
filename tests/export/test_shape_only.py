"""Channels-last shape inference in constant memory gives qonnx's shapes."""

from __future__ import annotations

import onnx
import pytest
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.channels_last.conv import Conv_v1 as QonnxConv

from fpgagan.export.ops.conv_transpose import DOMAIN
from fpgagan.export.ops.shape_only import Conv_v1, shape_only_constant


def _conv_model(h: int, w: int, k: tuple[int, int], stride: int, pads: list[int]) -> ModelWrapper:
    node = helper.make_node(
        "Conv", ["x", "w"], ["y"], domain=DOMAIN, kernel_shape=list(k), strides=[stride] * 2,
        dilations=[1, 1], pads=pads, group=1,
    )  # fmt: skip
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, h, w, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [helper.make_tensor("w", TensorProto.FLOAT, [5, 3, *k], [0.0] * (15 * k[0] * k[1]))],
    )
    return ModelWrapper(helper.make_model(graph))


def _inferred(op) -> list[int]:
    model = onnx.shape_inference.infer_shapes(
        helper.make_model(
            helper.make_graph([op], "s", [], [helper.make_value_info("y", onnx.TypeProto())])
        )
    )
    dims = model.graph.output[0].type.tensor_type.shape.dim
    return [d.dim_value for d in dims]


@pytest.mark.parametrize(
    ("h", "w", "k", "stride", "pads"),
    [
        (9, 14, (3, 3), 1, [1, 1, 1, 1]),
        (9, 14, (3, 1), 2, [1, 0, 1, 0]),
        (8, 8, (1, 3), 1, [0, 1, 0, 1]),
    ],
)
def test_the_shapes_are_qonnxs(h, w, k, stride, pads):
    model = _conv_model(h, w, k, stride, pads)
    node = model.graph.node[0]
    ours = _inferred(Conv_v1(node).make_shape_compatible_op(model))
    theirs = _inferred(QonnxConv(node).make_shape_compatible_op(model))
    assert ours == theirs and len(ours) == 4


def test_a_video_frame_costs_no_elements():
    op = shape_only_constant("y", [1, 1080, 1920, 24])
    assert op.ByteSize() < 200
    assert _inferred(op) == [1, 1080, 1920, 24]
