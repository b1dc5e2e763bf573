"""Inputs and options a user gets wrong: refused with one line and exit 2, before any build."""

from __future__ import annotations

import numpy as np
import pytest

from fpgagan.cli import main
from fpgagan.errors import ConfigError
from fpgagan.workflows.hls_flow import load_flow_config
from tests.security.helpers import csim_argv, one_line_error, small_model


def _write(path, kind: str) -> str:
    """Write a bad input of ``kind`` to ``path``; returns the message fragment expected."""
    good = np.zeros((2, 2, 4, 5), np.float32)
    if kind == "nan":
        bad = good.copy()
        bad[1, 0, 2, 3] = np.nan
        np.save(path, bad)
        return "holds NaN, infinite or beyond-float32 values (1, first at index (1, 0, 2, 3))"
    if kind == "inf":
        np.save(path, np.full_like(good, -np.inf))
        return "holds NaN, infinite or beyond-float32 values"
    if kind == "beyond float32":
        np.save(path, np.full(good.shape, 1e300))
        return "holds NaN, infinite or beyond-float32 values"
    if kind == "empty batch":
        np.save(path, np.zeros((0, 2, 4, 5), np.float32))
        return "the batch is empty"
    if kind == "npz":
        with open(path, "wb") as fh:
            np.savez(fh, x=good)
        return "a .npz archive"
    if kind == "complex":
        np.save(path, good.astype(np.complex64))
        return "complex64 is not a real number type"
    if kind == "bool":
        np.save(path, good.astype(bool))
        return "bool is not a real number type"
    if kind == "object":
        np.save(path, np.array([[{"a": 1}]], dtype=object), allow_pickle=True)
        return "not a readable .npy array"
    if kind == "strings":
        np.save(path, np.array([["a", "b"]]))
        return "is not a real number type"
    if kind == "no batch axis":
        np.save(path, np.zeros(5, np.float32))
        return "with a batch axis"
    if kind == "text":
        path.write_text("1 2 3\n")
        return "not a .npy file"
    if kind == "truncated":
        np.save(path, good)
        path.write_bytes(path.read_bytes()[:90])
        return "not a readable .npy array"
    if kind == "folder":
        path.mkdir()
        return "input file not found"
    raise AssertionError(kind)


KINDS = [
    "nan",
    "inf",
    "beyond float32",
    "empty batch",
    "npz",
    "complex",
    "bool",
    "object",
    "strings",
    "no batch axis",
    "text",
    "truncated",
    "folder",
]


@pytest.mark.parametrize("kind", KINDS)
def test_bad_input_arrays_are_refused(tmp_path, capsys, kind):
    """main: NaN latents gave exit 0 and meaningless images; batch 0 and .npz gave tracebacks."""
    model, _ = small_model(tmp_path)
    bad = tmp_path / "bad.npy"
    pattern = _write(bad, kind)
    one_line_error(capsys, csim_argv(model, bad, tmp_path / "y.npy"), pattern=pattern)
    assert not (tmp_path / "y.npy").exists() and not list(tmp_path.glob("*_hls"))


def test_the_library_api_refuses_nan_too(tmp_path):
    from fpgagan.errors import InputError
    from fpgagan.hls.convert import HlsOptions
    from fpgagan.workflows.csim import run_csim

    model, _ = small_model(tmp_path)
    with pytest.raises(InputError, match="NaN"):
        run_csim(model, np.full((2, 2, 4, 5), np.nan), HlsOptions(), tmp_path / "prj")
    assert not (tmp_path / "prj").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("clock_mhz: .nan\n", "clock_mhz must be finite and positive"),
        ("clock_mhz: -100\n", "clock_mhz must be finite and positive"),
        ("clock_mhz: .inf\n", "clock_mhz must be finite and positive"),
        ("clock_mhz: 0\n", "clock_mhz must be finite and positive"),
        ("clock_mhz: fast\n", "expected a number"),
        ("reuse: {Dense_0: -4}\n", "reuse factor of 'Dense_0' must be >= 1"),
        ("reuse: {Dense_0: 0}\n", "reuse factor of 'Dense_0' must be >= 1"),
        ("io_type: io_serial\n", "must be one of"),
    ],
)
def test_bad_board_flow_overrides_are_refused(tmp_path, capsys, text, message):
    """main: a NaN clock gave 'nan images/s' and `set clock_period nan`; a negative clock or
    reuse factor a traceback or a report that disagreed with the C++."""
    path = tmp_path / "flow.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_flow_config(str(path))
    out = tmp_path / "out"
    line = one_line_error(
        capsys, ["hls", "--board", "zcu104", "--config", str(path), "--out", str(out)]
    )
    assert message in line and not out.exists()


def test_unreadable_config_and_board_files_are_one_line(tmp_path, capsys):
    (tmp_path / "flow.yaml").write_bytes(b"\xff\xfe\x00 not utf-8")
    one_line_error(
        capsys,
        ["hls", "--board", "zcu104", "--config", str(tmp_path / "flow.yaml")]
        + ["--out", str(tmp_path / "o")],
        pattern="cannot read the config",
    )
    (tmp_path / "b.yaml").mkdir()
    one_line_error(
        capsys,
        ["hls", "--board", str(tmp_path / "b.yaml"), "--out", str(tmp_path / "o")],
        pattern="cannot read the board file",
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["csim", "--model", "m.onnx", "--input", "x.npy", "--output", "y", "--reuse-factor", "-1"],
        ["csim", "--model", "m.onnx", "--input", "x.npy", "--output", "y", "--io-type", "x"],
        ["hls", "--board", "zcu104", "-n", "0"],
        ["hls", "--board", "zcu104", "-n", "nan"],
        ["train-classifier", "--epochs", "-2"],
        ["no-such-command"],
    ],
)
def test_bad_options_are_one_line_and_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert exc.value.code == 2 and len(lines) == 1 and lines[0].startswith("fpgagan: error:"), err
