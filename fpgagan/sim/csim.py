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
import time
from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from fpgagan.boards import Board
from fpgagan.errors import SimulationError
from fpgagan.folders import staged
from fpgagan.hls.convert import HlsOptions, convert, hardware_graph
from fpgagan.hls.layout import HostLayout
from fpgagan.hls.shell import write_shell
from fpgagan.io import provenance, write_json_atomic
from fpgagan.sim.build import BATCH_FUNCTION, adopt, compile_project

log = logging.getLogger(__name__)

BUILD_MARK = "fpgagan_build.json"


@dataclasses.dataclass
class CSim:
    """A compiled C simulation; ``predict`` takes and returns the ONNX model's own layouts."""

    hls_model: object
    input_shape: tuple[int, ...]  # ONNX input, without the batch axis
    output_shape: tuple[int, ...]  # ONNX output, without the batch axis
    layout: HostLayout
    hardware_model: ModelWrapper  # the graph hls4ml converted (device layouts, same tensor names)
    project_dir: Path
    build_s: float
    conversion_log: str

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.shape[1:] != self.input_shape:
            raise SimulationError(
                f"input has shape {x.shape}, the model expects (N, {', '.join(map(str, self.input_shape))})"
            )
        return self._host_output(self._run_batch(self.device_input(x)), len(x))

    def _run_batch(self, x_dev: np.ndarray, threads: int | None = None) -> np.ndarray:
        """The whole batch in one call of the library's batch driver, split across threads."""
        x_dev = np.ascontiguousarray(x_dev, dtype=np.float32)
        n, n_in = x_dev.shape
        n_out = int(np.prod(self.output_shape))
        y = np.zeros((n, n_out), np.float32)
        if n == 0:
            return y
        lib = self.hls_model._top_function_lib
        run = getattr(lib, BATCH_FUNCTION, None)
        if run is None:  # a library built without the driver: hls4ml's one call per sample
            return np.asarray(self.hls_model.predict(x_dev), dtype=np.float32).reshape(n, n_out)
        ptr = ctypes.POINTER(ctypes.c_float)
        run.argtypes = [ptr, ptr, ctypes.c_long, ctypes.c_long, ctypes.c_long, ctypes.c_int]
        run.restype = ctypes.c_int
        workers = threads or min(n, os.cpu_count() or 1)
        run(x_dev.ctypes.data_as(ptr), y.ctypes.data_as(ptr), n, n_in, n_out, workers)
        return y

    def trace(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Per-layer outputs (hls4ml trace, device layouts), keyed by hls4ml layer name."""
        with contextlib.redirect_stdout(io.StringIO()):  # hls4ml announces the recompilation
            _, traces = self.hls_model.trace(
                self.device_input(np.ascontiguousarray(x, dtype=np.float32))
            )
        return traces

    def device_input(self, x: np.ndarray) -> np.ndarray:
        """``x`` in the layout the FPGA reads (flattened per sample)."""
        return self.layout.to_device(x).reshape(len(x), -1)

    def _host_output(self, y: np.ndarray, n: int) -> np.ndarray:
        if self.layout.output_perm is None:
            return y.reshape((n, *self.output_shape))
        inverse = np.argsort(self.layout.output_perm)
        device_shape = tuple(np.array((n, *self.output_shape))[inverse])
        return self.layout.from_device(y.reshape(device_shape))


def _shape(vi) -> tuple[int, ...]:
    return tuple(int(d.dim_value) for d in vi.type.tensor_type.shape.dim)


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
    AXI4-Stream shell (:mod:`fpgagan.hls.shell`, an io_stream project) is written into the
    project and compiled with it, so g++ checks it on every build."""
    if form not in FORMS:
        raise SimulationError(f"form must be one of {', '.join(FORMS)}, got {form!r}")
    target = Path(project_dir).absolute()
    conversion_log = io.StringIO()
    t0 = time.perf_counter()
    with staged(target, "C simulation project") as work:
        hw_model, layout = hardware_graph(model)
        hls_model = convert(hw_model, work, opts, log=conversion_log)
        with contextlib.redirect_stdout(conversion_log):
            hls_model.write()
        if shell is not None:
            write_shell(hls_model, work, layout, shell)
        library = compile_project(work, hls_model.config.get_project_name(), FORMS[form])
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
        _shape(model.graph.input[0])[1:],
        _shape(model.graph.output[0])[1:],
        layout,
        hw_model,
        target,
        build_s,
        conversion_log.getvalue(),
    )
