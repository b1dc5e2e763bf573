"""``fpgagan quantize``: exit 0 with a verified QONNX file; 2 and one line for a pickle, an
unsupported layer or a bad option, with nothing written."""

from __future__ import annotations

import json
import pickle

import pytest
from onnx import TensorProto, helper, save

from fpgagan.cli import main
from fpgagan.export import load_qonnx
from fpgagan.models.outside import DcganShape, FloatDcgan, export_float_onnx, randomise_float

FAST = ["--epochs", "1", "--steps", "2", "--batch-size", "8", "--n-val", "16"]


def _refused(capsys, argv, pattern):
    code = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("fpgagan: error:"), err
    assert pattern in lines[0], lines[0]


@pytest.fixture(scope="module")
def dcgan_onnx(tmp_path_factory):
    path = tmp_path_factory.mktemp("float") / "dcgan.onnx"
    export_float_onnx(
        randomise_float(FloatDcgan(DcganShape(nz=8, ngf=4, channels=3, side=8))), path
    )
    return path


def test_quantize_writes_a_qonnx_file_the_main_job_takes(dcgan_onnx, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["quantize", "--float", str(dcgan_onnx), "--out", str(out), *FAST]) == 0
    printed = capsys.readouterr().out
    assert "PSNR" in printed and "generator.onnx" in printed
    model = load_qonnx(out / "generator.onnx")  # fpgagan's own validation of a model file
    assert [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim][1:] == [8, 1, 1]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["score_name"] == "val_psnr" and len(metrics["history"]) == 1
    assert metrics["fid_not_scored"].startswith("the output is 3x8x8")
    assert (out / "student.pt").is_file()
    # a rerun finds the finished state and does not train again
    assert main(["quantize", "--float", str(dcgan_onnx), "--out", str(out), *FAST]) == 0
    again = json.loads((out / "metrics.json").read_text())
    assert again["history"] == metrics["history"]


def test_a_pt_file_is_refused_before_it_is_unpickled(tmp_path, capsys):
    marker = tmp_path / "unpickled"

    class Touch:
        def __reduce__(self):
            return (marker.touch, ())

    for name in ("G.pt", "G.onnx"):
        path = tmp_path / name
        path.write_bytes(pickle.dumps(Touch()))
        _refused(capsys, ["quantize", "--float", str(path), "--out", str(tmp_path / "o")], "pickle")
    assert not marker.exists() and not (tmp_path / "o").exists()


def test_an_lstm_is_refused_naming_the_node(tmp_path, capsys):
    w = helper.make_tensor("W", TensorProto.FLOAT, [1, 32, 8], [0.0] * 256)
    r = helper.make_tensor("R", TensorProto.FLOAT, [1, 32, 8], [0.0] * 256)
    node = helper.make_node("LSTM", ["z", "W", "R"], ["y"], name="seq_lstm", hidden_size=8)
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [4, 1, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 1, 1, 8])],
        initializer=[w, r],
    )  # fmt: skip
    path = tmp_path / "lstm.onnx"
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    out = tmp_path / "o"
    _refused(capsys, ["quantize", "--float", str(path), "--out", str(out)], "'seq_lstm' ('LSTM')")
    assert not out.exists()


def test_bad_precision_and_missing_file(dcgan_onnx, tmp_path, capsys):
    out = tmp_path / "o"
    args = ["quantize", "--float", str(dcgan_onnx), "--out", str(out)]
    _refused(capsys, [*args, "--weight-bits", "9"], "weight_bits must be in [1, 8]")
    _refused(capsys, [*args, "--input-range", "3"], "power of two")
    _refused(capsys, ["quantize", "--float", str(tmp_path / "none.onnx")], "none.onnx")
    assert not out.exists()


def test_a_precision_file_naming_an_unknown_layer_is_refused_with_the_known_ones(
    dcgan_onnx, tmp_path, capsys
):
    precision = tmp_path / "p.yaml"
    precision.write_text("weight_bits: 4\nlayers:\n  deconv9: {weight_bits: 8}\n")
    out = tmp_path / "o"
    argv = ["quantize", "--float", str(dcgan_onnx), "--out", str(out)]
    argv += ["--precision", str(precision)]
    _refused(capsys, argv, "unknown layer(s) ['deconv9'] (layers: node_")
    assert not out.exists()
