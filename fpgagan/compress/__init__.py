"""Compression: pruning (masks, channel pruning) and distillation; they plug into fpgagan.train
(the quantizer presets live in fpgagan.models.quantizers, which builds the low-bit layers)."""
