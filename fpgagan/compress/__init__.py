"""Compression: quantizer presets, pruning, distillation (they plug into fpgagan.train)."""
