"""Channels-last ConvTranspose for qonnx (domain ``qonnx.custom_op.channels_last``).

qonnx's channels-last conversion knows Conv, MaxPool and BatchNormalization only, so a transposed
convolution stayed NCHW and kept a pair of Transposes around it.  This op takes its data input and
output in NHWC (weights stay in ONNX's (C_in, C_out/group, kH, kW) layout) and executes with a
numpy reference that follows the ONNX ConvTranspose definition, accumulating in float64 so that
integer-valued fixed-point data sums exactly.
"""

from __future__ import annotations

import numpy as np
from qonnx.custom_op.base import CustomOp

from fpgagan.errors import UnsupportedModelError
from fpgagan.export.names import node_label
from fpgagan.export.ops.shape_only import shape_only_constant
from fpgagan.geometry import output_size

DOMAIN = "qonnx.custom_op.channels_last"


def conv_transpose_nhwc(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    strides: tuple[int, int],
    pads: tuple[int, int, int, int],
    output_padding: tuple[int, int] = (0, 0),
    dilations: tuple[int, int] = (1, 1),
    group: int = 1,
) -> np.ndarray:
    """Reference ConvTranspose on NHWC data; ``w`` is (C_in, C_out/group, kH, kW), pads [t, l, b, r]."""
    n, h, wd, cin = x.shape
    cin_w, cout_g, kh, kw = w.shape
    if cin_w != cin or cin % group:
        raise ValueError(f"weight has {cin_w} input channels, data has {cin} (group={group})")
    sh, sw = strides
    dh, dw = dilations
    full_h = sh * (h - 1) + (kh - 1) * dh + 1 + output_padding[0]
    full_w = sw * (wd - 1) + (kw - 1) * dw + 1 + output_padding[1]
    cin_g = cin // group
    full = np.zeros((n, full_h, full_w, cout_g * group), np.float64)
    xd = x.astype(np.float64)
    wdbl = w.astype(np.float64)
    for g in range(group):
        xg = xd[..., g * cin_g : (g + 1) * cin_g]
        for i in range(kh):
            for j in range(kw):
                contrib = xg @ wdbl[g * cin_g : (g + 1) * cin_g, :, i, j]
                full[
                    :,
                    i * dh : i * dh + sh * (h - 1) + 1 : sh,
                    j * dw : j * dw + sw * (wd - 1) + 1 : sw,
                    g * cout_g : (g + 1) * cout_g,
                ] += contrib
    pt, pl, pb, pr = pads
    out = full[:, pt : full_h - pb, pl : full_w - pr, :]
    if b is not None:
        out = out + b.astype(np.float64)
    return out.astype(np.float32)


def check_explicit_geometry(node) -> None:
    """Refuse attributes that leave the output geometry implicit (auto_pad, output_shape)."""
    for attr in node.attribute:
        if attr.name == "auto_pad" and attr.s not in (b"", b"NOTSET"):
            raise UnsupportedModelError(
                f"ConvTranspose node {node_label(node)}: auto_pad={attr.s.decode()} is not supported (give explicit pads)"
            )
        if attr.name == "output_shape" and list(attr.ints):
            raise UnsupportedModelError(
                f"ConvTranspose node {node_label(node)}: output_shape={list(attr.ints)} is not supported "
                "(give pads and output_padding)"
            )


class ConvTranspose(CustomOp):
    """ONNX ConvTranspose with NHWC data (2-D)."""

    def get_nodeattr_types(self):
        return {
            "kernel_shape": ("ints", False, []),
            "strides": ("ints", False, []),
            "dilations": ("ints", False, []),
            "pads": ("ints", False, []),
            "output_padding": ("ints", False, []),
            "output_shape": ("ints", False, []),
            "group": ("i", False, 1),
            "auto_pad": ("s", False, "NOTSET"),
        }

    # -- attribute helpers (defaults per the ONNX spec)
    def _attrs(self, w_shape):
        nd = len(w_shape) - 2
        k = list(self.get_nodeattr("kernel_shape")) or list(w_shape[2:])
        s = list(self.get_nodeattr("strides")) or [1] * nd
        d = list(self.get_nodeattr("dilations")) or [1] * nd
        p = list(self.get_nodeattr("pads")) or [0] * (2 * nd)
        op = list(self.get_nodeattr("output_padding")) or [0] * nd
        return k, s, d, p, op

    def output_shape_nhwc(self, in_shape, w_shape):
        check_explicit_geometry(self.onnx_node)
        k, s, d, p, op = self._attrs(w_shape)
        n, h, w, _ = in_shape
        oh = output_size(h, k[0], s[0], p[0], p[2], op[0], d[0])
        ow = output_size(w, k[1], s[1], p[1], p[3], op[1], d[1])
        if oh < 1 or ow < 1:
            raise UnsupportedModelError(
                f"ConvTranspose node {node_label(self.onnx_node)}: the output would be {oh} x {ow} "
                f"(input {h} x {w}, kernel {k}, strides {s}, pads {p}): pads larger than the output"
            )
        return [n, oh, ow, w_shape[1] * self.get_nodeattr("group")]

    def make_shape_compatible_op(self, model):
        node = self.onnx_node
        ishape = model.get_tensor_shape(node.input[0])
        wshape = model.get_tensor_shape(node.input[1])
        if ishape is None or len(ishape) != 4:
            raise UnsupportedModelError(
                f"ConvTranspose node {node_label(node)}: only 2-D (4-D tensor) inputs are supported"
            )
        shape = self.output_shape_nhwc(ishape, wshape)
        return shape_only_constant(node.output[0], shape)

    def infer_node_datatype(self, model):
        pass  # outputs are float tensors; the following Quant node sets the datatype

    def execute_node(self, context, graph):
        node = self.onnx_node
        check_explicit_geometry(node)
        x = context[node.input[0]]
        w = context[node.input[1]]
        b = context[node.input[2]] if len(node.input) > 2 and node.input[2] else None
        k, s, d, p, op = self._attrs(w.shape)
        if list(k) != list(w.shape[2:]):
            raise UnsupportedModelError(
                f"ConvTranspose node {node_label(node)}: kernel_shape {k} != weight shape {list(w.shape[2:])}"
            )
        context[node.output[0]] = conv_transpose_nhwc(
            x, w, b, tuple(s), tuple(p), tuple(op), tuple(d), self.get_nodeattr("group")
        )

    def verify_node(self):
        return ["ConvTranspose in channels-last domain: NHWC data, ONNX weight layout"]
