"""fpgagan: low-bit GAN generators to bit-exact FPGA accelerators.

The data flows one way: ``data -> models -> train -> compress -> export -> hls -> sim -> report``;
``workflows`` composes the stages and ``cli`` is a thin shell around the workflows.
"""

from __future__ import annotations

from fpgagan.errors import FpgaganError

__version__ = "0.1.0"
__all__ = ["FpgaganError", "__version__"]
