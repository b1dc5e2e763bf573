"""Compile an hls4ml project into the shared library its C simulation runs, without a shell.

hls4ml's ``compile()`` runs ``build_lib.sh``, which pastes the project's absolute path into the
C++ source (``-D WEIGHTS_DIR="..."``), so a quote in a folder name becomes code.  fpgagan
compiles the same translation units with the same flags itself: a list of arguments (no shell),
the project folder as working directory, only relative paths, each compiler in its own process
group that is killed if the build is stopped.  The weights folder reaches the library at run
time, as data: ``WEIGHTS_DIR`` expands to a call of ``fpgagan_weights_dir()``, defined in a small
C++ file written into the project, and :func:`load_library` sets it through ctypes before the
first prediction.

:func:`adopt` hands a loaded library to the hls4ml model, so ``predict()`` and ``trace()`` work
as after hls4ml's own ``compile()``; ``trace()``'s recompilation comes back through here too.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import IO

from fpgagan.errors import SimulationError
from fpgagan.hls.shell import NATIVE_AXIS
from fpgagan.interrupts import signals_deferred

BUILD_SCRIPT = "build_lib.sh"  # hls4ml's name; fpgagan writes its own in place of hls4ml's
RUNTIME_HEADER = "fpgagan_runtime.h"
RUNTIME_SOURCE = "fpgagan_runtime.cpp"
BATCH_SOURCE = "fpgagan_batch.cpp"
BATCH_FUNCTION = "fpgagan_predict_batch"
WEIGHTS_SUBDIR = "firmware/weights"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TAIL_CHARS = 300  # of a failing compiler's output, in the error message

_HEADER_TEXT = """\
// Written by fpgagan: the folder of the weight files is set at run time, never compiled in.
#ifndef FPGAGAN_RUNTIME_H_
#define FPGAGAN_RUNTIME_H_
extern "C" const char *fpgagan_weights_dir();
extern "C" void fpgagan_set_weights_dir(const char *path);
#endif
"""

_SOURCE_TEXT = f"""\
// Written by fpgagan: WEIGHTS_DIR expands to fpgagan_weights_dir(); the host sets the folder.
#include <string>
#include "{RUNTIME_HEADER}"

static std::string fpgagan_weights = "{WEIGHTS_SUBDIR}";

extern "C" const char *fpgagan_weights_dir() {{ return fpgagan_weights.c_str(); }}
extern "C" void fpgagan_set_weights_dir(const char *path) {{ fpgagan_weights = path; }}
"""


@functools.cache
def compiler() -> str:
    """The C++ compiler hls4ml's build script uses (g++), as an absolute path."""
    path = shutil.which("g++")
    if path is None:
        raise SimulationError("g++ not found on PATH; the C simulation needs it")
    return path


def _accepts(flag: str) -> bool:
    probe = [compiler(), "-Werror", "-fsyntax-only", flag, "-xc++", "-", "-o", os.devnull]
    result = subprocess.run(probe, input=b"", capture_output=True, check=False)
    return result.returncode == 0


@functools.cache
def compile_flags() -> tuple[str, ...]:
    """hls4ml's flags: -O3 -fPIC, C++23 where the compiler has it (else C++11), -fno-gnu-unique."""
    flags = ["-O3", "-fPIC", "-pthread", "-std=c++23" if _accepts("-std=c++23") else "-std=c++11"]
    if _accepts("-fno-gnu-unique"):  # lets a rebuilt library replace the loaded one
        flags.append("-fno-gnu-unique")
    return tuple(flags)


