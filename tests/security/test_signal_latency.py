"""Ctrl-C and SIGTERM during a long C simulation batch (issue #26): the C code held Python's
handler until the whole batch was done (25 s).  Now fpgagan reports the stop within a second and
the process exits soon after, writing no output file and leaving the project folder complete."""

from __future__ import annotations

import os
import select
import signal
import time

import numpy as np
import pytest

from tests.graphs import conv_transpose_graph, quantized_input
from tests.security.helpers import error_lines, start_cli

pytestmark = pytest.mark.csim

WAIT_S = 120
STOPPED_WITHIN_S = 1.0  # from the signal to fpgagan's "interrupted" line (the C code stopped)
EXIT_WITHIN_S = 3.0  # from the signal to the process's exit, Python's own shutdown included
# a conv of 64 channels and a 15x15 kernel: ~1,300 samples a second on two cores, so 40,000
# take ~30 s there and several seconds on a 16-core machine; 41 MB in, 82 MB out
N_LATENTS = 40_000


def _busy_threads(pid: int) -> int:
    """Threads of ``pid`` running on a CPU (state R), the C driver's workers among them."""
    busy = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as fh:
                busy += fh.read().rsplit(")", 1)[1].split()[0] == "R"
        except OSError:
            continue
    return busy


def _stderr_line(proc, deadline: float) -> str:
    """The next line ``proc`` writes to stderr (its "interrupted" line), read as it comes."""
    fd, got = proc.stderr.fileno(), b""
    while not got.endswith(b"\n") and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.01)
        if ready:
            chunk = os.read(fd, 1)
            if not chunk:
                break
            got += chunk
    return got.decode(errors="replace")


@pytest.fixture(scope="module")
def heavy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("heavy")
    model, _, _ = conv_transpose_graph(
        cin=64, cout=2, h=2, w=2, kernel=(15, 15), strides=(1, 1), pads=(0, 0, 0, 0)
    )
    model.save(str(folder / "m.onnx"))
    np.save(folder / "x.npy", quantized_input(N_LATENTS, 64, 2, 2))
    return folder


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_a_signal_stops_a_long_c_simulation_within_seconds(heavy, tmp_path, signum):
    args = ["csim", "--model", str(heavy / "m.onnx"), "--input", str(heavy / "x.npy")]
    args += ["--output", "y.npy", "--project-dir", "prj"]
    proc = start_cli(args, tmp_path)
    try:
        deadline = time.monotonic() + WAIT_S
        # the project is in place once it is built; then the batch starts
        while not (tmp_path / "prj" / "fpgagan_build.json").is_file():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the project was never built"
            time.sleep(0.05)
        time.sleep(1.0)  # into the batch (the whole batch takes many seconds)
        assert proc.poll() is None, proc.communicate()
        assert _busy_threads(proc.pid) >= 1
        t0 = time.monotonic()
        proc.send_signal(signum)
        first = _stderr_line(proc, t0 + WAIT_S)
        stopped = time.monotonic() - t0
        _, rest = proc.communicate(timeout=WAIT_S)
        took = time.monotonic() - t0
        err = first + rest
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 128 + signum, err
    assert stopped < STOPPED_WITHIN_S, f"stopped {stopped:.2f} s after the signal: {first}"
    assert took < EXIT_WITHIN_S, f"exited {took:.1f} s after the signal"
    assert len(error_lines(err)) == 1 and "interrupted" in err, err
    # no output, not even a partial one; the project stays complete
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prj"]
    assert (tmp_path / "prj" / ".fpgagan-owned").is_file()
    assert list((tmp_path / "prj" / "firmware").glob("myproject-fpgagan-*.so"))
