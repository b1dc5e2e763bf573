"""Custom qonnx ops fpgagan adds, each with its own reference execution."""

from __future__ import annotations

from qonnx.custom_op.registry import add_op_to_domain

from fpgagan.export.ops.conv_transpose import DOMAIN, ConvTranspose
from fpgagan.export.ops.shape_only import Conv_v1
from fpgagan.export.ops.spatial import SPATIAL_OPS


def register_qonnx_ops() -> None:
    """Register fpgagan's custom ops with qonnx (idempotent: re-registering replaces the entry)."""
    add_op_to_domain(DOMAIN, ConvTranspose)
    add_op_to_domain(DOMAIN, Conv_v1)  # qonnx's, its shapes inferred in constant memory
    for op in SPATIAL_OPS.values():
        add_op_to_domain(DOMAIN, op)


__all__ = ["ConvTranspose", "register_qonnx_ops"]
