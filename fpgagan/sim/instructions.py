"""Count the instructions one C-simulated inference executes, with valgrind's callgrind.

Wall-clock time is noisy on a shared 2-core machine; callgrind's instruction count is repeatable
for the same binary and input.  A small driver calls the project's ``<project>_float`` bridge on
``k`` inputs, compiled with the flags and runtime of :mod:`fpgagan.sim.build` (fpgagan's weights
are compiled in; what remains of a first call's one-time work is reported on its own).  The
per-image figure is (count at 1 + n calls - count at 1 call) / n.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

from fpgagan.errors import SimulationError
from fpgagan.sim.build import RUNTIME_HEADER, RUNTIME_SOURCE, compile_flags, compiler, write_runtime

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

DRIVER = r"""
#include <cstdlib>
#include <vector>
extern "C" void PROJECT_float(float *x, float *y);
int main(int argc, char **argv) {
    const int n = std::atoi(argv[1]), n_in = std::atoi(argv[2]), n_out = std::atoi(argv[3]);
    std::vector<float> x(n_in), y(n_out);
    for (int k = 0; k < n; k++) {
        for (int i = 0; i < n_in; i++) x[i] = ((i * 7919 + k * 104729) % 2001) / 500.0f - 2.0f;
        PROJECT_float(x.data(), y.data());
    }
    return 0;
}
"""


def _build_driver(project: Path, name: str) -> Path:
    if not IDENTIFIER.match(name):
        raise SimulationError(f"{project}: project name {name!r} is not a C identifier")
    exe = project / "fpgagan_instr_driver"
    (project / "fpgagan_instr_driver.cpp").write_text(DRIVER.replace("PROJECT", name))
    write_runtime(project, name)
    cmd = [
        compiler(),
        *compile_flags(),
        "-Ifirmware/ap_types/",
        "-Ifirmware",
        "-include",
        RUNTIME_HEADER,
        "-DWEIGHTS_DIR=fpgagan_weights_dir()",
        "fpgagan_instr_driver.cpp",
        f"{name}_bridge.cpp",
        f"firmware/{name}.cpp",
        RUNTIME_SOURCE,
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
    weight_loading: float  # what the first call costs on top of an inference (one-time set-up)


def count_instructions(
    project: Path, n_in: int, n_out: int, n: int = 2, name: str = "myproject"
) -> InstructionCount:
    """Instructions of the compiled project in ``project``: per image and one-time."""
    if shutil.which("valgrind") is None:
        raise SimulationError("valgrind is not installed (apt-get install valgrind)")
    exe = _build_driver(Path(project), name)
    start, first, more = (_collected(exe, k, n_in, n_out) for k in (0, 1, 1 + n))
    per_image = (more - first) / n
    return InstructionCount(per_image, first - start - per_image)
