"""Brevitas generator -> QONNX file ready for hls4ml; reading QONNX files fpgagan did not write.

``export_qonnx`` -> quantizer attributes normalised -> qonnx cleanup -> binary weights as exact
2-bit Quants -> exactly foldable batch-norm folded -> zero bias for bias-free Gemms ->
``GemmToMatMul`` (hls4ml's ONNX frontend reads MatMul, not Gemm) -> channels-last -> cleanup and
shape inference.  A file from disk is checked by :func:`fpgagan.export.validate.validate_model`
before qonnx sees it (qonnx imports node domains as Python modules).
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np
import onnx
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.channels_last import ConvertToChannelsLastAndClean
from qonnx.transformation.gemm_to_matmul import GemmToMatMul
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.util.cleanup import cleanup_model

from fpgagan.errors import ExportError
from fpgagan.export.names import remember_source_names
from fpgagan.export.ops import register_qonnx_ops
from fpgagan.export.reference import execute_batch
from fpgagan.export.transforms import (
    AbsorbTransposeIntoMatMul,
    BipolarQuantToQuant,
    ConvTransposeToChannelsLast,
    FoldBatchNorm,
    FoldZeroPadIntoConv,
    GiveGemmZeroBias,
    MergeIdenticalTransposes,
    MergeReshapes,
    NormaliseQuantAttributes,
    PerChannelScalesToTensor,
    SpatialOpsToChannelsLast,
    UnitTransposeToReshape,
)
from fpgagan.export.validate import validate_model
from fpgagan.io import atomic_path, provenance, read_limited
from fpgagan.limits import MAX_MODEL_BYTES
from fpgagan.models import Generator, UNet
from fpgagan.models.outside import export as brevitas_export

log = logging.getLogger(__name__)


def interchange(model: ModelWrapper) -> ModelWrapper:
    """Standard QONNX (NCHW, ONNX ops plus qonnx's Quant family): what fpgagan writes to disk,
    executable by plain qonnx, onnxruntime (with qonnx's ops) or FINN without fpgagan.  The
    channels-last graph hls4ml needs is the converter's business (:func:`clean_for_hls`)."""
    model = model.transform(NormaliseQuantAttributes())
    model = cleanup_model(model)
    return model.transform(InferShapes())


def clean_for_hls(model: ModelWrapper) -> ModelWrapper:
    """The qonnx transformations fpgagan applies to any QONNX model before hls4ml sees it."""
    register_qonnx_ops()
    remember_source_names(model)
    model = model.transform(NormaliseQuantAttributes())
    model = cleanup_model(model)
    model = model.transform(InferShapes())
    model = model.transform(BipolarQuantToQuant())
    model = model.transform(FoldBatchNorm())
    model = model.transform(GiveGemmZeroBias())
    model = model.transform(PerChannelScalesToTensor())
    with warnings.catch_warnings():
        # it checks the opset of the first opset_import entry, which Brevitas sets to qonnx's
        warnings.filterwarnings("ignore", message="The GemmToMatMul transformation only offers")
        model = model.transform(GemmToMatMul())
    model = model.transform(ConvTransposeToChannelsLast())
    model = model.transform(FoldZeroPadIntoConv())
    model = model.transform(SpatialOpsToChannelsLast())
    model = model.transform(ConvertToChannelsLastAndClean())
    model = model.transform(MergeIdenticalTransposes())
    # a merged Transpose may now move further upstream (past the input quantizer, say)
    model = model.transform(ConvertToChannelsLastAndClean())
    model = model.transform(AbsorbTransposeIntoMatMul())
    # a transpose of unit axes only (a flat latent into a transposed convolution) is a reshape
    model = model.transform(UnitTransposeToReshape())
    model = model.transform(MergeReshapes())
    return cleanup_model(model)


def reference_outputs(model: ModelWrapper, x: np.ndarray) -> np.ndarray:
    """qonnx ``execute_onnx`` of ``model`` on a batch: the reference C simulation must equal.

    Runs the cleaned graph (exact transformations only: constant folding, channels-last with
    fpgagan's reference ConvTranspose, MatMul column permutation), because raw exporter graphs
    carry shape-computation nodes that pin the batch size to the one they were traced with.
    """
    return execute_batch(clean_for_hls(model), x)


def to_qonnx(gen: Generator | UNet) -> ModelWrapper:
    """Export a low-bit generator (eval mode) to a cleaned, standard (NCHW) QONNX model.

    The graph's input has the generator's own input shape: a latent vector (DCGAN) or an image
    (U-Net), with a batch axis in front.
    """
    if not gen.quantized:
        raise ExportError("only low-bit (Brevitas) generators export to QONNX; got the float twin")
    model = brevitas_export(gen)  # Brevitas's exporter, read without following external data
    model = interchange(model)
    meta = provenance()
    onnx.helper.set_model_props(
        model.model,
        {"fpgagan.versions": str(meta["versions"]), "fpgagan.git_commit": str(meta["git_commit"])},
    )
    return model


def save_qonnx(model: ModelWrapper, path: str | os.PathLike[str]) -> None:
    """Write a QONNX model atomically."""
    with atomic_path(path) as tmp:
        onnx.save(model.model, str(tmp))


def load_qonnx(path: str | os.PathLike[str]) -> ModelWrapper:
    """Read a QONNX file and validate it; a missing, corrupt or refused file raises an error
    naming it.  Only a regular file under :data:`~fpgagan.limits.MAX_MODEL_BYTES` is read, as
    bytes: onnx never sees its path, so no external data is followed (it is refused)."""
    p = Path(path)
    data = read_limited(p, "ONNX file", MAX_MODEL_BYTES, ExportError)
    if not data:
        raise ExportError(f"{p}: empty file, not an ONNX model")
    try:
        proto = onnx.load_model_from_string(data)
    except Exception as exc:
        raise ExportError(f"{p}: not a readable ONNX model ({type(exc).__name__})") from None
    validate_model(proto, str(p))
    return ModelWrapper(proto)
