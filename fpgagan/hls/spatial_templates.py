"""Config and function-call templates of the data-movement layers (``nnet_fg_spatial.h``).

Every value in the generated C++ is a number fpgagan computed from the layer's shape; the pad
and depth-to-space modes become numbers too, never the model's strings.
"""

from __future__ import annotations

from hls4ml.backends.template import FunctionCallTemplate, LayerConfigTemplate

from fpgagan.hls.spatial_layers import SPATIAL_LAYERS, FgDepthToSpace, FgPad, FgUpsample

HEADER = "nnet_utils/nnet_fg_spatial.h"
PAD_MODE = {"constant": 0, "reflect": 1, "edge": 2}  # nnet::fg::pad_mode


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
    return fields


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
