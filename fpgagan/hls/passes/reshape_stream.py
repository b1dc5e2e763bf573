"""io_stream: replace a Reshape by a Repack layer, keeping the Reshape's output type.

hls4ml 1.3's ``vivado:reshape_stream`` copies the type with ``node.attributes[node.name]``, i.e. it
assumes the output variable is named after the layer.  In models from the ONNX frontend the
output variable carries the ONNX tensor name, so the pass dies with ``KeyError: 'Reshape_0'``.
This pass does the same replacement through ``get_output_variable()`` and runs first.
Upstream fix: use ``node.get_output_variable().type`` in ``ReshapeStream.transform``.

A Reshape that leaves the stream as it is (the same elements of the same values: a flat latent
``(nz,)`` made ``(1, 1, nz)`` for a transposed convolution) is removed instead: a Repack would
copy every element through a process of its own for nothing.
"""

from __future__ import annotations

from hls4ml.backends.fpga.passes.repack_stream import Repack
from hls4ml.model.layers import Reshape
from hls4ml.model.optimizer import OptimizerPass


class ReshapeToRepackStream(OptimizerPass):
    def match(self, node):
        if (
            not isinstance(node, Reshape)
            or node.model.config.get_config_value("IOType") != "io_stream"
        ):
            return False
        return len(node.get_output_variable().shape) > 1 or node.outputs[0] in node.model.outputs

    def transform(self, model, node):
        if _same_stream(node):
            model.remove_node(node)
            return True
        repack = model.make_node(
            Repack,
            f"repack_{node.name}",
            {"target_shape": node.get_attr("target_shape")},
            node.inputs.copy(),
        )
        repack.get_output_variable().type = node.get_output_variable().type
        model.replace_node(node, repack)
        return True


def _same_stream(node) -> bool:
    """The Reshape's input and output streams carry the same elements (the last axis, the values
    of one element, and the number of elements equal), and it is not the model's output."""
    src, dst = node.get_input_variable().shape, node.get_output_variable().shape
    same = len(src) >= 1 and src[-1] == dst[-1] and _prod(src) == _prod(dst)
    return same and node.outputs[0] not in node.model.outputs


def _prod(shape) -> int:
    out = 1
    for d in shape:
        out *= int(d)
    return out
