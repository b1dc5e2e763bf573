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
import dataclasses
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
from fpgagan.interrupts import signals_deferred
from fpgagan.shell.top import NATIVE_AXIS

BUILD_SCRIPT = "build_lib.sh"  # hls4ml's name; fpgagan writes its own in place of hls4ml's
RUNTIME_HEADER = "fpgagan_runtime.h"
RUNTIME_SOURCE = "fpgagan_runtime.cpp"
BATCH_SOURCE = "fpgagan_batch.cpp"
BATCH_FUNCTION = "fpgagan_predict_batch"
WEIGHTS_SUBDIR = "firmware/weights"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TAIL_CHARS = 300  # of a failing compiler's output, in the error message's first line
_LOG_CHARS = 20_000  # of it as a note of the error (in the traceback the CLI writes to its log)

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


class GeneratedCodeError(RuntimeError):
    """g++ refused C++ that fpgagan generated: a fault of fpgagan, not of the user's input (the
    CLI reports it as an internal error, exit 3, with the compiler's output in its log file)."""


# the driver's return codes (fpgagan_batch.cpp)
BATCH_OK, BATCH_STOPPED, BATCH_BAD_SIZE, BATCH_NO_THREAD = 0, 1, -1, -2
# every thread's stack: the top function's layer outputs (hls4ml keeps them as local arrays in
# io_parallel) twice over, plus this much for everything else; reserved, touched only as used
_STACK_MARGIN = 64 << 20
MAX_STACK_BYTES = 1 << 30  # per thread; a model asking for more is refused
_MAX_THREADS = 256


@dataclasses.dataclass(frozen=True)
class TopIO:
    """The top function's one input and one output, as the converter inferred them."""

    in_type: str  # C++ type of the input array's elements (or of the stream's elements)
    out_type: str
    n_in: int  # elements of one sample's input
    n_out: int
    in_shape: tuple[int, ...]  # the device layout, without the batch axis
    out_shape: tuple[int, ...]
    stream: bool  # io_stream: the top function takes hls::stream arguments
    stack_bytes: int  # each simulating thread's stack


