"""hls4ml IR layers of fpgagan's data-movement kernels (``nnet_fg_spatial.h``): nearest
upsampling, depth-to-space and padding, channels-last.

They copy values and compute nothing, so the output type is the input's (set at creation, not
left to hls4ml's precision inference, which would give an unknown layer the default type).
Each knows the cost shape the cost model reads: its per-image cycles in io_stream and the rows
of input it buffers.
"""

from __future__ import annotations

from hls4ml.model.attributes import Attribute, ChoiceAttribute
from hls4ml.model.layers import Layer

from fpgagan.export.ops.spatial import DEPTH_TO_SPACE_MODES, PAD_MODES

GEOMETRY = (
    Attribute("in_height"),
    Attribute("in_width"),
    Attribute("n_chan"),
    Attribute("out_height"),
    Attribute("out_width"),
    Attribute("n_out"),
)


class SpatialLayer(Layer):
    """A copy layer: output shape from its attributes, output type the input's."""

    kernel = ""  # function of nnet_fg_spatial.h
    _expected_attributes = list(GEOMETRY)

    def initialize(self):
        # the type is the input's, set by fpgagan's pass CopyInputPrecision once that is known
        g = self.get_attr
        self.add_output_variable([g("out_height"), g("out_width"), g("n_out")])

    def buffer_rows(self) -> int:
        """Input rows the io_stream kernel keeps (its row buffer)."""
        return 1

    def stream_cycles(self) -> int:
        """Cycles per image in io_stream: every input element read, every output element
        written, one per iteration of the layer's one pipelined loop."""
        g = self.get_attr
        return g("in_height") * g("in_width") + g("out_height") * g("out_width")


class FgUpsample(SpatialLayer):
    kernel = "upsample"
    _expected_attributes = [*GEOMETRY, Attribute("scale_h"), Attribute("scale_w")]


class FgDepthToSpace(SpatialLayer):
    kernel = "depth_to_space"
    _expected_attributes = [
        *GEOMETRY,
        Attribute("block"),
        ChoiceAttribute("mode", list(DEPTH_TO_SPACE_MODES), default="DCR", configurable=False),
    ]


class FgPad(SpatialLayer):
    kernel = "pad"
    _expected_attributes = [
        *GEOMETRY,
        Attribute("pad_top"),
        Attribute("pad_left"),
        Attribute("pad_bottom"),
        Attribute("pad_right"),
        # not configurable: hls4ml would put the default into the config, which overrides the model
        ChoiceAttribute("mode", list(PAD_MODES), default="constant", configurable=False),
    ]

    def buffer_rows(self) -> int:
        # a reflected top row is written once the row it mirrors is in; a bottom row mirrors a
        # row up to pad_bottom back (nnet_fg_spatial.h: rows = max(top, bottom) + 1)
        return max(self.get_attr("pad_top"), self.get_attr("pad_bottom")) + 1


SPATIAL_LAYERS: tuple[type[SpatialLayer], ...] = (FgUpsample, FgDepthToSpace, FgPad)
