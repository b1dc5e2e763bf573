"""Two runs into one folder, and runs stopped by SIGTERM or Ctrl-C: the second run is refused,
a stopped run leaves no compiler running and no half-written folder, and the previous result
survives."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.security.helpers import error_lines, run_cli, small_model, start_cli

WAIT_S = 120
MARKER = ".fpgagan-owned"  # what the README documents (fpgagan.folders.MARKER)


def _processes_in(folder) -> list[int]:
    """Processes whose working folder lies below ``folder`` (the compilers fpgagan starts)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if cwd.startswith(f"{folder}{os.sep}"):
            found.append(int(pid))
    return found


def _stop_during_compile(work, args, signum) -> tuple[int, str]:
    """Start the CLI in ``work``, send ``signum`` once a compiler runs; returns (exit code, stderr)."""
    proc = start_cli(args, work)
    try:
        deadline = time.monotonic() + WAIT_S
        while not _processes_in(work):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no compiler started"
            time.sleep(0.02)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=WAIT_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode, err


def _snapshot(folder):
    return {p.relative_to(folder): p.stat().st_mtime_ns for p in folder.rglob("*")}


@pytest.mark.csim
def test_sigterm_and_ctrl_c_stop_the_compilers_and_leave_the_previous_result(tmp_path):
    work = tmp_path / "work"
    small_model(work)
    args = ["csim", "--model", "m.onnx", "--input", "x.npy", "--output", "y.npy"]
    args += ["--project-dir", "prj"]

    # first run stopped by SIGTERM: nothing at all is left
    code, err = _stop_during_compile(work, args, signal.SIGTERM)
    assert code == 143 and len(error_lines(err)) == 1 and "interrupted" in err, err
    assert not _processes_in(work), "a compiler outlived fpgagan"
    assert sorted(p.name for p in work.iterdir()) == ["m.onnx", "x.npy"]

    # a finished run, then a rerun stopped by Ctrl-C: the finished project is untouched
    done = run_cli(args, work)
    assert done.returncode == 0, done.stderr
    before = _snapshot(work / "prj")
    code, err = _stop_during_compile(work, args, signal.SIGINT)
    assert code == 130 and len(error_lines(err)) == 1 and "interrupted" in err, err
    assert not _processes_in(work), "a compiler outlived fpgagan"
    assert _snapshot(work / "prj") == before and (work / "prj" / MARKER).is_file()
    assert sorted(p.name for p in work.iterdir()) == ["m.onnx", "prj", "x.npy", "y.npy"]


def test_a_second_run_into_a_folder_in_use_is_refused(tmp_path):
    from fpgagan.folders import folder_lock

    work = tmp_path / "work"
    small_model(work)
    with folder_lock(work / "prj"):  # the lock a running build holds
        result = run_cli(
            ["csim", "--model", "m.onnx", "--input", "x.npy", "--output", "y.npy"]
            + ["--project-dir", "prj"],
            work,
        )
    lines = error_lines(result.stderr)
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "in use by another fpgagan run" in lines[0]
    assert sorted(p.name for p in work.iterdir()) == ["m.onnx", "x.npy"]


def test_a_second_board_flow_into_an_output_folder_in_use_is_refused(tmp_path, capsys):
    from fpgagan.cli import main
    from fpgagan.folders import folder_lock

    out = tmp_path / "out"
    with folder_lock(out):
        code = main(["hls", "--board", "zcu104", "--out", str(out), "-n", "2"])
    err = capsys.readouterr().err
    assert code == 2 and "in use by another fpgagan run" in err and len(error_lines(err)) == 1
    assert not out.exists()