def _element_bytes(var) -> int:
    """An upper bound of ``sizeof`` of one element of hls4ml variable ``var`` in C simulation."""
    width = getattr(getattr(getattr(var, "type", None), "precision", None), "width", None)
    return 8 * max(1, -(-int(width) // 64)) if isinstance(width, int) else 8


def top_io(hls_model) -> TopIO:
    """The input and output of ``hls_model``'s top function, for :func:`compile_project`.

    Refuses a top function with other than one input and one output, or with arguments the
    batch driver does not pass (weights in BRAM arguments)."""
    ins, outs = hls_model.get_input_variables(), hls_model.get_output_variables()
    if len(ins) != 1 or len(outs) != 1:
        raise SimulationError(
            f"the converted model has {len(ins)} inputs and {len(outs)} outputs; "
            "fpgagan simulates exactly one of each"
        )
    brams = [v for v in hls_model.get_weight_variables() if v.storage.lower() == "bram"]
    if brams:
        raise SimulationError(
            f"weights stored as BRAM arguments ({brams[0].name}) cannot be simulated"
        )
    (i,), (o,) = ins, outs
    for var in (i, o):
        if not _IDENTIFIER.match(var.type.name):
            raise SimulationError(f"type name {var.type.name!r} is not a C identifier")
        if var.size() <= 0:
            raise SimulationError(f"tensor {var.name!r} has no elements")
    outputs = [layer.get_output_variable() for layer in hls_model.get_layers()]
    layer_bytes = sum(int(v.size()) * _element_bytes(v) for v in outputs if v is not None)
    stack = _STACK_MARGIN + 2 * layer_bytes
    if stack > MAX_STACK_BYTES:
        raise SimulationError(
            f"the model's layer outputs need {stack >> 20} MiB of stack per simulated sample, "
            f"more than the limit of {MAX_STACK_BYTES >> 20} MiB"
        )
    return TopIO(
        i.type.name,
        o.type.name,
        int(i.size()),
        int(o.size()),
        tuple(int(d) for d in i.shape),
        tuple(int(d) for d in o.shape),
        hls_model.config.get_config_value("IOType") == "io_stream",
        stack,
    )


_BATCH_TEXT = """\
// Written by fpgagan: the C simulation of a whole batch in one call, split across threads.
// Every size the caller gives is checked against the model's before anything is copied.  A
// sample's input and output live on the heap; each thread's stack is sized from the model's
// tensors (hls4ml's top function keeps its layer outputs as local arrays), not the default.
// Threads take samples from a shared counter and stop early when *stop becomes non-zero.  The
// first sample runs alone (one-time initialisation in the top function); the top function keeps
// no other state between calls (its streams are local, its ROMs const).
#include <climits>
#include <pthread.h>
#include <vector>

#include "firmware/{name}.h"
#include "firmware/nnet_utils/nnet_helpers.h"

static const long FPGAGAN_N_IN = {n_in}L;
static const long FPGAGAN_N_OUT = {n_out}L;
static const size_t FPGAGAN_STACK = {stack}UL;
static const long FPGAGAN_MAX_THREADS = {max_threads}L;

static void fpgagan_sample(const float *x, float *y) {{
{body}
}}

struct fpgagan_job {{
    const float *x;
    float *y;
    long n;
    long next;
    const int *stop;
}};

static void *fpgagan_work(void *arg) {{
    fpgagan_job *job = static_cast<fpgagan_job *>(arg);
    while (!__atomic_load_n(job->stop, __ATOMIC_RELAXED)) {{
        long i = __atomic_fetch_add(&job->next, 1L, __ATOMIC_RELAXED);
        if (i >= job->n)
            break;
        fpgagan_sample(job->x + i * FPGAGAN_N_IN, job->y + i * FPGAGAN_N_OUT);
    }}
    return NULL;
}}

// runs `job` on up to `threads` threads; {bad_thread}: not even one could start
static int fpgagan_run(fpgagan_job *job, long threads) {{
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0)
        return {bad_thread};
    if (pthread_attr_setstacksize(&attr, FPGAGAN_STACK) != 0) {{
        pthread_attr_destroy(&attr);
        return {bad_thread};
    }}
    std::vector<pthread_t> pool;
    for (long t = 0; t < threads; t++) {{
        pthread_t thread;
        if (pthread_create(&thread, &attr, fpgagan_work, job) != 0)
            break;  // the threads started take the samples this one would have
        pool.push_back(thread);
    }}
    pthread_attr_destroy(&attr);
    for (size_t t = 0; t < pool.size(); t++)
        pthread_join(pool[t], NULL);
    return pool.empty() ? {bad_thread} : {ok};
}}

// x: n * n_in floats (x_len), y: n * n_out floats (y_len); returns {ok}, {stopped} (*stop was
// set), {bad_size} (a size that is not the model's) or {bad_thread} (no thread could start)
extern "C" int {function}(const float *x, long x_len, float *y, long y_len, long n, long n_in,
                          long n_out, long threads, const int *stop) {{
    if (x == NULL || y == NULL || stop == NULL || n < 0)
        return {bad_size};
    if (n_in != FPGAGAN_N_IN || n_out != FPGAGAN_N_OUT)
        return {bad_size};
    if (n > LONG_MAX / FPGAGAN_N_IN || n > LONG_MAX / FPGAGAN_N_OUT)
        return {bad_size};
    if (x_len != n * FPGAGAN_N_IN || y_len != n * FPGAGAN_N_OUT)
        return {bad_size};
    if (n == 0)
        return {ok};
    threads = threads < 1 ? 1 : threads > FPGAGAN_MAX_THREADS ? FPGAGAN_MAX_THREADS : threads;
    fpgagan_job first = {{x, y, 1, 0, stop}};
    int rc = fpgagan_run(&first, 1);
    if (rc == {ok} && n > 1) {{
        fpgagan_job rest = {{x, y, n, 1, stop}};
        rc = fpgagan_run(&rest, threads < n - 1 ? threads : n - 1);
    }}
    if (rc == {ok} && __atomic_load_n(stop, __ATOMIC_RELAXED))
        rc = {stopped};
    return rc;
}}
"""

_ARRAY_BODY = """\
    std::vector<{in_t}> in({n_in});  // on the heap: a sample can be megabytes
    std::vector<{out_t}> out({n_out});
    nnet::convert_data<float, {in_t}, {n_in}>(const_cast<float *>(x), in.data());
    {name}(in.data(), out.data());
    nnet::convert_data<{out_t}, float, {n_out}>(out.data(), y);"""

_STREAM_BODY = """\
    hls::stream<{in_t}> in("fpgagan_in");  // a stream keeps its elements on the heap
    hls::stream<{out_t}> out("fpgagan_out");
    nnet::convert_data<float, {in_t}, {n_in}>(const_cast<float *>(x), in);
    {name}(in, out);
    nnet::convert_data<{out_t}, float, {n_out}>(out, y);"""


def batch_source(name: str, io: TopIO) -> str:
    """The batch driver's C++ for project ``name`` (a C identifier) with top-function ``io``."""
    body = (_STREAM_BODY if io.stream else _ARRAY_BODY).format(
        name=name, in_t=io.in_type, out_t=io.out_type, n_in=io.n_in, n_out=io.n_out
    )
    return _BATCH_TEXT.format(
        name=name,
        function=BATCH_FUNCTION,
        body=body,
        n_in=io.n_in,
        n_out=io.n_out,
        stack=io.stack_bytes,
        max_threads=_MAX_THREADS,
        ok=BATCH_OK,
        stopped=BATCH_STOPPED,
        bad_size=BATCH_BAD_SIZE,
        bad_thread=BATCH_NO_THREAD,
    )


def write_runtime(project: Path, name: str = "myproject", io: TopIO | None = None) -> None:
    """Write the header and source that define ``fpgagan_weights_dir()`` into ``project``
    (``name``: the project, already checked to be a C identifier), and with ``io`` the batch
    driver (:func:`batch_source`); without it, a driver left by an earlier build is removed."""
    (project / RUNTIME_HEADER).write_text(_HEADER_TEXT)
    (project / RUNTIME_SOURCE).write_text(_SOURCE_TEXT)
    if io is None:
        (project / BATCH_SOURCE).unlink(missing_ok=True)
    else:
        (project / BATCH_SOURCE).write_text(batch_source(name, io))


def translation_units(project: Path, name: str) -> list[str]:
    """The sources hls4ml's build script compiles for project ``name``, plus fpgagan's runtime."""
    units = [f"firmware/{name}.cpp"]
    if (project / f"firmware/{name}_axi.cpp").is_file():  # fpgagan's AXI4-Stream shell
        units.append(f"firmware/{name}_axi.cpp")
    units += [f"{name}_bridge.cpp", RUNTIME_SOURCE]
    if (project / BATCH_SOURCE).is_file():  # written by write_runtime when the I/O is known
        units.append(BATCH_SOURCE)
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
    project: str | os.PathLike[str],
    name: str,
    defines: tuple[str, ...] = (),
    io: TopIO | None = None,
) -> str:
    """Compile the written project ``name`` in folder ``project``; returns the library's path
    relative to ``project`` (a new file name every build, so a rebuilt library can be loaded).
    ``defines``: preprocessor symbols (identifiers), e.g. ``FPGAGAN_SYNTH_FORM`` to compile the
    engine's synthesis form (ap_int arithmetic, packed DSP products) for C simulation.  ``io``
    (:func:`top_io`): the top function's input and output, for the batch driver; without it the
    library has no batch driver.

    Raises :class:`SimulationError` when g++ is missing or was killed, and
    :class:`GeneratedCodeError` when it refuses the code (fpgagan's fault, not the user's)."""
    project = Path(project)
    if not _IDENTIFIER.match(name):
        raise SimulationError(f"{project}: project name {name!r} is not a C identifier")
    for d in defines:
        if not _IDENTIFIER.match(d):
            raise SimulationError(f"preprocessor symbol {d!r} is not a C identifier")
    write_runtime(project, name, io)
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
    failed: list[tuple[str, int, str]] = []
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
                    failed.append((label, proc.returncode, out.read().decode(errors="replace")))
        finally:
            with signals_deferred():
                for proc, _, _ in running:
                    if proc.poll() is None:
                        _kill_group(proc)
    if failed:
        label, code, text = failed[0]
        tail = " ".join(text.split())[-_TAIL_CHARS:]
        if code < 0:  # killed from outside (the out-of-memory killer, a user): not our code's fault
            name = signal.Signals(-code).name if -code in signal.valid_signals() else -code
            raise SimulationError(f"{cwd}: g++ was stopped by signal {name} on {label}")
        error = GeneratedCodeError(
            f"{cwd}: g++ failed on {label}, code fpgagan generated; this is a bug in fpgagan "
            f"({tail})"
        )
        error.add_note(text[-_LOG_CHARS:])  # the compiler's output, in the CLI's traceback log
        raise error


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
    library = compile_project(project, name, io=top_io(hls_model))
    hls_model._top_function_lib = load_library(project, library)
    for old in (project / "firmware").glob(f"{name}-fpgagan-*.so"):  # mapped ones stay mapped
        if old.name != Path(library).name:
            old.unlink()
