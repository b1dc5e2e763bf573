"""QONNX export of low-bit generators, fpgagan's qonnx transformations, reference execution."""

from __future__ import annotations

from fpgagan.export.qonnx_export import (
    clean_for_hls,
    interchange,
    load_qonnx,
    reference_outputs,
    save_qonnx,
    to_qonnx,
)
from fpgagan.export.reference import execute_batch

__all__ = [
    "clean_for_hls",
    "execute_batch",
    "interchange",
    "load_qonnx",
    "reference_outputs",
    "save_qonnx",
    "to_qonnx",
]
