"""A fully convolutional QONNX model at another frame size computes what the model computes."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch
from qonnx.core.modelwrapper import ModelWrapper

from fpgagan.config import Precision
from fpgagan.errors import ExportError
from fpgagan.export import reference_outputs, to_qonnx
from fpgagan.export.frame_size import at_frame_size
from fpgagan.models.espcn import Espcn, EspcnSpec

SPEC = EspcnSpec(widths=(6, 6), kernels=((3, 1), (1, 3), (3, 3)), in_height=4, in_width=6)


@pytest.fixture(scope="module")
def student() -> Espcn:
    torch.manual_seed(0)
    model = Espcn(SPEC, Precision(weight_bits=4, act_bits=8, input_range=1.0)).init_nearest()
    model.train()
    for _ in range(3):
        model(torch.rand(4, 3, 8, 8) * 2 - 1)
    return model.eval()


def test_the_resized_graph_computes_the_model(student):
    resized = at_frame_size(to_qonnx(student), 10, 14)
    dims = [d.dim_value for d in resized.graph.output[0].type.tensor_type.shape.dim]
    assert dims == [1, 3, 20, 28]
    x = torch.rand(2, 3, 10, 14) * 2 - 1
    with torch.no_grad():
        expected = student(x).numpy()
    assert np.array_equal(reference_outputs(resized, x.numpy()), expected)


def test_a_size_bound_node_is_refused_naming_it():
    node = onnx.helper.make_node("Reshape", ["x", "s"], ["y"], name="flatten_me")
    graph = onnx.helper.make_graph(
        [node],
        "g",
        [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 3, 4, 4])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 48])],
        [onnx.helper.make_tensor("s", onnx.TensorProto.INT64, [2], [1, 48])],
    )
    model = ModelWrapper(onnx.helper.make_model(graph))
    with pytest.raises(ExportError, match=r"m.onnx: node flatten_me \(Reshape\)"):
        at_frame_size(model, 8, 8, "m.onnx")
