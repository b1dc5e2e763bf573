"""qonnx transformations written by fpgagan, one per file; each returns (model, changed)."""

from __future__ import annotations

from fpgagan.export.transforms.absorb_transpose_into_matmul import AbsorbTransposeIntoMatMul
from fpgagan.export.transforms.conv_transpose_channels_last import ConvTransposeToChannelsLast
from fpgagan.export.transforms.gemm_zero_bias import GiveGemmZeroBias
from fpgagan.export.transforms.per_channel_scales import PerChannelScalesToTensor

__all__ = [
    "AbsorbTransposeIntoMatMul",
    "ConvTransposeToChannelsLast",
    "GiveGemmZeroBias",
    "PerChannelScalesToTensor",
]
