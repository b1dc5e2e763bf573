"""A float ONNX file (torch.onnx.export) read into a module: the same function, every op it
cannot quantize refused naming the node, a pickle refused before it is read."""

from __future__ import annotations

import onnx
import pytest
import torch
from onnx import TensorProto, helper

from fpgagan.errors import InputError, UnsupportedModelError
from fpgagan.models.float_onnx import float_module, input_shape_of
from fpgagan.models.outside import (
    DcganShape,
    FloatDcgan,
    FloatUNet,
    export_float_onnx,
    randomise_float,
)
from fpgagan.workflows.quantize_float import read_float_onnx, refuse_pickle

FLOAT_TOLERANCE = 1e-5  # float32: ONNX export folds batch-norm, the reader computes it again


@pytest.mark.parametrize(
    "model",
    [
        lambda: FloatDcgan(DcganShape(nz=8, ngf=4, channels=3, side=16)),
        lambda: FloatUNet(channels=1, side=8, width=4),
    ],
    ids=["dcgan", "unet"],
)
def test_an_exported_float_model_reads_back_as_the_same_function(model, tmp_path):
    float_model = randomise_float(model())
    path = tmp_path / "g.onnx"
    export_float_onnx(float_model, path)
    module, shape, digest = read_float_onnx(path)
    assert shape == float_model.input_shape and len(digest) == 64
    x = torch.randn(4, *shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.allclose(module(x), float_model(x), atol=FLOAT_TOLERANCE)


def _graph(nodes, inits=(), shape=(1, 8), out_shape=(1, 8)) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, list(shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(out_shape))],
        initializer=list(inits),
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_an_lstm_is_refused_naming_the_node():
    w = helper.make_tensor("W", TensorProto.FLOAT, [1, 32, 8], [0.0] * 256)
    r = helper.make_tensor("R", TensorProto.FLOAT, [1, 32, 8], [0.0] * 256)
    lstm = helper.make_node("LSTM", ["z", "W", "R"], ["y"], name="decoder_lstm", hidden_size=8)
    model = _graph([lstm], [w, r], shape=(4, 1, 8), out_shape=(4, 1, 1, 8))
    with pytest.raises(
        UnsupportedModelError, match=r"node 'decoder_lstm' \('LSTM'\).*not supported"
    ):
        float_module(model, "m.onnx")


def test_an_attention_block_is_refused_naming_the_node():
    node = helper.make_node("Softmax", ["z"], ["y"], name="attn/softmax")
    with pytest.raises(UnsupportedModelError, match=r"'attn/softmax' \('Softmax'\)"):
        float_module(_graph([node]), "m.onnx")


def test_a_non_nearest_resize_is_refused_naming_the_node():
    scales = helper.make_tensor("s", TensorProto.FLOAT, [4], [1, 1, 2, 2])
    node = helper.make_node("Resize", ["z", "", "s"], ["y"], name="up", mode="linear")
    model = _graph([node], [scales], shape=(1, 1, 4, 4), out_shape=(1, 1, 8, 8))
    with pytest.raises(UnsupportedModelError, match=r"'up' \('Resize'\).*nearest"):
        float_module(model, "m.onnx")


def test_the_input_must_declare_its_sizes():
    node = helper.make_node("Relu", ["z"], ["y"], name="r")
    with pytest.raises(UnsupportedModelError, match="declare every size"):
        input_shape_of(_graph([node], shape=(1, "n")), "m.onnx")


def test_a_pickle_is_refused_before_anything_unpickles_it(tmp_path):
    """A pickle whose loading would create a marker file: refused by its name and by its bytes,
    and the marker never appears."""
    marker = tmp_path / "unpickled"
    evil = _evil_pickle(marker)
    for name in ("generator.pt", "generator.onnx", "generator"):
        path = tmp_path / name
        path.write_bytes(evil)
        with pytest.raises(InputError, match="pickle") as info:
            read_float_onnx(path)
        assert "\n" not in str(info.value) and str(path) in str(info.value)
        with pytest.raises(InputError):
            refuse_pickle(path)
    assert not marker.exists()


def _evil_pickle(marker) -> bytes:
    import pickle

    class Touch:
        def __reduce__(self):
            return (marker.touch, ())

    return pickle.dumps(Touch())


def test_not_an_onnx_file(tmp_path):
    path = tmp_path / "g.onnx"
    path.write_bytes(b"\x08\x07garbage that is not a protobuf \xff\xff")
    with pytest.raises((InputError, UnsupportedModelError)):
        read_float_onnx(path)
