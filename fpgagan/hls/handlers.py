"""ONNX handlers fpgagan registers with hls4ml's ONNX frontend."""

from __future__ import annotations

import math

from hls4ml.converters.onnx_to_hls import get_onnx_attribute

from fpgagan.errors import UnsupportedModelError
from fpgagan.export.names import node_label
from fpgagan.export.ops.conv_transpose import DOMAIN, check_explicit_geometry
from fpgagan.geometry import output_size


def _refuse(node, attribute: str, value, why: str) -> UnsupportedModelError:
    return UnsupportedModelError(
        f"ConvTranspose node {node_label(node)}: {attribute}={value} is not supported ({why})"
    )


def parse_conv_transpose_layer(node, input_names, input_shapes, graph):
    """ONNX ConvTranspose (channels-last, 2-D) -> hls4ml ``ConvTranspose`` layer dict.

    Unsupported attributes are refused with an error naming the node and the attribute: never a
    silent change of the math.
    """
    if node.domain != DOMAIN:
        raise UnsupportedModelError(
            f"ConvTranspose node {node_label(node)} is channels-first; convert the model with "
            "fpgagan.export.clean_for_hls (or `fpgagan csim`, which does it)"
        )
    in_shape = input_shapes[0]
    if len(in_shape) != 4:
        raise _refuse(node, "input rank", len(in_shape), "only 2-D transposed convolutions")
    w_shape = input_shapes[1]
    group = int(get_onnx_attribute(node, "group", 1))
    if group != 1:
        raise _refuse(node, "group", group, "grouped transposed convolution is not implemented")
    dilations = list(get_onnx_attribute(node, "dilations", [1, 1]))
    if dilations != [1, 1]:
        raise _refuse(
            node, "dilations", dilations, "dilated transposed convolution is not implemented"
        )
    check_explicit_geometry(node)
    kernel = list(get_onnx_attribute(node, "kernel_shape", w_shape[2:]))
    strides = list(get_onnx_attribute(node, "strides", [1, 1]))
    pads = list(get_onnx_attribute(node, "pads", [0, 0, 0, 0]))
    out_pad = list(get_onnx_attribute(node, "output_padding", [0, 0]))
    if any(s < 1 for s in strides):
        raise _refuse(node, "strides", strides, "strides must be >= 1")
    if any(p < 0 for p in pads):
        raise _refuse(node, "pads", pads, "negative pads")

    _, h, w, c = in_shape
    layer = {
        "name": node.name,
        "class_name": "ConvTranspose",
        "inputs": input_names,
        "outputs": list(node.output),
        "data_format": "channels_last",
        "in_height": h,
        "in_width": w,
        "n_chan": c,
        "n_filt": w_shape[1],
        "filt_height": kernel[0],
        "filt_width": kernel[1],
        "stride_height": strides[0],
        "stride_width": strides[1],
        "pad_top": pads[0],
        "pad_left": pads[1],
        "pad_bottom": pads[2],
        "pad_right": pads[3],
        "output_padding_height": out_pad[0],
        "output_padding_width": out_pad[1],
        "taps_height": math.ceil(kernel[0] / strides[0]),
        "taps_width": math.ceil(kernel[1] / strides[1]),
    }
    layer["out_height"] = output_size(h, kernel[0], strides[0], pads[0], pads[2], out_pad[0])
    layer["out_width"] = output_size(w, kernel[1], strides[1], pads[1], pads[3], out_pad[1])
    if layer["out_height"] < 1 or layer["out_width"] < 1:
        raise _refuse(
            node, "pads", pads, f"output would be {layer['out_height']}x{layer['out_width']}"
        )
    return layer


def _spatial_layer(node, input_names, input_shapes, class_name: str, out_hwc, **attrs):
    if node.domain != DOMAIN:
        raise UnsupportedModelError(
            f"{node.op_type} node {node_label(node)} is not in fpgagan's channels-last domain; "
            "convert the model with fpgagan.export.clean_for_hls"
        )
    _, h, w, c = input_shapes[0]
    oh, ow, oc = out_hwc(h, w, c)
    return {
        "name": node.name,
        "class_name": class_name,
        "inputs": input_names[:1],
        "outputs": list(node.output),
        "data_format": "channels_last",
        "in_height": h,
        "in_width": w,
        "n_chan": c,
        "out_height": oh,
        "out_width": ow,
        "n_out": oc,
        **attrs,
    }


def parse_upsample_layer(node, input_names, input_shapes, graph):
    """fpgagan ``FgUpsample`` (nearest, integer factors, NHWC) -> hls4ml layer dict."""
    sh, sw = (int(s) for s in get_onnx_attribute(node, "scales"))
    return _spatial_layer(
        node,
        input_names,
        input_shapes,
        "FgUpsample",
        lambda h, w, c: (h * sh, w * sw, c),
        scale_h=sh,
        scale_w=sw,
    )


def parse_depth_to_space_layer(node, input_names, input_shapes, graph):
    """fpgagan ``FgDepthToSpace`` (NHWC) -> hls4ml layer dict."""
    b = int(get_onnx_attribute(node, "blocksize"))
    mode = get_onnx_attribute(node, "mode", "DCR")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    return _spatial_layer(
        node,
        input_names,
        input_shapes,
        "FgDepthToSpace",
        lambda h, w, c: (h * b, w * b, c // (b * b)),
        block=b,
        mode=mode,
    )


def parse_pad_layer(node, input_names, input_shapes, graph):
    """fpgagan ``FgPad`` (zero / reflect / edge on the spatial axes, NHWC) -> hls4ml layer dict."""
    top, left, bottom, right = (int(p) for p in get_onnx_attribute(node, "pads"))
    mode = get_onnx_attribute(node, "mode", "constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    return _spatial_layer(
        node,
        input_names,
        input_shapes,
        "FgPad",
        lambda h, w, c: (h + top + bottom, w + left + right, c),
        pad_top=top,
        pad_left=left,
        pad_bottom=bottom,
        pad_right=right,
        mode=mode,
    )


SPATIAL_HANDLERS = {
    "FgUpsample": parse_upsample_layer,
    "FgDepthToSpace": parse_depth_to_space_layer,
    "FgPad": parse_pad_layer,
}
