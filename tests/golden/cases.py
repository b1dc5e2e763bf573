"""The golden C-simulation cases: the shipped default generator and a few single-layer kernels."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np

from fpgagan.export import load_qonnx
from fpgagan.hls.convert import HlsOptions
from fpgagan.workflows.hls_flow import default_model_dir
from tests.graphs import conv_transpose_graph, quantized_input

GOLDEN_DIR = Path(__file__).resolve().parent


@dataclasses.dataclass(frozen=True)
class GoldenCase:
    name: str
    make: Callable[[], tuple[object, np.ndarray]]  # -> (QONNX model, input)
    opts: HlsOptions

    @property
    def path(self) -> Path:
        return GOLDEN_DIR / f"{self.name}.npz"


def _default_generator():
    z = np.random.default_rng(2024).standard_normal((16, 64)).astype(np.float32)
    return load_qonnx(default_model_dir() / "generator.onnx"), z


def _kernel(**kw):
    def make():
        model, _, _ = conv_transpose_graph(**kw)
        return model, quantized_input(8, kw.get("cin", 2), kw.get("h", 4), kw.get("w", 5), seed=7)

    return make


CASES = [
    GoldenCase(
        "default_generator_io_parallel", _default_generator, HlsOptions(io_type="io_parallel")
    ),
    GoldenCase(
        "default_generator_io_stream",
        _default_generator,
        HlsOptions(io_type="io_stream", strategy="resource", reuse_factor=8),
    ),
    GoldenCase(
        "deconv_k4s2_io_parallel",
        _kernel(cin=4, cout=3, h=5, w=5, kernel=(4, 4), strides=(2, 2), pads=(1, 1, 1, 1)),
        HlsOptions(io_type="io_parallel"),
    ),
    GoldenCase(
        "deconv_k5s3_asym_io_stream",
        _kernel(
            cin=3,
            cout=2,
            h=3,
            w=4,
            kernel=(5, 3),
            strides=(3, 2),
            pads=(2, 0, 1, 1),
            output_padding=(1, 1),
            out_bits=None,
        ),
        HlsOptions(io_type="io_stream"),
    ),
]
