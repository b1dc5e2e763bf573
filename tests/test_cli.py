"""Bad input never gives a traceback: one line on stderr, exit 2, nothing half-written."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from fpgagan.cli import main
from fpgagan.config import Precision
from fpgagan.models import build_generator
from fpgagan.models.checkpoint import save_generator


def _fails_cleanly(capsys, argv, pattern):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("fpgagan: error:"), err
    assert "Traceback" not in err
    assert pattern in lines[0], lines[0]


def test_unknown_config_key(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("name: x\nteacher: {max_epoch: 3}\n")
    _fails_cleanly(
        capsys,
        ["train-qat", "--config", str(cfg), "--out", str(tmp_path / "run")],
        "unknown key 'max_epoch'",
    )
    assert not (tmp_path / "run").exists()


def test_wrong_model_name(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("name: x\ndata: {dataset: digits}\nmodel: {generator: dcgan-huge}\n")
    _fails_cleanly(
        capsys,
        ["train-qat", "--config", str(cfg), "--out", str(tmp_path / "run")],
        "unknown generator 'dcgan-huge'",
    )


def test_missing_dataset(tmp_path, capsys, no_fmnist):
    _fails_cleanly(capsys, ["train-qat", "--out", str(tmp_path / "run")], "dataset-fashion-mnist")
    assert not (tmp_path / "run").exists()


def test_export_of_corrupt_and_mismatched_checkpoints(tmp_path, capsys):
    (tmp_path / "bad.pt").write_bytes(b"garbage")
    _fails_cleanly(
        capsys,
        ["export", "--checkpoint", str(tmp_path / "bad.pt"), "--out", str(tmp_path / "o.onnx")],
        "corrupt or unreadable",
    )
    _fails_cleanly(
        capsys,
        ["export", "--checkpoint", str(tmp_path / "none.pt"), "--out", str(tmp_path / "o.onnx")],
        "checkpoint not found",
    )
    gen = build_generator("dcgan-tiny", Precision())
    save_generator(tmp_path / "g.pt", gen, "dcgan-tiny")
    record = torch.load(tmp_path / "g.pt", weights_only=True)
    record["generator"] = "dcgan-small"
    torch.save(record, tmp_path / "mismatch.pt")
    _fails_cleanly(
        capsys,
        [
            "export",
            "--checkpoint",
            str(tmp_path / "mismatch.pt"),
            "--out",
            str(tmp_path / "o.onnx"),
        ],
        "do not match generator",
    )
    assert not (tmp_path / "o.onnx").exists()


def test_export_writes_a_verified_model(tmp_path, capsys):
    gen = build_generator("dcgan-tiny", Precision())
    gen.train()
    gen(torch.randn(8, 8))
    save_generator(tmp_path / "g.pt", gen.eval(), "dcgan-tiny")
    assert (
        main(
            [
                "export",
                "--checkpoint",
                str(tmp_path / "g.pt"),
                "--out",
                str(tmp_path / "g.onnx"),
                "--verify",
                "64",
            ]
        )
        == 0
    )
    assert "64 latents: 0 mismatches" in capsys.readouterr().out
    assert (tmp_path / "g.onnx").stat().st_size > 0


def test_python_dash_m_and_positive_int_option():
    out = subprocess.run(
        [sys.executable, "-m", "fpgagan", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "train-qat" in out.stdout and "export" in out.stdout
    with pytest.raises(SystemExit) as exc:
        main(["train-classifier", "--epochs", "0"])
    assert exc.value.code == 2


def _csim_argv(tmp_path, model, x_path):
    return [
        "csim",
        "--model",
        str(model),
        "--input",
        str(x_path),
        "--output",
        str(tmp_path / "y.npy"),
        "--project-dir",
        str(tmp_path / "prj"),
    ]


def test_csim_bad_inputs(tmp_path, capsys):
    import numpy as np
    from onnx import TensorProto, helper, save

    from tests.graphs import conv_transpose_graph

    x = tmp_path / "x.npy"
    np.save(x, np.zeros((2, 2, 4, 5), np.float32))
    _fails_cleanly(capsys, _csim_argv(tmp_path, tmp_path / "none.onnx", x), "ONNX file not found")
    (tmp_path / "bad.onnx").write_bytes(b"garbage")
    _fails_cleanly(
        capsys, _csim_argv(tmp_path, tmp_path / "bad.onnx", x), "not a readable ONNX model"
    )
    model, _, _ = conv_transpose_graph()
    model.save(str(tmp_path / "m.onnx"))
    np.save(tmp_path / "wrong.npy", np.zeros((2, 3, 4, 5), np.float32))
    _fails_cleanly(
        capsys,
        _csim_argv(tmp_path, tmp_path / "m.onnx", tmp_path / "wrong.npy"),
        "input has shape (2, 3, 4, 5)",
    )
    _fails_cleanly(
        capsys,
        _csim_argv(tmp_path, tmp_path / "m.onnx", tmp_path / "nope.npy"),
        "input file not found",
    )
    graph = helper.make_graph(
        [helper.make_node("Sin", ["x"], ["y"], name="the_sine")],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 5])],
    )
    save(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
        str(tmp_path / "sin.onnx"),
    )
    _fails_cleanly(
        capsys, _csim_argv(tmp_path, tmp_path / "sin.onnx", x), "op Sin is not supported"
    )
    assert not (tmp_path / "prj").exists() and not list(tmp_path.glob(".prj*"))
    assert not (tmp_path / "y.npy").exists()
