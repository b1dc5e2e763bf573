"""What fpgagan refuses, names and registers when converting QONNX models with hls4ml."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper

from fpgagan.boards import BACKENDS
from fpgagan.errors import UnsupportedModelError
from fpgagan.hls import register
from fpgagan.hls.convert import HlsOptions, convert, hardware_graph, input_precision
from fpgagan.hls.engine_layers import FgConvTranspose
from fpgagan.sim.build import compile_project
from tests.graphs import conv_transpose_graph


@pytest.mark.parametrize(
    "attrs, pattern",
    [
        ({"group": 2}, r"'deconv'.*group=2"),
        ({"dilations": [2, 2]}, r"'deconv'.*dilations=\[2, 2\]"),
        ({"auto_pad": "SAME_UPPER"}, r"'deconv'.*auto_pad"),
        ({"output_shape": [9, 9]}, r"'deconv'.*output_shape"),
    ],
)
def test_unsupported_attributes_are_refused_by_name(tmp_path, attrs, pattern):
    cin = 4 if "group" in attrs else 2
    cout = 2
    model, _, _ = conv_transpose_graph(
        cin=cin, cout=cout // (attrs.get("group", 1)), attrs=attrs, pads=(0, 0, 0, 0)
    )
    with pytest.raises(UnsupportedModelError, match=pattern):
        hw, _ = hardware_graph(model)
        convert(hw, tmp_path / "p", HlsOptions())


def test_non_power_of_two_scale_is_refused():
    model, _, _ = conv_transpose_graph()
    scale_name = [n for n in model.graph.node if n.name == "qw"][0].input[1]
    model.set_initializer(scale_name, np.array(0.3, np.float32))
    with pytest.raises(UnsupportedModelError, match=r"Quant node .* not a power of two"):
        hardware_graph(model)


def test_unsupported_op_is_named():
    graph = helper.make_graph(
        [helper.make_node("Sin", ["x"], ["y"], name="the_sine")],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    )
    with pytest.raises(
        UnsupportedModelError,
        match=r"node 'Sin_0' \(source node 'the_sine'\): op Sin is not supported",
    ):
        hardware_graph(
            ModelWrapper(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
        )


def test_unquantized_input_is_refused():
    model, _, _ = conv_transpose_graph()
    hw, _ = hardware_graph(model)
    q = hw.find_consumers(hw.graph.input[0].name)[0]
    for node in hw.find_consumers(q.output[0]):
        node.input[list(node.input).index(q.output[0])] = hw.graph.input[0].name
    hw.graph.node.remove(q)
    with pytest.raises(UnsupportedModelError, match="must feed exactly one Quant node"):
        input_precision(hw)


def test_input_type_is_the_first_quant_type():
    hw, _ = hardware_graph(conv_transpose_graph()[0])
    assert input_precision(hw) == "fixed<8,4,RND_CONV,SAT>"  # 8 bits, scale 2^-4


def test_register_is_idempotent_and_orders_the_precision_pass():
    from hls4ml.model.flow import get_flow

    register()
    register()
    convert_flow = get_flow("convert").optimizers
    assert convert_flow.count("fpgagan_infer_conv_transpose_precision") == 1
    assert convert_flow.index("fpgagan_infer_conv_transpose_precision") < convert_flow.index(
        "infer_precision_types"
    )
    assert get_flow("vivado:streaming").optimizers.index(
        "vivado:fpgagan_reshape_stream"
    ) < get_flow("vivado:streaming").optimizers.index("vivado:reshape_stream")


@pytest.mark.csim
@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_renders_and_compiles_the_layer(tmp_path, backend):
    model, _, _ = conv_transpose_graph()
    hw, _ = hardware_graph(model)
    hls_model = convert(hw, tmp_path / backend, HlsOptions(backend=backend))
    (layer,) = [x for x in hls_model.get_layers() if isinstance(x, FgConvTranspose)]
    hls_model.write()
    compile_project(tmp_path / backend, hls_model.config.get_project_name())
    firmware = tmp_path / backend / "firmware"
    assert f"fg_layer{layer.index}<" in (firmware / "myproject.cpp").read_text()
    wrapper = (firmware / "weights" / f"fg_{layer.index}.h").read_text()
    assert "nnet::fg::conv2d_transpose_engine<" in wrapper
    for header in ("nnet_fg_engine.h", "nnet_fg_layers.h"):
        assert (firmware / "nnet_utils" / header).is_file()
