"""Channels-last data-movement ops for qonnx (domain ``qonnx.custom_op.channels_last``), each with
its numpy reference: what the converter turns ONNX Resize (nearest, integer factors),
DepthToSpace and Pad (reflect / edge / constant) into before hls4ml sees them.

- ``FgUpsample`` (attributes ``scales = [s_h, s_w]``): every input pixel repeated into an
  ``s_h x s_w`` block; what ONNX Resize in ``nearest`` mode computes for integer scales under
  the coordinate modes :func:`resize_is_repeat` accepts.
- ``FgDepthToSpace`` (``blocksize``, ``mode`` ``DCR`` or ``CRD``): ONNX DepthToSpace, NHWC.
- ``FgPad`` (``pads = [top, left, bottom, right]``, ``mode`` ``constant`` (zero), ``reflect`` or
  ``edge``): ONNX Pad on the two spatial axes, NHWC.

No arithmetic: outputs are copies of inputs, so a quantized tensor stays exactly on its grid.
"""

from __future__ import annotations

import numpy as np
from qonnx.custom_op.base import CustomOp

from fpgagan.errors import UnsupportedModelError
from fpgagan.export.names import node_label
from fpgagan.export.ops.conv_transpose import DOMAIN
from fpgagan.export.ops.shape_only import shape_only_constant

PAD_MODES = ("constant", "reflect", "edge")
DEPTH_TO_SPACE_MODES = ("DCR", "CRD")
# Resize (nearest) coordinate modes, and the nearest modes with which an integer factor repeats
# every pixel (see resize_is_repeat)
REPEAT_MODES = {
    "asymmetric": ("floor",),
    "half_pixel": ("round_prefer_floor", "round_prefer_ceil"),
    "pytorch_half_pixel": ("round_prefer_floor", "round_prefer_ceil"),
}


def resize_is_repeat(coordinates: str, nearest: str, scale: int) -> bool:
    """Whether ONNX Resize (nearest) by the integer ``scale`` repeats every pixel ``scale`` times.

    With ``x_out = k * s + r`` (``0 <= r < s``): ``asymmetric`` maps to ``x_out / s``, whose floor
    is ``k`` (a round mode would pick ``k + 1`` for ``r > s / 2``); ``half_pixel`` (and
    ``pytorch_half_pixel``) maps to ``k + (r + 1/2) / s - 1/2``, strictly within 1/2 of ``k``, so
    both round modes give ``k`` (floor would give ``k - 1`` for small ``r``).
    """
    return scale == 1 or nearest in REPEAT_MODES.get(coordinates, ())


def upsample_nhwc(x: np.ndarray, scales: tuple[int, int]) -> np.ndarray:
    return np.repeat(np.repeat(x, scales[0], axis=1), scales[1], axis=2)


def depth_to_space_nhwc(x: np.ndarray, block: int, mode: str) -> np.ndarray:
    n, h, w, c = x.shape
    oc = c // (block * block)
    if mode == "DCR":  # channel = (bh * block + bw) * oc + co
        y = x.reshape(n, h, w, block, block, oc).transpose(0, 1, 3, 2, 4, 5)
    else:  # CRD: channel = (co * block + bh) * block + bw
        y = x.reshape(n, h, w, oc, block, block).transpose(0, 1, 4, 2, 5, 3)
    return y.reshape(n, h * block, w * block, oc)


def pad_nhwc(x: np.ndarray, pads: tuple[int, int, int, int], mode: str) -> np.ndarray:
    top, left, bottom, right = pads
    width = ((0, 0), (top, bottom), (left, right), (0, 0))
    return np.pad(x, width, mode=mode) if mode != "constant" else np.pad(x, width)


class _Spatial(CustomOp):
    """Shape inference through a Constant of the output shape, as qonnx custom ops do."""

    def output_shape(self, in_shape: list[int]) -> list[int]:
        raise NotImplementedError

    def make_shape_compatible_op(self, model):
        node = self.onnx_node
        shape = self.output_shape(list(model.get_tensor_shape(node.input[0])))
        return shape_only_constant(node.output[0], shape)

    def infer_node_datatype(self, model):
        node = self.onnx_node
        model.set_tensor_datatype(node.output[0], model.get_tensor_datatype(node.input[0]))

    def verify_node(self):
        return [f"{self.onnx_node.op_type} in the channels-last domain: NHWC data"]


class FgUpsample(_Spatial):
    def get_nodeattr_types(self):
        return {"scales": ("ints", True, [])}

    def output_shape(self, in_shape):
        s = self.get_nodeattr("scales")
        n, h, w, c = in_shape
        return [n, h * s[0], w * s[1], c]

    def execute_node(self, context, graph):
        node = self.onnx_node
        context[node.output[0]] = upsample_nhwc(
            context[node.input[0]], tuple(self.get_nodeattr("scales"))
        )


class FgDepthToSpace(_Spatial):
    def get_nodeattr_types(self):
        return {"blocksize": ("i", True, 0), "mode": ("s", False, "DCR")}

    def output_shape(self, in_shape):
        b = self.get_nodeattr("blocksize")
        n, h, w, c = in_shape
        if c % (b * b):
            raise UnsupportedModelError(
                f"DepthToSpace node {node_label(self.onnx_node)}: {c} channels are not a multiple "
                f"of blocksize^2 = {b * b}"
            )
        return [n, h * b, w * b, c // (b * b)]

    def execute_node(self, context, graph):
        node = self.onnx_node
        context[node.output[0]] = depth_to_space_nhwc(
            context[node.input[0]], self.get_nodeattr("blocksize"), self.get_nodeattr("mode")
        )


class FgPad(_Spatial):
    def get_nodeattr_types(self):
        return {"pads": ("ints", True, []), "mode": ("s", False, "constant")}

    def output_shape(self, in_shape):
        t, left, b, r = self.get_nodeattr("pads")
        n, h, w, c = in_shape
        return [n, h + t + b, w + left + r, c]

    def execute_node(self, context, graph):
        node = self.onnx_node
        context[node.output[0]] = pad_nhwc(
            context[node.input[0]], tuple(self.get_nodeattr("pads")), self.get_nodeattr("mode")
        )


SPATIAL_OPS = {"FgUpsample": FgUpsample, "FgDepthToSpace": FgDepthToSpace, "FgPad": FgPad}
__all__ = ["DOMAIN", "SPATIAL_OPS", *SPATIAL_OPS]
