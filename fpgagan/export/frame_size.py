"""The same fully convolutional QONNX model at another input frame size.

An image-to-image network of convolutions, activations, quantizers, pixel shuffles and the like
computes the same function at any frame size; only the shapes written in the graph differ.
:func:`at_frame_size` rewrites the input's height and width and infers every other shape again,
so one trained model can be planned (and converted) for 1280x720 or 1920x1080 output frames.  A
graph whose nodes depend on the frame's size (a reshape, a flatten, a dense layer, a resize to
fixed ``sizes``) is refused naming the node: at another size it would compute something else.
"""

from __future__ import annotations

import onnx
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_shapes import InferShapes

from fpgagan.errors import ExportError

# ops whose result depends on the input's spatial size (or that fix it)
SIZE_BOUND_OPS = frozenset(
    {"Reshape", "Flatten", "Gemm", "MatMul", "Expand", "Tile", "Slice", "Shape", "ConstantOfShape"}
)


def _check_convolutional(model: ModelWrapper, name: str) -> None:
    graph = model.graph
    if len(graph.input) != 1 or len(graph.output) != 1:
        raise ExportError(f"{name}: a frame size applies to one image input and one output")
    dims = [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim]
    if len(dims) != 4:
        raise ExportError(
            f"{name}: input {graph.input[0].name} is {dims}, not an image (N, C, H, W)"
        )
    for node in graph.node:
        if node.op_type in SIZE_BOUND_OPS:
            raise ExportError(
                f"{name}: node {node.name or node.op_type} ({node.op_type}) depends on the frame "
                "size; only a fully convolutional model runs at another size"
            )
        if node.op_type == "Resize" and len(node.input) > 3 and node.input[3]:
            raise ExportError(
                f"{name}: node {node.name or 'Resize'} resizes to fixed sizes; only scales "
                "keep it the same at another frame size"
            )


def at_frame_size(
    model: ModelWrapper, height: int, width: int, name: str = "the model"
) -> ModelWrapper:
    """A copy of the NCHW ``model`` whose input frame is ``height`` x ``width`` (batch 1), every
    other shape inferred again; ``name`` (its file) leads a refusal."""
    if height < 1 or width < 1:
        raise ExportError(f"{name}: frame size must be positive, got {height}x{width}")
    _check_convolutional(model, name)
    proto = onnx.ModelProto()
    proto.CopyFrom(model.model)
    graph = proto.graph
    inp = graph.input[0].type.tensor_type.shape.dim
    out = graph.output[0].type.tensor_type.shape.dim
    (h0, w0), (oh0, ow0) = (
        (inp[2].dim_value, inp[3].dim_value),
        (out[2].dim_value, out[3].dim_value),
    )
    # a fully convolutional model's output scales with its input by a fixed ratio (1, 2, ...)
    oh, ow = height * oh0 // h0, width * ow0 // w0
    if oh * h0 != height * oh0 or ow * w0 != width * ow0:
        raise ExportError(
            f"{name}: its output {oh0}x{ow0} is not a whole multiple of its input {h0}x{w0} "
            f"at {height}x{width}"
        )
    inp[0].dim_value, inp[2].dim_value, inp[3].dim_value = 1, height, width
    out[0].dim_value, out[2].dim_value, out[3].dim_value = 1, oh, ow
    del graph.value_info[:]
    resized = ModelWrapper(proto).transform(InferShapes())
    last = resized.find_producer(graph.output[0].name)
    for t in last.input if last is not None else ():
        shape = resized.get_tensor_shape(t)
        if (
            shape is not None
            and len(shape) == 4
            and shape[1] == out[1].dim_value
            and shape[2:] != [oh, ow]
        ):
            raise ExportError(
                f"{name}: at {height}x{width} its last node makes {shape}, not {oh}x{ow}"
            )
    return resized
