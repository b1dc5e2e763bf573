"""Count the instructions one C-simulated inference executes, with valgrind's callgrind.

Wall-clock time is noisy on a shared 2-core machine; callgrind's instruction count is repeatable
for the same binary and input.  A small driver calls the project's ``myproject_float`` bridge on
``k`` inputs.  hls4ml's generated top function reads its weight text files during its *first*
call, so the per-image figure is (count at 1 + n calls - count at 1 call) / n: it holds the
inference only; the first call's extra cost (weight loading) is reported on its own.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

from fpgagan.errors import SimulationError

DRIVER = r"""
#include <cstdlib>
#include <vector>
extern "C" void myproject_float(float *x, float *y);
int main(int argc, char **argv) {
    const int n = std::atoi(argv[1]), n_in = std::atoi(argv[2]), n_out = std::atoi(argv[3]);
    std::vector<float> x(n_in), y(n_out);
    for (int k = 0; k < n; k++) {
        for (int i = 0; i < n_in; i++) x[i] = ((i * 7919 + k * 104729) % 2001) / 500.0f - 2.0f;
        myproject_float(x.data(), y.data());
    }
    return 0;
}
"""


def _build_driver(project: Path) -> Path:
    exe = project / "fpgagan_instr_driver"
    (project / "fpgagan_instr_driver.cpp").write_text(DRIVER)
    cmd = [
        "g++",
        "-O3",
        "-std=c++17",
        "-Ifirmware/ap_types",
        "-Ifirmware",
        '-DWEIGHTS_DIR="firmware/weights"',
        "fpgagan_instr_driver.cpp",
        "myproject_bridge.cpp",
        "firmware/myproject.cpp",
        "-o",
        exe.name,
    ]
    result = subprocess.run(cmd, cwd=project, capture_output=True, text=True)
    if result.returncode != 0:
        raise SimulationError(
            f"{project}: cannot build the instruction-count driver ({result.stderr[-300:]})"
        )
    return exe


def _collected(exe: Path, n: int, n_in: int, n_out: int) -> int:
    result = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            str(exe),
            str(n),
            str(n_in),
            str(n_out),
        ],
        cwd=exe.parent,
        capture_output=True,
        text=True,
    )
    found = re.search(r"Collected\s*:\s*(\d+)", result.stderr)
    if result.returncode != 0 or not found:
        raise SimulationError(f"callgrind failed on {exe}: {result.stderr[-300:]}")
    return int(found.group(1))


@dataclasses.dataclass(frozen=True)
class InstructionCount:
    per_image: float  # one inference, weights already loaded
    weight_loading: float  # what the first call costs on top of an inference (reading weight files)


def count_instructions(project: Path, n_in: int, n_out: int, n: int = 2) -> InstructionCount:
    """Instructions of the compiled project in ``project`` (io_parallel): per image and one-time."""
    if shutil.which("valgrind") is None:
        raise SimulationError("valgrind is not installed (apt-get install valgrind)")
    exe = _build_driver(Path(project))
    start, first, more = (_collected(exe, k, n_in, n_out) for k in (0, 1, 1 + n))
    per_image = (more - first) / n
    return InstructionCount(per_image, first - start - per_image)
