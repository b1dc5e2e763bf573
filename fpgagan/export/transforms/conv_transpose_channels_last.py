"""Make every 2-D ConvTranspose a channels-last op, with Transposes that qonnx then cancels.

The data input gets an NCHW->NHWC Transpose and the output an NHWC->NCHW one; the node moves to
the ``qonnx.custom_op.channels_last`` domain (see :mod:`fpgagan.export.ops.conv_transpose`).
qonnx's ``ConvertToChannelsLastAndClean`` afterwards moves and removes the Transposes between
layers.  Weights and bias keep their ONNX layout.
"""

from __future__ import annotations

from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from fpgagan.export.ops.conv_transpose import DOMAIN, check_explicit_geometry
from fpgagan.geometry import TO_NCHW, TO_NHWC


class ConvTransposeToChannelsLast(Transformation):
    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        graph = model.graph
        changed = False
        for node in list(graph.node):
            if node.op_type != "ConvTranspose" or node.domain != "":
                continue
            check_explicit_geometry(node)
            in_shape = model.get_tensor_shape(node.input[0])
            out_shape = model.get_tensor_shape(node.output[0])
            if in_shape is None or len(in_shape) != 4:
                continue  # 1-D/3-D transposed convolutions stay as they are (hls conversion refuses them)
            pos = list(graph.node).index(node)
            x_nhwc = model.make_new_valueinfo_name()
            graph.value_info.append(
                helper.make_tensor_value_info(
                    x_nhwc, TensorProto.FLOAT, [in_shape[i] for i in TO_NHWC]
                )
            )
            graph.node.insert(
                pos, helper.make_node("Transpose", [node.input[0]], [x_nhwc], perm=TO_NHWC)
            )
            y_nhwc = model.make_new_valueinfo_name()
            graph.value_info.append(
                helper.make_tensor_value_info(
                    y_nhwc, TensorProto.FLOAT, [out_shape[i] for i in TO_NHWC]
                )
            )
            graph.node.insert(
                pos + 2, helper.make_node("Transpose", [y_nhwc], [node.output[0]], perm=TO_NCHW)
            )
            node.input[0] = x_nhwc
            node.output[0] = y_nhwc
            node.domain = DOMAIN
            changed = True
        if changed and DOMAIN not in model.get_opset_imports():
            imports = model.get_opset_imports()
            model.model.opset_import.append(helper.make_opsetid(DOMAIN, imports.get("", 13)))
        # converted nodes are in another domain now, so a second pass finds nothing to do
        return model, changed
