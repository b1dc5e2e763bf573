"""Turn per-channel power-of-two scales of constant ``Quant`` nodes into one per-tensor scale.

hls4ml's QONNX front end moves a weight's scale past the MatMul/Conv it feeds, which only works for
a per-tensor scale (with per-channel scales it gives up and leaves a graph it cannot convert).  A
per-channel power-of-two scale needs no scaling in hardware at all: every quantized weight
``q_c * 2^e_c`` is also ``(q_c * 2^(e_c - e_min)) * 2^e_min``, an integer on the finest channel's
grid.  This transformation rewrites such a ``Quant`` node to that grid: scale ``2^e_min`` and
``bit_width + (e_max - e_min)`` bits, on the already-quantized values, so its output is unchanged
(exactly: every value is on the new grid and inside the new range).  The cost is honest: the
hardware stores and multiplies the wider integers.

Scales that are not powers of two, or non-zero zero points, are left alone (fpgagan's converter
refuses them, naming the node).  The rewrite changes the node's own initializers, which qonnx's
cleanup (``GiveUniqueParameterTensors``) makes private to each node.
"""

from __future__ import annotations

import math

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.general.quant import quant
from qonnx.transformation.base import Transformation
from qonnx.util.basic import get_by_name

from fpgagan.export.validate import is_power_of_two


class PerChannelScalesToTensor(Transformation):
    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        changed = False
        for node in model.graph.node:
            if node.op_type != "Quant":
                continue
            values, scale, zero, bits = (model.get_initializer(i) for i in node.input[:4])
            if values is None or scale is None or scale.size <= 1:
                continue
            if zero is None or bits is None or np.any(zero != 0) or not is_power_of_two(scale):
                continue  # not fixed point: the converter's check refuses it, naming the node
            signed = get_by_name(node.attribute, "signed").i
            narrow = get_by_name(node.attribute, "narrow").i
            mode = get_by_name(node.attribute, "rounding_mode").s.decode()
            exact = quant(values, scale, zero, bits, signed, narrow, mode)
            spread = int(round(math.log2(float(scale.max()) / float(scale.min()))))
            model.set_initializer(node.input[0], exact.astype(np.float32))
            model.set_initializer(node.input[1], np.asarray(scale.min(), dtype=np.float32))
            model.set_initializer(node.input[3], np.asarray(float(bits) + spread, dtype=np.float32))
            changed = True
        return model, changed
