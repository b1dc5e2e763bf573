"""hls4ml IR layers fpgagan adds: the transposed convolution.

``ConvTranspose`` is what the ONNX handler produces (its weight and bias are still graph inputs);
the ``conv_transpose_to_2d`` pass turns it into ``Conv2DTranspose``, which owns its weights in the
kernel's layout (kH, kW, C_in, C_out) and is what the templates render.
"""

from __future__ import annotations

from hls4ml.model.attributes import Attribute, TypeAttribute, WeightAttribute
from hls4ml.model.layers import Layer


class ConvTranspose(Layer):
    """Intermediate form of ONNX ConvTranspose (channels-last), before weights are attached."""

    _expected_attributes = [
        Attribute("in_height"), Attribute("in_width"), Attribute("n_chan"), Attribute("n_filt"),
        Attribute("out_height"), Attribute("out_width"),
        Attribute("filt_height"), Attribute("filt_width"),
        Attribute("stride_height"), Attribute("stride_width"),
        Attribute("pad_top"), Attribute("pad_left"), Attribute("pad_bottom"), Attribute("pad_right"),
        Attribute("output_padding_height"), Attribute("output_padding_width"),
    ]

    def initialize(self):
        self.add_output_variable([self.get_attr("out_height"), self.get_attr("out_width"), self.get_attr("n_filt")])


class Conv2DTranspose(Layer):
    """2-D transposed convolution, channels-last, computed by phase decomposition."""

    _expected_attributes = [
        *ConvTranspose._expected_attributes,
        Attribute("taps_height"), Attribute("taps_width"),
        WeightAttribute("weight"), WeightAttribute("bias"),
        TypeAttribute("weight"), TypeAttribute("bias"), TypeAttribute("accum"),
    ]

    def initialize(self):
        self.add_output_variable([self.get_attr("out_height"), self.get_attr("out_width"), self.get_attr("n_filt")])
        self.add_weights(quantizer=self.get_attr("weight_quantizer"))
        self.add_bias(quantizer=self.get_attr("bias_quantizer"))

    @property
    def fan_in(self) -> int:
        """Products summed into one output: input channels times the taps of the widest phase."""
        return self.get_attr("n_chan") * self.get_attr("taps_height") * self.get_attr("taps_width")

    @property
    def n_mult(self) -> int:
        """Multiplications per image (phase decomposition: no inserted zero is ever multiplied)."""
        total = 0
        for oh in range(self.get_attr("out_height")):
            for ow in range(self.get_attr("out_width")):
                total += len(self._taps(oh, "height")) * len(self._taps(ow, "width"))
        return total * self.get_attr("n_chan") * self.get_attr("n_filt")

    def _taps(self, o: int, axis: str) -> list[int]:
        s = self.get_attr(f"stride_{axis}")
        k = self.get_attr(f"filt_{axis}")
        n = self.get_attr(f"in_{axis}")
        p = self.get_attr("pad_top" if axis == "height" else "pad_left")
        base, phase = divmod(o + p, s)
        return [phase + j * s for j in range(self.get_attr(f"taps_{axis}"))
                if phase + j * s < k and 0 <= base - j < n]
