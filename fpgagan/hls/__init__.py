"""hls4ml extensions: transposed convolution layers, ONNX handler, passes, templates, headers.

Call :func:`register` once before converting; :mod:`fpgagan.hls.convert` does it for you.
"""

from __future__ import annotations

from fpgagan.hls.register import register

__all__ = ["register"]
