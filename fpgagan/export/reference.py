"""Reference execution of a QONNX model with qonnx's ``execute_onnx``, on a whole batch at once."""

from __future__ import annotations

import numpy as np
import onnx
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx

from fpgagan.export.ops import register_qonnx_ops


def dynamic_tensors(model: ModelWrapper) -> set[str]:
    """Names of the tensors that depend on the graph input (the ones with a batch axis)."""
    dynamic = {i.name for i in model.graph.input}
    for node in model.graph.node:  # graph nodes are topologically sorted
        if any(i in dynamic for i in node.input):
            dynamic.update(node.output)
    return dynamic


def with_batch_size(model: ModelWrapper, n: int) -> ModelWrapper:
    """A copy of ``model`` whose batch axis is ``n``, keeping every inferred shape.

    Unlike qonnx's ``ChangeBatchSize`` this keeps the value_info of intermediate tensors, which
    custom ops (channels-last ConvTranspose) need for shape inference.
    """
    out = ModelWrapper(onnx.ModelProto.FromString(model.model.SerializeToString()))
    dynamic = dynamic_tensors(out)
    for vi in [*out.graph.input, *out.graph.output, *out.graph.value_info]:
        if vi.name in dynamic and vi.type.tensor_type.shape.dim:
            vi.type.tensor_type.shape.dim[0].dim_value = n
    for node in out.graph.node:
        if node.op_type == "Reshape" and node.input[0] in dynamic:
            shape = out.get_initializer(node.input[1])
            if shape is not None and shape[0] != -1:
                shape = shape.copy()
                shape[0] = n
                out.set_initializer(node.input[1], shape)
    return out


def execute_batch(model: ModelWrapper, x: np.ndarray, batch: int = 1024) -> np.ndarray:
    """Run ``model`` on ``x`` (batch first, the model's own input layout); returns its output.

    Executed node by node with qonnx in chunks of ``batch`` rows.
    """
    register_qonnx_ops()
    iname = model.graph.input[0].name
    oname = model.graph.output[0].name
    outs = []
    shaped: dict[int, ModelWrapper] = {}
    for i in range(0, len(x), batch):
        chunk = np.ascontiguousarray(x[i : i + batch], dtype=np.float32)
        n = len(chunk)
        if n not in shaped:
            shaped[n] = with_batch_size(model, n)
        outs.append(execute_onnx(shaped[n], {iname: chunk})[oname])
    return np.concatenate(outs)
