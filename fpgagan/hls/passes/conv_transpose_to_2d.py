"""``ConvTranspose`` + constant weight/bias inputs -> ``Conv2DTranspose`` owning its weights.

Re-lays the weights from ONNX's (C_in, C_out, kH, kW) to the kernel's (kH, kW, C_in, C_out), so
that the inner loop over output channels reads consecutive weights.
"""

from __future__ import annotations

import numpy as np
from hls4ml.model.layers import Constant
from hls4ml.model.optimizer import OptimizerPass

from fpgagan.errors import UnsupportedModelError
from fpgagan.hls.layers import Conv2DTranspose, ConvTranspose

_COPIED = [a.name for a in ConvTranspose._expected_attributes] + [
    "data_format",
    "taps_height",
    "taps_width",
]


def relayout_weights(onnx_weights: np.ndarray) -> np.ndarray:
    """(C_in, C_out, kH, kW) -> (kH, kW, C_in, C_out)."""
    return np.ascontiguousarray(np.transpose(onnx_weights, (2, 3, 0, 1)))


class ConvTransposeToConv2DTranspose(OptimizerPass):
    def match(self, node):
        if not isinstance(node, ConvTranspose) or len(node.inputs) not in (2, 3):
            return False
        return all(isinstance(node.get_input_node(i), Constant) for i in node.inputs[1:])

    def transform(self, model, node):
        weight_node = node.get_input_node(node.inputs[1])
        bias_node = node.get_input_node(node.inputs[2]) if len(node.inputs) == 3 else None
        attrs = {k: node.get_attr(k) for k in _COPIED if node.get_attr(k) is not None}
        weights = weight_node.get_attr("value")
        if weights.shape != (
            attrs["n_chan"],
            attrs["n_filt"],
            attrs["filt_height"],
            attrs["filt_width"],
        ):
            raise UnsupportedModelError(
                f"ConvTranspose node {node.name!r}: weight shape {weights.shape} does not match the layer"
            )
        attrs["weight_data"] = relayout_weights(weights)
        attrs["weight_quantizer"] = weight_node.get_attr("quantizer")
        if bias_node is not None:
            attrs["bias_data"] = np.asarray(bias_node.get_attr("value")).reshape(-1)
            attrs["bias_quantizer"] = bias_node.get_attr("quantizer")
            attrs["use_bias"] = True
        else:
            attrs["bias_data"] = np.zeros(attrs["n_filt"])
            attrs["bias_quantizer"] = None
            attrs["use_bias"] = False

        new_name = f"Conv2DTranspose_{node.name}"
        config = dict(model.config.get_layer_config(node))
        precision = config.get("Precision", {})
        precision = dict(precision) if isinstance(precision, dict) else {"result": precision}
        # 'auto' lets fpgagan's precision pass size these exactly; an explicit user type wins
        for key in ("accum", "result"):
            precision.setdefault(key, "auto")
        config["Precision"] = precision
        model.config.set_name_config(new_name, config)
        model.config.parse_name_config(new_name, config)
        new_node = model.make_node(
            Conv2DTranspose, new_name, attrs, [node.inputs[0]], list(node.outputs)
        )
        if bias_node is not None:
            model.remove_node(bias_node)
        model.remove_node(weight_node)
        del node.inputs[1:]
        model.replace_node(node, new_node)
        return True
