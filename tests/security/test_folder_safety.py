"""fpgagan deletes only what it made: user folders given as --project-dir or --out are refused
before any work, a failed run leaves the previous result, and output paths are checked first."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fpgagan.cli import main
from tests.conftest import REPO
from tests.security.helpers import csim_argv, one_line_error, small_model

MARKER = ".fpgagan-owned"  # what the README documents (fpgagan.folders.MARKER)


def _snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _sin_model(path) -> None:
    from onnx import TensorProto, helper, save

    graph = helper.make_graph(
        [helper.make_node("Sin", ["z"], ["y"], name="the_sine")],
        "g",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])],
    )
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))


def test_project_dir_dot_never_costs_a_file(tmp_path, capsys, monkeypatch):
    """The issue's case: `--project-dir .` deleted the model, the input and a notes file."""
    model, x = small_model(tmp_path)
    (tmp_path / "notes.txt").write_text("my notes")
    before = _snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    one_line_error(
        capsys,
        csim_argv(model.relative_to(tmp_path), x.relative_to(tmp_path), "y.npy")
        + ["--project-dir", "."],
        pattern="project folder",
    )
    assert _snapshot(tmp_path) == before


def test_a_user_folder_is_refused_as_project_dir(tmp_path, capsys):
    model, x = small_model(tmp_path / "in")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    (mine / "firmware").mkdir()  # looks like a project, was not made by fpgagan
    (mine / "firmware" / "keep.cpp").write_text("int main() {}")
    before = _snapshot(mine)
    one_line_error(
        capsys,
        csim_argv(model, x, tmp_path / "y.npy", "--project-dir", str(mine)),
        pattern=f"holds files fpgagan did not make (no {MARKER})",
    )
    assert _snapshot(mine) == before and not (tmp_path / "y.npy").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "mine"]  # no lock, no partial


def test_a_user_folder_is_refused_as_hls_out_even_when_the_run_fails(tmp_path, capsys):
    """main removed a user's report.md from --out before the conversion failed."""
    _sin_model(tmp_path / "sin.onnx")
    out = tmp_path / "results"
    out.mkdir()
    (out / "report.md").write_text("my own report")
    (out / "hls_project").mkdir()
    (out / "hls_project" / "notes.txt").write_text("mine")
    before = _snapshot(out)
    argv = ["hls", "--board", "zcu104", "--model", str(tmp_path / "sin.onnx"), "--out", str(out)]
    one_line_error(capsys, argv, pattern="holds files fpgagan did not make")
    assert _snapshot(out) == before


def test_an_input_inside_the_folder_a_run_replaces_is_refused(tmp_path, capsys):
    model, x = small_model(tmp_path / "prj")
    (tmp_path / "prj" / MARKER).write_text(json.dumps({"created_by": "fpgagan"}))
    before = _snapshot(tmp_path)
    one_line_error(
        capsys,
        csim_argv(model, x, tmp_path / "y.npy", "--project-dir", str(tmp_path / "prj")),
        pattern="--model lies inside the project folder",
    )
    assert _snapshot(tmp_path) == before


@pytest.mark.csim
def test_a_failed_run_keeps_the_previous_project(tmp_path, capsys):
    """main removed the project folder when a later conversion failed."""
    model, x = small_model(tmp_path)
    prj = tmp_path / "prj"
    assert main(csim_argv(model, x, tmp_path / "y.npy", "--project-dir", str(prj))) == 0
    built = _snapshot(prj)
    assert (prj / MARKER).is_file() and (prj / "fpgagan_build.json").is_file()
    _sin_model(tmp_path / "sin.onnx")
    np.save(tmp_path / "z.npy", np.zeros((2, 8), np.float32))
    capsys.readouterr()
    one_line_error(
        capsys,
        csim_argv(tmp_path / "sin.onnx", tmp_path / "z.npy", tmp_path / "y2.npy")
        + ["--project-dir", str(prj)],
        pattern="op Sin is not supported",
    )
    assert _snapshot(prj) == built
    assert not (tmp_path / "y2.npy").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".prj")]


@pytest.mark.parametrize("kind", ["folder", "file-parent"])
def test_output_paths_are_checked_before_the_build(tmp_path, capsys, kind):
    """main built the whole project, then gave a traceback for an --output that is a folder."""
    model, x = small_model(tmp_path)
    if kind == "folder":
        output = tmp_path / "y.npy"
        output.mkdir()
        pattern = "--output is a folder"
    else:
        (tmp_path / "file").write_text("x")
        output = tmp_path / "file" / "y.npy"
        pattern = "is not a folder"
    one_line_error(capsys, csim_argv(model, x, output), pattern=pattern)
    assert not list(tmp_path.glob("*_hls")) and not list(tmp_path.glob(".*"))


def test_export_out_that_is_a_folder_is_refused_before_the_export(tmp_path, capsys):
    (tmp_path / "g.onnx").mkdir()
    one_line_error(
        capsys,
        ["export", "--checkpoint", str(REPO / "fpgagan" / "assets" / "default" / "generator.pt")]
        + ["--out", str(tmp_path / "g.onnx")],
        pattern="--out is a folder",
    )


@pytest.mark.parametrize("kind", ["symlink", "file"])
def test_links_and_files_are_refused_as_folders(tmp_path, capsys, kind):
    model, x = small_model(tmp_path / "in")
    target = tmp_path / "prj"
    if kind == "symlink":
        (tmp_path / "elsewhere").mkdir()
        (tmp_path / "elsewhere" / "precious").write_text("x")
        target.symlink_to(tmp_path / "elsewhere")
        pattern = "symbolic link"
    else:
        target.write_text("not a folder")
        pattern = "not a folder"
    before = _snapshot(tmp_path)
    one_line_error(
        capsys, csim_argv(model, x, tmp_path / "y.npy", "--project-dir", str(target)), 2, pattern
    )
    assert _snapshot(tmp_path) == before
