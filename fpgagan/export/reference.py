"""Reference execution of a QONNX model with qonnx's ``execute_onnx``, on a whole batch at once."""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.change_batchsize import ChangeBatchSize
from qonnx.transformation.infer_shapes import InferShapes


def execute_batch(model: ModelWrapper, x: np.ndarray, batch: int = 1024) -> np.ndarray:
    """Run ``model`` on ``x`` (batch first, the model's own input layout); returns its output.

    The model is re-shaped for the batch size (its Reshape targets must use -1 on the batch axis,
    as Brevitas exports them), executed node by node in chunks of ``batch``.
    """
    iname = model.graph.input[0].name
    oname = model.graph.output[0].name
    outs = []
    shaped: dict[int, ModelWrapper] = {}
    for i in range(0, len(x), batch):
        chunk = np.ascontiguousarray(x[i : i + batch], dtype=np.float32)
        n = len(chunk)
        if n not in shaped:
            shaped[n] = model.transform(ChangeBatchSize(n)).transform(InferShapes())
        outs.append(execute_onnx(shaped[n], {iname: chunk})[oname])
    return np.concatenate(outs)
