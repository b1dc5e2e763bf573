"""hls4ml IR layers fpgagan adds: the transposed convolution and the sparse Dense and Conv2D.

``ConvTranspose`` is what the ONNX handler produces (its weight and bias are still graph inputs);
the ``conv_transpose_to_2d`` pass turns it into ``Conv2DTranspose``, which owns its weights in the
kernel's layout (kH, kW, C_in, C_out) and is what the templates render.  ``SparseDense`` and
``SparseConv2D`` replace hls4ml's ``Dense`` and ``Conv2D`` when their weights are sparse enough.
"""

from __future__ import annotations

from hls4ml.model.attributes import Attribute, TypeAttribute, WeightAttribute
from hls4ml.model.layers import Layer

from fpgagan.export.ops.conv_transpose import multiplications


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


def _add_stored_weights(layer: Layer, entries: tuple[tuple[str, str, str], ...]) -> None:
    """Weight variables from ``<name>_data`` attributes, typed by ``<precision attribute>``."""
    for name, var, precision in entries:
        layer.add_weights_variable(name=name, var_name=var, precision=layer.get_attr(precision))


class SparseDense(Layer):
    """Fully connected layer storing only its non-zero weights, CSR over outputs:
    ``sparse_row`` holds each weight's input index, ``sparse_col`` the start of each output's run."""

    _expected_attributes = [
        Attribute("n_in"),
        Attribute("n_out"),
        Attribute("n_nonzero"),
        WeightAttribute("weight"),
        WeightAttribute("bias"),
        WeightAttribute("sparse_row"),
        WeightAttribute("sparse_col"),
        TypeAttribute("weight"),
        TypeAttribute("bias"),
        TypeAttribute("accum"),
    ]

    def initialize(self):
        self.add_output_variable([self.get_attr("n_out")])
        _add_stored_weights(
            self,
            (
                ("weight", "w{index}", "weight_precision"),
                ("bias", "b{index}", "bias_precision"),
                ("sparse_row", "sr{index}", "index_precision"),  # input index per weight
                ("sparse_col", "sc{index}", "start_precision"),  # CSR start per output
            ),
        )


class SparseConv2D(Layer):
    """2-D convolution, channels-last, storing only its non-zero weights grouped by kernel tap and
    output channel (:func:`fpgagan.hls.sparse.conv_layout`): ``sparse_index`` holds each weight's
    input channel, ``run_start`` the start of each (tap, output channel) run."""

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
        Attribute("n_nonzero"),
        WeightAttribute("weight"),
        WeightAttribute("bias"),
        WeightAttribute("sparse_index"),
        WeightAttribute("run_start"),
        TypeAttribute("weight"),
        TypeAttribute("bias"),
        TypeAttribute("accum"),
    ]

    def initialize(self):
        self.add_output_variable(
            [self.get_attr("out_height"), self.get_attr("out_width"), self.get_attr("n_filt")]
        )
        _add_stored_weights(
            self,
            (
                ("weight", "w{index}", "weight_precision"),
                ("bias", "b{index}", "bias_precision"),
                ("sparse_index", "si{index}", "index_precision"),  # input channel per weight
                ("run_start", "rs{index}", "start_precision"),  # start of each (tap, co) run
            ),
        )
