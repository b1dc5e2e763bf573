"""``fpgagan csim``: any QONNX model -> hls4ml project -> g++ C simulation [-> bit-exact check]."""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path

import numpy as np

from fpgagan.errors import SimulationError
from fpgagan.export import load_qonnx, reference_outputs
from fpgagan.hls.convert import HlsOptions
from fpgagan.io import atomic_path
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


@dataclasses.dataclass
class CsimReport:
    output: np.ndarray
    csim: CSim
    run_s: float
    comparison: Comparison | None = None
    reference_s: float | None = None
    divergence: LayerDivergence | None = None


def load_input(path: Path) -> np.ndarray:
    if not path.is_file():
        raise SimulationError(f"{path}: input file not found")
    try:
        x = np.load(path, allow_pickle=False)
    except Exception as exc:
        raise SimulationError(f"{path}: not a readable .npy array ({type(exc).__name__})") from None
    if x.ndim < 2 or not np.issubdtype(x.dtype, np.number):
        raise SimulationError(
            f"{path}: expected a numeric array (N, ...) with a batch axis, got shape {x.shape}"
        )
    return x.astype(np.float32)


def save_output(path: Path, y: np.ndarray) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, y)


def run_csim(
    model_path: Path, x: np.ndarray, opts: HlsOptions, project_dir: Path, check: bool = False
) -> CsimReport:
    """Build and run the C simulation of ``model_path`` on ``x`` (the ONNX input layout)."""
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
    if check:
        t0 = time.perf_counter()
        ref = reference_outputs(model, x)
        report.reference_s = time.perf_counter() - t0
        report.comparison = compare(y, ref, output_lsb(model))
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
        lines.append(
            f"check vs qonnx execute_onnx: {cmp.mismatches} of {cmp.n_elements} output elements differ{lsb}"
        )
        if report.divergence is not None:
            d = report.divergence
            lines.append(
                f"first diverging layer: {d.layer} (ONNX tensor {d.tensor}): "
                f"{d.mismatches} of {d.n_elements} elements differ, max {d.max_abs_diff:g}"
            )
    return lines