_BATCH_TEXT = """\
// Written by fpgagan: the C simulation of a whole batch in one call, split across threads.
// Sample i reads x + i * n_in and writes y + i * n_out; the first sample runs alone (one-time
// initialisation in the top function), the rest on `threads` threads, each on every threads-th
// sample.  The top function keeps no state between calls (its streams are local, its ROMs const).
#include <thread>
#include <vector>

extern "C" void {name}_float(float *x, float *y);

extern "C" int {function}(float *x, float *y, long n, long n_in, long n_out, int threads) {{
    if (n <= 0)
        return 0;
    {name}_float(x, y);
    if (threads < 1)
        threads = 1;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; t++)
        pool.emplace_back([=]() {{
            for (long i = 1 + t; i < n; i += threads)
                {name}_float(x + i * n_in, y + i * n_out);
        }});
    for (size_t t = 0; t < pool.size(); t++)
        pool[t].join();
    return 0;
}}
"""


def write_runtime(project: Path, name: str = "myproject") -> None:
    """Write the header and source that define ``fpgagan_weights_dir()`` and the batch driver
    into ``project`` (``name``: the project, already checked to be a C identifier)."""
    (project / RUNTIME_HEADER).write_text(_HEADER_TEXT)
    (project / RUNTIME_SOURCE).write_text(_SOURCE_TEXT)
    (project / BATCH_SOURCE).write_text(_BATCH_TEXT.format(name=name, function=BATCH_FUNCTION))


def translation_units(project: Path, name: str) -> list[str]:
    """The sources hls4ml's build script compiles for project ``name``, plus fpgagan's runtime."""
    units = [f"firmware/{name}.cpp"]
    if (project / f"firmware/{name}_axi.cpp").is_file():  # fpgagan's AXI4-Stream shell
        units.append(f"firmware/{name}_axi.cpp")
    units += [f"{name}_bridge.cpp", RUNTIME_SOURCE, BATCH_SOURCE]
    missing = [u for u in units if not (project / u).is_file()]
    if missing:
        raise SimulationError(f"{project}: the hls4ml project has no {missing[0]}")
    return units


def _commands(
    cxx: str, units: list[str], objects: list[str], library: str, defines: tuple[str, ...] = ()
) -> list[tuple[str, list[str]]]:
    """(label, argv) of every compiler run: each unit to its object, then the link."""
    common = [
        cxx,
        *compile_flags(),
        "-Ifirmware/ap_types/",
        "-include",
        RUNTIME_HEADER,
        "-DWEIGHTS_DIR=fpgagan_weights_dir()",
        f"-D{NATIVE_AXIS}",  # the shell's beats without Vitis HLS's ap_axi_sdata.h
        *(f"-D{d}" for d in defines),
    ]
    compiles = [(u, [*common, "-c", u, "-o", o]) for u, o in zip(units, objects, strict=True)]
    link = (library, [cxx, *compile_flags(), "-shared", *objects, "-o", library])
    return [*compiles, link]


def write_build_script(project: Path, name: str) -> None:
    """Replace hls4ml's ``build_lib.sh`` (which pastes the folder's path into the source) with
    the same build fpgagan runs, for whoever builds the project by hand."""
    units = translation_units(project, name)
    objects = [f"{Path(u).stem}.o" for u in units]
    commands = _commands("g++", units, objects, f"firmware/{name}-fpgagan.so")
    lines = [
        "#!/bin/bash",
        "# Written by fpgagan in place of hls4ml's build_lib.sh: relative paths only; the weights",
        "# folder is passed at run time (fpgagan_set_weights_dir, default firmware/weights).",
        "set -e",
        'cd "$(dirname "$0")"',
        *(shlex.join(argv) for _, argv in commands),
        shlex.join(["rm", "-f", *objects]),
    ]
    script = project / BUILD_SCRIPT
    script.write_text("\n".join(lines) + "\n")
    script.chmod(0o755)


