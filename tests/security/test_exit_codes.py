"""Exit codes are distinct and documented: 0 ok, 1 mismatch, 2 bad input, 3 internal error
(one line on screen, the traceback in a log file); every message is one line."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from onnx import helper
from qonnx.transformation.infer_shapes import InferShapes

from fpgagan import errors
from fpgagan.cli import main
from tests.conftest import REPO
from tests.graphs import conv_transpose_graph, quantized_input
from tests.security.helpers import csim_argv, one_line_error, small_model


def test_the_codes_are_distinct_and_documented():
    codes = [errors.EXIT_OK, errors.EXIT_MISMATCH, errors.EXIT_BAD_INPUT, errors.EXIT_INTERNAL]
    assert codes == [0, 1, 2, 3]
    readme = (REPO / "README.md").read_text()
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 3 |", "| 130, 143 |"):
        assert code in readme, code
    assert errors.FpgaganError.exit_code == 2 and errors.MismatchError.exit_code == 1


def _inexact_model(path) -> None:
    """A ConvTranspose followed by an unquantized Sigmoid: hls4ml computes it at its default
    precision, so the C simulation differs from qonnx."""
    model, _, _ = conv_transpose_graph(out_bits=None)
    model.graph.node[-1].output[0] = "pre"
    model.graph.node.append(helper.make_node("Sigmoid", ["pre"], ["y"], name="sig"))
    model.transform(InferShapes()).save(str(path))


@pytest.mark.csim
def test_a_mismatch_exits_1_even_without_check(tmp_path, capsys):
    """main exited 0 unless --check was given; every run now compares the first 8 outputs."""
    _inexact_model(tmp_path / "m.onnx")
    np.save(tmp_path / "x.npy", quantized_input(20, 2, 4, 5))
    code = main(csim_argv(tmp_path / "m.onnx", tmp_path / "x.npy", tmp_path / "y.npy"))
    out = capsys.readouterr().out
    assert code == 1, out
    assert "on the first 8 of 20 inputs" in out and "first diverging layer" in out


def test_an_export_mismatch_exits_1(tmp_path, capsys, monkeypatch):
    from fpgagan.workflows import export

    real = export.verify

    def mismatching(gen, model, n, seed=0):
        check = real(gen, model, n, seed)
        return export.ExportCheck(check.n_latents, 7, 0.5)

    monkeypatch.setattr(export, "verify", mismatching)
    checkpoint = REPO / "fpgagan" / "assets" / "default" / "generator.pt"
    argv = ["export", "--checkpoint", str(checkpoint), "--out", str(tmp_path / "g.onnx")]
    one_line_error(capsys, argv + ["--verify", "2"], code=1, pattern="differs from the Brevitas")
    assert not (tmp_path / "g.onnx").exists()


def test_an_internal_error_is_one_line_and_a_log_file(tmp_path, capsys, monkeypatch):
    """A bug in fpgagan: exit 3, one line naming the log file that holds the traceback."""
    from fpgagan.workflows import csim

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug\nover two lines")

    monkeypatch.setattr(csim, "run_csim", broken)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    model, x = small_model(tmp_path / "in")
    line = one_line_error(
        capsys, csim_argv(model, x, tmp_path / "y.npy"), code=3, pattern="internal error"
    )
    assert "ZeroDivisionError" in line
    log = re.search(r"traceback in (\S+\.log)", line)
    assert log, line
    text = Path(log.group(1)).read_text()
    assert "Traceback" in text and "ZeroDivisionError: a bug" in text and "broken" in text


def test_an_error_message_stays_on_one_line(tmp_path, capsys):
    """A file name with a line break and a terminal escape is printed escaped."""
    weird = tmp_path / "a\nb\x1b[2J.onnx"
    np.save(tmp_path / "x.npy", np.zeros((1, 2, 4, 5), np.float32))
    line = one_line_error(
        capsys,
        csim_argv(weird, tmp_path / "x.npy", tmp_path / "y.npy"),
        pattern="ONNX file not found",
    )
    assert "a\\nb\\x1b[2J.onnx" in line
