"""qonnx transformations written by fpgagan, one per file; each returns (model, changed)."""

from __future__ import annotations

from fpgagan.export.transforms.absorb_transpose_into_matmul import AbsorbTransposeIntoMatMul
from fpgagan.export.transforms.bipolar_to_quant import BipolarQuantToQuant
from fpgagan.export.transforms.conv_transpose_channels_last import ConvTransposeToChannelsLast
from fpgagan.export.transforms.fold_batch_norm import FoldBatchNorm
from fpgagan.export.transforms.fold_zero_pad import FoldZeroPadIntoConv
from fpgagan.export.transforms.gemm_zero_bias import GiveGemmZeroBias
from fpgagan.export.transforms.merge_transposes import MergeIdenticalTransposes
from fpgagan.export.transforms.normalise_quant import NormaliseQuantAttributes
from fpgagan.export.transforms.per_channel_scales import PerChannelScalesToTensor
from fpgagan.export.transforms.spatial_channels_last import SpatialOpsToChannelsLast
from fpgagan.export.transforms.unit_transpose import MergeReshapes, UnitTransposeToReshape

__all__ = [
    "AbsorbTransposeIntoMatMul",
    "BipolarQuantToQuant",
    "ConvTransposeToChannelsLast",
    "FoldBatchNorm",
    "FoldZeroPadIntoConv",
    "GiveGemmZeroBias",
    "MergeIdenticalTransposes",
    "MergeReshapes",
    "NormaliseQuantAttributes",
    "PerChannelScalesToTensor",
    "SpatialOpsToChannelsLast",
    "UnitTransposeToReshape",
]
