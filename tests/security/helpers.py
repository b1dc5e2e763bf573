"""Shared by the security tests: small models, CLI runs in-process and as real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from fpgagan.cli import main
from tests.conftest import REPO
from tests.graphs import conv_transpose_graph, quantized_input

CLI_TIMEOUT_S = 300


def small_model(folder: Path, name: str = "m.onnx", n: int = 4) -> tuple[Path, Path]:
    """The small ConvTranspose graph of tests/graphs.py and ``n`` inputs for it, saved in ``folder``."""
    model, _, _ = conv_transpose_graph()
    folder.mkdir(parents=True, exist_ok=True)
    model.save(str(folder / name))
    np.save(folder / "x.npy", quantized_input(n, 2, 4, 5))
    return folder / name, folder / "x.npy"


def csim_argv(model: Path, x: Path, output: Path, *extra: str) -> list[str]:
    return ["csim", "--model", str(model), "--input", str(x), "--output", str(output), *extra]


def one_line_error(capsys, argv: list[str], code: int = 2, pattern: str = "") -> str:
    """Run the CLI in-process; it must exit ``code`` with one ``fpgagan:`` line on stderr."""
    got = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert got == code, err
    assert len(lines) == 1 and lines[0].startswith("fpgagan: "), err
    assert "Traceback" not in err
    assert pattern in lines[0], lines[0]
    return lines[0]


def cli_env() -> dict[str, str]:
    """The environment of a CLI subprocess: this checkout's fpgagan first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.setdefault("TQDM_DISABLE", "1")
    return env


def start_cli(args: list[str], cwd: Path, **kwargs) -> subprocess.Popen:
    """``python -m fpgagan ARGS`` as a real process in ``cwd`` (its own process group)."""
    return subprocess.Popen(
        [sys.executable, "-m", "fpgagan", *args],
        cwd=cwd,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **kwargs,
    )


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    proc = start_cli(args, cwd)
    try:
        out, err = proc.communicate(timeout=CLI_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]
