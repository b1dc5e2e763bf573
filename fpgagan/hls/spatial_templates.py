"""Config and function-call templates of the data-movement layers (``nnet_fg_spatial.h``).

Every value in the generated C++ is a number fpgagan computed from the layer's shape; the pad
and depth-to-space modes become numbers too, never the model's strings.  The row buffer's
storage is the cost model's choice and ``buf_distance`` the least loop-carried distance of its
accesses (:mod:`fpgagan.hw.dependence`).
"""

from __future__ import annotations

from hls4ml.backends.template import FunctionCallTemplate, LayerConfigTemplate

from fpgagan.hls.spatial_layers import SPATIAL_LAYERS, FgDepthToSpace, FgPad, FgUpsample
from fpgagan.hw.dependence import Readers, row_loop_distance
from fpgagan.hw.stages import pad_source
from fpgagan.hw.storage import Memory, choose

HEADER = "nnet_utils/nnet_fg_spatial.h"
PAD_MODE = {"constant": 0, "reflect": 1, "edge": 2}  # nnet::fg::pad_mode
STORAGE = {"registers": 0, "lutram": 1, "bram": 2}  # nnet::fg::spatial_storage


def spatial_fields(node) -> dict[str, int | bool]:
    """The numbers of the layer's ``nnet::fg::spatial_config``."""
    g = node.get_attr
    fields: dict[str, int | bool] = {
        k: int(g(k))
        for k in ("in_height", "in_width", "n_chan", "out_height", "out_width", "n_out")
    }
    if isinstance(node, FgUpsample):
        fields.update(scale_h=int(g("scale_h")), scale_w=int(g("scale_w")))
    elif isinstance(node, FgDepthToSpace):
        fields.update(block=int(g("block")), crd=g("mode") == "CRD")
    elif isinstance(node, FgPad):
        fields.update({k: int(g(k)) for k in ("pad_top", "pad_left", "pad_bottom", "pad_right")})
        fields["pad_mode"] = PAD_MODE[g("mode")]
    fields["rows"] = node.buffer_rows()
    fields["storage"] = STORAGE[row_buffer_memory(node).impl]
    fields["buf_distance"] = row_loop_distance(
        int(g("in_height")),
        int(g("in_width")),
        int(g("out_width")),
        node.buffer_rows(),
        1,
        spatial_readers(node),
    )
    return fields


def row_buffer_memory(node) -> Memory:
    """The row buffer's storage: the cost model's choice (``fpgagan.hw.stages.spatial_stage``,
    the same call on the same numbers)."""
    g = node.get_attr
    bits = int(node.get_output_variable().type.precision.width)
    depth = node.buffer_rows() * int(g("in_width"))
    return choose(f"{node.name} row buffer", depth, int(g("n_chan")) * bits, rom=False)


def spatial_readers(node) -> Readers:
    """Input columns output column ``ow`` reads (``*_map::pixel`` of the layer's kernel); a zero
    pad reads none."""
    g = node.get_attr
    if node.kernel == FgUpsample.kernel:
        scale = int(g("scale_w"))
        return lambda ow: [ow // scale]
    if node.kernel == FgDepthToSpace.kernel:
        block = int(g("block"))
        return lambda ow: [ow // block]
    left, width, mode = int(g("pad_left")), int(g("in_width")), g("mode")
    return lambda ow: [i] if (i := pad_source(ow, left, width, mode)) >= 0 else []


class SpatialConfigTemplate(LayerConfigTemplate):
    def __init__(self):
        super().__init__(list(SPATIAL_LAYERS))

    def format(self, node):
        lines = [f"struct config{node.index} : nnet::fg::spatial_config {{"]
        for key, value in spatial_fields(node).items():
            if isinstance(value, bool):
                lines.append(f"    static const bool {key} = {'true' if value else 'false'};")
            else:
                lines.append(f"    static const unsigned {key} = {int(value)};")
        lines.append("};\n")
        return "\n".join(lines)


class SpatialFunctionTemplate(FunctionCallTemplate):
    def __init__(self):
        super().__init__(list(SPATIAL_LAYERS), include_header=[HEADER])

    def format(self, node):
        params = self._default_function_params(node)
        return (
            f"nnet::fg::{node.kernel}<{params['input_t']}, {params['output_t']}, "
            f"{params['config']}>({params['input']}, {params['output']});"
        )
