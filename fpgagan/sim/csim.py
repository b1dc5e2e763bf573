"""Build an hls4ml project for a QONNX model and run its C simulation.

The project is converted, written and compiled in a hidden sibling of its folder
(:func:`fpgagan.folders.staged`), which replaces the folder only when everything succeeded; a
failure or an interrupt leaves the previous project as it was.  The folder must be new, empty or
one fpgagan made, and is locked while it is built.  fpgagan compiles the project itself
(:mod:`fpgagan.sim.build`); the weights folder is passed to the library at run time, so the
finished project can move.  ``fpgagan_build.json`` marks a complete project.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import io
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from fpgagan.boards import Board
from fpgagan.errors import SimulationError, UnsupportedModelError, short_repr
from fpgagan.export.host_layout import HostLayout
from fpgagan.folders import staged
from fpgagan.hls.convert import HlsOptions, convert, hardware_graph
from fpgagan.interrupts import signals_deferred
from fpgagan.io import provenance, write_json_atomic
from fpgagan.shell.top import write_shell
from fpgagan.sim.build import (
    BATCH_BAD_SIZE,
    BATCH_FUNCTION,
    BATCH_NO_THREAD,
    BATCH_OK,
    TopIO,
    adopt,
    compile_project,
    top_io,
)

log = logging.getLogger(__name__)

BUILD_MARK = "fpgagan_build.json"


@dataclasses.dataclass
class CSim:
    """A compiled C simulation; ``predict`` takes and returns the ONNX model's own layouts."""

    hls_model: object
    input_shape: tuple[int, ...]  # ONNX input, without the batch axis (as the converter infers it)
    output_shape: tuple[
        int, ...
    ]  # ONNX output, without the batch axis (as the converter infers it)
    layout: HostLayout
    hardware_model: ModelWrapper  # the graph hls4ml converted (device layouts, same tensor names)
    project_dir: Path
    build_s: float
    conversion_log: str
    io: TopIO | None = None  # the top function's input and output (sizes the driver checks)

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.shape[1:] != self.input_shape:
            raise SimulationError(
                f"input has shape {x.shape}, the model expects (N, {', '.join(map(str, self.input_shape))})"
            )
        return self._host_output(self._run_batch(self.device_input(x)), len(x))

    def _run_batch(self, x_dev: np.ndarray, threads: int | None = None) -> np.ndarray:
        """The batch in one call of the library's batch driver, split across threads, in a
        helper thread: the main thread keeps handling signals, and on Ctrl-C or SIGTERM tells
        the driver to stop (it does after the samples in progress, see :func:`_stoppable`)."""
        x_dev = np.ascontiguousarray(x_dev, dtype=np.float32)
        n_in = int(np.prod(self.input_shape))
        n_out = int(np.prod(self.output_shape))
        if x_dev.ndim != 2 or x_dev.shape[1] != n_in:
            raise SimulationError(f"device input has shape {x_dev.shape}, expected (N, {n_in})")
        n = len(x_dev)
        y = np.zeros((n, n_out), np.float32)
        if n == 0:
            return y
        run = getattr(self.hls_model._top_function_lib, BATCH_FUNCTION, None)
        if run is None:
            raise SimulationError(
                f"{self.project_dir}: the library has no batch driver; rebuild it"
            )
        ptr = ctypes.POINTER(ctypes.c_float)
        c_long = ctypes.c_long
        run.argtypes = [ptr, c_long, ptr, c_long, c_long, c_long, c_long, c_long]
        run.argtypes += [ctypes.POINTER(ctypes.c_int)]
        run.restype = ctypes.c_int
        workers = threads or min(n, os.cpu_count() or 1)
        stop = ctypes.c_int(0)
        rc = _stoppable(
            lambda: run(
                x_dev.ctypes.data_as(ptr),
                x_dev.size,
                y.ctypes.data_as(ptr),
                y.size,
                n,
                n_in,
                n_out,
                workers,
                ctypes.byref(stop),
            ),
            stop,
        )
        if rc == BATCH_BAD_SIZE:
            raise SimulationError(
                f"{self.project_dir}: the C driver refused the sizes it was given ({n} samples of "
                f"{n_in} inputs and {n_out} outputs): not the sizes it was built for"
            )
        if rc == BATCH_NO_THREAD:
            raise SimulationError(
                f"{self.project_dir}: the C driver could not start a thread with "
                f"{self.io.stack_bytes >> 20 if self.io else '?'} MiB of stack (out of memory?)"
            )
        if rc != BATCH_OK:  # BATCH_STOPPED only follows a stop, which raised in _stoppable
            raise SimulationError(f"{self.project_dir}: the C driver returned {rc}")
        return y

    def trace(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Per-layer outputs (hls4ml trace, device layouts), keyed by hls4ml layer name.

        hls4ml's trace bridge keeps the layer outputs in stack arrays, so it runs in a thread
        whose stack is the one the batch driver gives a sample (``TopIO.stack_bytes``), never on
        the caller's (a large frame would overflow it)."""
        xd = self.device_input(np.ascontiguousarray(x, dtype=np.float32))
        out: list[dict[str, np.ndarray]] = []
        failure: list[BaseException] = []

        def run() -> None:
            try:
                with contextlib.redirect_stdout(io.StringIO()):  # hls4ml announces recompiling
                    out.append(self.hls_model.trace(xd)[1])
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                failure.append(exc)

        stack = self.io.stack_bytes if self.io is not None else 0
        previous = threading.stack_size(stack) if stack else None
        try:
            worker = threading.Thread(target=run, name="fpgagan-trace")
            worker.start()
        finally:
            if previous is not None:
                threading.stack_size(previous)
        worker.join()
        if failure:
            raise failure[0]
        return out[0]

    def device_input(self, x: np.ndarray) -> np.ndarray:
        """``x`` in the layout the FPGA reads (flattened per sample)."""
        return self.layout.to_device(x).reshape(len(x), -1)

    def _host_output(self, y: np.ndarray, n: int) -> np.ndarray:
        if self.layout.output_perm is None:
            return y.reshape((n, *self.output_shape))
        inverse = np.argsort(self.layout.output_perm)
        device_shape = tuple(np.array((n, *self.output_shape))[inverse])
        return self.layout.from_device(y.reshape(device_shape))


_POLL_S = 0.05  # how often the main thread looks up from waiting for the C driver


def _stoppable(call: Callable[[], int], stop: ctypes.c_int) -> int:
    """``call()`` (a C function that returns when ``stop`` becomes non-zero) in a helper thread,
    waited for in small steps so that SIGINT and SIGTERM reach the main thread at once.

    An exception while waiting (KeyboardInterrupt, Terminated) sets ``stop``, waits for the C
    code to finish the samples it is computing (their buffers must outlive it) and is re-raised.
    """
    result: list[int] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(call())
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            failure.append(exc)

    worker = threading.Thread(target=target, name="fpgagan-csim", daemon=False)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(_POLL_S)
    except BaseException:
        stop.value = 1
        with signals_deferred():
            worker.join()
        raise
    if failure:
        raise failure[0]
    return result[0]


def _declared(vi) -> tuple[int | None, ...] | None:
    """A graph input's or output's declared shape (None for an unknown axis), None if undeclared."""
    tensor_type = vi.type.tensor_type
    if not tensor_type.HasField("shape"):
        return None
    return tuple(
        int(d.dim_value) if d.HasField("dim_value") else None for d in tensor_type.shape.dim
    )


def _graph_inputs(model: ModelWrapper) -> list[str]:
    """The graph's real inputs (older files also list their initializers as inputs)."""
    inits = {t.name for t in model.graph.initializer}
    return [vi.name for vi in model.graph.input if vi.name not in inits]


def check_one_input_one_output(model: ModelWrapper) -> None:
    """Refuse a model without exactly one graph input and one graph output, before conversion
    (the top function and its C driver take one input array and one output array)."""
    for what, names in (
        ("inputs", _graph_inputs(model)),
        ("outputs", [o.name for o in model.graph.output]),
    ):
        if len(names) != 1:
            shown = ", ".join(short_repr(n, 40) for n in names[:4]) + (
                ", ..." if len(names) > 4 else ""
            )
            raise UnsupportedModelError(
                f"the model has {len(names)} graph {what} ({shown or 'none'}); fpgagan builds "
                "models with exactly one input and one output"
            )


def _host_shape(
    device: tuple[int, ...], perm: tuple[int, ...] | None, to_device: bool
) -> tuple[int, ...]:
    """The ONNX layout of a device-layout shape (without the batch axis); ``perm`` is the host
    permutation (input: ONNX -> device, ``to_device``; output: device -> ONNX)."""
    if perm is None:
        return device
    full = np.array((1, *device))
    order = np.argsort(perm) if to_device else np.array(perm)
    if len(order) != len(full):
        raise SimulationError(f"device shape {device} does not fit the host layout {perm}")
    return tuple(int(d) for d in full[order][1:])


def _check_declared(what: str, vi, inferred: tuple[int, ...]) -> None:
    """Refuse when the model's declared shape of graph ``what`` ``vi`` disagrees with the shape
    the converter inferred (an undeclared shape or axis is taken from the converter)."""
    declared = _declared(vi)
    if declared is None:
        return
    agree = len(declared) == len(inferred) + 1 and all(
        d is None or d == i for d, i in zip(declared[1:], inferred, strict=True)
    )
    if not agree:
        shown = tuple("?" if d is None else d for d in declared)
        raise UnsupportedModelError(
            f"{what} {short_repr(vi.name, 40)}: the model declares shape "
            f"({', '.join(map(str, shown))}), the converter infers (N, {', '.join(map(str, inferred))})"
        )


# the engine's two forms of the same loops (nnet_fg_engine.h): native integers (the default, fast)
# or the synthesis form (ap_int of exact widths, packed DSP products) compiled for C simulation
FORMS = {"native": (), "synthesis": ("FPGAGAN_SYNTH_FORM",)}


def build_csim(
    model: ModelWrapper,
    project_dir: str | Path,
    opts: HlsOptions,
    form: str = "native",
    shell: Board | None = None,
) -> CSim:
    """Convert ``model`` with fpgagan's extensions, write the project to ``project_dir``, compile
    it (``form``: ``native`` or ``synthesis``, see :data:`FORMS`).  ``shell``: the board whose
    AXI4-Stream shell (:mod:`fpgagan.shell.top`, an io_stream project) is written into the
    project and compiled with it, so g++ checks it on every build.

    The model must have one graph input and one graph output; their buffers are sized from the
    shapes the converter infers, and a declared shape that disagrees is refused."""
    if form not in FORMS:
        raise SimulationError(f"form must be one of {', '.join(FORMS)}, got {form!r}")
    check_one_input_one_output(model)
    (in_name,) = _graph_inputs(model)
    declared_in = next(vi for vi in model.graph.input if vi.name == in_name)
    declared_out = model.graph.output[0]
    target = Path(project_dir).absolute()
    conversion_log = io.StringIO()
    t0 = time.perf_counter()
    with staged(target, "C simulation project") as work:
        hw_model, layout = hardware_graph(model)
        hls_model = convert(hw_model, work, opts, log=conversion_log)
        top = top_io(hls_model)
        input_shape = _host_shape(top.in_shape, layout.input_perm, to_device=True)
        output_shape = _host_shape(top.out_shape, layout.output_perm, to_device=False)
        _check_declared("input", declared_in, input_shape)
        _check_declared("output", declared_out, output_shape)
        with contextlib.redirect_stdout(conversion_log):
            hls_model.write()
        if shell is not None:
            write_shell(hls_model, work, layout, shell)
        library = compile_project(work, hls_model.config.get_project_name(), FORMS[form], top)
        build_s = time.perf_counter() - t0
        write_json_atomic(
            work / BUILD_MARK,
            {
                "build_s": build_s,
                "options": dataclasses.asdict(opts),
                "shell": None if shell is None else shell.name,
                "provenance": provenance(),
            },
        )
    adopt(hls_model, target, library)
    log.debug("C simulation built in %.1f s: %s", build_s, target)
    return CSim(
        hls_model,
        input_shape,
        output_shape,
        layout,
        hw_model,
        target,
        build_s,
        conversion_log.getvalue(),
        top,
    )