def compile_project(
    project: str | os.PathLike[str], name: str, defines: tuple[str, ...] = ()
) -> str:
    """Compile the written project ``name`` in folder ``project``; returns the library's path
    relative to ``project`` (a new file name every build, so a rebuilt library can be loaded).
    ``defines``: preprocessor symbols (identifiers), e.g. ``FPGAGAN_SYNTH_FORM`` to compile the
    engine's synthesis form (ap_int arithmetic, packed DSP products) for C simulation."""
    project = Path(project)
    if not _IDENTIFIER.match(name):
        raise SimulationError(f"{project}: project name {name!r} is not a C identifier")
    for d in defines:
        if not _IDENTIFIER.match(d):
            raise SimulationError(f"preprocessor symbol {d!r} is not a C identifier")
    write_runtime(project, name)
    write_build_script(project, name)
    units = translation_units(project, name)
    tag = uuid.uuid4().hex[:12]
    objects = [f"fpgagan-{tag}-{i}.o" for i in range(len(units))]
    library = f"firmware/{name}-fpgagan-{tag}.so"
    *compiles, link = _commands(compiler(), units, objects, library, defines)
    try:
        _run_all(compiles, project)
        _run_all([link], project)
    except BaseException:
        with signals_deferred():
            (project / library).unlink(missing_ok=True)
        raise
    finally:
        with signals_deferred():
            for o in objects:
                (project / o).unlink(missing_ok=True)
    return library


def _run_all(jobs: list[tuple[str, list[str]]], cwd: Path) -> None:
    """Run the ``(label, command)`` jobs side by side in ``cwd``, each in its own process group.

    However this function is left (a failure, KeyboardInterrupt, SIGTERM as an exception), no
    compiler it started is still running afterwards.
    """
    running: list[tuple[subprocess.Popen, IO[bytes], str]] = []
    failed: list[tuple[str, str]] = []
    with contextlib.ExitStack() as logs:
        try:
            for label, cmd in jobs:
                out = logs.enter_context(tempfile.TemporaryFile())
                proc = subprocess.Popen(
                    cmd,
                    cwd=cwd,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: killed with its children
                )
                running.append((proc, out, label))
            for proc, out, label in running:
                if proc.wait() != 0:
                    out.seek(0)
                    failed.append((label, out.read().decode(errors="replace")))
        finally:
            with signals_deferred():
                for proc, _, _ in running:
                    if proc.poll() is None:
                        _kill_group(proc)
    if failed:
        label, text = failed[0]
        tail = " ".join(text.split())[-_TAIL_CHARS:]
        raise SimulationError(f"{cwd}: g++ failed on {label} ({tail})")


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def load_library(project: str | os.PathLike[str], library: str) -> ctypes.CDLL:
    """Load a library built by :func:`compile_project` and point it at the project's weights."""
    project = Path(project).absolute()
    try:
        lib = ctypes.CDLL(str(project / library))
    except OSError as exc:
        raise SimulationError(f"{project}: cannot load {library} ({exc})") from None
    set_dir = lib.fpgagan_set_weights_dir
    set_dir.argtypes = [ctypes.c_char_p]
    set_dir.restype = None
    set_dir(os.fsencode(project / WEIGHTS_SUBDIR))  # data, never source text
    return lib


def adopt(hls_model, project: str | os.PathLike[str], library: str) -> None:
    """Give hls4ml model ``hls_model`` the library; its ``compile()`` now builds through here."""
    project = Path(project).absolute()
    hls_model.config.config["OutputDir"] = str(project)
    hls_model._top_function_lib = load_library(project, library)
    hls_model.compile = functools.partial(_recompile, hls_model)


def _recompile(hls_model) -> None:
    """What hls4ml's ``compile()`` does (write the project, build, load), through fpgagan's build;
    ``trace()`` calls it to rebuild with tracing on."""
    project = Path(hls_model.config.get_output_dir())
    name = hls_model.config.get_project_name()
    hls_model.write()
    library = compile_project(project, name)
    hls_model._top_function_lib = load_library(project, library)
    for old in (project / "firmware").glob(f"{name}-fpgagan-*.so"):  # mapped ones stay mapped
        if old.name != Path(library).name:
            old.unlink()
