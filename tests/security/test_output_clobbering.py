"""No output overwrites an input, no recipe name leaves its folder, and only folders a command
made itself (a sealed marker of its kind) are replaced or written into."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from fpgagan.config import TrainQatConfig, from_dict
from fpgagan.errors import ConfigError, FolderError
from fpgagan.folders import MARKER, check_target, is_owned, remove_owned, staged
from tests.conftest import REPO
from tests.security.helpers import csim_argv, one_line_error, small_model

CHECKPOINT = REPO / "fpgagan" / "assets" / "default" / "generator.pt"


def _snapshot(folder):
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize("which", ["input", "model", "input via a hard link"])
def test_csim_output_equal_to_an_input_is_refused(tmp_path, capsys, which):
    """main built the project, then wrote the outputs over --input (or --model)."""
    model, x = small_model(tmp_path)
    if which == "input via a hard link":
        os.link(x, tmp_path / "y.npy")
        output = tmp_path / "y.npy"
    else:
        output = x if which == "input" else model
    before = _snapshot(tmp_path)
    line = one_line_error(capsys, csim_argv(model, x, output), pattern="would overwrite --")
    assert _snapshot(tmp_path) == before, line


def test_export_out_equal_to_the_checkpoint_is_refused(tmp_path, capsys):
    """main replaced the checkpoint with the QONNX file."""
    shutil.copy(CHECKPOINT, tmp_path / "g.pt")
    before = _snapshot(tmp_path)
    argv = ["export", "--checkpoint", str(tmp_path / "g.pt"), "--out", str(tmp_path / "g.pt")]
    one_line_error(capsys, argv + ["--verify", "0"], pattern="--out would overwrite --checkpoint")
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("name", ["..", ".", ".hidden", "-rf", "a\nb", "a b", "x" * 65, ""])
def test_recipe_names_are_one_plain_path_component(name):
    """main accepted name '..': train-qat wrote config.json and generator.pt into the working
    folder's parent (runs/..)."""
    with pytest.raises(ConfigError, match="name must be one plain file name"):
        from_dict(TrainQatConfig, {"name": name})


def test_train_qat_refuses_a_folder_it_did_not_make(tmp_path, monkeypatch):
    """main wrote config.json (then the training states) into any --out folder."""
    from fpgagan.workflows import train_qat

    def no_training(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(train_qat, "run_phase", no_training)
    cfg = from_dict(
        TrainQatConfig,
        {
            "name": "t",
            "data": {"dataset": "digits"},
            "model": {"generator": "dcgan-tiny", "discriminator": "dcgan-disc-tiny"},
            "eval": {"n_samples": 16},
        },  # fmt: skip
    )
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "config.json").write_text("my own")
    before = _snapshot(mine)
    with pytest.raises(FolderError, match="holds files fpgagan did not make"):
        train_qat.train_qat(cfg, mine)
    assert _snapshot(mine) == before
    # a new folder is made and marked; a rerun resumes in it
    with pytest.raises(AssertionError, match="training started"):
        train_qat.train_qat(cfg, tmp_path / "run")
    assert is_owned(tmp_path / "run", train_qat.RUN_FOLDER)
    with pytest.raises(AssertionError, match="training started"):
        train_qat.train_qat(cfg, tmp_path / "run")


def test_sweep_cells_stay_inside_the_sweep_folder(tmp_path):
    """main: a board given as /abs/b/zcu104.yaml made the cell folder /abs/b/zcu104.yaml-sparse-auto,
    a whole board flow written beside the board file."""
    from fpgagan.workflows.sweep import grid

    board = tmp_path / "b" / "zcu104.yaml"
    board.parent.mkdir()
    shutil.copy(REPO / "boards" / "zcu104.yaml", board)
    cells = grid([str(board), "pynq-z2"], [None, 150.0])
    work = tmp_path / "out"
    for cell in cells:
        folder = work / "cells" / cell.folder
        assert folder.parent == work / "cells", cell.folder
        assert "/" not in cell.folder and not cell.folder.startswith(".")
    with pytest.raises(ConfigError, match="would share the folder"):
        grid([str(board), "zcu104"])


def _forged(folder, record):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "precious.txt").write_text("the user's")
    (folder / MARKER).write_text(json.dumps(record))


@pytest.mark.parametrize(
    "record",
    [
        {"created_by": "fpgagan"},
        {"created_by": "fpgagan", "kind": "C simulation project", "token": "0", "seal": "0" * 64},
    ],
)
def test_a_marker_written_by_hand_does_not_make_a_folder_fpgagans(tmp_path, capsys, record):
    """main deleted any folder holding {"created_by": "fpgagan"} in a marker."""
    prj = tmp_path / "prj"
    _forged(prj, record)
    before = _snapshot(prj)
    with pytest.raises(FolderError, match="was not written by this user's fpgagan"):
        check_target(prj, "C simulation project")
    with pytest.raises(FolderError, match="not removed"):
        remove_owned(prj)
    model, x = small_model(tmp_path / "in")
    one_line_error(
        capsys,
        csim_argv(model, x, tmp_path / "y.npy", "--project-dir", str(prj)),
        pattern="holds files fpgagan did not make",
    )
    assert _snapshot(prj) == before


def test_a_marker_of_another_kind_or_user_is_refused(tmp_path, monkeypatch):
    """A sweep's folder is not a C simulation project; another user's marker is not ours."""
    with staged(tmp_path / "sweep", "sweep output") as work:
        (work / "table.md").write_text("rows")
    assert is_owned(tmp_path / "sweep", "sweep output")
    with pytest.raises(FolderError, match="says sweep output, not C simulation project"):
        check_target(tmp_path / "sweep", "project folder", kind="C simulation project")
    monkeypatch.setenv("FPGAGAN_STATE_DIR", str(tmp_path / "another-user"))
    assert not is_owned(tmp_path / "sweep")
    with pytest.raises(FolderError, match="not written by this user's fpgagan"):
        check_target(tmp_path / "sweep", "sweep output")


def test_train_qat_outputs_never_overwrite_its_recipe(tmp_path, capsys, monkeypatch):
    """A recipe kept as <run folder>/config.json would be replaced by the run's own record."""
    from fpgagan.workflows import train_qat

    def no_training(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(train_qat, "train_qat", no_training)
    recipe = tmp_path / "run" / "config.json"
    recipe.parent.mkdir()
    recipe.write_text("name: run\n")
    argv = ["train-qat", "--config", str(recipe), "--out", str(tmp_path / "run")]
    one_line_error(capsys, argv, pattern="would overwrite --config")
    assert recipe.read_text() == "name: run\n"
