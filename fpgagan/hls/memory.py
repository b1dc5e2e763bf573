"""Bits an hls4ml design really stores for its parameters: weights, biases, sparse indices.

Read from the converted model itself (each weight variable's element count times its ``ap_fixed``
width), so it counts what the generated C++ declares: dense kernels store their zeros, sparse
kernels store only non-zeros plus their index arrays, biases at the width fpgagan narrowed them to.
"""

from __future__ import annotations

# hls4ml's default type is fixed<16,6>; a precision without a width has not been set yet
DEFAULT_WIDTH = 16


def bit_width(precision) -> int:
    """Width in bits of an hls4ml precision type."""
    return int(getattr(precision, "width", DEFAULT_WIDTH))


def variable_bits(layer, *names: str) -> int:
    """Bits of the named weight variables of ``layer`` (element count x type width)."""
    return sum(
        int(layer.get_weights(n).data.size) * bit_width(layer.get_weights(n).type.precision)
        for n in names
    )


def stored_bits(hls_model) -> dict[str, dict[str, int]]:
    """``{layer: {variable: bits}}`` for every layer that holds parameters."""
    out: dict[str, dict[str, int]] = {}
    for layer in hls_model.get_layers():
        bits = {
            name: variable_bits(layer, name)
            for name, var in layer.weights.items()
            if var.data is not None and var.data.size
        }
        if bits:
            out[layer.name] = bits
    return out
