"""Compression: quantization of any float generator (``quantize``), pruning (masks, channel
pruning), distillation (with data, and data-free) and weight sharing; they plug into
fpgagan.train (the quantizer presets live in fpgagan.models.quantizers, which builds the low-bit
layers)."""

from __future__ import annotations

from fpgagan.compress.float_quant import QuantizedGenerator, quantize

__all__ = ["QuantizedGenerator", "quantize"]
