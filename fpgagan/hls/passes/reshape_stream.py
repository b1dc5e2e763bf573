"""io_stream: replace a Reshape by a Repack layer, keeping the Reshape's output type.

hls4ml 1.3's ``vivado:reshape_stream`` copies the type with ``node.attributes[node.name]``, i.e. it
assumes the output variable is named after the layer.  In models from the ONNX frontend the
output variable carries the ONNX tensor name, so the pass dies with ``KeyError: 'Reshape_0'``.
This pass does the same replacement through ``get_output_variable()`` and runs first.
Upstream fix: use ``node.get_output_variable().type`` in ``ReshapeStream.transform``.
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
        repack = model.make_node(
            Repack,
            f"repack_{node.name}",
            {"target_shape": node.get_attr("target_shape")},
            node.inputs.copy(),
        )
        repack.get_output_variable().type = node.get_output_variable().type
        model.replace_node(node, repack)
        return True
