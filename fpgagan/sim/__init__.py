"""C simulation of hls4ml projects (g++ against hls4ml's ap_types) and bit-exact comparison."""

from __future__ import annotations

from fpgagan.sim.compare import (
    Comparison,
    LayerDivergence,
    compare,
    first_divergence,
    output_lsb,
    output_range,
)
from fpgagan.sim.csim import CSim, build_csim

__all__ = [
    "CSim",
    "Comparison",
    "LayerDivergence",
    "build_csim",
    "compare",
    "first_divergence",
    "output_lsb",
    "output_range",
]
