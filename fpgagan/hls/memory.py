"""Bits an hls4ml design really stores for its parameters: weights, biases, sparse indices.

Read from the converted model itself (each weight variable's element count times its ``ap_fixed``
width), so it counts what the generated C++ declares: dense kernels store their zeros, sparse
kernels store only non-zeros plus their index arrays, biases at the width fpgagan narrowed them to.
"""

from __future__ import annotations


def _width(precision) -> int:
    return int(getattr(precision, "width", 32))


def stored_bits(hls_model) -> dict[str, dict[str, int]]:
    """``{layer: {variable: bits}}`` for every layer that holds parameters."""
    out: dict[str, dict[str, int]] = {}
    for layer in hls_model.get_layers():
        bits = {
            name: int(var.data.size) * _width(var.type.precision)
            for name, var in layer.weights.items()
            if var.data is not None and var.data.size
        }
        if bits:
            out[layer.name] = bits
    return out
