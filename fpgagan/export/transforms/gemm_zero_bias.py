"""Give every bias-free Gemm an explicit zero bias.

qonnx 1.0's ``GemmToMatMul`` reads ``n.input[2]`` unconditionally and crashes with an IndexError on
a Gemm without bias (what torch's dynamo exporter emits for ``Linear(bias=False)``).  Adding a zero
bias is exact (x + 0 == x in every number format), so the model computes the same function.
Upstream fix: ``GemmToMatMul`` should skip the Add when ``len(n.input) < 3``.
"""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation


class GiveGemmZeroBias(Transformation):
    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        changed = False
        for node in model.graph.node:
            if node.op_type != "Gemm" or (len(node.input) >= 3 and node.input[2]):
                continue
            out_shape = model.get_tensor_shape(node.output[0])
            if out_shape is None:
                raise ValueError(
                    f"Gemm node {node.name!r}: output shape unknown, run InferShapes first"
                )
            bias_name = model.make_new_valueinfo_name()
            model.set_initializer(bias_name, np.zeros(out_shape[-1], dtype=np.float32))
            if len(node.input) == 3:
                node.input[2] = bias_name
            else:
                node.input.append(bias_name)
            changed = True
        # qonnx reapplies a transformation while it reports a change; the second pass finds none
        return model, changed
