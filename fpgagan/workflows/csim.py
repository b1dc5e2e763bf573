"""``fpgagan csim``: any QONNX model -> hls4ml project -> g++ C simulation -> bit-exact check.

Every run compares the first :data:`SAMPLE_CHECK` outputs with qonnx, so a conversion that
computes something else can never pass unnoticed; ``check=True`` compares all of them.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import math
import time
from pathlib import Path

import numpy as np

from fpgagan.errors import InputError, SimulationError
from fpgagan.export import load_qonnx, reference_outputs
from fpgagan.hls.convert import HlsOptions
from fpgagan.io import atomic_path, read_limited
from fpgagan.limits import MAX_INPUT_BYTES, MAX_LATENTS, MAX_TENSOR_ELEMENTS
from fpgagan.sim import (
    Comparison,
    CSim,
    LayerDivergence,
    build_csim,
    compare,
    first_divergence,
    output_lsb,
)

log = logging.getLogger(__name__)

TRACE_SAMPLES = 4  # mismatching inputs traced layer by layer to name the first diverging layer
SAMPLE_CHECK = 8  # inputs every run compares with qonnx (all of them with check=True)
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"


@dataclasses.dataclass
class CsimReport:
    output: np.ndarray
    csim: CSim
    run_s: float
    comparison: Comparison | None = None
    reference_s: float | None = None
    divergence: LayerDivergence | None = None
    checked: int = 0  # inputs compared with qonnx


def load_input(path: Path) -> np.ndarray:
    """A finite real-valued ``.npy`` array with a non-empty batch axis, as float32.

    Only a regular file under :data:`~fpgagan.limits.MAX_INPUT_BYTES` is read, and its header's
    shape is checked (:func:`check_batch_shape`) before the array is.
    """
    data = read_limited(path, "input file", MAX_INPUT_BYTES)
    try:
        magic = data[: len(_NPY_MAGIC)]
        if magic.startswith(_ZIP_MAGIC):
            raise InputError(f"{path}: a .npz archive, expected one array saved with numpy.save")
        if magic != _NPY_MAGIC:
            raise InputError(f"{path}: not a .npy file")
        buf = io.BytesIO(data)
        major, _ = np.lib.format.read_magic(buf)
        read_header = (
            np.lib.format.read_array_header_1_0
            if major == 1
            else np.lib.format.read_array_header_2_0
        )
        shape, _, _ = read_header(buf)
        check_batch_shape(tuple(shape), str(path))
        x = np.load(io.BytesIO(data), allow_pickle=False)
    except InputError:
        raise
    except Exception as exc:  # object arrays, truncated files, bad headers
        raise InputError(f"{path}: not a readable .npy array ({type(exc).__name__})") from None
    return check_input_array(x, str(path))


def check_batch_shape(shape: tuple[int, ...], where: str = "input") -> None:
    """Refuse a batch of more than :data:`~fpgagan.limits.MAX_LATENTS` items or with items of
    more than :data:`~fpgagan.limits.MAX_TENSOR_ELEMENTS` elements, before it is read."""
    if shape and shape[0] > MAX_LATENTS:
        raise InputError(
            f"{where}: a batch of {shape[0]:,} inputs, more than the limit of {MAX_LATENTS:,} "
            "(fpgagan.limits)"
        )
    item = math.prod(shape[1:]) if len(shape) > 1 else 1
    if item > MAX_TENSOR_ELEMENTS:
        raise InputError(
            f"{where}: inputs of {item:,} elements, more than the limit of "
            f"{MAX_TENSOR_ELEMENTS:,} (fpgagan.limits)"
        )


def check_input_array(x: np.ndarray, where: str = "input") -> np.ndarray:
    """``x`` as float32 if it is a finite real-valued array with a non-empty batch axis."""
    if not isinstance(x, np.ndarray) or x.dtype.kind not in "iuf":
        kind = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise InputError(f"{where}: {kind} is not a real number type (integers or floats only)")
    if x.ndim < 2:
        raise InputError(
            f"{where}: expected an array (N, ...) with a batch axis, got shape {x.shape}"
        )
    if x.shape[0] == 0:
        raise InputError(f"{where}: the batch is empty (shape {x.shape})")
    check_batch_shape(x.shape, where)
    with np.errstate(over="ignore"):  # beyond float32 becomes inf, refused just below
        y = x.astype(np.float32)
    bad = ~np.isfinite(y)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(
            f"{where}: holds NaN, infinite or beyond-float32 values ({int(bad.sum())}, first at "
            f"index {first})"
        )
    return y


def save_output(path: Path, y: np.ndarray) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, y)


def run_csim(
    model_path: Path, x: np.ndarray, opts: HlsOptions, project_dir: Path, check: bool = False
) -> CsimReport:
    """Build and run the C simulation of ``model_path`` on ``x`` (the ONNX input layout)."""
    x = check_input_array(x)
    model = load_qonnx(model_path)
    want = tuple(int(d.dim_value) for d in model.graph.input[0].type.tensor_type.shape.dim)[1:]
    if tuple(x.shape[1:]) != want:
        raise SimulationError(
            f"input has shape {tuple(x.shape)}, {model_path} expects (N, {', '.join(map(str, want))})"
        )
    csim = build_csim(model, project_dir, opts)
    t0 = time.perf_counter()
    y = csim.predict(x)
    report = CsimReport(y, csim, time.perf_counter() - t0)
    report.checked = len(x) if check else min(len(x), SAMPLE_CHECK)
    t0 = time.perf_counter()
    ref = reference_outputs(model, x[: report.checked])
    report.reference_s = time.perf_counter() - t0
    report.comparison = compare(y[: report.checked], ref, output_lsb(model))
    if not report.comparison.exact:
        idx = list(report.comparison.mismatched_samples[:TRACE_SAMPLES])
        report.divergence = first_divergence(csim, x[idx])
    return report


def describe(report: CsimReport) -> list[str]:
    """Human-readable lines for the CLI."""
    c = report.csim
    n = len(report.output)
    lines = [
        f"C simulation: {n} inputs, build {c.build_s:.1f} s, run {report.run_s:.1f} s "
        f"({n / max(report.run_s, 1e-9):.0f} inputs/s); project: {c.project_dir}"
    ]
    cmp = report.comparison
    if cmp is not None:
        lsb = "" if cmp.max_lsb is None else f", largest difference {cmp.max_lsb:g} LSB"
        scope = "" if report.checked == n else f" on the first {report.checked} of {n} inputs"
        lines.append(
            f"check vs qonnx execute_onnx{scope}: {cmp.mismatches} of {cmp.n_elements} output "
            f"elements differ{lsb}"
        )
        if report.divergence is not None:
            d = report.divergence
            lines.append(
                f"first diverging layer: {d.layer} (ONNX tensor {d.tensor}): "
                f"{d.mismatches} of {d.n_elements} elements differ, max {d.max_abs_diff:g}"
            )
    return lines
