"""Shape inference for channels-last custom ops at any frame size, in constant memory.

qonnx infers a custom op's output shape by standing a plain ONNX node in for it during ONNX shape
inference; its channels-last ``Conv`` (and a dense ``Constant``) builds a tensor of the whole
output map for that, so a 640x360 frame costs megabytes per node, copied and rebuilt at every
shape inference of the channels-last conversion (minutes, growing with the frame).  A ``Constant``
whose value is an *empty sparse tensor* of the output's dimensions tells ONNX the same shape and
holds no elements.  The ops here compute exactly the shapes qonnx's do.
"""

from __future__ import annotations

from onnx import NodeProto, TensorProto, helper
from qonnx.custom_op.channels_last.conv import Conv_v1 as QonnxConv
from qonnx.custom_op.general.im2col import compute_conv_output_dim


def shape_only_constant(output: str, shape: list[int]) -> NodeProto:
    """A ``Constant`` node of ``shape`` (float) holding no elements: an empty sparse tensor."""
    empty = helper.make_sparse_tensor(
        helper.make_tensor("values", TensorProto.FLOAT, [0], []),
        helper.make_tensor("indices", TensorProto.INT64, [0], []),
        [int(d) for d in shape],
    )
    return helper.make_node("Constant", [], [output], sparse_value=empty)


class Conv_v1(QonnxConv):  # noqa: N801  (qonnx reads op type and version from the name)
    """qonnx's channels-last 2-D convolution, its shape inferred through
    :func:`shape_only_constant` (4-D NHWC tensors; others as qonnx does)."""

    def make_shape_compatible_op(self, model):
        node = self.onnx_node
        ishape = model.get_tensor_shape(node.input[0])
        if ishape is None or len(ishape) != 4:
            return super().make_shape_compatible_op(model)
        k, s, d = (self.get_nodeattr(a) for a in ("kernel_shape", "strides", "dilations"))
        pads = self.get_nodeattr("pads")  # [H_begin, W_begin, H_end, W_end]
        dims = [
            compute_conv_output_dim(ishape[i + 1], k[i], s[i], pads[i] + pads[i + 2], d[i])
            for i in range(2)
        ]
        out_ch = model.get_tensor_shape(node.input[1])[0]
        return shape_only_constant(node.output[0], [ishape[0], *dims, out_ch])
