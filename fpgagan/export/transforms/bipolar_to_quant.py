"""Binary weights (qonnx ``BipolarQuant``) as an exact 2-bit narrow ``Quant``.

``BipolarQuant(w, s)`` is ``s`` where ``w >= 0`` and ``-s`` elsewhere.  hls4ml has no exact type for
it (its precision inference fails on the node), but a signed, narrow-range 2-bit ``Quant`` with
the same scale holds exactly ``{-s, 0, s}``: given the already-binarised values ``±s`` it returns
them unchanged, and with a power-of-two ``s`` it is one ``ap_fixed`` type.  The cost is honest:
the hardware stores two bits per weight.

Only constant inputs (weights) with power-of-two scales are rewritten; anything else is left for
the converter, which refuses it naming the node.
"""

from __future__ import annotations

import numpy as np
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.general.bipolar_quant import binary_quant
from qonnx.transformation.base import Transformation

from fpgagan.export.validate import is_power_of_two

QONNX_DOMAIN = "qonnx.custom_op.general"
BITS = 2  # narrow signed 2-bit: {-1, 0, 1} * scale


class BipolarQuantToQuant(Transformation):
    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        changed = False
        for index, node in enumerate(list(model.graph.node)):
            if node.op_type != "BipolarQuant":
                continue
            values, scale = (model.get_initializer(i) for i in node.input[:2])
            if values is None or scale is None or not is_power_of_two(scale):
                continue  # activations or a non-power-of-two scale: the converter refuses it
            binary = binary_quant(values.astype(np.float32), scale.astype(np.float32))
            prefix = node.name or f"BipolarQuant_{index}"
            zero, bits = f"{prefix}_fpgagan_zeropt", f"{prefix}_fpgagan_bits"
            model.set_initializer(node.input[0], binary.astype(np.float32))
            model.set_initializer(zero, np.asarray(0.0, dtype=np.float32))
            model.set_initializer(bits, np.asarray(float(BITS), dtype=np.float32))
            quant = helper.make_node(
                "Quant",
                [node.input[0], node.input[1], zero, bits],
                list(node.output),
                name=node.name,
                domain=QONNX_DOMAIN,
                signed=1,
                narrow=1,
                rounding_mode="ROUND",
            )
            quant.metadata_props.extend(node.metadata_props)
            model.graph.node.insert(index, quant)
            model.graph.node.remove(node)
            changed = True
        return model, changed
