"""Give biases the narrowest fixed-point type that holds their actual values exactly.

Brevitas ``Int32Bias`` exports 32-bit bias quantizers, so hls4ml types every bias (and, through
the accumulator rule, every accumulator) 33 bits wide.  The quantized bias values are known
constants: keeping the quantizer's LSB and only the integer bits the largest value needs changes
no value and narrows the accumulators (fewer LUTs per adder).
"""

from __future__ import annotations

import math

import numpy as np
from hls4ml.model.layers import Conv2D, Dense
from hls4ml.model.optimizer import OptimizerPass
from hls4ml.model.types import FixedPrecisionType, RoundingMode, SaturationMode

from fpgagan.hls.layers import Conv2DTranspose

TIGHT = "fpgagan_bias_tightened"


def tight_type(values: np.ndarray, lsb_frac: int) -> FixedPrecisionType:
    """Signed fixed type with ``lsb_frac`` fractional bits holding every value of ``values``."""
    ints = np.round(np.asarray(values, np.float64) * 2.0**lsb_frac)
    if not np.array_equal(ints, np.asarray(values, np.float64) * 2.0**lsb_frac):
        raise ValueError("bias values are not on the quantizer's grid")
    big = float(np.max(np.abs(ints), initial=0.0))
    width = max(2, math.ceil(math.log2(big + 1)) + 1)  # magnitude bits + sign
    return FixedPrecisionType(
        width, width - lsb_frac, True, RoundingMode.RND_CONV, SaturationMode.SAT
    )


class TightenBiasPrecision(OptimizerPass):
    def match(self, node):
        if not isinstance(node, Dense | Conv2D | Conv2DTranspose) or node.get_attr(TIGHT, False):
            return False
        return isinstance(_bias_type(node), FixedPrecisionType)

    def transform(self, model, node):
        quantized = _bias_type(node)
        frac = quantized.width - quantized.integer
        precision = tight_type(node.get_weights("bias").data, frac)
        node.types["bias_t"].name = f"{node.name}_bias_t"
        node.types["bias_t"].precision = precision
        node.weights["bias"].update_precision(precision)
        node.set_attr(TIGHT, True)
        return False  # types only: the graph is unchanged


def _bias_type(node):
    """The bias type the model's quantizer gives (or that hls4ml already assigned from it)."""
    quantizer = node.get_attr("bias_quantizer")
    if quantizer is not None:
        return quantizer.hls_type
    return node.types["bias_t"].precision if "bias_t" in node.types else None
