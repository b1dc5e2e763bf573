"""qonnx transformations written by fpgagan, one per file; each returns (model, changed)."""

from __future__ import annotations

from fpgagan.export.transforms.gemm_zero_bias import GiveGemmZeroBias

__all__ = ["GiveGemmZeroBias"]
