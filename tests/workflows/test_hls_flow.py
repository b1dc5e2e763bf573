from __future__ import annotations

import json

import pytest
import torch

from fpgagan.cli import main
from fpgagan.config import Precision
from fpgagan.export import save_qonnx, to_qonnx
from fpgagan.models import build_generator
from fpgagan.models.checkpoint import save_generator
from tests.conftest import needs_fmnist
from tests.test_cli import _fails_cleanly


@pytest.fixture
def tiny_models(tmp_path):
    torch.manual_seed(0)
    teacher = build_generator("dcgan-tiny").eval()
    student = build_generator("dcgan-tiny", Precision())
    student.train()
    for _ in range(3):
        student(torch.randn(16, 8))
    student.eval()
    save_generator(tmp_path / "teacher.pt", teacher, "dcgan-tiny")
    save_generator(
        tmp_path / "g.pt", student, "dcgan-tiny", extra={"teacher": str(tmp_path / "teacher.pt")}
    )
    save_qonnx(to_qonnx(student), tmp_path / "g.onnx")
    return tmp_path


@needs_fmnist
@pytest.mark.csim
@pytest.mark.parametrize("board", ["pynq-z2", "kv260"])
def test_board_flow_on_a_checkpoint(tiny_models, board, capsys):
    out = tiny_models / f"out-{board}"
    code = main(
        [
            "hls",
            "--board",
            board,
            "--model",
            str(tiny_models / "g.pt"),
            "-n",
            "12",
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    report = json.loads((out / "report.json").read_text())
    assert report["bit_exact"]["mismatching_elements"] == 0
    assert report["vs_float"]["psnr_db"] > 0 and report["quality"]["float_teacher"]["fid"] >= 0
    assert report["cost"]["fits"] and report["cost"]["images_per_s"] > 0
    assert report["board"]["name"] == board and report["hls"]["backend"] == (
        "VivadoAccelerator" if board == "pynq-z2" else "Vitis"
    )
    for name in (
        "report.md",
        "float_vs_fpga.png",
        "csim_images.npy",
        "hls_project/fpgagan_build.json",
    ):
        assert (out / name).is_file(), name
    if board == "pynq-z2":  # the VivadoAccelerator backend writes the PYNQ block design and driver
        assert (out / "hls_project" / "axi_stream_driver.py").is_file()
    assert "report:" in printed and "0 mismatching elements" in printed


@needs_fmnist
@pytest.mark.csim
def test_board_flow_on_a_qonnx_file_without_teacher(tiny_models, capsys):
    out = tiny_models / "out"
    assert (
        main(
            [
                "hls",
                "--board",
                "zcu104",
                "--model",
                str(tiny_models / "g.onnx"),
                "-n",
                "6",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    report = json.loads((out / "report.json").read_text())
    assert report["vs_float"] is None and report["bit_exact"]["mismatching_elements"] == 0


def test_board_flow_bad_inputs(tiny_models, capsys):
    out = tiny_models / "never"
    _fails_cleanly(
        capsys, ["hls", "--board", "pynq-z3", "--out", str(out)], "unknown board 'pynq-z3'"
    )
    _fails_cleanly(
        capsys,
        [
            "hls",
            "--board",
            "pynq-z2",
            "--model",
            str(tiny_models / "missing.onnx"),
            "--out",
            str(out),
        ],
        "ONNX file not found",
    )
    (tiny_models / "weird.txt").write_text("x")
    _fails_cleanly(
        capsys,
        ["hls", "--board", "pynq-z2", "--model", str(tiny_models / "weird.txt"), "--out", str(out)],
        "expected a QONNX file",
    )
    assert not out.exists()
    with pytest.raises(SystemExit) as exc:
        main(["hls", "--board", "pynq-z2", "-n", "-3"])
    assert exc.value.code == 2


def test_board_flow_refuses_an_unsupported_op(tmp_path, capsys):
    from onnx import TensorProto, helper, save

    graph = helper.make_graph(
        [helper.make_node("Sin", ["z"], ["y"], name="the_sine")],
        "g",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])],
    )
    save(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
        str(tmp_path / "sin.onnx"),
    )
    out = tmp_path / "out"
    _fails_cleanly(
        capsys,
        ["hls", "--board", "pynq-z2", "--model", str(tmp_path / "sin.onnx"), "--out", str(out)],
        "op Sin is not supported",
    )
    assert not out.exists()
