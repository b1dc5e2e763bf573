"""The output type of a data-movement layer (upsample, depth-to-space, pad) is its input's.

hls4ml's precision inference does not know these layers and would give them its default type (a
wider type is still exact, but every FIFO, buffer and downstream accumulator would be sized for
it).  This pass runs before ``infer_precision_types``: hls4ml restarts a flow from its first pass
whenever one changes the model, so each layer takes its input's type as soon as that is known.
"""

from __future__ import annotations

from hls4ml.model.optimizer import OptimizerPass
from hls4ml.model.types import UnspecifiedPrecisionType

from fpgagan.hls.spatial_layers import SpatialLayer


class CopyInputPrecision(OptimizerPass):
    def match(self, node) -> bool:
        if not isinstance(node, SpatialLayer):
            return False
        src = node.get_input_variable().type.precision
        out = node.get_output_variable().type.precision
        return not isinstance(src, UnspecifiedPrecisionType) and out != src

    def transform(self, model, node) -> bool:
        node.get_output_variable().type.precision = node.get_input_variable().type.precision
        return True
