"""Bits an hls4ml design really stores for its parameters: weights, biases, sparse schedules.

Read from the converted model itself (each array's element count times its declared width), so
it counts what the generated C++ declares: the dense schedule stores the zeros, the sparse one
stores the non-zeros (plus the idle lanes' zeros) with their offsets and step control, biases at
the width fpgagan narrowed them to.  A codebook layer stores its indices and its codebook's
values; :func:`coded_bits` is the bound Huffman-coding its indices would reach.
"""

from __future__ import annotations

from fpgagan.hls.engine_layers import EngineLayer
from fpgagan.hw.codebook import huffman_bits

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


def engine_bits(layer) -> dict[str, int]:
    """Bits of the ROMs an engine layer's wrapper declares (``rom_int<W>`` elements), as its
    schedule counts them (:meth:`fpgagan.hw.schedules.base.ScheduleRules.stored_bits`): weights
    (a codebook layer: its indices and its codebook's values), biases and, for the sparse
    schedule, the lanes' channel offsets and the steps' control."""
    shape = layer.shape()
    sizes = {
        "weights": int(layer.get_attr("rom_weights").size),
        "biases": int(layer.get_attr("rom_bias").size),
    }
    for rom, attr in (("offsets", "rom_offsets"), ("codebook", "rom_codebook")):
        if layer.get_attr(attr) is not None:
            sizes[rom] = int(layer.get_attr(attr).size)
    if layer.get_attr("rom_ctl") is not None:
        sizes["ctl"] = len(layer.get_attr("rom_ctl"))  # steps
    return shape.rules.stored_bits(shape, sizes)


def stored_bits(hls_model) -> dict[str, dict[str, int]]:
    """``{layer: {array: bits}}`` for every layer that holds parameters."""
    out: dict[str, dict[str, int]] = {}
    for layer in hls_model.get_layers():
        if isinstance(layer, EngineLayer):
            out[layer.name] = engine_bits(layer)
            continue
        bits = {
            name: variable_bits(layer, name)
            for name, var in layer.weights.items()
            if var.data is not None and var.data.size
        }
        if bits:
            out[layer.name] = bits
    return out


def coded_bits(hls_model) -> dict[str, int]:
    """``{layer: bits}`` of every codebook layer with its stored indices Huffman-coded (one code
    per layer, on the histogram of the indices its ROM holds) plus its codebook's values: the
    storage bound of Deep Compression's third stage, next to :func:`stored_bits`' ``indices`` and
    ``codebook``."""
    out: dict[str, int] = {}
    for layer in hls_model.get_layers():
        if isinstance(layer, EngineLayer) and layer.codebook:
            book = layer.get_attr("rom_codebook")
            out[layer.name] = (
                huffman_bits(layer.get_attr("rom_weights"), int(book.size))
                + int(book.size) * layer.widths().w_bits
            )
    return out
