"""hls4ml IR layers fpgagan adds: the transposed convolution and the engine layers.

``ConvTranspose`` is what the ONNX handler produces (its weight and bias are still graph inputs);
the ``conv_transpose_to_2d`` pass turns it into ``Conv2DTranspose``, which owns its weights in the
kernel's layout (kH, kW, C_in, C_out) and gets exact types.  Then every compute layer (hls4ml's
``Dense`` and ``Conv2D``, fpgagan's ``Conv2DTranspose``) becomes one of the engine layers of
:mod:`fpgagan.hls.engine_layers`, which are what the templates render.
"""

from __future__ import annotations

from hls4ml.model.attributes import Attribute, TypeAttribute, WeightAttribute
from hls4ml.model.layers import Layer

from fpgagan.geometry import multiplications


class ConvTranspose(Layer):
    """Intermediate form of ONNX ConvTranspose (channels-last), before weights are attached."""

    _expected_attributes = [
        Attribute("in_height"),
        Attribute("in_width"),
        Attribute("n_chan"),
        Attribute("n_filt"),
        Attribute("out_height"),
        Attribute("out_width"),
        Attribute("filt_height"),
        Attribute("filt_width"),
        Attribute("stride_height"),
        Attribute("stride_width"),
        Attribute("pad_top"),
        Attribute("pad_left"),
        Attribute("pad_bottom"),
        Attribute("pad_right"),
        Attribute("output_padding_height"),
        Attribute("output_padding_width"),
    ]

    def initialize(self):
        self.add_output_variable(
            [self.get_attr("out_height"), self.get_attr("out_width"), self.get_attr("n_filt")]
        )


class Conv2DTranspose(Layer):
    """2-D transposed convolution, channels-last, computed by phase decomposition."""

    _expected_attributes = [
        *ConvTranspose._expected_attributes,
        Attribute("taps_height"),
        Attribute("taps_width"),
        WeightAttribute("weight"),
        WeightAttribute("bias"),
        TypeAttribute("weight"),
        TypeAttribute("bias"),
        TypeAttribute("accum"),
    ]

    def initialize(self):
        self.add_output_variable(
            [self.get_attr("out_height"), self.get_attr("out_width"), self.get_attr("n_filt")]
        )
        self.add_weights(quantizer=self.get_attr("weight_quantizer"))
        self.add_bias(quantizer=self.get_attr("bias_quantizer"))

    @property
    def fan_in(self) -> int:
        """Products summed into one output: input channels times the taps of the widest phase."""
        return self.get_attr("n_chan") * self.get_attr("taps_height") * self.get_attr("taps_width")

    @property
    def n_mult(self) -> int:
        """Multiplications per image (phase decomposition: no inserted zero is ever multiplied)."""
        g = self.get_attr
        return multiplications(
            g("in_height"),
            g("in_width"),
            g("n_chan"),
            g("n_filt"),
            g("filt_height"),
            g("filt_width"),
            g("stride_height"),
            g("stride_width"),
            (g("pad_top"), g("pad_left"), g("pad_bottom"), g("pad_right")),
            g("out_height"),
            g("out_width"),
        )
