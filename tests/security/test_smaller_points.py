"""The smaller points of the second red-team round: folder modes kept, paths printed escaped,
a checkpoint's recorded teacher never opened outside its folder, a FIFO refused as a config."""

from __future__ import annotations

import os
import shutil
import stat
import threading
import time

import pytest
import torch

from fpgagan.cli import main
from fpgagan.config import TrainQatConfig, load_yaml
from fpgagan.errors import ConfigError
from fpgagan.folders import staged
from fpgagan.workflows.model_source import stored_teacher
from tests.conftest import REPO

DEFAULT = REPO / "fpgagan" / "assets" / "default"


def test_an_empty_private_folder_keeps_its_mode(tmp_path):
    """main replaced an empty 0700 project folder by a 0755 one (the umask's)."""
    target = tmp_path / "private"
    target.mkdir(mode=0o700)
    os.chmod(target, 0o700)
    with staged(target, "test") as work:
        (work / "result").write_text("x")
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    with staged(target, "test") as work:  # a rerun keeps it too
        (work / "result").write_text("y")
    assert stat.S_IMODE(target.stat().st_mode) == 0o700


def test_paths_printed_on_success_are_escaped(tmp_path, capsys):
    """main printed 'wrote <path>' raw: a line break or an escape code in a name reached the
    terminal."""
    out = tmp_path / "a\nb\x1b[2J.onnx"
    argv = ["export", "--checkpoint", str(DEFAULT / "generator.pt"), "--out", str(out)]
    assert main(argv + ["--verify", "0"]) == 0
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and printed.count("\n") == 1, printed
    assert "a\\nb\\x1b[2J.onnx" in printed and out.is_file()


def test_a_recorded_teacher_outside_the_checkpoint_folder_is_not_opened(tmp_path):
    """main followed extra.teacher anywhere (../../../../etc/passwd)."""
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(DEFAULT / "generator.pt", run / "generator.pt")
    (tmp_path / "outside").mkdir()
    shutil.copy(DEFAULT / "teacher.pt", tmp_path / "outside" / "secret_teacher.pt")
    for recorded in (
        "../outside/secret_teacher.pt",
        str(tmp_path / "outside" / "secret_teacher.pt"),
        "../../../../etc/passwd",
    ):
        record = {"extra": {"teacher": recorded}}
        assert stored_teacher(run / "generator.pt", record) is None, recorded
    (run / "linked.pt").symlink_to(tmp_path / "outside" / "secret_teacher.pt")
    assert stored_teacher(run / "generator.pt", {"extra": {"teacher": "linked.pt"}}) is None
    shutil.copy(DEFAULT / "teacher.pt", run / "teacher.pt")  # beside it: found, as before
    found = stored_teacher(run / "generator.pt", {"extra": {"teacher": "elsewhere/teacher.pt"}})
    assert found == run / "teacher.pt"
    assert torch.load(found, weights_only=True)["format"] == "fpgagan.generator"


def test_a_fifo_as_the_config_is_refused_without_blocking(tmp_path):
    """main opened the FIFO and waited for a writer forever."""
    fifo = tmp_path / "recipe.yaml"
    os.mkfifo(fifo)
    done = threading.Event()

    def unblock() -> None:  # on main, end the wait after 5 s so the test fails instead of hangs
        deadline = time.monotonic() + 5
        while not done.wait(0.1):
            if time.monotonic() > deadline:
                try:
                    os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
                except OSError:
                    continue

    helper = threading.Thread(target=unblock, daemon=True)
    helper.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(ConfigError, match="is not a regular file"):
            load_yaml(TrainQatConfig, fifo)
    finally:
        done.set()
        helper.join()
    assert time.perf_counter() - t0 < 2
