"""Exact types for ``Conv2DTranspose``: weights and biases from their QONNX quantizers, the
accumulator from the input and weight types and the fan-in (hls4ml infers none for custom layers).
"""

from __future__ import annotations

from hls4ml.model.optimizer import OptimizerPass
from hls4ml.model.types import UnspecifiedPrecisionType

from fpgagan.errors import UnsupportedModelError
from fpgagan.hls.fixed_point import fixed_of, to_hls
from fpgagan.hls.layers import Conv2DTranspose
from fpgagan.hw.fixed_point import Fixed, accumulator_type


def _unspecified(node, type_name: str) -> bool:
    return isinstance(node.types[type_name].precision, UnspecifiedPrecisionType)


class InferConvTransposePrecision(OptimizerPass):
    def match(self, node):
        if not isinstance(node, Conv2DTranspose):
            return False
        inp = node.get_input_variable()
        return not isinstance(inp.type.precision, UnspecifiedPrecisionType) and _unspecified(
            node, "accum_t"
        )

    def transform(self, model, node):
        for kind in ("weight", "bias"):
            type_name = f"{kind}_t"
            quantizer = node.get_attr(f"{kind}_quantizer")
            if kind == "bias" and node.get_attr("fpgagan_bias_tightened", False):
                continue  # already exact and narrow
            if quantizer is not None:
                node.types[type_name].name = f"{node.name}_{kind}_t"
                node.types[type_name].precision = quantizer.hls_type
                node.weights[kind].update_precision(quantizer.hls_type)
            elif kind == "bias" and not node.get_attr("use_bias"):
                node.types[type_name].precision = to_hls(Fixed(1, 1, True))  # all zeros
                node.weights[kind].update_precision(node.types[type_name].precision)
            elif _unspecified(node, type_name):
                raise UnsupportedModelError(
                    f"ConvTranspose node {node.name!r}: {kind} has no QONNX Quant node, so no exact "
                    "fixed-point type; quantize it (Brevitas weight_quant / bias_quant)"
                )
        where = f"ConvTranspose node {node.name!r}"
        data = fixed_of(node.get_input_variable().type.precision, f"{where} input")
        weight = fixed_of(node.types["weight_t"].precision, f"{where} weight")
        bias = (
            fixed_of(node.types["bias_t"].precision, f"{where} bias")
            if node.get_attr("use_bias")
            else None
        )
        acc = to_hls(accumulator_type(data, weight, node.fan_in, bias))
        node.types["accum_t"].name = f"{node.name}_accum_t"
        node.types["accum_t"].precision = acc
        if _unspecified(node, "result_t"):
            node.types["result_t"].name = f"{node.name}_result_t"
            node.types["result_t"].precision = acc
        return True
