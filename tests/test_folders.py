"""Folder ownership, locks and staged replacement (fpgagan.folders)."""

from __future__ import annotations

import json

import pytest

from fpgagan.errors import FolderError
from fpgagan.folders import (
    MARKER,
    check_target,
    folder_lock,
    is_owned,
    remove_owned,
    staged,
    write_marker,
)


def test_only_a_marked_folder_is_owned(tmp_path):
    assert not is_owned(tmp_path)
    (tmp_path / MARKER).write_text("not json")
    assert not is_owned(tmp_path)
    write_marker(tmp_path, "test")
    assert is_owned(tmp_path)
    assert json.loads((tmp_path / MARKER).read_text())["what"] == "test"


def test_check_target_accepts_new_empty_and_owned_folders_only(tmp_path, monkeypatch):
    check_target(tmp_path / "new", "x")
    (tmp_path / "empty").mkdir()
    check_target(tmp_path / "empty", "x")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "a.txt").write_text("a")
    with pytest.raises(FolderError, match="holds files fpgagan did not make"):
        check_target(tmp_path / "mine", "x")
    write_marker(tmp_path / "mine", "x")
    check_target(tmp_path / "mine", "x")
    monkeypatch.chdir(tmp_path / "mine")
    with pytest.raises(FolderError, match="working folder"):
        check_target(".", "x")
    with pytest.raises(FolderError, match="working folder"):
        check_target(tmp_path, "x")


def test_remove_owned_refuses_user_folders(tmp_path):
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "f").write_text("f")
    with pytest.raises(FolderError, match="did not make"):
        remove_owned(tmp_path / "user")
    assert (tmp_path / "user" / "f").is_file()
    (tmp_path / "empty").mkdir()
    remove_owned(tmp_path / "empty")
    assert not (tmp_path / "empty").exists()


def test_staged_swaps_on_success_and_keeps_the_previous_result_on_failure(tmp_path):
    target = tmp_path / "out"
    with staged(target, "test") as work:
        (work / "result").write_text("first")
    assert (target / "result").read_text() == "first" and is_owned(target)
    for stop in (ValueError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(stop)), staged(target, "test") as work:
            (work / "result").write_text("second")
            raise stop
        assert (target / "result").read_text() == "first"
    with staged(target, "test") as work:
        (work / "result").write_text("third")
    assert (target / "result").read_text() == "third"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no lock, partial or old


def test_staged_removes_what_a_killed_run_left(tmp_path):
    stale = tmp_path / ".out.partial-abc"
    stale.mkdir()
    write_marker(stale, "test")
    foreign = tmp_path / ".out.partial-user"
    foreign.mkdir()
    (foreign / "keep").write_text("k")
    with staged(tmp_path / "out", "test"):
        pass
    assert not stale.exists() and (foreign / "keep").is_file()


def test_a_folder_lock_is_exclusive_and_leaves_no_file(tmp_path):
    target = tmp_path / "prj"
    with folder_lock(target):
        with pytest.raises(FolderError, match="in use by another fpgagan run"), folder_lock(target):
            pass
        with pytest.raises(FolderError, match="in use"), staged(target, "test"):
            pass
    assert list(tmp_path.iterdir()) == []
    with folder_lock(target):  # free again
        pass
